//! The `use-mutex` run lock as one object, `run.lock`, guarded by S3 conditional writes: it is
//! created with `If-None-Match: *`, an expired one is replaced with `If-Match: <its ETag>` (so of
//! two runs taking over the same expired lock exactly one wins), and it is deleted with
//! `If-Match` by its holder only.
//!
//! Unlike the local backend, a lock is never judged abandoned by its process being gone: a bucket
//! is shared by machines whose host names and process ids may coincide (containers, Lambda), so
//! only the lease (`expires`) ends a lock that was not released.

use crate::Inner;
use crate::transfer::{Cond, Put};
use chrono::Utc;
use std::sync::Arc;
use wharf_engine::storage::{LockInfo, StorageError};

/// Rounds of create / read / take over before giving up on a lock that keeps changing hands.
const ROUNDS: usize = 8;

fn same_lock(a: &LockInfo, b: &LockInfo) -> bool {
    a.run_id == b.run_id && a.acquired == b.acquired && a.pid == b.pid && a.host == b.host
}

/// Takes the lock; `Some(why)` when it took over an expired one (see `Storage::acquire_lock`).
pub async fn acquire(inner: Arc<Inner>, info: LockInfo) -> Result<Option<String>, StorageError> {
    let key = inner.key("run.lock");
    let body = serde_json::to_vec_pretty(&info).map_err(|e| StorageError::Other(e.to_string()))?;
    for _ in 0..ROUNDS {
        if let Put::Written { .. } = inner
            .put_bytes(&key, body.clone(), Cond::IfNoneMatch)
            .await?
        {
            tracing::debug!("run {} took the lock {}", info.run_id, inner.url(&key));
            return Ok(None);
        }
        let Some(current) = inner.get_small(&key).await? else {
            continue; // released between our write and our read: try to create it again
        };
        let holder: Option<LockInfo> = serde_json::from_slice(&current.bytes).ok();
        match holder {
            // Our own create or takeover landed, but its response was lost and the SDK's retry
            // then failed the precondition.
            Some(h) if same_lock(&h, &info) => return Ok(None),
            Some(h) if h.expires < Utc::now() => {
                match inner
                    .put_bytes(&key, body.clone(), Cond::IfMatch(current.etag))
                    .await?
                {
                    Put::Written { .. } => {
                        let why = format!(
                            "took over a stale lock: run {} took it at {} and its lease ended at {}",
                            h.run_id,
                            h.acquired.format("%Y-%m-%d %H:%M:%S UTC"),
                            h.expires.format("%Y-%m-%d %H:%M:%S UTC")
                        );
                        tracing::warn!("run {}: {why}", info.run_id);
                        return Ok(Some(why));
                    }
                    // Someone else took it over or released it first: look again.
                    Put::Lost | Put::Missing => continue,
                }
            }
            Some(h) => {
                return Err(StorageError::Locked {
                    workflow: inner.workflow.clone(),
                    holder: h.run_id,
                    since: h.acquired,
                });
            }
            // Writes are atomic in S3, so an unreadable lock is not one being written: it was
            // written by something else. Refuse rather than guess; the message names the key.
            None => {
                return Err(StorageError::Locked {
                    workflow: inner.workflow.clone(),
                    holder: format!("? (unreadable lock object {})", inner.url(&key)),
                    since: current.last_modified,
                });
            }
        }
    }
    Err(StorageError::Other(format!(
        "could not take the run lock {}: it changed hands {ROUNDS} times while trying",
        inner.url(&key)
    )))
}

pub async fn release(inner: Arc<Inner>, run_id: String) -> Result<(), StorageError> {
    let key = inner.key("run.lock");
    let Some(current) = inner.get_small(&key).await? else {
        return Ok(());
    };
    let holder: Option<LockInfo> = serde_json::from_slice(&current.bytes).ok();
    if holder.is_none_or(|h| h.run_id != run_id) {
        tracing::debug!("run {run_id} does not hold {}; leaving it", inner.url(&key));
        return Ok(());
    }
    match inner.delete(&key, Some(current.etag)).await? {
        Put::Written { .. } | Put::Missing => Ok(()),
        Put::Lost => {
            // Our lease ran out and another run took the lock over: it is theirs now.
            tracing::warn!(
                "run {run_id}'s lock {} was taken over before it was released",
                inner.url(&key)
            );
            Ok(())
        }
    }
}
