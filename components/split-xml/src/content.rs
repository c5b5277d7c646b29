//! The input buffer the parser reads, and a scanner that reads elements without an event per
//! tag.
//!
//! The splitter follows the document's skeleton with quick-xml's events: the declaration, the
//! ancestors of the records on the query path, and their end tags. Everything else is only
//! copied (or dropped), so a small state machine walks it instead: `memchr` to the next `<` or
//! `&`, then the tag, comment, CDATA section or processing instruction that starts there, and
//! on to the next. It reads in three ways (the `MODE`s): the records' parent's children one at
//! a time ([`read_children`], which stops at each child's start tag), a record or skipped
//! child from its start tag through its end tag ([`read_element`]), and an element's content up
//! to its end tag ([`read_content`], for records at the document's top and elements off the
//! path above the records' parent).
//!
//! Its checks are the parser's own, so an input the event path refused is refused here too,
//! with the same error: end tags match their start tags (nested elements of the record's own
//! name included), `>` inside quoted attribute values does not end a tag, every `&` ends with
//! `;` before the next `<` or `&`, comments, CDATA sections and processing instructions run to
//! their own terminators, and the bytes are UTF-8. Comments, CDATA, processing instructions
//! and DOCTYPEs are rare inside records; each is read by a throwaway quick-xml reader over the
//! buffer, so their rules are exactly the parser's. The tests split every case both ways
//! (`scanner_tests.rs`).

use std::{
    io::{self, BufRead, Read, Write},
    mem,
};

use memchr::memchr2;
use quick_xml::{
    Reader,
    errors::{Error, IllFormedError, SyntaxError},
    parser::{ElementParser, Parser},
};

/// The input as the parser reads it, buffered here and able to copy the bytes the parser
/// consumes: a record's end tag is copied into its chunk exactly as written, without
/// re-serialising its event.
///
/// The buffer is this type's own rather than a `BufReader` behind the decoding layer's
/// `dyn` reader: the parser asks for the buffer and consumes from it several times per event,
/// and in WebAssembly those indirect calls (each with its stack check) took about half of the
/// component's time. Here they are field accesses the compiler inlines into the parser.
pub(crate) struct Tee<R> {
    inner: R,
    /// Bytes asked of `inner` per read (the splitter's 256 KiB; tests use smaller blocks).
    block: usize,
    /// Twice a read block, so a read after keeping a construct cut by the previous block's end
    /// still asks for a whole block (the decoding layer's `BufReader` then passes it by).
    buffer: Box<[u8]>,
    /// The unconsumed bytes are `buffer[position..filled]`.
    position: usize,
    filled: usize,
    /// While set, every consumed byte is appended here.
    pub(crate) recording: Option<Vec<u8>>,
}

impl<R: Read> Tee<R> {
    pub(crate) fn new(inner: R, block: usize) -> Self {
        Tee {
            inner,
            block,
            buffer: vec![0; 2 * block].into_boxed_slice(),
            position: 0,
            filled: 0,
            recording: None,
        }
    }

    /// The unconsumed bytes in the buffer (maybe none).
    #[inline]
    pub(crate) fn window(&self) -> &[u8] {
        &self.buffer[self.position..self.filled]
    }

