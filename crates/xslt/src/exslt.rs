//! EXSLT `sets`, `math` and `strings` functions (`dates-and-times` in `exslt_dates`), with libexslt's answers where the
//! EXSLT text leaves room (which characters encode-uri keeps, split's case-blind
//! separator match, min/max of non-numbers).

use crate::engine::{Ctx, Engine, Value, rt, sort_dedup};
use crate::error::{RtError, RtResult};
use crate::output::ResultTree;
use crate::tree::NodeRef;
use crate::xpath::Expr;
use std::collections::HashSet;

pub const SETS_NS: &str = "http://exslt.org/sets";
pub const MATH_NS: &str = "http://exslt.org/math";
pub const STR_NS: &str = "http://exslt.org/strings";

/// Whether `{ns}local` is one of the functions implemented here.
pub fn is_available(ns: &str, local: &str) -> bool {
    match ns {
        SETS_NS => matches!(
            local,
            "difference" | "intersection" | "distinct" | "has-same-node" | "leading" | "trailing"
        ),
        MATH_NS => matches!(
            local,
            "min"
                | "max"
                | "highest"
                | "lowest"
                | "abs"
                | "sqrt"
                | "power"
                | "constant"
                | "log"
                | "random"
                | "sin"
                | "cos"
                | "tan"
                | "asin"
                | "acos"
                | "atan"
                | "atan2"
                | "exp"
        ),
        crate::exslt_dates::DATES_NS => crate::exslt_dates::is_available(local),
        STR_NS => matches!(
            local,
            "tokenize"
                | "split"
                | "replace"
                | "padding"
                | "align"
                | "concat"
                | "encode-uri"
                | "decode-uri"
        ),
        _ => false,
    }
}

/// The digits libexslt keeps for math:constant (it truncates these strings).
fn constant_digits(name: &str) -> Option<&'static str> {
    Some(match name {
        "PI" => "3.1415926535897932384626433832795028841971693993751",
        "E" => "2.71828182845904523536028747135266249775724709369996",
        // libexslt spells it SQRRT2; both names work here.
        "SQRT2" | "SQRRT2" => "1.41421356237309504880168872420969807856967187537694",
        "LN2" => "0.69314718055994530941723212145817656807550013436025",
        "LN10" => "2.30258509299404568402",
        "LOG2E" => "1.4426950408889634074",
        "SQRT1_2" => "0.70710678118654752440",
        _ => return None,
    })
}

/// Characters encode-uri never escapes (RFC 2396 unreserved), and the reserved ones
/// it keeps when escape-reserved is false.
const URI_UNRESERVED: &str = "-_.!~*'()";
const URI_RESERVED: &str = ";/?:@&=+$,[]";

