//! Bounds on what a workflow author or a component can make Wharf do (issue 11, defects 4, 7 and
//! part of 11): template rendering, workflow and setting sizes, limits, messages, setting ranges
//! and inline secrets. Each is met through the `wharf` binary, as a user would.

use crate::support::{TestEnv, wharf_command};
use proptest::prelude::*;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use wharf_engine::Workflow;

fn wharf(env: &TestEnv) -> Command {
    wharf_command(&env.data())
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn assert_no_panic(out: &Output) {
    let all = text(out);
    assert!(
        !all.contains("panicked") && out.status.code().is_some(),
        "wharf must not panic or die: {:?}\n{all}",
        out.status
    );
}

const NESTED_RANGES: &str = "{% for a in range(10000) %}{% for b in range(10000) %}{% for c in range(10000) %}x{% endfor %}{% endfor %}{% endfor %}";

#[test]
fn validate_rejects_templates_too_big_by_their_own_structure() {
    let env = TestEnv::new();
    let wf = env.workflow(&format!(
        "name: Loops\ntasks:\n  - task: noop\n    name: Loop forever\n    settings:\n      note: \"{NESTED_RANGES}\"\n  - task: noop\n    name: Shout\n    settings:\n      note: \"{{% for i in range(100) %}}{{{{ 'x' * 100000 }}}}{{% endfor %}}\"\n"
    ));
    let started = Instant::now();
    let out = wharf(&env).arg("validate").arg(&wf).output().unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = text(&out);
    assert!(
        err.contains("workflow.yaml:6: task `Loop forever`: setting `note`: template exceeds the template bounds")
            && err.contains("steps"),
        "{err}"
    );
    assert!(
        err.contains("task `Shout`: setting `note`") && err.contains("longer than 1 MiB"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// Templates whose cost depends on the run's data pass `validate`; the run stops them within
/// the bounds, with a failed task naming the setting, instead of hanging or aborting.
#[test]
fn run_stops_unbounded_templates_and_goes_on() {
    let env = TestEnv::new();
    let wf = env.workflow(
        "name: Data loops\nresume-on-failure: false\nuse-mutex: true\ntasks:\n  - task: noop\n    name: Nested\n    break-on-failure: false\n    limits: { timeout: 20s }\n    settings:\n      note: \"{% for a in range(N|int) %}{% for b in range(N|int) %}{% for c in range(N|int) %}x{% endfor %}{% endfor %}{% endfor %}\"\n  - task: noop\n    name: Allocate\n    break-on-failure: false\n    settings:\n      note: \"{% for a in range(N|int) %}{% for b in range(N|int) %}{{ 'x' * 100000 }}{% endfor %}{% endfor %}\"\n  - task: noop\n    name: After\n",
    );
    // `N` is a global the run is given; validate is told it exists (not its value).
    let out = wharf(&env)
        .args(["validate", "--var", "N=10000"])
        .arg(&wf)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let started = Instant::now();
    let out = wharf(&env)
        .args(["run", "--json", "--var", "N=10000"])
        .arg(&wf)
        .output()
        .unwrap();
    assert_no_panic(&out);
    let elapsed = started.elapsed();
    // The two tasks fail without breaking the workflow; the run goes on and ends.
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
    let record: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        record["message"]
            .as_str()
            .is_some_and(|m| m.contains("2 task execution(s) did not succeed")),
        "{record}"
    );
    let tasks = record["tasks"].as_array().unwrap();
    let message = |name: &str| {
        tasks
            .iter()
            .find(|t| t["name"] == name)
            .map(|t| t["message"].as_str().unwrap_or_default().to_string())
            .unwrap_or_else(|| panic!("no task {name} in {record}"))
    };
    let nested = message("Nested");
    assert!(
        nested.contains("setting `note`") && nested.contains("steps"),
        "{nested}"
    );
    let allocate = message("Allocate");
    assert!(
        allocate.contains("setting `note`") && allocate.contains("longer than 1 MiB"),
        "{allocate}"
    );
    assert!(
        tasks
            .iter()
            .any(|t| t["name"] == "After" && t["result"] == "Success"),
        "the run went on after the failed tasks: {record}"
    );
    // The mutex was released: a second run starts (and ends the same way) rather than being
    // refused as "already running".
    let again = wharf(&env)
        .args(["run", "--var", "N=10000"])
        .arg(&wf)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(
        !text(&again).contains("already running"),
        "{}",
        text(&again)
    );
}

#[test]
fn huge_limits_are_refused_with_a_message_not_a_panic() {
    let env = TestEnv::new();
    for (limits, expected) in [
        ("{ timeout: 99999999999999999999999h }", "maximum of 7 days"),
        ("{ timeout: 1e308 }", "duration"),
        ("{ memory: 64GiB }", "maximum of 4 GiB"),
        ("{ write: 99999999999999999999999999GiB }", "write"),
    ] {
        let wf = env.workflow(&format!(
            "name: Limits\nlimits: {limits}\ntasks:\n  - task: noop\n"
        ));
        let out = wharf(&env).arg("validate").arg(&wf).output().unwrap();
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(2), "{limits}: {}", text(&out));
        assert!(text(&out).contains(expected), "{limits}: {}", text(&out));
    }
}

#[test]
fn oversized_workflow_files_and_settings_are_refused() {
    let env = TestEnv::new();
    // A 1 GiB file (sparse: no disk used) is refused after reading past 4 MiB, not read whole.
    let huge = env.dir.path().join("huge.yaml");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let started = Instant::now();
    let out = wharf(&env).arg("validate").arg(&huge).output().unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("larger than the maximum of 4 MiB"),
        "{}",
        text(&out)
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    // A 2 MiB setting fits the file but not the setting bound.
    let wf = env.workflow(&format!(
        "name: Big setting\ntasks:\n  - task: noop\n    settings:\n      note: \"{}\"\n",
        "n".repeat(2 << 20)
    ));
    let out = wharf(&env).arg("validate").arg(&wf).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = text(&out);
    assert!(
        err.contains("workflow.yaml:5: task `noop`: setting `note`: the value is 2 MiB long, more than the maximum of 1 MiB"),
        "{}",
        &err[..err.len().min(500)]
    );
    assert!(err.len() < 2000, "the value is not echoed");
}

/// A component that returns a 50 MiB message and 30 MiB of outputs makes a run record of a
/// few hundred KiB, with the cut marked.
#[test]
fn run_records_stay_small_whatever_a_task_returns() {
    let env = TestEnv::new();
    let wf = env.workflow(
        "name: Loud\nresume-on-failure: false\ntasks:\n  - task: hostile\n    settings: { mode: huge-result }\n",
    );
    let out = wharf(&env).arg("run").arg(&wf).output().unwrap();
    assert_no_panic(&out);
    let shown: String = text(&out).chars().take(2000).collect();
    assert_eq!(out.status.code(), Some(1), "{shown}");
    let records = run_files(&env.data());
    assert!(!records.is_empty());
    let mut marked = false;
    for path in records {
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(size < 1 << 20, "{} is {size} bytes", path.display());
        let record = std::fs::read_to_string(&path).unwrap();
        marked |= record.contains("mmmm […]");
    }
    assert!(marked, "the cut message is kept, marked as cut");
    assert!(
        out.stdout.len() < 1 << 20,
        "report is {} bytes",
        out.stdout.len()
    );
}

#[test]
fn setting_ranges_and_non_empty_values_are_checked() {
    let env = TestEnv::new();
    let wf = env.workflow(
        "name: Careless\ntasks:\n  - task: split-xml\n    name: Split\n    settings:\n      input-file: \"\"\n      xpath-query: /Company/Products/Product\n      output-folder: out\n      record-limit: -5\n",
    );
    let out = wharf(&env).arg("validate").arg(&wf).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = text(&out);
    assert!(
        err.contains("workflow.yaml:6: task `Split`: setting `input-file`: must not be empty"),
        "{err}"
    );
    assert!(
        err.contains(
            "workflow.yaml:9: task `Split`: setting `record-limit`: must be at least 1, got -5"
        ),
        "{err}"
    );

    // `wharf tasks` shows the declared bounds.
    let out = wharf(&env).args(["tasks"]).output().unwrap();
    let doc = String::from_utf8_lossy(&out.stdout);
    let line = |name: &str| {
        doc.lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_default()
            .to_string()
    };
    assert!(line("record-limit").contains("[>= 1]"), "{doc}");
    assert!(line("input-file").contains("[non-empty]"), "{doc}");

    // At run time too, when a template renders an empty or out-of-range value.
    let wf = env.workflow(
        "name: Careless at run time\nresume-on-failure: false\nvariables: { Limit: \"0\", Input: \"\" }\ntasks:\n  - task: split-xml\n    name: Split\n    break-on-failure: false\n    settings:\n      input-file: a.xml\n      xpath-query: /a/b\n      output-folder: out\n      record-limit: \"{{ Limit }}\"\n  - task: delete-file\n    name: Delete\n    settings:\n      input-file: \"{{ Input }}\"\n",
    );
    let out = wharf(&env).arg("validate").arg(&wf).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let out = wharf(&env).arg("run").arg(&wf).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = text(&out);
    assert!(
        report.contains("setting `record-limit`: must be at least 1, got 0"),
        "{report}"
    );
    assert!(
        report.contains("setting `input-file`: must not be empty"),
        "{report}"
    );
}

#[test]
fn a_password_in_an_sftp_server_url_is_refused_and_never_echoed() {
    let env = TestEnv::new();
    let connections = env.dir.path().join("connections.yaml");
    std::fs::write(
        &connections,
        "sftp:\n  shop:\n    server: sftp://zynk:hunter2@sftp.example.co.uk\n    username: zynk\n    password: { env: SHOP_PASSWORD }\n    host-key: \"SHA256:abc\"\n",
    )
    .unwrap();
    let wf = env.workflow(
        "name: Download\ntasks:\n  - task: sftp-download\n    grants: [\"sftp:shop\"]\n    settings: { directory: /download, filename: a.xml, output-file: a.xml }\n",
    );
    for command in ["validate", "run"] {
        let out = wharf(&env)
            .arg("--connections")
            .arg(&connections)
            .arg(command)
            .arg(&wf)
            .output()
            .unwrap();
        let all = text(&out);
        assert_eq!(out.status.code(), Some(2), "{command}: {all}");
        assert!(
            all.contains("sftp connection `shop`: `server` holds a password"),
            "{command}: {all}"
        );
        assert!(!all.contains("hunter2"), "{command}: {all}");
    }
    for path in run_files(&env.data()) {
        let record = std::fs::read_to_string(path).unwrap();
        assert!(!record.contains("hunter2"));
    }
}

/// Every run record under a data folder (wherever the workflow's folder is).
fn run_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(run_files(&path));
        } else if path.parent().is_some_and(|p| p.ends_with("runs"))
            && path.extension().is_some_and(|e| e == "json")
        {
            found.push(path);
        }
    }
    found
}

