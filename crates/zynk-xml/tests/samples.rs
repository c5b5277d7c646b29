//! Every sample in the shared fixture folder that carries customers, sales orders or products.

use std::path::PathBuf;

use zynk_xml::{Company, ItemType, Parsed, PaymentType, Record};

const SAMPLES: &str = "../../../shared/fixtures/zynk-samples/zynk-xml";

fn sample_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(SAMPLES)
        .join(name)
}

fn load(name: &str) -> Company {
    let bytes = std::fs::read(sample_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    Company::parse_bytes(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Files of the fixture folder whose text mentions one of the three typed collections with content.
fn samples_with_records() -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(SAMPLES))
            .expect("fixture folder")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|name| name.ends_with(".xml"))
            .filter(|name| {
                let text = String::from_utf8_lossy(&std::fs::read(sample_path(name)).unwrap())
                    .into_owned();
                ["<Customer>", "<SalesOrder>", "<Product>"]
                    .iter()
                    .any(|tag| text.contains(tag))
            })
            .collect();
    names.sort();
    names
}

fn assert_same_records<T: PartialEq + std::fmt::Debug>(
    name: &str,
    kind: &str,
    before: &Option<Vec<Parsed<T>>>,
    after: &Option<Vec<Parsed<T>>>,
) {
    let before = before.as_deref().unwrap_or_default();
    let after = after.as_deref().unwrap_or_default();
    assert_eq!(before.len(), after.len(), "{name}: {kind} count changed");
    for (index, (a, b)) in before.iter().zip(after).enumerate() {
        // A malformed record is written with U+FFFD in place of the bad character, so it reads
        // back as a record; only typed records must compare equal.
        if let Parsed::Record(_) = a {
            assert!(
                a == b,
                "{name}: {kind} {} differs after a round trip",
                index + 1
            );
        }
    }
}

fn assert_round_trip_equal(name: &str, company: &Company) {
    let written = company.to_xml();
    let reread = Company::parse(&written)
        .unwrap_or_else(|e| panic!("{name}: rewritten file unreadable: {e}"));
    assert_same_records(name, "customer", &company.customers, &reread.customers);
    assert_same_records(name, "order", &company.sales_orders, &reread.sales_orders);
    assert_same_records(name, "product", &company.products, &reread.products);
    assert_same_records(name, "invoice", &company.invoices, &reread.invoices);
    assert_same_records(
        name,
        "transaction",
        &company.transactions,
        &reread.transactions,
    );
    let sorted = |c: &Company| {
        let mut collections = c.other_collections.clone();
        collections.sort_by(|a, b| a.name.cmp(&b.name));
        collections
    };
    assert_eq!(
        sorted(company),
        sorted(&reread),
        "{name}: other collections differ"
    );
    // Writing reaches a fixed point: once normalised, read + write gives the same bytes.
    let normalised = reread.to_xml();
    let again = Company::parse(&normalised)
        .expect("normalised file reads")
        .to_xml();
    assert!(normalised == again, "{name}: writing is not stable");
    let has_malformed = written != normalised;
    if has_malformed {
        assert!(
            name.contains("Customer Export"),
            "{name}: only the NUL sample changes shape"
        );
    }
}

#[test]
fn every_sample_with_records_reads_and_round_trips() {
    let names = samples_with_records();
    assert!(
        names.len() >= 14,
        "expected the 14 record-bearing samples, found {names:?}"
    );
    for name in &names {
        let company = load(name);
        let total = company.customers.as_ref().map_or(0, Vec::len)
            + company.sales_orders.as_ref().map_or(0, Vec::len)
            + company.products.as_ref().map_or(0, Vec::len);
        assert!(total > 0, "{name}: no records read");
        assert_round_trip_equal(name, &company);
    }
}

#[test]
fn notify_sample_reads_the_success_shape() {
    for name in [
        "Customer with Sales Order and Card Payment [NOTIFY] .xml",
        "Customer with Sales Order and Card Payment [NOTIFY] -1.xml",
    ] {
        let company = load(name);
        let customer = company.customer_records().next().expect("one customer");
        assert_eq!(customer.id.as_deref(), Some("123"));
        assert_eq!(customer.unique_id.as_deref(), Some("INTE001"));
        assert_eq!(customer.account_reference.as_deref(), Some("INTE001"));
        assert_eq!(customer.company_name.as_deref(), Some(""));
        assert_eq!(customer.balance, None, "xsi:nil reads as absent");
        let order = company.sales_order_records().next().expect("one order");
        assert_eq!(order.id.as_deref(), Some("456"));
        assert_eq!(order.sales_order_number.as_deref(), Some("90130"));
        assert!(order.items.is_empty());
        let carriage = order.carriage.as_ref().expect("carriage");
        assert_eq!(carriage.qty_ordered, Some(0.0));
        assert_eq!(carriage.item_type, Some(ItemType::Stock));
        assert_eq!(order.payment_amount, Some(0.0));
        // Empty sibling collections carry nothing; the writer emits all fifteen anyway.
        assert!(company.other_collections.is_empty());
        assert!(company.to_xml().contains("  <PaymentAllocations />\n"));
    }
}

