//! XSLT match patterns.

use crate::tree::Interner;
use crate::xpath::{Axis, Expr, NodeTest, NsResolver, Parser, Step, XPathSyntaxError};

#[derive(Clone, Debug)]
pub enum Anchor {
    /// Relative pattern, no anchor.
    None,
    /// Starts with `/`.
    Root,
    /// id(...) or key(...) followed by '/' (false) or '//' (true) or nothing.
    Call(Box<Expr>),
}

#[derive(Clone, Debug)]
pub struct PatStep {
    pub step: Step,
    /// Separator before this step: true for `//`.
    pub desc_before: bool,
    /// Whether some predicate depends on position (needs the sibling list).
    pub positional: bool,
}

#[derive(Clone, Debug)]
pub struct PatAlt {
    pub anchor: Anchor,
    /// Separator between the anchor and the first step (`//` = true).
    pub anchor_desc: bool,
    pub steps: Vec<PatStep>,
    pub default_priority: f64,
}

#[derive(Clone, Debug)]
pub struct Pattern {
    pub alts: Vec<PatAlt>,
    /// Stylesheet namespace context id (set by the compiler).
    pub ns: u32,
}

pub fn parse_pattern(
    text: &str,
    names: &mut Interner,
    ns: &dyn NsResolver,
) -> Result<Pattern, XPathSyntaxError> {
    let mut p = Parser::new(text, names, ns)?;
    p.pattern_mode = true;
    let mut alts = Vec::new();
    loop {
        alts.push(parse_alt(&mut p)?);
        if !p.eat_pipe() {
            break;
        }
    }
    p.expect_end()?;
    Ok(Pattern { alts, ns: 0 })
}

fn parse_alt(p: &mut Parser) -> Result<PatAlt, XPathSyntaxError> {
    let mut anchor = Anchor::None;
    let mut anchor_desc = false;
    let mut steps: Vec<PatStep> = Vec::new();
    let mut need_step = true;
    let fname = p.peek_func_name().filter(|f| {
        !matches!(
            f.as_str(),
            "node" | "text" | "comment" | "processing-instruction"
        )
    });
    if let Some(fname) = fname {
        if fname == "id" || fname == "key" {
            let e = p.parse_primary_pub()?;
            if let Expr::Call(_, args) = &e {
                let ok = args
                    .iter()
                    .all(|a| matches!(a, Expr::Literal(_) | Expr::Var(..)));
                if !ok {
                    return p.error_here("id() and key() in patterns take literal arguments");
                }
            }
            anchor = Anchor::Call(Box::new(e));
            match p.peek_slash() {
                Some(d) => {
                    p.advance();
                    anchor_desc = d;
                }
                None => need_step = false,
            }
        } else {
            return p.error_here(&format!("function {fname}() is not allowed in a pattern"));
        }
    } else if let Some(d) = p.peek_slash() {
        p.advance();
        if d {
            anchor_desc = true;
        } else {
            anchor = Anchor::Root;
            if !p.starts_step_pub() {
                need_step = false;
            }
        }
    }
    if need_step {
        let mut desc_before = false;
        loop {
            let step = p.parse_step()?;
            match step.axis {
                Axis::Child | Axis::Attribute => {}
                _ => {
                    return p
                        .error_here("only the child and attribute axes are allowed in patterns");
                }
            }
            let positional = step.preds.iter().any(crate::xpath::pred_is_positional);
            steps.push(PatStep {
                step,
                desc_before,
                positional,
            });
            match p.peek_slash() {
                Some(d) => {
                    p.advance();
                    desc_before = d;
                }
                None => break,
            }
        }
    }
    let default_priority = if steps.len() == 1 && matches!(anchor, Anchor::None) && !anchor_desc {
        let s = &steps[0].step;
        if !s.preds.is_empty() {
            0.5
        } else {
            match &s.test {
                NodeTest::Name(_) => 0.0,
                NodeTest::PI(Some(_)) => 0.0,
                NodeTest::NsWildcard(_) => -0.25,
                _ => -0.5,
            }
        }
    } else {
        0.5
    };
    Ok(PatAlt {
        anchor,
        anchor_desc,
        steps,
        default_priority,
    })
}
