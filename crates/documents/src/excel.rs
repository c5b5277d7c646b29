//! Excel to XML (docs/documents.md): one worksheet of an `.xlsx`, `.xlsm`, `.xlsb`, `.xls` or
//! `.ods` workbook, read with `calamine`, written as [`crate::table`] rows. A worksheet is read
//! whole (as the Excel formats require); the rows are written as they are turned into text.

use std::{io::Write, path::Path};

use calamine::{Data, Reader, open_workbook_auto};

use crate::table::{TableError, TableShape, TableWriter};

/// Why a workbook could not be converted.
#[derive(Debug, thiserror::Error)]
pub enum ExcelError {
    /// The file is missing (result `not-found`).
    #[error("file `{0}` does not exist")]
    Missing(String),
    /// The file is not a workbook calamine reads, or is damaged.
    #[error("cannot read workbook `{path}`: {cause}")]
    Workbook {
        /// The input.
        path: String,
        /// calamine's explanation.
        cause: String,
    },
    /// No worksheet has the name asked for.
    #[error("no worksheet `{wanted}` in the workbook (it has: {available})")]
    NoSuchSheet {
        /// The name asked for.
        wanted: String,
        /// The names there are.
        available: String,
    },
    /// Writing the XML failed, or a cell cannot be XML.
    #[error(transparent)]
    Table(#[from] TableError),
}

/// Converts worksheet `sheet` (the first when `None`) of the workbook `input` to XML written
/// to `out`; returns the worksheet's name and the number of data rows.
pub fn excel_to_xml(
    input: &Path,
    sheet: Option<&str>,
    headers: bool,
    shape: TableShape,
    out: impl Write,
) -> Result<(String, u64), ExcelError> {
    if !input.exists() {
        return Err(ExcelError::Missing(input.display().to_string()));
    }
    let workbook_error = |cause: String| ExcelError::Workbook {
        path: input.display().to_string(),
        cause,
    };
    let mut workbook = open_workbook_auto(input).map_err(|e| workbook_error(e.to_string()))?;
    let names = workbook.sheet_names();
    // Sheet names are matched as Excel does: ignoring letter case.
    let name = match sheet {
        None => names.first().cloned(),
        Some(wanted) => names
            .iter()
            .find(|n| n.as_str() == wanted)
            .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(wanted)))
            .cloned(),
    }
    .ok_or_else(|| ExcelError::NoSuchSheet {
        wanted: sheet.unwrap_or("(the first)").to_string(),
        available: if names.is_empty() {
            "none".to_string()
        } else {
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        },
    })?;
    let range = workbook
        .worksheet_range(&name)
        .map_err(|e| workbook_error(e.to_string()))?;

    let mut table = TableWriter::start(out, shape)?;
    let mut rows = range.rows();
    if headers && let Some(first) = rows.next() {
        let headings: Vec<String> = first.iter().map(cell_text).collect();
        table.headings(headings.iter().map(String::as_str))?;
    }
    for row in rows {
        let mut cells: Vec<String> = row.iter().map(cell_text).collect();
        // Trailing empty cells are no data (the range is as wide as the widest row).
        while cells.last().is_some_and(String::is_empty) {
            cells.pop();
        }
        if cells.is_empty() {
            continue;
        }
        table.row(cells.iter().map(String::as_str))?;
    }
    let (_, count) = table.finish()?;
    Ok((name, count))
}

/// A cell as text: numbers as written without a needless `.0`, dates in ISO 8601
/// (`2024-05-10T00:00:00`), booleans `true`/`false`, error cells as Excel shows them (`#N/A`).
pub fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) => text.clone(),
        Data::Int(n) => n.to_string(),
        Data::Float(f) => format_number(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(date) => match date.as_datetime() {
            Some(moment) if date.is_datetime() => moment.format("%Y-%m-%dT%H:%M:%S").to_string(),
            _ => format_number(date.as_f64()),
        },
        Data::DateTimeIso(text) | Data::DurationIso(text) => text.clone(),
        Data::Error(error) => error.to_string(),
    }
}

