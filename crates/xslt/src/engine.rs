//! Transformation state and XPath evaluation.

use crate::compile::{Loc, Stylesheet, VarValue};
use crate::error::{RtError, RtResult, XsltError};
use crate::numfmt::{num_to_string, string_to_num, xpath_round};
use crate::output::{ResultTree, Sink};
use crate::tree::{ATTR_BASE, Atom, Document, EName, Interner, NodeKind, NodeRef};
use crate::xpath::{ArOp, Axis, CmpOp, CoreFn, Expr, Func, NodeTest, Step, XPath};
use crate::{Context, NoResolver, Resolver};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

/// An XPath value. Result tree fragments are kept as their own type (XSLT 1.0).
#[derive(Clone, Debug)]
pub enum Value {
    Nodes(Rc<Vec<NodeRef>>),
    Bool(bool),
    Num(f64),
    Str(Arc<str>),
    Rtf(u32),
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }
    pub fn string(s: String) -> Value {
        Value::Str(Arc::from(s))
    }
    pub fn nodes(v: Vec<NodeRef>) -> Value {
        Value::Nodes(Rc::new(v))
    }
    pub fn empty() -> Value {
        Value::Nodes(Rc::new(Vec::new()))
    }
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nodes(_) => "node-set",
            Value::Bool(_) => "boolean",
            Value::Num(_) => "number",
            Value::Str(_) => "string",
            Value::Rtf(_) => "RTF",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Ctx {
    pub node: NodeRef,
    pub pos: usize,
    pub size: usize,
}

/// Template alternatives that may match a (mode, node kind, name): (template, alternative, priority).
pub(crate) type Candidates = Rc<Vec<(usize, usize, f64)>>;

pub(crate) enum GState {
    Pending,
    Running,
    Done(Value),
}

pub(crate) struct Engine<'s, 'c, 'a> {
    pub ss: &'s Stylesheet,
    pub names: Interner,
    pub docs: Vec<Option<Rc<Document>>>,
    pub doc_cache: HashMap<String, u32>,
    pub module_slots: HashMap<u32, u32>,
    pub vars: Vec<(EName, Value)>,
    pub frame: usize,
    pub globals: Vec<GState>,
    pub param_overrides: HashMap<EName, Value>,
    pub key_index: HashMap<(EName, u32), Rc<KeyIndex>>,
    pub out: Vec<Sink>,
    pub current: NodeRef,
    pub cur_template: Option<usize>,
    /// The current template rule (XSLT 1.0 §5.6): set by apply-templates and
    /// apply-imports, kept by call-template, cleared by for-each and globals.
    pub cur_rule: Option<usize>,
    /// The value `func:result` gave in the `func:function` being evaluated, and the
    /// temporary documents it refers to (kept past the function's body).
    pub func_result: Option<(Value, Vec<u32>)>,
    pub cur_mode: Option<EName>,
    pub depth: usize,
    pub max_depth: usize,
    pub temp_docs: Vec<u32>,
    pub ctx: &'c mut Context<'a>,
    pub static_ns: u32,
    pub loc: Loc,
    pub cur_xpath: Option<Arc<str>>,
    pub template_cache: HashMap<(Option<EName>, u8, EName), Candidates>,
    pub input_slot: u32,
    /// Address of a local at the start of the transformation and the stack budget:
    /// deep recursion fails with an error instead of overflowing the stack.
    pub stack_base: usize,
    pub stack_limit: usize,
}

#[inline(always)]
pub(crate) fn stack_addr() -> usize {
    let x = 0u8;
    std::hint::black_box(&x) as *const u8 as usize
}

/// A key table: every (use-value, node) pair, key strings packed in one buffer and the
/// entries sorted by (key, document order) for binary search. Far smaller than a
/// map of strings to vectors on documents with many distinct keys.
#[derive(Default)]
pub struct KeyIndex {
    buf: String,
    entries: Vec<(u32, u32, NodeRef)>,
}

impl KeyIndex {
    fn key(&self, e: &(u32, u32, NodeRef)) -> &str {
        self.buf
            .get(e.0 as usize..(e.0 + e.1) as usize)
            .unwrap_or("")
    }

    fn push(&mut self, k: &str, n: NodeRef) {
        let start = self.buf.len() as u32;
        self.buf.push_str(k);
        self.entries.push((start, k.len() as u32, n));
    }

    fn finish(&mut self) {
        let mut entries = std::mem::take(&mut self.entries);
        entries.sort_by(|a, b| self.key(a).cmp(self.key(b)).then(a.2.cmp(&b.2)));
        entries.dedup_by(|a, b| a.2 == b.2 && self.key(a) == self.key(b));
        self.entries = entries;
        self.buf.shrink_to_fit();
        self.entries.shrink_to_fit();
    }

    pub fn get_into(&self, k: &str, out: &mut Vec<NodeRef>) {
        let lo = self.entries.partition_point(|e| self.key(e) < k);
        for e in self.entries.get(lo..).unwrap_or(&[]) {
            if self.key(e) != k {
                break;
            }
            out.push(e.2);
        }
    }
}

pub(crate) fn rt<T>(msg: impl Into<String>) -> RtResult<T> {
    Err(RtError::Msg(msg.into()))
}

static EMPTY_DOC: std::sync::OnceLock<Document> = std::sync::OnceLock::new();

fn empty_doc() -> &'static Document {
    EMPTY_DOC.get_or_init(|| Document::new_empty(""))
}

impl<'s, 'c, 'a> Engine<'s, 'c, 'a> {
    pub fn new(ss: &'s Stylesheet, ctx: &'c mut Context<'a>) -> Self {
        let globals = ss.globals.iter().map(|_| GState::Pending).collect();
        let max_depth = ctx.max_depth;
        let stack_limit = ctx.stack_limit;
        Engine {
            ss,
            names: ss.names.clone(),
            docs: Vec::new(),
            doc_cache: HashMap::new(),
            module_slots: HashMap::new(),
            vars: Vec::new(),
            frame: 0,
            globals,
            param_overrides: HashMap::new(),
            key_index: HashMap::new(),
            out: Vec::new(),
            current: NodeRef::new(0, 0),
            cur_template: None,
            cur_rule: None,
            func_result: None,
            cur_mode: None,
            depth: 0,
            max_depth,
            temp_docs: Vec::new(),
            ctx,
            static_ns: 0,
            loc: Loc::default(),
            cur_xpath: None,
            template_cache: HashMap::new(),
            input_slot: 0,
            stack_base: stack_addr(),
            stack_limit,
        }
    }

    /// Fails when the native stack used since the transformation started exceeds the budget.
    #[inline]
    pub fn check_stack(&self) -> RtResult<()> {
        let used = self.stack_base.abs_diff(stack_addr());
        if used > self.stack_limit {
            return rt(format!(
                "recursion too deep: {} KB of stack used (limit {} KB); raise Context::stack_limit (and the thread/component stack) or simplify the recursion",
                used / 1024,
                self.stack_limit / 1024
            ));
        }
        Ok(())
    }

    // ------------------------------------------------------------ documents

    pub fn add_doc(&mut self, d: Document) -> u32 {
        self.docs.push(Some(Rc::new(d)));
        (self.docs.len() - 1) as u32
    }

    #[inline]
    pub fn doc(&self, id: u32) -> &Document {
        match self.docs.get(id as usize) {
            Some(Some(d)) => d,
            _ => empty_doc(),
        }
    }

