//! Update Order Statuses in Magento 2 (docs/zynk-reference.md §2.13, "Import (update) Orders" and its V2
//! form): each listed order gets a comment with its new status (`POST /V1/orders/{id}/comments`),
//! optionally e-mailed to the customer. Orders are found by `entity_id` (`order_id`,
//! `parent_id`) or by their increment id (`increment_id`, `parent_increment_id`), looked up 50
//! at a time. An order already in its new status is not commented again (a run stopped after
//! the shop took the comment, before the task recorded it, does not add it twice), and with
//! `prevent-reprocessing` the truth records skip orders this workflow already moved there.

use std::collections::HashMap;
use std::path::PathBuf;

use bigcommerce::outcome::{Files, Outcome};
use bigcommerce::status_error;
use bigcommerce::xml::{Record, read_records};
use serde_json::{Value, json};
use wharf_guest::{ResultCode, TaskResult, TaskSettings};

use crate::criteria::{Criteria, Filter};
use crate::{ApiError, Client, Truth, Web, api_url, client_beside};

pub const TASK: &str = "magento2-update-order-status";
/// The truth records' kind: external id the increment id, internal id the entity id, hash the
/// status set.
pub const TRUTH_KIND: &str = "Magento2OrderStatus";
/// What the task does, for `wharf tasks`.
pub const DOC: &str = "Moves the Magento 2 orders listed in an XML file to a new status with a comment (REST order comments).";

/// Increment ids looked up per request.
const LOOKUP_BATCH: usize = 50;

/// The settings of `magento2-update-order-status`.
#[derive(Debug, Clone, TaskSettings)]
pub struct StatusSettings {
    /// The orders: `ArrayOfOrderInfo/OrderInfo` (`increment_id` or `order_id`, optional
    /// `comment` and `status`) or `ArrayOfOrderStatusHistory/OrderStatusHistory` (`parent_id`
    /// or `parent_increment_id`, `status`, `comment`).
    pub input_file: PathBuf,
    /// The status the orders move to, unless a record names its own.
    #[setting(default = "complete", non_empty)]
    pub status: String,
    /// The comment added with the status when a record has none.
    pub default_comment: Option<String>,
    /// E-mail the customer the comment and status.
    #[setting(default = false)]
    pub notify_customer: bool,
    /// Where the orders updated are written (replaced).
    pub success_file: Option<PathBuf>,
    /// Where the orders not updated are written with the reason (replaced).
    pub fail_file: Option<PathBuf>,
    /// Skip orders this workflow already moved to this status (truth records).
    #[setting(default = true)]
    pub prevent_reprocessing: bool,
    /// The store view whose REST endpoint is used (`rest/<code>/V1/…`); the same default as
    /// the download and inventory tasks, so a workflow that sets none talks to one store view.
    #[setting(default = "default", non_empty)]
    pub store_view_code: String,
}

/// One record's wish.
struct Wanted {
    record: Record,
    entity_id: Option<i64>,
    increment_id: Option<String>,
    status: String,
    comment: String,
}

impl Wanted {
    /// How the record is named in messages and truth records.
    fn key(&self) -> String {
        match (&self.increment_id, self.entity_id) {
            (Some(increment), _) => increment.clone(),
            (None, Some(id)) => format!("#{id}"),
            (None, None) => String::new(),
        }
    }
}

