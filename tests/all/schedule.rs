//! `wharf schedule` (docs/schedule.md) on a fast clock: starts on time, a start refused while
//! the last run goes on, missed starts skipped or made up once, runs recorded as started by the
//! schedule; `schedule:` errors naming the field; the cloud's schedules written from the same
//! blocks as the Terraform example holds them.

use crate::support::{TestEnv, repo_root, wharf_command};
use std::process::Output;

/// A workflow `id` whose single task is `task`, scheduled every 15 minutes (UTC).
fn scheduled(env: &TestEnv, id: &str, extra: &str, task: &str) -> std::path::PathBuf {
    let file = env.dir.path().join(format!("{id}.yaml"));
    std::fs::write(
        &file,
        format!(
            "name: {id}\nid: {id}\nresume-on-failure: false\nschedule: {{ every: 15m, time-zone: UTC{extra} }}\ntasks:\n{task}"
        ),
    )
    .unwrap();
    file
}

const NOOP: &str = "  - task: noop\n";
/// Spins until its 5 s limit stops it: a run that outlasts a 15-minute start at 300×.
const SLOW: &str = "  - task: hostile\n    limits: { timeout: 5s }\n    settings: { mode: spin }\n";

fn schedule(env: &TestEnv, args: &[&str]) -> Output {
    let out = wharf_command(&env.data())
        .env("TZ", "UTC")
        .arg("schedule")
        .args(args)
        .output()
        .expect("wharf schedule");
    assert!(
        out.status.success(),
        "wharf schedule {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The runs of workflow `id` in the data folder, as `wharf history --json` gives them.
fn runs(env: &TestEnv, id: &str) -> Vec<serde_json::Value> {
    let out = wharf_command(&env.data())
        .args(["history", id, "--json", "--limit", "100"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "history {id}: {e}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    json["runs"].as_array().cloned().unwrap_or_default()
}

fn lines_with<'a>(text: &'a str, what: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(what)).collect()
}

#[test]
fn starts_on_time_refuses_an_overlap_and_records_who_started_it() {
    let env = TestEnv::new();
    let fast = scheduled(&env, "fast", "", NOOP);
    let slow = scheduled(&env, "slow", "", SLOW);
    // Compile both components first: a cold start would make the first runs late.
    for file in [&fast, &slow] {
        wharf_command(&env.data())
            .env("USER", "tester")
            .arg("run")
            .arg(file)
            .output()
            .unwrap();
    }
    // 1 real second is 5 scheduled minutes: 08:00, 08:15, 08:30 in about 9 s.
    let out = schedule(
        &env,
        &[
            env.dir.path().to_str().unwrap(),
            "--clock-start",
            "2026-12-07T07:59:00Z",
            "--clock-speed",
            "300",
            "--until",
            "2026-12-07T08:40:00Z",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let starts = lines_with(&text, "fast: starting");
    assert_eq!(starts.len(), 3, "{text}");
    for (line, due) in starts.iter().zip(["08:00:00", "08:15:00", "08:30:00"]) {
        assert!(
            line.contains(&format!("(due 2026-12-07 {due} +00:00)")),
            "{line}"
        );
    }
    assert_eq!(
        lines_with(&text, "fast: run ended: success").len(),
        3,
        "{text}"
    );
    // The slow run (started 08:00, stopped by its limit after 25 scheduled minutes) is still
    // going at 08:15: that start is refused, not queued.
    let refused = lines_with(&text, "slow: start due");
    assert!(
        refused
            .first()
            .is_some_and(|l| l.contains("due 2026-12-07 08:15:00")
                && l.contains("refused: the run started 2026-12-07 08:00")),
        "{text}"
    );
    assert!(text.contains("slow: run ended: failed"), "{text}");

    let fast_runs = runs(&env, "fast");
    let by: Vec<_> = fast_runs
        .iter()
        .map(|r| r["started_by"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(by, ["cli:tester", "schedule", "schedule", "schedule"]);
    // The state a restart reads, with the next start `wharf serve` shows.
    let state: serde_json::Value = serde_json::from_slice(
        &std::fs::read(env.data().join("fast").join("schedule.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(state["next"], "2026-12-07T08:45:00Z");
}

#[test]
fn missed_starts_are_skipped_or_made_up_once() {
    let env = TestEnv::new();
    scheduled(&env, "skipper", "", NOOP);
    scheduled(&env, "catcher", ", missed: run-once", NOOP);
    // The scheduler last dealt with both at 07:00 and comes back at 08:07: 07:15, 07:30, 07:45
    // and 08:00 were missed.
    for id in ["skipper", "catcher"] {
        let folder = env.data().join(id);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(
            folder.join("schedule.json"),
            r#"{ "last": "2026-12-07T07:00:00Z", "next": "2026-12-07T07:15:00Z" }"#,
        )
        .unwrap();
    }
    let out = schedule(
        &env,
        &[
            env.dir.path().to_str().unwrap(),
            "--clock-start",
            "2026-12-07T08:07:00Z",
            "--clock-speed",
            "60",
            "--until",
            "2026-12-07T08:08:00Z",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "skipper: 4 missed start(s) from 2026-12-07 07:15:00 +00:00 not made up (missed: skip)"
        ),
        "{text}"
    );
    assert!(
        text.contains("catcher: starting once for 4 missed start(s) (missed: run-once)"),
        "{text}"
    );
    assert!(!text.contains("skipper: starting"), "{text}");
    assert_eq!(runs(&env, "catcher").len(), 1);
    assert!(!env.data().join("skipper").join("runs").exists());
}

#[test]
fn schedule_errors_name_the_field() {
    let env = TestEnv::new();
    let file = env.workflow(
        "name: Bad\nschedule: { every: 15, days: [mon, funday] }\ntasks:\n  - task: noop\n",
    );
    let out = wharf_command(&env.data())
        .arg("validate")
        .arg(&file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("schedule.every: `15` is not an interval"),
        "{err}"
    );
    assert!(
        err.contains("schedule.days: `funday` is not a day"),
        "{err}"
    );
    // A workflow without a schedule, named to `wharf schedule`, is an error too.
    let plain = env.workflow("name: Plain\ntasks:\n  - task: noop\n");
    let out = wharf_command(&env.data())
        .arg("schedule")
        .arg(&plain)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no `schedule:`"));
}

/// The attribute names of the module's `workflows` object type.
fn module_workflow_attributes() -> Vec<String> {
    let text =
        std::fs::read_to_string(repo_root().join("infra/modules/wharf-pipeline/variables.tf"))
            .unwrap();
    let start = text
        .find("variable \"workflows\"")
        .expect("workflows variable");
    let body = &text[start..];
    let object = &body[body.find("object({").unwrap()..body.find("}))").unwrap()];
    object
        .lines()
        .skip(1)
        .filter_map(|l| l.split('=').next())
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn the_cloud_schedules_are_written_from_the_workflows() {
    let env = TestEnv::new();
    let attributes = module_workflow_attributes();
    assert!(
        attributes.contains(&"schedule_expression".to_string()),
        "{attributes:?}"
    );
    for (workflow, customer) in [
        ("examples/sftp-to-sage.yaml", "acme-garden"),
        ("examples/bigcommerce-to-sage.yaml", "brightlight"),
    ] {
        let out = schedule(
            &env,
            &["--terraform", repo_root().join(workflow).to_str().unwrap()],
        );
        let written: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let committed = repo_root()
            .join("infra/examples/two-customers/schedules")
            .join(format!("{customer}.json"));
        let example: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&committed).unwrap()).unwrap();
        assert_eq!(
            written,
            example,
            "{} is not what `wharf schedule --terraform {workflow}` writes",
            committed.display()
        );
        for schedule in written.as_object().unwrap().values() {
            for key in schedule.as_object().unwrap().keys() {
                assert!(
                    attributes.contains(key),
                    "`{key}` is not an attribute of the module's workflows ({attributes:?})"
                );
            }
        }
    }
    // What one cron expression cannot say is refused, naming the workflow and the field.
    let odd = env
        .workflow("name: Odd\nschedule: { every: 45m, time-zone: UTC }\ntasks:\n  - task: noop\n");
    let out = wharf_command(&env.data())
        .args(["schedule", "--terraform"])
        .arg(&odd)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("Odd") && err.contains("schedule.every"),
        "{err}"
    );
}

#[test]
fn task_log_lines_stream_with_verbose() {
    // Not a schedule, but what a scheduled run's log shows: a task's lines as they happen.
    let env = TestEnv::new();
    std::fs::create_dir_all(env.workdir().join("in")).unwrap();
    std::fs::write(env.workdir().join("in/a.xml"), "<a/>").unwrap();
    let file = env.workflow(
        "name: Logs\nid: workflow\ntasks:\n  - task: file-repeater\n    settings: { input-directory: in }\n    tasks:\n      - task: noop\n",
    );
    let quiet = wharf_command(&env.data())
        .arg("run")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        quiet.status.success(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("match `"));
    let loud = wharf_command(&env.data())
        .args(["-v", "run", "--fresh"])
        .arg(&file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&loud.stderr);
    let line = err
        .lines()
        .find(|l| l.contains("1 file(s) in `/in` match"))
        .unwrap_or_else(|| panic!("no task log line in:\n{err}"));
    // tracing's own timestamp leads the line; the task and the level say whose it is.
    assert!(line.starts_with("20"), "{line}");
    assert!(line.contains("wharf::task"), "{line}");
}
