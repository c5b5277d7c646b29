//! Runs a workflow: loads and checks its components, then walks the task tree — containers,
//! repeaters, conditions with else branches, switches — with break-on-failure, resume from the
//! failed task, the run lock, per-task state committed only on success, and a run record.

use crate::limits::Limits;
use crate::record::{Counts, ResultCode, RunRecord, TaskRecord};
use crate::runtime::capability::parse_grant;
use crate::runtime::{
    ArchiveGrant, CallResult, Failure, GrantContext, LoadedComponent, Runtime, RuntimeError,
    TaskCall, TaskKind, TaskOutcome,
};
use crate::settings;
use crate::storage::{
    Checkpoint, Mappings, Storage, StorageError, TaskStates, TruthStore, host_name, lock_info,
    process_alive,
};
use crate::template::{Scope, Templates, VarMap};
use crate::workflow::{
    HistoryKeep, Node, NodeKind, Workflow, WorkflowError, WorkflowErrors, switch_branch,
};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    Workflow(#[from] WorkflowErrors),
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    #[error("{0}")]
    Runtime(#[from] RuntimeError),
}

/// Where components are found: `split-xml` → `<dir>/split-xml.wasm` in the first directory that
/// has it; a name with a `/` or ending in `.wasm` is a path relative to the workflow file.
#[derive(Debug, Clone)]
pub struct ComponentSource {
    pub dirs: Vec<PathBuf>,
}

impl ComponentSource {
    pub fn resolve(&self, name: &str, workflow_dir: &Path) -> Result<PathBuf, String> {
        if name.contains('/') || name.ends_with(".wasm") {
            let p = workflow_dir.join(name);
            return if p.is_file() {
                Ok(p)
            } else {
                Err(format!("component file {} does not exist", p.display()))
            };
        }
        for dir in &self.dirs {
            let p = dir.join(format!("{name}.wasm"));
            if p.is_file() {
                return Ok(p);
            }
        }
        let known: Vec<String> = self.available().into_iter().map(|(n, _)| n).collect();
        Err(if known.is_empty() {
            format!(
                "unknown task `{name}`: no components found in {} (build them with `make components`)",
                self.dirs
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            format!("unknown task `{name}` (available: {})", known.join(", "))
        })
    }

    /// Every component in the search directories, by name (first directory wins).
    pub fn available(&self) -> Vec<(String, PathBuf)> {
        let mut out: BTreeMap<String, PathBuf> = BTreeMap::new();
        for dir in &self.dirs {
            let Ok(rd) = std::fs::read_dir(dir) else {
                continue;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "wasm")
                    && let Some(stem) = p.file_stem()
                {
                    out.entry(stem.to_string_lossy().into_owned()).or_insert(p);
                }
            }
        }
        out.into_iter().collect()
    }
}

/// Told about a run as it goes (the CLI draws a progress display with it).
pub trait Progress {
    fn task_started(&self, _node: &Node, _iteration: &[usize]) {}
    fn task_finished(&self, _task: &TaskRecord) {}
    fn items_listed(&self, _node: &Node, _count: usize) {}
}

pub struct NoProgress;
impl Progress for NoProgress {}

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Global variables (e.g. from `wharf run --var`), below workflow variables in precedence.
    pub globals: VarMap,
}

/// A workflow whose components are loaded and whose settings were checked.
pub struct Prepared {
    pub workflow: Workflow,
    components: HashMap<String, Arc<LoadedComponent>>,
    /// For each task path: the task a run that fails there resumes from (the outermost
    /// repeater, condition or switch around it, else the task itself).
    resume_units: HashMap<String, String>,
}

impl Prepared {
    pub fn component(&self, node: &Node) -> Option<&Arc<LoadedComponent>> {
        match &node.kind {
            NodeKind::Task { component, .. } => self.components.get(component),
            _ => None,
        }
    }
}

pub struct Engine {
    pub runtime: Runtime,
    pub components: ComponentSource,
    templates: Templates,
}

impl Engine {
    pub fn new(runtime: Runtime, components: ComponentSource) -> Self {
        Engine {
            runtime,
            components,
            templates: Templates::new(),
        }
    }

