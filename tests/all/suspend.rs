//! Suspended runs (`wharf_engine::suspend`): a run that hands its Sage tasks over, or pauses at a
//! deadline, and is resumed call by call ends exactly as the same run done in one go — each task
//! once, the same ledger, the same files — and refuses what does not fit its suspension.

use crate::support::{TestEnv, engine_with, fixture};
use sage_ledger::Ledger;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use wharf_engine::engine::EngineError;
use wharf_engine::runtime::TaskInfo;
use wharf_engine::storage::Storage;
use wharf_engine::suspend::{RemoteCall, RemoteTasks, Wake};
use wharf_engine::workflow::Node;
use wharf_engine::{
    Engine, NoProgress, Prepared, Recovery, ResultCode, RunOptions, RunOutcome, Workflow,
};
use wharf_sage::{JobRunner, SageCapability, SageJob};

/// Orders in the working directory → Sage (remote) → processed/ when an order went in; then a
/// stock export (remote).
const WORKFLOW: &str = r#"
name: Orders to Sage
resume-on-failure: true
use-mutex: true
tasks:
  - container: Orders
    tasks:
      - task: file-repeater
        id: orders
        settings: { input-directory: in, search-pattern: "*.xml" }
        tasks:
          - task: sage50-import-sales-orders
            id: import
            grants: [sage]
            break-on-failure: false
            settings:
              input-file: "in/{{ current.Name }}"
              success-file: "out/{{ current.NameWithoutExtension }}_success.xml"
              fail-file: "out/{{ current.NameWithoutExtension }}_fail.xml"
              prevent-duplicates: true
              auto-create-customers: true
              auto-generate-account-reference: true
              auto-create-products: true
          - task: if-file-exists
            id: imported
            settings:
              input-file: "out/{{ current.NameWithoutExtension }}_success.xml"
              minimum-length: 600
            tasks:
              - task: move-file
                id: processed
                settings:
                  input-file: "in/{{ current.Name }}"
                  output-file: "processed/{{ current.Name }}"
  - task: sage50-export-stock-records
    id: stock
    grants: [sage]
    settings: { output-file: products.xml, export-type: Modified }
"#;

fn order(n: usize) -> String {
    std::fs::read_to_string(fixture("zynk-xml/Sales Order with Minimal Information.xml"))
        .unwrap()
        .replace("<Id>12345</Id>", &format!("<Id>WEB-{n:04}</Id>"))
}

/// A data folder with `orders` order files (the last one bad) and a ledger with the fixture
/// products.
struct Setup {
    env: TestEnv,
    ledger: PathBuf,
    engine: Engine,
}

impl Setup {
    fn new(orders: usize) -> Setup {
        let env = TestEnv::new();
        for n in 1..orders {
            env.write(&format!("in/order-{n:03}.xml"), order(n));
        }
        env.write(
            &format!("in/order-{orders:03}.xml"),
            order(orders).replace("<QtyOrdered>1</QtyOrdered>", "<QtyOrdered>x</QtyOrdered>"),
        );
        let ledger = env.dir.path().join("ledger.sqlite");
        let mut l = Ledger::open(&ledger).unwrap();
        let products = std::fs::read(fixture(
            "zynk-xml/Stationary & Computer Mart - Product Export.xml",
        ))
        .unwrap();
        sage_ledger::procedures::load_products(
            &mut l,
            &zynk_xml::Company::parse_bytes(&products).unwrap(),
        )
        .unwrap();
        let engine = engine_with(vec![Arc::new(SageCapability::new(&ledger))]);
        Setup {
            env,
            ledger,
            engine,
        }
    }

    fn prepared(&self, yaml: &str) -> Prepared {
        let wf = Workflow::load(&self.env.workflow(yaml)).unwrap();
        self.engine.prepare(wf).unwrap()
    }

    fn store(&self, prepared: &Prepared) -> Arc<dyn Storage> {
        self.env.store(&prepared.workflow)
    }

    /// Prepares [`WORKFLOW`] and starts a run of it with `options`.
    fn start(&self, options: RunOptions) -> (Prepared, Arc<dyn Storage>, RunOptions, RunOutcome) {
        let prepared = self.prepared(WORKFLOW);
        let store = self.store(&prepared);
        let outcome = self
            .engine
            .start(&prepared, store.clone(), &options, &NoProgress)
            .unwrap();
        (prepared, store, options, outcome)
    }

    fn order_count(&self) -> usize {
        Ledger::open(&self.ledger)
            .unwrap()
            .sales_order_count()
            .unwrap() as usize
    }

    fn processed(&self) -> usize {
        crate::support::count_files(&self.env.workdir().join("processed"))
    }

