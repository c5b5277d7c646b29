//! Cloud mode under AWS's delivery rules rather than polite ones: two function sandboxes (two
//! `bootstrap` processes on one runtime API) take invocations at once; every results-queue
//! message (job results, continue messages) is delivered to both at the same moment, with a
//! late copy of an earlier message beside it; every hand-over also gets the schedule twice at
//! once. Whatever the order, each order is imported once, the run ends once, and nothing is
//! left suspended.

use super::*;

/// The function's sandboxes beyond the harness's own process, killed with the test.
struct Sandboxes(Vec<Child>);

impl Drop for Sandboxes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts two sandboxes of the function (each its own local folder).
fn two_sandboxes(cloud: &mut Cloud, margin_seconds: f64) -> Sandboxes {
    cloud.sandbox = "sandbox-a".into();
    cloud.start_lambda(margin_seconds, None);
    let first = cloud.lambda.take().expect("the first sandbox");
    cloud.sandbox = "sandbox-b".into();
    cloud.start_lambda(margin_seconds, None);
    Sandboxes(vec![first])
}

/// What the impolite trigger saw.
#[derive(Default)]
struct Delivery {
    reports: Vec<Value>,
    invocations: usize,
    late_copies: usize,
    schedules: usize,
    /// Deliveries the function reported failed (to be delivered again).
    failed: usize,
}

impl Cloud {
    /// Two schedules at once: both must be refused while the run waits or runs.
    fn schedule_twice(&self, delivery: &mut Delivery) {
        let ids = [self.schedule(), self.schedule()];
        for id in ids {
            let answer = self.answer(&id, TIMEOUT);
            assert_eq!(
                status(&answer),
                "refused",
                "a schedule while the run is not over: {answer}"
            );
            delivery.schedules += 1;
        }
    }

    /// Plays the results queue's trigger the way AWS may: each message twice at once, plus a
    /// late copy of an earlier one, newest first, with a doubled schedule between rounds. A
    /// message is deleted only when both deliveries succeeded (otherwise it comes back). Ends
    /// once the run ended and the queue stayed empty for three receives.
    fn pump_impolitely(&self, timeout: Duration) -> Delivery {
        let mut delivery = Delivery::default();
        let mut earlier: Vec<String> = Vec::new();
        let mut quiet = 0;
        let mut round = 0usize;
        let deadline = Instant::now() + Duration::from_secs(420);
        loop {
            assert!(
                Instant::now() < deadline,
                "the run did not end; reports so far: {:#?}\n{}",
                delivery.reports,
                self.logs_text()
            );
            let over = delivery.reports.iter().any(ended);
            let mut messages = self.receive(10);
            if messages.is_empty() {
                quiet += 1;
                if over && quiet >= 3 {
                    return delivery;
                }
                continue;
            }
            quiet = 0;
            round += 1;
            if !over && round % 2 == 1 {
                self.schedule_twice(&mut delivery);
            }
            messages.reverse();
            let mut pending = Vec::new();
            for m in &messages {
                let (id, body) = (
                    m.message_id().unwrap_or_default(),
                    m.body().unwrap_or_default(),
                );
                let receipt = m.receipt_handle().unwrap_or_default().to_string();
                for _ in 0..2 {
                    pending.push((
                        Some(receipt.clone()),
                        self.api.invoke(sqs_event(id, body), timeout),
                    ));
                }
                // A copy of an earlier message, delivered again after later ones.
                if !earlier.is_empty() {
                    let old = &earlier[(round * 7 + earlier.len()) % earlier.len()];
                    pending.push((None, self.api.invoke(sqs_event("late-copy", old), timeout)));
                    delivery.late_copies += 1;
                }
                earlier.push(body.to_string());
            }
            let mut failed = BTreeSet::new();
            for (receipt, id) in pending {
                let answer = self.answer(&id, timeout);
                delivery.invocations += 1;
                let failures = answer["batchItemFailures"]
                    .as_array()
                    .is_some_and(|f| !f.is_empty());
                if failures && let Some(r) = receipt {
                    failed.insert(r);
                }
                for report in answer["reports"].as_array().cloned().unwrap_or_default() {
                    // A delivery that failed (its copy holds the workflow): the message comes
                    // back, as from SQS.
                    if report.get("error").is_some() {
                        delivery.failed += 1;
                        continue;
                    }
                    let allowed = ["ended", "suspended", "ignored"];
                    assert!(
                        allowed.contains(&status(&report)),
                        "a message's report: {report}"
                    );
                    delivery.reports.push(report);
                }
            }
            for m in &messages {
                let receipt = m.receipt_handle().unwrap_or_default();
                if failed.contains(receipt) {
                    continue;
                }
                self.delete_message(receipt);
            }
        }
    }

