//! `send-email` through the full engine against a real SMTP server (aiosmtpd) on 127.0.0.1:
//! plain and STARTTLS with a login, bodies from settings and template files, attachments from
//! the working directory, result codes, and grants.

use crate::support::{TestEnv, engine_with, task};
use std::path::Path;
use std::sync::Arc;
use wharf_email::{EmailCapability, EmailConnections};
use wharf_engine::{Engine, ResultCode};
use wharf_test_peers::smtp::{SmtpSecurity, SmtpServer};

const USER: &str = "wharf";
const PASSWORD: &str = "smtp-Pa55-word";

/// Connection `office` to `server`; with a login, its password in a secrets file under `dir`.
fn office(server: &SmtpServer, dir: &Path, password: Option<&str>) -> Engine {
    let mut yaml = format!(
        "email:\n  office:\n    server: 127.0.0.1\n    port: {}\n    from: 'Wharf <wharf@example.co.uk>'\n    retries: 0\n",
        server.port
    );
    match &server.certificate {
        Some(ca) => yaml.push_str(&format!("    extra-ca-file: {}\n", ca.display())),
        None => yaml.push_str("    security: none\n"),
    }
    if let Some(password) = password {
        let secret = dir.join("office.password");
        std::fs::write(&secret, password).unwrap();
        yaml.push_str(&format!(
            "    username: {USER}\n    password: {{ file: {} }}\n",
            secret.display()
        ));
    }
    let connections = EmailConnections::parse(&yaml, Path::new("/")).expect("connections");
    engine_with(vec![Arc::new(EmailCapability::new(connections))])
}

const REPORT: &str = r#"name: Report
variables: { Team: ops }
tasks:
  - task: send-email
    id: mail
    grants: ["email:office"]
    settings:
      to: "{{ Team }}@example.co.uk, Bo <bo@example.co.uk>"
      cc: cc@example.co.uk
      bcc: audit@example.co.uk
      subject: Daily export for {{ Team }}
      body-file: body.html
      html-body: true
      text-body: The export is attached.
      attachments: "export/*.csv, report.pdf"
"#;

#[test]
fn sends_over_starttls_with_a_login_a_rendered_body_and_attachments() {
    let env = TestEnv::new();
    let server = SmtpServer::start(SmtpSecurity::Starttls, Some((USER, PASSWORD)));
    env.write(
        "body.html",
        "<p>Hello {{ Team }}, see {{ vars.Team }}'s files.</p>",
    );
    env.write("export/a.csv", "id\n1\n");
    env.write("export/b.csv", "id\n2\n");
    env.write("export/c.xml", "<c/>");
    env.write("report.pdf", "%PDF-1.4");
    let record = env
        .try_run_with(&office(&server, env.dir.path(), Some(PASSWORD)), REPORT)
        .expect("run");
    let mail_task = task(&record, "mail");
    assert_eq!(record.result, ResultCode::Success, "{record:#?}");
    assert!(
        mail_task.message.contains("3 attachment(s)"),
        "{}",
        mail_task.message
    );
    let mails = server.wait_for(1);
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(mail.tls && mail.login.as_deref() == Some(USER));
    assert_eq!(mail.from, "wharf@example.co.uk");
    assert_eq!(
        mail.to,
        [
            "ops@example.co.uk",
            "bo@example.co.uk",
            "cc@example.co.uk",
            "audit@example.co.uk"
        ]
    );
    for part in [
        "Subject: Daily export for ops",
        "Hello ops, see ops's files.",
        "The export is attached.",
        "filename=\"a.csv\"",
        "filename=\"b.csv\"",
        "filename=\"report.pdf\"",
    ] {
        assert!(mail.data.contains(part), "{part} missing:\n{}", mail.data);
    }
    assert!(!mail.data.contains("c.xml") && !mail.data.contains("audit@"));
    let everything = serde_json::to_string(&record).unwrap();
    assert!(!everything.contains(PASSWORD));
}

#[test]
fn sends_over_plain_smtp_without_a_login() {
    let env = TestEnv::new();
    let server = SmtpServer::start(SmtpSecurity::Plain, None);
    let record = env
        .try_run_with(
            &office(&server, env.dir.path(), None),
            "name: Plain\ntasks:\n  - task: send-email\n    id: mail\n    grants: [\"email:office\"]\n    settings: { to: a@example.co.uk, subject: Hi, body: Hello }\n",
        )
        .expect("run");
    assert_eq!(record.result, ResultCode::Success, "{record:#?}");
    let mail = &server.wait_for(1)[0];
    assert!(!mail.tls && mail.login.is_none());
    assert!(mail.data.contains("Hello"));
}

