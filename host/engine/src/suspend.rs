//! The remote hand-over: a run that reaches a task which must run elsewhere (the cloud run's Sage
//! tasks run on the customer's premises, by the Sage runner) hands its call over through
//! [`RemoteTasks`] and suspends there (see [`crate::checkpoint`] for what it records). A later
//! call of [`Engine::resume`](crate::Engine::resume) with a [`Wake`] — the remote task's
//! [`RemoteResult`], or simply "carry on" after a time-budget pause — picks the run up there.

use crate::record::{Counts, LogLine, ResultCode};
use crate::runtime::TaskInfo;
use crate::storage::{StorageError, TruthRecord, TruthStore};
use crate::workflow::Node;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

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
    /// The truth kinds the component declares: the records a remote run of it needs.
    pub truth_kinds: Vec<String>,
}

/// Decides which tasks run elsewhere and hands their calls over.
pub trait RemoteTasks: Send + Sync {
    /// Whether this task runs elsewhere (the cloud run: tasks that use the `sage` capability),
    /// by what its component says about itself (such a component need not be loaded here).
    fn is_remote(&self, node: &Node, info: &TaskInfo) -> bool;
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
/// Upserts between removes go together ([`TruthStore::upsert_all`]: one transaction, or one
/// batch of requests to a bucket, for a job's thousand order rows).
pub fn apply_truth(updates: &[TruthUpdate], truth: &dyn TruthStore) -> Result<(), StorageError> {
    let flush = |upserts: &mut Vec<TruthRecord>| match upserts.is_empty() {
        true => Ok(()),
        false => truth.upsert_all(&std::mem::take(upserts)),
    };
    let mut upserts = Vec::new();
    for update in updates {
        match update {
            TruthUpdate::Upsert(record) => upserts.push(record.clone()),
            TruthUpdate::Remove { kind, external_id } => {
                flush(&mut upserts)?;
                truth.remove(kind, external_id)?;
            }
        }
    }
    flush(&mut upserts)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Records the calls it gets.
    #[derive(Default)]
    struct Calls(Mutex<Vec<String>>);

    impl TruthStore for Calls {
        fn find_by_external(&self, _: &str, _: &str) -> Result<Option<TruthRecord>, StorageError> {
            Ok(None)
        }
        fn find_by_internal(&self, _: &str, _: &str) -> Result<Option<TruthRecord>, StorageError> {
            Ok(None)
        }
        fn upsert(&self, r: &TruthRecord) -> Result<(), StorageError> {
            self.upsert_all(std::slice::from_ref(r))
        }
        fn upsert_all(&self, records: &[TruthRecord]) -> Result<(), StorageError> {
            let ids: Vec<_> = records.iter().map(|r| r.external_id.as_str()).collect();
            self.0
                .lock()
                .unwrap()
                .push(format!("upsert {}", ids.join(" ")));
            Ok(())
        }
        fn remove(&self, _: &str, external_id: &str) -> Result<(), StorageError> {
            self.0.lock().unwrap().push(format!("remove {external_id}"));
            Ok(())
        }
        fn all(&self) -> Result<Vec<TruthRecord>, StorageError> {
            Ok(Vec::new())
        }
    }

    #[test]
    fn upserts_between_removes_are_applied_together_in_order() {
        let upsert = |id: &str| {
            TruthUpdate::Upsert(TruthRecord {
                kind: "Order".into(),
                internal_id: "1".into(),
                external_id: id.into(),
                hash: None,
            })
        };
        let remove = |id: &str| TruthUpdate::Remove {
            kind: "Order".into(),
            external_id: id.into(),
        };
        let calls = Calls::default();
        let updates = [
            remove("X"),
            upsert("A"),
            upsert("B"),
            remove("A"),
            upsert("A"),
        ];
        apply_truth(&updates, &calls).unwrap();
        assert_eq!(
            *calls.0.lock().unwrap(),
            ["remove X", "upsert A B", "remove A", "upsert A"]
        );
    }
}
