//! The contract every [`SageBackend`] keeps: one set of checks, run against each backend by
//! [`sage_backend_contract!`](crate::sage_backend_contract) (the embedded ledger in this
//! crate's tests, the Sage Data Objects agent in `wharf-sage-agent`'s).
//!
//! Each check takes a fresh, empty company (tax code 1 at 20 %, GBP, the default nominal
//! codes) and panics with a message naming what the backend got wrong.

use chrono::{NaiveDate, NaiveDateTime};

use crate::account_refs::{
    AccountReferenceConvention, AccountReferenceGenerator, AccountReferenceSettings, NameParts,
};
use crate::backend::{BackendError, SageBackend};
use crate::customers::{MatchField, NewCustomer};
use crate::error::Rejection;
use crate::orders::{
    AllocationStatus, OrderImportOptions, OrderLineRequest, OrderType, SalesOrderRequest,
};
use crate::products::{StockRecordFilter, StockSelection};

/// Generates one `#[test]` per contract check; `$make` builds a fresh backend
/// (`Box<dyn SageBackend>` or anything that derefs mutably to a backend).
#[macro_export]
macro_rules! sage_backend_contract {
    ($make:expr) => {
        $crate::sage_backend_contract!(@tests $make;
            probe_names_the_backend, customer_round_trip, duplicate_account_is_refused,
            customer_matching, account_reference_generation, product_round_trip,
            order_post_computes_vat_and_numbers, order_key_reconciles, allocation,
            order_for_missing_account_is_refused, stock_since,
            invoice_posts_to_the_audit_trail_and_reconciles_by_key,
            transactions_post_balanced_and_reconcile_by_key, changes_since_a_cursor);
    };
    (@tests $make:expr; $($check:ident),*) => {
        $(
            #[test]
            fn $check() {
                let mut backend = $make;
                $crate::contract::$check(&mut *backend);
            }
        )*
    };
}

fn date(year: i32, month: u32, day: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(year, month, day)
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .expect("a valid date")
}

fn add_customer(backend: &mut dyn SageBackend, reference: &str, name: &str, email: &str) {
    let mut customer = backend
        .customer_template(reference)
        .expect("customer template");
    customer.name = name.to_owned();
    customer.email = email.to_owned();
    customer.postcode = "LS1 4AP".to_owned();
    backend
        .create_customer(&NewCustomer {
            customer,
            delivery_addresses: Vec::new(),
        })
        .unwrap_or_else(|e| panic!("creating account {reference}: {e}"));
}

fn add_product(backend: &mut dyn SageBackend, code: &str, price: f64, stock: f64) {
    let mut product = backend.product_template(code).expect("product template");
    product.description = format!("{code} description");
    product.sales_price = price;
    product.qty_in_stock = stock;
    product.tax_code = 1;
    backend
        .create_product(&product)
        .unwrap_or_else(|e| panic!("creating product {code}: {e}"));
}

fn order(account: &str, lines: &[(&str, f64, f64)]) -> SalesOrderRequest {
    SalesOrderRequest {
        account_ref: account.to_owned(),
        order_type: OrderType::SopInvoice,
        order_date: Some(date(2024, 3, 1)),
        customer_order_number: "WEB-1001".to_owned(),
        lines: lines
            .iter()
            .map(|&(code, quantity, price)| OrderLineRequest {
                stock_code: Some(code.to_owned()),
                quantity: Some(quantity),
                unit_price: Some(price),
                tax_code: Some(1),
                ..OrderLineRequest::default()
            })
            .collect(),
        ..SalesOrderRequest::default()
    }
}

fn options() -> OrderImportOptions {
    OrderImportOptions {
        auto_create_products: false,
        ..OrderImportOptions::default()
    }
}

fn assert_rejected<T: std::fmt::Debug>(
    result: Result<T, BackendError>,
    what: &str,
    wanted: impl Fn(&Rejection) -> bool,
) {
    match result {
        Err(BackendError::Rejected(rejection)) if wanted(&rejection) => {}
        other => panic!("{what}: expected a rejection, got {other:?}"),
    }
}

pub fn probe_names_the_backend(backend: &mut dyn SageBackend) {
    let probe = backend.probe().expect("probe");
    assert!(!probe.version.is_empty(), "the probe names no version");
    assert!(!probe.backend.is_empty(), "the probe names no backend");
    assert!(probe.registered, "the test company is registered");
    assert!(probe.sales_orders, "the test company takes sales orders");
    let company = backend.company().expect("company");
    assert_eq!(company.base_currency, "GBP");
}

