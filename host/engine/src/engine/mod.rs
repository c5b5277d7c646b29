//! Runs a workflow: loads and checks its components, then walks the task tree — containers,
//! repeaters, conditions with else branches, switches — with break-on-failure, resume from the
//! failed task, the run lock, per-task state committed only on success, and a run record.

use crate::identity::{ResumePlan, ResumePoint, Structure};
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
use crate::suspend::{
    Frame, Position, RemoteCall, RemoteResult, RemoteTasks, Step, Suspension, Waiting, Wake,
    apply_truth,
};
use crate::template::{Scope, Templates, VarMap};
use crate::workflow::{
    HistoryKeep, Node, NodeKind, Workflow, WorkflowError, WorkflowErrors, switch_branch,
};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    // Transparent: the message is the cause's, said once (not again as its source).
    #[error(transparent)]
    Workflow(#[from] WorkflowErrors),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error(
        "workflow `{workflow}` has a suspended run ({run_id}, since {since}: {what}); a new run is refused until it is resumed"
    )]
    Suspended {
        workflow: String,
        run_id: String,
        since: DateTime<Utc>,
        what: String,
    },
    #[error("nothing waits for `{token}`: {state}")]
    NotWaiting { token: String, state: String },
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

#[derive(Clone, Default)]
pub struct RunOptions {
    /// Global variables (e.g. from `wharf run --var`), below workflow variables in precedence.
    pub globals: VarMap,
    /// Tasks that run elsewhere: the run suspends at each (see [`crate::suspend`]).
    pub remote: Option<Arc<dyn RemoteTasks>>,
    /// The run suspends before starting a task after this moment (once it has run one), so
    /// that a fresh process can continue it.
    pub deadline: Option<std::time::Instant>,
    /// When the process will be stopped whatever it is doing (a Lambda invocation's end, less
    /// what saving the run takes). A task whose time limit reaches past it is not started once
    /// the run has made progress in this call (the run suspends before it, as at the
    /// deadline); the first one runs with its limit cut to the time left. Remote tasks do not
    /// run here, so their limits do not count.
    pub hard_end: Option<std::time::Instant>,
    /// How long the run lock holds before it counts as abandoned (default 12 hours).
    pub lock_lease: Option<chrono::Duration>,
    /// Start from the first task even if the last run failed where it could resume
    /// (`wharf run --fresh`).
    pub fresh: bool,
}

/// How a call of [`Engine::start`] or [`Engine::resume`] ended.
#[derive(Debug)]
pub struct RunOutcome {
    /// The run's record as stored: ended, or (suspended) still open.
    pub record: RunRecord,
    pub suspended: Option<Suspended>,
}

/// A run that stopped between tasks and waits to be resumed.
#[derive(Debug)]
pub struct Suspended {
    /// As stored in the checkpoint (`sent` false).
    pub suspension: Suspension,
    /// The remote task's call, when the run waits for one (already dispatched).
    pub call: Option<RemoteCall>,
}

/// Where a call of `drive` starts.
struct Begin {
    record: RunRecord,
    lineage: String,
    resume: Option<ResumePlan>,
    /// A run of this workflow died before: clean up what its task may have left half-written.
    after_crash: bool,
    frames: Vec<Frame>,
    outputs: BTreeMap<String, VarMap>,
    wake: Option<Wake>,
}

