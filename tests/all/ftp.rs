//! The FTP components through the full engine against a real vsftpd on 127.0.0.1 (FTPS and
//! plain FTP, passive mode): every operation, result codes, grants, and the example workflow
//! examples/ftp-to-email.yaml end to end with a real SMTP server.

use crate::support::{TestEnv, engine_with, task, tasks};
use std::path::Path;
use std::sync::Arc;
use wharf_email::{EmailCapability, EmailConnections};
use wharf_engine::{Engine, ResultCode};
use wharf_ftp::{FtpCapability, FtpConnections};
use wharf_test_peers::ftp::{FtpServer, PASSWORD, USER};
use wharf_test_peers::smtp::{SmtpSecurity, SmtpServer};

/// Connection `drop` to `server`, its password in a secrets file under `dir`.
fn drop_connection(server: &FtpServer, dir: &Path, password: &str) -> String {
    let secret = dir.join("drop.password");
    std::fs::write(&secret, password).unwrap();
    let tls = match &server.certificate {
        Some(ca) => format!("tls: true, extra-ca-file: {}", ca.display()),
        None => "tls: false".into(),
    };
    format!(
        "ftp:\n  drop: {{ server: 127.0.0.1, port: {}, username: {USER}, password: {{ file: {} }}, {tls}, retries: 1, timeout-seconds: 10 }}\n",
        server.port,
        secret.display()
    )
}

fn ftp_engine(yaml: &str) -> Engine {
    let connections = FtpConnections::parse(yaml, Path::new("/")).expect("connections");
    engine_with(vec![Arc::new(FtpCapability::new(connections))])
}

const EVERY_OPERATION: &str = r#"name: Every operation
tasks:
  - task: ftp-list
    id: list
    grants: ["ftp:drop"]
    settings: { directory: /download, search-pattern: "*.xml", output-file: listing.xml }
  - task: ftp-repeater
    id: orders
    grants: ["ftp:drop"]
    settings: { directory: /download, search-pattern: "*.xml" }
    tasks:
      - task: ftp-download
        id: download
        grants: ["ftp:drop"]
        settings:
          directory: "{{ current.Directory }}"
          filename: "{{ current.Name }}"
          output-file: "{{ current.Name }}"
      - task: ftp-rename
        id: processed
        grants: ["ftp:drop"]
        settings:
          directory: /download
          filename: "{{ current.Name }}"
          output-file: "/download/processed/{{ current.Name }}"
          prepend-timestamp: true
  - task: ftp-upload
    id: upload
    grants: ["ftp:drop"]
    settings: { directory: /upload, input-file: products.xml, overwrite-file: true }
  - task: ftp-delete
    id: delete
    grants: ["ftp:drop"]
    settings: { directory: /upload, filename: stale.xml }
"#;

fn every_operation(tls: bool) {
    let env = TestEnv::new();
    let server = FtpServer::start(tls);
    server.put("download/order1.xml", b"<order id=\"1\"/>");
    server.put("download/order2.XML", b"<order id=\"2\"/>");
    server.put("download/readme.txt", b"not an order");
    server.folder("download/processed");
    server.put("upload/products.xml", b"old stock");
    server.put("upload/stale.xml", b"stale");
    env.write("products.xml", "<Company><Products/></Company>");
    let engine = ftp_engine(&drop_connection(&server, env.dir.path(), PASSWORD));

    let record = env.try_run_with(&engine, EVERY_OPERATION).expect("run");
    assert_eq!(record.result, ResultCode::Success, "{record:#?}");
    let listing = std::fs::read_to_string(env.workdir().join("listing.xml")).unwrap();
    assert!(
        listing.contains("<FullName>/download/order1.xml</FullName>"),
        "{listing}"
    );
    assert!(!listing.contains("readme"), "{listing}");
    assert_eq!(task(&record, "orders").counts.records_in, 2);
    assert_eq!(tasks(&record, "download").len(), 2);
    assert_eq!(
        std::fs::read_to_string(env.workdir().join("order1.xml")).unwrap(),
        "<order id=\"1\"/>"
    );
    assert!(env.workdir().join("order2.XML").is_file());
    assert_eq!(server.names("download"), ["processed", "readme.txt"]);
    let processed = server.names("download/processed");
    assert_eq!(processed.len(), 2, "{processed:?}");
    assert!(
        processed.iter().all(|n| n.as_bytes()[19] == b'_'),
        "{processed:?}"
    );
    assert_eq!(
        std::fs::read_to_string(server.root.join("upload/products.xml")).unwrap(),
        "<Company><Products/></Company>"
    );
    assert_eq!(
        server.names("upload"),
        ["products.xml"],
        "stale.xml deleted, no temp left"
    );
}

