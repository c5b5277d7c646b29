//! Extension functions: EXSLT common (sets, math and strings in `exslt`), msxsl:node-set and the Zynk namespaces
//! (urn:MappingFunctions, urn:DateFunctions, urn:FileFunctions, urn:NodeFunctions).

use crate::compile::{EXSL_NS, MSXSL_NS};
use crate::engine::{Ctx, Engine, Value, rt};
use crate::error::RtResult;
use crate::tree::{NodeRef, TreeBuilder};
use crate::xpath::Expr;

pub const MAPPING_NS: &str = "urn:MappingFunctions";
pub const DATE_NS: &str = "urn:DateFunctions";
pub const FILE_NS: &str = "urn:FileFunctions";
pub const NODE_NS: &str = "urn:NodeFunctions";

pub fn is_available(ns: &str, local: &str) -> bool {
    match ns {
        EXSL_NS => matches!(local, "node-set" | "object-type"),
        MSXSL_NS => local == "node-set",
        MAPPING_NS => matches!(local, "MapTo" | "MapFrom"),
        DATE_NS => matches!(local, "DateFormat" | "AddDays" | "AddMonths" | "AddYears"),
        FILE_NS => matches!(local, "FileExists" | "ValidXml"),
        NODE_NS => local == "Select",
        _ => crate::exslt::is_available(ns, local),
    }
}

/// Extension elements this processor runs as instructions (element-available() outside
/// the XSLT namespace): `func:result`. libexslt answers false for the top-level
/// `func:function`, and so do we.
pub fn is_element_available(ns: &str, local: &str) -> bool {
    ns == crate::compile::FUNC_NS && local == "result"
}

