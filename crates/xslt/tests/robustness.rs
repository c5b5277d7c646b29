//! No panics, crashes or hangs on malformed input: a deterministic mutation fuzzer over the
//! differential corpus, bounded in count and time so it runs in every `make test` (the
//! cargo-fuzz targets in `fuzz/` explore further). Mutates
//!
//! * stylesheets, then compiles each mutant and, if it compiles, runs it on the corpus input,
//! * XPath expressions and match patterns taken from the corpus, parsing and evaluating them,
//! * the input document, transformed by a corpus stylesheet.
//!
//! Any panic, or a single case taking longer than `CASE_LIMIT`, fails the test and prints the
//! offending text. `WHARF_MUTATION_SECS` changes the time budget (default 10 s per kind).

use mutation::{Guard, Mutator, Rng, budget};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use wharf_xslt::{Context, FsResolver, Stylesheet, fuzzing};

/// A roomy stack: the processor's own depth limits, not the thread's, stop a deep mutant.
const GUARD: Guard = Guard {
    limit: Duration::from_secs(20),
    stack: 64 << 20,
};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// Fragments that tend to reach interesting parser and runtime states.
const TOKENS: &[&str] = &[
    "<",
    ">",
    "</",
    "/>",
    "<xsl:template match=\"*\">",
    "</xsl:template>",
    "<xsl:apply-templates/>",
    "<xsl:call-template name=\"t\"/>",
    "<xsl:value-of select=\"",
    "\"/>",
    "{",
    "}",
    "{{",
    "$",
    "$x",
    "(",
    ")",
    "[",
    "]",
    "[1]",
    "'",
    "\"",
    "&",
    "&amp;",
    "&#0;",
    "&#xD800;",
    "&#1114112;",
    "xsl:",
    "xmlns:x=\"urn:x\"",
    "select=",
    "match=",
    "name=",
    "0",
    "-",
    "--",
    "1e308",
    "NaN",
    "|",
    "//",
    "::",
    "*",
    "@*",
    "..",
    "node()",
    "text()",
    "key('k', .)",
    "document('')",
    "format-number(1, '#,##0.0;(0)')",
    "substring('abc', -1 div 0)",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "<?pi x?>",
    "<!DOCTYPE a [<!ENTITY e \"&e;\">]>",
    "\u{0}",
    "\u{FFFF}",
    "é",
    "\n",
    " ",
    "ancestor::",
    "following::",
    "namespace::",
    "id('x')",
    "count(//*)",
    "generate-id()",
    "translate(., 'a', 'b')",
    "exsl:node-set($x)",
    "<xsl:number level=\"any\"/>",
    "<xsl:sort select=\".\" data-type=\"number\"/>",
    "<xsl:variable name=\"x\" select=\"1\"/>",
    "<xsl:for-each select=\"//*\">",
    "</xsl:for-each>",
    "<xsl:copy-of select=\"/\"/>",
    "<xsl:message terminate=\"yes\">",
    "<xsl:include href=\"_included.xsl\"/>",
    "mode=\"m\"",
];

const MUTATOR: Mutator = Mutator {
    tokens: TOKENS,
    nesting: &["(", "[", "-", "<a>", "a/", "f(", "{"],
    max_nesting: 300,
    bytes: b"<>&\"'{}[]()$/@*:|=!-0 \x00",
};

fn mutate(rng: &mut Rng, text: &str) -> String {
    MUTATOR.mutate_text(rng, text)
}

/// Mutates inside one attribute value, so the stylesheet stays well-formed XML more often and
/// the mutant reaches the XSLT compiler and the XPath parser.
fn mutate_attribute(rng: &mut Rng, text: &str) -> String {
    let starts: Vec<usize> = text.match_indices("=\"").map(|(i, _)| i + 2).collect();
    if starts.is_empty() {
        return mutate(rng, text);
    }
    let start = starts[rng.below(starts.len())];
    let Some(len) = text[start..].find('"') else {
        return mutate(rng, text);
    };
    let value = mutate(rng, &text[start..start + len])
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;");
    format!("{}{value}{}", &text[..start], &text[start + len..])
}

/// Transforms with limits that keep runaway mutants short.
fn transform(ss: &Stylesheet, input: &[u8], dir: &Path) {
    let res = FsResolver::new(dir);
    let mut ctx = Context::default().with_resolver(&res);
    ctx.max_depth = 40;
    ctx.stack_limit = 32 << 20;
    let _ = ss.transform(input, &[("p", "1")], &mut ctx);
}

fn corpus_stylesheets() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "xsl"))
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            Some((p.file_name()?.to_string_lossy().into_owned(), text))
        })
        .collect();
    v.sort();
    v
}

#[test]
fn mutated_stylesheets_never_panic() {
    let dir = corpus_dir();
    let input = std::fs::read(dir.join("_input.xml")).unwrap();
    let sheets = corpus_stylesheets();
    let mut rng = Rng(0x5EED_0001);
    let start = Instant::now();
    let (mut cases, mut compiled) = (0, 0);
    while start.elapsed() < budget(10) && cases < 200_000 {
        let (name, text) = &sheets[rng.below(sheets.len())];
        let mutant = if rng.below(2) == 0 {
            mutate_attribute(&mut rng, text)
        } else {
            mutate(&mut rng, text)
        };
        cases += 1;
        let (tx, rx) = mpsc::channel();
        let (m, i, d) = (mutant.clone(), input.clone(), dir.clone());
        GUARD.run(
            &format!("compiling/running a mutant of {name}"),
            mutant.as_bytes(),
            move || {
                let res = FsResolver::new(&d);
                let ok = match Stylesheet::compile(&m, "mutant.xsl", &res) {
                    Ok(ss) => {
                        transform(&ss, &i, &d);
                        true
                    }
                    Err(e) => {
                        // Errors must be displayable and name a place.
                        assert!(!e.to_string().is_empty());
                        false
                    }
                };
                let _ = tx.send(ok);
            },
        );
        compiled += usize::from(rx.recv().unwrap_or(false));
    }
    eprintln!("stylesheet mutants: {cases} run, {compiled} compiled");
    assert!(cases > 100, "too few cases in the time budget");
}

