//! Loading stock records from a Zynk `Products` document: how a company is set up for trials
//! and tests (`wharf sage load`). New codes are created with the document's `QtyInStock` as
//! their opening balance; existing ones get the document's descriptive fields and prices, never
//! a stock change (stock moves only through movements and orders, as in Sage).

use serde::{Deserialize, Serialize};
use zynk_xml::{Company, ItemType, Parsed, Product as XmlProduct};

use super::ProcedureError;
use super::mapping::non_blank;
use crate::error::LedgerError;
use crate::ledger::Ledger;
use crate::products::{ItemKind, Product, normalise_stock_code};

/// What a product load did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductLoad {
    pub created: usize,
    pub updated: usize,
    /// One line per record that was not loaded, saying why.
    pub failed: Vec<String>,
}

/// Creates or updates a stock record for every `Products/Product` of `input`.
pub fn load_products(ledger: &mut Ledger, input: &Company) -> Result<ProductLoad, ProcedureError> {
    let mut load = ProductLoad::default();
    for (position, entry) in input
        .products
        .as_deref()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let record = match entry {
            Parsed::Record(record) => record,
            Parsed::Malformed(malformed) => {
                load.failed.push(malformed.error().to_string());
                continue;
            }
        };
        let label = format!(
            "Product {} (Sku '{}')",
            position + 1,
            record.sku.as_deref().unwrap_or_default()
        );
        let Some(sku) = non_blank(&record.sku) else {
            load.failed.push(format!("{label}: it has no Sku"));
            continue;
        };
        let outcome = match normalise_stock_code(sku) {
            Err(rejection) => Err(LedgerError::from(rejection)),
            Ok(code) => match ledger.find_product(&code)? {
                Some(mut existing) => {
                    apply_fields(&mut existing, record);
                    ledger.update_product(&existing).map(|_| false)
                }
                None => {
                    let mut product = ledger.product_template(&code)?;
                    apply_fields(&mut product, record);
                    product.qty_in_stock = record.qty_in_stock.unwrap_or(0.0);
                    ledger.create_product(&product).map(|_| true)
                }
            },
        };
        match outcome {
            Ok(true) => load.created += 1,
            Ok(false) => load.updated += 1,
            Err(LedgerError::Rejected(rejection)) => {
                load.failed.push(format!("{label}: {rejection}"))
            }
            Err(other) => return Err(other.into()),
        }
    }
    Ok(load)
}

/// The document's values over the stock record's (absent values leave the record's).
fn apply_fields(product: &mut Product, record: &XmlProduct) {
    let text = |target: &mut String, value: &Option<String>| {
        if let Some(value) = value {
            value.clone_into(target);
        }
    };
    text(&mut product.description, &record.name);
    text(&mut product.web_description, &record.description);
    text(&mut product.web_details, &record.long_description);
    text(&mut product.barcode, &record.barcode);
    text(&mut product.web_category1, &record.custom1);
    text(&mut product.web_category2, &record.custom2);
    text(&mut product.web_category3, &record.custom3);
    text(&mut product.unit_of_sale, &record.unit_of_sale);
    text(
        &mut product.supplier_account_ref,
        &record.supplier_account_ref,
    );
    text(&mut product.supplier_part_no, &record.supplier_part_no);
    text(&mut product.commodity_code, &record.commodity_code);
    text(
        &mut product.intrastat_commodity_code,
        &record.intrastat_commodity_code,
    );
    text(&mut product.memo, &record.memo);
    text(&mut product.location, &record.location);
    if let Some(image) = non_blank(&record.image_name).or(non_blank(&record.image_url)) {
        image.clone_into(&mut product.web_image_file);
    }
    if let Some(code) = non_blank(&record.nominal_code) {
        code.clone_into(&mut product.nominal_code);
    }
    if let Some(code) = non_blank(&record.purchase_nominal_code) {
        code.clone_into(&mut product.purchase_nominal_code);
    }
    let number = |target: &mut f64, value: Option<f64>| {
        if let Some(value) = value {
            *target = value;
        }
    };
    number(&mut product.sales_price, record.sale_price);
    number(&mut product.unit_weight, record.unit_weight);
    number(&mut product.reorder_qty, record.reorder_qty);
    number(&mut product.reorder_level, record.reorder_level);
    number(&mut product.last_cost_price, record.last_cost_price);
    number(
        &mut product.last_cost_price_discounted,
        record.last_cost_price_discounted,
    );
    number(&mut product.average_cost_price, record.average_cost_price);
    number(&mut product.standard_cost_price, record.standard_cost_price);
    number(&mut product.qty_last_order, record.qty_last_order);
    if record.rrp_price.is_some() {
        product.rrp_price = record.rrp_price;
    }
    let integer = |target: &mut i32, value: Option<i32>| {
        if let Some(value) = value {
            *target = value;
        }
    };
    integer(&mut product.tax_code, record.tax_code);
    integer(&mut product.category, record.group_code);
    integer(&mut product.department, record.department);
    let flag = |target: &mut bool, value: Option<bool>| {
        if let Some(value) = value {
            *target = value;
        }
    };
    flag(&mut product.publish, record.publish);
    flag(&mut product.special_offer, record.special_offer);
    flag(&mut product.allow_sales_order, record.allow_sales_order);
    flag(
        &mut product.use_description_on_docs,
        record.use_description_on_docs,
    );
    if let Some(active) = record.is_active {
        product.inactive = !active;
    }
    match record.item_type {
        Some(ItemType::Stock) => product.item_kind = ItemKind::Stock,
        Some(ItemType::NonStock) => product.item_kind = ItemKind::NonStock,
        Some(ItemType::Service) => product.item_kind = ItemKind::Service,
        Some(ItemType::INVALID) | None => {}
    }
}
