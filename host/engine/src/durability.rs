//! Deferred durability of fetched files (docs/resume.md, "Downloaded files and the disk").
//!
//! A capability that fetches a file from a remote server writes it whole (temporary name,
//! rename) but need not wait for the disk there: it hands the written file to [`defer`], which
//! starts flushing it in the background. Before anything that could stop the file being
//! fetched again — the capability's own operations that remove or rename data on the server,
//! and the engine's checkpoint, task state and final record — [`barrier`] waits until every
//! file handed over so far is on the disk. So the flushes of a run's downloads overlap the
//! work between them, and a run pays one wait per barrier, not one flush per file in series.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

/// Files handed over and not yet waited for, process-wide: a barrier waits for every run's
/// (waiting for another run's flush costs time only, never correctness).
static PENDING: Flushes = Flushes::new();

/// A set of flushes under way, done in order by one long-lived thread: a thread per file
/// cost more than the flush it saved, and files that queue up while the disk is busy share
/// one flush of their folder.
struct Flushes {
    pending: Mutex<Vec<Arc<Flush>>>,
    worker: OnceLock<Option<Sender<Job>>>,
}

/// One file's flush: `None` while it runs, then its outcome.
struct Flush {
    what: PathBuf,
    done: Mutex<Option<Result<(), String>>>,
    finished: Condvar,
}

/// What the worker flushes: the open file, then the folder its name is in.
struct Job {
    file: File,
    folder: Option<PathBuf>,
    flush: Arc<Flush>,
}

impl Flush {
    fn wait(&self) -> Result<(), String> {
        let mut done = self.done.lock().expect("flush lock");
        loop {
            if let Some(outcome) = done.as_ref() {
                return outcome.clone();
            }
            done = self.finished.wait(done).expect("flush lock");
        }
    }
}

/// Hands over `file`, written and already renamed to `path`: its data and its name (the
/// folder holding it) are flushed to the disk in the background.
/// The open `file` is flushed, not the name, so a later task that moves or replaces the file
/// does not make the flush miss the bytes that were fetched.
pub fn defer(file: File, path: &Path) {
    PENDING.defer(file, path)
}

/// Waits until every file handed to [`defer`] so far is on the disk; answers how many there
/// were. `Err` names each file that could not be flushed and why: whatever the barrier guards
/// must then not happen. A failed flush stays failed, so every later barrier fails too (the
/// checkpoint that met it first only stays put; a server delete after it must still be
/// refused), until a run ends with [`barrier_ending_run`].
pub fn barrier() -> Result<usize, String> {
    checked(PENDING.barrier(Failed::Stay))
}

/// [`barrier`] for the record that ends a run: a failure fails that run with no resume point,
/// so its files are fetched again by the next run, and the failed flushes are forgotten here.
pub fn barrier_ending_run() -> Result<usize, String> {
    checked(PENDING.barrier(Failed::Forget))
}

/// What a barrier does with the flushes that failed, once it has reported them.
#[derive(Clone, Copy, PartialEq)]
enum Failed {
    Stay,
    Forget,
}

fn checked(outcome: Result<usize, String>) -> Result<usize, String> {
    let flushed = outcome?;
    if flushed > 0 {
        tracing::debug!(files = flushed, "downloaded files flushed to the disk");
        // Tests: the process ends right after a barrier that flushed something, before what
        // it guards (`WHARF_ENGINE_TEST_CRASH=after-download-barrier`).
        crate::engine::crash_point_for_tests("after-download-barrier");
    }
    Ok(flushed)
}

impl Flushes {
    const fn new() -> Self {
        Flushes {
            pending: Mutex::new(Vec::new()),
            worker: OnceLock::new(),
        }
    }

    fn defer(&self, file: File, path: &Path) {
        let flush = Arc::new(Flush {
            what: path.to_path_buf(),
            done: Mutex::new(None),
            finished: Condvar::new(),
        });
        self.pending
            .lock()
            .expect("pending lock")
            .push(flush.clone());
        let job = Job {
            file,
            folder: path.parent().map(Path::to_path_buf),
            flush,
        };
        let job = match self.worker.get_or_init(start_worker) {
            Some(worker) => match worker.send(job) {
                Ok(()) => return,
                Err(unsent) => unsent.0,
            },
            None => job,
        };
        // No thread to spare: the flush is done here and now.
        flush_batch(vec![job]);
    }