pub fn customer_round_trip(backend: &mut dyn SageBackend) {
    add_customer(backend, "ACME001", "Acme Trading", "orders@acme.example");
    let found = backend
        .find_customer("acme001")
        .expect("find")
        .expect("the account is found by its reference in any case");
    assert_eq!(found.account_ref, "ACME001");
    assert_eq!(found.name, "Acme Trading");
    assert_eq!(found.email, "orders@acme.example");
    assert_eq!(found.postcode, "LS1 4AP");
    let mut changed = found.clone();
    changed.name = "Acme Trading Ltd".to_owned();
    changed.telephone = "0113 496 0000".to_owned();
    backend.update_customer(&changed, None).expect("update");
    let again = backend
        .find_customer("ACME001")
        .expect("find")
        .expect("found");
    assert_eq!(again.name, "Acme Trading Ltd");
    assert_eq!(again.telephone, "0113 496 0000");
    assert_eq!(
        again.email, "orders@acme.example",
        "an update keeps other fields"
    );
    assert!(backend.find_customer("NOSUCH").expect("find").is_none());
}

pub fn duplicate_account_is_refused(backend: &mut dyn SageBackend) {
    add_customer(backend, "DUP001", "First", "");
    let mut customer = backend.customer_template("DUP001").expect("template");
    customer.name = "Second".to_owned();
    let second = backend.create_customer(&NewCustomer {
        customer,
        delivery_addresses: Vec::new(),
    });
    assert_rejected(
        second,
        "a second account DUP001",
        |r| matches!(r, Rejection::AccountExists(reference) if reference == "DUP001"),
    );
    let kept = backend
        .find_customer("DUP001")
        .expect("find")
        .expect("found");
    assert_eq!(kept.name, "First", "the refused create changed nothing");
}

pub fn customer_matching(backend: &mut dyn SageBackend) {
    add_customer(backend, "BETA001", "Beta", "a@beta.example");
    add_customer(backend, "BETA002", "Beta Two", "b@beta.example");
    let by_email = backend
        .find_customer_matching(&[(MatchField::Email, " B@BETA.example ".to_owned())], None)
        .expect("match");
    assert_eq!(
        by_email.map(|c| c.account_ref).as_deref(),
        Some("BETA002"),
        "e-mail matches trimmed and case-insensitively"
    );
    let first = backend
        .find_customer_matching(&[(MatchField::Postcode, "ls1 4ap".to_owned())], None)
        .expect("match");
    assert_eq!(
        first.map(|c| c.account_ref).as_deref(),
        Some("BETA001"),
        "the first account by reference wins"
    );
    let none = backend
        .find_customer_matching(
            &[
                (MatchField::Postcode, "LS1 4AP".to_owned()),
                (MatchField::Email, "nobody@beta.example".to_owned()),
            ],
            None,
        )
        .expect("match");
    assert!(none.is_none(), "every criterion must hold");
    let other_currency = backend
        .find_customer_matching(
            &[(MatchField::Email, "a@beta.example".to_owned())],
            Some("EUR"),
        )
        .expect("match");
    assert!(other_currency.is_none(), "the currency is compared");
}

pub fn account_reference_generation(backend: &mut dyn SageBackend) {
    let generator = AccountReferenceGenerator::new(&AccountReferenceSettings {
        auto_generate: true,
        convention: AccountReferenceConvention::CompanyOtherwiseFullname,
        alphabetic_length: 3,
        numeric_length: 3,
        mask: String::new(),
        regular_expression: String::new(),
    })
    .expect("valid settings");
    let names = NameParts {
        company: "Gamma Goods",
        forename: "",
        surname: "",
        full_name: "",
    };
    let first = backend
        .next_account_reference(&names, &generator)
        .expect("reference");
    assert_eq!(first, "GAM001");
    add_customer(backend, "GAM001", "Gamma Goods", "");
    add_customer(backend, "GAM003", "Gamma Three", "");
    let next = backend
        .next_account_reference(&names, &generator)
        .expect("reference");
    assert_eq!(next, "GAM002", "the first free number");
    let generic =
        crate::backend::next_account_reference(backend, &names, &generator).expect("reference");
    assert_eq!(
        generic, next,
        "the backend's answer is Wharf's rule's answer"
    );
}

