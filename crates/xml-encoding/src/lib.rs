//! The character encoding of an XML document, and its text as UTF-8.
//!
//! Every Wharf task that reads XML decides the encoding the same way, so a file one task
//! accepts is accepted by all (see `docs/xml-encodings.md`):
//! 1. a UTF-16 byte order mark, or the UTF-16 form of `<?`, means UTF-16;
//! 2. a UTF-8 byte order mark means UTF-8, whatever a declaration says;
//! 3. else the declaration's `encoding`, if any; without one, UTF-8.
//!
//! ISO-8859-1 is read as true Latin-1 (every byte is the code point of its value), as libxml2
//! reads it; the WHATWG tables behind `encoding_rs` would read it as windows-1252. "UTF-16"
//! declared over ASCII-compatible bytes is a wrong declaration and the bytes are read as UTF-8,
//! again as libxml2 does.

use std::borrow::Cow;

use quick_xml::{Reader, events::Event};

/// How a document's bytes are to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XmlEncoding {
    Utf8,
    /// Byte order from the mark, else from the `<?` signature.
    Utf16,
    /// True ISO-8859-1.
    Latin1,
    /// Another ASCII-compatible encoding `encoding_rs` knows (windows-1252, ISO-8859-15, …).
    Other(&'static encoding_rs::Encoding),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodingError {
    #[error("the declared encoding `{0}` is not supported")]
    Unsupported(String),
    #[error(
        "the document is not valid UTF-8 (at byte {offset}); declare its encoding in the XML declaration"
    )]
    NotUtf8 { offset: usize },
    #[error("the document is not valid {0}")]
    Malformed(&'static str),
}

/// Labels read as true ISO-8859-1 (lower case).
const LATIN1_LABELS: &[&str] = &[
    "iso-8859-1",
    "iso8859-1",
    "iso_8859-1",
    "latin1",
    "latin-1",
    "l1",
    "cp819",
    "ibm819",
    "iso-ir-100",
    "csisolatin1",
];

/// How much of the start is looked at for the declaration.
pub const SNIFF_BYTES: usize = 1024;

/// Decides the encoding from the start of a document (its first [`SNIFF_BYTES`] suffice).
pub fn detect(head: &[u8]) -> Result<XmlEncoding, EncodingError> {
    let head = &head[..head.len().min(SNIFF_BYTES)];
    if head.starts_with(&[0xFF, 0xFE])
        || head.starts_with(&[0xFE, 0xFF])
        || head.starts_with(&[b'<', 0, b'?', 0])
        || head.starts_with(&[0, b'<', 0, b'?'])
    {
        return Ok(XmlEncoding::Utf16);
    }
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Ok(XmlEncoding::Utf8);
    }
    let Some(label) = declared_encoding(head) else {
        return Ok(XmlEncoding::Utf8);
    };
    let lower = label.to_ascii_lowercase();
    if LATIN1_LABELS.contains(&lower.as_str()) {
        return Ok(XmlEncoding::Latin1);
    }
    match encoding_rs::Encoding::for_label(lower.as_bytes()) {
        Some(e) if e == encoding_rs::UTF_8 => Ok(XmlEncoding::Utf8),
        // Declared UTF-16 over bytes that are plainly ASCII-compatible: the bytes are UTF-8.
        Some(e) if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE => {
            Ok(XmlEncoding::Utf8)
        }
        Some(e) if e.is_ascii_compatible() && e.name() != "replacement" => {
            Ok(XmlEncoding::Other(e))
        }
        _ => Err(EncodingError::Unsupported(label)),
    }
}

