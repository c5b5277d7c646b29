//! In the Lambda: the deployed workflow, its components and their precompiled forms, fetched
//! from the customer's bucket into local folders that outlive one invocation (a warm
//! function keeps its `/tmp`), so a component is downloaded again only when it was redeployed.
//!
//! # Trust
//! A precompiled component is native code, loaded without verification
//! (`Component::deserialize`): whoever could put one in the compile cache could run code
//! outside the sandbox. So a fetcher with a [`ManifestKey`] checks every component and every
//! precompiled form against the signed manifest ([`crate::manifest`]) before it is used, and
//! one without a key fetches no precompiled code at all (the engine compiles the components
//! itself). The function's role may not write `<customer>/components/` either (`infra/`).

use crate::deploy::Deployment;
use crate::layout::{Layout, LayoutError, check_name, check_workflow_name};
use crate::manifest::{Manifest, ManifestError, ManifestKey};
use crate::s3::{self, ClientError};
use aws_sdk_s3::Client;
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::runtime::Handle;
use wharf_engine::blocking::AsyncBridge;
use wharf_engine::runtime::LoadedComponent;
use wharf_engine::workflow::{NodeKind, TaskNode};
use wharf_engine::{Described, LazyComponents, Runtime, Workflow};
use wharf_s3_store::{Received, RequestError};

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{0}")]
    Name(#[from] LayoutError),
    /// The workflow names a task whose component was not deployed.
    #[error(
        "task `{task}`: no component s3://{bucket}/{key} (deploy the workflow with `wharf deploy`)"
    )]
    MissingComponent {
        task: String,
        bucket: String,
        key: String,
    },
    #[error("workflow `{workflow}` is not deployed: no s3://{bucket}/{key}")]
    MissingWorkflow {
        workflow: String,
        bucket: String,
        key: String,
    },
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("s3://{bucket}/{key} is not UTF-8 text")]
    NotText { bucket: String, key: String },
    #[error("{0}")]
    Client(#[from] ClientError),
    #[error("starting the fetcher's runtime: {0}")]
    Runtime(String),
    #[error("a download was cancelled (its task panicked or the runtime shut down)")]
    Cancelled,
    #[error("{0}")]
    Manifest(#[from] ManifestError),
    #[error("{0}")]
    Load(String),
    #[error(
        "task `{task}`: its component s3://{bucket}/{key} does not describe itself as the signed manifest says: redeploy it with `wharf deploy --signing-key`"
    )]
    NotAsDescribed {
        task: String,
        bucket: String,
        key: String,
    },
}

/// The component names a workflow uses, once each, in document order. Components given as a
/// path (with `/` or ending in `.wasm`) are left out: only named ones are deployed.
pub fn tasks_of(workflow: &Workflow) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    workflow.walk(|node| {
        if let NodeKind::Task(TaskNode { component, .. }) = &node.kind
            && !component.contains('/')
            && !component.ends_with(".wasm")
            && seen.insert(component.clone())
        {
            out.push(component.clone());
        }
    });
    out
}

/// Fetches one customer's deployed files from the bucket (see the module documentation).
pub struct ComponentFetcher {
    bridge: AsyncBridge,
    client: Client,
    bucket: String,
    layout: Layout,
    folder: PathBuf,
    /// Checks what is fetched against the signed manifest; without it no precompiled code is
    /// fetched.
    manifest_key: Option<ManifestKey>,
    /// The manifest's fetch and check, started early by [`Self::start_manifest`].
    manifest: Mutex<Option<ManifestFetch>>,
}

/// The signed manifest being fetched and verified.
type ManifestFetch = tokio::task::JoinHandle<Result<Manifest, FetchError>>;

impl ComponentFetcher {
    /// A fetcher with its own runtime (two workers), putting components into `folder`
    /// (e.g. `/tmp/wharf/components`, created when needed).
    pub fn new(
        client: Client,
        bucket: impl Into<String>,
        customer: &str,
        folder: impl Into<PathBuf>,
    ) -> Result<Self, FetchError> {
        let bridge =
            AsyncBridge::new("wharf-fetch", 2).map_err(|e| FetchError::Runtime(e.to_string()))?;
        Self::build(bridge, client, bucket.into(), customer, folder.into())
    }