    /// Each order once, one run that ended once in success, nothing suspended.
    fn check_delivered(&self, delivery: &Delivery) {
        let run = self.check_final();
        assert_each_task_once(&run);
        let runs = self.store().list_runs().unwrap();
        assert_eq!(runs.len(), 1, "one run: {runs:#?}");
        let ends = delivery.reports.iter().filter(|r| ended(r)).count();
        assert_eq!(ends, 1, "the run ended once: {:#?}", delivery.reports);
        assert!(
            self.keys(&format!("{CUSTOMER}/{WORKFLOW}/run.lock"))
                .is_empty(),
            "the workflow is free"
        );
        eprintln!(
            "cloud delivery: {} invocations for {} reports ({} ignored), {} failed deliveries, {} late copies, {} refused schedules",
            delivery.invocations,
            delivery.reports.len(),
            delivery
                .reports
                .iter()
                .filter(|r| status(r) == "ignored")
                .count(),
            delivery.failed,
            delivery.late_copies,
            delivery.schedules
        );
    }
}

#[test]
fn schedules_and_job_results_delivered_twice_at_once_and_out_of_order() {
    let mut cloud = Cloud::new(4);
    cloud.start_runner("runner");
    let _sandboxes = two_sandboxes(&mut cloud, 30.0);
    // The first schedule, twice at once: one run starts, the other is refused.
    let (a, b) = (cloud.schedule(), cloud.schedule());
    let mut first = vec![status(&cloud.answer(&a, TIMEOUT)).to_string()];
    first.push(status(&cloud.answer(&b, TIMEOUT)).to_string());
    first.sort();
    assert_eq!(first, ["refused", "suspended"], "one schedule ran");
    let delivery = cloud.pump_impolitely(TIMEOUT);
    assert!(delivery.late_copies >= 5, "late copies delivered");
    cloud.check_delivered(&delivery);
}

#[test]
fn continue_messages_delivered_twice_at_once_and_out_of_order() {
    let mut cloud = Cloud::new(2);
    cloud.start_runner("runner");
    // A 6-second function timeout with 5.5 seconds kept back: each invocation runs one task
    // (or applies one result) and pauses before the next, so most hand-overs are continues.
    let short = Duration::from_secs(6);
    let _sandboxes = two_sandboxes(&mut cloud, 5.5);
    let first = cloud.api.invoke(json!({ "workflow": WORKFLOW }), short);
    assert_eq!(status(&cloud.answer(&first, short)), "suspended");
    let delivery = cloud.pump_impolitely(short);
    let pauses = delivery
        .reports
        .iter()
        .filter(|r| {
            status(r) == "suspended"
                && r["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("time budget")
        })
        .count();
    assert!(
        pauses >= 5,
        "the run paused for time: {:#?}",
        delivery.reports
    );
    cloud.check_delivered(&delivery);
}

impl Cloud {
    /// `wharf cloud COMMAND` for the workflow; its output (stdout, stderr) and success.
    fn cloud_cli(&self, command: &str) -> (String, String, bool) {
        let out = wharf_command(&self.seed.env.data())
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_REGION", REGION)
            .args([
                "cloud",
                command,
                "--bucket",
                &self.bucket,
                "--customer",
                CUSTOMER,
            ])
            .args([
                "--endpoint-url",
                &moto().endpoint(),
                "--path-style",
                WORKFLOW,
            ])
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            out.status.success(),
        )
    }

    /// Messages in the jobs queue (moto counts exactly).
    fn jobs_waiting(&self) -> usize {
        self.rt.block_on(async {
            let attributes = self
                .clients
                .sqs
                .get_queue_attributes()
                .queue_url(&self.jobs_queue)
                .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
                .send()
                .await
                .unwrap();
            attributes
                .attributes()
                .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages))
                .and_then(|n| n.parse().ok())
                .unwrap_or_default()
        })
    }

    fn suspended_run(&self) -> String {
        let answer = self.answer(&self.schedule(), TIMEOUT);
        assert_eq!(status(&answer), "suspended", "{answer}");
        answer["run_id"].as_str().unwrap().to_string()
    }
}

