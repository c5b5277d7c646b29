use super::*;
use wharf_guest::email::fake::FakeMailer;
use wharf_guest::testing;

fn settings(pairs: &[(&str, &str)]) -> SendEmailSettings {
    SendEmailSettings::from_pairs(pairs).unwrap()
}

fn basic<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut pairs = vec![
        ("to", "ops@example.co.uk; Bo <bo@example.co.uk>"),
        ("subject", "Daily orders"),
        ("body", "Hello"),
    ];
    pairs.extend_from_slice(extra);
    pairs
}

fn send(pairs: &[(&str, &str)], root: &Path) -> (Result<TaskResult, TaskError>, FakeMailer) {
    let mut mailer = FakeMailer::default();
    let result = run(&settings(pairs), root, &mut mailer);
    (result, mailer)
}

#[test]
fn describes_every_setting_and_needs_the_email_capability() {
    let info = testing::describe::<SendEmail>();
    assert_eq!(info.name, "send-email");
    assert_eq!(info.capabilities, ["email"]);
    let names: Vec<&str> = info.settings.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "to",
            "cc",
            "bcc",
            "from",
            "reply-to",
            "subject",
            "body",
            "body-file",
            "html-body",
            "text-body",
            "attachments",
            "attachment-list"
        ]
    );
}

#[test]
fn sends_a_text_message_to_every_list() {
    let dir = tempfile::tempdir().unwrap();
    let (result, mailer) = send(
        &basic(&[
            ("cc", "cc@example.co.uk"),
            ("bcc", "audit@example.co.uk"),
            ("reply-to", "help@example.co.uk"),
            ("from", "Shop <shop@example.co.uk>"),
        ]),
        dir.path(),
    );
    let result = result.unwrap();
    assert_eq!(result.code, ResultCode::Success, "{}", result.message);
    let m = &mailer.sent[0];
    assert_eq!(m.to, ["ops@example.co.uk; Bo <bo@example.co.uk>"]);
    assert_eq!(m.cc, ["cc@example.co.uk"]);
    assert_eq!(m.bcc, ["audit@example.co.uk"]);
    assert_eq!(m.reply_to, ["help@example.co.uk"]);
    assert_eq!(m.sender.as_deref(), Some("Shop <shop@example.co.uk>"));
    assert_eq!(m.text_body.as_deref(), Some("Hello"));
    assert_eq!(m.html_body, None);
    assert!(
        result
            .outputs
            .contains(&("message-id".into(), "<1@fake>".into()))
    );
    assert_eq!(result.counts.records_out, 1);
}

#[test]
fn without_from_the_connection_sends_as_its_own_sender() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mailer) = send(&basic(&[("from", "  ")]), dir.path());
    assert_eq!(mailer.sent[0].sender, None);
}

#[test]
fn an_html_body_with_a_text_alternative() {
    let dir = tempfile::tempdir().unwrap();
    let (result, mailer) = send(
        &[
            ("to", "a@example.co.uk"),
            ("subject", "s"),
            ("body", "<p>Hi</p>"),
            ("html-body", "true"),
            ("text-body", "Hi"),
        ],
        dir.path(),
    );
    assert_eq!(result.unwrap().code, ResultCode::Success);
    assert_eq!(mailer.sent[0].html_body.as_deref(), Some("<p>Hi</p>"));
    assert_eq!(mailer.sent[0].text_body.as_deref(), Some("Hi"));
}

#[test]
fn a_text_alternative_without_an_html_body_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (result, mailer) = send(&basic(&[("text-body", "x")]), dir.path());
    let e = result.unwrap_err().message;
    assert!(e.contains("setting `text-body`"), "{e}");
    assert!(mailer.sent.is_empty());
}

#[test]
fn the_body_file_is_rendered_as_a_template() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("body.html"),
        "<p>Hi {{ current.Forename }}</p>",
    )
    .unwrap();
    wharf_guest::template::set_native_renderer(Box::new(|text, _| {
        Ok(text.replace("{{ current.Forename }}", "Ann"))
    }));
    let file = dir.path().join("body.html");
    let (result, mailer) = send(
        &[
            ("to", "a@example.co.uk"),
            ("subject", "s"),
            ("body-file", file.to_str().unwrap()),
            ("html-body", "true"),
        ],
        dir.path(),
    );
    assert_eq!(result.unwrap().code, ResultCode::Success);
    assert_eq!(mailer.sent[0].html_body.as_deref(), Some("<p>Hi Ann</p>"));
    assert_eq!(mailer.sent[0].text_body, None);
}

#[test]
fn a_template_error_in_the_body_file_names_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("body.txt");
    std::fs::write(&file, "{{ nope }}").unwrap();
    wharf_guest::template::set_native_renderer(Box::new(|_, _| {
        Err("undefined value `nope`".into())
    }));
    let (result, _) = send(
        &[
            ("to", "a@x.co"),
            ("subject", "s"),
            ("body-file", file.to_str().unwrap()),
        ],
        dir.path(),
    );
    let e = result.unwrap_err().message;
    assert!(
        e.contains("setting `body-file`") && e.contains("nope"),
        "{e}"
    );
}

