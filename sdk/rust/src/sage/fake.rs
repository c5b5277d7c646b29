//! A Sage ledger stand-in for native unit tests: it answers with what the test set and keeps
//! every call.

use super::{
    CustomerImportSettings, ImportCounts, ImportOutcome, InvoiceImportSettings, RecordExport,
    RecordExportSettings, SageBackend, SalesOrderImportSettings, StockExport, StockExportSettings,
    TransactionImportSettings,
};

/// Answers every call with the test's answers and records the calls.
#[derive(Debug, Clone, Default)]
pub struct FakeSage {
    /// What every import answers; `None`: a document with no records.
    pub import_outcome: Option<ImportOutcome>,
    /// What `export_stock_records` answers; `None`: nothing selected.
    pub stock_export: Option<StockExport>,
    /// When set, every call but `commit_stock_export` fails with this message.
    pub failure: Option<String>,
    /// When set, `commit_stock_export` fails with this message.
    pub commit_failure: Option<String>,
    /// The customer imports asked for: document and settings.
    pub customer_imports: Vec<(Vec<u8>, CustomerImportSettings)>,
    /// The sales order imports asked for: document and settings.
    pub order_imports: Vec<(Vec<u8>, SalesOrderImportSettings)>,
    /// The stock exports asked for.
    pub stock_exports: Vec<StockExportSettings>,
    /// The export ids committed.
    pub commits: Vec<u64>,
    /// What `export_customers` and `export_invoices` answer; `None`: nothing selected.
    pub record_export: Option<RecordExport>,
    /// The invoice imports asked for: document and settings.
    pub invoice_imports: Vec<(Vec<u8>, InvoiceImportSettings)>,
    /// The transaction imports asked for: document and settings.
    pub transaction_imports: Vec<(Vec<u8>, TransactionImportSettings)>,
    /// The customer and invoice exports asked for: `customers` or `invoices`, and the settings.
    pub record_exports: Vec<(&'static str, RecordExportSettings)>,
}

impl FakeSage {
    fn outcome(&self) -> Result<ImportOutcome, String> {
        if let Some(message) = &self.failure {
            return Err(message.clone());
        }
        Ok(self
            .import_outcome
            .clone()
            .unwrap_or_else(|| ImportOutcome {
                success_document: String::new(),
                fail_document: String::new(),
                counts: ImportCounts {
                    records_read: 0,
                    imported: 0,
                    failed: 0,
                    customers_created: 0,
                    customers_updated: 0,
                    products_created: 0,
                },
                warnings: Vec::new(),
                aborted: None,
            }))
    }
}

impl FakeSage {
    fn record_export(
        &mut self,
        kind: &'static str,
        settings: &RecordExportSettings,
    ) -> Result<RecordExport, String> {
        self.record_exports.push((kind, settings.clone()));
        if let Some(message) = &self.failure {
            return Err(message.clone());
        }
        Ok(self.record_export.clone().unwrap_or_else(|| RecordExport {
            document: String::new(),
            scanned: 0,
            exported: 0,
            suppressed: 0,
            next_cursor: String::new(),
            export_id: 0,
        }))
    }
}

impl SageBackend for FakeSage {
    fn import_customers(
        &mut self,
        document: &[u8],
        settings: &CustomerImportSettings,
    ) -> Result<ImportOutcome, String> {
        self.customer_imports
            .push((document.to_vec(), settings.clone()));
        self.outcome()
    }

    fn import_sales_orders(
        &mut self,
        document: &[u8],
        settings: &SalesOrderImportSettings,
    ) -> Result<ImportOutcome, String> {
        self.order_imports
            .push((document.to_vec(), settings.clone()));
        self.outcome()
    }

    fn export_stock_records(
        &mut self,
        settings: &StockExportSettings,
    ) -> Result<StockExport, String> {
        self.stock_exports.push(settings.clone());
        if let Some(message) = &self.failure {
            return Err(message.clone());
        }
        Ok(self.stock_export.clone().unwrap_or_else(|| StockExport {
            document: String::new(),
            scanned: 0,
            exported: 0,
            suppressed: 0,
            next_cursor: String::new(),
            export_id: 0,
        }))
    }

    fn commit_stock_export(&mut self, export_id: u64) -> Result<(), String> {
        if let Some(message) = &self.commit_failure {
            return Err(message.clone());
        }
        self.commits.push(export_id);
        Ok(())
    }

    fn import_invoices(
        &mut self,
        document: &[u8],
        settings: &InvoiceImportSettings,
    ) -> Result<ImportOutcome, String> {
        self.invoice_imports
            .push((document.to_vec(), settings.clone()));
        self.outcome()
    }

    fn import_transactions(
        &mut self,
        document: &[u8],
        settings: &TransactionImportSettings,
    ) -> Result<ImportOutcome, String> {
        self.transaction_imports
            .push((document.to_vec(), settings.clone()));
        self.outcome()
    }

    fn export_customers(
        &mut self,
        settings: &RecordExportSettings,
    ) -> Result<RecordExport, String> {
        self.record_export("customers", settings)
    }

    fn export_invoices(&mut self, settings: &RecordExportSettings) -> Result<RecordExport, String> {
        self.record_export("invoices", settings)
    }

    fn commit_export(&mut self, export_id: u64) -> Result<(), String> {
        self.commit_stock_export(export_id)
    }
}
