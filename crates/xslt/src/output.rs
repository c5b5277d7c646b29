//! Result tree construction (with namespace fixup) and serialization
//! (xml / html / text) following libxml2's output rules byte for byte.

use crate::compile::{Method, OutputSpec};
use crate::tree::{Atom, Document, EName, Interner, NodeKind, TreeBuilder};

/// Flags stored in the `ename` field of result-tree text nodes.
pub const TEXT_NOESC: u32 = 1;
pub const TEXT_CDATA: u32 = 2;

struct Pending {
    ename: EName,
    prefix: Atom,
    ns: Vec<(Atom, Atom)>,
    attrs: Vec<(EName, Atom, String)>,
}

/// Builds a result tree (main output or a result tree fragment).
pub struct ResultTree {
    pub b: TreeBuilder,
    pending: Option<Pending>,
    /// Text with disable-output-escaping / cdata flags differs from plain text; track
    /// the flag of the current trailing text node so they do not merge.
    cdata_elements: Vec<EName>,
    gen_prefix: u32,
}

/// Where instructions write: a tree, or a plain string (attribute values, comments, ...).
pub enum Sink {
    Tree(Box<ResultTree>),
    Text { buf: String, depth: u32 },
}

impl ResultTree {
    pub fn new(base: &str, cdata_elements: Vec<EName>) -> Self {
        let mut b = TreeBuilder::new(base);
        b.doc.is_rtf = true;
        ResultTree {
            b,
            pending: None,
            cdata_elements,
            gen_prefix: 0,
        }
    }

    pub fn start_element(
        &mut self,
        names: &mut Interner,
        ename: EName,
        prefix: Atom,
    ) -> Result<(), String> {
        self.flush(names)?;
        self.pending = Some(Pending {
            ename,
            prefix,
            ns: Vec::new(),
            attrs: Vec::new(),
        });
        Ok(())
    }

    /// Adds a namespace node to the element being started (ignored otherwise).
    pub fn namespace(&mut self, prefix: Atom, uri: Atom) {
        if let Some(p) = self.pending.as_mut()
            && !p.ns.iter().any(|(x, _)| *x == prefix)
        {
            p.ns.push((prefix, uri));
        }
    }

    /// Adds an attribute; returns false when there is no element to add it to.
    pub fn attribute(&mut self, ename: EName, prefix: Atom, value: &str) -> bool {
        match self.pending.as_mut() {
            Some(p) => {
                if let Some(a) = p.attrs.iter_mut().find(|a| a.0 == ename) {
                    a.1 = prefix;
                    a.2 = value.to_string();
                } else {
                    p.attrs.push((ename, prefix, value.to_string()));
                }
                true
            }
            None => false,
        }
    }

    fn flush(&mut self, names: &mut Interner) -> Result<(), String> {
        let Some(p) = self.pending.take() else {
            return Ok(());
        };
        let parent_scope: Vec<(Atom, Atom)> = self.b.current_scope().to_vec();
        let mut scope = parent_scope.clone();
        let mut declared: Vec<Atom> = Vec::new();
        let bind =
            |scope: &mut Vec<(Atom, Atom)>, declared: &mut Vec<Atom>, pfx: Atom, uri: Atom| {
                scope.retain(|(x, _)| *x != pfx);
                if !(pfx == 0 && uri == 0) {
                    scope.push((pfx, uri));
                }
                declared.push(pfx);
            };
        for (pfx, uri) in &p.ns {
            if *pfx == 1 {
                continue; // xml prefix is implicit
            }
            let cur = scope.iter().find(|(x, _)| x == pfx).map(|(_, u)| *u);
            if cur == Some(*uri) || (*pfx == 0 && *uri == 0 && cur.is_none()) {
                continue;
            }
            if *pfx != 0 && *uri == 0 {
                continue;
            }
            bind(&mut scope, &mut declared, *pfx, *uri);
        }
        // Element name fixup.
        let (ens, _) = names.ename_parts(p.ename);
        let mut eprefix = p.prefix;
        if ens == 0 {
            eprefix = 0;
            let cur_default = scope.iter().find(|(x, _)| *x == 0).map(|(_, u)| *u);
            if cur_default.is_some_and(|u| u != 0) {
                bind(&mut scope, &mut declared, 0, 0);
            }
        } else if eprefix == 1 && ens == names.atom(crate::tree::XML_NS) {
            // xml:foo element
        } else {
            let cur = scope.iter().find(|(x, _)| *x == eprefix).map(|(_, u)| *u);
            if cur != Some(ens) {
                if !declared.contains(&eprefix) {
                    bind(&mut scope, &mut declared, eprefix, ens);
                } else if let Some((x, _)) = scope
                    .iter()
                    .find(|(x, u)| *u == ens && (*x != 0 || eprefix == 0))
                {
                    eprefix = *x;
                } else {
                    let np = self.new_prefix(names, &scope);
                    bind(&mut scope, &mut declared, np, ens);
                    eprefix = np;
                }
            }
        }
        // Attribute name fixup.
        let mut attrs = p.attrs;
        for a in attrs.iter_mut() {
            let (ans, _) = names.ename_parts(a.0);
            if ans == 0 {
                a.1 = 0;
                continue;
            }
            if a.1 == 1 {
                continue; // xml:*
            }
            let ok = a.1 != 0 && scope.iter().any(|(x, u)| *x == a.1 && *u == ans);
            if ok {
                continue;
            }
            if let Some((x, _)) = scope.iter().find(|(x, u)| *u == ans && *x != 0) {
                a.1 = *x;
                continue;
            }
            if a.1 != 0 && !declared.contains(&a.1) {
                bind(&mut scope, &mut declared, a.1, ans);
                continue;
            }
            let np = self.new_prefix(names, &scope);
            bind(&mut scope, &mut declared, np, ans);
            a.1 = np;
        }
        let sid = if declared.is_empty() {
            self.b.current_scope_id()
        } else {
            self.b.scope_id(scope)
        };
        self.b.start_element(p.ename, eprefix, sid, 0)?;
        for (e, pfx, v) in &attrs {
            self.b.add_attribute(*e, *pfx, v)?;
        }
        Ok(())
    }

