//! Cloud mode end to end: seed workflow 1 (`examples/sftp-to-sage.yaml`) deployed with `wharf
//! deploy` to a bucket on a real S3/SQS server (moto on 127.0.0.1), run by the Lambda binary
//! (`bootstrap`) as a separate process against a Lambda runtime API served here, with the
//! on-premises Sage runner (`wharf-sage-runner`) as another process, and the order files on a
//! real OpenSSH server. The results queue's Lambda trigger (an event source mapping) is played
//! by [`Cloud::pump`]: receive a message, invoke the function with an SQS event, delete the
//! message unless the function reported it failed.
//!
//! Faults: the runner killed mid-job, the Lambda killed after its checkpoint (before and after
//! sending the job), S3 and SQS errors injected on every request stream, a scheduled run while
//! another holds the workflow, and a run that outlives its invocation's time limit.

use crate::sftp_to_sage::Seed;
use crate::support::{repo_root, wharf_command};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};
use wharf_engine::storage::Storage;
use wharf_s3_store::S3Store;
use wharf_sage_runner::aws::{self, Clients};
use wharf_test_peers::lambda_api::{LambdaApi, Outcome};
use wharf_test_peers::{Moto, runner_command};

const CUSTOMER: &str = "acme";
const REGION: &str = "eu-west-1";
const WORKFLOW: &str = "sftp-to-sage";
/// moto takes any credentials; a distinctive secret shows whether one leaks.
const SECRET: &str = "wharf-cloud-secret-3e9b1d";
/// The function timeout of ordinary invocations (Lambda's longest, as deployments use: a task's
/// limit must fit in what is left of the invocation for it to start).
const TIMEOUT: Duration = Duration::from_secs(900);
/// How long the tests wait for an answer at most: every invocation here ends well within it.
const ANSWER_WAIT: Duration = Duration::from_secs(150);

#[path = "cloud_delivery.rs"]
mod delivery;
#[path = "cloud_scale.rs"]
mod scale;

pub(crate) fn moto() -> &'static Moto {
    wharf_test_peers::moto_with_aws_env(SECRET, None)
}

fn binary(name: &str) -> PathBuf {
    let path = repo_root().join("target/debug").join(name);
    assert!(
        path.is_file(),
        "{} is missing: build the binaries first with `cargo build --workspace --bins` (make test does)",
        path.display()
    );
    path
}

/// A seed workflow as the cloud tests deploy and check it: its working files and peers, the
/// runner's ledger, the workflow file and identity, and the end state it must reach.
pub(crate) trait CloudSeed {
    fn env(&self) -> &crate::support::TestEnv;
    fn ledger(&self) -> &Path;
    fn workflow(&self) -> PathBuf;
    fn workflow_id(&self) -> &'static str;
    /// Checks the end state, with the truth records the run kept.
    fn check_final_with(&self, truth: &dyn wharf_engine::storage::TruthStore);
    /// Secrets of the seed's peers, which must show in no record or log.
    fn secrets(&self) -> Vec<&'static str>;
}

impl CloudSeed for Seed {
    fn env(&self) -> &crate::support::TestEnv {
        &self.env
    }
    fn ledger(&self) -> &Path {
        &self.ledger
    }
    fn workflow(&self) -> PathBuf {
        repo_root().join("examples/sftp-to-sage.yaml")
    }
    fn workflow_id(&self) -> &'static str {
        WORKFLOW
    }
    fn check_final_with(&self, truth: &dyn wharf_engine::storage::TruthStore) {
        Seed::check_final_with(self, truth);
    }
    fn secrets(&self) -> Vec<&'static str> {
        vec![crate::sshd::PASSWORD]
    }
}