pub fn product_round_trip(backend: &mut dyn SageBackend) {
    add_product(backend, "WIDGET-1", 12.5, 7.0);
    let found = backend
        .find_product("widget-1")
        .expect("find")
        .expect("the product is found by its code in any case");
    assert_eq!(found.stock_code, "WIDGET-1");
    assert_eq!(found.description, "WIDGET-1 description");
    assert_eq!(found.sales_price, 12.5);
    assert_eq!(found.qty_in_stock, 7.0);
    assert_eq!(found.tax_code, 1);
    let again = backend.product_template("WIDGET-1").expect("template");
    assert_rejected(backend.create_product(&again), "a second WIDGET-1", |r| {
        matches!(r, Rejection::ProductExists(_))
    });
    assert!(backend.find_product("NOSUCH").expect("find").is_none());
}

pub fn order_post_computes_vat_and_numbers(backend: &mut dyn SageBackend) {
    add_customer(backend, "ORD001", "Order Co", "");
    add_product(backend, "P1", 10.0, 100.0);
    add_product(backend, "P2", 2.5, 100.0);
    let first = backend
        .post_sales_order(None, &order("ORD001", &[("P1", 2.0, 10.0)]), &options())
        .expect("first order");
    let outcome = backend
        .post_sales_order(
            None,
            &order("ORD001", &[("P1", 3.0, 10.0), ("P2", 4.0, 2.5)]),
            &options(),
        )
        .expect("second order");
    assert!(first.order_number > 0, "Sage numbers the order");
    assert_eq!(
        outcome.order_number,
        first.order_number + 1,
        "orders are numbered in turn"
    );
    assert_eq!(outcome.account_ref, "ORD001");
    let lines = &outcome.order.lines;
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (lines[0].net, lines[0].tax),
        (30.0, 6.0),
        "line 1: 3 × 10 at 20 %"
    );
    assert_eq!(
        (lines[1].net, lines[1].tax),
        (10.0, 2.0),
        "line 2: 4 × 2.50 at 20 %"
    );
    assert_eq!(lines[0].tax_rate, 20.0);
    assert_eq!(outcome.order.total_net, 40.0);
    assert_eq!(outcome.order.total_tax, 8.0);
    assert_eq!(outcome.order.total_gross, 48.0);
    assert_eq!(outcome.order.customer_order_number, "WEB-1001");
    let read = backend
        .find_sales_order(outcome.order_number)
        .expect("find")
        .expect("the posted order reads back");
    assert_eq!(read.total_gross, 48.0);
    assert_eq!(read.lines.len(), 2);
    assert_eq!(read.lines[1].stock_code, "P2");
    assert_eq!(read.lines[1].quantity, 4.0);
    assert!(
        backend
            .find_sales_order(outcome.order_number + 100)
            .expect("find")
            .is_none()
    );
}

pub fn order_key_reconciles(backend: &mut dyn SageBackend) {
    add_customer(backend, "KEY001", "Key Co", "");
    add_product(backend, "K1", 5.0, 10.0);
    let posted = backend
        .post_sales_order(
            Some("shop-order-778"),
            &order("KEY001", &[("K1", 1.0, 5.0)]),
            &options(),
        )
        .expect("keyed order");
    let found = backend
        .find_order_by_key("shop-order-778")
        .expect("find by key")
        .expect("a crashed run finds the order it posted by its key");
    assert_eq!(found.order_number, posted.order_number);
    assert_eq!(found.total_gross, 6.0);
    assert_rejected(
        backend.post_sales_order(
            Some("shop-order-778"),
            &order("KEY001", &[("K1", 1.0, 5.0)]),
            &options(),
        ),
        "a second order with key shop-order-778",
        |r| matches!(r, Rejection::DuplicateOrderKey { order_number, .. } if *order_number == posted.order_number),
    );
    assert!(
        backend
            .find_order_by_key("shop-order-779")
            .expect("find by key")
            .is_none()
    );
}