    fn new_prefix(&mut self, names: &mut Interner, scope: &[(Atom, Atom)]) -> Atom {
        loop {
            self.gen_prefix += 1;
            let p = names.atom(&format!("ns_{}", self.gen_prefix));
            if !scope.iter().any(|(x, _)| *x == p) {
                return p;
            }
        }
    }

    pub fn end_element(&mut self, names: &mut Interner) -> Result<(), String> {
        self.flush(names)?;
        self.b.end_element();
        Ok(())
    }

    pub fn text(&mut self, names: &mut Interner, s: &str, noesc: bool) -> Result<(), String> {
        if s.is_empty() {
            return Ok(());
        }
        self.flush(names)?;
        let cur = self.b.current();
        let mut flags = if noesc { TEXT_NOESC } else { 0 };
        if !self.cdata_elements.is_empty() && cur != 0 {
            let e = self.b.doc.ename(cur);
            if self.cdata_elements.contains(&e) && !noesc {
                flags = TEXT_CDATA;
            }
        }
        // Merge only with a trailing text node of the same kind.
        if let Some(last) = self.b.last_text_index()
            && self.b.doc.ename(last) != flags
        {
            return self.text_node_new(s, flags);
        }
        if flags != 0 && self.b.last_text_index().is_none() {
            return self.text_node_new(s, flags);
        }
        self.b.text(s)
    }

    fn text_node_new(&mut self, s: &str, flags: u32) -> Result<(), String> {
        // Insert a separator comment-free: create then tag the node's flags.
        self.b.text_unmerged(s)?;
        let idx = self.b.doc.nodes.len() - 1;
        if let Some(n) = self.b.doc.nodes.get_mut(idx) {
            n.ename = flags;
        }
        Ok(())
    }

    pub fn comment(&mut self, names: &mut Interner, s: &str) -> Result<(), String> {
        self.flush(names)?;
        self.b.comment(s)
    }

    pub fn pi(&mut self, names: &mut Interner, target: &str, s: &str) -> Result<(), String> {
        self.flush(names)?;
        let a = names.atom(target);
        let e = names.ename(0, a);
        self.b.pi(e, s, 0)
    }

    pub fn finish(mut self, names: &mut Interner) -> Result<Document, String> {
        self.flush(names)?;
        Ok(self.b.finish())
    }
}

// ---------------------------------------------------------------- serializer

