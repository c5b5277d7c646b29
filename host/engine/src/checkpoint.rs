//! What a run leaves behind to be found again: the [`Checkpoint`] a run writes as it enters each
//! resumable part of the workflow, and the [`Suspension`] inside it when the run stopped between
//! tasks on purpose — handed a task to another machine (the cloud run's Sage tasks run on the
//! customer's premises), ran out of its time budget (a Lambda invocation), or reached a task that
//! waits for something outside Wharf (a feed the shop is still processing). A suspension records
//! exactly where the run stands — every enclosing repeater's items and index, every condition's
//! answer, each sibling list's previous result, the outputs of the tasks so far — so that a later
//! [`Engine::resume`](crate::Engine::resume) in a fresh process carries on there and runs nothing
//! that finished again (docs/resume.md, docs/cloud.md).
//!
//! These are plain data kept by every storage backend, so this module sits below
//! [`crate::storage`] and knows nothing of the runtime or the walk.

use crate::identity::ResumePoint;
use crate::record::ResultCode;
use crate::template::VarMap;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a run is: written as the run enters each resumable part of the workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub run_id: String,
    /// Path of the task the run would resume from if it died now.
    pub path: String,
    /// The same task by id and structure, so that a run after a crash resumes it even if the
    /// workflow was edited in between (absent in checkpoints of earlier Wharfs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<ResumePoint>,
    pub pid: u32,
    pub host: String,
    /// Set while the run is suspended between tasks (see [`Suspension`]): no process runs
    /// it, and only a resume naming the suspension's token carries it on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended: Option<Suspension>,
    /// What the run's first record says (absent in checkpoints of earlier Wharfs). A store may
    /// write that record without waiting for the disk ([`crate::storage::Storage::put_run_started`]):
    /// if the machine stops before it gets there, the next run makes the record again from this
    /// and resumes as it would have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<RunStart>,
}

/// The start of a run, as its first record says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStart {
    /// When the run record was started (stores key records by it).
    pub started: DateTime<Utc>,
    /// The run's lineage (see `RunRecord::lineage`).
    pub lineage: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed_from: Option<String>,
}

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
    /// The task at `task_path` ended `waiting` for something outside Wharf (`reason`, its
    /// message): no message wakes the run; the workflow's next run resumes it there and runs
    /// the task again (docs/resume.md "Waiting tasks").
    Later {
        task_path: String,
        task_label: String,
        reason: String,
    },
}

impl Waiting {
    /// Whether a message (a job, a continue message) must be sent to wake the run; a run
    /// waiting `Later` is woken by the workflow's next run instead.
    pub fn woken_by_message(&self) -> bool {
        !matches!(self, Waiting::Later { .. })
    }
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
            Waiting::Remote { task_path, .. }
            | Waiting::Deadline { task_path }
            | Waiting::Later { task_path, .. } => task_path,
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
            Waiting::Later {
                task_label, reason, ..
            } => format!(
                "task {task_label} is waiting ({reason}); the workflow's next run runs it again"
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
