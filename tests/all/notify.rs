//! Failure notices (docs/notify.md): a failed run's `on-failure:` e-mail reaches a real SMTP
//! server (aiosmtpd on 127.0.0.1) and its webhook POST a listener behind an `http:`
//! connection, both with the run's summary and the link to its page; a successful run sends
//! nothing; a notice that cannot be sent is a warning, not a different result. The `notify`
//! task sends the run's summary so far the same two ways, each only through its grant.

use crate::support::{TestEnv, assert_contains_all, wharf_command};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;
use wharf_test_peers::smtp::{SmtpSecurity, SmtpServer};

/// A listener that answers every request 200 and hands over each one's head and body.
fn webhook_listener() -> (u16, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let mut stream = stream;
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = tx.send((head, String::from_utf8_lossy(&body).into_owned()));
        }
    });
    (port, rx)
}

fn workflow(env: &TestEnv, mode: &str) -> std::path::PathBuf {
    env.workflow(&format!(
        "name: Web orders\nid: web-orders\nresume-on-failure: false\non-failure:\n  email: {{ connection: office, to: [ops@example.co.uk] }}\n  webhook: {{ connection: alerts, path: hooks/wharf }}\n  link: http://wharf.example:8420/\ntasks:\n  - task: noop\n    id: first\n  - task: hostile\n    id: importer\n    name: Import orders\n    settings: {{ mode: {mode} }}\n"
    ))
}