    /// Reads more input after the unconsumed bytes, keeping them (moved to the front, the
    /// buffer doubled if they fill it). False at the end of the input.
    fn more(&mut self) -> io::Result<bool> {
        if self.position > 0 {
            self.buffer.copy_within(self.position..self.filled, 0);
            self.filled -= self.position;
            self.position = 0;
        }
        if self.filled == self.buffer.len() {
            let mut grown = mem::take(&mut self.buffer).into_vec();
            grown.resize(2 * grown.len(), 0);
            self.buffer = grown.into_boxed_slice();
        }
        let end = self.buffer.len().min(self.filled + self.block);
        loop {
            match self.inner.read(&mut self.buffer[self.filled..end]) {
                Ok(n) => {
                    self.filled += n;
                    return Ok(n > 0);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let available = self.fill_buf()?;
            let n = available.len().min(out.len());
            out[..n].copy_from_slice(&available[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Tee<R> {
    #[inline]
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.position >= self.filled {
            self.position = 0;
            self.filled = 0;
            self.more()?;
        }
        Ok(self.window())
    }

    #[inline]
    fn consume(&mut self, amount: usize) {
        // Consume only ever covers bytes fill_buf returned.
        let end = (self.position + amount).min(self.filled);
        if let Some(sink) = &mut self.recording {
            sink.extend_from_slice(&self.buffer[self.position..end]);
        }
        self.position = end;
    }
}

/// The elements open inside the content being read, innermost last.
///
/// A name is where it stands in the buffered input while that is being scanned (no copy per
/// start tag: in WebAssembly each copy is a call to `memcpy`); when the scan stops for more
/// input, the names still open are copied into `kept`, as the bytes before the stop are
/// consumed.
#[derive(Default)]
pub(crate) struct Open {
    names: Vec<Name>,
    /// The names of elements opened in an earlier read block, one after another.
    kept: Vec<u8>,
    /// The throwaway reader's event buffer, reused.
    scratch: Vec<u8>,
    /// Reading children ([`read_children`]): where the text since the last markup or reference
    /// starts in the window, or `None` if it started in an earlier one (its bytes are then in
    /// `leading`).
    text_from: Option<usize>,
    /// That text while it is white space only (`leading_blank`), else nothing.
    leading: Vec<u8>,
    leading_blank: bool,
}

/// Where an open element's name is: `window[start..end]`, or `kept[start..end]` if `kept`.
#[derive(Clone, Copy)]
struct Name {
    start: usize,
    end: usize,
    kept: bool,
    /// The name holds no quote, so `</name>` ends right after it (see [`end_tag`]).
    plain: bool,
}

impl Open {
    fn clear(&mut self) {
        self.names.clear();
        self.kept.clear();
    }

    /// The name of an open element, in the window being scanned.
    #[inline(always)]
    fn name<'a>(&'a self, name: Name, window: &'a [u8]) -> &'a [u8] {
        let from = if name.kept { &self.kept } else { window };
        &from[name.start..name.end]
    }

    /// Copies the names that are in `window` into `kept`, before its bytes are consumed.
    fn keep(&mut self, window: &[u8]) {
        for name in self.names.iter_mut().filter(|n| !n.kept) {
            let start = self.kept.len();
            self.kept.extend_from_slice(&window[name.start..name.end]);
            *name = Name {
                start,
                end: self.kept.len(),
                kept: true,
                ..*name
            };
        }
    }

    /// The white space the child [`read_children`] stopped at follows (since the last markup
    /// or reference; nothing if that text is not white space only): the indentation of what
    /// comes next, as the parser's whitespace-only text event before it.
    pub(crate) fn leading(&self) -> &[u8] {
        &self.leading
    }

    /// Adds `window[..upto]`'s share of the current text to `leading`, before it is consumed.
    fn carry_text(&mut self, window: &[u8], upto: usize) {
        let text = match self.text_from.take() {
            Some(from) => {
                self.leading.clear();
                self.leading_blank = true;
                window.get(from..upto).unwrap_or_default()
            }
            None => &window[..upto],
        };
        if self.leading_blank && text.iter().all(u8::is_ascii_whitespace) {
            self.leading.extend_from_slice(text);
        } else {
            self.leading_blank = false;
            self.leading.clear();
        }
    }

    /// Closes the innermost element, dropping its kept name if it has one.
    #[inline(always)]
    fn pop(&mut self) {
        if let Some(Name {
            kept: true, start, ..
        }) = self.names.pop()
        {
            self.kept.truncate(start);
        }
    }
}

/// Why the content could not be read.
#[derive(Debug)]
pub(crate) enum ContentError {
    /// Not well-formed (or not readable: `Error::Io`), found `at` bytes after the content's
    /// start.
    Xml { error: Error, at: u64 },
    /// The output could not be written.
    Write(io::Error),
}

/// What the scan of the buffered bytes ended on.
enum Step {
    /// The element's own end tag starts at this index (not consumed).
    End(usize),
    /// ([`ELEMENT`]) The element's end tag ends before this index.
    Closed(usize),
    /// ([`CHILDREN`]) A child's start tag, or empty-element tag, is `window[at..=close]`.
    Child { at: usize, close: usize },
    /// Everything before this index is read; what starts there needs more input, and is
    /// refused as `Pending` says if there is none.
    More(usize, Pending),
    /// Not well-formed at this index.
    Fail(usize, Error),
}

/// Checks that `bytes` are UTF-8; `Err(i)`: the first bad sequence starts at `i`. ASCII, most of
/// an XML file, passes 64 bytes a step with vector compares (std's check takes 8 a step in
/// WebAssembly); the rest goes to std 64 bytes at a time.
fn utf8_up_to(bytes: &[u8]) -> Result<(), usize> {
    let mut i = 0;
    while i < bytes.len() {
        if let Some(block) = bytes[i..].first_chunk::<64>()
            && is_ascii_64(block)
        {
            i += 64;
            continue;
        }
        // Fewer than 64 bytes left after some: the last 64 bytes (overlapping those already
        // checked) in one step if they are ASCII.
        if i > 0
            && bytes.len() - i < 64
            && let Some(block) = bytes.last_chunk::<64>()
            && is_ascii_64(block)
        {
            return Ok(());
        }
        let end = bytes.len().min(i + 64);
        match std::str::from_utf8(&bytes[i..end]) {
            Ok(_) => i = end,
            // A sequence cut by `end` (never at `i`: 64 bytes hold a whole one): on from it.
            Err(e) if e.error_len().is_none() && end < bytes.len() => i += e.valid_up_to(),
            Err(e) => return Err(i + e.valid_up_to()),
        }
    }
    Ok(())
}

/// No byte of `block` has its high bit set: the four 16-byte pieces or'd together, then one
/// bit mask.
#[inline(always)]
fn is_ascii_64(block: &[u8; 64]) -> bool {
    high_bits_64(block) == 0
}

/// Non-zero if a byte of `block` has its high bit set.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn high_bits_64(block: &[u8; 64]) -> u32 {
    use core::arch::wasm32::{u8x16_bitmask, v128, v128_load, v128_or};
    let (quarters, _) = block.as_chunks::<16>();
    // SAFETY: reads 16 bytes of `block` each; wasm loads need no alignment.
    let load = |quarter: &[u8; 16]| unsafe { v128_load(quarter.as_ptr().cast::<v128>()) };
    let any = v128_or(
        v128_or(load(&quarters[0]), load(&quarters[1])),
        v128_or(load(&quarters[2]), load(&quarters[3])),
    );
    u32::from(u8x16_bitmask(any))
}

/// Non-zero if a byte of `block` has its high bit set.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn high_bits_64(block: &[u8; 64]) -> u32 {
    use core::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128};
    let (quarters, _) = block.as_chunks::<16>();
    // SAFETY: SSE2 is part of x86_64; each load reads 16 bytes of `block`, unaligned.
    unsafe {
        let load = |quarter: &[u8; 16]| _mm_loadu_si128(quarter.as_ptr().cast::<__m128i>());
        let any = _mm_or_si128(
            _mm_or_si128(load(&quarters[0]), load(&quarters[1])),
            _mm_or_si128(load(&quarters[2]), load(&quarters[3])),
        );
        _mm_movemask_epi8(any) as u32
    }
}

/// Non-zero if a byte of `block` has its high bit set.
#[cfg(not(any(
    all(target_arch = "wasm32", target_feature = "simd128"),
    target_arch = "x86_64"
)))]
#[inline(always)]
fn high_bits_64(block: &[u8; 64]) -> u32 {
    u32::from(block.iter().fold(0, |high, &b| high | b) >> 7)
}

