//! Truth records: one object per record plus an internal-id index.

use crate::proxy::Proxy;
use crate::support::{CUSTOMER, bucket, moto, store, store_at};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Barrier};
use wharf_engine::storage::{Storage, TruthRecord};

fn rec(kind: &str, internal: &str, external: &str, hash: Option<&str>) -> TruthRecord {
    TruthRecord {
        kind: kind.into(),
        internal_id: internal.into(),
        external_id: external.into(),
        hash: hash.map(Into::into),
    }
}

#[test]
fn upsert_find_replace_remove() {
    let b = bucket("truth");
    let store = store(&b.name, "orders");
    let truth = store.truth().unwrap();
    let order = rec(
        "Sales Order",
        "0000000156",
        "WEB/2024/1 \u{e9}t\u{e9} \u{2615}",
        None,
    );

    assert_eq!(
        truth
            .find_by_external(&order.kind, &order.external_id)
            .unwrap(),
        None
    );
    truth.upsert(&order).unwrap();
    assert_eq!(
        truth
            .find_by_external(&order.kind, &order.external_id)
            .unwrap(),
        Some(order.clone())
    );
    assert_eq!(
        truth.find_by_internal(&order.kind, "0000000156").unwrap(),
        Some(order.clone())
    );
    assert_eq!(
        truth
            .find_by_external("Customer", &order.external_id)
            .unwrap(),
        None
    );
    assert_eq!(
        truth.find_by_external(&order.kind, "WEB/2024/1").unwrap(),
        None
    );

    // Keys are one segment per id, whatever the id holds.
    let prefix = format!("{CUSTOMER}/orders/truth/");
    assert_eq!(
        b.keys(&prefix),
        [
            "ext/Sales%20Order/WEB%2F2024%2F1%20%C3%A9t%C3%A9%20%E2%98%95.json",
            "int/Sales%20Order/0000000156.json",
        ]
    );

    // Same external id, new hash: replaced in place.
    let hashed = TruthRecord {
        hash: Some("h1".into()),
        ..order.clone()
    };
    truth.upsert(&hashed).unwrap();
    assert_eq!(
        truth
            .find_by_external(&order.kind, &order.external_id)
            .unwrap(),
        Some(hashed.clone())
    );

    // New internal id: the old index entry goes, the new one finds it.
    let moved = TruthRecord {
        internal_id: "0000000200/A B".into(),
        ..hashed.clone()
    };
    truth.upsert(&moved).unwrap();
    assert_eq!(
        truth.find_by_internal(&order.kind, "0000000156").unwrap(),
        None
    );
    assert_eq!(
        truth
            .find_by_internal(&order.kind, "0000000200/A B")
            .unwrap(),
        Some(moved.clone())
    );
    assert_eq!(
        b.keys(&format!("{prefix}int/")),
        ["Sales%20Order/0000000200%2FA%20B.json"],
        "the emptied index object is removed"
    );

    // Two external ids for one internal id: the older record wins, as in the SQLite store.
    let second = rec("Sales Order", "0000000200/A B", "WEB-2", Some("h2"));
    truth.upsert(&second).unwrap();
    assert_eq!(
        truth
            .find_by_internal(&order.kind, "0000000200/A B")
            .unwrap(),
        Some(moved.clone())
    );
    truth
        .upsert(&TruthRecord {
            hash: Some("h3".into()),
            ..moved.clone()
        })
        .unwrap();
    assert_eq!(
        truth
            .find_by_internal(&order.kind, "0000000200/A B")
            .unwrap()
            .unwrap()
            .external_id,
        moved.external_id,
        "an update keeps the record's age"
    );
    truth.remove(&order.kind, &moved.external_id).unwrap();
    assert_eq!(
        truth
            .find_by_external(&order.kind, &moved.external_id)
            .unwrap(),
        None
    );
    assert_eq!(
        truth
            .find_by_internal(&order.kind, "0000000200/A B")
            .unwrap(),
        Some(second.clone())
    );
    truth.remove(&order.kind, "WEB-2").unwrap();
    truth.remove(&order.kind, "WEB-2").unwrap();
    assert_eq!(
        truth
            .find_by_internal(&order.kind, "0000000200/A B")
            .unwrap(),
        None
    );
    assert!(b.keys(&prefix).is_empty(), "{:?}", b.keys(&prefix));

    // Ids too long for a key are hashed; the record still round-trips.
    let long = rec("Product", &"\u{1f4e6}".repeat(200), &"x/".repeat(400), None);
    truth.upsert(&long).unwrap();
    assert_eq!(
        truth
            .find_by_external("Product", &long.external_id)
            .unwrap(),
        Some(long.clone())
    );
    assert_eq!(
        truth
            .find_by_internal("Product", &long.internal_id)
            .unwrap(),
        Some(long.clone())
    );
    assert!(b.keys(&prefix).iter().all(|k| k.contains("~sha256-")));
}