fn encode_uri(s: &str, escape_reserved: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric()
            || URI_UNRESERVED.contains(c)
            || (!escape_reserved && URI_RESERVED.contains(c))
        {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// A random number in [0, 1) from the standard library's per-process random keys.
fn random() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x9e37_79b9_7f4a_7c15);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

impl<'s, 'c, 'a> Engine<'s, 'c, 'a> {
    /// Calls EXSLT function `{ns}local`; the caller has checked `is_available`.
    pub fn call_exslt(
        &mut self,
        ns: &str,
        local: &str,
        args: &[Expr],
        ctx: &Ctx,
    ) -> RtResult<Value> {
        if ns == crate::exslt_dates::DATES_NS {
            return self.call_exslt_date(local, args, ctx);
        }
        let (min, max) = match (ns, local) {
            (MATH_NS, "random") => (0, 0),
            (MATH_NS, "power" | "atan2" | "constant") => (2, 2),
            (SETS_NS, "distinct") | (MATH_NS, _) | (STR_NS, "concat" | "decode-uri") => (1, 1),
            (SETS_NS, _) => (2, 2),
            (STR_NS, "tokenize" | "split" | "padding") => (1, 2),
            (STR_NS, "replace") => (3, 3),
            (STR_NS, "align" | "encode-uri") => (2, 3),
            _ => (0, usize::MAX),
        };
        if args.len() < min || args.len() > max {
            return rt(format!(
                "{local}() takes {min}{} argument(s), got {}",
                if max > min {
                    format!("-{max}")
                } else {
                    String::new()
                },
                args.len()
            ));
        }
        match ns {
            SETS_NS => self.exslt_sets(local, args, ctx),
            MATH_NS => self.exslt_math(local, args, ctx),
            _ => self.exslt_strings(local, args, ctx),
        }
    }

    fn exslt_sets(&mut self, local: &str, args: &[Expr], ctx: &Ctx) -> RtResult<Value> {
        let what = format!("the argument of set:{local}()");
        let a = self.eval_nodes(&args[0], ctx, &what)?;
        if local == "distinct" {
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            for &n in a.iter() {
                if seen.insert(self.string_value(n)) {
                    out.push(n);
                }
            }
            return Ok(Value::nodes(out));
        }
        let b = self.eval_nodes(&args[1], ctx, &what)?;
        let in_b: HashSet<NodeRef> = b.iter().copied().collect();
        Ok(match local {
            "difference" => Value::nodes(a.iter().copied().filter(|n| !in_b.contains(n)).collect()),
            "intersection" => {
                Value::nodes(a.iter().copied().filter(|n| in_b.contains(n)).collect())
            }
            "has-same-node" => Value::Bool(a.iter().any(|n| in_b.contains(n))),
            // Nodes of the first set before (leading) or after (trailing) the first node
            // of the second, which must be in the first set; all of it when the second is empty.
            _ => {
                let mut b_sorted = b.to_vec();
                sort_dedup(&mut b_sorted);
                let Some(&first) = b_sorted.first() else {
                    return Ok(Value::Nodes(a));
                };
                if !a.contains(&first) {
                    return Ok(Value::empty());
                }
                let keep = |n: &NodeRef| {
                    if local == "leading" {
                        *n < first
                    } else {
                        *n > first
                    }
                };
                Value::nodes(a.iter().copied().filter(keep).collect())
            }
        })
    }

    fn exslt_math(&mut self, local: &str, args: &[Expr], ctx: &Ctx) -> RtResult<Value> {
        if let "min" | "max" | "highest" | "lowest" = local {
            let what = format!("the argument of math:{local}()");
            let ns = self.eval_nodes(&args[0], ctx, &what)?;
            let values: Vec<f64> = ns
                .iter()
                .map(|&n| crate::numfmt::string_to_num(&self.string_value(n)))
                .collect();
            // Any value that is not a number makes the answer NaN (or empty).
            let best = if values.is_empty() || values.iter().any(|v| v.is_nan()) {
                f64::NAN
            } else if matches!(local, "min" | "lowest") {
                values.iter().copied().fold(f64::INFINITY, f64::min)
            } else {
                values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            };
            return Ok(match local {
                "min" | "max" => Value::Num(best),
                _ if best.is_nan() => Value::empty(),
                _ => Value::nodes(
                    ns.iter()
                        .zip(&values)
                        .filter(|(_, v)| **v == best)
                        .map(|(n, _)| *n)
                        .collect(),
                ),
            });
        }
        if local == "random" {
            return Ok(Value::Num(random()));
        }
        if local == "constant" {
            let name = self.eval_string(&args[0], ctx)?;
            let precision = self.eval_num(&args[1], ctx)?;
            let v = match constant_digits(&name) {
                Some(digits) if precision >= 1.0 => {
                    let len = (precision.min(digits.len() as f64)) as usize;
                    crate::numfmt::string_to_num(&digits[..len])
                }
                _ => f64::NAN,
            };
            return Ok(Value::Num(v));
        }
        let x = self.eval_num(&args[0], ctx)?;
        let v = match local {
            "abs" => x.abs(),
            "sqrt" => x.sqrt(),
            "log" => x.ln(),
            "exp" => x.exp(),
            "sin" => x.sin(),
            "cos" => x.cos(),
            "tan" => x.tan(),
            "asin" => x.asin(),
            "acos" => x.acos(),
            "atan" => x.atan(),
            "power" => x.powf(self.eval_num(&args[1], ctx)?),
            // math:atan2(y, x)
            _ => x.atan2(self.eval_num(&args[1], ctx)?),
        };
        Ok(Value::Num(v))
    }

    fn exslt_strings(&mut self, local: &str, args: &[Expr], ctx: &Ctx) -> RtResult<Value> {
        if local == "concat" {
            let ns = self.eval_nodes(&args[0], ctx, "the argument of str:concat()")?;
            let mut s = String::new();
            for &n in ns.iter() {
                s.push_str(&self.string_value(n));
            }
            return Ok(Value::string(s));
        }
        if local == "padding" {
            let n = self.eval_num(&args[0], ctx)?;
            // An empty padding string pads with spaces, as when it is left out (libexslt).
            let pad = match args.get(1) {
                Some(e) => Some(self.eval_string(e, ctx)?).filter(|p| !p.is_empty()),
                None => None,
            }
            .unwrap_or_else(|| " ".to_string());
            if n.is_nan() || n < 1.0 {
                return Ok(Value::str(""));
            }
            // Bounded like any other string the processor builds.
            let n = n.min(10_000_000.0) as usize;
            return Ok(Value::string(pad.chars().cycle().take(n).collect()));
        }
        let s = self.eval_string(&args[0], ctx)?;
        match local {
            "tokenize" | "split" => {
                let sep = match args.get(1) {
                    Some(e) => self.eval_string(e, ctx)?,
                    None if local == "tokenize" => " \t\n\r".to_string(),
                    None => " ".to_string(),
                };
                let tokens: Vec<String> = if sep.is_empty() {
                    s.chars().map(String::from).collect()
                } else if local == "tokenize" {
                    s.split(|c| sep.contains(c))
                        .filter(|t| !t.is_empty())
                        .map(String::from)
                        .collect()
                } else {
                    split_ascii_case_blind(&s, &sep)
                };
                self.token_nodes(&tokens)
            }
            "replace" => {
                let from = self.eval_string(&args[1], ctx)?;
                let to = self.eval_string(&args[2], ctx)?;
                // An empty search string matches between characters (libexslt).
                Ok(Value::string(if from.is_empty() {
                    let chars: Vec<String> = s.chars().map(String::from).collect();
                    chars.join(&to)
                } else {
                    s.replace(&from, &to)
                }))
            }
            "align" => {
                let pad: Vec<char> = self.eval_string(&args[1], ctx)?.chars().collect();
                let how = match args.get(2) {
                    Some(e) => self.eval_string(e, ctx)?,
                    None => "left".to_string(),
                };
                let chars: Vec<char> = s.chars().collect();
                let (sl, pl) = (chars.len(), pad.len());
                let out: String = if sl >= pl {
                    chars[..pl].iter().collect()
                } else {
                    match how.as_str() {
                        "right" => pad[..pl - sl].iter().chain(&chars).collect(),
                        "center" => {
                            let left = (pl - sl) / 2;
                            pad[..left]
                                .iter()
                                .chain(&chars)
                                .chain(&pad[left + sl..])
                                .collect()
                        }
                        _ => chars.iter().chain(&pad[sl..]).collect(),
                    }
                };
                Ok(Value::string(out))
            }
            "encode-uri" => {
                let reserved = self.eval_bool(&args[1], ctx)?;
                Ok(Value::string(encode_uri(&s, reserved)))
            }
            // A result that is not UTF-8 gives "" (libexslt).
            _ => Ok(Value::string(
                String::from_utf8(crate::uri::percent_decode_bytes(&s)).unwrap_or_default(),
            )),
        }
    }

    /// A node-set of `<token>` elements in a new fragment, one per string.
    fn token_nodes(&mut self, tokens: &[String]) -> RtResult<Value> {
        let mut t = ResultTree::new("", Vec::new());
        let token = self.names.ename_str("", "token");
        for tok in tokens {
            t.start_element(&mut self.names, token, 0)
                .map_err(RtError::Msg)?;
            t.text(&mut self.names, tok, false).map_err(RtError::Msg)?;
            t.end_element(&mut self.names).map_err(RtError::Msg)?;
        }
        let d = t.finish(&mut self.names).map_err(RtError::Msg)?;
        let id = self.add_doc(d);
        self.temp_docs.push(id);
        let doc = self.doc(id);
        let mut out = Vec::new();
        let mut c = doc.first_child(0);
        while let Some(n) = c {
            out.push(NodeRef::new(id, n));
            c = doc.next_sibling(n);
        }
        Ok(Value::nodes(out))
    }
}

/// str:split: pieces between occurrences of `sep`, compared ignoring ASCII case as
/// libexslt does; empty pieces are dropped.
fn split_ascii_case_blind(s: &str, sep: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (hay, needle) = (s.as_bytes(), sep.as_bytes());
    let mut start = 0;
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        if hay[i..i + needle.len()].eq_ignore_ascii_case(needle) {
            if i > start {
                out.push(String::from_utf8_lossy(&hay[start..i]).into_owned());
            }
            i += needle.len();
            start = i;
        } else {
            i += 1;
        }
    }
    if start < hay.len() {
        out.push(String::from_utf8_lossy(&hay[start..]).into_owned());
    }
    out
}
