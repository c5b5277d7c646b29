//! A moto server (S3 + SQS) on 127.0.0.1, a customer pipeline in it (a bucket and the two
//! queues), and the runner as a separate process.
//!
//! One moto server per test binary, started on first use through
//! host/s3-store/peers/moto_server_atomic.py (installed by host/s3-store/peers/install-moto.sh,
//! `make peers`), as in wharf-s3-store's tests: it runs under a small shell watchdog that stops
//! it when this process's end of its stdin pipe closes, also when the test process is killed.
//! Every test has a bucket and queues of its own, so tests run in parallel.

#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName;
use sage_ledger::Ledger;
use wharf_sage::queue::{self, JobMessage, ResultMessage};
use wharf_sage::{JobFile, SageJob};
use wharf_sage_runner::aws::{self, Clients};

pub const CUSTOMER: &str = "acme";
pub const REGION: &str = "eu-west-1";
/// moto accepts any credentials; a distinctive secret lets tests check it never shows anywhere.
pub const SECRET: &str = "wharf-secret-5d1c8e";

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A file of the shared Zynk samples, read where it is (never copied into the repository).
pub fn sample(name: &str) -> Vec<u8> {
    let path = repo_root()
        .join("../shared/fixtures/zynk-samples/zynk-xml")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// --- moto ------------------------------------------------------------------------------------

pub use wharf_test_peers::Moto;

/// The shared moto server; the first call also sets the AWS environment this process's own
/// clients read (the runner processes get theirs from [`Pipeline::runner`]).
pub fn moto() -> &'static Moto {
    wharf_test_peers::moto_with_aws_env(SECRET, None)
}

use wharf_test_peers::unique;

// --- a customer's pipeline -------------------------------------------------------------------

/// Settings of a runner's configuration file beyond the pipeline's own.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub heartbeat_seconds: u64,
    pub visibility_timeout_seconds: u64,
    pub wait_seconds: u64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            heartbeat_seconds: 1,
            visibility_timeout_seconds: 3,
            wait_seconds: 5,
        }
    }
}

/// A bucket, a jobs and a results queue, a ledger and a folder for runner state.
pub struct Pipeline {
    pub dir: tempfile::TempDir,
    pub bucket: String,
    pub jobs_queue: String,
    pub results_queue: String,
    pub ledger: PathBuf,
    clients: Clients,
    rt: tokio::runtime::Runtime,
}

impl Pipeline {
    pub fn new(name: &str) -> Pipeline {
        let moto = moto();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let clients = rt.block_on(aws::clients(REGION, Some(&moto.endpoint()), 0));
        let bucket = unique(name);
        let (jobs_queue, results_queue) = rt.block_on(wharf_test_peers::create_pipeline(
            &clients.s3,
            &clients.sqs,
            &bucket,
            REGION,
            &[],
        ));
        let dir = tempfile::Builder::new()
            .prefix("wharf-sage-runner-test-")
            .tempdir()
            .unwrap();
        let ledger = dir.path().join("sage/ledger.sqlite");
        // The Sage company, created on purpose as `wharf sage create-company` would: the
        // runner never creates one.
        std::fs::create_dir_all(ledger.parent().unwrap()).unwrap();
        Ledger::open(&ledger).unwrap();
        Pipeline {
            dir,
            bucket,
            jobs_queue,
            results_queue,
            ledger,
            clients,
            rt,
        }
    }