#[test]
fn every_operation_works_against_vsftpd_over_ftps() {
    every_operation(true);
}

#[test]
fn every_operation_works_against_vsftpd_over_plain_ftp() {
    every_operation(false);
}

#[test]
fn result_codes_follow_the_failure_and_the_password_is_never_shown() {
    let env = TestEnv::new();
    let server = FtpServer::start(false);
    server.folder("download");
    let missing = r#"name: Missing
tasks:
  - task: ftp-download
    id: download
    grants: ["ftp:drop"]
    settings: { directory: /download, filename: none.xml, output-file: none.xml }
"#;
    let record = env
        .try_run_with(
            &ftp_engine(&drop_connection(&server, env.dir.path(), PASSWORD)),
            missing,
        )
        .expect("run");
    let d = task(&record, "download");
    assert_eq!(d.result, ResultCode::NotFound, "{}", d.message);
    assert!(d.message.contains("/download/none.xml"), "{}", d.message);
    assert!(!env.workdir().join("none.xml").exists());

    let wrong = "wrong-Pa55-for-ftp";
    let record = env
        .try_run_with(
            &ftp_engine(&drop_connection(&server, env.dir.path(), wrong)),
            missing,
        )
        .expect("run");
    let d = task(&record, "download");
    assert_eq!(d.result, ResultCode::NotAuthorised, "{}", d.message);
    let everything = serde_json::to_string(&record).unwrap();
    assert!(!everything.contains(wrong) && !everything.contains(PASSWORD));
}

#[test]
fn a_task_without_the_grant_is_refused() {
    let env = TestEnv::new();
    let server = FtpServer::start(false);
    let engine = ftp_engine(&drop_connection(&server, env.dir.path(), PASSWORD));
    let error = env
        .try_run_with(
            &engine,
            "name: No grant\ntasks:\n  - task: ftp-delete\n    settings: { directory: /, filename: a.xml }\n",
        )
        .unwrap_err()
        .to_string();
    assert!(error.contains("grants: [ftp]"), "{error}");
    let error = env
        .try_run_with(
            &engine,
            "name: Unknown\ntasks:\n  - task: ftp-delete\n    grants: [\"ftp:warehouse\"]\n    settings: { directory: /, filename: a.xml }\n",
        )
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("warehouse") && error.contains("drop"),
        "{error}"
    );
    // An SFTP grant is not an FTP grant.
    let error = env
        .try_run_with(
            &engine,
            "name: Other\ntasks:\n  - task: ftp-delete\n    grants: [\"sftp:drop\"]\n    settings: { directory: /, filename: a.xml }\n",
        )
        .unwrap_err()
        .to_string();
    assert!(error.contains("ftp"), "{error}");
    // A component that calls the interface without asking for it is refused at every call.
    server.put("download/a.xml", b"<a/>");
    env.write("stolen.xml", "local");
    let record = env
        .try_run_with(
            &engine,
            "name: Snoop\ntasks:\n  - task: ftp-snoop\n    id: snoop\n",
        )
        .expect("run");
    let snoop = task(&record, "snoop");
    assert_eq!(snoop.result, ResultCode::Fail, "{}", snoop.message);
    assert!(
        snoop.message.starts_with("5 calls refused: not permitted"),
        "{}",
        snoop.message
    );
    assert_eq!(
        std::fs::read_to_string(env.workdir().join("stolen.xml")).unwrap(),
        "local"
    );
    assert_eq!(server.names("download"), ["a.xml"]);
    assert!(server.names("upload").is_empty());
}