/// Seeds for the loader property test: the shipped examples and a few hand-written shapes.
fn seeds() -> Vec<String> {
    let mut seeds: Vec<String> = std::fs::read_dir(crate::support::repo_root().join("examples"))
        .unwrap()
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "yaml")
                .then(|| std::fs::read_to_string(p).ok())
                .flatten()
        })
        .collect();
    seeds.push(
        "name: T\nlimits: { timeout: 5s, memory: 64MiB }\nvariables: { A: 1, B: \"{{ A }}\" }\ntasks:\n  - task: noop\n    id: a\n    limits: { write: 1KiB }\n  - switch:\n      fail: [ { task: noop } ]\n      default:\n        - container: C\n          tasks: [ { task: noop, name: N } ]\n  - task: if-file-exists\n    settings: { input-file: a, minimum-length: -1 }\n    tasks: [ { task: noop } ]\n    else: [ { task: noop } ]\n"
            .into(),
    );
    seeds
}

/// Pieces of YAML and template syntax that mutations splice in.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    "- ",
    "\n",
    "  ",
    "&a ",
    "*a",
    "!!str ",
    "'",
    "\"",
    "#",
    "|",
    ">",
    "{{",
    "}}",
    "{%",
    "%}",
    "99999999999999999999999h",
    "-5",
    "1e308",
    "~",
    "null",
    "tasks:",
    "task: noop",
    "limits: { timeout: 0s }",
    "switch:",
    "else:",
    "\u{feff}",
    "é",
    "\0",
    "\t",
    "range(100000)",
    "settings: { note: x }",
];

