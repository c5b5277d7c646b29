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
    /// More executions of this task folded into this one line by [`RunRecord::summarise`]
    /// (its counts are their sum); 0 for an execution of its own.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub folded: u64,
}

impl TaskRecord {
    /// A record with no task named and no result yet, started (and ended) at `started`:
    /// empty texts and lists, so making one allocates nothing.
    pub fn placeholder(started: DateTime<Utc>) -> Self {
        TaskRecord {
            path: String::new(),
            id: String::new(),
            name: String::new(),
            kind: String::new(),
            iteration: Vec::new(),
            started,
            ended: started,
            result: ResultCode::Unknown,
            message: String::new(),
            counts: Counts::default(),
            outputs: Vec::new(),
            logs: Vec::new(),
            folded: 0,
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Successful executions of one task a stored run record keeps one by one; the rest are
/// folded into one line per task (a 200,000-item repeater keeps its record small).
pub const KEPT_EXECUTIONS: usize = 200;
/// Executions of one task that did not succeed, kept one by one besides those.
pub const KEPT_FAILED_EXECUTIONS: usize = 200;

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
    /// Who or what started the run: `cli:<user>`, `schedule`, `serve`, or in the cloud
    /// `cloud:schedule` / `cloud:<event>`. Absent in records from before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_by: Option<String>,
    /// What the run noticed about its own start and end: a stale lock taken over, a failed
    /// run it did not resume and why, an interruption.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
    pub tasks: Vec<TaskRecord>,
}

impl RunRecord {
    /// Keeps each task's first [`KEPT_EXECUTIONS`] successful and first
    /// [`KEPT_FAILED_EXECUTIONS`] other executions, in order, and folds the rest of each task's
    /// executions into one line (where the first folded one was) whose counts are their sum,
    /// so the run's totals stay exact.
    pub fn summarise(&mut self) {
        use std::collections::HashMap;
        let mut kept: HashMap<String, (usize, usize)> = HashMap::new();
        let mut summary_at: HashMap<String, usize> = HashMap::new();
        let mut out = Vec::new();
        for task in std::mem::take(&mut self.tasks) {
            let (ok, other) = kept.entry(task.path.clone()).or_default();
            let (count, limit) = if task.result.is_success() {
                (ok, KEPT_EXECUTIONS)
            } else {
                (other, KEPT_FAILED_EXECUTIONS)
            };
            if *count < limit {
                *count += 1;
                out.push(task);
                continue;
            }
            match summary_at.get(&task.path) {
                Some(&i) => {
                    let line: &mut TaskRecord = &mut out[i];
                    line.folded += 1;
                    line.counts.add(task.counts);
                    line.started = line.started.min(task.started);
                    line.ended = line.ended.max(task.ended);
                    if line.result.is_success() && !task.result.is_success() {
                        line.result = task.result;
                    }
                }
                None => {
                    summary_at.insert(task.path.clone(), out.len());
                    out.push(TaskRecord {
                        iteration: Vec::new(),
                        outputs: Vec::new(),
                        logs: Vec::new(),
                        folded: 1,
                        ..task
                    });
                }
            }
        }
        for &i in summary_at.values() {
            let line = &mut out[i];
            line.message = format!(
                "{} more execution(s) of this task, summed in this line (the record keeps {KEPT_EXECUTIONS} successful and {KEPT_FAILED_EXECUTIONS} other executions of a task one by one)",
                line.folded
            );
        }
        self.tasks = out;
    }

    /// Whether the run ended failed: what failure notices and the cloud's failed-run metric
    /// count (docs/notify.md). A run stopped by a signal, or not ended, is not a failure.
    pub fn failed(&self) -> bool {
        self.ended.is_some()
            && !self.result.is_success()
            && !matches!(self.result, ResultCode::Interrupted | ResultCode::Unknown)
    }

    /// Sum of the counts of every task execution.
    pub fn total_counts(&self) -> Counts {
        let mut c = Counts::default();
        for t in &self.tasks {
            c.add(t.counts);
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn execution(i: usize, path: &str, result: ResultCode) -> TaskRecord {
        let at = Utc::now();
        TaskRecord {
            path: path.into(),
            id: format!("task-{path}"),
            name: "Import order".into(),
            kind: "sage50-import-sales-orders".into(),
            iteration: vec![i + 1],
            started: at,
            ended: at,
            result,
            message: format!("order {i} imported into Sage as SO-{i:06}"),
            counts: Counts {
                records_in: 1,
                records_out: u64::from(result.is_success()),
                records_failed: u64::from(!result.is_success()),
            },
            outputs: vec![("order".into(), format!("SO-{i:06}"))],
            logs: vec![LogLine {
                at,
                level: "info".into(),
                message: format!("posted order {i}"),
            }],
            folded: 0,
        }
    }

    #[test]
    fn a_200000_record_repeater_run_keeps_a_small_record_with_exact_totals() {
        let mut run = RunRecord {
            id: "r".into(),
            workflow: "Orders".into(),
            started: Utc::now(),
            ended: Some(Utc::now()),
            result: ResultCode::Success,
            message: String::new(),
            resumed_from: None,
            resume_at: None,
            resume: None,
            lineage: None,
            archive_path: None,
            started_by: None,
            notices: Vec::new(),
            tasks: Vec::new(),
        };
        for i in 0..200_000 {
            // Every 1,000th order fails.
            let result = if i % 1000 == 999 {
                ResultCode::Fail
            } else {
                ResultCode::Success
            };
            run.tasks.push(execution(i, "1.0", result));
        }
        // A task that ran a few times keeps every execution.
        for i in 0..3 {
            run.tasks.push(execution(i, "2", ResultCode::Success));
        }
        let totals = run.total_counts();
        run.summarise();
        let size = serde_json::to_vec(&run).unwrap().len();
        assert_eq!(run.total_counts(), totals);
        assert_eq!(totals.records_in, 200_003);
        assert_eq!(totals.records_failed, 200);
        // 200 successful and the 200 failed executions, one folded line, and task 2's three.
        assert_eq!(run.tasks.len(), 404);
        let folded: Vec<_> = run.tasks.iter().filter(|t| t.folded > 0).collect();
        assert_eq!(folded.len(), 1);
        assert_eq!(folded[0].folded, 200_000 - 400);
        assert_eq!(folded[0].path, "1.0");
        assert!(folded[0].logs.is_empty() && folded[0].outputs.is_empty());
        assert_eq!(run.tasks.iter().filter(|t| t.path == "2").count(), 3);
        assert!(size < 256 * 1024, "the record is {size} bytes");
        // Summarising again changes nothing.
        let again = run.tasks.len();
        run.summarise();
        assert_eq!(run.tasks.len(), again);
    }
}
