use std::{collections::BTreeMap, fs, io::Read, path::Path};

use chrono::TimeZone;
use wharf_guest::ResultCode;

use super::*;

/// An in-memory archive store that behaves like the host's: `store` moves the file away.
#[derive(Default)]
struct FakeStore {
    archives: BTreeMap<String, (Vec<u8>, String)>,
    refuse_store: bool,
    refuse_remove: bool,
    refuse_entries: bool,
    stores: usize,
}

impl FakeStore {
    fn with(names: &[(&str, &str)]) -> Self {
        let mut store = Self::default();
        for (name, created) in names {
            store
                .archives
                .insert((*name).to_owned(), (Vec::new(), (*created).to_owned()));
        }
        store
    }

    fn names(&self) -> Vec<&str> {
        self.archives.keys().map(String::as_str).collect()
    }
}

impl ArchiveStore for FakeStore {
    fn store(&mut self, path: &str, name: &str) -> Result<(), String> {
        self.stores += 1;
        if self.refuse_store {
            return Err("disk full".into());
        }
        let bytes = fs::read(path).map_err(|e| e.to_string())?;
        fs::remove_file(path).map_err(|e| e.to_string())?;
        self.archives
            .insert(name.to_owned(), (bytes, "2024-05-10T12:00:00Z".into()));
        Ok(())
    }

    fn entries(&mut self) -> Result<Vec<ArchiveEntry>, String> {
        if self.refuse_entries {
            return Err("store offline".into());
        }
        Ok(self
            .archives
            .iter()
            .map(|(name, (bytes, created))| ArchiveEntry {
                name: name.clone(),
                size: bytes.len() as u64,
                created: created.clone(),
            })
            .collect())
    }

    fn remove(&mut self, name: &str) -> Result<(), String> {
        if self.refuse_remove {
            return Err("read-only store".into());
        }
        self.archives
            .remove(name)
            .map(|_| ())
            .ok_or("no such archive".into())
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 10, 12, 30, 45).unwrap() + chrono::TimeDelta::milliseconds(123)
}

fn options(folder: &str, housekeeping: Housekeeping) -> Options {
    Options {
        folder: folder.to_owned(),
        housekeeping,
    }
}

/// Runs the task without housekeeping on `root`, at [`now`].
fn archive_now(root: &Path, folder: &str, store: &mut FakeStore) -> TaskResult {
    run(
        root,
        &options(folder, Housekeeping::NotEnabled),
        store,
        now(),
    )
}

fn working_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("orders.xml"), "<Orders/>").unwrap();
    fs::write(dir.path().join("orders_success.xml"), "<Company/>").unwrap();
    fs::create_dir(dir.path().join("Stock Export")).unwrap();
    fs::write(dir.path().join("Stock Export/chunk_1.xml"), "<c/>").unwrap();
    fs::write(dir.path().join(".wharf-state"), "host file").unwrap();
    dir
}

fn entries(zip_bytes: &[u8]) -> BTreeMap<String, String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).unwrap();
    let mut entries = BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        entries.insert(file.name().unwrap().into_owned(), text);
    }
    entries
}

