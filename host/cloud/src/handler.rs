//! What the Wharf Lambda does with each event.
//!
//! - A **schedule** (`{"workflow": "<name>"}`, the EventBridge Scheduler input) starts a run of
//!   the workflow deployed at `<customer>/<workflow>/workflow.yaml`, with the S3 store as its
//!   working directory and archive.
//! - When the run reaches a task that uses the `sage` capability, the task is handed to the
//!   on-premises runner: its job goes to `<customer>/jobs/<id>/job.json`, the run suspends (its
//!   exact position in the checkpoint), the job message goes to the jobs queue, and the
//!   invocation ends.
//! - A **result message** on the results queue (an SQS event) resumes the run that waits for that
//!   job with the job's result; a **continue message** (sent by the function itself when a run
//!   paused before the Lambda time limit) carries a paused run on.
//!
//! Every step can be repeated without harm, because every message is delivered at least once
//! and an invocation can die at any point: a suspension whose message was not yet sent is sent
//! by whichever invocation comes next; a result for a job nobody waits for (a duplicate) is
//! acknowledged and dropped; a run that died mid-invocation is recovered by the next run (the
//! engine's resume from failure, with the Sage ledger's replay marks preventing a second import).
//! A suspension left unanswered is sent again after `WHARF_SUSPENSION_RESEND_SECONDS`, and ended
//! as failed by the next schedule after `WHARF_SUSPENSION_MAX_AGE_SECONDS` (docs/cloud.md).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tracing::{info, warn};
use wharf_engine::checkpoint::{Checkpoint, Suspension, Waiting};
use wharf_engine::identity::is_key_name;
use wharf_engine::runtime::{Capability, Extension, GrantContext, TaskInfo, TaskState};
use wharf_engine::storage::Storage;
use wharf_engine::suspend::{RemoteCall, RemoteResult, RemoteTasks, Wake};
use wharf_engine::workflow::Node;
use wharf_engine::{
    ComponentSource, Engine, EngineError, Progress, Recovery, RunOptions, RunOutcome, Runtime,
    RuntimeConfig, Workflow,
};
use wharf_s3_store::{S3Store, S3StoreConfig};
use wharf_sage::queue::{self, JobMessage, JobOutcome, ResultMessage};
use wharf_sage::{SageJob, SageJobResult};

use crate::components::ComponentFetcher;
use crate::suspended;

/// Test-only: makes the function exit abruptly at one point of suspending a run, to test what
/// an invocation killed there leaves behind. Values: `after-suspend` (the suspension is in the
/// checkpoint, its message not sent), `after-send` (the message sent, not marked as sent),
/// `dispatch` (the run is handing a Sage task over: mid-run, nothing suspended yet).
/// Never set it on a real function.
pub const TEST_CRASH_ENV: &str = "WHARF_LAMBDA_TEST_CRASH";
/// The exit code of such a crash.
pub const TEST_CRASH_EXIT_CODE: i32 = 86;

fn test_crash(point: &str) {
    if std::env::var(TEST_CRASH_ENV).is_ok_and(|v| v == point) {
        eprintln!("{TEST_CRASH_ENV}: exiting at {point}");
        std::process::exit(TEST_CRASH_EXIT_CODE);
    }
}

/// At most this much of an invocation is kept back from a task's time limit, to save the run
/// after it (half the deadline margin when that is smaller).
const SAVE_RESERVE: Duration = Duration::from_secs(10);

/// How long a run's lock outlives its invocation's deadline.
const LOCK_SLACK: Duration = Duration::from_secs(10);

/// How long an invocation waits for another to finish sending a suspension's message.
const WAKE_PATIENCE: Duration = Duration::from_secs(30);

