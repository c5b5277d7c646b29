//! The archive: store (multipart when large), list, remove.

use crate::support::{CUSTOMER, bucket, content, store};
use std::fs;
use wharf_engine::storage::{Storage, StorageError};

#[test]
fn archive_store_list_remove() {
    let b = bucket("archive");
    let store = store(&b.name, "wf");
    let dir = tempfile::tempdir().unwrap();
    let prefix = format!("{CUSTOMER}/wf/archive/");

    let big = dir.path().join("big.zip");
    let big_data = content(20 * 1024 * 1024 + 123, 7);
    fs::write(&big, &big_data).unwrap();
    store
        .archive_store(&big, "Archive/20240101120000000_archive.zip")
        .unwrap();
    assert!(
        !big.exists(),
        "the local file goes once the archive is durable"
    );

    let small = dir.path().join("small.zip");
    fs::write(&small, b"zipdata").unwrap();
    store
        .archive_store(&small, "20240102_archive 2.zip")
        .unwrap();
    assert!(!small.exists());

    let list = store.archive_list().unwrap();
    let names: Vec<(&str, u64)> = list.iter().map(|e| (e.name.as_str(), e.size)).collect();
    assert_eq!(
        names,
        vec![
            ("20240102_archive 2.zip", 7),
            (
                "Archive/20240101120000000_archive.zip",
                big_data.len() as u64
            ),
        ]
    );
    let age = chrono::Utc::now() - list[0].created;
    assert!(
        age < chrono::Duration::minutes(5) && age > chrono::Duration::minutes(-5),
        "{:?}",
        list[0].created
    );
    assert_eq!(
        b.get(&format!("{prefix}Archive/20240101120000000_archive.zip"))
            .unwrap(),
        big_data
    );
    let big_etag = b.objects(&format!("{prefix}Archive/")).remove(0).etag;
    assert!(
        big_etag.trim_matches('"').ends_with("-3"),
        "20 MiB in 8 MiB parts: {big_etag}"
    );

    // An archive is never overwritten, and the file that would have replaced it stays.
    fs::write(&small, b"other").unwrap();
    let err = store
        .archive_store(&small, "20240102_archive 2.zip")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("already exists") && err.contains(&b.name),
        "{err}"
    );
    assert!(small.exists());
    assert_eq!(
        b.get(&format!("{prefix}20240102_archive 2.zip")).unwrap(),
        b"zipdata"
    );

    for bad in ["../evil.zip", "/abs.zip", "a//b.zip", "a\\b.zip"] {
        assert!(
            matches!(
                store.archive_store(&small, bad),
                Err(StorageError::BadArchiveName(_))
            ),
            "{bad}"
        );
        assert!(
            matches!(
                store.archive_remove(bad),
                Err(StorageError::BadArchiveName(_))
            ),
            "{bad}"
        );
    }

    store
        .archive_remove("Archive/20240101120000000_archive.zip")
        .unwrap();
    let names: Vec<String> = store
        .archive_list()
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, vec!["20240102_archive 2.zip"]);
    let err = store
        .archive_remove("Archive/20240101120000000_archive.zip")
        .unwrap_err()
        .to_string();
    assert!(err.contains("removing archive s3://"), "{err}");

    let missing = dir.path().join("missing.zip");
    let err = store
        .archive_store(&missing, "x.zip")
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing.zip"), "{err}");
    assert_eq!(b.open_uploads(), 0);
}
