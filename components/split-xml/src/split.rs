//! The streaming splitter: one pass over the input, quick-xml's events for the document's
//! skeleton (the records' ancestors), each record copied byte for byte, start tag to end tag,
//! into the current chunk by the content scanner ([`content`]), so memory stays constant
//! whatever the input size (bounded by the largest single tag, comment or CDATA section, not by
//! the number of records).

use std::{
    fs::{self, File},
    io::{self, BufRead, BufReader, BufWriter, Read, Write},
    mem,
    path::{Path, PathBuf},
    time::SystemTime,
};

use chrono::{DateTime, Utc};
use quick_xml::{
    Reader, Writer,
    events::{BytesDecl, BytesStart, Event},
    name::QName,
};

use crate::{
    content::{self, ContentError, Open, Tee},
    encoding, query,
};

/// How chunk files are named (the `output-files-format` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, wharf_guest::SettingChoice)]
pub enum NameFormat {
    /// `<input base name>_<n>.xml`, n counting from 1 without padding.
    Number,
    /// `<input base name>_<yyyyMMddHHmmssfffffff>.xml` (UTC, 100 ns ticks), unique per file.
    Timestamp,
}

/// What a split produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SplitSummary {
    /// Records that matched the query.
    pub records_matched: u64,
    /// Records written to chunk files.
    pub records_written: u64,
    /// The chunk files, in the order they were written.
    pub files: Vec<PathBuf>,
}

/// Why a split failed. Chunk files written by the failed run are removed.
#[derive(Debug, thiserror::Error)]
pub enum SplitError {
    /// The input file does not exist (result code `not-found`).
    #[error("input file `{}` does not exist", .0.display())]
    InputMissing(PathBuf),
    /// The query is not an XPath form this task supports.
    #[error("unsupported XPath `{0}`: {forms}", forms = query::SUPPORTED_FORMS)]
    UnsupportedQuery(String),
    /// The record limit is below 1.
    #[error("must be at least 1, got {0}")]
    BadLimit(usize),
    /// The input could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        /// The input file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The input declares an encoding this task cannot read.
    #[error("cannot read `{}`: {problem}", path.display())]
    Encoding {
        /// The input file.
        path: PathBuf,
        /// Which encoding, and why not.
        problem: String,
    },
    /// The input is not well-formed XML (or not in its declared encoding).
    #[error("`{}` is not well-formed XML near byte {position}: {source}", path.display())]
    Xml {
        /// The input file.
        path: PathBuf,
        /// Byte offset where the reader stopped.
        position: u64,
        /// What the reader found.
        #[source]
        source: quick_xml::Error,
    },
    /// A chunk file or the output folder could not be written.
    #[error("cannot write `{}`: {source}", path.display())]
    Write {
        /// The file or folder being written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

impl SplitError {
    /// The task setting the error is about, to name it in the run report.
    pub fn setting(&self) -> &'static str {
        match self {
            Self::InputMissing(_)
            | Self::Read { .. }
            | Self::Encoding { .. }
            | Self::Xml { .. } => "input-file",
            Self::UnsupportedQuery(_) => "xpath-query",
            Self::BadLimit(_) => "record-limit",
            Self::Write { .. } => "output-folder",
        }
    }
}

/// Splits `input` into files of at most `limit` records matching `query` (an absolute element
/// path, see [`query::parse`]) in `out_dir`, created if missing.
///
/// Each chunk keeps the XML declaration (and DOCTYPE) and the ancestor elements of its records
/// with their attributes and namespace declarations; siblings outside the path are dropped;
/// records are copied exactly as written (CDATA, comments, entity references included). A
/// chunk is written under a temporary name and renamed into place once complete. No match,
/// no file.
///
/// Any encoding the input declares (or marks with a BOM) is read; chunks are always written in
/// UTF-8, their declaration saying so (see [`encoding`]).
pub fn split(
    input: &Path,
    query: &str,
    limit: usize,
    out_dir: &Path,
    format: NameFormat,
) -> Result<SplitSummary, SplitError> {
    let steps =
        query::parse(query).ok_or_else(|| SplitError::UnsupportedQuery(query.to_owned()))?;
    if limit == 0 {
        return Err(SplitError::BadLimit(limit));
    }
    let file = File::open(input).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => SplitError::InputMissing(input.to_owned()),
        _ => SplitError::Read {
            path: input.to_owned(),
            source,
        },
    })?;
    fs::create_dir_all(out_dir).map_err(|source| SplitError::Write {
        path: out_dir.to_owned(),
        source,
    })?;
    let source = encoding::utf8_source(BufReader::with_capacity(READ_BUFFER, file))
        .map_err(|source| SplitError::Read {
            path: input.to_owned(),
            source,
        })?
        .map_err(|problem| SplitError::Encoding {
            path: input.to_owned(),
            problem,
        })?;
    #[cfg(test)]
    let (by_events, read_block) = TEST_READING.get().unwrap_or((false, READ_BUFFER));
    #[cfg(not(test))]
    let read_block = READ_BUFFER;
    let base = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();

    let mut splitter = Splitter {
        input,
        steps: &steps,
        limit,
        out_dir,
        base,
        format,
        reader: Reader::from_reader(Tee::new(source, read_block)),
        skipped: 0,
        open: Open::default(),
        name: String::new(),
        end_tag: Vec::new(),
        record: Vec::new(),
        #[cfg(test)]
        by_events,
        prolog: Vec::new(),
        ancestors: Vec::new(),
        chunk: None,
        last_tick: 0,
        summary: SplitSummary::default(),
    };
    match splitter.run() {
        Ok(()) => Ok(splitter.summary),
        Err(e) => {
            if let Some(chunk) = splitter.chunk.take() {
                let _ = fs::remove_file(&chunk.partial);
            }
            for file in &splitter.summary.files {
                let _ = fs::remove_file(file);
            }
            Err(e)
        }
    }
}

