//! The runner's own bookkeeping (`<state_dir>/runner.sqlite`): for each job it received, when
//! it started and finished, the answer it produced, and how far delivering that answer got
//! (result.json uploaded, result message sent, job message deleted).
//!
//! A job's answer is recorded before any of it leaves the machine, so a runner that crashes
//! after a job finished never runs it again: a redelivered job, or the next start-up, sends the
//! recorded answer instead. A job that started but has no answer was interrupted mid-run; it
//! runs again when the queue redelivers it (the ledger's replay marks keep it from importing
//! anything twice).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use wharf_sage::queue::{JobMessage, ResultMessage};

/// Rows of acknowledged jobs older than this are forgotten at start-up.
pub const KEEP_DAYS: i64 = 30;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    -- The job message (JSON): which run and task to answer.
    message TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    first_started_at TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    -- How long the last attempt took, from receiving the message to recording the answer.
    run_ms INTEGER,
    -- The result message (JSON), once the job finished or was refused.
    answer TEXT,
    -- result.json (a SageJobResult) until the job message is deleted; NULL for refusals.
    result TEXT,
    uploaded_at TEXT,
    sent_at TEXT,
    acknowledged_at TEXT
);
";

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("the runner's state folder {path}: {source}")]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the runner's state ({path}): {source}")]
    Db {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
}

/// What the state knows of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Never seen.
    New,
    /// Started `attempts` times (last at `started_at`) and never finished: interrupted.
    Started { attempts: u32, started_at: String },
    /// Finished or refused: its answer is recorded.
    Finished(Box<Finished>),
}

/// A job whose answer is recorded, and how far its delivery got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    pub job_id: String,
    pub finished_at: String,
    pub answer: ResultMessage,
    /// The body of result.json, kept until the job message is deleted.
    pub result: Option<String>,
    pub uploaded: bool,
    pub sent: bool,
    pub acknowledged: bool,
}

/// A job that started and never finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interrupted {
    pub job_id: String,
    pub attempts: u32,
    pub started_at: String,
}

