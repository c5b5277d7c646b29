use super::*;
use crate::fake::MiniShop;
use crate::truth::MemoryTruth;
use wharf_guest::ResultCode;
use wharf_guest::Settings;

/// Runs the task on raw settings, as the host passes them.
fn run(settings: &Settings, web: &mut impl Web, truth: &mut impl Truth) -> TaskResult {
    match <InventorySettings as wharf_guest::TaskSettings>::parse(settings) {
        Ok(settings) => super::run(&settings, web, truth),
        Err(e) => e.into(),
    }
}

fn shop() -> MiniShop {
    let mut shop = MiniShop::new();
    shop.products = vec![
        (
            1,
            "CHAIR".into(),
            "product".into(),
            vec![(11, "CHAIR".into())],
        ),
        (
            2,
            "SHIRT".into(),
            "variant".into(),
            vec![
                (21, "SHIRT".into()),
                (22, "SHIRT-S".into()),
                (23, "SHIRT-M".into()),
            ],
        ),
        (
            3,
            "POSTER".into(),
            "none".into(),
            vec![(31, "POSTER".into())],
        ),
        (4, "LAMP".into(), "none".into(), vec![(41, "LAMP".into())]),
    ];
    shop
}

#[test]
fn skus_match_variants_then_products_by_tracking_in_batches() {
    let dir = tempfile::tempdir().unwrap();
    let path = |n: &str| dir.path().join(n).display().to_string();
    std::fs::write(
        path("stock.xml"),
        "<ArrayOfInventory>\
         <Inventory><sku>CHAIR</sku><inventory_level>5</inventory_level><inventory_warning_level>2</inventory_warning_level></Inventory>\
         <Inventory><sku>SHIRT-M</sku><inventory_level>-3</inventory_level></Inventory>\
         <Inventory><sku>SHIRT</sku><inventory_level>9</inventory_level></Inventory>\
         <Inventory><sku>POSTER</sku><inventory_level>1</inventory_level></Inventory>\
         <Inventory><sku>LAMP</sku><inventory_level>4</inventory_level><inventory_tracking>product</inventory_tracking></Inventory>\
         <Inventory><sku>NOPE</sku><inventory_level>1</inventory_level></Inventory>\
         <Inventory><sku>SHIRT-S</sku><inventory_level>lots</inventory_level></Inventory>\
         </ArrayOfInventory>",
    )
    .unwrap();
    let settings = Settings::from_pairs(&[
        ("input-file", path("stock.xml")),
        ("success-file", path("ok.xml")),
        ("fail-file", path("bad.xml")),
        ("batch-size", "2".into()),
        ("prevent-reprocessing", "true".into()),
    ]);
    let mut shop = shop();
    let mut truth = MemoryTruth::default();
    let result = run(&settings, &mut shop, &mut truth);
    assert_eq!(result.code, ResultCode::Success, "{}", result.message);
    assert_eq!(
        (result.counts.records_out, result.counts.records_failed),
        (3, 4),
        "{}",
        result.message
    );
    // Compared as JSON values: the key order of serde_json's maps depends on workspace features.
    let adjusted = &shop.adjusted;
    assert!(
        adjusted.contains(&serde_json::json!({"location_id": 1, "product_id": 1, "quantity": 5})),
        "{adjusted:?}"
    );
    assert!(
        adjusted.contains(&serde_json::json!({"location_id": 1, "quantity": 0, "variant_id": 23})),
        "negative stock is 0: {adjusted:?}"
    );
    assert!(
        adjusted.iter().any(|a| a["product_id"] == 4),
        "tracking turned on first"
    );
    assert_eq!(shop.products[3].2, "product");
    assert_eq!(shop.warnings.len(), 1);
    let bad = std::fs::read_to_string(path("bad.xml")).unwrap();
    for why in [
        "tracks stock by variant",
        "does not track stock",
        "no variant or product has this SKU",
        "not a whole number",
    ] {
        assert!(bad.contains(why), "{why}: {bad}");
    }
    // Batches of two: three adjustment requests for three items (one was a single).
    assert_eq!(
        shop.requests
            .iter()
            .filter(|r| r.contains("adjustments/absolute"))
            .count(),
        2
    );

    let again = run(&settings, &mut shop, &mut truth);
    assert!(again.message.contains("3 unchanged"), "{}", again.message);
}

#[test]
fn a_refused_batch_is_sent_again_item_by_item() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("stock.xml");
    std::fs::write(&input, "<inventories><inventory><sku>CHAIR</sku><inventory_level>5</inventory_level></inventory><inventory><sku>SHIRT-S</sku><inventory_level>2</inventory_level></inventory><inventory><sku>SHIRT-M</sku><inventory_level>3</inventory_level></inventory></inventories>").unwrap();
    let fail = dir.path().join("bad.xml");
    let settings = Settings::from_pairs(&[
        ("input-file", input.display().to_string()),
        ("fail-file", fail.display().to_string()),
    ]);
    let mut shop = shop();
    shop.refuse = vec![22];
    let result = run(&settings, &mut shop, &mut MemoryTruth::default());
    assert_eq!(
        (result.counts.records_out, result.counts.records_failed),
        (2, 1),
        "{}",
        result.message
    );
    assert_eq!(
        shop.requests
            .iter()
            .filter(|r| r.contains("adjustments/absolute"))
            .count(),
        4,
        "the batch, then each of three"
    );
    assert!(std::fs::read_to_string(&fail).unwrap().contains("SHIRT-S"));
    assert_eq!(shop.adjusted.len(), 2);
}