#[test]
fn a_stale_index_entry_is_ignored() {
    let b = bucket("truth-stale");
    let store = store(&b.name, "wf");
    let truth = store.truth().unwrap();
    truth.upsert(&rec("Order", "1", "A", None)).unwrap();
    // As if a run died between writing the new record and cleaning the old index.
    b.put(
        &format!("{CUSTOMER}/wf/truth/ext/Order/A.json"),
        r#"{"kind":"Order","internal_id":"2","external_id":"A","hash":null,"created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z"}"#,
    );
    assert_eq!(truth.find_by_internal("Order", "1").unwrap(), None);
    assert_eq!(
        truth.find_by_external("Order", "A").unwrap(),
        Some(rec("Order", "2", "A", None))
    );
}

#[test]
fn concurrent_upserts_keep_every_index_entry() {
    let b = bucket("truth-race");
    let stores: Vec<_> = (0..8).map(|_| Arc::new(store(&b.name, "wf"))).collect();
    let barrier = Arc::new(Barrier::new(stores.len()));
    let threads: Vec<_> = stores
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (s, barrier) = (s.clone(), barrier.clone());
            std::thread::spawn(move || {
                let truth = s.truth().unwrap();
                barrier.wait();
                truth
                    .upsert(&rec("Invoice", "SAME", &format!("EXT-{i}"), None))
                    .unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let index = b
        .get(&format!("{CUSTOMER}/wf/truth/int/Invoice/SAME.json"))
        .unwrap();
    let index: serde_json::Value = serde_json::from_slice(&index).unwrap();
    let mut ids: Vec<String> = index["external_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    ids.sort();
    assert_eq!(ids, (0..8).map(|i| format!("EXT-{i}")).collect::<Vec<_>>());
    let truth = stores[0].truth().unwrap();
    for i in 0..8 {
        truth.remove("Invoice", &format!("EXT-{i}")).unwrap();
    }
    assert!(b.keys(&format!("{CUSTOMER}/wf/truth/")).is_empty());
}

/// A batch ends as upserting its records one by one would — the same records, ages and index
/// objects — with one index write per index object instead of one per record.
#[test]
fn a_batch_ends_as_one_by_one_in_fewer_requests() {
    let b = bucket("truth-batch");
    let proxy = Proxy::start(moto().port, vec![]);
    let requests = || proxy.counts.connections.load(Ordering::SeqCst);
    let one_by_one = store(&b.name, "one-by-one");
    let batched = store_at(&proxy.endpoint, &b.name, "batched");
    let (one_by_one, batched) = (one_by_one.truth().unwrap(), batched.truth().unwrap());

    // 40 new orders of 4 customers: each index object gains 10 entries in one write.
    let fresh: Vec<_> = (0..40)
        .map(|i| rec("Order", &format!("C{}", i % 4), &format!("WEB-{i}"), None))
        .collect();
    let before = requests();
    batched.upsert_all(&fresh).unwrap();
    assert_eq!(
        requests() - before,
        40 + 4 * 2 + 40,
        "a read of each record, a read and a write of each index object, a write of each record"
    );
    for r in &fresh {
        one_by_one.upsert(r).unwrap();
    }

    // Then a batch that moves a record to another customer, writes one external id twice (the
    // last wins, the first's age stays) and starts two records of a new customer.
    let changes = [
        rec("Order", "C9", "WEB-1", Some("h1")),
        rec("Order", "C8", "NEW-1", None),
        rec("Order", "C8", "NEW-2", None),
        rec("Order", "C7", "NEW-1", Some("h2")),
        rec("Customer", "C1", "WEB-1", None),
    ];
    batched.upsert_all(&changes).unwrap();
    for r in &changes {
        one_by_one.upsert(r).unwrap();
    }

    let mut all = (one_by_one.all().unwrap(), batched.all().unwrap());
    all.0
        .sort_by(|a, b| (&a.kind, &a.external_id).cmp(&(&b.kind, &b.external_id)));
    all.1
        .sort_by(|a, b| (&a.kind, &a.external_id).cmp(&(&b.kind, &b.external_id)));
    assert_eq!(all.0, all.1);
    assert_eq!(all.1.len(), 43);
    for internal in ["C0", "C1", "C2", "C3", "C7", "C8", "C9"] {
        for kind in ["Order", "Customer"] {
            assert_eq!(
                batched.find_by_internal(kind, internal).unwrap(),
                one_by_one.find_by_internal(kind, internal).unwrap(),
                "{kind} {internal}"
            );
        }
    }
    assert_eq!(
        batched
            .find_by_internal("Order", "C1")
            .unwrap()
            .unwrap()
            .external_id,
        "WEB-5",
        "WEB-1 moved away; the oldest left is the first upserted"
    );
    assert_eq!(
        batched
            .find_by_internal("Order", "C8")
            .unwrap()
            .unwrap()
            .external_id,
        "NEW-2"
    );
    // The index objects hold the same entries.
    let index = |workflow: &str| {
        let prefix = format!("{CUSTOMER}/{workflow}/truth/int/");
        b.keys(&prefix)
            .into_iter()
            .map(|key| {
                let text = b.get(&format!("{prefix}{key}")).unwrap();
                let index: serde_json::Value = serde_json::from_slice(&text).unwrap();
                let mut ids: Vec<String> = index["external_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|id| id.as_str().unwrap().to_owned())
                    .collect();
                ids.sort();
                (key, ids)
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(index("one-by-one"), index("batched"));
}
