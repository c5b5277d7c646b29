//! Orders API 2026-01-01: `searchOrders` per marketplace over a creation window, page by page
//! (the `nextToken` sent back exactly as received, percent-encoded once), or `getOrder` for one
//! order; each order written as the `Orders/Order` XML the `amazon-orders-to-zynk` mapping reads
//! (the field names of Amazon's earlier Orders API, which Zynk's mapping was written for).

use std::collections::BTreeSet;
use std::io::Write;

use chrono::{DateTime, Duration, Utc};
use quick_xml::escape::escape;
use serde_json::Value;

use crate::marketplaces::Marketplace;
use crate::{Api, ApiError, Web, iso, query_value};

pub const SEARCH_ORDERS: &str = "/orders/2026-01-01/orders";
/// Amazon refuses a window that ends less than two minutes before the request.
pub const NEWEST_WINDOW_END: Duration = Duration::minutes(2);
/// The datasets every order is fetched with: what the mapping reads.
const INCLUDED_DATA: &str = "BUYER,RECIPIENT,PROCEEDS,FULFILLMENT";
/// The order statuses Amazon filters on.
pub const STATUSES: &[&str] = &[
    "PENDING_AVAILABILITY",
    "PENDING",
    "UNSHIPPED",
    "PARTIALLY_SHIPPED",
    "SHIPPED",
    "CANCELLED",
    "UNFULFILLABLE",
];

/// Who fulfils the orders to download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fulfilment {
    /// Fulfilled by Amazon (AFN).
    Amazon,
    /// Fulfilled by the merchant (MFN).
    Merchant,
    All,
}

impl Fulfilment {
    pub fn parse(text: &str) -> Option<Fulfilment> {
        match text.trim().to_ascii_uppercase().as_str() {
            "AFN" | "AMAZON" => Some(Fulfilment::Amazon),
            "MFN" | "MERCHANT" => Some(Fulfilment::Merchant),
            "ALL" | "" => Some(Fulfilment::All),
            _ => None,
        }
    }

    fn query(self) -> Option<&'static str> {
        match self {
            Fulfilment::Amazon => Some("AMAZON"),
            Fulfilment::Merchant => Some("MERCHANT"),
            Fulfilment::All => None,
        }
    }
}

/// Order statuses from a list such as `Unshipped, PartiallyShipped` or `UNSHIPPED SHIPPED`
/// (the earlier API's spellings are accepted).
pub fn statuses(list: &str) -> Result<Vec<&'static str>, String> {
    let mut found = Vec::new();
    for item in list.split([',', ' ', ';']).filter(|s| !s.trim().is_empty()) {
        let bare: String = item
            .chars()
            .filter(|c| *c != '_')
            .collect::<String>()
            .to_ascii_uppercase();
        let status = STATUSES
            .iter()
            .find(|s| s.replace('_', "") == bare)
            .ok_or_else(|| {
                format!(
                    "`{item}` is not an order status (one of {})",
                    STATUSES.join(", ")
                )
            })?;
        if !found.contains(status) {
            found.push(*status);
        }
    }
    Ok(found)
}

/// What a search asks for, besides the marketplace and window.
#[derive(Debug, Clone)]
pub struct Filter {
    pub fulfilment: Fulfilment,
    pub statuses: Vec<&'static str>,
    pub page_size: u32,
}

/// The creation window of one marketplace's search: from its cursor (or the floor) to two
/// minutes before now, or the upper bound if earlier. `None`: nothing to search yet.
pub fn window(
    cursor: Option<DateTime<Utc>>,
    floor: DateTime<Utc>,
    upper: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let after = cursor.map_or(floor, |c| c.max(floor));
    let newest = now - NEWEST_WINDOW_END;
    let before = upper.map_or(newest, |u| u.min(newest));
    (after <= before).then_some((after, before))
}

/// The cursor after a window: the next second (`createdAfter` and `createdBefore` are both
/// inclusive, so an order created on the boundary is not fetched twice).
pub fn next_cursor(before: DateTime<Utc>) -> DateTime<Utc> {
    before + Duration::seconds(1)
}

