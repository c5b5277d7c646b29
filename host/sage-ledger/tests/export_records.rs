//! Export Customers and Export Invoices, rule by rule (docs/sage50.md): the selection from the
//! cursor (Modified, New, All), the next cursor, content hashes leaving out records touched but
//! not changed, what changes a record (a posting, an allocation), base-currency amounts.

mod common;

use common::{add_customer, add_product, ledger, tick};
use sage_ledger::procedures::{
    InvoiceImportSettings, RecordExport, RecordExportSettings, TransactionImportSettings,
    export_customers, export_invoices, import_invoices, import_transactions,
};
use sage_ledger::{Currency, Ledger, MemoryTruthStore, StockSelection, TruthStore};
use zynk_xml::Company;

fn settings(since: chrono::NaiveDateTime, selection: StockSelection) -> RecordExportSettings {
    RecordExportSettings {
        since,
        selection,
        use_base_currency: false,
    }
}

/// Stores what an export would once its file is delivered.
fn deliver(truth: &mut MemoryTruthStore, export: &RecordExport) {
    for row in &export.hash_updates {
        truth.upsert(row).unwrap();
    }
}

fn post_invoice(
    ledger: &mut Ledger,
    truth: &mut MemoryTruthStore,
    id: &str,
    account: &str,
    extra: &str,
) {
    let xml = format!(
        "<Company><Invoices><Invoice><Id>{id}</Id><AccountReference>{account}</AccountReference>{extra}\
         <InvoiceItems><Item><Sku>WIDGET</Sku><QtyOrdered>1</QtyOrdered><UnitPrice>100</UnitPrice>\
         <TaxCode>1</TaxCode><NominalCode>4000</NominalCode></Item></InvoiceItems></Invoice></Invoices></Company>"
    );
    let report = import_invoices(
        ledger,
        truth,
        Company::parse(&xml).unwrap(),
        &InvoiceImportSettings::default(),
    )
    .unwrap();
    assert_eq!(report.counts.imported, 1, "{}", report.fail_xml());
}

fn receipt(
    ledger: &mut Ledger,
    truth: &mut MemoryTruthStore,
    id: &str,
    account: &str,
    reference: &str,
    amount: f64,
) {
    let xml = format!(
        "<Company><Transactions><Transaction><Id>{id}</Id><TransactionType>SalesReceipt</TransactionType>\
         <AccountReference>{account}</AccountReference><BankReference>1200</BankReference>\
         <Reference>{reference}</Reference><NetAmount>{amount}</NetAmount></Transaction></Transactions></Company>"
    );
    let allocating = TransactionImportSettings {
        auto_allocate: true,
        ..TransactionImportSettings::default()
    };
    let report =
        import_transactions(ledger, truth, &Company::parse(&xml).unwrap(), &allocating).unwrap();
    assert_eq!(report.counts.imported, 1, "{}", report.fail_xml());
}

fn exported_accounts(export: &RecordExport) -> Vec<String> {
    export
        .document
        .customer_records()
        .map(|customer| customer.account_reference.clone().unwrap())
        .collect()
}

#[test]
fn customers_export_from_the_cursor_and_a_posting_changes_an_account() {
    let (mut ledger, clock) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc Ltd");
    tick(&clock);
    add_customer(&mut ledger, "XYZ001", "Xyz Ltd");
    add_product(&mut ledger, "WIDGET", 100.0, 10.0);

    let first = export_customers(
        &mut ledger,
        &truth,
        &settings(sage_ledger::procedures::never(), StockSelection::Modified),
    )
    .unwrap();
    assert_eq!(exported_accounts(&first), ["ABC001", "XYZ001"]);
    assert_eq!(
        first.next_cursor,
        ledger
            .find_customer_by_ref("XYZ001")
            .unwrap()
            .unwrap()
            .modified
    );
    let record = first.document.customer_records().next().unwrap();
    assert_eq!(record.company_name.as_deref(), Some("Abc Ltd"));
    assert_eq!(record.balance, Some(0.0));
    deliver(&mut truth, &first);

    let nothing = export_customers(
        &mut ledger,
        &truth,
        &settings(first.next_cursor, StockSelection::Modified),
    )
    .unwrap();
    assert_eq!((nothing.scanned, nothing.exported), (0, 0));
    assert_eq!(
        nothing.next_cursor,
        ledger.now(),
        "no record: the run's start"
    );

    // An invoice raises ABC001's balance: the account has changed.
    tick(&clock);
    post_invoice(&mut ledger, &mut truth, "1", "ABC001", "");
    let changed = export_customers(
        &mut ledger,
        &truth,
        &settings(first.next_cursor, StockSelection::Modified),
    )
    .unwrap();
    assert_eq!(exported_accounts(&changed), ["ABC001"]);
    assert_eq!(
        changed.document.customer_records().next().unwrap().balance,
        Some(120.0)
    );
    // New selects only accounts created since the cursor.
    let new = export_customers(
        &mut ledger,
        &truth,
        &settings(first.next_cursor, StockSelection::New),
    )
    .unwrap();
    assert!(exported_accounts(&new).is_empty());
}

