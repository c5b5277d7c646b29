//! Setting templates (minijinja): `{{ current.Name }}`, workflow and global variables, system
//! variables (docs/zynk-reference.md §1.6), outputs of earlier tasks and `now("%Y-%m-%d")`.
//!
//! Names at the top level resolve workflow → global → system (docs/zynk-reference.md §6 (1)); the same values
//! are also reachable explicitly as `vars.X`, `globals.X` and `system.X`. `current` is the item of
//! the innermost repeater (inner repeaters shadow outer ones); `outer` lists the outer items,
//! nearest first. `outputs.<task id>.<name>` reads what an earlier task returned.
//!
//! Rendering is bounded (docs/limits.md): each render may execute at most [`TEMPLATE_FUEL`]
//! template instructions, produce at most [`MAX_SETTING_BYTES`] of text, and take no longer than
//! the time the caller allows (the task's own time limit). `namespace()` is not offered: it is
//! the one way to carry a value from one loop iteration to the next, and so to grow a string
//! exponentially in a few instructions.

use crate::limits::{MAX_SETTING_BYTES, excerpt, human_size};
use crate::notice::RunSummary;
use chrono::{Datelike, Local};
use minijinja::value::{Enumerator, Object};
use minijinja::{Environment, ErrorKind, Template, UndefinedBehavior, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub type VarMap = BTreeMap<String, String>;

/// Template instructions one render may execute. A setting that names a few variables uses
/// dozens; a loop over a thousand items a few tens of thousands. Three nested `range(10000)`
/// loops would need 10^12 and stop here at once.
pub const TEMPLATE_FUEL: u64 = 2_000_000;
/// How deep templates may nest (loops, conditions, calls).
const TEMPLATE_RECURSION: usize = 64;

#[derive(Clone)]
pub struct Templates {
    /// Renders for real: strict about undefined names.
    env: Arc<Environment<'static>>,
    /// Trial renders for `validate`: undefined names render empty, so the cost of the template's
    /// own structure (literal loops, repetitions) shows without the run's data.
    probe: Arc<Environment<'static>>,
    /// Setting templates compiled once, by their text (shared by clones): a task inside a
    /// repeater renders the same few texts for every item.
    compiled: Arc<Mutex<HashMap<String, Compiled>>>,
}

/// A setting template compiled once: `env` holds it as [`COMPILED_NAME`].
#[derive(Clone)]
struct Compiled {
    env: Arc<Environment<'static>>,
    lookup_only: bool,
    /// The template as text and plain lookups, when it is that simple ([`Piece`]).
    pieces: Option<Arc<[Piece]>>,
}

/// A part of a setting template that renders without minijinja: the usual setting is text
/// around `{{ current.Name }}`, rendered once per task per repeater item, where minijinja's
/// render (context object, VM, output) was most of the walk's own cost per task.
enum Piece {
    Text(String),
    /// A dotted name: `current.X`, `vars.X`, `globals.X`, `outputs.T.X` or a bare variable.
    Lookup(Vec<String>),
}

/// The name a compiled setting template has in its own environment (templates cannot name
/// another: `include`, `import` and `extends` are not built in, minijinja's `multi_template`).
const COMPILED_NAME: &str = "<setting>";
/// Setting templates kept compiled, and the longest text kept (a longer one is compiled for
/// each render, as a task's whole template is): a workflow's settings are far fewer and
/// shorter, and the cache stays small whatever a long-running process renders.
const COMPILED_TEMPLATES: usize = 512;
const COMPILED_TEXT_BYTES: usize = 4096;

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

/// True when the text contains template syntax; plain values skip the renderer entirely.
pub fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

/// Everything a template may read at one point of a run. Maps are shared (`Arc`) so building a
/// render context costs a few reference counts, not a copy of every variable.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub workflow: Arc<VarMap>,
    pub globals: Arc<VarMap>,
    /// Repeater items, outermost first.
    pub current: Vec<Arc<VarMap>>,
    pub outputs: Arc<BTreeMap<String, VarMap>>,
    /// The run so far, as `run.summary`, `run.json`, `run.link` … (the engine adds each task as
    /// it ends); none outside a run.
    pub run: Option<Arc<Mutex<RunSummary>>>,
}

impl Scope {
    /// Records what a task returned, for `outputs.<task id>.<name>`.
    pub fn set_outputs(&mut self, task_id: &str, outputs: VarMap) {
        Arc::make_mut(&mut self.outputs).insert(task_id.to_string(), outputs);
    }

    pub fn context(&self) -> Value {
        Value::from_object(RenderContext(self.clone()))
    }

    /// The string map a top-level name stands for: `current` (the innermost item, none
    /// outside a repeater), `vars`, `globals`; `None` for any other name.
    fn named_map(&self, name: &str) -> Option<&Arc<VarMap>> {
        match name {
            "current" => self.current.last(),
            "vars" => Some(&self.workflow),
            "globals" => Some(&self.globals),
            _ => None,
        }
    }

