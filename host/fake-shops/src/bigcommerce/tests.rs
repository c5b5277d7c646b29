use super::*;

fn request(method: &str, path: &str, body: Value) -> Request {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    Request {
        method: method.into(),
        path: path.into(),
        query: url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        headers: vec![("x-auth-token".into(), "bigcommerce-token".into())],
        body: if body.is_null() {
            Vec::new()
        } else {
            serde_json::to_vec(&body).unwrap()
        },
    }
}

fn get(shop: &BigCommerce, path: &str) -> (u16, Value) {
    let r = shop.handle(request("GET", path, Value::Null));
    let body = if r.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&r.body).unwrap()
    };
    (r.status, body)
}

fn small() -> Arc<BigCommerce> {
    BigCommerce::new(Config {
        orders: 30,
        products: 20,
        customers: 5,
        malformed: 2,
        large_orders: 1,
        ..Config::default()
    })
}

#[test]
fn an_empty_page_is_204_without_a_body_and_order_products_page() {
    let shop = small();
    let (status, body) = get(&shop, "/stores/abc/v2/orders?page=2&limit=50");
    assert_eq!((status, body), (204, Value::Null));
    let (status, body) = get(&shop, "/v2/orders?limit=10&page=3");
    assert_eq!(status, 200);
    assert_eq!(body.as_array().unwrap().len(), 10);
    assert_eq!(body[0]["id"], 21);
    // The large order (60 lines) pages its products 50 at a time.
    let large = (1..=30)
        .find(|id| shop.order(*id).unwrap().1.len() == 60)
        .unwrap();
    assert_eq!(
        get(&shop, &format!("/orders/{large}/products"))
            .1
            .as_array()
            .unwrap()
            .len(),
        50
    );
    assert_eq!(
        get(&shop, &format!("/orders/{large}/products?page=2"))
            .1
            .as_array()
            .unwrap()
            .len(),
        10
    );
    assert_eq!(
        get(&shop, &format!("/orders/{large}/products?page=3")).0,
        204
    );
    assert_eq!(
        get(&shop, "/v2/orders/1/coupons").0,
        204,
        "order 1 has no coupon"
    );
    assert_eq!(get(&shop, "/v2/orders/5/coupons").1[0]["code"], "SPRING10");
}

#[test]
fn orders_filter_by_date_and_status_and_sort() {
    let shop = small();
    let (_, all) = get(&shop, "/v2/orders?limit=250");
    let tenth = all[9]["date_created"].as_str().unwrap().to_owned();
    let (_, from) = get(
        &shop,
        &format!(
            "/v2/orders?limit=250&min_date_created={}",
            url::form_urlencoded::byte_serialize(tenth.as_bytes()).collect::<String>()
        ),
    );
    assert_eq!(from.as_array().unwrap().len(), 21);
    let (_, iso) = get(
        &shop,
        &format!(
            "/v2/orders?limit=250&min_date_created={}",
            parse_date(&tenth).unwrap().format("%Y-%m-%dT%H:%M:%SZ")
        ),
    );
    assert_eq!(iso, from);
    assert_eq!(get(&shop, "/v2/orders?status_id=10").0, 204);
    let r = shop.handle(request("PUT", "/v2/orders/3", json!({"status_id": 10})));
    assert_eq!(r.status, 200);
    assert_eq!(get(&shop, "/v2/orders?status_id=10").1[0]["id"], 3);
    let (_, by_modified) = get(&shop, "/v2/orders?sort=date_modified:desc&limit=1");
    assert_eq!(
        by_modified[0]["id"], 3,
        "the order just changed is the newest modified"
    );
    assert_eq!(
        shop.handle(request("PUT", "/v2/orders/999", json!({"status_id": 10})))
            .status,
        404
    );
    assert_eq!(
        shop.handle(request("PUT", "/v2/orders/3", json!({"status_id": 99})))
            .status,
        400
    );
}

#[test]
fn adjustments_follow_tracking_and_apply_later() {
    let shop = BigCommerce::new(Config {
        orders: 1,
        products: 20,
        inventory_delay: Duration::from_millis(100),
        ..Config::default()
    });
    let product = shop
        .products()
        .into_iter()
        .find(|p| p.inventory_tracking == "product")
        .unwrap();
    let varied = shop
        .products()
        .into_iter()
        .find(|p| p.inventory_tracking == "variant")
        .unwrap();
    let put = |items: Value| {
        shop.handle(request(
            "PUT",
            "/v3/inventory/adjustments/absolute",
            json!({"items": items}),
        ))
    };
    let refused =
        put(json!([{"location_id": 1, "variant_id": product.variants[0].id, "quantity": 3}]));
    assert_eq!(refused.status, 422);
    assert!(String::from_utf8_lossy(&refused.body).contains("tracked by product"));
    assert_eq!(
        put(json!([{"location_id": 1, "product_id": varied.id, "quantity": 3}])).status,
        422
    );
    let accepted = put(json!([
        {"location_id": 1, "product_id": product.id, "quantity": 7},
        {"location_id": 1, "variant_id": varied.variants[2].id, "quantity": 4},
    ]));
    assert_eq!(accepted.status, 200);
    assert_eq!(shop.stock_levels()[&product.sku], 0, "not applied yet");
    assert_eq!(shop.pending_adjustments(), 2);
    std::thread::sleep(Duration::from_millis(150));
    let levels = shop.stock_levels();
    assert_eq!(levels[&product.sku], 7);
    assert_eq!(levels[&varied.variants[2].sku], 4);
    assert_eq!(shop.pending_adjustments(), 0);
}

#[test]
fn credentials_quota_and_storms() {
    let shop = BigCommerce::new(Config {
        orders: 3,
        products: 3,
        quota: 2,
        window: Duration::from_secs(60),
        ..Config::default()
    });
    let mut anonymous = request("GET", "/v2/orders", Value::Null);
    anonymous.headers.clear();
    assert_eq!(shop.handle(anonymous).status, 401);
    let ok = shop.handle(request("GET", "/v2/orders", Value::Null));
    assert!(
        ok.headers
            .iter()
            .any(|(n, v)| n == "X-Rate-Limit-Requests-Left" && v == "1")
    );
    shop.handle(request("GET", "/v2/orders", Value::Null));
    let limited = shop.handle(request("GET", "/v2/orders", Value::Null));
    assert_eq!(limited.status, 429);
    assert!(
        limited
            .headers
            .iter()
            .any(|(n, _)| n == "X-Rate-Limit-Time-Reset-Ms")
    );
    let shop = small();
    shop.rate_limit_storm(4);
    let statuses: Vec<u16> = (0..5)
        .map(|_| {
            shop.handle(request("GET", "/v2/order_statuses", Value::Null))
                .status
        })
        .collect();
    assert_eq!(statuses, [429, 200, 429, 200, 200]);
}

#[test]
fn churn_touches_and_adds_orders_while_listing() {
    let shop = small();
    shop.set_churn(true);
    for _ in 0..3 {
        get(&shop, "/v2/orders");
    }
    assert_eq!(shop.order_statuses().len(), 31);
}
