//! Task settings of the three Sage 50 tasks (the `.wkf` elements of docs/zynk-reference.md §2.7–§2.9), already resolved
//! to values (the workflow loader evaluates Zynk Objects and legacy elements).

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::account_refs::AccountReferenceSettings;
use crate::customers::MatchField;
use crate::orders::{OrderImportOptions, VatSettings};
use crate::products::StockSelection;

/// Import Customers into Sage 50 UK (docs/zynk-reference.md §2.8).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomerImportSettings {
    pub account_references: AccountReferenceSettings,
    pub create_multiple_delivery_addresses: bool,
    /// Match Accounts On: every selected field must match.
    pub match_fields: Vec<MatchField>,
}

/// Import Sales Orders into Sage 50 UK (docs/zynk-reference.md §2.7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SalesOrderImportSettings {
    pub account_references: AccountReferenceSettings,
    pub create_multiple_delivery_addresses: bool,
    pub match_fields: Vec<MatchField>,
    pub auto_allocate_stock: bool,
    pub default_bank_account: String,
    pub prevent_duplicates: bool,
    pub use_manual_sales_order_number: bool,
    /// docs/zynk-reference.md §6.25: undocumented newer flag; accepted so settings round-trip, it has no effect.
    pub use_manual_document_number: bool,
    pub auto_create_customer: bool,
    pub auto_create_products: bool,
    pub convert_to_account_currency: bool,
    pub default_product_code: String,
    pub prices_include_tax: bool,
    pub read_sales_ledger_data: bool,
    pub vat_settings: VatSettings,
}

impl Default for SalesOrderImportSettings {
    /// The docs' defaults (prevent duplicates on as in every sample, products auto-created).
    fn default() -> Self {
        SalesOrderImportSettings {
            account_references: AccountReferenceSettings::default(),
            create_multiple_delivery_addresses: false,
            match_fields: Vec::new(),
            auto_allocate_stock: false,
            default_bank_account: "1200".into(),
            prevent_duplicates: true,
            use_manual_sales_order_number: false,
            use_manual_document_number: false,
            auto_create_customer: false,
            auto_create_products: true,
            convert_to_account_currency: false,
            default_product_code: "S1".into(),
            prices_include_tax: false,
            read_sales_ledger_data: false,
            vat_settings: VatSettings::default(),
        }
    }
}

impl SalesOrderImportSettings {
    /// The part of the settings the ledger applies while posting.
    pub fn ledger_options(&self) -> OrderImportOptions {
        OrderImportOptions {
            auto_create_products: self.auto_create_products,
            auto_allocate_stock: self.auto_allocate_stock,
            convert_to_account_currency: self.convert_to_account_currency,
            prices_include_tax: self.prices_include_tax,
            default_product_code: self.default_product_code.clone(),
            default_bank_account: self.default_bank_account.clone(),
            create_multiple_delivery_addresses: self.create_multiple_delivery_addresses,
            read_sales_ledger_data: self.read_sales_ledger_data,
            vat_settings: self.vat_settings,
        }
    }
}

/// `ExportSettings/ExportType`.
pub type ExportType = StockSelection;

/// Export Stock Records from Sage 50 UK (docs/zynk-reference.md §2.9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StockExportSettings {
    /// `ExportSettings/DateTimeModified`: the cursor. Records changed after it are "modified".
    pub date_time_modified: NaiveDateTime,
    pub export_type: ExportType,
    /// Legacy `ExportAll`; when true it overrides `export_type` (docs/zynk-reference.md §6.30 choice).
    pub export_all: bool,
    /// Only products with Publish to Web set.
    pub export_published: bool,
}

/// Zynk's "never" date, the cursor's initial value.
pub fn never() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(1753, 1, 1)
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .expect("a valid date")
}

impl Default for StockExportSettings {
    fn default() -> Self {
        StockExportSettings {
            date_time_modified: never(),
            export_type: ExportType::Modified,
            export_all: false,
            export_published: false,
        }
    }
}

impl StockExportSettings {
    /// The selection in force: legacy Export All wins over the export type.
    pub fn selection(&self) -> StockSelection {
        if self.export_all {
            StockSelection::All
        } else {
            self.export_type
        }
    }
}
