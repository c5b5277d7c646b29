//! wharf-xslt: an XSLT 1.0 + XPath 1.0 processor in pure Rust.
//!
//! Output follows libxslt (xsltproc) byte for byte where practical; see README.md
//! for the list of deliberate deviations. Runs natively and on `wasm32-wasip2`
//! (no threads, no C code).
//!
//! ```
//! use wharf_xslt::{Stylesheet, Context, NoResolver};
//! let xsl = r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
//!   <xsl:output method="text"/>
//!   <xsl:param name="who" select="'world'"/>
//!   <xsl:template match="/">Hello <xsl:value-of select="$who"/></xsl:template>
//! </xsl:stylesheet>"#;
//! let ss = Stylesheet::compile(xsl, "hello.xsl", &NoResolver).unwrap();
//! let out = ss.transform("<a/>", &[("who", "Zynk")], &mut Context::default()).unwrap();
//! assert_eq!(out.bytes, b"Hello Zynk");
//! ```

mod compile;
mod dates;
mod dtd;
mod engine;
pub mod error;
mod exec;
mod exslt;
mod exslt_dates;
mod ext;
mod numfmt;
mod output;
mod pattern;
mod tree;
mod uri;
mod xmlparse;
mod xpath;

pub use compile::Stylesheet;
/// .NET date formatting (invariant culture), also used by tasks that name files by date.
pub use dates::{DateTime, format as format_dotnet_date};
pub use error::XsltError;

use std::collections::HashMap;
use std::io::Write;

/// Loads resources (xsl:import/include, document(), FileFunctions) for the
/// processor. The host decides what is reachable: this is the sandbox boundary.
pub trait Resolver {
    /// Returns the bytes of the resource at `uri` (already resolved against its base).
    fn load(&self, uri: &str) -> Result<Vec<u8>, String>;
    /// Whether a resource exists (used by `urn:FileFunctions` FileExists).
    fn exists(&self, uri: &str) -> bool {
        self.load(uri).is_ok()
    }
}

/// Resolver that refuses everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoResolver;

impl Resolver for NoResolver {
    fn load(&self, uri: &str) -> Result<Vec<u8>, String> {
        Err(format!(
            "access to '{uri}' is not allowed (no resolver configured)"
        ))
    }
    fn exists(&self, _uri: &str) -> bool {
        false
    }
}

/// Resolver reading files below a root directory; `..` cannot leave the root
/// and absolute URIs other than `file:` paths inside the root are refused.
#[derive(Clone, Debug)]
pub struct FsResolver {
    root: std::path::PathBuf,
}

impl FsResolver {
    pub fn new(root: impl Into<std::path::PathBuf>) -> Self {
        FsResolver { root: root.into() }
    }

    fn path(&self, uri: &str) -> Result<std::path::PathBuf, String> {
        let p = uri.strip_prefix("file://").unwrap_or(uri);
        if p.contains("://") {
            return Err(format!("'{uri}': only local files are allowed"));
        }
        let rel = std::path::Path::new(p);
        let full = if rel.is_absolute() {
            rel.to_path_buf()
        } else {
            self.root.join(rel)
        };
        let mut norm = std::path::PathBuf::new();
        for c in full.components() {
            match c {
                std::path::Component::ParentDir => {
                    norm.pop();
                }
                std::path::Component::CurDir => {}
                other => norm.push(other.as_os_str()),
            }
        }
        if !norm.starts_with(&self.root) {
            return Err(format!("'{uri}' is outside the allowed directory"));
        }
        Ok(norm)
    }
}

impl Resolver for FsResolver {
    fn load(&self, uri: &str) -> Result<Vec<u8>, String> {
        let p = self.path(uri)?;
        std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))
    }
    fn exists(&self, uri: &str) -> bool {
        self.path(uri).is_ok_and(|p| p.is_file())
    }
}

/// Zynk mappings for `urn:MappingFunctions` MapTo / MapFrom.
pub trait Mappings {
    /// The To value of the first pair in `mapping` whose From equals `from`.
    fn map_to(&self, mapping: &str, from: &str) -> Option<String>;
    /// The From value of the first pair in `mapping` whose To equals `to`.
    fn map_from(&self, mapping: &str, to: &str) -> Option<String>;
}

/// Simple in-memory mapping table: name -> ordered (From, To) pairs.
#[derive(Clone, Debug, Default)]
pub struct MappingTable {
    pub mappings: HashMap<String, Vec<(String, String)>>,
}

impl MappingTable {
    pub fn insert(&mut self, mapping: &str, from: &str, to: &str) {
        self.mappings
            .entry(mapping.to_string())
            .or_default()
            .push((from.to_string(), to.to_string()));
    }
}

