//! Export Stock Records from Sage 50 UK (catalogue §2.9): the stock records changed since the
//! last successful run, as a Zynk XML `Products` file.
//!
//! The "since" cursor is this task's state (`date-time-modified`): the host commits it only if
//! the task succeeds, so a failed run exports the same records again next time. Content hashes
//! of exported records suppress records that were touched but not changed; they are committed
//! once the output file is written, never before.

use std::path::PathBuf;

use sage50::sage::{ExportType, StockExportSettings};
use sage50::{HostSage, SageBackend, write_document};
use wharf_guest::{SettingError, SettingSpec, Settings, Task, TaskInfo, TaskResult, log, state};

/// The component; exported to the host on WebAssembly.
pub struct ExportStockRecords;

/// The state key of the cursor (the `.wkf` `ExportSettings/DateTimeModified`).
pub const CURSOR_KEY: &str = "date-time-modified";

const EXPORT_TYPES: [(&str, ExportType); 3] = [
    ("Modified", ExportType::Modified),
    ("New", ExportType::New),
    ("All", ExportType::All),
];

fn specs() -> Vec<SettingSpec> {
    let types: Vec<&str> = EXPORT_TYPES.iter().map(|(name, _)| *name).collect();
    vec![
        SettingSpec::file(
            "output-file",
            "Written with the selected stock records (Company/Products), even when there are none.",
        )
        .required().non_empty(),
        SettingSpec::choice(
            "export-type",
            "Modified: created or changed since the last run; New: created since; All: every record.",
            &types,
        )
        .with_default("Modified"),
        SettingSpec::boolean(
            "export-all",
            "Legacy Export All: true exports every record whatever export-type says.",
        )
        .with_default("false"),
        SettingSpec::boolean(
            "export-published",
            "Only products with Publish to Web set.",
        )
        .with_default("false"),
        SettingSpec::date_time(
            "date-time-modified",
            "Where the first run starts (later runs continue from their own cursor); empty for everything.",
        ),
    ]
}

struct Options {
    output: PathBuf,
    export: StockExportSettings,
}

fn options(settings: &Settings, cursor: Option<String>) -> Result<Options, SettingError> {
    let types: Vec<&str> = EXPORT_TYPES.iter().map(|(name, _)| *name).collect();
    let chosen = settings.choice("export-type", &types)?;
    let export_type = if settings.boolean("export-all")? {
        ExportType::All
    } else {
        EXPORT_TYPES
            .iter()
            .find(|(name, _)| *name == chosen)
            .map(|(_, kind)| *kind)
            .unwrap_or(ExportType::Modified)
    };
    Ok(Options {
        output: settings.path("output-file")?,
        export: StockExportSettings {
            since: cursor.or_else(|| {
                settings
                    .optional_text("date-time-modified")
                    .map(str::to_owned)
            }),
            export_type,
            export_published: settings.boolean("export-published")?,
        },
    })
}

/// The whole task against a `sage` backend.
pub fn run(settings: Vec<(String, String)>, sage: &mut impl SageBackend) -> TaskResult {
    let settings = Settings::new(settings).with_defaults(&specs());
    let options = match options(&settings, state::get(CURSOR_KEY)) {
        Ok(options) => options,
        Err(e) => return e.into(),
    };
    let export = match sage.export_stock_records(&options.export) {
        Ok(export) => export,
        Err(message) => return TaskResult::fail(format!("Sage: {message}")),
    };
    if let Err(e) = write_document(&options.output, &export.document) {
        return TaskResult::fail(format!(
            "setting `output-file`: cannot write `{}`: {e}",
            options.output.display()
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
        options.output.display(),
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

impl Task for ExportStockRecords {
    fn describe() -> TaskInfo {
        let mut info = TaskInfo::new(
            "sage50-export-stock-records",
            "Exports the Sage 50 UK stock records changed since the last run as a Zynk XML file.",
        )
        .capability("sage");
        info.settings = specs();
        info
    }

    fn run(settings: Vec<(String, String)>) -> TaskResult {
        run(settings, &mut HostSage)
    }
}

wharf_guest::export_task!(ExportStockRecords);

#[cfg(test)]
mod tests;
