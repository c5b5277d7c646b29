//! Wharf's S3 storage backend: everything a workflow keeps between runs, in an S3 bucket.
//!
//! ```text
//! s3://<bucket>/<customer>/mappings.yaml                         value mappings shared by the customer's workflows
//! s3://<bucket>/<customer>/<workflow>/work/…                     the working directory (empty folders as `…/` markers)
//! s3://<bucket>/<customer>/<workflow>/archive/…                  archives written by archive-workflow-data
//! s3://<bucket>/<customer>/<workflow>/runs/<started>_<id>.json   run records
//! s3://<bucket>/<customer>/<workflow>/state.json                 per-task state (cursors)
//! s3://<bucket>/<customer>/<workflow>/checkpoint.json            where the current run is
//! s3://<bucket>/<customer>/<workflow>/run.lock                   the `use-mutex` lock (conditional writes)
//! s3://<bucket>/<customer>/<workflow>/truth/ext/<kind>/<id>.json a truth record, by external id
//! s3://<bucket>/<customer>/<workflow>/truth/int/<kind>/<id>.json index: internal id → external ids
//! ```
//!
//! Kinds and ids in truth keys are percent-encoded (see [`encode_id`]), so ids may hold `/`,
//! spaces or any Unicode.
//!
//! # Calling convention
//! [`Storage`] is synchronous; the store runs each operation on a multi-thread tokio runtime
//! (its own, or one passed to [`S3Store::with_handle`]) and blocks the calling thread until it is
//! done. Call it from ordinary threads — the engine's `run` is synchronous — or, from async code,
//! through `tokio::task::spawn_blocking`. Called directly on a multi-thread runtime's worker it
//! still works (the wait uses `block_in_place`), but on a current-thread runtime it stalls that
//! runtime for the duration of the request.
//!
//! # Failures
//! Transient failures (5xx, throttling, timeouts, broken connections) are retried by the SDK
//! (standard mode, 5 attempts, exponential backoff with jitter); body reads of downloads are
//! retried by the store. Writes come before deletes everywhere, so an interrupted commit or
//! archive never loses a file: the staged folder is kept when a commit fails. A commit deletes
//! an object only if it is still the version that was staged (`If-Match`), so a file written to
//! `work/` by someone else during the run survives.

mod checkpoint;
mod error;
mod keys;
mod lock;
mod sdk;
mod transfer;
mod truth;
mod workdir;

pub use aws_config::SdkConfig;
pub use error::{Cause, RequestError, S3Error};
pub use keys::encode_id;
pub use sdk::{NoRegion, Received, SHA256_META, client, client_from, receive_verified, sdk_config};
pub use truth::S3Truth;

use aws_sdk_s3::Client;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::runtime::Handle;
use wharf_engine::RunRecord;
use wharf_engine::blocking::AsyncBridge;
use wharf_engine::checkpoint::Checkpoint;
use wharf_engine::identity::check_key_name;
use wharf_engine::storage::{
    ArchiveEntry, LockInfo, Mappings, StagedWorkdir, Storage, StorageError, TaskStates, TruthStore,
    check_archive_name, parse_run_record_name, run_record_name,
};

/// Workflow names that are prefixes of the customer's own: `components/`, `jobs/` (Sage jobs),
/// and `workflows/` (refused by the Terraform module too).
pub const RESERVED_WORKFLOW_NAMES: &[&str] = &["components", "jobs", "workflows"];

/// The deployed workflow file's name inside its workflow's prefix (`wharf deploy` writes it).
pub const WORKFLOW_FILE: &str = "workflow.yaml";