#[test]
fn body_and_body_file_are_one_or_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let (result, _) = send(&[("to", "a@x.co"), ("subject", "s")], dir.path());
    assert!(result.unwrap_err().message.contains("setting `body`"));
    let file = dir.path().join("b.txt");
    std::fs::write(&file, "x").unwrap();
    let (result, _) = send(&basic(&[("body-file", file.to_str().unwrap())]), dir.path());
    assert!(result.unwrap_err().message.contains("not both"));
    let missing = dir.path().join("missing.txt");
    let (result, _) = send(
        &[
            ("to", "a@x.co"),
            ("subject", "s"),
            ("body-file", missing.to_str().unwrap()),
        ],
        dir.path(),
    );
    let e = result.unwrap_err();
    assert!(e.message.contains("setting `body-file`"), "{}", e.message);
}

#[test]
fn an_oversized_body_file_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.txt");
    std::fs::File::create(&file)
        .unwrap()
        .set_len(2 << 20)
        .unwrap();
    let (result, _) = send(
        &[
            ("to", "a@x.co"),
            ("subject", "s"),
            ("body-file", file.to_str().unwrap()),
        ],
        dir.path(),
    );
    assert!(result.unwrap_err().message.contains("more than 1 MiB"));
}

#[test]
fn attachments_are_files_folders_wildcards_and_lists() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("out/more")).unwrap();
    std::fs::write(root.join("out/a.csv"), "a").unwrap();
    std::fs::write(root.join("out/b.csv"), "b").unwrap();
    std::fs::write(root.join("out/c.xml"), "c").unwrap();
    std::fs::write(root.join("report.pdf"), "p").unwrap();
    let mut list = Vec::new();
    wharf_documents::listing::write_list(&[root.join("out/c.xml")], &mut list).unwrap();
    std::fs::write(root.join("list.xml"), list).unwrap();
    let (result, mailer) = send(
        &basic(&[
            ("attachments", "report.pdf, out/*.csv"),
            ("attachment-list", root.join("list.xml").to_str().unwrap()),
        ]),
        root,
    );
    let result = result.unwrap();
    assert_eq!(result.code, ResultCode::Success, "{}", result.message);
    let names: Vec<_> = mailer.sent[0]
        .attachments
        .iter()
        .map(|a| a.name.clone().unwrap())
        .collect();
    assert_eq!(names, ["report.pdf", "a.csv", "b.csv", "c.xml"]);
    assert_eq!(
        mailer.sent[0].attachments[0].local_file,
        root.join("report.pdf").to_string_lossy()
    );
    assert!(
        result.message.contains("4 attachment(s)"),
        "{}",
        result.message
    );
}

#[test]
fn a_missing_attachment_is_not_found_and_nothing_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let (result, mailer) = send(&basic(&[("attachments", "missing.pdf")]), dir.path());
    let e = result.unwrap_err();
    assert_eq!(e.code, ResultCode::NotFound);
    assert!(e.message.contains("setting `attachments`"), "{}", e.message);
    assert!(mailer.sent.is_empty());
}

#[test]
fn two_attachments_of_one_name_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("x")).unwrap();
    std::fs::write(dir.path().join("a.csv"), "1").unwrap();
    std::fs::write(dir.path().join("x/a.csv"), "2").unwrap();
    let (result, _) = send(&basic(&[("attachments", "a.csv, x/a.csv")]), dir.path());
    assert!(
        result
            .unwrap_err()
            .message
            .contains("both be named `a.csv`")
    );
}

#[test]
fn host_failures_map_to_result_codes_and_invalid_addresses_name_their_setting() {
    let dir = tempfile::tempdir().unwrap();
    for (kind, message, code, expected) in [
        (
            FailureKind::Invalid,
            "cc: `bob` is not an e-mail address",
            ResultCode::Fail,
            "setting `cc`: `bob` is not an e-mail address",
        ),
        (
            FailureKind::NotAuthorised,
            "smtp h:587: refused",
            ResultCode::NotAuthorised,
            "smtp h:587: refused",
        ),
        (
            FailureKind::NotPermitted,
            "not permitted: …",
            ResultCode::Fail,
            "not permitted: …",
        ),
        (
            FailureKind::NotFound,
            "attachment `a`: gone",
            ResultCode::NotFound,
            "attachment `a`: gone",
        ),
    ] {
        let mut mailer = FakeMailer {
            failure: Some(EmailFailure {
                kind,
                message: message.into(),
            }),
            ..Default::default()
        };
        let result = run(&settings(&basic(&[])), dir.path(), &mut mailer).unwrap();
        assert_eq!(result.code, code, "{message}");
        assert_eq!(result.message, expected);
    }
}

#[test]
fn required_settings_are_named() {
    let e = SendEmailSettings::from_pairs(&[("subject", "s")]).unwrap_err();
    assert_eq!(e.to_string(), "setting `to`: required but not given");
    let e = SendEmailSettings::from_pairs(&[("to", "a@x.co"), ("subject", "")]).unwrap_err();
    assert!(e.to_string().starts_with("setting `subject`"), "{e}");
}
