//! DTD preparation before tokenizing: parameter entities (declarations and
//! references, internal and external), the external DTD subset, conditional
//! sections, and external parsed general entities. The result is one internal
//! subset the tokenizer understands, plus the texts of external entities.
//!
//! External resources load only through the caller's `Resolver` (the working
//! directory, never the network), and every parameter entity expansion counts
//! against the same limits as general entities (depth and number of
//! expansions), with a cap on the size of the prepared subset.

use crate::Resolver;
use std::collections::{HashMap, HashSet};

/// Most nested parameter entity expansions (as for general entities).
const MAX_DEPTH: u32 = 16;
/// Largest prepared DTD, so parameter entities cannot multiply without bound.
const MAX_SUBSET_BYTES: usize = 8 << 20;

/// A document with its DTD made ready for the tokenizer.
#[derive(Default)]
pub struct Prepared {
    /// The document text with the DOCTYPE's internal subset replaced, when it changed.
    pub text: Option<String>,
    /// External parsed general entities: name and replacement text.
    pub external_entities: Vec<(String, String)>,
    /// Declared external parsed entities that could not be read (libxml2 warns and
    /// leaves their references out).
    pub unreadable_entities: Vec<String>,
    /// The DOCTYPE names an external subset: an undeclared entity then is not a
    /// well-formedness error (XML 1.0 4.1, WFC Entity Declared) and libxml2 leaves
    /// its reference out.
    pub external_subset: bool,
}

enum Pe {
    Internal(String),
    External(String),
}

struct Expander<'r> {
    resolver: Option<&'r dyn Resolver>,
    pes: HashMap<String, Pe>,
    general: HashSet<String>,
    external_entities: Vec<(String, String)>,
    unreadable_entities: Vec<String>,
    expansions: usize,
    max_expansions: usize,
}

/// Leaves the text alone when the document needs no preparation (no DOCTYPE, or an
/// internal subset without parameter entities or external entities, and no external
/// subset that could be read).
pub fn prepare(
    text: &str,
    base_uri: &str,
    resolver: Option<&dyn Resolver>,
    max_expansions: usize,
) -> Result<Prepared, String> {
    let Some(dt) = find_doctype(text) else {
        return Ok(Prepared::default());
    };
    let external_subset = dt.system.is_some();
    let internal = dt.subset.clone().map(|r| &text[r]).unwrap_or_default();
    let wants_external = dt.system.is_some() && resolver.is_some();
    if !wants_external && !internal.contains('%') && !has_external_general(internal) {
        return Ok(Prepared {
            external_subset,
            ..Prepared::default()
        });
    }
    let mut ex = Expander {
        resolver,
        pes: HashMap::new(),
        general: HashSet::new(),
        external_entities: Vec::new(),
        unreadable_entities: Vec::new(),
        expansions: 0,
        max_expansions,
    };
    let mut subset = String::new();
    ex.expand(internal, base_uri, 0, &mut subset)?;
    if let (Some(system), Some(r)) = (&dt.system, resolver) {
        let uri = crate::uri::resolve(system, base_uri);
        // libxml2 goes on without an external subset it cannot read.
        if let Ok(bytes) = r.load(&crate::uri::percent_decode(&uri)) {
            let dtd = external_text(&bytes, &uri)?;
            ex.expand(&dtd, &uri, 0, &mut subset)?;
        }
    }
    let mut out = String::with_capacity(text.len() + subset.len());
    match &dt.subset {
        Some(r) => {
            out.push_str(&text[..r.start]);
            out.push_str(&subset);
            out.push_str(&text[r.end..]);
        }
        None => {
            out.push_str(&text[..dt.close]);
            out.push_str(" [");
            out.push_str(&subset);
            out.push(']');
            out.push_str(&text[dt.close..]);
        }
    }
    Ok(Prepared {
        text: Some(out),
        external_entities: ex.external_entities,
        unreadable_entities: ex.unreadable_entities,
        external_subset,
    })
}

struct Doctype {
    /// The internal subset, between `[` and `]`.
    subset: Option<std::ops::Range<usize>>,
    system: Option<String>,
    /// Offset of the DOCTYPE's closing `>`.
    close: usize,
}