/// A customer's pipeline on moto with a seed workflow deployed (seed 1 by default: the SFTP
/// server), the runner's ledger, and the function's runtime API.
struct Cloud<S: CloudSeed = Seed> {
    seed: S,
    bucket: String,
    jobs_queue: String,
    results_queue: String,
    clients: Clients,
    rt: tokio::runtime::Runtime,
    api: LambdaApi,
    /// Where the function's S3 and SQS requests go (moto, or a fault proxy before it).
    endpoint: String,
    lambda: Option<Child>,
    lambda_started: Option<SystemTime>,
    runners: Vec<Child>,
    logs: PathBuf,
    /// The KMS key that signs the component manifest at deploy and that the function checks.
    signing_key: String,
    /// The function's local folder (each sandbox has its own `/tmp`).
    sandbox: String,
    /// More settings for the function.
    lambda_env: Vec<(&'static str, String)>,
    /// The queue the runners take jobs from, when not the function's jobs queue (a test that
    /// duplicates job messages on the way).
    runner_jobs_queue: Option<String>,
}

impl<S: CloudSeed> Drop for Cloud<S> {
    fn drop(&mut self) {
        for child in self.lambda.iter_mut().chain(self.runners.iter_mut()) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Cloud<Seed> {
    fn new(good: usize) -> Cloud {
        Cloud::with_seed(Seed::new(good))
    }
}

impl<S: CloudSeed> Cloud<S> {
    /// `seed`'s pipeline on moto, its workflow deployed.
    fn with_seed(seed: S) -> Cloud<S> {
        let moto = moto();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let clients = rt.block_on(aws::clients(REGION, Some(&moto.endpoint()), 0));
        let bucket = format!("cloud-{}", uuid::Uuid::new_v4().simple());
        let (jobs_queue, results_queue) = rt.block_on(wharf_test_peers::create_pipeline(
            &clients.s3,
            &clients.sqs,
            &bucket,
            REGION,
            &[(QueueAttributeName::VisibilityTimeout, "4")],
        ));
        let logs = seed.env().dir.path().join("logs");
        std::fs::create_dir_all(&logs).unwrap();
        let signing_key = rt.block_on(async {
            let kms = wharf_cloud::ManifestKey::client(Some(REGION), Some(&moto.endpoint())).await;
            wharf_test_peers::create_signing_key(&kms).await
        });
        let cloud = Cloud {
            seed,
            bucket,
            jobs_queue,
            results_queue,
            clients,
            rt,
            api: LambdaApi::start("wharf-acme"),
            endpoint: moto.endpoint(),
            lambda: None,
            lambda_started: None,
            runners: Vec::new(),
            logs,
            signing_key,
            sandbox: "lambda-tmp".into(),
            lambda_env: Vec::new(),
            runner_jobs_queue: None,
        };
        cloud.deploy();
        cloud
    }

    fn dir(&self) -> &Path {
        self.seed.env().dir.path()
    }

    /// `wharf deploy` of the seed workflow and its connection to the bucket.
    fn deploy(&self) {
        self.deploy_file(&self.seed.workflow());
    }

    /// `wharf deploy` of the seed workflow with `edit` applied to its text.
    fn deploy_edited(&self, edit: impl Fn(&str) -> String) {
        let workflow = self.seed.workflow();
        let text = std::fs::read_to_string(&workflow).unwrap();
        let edited = edit(&text);
        assert_ne!(edited, text, "the edit changed nothing");
        let file = self
            .dir()
            .join("edited")
            .join(workflow.file_name().unwrap());
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, edited).unwrap();
        self.deploy_file(&file);
    }

    fn deploy_file(&self, workflow: &Path) {
        let out = wharf_command(&self.seed.env().data())
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_REGION", REGION)
            .args(["deploy", "--bucket", &self.bucket, "--customer", CUSTOMER])
            .args(["--endpoint-url", &moto().endpoint(), "--path-style"])
            .args(["--signing-key", &self.signing_key])
            .arg("--connections-file")
            .arg(self.dir().join("connections.yaml"))
            .arg(workflow)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "wharf deploy: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn log(&self, name: &str) -> std::fs::File {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.logs.join(name))
            .unwrap()
    }

    fn logs_text(&self) -> String {
        let mut text = String::new();
        for name in ["lambda.log", "runner.log"] {
            let body = std::fs::read_to_string(self.logs.join(name)).unwrap_or_default();
            let tail: Vec<&str> = body.lines().rev().take(40).collect();
            text.push_str(&format!("--- {name} (last lines) ---\n"));
            for line in tail.into_iter().rev() {
                text.push_str(line);
                text.push('\n');
            }
        }
        text
    }

    /// Starts the function's process (`crash`: the test-only crash point, see the handler).
    fn start_lambda(&mut self, margin_seconds: f64, crash: Option<&str>) {
        let mut c = Function {
            api: &self.api,
            bucket: &self.bucket,
            customer: CUSTOMER,
            jobs_queue: &self.jobs_queue,
            results_queue: &self.results_queue,
            signing_key: &self.signing_key,
            endpoint: &self.endpoint,
        }
        .command(&self.dir().join(&self.sandbox), margin_seconds);
        c.env("RUST_LOG", "info")
            .stdout(self.log("lambda.log"))
            .stderr(self.log("lambda.log"));
        c.envs(self.lambda_env.iter().map(|(k, v)| (k, v)));
        if let Some(point) = crash {
            c.env("WHARF_LAMBDA_TEST_CRASH", point);
        }
        self.lambda_started = Some(SystemTime::now());
        self.lambda = Some(c.spawn().expect("starting bootstrap"));
    }

    /// Stops the function's process at once, as Lambda does at the timeout.
    fn kill_lambda(&mut self) {
        if let Some(mut child) = self.lambda.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Waits for the function's process to exit (a test crash point); returns its exit code.
    fn wait_lambda_exit(&mut self) -> Option<i32> {
        let mut child = self.lambda.take().expect("a running function");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "the function did not exit\n{}",
                self.logs_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn start_runner(&mut self, state: &str) {
        let config = self.dir().join(format!("{state}.yaml"));
        std::fs::write(
            &config,
            format!(
                "bucket: {bucket}\ncustomer: {CUSTOMER}\njobs_queue_url: {jobs}\nresults_queue_url: {results}\n\
                 region: {REGION}\nendpoint_url: {endpoint}\nledger: {ledger}\ncomponents: {components}\n\
                 state_dir: {state}\nheartbeat_seconds: 1\nvisibility_timeout_seconds: 4\nwait_seconds: 1\n",
                bucket = self.bucket,
                jobs = self.runner_jobs_queue.as_ref().unwrap_or(&self.jobs_queue),
                results = self.results_queue,
                endpoint = moto().endpoint(),
                ledger = self.seed.ledger().display(),
                components = repo_root().join("target/components").display(),
            ),
        )
        .unwrap();
        let child = runner_command(&binary("wharf-sage-runner"), self.dir(), SECRET)
            .arg("--config")
            .arg(&config)
            .current_dir(self.dir())
            .stdout(self.log("runner.log"))
            .stderr(self.log("runner.log"))
            .spawn()
            .expect("starting wharf-sage-runner");
        self.runners.push(child);
    }

    fn kill_runners(&mut self) {
        for mut child in self.runners.drain(..) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The schedule's event (EventBridge Scheduler delivers its input verbatim).
    fn schedule(&self) -> String {
        self.api
            .invoke(json!({ "workflow": self.seed.workflow_id() }), TIMEOUT)
    }

    fn answer(&self, id: &str, timeout: Duration) -> Value {
        match self
            .api
            .wait(id, (timeout + Duration::from_secs(30)).min(ANSWER_WAIT))
        {
            Some(Outcome::Response(value)) => value,
            Some(Outcome::Error { error_type, body }) => {
                panic!(
                    "invocation failed: {error_type} {body}\n{}",
                    self.logs_text()
                )
            }
            None => panic!("no answer to invocation {id}\n{}", self.logs_text()),
        }
    }

    /// Plays the results queue's trigger until a report satisfies `done`; returns every
    /// report seen. `timeout` is each invocation's function timeout.
    fn pump(&self, timeout: Duration, done: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut reports = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(240);
        loop {
            assert!(
                Instant::now() < deadline,
                "the run did not end; reports so far: {reports:#?}\n{}",
                self.logs_text()
            );
            for m in self.receive(1) {
                let event = sqs_event(
                    m.message_id().unwrap_or_default(),
                    m.body().unwrap_or_default(),
                );
                let invocation = self.api.invoke(event, timeout);
                let answer = self.answer(&invocation, timeout);
                let failed = answer["batchItemFailures"]
                    .as_array()
                    .is_some_and(|f| !f.is_empty());
                if !failed {
                    self.delete_message(m.receipt_handle().unwrap_or_default());
                }
                for report in answer["reports"].as_array().cloned().unwrap_or_default() {
                    let finished = done(&report);
                    reports.push(report);
                    if finished {
                        return reports;
                    }
                }
            }
        }
    }

    /// Up to `max` messages of the results queue (waiting a second for one).
    fn receive(&self, max: i32) -> Vec<aws_sdk_sqs::types::Message> {
        self.rt.block_on(async {
            self.clients
                .sqs
                .receive_message()
                .queue_url(&self.results_queue)
                .max_number_of_messages(max)
                .wait_time_seconds(1)
                .send()
                .await
                .expect("receive from the results queue")
                .messages
                .unwrap_or_default()
        })
    }

    fn delete_message(&self, receipt: &str) {
        self.rt.block_on(async {
            self.clients
                .sqs
                .delete_message()
                .queue_url(&self.results_queue)
                .receipt_handle(receipt)
                .send()
                .await
                .expect("delete message")
        });
    }

    fn store(&self) -> S3Store {
        crate::support::s3_store(
            &moto().endpoint(),
            REGION,
            &self.bucket,
            CUSTOMER,
            self.seed.workflow_id(),
        )
    }

    fn keys(&self, prefix: &str) -> Vec<String> {
        self.rt.block_on(async {
            self.clients
                .s3
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .send()
                .await
                .unwrap()
                .contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string))
                .collect()
        })
    }

    /// The end state: every good order once in the runner's ledger, the files processed on the
    /// server, stock uploaded, the archive zip in S3, and the run's record ended in success.
    fn check_final(&self) -> wharf_engine::RunRecord {
        let store = self.store();
        self.seed.check_final_with(store.truth().unwrap().as_ref());
        let archives = self.keys(&format!("{CUSTOMER}/{}/archive/", self.seed.workflow_id()));
        assert!(
            archives.iter().any(|k| k.ends_with(".zip")),
            "an archive zip in S3: {archives:?}"
        );
        let run = store.last_ended_run().unwrap().expect("an ended run");
        assert!(run.result.is_success(), "{}", run.message);
        assert!(store.load_checkpoint().unwrap().is_none());
        // No secret in the run records or the function's log.
        let records = serde_json::to_string(&store.list_runs().unwrap()).unwrap();
        let log = std::fs::read_to_string(self.logs.join("lambda.log")).unwrap_or_default();
        for secret in self.seed.secrets().into_iter().chain([SECRET]) {
            assert!(!records.contains(secret) && !log.contains(secret));
        }
        run
    }
}

/// A customer's function, as the tests start its sandboxes.
struct Function<'a> {
    api: &'a LambdaApi,
    bucket: &'a str,
    customer: &'a str,
    jobs_queue: &'a str,
    results_queue: &'a str,
    signing_key: &'a str,
    /// Where its S3 and SQS requests go (moto, or a proxy before it).
    endpoint: &'a str,
}

impl Function<'_> {
    /// One sandbox's `bootstrap` as Lambda starts it: the runtime API's variables and Wharf's
    /// settings, nothing else from this environment; its own local folder `local_dir`.
    /// `WHARF_TEST_BOOTSTRAP` names another build of it (the release one, to time it).
    fn command(&self, local_dir: &Path, margin_seconds: f64) -> Command {
        let program = std::env::var_os("WHARF_TEST_BOOTSTRAP")
            .map(PathBuf::from)
            .unwrap_or_else(|| binary("bootstrap"));
        let mut c = Command::new(program);
        c.env_clear()
            .envs(self.api.env())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("WHARF_BUCKET", self.bucket)
            .env("WHARF_CUSTOMER", self.customer)
            .env("WHARF_JOBS_QUEUE_URL", self.jobs_queue)
            .env("WHARF_RESULTS_QUEUE_URL", self.results_queue)
            .env("WHARF_LOCAL_DIR", local_dir)
            .env("WHARF_DEADLINE_MARGIN_SECONDS", margin_seconds.to_string())
            .env("WHARF_SIGNING_KEY", self.signing_key)
            .env("AWS_ENDPOINT_URL", self.endpoint)
            .env("AWS_REGION", REGION)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::null());
        c
    }
}