    /// Loads every component the workflow names and checks every task against its component's
    /// description: kind, children, grants and each setting. All problems are reported at once.
    pub fn prepare(&self, workflow: Workflow) -> Result<Prepared, WorkflowErrors> {
        let wf_dir = workflow
            .file
            .parent()
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let mut errors = Vec::new();
        let mut components: HashMap<String, Arc<LoadedComponent>> = HashMap::new();
        let err = |line: u64, node: &Node, message: String| WorkflowError {
            file: workflow.file.clone(),
            line,
            message: format!("task `{}`: {message}", node.name),
        };
        workflow.walk(|node| {
            let NodeKind::Task {
                component,
                settings: given,
                equal_to,
                grants,
                children,
                else_children,
            } = &node.kind
            else {
                return;
            };
            let loaded = match components.get(component) {
                Some(c) => c.clone(),
                None => match self
                    .components
                    .resolve(component, &wf_dir)
                    .and_then(|p| self.runtime.load(&p).map_err(|e| e.to_string()))
                {
                    Ok(c) => {
                        components.insert(component.clone(), c.clone());
                        c
                    }
                    Err(e) => {
                        errors.push(err(node.line, node, e));
                        return;
                    }
                },
            };
            let info = &loaded.info;
            match info.kind {
                TaskKind::Plain if children.is_some() || else_children.is_some() => {
                    errors.push(err(node.line, node, format!("`{component}` is a plain task: it takes no `tasks:` or `else:`")))
                }
                TaskKind::Repeater if else_children.is_some() => {
                    errors.push(err(node.line, node, format!("`{component}` is a repeater: it takes no `else:`")))
                }
                TaskKind::Repeater if children.is_none() => errors.push(err(
                    node.line,
                    node,
                    format!("`{component}` is a repeater: give it `tasks:` to run for each item"),
                )),
                TaskKind::Condition if children.is_none() && else_children.is_none() => errors.push(err(
                    node.line,
                    node,
                    format!("`{component}` is a condition: give it `tasks:` (and optionally `else:`)"),
                )),
                _ => {}
            }
            if equal_to.is_some() && info.kind != TaskKind::Condition {
                errors.push(err(node.line, node, "only a condition takes `equal-to:`".into()));
            }
            for g in grants {
                let (name, argument) = parse_grant(g);
                if !info.capabilities.iter().any(|c| c == name) {
                    errors.push(err(
                        node.line,
                        node,
                        format!("grants `{g}`, which `{component}` does not ask for (it asks for: {})", list_or_none(&info.capabilities)),
                    ));
                } else if name != "archive" {
                    match self.runtime.capability(name) {
                        None => errors.push(err(
                            node.line,
                            node,
                            format!(
                                "grants `{name}`, which this host does not provide (it provides: {})",
                                self.runtime.capability_names().join(", ")
                            ),
                        )),
                        Some(cap) => {
                            if let Err(e) = cap.check_grant(argument) {
                                errors.push(err(node.line, node, format!("grant `{g}`: {e}")));
                            }
                        }
                    }
                }
            }
            for cap in &info.capabilities {
                if !grants.iter().any(|g| parse_grant(g).0 == cap) {
                    errors.push(err(
                        node.line,
                        node,
                        format!("`{component}` needs the `{cap}` capability; grant it with `grants: [{cap}]`"),
                    ));
                }
            }
            for (line, problem) in settings::check_static(info, given, &self.templates) {
                errors.push(err(if line == 0 { node.line } else { line }, node, problem));
            }
        });
        if !errors.is_empty() {
            return Err(WorkflowErrors(errors));
        }
        let mut resume_units = HashMap::new();
        workflow.walk(|node| {
            let unit = workflow
                .ancestry(&node.path)
                .into_iter()
                .find(|n| match &n.kind {
                    NodeKind::Switch { .. } => true,
                    NodeKind::Task { component, .. } => components
                        .get(component)
                        .is_some_and(|c| c.info.kind != TaskKind::Plain),
                    NodeKind::Container { .. } => false,
                })
                .map(|n| n.path.clone())
                .unwrap_or_else(|| node.path.clone());
            resume_units.insert(node.path.clone(), unit);
        });
        Ok(Prepared {
            workflow,
            components,
            resume_units,
        })
    }