/// The whole document as UTF-8 text: borrowed when it is UTF-8 already. A UTF-8 byte order
/// mark is kept (parsers skip it); a UTF-16 one is dropped.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, EncodingError> {
    match detect(bytes)? {
        XmlEncoding::Utf8 => {
            std::str::from_utf8(bytes)
                .map(Cow::Borrowed)
                .map_err(|e| EncodingError::NotUtf8 {
                    offset: e.valid_up_to(),
                })
        }
        XmlEncoding::Latin1 => {
            let mut out = vec![0; bytes.len() * 2];
            let written = encoding_rs::mem::convert_latin1_to_utf8(bytes, &mut out);
            out.truncate(written);
            Ok(Cow::Owned(
                String::from_utf8(out).expect("Latin-1 converts to valid UTF-8"),
            ))
        }
        XmlEncoding::Utf16 => {
            let (encoding, body) = match encoding_rs::Encoding::for_bom(bytes) {
                Some((e, len)) => (e, &bytes[len..]),
                None if bytes.first() == Some(&b'<') => (encoding_rs::UTF_16LE, bytes),
                None => (encoding_rs::UTF_16BE, bytes),
            };
            without_errors(encoding, body)
        }
        XmlEncoding::Other(encoding) => without_errors(encoding, bytes),
    }
}

fn without_errors<'b>(
    encoding: &'static encoding_rs::Encoding,
    bytes: &'b [u8],
) -> Result<Cow<'b, str>, EncodingError> {
    let (text, malformed) = encoding.decode_without_bom_handling(bytes);
    if malformed {
        Err(EncodingError::Malformed(encoding.name()))
    } else {
        Ok(text)
    }
}

/// The `encoding` of an XML declaration at the start of `head`, if there is one.
pub fn declared_encoding(head: &[u8]) -> Option<String> {
    if !head.starts_with(b"<?xml") {
        return None;
    }
    // The declaration is ASCII; stop before whatever follows it, which may not be UTF-8.
    let end = head.windows(2).position(|pair| pair == b"?>")? + 2;
    let mut reader = Reader::from_reader(&head[..end]);
    match reader.read_event() {
        Ok(Event::Decl(decl)) => decl
            .encoding()
            .and_then(Result::ok)
            .map(|label| label.trim().to_owned()),
        _ => None,
    }
}

/// Whether a declared encoding label names UTF-8.
pub fn is_utf8_label(label: &str) -> bool {
    let label = label.trim();
    label.eq_ignore_ascii_case("utf-8") || label.eq_ignore_ascii_case("utf8")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend_from_slice(if big_endian {
                &[0xFE, 0xFF]
            } else {
                &[0xFF, 0xFE]
            });
        }
        for unit in text.encode_utf16() {
            out.extend_from_slice(&if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        out
    }

    #[test]
    fn every_declared_form_decodes_to_the_same_text() {
        let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><a>café €</a>";
        for (big_endian, bom) in [(false, true), (true, true), (false, false), (true, false)] {
            let bytes = utf16(text, big_endian, bom);
            assert_eq!(detect(&bytes), Ok(XmlEncoding::Utf16));
            assert_eq!(decode(&bytes).unwrap(), text, "be {big_endian} bom {bom}");
        }
        let latin1 = b"<?xml version='1.0' encoding='ISO-8859-1'?><a>caf\xe9 \x80</a>";
        assert_eq!(
            decode(latin1).unwrap(),
            "<?xml version='1.0' encoding='ISO-8859-1'?><a>café \u{80}</a>"
        );
        let cp1252 = b"<?xml version='1.0' encoding='windows-1252'?><a>\x80</a>";
        assert_eq!(
            decode(cp1252).unwrap(),
            "<?xml version='1.0' encoding='windows-1252'?><a>€</a>"
        );
    }

    #[test]
    fn utf8_is_borrowed_and_wrong_declarations_and_bad_bytes_are_named() {
        let utf8 = "<?xml version=\"1.0\"?><a>é</a>";
        assert!(matches!(decode(utf8.as_bytes()).unwrap(), Cow::Borrowed(_)));
        let mislabelled = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><a>é</a>";
        assert_eq!(decode(mislabelled.as_bytes()).unwrap(), mislabelled);
        assert_eq!(
            decode(b"<?xml version=\"1.0\" encoding=\"klingon\"?><a/>"),
            Err(EncodingError::Unsupported("klingon".into()))
        );
        assert_eq!(
            decode(b"<a>\xe9</a>"),
            Err(EncodingError::NotUtf8 { offset: 3 })
        );
        assert_eq!(
            decode(&[0xFF, 0xFE, b'<', 0, 0x00, 0xD8]),
            Err(EncodingError::Malformed("UTF-16LE"))
        );
    }
}
