//! Import Sales Orders into Sage 50 UK (docs/zynk-reference.md §2.7): the orders of a Zynk XML file go to
//! Sage through the host's `sage` capability, order by order. Orders Sage accepts are in the
//! success file with their Sage order number and account; the others are in the fail file with
//! the reason. Duplicate prevention uses the workflow's truth records (docs/zynk-reference.md §5.4).

use sage50::sage::SalesOrderImportSettings;
use sage50::{AccountSettings, ImportFiles, Records, SageBackend, VatByDestination};
use wharf_guest::{TaskResult, TaskSettings};

/// The settings of `sage50-import-sales-orders`; the VAT rules by destination and their
/// defaults are docs/zynk-reference.md §5.9's.
#[derive(Debug, Clone, TaskSettings)]
pub struct ImportSalesOrdersSettings {
    /// `input-file`, `success-file`, `fail-file`.
    #[setting(flatten)]
    pub files: ImportFiles<SalesOrders>,
    /// How accounts are found and made.
    #[setting(flatten)]
    pub accounts: AccountSettings,
    /// Allocate free stock to the order's stock lines (as much as there is).
    #[setting(default = false)]
    pub auto_allocate_stock: bool,
    /// Nominal bank account for payments that name none.
    #[setting(default = "1200")]
    pub default_bank_account: String,
    /// Refuse an order whose Id an earlier run of this workflow imported.
    #[setting(default = true)]
    pub prevent_duplicates: bool,
    /// Use the order's SalesOrderNumber instead of Sage's next number.
    #[setting(default = false)]
    pub use_manual_sales_order_number: bool,
    /// Create the customer account when it does not exist.
    #[setting(default = false)]
    pub auto_create_customers: bool,
    /// Create a stock record for a product code Sage does not know.
    #[setting(default = true)]
    pub auto_create_products: bool,
    /// Convert an order in another currency to the account's currency.
    #[setting(default = false)]
    pub convert_to_account_currency: bool,
    /// Product code for lines without a Sku.
    #[setting(default = "S1")]
    pub default_product_code: String,
    /// Unit prices include VAT.
    #[setting(default = false)]
    pub prices_include_tax: bool,
    /// Fill a missing order name and address from the account.
    #[setting(default = false)]
    pub read_sales_ledger_data: bool,
    /// Tax codes by destination.
    #[setting(flatten)]
    pub vat: VatByDestination,
}

impl ImportSalesOrdersSettings {
    /// The settings as the `sage` interface takes them.
    pub fn order_settings(&self) -> SalesOrderImportSettings {
        SalesOrderImportSettings {
            account_references: self.accounts.account_references(),
            create_multiple_delivery_addresses: self.accounts.create_multiple_delivery_addresses,
            match_fields: self.accounts.match_accounts_on.0.clone(),
            auto_allocate_stock: self.auto_allocate_stock,
            default_bank_account: self.default_bank_account.trim().to_owned(),
            prevent_duplicates: self.prevent_duplicates,
            use_manual_sales_order_number: self.use_manual_sales_order_number,
            auto_create_customer: self.auto_create_customers,
            auto_create_products: self.auto_create_products,
            convert_to_account_currency: self.convert_to_account_currency,
            default_product_code: self.default_product_code.trim().to_owned(),
            prices_include_tax: self.prices_include_tax,
            read_sales_ledger_data: self.read_sales_ledger_data,
            vat_settings: self.vat.vat_settings(),
        }
    }
}

/// What this task imports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesOrders;

impl Records for SalesOrders {
    const RECORDS: &'static str = "sales orders";
    const INPUT_DOC: &'static str =
        "Zynk XML with the sales orders to import (Company/SalesOrders).";
    const SUCCESS_DOC: &'static str =
        "Written with the sales orders Sage accepted, keys filled in; always written.";
    const FAIL_DOC: &'static str =
        "Written with the sales orders Sage refused, each with its Errors; always written.";
}

/// The component; exported to the host on WebAssembly.
pub struct ImportSalesOrders;

sage50::export_sage_task!(
    ImportSalesOrders,
    ImportSalesOrdersSettings,
    "sage50-import-sales-orders",
    "Imports the sales orders of a Zynk XML file into Sage 50 UK; writes a success and a fail file.",
    truth_kinds = [
        sage50::truth_kinds::SALES_ORDER,
        sage50::truth_kinds::CUSTOMER
    ],
);

/// The whole task against a `sage` backend.
pub fn run(settings: &ImportSalesOrdersSettings, sage: &mut impl SageBackend) -> TaskResult {
    let order_settings = settings.order_settings();
    sage50::run_import(&settings.files, |document| {
        sage.import_sales_orders(document, &order_settings)
    })
}

#[cfg(test)]
mod tests;