/// Finds the DOCTYPE in the prolog (after the XML declaration, comments and PIs).
fn find_doctype(text: &str) -> Option<Doctype> {
    let mut i = 0;
    loop {
        let rest = text.get(i..)?;
        let skip = rest.len()
            - rest
                .trim_start_matches([' ', '\t', '\r', '\n', '\u{feff}'])
                .len();
        i += skip;
        let rest = &text[i..];
        if rest.starts_with("<?") {
            i += rest.find("?>")? + 2;
        } else if rest.starts_with("<!--") {
            i += rest.find("-->")? + 3;
        } else if rest.starts_with("<!DOCTYPE") {
            break;
        } else {
            return None;
        }
    }
    let mut k = i + "<!DOCTYPE".len();
    let mut system = None;
    let mut subset = None;
    let mut literals = Vec::new();
    let mut keyword = String::new();
    while k < text.len() {
        let c = text[k..].chars().next()?;
        match c {
            '"' | '\'' => {
                let end = text[k + 1..].find(c)? + k + 1;
                literals.push(text[k + 1..end].to_string());
                k = end + 1;
            }
            '[' => {
                let end = subset_end(text, k + 1)?;
                subset = Some(k + 1..end);
                k = end + 1;
            }
            '>' => {
                if keyword == "SYSTEM" {
                    system = literals.first().cloned();
                } else if keyword == "PUBLIC" {
                    system = literals.get(1).cloned();
                }
                return Some(Doctype {
                    subset,
                    system,
                    close: k,
                });
            }
            _ => {
                if c.is_ascii_uppercase() && keyword.is_empty() {
                    let word: String = text[k..]
                        .chars()
                        .take_while(|c| c.is_ascii_uppercase())
                        .collect();
                    if word == "SYSTEM" || word == "PUBLIC" {
                        keyword = word;
                    }
                }
                k += c.len_utf8();
            }
        }
    }
    None
}

/// The `]` closing an internal subset that starts at `start`.
fn subset_end(text: &str, start: usize) -> Option<usize> {
    let mut k = start;
    while k < text.len() {
        let rest = &text[k..];
        if rest.starts_with("<!--") {
            k += rest.find("-->")? + 3;
        } else if rest.starts_with("<?") {
            k += rest.find("?>")? + 2;
        } else {
            let c = rest.chars().next()?;
            match c {
                '"' | '\'' => k += rest[1..].find(c)? + 2,
                ']' => return Some(k),
                _ => k += c.len_utf8(),
            }
        }
    }
    None
}

fn has_external_general(subset: &str) -> bool {
    subset.contains("<!ENTITY") && (subset.contains("SYSTEM") || subset.contains("PUBLIC"))
}

/// An external entity's text: decoded, line ends normalised, text declaration removed.
fn external_text(bytes: &[u8], uri: &str) -> Result<String, String> {
    let s = crate::xmlparse::decode(bytes, uri).map_err(|e| e.to_string())?;
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    let s = match s.strip_prefix("<?xml") {
        Some(rest) if rest.starts_with([' ', '\t', '\n']) => match rest.find("?>") {
            Some(e) => rest[e + 2..].to_string(),
            None => s,
        },
        _ => s,
    };
    Ok(s)
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':') || c as u32 >= 0xB7
}

/// Splits a markup declaration into its name-like words and quoted literals.
fn decl_words(decl: &str) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    let mut it = decl.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if c == '"' || c == '\'' {
            let end = decl[i + 1..]
                .find(c)
                .map(|e| e + i + 1)
                .unwrap_or(decl.len());
            out.push((true, decl[i + 1..end].to_string()));
            while it.peek().is_some_and(|&(j, _)| j <= end) {
                it.next();
            }
        } else if !c.is_whitespace() && c != '>' {
            let mut w = String::from(c);
            while let Some(&(_, d)) = it.peek() {
                if d.is_whitespace() || d == '"' || d == '\'' || d == '>' {
                    break;
                }
                w.push(d);
                it.next();
            }
            out.push((false, w));
        }
    }
    out
}

