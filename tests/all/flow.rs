//! The workflow engine: templating, nesting, conditions with else, switches, break on failure,
//! resume after a failed task, the run lock, and cursors committed only on success.

use crate::support::{TestEnv, engine, task, tasks};
use std::sync::Arc;
use wharf_engine::storage::{LocalStore, Storage, lock_info};
use wharf_engine::{NoProgress, ResultCode, RunOptions, Workflow};

#[test]
fn templates_reach_current_variables_workflow_variables_and_outputs() {
    let env = TestEnv::new();
    env.write("in/a.xml", "<a/>");
    env.write("in/b.xml", "<b/>");
    let run = env.run(
        r#"name: Templating
variables: { Out: copies, Suffix: bak }
tasks:
  - task: file-repeater
    id: each
    settings: { input-directory: in, search-pattern: "*.XML" }
    tasks:
      - task: copy-file
        id: copy
        settings:
          input-file: "{{ current.FullName }}"
          output-file: "{{ Out }}/{{ current.NameWithoutExtension }}.{{ vars.Suffix }}"
  - task: copy-file
    id: from-output
    settings:
      input-file: in/a.xml
      output-file: "result-{{ outputs.copy.result }}-{{ CurrentYear }}.txt"
"#,
    );
    assert_eq!(run.result, ResultCode::Success, "{}", run.message);
    assert_eq!(tasks(&run, "copy").len(), 2);
    let wd = env.workdir();
    assert_eq!(
        std::fs::read_to_string(wd.join("copies/a.bak")).unwrap(),
        "<a/>"
    );
    assert_eq!(
        std::fs::read_to_string(wd.join("copies/b.bak")).unwrap(),
        "<b/>"
    );
    let year = chrono::Local::now().format("%Y").to_string();
    assert!(wd.join(format!("result-success-{year}.txt")).exists());
    assert_eq!(task(&run, "each").counts.records_in, 2);
}

#[test]
fn an_undefined_template_variable_fails_the_task_naming_setting_and_variable() {
    let env = TestEnv::new();
    let run = env.run("name: T\nresume-on-failure: false\ntasks:\n  - task: delete-file\n    id: del\n    settings: { input-file: \"{{ current.Name }}\" }\n");
    let t = task(&run, "del");
    assert_eq!(t.result, ResultCode::Fail);
    assert!(t.message.contains("setting `input-file`"), "{}", t.message);
    assert!(t.message.contains("undefined"), "{}", t.message);
}

#[test]
fn nested_repeaters_containers_conditions_and_else() {
    let env = TestEnv::new();
    env.write("orders/big.xml", "x".repeat(700));
    env.write("orders/small.xml", "tiny");
    env.write("orders/sub/deep.xml", "x".repeat(900));
    let run = env.run(
        r#"name: Nesting
tasks:
  - container: Outer
    tasks:
      - task: file-repeater
        id: each-order
        settings: { input-directory: orders, recursive: true }
        tasks:
          - container: Check
            tasks:
              - task: if-file-exists
                id: big-enough
                settings: { input-file: "{{ current.FullName }}", minimum-length: 600 }
                tasks:
                  - task: copy-file
                    id: keep
                    settings: { input-file: "{{ current.FullName }}", output-file: "kept/{{ current.Name }}" }
                else:
                  - task: move-file
                    id: reject
                    settings: { input-file: "{{ current.FullName }}", output-file: "rejected/{{ current.Name }}" }
              - task: if-file-exists
                id: not-there
                equal-to: false
                settings: { input-file: "never/{{ current.Name }}" }
                tasks:
                  - task: noop
                    id: ran-when-false
"#,
    );
    assert_eq!(run.result, ResultCode::Success, "{}", run.message);
    let wd = env.workdir();
    assert!(wd.join("kept/big.xml").exists());
    assert!(wd.join("kept/deep.xml").exists());
    assert!(wd.join("rejected/small.xml").exists());
    assert!(!wd.join("orders/small.xml").exists());
    assert_eq!(tasks(&run, "keep").len(), 2);
    assert_eq!(tasks(&run, "reject").len(), 1);
    assert_eq!(tasks(&run, "ran-when-false").len(), 3);
    // Iteration numbers are recorded for tasks inside the repeater.
    assert_eq!(tasks(&run, "ran-when-false")[2].iteration, vec![3]);
    // The condition never creates the file it tests.
    assert!(!wd.join("never").exists());
}

