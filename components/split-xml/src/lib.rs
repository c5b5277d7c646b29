//! Split XML (docs/zynk-reference.md §2.17): cuts the records an XPath selects into files of at most
//! `record-limit` records, each keeping the document's skeleton (declaration and the
//! records' ancestor elements with their attributes). Streams: constant memory whatever the
//! input size.
//!
//! The core is the library function [`split`], also used by native benchmarks.

mod content;
mod encoding;
pub mod query;
mod split;

pub use split::{NameFormat, SplitError, SplitSummary, split};

use std::path::PathBuf;

use wharf_guest::{TaskError, TaskResult, TaskSettings, TypedTask, log};

/// The settings of `split-xml`.
#[derive(Debug, Clone, TaskSettings)]
pub struct SplitSettings {
    /// The XML file to split, in the encoding it declares (UTF-8, UTF-16, ISO-8859-1,
    /// windows-1252 …); chunks are always written in UTF-8 and declare it.
    pub input_file: PathBuf,
    /// Absolute element path of the records, e.g. /Company/Products/Product.
    #[setting(non_empty)]
    pub xpath_query: String,
    /// Most records per output file (at least 1).
    #[setting(default = 200, range = 1..)]
    pub record_limit: usize,
    /// Where the files go; created if missing.
    #[setting(kind = folder)]
    pub output_folder: PathBuf,
    /// Output names: <input>_<n>.xml (Number) or <input>_<yyyyMMddHHmmssfffffff>.xml.
    #[setting(default = "Number")]
    pub output_files_format: NameFormat,
}

/// The component; exported to the host on WebAssembly.
pub struct SplitXml;

impl TypedTask for SplitXml {
    const NAME: &'static str = "split-xml";
    const DOC: &'static str = "Splits an XML file into files of at most record-limit records each.";
    type Settings = SplitSettings;

    fn run(settings: SplitSettings) -> Result<TaskResult, TaskError> {
        Ok(run(&settings))
    }
}

wharf_guest::export_task!(SplitXml);

/// The task: settings in, result out.
pub fn run(settings: &SplitSettings) -> TaskResult {
    let SplitSettings {
        input_file: input,
        xpath_query: query,
        record_limit: limit,
        output_folder: out_dir,
        output_files_format: format,
    } = settings;
    let (limit, format) = (*limit, *format);
    match split(input, query, limit, out_dir, format) {
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
mod memory_tests;
#[cfg(test)]
mod scanner_tests;
#[cfg(test)]
mod tests;
