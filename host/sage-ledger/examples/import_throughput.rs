//! Measures sales-order import throughput on a generated file (default 10,000 orders) into a
//! file-backed ledger, the way a run would. Run in release:
//!
//!   cargo run --release -p wharf-sage-ledger --example import_throughput -- 10000 [memory] [journal]
//!
//! `memory` uses an in-memory ledger, which separates the ledger's CPU cost from disk waits
//! (WAL checkpoints fsync; on a machine shared with builders that dominates wall time).
//! `journal` turns the truth journal and replay marks on, as an import through the engine has
//! them (each order's truth rows and mark in its own transaction), to measure what they cost.
//! Truth is kept in memory here; a file-backed run writes the success and fail documents to its
//! folder (unsynced, as the import task does). The like-for-like comparison with the engine
//! (journal on, the engine's SQLite truth store) is the bench's `sage` section.
//!
//! `prepare=DIR` only writes the seeded ledger (`DIR/ledger.sqlite`) and the order file
//! (`DIR/orders.xml`) and stops: the inputs of a `wharf run` of the same import, for measuring
//! the whole process (time, peak RSS) with any `wharf` binary.

use sage_ledger::benchmark::{
    OrderFileShape, benchmark_settings, generate_order_file, run_order_import, seed_catalogue,
};
use sage_ledger::{ImportJournal, JournalScope, Ledger, MemoryTruthStore};

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
    let options: Vec<String> = std::env::args().skip(2).collect();
    let in_memory = options.iter().any(|o| o == "memory");
    let journaled = options.iter().any(|o| o == "journal");
    if let Some(dir) = options.iter().find_map(|o| o.strip_prefix("prepare=")) {
        let dir = std::path::Path::new(dir);
        std::fs::create_dir_all(dir)?;
        seed_catalogue(
            &mut Ledger::open(dir.join("ledger.sqlite"))?,
            shape.products,
        )?;
        std::fs::write(dir.join("orders.xml"), generate_order_file(shape))?;
        return Ok(());
    }
    let folder = tempfile::tempdir()?;
    let mut ledger = if in_memory {
        Ledger::open_in_memory()?
    } else {
        Ledger::open(folder.path().join("company.sqlite"))?
    };
    seed_catalogue(&mut ledger, shape.products)?;
    if journaled {
        ledger.set_journal(JournalScope {
            truth_scope: Some("/data/orders".into()),
            replay_key: Some("run-1/orders/benchmark".into()),
            run_id: Some("run-1".into()),
        });
    }
    let xml = generate_order_file(shape);
    println!(
        "{} orders from {} customers over {} products ({:.1} MB of XML), {} ledger{}",
        shape.orders,
        shape.customers,
        shape.products,
        xml.len() as f64 / 1e6,
        if in_memory {
            "in-memory"
        } else {
            "file-backed"
        },
        if journaled { ", journaled" } else { "" }
    );
    let documents = (!in_memory).then(|| folder.path());
    let result = run_order_import(
        &mut ledger,
        &xml,
        &benchmark_settings(),
        &mut MemoryTruthStore::new(),
        documents,
    )?;
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
