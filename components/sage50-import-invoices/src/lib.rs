//! Import Invoices into Sage 50 UK (docs/sage50.md): the invoices and credit notes of a Zynk
//! XML file are priced like sales orders and posted to the audit trail through the host's
//! `sage` capability. Invoices Sage accepts are in the success file with their invoice and
//! transaction numbers; the others are in the fail file with the reason. Duplicate prevention
//! uses the workflow's truth records.

use sage50::sage::InvoiceImportSettings;
use sage50::{AccountSettings, ImportFiles, Records, SageBackend, VatByDestination};
use wharf_guest::{TaskResult, TaskSettings};

/// The settings of `sage50-import-invoices`.
#[derive(Debug, Clone, TaskSettings)]
pub struct ImportInvoicesSettings {
    /// `input-file`, `success-file`, `fail-file`.
    #[setting(flatten)]
    pub files: ImportFiles<Invoices>,
    /// How accounts are found and made.
    #[setting(flatten)]
    pub accounts: AccountSettings,
    /// Account for invoices without an AccountReference (e.g. WEBSALES); empty for none.
    #[setting(default = "")]
    pub default_account_reference: String,
    /// Nominal bank account for payments that name none.
    #[setting(default = "1200")]
    pub default_bank_account: String,
    /// Refuse an invoice whose Id an earlier run of this workflow imported.
    #[setting(default = true)]
    pub prevent_duplicates: bool,
    /// Use the invoice's InvoiceNumber instead of Sage's next number.
    #[setting(default = false)]
    pub use_manual_invoice_number: bool,
    /// Create the customer account when it does not exist.
    #[setting(default = false)]
    pub auto_create_customers: bool,
    /// Create a stock record for a product code Sage does not know.
    #[setting(default = true)]
    pub auto_create_products: bool,
    /// Convert an invoice in another currency to the account's currency.
    #[setting(default = false)]
    pub convert_to_account_currency: bool,
    /// Product code for lines without a Sku.
    #[setting(default = "S1")]
    pub default_product_code: String,
    /// Unit prices include VAT.
    #[setting(default = false)]
    pub prices_include_tax: bool,
    /// Fill a missing invoice name and address from the account.
    #[setting(default = false)]
    pub read_sales_ledger_data: bool,
    /// Tax codes by destination.
    #[setting(flatten)]
    pub vat: VatByDestination,
}

impl ImportInvoicesSettings {
    /// The settings as the `sage` interface takes them.
    pub fn invoice_settings(&self) -> InvoiceImportSettings {
        InvoiceImportSettings {
            account_references: self.accounts.account_references(),
            create_multiple_delivery_addresses: self.accounts.create_multiple_delivery_addresses,
            match_fields: self.accounts.match_accounts_on.0.clone(),
            default_account_reference: self.default_account_reference.trim().to_owned(),
            default_bank_account: self.default_bank_account.trim().to_owned(),
            prevent_duplicates: self.prevent_duplicates,
            use_manual_invoice_number: self.use_manual_invoice_number,
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
pub struct Invoices;

impl Records for Invoices {
    const RECORDS: &'static str = "invoices";
    const INPUT_DOC: &'static str =
        "Zynk XML with the invoices and credit notes to import (Company/Invoices).";
    const SUCCESS_DOC: &'static str =
        "Written with the invoices Sage posted, numbers filled in; always written.";
    const FAIL_DOC: &'static str =
        "Written with the invoices Sage refused, each with its Errors; always written.";
}

/// The component; exported to the host on WebAssembly.
pub struct ImportInvoices;

sage50::export_sage_task!(
    ImportInvoices,
    ImportInvoicesSettings,
    "sage50-import-invoices",
    "Posts the invoices and credit notes of a Zynk XML file to Sage 50 UK; writes a success and a fail file.",
    truth_kinds = [sage50::truth_kinds::INVOICE, sage50::truth_kinds::CUSTOMER],
);

/// The whole task against a `sage` backend.
pub fn run(settings: &ImportInvoicesSettings, sage: &mut impl SageBackend) -> TaskResult {
    let invoice_settings = settings.invoice_settings();
    sage50::run_import(&settings.files, |document| {
        sage.import_invoices(document, &invoice_settings)
    })
}

#[cfg(test)]
mod tests;
