use super::*;
use wharf_guest::ResultCode;
use wharf_guest::sftp::fake::FakeRemote;

fn settings(pairs: &[(&str, String)]) -> Settings {
    Settings::from_pairs(pairs).unwrap()
}

#[test]
fn lists_into_outputs_and_an_xml_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("files.xml");
    let mut remote = FakeRemote::with_folders(&["/download"]);
    remote.put("/download/a&b.xml", b"<a/>");
    remote.put("/download/c.txt", b"c");
    let r = run(
        &settings(&[
            ("directory", "/download".into()),
            ("search-pattern", "*.xml".into()),
            ("output-file", out.to_string_lossy().into()),
        ]),
        &mut remote,
    );
    assert_eq!(r.code, ResultCode::SuccessData, "{}", r.message);
    assert!(r.outputs.contains(&("count".into(), "1".into())));
    assert!(
        r.outputs
            .contains(&("files".into(), "/download/a&b.xml".into()))
    );
    let xml = std::fs::read_to_string(&out).unwrap();
    assert!(
        xml.contains("<FullName>/download/a&amp;b.xml</FullName>"),
        "{xml}"
    );
    assert!(xml.contains("<Length>4</Length>"), "{xml}");
    assert!(
        xml.contains(r#"<Files Server="sftp.example.test" Directory="/download">"#),
        "{xml}"
    );
}

#[test]
fn an_empty_folder_is_success_no_data() {
    let r = run(
        &settings(&[("directory", "/empty".into())]),
        &mut FakeRemote::with_folders(&["/empty"]),
    );
    assert_eq!(r.code, ResultCode::SuccessNoData, "{}", r.message);
    assert!(r.outputs.contains(&("count".into(), "0".into())));
}

#[test]
fn a_missing_folder_is_not_found() {
    let r = run(
        &settings(&[("directory", "/nope".into())]),
        &mut FakeRemote::with_folders(&[]),
    );
    assert_eq!(r.code, ResultCode::NotFound, "{}", r.message);
}
