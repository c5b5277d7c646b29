//! `wharf xslt STYLESHEET INPUT [-p name=value]... [-o OUTPUT]`: try a stylesheet on this
//! machine. The transformation runs in the sandbox, in the `xslt-transform` component, exactly
//! as a workflow task would run it; the command only stages the files in a temporary working
//! directory and hands back the result. It holds no XSLT code of its own.

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
    for (what, path) in [("stylesheet", args.stylesheet), ("input", args.input)] {
        if !path.is_file() {
            bail!(
                "the {what} {} does not exist or is not a file",
                path.display()
            );
        }
    }
    let mappings = read_mappings(&args.mappings_file)?;
    let component = engine
        .components
        .resolve("xslt-transform", Path::new("."))
        .map_err(anyhow::Error::msg)?;
    let loaded = engine.runtime.load(&component)?;

    // Removed when dropped, also when SIGINT/SIGTERM stops the transformation (the command
    // catches them: see `stop_on_signals`).
    let work = tempfile::Builder::new()
        .prefix("wharf-xslt-")
        .tempdir()
        .context("creating a temporary working directory")?;
    let (stylesheet, input) = stage(args.stylesheet, args.input, work.path())?;
    let settings = vec![
        ("input-file".to_string(), format!("/{input}")),
        ("xslt-file".to_string(), format!("/{stylesheet}")),
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
            archive: None,
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

/// Copies the stylesheet, the stylesheets beside it (for `xsl:include`/`xsl:import`) and the
/// input into `work`; returns the names of the stylesheet and the input there.
fn stage(stylesheet: &Path, input: &Path, work: &Path) -> Result<(String, String)> {
    let name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let copy = |from: &Path, to: &Path| {
        std::fs::copy(from, to)
            .with_context(|| format!("copying {} to {}", from.display(), to.display()))
    };
    let stylesheet_name = name(stylesheet);
    copy(stylesheet, &work.join(&stylesheet_name))?;
    let folder = stylesheet
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Ok(entries) = std::fs::read_dir(folder) {
        for entry in entries.flatten() {
            let path = entry.path();
            let is_stylesheet = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("xsl") || e.eq_ignore_ascii_case("xslt"));
            let target = work.join(name(&path));
            if is_stylesheet && path.is_file() && !target.exists() {
                copy(&path, &target)?;
            }
        }
    }
    let mut input_name = name(input);
    if work.join(&input_name).exists() {
        std::fs::create_dir(work.join("input"))?;
        input_name = format!("input/{input_name}");
    }
    copy(input, &work.join(&input_name))?;
    Ok((stylesheet_name, input_name))
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
