//! Loading stock records from Zynk product documents (how `wharf sage load` sets up a company).

mod common;

use common::{ledger, sample, tick};
use sage_ledger::procedures::load_products;

#[test]
fn the_product_export_sample_loads_with_opening_balances() {
    let (mut ledger, _) = ledger();
    let input = sample("Stationary & Computer Mart - Product Export.xml");
    let load = load_products(&mut ledger, &input).unwrap();
    assert_eq!(load.created + load.failed.len(), 105);
    assert!(load.created > 90, "{load:?}");
    let first = input.product_records().next().unwrap();
    let code = first.sku.as_deref().unwrap();
    let stored = ledger.find_product(code).unwrap().unwrap();
    assert_eq!(Some(stored.description.as_str()), first.name.as_deref());
    assert_eq!(Some(stored.qty_in_stock), first.qty_in_stock.or(Some(0.0)));
    assert_eq!(
        stored.qty_allocated, 0.0,
        "allocations come from orders, not from the file"
    );
}

#[test]
fn loading_again_updates_fields_but_never_stock() {
    let (mut ledger, clock) = ledger();
    let input = sample("Product Import or Export Sample.xml");
    let first = load_products(&mut ledger, &input).unwrap();
    assert_eq!((first.created, first.updated), (1, 0));
    let before = ledger.find_product("TR002").unwrap().unwrap();
    assert_eq!((before.qty_in_stock, before.sales_price), (10.0, 5.7));

    tick(&clock);
    let changed = zynk_xml::Company::parse(
        "<Company><Products><Product><Sku>TR002</Sku><SalePrice>6.5</SalePrice><QtyInStock>99</QtyInStock></Product>\
         <Product><Sku>S1</Sku></Product><Product><Name>no code</Name></Product></Products></Company>",
    )
    .unwrap();
    let second = load_products(&mut ledger, &changed).unwrap();
    assert_eq!((second.created, second.updated), (0, 1));
    assert_eq!(second.failed.len(), 2, "{:?}", second.failed);
    assert!(
        second.failed[0].contains("reserved by Sage"),
        "{:?}",
        second.failed
    );
    assert!(second.failed[1].contains("no Sku"), "{:?}", second.failed);
    let after = ledger.find_product("TR002").unwrap().unwrap();
    assert_eq!((after.qty_in_stock, after.sales_price), (10.0, 6.5));
    assert!(after.modified > before.modified);
}
