//! Import Transactions, rule by rule (docs/sage50.md "Import Transactions"): each type's
//! postings to the nominal ledger and the account balances, grouping into splits and journals,
//! allocation by reference, bank transfers, tax from tax codes, duplicates, atomic groups.

mod common;

use common::{add_customer, assert_trial_balance, ledger, record_errors, sample};
use sage_ledger::procedures::{ImportReport, TransactionImportSettings, import_transactions};
use sage_ledger::{Ledger, MemoryTruthStore, TranType, TruthStore, record_types};
use zynk_xml::Company;

fn settings() -> TransactionImportSettings {
    TransactionImportSettings {
        key_scope: "workflow-a".into(),
        ..TransactionImportSettings::default()
    }
}

fn document(elements: &[String]) -> Company {
    Company::parse(&format!(
        "<Company><Transactions>{}</Transactions></Company>",
        elements.concat()
    ))
    .expect("test document parses")
}

/// A transaction: `fields` are `(element, value)` pairs after the Id and type.
fn transaction(id: &str, kind: &str, fields: &[(&str, &str)]) -> String {
    let body: String = fields
        .iter()
        .map(|(name, value)| format!("<{name}>{value}</{name}>"))
        .collect();
    format!(
        "<Transaction><Id>{id}</Id><TransactionType>{kind}</TransactionType>{body}</Transaction>"
    )
}

fn import(
    ledger: &mut Ledger,
    truth: &mut MemoryTruthStore,
    input: &Company,
    settings: &TransactionImportSettings,
) -> ImportReport {
    import_transactions(ledger, truth, input, settings).expect("import runs")
}

fn errors(fail: &Company) -> Vec<String> {
    record_errors(&fail.transactions, |record| &record.errors)
}

