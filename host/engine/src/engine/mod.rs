//! Runs a workflow: loads and checks its components, then walks the task tree — containers,
//! repeaters, conditions with else branches, switches — with break-on-failure, resume from the
//! failed task, the run lock, per-task state committed only on success, and a run record.
//!
//! By concern: [`components`] finds component files; [`prepare`] loads them and checks every
//! task against its component's description; `lifecycle` starts, resumes and ends runs (the run
//! lock, crash recovery, the run record and its history); `walk` goes through the task tree, one
//! file per kind of step (`task`, `repeater`, `condition` with switches, `container`, and
//! `remote`: the hand-over of a task that runs elsewhere, see [`crate::suspend`]).

mod components;
mod lifecycle;
mod prepare;
mod walk;

pub use components::ComponentSource;
pub use prepare::{Described, LazyComponents, Prepared};

use crate::checkpoint::Suspension;
use crate::record::{RunRecord, TaskRecord};
use crate::runtime::{Runtime, RuntimeError};
use crate::storage::StorageError;
use crate::suspend::{RemoteCall, RemoteTasks};
use crate::template::{Templates, VarMap};
use crate::workflow::{Node, WorkflowErrors};
use chrono::{DateTime, Utc};
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
    /// Who or what started the run (recorded in [`crate::RunRecord::started_by`]).
    pub started_by: Option<String>,
    /// Start only to recover this run, which a message found dead mid-invocation (its plain
    /// checkpoint left behind). What the message saw may be stale: if, once the lock is held,
    /// the checkpoint is no longer that run's, another invocation ended or carried it on in
    /// between, and nothing starts ([`EngineError::NotWaiting`]) — a new run would repeat the
    /// workflow's effects.
    pub recover_only: Option<Recovery>,
}

/// The run a recovery start is for, and the message token that asked for it.
#[derive(Clone, Debug)]
pub struct Recovery {
    pub run_id: String,
    pub token: String,
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
}

/// Test-only: `WHARF_ENGINE_TEST_CRASH=<point>` makes the process exit at that point, so a test
/// can kill a run exactly where a crash is most harmful. Point: `after-state-saved` (task state
/// just stored). Never set it outside tests.
pub const TEST_CRASH_ENV: &str = "WHARF_ENGINE_TEST_CRASH";

pub(crate) fn crash_point_for_tests(point: &str) {
    if std::env::var(TEST_CRASH_ENV).is_ok_and(|v| v == point) {
        eprintln!("{TEST_CRASH_ENV}: exiting at {point}");
        std::process::exit(86);
    }
}
