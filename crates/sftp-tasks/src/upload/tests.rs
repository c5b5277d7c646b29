use super::*;
use wharf_guest::ResultCode;
use wharf_guest::sftp::fake::FakeRemote;

fn settings(pairs: &[(&str, String)]) -> Settings {
    Settings::from_pairs(pairs).unwrap()
}

fn local(dir: &tempfile::TempDir) -> String {
    let path = dir.path().join("products.xml");
    std::fs::write(&path, "<Company/>").unwrap();
    path.to_string_lossy().into()
}

#[test]
fn uploads_under_the_local_name_or_the_given_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut remote = FakeRemote::with_folders(&["/upload"]);
    let r = run(
        &settings(&[("directory", "/upload".into()), ("input-file", local(&dir))]),
        &mut remote,
    );
    assert_eq!(r.code, ResultCode::Success, "{}", r.message);
    assert_eq!(remote.files["/upload/products.xml"], b"<Company/>");
    let r = run(
        &settings(&[
            ("directory", "/upload".into()),
            ("input-file", local(&dir)),
            ("output-file", "stock_2013-05-10.xml".into()),
        ]),
        &mut remote,
    );
    assert_eq!(r.code, ResultCode::Success, "{}", r.message);
    assert!(remote.files.contains_key("/upload/stock_2013-05-10.xml"));
}

#[test]
fn an_existing_remote_file_is_replaced_only_with_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let mut remote = FakeRemote::with_folders(&["/upload"]);
    remote.put("/upload/products.xml", b"old");
    let r = run(
        &settings(&[("directory", "/upload".into()), ("input-file", local(&dir))]),
        &mut remote,
    );
    assert_eq!(r.code, ResultCode::Fail, "{}", r.message);
    assert_eq!(remote.files["/upload/products.xml"], b"old");
    let r = run(
        &settings(&[
            ("directory", "/upload".into()),
            ("input-file", local(&dir)),
            ("overwrite-file", "true".into()),
        ]),
        &mut remote,
    );
    assert_eq!(r.code, ResultCode::Success, "{}", r.message);
    assert_eq!(remote.files["/upload/products.xml"], b"<Company/>");
}

#[test]
fn a_missing_local_file_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &settings(&[
            ("directory", "/upload".into()),
            (
                "input-file",
                dir.path().join("none.xml").to_string_lossy().into(),
            ),
        ]),
        &mut FakeRemote::with_folders(&["/upload"]),
    );
    assert_eq!(r.code, ResultCode::NotFound);
    assert!(r.message.contains("input-file"), "{}", r.message);
}