/// The results queue's event for one message, as the event source mapping sends it.
fn sqs_event(id: &str, body: &str) -> Value {
    json!({ "Records": [{
        "messageId": id,
        "body": body,
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:results",
        "awsRegion": REGION,
        "attributes": {}, "messageAttributes": {}
    }]})
}

fn status(report: &Value) -> &str {
    report["status"].as_str().unwrap_or_default()
}

fn ended(report: &Value) -> bool {
    status(report) == "ended"
}

/// Each task execution (path and item) of the run once: nothing finished ran again.
fn assert_each_task_once(run: &wharf_engine::RunRecord) {
    let mut seen = BTreeSet::new();
    for t in &run.tasks {
        assert!(
            seen.insert((t.path.clone(), t.iteration.clone())),
            "task {} item {:?} ran twice in run {}",
            t.path,
            t.iteration,
            run.id
        );
    }
}

#[test]
fn the_seed_workflow_runs_in_cloud_mode_and_a_second_run_adds_nothing() {
    let mut cloud = Cloud::new(6);
    cloud.start_runner("runner");
    cloud.start_lambda(30.0, None);
    let first = cloud.schedule();
    let answer = cloud.answer(&first, TIMEOUT);
    assert_eq!(status(&answer), "suspended", "{answer}");
    let reports = cloud.pump(TIMEOUT, ended);
    let run = cloud.check_final();
    assert_each_task_once(&run);
    assert_eq!(
        reports.iter().filter(|r| status(r) == "suspended").count(),
        9,
        "nine Sage jobs (6 + 3 bad order files, then the stock export) after the first: {reports:#?}"
    );
    // Cold start: from starting the process to the run's first task.
    let spawned: chrono::DateTime<chrono::Utc> = cloud.lambda_started.unwrap().into();
    let first_task = run.tasks.first().unwrap().started;
    eprintln!(
        "cloud: cold start to first task {} ms; first invocation {:?}; {} invocations in all",
        (first_task - spawned).num_milliseconds(),
        cloud.api.duration(&first),
        reports.len() + 1
    );

    // The next scheduled run finds nothing new: the bad files fail again, nothing moves.
    let orders = cloud.seed.order_count();
    let second = cloud.schedule();
    let answer = cloud.answer(&second, TIMEOUT);
    if status(&answer) != "ended" {
        cloud.pump(TIMEOUT, ended);
    }
    assert_eq!(cloud.seed.order_count(), orders);
    cloud.check_final();
}

