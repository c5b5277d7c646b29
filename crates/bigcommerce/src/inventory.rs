//! Update Inventory (docs/zynk-reference.md §2.14 "Import Inventory Updates", its V3 form): sets stock
//! levels (and warning levels) by SKU with v3 absolute inventory adjustments, in batches.
//!
//! Each SKU is matched to a variant first, then to a product. What is adjusted follows the
//! product's `inventory_tracking`: `variant` → the variant; `product` → the product (a SKU of a
//! product's base variant is the product's own); `none` → nothing, the record fails, unless the
//! record's own `inventory_tracking` asks to turn tracking on, which the task does first. A batch
//! the shop refuses (422, e.g. an item tracked another way) is sent again item by item, so only
//! the refused items fail. BigCommerce applies adjustments asynchronously: success means the
//! shop accepted them.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Value, json};
use std::path::PathBuf;

use wharf_guest::{SettingError, TaskResult, TaskSettings};

use crate::outcome::{Files, Outcome};
use crate::xml::{Record, read_records};
use crate::{ApiError, Client, Truth, Web, status_error};

pub const TASK: &str = "bigcommerce-update-inventory";
/// The kind of the truth records: external id the SKU, hash the levels last sent.
pub const TRUTH_KIND: &str = "BigCommerceInventory";
/// BigCommerce takes at most this many items per adjustment or settings request.
pub const MAX_BATCH: i64 = 2000;
const TRACKING: &[&str] = &["none", "product", "variant"];
/// Catalog entries per page while matching SKUs (the v3 maximum).
const CATALOG_PAGE: u32 = 250;

/// What the task does, for `wharf tasks`.
pub const DOC: &str = "Sets BigCommerce stock levels by SKU from an XML file (`ArrayOfInventory/Inventory` or `inventories/inventory`), in batches of absolute adjustments.";

/// The settings of `bigcommerce-update-inventory`.
#[derive(Debug, Clone, TaskSettings)]
pub struct InventorySettings {
    /// The stock levels: `sku`, `inventory_level`, optional `inventory_warning_level` and
    /// `inventory_tracking` (`none`, `product`, `variant`).
    pub input_file: PathBuf,
    /// Where the records applied are written (replaced).
    pub success_file: Option<PathBuf>,
    /// Where the records that could not be applied are written with the reason (replaced).
    pub fail_file: Option<PathBuf>,
    /// Items per adjustment request.
    #[setting(default = 2000, range = 1..=MAX_BATCH)]
    pub batch_size: usize,
    /// The inventory location adjusted.
    #[setting(default = 1, range = 1..)]
    pub location_id: i64,
    /// The reason recorded with the adjustments.
    #[setting(default = "Stock levels from Sage 50")]
    pub reason: String,
    /// Skip SKUs whose levels are what this workflow last sent.
    #[setting(default = false)]
    pub prevent_reprocessing: bool,
}

struct Plan {
    input: std::path::PathBuf,
    files: Files,
    batch: usize,
    location: i64,
    reason: String,
    prevent: bool,
}

fn plan(settings: &InventorySettings) -> Result<Plan, SettingError> {
    Ok(Plan {
        input: settings.input_file.clone(),
        files: Files {
            root: "ArrayOfInventory",
            record: "Inventory",
            success: settings.success_file.clone(),
            fail: settings.fail_file.clone(),
        },
        batch: settings.batch_size,
        location: settings.location_id,
        reason: settings.reason.clone(),
        prevent: settings.prevent_reprocessing,
    })
}

/// One stock level to set.
#[derive(Debug, Clone)]
struct Level {
    record: Record,
    sku: String,
    quantity: i64,
    warning: Option<i64>,
    tracking: Option<&'static str>,
}

impl Level {
    fn hash(&self) -> String {
        match self.warning {
            Some(w) => format!("{}/{w}", self.quantity),
            None => self.quantity.to_string(),
        }
    }
}

/// A whole number from an XML field (`12`, `12.0`); negative stock is set as 0.
fn whole(text: &str) -> Option<i64> {
    let value: f64 = text.trim().parse().ok()?;
    (value.is_finite() && value.fract() == 0.0 && value.abs() < 1e15).then_some(value as i64)
}

fn level(record: &Record) -> Result<Level, String> {
    let sku = record.get("sku").ok_or("no `sku`")?.to_owned();
    let quantity = match record.get("inventory_level") {
        Some(text) => {
            whole(text).ok_or(format!("`inventory_level` `{text}` is not a whole number"))?
        }
        None => return Err("no `inventory_level`".into()),
    };
    let warning = match record.get("inventory_warning_level") {
        Some(text) => Some(whole(text).filter(|w| *w >= 0).ok_or(format!(
            "`inventory_warning_level` `{text}` is not a whole number"
        ))?),
        None => None,
    };
    let tracking = match record.get("inventory_tracking") {
        Some(text) => Some(
            *TRACKING
                .iter()
                .find(|t| t.eq_ignore_ascii_case(text))
                .ok_or(format!(
                    "`inventory_tracking` `{text}` is not `none`, `product` or `variant`"
                ))?,
        ),
        None => None,
    };
    Ok(Level {
        record: record.clone(),
        sku,
        quantity: quantity.max(0),
        warning,
        tracking,
    })
}