/// A UTF-8 fault at `window[at]`, `read` bytes after the content's start: the error names the
/// bad sequence from its own first byte (the parser counts from the start of the piece of
/// text or markup it was making a string of).
fn utf8_error(window: &[u8], at: usize, read: u64) -> ContentError {
    let error = std::str::from_utf8(&window[at..]).expect_err("a UTF-8 fault starts here");
    ContentError::Xml {
        error: error.into(),
        at: read + at as u64,
    }
}

/// What was cut off by the end of the buffered input.
enum Pending {
    /// Text (an incomplete UTF-8 sequence, or nothing at all).
    Text,
    /// A `&` and no `;` yet.
    Reference,
    /// A `<` alone.
    Lt,
    /// A start or end tag, in the state its scan stopped in.
    Tag(ElementParser),
    /// A comment, CDATA section, processing instruction or DOCTYPE: the parser's error.
    Markup(Error),
}

/// What a scan reads (the `MODE` of [`read`] and [`scan`]): an element's content up to its end
/// tag, not included ([`CONTENT`]); an element from its start tag, which the window starts
/// with, through its end tag ([`ELEMENT`]); or an element's children one at a time, stopping
/// at each child's start tag and at the element's end tag ([`CHILDREN`]).
const CONTENT: u8 = 0;
const ELEMENT: u8 = 1;
const CHILDREN: u8 = 2;

