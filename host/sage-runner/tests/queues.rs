//! A job through the queues: job.json and a job message in, result.json and a result message
//! out, the order in the ledger, the job message gone.

use crate::support::*;
use wharf_engine::ResultCode;
use wharf_sage::JobFile;
use wharf_sage::queue::{self, JobOutcome};

#[test]
fn a_job_goes_through_the_queues_and_its_order_into_the_ledger() {
    let p = Pipeline::new("through");
    let config = p.config("state", Timing::default());
    let message = p.submit(
        "job-1",
        &order_job(sample("Sales Order with Minimal Information.xml")),
    );

    let started = std::time::Instant::now();
    let out = p.run_once(&config);
    let log = stderr(&out);
    assert!(out.status.success(), "{log}");
    eprintln!("one job through the queues: {:?}", started.elapsed());

    // The result message: the job's coordinates and where its result is.
    let raw = p.take_results_raw();
    assert_eq!(raw.len(), 1, "one result message: {raw:?}\n{log}");
    let result: wharf_sage::ResultMessage = serde_json::from_str(&raw[0]).unwrap();
    assert_eq!(
        result,
        message.result(JobOutcome::Done {
            result_key: queue::result_key(CUSTOMER, "job-1")
        })
    );
    // Messages carry no file contents and no secrets.
    assert!(
        !raw[0].contains("SalesOrder") && !raw[0].contains(SECRET),
        "{}",
        raw[0]
    );

    // result.json: the import's outcome and its output files.
    let result = p.result_json("job-1").expect("result.json");
    assert_eq!(result.code, ResultCode::SuccessData, "{}", result.message);
    assert_eq!(
        (result.counts.records_out, result.counts.records_failed),
        (1, 0)
    );
    let Some(JobFile::Text(success)) = result.output_files.get("orders_success.xml") else {
        panic!("a success file: {:?}", result.output_files.keys())
    };
    assert!(
        success.contains("<SalesOrderNumber>1</SalesOrderNumber>"),
        "{success}"
    );
    assert!(
        result.truth_updates.iter().any(|u| matches!(u,
            wharf_sage::TruthUpdate::Upsert(r) if r.external_id == "12345")),
        "the order's truth row travels back: {:?}",
        result.truth_updates
    );

    // The order is in the ledger; the job message is gone.
    let ledger = p.open_ledger();
    assert_eq!(ledger.sales_order_count().unwrap(), 1);
    assert_eq!(p.jobs_left(), 0, "the job message was deleted");

    // The log says what happened, without secrets.
    for line in [
        "job received",
        "running the job",
        "job finished",
        "job done",
    ] {
        assert!(log.contains(line), "`{line}` in:\n{log}");
    }
    assert!(log.contains("job-1") && log.contains("sage50-import-sales-orders"));
    assert!(!log.contains(SECRET), "{log}");

    // The same message again (a sender that sent it twice): answered already, so it is only
    // deleted — nothing runs, nothing is sent again.
    p.send_job(&serde_json::to_string(&message).unwrap());
    let out = p.run_once(&config);
    let log = stderr(&out);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("job already finished"), "{log}");
    assert!(!log.contains("running the job"), "{log}");
    assert!(p.take_results().is_empty(), "no second result message");
    assert_eq!(p.jobs_left(), 0);
    assert_eq!(ledger.sales_order_count().unwrap(), 1);

    // A broken copy of its message does not replace the job's answer with a refusal.
    let mut broken = message.clone();
    broken.job_key = queue::job_key(CUSTOMER, "someone-else");
    p.send_job(&serde_json::to_string(&broken).unwrap());
    let out = p.run_once(&config);
    let log = stderr(&out);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("job already finished"), "{log}");
    assert!(
        p.take_results().is_empty(),
        "no refusal sent for an answered job"
    );
    assert_eq!(p.jobs_left(), 0);
    let again = p.run_once(&config);
    assert!(again.status.success());
}

#[test]
fn with_no_job_waiting_once_returns_after_one_long_poll() {
    let p = Pipeline::new("idle");
    let config = p.config(
        "state",
        Timing {
            wait_seconds: 1,
            ..Timing::default()
        },
    );
    let started = std::time::Instant::now();
    let out = p.run_once(&config);
    let log = stderr(&out);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("no job arrived within 1s"), "{log}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert!(p.take_results().is_empty());
}

#[test]
fn a_job_for_a_ledger_that_is_not_there_fails_and_no_company_is_created() {
    let p = Pipeline::new("no-ledger");
    // A mistyped `ledger` setting: the folder it names holds no company.
    std::fs::remove_dir_all(p.ledger.parent().unwrap()).unwrap();
    let config = p.config("state", Timing::default());
    p.submit(
        "job-1",
        &order_job(sample("Sales Order with Minimal Information.xml")),
    );

    let out = p.run_once(&config);
    let log = stderr(&out);
    assert!(out.status.success(), "the runner carries on: {log}");
    let ledger = p.ledger.display().to_string();
    assert!(
        log.contains("there is no Sage ledger") && log.contains(&ledger),
        "the runner says so at start: {log}"
    );

    let result = p.result_json("job-1").expect("result.json");
    assert_eq!(result.code, ResultCode::Fail, "{}", result.message);
    let setting = format!("setting `ledger` of {}", config.display());
    for part in [
        "Import the orders into Sage",
        setting.as_str(),
        ledger.as_str(),
        "wharf sage create-company",
    ] {
        assert!(
            result.message.contains(part),
            "`{part}` in: {}",
            result.message
        );
    }
    assert!(
        !p.ledger.parent().unwrap().exists(),
        "no company (nor its folder) was created"
    );
}
