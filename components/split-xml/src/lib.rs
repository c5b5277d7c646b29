//! Split XML (catalogue §2.17): cuts the records an XPath selects into files of at most
//! `record-limit` records, each keeping the document's skeleton (declaration and the
//! records' ancestor elements with their attributes). Streams: constant memory whatever the
//! input size.
//!
//! The core is the library function [`split`], also used by native benchmarks.

mod encoding;
pub mod query;
mod split;

pub use split::{NameFormat, SplitError, SplitSummary, split};

use wharf_guest::{SettingError, SettingSpec, Settings, Task, TaskInfo, TaskResult, log};

/// The component; exported to the host on WebAssembly.
pub struct SplitXml;

impl Task for SplitXml {
    fn describe() -> TaskInfo {
        TaskInfo::new(
            "split-xml",
            "Splits an XML file into files of at most record-limit records each.",
        )
        .setting(
            SettingSpec::file(
                "input-file",
                "The XML file to split, in the encoding it declares (UTF-8, UTF-16, ISO-8859-1, \
                 windows-1252 …); chunks are always written in UTF-8 and declare it.",
            )
            .required()
            .non_empty(),
        )
        .setting(
            SettingSpec::text(
                "xpath-query",
                "Absolute element path of the records, e.g. /Company/Products/Product.",
            )
            .required()
            .non_empty(),
        )
        .setting(
            SettingSpec::integer("record-limit", "Most records per output file (at least 1).")
                .with_default("200")
                .at_least(1),
        )
        .setting(
            SettingSpec::folder("output-folder", "Where the files go; created if missing.")
                .required()
                .non_empty(),
        )
        .setting(
            SettingSpec::choice(
                "output-files-format",
                "Output names: <input>_<n>.xml (Number) or <input>_<yyyyMMddHHmmssfffffff>.xml.",
                FORMATS,
            )
            .with_default("Number"),
        )
    }

    fn run(settings: Vec<(String, String)>) -> TaskResult {
        run(&Settings::new(settings).with_defaults(&Self::describe().settings))
    }
}

wharf_guest::export_task!(SplitXml);

const FORMATS: &[&str] = &["Number", "Timestamp"];

/// The task: settings in, result out.
pub fn run(settings: &Settings) -> TaskResult {
    let parsed = (|| {
        let input = settings.path("input-file")?;
        let query = settings.text("xpath-query")?;
        let limit = settings.integer("record-limit")?;
        let limit = usize::try_from(limit)
            .ok()
            .filter(|limit| *limit >= 1)
            .ok_or_else(|| {
                SettingError::new("record-limit", format!("must be at least 1, got {limit}"))
            })?;
        let out_dir = settings.path("output-folder")?;
        let format = match settings.choice("output-files-format", FORMATS)? {
            "Timestamp" => NameFormat::Timestamp,
            _ => NameFormat::Number,
        };
        Ok::<_, SettingError>((input, query, limit, out_dir, format))
    })();
    let (input, query, limit, out_dir, format) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return e.into(),
    };

    match split(&input, query, limit, &out_dir, format) {
        Ok(summary) if summary.files.is_empty() => {
            TaskResult::success_no_data(format!("no `{query}` records in `{}`", input.display()))
                .with_output("files", "0")
        }
        Ok(summary) => {
            for file in &summary.files {
                log::debug(format!("wrote `{}`", file.display()));
            }
            TaskResult::success_data(format!(
                "split {} record(s) of `{}` into {} file(s) in `{}`",
                summary.records_written,
                input.display(),
                summary.files.len(),
                out_dir.display()
            ))
            .with_output("files", summary.files.len().to_string())
            .with_counts(summary.records_matched, summary.records_written, 0)
        }
        Err(e) => {
            let message = format!("setting `{}`: {e}", e.setting());
            match e {
                SplitError::InputMissing(_) => TaskResult::not_found(message),
                _ => TaskResult::fail(message),
            }
        }
    }
}

#[cfg(test)]
mod tests;