impl Mappings for MappingTable {
    fn map_to(&self, mapping: &str, from: &str) -> Option<String> {
        self.mappings
            .get(mapping)?
            .iter()
            .find(|(f, _)| f == from)
            .map(|(_, t)| t.clone())
    }
    fn map_from(&self, mapping: &str, to: &str) -> Option<String> {
        self.mappings
            .get(mapping)?
            .iter()
            .find(|(_, t)| t == to)
            .map(|(f, _)| f.clone())
    }
}

/// Receives `xsl:message` output (and warnings such as unloadable `document()` URIs).
pub trait MessageSink {
    fn message(&mut self, text: &str);
}

#[cfg(target_family = "wasm")]
const DEFAULT_STACK_LIMIT: usize = 768 * 1024;
#[cfg(not(target_family = "wasm"))]
const DEFAULT_STACK_LIMIT: usize = 1536 * 1024;

/// Per-transformation environment supplied by the host.
pub struct Context<'a> {
    pub mappings: Option<&'a dyn Mappings>,
    pub resolver: Option<&'a dyn Resolver>,
    /// Where messages go; when `None` they are collected in `messages`.
    pub message_sink: Option<&'a mut dyn MessageSink>,
    pub messages: Vec<String>,
    /// Base URI of the input document (for relative `document()` calls from input nodes).
    pub input_uri: String,
    /// Maximum nesting of template instantiations before failing (guards infinite recursion).
    pub max_depth: usize,
    /// Native stack budget in bytes for the transformation's recursion (checked, never overflowed).
    /// The default suits a 1 MiB wasm stack or a 2 MiB native thread; raise it together with the
    /// actual stack size (e.g. `-C link-arg=-zstack-size=...` for the component).
    pub stack_limit: usize,
}

impl Default for Context<'_> {
    fn default() -> Self {
        Context {
            mappings: None,
            resolver: None,
            message_sink: None,
            messages: Vec::new(),
            input_uri: String::new(),
            max_depth: 3000,
            stack_limit: DEFAULT_STACK_LIMIT,
        }
    }
}

impl<'a> Context<'a> {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn with_mappings(mut self, m: &'a dyn Mappings) -> Self {
        self.mappings = Some(m);
        self
    }
    pub fn with_resolver(mut self, r: &'a dyn Resolver) -> Self {
        self.resolver = Some(r);
        self
    }
    pub(crate) fn message(&mut self, text: &str) {
        match self.message_sink.as_mut() {
            Some(s) => s.message(text),
            None => self.messages.push(text.to_string()),
        }
    }
}

/// The XPath expression and pattern parsers on their own, for the fuzz targets (`fuzz/`) and
/// the robustness tests. Not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    struct Prefixes;

    /// Every prefix resolves (to `urn:<prefix>`), so parsing goes past QNames.
    impl crate::xpath::NsResolver for Prefixes {
        fn resolve(&self, prefix: &str) -> Option<String> {
            Some(format!("urn:{prefix}"))
        }
    }

    /// Parses an XPath 1.0 expression.
    pub fn parse_xpath(text: &str) -> Result<(), String> {
        let mut names = crate::tree::Interner::new();
        crate::xpath::parse(text, &mut names, &Prefixes)
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// Parses an XSLT match pattern.
    pub fn parse_pattern(text: &str) -> Result<(), String> {
        let mut names = crate::tree::Interner::new();
        crate::pattern::parse_pattern(text, &mut names, &Prefixes)
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// Whitespace-only text stripped everywhere (`xsl:strip-space elements="*"`).
    struct StripAll;

    impl crate::xmlparse::StripRule for StripAll {
        fn strip(&self, _: &crate::tree::Interner, _: crate::tree::EName) -> bool {
            true
        }
    }

    /// Parses an XML document into the tree (nothing read from outside; whitespace-only text
    /// stripped everywhere if `strip_space`): its node count.
    pub fn parse_document(bytes: &[u8], uri: &str, strip_space: bool) -> Result<usize, String> {
        let mut names = crate::tree::Interner::new();
        let opts = crate::xmlparse::ParseOptions {
            base_uri: uri,
            strip: if strip_space {
                &StripAll
            } else {
                &crate::xmlparse::NoStrip
            },
            record_positions: false,
            honour_xml_space: false,
            resolver: None,
        };
        crate::xmlparse::parse_bytes(bytes, &mut names, &opts)
            .map(|doc| doc.len())
            .map_err(|e| e.to_string())
    }
}

/// Output method actually used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputMethod {
    Xml,
    Html,
    Text,
}

