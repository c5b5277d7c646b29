//! Import Transactions into Sage 50 UK (docs/sage50.md "Import Transactions").
//!
//! Records are posted in groups: consecutive invoices or credits (SI, SC, PI, PC) with the same
//! type, account, references and date become one transaction with a split each; consecutive
//! journal lines (JD, JC) with the same references and date one journal, which must balance.
//! Every other record is a group of its own. A group is posted whole or not at all: when the
//! ledger refuses it, each of its records goes to the fail file with the reason.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use zynk_xml::{
    Company, Parsed, Transaction as XmlTransaction, TransactionType as XmlType, ZynkError,
};

use super::accounts::linked_account;
use super::mapping::non_blank;
use super::{
    CarriesErrors, ImportCounts, ImportReport, ProcedureError, RecordFailure, error_date,
    finish_journal, recover_truth,
};
use crate::audit::TranType;
use crate::backend::ImportBackend;
use crate::journal::{JournalKey, StagedTruth};
use crate::transactions::{JournalLine, PostedGroup, TransactionLine, TransactionRequest};
use crate::truth::{TruthRecord, TruthStore, record_types};

const OPERATION: &str = "Transaction Import";

impl CarriesErrors for XmlTransaction {
    fn errors_mut(&mut self) -> &mut Vec<ZynkError> {
        &mut self.errors
    }
}

/// Import Transactions' settings (docs/sage50.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TransactionImportSettings {
    /// Allocate SC, SA (SR), PC and PA (PP) to the invoice with the same account and Reference.
    pub auto_allocate: bool,
    pub prevent_duplicates: bool,
    /// Where a journal's or transfer's variance is posted; empty: an unbalanced journal is
    /// refused.
    pub journal_variance_nominal_code: String,
    /// Names the workflow whose truth records the import keeps (see the invoice import).
    pub key_scope: String,
}

impl Default for TransactionImportSettings {
    fn default() -> Self {
        TransactionImportSettings {
            auto_allocate: false,
            prevent_duplicates: true,
            journal_variance_nominal_code: String::new(),
            key_scope: String::new(),
        }
    }
}

/// Sage's type code of an XML transaction type.
fn tran_type(kind: XmlType) -> TranType {
    match kind {
        XmlType::SalesInvoice => TranType::SI,
        XmlType::SalesCredit => TranType::SC,
        XmlType::SalesReceipt => TranType::SR,
        XmlType::SalesReceiptOnAccount => TranType::SA,
        XmlType::SalesPayment => TranType::SP,
        XmlType::PurchaseInvoice => TranType::PI,
        XmlType::PurchaseCredit => TranType::PC,
        XmlType::PurchasePayment => TranType::PP,
        XmlType::PurchasePaymentOnAccount => TranType::PA,
        XmlType::PurchaseReceipt => TranType::PR,
        XmlType::BankReceipt => TranType::BR,
        XmlType::BankPayment => TranType::BP,
        // A transfer is two journal lines; JD stands for it in grouping only.
        XmlType::BankTransfer | XmlType::JournalDebit => TranType::JD,
        XmlType::JournalCredit => TranType::JC,
    }
}

/// What makes consecutive records one group; `None`: the record stands alone.
fn group_key(record: &XmlTransaction) -> Option<(String, String, String, String, String)> {
    let kind = record.transaction_type?;
    let text = |value: &Option<String>| non_blank(value).unwrap_or_default().to_owned();
    let date = record
        .transaction_date
        .as_ref()
        .map(|date| date.naive_local().to_string())
        .unwrap_or_default();
    match kind {
        XmlType::SalesInvoice
        | XmlType::SalesCredit
        | XmlType::PurchaseInvoice
        | XmlType::PurchaseCredit => Some((
            kind.to_string(),
            text(&record.account_reference).to_ascii_uppercase(),
            text(&record.reference),
            text(&record.second_reference),
            date,
        )),
        // The journal's lines name different nominal codes in AccountReference, so that is not
        // part of the key (docs/sage50.md).
        XmlType::JournalDebit | XmlType::JournalCredit => Some((
            "journal".into(),
            String::new(),
            text(&record.reference),
            text(&record.second_reference),
            date,
        )),
        _ => None,
    }
}

