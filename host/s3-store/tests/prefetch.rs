//! A prefetching store (`S3Store::prefetching`, the Lambda's): the reads a run makes after
//! taking its lock start together, and answer as a plain store's reads would — never with
//! what the store itself has since overwritten.

use crate::proxy::Proxy;
use crate::support::{CUSTOMER, bucket, moto, store, store_at};
use chrono::Utc;
use std::sync::atomic::Ordering;
use wharf_engine::checkpoint::Checkpoint;
use wharf_engine::storage::{Storage, TaskStates, lock_info};
use wharf_engine::{ResultCode, RunRecord};

fn ended(id: &str, days_ago: i64) -> RunRecord {
    let mut record = crate::records::run(id, 0);
    record.started = Utc::now() - chrono::Duration::days(days_ago);
    record.ended = Some(record.started);
    record.result = ResultCode::Success;
    record
}

fn checkpoint(run_id: &str) -> Checkpoint {
    Checkpoint {
        run_id: run_id.into(),
        path: "0".into(),
        resume: None,
        pid: 1,
        host: "worker".into(),
        suspended: None,
        run: None,
    }
}

fn states(value: &str) -> TaskStates {
    let mut states = TaskStates::new();
    states
        .entry("cursor".into())
        .or_default()
        .insert("last".into(), value.into());
    states
}

/// What a run reads after taking the lock, as JSON to compare.
fn start_reads(store: &dyn Storage) -> serde_json::Value {
    let staged = store.stage_workdir().unwrap();
    let order = std::fs::read_to_string(staged.path.join("in/order.xml")).unwrap();
    let _ = std::fs::remove_dir_all(&staged.path);
    serde_json::json!({
        "checkpoint": store.load_checkpoint().unwrap(),
        "last": store.last_ended_run().unwrap().map(|r| r.id),
        "state": store.load_state().unwrap(),
        "mappings": store.mappings().unwrap(),
        "work": order,
    })
}

#[test]
fn a_prefetching_store_reads_what_a_plain_one_reads_and_its_own_writes_after() {
    let b = bucket("prefetch");
    let plain = store(&b.name, "orders");
    plain.put_run(&ended("older", 3)).unwrap();
    plain.put_run(&ended("newest", 2)).unwrap();
    plain.save_state(&states("41")).unwrap();
    plain.save_checkpoint(&checkpoint("older")).unwrap();
    b.put(&format!("{CUSTOMER}/orders/work/in/order.xml"), "<order/>");
    b.put(
        &format!("{CUSTOMER}/mappings.yaml"),
        "Countries:\n  - [GB, United Kingdom]\n",
    );

    let lock = lock_info("plain", chrono::Duration::minutes(5));
    plain.acquire_lock(&lock).unwrap();
    let expected = start_reads(&plain);
    plain.release_lock("plain").unwrap();

    let ahead = store(&b.name, "orders").prefetching();
    ahead
        .acquire_lock(&lock_info("ahead", chrono::Duration::minutes(5)))
        .unwrap();
    assert_eq!(start_reads(&ahead), expected);
    assert_eq!(expected["last"], "newest");
    assert_eq!(expected["mappings"]["Countries"][0][1], "United Kingdom");

    // Its own writes, made after the reads started: each read answers with what was written.
    ahead.release_lock("ahead").unwrap();
    ahead
        .acquire_lock(&lock_info("ahead-2", chrono::Duration::minutes(5)))
        .unwrap();
    ahead.put_run(&ended("crashed", 1)).unwrap();
    assert_eq!(ahead.last_ended_run().unwrap().unwrap().id, "crashed");
    ahead.save_state(&states("42")).unwrap();
    assert_eq!(ahead.load_state().unwrap(), states("42"));
    ahead.save_checkpoint(&checkpoint("ahead-2")).unwrap();
    assert_eq!(
        ahead.load_checkpoint().unwrap(),
        Some(checkpoint("ahead-2"))
    );
    ahead.clear_checkpoint().unwrap();
    assert_eq!(ahead.load_checkpoint().unwrap(), None);
    ahead.release_lock("ahead-2").unwrap();
}

