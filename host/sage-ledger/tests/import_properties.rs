//! Property test of the sales order import over generated Zynk XML files: duplicates within and
//! across files, extreme and malformed numbers, missing fields, unicode text; then a resumed
//! run replaying one file. Invariants (docs/sage50-rules.md):
//!
//! * every input record ends in exactly one of the success and fail documents, and the counts
//!   agree with them;
//! * every success record maps to exactly one ledger order (its own, holding its marker), no
//!   order Id imports twice, and the ledger holds nothing else;
//! * every stored amount and quantity is finite and within Sage's limits;
//! * the ledger stays readable by what `wharf sage customers | orders | stock` use;
//! * a resumed run's replay of a file reports what the first run imported from it, under the
//!   same numbers, and posts nothing (orders without an Id included).
//!
//! 64 cases by default, `PROPTEST_CASES` for more.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::test_runner::Config;
use sage_ledger::limits::{MAX_MONEY, MAX_QUANTITY};
use sage_ledger::procedures::{ImportReport, SalesOrderImportSettings, import_sales_orders};
use sage_ledger::{Ledger, MemoryTruthStore};
use zynk_xml::{Company, Parsed};

use common::{add_customer, add_product, ledger};

/// Number texts: ordinary, at and beyond Sage's limits, overflowing, malformed, empty.
fn number() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        4 => prop_oneof![
            Just("1"), Just("2.5"), Just("0.1"), Just("3"), Just("12.345678"), Just(" 7 "),
        ]
        .prop_map(|text| Some(text.to_owned())),
        1 => (0u32..100_000, 0u32..100).prop_map(|(units, pence)| Some(format!("{units}.{pence:02}"))),
        3 => prop_oneof![
            Just("1e200"), Just("1e308"), Just("-1e308"), Just("1.7976931348623157e308"),
            Just("99999999999.99"), Just("100000000000"), Just("999999999"), Just("1000000000"),
            Just("1e-7"), Just("0.1234567"), Just("-3"), Just("0"), Just("-0"),
            Just("NaN"), Just("inf"), Just("-Infinity"), Just(""), Just("abc"), Just("1,5"),
            Just("0x10"), Just("1e"), Just("4.9e-324"),
        ]
        .prop_map(|text| Some(text.to_owned())),
        1 => Just(None),
    ]
}

/// Text with XML specials and characters from several planes.
fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("a"),
            Just("Z"),
            Just(" "),
            Just("é"),
            Just("Ø"),
            Just("日本"),
            Just("𝄞"),
            Just("☕"),
            Just("&"),
            Just("<"),
            Just("\""),
            Just("'"),
            Just("\u{a0}"),
        ],
        0..6,
    )
    .prop_map(|parts| parts.concat())
}

#[derive(Debug, Clone)]
struct GenLine {
    sku: Option<&'static str>,
    name: String,
    quantity: Option<String>,
    price: Option<String>,
    discount_percent: Option<String>,
}

#[derive(Debug, Clone)]
struct GenOrder {
    id: Option<&'static str>,
    account: Option<&'static str>,
    lines: Option<Vec<GenLine>>,
    carriage_price: Option<String>,
    net_value_discount: Option<String>,
    payment: Option<String>,
    notes: String,
}

fn line() -> impl Strategy<Value = GenLine> {
    (
        prop_oneof![
            Just(Some("PEN")),
            Just(Some("INK")),
            Just(Some("S1")),
            Just(Some("M")),
            Just(Some("NEW-Ü")),
            Just(None),
        ],
        text(),
        number(),
        number(),
        prop_oneof![4 => Just(None), 1 => number()],
    )
        .prop_map(|(sku, name, quantity, price, discount_percent)| GenLine {
            sku,
            name,
            quantity,
            price,
            discount_percent,
        })
}

