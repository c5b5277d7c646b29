//! A stateful fake of Amazon's Selling Partner API: the Login with Amazon token endpoint, the
//! Orders API 2026-01-01 (`searchOrders`, `getOrder`) and the Feeds API 2021-06-30 with a feed
//! document store behind pre-signed URLs, on generated orders over several marketplaces.
//!
//! It behaves as Amazon does where clients trip over it:
//! - access tokens last an hour (`expire_tokens` ends them at once) and are checked on every
//!   call (`x-amz-access-token`); the document URLs must never receive one;
//! - `searchOrders` refuses a window that ends less than two minutes before now, and its
//!   pagination tokens hold `+`, `/` and `=` (a token decoded wrongly is refused);
//! - every operation has a token bucket (429 `QuotaExceeded` with `x-amzn-RateLimit-Limit`, no
//!   `Retry-After`), and [`Amazon::rate_limit_storm`] answers a run of requests with 429;
//! - a pre-signed upload URL expires (5 minutes by default) and the upload must carry the
//!   declared Content-Type;
//! - a feed takes several `getFeed` polls (`IN_QUEUE` → `IN_PROGRESS` → `DONE`), a listings
//!   feed that breaks Amazon's listings feed schema ends `FATAL`, SKUs the fake does not list
//!   or is told to refuse get an `ERROR` issue, and the processing report is gzip-compressed.
//!
//! The token endpoint and the documents are outside the SP-API's specifications: clients reach
//! them at the fake's own address ([`Amazon::set_public_url`]), the API through a contract proxy.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::server::{Request, Response, Shop};

pub const TOKEN_PATH: &str = "/auth/o2/token";
pub const DOCUMENT_PATH: &str = "/_documents/";
const ORDERS: &str = "/orders/2026-01-01/orders";
const FEEDS: &str = "/feeds/2021-06-30/feeds";
const DOCUMENTS: &str = "/feeds/2021-06-30/documents";

/// A marketplace the seller sells on: id, name, currency.
#[derive(Debug, Clone)]
pub struct Marketplace {
    pub id: String,
    pub name: String,
    pub currency: String,
}

/// A listing: SKU, title, price; its stock and price as feeds left them.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    pub sku: String,
    pub title: String,
    pub price: f64,
    pub quantity: Option<u64>,
    /// Price per marketplace id, as the last accepted price feed set it.
    pub prices: BTreeMap<String, f64>,
}

/// A rate: requests per second and burst.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub marketplaces: Vec<Marketplace>,
    /// Orders over all marketplaces (spread evenly).
    pub orders: usize,
    /// (SKU, title, price) of the seller's listings.
    pub listings: Vec<(String, String, f64)>,
    /// Orders with a negative unit price (an accounting package refuses them).
    pub malformed: usize,
    pub seed: u64,
    pub client_id: String,
    pub client_secret: String,
    pub refresh_token: String,
    pub token_lifetime: Duration,
    /// How long a pre-signed document URL lasts.
    pub document_lifetime: Duration,
    /// `getFeed` polls before a feed is `DONE` (the first answers `IN_QUEUE`).
    pub processing_polls: u32,
    /// SKUs whose feed messages get an ERROR issue on purpose.
    pub refused_skus: Vec<String>,
    /// Amazon's listings feed JSON Schema; a listings feed that breaks it ends `FATAL`.
    pub listings_schema: Option<Value>,
    /// Rates per operation id; an operation not named is not limited.
    pub rates: BTreeMap<String, Rate>,
    /// The newest order's creation time; the others go back a few minutes each.
    pub newest_order: DateTime<Utc>,
}

