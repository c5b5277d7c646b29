//! A small in-memory BigCommerce behind [`Web`] for the native unit tests (the full stateful
//! fake, checked against the vendor's specifications, is `host/fake-shops`).

use serde_json::{Value, json};

use crate::{HttpFailure, Request, RequestBody, Response, Web};

/// A catalog product: id, SKU, tracking, and its variants (id, SKU), the base one first.
pub type MiniProduct = (i64, String, String, Vec<(i64, String)>);

pub struct MiniShop {
    /// Orders as `GET v2/orders` renders them (`id`, `date_created`, `date_modified`,
    /// `status_id`), and their lines.
    pub orders: Vec<(Value, Vec<Value>)>,
    /// (product id, sku, tracking, [(variant id, sku)]) — the first variant is the base one.
    pub products: Vec<MiniProduct>,
    pub adjusted: Vec<Value>,
    pub warnings: Vec<Value>,
    pub requests: Vec<String>,
    /// Answered 503 (after the host's retries) for requests whose URL contains this.
    pub broken: Option<String>,
    /// Variant or product ids the shop refuses to adjust (it tracks them another way now).
    pub refuse: Vec<i64>,
}

impl MiniShop {
    pub fn new() -> MiniShop {
        MiniShop {
            orders: Vec::new(),
            products: Vec::new(),
            adjusted: Vec::new(),
            warnings: Vec::new(),
            requests: Vec::new(),
            broken: None,
            refuse: Vec::new(),
        }
    }

    /// An order created (and modified) at `date` (RFC 2822) with `lines` lines.
    pub fn order(&mut self, id: i64, date: &str, lines: usize) {
        let products = (0..lines)
            .map(|l| json!({"id": id * 100 + l as i64, "order_id": id, "sku": format!("SKU-{l}"), "quantity": 1, "price_ex_tax": "2.0000", "applied_discounts": []}))
            .collect();
        self.orders.push((
            json!({"id": id, "date_created": date, "date_modified": date, "status_id": 11, "customer_id": 0,
                   "billing_address": {"first_name": "Ann"}, "products": {"url": "x", "resource": "/orders/x/products"},
                   "shipping_addresses": {"url": "x", "resource": "y"}, "coupons": {"url": "x", "resource": "y"}}),
            products,
        ));
    }

