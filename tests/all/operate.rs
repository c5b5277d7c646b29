//! Operating Wharf from the command line (issue 17): what a new user tripped over, and the
//! machine-readable and scriptable commands, each through the `wharf` binary.

use crate::support::{TestEnv, fixture, repo_root, wharf_command};
use std::io::Read;
use std::process::{Command, Output, Stdio};

fn wharf(env: &TestEnv) -> Command {
    let mut c = wharf_command(&env.data());
    c.env("WHARF_SAGE_LEDGER", env.dir.path().join("ledger.sqlite"));
    c
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `command`, asserting it succeeded; its standard output.
fn ok(command: &mut Command) -> String {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{command:?}: {}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn json(command: &mut Command) -> serde_json::Value {
    let stdout = ok(command);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{command:?}: {e}: {stdout}"))
}

/// `wharf … | head` with a reader that has gone before anything was written.
fn with_reader_gone(command: &mut Command) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    Output {
        status,
        stdout: Vec::new(),
        stderr: stderr.into_bytes(),
    }
}

#[test]
fn a_closed_pipe_ends_listings_quietly() {
    let env = TestEnv::new();
    for args in [
        &["tasks"][..],
        &["tasks", "--json"],
        &["completions", "bash"],
    ] {
        let out = with_reader_gone(wharf(&env).args(args));
        assert_eq!(
            out.status.code(),
            Some(0),
            "wharf {args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "wharf {args:?}: {}",
            text(&out.stderr)
        );
    }
}

const IMPORT: &str = "name: Import orders\ntasks:\n  - task: sage50-import-sales-orders\n    name: Import the orders\n    grants: [sage]\n    settings:\n      input-file: orders.xml\n      success-file: ok.xml\n      fail-file: fail.xml\n";

#[test]
fn a_run_refuses_a_ledger_that_is_not_there() {
    let env = TestEnv::new();
    let wf = env.workflow(IMPORT);
    let wrong = env.dir.path().join("typo/ledger.sqlite");
    let run = || {
        wharf(&env)
            .arg("run")
            .arg(&wf)
            .arg("--sage-ledger")
            .arg(&wrong)
            .output()
            .unwrap()
    };
    let out = run();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(
        err.contains("task `Import the orders` uses the Sage ledger")
            && err.contains(&wrong.display().to_string())
            && err.contains("wharf sage create-company"),
        "{err}"
    );
    assert!(!wrong.exists() && !wrong.parent().unwrap().exists());
    assert!(
        !env.binary_data(&wf).join("runs").exists()
            || std::fs::read_dir(env.binary_data(&wf).join("runs"))
                .unwrap()
                .next()
                .is_none(),
        "a refused run leaves no run record"
    );

    // So does a Sage job run in-process.
    let job = env.dir.path().join("job.json");
    std::fs::write(&job, "{}").unwrap();
    let out = wharf(&env)
        .args(["sage", "job"])
        .arg(&job)
        .arg("--sage-ledger")
        .arg(&wrong)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("there is no Sage ledger at"),
        "{}",
        text(&out.stderr)
    );
    assert!(!wrong.parent().unwrap().exists());

    // Once the company exists the run goes ahead (and fails for want of its input file).
    ok(wharf(&env)
        .args(["sage", "create-company", "--sage-ledger"])
        .arg(&wrong));
    let out = run();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("orders.xml"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn validate_checks_templates_without_running() {
    let env = TestEnv::new();
    let wf = env.workflow(
        r#"name: Templates
variables:
  Shop: acme
tasks:
  - task: copy-file
    id: first
    settings:
      input-file: "{{ Nope }}.xml"
      output-file: "out/{{ CurrentDate }}/{{ current.Name }}.xml"
  - task: file-repeater
    settings: { input-directory: in }
    tasks:
      - task: copy-file
        settings:
          input-file: "{{ current.FullName }}"
          output-file: "{{ outputs.nosuch.x }}{{ outputs.first.y }}-{{ Shop }}-{{ now('%Y') }}-{% for i in range(2) %}{{ loop.index }}{% endfor %}"
"#,
    );
    let out = wharf(&env).arg("validate").arg(&wf).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    for expected in [
        "workflow.yaml:8: task `copy-file`: setting `input-file`: unknown variable `Nope`",
        "workflow.yaml:9: task `copy-file`: setting `output-file`: `current.Name` reads `current`, the item of a repeater, but this task is not inside one",
        "workflow.yaml:16: task `copy-file`: setting `output-file`: `outputs.nosuch.x`: no task has the id `nosuch`",
        "workflow.yaml:9: task `copy-file`: setting `output-file`: `CurrentDate` renders with `/`",
    ] {
        assert!(err.contains(expected), "missing `{expected}` in:\n{err}");
    }
    assert!(
        err.starts_with("warning: ") && err.contains("\nerror: "),
        "{err}"
    );
    assert_eq!(err.matches("task `copy-file`").count(), 4, "{err}");

    let out = wharf(&env)
        .args(["validate", "--json"])
        .arg(&wf)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["ok"], false);
    assert_eq!(answer["tasks"], 3);
    assert_eq!(answer["errors"].as_array().unwrap().len(), 3, "{answer}");
    assert_eq!(answer["warnings"].as_array().unwrap().len(), 1, "{answer}");

    // Fixed (a global named on the command line counts as known), it validates.
    let wf = env.workflow(
        r#"name: Templates
tasks:
  - task: file-repeater
    settings: { input-directory: in }
    tasks:
      - task: copy-file
        settings:
          input-file: "{{ current.FullName }}"
          output-file: "out/{{ Nope }}-{{ now('%Y-%m-%d') }}.xml"
"#,
    );
    let answer = json(
        wharf(&env)
            .args(["validate", "--json", "--var", "Nope=1"])
            .arg(&wf),
    );
    assert_eq!(answer["ok"], true, "{answer}");
    assert!(
        ok(wharf(&env).args(["validate", "--var", "Nope=1"]).arg(&wf)).contains("ok (2 tasks)")
    );
}

#[test]
fn deploy_without_credentials_says_so_in_one_line() {
    let env = TestEnv::new();
    let out = wharf(&env)
        .args([
            "deploy",
            "--bucket",
            "b",
            "--customer",
            "c",
            "--region",
            "eu-west-2",
        ])
        .arg(repo_root().join("examples/quickstart.yaml"))
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_CONFIG_FILE")
        .env_remove("AWS_SHARED_CREDENTIALS_FILE")
        .env("HOME", env.dir.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: no AWS credentials") && err.contains("AWS_ACCESS_KEY_ID"),
        "{err}"
    );
    assert!(!err.contains('{') && !err.contains('\u{1b}'), "{err}");
}

/// The Sage example run once: a company, its products and the download sample imported.
fn imported(env: &TestEnv) -> std::path::PathBuf {
    ok(wharf(env).args(["sage", "create-company"]));
    let products = fixture("zynk-xml/Stationary & Computer Mart - Product Export.xml");
    ok(wharf(env).args(["sage", "load"]).arg(&products));
    let example = repo_root().join("examples/sage-import.yaml");
    let work = env.data().join("sage-import/work");
    std::fs::create_dir_all(&work).unwrap();
    let download = fixture("zynk-xml/Customer with Sales Order and Card Payment [DOWNLOAD].xml");
    std::fs::copy(download, work.join("download.xml")).unwrap();
    ok(wharf(env).arg("run").arg(&example));
    example
}

fn order_count(env: &TestEnv) -> u64 {
    json(wharf(env).args(["sage", "orders", "--json"]))["total"]
        .as_u64()
        .unwrap()
}

#[test]
fn json_listings_history_by_name_and_truth_records() {
    let env = TestEnv::new();
    let example = imported(&env);

    let customers = json(wharf(&env).args(["sage", "customers", "--json"]));
    assert!(
        customers["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["account_ref"] == "INTE001"),
        "{customers}"
    );
    let stock = json(wharf(&env).args(["sage", "stock", "--json", "--limit", "2"]));
    assert_eq!(stock["rows"].as_array().unwrap().len(), 2);
    assert!(stock["total"].as_u64().unwrap() > 2, "{stock}");
    assert_eq!(order_count(&env), 1);

    // History by file and by the workflow's name agree.
    let by_file = json(wharf(&env).args(["history", "--json"]).arg(&example));
    let name = "Sage import — customers, sales orders, stock";
    let by_name = json(wharf(&env).args(["history", "--json", name]));
    assert_eq!(by_file, by_name);
    let runs = by_name["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["workflow"], name);
    let id = runs[0]["id"].as_str().unwrap();
    let run = json(wharf(&env).args(["history", name, "--json", "--run", &id[..8]]));
    assert_eq!(run["id"], id);
    let out = wharf(&env)
        .args(["history", "No such workflow"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("neither a workflow file nor the name"),
        "{}",
        text(&out.stderr)
    );

    // Run again: the order is a duplicate, which the report says although every task succeeded.
    let report = ok(wharf(&env).arg("run").arg(&example));
    let first = report.lines().next().unwrap();
    assert!(
        first.ends_with("— Success with 1 failed record: see orders_fail.xml"),
        "{report}"
    );
    let second = json(wharf(&env).args(["history", name, "--json"]))["runs"][1]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let table = ok(wharf(&env).args(["history", name]));
    let newest = table.lines().nth(1).unwrap();
    assert!(
        newest.starts_with(&second[..12]) && newest.split_whitespace().nth(7) == Some("1"),
        "the newest run's failed records: {table}"
    );
    let failures = ok(wharf(&env).args(["history", name, "--failures", "--run", &second]));
    assert!(failures.contains("see orders_fail.xml"), "{failures}");
    assert!(
        failures.contains("Import sales orders into Sage")
            && !failures.contains("Import customers into Sage")
            && !failures.contains("Export changed stock records"),
        "{failures}"
    );

    // The order's truth record: listed, shown, removed; the next run imports the order again.
    let truth = json(wharf(&env).args(["truth", "list", "sage-import", "--json"]));
    let order = truth
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"].as_str().unwrap().contains("Order"))
        .unwrap_or_else(|| panic!("no order in {truth}"))
        .clone();
    let (kind, external) = (
        order["kind"].as_str().unwrap(),
        order["external_id"].as_str().unwrap(),
    );
    let table = ok(wharf(&env).args(["truth", "show", name, external]));
    assert!(table.contains(kind) && table.contains(external), "{table}");
    let removed = ok(wharf(&env)
        .args(["truth", "delete"])
        .arg(&example)
        .args([kind, external]));
    assert!(
        removed.contains("the next run imports it again"),
        "{removed}"
    );
    let out = wharf(&env)
        .args(["truth", "delete", name, kind, external])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a second delete finds nothing");
    ok(wharf(&env).arg("run").arg(&example));
    assert_eq!(
        order_count(&env),
        2,
        "the order was imported again on purpose"
    );
}

#[test]
fn completions_and_the_manual_page_come_from_the_cli() {
    let env = TestEnv::new();
    for shell in ["bash", "zsh", "fish"] {
        let script = ok(wharf(&env).args(["completions", shell]));
        assert!(
            script.contains("validate") && script.contains("truth"),
            "{shell}: {script}"
        );
    }
    let page = ok(wharf(&env).arg("manual"));
    assert!(
        page.starts_with(".ie") || page.contains(".TH wharf 1"),
        "{page}"
    );
    assert!(page.contains("history"), "{page}");
}

#[test]
fn the_report_summarises_a_repeater_and_labels_a_failed_run() {
    let env = TestEnv::new();
    let wf = env.workflow(
        "name: Copies\ntasks:\n  - task: file-repeater\n    settings: { input-directory: in }\n    tasks:\n      - task: copy-file\n        break-on-failure: false\n        settings:\n          input-file: \"{{ current.FullName }}\"\n          output-file: \"out/{{ current.Name }}\"\n          overwrite: false\n",
    );
    let work = env.binary_data(&wf).join("work");
    std::fs::create_dir_all(work.join("in")).unwrap();
    std::fs::create_dir_all(work.join("out")).unwrap();
    for i in 0..200 {
        std::fs::write(work.join(format!("in/f{i:03}.txt")), "x").unwrap();
    }
    // Two copies fail: their output is already there.
    for taken in ["f050.txt", "f150.txt"] {
        std::fs::write(work.join("out").join(taken), "taken").unwrap();
    }
    let report = ok(wharf(&env).arg("run").arg(&wf));
    let executions: Vec<&str> = report
        .lines()
        .filter(|l| l.contains("copy-file #"))
        .collect();
    assert_eq!(executions.len(), 3 + 2, "{report}");
    assert!(
        report.contains("… 195 more execution(s) of `copy-file` not shown: 195 Success; records in 195, out 195, failed 0"),
        "{report}"
    );
    assert!(report.lines().count() < 20, "{report}");
    assert!(
        report.contains("f050.txt") && report.contains("f150.txt"),
        "{report}"
    );
    assert!(
        report
            .lines()
            .next()
            .unwrap()
            .contains("Success with 2 failed records"),
        "{report}"
    );

    let failures = ok(wharf(&env).args(["run", "--fresh", "--failures"]).arg(&wf));
    // Every copy fails now (all outputs exist): the first three and twenty more are shown.
    assert_eq!(
        failures
            .lines()
            .filter(|l| l.contains("copy-file #"))
            .count(),
        23,
        "{failures}"
    );
    assert!(
        failures.contains("… 177 more execution(s) of `copy-file` not shown: 177 Fail"),
        "{failures}"
    );

    // A failed run says so, and where the next run starts.
    let wf = env.workflow(
        "name: Broken\nresume-on-failure: true\ntasks:\n  - task: delete-file\n    name: Remove the order file\n    settings: { input-file: nothing-here.xml }\n",
    );
    let out = wharf(&env).arg("run").arg(&wf).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let first = text(&out.stdout).lines().next().unwrap().to_owned();
    assert!(
        first.ends_with("— Failed (Resume): the next run resumes at task 0 `Remove the order file` (`run --fresh` starts over)"),
        "{first}"
    );
}

#[test]
fn a_piped_run_prints_one_plain_line_per_task_as_it_ends() {
    let env = TestEnv::new();
    let wf = env.workflow(
        "name: Two steps\ntasks:\n  - task: copy-file\n    name: Copy the orders\n    settings: { input-file: a.xml, output-file: b.xml }\n  - task: delete-file\n    name: Remove the copy\n    settings: { input-file: b.xml }\n",
    );
    let work = env.binary_data(&wf).join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("a.xml"), "<a/>").unwrap();
    let out = wharf(&env).arg("run").arg(&wf).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].contains(" 0 Copy the orders: Success (in 1, out 1, failed 0) copied"),
        "{err}"
    );
    assert!(lines[1].contains(" 1 Remove the copy: Success"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "no colour codes when piped: {err:?}"
    );
    // With --json nothing but the record is printed.
    let out = wharf(&env)
        .args(["run", "--json"])
        .arg(&wf)
        .output()
        .unwrap();
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

/// The commands' `--help` pages, from `wharf help`'s list and the `sage`, `truth` and `cloud`
/// subcommands.
fn help_pages(env: &TestEnv) -> Vec<(String, String)> {
    let commands = |prefix: &[&str]| -> Vec<Vec<String>> {
        let page = ok(wharf(env).args(prefix).arg("--help"));
        page.lines()
            .skip_while(|l| *l != "Commands:")
            .skip(1)
            .take_while(|l| !l.is_empty())
            .filter_map(|l| l.split_whitespace().next())
            .filter(|name| *name != "help")
            .map(|name| {
                prefix
                    .iter()
                    .map(|p| p.to_string())
                    .chain([name.to_owned()])
                    .collect()
            })
            .collect()
    };
    let mut all = commands(&[]);
    for group in ["sage", "truth", "cloud"] {
        all.extend(commands(&[group]));
    }
    all.into_iter()
        .map(|args| {
            let page = ok(wharf(env).args(&args).arg("--help"));
            (args.join(" "), page)
        })
        .collect()
}

#[test]
fn every_argument_is_described_and_global_options_stand_apart() {
    let env = TestEnv::new();
    let pages = help_pages(&env);
    assert!(pages.len() > 20, "{}", pages.len());
    for (command, page) in &pages {
        let arguments = page
            .lines()
            .skip_while(|l| *l != "Arguments:")
            .skip(1)
            .take_while(|l| !l.is_empty());
        for line in arguments {
            let described = line
                .trim_start()
                .split_once("  ")
                .is_some_and(|(_, d)| !d.trim().is_empty());
            assert!(
                described,
                "`wharf {command}`: argument without a description: {line}"
            );
        }
        assert!(
            page.contains("\nGlobal options:\n"),
            "`wharf {command}`:\n{page}"
        );
        assert!(
            !page.contains("wharf_"),
            "`wharf {command}` names a Rust item:\n{page}"
        );
    }
}
