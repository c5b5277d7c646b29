//! A store keeping ended run records (`S3Store::keeping_ended_runs`, what `wharf serve` pages
//! use): each listing reads only the records that are new, running or rewritten (the proxy
//! closes every connection after one request, so its connection count is the request count).

use crate::proxy::Proxy;
use crate::support::{bucket, moto, store, store_at};
use chrono::{TimeZone, Utc};
use std::sync::atomic::Ordering;
use wharf_engine::storage::Storage;
use wharf_engine::{ResultCode, RunRecord};

fn run(n: u32, ended: bool) -> RunRecord {
    let started = Utc.with_ymd_and_hms(2024, 5, 1, 12, n, 0).unwrap();
    serde_json::from_value(serde_json::json!({
        "id": format!("run-{n}"),
        "workflow": "Orders",
        "started": started,
        "ended": ended.then_some(started),
        "result": if ended { ResultCode::Success } else { ResultCode::Unknown },
        "message": if ended { "done" } else { "running" },
        "tasks": [],
    }))
    .unwrap()
}

#[test]
fn ended_runs_are_read_once_while_their_etag_stays() {
    let b = bucket("run-cache");
    let direct = store(&b.name, "orders");
    for n in 0..5 {
        direct.put_run(&run(n, true)).unwrap();
    }
    direct.put_run(&run(5, false)).unwrap();

    let proxy = Proxy::start(moto().port, vec![]);
    let requests = || proxy.counts.connections.load(Ordering::SeqCst);
    let list = |store: &dyn Storage| {
        let before = requests();
        let runs = store.list_runs().unwrap();
        let messages: Vec<String> = runs.iter().map(|r| r.message.clone()).collect();
        (requests() - before, messages)
    };
    let keeping = store_at(&proxy.endpoint, &b.name, "orders").keeping_ended_runs();
    let plain = store_at(&proxy.endpoint, &b.name, "orders");

    // The first listing reads every record; the next only the running one.
    let (first, runs) = list(&keeping);
    assert_eq!(first, 1 + 6, "a listing and six records");
    assert_eq!(runs.len(), 6);
    assert_eq!(list(&keeping), (1 + 1, runs.clone()));
    // A store that keeps nothing reads them all each time.
    assert_eq!(list(&plain), (1 + 6, runs));

    // The running run ends and an ended record is rewritten: both are read again, once.
    direct.put_run(&run(5, true)).unwrap();
    let mut rewritten = run(2, true);
    rewritten.message = "cancelled by hand".into();
    direct.put_run(&rewritten).unwrap();
    let (count, runs) = list(&keeping);
    assert_eq!(count, 1 + 2);
    assert_eq!(runs[2], "cancelled by hand");
    assert_eq!(runs[5], "done");
    assert_eq!(list(&keeping).0, 1);

    // A removed record is gone from the next listing.
    direct.remove_run("run-0").unwrap();
    let (count, runs) = list(&keeping);
    assert_eq!((count, runs.len()), (1, 5));
}
