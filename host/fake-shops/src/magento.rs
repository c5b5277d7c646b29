//! A stateful fake Magento 2 (Adobe Commerce) REST API: admin token login, order search with
//! search criteria, order comments with a new status, MSI source items and the legacy stock
//! item endpoint, on generated customers, orders and products.
//!
//! It behaves as the real shop does where clients trip over it:
//! - a page past the end answers the last page again (stop on `total_count`);
//! - admin tokens expire (`401`, log in again); [`Magento::expire_tokens`] ends them at once;
//! - dates are UTC `Y-m-d H:i:s`, compared as text as the shop's database does;
//! - orders change while a download pages ([`Magento::set_churn`]): an order is touched
//!   (a comment added, `updated_at` moved to now) with each order search;
//! - rate limiting in front of the shop ([`Magento::rate_limit_storm`]) answers `429`.
//!
//! Paths are `/rest/<store view code>/V1/…` (or `/rest/V1/…`, the default store).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::server::{Request, Response, Shop};

/// Not Magento's: the fake's own summary of its state (order statuses, stock levels), for the
/// demo and for users trying a workflow.
pub const STATE_PATH: &str = "/_fake/state";

/// Magento's date format (UTC).
pub const DATE_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// What the shop starts with.
#[derive(Debug, Clone)]
pub struct Config {
    pub customers: usize,
    pub orders: usize,
    pub products: usize,
    /// Orders with a negative unit price on their first line (an accounting package refuses
    /// them), spread through the orders.
    pub malformed: usize,
    pub seed: u64,
    pub admin_user: String,
    pub admin_password: String,
    /// How long an admin token lasts (Magento's default is 4 hours).
    pub token_lifetime: Duration,
    /// The MSI source stock is written to.
    pub source_code: String,
    /// The newest order's creation time; the others go back a few minutes each.
    pub newest_order: DateTime<Utc>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            customers: 100,
            orders: 300,
            products: 200,
            malformed: 5,
            seed: 1,
            admin_user: "admin".into(),
            admin_password: "admin-password".into(),
            token_lifetime: Duration::from_secs(4 * 3600),
            source_code: "default".into(),
            newest_order: Utc::now() - chrono::Duration::hours(1),
        }
    }
}

/// A generated customer.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub id: u64,
    pub email: String,
    pub firstname: String,
    pub lastname: String,
}

/// A generated product and its stock.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: u64,
    pub sku: String,
    pub name: String,
    pub price: f64,
    /// The MSI source item's quantity (source `Config::source_code`).
    pub source_quantity: f64,
    pub source_status: i64,
    /// The legacy stock item's quantity.
    pub legacy_quantity: f64,
    pub legacy_in_stock: bool,
}

/// What the shop was asked, for tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub requests: u64,
    pub logins: u64,
    pub unauthorised: u64,
    pub rate_limited: u64,
    pub order_searches: u64,
    pub comments: u64,
    pub source_item_saves: u64,
}

pub struct Magento {
    config: Config,
    state: Mutex<State>,
}

struct State {
    customers: Vec<Customer>,
    /// Orders as the API renders them, by entity id.
    orders: BTreeMap<u64, Value>,
    products: BTreeMap<String, Product>,
    tokens: HashMap<String, Instant>,
    /// Requests left in a rate-limit storm; every other one of them is answered 429.
    storm: u32,
    churn: bool,
    malformed: Vec<String>,
    stats: Stats,
    rng: fastrand::Rng,
}

const FIRST_NAMES: &[&str] = &[
    "Alice", "Ben", "Chloe", "Dan", "Ella", "Finn", "Grace", "Harry", "Isla", "Jack", "Kate",
    "Leo", "Mia", "Noah", "Olivia", "Paul",
];
const LAST_NAMES: &[&str] = &[
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker",
];
const TOWNS: &[&str] = &[
    "Leeds", "York", "Bristol", "Norwich", "Bath", "Derby", "Exeter",
];
const THINGS: &[&str] = &[
    "Mug", "Lamp", "Chair", "Kettle", "Rug", "Clock", "Vase", "Shelf", "Cushion", "Teapot",
];

