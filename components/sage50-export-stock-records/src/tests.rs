use std::path::Path;

use sage50::sage::StockExport;
use wharf_guest::ResultCode;
use wharf_guest::sage::fake::FakeSage;

use super::*;

/// Sage selecting `exported` records (and one unchanged).
fn fake_sage(exported: u64) -> FakeSage {
    FakeSage {
        stock_export: Some(StockExport {
            document: format!(
                "<Company><Products>{}</Products></Company>",
                "<Product/>".repeat(exported as usize)
            ),
            scanned: exported + 1,
            exported,
            suppressed: 1,
            next_cursor: "2024-03-01T09:00:00.000001".into(),
            export_id: 7,
        }),
        ..FakeSage::default()
    }
}

/// Runs the task on raw settings, as the host passes them.
fn run_pairs(pairs: Vec<(String, String)>, sage: &mut impl SageBackend) -> TaskResult {
    match <ExportStockRecordsSettings as wharf_guest::TaskSettings>::parse(
        &wharf_guest::Settings::new(pairs),
    ) {
        Ok(settings) => run(&settings, sage),
        Err(e) => e.into(),
    }
}

fn settings(dir: &Path, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut settings = vec![(
        "output-file".to_owned(),
        dir.join("stock.xml").display().to_string(),
    )];
    settings.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    settings
}

#[test]
fn the_cursor_advances_through_state_and_hashes_are_committed() {
    state::remove(CURSOR_KEY);
    let dir = tempfile::tempdir().unwrap();
    let mut sage = fake_sage(2);
    let result = run_pairs(settings(dir.path(), &[]), &mut sage);
    assert_eq!(result.code, ResultCode::SuccessData, "{}", result.message);
    assert_eq!(
        (result.counts.records_in, result.counts.records_out),
        (3, 2)
    );
    assert_eq!(
        sage.stock_exports[0].since, None,
        "the first run exports everything"
    );
    assert_eq!(sage.stock_exports[0].export_type, ExportType::Modified);
    assert_eq!(sage.commits, [7]);
    assert_eq!(
        state::get(CURSOR_KEY).as_deref(),
        Some("2024-03-01T09:00:00.000001")
    );
    assert!(
        std::fs::read_to_string(dir.path().join("stock.xml"))
            .unwrap()
            .contains("<Product/>")
    );

    let result = run_pairs(
        settings(dir.path(), &[("date-time-modified", "2020-01-01T00:00:00")]),
        &mut sage,
    );
    assert!(result.is_success());
    assert_eq!(
        sage.stock_exports[1].since.as_deref(),
        Some("2024-03-01T09:00:00.000001"),
        "the stored cursor wins over the first-run setting"
    );
    state::remove(CURSOR_KEY);
}

#[test]
fn nothing_exported_is_success_no_data_and_still_writes_the_file() {
    state::remove(CURSOR_KEY);
    let dir = tempfile::tempdir().unwrap();
    let mut sage = fake_sage(0);
    let result = run_pairs(
        settings(
            dir.path(),
            &[
                ("date-time-modified", "2024-01-01T00:00:00"),
                ("export-published", "true"),
            ],
        ),
        &mut sage,
    );
    assert_eq!(result.code, ResultCode::SuccessNoData);
    assert_eq!(
        sage.stock_exports[0].since.as_deref(),
        Some("2024-01-01T00:00:00")
    );
    assert!(sage.stock_exports[0].export_published);
    assert!(dir.path().join("stock.xml").exists());
    state::remove(CURSOR_KEY);
}

#[test]
fn legacy_export_all_overrides_the_export_type() {
    state::remove(CURSOR_KEY);
    let dir = tempfile::tempdir().unwrap();
    let mut sage = fake_sage(1);
    run_pairs(
        settings(
            dir.path(),
            &[("export-type", "New"), ("export-all", "true")],
        ),
        &mut sage,
    );
    assert_eq!(sage.stock_exports[0].export_type, ExportType::All);
    run_pairs(settings(dir.path(), &[("export-type", "new")]), &mut sage);
    assert_eq!(sage.stock_exports[1].export_type, ExportType::New);
    state::remove(CURSOR_KEY);
}

#[test]
fn a_failed_commit_fails_the_task_and_keeps_the_cursor() {
    state::remove(CURSOR_KEY);
    let dir = tempfile::tempdir().unwrap();
    let mut sage = fake_sage(1);
    sage.commit_failure = Some("the truth store is read-only".into());
    let result = run_pairs(settings(dir.path(), &[]), &mut sage);
    assert_eq!(result.code, ResultCode::Fail);
    assert!(result.message.contains("read-only"), "{}", result.message);
    assert_eq!(state::get(CURSOR_KEY), None);
}

#[test]
fn describe_asks_for_sage() {
    let info = wharf_guest::testing::describe::<ExportStockRecords>();
    assert_eq!(info.name, "sage50-export-stock-records");
    assert_eq!(info.capabilities, ["sage"]);
    let export_type = info
        .settings
        .iter()
        .find(|s| s.name == "export-type")
        .unwrap();
    assert_eq!(export_type.allowed_values, ["Modified", "New", "All"]);
}
