//! Import Sales Orders into Sage 50 UK (catalogue §2.7): the orders of a Zynk XML file go to
//! Sage through the host's `sage` capability, order by order. Orders Sage accepts are in the
//! success file with their Sage order number and account; the others are in the fail file with
//! the reason. Duplicate prevention uses the workflow's truth records (§5.4).

use sage50::sage::{SalesOrderImportSettings, VatRule, VatSettings};
use sage50::{HostSage, ImportKind, SageBackend};
use wharf_guest::{SettingError, SettingSpec, Settings, Task, TaskInfo, TaskResult};

/// The component; exported to the host on WebAssembly.
pub struct ImportSalesOrders;

/// VAT rules by destination and their defaults (sales, carriage), §5.9.
const VAT_RULES: [(&str, &str, i32); 4] = [
    ("base", "the company's own country", 1),
    ("eu", "an EU country", 1),
    ("eu-vat-reg", "an EU country, VAT-registered customer", 4),
    ("row", "the rest of the world", 0),
];

fn specs() -> Vec<SettingSpec> {
    let mut specs = sage50::import_file_specs("sales orders", "SalesOrders");
    specs.extend(sage50::account_reference_specs());
    specs.push(sage50::match_fields_spec());
    let flag = |name: &str, doc: &str, default: bool| {
        SettingSpec::boolean(name, doc).with_default(default.to_string())
    };
    specs.extend([
        flag(
            "auto-allocate-stock",
            "Allocate free stock to the order's stock lines (as much as there is).",
            false,
        ),
        SettingSpec::text(
            "default-bank-account",
            "Nominal bank account for payments that name none.",
        )
        .with_default("1200"),
        flag(
            "prevent-duplicates",
            "Refuse an order whose Id an earlier run of this workflow imported.",
            true,
        ),
        flag(
            "use-manual-sales-order-number",
            "Use the order's SalesOrderNumber instead of Sage's next number.",
            false,
        ),
        flag(
            "auto-create-customers",
            "Create the customer account when it does not exist.",
            false,
        ),
        flag(
            "auto-create-products",
            "Create a stock record for a product code Sage does not know.",
            true,
        ),
        flag(
            "convert-to-account-currency",
            "Convert an order in another currency to the account's currency.",
            false,
        ),
        SettingSpec::text(
            "default-product-code",
            "Product code for lines without a Sku.",
        )
        .with_default("S1"),
        flag("prices-include-tax", "Unit prices include VAT.", false),
        flag(
            "read-sales-ledger-data",
            "Fill a missing order name and address from the account.",
            false,
        ),
    ]);
    for (rule, destination, code) in VAT_RULES {
        specs.push(flag(
            &format!("vat-{rule}-enabled"),
            &format!("Use the tax codes below for deliveries to {destination}."),
            false,
        ));
        for line in ["sales", "carriage"] {
            specs.push(
                SettingSpec::integer(
                    format!("vat-{rule}-{line}"),
                    format!("Tax code for {line} to {destination}."),
                )
                .with_default(code.to_string())
                .at_least(0)
                .at_most(99),
            );
        }
    }
    specs
}

fn tax_code(settings: &Settings, name: &str) -> Result<i32, SettingError> {
    let code = settings.integer(name)?;
    i32::try_from(code)
        .ok()
        .filter(|code| (0..=99).contains(code))
        .ok_or_else(|| SettingError::new(name, format!("a tax code is 0 to 99, got {code}")))
}

fn vat_rule(settings: &Settings, rule: &str) -> Result<VatRule, SettingError> {
    Ok(VatRule {
        enabled: settings.boolean(&format!("vat-{rule}-enabled"))?,
        sales: tax_code(settings, &format!("vat-{rule}-sales"))?,
        carriage: tax_code(settings, &format!("vat-{rule}-carriage"))?,
    })
}

/// The task's settings as the `sage` interface takes them.
pub fn order_settings(settings: &Settings) -> Result<SalesOrderImportSettings, SettingError> {
    Ok(SalesOrderImportSettings {
        account_references: sage50::account_reference_settings(settings)?,
        create_multiple_delivery_addresses: settings
            .boolean("create-multiple-delivery-addresses")?,
        match_fields: sage50::match_fields(settings)?,
        auto_allocate_stock: settings.boolean("auto-allocate-stock")?,
        default_bank_account: settings.text("default-bank-account")?.trim().to_owned(),
        prevent_duplicates: settings.boolean("prevent-duplicates")?,
        use_manual_sales_order_number: settings.boolean("use-manual-sales-order-number")?,
        auto_create_customer: settings.boolean("auto-create-customers")?,
        auto_create_products: settings.boolean("auto-create-products")?,
        convert_to_account_currency: settings.boolean("convert-to-account-currency")?,
        default_product_code: settings.text("default-product-code")?.trim().to_owned(),
        prices_include_tax: settings.boolean("prices-include-tax")?,
        read_sales_ledger_data: settings.boolean("read-sales-ledger-data")?,
        vat_settings: VatSettings {
            base: vat_rule(settings, "base")?,
            eu: vat_rule(settings, "eu")?,
            eu_vat_reg: vat_rule(settings, "eu-vat-reg")?,
            row: vat_rule(settings, "row")?,
        },
    })
}

/// The whole task against a `sage` backend.
pub fn run(settings: Vec<(String, String)>, sage: &mut impl SageBackend) -> TaskResult {
    let settings = Settings::new(settings).with_defaults(&specs());
    let order_settings = match order_settings(&settings) {
        Ok(parsed) => parsed,
        Err(e) => return e.into(),
    };
    sage50::run_import(
        &settings,
        ImportKind {
            records: "sales orders",
        },
        |document| sage.import_sales_orders(document, &order_settings),
    )
}

impl Task for ImportSalesOrders {
    fn describe() -> TaskInfo {
        let mut info = TaskInfo::new(
            "sage50-import-sales-orders",
            "Imports the sales orders of a Zynk XML file into Sage 50 UK; writes a success and a fail file.",
        )
        .capability("sage");
        info.settings = specs();
        info
    }

    fn run(settings: Vec<(String, String)>) -> TaskResult {
        run(settings, &mut HostSage)
    }
}

wharf_guest::export_task!(ImportSalesOrders);

#[cfg(test)]
mod tests;
