//! CSV to XML (docs/documents.md): reads the input row by row in its encoding and writes each
//! row as it is read, so a file of any size converts in constant memory.

use std::{
    fs::File,
    io::{self, BufReader, Read, Write},
    path::Path,
};

use encoding_rs::Encoding;
use encoding_rs_io::DecodeReaderBytesBuilder;

use crate::table::{TableError, TableShape, TableWriter};

/// How the input is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvFormat {
    /// Between columns (`,`, `;`, tab …).
    pub separator: u8,
    /// Around values that hold separators, quotes or line breaks (`"`); `None`: no quoting.
    pub quote: Option<u8>,
    /// The first row names the columns.
    pub headers: bool,
    /// `None`: UTF-8 (a byte order mark, also a UTF-16 one, is honoured).
    pub encoding: Option<&'static Encoding>,
}

/// Why a CSV file could not be converted.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// The input file cannot be opened (missing: result `not-found`).
    #[error("cannot read `{path}`: {source}")]
    Open {
        /// The input.
        path: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The input is not CSV the settings describe (bad UTF-8, a stray quote …).
    #[error("{0}")]
    Parse(String),
    /// Writing the XML failed, or a row cannot be XML.
    #[error(transparent)]
    Table(#[from] TableError),
}

/// Reads a single-byte setting: one ASCII character, `\t` or `tab`, or a character code as
/// Zynk's .wkf files store it (`44` for a comma). Empty gives `None`.
pub fn parse_byte(value: &str) -> Result<Option<u8>, String> {
    let byte = match value {
        "" => return Ok(None),
        "\\t" => b'\t',
        v if v.eq_ignore_ascii_case("tab") => b'\t',
        v if v.len() == 1 && v.is_ascii() => v.as_bytes()[0],
        v if v.len() > 1 && v.bytes().all(|b| b.is_ascii_digit()) => match v.parse::<u8>() {
            Ok(code) if code.is_ascii() && code != b'\n' && code != b'\r' => code,
            _ => return Err(format!("character code `{v}` is not an ASCII character")),
        },
        v => {
            return Err(format!(
                "expected one ASCII character, `\\t` or a character code, got `{v}`"
            ));
        }
    };
    if matches!(byte, b'\n' | b'\r') {
        return Err("a line break cannot separate or quote values".into());
    }
    Ok(Some(byte))
}

/// Reads an encoding name: the WHATWG labels (`utf-8`, `windows-1252`, `iso-8859-1`,
/// `utf-16le` …) and .NET's names as Zynk stores them (`UTF8`, `Unicode`, `BigEndianUnicode`,
/// `ASCII`, `Default`).
pub fn parse_encoding(value: &str) -> Result<Option<&'static Encoding>, String> {
    let name = value.trim();
    let dotnet = match name.to_ascii_lowercase().as_str() {
        "" | "utf8" | "utf-8" => return Ok(None),
        "unicode" | "utf16" => Some(encoding_rs::UTF_16LE),
        "bigendianunicode" => Some(encoding_rs::UTF_16BE),
        // .NET's ASCII and the Windows default code page: windows-1252 reads both.
        "ascii" | "default" => Some(encoding_rs::WINDOWS_1252),
        _ => None,
    };
    match dotnet.or_else(|| Encoding::for_label(name.as_bytes())) {
        Some(encoding) if encoding == encoding_rs::UTF_8 => Ok(None),
        Some(encoding) => Ok(Some(encoding)),
        None => Err(format!(
            "unknown encoding `{value}` (UTF8, Unicode, BigEndianUnicode, ASCII, windows-1252, \
             iso-8859-1 and the other WHATWG names are known)"
        )),
    }
}

/// Converts the CSV file `input` to XML written to `out`; returns the number of data rows.
pub fn csv_file_to_xml(
    input: &Path,
    format: &CsvFormat,
    shape: TableShape,
    out: impl Write,
) -> Result<u64, CsvError> {
    let file = File::open(input).map_err(|source| CsvError::Open {
        path: input.display().to_string(),
        source,
    })?;
    csv_to_xml(
        BufReader::with_capacity(256 * 1024, file),
        format,
        shape,
        out,
    )
}

/// Converts CSV read from `input` to XML written to `out`; returns the number of data rows.
pub fn csv_to_xml(
    input: impl Read,
    format: &CsvFormat,
    shape: TableShape,
    out: impl Write,
) -> Result<u64, CsvError> {
    let decoded = DecodeReaderBytesBuilder::new()
        .encoding(format.encoding)
        .build(input);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(format.separator)
        .quote(format.quote.unwrap_or(b'"'))
        .quoting(format.quote.is_some())
        .has_headers(false)
        .flexible(true)
        .from_reader(decoded);
    let mut table = TableWriter::start(out, shape)?;
    let mut record = csv::StringRecord::new();
    let mut first = true;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(CsvError::Parse(describe(e))),
        }
        if first && format.headers {
            table.headings(record.iter())?;
        } else if !(record.len() == 1 && record[0].is_empty()) {
            // A blank line is no row (the csv reader already skips most; a lone empty
            // field is what an all-blank line with quoting off leaves).
            table.row(record.iter())?;
        }
        first = false;
    }
    Ok(table.finish()?.1)
}

