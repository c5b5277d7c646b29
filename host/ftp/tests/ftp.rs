//! `wharf_ftp::FtpClient` against a real vsftpd on 127.0.0.1, plain FTP and explicit FTPS,
//! passive mode: listing, stat, all-or-nothing transfers, rename and delete with their
//! existing-target and missing-file rules, refused logins and untrusted certificates.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use wharf_ftp::{FtpClient, FtpConnections};
use wharf_sftp::{Charge, FailureKind};
use wharf_test_peers::ftp::{FtpServer, PASSWORD, USER};

fn client(server: &FtpServer, password: &str, dir: &Path) -> FtpClient {
    let secret = dir.join("ftp-password");
    std::fs::write(&secret, format!("{password}\n")).unwrap();
    let ca = match &server.certificate {
        Some(ca) => format!("tls: true, extra-ca-file: {}", ca.display()),
        None => "tls: false".into(),
    };
    let yaml = format!(
        "ftp:\n  drop: {{ server: 127.0.0.1, port: {}, username: {USER}, password: {{ file: {} }}, {ca}, retries: 1, timeout-seconds: 5 }}\n",
        server.port,
        secret.display()
    );
    let connections = FtpConnections::parse(&yaml, dir).unwrap();
    FtpClient::new("drop", connections.get("drop").unwrap().clone())
        .with_backoff(Duration::from_millis(10))
}

fn unlimited() -> Charge {
    Arc::new(|_| Ok(()))
}

fn round_trip(tls: bool) {
    let server = FtpServer::start(tls);
    let dir = tempfile::tempdir().unwrap();
    let ftp = client(&server, PASSWORD, dir.path());
    server.put("download/a.xml", b"<order id='1'/>");
    server.put("download/b.txt", b"b");
    server.put("download/sub/c.xml", b"c");
    server.folder("upload");

    let listed = ftp.list("/download", false).unwrap();
    let names: Vec<_> = listed
        .iter()
        .map(|e| (e.name.as_str(), e.is_directory))
        .collect();
    assert_eq!(names, [("a.xml", false), ("b.txt", false), ("sub", true)]);
    assert_eq!(listed[0].path, "/download/a.xml");
    assert_eq!(listed[0].directory, "/download");
    assert_eq!(listed[0].size, 15);
    assert!(listed[0].modified.is_some());
    let deep = ftp.list("/download", true).unwrap();
    assert!(deep.iter().any(|e| e.path == "/download/sub/c.xml"));

    assert_eq!(ftp.stat("/download/a.xml").unwrap().unwrap().size, 15);
    assert!(ftp.stat("/download/none.xml").unwrap().is_none());
    assert!(ftp.stat("/nowhere/none.xml").unwrap().is_none());

    let local = dir.path().join("a.xml");
    assert_eq!(
        ftp.download("/download/a.xml", &local, unlimited())
            .unwrap(),
        15
    );
    assert_eq!(std::fs::read_to_string(&local).unwrap(), "<order id='1'/>");
    let missing = ftp
        .download(
            "/download/none.xml",
            &dir.path().join("none.xml"),
            unlimited(),
        )
        .unwrap_err();
    assert_eq!(missing.kind, FailureKind::NotFound, "{}", missing.message);
    assert!(!dir.path().join(".none.xml.wharf-partial").exists());

    std::fs::write(dir.path().join("products.xml"), "<products/>").unwrap();
    let products = dir.path().join("products.xml");
    assert_eq!(
        ftp.upload(&products, "/upload/products.xml", false)
            .unwrap(),
        11
    );
    assert_eq!(
        server.names("upload"),
        ["products.xml"],
        "no partial file left"
    );
    let exists = ftp
        .upload(&products, "/upload/products.xml", false)
        .unwrap_err();
    assert_eq!(exists.kind, FailureKind::AlreadyExists);
    std::fs::write(&products, "<products n='2'/>").unwrap();
    ftp.upload(&products, "/upload/products.xml", true).unwrap();
    assert_eq!(
        std::fs::read_to_string(server.root.join("upload/products.xml")).unwrap(),
        "<products n='2'/>"
    );
    let gone = ftp
        .upload(&dir.path().join("none.xml"), "/upload/none.xml", true)
        .unwrap_err();
    assert_eq!(gone.kind, FailureKind::NotFound);

    server.folder("download/processed");
    ftp.rename("/download/a.xml", "/download/processed/a.xml", false)
        .unwrap();
    assert_eq!(server.names("download/processed"), ["a.xml"]);
    server.put("download/a.xml", b"again");
    let clash = ftp
        .rename("/download/a.xml", "/download/processed/a.xml", false)
        .unwrap_err();
    assert_eq!(clash.kind, FailureKind::AlreadyExists);
    ftp.rename("/download/a.xml", "/download/processed/a.xml", true)
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(server.root.join("download/processed/a.xml")).unwrap(),
        "again"
    );
    let no_folder = ftp
        .rename("/download/b.txt", "/nowhere/b.txt", true)
        .unwrap_err();
    assert_eq!(no_folder.kind, FailureKind::NotFound);
    assert!(
        no_folder.message.contains("`/nowhere`"),
        "{}",
        no_folder.message
    );

    ftp.remove("/download/b.txt").unwrap();
    assert!(!server.root.join("download/b.txt").exists());
    let twice = ftp.remove("/download/b.txt").unwrap_err();
    assert_eq!(twice.kind, FailureKind::NotFound);
}

