//! The embedded default backend: a folder on local disk.
//!
//! ```text
//! <data root>/mappings.yaml              value mappings shared by the workflows (optional)
//! <data root>/<workflow>/work/           the working directory (unless the workflow names one)
//! <data root>/<workflow>/archive/        archives written by archive-workflow-data
//! <data root>/<workflow>/runs/*.json     run records
//! <data root>/<workflow>/state.json      per-task state (cursors)
//! <data root>/<workflow>/truth.sqlite    truth records
//! <data root>/<workflow>/run.lock        the `use-mutex` lock while a run holds it
//! <data root>/<workflow>/workflow.json   the workflow file that owns the folder
//! ```
//!
//! `<workflow>` is the workflow's identity ([`crate::identity`]). A folder an earlier Wharf kept
//! under the workflow file's name is moved to it on first use ([`LocalStore::for_workflow`]).

use super::{
    ArchiveEntry, Checkpoint, LockInfo, Mappings, OWNER_FILE, StagedWorkdir, Storage, StorageError,
    TaskStates, TruthStore, check_archive_name, truth::LazySqliteTruth,
};
use crate::record::RunRecord;
use crate::workflow::Workflow;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct LocalStore {
    root: PathBuf,
    workflow_dir: PathBuf,
    workdir: PathBuf,
    workflow: String,
    /// Opened on first use (most runs never look a truth record up).
    truth: Arc<LazySqliteTruth>,
}

impl LocalStore {
    /// A store for `workflow` under `data_root`; `working_directory` overrides the default
    /// `<data root>/<workflow>/work`.
    pub fn new(
        data_root: &Path,
        workflow: &str,
        working_directory: Option<&Path>,
    ) -> Result<Self, StorageError> {
        let workflow_dir = data_root.join(workflow);
        let workdir = working_directory
            .map(Path::to_path_buf)
            .unwrap_or_else(|| workflow_dir.join("work"));
        for dir in [
            &workflow_dir,
            &workdir,
            &workflow_dir.join("archive"),
            &workflow_dir.join("runs"),
        ] {
            fs::create_dir_all(dir)
                .map_err(|e| StorageError::io(format!("creating {}", dir.display()), e))?;
        }
        Ok(LocalStore {
            root: data_root.to_path_buf(),
            truth: Arc::new(LazySqliteTruth::new(workflow_dir.join("truth.sqlite"))),
            workflow_dir,
            workdir,
            workflow: workflow.to_string(),
        })
    }

    /// The store of `workflow` under `data_root`, in the folder named after its identity. The
    /// folder is claimed for the workflow's file: another file with the same identity is
    /// refused ([`StorageError::IdentityClash`]). A folder an earlier Wharf kept under the file's
    /// name is moved here first, if its newest run is this workflow's (or it has no runs).
    pub fn for_workflow(data_root: &Path, workflow: &Workflow) -> Result<Self, StorageError> {
        let folder = data_root.join(&workflow.id);
        adopt_legacy_folder(data_root, workflow, &folder)?;
        fs::create_dir_all(&folder)
            .map_err(|e| StorageError::io(format!("creating {}", folder.display()), e))?;
        claim_folder(&folder, workflow)?;
        LocalStore::new(
            data_root,
            &workflow.id,
            workflow.working_directory.as_deref(),
        )
    }

    /// Every run record file, oldest first: the record, or why it cannot be read.
    pub fn history(&self) -> Result<Vec<Result<RunRecord, UnreadableRun>>, StorageError> {
        Ok(self
            .run_files()?
            .into_iter()
            .map(|file| read_run(&file))
            .collect())
    }

    /// The working directory (for tests and the CLI's messages).
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    pub fn archive_dir(&self) -> PathBuf {
        self.workflow_dir.join("archive")
    }

    fn lock_path(&self) -> PathBuf {
        self.workflow_dir.join("run.lock")
    }

