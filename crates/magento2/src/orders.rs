//! Export (download) Orders from Magento 2 (docs/zynk-reference.md §2.13, its V2 form): `GET /V1/orders` with
//! search criteria — new orders, modified ones, or all — written as `ArrayOfOrderInfo/OrderInfo`
//! for the Auto Mapper's Magento mapping.
//!
//! Pages are read by key, not by number: each request asks for the orders after the last
//! `entity_id` seen (sorted by it, always page 1), so an order changing while the download pages
//! never shifts a page, and Magento's habit of answering the last page again past the end never
//! comes into play (`total_count` still ends the loop). The cursor (the newest `created_at` or
//! `updated_at` written, and the orders written at exactly that second) moves only when the task
//! succeeds (the host commits task state then), only as far as the orders actually written, and
//! never past the newest date the shop had when the download began: an order changed during the
//! download comes again next run.

use std::borrow::Cow;
use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::OnceLock;

use bigcommerce::orders::{Cursor, Done, start_date};
use bigcommerce::xml::Document;
use bigcommerce::{Lean, LeanAnswer};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use wharf_guest::{SettingChoice, SettingError, TaskResult, TaskSettings, state};

use crate::criteria::{Criteria, Filter, parse_groups};
use crate::{ApiError, Client, DATE_FORMAT, Truth, Web, api_url, client_beside};
use bigcommerce::StartedGet;

pub const TASK: &str = "magento2-download-orders";
/// What the task does, for `wharf tasks`.
pub const DOC: &str = "Downloads Magento 2 orders (REST: new, modified or all, filtered) into an XML file for the Auto Mapper.";

/// The settings of `magento2-download-orders`.
#[derive(Debug, Clone, TaskSettings)]
pub struct OrdersSettings {
    /// `New`: orders created since the task last succeeded; `Modified`: orders created or
    /// changed since then; `All`: every order the filters match (the cursors stay as they are).
    #[setting(default = "Modified")]
    pub export_type: ExportType,
    /// Never export orders created before this date-time (UTC unless it names an offset), even
    /// when they changed since; also where `New` and `Modified` start before the first success.
    #[setting(kind = date_time)]
    pub start_date: Option<String>,
    /// Only orders in these statuses (comma-separated, e.g. `pending, processing`); empty: any.
    pub status: Vec<String>,
    /// Filter groups, one per line (AND-ed); inside a line filters are OR-ed with ` OR `, each
    /// `field Condition value`, e.g. `customer_email Like %@example.com`. Conditions: Equal,
    /// NotEqual, Like, In, NotIn, Null, NotNull, GreaterThan, LessThan, GreaterThanOrEqual,
    /// LessThanOrEqual (In and NotIn take a comma list; dates are UTC `Y-m-d H:i:s`).
    pub filter_groups: Option<String>,
    /// Orders per request.
    #[setting(default = 50, range = 1..=500)]
    pub page_size: u32,
    /// The store view whose REST endpoint is used (`rest/<code>/V1/…`).
    #[setting(default = "default", non_empty)]
    pub store_view_code: String,
    /// Where the orders are written (`ArrayOfOrderInfo/OrderInfo`), replaced.
    pub output_file: PathBuf,
}

/// Which orders a run asks for (the `export-type` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, SettingChoice)]
pub enum ExportType {
    New,
    Modified,
    All,
}

impl ExportType {
    /// The date field the cursor follows and its state key.
    fn field(self) -> Option<(&'static str, &'static str)> {
        match self {
            ExportType::New => Some(("created_at", "created-cursor")),
            ExportType::Modified => Some(("updated_at", "modified-cursor")),
            ExportType::All => None,
        }
    }
}

/// A Magento date (`Y-m-d H:i:s`, UTC).
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text.trim(), DATE_FORMAT)
        .ok()
        .map(|d| Utc.from_utc_datetime(&d))
}

fn magento_date(date: DateTime<Utc>) -> String {
    date.format(DATE_FORMAT).to_string()
}

struct Plan {
    export: ExportType,
    /// Filter groups every request carries: the setting's, the statuses, the start date.
    groups: Vec<Vec<Filter>>,
    start: Option<DateTime<Utc>>,
    page_size: u32,
    store: String,
    output: PathBuf,
}

