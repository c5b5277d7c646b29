//! Shared fixtures for the ledger tests.
#![allow(dead_code)]

use std::path::PathBuf;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use sage_ledger::{Ledger, ManualClock, NewCustomer, Product};
use zynk_xml::{Company, Parsed};

pub fn start_time() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2024, 3, 1)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap()
}

/// An in-memory ledger on a manual clock, and the clock.
pub fn ledger() -> (Ledger, ManualClock) {
    let clock = ManualClock::new(start_time());
    let ledger = Ledger::open_in_memory()
        .expect("ledger opens")
        .with_clock(clock.clone());
    (ledger, clock)
}

pub fn tick(clock: &ManualClock) {
    clock.advance(Duration::seconds(1));
}

pub fn add_product(ledger: &mut Ledger, sku: &str, price: f64, stock: f64) -> Product {
    let mut product = ledger.product_template(sku).unwrap();
    product.description = format!("{sku} description");
    product.sales_price = price;
    product.qty_in_stock = stock;
    ledger.create_product(&product).expect("product created")
}

pub fn add_customer(ledger: &mut Ledger, reference: &str, name: &str) -> sage_ledger::Customer {
    let mut customer = ledger.customer_template(reference).unwrap();
    customer.name = name.to_owned();
    ledger
        .create_customer(&NewCustomer {
            customer,
            delivery_addresses: Vec::new(),
        })
        .expect("customer created")
}

pub fn sample(name: &str) -> Company {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/zynk-samples/zynk-xml")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Company::parse_bytes(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A document with the given `<SalesOrder>` elements.
pub fn orders(elements: &[String]) -> Company {
    let xml = format!(
        "<Company><SalesOrders>{}</SalesOrders></Company>",
        elements.concat()
    );
    Company::parse(&xml).expect("test document parses")
}

/// A document with the given `<Customer>` elements.
pub fn customers(elements: &[String]) -> Company {
    let xml = format!(
        "<Company><Customers>{}</Customers></Company>",
        elements.concat()
    );
    Company::parse(&xml).expect("test document parses")
}

/// An order for `account` with `(sku, qty, price)` lines.
pub fn order(id: &str, account: &str, lines: &[(&str, f64, f64)]) -> String {
    let items: String = lines
        .iter()
        .map(|(sku, qty, price)| {
            format!("<Item><Sku>{sku}</Sku><QtyOrdered>{qty}</QtyOrdered><UnitPrice>{price}</UnitPrice></Item>")
        })
        .collect();
    let account = if account.is_empty() {
        String::new()
    } else {
        format!("<AccountReference>{account}</AccountReference>")
    };
    format!(
        "<SalesOrder><Id>{id}</Id>{account}<SalesOrderItems>{items}</SalesOrderItems></SalesOrder>"
    )
}

/// The error descriptions of the fail document's orders, in order.
pub fn order_errors(fail: &Company) -> Vec<String> {
    fail.sales_orders
        .iter()
        .flatten()
        .map(|entry| match entry {
            Parsed::Record(order) => order
                .errors
                .iter()
                .filter_map(|e| e.description.clone())
                .collect::<Vec<_>>()
                .join(" | "),
            Parsed::Malformed(malformed) => malformed
                .errors
                .iter()
                .filter_map(|e| e.description.clone())
                .collect::<Vec<_>>()
                .join(" | "),
        })
        .collect()
}

pub fn customer_errors(fail: &Company) -> Vec<String> {
    fail.customers
        .iter()
        .flatten()
        .map(|entry| {
            let errors = match entry {
                Parsed::Record(customer) => &customer.errors,
                Parsed::Malformed(malformed) => &malformed.errors,
            };
            errors
                .iter()
                .filter_map(|e| e.description.clone())
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect()
}

/// The error descriptions of a fail document's records, in order (`errors` reads a record's
/// `Errors`).
pub fn record_errors<T>(
    entries: &Option<Vec<Parsed<T>>>,
    errors: impl Fn(&T) -> &Vec<zynk_xml::ZynkError>,
) -> Vec<String> {
    entries
        .iter()
        .flatten()
        .map(|entry| match entry {
            Parsed::Record(record) => errors(record)
                .iter()
                .filter_map(|e| e.description.clone())
                .collect::<Vec<_>>()
                .join(" | "),
            Parsed::Malformed(malformed) => malformed.error().to_string(),
        })
        .collect()
}

/// Every posting's debits equal its credits, so the whole nominal ledger sums to zero.
pub fn assert_trial_balance(ledger: &Ledger) {
    let total: f64 = ledger
        .nominal_balances()
        .unwrap()
        .iter()
        .map(|balance| balance.balance())
        .sum();
    assert!(total.abs() < 0.001, "the nominal ledger is out by {total}");
}
