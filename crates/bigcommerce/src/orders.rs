//! Download Orders (docs/zynk-reference.md §2.14, its V3 form): v2 orders — all, or new or modified since the
//! task last succeeded — each with its products, shipping addresses and coupons (themselves
//! paged), written as `orders/order` for the Auto Mapper's BigCommerce mapping.
//!
//! Pages are read by key, not by number: every request asks for the orders from the newest
//! date seen so far (`min_date_created` / `min_date_modified`, sorted ascending; `min_id` for
//! All), so an order created or changed while the download pages never shifts a page and is
//! never skipped. Orders already written in this run, and those the last run wrote at the
//! cursor's date, are left out. The cursor (date and the ids at that date) moves only when the
//! task succeeds, and only as far as the orders actually written.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde_json::Value;
use std::path::PathBuf;

use wharf_guest::{SettingChoice, SettingError, TaskResult, TaskSettings, state};

use crate::xml::Document;
use crate::{ApiError, Client, StartedGet, Truth, Web, order_statuses, page_url, status_id};

pub const TASK: &str = "bigcommerce-download-orders";
/// What the task does, for `wharf tasks`.
pub const DOC: &str = "Downloads BigCommerce orders (v2) with their products, shipping addresses and coupons into an XML file.";

/// The settings of `bigcommerce-download-orders`.
#[derive(Debug, Clone, TaskSettings)]
pub struct OrdersSettings {
    /// `New`: orders created since the task last succeeded; `Modified`: orders changed since
    /// then; `All`: every order (the cursors are left as they are).
    #[setting(default = "New")]
    pub export_type: ExportType,
    /// Only orders in this status (its name, e.g. `Awaiting Fulfillment`), or `Any`.
    #[setting(default = "Any", non_empty)]
    pub order_status: String,
    /// For `New` and `Modified` before the task has a cursor: orders from this date-time (UTC
    /// when no offset is given). Without it the first run downloads every order.
    #[setting(kind = date_time)]
    pub start_date: Option<String>,
    /// Orders (and order products) per request.
    #[setting(default = 50, range = 1..=250)]
    pub page_size: u32,
    /// Download each order's shipping addresses.
    #[setting(default = true)]
    pub export_shipping_addresses: bool,
    /// Download each order's coupons.
    #[setting(default = true)]
    pub export_coupons: bool,
    /// Where the orders are written (`orders/order`), replaced.
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
            ExportType::New => Some(("date_created", "created-cursor")),
            ExportType::Modified => Some(("date_modified", "modified-cursor")),
            ExportType::All => None,
        }
    }
}

/// Where the last successful run stopped: the newest date written and the orders written at
/// exactly that date (BigCommerce dates have whole seconds; `min_date_*` is inclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub date: DateTime<Utc>,
    pub ids: Vec<i64>,
}

impl Cursor {
    /// `2024-05-01T10:00:00Z 12,13`.
    pub fn parse(text: &str) -> Option<Cursor> {
        let (date, ids) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
        let date = DateTime::parse_from_rfc3339(date).ok()?.with_timezone(&Utc);
        let ids = ids
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().ok())
            .collect::<Option<Vec<i64>>>()?;
        Some(Cursor { date, ids })
    }

    pub fn to_text(&self) -> String {
        let ids: Vec<String> = self.ids.iter().map(i64::to_string).collect();
        format!(
            "{} {}",
            self.date.to_rfc3339_opts(SecondsFormat::Secs, true),
            ids.join(",")
        )
    }

    /// Takes in an order written at `date`.
    fn advance(cursor: &mut Option<Cursor>, date: DateTime<Utc>, id: i64) {
        match cursor {
            Some(c) if c.date == date => c.ids.push(id),
            Some(c) if c.date > date => {}
            _ => {
                *cursor = Some(Cursor {
                    date,
                    ids: vec![id],
                })
            }
        }
    }
}

/// A BigCommerce date: RFC 2822 (`Tue, 20 Nov 2012 00:00:00 +0000`), as the v2 API writes
/// them, or RFC 3339.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(text.trim())
        .or_else(|_| DateTime::parse_from_rfc3339(text.trim()))
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

struct Plan {
    export: ExportType,
    status: Option<String>,
    start: Option<DateTime<Utc>>,
    page_size: u32,
    shipping_addresses: bool,
    coupons: bool,
    output: std::path::PathBuf,
}

fn plan(settings: &OrdersSettings) -> Result<Plan, SettingError> {
    let status = Some(settings.order_status.trim())
        .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("any"))
        .map(str::to_owned);
    let start = start_date(settings.start_date.as_deref())?;
    Ok(Plan {
        export: settings.export_type,
        status,
        start,
        page_size: settings.page_size,
        shipping_addresses: settings.export_shipping_addresses,
        coupons: settings.export_coupons,
        output: settings.output_file.clone(),
    })
}

/// The `start-date` setting of an order download (this one's and the other shops'), parsed by
/// [`parse_start`].
pub fn start_date(setting: Option<&str>) -> Result<Option<DateTime<Utc>>, SettingError> {
    setting
        .map(|text| {
            parse_start(text).ok_or_else(|| {
                SettingError::new(
                    "start-date",
                    format!("expected a date-time such as `2024-05-10T00:00:00`, got `{text}`"),
                )
            })
        })
        .transpose()
}

