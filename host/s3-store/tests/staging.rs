//! Staging the working directory into a local folder and committing it back.

use crate::support::{CUSTOMER, bucket, content, store};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use wharf_engine::storage::Storage;

const BIG: usize = 40 * 1024 * 1024;

/// Relative path → SHA-256 of every file, plus `<dir>/` for every empty folder.
fn tree(root: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let mut empty = true;
        for e in fs::read_dir(dir).unwrap() {
            empty = false;
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, hex::encode(Sha256::digest(fs::read(&p).unwrap())));
            }
        }
        if empty && dir != root {
            out.insert(
                format!("{}/", dir.strip_prefix(root).unwrap().display()),
                String::new(),
            );
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn write(root: &Path, rel: &str, data: &[u8]) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, data).unwrap();
}

#[test]
fn staging_round_trip() {
    let b = bucket("staging");
    let store = store(&b.name, "orders");
    let work = format!("{CUSTOMER}/orders/work/");

    // A first run finds nothing and leaves nested folders, odd names, a big file, an empty folder.
    let staged = store.stage_workdir().unwrap();
    assert!(staged.temporary);
    assert!(tree(&staged.path).is_empty());
    write(&staged.path, "product_export.xml", b"<Company/>");
    write(
        &staged.path,
        "Stock Export/chunk 1 of 2.xml",
        b"<Products>1</Products>",
    );
    write(
        &staged.path,
        "Stock Export/chunk 2 of 2.xml",
        b"<Products>2</Products>",
    );
    write(&staged.path, "a/b/c/deep file.txt", b"deep");
    write(
        &staged.path,
        "caf\u{e9} \u{2615}/men\u{fc}.txt",
        "unicode".as_bytes(),
    );
    write(&staged.path, "empty.txt", b"");
    write(&staged.path, "big/export.bin", &content(BIG, 1));
    fs::create_dir_all(staged.path.join("upload")).unwrap();
    let first = tree(&staged.path);
    store.commit_workdir(&staged).unwrap();
    assert!(
        !staged.path.exists(),
        "the staged folder is removed after commit"
    );

    assert_eq!(
        b.keys(&work),
        vec![
            "Stock Export/chunk 1 of 2.xml",
            "Stock Export/chunk 2 of 2.xml",
            "a/b/c/deep file.txt",
            "big/export.bin",
            "caf\u{e9} \u{2615}/men\u{fc}.txt",
            "empty.txt",
            "product_export.xml",
            "upload/",
        ]
    );
    let big = b.objects(&format!("{work}big/")).remove(0);
    assert_eq!(big.size, BIG as u64);
    assert!(
        big.etag.trim_matches('"').ends_with("-5"),
        "40 MiB in 8 MiB parts: {}",
        big.etag
    );
    assert_eq!(
        b.get(&format!("{work}a/b/c/deep file.txt")).unwrap(),
        b"deep"
    );
    assert_eq!(b.open_uploads(), 0);

    // The next run sees exactly that, changes some of it, and leaves the big file alone.
    let staged = store.stage_workdir().unwrap();
    assert_eq!(tree(&staged.path), first);
    fs::remove_file(staged.path.join("product_export.xml")).unwrap();
    fs::remove_file(staged.path.join("Stock Export/chunk 1 of 2.xml")).unwrap();
    fs::rename(
        staged.path.join("Stock Export/chunk 2 of 2.xml"),
        staged.path.join("upload/2024-01-01_chunk 2 of 2.xml"),
    )
    .unwrap();
    write(&staged.path, "a/b/c/deep file.txt", b"deeper");
    write(&staged.path, "new folder/new file.txt", b"new");
    fs::create_dir_all(staged.path.join("fresh/empty")).unwrap();
    let second = tree(&staged.path);
    store.commit_workdir(&staged).unwrap();

    assert_eq!(
        b.keys(&work),
        vec![
            "Stock Export/",
            "a/b/c/deep file.txt",
            "big/export.bin",
            "caf\u{e9} \u{2615}/men\u{fc}.txt",
            "empty.txt",
            "fresh/empty/",
            "new folder/new file.txt",
            "upload/2024-01-01_chunk 2 of 2.xml",
        ]
    );
    let big_after = b.objects(&format!("{work}big/")).remove(0);
    assert_eq!(
        (big_after.etag.as_str(), big_after.last_modified),
        (big.etag.as_str(), big.last_modified),
        "an unchanged file is not uploaded again"
    );
    assert_eq!(
        b.get(&format!("{work}a/b/c/deep file.txt")).unwrap(),
        b"deeper"
    );

    // A changed big file is uploaded again (multipart), and the tree round-trips once more.
    let staged = store.stage_workdir().unwrap();
    assert_eq!(tree(&staged.path), second);
    let mut changed = content(BIG, 1);
    changed[BIG / 2] ^= 0xff;
    write(&staged.path, "big/export.bin", &changed);
    let third = tree(&staged.path);
    store.commit_workdir(&staged).unwrap();
    let staged = store.stage_workdir().unwrap();
    assert_eq!(tree(&staged.path), third);
    store.commit_workdir(&staged).unwrap();
    assert_eq!(b.open_uploads(), 0);
}