/// The file's read block (a UTF-8 file passes its buffer by: the parser's buffer asks for
/// whole blocks) and the chunks' write block.
const READ_BUFFER: usize = 256 * 1024;
const WRITE_BUFFER: usize = 256 * 1024;

/// An open element on the query path above the records.
struct Ancestor {
    start: BytesStart<'static>,
    /// The whitespace that preceded it in the input, reused to indent chunk files alike.
    leading: String,
}

impl Ancestor {
    /// Whitespace to put before the end tag: a new line at the start tag's indentation, if
    /// the input was indented at all.
    fn closing(&self) -> &str {
        match self.leading.rfind('\n') {
            Some(newline) => &self.leading[newline..],
            None => "",
        }
    }
}

struct Chunk {
    writer: Writer<BufWriter<File>>,
    partial: PathBuf,
    path: PathBuf,
    records: usize,
    /// How many of the current ancestors have their start tag written in this chunk.
    open_ancestors: usize,
}

struct Splitter<'a> {
    input: &'a Path,
    steps: &'a [String],
    limit: usize,
    out_dir: &'a Path,
    base: String,
    format: NameFormat,
    reader: Reader<Tee<Box<dyn Read>>>,
    /// Bytes the content scanner read past the parser, which does not count them: added to
    /// the parser's positions in errors.
    skipped: u64,
    /// The content scanner's open elements, reused.
    open: Open,
    /// Reused between records: the name of the element being read, its end tag's event
    /// buffer, and the end tag's bytes as written.
    name: String,
    end_tag: Vec<u8>,
    record: Vec<u8>,
    /// Tests only: read contents by events, the path the content scanner replaced.
    #[cfg(test)]
    by_events: bool,
    /// The XML declaration and DOCTYPE, copied to the top of every chunk.
    prolog: Vec<Event<'static>>,
    ancestors: Vec<Ancestor>,
    chunk: Option<Chunk>,
    last_tick: i128,
    summary: SplitSummary,
}

