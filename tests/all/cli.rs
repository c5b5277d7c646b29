//! The `wharf` command line: validate with file:line, run exit codes and report, tasks, history.

use crate::support::{TestEnv, repo_root, wharf_command};
use std::process::Command;

fn wharf(env: &TestEnv) -> Command {
    wharf_command(&env.data())
}

#[test]
fn validate_points_at_file_and_line() {
    let env = TestEnv::new();
    let wf = env.workflow("name: Bad\ntasks:\n  - task: split-xml\n    settings:\n      input-file: a.xml\n      xpath-qeury: /a/b\n      output-folder: out\n  - task: no-such-task\n");
    let out = wharf(&env).arg("validate").arg(&wf).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("workflow.yaml:6: task `split-xml`: `split-xml` has no setting `xpath-qeury`; did you mean `xpath-query`?"), "{err}");
    assert!(
        err.contains("workflow.yaml:3: task `split-xml`: setting `xpath-query` is required"),
        "{err}"
    );
    assert!(
        err.contains(
            "workflow.yaml:8: task `no-such-task`: unknown task `no-such-task` (available:"
        ),
        "{err}"
    );
}

#[test]
fn run_prints_a_report_and_exits_by_result() {
    let env = TestEnv::new();
    let ok = env.workflow("name: Fine\ntasks:\n  - task: noop\n    name: Say nothing\n");
    let out = wharf(&env).arg("run").arg(&ok).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("Say nothing") && text.contains("Success"),
        "{text}"
    );

    let bad = env.workflow("name: Broken\ntasks:\n  - task: delete-file\n    settings: { input-file: nothing-here.xml }\n");
    let out = wharf(&env).arg("run").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("NotFound") && text.contains("nothing-here.xml"),
        "{text}"
    );

    let out = wharf(&env).args(["history"]).arg(&bad).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Resume"), "{text}");
}

#[test]
fn tasks_lists_settings() {
    let env = TestEnv::new();
    let out = wharf(&env).args(["tasks", "split-xml"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("record-limit") && text.contains("[default: 200]"),
        "{text}"
    );
    let out = wharf(&env).args(["tasks", "nope"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no task named `nope`"));
}

#[test]
fn the_quickstart_example_runs() {
    let env = TestEnv::new();
    let work = env.data().join("quickstart/work");
    let generated = wharf(&env)
        .args(["generate", "--count", "450", "--output"])
        .arg(work.join("product_export.xml"))
        .output()
        .unwrap();
    assert!(generated.status.success());
    let out = wharf(&env)
        .arg("run")
        .arg(repo_root().join("examples/quickstart.yaml"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(crate::support::count_files(&work.join("upload")), 3);
    assert_eq!(
        crate::support::count_files(&env.data().join("quickstart/archive")),
        1
    );
    assert!(!work.join("product_export.xml").exists());
}