/// Where a read stopped.
enum Stop {
    /// At the end tag of the element whose content was read (not consumed).
    End,
    /// After the end tag of the element read.
    Closed,
    /// At a child's start tag or empty-element tag, this many bytes (not consumed).
    Child(usize),
}

/// Reads the content of the element whose start tag the parser just read, `name`, up to its
/// end tag: the bytes go to `out` (if any) exactly as written and the end tag is left for the
/// parser, which checks it against the start tag. Returns the number of bytes read (the
/// parser's position does not count them).
pub(crate) fn read_content<R: Read, W: Write>(
    tee: &mut Tee<R>,
    out: Option<&mut W>,
    open: &mut Open,
    name: &[u8],
) -> Result<u64, ContentError> {
    open.clear();
    read::<CONTENT, R, W>(tee, out, open, name, 0).map(|(read, _)| read)
}

/// Reads the children of the element whose start tag the parser just read, `name`, up to the
/// next child's start tag or empty-element tag (its length returned, its bytes first in
/// `tee`'s window, not consumed) or else up to the element's end tag (`None`; left for the
/// parser). What precedes is only read, its white space kept as [`Open::leading`]. Also returns
/// the number of bytes read.
pub(crate) fn read_children<R: Read>(
    tee: &mut Tee<R>,
    open: &mut Open,
    name: &[u8],
) -> Result<(u64, Option<usize>), ContentError> {
    open.clear();
    open.text_from = Some(0);
    let (read, stop) = read::<CHILDREN, R, io::Sink>(tee, None, open, name, 0)?;
    Ok((
        read,
        match stop {
            Stop::Child(len) => Some(len),
            _ => None,
        },
    ))
}

/// Reads the element whose start tag (`tag` bytes, as [`read_children`] found it, its name
/// `name_len` bytes after the `<`) starts `tee`'s window through its end tag, copying it to
/// `out` (if any) exactly as written. Returns the number of bytes read.
pub(crate) fn read_element<R: Read, W: Write>(
    tee: &mut Tee<R>,
    out: Option<&mut W>,
    open: &mut Open,
    tag: usize,
    name_len: usize,
) -> Result<u64, ContentError> {
    open.clear();
    let name = &tee.window()[1..1 + name_len];
    open.names.push(Name {
        start: 1,
        end: 1 + name_len,
        kept: false,
        plain: !name.iter().any(|&b| matches!(b, b'"' | b'\'')),
    });
    read::<ELEMENT, R, W>(tee, out, open, &[], tag).map(|(read, _)| read)
}

/// The length of the name a tag's content starts with: up to the first whitespace, as the
/// parser reads it. The content is `after_lt[..len]` (after `<`, before `>` or `/>`); the
/// bytes after it are only looked at to find a short name with one vector compare.
#[inline(always)]
pub(crate) fn name_len(after_lt: &[u8], len: usize) -> usize {
    match first_in_16(after_lt, [b' ', b'\t', b'\n', b'\r']) {
        Some(Some(space)) => space.min(len),
        Some(None) if len <= 16 => len,
        _ => after_lt[..len]
            .iter()
            .position(|&b| is_whitespace(b))
            .unwrap_or(len),
    }
}