    /// Writes a runner configuration keeping its state in `<dir>/<state>`; returns its path.
    pub fn config(&self, state: &str, timing: Timing) -> PathBuf {
        let path = self.dir.path().join(format!("{state}.yaml"));
        let text = format!(
            "# a runner of the test pipeline\n\
             bucket: {bucket}\n\
             customer: {CUSTOMER}\n\
             jobs_queue_url: {jobs}\n\
             results_queue_url: {results}\n\
             region: {REGION}\n\
             endpoint_url: {endpoint}\n\
             ledger: sage/ledger.sqlite\n\
             components: {components}\n\
             state_dir: {state}\n\
             heartbeat_seconds: {heartbeat}\n\
             visibility_timeout_seconds: {visibility}\n\
             wait_seconds: {wait}\n",
            bucket = self.bucket,
            jobs = self.jobs_queue,
            results = self.results_queue,
            endpoint = moto().endpoint(),
            components = repo_root().join("target/components").display(),
            heartbeat = timing.heartbeat_seconds,
            visibility = timing.visibility_timeout_seconds,
            wait = timing.wait_seconds,
        );
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The runner binary with this configuration and credentials in its environment only.
    pub fn runner(&self, config: &Path) -> Command {
        let mut c = wharf_test_peers::runner_command(
            Path::new(env!("CARGO_BIN_EXE_wharf-sage-runner")),
            self.dir.path(),
            SECRET,
        );
        c.arg("--config").arg(config).env("NO_COLOR", "1");
        c
    }

    /// Runs `runner --once` to its end.
    pub fn run_once(&self, config: &Path) -> Output {
        self.runner(config)
            .arg("--once")
            .output()
            .expect("running wharf-sage-runner")
    }

    /// Puts `job` as `job.json` of `job_id` and sends its message; returns the message.
    pub fn submit(&self, job_id: &str, job: &SageJob) -> JobMessage {
        self.put(
            &queue::job_key(CUSTOMER, job_id),
            serde_json::to_vec(job).unwrap(),
        );
        let message = self.message(job_id);
        self.send_job(&serde_json::to_string(&message).unwrap());
        message
    }

    pub fn message(&self, job_id: &str) -> JobMessage {
        JobMessage::new(CUSTOMER, job_id, "web-orders", "run-1", "orders/import")
    }

    /// Gives the jobs queue a dead-letter queue after `max_receives` receives (as the
    /// Terraform module does).
    pub fn dead_letter_jobs_after(&self, max_receives: u32) {
        self.rt.block_on(async {
            let sqs = &self.clients.sqs;
            let dlq = sqs
                .create_queue()
                .queue_name(format!("{}-jobs-dlq", self.bucket))
                .send()
                .await
                .expect("create the dead-letter queue");
            let arn = sqs
                .get_queue_attributes()
                .queue_url(dlq.queue_url().unwrap())
                .attribute_names(QueueAttributeName::QueueArn)
                .send()
                .await
                .expect("dead-letter queue arn")
                .attributes()
                .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
                .unwrap();
            sqs.set_queue_attributes()
                .queue_url(&self.jobs_queue)
                .attributes(
                    QueueAttributeName::RedrivePolicy,
                    format!(
                        r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":{max_receives}}}"#
                    ),
                )
                .send()
                .await
                .expect("set the redrive policy");
        });
    }

    pub fn send_job(&self, body: &str) {
        self.rt.block_on(async {
            self.clients
                .sqs
                .send_message()
                .queue_url(&self.jobs_queue)
                .message_body(body)
                .send()
                .await
                .expect("send job message");
        });
    }

    pub fn put(&self, key: &str, body: Vec<u8>) {
        self.rt.block_on(async {
            self.clients
                .s3
                .put_object()
                .bucket(&self.bucket)
                .key(key)
                .body(body.into())
                .send()
                .await
                .expect("put");
        });
    }

    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.rt.block_on(async {
            match self
                .clients
                .s3
                .get_object()
                .bucket(&self.bucket)
                .key(key)
                .send()
                .await
            {
                Ok(o) => Some(o.body.collect().await.expect("body").into_bytes().to_vec()),
                Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => None,
                Err(e) => panic!("get {key}: {e:?}"),
            }
        })
    }

    pub fn result_json(&self, job_id: &str) -> Option<wharf_sage::SageJobResult> {
        self.get(&queue::result_key(CUSTOMER, job_id))
            .map(|bytes| serde_json::from_slice(&bytes).expect("result.json is a SageJobResult"))
    }

    /// Every message on the results queue now (raw bodies), taking them off it.
    pub fn take_results_raw(&self) -> Vec<String> {
        self.rt.block_on(async {
            let mut out = Vec::new();
            loop {
                let got = self
                    .clients
                    .sqs
                    .receive_message()
                    .queue_url(&self.results_queue)
                    .max_number_of_messages(10)
                    .wait_time_seconds(1)
                    .send()
                    .await
                    .expect("receive results");
                let messages = got.messages.unwrap_or_default();
                if messages.is_empty() {
                    return out;
                }
                for m in messages {
                    self.clients
                        .sqs
                        .delete_message()
                        .queue_url(&self.results_queue)
                        .receipt_handle(m.receipt_handle().unwrap())
                        .send()
                        .await
                        .expect("delete result");
                    out.push(m.body.unwrap_or_default());
                }
            }
        })
    }