#[derive(Clone, Copy, PartialEq)]
enum Enc {
    Utf8,
    Utf16,
    Latin1,
    Ascii,
    Other(&'static encoding_rs::Encoding),
}

struct Ser<'a, 'w> {
    out: String,
    /// When set, output is encoded and written in chunks instead of kept in memory.
    sink: Option<&'w mut dyn std::io::Write>,
    written: usize,
    bom_done: bool,
    write_err: Option<String>,
    names: &'a Interner,
    doc: &'a Document,
    enc: Enc,
    html: bool,
    meta_head: Option<u32>,
    meta_content: String,
    /// Existing Content-Type META whose content lacks a charset: libxml2 rewrites it.
    meta_fix: Option<u32>,
}

fn enc_of(name: Option<&str>) -> Result<Enc, String> {
    let Some(n) = name else { return Ok(Enc::Utf8) };
    let l = n.trim().to_ascii_lowercase();
    Ok(match l.as_str() {
        "utf-8" | "utf8" => Enc::Utf8,
        "utf-16" | "utf16" => Enc::Utf16,
        "iso-8859-1" | "latin1" | "iso_8859-1" | "latin-1" | "l1" => Enc::Latin1,
        "us-ascii" | "ascii" => Enc::Ascii,
        _ => match encoding_rs::Encoding::for_label(l.as_bytes()) {
            Some(e) if e == encoding_rs::UTF_8 => Enc::Utf8,
            Some(e) if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE => Enc::Utf16,
            Some(e) => Enc::Other(e),
            None => return Err(format!("unsupported output encoding '{n}'")),
        },
    })
}

fn can_encode(enc: Enc, c: char) -> bool {
    match enc {
        Enc::Utf8 | Enc::Utf16 => true,
        Enc::Latin1 => (c as u32) < 0x100,
        Enc::Ascii => (c as u32) < 0x80,
        Enc::Other(e) => {
            if (c as u32) < 0x80 {
                return true;
            }
            let mut buf = [0u8; 4];
            let s = c.encode_utf8(&mut buf);
            let (_, _, bad) = e.encode(s);
            !bad
        }
    }
}

/// Encodes serialized text to bytes in the output encoding (`bom`: start of output).
fn encode(s: String, enc: Enc, bom: bool) -> Vec<u8> {
    match enc {
        Enc::Utf8 => s.into_bytes(),
        Enc::Utf16 => {
            let mut v = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
            for u in s.encode_utf16() {
                v.extend_from_slice(&u.to_le_bytes());
            }
            v
        }
        Enc::Latin1 | Enc::Ascii => s.chars().map(|c| c as u32 as u8).collect(),
        Enc::Other(e) => e.encode(&s).0.into_owned(),
    }
}

const HTML_EMPTY: &[&str] = &[
    "area", "base", "basefont", "br", "col", "frame", "hr", "img", "input", "isindex", "link",
    "meta", "param", "embed", "source", "track", "wbr", "keygen",
];
// Elements libxml2 knows (html40ElementTable) that are inline (isinline = 1).
const HTML_INLINE: &[&str] = &[
    "a", "abbr", "acronym", "applet", "b", "basefont", "bdo", "big", "br", "button", "cite",
    "code", "dfn", "em", "font", "i", "iframe", "img", "input", "kbd", "label", "map", "object",
    "q", "s", "samp", "select", "small", "span", "strike", "strong", "sub", "sup", "textarea",
    "tt", "u", "var", "embed", "script",
];
const HTML_KNOWN: &[&str] = &[
    "a",
    "abbr",
    "acronym",
    "address",
    "applet",
    "area",
    "b",
    "base",
    "basefont",
    "bdo",
    "big",
    "blockquote",
    "body",
    "br",
    "button",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "dfn",
    "dir",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "fieldset",
    "font",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "hr",
    "html",
    "i",
    "iframe",
    "img",
    "input",
    "ins",
    "isindex",
    "kbd",
    "label",
    "legend",
    "li",
    "link",
    "map",
    "menu",
    "meta",
    "noframes",
    "noscript",
    "object",
    "ol",
    "optgroup",
    "option",
    "p",
    "param",
    "pre",
    "q",
    "s",
    "samp",
    "script",
    "select",
    "small",
    "span",
    "strike",
    "strong",
    "style",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
];
const HTML_BOOLEAN: &[&str] = &[
    "checked", "compact", "declare", "defer", "disabled", "ismap", "multiple", "nohref",
    "noresize", "noshade", "nowrap", "readonly", "selected",
];

fn lc_in(list: &[&str], s: &str) -> bool {
    list.iter().any(|x| x.eq_ignore_ascii_case(s))
}

impl Ser<'_, '_> {
    /// Hands completed output to the writer once enough has accumulated.
    fn chunk(&mut self) {
        if self.out.len() >= 64 * 1024 {
            self.flush_out();
        }
    }

