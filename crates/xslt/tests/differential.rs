//! Differential tests: every `tests/corpus/<case>.xsl` is run by xsltproc (libxslt)
//! and by wharf-xslt; outputs must match. XML output is compared after
//! canonicalizing start tags (attribute and namespace-declaration order
//! ignored); html and text output must match byte for byte. A case whose
//! xsltproc run fails must fail here too.
//!
//! Input: `<case>.xml` if present, else `_input.xml`. Parameters: `<case>.params`
//! with `name=value` lines (passed as --stringparam).
//!
//! `pi-*.xml` files without a stylesheet name theirs in `<?xml-stylesheet?>`: xsltproc
//! gets only the document, we use `Stylesheet::compile_associated`.
//!
//! Deviations (`<case>.deviation` holds the reason): without `<case>.expected` the
//! case must fail here; with it, our output must be exactly that file and differ
//! from xsltproc's (where libxslt is wrong per the XSLT 1.0 Recommendation).

use std::path::{Path, PathBuf};
use std::process::Command;
use wharf_xslt::{Context, FsResolver, MappingTable, OutputMethod, Stylesheet};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("corpus")
}

fn xsltproc_available() -> bool {
    Command::new("xsltproc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Rewrites every start tag with its attributes (and xmlns declarations) sorted.
/// The XML declaration and DOCTYPE are kept verbatim.
fn canonical(xml: &str) -> Option<String> {
    let mut prolog_end = 0;
    if xml.starts_with("<?xml ") {
        prolog_end = xml.find("?>")? + 2;
    }
    if xml[prolog_end..].trim_start().starts_with("<!DOCTYPE") {
        prolog_end += xml[prolog_end..].find('>')? + 1;
    }
    let body = canonical_body(&xml[prolog_end..])?;
    Some(format!("{}{}", &xml[..prolog_end], body))
}

fn canonical_body(xml: &str) -> Option<String> {
    let mut out = String::with_capacity(xml.len());
    let mut last = 0usize;
    let mut tag_start: Option<usize> = None;
    let mut tag_name = String::new();
    let mut attrs: Vec<String> = Vec::new();
    for tok in xmlparser::Tokenizer::from_fragment(xml, 0..xml.len()) {
        let tok = tok.ok()?;
        match tok {
            xmlparser::Token::ElementStart { span, .. } => {
                tag_start = Some(span.start());
                tag_name = span.as_str()[1..].to_string();
                attrs.clear();
            }
            xmlparser::Token::Attribute { span, .. } => attrs.push(span.as_str().to_string()),
            xmlparser::Token::ElementEnd { end, span } => match end {
                xmlparser::ElementEnd::Open | xmlparser::ElementEnd::Empty => {
                    let st = tag_start.take()?;
                    out.push_str(&xml[last..st]);
                    attrs.sort();
                    out.push('<');
                    out.push_str(&tag_name);
                    for a in &attrs {
                        out.push(' ');
                        out.push_str(a);
                    }
                    out.push_str(if matches!(end, xmlparser::ElementEnd::Empty) {
                        "/>"
                    } else {
                        ">"
                    });
                    last = span.end();
                }
                xmlparser::ElementEnd::Close(..) => {}
            },
            _ => {}
        }
    }
    out.push_str(&xml[last..]);
    Some(out)
}

struct Case {
    /// Documented deviation: libxslt accepts the stylesheet but we report an error
    /// (`<case>.deviation` holds the reason, also listed in README.md).
    deviation: Option<String>,
    name: String,
    xsl: PathBuf,
    xml: PathBuf,
    params: Vec<(String, String)>,
    /// The document names its stylesheet (`<?xml-stylesheet?>`); `xsl` is unused.
    associated: bool,
}

fn cases() -> Vec<Case> {
    let dir = corpus_dir();
    let mut v = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "xsl"))
        .collect();
    entries.sort();
    for xsl in entries {
        let name = xsl.file_stem().unwrap().to_string_lossy().to_string();
        if name.starts_with('_') {
            continue; // included/imported modules
        }
        let own = dir.join(format!("{name}.xml"));
        let xml = if own.exists() {
            own
        } else {
            dir.join("_input.xml")
        };
        let mut params = Vec::new();
        if let Ok(p) = std::fs::read_to_string(dir.join(format!("{name}.params"))) {
            for line in p.lines() {
                if let Some((k, val)) = line.split_once('=') {
                    params.push((k.trim().to_string(), val.to_string()));
                }
            }
        }
        let deviation = std::fs::read_to_string(dir.join(format!("{name}.deviation"))).ok();
        v.push(Case {
            deviation,
            name,
            xsl,
            xml,
            params,
            associated: false,
        });
    }
    let mut associated: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "xml")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("pi-"))
                && !p.with_extension("xsl").exists()
        })
        .collect();
    associated.sort();
    for xml in associated {
        let name = xml.file_stem().unwrap().to_string_lossy().to_string();
        let deviation = std::fs::read_to_string(dir.join(format!("{name}.deviation"))).ok();
        v.push(Case {
            deviation,
            name,
            xsl: xml.clone(),
            xml,
            params: Vec::new(),
            associated: true,
        });
    }
    v
}

