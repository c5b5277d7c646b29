//! CSV to XML (docs/documents.md): converts a CSV file to XML row by row, in constant memory
//! whatever the file's size.

use std::path::PathBuf;

use wharf_documents::{
    csv::{CsvError, CsvFormat, csv_file_to_xml, parse_byte, parse_encoding},
    table::TableSettings,
    task::{file_failure, setting_failure, write_output},
};
use wharf_guest::{SettingError, TaskError, TaskResult, TaskSettings, TypedTask};

/// The settings of `csv-to-xml`.
#[derive(Debug, Clone, TaskSettings)]
pub struct CsvToXmlSettings {
    /// The CSV file to convert.
    pub input_file: PathBuf,
    /// The XML file to write (replaced if it exists).
    #[setting(default = "csv_to_xml.xml")]
    pub output_file: PathBuf,
    /// Between columns: one character, `\t` for tab, or a character code (`44` is a comma).
    #[setting(default = ",")]
    pub separator: String,
    /// The quote character around values holding separators, quotes or line breaks (a quote
    /// inside is doubled); empty: values are never quoted.
    #[setting(default = "\"")]
    pub delimiter: String,
    /// The input's character encoding: UTF8, Unicode, BigEndianUnicode, ASCII, windows-1252,
    /// iso-8859-1 … (a byte order mark wins).
    #[setting(default = "UTF8")]
    pub encoding: String,
    /// The first row holds the column names.
    #[setting(default = true)]
    pub include_headers: bool,
    #[setting(flatten)]
    pub table: TableSettings,
}

/// The component; exported to the host on WebAssembly.
pub struct CsvToXml;

impl TypedTask for CsvToXml {
    const NAME: &'static str = "csv-to-xml";
    const DOC: &'static str = "Converts a CSV file to XML, one element per row, streaming.";
    type Settings = CsvToXmlSettings;

    fn run(settings: CsvToXmlSettings) -> Result<TaskResult, TaskError> {
        run(&settings)
    }
}

wharf_guest::export_task!(CsvToXml);

/// The task: settings in, result out.
pub fn run(settings: &CsvToXmlSettings) -> Result<TaskResult, TaskError> {
    let separator = parse_byte(&settings.separator)
        .map_err(|e| SettingError::new("separator", e))?
        .ok_or_else(|| SettingError::new("separator", "it is empty"))?;
    let quote = parse_byte(&settings.delimiter).map_err(|e| SettingError::new("delimiter", e))?;
    if quote == Some(separator) {
        return Err(
            SettingError::new("delimiter", "it is the same character as `separator`").into(),
        );
    }
    let format = CsvFormat {
        separator,
        quote,
        headers: settings.include_headers,
        encoding: parse_encoding(&settings.encoding)
            .map_err(|e| SettingError::new("encoding", e))?,
    };
    let shape = settings.table.shape()?;
    let input = &settings.input_file;
    let rows = write_output(&settings.output_file, "output-file", |out| {
        csv_file_to_xml(input, &format, shape, out).map_err(|e| match e {
            CsvError::Open { source, .. } => file_failure("input-file", input, &source),
            CsvError::Table(e) if e.setting().is_some() => {
                setting_failure(e.setting().unwrap_or_default(), &e)
            }
            other => setting_failure("input-file", format!("`{}`: {other}", input.display())),
        })
    })?;
    let message = format!(
        "converted {rows} row(s) of `{}` to `{}`",
        input.display(),
        settings.output_file.display()
    );
    let result = if rows == 0 {
        TaskResult::success_no_data(message)
    } else {
        TaskResult::success_data(message)
    };
    Ok(result
        .with_counts(rows, rows, 0)
        .with_output("rows", rows.to_string())
        .with_output("output-file", settings.output_file.display().to_string()))
}

#[cfg(test)]
mod tests;
