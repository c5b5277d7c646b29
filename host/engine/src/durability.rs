//! Deferred durability of fetched files (docs/resume.md, "Downloaded files and the disk").
//!
//! A capability that fetches a file from a remote server writes it whole (temporary name,
//! rename) but need not wait for the disk there: it hands the written file to [`defer`], which
//! starts flushing it in the background. Before anything that could stop the file being
//! fetched again — the capability's own operations that remove or rename data on the server,
//! and the engine's checkpoint, task state and final record — [`barrier`] waits until every
//! file handed over so far is on the disk. So the flushes of a run's downloads overlap the
//! work between them, and a run pays one wait per barrier, not one flush per file in series.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

/// Files handed over and not yet waited for, process-wide: a barrier waits for every run's
/// (waiting for another run's flush costs time only, never correctness).
static PENDING: Flushes = Flushes::new();

/// A set of flushes under way.
struct Flushes(Mutex<Vec<Arc<Flush>>>);

/// One file's flush: `None` while it runs, then its outcome.
struct Flush {
    what: PathBuf,
    done: Mutex<Option<Result<(), String>>>,
    finished: Condvar,
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
/// folder holding it) are flushed to the disk in the background, on a thread of its own.
/// The open `file` is flushed, not the name, so a later task that moves or replaces the file
/// does not make the flush miss the bytes that were fetched.
pub fn defer(file: File, path: &Path) {
    PENDING.defer(file, path)
}

/// Waits until every file handed to [`defer`] so far is on the disk; answers how many there
/// were. `Err` names each file that could not be flushed and why: whatever the barrier guards
/// must then not happen. A failed flush is reported once; the file stays as written.
pub fn barrier() -> Result<usize, String> {
    let flushed = PENDING.barrier()?;
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
        Flushes(Mutex::new(Vec::new()))
    }

    fn defer(&self, file: File, path: &Path) {
        let flush = Arc::new(Flush {
            what: path.to_path_buf(),
            done: Mutex::new(None),
            finished: Condvar::new(),
        });
        self.0.lock().expect("pending lock").push(flush.clone());
        let folder = path.parent().map(Path::to_path_buf);
        let work = flush.clone();
        let spawned = std::thread::Builder::new()
            .name("wharf-flush".into())
            .spawn(move || finish(&work, flush_now(&file, folder.as_deref())));
        if let Err(e) = spawned {
            // No thread to spare: the flush is done here and now.
            let outcome = flush_now_or(e, &flush.what);
            finish(&flush, outcome);
        }
    }

    fn barrier(&self) -> Result<usize, String> {
        let pending = std::mem::take(&mut *self.0.lock().expect("pending lock"));
        let failures: Vec<String> = pending.iter().filter_map(|f| f.wait().err()).collect();
        if failures.is_empty() {
            Ok(pending.len())
        } else {
            Err(format!(
                "downloaded file(s) could not be made durable on the disk: {}",
                failures.join("; ")
            ))
        }
    }
}

/// The flush without a thread (the file, given to the thread that could not start, is
/// opened again by its name).
fn flush_now_or(spawn_error: std::io::Error, path: &Path) -> std::io::Result<()> {
    tracing::debug!("no thread for a background flush ({spawn_error}); flushing in line");
    flush_now(&File::open(path)?, path.parent())
}

fn flush_now(file: &File, folder: Option<&Path>) -> std::io::Result<()> {
    file.sync_all()?;
    if let Some(folder) = folder {
        // The rename that put the file in place.
        File::open(folder)?.sync_all()?;
    }
    Ok(())
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
        assert_eq!(flushes.barrier().unwrap(), 20);
        assert_eq!(
            flushes.barrier().unwrap(),
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
        flushes.0.lock().unwrap().push(flush.clone());
        finish(&flush, Err::<(), _>("Input/output error"));
        let e = flushes.barrier().unwrap_err();
        assert!(
            e.contains("/in/order.xml: Input/output error"),
            "the failure names the file and the cause: {e}"
        );
    }
}