#[test]
fn commit_needs_a_staged_folder_and_keeps_it_on_failure() {
    let b = bucket("commit-fail");
    let store = store(&b.name, "wf");
    let staged = store.stage_workdir().unwrap();
    write(&staged.path, "keep me.txt", b"important");
    let err = crate::support::store(&b.name, "wf")
        .commit_workdir(&staged)
        .unwrap_err()
        .to_string();
    assert!(err.contains("was not staged by this S3 store"), "{err}");

    // The bucket goes away mid-run: the commit fails naming it, and the staged file survives.
    b.delete_bucket();
    let err = store.commit_workdir(&staged).unwrap_err().to_string();
    assert!(
        err.contains("NoSuchBucket") && err.contains(&format!("s3://{}/", b.name)),
        "{err}"
    );
    assert_eq!(
        fs::read(staged.path.join("keep me.txt")).unwrap(),
        b"important"
    );

    // Once it is back, committing the same staged folder again works.
    b.create_bucket();
    store.commit_workdir(&staged).unwrap();
    assert_eq!(
        b.get(&format!("{CUSTOMER}/wf/work/keep me.txt")).unwrap(),
        b"important"
    );
    assert!(!staged.path.exists());

    let err = crate::support::store(&format!("{}-nope", b.name), "wf")
        .stage_workdir()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("NoSuchBucket") && err.contains("-nope/acme/wf/work/"),
        "{err}"
    );
}

#[test]
fn objects_that_cannot_be_paths_are_left_alone() {
    let b = bucket("odd-keys");
    let store = store(&b.name, "wf");
    let work = format!("{CUSTOMER}/wf/work/");
    b.put(&format!("{work}../escape.txt"), "no");
    b.put(&format!("{work}ok.txt"), "yes");
    let staged = store.stage_workdir().unwrap();
    assert_eq!(
        tree(&staged.path).keys().collect::<Vec<_>>(),
        vec!["ok.txt"]
    );
    assert!(!staged.path.parent().unwrap().join("escape.txt").exists());
    fs::remove_file(staged.path.join("ok.txt")).unwrap();
    store.commit_workdir(&staged).unwrap();
    assert_eq!(b.keys(&work), vec!["../escape.txt"]);
}

#[test]
fn a_kept_file_is_stored_before_the_commit_and_the_commit_still_removes_it() {
    let b = bucket("keep-file");
    let store = store(&b.name, "orders");
    let staged = store.stage_workdir().unwrap();
    write(&staged.path, "orders.xml", b"<Orders/>");
    write(&staged.path, ".wharf-archive-journal", b"journal");
    store
        .keep_work_file(&staged.path, ".wharf-archive-journal")
        .unwrap();
    // A run killed now (no commit) leaves the kept file, and only it, for the next run.
    let next = store.stage_workdir().unwrap();
    assert_eq!(
        tree(&next.path).keys().collect::<Vec<_>>(),
        [".wharf-archive-journal"]
    );
    // The run goes on, removes it and commits: it goes, like any staged file removed.
    fs::remove_file(staged.path.join(".wharf-archive-journal")).unwrap();
    store.commit_workdir(&staged).unwrap();
    let after = store.stage_workdir().unwrap();
    assert_eq!(tree(&after.path).keys().collect::<Vec<_>>(), ["orders.xml"]);
    // Only a file of a folder this store staged, by a plain relative path.
    assert!(store.keep_work_file(&after.path, "../escape").is_err());
    assert!(
        store
            .keep_work_file(Path::new("/tmp/not-staged"), "orders.xml")
            .is_err()
    );
}