fn order() -> impl Strategy<Value = GenOrder> {
    (
        // A small pool, so Ids repeat within and across files.
        prop_oneof![
            Just(Some("A1")),
            Just(Some("A2")),
            Just(Some("Ü-3")),
            Just(Some("名4")),
            Just(Some(" A1 ")),
            Just(None),
        ],
        prop_oneof![
            6 => Just(Some("WEB001")), 1 => Just(Some("web002")), 1 => Just(Some("NOSUCH")),
            1 => Just(None),
        ],
        prop_oneof![8 => proptest::collection::vec(line(), 0..4).prop_map(Some), 1 => Just(None)],
        prop_oneof![3 => Just(None), 1 => number()],
        prop_oneof![4 => Just(None), 1 => number()],
        prop_oneof![3 => Just(None), 1 => number()],
        text(),
    )
        .prop_map(
            |(id, account, lines, carriage_price, net_value_discount, payment, notes)| GenOrder {
                id,
                account,
                lines,
                carriage_price,
                net_value_discount,
                payment,
                notes,
            },
        )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn element(out: &mut String, name: &str, value: &Option<String>) {
    if let Some(value) = value {
        out.push_str(&format!("<{name}>{}</{name}>", escape(value)));
    }
}

/// The marker that identifies a generated record wherever it ends up.
fn marker(file: usize, index: usize) -> String {
    format!("⟦{file}.{index}⟧")
}

fn document(file: usize, orders: &[GenOrder]) -> String {
    let mut xml =
        String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Company><SalesOrders>");
    for (index, order) in orders.iter().enumerate() {
        xml.push_str("<SalesOrder>");
        element(&mut xml, "Id", &order.id.map(str::to_owned));
        element(
            &mut xml,
            "AccountReference",
            &order.account.map(str::to_owned),
        );
        element(&mut xml, "CustomerOrderNumber", &Some(marker(file, index)));
        element(&mut xml, "Notes1", &Some(order.notes.clone()));
        if let Some(lines) = &order.lines {
            xml.push_str("<SalesOrderItems>");
            for line in lines {
                xml.push_str("<Item>");
                element(&mut xml, "Sku", &line.sku.map(str::to_owned));
                element(&mut xml, "Name", &Some(line.name.clone()));
                element(&mut xml, "QtyOrdered", &line.quantity);
                element(&mut xml, "UnitPrice", &line.price);
                element(&mut xml, "UnitDiscountPercentage", &line.discount_percent);
                xml.push_str("</Item>");
            }
            xml.push_str("</SalesOrderItems>");
        }
        if order.carriage_price.is_some() {
            xml.push_str("<Carriage><Sku>S3</Sku>");
            element(&mut xml, "UnitPrice", &order.carriage_price);
            xml.push_str("</Carriage>");
        }
        element(&mut xml, "NetValueDiscount", &order.net_value_discount);
        if order.payment.is_some() {
            xml.push_str("<PaymentType>SalesReceipt</PaymentType>");
            element(&mut xml, "PaymentAmount", &order.payment);
        }
        xml.push_str("</SalesOrder>");
    }
    xml.push_str("</SalesOrders></Company>");
    xml
}

/// Imports one file under the replay key of its content, as the `sage` capability does.
fn import(ledger: &mut Ledger, truth: &mut MemoryTruthStore, xml: &str, run: &str) -> ImportReport {
    let input = Company::parse(xml).expect("generated documents are well-formed");
    ledger.set_replay_key(Some(format!("lineage-1/orders/{}", xml.len() ^ hash(xml))));
    ledger.set_replay_run(Some(run.to_owned()));
    import_sales_orders(ledger, truth, &input, &SalesOrderImportSettings::default())
        .expect("the import runs")
}

fn hash(text: &str) -> usize {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish() as usize
}

/// Success records: marker → (order number, Id).
fn successes(report: &ImportReport) -> BTreeMap<String, (u32, Option<String>)> {
    report
        .success
        .sales_orders
        .iter()
        .flatten()
        .map(|entry| {
            let Parsed::Record(order) = entry else {
                panic!("a malformed record in the success document")
            };
            let number = order
                .sales_order_number
                .as_deref()
                .and_then(|n| n.parse().ok())
                .expect("a success record carries its order number");
            let id = order.id.as_deref().map(str::trim).map(str::to_owned);
            (
                order.customer_order_number.clone().unwrap_or_default(),
                (number, id),
            )
        })
        .collect()
}

fn check_amount(what: &str, value: f64, limit: f64) -> Result<(), TestCaseError> {
    prop_assert!(
        value.is_finite() && value.abs() <= limit,
        "{what} stored as {value}"
    );
    Ok(())
}

/// Every stored figure finite and within limits; every reader the CLI uses reads every row.
fn check_ledger(ledger: &Ledger) -> Result<usize, TestCaseError> {
    let orders = ledger
        .list_sales_orders(None, usize::MAX)
        .expect("orders list");
    prop_assert!(orders.unreadable.is_empty(), "{:?}", orders.unreadable);
    prop_assert_eq!(orders.rows.len(), orders.total);
    for order in &orders.rows {
        for line in &order.lines {
            check_amount("quantity", line.quantity, MAX_QUANTITY)?;
            for value in [line.unit_price, line.discount_amount, line.net, line.tax] {
                check_amount("line amount", value, MAX_MONEY)?;
            }
        }
        if let Some(carriage) = &order.carriage {
            for value in [carriage.unit_price, carriage.net, carriage.tax] {
                check_amount("carriage amount", value, MAX_MONEY)?;
            }
        }
        for value in [
            order.items_net,
            order.items_tax,
            order.net_value_discount,
            order.total_net,
            order.total_tax,
            order.total_gross,
        ] {
            check_amount("order total", value, MAX_MONEY)?;
        }
        if let Some(payment) = &order.payment {
            check_amount("payment", payment.amount, MAX_MONEY)?;
        }
        let by_account = ledger
            .list_sales_orders(Some(&order.account_ref), usize::MAX)
            .expect("an account's orders");
        prop_assert!(by_account.unreadable.is_empty());
    }
    let customers = ledger.list_customers().expect("customers list");
    prop_assert!(
        customers.unreadable.is_empty(),
        "{:?}",
        customers.unreadable
    );
    for customer in &customers.rows {
        check_amount("balance", customer.balance, MAX_MONEY)?;
        check_amount("credit limit", customer.credit_limit, MAX_MONEY)?;
    }
    let products = ledger.list_products().expect("stock list");
    prop_assert!(products.unreadable.is_empty(), "{:?}", products.unreadable);
    for product in &products.rows {
        check_amount("sales price", product.sales_price, MAX_MONEY)?;
        for value in [
            product.qty_in_stock,
            product.qty_allocated,
            product.qty_on_order,
        ] {
            check_amount("stock quantity", value, MAX_QUANTITY)?;
        }
    }
    Ok(orders.total)
}

fn config() -> Config {
    // `Config::default()` reads PROPTEST_CASES; only the default count changes here.
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 64;
    }
    config.failure_persistence = None;
    config
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_order_ends_once_in_success_or_fail_and_the_ledger_stays_sound(
        files in proptest::collection::vec(proptest::collection::vec(order(), 0..6), 1..4),
        replayed in any::<prop::sample::Index>(),
    ) {
        let (mut ledger, _clock) = ledger();
        add_customer(&mut ledger, "WEB001", "Web Sales");
        add_customer(&mut ledger, "WEB002", "Web Sales Two");
        add_product(&mut ledger, "PEN", 1.5, 100.0);
        add_product(&mut ledger, "INK", 4.0, 0.0);
        ledger.set_truth_journal(Some("workflow".into()));
        let mut truth = MemoryTruthStore::new();
        let documents: Vec<String> =
            files.iter().enumerate().map(|(file, orders)| document(file, orders)).collect();

        let mut imported: BTreeMap<String, (u32, Option<String>)> = BTreeMap::new();
        let mut by_file = Vec::new();
        for (file, xml) in documents.iter().enumerate() {
            let report = import(&mut ledger, &mut truth, xml, "run-1");
            let records = files[file].len();
            prop_assert_eq!(report.counts.read, records);
            prop_assert_eq!(report.counts.imported, report.success.sales_orders.as_ref().map_or(0, Vec::len));
            prop_assert_eq!(report.counts.failed, report.fail.sales_orders.as_ref().map_or(0, Vec::len));
            prop_assert_eq!(report.counts.imported + report.counts.failed, records);
            prop_assert!(report.aborted.is_none(), "{:?}", report.aborted);
            let (success, fail) = (report.success_xml(), report.fail_xml());
            for index in 0..records {
                let mark = format!("<CustomerOrderNumber>{}</CustomerOrderNumber>", marker(file, index));
                prop_assert_eq!(
                    success.matches(&mark).count() + fail.matches(&mark).count(),
                    1,
                    "record {} of file {}", index, file
                );
            }
            let here = successes(&report);
            for (mark, entry) in &here {
                prop_assert!(imported.insert(mark.clone(), entry.clone()).is_none());
            }
            by_file.push(here);
        }

        // One ledger order per success record, holding that record, and nothing else.
        let numbers: BTreeSet<u32> = imported.values().map(|(number, _)| *number).collect();
        prop_assert_eq!(numbers.len(), imported.len(), "two records under one order number");
        let ids: Vec<&String> = imported.values().filter_map(|(_, id)| id.as_ref()).collect();
        let unique_ids: BTreeSet<&&String> = ids.iter().collect();
        prop_assert_eq!(unique_ids.len(), ids.len(), "an Id imported twice: {:?}", ids);
        for (mark, (number, _)) in &imported {
            let order = ledger.find_sales_order(*number).expect("readable").expect("exists");
            prop_assert_eq!(&order.customer_order_number, mark);
        }
        prop_assert_eq!(check_ledger(&ledger)?, imported.len());

        // A resumed run (same lineage, another run) imports one of the files again.
        let file = replayed.index(documents.len());
        // Orders with and without an Id come back under the numbers the first run gave them.
        let again = import(&mut ledger, &mut truth, &documents[file], "run-2");
        prop_assert_eq!(successes(&again), by_file[file].clone());
        prop_assert_eq!(check_ledger(&ledger)?, imported.len(), "the replay posted an order");
        // And once more within that run: everything is a duplicate now.
        let third = import(&mut ledger, &mut truth, &documents[file], "run-2");
        prop_assert!(successes(&third).values().all(|(_, id)| id.is_none()));
    }
}