impl Config {
    /// Amazon's documented default rates (requests per second, burst) of the operations faked.
    pub fn documented_rates() -> BTreeMap<String, Rate> {
        [
            ("searchOrders", 0.0056, 20.0),
            ("getOrder", 0.5, 30.0),
            ("createFeedDocument", 0.5, 15.0),
            ("createFeed", 0.0083, 15.0),
            ("getFeed", 2.0, 15.0),
            ("getFeeds", 0.0222, 10.0),
            ("getFeedDocument", 0.0222, 10.0),
        ]
        .into_iter()
        .map(|(op, per_second, burst)| (op.to_owned(), Rate { per_second, burst }))
        .collect()
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            marketplaces: vec![
                Marketplace {
                    id: "A1F83G8C2ARO7P".into(),
                    name: "Amazon.co.uk".into(),
                    currency: "GBP".into(),
                },
                Marketplace {
                    id: "A1PA6795UKMFR9".into(),
                    name: "Amazon.de".into(),
                    currency: "EUR".into(),
                },
                Marketplace {
                    id: "A13V1IB3VIYZZH".into(),
                    name: "Amazon.fr".into(),
                    currency: "EUR".into(),
                },
            ],
            orders: 300,
            listings: (1..=50)
                .map(|i| {
                    (
                        format!("AMZ-{i:04}"),
                        format!("Product {i}"),
                        5.0 + i as f64,
                    )
                })
                .collect(),
            malformed: 5,
            seed: 1,
            client_id: "amzn1.application-oa2-client.fake".into(),
            client_secret: "fake-client-secret".into(),
            refresh_token: "Atzr|fake-refresh-token".into(),
            token_lifetime: Duration::from_secs(3600),
            document_lifetime: Duration::from_secs(300),
            processing_polls: 3,
            refused_skus: Vec::new(),
            listings_schema: None,
            rates: Config::documented_rates(),
            newest_order: Utc::now() - chrono::Duration::hours(1),
        }
    }
}

/// What the fake was asked, for tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub requests: u64,
    pub token_exchanges: u64,
    pub unauthorised: u64,
    pub throttled: u64,
    pub order_pages: u64,
    /// Pagination tokens that matched no page (sent decoded or altered).
    pub bad_pagination_tokens: u64,
    /// Windows refused for ending less than two minutes before now.
    pub bad_windows: u64,
    pub documents_created: u64,
    pub uploads: u64,
    /// Uploads refused: expired URL or a Content-Type other than the declared one.
    pub refused_uploads: u64,
    /// Requests to document URLs that carried an access token (must stay 0).
    pub leaked_tokens: u64,
    pub feeds_created: u64,
    pub feed_polls: u64,
    pub report_downloads: u64,
}

/// A feed as the fake keeps it.
#[derive(Debug, Clone)]
pub struct Feed {
    pub id: String,
    pub feed_type: String,
    pub marketplace_ids: Vec<String>,
    pub document_id: String,
    pub created: DateTime<Utc>,
    pub polls: u32,
    pub status: String,
    pub result_document: Option<String>,
    /// (messageId, sku, accepted) once processed.
    pub outcome: Vec<(u64, String, bool)>,
}