fn remaining(root: &Path) -> Vec<String> {
    let mut names: Vec<_> = fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn zips_the_top_level_files_stores_them_and_removes_them() {
    let dir = working_dir();
    let mut store = FakeStore::default();
    let result = archive_now(dir.path(), "Archive", &mut store);
    assert_eq!(result.code, ResultCode::SuccessData, "{}", result.message);
    let name = "Archive/20240510123045123_archive.zip";
    assert_eq!(
        result.outputs,
        [("archive-path".to_owned(), name.to_owned())]
    );
    assert_eq!(
        (
            result.counts.records_in,
            result.counts.records_out,
            result.counts.records_failed
        ),
        (2, 2, 0)
    );
    assert_eq!(store.names(), [name]);
    let zipped = entries(&store.archives[name].0);
    assert_eq!(
        zipped,
        BTreeMap::from([
            ("orders.xml".to_owned(), "<Orders/>".to_owned()),
            ("orders_success.xml".to_owned(), "<Company/>".to_owned()),
        ])
    );
    // Sub-folders and Wharf's own files stay; no partial zip is left.
    assert_eq!(remaining(dir.path()), [".wharf-state", "Stock Export"]);
    assert!(dir.path().join("Stock Export/chunk_1.xml").exists());
}

#[test]
fn unfinished_zips_of_an_earlier_run_are_cleared() {
    let dir = working_dir();
    fs::write(
        dir.path()
            .join(".wharf-archive-20200101000000000.zip.partial"),
        "junk",
    )
    .unwrap();
    let mut store = FakeStore::default();
    let result = archive_now(dir.path(), "", &mut store);
    assert_eq!(result.code, ResultCode::SuccessData);
    assert_eq!(entries(&store.archives.values().next().unwrap().0).len(), 2);
    assert_eq!(remaining(dir.path()), [".wharf-state", "Stock Export"]);
}

#[test]
fn the_store_root_is_used_without_a_folder() {
    let dir = working_dir();
    let mut store = FakeStore::default();
    let result = archive_now(dir.path(), "", &mut store);
    assert_eq!(store.names(), ["20240510123045123_archive.zip"]);
    assert_eq!(result.outputs[0].1, "20240510123045123_archive.zip");
}

#[test]
fn no_files_means_no_zip() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("Archive")).unwrap();
    let mut store = FakeStore::default();
    let result = archive_now(dir.path(), "Archive", &mut store);
    assert_eq!(result.code, ResultCode::SuccessNoData);
    assert_eq!(store.stores, 0);
    assert_eq!(remaining(dir.path()), ["Archive"]);
}

#[test]
fn a_refused_store_keeps_every_original_and_no_partial() {
    let dir = working_dir();
    let mut store = FakeStore {
        refuse_store: true,
        ..FakeStore::default()
    };
    let result = archive_now(dir.path(), "Archive", &mut store);
    assert_eq!(result.code, ResultCode::Fail);
    assert!(result.message.contains("disk full"), "{}", result.message);
    assert!(
        result.message.contains("all 2 file(s) were kept"),
        "{}",
        result.message
    );
    // The journal stays for the next run to ask the store about; every original is kept.
    assert_eq!(
        remaining(dir.path()),
        [
            JOURNAL_NAME,
            ".wharf-state",
            "Stock Export",
            "orders.xml",
            "orders_success.xml"
        ]
    );

    // The store never took the zip: the next run archives the files once and drops the journal.
    store.refuse_store = false;
    let result = archive_now(dir.path(), "Archive", &mut store);
    assert_eq!(result.code, ResultCode::SuccessData, "{}", result.message);
    assert_eq!(store.archives.len(), 1);
    assert_eq!(entries(&store.archives.values().next().unwrap().0).len(), 2);
    assert_eq!(remaining(dir.path()), [".wharf-state", "Stock Export"]);
}

/// The state a run killed after the store took its zip, before removing the originals, leaves.
fn interrupted_after_storing(root: &Path, store: &mut FakeStore, name: &str) {
    let files = files_to_archive(root).unwrap();
    let partial = root.join(format!("{PARTIAL_PREFIX}1{PARTIAL_SUFFIX}"));
    let zipped = write_zip(&partial, &files).unwrap();
    Journal {
        archive: name.to_owned(),
        files: zipped,
    }
    .write(root)
    .unwrap();
    store.store(&partial.to_string_lossy(), name).unwrap();
}

#[test]
fn a_run_killed_after_storing_is_finished_not_archived_again() {
    let dir = working_dir();
    let mut store = FakeStore::default();
    let earlier = "Archive/20240510000000000_archive.zip";
    interrupted_after_storing(dir.path(), &mut store, earlier);
    // It got as far as removing one original.
    fs::remove_file(dir.path().join("orders.xml")).unwrap();

    let result = archive_now(dir.path(), "Archive", &mut store);
    assert_eq!(result.code, ResultCode::SuccessData, "{}", result.message);
    assert!(
        result.message.contains("interrupted run") && result.message.contains(earlier),
        "{}",
        result.message
    );
    assert_eq!(result.outputs[0].1, earlier);
    assert_eq!(store.names(), [earlier], "no second zip");
    assert_eq!(remaining(dir.path()), [".wharf-state", "Stock Export"]);
}