#[test]
fn plain_ftp_lists_transfers_renames_and_deletes() {
    round_trip(false);
}

#[test]
fn ftps_lists_transfers_renames_and_deletes() {
    round_trip(true);
}

#[test]
fn a_download_over_the_write_budget_leaves_no_file() {
    let server = FtpServer::start(false);
    let dir = tempfile::tempdir().unwrap();
    let ftp = client(&server, PASSWORD, dir.path());
    server.put("big.bin", &vec![7u8; 200_000]);
    let budget: Charge = Arc::new(|n| {
        if n > 0 {
            Err("over the write budget".into())
        } else {
            Ok(())
        }
    });
    let local = dir.path().join("big.bin");
    let e = ftp.download("/big.bin", &local, budget).unwrap_err();
    assert!(e.message.contains("over the write budget"), "{}", e.message);
    assert!(!local.exists() && !dir.path().join(".big.bin.wharf-partial").exists());
    // The connection is still good for the next call.
    assert_eq!(ftp.list("/", false).unwrap().len(), 1);
}

#[test]
fn a_wrong_password_is_not_authorised_and_never_shown() {
    let server = FtpServer::start(false);
    let dir = tempfile::tempdir().unwrap();
    let wrong = "not-the-Pa55word";
    let e = client(&server, wrong, dir.path())
        .list("/", false)
        .unwrap_err();
    assert_eq!(e.kind, FailureKind::NotAuthorised, "{}", e.message);
    assert!(e.message.contains(&format!("`{USER}`")), "{}", e.message);
    assert!(!e.message.contains(wrong) && !e.message.contains(PASSWORD));
}

#[test]
fn an_untrusted_certificate_is_refused() {
    let server = FtpServer::start(true);
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "ftp:\n  drop: {{ server: 127.0.0.1, port: {}, username: {USER}, password: {{ env: WHARF_TEST_NEVER_SET }}, retries: 0 }}\n",
        server.port
    );
    let connections = FtpConnections::parse(&yaml, dir.path()).unwrap();
    let e = FtpClient::new("drop", connections.get("drop").unwrap().clone())
        .list("/", false)
        .unwrap_err();
    assert_eq!(e.kind, FailureKind::Connection, "{}", e.message);
    assert!(e.message.contains("TLS"), "{}", e.message);
}

#[test]
fn a_plain_login_to_an_ftps_only_server_is_refused() {
    let server = FtpServer::start(true);
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("ftp-password");
    std::fs::write(&secret, PASSWORD).unwrap();
    let yaml = format!(
        "ftp:\n  drop: {{ server: 127.0.0.1, port: {}, username: {USER}, password: {{ file: {} }}, tls: false, retries: 0 }}\n",
        server.port,
        secret.display()
    );
    let connections = FtpConnections::parse(&yaml, dir.path()).unwrap();
    let e = FtpClient::new("drop", connections.get("drop").unwrap().clone())
        .list("/", false)
        .unwrap_err();
    assert_eq!(e.kind, FailureKind::NotAuthorised, "{}", e.message);
    assert!(!e.message.contains(PASSWORD), "{}", e.message);
}
