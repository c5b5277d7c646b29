//! The Sage 50 tasks of the tutorials, on top of the ledger (docs/zynk-reference.md §2.0 import/export patterns).
//!
//! Imports process each record on its own: a record that fails goes to the fail document with
//! an `Errors/Error` naming what to fix, the others go on. Both documents are always produced,
//! in input order (docs/zynk-reference.md §3.7, §6.22). If the truth store or the database itself fails, the run stops:
//! the records not reached go to the fail document saying so, and [`ImportReport::aborted`]
//! carries the reason — records already imported stay in the success document, never lost.
//! No warnings are written into success records (docs/zynk-reference.md §6.22 choice); they are in
//! [`ImportReport::warnings`].

mod accounts;
mod export_hashes;
mod export_records;
mod export_stock;
mod import_customers;
mod import_invoices;
mod import_orders;
mod import_transactions;
mod load_products;
mod mapping;
pub mod settings;

use chrono::{Local, Offset, TimeZone};
use serde::{Deserialize, Serialize};
use zynk_xml::{Company, Customer, Parsed, Product, SalesOrder, XmlDateTime, ZynkError};

use crate::account_refs::AccountReferenceSettingsError;
use crate::backend::{BackendError, SageBackend};
use crate::error::LedgerError;
use crate::journal::ImportJournal;
use crate::truth::{TruthRecord, TruthStore, TruthStoreError};

pub use export_records::{
    RecordExport, RecordExportSettings, customer_to_xml, export_customers, export_invoices,
    invoice_to_xml,
};
pub use export_stock::{StockExport, content_hash, export_stock_records};
pub use import_customers::import_customers;
pub use import_invoices::{InvoiceImportSettings, import_invoices};
pub use import_orders::import_sales_orders;
pub use import_transactions::{TransactionImportSettings, import_transactions};
pub use load_products::{ProductLoad, load_products};
pub use settings::{
    CustomerImportSettings, ExportType, SalesOrderImportSettings, StockExportSettings, never,
};

/// What an import run produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Imported records, enriched with the keys Sage assigned.
    pub success: Company,
    /// Rejected records, each with its `Errors` collection.
    pub fail: Company,
    pub counts: ImportCounts,
    /// Things done differently from what the data asked, per record (e.g. ignored currency).
    pub warnings: Vec<String>,
    /// Set when the run stopped early because the truth store or the database failed.
    pub aborted: Option<String>,
}

impl ImportReport {
    pub fn success_xml(&self) -> String {
        self.success.to_xml()
    }

    pub fn fail_xml(&self) -> String {
        self.fail.to_xml()
    }

    /// The success and fail documents, each record let go once it is written: the success
    /// records are gone before the fail document is made (the same bytes as
    /// [`Self::success_xml`] and [`Self::fail_xml`]).
    pub fn take_documents(&mut self) -> (String, String) {
        let success = std::mem::take(&mut self.success).to_xml();
        let fail = std::mem::take(&mut self.fail).to_xml();
        (success, fail)
    }
}

/// Per-run counts (`JobItem.InCount/OutCount/ErrorCount` and a little more).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCounts {
    /// Records in the input collection, readable or not.
    pub read: usize,
    pub imported: usize,
    pub failed: usize,
    pub customers_created: usize,
    pub customers_updated: usize,
    pub products_created: usize,
}