    /// Runs a handed-over call as the on-premises runner would: a Sage job on the ledger.
    fn run_remotely(
        &self,
        store: &dyn Storage,
        call: &RemoteCall,
    ) -> wharf_engine::suspend::RemoteResult {
        let job = SageJob::for_call(
            call,
            store.truth().unwrap().all().unwrap(),
            store.location(),
        );
        let sage = SageCapability::new(&self.ledger);
        let result = JobRunner {
            runtime: &self.engine.runtime,
            components: &self.engine.components,
            sage: &sage,
            limits: Default::default(),
            allow_local_paths: false,
        }
        .run(&job)
        .unwrap();
        result.into_remote().unwrap()
    }
}

/// Hands over every Sage task and remembers the calls.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl RemoteTasks for Recorder {
    fn is_remote(&self, _node: &Node, info: &TaskInfo) -> bool {
        info.capabilities.iter().any(|c| c == "sage")
    }
    fn dispatch(&self, call: &RemoteCall) -> Result<(), String> {
        self.0.lock().unwrap().push(call.task_path.clone());
        Ok(())
    }
}

/// Each task execution (path and item) at most once, and every one of them finished.
fn assert_each_task_once(outcome: &RunOutcome) {
    let mut seen = std::collections::BTreeSet::new();
    for t in &outcome.record.tasks {
        assert!(
            seen.insert((t.path.clone(), t.iteration.clone())),
            "task {} item {:?} ran twice",
            t.path,
            t.iteration
        );
        assert_ne!(
            t.result,
            ResultCode::Unknown,
            "{} never finished: {}",
            t.path,
            t.message
        );
    }
}

fn shape(outcome: &RunOutcome) -> Vec<(String, Vec<usize>, ResultCode)> {
    outcome
        .record
        .tasks
        .iter()
        .map(|t| (t.path.clone(), t.iteration.clone(), t.result))
        .collect()
}

#[test]
fn a_run_handing_over_its_sage_tasks_ends_as_a_local_run_does() {
    // The same workflow, once in one go with the local Sage capability …
    let local = Setup::new(6);
    let prepared = local.prepared(WORKFLOW);
    let store = local.store(&prepared);
    let whole = local
        .engine
        .start(&prepared, store, &RunOptions::default(), &NoProgress)
        .unwrap();
    assert!(whole.suspended.is_none());
    assert_eq!(local.order_count(), 5);

    // … and once handing each Sage task over and resuming with its result.
    let setup = Setup::new(6);
    let recorder = Arc::new(Recorder::default());
    let (prepared, store, options, mut outcome) = setup.start(RunOptions {
        remote: Some(recorder.clone()),
        ..RunOptions::default()
    });
    let mut suspensions = 0;
    while let Some(suspended) = outcome.suspended.take() {
        suspensions += 1;
        // While it waits, the run record is open and a new run is refused.
        assert!(outcome.record.ended.is_none());
        let refused = setup
            .engine
            .start(&prepared, store.clone(), &options, &NoProgress)
            .unwrap_err();
        assert!(
            matches!(refused, EngineError::Suspended { .. }),
            "{refused}"
        );
        let call = suspended.call.expect("a remote call");
        assert_eq!(call.token, suspended.suspension.token);
        let result = setup.run_remotely(store.as_ref(), &call);
        outcome = setup
            .engine
            .resume(
                &prepared,
                store.clone(),
                &options,
                &NoProgress,
                Wake::Result {
                    token: call.token.clone(),
                    result,
                },
            )
            .unwrap();
    }
    // Six imports and one export were handed over, each once.
    assert_eq!(suspensions, 7);
    assert_eq!(recorder.0.lock().unwrap().len(), 7);
    assert_eq!(outcome.record.result, whole.record.result);
    assert_eq!(shape(&outcome), shape(&whole), "the same task executions");
    assert_each_task_once(&outcome);
    assert_eq!(setup.order_count(), 5, "every good order once");
    assert_eq!(setup.processed(), 5);
    assert!(setup.env.workdir().join("products.xml").is_file());
    assert!(store.load_checkpoint().unwrap().is_none());
}

#[test]
fn a_run_paused_at_every_task_continues_to_the_same_end() {
    // A deadline already passed, or a hard end too near for any task's limit (10 minutes in
    // the seed workflow): the run pauses before every task after its first.
    let soon = Instant::now() + std::time::Duration::from_secs(120);
    for (deadline, hard_end) in [(Some(Instant::now()), None), (None, Some(soon))] {
        let setup = Setup::new(4);
        let (prepared, store, options, mut outcome) = setup.start(RunOptions {
            deadline,
            hard_end,
            ..RunOptions::default()
        });
        let mut pauses = 0;
        while let Some(suspended) = outcome.suspended.take() {
            pauses += 1;
            assert!(suspended.call.is_none());
            outcome = setup
                .engine
                .resume(
                    &prepared,
                    store.clone(),
                    &options,
                    &NoProgress,
                    Wake::Continue {
                        token: suspended.suspension.token,
                    },
                )
                .unwrap();
            assert!(pauses < 100, "the run makes progress");
        }
        assert_each_task_once(&outcome);
        assert!(pauses >= outcome.record.tasks.len() / 2, "{pauses} pauses");
        assert_eq!(
            outcome.record.result,
            ResultCode::Success,
            "{}",
            outcome.record.message
        );
        assert_eq!(setup.order_count(), 3);
        assert_eq!(setup.processed(), 3);
    }
}