    fn flush_out(&mut self) {
        let Some(w) = self.sink.as_mut() else { return };
        if self.write_err.is_some() || self.out.is_empty() {
            return;
        }
        let text = std::mem::take(&mut self.out);
        let bytes = encode(text, self.enc, !self.bom_done);
        self.bom_done = true;
        match w.write_all(&bytes) {
            Ok(()) => self.written += bytes.len(),
            Err(e) => self.write_err = Some(e.to_string()),
        }
    }

    fn qname(&self, prefix: Atom, ename: EName) -> String {
        let l = self.names.local_of(ename);
        if prefix == 0 {
            l.to_string()
        } else {
            format!("{}:{}", self.names.str(prefix), l)
        }
    }

    /// Appends `prefix:local` (or `local`) to the output.
    fn push_qname(&mut self, prefix: Atom, ename: EName) {
        let names = self.names;
        if prefix != 0 {
            self.out.push_str(names.str(prefix));
            self.out.push(':');
        }
        self.out.push_str(names.local_of(ename));
    }

    fn char_ref(&mut self, c: char) {
        self.out.push_str("&#");
        self.out.push_str(&(c as u32).to_string());
        self.out.push(';');
    }

    fn text_escaped(&mut self, s: &str) {
        for c in s.chars() {
            match c {
                '<' => self.out.push_str("&lt;"),
                '>' => self.out.push_str("&gt;"),
                '&' => self.out.push_str("&amp;"),
                '\r' if !self.html => self.out.push_str("&#13;"),
                c if !can_encode(self.enc, c) => self.char_ref(c),
                c => self.out.push(c),
            }
        }
    }

    fn raw_text(&mut self, s: &str) {
        for c in s.chars() {
            if can_encode(self.enc, c) {
                self.out.push(c);
            } else {
                self.char_ref(c);
            }
        }
    }

    fn attr_escaped(&mut self, s: &str) {
        for c in s.chars() {
            match c {
                '<' => self.out.push_str("&lt;"),
                '>' => self.out.push_str("&gt;"),
                '&' => self.out.push_str("&amp;"),
                '"' => self.out.push_str("&quot;"),
                '\n' if !self.html => self.out.push_str("&#10;"),
                '\r' if !self.html => self.out.push_str("&#13;"),
                '\t' if !self.html => self.out.push_str("&#9;"),
                c if !can_encode(self.enc, c) => self.char_ref(c),
                c => self.out.push(c),
            }
        }
    }

    fn ns_decls(&mut self, i: u32) {
        for (p, u) in self.doc.ns_declared(i) {
            if p == 1 {
                continue;
            }
            self.out.push_str(" xmlns");
            if p != 0 {
                self.out.push(':');
                self.out.push_str(self.names.str(p));
            }
            self.out.push_str("=\"");
            let us = self.names.str(u).to_string();
            self.attr_escaped(&us);
            self.out.push('"');
        }
        // A removed default namespace (xmlns="") shows as a missing default binding.
        if let Some(parent) = self.doc.parent(i)
            && self.doc.kind(parent) == NodeKind::Element
        {
            let had = self
                .doc
                .ns_scope(parent)
                .iter()
                .any(|(p, u)| *p == 0 && *u != 0);
            let has = self.doc.ns_scope(i).iter().any(|(p, _)| *p == 0);
            if had && !has {
                self.out.push_str(" xmlns=\"\"");
            }
        }
    }

