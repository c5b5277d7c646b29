//! A stateful fake BigCommerce store API: v2 orders with their products, shipping addresses and
//! coupons, order statuses, v3 catalog products and variants, and v3 inventory (absolute
//! adjustments, location item settings), on generated customers, orders and products.
//!
//! It behaves as the real store does where clients trip over it:
//! - an empty list (orders, order products, shipping addresses, coupons) is `204` with no body;
//! - order products (and the other order sub-resources) are paged, 50 by default;
//! - every answer carries `X-Rate-Limit-*` headers; a client over its quota gets `429` with
//!   `X-Rate-Limit-Time-Reset-Ms`, and a storm ([`BigCommerce::rate_limit_storm`]) answers `429`
//!   without them, as a gateway in front of the store does;
//! - inventory adjustments are applied asynchronously, [`Config::inventory_delay`] after they
//!   were accepted (the answer is only a transaction id);
//! - orders change while a download pages ([`BigCommerce::set_churn`]): each order list request
//!   touches an order (`date_modified` moves to now) and, every third one, a new order arrives.
//!
//! Paths are those of the API under `https://api.bigcommerce.com/stores/<hash>/`: `/v2/orders`,
//! `/v3/catalog/products`; `/stores/<hash>` and the version may be left out (a contract proxy
//! strips them), since v2 and v3 paths never collide.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::server::{Request, Response, Shop};

/// Not BigCommerce's: the fake's own summary (order statuses, stock levels).
pub const STATE_PATH: &str = "/_fake/state";

/// The order statuses every store has (ids and names as the v2 API lists them).
pub const ORDER_STATUSES: &[(i64, &str)] = &[
    (0, "Incomplete"),
    (1, "Pending"),
    (2, "Shipped"),
    (3, "Partially Shipped"),
    (4, "Refunded"),
    (5, "Cancelled"),
    (6, "Declined"),
    (7, "Awaiting Payment"),
    (8, "Awaiting Pickup"),
    (9, "Awaiting Shipment"),
    (10, "Completed"),
    (11, "Awaiting Fulfillment"),
    (12, "Manual Verification Required"),
    (13, "Disputed"),
    (14, "Partially Refunded"),
];

/// What the store starts with.
#[derive(Debug, Clone)]
pub struct Config {
    pub customers: usize,
    pub orders: usize,
    pub products: usize,
    /// Every `variant_every`-th product has three variants and tracks stock by variant (0: none).
    pub variant_every: usize,
    /// Orders with a negative price on their first line (an accounting package refuses them),
    /// spread through the orders.
    pub malformed: usize,
    /// Orders with more lines than a page of order products holds (paged order products).
    pub large_orders: usize,
    pub seed: u64,
    /// The API account's access token (`X-Auth-Token`).
    pub token: String,
    /// The status new orders are in.
    pub initial_status: i64,
    /// How long after an adjustment was accepted it shows in the stock levels.
    pub inventory_delay: Duration,
    /// Requests allowed per rate-limit window (BigCommerce plans allow 150 to 450 per 30 s).
    pub quota: u32,
    pub window: Duration,
    /// The newest order's creation time; the others go back a few minutes each.
    pub newest_order: DateTime<Utc>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            customers: 100,
            orders: 300,
            products: 200,
            variant_every: 10,
            malformed: 5,
            large_orders: 2,
            seed: 1,
            token: "bigcommerce-token".into(),
            initial_status: 11,
            inventory_delay: Duration::from_millis(200),
            quota: 10_000,
            window: Duration::from_secs(1),
            newest_order: Utc::now() - chrono::Duration::hours(1),
        }
    }
}

/// A catalog variant and its stock.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub id: u64,
    pub sku: String,
    pub inventory_level: i64,
    pub inventory_warning_level: i64,
}

/// A catalog product: its base variant (the first, with the product's SKU) and, when it has
/// options, more variants.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: u64,
    pub sku: String,
    pub name: String,
    pub price: f64,
    /// `none`, `product` or `variant`.
    pub inventory_tracking: String,
    pub inventory_level: i64,
    pub inventory_warning_level: i64,
    pub variants: Vec<Variant>,
}

impl Product {
    /// The SKUs an order line can name: the option variants' when there are any, else the
    /// product's.
    pub fn orderable(&self) -> Vec<(u64, String)> {
        if self.variants.len() > 1 {
            self.variants[1..]
                .iter()
                .map(|v| (v.id, v.sku.clone()))
                .collect()
        } else {
            vec![(self.variants[0].id, self.sku.clone())]
        }
    }

    /// The stock level of a SKU as the store tracks it.
    pub fn level_of(&self, sku: &str) -> Option<i64> {
        match self.inventory_tracking.as_str() {
            "variant" => self
                .variants
                .iter()
                .skip(1)
                .find(|v| v.sku == sku)
                .map(|v| v.inventory_level),
            _ if self.sku == sku => Some(self.inventory_level),
            _ => None,
        }
    }
}

/// What the store was asked, for tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub requests: u64,
    pub unauthorised: u64,
    pub rate_limited: u64,
    pub order_pages: u64,
    pub empty_pages: u64,
    pub status_updates: u64,
    pub adjustments: u64,
    pub adjusted_items: u64,
    pub refused_adjustments: u64,
}

