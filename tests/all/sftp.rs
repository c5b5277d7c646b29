//! The SFTP components through the full engine against a real OpenSSH server on 127.0.0.1:
//! every operation, authentication by password and by key, host-key pinning, result codes,
//! grants, transfers cut mid-way, a server that dies, and one connection per run.

mod durability;

use crate::sshd::{CuttingProxy, KEY_PASSPHRASE, Sshd};
use crate::support::{TestEnv, engine_with, task, tasks};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use wharf_engine::{Engine, ResultCode, RunRecord};
use wharf_sftp::{Connections, SftpCapability};

/// An engine granting the connections in `yaml` (a connections file's text).
fn sftp_engine(yaml: &str) -> Engine {
    let connections = Connections::parse(yaml, Path::new("/")).expect("connections");
    engine_with(vec![Arc::new(SftpCapability::new(connections).unwrap())])
}

struct SftpEnv {
    env: TestEnv,
    server: Sshd,
}

impl SftpEnv {
    fn new() -> Self {
        SftpEnv {
            env: TestEnv::new(),
            server: Sshd::start(),
        }
    }

    /// Connection `shop` (password) to the server, directly or through a proxy port.
    fn connections(&self, port: u16) -> String {
        format!(
            "sftp:\n{}",
            self.server
                .password_connection("shop", self.env.dir.path(), port)
        )
    }

    fn run(&self, engine: &Engine, yaml: &str) -> RunRecord {
        self.env.try_run_with(engine, yaml).expect("run")
    }

