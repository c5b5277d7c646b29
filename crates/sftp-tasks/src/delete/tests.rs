use super::*;
use wharf_guest::ResultCode;
use wharf_guest::sftp::fake::FakeRemote;

fn settings(pairs: &[(&str, &str)]) -> Settings {
    Settings::from_pairs(pairs).unwrap()
}

#[test]
fn deletes_a_remote_file() {
    let mut remote = FakeRemote::with_folders(&["/upload"]);
    remote.put("/upload/a.xml", b"a");
    let r = run(
        &settings(&[("directory", "/upload"), ("filename", "a.xml")]),
        &mut remote,
    );
    assert_eq!(r.code, ResultCode::Success, "{}", r.message);
    assert!(remote.files.is_empty());
}

#[test]
fn a_missing_file_is_not_found_unless_ignored() {
    let mut remote = FakeRemote::with_folders(&["/upload"]);
    let r = run(
        &settings(&[("directory", "/upload"), ("filename", "a.xml")]),
        &mut remote,
    );
    assert_eq!(r.code, ResultCode::NotFound, "{}", r.message);
    let r = run(
        &settings(&[
            ("directory", "/upload"),
            ("filename", "a.xml"),
            ("ignore-missing", "true"),
        ]),
        &mut remote,
    );
    assert_eq!(r.code, ResultCode::SuccessNoData, "{}", r.message);
}
