//! Ledger operations used directly (the `sage` WIT interface surface).

mod common;

use chrono::Duration;
use common::{add_customer, add_product, ledger, start_time, tick};
use sage_ledger::{
    Ledger, LedgerError, ManualClock, MatchField, MovementType, OrderImportOptions,
    OrderLineRequest, Rejection, SalesOrderRequest, StockMovement, StockRecordFilter,
    StockSelection, TaxCode,
};

#[test]
fn a_file_ledger_keeps_its_data_and_increasing_stamps_across_reopening() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("company.sqlite");
    let clock = ManualClock::new(start_time());
    let first_stamp = {
        let mut ledger = Ledger::open(&path).unwrap().with_clock(clock.clone());
        add_product(&mut ledger, "A", 1.0, 2.0).modified
    };
    // The clock went back (daylight saving, a restored VM): stamps still increase.
    clock.advance(Duration::hours(-2));
    let mut ledger = Ledger::open(&path).unwrap().with_clock(clock.clone());
    assert_eq!(
        ledger.find_product("a").unwrap().unwrap().qty_in_stock,
        2.0,
        "codes are case-insensitive"
    );
    let second = add_product(&mut ledger, "B", 1.0, 0.0);
    assert!(second.modified > first_stamp);
    assert_eq!(
        ledger
            .stock_records(
                first_stamp,
                StockRecordFilter {
                    selection: StockSelection::Modified,
                    published_only: false
                }
            )
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn open_existing_never_creates_a_company() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("company.sqlite");
    assert!(Ledger::open_existing(&path).is_err());
    assert!(!path.exists(), "no file was created");
    let mut ledger = Ledger::open(&path).unwrap();
    add_product(&mut ledger, "A", 1.0, 2.0);
    drop(ledger);
    let ledger = Ledger::open_existing(&path).unwrap();
    assert!(ledger.find_product("A").unwrap().is_some());
}

#[test]
fn opening_stock_is_a_movement_and_updates_never_change_quantities() {
    let (mut ledger, clock) = ledger();
    let product = add_product(&mut ledger, "A", 1.0, 7.0);
    assert_eq!(product.qty_in_stock, 7.0);
    tick(&clock);
    let mut edited = product.clone();
    edited.qty_in_stock = 999.0;
    edited.description = "Edited".into();
    let updated = ledger.update_product(&edited).unwrap();
    assert_eq!(
        (updated.qty_in_stock, updated.description.as_str()),
        (7.0, "Edited")
    );
    assert!(updated.modified > product.modified);
    let unchanged = ledger.update_product(&updated).unwrap();
    assert_eq!(
        unchanged.modified, updated.modified,
        "no change, no new stamp"
    );
    let out = ledger
        .record_stock_movement(&StockMovement {
            stock_code: "A".into(),
            movement: MovementType::GoodsOut,
            quantity: 10.0,
            reference: "GDN".into(),
            details: String::new(),
        })
        .unwrap();
    assert_eq!(out.qty_in_stock, -3.0, "stock may go negative");
    let zero = ledger.record_stock_movement(&StockMovement {
        stock_code: "A".into(),
        movement: MovementType::AdjustmentIn,
        quantity: 0.0,
        reference: String::new(),
        details: String::new(),
    });
    assert!(matches!(
        zero,
        Err(LedgerError::Rejected(Rejection::InvalidMovementQuantity(_)))
    ));
}

