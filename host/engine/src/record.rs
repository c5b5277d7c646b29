//! Run records: what happened in one run of a workflow, kept in the workflow's store as JSON.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Zynk result codes (docs/zynk-reference.md §1.5) plus the run-level `Resume` and `Interrupted` statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResultCode {
    Success,
    SuccessData,
    SuccessNoData,
    Fail,
    NotFound,
    NotAuthorised,
    Cancelled,
    /// A task not finished because it waits for something outside Wharf: the run suspends at
    /// it and the workflow's next run runs it again (docs/resume.md "Waiting tasks").
    Waiting,
    /// Failed, and marked as the point the next run starts from (docs/zynk-reference.md §1.3 (4)).
    Resume,
    /// Stopped by SIGINT or SIGTERM; like `Resume`, the next run starts where it stopped.
    Interrupted,
    /// Not run, or the process died mid-task.
    Unknown,
}

impl ResultCode {
    /// Success, SuccessData and SuccessNoData count as successful (docs/zynk-reference.md §1.3 (3)).
    pub fn is_success(self) -> bool {
        matches!(
            self,
            ResultCode::Success | ResultCode::SuccessData | ResultCode::SuccessNoData
        )
    }

    /// A run that ended so: the next run starts where it stopped.
    pub fn resumes(self) -> bool {
        matches!(self, ResultCode::Resume | ResultCode::Interrupted)
    }

    /// Every result code.
    pub const ALL: [ResultCode; 11] = [
        ResultCode::Success,
        ResultCode::SuccessData,
        ResultCode::SuccessNoData,
        ResultCode::Fail,
        ResultCode::NotFound,
        ResultCode::NotAuthorised,
        ResultCode::Cancelled,
        ResultCode::Waiting,
        ResultCode::Resume,
        ResultCode::Interrupted,
        ResultCode::Unknown,
    ];

    /// The result code of a [`ResultCode::key`].
    pub fn from_key(key: &str) -> Option<ResultCode> {
        ResultCode::ALL.into_iter().find(|code| code.key() == key)
    }

    /// The name used in workflow files (`switch:` keys), kebab-case.
    pub fn key(self) -> &'static str {
        match self {
            ResultCode::Success => "success",
            ResultCode::SuccessData => "success-data",
            ResultCode::SuccessNoData => "success-no-data",
            ResultCode::Fail => "fail",
            ResultCode::NotFound => "not-found",
            ResultCode::NotAuthorised => "not-authorised",
            ResultCode::Cancelled => "cancelled",
            ResultCode::Waiting => "waiting",
            ResultCode::Resume => "resume",
            ResultCode::Interrupted => "interrupted",
            ResultCode::Unknown => "unknown",
        }
    }
}

impl fmt::Display for ResultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Records read, written and failed by a task (Zynk's JobItem counts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub records_in: u64,
    pub records_out: u64,
    pub records_failed: u64,
}

impl Counts {
    pub fn add(&mut self, other: Counts) {
        self.records_in += other.records_in;
        self.records_out += other.records_out;
        self.records_failed += other.records_failed;
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LogLine {
    pub at: DateTime<Utc>,
    pub level: String,
    pub message: String,
}

/// One execution of one task (a task inside a repeater has one per item).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskRecord {
    /// Position in the workflow tree, e.g. `2.0.1`.
    pub path: String,
    pub id: String,
    pub name: String,
    /// Component name, `container` or `switch`.
    pub kind: String,
    /// Repeater item number (1-based) for tasks inside repeaters, innermost last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub iteration: Vec<usize>,
    pub started: DateTime<Utc>,
    pub ended: DateTime<Utc>,
    pub result: ResultCode,
    pub message: String,
    pub counts: Counts,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<LogLine>,
}

/// One run of a workflow.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    pub id: String,
    pub workflow: String,
    pub started: DateTime<Utc>,
    pub ended: Option<DateTime<Utc>>,
    pub result: ResultCode,
    pub message: String,
    /// Set when this run started at the failed task of the run before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed_from: Option<String>,
    /// Path of the task the next run must start from (result `Resume` or `Interrupted`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_at: Option<String>,
    /// The same place by task id and structure: a changed workflow resumes only where it still
    /// matches (see [`crate::identity::ResumePoint`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<crate::identity::ResumePoint>,
    /// The first run of a chain of resumed runs (this run's own id when it resumed nothing).
    /// Capabilities use it to recognise work an interrupted run of the chain already did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lineage: Option<String>,
    /// Archive written by this run, if any (Zynk's Job.ArchivePath).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive_path: Option<String>,
    /// What the run noticed about its own start and end: a stale lock taken over, a failed
    /// run it did not resume and why, an interruption.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
    pub tasks: Vec<TaskRecord>,
}

impl RunRecord {
    /// Sum of the counts of every task execution.
    pub fn total_counts(&self) -> Counts {
        let mut c = Counts::default();
        for t in &self.tasks {
            c.add(t.counts);
        }
        c
    }
}