    fn barrier(&self, failed: Failed) -> Result<usize, String> {
        let pending = std::mem::take(&mut *self.pending.lock().expect("pending lock"));
        let count = pending.len();
        let (failed_flushes, failures): (Vec<_>, Vec<String>) = pending
            .into_iter()
            .filter_map(|f| f.wait().err().map(|e| (f, e)))
            .unzip();
        if failures.is_empty() {
            Ok(count)
        } else {
            if failed == Failed::Stay {
                self.pending
                    .lock()
                    .expect("pending lock")
                    .extend(failed_flushes);
            }
            Err(format!(
                "downloaded file(s) could not be made durable on the disk: {}",
                failures.join("; ")
            ))
        }
    }
}

fn start_worker() -> Option<Sender<Job>> {
    let (send, receive) = channel();
    match std::thread::Builder::new()
        .name("wharf-flush".into())
        .spawn(move || work(receive))
    {
        Ok(_) => Some(send),
        Err(e) => {
            tracing::debug!("no thread for background flushes ({e}); flushing in line");
            None
        }
    }
}

/// The worker: everything queued is one batch, so a busy disk makes batches larger.
fn work(jobs: Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        batch.extend(jobs.try_iter());
        flush_batch(batch);
    }
}

/// Flushes each file's data, then each folder once (the renames that put the files in
/// place), then reports every file's outcome.
fn flush_batch(batch: Vec<Job>) {
    let outcomes: Vec<std::io::Result<()>> = batch.iter().map(|job| job.file.sync_all()).collect();
    let folders: BTreeSet<&Path> = batch
        .iter()
        .filter_map(|job| job.folder.as_deref())
        .collect();
    let folder_failures: Vec<(&Path, String)> = folders
        .into_iter()
        .filter_map(|folder| {
            File::open(folder)
                .and_then(|f| f.sync_all())
                .err()
                .map(|e| (folder, e.to_string()))
        })
        .collect();
    for (job, outcome) in batch.iter().zip(outcomes) {
        let folder_failure = folder_failures
            .iter()
            .find(|(folder, _)| Some(*folder) == job.folder.as_deref())
            .map(|(_, e)| e.as_str());
        let outcome = match (outcome, folder_failure) {
            (Err(e), _) => Err(e.to_string()),
            (Ok(()), Some(e)) => Err(format!("its folder: {e}")),
            (Ok(()), None) => Ok(()),
        };
        finish(&job.flush, outcome);
    }
}

fn finish(flush: &Flush, outcome: Result<(), impl std::fmt::Display>) {
    let outcome = outcome.map_err(|e| format!("{}: {e}", flush.what.display()));
    *flush.done.lock().expect("flush lock") = Some(outcome);
    flush.finished.notify_all();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_barrier_waits_for_every_file_handed_over() {
        let dir = tempfile::tempdir().unwrap();
        let flushes = Flushes::new();
        for n in 0..20 {
            let path = dir.path().join(format!("f{n}"));
            let mut file = File::create(&path).unwrap();
            file.write_all(b"order").unwrap();
            flushes.defer(file, &path);
        }
        assert_eq!(flushes.barrier(Failed::Stay).unwrap(), 20);
        assert_eq!(
            flushes.barrier(Failed::Stay).unwrap(),
            0,
            "a barrier leaves nothing pending"
        );
        // The process-wide set: other tests may hand over files too.
        let path = dir.path().join("g");
        defer(File::create(&path).unwrap(), &path);
        assert!(barrier().unwrap() >= 1);
    }

    #[test]
    fn a_flush_that_fails_fails_the_barrier_naming_the_file() {
        let flush = Arc::new(Flush {
            what: PathBuf::from("/in/order.xml"),
            done: Mutex::new(None),
            finished: Condvar::new(),
        });
        let flushes = Flushes::new();
        flushes.pending.lock().unwrap().push(flush.clone());
        finish(&flush, Err::<(), _>("Input/output error"));
        let e = flushes.barrier(Failed::Stay).unwrap_err();
        assert!(
            e.contains("/in/order.xml: Input/output error"),
            "the failure names the file and the cause: {e}"
        );
        // Still failed for what comes after the barrier that met it first (a server delete).
        let again = flushes.barrier(Failed::Stay).unwrap_err();
        assert!(again.contains("/in/order.xml"), "{again}");
        // The run's last barrier reports it once more and forgets it.
        assert!(flushes.barrier(Failed::Forget).is_err());
        assert_eq!(flushes.barrier(Failed::Stay).unwrap(), 0);
    }
}