struct Order {
    /// The order as `GET /orders` renders it, without its sub-resources.
    json: Value,
    products: Vec<Value>,
    shipping_addresses: Vec<Value>,
    coupons: Vec<Value>,
    created: DateTime<Utc>,
    modified: DateTime<Utc>,
}

/// A batch of adjustments accepted and not yet applied.
struct Pending {
    due: Instant,
    /// (product id, variant id or none, quantity)
    items: Vec<(u64, Option<u64>, i64)>,
}

pub struct BigCommerce {
    config: Config,
    state: Mutex<State>,
}

struct State {
    orders: BTreeMap<u64, Order>,
    products: BTreeMap<u64, Product>,
    pending: Vec<Pending>,
    malformed: Vec<u64>,
    /// Requests left in a storm; every other one is answered 429 without rate-limit headers.
    storm: u32,
    churn: bool,
    window_start: Instant,
    window_used: u32,
    next_line_id: u64,
    next_transaction: u64,
    stats: Stats,
    rng: fastrand::Rng,
}

const FIRST_NAMES: &[&str] = &[
    "Alice", "Ben", "Chloe", "Dan", "Ella", "Finn", "Grace", "Harry", "Isla", "Jack",
];
const LAST_NAMES: &[&str] = &[
    "Smith", "Jones", "Taylor", "Brown", "Patel", "Wright", "Evans", "Walker",
];
const TOWNS: &[&str] = &["Leeds", "York", "Bristol", "Norwich", "Bath", "Derby"];
const THINGS: &[&str] = &[
    "Mug", "Lamp", "Chair", "Kettle", "Rug", "Clock", "Vase", "Shelf", "Teapot",
];
const SIZES: &[&str] = &["S", "M", "L"];

