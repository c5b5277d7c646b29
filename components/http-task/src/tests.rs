use super::*;

use wharf_guest::http::fake::FakeWeb;

fn settings(pairs: &[(&str, String)]) -> HttpSettings {
    HttpSettings::from_pairs(pairs).unwrap()
}

#[test]
fn gets_into_the_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("download.xml");
    let mut web = FakeWeb::answering(200, b"<Company/>");
    let r = run(
        &settings(&[
            ("url", "download.php".into()),
            ("output-file", out.to_string_lossy().into()),
        ]),
        &mut web,
    );
    assert_eq!(r.code, ResultCode::Success, "{}", r.message);
    assert_eq!(std::fs::read(&out).unwrap(), b"<Company/>");
    assert!(r.outputs.contains(&("status".into(), "200".into())));
    let sent = &web.sent[0];
    assert_eq!(sent.method, "GET");
    assert_eq!(sent.url, "download.php");
    assert_eq!(sent.timeout_seconds, Some(120));
    assert_eq!(sent.retries, Some(1));
    assert!(matches!(sent.body, RequestBody::None));
    assert!(
        sent.headers
            .iter()
            .any(|h| h.name == "User-Agent" && h.value == "Wharf")
    );
}

#[test]
fn input_is_a_file_when_one_exists_else_text() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("success.xml");
    std::fs::write(&file, "  <Success/>").unwrap();
    let mut web = FakeWeb::answering(200, b"ok");
    let r = run(
        &settings(&[
            ("url", "notify.php".into()),
            ("method", "POST".into()),
            ("input", file.to_string_lossy().into()),
        ]),
        &mut web,
    );
    assert_eq!(r.code, ResultCode::Success, "{}", r.message);
    let sent = web.sent.pop().unwrap();
    assert!(matches!(&sent.body, RequestBody::File(p) if Path::new(p) == file));
    assert!(
        sent.headers
            .iter()
            .any(|h| h.name == "Content-Type" && h.value == "text/xml; charset=utf-8"),
        "{:?}",
        sent.headers
    );
    let r = run(
        &settings(&[
            ("url", "notify.php".into()),
            ("method", "POST".into()),
            ("input", "plain words".into()),
            (
                "header-values",
                "Content-Type: application/json\nSOAPAction: x".into(),
            ),
        ]),
        &mut web,
    );
    assert_eq!(r.code, ResultCode::Success, "{}", r.message);
    let sent = web.sent.pop().unwrap();
    assert!(matches!(&sent.body, RequestBody::Text(t) if t == "plain words"));
    let types: Vec<_> = sent
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("content-type"))
        .collect();
    assert_eq!(types.len(), 1, "the task's own content type wins");
    assert!(sent.headers.iter().any(|h| h.name == "SOAPAction"));
}

#[test]
fn form_values_and_bad_lines() {
    let mut web = FakeWeb::answering(200, b"");
    let r = run(
        &settings(&[
            ("url", "x".into()),
            ("method", "POST".into()),
            ("form-values", "a=1\n\nb = two=2\n".into()),
        ]),
        &mut web,
    );
    assert_eq!(r.code, ResultCode::Success, "{}", r.message);
    match &web.sent[0].body {
        RequestBody::Form(v) => {
            assert_eq!(v, &[("a".into(), "1".into()), ("b".into(), "two=2".into())])
        }
        other => panic!("{other:?}"),
    }
    let r =
        wharf_guest::testing::run::<HttpTask, _, _>(&[("url", "x"), ("header-values", "no colon")]);
    assert_eq!(r.code, ResultCode::Fail);
    assert_eq!(
        r.message,
        "setting `header-values`: line 1 is not `name:value`"
    );
}

#[test]
fn statuses_map_to_result_codes_with_the_body_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("answer.txt");
    for (status, code) in [
        (401, ResultCode::NotAuthorised),
        (403, ResultCode::NotAuthorised),
        (404, ResultCode::NotFound),
        (500, ResultCode::Fail),
        (302, ResultCode::Fail),
    ] {
        let mut web = FakeWeb::answering(status, b"\n  Database is down\nstack trace\n");
        let r = run(
            &settings(&[
                ("url", "upload.php".into()),
                ("output-file", out.to_string_lossy().into()),
            ]),
            &mut web,
        );
        assert_eq!(r.code, code, "{status}: {}", r.message);
        assert!(r.message.contains(&status.to_string()), "{}", r.message);
        if status != 302 {
            assert!(r.message.ends_with(": Database is down"), "{}", r.message);
        } else {
            assert!(r.message.contains("not followed"), "{}", r.message);
        }
        assert!(
            std::fs::read_to_string(&out)
                .unwrap()
                .contains("stack trace")
        );
    }
}