/// The `searchOrders` URL of one page.
pub fn search_url(
    marketplace: &Marketplace,
    filter: &Filter,
    window: (DateTime<Utc>, DateTime<Utc>),
    token: Option<&str>,
) -> String {
    let mut url = format!(
        "{SEARCH_ORDERS}?marketplaceIds={}&createdAfter={}&createdBefore={}&maxResultsPerPage={}&includedData={}",
        query_value(&marketplace.id),
        query_value(&iso(window.0)),
        query_value(&iso(window.1)),
        filter.page_size,
        query_value(INCLUDED_DATA),
    );
    if let Some(by) = filter.fulfilment.query() {
        url.push_str(&format!("&fulfilledBy={by}"));
    }
    if !filter.statuses.is_empty() {
        url.push_str(&format!(
            "&fulfillmentStatuses={}",
            query_value(&filter.statuses.join(","))
        ));
    }
    if let Some(token) = token {
        url.push_str(&format!("&paginationToken={}", query_value(token)));
    }
    url
}

/// The `getOrder` URL of one order.
pub fn order_url(order_id: &str) -> String {
    format!(
        "{SEARCH_ORDERS}/{}?includedData={}",
        query_value(order_id),
        query_value(INCLUDED_DATA)
    )
}

/// What a download wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Downloaded {
    pub orders: u64,
    pub pages: u64,
}

/// Writes `<Orders>` … `</Orders>` around the orders `fill` writes.
pub struct OrderWriter<W: Write> {
    out: W,
    seen: BTreeSet<String>,
    pub written: u64,
}