    /// A bare variable: the workflow's, else the globals' (system variables come after both).
    fn variable(&self, name: &str) -> Option<&String> {
        self.workflow.get(name).or_else(|| self.globals.get(name))
    }
}

/// The names [`RenderContext`] answers itself; any other top-level name is a variable.
const CONTEXT_NAMES: [&str; 7] = [
    "current", "outer", "vars", "globals", "system", "outputs", "run",
];

/// The top level of a template's context, resolved on access: system variables (including a
/// fresh `Guid`) are computed only when a template names them.
#[derive(Debug)]
struct RenderContext(Scope);

/// A string map seen from a template (`current.Name`, `vars.X`).
#[derive(Debug)]
struct MapObject(Arc<VarMap>);

impl Object for MapObject {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.0.get(key.as_str()?).map(|v| Value::from(v.as_str()))
    }
    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.0.keys().map(|k| Value::from(k.as_str())).collect())
    }
}

fn system_variable(name: &str) -> Option<String> {
    let now = Local::now();
    Some(match name {
        "Guid" => uuid::Uuid::new_v4().to_string(),
        "CurrentDate" => now.format("%d/%m/%Y").to_string(),
        "CurrentDateTime" => now.format("%d/%m/%Y %H:%M:%S").to_string(),
        "CurrentDay" => now.day().to_string(),
        "CurrentMonth" => now.format("%B").to_string(),
        "CurrentYear" => now.year().to_string(),
        "CurrentDayName" => now.format("%A").to_string(),
        "CurrentLongDate" => now.format("%A, %-d %B, %Y").to_string(),
        _ => return None,
    })
}

/// The names of the system variables (docs/zynk-reference.md §1.6).
pub const SYSTEM_VARIABLES: [&str; 8] = [
    "Guid",
    "CurrentDate",
    "CurrentDateTime",
    "CurrentDay",
    "CurrentMonth",
    "CurrentYear",
    "CurrentDayName",
    "CurrentLongDate",
];

/// The system variables at this moment, with the UK formats Zynk users know.
pub fn system_variables() -> VarMap {
    SYSTEM_VARIABLES
        .iter()
        .filter_map(|n| system_variable(n).map(|v| (n.to_string(), v)))
        .collect()
}

impl Object for RenderContext {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let scope = &self.0;
        let key = key.as_str()?;
        let map = |m: &Arc<VarMap>| Value::from_object(MapObject(m.clone()));
        match key {
            "current" | "vars" | "globals" => scope.named_map(key).map(map),
            "outer" => Some(Value::from(
                scope
                    .current
                    .iter()
                    .rev()
                    .skip(1)
                    .map(map)
                    .collect::<Vec<_>>(),
            )),
            "system" => Some(Value::from_serialize(system_variables())),
            "outputs" => Some(Value::from_serialize(&*scope.outputs)),
            "run" => scope.run.as_ref().map(|run| {
                let run = run.lock().unwrap_or_else(|p| p.into_inner()).clone();
                run_value(&run)
            }),
            _ => scope
                .variable(key)
                .map(|v| Value::from(v.as_str()))
                .or_else(|| system_variable(key).map(Value::from)),
        }
    }
}

/// `run` as templates see it: the run so far (docs/notify.md, "The notify task").
fn run_value(run: &RunSummary) -> Value {
    let counts = run.counts;
    Value::from_serialize(BTreeMap::from([
        ("id", Value::from(run.run.as_str())),
        ("workflow", Value::from(run.workflow.as_str())),
        ("workflow_id", Value::from(run.workflow_id.as_str())),
        ("started", Value::from(run.started.to_rfc3339())),
        (
            "started_by",
            Value::from(run.started_by.clone().unwrap_or_default()),
        ),
        ("records_in", Value::from(counts.records_in)),
        ("records_out", Value::from(counts.records_out)),
        ("records_failed", Value::from(counts.records_failed)),
        (
            "failed_tasks",
            Value::from(run.failed_tasks.len() + run.more_failed_tasks),
        ),
        ("headline", Value::from(run.headline())),
        ("summary", Value::from(run.text())),
        ("json", Value::from(run.json().to_string())),
        ("link", Value::from(run.link.as_str())),
    ]))
}

/// A task's render context: the settings' context plus `template.<name>`.
#[derive(Debug)]
struct TaskContext {
    scope: Arc<RenderContext>,
    template: Arc<VarMap>,
}

impl Object for TaskContext {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        if key.as_str() == Some("template") {
            return Some(Value::from_object(MapObject(self.template.clone())));
        }
        self.scope.get_value(key)
    }
}

