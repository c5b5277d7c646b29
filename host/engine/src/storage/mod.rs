//! The storage seam: everything a workflow keeps between runs — its working directory, archive,
//! run records, per-task state, truth records, mappings and the run lock — lives behind
//! [`Storage`]. The engine asks the store to stage the working directory as a local folder for the
//! components and to commit it back afterwards, so no other code assumes a local path.

mod local;
mod truth;

pub(crate) use local::replace_file;
pub use local::{LocalStore, UnreadableRun};
pub use local::{host_name, lock_info, process_alive, start_writeback, write_file_atomic};
pub use truth::SqliteTruth;

use crate::checkpoint::Checkpoint;
use crate::record::RunRecord;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what}: {message}")]
    Corrupt { what: String, message: String },
    #[error("truth store: {0}")]
    Truth(#[from] rusqlite::Error),
    #[error(
        "workflow `{workflow}` is already running (run {holder} since {since}); `use-mutex` is on, so this run was refused"
    )]
    Locked {
        workflow: String,
        holder: String,
        since: DateTime<Utc>,
    },
    #[error(
        "the data folder {folder} belongs to the workflow file {owner}, and {claimant} has the same identity `{id}`: give one of them its own `id:` (or, if the workflow file was moved or renamed, delete {folder}/{OWNER_FILE} so that it takes the data over)"
    )]
    IdentityClash {
        folder: PathBuf,
        id: String,
        owner: String,
        claimant: String,
    },
    #[error(
        "archive name `{0}` is not allowed (use letters, digits, `-`, `_`, `.` and `/` folders)"
    )]
    BadArchiveName(String),
    #[error("{0}")]
    Other(String),
}

impl StorageError {
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        StorageError::Io {
            what: what.into(),
            source,
        }
    }
}

/// Per-task persistent state: task id → key → value (the "since last run" cursors).
pub type TaskStates = BTreeMap<String, BTreeMap<String, String>>;

/// Named value mappings (docs/zynk-reference.md §1.9): name → ordered (from, to) pairs.
pub type Mappings = BTreeMap<String, Vec<(String, String)>>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveEntry {
    pub name: String,
    pub size: u64,
    pub created: DateTime<Utc>,
}

/// A truth record (docs/zynk-reference.md §1.8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthRecord {
    pub kind: String,
    pub internal_id: String,
    pub external_id: String,
    pub hash: Option<String>,
}

/// Truth records of one workflow. Implementations must be safe to share between threads.
pub trait TruthStore: Send + Sync {
    fn find_by_external(
        &self,
        kind: &str,
        external_id: &str,
    ) -> Result<Option<TruthRecord>, StorageError>;
    fn find_by_internal(
        &self,
        kind: &str,
        internal_id: &str,
    ) -> Result<Option<TruthRecord>, StorageError>;
    fn upsert(&self, record: &TruthRecord) -> Result<(), StorageError>;
    /// Upserts `records` in order, as [`TruthStore::upsert`] one by one would; a store that can
    /// write them together (one SQLite transaction) does. On an error some may be written.
    fn upsert_all(&self, records: &[TruthRecord]) -> Result<(), StorageError> {
        records.iter().try_for_each(|record| self.upsert(record))
    }
    fn remove(&self, kind: &str, external_id: &str) -> Result<(), StorageError>;
    /// Every record (a remote task gets the workflow's truth with its call).
    fn all(&self) -> Result<Vec<TruthRecord>, StorageError>;
}

/// The run lock for `use-mutex`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LockInfo {
    pub run_id: String,
    pub pid: u32,
    pub host: String,
    pub acquired: DateTime<Utc>,
    /// After this the lock is considered abandoned (the holder crashed without releasing it).
    pub expires: DateTime<Utc>,
}

/// A working directory staged on local disk for the duration of a run.
#[derive(Debug)]
pub struct StagedWorkdir {
    pub path: PathBuf,
    /// A temporary copy that must be removed after commit (remote backends); the local backend
    /// works in place.
    pub temporary: bool,
}

