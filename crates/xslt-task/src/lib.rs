//! What the `auto-mapper` and `xslt-transform` components share: running an XSLT 1.0
//! stylesheet ([`wharf_xslt`]) on a file in the working directory and writing the result to
//! another, with
//!
//! * top-level `xsl:param`s from the `parameters` setting (`name=value;name=value`),
//! * `MapTo` / `MapFrom` answered by the host's `mappings` interface ([`HostMappings`]),
//! * `document()`, `xsl:import`/`xsl:include` and `FileExists` confined to the working directory,
//! * `xsl:message` lines in the run log, and `terminate="yes"` ending the task as `fail` with the
//!   message,
//! * errors that name the setting, the stylesheet file, line and column, or the template and
//!   XPath that failed.
//!
//! The logic is plain functions over [`Env`], so it runs natively in unit tests with a
//! [`wharf_xslt::MappingTable`] and a temporary directory as the working directory.

use std::fs;
use std::io::{self, BufWriter};
use std::path::{Component, Path, PathBuf};

use wharf_guest::{SettingError, SettingKind, SettingValue, TaskResult, fs::partial_path, log};
use wharf_xslt::{Context, FsResolver, Mappings, MessageSink, Stylesheet, XsltError};

/// Stack the components are linked with (`-zstack-size`, see their `build.rs`). Deeply
/// recursive stylesheets (a template calling itself per list item) need it.
pub const COMPONENT_STACK: usize = 8 << 20;

/// Stack the transformation may use before it fails with "recursion too deep": the component
/// stack minus room for the frames below the transformation and for the host calls it makes.
pub const COMPONENT_STACK_LIMIT: usize = COMPONENT_STACK - (1 << 20);

/// Nested template instantiations allowed. Each level also takes about 1.5 KiB of the host's
/// native stack for the compiled guest code (wasmtime's `max_wasm_stack`, 16 MiB in Wharf), so
/// this bound keeps runaway recursion a clean error rather than a trap. libxslt stops at 3000
/// (about 1500 levels of a recursive named template).
pub const MAX_TEMPLATE_DEPTH: usize = 5000;

/// `MapTo` / `MapFrom` through the host's `mappings` interface (docs/zynk-reference.md §1.9).
///
/// The host interface exists only inside Wharf: outside WebAssembly (native unit tests) every
/// lookup finds nothing; tests pass a [`wharf_xslt::MappingTable`] instead.
#[derive(Debug, Clone, Copy, Default)]
pub struct HostMappings;

impl Mappings for HostMappings {
    fn map_to(&self, mapping: &str, from: &str) -> Option<String> {
        host_map(mapping, from, true)
    }
    fn map_from(&self, mapping: &str, to: &str) -> Option<String> {
        host_map(mapping, to, false)
    }
}

#[cfg(target_arch = "wasm32")]
fn host_map(mapping: &str, value: &str, to: bool) -> Option<String> {
    use wharf_guest::host::mappings;
    if to {
        mappings::map_to(mapping, value)
    } else {
        mappings::map_from(mapping, value)
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn host_map(_mapping: &str, _value: &str, _to: bool) -> Option<String> {
    None
}

/// Where the transformation runs.
pub struct Env<'a> {
    /// The working directory as this code sees it (`/` inside the component). Every file the
    /// stylesheet reaches (`document()`, imports, `FileExists`) must be below it.
    pub root: PathBuf,
    pub mappings: &'a dyn Mappings,
    /// Bytes of stack the transformation may use ([`wharf_xslt::Context::stack_limit`]).
    pub stack_limit: usize,
    /// Nested template instantiations allowed ([`wharf_xslt::Context::max_depth`]).
    pub max_depth: usize,
}

impl Env<'static> {
    /// The environment inside the component: the working directory is `/`, mappings come
    /// from the host, and the stack is the one the component is linked with.
    pub fn component() -> Self {
        Env {
            root: PathBuf::from("/"),
            mappings: &HostMappings,
            stack_limit: COMPONENT_STACK_LIMIT,
            max_depth: MAX_TEMPLATE_DEPTH,
        }
    }
}

/// Where the stylesheet comes from.
pub enum Source<'a> {
    /// Compiled into the component (an Auto Mapper built-in mapping).
    Builtin { name: &'a str, text: &'a str },
    /// A stylesheet file in the working directory.
    File(PathBuf),
}

/// One transformation: files, stylesheet and parameters, plus the names of the settings they
/// came from (errors name them).
pub struct Job<'a> {
    pub input: PathBuf,
    pub output: PathBuf,
    pub stylesheet: Source<'a>,
    /// The setting naming the stylesheet (`mapping`, `xslt-file`).
    pub stylesheet_setting: &'a str,
    /// Top-level `xsl:param` values, by name.
    pub params: Vec<(String, String)>,
}

