//! Export Stock Records from Sage 50 UK (docs/zynk-reference.md §2.9): the stock records changed since the
//! last successful run, as a Zynk XML `Products` file.
//!
//! The "since" cursor is this task's state (`date-time-modified`): the host commits it only if
//! the task succeeds, so a failed run exports the same records again next time. Content hashes
//! of exported records suppress records that were touched but not changed; they are committed
//! once the output file is written, never before.

use std::path::PathBuf;

use sage50::sage::{ExportType, StockExportSettings};
use sage50::{Flush, SageBackend, write_document};
use wharf_guest::{TaskResult, TaskSettings, log, state};

/// The state key of the cursor, and the `export-type` setting: the same for every export.
pub use sage50::{CURSOR_KEY, ExportTypeChoice};

/// The settings of `sage50-export-stock-records`.
#[derive(Debug, Clone, TaskSettings)]
pub struct ExportStockRecordsSettings {
    /// Written with the selected stock records (Company/Products), even when there are none.
    pub output_file: PathBuf,
    /// Modified: created or changed since the last run; New: created since; All: every record.
    #[setting(default = "Modified")]
    pub export_type: ExportTypeChoice,
    /// Legacy Export All: true exports every record whatever export-type says.
    #[setting(default = false)]
    pub export_all: bool,
    /// Only products with Publish to Web set.
    #[setting(default = false)]
    pub export_published: bool,
    /// Where the first run starts (later runs continue from their own cursor); empty for
    /// everything.
    #[setting(kind = date_time)]
    pub date_time_modified: Option<String>,
}

impl ExportStockRecordsSettings {
    /// The export as the `sage` interface takes it, continuing from the stored `cursor`.
    pub fn export_settings(&self, cursor: Option<String>) -> StockExportSettings {
        let export_type = if self.export_all {
            ExportType::All
        } else {
            self.export_type.into()
        };
        StockExportSettings {
            since: cursor.or_else(|| self.date_time_modified.clone()),
            export_type,
            export_published: self.export_published,
        }
    }
}

/// The component; exported to the host on WebAssembly.
pub struct ExportStockRecords;

sage50::export_sage_task!(
    ExportStockRecords,
    ExportStockRecordsSettings,
    "sage50-export-stock-records",
    "Exports the Sage 50 UK stock records changed since the last run as a Zynk XML file.",
    truth_kinds = [sage50::truth_kinds::PRODUCT],
);

/// The whole task against a `sage` backend.
pub fn run(settings: &ExportStockRecordsSettings, sage: &mut impl SageBackend) -> TaskResult {
    let output = &settings.output_file;
    let export_settings = settings.export_settings(state::get(CURSOR_KEY));
    let export = match sage.export_stock_records(&export_settings) {
        Ok(export) => export,
        Err(message) => return TaskResult::fail(format!("Sage: {message}")),
    };
    if let Err(e) = write_document(output, &export.document, Flush::Synced) {
        return TaskResult::fail(format!(
            "setting `output-file`: cannot write `{}`: {e}",
            output.display()
        ));
    }
    if let Err(message) = sage.commit_stock_export(export.export_id) {
        // The file is written but unchanged records would not be recognised next time: fail,
        // so the cursor stays and the next run exports these records again rather than lose any.
        return TaskResult::fail(format!("Sage: recording what was exported: {message}"));
    }
    state::set(CURSOR_KEY, &export.next_cursor);
    if export.suppressed > 0 {
        log::info(format!(
            "{} changed-date record(s) left out: their content is as last exported",
            export.suppressed
        ));
    }
    let message = format!(
        "{} stock record(s) exported to `{}` ({} selected, {} unchanged)",
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

#[cfg(test)]
mod tests;