    /// Runs a prepared workflow against its store and returns the run record (also stored).
    pub fn run(
        &self,
        prepared: &Prepared,
        storage: Arc<dyn Storage>,
        options: &RunOptions,
        progress: &dyn Progress,
    ) -> Result<RunRecord, EngineError> {
        let wf = &prepared.workflow;
        let run_id = uuid::Uuid::new_v4().simple().to_string();
        let _lock = if wf.use_mutex {
            storage.acquire_lock(&lock_info(&run_id, chrono::Duration::hours(12)))?;
            Some(LockGuard {
                storage: storage.clone(),
                run_id: run_id.clone(),
            })
        } else {
            None
        };
        self.recover_crashed_run(prepared, storage.as_ref())?;
        let resumed = if wf.resume_on_failure {
            storage
                .last_ended_run()?
                .filter(|r| r.result == ResultCode::Resume)
                .and_then(|r| {
                    let lineage = r.lineage.clone().unwrap_or_else(|| r.id.clone());
                    r.resume_at.map(|at| (at, lineage))
                })
                .filter(|(p, _)| prepared.resume_units.contains_key(p))
        } else {
            None
        };
        let (resume_target, lineage) = match resumed {
            Some((at, lineage)) => (Some(at), lineage),
            None => (None, run_id.clone()),
        };

        let staged = storage.stage_workdir()?;
        let mut record = RunRecord {
            id: run_id.clone(),
            workflow: wf.name.clone(),
            started: Utc::now(),
            ended: None,
            result: ResultCode::Unknown,
            message: "running".into(),
            resumed_from: resume_target.clone(),
            resume_at: None,
            lineage: Some(lineage.clone()),
            archive_path: None,
            tasks: Vec::new(),
        };
        storage.put_run(&record)?;
        let mut runner = Runner {
            engine: self,
            prepared,
            storage: storage.clone(),
            workdir: staged.path.clone(),
            states: storage.load_state()?,
            truth: storage.truth()?,
            mappings: Arc::new(storage.mappings()?),
            scope: Scope {
                workflow: Arc::new(wf.variables.clone()),
                globals: Arc::new(options.globals.clone()),
                ..Scope::default()
            },
            tasks: Vec::new(),
            resume_target,
            iteration: Vec::new(),
            progress,
            stop: None,
            checkpoint: None,
            run_id: run_id.clone(),
            lineage,
            base_limits: Limits::default().with(&wf.limits),
        };
        runner.run_list(&wf.tasks, wf.resume_on_failure, None);
        let stop = runner.stop.take();
        record.tasks = std::mem::take(&mut runner.tasks);
        drop(runner);

        storage.commit_workdir(&staged)?;
        record.ended = Some(Utc::now());
        record.archive_path = record.tasks.iter().rev().find_map(|t| {
            t.outputs
                .iter()
                .find(|(k, _)| k == "archive-path")
                .map(|(_, v)| v.clone())
        });
        match stop {
            Some(stop) => {
                let unit = prepared
                    .resume_units
                    .get(&stop.path)
                    .cloned()
                    .unwrap_or(stop.path.clone());
                if stop.resumable {
                    record.result = ResultCode::Resume;
                    record.resume_at = Some(unit.clone());
                    record.message =
                        format!("{}; the next run resumes at task {unit}", stop.message);
                } else {
                    record.result = ResultCode::Fail;
                    record.message = stop.message;
                }
            }
            None => {
                record.result = ResultCode::Success;
                let failed = record
                    .tasks
                    .iter()
                    .filter(|t| !t.result.is_success())
                    .count();
                record.message = if failed == 0 {
                    "all tasks succeeded".into()
                } else {
                    format!(
                        "finished; {failed} task execution(s) did not succeed but do not break the workflow"
                    )
                };
            }
        }
        storage.put_run(&record)?;
        storage.clear_checkpoint()?;
        housekeep_history(wf, storage.as_ref(), &record.id)?;
        Ok(record)
    }

