//! What the invoice import and the customer and invoice exports share: VAT codes by
//! destination (a settings group) and the export pattern — select from the cursor, write the
//! file, commit the content hashes, then move the cursor (docs/sage50.md).

use std::path::Path;

use wharf_guest::{SettingChoice, TaskResult, TaskSettings, log, state};

use crate::files::{Flush, write_document};
use crate::sage::{
    ExportType, RecordExport, RecordExportSettings, SageBackend, VatRule, VatSettings,
};

/// The state key of an export's cursor (the `.wkf` `ExportSettings/DateTimeModified`).
pub const CURSOR_KEY: &str = "date-time-modified";

/// Tax codes by destination (docs/zynk-reference.md §5.9), a group the importers flatten.
#[derive(Debug, Clone, PartialEq, Eq, TaskSettings)]
pub struct VatByDestination {
    /// Use the tax codes below for deliveries to the company's own country.
    #[setting(default = false)]
    pub vat_base_enabled: bool,
    /// Tax code for sales to the company's own country.
    #[setting(default = 1, range = 0..=99)]
    pub vat_base_sales: i32,
    /// Tax code for carriage to the company's own country.
    #[setting(default = 1, range = 0..=99)]
    pub vat_base_carriage: i32,
    /// Use the tax codes below for deliveries to an EU country.
    #[setting(default = false)]
    pub vat_eu_enabled: bool,
    /// Tax code for sales to an EU country.
    #[setting(default = 1, range = 0..=99)]
    pub vat_eu_sales: i32,
    /// Tax code for carriage to an EU country.
    #[setting(default = 1, range = 0..=99)]
    pub vat_eu_carriage: i32,
    /// Use the tax codes below for deliveries to an EU country, VAT-registered customer.
    #[setting(default = false)]
    pub vat_eu_vat_reg_enabled: bool,
    /// Tax code for sales to an EU country, VAT-registered customer.
    #[setting(default = 4, range = 0..=99)]
    pub vat_eu_vat_reg_sales: i32,
    /// Tax code for carriage to an EU country, VAT-registered customer.
    #[setting(default = 4, range = 0..=99)]
    pub vat_eu_vat_reg_carriage: i32,
    /// Use the tax codes below for deliveries to the rest of the world.
    #[setting(default = false)]
    pub vat_row_enabled: bool,
    /// Tax code for sales to the rest of the world.
    #[setting(default = 0, range = 0..=99)]
    pub vat_row_sales: i32,
    /// Tax code for carriage to the rest of the world.
    #[setting(default = 0, range = 0..=99)]
    pub vat_row_carriage: i32,
}

impl VatByDestination {
    /// The rules as the `sage` interface takes them.
    pub fn vat_settings(&self) -> VatSettings {
        let rule = |enabled, sales, carriage| VatRule {
            enabled,
            sales,
            carriage,
        };
        VatSettings {
            base: rule(
                self.vat_base_enabled,
                self.vat_base_sales,
                self.vat_base_carriage,
            ),
            eu: rule(self.vat_eu_enabled, self.vat_eu_sales, self.vat_eu_carriage),
            eu_vat_reg: rule(
                self.vat_eu_vat_reg_enabled,
                self.vat_eu_vat_reg_sales,
                self.vat_eu_vat_reg_carriage,
            ),
            row: rule(
                self.vat_row_enabled,
                self.vat_row_sales,
                self.vat_row_carriage,
            ),
        }
    }
}

/// The `export-type` setting of the record exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, SettingChoice)]
pub enum ExportTypeChoice {
    Modified,
    New,
    All,
}

impl From<ExportTypeChoice> for ExportType {
    fn from(choice: ExportTypeChoice) -> Self {
        match choice {
            ExportTypeChoice::Modified => ExportType::Modified,
            ExportTypeChoice::New => ExportType::New,
            ExportTypeChoice::All => ExportType::All,
        }
    }
}

/// The selection of a record export: from the stored cursor, else from `first_since`.
pub fn export_settings(
    export_type: ExportTypeChoice,
    first_since: Option<String>,
    use_base_currency: bool,
) -> RecordExportSettings {
    RecordExportSettings {
        since: state::get(CURSOR_KEY).or(first_since),
        export_type: export_type.into(),
        use_base_currency,
    }
}

/// Writes an export's document, commits it and moves the cursor; the result counts it.
pub fn finish_export(
    records: &str,
    output: &Path,
    sage: &mut impl SageBackend,
    export: Result<RecordExport, String>,
) -> TaskResult {
    let export = match export {
        Ok(export) => export,
        Err(message) => return TaskResult::fail(format!("Sage: {message}")),
    };
    if let Err(e) = write_document(output, &export.document, Flush::Synced) {
        return TaskResult::fail(format!(
            "setting `output-file`: cannot write `{}`: {e}",
            output.display()
        ));
    }
    if let Err(message) = sage.commit_export(export.export_id) {
        // Unchanged records would not be recognised next time: fail, so the cursor stays.
        return TaskResult::fail(format!("Sage: recording what was exported: {message}"));
    }
    state::set(CURSOR_KEY, &export.next_cursor);
    if export.suppressed > 0 {
        log::info(format!(
            "{} changed-date {records} left out: their content is as last exported",
            export.suppressed
        ));
    }
    let message = format!(
        "{} {records} exported to `{}` ({} selected, {} unchanged)",
        export.exported,
        output.display(),
        export.scanned,
        export.suppressed
    );
    let result = if export.exported == 0 {
        TaskResult::success_no_data(message)
    } else {
        TaskResult::success_data(message)
    };
    result
        .with_counts(export.scanned, export.exported, 0)
        .with_output("exported", export.exported.to_string())
        .with_output("next-cursor", export.next_cursor)
}