#[test]
fn switch_follows_the_previous_result_code() {
    let env = TestEnv::new();
    let yaml = r#"name: Switch
tasks:
  - task: delete-file
    id: maybe-delete
    break-on-failure: false
    settings: { input-file: target.txt }
  - switch:
      success:
        - task: noop
          id: on-success
      not-found:
        - task: noop
          id: on-not-found
      default:
        - task: noop
          id: on-default
"#;
    let run = env.run(yaml);
    assert_eq!(task(&run, "maybe-delete").result, ResultCode::NotFound);
    assert_eq!(tasks(&run, "on-not-found").len(), 1);
    assert!(tasks(&run, "on-success").is_empty() && tasks(&run, "on-default").is_empty());

    env.write("target.txt", "x");
    let run = env.run(yaml);
    assert_eq!(tasks(&run, "on-success").len(), 1);
    assert!(tasks(&run, "on-not-found").is_empty());
}

#[test]
fn break_on_failure_stops_the_run_and_off_carries_on() {
    let env = TestEnv::new();
    let run = env.run("name: B\nresume-on-failure: false\ntasks:\n  - task: delete-file\n    id: first\n    break-on-failure: false\n    settings: { input-file: missing-1 }\n  - task: delete-file\n    id: second\n    settings: { input-file: missing-2 }\n  - task: noop\n    id: third\n");
    assert_eq!(task(&run, "first").result, ResultCode::NotFound);
    assert_eq!(task(&run, "second").result, ResultCode::NotFound);
    assert!(tasks(&run, "third").is_empty());
    assert_eq!(run.result, ResultCode::Fail);
    assert!(
        run.message.contains("task `delete-file`") && run.message.contains("missing-2"),
        "{}",
        run.message
    );
    assert!(run.resume_at.is_none());
}

#[test]
fn disabled_tasks_and_containers_are_skipped() {
    let env = TestEnv::new();
    let run = env.run("name: D\ntasks:\n  - container: Off\n    enabled: false\n    tasks:\n      - task: noop\n        id: inside\n  - task: noop\n    id: off\n    enabled: false\n  - task: noop\n    id: on\n");
    assert!(tasks(&run, "inside").is_empty() && tasks(&run, "off").is_empty());
    assert_eq!(tasks(&run, "on").len(), 1);
}

const RESUMABLE: &str = r#"name: Resume
tasks:
  - task: copy-file
    id: step-1
    settings: { input-file: source.txt, output-file: "copies/{{ Guid }}.txt" }
  - container: Middle
    tasks:
      - task: copy-file
        id: step-2
        settings: { input-file: source.txt, output-file: "copies/{{ Guid }}.txt" }
      - task: delete-file
        id: step-3
        settings: { input-file: needed.txt }
  - task: noop
    id: step-4
"#;

#[test]
fn a_failed_run_resumes_at_the_failed_task() {
    let env = TestEnv::new();
    env.write("source.txt", "data");
    let first = env.run(RESUMABLE);
    assert_eq!(first.result, ResultCode::Resume);
    assert_eq!(first.resume_at.as_deref(), Some("1.1"));
    assert_eq!(
        crate::support::count_files(&env.workdir().join("copies")),
        2
    );

    env.write("needed.txt", "now it exists");
    let second = env.run(RESUMABLE);
    assert_eq!(second.result, ResultCode::Success, "{}", second.message);
    assert_eq!(second.resumed_from.as_deref(), Some("1.1"));
    // What succeeded last time did not run again.
    assert!(tasks(&second, "step-1").is_empty() && tasks(&second, "step-2").is_empty());
    assert_eq!(tasks(&second, "step-3").len(), 1);
    assert_eq!(tasks(&second, "step-4").len(), 1);
    assert_eq!(
        crate::support::count_files(&env.workdir().join("copies")),
        2
    );

    // After a successful run, the next starts from the top again.
    let third = env.run(RESUMABLE.replace("needed.txt", "source.txt").as_str());
    assert!(third.resumed_from.is_none());
    assert_eq!(tasks(&third, "step-1").len(), 1);
}

