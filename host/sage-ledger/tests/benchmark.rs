//! The benchmark path runs end to end on a small generated file.

use sage_ledger::Ledger;
use sage_ledger::benchmark::{
    OrderFileShape, benchmark_settings, generate_order_file, run_order_import, seed_catalogue,
};

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
    let result = run_order_import(&mut ledger, &xml, &benchmark_settings()).unwrap();
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