    fn write_run(&self, record: &RunRecord, durable: bool) -> Result<(), StorageError> {
        let name = super::run_record_name(&record.started, &record.id);
        let bytes = serde_json::to_vec_pretty(record)
            .map_err(|e| StorageError::Other(format!("serialising run record: {e}")))?;
        replace_file(&self.workflow_dir.join("runs").join(name), &bytes, durable)
    }
}

/// A run record file that cannot be read: runs skip it (with a warning), history lists it.
#[derive(Debug, Clone)]
pub struct UnreadableRun {
    pub file: PathBuf,
    pub problem: String,
}

/// Who owns a data folder (`workflow.json`).
#[derive(Debug, Serialize, Deserialize)]
struct Owner {
    id: String,
    /// The workflow file, canonical.
    file: String,
    name: String,
}

fn claim_folder(folder: &Path, workflow: &Workflow) -> Result<(), StorageError> {
    let file = fs::canonicalize(&workflow.file)
        .or_else(|_| std::path::absolute(&workflow.file))
        .unwrap_or_else(|_| workflow.file.clone());
    let me = Owner {
        id: workflow.id.clone(),
        file: file.display().to_string(),
        name: workflow.name.clone(),
    };
    let bytes = serde_json::to_vec_pretty(&me).map_err(|e| StorageError::Other(e.to_string()))?;
    let path = folder.join(OWNER_FILE);
    loop {
        // Read first: every run but a folder's first finds the file there, and publishing
        // (written aside, synced, linked) only to be told so cost an fsync per run.
        let held = match fs::read(&path) {
            Ok(held) => held,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if publish_new(&path, &bytes)? {
                    return Ok(());
                }
                continue;
            }
            Err(e) => return Err(StorageError::io(format!("reading {}", path.display()), e)),
        };
        return match serde_json::from_slice::<Owner>(&held) {
            Ok(owner) if owner.file == me.file => {
                if owner.name != me.name || owner.id != me.id {
                    write_file_atomic(&path, &bytes)?;
                }
                Ok(())
            }
            Ok(owner) => Err(StorageError::IdentityClash {
                folder: folder.to_path_buf(),
                id: me.id,
                owner: owner.file,
                claimant: me.file,
            }),
            // Not written by Wharf (owner files are published whole): this file takes it.
            Err(e) => {
                tracing::warn!("replacing the unreadable {} ({e})", path.display());
                write_file_atomic(&path, &bytes)
            }
        };
    }
}

/// Moves `<root>/<workflow file's stem>` — where an earlier Wharf kept the workflow's data —
/// to `folder`, unless `folder` exists, the old folder is claimed by a workflow, or its newest
/// run was another workflow's (two files of one name shared it; the other keeps it).
fn adopt_legacy_folder(
    root: &Path,
    workflow: &Workflow,
    folder: &Path,
) -> Result<(), StorageError> {
    let Some(stem) = workflow.file.file_stem().and_then(|s| s.to_str()) else {
        return Ok(());
    };
    let legacy = root.join(stem);
    if stem == workflow.id
        || folder.exists()
        || !legacy.is_dir()
        || legacy.join(OWNER_FILE).exists()
        || stem.starts_with('.')
    {
        return Ok(());
    }
    let newest = run_files_in(&legacy.join("runs"))
        .unwrap_or_default()
        .iter()
        .rev()
        .find_map(|f| read_run(f).ok());
    if newest.is_some_and(|run| run.workflow != workflow.name) {
        return Ok(());
    }
    match fs::rename(&legacy, folder) {
        Ok(()) => {
            tracing::warn!(
                "moved the data folder {} to {} (data folders are now named after the workflow's identity)",
                legacy.display(),
                folder.display()
            );
            Ok(())
        }
        // Another run moved it first.
        Err(_) if folder.exists() => Ok(()),
        Err(e) => Err(StorageError::io(
            format!("moving {} to {}", legacy.display(), folder.display()),
            e,
        )),
    }
}