    /// A fetcher on a runtime the caller owns (a multi-thread one: calls block their thread).
    pub fn with_handle(
        handle: Handle,
        client: Client,
        bucket: impl Into<String>,
        customer: &str,
        folder: impl Into<PathBuf>,
    ) -> Result<Self, FetchError> {
        let bridge = AsyncBridge::with_handle(handle).map_err(FetchError::Runtime)?;
        Self::build(bridge, client, bucket.into(), customer, folder.into())
    }

    /// A fetcher for `deployment`'s bucket and customer, with its own runtime and a client
    /// built from the deployment's S3 settings.
    pub fn for_deployment(
        deployment: &Deployment,
        folder: impl Into<PathBuf>,
    ) -> Result<Self, FetchError> {
        let bridge =
            AsyncBridge::new("wharf-fetch", 2).map_err(|e| FetchError::Runtime(e.to_string()))?;
        let d = deployment.clone();
        let client = bridge
            .run(async move { d.client().await })
            .ok_or(FetchError::Cancelled)??;
        Self::build(
            bridge,
            client,
            deployment.bucket.clone(),
            &deployment.customer,
            folder.into(),
        )
    }

    fn build(
        bridge: AsyncBridge,
        client: Client,
        bucket: String,
        customer: &str,
        folder: PathBuf,
    ) -> Result<Self, FetchError> {
        Ok(ComponentFetcher {
            bridge,
            client,
            bucket,
            layout: Layout::new(customer)?,
            folder,
            manifest_key: None,
            manifest: Mutex::new(None),
        })
    }

    /// Checks every component and precompiled form against the manifest `key` signed.
    pub fn verified_by(mut self, key: ManifestKey) -> Self {
        self.manifest_key = Some(key);
        self
    }

