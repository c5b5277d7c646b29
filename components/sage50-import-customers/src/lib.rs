//! Import Customers into Sage 50 UK (docs/zynk-reference.md §2.8): the customers of a Zynk XML file create
//! or update Sage accounts through the host's `sage` capability. The success file carries each
//! account's final `AccountReference`; the fail file the records Sage refused, with the reason.
//! A customer's `Id` is linked to its account in the workflow's truth records, so importing it
//! again updates the same account.

use sage50::sage::CustomerImportSettings;
use sage50::{AccountSettings, ImportFiles, Records, SageBackend};
use wharf_guest::{TaskResult, TaskSettings};

/// The settings of `sage50-import-customers`.
#[derive(Debug, Clone, TaskSettings)]
pub struct ImportCustomersSettings {
    /// `input-file`, `success-file`, `fail-file`.
    #[setting(flatten)]
    pub files: ImportFiles<Customers>,
    /// How accounts are found and made.
    #[setting(flatten)]
    pub accounts: AccountSettings,
}

impl ImportCustomersSettings {
    /// The settings as the `sage` interface takes them.
    pub fn customer_settings(&self) -> CustomerImportSettings {
        CustomerImportSettings {
            account_references: self.accounts.account_references(),
            create_multiple_delivery_addresses: self.accounts.create_multiple_delivery_addresses,
            match_fields: self.accounts.match_accounts_on.0.clone(),
        }
    }
}

/// What this task imports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customers;

impl Records for Customers {
    const RECORDS: &'static str = "customers";
    const INPUT_DOC: &'static str = "Zynk XML with the customers to import (Company/Customers).";
    const SUCCESS_DOC: &'static str =
        "Written with the customers Sage accepted, keys filled in; always written.";
    const FAIL_DOC: &'static str =
        "Written with the customers Sage refused, each with its Errors; always written.";
}

/// The component; exported to the host on WebAssembly.
pub struct ImportCustomers;

sage50::export_sage_task!(
    ImportCustomers,
    ImportCustomersSettings,
    "sage50-import-customers",
    "Creates or updates Sage 50 UK customer accounts from a Zynk XML file; writes a success and a fail file.",
    truth_kinds = [sage50::truth_kinds::CUSTOMER],
);

/// The whole task against a `sage` backend.
pub fn run(settings: &ImportCustomersSettings, sage: &mut impl SageBackend) -> TaskResult {
    let customer_settings = settings.customer_settings();
    sage50::run_import(&settings.files, |document| {
        sage.import_customers(document, &customer_settings)
    })
}

#[cfg(test)]
mod tests;
