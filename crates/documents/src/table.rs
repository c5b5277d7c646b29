//! Rows of a table (a CSV file, a worksheet) as XML, as Zynk's CSV to XML and Excel to XML
//! write them (docs/documents.md):
//!
//! ```xml
//! <?xml version="1.0" encoding="utf-8"?>
//! <Root>
//!   <Row>
//!     <AccountReference>A1D001</AccountReference>   <!-- or <Row AccountReference="A1D001" /> -->
//!   </Row>
//! </Root>
//! ```
//!
//! Columns are named by the heading row (made into XML names by [`encode_local_name`]) or, without
//! one, `<prefix><n>` from 1. A row with fewer cells than columns leaves the missing ones out; a
//! row with more names the extra ones `<prefix><n>`. Rows are written as they come: nothing is
//! held but the column names.

use std::io::Write;

use quick_xml::{
    Writer,
    events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event},
};

use wharf_guest::TaskSettings;

use crate::names::{encode_local_name, is_local_name};

/// The settings that shape a table's XML, shared by `csv-to-xml` and `excel-to-xml`.
#[derive(Debug, Clone, PartialEq, Eq, TaskSettings)]
pub struct TableSettings {
    /// Column names without a heading row: this and the column's number (F1, F2 …).
    #[setting(default = "F")]
    pub column_name_prefix: String,
    /// Values as child elements (true) or as attributes of the row element (false).
    #[setting(default = true)]
    pub export_as_elements: bool,
    /// The document element's name.
    #[setting(default = "Root")]
    pub root: String,
    /// Each row's element name.
    #[setting(default = "Row")]
    pub row: String,
}

impl TableSettings {
    /// The shape, checked: a name that cannot be an XML element name fails naming its setting.
    pub fn shape(&self) -> Result<TableShape, wharf_guest::TaskError> {
        let shape = TableShape {
            root: self.root.clone(),
            row: self.row.clone(),
            column_prefix: self.column_name_prefix.clone(),
            as_elements: self.export_as_elements,
        };
        shape
            .check()
            .map_err(|e| crate::task::setting_failure(e.setting().unwrap_or("root"), &e))?;
        Ok(shape)
    }
}

/// How rows become XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableShape {
    /// The document element's name.
    pub root: String,
    /// Each row's element name.
    pub row: String,
    /// Column names when there is no heading row: this and the column's number from 1.
    pub column_prefix: String,
    /// Cells as child elements (true) or as attributes of the row (false).
    pub as_elements: bool,
}

/// Why a table could not be written.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// `root`, `row` or `column-prefix` is not an XML name.
    #[error(
        "`{value}` is not an XML element name (letters, digits, `_`, `-`, `.`; not starting with a digit)"
    )]
    BadName {
        /// The setting it came from.
        setting: &'static str,
        /// Its value.
        value: String,
    },
    /// Two columns have the same name.
    #[error("column heading `{0}` appears twice in the heading row")]
    DuplicateHeading(String),
    /// A cell holds a character XML 1.0 cannot carry.
    #[error("row {row}, column `{column}`: character U+{code:04X} cannot be written in XML")]
    BadCharacter {
        /// The data row's number, from 1.
        row: u64,
        /// The column's name.
        column: String,
        /// The character.
        code: u32,
    },
    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Io(#[from] std::io::Error),
}

impl TableError {
    /// The setting a user would change to fix this, if any.
    pub fn setting(&self) -> Option<&'static str> {
        match self {
            Self::BadName { setting, .. } => Some(setting),
            _ => None,
        }
    }
}

impl TableShape {
    /// Checks the names before anything is read.
    pub fn check(&self) -> Result<(), TableError> {
        for (setting, value) in [("root", &self.root), ("row", &self.row)] {
            if !is_local_name(value) {
                return Err(TableError::BadName {
                    setting,
                    value: value.clone(),
                });
            }
        }
        if !is_local_name(&format!("{}1", self.column_prefix)) {
            return Err(TableError::BadName {
                setting: "column-name-prefix",
                value: self.column_prefix.clone(),
            });
        }
        Ok(())
    }
}

/// Writes a table's rows as they come.
pub struct TableWriter<W: Write> {
    writer: Writer<W>,
    shape: TableShape,
    columns: Vec<String>,
    rows: u64,
}

impl<W: Write> TableWriter<W> {
    /// Writes the declaration and opens the root element.
    pub fn start(out: W, shape: TableShape) -> Result<Self, TableError> {
        shape.check()?;
        let mut writer = Writer::new_with_indent(out, b' ', 2);
        writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
        writer.write_event(Event::Start(BytesStart::new(shape.root.as_str())))?;
        Ok(Self {
            writer,
            shape,
            columns: Vec::new(),
            rows: 0,
        })
    }