impl Splitter<'_> {
    fn run(&mut self) -> Result<(), SplitError> {
        let mut buf = Vec::with_capacity(8 * 1024);
        // Whitespace seen since the last tag at the ancestors' level: the indentation of
        // whatever comes next.
        let mut leading = String::new();
        let mut seen_root = false;
        loop {
            buf.clear();
            let event = self
                .reader
                .read_event_into(&mut buf)
                .map_err(|e| self.xml(e))?;
            let level = self.ancestors.len();
            match event {
                Event::Decl(decl) if !seen_root => {
                    self.prolog.push(Event::Decl(utf8_declaration(decl)));
                }
                Event::DocType(doctype) if !seen_root => {
                    self.prolog.push(Event::DocType(doctype.into_owned()));
                }
                Event::Start(start) => {
                    seen_root = true;
                    if self.is_step(level, start.name()) {
                        if level + 1 == self.steps.len() {
                            self.copy_record(Event::Start(start), &leading)?;
                        } else {
                            self.ancestors.push(Ancestor {
                                start: start.into_owned(),
                                leading: mem::take(&mut leading),
                            });
                            if level + 2 == self.steps.len() && self.reads_children() {
                                // The records' parent: its children are read here, up to its
                                // end tag, and the white space before that is its leading.
                                self.read_children(&mut leading)?;
                                continue;
                            }
                        }
                    } else {
                        // Nothing below an element off the path can match an absolute path.
                        self.name.clear();
                        self.name.push_str(start.name().into_inner());
                        self.read_rest(false)?;
                    }
                    leading.clear();
                }
                Event::Empty(start) => {
                    seen_root = true;
                    if level + 1 == self.steps.len() && self.is_step(level, start.name()) {
                        self.copy_record(Event::Empty(start), &leading)?;
                    }
                    leading.clear();
                }
                Event::End(_) => {
                    // Only ancestors' end tags arrive here: records and skipped elements are
                    // read to their end elsewhere.
                    let ancestor = self.ancestors.pop().expect("reader checks end tags");
                    if let Some(chunk) = &mut self.chunk
                        && chunk.open_ancestors > level - 1
                    {
                        chunk.open_ancestors = level - 1;
                        let closing = format!("{leading}</{}>", ancestor.start.name().into_inner());
                        write_raw(chunk, &closing)?;
                    }
                    leading.clear();
                }
                Event::Text(text) if text.bytes().all(|b| b.is_ascii_whitespace()) => {
                    leading.clear();
                    leading.push_str(&text);
                }
                Event::Eof => break,
                // Text, comments, CDATA, PIs and references outside the records are dropped.
                _ => leading.clear(),
            }
        }
        if let Some(open) = self.ancestors.last() {
            return Err(self.xml(quick_xml::Error::IllFormed(
                quick_xml::errors::IllFormedError::MissingEndTag(
                    open.start.name().into_inner().to_owned(),
                ),
            )));
        }
        self.close_chunk()
    }

    /// Reads the children of the records' parent, whose start tag the parser just read, up to
    /// its end tag (left for the parser): records are copied into chunks byte for byte, start
    /// tag to end tag, with the white space before each; other children are skipped. No event
    /// per record: in WebAssembly the parser's three (text, start, end) cost more than the
    /// record's content. `leading` ends as the white space before the parent's end tag.
    fn read_children(&mut self, leading: &mut String) -> Result<(), SplitError> {
        let parent = self.ancestors.last().expect("just pushed").start.name();
        let parent = parent.into_inner().as_bytes().to_vec();
        let record = self.steps.last().expect("a query has steps").clone();
        let record = record.as_bytes();
        loop {
            let tee = self.reader.get_mut();
            let (read, child) = content::read_children(tee, &mut self.open, &parent)
                .map_err(|e| self.content_error(e, false))?;
            self.skipped += read;
            let Some(tag) = child else {
                leading.clear();
                // White space only: ASCII.
                leading.push_str(std::str::from_utf8(self.open.leading()).unwrap_or_default());
                return Ok(());
            };
            let window = self.reader.get_mut().window();
            let empty = window[tag - 2] == b'/';
            let name_len = content::name_len(&window[1..], tag - if empty { 3 } else { 2 });
            let is_record = &window[1..1 + name_len] == record;
            if is_record {
                self.summary.records_matched += 1;
                self.ensure_chunk()?;
                let chunk = self.chunk.as_mut().expect("just opened");
                write_raw(chunk, self.open.leading())?;
            }
            let tee = self.reader.get_mut();
            let out = match &mut self.chunk {
                Some(chunk) if is_record => Some(chunk.writer.get_mut()),
                _ => None,
            };
            let read = if empty {
                let written = out.map_or(Ok(()), |out| out.write_all(&tee.window()[..tag]));
                tee.consume(tag);
                written.map(|()| tag as u64).map_err(ContentError::Write)
            } else {
                content::read_element(tee, out, &mut self.open, tag, name_len)
            };
            match read {
                Ok(read) => self.skipped += read,
                Err(e) => return Err(self.content_error(e, is_record)),
            }
            if is_record {
                self.summary.records_written += 1;
                let chunk = self.chunk.as_mut().expect("open");
                chunk.records += 1;
                if chunk.records >= self.limit {
                    self.close_chunk()?;
                }
            }
        }
    }

    /// Whether the records' parent's children are read by [`Self::read_children`] (tests also
    /// split by the parser's events, the path it replaced, to compare both).
    fn reads_children(&self) -> bool {
        #[cfg(test)]
        return !self.by_events;
        #[cfg(not(test))]
        true
    }

    /// A content scanner's error as the split's: a write to the open chunk (if it was being
    /// written, `copy`), or the input's fault at the scanner's offset from where the parser
    /// stands.
    fn content_error(&self, error: ContentError, copy: bool) -> SplitError {
        match error {
            ContentError::Write(source) => SplitError::Write {
                path: match &self.chunk {
                    Some(chunk) if copy => chunk.partial.clone(),
                    _ => PathBuf::new(),
                },
                source,
            },
            ContentError::Xml { error, at } => {
                let position = self.reader.buffer_position() + self.skipped + at;
                self.xml_at(error, position)
            }
        }
    }

    fn is_step(&self, level: usize, name: QName<'_>) -> bool {
        self.steps
            .get(level)
            .is_some_and(|step| step == name.into_inner())
    }

    /// Copies one record, from its start event to its end, into the current chunk: the start
    /// tag as an event, the rest as the raw bytes up to and including the end tag.
    fn copy_record(&mut self, first: Event<'_>, leading: &str) -> Result<(), SplitError> {
        self.summary.records_matched += 1;
        let has_content = match &first {
            Event::Start(start) => {
                self.name.clear();
                self.name.push_str(start.name().into_inner());
                true
            }
            _ => false,
        };
        self.ensure_chunk()?;
        let chunk = self.chunk.as_mut().expect("just opened");
        write_raw(chunk, leading)?;
        write_event(chunk, first)?;
        if has_content {
            self.read_rest(true)?;
        }
        self.summary.records_written += 1;
        let chunk = self.chunk.as_mut().expect("open");
        chunk.records += 1;
        if chunk.records >= self.limit {
            self.close_chunk()?;
        }
        Ok(())
    }

    /// Reads the content and the end tag of the element named `self.name` whose start tag the
    /// parser just read, copying them into the open chunk if `copy`.
    ///
    /// The content goes through the content scanner (no event per inner tag); the end tag
    /// through the parser, which checks it against the start tag and closes the element.
    fn read_rest(&mut self, copy: bool) -> Result<(), SplitError> {
        #[cfg(test)]
        if self.by_events {
            return self.read_rest_by_events(copy);
        }
        let out = match &mut self.chunk {
            Some(chunk) if copy => Some(chunk.writer.get_mut()),
            _ => None,
        };
        match content::read_content(
            self.reader.get_mut(),
            out,
            &mut self.open,
            self.name.as_bytes(),
        ) {
            Ok(read) => self.skipped += read,
            Err(e) => return Err(self.content_error(e, copy)),
        }
        let mut end_tag = mem::take(&mut self.record);
        end_tag.clear();
        let tee = self.reader.get_mut();
        tee.recording = copy.then_some(end_tag);
        // The parser appends an event's bytes to the buffer it is given: cleared, or it would
        // hold every record's end tag until the split ends (memory growing with the input).
        self.end_tag.clear();
        let read = self.reader.read_event_into(&mut self.end_tag).map(|e| {
            debug_assert!(matches!(e, Event::End(_)), "content stops at an end tag");
        });
        self.record = self.reader.get_mut().recording.take().unwrap_or_default();
        read.map_err(|e| self.xml(e))?;
        self.write_recorded(copy)
    }

    /// Writes the bytes recorded in `self.record` into the open chunk, if `copy`.
    fn write_recorded(&mut self, copy: bool) -> Result<(), SplitError> {
        match self.chunk.as_mut() {
            Some(chunk) if copy => {
                chunk
                    .writer
                    .get_mut()
                    .write_all(&self.record)
                    .map_err(|source| SplitError::Write {
                        path: chunk.partial.clone(),
                        source,
                    })
            }
            _ => Ok(()),
        }
    }

    /// The event path [`Self::read_rest`] replaced (quick-xml's `read_to_end`, an event per
    /// inner tag), kept for the tests to compare both on the same inputs.
    #[cfg(test)]
    fn read_rest_by_events(&mut self, copy: bool) -> Result<(), SplitError> {
        let mut record = mem::take(&mut self.record);
        record.clear();
        self.reader.get_mut().recording = copy.then_some(record);
        let mut skip = Vec::new();
        let read = self.reader.read_to_end_into(QName(&self.name), &mut skip);
        self.record = self.reader.get_mut().recording.take().unwrap_or_default();
        read.map_err(|e| self.xml(e))?;
        self.write_recorded(copy)
    }

    /// Opens a chunk if none is open and writes the ancestors' start tags it still lacks.
    fn ensure_chunk(&mut self) -> Result<(), SplitError> {
        if self.chunk.is_none() {
            self.open_chunk()?;
        }
        let chunk = self.chunk.as_mut().expect("open");
        for ancestor in &self.ancestors[chunk.open_ancestors..] {
            write_raw(chunk, &ancestor.leading)?;
            write_event(chunk, Event::Start(ancestor.start.borrow()))?;
        }
        chunk.open_ancestors = self.ancestors.len();
        Ok(())
    }

    fn open_chunk(&mut self) -> Result<(), SplitError> {
        let path = self.next_path();
        let partial = wharf_guest::fs::partial_path(&path);
        let file = File::create(&partial).map_err(|source| SplitError::Write {
            path: partial.clone(),
            source,
        })?;
        let mut chunk = Chunk {
            writer: Writer::new(BufWriter::with_capacity(WRITE_BUFFER, file)),
            partial,
            path,
            records: 0,
            open_ancestors: 0,
        };
        let default_decl = Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None));
        let has_decl = self.prolog.iter().any(|e| matches!(e, Event::Decl(_)));
        let prolog = (!has_decl)
            .then_some(&default_decl)
            .into_iter()
            .chain(&self.prolog);
        for (i, event) in prolog.enumerate() {
            if i > 0 {
                write_raw(&mut chunk, "\n")?;
            }
            write_event(&mut chunk, event.borrow())?;
        }
        self.chunk = Some(chunk);
        Ok(())
    }

    /// Finishes the open chunk, if any (see [`finish`]).
    fn close_chunk(&mut self) -> Result<(), SplitError> {
        let Some(chunk) = self.chunk.take() else {
            return Ok(());
        };
        let partial = chunk.partial.clone();
        match finish(chunk, &self.ancestors) {
            Ok(path) => {
                self.summary.files.push(path);
                Ok(())
            }
            Err(e) => {
                let _ = fs::remove_file(&partial);
                Err(e)
            }
        }
    }

    fn next_path(&mut self) -> PathBuf {
        match self.format {
            NameFormat::Number => {
                let n = self.summary.files.len() + 1;
                self.out_dir.join(format!("{}_{n}.xml", self.base))
            }
            NameFormat::Timestamp => {
                // Strictly increasing ticks, also past any file already there, so no two
                // chunks (or runs) share a name.
                let mut tick = ticks(SystemTime::now()).max(self.last_tick + 1);
                loop {
                    let path = self
                        .out_dir
                        .join(format!("{}_{}.xml", self.base, stamp(tick)));
                    if !path.exists() {
                        self.last_tick = tick;
                        return path;
                    }
                    tick += 1;
                }
            }
        }
    }

    fn xml(&self, source: quick_xml::Error) -> SplitError {
        self.xml_at(source, self.reader.error_position() + self.skipped)
    }

    /// An input error found at `position` (bytes from the start of the parser's input).
    fn xml_at(&self, source: quick_xml::Error, position: u64) -> SplitError {
        match source {
            quick_xml::Error::Io(e) => SplitError::Read {
                path: self.input.to_owned(),
                source: io::Error::new(e.kind(), e.to_string()),
            },
            source => SplitError::Xml {
                path: self.input.to_owned(),
                position,
                source,
            },
        }
    }
}