impl BigCommerce {
    pub fn new(config: Config) -> Arc<BigCommerce> {
        let mut rng = fastrand::Rng::with_seed(config.seed);
        let mut next_variant = 1u64;
        let products: BTreeMap<u64, Product> = (1..=config.products as u64)
            .map(|id| {
                let sku = format!("BC-{id:05}");
                let with_variants =
                    config.variant_every > 0 && id.is_multiple_of(config.variant_every as u64);
                let mut variants = vec![Variant {
                    id: next_variant,
                    sku: sku.clone(),
                    inventory_level: 0,
                    inventory_warning_level: 0,
                }];
                next_variant += 1;
                if with_variants {
                    for size in SIZES {
                        variants.push(Variant {
                            id: next_variant,
                            sku: format!("{sku}-{size}"),
                            inventory_level: 0,
                            inventory_warning_level: 0,
                        });
                        next_variant += 1;
                    }
                }
                let product = Product {
                    id,
                    sku,
                    name: format!("{} {id}", THINGS[rng.usize(..THINGS.len())]),
                    price: (rng.u32(200..20_000) as f64) / 100.0,
                    inventory_tracking: if with_variants { "variant" } else { "product" }.into(),
                    inventory_level: 0,
                    inventory_warning_level: 0,
                    variants,
                };
                (id, product)
            })
            .collect();
        let bad: Vec<usize> = (1..=config.malformed)
            .map(|b| b * config.orders / (config.malformed + 1))
            .collect();
        let large: Vec<usize> = (1..=config.large_orders)
            .map(|l| l * config.orders / (config.large_orders + 1) + 1)
            .collect();
        let mut state = State {
            orders: BTreeMap::new(),
            products,
            pending: Vec::new(),
            malformed: Vec::new(),
            storm: 0,
            churn: false,
            window_start: Instant::now(),
            window_used: 0,
            next_line_id: 1,
            next_transaction: 1,
            stats: Stats::default(),
            rng,
        };
        for n in 1..=config.orders {
            let created =
                config.newest_order - chrono::Duration::minutes(((config.orders - n) * 7) as i64);
            let malformed = bad.contains(&n);
            let lines = if large.contains(&n) { 60 } else { 0 };
            state.add_order(&config, n as u64, created, malformed, lines);
            if malformed {
                state.malformed.push(n as u64);
            }
        }
        Arc::new(BigCommerce {
            config,
            state: Mutex::new(state),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    fn state(&self) -> MutexGuard<'_, State> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.apply_due(Instant::now());
        state
    }

    /// The catalog with the stock levels applied so far.
    pub fn products(&self) -> Vec<Product> {
        self.state().products.values().cloned().collect()
    }

    /// Every orderable SKU's stock level as the store tracks it.
    pub fn stock_levels(&self) -> BTreeMap<String, i64> {
        let state = self.state();
        state
            .products
            .values()
            .flat_map(|p| {
                p.orderable()
                    .into_iter()
                    .filter_map(|(_, sku)| p.level_of(&sku).map(|level| (sku, level)))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The store's catalogue as a Zynk XML company for `wharf sage load`: a stock record per
    /// orderable SKU (stock 20 to 399, varying by SKU) and the web sales account
    /// `web_account`, so tests, benchmarks and demos start Sage with what the store sells.
    pub fn zynk_company(&self, web_account: &str) -> String {
        let mut xml =
            String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Company>\n  <Products>\n");
        for product in self.products() {
            for (variant, sku) in product.orderable() {
                xml.push_str(&format!(
                    "    <Product><Sku>{sku}</Sku><Name>{}</Name><SalePrice>{:.2}</SalePrice><QtyInStock>{}</QtyInStock><ReorderLvl>5</ReorderLvl><TaxCode>1</TaxCode><NominalCode>4000</NominalCode></Product>\n",
                    product.name,
                    product.price,
                    20 + (variant * 37 + product.id * 11) % 380
                ));
            }
        }
        xml.push_str(&format!(
            "  </Products>\n  <Customers>\n    <Customer><AccountReference>{web_account}</AccountReference><CompanyName>Web Sales</CompanyName></Customer>\n  </Customers>\n</Company>\n"
        ));
        xml
    }

    /// Adjustments accepted and not applied yet.
    pub fn pending_adjustments(&self) -> usize {
        self.state().pending.iter().map(|p| p.items.len()).sum()
    }

    /// Ids of the orders with a negative price.
    pub fn malformed(&self) -> Vec<u64> {
        self.state().malformed.clone()
    }

    /// Every order's status id, by order id.
    pub fn order_statuses(&self) -> BTreeMap<u64, i64> {
        self.state()
            .orders
            .iter()
            .map(|(id, o)| (*id, o.json["status_id"].as_i64().unwrap_or(-1)))
            .collect()
    }

    /// An order as the API renders it, with its products.
    pub fn order(&self, id: u64) -> Option<(Value, Vec<Value>)> {
        self.state()
            .orders
            .get(&id)
            .map(|o| (o.json.clone(), o.products.clone()))
    }

    /// Adds `count` new orders created now; gives their ids.
    pub fn add_orders(&self, count: usize) -> Vec<u64> {
        let mut state = self.state();
        (0..count)
            .map(|_| {
                let id = state.orders.keys().next_back().copied().unwrap_or(0) + 1;
                state.add_order(&self.config, id, Utc::now(), false, 0);
                id
            })
            .collect()
    }

    /// The next `requests` API requests: every other one is answered 429, without rate-limit
    /// headers (a gateway's answer) on most and with them on some.
    pub fn rate_limit_storm(&self, requests: u32) {
        self.state().storm = requests;
    }

    /// Whether order list requests change the store (an order touched, sometimes one added).
    pub fn set_churn(&self, on: bool) {
        self.state().churn = on;
    }

    pub fn stats(&self) -> Stats {
        self.state().stats.clone()
    }

    fn route(&self, request: &Request) -> Response {
        let mut state = self.state();
        state.stats.requests += 1;
        if (request.method.as_str(), request.path.as_str()) == ("GET", STATE_PATH) {
            return Response::json(200, &state.summary());
        }
        if state.storm > 0 {
            state.storm -= 1;
            if state.storm % 2 == 1 {
                state.stats.rate_limited += 1;
                let response = error(429, "Too many requests");
                return if state.storm % 6 == 1 {
                    state.rate_headers(&self.config, response, Some(50))
                } else {
                    response
                };
            }
        }
        if request.header("x-auth-token") != Some(self.config.token.as_str()) {
            state.stats.unauthorised += 1;
            return error(401, "You are not authorized to access this resource");
        }
        // The quota: a window of `quota` requests, then 429 until the window ends.
        let now = Instant::now();
        if now.duration_since(state.window_start) >= self.config.window {
            state.window_start = now;
            state.window_used = 0;
        }
        state.window_used += 1;
        if state.window_used > self.config.quota {
            state.stats.rate_limited += 1;
            let response = error(429, "Too many requests");
            return state.rate_headers(&self.config, response, None);
        }
        let route = api_route(&request.path);
        let parts: Vec<&str> = route.split('/').filter(|p| !p.is_empty()).collect();
        let response = match (request.method.as_str(), parts.as_slice()) {
            ("GET", ["order_statuses"]) => Response::json(
                200,
                &Value::Array(
                    ORDER_STATUSES
                        .iter()
                        .map(|(id, name)| status_json(*id, name))
                        .collect(),
                ),
            ),
            ("GET", ["orders"]) => state.list_orders(&self.config, request),
            ("GET", ["orders", id]) => match state.order_by(id) {
                Some(order) => Response::json(200, &order.json),
                None => error(404, "The requested resource was not found."),
            },
            ("PUT", ["orders", id]) => state.update_order(id, request),
            ("GET", ["orders", id, sub]) => state.order_list(id, sub, request),
            ("GET", ["catalog", "products"]) => state.list_products(request),
            ("PUT", ["catalog", "products", id]) => state.update_product(id, request),
            ("GET", ["catalog", "variants"]) => state.list_variants(request),
            ("PUT", ["inventory", "adjustments", "absolute"]) => {
                state.adjust(&self.config, request)
            }
            ("PUT", ["inventory", "locations", location, "items"]) => {
                state.location_settings(location, request)
            }
            _ => error(
                404,
                &format!("no such resource: {} {}", request.method, request.path),
            ),
        };
        state.rate_headers(&self.config, response, None)
    }
}

impl Shop for BigCommerce {
    fn handle(&self, request: Request) -> Response {
        self.route(&request)
    }
}

/// The API path without `/stores/<hash>` and `/v2` or `/v3`.
fn api_route(path: &str) -> &str {
    let mut rest = path;
    if let Some(after) = rest.strip_prefix("/stores/") {
        rest = after.find('/').map_or("", |i| &after[i..]);
    }
    for version in ["/v2", "/v3"] {
        if let Some(after) = rest.strip_prefix(version)
            && (after.is_empty() || after.starts_with('/'))
        {
            return after;
        }
    }
    rest
}

/// A v3-style error (`status`, `title`), which v2 clients read as well.
fn error(status: u16, title: &str) -> Response {
    let mut response = Response::json(
        status,
        &json!({ "status": status, "title": title, "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes" }),
    );
    if status == 422 {
        // v3 validation errors are problem documents (RFC 7807), as the inventory spec says.
        response.headers = vec![("content-type".into(), "application/problem+json".into())];
    }
    response
}

fn status_json(id: i64, name: &str) -> Value {
    json!({ "id": id, "name": name, "system_label": name, "custom_label": name, "system_description": name })
}

fn status_name(id: i64) -> Option<&'static str> {
    ORDER_STATUSES
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, name)| *name)
}

/// BigCommerce's v2 money: a string with four decimals.
fn money(x: f64) -> String {
    format!("{x:.4}")
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// RFC 2822, as the v2 API writes dates.
fn rfc2822(date: DateTime<Utc>) -> String {
    date.format("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

/// A date filter: RFC 2822 or ISO 8601 (with an offset, or UTC without one).
fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    DateTime::parse_from_rfc2822(text)
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
                .ok()
                .map(|d| d.and_utc())
        })
}

/// `page` and `limit` (default 50, at most 250), as both API versions read them.
fn paging(request: &Request) -> Result<(usize, usize), Response> {
    let number = |name: &str, default: usize| match request.query_value(name) {
        None => Ok(default),
        Some(text) => text
            .parse::<f64>()
            .ok()
            .filter(|n| *n >= 1.0 && n.fract() == 0.0)
            .map(|n| n as usize)
            .ok_or_else(|| {
                error(
                    400,
                    &format!("`{name}` must be a whole number of at least 1"),
                )
            }),
    };
    Ok((number("page", 1)?, number("limit", 50)?.min(250)))
}

/// One page of a v2 list: 204 with no body when empty.
fn v2_page(items: &[Value], page: usize, limit: usize) -> Response {
    let start = (page - 1).saturating_mul(limit);
    let slice: Vec<Value> = items.iter().skip(start).take(limit).cloned().collect();
    if slice.is_empty() {
        Response::empty(204)
    } else {
        Response::json(200, &Value::Array(slice))
    }
}

/// One page of a v3 collection with its pagination.
fn v3_page(items: Vec<Value>, page: usize, limit: usize) -> Response {
    let total = items.len();
    let total_pages = total.div_ceil(limit).max(1);
    let data: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * limit)
        .take(limit)
        .collect();
    let mut links = json!({ "current": format!("?page={page}&limit={limit}") });
    if page > 1 {
        links["previous"] = json!(format!("?page={}&limit={limit}", page - 1));
    }
    if page < total_pages {
        links["next"] = json!(format!("?page={}&limit={limit}", page + 1));
    }
    Response::json(
        200,
        &json!({
            "data": data,
            "meta": { "pagination": {
                "total": total, "count": data.len(), "per_page": limit,
                "current_page": page, "total_pages": total_pages, "links": links,
            }},
        }),
    )
}

/// `include_fields`: the fields asked for, and `id` always.
fn only_fields(mut item: Value, request: &Request) -> Value {
    let Some(fields) = request.query_value("include_fields") else {
        return item;
    };
    let wanted: Vec<&str> = fields.split(',').map(str::trim).collect();
    if let Value::Object(map) = &mut item {
        map.retain(|k, _| k == "id" || wanted.contains(&k.as_str()));
    }
    item
}

fn body_json(request: &Request) -> Result<Value, Response> {
    serde_json::from_slice(&request.body)
        .map_err(|e| error(400, &format!("the body is not JSON: {e}")))
}

impl State {
    fn apply_due(&mut self, now: Instant) {
        if self.pending.iter().all(|p| p.due > now) {
            return;
        }
        let (due, later): (Vec<Pending>, Vec<Pending>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|p| p.due <= now);
        self.pending = later;
        for batch in due {
            for (product, variant, quantity) in batch.items {
                let Some(p) = self.products.get_mut(&product) else {
                    continue;
                };
                match variant {
                    Some(v) => {
                        if let Some(v) = p.variants.iter_mut().find(|x| x.id == v) {
                            v.inventory_level = quantity;
                        }
                        p.inventory_level = p.variants[1..].iter().map(|v| v.inventory_level).sum();
                    }
                    None => p.inventory_level = quantity,
                }
            }
        }
    }

