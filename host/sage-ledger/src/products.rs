//! Stock records (`STOCK`), stock movements (`STOCK_TRAN`) and the stock-record query the
//! export uses (docs/zynk-reference.md §5.10, §5.11).
//!
//! Every change to an exported field bumps `modified`, including quantity changes caused by
//! movements and allocation: without that, stock levels would never reach the web shops.

use chrono::NaiveDateTime;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::company::CompanySettings;
use crate::error::{LedgerResult, Rejection};
use crate::ledger::Ledger;
use crate::reference;
use crate::sql::{fit, sql_table, text_enum};

text_enum! {
    /// Sage item type.
    pub enum ItemKind { Stock, NonStock, Service }
}

text_enum! {
    /// Stock movement types (`STOCK_TRAN.TYPE`): AI, AO, GI, GO.
    pub enum MovementType { AdjustmentIn, AdjustmentOut, GoodsIn, GoodsOut }
}

impl MovementType {
    /// Sage's two-letter code.
    pub fn code(self) -> &'static str {
        match self {
            MovementType::AdjustmentIn => "AI",
            MovementType::AdjustmentOut => "AO",
            MovementType::GoodsIn => "GI",
            MovementType::GoodsOut => "GO",
        }
    }

    fn adds_stock(self) -> bool {
        matches!(self, MovementType::AdjustmentIn | MovementType::GoodsIn)
    }
}

/// Codes Sage reserves for special order lines; no stock record may take them.
pub const SPECIAL_LINE_CODES: [&str; 4] = ["S1", "S2", "S3", "M"];

sql_table! {
    /// A stock record. Quantities, `created` and `modified` are the ledger's own: `create_product`
    /// takes `qty_in_stock` as the opening balance, updates never change quantities.
    pub struct Product in "products" {
        /// Product code (≤ 30 characters).
        key stock_code,
        /// Sage "Description" (Zynk `Name`).
        description: String,
        item_kind: ItemKind,
        /// Web description (Zynk `Description`).
        web_description: String,
        /// Web details (Zynk `LongDescription`).
        web_details: String,
        barcode: String,
        /// Stock category number (Zynk `GroupCode`).
        category: i32,
        location: String,
        unit_weight: f64,
        /// Sales nominal code.
        nominal_code: String,
        purchase_nominal_code: String,
        supplier_account_ref: String,
        supplier_part_no: String,
        tax_code: i32,
        department: i32,
        commodity_code: String,
        intrastat_commodity_code: String,
        unit_of_sale: String,
        sales_price: f64,
        last_cost_price: f64,
        last_cost_price_discounted: f64,
        average_cost_price: f64,
        standard_cost_price: f64,
        rrp_price: Option<f64>,
        qty_in_stock: f64,
        qty_allocated: f64,
        qty_on_order: f64,
        qty_last_order: f64,
        reorder_qty: f64,
        reorder_level: f64,
        /// "Publish to Web" (`WEB_PUBLISH`).
        publish: bool,
        special_offer: bool,
        web_category1: String,
        web_category2: String,
        web_category3: String,
        web_image_file: String,
        memo: String,
        allow_sales_order: bool,
        use_description_on_docs: bool,
        inactive: bool,
        inactive_date: Option<NaiveDateTime>,
        created: NaiveDateTime,
        modified: NaiveDateTime,
    }
}

