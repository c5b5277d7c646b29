//! Instruction execution, template selection, sorting and numbering.

use crate::compile::{
    Avt, AvtPart, Body, Instr, Lre, NumberInstr, NumberLevel, Sort, VarDef, is_qname,
};
use crate::engine::{Ctx, Engine, Value, rt};
use crate::error::{RtError, RtResult, XsltError};
use crate::output::Sink;
use crate::pattern::{Anchor, PatAlt, PatStep, Pattern};
use crate::tree::{ATTR_BASE, Atom, EName, NodeKind, NodeRef};
use crate::xpath::{Axis, NodeTest};
use std::rc::Rc;

const K_ROOT: u8 = 0;
const K_ELEM: u8 = 1;
const K_ATTR: u8 = 2;
const K_TEXT: u8 = 3;
const K_COMMENT: u8 = 4;
const K_PI: u8 = 5;
const K_NS: u8 = 6;

impl<'s, 'c, 'a> Engine<'s, 'c, 'a> {
    // ------------------------------------------------------------ output helpers

    #[inline(never)]
    pub fn out_text(&mut self, s: &str, noesc: bool) -> RtResult<()> {
        let names = &mut self.names;
        match self.out.last_mut() {
            Some(Sink::Tree(t)) => t.text(names, s, noesc).map_err(RtError::Msg),
            Some(Sink::Text { buf, depth }) => {
                if *depth == 0 {
                    buf.push_str(s);
                }
                Ok(())
            }
            None => Ok(()),
        }
    }

    #[inline(never)]
    fn out_start(&mut self, e: EName, prefix: Atom) -> RtResult<()> {
        let names = &mut self.names;
        match self.out.last_mut() {
            Some(Sink::Tree(t)) => t.start_element(names, e, prefix).map_err(RtError::Msg),
            Some(Sink::Text { depth, .. }) => {
                *depth += 1;
                Ok(())
            }
            None => Ok(()),
        }
    }