#[test]
fn a_file_changed_since_the_interrupted_zip_is_archived_again_and_new_files_too() {
    let dir = working_dir();
    let mut store = FakeStore::default();
    let earlier = "Archive/20240510000000000_archive.zip";
    interrupted_after_storing(dir.path(), &mut store, earlier);
    fs::write(dir.path().join("orders.xml"), "<Orders>changed</Orders>").unwrap();
    fs::write(dir.path().join("later.xml"), "<Later/>").unwrap();

    let result = archive_now(dir.path(), "Archive", &mut store);
    assert_eq!(result.code, ResultCode::SuccessData, "{}", result.message);
    let name = "Archive/20240510123045123_archive.zip";
    assert_eq!(store.names(), [earlier, name]);
    assert_eq!(
        entries(&store.archives[name].0),
        BTreeMap::from([
            ("later.xml".to_owned(), "<Later/>".to_owned()),
            (
                "orders.xml".to_owned(),
                "<Orders>changed</Orders>".to_owned()
            ),
        ])
    );
    assert_eq!(remaining(dir.path()), [".wharf-state", "Stock Export"]);
}

#[test]
fn a_store_that_cannot_be_listed_leaves_the_interrupted_run_alone() {
    let dir = working_dir();
    let mut store = FakeStore::default();
    interrupted_after_storing(dir.path(), &mut store, "1_archive.zip");
    store.refuse_entries = true;
    let result = archive_now(dir.path(), "", &mut store);
    assert_eq!(result.code, ResultCode::Fail);
    assert!(
        result.message.contains("1_archive.zip") && result.message.contains("no file was removed"),
        "{}",
        result.message
    );
    assert_eq!(store.archives.len(), 1);
    assert_eq!(
        remaining(dir.path()),
        [
            JOURNAL_NAME,
            ".wharf-state",
            "Stock Export",
            "orders.xml",
            "orders_success.xml"
        ]
    );
}

#[test]
fn journals_round_trip_awkward_names_and_reject_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal {
        archive: "A/1_archive.zip".to_owned(),
        files: vec![journal::JournalFile {
            name: "two\nlines\r\n, a \\n and a space".to_owned(),
            size: 7,
            sha256: "ab".repeat(32),
        }],
    };
    journal.write(dir.path()).unwrap();
    assert_eq!(Journal::read(dir.path()).unwrap(), Some(journal));
    fs::write(dir.path().join(JOURNAL_NAME), "something else").unwrap();
    assert!(Journal::read(dir.path()).is_err());
    // An unreadable journal is dropped: the files are archived (perhaps again), never lost.
    fs::write(dir.path().join("a.txt"), "a").unwrap();
    let mut store = FakeStore::default();
    let result = archive_now(dir.path(), "", &mut store);
    assert_eq!(result.code, ResultCode::SuccessData, "{}", result.message);
    assert!(remaining(dir.path()).is_empty());
}

#[test]
fn large_files_stream_through_the_zip() {
    let dir = tempfile::tempdir().unwrap();
    let data: String = (0..400_000).map(|i| format!("{i:08}\n")).collect();
    fs::write(dir.path().join("big.txt"), &data).unwrap();
    let mut store = FakeStore::default();
    let result = archive_now(dir.path(), "", &mut store);
    assert_eq!(result.code, ResultCode::SuccessData);
    let (bytes, _) = store.archives.values().next().unwrap();
    assert!(bytes.len() < data.len() / 2, "deflated");
    assert_eq!(entries(bytes)["big.txt"], data);
}

#[test]
fn number_of_archives_keeps_the_newest_in_the_folder_only() {
    let dir = working_dir();
    let mut store = FakeStore::with(&[
        (
            "Archive/20240101000000000_archive.zip",
            "2024-01-01T00:00:00Z",
        ),
        (
            "Archive/20240201000000000_archive.zip",
            "2024-02-01T00:00:00Z",
        ),
        (
            "Archive/20240301000000000_archive.zip",
            "2024-03-01T00:00:00Z",
        ),
        ("Archive/notes.txt", "2020-01-01T00:00:00Z"),
        (
            "Archive/Old/20200101000000000_archive.zip",
            "2020-01-01T00:00:00Z",
        ),
        (
            "Other/20200101000000000_archive.zip",
            "2020-01-01T00:00:00Z",
        ),
        ("20200101000000000_archive.zip", "2020-01-01T00:00:00Z"),
    ]);
    let result = run(
        dir.path(),
        &options("Archive", Housekeeping::NumberOfArchives(2)),
        &mut store,
        now(),
    );
    assert_eq!(result.code, ResultCode::SuccessData, "{}", result.message);
    assert!(
        result
            .message
            .ends_with("housekeeping removed 2 older archive(s)")
    );
    assert_eq!(
        store.names(),
        [
            "20200101000000000_archive.zip",
            "Archive/20240301000000000_archive.zip",
            "Archive/20240510123045123_archive.zip",
            "Archive/Old/20200101000000000_archive.zip",
            "Archive/notes.txt",
            "Other/20200101000000000_archive.zip",
        ]
    );
}

