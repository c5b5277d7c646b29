use super::*;
use crate::{FailureKind, SftpFailure};
use wharf_guest::ResultCode;
use wharf_guest::TaskSettings;
use wharf_guest::sftp::fake::FakeRemote;

fn settings(pairs: &[(&str, &str)]) -> ListingSettings {
    ListingSettings::from_pairs(pairs).unwrap()
}

fn value<'a>(item: &'a CurrentItem, name: &str) -> &'a str {
    &item.iter().find(|(k, _)| k == name).unwrap().1
}

fn server() -> FakeRemote {
    let mut remote = FakeRemote::with_folders(&["/download", "/download/processed"]);
    remote.put("/download/b.XML", b"<b/>");
    remote.put("/download/a.xml", b"<a/>");
    remote.put("/download/notes.txt", b"n");
    remote.put("/download/.c.xml.wharf-partial", b"partial");
    remote.put("/download/processed/old.xml", b"<old/>");
    remote
}

#[test]
fn yields_matching_files_with_their_current_variables() {
    let items = items(
        &settings(&[("directory", "/download"), ("search-pattern", "*.xml")]),
        &mut server(),
    )
    .unwrap();
    let names: Vec<&str> = items.iter().map(|i| value(i, "Name")).collect();
    assert_eq!(
        names,
        ["a.xml", "b.XML"],
        "files only, wildcard ignores case, sorted"
    );
    let a = &items[0];
    assert_eq!(value(a, "FullName"), "/download/a.xml");
    assert_eq!(value(a, "Directory"), "/download");
    assert_eq!(value(a, "NameWithoutExtension"), "a");
    assert_eq!(value(a, "Extension"), ".xml");
    assert_eq!(value(a, "Server"), "sftp.example.test");
    assert_eq!(value(a, "Length"), "4");
    assert_eq!(value(a, "LastWriteTime"), "2013-05-10T16:27:21Z");
}

#[test]
fn lists_sub_folders_only_when_asked() {
    let all = items(
        &settings(&[("directory", "/download"), ("list-recursively", "true")]),
        &mut server(),
    )
    .unwrap();
    let full: Vec<&str> = all.iter().map(|i| value(i, "FullName")).collect();
    assert_eq!(
        full,
        [
            "/download/a.xml",
            "/download/b.XML",
            "/download/notes.txt",
            "/download/processed/old.xml"
        ]
    );
}

#[test]
fn an_empty_folder_gives_no_items() {
    let mut remote = FakeRemote::with_folders(&["/empty"]);
    assert!(
        items(&settings(&[("directory", "/empty")]), &mut remote)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_missing_folder_is_not_found() {
    let e = items(&settings(&[("directory", "/nope")]), &mut server()).unwrap_err();
    assert_eq!(e.code, ResultCode::NotFound);
    assert!(e.message.contains("/nope"), "{}", e.message);
}

#[test]
fn refused_credentials_are_not_authorised() {
    let mut remote = server();
    remote.fail_next = Some(SftpFailure {
        kind: FailureKind::NotAuthorised,
        message: "sftp `shop`: the server refused the password".into(),
    });
    let e = items(&settings(&[("directory", "/download")]), &mut remote).unwrap_err();
    assert_eq!(e.code, ResultCode::NotAuthorised);
}

#[test]
fn a_bad_wildcard_names_the_setting() {
    let e = items(
        &settings(&[("directory", "/download"), ("search-pattern", "a/*.xml")]),
        &mut server(),
    )
    .unwrap_err();
    assert!(e.message.contains("search-pattern"), "{}", e.message);
}