struct Document {
    content_type: String,
    url_expires: Instant,
    content: Option<Vec<u8>>,
    /// A processing report (served gzip-compressed).
    report: bool,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

struct State {
    orders: Vec<Value>,
    listings: BTreeMap<String, Listing>,
    malformed: Vec<String>,
    tokens: HashMap<String, Instant>,
    /// Pagination token → (the search it continues, the next order's position).
    pages: HashMap<String, (String, usize)>,
    documents: HashMap<String, Document>,
    feeds: BTreeMap<String, Feed>,
    buckets: HashMap<String, Bucket>,
    storm: u32,
    next_id: u64,
    stats: Stats,
    rng: fastrand::Rng,
    public_url: String,
}

pub struct Amazon {
    config: Config,
    state: Mutex<State>,
}

fn money(amount: f64, currency: &str) -> Value {
    json!({ "amount": format!("{amount:.2}"), "currencyCode": currency })
}

fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn errors(status: u16, code: &str, message: &str) -> Response {
    Response::json(
        status,
        &json!({ "errors": [ { "code": code, "message": message } ] }),
    )
}

impl Amazon {
    pub fn new(config: Config) -> Arc<Amazon> {
        let mut rng = fastrand::Rng::with_seed(config.seed);
        let listings: BTreeMap<String, Listing> = config
            .listings
            .iter()
            .map(|(sku, title, price)| {
                (
                    sku.clone(),
                    Listing {
                        sku: sku.clone(),
                        title: title.clone(),
                        price: *price,
                        quantity: None,
                        prices: BTreeMap::new(),
                    },
                )
            })
            .collect();
        let skus: Vec<&Listing> = listings.values().collect();
        let mut orders = Vec::with_capacity(config.orders);
        let mut malformed = Vec::new();
        // Malformed orders spread through the run: every n-th.
        let every = config
            .orders
            .checked_div(config.malformed)
            .map_or(usize::MAX, |n| n.max(1));
        for i in 0..config.orders {
            let marketplace = &config.marketplaces[i % config.marketplaces.len().max(1)];
            let created = config.newest_order - chrono::Duration::minutes(2 * i as i64);
            let id = format!(
                "{:03}-{:07}-{:07}",
                200 + (i % 700),
                rng.u32(0..10_000_000),
                i
            );
            let bad = i % every == every / 2 && malformed.len() < config.malformed;
            let lines = 1 + rng.usize(0..3);
            let mut items = Vec::new();
            let mut total = 0.0;
            for line in 0..lines {
                let listing = skus[rng.usize(0..skus.len().max(1))];
                let quantity = 1 + rng.u64(0..3);
                let unit = if bad && line == 0 {
                    -listing.price
                } else {
                    listing.price
                };
                let shipping = if line == 0 { 3.99 } else { 0.0 };
                total += unit * quantity as f64 + shipping;
                let mut breakdowns = vec![json!({
                    "type": "ITEM",
                    "subtotal": money(unit * quantity as f64, &marketplace.currency),
                })];
                if shipping > 0.0 {
                    breakdowns.push(json!({
                        "type": "SHIPPING",
                        "subtotal": money(shipping, &marketplace.currency),
                    }));
                }
                items.push(json!({
                    "orderItemId": format!("{}{:02}", 10_000_000_000u64 + i as u64, line),
                    "quantityOrdered": quantity,
                    "product": {
                        "asin": format!("B0{:08}", rng.u32(0..100_000_000)),
                        "title": listing.title,
                        "sellerSku": listing.sku,
                        "price": { "unitPrice": money(unit, &marketplace.currency) },
                    },
                    "proceeds": {
                        "proceedsTotal": money(unit * quantity as f64 + shipping, &marketplace.currency),
                        "breakdowns": breakdowns,
                    },
                }));
            }
            if bad {
                malformed.push(id.clone());
            }
            let fulfilled_by = if i % 4 == 3 { "AMAZON" } else { "MERCHANT" };
            let status = if fulfilled_by == "AMAZON" {
                "SHIPPED"
            } else {
                "UNSHIPPED"
            };
            orders.push(json!({
                "orderId": id,
                "createdTime": iso(created),
                "lastUpdatedTime": iso(created),
                "salesChannel": {
                    "channelName": "AMAZON",
                    "marketplaceId": marketplace.id,
                    "marketplaceName": marketplace.name,
                },
                "buyer": {
                    "buyerName": format!("Buyer {i}"),
                    "buyerEmail": format!("buyer{i}@marketplace.amazon.example"),
                },
                "recipient": {
                    "deliveryAddress": {
                        "name": format!("Buyer {i}"),
                        "addressLine1": format!("{} High Street", 1 + i % 90),
                        "city": "Leeds",
                        "postalCode": format!("LS{} 1AB", 1 + i % 9),
                        "countryCode": "GB",
                        "phone": "0113 496 0000",
                    },
                },
                "proceeds": { "grandTotal": money(total, &marketplace.currency) },
                "fulfillment": {
                    "fulfillmentStatus": status,
                    "fulfilledBy": fulfilled_by,
                    "fulfillmentServiceLevel": "STANDARD",
                },
                "orderItems": items,
            }));
        }
        Arc::new(Amazon {
            state: Mutex::new(State {
                orders,
                listings,
                malformed,
                tokens: HashMap::new(),
                pages: HashMap::new(),
                documents: HashMap::new(),
                feeds: BTreeMap::new(),
                buckets: HashMap::new(),
                storm: 0,
                next_id: 50_000,
                stats: Stats::default(),
                rng,
                public_url: String::new(),
            }),
            config,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Where clients reach the fake itself (the document URLs point here): `http://HOST:PORT`.
    pub fn set_public_url(&self, url: &str) {
        self.lock().public_url = url.trim_end_matches('/').to_owned();
    }

    /// Every order as the API renders it.
    pub fn orders(&self) -> Vec<Value> {
        self.lock().orders.clone()
    }

    /// Ids of the orders with a negative price.
    pub fn malformed(&self) -> Vec<String> {
        self.lock().malformed.clone()
    }

    pub fn listings(&self) -> BTreeMap<String, Listing> {
        self.lock().listings.clone()
    }

    pub fn feeds(&self) -> Vec<Feed> {
        self.lock().feeds.values().cloned().collect()
    }

    /// Each feed's type and the document it was created from, in the order created.
    pub fn feed_contents(&self) -> Vec<(String, Vec<u8>)> {
        let state = self.lock();
        state
            .feeds
            .values()
            .map(|f| {
                let content = state
                    .documents
                    .get(&f.document_id)
                    .and_then(|d| d.content.clone())
                    .unwrap_or_default();
                (f.feed_type.clone(), content)
            })
            .collect()
    }

    pub fn stats(&self) -> Stats {
        self.lock().stats.clone()
    }

    /// Ends every access token (the next call with one is refused, as after an hour).
    pub fn expire_tokens(&self) {
        self.lock().tokens.clear();
    }

    /// The next `requests` API calls are answered 429 `QuotaExceeded`.
    pub fn rate_limit_storm(&self, requests: u32) {
        self.lock().storm = requests;
    }

    fn take_token(&self, state: &mut State, operation: &str) -> Result<(), Response> {
        let limit = |rate: &Rate| {
            errors(
                429,
                "QuotaExceeded",
                "You exceeded your quota for the requested resource.",
            )
            .with_header("x-amzn-RateLimit-Limit", format!("{}", rate.per_second))
        };
        let rate = self.config.rates.get(operation).copied();
        if state.storm > 0 {
            state.storm -= 1;
            state.stats.throttled += 1;
            return Err(limit(&rate.unwrap_or(Rate {
                per_second: 1.0,
                burst: 1.0,
            })));
        }
        let Some(rate) = rate else {
            return Ok(());
        };
        let now = Instant::now();
        let bucket = state.buckets.entry(operation.to_owned()).or_insert(Bucket {
            tokens: rate.burst,
            updated: now,
        });
        bucket.tokens = (bucket.tokens
            + now.duration_since(bucket.updated).as_secs_f64() * rate.per_second)
            .min(rate.burst);
        bucket.updated = now;
        if bucket.tokens < 1.0 {
            state.stats.throttled += 1;
            return Err(limit(&rate));
        }
        bucket.tokens -= 1.0;
        Ok(())
    }

    fn next_id(state: &mut State) -> u64 {
        state.next_id += 1;
        state.next_id
    }

    fn token_exchange(&self, state: &mut State, request: &Request) -> Response {
        let form: HashMap<String, String> = url::form_urlencoded::parse(&request.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
        if field("grant_type") != "refresh_token" {
            return Response::json(
                400,
                &json!({"error": "unsupported_grant_type", "error_description": "grant_type must be refresh_token"}),
            );
        }
        if field("client_id") != self.config.client_id
            || field("client_secret") != self.config.client_secret
        {
            return Response::json(
                401,
                &json!({"error": "invalid_client", "error_description": "Client authentication failed"}),
            );
        }
        if field("refresh_token") != self.config.refresh_token {
            return Response::json(
                400,
                &json!({"error": "invalid_grant", "error_description": "The request has an invalid grant parameter : refresh_token"}),
            );
        }
        state.stats.token_exchanges += 1;
        let token = format!("Atza|fake-{}-{}", Self::next_id(state), state.rng.u64(..));
        state
            .tokens
            .insert(token.clone(), Instant::now() + self.config.token_lifetime);
        Response::json(
            200,
            &json!({
                "access_token": token,
                "refresh_token": self.config.refresh_token,
                "token_type": "bearer",
                "expires_in": self.config.token_lifetime.as_secs(),
            }),
        )
    }

    fn document(&self, state: &mut State, request: &Request) -> Response {
        if request.header("x-amz-access-token").is_some()
            || request.header("authorization").is_some()
        {
            state.stats.leaked_tokens += 1;
        }
        let id = request.path[DOCUMENT_PATH.len()..].to_owned();
        let denied = |message: &str| {
            Response {
            status: 403,
            headers: vec![("content-type".into(), "application/xml".into())],
            body: format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>{message}</Message></Error>").into_bytes(),
        }
        };
        let Some(document) = state.documents.get_mut(&id) else {
            return denied("No such document");
        };
        if request.query_value("X-Amz-Signature") != Some(&signature(&id)) {
            return denied(
                "The request signature we calculated does not match the signature you provided.",
            );
        }
        match request.method.as_str() {
            "PUT" => {
                if Instant::now() > document.url_expires {
                    state.stats.refused_uploads += 1;
                    return denied("Request has expired");
                }
                if request.header("content-type") != Some(document.content_type.as_str()) {
                    state.stats.refused_uploads += 1;
                    return denied("The Content-Type is not the one the document was created with");
                }
                document.content = Some(request.body.clone());
                state.stats.uploads += 1;
                Response::empty(200)
            }
            "GET" => {
                let Some(content) = &document.content else {
                    return denied("The document is empty");
                };
                let body = if document.report {
                    let mut gz =
                        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                    let _ = gz.write_all(content);
                    gz.finish().unwrap_or_default()
                } else {
                    content.clone()
                };
                state.stats.report_downloads += 1;
                Response {
                    status: 200,
                    headers: vec![("content-type".into(), document.content_type.clone())],
                    body,
                }
            }
            _ => denied("Method not allowed"),
        }
    }

    fn document_url(state: &State, id: &str) -> String {
        format!(
            "{}{DOCUMENT_PATH}{id}?X-Amz-Expires=300&X-Amz-Signature={}",
            state.public_url,
            url::form_urlencoded::byte_serialize(signature(id).as_bytes()).collect::<String>()
        )
    }

    fn search_orders(&self, state: &mut State, request: &Request) -> Response {
        let q = |name: &str| request.query_value(name);
        let signature_of_search: String = request
            .query
            .iter()
            .filter(|(k, _)| k != "paginationToken")
            .map(|(k, v)| format!("{k}={v}&"))
            .collect();
        let (after, updated_after) = (q("createdAfter"), q("lastUpdatedAfter"));
        if after.is_some() == updated_after.is_some() {
            return errors(
                400,
                "InvalidInput",
                "Exactly one of createdAfter and lastUpdatedAfter is required.",
            );
        }
        let parse = |v: Option<&str>| {
            v.map(|v| DateTime::parse_from_rfc3339(v).map(|t| t.with_timezone(&Utc)))
                .transpose()
        };
        let (Ok(after), Ok(before)) = (
            parse(after.or(updated_after)),
            parse(q("createdBefore").or(q("lastUpdatedBefore"))),
        ) else {
            return errors(400, "InvalidInput", "A date is not ISO 8601.");
        };
        let after = after.unwrap_or_default();
        let newest = Utc::now() - chrono::Duration::minutes(2);
        let before = match before {
            Some(b) if b > newest => {
                state.stats.bad_windows += 1;
                return errors(
                    400,
                    "InvalidInput",
                    "createdBefore must be at least two minutes before the time of the request.",
                );
            }
            Some(b) if b < after => {
                return errors(
                    400,
                    "InvalidInput",
                    "createdBefore must be after createdAfter.",
                );
            }
            Some(b) => b,
            None => newest,
        };
        let page_size = q("maxResultsPerPage")
            .map(|v| v.parse::<usize>().unwrap_or(0))
            .unwrap_or(100);
        if !(1..=100).contains(&page_size) {
            return errors(
                400,
                "InvalidInput",
                "maxResultsPerPage must be between 1 and 100.",
            );
        }
        let start = match q("paginationToken") {
            None => 0,
            Some(token) => match state.pages.get(token) {
                Some((search, position)) if *search == signature_of_search => *position,
                _ => {
                    state.stats.bad_pagination_tokens += 1;
                    return errors(400, "InvalidInput", "Invalid paginationToken.");
                }
            },
        };
        let list = |name: &str| -> Option<Vec<String>> {
            q(name).map(|v| v.split(',').map(str::to_owned).collect())
        };
        let (marketplaces, fulfilled_by, statuses) = (
            list("marketplaceIds"),
            list("fulfilledBy"),
            list("fulfillmentStatuses"),
        );
        let contains = |filter: &Option<Vec<String>>, value: &str| {
            filter.as_ref().is_none_or(|f| f.iter().any(|v| v == value))
        };
        let text = |o: &Value, path: &[&str]| -> String {
            path.iter()
                .try_fold(o, |v, k| v.get(k))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let time_field = if q("createdAfter").is_some() {
            "createdTime"
        } else {
            "lastUpdatedTime"
        };
        let mut matching: Vec<&Value> = state
            .orders
            .iter()
            .filter(|o| {
                let at = DateTime::parse_from_rfc3339(&text(o, &[time_field]))
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_default();
                at >= after
                    && at <= before
                    && contains(&marketplaces, &text(o, &["salesChannel", "marketplaceId"]))
                    && contains(&fulfilled_by, &text(o, &["fulfillment", "fulfilledBy"]))
                    && contains(&statuses, &text(o, &["fulfillment", "fulfillmentStatus"]))
            })
            .collect();
        matching.sort_by_key(|o| text(o, &[time_field]));
        let page: Vec<Value> = matching
            .iter()
            .skip(start)
            .take(page_size)
            .map(|o| (*o).clone())
            .collect();
        let next = start + page.len();
        let more = next < matching.len();
        state.stats.order_pages += 1;
        let mut body = json!({ "orders": page, "createdBefore": iso(before) });
        if more {
            // Base64-looking, and always with the characters a careless client mangles.
            let token = format!(
                "Pg+{}/{}x{}==",
                Self::next_id(state),
                state.rng.u32(..),
                next
            );
            state
                .pages
                .insert(token.clone(), (signature_of_search, next));
            body["pagination"] = json!({ "nextToken": token });
        }
        Response::json(200, &body)
    }

    fn create_feed_document(&self, state: &mut State, request: &Request) -> Response {
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            return errors(400, "InvalidInput", "The body is not JSON.");
        };
        let Some(content_type) = body.get("contentType").and_then(Value::as_str) else {
            return errors(400, "InvalidInput", "contentType is required.");
        };
        let id = format!(
            "amzn1.tortuga.4.eu.{}.T{}",
            Self::next_id(state),
            state.rng.u32(..)
        );
        state.documents.insert(
            id.clone(),
            Document {
                content_type: content_type.to_owned(),
                url_expires: Instant::now() + self.config.document_lifetime,
                content: None,
                report: false,
            },
        );
        state.stats.documents_created += 1;
        let url = Self::document_url(state, &id);
        Response::json(201, &json!({ "feedDocumentId": id, "url": url }))
    }

    fn create_feed(&self, state: &mut State, request: &Request) -> Response {
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            return errors(400, "InvalidInput", "The body is not JSON.");
        };
        let field = |name: &str| body.get(name).and_then(Value::as_str).unwrap_or_default();
        let document_id = field("inputFeedDocumentId").to_owned();
        match state.documents.get(&document_id) {
            Some(d) if d.content.is_some() => {}
            _ => {
                return errors(
                    400,
                    "InvalidInput",
                    "inputFeedDocumentId names no uploaded document.",
                );
            }
        }
        let id = Self::next_id(state).to_string();
        let feed = Feed {
            id: id.clone(),
            feed_type: field("feedType").to_owned(),
            marketplace_ids: body
                .get("marketplaceIds")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            document_id,
            created: Utc::now(),
            polls: 0,
            status: "IN_QUEUE".into(),
            result_document: None,
            outcome: Vec::new(),
        };
        state.feeds.insert(id.clone(), feed);
        state.stats.feeds_created += 1;
        Response::json(202, &json!({ "feedId": id }))
    }

    fn feed_json(feed: &Feed) -> Value {
        let mut v = json!({
            "feedId": feed.id,
            "feedType": feed.feed_type,
            "marketplaceIds": feed.marketplace_ids,
            "createdTime": iso(feed.created),
            "processingStatus": feed.status,
        });
        if let Some(doc) = &feed.result_document {
            v["resultFeedDocumentId"] = json!(doc);
        }
        v
    }

    fn get_feed(&self, state: &mut State, id: &str) -> Response {
        state.stats.feed_polls += 1;
        let Some(feed) = state.feeds.get_mut(id) else {
            return errors(404, "NotFound", "No such feed.");
        };
        feed.polls += 1;
        if feed.status == "IN_QUEUE" || feed.status == "IN_PROGRESS" {
            if feed.polls >= self.config.processing_polls {
                let feed = feed.clone();
                self.process(state, &feed);
            } else if feed.polls > 1 {
                feed.status = "IN_PROGRESS".into();
            }
        }
        let feed = &state.feeds[id];
        Response::json(200, &Self::feed_json(feed))
    }

    /// Processes a feed: checks the document, applies accepted messages, writes the report.
    fn process(&self, state: &mut State, feed: &Feed) {
        let content = state
            .documents
            .get(&feed.document_id)
            .and_then(|d| d.content.clone())
            .unwrap_or_default();
        let parsed: Result<Value, String> =
            serde_json::from_slice(&content).map_err(|e| format!("The feed is not JSON: {e}"));
        let mut fatal: Vec<String> = Vec::new();
        let mut issues: Vec<Value> = Vec::new();
        let mut outcome = Vec::new();
        let mut accepted = 0u64;
        let document = match (feed.feed_type.as_str(), parsed) {
            ("JSON_LISTINGS_FEED", Ok(document)) => {
                if let Some(schema) = &self.config.listings_schema
                    && let Ok(validator) = jsonschema::draft7::new(schema)
                {
                    fatal.extend(
                        validator
                            .iter_errors(&document)
                            .take(10)
                            .map(|e| format!("{}: {e}", e.instance_path)),
                    );
                }
                Some(document)
            }
            ("JSON_LISTINGS_FEED", Err(e)) => {
                fatal.push(e);
                None
            }
            (other, _) => {
                fatal.push(format!(
                    "The feed type {other} is no longer supported; use JSON_LISTINGS_FEED."
                ));
                None
            }
        };
        let messages: Vec<Value> = document
            .as_ref()
            .and_then(|d| d.get("messages"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if fatal.is_empty() {
            for m in &messages {
                let id = m.get("messageId").and_then(Value::as_u64).unwrap_or(0);
                let sku = m
                    .get("sku")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let problem = if self.config.refused_skus.contains(&sku) {
                    Some((
                        "90220",
                        "'[item_package_quantity]' is required but not supplied.",
                    ))
                } else if !state.listings.contains_key(&sku) {
                    Some(("4000008", "The SKU is not a listing of this seller."))
                } else {
                    None
                };
                if let Some((code, message)) = problem {
                    issues.push(json!({"messageId": id, "sku": sku, "code": code, "severity": "ERROR", "message": message}));
                    outcome.push((id, sku, false));
                    continue;
                }
                accepted += 1;
                let listing = state.listings.get_mut(&sku).expect("checked above");
                for patch in m
                    .get("patches")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let value = patch.get("value").and_then(|v| v.get(0));
                    match patch.get("path").and_then(Value::as_str) {
                        Some("/attributes/fulfillment_availability") => {
                            listing.quantity = value
                                .and_then(|v| v.get("quantity"))
                                .and_then(Value::as_u64);
                        }
                        Some("/attributes/purchasable_offer") => {
                            let marketplace = value
                                .and_then(|v| v.get("marketplace_id"))
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_owned();
                            let price = value
                                .and_then(|v| v.pointer("/our_price/0/schedule/0/value_with_tax"))
                                .and_then(Value::as_f64);
                            if let Some(price) = price {
                                listing.prices.insert(marketplace, price);
                            }
                        }
                        _ => {}
                    }
                }
                outcome.push((id, sku, true));
            }
        } else {
            for m in &messages {
                let id = m.get("messageId").and_then(Value::as_u64).unwrap_or(0);
                let sku = m.get("sku").and_then(Value::as_str).unwrap_or_default();
                outcome.push((id, sku.to_owned(), false));
            }
            for problem in &fatal {
                issues.push(json!({"code": "100001", "severity": "ERROR", "message": problem}));
            }
        }
        let seller = document
            .as_ref()
            .and_then(|d| d.pointer("/header/sellerId"))
            .and_then(Value::as_str)
            .unwrap_or("UNKNOWN")
            .to_owned();
        let errors_count = issues.len();
        let report = json!({
            "header": { "sellerId": seller, "version": "2.0", "feedId": feed.id },
            "issues": issues,
            "summary": {
                "errors": errors_count,
                "warnings": 0,
                "messagesProcessed": messages.len(),
                "messagesAccepted": accepted,
                "messagesInvalid": messages.len() as u64 - accepted,
            },
        });
        let report_id = format!("amzn1.tortuga.4.eu.report.{}", Self::next_id(state));
        state.documents.insert(
            report_id.clone(),
            Document {
                content_type: "application/json".into(),
                url_expires: Instant::now() + self.config.document_lifetime,
                content: Some(serde_json::to_vec(&report).unwrap_or_default()),
                report: true,
            },
        );
        if let Some(f) = state.feeds.get_mut(&feed.id) {
            f.status = if fatal.is_empty() { "DONE" } else { "FATAL" }.into();
            f.result_document = Some(report_id);
            f.outcome = outcome;
        }
    }

    fn get_feeds(&self, state: &State, request: &Request) -> Response {
        let types: Option<Vec<&str>> = request
            .query_value("feedTypes")
            .map(|t| t.split(',').collect());
        let since = request
            .query_value("createdSince")
            .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
            .map(|t| t.with_timezone(&Utc));
        let feeds: Vec<Value> = state
            .feeds
            .values()
            .filter(|f| {
                types
                    .as_ref()
                    .is_none_or(|t| t.contains(&f.feed_type.as_str()))
                    && since.is_none_or(|s| f.created >= s)
            })
            .map(Self::feed_json)
            .collect();
        Response::json(200, &json!({ "feeds": feeds }))
    }
}

/// The fake's pre-signed URL signature of a document: base64-looking, with `+ / =`.
fn signature(id: &str) -> String {
    let sum: u32 = id.bytes().map(u32::from).sum();
    format!("s+{sum}/{}=", id.len())
}

impl Shop for Amazon {
    fn handle(&self, request: Request) -> Response {
        let mut state = self.lock();
        state.stats.requests += 1;
        let path = request.path.clone();
        if path == TOKEN_PATH && request.method == "POST" {
            return self.token_exchange(&mut state, &request);
        }
        if path.starts_with(DOCUMENT_PATH) {
            return self.document(&mut state, &request);
        }
        let (operation, feed_id) = match (request.method.as_str(), path.as_str()) {
            ("GET", ORDERS) => ("searchOrders", None),
            ("GET", p) if p.starts_with(&format!("{ORDERS}/")) => ("getOrder", None),
            ("POST", DOCUMENTS) => ("createFeedDocument", None),
            ("GET", p) if p.starts_with(&format!("{DOCUMENTS}/")) => ("getFeedDocument", None),
            ("POST", FEEDS) => ("createFeed", None),
            ("GET", FEEDS) => ("getFeeds", None),
            ("GET", p) if p.starts_with(&format!("{FEEDS}/")) => {
                ("getFeed", Some(p[FEEDS.len() + 1..].to_owned()))
            }
            _ => return errors(404, "NotFound", "No such resource."),
        };
        let token_ok = request
            .header("x-amz-access-token")
            .and_then(|t| state.tokens.get(t))
            .is_some_and(|expires| Instant::now() < *expires);
        if !token_ok {
            state.stats.unauthorised += 1;
            return errors(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
            );
        }
        if let Err(throttled) = self.take_token(&mut state, operation) {
            return throttled;
        }
        let rate = self
            .config
            .rates
            .get(operation)
            .map(|r| r.per_second)
            .unwrap_or(10.0);
        let response = match operation {
            "searchOrders" => self.search_orders(&mut state, &request),
            "getOrder" => {
                let id = &path[ORDERS.len() + 1..];
                match state
                    .orders
                    .iter()
                    .find(|o| o.get("orderId").and_then(Value::as_str) == Some(id))
                {
                    Some(order) => Response::json(200, &json!({ "order": order })),
                    None => errors(404, "NotFound", "No such order."),
                }
            }
            "createFeedDocument" => self.create_feed_document(&mut state, &request),
            "getFeedDocument" => {
                let id = path[DOCUMENTS.len() + 1..].to_owned();
                if state.documents.get(&id).is_some_and(|d| d.report) {
                    let url = Self::document_url(&state, &id);
                    Response::json(
                        200,
                        &json!({ "feedDocumentId": id, "url": url, "compressionAlgorithm": "GZIP" }),
                    )
                } else {
                    errors(404, "NotFound", "No such feed document.")
                }
            }
            "createFeed" => self.create_feed(&mut state, &request),
            "getFeeds" => self.get_feeds(&state, &request),
            _ => self.get_feed(&mut state, feed_id.as_deref().unwrap_or_default()),
        };
        response
            .with_header("x-amzn-RateLimit-Limit", format!("{rate}"))
            .with_header("x-amzn-RequestId", format!("fake-{}", state.stats.requests))
    }
}

#[cfg(test)]
mod tests;