#[test]
fn can_resume_false_on_a_container_means_start_again() {
    let env = TestEnv::new();
    env.write("source.txt", "data");
    let yaml = RESUMABLE.replace(
        "  - container: Middle\n",
        "  - container: Middle\n    can-resume: false\n",
    );
    let first = env.run(&yaml);
    assert_eq!(first.result, ResultCode::Fail);
    env.write("needed.txt", "x");
    let second = env.run(&yaml);
    assert!(second.resumed_from.is_none());
    assert_eq!(tasks(&second, "step-1").len(), 1);
}

#[test]
fn a_failure_inside_a_repeater_resumes_at_the_repeater() {
    let env = TestEnv::new();
    env.write("in/1.txt", "a");
    env.write("in/2.txt", "b");
    let yaml = r#"name: Resume repeater
tasks:
  - task: noop
    id: before
  - task: file-repeater
    id: each
    settings: { input-directory: in }
    tasks:
      - task: delete-file
        id: need-marker
        settings: { input-file: "markers/{{ current.Name }}" }
"#;
    env.write("markers/1.txt", "");
    let first = env.run(yaml);
    assert_eq!(first.result, ResultCode::Resume);
    assert_eq!(first.resume_at.as_deref(), Some("1"));
    env.write("markers/2.txt", "");
    env.write("markers/1.txt", "");
    let second = env.run(yaml);
    assert_eq!(second.result, ResultCode::Success, "{}", second.message);
    assert!(tasks(&second, "before").is_empty());
    assert_eq!(tasks(&second, "need-marker").len(), 2);
}

#[test]
fn a_crashed_run_resumes_from_its_checkpoint() {
    let env = TestEnv::new();
    env.write("source.txt", "data");
    env.write("needed.txt", "x");
    let path = env.workflow(RESUMABLE);
    let wf = Workflow::load(&path).unwrap();
    let store = env.store(&wf);
    // Simulate a process that died in task 1.1 after writing its run record and checkpoint.
    let crashed = wharf_engine::RunRecord {
        id: "crashed-run".into(),
        workflow: wf.name.clone(),
        started: chrono::Utc::now() - chrono::Duration::seconds(5),
        ended: None,
        result: ResultCode::Unknown,
        message: "running".into(),
        resumed_from: None,
        resume_at: None,
        resume: None,
        lineage: None,
        archive_path: None,
        notices: vec![],
        tasks: vec![],
    };
    store.put_run(&crashed).unwrap();
    store
        .save_checkpoint(&wharf_engine::checkpoint::Checkpoint {
            run_id: "crashed-run".into(),
            path: "1.1".into(),
            resume: None,
            pid: u32::MAX,
            host: wharf_engine::storage::host_name(),
            suspended: None,
        })
        .unwrap();
    let prepared = engine().prepare(wf).unwrap();
    let run = engine()
        .run(
            &prepared,
            store.clone(),
            &RunOptions::default(),
            &NoProgress,
        )
        .unwrap();
    assert_eq!(run.resumed_from.as_deref(), Some("1.1"));
    assert!(tasks(&run, "step-1").is_empty());
    let old = store
        .list_runs()
        .unwrap()
        .into_iter()
        .find(|r| r.id == "crashed-run")
        .unwrap();
    assert_eq!(old.result, ResultCode::Resume);
    assert!(
        old.message.contains("stopped unexpectedly"),
        "{}",
        old.message
    );
}

