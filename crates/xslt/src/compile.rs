//! Stylesheet compilation: stylesheet XML -> templates and instruction trees.

use crate::Resolver;
use crate::error::XsltError;
use crate::numfmt::DecimalFormat;
use crate::pattern::{Pattern, parse_pattern};
use crate::tree::{Atom, Document, EName, Interner, NodeKind, XSLT_NS};
use crate::xmlparse::{ParseOptions, StripRule, parse_bytes};
use crate::xpath::{NsResolver, XPath, parse};
use std::collections::HashMap;
use std::sync::Arc;

pub const MSXSL_NS: &str = "urn:schemas-microsoft-com:xslt";
pub const EXSL_NS: &str = "http://exslt.org/common";
/// EXSLT functions: `func:function` declares an XPath function, `func:result` its value.
pub const FUNC_NS: &str = "http://exslt.org/functions";

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Loc {
    pub module: u32,
    pub line: u32,
    pub col: u32,
}

#[derive(Clone, Debug)]
pub enum AvtPart {
    Lit(Arc<str>),
    Expr(XPath),
}

/// Attribute value template.
#[derive(Clone, Debug)]
pub enum Avt {
    Static(Arc<str>),
    Parts(Vec<AvtPart>),
}

#[derive(Clone, Debug)]
pub enum VarValue {
    Select(XPath),
    Body(Body),
    Empty,
}

#[derive(Clone, Debug)]
pub struct VarDef {
    pub name: EName,
    pub display: Arc<str>,
    pub value: VarValue,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub struct Sort {
    pub select: XPath,
    pub data_type: Option<Avt>,
    pub order: Option<Avt>,
    pub case_order: Option<Avt>,
}

#[derive(Clone, Debug)]
pub struct Lre {
    pub name: EName,
    pub prefix: Atom,
    /// Namespace nodes declared on the stylesheet element (after aliasing/exclusion).
    pub ns_decls: Vec<(Atom, Atom)>,
    /// Whether this is a first-level element of a template (gets the template's inherited namespaces).
    pub top_level: bool,
    pub attrs: Vec<(EName, Atom, Avt)>,
    pub use_sets: Vec<EName>,
    pub body: Body,
}

#[derive(Clone, Debug)]
pub enum NumberLevel {
    Single,
    Multiple,
    Any,
}

#[derive(Clone, Debug)]
pub struct NumberInstr {
    pub level: NumberLevel,
    pub count: Option<Pattern>,
    pub from: Option<Pattern>,
    pub value: Option<XPath>,
    pub format: Avt,
    pub grouping_separator: Option<Avt>,
    pub grouping_size: Option<Avt>,
}

#[derive(Clone, Debug)]
pub enum Instr {
    Text(Arc<str>, bool),
    Lre(Box<Lre>),
    ValueOf(XPath, bool),
    ApplyTemplates {
        select: Option<XPath>,
        mode: Option<EName>,
        sorts: Vec<Sort>,
        params: Vec<VarDef>,
    },
    CallTemplate {
        name: EName,
        display: Arc<str>,
        params: Vec<VarDef>,
    },
    ApplyImports,
    ForEach {
        select: XPath,
        sorts: Vec<Sort>,
        body: Body,
    },
    If(XPath, Body),
    Choose(Vec<(XPath, Body)>, Option<Body>),
    Variable(Box<VarDef>),
    Element {
        name: Avt,
        namespace: Option<Avt>,
        ns_ctx: u32,
        use_sets: Vec<EName>,
        body: Body,
    },
    Attribute {
        name: Avt,
        namespace: Option<Avt>,
        ns_ctx: u32,
        body: Body,
    },
    Comment(Body),
    PI(Avt, Body),
    Copy(Vec<EName>, Body),
    CopyOf(XPath),
    Number(Box<NumberInstr>),
    Message(bool, Body),
    /// Unsupported/unknown extension or future instruction: run fallbacks, else fail.
    Unknown {
        name: Arc<str>,
        fallback: Option<Body>,
    },
    /// `func:result`: the value of the `func:function` being evaluated.
    FuncResult(VarValue),
}

pub type Body = Vec<(Instr, Loc)>;

#[derive(Clone, Debug)]
pub struct Template {
    pub pattern: Option<Pattern>,
    pub mode: Option<EName>,
    pub priority: Option<f64>,
    pub precedence: u32,
    /// Lowest precedence visible to xsl:apply-imports from this template.
    pub import_floor: u32,
    pub params: Vec<VarDef>,
    pub body: Body,
    pub desc: String,
    /// Namespace nodes inherited by first-level literal result elements.
    pub inherited_ns: Vec<(Atom, Atom)>,
}

#[derive(Clone, Debug)]
pub struct Global {
    pub def: VarDef,
    pub is_param: bool,
    pub precedence: u32,
}

#[derive(Clone, Debug)]
pub struct KeyDef {
    pub matches: Pattern,
    pub use_expr: XPath,
}

#[derive(Clone, Debug)]
pub struct AttrSet {
    pub use_sets: Vec<EName>,
    pub attrs: Body,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Xml,
    Html,
    Text,
}

#[derive(Clone, Debug, Default)]
pub struct OutputSpec {
    pub method: Option<Method>,
    pub version: Option<String>,
    pub encoding: Option<String>,
    pub omit_xml_declaration: Option<bool>,
    pub standalone: Option<bool>,
    pub doctype_public: Option<String>,
    pub doctype_system: Option<String>,
    pub cdata_section_elements: Vec<EName>,
    pub indent: Option<bool>,
    pub media_type: Option<String>,
}

#[derive(Clone, Debug)]
pub enum SpaceTest {
    Name(EName),
    Ns(Atom),
    Any,
}

#[derive(Clone, Debug)]
pub struct SpaceRule {
    pub test: SpaceTest,
    pub strip: bool,
    pub precedence: u32,
    pub order: usize,
}

#[derive(Clone, Debug)]
pub struct Module {
    pub uri: String,
    pub doc: Arc<Document>,
    /// The module's bytes: document('') parses them again as a source document
    /// (whitespace text kept unless xsl:strip-space says otherwise).
    pub source: Arc<[u8]>,
}

/// A compiled stylesheet, reusable for any number of transformations.
#[derive(Clone, Debug)]
pub struct Stylesheet {
    pub(crate) names: Interner,
    pub(crate) modules: Vec<Module>,
    pub(crate) templates: Vec<Template>,
    pub(crate) named: HashMap<EName, usize>,
    pub(crate) globals: Vec<Global>,
    pub(crate) global_index: HashMap<EName, usize>,
    pub(crate) keys: HashMap<EName, Vec<KeyDef>>,
    pub(crate) attribute_sets: HashMap<EName, Vec<AttrSet>>,
    pub(crate) decimal_formats: HashMap<EName, DecimalFormat>,
    pub(crate) output: OutputSpec,
    pub(crate) space_rules: Vec<SpaceRule>,
    pub(crate) ns_contexts: Vec<Vec<(Arc<str>, Arc<str>)>>,
    /// Namespaces whose functions come from msxsl:script blocks (not executable).
    pub(crate) script_namespaces: Vec<String>,
    /// `func:function` declarations: name → template holding params and body.
    pub(crate) functions: HashMap<EName, usize>,
}

/// The namespaces in scope at a stylesheet node, as prefix and URI text: what its XPath
/// expressions, patterns and QNames resolve their prefixes with. Owned, so the parser can add
/// names to the interner meanwhile (a copy of the whole interner per expression was most of
/// a stylesheet's compile time).
struct StaticNs {
    scope: Vec<(Box<str>, Box<str>)>,
}

impl StaticNs {
    fn new(names: &Interner, scope: &[(Atom, Atom)]) -> Self {
        StaticNs {
            scope: scope
                .iter()
                .map(|&(prefix, uri)| (names.str(prefix).into(), names.str(uri).into()))
                .collect(),
        }
    }
}

impl NsResolver for StaticNs {
    fn resolve(&self, prefix: &str) -> Option<String> {
        if prefix == "xml" {
            return Some(crate::tree::XML_NS.to_string());
        }
        self.scope
            .iter()
            .find(|(p, _)| **p == *prefix)
            .map(|(_, uri)| uri.to_string())
    }
}

struct XslStrip {
    xsl_text: EName,
}
impl StripRule for XslStrip {
    fn strip(&self, _: &Interner, e: EName) -> bool {
        e != self.xsl_text
    }
}

pub(crate) struct Compiler<'r> {
    pub names: Interner,
    functions: HashMap<EName, usize>,
    /// ID of the element of the principal module that is the stylesheet (a stylesheet
    /// embedded in the document it transforms); None: the document element.
    pub embedded_id: Option<String>,
    resolver: &'r dyn Resolver,
    modules: Vec<Module>,
    templates: Vec<Template>,
    named: HashMap<EName, usize>,
    globals: Vec<Global>,
    global_index: HashMap<EName, usize>,
    keys: HashMap<EName, Vec<KeyDef>>,
    attribute_sets: HashMap<EName, Vec<AttrSet>>,
    decimal_formats: HashMap<EName, (DecimalFormat, u32)>,
    output: OutputSpec,
    output_prec: HashMap<&'static str, u32>,
    space_rules: Vec<SpaceRule>,
    ns_contexts: Vec<Vec<(Arc<str>, Arc<str>)>>,
    ns_ctx_index: HashMap<(u32, u32), u32>,
    aliases: HashMap<Atom, (Atom, Atom, u32)>,
    script_namespaces: Vec<String>,
    precedence: u32,
    loading: Vec<String>,
    xsl: Atom,
    // Per-compilation state while compiling a template body.
    forwards_compatible: bool,
}