fn plan(settings: &OrdersSettings) -> Result<Plan, SettingError> {
    let mut groups = match settings.filter_groups.as_deref() {
        Some(text) => parse_groups(text).map_err(|e| SettingError::new("filter-groups", e))?,
        None => Vec::new(),
    };
    let statuses: Vec<&str> = settings
        .status
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if !statuses.is_empty() {
        groups.push(vec![Filter::new("status", "in", statuses.join(","))]);
    }
    let start = start_date(settings.start_date.as_deref())?;
    if let Some(start) = start {
        groups.push(vec![Filter::new("created_at", "gteq", magento_date(start))]);
    }
    Ok(Plan {
        export: settings.export_type,
        groups,
        start,
        page_size: settings.page_size,
        store: settings.store_view_code.clone(),
        output: settings.output_file.clone(),
    })
}

/// The task against a shop.
pub fn run(settings: &OrdersSettings, web: &mut impl Web, _truth: &mut impl Truth) -> TaskResult {
    let plan = match plan(settings) {
        Ok(plan) => plan,
        Err(e) => return e.into(),
    };
    let mut client = client_beside(web, &plan.output, TASK);
    match download(&plan, &mut client) {
        Ok(done) => done.result(
            plan.export.field().map(|(_, key)| key),
            &plan.output,
            client.requests,
        ),
        Err(e) => e.into(),
    }
}

/// The order fields [`write_order`] writes.
const ORDER_FIELDS: [&str; 23] = [
    "increment_id",
    "store_id",
    "created_at",
    "updated_at",
    "status",
    "state",
    "customer_id",
    "customer_is_guest",
    "customer_email",
    "customer_firstname",
    "customer_lastname",
    "order_currency_code",
    "base_currency_code",
    "subtotal",
    "tax_amount",
    "discount_amount",
    "grand_total",
    "total_qty_ordered",
    "shipping_amount",
    "shipping_tax_amount",
    "shipping_description",
    "coupon_code",
    "entity_id",
];
const ITEM_FIELDS: [&str; 13] = [
    "item_id",
    "parent_item_id",
    "product_id",
    "product_type",
    "sku",
    "name",
    "qty_ordered",
    "price",
    "original_price",
    "discount_amount",
    "tax_amount",
    "tax_percent",
    "row_total",
];
const PAYMENT_FIELDS: [&str; 3] = ["method", "amount_ordered", "amount_paid"];
const HISTORY_FIELDS: [&str; 4] = ["created_at", "status", "comment", "is_customer_notified"];
const NAME_FIELDS: [&str; 3] = ["firstname", "lastname", "company"];
const PLACE_FIELDS: [&str; 7] = [
    "city",
    "region",
    "postcode",
    "country_id",
    "telephone",
    "fax",
    "email",
];
/// The keys that lead to them: the search result's, and the path to the shipping assignment
/// (`"0"` too, as a pointer takes it for an object's key as well as a list's index).
const PATH_KEYS: [&str; 12] = [
    "items",
    "total_count",
    "extension_attributes",
    "shipping_assignments",
    "0",
    "shipping",
    "billing_address",
    "address",
    "street",
    "payment",
    "status_histories",
    "method",
];

/// Every name [`kept`] keeps.
const KEPT_NAMES: [&[&str]; 7] = [
    &ORDER_FIELDS,
    &ITEM_FIELDS,
    &PAYMENT_FIELDS,
    &HISTORY_FIELDS,
    &NAME_FIELDS,
    &PLACE_FIELDS,
    &PATH_KEYS,
];

/// Whether a key of a search answer is one the download reads (any depth; every other key is
/// skipped as the page is read).
///
/// Every key of every order and line goes through here (~100 per order), so the names are
/// kept in buckets by length and first byte, and a key is compared in full only with the
/// (at most three) names of its bucket whose last byte matches.
fn kept(key: &str) -> Option<&'static str> {
    static KEPT: OnceLock<Vec<Vec<&'static str>>> = OnceLock::new();
    let buckets = KEPT.get_or_init(|| {
        let mut buckets: Vec<Vec<&'static str>> = Vec::new();
        for name in KEPT_NAMES.into_iter().flatten() {
            let at = bucket(name.as_bytes()).expect("names are not empty");
            if buckets.len() <= at {
                buckets.resize(at + 1, Vec::new());
            }
            if !buckets[at].contains(name) {
                buckets[at].push(name);
            }
        }
        buckets
    });
    let bytes = key.as_bytes();
    let last = *bytes.last()?;
    buckets.get(bucket(bytes)?)?.iter().copied().find(|name| {
        let name = name.as_bytes();
        name[name.len() - 1] == last && same_length_equal(name, bytes)
    })
}

