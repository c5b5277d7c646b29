//! Export Invoices from Sage 50 UK (docs/sage50.md): the invoices and credit notes created or
//! changed since the last successful run (a payment allocated to an invoice changes it), as a
//! Zynk XML `Invoices` file, in the way Export Customers works.

use std::path::PathBuf;

use sage50::{ExportTypeChoice, SageBackend, export_settings, finish_export};
use wharf_guest::{TaskResult, TaskSettings};

/// The settings of `sage50-export-invoices`.
#[derive(Debug, Clone, TaskSettings)]
pub struct ExportInvoicesSettings {
    /// Written with the selected invoices (Company/Invoices), even when there are none.
    pub output_file: PathBuf,
    /// Modified: created or changed since the last run; New: created since; All: every invoice.
    #[setting(default = "Modified")]
    pub export_type: ExportTypeChoice,
    /// Where the first run starts (later runs continue from their own cursor); empty for
    /// everything.
    #[setting(kind = date_time)]
    pub date_time_modified: Option<String>,
    /// Amounts in the company's base currency instead of the account's.
    #[setting(default = false)]
    pub use_base_currency: bool,
}

/// The component; exported to the host on WebAssembly.
pub struct ExportInvoices;

sage50::export_sage_task!(
    ExportInvoices,
    ExportInvoicesSettings,
    "sage50-export-invoices",
    "Exports the Sage 50 UK invoices and credit notes changed since the last run as a Zynk XML file.",
    truth_kinds = [sage50::truth_kinds::INVOICE],
);

/// The whole task against a `sage` backend.
pub fn run(settings: &ExportInvoicesSettings, sage: &mut impl SageBackend) -> TaskResult {
    let selection = export_settings(
        settings.export_type,
        settings.date_time_modified.clone(),
        settings.use_base_currency,
    );
    let export = sage.export_invoices(&selection);
    finish_export("invoice(s)", &settings.output_file, sage, export)
}

#[cfg(test)]
mod tests {
    use wharf_guest::ResultCode;
    use wharf_guest::sage::fake::FakeSage;

    use super::*;

    #[test]
    fn nothing_selected_is_success_no_data_with_the_file_written() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("out/invoices.xml");
        let settings = <ExportInvoicesSettings as wharf_guest::TaskSettings>::parse(
            &wharf_guest::Settings::new(vec![
                ("output-file".to_owned(), output.display().to_string()),
                ("use-base-currency".to_owned(), "true".to_owned()),
            ]),
        )
        .unwrap();
        let mut sage = FakeSage::default();
        let result = run(&settings, &mut sage);
        assert_eq!(result.code, ResultCode::SuccessNoData, "{}", result.message);
        assert_eq!(sage.record_exports[0].0, "invoices");
        assert!(sage.record_exports[0].1.use_base_currency);
        assert!(output.exists());

        let mut refusing = FakeSage {
            failure: Some("Export Invoices is not supported by the SDO agent yet".into()),
            ..FakeSage::default()
        };
        let result = run(&settings, &mut refusing);
        assert_eq!(result.code, ResultCode::Fail);
        assert!(result.message.contains("SDO agent"), "{}", result.message);
    }
}
