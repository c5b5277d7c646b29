//! The runner's loop: long-poll the jobs queue for one message, fetch its `job.json`, run the
//! Sage job against the local ledger while extending the message's visibility (the heartbeat),
//! record the answer locally, upload `result.json`, send the result message, delete the job
//! message.
//!
//! Every step after the answer is recorded can be repeated without harm, and is: a job whose
//! answer is recorded is never run again, whether its message comes back (it was not deleted)
//! or the runner restarts (its answer was not sent). A job interrupted mid-run has no recorded
//! answer and runs again when its message comes back; the ledger's replay marks (the job's
//! lineage, by default one per job id) and truth journal make that second run report what the
//! first one imported instead of importing it twice.
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tracing::{debug, error, info, warn};
use wharf_engine::identity::is_key_name;
use wharf_engine::limits::Limits;
use wharf_engine::runtime::RuntimeConfig;
use wharf_engine::{ComponentSource, Runtime};
use wharf_sage::queue::{self, JobMessage, JobOutcome, ResultMessage};
use wharf_sage::{JobError, JobRunner, SageCapability, SageJob, SageJobResult};

use crate::aws::{self, Clients};
use crate::claim;
use crate::config::Config;
use crate::shutdown;
use crate::state::{Finished, KEEP_DAYS, Recorded, State, StateError};

/// Test-only: makes the runner exit abruptly at one point of a job, to test what a crash there
/// leaves behind. Values: `job-started` (the job is recorded as started, nothing run: a job
/// that crashes the runner), `after-result` (the answer is recorded, nothing delivered),
/// `after-upload` (result.json uploaded, no result message), `after-send` (result message sent,
/// job message not deleted). Never set it on a real runner.
pub const TEST_CRASH_ENV: &str = "WHARF_SAGE_RUNNER_TEST_CRASH";
/// The exit code of such a crash.
pub const TEST_CRASH_EXIT_CODE: i32 = 86;

#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error(transparent)]
    State(#[from] StateError),
    /// An S3 or SQS request failed (after the SDK's retries).
    #[error("{what}: {message}")]
    Aws { what: String, message: String },
    #[error("{0}")]
    Startup(String),
    #[error("{0}")]
    Internal(String),
    #[error("the job's thread stopped without an answer (a bug: the job panicked)")]
    JobPanicked,
}

fn aws_error<E: std::error::Error>(what: impl Into<String>, error: E) -> RunnerError {
    RunnerError::Aws {
        what: what.into(),
        message: aws_sdk_s3::error::DisplayErrorContext(error).to_string(),
    }
}

/// The jobs queue's `maxReceiveCount`, or `None` if it has no redrive policy (its messages never
/// go to a dead-letter queue).
async fn last_delivery(clients: &Clients, queue_url: &str) -> Result<Option<u32>, RunnerError> {
    let out = clients
        .sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::RedrivePolicy)
        .send()
        .await
        .map_err(|e| aws_error("reading the jobs queue's redrive policy", e))?;
    let Some(policy) = out
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::RedrivePolicy))
    else {
        return Ok(None);
    };
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Redrive {
        // SQS gives it as a number or, from some clients, a string.
        max_receive_count: serde_json::Value,
    }
    let redrive: Redrive = serde_json::from_str(policy).map_err(|e| RunnerError::Aws {
        what: "reading the jobs queue's redrive policy".into(),
        message: format!("not the JSON SQS documents: {e}"),
    })?;
    let count = match &redrive.max_receive_count {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    };
    count
        .and_then(|c| u32::try_from(c).ok())
        .map(Some)
        .ok_or_else(|| RunnerError::Aws {
            what: "reading the jobs queue's redrive policy".into(),
            message: format!("maxReceiveCount is {}", redrive.max_receive_count),
        })
}

/// The wasm runtime with the `sage` capability over the local ledger.
struct Jobs {
    runtime: Runtime,
    components: ComponentSource,
    sage: SageCapability,
}

impl Jobs {
    fn run(&self, job: &SageJob) -> Result<SageJobResult, JobError> {
        JobRunner {
            runtime: &self.runtime,
            components: &self.components,
            sage: &self.sage,
            limits: Limits::default(),
            // A job from the queue must not read this machine's files.
            allow_local_paths: false,
        }
        .run(job)
    }
}

/// A running heartbeat: extends the job message's visibility until dropped.
struct Heartbeat(tokio::task::JoinHandle<()>);