/// The function's settings, from its environment (set by the Terraform module).
#[derive(Debug, Clone)]
pub struct CloudConfig {
    /// `WHARF_BUCKET`
    pub bucket: String,
    /// `WHARF_CUSTOMER`
    pub customer: String,
    /// `WHARF_JOBS_QUEUE_URL`
    pub jobs_queue_url: String,
    /// `WHARF_RESULTS_QUEUE_URL`: results, and the function's own continue messages.
    pub results_queue_url: String,
    /// `AWS_ENDPOINT_URL` (an S3/SQS-compatible server; S3 then path-style).
    pub endpoint_url: Option<String>,
    /// `AWS_REGION`
    pub region: Option<String>,
    /// `WHARF_LOCAL_DIR` (default `/tmp/wharf`): fetched components, the compile cache, the
    /// workflow file and connections, kept across warm invocations.
    pub local_dir: PathBuf,
    /// `WHARF_DEADLINE_MARGIN_SECONDS` (default 60): a run pauses before starting a task once
    /// less than this is left of the invocation, and continues in a fresh one.
    pub deadline_margin: Duration,
    /// `WHARF_SUSPENSION_RESEND_SECONDS` (default 6 h): a suspended run's message is sent
    /// again when no answer came this long after it was last sent.
    pub resend_after: Duration,
    /// `WHARF_SUSPENSION_MAX_AGE_SECONDS` (default 13 days, below the queues' 14-day
    /// retention): a schedule finding its run suspended longer ends that run as failed.
    pub max_age: Duration,
    /// `WHARF_SIGNING_KEY`: the KMS key whose signature on the component manifest every
    /// component must carry (see [`crate::manifest`]). Without it, components are not checked
    /// and no precompiled code is fetched: the function compiles them itself.
    pub signing_key: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CloudError {
    #[error("setting {name}: {message}")]
    Setting { name: &'static str, message: String },
    #[error("the event is not one this function handles: {0}")]
    BadEvent(String),
    #[error("workflow `{workflow}`: {message}")]
    Workflow { workflow: String, message: String },
    #[error("{what}: {message}")]
    Aws { what: String, message: String },
    #[error("{0}")]
    Engine(#[from] EngineError),
    #[error("storage: {0}")]
    Storage(#[from] wharf_engine::storage::StorageError),
    #[error("{0}")]
    Other(String),
}

impl CloudConfig {
    pub fn from_env() -> Result<CloudConfig, CloudError> {
        let var = |name: &'static str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let need = |name: &'static str| {
            var(name).ok_or(CloudError::Setting {
                name,
                message: "not set in the function's environment".into(),
            })
        };
        let seconds = |name: &'static str, default: Duration| match var(name) {
            None => Ok(default),
            Some(text) => text
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(|n| Duration::try_from_secs_f64(n).ok())
                .ok_or(CloudError::Setting {
                    name,
                    message: format!("expected a number of seconds, got `{text}`"),
                }),
        };
        let margin = seconds("WHARF_DEADLINE_MARGIN_SECONDS", Duration::from_secs(60))?;
        let resend_after = seconds(
            "WHARF_SUSPENSION_RESEND_SECONDS",
            Duration::from_secs(6 * 3600),
        )?;
        let max_age = seconds(
            "WHARF_SUSPENSION_MAX_AGE_SECONDS",
            Duration::from_secs(13 * 24 * 3600),
        )?;
        let customer = need("WHARF_CUSTOMER")?;
        if !is_key_name(&customer) {
            return Err(CloudError::Setting {
                name: "WHARF_CUSTOMER",
                message: format!("`{customer}` is not a valid customer name"),
            });
        }
        Ok(CloudConfig {
            bucket: need("WHARF_BUCKET")?,
            customer,
            jobs_queue_url: need("WHARF_JOBS_QUEUE_URL")?,
            results_queue_url: need("WHARF_RESULTS_QUEUE_URL")?,
            endpoint_url: var("AWS_ENDPOINT_URL"),
            region: var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")),
            local_dir: var("WHARF_LOCAL_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/tmp/wharf")),
            deadline_margin: margin,
            resend_after,
            max_age,
            signing_key: var("WHARF_SIGNING_KEY"),
        })
    }
}

/// An event the function receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A scheduled run of a workflow.
    Schedule { workflow: String },
    /// SQS messages from the results queue: (message id, body).
    Messages(Vec<(String, String)>),
}

impl Event {
    /// Reads a Lambda event: the schedule's input, or an SQS event.
    pub fn parse(value: &serde_json::Value) -> Result<Event, CloudError> {
        if let Some(records) = value.get("Records").and_then(|r| r.as_array()) {
            let mut messages = Vec::with_capacity(records.len());
            for record in records {
                let id = record.get("messageId").and_then(|v| v.as_str());
                let body = record.get("body").and_then(|v| v.as_str());
                match (id, body) {
                    (Some(id), Some(body)) => messages.push((id.to_string(), body.to_string())),
                    _ => {
                        return Err(CloudError::BadEvent(
                            "an SQS record without messageId or body".into(),
                        ));
                    }
                }
            }
            return Ok(Event::Messages(messages));
        }
        match value.get("workflow").and_then(|v| v.as_str()) {
            Some(workflow) if is_key_name(workflow) => Ok(Event::Schedule {
                workflow: workflow.to_string(),
            }),
            Some(workflow) => Err(CloudError::BadEvent(format!(
                "`{workflow}` is not a workflow name"
            ))),
            None => Err(CloudError::BadEvent(
                "expected a schedule input {\"workflow\": NAME} or an SQS event".into(),
            )),
        }
    }
}

/// The function's own message on the results queue: carry run `run_id` on after a pause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContinueMessage {
    pub continue_token: String,
    pub customer: String,
    pub workflow: String,
    pub run_id: String,
}

/// A results-queue message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum QueueMessage {
    Continue(ContinueMessage),
    Result(ResultMessage),
}

/// What one event (or one message of it) came to, as the function's response says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub workflow: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// `ended`, `suspended`, `refused` (a run holds the workflow) or `ignored` (a message
    /// nobody waits for).
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    pub message: String,
}

/// The `sage` capability as the cloud side sees it: its interface is linked (Sage components
/// load and are checked as anywhere), but a call never runs here — the engine hands every task
/// that uses it to the on-premises runner.
struct OnPremisesSage(wharf_sage::SageCapability);

impl Capability for OnPremisesSage {
    fn name(&self) -> &str {
        "sage"
    }

    fn add_to_linker(
        &self,
        linker: &mut wasmtime::component::Linker<TaskState>,
    ) -> wasmtime::Result<()> {
        self.0.add_to_linker(linker)
    }

    fn grant(&self, _ctx: &GrantContext<'_>) -> Result<Extension, String> {
        Err("Sage tasks run on the on-premises Sage runner, not in the cloud".into())
    }
}

/// Hands Sage tasks to the runner: writes each call's job to the bucket.
struct SageJobs {
    cloud: Arc<Clients>,
    config: CloudConfig,
    store: Arc<S3Store>,
}

impl RemoteTasks for SageJobs {
    fn is_remote(&self, _node: &Node, info: &TaskInfo) -> bool {
        is_sage(info)
    }

