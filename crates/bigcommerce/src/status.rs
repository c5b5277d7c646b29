//! Update Order Status (docs/zynk-reference.md §2.14 "Import Order Updates", its V3 form): moves each order
//! of the input file (`orders/order/id`) to the status named by `notify-stage`, looked up by
//! name among the store's statuses. Orders updated go to the success file, those the shop
//! refused (with the reason) to the fail file. With `prevent-reprocessing`, an order already
//! moved to that status by this workflow (its truth record says so) is not sent again.

use std::path::PathBuf;

use wharf_guest::{SettingError, TaskResult, TaskSettings};

use crate::outcome::{Files, Outcome};
use crate::xml::{Record, read_records};
use crate::{ApiError, Client, Truth, Web, order_statuses, status_error, status_id};

pub const TASK: &str = "bigcommerce-update-order-status";
/// The kind of the truth records: internal id the status name, external id the order id.
pub const TRUTH_KIND: &str = "BigCommerceOrderStatus";

/// What the task does, for `wharf tasks`.
pub const DOC: &str =
    "Sets the status of the BigCommerce orders listed in an XML file (`orders/order/id`).";

/// The settings of `bigcommerce-update-order-status`.
#[derive(Debug, Clone, TaskSettings)]
pub struct StatusSettings {
    /// The orders to update (`orders/order/id`).
    pub input_file: PathBuf,
    /// The status the orders move to, by name.
    #[setting(default = "Completed", non_empty)]
    pub notify_stage: String,
    /// Where the orders updated are written (replaced).
    pub success_file: Option<PathBuf>,
    /// Where the orders the shop refused are written with the reason (replaced).
    pub fail_file: Option<PathBuf>,
    /// Skip orders this workflow already moved to this status.
    #[setting(default = false)]
    pub prevent_reprocessing: bool,
}

struct Plan {
    input: std::path::PathBuf,
    stage: String,
    files: Files,
    prevent: bool,
}

fn plan(settings: &StatusSettings) -> Result<Plan, SettingError> {
    Ok(Plan {
        input: settings.input_file.clone(),
        stage: settings.notify_stage.trim().to_owned(),
        files: Files {
            root: "orders",
            record: "order",
            success: settings.success_file.clone(),
            fail: settings.fail_file.clone(),
        },
        prevent: settings.prevent_reprocessing,
    })
}

/// The task against a shop.
pub fn run(settings: &StatusSettings, web: &mut impl Web, truth: &mut impl Truth) -> TaskResult {
    let plan = match plan(settings) {
        Ok(plan) => plan,
        Err(e) => return e.into(),
    };
    let records = match read_records(&plan.input, &["order"]) {
        Ok(records) => records,
        Err(e) => return TaskResult::fail(format!("setting `input-file`: {e}")),
    };
    let folder = plan
        .input
        .parent()
        .unwrap_or(std::path::Path::new("/"))
        .to_owned();
    let mut client = Client::new(web, &folder, TASK);
    match update(&plan, &records, &mut client, truth) {
        Ok(done) => done.result(&plan.files, "order", |moved, skipped, failed| {
            format!(
                "{} orders read: {moved} moved to `{}`, {skipped} already there, {failed} failed",
                moved as u64 + skipped + failed as u64,
                plan.stage
            )
        }),
        Err(e) => e.into(),
    }
}

fn update<W: Web>(
    plan: &Plan,
    records: &[Record],
    client: &mut Client<'_, W>,
    truth: &mut impl Truth,
) -> Result<Outcome, ApiError> {
    let mut done = Outcome::default();
    if records.is_empty() {
        return Ok(done);
    }
    let status = status_id(&order_statuses(client)?, "notify-stage", &plan.stage)?;
    for record in records {
        let Some(id) = record.get("id").and_then(|id| id.parse::<u64>().ok()) else {
            let why = match record.get("id") {
                Some(text) => format!("`{text}` is not an order id"),
                None => "no order id".to_owned(),
            };
            done.failed.push((record.clone(), why));
            continue;
        };
        let external = id.to_string();
        if plan.prevent
            && truth
                .find(TRUTH_KIND, &external)
                .is_some_and(|(stage, _)| stage.eq_ignore_ascii_case(&plan.stage))
        {
            done.skipped += 1;
            continue;
        }
        let url = format!("v2/orders/{id}");
        let answer = client.call(
            "PUT",
            &url,
            Some(&serde_json::json!({ "status_id": status })),
        )?;
        match answer.status {
            200..=299 => {
                truth
                    .upsert(TRUTH_KIND, &plan.stage, &external, None)
                    .map_err(|e| {
                        ApiError::fail(format!("order {id}: the truth store failed: {e}"))
                    })?;
                done.applied.push(record.clone());
            }
            // The order is the trouble (gone, or a change the shop refuses): the others go on.
            400 | 404 | 409 | 422 => done
                .failed
                .push((record.clone(), format!("PUT {url} {}", answer.problem()))),
            // The shop or the credentials are the trouble: stop, the next run does the rest.
            _ => return Err(status_error("PUT", &url, &answer)),
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests;