/// The task against a shop.
pub fn run(settings: &StatusSettings, web: &mut impl Web, truth: &mut impl Truth) -> TaskResult {
    let records = match read_records(&settings.input_file, &["OrderInfo", "OrderStatusHistory"]) {
        Ok(records) => records,
        Err(e) => return TaskResult::fail(format!("setting `input-file`: {e}")),
    };
    let history = records
        .first()
        .is_some_and(|r| r.get("parent_id").is_some() || r.get("parent_increment_id").is_some());
    let files = Files {
        root: if history {
            "ArrayOfOrderStatusHistory"
        } else {
            "ArrayOfOrderInfo"
        },
        record: if history {
            "OrderStatusHistory"
        } else {
            "OrderInfo"
        },
        success: settings.success_file.clone(),
        fail: settings.fail_file.clone(),
    };
    let mut client = client_beside(web, &settings.input_file, TASK);
    let mut outcome = Outcome::default();
    let mut wanted = Vec::new();
    for record in records {
        let increment_id = record
            .get("increment_id")
            .or_else(|| record.get("parent_increment_id"))
            .map(str::to_owned);
        let entity = record.get("order_id").or_else(|| record.get("parent_id"));
        let entity_id = match entity.map(|t| t.parse::<i64>()) {
            Some(Ok(id)) => Some(id),
            Some(Err(_)) => {
                let text = entity.unwrap_or_default().to_owned();
                outcome.failed.push((
                    record,
                    format!("`{text}` is not an order id (a whole number)"),
                ));
                continue;
            }
            None => None,
        };
        if increment_id.is_none() && entity_id.is_none() {
            outcome.failed.push((
                record,
                "names no order (`increment_id`, `order_id`, `parent_id` or `parent_increment_id`)"
                    .into(),
            ));
            continue;
        }
        let status = record
            .get("status")
            .unwrap_or(settings.status.trim())
            .to_owned();
        let comment = record
            .get("comment")
            .map(str::to_owned)
            .or_else(|| settings.default_comment.clone())
            .unwrap_or_default();
        wanted.push(Wanted {
            record,
            entity_id,
            increment_id,
            status,
            comment,
        });
    }
    if let Err(e) = update(settings, &mut client, truth, wanted, &mut outcome) {
        return TaskResult::new(e.code, e.message);
    }
    outcome.result(&files, "increment_id", |applied, skipped, failed| {
        format!(
            "{applied} orders updated, {skipped} already done, {failed} failed ({} requests)",
            client.requests
        )
    })
}

/// The shop's entity id and status of each increment id it knows.
fn look_up<W: Web>(
    client: &mut Client<'_, W>,
    store: &str,
    increment_ids: &[&str],
) -> Result<HashMap<String, (i64, String)>, ApiError> {
    let mut found = HashMap::new();
    for batch in increment_ids.chunks(LOOKUP_BATCH) {
        let criteria = Criteria {
            groups: vec![vec![Filter::new("increment_id", "in", batch.join(","))]],
            sort: Vec::new(),
            page_size: Some(LOOKUP_BATCH as u32),
            current_page: Some(1),
        };
        let url = format!("{}?{}", api_url(store, "orders"), criteria.query());
        let body = client.get(&url)?.unwrap_or(Value::Null);
        for order in body
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let (Some(increment), Some(id)) = (
                order.get("increment_id").and_then(Value::as_str),
                order.get("entity_id").and_then(Value::as_i64),
            ) {
                let status = order
                    .get("status")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                found.insert(increment.to_owned(), (id, status.to_owned()));
            }
        }
    }
    Ok(found)
}