impl Templates {
    pub fn new() -> Self {
        let mut env = Environment::new();
        // A misspelt variable must be an error naming it, not an empty path.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(TEMPLATE_FUEL));
        env.set_recursion_limit(TEMPLATE_RECURSION);
        env.remove_global("namespace");
        env.add_function(
            "now",
            |format: Option<String>| -> Result<String, minijinja::Error> {
                let format = format.unwrap_or_else(|| "%Y-%m-%dT%H:%M:%S".into());
                let mut out = String::new();
                use std::fmt::Write;
                write!(out, "{}", Local::now().format(&format)).map_err(|_| {
                    minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("bad date format `{format}`"),
                    )
                })?;
                Ok(out)
            },
        );
        env.add_function(
            "utcnow",
            |format: Option<String>| -> Result<String, minijinja::Error> {
                let format = format.unwrap_or_else(|| "%Y-%m-%dT%H:%M:%SZ".into());
                let mut out = String::new();
                use std::fmt::Write;
                write!(out, "{}", chrono::Utc::now().format(&format)).map_err(|_| {
                    minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("bad date format `{format}`"),
                    )
                })?;
                Ok(out)
            },
        );
        let mut probe = env.clone();
        probe.set_undefined_behavior(UndefinedBehavior::Chainable);
        Templates {
            env: Arc::new(env),
            probe: Arc::new(probe),
            compiled: Arc::default(),
        }
    }

    /// `text` (at most [`COMPILED_TEXT_BYTES`]) compiled in an environment of its own, from the
    /// cache or compiled now and kept. A syntax error is not kept: each render reports it.
    fn compiled(&self, text: &str) -> Result<Compiled, String> {
        let mut cache = self.compiled.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = cache.get(text) {
            return Ok(c.clone());
        }
        let mut env = (*self.env).clone();
        env.add_template_owned(COMPILED_NAME, text.to_owned())
            .map_err(describe_error)?;
        let lookup_only = is_lookup_only(text);
        let compiled = Compiled {
            env: Arc::new(env),
            lookup_only,
            pieces: if lookup_only { pieces(text) } else { None },
        };
        if cache.len() >= COMPILED_TEMPLATES {
            cache.clear();
        }
        cache.insert(text.to_owned(), compiled.clone());
        Ok(compiled)
    }

    /// Renders `text` in `scope`, within the bounds above and the default time allowance of a
    /// task; plain text is returned as it is.
    pub fn render(&self, text: &str, scope: &Scope) -> Result<String, String> {
        self.render_within(text, scope, crate::limits::Limits::default().timeout)
    }

    /// Renders `text` in `scope`, giving up after `allowed` (the time left of the task's limit).
    ///
    /// Fuel bounds the instructions, but one instruction (a filter over a long repeated list)
    /// can still take long, so the render runs on a worker thread and is abandoned when the
    /// time is up; that worker then ends at its next fuel or output check, and the next render
    /// starts a fresh one. Templates that only look values up (`{{ current.Name }}`, the usual
    /// setting) cannot take long and render on this thread: the worker's round trip (two
    /// thread wake-ups) cost more than the render.
    pub fn render_within(
        &self,
        text: &str,
        scope: &Scope,
        allowed: Duration,
    ) -> Result<String, String> {
        if !is_template(text) {
            return Ok(text.to_string());
        }
        if text.len() > COMPILED_TEXT_BYTES {
            let render = render_source(self.env.clone(), text.to_owned(), scope.context());
            return render_on_worker(render, allowed).map_err(WorkerError::message);
        }
        let compiled = self.compiled(text)?;
        if let Some(pieces) = &compiled.pieces
            && let Some(rendered) = render_pieces(pieces, scope)
        {
            return Ok(rendered);
        }
        if compiled.lookup_only {
            return render_compiled(&compiled.env, scope.context());
        }
        let context = scope.context();
        render_on_worker(move || render_compiled(&compiled.env, context), allowed)
            .map_err(WorkerError::message)
    }

    /// Renders a whole template for a task (the `template` host interface, wit/template.wit):
    /// `scope` as for the task's settings, `template_variables` as `template.<name>`, within
    /// the same bounds as a setting, the text given included.
    pub fn render_for_task(
        &self,
        text: &str,
        scope: &Scope,
        template_variables: VarMap,
        allowed: Duration,
    ) -> Result<String, String> {
        if text.len() > MAX_SETTING_BYTES {
            return Err(format!(
                "{OVER_BOUNDS} the template is longer than {} (the most a setting may hold)",
                human_size(MAX_SETTING_BYTES as u64)
            ));
        }
        let context = Value::from_object(TaskContext {
            scope: Arc::new(RenderContext(scope.clone())),
            template: Arc::new(template_variables),
        });
        let render = render_source(self.env.clone(), text.to_owned(), context);
        let mut rendered = render_on_worker(render, allowed).map_err(WorkerError::message)?;
        // minijinja drops the template's last line break (right for a setting); a file keeps it.
        if text.ends_with('\n') {
            rendered.push('\n');
        }
        Ok(rendered)
    }

    /// Checks a template before anything runs (for `wharf validate`): its syntax, and a trial
    /// render with every variable empty, which catches templates that exceed the bounds by
    /// their own structure (`range(10000)` nested three deep, a huge repetition).
    pub fn check(&self, text: &str) -> Result<(), String> {
        if !is_template(text) {
            return Ok(());
        }
        self.env
            .template_from_str(text)
            .map(|_| ())
            .map_err(describe_error)?;
        let trial = render_source(
            self.probe.clone(),
            text.to_owned(),
            Scope::default().context(),
        );
        match render_on_worker(trial, CHECK_TIME) {
            Err(Late(_)) => Err(format!(
                "{OVER_BOUNDS} it takes longer than {CHECK_TIME:?} to render with its variables empty"
            )),
            Err(Failed(e)) if e.starts_with(OVER_BOUNDS) => Err(e),
            // Other errors depend on the run's data (a variable left empty here); the real
            // render reports them.
            _ => Ok(()),
        }
    }
}