/// The read loop of every `MODE`: scans the window from `from`, and from the start of each
/// window after it, for more input until the scan stops.
fn read<const MODE: u8, R: Read, W: Write>(
    tee: &mut Tee<R>,
    mut out: Option<&mut W>,
    open: &mut Open,
    name: &[u8],
    mut from: usize,
) -> Result<(u64, Stop), ContentError> {
    let mut read: u64 = 0;
    let mut at_end = false;
    loop {
        let window = tee.window();
        let (upto, stop, fault) = match scan::<MODE>(window, from, open) {
            Step::End(at) => (at, Some(Stop::End), None),
            Step::Closed(after) => (after, Some(Stop::Closed), None),
            Step::Child { at, close } => (at, Some(Stop::Child(close + 1 - at)), None),
            Step::More(upto, Pending::Text) if at_end && upto < window.len() => {
                // An incomplete UTF-8 sequence at the end of the input.
                if let Err(bad) = utf8_up_to(&window[..upto]) {
                    return Err(utf8_error(&window[..upto], bad, read));
                }
                return Err(utf8_error(window, upto, read));
            }
            Step::More(upto, pending) if at_end => {
                // The element cut off is the outermost one read (ELEMENT), else `name`.
                let name = match open.names.first() {
                    Some(&outermost) if MODE == ELEMENT => open.name(outermost, window),
                    _ => name,
                };
                let error = eof_error(pending, &window[upto..], name);
                (upto, None, Some(error))
            }
            Step::More(upto, _) => {
                open.keep(window);
                (upto, None, None)
            }
            Step::Fail(at, error) => (at, None, Some(error)),
        };
        // The bytes before the stop are UTF-8 (the parser makes a string of every piece, and
        // of a child's tag) and go out; a UTF-8 fault comes before any later one, as it would
        // in the parser.
        let checked = match stop {
            Some(Stop::Child(tag)) => upto + tag,
            _ => upto,
        };
        if let Err(bad) = utf8_up_to(&window[..checked]) {
            return Err(utf8_error(&window[..checked], bad, read));
        }
        if let Some(error) = fault {
            return Err(ContentError::Xml {
                error,
                at: read + upto as u64,
            });
        }
        if let Some(out) = &mut out {
            out.write_all(&window[..upto])
                .map_err(ContentError::Write)?;
        }
        if MODE == CHILDREN {
            open.carry_text(window, upto);
        }
        tee.consume(upto);
        read += upto as u64;
        if let Some(stop) = stop {
            return Ok((read, stop));
        }
        from = 0;
        at_end = !tee.more().map_err(|e| ContentError::Xml {
            error: e.into(),
            at: read,
        })?;
    }
}

/// Scans the buffered bytes from `from`, keeping `open` up to date, until the element's end
/// tag (or, as `MODE` says, past it, or at a child), a construct the buffer cuts off, or a
/// fault.
#[inline(always)]
fn scan<const MODE: u8>(window: &[u8], from: usize, open: &mut Open) -> Step {
    let mut i = from;
    loop {
        let text = &window[i..];
        let found = match first_in_16(text, [b'<', b'&']) {
            Some(Some(found)) => Some(found),
            Some(None) => memchr2(b'<', b'&', &text[16..]).map(|found| 16 + found),
            None => memchr2(b'<', b'&', text),
        };
        let Some(found) = found else {
            return Step::More(char_boundary(window, i), Pending::Text);
        };
        let at = i + found;
        if window[at] == b'&' {
            // The parser reads a reference up to `;` and refuses a `<` or `&` before it.
            match first_of(&window[at + 1..], [b';', b'&', b'<']) {
                Some(end) if window[at + 1 + end] == b';' => {
                    i = at + end + 2;
                    if MODE == CHILDREN {
                        open.text_from = Some(i);
                    }
                    continue;
                }
                Some(_) => return Step::Fail(at, IllFormedError::UnclosedReference.into()),
                None => return Step::More(at, Pending::Reference),
            }
        }
        let Some(&kind) = window.get(at + 1) else {
            return Step::More(at, Pending::Lt);
        };
        match kind {
            b'!' | b'?' => match other_markup(&window[at..], &mut open.scratch) {
                Markup::Read(len) => {
                    i = at + len;
                    if MODE == CHILDREN {
                        open.text_from = Some(i);
                    }
                }
                Markup::Cut(error) => return Step::More(at, Pending::Markup(error)),
                Markup::Fault(error, offset) => return Step::Fail(at + offset, error),
            },
            _ => {
                if kind == b'/' {
                    let Some(&innermost) = open.names.last() else {
                        return Step::End(at);
                    };
                    let expected = open.name(innermost, window);
                    // Most end tags are `</name>` exactly.
                    if let Some(close) = end_tag(window, at, expected, innermost.plain) {
                        open.pop();
                        i = close + 1;
                        if MODE == ELEMENT && open.names.is_empty() {
                            return Step::Closed(i);
                        }
                        continue;
                    }
                    let close = match tag_end(&window[at + 1..]) {
                        Ok((close, _)) => at + 1 + close,
                        Err(parser) => return Step::More(at, Pending::Tag(parser)),
                    };
                    let found = trim_end(&window[at + 2..close]);
                    if !same_bytes(found, expected) {
                        // The parser makes a string of the tag before it compares names.
                        if let Err(bad) = utf8_up_to(&window[at..close]) {
                            let error = std::str::from_utf8(&window[at + bad..close])
                                .expect_err("a UTF-8 fault starts here");
                            return Step::Fail(at + bad, error.into());
                        }
                        return Step::Fail(at, mismatched(expected, found));
                    }
                    open.pop();
                    i = close + 1;
                    if MODE == ELEMENT && open.names.is_empty() {
                        return Step::Closed(i);
                    }
                } else {
                    // A start tag runs to the first `>` outside quotes, as the parser reads it.
                    let (close, unquoted) = match tag_end(&window[at + 1..]) {
                        Ok((close, unquoted)) => (at + 1 + close, unquoted),
                        Err(parser) => return Step::More(at, Pending::Tag(parser)),
                    };
                    if MODE == CHILDREN && open.names.is_empty() {
                        return Step::Child { at, close };
                    }
                    let content = &window[at + 1..close];
                    // `<x/>` opens nothing.
                    if content.last() != Some(&b'/') {
                        let len = name_len(&window[at + 1..], content.len());
                        let start = at + 1;
                        let name = &content[..len];
                        open.names.push(Name {
                            start,
                            end: start + len,
                            kept: false,
                            plain: unquoted || !name.iter().any(|&b| matches!(b, b'"' | b'\'')),
                        });
                    }
                    i = close + 1;
                }
            }
        }
    }
}

