use std::fs;

use wharf_guest::ResultCode;

use super::*;

#[test]
fn deletes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chunk_1.xml");
    fs::write(&path, b"<a/>").unwrap();
    let result = delete(&path);
    assert_eq!(result.code, ResultCode::Success, "{}", result.message);
    assert!(!path.exists());
}

#[test]
fn missing_file_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let result = delete(&dir.path().join("nope.xml"));
    assert_eq!(result.code, ResultCode::NotFound);
    assert!(result.message.contains("nope.xml"));
    assert!(result.message.contains("input-file"));
}

#[test]
fn folders_are_not_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    fs::create_dir(&sub).unwrap();
    let result = delete(&sub);
    assert_eq!(result.code, ResultCode::Fail);
    assert!(sub.exists());
}

#[test]
fn run_reports_bad_settings() {
    let result = wharf_guest::testing::run::<DeleteFile, _, _>(&[("input-file", "relative.xml")]);
    assert_eq!(result.code, ResultCode::Fail);
    assert!(result.message.starts_with("setting `input-file`"));
    let result = wharf_guest::testing::run::<DeleteFile, &str, &str>(&[]);
    assert_eq!(result.code, ResultCode::Fail);
}