    /// Names the columns from a heading row; empty headings get the generated name.
    pub fn headings<'a>(
        &mut self,
        headings: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), TableError> {
        let mut columns: Vec<String> = Vec::new();
        for (index, heading) in headings.into_iter().enumerate() {
            let heading = heading.trim();
            let name = if heading.is_empty() {
                self.generated(index)
            } else {
                encode_local_name(heading)
            };
            if columns.contains(&name) {
                return Err(TableError::DuplicateHeading(heading.to_string()));
            }
            columns.push(name);
        }
        self.columns = columns;
        Ok(())
    }

    fn generated(&self, index: usize) -> String {
        format!("{}{}", self.shape.column_prefix, index + 1)
    }

    fn column(&self, index: usize) -> String {
        self.columns
            .get(index)
            .cloned()
            .unwrap_or_else(|| self.generated(index))
    }

    /// Writes one data row.
    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) -> Result<(), TableError> {
        self.rows += 1;
        let row_number = self.rows;
        let cells: Vec<(String, &str)> = cells
            .into_iter()
            .enumerate()
            .map(|(index, cell)| (self.column(index), cell))
            .collect();
        for (column, cell) in &cells {
            if let Some(bad) = cell.chars().find(|c| !is_xml_char(*c)) {
                return Err(TableError::BadCharacter {
                    row: row_number,
                    column: column.clone(),
                    code: bad as u32,
                });
            }
        }
        let row = self.shape.row.as_str();
        if self.shape.as_elements {
            self.writer
                .write_event(Event::Start(BytesStart::new(row)))?;
            for (column, cell) in &cells {
                let element = self.writer.create_element(column.as_str());
                if cell.is_empty() {
                    element.write_empty()?;
                } else {
                    element.write_text_content(text(cell))?;
                }
            }
            self.writer.write_event(Event::End(BytesEnd::new(row)))?;
        } else {
            let mut start = BytesStart::new(row);
            for (column, cell) in &cells {
                start.push_attribute((column.as_str(), *cell));
            }
            self.writer.write_event(Event::Empty(start))?;
        }
        Ok(())
    }

    /// Closes the root element; returns the writer and the number of rows written.
    pub fn finish(mut self) -> Result<(W, u64), TableError> {
        self.writer
            .write_event(Event::End(BytesEnd::new(self.shape.root.as_str())))?;
        let mut out = self.writer.into_inner();
        out.write_all(b"\n")?;
        Ok((out, self.rows))
    }
}

/// Element text escaped as .NET's XmlWriter does it: `<`, `>` and `&` only (quotes stay).
pub fn text(value: &str) -> BytesText<'_> {
    BytesText::from_escaped(quick_xml::escape::partial_escape(value))
}

/// Whether XML 1.0 can carry `c` (tab, newlines and everything from space up but the
/// surrogates and U+FFFE/U+FFFF, which a Rust `char` cannot be or is checked here).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn shape(as_elements: bool) -> TableShape {
        TableShape {
            root: "Accounts".into(),
            row: "Account".into(),
            column_prefix: "F".into(),
            as_elements,
        }
    }

    fn write(shape: TableShape, headings: Option<&[&str]>, rows: &[&[&str]]) -> String {
        let mut table = TableWriter::start(Vec::new(), shape).unwrap();
        if let Some(headings) = headings {
            table.headings(headings.iter().copied()).unwrap();
        }
        for row in rows {
            table.row(row.iter().copied()).unwrap();
        }
        String::from_utf8(table.finish().unwrap().0).unwrap()
    }

    #[test]
    fn elements_and_attributes() {
        let xml = write(shape(true), Some(&["A", "B c"]), &[&["1", "x & y"]]);
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Accounts>\n  <Account>\n    <A>1</A>\n    \
             <B_x0020_c>x &amp; y</B_x0020_c>\n  </Account>\n</Accounts>\n"
        );
        let xml = write(shape(false), None, &[&["1", "\"q\""]]);
        assert!(
            xml.contains("<Account F1=\"1\" F2=\"&quot;q&quot;\"/>"),
            "{xml}"
        );
    }

    #[test]
    fn ragged_rows_and_empty_cells() {
        let xml = write(shape(true), Some(&["A", "B"]), &[&["1"], &["1", "", "3"]]);
        assert!(
            xml.contains("<Account>\n    <A>1</A>\n  </Account>"),
            "{xml}"
        );
        assert!(xml.contains("<B/>") && xml.contains("<F3>3</F3>"), "{xml}");
    }

    #[test]
    fn bad_names_duplicates_and_characters_are_refused() {
        let mut bad = shape(true);
        bad.row = "a row".into();
        assert_eq!(
            TableWriter::start(Vec::new(), bad).err().unwrap().setting(),
            Some("row")
        );
        let mut table = TableWriter::start(Vec::new(), shape(true)).unwrap();
        assert!(matches!(
            table.headings(["A", "A"]),
            Err(TableError::DuplicateHeading(_))
        ));
        let error = table.row(["\u{1}"]).unwrap_err().to_string();
        assert!(
            error.contains("U+0001") && error.contains("row 1"),
            "{error}"
        );
    }
}