/// A comment, CDATA section, processing instruction or DOCTYPE at the start of `bytes`, read
/// by the parser itself.
enum Markup {
    /// It is this many bytes long.
    Read(usize),
    /// The buffer ends inside it; the error is the parser's if the input does too.
    Cut(Error),
    /// Not well-formed, at this offset in it (where the parser puts the fault).
    Fault(Error, usize),
}

fn other_markup(bytes: &[u8], scratch: &mut Vec<u8>) -> Markup {
    scratch.clear();
    let mut reader = Reader::from_reader(bytes);
    match reader.read_event_into(scratch) {
        Ok(_) => Markup::Read(reader.buffer_position() as usize),
        // `<!` alone: the kind of markup is in the next byte.
        Err(error @ Error::Syntax(SyntaxError::InvalidBangMarkup)) if bytes.len() == 2 => {
            Markup::Cut(error)
        }
        // The parser read to the end without finding the terminator.
        Err(error @ Error::Syntax(_)) if reader.buffer_position() == bytes.len() as u64 => {
            Markup::Cut(error)
        }
        Err(error) => Markup::Fault(error, reader.error_position() as usize),
    }
}

/// The error for what the end of the input cut off (`rest`, from its start).
fn eof_error(pending: Pending, rest: &[u8], name: &[u8]) -> Error {
    match pending {
        // Text to the end of the input (whole characters: an incomplete one is refused
        // before this): the end tag is missing.
        Pending::Text => {
            IllFormedError::MissingEndTag(String::from_utf8_lossy(name).into_owned()).into()
        }
        Pending::Reference => IllFormedError::UnclosedReference.into(),
        Pending::Lt => SyntaxError::UnclosedTag.into(),
        Pending::Tag(tag) => tag.eof_error(rest).into(),
        Pending::Markup(error) => error,
    }
}

fn mismatched(expected: &[u8], found: &[u8]) -> Error {
    // Both are UTF-8 once the bytes before them are (checked before this error is reported).
    IllFormedError::MismatchedEndTag {
        expected: String::from_utf8_lossy(expected).into_owned(),
        found: String::from_utf8_lossy(found).into_owned(),
    }
    .into()
}

/// Where the `>` ending the end tag at `window[at]` is, if the tag is `</expected>` exactly:
/// the first `>` outside quotes, as the parser finds it, when `expected` holds no quote
/// (`plain`; it holds no `>`, having come before its start tag's end).
#[inline(always)]
fn end_tag(window: &[u8], at: usize, expected: &[u8], plain: bool) -> Option<usize> {
    let close = at + 2 + expected.len();
    (plain && window.get(close) == Some(&b'>') && same_bytes(&window[at + 2..close], expected))
        .then_some(close)
}