#[test]
fn number_of_days_removes_older_archives_and_keeps_undated_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FakeStore::with(&[
        ("a_archive.zip", "2024-04-01T00:00:00Z"),
        ("b_archive.zip", "2024-05-01T00:00:00+02:00"),
        ("c_archive.zip", "2024-04-09T12:00:00"),
        ("d_archive.zip", "yesterday"),
    ]);
    // No files: housekeeping still runs.
    let result = run(
        dir.path(),
        &options("", Housekeeping::NumberOfDays(30)),
        &mut store,
        now(),
    );
    assert_eq!(result.code, ResultCode::SuccessNoData, "{}", result.message);
    assert_eq!(store.names(), ["b_archive.zip", "d_archive.zip"]);
}

#[test]
fn the_current_archive_survives_any_policy() {
    let dir = working_dir();
    let mut store = FakeStore::default();
    let result = run(
        dir.path(),
        &options("", Housekeeping::NumberOfDays(0)),
        &mut store,
        now(),
    );
    assert_eq!(result.code, ResultCode::SuccessData);
    assert_eq!(store.names(), ["20240510123045123_archive.zip"]);
}

#[test]
fn failed_housekeeping_fails_the_task_after_archiving() {
    let dir = working_dir();
    let mut store = FakeStore {
        refuse_remove: true,
        ..FakeStore::with(&[(
            "Archive/20200101000000000_archive.zip",
            "2020-01-01T00:00:00Z",
        )])
    };
    let result = run(
        dir.path(),
        &options("Archive", Housekeeping::NumberOfArchives(1)),
        &mut store,
        now(),
    );
    assert_eq!(result.code, ResultCode::Fail);
    assert!(
        result.message.starts_with("archived 2 file(s)"),
        "{}",
        result.message
    );
    assert!(
        result.message.contains("housekeeping failed"),
        "{}",
        result.message
    );
    assert_eq!(result.outputs[0].1, "Archive/20240510123045123_archive.zip");
}

fn settings(pairs: &[(&str, &str)]) -> ArchiveSettings {
    ArchiveSettings::from_pairs(pairs).unwrap()
}

#[test]
fn settings_are_read_and_checked() {
    assert_eq!(
        Options::from_settings(&settings(&[])).unwrap(),
        options("", Housekeeping::NotEnabled)
    );
    assert_eq!(
        Options::from_settings(&settings(&[
            ("archive-folder", "\\Archive\\Orders\\"),
            ("housekeeping-type", "NumberOfDays"),
        ]))
        .unwrap(),
        options("Archive/Orders", Housekeeping::NumberOfDays(30))
    );
    assert_eq!(
        Options::from_settings(&settings(&[
            ("housekeeping-type", "NumberOfArchives"),
            ("housekeeping-number", "5"),
        ]))
        .unwrap()
        .housekeeping,
        Housekeeping::NumberOfArchives(5)
    );
    let error = Options::from_settings(&settings(&[("archive-folder", "../outside")])).unwrap_err();
    assert_eq!(error.name, "archive-folder");
    let error = Options::from_settings(&settings(&[
        ("housekeeping-type", "NumberOfArchives"),
        ("housekeeping-number", "0"),
    ]))
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "setting `housekeeping-number`: must be at least 1 for NumberOfArchives, got 0"
    );
    let error = ArchiveSettings::from_pairs(&[("housekeeping-type", "Weekly")]).unwrap_err();
    assert_eq!(error.name, "housekeeping-type");
    let error = ArchiveSettings::from_pairs(&[("housekeeping-number", "-1")]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "setting `housekeeping-number`: must be 0 to 4294967295, got -1"
    );
}

#[test]
fn describe_asks_for_the_archive_capability() {
    let info = wharf_guest::testing::describe::<ArchiveWorkflowData>();
    assert_eq!(info.capabilities, ["archive"]);
    let names: Vec<_> = info.settings.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["archive-folder", "housekeeping-type", "housekeeping-number"]
    );
}