fn format_number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal `.xlsx` workbook (inline strings, numbers) written with the zip crate, so the
    /// tests need no spreadsheet program.
    pub(crate) fn write_xlsx(path: &Path, sheets: &[(&str, &[&[&str]])]) {
        let file = std::fs::File::create(path).unwrap();
        let mut zip = zip::ZipWriter::new(file);
        let options = zip::write::SimpleFileOptions::default();
        let mut add = |name: &str, body: String| {
            zip.start_file(name, options).unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        };
        let overrides: String = (1..=sheets.len())
            .map(|i| format!("<Override PartName=\"/xl/worksheets/sheet{i}.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"))
            .collect();
        add(
            "[Content_Types].xml",
            format!(
                "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>{overrides}</Types>"
            ),
        );
        add("_rels/.rels", "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>".into());
        let sheet_list: String = sheets
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                format!(
                    "<sheet name=\"{name}\" sheetId=\"{}\" r:id=\"rId{}\"/>",
                    i + 1,
                    i + 1
                )
            })
            .collect();
        add(
            "xl/workbook.xml",
            format!(
                "<?xml version=\"1.0\"?><workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets>{sheet_list}</sheets></workbook>"
            ),
        );
        let rels: String = (1..=sheets.len())
            .map(|i| format!("<Relationship Id=\"rId{i}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet{i}.xml\"/>"))
            .collect();
        add(
            "xl/_rels/workbook.xml.rels",
            format!(
                "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">{rels}</Relationships>"
            ),
        );
        for (i, (_, rows)) in sheets.iter().enumerate() {
            let mut data = String::new();
            for (r, row) in rows.iter().enumerate() {
                data.push_str(&format!("<row r=\"{}\">", r + 1));
                for (c, cell) in row.iter().enumerate() {
                    let reference = format!("{}{}", (b'A' + c as u8) as char, r + 1);
                    if cell.is_empty() {
                        continue;
                    } else if cell.parse::<f64>().is_ok() {
                        data.push_str(&format!("<c r=\"{reference}\"><v>{cell}</v></c>"));
                    } else {
                        data.push_str(&format!(
                            "<c r=\"{reference}\" t=\"inlineStr\"><is><t>{cell}</t></is></c>"
                        ));
                    }
                }
                data.push_str("</row>");
            }
            add(
                &format!("xl/worksheets/sheet{}.xml", i + 1),
                format!(
                    "<?xml version=\"1.0\"?><worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>{data}</sheetData></worksheet>"
                ),
            );
        }
        zip.finish().unwrap();
    }

    fn shape() -> TableShape {
        TableShape {
            root: "Root".into(),
            row: "Row".into(),
            column_prefix: "F".into(),
            as_elements: true,
        }
    }

    #[test]
    fn worksheets_headings_and_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("book.xlsx");
        write_xlsx(
            &path,
            &[
                ("Summary", &[&["nothing"]]),
                (
                    "Sheet1",
                    &[&["Code", "Price"], &["A1", "4309.77"], &["B2", "10"], &[]],
                ),
            ],
        );
        let mut out = Vec::new();
        let (name, rows) = excel_to_xml(&path, Some("sheet1"), true, shape(), &mut out).unwrap();
        let xml = String::from_utf8(out).unwrap();
        assert_eq!((name.as_str(), rows), ("Sheet1", 2));
        assert!(
            xml.contains("<Code>A1</Code>\n    <Price>4309.77</Price>"),
            "{xml}"
        );
        assert!(xml.contains("<Price>10</Price>"), "{xml}");

        let mut out = Vec::new();
        let (name, rows) = excel_to_xml(&path, None, false, shape(), &mut out).unwrap();
        assert_eq!((name.as_str(), rows), ("Summary", 1));
        assert!(String::from_utf8(out).unwrap().contains("<F1>nothing</F1>"));
    }

    #[test]
    fn missing_sheets_files_and_non_workbooks_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("book.xlsx");
        write_xlsx(&path, &[("Sheet1", &[&["A"]])]);
        let error = excel_to_xml(&path, Some("Orders"), true, shape(), Vec::new())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("`Orders`") && error.contains("`Sheet1`"),
            "{error}"
        );
        let missing = dir.path().join("none.xls");
        assert!(matches!(
            excel_to_xml(&missing, None, true, shape(), Vec::new()),
            Err(ExcelError::Missing(_))
        ));
        let text = dir.path().join("text.xls");
        std::fs::write(&text, "not a workbook").unwrap();
        assert!(matches!(
            excel_to_xml(&text, None, true, shape(), Vec::new()),
            Err(ExcelError::Workbook { .. })
        ));
    }

    #[test]
    fn cells_as_text() {
        assert_eq!(cell_text(&Data::Float(0.0)), "0");
        assert_eq!(cell_text(&Data::Float(2.5)), "2.5");
        assert_eq!(cell_text(&Data::Int(-3)), "-3");
        assert_eq!(cell_text(&Data::Bool(true)), "true");
        assert_eq!(cell_text(&Data::Empty), "");
    }
}
