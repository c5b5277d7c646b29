//! docs/zynk-reference.md §2.9 Export Stock Records: selection, publish filter, cursor, content hashes (docs/zynk-reference.md §5.10, §5.11).

mod common;

use common::{add_customer, add_product, ledger, order, orders, start_time, tick};
use sage_ledger::procedures::{
    ExportType, SalesOrderImportSettings, StockExportSettings, export_stock_records,
    import_sales_orders, never,
};
use sage_ledger::{MemoryTruthStore, MovementType, StockMovement};
use zynk_xml::Company;

fn skus(export: &sage_ledger::procedures::StockExport) -> Vec<String> {
    export
        .document
        .product_records()
        .map(|p| p.sku.clone().unwrap())
        .collect()
}

/// Runs an export and, as the caller does after delivering the file, stores cursor and hashes.
fn deliver(
    ledger: &mut sage_ledger::Ledger,
    truth: &mut MemoryTruthStore,
    settings: &mut StockExportSettings,
) -> sage_ledger::procedures::StockExport {
    let export = export_stock_records(ledger, truth, settings).unwrap();
    export.record_hashes(truth).unwrap();
    settings.date_time_modified = export.next_cursor;
    export
}

#[test]
fn the_first_run_exports_everything_and_the_next_only_changes() {
    let (mut ledger, clock) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_product(&mut ledger, "A", 1.0, 5.0);
    add_product(&mut ledger, "B", 2.0, 0.0);
    let mut settings = StockExportSettings::default();
    assert_eq!(settings.date_time_modified, never());
    let first = deliver(&mut ledger, &mut truth, &mut settings);
    assert_eq!(skus(&first), ["A", "B"]);
    let product = first.document.product_records().next().unwrap();
    assert_eq!(
        (
            product.qty_in_stock,
            product.qty_allocated,
            product.unique_id.as_deref()
        ),
        (Some(5.0), Some(0.0), Some("A"))
    );
    assert!(product.date_modified.is_some());
    assert_eq!(product.rrp_price, None);
    assert!(
        first.xml().contains("<RRPPrice xsi:nil=\"true\" />"),
        "exports write nils"
    );

    tick(&clock);
    let nothing = deliver(&mut ledger, &mut truth, &mut settings);
    assert!(skus(&nothing).is_empty());
    assert!(
        nothing.xml().contains("<Products />"),
        "the file is written with an empty collection"
    );

    tick(&clock);
    ledger
        .record_stock_movement(&StockMovement {
            stock_code: "B".into(),
            movement: MovementType::AdjustmentIn,
            quantity: 3.0,
            reference: "ADJ".into(),
            details: String::new(),
        })
        .unwrap();
    let changed = deliver(&mut ledger, &mut truth, &mut settings);
    assert_eq!(skus(&changed), ["B"]);
    assert_eq!(
        changed
            .document
            .product_records()
            .next()
            .unwrap()
            .qty_in_stock,
        Some(3.0)
    );
}

#[test]
fn allocation_by_an_order_import_reaches_the_next_export() {
    let (mut ledger, clock) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    add_product(&mut ledger, "A", 1.0, 5.0);
    add_product(&mut ledger, "B", 1.0, 5.0);
    let mut settings = StockExportSettings::default();
    deliver(&mut ledger, &mut truth, &mut settings);
    tick(&clock);
    let allocate = SalesOrderImportSettings {
        auto_allocate_stock: true,
        ..SalesOrderImportSettings::default()
    };
    import_sales_orders(
        &mut ledger,
        &mut truth,
        orders(&[order("1", "ABC001", &[("A", 2.0, 1.0)])]),
        &allocate,
    )
    .unwrap();
    let export = deliver(&mut ledger, &mut truth, &mut settings);
    assert_eq!(skus(&export), ["A"]);
    let product = export.document.product_records().next().unwrap();
    assert_eq!(
        (product.qty_in_stock, product.qty_allocated),
        (Some(5.0), Some(2.0)),
        "web stock = 5 − 2"
    );
}

#[test]
fn a_record_touched_without_a_real_change_is_suppressed_by_its_hash() {
    let (mut ledger, clock) = ledger();
    let mut truth = MemoryTruthStore::new();
    let product = add_product(&mut ledger, "A", 1.0, 5.0);
    let mut settings = StockExportSettings::default();
    deliver(&mut ledger, &mut truth, &mut settings);
    tick(&clock);
    let mut changed = product.clone();
    changed.sales_price = 9.0;
    ledger.update_product(&changed).unwrap();
    tick(&clock);
    ledger.update_product(&product).unwrap();
    let export = deliver(&mut ledger, &mut truth, &mut settings);
    assert_eq!(
        (export.scanned, export.exported, export.suppressed),
        (1, 0, 1)
    );
    // `All` ignores hashes.
    let all = export_stock_records(
        &mut ledger,
        &truth,
        &StockExportSettings {
            export_type: ExportType::All,
            ..settings.clone()
        },
    )
    .unwrap();
    assert_eq!(skus(&all), ["A"]);
}

