//! Update Inventory in Magento 2 (docs/zynk-reference.md §2.13 and its V2 form): stock levels by SKU, as MSI
//! source items (`POST /V1/inventory/source-items`, many per request; Magento validates a
//! request whole, so a refused batch is sent again item by item to find the SKUs at fault), or
//! through the legacy stock item endpoint (`PUT /V1/products/{sku}/stockItems/1`, one request per
//! SKU). With `prevent-reprocessing` the truth records skip SKUs whose level was last sent as it
//! is now.

use std::path::PathBuf;

use bigcommerce::outcome::{Files, Outcome};
use bigcommerce::status_error;
use bigcommerce::xml::{Record, read_records};
use serde_json::{Value, json};
use wharf_guest::{ResultCode, SettingChoice, TaskResult, TaskSettings};

use crate::{ApiError, Client, Truth, Web, api_url, client_beside, encode};

pub const TASK: &str = "magento2-update-inventory";
/// The truth records' kind: external id the SKU, hash the level and stock status last sent.
pub const TRUTH_KIND: &str = "Magento2Stock";
/// What the task does, for `wharf tasks`.
pub const DOC: &str = "Sets Magento 2 stock levels by SKU from an XML file (MSI source items, or the legacy stock item endpoint).";

/// The settings of `magento2-update-inventory`.
#[derive(Debug, Clone, TaskSettings)]
pub struct InventorySettings {
    /// The stock levels: `ArrayOfInventory/Inventory` or `ArrayOfStockItem/StockItem`, each
    /// with `sku`, `qty` and optionally `is_in_stock` (otherwise in stock when `qty` is above 0).
    pub input_file: PathBuf,
    /// `SourceItems`: MSI source items (Magento 2.3 and later); `StockItems`: the legacy stock
    /// item endpoint.
    #[setting(default = "SourceItems")]
    pub method: StockMethod,
    /// The MSI source the levels are for.
    #[setting(default = "default", non_empty)]
    pub source_code: String,
    /// Source items per request.
    #[setting(default = 100, range = 1..=1000)]
    pub batch_size: u32,
    /// Where the SKUs updated are written (replaced).
    pub success_file: Option<PathBuf>,
    /// Where the SKUs not updated are written with the reason (replaced).
    pub fail_file: Option<PathBuf>,
    /// Skip SKUs whose level and stock status were last sent as they are now (truth records).
    #[setting(default = false)]
    pub prevent_reprocessing: bool,
    /// The store view whose REST endpoint is used (`rest/<code>/V1/…`).
    #[setting(default = "default", non_empty)]
    pub store_view_code: String,
}

/// How stock levels are written (the `method` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, SettingChoice)]
pub enum StockMethod {
    SourceItems,
    StockItems,
}

struct Level {
    record: Record,
    sku: String,
    qty: f64,
    in_stock: bool,
}

impl Level {
    fn hash(&self) -> String {
        format!("{}|{}", self.qty, u8::from(self.in_stock))
    }
}

fn parse_level(record: Record) -> Result<Level, (Record, String)> {
    let Some(sku) = record.get("sku").map(str::to_owned) else {
        return Err((record, "no `sku`".into()));
    };
    let qty = match record.get("qty").map(str::parse::<f64>) {
        Some(Ok(qty)) if qty.is_finite() => qty,
        _ => {
            let text = record.get("qty").unwrap_or("").to_owned();
            return Err((record, format!("`qty` is not a number: `{text}`")));
        }
    };
    let in_stock = match record.get("is_in_stock") {
        None => qty > 0.0,
        Some(text) => match text.to_ascii_lowercase().as_str() {
            "1" | "true" => true,
            "0" | "false" => false,
            _ => {
                let text = text.to_owned();
                return Err((
                    record,
                    format!("`is_in_stock` is not 1, 0, true or false: `{text}`"),
                ));
            }
        },
    };
    Ok(Level {
        record,
        sku,
        qty,
        in_stock,
    })
}

