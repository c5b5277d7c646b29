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
//! ```

use super::{
    ArchiveEntry, Checkpoint, LockInfo, Mappings, SqliteTruth, StagedWorkdir, Storage,
    StorageError, TaskStates, TruthStore, check_archive_name,
};
use crate::record::RunRecord;
use chrono::{DateTime, Utc};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

pub struct LocalStore {
    root: PathBuf,
    workflow_dir: PathBuf,
    workdir: PathBuf,
    workflow: String,
    truth: OnceLock<Arc<SqliteTruth>>,
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
            workflow_dir,
            workdir,
            workflow: workflow.to_string(),
            truth: OnceLock::new(),
        })
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
}

/// Writes a file so that readers see either the old or the new content, never a torn one.
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<(), StorageError> {
    let what = || format!("writing {}", path.display());
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut f = fs::File::create(&tmp).map_err(|e| StorageError::io(what(), e))?;
    f.write_all(bytes)
        .map_err(|e| StorageError::io(what(), e))?;
    f.sync_all().map_err(|e| StorageError::io(what(), e))?;
    fs::rename(&tmp, path).map_err(|e| StorageError::io(what(), e))?;
    sync_parent(path);
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
        let name = format!(
            "{}_{}.json",
            record.started.format(RUN_TIME_FORMAT),
            record.id
        );
        let bytes = serde_json::to_vec_pretty(record)
            .map_err(|e| StorageError::Other(format!("serialising run record: {e}")))?;
        write_file_atomic(&self.workflow_dir.join("runs").join(name), &bytes)
    }

    fn list_runs(&self) -> Result<Vec<RunRecord>, StorageError> {
        self.run_files()?.iter().map(|p| read_run(p)).collect()
    }

    fn last_ended_run(&self) -> Result<Option<RunRecord>, StorageError> {
        for path in self.run_files()?.iter().rev() {
            let run = read_run(path)?;
            if run.ended.is_some() {
                return Ok(Some(run));
            }
        }
        Ok(None)
    }

    fn run_index(&self) -> Result<Vec<(String, DateTime<Utc>)>, StorageError> {
        // `<started>_<id>.json`: the index is in the names; a name not in that form is read.
        self.run_files()?
            .iter()
            .map(|path| {
                let parsed = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .and_then(|stem| stem.split_once('_'))
                    .and_then(|(started, id)| {
                        let started =
                            chrono::NaiveDateTime::parse_from_str(started, RUN_TIME_FORMAT).ok()?;
                        Some((id.to_owned(), started.and_utc()))
                    });
                match parsed {
                    Some(entry) => Ok(entry),
                    None => read_run(path).map(|r| (r.id, r.started)),
                }
            })
            .collect()
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
        if let Some(t) = self.truth.get() {
            return Ok(t.clone());
        }
        let opened = Arc::new(SqliteTruth::open(&self.workflow_dir.join("truth.sqlite"))?);
        Ok(self.truth.get_or_init(|| opened).clone())
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

    fn acquire_lock(&self, info: &LockInfo) -> Result<(), StorageError> {
        let path = self.lock_path();
        let bytes =
            serde_json::to_vec_pretty(info).map_err(|e| StorageError::Other(e.to_string()))?;
        for _ in 0..2 {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    f.write_all(&bytes)
                        .and_then(|_| f.sync_all())
                        .map_err(|e| StorageError::io("writing the run lock", e))?;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder: Option<LockInfo> = fs::read(&path)
                        .ok()
                        .and_then(|b| serde_json::from_slice(&b).ok());
                    let abandoned = match &holder {
                        // A lock being written right now is unreadable for an instant: not abandoned.
                        None => false,
                        Some(h) => {
                            h.expires < Utc::now()
                                || (h.host == host_name() && !process_alive(h.pid))
                        }
                    };
                    if abandoned {
                        let _ = fs::remove_file(&path);
                        continue;
                    }
                    let (holder, since) = holder
                        .map(|h| (h.run_id, h.acquired))
                        .unwrap_or_else(|| ("?".into(), Utc::now()));
                    return Err(StorageError::Locked {
                        workflow: self.workflow.clone(),
                        holder,
                        since,
                    });
                }
                Err(e) => return Err(StorageError::io("taking the run lock", e)),
            }
        }
        Err(StorageError::Other("could not take the run lock".into()))
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

/// How a run record's file name starts: its start time, so names sort in time order.
const RUN_TIME_FORMAT: &str = "%Y%m%dT%H%M%S%.6fZ";

impl LocalStore {
    /// The run record files, oldest first.
    fn run_files(&self) -> Result<Vec<PathBuf>, StorageError> {
        let dir = self.workflow_dir.join("runs");
        let mut names: Vec<PathBuf> = fs::read_dir(&dir)
            .map_err(|e| StorageError::io(format!("listing {}", dir.display()), e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        names.sort();
        Ok(names)
    }
}

fn read_run(path: &Path) -> Result<RunRecord, StorageError> {
    let bytes =
        fs::read(path).map_err(|e| StorageError::io(format!("reading {}", path.display()), e))?;
    serde_json::from_slice(&bytes).map_err(|e| StorageError::Corrupt {
        what: path.display().to_string(),
        message: e.to_string(),
    })
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
            lineage: None,
            archive_path: None,
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
        store.acquire_lock(&dead).unwrap();
        store
            .acquire_lock(&lock_info("next", chrono::Duration::hours(1)))
            .unwrap();
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
