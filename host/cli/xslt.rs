//! `wharf xslt STYLESHEET INPUT [-p name=value]... [-o OUTPUT]`: try a stylesheet on this
//! machine. The transformation runs in the sandbox, in the `xslt-transform` component, exactly
//! as a workflow task would run it; the command only stages the files in a temporary working
//! directory and hands back the result. It holds no XSLT code of its own.
//!
//! Staging keeps the files' relative places, so `xsl:import`/`xsl:include`, `document()` and
//! DTDs resolve against the stylesheet and the input as with xsltproc: the XML files (`.xsl`,
//! `.xslt`, `.xml`, `.dtd`, `.ent`, up to 16 MiB each) beside the stylesheet and beside the
//! input, and every file the stylesheets, the input and their DTDs name with a literal
//! (import/include hrefs, `document('…')` strings, `SYSTEM "…"` identifiers), followed from
//! file to file. STYLESHEET may also be a built-in mapping name (the `auto-mapper` task).

use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use wharf_engine::Engine;
use wharf_engine::limits::Limits;
use wharf_engine::runtime::{CallResult, TaskCall};
use wharf_engine::storage::Mappings;

/// Name the result is written under inside the temporary working directory; hidden, so it
/// cannot clash with the staged stylesheets.
const OUTPUT: &str = ".wharf-xslt-output";

pub struct Args<'a> {
    pub stylesheet: &'a Path,
    pub input: &'a Path,
    /// `name=value` as given with `-p`.
    pub params: &'a [String],
    pub output: Option<&'a Path>,
    /// Value mappings for MapTo/MapFrom (`<data>/mappings.yaml`); absent means none.
    pub mappings_file: PathBuf,
}

pub fn run(engine: &Engine, args: &Args) -> Result<ExitCode> {
    let mut params = Vec::new();
    for p in args.params {
        match p.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => params.push((name.trim(), value)),
            _ => bail!("-p `{p}`: expected name=value"),
        }
    }
    if !args.input.is_file() {
        bail!(
            "the input {} does not exist or is not a file",
            args.input.display()
        );
    }
    // Not a file and not a path: a built-in mapping, which the auto-mapper task knows (and
    // names the built-ins when it is none of them).
    let builtin = (!args.stylesheet.exists() && args.stylesheet.components().count() == 1)
        .then(|| args.stylesheet.to_string_lossy().into_owned());
    if builtin.is_none() && !args.stylesheet.is_file() {
        bail!(
            "the stylesheet {} does not exist or is not a file (nor a built-in mapping name)",
            args.stylesheet.display()
        );
    }
    let mappings = read_mappings(&args.mappings_file)?;
    let task = if builtin.is_some() {
        "auto-mapper"
    } else {
        "xslt-transform"
    };
    let component = engine
        .components
        .resolve(task, Path::new("."))
        .map_err(anyhow::Error::msg)?;
    let loaded = engine.runtime.load(&component)?;

    // Removed when dropped, also when SIGINT/SIGTERM stops the transformation (the command
    // catches them: see `stop_on_signals`).
    let work = tempfile::Builder::new()
        .prefix("wharf-xslt-")
        .tempdir()
        .context("creating a temporary working directory")?;
    let stylesheet = builtin.is_none().then_some(args.stylesheet);
    let staged = stage(stylesheet, args.input, work.path())?;
    let stylesheet_setting = match &builtin {
        Some(name) => ("mapping".to_string(), name.clone()),
        None => ("xslt-file".to_string(), format!("/{}", staged.stylesheet)),
    };
    let settings = vec![
        ("input-file".to_string(), format!("/{}", staged.input)),
        stylesheet_setting,
        ("parameters".to_string(), parameters_setting(&params)),
        ("output-file".to_string(), format!("/{OUTPUT}")),
    ];
    let outcome = engine.runtime.call(
        &loaded,
        TaskCall {
            label: "wharf xslt",
            workdir: Some(work.path()),
            settings,
            limits: Limits::default(),
            state: BTreeMap::new(),
            truth: None,
            mappings: Arc::new(mappings),
            extensions: Vec::new(),
        },
    );
    // xsl:message output and warnings, as xsltproc prints them: on stderr.
    for line in &outcome.logs {
        match line.message.strip_prefix("xsl:message: ") {
            Some(message) => eprintln!("{message}"),
            None => eprintln!("{}: {}", line.level, line.message),
        }
    }
    let result = match outcome.result {
        Ok(CallResult::Plain(result)) => result,
        Ok(other) => bail!(
            "{} is not a plain task (it answered {other:?})",
            component.display()
        ),
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            return Ok(ExitCode::from(1));
        }
    };
    if !result.code.is_success() {
        eprintln!("error: {}", result.message);
        return Ok(ExitCode::from(1));
    }
    let produced = work.path().join(OUTPUT);
    match args.output {
        Some(target) => {
            if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            std::fs::copy(&produced, target)
                .with_context(|| format!("writing {}", target.display()))?;
        }
        None => {
            let mut file = std::fs::File::open(&produced).context("reading the result")?;
            let mut stdout = std::io::stdout().lock();
            std::io::copy(&mut file, &mut stdout).context("writing to stdout")?;
            stdout.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Most files staged, and most bytes.
const STAGE_MAX_FILES: usize = 2000;
const STAGE_MAX_BYTES: u64 = 1 << 30;
/// Files beside the stylesheet or the input are staged up to this size (named ones always).
const SIBLING_MAX_BYTES: u64 = 16 << 20;
/// Extensions of the files beside the stylesheet and the input that are staged.
const SIBLING_EXTENSIONS: [&str; 6] = ["xsl", "xslt", "xml", "dtd", "ent", "mod"];

/// Where the stylesheet and the input are inside the working directory.
struct Staged {
    stylesheet: String,
    input: String,
}

/// Copies the stylesheet, the stylesheets beside it, the input and every file they name
/// (see the module comment) into `work`, in the same places relative to each other.
fn stage(stylesheet: Option<&Path>, input: &Path, work: &Path) -> Result<Staged> {
    let absolute =
        |p: &Path| std::fs::canonicalize(p).with_context(|| format!("reading {}", p.display()));
    let input = absolute(input)?;
    let stylesheet = stylesheet.map(absolute).transpose()?;
    let mut files: Vec<PathBuf> = Vec::new();
    let mut queue: Vec<PathBuf> = vec![input.clone()];
    queue.extend(stylesheet.iter().cloned());
    let mut folders: Vec<&Path> = vec![input.parent().unwrap_or(Path::new("/"))];
    if let Some(s) = &stylesheet {
        folders.push(s.parent().unwrap_or(Path::new("/")));
    }
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let wanted = path
                .extension()
                .is_some_and(|e| SIBLING_EXTENSIONS.iter().any(|w| e.eq_ignore_ascii_case(w)));
            if wanted
                && entry
                    .metadata()
                    .is_ok_and(|m| m.is_file() && m.len() <= SIBLING_MAX_BYTES)
            {
                queue.push(path);
            }
        }
    }
    let mut bytes = 0u64;
    while let Some(path) = queue.pop() {
        if files.contains(&path) {
            continue;
        }
        if files.len() >= STAGE_MAX_FILES {
            bail!("the stylesheet and input name more than {STAGE_MAX_FILES} files");
        }
        bytes += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if bytes > STAGE_MAX_BYTES {
            bail!("the files the stylesheet and input name come to more than 1 GiB");
        }
        // Documents are read for references in their DTD only: they may be large.
        let is_document = path
            .extension()
            .is_none_or(|e| e.eq_ignore_ascii_case("xml"));
        let text = if path == input || (is_document && Some(&path) != stylesheet.as_ref()) {
            read_prolog(&path)
        } else {
            std::fs::read(&path)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        };
        let folder = path.parent().unwrap_or(Path::new("/")).to_path_buf();
        for reference in named_files(&text) {
            let target = folder.join(reference);
            if let Ok(target) = std::fs::canonicalize(&target)
                && target.is_file()
            {
                queue.push(target);
            }
        }
        files.push(path);
    }
    let root = files
        .iter()
        .filter_map(|f| f.parent())
        .fold(None::<PathBuf>, |acc, dir| {
            Some(match acc {
                None => dir.to_path_buf(),
                Some(a) => common_ancestor(&a, dir),
            })
        })
        .unwrap_or_else(|| PathBuf::from("/"));
    let relative = |p: &Path| -> String {
        p.strip_prefix(&root)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    };
    for file in &files {
        let target = work.join(relative(file));
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::copy(file, &target)
            .with_context(|| format!("copying {} to {}", file.display(), target.display()))?;
    }
    Ok(Staged {
        stylesheet: stylesheet.as_deref().map(relative).unwrap_or_default(),
        input: relative(&input),
    })
}