/// Context for compiling instructions inside one stylesheet element tree.
#[derive(Clone)]
struct ElemCtx {
    module: u32,
    excluded: Vec<Atom>,
    extension: Vec<Atom>,
    /// First-level of a template body.
    top: bool,
}

fn qname_split(q: &str) -> (&str, &str) {
    match q.split_once(':') {
        Some((p, l)) => (p, l),
        None => ("", q),
    }
}

pub(crate) fn is_ncname(s: &str) -> bool {
    let mut it = s.chars();
    match it.next() {
        Some(c) if c.is_alphabetic() || c == '_' => {}
        _ => return false,
    }
    it.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '\u{B7}'))
}

pub(crate) fn is_qname(s: &str) -> bool {
    match s.split_once(':') {
        Some((p, l)) => is_ncname(p) && is_ncname(l),
        None => is_ncname(s),
    }
}

impl<'r> Compiler<'r> {
    pub fn new(resolver: &'r dyn Resolver) -> Self {
        let mut names = Interner::new();
        let xsl = names.atom(XSLT_NS);
        Compiler {
            names,
            functions: HashMap::new(),
            embedded_id: None,
            resolver,
            modules: Vec::new(),
            templates: Vec::new(),
            named: HashMap::new(),
            globals: Vec::new(),
            global_index: HashMap::new(),
            keys: HashMap::new(),
            attribute_sets: HashMap::new(),
            decimal_formats: HashMap::new(),
            output: OutputSpec::default(),
            output_prec: HashMap::new(),
            space_rules: Vec::new(),
            ns_contexts: vec![Vec::new()],
            ns_ctx_index: HashMap::new(),
            aliases: HashMap::new(),
            script_namespaces: Vec::new(),
            precedence: 0,
            loading: Vec::new(),
            xsl,
            forwards_compatible: false,
        }
    }

    fn doc(&self, m: u32) -> Arc<Document> {
        self.modules[m as usize].doc.clone()
    }

    fn loc(&self, m: u32, node: u32) -> Loc {
        let (line, col) = self
            .modules
            .get(m as usize)
            .and_then(|md| md.doc.position(node))
            .unwrap_or((0, 0));
        Loc {
            module: m,
            line,
            col,
        }
    }

    fn err(&self, m: u32, node: u32, msg: impl Into<String>) -> XsltError {
        let loc = self.loc(m, node);
        let doc = self.doc(m);
        let instruction = if doc.kind(node) == NodeKind::Element {
            let p = self.names.str(doc.prefix(node));
            let l = self.names.local_of(doc.ename(node));
            if p.is_empty() {
                l.to_string()
            } else {
                format!("{p}:{l}")
            }
        } else {
            "stylesheet".to_string()
        };
        XsltError::Static {
            file: self.modules[m as usize].uri.clone(),
            line: loc.line,
            column: loc.col,
            instruction,
            message: msg.into(),
        }
    }

    fn is_xsl(&self, doc: &Document, n: u32, local: &str) -> bool {
        doc.kind(n) == NodeKind::Element && {
            let (ns, l) = self.names.ename_parts(doc.ename(n));
            ns == self.xsl && self.names.str(l) == local
        }
    }

    fn xsl_local(&self, doc: &Document, n: u32) -> Option<String> {
        if doc.kind(n) != NodeKind::Element {
            return None;
        }
        let (ns, l) = self.names.ename_parts(doc.ename(n));
        if ns == self.xsl {
            Some(self.names.str(l).to_string())
        } else {
            None
        }
    }

    fn attr(&mut self, doc: &Document, n: u32, name: &str) -> Option<String> {
        let e = self.names.ename_str("", name);
        doc.attr_by_name(n, e).map(|s| s.to_string())
    }

    fn xsl_attr(&mut self, doc: &Document, n: u32, name: &str) -> Option<String> {
        let e = self.names.ename_str(XSLT_NS, name);
        doc.attr_by_name(n, e).map(|s| s.to_string())
    }

    fn req_attr(
        &mut self,
        m: u32,
        doc: &Document,
        n: u32,
        name: &str,
    ) -> Result<String, XsltError> {
        self.attr(doc, n, name)
            .ok_or_else(|| self.err(m, n, format!("required attribute '{name}' is missing")))
    }

    fn ns_ctx(&mut self, m: u32, doc: &Document, n: u32) -> u32 {
        let scope_id = match doc.node(n) {
            Some(nd) if nd.kind == NodeKind::Element => nd.ns,
            _ => 0,
        };
        if let Some(id) = self.ns_ctx_index.get(&(m, scope_id)) {
            return *id;
        }
        let v: Vec<(Arc<str>, Arc<str>)> = doc
            .ns_scope(n)
            .iter()
            .map(|(p, u)| (Arc::from(self.names.str(*p)), Arc::from(self.names.str(*u))))
            .collect();
        let id = self.ns_contexts.len() as u32;
        self.ns_contexts.push(v);
        self.ns_ctx_index.insert((m, scope_id), id);
        id
    }

    fn xpath(
        &mut self,
        m: u32,
        doc: &Document,
        n: u32,
        text: &str,
        what: &str,
    ) -> Result<XPath, XsltError> {
        let ns = StaticNs::new(&self.names, doc.ns_scope(n));
        let res = parse(text, &mut self.names, &ns);
        match res {
            Ok(mut x) => {
                x.ns = self.ns_ctx(m, doc, n);
                Ok(x)
            }
            Err(e) => Err(self.err(
                m,
                n,
                format!(
                    "invalid XPath in {what}=\"{}\": {e}",
                    crate::error::excerpt(text)
                ),
            )),
        }
    }

    fn pattern(
        &mut self,
        m: u32,
        doc: &Document,
        n: u32,
        text: &str,
        what: &str,
    ) -> Result<Pattern, XsltError> {
        let ns = StaticNs::new(&self.names, doc.ns_scope(n));
        let mut p = parse_pattern(text, &mut self.names, &ns).map_err(|e| XsltError::Static {
            file: String::new(),
            line: 0,
            column: 0,
            instruction: String::new(),
            message: format!(
                "invalid pattern in {what}=\"{}\": {e}",
                crate::error::excerpt(text)
            ),
        });
        if let Err(XsltError::Static { message, .. }) = &p {
            return Err(self.err(m, n, message.clone()));
        }
        let ctx = self.ns_ctx(m, doc, n);
        if let Ok(p) = p.as_mut() {
            // Predicates and key()/id() anchors resolve QName strings in this context.
            p.ns = ctx;
        }
        p
    }