/// A name's bucket in [`kept`]'s table: its length and the low five bits of its first byte.
fn bucket(name: &[u8]) -> Option<usize> {
    Some(name.len() << 5 | usize::from(name.first()? & 31))
}

/// `a == b` for two slices of the same length, up to 24 bytes with word compares (the first,
/// middle and last eight bytes, overlapping) instead of a call to `memcmp`.
fn same_length_equal(a: &[u8], b: &[u8]) -> bool {
    fn word<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
        bytes[at..at + N].try_into().expect("N bytes")
    }
    let n = a.len();
    match n {
        0..4 => a == b,
        4..8 => {
            u32::from_ne_bytes(word(a, 0)) == u32::from_ne_bytes(word(b, 0))
                && u32::from_ne_bytes(word(a, n - 4)) == u32::from_ne_bytes(word(b, n - 4))
        }
        8..=24 => {
            let middle = (n - 8) / 2;
            [0, middle, n - 8]
                .into_iter()
                .all(|at| u64::from_ne_bytes(word(a, at)) == u64::from_ne_bytes(word(b, at)))
        }
        _ => a == b,
    }
}

/// The answer to a search (read with [`search_result`]).
fn search<W: Web>(
    client: &mut Client<'_, W>,
    store: &str,
    criteria: &Criteria,
) -> Result<(String, LeanAnswer), ApiError> {
    let url = format!("{}?{}", api_url(store, "orders"), criteria.query());
    let answer = client.get_lean(&url)?;
    Ok((url, answer))
}

/// A search answer's items and `total_count`.
fn search_result<'a>(url: &str, answer: &'a LeanAnswer) -> Result<(Vec<Lean<'a>>, u64), ApiError> {
    let mut body = answer.lean(kept)?.unwrap_or(Lean::Null);
    let total = body.get("total_count").and_then(Lean::as_u64);
    // Taken out of the answer, not cloned: a page holds every order whole.
    match (body.take("items"), total) {
        (Some(Lean::Array(items)), Some(total)) => Ok((items, total)),
        // Magento leaves `items` out when nothing matches.
        (None, Some(total)) => Ok((Vec::new(), total)),
        _ => Err(ApiError {
            code: wharf_guest::ResultCode::Fail,
            message: format!(
                "GET {url}: the answer is not a search result (`items`, `total_count`)"
            ),
        }),
    }
}

fn fail(message: String) -> ApiError {
    ApiError {
        code: wharf_guest::ResultCode::Fail,
        message,
    }
}