/// Imports `input`'s `Transactions` collection (other collections are ignored).
pub fn import_transactions<B: ImportBackend + ?Sized>(
    backend: &mut B,
    truth: &mut dyn TruthStore,
    input: &Company,
    settings: &TransactionImportSettings,
) -> Result<ImportReport, ProcedureError> {
    recover_truth(backend, truth)?;
    let entries = input.transactions.as_deref().unwrap_or_default();
    let date = error_date(backend)?;
    let error = |description: String| ZynkError::new(date.clone(), OPERATION, description);
    // Per entry: Ok(transaction number) or Err(why), filled group by group.
    let mut outcomes: Vec<Option<Result<u32, String>>> = vec![None; entries.len()];
    let mut aborted: Option<String> = None;
    let mut imported_here: HashMap<String, u32> = HashMap::new();

    let mut position = 0;
    while position < entries.len() {
        let Parsed::Record(first) = &entries[position] else {
            position += 1;
            continue;
        };
        let key = group_key(first);
        let mut end = position + 1;
        while key.is_some()
            && end < entries.len()
            && matches!(&entries[end], Parsed::Record(next) if group_key(next) == key)
        {
            end += 1;
        }
        if aborted.is_none() {
            let group: Vec<(usize, &XmlTransaction)> = (position..end)
                .filter_map(|index| entries[index].as_record().map(|record| (index, record)))
                .collect();
            let result = import_group(
                backend,
                truth,
                settings,
                &group,
                &mut imported_here,
                &mut outcomes,
            );
            if let Err(reason) = result {
                aborted = Some(reason);
            }
        }
        position = end;
    }
    backend.set_replay_record(None);
    let mut warnings = Vec::new();
    finish_journal(backend, truth, &mut aborted, &mut warnings);

    let mut success = Vec::new();
    let mut fail = Vec::new();
    for (entry, outcome) in entries.iter().zip(outcomes) {
        match entry {
            Parsed::Malformed(malformed) => {
                let mut malformed = malformed.clone();
                malformed.errors = vec![error(match &aborted {
                    Some(reason) => super::not_reached(reason),
                    None => malformed.error().to_string(),
                })];
                fail.push(Parsed::Malformed(malformed));
            }
            Parsed::Record(record) => {
                let mut record = record.clone();
                record.errors.clear();
                match outcome {
                    Some(Ok(number)) => {
                        record.transaction_number = Some(number.to_string());
                        success.push(Parsed::Record(record));
                    }
                    Some(Err(reason)) => {
                        record.errors.push(error(reason));
                        fail.push(Parsed::Record(record));
                    }
                    None => {
                        let reason = aborted.as_deref().unwrap_or("it was not reached");
                        record.errors.push(error(super::not_reached(reason)));
                        fail.push(Parsed::Record(record));
                    }
                }
            }
        }
    }
    let counts = ImportCounts {
        read: entries.len(),
        imported: success.len(),
        failed: fail.len(),
        ..ImportCounts::default()
    };
    Ok(ImportReport {
        success: Company::with_transactions(success),
        fail: Company::with_transactions(fail),
        counts,
        warnings,
        aborted,
    })
}

/// A transaction's replay mark and truth row name it by its Id; one without an Id by its
/// position in the document (a group's records share the group's replay key).
fn journal_id(index: usize, record: &XmlTransaction) -> String {
    non_blank(&record.id).map_or_else(|| format!("#{index}"), str::to_owned)
}

/// The transaction number an interrupted run of this lineage gave this record (its group
/// posted from the same position of the same document): for a record with an Id, when it is
/// the one the truth store names.
fn replayed_transaction<B: ImportBackend + ?Sized>(
    backend: &mut B,
    truth: &dyn TruthStore,
    index: usize,
    record: &XmlTransaction,
) -> Result<Option<u32>, RecordFailure> {
    let Some(internal) = backend.replayed(record_types::TRANSACTION, &journal_id(index, record))?
    else {
        return Ok(None);
    };
    if let Some(id) = non_blank(&record.id) {
        let named = truth.find_by_external_id(record_types::TRANSACTION, id)?;
        if named.is_none_or(|row| row.internal_id != internal) {
            return Ok(None);
        }
    }
    Ok(internal.trim_start_matches('0').parse::<u32>().ok())
}