/// Seed workflow 3 (`examples/bigcommerce-to-sage.yaml`) in cloud mode: the function downloads
/// from the fake BigCommerce store through the contract proxies, the on-premises runner imports
/// into Sage, the function moves the orders on and sends the stock levels; a second run adds
/// nothing.
#[test]
fn seed_workflow_3_runs_in_cloud_mode_and_a_second_run_adds_nothing() {
    let harness = crate::bigcommerce::harness();
    let seed = crate::bigcommerce::Seed::new(&harness, crate::bigcommerce::config());
    let mut cloud = Cloud::with_seed(seed);
    cloud.start_runner("runner");
    cloud.start_lambda(30.0, None);
    let answer = cloud.answer(&cloud.schedule(), TIMEOUT);
    assert_eq!(status(&answer), "suspended", "{answer}");
    cloud.pump(TIMEOUT, ended);
    let run = cloud.check_final();
    assert_each_task_once(&run);

    let updates = cloud.seed.store.stats().status_updates;
    let answer = cloud.answer(&cloud.schedule(), TIMEOUT);
    if status(&answer) != "ended" {
        cloud.pump(TIMEOUT, ended);
    }
    cloud.check_final();
    assert_eq!(
        cloud.seed.store.stats().status_updates,
        updates,
        "nothing moved again"
    );
    cloud.seed.assert_contract_kept(&harness);
}