/// A start date-time: RFC 3339, or without an offset (then UTC), or a date alone.
pub fn parse_start(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(text) {
        return Some(d.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(d) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Some(Utc.from_utc_datetime(&d));
        }
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| Utc.from_utc_datetime(&d))
}

/// The task against a shop.
pub fn run(settings: &OrdersSettings, web: &mut impl Web, _truth: &mut impl Truth) -> TaskResult {
    let plan = match plan(settings) {
        Ok(plan) => plan,
        Err(e) => return e.into(),
    };
    let folder = plan
        .output
        .parent()
        .unwrap_or(std::path::Path::new("/"))
        .to_owned();
    let mut client = Client::new(web, &folder, TASK);
    match download(&plan, &mut client) {
        Ok(done) => done.result(
            plan.export.field().map(|(_, key)| key),
            &plan.output,
            client.requests,
        ),
        Err(e) => e.into(),
    }
}

/// A download that finished: how many orders it wrote, and the cursor to save.
pub struct Done {
    pub orders: u64,
    pub cursor: Option<Cursor>,
}

impl Done {
    /// The task's result: the cursor is saved under `cursor_key` (now that the task succeeds),
    /// the counts and the `orders` output say how many orders went to `output`.
    pub fn result(
        &self,
        cursor_key: Option<&str>,
        output: &std::path::Path,
        requests: u64,
    ) -> TaskResult {
        if let (Some(key), Some(cursor)) = (cursor_key, &self.cursor) {
            state::set(key, &cursor.to_text());
        }
        let message = format!(
            "{} orders written to `{}` ({requests} requests)",
            self.orders,
            output.display(),
        );
        let result = if self.orders == 0 {
            TaskResult::success_no_data(message)
        } else {
            TaskResult::success_data(message)
        };
        result
            .with_counts(self.orders, self.orders, 0)
            .with_output("orders", self.orders.to_string())
    }
}

fn download<W: Web>(plan: &Plan, client: &mut Client<'_, W>) -> Result<Done, ApiError> {
    let status = match &plan.status {
        Some(name) => Some(status_id(&order_statuses(client)?, "order-status", name)?),
        None => None,
    };
    let field = plan.export.field();
    let saved = field.and_then(|(_, key)| {
        state::get(key).map(|text| {
            Cursor::parse(&text).ok_or_else(|| {
                ApiError::fail(format!(
                    "the saved cursor `{key}` is not a date and ids: `{text}`; delete the task's state to start again"
                ))
            })
        })
    });
    let saved = saved.transpose()?;
    let output = &plan.output;
    let io = |e: std::io::Error| {
        ApiError::fail(format!(
            "setting `output-file`: cannot write `{}`: {e}",
            output.display()
        ))
    };
    let mut document = Document::create(output, "orders").map_err(io)?;
    // Orders written in this run and the date each was written at.
    let mut written: HashMap<i64, Option<DateTime<Utc>>> = HashMap::new();
    let mut cursor = saved.clone();
    // The oldest date of an order seen again with a newer date after it was written: the
    // next run starts there so that change is not lost.
    let mut resurfaced: Option<DateTime<Utc>> = None;
    let mut key_date = saved.as_ref().map(|c| c.date).or(plan.start);
    let mut min_id = 0i64;
    let mut page = 1u32;
    let limit = plan.page_size;
    loop {
        let mut url = match field {
            Some((name, _)) => {
                let mut url = format!("v2/orders?sort={name}:asc&limit={limit}&page={page}");
                if let Some(date) = key_date {
                    url.push_str(&format!(
                        "&min_{name}={}",
                        date.to_rfc3339_opts(SecondsFormat::Secs, true)
                    ));
                }
                url
            }
            None => format!(
                "v2/orders?sort=id:asc&limit={limit}&page=1&min_id={}",
                min_id + 1
            ),
        };
        if let Some(id) = status {
            url.push_str(&format!("&status_id={id}"));
        }
        let orders = match client.get(&url)? {
            None => break,
            Some(Value::Array(orders)) => orders,
            Some(_) => {
                return Err(ApiError::fail(format!(
                    "GET {url}: expected a list of orders"
                )));
            }
        };
        let count = orders.len();
        let mut newest_in_page: Option<DateTime<Utc>> = None;
        // The page's orders to write, with their dates; written after the page is judged, so
        // that their sub-resources can be fetched a few orders ahead of the one written.
        let mut to_write = Vec::new();
        for order in orders {
            let id = order.get("id").and_then(Value::as_i64).ok_or_else(|| {
                ApiError::fail(format!("GET {url}: an order without a numeric `id`"))
            })?;
            min_id = min_id.max(id);
            let date = match field {
                Some((name, _)) => {
                    let text = order.get(name).and_then(Value::as_str).unwrap_or_default();
                    let date = parse_date(text).ok_or_else(|| {
                        ApiError::fail(format!(
                            "GET {url}: order {id}: `{name}` is not a date: `{text}`"
                        ))
                    })?;
                    newest_in_page = newest_in_page.max(Some(date));
                    Some(date)
                }
                None => None,
            };
            if let Some(first) = written.get(&id) {
                if let Some(date) = date
                    && *first != Some(date)
                {
                    resurfaced = Some(resurfaced.map_or(date, |r| r.min(date)));
                }
                continue;
            }
            if let (Some(date), Some(saved)) = (date, &saved)
                && (date < saved.date || (date == saved.date && saved.ids.contains(&id)))
            {
                continue;
            }
            // A page lists an order once: no later order of it is judged by this one.
            to_write.push((order, id, date));
        }
        let mut ahead = Ahead::default();
        for (n, (order, id, date)) in to_write.iter().enumerate() {
            let upcoming = to_write.iter().skip(n).map(|(_, id, _)| *id);
            ahead.fill(plan, client, upcoming);
            let reads = ahead.take(*id);
            write_order(plan, client, &mut document, order, *id, reads).map_err(|e| match e {
                Write::Api(e) => e,
                Write::Io(e) => io(e),
            })?;
            written.insert(*id, *date);
            if let Some(date) = date {
                Cursor::advance(&mut cursor, *date, *id);
            }
        }
        if count < limit as usize {
            break;
        }
        match field {
            // Next keyed request from the newest date of this page; a page all at the key's
            // date (more orders in one second than a page holds) is passed by its number.
            Some(_) if newest_in_page > key_date => {
                key_date = newest_in_page;
                page = 1;
            }
            Some(_) => page += 1,
            None => {}
        }
    }
    document.finish().map_err(io)?;
    if let (Some(date), Some(c)) = (resurfaced, &cursor)
        && date < c.date
    {
        cursor = Some(Cursor {
            date,
            ids: Vec::new(),
        });
    }
    Ok(Done {
        orders: written.len() as u64,
        cursor,
    })
}