/// Posts one group; fills `outcomes` for its records. `Err` stops the import (the ledger or the
/// truth store failed).
fn import_group<B: ImportBackend + ?Sized>(
    backend: &mut B,
    truth: &mut dyn TruthStore,
    settings: &TransactionImportSettings,
    group: &[(usize, &XmlTransaction)],
    imported_here: &mut HashMap<String, u32>,
    outcomes: &mut [Option<Result<u32, String>>],
) -> Result<(), String> {
    // The group's replay marks name it by its first record's position.
    if let Some(&(first, _)) = group.first() {
        backend.set_replay_record(Some(first));
    }
    // Records refused on their own (duplicates, no type) leave the group; records the resumed
    // run's interrupted predecessor posted are reported as imported then.
    let mut members = Vec::new();
    for &(index, record) in group {
        match replayed_transaction(backend, &*truth, index, record) {
            Ok(Some(number)) => {
                backend
                    .claim_replayed(record_types::TRANSACTION, &journal_id(index, record))
                    .map_err(|e| e.to_string())?;
                if let (true, Some(id)) = (settings.prevent_duplicates, non_blank(&record.id)) {
                    imported_here.insert(id.to_owned(), number);
                }
                outcomes[index] = Some(Ok(number));
                continue;
            }
            Ok(None) => {}
            Err(RecordFailure::Rejected(reason)) => {
                outcomes[index] = Some(Err(reason));
                continue;
            }
            Err(RecordFailure::Abort(reason)) => return Err(reason),
        }
        match check_record(backend, truth, settings, record, imported_here) {
            Ok(()) => members.push((index, record)),
            Err(RecordFailure::Rejected(reason)) => outcomes[index] = Some(Err(reason)),
            Err(RecordFailure::Abort(reason)) => return Err(reason),
        }
    }
    let Some(&(_, first)) = members.first() else {
        return Ok(());
    };
    let records: Vec<&XmlTransaction> = members.iter().map(|(_, record)| *record).collect();
    let staged: Vec<StagedTruth> = members
        .iter()
        .enumerate()
        .map(|(line, (index, record))| StagedTruth {
            record_type: record_types::TRANSACTION.to_owned(),
            external_id: journal_id(*index, record),
            internal_id: JournalKey::LineNumber(line),
            replay_only: non_blank(&record.id).is_none(),
        })
        .collect();
    let posted = request(backend, truth, settings, first, &records).and_then(|request| {
        backend.stage_truth(staged);
        backend
            .post_transaction(&request)
            .map_err(RecordFailure::from)
    });
    match posted {
        Ok(PostedGroup { tran_numbers, .. }) => {
            for ((index, record), number) in members.iter().zip(tran_numbers) {
                outcomes[*index] = Some(Ok(number));
                if let Some(id) = non_blank(&record.id) {
                    if settings.prevent_duplicates {
                        imported_here.insert(id.to_owned(), number);
                    }
                    truth
                        .upsert(&TruthRecord {
                            record_type: record_types::TRANSACTION.to_owned(),
                            internal_id: format!("{number:010}"),
                            external_id: Some(id.to_owned()),
                            hash: None,
                        })
                        .map_err(|e| e.to_string())?;
                }
            }
            Ok(())
        }
        Err(RecordFailure::Rejected(reason)) => {
            let reason = if members.len() > 1 {
                format!(
                    "{reason} (the {} transactions of this group were not imported)",
                    members.len()
                )
            } else {
                reason
            };
            for (index, _) in &members {
                outcomes[*index] = Some(Err(reason.clone()));
            }
            Ok(())
        }
        Err(RecordFailure::Abort(reason)) => Err(reason),
    }
}

fn check_record<B: ImportBackend + ?Sized>(
    backend: &mut B,
    truth: &mut dyn TruthStore,
    settings: &TransactionImportSettings,
    record: &XmlTransaction,
    imported_here: &HashMap<String, u32>,
) -> Result<(), RecordFailure> {
    if record.transaction_type.is_none() {
        return Err(RecordFailure::Rejected(
            "The TransactionType is missing".into(),
        ));
    }
    let Some(id) = non_blank(&record.id).filter(|_| settings.prevent_duplicates) else {
        return Ok(());
    };
    if let Some(number) = imported_here.get(id) {
        return Err(RecordFailure::Rejected(format!(
            "Transaction '{id}' is a duplicate: an earlier transaction in this file with the same Id was imported as transaction {number}, so this one was not imported"
        )));
    }
    let already = match truth.find_by_external_id(record_types::TRANSACTION, id)? {
        Some(row) => Some(row.internal_id.trim_start_matches('0').to_owned()),
        None => match backend.find_transaction_by_key(&key(settings, id))? {
            Some(number) => {
                // Posted by a run that stopped before writing its truth row: write it now.
                truth.upsert(&TruthRecord {
                    record_type: record_types::TRANSACTION.to_owned(),
                    internal_id: format!("{number:010}"),
                    external_id: Some(id.to_owned()),
                    hash: None,
                })?;
                Some(number.to_string())
            }
            None => None,
        },
    };
    match already {
        Some(number) => Err(RecordFailure::Rejected(format!(
            "Transaction '{id}' has already been imported as transaction {number}, so it was not imported again; delete its truth record to import it again"
        ))),
        None => Ok(()),
    }
}

fn key(settings: &TransactionImportSettings, id: &str) -> String {
    format!("{}/{id}", settings.key_scope)
}