    fn route(&mut self, method: &str, url: &str, body: Option<Value>) -> (u16, Option<Value>) {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let q = |name: &str| {
            query
                .split('&')
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_owned())
        };
        let page: usize = q("page").and_then(|p| p.parse().ok()).unwrap_or(1);
        let limit: usize = q("limit").and_then(|p| p.parse().ok()).unwrap_or(50);
        let paged = |items: Vec<Value>| -> (u16, Option<Value>) {
            let page: Vec<Value> = items
                .into_iter()
                .skip((page - 1) * limit)
                .take(limit)
                .collect();
            if page.is_empty() {
                (204, None)
            } else {
                (200, Some(Value::Array(page)))
            }
        };
        let parts: Vec<&str> = path.split('/').collect();
        let date =
            |v: &Value, f: &str| crate::orders::parse_date(v[f].as_str().unwrap_or_default());
        match (method, parts.as_slice()) {
            ("GET", ["v2", "order_statuses"]) => (
                200,
                Some(
                    json!([{"id": 10, "name": "Completed"}, {"id": 11, "name": "Awaiting Fulfillment"}, {"id": 2, "name": "Shipped"}]),
                ),
            ),
            ("GET", ["v2", "orders"]) => {
                let sort = q("sort").unwrap_or_else(|| "id".into());
                let field = sort.trim_end_matches(":asc").to_owned();
                let min = |name: &str| q(name).and_then(|d| crate::orders::parse_date(&d));
                let mut list: Vec<Value> = self
                    .orders
                    .iter()
                    .map(|(o, _)| o.clone())
                    .filter(|o| {
                        min("min_date_created").is_none_or(|m| date(o, "date_created") >= Some(m))
                    })
                    .filter(|o| {
                        min("min_date_modified").is_none_or(|m| date(o, "date_modified") >= Some(m))
                    })
                    .filter(|o| {
                        q("min_id")
                            .and_then(|m| m.parse::<i64>().ok())
                            .is_none_or(|m| o["id"].as_i64() >= Some(m))
                    })
                    .filter(|o| {
                        q("status_id").is_none_or(|s| o["status_id"].as_i64() == s.parse().ok())
                    })
                    .collect();
                if field != "id" {
                    list.sort_by_key(|o| date(o, &field));
                }
                paged(list)
            }
            ("GET", ["v2", "orders", id, sub]) => {
                let Some((_, lines)) = self
                    .orders
                    .iter()
                    .find(|(o, _)| o["id"].as_i64() == id.parse().ok())
                else {
                    return (404, None);
                };
                match *sub {
                    "products" => paged(lines.clone()),
                    "shipping_addresses" => {
                        paged(vec![json!({"id": 1, "shipping_method": "Post"})])
                    }
                    _ => (204, None),
                }
            }
            ("PUT", ["v2", "orders", id]) => {
                match self
                    .orders
                    .iter_mut()
                    .find(|(o, _)| o["id"].as_i64() == id.parse().ok())
                {
                    Some((order, _)) => {
                        order["status_id"] = body.unwrap_or_default()["status_id"].clone();
                        (200, Some(order.clone()))
                    }
                    None => (
                        404,
                        Some(
                            json!({"status": 404, "title": "The requested resource was not found."}),
                        ),
                    ),
                }
            }
            ("GET", ["v3", "catalog", "variants"]) => {
                let all: Vec<Value> = self
                    .products
                    .iter()
                    .flat_map(|(p, _, _, vs)| {
                        vs.iter()
                            .map(move |(v, sku)| json!({"id": v, "product_id": p, "sku": sku}))
                    })
                    .collect();
                v3(all, page, limit)
            }
            ("GET", ["v3", "catalog", "products"]) => {
                let all = self
                    .products
                    .iter()
                    .map(|(p, sku, t, _)| json!({"id": p, "sku": sku, "inventory_tracking": t}))
                    .collect();
                v3(all, page, limit)
            }
            ("PUT", ["v3", "catalog", "products", id]) => {
                let tracking = body.unwrap_or_default()["inventory_tracking"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                match self.products.iter_mut().find(|p| p.0.to_string() == *id) {
                    Some(p) => {
                        p.2 = tracking;
                        (200, Some(json!({"data": {"id": p.0}})))
                    }
                    None => (404, None),
                }
            }
            ("PUT", ["v3", "inventory", "adjustments", "absolute"]) => {
                let body = body.unwrap_or_default();
                for item in body["items"].as_array().cloned().unwrap_or_default() {
                    let ok = if let Some(v) = item["variant_id"].as_i64() {
                        self.products.iter().any(|(_, _, t, vs)| {
                            t == "variant" && vs.iter().skip(1).any(|x| x.0 == v)
                        })
                    } else {
                        let p = item["product_id"].as_i64();
                        self.products
                            .iter()
                            .any(|(id, _, t, _)| Some(*id) == p && t == "product")
                    };
                    let id = item["variant_id"].as_i64().or(item["product_id"].as_i64());
                    if !ok || id.is_some_and(|id| self.refuse.contains(&id)) {
                        return (
                            422,
                            Some(
                                json!({"status": 422, "title": format!("[Item {item} is tracked another way]")}),
                            ),
                        );
                    }
                }
                self.adjusted
                    .extend(body["items"].as_array().cloned().unwrap_or_default());
                (200, Some(json!({"transaction_id": "t"})))
            }
            ("PUT", ["v3", "inventory", "locations", "1", "items"]) => {
                self.warnings.extend(
                    body.unwrap_or_default()["settings"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default(),
                );
                (200, Some(json!({"transaction_id": "t"})))
            }
            _ => (404, None),
        }
    }
}

fn v3(all: Vec<Value>, page: usize, limit: usize) -> (u16, Option<Value>) {
    let total_pages = all.len().div_ceil(limit).max(1);
    let data: Vec<Value> = all
        .into_iter()
        .skip((page - 1) * limit)
        .take(limit)
        .collect();
    (
        200,
        Some(
            json!({"data": data, "meta": {"pagination": {"total_pages": total_pages, "current_page": page}}}),
        ),
    )
}

impl Web for MiniShop {
    fn send(&mut self, request: Request) -> Result<Response, HttpFailure> {
        self.requests
            .push(format!("{} {}", request.method, request.url));
        let body = match &request.body {
            RequestBody::Text(text) => Some(serde_json::from_str(text).expect("JSON bodies")),
            _ => None,
        };
        let (status, answer) = match &self.broken {
            Some(part) if request.url.contains(part.as_str()) => (503, None),
            _ => self.route(&request.method, &request.url, body),
        };
        let bytes = answer
            .map(|a| a.to_string().into_bytes())
            .unwrap_or_default();
        if let Some(file) = &request.output_file {
            std::fs::write(file, &bytes).expect("the scratch file");
        }
        Ok(Response {
            status,
            headers: Vec::new(),
            // As the host: without an output file, only the start is read and counted.
            body_length: if request.output_file.is_some() {
                bytes.len() as u64
            } else {
                bytes.len().min(65536) as u64
            },
            body_start: bytes.iter().take(65536).copied().collect(),
            url: request.url,
        })
    }
}