    fn dispatch(&self, call: &RemoteCall) -> Result<(), String> {
        test_crash("dispatch");
        let truth = self
            .store
            .truth()
            .and_then(|t| t.all())
            .map_err(|e| format!("reading the workflow's truth records: {e}"))?;
        let job = SageJob::for_call(call, truth, self.store.location());
        let body = serde_json::to_vec(&job).map_err(|e| e.to_string())?;
        let key = queue::job_key(&self.config.customer, &call.token);
        self.cloud
            .put(&self.config.bucket, &key, body)
            .map_err(|e| e.to_string())
    }
}

/// The S3 and SQS clients, run for synchronous callers.
pub struct Clients {
    bridge: wharf_engine::blocking::AsyncBridge,
    s3: aws_sdk_s3::Client,
    sqs: aws_sdk_sqs::Client,
    /// What the clients were made from; each invocation's store is made from it too.
    sdk: wharf_s3_store::SdkConfig,
}

impl Clients {
    fn block<T: Send + 'static>(
        &self,
        what: String,
        fut: impl Future<Output = Result<T, String>> + Send + 'static,
    ) -> Result<T, CloudError> {
        match self.bridge.run(fut) {
            Some(Ok(v)) => Ok(v),
            Some(Err(message)) => Err(CloudError::Aws { what, message }),
            None => Err(CloudError::Aws {
                what,
                message: "cancelled".into(),
            }),
        }
    }

    fn put(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), CloudError> {
        let (client, bucket, key) = (self.s3.clone(), bucket.to_string(), key.to_string());
        let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body));
        self.block(format!("writing s3://{bucket}/{key}"), async move {
            crate::s3::put(&client, &bucket, &key, body, &sha256, "application/json")
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn get(&self, bucket: &str, key: &str) -> Result<Vec<u8>, CloudError> {
        let request = self.s3.get_object().bucket(bucket).key(key);
        self.block(format!("reading s3://{bucket}/{key}"), async move {
            let object = request.send().await.map_err(sdk_error)?;
            let bytes = object.body.collect().await.map_err(|e| e.to_string())?;
            Ok(bytes.into_bytes().to_vec())
        })
    }

    fn withdraw_job(&self, bucket: &str, customer: &str, job_id: &str) -> Result<(), CloudError> {
        let (client, bucket, customer, job_id) = (
            self.s3.clone(),
            bucket.to_string(),
            customer.to_string(),
            job_id.to_string(),
        );
        self.block(format!("withdrawing job {job_id}"), async move {
            suspended::withdraw_job(&client, &bucket, &customer, &job_id).await
        })
    }

    fn send(&self, queue_url: &str, body: String) -> Result<(), CloudError> {
        let request = self
            .sqs
            .send_message()
            .queue_url(queue_url)
            .message_body(body);
        self.block(format!("sending a message to {queue_url}"), async move {
            request.send().await.map(|_| ()).map_err(sdk_error)
        })
    }
}

/// What a failed SDK request says, as every S3 user of Wharf words it.
fn sdk_error<E>(e: aws_sdk_s3::error::SdkError<E>) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    wharf_s3_store::Cause::of(&e).text
}

/// How long each step of getting a run going took: one log line per invocation (and one for
/// the function's start), so a slow cold start shows where its time went (docs/cloud.md).
pub struct Phases {
    what: &'static str,
    started: Instant,
    last: Instant,
    steps: Vec<(&'static str, Duration)>,
}

impl Phases {
    pub fn start(what: &'static str) -> Phases {
        let now = Instant::now();
        Phases {
            what,
            started: now,
            last: now,
            steps: Vec::new(),
        }
    }

    /// Whether the step `step` has ended.
    pub fn marked(&self, step: &str) -> bool {
        self.steps.iter().any(|(s, _)| *s == step)
    }

    /// Ends the step called `step`.
    pub fn mark(&mut self, step: &'static str) {
        let now = Instant::now();
        self.steps.push((step, now - self.last));
        self.last = now;
    }

    /// The steps so far, as `step 1.2 ms, …` with the total.
    pub fn summary(&self) -> String {
        let steps: Vec<String> = self
            .steps
            .iter()
            .map(|(step, d)| format!("{step} {:.1} ms", d.as_secs_f64() * 1e3))
            .collect();
        format!(
            "{}: {:.1} ms ({})",
            self.what,
            self.started.elapsed().as_secs_f64() * 1e3,
            steps.join(", ")
        )
    }