fn download<W: Web>(plan: &Plan, client: &mut Client<'_, W>) -> Result<Done, ApiError> {
    let field = plan.export.field();
    let saved = match field.and_then(|(_, key)| state::get(key).map(|text| (key, text))) {
        Some((key, text)) => Some(Cursor::parse(&text).ok_or_else(|| {
            fail(format!(
                "the saved cursor `{key}` is not a date and ids: `{text}`; delete the task's state to start again"
            ))
        })?),
        None => None,
    };
    let mut groups = plan.groups.clone();
    // The newest date the shop has now: the cursor never moves past it (orders changed from
    // here on come again next run).
    let mut ceiling = None;
    if let Some((name, _)) = field {
        let from = saved.as_ref().map(|c| c.date).or(plan.start);
        if let Some(from) = from {
            groups.push(vec![Filter::new(name, "gteq", magento_date(from))]);
        }
        let newest = Criteria {
            groups: groups.clone(),
            sort: vec![(name.to_owned(), "DESC")],
            page_size: Some(1),
            current_page: Some(1),
        };
        let (url, answer) = search(client, &plan.store, &newest)?;
        let (items, _) = search_result(&url, &answer)?;
        ceiling = items
            .first()
            .and_then(|o| o.get(name))
            .and_then(Lean::as_str)
            .and_then(parse_date);
    }
    let already: HashSet<i64> = saved
        .as_ref()
        .map(|c| c.ids.iter().copied().collect())
        .unwrap_or_default();
    let output = &plan.output;
    let io = |e: std::io::Error| {
        fail(format!(
            "setting `output-file`: cannot write `{}`: {e}",
            output.display()
        ))
    };
    let mut document = Document::create(output, "ArrayOfOrderInfo").map_err(io)?;
    // (date, id) of every order written, for the cursor.
    let mut dates: Vec<(DateTime<Utc>, i64)> = Vec::new();
    let mut pages = Pages::new(plan, &groups);
    let written = pages.read(client, |order| {
        let id = order
            .get("entity_id")
            .and_then(Lean::as_i64)
            .unwrap_or_default();
        if let Some((name, _)) = field {
            let text = order.get(name).and_then(Lean::as_str).unwrap_or_default();
            let date = parse_date(text).ok_or_else(|| {
                fail(format!(
                    "order {id}: `{name}` is not a date (`Y-m-d H:i:s`): `{text}`"
                ))
            })?;
            if saved.as_ref().is_some_and(|c| c.date == date) && already.contains(&id) {
                return Ok(false);
            }
            dates.push((date, id));
        }
        write_order(&mut document, order).map_err(io)?;
        Ok(true)
    });
    // Pages asked for ahead and not needed (the shop's ids were sparser than guessed): waited
    // for, so that no answer file is left behind.
    pages.abandon(client);
    let written = written?;
    document.finish().map_err(io)?;
    Ok(Done {
        orders: written,
        cursor: next_cursor(saved, &dates, ceiling),
    })
}

/// Pages of the orders after the last one written, read by key while the next ones are
/// fetched: `docs/magento.md` ("Paging").
struct Pages<'p> {
    plan: &'p Plan,
    groups: &'p [Vec<Filter>],
    /// Pages started ahead: the `entity_id` each asks for orders after, ascending.
    ahead: VecDeque<(i64, StartedGet)>,
    /// How far apart the ids of a page's first and last order were last time (a guess at the
    /// next pages' keys; the page size when ids have no gaps).
    stride: i64,
}

/// Pages fetched while one is written, at most.
const PAGES_AHEAD: usize = 4;

impl<'p> Pages<'p> {
    fn new(plan: &'p Plan, groups: &'p [Vec<Filter>]) -> Self {
        Pages {
            plan,
            groups,
            ahead: VecDeque::new(),
            stride: i64::from(plan.page_size),
        }
    }

    /// The search for the orders after `after` (by `entity_id`, ascending, one page).
    fn url(&self, after: i64) -> String {
        let mut groups = self.groups.to_vec();
        groups.push(vec![Filter::new("entity_id", "gt", after.to_string())]);
        let criteria = Criteria {
            groups,
            sort: vec![("entity_id".to_owned(), "ASC")],
            page_size: Some(self.plan.page_size),
            current_page: Some(1),
        };
        format!(
            "{}?{}",
            api_url(&self.plan.store, "orders"),
            criteria.query()
        )
    }