#[test]
fn download_sample_reads_order_lines_carriage_and_payment() {
    let company = load("Customer with Sales Order and Card Payment [DOWNLOAD].xml");
    let customer = company.customer_records().next().expect("customer");
    assert_eq!(customer.terms_agreed, Some(true), "xs:boolean 1");
    assert_eq!(customer.currency.as_deref(), Some("GBP"));
    let address = customer.invoice_address.as_ref().expect("invoice address");
    assert_eq!(address.full_name(), "Mr Test Person");
    assert_eq!(address.postcode.as_deref(), Some("NE1 4XF"));

    let order = company.sales_order_records().next().expect("order");
    assert_eq!(order.customer_id.as_deref(), Some("123"));
    assert_eq!(order.account_reference.as_deref(), Some("INTE001"));
    assert_eq!(order.customer_order_number.as_deref(), Some(""));
    assert_eq!(
        order
            .sales_order_date
            .as_ref()
            .map(|d| d.naive_local().to_string()),
        Some("2011-01-01 11:11:11".to_owned())
    );
    assert_eq!(order.items.len(), 1);
    let line = &order.items[0];
    assert_eq!(line.sku.as_deref(), Some("TEST01"));
    assert_eq!(line.qty_ordered, Some(1.0));
    assert_eq!(line.unit_price, Some(200.0));
    assert_eq!(line.tax_code, Some(1));
    let carriage = order.carriage.as_ref().expect("carriage");
    assert_eq!(carriage.unit_price, Some(4.24));
    assert_eq!(order.payment_amount, Some(234.88));
    assert_eq!(order.payment_type, Some(PaymentType::SalesReceipt));
    assert_eq!(order.bank_account.as_deref(), Some("1200"));
    assert_eq!(order.status.as_deref(), Some("Live"));
}

#[test]
fn minimal_order_sample_reads() {
    let company = load("Sales Order with Minimal Information.xml");
    let order = company.sales_order_records().next().expect("order");
    assert_eq!(order.id.as_deref(), Some("12345"));
    assert_eq!(order.items[0].sku.as_deref(), Some("TEST01"));
    assert_eq!(order.carriage, None);
    assert_eq!(order.taken_by.as_deref(), Some("Connect Web Order"));
}

#[test]
fn act_sample_with_bom_keeps_elements_outside_the_model() {
    let company = load("ACT - Import Customer and Opportunity with Custom Fields.xml");
    let customer = company.customer_records().next().expect("customer");
    // `CustomerAddress` is not a Connect XML element (names are case- and spelling-sensitive).
    assert_eq!(customer.invoice_address, None);
    assert!(customer.unknown.iter().any(|e| e.name == "CustomerAddress"));
    let delivery = customer.delivery_address.as_ref().expect("delivery");
    assert_eq!(delivery.postcode, None);
    assert!(
        delivery
            .unknown
            .iter()
            .any(|e| e.name == "PostCode" && e.text() == "NE1 4XF")
    );
    let order = company.sales_order_records().next().expect("order");
    assert_eq!(order.custom_fields.len(), 2);
    assert_eq!(order.custom_fields[1].value.as_deref(), Some("Field 2"));
    let written = company.to_xml();
    assert!(written.contains("<CustomerAddress>"));
    assert!(written.contains("<PostCode>NE1 4XF</PostCode>"));
}