/// Seed workflow 4 (`examples/amazon-to-sage.yaml`) in cloud mode: the function downloads the
/// orders from the fake Selling Partner API through the contract proxy, the on-premises runner
/// imports them into Sage, the function submits the stock and price feeds. Amazon processes
/// feeds over minutes to hours: nothing waits for them in the function — the run suspends at
/// `amazon-feed-results` (waiting) and the invocation ends; no message wakes it, the next
/// scheduled invocation resumes the same run, collects the reports and ends it. A further
/// scheduled run submits nothing again.
#[test]
fn seed_workflow_4_runs_in_cloud_mode_and_the_next_schedule_resumes_it_for_the_feed_reports() {
    let seed = crate::amazon::Seller::new();
    let mut cloud = Cloud::with_seed(seed);
    cloud.start_runner("runner");
    cloud.start_lambda(30.0, None);
    let answer = cloud.answer(&cloud.schedule(), TIMEOUT);
    assert_eq!(status(&answer), "suspended", "{answer}");
    let waiting = |report: &Value| {
        status(report) == "suspended"
            && report["message"]
                .as_str()
                .is_some_and(|m| m.contains("is waiting"))
    };
    let reports = cloud.pump(TIMEOUT, |r| waiting(r) || ended(r));
    let last = reports.last().expect("a report");
    assert!(waiting(last), "suspended waiting for the feeds: {last}");
    assert_eq!(cloud.seed.amazon.stats().feeds_created, 2);
    let suspended_run = last["run_id"].as_str().expect("a run id").to_owned();
    let checkpoint = cloud
        .store()
        .load_checkpoint()
        .unwrap()
        .expect("a checkpoint");
    let suspension = checkpoint.suspended.expect("the run is suspended");
    assert!(
        matches!(
            suspension.waiting,
            wharf_engine::checkpoint::Waiting::Later { .. }
        ),
        "{suspension:?}"
    );
    assert!(
        cloud.receive(1).is_empty(),
        "no message wakes a waiting run: the schedule does"
    );

    // The same run, resumed; it may pause again before the archive task when the invocation's
    // time budget would not cover that task's limit.
    let answer = cloud.answer(&cloud.schedule(), TIMEOUT);
    assert_eq!(
        answer["run_id"],
        suspended_run.as_str(),
        "the same run, resumed: {answer}"
    );
    if status(&answer) != "ended" {
        cloud.pump(TIMEOUT, ended);
    }
    let run = cloud.check_final();
    assert_eq!(run.id, suspended_run);
    assert_each_task_once(&run);
    cloud.seed.check_final();

    let answer = cloud.answer(&cloud.schedule(), TIMEOUT);
    if status(&answer) != "ended" {
        cloud.pump(TIMEOUT, ended);
    }
    cloud.check_final();
    cloud.seed.check_final();
    assert_eq!(
        cloud.seed.amazon.stats().feeds_created,
        2,
        "nothing submitted again"
    );
}

#[test]
fn a_function_killed_after_its_checkpoint_resumes_without_repeating_tasks() {
    for point in ["after-suspend", "after-send"] {
        let mut cloud = Cloud::new(3);
        cloud.start_runner("runner");
        cloud.start_lambda(30.0, Some(point));
        let first = cloud.schedule();
        assert_eq!(
            cloud.wait_lambda_exit(),
            Some(86),
            "{point}: the crash point was reached"
        );
        // Lambda retries the event in a fresh process.
        cloud.start_lambda(30.0, None);
        let retry = cloud.api.retry(&first);
        let answer = cloud.answer(&retry, TIMEOUT);
        assert_eq!(
            status(&answer),
            "refused",
            "{point}: the retried schedule finds its run suspended: {answer}"
        );
        cloud.pump(TIMEOUT, ended);
        let run = cloud.check_final();
        assert_each_task_once(&run);
        let runs = cloud.store().list_runs().unwrap();
        assert_eq!(runs.len(), 1, "{point}: one run from start to end");
    }
}

#[test]
fn a_runner_killed_mid_job_is_replaced_and_nothing_is_imported_twice() {
    let mut cloud = Cloud::new(3);
    // A big order file first in the listing, so its job runs long enough to be killed in.
    let shape = sage_ledger::benchmark::OrderFileShape {
        orders: 1500,
        customers: 100,
        products: 20,
    };
    sage_ledger::benchmark::seed_catalogue(
        &mut sage_ledger::Ledger::open(&cloud.seed.ledger).unwrap(),
        shape.products,
    )
    .unwrap();
    cloud.seed.server.put(
        "/download/order-0000-bulk.xml",
        sage_ledger::benchmark::generate_order_file(shape),
    );
    cloud.start_runner("runner-1");
    cloud.start_lambda(30.0, None);
    let first = cloud.schedule();
    assert_eq!(status(&cloud.answer(&first, TIMEOUT)), "suspended");
    // Kill the runner once it is importing the bulk file.
    let started = Instant::now();
    while cloud.seed.order_count() < 50 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the bulk job never started\n{}",
            cloud.logs_text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    cloud.kill_runners();
    let at_kill = cloud.seed.order_count();
    assert!(
        at_kill < 1500,
        "the runner was killed mid-job ({at_kill} orders in)"
    );
    cloud.start_runner("runner-2");
    cloud.pump(TIMEOUT, ended);
    // 1,500 bulk orders and the 3 good files, each once.
    let store = cloud.store();
    assert_eq!(cloud.seed.order_count(), 1503);
    let run = store.last_ended_run().unwrap().unwrap();
    assert!(run.result.is_success(), "{}", run.message);
    assert_each_task_once(&run);
    assert_eq!(cloud.seed.server.names("/download/processed").len(), 4);
}