#[test]
fn use_mutex_refuses_a_second_concurrent_run() {
    let env = TestEnv::new();
    let path = env.workflow("name: Mutex\nuse-mutex: true\ntasks:\n  - task: noop\n");
    let wf = Workflow::load(&path).unwrap();
    let store: Arc<dyn Storage> =
        Arc::new(LocalStore::new(&env.data(), &wf.store_name(), None).unwrap());
    // Another live run (this very process) holds the lock.
    store
        .acquire_lock(&lock_info("other-run", chrono::Duration::hours(1)))
        .unwrap();
    let prepared = engine().prepare(wf).unwrap();
    let err = engine()
        .run(
            &prepared,
            store.clone(),
            &RunOptions::default(),
            &NoProgress,
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("already running (run other-run"),
        "{err}"
    );
    store.release_lock("other-run").unwrap();
    let ok = engine()
        .run(
            &prepared,
            store.clone(),
            &RunOptions::default(),
            &NoProgress,
        )
        .unwrap();
    assert_eq!(ok.result, ResultCode::Success);
    // The run released its own lock.
    store
        .acquire_lock(&lock_info("after", chrono::Duration::hours(1)))
        .unwrap();
}

#[test]
fn mutex_holds_between_threads() {
    let env = TestEnv::new();
    let path = env.workflow("name: Mutex race\nuse-mutex: true\ntasks:\n  - task: hostile\n    break-on-failure: false\n    limits: { timeout: 400ms }\n    settings: { mode: spin }\n");
    let wf = Workflow::load(&path).unwrap();
    let prepared = Arc::new(engine().prepare(wf).unwrap());
    let data = env.data();
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let prepared = prepared.clone();
            let data = data.clone();
            std::thread::spawn(move || {
                let store: Arc<dyn Storage> =
                    Arc::new(LocalStore::new(&data, "workflow", None).unwrap());
                engine()
                    .run(&prepared, store, &RunOptions::default(), &NoProgress)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(
        results
            .iter()
            .any(|r| r.as_ref().is_err_and(|e| e.contains("already running")))
    );
}

#[test]
fn a_cursor_is_committed_only_when_the_task_succeeds() {
    let env = TestEnv::new();
    env.write("drop/one.txt", "1");
    let yaml = r#"name: Cursor
resume-on-failure: false
tasks:
  - task: file-repeater
    id: new-files
    settings: { input-directory: drop, only-modified-files: true }
    tasks:
      - task: copy-file
        id: copy
        settings: { input-file: "{{ current.FullName }}", output-file: "must-exist/{{ current.Name }}", overwrite: false }
"#;
    // First run: the child fails (the output exists), so the cursor must not move.
    env.write("must-exist/one.txt", "already");
    let first = env.run(yaml);
    assert_eq!(first.result, ResultCode::Fail);
    assert!(
        !env.state().contains_key("new-files"),
        "cursor committed after a failure: {:?}",
        env.state()
    );
    // Second run: the same file is offered again; now it succeeds and the cursor is saved.
    std::fs::remove_file(env.workdir().join("must-exist/one.txt")).unwrap();
    let second = env.run(yaml);
    assert_eq!(second.result, ResultCode::Success, "{}", second.message);
    assert_eq!(tasks(&second, "copy").len(), 1);
    assert!(env.state()["new-files"].contains_key("modified-since"));
    // Third run: nothing new.
    let third = env.run(yaml);
    assert!(tasks(&third, "copy").is_empty());
    assert_eq!(task(&third, "new-files").result, ResultCode::SuccessNoData);
}

#[test]
fn run_history_is_kept_by_the_housekeeping_rule() {
    let env = TestEnv::new();
    let yaml = "name: H\nhistory: { keep: runs, number: 3 }\ntasks:\n  - task: noop\n";
    for _ in 0..5 {
        env.run(yaml);
    }
    let wf = Workflow::load(&env.workflow(yaml)).unwrap();
    assert_eq!(env.store(&wf).list_runs().unwrap().len(), 3);
}