#[test]
fn product_codes_are_checked() {
    let (mut ledger, _) = ledger();
    for (code, reason) in [
        ("S1", "reserved by Sage for special order lines"),
        ("", "it is empty"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZ01234", "at most 30 characters"),
    ] {
        let product = ledger.product_template(code).unwrap();
        match ledger.create_product(&product) {
            Err(LedgerError::Rejected(Rejection::InvalidProductCode { reason: why, .. })) => {
                assert!(why.contains(reason), "{code}: {why}")
            }
            other => panic!("{code}: {other:?}"),
        }
    }
    add_product(&mut ledger, "DUP", 1.0, 0.0);
    let again = ledger.product_template("dup").unwrap();
    assert!(matches!(
        ledger.create_product(&again),
        Err(LedgerError::Rejected(Rejection::ProductExists(_)))
    ));
}

#[test]
fn customers_are_found_by_reference_and_by_field() {
    let (mut ledger, _) = ledger();
    let mut customer = ledger.customer_template("abc001").unwrap();
    customer.name = "Abc Ltd".into();
    customer.telephone2 = "07700 900123".into();
    ledger
        .create_customer(&sage_ledger::NewCustomer {
            customer,
            delivery_addresses: Vec::new(),
        })
        .unwrap();
    let found = ledger.find_customer_by_ref("ABC001").unwrap().unwrap();
    assert_eq!(
        found.account_ref, "ABC001",
        "references are stored upper case"
    );
    assert_eq!(found.account_opened, start_time().date());
    let by_mobile = ledger
        .find_customer_by(MatchField::Mobile, " 07700 900123 ")
        .unwrap()
        .unwrap();
    assert_eq!(by_mobile.account_ref, "ABC001");
    assert!(
        ledger
            .find_customer_by(MatchField::CompanyName, "abc ltd")
            .unwrap()
            .is_some()
    );
    let duplicate = ledger.customer_template("ABC001").unwrap();
    let mut duplicate = duplicate;
    duplicate.name = "Other".into();
    assert!(matches!(
        ledger.create_customer(&sage_ledger::NewCustomer {
            customer: duplicate,
            delivery_addresses: Vec::new()
        }),
        Err(LedgerError::Rejected(Rejection::AccountExists(_)))
    ));
}

#[test]
fn reference_data_can_be_extended() {
    let (mut ledger, _) = ledger();
    assert_eq!(ledger.tax_code(1).unwrap().unwrap().rate, 20.0);
    assert!(ledger.tax_code(3).unwrap().is_none());
    ledger
        .set_tax_code(&TaxCode {
            code: 3,
            rate: 12.5,
            description: "Special".into(),
        })
        .unwrap();
    assert_eq!(ledger.tax_code(3).unwrap().unwrap().rate, 12.5);
    assert!(ledger.nominal_account("1200").unwrap().unwrap().is_bank);
    assert_eq!(ledger.currencies().unwrap().len(), 3);
    assert_eq!(ledger.company().unwrap().base_currency, "GBP");
}

#[test]
fn orders_post_directly_through_the_ledger_operation() {
    let (mut ledger, _) = ledger();
    add_customer(&mut ledger, "ABC001", "Abc");
    add_product(&mut ledger, "A", 10.0, 4.0);
    assert_eq!(ledger.next_sales_order_number().unwrap(), 1);
    ledger.set_next_sales_order_number(500).unwrap();
    let request = SalesOrderRequest {
        account_ref: "abc001".into(),
        lines: vec![OrderLineRequest {
            stock_code: Some("A".into()),
            quantity: Some(3.0),
            ..OrderLineRequest::default()
        }],
        ..SalesOrderRequest::default()
    };
    let options = OrderImportOptions {
        auto_allocate_stock: true,
        ..OrderImportOptions::default()
    };
    let outcome = ledger.import_sales_order(&request, &options).unwrap();
    assert_eq!(
        (outcome.order_number, outcome.account_ref.as_str()),
        (500, "ABC001")
    );
    assert_eq!(outcome.order.lines[0].qty_allocated, 3.0);
    assert_eq!(outcome.order.total_gross, 36.0);
    assert_eq!(ledger.next_sales_order_number().unwrap(), 501);
    assert_eq!(ledger.sales_order_numbers("ABC001").unwrap(), [500]);
    let missing = SalesOrderRequest {
        account_ref: "NOPE".into(),
        ..request
    };
    assert!(matches!(
        ledger.import_sales_order(&missing, &options),
        Err(LedgerError::Rejected(Rejection::AccountNotFound(_)))
    ));
}
