//! The input's character encoding, and a reader that hands the parser UTF-8 whatever it is.
//!
//! The encoding comes from a byte order mark, the UTF-16 signature of `<?`, or the XML
//! declaration, as XML parsers decide it. UTF-8 input is passed through untouched (records are
//! copied byte for byte); anything else is transcoded to UTF-8 while streaming, so the chunks
//! are UTF-8 and their declarations say so. ISO-8859-1 is read as true Latin-1 (every byte is
//! the code point of its value), as the XSLT task reads it; the WHATWG tables behind
//! `encoding_rs` would read it as windows-1252.

use std::io::{self, BufRead, Read};

use quick_xml::{Reader, encoding::DecodingReader, events::Event};

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

/// How much of the input is looked at to find the declaration (of what the first read
/// buffered: the task reads 256 KiB at a time).
const SNIFF_BYTES: usize = 1024;

/// Decides the encoding of `input` and wraps it in a reader of UTF-8; `Err` names an encoding
/// this task cannot read.
pub fn utf8_source<R: BufRead + 'static>(
    mut input: R,
) -> io::Result<Result<Box<dyn BufRead>, String>> {
    let head = input.fill_buf()?;
    let head = &head[..head.len().min(SNIFF_BYTES)];
    let passthrough = |input: R| Ok(Ok(Box::new(input) as Box<dyn BufRead>));
    let utf16 = head.starts_with(&[0xFF, 0xFE])
        || head.starts_with(&[0xFE, 0xFF])
        || head.starts_with(&[b'<', 0, b'?', 0])
        || head.starts_with(&[0, b'<', 0, b'?']);
    if utf16 {
        // DecodingReader finds the byte order itself and drops the mark.
        return Ok(Ok(Box::new(DecodingReader::new(input))));
    }
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        // A UTF-8 mark outweighs a declaration (the parser drops the mark).
        return passthrough(input);
    }
    let Some(label) = declared_encoding(head) else {
        return passthrough(input);
    };
    let lower = label.to_ascii_lowercase();
    if LATIN1_LABELS.contains(&lower.as_str()) {
        return Ok(Ok(Box::new(Latin1::new(input))));
    }
    match encoding_rs::Encoding::for_label(lower.as_bytes()) {
        Some(encoding) if encoding == encoding_rs::UTF_8 => passthrough(input),
        // "UTF-16" declared over bytes that are plainly ASCII-compatible: the declaration is
        // wrong and the bytes are UTF-8 (libxml2 and the XSLT task read it so too).
        Some(encoding)
            if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE =>
        {
            passthrough(input)
        }
        Some(encoding) if encoding.is_ascii_compatible() && encoding.name() != "replacement" => {
            let mut reader = DecodingReader::new(input);
            reader.set_encoding(encoding);
            Ok(Ok(Box::new(reader)))
        }
        _ => Ok(Err(format!("encoding `{label}` is not supported"))),
    }
}

/// The `encoding` of an XML declaration at the start of `head`, if there is one.
fn declared_encoding(head: &[u8]) -> Option<String> {
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

/// Whether a declared encoding label names UTF-8 (what every chunk is written in).
pub fn is_utf8_label(label: &str) -> bool {
    label.trim().eq_ignore_ascii_case("utf-8") || label.trim().eq_ignore_ascii_case("utf8")
}

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