    pub fn log(&self) {
        info!(target: "wharf_cloud::phases", "{}", self.summary());
    }
}

/// The function: its clients and settings, kept across warm invocations.
pub struct Cloud {
    config: CloudConfig,
    clients: Arc<Clients>,
    /// Verifies the component manifest (`WHARF_SIGNING_KEY`).
    manifest_key: Option<crate::ManifestKey>,
}

impl Cloud {
    pub fn new(config: CloudConfig) -> Result<Cloud, CloudError> {
        let bridge = wharf_engine::blocking::AsyncBridge::new("wharf-cloud", 2)
            .map_err(|e| CloudError::Other(format!("starting the async runtime: {e}")))?;
        let region = config.region.clone().unwrap_or_else(|| "eu-west-1".into());
        let endpoint = config.endpoint_url.clone();
        let signing_key = config.signing_key.clone();
        // Connections' `aws-secret` secrets, read with the function's role.
        crate::AwsSecrets::new(Some(&region), endpoint.as_deref()).install();
        // One SDK configuration (credential chain, HTTP client and its connection pool) for
        // the S3, SQS and KMS clients and every invocation's store.
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        bridge.handle().spawn(async move {
            let _ = tx.send(wharf_s3_store::sdk_config(Some(&region)).await);
        });
        let sdk = rx
            .recv()
            .map_err(|_| CloudError::Other("loading the AWS configuration was cancelled".into()))?;
        let aws = wharf_sage_runner::aws::clients_from(&sdk, endpoint.as_deref(), 0);
        let manifest_key = signing_key.map(|key| {
            crate::ManifestKey::new(
                crate::ManifestKey::client_from(&sdk, endpoint.as_deref()),
                key,
            )
        });
        if manifest_key.is_none() {
            warn!(
                "WHARF_SIGNING_KEY is not set: components are not checked against a signed manifest, and are compiled here rather than fetched precompiled"
            );
        }
        Ok(Cloud {
            clients: Arc::new(Clients {
                bridge,
                s3: aws.s3,
                sqs: aws.sqs,
                sdk,
            }),
            manifest_key,
            config,
        })
    }

    pub fn config(&self) -> &CloudConfig {
        &self.config
    }

    /// Handles one event. `deadline` is when the invocation is killed. For SQS events, the
    /// message ids that must come back (ReportBatchItemFailures) are the `Err` entries.
    pub fn handle(
        &self,
        event: &Event,
        deadline: Instant,
    ) -> Vec<(Option<String>, Result<Report, CloudError>)> {
        match event {
            Event::Schedule { workflow } => vec![(None, self.schedule(workflow, deadline))],
            Event::Messages(messages) => messages
                .iter()
                .map(|(id, body)| (Some(id.clone()), self.message(body, deadline)))
                .collect(),
        }
    }