    fn attrs(&mut self, i: u32, html: bool) {
        if !html {
            // Name and value written straight from the document (it outlives the serialiser).
            let doc = self.doc;
            for a in &doc.attrs[doc.attr_range(i)] {
                self.out.push(' ');
                self.push_qname(a.prefix, a.ename);
                self.out.push_str("=\"");
                self.attr_escaped(doc.attr_value(a));
                self.out.push('"');
            }
            return;
        }
        let elname = self.names.local_of(self.doc.ename(i)).to_string();
        for k in self.doc.attr_range(i) {
            let a = &self.doc.attrs[k];
            let name = self.qname(a.prefix, a.ename);
            let v = self.doc.attr_value(a).to_string();
            self.out.push(' ');
            self.out.push_str(&name);
            let (ans, _) = self.names.ename_parts(a.ename);
            if ans == 0 && lc_in(HTML_BOOLEAN, &name) {
                continue;
            }
            // HTML: entity-escape (quotes kept), URI-escape URI attributes, then quote the
            // way libxml2's xmlBufWriteQuotedString does.
            let v = if self.meta_fix == Some(i) && name == "content" {
                self.meta_content.clone()
            } else {
                v
            };
            let mut esc = String::with_capacity(v.len());
            for c in v.chars() {
                match c {
                    '<' => esc.push_str("&lt;"),
                    '>' => esc.push_str("&gt;"),
                    '&' => esc.push_str("&amp;"),
                    c if !can_encode(self.enc, c) => {
                        esc.push_str(&format!("&#{};", c as u32));
                    }
                    c => esc.push(c),
                }
            }
            if ans == 0
                && (name.eq_ignore_ascii_case("href")
                    || name.eq_ignore_ascii_case("action")
                    || name.eq_ignore_ascii_case("src")
                    || (name.eq_ignore_ascii_case("name") && elname.eq_ignore_ascii_case("a")))
            {
                esc = uri_escape(esc.trim_start_matches([' ', '\t', '\n', '\r']));
            }
            if esc.contains('"') {
                if esc.contains('\'') {
                    self.out.push_str("=\"");
                    self.out.push_str(&esc.replace('"', "&quot;"));
                    self.out.push('"');
                } else {
                    self.out.push_str("='");
                    self.out.push_str(&esc);
                    self.out.push('\'');
                }
            } else {
                self.out.push_str("=\"");
                self.out.push_str(&esc);
                self.out.push('"');
            }
        }
        // libxml2 sets the attribute named exactly `content`; a META spelling it in
        // other case gets a second one.
        if html
            && self.meta_fix == Some(i)
            && !self
                .doc
                .attr_range(i)
                .any(|k| self.qname(self.doc.attrs[k].prefix, self.doc.attrs[k].ename) == "content")
        {
            self.out.push_str(" content=\"");
            let mc = self.meta_content.clone();
            self.out.push_str(&mc);
            self.out.push('"');
        }
    }

    // ---------------- XML

    fn xml_node(&mut self, i: u32, level: usize, format: bool) {
        match self.doc.kind(i) {
            NodeKind::Element => {
                let (prefix, ename) = (self.doc.prefix(i), self.doc.ename(i));
                self.out.push('<');
                self.push_qname(prefix, ename);
                self.ns_decls(i);
                self.attrs(i, false);
                let Some(first) = self.doc.first_child(i) else {
                    self.out.push_str("/>");
                    return;
                };
                self.out.push('>');
                let mut fmt = format;
                if fmt {
                    let mut c = Some(first);
                    while let Some(ch) = c {
                        if self.doc.kind(ch) == NodeKind::Text {
                            fmt = false;
                            break;
                        }
                        c = self.doc.next_sibling(ch);
                    }
                }
                if fmt {
                    self.out.push('\n');
                }
                let mut c = Some(first);
                while let Some(ch) = c {
                    if fmt
                        && matches!(
                            self.doc.kind(ch),
                            NodeKind::Element | NodeKind::Comment | NodeKind::PI
                        )
                    {
                        self.indent(level + 1);
                    }
                    self.xml_node(ch, level + 1, fmt);
                    if fmt {
                        self.out.push('\n');
                    }
                    self.chunk();
                    c = self.doc.next_sibling(ch);
                }
                if fmt {
                    self.indent(level);
                }
                self.out.push_str("</");
                self.push_qname(prefix, ename);
                self.out.push('>');
            }
            NodeKind::Text => {
                // The document outlives the serialiser: its text is written without a copy.
                let doc = self.doc;
                let t = doc.text_of(i);
                let flags = doc.ename(i);
                if flags & TEXT_NOESC != 0 {
                    self.raw_text(t);
                } else if flags & TEXT_CDATA != 0 {
                    self.cdata(t);
                } else {
                    self.text_escaped(t);
                }
            }
            NodeKind::Comment => {
                self.out.push_str("<!--");
                let t = self.doc.text_of(i).to_string();
                self.raw_text(&t);
                self.out.push_str("-->");
            }
            NodeKind::PI => {
                self.out.push_str("<?");
                self.out.push_str(self.names.local_of(self.doc.ename(i)));
                let t = self.doc.text_of(i).to_string();
                if !t.is_empty() {
                    self.out.push(' ');
                    self.raw_text(&t);
                }
                self.out.push_str("?>");
            }
            _ => {}
        }
    }

    fn cdata(&mut self, t: &str) {
        if t.is_empty() {
            return;
        }
        self.out.push_str("<![CDATA[");
        let mut rest = t;
        while let Some(k) = rest.find("]]>") {
            self.cdata_chunk(&rest[..k + 2]);
            self.out.push_str("]]><![CDATA[");
            rest = &rest[k + 2..];
        }
        self.cdata_chunk(rest);
        self.out.push_str("]]>");
    }