/// What an adjustment names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Product(i64),
    Variant(i64),
}

impl Target {
    fn identity(self) -> Value {
        match self {
            Target::Product(id) => json!({ "product_id": id }),
            Target::Variant(id) => json!({ "variant_id": id }),
        }
    }
}

struct Product {
    sku: String,
    tracking: String,
}

/// The catalog entries the input's SKUs name.
#[derive(Default)]
struct Catalog {
    /// SKU → (variant id, product id).
    variants: HashMap<String, (i64, i64)>,
    /// Product id → product, for every product (their tracking decides what is adjusted).
    products: HashMap<i64, Product>,
    /// SKU → product id.
    product_skus: HashMap<String, i64>,
}

impl Catalog {
    fn read<W: Web>(
        client: &mut Client<'_, W>,
        wanted: &HashSet<&str>,
    ) -> Result<Catalog, ApiError> {
        let mut catalog = Catalog::default();
        client.each_v3(
            "v3/catalog/variants?include_fields=sku,product_id",
            CATALOG_PAGE,
            |variant| {
                if let (Some(id), Some(product), Some(sku)) = (
                    variant.get("id").and_then(Value::as_i64),
                    variant.get("product_id").and_then(Value::as_i64),
                    variant.get("sku").and_then(Value::as_str),
                ) && wanted.contains(sku)
                {
                    catalog.variants.insert(sku.to_owned(), (id, product));
                }
                Ok(())
            },
        )?;
        client.each_v3(
            "v3/catalog/products?include_fields=sku,inventory_tracking",
            CATALOG_PAGE,
            |product| {
                if let Some(id) = product.get("id").and_then(Value::as_i64) {
                    let sku = product
                        .get("sku")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    if wanted.contains(sku) {
                        catalog.product_skus.insert(sku.to_owned(), id);
                    }
                    let tracking = product
                        .get("inventory_tracking")
                        .and_then(Value::as_str)
                        .unwrap_or("none");
                    catalog.products.insert(
                        id,
                        Product {
                            sku: sku.to_owned(),
                            tracking: tracking.to_owned(),
                        },
                    );
                }
                Ok(())
            },
        )?;
        Ok(catalog)
    }

    /// The product a SKU belongs to and, if it is a variant's (not the product's own), the
    /// variant.
    fn find(&self, sku: &str) -> Option<(i64, Option<i64>)> {
        if let Some(&(variant, product)) = self.variants.get(sku) {
            let base = self.products.get(&product).is_some_and(|p| p.sku == sku);
            return Some((product, (!base).then_some(variant)));
        }
        self.product_skus.get(sku).map(|&product| (product, None))
    }
}

/// The task against a shop.
pub fn run(settings: &InventorySettings, web: &mut impl Web, truth: &mut impl Truth) -> TaskResult {
    let plan = match plan(settings) {
        Ok(plan) => plan,
        Err(e) => return e.into(),
    };
    let records = match read_records(&plan.input, &["Inventory"]) {
        Ok(records) => records,
        Err(e) => return TaskResult::fail(format!("setting `input-file`: {e}")),
    };
    let folder = plan
        .input
        .parent()
        .unwrap_or(std::path::Path::new("/"))
        .to_owned();
    let mut client = Client::new(web, &folder, TASK);
    let mut done = Outcome::default();
    match update(&plan, records, &mut client, truth, &mut done) {
        Ok(()) => {
            let requests = client.requests;
            done.result(&plan.files, "sku", |sent, skipped, failed| {
                format!(
                    "{} stock levels read: {sent} sent, {skipped} unchanged, {failed} failed ({requests} requests)",
                    sent as u64 + skipped + failed as u64
                )
            })
        }
        Err(e) => e.into(),
    }
}

fn update<W: Web>(
    plan: &Plan,
    records: Vec<Record>,
    client: &mut Client<'_, W>,
    truth: &mut impl Truth,
    done: &mut Outcome,
) -> Result<(), ApiError> {
    let mut levels = Vec::new();
    for record in records {
        match level(&record) {
            Ok(level) => {
                if plan.prevent
                    && truth
                        .find(TRUTH_KIND, &level.sku)
                        .is_some_and(|(_, hash)| hash.as_deref() == Some(level.hash().as_str()))
                {
                    done.skipped += 1;
                } else {
                    levels.push(level);
                }
            }
            Err(why) => done.failed.push((record, why)),
        }
    }
    if levels.is_empty() {
        return Ok(());
    }
    let wanted: HashSet<&str> = levels.iter().map(|l| l.sku.as_str()).collect();
    let mut catalog = Catalog::read(client, &wanted)?;
    drop(wanted);
    let mut targeted: Vec<(Level, Target)> = Vec::new();
    for level in levels {
        match target(&level, &mut catalog, client)? {
            Ok(target) => targeted.push((level, target)),
            Err(why) => done.failed.push((level.record, why)),
        }
    }
    for batch in targeted.chunks(plan.batch) {
        let refused = adjust(plan, batch, client)?;
        for (index, (level, _)) in batch.iter().enumerate() {
            match refused.get(&index) {
                Some(why) => done.failed.push((level.record.clone(), why.clone())),
                None => {
                    truth
                        .upsert(TRUTH_KIND, &level.sku, &level.sku, Some(&level.hash()))
                        .map_err(|e| {
                            ApiError::fail(format!(
                                "SKU {}: the truth store failed: {e}",
                                level.sku
                            ))
                        })?;
                    done.applied.push(level.record.clone());
                }
            }
        }
    }
    Ok(())
}