enum Write {
    Api(ApiError),
    Io(std::io::Error),
}

/// Orders whose sub-resources are fetched while an earlier order is written, at most (three
/// reads each: within the host's 64 started and unfinished requests).
const ORDERS_AHEAD: usize = 8;

/// The sub-resources an order is written with, and whether the plan wants each.
fn subresources(plan: &Plan) -> [(&'static str, bool); 3] {
    [
        ("products", true),
        ("shipping_addresses", plan.shipping_addresses),
        ("coupons", plan.coupons),
    ]
}

/// The first pages of the sub-resources of the next orders, started ahead of their writing.
#[derive(Default)]
struct Ahead {
    started: VecDeque<(i64, Vec<Option<StartedGet>>)>,
}

impl Ahead {
    /// Starts the reads of the first [`ORDERS_AHEAD`] of `upcoming` not started yet.
    fn fill<W: Web>(
        &mut self,
        plan: &Plan,
        client: &mut Client<'_, W>,
        upcoming: impl Iterator<Item = i64>,
    ) {
        for id in upcoming.take(ORDERS_AHEAD).skip(self.started.len()) {
            let reads = subresources(plan)
                .iter()
                .map(|(name, wanted)| {
                    wanted.then(|| {
                        let url = subresource_url(id, name);
                        client.start_small_get(&page_url(&url, plan.page_size, 1))
                    })
                })
                .collect();
            self.started.push_back((id, reads));
        }
    }

    /// The reads started for order `id` (the next one), one per sub-resource wanted.
    fn take(&mut self, id: i64) -> Vec<Option<StartedGet>> {
        match self.started.front() {
            Some((first, _)) if *first == id => self.started.pop_front().map(|(_, r)| r),
            _ => None,
        }
        .unwrap_or_default()
    }
}

fn subresource_url(id: i64, name: &str) -> String {
    format!("v2/orders/{id}/{name}")
}

/// One order with its sub-resources in place of their links (their first pages from `reads`
/// when started ahead).
fn write_order<W: Web>(
    plan: &Plan,
    client: &mut Client<'_, W>,
    document: &mut Document,
    order: &Value,
    id: i64,
    reads: Vec<Option<StartedGet>>,
) -> Result<(), Write> {
    let Value::Object(fields) = order else {
        return Err(Write::Api(ApiError::fail(format!(
            "order {id} is not a JSON object"
        ))));
    };
    let subresources = subresources(plan);
    document.start("order").map_err(Write::Io)?;
    for (name, value) in fields {
        if subresources.iter().any(|(s, _)| s == name) {
            continue;
        }
        document.json(name, value).map_err(Write::Io)?;
    }
    let mut reads = reads.into_iter();
    for (name, wanted) in subresources {
        let first = reads.next().flatten();
        if !wanted {
            continue;
        }
        let mut items = Vec::new();
        client
            .each_v2_from(first, &subresource_url(id, name), plan.page_size, |item| {
                items.push(item);
                Ok(())
            })
            .map_err(Write::Api)?;
        document
            .json(name, &Value::Array(items))
            .map_err(Write::Io)?;
    }
    document.end("order").map_err(Write::Io)
}

#[cfg(test)]
mod tests;
