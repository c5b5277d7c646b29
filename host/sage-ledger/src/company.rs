//! Company details and the defaults Sage applies when the data leaves a value out.

use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::{LedgerError, LedgerResult};
use crate::ledger::Ledger;
use crate::products::ItemKind;

/// Company record and the Sage defaults used by imports (Settings › Customer/Product/Invoice defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CompanySettings {
    pub name: String,
    pub street1: String,
    pub street2: String,
    pub town: String,
    pub county: String,
    pub postcode: String,
    /// Where the company is: deliveries to this country use the "Base" VAT rule (docs/zynk-reference.md §5.9, §6.40).
    pub country_code: String,
    pub vat_number: String,
    /// ISO code of the base currency (Sage currency number 1).
    pub base_currency: String,
    pub customer_defaults: CustomerDefaults,
    pub product_defaults: ProductDefaults,
    pub order_defaults: OrderDefaults,
}

/// Customer defaults applied when a new account is created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomerDefaults {
    pub tax_code: i32,
    pub nominal_code: String,
    /// ISO code; the account currency when the data gives none.
    pub currency: String,
    pub credit_limit: f64,
    pub payment_days: f64,
    pub settlement_days: i32,
    pub settlement_discount: f64,
    pub terms: String,
    pub department: i32,
}

/// Product defaults applied when a stock record is created (also by auto-create on orders).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProductDefaults {
    pub tax_code: i32,
    pub nominal_code: String,
    pub purchase_nominal_code: String,
    pub unit_of_sale: String,
    pub item_kind: ItemKind,
    pub department: i32,
    pub category: i32,
}

/// Sales order footer defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderDefaults {
    /// Nominal for carriage when the order's carriage has none (docs/zynk-reference.md §5.6).
    pub carriage_nominal_code: String,
    /// Tax code for carriage when neither VAT settings nor the order give one (docs/zynk-reference.md §5.6: T1).
    pub carriage_tax_code: i32,
}

impl Default for CompanySettings {
    fn default() -> Self {
        CompanySettings {
            name: "Wharf Trading Ltd".into(),
            street1: String::new(),
            street2: String::new(),
            town: String::new(),
            county: String::new(),
            postcode: String::new(),
            country_code: "GB".into(),
            vat_number: String::new(),
            base_currency: "GBP".into(),
            customer_defaults: CustomerDefaults::default(),
            product_defaults: ProductDefaults::default(),
            order_defaults: OrderDefaults::default(),
        }
    }
}

impl Default for CustomerDefaults {
    fn default() -> Self {
        CustomerDefaults {
            tax_code: 1,
            nominal_code: "4000".into(),
            currency: "GBP".into(),
            credit_limit: 0.0,
            payment_days: 30.0,
            settlement_days: 0,
            settlement_discount: 0.0,
            terms: String::new(),
            department: 0,
        }
    }
}

impl Default for ProductDefaults {
    fn default() -> Self {
        ProductDefaults {
            tax_code: 1,
            nominal_code: "4000".into(),
            purchase_nominal_code: "5000".into(),
            unit_of_sale: "Each".into(),
            item_kind: ItemKind::Stock,
            department: 0,
            category: 1,
        }
    }
}

impl Default for OrderDefaults {
    fn default() -> Self {
        OrderDefaults {
            carriage_nominal_code: "4905".into(),
            carriage_tax_code: 1,
        }
    }
}

const COMPANY_KEY: &str = "company";

pub(crate) fn load(conn: &Connection) -> LedgerResult<CompanySettings> {
    let stored: Option<String> = conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([COMPANY_KEY], |row| row.get(0))
        .optional()?;
    match stored {
        Some(json) => serde_json::from_str(&json)
            .map_err(|error| LedgerError::Corrupt(format!("company settings: {error}"))),
        None => Ok(CompanySettings::default()),
    }
}

pub(crate) fn store(conn: &Connection, settings: &CompanySettings) -> LedgerResult<()> {
    let json = serde_json::to_string(settings)
        .map_err(|error| LedgerError::Corrupt(format!("company settings: {error}")))?;
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [COMPANY_KEY, json.as_str()],
    )?;
    Ok(())
}

/// Company operations.
impl Ledger {
    pub fn company(&self) -> LedgerResult<CompanySettings> {
        load(&self.conn)
    }

    pub fn update_company(&mut self, settings: &CompanySettings) -> LedgerResult<()> {
        store(&self.conn, settings)
    }
}
