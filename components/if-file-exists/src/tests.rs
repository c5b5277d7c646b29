use std::fs;

use wharf_guest::ResultCode;

use super::*;

#[test]
fn missing_file_is_false_and_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("success.xml");
    assert!(!file_meets(&path, ANY_LENGTH).unwrap());
    assert!(!file_meets(&path, 0).unwrap());
    assert!(!path.exists());
}

#[test]
fn any_length_ignores_the_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.xml");
    fs::write(&path, b"").unwrap();
    assert!(file_meets(&path, ANY_LENGTH).unwrap());
}

#[test]
fn minimum_length_is_inclusive() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.xml");
    fs::write(&path, vec![b'x'; 600]).unwrap();
    assert!(file_meets(&path, 599).unwrap());
    assert!(file_meets(&path, 600).unwrap());
    assert!(!file_meets(&path, 601).unwrap());
    assert!(file_meets(&path, 0).unwrap());
}

#[test]
fn a_folder_is_not_a_file() {
    let dir = tempfile::tempdir().unwrap();
    assert!(!file_meets(dir.path(), ANY_LENGTH).unwrap());
}

fn evaluate(pairs: &[(&str, &str)]) -> Result<bool, wharf_guest::Failure> {
    wharf_guest::testing::evaluate::<IfFileExists, _, _>(pairs)
}

#[test]
fn evaluate_uses_the_default_minimum() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.xml");
    fs::write(&path, b"").unwrap();
    let path = path.to_str().unwrap();
    assert!(evaluate(&[("input-file", path)]).unwrap());
    assert!(!evaluate(&[("input-file", path), ("minimum-length", "1")]).unwrap());
}

#[test]
fn bad_settings_fail_naming_the_setting() {
    let error = evaluate(&[("input-file", "/x"), ("minimum-length", "abc")]).unwrap_err();
    assert_eq!(error.code, ResultCode::Fail);
    assert_eq!(
        error.message,
        "setting `minimum-length`: expected a whole number, got `abc`"
    );
    let error = evaluate(&[("input-file", "/x"), ("minimum-length", "-2")]).unwrap_err();
    assert_eq!(
        error.message,
        "setting `minimum-length`: must be at least -1, got -2"
    );
    let error = evaluate(&[("minimum-length", "1")]).unwrap_err();
    assert_eq!(
        error.message,
        "setting `input-file`: required but not given"
    );
}

#[test]
fn describe_declares_the_settings() {
    let info = wharf_guest::testing::describe_condition::<IfFileExists>();
    assert_eq!(info.name, "if-file-exists");
    let names: Vec<_> = info.settings.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["input-file", "minimum-length"]);
    assert!(info.settings[0].required);
    assert_eq!(info.settings[1].default_value.as_deref(), Some("-1"));
}
