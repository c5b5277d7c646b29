//! What the function and `wharf cloud` do to a suspended run besides resuming it: take the
//! workflow's lock for a short change, send its message again after an age, end it as failed
//! after the longest a run may wait, or when an operator cancels it (docs/cloud.md).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chrono::Utc;
use wharf_engine::checkpoint::{Checkpoint, Suspension};
use wharf_engine::storage::{Storage, StorageError, lock_info};
use wharf_engine::{ResultCode, RunRecord};

/// The kinds of short lock holders (`<kind>-…`): the function sending a suspension's message
/// or giving an over-age run up, `wharf cloud cancel` and `resend`.
pub const WAKE: &str = "wake";
pub const GIVE_UP: &str = "give-up";
pub const CANCEL: &str = "cancel";
pub const RESEND: &str = "resend";

fn held_as(kind: &str, holder: &str) -> bool {
    holder
        .strip_prefix(kind)
        .is_some_and(|rest| rest.starts_with('-'))
}

/// Whether the lock's holder is a short change (over in seconds), not a run.
pub fn is_short_holder(holder: &str) -> bool {
    [WAKE, GIVE_UP, CANCEL, RESEND]
        .iter()
        .any(|kind| held_as(kind, holder))
}

/// Whether the lock's holder is sending a suspension's message.
pub fn is_wake_holder(holder: &str) -> bool {
    held_as(WAKE, holder)
}

/// How long a short change under the lock may take before the lock counts as abandoned (one
/// message sent and one or two small writes; a killed holder's frees soon after).
const SHORT_LEASE: chrono::Duration = chrono::Duration::seconds(20);

/// The workflow's lock, held for a short change and released on drop.
pub struct ShortLock<'a> {
    store: &'a dyn Storage,
    holder: String,
}

impl Drop for ShortLock<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.store.release_lock(&self.holder) {
            tracing::warn!("could not release the lock {}: {e}", self.holder);
        }
    }
}

impl ShortLock<'_> {
    /// The lock holder's name: `<kind>-<pid>-<nanoseconds>`.
    pub fn holder(&self) -> &str {
        &self.holder
    }
}

/// Takes the workflow's lock as a `kind` holder (one of the kinds above), waiting up to
/// `patience` while the holder is one `wait_for` accepts. `Ok(None)`: someone else holds it
/// (their name given to `held_by`).
pub fn short_lock<'a>(
    store: &'a dyn Storage,
    kind: &str,
    patience: Duration,
    wait_for: impl Fn(&str) -> bool,
    held_by: impl FnOnce(&str),
) -> Result<Option<ShortLock<'a>>, StorageError> {
    // Unique across sandboxes, whose process ids may coincide: the clock's nanoseconds.
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let holder = format!("{kind}-{}-{nanos}", std::process::id());
    let give_up = Instant::now() + patience;
    loop {
        match store.acquire_lock(&lock_info(&holder, SHORT_LEASE)) {
            Ok(_) => return Ok(Some(ShortLock { store, holder })),
            Err(StorageError::Locked { holder: other, .. })
                if Instant::now() < give_up && wait_for(&other) =>
            {
                std::thread::sleep(Duration::from_millis(250));
            }
            Err(StorageError::Locked { holder: other, .. }) => {
                held_by(&other);
                return Ok(None);
            }
            Err(e) => return Err(e),
        }
    }
}

/// The suspension of `checkpoint`, if it is one.
pub fn suspension_of(checkpoint: &Option<Checkpoint>) -> Option<(&str, &Suspension)> {
    match checkpoint {
        Some(Checkpoint {
            run_id,
            suspended: Some(s),
            ..
        }) => Some((run_id, s)),
        _ => None,
    }
}

/// Ends the suspended run waiting for `token` as failed with `message`, and frees the
/// workflow of it (its checkpoint goes). Call it holding the lock. `Ok(None)` when no run
/// waits for `token` any more.
pub fn end_suspended(
    store: &dyn Storage,
    token: &str,
    message: &str,
) -> Result<Option<RunRecord>, StorageError> {
    let checkpoint = store.load_checkpoint()?;
    let Some((run_id, suspension)) = suspension_of(&checkpoint).filter(|(_, s)| s.token == token)
    else {
        return Ok(None);
    };
    let mut record = store
        .get_run(run_id)?
        .ok_or_else(|| StorageError::Corrupt {
            what: format!("the record of suspended run {run_id}"),
            message: "it is missing".into(),
        })?;
    record.ended = Some(Utc::now());
    record.result = ResultCode::Fail;
    record.message = format!(
        "{message} (the run was {} since {})",
        suspension.describe(),
        suspension.since.format("%Y-%m-%d %H:%M:%S UTC")
    );
    store.put_run(&record)?;
    store.clear_checkpoint()?;
    Ok(Some(record))
}

/// Deletes an ended run's Sage job objects (`job.json`, and `result.json` if one came), so a
/// runner that receives the job's message later refuses it ("there is no …/job.json") instead of
/// importing into the ledger for a run that is over. A missing object is not an error.
pub async fn withdraw_job(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    customer: &str,
    job_id: &str,
) -> Result<(), String> {
    for key in [
        wharf_sage::queue::job_key(customer, job_id),
        wharf_sage::queue::result_key(customer, job_id),
    ] {
        s3.delete_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "deleting s3://{bucket}/{key}: {}",
                    wharf_s3_store::Cause::of(&e).text
                )
            })?;
    }
    Ok(())
}

/// How long a suspension has waited, and since its message was last sent.
pub fn ages(suspension: &Suspension) -> (Duration, Duration) {
    let now = Utc::now();
    let since = |t: chrono::DateTime<Utc>| (now - t).to_std().unwrap_or_default();
    (
        since(suspension.since),
        since(suspension.sent_at.unwrap_or(suspension.since)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_holders_are_told_from_runs() {
        assert!(is_short_holder("wake-12-1733356800000000000"));
        assert!(is_short_holder("give-up-1-2"));
        assert!(is_short_holder("cancel-7-9") && is_short_holder("resend-7-9"));
        assert!(is_wake_holder("wake-1-2") && !is_wake_holder("cancel-1-2"));
        // Run ids are uuids (hex); nothing else that merely starts with a kind's letters.
        assert!(!is_short_holder("3a72c35ca67f413da14d5fe5b1be1212"));
        assert!(!is_short_holder("wakeful-run") && !is_short_holder("cancelled"));
    }
}
