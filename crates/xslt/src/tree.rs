//! Compact arena document model shared by input documents, the stylesheet,
//! documents loaded by `document()` and result tree fragments.
//!
//! Nodes are stored in document order in one `Vec`, text in one `String`, and
//! names as interned ids, so a 20 MB order file costs roughly 2-3x its size.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Interned string id. Atom 0 is the empty string.
pub type Atom = u32;
/// Interned expanded name (namespace URI + local name) id.
pub type EName = u32;

pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
pub const XSLT_NS: &str = "http://www.w3.org/1999/XSL/Transform";

/// The hash of the interner's maps: names are short and trusted (no flooding to fear within
/// one transformation); with SipHash a transformation of Magento orders took 8 % longer.
#[derive(Clone, Copy, Default)]
pub struct NameHasher(u64);

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0xf135_7aea_2e62_a9c5;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
        }
        let mut tail = [0u8; 8];
        let rest = chunks.remainder();
        tail[..rest.len()].copy_from_slice(rest);
        self.0 =
            (self.0.rotate_left(5) ^ u64::from_le_bytes(tail) ^ bytes.len() as u64).wrapping_mul(K);
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0xf135_7aea_2e62_a9c5);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        // hashbrown takes its 7-bit tag from the top bits: fold the well-mixed ones there.
        self.0.rotate_left(26)
    }
}

type NameMap<K, V> = HashMap<K, V, BuildHasherDefault<NameHasher>>;

/// A name as the interner's map holds it: a short one inline, so that the comparison a look-up
/// ends with reads the map's own memory rather than chasing a pointer (most XML names are
/// short; a further 4 % of a transformation of Magento orders).
#[derive(Clone)]
enum NameKey {
    Inline {
        len: u8,
        bytes: [u8; NameKey::INLINE],
    },
    Boxed(Box<[u8]>),
}

impl NameKey {
    const INLINE: usize = 22;

    fn new(name: &str) -> Self {
        let bytes = name.as_bytes();
        if bytes.len() <= Self::INLINE {
            let mut inline = [0; Self::INLINE];
            inline[..bytes.len()].copy_from_slice(bytes);
            NameKey::Inline {
                len: bytes.len() as u8,
                bytes: inline,
            }
        } else {
            NameKey::Boxed(bytes.into())
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            NameKey::Inline { len, bytes } => &bytes[..*len as usize],
            NameKey::Boxed(bytes) => bytes,
        }
    }
}

impl std::borrow::Borrow<[u8]> for NameKey {
    fn borrow(&self) -> &[u8] {
        self.bytes()
    }
}

impl std::hash::Hash for NameKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As the `[u8]` it borrows as, so look-ups by bytes find it.
        self.bytes().hash(state);
    }
}

impl PartialEq for NameKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for NameKey {}

impl std::fmt::Debug for NameKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        String::from_utf8_lossy(self.bytes()).fmt(f)
    }
}

/// String and expanded-name interner shared by every tree of one transformation.
#[derive(Clone, Debug)]
pub struct Interner {
    atoms: NameMap<NameKey, Atom>,
    strs: Vec<Box<str>>,
    enames: NameMap<(Atom, Atom), EName>,
    ename_parts: Vec<(Atom, Atom)>,
}

impl Default for Interner {
    fn default() -> Self {
        Self::new()
    }
}

impl Interner {
    pub fn new() -> Self {
        let mut i = Interner {
            atoms: NameMap::default(),
            strs: Vec::new(),
            enames: NameMap::default(),
            ename_parts: Vec::new(),
        };
        // Atom 0 is the empty string (`atom` answers it without a look-up).
        i.strs.push("".into());
        i.atoms.insert(NameKey::new(""), 0);
        i.atom("xml");
        i.atom(XML_NS);
        i
    }

    pub fn atom(&mut self, s: &str) -> Atom {
        if s.is_empty() {
            return 0;
        }
        if let Some(a) = self.atoms.get(s.as_bytes()) {
            return *a;
        }
        let id = self.strs.len() as Atom;
        self.strs.push(s.into());
        self.atoms.insert(NameKey::new(s), id);
        id
    }

    pub fn lookup_atom(&self, s: &str) -> Option<Atom> {
        self.atoms.get(s.as_bytes()).copied()
    }

    pub fn str(&self, a: Atom) -> &str {
        self.strs.get(a as usize).map(|s| &**s).unwrap_or("")
    }