/// A workflow whose components are loaded and whose settings were checked.
pub struct Prepared {
    pub workflow: Workflow,
    components: HashMap<String, Arc<LoadedComponent>>,
    /// For each task path: the task a run that fails there resumes from (the outermost
    /// repeater, condition or switch around it, else the task itself).
    resume_units: HashMap<String, String>,
    /// The digests resume points are made of (see [`crate::identity`]).
    structure: Structure,
    /// What is not wrong but worth saying: disabled tasks that name no known component (the
    /// placeholders an import leaves for task classes Wharf does not implement).
    pub warnings: Vec<WorkflowError>,
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
        let mut warnings = Vec::new();
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
                    // A disabled task never runs, so a component it names need not exist: it is
                    // a placeholder (e.g. for a Zynk task class an import could not convert).
                    Err(_) if workflow.ancestry(&node.path).iter().any(|n| !n.enabled) => {
                        warnings.push(err(
                            node.line,
                            node,
                            format!(
                                "a disabled placeholder: no component `{component}`; replace it with a Wharf task before enabling it"
                            ),
                        ));
                        return;
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
            structure: Structure::of(&workflow),
            workflow,
            components,
            resume_units,
            warnings,
        })
    }

    /// Runs a prepared workflow against its store and returns the run record (also stored). A
    /// run with [`RunOptions::remote`] or [`RunOptions::deadline`] may suspend instead of
    /// ending: use [`Engine::start`] for those.
    pub fn run(
        &self,
        prepared: &Prepared,
        storage: Arc<dyn Storage>,
        options: &RunOptions,
        progress: &dyn Progress,
    ) -> Result<RunRecord, EngineError> {
        Ok(self.start(prepared, storage, options, progress)?.record)
    }

    /// Starts a new run: it ends, or suspends at a remote task or at the deadline.
    pub fn start(
        &self,
        prepared: &Prepared,
        storage: Arc<dyn Storage>,
        options: &RunOptions,
        progress: &dyn Progress,
    ) -> Result<RunOutcome, EngineError> {
        let wf = &prepared.workflow;
        let run_id = uuid::Uuid::new_v4().simple().to_string();
        let (lock, mut notices) = self.lock(wf, &storage, &run_id, options)?;
        // A suspended run owns the workflow until it is resumed: a new run would clobber the
        // position it resumes from.
        if let Some(Checkpoint {
            run_id: holder,
            suspended: Some(suspension),
            ..
        }) = storage.load_checkpoint()?
        {
            return Err(EngineError::Suspended {
                workflow: wf.name.clone(),
                run_id: holder,
                since: suspension.since,
                what: suspension.describe(),
            });
        }
        let after_crash = self.recover_crashed_run(prepared, storage.as_ref())?;
        let failed = storage
            .last_ended_run()?
            .filter(|r| r.result.resumes() && r.resume_at.is_some() && wf.resume_on_failure);
        let mut resume = None;
        let mut lineage = run_id.clone();
        if let Some(failed) = failed {
            let starts_afresh = |why: String| {
                format!(
                    "run {} stopped at task {}, but {why}; this run starts from the first task",
                    failed.id,
                    failed.resume_at.as_deref().unwrap_or("?")
                )
            };
            match &failed.resume {
                _ if options.fresh => {
                    notices.push(starts_afresh("`--fresh` asks not to resume it".into()))
                }
                None => notices.push(starts_afresh(
                    "its record (from an earlier Wharf) does not say which task that is by id"
                        .into(),
                )),
                Some(point) => match point.resolve(wf) {
                    Ok(plan) => {
                        lineage = failed.lineage.clone().unwrap_or(failed.id.clone());
                        resume = Some(plan);
                    }
                    Err(why) => notices.push(starts_afresh(why)),
                },
            }
        }
        for notice in &notices {
            tracing::warn!("{notice}");
        }
        let record = RunRecord {
            id: run_id.clone(),
            workflow: wf.name.clone(),
            started: Utc::now(),
            ended: None,
            result: ResultCode::Unknown,
            message: "running".into(),
            resumed_from: resume.as_ref().map(|p| p.target.clone()),
            resume_at: None,
            resume: None,
            lineage: Some(lineage.clone()),
            archive_path: None,
            notices,
            tasks: Vec::new(),
        };
        storage.put_run(&record)?;
        let begin = Begin {
            record,
            lineage,
            resume,
            after_crash,
            frames: Vec::new(),
            outputs: BTreeMap::new(),
            wake: None,
        };
        self.drive(prepared, storage, options, progress, begin, lock)
    }

    /// Carries on a suspended run: with the result of the remote task it waits for, or after a
    /// time-budget pause. The wake must name the suspension's token; anything else (a late or
    /// repeated message) is refused with [`EngineError::NotWaiting`] and changes nothing.
    pub fn resume(
        &self,
        prepared: &Prepared,
        storage: Arc<dyn Storage>,
        options: &RunOptions,
        progress: &dyn Progress,
        wake: Wake,
    ) -> Result<RunOutcome, EngineError> {
        let wf = &prepared.workflow;
        let not_waiting = |state: String| EngineError::NotWaiting {
            token: wake.token().to_string(),
            state,
        };
        // Checked before taking the lock, so a duplicate message costs no lock; and again once
        // it is held, because another invocation may have resumed the run in between.
        let waiting_for_this = |checkpoint: Option<Checkpoint>| -> Result<_, EngineError> {
            let (run_id, suspension) = match checkpoint {
                Some(Checkpoint {
                    run_id,
                    suspended: Some(s),
                    ..
                }) if s.token == wake.token() => (run_id, s),
                Some(Checkpoint {
                    run_id,
                    suspended: Some(s),
                    ..
                }) => {
                    return Err(not_waiting(format!(
                        "run {run_id} is {} instead",
                        s.describe()
                    )));
                }
                Some(cp) => {
                    return Err(not_waiting(format!(
                        "run {} is not suspended (it is at task {})",
                        cp.run_id, cp.path
                    )));
                }
                None => return Err(not_waiting("no run is suspended".into())),
            };
            let kind_fits = matches!(
                (&wake, &suspension.waiting),
                (Wake::Result { .. }, Waiting::Remote { .. })
                    | (Wake::Continue { .. }, Waiting::Deadline { .. })
            );
            if !kind_fits {
                return Err(not_waiting(format!(
                    "run {run_id} is {}",
                    suspension.describe()
                )));
            }
            Ok((run_id, suspension))
        };
        let (run_id, _) = waiting_for_this(storage.load_checkpoint()?)?;
        let (lock, notices) = self.lock(wf, &storage, &run_id, options)?;
        let (run_id, suspension) = waiting_for_this(storage.load_checkpoint()?)?;
        let Some(mut record) = storage.get_run(&run_id)? else {
            return Err(EngineError::Storage(StorageError::Corrupt {
                what: format!("the record of suspended run {run_id}"),
                message: "it is missing".into(),
            }));
        };
        // The workflow may have been redeployed while the run waited: it resumes only where
        // every node of its position still exists.
        if let Some(gone) = suspension
            .position
            .frames
            .iter()
            .find(|f| wf.node(&f.path).is_none())
        {
            record.ended = Some(Utc::now());
            record.result = ResultCode::Fail;
            record.message = format!(
                "the workflow changed while the run was suspended: task {} no longer exists, so the run cannot resume",
                gone.path
            );
            storage.put_run(&record)?;
            storage.clear_checkpoint()?;
            return Ok(RunOutcome {
                record,
                suspended: None,
            });
        }
        record.message = "running".into();
        record.notices.extend(notices);
        let begin = Begin {
            lineage: suspension.lineage.clone(),
            resume: None,
            after_crash: false,
            frames: suspension.position.frames,
            outputs: suspension.position.outputs,
            wake: Some(wake),
            record,
        };
        self.drive(prepared, storage, options, progress, begin, lock)
    }

    fn lock(
        &self,
        wf: &Workflow,
        storage: &Arc<dyn Storage>,
        run_id: &str,
        options: &RunOptions,
    ) -> Result<(Option<LockGuard>, Vec<String>), EngineError> {
        if !wf.use_mutex {
            return Ok((None, Vec::new()));
        }
        let lease = options.lock_lease.unwrap_or(chrono::Duration::hours(12));
        let took_over = storage.acquire_lock(&lock_info(run_id, lease))?;
        Ok((
            Some(LockGuard {
                storage: storage.clone(),
                run_id: run_id.to_string(),
            }),
            took_over.into_iter().collect(),
        ))
    }

    /// Walks the workflow from where `begin` says, then ends or suspends the run.
    fn drive(
        &self,
        prepared: &Prepared,
        storage: Arc<dyn Storage>,
        options: &RunOptions,
        progress: &dyn Progress,
        begin: Begin,
        _lock: Option<LockGuard>,
    ) -> Result<RunOutcome, EngineError> {
        let wf = &prepared.workflow;
        let mut record = begin.record;
        let run_id = record.id.clone();
        let staged = storage.stage_workdir()?;
        if begin.after_crash {
            for left in remove_partial_files(&staged.path) {
                record.notices.push(format!(
                    "removed `{left}`, a file the run that died was still writing"
                ));
            }
        }
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
                outputs: Arc::new(begin.outputs),
                ..Scope::default()
            },
            tasks: std::mem::take(&mut record.tasks),
            resume: begin.resume,
            resume_frames: begin.frames.into(),
            wake: begin.wake,
            iteration: Vec::new(),
            progress,
            stop: None,
            suspended: None,
            checkpoint: None,
            run_id: run_id.clone(),
            lineage: begin.lineage.clone(),
            base_limits: Limits::default().with(&wf.limits),
            remote: options.remote.clone(),
            deadline: options.deadline,
            hard_end: options.hard_end,
            executed: 0,
            unsaved_state: false,
        };
        runner.run_list(&wf.tasks, wf.resume_on_failure, None);
        let unsaved_states = runner.unsaved_state.then(|| runner.states.clone());
        let stop = runner.stop.take();
        let suspended = runner.suspended.take();
        let scope_outputs = (*runner.scope.outputs).clone();
        record.tasks = std::mem::take(&mut runner.tasks);
        drop(runner);

        storage.commit_workdir(&staged)?;
        if let Some(mut halt) = suspended {
            halt.frames.reverse();
            let suspension = Suspension {
                token: halt.token,
                since: Utc::now(),
                waiting: halt.waiting,
                lineage: begin.lineage,
                run_started: record.started,
                position: Position {
                    frames: halt.frames,
                    outputs: scope_outputs,
                },
                sent: false,
                sent_at: None,
            };
            record.message = suspension.describe();
            storage.put_run(&record)?;
            storage.save_checkpoint(&Checkpoint {
                run_id: run_id.clone(),
                path: suspension.task_path().to_string(),
                resume: None,
                pid: std::process::id(),
                host: host_name(),
                suspended: Some(suspension.clone()),
            })?;
            // After the checkpoint that resumes past the tasks that changed it (see
            // `Runner::save_states`).
            if let Some(states) = &unsaved_states {
                storage.save_state(states)?;
                crash_point_for_tests("after-state-saved");
            }
            return Ok(RunOutcome {
                record,
                suspended: Some(Suspended {
                    suspension,
                    call: halt.call,
                }),
            });
        }
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
                record.result = match (stop.interrupted, stop.resumable) {
                    (true, _) => ResultCode::Interrupted,
                    (false, true) => ResultCode::Resume,
                    (false, false) => ResultCode::Fail,
                };
                if stop.resumable {
                    record.resume = ResumePoint::at(wf, &prepared.structure, &unit);
                    record.resume_at = Some(unit.clone());
                    record.message =
                        format!("{}; the next run resumes at task {unit}", stop.message);
                } else {
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
        // Only now that the record says where the next run starts (see `Runner::save_states`).
        if let Some(states) = &unsaved_states {
            storage.save_state(states)?;
            crash_point_for_tests("after-state-saved");
        }
        storage.clear_checkpoint()?;
        housekeep_history(wf, storage.as_ref(), &record.id)?;
        Ok(RunOutcome {
            record,
            suspended: None,
        })
    }

    /// A checkpoint left by a run whose process died: close that run's record as failed (with
    /// its resume point) so the next run can resume from it.
    /// Answers whether there was such a run.
    fn recover_crashed_run(
        &self,
        prepared: &Prepared,
        storage: &dyn Storage,
    ) -> Result<bool, EngineError> {
        let Some(cp) = storage.load_checkpoint()? else {
            return Ok(false);
        };
        if cp.suspended.is_some() {
            // Not crashed: waiting to be resumed.
            return Ok(false);
        }
        let wf = &prepared.workflow;
        let abandoned = wf.use_mutex
            || cp.pid == std::process::id()
            || (cp.host == host_name() && !process_alive(cp.pid));
        if !abandoned {
            return Ok(false);
        }
        if let Some(mut crashed) = storage.get_run(&cp.run_id)?.filter(|r| r.ended.is_none()) {
            // The workflow may have been edited since the run died: where it stopped is known
            // by task id (the path is for checkpoints of earlier Wharfs).
            let point = cp
                .resume
                .clone()
                .or_else(|| ResumePoint::at(wf, &prepared.structure, &cp.path));
            let mut now_at = None;
            if let Some(p) = &point {
                wf.walk(|n| {
                    if n.id == p.task {
                        now_at = Some(n.path.clone());
                    }
                });
            }
            let resumable = wf.resume_on_failure
                && match (&point, &now_at) {
                    (Some(_), Some(path)) => {
                        wf.ancestry(path).iter().all(|n| n.can_resume)
                            && prepared.resume_units.contains_key(path)
                    }
                    // Gone since: the next run says so and starts from the first task.
                    (Some(_), None) => true,
                    (None, _) => false,
                };
            crashed.ended = Some(Utc::now());
            let message = format!(
                "the run stopped unexpectedly (the process ended) during task {}",
                cp.path
            );
            if resumable {
                crashed.result = ResultCode::Resume;
                crashed.resume = point;
                crashed.resume_at = Some(cp.path.clone());
                crashed.message = format!("{message}; the next run resumes there");
            } else {
                crashed.result = ResultCode::Fail;
                crashed.message = message;
            }
            storage.put_run(&crashed)?;
        }
        storage.clear_checkpoint()?;
        Ok(true)
    }
}