/// A task that could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum ProcedureError {
    #[error("the task settings are not valid: {0}")]
    InvalidSettings(#[from] AccountReferenceSettingsError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error(transparent)]
    Truth(#[from] TruthStoreError),
}

/// Replays the backend's truth journal into `truth`: the rows of records a killed run committed
/// to Sage without reaching the truth store (see [`crate::Ledger::set_truth_journal`] and
/// [`crate::JournaledBackend`]). Returns how many rows were missing. The imports call it first;
/// without a journal scope it does nothing.
pub fn recover_truth<B: ImportJournal + ?Sized>(
    backend: &mut B,
    truth: &mut dyn TruthStore,
) -> Result<usize, ProcedureError> {
    let mut recovered = 0;
    for entry in backend.truth_journal()? {
        let record = entry.record;
        let Some(external_id) = record.external_id.as_deref() else {
            continue;
        };
        let current = truth.find_by_external_id(&record.record_type, external_id)?;
        if current
            .as_ref()
            .is_some_and(|row| row.internal_id == record.internal_id)
        {
            continue;
        }
        truth.upsert(&TruthRecord {
            hash: current.and_then(|row| row.hash),
            ..record
        })?;
        recovered += 1;
    }
    Ok(recovered)
}

/// Writes the truth rows `truth` held back ([`TruthStore::flush`]), then clears the journal
/// rows the truth store now holds; after an aborted run they stay, to be replayed by the next.
/// A journal that cannot be cleared is replayed again, which is harmless. Rows that cannot be
/// written stop the import (`aborted`): the journal keeps them for the next run.
pub(crate) fn finish_journal<B: ImportJournal + ?Sized>(
    backend: &mut B,
    truth: &mut dyn TruthStore,
    aborted: &mut Option<String>,
    warnings: &mut Vec<String>,
) {
    if let Err(error) = truth.flush() {
        aborted.get_or_insert_with(|| error.to_string());
        return;
    }
    if aborted.is_some() {
        return;
    }
    if let Err(error) = backend.clear_truth_journal() {
        warnings.push(format!(
            "the truth journal could not be cleared ({error}); the next run replays it"
        ));
    }
}

/// Why one record was not imported.
pub(crate) enum RecordFailure {
    /// The data is at fault; the message tells the bookkeeper what to change.
    Rejected(String),
    /// The infrastructure failed; the run stops.
    Abort(String),
}

impl From<TruthStoreError> for RecordFailure {
    fn from(error: TruthStoreError) -> Self {
        RecordFailure::Abort(error.to_string())
    }
}

impl From<LedgerError> for RecordFailure {
    fn from(error: LedgerError) -> Self {
        match error {
            LedgerError::Rejected(rejection) => RecordFailure::Rejected(rejection.to_string()),
            other => RecordFailure::Abort(other.to_string()),
        }
    }
}

impl From<BackendError> for RecordFailure {
    fn from(error: BackendError) -> Self {
        match error {
            BackendError::Rejected(rejection) => RecordFailure::Rejected(rejection.to_string()),
            // Busy through the backend's retries, or Sage unusable: the run stops and the next
            // one resumes here.
            other => RecordFailure::Abort(other.to_string()),
        }
    }
}

impl From<crate::error::Rejection> for RecordFailure {
    fn from(rejection: crate::error::Rejection) -> Self {
        RecordFailure::Rejected(rejection.to_string())
    }
}

/// A record that went through; `stop_after` stops the run after it (its truth row could not be
/// written, so later records could be duplicated).
pub(crate) struct Imported<T> {
    pub record: T,
    pub stop_after: Option<String>,
}

impl<T> Imported<T> {
    pub(crate) fn new(record: T) -> Self {
        Imported {
            record,
            stop_after: None,
        }
    }
}

/// Typed records that carry an `Errors` collection.
pub(crate) trait CarriesErrors {
    fn errors_mut(&mut self) -> &mut Vec<ZynkError>;
}

impl CarriesErrors for Customer {
    fn errors_mut(&mut self) -> &mut Vec<ZynkError> {
        &mut self.errors
    }
}

impl CarriesErrors for SalesOrder {
    fn errors_mut(&mut self) -> &mut Vec<ZynkError> {
        &mut self.errors
    }
}

impl CarriesErrors for Product {
    fn errors_mut(&mut self) -> &mut Vec<ZynkError> {
        &mut self.errors
    }
}

/// The fail-file error date: the company's local time with the machine's offset.
pub(crate) fn error_date<B: SageBackend + ?Sized>(
    backend: &mut B,
) -> Result<XmlDateTime, ProcedureError> {
    let now = backend.now()?;
    let offset = Local
        .offset_from_local_datetime(&now)
        .earliest()
        .map(|offset| offset.fix())
        .unwrap_or_else(|| chrono::Utc.fix());
    Ok(match offset.from_local_datetime(&now).single() {
        Some(moment) => XmlDateTime::from_offset(moment),
        None => XmlDateTime::from_naive(now),
    })
}

/// "Order 3 (Id '456')".
pub(crate) fn record_label(kind: &str, index: usize, key: Option<&str>) -> String {
    match key {
        Some(key) => format!("{kind} {index} (Id '{key}')"),
        None => format!("{kind} {index}"),
    }
}

/// Results of processing one collection.
pub(crate) struct RunResult<T> {
    pub success: Vec<Parsed<T>>,
    pub fail: Vec<Parsed<T>>,
    pub aborted: Option<String>,
}

/// Runs `process` on every readable record, in order, sorting the results into success and
/// fail lists and stopping on an infrastructure failure.
///
/// The records are worked on where they are: each becomes its success or fail form in
/// `entries`, and the fail forms are then moved out, so the document's records are held once
/// for the whole run (not the input and the results side by side).
pub(crate) fn run_records<T, F>(
    mut entries: Vec<Parsed<T>>,
    operation: &str,
    date: &XmlDateTime,
    mut process: F,
) -> RunResult<T>
where
    T: CarriesErrors,
    F: FnMut(usize, &T) -> Result<Imported<T>, RecordFailure>,
{
    let mut aborted: Option<String> = None;
    let mut failed = vec![false; entries.len()];
    let error = |description: String| ZynkError::new(date.clone(), operation, description);
    for (position, entry) in entries.iter_mut().enumerate() {
        let index = position + 1;
        match entry {
            Parsed::Malformed(malformed) => {
                let description = match &aborted {
                    Some(reason) => not_reached(reason),
                    None => malformed.error().to_string(),
                };
                malformed.errors = vec![error(description)];
                failed[position] = true;
            }
            Parsed::Record(record) => {
                record.errors_mut().clear();
                if let Some(reason) = &aborted {
                    record.errors_mut().push(error(not_reached(reason)));
                    failed[position] = true;
                    continue;
                }
                match process(index, record) {
                    Ok(imported) => {
                        *record = imported.record;
                        aborted = imported.stop_after;
                    }
                    Err(RecordFailure::Rejected(message)) => {
                        record.errors_mut().push(error(message));
                        failed[position] = true;
                    }
                    Err(RecordFailure::Abort(reason)) => {
                        record.errors_mut().push(error(not_reached(&reason)));
                        failed[position] = true;
                        aborted = Some(reason);
                    }
                }
            }
        }
    }
    // `extract_if` visits the records once each, in order; both lists keep the input order.
    let mut failed = failed.into_iter();
    let fail = entries
        .extract_if(.., |_| failed.next().unwrap_or(false))
        .collect();
    RunResult {
        success: entries,
        fail,
        aborted,
    }
}

pub(crate) fn not_reached(reason: &str) -> String {
    format!(
        "Not imported because the import stopped: {reason}. Fix the problem and run the import again; the records imported before it stopped are in the success file."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: &str) -> Parsed<SalesOrder> {
        Parsed::Record(SalesOrder {
            id: Some(id.into()),
            ..SalesOrder::default()
        })
    }

    fn ids(entries: &[Parsed<SalesOrder>]) -> Vec<String> {
        entries
            .iter()
            .map(|entry| match entry {
                Parsed::Record(order) => format!(
                    "{}:{}",
                    order.id.as_deref().unwrap_or("-"),
                    order.sales_order_number.as_deref().unwrap_or("")
                ),
                Parsed::Malformed(malformed) => format!("malformed {}", malformed.index),
            })
            .collect()
    }

    /// Worked on in place, the records still sort into both lists in input order: the success
    /// forms are what `process` returned, the failures carry their errors, and after an abort
    /// the rest fail as not reached.
    #[test]
    fn records_sort_into_success_and_fail_in_input_order() {
        let date = XmlDateTime::from_naive(
            chrono::NaiveDate::from_ymd_opt(2024, 5, 1)
                .unwrap()
                .and_hms_opt(9, 0, 0)
                .unwrap(),
        );
        let entries = vec![
            order("A"),
            order("bad-1"),
            order("B"),
            order("bad-2"),
            order("C"),
            order("stop"),
            order("D"),
        ];
        let result = run_records(entries, "Sales Order Import", &date, |index, order| {
            let id = order.id.as_deref().unwrap();
            if id.starts_with("bad") {
                return Err(RecordFailure::Rejected(format!("{id} refused")));
            }
            if id == "stop" {
                return Err(RecordFailure::Abort("the ledger is gone".into()));
            }
            let mut imported = order.clone();
            imported.sales_order_number = Some(index.to_string());
            Ok(Imported::new(imported))
        });
        assert_eq!(ids(&result.success), ["A:1", "B:3", "C:5"]);
        assert_eq!(ids(&result.fail), ["bad-1:", "bad-2:", "stop:", "D:"]);
        let errors: Vec<_> = result
            .fail
            .iter()
            .map(|entry| match entry {
                Parsed::Record(order) => order.errors.len(),
                Parsed::Malformed(_) => 0,
            })
            .collect();
        assert_eq!(errors, [1, 1, 1, 1]);
        assert_eq!(result.aborted.as_deref(), Some("the ledger is gone"));
    }
}