fn record_key(settings: &TransactionImportSettings, record: &XmlTransaction) -> Option<String> {
    non_blank(&record.id)
        .filter(|_| settings.prevent_duplicates)
        .map(|id| key(settings, id))
}

fn line(settings: &TransactionImportSettings, record: &XmlTransaction) -> TransactionLine {
    TransactionLine {
        nominal_code: non_blank(&record.nominal_code).map(str::to_owned),
        department: record.department,
        tax_code: record.tax_code,
        details: record.details.clone().unwrap_or_default(),
        net: record.net_amount.unwrap_or(0.0),
        tax: record.tax_amount,
        key: record_key(settings, record),
    }
}

fn required_amount(record: &XmlTransaction) -> Result<(), RecordFailure> {
    if record.net_amount.is_none() {
        return Err(RecordFailure::Rejected("The NetAmount is missing".into()));
    }
    Ok(())
}

/// The ledger request of a group whose first record is `first`.
fn request<B: ImportBackend + ?Sized>(
    backend: &mut B,
    truth: &mut dyn TruthStore,
    settings: &TransactionImportSettings,
    first: &XmlTransaction,
    records: &[&XmlTransaction],
) -> Result<TransactionRequest, RecordFailure> {
    let kind = first
        .transaction_type
        .ok_or_else(|| RecordFailure::Rejected("The TransactionType is missing".into()))?;
    let date = first
        .transaction_date
        .as_ref()
        .map(|date| date.naive_local());
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let reference = text(&first.reference);
    let second_reference = text(&first.second_reference);
    Ok(match kind {
        XmlType::BankTransfer => TransactionRequest::Transfer {
            from_bank: text(&first.from_bank_account),
            to_bank: text(&first.to_bank_account),
            date,
            reference,
            details: text(&first.details),
            department: first.department,
            payment_amount: first
                .payment_amount
                .ok_or_else(|| RecordFailure::Rejected("The PaymentAmount is missing".into()))?,
            receipt_amount: first.receipt_amount,
            variance_nominal: Some(settings.journal_variance_nominal_code.clone()),
            key: record_key(settings, first),
        },
        XmlType::JournalDebit | XmlType::JournalCredit => TransactionRequest::Journal {
            date,
            reference,
            second_reference,
            lines: records
                .iter()
                .map(|record| {
                    required_amount(record)?;
                    if record.tax_amount.is_some_and(|tax| tax != 0.0) {
                        return Err(RecordFailure::Rejected(
                            "A journal line carries no VAT: its TaxAmount must be 0 or left out"
                                .into(),
                        ));
                    }
                    Ok(JournalLine {
                        nominal_code: non_blank(&record.account_reference)
                            .or(non_blank(&record.nominal_code))
                            .unwrap_or_default()
                            .to_owned(),
                        debit: record.transaction_type == Some(XmlType::JournalDebit),
                        department: record.department,
                        tax_code: record.tax_code,
                        details: text(&record.details),
                        amount: record.net_amount.unwrap_or(0.0),
                        key: record_key(settings, record),
                    })
                })
                .collect::<Result<_, _>>()?,
            variance_nominal: Some(settings.journal_variance_nominal_code.clone()),
        },
        XmlType::BankReceipt | XmlType::BankPayment => {
            required_amount(first)?;
            TransactionRequest::Bank {
                kind: tran_type(kind),
                bank: text(&first.account_reference),
                date,
                reference,
                second_reference,
                lines: vec![line(settings, first)],
            }
        }
        _ => {
            for record in records {
                required_amount(record)?;
            }
            let kind = tran_type(kind);
            let account_ref = match non_blank(&first.account_reference) {
                Some(reference) => reference.to_owned(),
                None => match non_blank(&first.customer_id) {
                    Some(customer_id) => linked_account(backend, truth, customer_id)?.ok_or_else(|| {
                        RecordFailure::Rejected(format!(
                            "The transaction has no AccountReference and no earlier import linked its CustomerId '{customer_id}' to an account"
                        ))
                    })?,
                    None => {
                        return Err(RecordFailure::Rejected(
                            "The AccountReference is missing".into(),
                        ));
                    }
                },
            };
            // Receipts and payments name their bank in BankReference; some samples use
            // NominalCode for it.
            let bank = non_blank(&first.bank_reference)
                .or(non_blank(&first.nominal_code))
                .map(str::to_owned);
            TransactionRequest::Account {
                kind,
                account_ref,
                bank,
                date,
                reference,
                second_reference,
                lines: records
                    .iter()
                    .map(|record| line(settings, record))
                    .collect(),
                auto_allocate: settings.auto_allocate,
            }
        }
    })
}