/// Creates `path` holding `bytes` if it does not exist yet, in one step: nobody ever sees it
/// empty or half-written (written aside, then hard-linked into place, which fails if the name
/// is taken). Returns whether this call created it.
pub fn publish_new(path: &Path, bytes: &[u8]) -> Result<bool, StorageError> {
    let what = || format!("writing {}", path.display());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let aside = path.with_file_name(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    let written =
        fs::File::create(&aside).and_then(|mut f| f.write_all(bytes).and_then(|_| f.sync_all()));
    let linked = written.and_then(|_| fs::hard_link(&aside, path));
    let _ = fs::remove_file(&aside);
    match linked {
        Ok(()) => {
            sync_parent(path);
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(StorageError::io(what(), e)),
    }
}

/// Writes a file so that readers see either the old or the new content, never a torn one, and
/// makes it durable (file and directory synced).
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<(), StorageError> {
    replace_file(path, bytes, true)
}

/// As [`write_file_atomic`]; `durable: false` leaves the flush to the system (the file survives
/// the process dying, not the machine stopping) and saves two disk flushes.
pub(crate) fn replace_file(path: &Path, bytes: &[u8], durable: bool) -> Result<(), StorageError> {
    let what = || format!("writing {}", path.display());
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut f = fs::File::create(&tmp).map_err(|e| StorageError::io(what(), e))?;
    f.write_all(bytes)
        .map_err(|e| StorageError::io(what(), e))?;
    if durable {
        f.sync_all().map_err(|e| StorageError::io(what(), e))?;
    }
    fs::rename(&tmp, path).map_err(|e| StorageError::io(what(), e))?;
    if durable {
        sync_parent(path);
    }
    Ok(())
}

/// Makes a rename durable. Best effort: not every filesystem supports syncing a directory.
fn sync_parent(path: &Path) {
    if let Some(parent) = path.parent()
        && let Ok(dir) = fs::File::open(parent)
    {
        let _ = dir.sync_all();
    }
}

/// Starts writing `length` bytes of `file` from `offset` to the disk (to its end when `length`
/// is 0) and returns without waiting: Linux's `sync_file_range(SYNC_FILE_RANGE_WRITE)`. A file
/// written this way as it grows is mostly on the disk by the time it is synced, so the sync
/// that makes it durable waits for its last part instead of all of it. A failure changes
/// nothing (the final sync still makes the file durable, or says why not); elsewhere a no-op.
#[cfg(target_os = "linux")]
pub fn start_writeback(file: &fs::File, offset: u64, length: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(length)) = (i64::try_from(offset), i64::try_from(length)) else {
        return;
    };
    // SAFETY: `file` is an open descriptor for the whole call; the call only schedules I/O.
    unsafe {
        libc::sync_file_range(
            file.as_raw_fd(),
            offset,
            length,
            libc::SYNC_FILE_RANGE_WRITE,
        );
    }
}

#[cfg(not(target_os = "linux"))]
pub fn start_writeback(_file: &fs::File, _offset: u64, _length: u64) {}

pub fn host_name() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// Whether a process of this machine is still running (a crashed run's is not).
pub fn process_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

impl Storage for LocalStore {
    fn location(&self) -> String {
        self.workflow_dir.display().to_string()
    }

    fn stage_workdir(&self) -> Result<StagedWorkdir, StorageError> {
        // Local: components work in place; nothing to copy.
        Ok(StagedWorkdir {
            path: self.workdir.clone(),
            temporary: false,
        })
    }

    fn commit_workdir(&self, _staged: &StagedWorkdir) -> Result<(), StorageError> {
        Ok(())
    }

    fn archive_store(&self, local_file: &Path, name: &str) -> Result<(), StorageError> {
        check_archive_name(name)?;
        let target = self.archive_dir().join(name);
        let what = || format!("storing archive {}", target.display());
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| StorageError::io(what(), e))?;
        }
        if target.exists() {
            return Err(StorageError::Other(format!(
                "archive `{name}` already exists"
            )));
        }
        if fs::rename(local_file, &target).is_err() {
            // Different filesystems: copy durably, then remove the source.
            let tmp = target.with_extension("partial");
            fs::copy(local_file, &tmp).map_err(|e| StorageError::io(what(), e))?;
            fs::File::open(&tmp)
                .and_then(|f| f.sync_all())
                .map_err(|e| StorageError::io(what(), e))?;
            fs::rename(&tmp, &target).map_err(|e| StorageError::io(what(), e))?;
            fs::remove_file(local_file).map_err(|e| StorageError::io(what(), e))?;
        }
        sync_parent(&target);
        Ok(())
    }

    fn archive_list(&self) -> Result<Vec<ArchiveEntry>, StorageError> {
        let mut out = Vec::new();
        let mut pending = vec![self.archive_dir()];
        let base = self.archive_dir();
        while let Some(dir) = pending.pop() {
            let rd = fs::read_dir(&dir)
                .map_err(|e| StorageError::io(format!("listing {}", dir.display()), e))?;
            for entry in rd {
                let entry = entry.map_err(|e| StorageError::io("listing archive", e))?;
                let meta = entry
                    .metadata()
                    .map_err(|e| StorageError::io("listing archive", e))?;
                let path = entry.path();
                if meta.is_dir() {
                    pending.push(path);
                } else if meta.is_file() && path.extension().is_some_and(|e| e != "partial") {
                    let rel = path.strip_prefix(&base).unwrap_or(&path);
                    let name = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/");
                    let created: DateTime<Utc> = meta
                        .modified()
                        .map(Into::into)
                        .unwrap_or_else(|_| Utc::now());
                    out.push(ArchiveEntry {
                        name,
                        size: meta.len(),
                        created,
                    });
                }
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn archive_remove(&self, name: &str) -> Result<(), StorageError> {
        check_archive_name(name)?;
        let path = self.archive_dir().join(name);
        fs::remove_file(&path)
            .map_err(|e| StorageError::io(format!("removing archive {}", path.display()), e))
    }

    fn put_run(&self, record: &RunRecord) -> Result<(), StorageError> {
        self.write_run(record, true)
    }

    /// Not synced: the first record's two disk flushes were a good part of a cold start
    /// (tests/bench/README.md), and the checkpoint written before the first task lets the next
    /// run make it again (see `Storage::put_run_started`).
    fn put_run_started(&self, record: &RunRecord) -> Result<(), StorageError> {
        self.write_run(record, false)
    }

    fn list_runs(&self) -> Result<Vec<RunRecord>, StorageError> {
        Ok(self
            .history()?
            .into_iter()
            .filter_map(|entry| entry.map_err(warn_unreadable).ok())
            .collect())
    }

    fn last_ended_run(&self) -> Result<Option<RunRecord>, StorageError> {
        for path in self.run_files()?.iter().rev() {
            match read_run(path) {
                Ok(run) if run.ended.is_some() => return Ok(Some(run)),
                Ok(_) => {}
                Err(unreadable) => warn_unreadable(unreadable),
            }
        }
        Ok(None)
    }

    fn run_index(&self) -> Result<Vec<(String, DateTime<Utc>)>, StorageError> {
        // `<started>_<id>.json`: the index is in the names; a name not in that form is read.
        Ok(self
            .run_files()?
            .iter()
            .filter_map(|path| {
                let parsed = path
                    .file_name()
                    .and_then(|s| s.to_str())
                    .and_then(super::parse_run_record_name);
                match parsed {
                    Some(entry) => Some(entry),
                    None => read_run(path)
                        .map(|r| (r.id, r.started))
                        .map_err(warn_unreadable)
                        .ok(),
                }
            })
            .collect())
    }

    fn remove_run(&self, run_id: &str) -> Result<(), StorageError> {
        let dir = self.workflow_dir.join("runs");
        let suffix = format!("_{run_id}.json");
        for entry in fs::read_dir(&dir).map_err(|e| StorageError::io("listing runs", e))? {
            let path = entry
                .map_err(|e| StorageError::io("listing runs", e))?
                .path();
            if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(&suffix))
            {
                fs::remove_file(&path)
                    .map_err(|e| StorageError::io(format!("removing {}", path.display()), e))?;
            }
        }
        Ok(())
    }

    fn load_state(&self) -> Result<TaskStates, StorageError> {
        let path = self.workflow_dir.join("state.json");
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| StorageError::Corrupt {
                what: path.display().to_string(),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(TaskStates::new()),
            Err(e) => Err(StorageError::io(format!("reading {}", path.display()), e)),
        }
    }

    fn save_state(&self, states: &TaskStates) -> Result<(), StorageError> {
        let bytes =
            serde_json::to_vec_pretty(states).map_err(|e| StorageError::Other(e.to_string()))?;
        write_file_atomic(&self.workflow_dir.join("state.json"), &bytes)
    }

    fn truth(&self) -> Result<Arc<dyn TruthStore>, StorageError> {
        Ok(self.truth.clone())
    }

    fn mappings(&self) -> Result<Mappings, StorageError> {
        let path = self.root.join("mappings.yaml");
        match fs::read_to_string(&path) {
            Ok(text) => serde_saphyr::from_str(&text).map_err(|e| StorageError::Corrupt {
                what: path.display().to_string(),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Mappings::new()),
            Err(e) => Err(StorageError::io(format!("reading {}", path.display()), e)),
        }
    }

    fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StorageError> {
        let path = self.workflow_dir.join("checkpoint.json");
        let tmp = path.with_extension("tmp");
        let bytes =
            serde_json::to_vec(checkpoint).map_err(|e| StorageError::Other(e.to_string()))?;
        fs::write(&tmp, bytes).map_err(|e| StorageError::io("writing the checkpoint", e))?;
        fs::rename(&tmp, &path).map_err(|e| StorageError::io("writing the checkpoint", e))
    }

    fn load_checkpoint(&self) -> Result<Option<Checkpoint>, StorageError> {
        let path = self.workflow_dir.join("checkpoint.json");
        match fs::read(&path) {
            Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StorageError::io("reading the checkpoint", e)),
        }
    }

    fn clear_checkpoint(&self) -> Result<(), StorageError> {
        match fs::remove_file(self.workflow_dir.join("checkpoint.json")) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(StorageError::io("clearing the checkpoint", e))
            }
            _ => Ok(()),
        }
    }

    fn acquire_lock(&self, info: &LockInfo) -> Result<Option<String>, StorageError> {
        let path = self.lock_path();
        let bytes =
            serde_json::to_vec_pretty(info).map_err(|e| StorageError::Other(e.to_string()))?;
        let mut took_over = None;
        for _ in 0..4 {
            if publish_new(&path, &bytes)? {
                return Ok(took_over);
            }
            let held = match fs::read(&path) {
                Ok(held) => held,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(StorageError::io("reading the run lock", e)),
            };
            // Locks are published whole, so an unreadable one is not being written: it is
            // left over from a run that died while writing it the way earlier Wharfs did.
            let stale = match serde_json::from_slice::<LockInfo>(&held) {
                Err(e) => format!("the lock file {} was unreadable ({e})", path.display()),
                Ok(h) if h.expires < Utc::now() => format!(
                    "run {} took it at {} and its lease ended at {}",
                    h.run_id,
                    h.acquired.format("%Y-%m-%d %H:%M:%S UTC"),
                    h.expires.format("%Y-%m-%d %H:%M:%S UTC")
                ),
                Ok(h) if h.host == host_name() && !process_alive(h.pid) => format!(
                    "run {} (process {} on this machine) is no longer running",
                    h.run_id, h.pid
                ),
                Ok(h) => {
                    return Err(StorageError::Locked {
                        workflow: self.workflow.clone(),
                        holder: h.run_id,
                        since: h.acquired,
                    });
                }
            };
            // Move the stale lock aside: of several runs taking it over, one moves it. The
            // mover checks it moved what it judged stale, not a lock taken over meanwhile.
            let aside =
                path.with_file_name(format!("run.lock.stale-{}", uuid::Uuid::new_v4().simple()));
            match fs::rename(&path, &aside) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(StorageError::io("taking over the stale run lock", e)),
            }
            let moved = fs::read(&aside).unwrap_or_default();
            if moved != held {
                // Another run's fresh lock: put it back.
                let _ = fs::hard_link(&aside, &path);
                let _ = fs::remove_file(&aside);
                continue;
            }
            let _ = fs::remove_file(&aside);
            tracing::warn!("took over a stale lock: {stale}");
            took_over = Some(format!("took over a stale lock: {stale}"));
        }
        Err(StorageError::Other(
            "could not take the run lock: it changed hands while trying".into(),
        ))
    }

    fn release_lock(&self, run_id: &str) -> Result<(), StorageError> {
        let path = self.lock_path();
        let holder: Option<LockInfo> = fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        if holder.is_some_and(|h| h.run_id == run_id) {
            fs::remove_file(&path).map_err(|e| StorageError::io("releasing the run lock", e))?;
        }
        Ok(())
    }
}

