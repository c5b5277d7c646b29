//! Run records, task state, the checkpoint, mappings and configuration checks.

use crate::support::{CUSTOMER, bucket, store};
use chrono::{TimeZone, Utc};
use wharf_engine::checkpoint::{Checkpoint, RunStart};
use wharf_engine::storage::{Mappings, Storage, StorageError, TaskStates};
use wharf_engine::{ResultCode, RunRecord};
use wharf_s3_store::{S3Error, S3Store, S3StoreConfig};

pub(crate) fn run(id: &str, minute: u32) -> RunRecord {
    RunRecord {
        id: id.into(),
        workflow: "Orders".into(),
        started: Utc.with_ymd_and_hms(2024, 5, 1, 12, minute, 0).unwrap(),
        ended: None,
        result: ResultCode::Unknown,
        message: "running".into(),
        resumed_from: None,
        resume_at: None,
        resume: None,
        lineage: None,
        archive_path: None,
        started_by: None,
        notices: vec![],
        tasks: vec![],
    }
}

#[test]
fn runs_state_and_checkpoint_round_trip() {
    let b = bucket("records");
    let store = store(&b.name, "orders");
    assert!(store.list_runs().unwrap().is_empty());
    assert_eq!(store.load_state().unwrap(), TaskStates::new());
    assert_eq!(store.load_checkpoint().unwrap(), None);
    store.clear_checkpoint().unwrap();

    for (id, minute) in [("c", 30), ("a", 10), ("b", 20)] {
        store.put_run(&run(id, minute)).unwrap();
    }
    let mut done = run("a", 10);
    done.result = ResultCode::Success;
    done.ended = Some(Utc::now());
    store.put_run(&done).unwrap();
    let runs = store.list_runs().unwrap();
    assert_eq!(
        runs.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["a", "b", "c"],
        "oldest first"
    );
    assert_eq!(
        runs[0].result,
        ResultCode::Success,
        "put_run replaces the record"
    );
    store.remove_run("b").unwrap();
    store.remove_run("no-such-run").unwrap();
    assert_eq!(
        store
            .list_runs()
            .unwrap()
            .iter()
            .map(|r| r.id.as_str())
            .collect::<Vec<_>>(),
        ["a", "c"]
    );
    assert_eq!(
        b.keys(&format!("{CUSTOMER}/orders/runs/")),
        [
            "20240501T121000.000000Z_a.json",
            "20240501T123000.000000Z_c.json"
        ]
    );

    let mut states = TaskStates::new();
    states
        .entry("split".into())
        .or_default()
        .insert("last-modified".into(), "2024-05-01T12:00:00Z".into());
    states
        .entry("each/chunk".into())
        .or_default()
        .insert("cursor id".into(), "\u{e9}t\u{e9}".into());
    store.save_state(&states).unwrap();
    assert_eq!(store.load_state().unwrap(), states);

    let cp = Checkpoint {
        run_id: "a".into(),
        path: "2.0.1".into(),
        resume: None,
        pid: 42,
        host: "worker-1".into(),
        suspended: None,
        run: Some(RunStart {
            started: Utc.with_ymd_and_hms(2024, 5, 1, 12, 3, 0).unwrap(),
            lineage: "a".into(),
            started_by: Some("cloud:schedule".into()),
            resumed_from: None,
        }),
    };
    store.save_checkpoint(&cp).unwrap();
    assert_eq!(store.load_checkpoint().unwrap(), Some(cp));
    store.clear_checkpoint().unwrap();
    assert_eq!(store.load_checkpoint().unwrap(), None);

    b.put(&format!("{CUSTOMER}/orders/state.json"), "{not json");
    let err = store.load_state().unwrap_err();
    assert!(
        matches!(err, StorageError::Corrupt { .. }) && err.to_string().contains("state.json"),
        "{err}"
    );
    assert_eq!(
        store.location(),
        format!("s3://{}/{CUSTOMER}/orders/", b.name)
    );
}

#[test]
fn mappings_are_read_from_the_customer_folder() {
    let b = bucket("mappings");
    let store = store(&b.name, "orders");
    assert_eq!(store.mappings().unwrap(), Mappings::new());
    b.put(
        &format!("{CUSTOMER}/mappings.yaml"),
        "VatCodes:\n  - [\"T1\", \"20%\"]\n  - [\"T0\", \"0%\"]\nCountries:\n  - [GB, United Kingdom]\n",
    );
    let m = store.mappings().unwrap();
    assert_eq!(
        m["VatCodes"],
        vec![("T1".into(), "20%".into()), ("T0".into(), "0%".into())]
    );
    assert_eq!(m["Countries"], vec![("GB".into(), "United Kingdom".into())]);
    // Shared by every workflow of the customer.
    assert_eq!(
        crate::support::store(&b.name, "invoices")
            .mappings()
            .unwrap(),
        m
    );

    b.put(
        &format!("{CUSTOMER}/mappings.yaml"),
        "VatCodes: [[unclosed\n",
    );
    let err = store.mappings().unwrap_err();
    assert!(
        matches!(err, StorageError::Corrupt { .. }) && err.to_string().contains("mappings.yaml"),
        "{err}"
    );
}