    fn rate_headers(&self, config: &Config, response: Response, reset_ms: Option<u64>) -> Response {
        let window = config.window.as_millis() as u64;
        let reset = reset_ms.unwrap_or_else(|| {
            window.saturating_sub(self.window_start.elapsed().as_millis() as u64)
        });
        response
            .with_header("X-Rate-Limit-Requests-Quota", config.quota.to_string())
            .with_header(
                "X-Rate-Limit-Requests-Left",
                config.quota.saturating_sub(self.window_used).to_string(),
            )
            .with_header("X-Rate-Limit-Time-Window-Ms", window.to_string())
            .with_header("X-Rate-Limit-Time-Reset-Ms", reset.to_string())
    }

    fn summary(&self) -> Value {
        json!({
            "orders": self.orders.iter().map(|(id, o)| (id.to_string(), json!({
                "status": o.json["status"], "date_modified": o.json["date_modified"],
                "total_inc_tax": o.json["total_inc_tax"],
            }))).collect::<serde_json::Map<_, _>>(),
            "stock": self.products.values().flat_map(|p| p.orderable().into_iter().map(|(_, sku)| {
                let level = p.level_of(&sku);
                (sku, json!(level))
            }).collect::<Vec<_>>()).collect::<serde_json::Map<_, _>>(),
            "pending_adjustments": self.pending.iter().map(|p| p.items.len()).sum::<usize>(),
        })
    }