#[test]
fn failures_give_result_codes_naming_the_cause_and_never_the_password() {
    let env = TestEnv::new();
    let server = SmtpServer::start(SmtpSecurity::Starttls, Some((USER, PASSWORD)));
    let wrong = "not-the-Pa55";
    let one = |settings: &str| {
        format!(
            "name: One\ntasks:\n  - task: send-email\n    id: mail\n    grants: [\"email:office\"]\n    settings: {settings}\n"
        )
    };
    let record = env
        .try_run_with(
            &office(&server, env.dir.path(), Some(wrong)),
            &one("{ to: a@example.co.uk, subject: Hi, body: Hello }"),
        )
        .expect("run");
    let m = task(&record, "mail");
    assert_eq!(m.result, ResultCode::NotAuthorised, "{}", m.message);
    let everything = serde_json::to_string(&record).unwrap();
    assert!(!everything.contains(wrong) && !everything.contains(PASSWORD));

    let engine = office(&server, env.dir.path(), Some(PASSWORD));
    let record = env
        .try_run_with(
            &engine,
            &one("{ to: 'a@example.co.uk, nobody', subject: Hi, body: Hello }"),
        )
        .expect("run");
    let m = task(&record, "mail");
    assert_eq!(m.result, ResultCode::Fail);
    assert!(
        m.message.contains("setting `to`") && m.message.contains("`nobody`"),
        "{}",
        m.message
    );

    let record = env
        .try_run_with(
            &engine,
            &one("{ to: a@example.co.uk, subject: Hi, body: Hello, attachments: missing.pdf }"),
        )
        .expect("run");
    let m = task(&record, "mail");
    assert_eq!(m.result, ResultCode::NotFound, "{}", m.message);
    assert!(m.message.contains("setting `attachments`"), "{}", m.message);
    assert!(server.delivered().is_empty(), "nothing was sent");
}

#[test]
fn a_task_without_the_grant_is_refused() {
    let env = TestEnv::new();
    let server = SmtpServer::start(SmtpSecurity::Plain, None);
    let engine = office(&server, env.dir.path(), None);
    let error = env
        .try_run_with(
            &engine,
            "name: No grant\ntasks:\n  - task: send-email\n    settings: { to: a@x.co, subject: s, body: b }\n",
        )
        .unwrap_err()
        .to_string();
    assert!(error.contains("grants: [email]"), "{error}");
    let error = env
        .try_run_with(
            &engine,
            "name: Unknown\ntasks:\n  - task: send-email\n    grants: [\"email:board\"]\n    settings: { to: a@x.co, subject: s, body: b }\n",
        )
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("`board`") && error.contains("office"),
        "{error}"
    );
    // A component that calls the interface without asking for it is refused at every call.
    env.write("secret.txt", "secret");
    let record = env
        .try_run_with(
            &engine,
            "name: Snoop\ntasks:\n  - task: email-snoop\n    id: snoop\n",
        )
        .expect("run");
    let snoop = task(&record, "snoop");
    assert_eq!(snoop.result, ResultCode::Fail, "{}", snoop.message);
    assert!(
        snoop.message.starts_with("2 calls refused: not permitted"),
        "{}",
        snoop.message
    );
    assert!(server.delivered().is_empty());
}

#[test]
fn if_email_exists_sends_only_to_a_well_formed_address() {
    let env = TestEnv::new();
    let server = SmtpServer::start(SmtpSecurity::Plain, None);
    let engine = office(&server, env.dir.path(), None);
    let workflow = |address: &str| {
        format!(
            r#"name: Confirm
variables: {{ Customer: "{address}" }}
tasks:
  - task: if-email-exists
    id: has-address
    settings: {{ email: "{{{{ Customer }}}}", strong-validation: true }}
    tasks:
      - task: send-email
        id: mail
        grants: ["email:office"]
        settings: {{ to: "{{{{ Customer }}}}", subject: Order confirmation, body: Thank you }}
"#
        )
    };
    for (address, sent) in [
        ("ann@example.co.uk", 1),
        ("not an address", 1),
        ("", 1),
        ("bo@example.com", 2),
    ] {
        let record = env.try_run_with(&engine, &workflow(address)).expect("run");
        assert_eq!(record.result, ResultCode::Success, "{address}: {record:#?}");
        assert_eq!(server.wait_for(sent).len(), sent, "{address}");
    }
    let mails = server.delivered();
    assert_eq!(mails[0].to, ["ann@example.co.uk"]);
    assert_eq!(mails[1].to, ["bo@example.com"]);
}
