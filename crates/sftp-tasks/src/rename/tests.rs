use super::*;
use std::time::Duration;
use wharf_guest::ResultCode;
use wharf_guest::sftp::fake::FakeRemote;

fn settings(pairs: &[(&str, &str)]) -> Settings {
    Settings::from_pairs(pairs).unwrap()
}

/// 2013-05-10 16:27:21 UTC, the tutorial's example.
fn at() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_368_203_241)
}

fn server() -> FakeRemote {
    let mut remote = FakeRemote::with_folders(&["/download", "/download/processed"]);
    remote.put("/download/orders.xml", b"<o/>");
    remote
}

#[test]
fn moves_a_file_with_a_timestamp_on_its_name_only() {
    let mut remote = server();
    let r = run(
        &settings(&[
            ("directory", "/download"),
            ("filename", "orders.xml"),
            ("output-file", "/download/processed/orders.xml"),
            ("prepend-timestamp", "true"),
        ]),
        &mut remote,
        at(),
    );
    assert_eq!(r.code, ResultCode::Success, "{}", r.message);
    let keys: Vec<&String> = remote.files.keys().collect();
    assert_eq!(keys, ["/download/processed/2013-05-10_16-27-21_orders.xml"]);
}

#[test]
fn renames_in_place_and_honours_the_timestamp_format() {
    let mut remote = server();
    let r = run(
        &settings(&[
            ("directory", "/download"),
            ("filename", "orders.xml"),
            ("output-file", "done.xml"),
            ("prepend-timestamp", "true"),
            ("timestamp-format", "yyyyMMddHHmmss"),
        ]),
        &mut remote,
        at(),
    );
    assert_eq!(r.code, ResultCode::Success, "{}", r.message);
    assert!(
        remote
            .files
            .contains_key("/download/20130510162721_done.xml")
    );
}

#[test]
fn a_missing_source_or_target_folder_is_not_found() {
    let mut remote = server();
    let r = run(
        &settings(&[
            ("directory", "/download"),
            ("filename", "other.xml"),
            ("output-file", "/download/processed/other.xml"),
        ]),
        &mut remote,
        at(),
    );
    assert_eq!(r.code, ResultCode::NotFound, "{}", r.message);
    let r = run(
        &settings(&[
            ("directory", "/download"),
            ("filename", "orders.xml"),
            ("output-file", "/archive/orders.xml"),
        ]),
        &mut remote,
        at(),
    );
    assert_eq!(r.code, ResultCode::NotFound, "{}", r.message);
    assert!(
        remote.files.contains_key("/download/orders.xml"),
        "nothing moved"
    );
}

#[test]
fn an_existing_target_is_kept_without_overwrite() {
    let mut remote = server();
    remote.put("/download/processed/orders.xml", b"earlier");
    let r = run(
        &settings(&[
            ("directory", "/download"),
            ("filename", "orders.xml"),
            ("output-file", "/download/processed/orders.xml"),
            ("overwrite", "false"),
        ]),
        &mut remote,
        at(),
    );
    assert_eq!(r.code, ResultCode::Fail, "{}", r.message);
    assert_eq!(remote.files["/download/processed/orders.xml"], b"earlier");
}

#[test]
fn targets() {
    assert_eq!(target("/download", "a.xml", None), "/download/a.xml");
    assert_eq!(target("/download", "/p/a.xml", Some("T")), "/p/T_a.xml");
    assert_eq!(target("", "a.xml", Some("T")), "T_a.xml");
}
