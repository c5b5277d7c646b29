//! Data safety of the run lifecycle, through the `wharf` binary: workflow identity and resume by
//! task id and structure, the run lock, unreadable run records, leftovers of stopped tasks, and
//! SIGINT/SIGTERM. Resuming after a task was inserted or changed, and `--fresh`, are cases in
//! tests/workflows.

use crate::support::{TestEnv, wharf_command};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn wharf(env: &TestEnv) -> Command {
    wharf_command(&env.data())
}

/// Writes `rel` (folders included) under the test's folder.
fn write(env: &TestEnv, rel: &str, text: &str) -> PathBuf {
    let p = env.dir.path().join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `wharf run --json WORKFLOW [extra]`: the exit code and the run record.
fn run_json(env: &TestEnv, workflow: &Path, extra: &[&str]) -> (Option<i32>, Value) {
    let out = wharf(env)
        .args(["run", "--json"])
        .args(extra)
        .arg(workflow)
        .output()
        .unwrap();
    let record = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no run record ({e}):\n{}", text(&out)));
    (out.status.code(), record)
}

/// Ids of the tasks a run record shows executed, in order.
fn ran(record: &Value) -> Vec<String> {
    record["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect()
}

const ACME: &str = "name: Acme orders\ntasks:\n  - task: noop\n    id: acme-first\n  - task: delete-file\n    id: acme-needs-file\n    settings: { input-file: acme.xml }\n";
const BRIGHT: &str = "name: Bright orders\ntasks:\n  - task: noop\n    id: bright-first\n  - task: noop\n    id: bright-second\n";

#[test]
fn two_workflow_files_of_one_file_name_keep_their_data_apart() {
    let env = TestEnv::new();
    let acme = write(&env, "acme/orders.yaml", ACME);
    let bright = write(&env, "bright/orders.yaml", BRIGHT);

    let (code, failed) = run_json(&env, &acme, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(failed["result"], "Resume", "{failed:#}");
    // Bright's run must not resume Acme's failed run (and skip its own first task).
    let (code, record) = run_json(&env, &bright, &[]);
    assert_eq!(code, Some(0), "{record:#}");
    assert_eq!(ran(&record), ["bright-first", "bright-second"]);
    assert!(record["resumed_from"].is_null(), "{record:#}");
    assert!(env.data().join("acme-orders/runs").is_dir());
    assert!(env.data().join("bright-orders/runs").is_dir());
    assert!(!env.data().join("orders").exists());

    let out = wharf(&env).arg("history").arg(&bright).output().unwrap();
    let history = text(&out);
    assert!(out.status.success(), "{history}");
    assert!(
        !history.contains("Resume") && history.contains("Success"),
        "{history}"
    );
}

#[test]
fn a_second_workflow_file_with_the_same_identity_is_refused() {
    let env = TestEnv::new();
    let first = write(&env, "acme/orders.yaml", BRIGHT);
    let second = write(&env, "bright/orders.yaml", BRIGHT);
    let out = wharf(&env).arg("run").arg(&first).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let out = wharf(&env).arg("run").arg(&second).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap().display().to_string();
    assert!(
        err.contains(&canonical(&first))
            && err.contains(&canonical(&second))
            && err.contains("same identity `bright-orders`")
            && err.contains("give one of them its own `id:`"),
        "{err}"
    );
    // An explicit id sets it apart.
    let apart = write(
        &env,
        "bright/orders.yaml",
        &BRIGHT.replace(
            "name: Bright orders\n",
            "name: Bright orders\nid: bright-two\n",
        ),
    );
    let out = wharf(&env).arg("run").arg(&apart).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(env.data().join("bright-two/workflow.json").is_file());
}

#[test]
fn a_data_folder_named_after_the_file_is_moved_to_the_workflows_identity() {
    let env = TestEnv::new();
    let acme = write(&env, "acme/orders.yaml", ACME);
    let bright = write(&env, "bright/orders.yaml", BRIGHT);
    // As an earlier Wharf left it: named after the file, holding Acme's input.
    let legacy = env.data().join("orders/work");
    std::fs::create_dir_all(&legacy).unwrap();
    std::fs::write(legacy.join("acme.xml"), "<x/>").unwrap();

    let (code, record) = run_json(&env, &acme, &[]);
    assert_eq!(code, Some(0), "the moved input was found: {record:#}");
    assert!(!env.data().join("orders").exists());
    assert!(env.data().join("acme-orders/workflow.json").is_file());
    let (code, _) = run_json(&env, &bright, &[]);
    assert_eq!(code, Some(0));
}

const MUTEX: &str = "name: Locked\nuse-mutex: true\ntasks:\n  - task: noop\n    id: only\n";

#[test]
fn an_unreadable_lock_is_taken_over_and_said_so() {
    let env = TestEnv::new();
    let wf = write(&env, "locked.yaml", MUTEX);
    assert_eq!(run_json(&env, &wf, &[]).0, Some(0));
    // A run that died while writing its lock left it empty.
    let lock = env.data().join("locked/run.lock");
    std::fs::write(&lock, "").unwrap();
    let out = wharf(&env).arg("run").arg(&wf).output().unwrap();
    let report = text(&out);
    assert!(out.status.success(), "{report}");
    assert!(
        report.contains("warning: took over a stale lock: the lock file")
            && report.contains("was unreadable"),
        "{report}"
    );
    assert!(!lock.exists(), "released");
}

#[test]
fn a_refused_concurrent_run_has_its_own_exit_code_and_says_so_once() {
    let env = TestEnv::new();
    let wf = write(&env, "locked.yaml", MUTEX);
    assert_eq!(run_json(&env, &wf, &[]).0, Some(0));
    // A live holder: this test process, on this machine.
    let holder = wharf_engine::storage::lock_info("holder-run", chrono::Duration::hours(1));
    std::fs::write(
        env.data().join("locked/run.lock"),
        serde_json::to_vec(&holder).unwrap(),
    )
    .unwrap();
    let out = wharf(&env).arg("run").arg(&wf).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("already running").count(), 1, "{err}");
    assert!(err.contains("(run holder-run since"), "{err}");
}

#[test]
fn a_malformed_run_record_is_skipped_and_history_lists_it() {
    let env = TestEnv::new();
    let wf = write(
        &env,
        "records.yaml",
        "name: Records\ntasks:\n  - task: noop\n",
    );
    assert_eq!(run_json(&env, &wf, &[]).0, Some(0));
    let bad = env
        .data()
        .join("records/runs/20990101T000000.000000Z_torn.json");
    std::fs::write(&bad, "{\"id\": \"torn\", \"workf").unwrap();

    let out = wharf(&env).arg("run").arg(&wf).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("skipping the unreadable run record"),
        "{}",
        text(&out)
    );
    let out = wharf(&env).arg("history").arg(&wf).output().unwrap();
    let history = text(&out);
    assert!(out.status.success(), "{history}");
    assert!(
        history.contains("unreadable run record") && history.contains("_torn.json"),
        "{history}"
    );
    assert_eq!(history.matches("Success").count(), 2, "{history}");
}

/// A stylesheet that runs for hours on [`many_nodes`], writing its output as it starts.
const SLOW_XSL: &str = r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="/"><out><xsl:for-each select="//x"><xsl:for-each select="//x"><xsl:if test="count(//x) = 0">never</xsl:if></xsl:for-each></xsl:for-each></out></xsl:template>
</xsl:stylesheet>
"#;

fn many_nodes() -> String {
    format!("<r>{}</r>", "<x/>".repeat(3000))
}

#[test]
fn a_task_stopped_by_its_time_limit_leaves_no_partial_file() {
    let env = TestEnv::new();
    env.write("slow.xsl", SLOW_XSL);
    env.write("in.xml", many_nodes());
    let wf = write(
        &env,
        "slow.yaml",
        "name: Slow\nid: workflow\ntasks:\n  - task: xslt-transform\n    id: slow\n    limits: { timeout: 1500ms }\n    settings: { input-file: in.xml, xslt-file: slow.xsl, output-file: out/result.xml }\n",
    );
    let (code, record) = run_json(&env, &wf, &[]);
    assert_eq!(code, Some(1));
    let task = &record["tasks"][0];
    assert!(
        task["message"].as_str().unwrap().contains("time limit"),
        "{task:#}"
    );
    let out = env.workdir().join("out");
    let left: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(
        task["logs"]
            .to_string()
            .contains("removed `out/.result.xml.wharf-partial`"),
        "{task:#}"
    );
}

/// Waits until `done` holds, or fails after a minute.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts `wharf run --json WORKFLOW` (data folder `id`) and waits until its checkpoint says it
/// is in task `path`.
fn run_until_in_task(env: &TestEnv, workflow: &Path, id: &str, path: &str) -> Child {
    let child = wharf(env)
        .args(["run", "--json"])
        .arg(workflow)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let checkpoint = env.data().join(id).join("checkpoint.json");
    let marker = format!("\"path\":\"{path}\"");
    wait_for(&format!("task {path}"), || {
        std::fs::read_to_string(&checkpoint).is_ok_and(|c| c.contains(&marker))
    });
    child
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn sigint_records_an_interrupted_run_that_the_next_run_resumes() {
    let env = TestEnv::new();
    let wf = write(
        &env,
        "spin.yaml",
        "name: Spin\nuse-mutex: true\ntasks:\n  - task: noop\n    id: before\n  - task: hostile\n    id: spin\n    break-on-failure: false\n    limits: { timeout: 8s }\n    settings: { mode: spin }\n  - task: noop\n    id: after\n",
    );
    let child = run_until_in_task(&env, &wf, "spin", "1");
    std::thread::sleep(Duration::from_millis(300));
    let sent = Instant::now();
    signal(&child, "INT");
    let out = child.wait_with_output().unwrap();
    let stopped_in = sent.elapsed();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert!(stopped_in < Duration::from_secs(5), "{stopped_in:?}");
    let record: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(record["result"], "Interrupted", "{record:#}");
    assert_eq!(record["resume_at"], "1");
    assert_eq!(ran(&record), ["before", "spin"]);
    assert!(!env.data().join("spin/run.lock").exists(), "lock released");
    let history = text(&wharf(&env).arg("history").arg(&wf).output().unwrap());
    assert!(
        history.contains("Interrupted") && !history.contains("running"),
        "{history}"
    );

    // The next run starts at the interrupted task (which now runs to its time limit).
    let (code, next) = run_json(&env, &wf, &[]);
    assert_eq!(code, Some(0), "{next:#}");
    assert_eq!(next["resumed_from"], "1");
    assert_eq!(ran(&next), ["spin", "after"]);
}

#[test]
fn sigterm_stops_wharf_xslt_and_removes_its_temporary_folder() {
    let env = TestEnv::new();
    let xsl = write(&env, "slow.xsl", SLOW_XSL);
    let input = write(&env, "in.xml", &many_nodes());
    let tmp = env.dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let child = wharf(&env)
        .env("TMPDIR", &tmp)
        .arg("xslt")
        .arg(&xsl)
        .arg(&input)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the temporary folder", || {
        crate::support::count_files(&tmp) > 0
    });
    std::thread::sleep(Duration::from_millis(500));
    signal(&child, "TERM");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143), "{}", text(&out));
    assert_eq!(
        crate::support::count_files(&tmp),
        0,
        "temporary folder left"
    );
}

#[test]
fn a_killed_run_resumes_its_task_by_id_after_a_task_is_inserted_before_it() {
    let env = TestEnv::new();
    let v1 = "name: Killed\ntasks:\n  - task: noop\n    id: before\n  - task: hostile\n    id: spin\n    break-on-failure: false\n    limits: { timeout: 2s }\n    settings: { mode: spin }\n  - task: noop\n    id: after\n";
    let wf = write(&env, "killed.yaml", v1);
    let mut child = run_until_in_task(&env, &wf, "killed", "1");
    child.kill().unwrap();
    child.wait().unwrap();

    write(
        &env,
        "killed.yaml",
        &v1.replace(
            "tasks:\n  - task: noop\n    id: before\n",
            "tasks:\n  - task: noop\n    id: inserted\n  - task: noop\n    id: before\n",
        ),
    );
    let (code, record) = run_json(&env, &wf, &[]);
    assert_eq!(code, Some(0), "{record:#}");
    assert_eq!(record["resumed_from"], "2", "{record:#}");
    assert_eq!(ran(&record), ["inserted", "spin", "after"]);
}