    fn add_order(
        &mut self,
        config: &Config,
        id: u64,
        created: DateTime<Utc>,
        malformed: bool,
        lines: usize,
    ) {
        let rng = &mut self.rng;
        let customer_id = if config.customers == 0 || rng.u8(..10) == 0 {
            0
        } else {
            rng.u64(1..=config.customers as u64)
        };
        let first = FIRST_NAMES[rng.usize(..FIRST_NAMES.len())];
        let last = LAST_NAMES[rng.usize(..LAST_NAMES.len())];
        let town = TOWNS[rng.usize(..TOWNS.len())];
        let email = format!(
            "{}.{}{customer_id}@example.com",
            first.to_lowercase(),
            last.to_lowercase()
        );
        let orderable: Vec<(u64, u64, String, String, f64)> = self
            .products
            .values()
            .flat_map(|p| {
                p.orderable()
                    .into_iter()
                    .map(|(variant, sku)| (p.id, variant, sku, p.name.clone(), p.price))
                    .collect::<Vec<_>>()
            })
            .collect();
        let lines = if lines > 0 { lines } else { rng.usize(1..=3) };
        let mut products = Vec::new();
        let (mut subtotal, mut tax, mut items_total) = (0.0, 0.0, 0i64);
        for line in 0..lines {
            let Some((product_id, variant_id, sku, name, price)) =
                orderable.get(rng.usize(..orderable.len().max(1))).cloned()
            else {
                break;
            };
            let quantity = rng.i64(1..=3);
            let price = if malformed && line == 0 {
                -price
            } else {
                price
            };
            let price_tax = round2(price * 0.2);
            let discount = if line == 0 && id.is_multiple_of(4) && !malformed {
                round2(price * quantity as f64 * 0.1)
            } else {
                0.0
            };
            let total = round2(price * quantity as f64);
            subtotal += total;
            tax += price_tax * quantity as f64;
            items_total += quantity;
            let line_id = self.next_line_id;
            self.next_line_id += 1;
            let applied: Vec<Value> = if discount > 0.0 {
                vec![
                    json!({"id": "manual-discount", "amount": money(discount), "name": "Manual Discount", "code": null, "target": "product"}),
                ]
            } else {
                Vec::new()
            };
            products.push(json!({
                "id": line_id, "order_id": id, "product_id": product_id, "variant_id": variant_id,
                "order_address_id": id, "name": name, "name_customer": name, "name_merchant": name,
                "sku": sku, "upc": "", "type": "physical",
                "base_price": money(price), "price_ex_tax": money(price),
                "price_inc_tax": money(price + price_tax), "price_tax": money(price_tax),
                "base_total": money(total), "total_ex_tax": money(total),
                "total_inc_tax": money(total + price_tax * quantity as f64),
                "total_tax": money(price_tax * quantity as f64), "quantity": quantity,
                "base_cost_price": "0.0000", "cost_price_inc_tax": "0.0000",
                "cost_price_ex_tax": "0.0000", "cost_price_tax": "0.0000", "weight": 1,
                "is_refunded": false, "quantity_refunded": 0, "refund_amount": "0.0000",
                "return_id": 0, "wrapping_id": 0, "wrapping_name": null,
                "quantity_shipped": 0, "event_name": null, "event_date": null,
                "fixed_shipping_cost": "0.0000", "ebay_item_id": "", "ebay_transaction_id": "",
                "option_set_id": null, "parent_order_product_id": null,
                "is_bundled_product": false, "bin_picking_number": "", "external_id": null,
                "brand": "", "applied_discounts": applied, "product_options": [],
                "configurable_fields": [], "gift_certificate_id": null,
                "discounted_total_inc_tax": money(total + price_tax * quantity as f64 - discount),
            }));
        }
        let shipping = 4.95;
        let shipping_tax = 0.99;
        let address = json!({
            "first_name": first, "last_name": last, "company": "",
            "street_1": format!("{} High Street", id % 97 + 1), "street_2": "Flat 2",
            "city": town, "state": "Yorkshire", "zip": "LS1 4AB", "country": "United Kingdom",
            "country_iso2": "GB", "phone": "0113 496 0000", "email": email,
        });
        let mut shipping_address = address.clone();
        if let Value::Object(map) = &mut shipping_address {
            for (k, v) in [
                ("id", json!(id)),
                ("order_id", json!(id)),
                ("items_total", json!(items_total)),
                ("items_shipped", json!(0)),
                ("base_cost", json!(money(shipping))),
                ("cost_ex_tax", json!(money(shipping))),
                ("cost_inc_tax", json!(money(shipping + shipping_tax))),
                ("cost_tax", json!(money(shipping_tax))),
                ("cost_tax_class_id", json!(0)),
                ("base_handling_cost", json!("0.0000")),
                ("handling_cost_ex_tax", json!("0.0000")),
                ("handling_cost_inc_tax", json!("0.0000")),
                ("handling_cost_tax", json!("0.0000")),
                ("handling_cost_tax_class_id", json!(0)),
                ("shipping_zone_id", json!(1)),
                ("shipping_zone_name", json!("United Kingdom")),
                ("form_fields", json!([])),
                ("shipping_method", json!("Royal Mail Tracked 48")),
            ] {
                map.insert(k.to_owned(), v);
            }
        }
        let coupons = if id.is_multiple_of(5) {
            vec![
                json!({"id": id, "coupon_id": 7, "order_id": id, "code": "SPRING10", "amount": 10, "type": 2, "discount": 1.5}),
            ]
        } else {
            Vec::new()
        };
        let total_ex = round2(subtotal + shipping);
        let total_tax = round2(tax + shipping_tax);
        let status = config.initial_status;
        let date = rfc2822(created);
        let link = |sub: &str| json!({ "url": format!("https://api.bigcommerce.com/stores/fake/v2/orders/{id}/{sub}"), "resource": format!("/orders/{id}/{sub}") });
        let order = json!({
            "id": id, "customer_id": customer_id, "date_created": date, "date_modified": date,
            "date_shipped": "", "status_id": status, "status": status_name(status).unwrap_or(""),
            "cart_id": "", "subtotal_ex_tax": money(subtotal), "subtotal_inc_tax": money(subtotal + tax),
            "subtotal_tax": money(tax), "base_shipping_cost": money(shipping),
            "shipping_cost_ex_tax": money(shipping), "shipping_cost_inc_tax": money(shipping + shipping_tax),
            "shipping_cost_tax": money(shipping_tax), "shipping_cost_tax_class_id": 2,
            "base_handling_cost": "0.0000", "handling_cost_ex_tax": "0.0000",
            "handling_cost_inc_tax": "0.0000", "handling_cost_tax": "0.0000",
            "handling_cost_tax_class_id": 2, "base_wrapping_cost": "0.0000",
            "wrapping_cost_ex_tax": "0.0000", "wrapping_cost_inc_tax": "0.0000",
            "wrapping_cost_tax": "0.0000", "wrapping_cost_tax_class_id": 3,
            "total_ex_tax": money(total_ex), "total_inc_tax": money(total_ex + total_tax),
            "total_tax": money(total_tax), "items_total": items_total, "items_shipped": 0,
            "payment_method": "Credit Card", "payment_provider_id": "", "payment_status": "captured",
            "refunded_amount": "0.0000", "order_is_digital": false, "store_credit_amount": "0.0000",
            "gift_certificate_amount": "0.0000", "ip_address": "192.0.2.10", "ip_address_v6": "",
            "geoip_country": "United Kingdom", "geoip_country_iso2": "GB", "currency_id": 1,
            "currency_code": "GBP", "currency_exchange_rate": "1.0000000000", "default_currency_id": 1,
            "default_currency_code": "GBP", "store_default_currency_code": "GBP",
            "store_default_to_transactional_exchange_rate": "1.0000000000",
            "staff_notes": "", "customer_message": if id.is_multiple_of(7) { "Please leave by the door" } else { "" },
            "discount_amount": "0.0000", "coupon_discount": if coupons.is_empty() { "0.0000" } else { "1.5000" },
            "shipping_address_count": 1, "is_deleted": false, "ebay_order_id": "0",
            "billing_address": address, "is_email_opt_in": false, "order_source": "www",
            "channel_id": 1, "external_source": null, "external_id": null,
            "external_merchant_id": null, "tax_provider_id": "BasicTaxProvider",
            "customer_locale": "en-GB", "external_order_id": "",
            "products": link("products"), "shipping_addresses": link("shipping_addresses"),
            "coupons": link("coupons"),
        });
        self.orders.insert(
            id,
            Order {
                json: order,
                products,
                shipping_addresses: vec![shipping_address],
                coupons,
                created,
                modified: created,
            },
        );
    }