impl Magento {
    pub fn new(config: Config) -> Arc<Magento> {
        let mut rng = fastrand::Rng::with_seed(config.seed);
        let customers: Vec<Customer> = (1..=config.customers as u64)
            .map(|id| {
                let firstname = FIRST_NAMES[rng.usize(..FIRST_NAMES.len())].to_owned();
                let lastname = LAST_NAMES[rng.usize(..LAST_NAMES.len())].to_owned();
                Customer {
                    id,
                    email: format!(
                        "{}.{}{id}@example.com",
                        firstname.to_lowercase(),
                        lastname.to_lowercase()
                    ),
                    firstname,
                    lastname,
                }
            })
            .collect();
        let products: BTreeMap<String, Product> = (1..=config.products as u64)
            .map(|id| {
                let sku = format!("MG-{id:05}");
                let product = Product {
                    id,
                    sku: sku.clone(),
                    name: format!("{} {id}", THINGS[rng.usize(..THINGS.len())]),
                    price: (rng.u32(200..20_000) as f64) / 100.0,
                    source_quantity: 0.0,
                    source_status: 0,
                    legacy_quantity: 0.0,
                    legacy_in_stock: false,
                };
                (sku, product)
            })
            .collect();
        let bad: Vec<usize> = (1..=config.malformed)
            .map(|b| b * config.orders / (config.malformed + 1))
            .collect();
        let mut state = State {
            customers,
            orders: BTreeMap::new(),
            products,
            tokens: HashMap::new(),
            storm: 0,
            churn: false,
            malformed: Vec::new(),
            stats: Stats::default(),
            rng,
        };
        for n in 1..=config.orders {
            let created =
                config.newest_order - chrono::Duration::minutes(((config.orders - n) * 7) as i64);
            let malformed = bad.contains(&n);
            let order = state.generate_order(n as u64, created, malformed);
            if malformed {
                state.malformed.push(
                    order["increment_id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
            state.orders.insert(n as u64, order);
        }
        Arc::new(Magento {
            config,
            state: Mutex::new(state),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn customers(&self) -> Vec<Customer> {
        self.state().customers.clone()
    }

    pub fn products(&self) -> Vec<Product> {
        self.state().products.values().cloned().collect()
    }

    /// A Sage 50 company (Zynk XML) to import this shop's orders into: every product with a
    /// stock level, and the first `existing_customers` customers as accounts (`MAGC0001`, …)
    /// with their e-mail addresses, so their orders can be matched to them.
    pub fn zynk_company(&self, existing_customers: usize) -> String {
        let state = self.state();
        let mut xml =
            String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Company>\n  <Products>\n");
        for product in state.products.values() {
            xml.push_str(&format!(
                "    <Product><Sku>{}</Sku><Name>{}</Name><SalePrice>{:.2}</SalePrice><QtyInStock>{}</QtyInStock><ReorderLvl>5</ReorderLvl><TaxCode>1</TaxCode><NominalCode>4000</NominalCode></Product>\n",
                product.sku,
                product.name,
                product.price,
                20 + (product.id * 11) % 380
            ));
        }
        xml.push_str("  </Products>\n  <Customers>\n");
        for customer in state.customers.iter().take(existing_customers) {
            xml.push_str(&format!(
                "    <Customer><AccountReference>{}</AccountReference><CompanyName>{} {}</CompanyName><CustomerInvoiceAddress><Forename>{}</Forename><Surname>{}</Surname><Email>{}</Email></CustomerInvoiceAddress></Customer>\n",
                existing_account(customer.id),
                customer.firstname,
                customer.lastname,
                customer.firstname,
                customer.lastname,
                customer.email
            ));
        }
        xml.push_str("  </Customers>\n</Company>\n");
        xml
    }

    /// Increment ids of the orders with a negative price.
    pub fn malformed(&self) -> Vec<String> {
        self.state().malformed.clone()
    }

    /// Every order's status, by increment id.
    pub fn order_statuses(&self) -> BTreeMap<String, String> {
        self.state()
            .orders
            .values()
            .map(|o| (text(o, "increment_id"), text(o, "status")))
            .collect()
    }

    /// An order as the API renders it.
    pub fn order(&self, increment_id: &str) -> Option<Value> {
        self.state()
            .orders
            .values()
            .find(|o| o["increment_id"] == increment_id)
            .cloned()
    }

    /// Adds `count` new pending orders created now; gives their increment ids.
    pub fn add_orders(&self, count: usize) -> Vec<String> {
        let mut state = self.state();
        let mut added = Vec::new();
        for _ in 0..count {
            let id = state.orders.keys().next_back().copied().unwrap_or(0) + 1;
            let order = state.generate_order(id, Utc::now(), false);
            added.push(text(&order, "increment_id"));
            state.orders.insert(id, order);
        }
        added
    }

    /// Ends every admin token now: the next request with one is answered 401.
    pub fn expire_tokens(&self) {
        self.state().tokens.clear();
    }

    /// The next `requests` API requests: every other one is answered 429 (with `Retry-After`
    /// on some, none on others, as rate limiters in front of shops do).
    pub fn rate_limit_storm(&self, requests: u32) {
        self.state().storm = requests;
    }

    /// Whether order searches touch an order each (it changes while a download pages).
    pub fn set_churn(&self, on: bool) {
        self.state().churn = on;
    }

    pub fn stats(&self) -> Stats {
        self.state().stats.clone()
    }

    fn route(&self, request: &Request) -> Response {
        let mut state = self.state();
        state.stats.requests += 1;
        if state.storm > 0 {
            state.storm -= 1;
            if state.storm % 2 == 1 {
                state.stats.rate_limited += 1;
                let response = error(429, "Too many requests. Please try again later.");
                return if state.storm % 4 == 1 {
                    response.with_header("Retry-After", "0")
                } else {
                    response
                };
            }
        }
        if (request.method.as_str(), request.path.as_str()) == ("GET", STATE_PATH) {
            return Response::json(200, &state.summary());
        }
        let Some(route) = api_route(&request.path) else {
            return error(
                404,
                &format!("Request does not match any route: {}", request.path),
            );
        };
        let parts: Vec<&str> = route.split('/').collect();
        let method = request.method.as_str();
        if method == "POST" && parts == ["integration", "admin", "token"] {
            return state.login(&self.config, request);
        }
        if !state.authorised(request) {
            state.stats.unauthorised += 1;
            return Response::json(
                401,
                &json!({"message": "The consumer isn't authorized to access %resources.",
                        "parameters": {"resources": "Magento_Sales::sales"}}),
            );
        }
        match (method, parts.as_slice()) {
            ("GET", ["orders"]) => state.search_orders(request),
            ("GET", ["orders", id]) => {
                match id.parse::<u64>().ok().and_then(|id| state.orders.get(&id)) {
                    Some(order) => Response::json(200, order),
                    None => error(
                        404,
                        "The entity that was requested doesn't exist. Verify the entity and try again.",
                    ),
                }
            }
            ("POST", ["orders", id, "comments"]) => state.comment(id, request),
            ("POST", ["inventory", "source-items"]) => {
                state.save_source_items(&self.config, request)
            }
            ("PUT", ["products", sku, "stockItems", _item]) => state.save_stock_item(sku, request),
            _ => error(
                404,
                &format!(
                    "Request does not match any route: {} {}",
                    method, request.path
                ),
            ),
        }
    }
}

impl Shop for Magento {
    fn handle(&self, request: Request) -> Response {
        self.route(&request)
    }
}

/// The Sage account reference [`Magento::zynk_company`] gives an existing customer.
pub fn existing_account(customer_id: u64) -> String {
    format!("MAGC{customer_id:04}")
}

/// The part after `/rest/<store>/V1/` or `/rest/V1/`.
fn api_route(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/rest/")?;
    if let Some(route) = rest.strip_prefix("V1/") {
        return Some(route);
    }
    let (_store, after) = rest.split_once('/')?;
    after.strip_prefix("V1/")
}

fn error(status: u16, message: &str) -> Response {
    Response::json(status, &json!({ "message": message }))
}

fn text(value: &Value, field: &str) -> String {
    match &value[field] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn now() -> String {
    Utc::now().format(DATE_FORMAT).to_string()
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl State {
    fn generate_order(&mut self, id: u64, created: DateTime<Utc>, malformed: bool) -> Value {
        let rng = &mut self.rng;
        let guest = self.customers.is_empty() || rng.u8(..10) == 0;
        let customer = if guest {
            Customer {
                id: 0,
                email: format!("guest{id}@example.org"),
                firstname: FIRST_NAMES[rng.usize(..FIRST_NAMES.len())].into(),
                lastname: LAST_NAMES[rng.usize(..LAST_NAMES.len())].into(),
            }
        } else {
            self.customers[rng.usize(..self.customers.len())].clone()
        };
        let skus: Vec<String> = self.products.keys().cloned().collect();
        let lines = rng.usize(1..=3).min(skus.len());
        let mut items = Vec::new();
        let mut subtotal = 0.0;
        let mut tax = 0.0;
        let date = created.format(DATE_FORMAT).to_string();
        for line in 0..lines {
            let product = &self.products[&skus[rng.usize(..skus.len())]];
            let qty = rng.u32(1..=4) as f64;
            let price = if malformed && line == 0 {
                -product.price
            } else {
                product.price
            };
            let row = round2(price * qty);
            let row_tax = round2(row * 0.2);
            subtotal += row;
            tax += row_tax;
            items.push(json!({
                "item_id": id * 10 + line as u64,
                "order_id": id,
                "product_id": product.id,
                "product_type": "simple",
                "sku": product.sku,
                "name": product.name,
                "qty_ordered": qty,
                "price": price,
                "base_price": price,
                "original_price": product.price,
                "row_total": row,
                "base_row_total": row,
                "tax_amount": row_tax,
                "tax_percent": 20,
                "discount_amount": 0,
                "created_at": date,
                "updated_at": date,
            }));
        }
        let shipping = 4.95;
        // UK shops charge VAT on delivery too.
        let shipping_tax = round2(shipping * 0.2);
        let grand = round2(subtotal + tax + shipping + shipping_tax);
        let town = TOWNS[rng.usize(..TOWNS.len())];
        let address = |kind: &str| {
            json!({
                "address_type": kind,
                "parent_id": id,
                "firstname": customer.firstname,
                "lastname": customer.lastname,
                "street": [format!("{} High Street", id % 97 + 1), "Flat 2"],
                "city": town,
                "region": "England",
                "postcode": format!("LS{} {}AB", id % 20 + 1, id % 9 + 1),
                "country_id": "GB",
                "telephone": format!("0113 496 {:04}", id % 10_000),
                "email": customer.email,
            })
        };
        let mut order = json!({
            "entity_id": id,
            "increment_id": format!("{:09}", id),
            "created_at": date,
            "updated_at": date,
            "state": "new",
            "status": "pending",
            "store_id": 1,
            "store_name": "Main Website\nMain Website Store\nDefault Store View",
            "customer_email": customer.email,
            "customer_firstname": customer.firstname,
            "customer_lastname": customer.lastname,
            "customer_is_guest": u8::from(guest),
            "customer_group_id": u8::from(!guest),
            "base_currency_code": "GBP",
            "order_currency_code": "GBP",
            "global_currency_code": "GBP",
            "store_currency_code": "GBP",
            "subtotal": round2(subtotal),
            "base_subtotal": round2(subtotal),
            "tax_amount": round2(tax + shipping_tax),
            "base_tax_amount": round2(tax + shipping_tax),
            "shipping_amount": shipping,
            "base_shipping_amount": shipping,
            "shipping_tax_amount": shipping_tax,
            "base_shipping_tax_amount": shipping_tax,
            "shipping_description": "Flat Rate - Fixed",
            "discount_amount": 0,
            "grand_total": grand,
            "base_grand_total": grand,
            "total_item_count": items.len(),
            "total_qty_ordered": items.iter().map(|i| i["qty_ordered"].as_f64().unwrap_or(0.0)).sum::<f64>(),
            "items": items,
            "billing_address": address("billing"),
            "payment": {
                "method": "checkmo",
                "amount_ordered": grand,
                "base_amount_ordered": grand,
                "additional_information": ["Check / Money order"],
                "account_status": null,
                "cc_last4": null,
                "parent_id": id,
            },
            "status_histories": [],
            "extension_attributes": {
                "shipping_assignments": [{
                    "shipping": {
                        "address": address("shipping"),
                        "method": "flatrate_flatrate",
                        "total": { "shipping_amount": shipping, "base_shipping_amount": shipping },
                    },
                    "items": [],
                }],
            },
        });
        if !guest {
            order["customer_id"] = json!(customer.id);
        }
        order
    }

    fn summary(&self) -> Value {
        json!({
            "orders": self.orders.values().map(|o| (text(o, "increment_id"), json!({
                "status": o["status"], "updated_at": o["updated_at"], "grand_total": o["grand_total"],
                "customer_email": o["customer_email"],
            }))).collect::<serde_json::Map<_, _>>(),
            "stock": self.products.values().map(|p| (p.sku.clone(), json!({
                "source_quantity": p.source_quantity, "source_status": p.source_status,
                "legacy_quantity": p.legacy_quantity,
            }))).collect::<serde_json::Map<_, _>>(),
        })
    }

    fn login(&mut self, config: &Config, request: &Request) -> Response {
        self.stats.logins += 1;
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let (user, password) = (body["username"].as_str(), body["password"].as_str());
        if user != Some(config.admin_user.as_str())
            || password != Some(config.admin_password.as_str())
        {
            return error(
                401,
                "The account sign-in was incorrect or your account is disabled temporarily. Please wait and try again later.",
            );
        }
        let token: String = (0..32)
            .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[self.rng.usize(..36)]))
            .collect();
        self.tokens
            .insert(token.clone(), Instant::now() + config.token_lifetime);
        Response::json(200, &Value::String(token))
    }

    fn authorised(&mut self, request: &Request) -> bool {
        let Some(token) = request
            .header("authorization")
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return false;
        };
        let now = Instant::now();
        self.tokens.retain(|_, expiry| *expiry > now);
        self.tokens.contains_key(token.trim())
    }

    fn search_orders(&mut self, request: &Request) -> Response {
        self.stats.order_searches += 1;
        let criteria = match Criteria::parse(&request.query) {
            Ok(c) => c,
            Err(message) => return error(400, &message),
        };
        if self.churn && !self.orders.is_empty() {
            let keys: Vec<u64> = self.orders.keys().copied().collect();
            let id = keys[self.rng.usize(..keys.len())];
            if let Some(order) = self.orders.get_mut(&id) {
                touch(
                    order,
                    "The customer changed the delivery instructions.",
                    None,
                    false,
                );
            }
        }
        let mut matched = Vec::new();
        for order in self.orders.values() {
            match criteria.matches(order) {
                Ok(true) => matched.push(order),
                Ok(false) => {}
                Err(message) => return error(400, &message),
            }
        }
        criteria.sort(&mut matched);
        let total = matched.len();
        let page: Vec<Value> = match criteria.page_size {
            Some(size) if size > 0 => {
                let pages = total.div_ceil(size).max(1);
                // Past the end, Magento answers the last page again.
                let current = criteria.current_page.clamp(1, pages);
                matched
                    .into_iter()
                    .skip((current - 1) * size)
                    .take(size)
                    .cloned()
                    .collect()
            }
            _ => matched.into_iter().cloned().collect(),
        };
        Response::json(
            200,
            &json!({
                "items": page,
                "search_criteria": criteria.echo(),
                "total_count": total,
            }),
        )
    }

    fn comment(&mut self, id: &str, request: &Request) -> Response {
        self.stats.comments += 1;
        let body: Value = match serde_json::from_slice(&request.body) {
            Ok(v) => v,
            Err(e) => return error(400, &format!("Decoding error: {e}")),
        };
        let history = &body["statusHistory"];
        if !history.is_object() {
            return error(400, "\"statusHistory\" is required. Enter and try again.");
        }
        let Some(order) = id
            .parse::<u64>()
            .ok()
            .and_then(|id| self.orders.get_mut(&id))
        else {
            return error(
                404,
                "The entity that was requested doesn't exist. Verify the entity and try again.",
            );
        };
        let comment = history["comment"].as_str().unwrap_or_default().to_owned();
        let status = history["status"].as_str().filter(|s| !s.is_empty());
        let notified = history["is_customer_notified"].as_i64().unwrap_or(0) != 0
            || history["is_customer_notified"].as_bool().unwrap_or(false);
        touch(order, &comment, status, notified);
        Response::json(200, &Value::Bool(true))
    }

    fn save_source_items(&mut self, config: &Config, request: &Request) -> Response {
        self.stats.source_item_saves += 1;
        let body: Value = match serde_json::from_slice(&request.body) {
            Ok(v) => v,
            Err(e) => return error(400, &format!("Decoding error: {e}")),
        };
        let Some(items) = body["sourceItems"].as_array() else {
            return error(400, "\"sourceItems\" is required. Enter and try again.");
        };
        // Validated whole, then saved whole, as Magento does.
        let mut updates = Vec::new();
        for item in items {
            let sku = item["sku"].as_str().unwrap_or_default();
            if !self.products.contains_key(sku) {
                return error(
                    400,
                    &format!("Validation Failed: product with SKU \"{sku}\" does not exist."),
                );
            }
            if item["source_code"].as_str() != Some(config.source_code.as_str()) {
                return error(400, "Validation Failed: source code is not found.");
            }
            let Some(quantity) = item["quantity"].as_f64() else {
                return error(400, "Validation Failed: \"quantity\" should be numeric.");
            };
            updates.push((
                sku.to_owned(),
                quantity,
                item["status"].as_i64().unwrap_or(1),
            ));
        }
        for (sku, quantity, status) in updates {
            if let Some(product) = self.products.get_mut(&sku) {
                product.source_quantity = quantity;
                product.source_status = status;
            }
        }
        Response::json(200, &json!([]))
    }

    fn save_stock_item(&mut self, sku: &str, request: &Request) -> Response {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let item = &body["stockItem"];
        let Some(product) = self.products.get_mut(sku) else {
            return error(
                404,
                "The product that was requested doesn't exist. Verify the product and try again.",
            );
        };
        let Some(qty) = item["qty"].as_f64() else {
            return error(400, "\"stockItem.qty\" is required. Enter and try again.");
        };
        product.legacy_quantity = qty;
        product.legacy_in_stock = item["is_in_stock"].as_bool().unwrap_or(qty > 0.0);
        Response::json(200, &json!(product.id))
    }
}

/// Adds a status history entry (and a new status) and moves `updated_at` to now.
fn touch(order: &mut Value, comment: &str, status: Option<&str>, notified: bool) {
    let date = now();
    if let Some(status) = status {
        order["status"] = json!(status);
        order["state"] = json!(match status {
            "complete" => "complete",
            "canceled" => "canceled",
            "closed" => "closed",
            "holded" => "holded",
            "pending" => "new",
            _ => "processing",
        });
    }
    let parent = order["entity_id"].clone();
    let status_now = order["status"].clone();
    if let Some(histories) = order["status_histories"].as_array_mut() {
        histories.push(json!({
            "comment": comment,
            "created_at": date,
            "is_customer_notified": u8::from(notified),
            "is_visible_on_front": 0,
            "parent_id": parent,
            "status": status_now,
            "entity_name": "order",
        }));
    }
    order["updated_at"] = json!(date);
}

/// One filter of a search.
#[derive(Debug, Clone, Default)]
struct Filter {
    field: String,
    value: String,
    condition: String,
}

/// `searchCriteria[…]` query parameters.
#[derive(Debug, Default)]
struct Criteria {
    groups: BTreeMap<usize, BTreeMap<usize, Filter>>,
    sorts: BTreeMap<usize, (String, String)>,
    page_size: Option<usize>,
    current_page: usize,
}

/// `filterGroups` → `filter_groups`: Magento accepts both spellings.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

impl Criteria {
    fn parse(query: &[(String, String)]) -> Result<Criteria, String> {
        let mut criteria = Criteria {
            current_page: 1,
            ..Criteria::default()
        };
        for (key, value) in query {
            let Some(rest) = key.strip_prefix("searchCriteria") else {
                continue;
            };
            let parts: Vec<String> = rest
                .split(['[', ']'])
                .filter(|p| !p.is_empty())
                .map(snake)
                .collect();
            let index = |i: usize| -> Result<usize, String> {
                parts
                    .get(i)
                    .and_then(|p| p.parse().ok())
                    .ok_or_else(|| format!("\"{key}\" is not a valid search criteria parameter."))
            };
            match parts.first().map(String::as_str) {
                Some("filter_groups") => {
                    let filter = criteria
                        .groups
                        .entry(index(1)?)
                        .or_default()
                        .entry(index(3)?)
                        .or_default();
                    match parts.get(4).map(String::as_str) {
                        Some("field") => filter.field = value.clone(),
                        Some("value") => filter.value = value.clone(),
                        Some("condition_type") => filter.condition = value.clone(),
                        _ => return Err(format!("\"{key}\" is not a valid search criteria parameter.")),
                    }
                }
                Some("sort_orders") => {
                    let sort = criteria.sorts.entry(index(1)?).or_default();
                    match parts.get(2).map(String::as_str) {
                        Some("field") => sort.0 = value.clone(),
                        Some("direction") => sort.1 = value.clone(),
                        _ => return Err(format!("\"{key}\" is not a valid search criteria parameter.")),
                    }
                }
                Some("page_size") => {
                    criteria.page_size = Some(value.parse().map_err(|_| {
                        format!("The \"{value}\" value's type is invalid. The \"int\" type was expected. Verify and try again.")
                    })?)
                }
                Some("current_page") => {
                    criteria.current_page = value.parse().map_err(|_| {
                        format!("The \"{value}\" value's type is invalid. The \"int\" type was expected. Verify and try again.")
                    })?
                }
                _ => {}
            }
        }
        Ok(criteria)
    }

    /// Every group must match (AND); inside a group, any filter (OR).
    fn matches(&self, order: &Value) -> Result<bool, String> {
        for filters in self.groups.values() {
            let mut any = false;
            for filter in filters.values() {
                if filter_matches(filter, &order[filter.field.as_str()])? {
                    any = true;
                    break;
                }
            }
            if !any {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn sort(&self, orders: &mut [&Value]) {
        orders.sort_by(|a, b| {
            for (field, direction) in self.sorts.values() {
                let ordering = compare(&a[field.as_str()], &b[field.as_str()]);
                let ordering = if direction.eq_ignore_ascii_case("DESC") {
                    ordering.reverse()
                } else {
                    ordering
                };
                if ordering.is_ne() {
                    return ordering;
                }
            }
            compare(&a["entity_id"], &b["entity_id"])
        });
    }

    fn echo(&self) -> Value {
        let groups: Vec<Value> = self
            .groups
            .values()
            .map(|filters| {
                json!({"filters": filters.values().map(|f| json!({
                    "field": f.field, "value": f.value,
                    "condition_type": if f.condition.is_empty() { "eq" } else { f.condition.as_str() },
                })).collect::<Vec<_>>()})
            })
            .collect();
        let mut echo = json!({ "filter_groups": groups });
        if !self.sorts.is_empty() {
            echo["sort_orders"] = json!(self
                .sorts
                .values()
                .map(|(field, direction)| json!({"field": field, "direction": if direction.is_empty() { "ASC" } else { direction.as_str() }}))
                .collect::<Vec<_>>());
        }
        if let Some(size) = self.page_size {
            echo["page_size"] = json!(size);
            echo["current_page"] = json!(self.current_page);
        }
        echo
    }
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Numbers compare as numbers, everything else as text (dates are `Y-m-d H:i:s`).
fn compare_text(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
        _ => a.cmp(b),
    }
}

fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (scalar(a), scalar(b)) {
        (Some(a), Some(b)) => compare_text(&a, &b),
        (a, b) => a.is_some().cmp(&b.is_some()),
    }
}

/// SQL `LIKE` with `%` and `_`, case-insensitive as MySQL's default collation.
fn like(text: &str, pattern: &str) -> bool {
    fn go(t: &[char], p: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('%', rest)) => (0..=t.len()).any(|i| go(&t[i..], rest)),
            Some(('_', rest)) => !t.is_empty() && go(&t[1..], rest),
            Some((c, rest)) => t.first() == Some(c) && go(&t[1..], rest),
        }
    }
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    go(&t, &p)
}

fn filter_matches(filter: &Filter, value: &Value) -> Result<bool, String> {
    let field = scalar(value);
    let wanted = filter.value.as_str();
    let list = || wanted.split(',').map(str::trim);
    let cmp = |f: &dyn Fn(std::cmp::Ordering) -> bool| {
        field.as_deref().is_some_and(|v| f(compare_text(v, wanted)))
    };
    Ok(match filter.condition.as_str() {
        "" | "eq" => cmp(&|o| o.is_eq()),
        "neq" => cmp(&|o| o.is_ne()),
        "gt" => cmp(&|o| o.is_gt()),
        "lt" => cmp(&|o| o.is_lt()),
        "gteq" | "from" => cmp(&|o| o.is_ge()),
        "lteq" | "to" => cmp(&|o| o.is_le()),
        "like" => field.as_deref().is_some_and(|v| like(v, wanted)),
        "nlike" => field.as_deref().is_some_and(|v| !like(v, wanted)),
        "in" => field
            .as_deref()
            .is_some_and(|v| list().any(|w| compare_text(v, w).is_eq())),
        "nin" => field
            .as_deref()
            .is_some_and(|v| !list().any(|w| compare_text(v, w).is_eq())),
        "null" => field.is_none(),
        "notnull" => field.is_some(),
        other => {
            return Err(format!(
                "Invalid condition type \"{other}\" for field \"{}\".",
                filter.field
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        token: Option<&str>,
        body: Value,
    ) -> Request {
        Request {
            method: method.into(),
            path: path.into(),
            query: query
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            headers: token
                .map(|t| vec![("authorization".to_owned(), format!("Bearer {t}"))])
                .unwrap_or_default(),
            body: if body.is_null() {
                Vec::new()
            } else {
                serde_json::to_vec(&body).unwrap()
            },
        }
    }

    fn shop() -> (Arc<Magento>, String) {
        let shop = Magento::new(Config {
            orders: 30,
            malformed: 2,
            ..Config::default()
        });
        let login = shop.handle(request(
            "POST",
            "/rest/default/V1/integration/admin/token",
            &[],
            None,
            json!({"username": "admin", "password": "admin-password"}),
        ));
        assert_eq!(login.status, 200);
        let token: String = serde_json::from_slice(&login.body).unwrap();
        (shop, token)
    }

    fn search(shop: &Magento, token: &str, query: &[(&str, &str)]) -> (u16, Value) {
        let r = shop.handle(request(
            "GET",
            "/rest/default/V1/orders",
            query,
            Some(token),
            Value::Null,
        ));
        (r.status, serde_json::from_slice(&r.body).unwrap())
    }

    #[test]
    fn a_page_past_the_end_is_the_last_page_again() {
        let (shop, token) = shop();
        let page = |n: &str| {
            let (status, body) = search(
                &shop,
                &token,
                &[
                    ("searchCriteria[pageSize]", "20"),
                    ("searchCriteria[currentPage]", n),
                ],
            );
            assert_eq!(status, 200);
            assert_eq!(body["total_count"], 30);
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| text(o, "increment_id"))
                .collect::<Vec<_>>()
        };
        assert_eq!(page("1").len(), 20);
        assert_eq!(page("2").len(), 10);
        assert_eq!(page("3"), page("2"));
    }

    #[test]
    fn filter_groups_or_inside_and_across() {
        let (shop, token) = shop();
        let (_, body) = search(
            &shop,
            &token,
            &[
                (
                    "searchCriteria[filterGroups][0][filters][0][field]",
                    "increment_id",
                ),
                (
                    "searchCriteria[filterGroups][0][filters][0][value]",
                    "000000001,000000002,000000003",
                ),
                (
                    "searchCriteria[filterGroups][0][filters][0][conditionType]",
                    "in",
                ),
                (
                    "searchCriteria[filterGroups][0][filters][1][field]",
                    "entity_id",
                ),
                ("searchCriteria[filterGroups][0][filters][1][value]", "29"),
                (
                    "searchCriteria[filterGroups][0][filters][1][conditionType]",
                    "gteq",
                ),
                (
                    "searchCriteria[filter_groups][1][filters][0][field]",
                    "entity_id",
                ),
                ("searchCriteria[filter_groups][1][filters][0][value]", "2"),
                (
                    "searchCriteria[filter_groups][1][filters][0][condition_type]",
                    "neq",
                ),
            ],
        );
        let ids: Vec<u64> = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["entity_id"].as_u64().unwrap())
            .collect();
        assert_eq!(ids, [1, 3, 29, 30]);
        let (status, body) = search(
            &shop,
            &token,
            &[
                (
                    "searchCriteria[filterGroups][0][filters][0][field]",
                    "status",
                ),
                ("searchCriteria[filterGroups][0][filters][0][value]", "x"),
                (
                    "searchCriteria[filterGroups][0][filters][0][conditionType]",
                    "bogus",
                ),
            ],
        );
        assert_eq!(status, 400, "{body}");
    }

    #[test]
    fn tokens_expire_and_comments_change_the_status() {
        let (shop, token) = shop();
        assert_eq!(shop.malformed().len(), 2);
        let r = shop.handle(request("POST", "/rest/default/V1/orders/3/comments", &[], Some(&token),
            json!({"statusHistory": {"comment": "Posted to Sage", "is_customer_notified": 0, "is_visible_on_front": 0, "parent_id": 3, "status": "complete"}})));
        assert_eq!(r.status, 200);
        assert_eq!(shop.order_statuses()["000000003"], "complete");
        shop.expire_tokens();
        assert_eq!(search(&shop, &token, &[]).0, 401);
        assert_eq!(shop.stats().unauthorised, 1);
    }

    #[test]
    fn source_items_are_validated_whole() {
        let (shop, token) = shop();
        let save = |items: Value| {
            shop.handle(request(
                "POST",
                "/rest/default/V1/inventory/source-items",
                &[],
                Some(&token),
                json!({"sourceItems": items}),
            ))
            .status
        };
        assert_eq!(
            save(
                json!([{"sku": "MG-00001", "source_code": "default", "quantity": 5, "status": 1},
                              {"sku": "NOPE", "source_code": "default", "quantity": 1, "status": 1}])
            ),
            400
        );
        assert_eq!(shop.products()[0].source_quantity, 0.0);
        assert_eq!(
            save(
                json!([{"sku": "MG-00001", "source_code": "default", "quantity": 5, "status": 1}])
            ),
            200
        );
        assert_eq!(shop.products()[0].source_quantity, 5.0);
    }

    #[test]
    fn a_storm_answers_every_other_request_429() {
        let (shop, token) = shop();
        shop.rate_limit_storm(4);
        let statuses: Vec<u16> = (0..6).map(|_| search(&shop, &token, &[]).0).collect();
        assert_eq!(statuses, [429, 200, 429, 200, 200, 200]);
    }

    #[test]
    fn like_is_sql_like() {
        assert!(like("Alice.Smith@example.com", "%smith%"));
        assert!(like("abc", "a_c"));
        assert!(!like("abc", "a_"));
    }
}