    /// Every order after id 0, once, ascending, into `each` (which says whether it wrote the
    /// order); the orders written.
    fn read<W: Web>(
        &mut self,
        client: &mut Client<'_, W>,
        mut each: impl FnMut(&Lean) -> Result<bool, ApiError>,
    ) -> Result<u64, ApiError> {
        let mut written = 0u64;
        // The last order given to `each`: the key the next page must start after.
        let mut last_id = 0i64;
        // The first page and the one a page size on are asked for together: the shop is not
        // left idle while the first is read, before `total_count` says how many more there are.
        // A download of one page drops the second unread (docs/magento.md, "Download orders").
        if self.ahead.is_empty() {
            for key in [0, self.stride] {
                self.ahead
                    .push_back((key, client.start_get(&self.url(key))));
            }
        }
        loop {
            // The page after `last_id`: one started ahead whose key is not past it (a page
            // asked for after an earlier id holds the next orders too, after some already
            // written), else asked for now.
            let usable = self
                .ahead
                .front()
                .is_some_and(|(after, _)| *after <= last_id);
            let (after, started) = match usable.then(|| self.ahead.pop_front()).flatten() {
                Some(page) => page,
                None => (last_id, client.start_get(&self.url(last_id))),
            };
            let url = started.url().to_owned();
            let answer = client.finish_lean(started)?;
            let (items, total) = search_result(&url, &answer)?;
            let count = items.len() as u64;
            let end = count == 0 || count >= total;
            // Ids must rise past the key within the page, or paging by key is not safe.
            let mut previous = after;
            for order in &items {
                let id = order
                    .get("entity_id")
                    .and_then(Lean::as_i64)
                    .ok_or_else(|| fail("an order without a numeric `entity_id`".into()))?;
                if id <= previous {
                    return Err(fail(format!(
                        "the shop answered order {id} to a search for orders after {after}, sorted by id: it ignores the `entity_id` filter or the sort, so the download cannot page safely"
                    )));
                }
                previous = id;
            }
            if !end {
                // The next pages start while this one is written: the first right after this
                // page's last order, the others a stride on, as many as the orders left need.
                if count == u64::from(self.plan.page_size) {
                    self.stride = (previous - after).max(1);
                }
                let left = (total - count).div_ceil(u64::from(self.plan.page_size));
                let mut next = match self.ahead.back() {
                    Some((key, _)) => key + self.stride,
                    None => previous,
                };
                while self.ahead.len() < PAGES_AHEAD.min(left as usize) {
                    self.ahead
                        .push_back((next, client.start_get(&self.url(next))));
                    next += self.stride;
                }
            }
            for order in &items {
                let id = order
                    .get("entity_id")
                    .and_then(Lean::as_i64)
                    .unwrap_or_default();
                // Written from an earlier page already.
                if id <= last_id {
                    continue;
                }
                last_id = id;
                if each(order)? {
                    written += 1;
                }
            }
            if end {
                return Ok(written);
            }
        }
    }

    /// Waits for the pages started ahead and not read, removing their answers.
    fn abandon<W: Web>(&mut self, client: &mut Client<'_, W>) {
        for (_, started) in self.ahead.drain(..) {
            let _ = client.finish_lean(started);
        }
    }
}

/// The cursor after a run that wrote orders at `dates`: the newest date written, but never past
/// `ceiling`, with the ids written at exactly that date (and those the last run wrote there).
fn next_cursor(
    saved: Option<Cursor>,
    dates: &[(DateTime<Utc>, i64)],
    ceiling: Option<DateTime<Utc>>,
) -> Option<Cursor> {
    let newest = dates.iter().map(|(d, _)| *d).max()?;
    let date = ceiling.map_or(newest, |c| newest.min(c));
    if saved.as_ref().is_some_and(|s| s.date > date) {
        return saved;
    }
    let mut ids: Vec<i64> = dates
        .iter()
        .filter(|(d, _)| *d == date)
        .map(|(_, id)| *id)
        .collect();
    if let Some(saved) = saved.filter(|s| s.date == date) {
        ids.extend(saved.ids);
    }
    ids.sort_unstable();
    ids.dedup();
    Some(Cursor { date, ids })
}

/// A JSON scalar as text (`None` for null, objects and lists).
fn scalar<'v>(value: Option<&'v Lean<'_>>) -> Option<Cow<'v, str>> {
    match value? {
        Lean::String(s) => Some(Cow::Borrowed(s.as_ref())),
        Lean::Number(n) => Some(Cow::Owned(n.to_string())),
        Lean::Bool(b) => Some(Cow::Borrowed(if *b { "1" } else { "0" })),
        _ => None,
    }
}

