//! Measures sales-order import throughput on a generated file (default 10,000 orders) into a
//! file-backed ledger, the way a run would. Run in release:
//!
//!   cargo run --release -p wharf-sage-ledger --example import_throughput -- 10000 [memory]
//!
//! `memory` uses an in-memory ledger, which separates the ledger's CPU cost from disk waits
//! (WAL checkpoints fsync; on a machine shared with builders that dominates wall time).

use sage_ledger::Ledger;
use sage_ledger::benchmark::{
    OrderFileShape, benchmark_settings, generate_order_file, run_order_import, seed_catalogue,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let orders = std::env::args()
        .nth(1)
        .map(|count| count.parse())
        .transpose()?
        .unwrap_or(10_000);
    let shape = OrderFileShape {
        orders,
        ..OrderFileShape::default()
    };
    let in_memory = std::env::args().nth(2).as_deref() == Some("memory");
    let folder = tempfile::tempdir()?;
    let mut ledger = if in_memory {
        Ledger::open_in_memory()?
    } else {
        Ledger::open(folder.path().join("company.sqlite"))?
    };
    seed_catalogue(&mut ledger, shape.products)?;
    let xml = generate_order_file(shape);
    println!(
        "{} orders from {} customers over {} products ({:.1} MB of XML), {} ledger",
        shape.orders,
        shape.customers,
        shape.products,
        xml.len() as f64 / 1e6,
        if in_memory {
            "in-memory"
        } else {
            "file-backed"
        }
    );
    let result = run_order_import(&mut ledger, &xml, &benchmark_settings())?;
    println!(
        "imported {} (failed {}), created {} customers",
        result.counts.imported, result.counts.failed, result.counts.customers_created
    );
    println!(
        "parse {:.2?}, import {:.2?}, write files {:.2?}",
        result.parse, result.import, result.write
    );
    println!(
        "{:.0} orders/s imported ({:.0} orders/s end to end)",
        result.orders_per_second, result.end_to_end_per_second
    );
    Ok(())
}