/// Fills in the lock fields for this process.
pub fn lock_info(run_id: &str, lease: chrono::Duration) -> LockInfo {
    let now = Utc::now();
    LockInfo {
        run_id: run_id.to_string(),
        pid: std::process::id(),
        host: host_name(),
        acquired: now,
        expires: now + lease,
    }
}

impl LocalStore {
    /// The run record files, oldest first.
    fn run_files(&self) -> Result<Vec<PathBuf>, StorageError> {
        run_files_in(&self.workflow_dir.join("runs"))
    }
}

/// The run record files in `dir`, oldest first.
fn run_files_in(dir: &Path) -> Result<Vec<PathBuf>, StorageError> {
    let mut names: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| StorageError::io(format!("listing {}", dir.display()), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    // All in one folder: their bytes sort as their names do, without splitting each path into
    // components at every comparison (a cost that grew with the history at every run).
    names.sort_unstable_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    Ok(names)
}

fn warn_unreadable(run: UnreadableRun) {
    tracing::warn!(
        "skipping the unreadable run record {}: {}",
        run.file.display(),
        run.problem
    );
}

fn read_run(path: &Path) -> Result<RunRecord, UnreadableRun> {
    let unreadable = |problem: String| UnreadableRun {
        file: path.to_path_buf(),
        problem,
    };
    let bytes = fs::read(path).map_err(|e| unreadable(e.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|e| unreadable(format!("not a run record: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str, seconds: i64, ended: bool) -> RunRecord {
        let started =
            chrono::DateTime::from_timestamp(1_700_000_000 + seconds, 123_456_000).unwrap();
        RunRecord {
            id: id.into(),
            workflow: "wf".into(),
            started,
            ended: ended.then_some(started),
            result: crate::ResultCode::Success,
            message: String::new(),
            resumed_from: None,
            resume_at: None,
            resume: None,
            lineage: None,
            archive_path: None,
            started_by: None,
            notices: vec![],
            tasks: vec![],
        }
    }

    #[test]
    fn the_run_index_and_the_last_ended_run_come_from_the_newest_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path(), "wf", None).unwrap();
        assert!(store.last_ended_run().unwrap().is_none());
        for r in [run("a", 0, true), run("b", 60, true), run("c", 120, false)] {
            store.put_run(&r).unwrap();
        }
        let all = store.list_runs().unwrap();
        let index = store.run_index().unwrap();
        assert_eq!(
            index,
            all.iter()
                .map(|r| (r.id.clone(), r.started))
                .collect::<Vec<_>>(),
            "the names carry the same index as the records"
        );
        assert_eq!(store.last_ended_run().unwrap().unwrap().id, "b");
    }

    #[test]
    fn second_lock_is_refused_and_released_lock_is_free() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path(), "wf", None).unwrap();
        let a = lock_info("run-a", chrono::Duration::hours(1));
        store.acquire_lock(&a).unwrap();
        let b = lock_info("run-b", chrono::Duration::hours(1));
        let err = store.acquire_lock(&b).unwrap_err();
        assert!(
            err.to_string().contains("already running (run run-a"),
            "{err}"
        );
        store.release_lock("run-a").unwrap();
        store.acquire_lock(&b).unwrap();
    }

    #[test]
    fn expired_or_dead_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path(), "wf", None).unwrap();
        let mut dead = lock_info("crashed", chrono::Duration::hours(1));
        dead.pid = u32::MAX; // no such process
        assert_eq!(store.acquire_lock(&dead).unwrap(), None);
        let why = store
            .acquire_lock(&lock_info("next", chrono::Duration::hours(1)))
            .unwrap()
            .unwrap();
        assert!(
            why.starts_with("took over a stale lock: run crashed (process"),
            "{why}"
        );
        store.release_lock("next").unwrap();
        let expired = lock_info("old", chrono::Duration::seconds(-1));
        store.acquire_lock(&expired).unwrap();
        let why = store
            .acquire_lock(&lock_info("new", chrono::Duration::hours(1)))
            .unwrap()
            .unwrap();
        assert!(why.contains("its lease ended at"), "{why}");
    }

    #[test]
    fn an_empty_or_unreadable_lock_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path(), "wf", None).unwrap();
        for left in [&b""[..], b"{\"run_id\": \"half"] {
            fs::write(store.lock_path(), left).unwrap();
            let why = store
                .acquire_lock(&lock_info("next", chrono::Duration::hours(1)))
                .unwrap()
                .unwrap();
            assert!(why.contains("was unreadable"), "{why}");
            store.release_lock("next").unwrap();
            assert!(!store.lock_path().exists());
        }
        // Nothing is left beside the lock.
        let names: Vec<_> = fs::read_dir(dir.path().join("wf"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("lock"))
            .collect();
        assert!(names.is_empty(), "{names:?}");
    }

    #[test]
    fn a_malformed_run_record_is_skipped_and_listed_as_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path(), "wf", None).unwrap();
        store.put_run(&run("a", 0, true)).unwrap();
        fs::write(
            dir.path()
                .join("wf/runs/20991231T000000.000000Z_broken.json"),
            b"{ not json",
        )
        .unwrap();
        fs::write(dir.path().join("wf/runs/odd-name.json"), b"").unwrap();
        assert_eq!(store.last_ended_run().unwrap().unwrap().id, "a");
        assert_eq!(store.list_runs().unwrap().len(), 1);
        assert_eq!(
            store.run_index().unwrap().len(),
            2,
            "the broken one's name parses"
        );
        let history = store.history().unwrap();
        assert_eq!(history.len(), 3);
        assert_eq!(history.iter().filter(|h| h.is_err()).count(), 2);
    }

    #[test]
    fn archive_store_list_remove() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path(), "wf", None).unwrap();
        let f = store.workdir().join("x.zip");
        fs::write(&f, b"zipdata").unwrap();
        store.archive_store(&f, "Archive/1_archive.zip").unwrap();
        assert!(!f.exists());
        let list = store.archive_list().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].name, "Archive/1_archive.zip");
        assert_eq!(list[0].size, 7);
        assert!(store.archive_store(&f, "../evil.zip").is_err());
        store.archive_remove("Archive/1_archive.zip").unwrap();
        assert!(store.archive_list().unwrap().is_empty());
    }
}
