//! The host's `sage` interface (feature `sage`): the Sage 50 ledger of the run. A component
//! using it lists `sage` in its capabilities.
//!
//! Write the task against [`SageBackend`]: [`HostSage`] in the component, [`fake::FakeSage`]
//! in native unit tests.

#[allow(missing_docs)]
mod bindings {
    wit_bindgen::generate!({ world: "sage-imports", path: "wit", generate_all });
}

pub use bindings::wharf::task::sage::*;

#[cfg(not(target_arch = "wasm32"))]
pub mod fake;

/// The `sage` operations the Sage tasks use: the host's, or a stand-in in native tests. Each is
/// the WIT function of the same name (see `wit/sage.wit`).
pub trait SageBackend {
    /// Creates or updates the customer accounts of a Zynk XML document.
    fn import_customers(
        &mut self,
        document: &[u8],
        settings: &CustomerImportSettings,
    ) -> Result<ImportOutcome, String>;
    /// Imports the sales orders of a Zynk XML document.
    fn import_sales_orders(
        &mut self,
        document: &[u8],
        settings: &SalesOrderImportSettings,
    ) -> Result<ImportOutcome, String>;
    /// Selects the stock records to export, as a Zynk XML document.
    fn export_stock_records(
        &mut self,
        settings: &StockExportSettings,
    ) -> Result<StockExport, String>;
    /// Records that an export's file is written, so its records count as exported.
    fn commit_stock_export(&mut self, export_id: u64) -> Result<(), String>;
    /// Imports the invoices and credit notes of a Zynk XML document.
    fn import_invoices(
        &mut self,
        document: &[u8],
        settings: &InvoiceImportSettings,
    ) -> Result<ImportOutcome, String>;
    /// Imports the audit-trail transactions of a Zynk XML document.
    fn import_transactions(
        &mut self,
        document: &[u8],
        settings: &TransactionImportSettings,
    ) -> Result<ImportOutcome, String>;
    /// Selects the customer accounts to export, as a Zynk XML document.
    fn export_customers(&mut self, settings: &RecordExportSettings)
    -> Result<RecordExport, String>;
    /// Selects the invoices to export, as a Zynk XML document.
    fn export_invoices(&mut self, settings: &RecordExportSettings) -> Result<RecordExport, String>;
    /// Records that a customer or invoice export's file is written.
    fn commit_export(&mut self, export_id: u64) -> Result<(), String>;
}

/// The host's `sage` interface (callable only inside the host; natively it traps).
pub struct HostSage;

impl SageBackend for HostSage {
    fn import_customers(
        &mut self,
        document: &[u8],
        settings: &CustomerImportSettings,
    ) -> Result<ImportOutcome, String> {
        import_customers(document, settings)
    }

    fn import_sales_orders(
        &mut self,
        document: &[u8],
        settings: &SalesOrderImportSettings,
    ) -> Result<ImportOutcome, String> {
        import_sales_orders(document, settings)
    }

    fn export_stock_records(
        &mut self,
        settings: &StockExportSettings,
    ) -> Result<StockExport, String> {
        export_stock_records(settings)
    }

    fn commit_stock_export(&mut self, export_id: u64) -> Result<(), String> {
        commit_stock_export(export_id)
    }

    fn import_invoices(
        &mut self,
        document: &[u8],
        settings: &InvoiceImportSettings,
    ) -> Result<ImportOutcome, String> {
        import_invoices(document, settings)
    }

    fn import_transactions(
        &mut self,
        document: &[u8],
        settings: &TransactionImportSettings,
    ) -> Result<ImportOutcome, String> {
        import_transactions(document, settings)
    }

    fn export_customers(
        &mut self,
        settings: &RecordExportSettings,
    ) -> Result<RecordExport, String> {
        export_customers(settings)
    }

    fn export_invoices(&mut self, settings: &RecordExportSettings) -> Result<RecordExport, String> {
        export_invoices(settings)
    }

    fn commit_export(&mut self, export_id: u64) -> Result<(), String> {
        commit_export(export_id)
    }
}