    /// Checks the local file `path` (fetched from `key`, its content's SHA-256 `sha256`)
    /// against `manifest`; a file that does not match is removed, so it is never used.
    fn check_sha256(
        &self,
        manifest: &Manifest,
        key: &str,
        path: &Path,
        sha256: &str,
    ) -> Result<(), FetchError> {
        manifest
            .check(&self.bucket, key, sha256)
            .inspect_err(|_| {
                let _ = std::fs::remove_file(path);
            })
            .map_err(FetchError::from)
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Where components are put: the folder to give the engine's `ComponentSource`.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    fn block<T: Send + 'static>(
        &self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, FetchError> {
        self.bridge.run(fut).ok_or(FetchError::Cancelled)
    }

    /// Waits for every task of `handles`, in order.
    fn join_all<T: Send + 'static>(
        &self,
        handles: Vec<tokio::task::JoinHandle<T>>,
    ) -> Result<Vec<Result<T, tokio::task::JoinError>>, FetchError> {
        self.block(async move {
            let mut out = Vec::new();
            for h in handles {
                out.push(h.await);
            }
            out
        })
    }

    fn create_dir(dir: &Path) -> Result<(), FetchError> {
        std::fs::create_dir_all(dir).map_err(|source| FetchError::Io {
            what: "creating",
            path: dir.to_path_buf(),
            source,
        })
    }

    /// Makes each task's component (one path per task, in order: `<folder>/<task>.wasm`)
    /// loadable by `runtime`.
    ///
    /// With a signed manifest and a compile cache, a component the manifest lists a precompiled
    /// form for is served by that form alone: named from the component's SHA-256 as the
    /// manifest pins it, taken from the cache or downloaded and checked against the manifest,
    /// and loaded into `runtime` here ([`Runtime::load_precompiled`]) as the task's path — its
    /// `.wasm` is neither downloaded nor read. Every other component is made current as
    /// `<folder>/<task>.wasm`: downloaded from `<customer>/components/<task>.wasm` unless the
    /// local file already has the object's SHA-256 (its `wharf-sha256` metadata), and checked
    /// against the manifest when there is one; the runtime compiles (and caches) it on load.
    pub fn fetch(&self, runtime: &Runtime, tasks: &[String]) -> Result<Vec<PathBuf>, FetchError> {
        check_task_names(tasks)?;
        Self::create_dir(&self.folder)?;
        let unique: Vec<String> = tasks
            .iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .cloned()
            .collect();
        let started = std::time::Instant::now();
        let manifest = self.take_manifest();
        let (manifest, cache) = match (manifest, runtime.cache_dir()) {
            (Some(m), Some(cache)) => (m, cache),
            // No precompiled code to use: the components and the manifest at once, so a cold
            // start waits for the slowest of them, not for their sum.
            (manifest, _) => {
                let pending = self.spawn_components(&unique)?;
                let manifest = match manifest {
                    Some(m) => Some(self.block(m)?.map_err(|_| FetchError::Cancelled)),
                    None => None,
                };
                let fetched = self.fetched_components(pending)?;
                if let Some(manifest) = manifest {
                    self.check_components(&manifest??, &fetched)?;
                }
                return Ok(self.paths(tasks));
            }
        };
        // The manifest first: it says which components come precompiled.
        let manifest = self.block(manifest)?.map_err(|_| FetchError::Cancelled)??;
        let fetched_manifest = started.elapsed();
        self.fetch_listed(
            runtime,
            cache,
            Arc::new(manifest),
            unique,
            (started, fetched_manifest),
        )?;
        Ok(self.paths(tasks))
    }

    /// The manifest's fetch and check: the one [`Self::start_manifest`] started, else a new one
    /// (`None` without a signing key).
    fn take_manifest(&self) -> Option<ManifestFetch> {
        let started_early = self
            .manifest
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        started_early.or_else(|| self.spawn_manifest())
    }

    /// [`Self::fetch`] of the components `unique` (each once) with the verified `manifest` and
    /// the compile cache `cache`; `times`: when the fetch started and how long the manifest
    /// took (for the log line).
    fn fetch_listed(
        &self,
        runtime: &Runtime,
        cache: &Path,
        manifest: Arc<Manifest>,
        unique: Vec<String>,
        times: (std::time::Instant, std::time::Duration),
    ) -> Result<(), FetchError> {
        let (started, fetched_manifest) = times;
        let mut from_cache = Vec::new();
        let mut wanted = Vec::new();
        let mut as_wasm = Vec::new();
        for task in unique {
            match self.precompiled_of(runtime, &manifest, cache, &task)? {
                Some((digest, _, dest)) if dest.exists() => from_cache.push((task, digest)),
                Some((digest, key, dest)) if manifest.objects.contains_key(&key) => {
                    wanted.push((task, digest, key, dest))
                }
                // Not listed (its own check refuses it), or nothing deployed precompiled.
                _ => as_wasm.push(task),
            }
        }
        let in_cache = from_cache.len();
        let mut pending = self.spawn_components(&as_wasm)?;
        if !wanted.is_empty() {
            Self::create_dir(cache)?;
        }
        let downloads: Vec<_> = wanted
            .into_iter()
            .map(|(task, digest, key, dest)| {
                let (client, bucket) = (self.client.clone(), self.bucket.clone());
                let manifest = manifest.clone();
                self.bridge.handle().spawn(async move {
                    let got = fetch_checked(&client, &bucket, &key, &dest, &manifest).await;
                    (task, digest, key, dest, got)
                })
            })
            .collect();
        let mut downloaded = Vec::new();
        let mut failed = Ok(());
        let mut bytes = 0;
        for joined in self.join_all(downloads)? {
            let (task, digest, key, dest, got) = joined.map_err(|_| FetchError::Cancelled)?;
            match got {
                Ok(Some(received)) => {
                    bytes += received.size;
                    downloaded.push((task, digest, key, dest));
                }
                // Listed but gone: the component itself, compiled here.
                Ok(None) => {
                    as_wasm.push(task.clone());
                    pending.extend(self.spawn_components(&[task])?);
                }
                Err(e) => {
                    if failed.is_ok() {
                        failed = Err(e);
                    }
                }
            }
        }
        let checked = failed.and_then(|()| {
            let fetched = self.fetched_components(pending)?;
            self.check_components(&manifest, &fetched)
        });
        // The precompiled forms take their names in the cache only when every component
        // checked out: a fetch that fails leaves the cache as it was, and no unchecked native
        // code is ever where the runtime loads from.
        let mut placed = checked;
        for (task, digest, key, dest) in downloaded {
            let unchecked = unchecked_path(&dest);
            if placed.is_ok() {
                placed = std::fs::rename(&unchecked, &dest).map_err(|source| FetchError::Io {
                    what: "placing",
                    path: dest.clone(),
                    source,
                });
                tracing::debug!("precompiled {key} fetched into {}", dest.display());
                from_cache.push((task, digest));
            }
            let _ = std::fs::remove_file(&unchecked);
        }
        placed?;
        let fetched = started.elapsed();
        // Loaded on every core at once; one that does not load is fetched as a component
        // instead (checked, then compiled here).
        let unusable: Vec<String> = std::thread::scope(|s| {
            let loads: Vec<_> = from_cache
                .iter()
                .map(|(task, digest)| {
                    let path = self.folder.join(format!("{task}.wasm"));
                    s.spawn(move || match runtime.load_precompiled(&path, digest) {
                        Ok(_) => None,
                        Err(e) => {
                            tracing::warn!("component `{task}`: {e}; fetching its .wasm instead");
                            Some(task.clone())
                        }
                    })
                })
                .collect();
            loads
                .into_iter()
                .filter_map(|h| h.join().ok().flatten())
                .collect()
        });
        if !unusable.is_empty() {
            let fetched = self.fetched_components(self.spawn_components(&unusable)?)?;
            self.check_components(&manifest, &fetched)?;
        }
        tracing::info!(
            target: "wharf_cloud::phases",
            "components: manifest {:.1} ms, {} precompiled ({} from the cache, {bytes} bytes fetched), {} as .wasm, fetched at {:.1} ms, loaded at {:.1} ms",
            fetched_manifest.as_secs_f64() * 1e3,
            from_cache.len(),
            in_cache,
            as_wasm.len() + unusable.len(),
            fetched.as_secs_f64() * 1e3,
            started.elapsed().as_secs_f64() * 1e3,
        );
        Ok(())
    }

    /// [`Self::fetch`], leaving to later each component the signed manifest describes: with a
    /// signing key and a compile cache, a task's component whose description (its `describe`
    /// answer, bound to its SHA-256) the manifest carries is neither fetched nor loaded here —
    /// the returned [`LazyFetch`] gives the engine its description, and fetches, checks and
    /// loads it when a task first calls it ([`wharf_engine::LazyComponents`]). The others are
    /// fetched and loaded as [`Self::fetch`] does; their paths are returned. Without a key or a
    /// cache this is [`Self::fetch`] (and no `LazyFetch`).
    pub fn fetch_lazily(
        self: &Arc<Self>,
        runtime: &Runtime,
        tasks: &[String],
    ) -> Result<(Vec<PathBuf>, Option<LazyFetch>), FetchError> {
        let (Some(cache), true) = (runtime.cache_dir(), self.manifest_key.is_some()) else {
            return Ok((self.fetch(runtime, tasks)?, None));
        };
        check_task_names(tasks)?;
        let started = std::time::Instant::now();
        let manifest = self.take_manifest().ok_or(FetchError::Cancelled)?;
        let manifest = Arc::new(self.block(manifest)?.map_err(|_| FetchError::Cancelled)??);
        let fetched_manifest = started.elapsed();
        let mut described = BTreeSet::new();
        let mut eager = BTreeSet::new();
        for task in tasks {
            match manifest.description(&self.layout.component(task)?) {
                Some(_) => described.insert(task.clone()),
                None => eager.insert(task.clone()),
            };
        }
        let eager: Vec<String> = eager.into_iter().collect();
        if !eager.is_empty() {
            Self::create_dir(&self.folder)?;
            self.fetch_listed(
                runtime,
                cache,
                manifest.clone(),
                eager.clone(),
                (started, fetched_manifest),
            )?;
        }
        tracing::info!(
            target: "wharf_cloud::phases",
            "components: manifest {:.1} ms, {} described (fetched and loaded when a task first calls one), {} fetched now",
            fetched_manifest.as_secs_f64() * 1e3,
            described.len(),
            eager.len(),
        );
        let lazy = LazyFetch {
            fetcher: self.clone(),
            manifest,
            cache: cache.to_path_buf(),
            pending: Mutex::default(),
        };
        Ok((self.paths(&eager), Some(lazy)))
    }

    /// Starts fetching and verifying the signed manifest (with a signing key; nothing
    /// otherwise), for the next [`Self::fetch`]: a caller that knows it will fetch components
    /// starts this alongside its own first requests (the workflow file), so the components
    /// wait for one round trip less.
    pub fn start_manifest(&self) {
        let fetch = self.spawn_manifest();
        *self.manifest.lock().unwrap_or_else(|p| p.into_inner()) = fetch;
    }

    fn spawn_manifest(&self) -> Option<ManifestFetch> {
        let key = self.manifest_key.clone()?;
        let (client, bucket, object) = (
            self.client.clone(),
            self.bucket.clone(),
            self.layout.manifest(),
        );
        let customer = self.layout.customer().to_string();
        Some(self.bridge.handle().spawn(async move {
            let Some(bytes) = s3::get_bytes(&client, &bucket, &object).await? else {
                return Err(FetchError::Manifest(ManifestError::Missing {
                    bucket,
                    key: object,
                }));
            };
            Ok(key.verify(&bytes, &customer).await?)
        }))
    }

    /// `<folder>/<task>.wasm` for each task, in order.
    fn paths(&self, tasks: &[String]) -> Vec<PathBuf> {
        tasks
            .iter()
            .map(|t| self.folder.join(format!("{t}.wasm")))
            .collect()
    }

    /// The precompiled form of `task`'s component as `manifest` pins it: the component's
    /// SHA-256, the form's key and its place in `cache`; `None` when the manifest does not list
    /// the component.
    fn precompiled_of(
        &self,
        runtime: &Runtime,
        manifest: &Manifest,
        cache: &Path,
        task: &str,
    ) -> Result<Option<(Vec<u8>, String, PathBuf)>, FetchError> {
        let Some(digest) = manifest
            .objects
            .get(&self.layout.component(task)?)
            .and_then(|sha| hex::decode(sha).ok())
        else {
            return Ok(None);
        };
        let name = runtime.precompiled_name_of_digest(&digest);
        let key = self.layout.precompiled(&name)?;
        Ok(Some((digest, key, cache.join(name))))
    }

    /// Starts making `<folder>/<task>.wasm` current for each of `tasks`.
    fn spawn_components(
        &self,
        tasks: &[String],
    ) -> Result<Vec<tokio::task::JoinHandle<FetchedComponent>>, FetchError> {
        let mut pending = Vec::new();
        for task in tasks {
            let key = self.layout.component(task)?;
            let dest = self.folder.join(format!("{task}.wasm"));
            let (client, bucket) = (self.client.clone(), self.bucket.clone());
            let task = task.clone();
            pending.push(self.bridge.handle().spawn(async move {
                let got = fetch_component(&client, &bucket, &key, &dest).await;
                (task, key, dest, got)
            }));
        }
        Ok(pending)
    }

    /// The components being fetched (`pending`): each one's key, local path and content's
    /// SHA-256 (known from fetching it); the first that is missing is the error.
    fn fetched_components(
        &self,
        pending: Vec<tokio::task::JoinHandle<FetchedComponent>>,
    ) -> Result<Vec<(String, PathBuf, String)>, FetchError> {
        let mut fetched = Vec::new();
        for joined in self.join_all(pending)? {
            let (task, key, dest, got) = joined.map_err(|_| FetchError::Cancelled)?;
            match got? {
                Some(f) => {
                    match f.downloaded {
                        Some(size) => {
                            tracing::debug!("component `{task}`: downloaded {key} ({size} bytes)")
                        }
                        None => tracing::debug!("component `{task}`: the local copy is current"),
                    }
                    fetched.push((key, dest, f.sha256));
                }
                None => {
                    return Err(FetchError::MissingComponent {
                        task,
                        bucket: self.bucket.clone(),
                        key,
                    });
                }
            }
        }
        Ok(fetched)
    }

    /// Checks each fetched component against `manifest`; one that does not match is removed and
    /// is the error.
    fn check_components(
        &self,
        manifest: &Manifest,
        fetched: &[(String, PathBuf, String)],
    ) -> Result<(), FetchError> {
        for (key, dest, sha256) in fetched {
            self.check_sha256(manifest, key, dest, sha256)?;
        }
        Ok(())
    }

    /// Downloads `<customer>/<workflow>/workflow.yaml` to `<local_dir>/<workflow>.yaml` (its
    /// identity, `Workflow::store_name`, is the `<workflow>` it was deployed under), always
    /// afresh: a redeploy takes effect on the next invocation.
    pub fn fetch_workflow(&self, workflow: &str, local_dir: &Path) -> Result<PathBuf, FetchError> {
        Ok(self.fetch_workflow_and(workflow, local_dir, None)?.0)
    }

    /// [`Self::fetch_workflow`] and, at the same time, [`Self::fetch_text`] of `text_key`: an
    /// invocation waits for one round trip, not two, before it can start.
    pub fn fetch_workflow_and_text(
        &self,
        workflow: &str,
        local_dir: &Path,
        text_key: &str,
    ) -> Result<(PathBuf, Option<String>), FetchError> {
        self.fetch_workflow_and(workflow, local_dir, Some(text_key))
    }

    fn fetch_workflow_and(
        &self,
        workflow: &str,
        local_dir: &Path,
        text_key: Option<&str>,
    ) -> Result<(PathBuf, Option<String>), FetchError> {
        check_workflow_name(workflow)?;
        let key = self.layout.workflow(workflow)?;
        Self::create_dir(local_dir)?;
        let dest = local_dir.join(format!("{workflow}.yaml"));
        let (client, bucket, k, d) = (
            self.client.clone(),
            self.bucket.clone(),
            key.clone(),
            dest.clone(),
        );
        let t = text_key.map(str::to_string);
        let (file, text) = self.block(async move {
            let text = async {
                match &t {
                    Some(t) => s3::get_bytes(&client, &bucket, t).await,
                    None => Ok(None),
                }
            };
            tokio::join!(s3::download(&client, &bucket, &k, &d), text)
        })?;
        if file?.is_none() {
            return Err(FetchError::MissingWorkflow {
                workflow: workflow.to_string(),
                bucket: self.bucket.clone(),
                key,
            });
        }
        let text = match text_key {
            Some(k) => self.text(k, text?)?,
            None => None,
        };
        Ok((dest, text))
    }

    /// A small text object (e.g. [`Layout::connections`]); `None` if it does not exist.
    pub fn fetch_text(&self, key: &str) -> Result<Option<String>, FetchError> {
        let (client, bucket, k) = (self.client.clone(), self.bucket.clone(), key.to_string());
        let got = self.block(async move { s3::get_bytes(&client, &bucket, &k).await })??;
        self.text(key, got)
    }

    /// The object at `key`'s bytes as text.
    fn text(&self, key: &str, bytes: Option<Vec<u8>>) -> Result<Option<String>, FetchError> {
        bytes
            .map(|bytes| {
                String::from_utf8(bytes).map_err(|_| FetchError::NotText {
                    bucket: self.bucket.clone(),
                    key: key.to_string(),
                })
            })
            .transpose()
    }
}

/// A component being fetched: its task, key, local path and what arrived.
type FetchedComponent = (
    String,
    String,
    PathBuf,
    Result<Option<Fetched>, RequestError>,
);

/// The components a signed manifest describes, fetched, checked against it and loaded when a
/// task first calls one ([`ComponentFetcher::fetch_lazily`]). A component the manifest lists a
/// precompiled form for is served by that form alone (from the compile cache, or fetched and
/// checked, then placed there), as in [`ComponentFetcher::fetch`]; a form missing in the bucket
/// or one that does not load falls back to the checked `.wasm`, compiled here. The loaded
/// component must describe itself as the manifest says, or it is refused.
pub struct LazyFetch {
    fetcher: Arc<ComponentFetcher>,
    manifest: Arc<Manifest>,
    cache: PathBuf,
    /// Precompiled forms being fetched ahead ([`LazyFetch::fetch_ahead`]), by task.
    pending: Mutex<HashMap<String, PrecompiledFetch>>,
}

/// A precompiled form being fetched and checked (see [`fetch_checked`]).
type PrecompiledFetch = tokio::task::JoinHandle<Result<Option<Received>, FetchError>>;

impl LazyFetch {
    /// Starts fetching (and checking) `task`'s precompiled form if it is neither in the cache
    /// nor on its way, so a task about to call it waits less; nothing is loaded yet.
    pub fn fetch_ahead(&self, runtime: &Runtime, task: &str) {
        if let Ok(Some((_, key, dest))) = self.precompiled(runtime, task)
            && !dest.exists()
        {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            if !pending.contains_key(task) {
                pending.insert(task.to_string(), self.spawn_precompiled(key, dest));
            }
        }
    }