    pub fn take_results(&self) -> Vec<ResultMessage> {
        self.take_results_raw()
            .iter()
            .map(|body| serde_json::from_str(body).expect("a result message"))
            .collect()
    }

    /// Messages on a queue: (visible, in flight).
    pub fn queue_counts(&self, url: &str) -> (u64, u64) {
        self.rt.block_on(async {
            let out = self
                .clients
                .sqs
                .get_queue_attributes()
                .queue_url(url)
                .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
                .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
                .send()
                .await
                .expect("queue attributes");
            let attrs = out.attributes.unwrap_or_default();
            let get = |name| {
                attrs
                    .get(&name)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0u64)
            };
            (
                get(QueueAttributeName::ApproximateNumberOfMessages),
                get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
            )
        })
    }

    pub fn jobs_left(&self) -> u64 {
        let (visible, in_flight) = self.queue_counts(&self.jobs_queue);
        visible + in_flight
    }

    pub fn open_ledger(&self) -> Ledger {
        Ledger::open_existing(&self.ledger).unwrap()
    }

    /// The runner's bookkeeping of a job in `<dir>/<state>`: (attempts, started_at,
    /// finished_at) as recorded.
    pub fn recorded(&self, state: &str, job_id: &str) -> Option<(u32, String, Option<String>)> {
        let path = self.dir.path().join(state).join("runner.sqlite");
        if !path.exists() {
            return None;
        }
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.query_row(
            "SELECT attempts, started_at, finished_at FROM jobs WHERE job_id = ?1",
            [job_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .ok()
    }

    pub fn recorded_jobs(&self, state: &str) -> usize {
        let path = self.dir.path().join(state).join("runner.sqlite");
        if !path.exists() {
            return 0;
        }
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.query_row("SELECT COUNT(*) FROM jobs", [], |r| r.get::<_, i64>(0))
            .unwrap() as usize
    }
}

// --- jobs ------------------------------------------------------------------------------------

fn settings(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// An import of `document` (a Zynk XML order file) by `sage50-import-sales-orders`.
pub fn order_job(document: Vec<u8>) -> SageJob {
    SageJob {
        component: "sage50-import-sales-orders".into(),
        component_sha256: None,
        label: "Import the orders into Sage".into(),
        settings: settings(&[
            ("input-file", "orders.xml"),
            ("success-file", "orders_success.xml"),
            ("fail-file", "orders_fail.xml"),
            ("prevent-duplicates", "true"),
            ("auto-create-customers", "true"),
            ("auto-generate-account-reference", "true"),
            ("alphabetic-length", "3"),
            ("numeric-length", "5"),
            ("auto-allocate-stock", "true"),
            ("auto-create-products", "true"),
        ]),
        input_files: [("orders.xml".to_string(), JobFile::inline(document))].into(),
        state: Default::default(),
        truth: vec![],
        truth_kinds: None,
        truth_scope: "s3://test/acme/web-orders".into(),
        lineage: Some("run-1/orders/import".into()),
        run_id: None,
        timeout_seconds: Some(600),
    }
}

/// The customer order numbers of every order in the ledger (one per order).
pub fn order_numbers(ledger: &Ledger) -> Vec<String> {
    ledger
        .all_sales_order_numbers()
        .unwrap()
        .into_iter()
        .map(|n| {
            ledger
                .find_sales_order(n)
                .unwrap()
                .unwrap()
                .customer_order_number
        })
        .collect()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Waits for `done`, up to `limit`.
pub fn wait_for(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends SIGTERM to a child.
pub fn terminate(child: &Child) {
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

/// A child's stderr, read on a thread so the pipe never fills up.
pub struct Captured(std::thread::JoinHandle<String>);

impl Captured {
    pub fn of(child: &mut Child) -> Captured {
        let mut pipe = child.stderr.take().expect("stderr piped");
        Captured(std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        }))
    }

    pub fn text(self) -> String {
        self.0.join().unwrap()
    }
}
