//! XML 1.0 + Namespaces parser building the arena tree.
//!
//! Uses the `xmlparser` tokenizer (the one roxmltree grew out of) and builds
//! our compact tree directly, so peak memory stays near 3x the input
//! (roxmltree's own tree measured 4.8-6x on order files). Handles BOM /
//! declared encodings, entity and character references, internal DTD
//! entities, ATTLIST defaults and ID types, unparsed entities, and whitespace
//! stripping while building.

use crate::error::XsltError;
use crate::tree::{Atom, Document, EName, Interner, TreeBuilder};
use std::borrow::Cow;
use std::collections::HashMap;
use xmlparser::{ElementEnd, EntityDefinition, Token, Tokenizer};

/// Decides whether whitespace-only text children of an element are stripped.
pub trait StripRule {
    fn strip(&self, names: &Interner, ename: EName) -> bool;
}

pub struct NoStrip;
impl StripRule for NoStrip {
    fn strip(&self, _: &Interner, _: EName) -> bool {
        false
    }
}

pub struct ParseOptions<'a> {
    pub base_uri: &'a str,
    pub strip: &'a dyn StripRule,
    pub record_positions: bool,
    pub honour_xml_space: bool,
    /// Reads the external DTD subset and external entities; None reads nothing.
    pub resolver: Option<&'a dyn crate::Resolver>,
}

/// Decodes raw bytes to text by the rule every Wharf task reads XML with
/// (`xml_encoding::decode`, docs/xml-encodings.md); a byte order mark is dropped.
pub fn decode<'b>(bytes: &'b [u8], uri: &str) -> Result<Cow<'b, str>, XsltError> {
    let text = xml_encoding::decode(bytes).map_err(|e| {
        // Where bad UTF-8 starts: its line, for the message.
        let line = match e {
            xml_encoding::EncodingError::NotUtf8 { offset } => {
                memcount(&bytes[..offset], b'\n') + 1
            }
            _ => 1,
        };
        XsltError::Xml {
            uri: uri.to_string(),
            line: line as u32,
            column: 1,
            message: e.to_string(),
        }
    })?;
    Ok(match text {
        Cow::Borrowed(text) => Cow::Borrowed(text.strip_prefix('\u{feff}').unwrap_or(text)),
        owned => owned,
    })
}