/// How long `validate`'s trial render of one template may take.
const CHECK_TIME: Duration = Duration::from_secs(2);

/// Why a render on the worker gave no text.
enum WorkerError {
    /// The time allowed ran out (after this long); the render was abandoned.
    Late(Duration),
    /// The template failed (the message says why).
    Failed(String),
}
use WorkerError::{Failed, Late};

impl WorkerError {
    /// What a render that gave no text says.
    fn message(self) -> String {
        match self {
            Late(elapsed) => {
                format!("took longer than the task's time limit ({elapsed:.1?}) to render")
            }
            Failed(e) => e,
        }
    }
}

/// Compiles `text` in `env` and renders it in `context`, bounded, when called (on the worker).
fn render_source(
    env: Arc<Environment<'static>>,
    text: String,
    context: Value,
) -> impl FnOnce() -> Result<String, String> + Send + 'static {
    move || {
        let template = env.template_from_str(&text).map_err(describe_error)?;
        render_bounded(&template, context)
    }
}

/// Renders a template [`Templates::compiled`] made, bounded.
fn render_compiled(env: &Environment<'static>, context: Value) -> Result<String, String> {
    let template = env.get_template(COMPILED_NAME).map_err(describe_error)?;
    render_bounded(&template, context)
}

/// Runs `render` on this thread's worker, waiting at most `allowed`.
fn render_on_worker(
    render: impl FnOnce() -> Result<String, String> + Send + 'static,
    allowed: Duration,
) -> Result<String, WorkerError> {
    let (sender, receiver) = mpsc::sync_channel(1);
    let started = Instant::now();
    on_render_worker(Box::new(move || {
        // The receiver may be gone (time ran out): nothing is left to tell.
        let _ = sender.send(render());
    }))
    .map_err(Failed)?;
    match receiver.recv_timeout(allowed) {
        Ok(result) => result.map_err(Failed),
        Err(_) => {
            RENDER_WORKER.with(|worker| worker.borrow_mut().take());
            Err(Late(started.elapsed()))
        }
    }
}

type RenderJob = Box<dyn FnOnce() + Send>;

thread_local! {
    /// Each calling thread's render worker: one thread reused for every render, so a render
    /// costs a channel round trip, not a thread start.
    static RENDER_WORKER: std::cell::RefCell<Option<mpsc::Sender<RenderJob>>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `job` on this thread's render worker, starting the worker if there is none (or the
/// last one was abandoned).
fn on_render_worker(job: RenderJob) -> Result<(), String> {
    RENDER_WORKER.with(|worker| {
        let mut worker = worker.borrow_mut();
        let job = match worker.as_ref() {
            Some(jobs) => match jobs.send(job) {
                Ok(()) => return Ok(()),
                Err(mpsc::SendError(job)) => job,
            },
            None => job,
        };
        let (jobs, queue) = mpsc::channel::<RenderJob>();
        std::thread::Builder::new()
            .name("wharf-template".into())
            .spawn(move || {
                for job in queue {
                    job();
                }
            })
            .map_err(|e| format!("cannot start rendering: {e}"))?;
        jobs.send(job)
            .map_err(|_| "the template renderer stopped".to_string())?;
        *worker = Some(jobs);
        Ok(())
    })
}

/// True when `text` is literal text and `{{ name.name[...] }}` lookups only: no statements,
/// comments, filters, calls or operators. Such a template runs a few instructions, each as
/// long as the value it reads, so it is rendered on the calling thread; anything else goes to
/// the render worker, whose wait the time limit can cut short.
fn is_lookup_only(text: &str) -> bool {
    let mut rest = text;
    loop {
        let Some(open) = rest.find("{{") else {
            return !rest.contains("{%") && !rest.contains("{#");
        };
        if rest[..open].contains("{%") || rest[..open].contains("{#") {
            return false;
        }
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return false;
        };
        if !is_lookup(&after[..close]) {
            return false;
        }
        rest = &after[close + 2..];
    }
}