impl Expander<'_> {
    fn count(&mut self, name: &str, depth: u32) -> Result<(), String> {
        self.expansions += 1;
        if depth >= MAX_DEPTH || self.expansions > self.max_expansions {
            return Err(format!(
                "parameter entity '%{name};': too many or recursive expansions"
            ));
        }
        Ok(())
    }

    fn load(&self, system: &str, base: &str) -> Option<(String, String)> {
        let r = self.resolver?;
        let uri = crate::uri::resolve(system, base);
        let bytes = r.load(&crate::uri::percent_decode(&uri)).ok()?;
        let text = external_text(&bytes, &uri).ok()?;
        Some((uri, text))
    }

    /// The replacement text of parameter entity `name` and the base URI for it.
    fn pe_text(&self, name: &str, base: &str) -> Option<(String, String)> {
        match self.pes.get(name)? {
            Pe::Internal(v) => Some((v.clone(), base.to_string())),
            Pe::External(sys) => self.load(sys, base).map(|(uri, t)| (t, uri)),
        }
    }

    /// Copies `src` to `out`, expanding parameter entity references outside literals,
    /// recording and dropping parameter entity declarations, resolving conditional
    /// sections and loading external parsed general entities.
    fn expand(
        &mut self,
        src: &str,
        base: &str,
        depth: u32,
        out: &mut String,
    ) -> Result<(), String> {
        let mut k = 0;
        while k < src.len() {
            if out.len() > MAX_SUBSET_BYTES {
                return Err("the DTD is too large after parameter entity expansion".into());
            }
            let rest = &src[k..];
            if rest.starts_with("<!--") {
                let e = rest.find("-->").map(|e| e + 3).unwrap_or(rest.len());
                out.push_str(&rest[..e]);
                k += e;
            } else if rest.starts_with("<?") {
                let e = rest.find("?>").map(|e| e + 2).unwrap_or(rest.len());
                out.push_str(&rest[..e]);
                k += e;
            } else if rest.starts_with("<![") {
                k += self.conditional(rest, base, depth, out)?;
            } else if rest.starts_with("<!") {
                let e = decl_end(rest);
                let mut decl = String::new();
                // References inside a declaration (outside its literals) expand in place.
                self.expand_in_decl(&rest[..e], base, depth, &mut decl)?;
                self.declaration(&decl, base, out);
                k += e;
            } else if let Some(name) = pe_ref(rest) {
                self.count(name, depth)?;
                if let Some((t, b)) = self.pe_text(name, base) {
                    self.expand(&t, &b, depth + 1, out)?;
                }
                k += name.len() + 2;
            } else {
                let c = rest.chars().next().unwrap_or(' ');
                out.push(c);
                k += c.len_utf8();
            }
        }
        Ok(())
    }

    fn expand_in_decl(
        &mut self,
        decl: &str,
        base: &str,
        depth: u32,
        out: &mut String,
    ) -> Result<(), String> {
        let mut k = 0;
        while k < decl.len() {
            let rest = &decl[k..];
            let c = rest.chars().next().unwrap_or(' ');
            if c == '"' || c == '\'' {
                let e = rest[1..].find(c).map(|e| e + 2).unwrap_or(rest.len());
                out.push_str(&rest[..e]);
                k += e;
            } else if let Some(name) = pe_ref(rest) {
                self.count(name, depth)?;
                if let Some((t, b)) = self.pe_text(name, base) {
                    out.push(' ');
                    self.expand_in_decl(&t, &b, depth + 1, out)?;
                    out.push(' ');
                }
                k += name.len() + 2;
            } else {
                out.push(c);
                k += c.len_utf8();
            }
        }
        Ok(())
    }

    /// Handles one markup declaration (already expanded).
    fn declaration(&mut self, decl: &str, base: &str, out: &mut String) {
        if !decl.starts_with("<!ENTITY") {
            out.push_str(decl);
            return;
        }
        let words = decl_words(&decl["<!ENTITY".len()..]);
        match words.as_slice() {
            [(false, pct), (false, name), rest @ ..] if pct == "%" => {
                let pe = match rest {
                    [(true, v), ..] => Some(Pe::Internal(v.clone())),
                    [(false, kw), (true, sys), ..] if kw == "SYSTEM" => {
                        Some(Pe::External(sys.clone()))
                    }
                    [(false, kw), (true, _), (true, sys), ..] if kw == "PUBLIC" => {
                        Some(Pe::External(sys.clone()))
                    }
                    _ => None,
                };
                if let Some(pe) = pe {
                    self.pes.entry(name.clone()).or_insert(pe);
                }
            }
            [(false, name), rest @ ..] => {
                let first = self.general.insert(name.clone());
                let system = match rest {
                    [(false, kw), (true, sys)] if kw == "SYSTEM" => Some(sys),
                    [(false, kw), (true, _), (true, sys)] if kw == "PUBLIC" => Some(sys),
                    _ => None,
                };
                match system {
                    // An external parsed entity: its text is read now.
                    Some(sys) if first => match self.load(sys, base) {
                        Some((_, text)) => self.external_entities.push((name.clone(), text)),
                        None => self.unreadable_entities.push(name.clone()),
                    },
                    None if first => out.push_str(decl),
                    _ => {}
                }
            }
            _ => out.push_str(decl),
        }
    }

    /// `<![INCLUDE[ … ]]>` keeps its content, `<![IGNORE[ … ]]>` drops it; returns the
    /// length consumed.
    fn conditional(
        &mut self,
        rest: &str,
        base: &str,
        depth: u32,
        out: &mut String,
    ) -> Result<usize, String> {
        let Some(open) = rest[3..].find('[').map(|o| o + 3) else {
            return Ok(rest.len());
        };
        let mut keyword = String::new();
        self.expand_in_decl(&rest[3..open], base, depth, &mut keyword)?;
        // Matching "]]>", counting nested sections.
        let mut nest = 1;
        let mut k = open + 1;
        let mut close = rest.len();
        while k < rest.len() {
            if rest[k..].starts_with("<![") {
                nest += 1;
                k += 3;
            } else if rest[k..].starts_with("]]>") {
                nest -= 1;
                if nest == 0 {
                    close = k;
                    break;
                }
                k += 3;
            } else {
                k += rest[k..].chars().next().map_or(1, char::len_utf8);
            }
        }
        if keyword.trim() == "INCLUDE" {
            let inner = &rest[open + 1..close];
            self.expand(inner, base, depth, out)?;
        }
        Ok((close + 3).min(rest.len()))
    }
}