    fn cdata_chunk(&mut self, s: &str) {
        // Characters the encoding cannot represent leave the section as char refs.
        for c in s.chars() {
            if can_encode(self.enc, c) {
                self.out.push(c);
            } else {
                self.out.push_str("]]>");
                self.char_ref(c);
                self.out.push_str("<![CDATA[");
            }
        }
    }

    fn indent(&mut self, level: usize) {
        for _ in 0..level.min(30) {
            self.out.push_str("  ");
        }
    }

    // ---------------- HTML (libxml2 htmlNodeDumpFormatOutput)

    fn html_info(&self, i: u32) -> Option<(bool, bool)> {
        // (empty, inline) for known HTML elements in no namespace
        if self.doc.kind(i) != NodeKind::Element {
            return None;
        }
        let (ns, l) = self.names.ename_parts(self.doc.ename(i));
        if ns != 0 {
            return None;
        }
        let name = self.names.str(l);
        if !lc_in(HTML_KNOWN, name) {
            return None;
        }
        Some((lc_in(HTML_EMPTY, name), lc_in(HTML_INLINE, name)))
    }

    fn is_textish(&self, i: u32) -> bool {
        self.doc.kind(i) == NodeKind::Text
    }

    fn name_starts_p(&self, i: u32) -> bool {
        if self.doc.kind(i) != NodeKind::Element {
            return false;
        }
        self.names.local_of(self.doc.ename(i)).starts_with('p')
    }

    fn html_node(&mut self, i: u32, format: bool) {
        match self.doc.kind(i) {
            NodeKind::Element => {
                let (ns, _) = self.names.ename_parts(self.doc.ename(i));
                if ns != 0 {
                    // Elements in a namespace are written as XML inside HTML output.
                    self.html_foreign(i);
                    return;
                }
                let info = self.html_info(i);
                let name = self.qname(self.doc.prefix(i), self.doc.ename(i));
                self.out.push('<');
                self.out.push_str(&name);
                self.ns_decls(i);
                self.attrs(i, true);
                let parent = self.doc.parent(i).unwrap_or(0);
                let first = self.doc.first_child(i);
                match (info, first) {
                    (Some((true, _)), _) => {
                        self.out.push('>');
                    }
                    (_, None) if self.meta_head != Some(i) => {
                        self.out.push_str("></");
                        self.out.push_str(&name);
                        self.out.push('>');
                    }
                    (_, first) => {
                        self.out.push('>');
                        let meta = self.meta_head == Some(i);
                        // Child list, with libxslt's META element prepended to <head>.
                        let mut kids: Vec<Option<u32>> = Vec::new();
                        if meta {
                            kids.push(None);
                        }
                        let mut c = first;
                        while let Some(ch) = c {
                            kids.push(Some(ch));
                            c = self.doc.next_sibling(ch);
                        }
                        let textish =
                            |s: &Self, k: &Option<u32>| k.is_some_and(|x| s.is_textish(x));
                        let raw = name.eq_ignore_ascii_case("script")
                            || name.eq_ignore_ascii_case("style");
                        let block = format && info.is_some_and(|x| !x.1) && !name.starts_with('p');
                        if block && kids.len() > 1 && !textish(self, &kids[0]) {
                            self.out.push('\n');
                        }
                        let n = kids.len();
                        for (k, kid) in kids.iter().enumerate() {
                            match kid {
                                None => {
                                    self.out
                                        .push_str("<meta http-equiv=\"Content-Type\" content=\"");
                                    let mc = self.meta_content.clone();
                                    self.attr_escaped(&mc);
                                    self.out.push_str("\">");
                                    if format
                                        && k + 1 < n
                                        && !textish(self, &kids[k + 1])
                                        && !name.starts_with('p')
                                    {
                                        self.out.push('\n');
                                    }
                                }
                                Some(ch) => {
                                    let ch = *ch;
                                    if raw && self.doc.kind(ch) == NodeKind::Text {
                                        let t = self.doc.text_of(ch).to_string();
                                        self.raw_text(&t);
                                    } else {
                                        self.html_node(ch, format);
                                    }
                                    self.chunk();
                                }
                            }
                        }
                        if block && n > 1 && !textish(self, &kids[n - 1]) {
                            self.out.push('\n');
                        }
                        self.out.push_str("</");
                        self.out.push_str(&name);
                        self.out.push('>');
                    }
                }
                if format
                    && info.is_some_and(|x| !x.1)
                    && let Some(nx) = self.doc.next_sibling(i)
                    && !self.is_textish(nx)
                    && parent != 0
                    && !self.name_starts_p(parent)
                {
                    self.out.push('\n');
                }
            }
            NodeKind::Text => {
                let t = self.doc.text_of(i).to_string();
                let flags = self.doc.ename(i);
                if flags & TEXT_NOESC != 0 {
                    self.raw_text(&t);
                } else {
                    self.text_escaped(&t);
                }
            }
            NodeKind::Comment => {
                self.out.push_str("<!--");
                let t = self.doc.text_of(i).to_string();
                self.raw_text(&t);
                self.out.push_str("-->");
            }
            NodeKind::PI => {
                self.out.push_str("<?");
                self.out.push_str(self.names.local_of(self.doc.ename(i)));
                let t = self.doc.text_of(i).to_string();
                if !t.is_empty() {
                    self.out.push(' ');
                    self.raw_text(&t);
                }
                self.out.push('>');
            }
            _ => {}
        }
    }