    /// A scheduled run of `workflow`: a new run, or the run suspended at a waiting task carried
    /// on (the engine resumes it; docs/resume.md "Waiting tasks").
    pub fn schedule(&self, workflow: &str, deadline: Instant) -> Result<Report, CloudError> {
        let run = self.open(workflow, deadline)?;
        run.fetch_first_ahead();
        // One read of the checkpoint serves both looks at a suspended run, unless the first
        // changed it.
        let checkpoint = run.store.load_checkpoint()?;
        let checkpoint = match run.give_up_if_too_old(&checkpoint)? {
            true => run.store.load_checkpoint()?,
            false => checkpoint,
        };
        run.flush_unsent_from(checkpoint)?;
        run.mark("checkpoint");
        match run
            .engine
            .start(&run.prepared, run.store.clone(), &run.options, &run)
        {
            Ok(outcome) => run.finish(outcome),
            Err(EngineError::Storage(e @ wharf_engine::storage::StorageError::Locked { .. })) => {
                Ok(run.refused(e.to_string()))
            }
            // Another invocation resumed the waiting run first.
            Err(e @ (EngineError::Suspended { .. } | EngineError::NotWaiting { .. })) => {
                Ok(run.refused(e.to_string()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// One message of the results queue.
    pub fn message(&self, body: &str, deadline: Instant) -> Result<Report, CloudError> {
        let message: QueueMessage = serde_json::from_str(body).map_err(|e| {
            CloudError::BadEvent(format!(
                "a results-queue message that is neither a job result nor a continue message: {}",
                wharf_sage_runner::runner::json_problem(&e)
            ))
        })?;
        let (customer, workflow, run_id, token) = match &message {
            QueueMessage::Continue(c) => (&c.customer, &c.workflow, &c.run_id, &c.continue_token),
            QueueMessage::Result(r) => (&r.customer, &r.workflow, &r.run_id, &r.job_id),
        };
        if *customer != self.config.customer {
            return Err(CloudError::BadEvent(format!(
                "a message for customer `{customer}` reached the function of `{}`",
                self.config.customer
            )));
        }
        if !is_key_name(workflow) || !is_key_name(token) {
            return Err(CloudError::BadEvent(
                "a message naming an invalid workflow or token".into(),
            ));
        }
        let run = self.open(workflow, deadline)?;
        let checkpoint = run.flush_unsent()?;
        run.mark("checkpoint");
        let waiting = checkpoint
            .as_ref()
            .and_then(|c| c.suspended.as_ref())
            .is_some_and(|s| s.token == *token);
        let ignored = |why: String| {
            info!(
                run_id,
                token, "nothing waits for this message (a duplicate): dropped"
            );
            Ok(Report {
                workflow: workflow.clone(),
                run_id: Some(run_id.clone()),
                status: "ignored".into(),
                result: None,
                message: why,
            })
        };
        if !waiting {
            // A run of this message that died mid-invocation left its plain checkpoint: start a
            // run, which recovers it and resumes from where it failed. The run lock (always held
            // in the cloud) tells a dead invocation's run from one still going in another; the
            // engine looks again once it holds the lock, since the run may have ended since
            // this checkpoint was read.
            if checkpoint
                .as_ref()
                .is_some_and(|c| c.suspended.is_none() && c.run_id == *run_id)
            {
                info!(
                    run_id,
                    "the run died mid-invocation: starting a run to recover it"
                );
                let options = RunOptions {
                    recover_only: Some(Recovery {
                        run_id: run_id.clone(),
                        token: token.clone(),
                    }),
                    ..run.options.clone()
                };
                return match run
                    .engine
                    .start(&run.prepared, run.store.clone(), &options, &run)
                {
                    Ok(outcome) => run.finish(outcome),
                    Err(e @ EngineError::NotWaiting { .. }) => ignored(e.to_string()),
                    // Its lock has not expired yet: the message comes back later.
                    Err(e) => Err(e.into()),
                };
            }
            return ignored(format!("nothing waits for `{token}` (already handled)"));
        }
        let wake = match &message {
            QueueMessage::Continue(c) => Wake::Continue {
                token: c.continue_token.clone(),
            },
            QueueMessage::Result(r) => Wake::Result {
                token: r.job_id.clone(),
                result: self.job_result(r)?,
            },
        };
        let outcome =
            run.engine
                .resume(&run.prepared, run.store.clone(), &run.options, &run, wake)?;
        run.finish(outcome)
    }

    /// The result a runner reported, as the engine applies it.
    fn job_result(&self, message: &ResultMessage) -> Result<RemoteResult, CloudError> {
        match &message.outcome {
            JobOutcome::Refused { reason } => Ok(RemoteResult {
                code: wharf_engine::ResultCode::Fail,
                message: format!("the Sage runner refused the job: {reason}"),
                counts: Default::default(),
                outputs: vec![],
                output_files: Default::default(),
                truth_updates: vec![],
                state: None,
                logs: vec![],
            }),
            JobOutcome::Done { result_key } => {
                if *result_key != queue::result_key(&self.config.customer, &message.job_id) {
                    return Err(CloudError::BadEvent(format!(
                        "the result of job {} names the key {result_key}, outside the job's prefix",
                        message.job_id
                    )));
                }
                let bytes = self.clients.get(&self.config.bucket, result_key)?;
                let result: SageJobResult = serde_json::from_slice(&bytes).map_err(|e| {
                    CloudError::BadEvent(format!(
                        "{result_key} is not a Sage job result: {}",
                        wharf_sage_runner::runner::json_problem(&e)
                    ))
                })?;
                result
                    .into_remote()
                    .map_err(|e| CloudError::BadEvent(format!("{result_key}: {e}")))
            }
        }
    }

    /// The store of `workflow`'s data for one invocation. Taking the run's lock starts the
    /// reads its start makes next, all at once ([`S3Store::prefetching`]).
    fn store(&self, workflow: &str) -> Result<S3Store, wharf_s3_store::S3Error> {
        let mut s3 = S3StoreConfig::new(&self.config.bucket, &self.config.customer, workflow);
        s3.endpoint_url = self.config.endpoint_url.clone();
        s3.force_path_style = self.config.endpoint_url.is_some();
        Ok(
            S3Store::with_sdk(s3, &self.clients.sdk, self.clients.bridge.handle().clone())?
                .prefetching(),
        )
    }

    /// Everything one invocation needs for `workflow`: the deployed file, its components, the
    /// engine, the store.
    fn open(&self, workflow: &str, deadline: Instant) -> Result<OpenRun<'_>, CloudError> {
        let wf_error = |message: String| CloudError::Workflow {
            workflow: workflow.to_string(),
            message,
        };
        let mut phases = Phases::start("invocation to first task");
        let local = &self.config.local_dir;
        let fetcher = ComponentFetcher::with_handle(
            self.clients.bridge.handle().clone(),
            self.clients.s3.clone(),
            &self.config.bucket,
            &self.config.customer,
            local.join("components"),
        )
        .map_err(|e| wf_error(e.to_string()))?;
        let fetcher = Arc::new(match &self.manifest_key {
            Some(key) => fetcher.verified_by(key.clone()),
            None => fetcher,
        });
        // The workflow, the connections, the signed manifest (with its KMS check) and the
        // checkpoint at once. The workflow is deployed under its identity, so the event's name
        // is its store's (checked below).
        fetcher.start_manifest();
        let early_store = self.store(workflow).map_err(|e| wf_error(e.to_string()))?;
        early_store.read_checkpoint_ahead();
        let (file, connections_text) = fetcher
            .fetch_workflow_and_text(
                workflow,
                &local.join("workflows"),
                &fetcher.layout().connections(),
            )
            .map_err(|e| wf_error(e.to_string()))?;
        let mut wf = Workflow::load(&file).map_err(|e| wf_error(e.to_string()))?;
        phases.mark("workflow");
        // Lambda delivers schedules and messages at least once, and may run two invocations of
        // one workflow at the same moment in different sandboxes: only the lock (a conditional
        // write in S3) keeps a second run out, and only it tells a dead invocation's run from a
        // live one. So a cloud run always holds it, whatever the workflow file says.
        wf.use_mutex = true;
        // The customer's connections, parsed as fetched (relative paths from the local folder).
        let connections =
            crate::ConnectionSet::parse(connections_text.as_deref().unwrap_or_default(), local)
                .map_err(|e| wf_error(format!("the customer's connections.yaml: {e}")))?;
        let mut capabilities: Vec<Arc<dyn Capability>> = vec![
            Arc::new(wharf_archive::ArchiveCapability),
            Arc::new(OnPremisesSage(wharf_sage::SageCapability::new(
                local.join("no-ledger"),
            ))),
        ];
        capabilities.extend(
            connections
                .capabilities()
                .map_err(|e| wf_error(format!("starting the connections' runtime: {e}")))?,
        );
        phases.mark("connections");
        let runtime = Runtime::with_capabilities(
            RuntimeConfig {
                cache_dir: Some(local.join("cache")),
            },
            capabilities,
        )
        .map_err(|e| wf_error(e.to_string()))?;
        phases.mark("runtime");
        // The components the signed manifest describes are fetched and loaded when a task
        // first calls one; the others now.
        let (paths, lazy) = fetcher
            .fetch_lazily(&runtime, &crate::components::tasks_of(&wf))
            .map_err(|e| wf_error(e.to_string()))?;
        phases.mark("components");
        // The components are loaded (compiled form read, linked) on every core at once;
        // preparing the workflow then finds them loaded (and reports any that failed, as it
        // would have).
        std::thread::scope(|s| {
            for path in paths.iter().collect::<std::collections::BTreeSet<_>>() {
                let runtime = &runtime;
                s.spawn(move || {
                    let _ = runtime.load(path);
                });
            }
        });
        let engine = Engine::new(
            runtime,
            ComponentSource {
                dirs: vec![local.join("components")],
            },
        );
        let first_steps = Arc::new(Mutex::new(None));
        let lazy = lazy.map(Arc::new);
        let prepared = match &lazy {
            Some(lazy) => engine.prepare_lazily(
                wf,
                Arc::new(TimedLoads {
                    inner: lazy.clone(),
                    phases: first_steps.clone(),
                }),
            ),
            None => engine.prepare(wf),
        }
        .map_err(|e| wf_error(e.to_string()))?;
        phases.mark("load");
        let store = match prepared.workflow.store_name() {
            name if name == workflow => early_store,
            name => self.store(&name).map_err(|e| wf_error(e.to_string()))?,
        };
        let store = Arc::new(store);
        phases.mark("store");
        let left = deadline.saturating_duration_since(Instant::now());
        let options = RunOptions {
            remote: Some(Arc::new(SageJobs {
                cloud: self.clients.clone(),
                config: self.config.clone(),
                store: store.clone(),
            })),
            deadline: Some(
                deadline
                    .checked_sub(self.config.deadline_margin)
                    .unwrap_or_else(Instant::now),
            ),
            // No task starts that Lambda could stop in the middle: what is kept back is for
            // saving the run after the last one.
            hard_end: Some(
                deadline
                    .checked_sub(SAVE_RESERVE.min(self.config.deadline_margin / 2))
                    .unwrap_or_else(Instant::now),
            ),
            // Lambda ends an invocation at its deadline, so the lock of a killed one is free
            // soon after (the slack covers clock differences between hosts).
            lock_lease: chrono::Duration::from_std(left + LOCK_SLACK).ok(),
            // Only a schedule's event starts a run; messages carry on suspended ones.
            started_by: Some("cloud:schedule".into()),
            ..RunOptions::default()
        };
        *first_steps.lock().unwrap_or_else(|p| p.into_inner()) = Some(phases);
        Ok(OpenRun {
            phases: first_steps,
            lazy,
            cloud: self,
            workflow: prepared.workflow.store_name(),
            engine,
            prepared,
            store,
            options,
            deadline,
        })
    }
}

struct OpenRun<'a> {
    cloud: &'a Cloud,
    /// The invocation's steps until its first task (logged then, once): until its first
    /// component is loaded when that is loaded at the task's call ([`TimedLoads`]).
    phases: Arc<Mutex<Option<Phases>>>,
    /// The components loaded when a task first calls one.
    lazy: Option<Arc<crate::components::LazyFetch>>,
    /// When Lambda ends the invocation.
    deadline: Instant,
    workflow: String,
    engine: Engine,
    prepared: wharf_engine::Prepared,
    store: Arc<S3Store>,
    options: RunOptions,
}

/// Marks the steps of an invocation up to its first task, and logs them there: at the first
/// task whose component is ready (or runs elsewhere); at one whose component is loaded at its
/// call, once that is loaded ([`TimedLoads`]).
impl Progress for OpenRun<'_> {
    fn task_started(&self, node: &Node, _iteration: &[usize]) {
        let mut slot = self.phases.lock().unwrap_or_else(|p| p.into_inner());
        let Some(phases) = slot.as_mut() else {
            return;
        };
        if !phases.marked("run start") {
            phases.mark("run start");
        }
        let ready = self.prepared.component(node).is_some()
            || self
                .prepared
                .described(node)
                .is_some_and(|(info, _)| is_sage(info));
        if ready {
            phases.log();
            *slot = None;
        }
    }
}

/// Logs the steps to the first task if no task got that far (nothing to load, or it failed).
impl Drop for OpenRun<'_> {
    fn drop(&mut self) {
        let slot = self.phases.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(phases) = slot.filter(|p| p.marked("run start")) {
            phases.log();
        }
    }
}

/// The components loaded at a task's first call, the first of them ending the invocation's
/// steps to its first task.
struct TimedLoads {
    inner: Arc<crate::components::LazyFetch>,
    phases: Arc<Mutex<Option<Phases>>>,
}

impl wharf_engine::LazyComponents for TimedLoads {
    fn describe(&self, name: &str) -> Option<wharf_engine::Described> {
        self.inner.describe(name)
    }

