//! Excel to XML (docs/documents.md): one worksheet of a workbook (`.xlsx`, `.xlsm`, `.xlsb`,
//! `.xls`, `.ods`) to XML, one element per row, as CSV to XML writes them.

use std::path::PathBuf;

use wharf_documents::{
    excel::{ExcelError, excel_to_xml},
    table::{TableError, TableSettings},
    task::{setting_failure, write_output},
};
use wharf_guest::{TaskError, TaskResult, TaskSettings, TypedTask};

/// The settings of `excel-to-xml`.
#[derive(Debug, Clone, TaskSettings)]
pub struct ExcelToXmlSettings {
    /// The workbook to read.
    pub input_file: PathBuf,
    /// The XML file to write (replaced if it exists).
    #[setting(default = "excel_to_xml.xml")]
    pub output_file: PathBuf,
    /// The worksheet to convert (letter case ignored); left out: the first.
    pub worksheet_name: Option<String>,
    /// The first row holds the column names.
    #[setting(default = true)]
    pub include_headers: bool,
    #[setting(flatten)]
    pub table: TableSettings,
}

/// The component; exported to the host on WebAssembly.
pub struct ExcelToXml;

impl TypedTask for ExcelToXml {
    const NAME: &'static str = "excel-to-xml";
    const DOC: &'static str = "Converts one worksheet of an Excel workbook (xlsx, xls) to XML.";
    type Settings = ExcelToXmlSettings;

    fn run(settings: ExcelToXmlSettings) -> Result<TaskResult, TaskError> {
        run(&settings)
    }
}

wharf_guest::export_task!(ExcelToXml);

/// The task: settings in, result out.
pub fn run(settings: &ExcelToXmlSettings) -> Result<TaskResult, TaskError> {
    let shape = settings.table.shape()?;
    let input = &settings.input_file;
    let (sheet, rows) = write_output(&settings.output_file, "output-file", |out| {
        excel_to_xml(
            input,
            settings.worksheet_name.as_deref(),
            settings.include_headers,
            shape,
            out,
        )
        .map_err(|e| match e {
            ExcelError::Missing(_) => TaskError::not_found(format!("setting `input-file`: {e}")),
            ExcelError::NoSuchSheet { .. } => setting_failure("worksheet-name", &e),
            ExcelError::Table(TableError::Io(_)) => setting_failure("output-file", &e),
            other => setting_failure("input-file", &other),
        })
    })?;
    let message = format!(
        "converted {rows} row(s) of worksheet `{sheet}` of `{}` to `{}`",
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
        .with_output("worksheet", sheet))
}

#[cfg(test)]
mod tests;