    fn html_foreign(&mut self, i: u32) {
        let was = self.html;
        self.html = false;
        self.xml_node(i, 0, false);
        self.html = was;
    }
}

/// libxml2's xmlURIEscapeStr with the list "@/:=?;#%&,+<>" kept unescaped.
fn uri_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let c = b as char;
        if c.is_ascii_alphanumeric() || "-_.!~*'()@/:=?;#%&,+<>".contains(c) {
            out.push(c);
        } else {
            out.push_str(&format!("%{:02X}", b));
        }
    }
    out
}

/// What libxml2's `htmlSetMetaEncoding` does to an HTML result.
pub enum MetaAction {
    Nothing,
    /// Insert a Content-Type META as the first child of this head element.
    Insert(u32),
    /// Rewrite the content of this META (its charset is not the output encoding).
    Rewrite(u32),
}

/// Finds html/head (or a META before it, from which libxml2 searches the siblings)
/// and decides what to do with the Content-Type META.
pub fn html_meta_target(doc: &Document, names: &Interner, encoding: &str) -> MetaAction {
    let is = |i: u32, n: &str| {
        doc.kind(i) == NodeKind::Element && names.local_of(doc.ename(i)).eq_ignore_ascii_case(n)
    };
    let mut parent = 0;
    for _ in 0..2 {
        let mut cur = doc.first_child(parent);
        let mut html = None;
        while let Some(c) = cur {
            if parent == 0 && is(c, "html") {
                html = Some(c);
                break;
            }
            if is(c, "head") {
                return meta_action(doc, names, doc.first_child(c), Some(c), encoding);
            }
            if is(c, "meta") {
                return meta_action(doc, names, Some(c), None, encoding);
            }
            cur = doc.next_sibling(c);
        }
        match html {
            Some(h) => parent = h,
            None => break,
        }
    }
    MetaAction::Nothing
}

fn meta_action(
    doc: &Document,
    names: &Interner,
    first: Option<u32>,
    head: Option<u32>,
    encoding: &str,
) -> MetaAction {
    match find_meta(doc, names, first) {
        None => head.map_or(MetaAction::Nothing, MetaAction::Insert),
        Some((m, content)) => {
            if content
                .to_ascii_lowercase()
                .contains(&encoding.to_ascii_lowercase())
            {
                MetaAction::Nothing
            } else {
                MetaAction::Rewrite(m)
            }
        }
    }
}

/// The first META from `first` on (siblings) with http-equiv="Content-Type" and a
/// content attribute, and that content.
fn find_meta(doc: &Document, names: &Interner, first: Option<u32>) -> Option<(u32, String)> {
    let mut cur = first;
    while let Some(c) = cur {
        if doc.kind(c) == NodeKind::Element
            && names.local_of(doc.ename(c)).eq_ignore_ascii_case("meta")
        {
            let mut http = false;
            let mut content = None;
            for k in doc.attr_range(c) {
                let a = &doc.attrs[k];
                let an = names.local_of(a.ename);
                let v = doc.attr_value(a);
                if an.eq_ignore_ascii_case("http-equiv") && v.eq_ignore_ascii_case("Content-Type") {
                    http = true;
                } else if an.eq_ignore_ascii_case("content") {
                    content = Some(v.to_string());
                }
                if http && content.is_some() {
                    break;
                }
            }
            if let (true, Some(content)) = (http, content) {
                return Some((c, content));
            }
        }
        cur = doc.next_sibling(c);
    }
    None
}

