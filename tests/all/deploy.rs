//! `wharf deploy`'s refusals, which happen before any request (no S3 server needed); the
//! deployment itself is covered by host/cloud's tests and the end-to-end test in `cloud`.

use crate::support::{TestEnv, wharf_command};

#[test]
fn deploy_refuses_a_broken_workflow_naming_file_and_line() {
    let env = TestEnv::new();
    let wf = env.workflow("name: Bad\ntasks:\n  - task: no-such-task\n");
    let out = wharf_command(&env.data())
        .args(["deploy", "--bucket", "b", "--customer", "acme"])
        .arg(&wf)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("workflow.yaml:3: task `no-such-task`: unknown task `no-such-task`"),
        "{err}"
    );
}

#[test]
fn deploy_refuses_a_connections_file_holding_a_secret_without_printing_it() {
    let env = TestEnv::new();
    let wf = env.workflow(
        "name: Copy\ntasks:\n  - task: copy-file\n    settings: { input-file: a, output-file: b }\n",
    );
    let conns = env.dir.path().join("connections.yaml");
    std::fs::write(
        &conns,
        "sftp:\n  shop:\n    server: a\n    username: b\n    password: s3cr3t-n0t-pr1nted\n    host-key: SHA256:x\n",
    )
    .unwrap();
    let out = wharf_command(&env.data())
        .args(["deploy", "--bucket", "b", "--customer", "acme"])
        .arg("--connections-file")
        .arg(&conns)
        .arg(&wf)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&conns.display().to_string()) && err.contains("{ env: NAME }"),
        "{err}"
    );
    assert!(!err.contains("s3cr3t"), "{err}");
}

#[test]
fn deploy_refuses_an_http_connection_holding_a_secret_without_printing_it() {
    let env = TestEnv::new();
    let wf = env.workflow(
        "name: Copy\ntasks:\n  - task: copy-file\n    settings: { input-file: a, output-file: b }\n",
    );
    let conns = env.dir.path().join("connections.yaml");
    for text in [
        "http:\n  shop:\n    base-url: https://shop.example/\n    auth: { bearer: s3cr3t-n0t-pr1nted }\n",
        "http:\n  shop:\n    base-url: https://zynk:s3cr3t-n0t-pr1nted@shop.example/\n",
    ] {
        std::fs::write(&conns, text).unwrap();
        let out = wharf_command(&env.data())
            .args(["deploy", "--bucket", "b", "--customer", "acme"])
            .arg("--connections-file")
            .arg(&conns)
            .arg(&wf)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{text}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&conns.display().to_string()) && err.contains("env"),
            "{err}"
        );
        assert!(!err.contains("s3cr3t"), "{err}");
    }
}