#[test]
fn s3_and_sqs_errors_are_retried_and_lose_nothing() {
    let mut cloud = Cloud::new(4);
    use wharf_test_peers::proxy::{Fault, Proxy};
    // One fault in every 20 requests, of each kind in turn (each costs a retry's backoff).
    let mut plan = Vec::new();
    for fault in [Fault::Status(503), Fault::Reset, Fault::Status(500)] {
        plan.extend([Fault::Pass; 19]);
        plan.push(fault);
    }
    let proxy = Proxy::cycling(moto().port, plan);
    cloud.endpoint = proxy.endpoint.clone();
    cloud.start_runner("runner");
    cloud.start_lambda(30.0, None);
    let first = cloud.schedule();
    let answer = cloud.answer(&first, TIMEOUT);
    assert_eq!(status(&answer), "suspended", "{answer}");
    cloud.pump(TIMEOUT, ended);
    let run = cloud.check_final();
    assert_each_task_once(&run);
    assert!(
        proxy.injected() >= 6,
        "faults injected: {}",
        proxy.injected()
    );
}

#[test]
fn a_scheduled_run_while_another_holds_the_workflow_is_refused() {
    let mut cloud = Cloud::new(2);
    // Even a workflow that does not ask for the lock holds it in the cloud: Lambda may deliver
    // one schedule to two invocations at once.
    cloud.deploy_edited(|text| text.replace("use-mutex: true", "use-mutex: false"));
    cloud.start_lambda(30.0, None);
    // A run elsewhere holds the lock.
    let store = cloud.store();
    store
        .acquire_lock(&wharf_engine::storage::lock_info(
            "another-run",
            chrono::Duration::minutes(10),
        ))
        .unwrap();
    let answer = cloud.answer(&cloud.schedule(), TIMEOUT);
    assert_eq!(status(&answer), "refused", "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("already running"),
        "{answer}"
    );
    store.release_lock("another-run").unwrap();

    // A run waiting for its Sage job (no runner yet) holds the workflow too.
    let answer = cloud.answer(&cloud.schedule(), TIMEOUT);
    assert_eq!(status(&answer), "suspended", "{answer}");
    let again = cloud.answer(&cloud.schedule(), TIMEOUT);
    assert_eq!(status(&again), "refused", "{again}");
    assert!(
        again["message"].as_str().unwrap().contains("suspended run"),
        "{again}"
    );
    assert_eq!(cloud.seed.order_count(), 0);
    // Once the runner answers, the waiting run finishes.
    cloud.start_runner("runner");
    cloud.pump(TIMEOUT, ended);
    cloud.check_final();
    assert_eq!(cloud.store().list_runs().unwrap().len(), 1);
}

#[test]
fn a_run_longer_than_its_invocation_continues_in_fresh_ones() {
    let mut cloud = Cloud::new(2);
    cloud.start_runner("runner");
    // A 6-second function timeout with 5.5 seconds kept back: each invocation runs one task
    // (or applies one result) and pauses before the next.
    let short = Duration::from_secs(6);
    cloud.start_lambda(5.5, None);
    let first = cloud.api.invoke(json!({ "workflow": WORKFLOW }), short);
    let answer = cloud.answer(&first, short);
    assert_eq!(status(&answer), "suspended", "{answer}");
    let reports = cloud.pump(short, ended);
    let pauses = reports
        .iter()
        .filter(|r| {
            r["message"]
                .as_str()
                .unwrap_or_default()
                .contains("time budget")
        })
        .count();
    assert!(pauses >= 5, "the run paused for time: {reports:#?}");
    let run = cloud.check_final();
    assert_each_task_once(&run);
}