/// How the files still being written are named (`.<name>.wharf-partial`): the guest SDK and
/// the host transfers write there and rename into place when complete.
const PARTIAL_SUFFIX: &str = ".wharf-partial";

/// Removes every partial file under `workdir` (symlinks are not followed); answers their paths
/// relative to it.
fn remove_partial_files(workdir: &Path) -> Vec<String> {
    let mut removed = Vec::new();
    let mut pending = vec![workdir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file()
                && entry
                    .file_name()
                    .to_string_lossy()
                    .ends_with(PARTIAL_SUFFIX)
            {
                match std::fs::remove_file(&path) {
                    Ok(()) => removed.push(
                        path.strip_prefix(workdir)
                            .unwrap_or(&path)
                            .display()
                            .to_string(),
                    ),
                    Err(e) => tracing::warn!("could not remove {}: {e}", path.display()),
                }
            }
        }
    }
    removed
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
    /// By an [`crate::interrupt::Interrupt`], not by a failing task.
    interrupted: bool,
}

/// A suspension being unwound: each level of the walk adds its frame on the way out.
struct Halt {
    token: String,
    waiting: Waiting,
    /// Innermost first while unwinding.
    frames: Vec<Frame>,
    call: Option<RemoteCall>,
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
    /// While set, the run is on its way to where the failed run stopped: tasks before it that
    /// ran then and have not changed are skipped.
    resume: Option<ResumePlan>,
    /// A resumed suspension's position still to descend into, outermost first.
    resume_frames: VecDeque<Frame>,
    /// What woke a resumed run (the remote result is consumed by its task).
    wake: Option<Wake>,
    iteration: Vec<usize>,
    progress: &'a dyn Progress,
    stop: Option<Stop>,
    suspended: Option<Halt>,
    checkpoint: Option<String>,
    run_id: String,
    /// See `RunRecord::lineage`.
    lineage: String,
    base_limits: Limits,
    remote: Option<Arc<dyn RemoteTasks>>,
    deadline: Option<std::time::Instant>,
    hard_end: Option<std::time::Instant>,
    /// Tasks run (or remote results applied) in this call: a deadline pause needs progress.
    executed: usize,
    /// Task state committed in memory but not yet stored: it is stored once the checkpoint has
    /// moved past the tasks that changed it (see `save_states`).
    unsaved_state: bool,
}