/// Normalizes line endings (XML 1.0 section 2.11).
fn normalize_newlines(s: Cow<'_, str>) -> Cow<'_, str> {
    if memchr::memchr(b'\r', s.as_bytes()).is_none() {
        return s;
    }
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\r' {
            if it.peek() == Some(&'\n') {
                it.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Attribute of the start tag being read: prefix, local name, value, source offset.
type RawAttr<'t> = (Cow<'t, str>, Cow<'t, str>, Cow<'t, str>, usize);

struct AttlistDef {
    /// (attribute qname, is_id, default value)
    attrs: Vec<(String, bool, Option<String>)>,
}

struct Parser<'t, 'o> {
    text: &'t str,
    names: &'o mut Interner,
    opts: &'o ParseOptions<'o>,
    b: TreeBuilder,
    entities: HashMap<String, std::ops::Range<usize>>,
    /// External parsed entities (read while preparing the DTD): name and text.
    external_entities: HashMap<&'t str, &'t str>,
    unreadable_entities: Vec<String>,
    /// Undeclared entities are left out instead of failing (see `dtd::Prepared`).
    external_subset: bool,
    attlists: HashMap<String, AttlistDef>,
    /// Text read since the last node, not yet in the tree: borrowed from the document while it
    /// is one piece without references (most text), else copied into `pending_text` (then
    /// this is empty).
    pending_borrowed: &'t str,
    pending_text: String,
    /// Per open element: strip whitespace?, element qname (for end-tag check)
    strip_stack: Vec<bool>,
    name_stack: Vec<(&'t str, &'t str)>,
    /// Current start tag being collected.
    tag: Option<(&'t str, &'t str, usize)>,
    tag_attrs: Vec<RawAttr<'t>>,
    /// The open element's namespace bindings, a buffer kept between elements.
    scope_buf: Vec<(Atom, Atom)>,
    /// Element and attribute names resolved before (see `Parser::name`).
    name_cache: [Option<CachedName<'t>>; NAME_CACHE_SLOTS],
    /// The name last resolved per depth (elements, slots 0-7) and per attribute position
    /// (slots 8-15), looked at before `name_cache`.
    recent_names: [Option<CachedName<'t>>; 16],
    /// Per element name (EName index): 0 not asked yet, 1 kept, 2 whitespace stripped.
    strip_memo: Vec<u8>,
    preserve_stack: Vec<bool>,
    entity_depth: u32,
    expansions: usize,
    seen_root: bool,
}

/// A name `Parser::name` resolved: its text in the document, what else decided it (`key`:
/// the default namespace of an unprefixed element, the scope id of a prefixed name), and what
/// it resolved to.
#[derive(Clone, Copy)]
struct CachedName<'t> {
    key: u64,
    /// The scope id it was resolved in (what `Parser::recent_names` compare).
    scope: u32,
    attr: bool,
    prefix: &'t str,
    local: &'t str,
    ename: EName,
    prefix_atom: Atom,
}

impl CachedName<'_> {
    /// Whether this is the element (`attr` false) or attribute name `prefix:local`.
    #[inline]
    fn is(&self, attr: bool, prefix: &str, local: &str) -> bool {
        self.attr == attr && same_name(self.local, local) && same_name(self.prefix, prefix)
    }
}

const NAME_CACHE_SLOTS: usize = 256;

/// The cache slot of a name: from its length and four of its bytes (single loads: a hash
/// over all the bytes copies the tail, which in wasm is a call to the engine's memory copy).
fn name_slot(attr: bool, prefix: &str, local: &str) -> usize {
    let b = local.as_bytes();
    let n = b.len();
    let at = |i: usize| u32::from(b.get(i).copied().unwrap_or(0));
    let mix = (n as u32 ^ (prefix.len() as u32) << 5 ^ u32::from(attr) << 7)
        | at(0) << 8
        | (at(n / 2) ^ at(1) << 1) << 16
        | at(n.wrapping_sub(1)) << 24;
    (mix.wrapping_mul(0x9E37_79B9) >> (32 - NAME_CACHE_SLOTS.trailing_zeros())) as usize
}

/// `a == b` for names, 8 bytes at a time: in wasm `==` on slices calls the C library's
/// `memcmp`, a byte loop behind a call.
#[inline]
fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let (mut x, mut y) = (a.chunks_exact(8), b.chunks_exact(8));
    for (p, q) in (&mut x).zip(&mut y) {
        if p != q {
            return false;
        }
    }
    x.remainder().iter().zip(y.remainder()).all(|(p, q)| p == q)
}

/// An `xmlns` or `xmlns:p` attribute (a namespace declaration).
fn is_ns_decl(prefix: &str, local: &str) -> bool {
    (prefix.is_empty() && local == "xmlns") || prefix == "xmlns"
}

const MAX_ENTITY_EXPANSIONS: usize = 100_000;
/// Deepest element nesting accepted in any document (input, stylesheet, `document()`).
pub const MAX_ELEMENT_DEPTH: usize = 257;

pub fn parse_str(
    text: Cow<'_, str>,
    names: &mut Interner,
    opts: &ParseOptions,
) -> Result<Document, XsltError> {
    let text = normalize_newlines(text);
    let prepared = crate::dtd::prepare(&text, opts.base_uri, opts.resolver, MAX_ENTITY_EXPANSIONS)
        .map_err(|message| XsltError::Xml {
            uri: opts.base_uri.to_string(),
            line: 1,
            column: 1,
            message,
        })?;
    let text = match prepared.text {
        Some(t) => Cow::Owned(t),
        None => text,
    };
    let external = prepared.external_entities;
    let mut b = TreeBuilder::new(opts.base_uri);
    // Reserve from a cheap scan so the arena vectors do not double past what they need
    // (peak memory on large inputs).
    let (lt, eq) = count_lt_eq(text.as_bytes());
    b.doc.nodes.reserve(lt + 8);
    b.doc.attrs.reserve(eq + 8);
    b.doc.text.reserve(text.len() / 3);
    b.record_positions = opts.record_positions;
    let mut p = Parser {
        text: &text,
        names,
        opts,
        b,
        entities: HashMap::new(),
        external_entities: external
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect(),
        unreadable_entities: prepared.unreadable_entities,
        external_subset: prepared.external_subset,
        attlists: HashMap::new(),
        pending_borrowed: "",
        pending_text: String::new(),
        strip_stack: vec![false],
        name_stack: Vec::new(),
        tag: None,
        tag_attrs: Vec::new(),
        scope_buf: Vec::new(),
        name_cache: [None; NAME_CACHE_SLOTS],
        recent_names: [None; 16],
        strip_memo: Vec::new(),
        preserve_stack: vec![false],
        entity_depth: 0,
        expansions: 0,
        seen_root: false,
    };
    p.run(Tokenizer::from(&*text))?;
    if !p.seen_root {
        return Err(p.err_at(text.len(), "document has no root element"));
    }
    let mut doc = p.b.finish();
    doc.nodes.shrink_to_fit();
    doc.attrs.shrink_to_fit();
    doc.text.shrink_to_fit();
    if opts.record_positions {
        let mut ls = vec![0u32];
        for (i, c) in text.bytes().enumerate() {
            if c == b'\n' {
                ls.push(i as u32 + 1);
            }
        }
        doc.line_starts = ls;
    }
    Ok(doc)
}

pub fn parse_bytes(
    bytes: &[u8],
    names: &mut Interner,
    opts: &ParseOptions,
) -> Result<Document, XsltError> {
    let s = decode(bytes, opts.base_uri)?;
    parse_str(s, names, opts)
}

fn memcount(b: &[u8], c: u8) -> usize {
    b.iter().filter(|&&x| x == c).count()
}

/// The number of `<` and of `=` in `b`, in one pass the compiler turns into vector code
/// (byte counters per block of 255 bytes, so they cannot overflow).
fn count_lt_eq(b: &[u8]) -> (usize, usize) {
    let (mut lt, mut eq) = (0, 0);
    for block in b.chunks(255) {
        let (mut l, mut e) = (0u8, 0u8);
        for &x in block {
            l += u8::from(x == b'<');
            e += u8::from(x == b'=');
        }
        lt += usize::from(l);
        eq += usize::from(e);
    }
    (lt, eq)
}

fn is_ws(s: &str) -> bool {
    s.bytes().all(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
}

impl<'t, 'o> Parser<'t, 'o> {
    fn line_col(&self, off: usize) -> (u32, u32) {
        let off = off.min(self.text.len());
        let before = &self.text.as_bytes()[..off];
        let line = before.iter().filter(|&&c| c == b'\n').count() as u32 + 1;
        let ls = before
            .iter()
            .rposition(|&c| c == b'\n')
            .map(|p| p + 1)
            .unwrap_or(0);
        let col = self
            .text
            .get(ls..off)
            .map(|s| s.chars().count())
            .unwrap_or(0) as u32
            + 1;
        (line, col)
    }

    fn err_at(&self, off: usize, msg: impl Into<String>) -> XsltError {
        let (line, column) = self.line_col(off);
        XsltError::Xml {
            uri: self.opts.base_uri.to_string(),
            line,
            column,
            message: msg.into(),
        }
    }

    fn run(&mut self, tok: Tokenizer<'t>) -> Result<(), XsltError> {
        let mut in_dtd_start: Option<usize> = None;
        for t in tok {
            let t = match t {
                Ok(t) => t,
                Err(e) => {
                    let pos = e.pos();
                    return Err(XsltError::Xml {
                        uri: self.opts.base_uri.to_string(),
                        line: pos.row,
                        column: pos.col,
                        message: e.to_string(),
                    });
                }
            };
            match t {
                Token::Declaration { .. } => {}
                Token::DtdStart { span, .. } => in_dtd_start = Some(span.end()),
                Token::EmptyDtd { .. } => {}
                Token::EntityDeclaration {
                    name, definition, ..
                } => match definition {
                    EntityDefinition::EntityValue(v) => {
                        self.entities
                            .entry(name.as_str().to_string())
                            .or_insert(v.range());
                    }
                    EntityDefinition::ExternalId(_) => {}
                },
                Token::DtdEnd { span } => {
                    if let Some(s) = in_dtd_start.take() {
                        let subset = &self.text[s.min(span.start())..span.start()];
                        self.scan_dtd(subset);
                    }
                }
                other => self.content_token(other)?,
            }
        }
        if let Some((p, l)) = self.name_stack.last() {
            return Err(self.err_at(
                self.text.len(),
                format!(
                    "premature end of data: element <{}{}{}> is not closed",
                    p,
                    if p.is_empty() { "" } else { ":" },
                    l
                ),
            ));
        }
        Ok(())
    }

    fn content_token(&mut self, t: Token<'t>) -> Result<(), XsltError> {
        match t {
            Token::ProcessingInstruction {
                target,
                content,
                span,
            } => {
                if self.tag.is_some() {
                    return Err(self.err_at(span.start(), "unexpected processing instruction"));
                }
                self.flush_text()?;
                let e = {
                    let a = self.names.atom(target.as_str());
                    self.names.ename(0, a)
                };
                let c = content.map(|c| c.as_str()).unwrap_or("");
                self.b
                    .pi(e, c, span.start() as u32)
                    .map_err(|m| self.err_at(span.start(), m))?;
            }
            Token::Comment { text, span } => {
                self.flush_text()?;
                self.b
                    .comment(text.as_str())
                    .map_err(|m| self.err_at(span.start(), m))?;
            }
            Token::ElementStart {
                prefix,
                local,
                span,
            } => {
                if self.name_stack.is_empty() {
                    if self.seen_root && self.entity_depth == 0 {
                        return Err(
                            self.err_at(span.start(), "extra content at the end of the document")
                        );
                    }
                    self.seen_root = true;
                }
                self.flush_text()?;
                self.tag = Some((prefix.as_str(), local.as_str(), span.start()));
                self.tag_attrs.clear();
            }
            Token::Attribute {
                prefix,
                local,
                value,
                span,
            } => {
                let v = self.expand_attr(value.as_str(), value.start())?;
                self.tag_attrs.push((
                    Cow::Borrowed(prefix.as_str()),
                    Cow::Borrowed(local.as_str()),
                    v,
                    span.start(),
                ));
            }
            Token::ElementEnd { end, span } => match end {
                ElementEnd::Open => self.open_tag(false)?,
                ElementEnd::Empty => self.open_tag(true)?,
                ElementEnd::Close(prefix, local) => {
                    match self.name_stack.pop() {
                        Some((p, l))
                            if same_name(p, prefix.as_str()) && same_name(l, local.as_str()) => {}
                        Some((p, l)) => {
                            return Err(self.err_at(
                                span.start(),
                                format!(
                                    "opening and ending tag mismatch: {}{}{} and {}{}{}",
                                    p,
                                    if p.is_empty() { "" } else { ":" },
                                    l,
                                    prefix.as_str(),
                                    if prefix.is_empty() { "" } else { ":" },
                                    local.as_str()
                                ),
                            ));
                        }
                        None => return Err(self.err_at(span.start(), "unexpected end tag")),
                    }
                    self.flush_text()?;
                    self.strip_stack.pop();
                    self.preserve_stack.pop();
                    self.b.end_element();
                }
            },
            Token::Text { text } => {
                if self.name_stack.is_empty() && self.entity_depth == 0 {
                    if !is_ws(text.as_str()) {
                        return Err(self.err_at(text.start(), "content outside the root element"));
                    }
                    return Ok(());
                }
                self.text_content(text.as_str(), text.start())?;
            }
            Token::Cdata { text, .. } => {
                self.pending().push_str(text.as_str());
            }
            _ => {}
        }
        Ok(())
    }

    /// Scans the internal DTD subset for ATTLIST (ID types, defaults) and unparsed entities;
    /// the tokenizer skips those declarations.
    fn scan_dtd(&mut self, subset: &str) {
        let mut rest = subset;
        while let Some(i) = rest.find('<') {
            rest = &rest[i..];
            if rest.starts_with("<!--") {
                rest = rest.find("-->").map(|e| &rest[e + 3..]).unwrap_or("");
                continue;
            }
            if rest.starts_with("<?") {
                rest = rest.find("?>").map(|e| &rest[e + 2..]).unwrap_or("");
                continue;
            }
            // Find the end of this declaration, honouring quotes.
            let mut end = rest.len();
            let mut q: Option<char> = None;
            for (k, c) in rest.char_indices().skip(1) {
                match q {
                    Some(qc) if c == qc => q = None,
                    Some(_) => {}
                    None if c == '"' || c == '\'' => q = Some(c),
                    None if c == '>' => {
                        end = k;
                        break;
                    }
                    None => {}
                }
            }
            let decl = &rest[..end];
            rest = rest.get(end + 1..).unwrap_or("");
            let toks = dtd_tokens(decl);
            if decl.starts_with("<!ATTLIST") && toks.len() >= 2 {
                let el = toks[1].clone();
                let mut i = 2;
                let entry = self
                    .attlists
                    .entry(el)
                    .or_insert(AttlistDef { attrs: Vec::new() });
                while i + 2 < toks.len() + 1 && i < toks.len() {
                    let an = toks[i].clone();
                    let ty = toks.get(i + 1).cloned().unwrap_or_default();
                    i += 2;
                    if ty == "NOTATION" {
                        i += 1;
                    }
                    let d = toks.get(i).cloned().unwrap_or_default();
                    i += 1;
                    let dflt = if d == "#FIXED" {
                        let v = toks.get(i).cloned();
                        i += 1;
                        v.map(|v| unquote(&v))
                    } else if d == "#REQUIRED" || d == "#IMPLIED" {
                        None
                    } else {
                        Some(unquote(&d))
                    };
                    if !entry.attrs.iter().any(|(n, _, _)| *n == an) {
                        entry.attrs.push((an, ty == "ID", dflt));
                    }
                }
            } else if decl.starts_with("<!ENTITY")
                && toks.len() >= 5
                && toks[1] != "%"
                && let Some(nd) = toks.iter().position(|t| t == "NDATA")
            {
                let name = toks[1].clone();
                let sys = if toks[2] == "SYSTEM" {
                    toks.get(3)
                } else {
                    toks.get(4)
                };
                if let (Some(sys), true) = (sys, nd > 2) {
                    let uri = crate::uri::resolve(&unquote(sys), self.opts.base_uri);
                    self.b.doc.unparsed_entities.entry(name).or_insert(uri);
                }
            }
        }
    }

    /// The pending text to append to (what was borrowed copied into it first).
    fn pending(&mut self) -> &mut String {
        let borrowed = std::mem::take(&mut self.pending_borrowed);
        self.pending_text.push_str(borrowed);
        &mut self.pending_text
    }

    #[inline]
    fn flush_text(&mut self) -> Result<(), XsltError> {
        if self.pending_borrowed.is_empty() && self.pending_text.is_empty() {
            return Ok(());
        }
        self.flush_pending_text()
    }

    #[inline(never)]
    fn flush_pending_text(&mut self) -> Result<(), XsltError> {
        let strip = *self.strip_stack.last().unwrap_or(&false);
        let borrowed = std::mem::take(&mut self.pending_borrowed);
        if !borrowed.is_empty() {
            if !(strip && is_ws(borrowed)) {
                self.b
                    .text(borrowed)
                    .map_err(|m| self.err_at(self.text.len(), m))?;
            }
            return Ok(());
        }
        if self.pending_text.is_empty() {
            return Ok(());
        }
        if !(strip && is_ws(&self.pending_text)) {
            let t = std::mem::take(&mut self.pending_text);
            self.b
                .text(&t)
                .map_err(|m| self.err_at(self.text.len(), m))?;
            self.pending_text = t;
        }
        self.pending_text.clear();
        Ok(())
    }

    fn text_content(&mut self, raw: &'t str, off: usize) -> Result<(), XsltError> {
        if memchr::memchr(b'&', raw.as_bytes()).is_none() {
            if self.pending_borrowed.is_empty() && self.pending_text.is_empty() {
                self.pending_borrowed = raw;
            } else {
                self.pending().push_str(raw);
            }
            return Ok(());
        }
        let mut rest = raw;
        let mut pos = off;
        while let Some(i) = memchr::memchr(b'&', rest.as_bytes()) {
            self.pending().push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let Some(semi) = after.find(';') else {
                return Err(self.err_at(pos + i, "unterminated entity reference"));
            };
            let name = &after[..semi];
            let ref_off = pos + i;
            if let Some(c) = self.char_ref(name, ref_off)? {
                self.pending().push(c);
            } else if let Some(s) = predefined(name) {
                self.pending().push_str(s);
            } else {
                self.expand_entity_content(name, ref_off)?;
            }
            let consumed = i + 1 + semi + 1;
            rest = &rest[consumed..];
            pos += consumed;
        }
        self.pending().push_str(rest);
        Ok(())
    }

    fn char_ref(&self, name: &str, off: usize) -> Result<Option<char>, XsltError> {
        let Some(num) = name.strip_prefix('#') else {
            return Ok(None);
        };
        let v = if let Some(h) = num.strip_prefix('x') {
            u32::from_str_radix(h, 16).ok()
        } else {
            num.parse::<u32>().ok()
        };
        match v.and_then(char::from_u32) {
            Some(c) if is_xml_char(c) => Ok(Some(c)),
            _ => Err(self.err_at(off, format!("invalid character reference &{name};"))),
        }
    }

    fn expand_entity_content(&mut self, name: &str, off: usize) -> Result<(), XsltError> {
        let (source, range) = match self.entities.get(name) {
            Some(r) => (self.text, r.clone()),
            None => match self.external_entities.get(name) {
                Some(t) => (*t, 0..t.len()),
                // libxml2 reports these and leaves the reference out.
                None if self.external_subset
                    || self.unreadable_entities.iter().any(|n| n == name) =>
                {
                    return Ok(());
                }
                None => return Err(self.err_at(off, format!("entity '{name}' not defined"))),
            },
        };
        self.expansions += 1;
        if self.entity_depth > 16 || self.expansions > MAX_ENTITY_EXPANSIONS {
            return Err(self.err_at(
                off,
                format!("entity '{name}': too many or recursive expansions"),
            ));
        }
        let depth_before = self.name_stack.len();
        self.entity_depth += 1;
        let tok = Tokenizer::from_fragment(source, range);
        for t in tok {
            let t = t.map_err(|e| self.err_at(off, format!("in entity '{name}': {e}")))?;
            self.content_token(t)?;
        }
        self.entity_depth -= 1;
        if self.name_stack.len() != depth_before {
            return Err(self.err_at(off, format!("entity '{name}' is not well-balanced")));
        }
        Ok(())
    }

    fn expand_attr(&mut self, raw: &'t str, off: usize) -> Result<Cow<'t, str>, XsltError> {
        // One pass for what needs work; `expand_attr_into` reports a `<`.
        if !raw
            .bytes()
            .any(|b| matches!(b, b'&' | b'\t' | b'\n' | b'\r' | b'<'))
        {
            return Ok(Cow::Borrowed(raw));
        }
        let mut out = String::with_capacity(raw.len());
        self.expand_attr_into(raw, off, &mut out, 0)?;
        Ok(Cow::Owned(out))
    }

    fn expand_attr_into(
        &mut self,
        raw: &str,
        off: usize,
        out: &mut String,
        depth: u32,
    ) -> Result<(), XsltError> {
        let mut rest = raw;
        while !rest.is_empty() {
            let i = rest
                .find(['&', '\t', '\n', '\r', '<'])
                .unwrap_or(rest.len());
            out.push_str(&rest[..i]);
            if i == rest.len() {
                break;
            }
            let c = rest.as_bytes()[i];
            if c == b'<' {
                return Err(self.err_at(off, "'<' not allowed in attribute value"));
            }
            if c != b'&' {
                out.push(' ');
                rest = &rest[i + 1..];
                continue;
            }
            let after = &rest[i + 1..];
            let Some(semi) = after.find(';') else {
                return Err(self.err_at(off, "unterminated entity reference in attribute"));
            };
            let name = &after[..semi];
            if let Some(ch) = self.char_ref(name, off)? {
                out.push(ch);
            } else if let Some(s) = predefined(name) {
                out.push_str(s);
            } else if let Some(r) = self.entities.get(name).cloned() {
                self.expansions += 1;
                if depth > 16 || self.expansions > MAX_ENTITY_EXPANSIONS {
                    return Err(self.err_at(off, "too many entity expansions"));
                }
                let val = self.text.get(r).unwrap_or("");
                self.expand_attr_into(val, off, out, depth + 1)?;
            } else {
                return Err(self.err_at(off, format!("entity '{name}' not defined")));
            }
            rest = &after[semi + 1..];
        }
        Ok(())
    }

    fn open_tag(&mut self, empty: bool) -> Result<(), XsltError> {
        let Some((prefix, local, off)) = self.tag.take() else {
            return Ok(());
        };
        // libxml2's limit (without XML_PARSE_HUGE), so xsltproc and we refuse the same
        // documents; it also bounds every recursive walk over a parsed tree.
        if self.name_stack.len() >= MAX_ELEMENT_DEPTH {
            return Err(self.err_at(
                off,
                format!(
                    "excessive depth in document: more than {MAX_ELEMENT_DEPTH} nested elements"
                ),
            ));
        }
        // DTD default attributes and ID types, namespace declarations: out of line, as most
        // elements have neither.
        let id_attrs = if self.attlists.is_empty() {
            Vec::new()
        } else {
            self.dtd_attributes(prefix, local, off)
        };
        let scope_id = if self.tag_attrs.iter().any(|(p, l, _, _)| is_ns_decl(p, l)) {
            self.declare_namespaces()?
        } else {
            self.b.current_scope_id()
        };
        // The bindings in a buffer kept between elements (the builder is written below).
        let mut scope = std::mem::take(&mut self.scope_buf);
        scope.clear();
        scope.extend_from_slice(
            self.b
                .doc
                .ns_scopes
                .get(scope_id as usize)
                .map(|v| &v[..])
                .unwrap_or(&[]),
        );
        let keep = Some((prefix, local));
        let recent = self.name_stack.len() % 8;
        let Some((ename, pa)) = self.name(false, scope_id, &scope, prefix, local, keep, recent)
        else {
            return Err(self.err_at(
                off,
                format!("namespace prefix {prefix} on {local} is not defined"),
            ));
        };
        let idx = self
            .b
            .start_element(ename, pa, scope_id, off as u32)
            .map_err(|m| self.err_at(off, m))?;
        let first_attr = self.b.doc.attrs.len();
        let attrs = std::mem::take(&mut self.tag_attrs);
        let mut xml_space: Option<bool> = None;
        for (k, (p, l, v, aoff)) in attrs.iter().enumerate() {
            if is_ns_decl(p, l) {
                continue;
            }
            let keep = match (p, l) {
                (Cow::Borrowed(p), Cow::Borrowed(l)) => Some((*p, *l)),
                _ => None,
            };
            let (p, l) = (p.as_ref(), l.as_ref());
            let Some((ae, pa)) = self.name(true, scope_id, &scope, p, l, keep, 8 + k % 8) else {
                return Err(self.err_at(
                    *aoff,
                    format!("namespace prefix {p} for {l} on {local} is not defined"),
                ));
            };
            if self.b.doc.attrs[first_attr..].iter().any(|a| a.ename == ae) {
                return Err(self.err_at(*aoff, format!("attribute {l} redefined")));
            }
            self.b
                .add_attribute(ae, pa, v)
                .map_err(|m| self.err_at(*aoff, m))?;
            if p == "xml" || !id_attrs.is_empty() {
                self.special_attribute(p, l, v, idx, &id_attrs, &mut xml_space);
            }
        }
        self.scope_buf = scope;
        self.tag_attrs = attrs;
        self.tag_attrs.clear();
        // libxslt does not honour xml:space in source documents for xsl:strip-space; only the
        // stylesheet (honour_xml_space) does.
        let preserve = self.opts.honour_xml_space
            && xml_space.unwrap_or(*self.preserve_stack.last().unwrap_or(&false));
        let strip = !preserve && self.strips(ename);
        self.preserve_stack.push(preserve);
        self.strip_stack.push(strip);
        self.name_stack.push((prefix, local));
        if empty {
            self.name_stack.pop();
            self.strip_stack.pop();
            self.preserve_stack.pop();
            self.b.end_element();
        }
        Ok(())
    }

    /// The DTD's default attributes of this element added to `tag_attrs`; its attributes
    /// declared of type ID.
    #[inline(never)]
    fn dtd_attributes(&mut self, prefix: &str, local: &str, off: usize) -> Vec<String> {
        let mut id_attrs = Vec::new();
        let qn_owned;
        let qname: &str = if prefix.is_empty() {
            local
        } else {
            qn_owned = format!("{prefix}:{local}");
            &qn_owned
        };
        let mut defaults = Vec::new();
        if let Some(def) = self.attlists.get(qname) {
            for (an, is_id, dflt) in &def.attrs {
                if *is_id {
                    id_attrs.push(an.clone());
                }
                if let Some(d) = dflt {
                    let present = self.tag_attrs.iter().any(|(p, l, _, _)| {
                        if p.is_empty() {
                            l.as_ref() == an.as_str()
                        } else {
                            an.len() == p.len() + 1 + l.len()
                                && an.starts_with(p.as_ref())
                                && an.ends_with(l.as_ref())
                        }
                    });
                    if !present {
                        let (p, l) = match an.split_once(':') {
                            Some((p, l)) => (p.to_string(), l.to_string()),
                            None => (String::new(), an.clone()),
                        };
                        defaults.push((Cow::Owned(p), Cow::Owned(l), Cow::Owned(d.clone()), off));
                    }
                }
            }
        }
        self.tag_attrs.extend(defaults);
        id_attrs
    }

    /// The scope id of the element whose start tag declares namespaces (`tag_attrs`).
    #[inline(never)]
    fn declare_namespaces(&mut self) -> Result<u32, XsltError> {
        let mut scope = self.b.current_scope().to_vec();
        for (p, l, v, aoff) in &self.tag_attrs {
            if !is_ns_decl(p, l) {
                continue;
            }
            let dp = if p.is_empty() { "" } else { l.as_ref() };
            if dp == "xmlns" || (dp == "xml" && v.as_ref() != crate::tree::XML_NS) {
                return Err(self.err_at(*aoff, format!("reserved namespace prefix '{dp}'")));
            }
            if !dp.is_empty() && v.is_empty() {
                return Err(self.err_at(*aoff, format!("empty namespace name for prefix '{dp}'")));
            }
            let pa = self.names.atom(dp);
            let ua = self.names.atom(v);
            scope.retain(|(x, _)| *x != pa);
            if ua != 0 {
                scope.push((pa, ua));
            }
        }
        Ok(self.b.scope_id(scope))
    }

    /// An `xml:` attribute (`xml:space`, `xml:id`) or one the DTD may have declared an ID,
    /// of element `idx`.
    #[inline(never)]
    fn special_attribute(
        &mut self,
        p: &str,
        l: &str,
        v: &str,
        idx: u32,
        id_attrs: &[String],
        xml_space: &mut Option<bool>,
    ) {
        if p == "xml" {
            if l == "space" {
                *xml_space = Some(v == "preserve");
            } else if l == "id" {
                self.b.doc.ids.entry(v.to_string()).or_insert(idx);
            }
        }
        if !id_attrs.is_empty() {
            let q = if p.is_empty() {
                l.to_string()
            } else {
                format!("{p}:{l}")
            };
            if id_attrs.contains(&q) {
                self.b.doc.ids.entry(v.trim().to_string()).or_insert(idx);
            }
        }
    }

    /// Whether whitespace-only text in elements named `ename` is stripped, asked of the strip
    /// rule once per name.
    fn strips(&mut self, ename: EName) -> bool {
        let i = ename as usize;
        if let Some(&known) = self.strip_memo.get(i)
            && known != 0
        {
            return known == 2;
        }
        let strip = self.opts.strip.strip(self.names, ename);
        if self.strip_memo.len() <= i {
            self.strip_memo.resize(i + 1, 0);
        }
        self.strip_memo[i] = 1 + u8::from(strip);
        strip
    }

    /// The expanded name and prefix atom of an element's (`attr` false) or attribute's name
    /// in `scope` (the bindings of scope `scope_id`); None when its prefix is not bound.
    /// Names seen before come from a small cache keyed by their text, so the repeated element
    /// and attribute names of a document cost a compare instead of interner look-ups; a name
    /// the cache keeps is the same text borrowed from the document (`keep`).
    #[allow(clippy::too_many_arguments)]
    fn name(
        &mut self,
        attr: bool,
        scope_id: u32,
        scope: &[(Atom, Atom)],
        prefix: &str,
        local: &str,
        keep: Option<(&'t str, &'t str)>,
        recent: usize,
    ) -> Option<(EName, Atom)> {
        // First the name last resolved in the same place (the previous sibling's name, the
        // same attribute of the previous element): records repeat their names.
        if let Some(hit) = &self.recent_names[recent]
            && hit.scope == scope_id
            && hit.is(attr, prefix, local)
        {
            return Some((hit.ename, hit.prefix_atom));
        }
        // What else decides the name: an unprefixed element's default namespace (an
        // unprefixed attribute has none), a prefixed name's bindings.
        let key = if !prefix.is_empty() {
            u64::from(scope_id) | 1 << 32
        } else if attr {
            0
        } else {
            u64::from(
                scope
                    .iter()
                    .find(|(x, _)| *x == 0)
                    .map(|(_, u)| *u)
                    .unwrap_or(0),
            )
        };
        let slot = name_slot(attr, prefix, local);
        if let Some(hit) = self.name_cache[slot]
            && hit.key == key
            && hit.is(attr, prefix, local)
        {
            self.recent_names[recent] = Some(CachedName {
                scope: scope_id,
                ..hit
            });
            return Some((hit.ename, hit.prefix_atom));
        }
        let ns = if prefix.is_empty() {
            key as Atom
        } else if prefix == "xml" {
            self.names.atom(crate::tree::XML_NS)
        } else {
            let pa = self.names.lookup_atom(prefix)?;
            scope.iter().find(|(x, _)| *x == pa).map(|(_, u)| *u)?
        };
        let la = self.names.atom(local);
        let ename = self.names.ename(ns, la);
        let prefix_atom = self.names.atom(prefix);
        if let Some((prefix, local)) = keep {
            let name = Some(CachedName {
                key,
                scope: scope_id,
                attr,
                prefix,
                local,
                ename,
                prefix_atom,
            });
            self.name_cache[slot] = name;
            self.recent_names[recent] = name;
        }
        Some((ename, prefix_atom))
    }
}

fn dtd_tokens(decl: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut q: Option<char> = None;
    let mut paren = 0;
    for c in decl.chars() {
        if let Some(qc) = q {
            cur.push(c);
            if c == qc {
                q = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => {
                q = Some(c);
                cur.push(c);
            }
            '(' => {
                paren += 1;
                cur.push(c);
            }
            ')' => {
                paren -= 1;
                cur.push(c);
            }
            c if c.is_whitespace() && paren == 0 => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn unquote(s: &str) -> String {
    let t = s.trim();
    if t.len() >= 2 && (t.starts_with('"') || t.starts_with('\'')) {
        t[1..t.len() - 1].to_string()
    } else {
        t.to_string()
    }
}

fn predefined(name: &str) -> Option<&'static str> {
    Some(match name {
        "lt" => "<",
        "gt" => ">",
        "amp" => "&",
        "apos" => "'",
        "quot" => "\"",
        _ => return None,
    })
}

pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}