/// The start of a document up to its root element: where its DOCTYPE is.
fn read_prolog(path: &Path) -> String {
    use std::io::Read;
    let mut head = Vec::new();
    if let Ok(file) = std::fs::File::open(path) {
        let _ = file.take(64 * 1024).read_to_end(&mut head);
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Relative file references written as literals: `href` of xsl:import/xsl:include,
/// `document('…')` strings and `SYSTEM`/`PUBLIC` identifiers.
fn named_files(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let literal_after = |rest: &str| -> Option<String> {
        let rest = rest.trim_start();
        let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let end = rest[1..].find(quote)?;
        Some(rest[1..1 + end].to_string())
    };
    for (marker, skip_public) in [
        ("href=", false),
        ("document(", false),
        ("SYSTEM", false),
        ("PUBLIC", true),
    ] {
        let mut rest = text;
        while let Some(i) = rest.find(marker) {
            rest = &rest[i + marker.len()..];
            let mut after = rest;
            if skip_public {
                // PUBLIC "public id" "system id": the second literal.
                let t = after.trim_start();
                let Some(q) = t.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                    continue;
                };
                let Some(end) = t[1..].find(q) else { continue };
                after = &t[end + 2..];
            }
            if let Some(name) = literal_after(after)
                && !name.is_empty()
                && !name.contains("://")
                && !name.starts_with('#')
                && !name.starts_with('/')
            {
                let name = name.split('#').next().unwrap_or_default().to_string();
                found.push(name);
            }
        }
    }
    found
}

fn common_ancestor(a: &Path, b: &Path) -> PathBuf {
    a.components()
        .zip(b.components())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x)
        .collect()
}

/// The component's `parameters` setting: `name="value";…` with every value quoted (`""` for a
/// quote), which the component reads back exactly, `;` and spaces included.
fn parameters_setting(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(name, value)| format!("{name}=\"{}\"", value.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(";")
}

/// The mappings file (name → list of [from, to]), as workflows see it; none if it is absent.
fn read_mappings(path: &Path) -> Result<Mappings> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_saphyr::from_str(&text)
            .with_context(|| format!("reading the mappings in {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Mappings::new()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}