    /// A checkpoint left by a run whose process died: close that run's record as failed (with
    /// its resume point) so the next run can resume from it.
    fn recover_crashed_run(
        &self,
        prepared: &Prepared,
        storage: &dyn Storage,
    ) -> Result<(), EngineError> {
        let Some(cp) = storage.load_checkpoint()? else {
            return Ok(());
        };
        let wf = &prepared.workflow;
        let abandoned = wf.use_mutex
            || cp.pid == std::process::id()
            || (cp.host == host_name() && !process_alive(cp.pid));
        if !abandoned {
            return Ok(());
        }
        if let Some(mut crashed) = storage
            .list_runs()?
            .into_iter()
            .find(|r| r.id == cp.run_id && r.ended.is_none())
        {
            let resumable =
                wf.resume_on_failure && wf.ancestry(&cp.path).iter().all(|n| n.can_resume);
            crashed.ended = Some(Utc::now());
            let message = format!(
                "the run stopped unexpectedly (the process ended) during task {}",
                cp.path
            );
            if resumable && prepared.resume_units.contains_key(&cp.path) {
                crashed.result = ResultCode::Resume;
                crashed.resume_at = Some(cp.path.clone());
                crashed.message = format!("{message}; the next run resumes there");
            } else {
                crashed.result = ResultCode::Fail;
                crashed.message = message;
            }
            storage.put_run(&crashed)?;
        }
        storage.clear_checkpoint()?;
        Ok(())
    }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".into()
    } else {
        items.join(", ")
    }
}

fn housekeep_history(
    wf: &Workflow,
    storage: &dyn Storage,
    current: &str,
) -> Result<(), StorageError> {
    let runs = storage.run_index()?;
    let doomed: Vec<&(String, DateTime<Utc>)> = match wf.history.keep {
        HistoryKeep::Runs => {
            let keep = wf.history.number.max(1) as usize;
            runs.iter().take(runs.len().saturating_sub(keep)).collect()
        }
        HistoryKeep::Days => {
            let cutoff = Utc::now() - chrono::Duration::days(i64::from(wf.history.number));
            runs.iter()
                .filter(|(_, started)| *started < cutoff)
                .collect()
        }
    };
    for (id, _) in doomed.into_iter().filter(|(id, _)| id != current) {
        storage.remove_run(id)?;
    }
    Ok(())
}

struct LockGuard {
    storage: Arc<dyn Storage>,
    run_id: String,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if let Err(e) = self.storage.release_lock(&self.run_id) {
            tracing::warn!("could not release the run lock: {e}");
        }
    }
}

/// Why the run stopped.
struct Stop {
    path: String,
    resumable: bool,
    message: String,
}

struct Runner<'a> {
    engine: &'a Engine,
    prepared: &'a Prepared,
    storage: Arc<dyn Storage>,
    workdir: PathBuf,
    states: TaskStates,
    truth: Arc<dyn TruthStore>,
    mappings: Arc<Mappings>,
    scope: Scope,
    tasks: Vec<TaskRecord>,
    /// While set, tasks before this path are skipped (they succeeded in the failed run).
    resume_target: Option<String>,
    iteration: Vec<usize>,
    progress: &'a dyn Progress,
    stop: Option<Stop>,
    checkpoint: Option<String>,
    run_id: String,
    /// See `RunRecord::lineage`.
    lineage: String,
    base_limits: Limits,
}