pub fn allocation(backend: &mut dyn SageBackend) {
    add_customer(backend, "ALL001", "Alloc Co", "");
    add_product(backend, "A1", 1.0, 5.0);
    let posted = backend
        .post_sales_order(None, &order("ALL001", &[("A1", 3.0, 1.0)]), &options())
        .expect("order");
    assert_eq!(
        posted.order.lines[0].qty_allocated, 0.0,
        "allocation is off"
    );
    let result = backend
        .allocate_order(posted.order_number)
        .expect("allocate");
    assert_eq!(result.status, AllocationStatus::FullyAllocated);
    assert_eq!(result.allocated, vec![(1, 3.0)]);
    let product = backend.find_product("A1").expect("find").expect("found");
    assert_eq!(product.qty_allocated, 3.0);
    let short = backend
        .post_sales_order(None, &order("ALL001", &[("A1", 4.0, 1.0)]), &options())
        .expect("order");
    let partial = backend
        .allocate_order(short.order_number)
        .expect("allocate");
    assert_eq!(partial.status, AllocationStatus::PartAllocated);
    assert_eq!(partial.allocated, vec![(1, 2.0)], "only the free stock");
    assert_rejected(
        backend.allocate_order(short.order_number + 50),
        "allocating a missing order",
        |r| matches!(r, Rejection::OrderNotFound(_)),
    );
}

pub fn order_for_missing_account_is_refused(backend: &mut dyn SageBackend) {
    add_product(backend, "M1", 1.0, 1.0);
    assert_rejected(
        backend.post_sales_order(None, &order("GHOST01", &[("M1", 1.0, 1.0)]), &options()),
        "an order for a missing account",
        |r| matches!(r, Rejection::AccountNotFound(_)),
    );
    assert_rejected(
        backend.post_sales_order(None, &order("GHOST01", &[]), &options()),
        "an order without lines",
        |r| matches!(r, Rejection::OrderWithoutLines),
    );
}

pub fn stock_since(backend: &mut dyn SageBackend) {
    add_product(backend, "S-B", 1.0, 1.0);
    add_product(backend, "S-A", 2.0, 4.0);
    let all = StockRecordFilter {
        selection: StockSelection::Modified,
        published_only: false,
    };
    let found = backend.stock_since(date(2000, 1, 1), all).expect("stock");
    let codes: Vec<&str> = found.iter().map(|p| p.stock_code.as_str()).collect();
    assert_eq!(codes, ["S-A", "S-B"], "in code order");
    assert_eq!(found[0].qty_in_stock, 4.0);
    let later = backend.stock_since(date(9000, 1, 1), all).expect("stock");
    assert!(later.is_empty(), "nothing changed after {later:?}");
    let every = StockRecordFilter {
        selection: StockSelection::All,
        published_only: false,
    };
    assert_eq!(
        backend
            .stock_since(date(9000, 1, 1), every)
            .expect("stock")
            .len(),
        2,
        "All ignores the time"
    );
}

fn invoice_request(account_ref: &str, quantity: f64, price: f64) -> crate::InvoiceRequest {
    crate::InvoiceRequest {
        document: SalesOrderRequest {
            account_ref: account_ref.into(),
            order_date: Some(date(2024, 3, 1)),
            lines: vec![OrderLineRequest {
                stock_code: Some("S1".into()),
                description: Some("Consulting".into()),
                quantity: Some(quantity),
                unit_price: Some(price),
                tax_code: Some(1),
                nominal_code: Some("4000".into()),
                ..OrderLineRequest::default()
            }],
            ..SalesOrderRequest::default()
        },
        ..crate::InvoiceRequest::default()
    }
}

/// An invoice is numbered, priced (VAT at the tax code's rate), posted as an `SI` that moves
/// the account's balance, and found again by its key; the key is refused a second time.
pub fn invoice_posts_to_the_audit_trail_and_reconciles_by_key(backend: &mut dyn SageBackend) {
    add_customer(backend, "INV001", "Invoice Co", "");
    let options = OrderImportOptions::default();
    let outcome = backend
        .post_invoice(
            Some("wf/1"),
            &invoice_request("INV001", 2.0, 50.0),
            &options,
        )
        .expect("the invoice posts");
    let invoice = &outcome.invoice;
    assert_eq!(
        (invoice.document.total_net, invoice.document.total_tax),
        (100.0, 20.0),
        "the backend must price the invoice"
    );
    assert!(invoice.tran_number.is_some(), "an invoice is posted");
    let balance = backend.find_customer("INV001").unwrap().unwrap().balance;
    assert_eq!(balance, 120.0, "posting moves the account's balance");
    let found = backend
        .find_invoice_by_key("wf/1")
        .unwrap()
        .expect("found by key");
    assert_eq!(found.invoice_number, outcome.invoice_number);
    assert_eq!(
        found.tran_number, invoice.tran_number,
        "read back with its posting"
    );
    let by_number = backend
        .find_invoice(outcome.invoice_number)
        .unwrap()
        .expect("found by number");
    assert_eq!(by_number.document.total_gross, 120.0);
    let again = backend.post_invoice(Some("wf/1"), &invoice_request("INV001", 1.0, 1.0), &options);
    assert!(
        matches!(again, Err(BackendError::Rejected(_))),
        "a key already used must be refused: {again:?}"
    );
}

