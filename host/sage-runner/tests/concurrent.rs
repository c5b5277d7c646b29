//! `concurrent_jobs`: jobs of different workflows run side by side — a stock export is not kept
//! waiting behind a long import — while two jobs of one workflow still take turns.

use std::process::Stdio;
use std::time::Duration;

use crate::support::*;
use sage_ledger::benchmark::{OrderFileShape, generate_order_file, seed_catalogue};
use wharf_sage::SageJob;
use wharf_sage::queue::{self, JobMessage};

/// Puts `job` and sends its message as a job of `workflow`.
fn submit_for(p: &Pipeline, workflow: &str, job_id: &str, job: &SageJob) {
    p.put(
        &queue::job_key(CUSTOMER, job_id),
        serde_json::to_vec(job).unwrap(),
    );
    let message = JobMessage::new(CUSTOMER, job_id, workflow, "run-1", "0");
    p.send_job(&serde_json::to_string(&message).unwrap());
}

fn stock_job() -> SageJob {
    SageJob {
        component: "sage50-export-stock-records".into(),
        label: "Export stock".into(),
        settings: [
            ("output-file".to_string(), "stock.xml".to_string()),
            ("export-type".to_string(), "All".to_string()),
        ]
        .into(),
        input_files: Default::default(),
        truth_scope: "s3://test/acme/stock".into(),
        lineage: Some("run-1/stock".into()),
        ..order_job(Vec::new())
    }
}

fn finished_at(p: &Pipeline, job_id: &str) -> chrono::DateTime<chrono::FixedOffset> {
    let (_, _, finished) = p.recorded("runner", job_id).expect("recorded");
    chrono::DateTime::parse_from_rfc3339(&finished.expect("finished")).unwrap()
}

fn started_at(p: &Pipeline, job_id: &str) -> chrono::DateTime<chrono::FixedOffset> {
    let (_, started, _) = p.recorded("runner", job_id).expect("recorded");
    chrono::DateTime::parse_from_rfc3339(&started).unwrap()
}

#[test]
fn jobs_of_different_workflows_run_side_by_side_and_one_workflow_takes_turns() {
    let p = Pipeline::new("concurrent");
    let shape = OrderFileShape {
        orders: 6_000,
        customers: 200,
        products: 50,
    };
    seed_catalogue(&mut p.open_ledger(), shape.products).unwrap();
    let config = p.config(
        "runner",
        Timing {
            heartbeat_seconds: 1,
            visibility_timeout_seconds: 3,
            wait_seconds: 1,
        },
    );
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("concurrent_jobs: 3\n");
    std::fs::write(&config, text).unwrap();
    let mut runner = p.runner(&config).stderr(Stdio::piped()).spawn().unwrap();
    let log = Captured::of(&mut runner);
    // A first export compiles its component (a fresh machine has no compiled copy): what is
    // measured below is the jobs, not a compilation.
    submit_for(&p, "stock", "first-export", &stock_job());
    wait_for(Duration::from_secs(300), "the first export", || {
        p.recorded("runner", "first-export")
            .is_some_and(|r| r.2.is_some())
    });
    let big = generate_order_file(shape);
    submit_for(&p, "web-orders", "big-import", &order_job(big.into_bytes()));

    // Once the import is under way: a stock export of another workflow, and a second import of
    // the same workflow.
    let ledger = p.open_ledger();
    wait_for(Duration::from_secs(180), "orders going in", || {
        ledger.sales_order_count().unwrap() > 0
    });
    submit_for(&p, "stock", "stock-export", &stock_job());
    let again = order_job(
        generate_order_file(OrderFileShape {
            orders: 5,
            customers: 2,
            products: 5,
        })
        .into_bytes(),
    );
    submit_for(&p, "web-orders", "second-import", &again);

    wait_for(Duration::from_secs(300), "three more results", || {
        p.recorded_jobs("runner") == 4
            && ["big-import", "stock-export", "second-import"]
                .iter()
                .all(|j| p.recorded("runner", j).is_some_and(|r| r.2.is_some()))
    });
    terminate(&runner);
    let status = runner.wait().unwrap();
    let log = log.text();
    assert!(status.success(), "{log}");

    // The export did not wait for the long import of another workflow...
    assert!(
        finished_at(&p, "stock-export") < finished_at(&p, "big-import"),
        "the stock export ran beside the import:\n{log}"
    );
    // ...but the second import of the same workflow started only after the first ended.
    assert!(
        started_at(&p, "second-import") >= finished_at(&p, "big-import"),
        "two jobs of one workflow overlapped:\n{log}"
    );
    assert!(
        log.contains("another job of this workflow is running"),
        "{log}"
    );
    let results = p.take_results();
    assert_eq!(results.len(), 4, "{results:?}");
    assert_eq!(p.jobs_left(), 0);
    assert!(p.result_json("stock-export").is_some());
}
