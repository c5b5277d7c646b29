//! Jobs the runner cannot run at all: each gets a `refused` result message with the reason
//! (never a secret or file contents), its message is deleted, and the runner carries on.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use crate::support::*;
use wharf_sage::JobOutcome;
use wharf_sage::queue;

#[test]
fn a_job_that_cannot_run_is_refused_with_its_reason_and_the_runner_carries_on() {
    let p = Pipeline::new("refused");
    let config = p.config("state", Timing::default());

    // An unknown component.
    let mut unknown = order_job(sample("Sales Order with Minimal Information.xml"));
    unknown.component = "sage50-import-everything".into();
    p.submit("unknown-component", &unknown);
    // job.json that is not JSON (and holds a secret that must not be quoted back).
    p.put(
        &queue::job_key(CUSTOMER, "not-json"),
        format!(
            r#"{{"component": "sage50-import-sales-orders", "settings": {{"password": "{SECRET}"}}"#
        )
        .into_bytes(),
    );
    p.send_job(&serde_json::to_string(&p.message("not-json")).unwrap());
    // JSON, but not a Sage job.
    p.put(
        &queue::job_key(CUSTOMER, "not-a-job"),
        format!(r#"{{"component": 7, "truth-scope": "{SECRET}"}}"#).into_bytes(),
    );
    p.send_job(&serde_json::to_string(&p.message("not-a-job")).unwrap());
    // No job.json at all.
    p.send_job(&serde_json::to_string(&p.message("no-job-json")).unwrap());
    // A job for another customer's prefix.
    let mut elsewhere = p.message("elsewhere");
    elsewhere.customer = "other".into();
    elsewhere.job_key = queue::job_key("other", "elsewhere");
    p.send_job(&serde_json::to_string(&elsewhere).unwrap());
    // A message that names no job: nobody can be told; it is left for the dead-letter queue.
    p.send_job("hello, runner");

    let mut runner = p.runner(&config).stderr(Stdio::piped()).spawn().unwrap();
    let log = Captured::of(&mut runner);
    let mut results = BTreeMap::new();
    wait_for(Duration::from_secs(120), "five refusals", || {
        for r in p.take_results_raw() {
            assert!(!r.contains(SECRET), "{r}");
            let r: wharf_sage::ResultMessage = serde_json::from_str(&r).unwrap();
            results.insert(r.job_id.clone(), r);
        }
        results.len() >= 5
    });
    terminate(&runner);
    let status = runner.wait().unwrap();
    let log = log.text();
    assert!(status.success(), "no crash: {log}");
    assert!(!log.contains(SECRET), "{log}");

    let reason = |id: &str| match &results[id].outcome {
        JobOutcome::Refused { reason } => reason.clone(),
        other => panic!("{id}: {other:?}"),
    };
    let expect = [
        (
            "unknown-component",
            "unknown task `sage50-import-everything`",
        ),
        ("not-json", "job.json is not a Sage job: not valid JSON"),
        (
            "not-a-job",
            "job.json is not a Sage job: a value of the wrong type",
        ),
        ("no-job-json", "there is no acme/jobs/no-job-json/job.json"),
        (
            "elsewhere",
            "the job is for customer `other`; this runner serves `acme`",
        ),
    ];
    for (id, says) in expect {
        let reason = reason(id);
        assert!(reason.contains(says), "{id}: {reason}");
        assert_eq!(results[id].workflow, "web-orders");
        assert_eq!(results[id].run_id, "run-1");
    }
    assert!(log.contains("names no job"), "{log}");
    assert_eq!(
        p.jobs_left(),
        1,
        "only the message that names no job is left"
    );
    assert_eq!(p.open_ledger().sales_order_count().unwrap(), 0);
}