impl Runner<'_> {
    /// Whether `node` runs a component here whose time limit reaches past the hard end.
    fn outlives_hard_end(&self, node: &Node) -> bool {
        let Some(end) = self.hard_end else {
            return false;
        };
        let Some(component) = self.prepared.component(node) else {
            return false;
        };
        if self
            .remote
            .as_ref()
            .is_some_and(|r| r.is_remote(node, component))
        {
            return false;
        }
        let limit = self.base_limits.with(&node.limits).timeout;
        std::time::Instant::now() + limit > end
    }

    fn halted(&self) -> bool {
        self.stop.is_some() || self.suspended.is_some()
    }

    /// Adds the frame of the node being unwound, innermost first.
    fn push_frame(&mut self, path: &str, step: Step) {
        if let Some(halt) = &mut self.suspended {
            halt.frames.push(Frame {
                path: path.to_string(),
                record: None,
                previous: None,
                any_failed: false,
                step,
            });
        }
    }

    /// The frame pushed last (the node being unwound at this level).
    fn top_frame(&mut self) -> Option<&mut Frame> {
        self.suspended.as_mut().and_then(|h| h.frames.last_mut())
    }

    /// Runs a list of sibling nodes; returns whether any of them did not succeed.
    fn run_list(&mut self, nodes: &[Node], may_resume: bool, before: Option<ResultCode>) -> bool {
        let mut previous = before;
        let mut any_failed = false;
        for node in nodes {
            if self.halted() {
                break;
            }
            let frame = match self.resume_frames.front() {
                Some(f) if f.path == node.path => {
                    let f = self.resume_frames.pop_front().expect("front exists");
                    previous = f.previous;
                    any_failed = f.any_failed;
                    Some(f)
                }
                // Before the suspended run's position: it finished.
                Some(_) => continue,
                None => None,
            };
            if frame.is_some() && !node.enabled {
                // Disabled since the run suspended: carry on after it.
                self.resume_frames.clear();
                continue;
            }
            if frame.is_none() {
                if let Some(plan) = &self.resume {
                    if node.path == plan.target {
                        self.resume = None;
                    } else if !plan.target.starts_with(&format!("{}.", node.path)) {
                        if plan.skip.contains(&node.id) {
                            // Before the resume point: it ran in the failed run, unchanged since.
                            continue;
                        }
                        // Before the resume point, but new or changed since: it runs.
                    } else if !node.enabled {
                        // The resume point sits in a part that is now disabled: carry on after it.
                        self.resume = None;
                        continue;
                    }
                }
                if !node.enabled {
                    continue;
                }
                if self.executed > 0
                    && (self
                        .deadline
                        .is_some_and(|d| std::time::Instant::now() >= d)
                        || self.outlives_hard_end(node))
                {
                    self.suspended = Some(Halt {
                        token: uuid::Uuid::new_v4().simple().to_string(),
                        waiting: Waiting::Deadline {
                            task_path: node.path.clone(),
                        },
                        frames: Vec::new(),
                        call: None,
                    });
                    self.push_frame(&node.path, Step::Next);
                    if let Some(f) = self.top_frame() {
                        f.previous = previous;
                        f.any_failed = any_failed;
                    }
                    break;
                }
            }
            if let Some(why) = self.engine.runtime.interrupt().raised() {
                self.stop = Some(Stop {
                    path: node.path.clone(),
                    resumable: may_resume && node.can_resume,
                    message: format!(
                        "interrupted ({why}) before task `{}` ({})",
                        node.name,
                        node.kind_name()
                    ),
                    interrupted: true,
                });
                break;
            }
            let code = self.run_node(node, may_resume && node.can_resume, previous, frame);
            if self.suspended.is_some() {
                if let Some(f) = self.top_frame() {
                    f.previous = previous;
                    f.any_failed = any_failed;
                }
                break;
            }
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
            resume: ResumePoint::at(&self.prepared.workflow, &self.prepared.structure, &unit),
            pid: std::process::id(),
            host: host_name(),
            suspended: None,
        };
        if let Err(e) = self.storage.save_checkpoint(&cp) {
            tracing::warn!("could not save the checkpoint: {e}");
            return;
        }
        self.checkpoint = Some(unit);
        self.save_states();
    }

    /// Stores the task state committed so far. Called once the checkpoint has moved to another
    /// resume unit (and at the end of the run, once its record is stored): a run that dies
    /// later resumes past the tasks whose cursors moved. Stored earlier, a run dying between a
    /// task's cursor moving and the checkpoint moving would run that task again with the moved
    /// cursor and lose what the first attempt fetched (a stock export would come back empty).
    /// Stored this late, such a run repeats work at worst: the cursor moves once the work it
    /// covers is behind the checkpoint.
    fn save_states(&mut self) {
        if !self.unsaved_state {
            return;
        }
        match self.storage.save_state(&self.states) {
            Ok(()) => {
                self.unsaved_state = false;
                crash_point_for_tests("after-state-saved");
            }
            // Kept for the next checkpoint or the end of the run.
            Err(e) => tracing::warn!("could not save the tasks' state: {e}"),
        }
    }

    /// Runs one node; `frame` is its part of a resumed suspension's position.
    fn run_node(
        &mut self,
        node: &Node,
        may_resume: bool,
        previous: Option<ResultCode>,
        frame: Option<Frame>,
    ) -> ResultCode {
        self.checkpoint(node);
        let resumed_record = frame
            .as_ref()
            .and_then(|f| f.record)
            .filter(|&i| i < self.tasks.len() && self.tasks[i].path == node.path);
        let (index, mut rec) = match resumed_record {
            Some(i) => (i, self.tasks[i].clone()),
            None => {
                self.progress.task_started(node, &self.iteration);
                let started = Utc::now();
                let rec = TaskRecord {
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
                self.tasks.push(rec.clone());
                (self.tasks.len() - 1, rec)
            }
        };
        let step = frame.map(|f| f.step);
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
            NodeKind::Task { .. } => self.run_component(node, may_resume, &mut rec, step),
        };
        if self.suspended.is_some() {
            if !matches!(node.kind, NodeKind::Task { .. }) {
                self.push_frame(&node.path, Step::Group);
            }
            if let Some(f) = self.top_frame() {
                f.record = Some(index);
            }
            rec.message = message;
            self.tasks[index] = rec;
            return ResultCode::Unknown;
        }
        let interrupted = code == ResultCode::Interrupted
            || (!code.is_success() && self.stop.as_ref().is_some_and(|s| s.interrupted));
        let code = if interrupted {
            ResultCode::Interrupted
        } else {
            code
        };
        rec.ended = Utc::now();
        rec.result = code;
        rec.message = message.clone();
        if !code.is_success() && (node.break_on_failure || interrupted) && self.stop.is_none() {
            self.stop = Some(Stop {
                path: node.path.clone(),
                resumable: may_resume,
                message: if interrupted {
                    format!("task `{}` ({}): {message}", node.name, node.kind_name())
                } else {
                    format!(
                        "task `{}` ({}) failed: {message}",
                        node.name,
                        node.kind_name()
                    )
                },
                interrupted,
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
        rendering: std::time::Duration,
    ) -> TaskOutcome {
        let NodeKind::Task { grants, .. } = &node.kind else {
            unreachable!("only tasks call components")
        };
        let label = format!("{} ({})", node.name, component.info.name);
        let archive = grants.iter().any(|g| g == "archive").then(|| ArchiveGrant {
            storage: self.storage.clone(),
            workdir: self.workdir.clone(),
        });
        // The component gets what rendering left of the time limit. The deadline is kept in 5 ms
        // ticks, so a render shorter than two ticks changes nothing and the limit is reported as
        // written.
        let mut limits = self.base_limits.with(&node.limits);
        if rendering >= std::time::Duration::from_millis(10) {
            limits.timeout = limits.timeout.saturating_sub(rendering);
        }
        // Only the first task of a call gets here with a limit past the hard end (later ones
        // suspend before it): it may use what is left, and is stopped before the process is.
        if let Some(end) = self.hard_end {
            let left = end.saturating_duration_since(std::time::Instant::now());
            if limits.timeout > left {
                tracing::info!(
                    "task {label}: time limit cut to {left:.1?}, what is left of this process's time"
                );
                limits.timeout = left;
            }
        }
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
                run_id: &self.run_id,
                timeout: limits.timeout,
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
                        stopped: false,
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
                limits,
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
            // The files first: a cursor never gets ahead of what it fetched.
            self.storage
                .sync_workdir(&self.workdir)
                .map_err(|e| format!("could not save the working directory: {e}"))?;
            self.states.insert(node.id.clone(), state);
            self.unsaved_state = true;
        }
        Ok(())
    }

    fn run_component(
        &mut self,
        node: &Node,
        may_resume: bool,
        rec: &mut TaskRecord,
        step: Option<Step>,
    ) -> (ResultCode, String) {
        let NodeKind::Task {
            settings: given, ..
        } = &node.kind
        else {
            unreachable!("run_component is only called for tasks")
        };
        let Some(component) = self.prepared.component(node).cloned() else {
            return (ResultCode::Fail, "component not loaded".into());
        };
        match step {
            Some(Step::Repeater {
                items,
                index,
                failed_items,
                state,
            }) => return self.run_items(node, may_resume, rec, items, index, failed_items, state),
            Some(Step::Condition { answer, state }) => {
                return self.run_branch(node, may_resume, answer, state);
            }
            Some(Step::Remote) => {
                return match self.wake.take() {
                    Some(Wake::Result { result, .. }) => self.apply_remote(node, rec, result),
                    _ => (
                        ResultCode::Fail,
                        "resumed without the result of its remote run".into(),
                    ),
                };
            }
            Some(Step::Next | Step::Group) | None => {}
        }
        // Rendering the settings counts against the task's time limit (docs/limits.md).
        let rendering = std::time::Instant::now();
        let timeout = self.base_limits.with(&node.limits).timeout;
        let call_settings = match settings::prepare(
            &component.info,
            given,
            &self.engine.templates,
            &self.scope,
            timeout,
        ) {
            Ok(s) => s,
            Err(e) => return (ResultCode::Fail, e),
        };
        if let Some(remote) = self.remote.clone()
            && remote.is_remote(node, &component)
        {
            return self.hand_over(node, &component, call_settings, remote.as_ref());
        }
        self.executed += 1;
        let outcome = self.call(node, &component, call_settings, rendering.elapsed());
        rec.logs = outcome.logs.clone();
        if outcome.stopped {
            // Stopped mid-write (time limit, trap, interrupt): nothing finishes its temporaries.
            for left in remove_partial_files(&self.workdir) {
                rec.logs.push(crate::record::LogLine {
                    at: Utc::now(),
                    level: "warning".into(),
                    message: format!("removed `{left}`, left half-written by the stopped task"),
                });
            }
            if let Some(why) = self.engine.runtime.interrupt().raised() {
                return (ResultCode::Interrupted, format!("interrupted ({why})"));
            }
        }
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
                self.finish_plain(node, rec, r.code, r.message, r.counts, r.outputs, state)
            }
            Ok(CallResult::Condition(answer)) => self.run_branch(node, may_resume, answer, state),
            Ok(CallResult::Items(items)) => {
                self.progress.items_listed(node, items.len());
                rec.counts.records_in = items.len() as u64;
                self.run_items(node, may_resume, rec, items, 0, 0, state)
            }
        }
    }

    /// Records a plain task's result: counts, outputs for later templates, state on success.
    #[allow(clippy::too_many_arguments)]
    fn finish_plain(
        &mut self,
        node: &Node,
        rec: &mut TaskRecord,
        code: ResultCode,
        message: String,
        counts: Counts,
        outputs: Vec<(String, String)>,
        state: Option<BTreeMap<String, String>>,
    ) -> (ResultCode, String) {
        rec.counts = counts;
        rec.outputs = outputs.clone();
        let mut outputs: VarMap = outputs.into_iter().collect();
        outputs.insert("result".into(), code.key().into());
        self.scope.set_outputs(&node.id, outputs);
        if code.is_success()
            && let Err(e) = self.commit_state(node, state)
        {
            return (ResultCode::Fail, e);
        }
        (code, message)
    }

    /// Runs the branch a condition's answer selects.
    fn run_branch(
        &mut self,
        node: &Node,
        may_resume: bool,
        answer: bool,
        state: Option<BTreeMap<String, String>>,
    ) -> (ResultCode, String) {
        let NodeKind::Task {
            equal_to,
            children,
            else_children,
            ..
        } = &node.kind
        else {
            unreachable!("only tasks are conditions")
        };
        let wanted = equal_to.unwrap_or(true);
        let branch = if answer == wanted {
            children.as_ref()
        } else {
            else_children.as_ref()
        };
        let failed = branch.is_some_and(|b| self.run_list(b, may_resume, None));
        let taken = if answer == wanted { "tasks" } else { "else" };
        if self.suspended.is_some() {
            self.push_frame(&node.path, Step::Condition { answer, state });
            return (
                ResultCode::Unknown,
                format!("condition was {answer}; suspended in its {taken} branch"),
            );
        }
        if !failed && let Err(e) = self.commit_state(node, state) {
            return (ResultCode::Fail, e);
        }
        let (code, summary) = summarise(failed);
        (
            code,
            format!("condition was {answer}; ran its {taken} branch: {summary}"),
        )
    }

    /// Runs a repeater's children for its items from `start` on.
    #[allow(clippy::too_many_arguments)]
    fn run_items(
        &mut self,
        node: &Node,
        may_resume: bool,
        rec: &mut TaskRecord,
        items: Vec<Vec<(String, String)>>,
        start: usize,
        failed_before: u64,
        state: Option<BTreeMap<String, String>>,
    ) -> (ResultCode, String) {
        let NodeKind::Task { children, .. } = &node.kind else {
            unreachable!("only tasks are repeaters")
        };
        let children = children.as_deref().unwrap_or_default();
        let mut failed_items = failed_before;
        let mut visited = start;
        for i in start..items.len() {
            if self.halted() {
                break;
            }
            visited = i + 1;
            self.iteration.push(i + 1);
            self.scope
                .current
                .push(Arc::new(items[i].iter().cloned().collect()));
            let failed = self.run_list(children, may_resume, None);
            self.scope.current.pop();
            self.iteration.pop();
            if self.suspended.is_some() {
                let total = items.len();
                self.push_frame(
                    &node.path,
                    Step::Repeater {
                        items,
                        index: i,
                        failed_items,
                        state,
                    },
                );
                return (
                    ResultCode::Unknown,
                    format!("suspended at item {} of {total}", i + 1),
                );
            }
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

    /// Hands a remote task's call over and suspends the run there.
    fn hand_over(
        &mut self,
        node: &Node,
        component: &LoadedComponent,
        settings: Vec<(String, String)>,
        remote: &dyn RemoteTasks,
    ) -> (ResultCode, String) {
        let mut input_files = BTreeMap::new();
        for (name, value) in &settings {
            let is_file = component
                .info
                .setting(name)
                .is_some_and(|s| s.kind == crate::runtime::SettingKind::File);
            let relative = value.trim_start_matches('/');
            if !is_file || relative.is_empty() {
                continue;
            }
            let path = self.workdir.join(relative);
            if path.is_file() {
                match std::fs::read(&path) {
                    Ok(bytes) => {
                        input_files.insert(relative.to_string(), bytes);
                    }
                    Err(e) => {
                        return (
                            ResultCode::Fail,
                            format!("setting `{name}`: cannot read {relative}: {e}"),
                        );
                    }
                }
            }
        }
        let token = uuid::Uuid::new_v4().simple().to_string();
        let label = format!("{} ({})", node.name, component.info.name);
        let call = RemoteCall {
            token: token.clone(),
            workflow: self.prepared.workflow.store_name(),
            run_id: self.run_id.clone(),
            lineage: self.lineage.clone(),
            task_path: node.path.clone(),
            task_id: node.id.clone(),
            label: label.clone(),
            component: component.info.name.clone(),
            component_sha256: component.sha256.clone(),
            settings,
            state: self.states.get(&node.id).cloned().unwrap_or_default(),
            input_files,
            timeout: self.base_limits.with(&node.limits).timeout,
        };
        if let Err(e) = remote.dispatch(&call) {
            return (
                ResultCode::Fail,
                format!("could not hand the task over to run remotely: {e}"),
            );
        }
        self.suspended = Some(Halt {
            token: token.clone(),
            waiting: Waiting::Remote {
                task_path: node.path.clone(),
                task_label: label,
                component: component.info.name.clone(),
            },
            frames: Vec::new(),
            call: Some(call),
        });
        self.push_frame(&node.path, Step::Remote);
        (
            ResultCode::Unknown,
            format!("waiting for its remote run (call {token})"),
        )
    }

    /// Applies a remote task's result as if the task had run here.
    fn apply_remote(
        &mut self,
        node: &Node,
        rec: &mut TaskRecord,
        result: RemoteResult,
    ) -> (ResultCode, String) {
        self.executed += 1;
        for (name, bytes) in &result.output_files {
            let relative = match settings::guest_path(name) {
                Ok(p) if p != "/" => p.trim_start_matches('/').to_string(),
                _ => {
                    return (
                        ResultCode::Fail,
                        format!(
                            "its remote run returned a file `{name}` outside the working directory"
                        ),
                    );
                }
            };
            let target = self.workdir.join(&relative);
            let written = target
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|_| std::fs::write(&target, bytes));
            if let Err(e) = written {
                return (
                    ResultCode::Fail,
                    format!("cannot write {relative} returned by its remote run: {e}"),
                );
            }
        }
        if let Err(e) = apply_truth(&result.truth_updates, self.truth.as_ref()) {
            return (
                ResultCode::Fail,
                format!("cannot record the truth updates of its remote run: {e}"),
            );
        }
        rec.logs = result.logs;
        self.finish_plain(
            node,
            rec,
            result.code,
            result.message,
            result.counts,
            result.outputs,
            result.state,
        )
    }
}

fn summarise(failed: bool) -> (ResultCode, String) {
    if failed {
        (ResultCode::Fail, "a task inside did not succeed".into())
    } else {
        (ResultCode::Success, "all tasks inside succeeded".into())
    }
}

/// Test-only: `WHARF_ENGINE_TEST_CRASH=<point>` makes the process exit at that point, so a test
/// can kill a run exactly where a crash is most harmful. Point: `after-state-saved` (task state
/// just stored). Never set it outside tests.
pub const TEST_CRASH_ENV: &str = "WHARF_ENGINE_TEST_CRASH";

fn crash_point_for_tests(point: &str) {
    if std::env::var(TEST_CRASH_ENV).is_ok_and(|v| v == point) {
        eprintln!("{TEST_CRASH_ENV}: exiting at {point}");
        std::process::exit(86);
    }
}