/// The end (exclusive) of the markup declaration at the start of `s`, honouring quotes.
fn decl_end(s: &str) -> usize {
    let mut q: Option<char> = None;
    for (k, c) in s.char_indices() {
        match q {
            Some(qc) if c == qc => q = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => q = Some(c),
            None if c == '>' => return k + 1,
            None => {}
        }
    }
    s.len()
}

/// The name of a parameter entity reference `%name;` at the start of `s`.
fn pe_ref(s: &str) -> Option<&str> {
    let body = s.strip_prefix('%')?;
    let end = body.find(|c: char| !is_name_char(c))?;
    (end > 0 && body[end..].starts_with(';')).then(|| &body[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Malformed and hostile subsets end in a result or an error, never a panic or a loop.
    #[test]
    fn hostile_subsets_are_bounded() {
        let subsets = [
            "<!ENTITY % a '%a;'> %a;",
            "<!ENTITY % a \"<!ENTITY % b '%a;'>\"> %a; %b;",
            "<![INCLUDE[ <![IGNORE[ x ]]> ",
            "<![ %undefined; [ <!ENTITY e 'x'> ]]>",
            "<!ENTITY % p 'x'> %p",
            "%;",
            "<!ENTITY e SYSTEM>",
            "<!ENTITY % p SYSTEM>",
            "<!ATTLIST a %p; >",
            "<!ENTITY 'unterminated",
            "<!--",
            "<?pi",
            "<![",
            "<!ENTITY % é 'ü'> %é;",
        ];
        for s in subsets {
            let doc = format!("<!DOCTYPE r [{s}]><r/>");
            let _ = prepare(&doc, "in.xml", None, 100_000);
            let doc = format!("<!DOCTYPE r SYSTEM 'x.dtd' [{s}");
            let _ = prepare(&doc, "in.xml", None, 100_000);
        }
    }

    #[test]
    fn parameter_entities_expand_in_declarations() {
        let doc = "<!DOCTYPE r [<!ENTITY % d \"<!ENTITY g 'hi'>\"> %d;]><r>&g;</r>";
        let p = prepare(doc, "in.xml", None, 100).unwrap();
        assert_eq!(
            p.text.as_deref(),
            Some("<!DOCTYPE r [ <!ENTITY g 'hi'>]><r>&g;</r>")
        );
    }
}