    fn order_by(&self, id: &str) -> Option<&Order> {
        id.parse::<u64>().ok().and_then(|id| self.orders.get(&id))
    }

    /// An order changed now.
    fn touch(&mut self, id: u64) {
        let now = Utc::now();
        if let Some(order) = self.orders.get_mut(&id) {
            order.modified = now;
            order.json["date_modified"] = json!(rfc2822(now));
        }
    }

    fn list_orders(&mut self, config: &Config, request: &Request) -> Response {
        self.stats.order_pages += 1;
        if self.churn && !self.orders.is_empty() {
            let ids: Vec<u64> = self.orders.keys().copied().collect();
            let touched = ids[self.rng.usize(..ids.len())];
            self.touch(touched);
            if self.stats.order_pages.is_multiple_of(3) {
                let id = ids[ids.len() - 1] + 1;
                self.add_order(config, id, Utc::now(), false, 0);
            }
        }
        let (page, limit) = match paging(request) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let int = |name: &str| {
            request
                .query_value(name)
                .and_then(|v| v.parse::<i64>().ok())
        };
        let date = |name: &str| -> Result<Option<DateTime<Utc>>, Response> {
            match request.query_value(name) {
                None => Ok(None),
                Some(text) => parse_date(text).map(Some).ok_or_else(|| {
                    error(
                        400,
                        &format!("`{name}` is not an RFC 2822 or ISO 8601 date"),
                    )
                }),
            }
        };
        let filters = (|| {
            Ok::<_, Response>((
                date("min_date_created")?,
                date("max_date_created")?,
                date("min_date_modified")?,
                date("max_date_modified")?,
            ))
        })();
        let (min_created, max_created, min_modified, max_modified) = match filters {
            Ok(f) => f,
            Err(e) => return e,
        };
        let (min_id, max_id, status) = (int("min_id"), int("max_id"), int("status_id"));
        let mut matching: Vec<&Order> = self
            .orders
            .values()
            .filter(|o| {
                let id = o.json["id"].as_i64().unwrap_or(0);
                min_id.is_none_or(|m| id >= m)
                    && max_id.is_none_or(|m| id <= m)
                    && status.is_none_or(|s| o.json["status_id"].as_i64() == Some(s))
                    && min_created.is_none_or(|d| o.created >= d)
                    && max_created.is_none_or(|d| o.created <= d)
                    && min_modified.is_none_or(|d| o.modified >= d)
                    && max_modified.is_none_or(|d| o.modified <= d)
            })
            .collect();
        let sort = request.query_value("sort").unwrap_or("id");
        let (field, descending) = match sort.split_once(':') {
            Some((f, dir)) => (f, dir.eq_ignore_ascii_case("desc")),
            None => (sort, false),
        };
        match field {
            "id" => {}
            "date_created" => matching.sort_by_key(|o| o.created),
            "date_modified" => matching.sort_by_key(|o| o.modified),
            "status_id" => matching.sort_by_key(|o| o.json["status_id"].as_i64()),
            "customer_id" => matching.sort_by_key(|o| o.json["customer_id"].as_i64()),
            other => return error(400, &format!("cannot sort by `{other}`")),
        }
        if descending {
            matching.reverse();
        }
        let items: Vec<Value> = matching
            .into_iter()
            .skip((page - 1).saturating_mul(limit))
            .take(limit)
            .map(|o| o.json.clone())
            .collect();
        if items.is_empty() {
            self.stats.empty_pages += 1;
        }
        v2_page(&items, 1, limit.max(1))
    }