    #[inline(never)]
    fn out_end(&mut self) -> RtResult<()> {
        let names = &mut self.names;
        match self.out.last_mut() {
            Some(Sink::Tree(t)) => t.end_element(names).map_err(RtError::Msg),
            Some(Sink::Text { depth, .. }) => {
                *depth = depth.saturating_sub(1);
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn out_ns(&mut self, p: Atom, u: Atom) {
        if let Some(Sink::Tree(t)) = self.out.last_mut() {
            t.namespace(p, u);
        }
    }

    #[inline(never)]
    fn out_attr(&mut self, e: EName, p: Atom, v: &str) -> RtResult<()> {
        if let Some(Sink::Tree(t)) = self.out.last_mut()
            && !t.attribute(e, p, v)
        {
            return rt(
                "cannot add an attribute here: the element already has children (or there is no element)",
            );
        }
        Ok(())
    }

    #[inline(never)]
    fn out_comment(&mut self, s: &str) -> RtResult<()> {
        let names = &mut self.names;
        if let Some(Sink::Tree(t)) = self.out.last_mut() {
            t.comment(names, s).map_err(RtError::Msg)?;
        }
        Ok(())
    }

    #[inline(never)]
    fn out_pi(&mut self, target: &str, s: &str) -> RtResult<()> {
        let names = &mut self.names;
        if let Some(Sink::Tree(t)) = self.out.last_mut() {
            t.pi(names, target, s).map_err(RtError::Msg)?;
        }
        Ok(())
    }

    /// Runs `body` capturing only its text (attribute values, comments, messages ...).
    #[inline(never)]
    fn body_to_string(&mut self, body: &'s Body, ctx: &Ctx) -> RtResult<String> {
        if body.is_empty() {
            return Ok(String::new());
        }
        if let [(Instr::Text(t, _), _)] = body.as_slice() {
            return Ok(t.to_string());
        }
        self.out.push(Sink::Text {
            buf: String::new(),
            depth: 0,
        });
        let r = self.exec_body(body, ctx);
        let s = match self.out.pop() {
            Some(Sink::Text { buf, .. }) => buf,
            _ => String::new(),
        };
        r?;
        Ok(s)
    }

    #[inline(never)]
    pub fn eval_avt(&mut self, avt: &'s Avt, ctx: &Ctx) -> RtResult<String> {
        match avt {
            Avt::Static(s) => Ok(s.to_string()),
            Avt::Parts(parts) => {
                let mut s = String::new();
                for p in parts {
                    match p {
                        AvtPart::Lit(l) => s.push_str(l),
                        AvtPart::Expr(x) => {
                            let v = self.eval_xpath(x, ctx)?;
                            match &v {
                                Value::Str(t) => s.push_str(t),
                                Value::Nodes(n) => {
                                    if let Some(&f) = n.first() {
                                        self.string_value_into(f, &mut s);
                                    }
                                }
                                other => s.push_str(&self.to_string(other)),
                            }
                        }
                    }
                }
                Ok(s)
            }
        }
    }

    // ------------------------------------------------------------ bodies

    pub fn exec_body(&mut self, body: &'s Body, ctx: &Ctx) -> RtResult<()> {
        let mark = self.vars.len();
        let tmark = self.temp_docs.len();
        let mut r = Ok(());
        for (instr, loc) in body {
            self.loc = *loc;
            if let Err(e) = self.exec_instr(instr, ctx) {
                r = Err(e);
                break;
            }
        }
        self.vars.truncate(mark);
        if r.is_ok() {
            self.free_temp_docs(tmark);
        }
        r
    }

    fn exec_instr(&mut self, instr: &'s Instr, ctx: &Ctx) -> RtResult<()> {
        match instr {
            Instr::Text(t, doe) => self.out_text(t, *doe),
            Instr::ValueOf(..) => self.i_value_of(instr, ctx),
            Instr::Lre(l) => self.exec_lre(l, ctx),
            Instr::ApplyTemplates { .. } => self.i_apply_templates(instr, ctx),
            Instr::CallTemplate { .. } => self.i_call_template(instr, ctx),
            Instr::ApplyImports => self.i_apply_imports(instr, ctx),
            Instr::ForEach { .. } => self.i_for_each(instr, ctx),
            Instr::If(..) => self.i_if(instr, ctx),
            Instr::Choose(..) => self.i_choose(instr, ctx),
            Instr::Variable(..) => self.i_variable(instr, ctx),
            Instr::Element { .. } => self.i_element(instr, ctx),
            Instr::Attribute { .. } => self.i_attribute(instr, ctx),
            Instr::Comment(..) => self.i_comment(instr, ctx),
            Instr::PI(..) => self.i_p_i(instr, ctx),
            Instr::Copy(use_sets, body) => self.exec_copy(use_sets, body, ctx),
            Instr::CopyOf(..) => self.i_copy_of(instr, ctx),
            Instr::Number(n) => self.exec_number(n, ctx),
            Instr::Message(..) => self.i_message(instr, ctx),
            Instr::Unknown { .. } => self.i_unknown(instr, ctx),
            Instr::FuncResult(v) => {
                let value = self.eval_var_value(v, ctx)?;
                self.set_func_result(value);
                Ok(())
            }
        }
    }

    #[inline(never)]
    fn i_value_of(&mut self, instr: &'s Instr, ctx: &Ctx) -> RtResult<()> {
        let Instr::ValueOf(x, doe) = instr else {
            return Ok(());
        };
        {
            let v = self.eval_xpath(x, ctx)?;
            match &v {
                Value::Str(s) => self.out_text(s, *doe),
                Value::Nodes(n) => match n.first() {
                    Some(&f) => {
                        if let Some(s) = self.string_value_ref(f) {
                            // Borrow ends before the mutable output call by copying small strings.
                            let s = s.to_string();
                            self.out_text(&s, *doe)
                        } else {
                            let s = self.string_value(f);
                            self.out_text(&s, *doe)
                        }
                    }
                    None => Ok(()),
                },
                other => {
                    let s = self.to_string(other);
                    self.out_text(&s, *doe)
                }
            }
        }
    }

    #[inline(never)]
    fn i_apply_templates(&mut self, instr: &'s Instr, ctx: &Ctx) -> RtResult<()> {
        let Instr::ApplyTemplates {
            select,
            mode,
            sorts,
            params,
        } = instr
        else {
            return Ok(());
        };
        {
            let nodes: Rc<Vec<NodeRef>> = match select {
                Some(x) => {
                    let v = self.eval_xpath(x, ctx)?;
                    match v {
                        Value::Nodes(n) => n,
                        other => {
                            self.set_cur_xpath(x);
                            return rt(format!(
                                "xsl:apply-templates select must give a node-set, not a {}",
                                other.type_name()
                            ));
                        }
                    }
                }
                None => {
                    let mut v = Vec::new();
                    self.axis_collect(ctx.node, Axis::Child, &NodeTest::Node, &mut v);
                    Rc::new(v)
                }
            };
            let pvals = self.eval_params(params, ctx)?;
            let nodes = if sorts.is_empty() {
                nodes
            } else {
                Rc::new(self.sort_nodes(&nodes, sorts)?)
            };
            self.apply_templates(&nodes, *mode, &pvals)
        }
    }

    #[inline(never)]
    fn i_call_template(&mut self, instr: &'s Instr, ctx: &Ctx) -> RtResult<()> {
        let Instr::CallTemplate {
            name,
            display,
            params,
        } = instr
        else {
            return Ok(());
        };
        {
            let Some(&t) = self.ss.named.get(name) else {
                return rt(format!("no template named '{display}'"));
            };
            let pvals = self.eval_params(params, ctx)?;
            let mode = self.cur_mode;
            self.invoke_template(t, ctx, &pvals, mode, false)
        }
    }

    #[inline(never)]
    fn i_apply_imports(&mut self, instr: &'s Instr, ctx: &Ctx) -> RtResult<()> {
        let Instr::ApplyImports = instr else {
            return Ok(());
        };
        {
            let Some(t) = self.cur_rule else {
                return rt(
                    "xsl:apply-imports used where there is no current template rule \
                     (outside a template rule, or inside xsl:for-each)",
                );
            };
            let tpl = &self.ss.templates[t];
            let (floor, prec) = (tpl.import_floor, tpl.precedence);
            let node = ctx.node;
            let mode = self.cur_mode;
            match self.find_template(node, mode, Some((floor, prec)))? {
                Some(t2) => self.invoke_template(t2, ctx, &[], mode, true),
                None => self.builtin_rule(ctx, mode),
            }
        }
    }

    #[inline(never)]
    fn i_for_each(&mut self, instr: &'s Instr, ctx: &Ctx) -> RtResult<()> {
        let Instr::ForEach {
            select,
            sorts,
            body,
        } = instr
        else {
            return Ok(());
        };
        {
            let v = self.eval_xpath(select, ctx)?;
            let nodes = match v {
                Value::Nodes(n) => n,
                other => {
                    self.set_cur_xpath(select);
                    return rt(format!(
                        "xsl:for-each select must give a node-set, not a {}",
                        other.type_name()
                    ));
                }
            };
            let nodes = if sorts.is_empty() {
                nodes
            } else {
                Rc::new(self.sort_nodes(&nodes, sorts)?)
            };
            let saved = self.current;
            let saved_rule = self.cur_rule.take();
            let size = nodes.len();
            let mut r = Ok(());
            for (i, &n) in nodes.iter().enumerate() {
                self.current = n;
                let c = Ctx {
                    node: n,
                    pos: i + 1,
                    size,
                };
                if let Err(e) = self.exec_body(body, &c) {
                    r = Err(e);
                    break;
                }
            }
            self.cur_rule = saved_rule;
            if r.is_ok() {
                self.current = saved;
            }
            r
        }
    }

    #[inline(never)]
    fn i_if(&mut self, instr: &'s Instr, ctx: &Ctx) -> RtResult<()> {
        let Instr::If(test, body) = instr else {
            return Ok(());
        };
        if self.eval_test(test, ctx)? {
            self.exec_body(body, ctx)?;
        }
        Ok(())
    }

    #[inline(never)]
    fn i_choose(&mut self, instr: &'s Instr, ctx: &Ctx) -> RtResult<()> {
        let Instr::Choose(whens, otherwise) = instr else {
            return Ok(());
        };
        {
            for (test, body) in whens {
                if self.eval_test(test, ctx)? {
                    return self.exec_body(body, ctx);
                }
            }
            if let Some(b) = otherwise {
                self.exec_body(b, ctx)?;
            }
            Ok(())
        }
    }

    #[inline(never)]
    fn i_variable(&mut self, instr: &'s Instr, ctx: &Ctx) -> RtResult<()> {
        let Instr::Variable(def) = instr else {
            return Ok(());
        };
        {
            let v = self.eval_var_value(&def.value, ctx)?;
            self.vars.push((def.name, v));
            Ok(())
        }
    }

    #[inline(never)]
    fn i_element(&mut self, instr: &'s Instr, ctx: &Ctx) -> RtResult<()> {
        let Instr::Element {
            name,
            namespace,
            ns_ctx,
            use_sets,
            body,
        } = instr
        else {
            return Ok(());
        };
        {
            let qn = self.eval_avt(name, ctx)?;
            let qn = qn.trim().to_string();
            if !is_qname(&qn) {
                return rt(format!("xsl:element: '{qn}' is not a valid element name"));
            }
            let (prefix, local) = match qn.split_once(':') {
                Some((p, l)) => (p.to_string(), l.to_string()),
                None => (String::new(), qn.clone()),
            };
            let uri = match namespace {
                Some(n) => self.eval_avt(n, ctx)?,
                None => match self.lookup_ns(*ns_ctx, &prefix) {
                    Some(u) => u,
                    None => {
                        return rt(format!(
                            "xsl:element: the prefix '{prefix}' of '{qn}' has no namespace binding in scope"
                        ));
                    }
                },
            };
            let e = self.names.ename_str(&uri, &local);
            let p = if uri.is_empty() {
                0
            } else {
                self.names.atom(&prefix)
            };
            self.out_start(e, p)?;
            self.apply_attribute_sets(use_sets, ctx, 0)?;
            self.exec_body(body, ctx)?;
            self.out_end()
        }
    }

    #[inline(never)]
    fn i_attribute(&mut self, instr: &'s Instr, ctx: &Ctx) -> RtResult<()> {
        let Instr::Attribute {
            name,
            namespace,
            ns_ctx,
            body,
        } = instr
        else {
            return Ok(());
        };
        {
            let qn = self.eval_avt(name, ctx)?;
            let qn = qn.trim().to_string();
            if !is_qname(&qn) || qn == "xmlns" {
                return rt(format!(
                    "xsl:attribute: '{qn}' is not a valid attribute name"
                ));
            }
            let (mut prefix, local) = match qn.split_once(':') {
                Some((p, l)) => (p.to_string(), l.to_string()),
                None => (String::new(), qn.clone()),
            };
            let uri = match namespace {
                Some(n) => self.eval_avt(n, ctx)?,
                None => {
                    if prefix.is_empty() {
                        String::new()
                    } else {
                        match self.lookup_ns(*ns_ctx, &prefix) {
                            Some(u) => u,
                            None => {
                                return rt(format!(
                                    "xsl:attribute: the prefix '{prefix}' of '{qn}' has no namespace binding in scope"
                                ));
                            }
                        }
                    }
                }
            };
            if prefix == "xmlns" {
                prefix.clear();
            }
            let value = self.body_to_string(body, ctx)?;
            let e = self.names.ename_str(&uri, &local);
            let p = if uri.is_empty() {
                0
            } else {
                self.names.atom(&prefix)
            };
            self.out_attr(e, p, &value)
        }
    }

    #[inline(never)]
    fn i_comment(&mut self, instr: &'s Instr, ctx: &Ctx) -> RtResult<()> {
        let Instr::Comment(body) = instr else {
            return Ok(());
        };
        {
            let s = self.body_to_string(body, ctx)?;
            // libxslt rejects these rather than repairing them.
            if s.contains("--") || s.ends_with('-') {
                return rt("xsl:comment: '--' or ending '-' not allowed in comment");
            }
            self.out_comment(&s)
        }
    }

    #[inline(never)]
    fn i_p_i(&mut self, instr: &'s Instr, ctx: &Ctx) -> RtResult<()> {
        let Instr::PI(name, body) = instr else {
            return Ok(());
        };
        {
            let n = self.eval_avt(name, ctx)?;
            let n = n.trim().to_string();
            if !crate::compile::is_ncname(&n) || n.eq_ignore_ascii_case("xml") {
                return rt(format!("xsl:processing-instruction: invalid name '{n}'"));
            }
            let s = self.body_to_string(body, ctx)?;
            if s.contains("?>") {
                return rt("xsl:processing-instruction: '?>' not allowed within PI content");
            }
            self.out_pi(&n, &s)
        }
    }

    #[inline(never)]
    fn i_copy_of(&mut self, instr: &'s Instr, ctx: &Ctx) -> RtResult<()> {
        let Instr::CopyOf(x) = instr else {
            return Ok(());
        };
        {
            let v = self.eval_xpath(x, ctx)?;
            match v {
                Value::Nodes(ns) => {
                    for &n in ns.iter() {
                        self.copy_node(n, true)?;
                    }
                    Ok(())
                }
                Value::Rtf(d) => self.copy_node(NodeRef::new(d, 0), true),
                other => {
                    let s = self.to_string(&other);
                    self.out_text(&s, false)
                }
            }
        }
    }

    #[inline(never)]
    fn i_message(&mut self, instr: &'s Instr, ctx: &Ctx) -> RtResult<()> {
        let Instr::Message(terminate, body) = instr else {
            return Ok(());
        };
        {
            let s = self.body_to_string(body, ctx)?;
            if *terminate {
                return Err(RtError::from(XsltError::Terminated { message: s }));
            }
            self.ctx.message(&s);
            Ok(())
        }
    }

    #[inline(never)]
    fn i_unknown(&mut self, instr: &'s Instr, ctx: &Ctx) -> RtResult<()> {
        let Instr::Unknown { name, fallback } = instr else {
            return Ok(());
        };
        match fallback {
            Some(b) => self.exec_body(b, ctx),
            None => rt(format!(
                "unsupported instruction <{name}> (extension element without xsl:fallback)"
            )),
        }
    }

    fn lookup_ns(&self, ns_ctx: u32, prefix: &str) -> Option<String> {
        if prefix == "xml" {
            return Some(crate::tree::XML_NS.to_string());
        }
        let scope = self.ss.ns_contexts.get(ns_ctx as usize)?;
        match scope.iter().find(|(p, _)| &**p == prefix) {
            Some((_, u)) => Some(u.to_string()),
            None if prefix.is_empty() => Some(String::new()),
            None => None,
        }
    }

    fn exec_lre(&mut self, l: &'s Lre, ctx: &Ctx) -> RtResult<()> {
        self.out_start(l.name, l.prefix)?;
        for &(p, u) in &l.ns_decls {
            self.out_ns(p, u);
        }
        if l.top_level
            && let Some(t) = self.cur_template
        {
            let inherited = &self.ss.templates[t].inherited_ns;
            for &(p, u) in inherited {
                self.out_ns(p, u);
            }
        }
        if !l.use_sets.is_empty() {
            self.apply_attribute_sets(&l.use_sets, ctx, 0)?;
        }
        for (e, p, avt) in &l.attrs {
            let v = self.eval_avt(avt, ctx)?;
            self.out_attr(*e, *p, &v)?;
        }
        self.exec_body(&l.body, ctx)?;
        self.out_end()
    }

    #[inline(never)]
    fn apply_attribute_sets(&mut self, sets: &[EName], ctx: &Ctx, depth: usize) -> RtResult<()> {
        if depth > 50 {
            return rt("attribute sets use each other recursively");
        }
        for name in sets {
            let Some(defs) = self.ss.attribute_sets.get(name) else {
                let (_, l) = self.names.ename_parts(*name);
                return rt(format!("unknown attribute set '{}'", self.names.str(l)));
            };
            for def in defs {
                self.apply_attribute_sets(&def.use_sets, ctx, depth + 1)?;
                // Attribute sets see only global variables.
                let saved = self.frame;
                self.frame = self.vars.len();
                let r = self.exec_body(&def.attrs, ctx);
                self.frame = saved;
                r?;
            }
        }
        Ok(())
    }

    fn exec_copy(&mut self, use_sets: &[EName], body: &'s Body, ctx: &Ctx) -> RtResult<()> {
        let n = ctx.node;
        match self.kind(n) {
            NodeKind::Root => self.exec_body(body, ctx),
            NodeKind::Element => {
                let d = self.doc(n.doc);
                let (e, p) = (d.ename(n.idx), d.prefix(n.idx));
                let decls = d.ns_declared(n.idx);
                self.out_start(e, p)?;
                for (p, u) in decls {
                    self.out_ns(p, u);
                }
                self.apply_attribute_sets(use_sets, ctx, 0)?;
                self.exec_body(body, ctx)?;
                self.out_end()
            }
            NodeKind::Attribute => {
                let d = self.doc(n.doc);
                if let Some(a) = d.attr(n.idx, n.sub - ATTR_BASE) {
                    let (e, p) = (a.ename, a.prefix);
                    let v = d.attr_value(a).to_string();
                    self.out_attr(e, p, &v)?;
                }
                Ok(())
            }
            NodeKind::Text => {
                let s = self.string_value(n);
                let flags = self.doc(n.doc).ename(n.idx);
                self.out_text(&s, flags & crate::output::TEXT_NOESC != 0)
            }
            NodeKind::Comment => {
                let s = self.string_value(n);
                self.out_comment(&s)
            }
            NodeKind::PI => {
                let d = self.doc(n.doc);
                let t = self.names.local_of(d.ename(n.idx)).to_string();
                let s = d.text_of(n.idx).to_string();
                self.out_pi(&t, &s)
            }
            NodeKind::Namespace => {
                if let Some((_, p, _)) = self.name_parts(n) {
                    let u = self.string_value(n);
                    let ua = self.names.atom(&u);
                    self.out_ns(p, ua);
                }
                Ok(())
            }
        }
    }

    /// Deep copy (xsl:copy-of).
    #[inline(never)]
    pub fn copy_node(&mut self, n: NodeRef, top: bool) -> RtResult<()> {
        match self.kind(n) {
            NodeKind::Root => {
                let d = self.doc(n.doc);
                let mut c = d.first_child(n.idx);
                let mut kids = Vec::new();
                while let Some(i) = c {
                    kids.push(i);
                    c = self.doc(n.doc).next_sibling(i);
                }
                for i in kids {
                    self.copy_node(NodeRef::new(n.doc, i), true)?;
                }
                Ok(())
            }
            NodeKind::Element => {
                let d = self.doc(n.doc);
                let (e, p) = (d.ename(n.idx), d.prefix(n.idx));
                let ns: Vec<(Atom, Atom)> = if top {
                    d.ns_scope(n.idx)
                        .iter()
                        .filter(|(p, _)| *p != 1)
                        .copied()
                        .collect()
                } else {
                    d.ns_declared(n.idx)
                };
                let attrs: Vec<(EName, Atom, String)> = d
                    .attr_range(n.idx)
                    .map(|k| {
                        let a = &d.attrs[k];
                        (a.ename, a.prefix, d.attr_value(a).to_string())
                    })
                    .collect();
                let end = d.subtree_end(n.idx);
                let has_children = d.first_child(n.idx).is_some();
                self.out_start(e, p)?;
                for (p, u) in ns {
                    self.out_ns(p, u);
                }
                for (e, p, v) in attrs {
                    self.out_attr(e, p, &v)?;
                }
                if has_children {
                    // Iterative copy of the subtree (no recursion per level).
                    self.copy_subtree(n.doc, n.idx, end)?;
                }
                self.out_end()
            }
            NodeKind::Attribute => {
                let d = self.doc(n.doc);
                if let Some(a) = d.attr(n.idx, n.sub - ATTR_BASE) {
                    let (e, p) = (a.ename, a.prefix);
                    let v = d.attr_value(a).to_string();
                    self.out_attr(e, p, &v)?;
                }
                Ok(())
            }
            NodeKind::Namespace => {
                if let Some((_, p, _)) = self.name_parts(n) {
                    let u = self.string_value(n);
                    let ua = self.names.atom(&u);
                    self.out_ns(p, ua);
                }
                Ok(())
            }
            NodeKind::Text | NodeKind::Comment | NodeKind::PI => self.copy_leaf(n.doc, n.idx),
        }
    }

    fn copy_leaf(&mut self, doc: u32, i: u32) -> RtResult<()> {
        let d = self.doc(doc);
        match d.kind(i) {
            NodeKind::Text => {
                let flags = d.ename(i);
                let s = d.text_of(i).to_string();
                self.out_text(&s, flags & crate::output::TEXT_NOESC != 0)
            }
            NodeKind::Comment => {
                let s = d.text_of(i).to_string();
                self.out_comment(&s)
            }
            NodeKind::PI => {
                let t = self.names.local_of(d.ename(i)).to_string();
                let s = d.text_of(i).to_string();
                self.out_pi(&t, &s)
            }
            _ => Ok(()),
        }
    }

    /// Copies the descendants of `root` (indices root+1..end) in document order.
    fn copy_subtree(&mut self, doc: u32, root: u32, end: u32) -> RtResult<()> {
        let mut open: Vec<u32> = vec![root];
        let mut i = root + 1;
        while i < end {
            let d = self.doc(doc);
            let parent = d.parent(i).unwrap_or(0);
            while open.last().is_some_and(|&o| o != parent) && open.len() > 1 {
                open.pop();
                self.out_end()?;
            }
            let d = self.doc(doc);
            if d.kind(i) == NodeKind::Element {
                let (e, p) = (d.ename(i), d.prefix(i));
                let ns = d.ns_declared(i);
                let attrs: Vec<(EName, Atom, String)> = d
                    .attr_range(i)
                    .map(|k| {
                        let a = &d.attrs[k];
                        (a.ename, a.prefix, d.attr_value(a).to_string())
                    })
                    .collect();
                self.out_start(e, p)?;
                for (p, u) in ns {
                    self.out_ns(p, u);
                }
                for (e, p, v) in attrs {
                    self.out_attr(e, p, &v)?;
                }
                open.push(i);
            } else {
                self.copy_leaf(doc, i)?;
            }
            i += 1;
        }
        while open.len() > 1 {
            open.pop();
            self.out_end()?;
        }
        Ok(())
    }

    // ------------------------------------------------------------ templates

    #[inline(never)]
    fn eval_params(&mut self, params: &'s [VarDef], ctx: &Ctx) -> RtResult<Vec<(EName, Value)>> {
        let mut out = Vec::with_capacity(params.len());
        for p in params {
            self.loc = p.loc;
            let v = self.eval_var_value(&p.value, ctx)?;
            out.push((p.name, v));
        }
        Ok(out)
    }

    pub fn apply_templates(
        &mut self,
        nodes: &[NodeRef],
        mode: Option<EName>,
        params: &[(EName, Value)],
    ) -> RtResult<()> {
        let size = nodes.len();
        let saved = self.current;
        for (i, &n) in nodes.iter().enumerate() {
            let ctx = Ctx {
                node: n,
                pos: i + 1,
                size,
            };
            match self.find_template(n, mode, None)? {
                Some(t) => self.invoke_template(t, &ctx, params, mode, true)?,
                None => {
                    self.current = n;
                    self.builtin_rule(&ctx, mode)?;
                }
            }
        }
        self.current = saved;
        Ok(())
    }

    fn builtin_rule(&mut self, ctx: &Ctx, mode: Option<EName>) -> RtResult<()> {
        let n = ctx.node;
        match self.kind(n) {
            NodeKind::Root | NodeKind::Element => {
                let mut kids = Vec::new();
                self.axis_collect(n, Axis::Child, &NodeTest::Node, &mut kids);
                self.depth += 1;
                if self.depth > self.max_depth {
                    self.depth -= 1;
                    return rt(format!(
                        "template nesting deeper than {} levels (infinite recursion?)",
                        self.max_depth
                    ));
                }
                let r = self.apply_templates(&kids, mode, &[]);
                self.depth -= 1;
                r
            }
            NodeKind::Text | NodeKind::Attribute => {
                let s = self.string_value(n);
                let flags = if n.sub == 0 {
                    self.doc(n.doc).ename(n.idx)
                } else {
                    0
                };
                self.out_text(
                    &s,
                    self.doc(n.doc).is_rtf && flags & crate::output::TEXT_NOESC != 0,
                )
            }
            _ => Ok(()),
        }
    }

    pub fn invoke_template(
        &mut self,
        t: usize,
        ctx: &Ctx,
        params: &[(EName, Value)],
        mode: Option<EName>,
        as_rule: bool,
    ) -> RtResult<()> {
        let tpl = &self.ss.templates[t];
        self.check_stack()?;
        self.depth += 1;
        if self.depth > self.max_depth {
            self.depth -= 1;
            return rt(format!(
                "template nesting deeper than {} levels (infinite recursion?) while instantiating {}",
                self.max_depth, tpl.desc
            ));
        }
        let saved_frame = self.frame;
        let saved_current = self.current;
        let saved_tmpl = self.cur_template;
        let saved_rule = self.cur_rule;
        let saved_mode = self.cur_mode;
        let base = self.vars.len();
        self.frame = base;
        self.current = ctx.node;
        self.cur_template = Some(t);
        if as_rule {
            self.cur_rule = Some(t);
        }
        self.cur_mode = mode;
        let mut r: RtResult<()> = Ok(());
        for p in &tpl.params {
            match params.iter().find(|(n, _)| *n == p.name) {
                Some((_, v)) => self.vars.push((p.name, v.clone())),
                None => {
                    self.loc = p.loc;
                    match self.eval_var_value(&p.value, ctx) {
                        Ok(v) => self.vars.push((p.name, v)),
                        Err(e) => {
                            r = Err(e);
                            break;
                        }
                    }
                }
            }
        }
        if r.is_ok() {
            r = self.exec_body(&tpl.body, ctx);
        }
        if let Err(RtError::Msg(m)) = r {
            r = Err(self.wrap_template_error(t, m));
        }
        self.vars.truncate(base);
        self.frame = saved_frame;
        self.current = saved_current;
        self.cur_template = saved_tmpl;
        self.cur_rule = saved_rule;
        self.cur_mode = saved_mode;
        self.depth -= 1;
        r
    }

    #[cold]
    #[inline(never)]
    fn wrap_template_error(&mut self, t: usize, m: String) -> RtError {
        let xp = self.cur_xpath.take();
        RtError::from(XsltError::Dynamic {
            template: self.ss.templates[t].desc.clone(),
            xpath: xp.map(|x| x.to_string()),
            location: Some(self.loc_string(self.loc)),
            message: m,
        })
    }

    #[inline(never)]
    fn eval_test(&mut self, x: &'s crate::xpath::XPath, ctx: &Ctx) -> RtResult<bool> {
        let v = self.eval_xpath(x, ctx)?;
        Ok(self.to_bool(&v))
    }

    fn kind_key(&self, n: NodeRef) -> (u8, EName) {
        match self.kind(n) {
            NodeKind::Root => (K_ROOT, 0),
            NodeKind::Element => (K_ELEM, self.doc(n.doc).ename(n.idx)),
            NodeKind::Attribute => {
                let e = self
                    .doc(n.doc)
                    .attr(n.idx, n.sub - ATTR_BASE)
                    .map(|a| a.ename)
                    .unwrap_or(0);
                (K_ATTR, e)
            }
            NodeKind::Text => (K_TEXT, 0),
            NodeKind::Comment => (K_COMMENT, 0),
            NodeKind::PI => (K_PI, 0),
            NodeKind::Namespace => (K_NS, 0),
        }
    }

    /// Candidate template alternatives for a node kind/name, best first.
    fn candidates(
        &mut self,
        mode: Option<EName>,
        kind: u8,
        ename: EName,
    ) -> crate::engine::Candidates {
        if let Some(c) = self.template_cache.get(&(mode, kind, ename)) {
            return c.clone();
        }
        let mut v: Vec<(usize, usize, f64, u32)> = Vec::new();
        for (ti, t) in self.ss.templates.iter().enumerate() {
            if t.mode != mode {
                continue;
            }
            let Some(p) = &t.pattern else { continue };
            for (ai, alt) in p.alts.iter().enumerate() {
                if alt_may_match(alt, kind, ename) {
                    let prio = t.priority.unwrap_or(alt.default_priority);
                    v.push((ti, ai, prio, t.precedence));
                }
            }
        }
        // Highest precedence, then priority, then last in the stylesheet.
        v.sort_by(|a, b| {
            b.3.cmp(&a.3)
                .then(b.2.partial_cmp(&a.2).unwrap_or(std::cmp::Ordering::Equal))
                .then(b.0.cmp(&a.0))
                .then(b.1.cmp(&a.1))
        });
        let rc = Rc::new(
            v.into_iter()
                .map(|(a, b, c, _)| (a, b, c))
                .collect::<Vec<_>>(),
        );
        self.template_cache.insert((mode, kind, ename), rc.clone());
        rc
    }

    #[inline(never)]
    pub fn find_template(
        &mut self,
        n: NodeRef,
        mode: Option<EName>,
        range: Option<(u32, u32)>,
    ) -> RtResult<Option<usize>> {
        let (kind, ename) = self.kind_key(n);
        let cands = self.candidates(mode, kind, ename);
        for &(ti, ai, _) in cands.iter() {
            let t = &self.ss.templates[ti];
            if let Some((floor, prec)) = range
                && (t.precedence < floor || t.precedence >= prec)
            {
                continue;
            }
            let Some(p) = &t.pattern else { continue };
            let Some(alt) = p.alts.get(ai) else { continue };
            let saved = self.static_ns;
            self.static_ns = p.ns;
            let m = self.alt_matches(alt, n);
            self.static_ns = saved;
            if m? {
                return Ok(Some(ti));
            }
        }
        Ok(None)
    }

    pub fn pattern_matches(&mut self, p: &'s Pattern, n: NodeRef) -> RtResult<bool> {
        let saved = self.static_ns;
        self.static_ns = p.ns;
        let mut r = Ok(false);
        for alt in &p.alts {
            match self.alt_matches(alt, n) {
                Ok(false) => {}
                other => {
                    r = other;
                    break;
                }
            }
        }
        self.static_ns = saved;
        r
    }

    fn alt_matches(&mut self, alt: &'s PatAlt, n: NodeRef) -> RtResult<bool> {
        if alt.steps.is_empty() {
            return match &alt.anchor {
                Anchor::Root => Ok(self.kind(n) == NodeKind::Root),
                Anchor::Call(e) => {
                    let ctx = Ctx {
                        node: n,
                        pos: 1,
                        size: 1,
                    };
                    let v = self.eval(e, &ctx)?;
                    Ok(matches!(v, Value::Nodes(ns) if ns.binary_search(&n).is_ok()))
                }
                Anchor::None => Ok(false),
            };
        }
        self.match_from(alt, alt.steps.len() - 1, n)
    }

    fn match_from(&mut self, alt: &'s PatAlt, k: usize, n: NodeRef) -> RtResult<bool> {
        let ps = &alt.steps[k];
        if !self.step_test(n, &ps.step) {
            return Ok(false);
        }
        if !ps.step.preds.is_empty() && !self.pattern_preds(ps, n)? {
            return Ok(false);
        }
        let parent = self.parent(n);
        if k == 0 {
            return match &alt.anchor {
                Anchor::None => Ok(parent.is_some()),
                Anchor::Root => Ok(parent.is_some_and(|p| self.kind(p) == NodeKind::Root)),
                Anchor::Call(e) => {
                    let ctx = Ctx {
                        node: n,
                        pos: 1,
                        size: 1,
                    };
                    let v = self.eval(e, &ctx)?;
                    let Value::Nodes(set) = v else {
                        return Ok(false);
                    };
                    if alt.anchor_desc {
                        let mut cur = parent;
                        while let Some(p) = cur {
                            if set.binary_search(&p).is_ok() {
                                return Ok(true);
                            }
                            cur = self.parent(p);
                        }
                        Ok(false)
                    } else {
                        Ok(parent.is_some_and(|p| set.binary_search(&p).is_ok()))
                    }
                }
            };
        }
        if ps.desc_before {
            let mut cur = parent;
            while let Some(p) = cur {
                if self.match_from(alt, k - 1, p)? {
                    return Ok(true);
                }
                cur = self.parent(p);
            }
            Ok(false)
        } else {
            match parent {
                Some(p) => self.match_from(alt, k - 1, p),
                None => Ok(false),
            }
        }
    }

    fn pattern_preds(&mut self, ps: &'s PatStep, n: NodeRef) -> RtResult<bool> {
        if !ps.positional {
            let ctx = Ctx {
                node: n,
                pos: 1,
                size: 1,
            };
            for p in &ps.step.preds {
                let v = self.eval(p, &ctx)?;
                if !self.to_bool(&v) {
                    return Ok(false);
                }
            }
            return Ok(true);
        }
        let Some(parent) = self.parent(n) else {
            return Ok(false);
        };
        let axis = if n.is_attr() {
            Axis::Attribute
        } else {
            Axis::Child
        };
        let mut list = Vec::new();
        self.axis_collect(parent, axis, &ps.step.test, &mut list);
        for p in &ps.step.preds {
            let size = list.len();
            let mut out = Vec::with_capacity(size);
            for (i, &m) in list.iter().enumerate() {
                let ctx = Ctx {
                    node: m,
                    pos: i + 1,
                    size,
                };
                let v = self.eval(p, &ctx)?;
                let keep = match v {
                    Value::Num(x) => x == (i + 1) as f64,
                    other => self.to_bool(&other),
                };
                if keep {
                    out.push(m);
                }
            }
            list = out;
        }
        Ok(list.contains(&n))
    }

    // ------------------------------------------------------------ sorting

    #[inline(never)]
    fn sort_nodes(&mut self, nodes: &[NodeRef], sorts: &'s [Sort]) -> RtResult<Vec<NodeRef>> {
        enum Key {
            Num(f64),
            Text(String),
        }
        struct Spec {
            numeric: bool,
            desc: bool,
            upper_first: Option<bool>,
        }
        let ctx0 = Ctx {
            node: nodes.first().copied().unwrap_or(self.current),
            pos: 1,
            size: nodes.len(),
        };
        let mut specs = Vec::new();
        for s in sorts {
            let dt = match &s.data_type {
                Some(a) => self.eval_avt(a, &ctx0)?,
                None => "text".into(),
            };
            let order = match &s.order {
                Some(a) => self.eval_avt(a, &ctx0)?,
                None => "ascending".into(),
            };
            let co = match &s.case_order {
                Some(a) => Some(self.eval_avt(a, &ctx0)? == "upper-first"),
                None => None,
            };
            if order != "ascending" && order != "descending" {
                return rt(format!(
                    "xsl:sort: order must be ascending or descending, not '{order}'"
                ));
            }
            specs.push(Spec {
                numeric: dt == "number",
                desc: order == "descending",
                upper_first: co,
            });
        }
        let saved = self.current;
        let size = nodes.len();
        let mut keyed: Vec<(Vec<Key>, usize)> = Vec::with_capacity(size);
        for (i, &n) in nodes.iter().enumerate() {
            self.current = n;
            let ctx = Ctx {
                node: n,
                pos: i + 1,
                size,
            };
            let mut ks = Vec::with_capacity(sorts.len());
            for (s, sp) in sorts.iter().zip(&specs) {
                let v = self.eval_xpath(&s.select, &ctx)?;
                ks.push(if sp.numeric {
                    Key::Num(self.to_num(&v))
                } else {
                    Key::Text(self.to_string(&v))
                });
            }
            keyed.push((ks, i));
        }
        self.current = saved;
        keyed.sort_by(|a, b| {
            for (k, sp) in specs.iter().enumerate() {
                let o = match (&a.0[k], &b.0[k]) {
                    (Key::Num(x), Key::Num(y)) => {
                        // NaN sorts first (libxslt).
                        match (x.is_nan(), y.is_nan()) {
                            (true, true) => std::cmp::Ordering::Equal,
                            (true, false) => std::cmp::Ordering::Less,
                            (false, true) => std::cmp::Ordering::Greater,
                            _ => x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal),
                        }
                    }
                    (Key::Text(x), Key::Text(y)) => text_cmp(x, y, sp.upper_first),
                    _ => std::cmp::Ordering::Equal,
                };
                let o = if sp.desc { o.reverse() } else { o };
                if o != std::cmp::Ordering::Equal {
                    return o;
                }
            }
            a.1.cmp(&b.1)
        });
        Ok(keyed.into_iter().map(|(_, i)| nodes[i]).collect())
    }

    // ------------------------------------------------------------ xsl:number

    #[inline(never)]
    fn exec_number(&mut self, ni: &'s NumberInstr, ctx: &Ctx) -> RtResult<()> {
        let nums: Vec<f64> = if let Some(v) = &ni.value {
            let x = self.eval_xpath(v, ctx)?;
            let n = self.to_num(&x);
            vec![crate::numfmt::xpath_round(n)]
        } else {
            let node = ctx.node;
            match ni.level {
                NumberLevel::Single => {
                    let mut cur = Some(node);
                    let mut found = None;
                    while let Some(c) = cur {
                        if let Some(f) = &ni.from
                            && self.pattern_matches(f, c)?
                        {
                            break;
                        }
                        if self.count_matches(ni, node, c)? {
                            found = Some(c);
                            break;
                        }
                        cur = self.parent(c);
                    }
                    match found {
                        Some(c) => vec![self.sibling_number(ni, node, c)? as f64],
                        None => vec![],
                    }
                }
                NumberLevel::Multiple => {
                    let mut chain = Vec::new();
                    let mut cur = Some(node);
                    while let Some(c) = cur {
                        if let Some(f) = &ni.from
                            && self.pattern_matches(f, c)?
                        {
                            break;
                        }
                        if self.count_matches(ni, node, c)? {
                            chain.push(c);
                        }
                        cur = self.parent(c);
                    }
                    chain.reverse();
                    let mut v = Vec::new();
                    for c in chain {
                        v.push(self.sibling_number(ni, node, c)? as f64);
                    }
                    v
                }
                NumberLevel::Any => {
                    // Count matching nodes from the last 'from' match up to the node, in document order.
                    let doc = node.doc;
                    let end = node.owner().idx;
                    let mut count = 0usize;
                    let mut i = end as i64;
                    let self_is_attr = node.sub != 0;
                    if self_is_attr && self.count_matches(ni, node, node)? {
                        count += 1;
                    }
                    // A node matching `from` is itself counted (when it matches
                    // `count`) and ends the walk, so numbering restarts at it, as in libxslt.
                    while i >= 0 {
                        let c = NodeRef::new(doc, i as u32);
                        if self.count_matches(ni, node, c)? {
                            count += 1;
                        }
                        if let Some(f) = &ni.from
                            && self.pattern_matches(f, c)?
                        {
                            break;
                        }
                        i -= 1;
                    }
                    vec![count as f64]
                }
            }
        };
        let fmt = self.eval_avt(&ni.format, ctx)?;
        let grouping = match (&ni.grouping_separator, &ni.grouping_size) {
            (Some(s), Some(z)) => {
                let s = self.eval_avt(s, ctx)?;
                let z = self.eval_avt(z, ctx)?;
                let z = crate::numfmt::string_to_num(&z);
                match s.chars().next() {
                    Some(c) if z >= 1.0 => Some((c, z as usize)),
                    _ => None,
                }
            }
            _ => None,
        };
        let f = crate::numfmt::parse_number_format(&fmt);
        let s = crate::numfmt::format_number_list(&nums, &f, grouping);
        self.out_text(&s, false)
    }

    fn count_matches(&mut self, ni: &'s NumberInstr, orig: NodeRef, c: NodeRef) -> RtResult<bool> {
        match &ni.count {
            Some(p) => self.pattern_matches(p, c),
            None => {
                let (k1, e1) = self.kind_key(orig);
                let (k2, e2) = self.kind_key(c);
                if k1 != k2 {
                    return Ok(false);
                }
                if k1 == K_PI {
                    let a = self.doc(orig.doc).ename(orig.idx);
                    let b = self.doc(c.doc).ename(c.idx);
                    return Ok(a == b);
                }
                Ok(e1 == e2)
            }
        }
    }

    fn sibling_number(
        &mut self,
        ni: &'s NumberInstr,
        orig: NodeRef,
        c: NodeRef,
    ) -> RtResult<usize> {
        let mut n = 1;
        if c.sub != 0 {
            return Ok(1);
        }
        let mut cur = self.doc(c.doc).prev_sibling(c.idx);
        while let Some(i) = cur {
            let s = NodeRef::new(c.doc, i);
            if self.count_matches(ni, orig, s)? {
                n += 1;
            }
            cur = self.doc(c.doc).prev_sibling(i);
        }
        Ok(n)
    }

    /// Entry point: apply templates to the input root and return the result tree.
    pub fn run_main(&mut self, root: NodeRef) -> Result<(), XsltError> {
        self.current = root;
        let r = self.apply_templates(&[root], None, &[]);
        match r {
            Ok(()) => Ok(()),
            Err(RtError::Full(e)) => Err(*e),
            Err(RtError::Msg(m)) => Err(XsltError::Dynamic {
                template: match self.cur_template {
                    Some(t) => self.ss.templates[t].desc.clone(),
                    None => "built-in template rule".into(),
                },
                xpath: self.cur_xpath.take().map(|x| x.to_string()),
                location: Some(self.loc_string(self.loc)),
                message: m,
            }),
        }
    }
}

/// Text ordering used by xsl:sort: code points, as libxslt does without a locale
/// (it ignores case-order too).
fn text_cmp(a: &str, b: &str, _upper_first: Option<bool>) -> std::cmp::Ordering {
    a.cmp(b)
}

fn alt_may_match(alt: &PatAlt, kind: u8, ename: EName) -> bool {
    let Some(last) = alt.steps.last() else {
        return match alt.anchor {
            Anchor::Root => kind == K_ROOT,
            Anchor::Call(_) => kind == K_ELEM,
            Anchor::None => false,
        };
    };
    let s = &last.step;
    match s.axis {
        Axis::Attribute => {
            kind == K_ATTR
                && match &s.test {
                    NodeTest::Name(e) => *e == ename,
                    NodeTest::Any | NodeTest::NsWildcard(_) | NodeTest::Node => true,
                    _ => false,
                }
        }
        _ => match &s.test {
            NodeTest::Name(e) => kind == K_ELEM && *e == ename,
            NodeTest::Any | NodeTest::NsWildcard(_) => kind == K_ELEM,
            NodeTest::Node => matches!(kind, K_ELEM | K_TEXT | K_COMMENT | K_PI),
            NodeTest::Text => kind == K_TEXT,
            NodeTest::Comment => kind == K_COMMENT,
            NodeTest::PI(_) => kind == K_PI,
        },
    }
}