    fn avt(
        &mut self,
        m: u32,
        doc: &Document,
        n: u32,
        text: &str,
        what: &str,
    ) -> Result<Avt, XsltError> {
        if !text.contains(['{', '}']) {
            return Ok(Avt::Static(text.into()));
        }
        let mut parts = Vec::new();
        let mut lit = String::new();
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '{' {
                if chars.get(i + 1) == Some(&'{') {
                    lit.push('{');
                    i += 2;
                    continue;
                }
                // find matching '}' outside string literals
                let mut j = i + 1;
                let mut q: Option<char> = None;
                while j < chars.len() {
                    let d = chars[j];
                    match q {
                        Some(qc) if d == qc => q = None,
                        Some(_) => {}
                        None if d == '"' || d == '\'' => q = Some(d),
                        None if d == '}' => break,
                        None => {}
                    }
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(self.err(
                        m,
                        n,
                        format!("unterminated '{{' in attribute value template {what}=\"{text}\""),
                    ));
                }
                let expr: String = chars[i + 1..j].iter().collect();
                if !lit.is_empty() {
                    parts.push(AvtPart::Lit(std::mem::take(&mut lit).into()));
                }
                parts.push(AvtPart::Expr(self.xpath(m, doc, n, &expr, what)?));
                i = j + 1;
            } else if c == '}' {
                if chars.get(i + 1) == Some(&'}') {
                    lit.push('}');
                    i += 2;
                    continue;
                }
                return Err(self.err(
                    m,
                    n,
                    format!("unmatched '}}' in attribute value template {what}=\"{text}\""),
                ));
            } else {
                lit.push(c);
                i += 1;
            }
        }
        if !lit.is_empty() {
            parts.push(AvtPart::Lit(lit.into()));
        }
        Ok(Avt::Parts(parts))
    }

    fn qname_attr(
        &mut self,
        m: u32,
        doc: &Document,
        n: u32,
        q: &str,
        use_default: bool,
    ) -> Result<EName, XsltError> {
        let q = q.trim();
        if !is_qname(q) {
            return Err(self.err(m, n, format!("'{q}' is not a valid QName")));
        }
        let (p, l) = qname_split(q);
        let uri = if p.is_empty() {
            if use_default {
                let scope = doc.ns_scope(n).to_vec();
                scope
                    .iter()
                    .find(|(pp, _)| *pp == 0)
                    .map(|(_, u)| self.names.str(*u).to_string())
                    .unwrap_or_default()
            } else {
                String::new()
            }
        } else {
            match StaticNs::new(&self.names, doc.ns_scope(n)).resolve(p) {
                Some(u) => u,
                None => {
                    return Err(self.err(
                        m,
                        n,
                        format!("undefined namespace prefix '{p}' in '{q}'"),
                    ));
                }
            }
        };
        Ok(self.names.ename_str(&uri, l))
    }

    fn qname_list(
        &mut self,
        m: u32,
        doc: &Document,
        n: u32,
        v: &str,
    ) -> Result<Vec<EName>, XsltError> {
        let mut out = Vec::new();
        for q in v.split_whitespace() {
            out.push(self.qname_attr(m, doc, n, q, false)?);
        }
        Ok(out)
    }

    fn prefix_list_uris(
        &mut self,
        m: u32,
        doc: &Document,
        n: u32,
        v: &str,
    ) -> Result<Vec<Atom>, XsltError> {
        let mut out = Vec::new();
        let scope = doc.ns_scope(n).to_vec();
        for p in v.split_whitespace() {
            let key = if p == "#default" { "" } else { p };
            let pa = self.names.atom(key);
            match scope.iter().find(|(x, _)| *x == pa) {
                Some((_, u)) => out.push(*u),
                None => {
                    if p == "#default" {
                        continue;
                    }
                    return Err(self.err(m, n, format!("undefined namespace prefix '{p}'")));
                }
            }
        }
        Ok(out)
    }

    /// Loads and parses a stylesheet module.
    fn load_module(&mut self, uri: &str, bytes: &[u8]) -> Result<u32, XsltError> {
        let xsl_text = self.names.ename_str(XSLT_NS, "text");
        let strip = XslStrip { xsl_text };
        let opts = ParseOptions {
            base_uri: uri,
            strip: &strip,
            record_positions: true,
            honour_xml_space: true,
            resolver: Some(self.resolver),
        };
        let doc = parse_bytes(bytes, &mut self.names, &opts)?;
        let id = self.modules.len() as u32;
        self.modules.push(Module {
            uri: uri.to_string(),
            doc: Arc::new(doc),
            source: Arc::from(bytes),
        });
        Ok(id)
    }

    fn fetch(&mut self, m: u32, n: u32, href: &str) -> Result<(String, Vec<u8>), XsltError> {
        let base = self.modules[m as usize].uri.clone();
        let uri = crate::uri::resolve(href, &base);
        if self.loading.contains(&uri) {
            return Err(self.err(m, n, format!("recursive import/include of '{uri}'")));
        }
        let bytes = self
            .resolver
            .load(&crate::uri::percent_decode(&uri))
            .map_err(|e| self.err(m, n, format!("cannot load '{uri}': {e}")))?;
        Ok((uri, bytes))
    }

    /// Top-level entry: compile the principal stylesheet.
    pub fn compile_main(mut self, source: &[u8], base_uri: &str) -> Result<Stylesheet, XsltError> {
        let m = self.load_module(base_uri, source)?;
        self.loading.push(base_uri.to_string());
        self.process_module(m)?;
        self.finish()
    }

    /// Collects the top-level elements of module `m`, expanding xsl:include; returns
    /// (imports, declarations) as (module, node) pairs.
    #[allow(clippy::type_complexity)]
    fn collect(
        &mut self,
        m: u32,
        imports: &mut Vec<(u32, u32)>,
        decls: &mut Vec<(u32, u32)>,
    ) -> Result<(), XsltError> {
        let doc = self.doc(m);
        let root = match (&self.embedded_id, m) {
            (Some(id), 0) => match doc.element_by_id(id) {
                Some(e) => e,
                None => {
                    return Err(self.err(
                        m,
                        0,
                        format!("xml-stylesheet: no element with ID '{id}' (declare the id attribute as an ID in the DTD)"),
                    ));
                }
            },
            _ => match doc.document_element() {
                Some(e) => e,
                None => return Err(self.err(m, 0, "empty stylesheet")),
            },
        };
        let is_sheet =
            self.is_xsl(&doc, root, "stylesheet") || self.is_xsl(&doc, root, "transform");
        if !is_sheet {
            // Simplified syntax: literal result element as stylesheet.
            if self.xsl_attr(&doc, root, "version").is_none() {
                return Err(self.err(
                    m,
                    root,
                    "the document element is not xsl:stylesheet / xsl:transform and has no xsl:version (not a stylesheet)",
                ));
            }
            decls.push((m, root | 0x8000_0000));
            return Ok(());
        }
        let version = self.attr(&doc, root, "version");
        match version.as_deref() {
            None => return Err(self.err(m, root, "required attribute 'version' is missing")),
            Some(v) => {
                if v.trim() != "1.0" {
                    self.forwards_compatible = true;
                }
            }
        }
        let mut c = doc.first_child(root);
        let mut seen_non_import = false;
        while let Some(n) = c {
            c = doc.next_sibling(n);
            match doc.kind(n) {
                NodeKind::Element => {}
                // Whitespace kept by xml:space="preserve" on xsl:stylesheet is not content.
                NodeKind::Text
                    if doc
                        .text_of(n)
                        .chars()
                        .all(|c| matches!(c, ' ' | '\t' | '\n' | '\r')) =>
                {
                    continue;
                }
                NodeKind::Text => {
                    return Err(self.err(
                        m,
                        root,
                        "text is not allowed at the top level of a stylesheet",
                    ));
                }
                _ => continue,
            }
            match self.xsl_local(&doc, n).as_deref() {
                Some("import") => {
                    if seen_non_import {
                        return Err(self.err(
                            m,
                            n,
                            "xsl:import must come before all other top-level elements",
                        ));
                    }
                    imports.push((m, n));
                }
                Some("include") => {
                    seen_non_import = true;
                    let href = self.req_attr(m, &doc, n, "href")?;
                    let (uri, bytes) = self.fetch(m, n, &href)?;
                    let im = self.load_module(&uri, &bytes)?;
                    self.loading.push(uri);
                    self.collect(im, imports, decls)?;
                    self.loading.pop();
                }
                _ => {
                    seen_non_import = true;
                    decls.push((m, n));
                }
            }
        }
        Ok(())
    }

    fn process_module(&mut self, m: u32) -> Result<(), XsltError> {
        let mut imports = Vec::new();
        let mut decls = Vec::new();
        self.collect(m, &mut imports, &mut decls)?;
        let floor = self.precedence + 1;
        for (im, n) in imports {
            let doc = self.doc(im);
            let href = self.req_attr(im, &doc, n, "href")?;
            let (uri, bytes) = self.fetch(im, n, &href)?;
            let child = self.load_module(&uri, &bytes)?;
            self.loading.push(uri);
            self.process_module(child)?;
            self.loading.pop();
        }
        self.precedence += 1;
        let prec = self.precedence;
        // Namespace aliases and attribute sets first so LREs can use them.
        for &(dm, n) in &decls {
            if n & 0x8000_0000 != 0 {
                continue;
            }
            let doc = self.doc(dm);
            if self.is_xsl(&doc, n, "namespace-alias") {
                self.compile_alias(dm, &doc, n, prec)?;
            }
        }
        for (dm, n) in decls {
            self.compile_decl(dm, n, prec, floor)?;
        }
        Ok(())
    }

    fn compile_alias(
        &mut self,
        m: u32,
        doc: &Document,
        n: u32,
        prec: u32,
    ) -> Result<(), XsltError> {
        let sp = self.req_attr(m, doc, n, "stylesheet-prefix")?;
        let rp = self.req_attr(m, doc, n, "result-prefix")?;
        let scope = doc.ns_scope(n).to_vec();
        let find = |c: &mut Self, p: &str| -> Result<Atom, XsltError> {
            let key = if p == "#default" { "" } else { p };
            let pa = c.names.atom(key);
            match scope.iter().find(|(x, _)| *x == pa) {
                Some((_, u)) => Ok(*u),
                None if p == "#default" => Ok(0),
                None => Err(c.err(m, n, format!("undefined namespace prefix '{p}'"))),
            }
        };
        let s_uri = find(self, &sp)?;
        let r_uri = find(self, &rp)?;
        let r_prefix = if rp == "#default" {
            0
        } else {
            self.names.atom(&rp)
        };
        match self.aliases.get(&s_uri) {
            Some((_, _, p)) if *p > prec => {}
            _ => {
                self.aliases.insert(s_uri, (r_uri, r_prefix, prec));
            }
        }
        Ok(())
    }

    fn sheet_ctx(&mut self, m: u32, doc: &Document, n: u32) -> Result<ElemCtx, XsltError> {
        // exclude-result-prefixes / extension-element-prefixes from the xsl:stylesheet element
        let mut excluded = vec![self.xsl];
        let mut extension = Vec::new();
        let mut cur = Some(n);
        while let Some(e) = cur {
            if doc.kind(e) != NodeKind::Element {
                break;
            }
            let is_xsl_el = self.xsl_local(doc, e).is_some();
            let (ex, ext) = if is_xsl_el {
                (
                    self.attr(doc, e, "exclude-result-prefixes"),
                    self.attr(doc, e, "extension-element-prefixes"),
                )
            } else {
                (
                    self.xsl_attr(doc, e, "exclude-result-prefixes"),
                    self.xsl_attr(doc, e, "extension-element-prefixes"),
                )
            };
            if let Some(v) = ex {
                let mut u = self.prefix_list_uris(m, doc, e, &v)?;
                if v.split_whitespace().any(|p| p == "#default") {
                    let scope = doc.ns_scope(e);
                    if let Some((_, d)) = scope.iter().find(|(p, _)| *p == 0) {
                        u.push(*d);
                    }
                }
                excluded.extend(u);
            }
            if let Some(v) = ext {
                let u = self.prefix_list_uris(m, doc, e, &v)?;
                extension.extend(u.iter().copied());
                excluded.extend(u);
            }
            cur = doc.parent(e);
        }
        Ok(ElemCtx {
            module: m,
            excluded,
            extension,
            top: false,
        })
    }

    fn compile_decl(&mut self, m: u32, n: u32, prec: u32, floor: u32) -> Result<(), XsltError> {
        let doc = self.doc(m);
        if n & 0x8000_0000 != 0 {
            // Simplified stylesheet: the LRE is the body of a template matching "/".
            let root = n & 0x7fff_ffff;
            let mut ctx = self.sheet_ctx(m, &doc, root)?;
            ctx.top = true;
            let body = vec![self.compile_instr(&ctx, &doc, root)?];
            let pat = self.pattern(m, &doc, root, "/", "match")?;
            self.templates.push(Template {
                pattern: Some(pat),
                mode: None,
                priority: None,
                precedence: prec,
                import_floor: floor,
                params: vec![],
                body,
                desc: "template match=\"/\"".into(),
                inherited_ns: vec![],
            });
            return Ok(());
        }
        let Some(local) = self.xsl_local(&doc, n) else {
            // Top-level elements in other namespaces are ignored; in no namespace they are an error.
            let (ns, l) = self.names.ename_parts(doc.ename(n));
            if ns == 0 {
                return Err(self.err(
                    m,
                    n,
                    format!(
                        "top-level element '{}' must be in a namespace",
                        self.names.str(l)
                    ),
                ));
            }
            if self.names.str(ns) == FUNC_NS && self.names.str(l) == "function" {
                return self.compile_function(m, &doc, n, prec, floor);
            }
            // msxsl:script: remember its implements-prefix namespace to give a clear error later.
            if self.names.str(ns) == MSXSL_NS
                && self.names.str(l) == "script"
                && let Some(p) = self.attr(&doc, n, "implements-prefix")
            {
                let scope = doc.ns_scope(n).to_vec();
                let pa = self.names.atom(&p);
                if let Some((_, u)) = scope.iter().find(|(x, _)| *x == pa) {
                    self.script_namespaces.push(self.names.str(*u).to_string());
                }
            }
            return Ok(());
        };
        match local.as_str() {
            "template" => self.compile_template(m, &doc, n, prec, floor),
            "variable" | "param" => {
                let ctx = self.sheet_ctx(m, &doc, n)?;
                let def = self.compile_var(&ctx, &doc, n)?;
                let is_param = local == "param";
                match self.global_index.get(&def.name) {
                    Some(&i) => {
                        let existing = &self.globals[i];
                        if existing.precedence == prec {
                            return Err(self.err(
                                m,
                                n,
                                format!("duplicate global variable or parameter '{}'", def.display),
                            ));
                        }
                        if existing.precedence < prec {
                            self.globals[i] = Global {
                                def,
                                is_param,
                                precedence: prec,
                            };
                        }
                    }
                    None => {
                        self.global_index.insert(def.name, self.globals.len());
                        self.globals.push(Global {
                            def,
                            is_param,
                            precedence: prec,
                        });
                    }
                }
                Ok(())
            }
            "key" => {
                let name = self.req_attr(m, &doc, n, "name")?;
                let name = self.qname_attr(m, &doc, n, &name, false)?;
                let mt = self.req_attr(m, &doc, n, "match")?;
                let us = self.req_attr(m, &doc, n, "use")?;
                let matches = self.pattern(m, &doc, n, &mt, "match")?;
                let use_expr = self.xpath(m, &doc, n, &us, "use")?;
                self.keys
                    .entry(name)
                    .or_default()
                    .push(KeyDef { matches, use_expr });
                Ok(())
            }
            "output" => self.compile_output(m, &doc, n, prec),
            "strip-space" | "preserve-space" => {
                let els = self.req_attr(m, &doc, n, "elements")?;
                let strip = local == "strip-space";
                for t in els.split_whitespace() {
                    let test = if t == "*" {
                        SpaceTest::Any
                    } else if let Some(p) = t.strip_suffix(":*") {
                        let scope = doc.ns_scope(n).to_vec();
                        let pa = self.names.atom(p);
                        match scope.iter().find(|(x, _)| *x == pa) {
                            Some((_, u)) => SpaceTest::Ns(*u),
                            None => {
                                return Err(self.err(
                                    m,
                                    n,
                                    format!("undefined namespace prefix '{p}'"),
                                ));
                            }
                        }
                    } else {
                        SpaceTest::Name(self.qname_attr(m, &doc, n, t, false)?)
                    };
                    let order = self.space_rules.len();
                    self.space_rules.push(SpaceRule {
                        test,
                        strip,
                        precedence: prec,
                        order,
                    });
                }
                Ok(())
            }
            "decimal-format" => {
                let name = match self.attr(&doc, n, "name") {
                    Some(q) => self.qname_attr(m, &doc, n, &q, false)?,
                    None => u32::MAX,
                };
                let mut df = DecimalFormat::default();
                let ch = |c: &mut Self, a: &str, d: char| -> Result<char, XsltError> {
                    match c.attr(&doc, n, a) {
                        None => Ok(d),
                        Some(v) => {
                            let mut it = v.chars();
                            match (it.next(), it.next()) {
                                (Some(x), None) => Ok(x),
                                _ => Err(c.err(
                                    m,
                                    n,
                                    format!("attribute '{a}' must be a single character"),
                                )),
                            }
                        }
                    }
                };
                df.decimal_separator = ch(self, "decimal-separator", df.decimal_separator)?;
                df.grouping_separator = ch(self, "grouping-separator", df.grouping_separator)?;
                df.minus_sign = ch(self, "minus-sign", df.minus_sign)?;
                df.percent = ch(self, "percent", df.percent)?;
                df.per_mille = ch(self, "per-mille", df.per_mille)?;
                df.zero_digit = ch(self, "zero-digit", df.zero_digit)?;
                df.digit = ch(self, "digit", df.digit)?;
                df.pattern_separator = ch(self, "pattern-separator", df.pattern_separator)?;
                if let Some(v) = self.attr(&doc, n, "infinity") {
                    df.infinity = v;
                }
                if let Some(v) = self.attr(&doc, n, "NaN") {
                    df.nan = v;
                }
                if let Some((old, p)) = self.decimal_formats.get(&name) {
                    if *p == prec && *old != df {
                        return Err(self.err(m, n, "conflicting xsl:decimal-format declarations"));
                    }
                    if *p > prec {
                        return Ok(());
                    }
                }
                self.decimal_formats.insert(name, (df, prec));
                Ok(())
            }
            "namespace-alias" => Ok(()),
            "attribute-set" => {
                let name = self.req_attr(m, &doc, n, "name")?;
                let name = self.qname_attr(m, &doc, n, &name, false)?;
                let use_sets = match self.attr(&doc, n, "use-attribute-sets") {
                    Some(v) => self.qname_list(m, &doc, n, &v)?,
                    None => vec![],
                };
                let ctx = self.sheet_ctx(m, &doc, n)?;
                let mut attrs = Vec::new();
                let mut c = doc.first_child(n);
                while let Some(ch) = c {
                    c = doc.next_sibling(ch);
                    if doc.kind(ch) != NodeKind::Element {
                        continue;
                    }
                    if !self.is_xsl(&doc, ch, "attribute") {
                        return Err(self.err(
                            m,
                            ch,
                            "xsl:attribute-set may only contain xsl:attribute",
                        ));
                    }
                    attrs.push(self.compile_instr(&ctx, &doc, ch)?);
                }
                self.attribute_sets
                    .entry(name)
                    .or_default()
                    .push(AttrSet { use_sets, attrs });
                Ok(())
            }
            "import" => Err(self.err(
                m,
                n,
                "xsl:import must come before all other top-level elements",
            )),
            other => {
                if self.forwards_compatible {
                    Ok(())
                } else {
                    Err(self.err(m, n, format!("unknown top-level XSLT element xsl:{other}")))
                }
            }
        }
    }

    fn compile_output(
        &mut self,
        m: u32,
        doc: &Document,
        n: u32,
        prec: u32,
    ) -> Result<(), XsltError> {
        macro_rules! set {
            ($key:literal, $field:ident, $val:expr) => {{
                let p = self.output_prec.get($key).copied().unwrap_or(0);
                if prec >= p {
                    self.output.$field = $val;
                    self.output_prec.insert($key, prec);
                }
            }};
        }
        if let Some(v) = self.attr(doc, n, "method") {
            let mt = match v.trim() {
                "xml" => Method::Xml,
                "html" => Method::Html,
                "text" => Method::Text,
                other => {
                    if other.contains(':') {
                        // QName methods are implementation-defined; libxslt treats unknown as xml.
                        Method::Xml
                    } else {
                        return Err(self.err(m, n, format!("unknown output method '{other}'")));
                    }
                }
            };
            set!("method", method, Some(mt));
        }
        let yes_no = |c: &mut Self, a: &str| -> Result<Option<bool>, XsltError> {
            match c.attr(doc, n, a) {
                None => Ok(None),
                Some(v) => match v.trim() {
                    "yes" => Ok(Some(true)),
                    "no" => Ok(Some(false)),
                    o => Err(c.err(
                        m,
                        n,
                        format!("attribute '{a}' must be yes or no, not '{o}'"),
                    )),
                },
            }
        };
        if let Some(v) = self.attr(doc, n, "version") {
            set!("version", version, Some(v));
        }
        if let Some(v) = self.attr(doc, n, "encoding") {
            set!("encoding", encoding, Some(v));
        }
        if let Some(v) = yes_no(self, "omit-xml-declaration")? {
            set!("omit", omit_xml_declaration, Some(v));
        }
        if let Some(v) = yes_no(self, "standalone")? {
            set!("standalone", standalone, Some(v));
        }
        if let Some(v) = yes_no(self, "indent")? {
            set!("indent", indent, Some(v));
        }
        if let Some(v) = self.attr(doc, n, "doctype-public") {
            set!("dp", doctype_public, Some(v));
        }
        if let Some(v) = self.attr(doc, n, "doctype-system") {
            set!("ds", doctype_system, Some(v));
        }
        if let Some(v) = self.attr(doc, n, "media-type") {
            set!("mt", media_type, Some(v));
        }
        if let Some(v) = self.attr(doc, n, "cdata-section-elements") {
            for q in v.split_whitespace() {
                let e = self.qname_attr(m, doc, n, q, true)?;
                self.output.cdata_section_elements.push(e);
            }
        }
        Ok(())
    }

    /// `func:function name="prefix:local"`: params and a body like a named template's,
    /// called from XPath; the highest import precedence wins.
    fn compile_function(
        &mut self,
        m: u32,
        doc: &Document,
        n: u32,
        prec: u32,
        floor: u32,
    ) -> Result<(), XsltError> {
        let q = self.req_attr(m, doc, n, "name")?;
        if !q.contains(':') {
            return Err(self.err(
                m,
                n,
                format!("func:function name '{q}' must have a namespace prefix"),
            ));
        }
        let name = self.qname_attr(m, doc, n, &q, false)?;
        let mut ctx = self.sheet_ctx(m, doc, n)?;
        ctx.top = true;
        let (params, body) = self.compile_body_with_params(&ctx, doc, n)?;
        if let Some(&o) = self.functions.get(&name) {
            if self.templates[o].precedence == prec {
                return Err(self.err(m, n, format!("func:function '{q}' is declared twice")));
            }
            if self.templates[o].precedence > prec {
                return Ok(());
            }
        }
        self.functions.insert(name, self.templates.len());
        self.templates.push(Template {
            pattern: None,
            mode: None,
            priority: None,
            precedence: prec,
            import_floor: floor,
            params,
            body,
            desc: format!("func:function name=\"{q}\""),
            inherited_ns: vec![],
        });
        Ok(())
    }

    fn compile_template(
        &mut self,
        m: u32,
        doc: &Document,
        n: u32,
        prec: u32,
        floor: u32,
    ) -> Result<(), XsltError> {
        let mt = self.attr(doc, n, "match");
        let nm = self.attr(doc, n, "name");
        if mt.is_none() && nm.is_none() {
            return Err(self.err(m, n, "xsl:template needs a match or a name attribute"));
        }
        let pattern = match &mt {
            Some(p) => Some(self.pattern(m, doc, n, p, "match")?),
            None => None,
        };
        let name = match &nm {
            Some(q) => Some(self.qname_attr(m, doc, n, q, false)?),
            None => None,
        };
        let mode = match self.attr(doc, n, "mode") {
            Some(q) => {
                if mt.is_none() {
                    return Err(self.err(
                        m,
                        n,
                        "xsl:template with a mode must have a match attribute",
                    ));
                }
                Some(self.qname_attr(m, doc, n, &q, false)?)
            }
            None => None,
        };
        let priority = match self.attr(doc, n, "priority") {
            Some(p) => {
                let v = crate::numfmt::string_to_num(&p);
                if v.is_nan() {
                    return Err(self.err(m, n, format!("invalid priority '{p}'")));
                }
                Some(v)
            }
            None => None,
        };
        let mut ctx = self.sheet_ctx(m, doc, n)?;
        // Namespaces inherited by first-level literal result elements (libxslt behaviour).
        let inherited: Vec<(Atom, Atom)> = doc
            .ns_scope(n)
            .iter()
            .filter(|(_, u)| !ctx.excluded.contains(u))
            .filter(|(p, _)| *p != 1)
            .copied()
            .collect();
        let inherited = inherited
            .into_iter()
            .filter_map(|(p, u)| match self.aliases.get(&u) {
                Some((ru, _, _)) if *ru == 0 => None,
                Some((ru, _, _)) => Some((p, *ru)),
                None => Some((p, u)),
            })
            .collect::<Vec<_>>();
        ctx.top = true;
        let (params, body) = self.compile_body_with_params(&ctx, doc, n)?;
        let desc = match (&mt, &nm) {
            (Some(p), Some(q)) => format!("template match=\"{p}\" name=\"{q}\""),
            (Some(p), None) => format!("template match=\"{p}\""),
            (None, Some(q)) => format!("template name=\"{q}\""),
            _ => "template".into(),
        };
        let idx = self.templates.len();
        if let Some(nm_e) = name {
            match self.named.get(&nm_e) {
                Some(&o) if self.templates[o].precedence == prec => {
                    return Err(self.err(
                        m,
                        n,
                        format!("duplicate named template '{}'", nm.unwrap_or_default()),
                    ));
                }
                Some(&o) if self.templates[o].precedence > prec => {}
                _ => {
                    self.named.insert(nm_e, idx);
                }
            }
        }
        self.templates.push(Template {
            pattern,
            mode,
            priority,
            precedence: prec,
            import_floor: floor,
            params,
            body,
            desc,
            inherited_ns: inherited,
        });
        Ok(())
    }

    fn compile_body_with_params(
        &mut self,
        ctx: &ElemCtx,
        doc: &Document,
        n: u32,
    ) -> Result<(Vec<VarDef>, Body), XsltError> {
        let mut params = Vec::new();
        let mut body = Vec::new();
        let mut c = doc.first_child(n);
        let mut seen_other = false;
        while let Some(ch) = c {
            c = doc.next_sibling(ch);
            if self.is_xsl(doc, ch, "param") {
                if seen_other {
                    return Err(self.err(
                        ctx.module,
                        ch,
                        "xsl:param must come before other content of the template",
                    ));
                }
                let d = self.compile_var(ctx, doc, ch)?;
                if params.iter().any(|p: &VarDef| p.name == d.name) {
                    return Err(self.err(
                        ctx.module,
                        ch,
                        format!("duplicate parameter '{}'", d.display),
                    ));
                }
                params.push(d);
                continue;
            }
            match doc.kind(ch) {
                NodeKind::Comment | NodeKind::PI => continue,
                _ => {}
            }
            seen_other = true;
            body.push(self.compile_instr(ctx, doc, ch)?);
        }
        Ok((params, body))
    }

    fn compile_body(&mut self, ctx: &ElemCtx, doc: &Document, n: u32) -> Result<Body, XsltError> {
        let mut body = Vec::new();
        let mut c = doc.first_child(n);
        while let Some(ch) = c {
            c = doc.next_sibling(ch);
            match doc.kind(ch) {
                NodeKind::Comment | NodeKind::PI => continue,
                _ => {}
            }
            if self.is_xsl(doc, ch, "param") {
                return Err(self.err(
                    ctx.module,
                    ch,
                    "xsl:param is only allowed at the top level or at the start of xsl:template",
                ));
            }
            if self.is_xsl(doc, ch, "fallback") {
                // xsl:fallback inside a known instruction is ignored.
                continue;
            }
            body.push(self.compile_instr(ctx, doc, ch)?);
        }
        Ok(body)
    }

    fn compile_var(&mut self, ctx: &ElemCtx, doc: &Document, n: u32) -> Result<VarDef, XsltError> {
        let m = ctx.module;
        let q = self.req_attr(m, doc, n, "name")?;
        let name = self.qname_attr(m, doc, n, &q, false)?;
        let value = self.var_value(ctx, doc, n, &format!("variable '{q}'"))?;
        Ok(VarDef {
            name,
            display: q.into(),
            value,
            loc: self.loc(m, n),
        })
    }

    /// The value of a variable-like element: its select attribute or its content.
    fn var_value(
        &mut self,
        ctx: &ElemCtx,
        doc: &Document,
        n: u32,
        what: &str,
    ) -> Result<VarValue, XsltError> {
        let m = ctx.module;
        Ok(match self.attr(doc, n, "select") {
            Some(s) => {
                if doc.first_child(n).is_some() {
                    return Err(self.err(
                        m,
                        n,
                        format!("{what} has both a select attribute and content"),
                    ));
                }
                VarValue::Select(self.xpath(m, doc, n, &s, "select")?)
            }
            None => {
                if doc.first_child(n).is_some() {
                    let mut c2 = ctx.clone();
                    c2.top = false;
                    VarValue::Body(self.compile_body(&c2, doc, n)?)
                } else {
                    VarValue::Empty
                }
            }
        })
    }

    fn compile_sorts_and_rest(
        &mut self,
        ctx: &ElemCtx,
        doc: &Document,
        n: u32,
        allow_params: bool,
    ) -> Result<(Vec<Sort>, Vec<VarDef>, Body), XsltError> {
        let m = ctx.module;
        let mut sorts = Vec::new();
        let mut params = Vec::new();
        let mut body = Vec::new();
        let mut c = doc.first_child(n);
        let mut seen_body = false;
        while let Some(ch) = c {
            c = doc.next_sibling(ch);
            match doc.kind(ch) {
                NodeKind::Comment | NodeKind::PI => continue,
                _ => {}
            }
            if self.is_xsl(doc, ch, "sort") {
                if seen_body {
                    return Err(self.err(m, ch, "xsl:sort must come first"));
                }
                let sel = self.attr(doc, ch, "select").unwrap_or_else(|| ".".into());
                let select = self.xpath(m, doc, ch, &sel, "select")?;
                let opt = |c: &mut Self, a: &str| -> Result<Option<Avt>, XsltError> {
                    match c.attr(doc, ch, a) {
                        Some(v) => Ok(Some(c.avt(m, doc, ch, &v, a)?)),
                        None => Ok(None),
                    }
                };
                // lang is validated but collation is by code point (libxslt without locale support).
                opt(self, "lang")?;
                let data_type = opt(self, "data-type")?;
                let order = opt(self, "order")?;
                let case_order = opt(self, "case-order")?;
                sorts.push(Sort {
                    select,
                    data_type,
                    order,
                    case_order,
                });
                continue;
            }
            if allow_params {
                if self.is_xsl(doc, ch, "with-param") {
                    let d = self.compile_var(ctx, doc, ch)?;
                    params.push(d);
                    continue;
                }
                if doc.kind(ch) == NodeKind::Element {
                    return Err(self.err(
                        m,
                        ch,
                        "only xsl:sort and xsl:with-param are allowed in xsl:apply-templates",
                    ));
                }
                continue;
            }
            if self.is_xsl(doc, ch, "fallback") {
                continue;
            }
            seen_body = true;
            body.push(self.compile_instr(ctx, doc, ch)?);
        }
        Ok((sorts, params, body))
    }

    fn compile_instr(
        &mut self,
        ctx: &ElemCtx,
        doc: &Document,
        n: u32,
    ) -> Result<(Instr, Loc), XsltError> {
        let m = ctx.module;
        let loc = self.loc(m, n);
        match doc.kind(n) {
            NodeKind::Text => {
                return Ok((Instr::Text(doc.text_of(n).into(), false), loc));
            }
            NodeKind::Element => {}
            _ => return Ok((Instr::Text("".into(), false), loc)),
        }
        let Some(local) = self.xsl_local(doc, n) else {
            let (ns, l) = self.names.ename_parts(doc.ename(n));
            if self.names.str(ns) == FUNC_NS && self.names.str(l) == "result" {
                let value = self.var_value(ctx, doc, n, "func:result")?;
                return Ok((Instr::FuncResult(value), loc));
            }
            if ctx.extension.contains(&ns) {
                return self.compile_unknown(ctx, doc, n, loc);
            }
            return self.compile_lre(ctx, doc, n, loc);
        };
        let mut inner = ctx.clone();
        inner.top = false;
        let ctx = &inner;
        let instr = match local.as_str() {
            "value-of" => {
                let s = self.req_attr(m, doc, n, "select")?;
                let doe = self.attr(doc, n, "disable-output-escaping").as_deref() == Some("yes");
                Instr::ValueOf(self.xpath(m, doc, n, &s, "select")?, doe)
            }
            "text" => {
                let doe = self.attr(doc, n, "disable-output-escaping").as_deref() == Some("yes");
                let mut s = String::new();
                let mut c = doc.first_child(n);
                while let Some(ch) = c {
                    c = doc.next_sibling(ch);
                    match doc.kind(ch) {
                        NodeKind::Text => s.push_str(doc.text_of(ch)),
                        NodeKind::Element => {
                            return Err(self.err(m, ch, "xsl:text may only contain text"));
                        }
                        _ => {}
                    }
                }
                Instr::Text(s.into(), doe)
            }
            "apply-templates" => {
                let select = match self.attr(doc, n, "select") {
                    Some(s) => Some(self.xpath(m, doc, n, &s, "select")?),
                    None => None,
                };
                let mode = match self.attr(doc, n, "mode") {
                    Some(q) => Some(self.qname_attr(m, doc, n, &q, false)?),
                    None => None,
                };
                let (sorts, params, _) = self.compile_sorts_and_rest(ctx, doc, n, true)?;
                Instr::ApplyTemplates {
                    select,
                    mode,
                    sorts,
                    params,
                }
            }
            "call-template" => {
                let q = self.req_attr(m, doc, n, "name")?;
                let name = self.qname_attr(m, doc, n, &q, false)?;
                let (_, params, _) = self.compile_sorts_and_rest(ctx, doc, n, true)?;
                Instr::CallTemplate {
                    name,
                    display: q.into(),
                    params,
                }
            }
            "apply-imports" => Instr::ApplyImports,
            "for-each" => {
                let s = self.req_attr(m, doc, n, "select")?;
                let select = self.xpath(m, doc, n, &s, "select")?;
                let (sorts, _, body) = self.compile_sorts_and_rest(ctx, doc, n, false)?;
                Instr::ForEach {
                    select,
                    sorts,
                    body,
                }
            }
            "if" => {
                let t = self.req_attr(m, doc, n, "test")?;
                let test = self.xpath(m, doc, n, &t, "test")?;
                Instr::If(test, self.compile_body(ctx, doc, n)?)
            }
            "choose" => {
                let mut whens = Vec::new();
                let mut otherwise = None;
                let mut c = doc.first_child(n);
                while let Some(ch) = c {
                    c = doc.next_sibling(ch);
                    match doc.kind(ch) {
                        NodeKind::Element => {}
                        NodeKind::Text => {
                            return Err(self.err(
                                m,
                                n,
                                "text is not allowed directly in xsl:choose",
                            ));
                        }
                        _ => continue,
                    }
                    if self.is_xsl(doc, ch, "when") {
                        if otherwise.is_some() {
                            return Err(self.err(m, ch, "xsl:when after xsl:otherwise"));
                        }
                        let t = self.req_attr(m, doc, ch, "test")?;
                        let test = self.xpath(m, doc, ch, &t, "test")?;
                        whens.push((test, self.compile_body(ctx, doc, ch)?));
                    } else if self.is_xsl(doc, ch, "otherwise") {
                        if otherwise.is_some() {
                            return Err(self.err(m, ch, "more than one xsl:otherwise"));
                        }
                        otherwise = Some(self.compile_body(ctx, doc, ch)?);
                    } else {
                        return Err(self.err(
                            m,
                            ch,
                            "only xsl:when and xsl:otherwise are allowed in xsl:choose",
                        ));
                    }
                }
                if whens.is_empty() {
                    return Err(self.err(m, n, "xsl:choose must contain at least one xsl:when"));
                }
                Instr::Choose(whens, otherwise)
            }
            "variable" => Instr::Variable(Box::new(self.compile_var(ctx, doc, n)?)),
            "element" => {
                let nm = self.req_attr(m, doc, n, "name")?;
                let name = self.avt(m, doc, n, &nm, "name")?;
                let namespace = match self.attr(doc, n, "namespace") {
                    Some(v) => Some(self.avt(m, doc, n, &v, "namespace")?),
                    None => None,
                };
                if let (Avt::Static(s), None) = (&name, &namespace) {
                    self.check_static_qname(m, doc, n, s)?;
                }
                let use_sets = match self.attr(doc, n, "use-attribute-sets") {
                    Some(v) => self.qname_list(m, doc, n, &v)?,
                    None => vec![],
                };
                Instr::Element {
                    name,
                    namespace,
                    ns_ctx: self.ns_ctx(m, doc, n),
                    use_sets,
                    body: self.compile_body(ctx, doc, n)?,
                }
            }
            "attribute" => {
                let nm = self.req_attr(m, doc, n, "name")?;
                let name = self.avt(m, doc, n, &nm, "name")?;
                let namespace = match self.attr(doc, n, "namespace") {
                    Some(v) => Some(self.avt(m, doc, n, &v, "namespace")?),
                    None => None,
                };
                if let (Avt::Static(s), None) = (&name, &namespace) {
                    self.check_static_qname(m, doc, n, s)?;
                }
                Instr::Attribute {
                    name,
                    namespace,
                    ns_ctx: self.ns_ctx(m, doc, n),
                    body: self.compile_body(ctx, doc, n)?,
                }
            }
            "comment" => Instr::Comment(self.compile_body(ctx, doc, n)?),
            "processing-instruction" => {
                let nm = self.req_attr(m, doc, n, "name")?;
                Instr::PI(
                    self.avt(m, doc, n, &nm, "name")?,
                    self.compile_body(ctx, doc, n)?,
                )
            }
            "copy" => {
                let use_sets = match self.attr(doc, n, "use-attribute-sets") {
                    Some(v) => self.qname_list(m, doc, n, &v)?,
                    None => vec![],
                };
                Instr::Copy(use_sets, self.compile_body(ctx, doc, n)?)
            }
            "copy-of" => {
                let s = self.req_attr(m, doc, n, "select")?;
                Instr::CopyOf(self.xpath(m, doc, n, &s, "select")?)
            }
            "number" => self.compile_number(m, doc, n)?,
            "message" => {
                let t = self.attr(doc, n, "terminate");
                let terminate = match t.as_deref().map(str::trim) {
                    None | Some("no") => false,
                    Some("yes") => true,
                    Some(o) => {
                        return Err(self.err(
                            m,
                            n,
                            format!("terminate must be yes or no, not '{o}'"),
                        ));
                    }
                };
                Instr::Message(terminate, self.compile_body(ctx, doc, n)?)
            }
            "fallback" => Instr::Text("".into(), false),
            "param" => return Err(self.err(m, n, "xsl:param is not allowed here")),
            "sort" => {
                return Err(self.err(
                    m,
                    n,
                    "xsl:sort is only allowed in xsl:apply-templates and xsl:for-each",
                ));
            }
            "with-param" => {
                return Err(self.err(
                    m,
                    n,
                    "xsl:with-param is only allowed in xsl:apply-templates and xsl:call-template",
                ));
            }
            "when" | "otherwise" => {
                return Err(self.err(m, n, format!("xsl:{local} is only allowed in xsl:choose")));
            }
            "template" | "stylesheet" | "transform" | "import" | "include" | "key" | "output"
            | "strip-space" | "preserve-space" | "decimal-format" | "namespace-alias"
            | "attribute-set" => {
                return Err(self.err(
                    m,
                    n,
                    format!("xsl:{local} is only allowed at the top level"),
                ));
            }
            _ => {
                if self.forwards_compatible {
                    return self.compile_unknown(ctx, doc, n, loc);
                }
                return Err(self.err(m, n, format!("unknown XSLT instruction xsl:{local}")));
            }
        };
        Ok((instr, loc))
    }

    fn check_static_qname(
        &mut self,
        m: u32,
        doc: &Document,
        n: u32,
        s: &str,
    ) -> Result<(), XsltError> {
        let s = s.trim();
        if !is_qname(s) {
            return Err(self.err(m, n, format!("'{s}' is not a valid QName")));
        }
        if let Some((p, _)) = s.split_once(':')
            && p != "xml"
            && p != "xmlns"
        {
            let scope = doc.ns_scope(n).to_vec();
            let pa = self.names.atom(p);
            if !scope.iter().any(|(x, _)| *x == pa) {
                return Err(self.err(m, n, format!("undefined namespace prefix '{p}'")));
            }
        }
        Ok(())
    }

    fn compile_unknown(
        &mut self,
        ctx: &ElemCtx,
        doc: &Document,
        n: u32,
        loc: Loc,
    ) -> Result<(Instr, Loc), XsltError> {
        let mut fb: Option<Body> = None;
        let mut c = doc.first_child(n);
        while let Some(ch) = c {
            c = doc.next_sibling(ch);
            if self.is_xsl(doc, ch, "fallback") {
                let b = self.compile_body(ctx, doc, ch)?;
                fb.get_or_insert_with(Vec::new).extend(b);
            }
        }
        let p = self.names.str(doc.prefix(n)).to_string();
        let l = self.names.local_of(doc.ename(n)).to_string();
        let name = if p.is_empty() { l } else { format!("{p}:{l}") };
        Ok((
            Instr::Unknown {
                name: name.into(),
                fallback: fb,
            },
            loc,
        ))
    }

    fn compile_lre(
        &mut self,
        ctx: &ElemCtx,
        doc: &Document,
        n: u32,
        loc: Loc,
    ) -> Result<(Instr, Loc), XsltError> {
        let m = ctx.module;
        let mut ctx2 = ctx.clone();
        let is_top = ctx.top;
        ctx2.top = false;
        // LRE-level xsl:exclude-result-prefixes / xsl:extension-element-prefixes.
        if let Some(v) = self.xsl_attr(doc, n, "exclude-result-prefixes") {
            let mut u = self.prefix_list_uris(m, doc, n, &v)?;
            if v.split_whitespace().any(|p| p == "#default")
                && let Some((_, d)) = doc.ns_scope(n).iter().find(|(p, _)| *p == 0)
            {
                u.push(*d);
            }
            ctx2.excluded.extend(u);
        }
        if let Some(v) = self.xsl_attr(doc, n, "extension-element-prefixes") {
            let u = self.prefix_list_uris(m, doc, n, &v)?;
            ctx2.extension.extend(u.iter().copied());
            ctx2.excluded.extend(u);
        }
        let (ns, local) = self.names.ename_parts(doc.ename(n));
        // libxslt keeps the stylesheet prefix and only swaps the namespace URI of aliases.
        let prefix = doc.prefix(n);
        let mut ens = ns;
        if let Some((ru, _, _)) = self.aliases.get(&ns) {
            ens = *ru;
        }
        let name = self.names.ename(ens, local);
        let mut ns_decls = Vec::new();
        // The element's own xsl:exclude-result-prefixes applies to its descendants only
        // (libxslt behaviour).
        for (p, u) in doc.ns_declared(n) {
            if ctx.excluded.contains(&u) {
                continue;
            }
            match self.aliases.get(&u) {
                Some((ru, _, _)) => {
                    if *ru != 0 {
                        ns_decls.push((p, *ru));
                    }
                }
                None => ns_decls.push((p, u)),
            }
        }
        let mut attrs = Vec::new();
        let mut use_sets = Vec::new();
        let xsl = self.xsl;
        for k in doc.attr_range(n) {
            let a = &doc.attrs[k];
            let (ans, al) = self.names.ename_parts(a.ename);
            if ans == xsl {
                if self.names.str(al) == "use-attribute-sets" {
                    let v = doc.attr_value(a).to_string();
                    use_sets = self.qname_list(m, doc, n, &v)?;
                }
                continue;
            }
            let v = doc.attr_value(a).to_string();
            let avt = self.avt(m, doc, n, &v, self.names.str(al).to_string().as_str())?;
            let (mut ans2, ap) = (ans, a.prefix);
            if let Some((ru, _, _)) = self.aliases.get(&ans) {
                ans2 = *ru;
            }
            attrs.push((self.names.ename(ans2, al), ap, avt));
        }
        let body = self.compile_body(&ctx2, doc, n)?;
        Ok((
            Instr::Lre(Box::new(Lre {
                name,
                prefix,
                ns_decls,
                top_level: is_top,
                attrs,
                use_sets,
                body,
            })),
            loc,
        ))
    }

    fn compile_number(&mut self, m: u32, doc: &Document, n: u32) -> Result<Instr, XsltError> {
        let level = match self.attr(doc, n, "level").as_deref().map(str::trim) {
            None | Some("single") => NumberLevel::Single,
            Some("multiple") => NumberLevel::Multiple,
            Some("any") => NumberLevel::Any,
            Some(o) => return Err(self.err(m, n, format!("invalid level '{o}'"))),
        };
        let count = match self.attr(doc, n, "count") {
            Some(p) => Some(self.pattern(m, doc, n, &p, "count")?),
            None => None,
        };
        let from = match self.attr(doc, n, "from") {
            Some(p) => Some(self.pattern(m, doc, n, &p, "from")?),
            None => None,
        };
        let value = match self.attr(doc, n, "value") {
            Some(v) => Some(self.xpath(m, doc, n, &v, "value")?),
            None => None,
        };
        let format = match self.attr(doc, n, "format") {
            Some(v) => self.avt(m, doc, n, &v, "format")?,
            None => Avt::Static("1".into()),
        };
        let opt = |c: &mut Self, a: &str| -> Result<Option<Avt>, XsltError> {
            match c.attr(doc, n, a) {
                Some(v) => Ok(Some(c.avt(m, doc, n, &v, a)?)),
                None => Ok(None),
            }
        };
        let grouping_separator = opt(self, "grouping-separator")?;
        let grouping_size = opt(self, "grouping-size")?;
        // lang and letter-value only matter for non-Latin numbering; accepted and ignored as in libxslt.
        opt(self, "lang")?;
        opt(self, "letter-value")?;
        Ok(Instr::Number(Box::new(NumberInstr {
            level,
            count,
            from,
            value,
            format,
            grouping_separator,
            grouping_size,
        })))
    }

    fn finish(self) -> Result<Stylesheet, XsltError> {
        // Check that every called named template exists (static error in XSLT 1.0).
        let mut missing: Option<(Loc, String)> = None;
        for t in &self.templates {
            check_calls(&t.body, &self.named, &mut missing);
        }
        for g in &self.globals {
            if let VarValue::Body(b) = &g.def.value {
                check_calls(b, &self.named, &mut missing);
            }
        }
        if let Some((loc, name)) = missing {
            return Err(XsltError::Static {
                file: self
                    .modules
                    .get(loc.module as usize)
                    .map(|m| m.uri.clone())
                    .unwrap_or_default(),
                line: loc.line,
                column: loc.col,
                instruction: "xsl:call-template".into(),
                message: format!("no template named '{name}'"),
            });
        }
        Ok(Stylesheet {
            names: self.names,
            modules: self.modules,
            templates: self.templates,
            named: self.named,
            globals: self.globals,
            global_index: self.global_index,
            keys: self.keys,
            attribute_sets: self.attribute_sets,
            decimal_formats: self
                .decimal_formats
                .into_iter()
                .map(|(k, (v, _))| (k, v))
                .collect(),
            output: self.output,
            space_rules: self.space_rules,
            ns_contexts: self.ns_contexts,
            script_namespaces: self.script_namespaces,
            functions: self.functions,
        })
    }
}