    /// The precompiled form the manifest lists for `task`'s component: its SHA-256, the
    /// form's key and place in the cache; `None` when it lists none.
    fn precompiled(
        &self,
        runtime: &Runtime,
        task: &str,
    ) -> Result<Option<(Vec<u8>, String, PathBuf)>, FetchError> {
        Ok(self
            .fetcher
            .precompiled_of(runtime, &self.manifest, &self.cache, task)?
            .filter(|(_, key, _)| self.manifest.objects.contains_key(key)))
    }

    fn spawn_precompiled(&self, key: String, dest: PathBuf) -> PrecompiledFetch {
        let f = &self.fetcher;
        let (client, bucket, manifest) =
            (f.client.clone(), f.bucket.clone(), self.manifest.clone());
        f.bridge.handle().spawn(async move {
            let _ = tokio::fs::create_dir_all(dest.parent().unwrap_or(Path::new("."))).await;
            fetch_checked(&client, &bucket, &key, &dest, &manifest).await
        })
    }

    /// Loads `task`'s component into `runtime` (see the type's documentation).
    fn load_component(
        &self,
        runtime: &Runtime,
        task: &str,
    ) -> Result<Arc<LoadedComponent>, FetchError> {
        let started = std::time::Instant::now();
        let f = &self.fetcher;
        let path = f.folder.join(format!("{task}.wasm"));
        let mut how = "precompiled, from the cache";
        let mut precompiled = None;
        if let Some((digest, key, dest)) = self.precompiled(runtime, task)? {
            let ahead = self
                .pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(task);
            let fetching = match ahead {
                Some(fetch) => Some(fetch),
                None if !dest.exists() => Some(self.spawn_precompiled(key.clone(), dest.clone())),
                None => None,
            };
            let present = match fetching {
                None => true,
                Some(fetch) => match f.block(fetch)?.map_err(|_| FetchError::Cancelled)?? {
                    // Checked against the manifest: placed in the cache under its name.
                    Some(_) => {
                        how = "precompiled, fetched";
                        std::fs::rename(unchecked_path(&dest), &dest).map_err(|source| {
                            FetchError::Io {
                                what: "placing",
                                path: dest.clone(),
                                source,
                            }
                        })?;
                        true
                    }
                    // Listed but gone: the component itself, compiled here.
                    None => false,
                },
            };
            if present {
                match runtime.load_precompiled(&path, &digest) {
                    Ok(c) => precompiled = Some(c),
                    Err(e) => {
                        tracing::warn!("component `{task}`: {e}; fetching its .wasm instead")
                    }
                }
            }
        }
        let loaded = match precompiled {
            Some(c) => c,
            None => {
                how = "as .wasm";
                Self::create_dir_of(&path)?;
                let fetched = f.fetched_components(f.spawn_components(&[task.to_string()])?)?;
                f.check_components(&self.manifest, &fetched)?;
                runtime
                    .load(&path)
                    .map_err(|e| FetchError::Load(e.to_string()))?
            }
        };
        let key = f.layout.component(task)?;
        if self.manifest.description(&key).map(|d| &d.info) != Some(&loaded.info) {
            return Err(FetchError::NotAsDescribed {
                task: task.to_string(),
                bucket: f.bucket.clone(),
                key,
            });
        }
        tracing::info!(
            target: "wharf_cloud::phases",
            "component `{task}`: {how}, loaded in {:.1} ms",
            started.elapsed().as_secs_f64() * 1e3
        );
        Ok(loaded)
    }