#[test]
fn a_function_killed_mid_run_is_recovered_by_the_next_invocation() {
    let mut cloud = Cloud::new(3);
    cloud.start_runner("runner");
    cloud.start_lambda(2.0, None);
    assert_eq!(
        status(&cloud.answer(&cloud.schedule(), TIMEOUT)),
        "suspended"
    );
    // The next function dies when the resumed run reaches its second Sage task: the first
    // file was renamed and the second downloaded since the checkpoint, nothing is suspended.
    cloud.kill_lambda();
    cloud.start_lambda(2.0, Some("dispatch"));
    let short = Duration::from_secs(6);
    let deadline = Instant::now() + Duration::from_secs(120);
    // Each message's invocation pauses on the way (no task outlives it) or dies dispatching.
    let died = 'dying: loop {
        assert!(
            Instant::now() < deadline,
            "the function did not die\n{}",
            cloud.logs_text()
        );
        let Some(m) = cloud.receive(1).pop() else {
            continue;
        };
        let event = sqs_event(
            m.message_id().unwrap_or_default(),
            m.body().unwrap_or_default(),
        );
        let id = cloud.api.invoke(event, short);
        loop {
            let process = cloud.lambda.as_mut().expect("a running function");
            if let Some(exit) = process.try_wait().unwrap() {
                cloud.lambda = None;
                break 'dying exit.code();
            }
            if cloud.api.wait(&id, Duration::from_millis(100)).is_some() {
                cloud.delete_message(m.receipt_handle().unwrap_or_default());
                break;
            }
        }
    };
    assert_eq!(died, Some(86));
    // Its message comes back; the next invocations wait out the dead run's lock (its deadline
    // plus a little), then recover the run and finish the files.
    cloud.start_lambda(2.0, None);
    cloud.pump(short, ended);
    let run = cloud.check_final();
    let runs = cloud.store().list_runs().unwrap();
    assert_eq!(
        runs.len(),
        2,
        "the killed run and the run that recovered it"
    );
    assert_eq!(
        run.resumed_from.as_deref(),
        Some("0.0"),
        "resumed at the repeater"
    );
    assert_each_task_once(&run);
}

impl Cloud {
    /// Writes an object as someone with write access to the bucket would, `wharf-sha256`
    /// metadata matching (whoever writes an object sets it).
    fn put_as_intruder(&self, key: &str, bytes: Vec<u8>) {
        let sha = wharf_test_peers::sha256_hex(&bytes);
        self.rt.block_on(async {
            self.clients
                .s3
                .put_object()
                .bucket(&self.bucket)
                .key(key)
                .metadata(wharf_cloud::SHA256_META, sha)
                .body(bytes.into())
                .send()
                .await
                .unwrap();
        });
    }

    /// The bytes of the bucket's object `key`.
    fn object(&self, key: &str) -> Vec<u8> {
        self.rt.block_on(async {
            let o = self.clients.s3.get_object().bucket(&self.bucket).key(key);
            o.send()
                .await
                .unwrap()
                .body
                .collect()
                .await
                .unwrap()
                .into_bytes()
                .to_vec()
        })
    }

    fn delete_as_intruder(&self, key: &str) {
        self.rt.block_on(async {
            let o = self
                .clients
                .s3
                .delete_object()
                .bucket(&self.bucket)
                .key(key);
            o.send().await.unwrap();
        });
    }

    /// A scheduled invocation that must fail; gives its error body.
    fn schedule_refused(&self) -> String {
        let id = self.schedule();
        match self.api.wait(&id, ANSWER_WAIT) {
            Some(Outcome::Error { body, .. }) => body.to_string(),
            other => panic!(
                "expected the invocation to fail, got {other:?}\n{}",
                self.logs_text()
            ),
        }
    }
}

/// A component is fetched, checked against the signed manifest and loaded when a task first
/// calls it (the manifest describes each one, so the workflow is checked without them). A
/// tampered one fails that task, naming the task and the object, before any of its code runs:
/// the run ends failed where it can resume, and resumes there once a deploy puts back what the
/// manifest vouches for. A manifest not signed with the function's key fails the invocation
/// before anything runs.
#[test]
fn a_tampered_component_or_precompiled_file_is_refused_before_it_runs() {
    let mut cloud = Cloud::new(2);
    cloud.start_lambda(30.0, None);
    let component = format!("{CUSTOMER}/components/sftp-repeater.wasm");
    let original = cloud.object(&component);
    let precompiled = cloud.keys(&format!("{CUSTOMER}/components/precompiled/"));
    assert!(!precompiled.is_empty(), "the deploy put precompiled forms");
    let precompiled_bytes: Vec<Vec<u8>> = precompiled.iter().map(|k| cloud.object(k)).collect();
    // The run fails at its first task, the repeater (the container around it with it), and
    // nothing else ran.
    let refused_at_the_repeater = |answer: &Value, object: &str| {
        assert_eq!(status(answer), "ended", "{answer}");
        assert_eq!(
            answer["result"], "resume",
            "failed where it resumes: {answer}"
        );
        let run = cloud
            .store()
            .last_ended_run()
            .unwrap()
            .expect("a failed run");
        let record = serde_json::to_string(&run).unwrap();
        assert!(
            record.contains("does not match the signed component manifest")
                && record.contains("component `sftp-repeater`")
                && record.contains(object),
            "{record}"
        );
        assert!(run.resume_at.is_some(), "resumable: {record}");
        assert!(run.tasks.iter().all(|t| !t.result.is_success()), "{record}");
    };

    // Another component's code under the repeater's name, and the precompiled forms gone (while
    // a checked precompiled form serves a component, its .wasm is not fetched at all, so what
    // lies there never runs): the .wasm is fetched and refused.
    let other = std::fs::read(repo_root().join("target/components/delete-file.wasm")).unwrap();
    cloud.put_as_intruder(&component, other);
    for key in &precompiled {
        cloud.delete_as_intruder(key);
    }
    let answer = cloud.answer(&cloud.schedule(), TIMEOUT);
    refused_at_the_repeater(&answer, "sftp-repeater.wasm");
    cloud.put_as_intruder(&component, original);
    for (key, bytes) in precompiled.iter().zip(precompiled_bytes) {
        cloud.put_as_intruder(key, bytes);
    }

    // Native code under the precompiled components' names.
    for key in &precompiled {
        cloud.put_as_intruder(key, b"\x7fELF not what was compiled".to_vec());
    }
    let answer = cloud.answer(&cloud.schedule(), TIMEOUT);
    refused_at_the_repeater(&answer, "/precompiled/");
    let runs = cloud.store().list_runs().unwrap().len();

    // A manifest vouching for the intruder's file, signed with a key that is not the function's.
    let manifest_key = format!("{CUSTOMER}/components/manifest.json");
    let forged = cloud.rt.block_on(async {
        let kms = wharf_cloud::ManifestKey::client(Some(REGION), Some(&moto().endpoint())).await;
        let other_key = wharf_test_peers::create_signing_key(&kms).await;
        let mut manifest = wharf_cloud::Manifest::new(CUSTOMER);
        manifest.objects.insert(
            precompiled[0].clone(),
            wharf_test_peers::sha256_hex(b"\x7fELF not what was compiled"),
        );
        wharf_cloud::ManifestKey::new(kms, other_key)
            .sign(&manifest)
            .await
            .unwrap()
    });
    cloud.put_as_intruder(&manifest_key, forged);
    let error = cloud.schedule_refused();
    assert!(error.contains("signature does not verify"), "{error}");
    assert_eq!(
        cloud.store().list_runs().unwrap().len(),
        runs,
        "nothing ran"
    );

    // A deploy puts back what it vouches for, and the workflow resumes and runs.
    cloud.deploy();
    cloud.start_runner("runner");
    let answer = cloud.answer(&cloud.schedule(), TIMEOUT);
    assert_eq!(status(&answer), "suspended", "{answer}");
    cloud.pump(TIMEOUT, ended);
    cloud.check_final();
}