/// Parses the `parameters` setting: `name=value` pairs separated by `;` or line breaks.
///
/// Names and values are trimmed; an empty value passes the empty string (Zynk's "leave empty
/// to not set a value" parameters then produce empty output elements). A value in double
/// quotes is taken exactly as written, `;` and spaces included, with `""` for a quote:
/// `Separator=";";Prefix="Web "`. A name is an `xsl:param` name, optionally
/// `{namespace-uri}local`.
pub fn parse_parameters(setting: &str, text: &str) -> Result<Vec<(String, String)>, SettingError> {
    let error = |problem: String| SettingError::new(setting, problem);
    let mut params = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ';' || c.is_whitespace());
        if rest.is_empty() {
            return Ok(params);
        }
        let end = rest.find([';', '\n']).unwrap_or(rest.len());
        let Some(eq) = rest[..end].find('=') else {
            return Err(error(format!(
                "expected name=value, got `{}` (separate parameters with `;`)",
                rest[..end].trim()
            )));
        };
        let name = rest[..eq].trim();
        if name.is_empty() || name.contains(char::is_whitespace) || name.contains('"') {
            return Err(error(format!("`{name}` is not a parameter name")));
        }
        let after = rest[eq + 1..].trim_start_matches([' ', '\t']);
        let value;
        if let Some(quoted) = after.strip_prefix('"') {
            let (text, used) = unquote(quoted)
                .ok_or_else(|| error(format!("the value of `{name}` has no closing quote")))?;
            value = text;
            rest = quoted[used..].trim_start_matches([' ', '\t']);
            if !(rest.is_empty() || rest.starts_with([';', '\n'])) {
                return Err(error(format!(
                    "unexpected text after the quoted value of `{name}`: `{}`",
                    rest.split([';', '\n']).next().unwrap_or_default()
                )));
            }
        } else {
            let end = after.find([';', '\n']).unwrap_or(after.len());
            value = after[..end].trim().to_string();
            rest = &after[end..];
        }
        params.push((name.to_string(), value));
    }
}

/// The `parameters` setting of both XSLT tasks, as a settings field: text read with
/// [`parse_parameters`]; left out or empty, no parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parameters(pub Vec<(String, String)>);

impl SettingValue for Parameters {
    const KIND: SettingKind = SettingKind::Text;
    const OPTIONAL: bool = true;

    fn parse_value(value: &str) -> Result<Self, String> {
        parse_parameters("parameters", value)
            .map(Parameters)
            .map_err(|error| error.problem)
    }

    fn absent() -> Option<Self> {
        Some(Self::default())
    }
}

/// The text of a quoted value up to its closing quote (`""` is a quote), and the bytes used
/// including the closing quote; `None` if it is not closed.
fn unquote(text: &str) -> Option<(String, usize)> {
    let mut value = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '"' {
            if chars.peek().is_some_and(|&(_, next)| next == '"') {
                chars.next();
            } else {
                return Some((value, i + 1));
            }
        }
        value.push(c);
    }
    None
}

/// Writes `params` as a `parameters` setting value that [`parse_parameters`] reads back
/// exactly (every value quoted).
pub fn format_parameters<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    params
        .into_iter()
        .map(|(name, value)| format!("{name}=\"{}\"", value.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(";")
}

/// A path given as text (not as a `file` setting the host already resolved) inside the working
/// directory: relative or rooted at the working directory; `..` may not climb out of it.
pub fn workdir_path(root: &Path, setting: &str, value: &str) -> Result<PathBuf, SettingError> {
    let normalised = value.trim().replace('\\', "/");
    let mut parts: Vec<&str> = Vec::new();
    for c in Path::new(&normalised).components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str().unwrap_or_default()),
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return Err(SettingError::new(
                        setting,
                        format!("path `{value}` leads outside the working directory"),
                    ));
                }
            }
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    if parts.is_empty() {
        return Err(SettingError::new(setting, "required but empty"));
    }
    Ok(parts
        .iter()
        .fold(root.to_path_buf(), |p, part| p.join(part)))
}

