//! docs/zynk-reference.md §5.7 Stock allocation on order import.

mod common;

use common::{add_customer, add_product, ledger, order, orders, tick};
use sage_ledger::procedures::{SalesOrderImportSettings, import_sales_orders};
use sage_ledger::{AllocationStatus, ItemKind, MemoryTruthStore, MovementType, StockMovement};

fn allocating() -> SalesOrderImportSettings {
    SalesOrderImportSettings {
        auto_allocate_stock: true,
        ..SalesOrderImportSettings::default()
    }
}

#[test]
fn allocation_takes_what_free_stock_there_is() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    add_product(&mut ledger, "WIDGET", 10.0, 5.0);
    let report = import_sales_orders(
        &mut ledger,
        &mut truth,
        orders(&[order("1", "ABC001", &[("WIDGET", 8.0, 10.0)])]),
        &allocating(),
    )
    .unwrap();
    let record = report.success.sales_order_records().next().unwrap();
    assert_eq!(
        record.items[0].qty_allocated,
        Some(5.0),
        "the success file reports what was really allocated"
    );
    let product = ledger.find_product("WIDGET").unwrap().unwrap();
    assert_eq!(
        (
            product.qty_in_stock,
            product.qty_allocated,
            product.free_stock()
        ),
        (5.0, 5.0, 0.0)
    );
    let order = ledger.find_sales_order(1).unwrap().unwrap();
    assert_eq!(order.allocation_status, AllocationStatus::PartAllocated);
    // A later order finds no free stock.
    let report = import_sales_orders(
        &mut ledger,
        &mut truth,
        orders(&[order_xml("2", 1.0)]),
        &allocating(),
    )
    .unwrap();
    assert_eq!(
        report.success.sales_order_records().next().unwrap().items[0].qty_allocated,
        Some(0.0)
    );
}

fn order_xml(id: &str, quantity: f64) -> String {
    order(id, "ABC001", &[("WIDGET", quantity, 10.0)])
}

#[test]
fn lines_for_the_same_product_share_free_stock_in_document_order() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    add_product(&mut ledger, "WIDGET", 10.0, 6.0);
    let input = orders(&[order(
        "1",
        "ABC001",
        &[("WIDGET", 4.0, 10.0), ("WIDGET", 4.0, 10.0)],
    )]);
    let report = import_sales_orders(&mut ledger, &mut truth, &input, &allocating()).unwrap();
    let allocated: Vec<_> = report
        .success
        .sales_order_records()
        .next()
        .unwrap()
        .items
        .iter()
        .map(|i| i.qty_allocated)
        .collect();
    assert_eq!(allocated, [Some(4.0), Some(2.0)]);
    assert_eq!(
        ledger
            .find_product("WIDGET")
            .unwrap()
            .unwrap()
            .qty_allocated,
        6.0
    );
}

#[test]
fn negative_stock_has_no_free_stock() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    add_product(&mut ledger, "WIDGET", 10.0, -22.0);
    assert_eq!(
        ledger.find_product("WIDGET").unwrap().unwrap().qty_in_stock,
        -22.0
    );
    import_sales_orders(
        &mut ledger,
        &mut truth,
        orders(&[order_xml("1", 3.0)]),
        &allocating(),
    )
    .unwrap();
    assert_eq!(
        ledger
            .find_product("WIDGET")
            .unwrap()
            .unwrap()
            .qty_allocated,
        0.0
    );
    assert_eq!(
        ledger
            .find_sales_order(1)
            .unwrap()
            .unwrap()
            .allocation_status,
        AllocationStatus::Unallocated
    );
}

#[test]
fn non_stock_service_and_special_lines_are_not_allocated() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    let mut service = ledger.product_template("FITTING").unwrap();
    service.description = "Fitting".into();
    service.item_kind = ItemKind::Service;
    service.qty_in_stock = 10.0;
    ledger.create_product(&service).unwrap();
    let input = orders(&[order(
        "1",
        "ABC001",
        &[("FITTING", 1.0, 30.0), ("S1", 1.0, 5.0)],
    )]);
    let report = import_sales_orders(&mut ledger, &mut truth, &input, &allocating()).unwrap();
    let items = &report.success.sales_order_records().next().unwrap().items;
    assert_eq!(
        (items[0].qty_allocated, items[1].qty_allocated),
        (Some(0.0), Some(0.0))
    );
    assert_eq!(
        ledger
            .find_product("FITTING")
            .unwrap()
            .unwrap()
            .qty_allocated,
        0.0
    );
}

#[test]
fn without_auto_allocate_nothing_changes_on_the_product() {
    let (mut ledger, clock) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    let before = add_product(&mut ledger, "WIDGET", 10.0, 5.0);
    tick(&clock);
    let report = import_sales_orders(
        &mut ledger,
        &mut truth,
        orders(&[order_xml("1", 2.0)]),
        &SalesOrderImportSettings::default(),
    )
    .unwrap();
    assert_eq!(
        report.success.sales_order_records().next().unwrap().items[0].qty_allocated,
        None
    );
    let after = ledger.find_product("WIDGET").unwrap().unwrap();
    assert_eq!(
        after, before,
        "Sage reduces stock on despatch, not on order entry"
    );
}

#[test]
fn allocation_bumps_the_product_modified_stamp() {
    let (mut ledger, clock) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    let before = add_product(&mut ledger, "WIDGET", 10.0, 5.0);
    tick(&clock);
    import_sales_orders(
        &mut ledger,
        &mut truth,
        orders(&[order_xml("1", 2.0)]),
        &allocating(),
    )
    .unwrap();
    assert!(ledger.find_product("WIDGET").unwrap().unwrap().modified > before.modified);
}

#[test]
fn quotes_and_proformas_do_not_allocate() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    add_product(&mut ledger, "WIDGET", 10.0, 5.0);
    let quote = order_xml("1", 2.0).replace(
        "<Id>1</Id>",
        "<Id>1</Id><SalesOrderType>SopQuote</SalesOrderType>",
    );
    import_sales_orders(&mut ledger, &mut truth, orders(&[quote]), &allocating()).unwrap();
    assert_eq!(
        ledger
            .find_product("WIDGET")
            .unwrap()
            .unwrap()
            .qty_allocated,
        0.0
    );
}

#[test]
fn an_order_can_be_allocated_again_when_stock_arrives() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    add_product(&mut ledger, "WIDGET", 10.0, 2.0);
    import_sales_orders(
        &mut ledger,
        &mut truth,
        orders(&[order_xml("1", 5.0)]),
        &allocating(),
    )
    .unwrap();
    ledger
        .record_stock_movement(&StockMovement {
            stock_code: "WIDGET".into(),
            movement: MovementType::GoodsIn,
            quantity: 10.0,
            reference: "GRN1".into(),
            details: "Delivery".into(),
        })
        .unwrap();
    let result = ledger.allocate_order(1).unwrap();
    assert_eq!(result.allocated, [(1, 3.0)]);
    assert_eq!(result.status, AllocationStatus::FullyAllocated);
    let product = ledger.find_product("WIDGET").unwrap().unwrap();
    assert_eq!((product.qty_in_stock, product.qty_allocated), (12.0, 5.0));
}
