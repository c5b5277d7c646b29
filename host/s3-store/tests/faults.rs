//! Operations through a proxy that resets connections, answers 5xx and cuts responses off: they
//! succeed through retries, and no file is lost.

use crate::proxy::{Fault, Proxy};
use crate::support::{CUSTOMER, SECRET, bucket, content, moto, store_at};
use sha2::{Digest, Sha256};
use std::fs;
use wharf_engine::storage::{Storage, TruthRecord, lock_info};

/// Every other request attempt fails for a while, cycling through the kinds of fault; a cut at
/// 40 bytes falls inside the response head, one at 3000 bytes inside a larger body.
fn plan() -> Vec<Fault> {
    let faults = [
        Fault::Reset,
        Fault::Status(503),
        Fault::Cut(40),
        Fault::Status(500),
        Fault::Cut(3000),
    ];
    (0..60)
        .map(|i| {
            if i % 2 == 1 {
                faults[(i / 2) % faults.len()]
            } else {
                Fault::Pass
            }
        })
        .collect()
}

#[test]
fn operations_survive_resets_5xx_and_cut_responses() {
    let b = bucket("faults");
    let proxy = Proxy::start(moto().port, plan());
    let store = store_at(&proxy.endpoint, &b.name, "wf");
    let work = format!("{CUSTOMER}/wf/work/");

    store
        .acquire_lock(&lock_info("run-1", chrono::Duration::hours(1)))
        .unwrap();
    let staged = store.stage_workdir().unwrap();
    let mut expected = Vec::new();
    for i in 0..12 {
        let rel = format!("folder {}/file {i}.xml", i % 3);
        let data = content(1000 + i * 700, i as u64);
        fs::create_dir_all(staged.path.join(format!("folder {}", i % 3))).unwrap();
        fs::write(staged.path.join(&rel), &data).unwrap();
        expected.push((rel, data));
    }
    let big = content(17 * 1024 * 1024, 99);
    fs::write(staged.path.join("big.bin"), &big).unwrap();
    store.commit_workdir(&staged).unwrap();

    let truth = store.truth().unwrap();
    let record = TruthRecord {
        kind: "Order".into(),
        internal_id: "42".into(),
        external_id: "WEB/42".into(),
        hash: None,
    };
    truth.upsert(&record).unwrap();
    assert_eq!(truth.find_by_internal("Order", "42").unwrap(), Some(record));

    // Stage through the faults again: every byte arrives; then remove some files.
    let staged = store.stage_workdir().unwrap();
    for (rel, data) in &expected {
        assert_eq!(&fs::read(staged.path.join(rel)).unwrap(), data, "{rel}");
    }
    assert_eq!(
        Sha256::digest(fs::read(staged.path.join("big.bin")).unwrap()),
        Sha256::digest(&big)
    );
    for (rel, _) in expected.drain(..4) {
        fs::remove_file(staged.path.join(rel)).unwrap();
    }
    let archive = staged.path.join("archive.zip");
    let archive_data = content(17 * 1024 * 1024 + 5, 5);
    fs::write(&archive, &archive_data).unwrap();
    store
        .archive_store(&archive, "Archive/1_archive.zip")
        .unwrap();
    store.commit_workdir(&staged).unwrap();
    store.release_lock("run-1").unwrap();

    assert!(
        proxy.injected() >= 20,
        "faults injected: {:?}",
        proxy.counts
    );

    // Checked directly against moto, without the proxy.
    let mut keys = b.keys(&work);
    keys.sort();
    let mut want: Vec<String> = expected.iter().map(|(r, _)| r.clone()).collect();
    want.push("big.bin".into());
    want.sort();
    assert_eq!(keys, want);
    for (rel, data) in &expected {
        assert_eq!(&b.get(&format!("{work}{rel}")).unwrap(), data, "{rel}");
    }
    assert_eq!(b.get(&format!("{work}big.bin")).unwrap(), big);
    assert_eq!(
        b.get(&format!("{CUSTOMER}/wf/archive/Archive/1_archive.zip"))
            .unwrap(),
        archive_data
    );
    assert!(b.get(&format!("{CUSTOMER}/wf/run.lock")).is_none());
}

#[test]
fn a_download_cut_mid_body_is_fetched_again() {
    let b = bucket("cut-body");
    let data = content(300 * 1024, 3);
    b.put(&format!("{CUSTOMER}/wf/work/data.bin"), data.clone());
    // The listing passes; the next three GETs deliver their headers and then stop mid-body,
    // which the SDK cannot retry (the response had begun): the store fetches the object again.
    let plan = vec![
        Fault::Pass,
        Fault::Cut(3000),
        Fault::Cut(3000),
        Fault::Cut(3000),
    ];
    let proxy = Proxy::start(moto().port, plan);
    let store = store_at(&proxy.endpoint, &b.name, "wf");
    let staged = store.stage_workdir().unwrap();
    assert_eq!(fs::read(staged.path.join("data.bin")).unwrap(), data);
    assert_eq!(
        proxy.counts.cuts.load(std::sync::atomic::Ordering::SeqCst),
        3
    );
    store.commit_workdir(&staged).unwrap();
    assert_eq!(
        b.get(&format!("{CUSTOMER}/wf/work/data.bin")).unwrap(),
        data
    );
}

#[test]
fn errors_name_the_object_and_the_cause_but_no_secret() {
    let b = bucket("unreachable");
    // Nothing listens there: connection refused on every attempt.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let store = store_at(&format!("http://127.0.0.1:{port}"), &b.name, "wf");
    let started = std::time::Instant::now();
    let err = store.load_state().unwrap_err().to_string();
    assert!(
        err.contains(&format!("s3://{}/{CUSTOMER}/wf/state.json", b.name)),
        "{err}"
    );
    assert!(
        err.contains("GetObject") && err.to_lowercase().contains("connect"),
        "{err}"
    );
    assert!(!err.contains(SECRET), "{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "retries are bounded"
    );
}
