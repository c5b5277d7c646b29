//! A small in-memory Magento behind [`Web`] for the native unit tests (the full stateful fake,
//! checked against Magento's own schema, is `host/fake-shops`).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::Web;
use bigcommerce::{HttpFailure, Request, RequestBody, Response};

pub struct MiniMagento {
    /// entity id → (increment id, status, updated_at)
    pub orders: BTreeMap<i64, (String, String, String)>,
    /// sku → (quantity, status) as MSI source items.
    pub stock: BTreeMap<String, (f64, i64)>,
    pub legacy: BTreeMap<String, f64>,
    pub comments: Vec<(i64, String)>,
    pub searches: u32,
    clock: u32,
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

impl MiniMagento {
    pub fn with_orders(count: i64) -> Self {
        let mut shop = MiniMagento {
            orders: BTreeMap::new(),
            stock: BTreeMap::new(),
            legacy: BTreeMap::new(),
            comments: Vec::new(),
            searches: 0,
            clock: 0,
        };
        for id in 1..=count {
            let date = shop.tick();
            shop.orders
                .insert(id, (format!("{id:09}"), "pending".into(), date));
        }
        shop
    }

    fn tick(&mut self) -> String {
        self.clock += 1;
        format!(
            "2026-01-01 10:{:02}:{:02}",
            self.clock / 60,
            self.clock % 60
        )
    }

    pub fn touch(&mut self, id: i64) {
        let date = self.tick();
        if let Some(order) = self.orders.get_mut(&id) {
            order.2 = date;
        }
    }

    pub fn status(&self, id: i64) -> &str {
        &self.orders[&id].1
    }

    fn render(&self, id: i64) -> Value {
        let (increment, status, updated) = &self.orders[&id];
        json!({
            "entity_id": id, "increment_id": increment, "status": status,
            "created_at": "2026-01-01 09:00:00", "updated_at": updated,
            "customer_email": "a@example.com", "grand_total": 10, "base_grand_total": 10,
            "items": [{"item_id": id * 10, "sku": "MG-1", "qty_ordered": 1, "price": 10}],
            "billing_address": {"firstname": "Ann", "street": ["1 High Street", "Flat 2"]},
            "extension_attributes": {"shipping_assignments": [{"shipping": {"method": "flatrate_flatrate"}, "items": []}]},
        })
    }

    fn search(&mut self, query: &str) -> Value {
        self.searches += 1;
        let mut filters: BTreeMap<(String, String), BTreeMap<String, String>> = BTreeMap::new();
        let (mut sort, mut size) = (None::<(String, String)>, usize::MAX);
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (key, value) = (decode(key), decode(value));
            let parts: Vec<&str> = key.split(['[', ']']).filter(|p| !p.is_empty()).collect();
            match parts.as_slice() {
                ["searchCriteria", "filterGroups", g, "filters", f, part] => {
                    filters
                        .entry((g.to_string(), f.to_string()))
                        .or_default()
                        .insert(part.to_string(), value);
                }
                ["searchCriteria", "sortOrders", _, "field"] => {
                    sort = Some((value, sort.map(|s| s.1).unwrap_or_default()))
                }
                ["searchCriteria", "sortOrders", _, "direction"] => {
                    sort = sort.map(|s| (s.0, value))
                }
                ["searchCriteria", "pageSize"] => size = value.parse().unwrap(),
                _ => {}
            }
        }
        let mut groups: BTreeMap<String, Vec<BTreeMap<String, String>>> = BTreeMap::new();
        for ((g, _), f) in filters {
            groups.entry(g).or_default().push(f);
        }
        let mut matched: Vec<Value> = self
            .orders
            .keys()
            .map(|id| self.render(*id))
            .filter(|order| {
                groups.values().all(|group| {
                    group.iter().any(|f| {
                        let field = match &order[f["field"].as_str()] {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        let value = f.get("value").cloned().unwrap_or_default();
                        let cmp = match (field.parse::<f64>(), value.parse::<f64>()) {
                            (Ok(a), Ok(b)) if !field.contains('-') => a.partial_cmp(&b).unwrap(),
                            _ => field.cmp(&value),
                        };
                        match f["conditionType"].as_str() {
                            "gt" => cmp.is_gt(),
                            "gteq" => cmp.is_ge(),
                            "in" => value.split(',').any(|v| v == field),
                            "eq" => cmp.is_eq(),
                            other => panic!("condition {other}"),
                        }
                    })
                })
            })
            .collect();
        if let Some((field, direction)) = sort {
            matched.sort_by(|a, b| match (a[&field].as_i64(), b[&field].as_i64()) {
                (Some(a), Some(b)) => a.cmp(&b),
                _ => a[&field].to_string().cmp(&b[&field].to_string()),
            });
            if direction == "DESC" {
                matched.reverse();
            }
        }
        let total = matched.len();
        matched.truncate(size);
        json!({"items": matched, "search_criteria": {}, "total_count": total})
    }

    fn route(&mut self, method: &str, url: &str, body: Option<Value>) -> (u16, Value) {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let path = path.trim_start_matches("rest/");
        let (_store, route) = path.split_once("/V1/").unwrap();
        let parts: Vec<&str> = route.split('/').collect();
        match (method, parts.as_slice()) {
            ("GET", ["orders"]) => (200, self.search(query)),
            ("POST", ["orders", id, "comments"]) => {
                let id: i64 = id.parse().unwrap();
                let history = &body.unwrap()["statusHistory"];
                let date = self.tick();
                let order = self.orders.get_mut(&id).unwrap();
                order.1 = history["status"].as_str().unwrap().to_owned();
                order.2 = date;
                self.comments
                    .push((id, history["comment"].as_str().unwrap().to_owned()));
                (200, Value::Bool(true))
            }
            ("POST", ["inventory", "source-items"]) => {
                let items = body.unwrap()["sourceItems"].as_array().unwrap().clone();
                if items
                    .iter()
                    .any(|i| !i["sku"].as_str().unwrap().starts_with("MG-"))
                {
                    return (400, json!({"message": "Validation Failed"}));
                }
                for i in items {
                    self.stock.insert(
                        i["sku"].as_str().unwrap().to_owned(),
                        (
                            i["quantity"].as_f64().unwrap(),
                            i["status"].as_i64().unwrap(),
                        ),
                    );
                }
                (200, json!([]))
            }
            ("PUT", ["products", sku, "stockItems", "1"]) => {
                if !sku.starts_with("MG-") {
                    return (
                        404,
                        json!({"message": "The product that was requested doesn't exist."}),
                    );
                }
                self.legacy.insert(
                    decode(sku),
                    body.unwrap()["stockItem"]["qty"].as_f64().unwrap(),
                );
                (200, json!(1))
            }
            _ => (404, json!({"message": "no route"})),
        }
    }
}

impl Web for MiniMagento {
    fn send(&mut self, request: Request) -> Result<Response, HttpFailure> {
        let body = match &request.body {
            RequestBody::Text(text) => Some(serde_json::from_str(text).unwrap()),
            _ => None,
        };
        let (status, answer) = self.route(&request.method, &request.url, body);
        let bytes = answer.to_string().into_bytes();
        if let Some(path) = &request.output_file {
            std::fs::write(path, &bytes).unwrap();
        }
        Ok(Response {
            status,
            headers: Vec::new(),
            body_length: bytes.len() as u64,
            body_start: bytes,
            url: request.url,
        })
    }
}
