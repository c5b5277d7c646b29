//! WIT records ↔ the ledger's types.

use chrono::NaiveDateTime;
use sage_ledger::procedures::{
    CustomerImportSettings, ExportType, ImportReport, InvoiceImportSettings, RecordExportSettings,
    SalesOrderImportSettings, StockExportSettings, TransactionImportSettings, never,
};
use sage_ledger::{
    AccountReferenceConvention, AccountReferenceSettings, Customer, MatchField, Product, VatRule,
    VatSettings,
};

use crate::bindings::sage as wit;

/// Cursor text: microseconds, because ledger stamps are that precise and a coarser cursor would
/// export the last record again (or, rounded up, skip one).
const CURSOR_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6f";

pub fn cursor_text(cursor: NaiveDateTime) -> String {
    cursor.format(CURSOR_FORMAT).to_string()
}

/// Reads a cursor as written by [`cursor_text`] or by hand (`2024-05-10T00:00:00`, `2024-05-10`).
pub fn parse_cursor(text: &str) -> Result<NaiveDateTime, String> {
    let trimmed = text.trim();
    NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
                .map(|date| date.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .map_err(|_| {
            format!("the export cursor `{text}` is not a date-time like 2024-05-10T09:30:00")
        })
}

fn convention(value: wit::AccountReferenceConvention) -> AccountReferenceConvention {
    use wit::AccountReferenceConvention as W;
    match value {
        W::CompanyOtherwiseFullname => AccountReferenceConvention::CompanyOtherwiseFullname,
        W::CompanyOtherwiseForenameSurname => {
            AccountReferenceConvention::CompanyOtherwiseForenameSurname
        }
        W::CompanyOtherwiseSurnameForename => {
            AccountReferenceConvention::CompanyOtherwiseSurnameForename
        }
        W::ForenameSurname => AccountReferenceConvention::ForenameSurname,
        W::SurnameForename => AccountReferenceConvention::SurnameForename,
    }
}

fn account_references(value: wit::AccountReferenceSettings) -> AccountReferenceSettings {
    AccountReferenceSettings {
        auto_generate: value.auto_generate,
        convention: convention(value.convention),
        alphabetic_length: value.alphabetic_length,
        numeric_length: value.numeric_length,
        mask: value.mask,
        regular_expression: value.regular_expression,
    }
}

fn match_field(value: wit::MatchField) -> MatchField {
    use wit::MatchField as W;
    match value {
        W::CompanyName => MatchField::CompanyName,
        W::Telephone => MatchField::Telephone,
        W::Telephone2 => MatchField::Telephone2,
        W::Mobile => MatchField::Mobile,
        W::Fax => MatchField::Fax,
        W::Email => MatchField::Email,
        W::Email2 => MatchField::Email2,
        W::Email3 => MatchField::Email3,
        W::Website => MatchField::Website,
        W::Postcode => MatchField::Postcode,
        W::TradeContact => MatchField::TradeContact,
        W::Custom1 => MatchField::Custom1,
        W::Custom2 => MatchField::Custom2,
        W::Custom3 => MatchField::Custom3,
    }
}

fn vat_rule(value: wit::VatRule) -> VatRule {
    VatRule {
        enabled: value.enabled,
        sales: value.sales,
        carriage: value.carriage,
    }
}

pub fn customer_settings(value: wit::CustomerImportSettings) -> CustomerImportSettings {
    CustomerImportSettings {
        account_references: account_references(value.account_references),
        create_multiple_delivery_addresses: value.create_multiple_delivery_addresses,
        match_fields: value.match_fields.into_iter().map(match_field).collect(),
    }
}

pub fn order_settings(value: wit::SalesOrderImportSettings) -> SalesOrderImportSettings {
    SalesOrderImportSettings {
        account_references: account_references(value.account_references),
        create_multiple_delivery_addresses: value.create_multiple_delivery_addresses,
        match_fields: value.match_fields.into_iter().map(match_field).collect(),
        auto_allocate_stock: value.auto_allocate_stock,
        default_bank_account: value.default_bank_account,
        prevent_duplicates: value.prevent_duplicates,
        use_manual_sales_order_number: value.use_manual_sales_order_number,
        use_manual_document_number: false,
        auto_create_customer: value.auto_create_customer,
        auto_create_products: value.auto_create_products,
        convert_to_account_currency: value.convert_to_account_currency,
        default_product_code: value.default_product_code,
        prices_include_tax: value.prices_include_tax,
        read_sales_ledger_data: value.read_sales_ledger_data,
        vat_settings: VatSettings {
            base: vat_rule(value.vat_settings.base),
            eu: vat_rule(value.vat_settings.eu),
            eu_vat_reg: vat_rule(value.vat_settings.eu_vat_reg),
            row: vat_rule(value.vat_settings.row),
        },
    }
}

/// Import Invoices' settings; `key_scope` names the workflow's truth store (docs/sage50.md).
pub fn invoice_settings(
    value: wit::InvoiceImportSettings,
    key_scope: &str,
) -> InvoiceImportSettings {
    InvoiceImportSettings {
        account_references: account_references(value.account_references),
        create_multiple_delivery_addresses: value.create_multiple_delivery_addresses,
        match_fields: value.match_fields.into_iter().map(match_field).collect(),
        default_account_reference: value.default_account_reference,
        default_bank_account: value.default_bank_account,
        prevent_duplicates: value.prevent_duplicates,
        use_manual_invoice_number: value.use_manual_invoice_number,
        auto_create_customer: value.auto_create_customer,
        auto_create_products: value.auto_create_products,
        convert_to_account_currency: value.convert_to_account_currency,
        default_product_code: value.default_product_code,
        prices_include_tax: value.prices_include_tax,
        read_sales_ledger_data: value.read_sales_ledger_data,
        vat_settings: VatSettings {
            base: vat_rule(value.vat_settings.base),
            eu: vat_rule(value.vat_settings.eu),
            eu_vat_reg: vat_rule(value.vat_settings.eu_vat_reg),
            row: vat_rule(value.vat_settings.row),
        },
        key_scope: key_scope.to_owned(),
    }
}

/// Import Transactions' settings; `key_scope` as for invoices.
pub fn transaction_settings(
    value: wit::TransactionImportSettings,
    key_scope: &str,
) -> TransactionImportSettings {
    TransactionImportSettings {
        auto_allocate: value.auto_allocate,
        prevent_duplicates: value.prevent_duplicates,
        journal_variance_nominal_code: value.journal_variance_nominal_code,
        key_scope: key_scope.to_owned(),
    }
}

fn export_type(value: wit::ExportType) -> ExportType {
    match value {
        wit::ExportType::Modified => ExportType::Modified,
        wit::ExportType::New => ExportType::New,
        wit::ExportType::All => ExportType::All,
    }
}

fn since(value: Option<&str>) -> Result<NaiveDateTime, String> {
    match value {
        Some(text) if !text.trim().is_empty() => parse_cursor(text),
        _ => Ok(never()),
    }
}

/// Export Customers' and Export Invoices' selection.
pub fn record_export_settings(
    value: wit::RecordExportSettings,
) -> Result<RecordExportSettings, String> {
    Ok(RecordExportSettings {
        since: since(value.since.as_deref())?,
        selection: export_type(value.export_type),
        use_base_currency: value.use_base_currency,
    })
}

pub fn export_settings(value: wit::StockExportSettings) -> Result<StockExportSettings, String> {
    Ok(StockExportSettings {
        date_time_modified: since(value.since.as_deref())?,
        export_type: export_type(value.export_type),
        export_all: false,
        export_published: value.export_published,
    })
}

pub fn outcome(mut report: ImportReport) -> wit::ImportOutcome {
    let count = |n: usize| n as u64;
    let (success_document, fail_document) = report.take_documents();
    wit::ImportOutcome {
        success_document,
        fail_document,
        counts: wit::ImportCounts {
            records_read: count(report.counts.read),
            imported: count(report.counts.imported),
            failed: count(report.counts.failed),
            customers_created: count(report.counts.customers_created),
            customers_updated: count(report.counts.customers_updated),
            products_created: count(report.counts.products_created),
        },
        warnings: report.warnings,
        aborted: report.aborted,
    }
}

pub fn customer_summary(customer: Customer) -> wit::CustomerSummary {
    wit::CustomerSummary {
        account_reference: customer.account_ref,
        name: customer.name,
        currency: customer.currency,
        balance: customer.balance,
        email: customer.email,
        postcode: customer.postcode,
        inactive: customer.inactive,
    }
}

pub fn product_summary(product: Product) -> wit::ProductSummary {
    wit::ProductSummary {
        free_stock: product.free_stock(),
        stock_code: product.stock_code,
        description: product.description,
        sales_price: product.sales_price,
        qty_in_stock: product.qty_in_stock,
        qty_allocated: product.qty_allocated,
        qty_on_order: product.qty_on_order,
        publish: product.publish,
        inactive: product.inactive,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_to_the_microsecond() {
        let cursor = parse_cursor("2024-03-01T09:00:00.000042").unwrap();
        assert_eq!(cursor_text(cursor), "2024-03-01T09:00:00.000042");
        assert_eq!(
            cursor_text(parse_cursor("2024-03-01T09:00:00").unwrap()),
            "2024-03-01T09:00:00.000000"
        );
        assert_eq!(
            cursor_text(parse_cursor("2024-03-01").unwrap()),
            "2024-03-01T00:00:00.000000"
        );
        assert!(parse_cursor("yesterday").unwrap_err().contains("yesterday"));
    }
}