impl<'s, 'c, 'a> Engine<'s, 'c, 'a> {
    pub fn call_ext(&mut self, ns: &str, local: &str, args: &[Expr], ctx: &Ctx) -> RtResult<Value> {
        let argc = args.len();
        let arity = |min: usize, max: usize| -> RtResult<()> {
            if argc < min || argc > max {
                rt(format!(
                    "{local}() takes {min}{} argument(s), got {argc}",
                    if max > min {
                        format!("-{max}")
                    } else {
                        String::new()
                    }
                ))
            } else {
                Ok(())
            }
        };
        match (ns, local) {
            (EXSL_NS | MSXSL_NS, "node-set") => {
                arity(1, 1)?;
                let v = self.eval(&args[0], ctx)?;
                self.make_node_set(v)
            }
            (EXSL_NS, "object-type") => {
                arity(1, 1)?;
                let v = self.eval(&args[0], ctx)?;
                Ok(Value::str(v.type_name()))
            }
            (MAPPING_NS, "MapTo" | "MapFrom") => {
                arity(2, 2)?;
                let mapping = self.eval_string(&args[0], ctx)?;
                let key = self.eval_string(&args[1], ctx)?;
                let r = match self.ctx.mappings {
                    Some(m) => {
                        if local == "MapTo" {
                            m.map_to(&mapping, &key)
                        } else {
                            m.map_from(&mapping, &key)
                        }
                    }
                    None => None,
                };
                Ok(Value::string(r.unwrap_or_default()))
            }
            (DATE_NS, "DateFormat") => {
                arity(1, 2)?;
                let s = self.eval_string(&args[0], ctx)?;
                let d = parse_date(local, &s)?;
                self.date_out(&d, args.get(1), ctx)
            }
            (DATE_NS, "AddDays" | "AddMonths" | "AddYears") => {
                arity(2, 3)?;
                let s = self.eval_string(&args[0], ctx)?;
                let n = self.eval_num(&args[1], ctx)?;
                if n.is_nan() || n.is_infinite() {
                    return rt(format!("{local}(): the amount is not a number"));
                }
                let d = parse_date(local, &s)?;
                let r = match local {
                    "AddDays" => d.add_days(n),
                    "AddMonths" => d.add_months(n.trunc() as i64),
                    _ => d.add_months(n.trunc() as i64 * 12),
                };
                self.date_out(&r, args.get(2), ctx)
            }
            (FILE_NS, "FileExists" | "ValidXml") => {
                arity(1, 1)?;
                let p = self.eval_string(&args[0], ctx)?;
                let base = self
                    .ss
                    .modules
                    .get(self.loc.module as usize)
                    .map(|m| m.uri.clone())
                    .unwrap_or_default();
                let uri = crate::uri::resolve(&p, &base);
                let Some(res) = self.ctx.resolver else {
                    return Ok(Value::Bool(false));
                };
                if local == "FileExists" {
                    return Ok(Value::Bool(res.exists(&uri)));
                }
                let ok = match res.load(&uri) {
                    Ok(bytes) => {
                        let mut names = self.names.clone();
                        let opts = crate::xmlparse::ParseOptions {
                            base_uri: &uri,
                            strip: &crate::xmlparse::NoStrip,
                            record_positions: false,
                            honour_xml_space: false,
                            resolver: Some(res),
                        };
                        crate::xmlparse::parse_bytes(&bytes, &mut names, &opts).is_ok()
                    }
                    Err(_) => false,
                };
                Ok(Value::Bool(ok))
            }
            (NODE_NS, "Select") => {
                arity(2, 2)?;
                let nodes = self.eval_nodes(&args[0], ctx, "the first argument of Select()")?;
                let expr = self.eval_string(&args[1], ctx)?;
                let Some(&node) = nodes.first() else {
                    return Ok(Value::empty());
                };
                let scope = self
                    .ss
                    .ns_contexts
                    .get(self.static_ns as usize)
                    .cloned()
                    .unwrap_or_default();
                let resolver = crate::compile::ns_resolver_from(&scope);
                let x = match crate::xpath::parse(&expr, &mut self.names, &resolver) {
                    Ok(x) => x,
                    Err(e) => return rt(format!("Select(): invalid XPath \"{expr}\": {e}")),
                };
                let c = Ctx {
                    node,
                    pos: 1,
                    size: 1,
                };
                self.eval(&x.expr, &c)
            }
            _ if crate::exslt::is_available(ns, local) => self.call_exslt(ns, local, args, ctx),
            _ => {
                if self.ss.script_namespaces.iter().any(|s| s == ns) {
                    return rt(format!(
                        "function {local}() is defined in an msxsl:script block (namespace {ns}); script code cannot run in this processor - rewrite it in XSLT or use a supported extension function"
                    ));
                }
                if ns.is_empty() {
                    rt(format!("unknown function {local}()"))
                } else {
                    rt(format!("unknown extension function {{{ns}}}{local}()"))
                }
            }
        }
    }

    fn date_out(
        &mut self,
        d: &crate::dates::DateTime,
        fmt: Option<&Expr>,
        ctx: &Ctx,
    ) -> RtResult<Value> {
        match fmt {
            Some(f) => {
                let f = self.eval_string(f, ctx)?;
                Ok(Value::string(crate::dates::format(d, &f)))
            }
            None => Ok(Value::string(crate::dates::xsd(d))),
        }
    }

    /// exsl:node-set / msxsl:node-set.
    pub fn make_node_set(&mut self, v: Value) -> RtResult<Value> {
        match v {
            Value::Nodes(_) => Ok(v),
            Value::Rtf(d) => Ok(Value::nodes(vec![NodeRef::new(d, 0)])),
            other => {
                // A string (or number/boolean) becomes a text node in a new fragment.
                // An empty string still gives one (empty) text node, as in libxslt.
                let s = self.to_string(&other);
                let mut b = TreeBuilder::new("");
                b.doc.is_rtf = true;
                if b.text_unmerged(&s).is_err() {
                    return rt("node-set(): string too large");
                }
                let id = self.add_doc(b.finish());
                self.temp_docs.push(id);
                Ok(Value::nodes(vec![NodeRef::new(id, 1)]))
            }
        }
    }
}

fn parse_date(func: &str, s: &str) -> RtResult<crate::dates::DateTime> {
    match crate::dates::parse(s) {
        Some(d) => Ok(d),
        None => rt(format!("{func}(): cannot read '{s}' as a date")),
    }
}
