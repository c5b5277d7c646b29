use super::*;
use wharf_guest::ResultCode;
use wharf_guest::sftp::fake::FakeRemote;

fn settings(pairs: &[(&str, String)]) -> Settings {
    Settings::from_pairs(pairs).unwrap()
}

#[test]
fn downloads_a_remote_file_replacing_the_local_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a.xml");
    std::fs::write(&out, "old").unwrap();
    let mut remote = FakeRemote::with_folders(&["/download"]);
    remote.put("/download/a.xml", b"<order/>");
    let r = run(
        &settings(&[
            ("directory", "/download".into()),
            ("filename", "a.xml".into()),
            ("output-file", out.to_string_lossy().into()),
        ]),
        &mut remote,
    );
    assert_eq!(r.code, ResultCode::Success, "{}", r.message);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "<order/>");
    assert!(r.outputs.contains(&("bytes".into(), "8".into())));
    assert!(
        remote.files.contains_key("/download/a.xml"),
        "the remote file stays"
    );
}

#[test]
fn a_missing_remote_file_is_not_found_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a.xml");
    let mut remote = FakeRemote::with_folders(&["/download"]);
    let r = run(
        &settings(&[
            ("directory", "/download".into()),
            ("filename", "a.xml".into()),
            ("output-file", out.to_string_lossy().into()),
        ]),
        &mut remote,
    );
    assert_eq!(r.code, ResultCode::NotFound, "{}", r.message);
    assert!(r.message.contains("/download/a.xml"), "{}", r.message);
    assert!(!out.exists());
}

#[test]
fn a_missing_setting_is_named() {
    let error = Settings::from_pairs(&[("directory", "/download")]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "setting `filename`: required but not given"
    );
}

#[test]
fn check_exists_only_downloads_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a.xml");
    let mut remote = FakeRemote::with_folders(&["/download"]);
    remote.put("/download/a.xml", b"<order/>");
    let pairs = |name: &str| {
        vec![
            ("directory", "/download".to_string()),
            ("filename", name.to_string()),
            ("output-file", out.to_string_lossy().into_owned()),
            ("check-exists-only", "true".to_string()),
        ]
    };
    let r = run(&settings(&pairs("a.xml")), &mut remote);
    assert_eq!(r.code, ResultCode::Success, "{}", r.message);
    assert!(!out.exists(), "nothing downloaded");
    let r = run(&settings(&pairs("b.xml")), &mut remote);
    assert_eq!(r.code, ResultCode::NotFound, "{}", r.message);
    assert!(r.message.contains("/download/b.xml"), "{}", r.message);
    // A folder is not the file.
    let r = run(&settings(&pairs("/download")), &mut remote);
    assert_eq!(r.code, ResultCode::NotFound);
}

#[test]
fn a_missing_local_folder_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("inbox/today/a.xml");
    let mut remote = FakeRemote::with_folders(&["/download"]);
    remote.put("/download/a.xml", b"<order/>");
    let r = run(
        &settings(&[
            ("directory", "/download".into()),
            ("filename", "a.xml".into()),
            ("output-file", out.to_string_lossy().into()),
        ]),
        &mut remote,
    );
    assert_eq!(r.code, ResultCode::Success, "{}", r.message);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "<order/>");
}