/// Where the `>` ending a tag is (`tag` starts after its `<`) and whether no quote came before
/// it: outside quoted attribute values, as the parser's `ElementParser` finds it; else the
/// state its scan ended in. Most tags end within 64 bytes: vector compares find their `>` and
/// quotes 16 bytes at a time, and the quotes are paired from the compare's bit mask (the
/// parser's own scan is a `memchr3` per quote, a call with its own set-up each time in
/// WebAssembly).
#[inline(always)]
fn tag_end(tag: &[u8]) -> Result<(usize, bool), ElementParser> {
    let mut state = ElementParser::Outside;
    let mut quoted = false;
    let mut from = 0;
    while from < 64 {
        let Some(block) = tag[from..].first_chunk::<16>() else {
            break;
        };
        let mut special = matches_16(block, [b'>', b'"', b'\'']);
        while special != 0 {
            let at = special.trailing_zeros() as usize;
            special &= special - 1;
            state = match (state, block[at]) {
                (ElementParser::Outside, b'>') => return Ok((from + at, !quoted)),
                (ElementParser::Outside, quote) => {
                    quoted = true;
                    if quote == b'"' {
                        ElementParser::DoubleQ
                    } else {
                        ElementParser::SingleQ
                    }
                }
                (ElementParser::DoubleQ, b'"') | (ElementParser::SingleQ, b'\'') => {
                    ElementParser::Outside
                }
                (inside, _) => inside,
            };
        }
        from += 16;
    }
    // Nothing but the tag's own bytes before `from`, read in the state the parser would be in:
    // the parser goes on from there.
    let mut parser = state;
    parser
        .feed(&tag[from..])
        .map(|at| (from + at, false))
        .ok_or(parser)
}

/// Where the first of `of` is in `bytes[..16]` (`Some(None)`: none of them there), found with
/// one vector compare; `None` if there are fewer than 16 bytes. Most of a record's pieces are
/// short (indentation, a field's value, a tag), and in WebAssembly a search over a few bytes by
/// `memchr` or a loop is a loop checking the epoch at every byte.
#[inline(always)]
fn first_in_16<const N: usize>(bytes: &[u8], of: [u8; N]) -> Option<Option<usize>> {
    let block: &[u8; 16] = bytes.first_chunk()?;
    let mask = matches_16(block, of);
    Some((mask != 0).then(|| mask.trailing_zeros() as usize))
}

/// Where the first of `of` is in `bytes`: the first 16 bytes with one vector compare, as most
/// searches end there.
#[inline(always)]
fn first_of<const N: usize>(bytes: &[u8], of: [u8; N]) -> Option<usize> {
    let (from, found) = match first_in_16(bytes, of) {
        Some(Some(at)) => return Some(at),
        Some(None) => (16, None),
        None => (0, None::<usize>),
    };
    found.or_else(|| {
        bytes[from..]
            .iter()
            .position(|b| of.contains(b))
            .map(|at| from + at)
    })
}

/// Bit `i` set where `block[i]` is one of `of`.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn matches_16<const N: usize>(block: &[u8; 16], of: [u8; N]) -> u32 {
    use core::arch::wasm32::{u8x16_bitmask, u8x16_eq, u8x16_splat, v128, v128_load, v128_or};
    // SAFETY: reads the 16 bytes of `block`; wasm loads need no alignment.
    let block = unsafe { v128_load(block.as_ptr().cast::<v128>()) };
    let found = of
        .iter()
        .map(|&byte| u8x16_eq(block, u8x16_splat(byte)))
        .reduce(|a, b| v128_or(a, b))
        .expect("at least one byte to look for");
    u32::from(u8x16_bitmask(found))
}

/// Bit `i` set where `block[i]` is one of `of` (SSE2, which every x86_64 has: the native
/// build, its benchmark and the unit tests take the same path as the component).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn matches_16<const N: usize>(block: &[u8; 16], of: [u8; N]) -> u32 {
    use core::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of x86_64; the load reads the 16 bytes of `block`, unaligned.
    unsafe {
        let block = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
        let found = of
            .iter()
            .map(|&byte| _mm_cmpeq_epi8(block, _mm_set1_epi8(byte as i8)))
            .reduce(|a, b| _mm_or_si128(a, b))
            .expect("at least one byte to look for");
        _mm_movemask_epi8(found) as u32
    }
}