/// Serializes a finished result tree.
/// Serializes `doc`. With a writer the bytes go there in chunks and the returned vector
/// is empty; the count of bytes written is returned alongside.
pub fn serialize(
    doc: &Document,
    names: &Interner,
    spec: &OutputSpec,
    method: Method,
    sink: Option<&mut dyn std::io::Write>,
) -> Result<(Vec<u8>, usize), String> {
    let enc = enc_of(spec.encoding.as_deref())?;
    let mut s = Ser {
        out: String::new(),
        sink,
        written: 0,
        bom_done: false,
        write_err: None,
        names,
        doc,
        enc,
        html: method == Method::Html,
        meta_head: None,
        meta_content: String::new(),
        meta_fix: None,
    };
    if method == Method::Html {
        let encoding = spec.encoding.as_deref().unwrap_or("UTF-8");
        s.meta_content = format!("text/html; charset={encoding}");
        match html_meta_target(doc, names, encoding) {
            MetaAction::Insert(head) => s.meta_head = Some(head),
            MetaAction::Rewrite(meta) => s.meta_fix = Some(meta),
            MetaAction::Nothing => {}
        }
    }
    let has_children = doc.first_child(0).is_some();
    match method {
        Method::Text => {
            for n in &doc.nodes {
                if n.kind == NodeKind::Text {
                    let t = doc
                        .text
                        .get(n.a as usize..(n.a + n.b) as usize)
                        .unwrap_or("");
                    s.raw_text(t);
                }
            }
        }
        Method::Xml => {
            if !has_children {
                return Ok((Vec::new(), 0));
            }
            // libxslt formats only for indent="yes", but an unspecified indent (-1) still
            // takes its "if (indent)" newline branches.
            let indent = spec.indent == Some(true);
            let newlines = spec.indent != Some(false);
            if spec.omit_xml_declaration != Some(true) {
                s.out.push_str("<?xml version=\"");
                s.out.push_str(spec.version.as_deref().unwrap_or("1.0"));
                s.out.push('"');
                if let Some(e) = &spec.encoding {
                    s.out.push_str(" encoding=\"");
                    s.out.push_str(e);
                    s.out.push('"');
                }
                match spec.standalone {
                    Some(true) => s.out.push_str(" standalone=\"yes\""),
                    Some(false) => s.out.push_str(" standalone=\"no\""),
                    None => {}
                }
                s.out.push_str("?>\n");
            }
            if let Some(sys) = &spec.doctype_system
                && let Some(root) = doc.document_element()
            {
                let name = s.qname(doc.prefix(root), doc.ename(root));
                s.out.push_str("<!DOCTYPE ");
                s.out.push_str(&name);
                match &spec.doctype_public {
                    Some(p) => {
                        s.out.push_str(" PUBLIC \"");
                        s.out.push_str(p);
                        s.out.push_str("\" \"");
                        s.out.push_str(sys);
                        s.out.push('"');
                    }
                    None => {
                        s.out.push_str(" SYSTEM \"");
                        s.out.push_str(sys);
                        s.out.push('"');
                    }
                }
                s.out.push('>');
                if newlines {
                    s.out.push('\n');
                }
            }
            let mut c = doc.first_child(0);
            while let Some(ch) = c {
                s.xml_node(ch, 0, indent);
                let nx = doc.next_sibling(ch);
                if newlines && doc.kind(ch) == NodeKind::Comment && nx.is_some() {
                    s.out.push('\n');
                }
                c = nx;
            }
            if newlines {
                s.out.push('\n');
            }
        }
        Method::Html => {
            if !has_children {
                return Ok((Vec::new(), 0));
            }
            let indent = spec.indent.unwrap_or(true);
            if spec.doctype_public.is_some() || spec.doctype_system.is_some() {
                s.out.push_str("<!DOCTYPE html");
                if let Some(p) = &spec.doctype_public {
                    s.out.push_str(" PUBLIC \"");
                    s.out.push_str(p);
                    s.out.push('"');
                    if let Some(sys) = &spec.doctype_system {
                        s.out.push_str(" \"");
                        s.out.push_str(sys);
                        s.out.push('"');
                    }
                } else if let Some(sys) = &spec.doctype_system {
                    s.out.push_str(" SYSTEM \"");
                    s.out.push_str(sys);
                    s.out.push('"');
                }
                s.out.push_str(">\n");
            }
            let mut c = doc.first_child(0);
            while let Some(ch) = c {
                s.html_node(ch, indent);
                c = doc.next_sibling(ch);
            }
            s.out.push('\n');
        }
    }
    if s.sink.is_some() {
        s.flush_out();
        if let Some(e) = s.write_err {
            return Err(e);
        }
        return Ok((Vec::new(), s.written));
    }
    let bytes = encode(s.out, enc, true);
    let n = bytes.len();
    Ok((bytes, n))
}
