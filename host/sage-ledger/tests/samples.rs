//! The real Zynk sample files through the import procedures (tutorial 5: customers, then orders).

mod common;

use common::{customer_errors, ledger, order_errors, sample};
use sage_ledger::procedures::{
    CustomerImportSettings, SalesOrderImportSettings, import_customers, import_sales_orders,
};
use sage_ledger::{MemoryTruthStore, PaymentKind, TruthStore, record_types};
use zynk_xml::Company;

#[test]
fn download_sample_imports_customer_then_order_with_payment() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let input = sample("Customer with Sales Order and Card Payment [DOWNLOAD].xml");
    let customers = import_customers(
        &mut ledger,
        &mut truth,
        &input,
        &CustomerImportSettings::default(),
    )
    .unwrap();
    assert_eq!(customers.counts.imported, 1);
    let report = import_sales_orders(
        &mut ledger,
        &mut truth,
        &input,
        &SalesOrderImportSettings::default(),
    )
    .unwrap();
    assert_eq!(
        (
            report.counts.imported,
            report.counts.failed,
            report.counts.products_created
        ),
        (1, 0, 1)
    );

    let order = ledger.find_sales_order(1).unwrap().unwrap();
    assert_eq!(order.account_ref, "INTE001");
    assert_eq!(order.notes1, "VISA");
    assert_eq!(order.taken_by, "Connect Web Order");
    assert_eq!(order.order_date.to_string(), "2011-01-01 11:11:11");
    assert_eq!(
        order.invoice_address.line3, "Newcastle Upon Tyne",
        "empty Address3 + Town"
    );
    assert_eq!(order.invoice_address.line4, "County");
    assert_eq!(order.invoice_address.line5, "NE1 4XF");
    let line = &order.lines[0];
    assert_eq!(
        (
            line.stock_code.as_str(),
            line.description.as_str(),
            line.comment1.as_str()
        ),
        (
            "TEST01",
            "Test Item 01 - NAME",
            "Test Item 01 - Description"
        )
    );
    assert_eq!((line.net, line.tax), (200.0, 40.0));
    assert_eq!(
        (order.total_net, order.total_tax, order.total_gross),
        (204.24, 40.85, 245.09)
    );
    let payment = order.payment.as_ref().unwrap();
    assert_eq!(
        (payment.kind, payment.amount, payment.bank_account.as_str()),
        (PaymentKind::SalesReceipt, 234.88, "1200")
    );
    let product = ledger.find_product("TEST01").unwrap().unwrap();
    assert_eq!(
        (product.description.as_str(), product.sales_price),
        ("Test Item 01 - NAME", 200.0)
    );

    let success = report.success_xml();
    assert!(
        success.len() > 600,
        "the If File Exists check sees an order"
    );
    let reread = Company::parse(&success).unwrap();
    let record = reread.sales_order_records().next().unwrap();
    assert_eq!(
        record.sales_order_number.as_deref(),
        Some("1"),
        "the Sage number replaces 789"
    );
    assert_eq!(
        (record.id.as_deref(), record.customer_id.as_deref()),
        (Some("456"), Some("123"))
    );
    assert_eq!(record.items[0].total_tax, Some(40.0));
    assert_eq!(
        truth
            .find_by_external_id(record_types::SALES_ORDER, "456")
            .unwrap()
            .unwrap()
            .internal_id,
        "0000000001"
    );

    // The same download again: nothing new.
    let again = import_sales_orders(
        &mut ledger,
        &mut truth,
        &input,
        &SalesOrderImportSettings::default(),
    )
    .unwrap();
    assert_eq!((again.counts.imported, again.counts.failed), (0, 1));
    assert!(again.success_xml().len() < 600);
    assert_eq!(ledger.sales_order_count().unwrap(), 1);
}

#[test]
fn orders_of_a_sample_fail_with_a_reason_when_the_account_is_missing() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let input = sample("Sales Order with Minimal Information.xml");
    let report = import_sales_orders(
        &mut ledger,
        &mut truth,
        &input,
        &SalesOrderImportSettings::default(),
    )
    .unwrap();
    assert_eq!(
        order_errors(&report.fail),
        ["Customer account 'INTE001' does not exist and auto-create customers is off"]
    );
    assert!(report.fail_xml().contains("<Id>12345</Id>"));
    let customers = sample("Customer with Sales Order and Card Payment [DOWNLOAD].xml");
    import_customers(
        &mut ledger,
        &mut truth,
        &customers,
        &CustomerImportSettings::default(),
    )
    .unwrap();
    let report = import_sales_orders(
        &mut ledger,
        &mut truth,
        &input,
        &SalesOrderImportSettings::default(),
    )
    .unwrap();
    assert_eq!(report.counts.imported, 1);
    let line = &ledger.find_sales_order(1).unwrap().unwrap().lines[0];
    assert_eq!(
        (line.description.as_str(), line.net),
        ("TEST01", 200.0),
        "auto-created product named by its code"
    );
}

#[test]
fn notify_sample_records_are_incomplete_and_say_why() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let input = sample("Customer with Sales Order and Card Payment [NOTIFY] .xml");
    let customers = import_customers(
        &mut ledger,
        &mut truth,
        &input,
        &CustomerImportSettings::default(),
    )
    .unwrap();
    assert_eq!(
        customer_errors(&customers.fail),
        ["The account needs a name (CompanyName, or a contact name to use instead)"]
    );
    let orders = import_sales_orders(
        &mut ledger,
        &mut truth,
        &input,
        &SalesOrderImportSettings::default(),
    )
    .unwrap();
    assert_eq!(
        order_errors(&orders.fail),
        [
            "The order has no AccountReference, it has no CustomerId, and auto-create customers is off"
        ]
    );
    assert!(ledger.customers().unwrap().is_empty());
}

#[test]
fn act_sample_imports_its_customer_and_order() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let input = sample("ACT - Import Customer and Opportunity with Custom Fields.xml");
    import_customers(
        &mut ledger,
        &mut truth,
        &input,
        &CustomerImportSettings::default(),
    )
    .unwrap();
    let report = import_sales_orders(
        &mut ledger,
        &mut truth,
        &input,
        &SalesOrderImportSettings::default(),
    )
    .unwrap();
    assert_eq!(
        report.counts.imported,
        1,
        "{:?}",
        order_errors(&report.fail)
    );
    let order = ledger.find_sales_order(1).unwrap().unwrap();
    assert_eq!(order.customer_order_number, "007");
    assert_eq!(order.notes3, "This is a Notes 3 field");
    let record = report.success.sales_order_records().next().unwrap();
    assert_eq!(
        record.items[0].tax_rate,
        Some(20.0),
        "the [X] TaxRate 17.5 of the file is replaced by Sage's"
    );
    assert_eq!(
        record.custom_fields.len(),
        2,
        "custom fields survive into the success file"
    );
    let customer = ledger.find_customer_by_ref("INTE001").unwrap().unwrap();
    assert_eq!(customer.name, "Internetware");
    assert_eq!(
        ledger.delivery_addresses("INTE001").unwrap()[0].line1,
        "i6 Building"
    );
}

#[test]
fn sample_files_without_sales_orders_give_empty_success_and_fail_files() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let input = sample("Product Import or Export Sample.xml");
    let report = import_sales_orders(
        &mut ledger,
        &mut truth,
        &input,
        &SalesOrderImportSettings::default(),
    )
    .unwrap();
    assert_eq!(report.counts.read, 0);
    assert!(report.success_xml().len() < 600 && report.fail_xml().len() < 600);
    assert!(report.success_xml().contains("<SalesOrders />"));
}