fn describe(error: csv::Error) -> String {
    let position = error.position().map(|p| p.line());
    let what = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => {
            "the text is not valid in the encoding given (setting `encoding`)".to_string()
        }
        csv::ErrorKind::Io(e) => format!("cannot read the input: {e}"),
        _ => error.to_string(),
    };
    match position {
        Some(line) => format!("line {line}: {what}"),
        None => what,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(as_elements: bool) -> TableShape {
        TableShape {
            root: "Accounts".into(),
            row: "Account".into(),
            column_prefix: "F".into(),
            as_elements,
        }
    }

    fn format() -> CsvFormat {
        CsvFormat {
            separator: b',',
            quote: Some(b'"'),
            headers: true,
            encoding: None,
        }
    }

    fn convert(input: &[u8], format: &CsvFormat, shape: TableShape) -> (String, u64) {
        let mut out = Vec::new();
        let rows = csv_to_xml(input, format, shape, &mut out).unwrap();
        (String::from_utf8(out).unwrap(), rows)
    }

    #[test]
    fn the_documented_example_with_headings() {
        let input = b"AccountReference,CompanyName,Balance\r\nA1D001,A1 Design Services,0\r\n\
                      BBS001,Bobs Building Supplies,4309.77\r\n";
        let (xml, rows) = convert(input, &format(), shape(true));
        assert_eq!(rows, 2);
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Accounts>\n  <Account>\n    \
             <AccountReference>A1D001</AccountReference>\n    <CompanyName>A1 Design Services</CompanyName>\n    \
             <Balance>0</Balance>\n  </Account>\n  <Account>\n    <AccountReference>BBS001</AccountReference>\n    \
             <CompanyName>Bobs Building Supplies</CompanyName>\n    <Balance>4309.77</Balance>\n  </Account>\n</Accounts>\n"
        );
    }

    #[test]
    fn the_documented_example_without_headings_as_attributes() {
        let input = b"ZYNK0001,Zynk Software Ltd,0\nJIMSWIM,Jims Swim School,2000.00\n";
        let no_headers = CsvFormat {
            headers: false,
            ..format()
        };
        let mut root = shape(false);
        root.root = "Root".into();
        root.row = "Row".into();
        let (xml, rows) = convert(input, &no_headers, root);
        assert_eq!(rows, 2);
        assert!(
            xml.contains(
                "<Row F1=\"ZYNK0001\" F2=\"Zynk Software Ltd\" F3=\"0\"/>\n  \
             <Row F1=\"JIMSWIM\" F2=\"Jims Swim School\" F3=\"2000.00\"/>"
            ),
            "{xml}"
        );
    }

    #[test]
    fn quoting_separator_and_quote_character() {
        let input = b"A;B\n'x;y';'it''s'\n\"q\";2\n";
        let single = CsvFormat {
            separator: b';',
            quote: Some(b'\''),
            ..format()
        };
        let (xml, _) = convert(input, &single, shape(true));
        assert!(
            xml.contains("<A>x;y</A>") && xml.contains("<B>it's</B>"),
            "{xml}"
        );
        assert!(xml.contains("<A>\"q\"</A>"), "{xml}");
        // Quoting off: quotes are data.
        let no_quotes = CsvFormat {
            quote: None,
            ..format()
        };
        let (xml, _) = convert(b"A,B\n\"x,y\"\n", &no_quotes, shape(true));
        assert!(
            xml.contains("<A>\"x</A>") && xml.contains("<B>y\"</B>"),
            "{xml}"
        );
    }

    #[test]
    fn quoted_line_breaks_tabs_and_blank_lines() {
        let tabs = CsvFormat {
            separator: b'\t',
            ..format()
        };
        let (xml, rows) = convert(b"A\tB\n\"line\none\"\t2\n\n3\t4\n", &tabs, shape(true));
        assert_eq!(rows, 2);
        assert!(xml.contains("<A>line\none</A>"), "{xml}");
    }

    #[test]
    fn encodings() {
        let format_1252 = CsvFormat {
            encoding: parse_encoding("windows-1252").unwrap(),
            ..format()
        };
        let (xml, _) = convert(b"Name\n\xA3 caf\xE9\n", &format_1252, shape(true));
        assert!(xml.contains("<Name>£ café</Name>"), "{xml}");
        // UTF-16 with a byte order mark, whatever the setting says.
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in "N\né\n".encode_utf16() {
            utf16.extend(unit.to_le_bytes());
        }
        let (xml, _) = convert(&utf16, &format(), shape(true));
        assert!(xml.contains("<N>é</N>"), "{xml}");
        // A UTF-8 byte order mark is not part of the first heading.
        let (xml, _) = convert(b"\xEF\xBB\xBFA\n1\n", &format(), shape(true));
        assert!(xml.contains("<A>1</A>"), "{xml}");
        // Bytes that are not UTF-8 under the default encoding are an error naming the line.
        let mut out = Vec::new();
        let error = csv_to_xml(&b"A\n\xE9\n"[..], &format(), shape(true), &mut out)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("line 2") && error.contains("`encoding`"),
            "{error}"
        );
    }

    #[test]
    fn settings_values() {
        assert_eq!(parse_byte("44"), Ok(Some(b',')));
        assert_eq!(parse_byte("\\t"), Ok(Some(b'\t')));
        assert_eq!(parse_byte("|"), Ok(Some(b'|')));
        assert_eq!(parse_byte(""), Ok(None));
        assert!(
            parse_byte("ab").is_err() && parse_byte("300").is_err() && parse_byte("13").is_err()
        );
        assert_eq!(parse_encoding("UTF8"), Ok(None));
        assert_eq!(parse_encoding("Unicode"), Ok(Some(encoding_rs::UTF_16LE)));
        assert_eq!(
            parse_encoding("latin1"),
            Ok(Some(encoding_rs::WINDOWS_1252))
        );
        assert!(parse_encoding("klingon").unwrap_err().contains("klingon"));
    }

    #[test]
    fn an_empty_file_gives_an_empty_root() {
        let (xml, rows) = convert(b"", &format(), shape(true));
        assert_eq!(rows, 0);
        assert!(xml.ends_with("<Accounts>\n</Accounts>\n"), "{xml}");
    }
}
