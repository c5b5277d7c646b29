//! Import Invoices, rule by rule (docs/sage50.md "Import Invoices"): posting to the audit trail
//! and the nominal ledger, stock, payments and allocation, credit notes, service lines,
//! proformas, duplicates (including a run killed before its truth row), numbering and account
//! resolution.

mod common;

use common::{add_customer, add_product, assert_trial_balance, ledger, record_errors, sample};
use sage_ledger::procedures::{
    CustomerImportSettings, ImportReport, InvoiceImportSettings, import_customers, import_invoices,
};
use sage_ledger::{InvoiceType, Ledger, MemoryTruthStore, TranType, TruthStore, record_types};
use zynk_xml::Company;

fn settings() -> InvoiceImportSettings {
    InvoiceImportSettings {
        key_scope: "workflow-a".into(),
        ..InvoiceImportSettings::default()
    }
}

fn invoices(elements: &[String]) -> Company {
    Company::parse(&format!(
        "<Company><Invoices>{}</Invoices></Company>",
        elements.concat()
    ))
    .expect("test document parses")
}

/// An invoice for `account` with `(sku, qty, price)` lines at T1 on nominal 4000.
fn invoice(id: &str, account: &str, extra: &str, lines: &[(&str, f64, f64)]) -> String {
    let items: String = lines
        .iter()
        .map(|(sku, qty, price)| {
            format!(
                "<Item><Sku>{sku}</Sku><QtyOrdered>{qty}</QtyOrdered><UnitPrice>{price}</UnitPrice>\
                 <TaxCode>1</TaxCode><NominalCode>4000</NominalCode></Item>"
            )
        })
        .collect();
    format!(
        "<Invoice><Id>{id}</Id><AccountReference>{account}</AccountReference>{extra}\
         <InvoiceItems>{items}</InvoiceItems></Invoice>"
    )
}

fn import(
    ledger: &mut Ledger,
    truth: &mut MemoryTruthStore,
    input: &Company,
    settings: &InvoiceImportSettings,
) -> ImportReport {
    import_invoices(ledger, truth, input, settings).expect("import runs")
}

fn errors(fail: &Company) -> Vec<String> {
    record_errors(&fail.invoices, |record| &record.errors)
}

fn success_numbers(report: &ImportReport) -> Vec<u32> {
    report
        .success
        .invoice_records()
        .map(|invoice| invoice.invoice_number.as_deref().unwrap().parse().unwrap())
        .collect()
}

fn setup() -> (Ledger, MemoryTruthStore) {
    let (mut ledger, _clock) = ledger();
    add_customer(&mut ledger, "ABC001", "Abc Ltd");
    add_product(&mut ledger, "WIDGET", 10.0, 50.0);
    (ledger, MemoryTruthStore::new())
}

