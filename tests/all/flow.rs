//! The workflow engine where a workflow case (tests/workflows) cannot reach: resume after a
//! process died mid-run, and the run lock held by another run or thread. Templating, nesting,
//! conditions, switches, break on failure, resume and cursors are cases in tests/workflows.

use crate::support::{TestEnv, engine, tasks};
use std::sync::Arc;
use wharf_engine::storage::{LocalStore, Storage, lock_info};
use wharf_engine::{NoProgress, ResultCode, RunOptions, Workflow};

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

/// Runs `RESUMABLE` after a process that died in task 1.1 left its checkpoint (`start` its
/// `run`) and whatever `before` stores: checks the new run resumed there and the dead run's
/// record was closed for it to; answers both records.
fn resume_after_crash(
    run_id: &str,
    start: Option<wharf_engine::checkpoint::RunStart>,
    before: impl FnOnce(&Arc<dyn Storage>, &Workflow),
) -> (wharf_engine::RunRecord, wharf_engine::RunRecord) {
    let env = TestEnv::new();
    env.write("source.txt", "data");
    env.write("needed.txt", "x");
    let path = env.workflow(RESUMABLE);
    let wf = Workflow::load(&path).unwrap();
    let store = env.store(&wf);
    before(&store, &wf);
    store
        .save_checkpoint(&wharf_engine::checkpoint::Checkpoint {
            run_id: run_id.into(),
            path: "1.1".into(),
            resume: None,
            pid: u32::MAX,
            host: wharf_engine::storage::host_name(),
            suspended: None,
            run: start,
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
        .find(|r| r.id == run_id)
        .expect("the dead run's record");
    assert_eq!(old.result, ResultCode::Resume);
    assert!(
        old.message.contains("stopped unexpectedly"),
        "{}",
        old.message
    );
    (run, old)
}

#[test]
fn a_crashed_run_resumes_from_its_checkpoint() {
    // A process that died in task 1.1 after writing its run record and checkpoint.
    resume_after_crash("crashed-run", None, |store, wf| {
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
            started_by: None,
            notices: vec![],
            tasks: vec![],
        };
        store.put_run(&crashed).unwrap();
    });
}

/// The first record of a run is written without a disk flush (`Storage::put_run_started`): a
/// machine that stops may lose it while the checkpoint survives. The next run makes the record
/// again from the checkpoint and resumes, as it would with the record.
#[test]
fn a_crashed_run_whose_first_record_was_lost_resumes_from_its_checkpoint() {
    let started = chrono::Utc::now() - chrono::Duration::seconds(5);
    let start = wharf_engine::checkpoint::RunStart {
        started,
        lineage: "first-of-chain".into(),
        started_by: Some("schedule".into()),
        resumed_from: None,
    };
    let (run, lost) = resume_after_crash("lost-run", Some(start), |_, _| {});
    assert_eq!(
        run.lineage.as_deref(),
        Some("first-of-chain"),
        "the resumed run carries the lost run's lineage on"
    );
    assert_eq!(lost.started, started);
    assert_eq!(lost.started_by.as_deref(), Some("schedule"));
    assert!(
        lost.notices.iter().any(|n| n.contains("made again")),
        "{:?}",
        lost.notices
    );
}

/// A run's checkpoint says what its first record says, so that record can be made again.
#[test]
fn a_checkpoint_carries_the_start_of_its_run() {
    struct Seen {
        store: Arc<dyn Storage>,
        checkpoint: std::sync::Mutex<Option<wharf_engine::checkpoint::Checkpoint>>,
    }
    impl wharf_engine::Progress for Seen {
        fn task_started(&self, _node: &wharf_engine::workflow::Node, _iteration: &[usize]) {
            *self.checkpoint.lock().unwrap() = self.store.load_checkpoint().unwrap();
        }
    }
    let env = TestEnv::new();
    let path = env.workflow("name: Checkpoint\ntasks:\n  - task: noop\n");
    let wf = Workflow::load(&path).unwrap();
    let store = env.store(&wf);
    let prepared = engine().prepare(wf).unwrap();
    let seen = Seen {
        store: store.clone(),
        checkpoint: Default::default(),
    };
    let options = RunOptions {
        started_by: Some("cli:tester".into()),
        ..RunOptions::default()
    };
    let run = engine()
        .run(&prepared, store.clone(), &options, &seen)
        .unwrap();
    let checkpoint = seen.checkpoint.into_inner().unwrap().expect("a checkpoint");
    assert_eq!(checkpoint.run_id, run.id);
    assert_eq!(
        checkpoint.run,
        Some(wharf_engine::checkpoint::RunStart {
            started: run.started,
            lineage: run.id.clone(),
            started_by: Some("cli:tester".into()),
            resumed_from: None,
        })
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