/// Result of a transformation.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    pub bytes: Vec<u8>,
    pub method: OutputMethod,
    /// Output character encoding (as declared by xsl:output, default UTF-8).
    pub encoding: String,
    /// Media type (xsl:output media-type, else text/xml, text/html or text/plain).
    pub media_type: String,
}

/// Output details returned by the streaming variant.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputInfo {
    pub method: OutputMethod,
    pub encoding: String,
    pub media_type: String,
    pub bytes_written: usize,
}

impl Stylesheet {
    /// Compiles a stylesheet. `base_uri` names it in error messages and is the base
    /// for xsl:import / xsl:include / document() which are loaded through `resolver`.
    pub fn compile(
        source: impl AsRef<[u8]>,
        base_uri: &str,
        resolver: &dyn Resolver,
    ) -> Result<Stylesheet, XsltError> {
        compile::Compiler::new(resolver).compile_main(source.as_ref(), base_uri)
    }

    /// Compiles the stylesheet that `input` names in its `<?xml-stylesheet
    /// type="text/xsl" href="…"?>` processing instruction (type `text/xsl` or
    /// `text/xml`, as libxslt): `href="#id"` is the element with that ID in the
    /// document itself, anything else a file relative to `input_uri`.
    pub fn compile_associated(
        input: impl AsRef<[u8]>,
        input_uri: &str,
        resolver: &dyn Resolver,
    ) -> Result<Stylesheet, XsltError> {
        let input = input.as_ref();
        let mut names = tree::Interner::new();
        let opts = xmlparse::ParseOptions {
            base_uri: input_uri,
            strip: &xmlparse::NoStrip,
            record_positions: false,
            honour_xml_space: false,
            resolver: Some(resolver),
        };
        let doc = xmlparse::parse_bytes(input, &mut names, &opts)?;
        let no_pi = || {
            XsltError::Static {
            file: input_uri.to_string(),
            line: 0,
            column: 0,
            instruction: "xml-stylesheet".into(),
            message: "the document has no <?xml-stylesheet type=\"text/xsl\" href=\"…\"?> naming a stylesheet".into(),
        }
        };
        let href = xml_stylesheet_href(&doc, &names).ok_or_else(no_pi)?;
        match href.strip_prefix('#') {
            Some(id) => {
                let mut c = compile::Compiler::new(resolver);
                c.embedded_id = Some(id.to_string());
                c.compile_main(input, input_uri)
            }
            None => {
                let uri = uri::resolve(&href, input_uri);
                let bytes =
                    resolver
                        .load(&uri::percent_decode(&uri))
                        .map_err(|e| XsltError::Static {
                            file: input_uri.to_string(),
                            line: 0,
                            column: 0,
                            instruction: "xml-stylesheet".into(),
                            message: format!("cannot load '{uri}': {e}"),
                        })?;
                Stylesheet::compile(bytes, &uri, resolver)
            }
        }
    }

    /// Names of the top-level xsl:param elements (settable through `transform`).
    pub fn parameters(&self) -> Vec<String> {
        self.globals
            .iter()
            .filter(|g| g.is_param)
            .map(|g| g.def.display.to_string())
            .collect()
    }

    /// Runs the transformation on `input_xml` (raw bytes; encoding from BOM/declaration).
    /// `params` set top-level xsl:param values by name (`name` or `{uri}local`) as strings.
    pub fn transform(
        &self,
        input_xml: impl AsRef<[u8]>,
        params: &[(&str, &str)],
        ctx: &mut Context,
    ) -> Result<Output, XsltError> {
        let (bytes, _, method) = self.run(input_xml.as_ref(), params, ctx, None)?;
        Ok(Output {
            bytes,
            method,
            encoding: self
                .output
                .encoding
                .clone()
                .unwrap_or_else(|| "UTF-8".into()),
            media_type: self.media_type(method),
        })
    }

    /// Like `transform` but serializes straight into `w` in 64 KiB chunks (the result
    /// tree is built first, as libxslt does; the serialized bytes are never held whole).
    pub fn transform_to_writer(
        &self,
        input_xml: impl AsRef<[u8]>,
        params: &[(&str, &str)],
        ctx: &mut Context,
        w: &mut dyn Write,
    ) -> Result<OutputInfo, XsltError> {
        let (_, written, method) = self.run(input_xml.as_ref(), params, ctx, Some(&mut *w))?;
        w.flush().map_err(|e| XsltError::Output(e.to_string()))?;
        Ok(OutputInfo {
            method,
            encoding: self
                .output
                .encoding
                .clone()
                .unwrap_or_else(|| "UTF-8".into()),
            media_type: self.media_type(method),
            bytes_written: written,
        })
    }

