use super::*;
use wharf_guest::email::fake::FakeMailer;
use wharf_guest::http::fake::FakeWeb;

fn run_so_far() -> RunSoFar {
    RunSoFar {
        headline: "Web orders: running, 1 task failed".into(),
        summary: "Workflow Web orders (web-orders) is running: 1 task failed so far\n\nThe run's page: http://127.0.0.1:8420/w/web-orders/runs/r1\n".into(),
        json: r#"{"workflow":"Web orders","result":"running"}"#.into(),
    }
}

fn settings(to: Option<&str>, hook: Option<&str>, message: Option<&str>) -> NotifySettings {
    NotifySettings {
        to: to.map(Into::into),
        subject: None,
        message: message.map(Into::into),
        webhook_path: hook.map(Into::into),
    }
}

#[test]
fn e_mails_the_summary_under_the_headline() {
    let (mut mailer, mut web) = (FakeMailer::default(), FakeWeb::answering(200, b""));
    let result = run_with(
        &settings(Some("ops@acme.test"), None, Some("Nightly check")),
        &run_so_far(),
        &mut mailer,
        &mut web,
    )
    .unwrap();
    assert!(result.is_success(), "{}", result.message);
    let sent = &mailer.sent[0];
    assert_eq!(sent.subject, "Web orders: running, 1 task failed");
    assert_eq!(sent.to, ["ops@acme.test"]);
    let text = sent.text_body.as_deref().unwrap();
    assert!(
        text.starts_with("Nightly check\n\nWorkflow Web orders"),
        "{text}"
    );
    assert!(text.contains("/w/web-orders/runs/r1"), "{text}");
    assert!(web.sent.is_empty());
}

#[test]
fn posts_the_run_json_with_the_note() {
    let (mut mailer, mut web) = (FakeMailer::default(), FakeWeb::answering(204, b""));
    let result = run_with(
        &settings(None, Some("hooks/wharf"), Some("say \"hi\"\nthere")),
        &run_so_far(),
        &mut mailer,
        &mut web,
    )
    .unwrap();
    assert!(result.is_success(), "{}", result.message);
    let request = &web.sent[0];
    assert_eq!(
        (request.method.as_str(), request.url.as_str()),
        ("POST", "hooks/wharf")
    );
    let RequestBody::Text(body) = &request.body else {
        panic!("a text body");
    };
    assert_eq!(
        body,
        r#"{"workflow":"Web orders","result":"running","note":"say \"hi\"\nthere"}"#
    );
    assert!(mailer.sent.is_empty());
}

#[test]
fn needs_a_recipient_or_a_webhook() {
    let (mut mailer, mut web) = (FakeMailer::default(), FakeWeb::answering(200, b""));
    let error = run_with(
        &settings(None, Some("  "), None),
        &run_so_far(),
        &mut mailer,
        &mut web,
    )
    .unwrap_err();
    assert!(
        error.message.contains("`to`") && error.message.contains("webhook-path"),
        "{}",
        error.message
    );
}

#[test]
fn an_error_status_and_a_missing_grant_name_their_setting() {
    let mut mailer = FakeMailer::default();
    let mut web = FakeWeb::answering(403, b"no");
    let result = run_with(
        &settings(Some("ops@acme.test"), Some("hooks/wharf"), None),
        &run_so_far(),
        &mut mailer,
        &mut web,
    )
    .unwrap();
    assert_eq!(result.code, ResultCode::NotAuthorised);
    assert!(
        result.message.contains("answered 403") && result.message.contains("the e-mail went"),
        "{}",
        result.message
    );

    let mut mailer = FakeMailer {
        failure: Some(EmailFailure {
            kind: FailureKind::NotPermitted,
            message: "not permitted: this task was not granted an e-mail connection (grant one with `grants: [\"email:NAME\"]`)".into(),
        }),
        ..FakeMailer::default()
    };
    let result = run_with(
        &settings(Some("ops@acme.test"), None, None),
        &run_so_far(),
        &mut mailer,
        &mut FakeWeb::answering(200, b""),
    )
    .unwrap();
    assert_eq!(result.code, ResultCode::Fail);
    assert!(
        result.message.contains("grants: [\"email:"),
        "{}",
        result.message
    );
}

#[test]
fn both_capabilities_are_optional() {
    let info = <Notify as TypedTask>::CAPABILITIES;
    assert_eq!(info, ["email?", "http?"]);
}