fn update<W: Web>(
    settings: &StatusSettings,
    client: &mut Client<'_, W>,
    truth: &mut impl Truth,
    wanted: Vec<Wanted>,
    outcome: &mut Outcome,
) -> Result<(), ApiError> {
    let store = settings.store_view_code.trim();
    let mut todo = Vec::new();
    for want in wanted {
        let done_before = settings.prevent_reprocessing
            && truth
                .find(TRUTH_KIND, &want.key())
                .is_some_and(|(_, hash)| hash.as_deref() == Some(want.status.as_str()));
        if done_before {
            outcome.skipped += 1;
        } else {
            todo.push(want);
        }
    }
    let increments: Vec<&str> = todo
        .iter()
        .filter_map(|w| w.increment_id.as_deref())
        .collect();
    let known = look_up(client, store, &increments)?;
    for want in todo {
        let current = match (&want.increment_id, want.entity_id) {
            (Some(increment), _) => known
                .get(increment)
                .map(|(id, status)| (*id, Some(status.clone()))),
            (None, Some(id)) => Some((id, None)),
            (None, None) => None,
        };
        let Some((id, status_now)) = current else {
            let key = want.key();
            outcome
                .failed
                .push((want.record, format!("the shop has no order {key}")));
            continue;
        };
        if status_now.as_deref() != Some(want.status.as_str()) {
            let url = api_url(store, &format!("orders/{id}/comments"));
            let body = json!({
                "statusHistory": {
                    "comment": want.comment,
                    "is_customer_notified": u8::from(settings.notify_customer),
                    "is_visible_on_front": 0,
                    "parent_id": id,
                    "status": want.status,
                }
            });
            let answer = client.call("POST", &url, Some(&body))?;
            if !answer.is_success() {
                let error = status_error("POST", &url, &answer);
                if matches!(error.code, ResultCode::NotAuthorised) {
                    // The connection cannot update orders at all: no point going on.
                    return Err(error);
                }
                outcome.failed.push((want.record, error.message));
                continue;
            }
        }
        truth
            .upsert(TRUTH_KIND, &id.to_string(), &want.key(), Some(&want.status))
            .map_err(|e| ApiError {
                code: ResultCode::Fail,
                message: format!(
                    "cannot record order {} in the truth records: {e}",
                    want.key()
                ),
            })?;
        outcome.applied.push(want.record);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::MiniMagento;
    use bigcommerce::truth::MemoryTruth;

    #[test]
    fn orders_move_once_and_unknown_ones_fail() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("update.xml");
        std::fs::write(
            &input,
            "<ArrayOfOrderInfo><OrderInfo><increment_id>000000002</increment_id></OrderInfo>\
             <OrderInfo><increment_id>000000005</increment_id><comment>Shipped by van</comment></OrderInfo>\
             <OrderInfo><increment_id>999</increment_id></OrderInfo><OrderInfo><order_id>x</order_id></OrderInfo></ArrayOfOrderInfo>",
        )
        .unwrap();
        let mut shop = MiniMagento::with_orders(6);
        let mut truth = MemoryTruth::default();
        let path = |n: &str| dir.path().join(n).display().to_string();
        let pairs = [
            ("input-file", path("update.xml")),
            ("success-file", path("ok.xml")),
            ("fail-file", path("bad.xml")),
            ("default-comment", "In Sage".to_owned()),
            ("store-view-code", "default".to_owned()),
        ];
        let settings = StatusSettings::from_pairs(&pairs).unwrap();
        let result = run(&settings, &mut shop, &mut truth);
        assert!(result.code.is_success(), "{}", result.message);
        assert!(
            result
                .message
                .starts_with("2 orders updated, 0 already done, 2 failed"),
            "{}",
            result.message
        );
        assert_eq!(shop.status(2), "complete");
        assert_eq!(
            shop.comments,
            vec![(2, "In Sage".to_owned()), (5, "Shipped by van".to_owned())]
        );
        let bad = std::fs::read_to_string(dir.path().join("bad.xml")).unwrap();
        assert!(
            bad.contains("the shop has no order 999") && bad.contains("not an order id"),
            "{bad}"
        );
        // Again: the truth records skip both; nothing is posted.
        let result = run(&settings, &mut shop, &mut truth);
        assert!(
            result
                .message
                .starts_with("0 orders updated, 2 already done"),
            "{}",
            result.message
        );
        assert_eq!(shop.comments.len(), 2);
        // Without truth records, an order already in its status is not commented again.
        let result = run(&settings, &mut shop, &mut MemoryTruth::default());
        assert!(
            result.message.starts_with("2 orders updated"),
            "{}",
            result.message
        );
        assert_eq!(shop.comments.len(), 2);
    }
}
