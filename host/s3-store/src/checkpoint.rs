//! The checkpoint (`checkpoint.json`) under conditional writes. Each store remembers which
//! version of the checkpoint it last read or wrote, and writes or deletes only that version
//! (`If-Match: <ETag>`, or `If-None-Match: *` when it saw none). A write based on a stale read —
//! an invocation marking a suspension's message sent after another invocation resumed and
//! consumed that suspension — then fails instead of bringing the consumed checkpoint back.
//!
//! A store that never read the checkpoint writes unconditionally: it has no version to hold on
//! to (tools writing a checkpoint from scratch).

use crate::Inner;
use crate::transfer::{Cond, Put};
use std::sync::Arc;
use wharf_engine::checkpoint::Checkpoint;
use wharf_engine::storage::StorageError;

/// The version of the checkpoint a store last saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// Never read or written by this store.
    Unknown,
    /// It did not exist (read as missing, or deleted by this store).
    Absent,
    /// This version (its ETag).
    Version(String),
}

const NAME: &str = "checkpoint.json";

/// Reads the checkpoint; an unreadable one counts as none (like the local backend).
pub async fn load(inner: Arc<Inner>) -> Result<(Option<Checkpoint>, Seen), StorageError> {
    let key = inner.key(NAME);
    let Some(obj) = inner.get_small(&key).await? else {
        return Ok((None, Seen::Absent));
    };
    let seen = Seen::Version(obj.etag);
    match serde_json::from_slice(&obj.bytes) {
        Ok(cp) => Ok((Some(cp), seen)),
        Err(e) => {
            tracing::warn!("ignoring unreadable checkpoint {}: {e}", inner.url(&key));
            Ok((None, seen))
        }
    }
}

/// Writes `bytes` over the version `seen`; answers the new version.
pub async fn save(inner: Arc<Inner>, bytes: Vec<u8>, seen: Seen) -> Result<Seen, StorageError> {
    let key = inner.key(NAME);
    let cond = match &seen {
        Seen::Unknown => Cond::None,
        Seen::Absent => Cond::IfNoneMatch,
        Seen::Version(etag) => Cond::IfMatch(etag.clone()),
    };
    match inner.put_bytes(&key, bytes.clone(), cond).await? {
        Put::Written { etag } => Ok(Seen::Version(etag)),
        Put::Lost | Put::Missing => {
            // Our own write may have landed with its response lost, the SDK's retry then
            // failing the precondition: the object holds exactly what we wrote.
            match inner.get_small(&key).await? {
                Some(now) if now.bytes == bytes => Ok(Seen::Version(now.etag)),
                _ => Err(changed(&inner, &key, "not overwritten")),
            }
        }
    }
}

/// Deletes the version `seen`; answers [`Seen::Absent`].
pub async fn clear(inner: Arc<Inner>, seen: Seen) -> Result<Seen, StorageError> {
    let key = inner.key(NAME);
    let if_match = match seen {
        // Nothing to delete as far as this store knows; one written since is someone else's.
        Seen::Absent => return Ok(Seen::Absent),
        Seen::Unknown => None,
        Seen::Version(etag) => Some(etag),
    };
    match inner.delete(&key, if_match).await? {
        Put::Written { .. } | Put::Missing => Ok(Seen::Absent),
        Put::Lost => Err(changed(&inner, &key, "not deleted")),
    }
}

fn changed(inner: &Inner, key: &str, what: &str) -> StorageError {
    StorageError::Other(format!(
        "{} changed since this run last read it (another invocation wrote it): {what}",
        inner.url(key)
    ))
}
