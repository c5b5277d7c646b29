//! Export Customers from Sage 50 UK (docs/sage50.md): the customer accounts created or changed
//! since the last successful run, as a Zynk XML `Customers` file. The cursor is this task's
//! state, committed only when the task succeeds; content hashes leave out accounts touched but
//! not changed, committed once the file is written.

use std::path::PathBuf;

use sage50::{ExportTypeChoice, SageBackend, export_settings, finish_export};
use wharf_guest::{TaskResult, TaskSettings};

/// The settings of `sage50-export-customers`.
#[derive(Debug, Clone, TaskSettings)]
pub struct ExportCustomersSettings {
    /// Written with the selected accounts (Company/Customers), even when there are none.
    pub output_file: PathBuf,
    /// Modified: created or changed since the last run; New: created since; All: every account.
    #[setting(default = "Modified")]
    pub export_type: ExportTypeChoice,
    /// Where the first run starts (later runs continue from their own cursor); empty for
    /// everything.
    #[setting(kind = date_time)]
    pub date_time_modified: Option<String>,
}

/// The component; exported to the host on WebAssembly.
pub struct ExportCustomers;

sage50::export_sage_task!(
    ExportCustomers,
    ExportCustomersSettings,
    "sage50-export-customers",
    "Exports the Sage 50 UK customer accounts changed since the last run as a Zynk XML file.",
    truth_kinds = [sage50::truth_kinds::CUSTOMER],
);

/// The whole task against a `sage` backend.
pub fn run(settings: &ExportCustomersSettings, sage: &mut impl SageBackend) -> TaskResult {
    let selection = export_settings(
        settings.export_type,
        settings.date_time_modified.clone(),
        false,
    );
    let export = sage.export_customers(&selection);
    finish_export("customer(s)", &settings.output_file, sage, export)
}

#[cfg(test)]
mod tests {
    use sage50::CURSOR_KEY;
    use sage50::sage::{ExportType, RecordExport};
    use wharf_guest::sage::fake::FakeSage;
    use wharf_guest::{ResultCode, state};

    use super::*;

    fn settings(dir: &std::path::Path, export_type: &str) -> ExportCustomersSettings {
        <ExportCustomersSettings as wharf_guest::TaskSettings>::parse(&wharf_guest::Settings::new(
            vec![
                (
                    "output-file".to_owned(),
                    dir.join("customers.xml").display().to_string(),
                ),
                ("export-type".to_owned(), export_type.to_owned()),
                (
                    "date-time-modified".to_owned(),
                    "2024-01-01T00:00:00".to_owned(),
                ),
            ],
        ))
        .unwrap()
    }

    #[test]
    fn the_cursor_moves_only_after_the_file_and_hashes_are_kept() {
        state::remove(CURSOR_KEY);
        let dir = tempfile::tempdir().unwrap();
        let mut sage = FakeSage {
            record_export: Some(RecordExport {
                document: "<Company><Customers><Customer/></Customers></Company>".into(),
                scanned: 2,
                exported: 1,
                suppressed: 1,
                next_cursor: "2024-03-01T09:00:00.000001".into(),
                export_id: 3,
            }),
            ..FakeSage::default()
        };
        let result = run(&settings(dir.path(), "New"), &mut sage);
        assert_eq!(result.code, ResultCode::SuccessData, "{}", result.message);
        assert_eq!(sage.record_exports[0].0, "customers");
        assert_eq!(sage.record_exports[0].1.export_type, ExportType::New);
        assert_eq!(
            sage.record_exports[0].1.since.as_deref(),
            Some("2024-01-01T00:00:00")
        );
        assert_eq!(sage.commits, [3]);
        assert_eq!(
            state::get(CURSOR_KEY).as_deref(),
            Some("2024-03-01T09:00:00.000001")
        );
        assert!(
            std::fs::read_to_string(dir.path().join("customers.xml"))
                .unwrap()
                .contains("<Customer/>")
        );

        // The next run continues from the stored cursor; a failed commit keeps it.
        sage.commit_failure = Some("truth store down".into());
        let result = run(&settings(dir.path(), "Modified"), &mut sage);
        assert_eq!(result.code, ResultCode::Fail);
        assert_eq!(
            sage.record_exports[1].1.since.as_deref(),
            Some("2024-03-01T09:00:00.000001")
        );
        state::remove(CURSOR_KEY);
    }
}
