//! Benchmark support: a generated web-shop order file and a timed import of it.
//!
//! The generated file looks like tutorial traffic: orders reference web customers by
//! `CustomerId` (a pool of repeat customers, created on first sight with generated account
//! references), two or three stock lines from a catalogue, carriage, and a card payment.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use zynk_xml::Company;

use crate::account_refs::{AccountReferenceConvention, AccountReferenceSettings};
use crate::error::{LedgerError, LedgerResult};
use crate::ledger::Ledger;
use crate::procedures::{
    ImportCounts, ProcedureError, SalesOrderImportSettings, import_sales_orders,
};
use crate::truth::TruthStore;

const COMPANY_WORDS: [&str; 12] = [
    "Acme",
    "Brightside",
    "Copperfield",
    "Delta",
    "Evergreen",
    "Foxglove",
    "Granite",
    "Harbour",
    "Ironbridge",
    "Juniper",
    "Kestrel",
    "Lantern",
];

/// Shape of the generated file.
#[derive(Debug, Clone, Copy)]
pub struct OrderFileShape {
    pub orders: usize,
    /// Distinct web customers the orders come from.
    pub customers: usize,
    /// Catalogue size (SKUs `SKU00001`…).
    pub products: usize,
}

impl Default for OrderFileShape {
    fn default() -> Self {
        OrderFileShape {
            orders: 10_000,
            customers: 1_000,
            products: 200,
        }
    }
}

/// Creates the catalogue the generated orders sell from (100 in stock each).
pub fn seed_catalogue(ledger: &mut Ledger, products: usize) -> LedgerResult<()> {
    for number in 1..=products {
        let mut product = ledger.product_template(&format!("SKU{number:05}"))?;
        product.description = format!("Catalogue item {number}");
        product.sales_price = 5.0 + (number % 40) as f64;
        product.qty_in_stock = 100.0;
        product.publish = true;
        ledger.create_product(&product)?;
    }
    Ok(())
}

/// A Zynk XML file of `shape.orders` orders.
pub fn generate_order_file(shape: OrderFileShape) -> String {
    let mut xml = String::with_capacity(shape.orders * 1_500);
    xml.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Company xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">\n  <SalesOrders>\n");
    for order in 1..=shape.orders {
        let customer = (order * 7919) % shape.customers.max(1) + 1;
        let company = format!(
            "{} {} Ltd",
            COMPANY_WORDS[customer % COMPANY_WORDS.len()],
            customer
        );
        let lines = 2 + order % 2;
        let _ = write!(
            xml,
            "    <SalesOrder>\n      <Id>WEB-{order}</Id>\n      <CustomerId>C{customer}</CustomerId>\n      \
             <CustomerOrderNumber>1000{order}</CustomerOrderNumber>\n      <SalesOrderDate>2024-03-01T10:00:00</SalesOrderDate>\n      \
             <SalesOrderAddress>\n        <Forename>Pat</Forename>\n        <Surname>Buyer{customer}</Surname>\n        \
             <Company>{company}</Company>\n        <Address1>{customer} High Street</Address1>\n        <Town>Newcastle</Town>\n        \
             <Postcode>NE1 4XF</Postcode>\n        <Country>GB</Country>\n        <Email>buyer{customer}@example.com</Email>\n      \
             </SalesOrderAddress>\n      <SalesOrderItems>\n"
        );
        for line in 0..lines {
            let sku = (order * 31 + line * 17) % shape.products.max(1) + 1;
            let _ = write!(
                xml,
                "        <Item>\n          <Sku>SKU{sku:05}</Sku>\n          <QtyOrdered>{}</QtyOrdered>\n          \
                 <UnitPrice>{}.99</UnitPrice>\n        </Item>\n",
                1 + line,
                4 + sku % 30
            );
        }
        let _ = write!(
            xml,
            "      </SalesOrderItems>\n      <Carriage>\n        <QtyOrdered>1</QtyOrdered>\n        <UnitPrice>4.95</UnitPrice>\n      \
             </Carriage>\n      <TakenBy>Web Shop</TakenBy>\n      <PaymentRef>CARD-{order}</PaymentRef>\n      \
             <PaymentAmount>20</PaymentAmount>\n      <PaymentType>PaymentAlreadyReceived</PaymentType>\n    </SalesOrder>\n"
        );
    }
    xml.push_str("  </SalesOrders>\n</Company>\n");
    xml
}