/// A function has no files of the customer's: its SFTP private key and passphrase come from AWS
/// Secrets Manager (`{ aws-secret: …, key: … }`), read with the function's role, and appear in
/// neither the run records nor the log.
#[test]
fn connection_secrets_come_from_secrets_manager() {
    const SECRET_ID: &str = "wharf/acme/shop-sftp";
    let mut cloud = Cloud::new(2);
    let private_key = std::fs::read_to_string(cloud.seed.server.client_key()).unwrap();
    cloud.rt.block_on(async {
        let sdk = wharf_s3_store::sdk_config(Some(REGION)).await;
        let config = aws_sdk_secretsmanager::config::Builder::from(&sdk)
            .endpoint_url(moto().endpoint())
            .build();
        aws_sdk_secretsmanager::Client::from_conf(config)
            .create_secret()
            .name(SECRET_ID)
            .secret_string(
                json!({ "private-key": private_key, "passphrase": crate::sshd::KEY_PASSPHRASE })
                    .to_string(),
            )
            .send()
            .await
            .unwrap();
    });
    std::fs::write(
        cloud.dir().join("connections.yaml"),
        format!(
            "sftp:\n  shop:\n    server: 127.0.0.1\n    port: {}\n    username: {}\n    \
             private-key: {{ aws-secret: {SECRET_ID}, key: private-key }}\n    \
             passphrase: {{ aws-secret: {SECRET_ID}, key: passphrase }}\n    host-key: {}\n",
            cloud.seed.server.port,
            crate::sshd::USER,
            cloud.seed.server.fingerprint
        ),
    )
    .unwrap();
    cloud.deploy();
    cloud.start_runner("runner");
    cloud.start_lambda(30.0, None);
    let answer = cloud.answer(&cloud.schedule(), TIMEOUT);
    assert_eq!(status(&answer), "suspended", "{answer}");
    cloud.pump(TIMEOUT, ended);
    cloud.check_final();
    let records = serde_json::to_string(&cloud.store().list_runs().unwrap()).unwrap();
    let log = std::fs::read_to_string(cloud.logs.join("lambda.log")).unwrap_or_default();
    for text in [&records, &log] {
        assert!(!text.contains(crate::sshd::KEY_PASSPHRASE));
        assert!(!text.contains("PRIVATE KEY"));
    }

    // A key the secret lacks: the task fails naming the connection, the secret and the key.
    std::fs::write(
        cloud.dir().join("connections.yaml"),
        format!(
            "sftp:\n  shop:\n    server: 127.0.0.1\n    port: {}\n    username: {}\n    \
             password: {{ aws-secret: {SECRET_ID}, key: password }}\n    host-key: {}\n",
            cloud.seed.server.port,
            crate::sshd::USER,
            cloud.seed.server.fingerprint
        ),
    )
    .unwrap();
    cloud.deploy();
    let answer = cloud.answer(&cloud.schedule(), TIMEOUT);
    let text = answer.to_string();
    let run = cloud.store().last_ended_run().unwrap().expect("a run");
    let messages = serde_json::to_string(&run).unwrap();
    assert!(
        messages.contains(&format!(
            "AWS secret `{SECRET_ID}`, key `password`: no such key"
        )),
        "{text}\n{messages}"
    );
    assert!(!messages.contains(crate::sshd::KEY_PASSPHRASE));
}