#[test]
fn an_account_touched_but_unchanged_is_left_out_unless_all_is_asked() {
    let (mut ledger, clock) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc Ltd");
    let address = |line1: &str| sage_ledger::Address {
        name: "Abc Ltd".into(),
        line1: line1.into(),
        ..sage_ledger::Address::default()
    };
    let customer = ledger.find_customer_by_ref("ABC001").unwrap().unwrap();
    let add = sage_ledger::DeliveryAddressChange::AddIfNew(address("1 Mill Lane"));
    ledger.update_customer(&customer, Some(&add)).unwrap();
    let first = export_customers(
        &mut ledger,
        &truth,
        &settings(sage_ledger::procedures::never(), StockSelection::Modified),
    )
    .unwrap();
    assert_eq!(first.exported, 1);
    deliver(&mut truth, &first);
    // A second delivery address changes the account but not what the export writes (the
    // first delivery address).
    tick(&clock);
    let add = sage_ledger::DeliveryAddressChange::AddIfNew(address("2 Dock Road"));
    ledger.update_customer(&customer, Some(&add)).unwrap();
    let touched = export_customers(
        &mut ledger,
        &truth,
        &settings(first.next_cursor, StockSelection::Modified),
    )
    .unwrap();
    assert_eq!(
        (touched.scanned, touched.exported, touched.suppressed),
        (1, 0, 1)
    );
    let all = export_customers(
        &mut ledger,
        &truth,
        &settings(first.next_cursor, StockSelection::All),
    )
    .unwrap();
    assert_eq!((all.exported, all.suppressed), (1, 0));
}

#[test]
fn an_allocation_changes_the_invoice_and_it_is_exported_with_what_was_paid() {
    let (mut ledger, clock) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc Ltd");
    add_product(&mut ledger, "WIDGET", 100.0, 10.0);
    post_invoice(
        &mut ledger,
        &mut truth,
        "1",
        "ABC001",
        "<InvoiceDate>2024-02-01T00:00:00</InvoiceDate>",
    );
    let first = export_invoices(
        &mut ledger,
        &truth,
        &settings(sage_ledger::procedures::never(), StockSelection::Modified),
    )
    .unwrap();
    let invoice = first.document.invoice_records().next().unwrap().clone();
    assert_eq!(invoice.invoice_number.as_deref(), Some("1"));
    assert_eq!(
        (invoice.items_total, invoice.amount_paid, invoice.paid_flag),
        (Some(120.0), Some(0.0), Some(false))
    );
    assert_eq!(invoice.items.len(), 1);
    assert_eq!(invoice.items[0].total_tax, Some(20.0));
    assert_eq!(
        invoice.invoice_date.unwrap().naive_local().to_string(),
        "2024-02-01 00:00:00"
    );
    deliver(&mut truth, &first);

    tick(&clock);
    receipt(&mut ledger, &mut truth, "R1", "ABC001", "1", 120.0);
    let paid = export_invoices(
        &mut ledger,
        &truth,
        &settings(first.next_cursor, StockSelection::Modified),
    )
    .unwrap();
    let invoice = paid
        .document
        .invoice_records()
        .next()
        .expect("the allocation changed the invoice");
    assert_eq!(
        (invoice.amount_paid, invoice.paid_flag),
        (Some(120.0), Some(true))
    );
}

#[test]
fn base_currency_amounts_divide_by_the_invoices_exchange_rate() {
    let (mut ledger, _clock) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_product(&mut ledger, "WIDGET", 100.0, 10.0);
    let mut customer = ledger.customer_template("EUR001").unwrap();
    customer.name = "Euro GmbH".into();
    customer.currency = "EUR".into();
    ledger
        .create_customer(&sage_ledger::NewCustomer {
            customer,
            delivery_addresses: Vec::new(),
        })
        .unwrap();
    ledger
        .set_currency(&Currency {
            number: 3,
            code: "EUR".into(),
            name: "Euro".into(),
            symbol: "€".into(),
            exchange_rate: 1.25,
        })
        .unwrap();
    post_invoice(
        &mut ledger,
        &mut truth,
        "1",
        "EUR001",
        "<Currency>EUR</Currency>",
    );
    let base = RecordExportSettings {
        use_base_currency: true,
        ..settings(sage_ledger::procedures::never(), StockSelection::All)
    };
    let export = export_invoices(&mut ledger, &truth, &base).unwrap();
    let invoice = export.document.invoice_records().next().unwrap();
    assert_eq!(invoice.currency.as_deref(), Some("GBP"));
    assert_eq!(invoice.items_net, Some(80.0));
    let own = export_invoices(
        &mut ledger,
        &truth,
        &settings(sage_ledger::procedures::never(), StockSelection::All),
    )
    .unwrap();
    let invoice = own.document.invoice_records().next().unwrap();
    assert_eq!(
        (invoice.currency.as_deref(), invoice.items_net),
        (Some("EUR"), Some(100.0))
    );
}