#[test]
fn the_ftp_to_email_example_runs_end_to_end() {
    let env = TestEnv::new();
    let ftp = FtpServer::start(true);
    let smtp = SmtpServer::start(SmtpSecurity::Starttls, Some(("wharf", "smtp-Pa55")));
    ftp.put("outbox/orders-1.csv", b"id,total\n1,9.99\n");
    ftp.put("outbox/orders-2.csv", b"id,total\n2,19.99\n");
    ftp.put("outbox/notes.txt", b"not for us");
    ftp.folder("outbox/processed");
    ftp.folder("inbox");
    env.write("stock.csv", "sku,qty\nA,5\n");
    env.write(
        "email/dropped-file.html",
        std::fs::read(crate::support::repo_root().join("examples/email/dropped-file.html"))
            .unwrap(),
    );
    let smtp_secret = env.dir.path().join("smtp.password");
    std::fs::write(&smtp_secret, "smtp-Pa55").unwrap();
    let email = EmailConnections::parse(
        &format!(
            "email:\n  office: {{ server: 127.0.0.1, port: {}, username: wharf, password: {{ file: {} }}, extra-ca-file: {}, from: 'Wharf <wharf@example.co.uk>', retries: 0 }}\n",
            smtp.port,
            smtp_secret.display(),
            smtp.certificate.as_ref().unwrap().display()
        ),
        Path::new("/"),
    )
    .unwrap();
    let ftp_connections = FtpConnections::parse(
        &drop_connection(&ftp, env.dir.path(), PASSWORD),
        Path::new("/"),
    )
    .unwrap();
    let engine = engine_with(vec![
        Arc::new(FtpCapability::new(ftp_connections)),
        Arc::new(EmailCapability::new(email)),
    ]);
    let workflow =
        std::fs::read_to_string(crate::support::repo_root().join("examples/ftp-to-email.yaml"))
            .unwrap();
    let record = env.try_run_with(&engine, &workflow).expect("run");
    assert_eq!(record.result, ResultCode::Success, "{record:#?}");

    let mails = smtp.wait_for(2);
    assert_eq!(mails.len(), 2);
    for (mail, (name, body)) in mails
        .iter()
        .zip([("orders-1.csv", "1,9.99"), ("orders-2.csv", "2,19.99")])
    {
        assert_eq!(mail.to, ["orders@example.co.uk"]);
        assert!(mail.tls && mail.login.as_deref() == Some("wharf"));
        assert!(
            mail.data.contains(&format!("Subject: Partner file {name}")),
            "{}",
            mail.data
        );
        assert!(
            mail.data.contains(&format!("filename=\"{name}\"")),
            "{}",
            mail.data
        );
        assert!(mail.data.contains("text/html") && mail.data.contains("text/plain"));
        // The template's variables were rendered (quoted-printable may wrap lines).
        assert!(
            mail.data.contains(name) && !mail.data.contains("{{"),
            "{}",
            mail.data
        );
        assert!(
            mail.data.contains(body) || mail.data.contains("base64"),
            "{}",
            mail.data
        );
    }
    assert_eq!(ftp.names("outbox"), ["notes.txt", "processed"]);
    assert_eq!(ftp.names("outbox/processed").len(), 2);
    assert_eq!(
        std::fs::read_to_string(ftp.root.join("inbox/stock.csv")).unwrap(),
        "sku,qty\nA,5\n"
    );
    let everything = serde_json::to_string(&record).unwrap();
    assert!(!everything.contains("smtp-Pa55") && !everything.contains(PASSWORD));
}