/// Under its lock the store answers from its last read of the checkpoint (every writer of
/// the checkpoint holds the lock); once the lock is let go it reads again.
#[test]
fn the_checkpoint_read_under_the_lock_answers_until_the_lock_is_released() {
    let b = bucket("prefetch-held");
    let proxy = Proxy::start(moto().port, vec![]);
    let ahead = store_at(&proxy.endpoint, &b.name, "orders").prefetching();
    let requests = || proxy.counts.connections.load(Ordering::SeqCst);
    ahead
        .acquire_lock(&lock_info("run", chrono::Duration::minutes(5)))
        .unwrap();
    assert_eq!(ahead.load_checkpoint().unwrap(), None);
    // The other reads started with the lock, taken so that none is still on its way.
    ahead.last_ended_run().unwrap();
    ahead.load_state().unwrap();
    ahead.mappings().unwrap();
    let staged = ahead.stage_workdir().unwrap();
    let _ = std::fs::remove_dir_all(&staged.path);
    let before = requests();
    assert_eq!(ahead.load_checkpoint().unwrap(), None);
    assert_eq!(requests(), before, "answered from the read under the lock");
    ahead.release_lock("run").unwrap();
    // Written by someone holding the lock after this store let it go.
    store(&b.name, "orders")
        .save_checkpoint(&checkpoint("next"))
        .unwrap();
    assert_eq!(ahead.load_checkpoint().unwrap(), Some(checkpoint("next")));
}

/// A workflow's first run learns that it has no history in one round of requests (the first
/// window listed with a one-key probe of the whole history), and a history whose newest record
/// is older than every window but the last is still found.
#[test]
fn a_workflow_without_runs_learns_it_in_one_round_and_old_runs_are_found() {
    let b = bucket("prefetch-history");
    let proxy = Proxy::start(moto().port, vec![]);
    let proxied = store_at(&proxy.endpoint, &b.name, "orders");
    let requests = || proxy.counts.connections.load(Ordering::SeqCst);
    let before = requests();
    assert!(proxied.last_ended_run().unwrap().is_none());
    assert_eq!(requests() - before, 2, "one window and the probe");

    store(&b.name, "orders")
        .put_run(&ended("long-ago", 40))
        .unwrap();
    assert_eq!(proxied.last_ended_run().unwrap().unwrap().id, "long-ago");
}

/// Before it holds the lock, a prefetching store answers a checkpoint read that follows another
/// from that read, once (the Lambda reads it, then the engine reads it again before locking);
/// a write of its own or a lock attempt in between, or a third read, goes to S3. The first read
/// can be started ahead (`read_checkpoint_ahead`, with the Lambda's first requests).
#[test]
fn before_the_lock_a_checkpoint_read_answers_the_next_one_once() {
    let b = bucket("prefetch-again");
    let proxy = Proxy::start(moto().port, vec![]);
    let ahead = store_at(&proxy.endpoint, &b.name, "orders").prefetching();
    let other = store(&b.name, "orders");
    let requests = || proxy.counts.connections.load(Ordering::SeqCst);
    other.save_checkpoint(&checkpoint("a")).unwrap();

    let before = requests();
    ahead.read_checkpoint_ahead();
    assert_eq!(ahead.load_checkpoint().unwrap(), Some(checkpoint("a")));
    other.save_checkpoint(&checkpoint("b")).unwrap();
    assert_eq!(ahead.load_checkpoint().unwrap(), Some(checkpoint("a")));
    assert_eq!(requests() - before, 1, "one read answered both");
    assert_eq!(ahead.load_checkpoint().unwrap(), Some(checkpoint("b")));
    assert_eq!(requests() - before, 2, "the third read went to S3");

    // A lock attempt in between, even a refused one: read again.
    let held = lock_info("other", chrono::Duration::minutes(5));
    other.acquire_lock(&held).unwrap();
    other.save_checkpoint(&checkpoint("c")).unwrap();
    assert!(
        ahead
            .acquire_lock(&lock_info("ahead", chrono::Duration::minutes(5)))
            .is_err()
    );
    assert_eq!(ahead.load_checkpoint().unwrap(), Some(checkpoint("c")));
    other.release_lock("other").unwrap();

    // Its own write in between: the conditional write goes on the version it read, and the
    // next read is S3's.
    ahead.save_checkpoint(&checkpoint("d")).unwrap();
    let before = requests();
    assert_eq!(ahead.load_checkpoint().unwrap(), Some(checkpoint("d")));
    assert_eq!(requests() - before, 1);
}