#[test]
fn configuration_is_checked() {
    crate::support::moto();
    for (customer, workflow) in [("", "wf"), ("a/b", "wf"), ("acme", ".."), ("acme", "x\ny")] {
        let cfg = S3StoreConfig::new("bucket", customer, workflow);
        assert!(
            matches!(S3Store::new(cfg), Err(S3Error::Config(_))),
            "{customer:?}/{workflow:?}"
        );
    }
    assert!(matches!(
        S3Store::new(S3StoreConfig::new("", "acme", "wf")),
        Err(S3Error::Config(_))
    ));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let err = S3Store::with_handle(S3StoreConfig::new("b", "acme", "wf"), rt.handle().clone());
    assert!(matches!(err, Err(S3Error::Config(_))));
}

#[test]
fn a_shared_runtime_works_and_async_callers_do_not_panic() {
    let b = bucket("shared-rt");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut cfg = S3StoreConfig::new(&b.name, CUSTOMER, "wf");
    cfg.force_path_style = true;
    let store = std::sync::Arc::new(S3Store::with_handle(cfg, rt.handle().clone()).unwrap());
    store.save_state(&TaskStates::new()).unwrap();
    // The documented way from async code: spawn_blocking.
    let s = store.clone();
    let runs = rt.block_on(async move {
        tokio::task::spawn_blocking(move || s.list_runs())
            .await
            .unwrap()
    });
    assert!(runs.unwrap().is_empty());
    // Called straight from an async task it blocks that worker (through block_in_place), but
    // neither panics nor deadlocks, even with the operation queued on that very worker.
    let s = store.clone();
    let state =
        rt.block_on(async move { tokio::spawn(async move { s.load_state() }).await.unwrap() });
    assert_eq!(state.unwrap(), TaskStates::new());
}

/// What a run asks of its history: the newest ended run (at its start), its own record by id
/// (resuming), the runs old enough to expire and the removal of the oldest (housekeeping by
/// age). Each takes the same few requests whether the history holds 30 records or 2,500 — more
/// than two listing pages — of a workflow on a 5-minute schedule (the proxy closes every
/// connection after one request, so its connection count is the request count). One record
/// nobody can read is skipped, not fatal.
#[test]
fn a_run_costs_the_same_requests_however_long_the_history() {
    use crate::proxy::Proxy;
    use crate::support::{moto, store_at};
    use std::sync::atomic::Ordering;

    let now = Utc::now();
    let keep_days = 8;
    let requests_with_history = |records: i64| {
        let b = bucket("history");
        let direct = store(&b.name, "orders");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        // Written 32 at a time: thousands of records one by one would take a while.
        let direct = std::sync::Arc::new(direct);
        rt.block_on(async {
            let mut pending = tokio::task::JoinSet::new();
            for i in 0..records {
                let direct = direct.clone();
                pending.spawn_blocking(move || {
                    let mut r = run(&format!("run-{i:05}"), 0);
                    r.started = now - chrono::Duration::minutes(5 * (records - i));
                    r.ended = Some(r.started);
                    r.result = ResultCode::Success;
                    direct.put_run(&r).unwrap();
                });
                if pending.len() >= 32 {
                    pending.join_next().await.unwrap().unwrap();
                }
            }
            while let Some(done) = pending.join_next().await {
                done.unwrap();
            }
        });
        // The newest run is still going (its record not ended): the one before it is the answer.
        let mut going = run("going", 0);
        going.started = now;
        direct.put_run(&going).unwrap();
        b.put(
            &format!("{CUSTOMER}/orders/runs/20200101T000000.000000Z_broken.json"),
            "{",
        );

        let proxy = Proxy::start(moto().port, vec![]);
        let proxied = store_at(&proxy.endpoint, &b.name, "orders");
        let count = || proxy.counts.connections.load(Ordering::SeqCst);
        let mut costs = Vec::new();
        let mut measure = |what: &str, f: &mut dyn FnMut()| {
            let before = count();
            f();
            costs.push((what.to_owned(), count() - before));
        };
        measure("newest ended run", &mut || {
            let last = proxied.last_ended_run().unwrap().expect("an ended run");
            assert_eq!(last.id, format!("run-{:05}", records - 1));
        });
        measure("own record", &mut || {
            assert_eq!(proxied.get_run("going").unwrap().unwrap().id, "going");
        });
        // Between two runs' starts: record times are kept to the microsecond.
        let cutoff = now - chrono::Duration::days(keep_days) - chrono::Duration::seconds(150);
        let mut expired = Vec::new();
        measure("expired runs", &mut || {
            expired = proxied.run_index_before(cutoff).unwrap();
        });
        let expected = (0..records)
            .filter(|i| now - chrono::Duration::minutes(5 * (records - i)) < cutoff)
            .count();
        assert_eq!(
            expired.len(),
            expected + 1,
            "the broken record is expired too"
        );
        assert_eq!(expired[0].0, "broken");
        assert!(expired.windows(2).all(|w| w[0].1 <= w[1].1), "oldest first");
        measure("removing the oldest", &mut || {
            proxied.remove_run(&expired[0].0).unwrap();
        });
        assert!(proxied.get_run("broken").unwrap().is_none());
        if records < 1000 {
            let index = proxied.run_index().unwrap();
            assert_eq!(index.len(), records as usize + 1, "the broken one is gone");
        }
        costs
    };
    let small = requests_with_history(30);
    let large = requests_with_history(2_500);
    assert_eq!(
        small, large,
        "requests with 30 and with 2,500 records of history"
    );
    let counts: Vec<usize> = small.iter().map(|(_, n)| *n).collect();
    assert_eq!(
        counts,
        [4, 2, 1, 2],
        "newest ended: a listing with its one-key probe of the history, and two reads; own record: a listing and a read; expired: a listing; removal: a listing and a delete ({small:?})"
    );
}
