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
    if !s.contains('\r') {
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
    pending_text: String,
    /// Per open element: strip whitespace?, element qname (for end-tag check)
    strip_stack: Vec<bool>,
    name_stack: Vec<(&'t str, &'t str)>,
    /// Current start tag being collected.
    tag: Option<(&'t str, &'t str, usize)>,
    tag_attrs: Vec<RawAttr<'t>>,
    preserve_stack: Vec<bool>,
    entity_depth: u32,
    expansions: usize,
    seen_root: bool,
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
    let lt = memcount(text.as_bytes(), b'<');
    let eq = memcount(text.as_bytes(), b'=');
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
        pending_text: String::new(),
        strip_stack: vec![false],
        name_stack: Vec::new(),
        tag: None,
        tag_attrs: Vec::new(),
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
                        Some((p, l)) if p == prefix.as_str() && l == local.as_str() => {}
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
                self.pending_text.push_str(text.as_str());
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

    fn flush_text(&mut self) -> Result<(), XsltError> {
        if self.pending_text.is_empty() {
            return Ok(());
        }
        let strip = *self.strip_stack.last().unwrap_or(&false);
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
        let mut rest = raw;
        let mut pos = off;
        while let Some(i) = rest.find('&') {
            self.pending_text.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let Some(semi) = after.find(';') else {
                return Err(self.err_at(pos + i, "unterminated entity reference"));
            };
            let name = &after[..semi];
            let ref_off = pos + i;
            if let Some(c) = self.char_ref(name, ref_off)? {
                self.pending_text.push(c);
            } else if let Some(s) = predefined(name) {
                self.pending_text.push_str(s);
            } else {
                self.expand_entity_content(name, ref_off)?;
            }
            let consumed = i + 1 + semi + 1;
            rest = &rest[consumed..];
            pos += consumed;
        }
        self.pending_text.push_str(rest);
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
        if !raw.contains(['&', '\t', '\n', '\r']) {
            if raw.contains('<') {
                return Err(self.err_at(off, "'<' not allowed in attribute value"));
            }
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
        // DTD default attributes.
        let qn_owned;
        let qname: &str = if prefix.is_empty() {
            local
        } else {
            qn_owned = format!("{prefix}:{local}");
            &qn_owned
        };
        let mut id_attrs: Vec<String> = Vec::new();
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
        // Namespace declarations.
        let parent_scope = self.b.current_scope().to_vec();
        let mut scope = parent_scope.clone();
        let mut changed = false;
        for (p, l, v, aoff) in &self.tag_attrs {
            let decl_prefix = if p.is_empty() && l.as_ref() == "xmlns" {
                Some("")
            } else if p.as_ref() == "xmlns" {
                Some(l.as_ref())
            } else {
                None
            };
            if let Some(dp) = decl_prefix {
                if dp == "xmlns" || (dp == "xml" && v.as_ref() != crate::tree::XML_NS) {
                    return Err(self.err_at(*aoff, format!("reserved namespace prefix '{dp}'")));
                }
                if !dp.is_empty() && v.is_empty() {
                    return Err(
                        self.err_at(*aoff, format!("empty namespace name for prefix '{dp}'"))
                    );
                }
                let pa = self.names.atom(dp);
                let ua = self.names.atom(v);
                scope.retain(|(x, _)| *x != pa);
                if ua != 0 {
                    scope.push((pa, ua));
                }
                changed = true;
            }
        }
        let scope_id = if changed {
            self.b.scope_id(scope.clone())
        } else {
            self.b.current_scope_id()
        };
        let resolve = |names: &mut Interner, scope: &[(Atom, Atom)], p: &str| -> Option<Atom> {
            if p == "xml" {
                return Some(names.atom(crate::tree::XML_NS));
            }
            let pa = names.lookup_atom(p)?;
            scope.iter().find(|(x, _)| *x == pa).map(|(_, u)| *u)
        };
        let ns = if prefix.is_empty() {
            scope
                .iter()
                .find(|(x, _)| *x == 0)
                .map(|(_, u)| *u)
                .unwrap_or(0)
        } else {
            match resolve(self.names, &scope, prefix) {
                Some(u) => u,
                None => {
                    return Err(self.err_at(
                        off,
                        format!("namespace prefix {prefix} on {local} is not defined"),
                    ));
                }
            }
        };
        let la = self.names.atom(local);
        let ename = self.names.ename(ns, la);
        let pa = self.names.atom(prefix);
        let idx = self
            .b
            .start_element(ename, pa, scope_id, off as u32)
            .map_err(|m| self.err_at(off, m))?;
        let attrs = std::mem::take(&mut self.tag_attrs);
        let mut xml_space: Option<bool> = None;
        let mut seen: Vec<EName> = Vec::with_capacity(attrs.len());
        for (p, l, v, aoff) in &attrs {
            if (p.is_empty() && l.as_ref() == "xmlns") || p.as_ref() == "xmlns" {
                continue;
            }
            let ans = if p.is_empty() {
                0
            } else {
                match resolve(self.names, &scope, p) {
                    Some(u) => u,
                    None => {
                        return Err(self.err_at(
                            *aoff,
                            format!("namespace prefix {p} for {l} on {local} is not defined"),
                        ));
                    }
                }
            };
            let la = self.names.atom(l);
            let ae = self.names.ename(ans, la);
            if seen.contains(&ae) {
                return Err(self.err_at(*aoff, format!("attribute {l} redefined")));
            }
            seen.push(ae);
            let pa = self.names.atom(p);
            self.b
                .add_attribute(ae, pa, v)
                .map_err(|m| self.err_at(*aoff, m))?;
            if p.as_ref() == "xml" {
                if l.as_ref() == "space" {
                    xml_space = Some(v.as_ref() == "preserve");
                } else if l.as_ref() == "id" {
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
        self.tag_attrs = attrs;
        self.tag_attrs.clear();
        // libxslt does not honour xml:space in source documents for xsl:strip-space; only the
        // stylesheet (honour_xml_space) does.
        let preserve = self.opts.honour_xml_space
            && xml_space.unwrap_or(*self.preserve_stack.last().unwrap_or(&false));
        let strip = !preserve && self.opts.strip.strip(self.names, ename);
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