    pub fn ename(&mut self, ns: Atom, local: Atom) -> EName {
        if let Some(e) = self.enames.get(&(ns, local)) {
            return *e;
        }
        let id = self.ename_parts.len() as EName;
        self.ename_parts.push((ns, local));
        self.enames.insert((ns, local), id);
        id
    }

    pub fn ename_str(&mut self, ns: &str, local: &str) -> EName {
        let n = self.atom(ns);
        let l = self.atom(local);
        self.ename(n, l)
    }

    pub fn lookup_ename(&self, ns: &str, local: &str) -> Option<EName> {
        let n = self.lookup_atom(ns)?;
        let l = self.lookup_atom(local)?;
        self.enames.get(&(n, l)).copied()
    }

    pub fn ename_parts(&self, e: EName) -> (Atom, Atom) {
        self.ename_parts.get(e as usize).copied().unwrap_or((0, 0))
    }

    pub fn local_of(&self, e: EName) -> &str {
        self.str(self.ename_parts(e).1)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum NodeKind {
    Root,
    Element,
    Text,
    Comment,
    PI,
    Attribute,
    Namespace,
}

#[derive(Clone, Debug)]
pub(crate) struct NodeData {
    pub kind: NodeKind,
    pub parent: u32,
    /// Next sibling, 0 = none (the root is never a sibling).
    pub next: u32,
    pub prev: u32,
    /// Element name or PI target (ns atom 0).
    pub ename: EName,
    pub prefix: Atom,
    /// Text: byte start in `text`; element: first attribute index.
    pub a: u32,
    /// Text: byte length; element: attribute count.
    pub b: u32,
    /// Element: namespace scope id.
    pub ns: u32,
}

#[derive(Clone, Debug)]
pub(crate) struct AttrData {
    pub ename: EName,
    pub prefix: Atom,
    pub start: u32,
    pub len: u32,
}

/// An in-memory XML document (XPath data model).
#[derive(Clone, Debug, Default)]
pub struct Document {
    pub(crate) nodes: Vec<NodeData>,
    pub(crate) attrs: Vec<AttrData>,
    pub(crate) text: String,
    /// In-scope namespace bindings (prefix atom, uri atom) per scope id; scope 0 has only `xml`.
    pub(crate) ns_scopes: Vec<Vec<(Atom, Atom)>>,
    pub base_uri: String,
    /// ID attribute value -> element index (from DTD ATTLIST ID declarations and xml:id).
    pub(crate) ids: HashMap<String, u32>,
    pub(crate) unparsed_entities: HashMap<String, String>,
    /// Byte offset in the source per node (stylesheets only, for error positions).
    pub(crate) positions: Vec<u32>,
    pub(crate) line_starts: Vec<u32>,
    pub(crate) is_rtf: bool,
}

/// Reference to a node: document slot, node index, and sub-node
/// (0 = the node itself, 1.. namespace node k-1, ATTR_BASE+k attribute k).
/// The derived ordering is document order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeRef {
    pub doc: u32,
    pub idx: u32,
    pub sub: u32,
}

pub const ATTR_BASE: u32 = 0x4000_0000;

impl NodeRef {
    pub fn new(doc: u32, idx: u32) -> Self {
        NodeRef { doc, idx, sub: 0 }
    }
    pub fn is_attr(&self) -> bool {
        self.sub >= ATTR_BASE
    }
    pub fn is_ns(&self) -> bool {
        self.sub != 0 && self.sub < ATTR_BASE
    }
    pub fn owner(&self) -> NodeRef {
        NodeRef {
            doc: self.doc,
            idx: self.idx,
            sub: 0,
        }
    }
}

impl Document {
    pub fn new_empty(base_uri: &str) -> Self {
        let mut d = Document {
            base_uri: base_uri.to_string(),
            ..Default::default()
        };
        d.ns_scopes.push(vec![(1, 2)]);
        d.nodes.push(NodeData {
            kind: NodeKind::Root,
            parent: 0,
            next: 0,
            prev: 0,
            ename: 0,
            prefix: 0,
            a: 0,
            b: 0,
            ns: 0,
        });
        d
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    #[inline]
    pub(crate) fn node(&self, i: u32) -> Option<&NodeData> {
        self.nodes.get(i as usize)
    }

    #[inline]
    pub fn kind(&self, i: u32) -> NodeKind {
        self.node(i).map(|n| n.kind).unwrap_or(NodeKind::Root)
    }

    #[inline]
    pub fn parent(&self, i: u32) -> Option<u32> {
        if i == 0 {
            None
        } else {
            self.node(i).map(|n| n.parent)
        }
    }

    #[inline]
    pub fn first_child(&self, i: u32) -> Option<u32> {
        let c = i.checked_add(1)?;
        match self.node(c) {
            Some(n) if n.parent == i && c != 0 => Some(c),
            _ => None,
        }
    }

    #[inline]
    pub fn next_sibling(&self, i: u32) -> Option<u32> {
        match self.node(i) {
            Some(n) if n.next != 0 => Some(n.next),
            _ => None,
        }
    }

    #[inline]
    pub fn prev_sibling(&self, i: u32) -> Option<u32> {
        match self.node(i) {
            Some(n) if n.prev != 0 => Some(n.prev),
            _ => None,
        }
    }

    /// Index one past the last descendant of `i`.
    pub fn subtree_end(&self, i: u32) -> u32 {
        let mut cur = i;
        loop {
            if let Some(n) = self.next_sibling(cur) {
                return n;
            }
            match self.parent(cur) {
                Some(p) if cur != 0 => cur = p,
                _ => return self.nodes.len() as u32,
            }
        }
    }

    #[inline]
    pub fn ename(&self, i: u32) -> EName {
        self.node(i).map(|n| n.ename).unwrap_or(0)
    }

    #[inline]
    pub fn prefix(&self, i: u32) -> Atom {
        self.node(i).map(|n| n.prefix).unwrap_or(0)
    }

    /// Text of a text, comment or PI node.
    pub fn text_of(&self, i: u32) -> &str {
        match self.node(i) {
            Some(n) if matches!(n.kind, NodeKind::Text | NodeKind::Comment | NodeKind::PI) => self
                .text
                .get(n.a as usize..(n.a as usize + n.b as usize))
                .unwrap_or(""),
            _ => "",
        }
    }

    pub(crate) fn attr_range(&self, i: u32) -> std::ops::Range<usize> {
        match self.node(i) {
            Some(n) if n.kind == NodeKind::Element => {
                let s = n.a as usize;
                let e = (s + n.b as usize).min(self.attrs.len());
                s.min(e)..e
            }
            _ => 0..0,
        }
    }

    pub fn attr_count(&self, i: u32) -> u32 {
        self.attr_range(i).len() as u32
    }

    pub(crate) fn attr(&self, i: u32, k: u32) -> Option<&AttrData> {
        let r = self.attr_range(i);
        let idx = r.start + k as usize;
        if idx < r.end {
            self.attrs.get(idx)
        } else {
            None
        }
    }

    pub fn attr_value(&self, a: &AttrData) -> &str {
        self.text
            .get(a.start as usize..(a.start as usize + a.len as usize))
            .unwrap_or("")
    }

    /// Value of the attribute with expanded name `e` on element `i`.
    pub fn attr_by_name(&self, i: u32, e: EName) -> Option<&str> {
        let r = self.attr_range(i);
        self.attrs
            .get(r)?
            .iter()
            .find(|a| a.ename == e)
            .map(|a| self.attr_value(a))
    }

    pub fn ns_scope(&self, i: u32) -> &[(Atom, Atom)] {
        let id = match self.node(i) {
            Some(n) if n.kind == NodeKind::Element => n.ns,
            _ => 0,
        };
        self.ns_scopes
            .get(id as usize)
            .map(|v| &v[..])
            .unwrap_or(&[])
    }

    /// Namespace declarations made on element `i` itself (bindings differing from the parent's).
    pub fn ns_declared(&self, i: u32) -> Vec<(Atom, Atom)> {
        let own = self.ns_scope(i);
        let parent = match self.parent(i) {
            Some(p) if self.kind(p) == NodeKind::Element => self.ns_scope(p),
            _ => self.ns_scopes.first().map(|v| &v[..]).unwrap_or(&[]),
        };
        own.iter()
            .filter(|b| !parent.contains(b))
            .copied()
            .collect()
    }

    /// Source position (line, column), both 1-based, of node `i` if recorded.
    pub fn position(&self, i: u32) -> Option<(u32, u32)> {
        let off = *self.positions.get(i as usize)?;
        let line = match self.line_starts.binary_search(&off) {
            Ok(l) => l,
            Err(l) => l.saturating_sub(1),
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        Some((line as u32 + 1, off - start + 1))
    }

    /// Appends the string-value of node `i` (not attribute/namespace) to `out`.
    pub fn string_value_into(&self, i: u32, out: &mut String) {
        match self.kind(i) {
            NodeKind::Text | NodeKind::Comment | NodeKind::PI => out.push_str(self.text_of(i)),
            NodeKind::Element | NodeKind::Root => {
                let end = self.subtree_end(i) as usize;
                let start = i as usize + 1;
                if let Some(nodes) = self.nodes.get(start..end.max(start)) {
                    for n in nodes {
                        if n.kind == NodeKind::Text {
                            out.push_str(
                                self.text
                                    .get(n.a as usize..(n.a as usize + n.b as usize))
                                    .unwrap_or(""),
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// String-value borrowed when it is a single text run (the common case).
    pub fn string_value_borrowed(&self, i: u32) -> Option<&str> {
        match self.kind(i) {
            NodeKind::Text | NodeKind::Comment | NodeKind::PI => Some(self.text_of(i)),
            NodeKind::Element | NodeKind::Root => {
                let end = self.subtree_end(i);
                let mut found: Option<u32> = None;
                for j in i + 1..end {
                    if self.kind(j) == NodeKind::Text {
                        if found.is_some() {
                            return None;
                        }
                        found = Some(j);
                    }
                }
                Some(found.map(|j| self.text_of(j)).unwrap_or(""))
            }
            _ => None,
        }
    }

    pub fn element_by_id(&self, id: &str) -> Option<u32> {
        self.ids.get(id).copied()
    }

    pub fn unparsed_entity_uri(&self, name: &str) -> Option<&str> {
        self.unparsed_entities.get(name).map(|s| s.as_str())
    }

    /// Document element index, if any.
    pub fn document_element(&self) -> Option<u32> {
        let mut c = self.first_child(0);
        while let Some(i) = c {
            if self.kind(i) == NodeKind::Element {
                return Some(i);
            }
            c = self.next_sibling(i);
        }
        None
    }
}

/// Append-only builder producing nodes in document order.
pub struct TreeBuilder {
    pub doc: Document,
    /// Open elements (node index).
    stack: Vec<u32>,
    /// Last child of each open node (0 = none), parallel to `stack` plus root.
    last_child: Vec<u32>,
    /// Whether the current last child is a text node that can be extended.
    pub(crate) record_positions: bool,
    scope_cache: HashMap<Vec<(Atom, Atom)>, u32>,
}

impl TreeBuilder {
    pub fn new(base_uri: &str) -> Self {
        let doc = Document::new_empty(base_uri);
        let mut scope_cache = HashMap::new();
        scope_cache.insert(doc.ns_scopes[0].clone(), 0);
        TreeBuilder {
            doc,
            stack: vec![0],
            last_child: vec![0],
            record_positions: false,
            scope_cache,
        }
    }

    pub fn current(&self) -> u32 {
        *self.stack.last().unwrap_or(&0)
    }

    fn append(&mut self, mut nd: NodeData, pos: u32) -> Result<u32, String> {
        let idx = self.doc.nodes.len();
        if idx >= u32::MAX as usize - 1 {
            return Err("document too large".into());
        }
        let idx = idx as u32;
        let parent = self.current();
        nd.parent = parent;
        let lc = self.last_child.last_mut().map(|l| {
            let old = *l;
            *l = idx;
            old
        });
        let prev = lc.unwrap_or(0);
        nd.prev = prev;
        if prev != 0
            && let Some(p) = self.doc.nodes.get_mut(prev as usize)
        {
            p.next = idx;
        }
        self.doc.nodes.push(nd);
        if self.record_positions {
            self.doc.positions.resize(idx as usize, 0);
            self.doc.positions.push(pos);
        }
        Ok(idx)
    }

    pub fn scope_id(&mut self, scope: Vec<(Atom, Atom)>) -> u32 {
        if let Some(id) = self.scope_cache.get(&scope) {
            return *id;
        }
        let id = self.doc.ns_scopes.len() as u32;
        self.doc.ns_scopes.push(scope.clone());
        self.scope_cache.insert(scope, id);
        id
    }

    /// In-scope bindings of the currently open element.
    pub fn current_scope(&self) -> &[(Atom, Atom)] {
        let c = self.current();
        if c == 0 {
            &self.doc.ns_scopes[0]
        } else {
            self.doc.ns_scope(c)
        }
    }

    pub fn current_scope_id(&self) -> u32 {
        let c = self.current();
        if c == 0 {
            0
        } else {
            self.doc.nodes.get(c as usize).map(|n| n.ns).unwrap_or(0)
        }
    }

    pub fn start_element(
        &mut self,
        ename: EName,
        prefix: Atom,
        scope: u32,
        pos: u32,
    ) -> Result<u32, String> {
        let a = self.doc.attrs.len() as u32;
        let idx = self.append(
            NodeData {
                kind: NodeKind::Element,
                parent: 0,
                next: 0,
                prev: 0,
                ename,
                prefix,
                a,
                b: 0,
                ns: scope,
            },
            pos,
        )?;
        self.stack.push(idx);
        self.last_child.push(0);
        Ok(idx)
    }

    /// Adds an attribute to the element just started (before any child); replaces a same-named one.
    pub fn add_attribute(&mut self, ename: EName, prefix: Atom, value: &str) -> Result<(), String> {
        let cur = self.current();
        let Some(n) = self.doc.nodes.get(cur as usize) else {
            return Err("no element".into());
        };
        if n.kind != NodeKind::Element {
            return Err("attribute without element".into());
        }
        let (a, b) = (n.a as usize, n.b as usize);
        let start = self.push_text(value)?;
        let len = value.len() as u32;
        if let Some(existing) = self
            .doc
            .attrs
            .get_mut(a..a + b)
            .and_then(|s| s.iter_mut().find(|x| x.ename == ename))
        {
            existing.prefix = prefix;
            existing.start = start;
            existing.len = len;
            return Ok(());
        }
        self.doc.attrs.push(AttrData {
            ename,
            prefix,
            start,
            len,
        });
        if let Some(n) = self.doc.nodes.get_mut(cur as usize) {
            n.b += 1;
        }
        Ok(())
    }

    fn push_text(&mut self, s: &str) -> Result<u32, String> {
        let start = self.doc.text.len();
        if start + s.len() > u32::MAX as usize {
            return Err("document text too large".into());
        }
        self.doc.text.push_str(s);
        Ok(start as u32)
    }

    pub fn end_element(&mut self) {
        if self.stack.len() > 1 {
            self.stack.pop();
            self.last_child.pop();
        }
    }

    /// Appends text, merging with a preceding text sibling.
    pub fn text(&mut self, s: &str) -> Result<(), String> {
        if s.is_empty() {
            return Ok(());
        }
        let last = self.last_child.last().copied().unwrap_or(0);
        if last != 0
            && last as usize == self.doc.nodes.len() - 1
            && let Some(n) = self.doc.nodes.get(last as usize)
            && n.kind == NodeKind::Text
            && (n.a + n.b) as usize == self.doc.text.len()
        {
            self.push_text(s)?;
            if let Some(n) = self.doc.nodes.get_mut(last as usize) {
                n.b += s.len() as u32;
            }
            return Ok(());
        }
        let start = self.push_text(s)?;
        self.append(
            NodeData {
                kind: NodeKind::Text,
                parent: 0,
                next: 0,
                prev: 0,
                ename: 0,
                prefix: 0,
                a: start,
                b: s.len() as u32,
                ns: 0,
            },
            0,
        )?;
        Ok(())
    }

    /// Appends a new text node without merging into a preceding one.
    pub fn text_unmerged(&mut self, s: &str) -> Result<(), String> {
        let start = self.push_text(s)?;
        self.append(
            NodeData {
                kind: NodeKind::Text,
                parent: 0,
                next: 0,
                prev: 0,
                ename: 0,
                prefix: 0,
                a: start,
                b: s.len() as u32,
                ns: 0,
            },
            0,
        )?;
        Ok(())
    }

    /// Removes the last child if it is a whitespace-only text node (whitespace stripping).
    pub fn last_text_index(&self) -> Option<u32> {
        let last = self.last_child.last().copied().unwrap_or(0);
        if last != 0 && self.doc.kind(last) == NodeKind::Text {
            Some(last)
        } else {
            None
        }
    }

    pub fn comment(&mut self, s: &str) -> Result<(), String> {
        let start = self.push_text(s)?;
        self.append(
            NodeData {
                kind: NodeKind::Comment,
                parent: 0,
                next: 0,
                prev: 0,
                ename: 0,
                prefix: 0,
                a: start,
                b: s.len() as u32,
                ns: 0,
            },
            0,
        )?;
        Ok(())
    }

    pub fn pi(&mut self, target: EName, s: &str, pos: u32) -> Result<(), String> {
        let start = self.push_text(s)?;
        self.append(
            NodeData {
                kind: NodeKind::PI,
                parent: 0,
                next: 0,
                prev: 0,
                ename: target,
                prefix: 0,
                a: start,
                b: s.len() as u32,
                ns: 0,
            },
            pos,
        )?;
        Ok(())
    }

    pub fn finish(mut self) -> Document {
        if self.record_positions {
            let n = self.doc.nodes.len();
            self.doc.positions.resize(n, 0);
        }
        self.doc
    }
}