fn mutate(seed: &str, edits: &[(usize, usize, usize)]) -> String {
    let mut text: Vec<char> = seed.chars().collect();
    for &(kind, at, token) in edits {
        let at = if text.is_empty() { 0 } else { at % text.len() };
        match kind % 4 {
            0 => {
                let piece: Vec<char> = TOKENS[token % TOKENS.len()].chars().collect();
                text.splice(at..at, piece);
            }
            1 => {
                let end = (at + token % 16).min(text.len());
                text.drain(at..end);
            }
            2 => {
                let end = (at + token % 64).min(text.len());
                let copy: Vec<char> = text[at..end].to_vec();
                text.splice(at..at, copy);
            }
            _ => {
                if at < text.len() {
                    text[at] = TOKENS[token % TOKENS.len()].chars().next().unwrap_or(' ');
                }
            }
        }
    }
    text.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    /// The loader and the checks `validate` runs never panic, whatever the text: every input
    /// either loads or yields errors that name the file.
    #[test]
    fn the_workflow_loader_never_panics(
        seed in 0usize..16,
        edits in proptest::collection::vec((0usize..4, 0usize..100_000, 0usize..1000), 0..12),
    ) {
        let seeds = seeds();
        let text = mutate(&seeds[seed % seeds.len()], &edits);
        let path = Path::new("mutated.yaml");
        match Workflow::parse(path, &text) {
            Ok(wf) => {
                // Checking against the components runs the setting and template checks.
                if let Err(errors) = crate::support::engine().prepare(wf) {
                    prop_assert!(errors.0.iter().all(|e| e.file == path && !e.message.is_empty()));
                }
            }
            Err(errors) => {
                prop_assert!(!errors.0.is_empty());
                prop_assert!(errors.0.iter().all(|e| e.file == path && !e.message.is_empty()));
            }
        }
    }
}