    fn load(
        &self,
        runtime: &Runtime,
        name: &str,
    ) -> Result<Arc<wharf_engine::runtime::LoadedComponent>, String> {
        let loaded = self.inner.load(runtime, name);
        let slot = self.phases.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(mut phases) = slot {
            phases.mark("first component");
            phases.log();
        }
        loaded
    }
}

/// Whether a component uses the `sage` capability: its tasks run on the on-premises runner.
fn is_sage(info: &TaskInfo) -> bool {
    info.capabilities.iter().any(|c| c == "sage")
}

impl OpenRun<'_> {
    /// Starts fetching the component a new run calls first (the first task in the workflow's
    /// order that runs here), when it is loaded at its call: its download then overlaps the
    /// checkpoint's read and the run's start. A run that resumes elsewhere fetched it for
    /// nothing (one object; a warm sandbox keeps it in its cache).
    fn fetch_first_ahead(&self) {
        use wharf_engine::LazyComponents as _;
        let Some(lazy) = &self.lazy else {
            return;
        };
        let first = crate::components::tasks_of(&self.prepared.workflow)
            .into_iter()
            .find(|name| lazy.describe(name).is_some_and(|d| !is_sage(&d.info)));
        if let Some(name) = first {
            lazy.fetch_ahead(&self.engine.runtime, &name);
        }
    }