    fn order_list(&mut self, id: &str, sub: &str, request: &Request) -> Response {
        let (page, limit) = match paging(request) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let Some(order) = self.order_by(id) else {
            return error(404, "The requested resource was not found.");
        };
        let items = match sub {
            "products" => &order.products,
            "shipping_addresses" => &order.shipping_addresses,
            "coupons" => &order.coupons,
            _ => return error(404, "The requested resource was not found."),
        };
        let page_answer = v2_page(items, page, limit);
        if page_answer.status == 204 {
            self.stats.empty_pages += 1;
        }
        page_answer
    }

    fn update_order(&mut self, id: &str, request: &Request) -> Response {
        let body = match body_json(request) {
            Ok(b) => b,
            Err(e) => return e,
        };
        let Some(id) = id
            .parse::<u64>()
            .ok()
            .filter(|id| self.orders.contains_key(id))
        else {
            return error(404, "The requested resource was not found.");
        };
        if let Some(status) = body.get("status_id") {
            let Some(name) = status.as_i64().and_then(status_name) else {
                return error(400, &format!("`status_id` {status} is not an order status"));
            };
            self.stats.status_updates += 1;
            let order = self.orders.get_mut(&id).expect("checked above");
            order.json["status_id"] = status.clone();
            order.json["status"] = json!(name);
        }
        self.touch(id);
        Response::json(200, &self.orders[&id].json)
    }

    fn product_json(product: &Product) -> Value {
        json!({
            "id": product.id, "name": product.name, "type": "physical", "sku": product.sku,
            "price": product.price, "weight": 1, "inventory_level": product.inventory_level,
            "inventory_warning_level": product.inventory_warning_level,
            "inventory_tracking": product.inventory_tracking,
            "base_variant_id": product.variants[0].id, "is_visible": true,
        })
    }

    fn list_products(&self, request: &Request) -> Response {
        let (page, limit) = match paging(request) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let skus: Option<Vec<&str>> = request
            .query_value("sku:in")
            .map(|s| s.split(',').collect())
            .or_else(|| request.query_value("sku").map(|s| vec![s]));
        let items = self
            .products
            .values()
            .filter(|p| skus.as_ref().is_none_or(|s| s.contains(&p.sku.as_str())))
            .map(|p| only_fields(Self::product_json(p), request))
            .collect();
        v3_page(items, page, limit)
    }

    fn list_variants(&self, request: &Request) -> Response {
        let (page, limit) = match paging(request) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let sku = request.query_value("sku");
        let items = self
            .products
            .values()
            .flat_map(|p| {
                p.variants.iter().map(move |v| {
                    json!({
                        "id": v.id, "product_id": p.id, "sku": v.sku,
                        "inventory_level": v.inventory_level,
                        "inventory_warning_level": v.inventory_warning_level,
                        "option_values": [],
                    })
                })
            })
            .filter(|v| sku.is_none_or(|s| v["sku"] == s))
            .map(|v| only_fields(v, request))
            .collect();
        v3_page(items, page, limit)
    }

