//! The run lock under races, expiry and release.

use crate::support::{CUSTOMER, bucket, store};
use chrono::{Duration, Utc};
use std::sync::{Arc, Barrier};
use wharf_engine::storage::{LockInfo, Storage, StorageError, lock_info};

/// Runs `acquire_lock` for `n` fresh run ids at the same moment, each through a store of its own
/// (like separate machines); returns the run ids that got the lock.
fn race(bucket: &str, n: usize) -> Vec<String> {
    let stores: Vec<_> = (0..n).map(|_| store(bucket, "wf")).collect();
    let barrier = Arc::new(Barrier::new(n));
    let threads: Vec<_> = stores
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let info = lock_info(&format!("run-{i}"), Duration::hours(1));
                barrier.wait();
                match s.acquire_lock(&info) {
                    Ok(_) => Some(info.run_id),
                    Err(StorageError::Locked { .. }) => None,
                    Err(e) => panic!("unexpected error: {e}"),
                }
            })
        })
        .collect();
    threads
        .into_iter()
        .filter_map(|t| t.join().unwrap())
        .collect()
}

fn holder(b: &crate::support::Bucket) -> Option<LockInfo> {
    b.get(&format!("{CUSTOMER}/wf/run.lock"))
        .map(|bytes| serde_json::from_slice(&bytes).unwrap())
}

#[test]
fn sixteen_racers_one_winner() {
    let b = bucket("lock-race");
    let winners = race(&b.name, 16);
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert_eq!(holder(&b).unwrap().run_id, winners[0]);
}

#[test]
fn expired_lock_is_taken_over_exactly_once() {
    let b = bucket("lock-expired");
    let s = store(&b.name, "wf");
    let mut crashed = lock_info("crashed", Duration::hours(1));
    crashed.acquired = Utc::now() - Duration::hours(13);
    crashed.expires = Utc::now() - Duration::hours(1);
    s.acquire_lock(&crashed).unwrap();
    let winners = race(&b.name, 16);
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert_eq!(holder(&b).unwrap().run_id, winners[0]);
    // The crashed run's late release does not free the new holder's lock.
    s.release_lock("crashed").unwrap();
    assert_eq!(holder(&b).unwrap().run_id, winners[0]);
}

#[test]
fn taking_over_an_expired_lock_says_so_for_the_run_record() {
    let b = bucket("lock-notice");
    let s = store(&b.name, "wf");
    assert_eq!(
        s.acquire_lock(&lock_info("crashed", Duration::seconds(-1)))
            .unwrap(),
        None
    );
    let why = s
        .acquire_lock(&lock_info("next", Duration::hours(1)))
        .unwrap()
        .expect("a notice");
    assert!(
        why.starts_with("took over a stale lock: run crashed took it at")
            && why.contains("its lease ended at"),
        "{why}"
    );
}

#[test]
fn only_the_holder_releases() {
    let b = bucket("lock-release");
    let s = store(&b.name, "wf");
    let a = lock_info("run-a", Duration::hours(1));
    s.acquire_lock(&a).unwrap();
    let err = s
        .acquire_lock(&lock_info("run-b", Duration::hours(1)))
        .unwrap_err();
    assert!(
        err.to_string().contains("already running (run run-a"),
        "{err}"
    );
    match err {
        StorageError::Locked {
            workflow,
            holder,
            since,
        } => {
            assert_eq!((workflow.as_str(), holder.as_str()), ("wf", "run-a"));
            assert_eq!(since, a.acquired);
        }
        other => panic!("{other}"),
    }
    s.release_lock("run-b").unwrap();
    assert_eq!(holder(&b).unwrap().run_id, "run-a");
    s.release_lock("run-a").unwrap();
    assert!(holder(&b).is_none());
    s.release_lock("run-a").unwrap();
    s.acquire_lock(&lock_info("run-b", Duration::hours(1)))
        .unwrap();
    assert_eq!(holder(&b).unwrap().run_id, "run-b");

    // An unreadable lock object is not guessed about.
    b.put(&format!("{CUSTOMER}/wf/run.lock"), "garbage");
    let err = s
        .acquire_lock(&lock_info("run-c", Duration::hours(1)))
        .unwrap_err()
        .to_string();
    assert!(err.contains("unreadable lock object s3://"), "{err}");
}
