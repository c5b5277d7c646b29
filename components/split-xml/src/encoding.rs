//! The input's character encoding, and a reader that hands the parser UTF-8 whatever it is.
//!
//! The encoding comes from a byte order mark, the UTF-16 signature of `<?`, or the XML
//! declaration, as XML parsers decide it. UTF-8 input is passed through untouched (records are
//! copied byte for byte); anything else is transcoded to UTF-8 while streaming, so the chunks
//! are UTF-8 and their declarations say so. ISO-8859-1 is read as true Latin-1 (every byte is
//! the code point of its value), as the XSLT task reads it; the WHATWG tables behind
//! `encoding_rs` would read it as windows-1252.

use std::io::{self, BufRead, Read};

use quick_xml::encoding::DecodingReader;
use xml_encoding::XmlEncoding;

/// Decides the encoding of `input` (as every Wharf task does, see the `xml_encoding` crate)
/// and wraps it in a reader of UTF-8; `Err` names an encoding this task cannot read. The
/// reader is read in large blocks (the splitter buffers it), so it is a plain `Read`.
pub fn utf8_source<R: BufRead + 'static>(
    mut input: R,
) -> io::Result<Result<Box<dyn Read>, String>> {
    let head = input.fill_buf()?;
    Ok(Ok(match xml_encoding::detect(head) {
        Err(unsupported) => return Ok(Err(unsupported.to_string())),
        // Records are copied byte for byte (a UTF-8 mark is dropped by the parser).
        Ok(XmlEncoding::Utf8) => Box::new(input),
        // DecodingReader finds the byte order itself and drops the mark.
        Ok(XmlEncoding::Utf16) => Box::new(DecodingReader::new(input)),
        Ok(XmlEncoding::Latin1) => Box::new(Latin1::new(input)),
        Ok(XmlEncoding::Other(encoding)) => {
            let mut reader = DecodingReader::new(input);
            reader.set_encoding(encoding);
            Box::new(reader)
        }
    }))
}

pub use xml_encoding::is_utf8_label;

/// ISO-8859-1 to UTF-8 while streaming.
struct Latin1<R> {
    inner: R,
    decoded: Vec<u8>,
    position: usize,
}

/// Input bytes decoded at a time (at most twice as many UTF-8 bytes).
const LATIN1_CHUNK: usize = 64 * 1024;

impl<R: BufRead> Latin1<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            decoded: Vec::with_capacity(2 * LATIN1_CHUNK),
            position: 0,
        }
    }
}

impl<R: BufRead> BufRead for Latin1<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.position == self.decoded.len() {
            let source = self.inner.fill_buf()?;
            let taken = source.len().min(LATIN1_CHUNK);
            self.decoded.resize(2 * taken, 0);
            let written =
                encoding_rs::mem::convert_latin1_to_utf8(&source[..taken], &mut self.decoded);
            self.decoded.truncate(written);
            self.position = 0;
            self.inner.consume(taken);
        }
        Ok(&self.decoded[self.position..])
    }

    fn consume(&mut self, amount: usize) {
        self.position = (self.position + amount).min(self.decoded.len());
    }
}

impl<R: BufRead> Read for Latin1<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(bytes: &'static [u8]) -> Result<Vec<u8>, String> {
        let mut reader = utf8_source(io::BufReader::with_capacity(48, bytes)).unwrap()?;
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        Ok(out)
    }

    #[test]
    fn latin1_is_true_latin1_even_across_buffer_refills() {
        let out =
            decoded(b"<?xml version='1.0' encoding='ISO-8859-1'?><a>caf\xe9 \x80</a>").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<?xml version='1.0' encoding='ISO-8859-1'?><a>café \u{80}</a>"
        );
    }

    #[test]
    fn utf8_passes_through_and_unknown_encodings_are_named() {
        let utf8 = b"<?xml version=\"1.0\"?><a>\xc3\xa9</a>";
        assert_eq!(decoded(utf8).unwrap(), utf8);
        // A UTF-16 label over ASCII bytes: the bytes are UTF-8.
        let mislabelled = b"<?xml version=\"1.0\" encoding=\"UTF-16\"?><a>\xc3\xa9</a>";
        assert_eq!(decoded(mislabelled).unwrap(), mislabelled);
        let error = decoded(b"<?xml version=\"1.0\" encoding=\"klingon\"?><a/>").unwrap_err();
        assert!(error.contains("`klingon`"), "{error}");
    }
}