/// `name`, then any of `.name`, `[digits]`, `["text"]`, `['text']`, between optional
/// whitespace-control dashes and spaces.
fn is_lookup(expression: &str) -> bool {
    let e = expression.strip_prefix('-').unwrap_or(expression);
    let e = e.strip_suffix('-').unwrap_or(e).trim();
    let name_len = |s: &str| {
        let mut chars = s.char_indices();
        match chars.next() {
            Some((_, c)) if c.is_ascii_alphabetic() || c == '_' => {}
            _ => return 0,
        }
        chars
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
            .map_or(s.len(), |(i, _)| i)
    };
    let first = name_len(e);
    if first == 0 {
        return false;
    }
    let mut rest = &e[first..];
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let n = name_len(after);
            if n == 0 {
                return false;
            }
            rest = &after[n..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let Some(end) = after.find(']') else {
                return false;
            };
            let index = &after[..end];
            let quoted = |q: char| {
                index.len() >= 2
                    && index.starts_with(q)
                    && index.ends_with(q)
                    && !index[1..index.len() - 1].contains(['"', '\'', '\\'])
            };
            let digits = !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit());
            if !(digits || quoted('"') || quoted('\'')) {
                return false;
            }
            rest = &after[end + 1..];
        } else {
            return false;
        }
    }
    true
}

/// `text` (a lookup-only template) as [`Piece`]s, when each lookup is a dotted name that
/// [`render_pieces`] resolves as minijinja would. Anything else (whitespace control, indexes,
/// a name minijinja reads as a literal, a trailing line break minijinja drops) is left to
/// minijinja.
fn pieces(text: &str) -> Option<Arc<[Piece]>> {
    if text.ends_with(['\n', '\r']) {
        return None;
    }
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            out.push(Piece::Text(rest[..open].to_string()));
        }
        let after = &rest[open + 2..];
        let close = after.find("}}")?;
        let expression = after[..close].trim_matches(' ');
        let names: Vec<String> = expression.split('.').map(str::to_string).collect();
        let plain_name = |n: &String| {
            n.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        };
        if !names.iter().all(plain_name)
            || ["true", "false", "none", "True", "False", "None"].contains(&names[0].as_str())
        {
            return None;
        }
        out.push(Piece::Lookup(names));
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest.to_string()));
    }
    Some(out.into())
}

/// Renders `pieces` in `scope` when every lookup finds a string where [`RenderContext`] would;
/// `None` leaves the render (and any error it reports) to minijinja.
fn render_pieces(pieces: &[Piece], scope: &Scope) -> Option<String> {
    let mut out = String::new();
    for piece in pieces {
        let value = match piece {
            Piece::Text(text) => text,
            Piece::Lookup(names) => match names.as_slice() {
                [map, key] => scope.named_map(map)?.get(key)?,
                [outputs, task, key] if outputs == "outputs" => {
                    scope.outputs.get(task)?.get(key)?
                }
                [name] if CONTEXT_NAMES.contains(&name.as_str()) => return None,
                [name] => scope.variable(name)?,
                _ => return None,
            },
        };
        out.push_str(value);
    }
    (out.len() <= MAX_SETTING_BYTES).then_some(out)
}

/// How every bound-exceeded message starts, so the trial render can tell them apart.
const OVER_BOUNDS: &str = "exceeds the template bounds:";

/// Renders into a writer that refuses more than [`MAX_SETTING_BYTES`].
fn render_bounded(template: &Template<'_, '_>, context: Value) -> Result<String, String> {
    let mut out = BoundedWriter::default();
    match template.render_captured_to(context, &mut out) {
        Ok(_) => {
            String::from_utf8(out.bytes).map_err(|e| format!("rendered text is not UTF-8: {e}"))
        }
        Err(_) if out.overflowed => Err(format!(
            "{OVER_BOUNDS} its result is longer than {} (the most a setting may hold)",
            human_size(MAX_SETTING_BYTES as u64)
        )),
        Err(e) if e.kind() == ErrorKind::OutOfFuel => Err(format!(
            "{OVER_BOUNDS} it needs more than {TEMPLATE_FUEL} steps to render (a loop too long?)"
        )),
        Err(e) => Err(describe_error(e)),
    }
}

/// Collects rendered text up to [`MAX_SETTING_BYTES`]; a write past that fails the render.
#[derive(Default)]
struct BoundedWriter {
    bytes: Vec<u8>,
    overflowed: bool,
}

