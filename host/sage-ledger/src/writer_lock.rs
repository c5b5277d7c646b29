//! One writer per ledger file at a time, across processes (docs/sage50-rules.md).
//!
//! SQLite serialises single transactions, but an import is thousands of them: two workflows
//! importing into one ledger at once would interleave their orders and, under load, one could
//! still meet a locked database. An import holds this lock for its whole run instead; another
//! waits for it, for a bounded time. The lock is an advisory lock on `<ledger>.lock`, so the
//! operating system releases it when the holder ends, however it ends.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long an import waits for another to finish by default.
pub const DEFAULT_WRITER_WAIT: Duration = Duration::from_secs(300);

/// Why the writer lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum WriterLockError {
    #[error(
        "the Sage ledger {ledger} is busy: another import held it for the whole {waited:?} this import may wait (the smaller of --sage-lock-wait / WHARF_SAGE_LOCK_WAIT and the task's time limit)"
    )]
    Busy { ledger: PathBuf, waited: Duration },
    #[error("cannot use the lock file {path} of the Sage ledger: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The held lock; dropping it lets the next writer in.
#[derive(Debug)]
pub struct WriterLock {
    // Held for its lock; closing the file releases it.
    _file: File,
}

impl WriterLock {
    /// The lock file of the ledger at `ledger`.
    pub fn path_for(ledger: &Path) -> PathBuf {
        let mut name = ledger.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the writer lock of the ledger at `ledger`, waiting up to `wait` for another holder.
    pub fn acquire(ledger: &Path, wait: Duration) -> Result<WriterLock, WriterLockError> {
        let path = WriterLock::path_for(ledger);
        let io = |source| WriterLockError::Io {
            path: path.clone(),
            source,
        };
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        let started = Instant::now();
        let mut pause = Duration::from_millis(10);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(WriterLock { _file: file }),
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(error)) => return Err(io(error)),
            }
            let waited = started.elapsed();
            if waited >= wait {
                return Err(WriterLockError::Busy {
                    ledger: ledger.to_path_buf(),
                    waited: wait,
                });
            }
            std::thread::sleep(pause.min(wait - waited));
            pause = (pause * 2).min(Duration::from_millis(200));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_waits_then_gives_up_naming_the_ledger() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("company.sqlite");
        let held = WriterLock::acquire(&ledger, Duration::ZERO).unwrap();
        let started = Instant::now();
        let error = WriterLock::acquire(&ledger, Duration::from_millis(300)).unwrap_err();
        assert!(started.elapsed() >= Duration::from_millis(300));
        let message = error.to_string();
        assert!(
            message.contains("company.sqlite") && message.contains("busy"),
            "{message}"
        );
        drop(held);
        WriterLock::acquire(&ledger, Duration::ZERO).expect("free once the holder is gone");
    }
}