    fn media_type(&self, m: OutputMethod) -> String {
        self.output.media_type.clone().unwrap_or_else(|| {
            match m {
                OutputMethod::Xml => "text/xml",
                OutputMethod::Html => "text/html",
                OutputMethod::Text => "text/plain",
            }
            .into()
        })
    }

    fn run(
        &self,
        input: &[u8],
        params: &[(&str, &str)],
        ctx: &mut Context,
        sink: Option<&mut dyn Write>,
    ) -> Result<(Vec<u8>, usize, OutputMethod), XsltError> {
        let input_uri = ctx.input_uri.clone();
        let mut eng = engine::Engine::new(self, ctx);
        for (name, value) in params {
            let e = match name.strip_prefix('{').and_then(|r| r.split_once('}')) {
                Some((ns, l)) => eng.names.ename_str(ns, l),
                None => eng.names.ename_str("", name),
            };
            match self.global_index.get(&e) {
                Some(&i) if self.globals[i].is_param => {
                    eng.param_overrides.insert(e, engine::Value::str(value));
                }
                _ => {
                    // xsltproc ignores unknown --stringparam names; so do we.
                }
            }
        }
        let doc = eng.parse_input(input, &input_uri)?;
        let slot = eng.add_doc(doc);
        eng.input_slot = slot;
        let cdata = self.output.cdata_section_elements.clone();
        eng.out
            .push(output::Sink::Tree(Box::new(output::ResultTree::new(
                &input_uri, cdata,
            ))));
        eng.run_main(tree::NodeRef::new(slot, 0))?;
        let Some(output::Sink::Tree(t)) = eng.out.pop() else {
            return Err(XsltError::Output("internal: no result tree".into()));
        };
        let result = t.finish(&mut eng.names).map_err(XsltError::Output)?;
        // The result tree is self-contained: release the input and other trees first.
        eng.docs.clear();
        eng.key_index.clear();
        let method = match self.output.method {
            Some(m) => m,
            None => detect_method(&result, &eng.names),
        };
        let (bytes, written) = output::serialize(&result, &eng.names, &self.output, method, sink)
            .map_err(XsltError::Output)?;
        let m = match method {
            compile::Method::Xml => OutputMethod::Xml,
            compile::Method::Html => OutputMethod::Html,
            compile::Method::Text => OutputMethod::Text,
        };
        Ok((bytes, written, m))
    }
}

/// Default output method: html when the first element is `html` (no namespace)
/// and only whitespace text precedes it.
fn detect_method(doc: &tree::Document, names: &tree::Interner) -> compile::Method {
    let mut c = doc.first_child(0);
    while let Some(i) = c {
        match doc.kind(i) {
            tree::NodeKind::Element => {
                let (ns, l) = names.ename_parts(doc.ename(i));
                if ns == 0 && names.str(l).eq_ignore_ascii_case("html") {
                    return compile::Method::Html;
                }
                return compile::Method::Xml;
            }
            tree::NodeKind::Text
                if !doc
                    .text_of(i)
                    .chars()
                    .all(|c| matches!(c, ' ' | '\t' | '\n' | '\r')) =>
            {
                return compile::Method::Xml;
            }
            _ => {}
        }
        c = doc.next_sibling(i);
    }
    compile::Method::Xml
}

/// The href of the first `xml-stylesheet` processing instruction before the document
/// element whose type is an XSLT one (libxslt takes `text/xml` and `text/xsl`).
fn xml_stylesheet_href(doc: &tree::Document, names: &tree::Interner) -> Option<String> {
    let mut c = doc.first_child(0);
    while let Some(n) = c {
        match doc.kind(n) {
            tree::NodeKind::Element => return None,
            tree::NodeKind::PI if names.local_of(doc.ename(n)) == "xml-stylesheet" => {
                let data = doc.text_of(n);
                let ty = pseudo_attr(data, "type");
                if matches!(ty.as_deref(), Some("text/xsl" | "text/xml"))
                    && let Some(href) = pseudo_attr(data, "href")
                {
                    return Some(href);
                }
            }
            _ => {}
        }
        c = doc.next_sibling(n);
    }
    None
}

/// A pseudo-attribute (`name="value"` or `name='value'`) of a processing instruction.
fn pseudo_attr(data: &str, name: &str) -> Option<String> {
    let mut rest = data;
    loop {
        rest = rest.trim_start();
        let eq = rest.find('=')?;
        let key = rest[..eq].trim();
        let after = rest[eq + 1..].trim_start();
        let q = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let end = after[1..].find(q)? + 1;
        if key == name {
            return Some(after[1..end].to_string());
        }
        rest = &after[end + 1..];
    }
}
