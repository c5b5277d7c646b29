//! Crashes: a runner killed mid-job (the job comes back and a second runner finishes it,
//! importing nothing twice), a runner that stops after recording a result but before
//! acknowledging it (the next runner sends the recorded result and runs nothing again), and a
//! job that crashes every runner (refused on its last delivery, so the run hears of it).

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::*;
use sage_ledger::benchmark::{OrderFileShape, generate_order_file, seed_catalogue};
use wharf_engine::ResultCode;
use wharf_sage::TruthUpdate;
use wharf_sage::queue::{self, JobOutcome};
use wharf_sage_runner::runner::{TEST_CRASH_ENV, TEST_CRASH_EXIT_CODE};

const ORDER: &str = "Zynk.Connect.Objects.SalesOrder";

#[test]
fn a_runner_killed_mid_job_leaves_it_to_the_next_and_every_order_goes_in_once() {
    let p = Pipeline::new("killed");
    let shape = OrderFileShape {
        orders: 3000,
        customers: 300,
        products: 50,
    };
    seed_catalogue(&mut p.open_ledger(), shape.products).unwrap();
    let mut job = order_job(generate_order_file(shape).into_bytes());
    // No lineage from the sender: the runner's own (one per job id) must do.
    job.lineage = None;
    let message = p.submit("big-1", &job);
    // Short visibility so the killed runner's message comes back soon.
    let timing = Timing {
        heartbeat_seconds: 1,
        visibility_timeout_seconds: 3,
        wait_seconds: 10,
    };
    let config = p.config("state", timing);

    let mut first = p
        .runner(&config)
        .arg("--once")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let first_log = Captured::of(&mut first);
    let ledger = p.open_ledger();
    wait_for(Duration::from_secs(180), "orders going in", || {
        assert!(
            first.try_wait().unwrap().is_none(),
            "the first runner ended before importing anything"
        );
        ledger.sales_order_count().unwrap() > 0
    });
    // A further moment, different each time.
    let jitter = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos(),
    ) % 1000;
    std::thread::sleep(Duration::from_millis(jitter));
    first.kill().unwrap();
    first.wait().unwrap();
    let first_log = first_log.text();
    let at_kill = ledger.sales_order_count().unwrap() as usize;
    assert!(
        (1..shape.orders).contains(&at_kill),
        "killed mid-import ({at_kill} of {} orders in): make the job bigger if it finished\n{first_log}",
        shape.orders
    );
    assert!(
        p.take_results().is_empty(),
        "the killed runner sent nothing"
    );

    // A second runner (the same machine, restarted) gets the job again once its visibility
    // timeout passes, and finishes it.
    let started = Instant::now();
    let out = p.run_once(&config);
    let log = stderr(&out);
    assert!(out.status.success(), "{log}");
    eprintln!(
        "killed after {at_kill} of {} orders; the second runner finished in {:?}",
        shape.orders,
        started.elapsed()
    );
    assert!(
        log.contains("job interrupted mid-run"),
        "reported at start-up: {log}"
    );
    assert!(log.contains("running it again"), "{log}");

    let numbers = order_numbers(&ledger);
    let unique: BTreeSet<&String> = numbers.iter().collect();
    assert_eq!(
        numbers.len(),
        shape.orders,
        "every order once (killed after {at_kill})"
    );
    assert_eq!(unique.len(), shape.orders, "no order twice");

    let results = p.take_results();
    assert_eq!(
        results,
        vec![message.result(JobOutcome::Done {
            result_key: queue::result_key(CUSTOMER, "big-1")
        })],
        "exactly one result message"
    );
    // The second run reports the first run's orders as imported (replay marks), not as
    // duplicates, and its truth updates cover every order (the truth journal).
    let result = p.result_json("big-1").unwrap();
    assert_eq!(result.code, ResultCode::SuccessData, "{}", result.message);
    assert_eq!(
        (result.counts.records_out, result.counts.records_failed),
        (shape.orders as u64, 0),
        "{}",
        result.message
    );
    let truth: BTreeSet<&str> = result
        .truth_updates
        .iter()
        .filter_map(|u| match u {
            TruthUpdate::Upsert(r) if r.kind == ORDER => Some(r.external_id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(truth.len(), shape.orders, "a truth row for every order");
    assert_eq!(p.jobs_left(), 0, "the job message was deleted");
    let (attempts, _, finished) = p.recorded("state", "big-1").unwrap();
    assert_eq!(attempts, 2);
    assert!(finished.is_some());
}

#[test]
fn a_result_recorded_but_not_acknowledged_is_delivered_on_restart_without_running_again() {
    for point in ["after-result", "after-upload", "after-send"] {
        let p = Pipeline::new("unacked");
        let (config, message) = one_small_job(&p);

        // The first runner records the result and stops at `point`.
        let out = run_once_crashing_at(&p, &config, point);
        let log = stderr(&out);
        assert_eq!(
            out.status.code(),
            Some(TEST_CRASH_EXIT_CODE),
            "{point}: {log}"
        );
        let ledger = p.open_ledger();
        let orders = order_numbers(&ledger);
        assert_eq!(orders.len(), 1, "{point}");
        let uploaded = point != "after-result";
        let sent = point == "after-send";
        assert_eq!(p.result_json("job-1").is_some(), uploaded, "{point}");
        let before = p.take_results();
        assert_eq!(before.len(), usize::from(sent), "{point}");
        assert_eq!(p.jobs_left(), 1, "{point}: the job message is still there");

        // The next runner reports the job, delivers what was missing, and deletes the job
        // message when it comes back — without running the job again.
        let out = p.run_once(&config);
        let log = stderr(&out);
        assert!(out.status.success(), "{point}: {log}");
        if sent {
            assert!(
                log.contains("its result sent, but its job message was not deleted"),
                "{log}"
            );
        } else {
            assert!(
                log.contains("job finished but its result was never sent"),
                "{log}"
            );
            assert!(log.contains("job-1"), "{log}");
        }
        assert!(
            log.contains("job already finished: not running it again"),
            "{point}: {log}"
        );
        assert!(!log.contains("running the job"), "{point}: {log}");

        let after = p.take_results();
        let expected = message.result(JobOutcome::Done {
            result_key: queue::result_key(CUSTOMER, "job-1"),
        });
        let all: Vec<_> = before.into_iter().chain(after).collect();
        assert_eq!(
            all,
            vec![expected],
            "{point}: exactly one result message in all"
        );
        let result = p.result_json("job-1").expect("result.json");
        assert_eq!(result.counts.records_out, 1);
        assert_eq!(
            order_numbers(&ledger),
            orders,
            "{point}: the ledger is unchanged"
        );
        assert_eq!(p.jobs_left(), 0, "{point}: the job message was deleted");
        let (attempts, _, _) = p.recorded("state", "job-1").unwrap();
        assert_eq!(attempts, 1, "{point}: run once");
    }
}

#[test]
fn a_job_that_crashes_the_runner_is_refused_on_its_last_delivery_instead_of_dead_lettered() {
    let p = Pipeline::new("poison");
    p.dead_letter_jobs_after(2);
    let (config, message) = one_small_job(&p);

    // Every runner dies once it has started the job.
    let out = run_once_crashing_at(&p, &config, "job-started");
    assert_eq!(
        out.status.code(),
        Some(TEST_CRASH_EXIT_CODE),
        "{}",
        stderr(&out)
    );
    assert!(p.take_results().is_empty());

    // Its second delivery is the queue's last: the runner answers instead of running it again.
    let out = run_once_crashing_at(&p, &config, "job-started");
    let log = stderr(&out);
    assert!(
        out.status.success(),
        "the refusing runner does not reach the crash: {log}"
    );
    let results = p.take_results();
    assert_eq!(results.len(), 1, "{log}");
    match &results[0].outcome {
        JobOutcome::Refused { reason } => {
            assert!(reason.contains("interrupted 1 time(s)"), "{reason}");
            assert!(reason.contains("last delivery"), "{reason}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(results[0].job_id, message.job_id);
    assert_eq!(
        p.jobs_left(),
        0,
        "the job message was deleted, not dead-lettered"
    );
    assert!(
        order_numbers(&p.open_ledger()).is_empty(),
        "nothing was imported"
    );
}

/// A runner configuration with a short visibility timeout, and one small order job submitted.
fn one_small_job(p: &Pipeline) -> (std::path::PathBuf, wharf_sage::queue::JobMessage) {
    let timing = Timing {
        heartbeat_seconds: 1,
        visibility_timeout_seconds: 2,
        wait_seconds: 10,
    };
    let config = p.config("state", timing);
    let message = p.submit(
        "job-1",
        &order_job(sample("Sales Order with Minimal Information.xml")),
    );
    (config, message)
}

/// `runner --once` told to exit at the crash point `point`.
fn run_once_crashing_at(
    p: &Pipeline,
    config: &std::path::Path,
    point: &str,
) -> std::process::Output {
    p.runner(config)
        .arg("--once")
        .env(TEST_CRASH_ENV, point)
        .output()
        .unwrap()
}
