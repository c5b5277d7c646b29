//! `wharf_email::send` against a real SMTP server (aiosmtpd) on 127.0.0.1: plain, STARTTLS
//! with a login, implicit TLS; refused logins and untrusted certificates.

use wharf_email::{Attachment, FailureKind, Message, Security, SmtpConnection, send};
use wharf_sftp::SecretSource;
use wharf_test_peers::smtp::{SmtpSecurity, SmtpServer};

const USER: &str = "wharf";
const PASSWORD: &str = "smtp-test-pa55word";

fn message() -> Message {
    Message {
        from: Some("Wharf <wharf@example.co.uk>".into()),
        to: vec!["ops@example.co.uk, \"Smith, Bo\" <bo@example.co.uk>".into()],
        cc: vec!["cc@example.co.uk".into()],
        bcc: vec!["hidden@example.co.uk".into()],
        subject: "Daily orders".into(),
        text: Some("See the attached orders.".into()),
        html: Some("<p>See the attached <b>orders</b>.</p>".into()),
        attachments: vec![Attachment {
            name: "orders.csv".into(),
            content_type: None,
            content: b"id,total\n1,9.99\n".to_vec(),
        }],
        ..Default::default()
    }
}

fn connection(server: &SmtpServer, security: Security) -> SmtpConnection {
    let mut c = SmtpConnection::new("127.0.0.1");
    c.port = Some(server.port);
    c.security = security;
    c.extra_ca_file = server.certificate.clone();
    c.retries = 0;
    c
}

fn with_login(mut c: SmtpConnection, password_file: &std::path::Path) -> SmtpConnection {
    c.username = Some(USER.into());
    c.password = Some(SecretSource::File(password_file.to_owned()));
    c
}

fn password_file(dir: &tempfile::TempDir, password: &str) -> std::path::PathBuf {
    let path = dir.path().join("smtp-password");
    std::fs::write(&path, format!("{password}\n")).unwrap();
    path
}

#[test]
fn sends_over_plain_smtp_to_every_recipient() {
    let server = SmtpServer::start(SmtpSecurity::Plain, None);
    let sent = send(&connection(&server, Security::None), &message()).unwrap();
    assert_eq!(sent.recipients, 4);
    let got = server.wait_for(1);
    assert_eq!(got.len(), 1);
    let mail = &got[0];
    assert_eq!(mail.from, "wharf@example.co.uk");
    assert_eq!(
        mail.to,
        [
            "ops@example.co.uk",
            "bo@example.co.uk",
            "cc@example.co.uk",
            "hidden@example.co.uk"
        ]
    );
    assert!(!mail.tls && mail.login.is_none());
    for part in [
        "Subject: Daily orders",
        "multipart/alternative",
        "filename=\"orders.csv\"",
        &sent.message_id,
    ] {
        assert!(mail.data.contains(part), "{part} missing:\n{}", mail.data);
    }
    assert!(!mail.data.contains("hidden@"), "bcc never in the headers");
}

#[test]
fn sends_over_starttls_with_a_login_from_a_secrets_file() {
    let server = SmtpServer::start(SmtpSecurity::Starttls, Some((USER, PASSWORD)));
    let dir = tempfile::tempdir().unwrap();
    let c = with_login(
        connection(&server, Security::Starttls),
        &password_file(&dir, PASSWORD),
    );
    send(&c, &message()).unwrap();
    let got = server.wait_for(1);
    assert!(got[0].tls, "the session was upgraded");
    assert_eq!(got[0].login.as_deref(), Some(USER));
}

#[test]
fn sends_over_implicit_tls() {
    let server = SmtpServer::start(SmtpSecurity::ImplicitTls, Some((USER, PASSWORD)));
    let dir = tempfile::tempdir().unwrap();
    let c = with_login(
        connection(&server, Security::Tls),
        &password_file(&dir, PASSWORD),
    );
    send(&c, &message()).unwrap();
    assert!(server.wait_for(1)[0].tls);
}

#[test]
fn a_wrong_password_is_not_authorised_and_never_shown() {
    let server = SmtpServer::start(SmtpSecurity::Starttls, Some((USER, PASSWORD)));
    let dir = tempfile::tempdir().unwrap();
    let wrong = "wrong-Pa55-hunter2";
    let c = with_login(
        connection(&server, Security::Starttls),
        &password_file(&dir, wrong),
    );
    let e = send(&c, &message()).unwrap_err();
    assert_eq!(e.kind, FailureKind::NotAuthorised, "{}", e.message);
    assert!(e.message.contains(&format!("`{USER}`")), "{}", e.message);
    assert!(
        !e.message.contains(wrong) && !e.message.contains(PASSWORD),
        "{}",
        e.message
    );
    assert!(server.delivered().is_empty());
}

#[test]
fn a_certificate_that_is_not_trusted_is_refused() {
    let server = SmtpServer::start(SmtpSecurity::Starttls, None);
    let mut c = connection(&server, Security::Starttls);
    c.extra_ca_file = None;
    let e = send(&c, &message()).unwrap_err();
    assert_eq!(e.kind, FailureKind::Connection, "{}", e.message);
    assert!(server.delivered().is_empty());
}

#[test]
fn a_server_that_requires_starttls_refuses_a_plain_session() {
    let server = SmtpServer::start(SmtpSecurity::Starttls, None);
    let e = send(&connection(&server, Security::None), &message()).unwrap_err();
    assert_eq!(e.kind, FailureKind::NotAuthorised, "{}", e.message);
    assert!(e.message.contains("wants a login or TLS"), "{}", e.message);
}
