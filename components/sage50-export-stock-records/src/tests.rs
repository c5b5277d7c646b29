use std::path::Path;

use sage50::sage::{CustomerImportSettings, ImportOutcome, SalesOrderImportSettings, StockExport};
use wharf_guest::ResultCode;

use super::*;

/// Runs the task on raw settings, as the host passes them.
fn run_pairs(pairs: Vec<(String, String)>, sage: &mut impl SageBackend) -> TaskResult {
    match <ExportStockRecordsSettings as wharf_guest::TaskSettings>::parse(
        &wharf_guest::Settings::new(pairs),
    ) {
        Ok(settings) => run(&settings, sage),
        Err(e) => e.into(),
    }
}

/// Answers with `exported` records and remembers what it was asked.
struct FakeSage {
    exported: u64,
    commit_fails: bool,
    asked: Vec<StockExportSettings>,
    committed: Vec<u64>,
}

impl FakeSage {
    fn new(exported: u64) -> Self {
        FakeSage {
            exported,
            commit_fails: false,
            asked: Vec::new(),
            committed: Vec::new(),
        }
    }
}

impl SageBackend for FakeSage {
    fn import_customers(
        &mut self,
        _: &[u8],
        _: &CustomerImportSettings,
    ) -> Result<ImportOutcome, String> {
        Err("not this task's business".into())
    }

    fn import_sales_orders(
        &mut self,
        _: &[u8],
        _: &SalesOrderImportSettings,
    ) -> Result<ImportOutcome, String> {
        Err("not this task's business".into())
    }

    fn export_stock_records(
        &mut self,
        settings: &StockExportSettings,
    ) -> Result<StockExport, String> {
        self.asked.push(settings.clone());
        Ok(StockExport {
            document: format!(
                "<Company><Products>{}</Products></Company>",
                "<Product/>".repeat(self.exported as usize)
            ),
            scanned: self.exported + 1,
            exported: self.exported,
            suppressed: 1,
            next_cursor: "2024-03-01T09:00:00.000001".into(),
            export_id: 7,
        })
    }

    fn commit_stock_export(&mut self, export_id: u64) -> Result<(), String> {
        if self.commit_fails {
            return Err("the truth store is read-only".into());
        }
        self.committed.push(export_id);
        Ok(())
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
    let mut sage = FakeSage::new(2);
    let result = run_pairs(settings(dir.path(), &[]), &mut sage);
    assert_eq!(result.code, ResultCode::SuccessData, "{}", result.message);
    assert_eq!(
        (result.counts.records_in, result.counts.records_out),
        (3, 2)
    );
    assert_eq!(
        sage.asked[0].since, None,
        "the first run exports everything"
    );
    assert_eq!(sage.asked[0].export_type, ExportType::Modified);
    assert_eq!(sage.committed, [7]);
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
        sage.asked[1].since.as_deref(),
        Some("2024-03-01T09:00:00.000001"),
        "the stored cursor wins over the first-run setting"
    );
    state::remove(CURSOR_KEY);
}

#[test]
fn nothing_exported_is_success_no_data_and_still_writes_the_file() {
    state::remove(CURSOR_KEY);
    let dir = tempfile::tempdir().unwrap();
    let mut sage = FakeSage::new(0);
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
    assert_eq!(sage.asked[0].since.as_deref(), Some("2024-01-01T00:00:00"));
    assert!(sage.asked[0].export_published);
    assert!(dir.path().join("stock.xml").exists());
    state::remove(CURSOR_KEY);
}

#[test]
fn legacy_export_all_overrides_the_export_type() {
    state::remove(CURSOR_KEY);
    let dir = tempfile::tempdir().unwrap();
    let mut sage = FakeSage::new(1);
    run_pairs(
        settings(
            dir.path(),
            &[("export-type", "New"), ("export-all", "true")],
        ),
        &mut sage,
    );
    assert_eq!(sage.asked[0].export_type, ExportType::All);
    run_pairs(settings(dir.path(), &[("export-type", "new")]), &mut sage);
    assert_eq!(sage.asked[1].export_type, ExportType::New);
    state::remove(CURSOR_KEY);
}

#[test]
fn a_failed_commit_fails_the_task_and_keeps_the_cursor() {
    state::remove(CURSOR_KEY);
    let dir = tempfile::tempdir().unwrap();
    let mut sage = FakeSage::new(1);
    sage.commit_fails = true;
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