/// A receipt is posted and allocated to the invoice with its reference; an unbalanced journal
/// is refused whole; a posted transaction is found by its key.
pub fn transactions_post_balanced_and_reconcile_by_key(backend: &mut dyn SageBackend) {
    use crate::transactions::{JournalLine, TransactionLine, TransactionRequest};
    add_customer(backend, "TRN001", "Transaction Co", "");
    let invoice = backend
        .post_transaction(&TransactionRequest::Account {
            kind: crate::TranType::SI,
            account_ref: "TRN001".into(),
            bank: None,
            date: Some(date(2024, 3, 1)),
            reference: "SI-7".into(),
            second_reference: String::new(),
            lines: vec![TransactionLine {
                nominal_code: Some("4000".into()),
                tax_code: Some(1),
                net: 100.0,
                key: Some("wf/t1".into()),
                ..TransactionLine::default()
            }],
            auto_allocate: false,
        })
        .expect("the invoice posts");
    let receipt = backend
        .post_transaction(&TransactionRequest::Account {
            kind: crate::TranType::SR,
            account_ref: "TRN001".into(),
            bank: Some("1200".into()),
            date: Some(date(2024, 3, 2)),
            reference: "SI-7".into(),
            second_reference: String::new(),
            lines: vec![TransactionLine {
                net: 50.0,
                ..TransactionLine::default()
            }],
            auto_allocate: true,
        })
        .expect("the receipt posts");
    assert_eq!(
        receipt.allocations,
        [(receipt.tran_numbers[0], invoice.tran_numbers[0], 50.0)],
        "the receipt is allocated to the invoice with its reference"
    );
    assert_eq!(
        backend.find_customer("TRN001").unwrap().unwrap().balance,
        70.0
    );
    assert_eq!(
        backend.find_transaction_by_key("wf/t1").unwrap(),
        Some(invoice.tran_numbers[0])
    );
    let line = |nominal: &str, debit: bool, amount: f64| JournalLine {
        nominal_code: nominal.into(),
        debit,
        amount,
        ..JournalLine::default()
    };
    let unbalanced = backend.post_transaction(&TransactionRequest::Journal {
        date: None,
        reference: "J1".into(),
        second_reference: String::new(),
        lines: vec![line("4000", true, 10.0), line("4001", false, 9.0)],
        variance_nominal: None,
    });
    assert!(
        matches!(
            unbalanced,
            Err(BackendError::Rejected(Rejection::JournalUnbalanced { .. }))
        ),
        "an unbalanced journal must be refused: {unbalanced:?}"
    );
    let balanced = backend
        .post_transaction(&TransactionRequest::Journal {
            date: None,
            reference: "J2".into(),
            second_reference: String::new(),
            lines: vec![line("4000", true, 10.0), line("4001", false, 9.0)],
            variance_nominal: Some("9998".into()),
        })
        .expect("a journal balanced on the variance nominal posts");
    assert_eq!(
        balanced.tran_numbers.len(),
        2,
        "a number for each given line"
    );
}

/// Accounts and invoices changed after a cursor are listed; nothing after the newest change.
pub fn changes_since_a_cursor(backend: &mut dyn SageBackend) {
    add_customer(backend, "CHG001", "Change Co", "");
    let all = backend.customers_since(date(1753, 1, 1), false).unwrap();
    assert!(all.iter().any(|c| c.account_ref == "CHG001"));
    let newest = all.iter().map(|c| c.modified).max().unwrap();
    assert!(backend.customers_since(newest, false).unwrap().is_empty());
    backend
        .post_invoice(
            None,
            &invoice_request("CHG001", 1.0, 10.0),
            &OrderImportOptions::default(),
        )
        .expect("the invoice posts");
    assert_eq!(backend.invoices_since(newest, true).unwrap().len(), 1);
    let changed = backend.customers_since(newest, false).unwrap();
    assert_eq!(changed.len(), 1, "posting the invoice changed the account");
    assert!(backend.delivery_addresses("CHG001").unwrap().is_empty());
}