    fn update_product(&mut self, id: &str, request: &Request) -> Response {
        let body = match body_json(request) {
            Ok(b) => b,
            Err(e) => return e,
        };
        let Some(product) = id
            .parse::<u64>()
            .ok()
            .and_then(|id| self.products.get_mut(&id))
        else {
            return error(404, "The requested resource was not found.");
        };
        if let Some(tracking) = body.get("inventory_tracking") {
            match tracking.as_str() {
                Some(t @ ("none" | "product" | "variant")) => product.inventory_tracking = t.into(),
                _ => {
                    return error(
                        422,
                        "`inventory_tracking` must be `none`, `product` or `variant`",
                    );
                }
            }
        }
        Response::json(
            200,
            &json!({ "data": Self::product_json(product), "meta": {} }),
        )
    }

    /// Resolves an adjustment or settings item to (product, variant) as the store tracks it,
    /// or why it cannot be adjusted.
    fn resolve(&self, item: &Value) -> Result<(u64, Option<u64>), String> {
        if let Some(variant) = item.get("variant_id").and_then(Value::as_u64) {
            let product = self
                .products
                .values()
                .find(|p| p.variants.iter().any(|v| v.id == variant))
                .ok_or(format!("Variant with id {variant} does not exist"))?;
            return match product.inventory_tracking.as_str() {
                "variant" if product.variants[0].id != variant => Ok((product.id, Some(variant))),
                "variant" => Err(format!(
                    "Variant with id {variant} is the base variant of a product tracked by variant"
                )),
                "product" => Err(format!(
                    "Item with variant_id {variant} is tracked by product, please update stock by product id"
                )),
                _ => Err(format!(
                    "Item with variant_id {variant} does not track inventory"
                )),
            };
        }
        if let Some(id) = item.get("product_id").and_then(Value::as_u64) {
            let product = self
                .products
                .get(&id)
                .ok_or(format!("Product with id {id} does not exist"))?;
            return match product.inventory_tracking.as_str() {
                "product" => Ok((id, None)),
                "variant" => Err(format!(
                    "Item with product_id {id} is tracked by variant, please update stock by variant id"
                )),
                _ => Err(format!(
                    "Item with product_id {id} does not track inventory"
                )),
            };
        }
        if let Some(sku) = item.get("sku").and_then(Value::as_str) {
            for product in self.products.values() {
                if let Some(variant) = product.variants.iter().find(|v| v.sku == sku) {
                    let key = if product.variants[0].id == variant.id {
                        json!({ "product_id": product.id })
                    } else {
                        json!({ "variant_id": variant.id })
                    };
                    return self.resolve(&key);
                }
            }
            return Err(format!("Item with sku {sku} does not exist"));
        }
        Err("an item names no variant_id, product_id or sku".into())
    }

    fn adjust(&mut self, config: &Config, request: &Request) -> Response {
        let body = match body_json(request) {
            Ok(b) => b,
            Err(e) => return e,
        };
        let Some(items) = body.get("items").and_then(Value::as_array) else {
            return error(422, "`items` is required");
        };
        if items.is_empty() || items.len() > 2000 {
            return error(422, "`items` must hold from 1 to 2000 items");
        }
        let mut resolved = Vec::new();
        for item in items {
            let quantity = item.get("quantity").and_then(Value::as_i64);
            let location = item.get("location_id").and_then(Value::as_i64);
            let outcome = match (quantity, location) {
                (Some(q), Some(1)) if q >= 0 => self.resolve(item).map(|(p, v)| (p, v, q)),
                (Some(_), Some(1)) => Err("`quantity` must not be negative".into()),
                (_, Some(l)) if l != 1 => Err(format!("Location with id {l} does not exist")),
                _ => Err("`quantity` and `location_id` are required".into()),
            };
            match outcome {
                Ok(r) => resolved.push(r),
                Err(title) => {
                    self.stats.refused_adjustments += 1;
                    // The whole batch is refused, as the store does.
                    return error(422, &format!("[{title}]"));
                }
            }
        }
        self.stats.adjustments += 1;
        self.stats.adjusted_items += resolved.len() as u64;
        self.pending.push(Pending {
            due: Instant::now() + config.inventory_delay,
            items: resolved,
        });
        let transaction = self.next_transaction;
        self.next_transaction += 1;
        Response::json(
            200,
            &json!({ "transaction_id": format!("fake-{transaction:08}") }),
        )
    }

    fn location_settings(&mut self, location: &str, request: &Request) -> Response {
        if location != "1" {
            return error(404, &format!("Location with id {location} does not exist"));
        }
        let body = match body_json(request) {
            Ok(b) => b,
            Err(e) => return e,
        };
        let Some(settings) = body.get("settings").and_then(Value::as_array) else {
            return error(422, "Payload contains invalid fields");
        };
        let mut changes = Vec::new();
        for setting in settings {
            let identity = setting.get("identity").cloned().unwrap_or(Value::Null);
            let resolved = match self.resolve(&identity) {
                Ok(r) => r,
                Err(title) => return error(422, &format!("[{title}]")),
            };
            if let Some(level) = setting.get("warning_level").and_then(Value::as_i64) {
                changes.push((resolved, level));
            }
        }
        for ((product, variant), level) in changes {
            if let Some(p) = self.products.get_mut(&product) {
                match variant.and_then(|v| p.variants.iter_mut().find(|x| x.id == v)) {
                    Some(v) => v.inventory_warning_level = level,
                    None => p.inventory_warning_level = level,
                }
            }
        }
        let transaction = self.next_transaction;
        self.next_transaction += 1;
        Response::json(
            200,
            &json!({ "transaction_id": format!("fake-{transaction:08}") }),
        )
    }
}

#[cfg(test)]
mod tests;