    /// Files left in the working directory (temporary names included).
    fn local_names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.env.workdir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

const EVERY_OPERATION: &str = r#"name: Every operation
tasks:
  - task: sftp-list
    id: list
    grants: ["sftp:shop"]
    settings:
      directory: /download
      search-pattern: "*.xml"
      output-file: listing.xml
  - task: sftp-repeater
    id: orders
    grants: ["sftp:shop"]
    settings:
      directory: /download
      search-pattern: "*.xml"
    tasks:
      - task: sftp-download
        id: download
        grants: ["sftp:shop"]
        settings:
          directory: "{{ current.Directory }}"
          filename: "{{ current.Name }}"
          output-file: "{{ current.Name }}"
      - task: sftp-rename
        id: processed
        grants: ["sftp:shop"]
        settings:
          directory: /download
          filename: "{{ current.Name }}"
          output-file: "/download/processed/{{ current.Name }}"
          prepend-timestamp: true
  - task: sftp-upload
    id: upload
    grants: ["sftp:shop"]
    settings:
      directory: /upload
      input-file: products.xml
      overwrite-file: true
  - task: sftp-delete
    id: delete
    grants: ["sftp:shop"]
    settings:
      directory: /upload
      filename: stale.xml
"#;

#[test]
fn every_operation_works_against_openssh() {
    let t = SftpEnv::new();
    t.server.put("/download/order1.xml", "<order id=\"1\"/>");
    t.server.put("/download/order2.XML", "<order id=\"2\"/>");
    t.server.put("/download/readme.txt", "not an order");
    t.server.put("/upload/products.xml", "old stock");
    t.server.put("/upload/stale.xml", "stale");
    t.env
        .write("products.xml", "<Company><Products/></Company>");
    let engine = sftp_engine(&t.connections(t.server.port));

    let record = t.run(&engine, EVERY_OPERATION);
    assert_eq!(record.result, ResultCode::Success, "{record:#?}");
    let listing = std::fs::read_to_string(t.env.workdir().join("listing.xml")).unwrap();
    assert!(
        listing.contains("<FullName>/download/order1.xml</FullName>"),
        "{listing}"
    );
    assert!(!listing.contains("readme"), "{listing}");
    assert_eq!(task(&record, "orders").counts.records_in, 2);
    assert_eq!(
        std::fs::read_to_string(t.env.workdir().join("order1.xml")).unwrap(),
        "<order id=\"1\"/>"
    );
    assert!(t.env.workdir().join("order2.XML").is_file());
    assert_eq!(t.server.names("/download"), ["readme.txt"]);
    let processed = t.server.names("/download/processed");
    assert_eq!(processed.len(), 2, "{processed:?}");
    for name in &processed {
        // yyyy-MM-dd_HH-mm-ss_<name>
        assert_eq!(name.as_bytes()[19], b'_', "{name}");
        assert!(
            name.ends_with("_order1.xml") || name.ends_with("_order2.XML"),
            "{name}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(t.server.path("/upload/products.xml")).unwrap(),
        "<Company><Products/></Company>"
    );
    assert_eq!(
        t.server.names("/upload"),
        ["products.xml"],
        "stale.xml deleted, no temp left"
    );
}

#[test]
fn a_private_key_with_a_passphrase_and_a_pinned_fingerprint_log_in() {
    let t = SftpEnv::new();
    t.server.put("/download/a.xml", "<a/>");
    let passphrase = t.env.dir.path().join("passphrase");
    std::fs::write(&passphrase, KEY_PASSPHRASE).unwrap();
    let engine = sftp_engine(&format!(
        "sftp:\n  shop:\n    server: 127.0.0.1\n    port: {}\n    username: {}\n    private-key-file: {}\n    passphrase: {{ file: {} }}\n    host-key: {}\n",
        t.server.port,
        crate::sshd::USER,
        t.server.client_key().display(),
        passphrase.display(),
        t.server.fingerprint
    ));
    let record = t.run(
        &engine,
        r#"name: Key
tasks:
  - task: sftp-download
    id: download
    grants: ["sftp:shop"]
    settings: { directory: /download, filename: a.xml, output-file: a.xml }
"#,
    );
    assert_eq!(record.result, ResultCode::Success, "{record:#?}");
    assert!(t.env.workdir().join("a.xml").is_file());
}

const DOWNLOAD_A: &str = r#"name: Download
tasks:
  - task: sftp-download
    id: download
    grants: ["sftp:shop"]
    settings: { directory: /download, filename: a.xml, output-file: a.xml }
"#;

#[test]
fn a_wrong_password_is_not_authorised_and_never_shown() {
    let t = SftpEnv::new();
    t.server.put("/download/a.xml", "<a/>");
    let connections = t.connections(t.server.port);
    std::fs::write(
        t.env.dir.path().join("shop.password"),
        "definitely-wrong-password",
    )
    .unwrap();
    let record = t.run(&sftp_engine(&connections), DOWNLOAD_A);
    let d = task(&record, "download");
    assert_eq!(d.result, ResultCode::NotAuthorised, "{}", d.message);
    assert!(d.message.contains("refused the password"), "{}", d.message);
    let everything = serde_json::to_string(&record).unwrap();
    assert!(!everything.contains("definitely-wrong-password"));
    assert!(!t.env.workdir().join("a.xml").exists());
}

#[test]
fn a_missing_remote_file_is_not_found() {
    let t = SftpEnv::new();
    let record = t.run(&sftp_engine(&t.connections(t.server.port)), DOWNLOAD_A);
    let d = task(&record, "download");
    assert_eq!(d.result, ResultCode::NotFound, "{}", d.message);
    assert!(d.message.contains("/download/a.xml"), "{}", d.message);
}

#[test]
fn an_unknown_host_key_is_refused() {
    let t = SftpEnv::new();
    t.server.put("/download/a.xml", "<a/>");
    // Another server's key for this address.
    let other = Sshd::start();
    std::fs::copy(other.known_hosts(), t.server.known_hosts()).unwrap();
    let text = std::fs::read_to_string(t.server.known_hosts()).unwrap();
    std::fs::write(
        t.server.known_hosts(),
        text.replace(
            &format!("]:{}", other.port),
            &format!("]:{}", t.server.port),
        ),
    )
    .unwrap();
    let record = t.run(&sftp_engine(&t.connections(t.server.port)), DOWNLOAD_A);
    let d = task(&record, "download");
    assert_eq!(d.result, ResultCode::Fail, "{}", d.message);
    assert!(
        d.message.contains("host key refused") && d.message.contains("does not match"),
        "{}",
        d.message
    );
    // A key not in the file at all.
    std::fs::write(t.server.known_hosts(), "").unwrap();
    let record = t.run(&sftp_engine(&t.connections(t.server.port)), DOWNLOAD_A);
    let d = task(&record, "download");
    assert!(d.message.contains("is unknown"), "{}", d.message);
    assert!(!t.env.workdir().join("a.xml").exists());
}

#[test]
fn a_task_without_the_grant_cannot_reach_the_connection() {
    let t = SftpEnv::new();
    t.server.put("/download/a.xml", "<a/>");
    let engine = sftp_engine(&t.connections(t.server.port));
    // An SFTP task must be granted a connection: refused before anything runs.
    let error = t
        .env
        .try_run_with(
            &engine,
            "name: No grant\ntasks:\n  - task: sftp-download\n    settings: { directory: /download, filename: a.xml, output-file: a.xml }\n",
        )
        .unwrap_err()
        .to_string();
    assert!(error.contains("grants: [sftp]"), "{error}");
    // So is a grant of a connection the connections file does not define.
    let error = t
        .env
        .try_run_with(
            &engine,
            "name: Unknown\ntasks:\n  - task: sftp-download\n    grants: [\"sftp:warehouse\"]\n    settings: { directory: /download, filename: a.xml, output-file: a.xml }\n",
        )
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("warehouse") && error.contains("shop"),
        "{error}"
    );
    // A component that calls the interface without asking for it is refused at every call.
    let record = t.run(
        &engine,
        "name: Snoop\ntasks:\n  - task: sftp-snoop\n    id: snoop\n",
    );
    let snoop = task(&record, "snoop");
    assert_eq!(snoop.result, ResultCode::Fail, "{}", snoop.message);
    assert!(
        snoop.message.starts_with("4 calls refused: not permitted"),
        "{}",
        snoop.message
    );
    assert!(!t.env.workdir().join("stolen.xml").exists());
    assert_eq!(t.server.names("/download"), ["a.xml"]);
}

#[test]
fn a_transfer_cut_mid_way_is_retried_and_no_partial_file_is_seen() {
    let t = SftpEnv::new();
    let big: Vec<u8> = (0..6 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    t.server.put("/download/a.xml", &big);
    t.env.write("products.xml", &big);
    // The first connection breaks after 1 MiB from the server, the rest go through.
    let proxy = CuttingProxy::start(t.server.port, 1 << 20, 1);
    t.server.trust_port(proxy.port);
    let record = t.run(
        &sftp_engine(&t.connections(proxy.port)),
        r#"name: Cut
tasks:
  - task: sftp-download
    id: download
    grants: ["sftp:shop"]
    settings: { directory: /download, filename: a.xml, output-file: a.xml }
  - task: sftp-upload
    id: upload
    grants: ["sftp:shop"]
    settings: { directory: /upload, input-file: products.xml }
"#,
    );
    assert_eq!(record.result, ResultCode::Success, "{record:#?}");
    assert!(
        proxy.connections.load(Ordering::Relaxed) >= 2,
        "a reconnect happened"
    );
    assert_eq!(std::fs::read(t.env.workdir().join("a.xml")).unwrap(), big);
    assert_eq!(
        t.local_names(),
        ["a.xml", "products.xml"],
        "no temporary file left"
    );
    assert_eq!(
        std::fs::read(t.server.path("/upload/products.xml")).unwrap(),
        big
    );
    assert_eq!(t.server.names("/upload"), ["products.xml"]);
}

#[test]
fn a_server_that_dies_mid_transfer_fails_the_run_cleanly() {
    let mut t = SftpEnv::new();
    let big = vec![b'x'; 4 << 20];
    t.server.put("/download/a.xml", &big);
    // Every connection dies after 512 KiB: retries cannot help.
    let proxy = CuttingProxy::start(t.server.port, 512 << 10, usize::MAX);
    t.server.trust_port(proxy.port);
    let yaml = r#"name: Dies
tasks:
  - task: sftp-download
    id: download
    grants: ["sftp:shop"]
    settings: { directory: /download, filename: a.xml, output-file: a.xml }
  - task: delete-file
    id: after
    settings: { input-file: a.xml }
"#;
    let record = t.run(&sftp_engine(&t.connections(proxy.port)), yaml);
    let d = task(&record, "download");
    assert_eq!(d.result, ResultCode::Fail, "{}", d.message);
    assert!(
        d.message.contains("gave up after 3 attempt(s)"),
        "{}",
        d.message
    );
    assert!(
        tasks(&record, "after").is_empty(),
        "the run stopped at the failure"
    );
    assert!(
        t.local_names().is_empty(),
        "no partial file: {:?}",
        t.local_names()
    );
    assert_eq!(
        t.server.names("/download"),
        ["a.xml"],
        "the remote file is untouched"
    );

    // The server itself killed: a clear connection failure; back up, the same run works.
    t.server.kill();
    let record = t.run(&sftp_engine(&t.connections(t.server.port)), DOWNLOAD_A);
    let d = task(&record, "download");
    assert_eq!(d.result, ResultCode::Fail, "{}", d.message);
    assert!(d.message.contains("cannot connect"), "{}", d.message);
    t.server.restart();
    let record = t.run(&sftp_engine(&t.connections(t.server.port)), DOWNLOAD_A);
    assert_eq!(record.result, ResultCode::Success, "{record:#?}");
    assert_eq!(std::fs::read(t.env.workdir().join("a.xml")).unwrap(), big);
}

#[test]
fn one_connection_serves_every_task_of_a_run() {
    let t = SftpEnv::new();
    for i in 0..5 {
        t.server.put(&format!("/download/{i}.xml"), "<o/>");
    }
    let proxy = CuttingProxy::start(t.server.port, 0, 0);
    t.server.trust_port(proxy.port);
    let record = t.run(
        &sftp_engine(&t.connections(proxy.port)),
        r#"name: Reuse
tasks:
  - task: sftp-repeater
    id: files
    grants: ["sftp:shop"]
    settings: { directory: /download }
    tasks:
      - task: sftp-download
        grants: ["sftp:shop"]
        settings:
          directory: /download
          filename: "{{ current.Name }}"
          output-file: "{{ current.Name }}"
"#,
    );
    assert_eq!(record.result, ResultCode::Success, "{record:#?}");
    assert_eq!(t.local_names().len(), 5);
    assert_eq!(proxy.connections.load(Ordering::Relaxed), 1);
}

#[test]
fn a_download_larger_than_the_write_limit_ends_the_task_and_leaves_nothing() {
    let t = SftpEnv::new();
    t.server.put("/download/a.xml", vec![b'x'; 4 << 20]);
    let record = t.run(
        &sftp_engine(&t.connections(t.server.port)),
        r#"name: Limit
tasks:
  - task: sftp-download
    id: download
    grants: ["sftp:shop"]
    limits: { write: 1MiB }
    settings: { directory: /download, filename: a.xml, output-file: a.xml }
"#,
    );
    let d = task(&record, "download");
    assert_eq!(d.result, ResultCode::Fail, "{}", d.message);
    assert!(d.message.contains("write limit of 1 MiB"), "{}", d.message);
    assert!(
        t.local_names().is_empty(),
        "no partial file: {:?}",
        t.local_names()
    );
    assert_eq!(t.server.names("/download"), ["a.xml"]);
}

/// The capability reads the next file of a listing ahead while later tasks run; a file that
/// changed on the server after it was read ahead is downloaded again, and an unchanged one is
/// what the server holds.
#[test]
fn a_file_changed_after_it_was_read_ahead_is_downloaded_afresh() {
    let t = SftpEnv::new();
    t.server.put("/download/a.xml", "<a/>");
    t.server.put("/download/b.xml", "<b>old</b>");
    t.server.put("/download/c.xml", "<c>unchanged</c>");
    let connections =
        Connections::parse(&t.connections(t.server.port), Path::new("/")).expect("connections");
    let client = Arc::new(wharf_sftp::SftpClient::new(
        "shop",
        connections.sftp("shop").unwrap().clone(),
    ));
    let bridge = wharf_engine::blocking::AsyncBridge::new("read-ahead-test", 1).unwrap();
    let work = t.env.workdir();
    std::fs::create_dir_all(&work).unwrap();
    let unlimited: wharf_sftp::Charge = Arc::new(|_| Ok(()));
    let download = |name: &str| {
        let (client, charge) = (client.clone(), unlimited.clone());
        let (remote, local) = (format!("/download/{name}"), work.join(name));
        bridge
            .run(async move { client.download(&remote, &local, charge).await })
            .unwrap()
            .unwrap();
        std::fs::read_to_string(work.join(name)).unwrap()
    };
    let c = client.clone();
    let listed = bridge
        .run(async move { c.list("/download", false).await })
        .unwrap()
        .unwrap();
    assert_eq!(listed.iter().filter(|e| !e.is_directory).count(), 3);
    assert_eq!(download("a.xml"), "<a/>");
    // b.xml is read ahead now; give it the time, then change it.
    std::thread::sleep(std::time::Duration::from_millis(300));
    t.server.put("/download/b.xml", "<b>new and longer</b>");
    assert_eq!(download("b.xml"), "<b>new and longer</b>");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(download("c.xml"), "<c>unchanged</c>");
    // A file deleted after it was read ahead is not found, as without reading ahead.
    t.server.put("/download/a.xml", "<a/>");
    let c = client.clone();
    bridge
        .run(async move { c.list("/download", false).await })
        .unwrap()
        .unwrap();
    assert_eq!(download("a.xml"), "<a/>");
    std::thread::sleep(std::time::Duration::from_millis(300));
    std::fs::remove_file(t.server.path("/download/b.xml")).unwrap();
    let (c, charge) = (client.clone(), unlimited.clone());
    let local = work.join("gone.xml");
    let e = bridge
        .run(async move { c.download("/download/b.xml", &local, charge).await })
        .unwrap()
        .unwrap_err();
    assert_eq!(e.kind, wharf_sftp::FailureKind::NotFound, "{}", e.message);
}