    pub fn free_temp_docs(&mut self, mark: usize) {
        while self.temp_docs.len() > mark {
            if let Some(id) = self.temp_docs.pop() {
                if let Some(slot) = self.docs.get_mut(id as usize) {
                    *slot = None;
                }
                self.key_index.retain(|(_, d), _| *d != id);
            }
        }
    }

    // ------------------------------------------------------------ node access

    #[inline]
    pub fn kind(&self, n: NodeRef) -> NodeKind {
        if n.sub == 0 {
            self.doc(n.doc).kind(n.idx)
        } else if n.sub >= ATTR_BASE {
            NodeKind::Attribute
        } else {
            NodeKind::Namespace
        }
    }

    pub fn parent(&self, n: NodeRef) -> Option<NodeRef> {
        if n.sub != 0 {
            return Some(n.owner());
        }
        self.doc(n.doc)
            .parent(n.idx)
            .map(|p| NodeRef::new(n.doc, p))
    }

    pub fn root(&self, n: NodeRef) -> NodeRef {
        NodeRef::new(n.doc, 0)
    }

    /// Expanded name (ns atom, local atom) for elements, attributes, PIs and namespace nodes.
    pub fn name_parts(&self, n: NodeRef) -> Option<(Atom, Atom, Atom)> {
        let d = self.doc(n.doc);
        if n.sub >= ATTR_BASE {
            let a = d.attr(n.idx, n.sub - ATTR_BASE)?;
            let (ns, l) = self.names.ename_parts(a.ename);
            return Some((ns, l, a.prefix));
        }
        if n.sub != 0 {
            let (p, _) = *d.ns_scope(n.idx).get((n.sub - 1) as usize)?;
            return Some((0, p, 0));
        }
        match d.kind(n.idx) {
            NodeKind::Element | NodeKind::PI => {
                let (ns, l) = self.names.ename_parts(d.ename(n.idx));
                Some((ns, l, d.prefix(n.idx)))
            }
            _ => None,
        }
    }

    pub fn string_value(&self, n: NodeRef) -> String {
        let mut s = String::new();
        self.string_value_into(n, &mut s);
        s
    }

    pub fn string_value_into(&self, n: NodeRef, out: &mut String) {
        let d = self.doc(n.doc);
        if n.sub >= ATTR_BASE {
            if let Some(a) = d.attr(n.idx, n.sub - ATTR_BASE) {
                out.push_str(d.attr_value(a));
            }
        } else if n.sub != 0 {
            if let Some((_, u)) = d.ns_scope(n.idx).get((n.sub - 1) as usize) {
                out.push_str(self.names.str(*u));
            }
        } else {
            d.string_value_into(n.idx, out);
        }
    }

    /// Borrowed string value when available without allocation.
    pub fn string_value_ref(&self, n: NodeRef) -> Option<&str> {
        let d = self.doc(n.doc);
        if n.sub >= ATTR_BASE {
            let a = d.attr(n.idx, n.sub - ATTR_BASE)?;
            return Some(d.attr_value(a));
        }
        if n.sub != 0 {
            let (_, u) = d.ns_scope(n.idx).get((n.sub - 1) as usize)?;
            return Some(self.names.str(*u));
        }
        d.string_value_borrowed(n.idx)
    }

    pub fn with_string_value<R>(&self, n: NodeRef, f: impl FnOnce(&str) -> R) -> R {
        if let Some(s) = self.string_value_ref(n) {
            return f(s);
        }
        let s = self.string_value(n);
        f(&s)
    }

    // ------------------------------------------------------------ axes

    #[inline]
    fn test_node(&self, n: NodeRef, test: &NodeTest, principal: NodeKind) -> bool {
        let d = self.doc(n.doc);
        match test {
            NodeTest::Node => true,
            NodeTest::Text => n.sub == 0 && d.kind(n.idx) == NodeKind::Text,
            NodeTest::Comment => n.sub == 0 && d.kind(n.idx) == NodeKind::Comment,
            NodeTest::PI(t) => {
                n.sub == 0
                    && d.kind(n.idx) == NodeKind::PI
                    && t.as_ref()
                        .is_none_or(|t| self.names.local_of(d.ename(n.idx)) == &**t)
            }
            NodeTest::Any => self.kind(n) == principal,
            NodeTest::Name(e) => match principal {
                NodeKind::Element => {
                    n.sub == 0 && d.kind(n.idx) == NodeKind::Element && d.ename(n.idx) == *e
                }
                NodeKind::Attribute => {
                    n.sub >= ATTR_BASE
                        && d.attr(n.idx, n.sub - ATTR_BASE)
                            .is_some_and(|a| a.ename == *e)
                }
                _ => {
                    // namespace axis: name test matches the prefix
                    let (ns, l) = self.names.ename_parts(*e);
                    ns == 0
                        && n.is_ns()
                        && d.ns_scope(n.idx)
                            .get((n.sub - 1) as usize)
                            .is_some_and(|(p, _)| *p == l)
                }
            },
            NodeTest::NsWildcard(ns) => {
                self.kind(n) == principal
                    && principal != NodeKind::Namespace
                    && self.name_parts(n).is_some_and(|(x, _, _)| x == *ns)
            }
        }
    }