/// The task against a shop.
pub fn run(settings: &InventorySettings, web: &mut impl Web, truth: &mut impl Truth) -> TaskResult {
    let records = match read_records(&settings.input_file, &["Inventory", "StockItem"]) {
        Ok(records) => records,
        Err(e) => return TaskResult::fail(format!("setting `input-file`: {e}")),
    };
    let stock_items = records.first().is_some_and(|r| r.get("item_id").is_some());
    let files = Files {
        root: if stock_items {
            "ArrayOfStockItem"
        } else {
            "ArrayOfInventory"
        },
        record: if stock_items {
            "StockItem"
        } else {
            "Inventory"
        },
        success: settings.success_file.clone(),
        fail: settings.fail_file.clone(),
    };
    let mut client = client_beside(web, &settings.input_file, TASK);
    let mut outcome = Outcome::default();
    let mut levels = Vec::new();
    for record in records {
        match parse_level(record) {
            Ok(level) => {
                let unchanged = settings.prevent_reprocessing
                    && truth
                        .find(TRUTH_KIND, &level.sku)
                        .is_some_and(|(_, hash)| hash.as_deref() == Some(level.hash().as_str()));
                if unchanged {
                    outcome.skipped += 1;
                } else {
                    levels.push(level);
                }
            }
            Err(failed) => outcome.failed.push(failed),
        }
    }
    let sent = match settings.method {
        StockMethod::SourceItems => source_items(settings, &mut client, levels, &mut outcome),
        StockMethod::StockItems => stock_items_each(settings, &mut client, levels, &mut outcome),
    };
    let sent = match sent {
        Ok(sent) => sent,
        Err(e) => return TaskResult::new(e.code, e.message),
    };
    for level in sent {
        if let Err(e) = truth.upsert(TRUTH_KIND, &level.sku, &level.sku, Some(&level.hash())) {
            return TaskResult::fail(format!(
                "cannot record SKU {} in the truth records: {e}",
                level.sku
            ));
        }
        outcome.applied.push(level.record);
    }
    outcome.result(&files, "sku", |applied, skipped, failed| {
        format!(
            "{applied} stock levels set, {skipped} unchanged, {failed} failed ({} requests)",
            client.requests
        )
    })
}

/// Whether an answer ends the task (the connection may not do this at all).
fn fatal(error: &ApiError) -> bool {
    matches!(error.code, ResultCode::NotAuthorised)
}

fn source_item(settings: &InventorySettings, level: &Level) -> Value {
    json!({
        "sku": level.sku,
        "source_code": settings.source_code.trim(),
        "quantity": level.qty,
        "status": u8::from(level.in_stock),
    })
}

/// MSI source items in batches; the levels the shop took.
fn source_items<W: Web>(
    settings: &InventorySettings,
    client: &mut Client<'_, W>,
    levels: Vec<Level>,
    outcome: &mut Outcome,
) -> Result<Vec<Level>, ApiError> {
    let url = api_url(settings.store_view_code.trim(), "inventory/source-items");
    let mut sent = Vec::new();
    let mut levels = levels.into_iter().peekable();
    while levels.peek().is_some() {
        let batch: Vec<Level> = levels.by_ref().take(settings.batch_size as usize).collect();
        let items: Vec<Value> = batch.iter().map(|l| source_item(settings, l)).collect();
        let answer = client.call("POST", &url, Some(&json!({ "sourceItems": items })))?;
        if answer.is_success() {
            sent.extend(batch);
            continue;
        }
        let error = status_error("POST", &url, &answer);
        if fatal(&error) || batch.len() == 1 || answer.status != 400 {
            if fatal(&error) {
                return Err(error);
            }
            for level in batch {
                outcome.failed.push((level.record, error.message.clone()));
            }
            continue;
        }
        // Magento refuses a batch whole: find the SKUs at fault one by one.
        for level in batch {
            let body = json!({ "sourceItems": [source_item(settings, &level)] });
            let answer = client.call("POST", &url, Some(&body))?;
            if answer.is_success() {
                sent.push(level);
            } else {
                let error = status_error("POST", &url, &answer);
                if fatal(&error) {
                    return Err(error);
                }
                outcome.failed.push((level.record, error.message));
            }
        }
    }
    Ok(sent)
}