#[test]
fn an_invoice_posts_an_si_with_a_split_per_line_and_moves_the_balance() {
    let (mut ledger, mut truth) = setup();
    add_product(&mut ledger, "GADGET", 5.0, 10.0);
    let input = invoices(&[invoice(
        "1",
        "ABC001",
        "",
        &[("WIDGET", 2.0, 10.0), ("GADGET", 1.0, 5.0)],
    )]);
    let report = import(&mut ledger, &mut truth, &input, &settings());
    assert_eq!(errors(&report.fail), Vec::<String>::new());
    assert_eq!(success_numbers(&report), [1]);

    let posted = ledger.find_invoice(1).unwrap().unwrap();
    assert_eq!(posted.document.total_net, 25.0);
    assert_eq!(posted.document.total_tax, 5.0);
    let tran = ledger
        .audit_transaction(posted.tran_number.unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(tran.kind, TranType::SI);
    assert_eq!(
        (tran.net, tran.tax, tran.gross, tran.outstanding),
        (25.0, 5.0, 30.0, 30.0)
    );
    assert_eq!(tran.splits.len(), 2);
    assert_eq!(tran.splits[0].nominal_code, "4000");
    assert_eq!(tran.invoice_number, Some(1));
    let customer = ledger.find_customer_by_ref("ABC001").unwrap().unwrap();
    assert_eq!(customer.balance, 30.0);
    assert_eq!(ledger.nominal_balance("1100").unwrap(), 30.0);
    assert_eq!(ledger.nominal_balance("4000").unwrap(), -25.0);
    assert_eq!(ledger.nominal_balance("2200").unwrap(), -5.0);
    assert_trial_balance(&ledger);
    // Posting a product invoice takes its stock lines out of stock.
    assert_eq!(
        ledger.find_product("WIDGET").unwrap().unwrap().qty_in_stock,
        48.0
    );

    let record = report.success.invoice_records().next().unwrap();
    assert_eq!(
        record.transaction_number.as_deref(),
        Some(tran.tran_number.to_string().as_str())
    );
    assert_eq!(record.items_total, Some(30.0));
    assert_eq!(record.posted_flag, Some(true));
    let row = truth
        .find_by_external_id(record_types::INVOICE, "1")
        .unwrap()
        .unwrap();
    assert_eq!(row.internal_id, "0000000001");
}

#[test]
fn a_credit_note_posts_an_sc_lowers_the_balance_and_returns_stock() {
    let (mut ledger, mut truth) = setup();
    let input = invoices(&[invoice(
        "C1",
        "ABC001",
        "<InvoiceType>ProductCredit</InvoiceType>",
        &[("WIDGET", 3.0, 10.0)],
    )]);
    let report = import(&mut ledger, &mut truth, &input, &settings());
    assert_eq!(report.counts.imported, 1, "{:?}", errors(&report.fail));
    let posted = ledger.find_invoice(1).unwrap().unwrap();
    assert_eq!(posted.invoice_type, InvoiceType::ProductCredit);
    let tran = ledger
        .audit_transaction(posted.tran_number.unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(tran.kind, TranType::SC);
    assert_eq!(
        ledger
            .find_customer_by_ref("ABC001")
            .unwrap()
            .unwrap()
            .balance,
        -36.0
    );
    assert_eq!(ledger.nominal_balance("1100").unwrap(), -36.0);
    assert_eq!(ledger.nominal_balance("4000").unwrap(), 30.0);
    assert_eq!(
        ledger.find_product("WIDGET").unwrap().unwrap().qty_in_stock,
        53.0
    );
    assert_trial_balance(&ledger);
}

#[test]
fn a_payment_with_a_credit_note_is_refused() {
    let (mut ledger, mut truth) = setup();
    let input = invoices(&[invoice(
        "C1",
        "ABC001",
        "<InvoiceType>ProductCredit</InvoiceType><PaymentAmount>10</PaymentAmount>",
        &[("WIDGET", 1.0, 10.0)],
    )]);
    let report = import(&mut ledger, &mut truth, &input, &settings());
    assert!(
        errors(&report.fail)[0].contains("SalesPayment"),
        "{:?}",
        errors(&report.fail)
    );
    assert!(ledger.audit_trail().unwrap().is_empty());
}

#[test]
fn a_sales_receipt_is_allocated_to_the_invoice_and_one_on_account_is_not() {
    let (mut ledger, mut truth) = setup();
    let input = invoices(&[
        invoice(
            "1",
            "ABC001",
            "<PaymentRef>CARD</PaymentRef><PaymentAmount>12</PaymentAmount><BankAccount>1210</BankAccount><PaymentType>SalesReceipt</PaymentType>",
            &[("WIDGET", 1.0, 10.0)],
        ),
        invoice(
            "2",
            "ABC001",
            "<PaymentAmount>5</PaymentAmount><PaymentType>SalesReceiptOnAccount</PaymentType>",
            &[("WIDGET", 1.0, 10.0)],
        ),
    ]);
    let report = import(&mut ledger, &mut truth, &input, &settings());
    assert_eq!(report.counts.imported, 2, "{:?}", errors(&report.fail));
    let paid = ledger.find_invoice(1).unwrap().unwrap();
    assert_eq!(paid.amount_paid, 12.0);
    let payment = paid.payment.unwrap();
    assert_eq!(payment.bank_account, "1210");
    let receipt = ledger
        .audit_transaction(payment.tran_number)
        .unwrap()
        .unwrap();
    assert_eq!((receipt.kind, receipt.outstanding), (TranType::SA, 0.0));
    let on_account = ledger.find_invoice(2).unwrap().unwrap();
    assert_eq!(on_account.amount_paid, 0.0);
    let receipt = ledger
        .audit_transaction(on_account.payment.unwrap().tran_number)
        .unwrap()
        .unwrap();
    assert_eq!(receipt.outstanding, 5.0);
    // The default bank account (1200) took the second payment.
    assert_eq!(ledger.nominal_balance("1200").unwrap(), 5.0);
    assert_eq!(ledger.nominal_balance("1210").unwrap(), 12.0);
    assert_eq!(
        ledger
            .find_customer_by_ref("ABC001")
            .unwrap()
            .unwrap()
            .balance,
        24.0 - 17.0
    );
    assert_trial_balance(&ledger);
}

#[test]
fn service_lines_without_a_product_code_are_service_lines_and_move_no_stock() {
    let (mut ledger, mut truth) = setup();
    let xml = "<Invoice><Id>S1</Id><AccountReference>ABC001</AccountReference><InvoiceType>ServiceInvoice</InvoiceType>\
               <InvoiceItems><Item><Name>Setup</Name><Details>Install and configure</Details><QtyOrdered>2.5</QtyOrdered>\
               <UnitPrice>75</UnitPrice><TaxCode>1</TaxCode><NominalCode>4000</NominalCode></Item></InvoiceItems></Invoice>";
    let report = import(
        &mut ledger,
        &mut truth,
        &invoices(&[xml.to_owned()]),
        &settings(),
    );
    assert_eq!(report.counts.imported, 1, "{:?}", errors(&report.fail));
    let posted = ledger.find_invoice(1).unwrap().unwrap();
    let line = &posted.document.lines[0];
    assert_eq!(line.stock_code, "S3");
    assert_eq!(line.comment1, "Install and configure");
    assert_eq!((line.net, line.tax), (187.5, 37.5));
    assert!(ledger.find_product("S3").unwrap().is_none());
    assert_eq!(
        ledger.find_product("WIDGET").unwrap().unwrap().qty_in_stock,
        50.0
    );
}

#[test]
fn proformas_and_quotations_are_kept_but_not_posted() {
    let (mut ledger, mut truth) = setup();
    let input = invoices(&[
        invoice(
            "P1",
            "ABC001",
            "<InvoiceType>ProductProforma</InvoiceType>",
            &[("WIDGET", 1.0, 10.0)],
        ),
        invoice(
            "Q1",
            "ABC001",
            "<InvoiceType>ProductQuotation</InvoiceType>",
            &[("WIDGET", 1.0, 10.0)],
        ),
    ]);
    let report = import(&mut ledger, &mut truth, &input, &settings());
    assert_eq!(report.counts.imported, 2, "{:?}", errors(&report.fail));
    assert_eq!(ledger.find_invoice(1).unwrap().unwrap().tran_number, None);
    assert!(ledger.audit_trail().unwrap().is_empty());
    assert_eq!(
        ledger
            .find_customer_by_ref("ABC001")
            .unwrap()
            .unwrap()
            .balance,
        0.0
    );
    assert_eq!(
        report.success.invoice_records().next().unwrap().posted_flag,
        Some(false)
    );
}

#[test]
fn a_duplicate_id_is_refused_in_the_same_file_and_in_a_later_run() {
    let (mut ledger, mut truth) = setup();
    let one = invoice("7", "ABC001", "", &[("WIDGET", 1.0, 10.0)]);
    let report = import(
        &mut ledger,
        &mut truth,
        &invoices(&[one.clone(), one.clone()]),
        &settings(),
    );
    assert_eq!(report.counts.imported, 1);
    assert!(
        errors(&report.fail)[0].contains("earlier invoice in this file"),
        "{:?}",
        errors(&report.fail)
    );
    let again = import(
        &mut ledger,
        &mut truth,
        &invoices(std::slice::from_ref(&one)),
        &settings(),
    );
    assert!(
        errors(&again.fail)[0].contains("already been imported as invoice 1"),
        "{:?}",
        errors(&again.fail)
    );
    assert_eq!(ledger.audit_trail().unwrap().len(), 1);

    // With Prevent Duplicates off the same Id imports again.
    let off = InvoiceImportSettings {
        prevent_duplicates: false,
        ..settings()
    };
    let report = import(&mut ledger, &mut truth, &invoices(&[one]), &off);
    assert_eq!(success_numbers(&report), [2]);
}

#[test]
fn an_invoice_posted_by_a_run_killed_before_its_truth_row_is_not_posted_again() {
    let (mut ledger, mut truth) = setup();
    let one = invoices(&[invoice("9", "ABC001", "", &[("WIDGET", 1.0, 10.0)])]);
    import(&mut ledger, &mut truth, &one, &settings());
    // The truth store lost the row (the process died between the ledger commit and it).
    let mut lost = MemoryTruthStore::new();
    let report = import(&mut ledger, &mut lost, &one, &settings());
    assert!(
        errors(&report.fail)[0].contains("already been imported as invoice 1"),
        "{:?}",
        errors(&report.fail)
    );
    assert_eq!(
        lost.find_by_external_id(record_types::INVOICE, "9")
            .unwrap()
            .unwrap()
            .internal_id,
        "0000000001",
        "the row is written back"
    );
    // Another workflow (another key scope) with its own truth store may use the same Id.
    let other = InvoiceImportSettings {
        key_scope: "workflow-b".into(),
        ..settings()
    };
    let report = import(&mut ledger, &mut MemoryTruthStore::new(), &one, &other);
    assert_eq!(success_numbers(&report), [2]);
}

#[test]
fn manual_invoice_numbers_must_be_given_unused_and_seven_digits() {
    let (mut ledger, mut truth) = setup();
    let manual = InvoiceImportSettings {
        use_manual_invoice_number: true,
        ..settings()
    };
    let with_number = |id: &str, number: &str| {
        invoice(
            id,
            "ABC001",
            &format!("<InvoiceNumber>{number}</InvoiceNumber>"),
            &[("WIDGET", 1.0, 10.0)],
        )
    };
    let input = invoices(&[
        with_number("1", "500"),
        with_number("2", "500"),
        with_number("3", "12345678"),
        invoice("4", "ABC001", "", &[("WIDGET", 1.0, 10.0)]),
    ]);
    let report = import(&mut ledger, &mut truth, &input, &manual);
    assert_eq!(success_numbers(&report), [500]);
    let errors = errors(&report.fail);
    assert!(
        errors[0].contains("Invoice number 500 is already used"),
        "{errors:?}"
    );
    assert!(errors[1].contains("1 to 7 digits"), "{errors:?}");
    assert!(errors[2].contains("no InvoiceNumber"), "{errors:?}");
    // Without the setting the XML number is ignored and Sage numbers on from the highest.
    let report = import(
        &mut ledger,
        &mut truth,
        &invoices(&[with_number("5", "3")]),
        &settings(),
    );
    assert_eq!(success_numbers(&report), [501]);
}

#[test]
fn the_default_account_reference_takes_invoices_without_one() {
    let (mut ledger, mut truth) = setup();
    add_customer(&mut ledger, "WEBSALES", "Web sales");
    let websales = InvoiceImportSettings {
        default_account_reference: "WEBSALES".into(),
        ..settings()
    };
    let input = invoices(&[invoice("1", "", "", &[("WIDGET", 1.0, 10.0)])]);
    let report = import(&mut ledger, &mut truth, &input, &websales);
    assert_eq!(report.counts.imported, 1, "{:?}", errors(&report.fail));
    assert_eq!(
        ledger
            .find_invoice(1)
            .unwrap()
            .unwrap()
            .document
            .account_ref,
        "WEBSALES"
    );
    let report = import(
        &mut ledger,
        &mut truth,
        &invoices(&[invoice("2", "", "", &[("WIDGET", 1.0, 10.0)])]),
        &settings(),
    );
    assert_eq!(
        report.counts.failed, 1,
        "no default: the account cannot be found"
    );
}

#[test]
fn an_invoice_with_a_bad_line_is_refused_whole() {
    let (mut ledger, mut truth) = setup();
    let bad_nominal = invoice(
        "1",
        "NEW001",
        "<InvoiceAddress><Company>New Co</Company></InvoiceAddress>",
        &[("WIDGET", 1.0, 10.0)],
    )
    .replacen(
        "<NominalCode>4000</NominalCode>",
        "<NominalCode>4999</NominalCode>",
        1,
    );
    let creating = InvoiceImportSettings {
        auto_create_customer: true,
        ..settings()
    };
    let report = import(
        &mut ledger,
        &mut truth,
        &invoices(&[
            bad_nominal,
            "<Invoice><Id>2</Id><AccountReference>ABC001</AccountReference></Invoice>".into(),
        ]),
        &creating,
    );
    let errors = errors(&report.fail);
    assert!(errors[0].contains("4999"), "{errors:?}");
    assert!(errors[1].contains("no lines"), "{errors:?}");
    assert!(
        ledger.find_customer_by_ref("NEW001").unwrap().is_none(),
        "the account it would create is rolled back"
    );
    assert!(ledger.audit_trail().unwrap().is_empty());
    assert_eq!(
        ledger.find_product("WIDGET").unwrap().unwrap().qty_in_stock,
        50.0
    );
}

#[test]
fn a_net_value_discount_reduces_the_posted_totals() {
    let (mut ledger, mut truth) = setup();
    let input = invoices(&[invoice(
        "1",
        "ABC001",
        "<NetValueDiscount>10</NetValueDiscount>",
        &[("WIDGET", 10.0, 10.0)],
    )]);
    let report = import(&mut ledger, &mut truth, &input, &settings());
    assert_eq!(report.counts.imported, 1, "{:?}", errors(&report.fail));
    let posted = ledger.find_invoice(1).unwrap().unwrap();
    let tran = ledger
        .audit_transaction(posted.tran_number.unwrap())
        .unwrap()
        .unwrap();
    assert_eq!((tran.net, tran.tax, tran.gross), (90.0, 18.0, 108.0));
    assert_eq!(tran.gross, posted.document.total_gross);
    assert_trial_balance(&ledger);
}

#[test]
fn the_customer_with_invoice_sample_links_the_invoice_through_customer_id() {
    let (mut ledger, _clock) = ledger();
    let mut truth = MemoryTruthStore::new();
    let input = sample("Customer with Invoice.xml");
    let customers = import_customers(
        &mut ledger,
        &mut truth,
        &input,
        &CustomerImportSettings {
            account_references: sage_ledger::AccountReferenceSettings {
                auto_generate: true,
                ..Default::default()
            },
            ..CustomerImportSettings::default()
        },
    )
    .unwrap();
    assert_eq!(customers.counts.imported, 1);
    let report = import(&mut ledger, &mut truth, &input, &settings());
    assert_eq!(errors(&report.fail), Vec::<String>::new());
    let account = customers
        .success
        .customer_records()
        .next()
        .unwrap()
        .account_reference
        .clone()
        .unwrap();
    let posted = ledger.find_invoice(1).unwrap().unwrap();
    assert_eq!(posted.document.account_ref, account);
    assert!(posted.tran_number.is_some());
    assert_trial_balance(&ledger);
}