impl<W: Write> OrderWriter<W> {
    pub fn new(mut out: W) -> std::io::Result<Self> {
        out.write_all(b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Orders>\n")?;
        Ok(OrderWriter {
            out,
            seen: BTreeSet::new(),
            written: 0,
        })
    }

    /// Writes one API order (once per run: a repeat is skipped). Errors name the order.
    pub fn order(&mut self, order: &Value) -> Result<(), String> {
        let xml = order_xml(order)?;
        let id = text(order, &["orderId"]);
        if !self.seen.insert(id) {
            return Ok(());
        }
        self.out
            .write_all(xml.as_bytes())
            .map_err(|e| format!("cannot write the output file: {e}"))?;
        self.written += 1;
        Ok(())
    }

    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.write_all(b"</Orders>\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Downloads one marketplace's window, every page, into `writer`.
pub fn search<W: Web, O: Write>(
    api: &mut Api<'_, W>,
    marketplace: &Marketplace,
    filter: &Filter,
    window: (DateTime<Utc>, DateTime<Utc>),
    writer: &mut OrderWriter<O>,
) -> Result<Downloaded, ApiError> {
    let mut done = Downloaded::default();
    let mut token: Option<String> = None;
    loop {
        let url = search_url(marketplace, filter, window, token.as_deref());
        let page = api.get("searchOrders", &url)?;
        done.pages += 1;
        let orders = page
            .get("orders")
            .and_then(Value::as_array)
            .ok_or_else(|| ApiError::Unreadable {
                operation: "searchOrders".into(),
                cause: "no `orders` list".into(),
            })?;
        for order in orders {
            writer.order(order).map_err(|cause| ApiError::Unreadable {
                operation: "searchOrders".into(),
                cause,
            })?;
            done.orders += 1;
        }
        let next = page
            .get("pagination")
            .and_then(|p| p.get("nextToken"))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty());
        match next {
            Some(next) if token.as_deref() == Some(next) => {
                return Err(ApiError::Unreadable {
                    operation: "searchOrders".into(),
                    cause: "the same `nextToken` twice (the search would never end)".into(),
                });
            }
            Some(next) => token = Some(next.to_owned()),
            None => return Ok(done),
        }
    }
}

/// One order by id.
pub fn get_order<W: Web, O: Write>(
    api: &mut Api<'_, W>,
    order_id: &str,
    writer: &mut OrderWriter<O>,
) -> Result<Downloaded, ApiError> {
    let answer = api.get("getOrder", &order_url(order_id))?;
    let order = answer.get("order").ok_or_else(|| ApiError::Unreadable {
        operation: "getOrder".into(),
        cause: "no `order`".into(),
    })?;
    writer.order(order).map_err(|cause| ApiError::Unreadable {
        operation: "getOrder".into(),
        cause,
    })?;
    Ok(Downloaded {
        orders: 1,
        pages: 1,
    })
}

fn at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

fn text(value: &Value, path: &[&str]) -> String {
    match at(value, path) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// A `Money` value: (currency, amount).
fn money(value: &Value, path: &[&str]) -> Option<(String, String)> {
    let m = at(value, path)?;
    let amount = text(m, &["amount"]);
    (!amount.is_empty()).then(|| (text(m, &["currencyCode"]), amount))
}

/// The subtotal of a proceeds breakdown of `kind` (`ITEM`, `SHIPPING`, `DISCOUNT` …).
fn breakdown(item: &Value, kind: &str) -> Option<(String, String)> {
    at(item, &["proceeds", "breakdowns"])?
        .as_array()?
        .iter()
        .find(|b| b.get("type").and_then(Value::as_str) == Some(kind))
        .and_then(|b| money(b, &["subtotal"]))
}

struct Xml(String);

impl Xml {
    fn field(&mut self, name: &str, value: &str) {
        if !value.trim().is_empty() {
            self.0
                .push_str(&format!("<{name}>{}</{name}>", escape(value.trim())));
        }
    }

    fn money(&mut self, name: &str, value: Option<(String, String)>) {
        if let Some((currency, amount)) = value {
            self.0.push_str(&format!(
                "<{name}><CurrencyCode>{}</CurrencyCode><Amount>{}</Amount></{name}>",
                escape(&currency),
                escape(&amount)
            ));
        }
    }
}

/// One order as `<Order>` XML in the earlier API's field names.
pub fn order_xml(order: &Value) -> Result<String, String> {
    let id = text(order, &["orderId"]);
    if id.is_empty() {
        return Err("an order without `orderId`".into());
    }
    let items = order
        .get("orderItems")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("order {id} has no `orderItems`"))?;
    let mut x = Xml(String::from("  <Order>"));
    x.field("AmazonOrderId", &id);
    x.field("PurchaseDate", &text(order, &["createdTime"]));
    x.field("LastUpdateDate", &text(order, &["lastUpdatedTime"]));
    x.field(
        "OrderStatus",
        &text(order, &["fulfillment", "fulfillmentStatus"]),
    );
    let channel = match text(order, &["fulfillment", "fulfilledBy"]).as_str() {
        "AMAZON" => "AFN",
        "MERCHANT" => "MFN",
        _ => "",
    };
    x.field("FulfillmentChannel", channel);
    x.field(
        "SalesChannel",
        &text(order, &["salesChannel", "marketplaceName"]),
    );
    x.field(
        "MarketplaceId",
        &text(order, &["salesChannel", "marketplaceId"]),
    );
    x.field(
        "ShipServiceLevel",
        &text(order, &["fulfillment", "fulfillmentServiceLevel"]),
    );
    x.money("OrderTotal", money(order, &["proceeds", "grandTotal"]));
    x.field("BuyerEmail", &text(order, &["buyer", "buyerEmail"]));
    x.field("BuyerName", &text(order, &["buyer", "buyerName"]));
    if let Some(address) = at(order, &["recipient", "deliveryAddress"]) {
        x.0.push_str("<ShippingAddress>");
        for (name, field) in [
            ("Name", "name"),
            ("AddressLine1", "addressLine1"),
            ("AddressLine2", "addressLine2"),
            ("AddressLine3", "addressLine3"),
            ("City", "city"),
            ("County", "districtOrCounty"),
            ("StateOrRegion", "stateOrRegion"),
            ("PostalCode", "postalCode"),
            ("CountryCode", "countryCode"),
            ("Phone", "phone"),
        ] {
            x.field(name, &text(address, &[field]));
        }
        x.0.push_str("</ShippingAddress>");
    }
    x.0.push_str("<OrderItems>");
    for item in items {
        x.0.push_str("<OrderItem>");
        x.field("OrderItemId", &text(item, &["orderItemId"]));
        x.field("SellerSKU", &text(item, &["product", "sellerSku"]));
        x.field("ASIN", &text(item, &["product", "asin"]));
        x.field("Title", &text(item, &["product", "title"]));
        let quantity = text(item, &["quantityOrdered"]);
        x.field("QuantityOrdered", &quantity);
        // ItemPrice is the line's total, as before: the ITEM proceeds, else unit price × qty.
        let line = breakdown(item, "ITEM").or_else(|| {
            let (currency, unit) = money(item, &["product", "price", "unitPrice"])?;
            let total = unit.parse::<f64>().ok()? * quantity.parse::<f64>().ok()?;
            Some((currency, format!("{:.2}", total)))
        });
        x.money("ItemPrice", line);
        x.money("ShippingPrice", breakdown(item, "SHIPPING"));
        // DISCOUNT proceeds are negative; the earlier API's PromotionDiscount is positive.
        x.money(
            "PromotionDiscount",
            breakdown(item, "DISCOUNT")
                .map(|(currency, amount)| (currency, amount.trim_start_matches('-').to_owned())),
        );
        x.0.push_str("</OrderItem>");
    }
    x.0.push_str("</OrderItems></Order>\n");
    Ok(x.0)
}