/// Two order files, the run started and suspended at the first import (handed over).
fn suspended_at_first_import() -> (Setup, Prepared, Arc<dyn Storage>, RunOptions, RemoteCall) {
    let setup = Setup::new(2);
    let (prepared, store, options, outcome) = setup.start(RunOptions {
        remote: Some(Arc::new(Recorder::default())),
        ..RunOptions::default()
    });
    let call = outcome
        .suspended
        .and_then(|s| s.call)
        .expect("suspended at the first import");
    (setup, prepared, store, options, call)
}

#[test]
fn a_suspended_run_refuses_what_it_does_not_wait_for() {
    let (setup, prepared, store, options, call) = suspended_at_first_import();
    let before = store.load_checkpoint().unwrap();

    // The runner's answer, delivered once; a continue, or the answer under another call's
    // name, changes nothing.
    let result = setup.run_remotely(store.as_ref(), &call);
    for wake in [
        Wake::Continue {
            token: call.token.clone(),
        },
        Wake::Result {
            token: "another-job".into(),
            result: result.clone(),
        },
    ] {
        let err = setup
            .engine
            .resume(&prepared, store.clone(), &options, &NoProgress, wake)
            .unwrap_err();
        assert!(matches!(err, EngineError::NotWaiting { .. }), "{err}");
    }
    assert_eq!(store.load_checkpoint().unwrap(), before);

    // The right result resumes it; the same result again (a duplicate message) is refused.
    let wake = Wake::Result {
        token: call.token.clone(),
        result,
    };
    let next = setup
        .engine
        .resume(
            &prepared,
            store.clone(),
            &options,
            &NoProgress,
            wake.clone(),
        )
        .unwrap();
    assert!(next.suspended.is_some(), "on to the second import");
    let err = setup
        .engine
        .resume(&prepared, store.clone(), &options, &NoProgress, wake)
        .unwrap_err();
    assert!(matches!(err, EngineError::NotWaiting { .. }), "{err}");
    assert_eq!(setup.order_count(), 1);
}

#[test]
fn a_run_whose_workflow_lost_its_position_ends_failed() {
    let (setup, _, store, options, call) = suspended_at_first_import();
    // Redeployed without the orders container while the job ran.
    let start = WORKFLOW.find("  - container: Orders").unwrap();
    let end = WORKFLOW
        .find("  - task: sage50-export-stock-records")
        .unwrap();
    let shorter = format!("{}{}", &WORKFLOW[..start], &WORKFLOW[end..]);
    let changed = setup.prepared(&shorter);
    let result = setup.run_remotely(store.as_ref(), &call);
    let ended = setup
        .engine
        .resume(
            &changed,
            store.clone(),
            &options,
            &NoProgress,
            Wake::Result {
                token: call.token,
                result,
            },
        )
        .unwrap();
    assert!(ended.suspended.is_none());
    assert_eq!(ended.record.result, ResultCode::Fail);
    assert!(
        ended.record.message.contains("no longer exists"),
        "{}",
        ended.record.message
    );
    assert!(store.load_checkpoint().unwrap().is_none());
    // The workflow is free again.
    let again = setup
        .engine
        .start(&changed, store, &options, &NoProgress)
        .unwrap();
    assert!(again.suspended.is_some(), "the export is handed over");
}

#[test]
fn a_recovery_start_for_a_run_that_ended_meanwhile_starts_nothing() {
    // A message found the run's plain checkpoint (it looked dead), but by the time its start
    // holds the lock the run has ended in another invocation: nothing may run again.
    let setup = Setup::new(2);
    let (prepared, store, _, ended) = setup.start(RunOptions::default());
    assert!(ended.suspended.is_none() && ended.record.ended.is_some());
    let orders = setup.order_count();
    let refused = setup
        .engine
        .start(
            &prepared,
            store.clone(),
            &RunOptions {
                recover_only: Some(Recovery {
                    run_id: ended.record.id.clone(),
                    token: "continue-1".into(),
                }),
                ..RunOptions::default()
            },
            &NoProgress,
        )
        .unwrap_err();
    assert!(
        matches!(&refused, EngineError::NotWaiting { token, state }
            if token == "continue-1" && state.contains(&ended.record.id)),
        "{refused}"
    );
    assert_eq!(store.list_runs().unwrap().len(), 1, "no second run");
    assert!(store.load_checkpoint().unwrap().is_none());
    assert_eq!(setup.order_count(), orders);
}