/// The legacy stock item endpoint, one SKU per request; the levels the shop took.
fn stock_items_each<W: Web>(
    settings: &InventorySettings,
    client: &mut Client<'_, W>,
    levels: Vec<Level>,
    outcome: &mut Outcome,
) -> Result<Vec<Level>, ApiError> {
    let store = settings.store_view_code.trim();
    let mut sent = Vec::new();
    for level in levels {
        let url = api_url(
            store,
            &format!("products/{}/stockItems/1", encode(&level.sku)),
        );
        let body = json!({ "stockItem": { "qty": level.qty, "is_in_stock": level.in_stock } });
        let answer = client.call("PUT", &url, Some(&body))?;
        if answer.is_success() {
            sent.push(level);
        } else {
            let error = status_error("PUT", &url, &answer);
            if fatal(&error) {
                return Err(error);
            }
            outcome.failed.push((level.record, error.message));
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::MiniMagento;
    use bigcommerce::truth::MemoryTruth;

    fn input(dir: &std::path::Path) -> String {
        let path = dir.join("inventory.xml");
        std::fs::write(
            &path,
            "<ArrayOfInventory><Inventory><sku>MG-1</sku><qty>5</qty><is_in_stock>1</is_in_stock></Inventory>\
             <Inventory><sku>NOPE</sku><qty>2</qty></Inventory><Inventory><sku>MG-2</sku><qty>0</qty></Inventory>\
             <Inventory><sku>MG-3</sku><qty>many</qty></Inventory></ArrayOfInventory>",
        )
        .unwrap();
        path.display().to_string()
    }

    #[test]
    fn a_refused_batch_is_sent_again_item_by_item() {
        let dir = tempfile::tempdir().unwrap();
        let mut shop = MiniMagento::with_orders(0);
        let fail = dir.path().join("fail.xml").display().to_string();
        let settings = InventorySettings::from_pairs(&[
            ("input-file", input(dir.path())),
            ("fail-file", fail.clone()),
            ("prevent-reprocessing", "true".into()),
        ])
        .unwrap();
        let mut truth = MemoryTruth::default();
        let result = run(&settings, &mut shop, &mut truth);
        assert!(
            result
                .message
                .starts_with("2 stock levels set, 0 unchanged, 2 failed (4 requests)"),
            "{}",
            result.message
        );
        assert_eq!(shop.stock["MG-1"], (5.0, 1));
        assert_eq!(shop.stock["MG-2"], (0.0, 0));
        let failed = std::fs::read_to_string(&fail).unwrap();
        assert!(
            failed.contains("NOPE")
                && failed.contains("answered 400")
                && failed.contains("`qty` is not a number"),
            "{failed}"
        );
        let result = run(&settings, &mut shop, &mut truth);
        assert!(
            result
                .message
                .starts_with("0 stock levels set, 2 unchanged, 2 failed (1 requests)"),
            "{}",
            result.message
        );
    }

    #[test]
    fn the_legacy_endpoint_takes_one_sku_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let mut shop = MiniMagento::with_orders(0);
        let settings = InventorySettings::from_pairs(&[
            ("input-file", input(dir.path())),
            ("method", "StockItems".into()),
        ])
        .unwrap();
        let result = run(&settings, &mut shop, &mut MemoryTruth::default());
        assert!(
            result
                .message
                .starts_with("2 stock levels set, 0 unchanged, 2 failed (3 requests)"),
            "{}",
            result.message
        );
        assert_eq!(shop.legacy["MG-1"], 5.0);
    }
}