#[test]
fn hashes_and_cursor_are_only_stored_by_the_caller() {
    let (mut ledger, _) = ledger();
    let truth = MemoryTruthStore::new();
    add_product(&mut ledger, "A", 1.0, 5.0);
    let settings = StockExportSettings::default();
    let failed_delivery = export_stock_records(&mut ledger, &truth, &settings).unwrap();
    assert_eq!(failed_delivery.hash_updates.len(), 1);
    assert!(truth.records().is_empty());
    let retry = export_stock_records(&mut ledger, &truth, &settings).unwrap();
    assert_eq!(
        skus(&retry),
        ["A"],
        "an undelivered export is repeated in full"
    );
}

#[test]
fn the_cursor_is_the_newest_modified_stamp_or_the_run_start() {
    let (mut ledger, clock) = ledger();
    let truth = MemoryTruthStore::new();
    let empty = export_stock_records(&mut ledger, &truth, &StockExportSettings::default()).unwrap();
    assert!(
        empty.next_cursor >= start_time(),
        "nothing scanned: the run start"
    );
    let a = add_product(&mut ledger, "A", 1.0, 0.0);
    tick(&clock);
    let b = add_product(&mut ledger, "B", 1.0, 0.0);
    tick(&clock);
    let export =
        export_stock_records(&mut ledger, &truth, &StockExportSettings::default()).unwrap();
    assert_eq!(export.next_cursor, b.modified);
    assert!(a.modified < b.modified);
}

#[test]
fn new_selects_created_records_only() {
    let (mut ledger, clock) = ledger();
    let mut truth = MemoryTruthStore::new();
    let old = add_product(&mut ledger, "OLD", 1.0, 0.0);
    let mut settings = StockExportSettings {
        export_type: ExportType::New,
        ..StockExportSettings::default()
    };
    deliver(&mut ledger, &mut truth, &mut settings);
    tick(&clock);
    let mut changed = old.clone();
    changed.description = "Renamed".into();
    ledger.update_product(&changed).unwrap();
    add_product(&mut ledger, "NEW", 1.0, 0.0);
    assert_eq!(
        skus(&deliver(&mut ledger, &mut truth, &mut settings)),
        ["NEW"]
    );
}

#[test]
fn export_published_filters_and_export_all_overrides_the_type() {
    let (mut ledger, _) = ledger();
    let truth = MemoryTruthStore::new();
    let mut published = ledger.product_template("WEB").unwrap();
    published.publish = true;
    ledger.create_product(&published).unwrap();
    add_product(&mut ledger, "BACKROOM", 1.0, 0.0);
    let only_published = StockExportSettings {
        export_published: true,
        ..StockExportSettings::default()
    };
    assert_eq!(
        skus(&export_stock_records(&mut ledger, &truth, &only_published).unwrap()),
        ["WEB"]
    );
    let far_future = chrono::NaiveDate::from_ymd_opt(2099, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let legacy_all = StockExportSettings {
        export_all: true,
        date_time_modified: far_future,
        ..StockExportSettings::default()
    };
    assert_eq!(
        skus(&export_stock_records(&mut ledger, &truth, &legacy_all).unwrap()),
        ["BACKROOM", "WEB"]
    );
}

#[test]
fn inactive_products_are_exported_with_is_active_false() {
    let (mut ledger, _) = ledger();
    let truth = MemoryTruthStore::new();
    let mut product = add_product(&mut ledger, "OLD", 1.0, 0.0);
    product.inactive = true;
    product.inactive_date = Some(start_time());
    ledger.update_product(&product).unwrap();
    let export =
        export_stock_records(&mut ledger, &truth, &StockExportSettings::default()).unwrap();
    let record = export.document.product_records().next().unwrap();
    assert_eq!(record.is_active, Some(false));
    assert!(record.inactive_date.is_some());
}

#[test]
fn the_export_file_reads_back_as_the_same_products() {
    let (mut ledger, _) = ledger();
    let truth = MemoryTruthStore::new();
    let mut product = ledger.product_template("BOARD001").unwrap();
    product.description = "Whiteboard - Drywipe (900 x 1200)".into();
    product.web_details = "Magnetic steel drywipe whiteboard.\n\nComplete with marker tray.".into();
    product.sales_price = 20.0;
    product.qty_in_stock = 5.0;
    product.publish = true;
    ledger.create_product(&product).unwrap();
    let export =
        export_stock_records(&mut ledger, &truth, &StockExportSettings::default()).unwrap();
    let reread = Company::parse(&export.xml()).unwrap();
    assert_eq!(reread.products, export.document.products);
}