fn run_xsltproc(c: &Case) -> (bool, Vec<u8>, String) {
    let mut cmd = Command::new("xsltproc");
    for (k, v) in &c.params {
        cmd.arg("--stringparam").arg(k).arg(v);
    }
    if !c.associated {
        cmd.arg(&c.xsl);
    }
    cmd.arg(&c.xml).current_dir(corpus_dir());
    let o = cmd.output().expect("run xsltproc");
    (
        o.status.success(),
        o.stdout,
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

fn run_ours(c: &Case) -> Result<(OutputMethod, Vec<u8>), String> {
    let dir = corpus_dir();
    let res = FsResolver::new(&dir);
    let input = std::fs::read(&c.xml).map_err(|e| e.to_string())?;
    let ss = if c.associated {
        Stylesheet::compile_associated(&input, &c.xml.to_string_lossy(), &res)
    } else {
        let src = std::fs::read(&c.xsl).map_err(|e| e.to_string())?;
        Stylesheet::compile(&src, &c.xsl.to_string_lossy(), &res)
    }
    .map_err(|e| e.to_string())?;
    let mut maps = MappingTable::default();
    maps.insert("Country", "United Kingdom", "GB");
    maps.insert("Country", "France", "FR");
    maps.insert("Carrier", "flatrate_flatrate", "ROYALMAIL");
    let mut ctx = Context::default().with_resolver(&res).with_mappings(&maps);
    ctx.stack_limit = 400 << 20;
    ctx.input_uri = c.xml.to_string_lossy().to_string();
    let p: Vec<(&str, &str)> = c
        .params
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let out = ss
        .transform(&input, &p, &mut ctx)
        .map_err(|e| e.to_string())?;
    Ok((out.method, out.bytes))
}

#[test]
fn differential_against_libxslt() {
    assert!(
        xsltproc_available(),
        "xsltproc is not installed: the differential tests need it. Install it with \
         `apt-get update && apt-get install -y --no-install-recommends xsltproc`"
    );
    let cases = cases();
    assert!(!cases.is_empty(), "no corpus cases found");
    let mut failures: Vec<String> = Vec::new();
    let only = std::env::var("CASE").ok();
    let mut ran = 0;
    for c in &cases {
        if only.as_ref().is_some_and(|o| !c.name.contains(o.as_str())) {
            continue;
        }
        ran += 1;
        let (ok, expected, stderr) = run_xsltproc(c);
        // Deep recursion in debug builds needs a big stack; the processor checks its budget.
        let ours = {
            let c2 = Case {
                deviation: None,
                name: c.name.clone(),
                xsl: c.xsl.clone(),
                xml: c.xml.clone(),
                params: c.params.clone(),
                associated: c.associated,
            };
            std::thread::Builder::new()
                .stack_size(512 << 20)
                .spawn(move || run_ours(&c2))
                .expect("spawn")
                .join()
                .unwrap_or_else(|_| Err("panicked".to_string()))
        };
        if let Some(reason) = &c.deviation {
            let expected_file = corpus_dir().join(format!("{}.expected", c.name));
            if let Ok(want) = std::fs::read(&expected_file) {
                match &ours {
                    Ok((_, got)) if *got == want && (!ok || expected != want) => {}
                    Ok((_, got)) if *got == want => failures.push(format!(
                        "[{}] documented deviation ({}) but xsltproc now agrees",
                        c.name,
                        reason.trim()
                    )),
                    Ok((_, got)) => failures.push(format!(
                        "[{}] deviation output differs from {}\n  expected: {:?}\n  got:      {:?}",
                        c.name,
                        expected_file.display(),
                        String::from_utf8_lossy(&want),
                        String::from_utf8_lossy(got)
                    )),
                    Err(e) => failures.push(format!("[{}] we failed: {e}", c.name)),
                }
                continue;
            }
            if ours.is_ok() {
                failures.push(format!(
                    "[{}] documented deviation ({}) but we succeeded",
                    c.name,
                    reason.trim()
                ));
            }
            continue;
        }
        let verdict = match (ok, &ours) {
            (false, Err(_)) => None,
            (false, Ok(_)) => Some(format!(
                "xsltproc failed but we succeeded; xsltproc said: {}",
                stderr.trim()
            )),
            (true, Err(e)) => Some(format!("we failed: {e}")),
            (true, Ok((method, got))) => {
                let same = if *method == OutputMethod::Xml {
                    let (a, b) = (
                        String::from_utf8_lossy(got),
                        String::from_utf8_lossy(&expected),
                    );
                    match (canonical(&a), canonical(&b)) {
                        (Some(x), Some(y)) => x == y,
                        _ => got == &expected,
                    }
                } else {
                    got == &expected
                };
                if same {
                    None
                } else {
                    Some(format!(
                        "output differs ({method:?})\n  expected: {:?}\n  got:      {:?}",
                        String::from_utf8_lossy(&expected),
                        String::from_utf8_lossy(got)
                    ))
                }
            }
        };
        if let Some(v) = verdict {
            failures.push(format!("[{}] {}", c.name, v));
        }
    }
    for f in &failures {
        eprintln!("{f}\n");
    }
    eprintln!(
        "differential: {} passed, {} failed",
        ran - failures.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} differential cases failed (see above)",
        failures.len(),
        ran
    );
}
