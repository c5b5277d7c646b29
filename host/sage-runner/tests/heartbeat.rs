//! The heartbeat: a job that runs longer than the visibility timeout is not handed to a second
//! runner meanwhile. Also: SIGTERM lets the current job finish, and stops an idle runner at once.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::*;
use sage_ledger::benchmark::{OrderFileShape, generate_order_file, seed_catalogue};

#[test]
fn a_job_longer_than_the_visibility_timeout_stays_with_its_runner() {
    let p = Pipeline::new("heartbeat");
    let shape = OrderFileShape {
        orders: 12_000,
        customers: 300,
        products: 50,
    };
    seed_catalogue(&mut p.open_ledger(), shape.products).unwrap();
    p.submit(
        "long-1",
        &order_job(generate_order_file(shape).into_bytes()),
    );
    let timing = Timing {
        heartbeat_seconds: 1,
        visibility_timeout_seconds: 2,
        wait_seconds: 1,
    };
    let first_config = p.config("first", timing);
    let second_config = p.config("second", timing);

    // The first runner, as a service, takes the job.
    let mut first = p
        .runner(&first_config)
        .env("RUST_LOG", "info,wharf_sage_runner=debug")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let first_log = Captured::of(&mut first);
    wait_for(
        Duration::from_secs(120),
        "the first runner to take the job",
        || p.recorded("first", "long-1").is_some(),
    );
    // A second runner polls the same queue all the while.
    let mut second = p
        .runner(&second_config)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let second_log = Captured::of(&mut second);

    // Asked to stop mid-job, the first runner finishes the job, then exits.
    let ledger = p.open_ledger();
    wait_for(Duration::from_secs(180), "orders going in", || {
        ledger.sales_order_count().unwrap() > 0
    });
    terminate(&first);
    let status = first.wait().unwrap();
    let first_log = first_log.text();
    assert!(status.success(), "{first_log}");
    assert!(first_log.contains("job done"), "{first_log}");

    // The job took well over the visibility timeout, with heartbeats all along.
    let (attempts, started, finished) = p.recorded("first", "long-1").unwrap();
    let took = chrono::DateTime::parse_from_rfc3339(&finished.unwrap()).unwrap()
        - chrono::DateTime::parse_from_rfc3339(&started).unwrap();
    assert!(
        took >= chrono::Duration::seconds(4),
        "the job must outlast twice the visibility timeout to test anything (it took {took}): make it bigger"
    );
    let heartbeats = first_log.matches("heartbeat: visibility extended").count();
    assert!(
        heartbeats >= 3,
        "{heartbeats} heartbeats in {took}:\n{first_log}"
    );
    assert_eq!(attempts, 1);
    eprintln!("the job took {took} with {heartbeats} heartbeats (visibility 2s)");

    // Meanwhile the second runner never got it; asked to stop while waiting, it stops at once.
    std::thread::sleep(Duration::from_secs(3));
    let asked = Instant::now();
    terminate(&second);
    let status = second.wait().unwrap();
    let second_log = second_log.text();
    assert!(status.success(), "{second_log}");
    assert!(
        asked.elapsed() < Duration::from_secs(3),
        "stopped promptly: {:?}",
        asked.elapsed()
    );
    assert!(!second_log.contains("job received"), "{second_log}");
    assert!(second_log.contains("stopping, as asked"), "{second_log}");
    assert_eq!(p.recorded_jobs("second"), 0);

    assert_eq!(p.take_results().len(), 1, "exactly one result message");
    assert_eq!(order_numbers(&ledger).len(), shape.orders);
    assert_eq!(p.jobs_left(), 0);
}