fn fields(document: &mut Document, object: &Lean, names: &[&'static str]) -> std::io::Result<()> {
    for name in names {
        scalar_element(document, name, object.get(name))?;
    }
    Ok(())
}

/// `<name>` holding a JSON scalar's text (nothing for null, objects and lists). A number is
/// written as serde_json's `Number` writes itself (itoa, zmij for floats), without making a
/// `String` of it: prices and quantities are most of an order's fields.
fn scalar_element(
    document: &mut Document,
    name: &'static str,
    value: Option<&Lean>,
) -> std::io::Result<()> {
    match value {
        Some(Lean::Number(n)) => {
            if let Some(n) = n.as_u64() {
                document.text_named(name, itoa::Buffer::new().format(n))
            } else if let Some(n) = n.as_i64() {
                document.text_named(name, itoa::Buffer::new().format(n))
            } else if let Some(f) = n.as_f64() {
                document.text_named(name, zmij::Buffer::new().format_finite(f))
            } else {
                document.text_named(name, &n.to_string())
            }
        }
        value => match scalar(value) {
            Some(text) => document.text_named(name, &text),
            None => Ok(()),
        },
    }
}

/// One order as `OrderInfo`, in the element names of the Magento mapping (docs/zynk-reference.md §2.13).
fn write_order(document: &mut Document, order: &Lean) -> std::io::Result<()> {
    document.start_named("OrderInfo")?;
    scalar_element(document, "order_id", order.get("entity_id"))?;
    // Every order field but `entity_id`, written first as `order_id`.
    fields(document, order, &ORDER_FIELDS[..ORDER_FIELDS.len() - 1])?;
    let shipping = order.pointer("/extension_attributes/shipping_assignments/0/shipping");
    scalar_element(
        document,
        "shipping_method",
        shipping.and_then(|s| s.get("method")),
    )?;
    if let Some(address) = order.get("billing_address") {
        write_address(document, "billing_address", address)?;
    }
    if let Some(address) = shipping.and_then(|s| s.get("address")) {
        write_address(document, "shipping_address", address)?;
    }
    document.start_named("items")?;
    for item in order
        .get("items")
        .and_then(Lean::as_array)
        .into_iter()
        .flatten()
    {
        document.start_named("OrderProduct")?;
        fields(document, item, &ITEM_FIELDS)?;
        document.end_named("OrderProduct")?;
    }
    document.end_named("items")?;
    if let Some(payment) = order.get("payment") {
        document.start_named("payment")?;
        fields(document, payment, &PAYMENT_FIELDS)?;
        document.end_named("payment")?;
    }
    document.start_named("status_history")?;
    for history in order
        .get("status_histories")
        .and_then(Lean::as_array)
        .into_iter()
        .flatten()
    {
        document.start_named("OrderStatusHistory")?;
        fields(document, history, &HISTORY_FIELDS)?;
        document.end_named("OrderStatusHistory")?;
    }
    document.end_named("status_history")?;
    document.end_named("OrderInfo")
}

fn write_address(
    document: &mut Document,
    name: &'static str,
    address: &Lean,
) -> std::io::Result<()> {
    document.start_named(name)?;
    fields(document, address, &NAME_FIELDS)?;
    // Magento keeps the street as lines; the mapping reads them newline-separated.
    let street = match address.get("street") {
        Some(Lean::Array(lines)) => Cow::Owned(
            lines
                .iter()
                .filter_map(|l| scalar(Some(l)))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        other => scalar(other).unwrap_or_default(),
    };
    if !street.is_empty() {
        document.text_named("street", &street)?;
    }
    fields(document, address, &PLACE_FIELDS)?;
    document.end_named(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::MiniMagento;
    use wharf_guest::http::fake::Deferred;

    fn settings(pairs: &[(&str, &str)]) -> OrdersSettings {
        OrdersSettings::from_pairs(pairs).unwrap()
    }

    #[test]
    fn the_cursor_never_passes_the_ceiling_and_keeps_ids_at_its_date() {
        let at = |s: &str| parse_date(s).unwrap();
        let dates = [
            (at("2026-01-01 10:00:00"), 1),
            (at("2026-01-01 10:00:05"), 2),
            (at("2026-01-01 10:00:05"), 3),
            (at("2026-01-01 10:00:09"), 4),
        ];
        let c = next_cursor(None, &dates, None).unwrap();
        assert_eq!((c.date, c.ids), (at("2026-01-01 10:00:09"), vec![4]));
        let c = next_cursor(None, &dates, Some(at("2026-01-01 10:00:05"))).unwrap();
        assert_eq!((c.date, c.ids), (at("2026-01-01 10:00:05"), vec![2, 3]));
        let saved = Cursor {
            date: at("2026-01-01 10:00:09"),
            ids: vec![7],
        };
        let c = next_cursor(Some(saved.clone()), &dates, None).unwrap();
        assert_eq!(c.ids, vec![4, 7]);
        assert_eq!(next_cursor(Some(saved.clone()), &[], None), None);
    }

    #[test]
    fn pages_by_key_and_writes_orders_for_the_mapping() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("orders.xml");
        let mut shop = MiniMagento::with_orders(7);
        let out = output.display().to_string();
        let result = run(
            &settings(&[
                ("output-file", &out),
                ("page-size", "3"),
                ("export-type", "Modified"),
            ]),
            &mut shop,
            &mut bigcommerce::truth::MemoryTruth::default(),
        );
        assert!(result.code.is_success(), "{}", result.message);
        assert!(
            result.message.starts_with("7 orders written"),
            "{}",
            result.message
        );
        let xml = std::fs::read_to_string(&output).unwrap();
        assert_eq!(xml.matches("<OrderInfo>").count(), 7);
        assert!(
            xml.contains("<street>1 High Street\nFlat 2</street>"),
            "{xml}"
        );
        assert!(xml.contains("<shipping_method>flatrate_flatrate</shipping_method>"));
        // One ceiling request, then pages of 3, 3 and 1.
        assert_eq!(shop.searches, 4);
        // The next run: nothing new.
        let result = run(
            &settings(&[("output-file", &out), ("export-type", "Modified")]),
            &mut shop,
            &mut bigcommerce::truth::MemoryTruth::default(),
        );
        assert_eq!(
            result.code,
            wharf_guest::ResultCode::SuccessNoData,
            "{}",
            result.message
        );
        shop.touch(3);
        let result = run(
            &settings(&[("output-file", &out), ("export-type", "Modified")]),
            &mut shop,
            &mut bigcommerce::truth::MemoryTruth::default(),
        );
        assert!(
            result.message.starts_with("1 orders written"),
            "{}",
            result.message
        );
    }

    #[test]
    fn bad_settings_name_the_setting() {
        let e = plan(&settings(&[
            ("output-file", "/work/x.xml"),
            ("filter-groups", "status Foo 1"),
        ]))
        .err()
        .unwrap();
        assert!(
            e.to_string().contains("filter-groups") && e.to_string().contains("Foo"),
            "{e}"
        );
        let e = plan(&settings(&[
            ("output-file", "/work/x.xml"),
            ("start-date", "yesterday"),
        ]))
        .err()
        .unwrap();
        assert!(e.to_string().contains("start-date"), "{e}");
    }

    /// Every name the download keeps or writes.
    fn all_names() -> Vec<&'static str> {
        KEPT_NAMES.into_iter().flatten().copied().collect()
    }

    #[test]
    fn kept_keys_are_exactly_the_listed_names() {
        let names = all_names();
        for name in &names {
            assert_eq!(kept(name), Some(*name));
            // Every byte changed, one at a time: kept only if that is another name.
            for at in 0..name.len() {
                for byte in [b'a', b'z', b'_', b'0', b'X'] {
                    let mut other = name.as_bytes().to_vec();
                    other[at] = byte;
                    let other = String::from_utf8(other).unwrap();
                    let expected = names.contains(&other.as_str());
                    assert_eq!(kept(&other).is_some(), expected, "{other}");
                }
            }
            let longer = format!("{name}s");
            assert_eq!(kept(&longer).is_some(), names.contains(&longer.as_str()));
            assert_eq!(kept(&name[1..]).is_some(), names.contains(&&name[1..]));
        }
        for other in ["", "x", "Items", "items ", "base_grand_total", "1", "é"] {
            assert_eq!(kept(other), None, "{other}");
        }
        assert_eq!(kept(&"a".repeat(5000)), None);
    }

    #[test]
    fn written_names_are_element_names_as_they_are() {
        // The path keys lead to fields; they are not written.
        let written = all_names().into_iter().filter(|n| !PATH_KEYS.contains(n));
        let containers = [
            "OrderInfo",
            "billing_address",
            "shipping_address",
            "items",
            "OrderProduct",
            "payment",
            "status_history",
            "OrderStatusHistory",
        ];
        let own = ["order_id", "shipping_method", "street"];
        for name in written.chain(own).chain(containers) {
            assert!(Document::is_element_name(name), "{name}");
        }
    }

    #[test]
    fn numbers_are_written_as_serde_json_writes_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.xml");
        let texts = [
            "0",
            "7",
            "-1",
            "18446744073709551615",
            "-9223372036854775808",
            "1.5",
            "4.0",
            "-0.0",
            "0.1",
            "514.11",
            "1e300",
            "1e-7",
            "123456789.123456789",
            "2.2250738585072014e-308",
        ];
        let mut document = Document::create(&path, "n").unwrap();
        for text in texts {
            let value: Lean = serde_json::from_str::<serde_json::Value>(text)
                .unwrap()
                .into();
            scalar_element(&mut document, "price", Some(&value)).unwrap();
        }
        document.finish().unwrap();
        let xml = std::fs::read_to_string(&path).unwrap();
        let written: Vec<&str> = xml
            .split("<price>")
            .skip(1)
            .map(|rest| rest.split('<').next().unwrap())
            .collect();
        let expected: Vec<String> = texts
            .iter()
            .map(|t| {
                serde_json::from_str::<serde_json::Number>(t)
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(written, expected);
    }

    /// The `order_id`s of a written file, in order.
    fn written_ids(path: &std::path::Path) -> Vec<i64> {
        let xml = std::fs::read_to_string(path).unwrap();
        xml.split("<order_id>")
            .skip(1)
            .map(|rest| rest.split('<').next().unwrap().parse().unwrap())
            .collect()
    }

    /// Every order of `shop` downloaded (`All`, pages of 3) to `output`, successfully.
    fn download_all(output: &std::path::Path, shop: &mut Deferred<MiniMagento>) {
        let out = output.display().to_string();
        let all = settings(&[
            ("output-file", &out),
            ("page-size", "3"),
            ("export-type", "All"),
        ]);
        let result = run(&all, shop, &mut bigcommerce::truth::MemoryTruth::default());
        assert!(result.code.is_success(), "{}", result.message);
    }

    /// The names in `dir`: only the output's when no answer file was left behind.
    fn names_in(dir: &std::path::Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn pages_ahead_are_asked_for_by_key_once_and_gaps_in_the_ids_are_filled() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("orders.xml");
        // Ids without gaps: each page's key is the last id of the one before, and no page is
        // asked for twice or past the end.
        let mut shop = Deferred::new(MiniMagento::with_orders(20));
        download_all(&output, &mut shop);
        assert_eq!(written_ids(&output), (1..=20).collect::<Vec<_>>());
        assert_eq!(shop.web.searches, 7);
        assert_eq!(shop.most_started, PAGES_AHEAD);
        // Ids with gaps: the guessed keys miss; every order is still written once, in order,
        // and no answer file is left behind.
        let mut shop = Deferred::new(MiniMagento::with_orders(60));
        for id in (4..=12).chain(20..=35).chain([41, 43, 45, 47]) {
            shop.web.orders.remove(&id);
        }
        let expected: Vec<i64> = shop.web.orders.keys().copied().collect();
        download_all(&output, &mut shop);
        assert_eq!(written_ids(&output), expected);
        assert!(shop.most_started <= PAGES_AHEAD + 1);
        assert_eq!(names_in(dir.path()), vec!["orders.xml".to_owned()]);
    }

    #[test]
    fn the_first_two_pages_are_asked_for_together_and_a_second_not_needed_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("orders.xml");
        // Two pages: both under way before the first is read, each asked for once.
        let mut shop = Deferred::new(MiniMagento::with_orders(5));
        download_all(&output, &mut shop);
        assert_eq!(written_ids(&output), (1..=5).collect::<Vec<_>>());
        assert_eq!(shop.web.searches, 2);
        assert_eq!(shop.most_started, 2);
        // One page: the second is asked for and dropped unread, leaving no answer file; every
        // order is written once.
        let mut shop = Deferred::new(MiniMagento::with_orders(2));
        download_all(&output, &mut shop);
        assert_eq!(written_ids(&output), vec![1, 2]);
        assert_eq!(shop.web.searches, 2);
        assert_eq!(names_in(dir.path()), vec!["orders.xml".to_owned()]);
    }
}
