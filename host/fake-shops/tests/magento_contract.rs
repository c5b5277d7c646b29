//! The fake Magento answers as Magento's own admin REST schema says (with the corrections in
//! `overlays/`), checked through the contract proxy: login, order search with paging and filters,
//! a page past the end, comments, source items, the legacy stock item, an expired token, a 429.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;

use serde_json::{Value, json};
use wharf_fake_shops::magento::{Config, Magento};
use wharf_fake_shops::server::Running;
use wharf_test_peers::{ContractOptions, ContractProxy};

fn spec() -> PathBuf {
    wharf_test_peers::repo_root()
        .join("../shared/fixtures/api-specs/magento2/admin-schema-2.4.9.yaml")
}

pub fn magento_options() -> ContractOptions {
    ContractOptions {
        overlays: vec![
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("overlays/magento2-admin-2.4.9.yaml"),
        ],
        base_path: "/rest/default".into(),
    }
}

/// One request over a fresh connection: (status, body).
fn call(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let address = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\n{auth}Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let text = String::from_utf8_lossy(&answer);
    let (head, rest) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn dechunk(mut text: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = text.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        text = &rest[size + 2..];
    }
    out
}

#[test]
fn the_fake_answers_as_magentos_schema_says() {
    let shop = Magento::new(Config {
        orders: 45,
        malformed: 2,
        ..Config::default()
    });
    let server = Running::start(shop.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let proxy = ContractProxy::start_with(&spec(), &magento_options(), &server.url());
    let base = proxy.url().to_owned();
    let (status, token) = call(
        &base,
        "POST",
        "/rest/default/V1/integration/admin/token",
        None,
        Some(json!({"username": "admin", "password": "admin-password"})),
    );
    assert_eq!(status, 200);
    let token = token.as_str().unwrap().to_owned();
    let orders = |query: &str| {
        call(
            &base,
            "GET",
            &format!("/rest/default/V1/orders?{query}"),
            Some(&token),
            None,
        )
    };
    let page = |n: u32| {
        orders(&format!(
            "searchCriteria%5BfilterGroups%5D%5B0%5D%5Bfilters%5D%5B0%5D%5Bfield%5D=created_at&searchCriteria%5BfilterGroups%5D%5B0%5D%5Bfilters%5D%5B0%5D%5Bvalue%5D=2000-01-01%2000%3A00%3A00&searchCriteria%5BfilterGroups%5D%5B0%5D%5Bfilters%5D%5B0%5D%5BconditionType%5D=gteq&searchCriteria%5BsortOrders%5D%5B0%5D%5Bfield%5D=entity_id&searchCriteria%5BsortOrders%5D%5B0%5D%5Bdirection%5D=ASC&searchCriteria%5BpageSize%5D=20&searchCriteria%5BcurrentPage%5D={n}"
        ))
    };
    let (status, first) = page(1);
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["total_count"], 45);
    let (_, third) = page(3);
    let (_, fourth) = page(4);
    assert_eq!(
        third["items"], fourth["items"],
        "past the end: the last page again"
    );
    assert_eq!(third["items"].as_array().unwrap().len(), 5);
    let (status, answer) = call(
        &base,
        "POST",
        "/rest/default/V1/orders/3/comments",
        Some(&token),
        Some(json!({
        "statusHistory": {"comment": "In Sage as order 7", "is_customer_notified": 0, "is_visible_on_front": 0, "parent_id": 3, "status": "complete"}})),
    );
    assert_eq!((status, answer), (200, Value::Bool(true)));
    let (status, _) = call(
        &base,
        "POST",
        "/rest/default/V1/inventory/source-items",
        Some(&token),
        Some(json!({
        "sourceItems": [{"sku": "MG-00001", "source_code": "default", "quantity": 7, "status": 1}]})),
    );
    assert_eq!(status, 200);
    let (status, _) = call(
        &base,
        "PUT",
        "/rest/default/V1/products/MG-00002/stockItems/1",
        Some(&token),
        // Magento takes `qty` and `is_in_stock` alone (the overlay drops the 21 "required").
        Some(json!({"stockItem": {"qty": 3, "is_in_stock": true}})),
    );
    assert_eq!(status, 200);
    let products = shop.products();
    assert_eq!(
        (products[0].source_quantity, products[1].legacy_quantity),
        (7.0, 3.0)
    );
    shop.rate_limit_storm(2);
    assert_eq!(page(1).0, 429);
    shop.expire_tokens();
    assert_eq!(page(1).0, 401, "{:?}", proxy.violations());
    assert_eq!(proxy.requests(), 9);
    proxy.assert_clean();
}

#[test]
fn the_proxy_fails_a_test_on_a_response_that_breaks_the_schema() {
    // Without the overlay, the payment's null fields break the schema as published.
    let shop = Magento::new(Config {
        orders: 3,
        malformed: 0,
        ..Config::default()
    });
    let server = Running::start(shop, "127.0.0.1:0".parse().unwrap()).unwrap();
    let options = ContractOptions {
        base_path: "/rest/default".into(),
        ..ContractOptions::default()
    };
    let proxy = ContractProxy::start_with(&spec(), &options, &server.url());
    let (_, token) = call(
        proxy.url(),
        "POST",
        "/rest/default/V1/integration/admin/token",
        None,
        Some(json!({"username": "admin", "password": "admin-password"})),
    );
    let (status, _) = call(
        proxy.url(),
        "GET",
        "/rest/default/V1/orders",
        token.as_str(),
        None,
    );
    assert_eq!(
        status, 500,
        "prism --errors answers 500 to a response that breaks the schema"
    );
    let violations = proxy.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(
        violations[0].detail.contains("account_status"),
        "{}",
        violations[0]
    );
    let outside = call(
        proxy.url(),
        "GET",
        "/rest/all/V1/orders",
        token.as_str(),
        None,
    );
    assert_eq!(outside.0, 404);
    assert_eq!(proxy.violations().len(), 2);
    // Dropping a proxy with violations fails the test: check that, then forget them.
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(proxy)));
    assert!(
        dropped.is_err(),
        "a proxy with violations panics when dropped"
    );
}