/// Attribute values holding expressions (select, test, match …) in the corpus.
fn corpus_expressions() -> (Vec<String>, Vec<String>) {
    let (mut exprs, mut patterns) = (Vec::new(), Vec::new());
    for (_, text) in corpus_stylesheets() {
        for (attr, is_pattern) in [
            (" select=\"", false),
            (" test=\"", false),
            (" match=\"", true),
            (" count=\"", true),
        ] {
            let into = if is_pattern {
                &mut patterns
            } else {
                &mut exprs
            };
            for part in text.split(attr).skip(1) {
                if let Some(v) = part.split('"').next() {
                    let v = v
                        .replace("&lt;", "<")
                        .replace("&gt;", ">")
                        .replace("&quot;", "\"")
                        .replace("&apos;", "'")
                        .replace("&amp;", "&");
                    into.push(v);
                }
            }
        }
    }
    (exprs, patterns)
}

fn escape_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

#[test]
fn mutated_xpath_and_patterns_never_panic() {
    let dir = corpus_dir();
    let input = std::fs::read(dir.join("_input.xml")).unwrap();
    let (exprs, patterns) = corpus_expressions();
    assert!(exprs.len() > 100 && patterns.len() > 50);
    let mut rng = Rng(0x5EED_0002);
    let start = Instant::now();
    let (mut cases, mut parsed) = (0, 0);
    while start.elapsed() < budget(10) && cases < 500_000 {
        let is_pattern = rng.below(3) == 0;
        let base = if is_pattern {
            &patterns[rng.below(patterns.len())]
        } else {
            &exprs[rng.below(exprs.len())]
        };
        let mutant = mutate(&mut rng, base);
        cases += 1;
        let (tx, rx) = mpsc::channel();
        let (m, i, d) = (mutant.clone(), input.clone(), dir.clone());
        GUARD.run("parsing/evaluating an expression", mutant.as_bytes(), move || {
            let ok = if is_pattern {
                fuzzing::parse_pattern(&m).is_ok()
            } else {
                fuzzing::parse_xpath(&m).is_ok()
            };
            if ok {
                // Evaluate it (or match with it) on the corpus input.
                let xsl = if is_pattern {
                    format!(
                        "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\" xmlns:exsl=\"http://exslt.org/common\">\
                         <xsl:param name=\"p\"/><xsl:key name=\"k\" match=\"*\" use=\"@id\"/>\
                         <xsl:template match=\"{}\">[<xsl:value-of select=\"name()\"/>]<xsl:apply-templates/></xsl:template></xsl:stylesheet>",
                        escape_attr(&m)
                    )
                } else {
                    format!(
                        "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\" xmlns:exsl=\"http://exslt.org/common\">\
                         <xsl:param name=\"p\"/><xsl:variable name=\"x\" select=\"//*[1]\"/><xsl:key name=\"k\" match=\"*\" use=\"@id\"/>\
                         <xsl:template match=\"/\"><xsl:for-each select=\"//*[position() &lt; 4]\"><xsl:value-of select=\"{}\"/>|</xsl:for-each></xsl:template></xsl:stylesheet>",
                        escape_attr(&m)
                    )
                };
                let res = FsResolver::new(&d);
                if let Ok(ss) = Stylesheet::compile(&xsl, "expr.xsl", &res) {
                    transform(&ss, &i, &d);
                }
            }
            let _ = tx.send(ok);
        });
        parsed += usize::from(rx.recv().unwrap_or(false));
    }
    eprintln!("expression mutants: {cases} run, {parsed} parsed");
    assert!(cases > 100, "too few cases in the time budget");
}

#[test]
fn mutated_inputs_never_panic() {
    let dir = corpus_dir();
    let input = std::fs::read_to_string(dir.join("_input.xml")).unwrap();
    let sheets: Vec<(String, Stylesheet)> = [
        "copy-identity.xsl",
        "tmpl-builtin.xsl",
        "key-basic.xsl",
        "number-any.xsl",
    ]
    .iter()
    .filter_map(|n| {
        let text = std::fs::read(dir.join(n)).ok()?;
        let ss = Stylesheet::compile(&text, n, &FsResolver::new(&dir)).ok()?;
        Some((n.to_string(), ss))
    })
    .collect();
    assert!(
        !sheets.is_empty(),
        "no corpus stylesheets for the input mutants"
    );
    let sheets = std::sync::Arc::new(sheets);
    let mut rng = Rng(0x5EED_0003);
    let start = Instant::now();
    let mut cases = 0;
    while start.elapsed() < budget(10) && cases < 100_000 {
        let mutant = mutate(&mut rng, &input);
        let which = rng.below(sheets.len());
        cases += 1;
        let (m, s, d) = (mutant.clone(), sheets.clone(), dir.clone());
        GUARD.run(
            &format!("transforming a mutated input with {}", sheets[which].0),
            mutant.as_bytes(),
            move || {
                transform(&s[which].1, m.as_bytes(), &d);
            },
        );
    }
    eprintln!("input mutants: {cases} run");
    assert!(cases > 100, "too few cases in the time budget");
}
