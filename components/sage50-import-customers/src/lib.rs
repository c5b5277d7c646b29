//! Import Customers into Sage 50 UK (catalogue §2.8): the customers of a Zynk XML file create
//! or update Sage accounts through the host's `sage` capability. The success file carries each
//! account's final `AccountReference`; the fail file the records Sage refused, with the reason.
//! A customer's `Id` is linked to its account in the workflow's truth records, so importing it
//! again updates the same account.

use std::path::PathBuf;

use sage50::sage::CustomerImportSettings;
use sage50::{AccountSettings, HostSage, ImportFiles, ImportKind, SageBackend};
use wharf_guest::{TaskError, TaskResult, TaskSettings, TypedTask};

/// The settings of `sage50-import-customers`.
#[derive(Debug, Clone, TaskSettings)]
pub struct ImportCustomersSettings {
    /// Zynk XML with the customers to import (Company/Customers).
    pub input_file: PathBuf,
    /// Written with the customers Sage accepted, keys filled in; always written.
    pub success_file: PathBuf,
    /// Written with the customers Sage refused, each with its Errors; always written.
    pub fail_file: PathBuf,
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

/// The component; exported to the host on WebAssembly.
pub struct ImportCustomers;

impl TypedTask for ImportCustomers {
    const NAME: &'static str = "sage50-import-customers";
    const DOC: &'static str = "Creates or updates Sage 50 UK customer accounts from a Zynk XML file; writes a success and a fail file.";
    const CAPABILITIES: &'static [&'static str] = sage50::CAPABILITIES;
    type Settings = ImportCustomersSettings;

    fn run(settings: ImportCustomersSettings) -> Result<TaskResult, TaskError> {
        Ok(run(&settings, &mut HostSage))
    }
}

wharf_guest::export_task!(ImportCustomers);

/// The whole task against a `sage` backend.
pub fn run(settings: &ImportCustomersSettings, sage: &mut impl SageBackend) -> TaskResult {
    let customer_settings = settings.customer_settings();
    let files = ImportFiles {
        input: &settings.input_file,
        success: &settings.success_file,
        fail: &settings.fail_file,
    };
    let kind = ImportKind {
        records: "customers",
    };
    sage50::run_import(files, kind, |document| {
        sage.import_customers(document, &customer_settings)
    })
}

#[cfg(test)]
mod tests;
