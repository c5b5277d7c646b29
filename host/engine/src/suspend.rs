//! Suspended runs: a run that reaches a task which must run elsewhere (the cloud run's Sage tasks
//! run on the customer's premises) or that would outlive its time budget (a Lambda invocation)
//! stops *between* tasks and records exactly where it stands — every enclosing repeater's items
//! and index, every condition's answer, each sibling list's previous result, the outputs of the
//! tasks so far — in its checkpoint. A later call of [`Engine::resume`](crate::Engine::resume)
//! (a fresh process) picks the run up there: with the remote task's result, or simply carrying
//! on. Nothing that finished is run again.

use crate::record::{Counts, LogLine, ResultCode};
use crate::runtime::LoadedComponent;
use crate::storage::{StorageError, TruthRecord, TruthStore};
use crate::template::VarMap;
use crate::workflow::Node;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Why a run suspended, and what it waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Waiting {
    /// The remote task at `task_path` was handed over as call `token`; the run resumes with its
    /// result.
    Remote {
        task_path: String,
        task_label: String,
        component: String,
    },
    /// The time budget ran out before the task at `task_path`; the run resumes there.
    Deadline { task_path: String },
}

/// A run stopped between tasks, to be resumed (stored in the workflow's checkpoint).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspension {
    /// Names this suspension: the remote call's id (the Sage job id) or the continuation's.
    /// A resume must name it, so a late or repeated message cannot resume the wrong point.
    pub token: String,
    pub since: DateTime<Utc>,
    pub waiting: Waiting,
    /// The run's lineage (see `RunRecord::lineage`).
    pub lineage: String,
    /// When the run record was started (stores may key records by it).
    pub run_started: DateTime<Utc>,
    pub position: Position,
    /// Set by the caller once whatever wakes the run (the job message, the continuation
    /// message) was sent: a suspension found with `sent == false` must be sent again.
    #[serde(default)]
    pub sent: bool,
    /// When the caller last sent it (it may send it again after an age, see docs/cloud.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
}

impl Suspension {
    /// The path of the task the run resumes at.
    pub fn task_path(&self) -> &str {
        match &self.waiting {
            Waiting::Remote { task_path, .. } | Waiting::Deadline { task_path } => task_path,
        }
    }

    /// For messages: what the run is waiting for.
    pub fn describe(&self) -> String {
        match &self.waiting {
            Waiting::Remote { task_label, .. } => {
                format!(
                    "waiting for task {task_label} to run remotely (call {})",
                    self.token
                )
            }
            Waiting::Deadline { task_path } => format!(
                "paused before task {task_path} (time budget), to continue as {}",
                self.token
            ),
        }
    }
}

/// Where a suspended run stands: the chain of nodes from the workflow's top-level list down to
/// the task it resumes at, and the outputs of the tasks that ran.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Outermost first; the last frame is the task the run resumes at.
    pub frames: Vec<Frame>,
    pub outputs: BTreeMap<String, VarMap>,
}

/// One node of a [`Position`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    pub path: String,
    /// Index of the node's task record in the run record (absent for a task not started yet).
    #[serde(default)]
    pub record: Option<usize>,
    /// The sibling list when this node started: the previous sibling's result (for switches)
    /// and whether an earlier sibling failed.
    #[serde(default)]
    pub previous: Option<ResultCode>,
    #[serde(default)]
    pub any_failed: bool,
    pub step: Step,
}

/// How far a node of a [`Position`] got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Step {
    /// A container or switch: inside its children.
    Group,
    /// A repeater on item `index` (0-based) of the `items` it listed.
    Repeater {
        items: Vec<Vec<(String, String)>>,
        index: usize,
        failed_items: u64,
        /// The repeater's new state, committed once all its items are done.
        state: Option<BTreeMap<String, String>>,
    },
    /// A condition that answered `answer`, inside the branch it took.
    Condition {
        answer: bool,
        state: Option<BTreeMap<String, String>>,
    },
    /// The task the run resumes at, not started yet.
    Next,
    /// The remote task whose result the run waits for.
    Remote,
}

/// A task call handed to another machine: everything its component needs to run there.
#[derive(Debug, Clone)]
pub struct RemoteCall {
    /// Unique per call (the suspension's token).
    pub token: String,
    pub workflow: String,
    pub run_id: String,
    pub lineage: String,
    pub task_path: String,
    pub task_id: String,
    /// `name (component)`, for messages.
    pub label: String,
    pub component: String,
    pub component_sha256: String,
    /// Rendered and checked, defaults filled in.
    pub settings: Vec<(String, String)>,
    /// The task's state (cursors) before the call.
    pub state: BTreeMap<String, String>,
    /// The files the task's file settings name that exist in the working directory, by
    /// relative path.
    pub input_files: BTreeMap<String, Vec<u8>>,
    pub timeout: Duration,
}

/// Decides which tasks run elsewhere and hands their calls over.
pub trait RemoteTasks: Send + Sync {
    /// Whether this task runs elsewhere (the cloud run: tasks that use the `sage` capability).
    fn is_remote(&self, node: &Node, component: &LoadedComponent) -> bool;
    /// Hands the call over before the run suspends (e.g. writes the job to the bucket). Called
    /// again with the same token if a crashed suspension is retried: must be idempotent.
    fn dispatch(&self, call: &RemoteCall) -> Result<(), String>;
}

/// A change a remote task made to the workflow's truth records, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "op")]
pub enum TruthUpdate {
    Upsert(TruthRecord),
    Remove { kind: String, external_id: String },
}

/// Applies `updates` to `truth`, in order (each is idempotent, so applying twice is harmless).
pub fn apply_truth(updates: &[TruthUpdate], truth: &dyn TruthStore) -> Result<(), StorageError> {
    for update in updates {
        match update {
            TruthUpdate::Upsert(record) => truth.upsert(record)?,
            TruthUpdate::Remove { kind, external_id } => truth.remove(kind, external_id)?,
        }
    }
    Ok(())
}

/// What a remote task produced, as the engine applies it.
#[derive(Debug, Clone)]
pub struct RemoteResult {
    pub code: ResultCode,
    pub message: String,
    pub counts: Counts,
    pub outputs: Vec<(String, String)>,
    /// Files the task created or changed, by relative path.
    pub output_files: BTreeMap<String, Vec<u8>>,
    pub truth_updates: Vec<TruthUpdate>,
    /// The task's new state, committed when it succeeded.
    pub state: Option<BTreeMap<String, String>>,
    pub logs: Vec<LogLine>,
}

/// How [`Engine::resume`](crate::Engine::resume) wakes a suspended run.
#[derive(Debug, Clone)]
pub enum Wake {
    /// The result of the remote call `token`.
    Result { token: String, result: RemoteResult },
    /// Carry on after a time-budget pause `token`.
    Continue { token: String },
}

impl Wake {
    pub fn token(&self) -> &str {
        match self {
            Wake::Result { token, .. } | Wake::Continue { token } => token,
        }
    }
}