/// Where a workflow's data lives in S3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3StoreConfig {
    pub bucket: String,
    /// First key segment: one customer's workflows and their shared `mappings.yaml`.
    pub customer: String,
    /// Second key segment: the workflow's store name (the workflow file's stem).
    pub workflow: String,
    /// An S3-compatible endpoint (e.g. `http://127.0.0.1:9000`). Without it the SDK's own
    /// resolution applies, which honours `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_S3`.
    pub endpoint_url: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`), which most S3-compatible servers need.
    pub force_path_style: bool,
    /// Without it the default chain applies (`AWS_REGION`, the profile).
    pub region: Option<String>,
}

impl S3StoreConfig {
    pub fn new(
        bucket: impl Into<String>,
        customer: impl Into<String>,
        workflow: impl Into<String>,
    ) -> Self {
        S3StoreConfig {
            bucket: bucket.into(),
            customer: customer.into(),
            workflow: workflow.into(),
            endpoint_url: None,
            force_path_style: false,
            region: None,
        }
    }
}

/// Runs the store's async operations for its synchronous callers.
struct Exec(AsyncBridge);

impl Exec {
    fn run<T: Send + 'static>(
        &self,
        fut: impl Future<Output = Result<T, StorageError>> + Send + 'static,
    ) -> Result<T, StorageError> {
        self.0.run(fut).unwrap_or_else(|| {
            Err(StorageError::Other(
                "an S3 operation was cancelled (its task panicked or the runtime shut down)".into(),
            ))
        })
    }

    fn handle(&self) -> &Handle {
        self.0.handle()
    }
}

/// What every operation needs; shared with the truth store and spawned transfer tasks.
pub(crate) struct Inner {
    exec: Exec,
    pub client: Client,
    pub bucket: String,
    /// `<customer>/`
    pub customer_prefix: String,
    /// `<customer>/<workflow>/`
    pub prefix: String,
    pub workflow: String,
}

impl Inner {
    pub fn key(&self, rel: &str) -> String {
        format!("{}{rel}", self.prefix)
    }

    pub fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}

/// A workflow's store in S3 (see the crate documentation for the layout).
pub struct S3Store {
    inner: Arc<Inner>,
    /// Staged working directories by local path, with what was downloaded into each.
    staged: Mutex<HashMap<PathBuf, workdir::Manifest>>,
    truth: OnceLock<Arc<S3Truth>>,
    /// The checkpoint version this store last read or wrote: its writes are conditional on it.
    checkpoint_seen: Mutex<checkpoint::Seen>,
    /// Ended run records kept between listings ([`S3Store::keeping_ended_runs`]).
    ended_runs: Option<Arc<transfer::EndedRuns>>,
    /// Whether taking the lock starts the reads a run makes next ([`S3Store::prefetching`]).
    prefetching: bool,
    /// Those reads, each taken by the call it answers, or dropped when the store writes what it
    /// read.
    prefetched: Mutex<Prefetched>,
    /// Whether a prefetching store holds the lock (taken by it, not yet released).
    holding: std::sync::atomic::AtomicBool,
    /// The checkpoint as last read under the lock this store holds: see
    /// [`Storage::load_checkpoint`].
    checkpoint_held: Mutex<Option<Option<Checkpoint>>>,
    /// A prefetching store's last read of the checkpoint made without the lock, answering the
    /// next such read once (see [`S3Store::prefetching`]).
    checkpoint_again: Mutex<Option<(Option<Checkpoint>, checkpoint::Seen)>>,
}

/// A read started ahead of the call that wants it.
type Pending<T> = tokio::task::JoinHandle<Result<T, StorageError>>;

/// The reads a run makes right after it takes the lock, started together when it does
/// ([`S3Store::prefetching`]).
#[derive(Default)]
struct Prefetched {
    checkpoint: Option<Pending<(Option<Checkpoint>, checkpoint::Seen)>>,
    last_ended_run: Option<Pending<Option<RunRecord>>>,
    state: Option<Pending<TaskStates>>,
    mappings: Option<Pending<Mappings>>,
    /// The listing of `work/` that staging downloads from.
    work: Option<Pending<Vec<transfer::Listed>>>,
}

impl S3Store {
    /// A store with its own multi-thread runtime (two workers: transfers are I/O bound).
    pub fn new(config: S3StoreConfig) -> Result<Self, S3Error> {
        let bridge = AsyncBridge::new("wharf-s3", 2).map_err(S3Error::Runtime)?;
        Self::build(config, Exec(bridge), None)
    }

    /// A store running on a runtime the caller owns, which must be a multi-thread runtime. Call
    /// the store from `spawn_blocking` (or plain threads) rather than from its async tasks.
    pub fn with_handle(config: S3StoreConfig, handle: Handle) -> Result<Self, S3Error> {
        let bridge = AsyncBridge::with_handle(handle)
            .map_err(|e| S3Error::Config(format!("the S3 store: {e}")))?;
        Self::build(config, Exec(bridge), None)
    }

    /// [`S3Store::with_handle`] on an SDK configuration the caller loaded and keeps (the
    /// Lambda's, across invocations): nothing is loaded per store, and its requests share the
    /// caller's connections. The config's endpoint and addressing apply; its region is the
    /// SDK configuration's.
    pub fn with_sdk(
        config: S3StoreConfig,
        sdk: &SdkConfig,
        handle: Handle,
    ) -> Result<Self, S3Error> {
        let bridge = AsyncBridge::with_handle(handle)
            .map_err(|e| S3Error::Config(format!("the S3 store: {e}")))?;
        let client = client_from(sdk, config.endpoint_url.as_deref(), config.force_path_style)
            .map_err(|NoRegion| no_region())?;
        Self::build(config, Exec(bridge), Some(client))
    }

    fn build(config: S3StoreConfig, exec: Exec, client: Option<Client>) -> Result<Self, S3Error> {
        if config.bucket.is_empty() {
            return Err(S3Error::Config("the bucket name is empty".into()));
        }
        // The same rule as the cloud's layout and the Sage jobs (docs/ARCHITECTURE.md, "Keys").
        check_key_name("customer", &config.customer).map_err(S3Error::Config)?;
        check_key_name("workflow", &config.workflow).map_err(S3Error::Config)?;
        let client = match client {
            Some(client) => client,
            None => {
                let (tx, rx) = std::sync::mpsc::sync_channel(1);
                let cfg = config.clone();
                exec.handle().spawn(async move {
                    let _ = tx.send(client_for(&cfg).await);
                });
                rx.recv().map_err(|_| {
                    S3Error::Config("loading the AWS configuration was cancelled".into())
                })??
            }
        };
        let inner = Inner {
            exec,
            client,
            customer_prefix: format!("{}/", config.customer),
            prefix: format!("{}/{}/", config.customer, config.workflow),
            bucket: config.bucket,
            workflow: config.workflow,
        };
        Ok(S3Store {
            inner: Arc::new(inner),
            staged: Mutex::new(HashMap::new()),
            truth: OnceLock::new(),
            checkpoint_seen: Mutex::new(checkpoint::Seen::Unknown),
            ended_runs: None,
            prefetching: false,
            prefetched: Mutex::default(),
            holding: Default::default(),
            checkpoint_held: Mutex::new(None),
            checkpoint_again: Mutex::new(None),
        })
    }

    /// Keeps the ended run records [`Storage::list_runs`] reads, by key and ETag: an ended
    /// run's record does not change, so the next listing reads only the records that are new,
    /// still running, or rewritten (a page of `wharf serve` that shows a long history). A
    /// record that housekeeping removed is forgotten at the next listing.
    pub fn keeping_ended_runs(mut self) -> Self {
        self.ended_runs = Some(Arc::default());
        self
    }

    /// When it takes the run lock, the store starts at once the reads a run makes next — the
    /// checkpoint, the last ended run, the task state, the mappings and the listing of the
    /// working directory — instead of one round trip after another (a run's start in the
    /// Lambda). What it reads is what the calls would read moments later: a read is dropped,
    /// unused, when the store writes what it read (a run record, the state, the checkpoint)
    /// or releases the lock, and a read that failed is made again by its call.
    ///
    /// Before it holds the lock, such a store also answers a read of the checkpoint that
    /// follows another (with no write or lock attempt between them) from that read, once; and
    /// [`S3Store::read_checkpoint_ahead`] starts the first one early. Nothing read without the
    /// lock decides anything for good: whatever acts on it reads the checkpoint again under
    /// the lock (a run, a resume, sending a suspension's message, giving a run up), and taking
    /// the lock drops what was read before.
    pub fn prefetching(mut self) -> Self {
        self.prefetching = true;
        self
    }

    /// Starts reading the checkpoint for the store's next [`Storage::load_checkpoint`] (a
    /// prefetching store not holding the lock; nothing otherwise): the Lambda starts it with
    /// its first requests, so the read does not wait for them.
    pub fn read_checkpoint_ahead(&self) {
        if !self.prefetching || self.holding.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let read = self
            .inner
            .exec
            .handle()
            .spawn(checkpoint::load(self.inner.clone()));
        self.prefetched_lock().checkpoint = Some(read);
    }

    /// Starts the reads of [`S3Store::prefetching`].
    fn prefetch(&self) {
        let inner = &self.inner;
        let handle = inner.exec.handle();
        let (lister, work) = (inner.clone(), inner.key("work/"));
        *self.prefetched_lock() = Prefetched {
            checkpoint: Some(handle.spawn(checkpoint::load(inner.clone()))),
            last_ended_run: Some(handle.spawn(transfer::last_ended_run(inner.clone()))),
            state: Some(handle.spawn(load_state(inner.clone()))),
            mappings: Some(handle.spawn(load_mappings(inner.clone()))),
            work: Some(handle.spawn(async move { lister.list(&work).await })),
        };
    }

    /// The answer of a read started ahead (taken by `pick`), if there is one and it succeeded;
    /// `None` sends the caller to S3 itself.
    fn prefetched<T: Send + 'static>(
        &self,
        pick: impl FnOnce(&mut Prefetched) -> Option<Pending<T>>,
    ) -> Option<T> {
        let pending = pick(&mut self.prefetched_lock())?;
        let got = self.inner.exec.run(async move {
            pending.await.unwrap_or_else(|_| {
                Err(StorageError::Other(
                    "a read started ahead was cancelled".into(),
                ))
            })
        });
        match got {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::debug!("a read started ahead failed ({e}); reading again");
                None
            }
        }
    }

    fn prefetched_lock(&self) -> std::sync::MutexGuard<'_, Prefetched> {
        // Fields are only taken or replaced whole.
        self.prefetched.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn checkpoint_held(&self) -> std::sync::MutexGuard<'_, Option<Option<Checkpoint>>> {
        self.checkpoint_held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// The store wrote the checkpoint: what was read of it before is no answer any more.
    fn forget_checkpoint(&self) {
        self.prefetched_lock().checkpoint = None;
        *self.checkpoint_held() = None;
        *self.checkpoint_again() = None;
    }

    fn checkpoint_again(
        &self,
    ) -> std::sync::MutexGuard<'_, Option<(Option<Checkpoint>, checkpoint::Seen)>> {
        self.checkpoint_again
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// The S3 client the store uses (for tools and tests that inspect the bucket).
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    pub fn bucket(&self) -> &str {
        &self.inner.bucket
    }

    /// `<customer>/<workflow>/`: the prefix every object of this workflow lives under.
    pub fn prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// The object `rel` of this workflow (`<customer>/<workflow>/<rel>`, e.g. `workflow.yaml`,
    /// `work/orders_fail.xml`, `archive/<name>`) read whole; `None` when there is none. `rel`
    /// must be a plain relative key (no empty, `.` or `..` segments): it never leaves the
    /// workflow's prefix. For readers such as `wharf serve`; a run uses [`Storage`].
    pub fn read_object(&self, rel: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let Some(rel) = keys::safe_relative(rel) else {
            return Err(StorageError::Other(format!(
                "`{rel}` is not a key inside the workflow's prefix"
            )));
        };
        let key = self.inner.key(rel);
        self.run(
            move |inner| async move { Ok(inner.get_small(&key).await?.map(|small| small.bytes)) },
        )
    }

    fn run<T: Send + 'static, F>(&self, op: impl FnOnce(Arc<Inner>) -> F) -> Result<T, StorageError>
    where
        F: Future<Output = Result<T, StorageError>> + Send + 'static,
    {
        self.inner.exec.run(op(self.inner.clone()))
    }

    fn checkpoint_seen(&self) -> std::sync::MutexGuard<'_, checkpoint::Seen> {
        // Replaced whole under the lock; a panic elsewhere cannot leave it half-written.
        self.checkpoint_seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn staged(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, workdir::Manifest>> {
        // The map is only inserted into and removed from; a panic elsewhere cannot corrupt it.
        self.staged.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The SDK client ([`client`]) for the config's endpoint, addressing and region.
async fn client_for(config: &S3StoreConfig) -> Result<Client, S3Error> {
    client(
        config.endpoint_url.as_deref(),
        config.force_path_style,
        config.region.as_deref(),
    )
    .await
    .map_err(|NoRegion| no_region())
}

fn no_region() -> S3Error {
    S3Error::Config("no AWS region: set the store's region or AWS_REGION".into())
}

/// The task state (`state.json`); none stored is an empty one.
async fn load_state(inner: Arc<Inner>) -> Result<TaskStates, StorageError> {
    let key = inner.key("state.json");
    match inner.get_small(&key).await? {
        None => Ok(TaskStates::new()),
        Some(obj) => serde_json::from_slice(&obj.bytes).map_err(|e| StorageError::Corrupt {
            what: inner.url(&key),
            message: e.to_string(),
        }),
    }
}

/// The customer's `mappings.yaml`; none stored is an empty one.
async fn load_mappings(inner: Arc<Inner>) -> Result<Mappings, StorageError> {
    let key = format!("{}mappings.yaml", inner.customer_prefix);
    let Some(obj) = inner.get_small(&key).await? else {
        return Ok(Mappings::new());
    };
    let corrupt = |message: String| StorageError::Corrupt {
        what: inner.url(&key),
        message,
    };
    let text = String::from_utf8(obj.bytes).map_err(|e| corrupt(e.to_string()))?;
    serde_saphyr::from_str(&text).map_err(|e| corrupt(e.to_string()))
}

impl Storage for S3Store {
    fn location(&self) -> String {
        self.inner.url(&self.inner.prefix)
    }

    fn stage_workdir(&self) -> Result<StagedWorkdir, StorageError> {
        let listed = self.prefetched(|p| p.work.take());
        let (path, manifest) = self.run(move |inner| workdir::stage(inner, listed))?;
        self.staged().insert(path.clone(), manifest);
        Ok(StagedWorkdir {
            path,
            temporary: true,
        })
    }

    fn commit_workdir(&self, staged: &StagedWorkdir) -> Result<(), StorageError> {
        self.prefetched_lock().work = None;
        let Some(manifest) = self.staged().remove(&staged.path) else {
            return Err(StorageError::Other(format!(
                "{} was not staged by this S3 store (stage_workdir first)",
                staged.path.display()
            )));
        };
        let path = staged.path.clone();
        let kept = manifest.clone();
        match self.run(move |inner| workdir::commit(inner, path, manifest)) {
            Ok(()) => Ok(()),
            Err(e) => {
                // Keep the staged folder and what it was staged from, so a retry can commit it.
                self.staged().insert(staged.path.clone(), kept);
                Err(e)
            }
        }
    }

    /// Uploads what changed since the folder was staged or last synced, and deletes what went;
    /// the folder stays staged (the commit at the end then finds little left to do).
    fn sync_workdir(&self, staged: &Path) -> Result<(), StorageError> {
        self.prefetched_lock().work = None;
        let Some(manifest) = self.staged().get(staged).cloned() else {
            return Err(StorageError::Other(format!(
                "{} was not staged by this S3 store (stage_workdir first)",
                staged.display()
            )));
        };
        let dir = staged.to_path_buf();
        let synced = self.run(move |inner| workdir::sync(inner, dir, manifest))?;
        self.staged().insert(staged.to_path_buf(), synced);
        Ok(())
    }

    fn keep_work_file(&self, staged: &Path, rel: &str) -> Result<(), StorageError> {
        self.prefetched_lock().work = None;
        if !self.staged().contains_key(staged) {
            return Err(StorageError::Other(format!(
                "{} was not staged by this S3 store (stage_workdir first)",
                staged.display()
            )));
        }
        let (dir, rel_owned) = (staged.to_path_buf(), rel.to_string());
        let entry = self.run(move |inner| workdir::keep(inner, dir, rel_owned))?;
        if let Some(manifest) = self.staged().get_mut(staged) {
            manifest.files.insert(rel.to_string(), entry);
        }
        Ok(())
    }

    fn archive_store(&self, local_file: &Path, name: &str) -> Result<(), StorageError> {
        check_archive_name(name)?;
        let (file, name) = (local_file.to_path_buf(), name.to_string());
        self.run(move |inner| transfer::archive_store(inner, file, name))
    }

    fn archive_list(&self) -> Result<Vec<ArchiveEntry>, StorageError> {
        self.run(transfer::archive_list)
    }

    fn archive_remove(&self, name: &str) -> Result<(), StorageError> {
        check_archive_name(name)?;
        let name = name.to_string();
        self.run(move |inner| transfer::archive_remove(inner, name))
    }

    fn put_run(&self, record: &RunRecord) -> Result<(), StorageError> {
        self.prefetched_lock().last_ended_run = None;
        let key = self.inner.key(&format!(
            "runs/{}",
            run_record_name(&record.started, &record.id)
        ));
        let bytes = serde_json::to_vec_pretty(record)
            .map_err(|e| StorageError::Other(format!("serialising run record: {e}")))?;
        self.run(move |inner| async move {
            inner
                .put_bytes(&key, bytes, transfer::Cond::None)
                .await
                .map(drop)
        })
    }

    fn list_runs(&self) -> Result<Vec<RunRecord>, StorageError> {
        let ended = self.ended_runs.clone();
        self.run(move |inner| transfer::list_runs(inner, ended))
    }

    /// See [`transfer::last_ended_run`].
    fn last_ended_run(&self) -> Result<Option<RunRecord>, StorageError> {
        if let Some(found) = self.prefetched(|p| p.last_ended_run.take()) {
            return Ok(found);
        }
        self.run(transfer::last_ended_run)
    }

    fn run_index_before(
        &self,
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<(String, DateTime<Utc>)>, StorageError> {
        self.run(move |inner| async move { transfer::run_index_before(&inner, cutoff).await })
    }

    /// From the listed names alone (`<started>_<id>.json`); a name not in that form is read.
    fn run_index(&self) -> Result<Vec<(String, DateTime<Utc>)>, StorageError> {
        self.run(|inner| async move {
            let mut index = Vec::new();
            for key in transfer::run_keys(&inner).await? {
                match parse_run_record_name(&key) {
                    Some(entry) => index.push(entry),
                    None => match transfer::read_run(&inner, &key).await {
                        Ok(Some(run)) => index.push((run.id, run.started)),
                        Ok(None) => {}
                        Err(e) => transfer::warn_unreadable_run(&e),
                    },
                }
            }
            Ok(index)
        })
    }

    /// The runs looked up by id are the current ones: found among the newest records.
    fn get_run(&self, run_id: &str) -> Result<Option<RunRecord>, StorageError> {
        let run_id = run_id.to_owned();
        self.run(move |inner| async move {
            match transfer::recent_run_key(&inner, &run_id).await? {
                Some(key) => transfer::read_run(&inner, &key).await,
                None => Ok(None),
            }
        })
    }

    /// The runs removed are the oldest (housekeeping): found from the oldest record.
    fn remove_run(&self, run_id: &str) -> Result<(), StorageError> {
        self.prefetched_lock().last_ended_run = None;
        let run_id = run_id.to_owned();
        self.run(move |inner| async move {
            match transfer::oldest_run_key(&inner, &run_id).await? {
                Some(key) => inner.delete_many(vec![key]).await,
                None => Ok(()),
            }
        })
    }

    fn load_state(&self) -> Result<TaskStates, StorageError> {
        if let Some(states) = self.prefetched(|p| p.state.take()) {
            return Ok(states);
        }
        self.run(load_state)
    }

    fn save_state(&self, states: &TaskStates) -> Result<(), StorageError> {
        self.prefetched_lock().state = None;
        let key = self.inner.key("state.json");
        let bytes =
            serde_json::to_vec_pretty(states).map_err(|e| StorageError::Other(e.to_string()))?;
        self.run(move |inner| async move {
            inner
                .put_bytes(&key, bytes, transfer::Cond::None)
                .await
                .map(drop)
        })
    }

    fn truth(&self) -> Result<Arc<dyn TruthStore>, StorageError> {
        let truth = self
            .truth
            .get_or_init(|| Arc::new(S3Truth::new(self.inner.clone())));
        Ok(truth.clone())
    }

    fn mappings(&self) -> Result<Mappings, StorageError> {
        if let Some(mappings) = self.prefetched(|p| p.mappings.take()) {
            return Ok(mappings);
        }
        self.run(load_mappings)
    }

    /// Conditional on the version this store last saw (see the `checkpoint` module): a write
    /// based on a stale read fails instead of overwriting a newer checkpoint.
    fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StorageError> {
        let bytes =
            serde_json::to_vec(checkpoint).map_err(|e| StorageError::Other(e.to_string()))?;
        self.forget_checkpoint();
        let seen = self.checkpoint_seen().clone();
        let now = self.run(move |inner| checkpoint::save(inner, bytes, seen))?;
        *self.checkpoint_seen() = now;
        Ok(())
    }

    /// A prefetching store holding the lock answers from its last read of the checkpoint
    /// until it writes it or lets the lock go: whoever writes the checkpoint holds the lock (a
    /// run, or a short change such as sending a suspension's message), so nothing else can
    /// have changed it meanwhile.
    fn load_checkpoint(&self) -> Result<Option<Checkpoint>, StorageError> {
        if let Some(cp) = self.checkpoint_held().clone() {
            return Ok(cp);
        }
        let again = self.checkpoint_again().take();
        if let Some((cp, seen)) = again {
            *self.checkpoint_seen() = seen;
            return Ok(cp);
        }
        let (cp, seen) = match self.prefetched(|p| p.checkpoint.take()) {
            Some(read) => read,
            None => self.run(checkpoint::load)?,
        };
        *self.checkpoint_seen() = seen.clone();
        if self.holding.load(std::sync::atomic::Ordering::Relaxed) {
            *self.checkpoint_held() = Some(cp.clone());
        } else if self.prefetching {
            // Without the lock: the next read, unless a write or a lock attempt comes first, is
            // answered by this one (see `prefetching`).
            *self.checkpoint_again() = Some((cp.clone(), seen));
        }
        Ok(cp)
    }

    fn clear_checkpoint(&self) -> Result<(), StorageError> {
        self.forget_checkpoint();
        let seen = self.checkpoint_seen().clone();
        let now = self.run(move |inner| checkpoint::clear(inner, seen))?;
        *self.checkpoint_seen() = now;
        Ok(())
    }

    fn acquire_lock(&self, info: &LockInfo) -> Result<Option<String>, StorageError> {
        // Whether it is taken or not, a read from before is no answer after it.
        self.prefetched_lock().checkpoint = None;
        *self.checkpoint_again() = None;
        let info = info.clone();
        let took_over = self.run(move |inner| lock::acquire(inner, info))?;
        if self.prefetching {
            self.holding
                .store(true, std::sync::atomic::Ordering::Relaxed);
            self.prefetch();
        }
        Ok(took_over)
    }

    fn release_lock(&self, run_id: &str) -> Result<(), StorageError> {
        // Nothing read under the lock answers once it is let go.
        self.holding
            .store(false, std::sync::atomic::Ordering::Relaxed);
        *self.prefetched_lock() = Prefetched::default();
        *self.checkpoint_held() = None;
        *self.checkpoint_again() = None;
        let run_id = run_id.to_string();
        self.run(move |inner| lock::release(inner, run_id))
    }
}

/// The workflows `customer` has in `bucket`: the names of the folders under `<customer>/`
/// (sorted), less the customer's own ([`RESERVED_WORKFLOW_NAMES`]). One listing with a delimiter,
/// however many objects the workflows hold.
pub async fn workflow_names(
    client: &Client,
    bucket: &str,
    customer: &str,
) -> Result<Vec<String>, StorageError> {
    check_key_name("customer", customer).map_err(StorageError::Other)?;
    let prefix = format!("{customer}/");
    let mut names = Vec::new();
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(&prefix)
        .delimiter("/")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Cause::of(&e).into_error("ListObjectsV2", bucket, &prefix))?;
        names.extend(page.common_prefixes().iter().filter_map(|p| {
            let name = p.prefix()?.strip_prefix(&prefix)?.strip_suffix('/')?;
            (check_key_name("workflow", name).is_ok() && !RESERVED_WORKFLOW_NAMES.contains(&name))
                .then(|| name.to_owned())
        }));
    }
    names.sort();
    Ok(names)
}