/// The declaration as chunks carry it: chunks are UTF-8, so a declaration naming any other
/// encoding is rewritten to name UTF-8 (version and standalone kept); others stay as written.
fn utf8_declaration(decl: BytesDecl<'_>) -> BytesDecl<'static> {
    let names_other = decl
        .encoding()
        .is_some_and(|label| label.map_or(true, |label| !encoding::is_utf8_label(&label)));
    if !names_other {
        return decl.into_owned();
    }
    let version = decl
        .version()
        .map(|v| v.into_owned())
        .unwrap_or_else(|_| "1.0".to_owned());
    let standalone = decl
        .standalone()
        .and_then(Result::ok)
        .map(|s| s.into_owned());
    BytesDecl::new(&version, Some("UTF-8"), standalone.as_deref())
}

/// 100-nanosecond ticks since the Unix epoch (the resolution of .NET's `fffffff`).
fn ticks(time: SystemTime) -> i128 {
    DateTime::<Utc>::from(time)
        .timestamp_nanos_opt()
        .map_or(0, |nanos| i128::from(nanos) / 100)
}

/// `yyyyMMddHHmmssfffffff` for a tick count.
fn stamp(ticks: i128) -> String {
    let seconds = ticks.div_euclid(10_000_000);
    let fraction = ticks.rem_euclid(10_000_000);
    let time = DateTime::<Utc>::from_timestamp(seconds as i64, 0).unwrap_or_default();
    format!("{}{fraction:07}", time.format("%Y%m%d%H%M%S"))
}

/// Closes the ancestors still open in the chunk and renames it into place. No fsync: a chunk
/// is derived data (the input stays), and a sync per chunk cost more than the split itself.
fn finish(mut chunk: Chunk, ancestors: &[Ancestor]) -> Result<PathBuf, SplitError> {
    for ancestor in ancestors[..chunk.open_ancestors].iter().rev() {
        let name = ancestor.start.name().into_inner();
        write_raw(&mut chunk, format!("{}</{name}>", ancestor.closing()))?;
    }
    let Chunk {
        writer,
        partial,
        path,
        ..
    } = chunk;
    let write_error = |source| SplitError::Write {
        path: partial.clone(),
        source,
    };
    let file = writer
        .into_inner()
        .into_inner()
        .map_err(|e| write_error(e.into_error()))?;
    drop(file);
    fs::rename(&partial, &path).map_err(|source| SplitError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

fn write_event(chunk: &mut Chunk, event: Event<'_>) -> Result<(), SplitError> {
    chunk
        .writer
        .write_event(event)
        .map_err(|source| SplitError::Write {
            path: chunk.partial.clone(),
            source,
        })
}

fn write_raw(chunk: &mut Chunk, text: impl AsRef<[u8]>) -> Result<(), SplitError> {
    chunk
        .writer
        .get_mut()
        .write_all(text.as_ref())
        .map_err(|source| SplitError::Write {
            path: chunk.partial.clone(),
            source,
        })
}

#[cfg(test)]
thread_local! {
    /// Tests only: how splits on this thread read, if set: contents by events (see
    /// `read_rest_by_events`), and blocks of how many bytes.
    pub(crate) static TEST_READING: std::cell::Cell<Option<(bool, usize)>> =
        const { std::cell::Cell::new(None) };
}

#[cfg(test)]
pub(crate) fn stamp_for_tests(ticks: i128) -> String {
    stamp(ticks)
}