impl Product {
    /// A new stock record carrying the company's product defaults.
    pub fn with_defaults(stock_code: &str, company: &CompanySettings) -> Product {
        let defaults = &company.product_defaults;
        Product {
            stock_code: stock_code.to_owned(),
            description: String::new(),
            item_kind: defaults.item_kind,
            web_description: String::new(),
            web_details: String::new(),
            barcode: String::new(),
            category: defaults.category,
            location: String::new(),
            unit_weight: 0.0,
            nominal_code: defaults.nominal_code.clone(),
            purchase_nominal_code: defaults.purchase_nominal_code.clone(),
            supplier_account_ref: String::new(),
            supplier_part_no: String::new(),
            tax_code: defaults.tax_code,
            department: defaults.department,
            commodity_code: String::new(),
            intrastat_commodity_code: String::new(),
            unit_of_sale: defaults.unit_of_sale.clone(),
            sales_price: 0.0,
            last_cost_price: 0.0,
            last_cost_price_discounted: 0.0,
            average_cost_price: 0.0,
            standard_cost_price: 0.0,
            rrp_price: None,
            qty_in_stock: 0.0,
            qty_allocated: 0.0,
            qty_on_order: 0.0,
            qty_last_order: 0.0,
            reorder_qty: 0.0,
            reorder_level: 0.0,
            publish: false,
            special_offer: false,
            web_category1: String::new(),
            web_category2: String::new(),
            web_category3: String::new(),
            web_image_file: String::new(),
            memo: String::new(),
            allow_sales_order: true,
            use_description_on_docs: false,
            inactive: false,
            inactive_date: None,
            created: NaiveDateTime::default(),
            modified: NaiveDateTime::default(),
        }
    }

    /// Free stock: in stock less allocated, never below zero (docs/zynk-reference.md §5.7).
    pub fn free_stock(&self) -> f64 {
        (self.qty_in_stock - self.qty_allocated).max(0.0)
    }

    fn fit_to_columns(&mut self) {
        for (field, max) in [
            (&mut self.description, 60),
            (&mut self.web_description, 255),
            (&mut self.web_details, 1023),
            (&mut self.barcode, 60),
            (&mut self.location, 16),
            (&mut self.supplier_part_no, 16),
            (&mut self.commodity_code, 30),
            (&mut self.intrastat_commodity_code, 8),
            (&mut self.unit_of_sale, 8),
            (&mut self.web_category1, 60),
            (&mut self.web_category2, 60),
            (&mut self.web_category3, 60),
            (&mut self.web_image_file, 255),
        ] {
            fit(field, max);
        }
    }
}

/// A quantity moved in or out of stock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockMovement {
    pub stock_code: String,
    pub movement: MovementType,
    /// Above zero; the movement type gives the direction.
    pub quantity: f64,
    pub reference: String,
    pub details: String,
}

/// Which stock records an export selects (`ExportSettings/ExportType`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum StockSelection {
    /// Created after the cursor.
    New,
    /// Created or modified after the cursor.
    #[default]
    Modified,
    /// Every record; the cursor is ignored.
    All,
}

/// Stock-record query: selection and "Export Published Products".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockRecordFilter {
    pub selection: StockSelection,
    /// Only records with Publish to Web set (ANDed with the selection, docs/zynk-reference.md §5.10).
    pub published_only: bool,
}