/// The tutorial-2 style settings the benchmark imports with.
pub fn benchmark_settings() -> SalesOrderImportSettings {
    SalesOrderImportSettings {
        account_references: AccountReferenceSettings {
            auto_generate: true,
            convention: AccountReferenceConvention::CompanyOtherwiseFullname,
            alphabetic_length: 3,
            numeric_length: 5,
            mask: String::new(),
            regular_expression: String::new(),
        },
        auto_create_customer: true,
        auto_allocate_stock: true,
        ..SalesOrderImportSettings::default()
    }
}

/// Timings of one benchmark run.
#[derive(Debug, Clone)]
pub struct ImportBenchmark {
    pub counts: ImportCounts,
    pub parse: Duration,
    pub import: Duration,
    pub write: Duration,
    /// Imported orders per second of import time (parsing and writing excluded).
    pub orders_per_second: f64,
    /// Imported orders per second, parse + import + writing both files.
    pub end_to_end_per_second: f64,
}

/// Parses `xml`, imports it into `ledger` recording in `truth`, and makes the success and fail
/// documents; with `documents`, writes them there as `success.xml` and `fail.xml` the way the
/// import task does (a partial file renamed into place, not synced: docs/sage50-rules.md).
///
/// An import through the engine also journals each order's truth rows and replay mark in the
/// ledger (set with [`crate::ImportJournal::set_journal`] before calling this) and writes its
/// truth rows to the workflow's SQLite truth store; a caller comparing against the engine
/// passes the same (`tests/bench`, section `sage`), so both sides do the same durable work.
pub fn run_order_import(
    ledger: &mut Ledger,
    xml: &str,
    settings: &SalesOrderImportSettings,
    truth: &mut dyn TruthStore,
    documents: Option<&Path>,
) -> Result<ImportBenchmark, ProcedureError> {
    let started = Instant::now();
    let company = Company::parse_bytes(xml.as_bytes()).map_err(|error| {
        ProcedureError::Ledger(LedgerError::Corrupt(format!("benchmark file: {error}")))
    })?;
    let parsed = Instant::now();
    let mut report = import_sales_orders(ledger, truth, company, settings)?;
    let imported = Instant::now();
    let (success, fail) = report.take_documents();
    if let Some(folder) = documents {
        for (name, text) in [("success.xml", &success), ("fail.xml", &fail)] {
            write_unsynced(&folder.join(name), text).map_err(|error| {
                ProcedureError::Ledger(LedgerError::Corrupt(format!(
                    "benchmark document {name} in {}: {error}",
                    folder.display()
                )))
            })?;
        }
    }
    let written = Instant::now();
    debug_assert!(!success.is_empty() && !fail.is_empty());
    let per_second =
        |elapsed: Duration| report.counts.imported as f64 / elapsed.as_secs_f64().max(1e-9);
    Ok(ImportBenchmark {
        parse: parsed - started,
        import: imported - parsed,
        write: written - imported,
        orders_per_second: per_second(imported - parsed),
        end_to_end_per_second: per_second(written - started),
        counts: report.counts,
    })
}

/// Writes `text` to a partial file beside `path` and renames it into place, without a sync.
fn write_unsynced(path: &Path, text: &str) -> std::io::Result<()> {
    let partial = path.with_extension("xml.partial");
    std::fs::write(&partial, text)?;
    std::fs::rename(&partial, path)
}