    /// Appends the nodes on `axis` from `n` that pass `test`, in axis order.
    pub fn axis_collect(&self, n: NodeRef, axis: Axis, test: &NodeTest, out: &mut Vec<NodeRef>) {
        let d = self.doc(n.doc);
        let doc = n.doc;
        let principal = match axis {
            Axis::Attribute => NodeKind::Attribute,
            Axis::Namespace => NodeKind::Namespace,
            _ => NodeKind::Element,
        };
        // Fast element-name test for child/descendant.
        let name_test = match test {
            NodeTest::Name(e) if principal == NodeKind::Element => Some(*e),
            _ => None,
        };
        let elem_match = |i: u32| -> bool {
            match name_test {
                Some(e) => {
                    let nd = &d.nodes[i as usize];
                    nd.kind == NodeKind::Element && nd.ename == e
                }
                None => self.test_node(NodeRef::new(doc, i), test, principal),
            }
        };
        match axis {
            Axis::Child => {
                if n.sub != 0 {
                    return;
                }
                let mut c = d.first_child(n.idx);
                while let Some(i) = c {
                    if elem_match(i) {
                        out.push(NodeRef::new(doc, i));
                    }
                    c = d.next_sibling(i);
                }
            }
            Axis::Descendant | Axis::DescendantOrSelf => {
                if axis == Axis::DescendantOrSelf && self.test_node(n, test, principal) {
                    out.push(n);
                }
                if n.sub != 0 {
                    return;
                }
                let end = d.subtree_end(n.idx);
                for i in n.idx + 1..end {
                    if elem_match(i) {
                        out.push(NodeRef::new(doc, i));
                    }
                }
            }
            Axis::Parent => {
                if let Some(p) = self.parent(n)
                    && self.test_node(p, test, principal)
                {
                    out.push(p);
                }
            }
            Axis::Ancestor | Axis::AncestorOrSelf => {
                if axis == Axis::AncestorOrSelf && self.test_node(n, test, principal) {
                    out.push(n);
                }
                let mut cur = self.parent(n);
                while let Some(p) = cur {
                    if self.test_node(p, test, principal) {
                        out.push(p);
                    }
                    cur = self.parent(p);
                }
            }
            Axis::SelfNode => {
                if self.test_node(n, test, principal) {
                    out.push(n);
                }
            }
            Axis::Attribute => {
                if n.sub != 0 || d.kind(n.idx) != NodeKind::Element {
                    return;
                }
                let cnt = d.attr_count(n.idx);
                for k in 0..cnt {
                    let a = NodeRef {
                        doc,
                        idx: n.idx,
                        sub: ATTR_BASE + k,
                    };
                    if self.test_node(a, test, principal) {
                        out.push(a);
                    }
                }
            }
            Axis::Namespace => {
                if n.sub != 0 || d.kind(n.idx) != NodeKind::Element {
                    return;
                }
                let cnt = d.ns_scope(n.idx).len() as u32;
                for k in 0..cnt {
                    let a = NodeRef {
                        doc,
                        idx: n.idx,
                        sub: 1 + k,
                    };
                    if self.test_node(a, test, principal) {
                        out.push(a);
                    }
                }
            }
            Axis::FollowingSibling => {
                if n.sub != 0 {
                    return;
                }
                let mut c = d.next_sibling(n.idx);
                while let Some(i) = c {
                    if elem_match(i) {
                        out.push(NodeRef::new(doc, i));
                    }
                    c = d.next_sibling(i);
                }
            }
            Axis::PrecedingSibling => {
                if n.sub != 0 {
                    return;
                }
                let mut c = d.prev_sibling(n.idx);
                while let Some(i) = c {
                    if elem_match(i) {
                        out.push(NodeRef::new(doc, i));
                    }
                    c = d.prev_sibling(i);
                }
            }
            Axis::Following => {
                // Everything after the subtree of n. For attribute and namespace nodes libxslt
                // starts after the owner element's subtree too (we follow libxslt).
                let start = d.subtree_end(n.idx);
                for i in start..d.len() as u32 {
                    if elem_match(i) {
                        out.push(NodeRef::new(doc, i));
                    }
                }
            }
            Axis::Preceding => {
                // Nodes before n in document order that are not ancestors.
                let base = n.owner();
                let mut ancestors: Vec<u32> = Vec::new();
                let mut cur = d.parent(base.idx);
                while let Some(p) = cur {
                    ancestors.push(p);
                    if p == 0 {
                        break;
                    }
                    cur = d.parent(p);
                }
                let limit = if n.sub != 0 { base.idx + 1 } else { base.idx };
                let mut i = limit;
                while i > 0 {
                    i -= 1;
                    if n.sub != 0 && i == base.idx {
                        continue;
                    }
                    if ancestors.contains(&i) {
                        continue;
                    }
                    if elem_match(i) {
                        out.push(NodeRef::new(doc, i));
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------ evaluation

    #[inline(never)]
    pub fn eval_xpath(&mut self, x: &XPath, ctx: &Ctx) -> RtResult<Value> {
        let saved = self.static_ns;
        self.static_ns = x.ns;
        let r = self.eval(&x.expr, ctx);
        self.static_ns = saved;
        match r {
            Err(RtError::Msg(m)) if self.cur_xpath.is_none() => {
                self.cur_xpath = Some(x.text.clone());
                Err(RtError::Msg(m))
            }
            other => other,
        }
    }

    pub fn eval(&mut self, e: &Expr, ctx: &Ctx) -> RtResult<Value> {
        // Expressions nest up to xpath::MAX_DEPTH levels; on a small stack that can be too much.
        self.check_stack()?;
        match e {
            Expr::Literal(s) => Ok(Value::Str(s.clone())),
            Expr::Number(n) => Ok(Value::Num(*n)),
            Expr::ContextNode => Ok(Value::nodes(vec![ctx.node])),
            Expr::Var(name, display) => self.var(*name, display),
            Expr::Or(a, b) => {
                if self.eval_bool(a, ctx)? {
                    return Ok(Value::Bool(true));
                }
                Ok(Value::Bool(self.eval_bool(b, ctx)?))
            }
            Expr::And(a, b) => {
                if !self.eval_bool(a, ctx)? {
                    return Ok(Value::Bool(false));
                }
                Ok(Value::Bool(self.eval_bool(b, ctx)?))
            }
            Expr::Cmp(op, a, b) => {
                let va = self.eval(a, ctx)?;
                let vb = self.eval(b, ctx)?;
                Ok(Value::Bool(self.compare(*op, &va, &vb)?))
            }
            Expr::Arith(op, a, b) => {
                let x = self.eval_num(a, ctx)?;
                let y = self.eval_num(b, ctx)?;
                Ok(Value::Num(match op {
                    ArOp::Add => x + y,
                    ArOp::Sub => x - y,
                    ArOp::Mul => x * y,
                    ArOp::Div => x / y,
                    ArOp::Mod => x % y,
                }))
            }
            Expr::Neg(a) => Ok(Value::Num(-self.eval_num(a, ctx)?)),
            Expr::Union(a, b) => {
                let va = self.eval(a, ctx)?;
                let vb = self.eval(b, ctx)?;
                let (Value::Nodes(x), Value::Nodes(y)) = (&va, &vb) else {
                    return rt(format!(
                        "the operands of '|' must be node-sets (got {} and {})",
                        va.type_name(),
                        vb.type_name()
                    ));
                };
                Ok(Value::nodes(merge_sorted(x, y)))
            }
            Expr::Call(f, args) => self.call(f, args, ctx),
            Expr::Path(abs, steps) => {
                let start = if *abs { self.root(ctx.node) } else { ctx.node };
                let v = self.eval_steps(vec![start], steps)?;
                Ok(Value::nodes(v))
            }
            Expr::Filter(prim, preds, steps) => {
                let v = self.eval(prim, ctx)?;
                let nodes = match v {
                    Value::Nodes(n) => n,
                    other => {
                        return rt(format!(
                            "a {} cannot be used as a node-set (in a path or predicate); use exsl:node-set() for result tree fragments",
                            other.type_name()
                        ));
                    }
                };
                let mut list: Vec<NodeRef> =
                    Rc::try_unwrap(nodes).unwrap_or_else(|rc| (*rc).clone());
                for p in preds {
                    list = self.filter(list, p)?;
                }
                if steps.is_empty() {
                    return Ok(Value::nodes(list));
                }
                Ok(Value::nodes(self.eval_steps(list, steps)?))
            }
        }
    }

    pub fn eval_steps(&mut self, mut cur: Vec<NodeRef>, steps: &[Step]) -> RtResult<Vec<NodeRef>> {
        let mut tmp: Vec<NodeRef> = Vec::new();
        for step in steps {
            let mut out: Vec<NodeRef> = Vec::new();
            for &n in &cur {
                tmp.clear();
                self.axis_collect(n, step.axis, &step.test, &mut tmp);
                if step.preds.is_empty() {
                    out.extend_from_slice(&tmp);
                } else {
                    let mut list = std::mem::take(&mut tmp);
                    for p in &step.preds {
                        list = self.filter(list, p)?;
                    }
                    out.extend_from_slice(&list);
                    tmp = list;
                }
            }
            if cur.len() > 1 {
                sort_dedup(&mut out);
            } else if step.axis.is_reverse() {
                out.reverse();
            }
            cur = out;
            if cur.is_empty() {
                break;
            }
        }
        Ok(cur)
    }

    /// Applies one predicate to a list in axis order.
    fn filter(&mut self, list: Vec<NodeRef>, p: &Expr) -> RtResult<Vec<NodeRef>> {
        if let Expr::Number(n) = p {
            let k = *n;
            if k >= 1.0 && k.fract() == 0.0 && (k as usize) <= list.len() {
                return Ok(vec![list[k as usize - 1]]);
            }
            return Ok(Vec::new());
        }
        let size = list.len();
        let mut out = Vec::with_capacity(size);
        for (i, &n) in list.iter().enumerate() {
            let c = Ctx {
                node: n,
                pos: i + 1,
                size,
            };
            let v = self.eval(p, &c)?;
            let keep = match v {
                Value::Num(x) => x == (i + 1) as f64,
                other => self.to_bool(&other),
            };
            if keep {
                out.push(n);
            }
        }
        Ok(out)
    }

    pub fn eval_bool(&mut self, e: &Expr, ctx: &Ctx) -> RtResult<bool> {
        let v = self.eval(e, ctx)?;
        Ok(self.to_bool(&v))
    }

    pub fn eval_num(&mut self, e: &Expr, ctx: &Ctx) -> RtResult<f64> {
        let v = self.eval(e, ctx)?;
        Ok(self.to_num(&v))
    }

    pub fn eval_string(&mut self, e: &Expr, ctx: &Ctx) -> RtResult<String> {
        let v = self.eval(e, ctx)?;
        Ok(self.to_string(&v))
    }

    pub fn eval_nodes(&mut self, e: &Expr, ctx: &Ctx, what: &str) -> RtResult<Rc<Vec<NodeRef>>> {
        match self.eval(e, ctx)? {
            Value::Nodes(n) => Ok(n),
            other => rt(format!(
                "{what} must select a node-set, not a {}",
                other.type_name()
            )),
        }
    }

    pub fn to_bool(&self, v: &Value) -> bool {
        match v {
            Value::Bool(b) => *b,
            Value::Num(n) => *n != 0.0 && !n.is_nan(),
            Value::Str(s) => !s.is_empty(),
            Value::Nodes(n) => !n.is_empty(),
            Value::Rtf(_) => true,
        }
    }

    pub fn to_num(&self, v: &Value) -> f64 {
        match v {
            Value::Num(n) => *n,
            Value::Bool(b) => {
                if *b {
                    1.0
                } else {
                    0.0
                }
            }
            Value::Str(s) => string_to_num(s),
            Value::Nodes(n) => match n.first() {
                Some(&f) => self.with_string_value(f, string_to_num),
                None => f64::NAN,
            },
            Value::Rtf(d) => string_to_num(&self.string_value(NodeRef::new(*d, 0))),
        }
    }

    pub fn to_string(&self, v: &Value) -> String {
        match v {
            Value::Str(s) => s.to_string(),
            Value::Num(n) => num_to_string(*n),
            Value::Bool(b) => if *b { "true" } else { "false" }.to_string(),
            Value::Nodes(n) => match n.first() {
                Some(&f) => self.string_value(f),
                None => String::new(),
            },
            Value::Rtf(d) => self.string_value(NodeRef::new(*d, 0)),
        }
    }

    fn as_nodes_for_cmp(&self, v: &Value) -> Option<Rc<Vec<NodeRef>>> {
        match v {
            Value::Nodes(n) => Some(n.clone()),
            Value::Rtf(d) => Some(Rc::new(vec![NodeRef::new(*d, 0)])),
            _ => None,
        }
    }

    pub fn compare(&self, op: CmpOp, a: &Value, b: &Value) -> RtResult<bool> {
        let na = self.as_nodes_for_cmp(a);
        let nb = self.as_nodes_for_cmp(b);
        match (na, nb) {
            (Some(x), Some(y)) => {
                if matches!(op, CmpOp::Eq | CmpOp::Ne) {
                    let ys: Vec<String> = y.iter().map(|&n| self.string_value(n)).collect();
                    for &n in x.iter() {
                        let found = self.with_string_value(n, |s| {
                            ys.iter()
                                .any(|t| if op == CmpOp::Eq { s == t } else { s != t })
                        });
                        if found {
                            return Ok(true);
                        }
                    }
                    Ok(false)
                } else {
                    let ys: Vec<f64> = y
                        .iter()
                        .map(|&n| self.with_string_value(n, string_to_num))
                        .collect();
                    for &n in x.iter() {
                        let v = self.with_string_value(n, string_to_num);
                        if ys.iter().any(|&t| cmp_num(op, v, t)) {
                            return Ok(true);
                        }
                    }
                    Ok(false)
                }
            }
            (Some(x), None) => self.cmp_nodes_atomic(op, &x, b, false),
            (None, Some(y)) => self.cmp_nodes_atomic(op, &y, a, true),
            (None, None) => Ok(match op {
                CmpOp::Eq | CmpOp::Ne => {
                    let eq = if matches!(a, Value::Bool(_)) || matches!(b, Value::Bool(_)) {
                        self.to_bool(a) == self.to_bool(b)
                    } else if matches!(a, Value::Num(_)) || matches!(b, Value::Num(_)) {
                        self.to_num(a) == self.to_num(b)
                    } else {
                        self.to_string(a) == self.to_string(b)
                    };
                    if op == CmpOp::Eq { eq } else { !eq }
                }
                _ => cmp_num(op, self.to_num(a), self.to_num(b)),
            }),
        }
    }

    /// node-set `op` atomic (or atomic `op` node-set when `swapped`).
    fn cmp_nodes_atomic(
        &self,
        op: CmpOp,
        nodes: &[NodeRef],
        v: &Value,
        swapped: bool,
    ) -> RtResult<bool> {
        let op = if swapped { swap_op(op) } else { op };
        match v {
            Value::Bool(b) => {
                let nb = !nodes.is_empty();
                Ok(match op {
                    CmpOp::Eq => nb == *b,
                    CmpOp::Ne => nb != *b,
                    _ => cmp_num(op, if nb { 1.0 } else { 0.0 }, if *b { 1.0 } else { 0.0 }),
                })
            }
            Value::Num(x) => Ok(nodes
                .iter()
                .any(|&n| cmp_num(op, self.with_string_value(n, string_to_num), *x))),
            Value::Str(s) => {
                if matches!(op, CmpOp::Eq | CmpOp::Ne) {
                    Ok(nodes.iter().any(|&n| {
                        self.with_string_value(n, |t| {
                            if op == CmpOp::Eq {
                                t == &**s
                            } else {
                                t != &**s
                            }
                        })
                    }))
                } else {
                    let x = string_to_num(s);
                    Ok(nodes
                        .iter()
                        .any(|&n| cmp_num(op, self.with_string_value(n, string_to_num), x)))
                }
            }
            _ => Ok(false),
        }
    }

    // ------------------------------------------------------------ variables

    pub fn var(&mut self, name: EName, display: &str) -> RtResult<Value> {
        let base = self.frame.min(self.vars.len());
        if let Some((_, v)) = self.vars[base..].iter().rev().find(|(n, _)| *n == name) {
            return Ok(v.clone());
        }
        match self.ss.global_index.get(&name) {
            Some(&i) => self.global(i),
            None => rt(format!("undefined variable ${display}")),
        }
    }

    pub fn global(&mut self, i: usize) -> RtResult<Value> {
        match self.globals.get(i) {
            Some(GState::Done(v)) => return Ok(v.clone()),
            Some(GState::Running) => {
                let g = &self.ss.globals[i];
                return rt(format!(
                    "circular definition of global variable ${} (it depends on itself)",
                    g.def.display
                ));
            }
            Some(GState::Pending) => {}
            None => return rt("internal: bad global index"),
        }
        let g = &self.ss.globals[i];
        if g.is_param
            && let Some(v) = self.param_overrides.get(&g.def.name)
        {
            let v = v.clone();
            self.globals[i] = GState::Done(v.clone());
            return Ok(v);
        }
        self.globals[i] = GState::Running;
        // Evaluate in a clean frame with the input root as context.
        let saved_vars = std::mem::take(&mut self.vars);
        let saved_frame = self.frame;
        let saved_current = self.current;
        let saved_tmpl = self.cur_template;
        let saved_rule = self.cur_rule.take();
        let saved_temp = std::mem::take(&mut self.temp_docs);
        let saved_loc = self.loc;
        let saved_xpath = self.cur_xpath.take();
        self.frame = 0;
        let root = NodeRef::new(self.input_slot, 0);
        self.current = root;
        self.cur_template = None;
        self.loc = g.def.loc;
        let ctx = Ctx {
            node: root,
            pos: 1,
            size: 1,
        };
        let r = self.eval_var_value(&g.def.value, &ctx);
        self.vars = saved_vars;
        self.frame = saved_frame;
        self.current = saved_current;
        self.cur_template = saved_tmpl;
        self.cur_rule = saved_rule;
        // Documents created by a global live for the whole transformation.
        self.temp_docs = saved_temp;
        self.loc = saved_loc;
        let r = match r {
            Err(RtError::Msg(m)) => {
                let xp = self.cur_xpath.take();
                Err(RtError::from(XsltError::Dynamic {
                    template: format!("global variable ${}", g.def.display),
                    xpath: xp.map(|x| x.to_string()),
                    location: Some(self.loc_string(g.def.loc)),
                    message: m,
                }))
            }
            other => other,
        };
        self.cur_xpath = saved_xpath;
        let v = r?;
        self.globals[i] = GState::Done(v.clone());
        Ok(v)
    }

    pub fn eval_var_value(&mut self, v: &'s VarValue, ctx: &Ctx) -> RtResult<Value> {
        match v {
            VarValue::Select(x) => self.eval_xpath(x, ctx),
            VarValue::Empty => Ok(Value::str("")),
            VarValue::Body(b) => {
                // Sink set-up and tear-down live in separate frames: this one is on the
                // recursion path and must stay small.
                self.push_tree_sink(ctx);
                let r = self.exec_body(b, ctx);
                let id = self.pop_tree_sink();
                r?;
                Ok(Value::Rtf(id?))
            }
        }
    }

    #[inline(never)]
    pub fn push_tree_sink(&mut self, ctx: &Ctx) {
        let base = self.doc(ctx.node.doc).base_uri.clone();
        self.out
            .push(Sink::Tree(Box::new(ResultTree::new(&base, Vec::new()))));
    }

    #[inline(never)]
    pub fn pop_tree_sink(&mut self) -> RtResult<u32> {
        let Some(Sink::Tree(t)) = self.out.pop() else {
            return rt("internal: output stack mismatch");
        };
        let d = t.finish(&mut self.names).map_err(RtError::Msg)?;
        let id = self.add_doc(d);
        self.temp_docs.push(id);
        Ok(id)
    }

    pub fn loc_string(&self, loc: Loc) -> String {
        let file = self
            .ss
            .modules
            .get(loc.module as usize)
            .map(|m| m.uri.as_str())
            .unwrap_or("");
        format!("{}:{}:{}", file, loc.line, loc.col)
    }

    // ------------------------------------------------------------ functions

    fn arg_string(&mut self, args: &[Expr], i: usize, ctx: &Ctx) -> RtResult<String> {
        match args.get(i) {
            Some(e) => self.eval_string(e, ctx),
            None => Ok(self.string_value(ctx.node)),
        }
    }

    fn call(&mut self, f: &Func, args: &[Expr], ctx: &Ctx) -> RtResult<Value> {
        let f = match f {
            Func::Core(c) => *c,
            Func::Ext(ns, local) => {
                let name = self.names.ename_str(ns, local);
                if let Some(&t) = self.ss.functions.get(&name) {
                    return self.call_function(t, args, ctx);
                }
                return self.call_ext(ns, local, args, ctx);
            }
        };
        use CoreFn::*;
        Ok(match f {
            Last => Value::Num(ctx.size as f64),
            Position => Value::Num(ctx.pos as f64),
            Count => {
                let n = self.eval_nodes(&args[0], ctx, "the argument of count()")?;
                Value::Num(n.len() as f64)
            }
            Id => {
                let v = self.eval(&args[0], ctx)?;
                let mut ids: Vec<std::string::String> = Vec::new();
                match &v {
                    Value::Nodes(ns) => {
                        for &n in ns.iter() {
                            let s = self.string_value(n);
                            ids.extend(s.split_whitespace().map(|x| x.to_string()));
                        }
                    }
                    other => {
                        let s = self.to_string(other);
                        ids.extend(s.split_whitespace().map(|x| x.to_string()));
                    }
                }
                let d = self.doc(ctx.node.doc);
                let mut out: Vec<NodeRef> = ids
                    .iter()
                    .filter_map(|i| d.element_by_id(i))
                    .map(|i| NodeRef::new(ctx.node.doc, i))
                    .collect();
                sort_dedup(&mut out);
                Value::nodes(out)
            }
            LocalName | NamespaceUri | Name => {
                let n = match args.first() {
                    Some(e) => {
                        let ns = self.eval_nodes(e, ctx, "the argument of name()")?;
                        match ns.first() {
                            Some(&n) => n,
                            None => return Ok(Value::str("")),
                        }
                    }
                    None => ctx.node,
                };
                let Some((ns, l, p)) = self.name_parts(n) else {
                    return Ok(Value::str(""));
                };
                match f {
                    LocalName => Value::str(self.names.str(l)),
                    NamespaceUri => Value::str(self.names.str(ns)),
                    _ => {
                        if p == 0 || self.kind(n) == NodeKind::Namespace {
                            Value::str(self.names.str(l))
                        } else {
                            Value::string(format!("{}:{}", self.names.str(p), self.names.str(l)))
                        }
                    }
                }
            }
            String => match args.first() {
                Some(e) => {
                    let v = self.eval(e, ctx)?;
                    match v {
                        Value::Str(_) => v,
                        other => Value::string(self.to_string(&other)),
                    }
                }
                None => Value::string(self.string_value(ctx.node)),
            },
            Concat => {
                let mut s = std::string::String::new();
                for a in args {
                    let v = self.eval(a, ctx)?;
                    match &v {
                        Value::Str(x) => s.push_str(x),
                        Value::Nodes(n) => {
                            if let Some(&f) = n.first() {
                                self.string_value_into(f, &mut s);
                            }
                        }
                        other => s.push_str(&self.to_string(other)),
                    }
                }
                Value::string(s)
            }
            StartsWith | Contains | SubstringBefore | SubstringAfter => {
                let a = self.eval_string(&args[0], ctx)?;
                let b = self.eval_string(&args[1], ctx)?;
                match f {
                    StartsWith => Value::Bool(a.starts_with(b.as_str())),
                    Contains => Value::Bool(a.contains(b.as_str())),
                    SubstringBefore => Value::string(match a.find(b.as_str()) {
                        Some(i) => a[..i].to_string(),
                        None => std::string::String::new(),
                    }),
                    _ => Value::string(match a.find(b.as_str()) {
                        Some(i) => a[i + b.len()..].to_string(),
                        None => std::string::String::new(),
                    }),
                }
            }
            Substring => {
                let s = self.eval_string(&args[0], ctx)?;
                let start = xpath_round(self.eval_num(&args[1], ctx)?);
                let len = match args.get(2) {
                    Some(e) => Some(xpath_round(self.eval_num(e, ctx)?)),
                    None => None,
                };
                Value::string(substring(&s, start, len))
            }
            StringLength => {
                let s = self.arg_string(args, 0, ctx)?;
                Value::Num(s.chars().count() as f64)
            }
            NormalizeSpace => {
                let s = self.arg_string(args, 0, ctx)?;
                let mut out = std::string::String::with_capacity(s.len());
                for w in s.split([' ', '\t', '\n', '\r']).filter(|w| !w.is_empty()) {
                    if !out.is_empty() {
                        out.push(' ');
                    }
                    out.push_str(w);
                }
                Value::string(out)
            }
            Translate => {
                let s = self.eval_string(&args[0], ctx)?;
                let from: Vec<char> = self.eval_string(&args[1], ctx)?.chars().collect();
                let to: Vec<char> = self.eval_string(&args[2], ctx)?.chars().collect();
                let mut out = std::string::String::with_capacity(s.len());
                for c in s.chars() {
                    match from.iter().position(|&x| x == c) {
                        Some(i) => {
                            if let Some(&t) = to.get(i) {
                                out.push(t);
                            }
                        }
                        None => out.push(c),
                    }
                }
                Value::string(out)
            }
            Boolean => Value::Bool(self.eval_bool(&args[0], ctx)?),
            Not => Value::Bool(!self.eval_bool(&args[0], ctx)?),
            True => Value::Bool(true),
            False => Value::Bool(false),
            Lang => {
                let want = self.eval_string(&args[0], ctx)?.to_ascii_lowercase();
                let xml_lang = self.names.lookup_ename(crate::tree::XML_NS, "lang");
                let mut cur = Some(ctx.node.owner());
                let mut found = None;
                while let Some(n) = cur {
                    if let Some(e) = xml_lang
                        && let Some(v) = self.doc(n.doc).attr_by_name(n.idx, e)
                    {
                        found = Some(v.to_ascii_lowercase());
                        break;
                    }
                    cur = self.parent(n);
                }
                Value::Bool(match found {
                    Some(l) => {
                        l == want || (l.starts_with(&want) && l[want.len()..].starts_with('-'))
                    }
                    None => false,
                })
            }
            Number => match args.first() {
                Some(e) => Value::Num(self.eval_num(e, ctx)?),
                None => Value::Num(self.with_string_value(ctx.node, string_to_num)),
            },
            Sum => {
                let v = self.eval(&args[0], ctx)?;
                let ns = match v {
                    Value::Nodes(n) => n,
                    Value::Rtf(d) => Rc::new(vec![NodeRef::new(d, 0)]),
                    other => {
                        return rt(format!(
                            "sum() needs a node-set, not a {}",
                            other.type_name()
                        ));
                    }
                };
                let mut t = 0.0;
                for &n in ns.iter() {
                    t += self.with_string_value(n, string_to_num);
                }
                Value::Num(t)
            }
            Floor => Value::Num(self.eval_num(&args[0], ctx)?.floor()),
            Ceiling => Value::Num(self.eval_num(&args[0], ctx)?.ceil()),
            Round => Value::Num(xpath_round(self.eval_num(&args[0], ctx)?)),
            Current => Value::nodes(vec![self.current]),
            GenerateId => {
                let n = match args.first() {
                    Some(e) => {
                        let ns = self.eval_nodes(e, ctx, "the argument of generate-id()")?;
                        match ns.first() {
                            Some(&n) => n,
                            None => return Ok(Value::str("")),
                        }
                    }
                    None => ctx.node,
                };
                Value::string(if n.sub == 0 {
                    format!("idd{}n{}", n.doc, n.idx)
                } else {
                    format!("idd{}n{}s{}", n.doc, n.idx, n.sub)
                })
            }
            Key => return self.fn_key(args, ctx),
            Document => return self.fn_document(args, ctx),
            FormatNumber => {
                let x = self.eval_num(&args[0], ctx)?;
                let pat = self.eval_string(&args[1], ctx)?;
                let df = match args.get(2) {
                    Some(e) => {
                        let q = self.eval_string(e, ctx)?;
                        let en = self.resolve_qname_rt(&q)?;
                        match self.ss.decimal_formats.get(&en) {
                            Some(d) => d.clone(),
                            None => {
                                return rt(format!("format-number: unknown decimal format '{q}'"));
                            }
                        }
                    }
                    None => self
                        .ss
                        .decimal_formats
                        .get(&u32::MAX)
                        .cloned()
                        .unwrap_or_default(),
                };
                let (s, warning) = crate::numfmt::format_number(x, &pat, &df);
                if let Some(w) = warning {
                    // libxslt reports the pattern and goes on with its default.
                    self.ctx.message(&format!("warning: format-number: {w}"));
                }
                Value::string(s)
            }
            UnparsedEntityUri => {
                let name = self.eval_string(&args[0], ctx)?;
                let d = self.doc(ctx.node.doc);
                Value::str(d.unparsed_entity_uri(&name).unwrap_or(""))
            }
            SystemProperty => {
                let q = self.eval_string(&args[0], ctx)?;
                let en = self.resolve_qname_rt(&q)?;
                let (ns, l) = self.names.ename_parts(en);
                if self.names.str(ns) == crate::tree::XSLT_NS {
                    match self.names.str(l) {
                        "version" => Value::str("1.0"),
                        "vendor" => Value::str("libxslt"),
                        "vendor-url" => Value::str("http://xmlsoft.org/XSLT/"),
                        _ => Value::str(""),
                    }
                } else {
                    Value::str("")
                }
            }
            ElementAvailable => {
                let q = self.eval_string(&args[0], ctx)?;
                // Unlike other QNames in expressions, an element name without a prefix is
                // in the default namespace (XSLT 1.0 §15).
                let en = self.resolve_qname_rt_with(&q, true)?;
                let (ns, l) = self.names.ename_parts(en);
                let ns = self.names.str(ns).to_string();
                let l = self.names.str(l).to_string();
                // libxslt's answers for the XSLT namespace: the instructions and the
                // elements that only occur inside them.
                let avail = if ns == crate::tree::XSLT_NS {
                    matches!(
                        l.as_str(),
                        "apply-imports"
                            | "apply-templates"
                            | "attribute"
                            | "call-template"
                            | "choose"
                            | "comment"
                            | "copy"
                            | "copy-of"
                            | "decimal-format"
                            | "element"
                            | "fallback"
                            | "for-each"
                            | "if"
                            | "message"
                            | "number"
                            | "otherwise"
                            | "param"
                            | "processing-instruction"
                            | "sort"
                            | "text"
                            | "value-of"
                            | "variable"
                            | "when"
                            | "with-param"
                    )
                } else {
                    crate::ext::is_element_available(&ns, &l)
                };
                Value::Bool(avail)
            }
            FunctionAvailable => {
                let q = self.eval_string(&args[0], ctx)?;
                let avail = if q.contains(':') {
                    let en = self.resolve_qname_rt(&q)?;
                    let (ns, l) = self.names.ename_parts(en);
                    let user = self.ss.functions.contains_key(&en);
                    let ns = self.names.str(ns).to_string();
                    let l = self.names.str(l).to_string();
                    user || crate::ext::is_available(&ns, &l)
                } else {
                    CoreFn::from_name(&q).is_some()
                };
                Value::Bool(avail)
            }
        })
    }

    /// Resolves a QName string at run time using the static namespace context.
    pub fn resolve_qname_rt(&mut self, q: &str) -> RtResult<EName> {
        self.resolve_qname_rt_with(q, false)
    }

    /// As `resolve_qname_rt`; `default_ns` puts an unprefixed name in the default namespace.
    pub fn resolve_qname_rt_with(&mut self, q: &str, default_ns: bool) -> RtResult<EName> {
        let q = q.trim();
        let (p, l) = match q.split_once(':') {
            Some((p, l)) => (p, l),
            None => ("", q),
        };
        let uri = if p.is_empty() {
            if default_ns {
                let scope = self.ss.ns_contexts.get(self.static_ns as usize);
                scope
                    .and_then(|s| s.iter().find(|(x, _)| x.is_empty()))
                    .map(|(_, u)| u.to_string())
                    .unwrap_or_default()
            } else {
                String::new()
            }
        } else if p == "xml" {
            crate::tree::XML_NS.to_string()
        } else {
            let scope = self.ss.ns_contexts.get(self.static_ns as usize);
            match scope.and_then(|s| s.iter().find(|(x, _)| &**x == p)) {
                Some((_, u)) => u.to_string(),
                None => return rt(format!("undefined namespace prefix '{p}' in '{q}'")),
            }
        };
        Ok(self.names.ename_str(&uri, l))
    }

    /// Calls a `func:function`: arguments bind its parameters in order (the rest take
    /// their defaults), its output is discarded, and its value is what `func:result`
    /// gave ("" without one).
    fn call_function(&mut self, t: usize, args: &[Expr], ctx: &Ctx) -> RtResult<Value> {
        let tpl = &self.ss.templates[t];
        if args.len() > tpl.params.len() {
            return rt(format!(
                "{} takes at most {} argument(s), got {}",
                tpl.desc,
                tpl.params.len(),
                args.len()
            ));
        }
        let mut values = Vec::with_capacity(args.len());
        for (a, p) in args.iter().zip(&tpl.params) {
            values.push((p.name, self.eval(a, ctx)?));
        }
        let saved = self.func_result.take();
        self.push_tree_sink(ctx);
        let mode = self.cur_mode;
        let r = self.invoke_template(t, ctx, &values, mode, false);
        let discarded = self.pop_tree_sink();
        let result = std::mem::replace(&mut self.func_result, saved);
        r?;
        discarded?;
        Ok(match result {
            Some((v, docs)) => {
                self.temp_docs.extend(docs);
                v
            }
            None => Value::str(""),
        })
    }

    /// `func:result`: records the function's value, keeping the temporary documents it
    /// refers to alive after the function's body ends.
    pub fn set_func_result(&mut self, v: Value) {
        let mut docs: Vec<u32> = match &v {
            Value::Rtf(d) => vec![*d],
            Value::Nodes(ns) => ns.iter().map(|n| n.doc).collect(),
            _ => Vec::new(),
        };
        docs.sort_unstable();
        docs.dedup();
        docs.retain(|d| self.temp_docs.contains(d));
        self.temp_docs.retain(|d| !docs.contains(d));
        self.func_result = Some((v, docs));
    }

    fn fn_key(&mut self, args: &[Expr], ctx: &Ctx) -> RtResult<Value> {
        let q = self.eval_string(&args[0], ctx)?;
        let name = self.resolve_qname_rt(&q)?;
        // The value is evaluated first, so its errors (an undeclared variable) surface
        // even for an undeclared key, as in libxslt.
        let v = self.eval(&args[1], ctx)?;
        if !self.ss.keys.contains_key(&name) {
            // libxslt returns an empty node-set for an undeclared key.
            return Ok(Value::empty());
        }
        let doc = ctx.node.doc;
        let index = self.key_index_for(name, doc)?;
        let mut out: Vec<NodeRef> = Vec::new();
        match &v {
            Value::Nodes(ns) => {
                for &n in ns.iter() {
                    let s = self.string_value(n);
                    index.get_into(&s, &mut out);
                }
                sort_dedup(&mut out);
            }
            other => {
                let s = self.to_string(other);
                index.get_into(&s, &mut out);
            }
        }
        Ok(Value::nodes(out))
    }

    fn key_index_for(&mut self, name: EName, doc: u32) -> RtResult<Rc<KeyIndex>> {
        if let Some(ix) = self.key_index.get(&(name, doc)) {
            return Ok(ix.clone());
        }
        let defs = match self.ss.keys.get(&name) {
            Some(d) => d,
            None => return Ok(Rc::new(KeyIndex::default())),
        };
        let mut map = KeyIndex::default();
        let n_nodes = self.doc(doc).len() as u32;
        let saved_current = self.current;
        for def in defs {
            for i in 0..n_nodes {
                let node = NodeRef::new(doc, i);
                let mut cands = vec![node];
                let acount = self.doc(doc).attr_count(i);
                for k in 0..acount {
                    cands.push(NodeRef {
                        doc,
                        idx: i,
                        sub: ATTR_BASE + k,
                    });
                }
                for n in cands {
                    if !self.pattern_matches(&def.matches, n)? {
                        continue;
                    }
                    let c = Ctx {
                        node: n,
                        pos: 1,
                        size: 1,
                    };
                    self.current = n;
                    let v = self.eval_xpath(&def.use_expr, &c)?;
                    match v {
                        Value::Nodes(ns) => {
                            for &u in ns.iter() {
                                let s = self.string_value(u);
                                map.push(&s, n);
                            }
                        }
                        other => {
                            let s = self.to_string(&other);
                            map.push(&s, n);
                        }
                    }
                }
            }
        }
        self.current = saved_current;
        map.finish();
        let rc = Rc::new(map);
        self.key_index.insert((name, doc), rc.clone());
        Ok(rc)
    }

    fn module_doc_slot(&mut self, m: u32) -> u32 {
        if let Some(s) = self.module_slots.get(&m) {
            return *s;
        }
        let d = match self.ss.modules.get(m as usize) {
            Some(md) => {
                let source = md.source.clone();
                let uri = md.uri.clone();
                match self.parse_input(&source, &uri) {
                    Ok(d) => d,
                    Err(_) => (*md.doc).clone(),
                }
            }
            None => Document::default(),
        };
        let id = self.add_doc(d);
        self.module_slots.insert(m, id);
        id
    }

    fn fn_document(&mut self, args: &[Expr], ctx: &Ctx) -> RtResult<Value> {
        let v = self.eval(&args[0], ctx)?;
        let base_override = match args.get(1) {
            Some(e) => {
                let ns = self.eval_nodes(e, ctx, "the second argument of document()")?;
                ns.first().map(|&n| self.doc(n.doc).base_uri.clone())
            }
            None => None,
        };
        let module_uri = self
            .ss
            .modules
            .get(self.loc.module as usize)
            .map(|m| m.uri.clone())
            .unwrap_or_default();
        let mut out = Vec::new();
        let refs: Vec<(String, String)> = match &v {
            Value::Nodes(ns) => ns
                .iter()
                .map(|&n| {
                    let base = base_override
                        .clone()
                        .unwrap_or_else(|| self.doc(n.doc).base_uri.clone());
                    (self.string_value(n), base)
                })
                .collect(),
            other => vec![(
                self.to_string(other),
                base_override.unwrap_or(module_uri.clone()),
            )],
        };
        for (r, base) in refs {
            let (r, fragment) = match r.split_once('#') {
                Some((a, f)) => (a.to_string(), Some(f.to_string())),
                None => (r, None),
            };
            // libxml2 cannot parse a URI reference with a raw space: no document.
            if r.contains(' ') {
                self.ctx.message(&format!(
                    "warning: document('{r}'): not a URI (a space must be written %20)"
                ));
                continue;
            }
            let slot = if r.is_empty() && base == module_uri {
                self.module_doc_slot(self.loc.module)
            } else {
                let uri = crate::uri::resolve(&r, &base);
                if let Some(m) = self.ss.modules.iter().position(|m| m.uri == uri) {
                    self.module_doc_slot(m as u32)
                } else {
                    match self.load_document(&uri) {
                        Ok(slot) => slot,
                        Err(msg) => {
                            // libxslt warns and continues with an empty node-set.
                            self.ctx
                                .message(&format!("warning: document('{uri}'): {msg}"));
                            continue;
                        }
                    }
                }
            };
            match fragment {
                None => out.push(NodeRef::new(slot, 0)),
                Some(f) => {
                    let found = self.xpointer(slot, &f);
                    out.extend(found);
                }
            }
        }
        sort_dedup(&mut out);
        Ok(Value::nodes(out))
    }

    /// The nodes a `document()` fragment identifier selects in document `slot`, as
    /// libxml2's XPointer: a bare name (an ID), `element(id/1/2)` or `element(/1/2)`
    /// (child sequences), or `xpointer(expr)`. Anything else selects nothing.
    fn xpointer(&mut self, slot: u32, f: &str) -> Vec<NodeRef> {
        let root = NodeRef::new(slot, 0);
        if let Some(expr) = f
            .strip_prefix("xpointer(")
            .and_then(|e| e.strip_suffix(')'))
        {
            let resolver = crate::compile::ns_resolver_from(&[]);
            let Ok(x) = crate::xpath::parse(expr, &mut self.names, &resolver) else {
                self.ctx
                    .message(&format!("warning: document(): invalid XPointer '{f}'"));
                return Vec::new();
            };
            let c = Ctx {
                node: root,
                pos: 1,
                size: 1,
            };
            return match self.eval(&x.expr, &c) {
                Ok(Value::Nodes(ns)) => ns.to_vec(),
                _ => Vec::new(),
            };
        }
        let (start, steps) = match f.strip_prefix("element(").and_then(|e| e.strip_suffix(')')) {
            Some(seq) => {
                let mut parts = seq.split('/');
                let first = parts.next().unwrap_or("");
                let start = if first.is_empty() {
                    Some(0)
                } else {
                    self.doc(slot).element_by_id(first)
                };
                (start, parts.collect::<Vec<_>>())
            }
            None => (self.doc(slot).element_by_id(f), Vec::new()),
        };
        let Some(mut cur) = start else {
            return Vec::new();
        };
        for step in steps {
            let Ok(k) = step.parse::<usize>() else {
                return Vec::new();
            };
            let d = self.doc(slot);
            let mut child = d.first_child(cur);
            let mut seen = 0;
            let mut found = None;
            while let Some(c) = child {
                if d.kind(c) == NodeKind::Element {
                    seen += 1;
                    if seen == k {
                        found = Some(c);
                        break;
                    }
                }
                child = d.next_sibling(c);
            }
            match found {
                Some(c) => cur = c,
                None => return Vec::new(),
            }
        }
        vec![NodeRef::new(slot, cur)]
    }

    pub fn load_document(&mut self, uri: &str) -> Result<u32, String> {
        if let Some(s) = self.doc_cache.get(uri) {
            return Ok(*s);
        }
        // Resolvers get the reference with %XX escapes decoded (a file name).
        let path = crate::uri::percent_decode(uri);
        let bytes = match self.ctx.resolver {
            Some(r) => r.load(&path)?,
            None => NoResolver.load(&path)?,
        };
        let d = self.parse_input(&bytes, uri).map_err(|e| e.to_string())?;
        let slot = self.add_doc(d);
        self.doc_cache.insert(uri.to_string(), slot);
        Ok(slot)
    }

    /// Parses an input document applying xsl:strip-space / xsl:preserve-space.
    pub fn parse_input(&mut self, bytes: &[u8], uri: &str) -> Result<Document, XsltError> {
        let rule = SpaceRules { ss: self.ss };
        let opts = crate::xmlparse::ParseOptions {
            base_uri: uri,
            strip: &rule,
            record_positions: false,
            honour_xml_space: false,
            resolver: self.ctx.resolver,
        };
        crate::xmlparse::parse_bytes(bytes, &mut self.names, &opts)
    }

    pub fn set_cur_xpath(&mut self, x: &XPath) {
        if self.cur_xpath.is_none() {
            self.cur_xpath = Some(x.text.clone());
        }
    }

    pub fn step_test(&self, n: NodeRef, step: &Step) -> bool {
        let principal = match step.axis {
            Axis::Attribute => NodeKind::Attribute,
            Axis::Namespace => NodeKind::Namespace,
            _ => NodeKind::Element,
        };
        match step.axis {
            Axis::Attribute => n.is_attr() && self.test_node(n, &step.test, principal),
            _ => {
                n.sub == 0
                    && self.kind(n) != NodeKind::Root
                    && self.test_node(n, &step.test, principal)
            }
        }
    }
}

struct SpaceRules<'a> {
    ss: &'a Stylesheet,
}

impl crate::xmlparse::StripRule for SpaceRules<'_> {
    fn strip(&self, names: &Interner, e: EName) -> bool {
        if self.ss.space_rules.is_empty() {
            return false;
        }
        let (ns, _) = names.ename_parts(e);
        // Best match: highest precedence, then priority (name 0 > ns:* -0.25 > * -0.5), then last.
        let mut best: Option<(u32, i32, usize, bool)> = None;
        for r in &self.ss.space_rules {
            let prio = match r.test {
                crate::compile::SpaceTest::Name(x) if x == e => 0,
                crate::compile::SpaceTest::Ns(x) if x == ns => -1,
                crate::compile::SpaceTest::Any => -2,
                _ => continue,
            };
            let key = (r.precedence, prio, r.order, r.strip);
            if best.is_none_or(|b| (key.0, key.1, key.2) > (b.0, b.1, b.2)) {
                best = Some(key);
            }
        }
        best.is_some_and(|b| b.3)
    }
}

fn swap_op(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        o => o,
    }
}

fn cmp_num(op: CmpOp, a: f64, b: f64) -> bool {
    match op {
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
    }
}

pub fn sort_dedup(v: &mut Vec<NodeRef>) {
    if !v.is_sorted_by(|a, b| a < b) {
        v.sort_unstable();
        v.dedup();
    }
}

fn merge_sorted(a: &[NodeRef], b: &[NodeRef]) -> Vec<NodeRef> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// XPath substring() with rounded start/length (NaN and infinities per spec).
fn substring(s: &str, start: f64, len: Option<f64>) -> String {
    let end = match len {
        Some(l) => start + l,
        None => f64::INFINITY,
    };
    if start.is_nan() || end.is_nan() {
        return String::new();
    }
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        let p = (i + 1) as f64;
        if p >= start && p < end {
            out.push(c);
        }
    }
    out
}