fn numbers(report: &ImportReport) -> Vec<u32> {
    report
        .success
        .transaction_records()
        .map(|record| {
            record
                .transaction_number
                .as_deref()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect()
}

fn setup() -> (Ledger, MemoryTruthStore) {
    let (mut ledger, _clock) = ledger();
    add_customer(&mut ledger, "A1D001", "A1 Design");
    ledger
        .create_supplier("CON001", "Concept Stationery")
        .unwrap();
    (ledger, MemoryTruthStore::new())
}

fn sales_invoice(id: &str, nominal: &str, net: &str) -> String {
    transaction(
        id,
        "SalesInvoice",
        &[
            ("AccountReference", "A1D001"),
            ("TransactionDate", "2019-05-16T00:00:00"),
            ("Reference", "SI1"),
            ("NominalCode", nominal),
            ("Details", "Sales Invoice"),
            ("NetAmount", net),
            ("TaxCode", "1"),
            ("TaxAmount", "20"),
        ],
    )
}

#[test]
fn consecutive_sales_invoice_lines_become_one_si_with_a_split_each() {
    let (mut ledger, mut truth) = setup();
    let report = import(
        &mut ledger,
        &mut truth,
        &document(&[
            sales_invoice("6", "4000", "100"),
            sales_invoice("7", "4001", "100"),
        ]),
        &settings(),
    );
    assert_eq!(errors(&report.fail), Vec::<String>::new());
    let numbers = numbers(&report);
    assert_eq!(numbers[0], numbers[1], "one transaction for the group");
    let tran = ledger.audit_transaction(numbers[0]).unwrap().unwrap();
    assert_eq!(
        (tran.kind, tran.splits.len(), tran.gross),
        (TranType::SI, 2, 240.0)
    );
    assert_eq!(
        ledger
            .find_customer_by_ref("A1D001")
            .unwrap()
            .unwrap()
            .balance,
        240.0
    );
    assert_eq!(ledger.nominal_balance("1100").unwrap(), 240.0);
    assert_eq!(ledger.nominal_balance("4001").unwrap(), -100.0);
    assert_eq!(ledger.nominal_balance("2200").unwrap(), -40.0);
    assert_trial_balance(&ledger);
    let row = truth
        .find_by_external_id(record_types::TRANSACTION, "7")
        .unwrap()
        .unwrap();
    assert_eq!(row.internal_id, format!("{:010}", numbers[1]));
}

#[test]
fn a_different_reference_starts_a_new_transaction() {
    let (mut ledger, mut truth) = setup();
    let second = sales_invoice("7", "4000", "50").replace("SI1", "SI2");
    let report = import(
        &mut ledger,
        &mut truth,
        &document(&[sales_invoice("6", "4000", "100"), second]),
        &settings(),
    );
    let numbers = numbers(&report);
    assert_ne!(numbers[0], numbers[1]);
}

#[test]
fn a_sales_receipt_is_posted_on_account_and_allocated_by_reference() {
    let (mut ledger, mut truth) = setup();
    let receipt = transaction(
        "10",
        "SalesReceipt",
        &[
            ("AccountReference", "A1D001"),
            ("BankReference", "1200"),
            ("Reference", "SI1"),
            ("NetAmount", "100"),
            ("TaxCode", "9"),
        ],
    );
    let allocating = TransactionImportSettings {
        auto_allocate: true,
        ..settings()
    };
    let report = import(
        &mut ledger,
        &mut truth,
        &document(&[sales_invoice("6", "4000", "100"), receipt]),
        &allocating,
    );
    assert_eq!(errors(&report.fail), Vec::<String>::new());
    let numbers = numbers(&report);
    let invoice = ledger.audit_transaction(numbers[0]).unwrap().unwrap();
    let receipt = ledger.audit_transaction(numbers[1]).unwrap().unwrap();
    assert_eq!(receipt.kind, TranType::SA, "SR is imported as SA");
    assert_eq!((invoice.outstanding, receipt.outstanding), (20.0, 0.0));
    assert_eq!(
        ledger
            .find_customer_by_ref("A1D001")
            .unwrap()
            .unwrap()
            .balance,
        20.0
    );
    assert_eq!(ledger.nominal_balance("1200").unwrap(), 100.0);
    assert_trial_balance(&ledger);
}

#[test]
fn without_auto_allocate_a_receipt_stays_on_account() {
    let (mut ledger, mut truth) = setup();
    let receipt = transaction(
        "10",
        "SalesReceiptOnAccount",
        &[
            ("AccountReference", "A1D001"),
            ("BankReference", "1200"),
            ("Reference", "SI1"),
            ("NetAmount", "100"),
        ],
    );
    let report = import(
        &mut ledger,
        &mut truth,
        &document(&[sales_invoice("6", "4000", "100"), receipt]),
        &settings(),
    );
    let numbers = numbers(&report);
    assert_eq!(
        ledger
            .audit_transaction(numbers[0])
            .unwrap()
            .unwrap()
            .outstanding,
        120.0
    );
    assert_eq!(
        ledger
            .audit_transaction(numbers[1])
            .unwrap()
            .unwrap()
            .outstanding,
        100.0
    );
}

#[test]
fn a_receipt_needs_a_bank_account() {
    let (mut ledger, mut truth) = setup();
    let to_sales = transaction(
        "10",
        "SalesReceipt",
        &[
            ("AccountReference", "A1D001"),
            ("BankReference", "4000"),
            ("NetAmount", "5"),
        ],
    );
    let none = transaction(
        "11",
        "SalesReceipt",
        &[("AccountReference", "A1D001"), ("NetAmount", "5")],
    );
    let report = import(
        &mut ledger,
        &mut truth,
        &document(&[to_sales, none]),
        &settings(),
    );
    let errors = errors(&report.fail);
    assert!(errors[0].contains("not a bank account"), "{errors:?}");
    assert!(
        errors[1].contains("bank account (BankReference) is missing"),
        "{errors:?}"
    );
}

#[test]
fn a_sales_payment_refunds_the_customer_from_the_bank() {
    let (mut ledger, mut truth) = setup();
    let refund = transaction(
        "11",
        "SalesPayment",
        &[
            ("AccountReference", "A1D001"),
            ("BankReference", "1200"),
            ("NetAmount", "40"),
        ],
    );
    let report = import(&mut ledger, &mut truth, &document(&[refund]), &settings());
    assert_eq!(report.counts.imported, 1, "{:?}", errors(&report.fail));
    assert_eq!(
        ledger
            .find_customer_by_ref("A1D001")
            .unwrap()
            .unwrap()
            .balance,
        40.0
    );
    assert_eq!(ledger.nominal_balance("1200").unwrap(), -40.0);
    assert_trial_balance(&ledger);
}

#[test]
fn purchase_invoices_and_payments_post_to_the_supplier() {
    let (mut ledger, mut truth) = setup();
    let purchase = transaction(
        "12",
        "PurchaseInvoice",
        &[
            ("AccountReference", "CON001"),
            ("Reference", "PI1"),
            ("NominalCode", "5000"),
            ("NetAmount", "100"),
            ("TaxCode", "1"),
        ],
    );
    let payment = transaction(
        "16",
        "PurchasePayment",
        &[
            ("AccountReference", "CON001"),
            ("BankReference", "1200"),
            ("Reference", "PI1"),
            ("NetAmount", "120"),
        ],
    );
    let unknown = transaction(
        "17",
        "PurchaseInvoice",
        &[
            ("AccountReference", "NOPE01"),
            ("NominalCode", "5000"),
            ("NetAmount", "1"),
        ],
    );
    let allocating = TransactionImportSettings {
        auto_allocate: true,
        ..settings()
    };
    let report = import(
        &mut ledger,
        &mut truth,
        &document(&[purchase, payment, unknown]),
        &allocating,
    );
    assert!(
        errors(&report.fail)[0].contains("Supplier account 'NOPE01' does not exist"),
        "{:?}",
        errors(&report.fail)
    );
    let numbers = numbers(&report);
    let invoice = ledger.audit_transaction(numbers[0]).unwrap().unwrap();
    assert_eq!(
        (invoice.kind, invoice.tax, invoice.outstanding),
        (TranType::PI, 20.0, 0.0),
        "tax from T1, then allocated"
    );
    assert_eq!(
        ledger.audit_transaction(numbers[1]).unwrap().unwrap().kind,
        TranType::PA
    );
    assert_eq!(
        ledger.find_supplier("CON001").unwrap().unwrap().balance,
        0.0
    );
    assert_eq!(ledger.nominal_balance("2100").unwrap(), 0.0);
    assert_eq!(ledger.nominal_balance("5000").unwrap(), 100.0);
    assert_eq!(ledger.nominal_balance("2201").unwrap(), 20.0);
    assert_eq!(ledger.nominal_balance("1200").unwrap(), -120.0);
    assert_trial_balance(&ledger);
}

#[test]
fn bank_receipts_and_payments_post_between_the_bank_and_a_nominal() {
    let (mut ledger, mut truth) = setup();
    let receipt = transaction(
        "1",
        "BankReceipt",
        &[
            ("AccountReference", "1200"),
            ("NominalCode", "4900"),
            ("NetAmount", "240"),
            ("TaxCode", "9"),
            ("TaxAmount", "0"),
        ],
    );
    let payment = transaction(
        "2",
        "BankPayment",
        &[
            ("AccountReference", "1200"),
            ("NominalCode", "5002"),
            ("NetAmount", "100"),
            ("TaxCode", "1"),
        ],
    );
    let not_a_bank = transaction(
        "3",
        "BankReceipt",
        &[
            ("AccountReference", "4000"),
            ("NominalCode", "4900"),
            ("NetAmount", "1"),
        ],
    );
    let report = import(
        &mut ledger,
        &mut truth,
        &document(&[receipt, payment, not_a_bank]),
        &settings(),
    );
    assert!(
        errors(&report.fail)[0].contains("not a bank account"),
        "{:?}",
        errors(&report.fail)
    );
    assert_eq!(ledger.nominal_balance("1200").unwrap(), 240.0 - 120.0);
    assert_eq!(ledger.nominal_balance("4900").unwrap(), -240.0);
    assert_eq!(ledger.nominal_balance("5002").unwrap(), 100.0);
    assert_eq!(ledger.nominal_balance("2201").unwrap(), 20.0);
    assert_trial_balance(&ledger);
}

fn journal(id: &str, kind: &str, nominal: &str, amount: &str) -> String {
    transaction(
        id,
        kind,
        &[
            ("AccountReference", nominal),
            ("TransactionDate", "2019-05-16T00:00:00"),
            ("Reference", "JDC1"),
            ("NetAmount", amount),
            ("TaxCode", "9"),
        ],
    )
}

#[test]
fn a_balanced_journal_posts_a_jd_and_a_jc() {
    let (mut ledger, mut truth) = setup();
    let report = import(
        &mut ledger,
        &mut truth,
        &document(&[
            journal("4", "JournalDebit", "4000", "240"),
            journal("5", "JournalCredit", "4001", "240"),
        ]),
        &settings(),
    );
    assert_eq!(errors(&report.fail), Vec::<String>::new());
    let kinds: Vec<TranType> = numbers(&report)
        .iter()
        .map(|n| ledger.audit_transaction(*n).unwrap().unwrap().kind)
        .collect();
    assert_eq!(kinds, [TranType::JD, TranType::JC]);
    assert_eq!(ledger.nominal_balance("4000").unwrap(), 240.0);
    assert_eq!(ledger.nominal_balance("4001").unwrap(), -240.0);
}

#[test]
fn an_unbalanced_journal_is_refused_whole_unless_a_variance_nominal_is_set() {
    let (mut ledger, mut truth) = setup();
    let lines = [
        journal("4", "JournalDebit", "4000", "240"),
        journal("5", "JournalCredit", "4001", "200"),
    ];
    let report = import(&mut ledger, &mut truth, &document(&lines), &settings());
    let errors = errors(&report.fail);
    assert_eq!(errors.len(), 2, "both lines of the journal fail");
    assert!(
        errors[0].contains("does not balance")
            && errors[0].contains("2 transactions of this group"),
        "{errors:?}"
    );
    assert!(ledger.audit_trail().unwrap().is_empty());

    let variance = TransactionImportSettings {
        journal_variance_nominal_code: "9998".into(),
        ..settings()
    };
    let report = import(&mut ledger, &mut truth, &document(&lines), &variance);
    assert_eq!(report.counts.imported, 2);
    assert_eq!(ledger.nominal_balance("9998").unwrap(), -40.0);
    assert_eq!(ledger.audit_trail().unwrap().len(), 3);
    assert_trial_balance(&ledger);
}

#[test]
fn a_journal_needs_both_sides() {
    let (mut ledger, mut truth) = setup();
    let report = import(
        &mut ledger,
        &mut truth,
        &document(&[journal("4", "JournalDebit", "4000", "240")]),
        &settings(),
    );
    assert!(errors(&report.fail)[0].contains("at least one JournalDebit and one JournalCredit"));
}

#[test]
fn a_bank_transfer_moves_money_between_two_banks() {
    let (mut ledger, mut truth) = setup();
    let transfer = |id: &str, to: &str| {
        transaction(
            id,
            "BankTransfer",
            &[
                ("FromBankAccount", "1200"),
                ("ToBankAccount", to),
                ("Reference", "BT1"),
                ("PaymentAmount", "100"),
            ],
        )
    };
    let report = import(
        &mut ledger,
        &mut truth,
        &document(&[transfer("3", "1210"), transfer("4", "1200")]),
        &settings(),
    );
    assert!(
        errors(&report.fail)[0].contains("two different bank accounts"),
        "{:?}",
        errors(&report.fail)
    );
    assert_eq!(ledger.nominal_balance("1200").unwrap(), -100.0);
    assert_eq!(ledger.nominal_balance("1210").unwrap(), 100.0);
    let kinds: Vec<TranType> = ledger
        .audit_trail()
        .unwrap()
        .iter()
        .map(|t| t.kind)
        .collect();
    assert_eq!(kinds, [TranType::JC, TranType::JD]);
}

#[test]
fn a_duplicate_id_is_refused_and_a_lost_truth_row_is_written_back() {
    let (mut ledger, mut truth) = setup();
    let receipt = transaction(
        "20",
        "BankReceipt",
        &[
            ("AccountReference", "1200"),
            ("NominalCode", "4900"),
            ("NetAmount", "10"),
            ("TaxCode", "9"),
        ],
    );
    let report = import(
        &mut ledger,
        &mut truth,
        &document(&[receipt.clone(), receipt.clone()]),
        &settings(),
    );
    assert_eq!(report.counts.imported, 1);
    assert!(errors(&report.fail)[0].contains("earlier transaction in this file"));
    let report = import(
        &mut ledger,
        &mut truth,
        &document(std::slice::from_ref(&receipt)),
        &settings(),
    );
    assert!(errors(&report.fail)[0].contains("already been imported"));
    let mut lost = MemoryTruthStore::new();
    let report = import(&mut ledger, &mut lost, &document(&[receipt]), &settings());
    assert!(
        errors(&report.fail)[0].contains("already been imported"),
        "{:?}",
        errors(&report.fail)
    );
    assert!(
        lost.find_by_external_id(record_types::TRANSACTION, "20")
            .unwrap()
            .is_some()
    );
    assert_eq!(ledger.audit_trail().unwrap().len(), 1);
}

#[test]
fn missing_values_name_the_field() {
    let (mut ledger, mut truth) = setup();
    let no_type =
        "<Transaction><Id>1</Id><AccountReference>A1D001</AccountReference></Transaction>"
            .to_owned();
    // Different references: each is a group of its own.
    let no_amount = transaction(
        "2",
        "SalesInvoice",
        &[
            ("AccountReference", "A1D001"),
            ("Reference", "R2"),
            ("NominalCode", "4000"),
        ],
    );
    let no_nominal = transaction(
        "3",
        "SalesInvoice",
        &[
            ("AccountReference", "A1D001"),
            ("Reference", "R3"),
            ("NetAmount", "1"),
        ],
    );
    let negative = transaction(
        "4",
        "SalesInvoice",
        &[
            ("AccountReference", "A1D001"),
            ("Reference", "R4"),
            ("NominalCode", "4000"),
            ("NetAmount", "-1"),
        ],
    );
    let report = import(
        &mut ledger,
        &mut truth,
        &document(&[no_type, no_amount, no_nominal, negative]),
        &settings(),
    );
    let errors = errors(&report.fail);
    assert!(
        errors[0].contains("TransactionType is missing"),
        "{errors:?}"
    );
    assert!(errors[1].contains("NetAmount is missing"), "{errors:?}");
    assert!(errors[2].contains("nominal code is missing"), "{errors:?}");
    assert!(errors[3].contains("must not be negative"), "{errors:?}");
}

#[test]
fn the_transaction_samples_import() {
    let (mut ledger, _clock) = ledger();
    add_customer(&mut ledger, "ABC001", "Abc Ltd");
    let mut truth = MemoryTruthStore::new();
    let report = import(
        &mut ledger,
        &mut truth,
        &sample("Transactions - Sales Invoice and Receipt.xml"),
        &TransactionImportSettings {
            auto_allocate: true,
            ..settings()
        },
    );
    assert_eq!(errors(&report.fail), Vec::<String>::new());
    assert_eq!(
        ledger
            .find_customer_by_ref("ABC001")
            .unwrap()
            .unwrap()
            .balance,
        0.0
    );
    let report = import(
        &mut ledger,
        &mut truth,
        &sample("Transactions - Bank Receipt.xml"),
        &settings(),
    );
    // The sample reuses Id 239, already imported above.
    assert!(errors(&report.fail)[0].contains("already been imported"));
    let report = import(
        &mut ledger,
        &mut MemoryTruthStore::new(),
        &sample("Transactions - Bank Receipt.xml"),
        &TransactionImportSettings {
            key_scope: "other".into(),
            ..settings()
        },
    );
    assert_eq!(errors(&report.fail), Vec::<String>::new());
    assert_trial_balance(&ledger);
}