    /// Ends the step `step` of the invocation's way to its first task.
    fn mark(&self, step: &'static str) {
        if let Some(phases) = self
            .phases
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
        {
            phases.mark(step);
        }
    }

    /// Sends what wakes a suspended run if its invocation died before sending it; gives the
    /// checkpoint as it now stands. Only a run that needs it takes the lock, and only a short
    /// wait for another invocation sending the same wake: a run holding the workflow keeps it.
    /// How long this invocation may wait for another to send a suspension's message.
    fn wake_patience(&self) -> Duration {
        WAKE_PATIENCE.min(self.deadline.saturating_duration_since(Instant::now()) / 2)
    }

    /// Whether a suspension's message is due: never sent, or sent longer ago than
    /// `WHARF_SUSPENSION_RESEND_SECONDS` (the runner answers a job it already did from its
    /// record, and a duplicate continue message is dropped).
    /// A run suspended at a waiting task has no message: the next schedule resumes it.
    fn wake_due(&self, suspension: &Suspension) -> bool {
        suspension.waiting.woken_by_message()
            && (!suspension.sent || suspended::ages(suspension).1 >= self.cloud.config.resend_after)
    }

    /// Sends what wakes a suspended run if its invocation died before sending it, or again
    /// once it is due (see [`Self::wake_due`]); gives the checkpoint as it now stands. Only a
    /// run that needs it takes the lock, and waits only for another invocation sending the
    /// same message: a run holding the workflow keeps it.
    fn flush_unsent(&self) -> Result<Option<Checkpoint>, CloudError> {
        self.flush_unsent_from(self.store.load_checkpoint()?)
    }

    /// [`Self::flush_unsent`] with the checkpoint as just read.
    fn flush_unsent_from(
        &self,
        checkpoint: Option<Checkpoint>,
    ) -> Result<Option<Checkpoint>, CloudError> {
        match suspended::suspension_of(&checkpoint) {
            Some((run_id, s)) if self.wake_due(s) => {
                if !s.sent {
                    warn!(run_id, token = %s.token, "a suspension's message was not sent: sending it now");
                }
                match self.send_unsent(self.wake_patience(), suspended::is_wake_holder)? {
                    Some(now) => Ok(now),
                    None => Ok(checkpoint),
                }
            }
            _ => Ok(checkpoint),
        }
    }

    /// A schedule for a workflow whose run has waited longer than
    /// `WHARF_SUSPENSION_MAX_AGE_SECONDS`: ends that run as failed, saying why, so the
    /// schedule can start a new one. The limit stays below the queues' retention, so a run is
    /// never left waiting for a message that expired.
    /// `checkpoint` is the one just read; answers whether the checkpoint may have changed
    /// since (the run was over age: the lock was tried).
    fn give_up_if_too_old(&self, checkpoint: &Option<Checkpoint>) -> Result<bool, CloudError> {
        let max_age = self.cloud.config.max_age;
        let Some((_, s)) = suspended::suspension_of(checkpoint) else {
            return Ok(false);
        };
        if suspended::ages(s).0 < max_age {
            return Ok(false);
        }
        let token = s.token.clone();
        let Some(_lock) = suspended::short_lock(
            self.store.as_ref(),
            suspended::GIVE_UP,
            self.wake_patience(),
            suspended::is_wake_holder,
            |other| info!("run {other} holds the workflow: the over-age run is left for now"),
        )?
        else {
            return Ok(true);
        };
        let why = format!(
            "gave up waiting: no answer within {} s (WHARF_SUSPENSION_MAX_AGE_SECONDS); the task's message may have expired unread — run the workflow again once the runner is back",
            max_age.as_secs()
        );
        if let Some(record) = suspended::end_suspended(self.store.as_ref(), &token, &why)? {
            warn!(run_id = %record.id, "{}", record.message);
            let config = &self.cloud.config;
            self.cloud
                .clients
                .withdraw_job(&config.bucket, &config.customer, &token)?;
        }
        Ok(true)
    }