impl Runner<'_> {
    /// Runs a list of sibling nodes; returns whether any of them did not succeed.
    fn run_list(&mut self, nodes: &[Node], may_resume: bool, before: Option<ResultCode>) -> bool {
        let mut previous = before;
        let mut any_failed = false;
        for node in nodes {
            if self.stop.is_some() {
                break;
            }
            if let Some(target) = &self.resume_target {
                if node.path == *target {
                    self.resume_target = None;
                } else if !target.starts_with(&format!("{}.", node.path)) {
                    // Before the resume point: it succeeded in the failed run.
                    continue;
                } else if !node.enabled {
                    // The resume point sits in a part that is now disabled: carry on after it.
                    self.resume_target = None;
                    continue;
                }
            }
            if !node.enabled {
                continue;
            }
            let code = self.run_node(node, may_resume && node.can_resume, previous);
            any_failed |= !code.is_success();
            previous = Some(code);
        }
        any_failed
    }

    fn checkpoint(&mut self, node: &Node) {
        let unit = self
            .prepared
            .resume_units
            .get(&node.path)
            .cloned()
            .unwrap_or_else(|| node.path.clone());
        if self.checkpoint.as_deref() == Some(unit.as_str()) {
            return;
        }
        let cp = Checkpoint {
            run_id: self.run_id.clone(),
            path: unit.clone(),
            pid: std::process::id(),
            host: host_name(),
        };
        if let Err(e) = self.storage.save_checkpoint(&cp) {
            tracing::warn!("could not save the checkpoint: {e}");
        }
        self.checkpoint = Some(unit);
    }

    fn run_node(
        &mut self,
        node: &Node,
        may_resume: bool,
        previous: Option<ResultCode>,
    ) -> ResultCode {
        self.checkpoint(node);
        self.progress.task_started(node, &self.iteration);
        let started = Utc::now();
        let mut rec = TaskRecord {
            path: node.path.clone(),
            id: node.id.clone(),
            name: node.name.clone(),
            kind: node.kind_name().to_string(),
            iteration: self.iteration.clone(),
            started,
            ended: started,
            result: ResultCode::Unknown,
            message: String::new(),
            counts: Counts::default(),
            outputs: vec![],
            logs: vec![],
        };
        let index = self.tasks.len();
        self.tasks.push(rec.clone());
        let (code, message) = match &node.kind {
            NodeKind::Container { children } => {
                let failed = self.run_list(children, may_resume, None);
                summarise(failed)
            }
            NodeKind::Switch { branches } => match switch_branch(branches, previous) {
                Some(branch) => {
                    let failed = self.run_list(branch, may_resume, previous);
                    summarise(failed)
                }
                None => (
                    ResultCode::Success,
                    "no branch for the previous result".into(),
                ),
            },
            NodeKind::Task { .. } => self.run_component(node, may_resume, &mut rec),
        };
        rec.ended = Utc::now();
        rec.result = code;
        rec.message = message.clone();
        if !code.is_success() && node.break_on_failure && self.stop.is_none() {
            self.stop = Some(Stop {
                path: node.path.clone(),
                resumable: may_resume,
                message: format!(
                    "task `{}` ({}) failed: {message}",
                    node.name,
                    node.kind_name()
                ),
            });
        }
        self.progress.task_finished(&rec);
        self.tasks[index] = rec;
        code
    }

    fn call(
        &mut self,
        node: &Node,
        component: &LoadedComponent,
        call_settings: Vec<(String, String)>,
    ) -> TaskOutcome {
        let NodeKind::Task { grants, .. } = &node.kind else {
            unreachable!("only tasks call components")
        };
        let label = format!("{} ({})", node.name, component.info.name);
        let archive = grants.iter().any(|g| g == "archive").then(|| ArchiveGrant {
            storage: self.storage.clone(),
            workdir: self.workdir.clone(),
        });
        let mut extensions = Vec::new();
        for g in grants {
            let (name, argument) = parse_grant(g);
            let Some(cap) = self.engine.runtime.capability(name) else {
                continue;
            };
            let ctx = GrantContext {
                argument,
                task_id: &node.id,
                run_lineage: &self.lineage,
                task_label: &label,
                workdir: &self.workdir,
                storage: &self.storage,
                truth: &self.truth,
            };
            match cap.grant(&ctx) {
                Ok(ext) => extensions.push(ext),
                Err(message) => {
                    return TaskOutcome {
                        result: Err(Failure {
                            code: ResultCode::NotAuthorised,
                            message: format!("capability `{g}`: {message}"),
                        }),
                        logs: vec![],
                        logs_dropped: 0,
                        state: None,
                        archived: vec![],
                        bytes_written: 0,
                        elapsed: std::time::Duration::ZERO,
                    };
                }
            }
        }
        self.engine.runtime.call(
            component,
            TaskCall {
                label: &label,
                workdir: Some(&self.workdir),
                settings: call_settings,
                limits: self.base_limits.with(&node.limits),
                state: self.states.get(&node.id).cloned().unwrap_or_default(),
                truth: Some(self.truth.clone()),
                mappings: self.mappings.clone(),
                archive,
                extensions,
            },
        )
    }

    fn commit_state(
        &mut self,
        node: &Node,
        state: Option<BTreeMap<String, String>>,
    ) -> Result<(), String> {
        if let Some(state) = state {
            self.states.insert(node.id.clone(), state);
            self.storage
                .save_state(&self.states)
                .map_err(|e| format!("could not save the task's state: {e}"))?;
        }
        Ok(())
    }

    fn run_component(
        &mut self,
        node: &Node,
        may_resume: bool,
        rec: &mut TaskRecord,
    ) -> (ResultCode, String) {
        let NodeKind::Task {
            settings: given,
            equal_to,
            children,
            else_children,
            ..
        } = &node.kind
        else {
            unreachable!("run_component is only called for tasks")
        };
        let Some(component) = self.prepared.component(node).cloned() else {
            return (ResultCode::Fail, "component not loaded".into());
        };
        let call_settings =
            match settings::prepare(&component.info, given, &self.engine.templates, &self.scope) {
                Ok(s) => s,
                Err(e) => return (ResultCode::Fail, e),
            };
        let outcome = self.call(node, &component, call_settings);
        rec.logs = outcome.logs.clone();
        if outcome.logs_dropped > 0 {
            rec.logs.push(crate::record::LogLine {
                at: Utc::now(),
                level: "warning".into(),
                message: format!(
                    "{} further log lines were dropped (log limit)",
                    outcome.logs_dropped
                ),
            });
        }
        let state = outcome.state;
        match outcome.result {
            Err(Failure { code, message }) => (code, message),
            Ok(CallResult::Plain(r)) => {
                rec.counts = r.counts;
                rec.outputs = r.outputs.clone();
                let mut outputs: VarMap = r.outputs.into_iter().collect();
                outputs.insert("result".into(), r.code.key().into());
                self.scope.set_outputs(&node.id, outputs);
                if r.code.is_success()
                    && let Err(e) = self.commit_state(node, state)
                {
                    return (ResultCode::Fail, e);
                }
                (r.code, r.message)
            }
            Ok(CallResult::Condition(answer)) => {
                let wanted = equal_to.unwrap_or(true);
                let branch = if answer == wanted {
                    children.as_ref()
                } else {
                    else_children.as_ref()
                };
                let failed = branch.is_some_and(|b| self.run_list(b, may_resume, None));
                if !failed && let Err(e) = self.commit_state(node, state) {
                    return (ResultCode::Fail, e);
                }
                let taken = if answer == wanted { "tasks" } else { "else" };
                let (code, summary) = summarise(failed);
                (
                    code,
                    format!("condition was {answer}; ran its {taken} branch: {summary}"),
                )
            }
            Ok(CallResult::Items(items)) => {
                self.progress.items_listed(node, items.len());
                rec.counts.records_in = items.len() as u64;
                let children = children.as_deref().unwrap_or_default();
                let mut failed_items = 0u64;
                let mut visited = 0usize;
                for (i, item) in items.iter().enumerate() {
                    if self.stop.is_some() {
                        break;
                    }
                    visited = i + 1;
                    self.iteration.push(i + 1);
                    self.scope
                        .current
                        .push(Arc::new(item.iter().cloned().collect()));
                    let failed = self.run_list(children, may_resume, None);
                    self.scope.current.pop();
                    self.iteration.pop();
                    failed_items += u64::from(failed);
                }
                rec.counts.records_failed = failed_items;
                rec.counts.records_out = items.len() as u64 - failed_items;
                if self.stop.is_some() {
                    return (
                        ResultCode::Fail,
                        format!(
                            "stopped by a failing task at item {visited} of {}",
                            items.len()
                        ),
                    );
                }
                if let Err(e) = self.commit_state(node, state) {
                    return (ResultCode::Fail, e);
                }
                if items.is_empty() {
                    (ResultCode::SuccessNoData, "no items".into())
                } else {
                    (
                        ResultCode::SuccessData,
                        format!("{} item(s), {failed_items} with a failed task", items.len()),
                    )
                }
            }
        }
    }
}

fn summarise(failed: bool) -> (ResultCode, String) {
    if failed {
        (ResultCode::Fail, "a task inside did not succeed".into())
    } else {
        (ResultCode::Success, "all tasks inside succeeded".into())
    }
}