/// Where a workflow's data lives. The local-folder backend is [`LocalStore`]; a cloud backend
/// (S3) implements the same trait.
pub trait Storage: Send + Sync {
    /// Human-readable location, for messages.
    fn location(&self) -> String;

    /// Makes the working directory available as a local folder for this run.
    fn stage_workdir(&self) -> Result<StagedWorkdir, StorageError>;
    /// Makes what the run left in the staged folder the new working directory.
    fn commit_workdir(&self, staged: &StagedWorkdir) -> Result<(), StorageError>;
    /// Makes the file `rel` of the staged folder `staged` durable in the working directory now,
    /// ahead of the commit (the archive journal, which must outlive a run killed before its
    /// commit). The commit later treats it as staged: unchanged it stays, removed it goes.
    /// A local store works in place, where the file already is.
    fn keep_work_file(&self, _staged: &Path, _rel: &str) -> Result<(), StorageError> {
        Ok(())
    }

    /// Makes the staged folder `staged` durable as the working directory now, and keeps it
    /// staged for the rest of the run: called before each task state is saved, so a process
    /// killed after a cursor advanced never loses the files the task fetched (docs/cloud.md).
    /// A local store works in place, where the files already are.
    fn sync_workdir(&self, _staged: &Path) -> Result<(), StorageError> {
        Ok(())
    }

    /// Moves a finished local file into the archive under `name`; returns once it is durable.
    fn archive_store(&self, local_file: &Path, name: &str) -> Result<(), StorageError>;
    fn archive_list(&self) -> Result<Vec<ArchiveEntry>, StorageError>;
    fn archive_remove(&self, name: &str) -> Result<(), StorageError>;