#[test]
fn a_runner_offline_too_long_fails_the_run_and_cancel_frees_a_stuck_workflow() {
    let mut cloud = Cloud::new(2);
    // Shortened ages: the job is sent again after 2 s without an answer, and a schedule gives
    // the run up after 6 s (13 days and 6 hours by default).
    cloud.lambda_env = vec![
        ("WHARF_SUSPENSION_RESEND_SECONDS", "2".into()),
        ("WHARF_SUSPENSION_MAX_AGE_SECONDS", "6".into()),
    ];
    cloud.start_lambda(30.0, None);
    // No runner: it is offline for good.
    let first = cloud.suspended_run();
    let suspended_at = Instant::now();
    assert_eq!(cloud.jobs_waiting(), 1);
    std::thread::sleep(Duration::from_millis(2500));
    let answer = cloud.answer(&cloud.schedule(), TIMEOUT);
    assert_eq!(status(&answer), "refused", "{answer}");
    assert_eq!(cloud.jobs_waiting(), 2, "the job was sent again");
    // Sent again only after another 2 s.
    let answer = cloud.answer(&cloud.schedule(), TIMEOUT);
    assert_eq!(status(&answer), "refused", "{answer}");
    assert_eq!(cloud.jobs_waiting(), 2, "not sent again so soon");

    let (out, err, ok) = cloud.cloud_cli("status");
    assert!(ok, "{err}");
    assert!(out.contains(&format!("run {first} is suspended")), "{out}");
    assert!(out.contains("its message was sent"), "{out}");

    std::thread::sleep(Duration::from_secs(6).saturating_sub(suspended_at.elapsed()));
    // The schedule after the longest wait ends the old run as failed and starts a new one.
    let second = cloud.suspended_run();
    assert_ne!(second, first);
    let store = cloud.store();
    let old = store.get_run(&first).unwrap().unwrap();
    assert_eq!(old.result, wharf_engine::ResultCode::Fail);
    assert!(old.ended.is_some());
    assert!(
        old.message.contains("gave up waiting")
            && old.message.contains("WHARF_SUSPENSION_MAX_AGE_SECONDS")
            && old.message.contains("waiting for task"),
        "{}",
        old.message
    );

    // `wharf cloud resend` has the next invocation send the new run's job again.
    let jobs = cloud.jobs_waiting();
    let (out, err, ok) = cloud.cloud_cli("resend");
    assert!(ok && out.contains(&second), "{out}{err}");
    let answer = cloud.answer(&cloud.schedule(), TIMEOUT);
    assert_eq!(status(&answer), "refused", "{answer}");
    assert_eq!(cloud.jobs_waiting(), jobs + 1, "the job was sent again");

    // `wharf cloud cancel` ends the stuck run and frees the workflow at once, and withdraws its
    // job (as giving the first run up did): a runner back later refuses the queued messages.
    let jobs_before = cloud.keys(&format!("{CUSTOMER}/jobs/"));
    assert_eq!(
        jobs_before.len(),
        1,
        "only the second run's job is left: {jobs_before:?}"
    );
    let (out, err, ok) = cloud.cloud_cli("cancel");
    assert!(ok, "{out}{err}");
    assert_eq!(
        cloud.keys(&format!("{CUSTOMER}/jobs/")),
        Vec::<String>::new()
    );
    let cancelled = store.get_run(&second).unwrap().unwrap();
    assert_eq!(cancelled.result, wharf_engine::ResultCode::Fail);
    assert!(
        cancelled
            .message
            .contains("cancelled with `wharf cloud cancel`"),
        "{}",
        cancelled.message
    );
    assert!(store.load_checkpoint().unwrap().is_none());
    let (_, err, ok) = cloud.cloud_cli("cancel");
    assert!(!ok && err.contains("nothing to cancel"), "{err}");
    let third = cloud.suspended_run();
    assert!(third != first && third != second);
    let (out, _, _) = cloud.cloud_cli("status");
    assert!(out.contains(&format!("run {third} is suspended")), "{out}");
    assert_eq!(cloud.seed.order_count(), 0);
}

impl Cloud {
    /// Starts the runner and the function and plays the seed run until the stock export's
    /// result arrives; gives that message, undelivered.
    fn at_stock_result(&mut self) -> aws_sdk_sqs::types::Message {
        self.start_runner("runner");
        self.start_lambda(2.0, None);
        assert_eq!(status(&self.answer(&self.schedule(), TIMEOUT)), "suspended");
        self.result_of(STOCK_TASK)
    }