/// What to adjust for `level`, turning tracking on first when the record asks for it; the
/// inner error is why the record fails.
fn target<W: Web>(
    level: &Level,
    catalog: &mut Catalog,
    client: &mut Client<'_, W>,
) -> Result<Result<Target, String>, ApiError> {
    let Some((product, variant)) = catalog.find(&level.sku) else {
        return Ok(Err("no variant or product has this SKU".into()));
    };
    let current = catalog
        .products
        .get(&product)
        .map_or("none", |p| p.tracking.as_str())
        .to_owned();
    let tracking = match level.tracking {
        Some(wanted) if wanted != current => {
            let url = format!("v3/catalog/products/{product}");
            let answer =
                client.call("PUT", &url, Some(&json!({ "inventory_tracking": wanted })))?;
            match answer.status {
                200..=299 => {}
                400 | 404 | 409 | 422 => {
                    return Ok(Err(format!(
                        "setting its product's tracking to `{wanted}`: PUT {url} {}",
                        answer.problem()
                    )));
                }
                _ => return Err(status_error("PUT", &url, &answer)),
            }
            if let Some(p) = catalog.products.get_mut(&product) {
                p.tracking = wanted.to_owned();
            }
            wanted.to_owned()
        }
        _ => current,
    };
    Ok(match (tracking.as_str(), variant) {
        ("variant", Some(variant)) => Ok(Target::Variant(variant)),
        ("variant", None) => Err(format!(
            "product {product} tracks stock by variant; this SKU is the product's, not a variant's"
        )),
        ("product", None) => Ok(Target::Product(product)),
        ("product", Some(_)) => Err(format!(
            "product {product} tracks stock by product; this SKU is one of its variants'"
        )),
        _ => Err(format!(
            "product {product} does not track stock (`inventory_tracking` `{tracking}`)"
        )),
    })
}

/// Sends one batch; the items the shop refused, by index, with the reason. A refused batch is
/// sent again item by item to tell the refused items from the rest.
fn adjust<W: Web>(
    plan: &Plan,
    batch: &[(Level, Target)],
    client: &mut Client<'_, W>,
) -> Result<BTreeMap<usize, String>, ApiError> {
    let mut refused = BTreeMap::new();
    match send(plan, batch, client)? {
        None => {}
        Some(_) if batch.len() > 1 => {
            for (index, item) in batch.iter().enumerate() {
                if let Some(why) = send(plan, std::slice::from_ref(item), client)? {
                    refused.insert(index, why);
                }
            }
        }
        Some(why) => {
            refused.insert(0, why);
        }
    }
    Ok(refused)
}

/// One adjustment request (and, for the items with one, the warning levels); `Some(reason)`
/// when the shop refused it.
fn send<W: Web>(
    plan: &Plan,
    items: &[(Level, Target)],
    client: &mut Client<'_, W>,
) -> Result<Option<String>, ApiError> {
    let adjustments: Vec<Value> = items
        .iter()
        .map(|(level, target)| {
            let mut item = target.identity();
            item["location_id"] = json!(plan.location);
            item["quantity"] = json!(level.quantity);
            item
        })
        .collect();
    let mut body = json!({ "items": adjustments });
    if !plan.reason.is_empty() {
        body["reason"] = json!(plan.reason);
    }
    let url = "v3/inventory/adjustments/absolute";
    let answer = client.call("PUT", url, Some(&body))?;
    match answer.status {
        200..=299 => {}
        400 | 409 | 422 => return Ok(Some(format!("PUT {url} {}", answer.problem()))),
        _ => return Err(status_error("PUT", url, &answer)),
    }
    let settings: Vec<Value> = items
        .iter()
        .filter_map(|(level, target)| {
            level
                .warning
                .map(|w| json!({ "identity": target.identity(), "warning_level": w }))
        })
        .collect();
    if settings.is_empty() {
        return Ok(None);
    }
    let url = format!("v3/inventory/locations/{}/items", plan.location);
    let answer = client.call("PUT", &url, Some(&json!({ "settings": settings })))?;
    match answer.status {
        200..=299 => Ok(None),
        400 | 409 | 422 => Ok(Some(format!(
            "stock set, but not the warning level: PUT {url} {}",
            answer.problem()
        ))),
        _ => Err(status_error("PUT", &url, &answer)),
    }
}

#[cfg(test)]
mod tests;