#[test]
fn a_failure_without_an_answer_fails_with_the_hosts_message() {
    let mut web = FakeWeb::answering(200, b"");
    web.failure = Some(HttpFailure {
        kind: FailureKind::NotPermitted,
        message: "GET http://evil/ (http `shop`): outside the origin".into(),
    });
    let r = run(&settings(&[("url", "http://evil/".into())]), &mut web);
    assert_eq!(r.code, ResultCode::Fail);
    assert!(r.message.contains("outside the origin"), "{}", r.message);
}

#[test]
fn other_encodings_are_sent_as_files_and_answers_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("answer.txt");
    let mut web = FakeWeb::answering(200, &[0x63, 0x61, 0x66, 0xE9])
        .with_header("Content-Type", "text/plain; charset=ISO-8859-1");
    let r = run(
        &settings(&[
            ("url", "x".into()),
            ("method", "POST".into()),
            ("contents-field", "Ab€".into()),
            ("encoding-type", "Unicode".into()),
            ("output-file", out.to_string_lossy().into()),
        ]),
        &mut web,
    );
    assert_eq!(r.code, ResultCode::Success, "{}", r.message);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "café");
    assert!(matches!(&web.sent[0].body, RequestBody::File(_)));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "the encoded body file is removed");
    assert_eq!(encode("Ab€", "Unicode"), [0x41, 0, 0x62, 0, 0xAC, 0x20]);
    assert_eq!(encode("Ab€", "ASCII"), b"Ab?");
}

#[test]
fn first_lines_are_short() {
    assert_eq!(first_line(b""), "");
    let long = "x".repeat(500);
    assert_eq!(
        first_line(long.as_bytes()).chars().count(),
        QUOTED_LINE_CHARS + 1
    );
}

#[test]
fn the_content_type_looks_past_white_space_and_a_bom_within_64_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let start = |bytes: &[u8]| {
        let path = dir.path().join("body");
        std::fs::write(&path, bytes).unwrap();
        file_start(std::fs::File::open(&path)).unwrap()
    };
    let kind = |bytes: &[u8]| content_type(&start(bytes), "UTF8").value;
    assert_eq!(kind(b"<Product/>"), "text/xml; charset=utf-8");
    assert_eq!(
        kind(b"\xEF\xBB\xBF\r\n  <Product/>"),
        "text/xml; charset=utf-8"
    );
    assert_eq!(kind(b"Sku,Qty\n"), "text/plain; charset=utf-8");
    assert_eq!(kind(b""), "text/plain; charset=utf-8");
    // Only the first 64 bytes count, as before.
    let mut late = vec![b' '; 63];
    late.push(b'<');
    assert_eq!(kind(&late), "text/xml; charset=utf-8");
    late.insert(0, b' ');
    assert_eq!(kind(&late), "text/plain; charset=utf-8");
    // A short file is read whole, a long one up to 64 bytes.
    assert_eq!(start(b"<a/>"), b"<a/>");
    assert_eq!(start(&[b'x'; 100]).len(), 64);
    // An input that cannot be read is the task's error.
    assert!(file_start(Err(std::io::Error::other("gone"))).is_err());
}

#[test]
fn an_input_naming_a_folder_is_text_and_an_empty_file_is_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("in");
    std::fs::create_dir(&folder).unwrap();
    let empty = dir.path().join("empty.xml");
    std::fs::write(&empty, "").unwrap();
    let mut web = FakeWeb::answering(200, b"ok");
    let post = |input: &Path, web: &mut FakeWeb| {
        let r = run(
            &settings(&[
                ("url", "notify.php".into()),
                ("method", "POST".into()),
                ("input", input.to_string_lossy().into()),
            ]),
            web,
        );
        assert_eq!(r.code, ResultCode::Success, "{}", r.message);
        web.sent.pop().unwrap().body
    };
    let text = folder.to_string_lossy().into_owned();
    assert!(matches!(post(&folder, &mut web), RequestBody::Text(t) if t == text));
    assert!(matches!(post(&empty, &mut web), RequestBody::File(p) if Path::new(&p) == empty));
}
