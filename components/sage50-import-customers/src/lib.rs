//! Import Customers into Sage 50 UK (catalogue §2.8): the customers of a Zynk XML file create
//! or update Sage accounts through the host's `sage` capability. The success file carries each
//! account's final `AccountReference`; the fail file the records Sage refused, with the reason.
//! A customer's `Id` is linked to its account in the workflow's truth records, so importing it
//! again updates the same account.

use sage50::sage::CustomerImportSettings;
use sage50::{HostSage, ImportKind, SageBackend};
use wharf_guest::{SettingError, SettingSpec, Settings, Task, TaskInfo, TaskResult};

/// The component; exported to the host on WebAssembly.
pub struct ImportCustomers;

fn specs() -> Vec<SettingSpec> {
    let mut specs = sage50::import_file_specs("customers", "Customers");
    specs.extend(sage50::account_reference_specs());
    specs.push(sage50::match_fields_spec());
    specs
}

/// The task's settings as the `sage` interface takes them.
pub fn customer_settings(settings: &Settings) -> Result<CustomerImportSettings, SettingError> {
    Ok(CustomerImportSettings {
        account_references: sage50::account_reference_settings(settings)?,
        create_multiple_delivery_addresses: settings
            .boolean("create-multiple-delivery-addresses")?,
        match_fields: sage50::match_fields(settings)?,
    })
}

/// The whole task against a `sage` backend.
pub fn run(settings: Vec<(String, String)>, sage: &mut impl SageBackend) -> TaskResult {
    let settings = Settings::new(settings).with_defaults(&specs());
    let customer_settings = match customer_settings(&settings) {
        Ok(parsed) => parsed,
        Err(e) => return e.into(),
    };
    sage50::run_import(
        &settings,
        ImportKind {
            records: "customers",
        },
        |document| sage.import_customers(document, &customer_settings),
    )
}

impl Task for ImportCustomers {
    fn describe() -> TaskInfo {
        let mut info = TaskInfo::new(
            "sage50-import-customers",
            "Creates or updates Sage 50 UK customer accounts from a Zynk XML file; writes a success and a fail file.",
        )
        .capability("sage");
        info.settings = specs();
        info
    }

    fn run(settings: Vec<(String, String)>) -> TaskResult {
        run(settings, &mut HostSage)
    }
}

wharf_guest::export_task!(ImportCustomers);

#[cfg(test)]
mod tests;