    /// Under the workflow's lock: re-reads the checkpoint and, if its suspension's message is
    /// due, sends it and marks it sent. Holding the lock, nothing resumes the run between the
    /// send and the mark, and the mark is a conditional write of the version just read, so it
    /// can never bring back a suspension another invocation consumed. Waits up to `patience`
    /// for a lock whose holder `wait_for` accepts; answers `None` when the lock stayed taken
    /// (its holder, or the next invocation, sends the message).
    fn send_unsent(
        &self,
        patience: Duration,
        wait_for: impl Fn(&str) -> bool,
    ) -> Result<Option<Option<Checkpoint>>, CloudError> {
        let Some(_lock) = suspended::short_lock(
            self.store.as_ref(),
            suspended::WAKE,
            patience,
            wait_for,
            |other| {
                info!(
                    "run {other} holds the workflow: the suspension's message is left to it or the next invocation"
                )
            },
        )?
        else {
            return Ok(None);
        };
        let mut checkpoint = self.store.load_checkpoint()?;
        if let Some(Checkpoint {
            run_id,
            suspended: Some(suspension),
            ..
        }) = checkpoint.as_mut()
            && self.wake_due(suspension)
        {
            if suspension.sent {
                info!(run_id, token = %suspension.token, "no answer yet: sending the suspension's message again");
            }
            self.send_wake(run_id, suspension)?;
            test_crash("after-send");
            suspension.sent = true;
            suspension.sent_at = Some(chrono::Utc::now());
            if let Some(cp) = &checkpoint {
                self.store.save_checkpoint(cp)?;
            }
        }
        Ok(Some(checkpoint))
    }

    /// Sends the job message or the continue message of a suspension.
    fn send_wake(&self, run_id: &str, suspension: &Suspension) -> Result<(), CloudError> {
        test_crash("after-suspend");
        let config = &self.cloud.config;
        match &suspension.waiting {
            Waiting::Remote { task_path, .. } => {
                let message = JobMessage::new(
                    &config.customer,
                    &suspension.token,
                    &self.workflow,
                    run_id,
                    task_path,
                );
                let body = serde_json::to_string(&message)
                    .map_err(|e| CloudError::Other(e.to_string()))?;
                self.cloud.clients.send(&config.jobs_queue_url, body)?;
            }
            // Woken by the next scheduled invocation, which resumes it (nothing to send).
            Waiting::Later { .. } => {}
            Waiting::Deadline { .. } => {
                let message = QueueMessage::Continue(ContinueMessage {
                    continue_token: suspension.token.clone(),
                    customer: config.customer.clone(),
                    workflow: self.workflow.clone(),
                    run_id: run_id.to_string(),
                });
                let body = serde_json::to_string(&message)
                    .map_err(|e| CloudError::Other(e.to_string()))?;
                self.cloud.clients.send(&config.results_queue_url, body)?;
            }
        }
        Ok(())
    }

    fn finish(&self, outcome: RunOutcome) -> Result<Report, CloudError> {
        let record = outcome.record;
        match outcome.suspended {
            Some(suspended) => {
                // The run's lock was released as it suspended: take it again to send. Whoever
                // holds it meanwhile is gone within seconds (a refused start, another sender).
                if suspended.suspension.waiting.woken_by_message()
                    && self.send_unsent(self.wake_patience(), |_| true)?.is_none()
                {
                    warn!(run_id = %record.id, "the suspension's message is left to the next invocation");
                }
                info!(run_id = %record.id, "{}", suspended.suspension.describe());
                Ok(Report {
                    workflow: self.workflow.clone(),
                    run_id: Some(record.id),
                    status: "suspended".into(),
                    result: None,
                    message: suspended.suspension.describe(),
                })
            }
            None => {
                info!(run_id = %record.id, result = %record.result, "{}", record.message);
                // Standard output is the function's log: CloudWatch makes the metric from it.
                if let Some(line) = crate::metrics::failed_run_line(
                    &self.cloud.config.customer,
                    &self.workflow,
                    &record,
                ) {
                    println!("{line}");
                }
                Ok(Report {
                    workflow: self.workflow.clone(),
                    run_id: Some(record.id),
                    status: "ended".into(),
                    result: Some(record.result.key().to_string()),
                    message: record.message,
                })
            }
        }
    }

    fn refused(&self, message: String) -> Report {
        info!(workflow = %self.workflow, "run refused: {message}");
        Report {
            workflow: self.workflow.clone(),
            run_id: None,
            status: "refused".into(),
            result: None,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_are_told_apart() {
        assert_eq!(
            Event::parse(&json!({"workflow": "sftp-to-sage"})).unwrap(),
            Event::Schedule {
                workflow: "sftp-to-sage".into()
            }
        );
        let sqs = json!({"Records": [
            {"messageId": "m-1", "body": "{}", "eventSource": "aws:sqs"},
            {"messageId": "m-2", "body": "x", "eventSource": "aws:sqs"}
        ]});
        assert_eq!(
            Event::parse(&sqs).unwrap(),
            Event::Messages(vec![
                ("m-1".into(), "{}".into()),
                ("m-2".into(), "x".into())
            ])
        );
        assert!(Event::parse(&json!({"workflow": "../x"})).is_err());
        assert!(Event::parse(&json!({"detail": 1})).is_err());
        assert!(Event::parse(&json!({"Records": [{"body": "x"}]})).is_err());
    }

    #[test]
    fn queue_messages_are_told_apart() {
        let result = json!({
            "job_id": "j-1", "customer": "acme", "workflow": "w", "run_id": "r",
            "task_path": "0.0.1", "outcome": {"status": "done", "result_key": "acme/jobs/j-1/result.json"}
        });
        assert!(matches!(
            serde_json::from_value::<QueueMessage>(result).unwrap(),
            QueueMessage::Result(_)
        ));
        let cont =
            json!({"continue_token": "t", "customer": "acme", "workflow": "w", "run_id": "r"});
        assert!(matches!(
            serde_json::from_value::<QueueMessage>(cont).unwrap(),
            QueueMessage::Continue(_)
        ));
        assert!(serde_json::from_value::<QueueMessage>(json!({"job_id": "j"})).is_err());
    }
}
