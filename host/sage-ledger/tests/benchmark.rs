//! The benchmark path runs end to end on a small generated file.

use sage_ledger::benchmark::{
    OrderFileShape, benchmark_settings, generate_order_file, run_order_import, seed_catalogue,
};
use sage_ledger::{ImportJournal, JournalScope, Ledger, MemoryTruthStore, record_types};

#[test]
fn a_generated_order_file_imports_completely() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    seed_catalogue(&mut ledger, 20).unwrap();
    let shape = OrderFileShape {
        orders: 300,
        customers: 40,
        products: 20,
    };
    let xml = generate_order_file(shape);
    let result = run_order_import(
        &mut ledger,
        &xml,
        &benchmark_settings(),
        &mut MemoryTruthStore::new(),
        None,
    )
    .unwrap();
    assert_eq!(
        (
            result.counts.read,
            result.counts.imported,
            result.counts.failed
        ),
        (300, 300, 0)
    );
    assert_eq!(result.counts.customers_created, 40);
    assert_eq!(ledger.sales_order_count().unwrap(), 300);
    assert!(result.orders_per_second > 0.0);
}

/// Journaled, as through the engine (the bench's like-for-like baseline): the truth rows reach the
/// truth store, the journal is cleared after, and both documents are written to the folder.
#[test]
fn a_journaled_benchmark_import_leaves_truth_and_documents() {
    let folder = tempfile::tempdir().unwrap();
    let mut ledger = Ledger::open(folder.path().join("company.sqlite")).unwrap();
    seed_catalogue(&mut ledger, 20).unwrap();
    ledger.set_journal(JournalScope {
        truth_scope: Some("/data/orders".into()),
        replay_key: Some("run-1/orders/document".into()),
        run_id: Some("run-1".into()),
    });
    let shape = OrderFileShape {
        orders: 50,
        customers: 10,
        products: 20,
    };
    let mut truth = MemoryTruthStore::new();
    let result = run_order_import(
        &mut ledger,
        &generate_order_file(shape),
        &benchmark_settings(),
        &mut truth,
        Some(folder.path()),
    )
    .unwrap();
    assert_eq!((result.counts.imported, result.counts.failed), (50, 0));
    let of_type = |kind: &str| {
        truth
            .records()
            .iter()
            .filter(|row| row.record_type == kind)
            .count()
    };
    assert_eq!(of_type(record_types::SALES_ORDER), 50);
    assert_eq!(of_type(record_types::CUSTOMER), 10);
    assert!(ledger.truth_journal().unwrap().is_empty());
    let success = std::fs::read_to_string(folder.path().join("success.xml")).unwrap();
    assert_eq!(success.matches("<SalesOrder>").count(), 50);
    let fail = std::fs::read_to_string(folder.path().join("fail.xml")).unwrap();
    assert_eq!(fail.matches("<SalesOrder>").count(), 0);
    assert!(!folder.path().join("success.xml.partial").exists());
}