impl std::io::Write for BoundedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > MAX_SETTING_BYTES {
            self.overflowed = true;
            return Err(std::io::Error::other("setting too long"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn describe_error(e: minijinja::Error) -> String {
    let mut msg = match e.kind() {
        minijinja::ErrorKind::UndefinedError => "uses an undefined variable".to_string(),
        _ => e.kind().to_string(),
    };
    // Details and snippets can quote values and template text of any length, and the message
    // ends up in run records: keep both short.
    if let Some(detail) = e.detail() {
        msg.push_str(": ");
        msg.push_str(&excerpt(detail));
    }
    if let Some(src) = e.template_source()
        && let Some(range) = e.range()
        && let Some(snippet) = src.get(range)
    {
        msg.push_str(&format!(" (at `{}`)", excerpt(snippet)));
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        let mut s = Scope {
            workflow: Arc::new(VarMap::from([("Folder".into(), "chunks".into())])),
            globals: Arc::new(VarMap::from([
                ("Folder".into(), "global-loses".into()),
                ("Command Line 1".into(), "x".into()),
            ])),
            ..Scope::default()
        };
        s.current.push(Arc::new(VarMap::from([(
            "Name".into(),
            "outer.xml".into(),
        )])));
        s.current.push(Arc::new(VarMap::from([
            ("Name".into(), "a.xml".into()),
            ("NameWithoutExtension".into(), "a".into()),
        ])));
        s.set_outputs("split", VarMap::from([("files".into(), "3".into())]));
        s
    }

    #[test]
    fn a_task_renders_with_its_scope_and_template_variables_within_the_bounds() {
        let t = Templates::new();
        let vars = VarMap::from([("Forename".into(), "Jim".into())]);
        let text = "Hi {{ template.Forename }}, {{ current.Name }} in {{ Folder }} \
                    ({{ outputs.split.files }})";
        assert_eq!(
            t.render_for_task(text, &scope(), vars.clone(), Duration::from_secs(5))
                .unwrap(),
            "Hi Jim, a.xml in chunks (3)"
        );
        assert_eq!(
            t.render_for_task(
                "{{ template.Forename }}\n",
                &scope(),
                vars.clone(),
                Duration::from_secs(5)
            )
            .unwrap(),
            "Jim\n",
            "a file's last line break is kept"
        );
        let undefined = t
            .render_for_task(
                "{{ template.Nope }}",
                &scope(),
                vars.clone(),
                Duration::from_secs(5),
            )
            .unwrap_err();
        assert!(undefined.contains("undefined"), "{undefined}");
        let long = "x".repeat(MAX_SETTING_BYTES + 1);
        let too_long = t
            .render_for_task(&long, &scope(), vars.clone(), Duration::from_secs(5))
            .unwrap_err();
        assert!(too_long.starts_with(OVER_BOUNDS), "{too_long}");
        let endless = t
            .render_for_task(
                "{% for a in range(10000) %}{% for b in range(10000) %}x{% endfor %}{% endfor %}",
                &scope(),
                vars,
                Duration::from_secs(5),
            )
            .unwrap_err();
        assert!(endless.starts_with(OVER_BOUNDS), "{endless}");
    }

    #[test]
    fn renders_current_vars_outputs_and_precedence() {
        let t = Templates::new();
        let s = scope();
        assert_eq!(
            t.render("{{ Folder }}/{{ current.Name }}", &s).unwrap(),
            "chunks/a.xml"
        );
        assert_eq!(t.render("{{ outer[0].Name }}", &s).unwrap(), "outer.xml");
        assert_eq!(
            t.render("{{ current.NameWithoutExtension }}_success.xml", &s)
                .unwrap(),
            "a_success.xml"
        );
        assert_eq!(t.render("{{ outputs.split.files }}", &s).unwrap(), "3");
        assert_eq!(
            t.render("{{ globals.Folder }}", &s).unwrap(),
            "global-loses"
        );
        assert_eq!(t.render("plain text", &s).unwrap(), "plain text");
        assert_eq!(
            t.render("{% for k in current %}{{ k }};{% endfor %}", &s)
                .unwrap(),
            "Name;NameWithoutExtension;"
        );
        assert_eq!(
            t.render(
                "{% if system.CurrentYear == CurrentYear %}same{% endif %}",
                &s
            )
            .unwrap(),
            "same"
        );
    }

    #[test]
    fn system_variables_and_now() {
        let t = Templates::new();
        let s = Scope::default();
        let year = t.render("{{ CurrentYear }}", &s).unwrap();
        assert_eq!(year.len(), 4);
        let date = t.render("{{ CurrentDate }}", &s).unwrap();
        assert_eq!(date.len(), 10);
        assert_eq!(&date[2..3], "/");
        assert_eq!(t.render("{{ Guid }}", &s).unwrap().len(), 36);
        assert_ne!(
            t.render("{{ Guid }}", &s).unwrap(),
            t.render("{{ Guid }}", &s).unwrap()
        );
        let stamp = t
            .render("products_{{ now('%Y-%m-%d_%H-%M-%S') }}.xml", &s)
            .unwrap();
        assert_eq!(stamp.len(), "products_2024-01-01_00-00-00.xml".len());
    }

    #[test]
    fn undefined_and_syntax_errors_are_named() {
        let t = Templates::new();
        let err = t.render("{{ current.Nmae }}", &scope()).unwrap_err();
        assert!(err.contains("undefined"), "{err}");
        assert!(err.contains("current.Nmae"), "{err}");
        assert!(t.check("{{ oops").is_err());
        let long = format!("{{{{ current.{} }}}}", "N".repeat(100_000));
        let err = t.render(&long, &scope()).unwrap_err();
        assert!(err.len() < 400 && err.contains("NNN…"), "{err}");
        assert!(t.render("{{ current.Name }}", &Scope::default()).is_err());
    }

    const NESTED_RANGES: &str = "{% for a in range(10000) %}{% for b in range(10000) %}{% for c in range(10000) %}x{% endfor %}{% endfor %}{% endfor %}";

    #[test]
    fn rendering_is_bounded_in_steps_output_and_time() {
        let t = Templates::new();
        let s = scope();
        let started = Instant::now();
        let e = t.render(NESTED_RANGES, &s).unwrap_err();
        assert!(
            e.contains("exceeds the template bounds") && e.contains("steps"),
            "{e}"
        );
        let e = t
            .render(
                "{% for i in range(10000) %}{{ 'x'*100000 }}{% endfor %}",
                &s,
            )
            .unwrap_err();
        assert!(e.contains("longer than 1 MiB"), "{e}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
        // Exactly at the cap is fine.
        let full = format!("{{{{ 'x' * {MAX_SETTING_BYTES} }}}}");
        assert_eq!(t.render(&full, &s).unwrap().len(), MAX_SETTING_BYTES);
        let e = t
            .render_within(NESTED_RANGES, &s, Duration::from_millis(1))
            .unwrap_err();
        assert!(e.contains("time limit"), "{e}");
        // One instruction that takes long (a sum over a long repeated range) is not stopped by
        // fuel, but by the time allowed; the next render gets a fresh worker.
        let e = t
            .render_within(
                "{{ (range(100000) * 1000) | sum }}",
                &s,
                Duration::from_millis(20),
            )
            .unwrap_err();
        assert!(e.contains("time limit"), "{e}");
        assert_eq!(t.render("{{ current.Name }}", &s).unwrap(), "a.xml");
        let e = t
            .render("{% set ns = namespace(s='x') %}{{ ns.s }}", &s)
            .unwrap_err();
        assert!(e.contains("namespace"), "{e}");
    }

    #[test]
    fn only_plain_lookups_render_on_the_calling_thread() {
        for simple in [
            "{{ current.Name }}",
            "in/{{ current.NameWithoutExtension }}_{{ Folder }}.xml",
            "{{- outer[0].Name -}}",
            "{{ globals[\"Command Line 1\"] }} {{ outputs.split['files'] }}",
        ] {
            assert!(is_lookup_only(simple), "{simple}");
        }
        for worker in [
            "{{ current.Name | upper }}",
            "{{ now('%Y') }}",
            "{{ 'x' * 10 }}",
            "{% if a %}{{ a }}{% endif %}",
            "{# note #}{{ a }}",
            "{{ a }}{% for i in range(3) %}x{% endfor %}",
            "{{ a[b] }}",
            "{{ a.b(1) }}",
            "{{ a",
            "{{ }}",
            "{{ globals[\"a]b\"] }}",
        ] {
            assert!(!is_lookup_only(worker), "{worker}");
        }
        // Same answers, same errors, either way.
        let t = Templates::new();
        let s = scope();
        assert_eq!(
            t.render("{{ globals[\"Command Line 1\"] }}/{{ outer[0].Name }}", &s)
                .unwrap(),
            "x/outer.xml"
        );
        let err = t.render("{{ current.Nmae }}", &s).unwrap_err();
        assert!(
            err.contains("undefined") && err.contains("current.Nmae"),
            "{err}"
        );
        let mut big = scope();
        big.current.push(Arc::new(VarMap::from([(
            "Name".into(),
            "x".repeat(MAX_SETTING_BYTES + 1),
        )])));
        let err = t.render("{{ current.Name }}", &big).unwrap_err();
        assert!(err.starts_with(OVER_BOUNDS), "{err}");
    }

    #[test]
    fn the_context_answers_its_own_names_before_any_variable() {
        // CONTEXT_NAMES is what the fast path leaves to minijinja: each must be one the render
        // context answers itself, never a workflow variable of the same name.
        let t = Templates::new();
        let s = Scope {
            workflow: Arc::new(
                CONTEXT_NAMES
                    .iter()
                    .map(|n| (n.to_string(), "a variable".to_string()))
                    .collect(),
            ),
            ..Scope::default()
        };
        for name in CONTEXT_NAMES {
            let text = format!("{{{{ {name} }}}}");
            assert!(
                pieces(&text).is_some_and(|p| render_pieces(&p, &s).is_none()),
                "{name}"
            );
            let rendered = t.render(&text, &s).unwrap_or_default();
            assert_ne!(rendered, "a variable", "{name}");
        }
    }

    #[test]
    fn dotted_lookups_render_as_minijinja_renders_them() {
        let t = Templates::new();
        let mut s = scope();
        s.workflow = Arc::new(VarMap::from([
            ("Folder".into(), "chunks".into()),
            ("current".into(), "shadowed".into()),
            ("Guid".into(), "fixed".into()),
            ("range".into(), "a variable".into()),
        ]));
        let by_minijinja = |text: &str, scope: &Scope| {
            let compiled = t.compiled(text).unwrap();
            render_compiled(&compiled.env, scope.context())
        };
        for text in [
            "{{ current.Name }}",
            "in/{{current.NameWithoutExtension}}_{{ Folder }}.xml",
            "{{ vars.Folder }}{{ globals.Folder }} {{ outputs.split.files }}",
            "{{ Guid }} {{ range }} }} {",
            "\n {{ current.Name }} \t",
        ] {
            let pieces = pieces(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(
                render_pieces(&pieces, &s),
                Some(by_minijinja(text, &s).unwrap()),
                "{text}"
            );
            assert_eq!(t.render(text, &s), by_minijinja(text, &s), "{text}");
        }
        // Left to minijinja: what it reads otherwise, and every lookup that finds nothing.
        for text in [
            "{{ current.Name }}\n",
            "{{- current.Name }}",
            "{{ outer[0].Name }}",
            "{{ none }} {{ True }}",
        ] {
            assert!(pieces(text).is_none(), "{text}");
        }
        for text in [
            "{{ current.Nmae }}",
            "{{ CurrentYear }}",
            "{{ Folder.x }}",
            "{{ outputs.split }}",
            "{{ outputs.nope.files }}",
            "{{ current }}",
            "{{ vars.Nope }}",
        ] {
            let pieces = pieces(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(render_pieces(&pieces, &s), None, "{text}");
            assert_eq!(t.render(text, &s), by_minijinja(text, &s), "{text}");
        }
        // Outside a repeater `current` is undefined.
        let pieces = pieces("{{ current.Name }}").unwrap();
        assert_eq!(render_pieces(&pieces, &Scope::default()), None);
        // Past the bound, minijinja's error.
        let mut big = scope();
        big.current.push(Arc::new(VarMap::from([(
            "Name".into(),
            "x".repeat(MAX_SETTING_BYTES),
        )])));
        assert!(render_pieces(&pieces, &big).is_some());
        let over = self::pieces("{{ current.Name }}.").unwrap();
        assert_eq!(render_pieces(&over, &big), None);
        let err = t.render("{{ current.Name }}.", &big).unwrap_err();
        assert!(err.starts_with(OVER_BOUNDS), "{err}");
    }

    #[test]
    fn a_setting_template_is_compiled_once_and_renders_each_scope() {
        let t = Templates::new();
        let clone = t.clone();
        let mut s = scope();
        let text = "in/{{ current.Name }}";
        assert_eq!(t.render(text, &s).unwrap(), "in/a.xml");
        s.current
            .push(Arc::new(VarMap::from([("Name".into(), "b.xml".into())])));
        // The clone shares the compiled form; each render reads its own scope.
        assert_eq!(clone.render(text, &s).unwrap(), "in/b.xml");
        assert_eq!(t.render("{{ current.Name | upper }}", &s).unwrap(), "B.XML");
        let cached = || t.compiled.lock().unwrap().len();
        assert_eq!(cached(), 2);
        // Plain text, syntax errors and long texts are not kept.
        assert_eq!(t.render("plain", &s).unwrap(), "plain");
        let err = t.render("{{ oops", &s).unwrap_err();
        assert!(err.contains("syntax error"), "{err}");
        let long = format!("{}{{{{ current.Name }}}}", "x".repeat(COMPILED_TEXT_BYTES));
        assert!(t.render(&long, &s).unwrap().ends_with("xb.xml"));
        assert_eq!(cached(), 2);
        // The cache stays bounded.
        for i in 0..COMPILED_TEMPLATES + 10 {
            t.render(&format!("{i}{{{{ current.Name }}}}"), &s).unwrap();
        }
        assert!(cached() <= COMPILED_TEMPLATES, "{}", cached());
    }

    #[test]
    fn check_rejects_what_is_too_big_by_its_own_structure() {
        let t = Templates::new();
        assert!(t.check(NESTED_RANGES).unwrap_err().contains("steps"));
        assert!(
            t.check("{% for i in range(100) %}{{ 'x' * 100000 }}{% endfor %}")
                .unwrap_err()
                .contains("1 MiB")
        );
        let e = t.check("{{ (range(100000) * 100000) | sum }}").unwrap_err();
        assert!(e.contains("longer than 2s"), "{e}");
        // Data-dependent templates pass: their variables are unknown before the run.
        assert!(
            t.check("{% for i in range(3) %}{{ current.Name }}{% endfor %}")
                .is_ok()
        );
        assert!(t.check("{{ outputs.split.files | int + 1 }}").is_ok());
    }
}