/// Bit `i` set where `block[i]` is one of `of`.
#[cfg(not(any(
    all(target_arch = "wasm32", target_feature = "simd128"),
    target_arch = "x86_64"
)))]
#[inline(always)]
fn matches_16<const N: usize>(block: &[u8; 16], of: [u8; N]) -> u32 {
    block
        .iter()
        .enumerate()
        .filter(|(_, b)| of.contains(b))
        .fold(0, |mask, (i, _)| mask | 1 << i)
}

/// `a == b` for names: up to 32 bytes without a loop or a call (in WebAssembly `memcmp` is
/// a call to a byte loop), comparing the first and the last bytes, which overlap.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    fn head<const N: usize>(bytes: &[u8]) -> [u8; N] {
        *bytes.first_chunk().expect("long enough")
    }
    fn tail<const N: usize>(bytes: &[u8]) -> [u8; N] {
        *bytes.last_chunk().expect("long enough")
    }
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => {
            u32::from_ne_bytes(head(a)) == u32::from_ne_bytes(head(b))
                && u32::from_ne_bytes(tail(a)) == u32::from_ne_bytes(tail(b))
        }
        8..=16 => {
            u64::from_ne_bytes(head(a)) == u64::from_ne_bytes(head(b))
                && u64::from_ne_bytes(tail(a)) == u64::from_ne_bytes(tail(b))
        }
        17..=32 => {
            u128::from_ne_bytes(head(a)) == u128::from_ne_bytes(head(b))
                && u128::from_ne_bytes(tail(a)) == u128::from_ne_bytes(tail(b))
        }
        _ => a == b,
    }
}

/// The end of the whole UTF-8 sequences in `window[from..]` (an incomplete sequence at the
/// end waits for the next read).
fn char_boundary(window: &[u8], from: usize) -> usize {
    let end = window.len();
    for back in 1..=3.min(end - from) {
        let byte = window[end - back];
        if byte & 0xC0 == 0x80 {
            continue;
        }
        let len = match byte {
            0xF0.. => 4,
            0xE0.. => 3,
            0xC0.. => 2,
            _ => 1,
        };
        return if len > back { end - back } else { end };
    }
    end
}

fn trim_end(bytes: &[u8]) -> &[u8] {
    // Almost every end tag is `</name>`.
    if bytes.last().is_some_and(|&b| !is_whitespace(b)) {
        return bytes;
    }
    let len = bytes
        .iter()
        .rposition(|&b| !is_whitespace(b))
        .map_or(0, |p| p + 1);
    &bytes[..len]
}

/// XML whitespace, as the parser splits names on it.
fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\r' | b'\n' | b'\t')
}

#[cfg(test)]
mod tests {
    use super::same_bytes;

    #[test]
    fn names_compare_equal_only_when_every_byte_is() {
        let name: Vec<u8> = (b'a'..=b'z').chain(b'A'..=b'Z').collect();
        for n in 0..name.len() {
            let a = &name[..n];
            let copy = a.to_vec();
            assert!(same_bytes(a, &copy));
            assert!(n == 0 || !same_bytes(a, &name[1..=n]), "shifted, {n} bytes");
            assert!(!same_bytes(a, &name[..n.saturating_sub(1)]) || n == 0);
            for at in 0..n {
                let mut other = a.to_vec();
                other[at] ^= 0x20;
                assert!(!same_bytes(a, &other), "{n} bytes, differing at {at}");
            }
        }
    }
}

#[cfg(test)]
mod utf8_tests {
    use super::utf8_up_to;

    #[test]
    fn utf8_is_checked_across_the_64_byte_steps() {
        let text = "é€😀 and plain ASCII, long enough to fill whole steps of 64 bytes ".repeat(5);
        for start in 0..70 {
            let bytes = &text.as_bytes()[start..];
            let expected = std::str::from_utf8(bytes)
                .map(drop)
                .map_err(|e| e.valid_up_to());
            assert_eq!(utf8_up_to(bytes), expected, "from byte {start}");
        }
        for at in [0, 1, 63, 64, 65, 127, 128, 200] {
            let mut bytes = "a".repeat(256).into_bytes();
            bytes[at] = 0xff;
            assert_eq!(utf8_up_to(&bytes), Err(at));
            // A sequence cut off at the very end.
            let mut cut = "a".repeat(at).into_bytes();
            cut.extend_from_slice(&"€".as_bytes()[..2]);
            assert_eq!(utf8_up_to(&cut), Err(at));
        }
    }
}