#[test]
fn a_failed_run_is_announced_by_email_and_webhook() {
    let env = TestEnv::new();
    let smtp = SmtpServer::start(SmtpSecurity::Plain, None);
    let (hook_port, hooks) = webhook_listener();
    std::fs::create_dir_all(env.data()).unwrap();
    std::fs::write(
        env.data().join("connections.yaml"),
        format!(
            "email:\n  office: {{ server: 127.0.0.1, port: {}, security: none, from: wharf@example.co.uk }}\nhttp:\n  alerts: {{ base-url: \"http://127.0.0.1:{hook_port}/\" }}\n",
            smtp.port
        ),
    )
    .unwrap();
    let file = workflow(&env, "trap");
    let out = wharf_command(&env.data())
        .env("USER", "tester")
        .arg("run")
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("on-failure"), "{stderr}");
    let runs: serde_json::Value = serde_json::from_slice(
        &wharf_command(&env.data())
            .args(["history", "web-orders", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let run_id = runs["runs"][0]["id"].as_str().unwrap().to_string();
    let link = format!("http://wharf.example:8420/w/web-orders/runs/{run_id}");

    let mail = smtp.wait_for(1);
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, ["ops@example.co.uk"]);
    let data = mail[0].data.replace("=\r\n", "").replace("\r\n", "\n");
    assert_contains_all(
        &data,
        &[
            "Subject: Web orders: Fail",
            "Workflow Web orders (web-orders) failed: Fail",
            &format!("Run {run_id}"),
            "by cli:tester",
            "Import orders: Fail",
            &link,
        ],
    );

    let (head, body) = hooks
        .recv_timeout(Duration::from_secs(10))
        .expect("the webhook");
    assert!(head.starts_with("POST /hooks/wharf HTTP/1.1"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    let hook: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(hook["workflow_id"], "web-orders");
    assert_eq!(hook["run"], run_id.as_str());
    assert_eq!(hook["result"], "fail");
    assert_eq!(hook["started_by"], "cli:tester");
    assert_eq!(hook["failed_tasks"][0]["id"], "importer");
    assert_eq!(hook["link"], link.as_str());

    // A run that succeeds tells no one.
    let ok = env.workflow(
        "name: Web orders\nid: web-orders\non-failure:\n  webhook: { connection: alerts, path: hooks/wharf }\ntasks:\n  - task: noop\n",
    );
    let out = wharf_command(&env.data())
        .arg("run")
        .arg(&ok)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(hooks.recv_timeout(Duration::from_millis(500)).is_err());
    assert_eq!(smtp.delivered().len(), 1);
}

#[test]
fn a_notice_that_cannot_be_sent_is_a_warning() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.data()).unwrap();
    // No `office` or `alerts` connection: both notices fail, the run's result stays.
    std::fs::write(env.data().join("connections.yaml"), "email: {}\nhttp: {}\n").unwrap();
    let file = workflow(&env, "trap");
    let out = wharf_command(&env.data())
        .arg("run")
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_contains_all(
        &stderr,
        &[
            "warning: on-failure e-mail (connection `office`) not sent: no `email:` connection named `office`",
            "warning: on-failure webhook (connection `alerts`) not sent",
        ],
    );
    // A block that says nothing is refused when the workflow is loaded.
    let bad = env.workflow("name: Bad\non-failure: { link: ftp://x }\ntasks:\n  - task: noop\n");
    let out = wharf_command(&env.data())
        .arg("validate")
        .arg(&bad)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_contains_all(
        &stderr,
        &[
            "on-failure: give `email:`, `webhook:` or both",
            "on-failure.link: `ftp://x`",
        ],
    );
}

/// A connections file with `office` (SMTP on `smtp`) and `alerts` (the webhook listener).
fn notify_connections(env: &TestEnv, smtp: &SmtpServer, hook_port: u16) {
    std::fs::create_dir_all(env.data()).unwrap();
    std::fs::write(
        env.data().join("connections.yaml"),
        format!(
            "email:\n  office: {{ server: 127.0.0.1, port: {}, security: none, from: wharf@example.co.uk }}\nhttp:\n  alerts: {{ base-url: \"http://127.0.0.1:{hook_port}/\" }}\n",
            smtp.port
        ),
    )
    .unwrap();
}

/// A run of Web orders whose import fails without stopping the run, then `notify` with `grants`
/// and `settings`; the run's record.
fn run_notify(env: &TestEnv, grants: &str, settings: &str) -> serde_json::Value {
    let file = env.workflow(&format!(
        "name: Web orders\nid: web-orders\ntasks:\n  - task: noop\n    id: first\n  - task: hostile\n    id: importer\n    name: Import orders\n    break-on-failure: false\n    settings: {{ mode: trap }}\n  - task: notify\n    id: tell\n    name: Tell the office\n    grants: {grants}\n    settings: {settings}\n"
    ));
    let out = wharf_command(&env.data())
        .env("WHARF_SERVE_URL", "https://wharf.example/")
        .arg("run")
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let history: serde_json::Value = serde_json::from_slice(
        &wharf_command(&env.data())
            .args(["history", "web-orders", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap_or_else(|e| panic!("{e}: {stderr}"));
    history["runs"]
        .as_array()
        .unwrap()
        .last()
        .cloned()
        .expect(&stderr)
}

fn task<'a>(record: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    record["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("no task `{id}` in {record}"))
}

#[test]
fn the_notify_task_sends_the_run_so_far_by_email_and_webhook() {
    let env = TestEnv::new();
    let smtp = SmtpServer::start(SmtpSecurity::Plain, None);
    let (hook_port, hooks) = webhook_listener();
    notify_connections(&env, &smtp, hook_port);
    let record = run_notify(
        &env,
        r#"["email:office", "http:alerts"]"#,
        r#"{ to: "ops@example.co.uk", webhook-path: hooks/wharf, message: "Nightly import done" }"#,
    );
    let tell = task(&record, "tell");
    assert_eq!(tell["result"], "Success", "{tell}");
    let run_id = record["id"].as_str().unwrap();
    let link = format!("https://wharf.example/w/web-orders/runs/{run_id}");

    let mail = smtp.wait_for(1);
    assert_eq!(mail[0].to, ["ops@example.co.uk"]);
    let data = mail[0].data.replace("=\r\n", "").replace("\r\n", "\n");
    assert_contains_all(
        &data,
        &[
            "Subject: Web orders: running, 1 task failed",
            "Nightly import done",
            "Workflow Web orders (web-orders) is running: 1 task failed so far",
            "Import orders: Fail",
            &link,
        ],
    );

    let (head, body) = hooks
        .recv_timeout(Duration::from_secs(10))
        .expect("the webhook");
    assert!(head.starts_with("POST /hooks/wharf HTTP/1.1"), "{head}");
    let hook: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(hook["result"], "running");
    assert_eq!(hook["run"], run_id);
    assert_eq!(hook["failed_tasks"][0]["id"], "importer");
    assert_eq!(hook["records"]["failed"], 0);
    assert_eq!(hook["note"], "Nightly import done");
    assert_eq!(hook["link"], link.as_str());
}

#[test]
fn the_notify_task_sends_only_through_its_grants() {
    let env = TestEnv::new();
    let smtp = SmtpServer::start(SmtpSecurity::Plain, None);
    let (hook_port, hooks) = webhook_listener();
    notify_connections(&env, &smtp, hook_port);
    // The e-mail is granted, the webhook is not: the e-mail goes, the webhook is not permitted.
    let record = run_notify(
        &env,
        r#"["email:office"]"#,
        r#"{ to: "ops@example.co.uk", webhook-path: hooks/wharf }"#,
    );
    let tell = task(&record, "tell");
    assert_eq!(tell["result"], "Fail", "{tell}");
    let message = tell["message"].as_str().unwrap();
    assert_contains_all(
        message,
        &[
            "setting `webhook-path`",
            "not permitted",
            "grants: [\"http:",
            "the e-mail went",
        ],
    );
    assert_eq!(smtp.wait_for(1).len(), 1);
    assert!(hooks.recv_timeout(Duration::from_millis(500)).is_err());

    // Nothing granted: not permitted, and nothing sent.
    let record = run_notify(&env, "[]", r#"{ to: "ops@example.co.uk" }"#);
    let tell = task(&record, "tell");
    assert_eq!(tell["result"], "Fail", "{tell}");
    let message = tell["message"].as_str().unwrap();
    assert_contains_all(
        message,
        &["setting `to`", "not permitted", "grants: [\"email:"],
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(smtp.delivered().len(), 1, "only the granted e-mail went");
}