    fn create_dir_of(path: &Path) -> Result<(), FetchError> {
        ComponentFetcher::create_dir(path.parent().unwrap_or(Path::new(".")))
    }
}

impl LazyComponents for LazyFetch {
    fn describe(&self, name: &str) -> Option<Described> {
        let key = self.fetcher.layout.component(name).ok()?;
        let d = self.manifest.description(&key)?;
        Some(Described {
            info: d.info.clone(),
            sha256: d.sha256.clone(),
        })
    }

    fn load(&self, runtime: &Runtime, name: &str) -> Result<Arc<LoadedComponent>, String> {
        self.load_component(runtime, name).map_err(|e| match e {
            // These name the task already.
            FetchError::MissingComponent { .. } | FetchError::NotAsDescribed { .. } => {
                e.to_string()
            }
            e => format!("component `{name}`: {e}"),
        })
    }
}

/// Every task name is one a component may have, before any is fetched.
fn check_task_names(tasks: &[String]) -> Result<(), LayoutError> {
    tasks.iter().try_for_each(|task| check_name("task", task))
}

/// Where a precompiled form waits, beside its name in the cache, until the fetch that
/// downloaded it has checked every component.
fn unchecked_path(dest: &Path) -> PathBuf {
    dest.with_extension("unchecked")
}

/// Downloads `key` beside `dest` ([`unchecked_path`]) and keeps it only if `manifest` vouches
/// for what arrived; `None` if there is no such object.
async fn fetch_checked(
    client: &Client,
    bucket: &str,
    key: &str,
    dest: &Path,
    manifest: &Manifest,
) -> Result<Option<Received>, FetchError> {
    let unchecked = unchecked_path(dest);
    let Some(received) = s3::download(client, bucket, key, &unchecked).await? else {
        return Ok(None);
    };
    if let Err(e) = manifest.check(bucket, key, &received.sha256) {
        let _ = tokio::fs::remove_file(&unchecked).await;
        return Err(e.into());
    }
    Ok(Some(received))
}

/// A component made current locally: its content's SHA-256, and its size if it was downloaded
/// (`None`: the local copy already had the object's content).
struct Fetched {
    sha256: String,
    downloaded: Option<u64>,
}

impl Fetched {
    fn downloaded(received: Received) -> Fetched {
        Fetched {
            sha256: received.sha256,
            downloaded: Some(received.size),
        }
    }
}

/// Makes `dest` hold the object at `key`; `None` if there is no such object.
async fn fetch_component(
    client: &Client,
    bucket: &str,
    key: &str,
    dest: &Path,
) -> Result<Option<Fetched>, RequestError> {
    // Without a local copy there is nothing to compare: one GET (a cold sandbox's case).
    if !dest.is_file() {
        return Ok(s3::download(client, bucket, key, dest)
            .await?
            .map(Fetched::downloaded));
    }
    let Some(head) = s3::head(client, bucket, key).await? else {
        return Ok(None);
    };
    if let Some(sha) = head.sha256 {
        let d = dest.to_path_buf();
        let local = tokio::task::spawn_blocking(move || s3::sha256_file(&d))
            .await
            .ok()
            .flatten();
        if local.as_ref() == Some(&sha) {
            return Ok(Some(Fetched {
                sha256: sha,
                downloaded: None,
            }));
        }
    }
    // A delete between HEAD and GET reads as missing, as it should.
    Ok(s3::download(client, bucket, key, dest)
        .await?
        .map(Fetched::downloaded))
}