impl Heartbeat {
    fn start(clients: &Clients, config: &Config, receipt: &str, job_id: &str) -> Heartbeat {
        let sqs = clients.sqs.clone();
        let queue = config.jobs_queue_url.clone();
        let receipt = receipt.to_owned();
        let job_id = job_id.to_owned();
        let every = Duration::from_secs(config.heartbeat_seconds);
        let visibility = config.visibility_timeout_seconds as i32;
        Heartbeat(tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match sqs
                    .change_message_visibility()
                    .queue_url(&queue)
                    .receipt_handle(&receipt)
                    .visibility_timeout(visibility)
                    .send()
                    .await
                {
                    Ok(_) => debug!(job_id = %job_id, visibility, "heartbeat: visibility extended"),
                    Err(e) => warn!(
                        job_id = %job_id,
                        "heartbeat failed (the job may be handed to another runner): {}",
                        aws_sdk_sqs::error::DisplayErrorContext(e)
                    ),
                }
            }
        }))
    }

    /// Stops it (before the message is deleted, so no heartbeat follows the deletion).
    fn stop(self) {
        drop(self);
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The job message being handled, to delete once its answer is sent.
struct Ack {
    receipt: String,
    heartbeat: Heartbeat,
}

/// This runner's name in job claims, kept in its state folder: a runner restarted after a
/// crash is the same runner, and takes over its own claims at once.
fn runner_id(state_dir: &std::path::Path) -> Result<String, RunnerError> {
    let path = state_dir.join("runner-id");
    let startup = |e: std::io::Error| RunnerError::Startup(format!("{}: {e}", path.display()));
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => return Ok(id.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(startup(e)),
    }
    let id = format!(
        "runner-{}-{}",
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default(),
        std::process::id()
    );
    std::fs::write(&path, &id).map_err(startup)?;
    Ok(id)
}

/// Keeps this runner's claim of a job alive until dropped.
struct ClaimKeeper(tokio::task::JoinHandle<()>);

impl Drop for ClaimKeeper {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Where a job is held.
enum JobHeld {
    /// Here: run it, keeping the claim alive.
    Here(ClaimKeeper),
    /// By another runner whose lease is alive.
    Elsewhere {
        owner: String,
        until: chrono::DateTime<chrono::Utc>,
    },
    /// Nowhere any more: its result.json exists.
    Answered,
}

/// A message body that is not a job message.
enum BadMessage {
    /// It names a job, so the refusal can be sent back.
    Refuse(Box<JobMessage>, String),
    /// It names no job: nobody can be told. It stays on the queue and reaches its dead-letter
    /// queue after the queue's maximum receive count.
    Unanswerable(String),
}

/// What is wrong with a JSON document, without quoting any of its values.
pub fn json_problem(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = format!("line {}, column {}", error.line(), error.column());
    match error.classify() {
        Category::Io => format!("unreadable: {error}"),
        Category::Syntax => format!("not valid JSON (syntax error at {at})"),
        Category::Eof => "not valid JSON (it ends early)".to_owned(),
        Category::Data => {
            let text = error.to_string();
            let text = text.split(" at line ").next().unwrap_or_default();
            let shape = if text.starts_with("missing field")
                || text.starts_with("unknown field")
                || text.starts_with("duplicate field")
            {
                // Field names are the format's own.
                text.to_owned()
            } else if let Some((_, expected)) = text.split_once("expected ") {
                format!("a value of the wrong type (expected {expected})")
            } else {
                "a value of the wrong type".to_owned()
            };
            format!("{shape} at {at}")
        }
    }
}

/// Logs a job `handle` gave up on: its message is not deleted, so SQS delivers it again.
fn log_unhandled(handled: &Result<(), RunnerError>) {
    if let Err(e) = handled {
        error!(
            "{e}; the job's message stays on the queue and comes back after its visibility timeout"
        );
    }
}

pub struct Runner {
    config: Config,
    clients: Clients,
    state: State,
    jobs: Arc<Jobs>,
    crash_at: Option<String>,
    /// The jobs queue's `maxReceiveCount` (its redrive policy), if it has a dead-letter queue:
    /// on that delivery a job is answered whatever happens, since after it the message would
    /// go to the dead-letter queue and the run waiting for it would never hear.
    last_delivery: Option<u32>,
    /// Held for the runner's life: one runner per state folder.
    _lock: std::fs::File,
    /// This runner process's name in job claims (see `claim`).
    owner: String,
    /// One turn per workflow: its jobs run one at a time, whatever `concurrent_jobs` allows
    /// (two copies of one job never run side by side in this process).
    turns: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Runner {
    /// Opens the state, loads nothing yet (components compile on first use), builds the clients.
    pub async fn start(config: Config) -> Result<Runner, RunnerError> {
        std::fs::create_dir_all(&config.state_dir).map_err(|e| {
            RunnerError::Startup(format!(
                "cannot create the state folder {} (setting `state_dir`): {e}",
                config.state_dir.display()
            ))
        })?;
        let lock_path = config.state_dir.join("runner.lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| RunnerError::Startup(format!("{}: {e}", lock_path.display())))?;
        lock.try_lock().map_err(|_| {
            RunnerError::Startup(format!(
                "another runner is using the state folder {} (setting `state_dir`); one runner per state folder",
                config.state_dir.display()
            ))
        })?;
        let state = State::open(&config.state_dir)?;
        let connector = crate::sage::connector(&config.sage, &config.file);
        if let Err(e) = connector.check() {
            // Not a reason to stop: the company may be created after the service is installed.
            warn!("{e}; every Sage job fails until it is there");
        }
        if matches!(config.sage, crate::config::SageConfig::Sdo(_)) {
            // The version is found out at every start (a Sage upgrade changes it); a wrong
            // login or version stops the runner here, not at its first job.
            match crate::sage::probe(&*connector) {
                Ok(probe) => info!(
                    backend = %probe.backend,
                    version = %probe.version,
                    edition = %probe.edition,
                    "Sage 50 found"
                ),
                Err(sage_ledger::BackendError::Busy(message)) => {
                    warn!("Sage 50 is busy at start ({message}); jobs wait for it")
                }
                Err(e) => {
                    return Err(RunnerError::Startup(format!(
                        "cannot use Sage 50 (the `sage` settings of {}): {e}",
                        config.file.display()
                    )));
                }
            }
        }
        let sage = SageCapability::with_connector(connector);
        // Compiled components: WHARF_CACHE_DIR, else beside the runner's state (a service
        // account may have no home folder).
        let cache_dir = Some(
            std::env::var_os("WHARF_CACHE_DIR")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| config.state_dir.join("component-cache")),
        );
        let runtime =
            Runtime::with_capabilities(RuntimeConfig { cache_dir }, vec![Arc::new(sage.clone())])
                .map_err(|e| RunnerError::Startup(format!("the wasm runtime: {e}")))?;
        let components = ComponentSource {
            dirs: vec![config.components.clone()],
        };
        let clients = aws::clients(
            &config.region,
            config.endpoint_url.as_deref(),
            config.wait_seconds,
        )
        .await;
        let last_delivery = last_delivery(&clients, &config.jobs_queue_url).await?;
        let crash_at = std::env::var(TEST_CRASH_ENV).ok().filter(|v| !v.is_empty());
        if let Some(point) = &crash_at {
            warn!(
                "{TEST_CRASH_ENV}={point} is set: this runner will exit at that point (tests only)"
            );
        }
        Ok(Runner {
            clients,
            state,
            jobs: Arc::new(Jobs {
                runtime,
                components,
                sage,
            }),
            crash_at,
            last_delivery,
            _lock: lock,
            owner: runner_id(&config.state_dir)?,
            turns: Default::default(),
            config,
        })
    }

    /// Runs until asked to stop (or, with `once`, until one job was handled or one long poll
    /// found none).
    pub async fn run(&self, once: bool) -> Result<(), RunnerError> {
        let available = self.jobs.components.available().len();
        info!(
            customer = %self.config.customer,
            bucket = %self.config.bucket,
            jobs_queue = %self.config.jobs_queue_url,
            sage = %self.config.sage.describe(),
            components = available,
            state = %self.state.path().display(),
            once,
            "wharf-sage-runner started"
        );
        match self.state.prune(KEEP_DAYS) {
            Ok(0) => {}
            Ok(n) => info!("forgot {n} acknowledged jobs older than {KEEP_DAYS} days"),
            Err(e) => warn!("{e}"),
        }
        self.report()?;
        let mut recovery = self.deliver_unsent().await;
        if let Err(e) = &recovery {
            error!("could not send every recorded result yet (trying again before each poll): {e}");
        }
        let mut backoff = Duration::from_secs(1);
        // Jobs of different workflows run side by side up to `concurrent_jobs`; a job of a
        // workflow that already has one running waits for its turn (see `handle`).
        let slots = if once { 1 } else { self.config.concurrent_jobs };
        let mut running = FuturesUnordered::new();
        // The long poll in flight is never dropped half-way (a message SQS handed to a dropped
        // request would stay hidden and lose one of its receives): a job ending meanwhile is
        // noticed, and the poll goes on.
        let mut receiving = Box::pin(self.receive());
        let mut polling = true;
        loop {
            if shutdown::requested() {
                info!("stopping, as asked");
                break;
            }
            if recovery.is_err() {
                recovery = self.deliver_unsent().await;
                match &recovery {
                    Ok(()) => info!("every recorded result is sent now"),
                    Err(e) => error!("still cannot send every recorded result: {e}"),
                }
            }
            if !polling && running.len() < slots {
                receiving.set(self.receive());
                polling = true;
            }
            let received = tokio::select! {
                received = &mut receiving, if polling => {
                    polling = false;
                    received
                }
                Some(handled) = running.next(), if !running.is_empty() => {
                    log_unhandled(&handled);
                    continue;
                }
                () = shutdown::wait() => {
                    info!("stopping, as asked");
                    break;
                }
            };
            match received {
                Err(e) => {
                    if once {
                        return Err(e);
                    }
                    error!("{e}; trying again in {}s", backoff.as_secs());
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = shutdown::wait() => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(60));
                }
                Ok(None) => {
                    backoff = Duration::from_secs(1);
                    if once {
                        info!(
                            "no job arrived within {}s (one long poll)",
                            self.config.wait_seconds
                        );
                        break;
                    }
                }
                Ok(Some(message)) => {
                    backoff = Duration::from_secs(1);
                    if once {
                        let handled = self.handle(message).await;
                        log_unhandled(&handled);
                        handled?;
                        break;
                    }
                    running.push(self.handle(message));
                }
            }
        }
        // A job that started runs to its end: its result is recorded and sent before the runner
        // stops (a stop between jobs leaves nothing half-done).
        if !running.is_empty() {
            info!("waiting for {} running job(s) to finish", running.len());
        }
        while let Some(handled) = running.next().await {
            log_unhandled(&handled);
        }
        recovery
    }

    /// Waits until no other job of `message`'s workflow runs in this process.
    async fn turn(&self, message: &JobMessage) -> tokio::sync::OwnedMutexGuard<()> {
        let key = format!("{}/{}", message.customer, message.workflow);
        let turn = self
            .turns
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key)
            .or_default()
            .clone();
        if let Ok(free) = turn.clone().try_lock_owned() {
            return free;
        }
        info!(
            job_id = %message.job_id,
            workflow = %message.workflow,
            "another job of this workflow is running: this one waits for it"
        );
        turn.lock_owned().await
    }

    async fn receive(&self) -> Result<Option<Message>, RunnerError> {
        let out = self
            .clients
            .sqs
            .receive_message()
            .queue_url(&self.config.jobs_queue_url)
            .max_number_of_messages(1)
            .wait_time_seconds(self.config.wait_seconds as i32)
            .visibility_timeout(self.config.visibility_timeout_seconds as i32)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|e| aws_error("receiving from the jobs queue", e))?;
        Ok(out.messages.and_then(|m| m.into_iter().next()))
    }

    /// Reports what the last runner left behind (at start-up): jobs interrupted mid-run, and
    /// jobs it finished but did not acknowledge.
    fn report(&self) -> Result<(), RunnerError> {
        for job in self.state.interrupted()? {
            warn!(
                job_id = %job.job_id,
                attempts = job.attempts,
                started_at = %job.started_at,
                "job interrupted mid-run (the runner stopped before it finished); it runs again when the jobs queue redelivers it, importing nothing twice"
            );
        }
        for job in self.state.unacknowledged()? {
            if job.sent {
                info!(
                    job_id = %job.job_id,
                    finished_at = %job.finished_at,
                    "job finished and its result sent, but its job message was not deleted; it is deleted when the queue redelivers it"
                );
            } else {
                warn!(
                    job_id = %job.job_id,
                    finished_at = %job.finished_at,
                    outcome = outcome_name(&job.answer.outcome),
                    "job finished but its result was never sent (the runner stopped before acknowledging it): sending the recorded result now; the job does not run again"
                );
            }
        }
        Ok(())
    }

    /// Delivers the answers recorded but not sent (their job messages are deleted when they
    /// come back).
    async fn deliver_unsent(&self) -> Result<(), RunnerError> {
        for job in self.state.unacknowledged()? {
            if !job.sent {
                self.deliver(&job, None).await?;
            }
        }
        Ok(())
    }

    /// Exits the process here if a test asked for a crash at `point`.
    fn crash_point(&self, point: &str, job_id: &str) {
        if self.crash_at.as_deref() == Some(point) {
            error!(job_id = %job_id, "{TEST_CRASH_ENV}={point}: exiting without acknowledging the job");
            std::process::exit(TEST_CRASH_EXIT_CODE);
        }
    }

    fn parse_message(&self, body: &str) -> Result<JobMessage, BadMessage> {
        let problem = match serde_json::from_str::<JobMessage>(body) {
            Ok(message) => return Ok(message),
            Err(e) => json_problem(&e),
        };
        let reason = format!("the job message is not a Wharf job message: {problem}");
        let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        let field = |name: &str| {
            value
                .get(name)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let job_id = field("job_id");
        if is_key_name(&job_id) {
            let message = JobMessage {
                job_id,
                customer: self.config.customer.clone(),
                workflow: field("workflow"),
                run_id: field("run_id"),
                task_path: field("task_path"),
                job_key: field("job_key"),
            };
            Err(BadMessage::Refuse(Box::new(message), reason))
        } else {
            Err(BadMessage::Unanswerable(reason))
        }
    }

    /// Why this runner must not run the job the message names, if it must not.
    fn check(&self, message: &JobMessage) -> Option<String> {
        if message.customer != self.config.customer {
            return Some(format!(
                "the job is for customer `{}`; this runner serves `{}`",
                message.customer, self.config.customer
            ));
        }
        if !is_key_name(&message.job_id) {
            return Some("the job id is not a valid id (letters, digits, `-`, `_`, `.`)".into());
        }
        let expected = queue::job_key(&message.customer, &message.job_id);
        if message.job_key != expected {
            return Some(format!(
                "job_key `{}` is not the job's key `{expected}`",
                message.job_key
            ));
        }
        None
    }

    /// Handles one received message. An error leaves the message on the queue.
    async fn handle(&self, received: Message) -> Result<(), RunnerError> {
        let started = Instant::now();
        let sqs_message_id = received.message_id().unwrap_or_default().to_owned();
        let Some(receipt) = received.receipt_handle().map(str::to_owned) else {
            return Err(RunnerError::Aws {
                what: "receiving from the jobs queue".into(),
                message: "a message without a receipt handle".into(),
            });
        };
        let receive_count: u32 = received
            .attributes()
            .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        let message = match self.parse_message(received.body().unwrap_or_default()) {
            Ok(message) => message,
            Err(BadMessage::Unanswerable(reason)) => {
                error!(
                    sqs_message_id = %sqs_message_id,
                    receive_count,
                    "{reason}; it names no job, so no result can be sent: it is left on the queue for its dead-letter queue"
                );
                return Ok(());
            }
            Err(BadMessage::Refuse(message, reason)) => {
                let ack = Ack {
                    heartbeat: Heartbeat::start(
                        &self.clients,
                        &self.config,
                        &receipt,
                        &message.job_id,
                    ),
                    receipt,
                };
                return self.refuse(&message, reason, ack, started).await;
            }
        };
        let job_id = message.job_id.clone();
        let ack = Ack {
            heartbeat: Heartbeat::start(&self.clients, &self.config, &receipt, &job_id),
            receipt,
        };
        if let Some(reason) = self.check(&message) {
            return self.refuse(&message, reason, ack, started).await;
        }
        // The heartbeat keeps the message hidden while it waits.
        let _turn = self.turn(&message).await;

        let recorded = self.state.lookup(&job_id)?;
        if let Recorded::Finished(finished) = &recorded {
            info!(
                job_id = %job_id,
                receive_count,
                finished_at = %finished.finished_at,
                outcome = outcome_name(&finished.answer.outcome),
                "job already finished: not running it again, delivering its recorded result"
            );
            return self.deliver(finished, Some(ack)).await;
        }
        let last_delivery = self.last_delivery.is_some_and(|last| receive_count >= last);
        // The same job may be with another runner right now (SQS delivers at least once).
        let claimed = match self.claim_job(&message).await? {
            JobHeld::Here(keeper) => keeper,
            JobHeld::Answered => {
                info!(job_id = %job_id, receive_count, "job answered by another runner: deleting this copy of its message");
                return self.drop_copy(ack).await;
            }
            JobHeld::Elsewhere { owner, until } if last_delivery => {
                info!(job_id = %job_id, receive_count, holder = %owner, lease_until = %until, "job held by another runner on this copy's last delivery: deleting this copy (the holder answers)");
                return self.drop_copy(ack).await;
            }
            JobHeld::Elsewhere { owner, until } => {
                info!(job_id = %job_id, receive_count, holder = %owner, lease_until = %until, "job held by another runner: leaving this copy of its message for later");
                return self.release(ack).await;
            }
        };
        match recorded {
            Recorded::Started {
                attempts,
                started_at,
            } if last_delivery => {
                let reason = format!(
                    "the job was interrupted {attempts} time(s) without finishing (first started {started_at}): the Sage runner stopped or crashed while running it; refused on the queue's last delivery so the run waiting for it ends instead of waiting for ever"
                );
                return self.refuse(&message, reason, ack, started).await;
            }
            Recorded::Started {
                attempts,
                started_at,
            } => warn!(
                job_id = %job_id,
                attempts,
                started_at = %started_at,
                receive_count,
                "job was interrupted mid-run before; running it again (the ledger's replay marks keep it from importing anything twice)"
            ),
            Recorded::New | Recorded::Finished(_) => {}
        }
        let attempt = self.state.start(&message)?;
        self.crash_point("job-started", &job_id);
        info!(
            job_id = %job_id,
            attempt,
            receive_count,
            workflow = %message.workflow,
            run_id = %message.run_id,
            task_path = %message.task_path,
            "job received"
        );

        let downloaded = match self.download(&message).await {
            // On the last delivery, S3 failing is an answer too: the run must hear of it.
            Err(e) if self.last_delivery.is_some_and(|last| receive_count >= last) => {
                Err(format!("on the job message's last delivery: {e}"))
            }
            other => other?,
        };
        let mut job = match downloaded {
            Ok(job) => job,
            Err(reason) => return self.refuse(&message, reason, ack, started).await,
        };
        let download_ms = started.elapsed().as_millis() as u64;
        // A job without a lineage gets one per job id: a rerun of this job recognises what an
        // interrupted run of it imported.
        job.lineage.get_or_insert_with(|| {
            format!("wharf-sage-runner/{}/{}", message.customer, message.job_id)
        });
        let component = job.component.clone();
        info!(
            job_id = %job_id,
            component = %component,
            input_files = job.input_files.len(),
            download_ms,
            "running the job"
        );
        let (outcome, run_time) = self.execute(job).await?;
        let run_ms = run_time.as_millis() as u64;
        let result = match outcome {
            Ok(result) => result,
            Err(e) => {
                let reason = e.to_string();
                warn!(job_id = %job_id, component = %component, run_ms, "job refused: {reason}");
                return self.refuse(&message, reason, ack, started).await;
            }
        };
        info!(
            job_id = %job_id,
            component = %component,
            code = %result.code,
            records_in = result.counts.records_in,
            records_out = result.counts.records_out,
            records_failed = result.counts.records_failed,
            output_files = result.output_files.len(),
            truth_updates = result.truth_updates.len(),
            run_ms,
            "job finished"
        );
        let body = serde_json::to_string(&result).map_err(|e| {
            RunnerError::Internal(format!("the job's result cannot be written as JSON: {e}"))
        })?;
        let answer = message.result(JobOutcome::Done {
            result_key: queue::result_key(&message.customer, &message.job_id),
        });
        self.state.finish(
            &message,
            &answer,
            Some(&body),
            started.elapsed().as_millis() as u64,
        )?;
        self.crash_point("after-result", &job_id);
        let Recorded::Finished(finished) = self.state.lookup(&job_id)? else {
            unreachable!("the answer was just recorded");
        };
        self.deliver(&finished, Some(ack)).await?;
        drop(claimed);
        info!(
            job_id = %job_id,
            component = %component,
            total_ms = started.elapsed().as_millis() as u64,
            "job done: result uploaded and sent, job message deleted"
        );
        Ok(())
    }

    /// Records and delivers a refusal.
    async fn refuse(
        &self,
        message: &JobMessage,
        reason: String,
        ack: Ack,
        started: Instant,
    ) -> Result<(), RunnerError> {
        // A job id that was answered already keeps its answer (a bad copy of its message
        // must not replace it).
        if let Recorded::Finished(finished) = self.state.lookup(&message.job_id)? {
            info!(
                job_id = %message.job_id,
                "job already finished: delivering its recorded result, not a refusal of this message ({reason})"
            );
            return self.deliver(&finished, Some(ack)).await;
        }
        warn!(job_id = %message.job_id, "refusing the job: {reason}");
        let answer = message.result(JobOutcome::Refused { reason });
        self.state
            .finish(message, &answer, None, started.elapsed().as_millis() as u64)?;
        self.crash_point("after-result", &message.job_id);
        let Recorded::Finished(finished) = self.state.lookup(&message.job_id)? else {
            unreachable!("the answer was just recorded");
        };
        self.deliver(&finished, Some(ack)).await
    }

    /// `job.json`, or why the job cannot run (an error: S3 could not be asked).
    async fn download(&self, message: &JobMessage) -> Result<Result<SageJob, String>, RunnerError> {
        let got = self
            .clients
            .s3
            .get_object()
            .bucket(&self.config.bucket)
            .key(&message.job_key)
            .send()
            .await;
        let object = match got {
            Ok(object) => object,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => {
                return Ok(Err(format!("there is no {}", message.job_key)));
            }
            Err(e) => return Err(aws_error(format!("downloading {}", message.job_key), e)),
        };
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|e| aws_error(format!("downloading {}", message.job_key), e))?
            .into_bytes();
        Ok(serde_json::from_slice::<SageJob>(&bytes)
            .map_err(|e| format!("job.json is not a Sage job: {}", json_problem(&e))))
    }

    /// Runs the job on a thread of its own (the wasm call blocks), waiting without blocking.
    async fn execute(
        &self,
        job: SageJob,
    ) -> Result<(Result<SageJobResult, JobError>, Duration), RunnerError> {
        let jobs = self.jobs.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("sage-job".into())
            .spawn(move || {
                let started = Instant::now();
                let outcome = jobs.run(&job);
                let _ = tx.send((outcome, started.elapsed()));
            })
            .map_err(|e| RunnerError::Internal(format!("cannot start the job's thread: {e}")))?;
        rx.await.map_err(|_| RunnerError::JobPanicked)
    }

    /// Delivers a recorded answer: uploads result.json, sends the result message, deletes the
    /// job message (when there is one), skipping what was already done.
    async fn deliver(&self, job: &Finished, ack: Option<Ack>) -> Result<(), RunnerError> {
        let job_id = job.job_id.as_str();
        if let JobOutcome::Done { result_key } = &job.answer.outcome
            && !job.uploaded
        {
            match &job.result {
                Some(body) => {
                    let started = Instant::now();
                    self.clients
                        .s3
                        .put_object()
                        .bucket(&self.config.bucket)
                        .key(result_key)
                        .content_type("application/json")
                        .body(body.clone().into_bytes().into())
                        .send()
                        .await
                        .map_err(|e| aws_error(format!("uploading {result_key}"), e))?;
                    self.state.mark_uploaded(job_id)?;
                    debug!(
                        job_id = %job_id,
                        bytes = body.len(),
                        upload_ms = started.elapsed().as_millis() as u64,
                        "result.json uploaded"
                    );
                }
                None => {
                    warn!(job_id = %job_id, "the recorded result is gone; not uploading it again")
                }
            }
        }
        self.crash_point("after-upload", job_id);
        if !job.sent {
            self.send(&job.answer).await?;
            self.state.mark_sent(job_id)?;
            info!(
                job_id = %job_id,
                outcome = outcome_name(&job.answer.outcome),
                "result message sent"
            );
        }
        self.crash_point("after-send", job_id);
        if let Some(Ack { receipt, heartbeat }) = ack {
            heartbeat.stop();
            self.clients
                .sqs
                .delete_message()
                .queue_url(&self.config.jobs_queue_url)
                .receipt_handle(receipt)
                .send()
                .await
                .map_err(|e| aws_error("deleting the job message", e))?;
            self.state.mark_acknowledged(job_id)?;
            debug!(job_id = %job_id, "job message deleted");
        }
        Ok(())
    }

    /// Claims the job in the bucket (see `claim`), unless another runner answered it already.
    async fn claim_job(&self, message: &JobMessage) -> Result<JobHeld, RunnerError> {
        let s3 = &self.clients.s3;
        let bucket = &self.config.bucket;
        let internal = |e: String| RunnerError::Aws {
            what: format!("claiming job {}", message.job_id),
            message: e,
        };
        if claim::answered(s3, bucket, &message.customer, &message.job_id)
            .await
            .map_err(internal)?
        {
            return Ok(JobHeld::Answered);
        }
        let heartbeat = Duration::from_secs(self.config.heartbeat_seconds.max(1));
        let job_claim = claim::JobClaim {
            s3,
            bucket,
            key: claim::claim_key(&message.customer, &message.job_id),
            owner: &self.owner,
            // Three heartbeats: one late renewal does not lose the claim.
            lease: heartbeat * 3,
        };
        match job_claim.claim().await.map_err(internal)? {
            claim::Claimed::Elsewhere { owner, until } => Ok(JobHeld::Elsewhere { owner, until }),
            claim::Claimed::Held { etag } => {
                let (s3, bucket, key, owner, lease) = (
                    s3.clone(),
                    bucket.clone(),
                    job_claim.key.clone(),
                    self.owner.clone(),
                    job_claim.lease,
                );
                let job_id = message.job_id.clone();
                Ok(JobHeld::Here(ClaimKeeper(tokio::spawn(async move {
                    let job_claim = claim::JobClaim {
                        s3: &s3,
                        bucket: &bucket,
                        key,
                        owner: &owner,
                        lease,
                    };
                    let mut etag = etag;
                    let mut tick = tokio::time::interval_at(
                        tokio::time::Instant::now() + heartbeat,
                        heartbeat,
                    );
                    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    loop {
                        tick.tick().await;
                        match job_claim.renew(&etag).await {
                            Ok(Some(next)) => etag = next,
                            Ok(None) => {
                                warn!(job_id = %job_id, "the job's claim was taken over by another runner (this one was too slow to renew it)");
                                return;
                            }
                            Err(e) => {
                                warn!(job_id = %job_id, "renewing the job's claim failed: {e}")
                            }
                        }
                    }
                }))))
            }
        }
    }

    /// Leaves this copy of a job message for later: it comes back after two heartbeats.
    async fn release(&self, ack: Ack) -> Result<(), RunnerError> {
        let Ack { receipt, heartbeat } = ack;
        heartbeat.stop();
        let after = (self.config.heartbeat_seconds.max(1) * 2).min(43_200) as i32;
        self.clients
            .sqs
            .change_message_visibility()
            .queue_url(&self.config.jobs_queue_url)
            .receipt_handle(receipt)
            .visibility_timeout(after)
            .send()
            .await
            .map_err(|e| aws_error("leaving the job message for later", e))?;
        Ok(())
    }

    /// Deletes this copy of a job message that another runner answers.
    async fn drop_copy(&self, ack: Ack) -> Result<(), RunnerError> {
        let Ack { receipt, heartbeat } = ack;
        heartbeat.stop();
        self.clients
            .sqs
            .delete_message()
            .queue_url(&self.config.jobs_queue_url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(|e| aws_error("deleting a copy of the job message", e))?;
        Ok(())
    }

    async fn send(&self, answer: &ResultMessage) -> Result<(), RunnerError> {
        let body = serde_json::to_string(answer).unwrap_or_default();
        self.clients
            .sqs
            .send_message()
            .queue_url(&self.config.results_queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| aws_error("sending the result message", e))?;
        Ok(())
    }
}

fn outcome_name(outcome: &JobOutcome) -> &'static str {
    match outcome {
        JobOutcome::Done { .. } => "done",
        JobOutcome::Refused { .. } => "refused",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Shape {
        name: String,
        count: u64,
    }

    #[test]
    fn json_problems_never_quote_the_document() {
        let secret = "hunter2-secret";
        let cases = [
            format!(r#"{{"name": 5, "count": "{secret}"}}"#),
            format!(r#"{{"name": "{secret}", "count": "{secret}"}}"#),
            format!(r#"{{"name": "{secret}", "count": 1, "#),
            format!(r#"{{"name": "{secret}" "count": 1}}"#),
            format!(r#"["{secret}"]"#),
        ];
        for text in cases {
            let error = serde_json::from_str::<Shape>(&text).unwrap_err();
            let problem = json_problem(&error);
            assert!(!problem.contains(secret), "{problem}");
            assert!(
                !problem.contains('5') || problem.contains("line"),
                "{problem}"
            );
        }
        let missing = serde_json::from_str::<Shape>(r#"{"name": "x"}"#).unwrap_err();
        assert_eq!(
            json_problem(&missing),
            "missing field `count` at line 1, column 13"
        );
        let wrong = serde_json::from_str::<Shape>(r#"{"name": 5, "count": 1}"#).unwrap_err();
        assert_eq!(
            json_problem(&wrong),
            "a value of the wrong type (expected a string) at line 1, column 10"
        );
    }
}