/// Checks a product code: trimmed, 1–30 characters, printable, not a special line code.
/// Over-long codes are rejected, not cut (docs/zynk-reference.md §6.39).
pub fn normalise_stock_code(code: &str) -> Result<String, Rejection> {
    let trimmed = code.trim();
    let invalid = |reason: &str| Rejection::InvalidProductCode {
        code: trimmed.to_owned(),
        reason: reason.to_owned(),
    };
    if trimmed.is_empty() {
        return Err(invalid("it is empty"));
    }
    if trimmed.chars().count() > 30 {
        return Err(invalid("Sage product codes are at most 30 characters"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(invalid("it contains control characters"));
    }
    if SPECIAL_LINE_CODES
        .iter()
        .any(|special| special.eq_ignore_ascii_case(trimmed))
    {
        return Err(invalid("it is reserved by Sage for special order lines"));
    }
    Ok(trimmed.to_owned())
}

pub(crate) fn find(conn: &Connection, stock_code: &str) -> LedgerResult<Option<Product>> {
    let sql = format!("{} WHERE stock_code = ?1", Product::select_sql());
    let found = conn
        .prepare_cached(&sql)?
        .query_row([stock_code.trim()], Product::from_row)
        .optional()?;
    Ok(found)
}

fn validate(conn: &Connection, product: &Product) -> LedgerResult<()> {
    use crate::limits::{money, stock_quantity};
    for (field, amount) in [
        ("sales price", product.sales_price),
        ("last cost price", product.last_cost_price),
        (
            "discounted last cost price",
            product.last_cost_price_discounted,
        ),
        ("average cost price", product.average_cost_price),
        ("standard cost price", product.standard_cost_price),
        ("RRP", product.rrp_price.unwrap_or(0.0)),
    ] {
        money(field, amount, true)?;
    }
    for (field, quantity) in [
        ("quantity in stock", product.qty_in_stock),
        ("quantity allocated", product.qty_allocated),
        ("quantity on order", product.qty_on_order),
        ("last order quantity", product.qty_last_order),
        ("reorder quantity", product.reorder_qty),
        ("reorder level", product.reorder_level),
        ("unit weight", product.unit_weight),
    ] {
        stock_quantity(field, quantity)?;
    }
    reference::require_tax_code(conn, product.tax_code)?;
    reference::require_nominal(conn, &product.nominal_code)?;
    if !product.purchase_nominal_code.trim().is_empty() {
        reference::require_nominal(conn, &product.purchase_nominal_code)?;
    }
    reference::require_department(product.department)?;
    Ok(())
}

pub(crate) fn insert(
    conn: &Connection,
    stamp: NaiveDateTime,
    product: &Product,
) -> LedgerResult<Product> {
    let mut product = product.clone();
    product.stock_code = normalise_stock_code(&product.stock_code)?;
    if find(conn, &product.stock_code)?.is_some() {
        return Err(Rejection::ProductExists(product.stock_code).into());
    }
    product.fit_to_columns();
    validate(conn, &product)?;
    let opening_balance = product.qty_in_stock;
    product.qty_in_stock = 0.0;
    product.qty_allocated = 0.0;
    product.qty_on_order = 0.0;
    product.created = stamp;
    product.modified = stamp;
    conn.prepare_cached(Product::insert_sql())?
        .execute(product.sql_params().as_slice())?;
    // The opening balance is a stock movement, as in Sage (AI, or AO for a negative balance).
    if opening_balance != 0.0 {
        let movement = StockMovement {
            stock_code: product.stock_code.clone(),
            movement: if opening_balance > 0.0 {
                MovementType::AdjustmentIn
            } else {
                MovementType::AdjustmentOut
            },
            quantity: opening_balance.abs(),
            reference: "O/Bal".into(),
            details: "Opening stock".into(),
        };
        product = record_movement(conn, stamp, &movement)?;
    }
    Ok(product)
}

/// Writes changed descriptive fields; quantities and timestamps stay the ledger's.
pub(crate) fn update(
    conn: &Connection,
    stamp: NaiveDateTime,
    changed: &Product,
) -> LedgerResult<Product> {
    let existing = find(conn, &changed.stock_code)?
        .ok_or_else(|| Rejection::ProductNotFound(changed.stock_code.trim().to_owned()))?;
    let mut product = changed.clone();
    product.stock_code = existing.stock_code.clone();
    product.qty_in_stock = existing.qty_in_stock;
    product.qty_allocated = existing.qty_allocated;
    product.qty_on_order = existing.qty_on_order;
    product.created = existing.created;
    product.modified = existing.modified;
    product.fit_to_columns();
    validate(conn, &product)?;
    if product != existing {
        product.modified = stamp;
        conn.prepare_cached(Product::update_sql())?
            .execute(product.sql_params().as_slice())?;
    }
    Ok(product)
}

pub(crate) fn record_movement(
    conn: &Connection,
    stamp: NaiveDateTime,
    movement: &StockMovement,
) -> LedgerResult<Product> {
    // Also refuses NaN.
    if movement.quantity.is_nan() || movement.quantity <= 0.0 {
        return Err(Rejection::InvalidMovementQuantity(movement.quantity).into());
    }
    let mut product = find(conn, &movement.stock_code)?
        .ok_or_else(|| Rejection::ProductNotFound(movement.stock_code.trim().to_owned()))?;
    let signed = if movement.movement.adds_stock() {
        movement.quantity
    } else {
        -movement.quantity
    };
    product.qty_in_stock += signed;
    crate::limits::stock_quantity("quantity in stock", product.qty_in_stock)?;
    product.modified = stamp;
    conn.prepare_cached(
        "UPDATE products SET qty_in_stock = ?2, modified = ?3 WHERE stock_code = ?1",
    )?
    .execute(params![product.stock_code, product.qty_in_stock, stamp])?;
    conn.prepare_cached(
        "INSERT INTO stock_movements (stock_code, type, date, quantity, reference, details) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        product.stock_code,
        movement.movement.code(),
        stamp,
        signed,
        movement.reference,
        movement.details
    ])?;
    Ok(product)
}

/// Sets the allocated quantity and bumps the modified stamp (docs/zynk-reference.md §5.11: allocation is a change).
pub(crate) fn set_allocated(
    conn: &Connection,
    stock_code: &str,
    qty_allocated: f64,
    stamp: NaiveDateTime,
) -> LedgerResult<()> {
    conn.prepare_cached(
        "UPDATE products SET qty_allocated = ?2, modified = ?3 WHERE stock_code = ?1",
    )?
    .execute(params![stock_code, qty_allocated, stamp])?;
    Ok(())
}

pub(crate) fn stock_records(
    conn: &Connection,
    since: NaiveDateTime,
    filter: StockRecordFilter,
) -> LedgerResult<Vec<Product>> {
    let date_condition = match filter.selection {
        StockSelection::New => "created > ?1",
        StockSelection::Modified => "(modified > ?1 OR created > ?1)",
        StockSelection::All => "?1 IS NOT NULL",
    };
    let publish_condition = if filter.published_only {
        " AND publish = 1"
    } else {
        ""
    };
    let sql = format!(
        "{} WHERE {date_condition}{publish_condition} ORDER BY stock_code",
        Product::select_sql()
    );
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map([since], Product::from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Product operations.
impl Ledger {
    pub fn find_product(&self, stock_code: &str) -> LedgerResult<Option<Product>> {
        find(&self.conn, stock_code)
    }

    pub fn products(&self) -> LedgerResult<Vec<Product>> {
        let sql = format!("{} ORDER BY stock_code", Product::select_sql());
        let mut statement = self.conn.prepare_cached(&sql)?;
        let rows = statement.query_map([], Product::from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A new stock record template with the company's product defaults.
    pub fn product_template(&self, stock_code: &str) -> LedgerResult<Product> {
        let company = crate::company::load(&self.conn)?;
        Ok(Product::with_defaults(stock_code, &company))
    }

    /// Creates a stock record; a non-zero `qty_in_stock` becomes the opening-balance movement.
    pub fn create_product(&mut self, product: &Product) -> LedgerResult<Product> {
        let tx = self.conn.transaction()?;
        let created = insert(&tx, self.stamper.next(), product)?;
        tx.commit()?;
        Ok(created)
    }

    /// Changes a stock record's details (never its quantities).
    pub fn update_product(&mut self, product: &Product) -> LedgerResult<Product> {
        let tx = self.conn.transaction()?;
        let updated = update(&tx, self.stamper.next(), product)?;
        tx.commit()?;
        Ok(updated)
    }

    /// Moves stock in or out (adjustments, goods in/out).
    pub fn record_stock_movement(&mut self, movement: &StockMovement) -> LedgerResult<Product> {
        let tx = self.conn.transaction()?;
        let product = record_movement(&tx, self.stamper.next(), movement)?;
        tx.commit()?;
        Ok(product)
    }

    /// Stock records for an export: those selected relative to `since` (`>`, docs/zynk-reference.md §5.11), in code order.
    pub fn stock_records(
        &self,
        since: NaiveDateTime,
        filter: StockRecordFilter,
    ) -> LedgerResult<Vec<Product>> {
        stock_records(&self.conn, since, filter)
    }
}