/// How a file is named in messages and used as a base URI: relative to the working directory,
/// so errors say `mapping.xsl:3:5`, not a path the user never wrote.
fn display_name(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// Sends `xsl:message` output to the run log.
struct LogMessages {
    count: usize,
}

impl MessageSink for LogMessages {
    fn message(&mut self, text: &str) {
        self.count += 1;
        log::info(format!("xsl:message: {text}"));
    }
}

/// Runs the job and reports the outcome as a task result.
pub fn run(job: &Job, env: &Env) -> TaskResult {
    let (stylesheet_name, text) = match &job.stylesheet {
        Source::Builtin { name, text } => (format!("{name}.xsl"), text.as_bytes().to_vec()),
        Source::File(path) => match fs::read(path) {
            Ok(bytes) => (display_name(&env.root, path), bytes),
            Err(e) => return missing_or_unreadable(job.stylesheet_setting, path, "stylesheet", e),
        },
    };
    let resolver = FsResolver::new(&env.root);
    let stylesheet = match Stylesheet::compile(&text, &stylesheet_name, &resolver) {
        Ok(s) => s,
        Err(e) => {
            return TaskResult::fail(format!(
                "setting `{}`: the stylesheet is not valid XSLT 1.0: {e}",
                job.stylesheet_setting
            ));
        }
    };
    drop(text);
    warn_unknown_params(&stylesheet, &job.params, &stylesheet_name);

    let input = match fs::read(&job.input) {
        Ok(bytes) => bytes,
        Err(e) => return missing_or_unreadable("input-file", &job.input, "input file", e),
    };
    let input_name = display_name(&env.root, &job.input);

    if let Some(parent) = job.output.parent().filter(|p| !p.as_os_str().is_empty())
        && let Err(e) = fs::create_dir_all(parent)
    {
        return TaskResult::fail(format!(
            "setting `output-file`: cannot create the folder `{}`: {e}",
            parent.display()
        ));
    }
    let partial = partial_path(&job.output);
    let file = match fs::File::create(&partial) {
        Ok(f) => f,
        Err(e) => {
            return TaskResult::fail(format!(
                "setting `output-file`: cannot create `{}`: {e}",
                partial.display()
            ));
        }
    };
    let mut writer = BufWriter::with_capacity(256 * 1024, file);
    let mut messages = LogMessages { count: 0 };
    let params: Vec<(&str, &str)> = job
        .params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let outcome = {
        let mut ctx = Context::default()
            .with_resolver(&resolver)
            .with_mappings(env.mappings);
        ctx.input_uri = input_name.clone();
        ctx.stack_limit = env.stack_limit;
        ctx.max_depth = env.max_depth;
        ctx.message_sink = Some(&mut messages);
        stylesheet.transform_to_writer(&input, &params, &mut ctx, &mut writer)
    };
    drop(input);
    let finished = outcome.and_then(|info| {
        let file = writer
            .into_inner()
            .map_err(|e| XsltError::Output(e.error().to_string()))?;
        file.sync_all()
            .map_err(|e| XsltError::Output(e.to_string()))?;
        Ok(info)
    });
    let info = match finished {
        Ok(info) => info,
        Err(e) => {
            // Never leave a half-written output behind.
            let _ = fs::remove_file(&partial);
            return failure(job, &stylesheet_name, &input_name, e);
        }
    };
    if let Err(e) = fs::rename(&partial, &job.output) {
        let _ = fs::remove_file(&partial);
        return TaskResult::fail(format!(
            "setting `output-file`: cannot write `{}`: {e}",
            job.output.display()
        ));
    }
    let with_messages = match messages.count {
        0 => String::new(),
        1 => ", 1 message in the log".to_string(),
        n => format!(", {n} messages in the log"),
    };
    TaskResult::success(format!(
        "transformed `{input_name}` with `{stylesheet_name}` into `{}` ({} bytes, {:?}{with_messages})",
        display_name(&env.root, &job.output),
        info.bytes_written,
        info.method,
    ))
    .with_output("bytes", info.bytes_written.to_string())
    .with_counts(1, 1, 0)
}

fn missing_or_unreadable(setting: &str, path: &Path, what: &str, e: io::Error) -> TaskResult {
    if e.kind() == io::ErrorKind::NotFound {
        TaskResult::not_found(format!(
            "setting `{setting}`: {what} `{}` does not exist",
            path.display()
        ))
    } else {
        TaskResult::fail(format!(
            "setting `{setting}`: cannot read {what} `{}`: {e}",
            path.display()
        ))
    }
}

/// A failed transformation as a result naming what to fix.
fn failure(job: &Job, stylesheet: &str, input: &str, e: XsltError) -> TaskResult {
    match e {
        XsltError::Terminated { message } => TaskResult::fail(format!(
            "the stylesheet stopped the transformation (xsl:message terminate=\"yes\"): {message}"
        )),
        XsltError::Xml { ref uri, .. } if uri == input => TaskResult::fail(format!(
            "setting `input-file`: the input is not well-formed: {e}"
        )),
        XsltError::Xml { ref uri, .. } if uri == stylesheet => TaskResult::fail(format!(
            "setting `{}`: the stylesheet is not well-formed: {e}",
            job.stylesheet_setting
        )),
        XsltError::Output(ref m) => TaskResult::fail(format!(
            "setting `output-file`: cannot write the output: {m}"
        )),
        other => TaskResult::fail(format!("transformation failed: {other}")),
    }
}

/// Parameters the stylesheet does not declare are ignored (as xsltproc does); say so in the
/// log, because it is usually a typo.
fn warn_unknown_params(stylesheet: &Stylesheet, params: &[(String, String)], name: &str) {
    let declared = stylesheet.parameters();
    for (param, _) in params {
        if !declared.iter().any(|d| d == param) {
            log::warn(format!(
                "parameter `{param}` is not an xsl:param of `{name}` (it declares: {}); ignored",
                if declared.is_empty() {
                    "none".to_string()
                } else {
                    declared.join(", ")
                }
            ));
        }
    }
}

#[cfg(test)]
mod tests;
