//! Import Transactions into Sage 50 UK (docs/sage50.md): the audit-trail transactions of a
//! Zynk XML file — customer and supplier invoices, credits, receipts and payments, bank
//! receipts and payments, journals and bank transfers — through the host's `sage` capability.
//! Consecutive splits of one invoice and the lines of one journal post together or not at all.

use sage50::sage::TransactionImportSettings;
use sage50::{ImportFiles, Records, SageBackend};
use wharf_guest::{TaskResult, TaskSettings};

/// The settings of `sage50-import-transactions`.
#[derive(Debug, Clone, TaskSettings)]
pub struct ImportTransactionsSettings {
    /// `input-file`, `success-file`, `fail-file`.
    #[setting(flatten)]
    pub files: ImportFiles<Transactions>,
    /// Allocate SC, SA/SR, PC and PA/PP to the invoice with the same account and Reference.
    #[setting(default = false)]
    pub auto_allocate_transactions: bool,
    /// Refuse a transaction whose Id an earlier run of this workflow imported.
    #[setting(default = true)]
    pub prevent_duplicates: bool,
    /// Nominal code that takes an unbalanced journal's difference; empty: refuse the journal.
    #[setting(default = "")]
    pub journal_variance_nominal_code: String,
}

/// What this task imports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transactions;

impl Records for Transactions {
    const RECORDS: &'static str = "transactions";
    const INPUT_DOC: &'static str =
        "Zynk XML with the transactions to import (Company/Transactions).";
    const SUCCESS_DOC: &'static str =
        "Written with the transactions Sage posted, TransactionNumber filled in; always written.";
    const FAIL_DOC: &'static str =
        "Written with the transactions Sage refused, each with its Errors; always written.";
}

/// The component; exported to the host on WebAssembly.
pub struct ImportTransactions;

sage50::export_sage_task!(
    ImportTransactions,
    ImportTransactionsSettings,
    "sage50-import-transactions",
    "Posts the audit-trail transactions of a Zynk XML file to Sage 50 UK; writes a success and a fail file.",
    truth_kinds = [
        sage50::truth_kinds::TRANSACTION,
        sage50::truth_kinds::CUSTOMER
    ],
);

/// The whole task against a `sage` backend.
pub fn run(settings: &ImportTransactionsSettings, sage: &mut impl SageBackend) -> TaskResult {
    let transaction_settings = TransactionImportSettings {
        auto_allocate: settings.auto_allocate_transactions,
        prevent_duplicates: settings.prevent_duplicates,
        journal_variance_nominal_code: settings.journal_variance_nominal_code.trim().to_owned(),
    };
    sage50::run_import(&settings.files, |document| {
        sage.import_transactions(document, &transaction_settings)
    })
}

#[cfg(test)]
mod tests {
    use wharf_guest::ResultCode;
    use wharf_guest::sage::fake::FakeSage;

    use super::*;

    #[test]
    fn settings_reach_sage_and_a_refusal_fails_the_task() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("in.xml"), "<Company/>").unwrap();
        let path = |name: &str| dir.path().join(name).display().to_string();
        let pairs = vec![
            ("input-file".to_owned(), path("in.xml")),
            ("success-file".to_owned(), path("ok.xml")),
            ("fail-file".to_owned(), path("bad.xml")),
            ("auto-allocate-transactions".to_owned(), "true".to_owned()),
            (
                "journal-variance-nominal-code".to_owned(),
                " 9998 ".to_owned(),
            ),
        ];
        let settings = <ImportTransactionsSettings as wharf_guest::TaskSettings>::parse(
            &wharf_guest::Settings::new(pairs),
        )
        .unwrap();
        let mut sage = FakeSage::default();
        assert_eq!(run(&settings, &mut sage).code, ResultCode::SuccessNoData);
        let sent = &sage.transaction_imports[0].1;
        assert!(sent.auto_allocate && sent.prevent_duplicates);
        assert_eq!(sent.journal_variance_nominal_code, "9998");

        let mut refusing = FakeSage {
            failure: Some("not permitted".into()),
            ..FakeSage::default()
        };
        let result = run(&settings, &mut refusing);
        assert_eq!(result.code, ResultCode::Fail);
        assert_eq!(result.message, "Sage: not permitted");
    }
}