    /// Plays the results trigger until the result of the Sage task at `task_path` arrives;
    /// gives that message, undelivered.
    fn result_of(&self, task_path: &str) -> aws_sdk_sqs::types::Message {
        let deadline = Instant::now() + Duration::from_secs(240);
        loop {
            assert!(
                Instant::now() < deadline,
                "no result of task {task_path}\n{}",
                self.logs_text()
            );
            let Some(m) = self.receive(1).pop() else {
                continue;
            };
            let body: Value = serde_json::from_str(m.body().unwrap_or_default()).unwrap();
            if body["task_path"] == task_path {
                return m;
            }
            let id = self.api.invoke(
                sqs_event(m.message_id().unwrap(), m.body().unwrap()),
                TIMEOUT,
            );
            let answer = self.answer(&id, TIMEOUT);
            assert!(!ended(&answer["reports"][0]), "{answer}");
            self.delete_message(m.receipt_handle().unwrap());
        }
    }
}

/// The stock export's task path in the seed workflow (second container, first task): it moves
/// its cursor (`export-type: Modified`) and leaves `products.xml` for the upload after it.
const STOCK_TASK: &str = "1.0";

#[test]
fn a_function_killed_mid_task_loses_no_file_whose_cursor_advanced() {
    let mut cloud = Cloud::new(3);
    // Tasks of 20 s at most, so the upload starts in the 80-second invocation below: a task
    // starts only while its whole limit fits before the deadline, and a loaded machine (CI runs
    // every test at once on two cores) can take half a minute to get from the export's result
    // to the upload.
    cloud.deploy_edited(|text| text.replace("  timeout: 10m", "  timeout: 20s"));
    let stock = cloud.at_stock_result();
    // The SFTP server hangs: the upload after the export waits for it (connect timeouts and
    // retries, 15 s and more) when the function is stopped in the middle of it (out of memory,
    // or a task overrunning its limit until Lambda's timeout).
    cloud.seed.server.freeze();
    let short = Duration::from_secs(80);
    let id = cloud.api.invoke(
        sqs_event(stock.message_id().unwrap(), stock.body().unwrap()),
        short,
    );
    let store = cloud.store();
    let products = format!("{CUSTOMER}/{WORKFLOW}/work/products.xml");
    let started = Instant::now();
    // Once the export is done: its file saved, or its cursor.
    while cloud.keys(&products).is_empty() && !store.load_state().unwrap().contains_key("stock") {
        assert!(
            started.elapsed() < short,
            "the export never finished\n{}",
            cloud.logs_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(1));
    if let Some(answer) = cloud.api.wait(&id, Duration::ZERO) {
        panic!(
            "the invocation should still be in the upload, but it answered {answer:?}\n{}",
            cloud.logs_text()
        );
    }
    cloud.kill_lambda();
    // A cursor that moved never gets ahead of the file it covers.
    if store.load_state().unwrap().contains_key("stock") {
        assert!(
            !cloud.keys(&products).is_empty(),
            "the export's file is in the bucket with its cursor"
        );
    }
    let run = store.list_runs().unwrap().pop().unwrap();
    assert!(run.ended.is_none(), "killed mid-run: {}", run.message);

    // The server comes back; the result message comes back (it was never deleted), and the
    // next invocations wait out the dead run's lock, recover the run and finish it.
    cloud.seed.server.thaw();
    cloud.start_lambda(2.0, None);
    cloud.pump(TIMEOUT, ended);
    let run = cloud.check_final();
    assert_each_task_once(&run);
    let runs = cloud.store().list_runs().unwrap();
    assert_eq!(
        runs.len(),
        2,
        "the killed run and the run that recovered it"
    );
}

#[test]
fn no_task_starts_that_its_invocation_cannot_finish() {
    let mut cloud = Cloud::new(2);
    let stock = cloud.at_stock_result();
    // The SFTP server hangs, and the invocations are 20 s long: far less than the upload's
    // limit (10 minutes), and about what its connect timeouts and retries take.
    cloud.seed.server.freeze();
    let short = Duration::from_secs(20);
    let mut reports = Vec::new();
    let mut next = Some(stock);
    while let Some(m) = next.take() {
        let id = cloud
            .api
            .invoke(sqs_event(m.message_id().unwrap(), m.body().unwrap()), short);
        // The deadline counts from when the function takes the invocation.
        let answer = match cloud.api.wait(&id, short + Duration::from_secs(5)) {
            Some(Outcome::Response(answer)) => answer,
            other => panic!(
                "every invocation ends within its timeout, got {other:?}\n{}",
                cloud.logs_text()
            ),
        };
        cloud.delete_message(m.receipt_handle().unwrap());
        let report = answer["reports"][0].clone();
        reports.push(report.clone());
        if !ended(&report) {
            next = (0..10).find_map(|_| cloud.receive(1).pop());
        }
    }
    // Applying the export's result, then pausing before the upload rather than starting it;
    // then the upload alone, stopped at what was left of its invocation.
    assert!(reports.len() >= 2, "{reports:#?}");
    assert!(
        reports[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("time budget"),
        "{reports:#?}"
    );
    let store = cloud.store();
    let failed = store.last_ended_run().unwrap().unwrap();
    assert!(failed.result.resumes(), "{}", failed.message);
    let upload = failed.tasks.last().unwrap();
    assert_eq!(upload.id, "upload", "{}", upload.message);
    assert!(!upload.result.is_success());

    // The server is back: the next schedule resumes at the upload and finishes.
    cloud.seed.server.thaw();
    if !ended(&cloud.answer(&cloud.schedule(), TIMEOUT)) {
        cloud.pump(TIMEOUT, ended);
    }
    cloud.check_final();
    assert_eq!(cloud.store().list_runs().unwrap().len(), 2);
}

/// Moves every message of `from` to `to` twice (as SQS may deliver a message twice), until
/// dropped. Both copies are sent at once, so two runners long-polling `to` usually take one each.
struct Duplicator {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<usize>>,
}

impl Duplicator {
    fn start(sqs: aws_sdk_sqs::Client, from: String, to: String) -> Duplicator {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let mut moved = 0;
            while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                let messages = rt
                    .block_on(
                        sqs.receive_message()
                            .queue_url(&from)
                            .max_number_of_messages(10)
                            .wait_time_seconds(1)
                            .send(),
                    )
                    .expect("receive from the jobs queue")
                    .messages
                    .unwrap_or_default();
                for m in messages {
                    let body = m.body().unwrap_or_default().to_string();
                    rt.block_on(async {
                        let (a, b) = tokio::join!(
                            sqs.send_message().queue_url(&to).message_body(&body).send(),
                            sqs.send_message().queue_url(&to).message_body(&body).send()
                        );
                        a.expect("send a copy");
                        b.expect("send a copy");
                        sqs.delete_message()
                            .queue_url(&from)
                            .receipt_handle(m.receipt_handle().unwrap_or_default())
                            .send()
                            .await
                            .expect("delete from the jobs queue");
                    });
                    moved += 1;
                }
            }
            moved
        });
        Duplicator {
            stop,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> usize {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap()
    }
}

impl Drop for Duplicator {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Every job message twice at once, to two runners (each with its own state, one ledger): each
/// order still goes into the ledger once, the run ends once in success, and the second result
/// of each job is ignored.
#[test]
fn job_messages_delivered_twice_at_once_to_two_runners() {
    let mut cloud = Cloud::new(4);
    let copies = cloud.rt.block_on(async {
        cloud
            .clients
            .sqs
            .create_queue()
            .queue_name(format!("{}-jobs-twice", cloud.bucket))
            .attributes(QueueAttributeName::VisibilityTimeout, "4")
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap()
    });
    let duplicator = Duplicator::start(
        cloud.clients.sqs.clone(),
        cloud.jobs_queue.clone(),
        copies.clone(),
    );
    cloud.runner_jobs_queue = Some(copies);
    cloud.start_runner("runner-a");
    cloud.start_runner("runner-b");
    cloud.start_lambda(30.0, None);
    let answer = cloud.answer(&cloud.schedule(), TIMEOUT);
    assert_eq!(status(&answer), "suspended", "{answer}");
    let reports = cloud.pump(TIMEOUT, ended);
    let jobs = duplicator.finish();
    let run = cloud.check_final();
    assert_each_task_once(&run);
    let ends = reports.iter().filter(|r| ended(r)).count();
    assert_eq!(ends, 1, "the run ended once: {reports:#?}");
    assert!(jobs >= 4, "every Sage job went out twice ({jobs} jobs)");
    eprintln!(
        "cloud delivery: {jobs} jobs sent twice to two runners; {} reports, {} ignored",
        reports.len(),
        reports.iter().filter(|r| status(r) == "ignored").count()
    );
}