    /// Stores a run record durably: once this answers, a power cut does not lose it.
    fn put_run(&self, record: &RunRecord) -> Result<(), StorageError>;
    /// Stores the first record of a run that has just started (`running`, no tasks yet). It
    /// must survive the process dying, not the machine: the run's checkpoint carries what it
    /// says ([`Checkpoint::run`]), and a run after a crash makes the record again from that if
    /// it was lost. A store whose durable write costs a disk flush writes it without one.
    fn put_run_started(&self, record: &RunRecord) -> Result<(), StorageError> {
        self.put_run(record)
    }
    /// Every stored run, oldest first.
    fn list_runs(&self) -> Result<Vec<RunRecord>, StorageError>;
    /// The newest run that has ended (what a new run may resume). Backends that can read just
    /// the newest records should: every run start asks.
    fn last_ended_run(&self) -> Result<Option<RunRecord>, StorageError> {
        Ok(self.list_runs()?.into_iter().rfind(|r| r.ended.is_some()))
    }
    /// Id and start of every stored run, oldest first (history housekeeping).
    fn run_index(&self) -> Result<Vec<(String, DateTime<Utc>)>, StorageError> {
        Ok(self
            .list_runs()?
            .into_iter()
            .map(|r| (r.id, r.started))
            .collect())
    }
    /// Id and start of the stored runs that started before `cutoff`, oldest first (history
    /// housekeeping by age). Backends that list in start order should stop at the cutoff, so a
    /// run's housekeeping costs the same however long the history.
    fn run_index_before(
        &self,
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<(String, DateTime<Utc>)>, StorageError> {
        Ok(self
            .run_index()?
            .into_iter()
            .filter(|(_, started)| *started < cutoff)
            .collect())
    }
    /// One stored run by id (a resumed run continues its own record). Backends that can find
    /// one record without reading all should.
    fn get_run(&self, run_id: &str) -> Result<Option<RunRecord>, StorageError> {
        Ok(self.list_runs()?.into_iter().find(|r| r.id == run_id))
    }
    fn remove_run(&self, run_id: &str) -> Result<(), StorageError>;

    fn load_state(&self) -> Result<TaskStates, StorageError>;
    fn save_state(&self, states: &TaskStates) -> Result<(), StorageError>;

    fn truth(&self) -> Result<std::sync::Arc<dyn TruthStore>, StorageError>;
    fn mappings(&self) -> Result<Mappings, StorageError>;

    /// Records which part of the tree a run is in, so a run after a crash can resume there.
    /// Written often: durability against a process crash is enough (no fsync needed).
    fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StorageError>;
    fn load_checkpoint(&self) -> Result<Option<Checkpoint>, StorageError>;
    fn clear_checkpoint(&self) -> Result<(), StorageError>;

    /// Takes the run lock or fails with [`StorageError::Locked`]. A stale lock (expired, its
    /// process gone, or unreadable) is taken over: the answer then says why it was stale, for
    /// the run's record.
    fn acquire_lock(&self, info: &LockInfo) -> Result<Option<String>, StorageError>;
    fn release_lock(&self, run_id: &str) -> Result<(), StorageError>;
}

/// How a run record's name starts in every backend: its start time, so names sort in time order.
const RUN_TIME_FORMAT: &str = "%Y%m%dT%H%M%S%.6fZ";

/// A run record's file or object name in every backend: `<started>_<id>.json`. The name carries
/// the history index (id and start), so housekeeping and "the newest run" need no record read.
pub fn run_record_name(started: &DateTime<Utc>, id: &str) -> String {
    format!("{}_{id}.json", run_record_time(started))
}

/// The start-time part of run record names: names of runs started before `time` sort before it.
pub fn run_record_time(time: &DateTime<Utc>) -> String {
    time.format(RUN_TIME_FORMAT).to_string()
}

/// The id and start a run record's name (its last path segment) holds, if it has that form.
pub fn parse_run_record_name(name: &str) -> Option<(String, DateTime<Utc>)> {
    let stem = name.rsplit('/').next()?.strip_suffix(".json")?;
    let (started, id) = stem.split_once('_')?;
    let started = chrono::NaiveDateTime::parse_from_str(started, RUN_TIME_FORMAT).ok()?;
    (!id.is_empty()).then(|| (id.to_owned(), started.and_utc()))
}

/// The file in a workflow's data folder that names the workflow file owning it.
pub const OWNER_FILE: &str = "workflow.json";

/// Archive names are relative, slash-separated, without `..` — the same rule for every backend.
pub fn check_archive_name(name: &str) -> Result<(), StorageError> {
    let ok = !name.is_empty()
        && !name.starts_with('/')
        && name.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_. ".contains(c))
        });
    if ok {
        Ok(())
    } else {
        Err(StorageError::BadArchiveName(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_names() {
        assert!(check_archive_name("20240101120000000_archive.zip").is_ok());
        assert!(check_archive_name("Archive/20240101_archive.zip").is_ok());
        for bad in ["", "/x.zip", "../x.zip", "a/../b.zip", "a//b", "x\\y.zip"] {
            assert!(check_archive_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn run_record_names_carry_id_and_start_and_sort_by_start() {
        let early = DateTime::from_timestamp(1_700_000_000, 123_456_000).unwrap();
        let late = DateTime::from_timestamp(1_700_000_100, 0).unwrap();
        let a = run_record_name(&early, "run-b");
        let b = run_record_name(&late, "run-a");
        assert!(a < b, "{a} sorts before {b}");
        assert_eq!(parse_run_record_name(&a), Some(("run-b".into(), early)));
        assert_eq!(
            parse_run_record_name(&format!("acme/wf/runs/{b}")),
            Some(("run-a".into(), late))
        );
        for bad in [
            "",
            "x.json",
            "20231114T221320.123456Z_.json",
            "notatime_id.json",
            "a_b.txt",
        ] {
            assert_eq!(parse_run_record_name(bad), None, "{bad}");
        }
    }
}