fn check_calls(body: &Body, named: &HashMap<EName, usize>, missing: &mut Option<(Loc, String)>) {
    for (i, loc) in body {
        if missing.is_some() {
            return;
        }
        match i {
            Instr::CallTemplate {
                name,
                display,
                params,
            } => {
                if !named.contains_key(name) {
                    *missing = Some((*loc, display.to_string()));
                }
                for p in params {
                    if let VarValue::Body(b) = &p.value {
                        check_calls(b, named, missing);
                    }
                }
            }
            Instr::Lre(l) => check_calls(&l.body, named, missing),
            Instr::ForEach { body, .. }
            | Instr::If(_, body)
            | Instr::Element { body, .. }
            | Instr::Attribute { body, .. }
            | Instr::Comment(body)
            | Instr::PI(_, body)
            | Instr::Copy(_, body)
            | Instr::Message(_, body) => check_calls(body, named, missing),
            Instr::Choose(w, o) => {
                for (_, b) in w {
                    check_calls(b, named, missing);
                }
                if let Some(b) = o {
                    check_calls(b, named, missing);
                }
            }
            Instr::Variable(v) => {
                if let VarValue::Body(b) = &v.value {
                    check_calls(b, named, missing);
                }
            }
            Instr::ApplyTemplates { params, .. } => {
                for p in params {
                    if let VarValue::Body(b) = &p.value {
                        check_calls(b, named, missing);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Exposed for the XPath parser used at run time (NodeFunctions Select, dynamic names).
pub(crate) fn ns_resolver_from<'a>(scope: &'a [(Arc<str>, Arc<str>)]) -> impl NsResolver + 'a {
    struct R<'a>(&'a [(Arc<str>, Arc<str>)]);
    impl NsResolver for R<'_> {
        fn resolve(&self, prefix: &str) -> Option<String> {
            if prefix == "xml" {
                return Some(crate::tree::XML_NS.to_string());
            }
            self.0
                .iter()
                .find(|(p, _)| &**p == prefix)
                .map(|(_, u)| u.to_string())
        }
    }
    R(scope)
}