#[test]
fn customer_export_sample_isolates_the_record_with_an_illegal_character() {
    let company = load("Stationary & Computer Mart - Customer Export.xml");
    let customers = company.customers.as_ref().expect("customers");
    assert_eq!(customers.len(), 30);
    let malformed: Vec<_> = customers
        .iter()
        .filter_map(|entry| match entry {
            Parsed::Malformed(m) => Some(m),
            Parsed::Record(_) => None,
        })
        .collect();
    assert_eq!(
        malformed.len(),
        1,
        "only the record with &#x0; is malformed"
    );
    let message = malformed[0].error().to_string();
    assert!(
        message.starts_with("Customer 28 (AccountReference 'SWA001')"),
        "{message}"
    );
    assert!(message.contains("Memo"), "{message}");
    assert!(message.contains("&#x0;"), "{message}");
    assert_eq!(company.customer_records().count(), 29);
    let first = company.customer_records().next().expect("first");
    assert_eq!(first.account_reference.as_deref(), Some("A1D001"));
    assert_eq!(first.credit_limit, Some(1000.0));
    assert_eq!(first.banks.len(), 1);
    assert_eq!(first.banks[0].online_receipts, Some(false));
    // The malformed record is written back well-formed (U+FFFD in place of NUL).
    let rewritten = company.to_xml();
    assert!(Company::parse(&rewritten).is_ok());
    assert!(rewritten.contains("new year.\u{FFFD}</Memo>"));
}

#[test]
fn product_export_sample_reads_stock_figures() {
    let company = load("Stationary & Computer Mart - Product Export.xml");
    let products: Vec<_> = company.product_records().collect();
    assert_eq!(
        products.len(),
        company.products.as_ref().map_or(0, Vec::len)
    );
    assert!(products.len() > 100);
    let board = products
        .iter()
        .find(|p| p.sku.as_deref() == Some("BOARD002"))
        .expect("BOARD002");
    assert_eq!(
        board.qty_in_stock,
        Some(-22.0),
        "QtyInStock may be negative"
    );
    assert_eq!(board.publish, Some(true));
    assert!(
        board
            .long_description
            .as_deref()
            .unwrap_or_default()
            .contains("\n\nComplete")
    );
    let books = products
        .iter()
        .find(|p| p.sku.as_deref() == Some("BOOKS001"))
        .expect("BOOKS001");
    assert_eq!(books.qty_breaks.len(), 4);
    assert_eq!(books.qty_breaks[3].discount_percentage, Some(25.0));
}

#[test]
fn product_sample_reads() {
    let company = load("Product Import or Export Sample.xml");
    let product = company.product_records().next().expect("product");
    assert_eq!(product.sku.as_deref(), Some("TR002"));
    assert_eq!(product.sale_price, Some(5.7));
    assert_eq!(product.qty_in_stock, Some(10.0));
    assert_eq!(product.rrp_price, None);
    assert_eq!(product.purchase_nominal_code.as_deref(), Some("4001"));
    assert!(
        company
            .other_collections
            .iter()
            .any(|c| c.name == "ProductGroups" && c.has_child_elements())
    );
}

#[test]
fn price_list_sample_rejects_empty_numbers_but_reads_customers() {
    let company = load("PriceLists for Customers and Products Sample.xml");
    assert_eq!(
        company.customer_records().count(),
        7,
        "empty dates read as absent"
    );
    let products = company.products.as_ref().expect("products");
    assert_eq!(products.len(), 2);
    for entry in products {
        let Parsed::Malformed(malformed) = entry else {
            panic!("a product with <AverageCostPrice /> must be malformed")
        };
        let message = malformed.error().to_string();
        assert!(
            message.contains("AverageCostPrice is empty, but a number is required"),
            "{message}"
        );
        assert!(message.contains("RRPPrice"), "{message}");
    }
    let customer = company.customer_records().next().expect("customer");
    let invoice = customer.invoice_address.as_ref().expect("address");
    assert_eq!(invoice.birthdate, None);
}

#[test]
fn invoices_and_transactions_read_typed_and_keep_their_order() {
    let company = load("Credit note with Sales Payment.xml");
    assert!(company.other_collections.is_empty());
    let invoice = company.invoice_records().next().expect("invoice");
    assert_eq!(invoice.id.as_deref(), Some("15"));
    assert_eq!(
        invoice.invoice_type,
        Some(zynk_xml::InvoiceType::ProductCredit)
    );
    assert_eq!(invoice.items.len(), 2);
    assert_eq!(
        invoice.carriage.as_ref().and_then(|c| c.unit_price),
        Some(5.0)
    );
    let transaction = company.transaction_records().next().expect("transaction");
    assert_eq!(
        transaction.transaction_type,
        Some(zynk_xml::TransactionType::SalesPayment)
    );
    let written = company.to_xml();
    assert!(written.find("<Invoices>").unwrap() < written.find("<Transactions>").unwrap());
    assert_eq!(<zynk_xml::Customer as Record>::ELEMENT, "Customer");
}