pub struct State {
    path: PathBuf,
    conn: Mutex<Connection>,
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl State {
    /// Opens (creating) the state in `dir`.
    pub fn open(dir: &Path) -> Result<State, StateError> {
        let path = dir.join("runner.sqlite");
        let error = |source| StateError::Db {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(|source| StateError::Folder {
            path: dir.to_owned(),
            source,
        })?;
        let conn = Connection::open(&path).map_err(error)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(error)?;
        // FULL: a recorded answer must survive a power cut, or the job would run again.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(error)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(error)?;
        conn.execute_batch(SCHEMA).map_err(error)?;
        Ok(State {
            path,
            conn: Mutex::new(conn),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StateError> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&conn).map_err(|source| StateError::Db {
            path: self.path.clone(),
            source,
        })
    }

    pub fn lookup(&self, job_id: &str) -> Result<Recorded, StateError> {
        let row = self.with(|c| {
            c.query_row(
                "SELECT attempts, started_at, finished_at, answer, result, uploaded_at, sent_at, acknowledged_at
                 FROM jobs WHERE job_id = ?1",
                [job_id],
                |r| {
                    Ok((
                        r.get::<_, u32>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, Option<String>>(5)?.is_some(),
                        r.get::<_, Option<String>>(6)?.is_some(),
                        r.get::<_, Option<String>>(7)?.is_some(),
                    ))
                },
            )
            .optional()
        })?;
        Ok(match row {
            None => Recorded::New,
            Some((
                attempts,
                started_at,
                finished_at,
                answer,
                result,
                uploaded,
                sent,
                acknowledged,
            )) => {
                match (
                    finished_at,
                    answer.and_then(|a| serde_json::from_str(&a).ok()),
                ) {
                    (Some(finished_at), Some(answer)) => Recorded::Finished(Box::new(Finished {
                        job_id: job_id.to_owned(),
                        finished_at,
                        answer,
                        result,
                        uploaded,
                        sent,
                        acknowledged,
                    })),
                    _ => Recorded::Started {
                        attempts,
                        started_at,
                    },
                }
            }
        })
    }

    /// Records that an attempt at `message`'s job starts now; returns the attempt number.
    pub fn start(&self, message: &JobMessage) -> Result<u32, StateError> {
        let text = serde_json::to_string(message).unwrap_or_default();
        let now = now();
        self.with(|c| {
            c.execute(
                "INSERT INTO jobs (job_id, message, attempts, first_started_at, started_at)
                 VALUES (?1, ?2, 1, ?3, ?3)
                 ON CONFLICT (job_id) DO UPDATE SET attempts = attempts + 1, started_at = ?3, message = ?2",
                params![message.job_id, text, now],
            )?;
            c.query_row(
                "SELECT attempts FROM jobs WHERE job_id = ?1",
                [&message.job_id],
                |r| r.get(0),
            )
        })
    }

    /// Records the job's answer (and result.json for a job that ran). From here on the job is
    /// never run again.
    pub fn finish(
        &self,
        message: &JobMessage,
        answer: &ResultMessage,
        result: Option<&str>,
        run_ms: u64,
    ) -> Result<(), StateError> {
        let message_text = serde_json::to_string(message).unwrap_or_default();
        let answer_text = serde_json::to_string(answer).unwrap_or_default();
        let now = now();
        self.with(|c| {
            c.execute(
                "INSERT INTO jobs (job_id, message, attempts, first_started_at, started_at, finished_at, run_ms, answer, result)
                 VALUES (?1, ?2, 1, ?3, ?3, ?3, ?4, ?5, ?6)
                 ON CONFLICT (job_id) DO UPDATE SET finished_at = ?3, run_ms = ?4, answer = ?5, result = ?6",
                params![message.job_id, message_text, now, run_ms as i64, answer_text, result],
            )
            .map(drop)
        })
    }

    pub fn mark_uploaded(&self, job_id: &str) -> Result<(), StateError> {
        self.mark(job_id, "uploaded_at")
    }

    pub fn mark_sent(&self, job_id: &str) -> Result<(), StateError> {
        self.mark(job_id, "sent_at")
    }

    /// The job message is deleted: the job is done with, and result.json need not be kept.
    pub fn mark_acknowledged(&self, job_id: &str) -> Result<(), StateError> {
        self.mark(job_id, "acknowledged_at")?;
        self.with(|c| {
            c.execute("UPDATE jobs SET result = NULL WHERE job_id = ?1", [job_id])
                .map(drop)
        })
    }

    fn mark(&self, job_id: &str, column: &str) -> Result<(), StateError> {
        let now = now();
        self.with(|c| {
            c.execute(
                &format!("UPDATE jobs SET {column} = COALESCE({column}, ?2) WHERE job_id = ?1"),
                params![job_id, now],
            )
            .map(drop)
        })
    }

    /// Jobs whose answer is recorded but whose job message was not deleted (their answer may
    /// not have been sent), oldest first.
    pub fn unacknowledged(&self) -> Result<Vec<Finished>, StateError> {
        let ids: Vec<String> = self.with(|c| {
            let mut s = c.prepare(
                "SELECT job_id FROM jobs WHERE finished_at IS NOT NULL AND acknowledged_at IS NULL ORDER BY finished_at",
            )?;
            s.query_map([], |r| r.get(0))?.collect()
        })?;
        let mut out = Vec::new();
        for id in ids {
            if let Recorded::Finished(f) = self.lookup(&id)? {
                out.push(*f);
            }
        }
        Ok(out)
    }

    /// Jobs that started and never finished, oldest first.
    pub fn interrupted(&self) -> Result<Vec<Interrupted>, StateError> {
        self.with(|c| {
            let mut s = c.prepare(
                "SELECT job_id, attempts, started_at FROM jobs WHERE finished_at IS NULL ORDER BY started_at",
            )?;
            s.query_map([], |r| {
                Ok(Interrupted {
                    job_id: r.get(0)?,
                    attempts: r.get(1)?,
                    started_at: r.get(2)?,
                })
            })?
            .collect()
        })
    }

    /// Forgets acknowledged jobs older than `days`; returns how many.
    pub fn prune(&self, days: i64) -> Result<usize, StateError> {
        let cutoff: DateTime<Utc> = Utc::now() - chrono::Duration::days(days);
        let cutoff = cutoff.to_rfc3339_opts(SecondsFormat::Millis, true);
        self.with(|c| {
            c.execute(
                "DELETE FROM jobs WHERE acknowledged_at IS NOT NULL AND acknowledged_at < ?1",
                [cutoff],
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wharf_sage::queue::JobOutcome;

    fn message(id: &str) -> JobMessage {
        JobMessage::new("acme", id, "orders", "run-1", "import")
    }

    #[test]
    fn a_job_goes_from_new_to_started_to_finished_to_acknowledged() {
        let dir = tempfile::tempdir().unwrap();
        let state = State::open(&dir.path().join("state")).unwrap();
        let job = message("j-1");
        assert_eq!(state.lookup("j-1").unwrap(), Recorded::New);
        assert_eq!(state.start(&job).unwrap(), 1);
        assert!(matches!(
            state.lookup("j-1").unwrap(),
            Recorded::Started { attempts: 1, .. }
        ));
        assert_eq!(state.interrupted().unwrap().len(), 1);
        // Interrupted and started again.
        assert_eq!(state.start(&job).unwrap(), 2);

        let answer = job.result(JobOutcome::Done {
            result_key: "acme/jobs/j-1/result.json".into(),
        });
        state.finish(&job, &answer, Some("{}"), 12).unwrap();
        assert!(state.interrupted().unwrap().is_empty());
        let Recorded::Finished(f) = state.lookup("j-1").unwrap() else {
            panic!("finished")
        };
        assert_eq!(f.answer, answer);
        assert_eq!(f.result.as_deref(), Some("{}"));
        assert!(!f.uploaded && !f.sent && !f.acknowledged);
        assert_eq!(state.unacknowledged().unwrap().len(), 1);

        state.mark_uploaded("j-1").unwrap();
        state.mark_sent("j-1").unwrap();
        let Recorded::Finished(f) = state.lookup("j-1").unwrap() else {
            panic!("finished")
        };
        assert!(f.uploaded && f.sent && !f.acknowledged);
        state.mark_acknowledged("j-1").unwrap();
        let Recorded::Finished(f) = state.lookup("j-1").unwrap() else {
            panic!("finished")
        };
        assert!(f.acknowledged);
        assert_eq!(f.result, None, "result.json is not kept once acknowledged");
        assert!(state.unacknowledged().unwrap().is_empty());

        // It survives reopening; old acknowledged rows are pruned.
        drop(state);
        let state = State::open(&dir.path().join("state")).unwrap();
        assert!(matches!(
            state.lookup("j-1").unwrap(),
            Recorded::Finished(_)
        ));
        assert_eq!(state.prune(30).unwrap(), 0);
        assert_eq!(state.prune(-1).unwrap(), 1);
        assert_eq!(state.lookup("j-1").unwrap(), Recorded::New);
    }

    #[test]
    fn a_refusal_is_recorded_without_a_result() {
        let dir = tempfile::tempdir().unwrap();
        let state = State::open(dir.path()).unwrap();
        let job = message("j-2");
        let answer = job.result(JobOutcome::Refused {
            reason: "no".into(),
        });
        state.finish(&job, &answer, None, 0).unwrap();
        let Recorded::Finished(f) = state.lookup("j-2").unwrap() else {
            panic!("finished")
        };
        assert_eq!((f.answer, f.result), (answer, None));
    }
}
