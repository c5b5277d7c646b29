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
use std::collections::BTreeSet;
use std::future::Future;
use std::path::{Path, PathBuf};
use tokio::runtime::Handle;
use wharf_engine::blocking::AsyncBridge;
use wharf_engine::workflow::{NodeKind, TaskNode};
use wharf_engine::{Runtime, Workflow};
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
}

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

    /// Makes `<folder>/<task>.wasm` current for each task (one path per task, in order):
    /// downloads `<customer>/components/<task>.wasm` unless the local file already has the
    /// object's SHA-256 (its `wharf-sha256` metadata). Then, if `runtime` has a cache dir
    /// without the component's compiled form, downloads it from
    /// `<customer>/components/precompiled/<precompiled_name>` when deployed; when not, the
    /// runtime compiles (and caches) the component itself on load.
    pub fn fetch(&self, runtime: &Runtime, tasks: &[String]) -> Result<Vec<PathBuf>, FetchError> {
        for task in tasks {
            check_name("task", task)?;
        }
        Self::create_dir(&self.folder)?;
        // The manifest (a GET and a KMS Verify) and the components, all at once: a cold start
        // waits for the slowest of them, not for their sum.
        let manifest = self.manifest_key.clone().map(|key| {
            let (client, bucket, object) = (
                self.client.clone(),
                self.bucket.clone(),
                self.layout.manifest(),
            );
            let customer = self.layout.customer().to_string();
            self.bridge.handle().spawn(async move {
                let Some(bytes) = s3::get_bytes(&client, &bucket, &object).await? else {
                    return Err(FetchError::Manifest(ManifestError::Missing {
                        bucket,
                        key: object,
                    }));
                };
                Ok(key.verify(&bytes, &customer).await?)
            })
        });
        let mut pending = Vec::new();
        for task in tasks.iter().collect::<BTreeSet<_>>() {
            let key = self.layout.component(task)?;
            let dest = self.folder.join(format!("{task}.wasm"));
            let (client, bucket) = (self.client.clone(), self.bucket.clone());
            let task = task.clone();
            pending.push(self.bridge.handle().spawn(async move {
                let got = fetch_component(&client, &bucket, &key, &dest).await;
                (task, key, dest, got)
            }));
        }
        // Once the manifest is in (the components still arriving), the precompiled forms the
        // cache lacks are fetched too: their names follow from the components' SHA-256 as the
        // manifest lists them, and every component is checked against that below, so each
        // precompiled form fetched is the one of the component used.
        let manifest = match manifest {
            Some(m) => Some(self.block(m)?.map_err(|_| FetchError::Cancelled)),
            None => None,
        };
        let precompiled = match (&manifest, runtime.cache_dir()) {
            (Some(Ok(Ok(manifest))), Some(cache)) => {
                self.fetch_precompiled(runtime, manifest, cache, tasks)?
            }
            _ => Vec::new(),
        };
        let results = self.join_all(pending)?;
        let checked = self.check_components(results, manifest);
        // The precompiled forms take their names in the cache only when every component
        // checked out, as if they had been fetched after: a fetch that fails leaves the cache
        // as it was.
        let downloads = self.join_all(precompiled)?;
        let mut placed = Ok(());
        for joined in downloads {
            let (key, dest, got) = joined.map_err(|_| FetchError::Cancelled)?;
            let unchecked = unchecked_path(&dest);
            match got {
                Ok(Some(received)) if checked.is_ok() && placed.is_ok() => {
                    placed = std::fs::rename(&unchecked, &dest).map_err(|source| FetchError::Io {
                        what: "placing",
                        path: dest.clone(),
                        source,
                    });
                    tracing::debug!(
                        "precompiled {key} ({} bytes) fetched into {}",
                        received.size,
                        dest.display()
                    );
                }
                Ok(Some(_)) => {}
                Ok(None) => {}
                Err(e) => {
                    if placed.is_ok() {
                        placed = Err(e);
                    }
                }
            }
            let _ = std::fs::remove_file(&unchecked);
        }
        checked?;
        placed?;
        Ok(tasks
            .iter()
            .map(|t| self.folder.join(format!("{t}.wasm")))
            .collect())
    }

    /// The fetched components (`results`), each checked against the manifest when there is one;
    /// the first that is missing or does not match is the error.
    fn check_components(
        &self,
        results: Vec<Result<FetchedComponent, tokio::task::JoinError>>,
        manifest: Option<Result<Result<Manifest, FetchError>, FetchError>>,
    ) -> Result<(), FetchError> {
        // What each component's content is (its SHA-256, known from fetching it).
        let mut fetched = Vec::new();
        for joined in results {
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
        // Without a manifest nothing vouches for precompiled code: the engine compiles the
        // components.
        if let Some(manifest) = manifest {
            let manifest = manifest??;
            for (key, dest, sha256) in &fetched {
                self.check_sha256(&manifest, key, dest, sha256)?;
            }
        }
        Ok(())
    }

    /// Starts downloading the precompiled forms of `tasks`' components that `cache` lacks and
    /// `manifest` lists, named after the components' SHA-256 the manifest gives. Each arrives
    /// beside its name ([`unchecked_path`]) and is checked against the manifest there; the
    /// caller gives it its name once every component checked out, so no unchecked native code
    /// is ever where the runtime loads from.
    fn fetch_precompiled(
        &self,
        runtime: &Runtime,
        manifest: &Manifest,
        cache: &Path,
        tasks: &[String],
    ) -> Result<Vec<PrecompiledDownload>, FetchError> {
        let mut wanted = Vec::new();
        for task in tasks.iter().collect::<BTreeSet<_>>() {
            let Some(digest) = manifest
                .objects
                .get(&self.layout.component(task)?)
                .and_then(|sha| hex::decode(sha).ok())
            else {
                continue; // not listed: the component's own check refuses it
            };
            let name = runtime.precompiled_name_of_digest(&digest);
            let dest = cache.join(&name);
            let key = self.layout.precompiled(&name)?;
            if !dest.exists() && manifest.objects.contains_key(&key) {
                wanted.push((key, dest));
            }
        }
        if !wanted.is_empty() {
            Self::create_dir(cache)?;
        }
        let manifest = std::sync::Arc::new(manifest.clone());
        Ok(wanted
            .into_iter()
            .map(|(key, dest)| {
                let (client, bucket) = (self.client.clone(), self.bucket.clone());
                let manifest = manifest.clone();
                self.bridge.handle().spawn(async move {
                    let got = fetch_checked(&client, &bucket, &key, &dest, &manifest).await;
                    (key, dest, got)
                })
            })
            .collect())
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

/// A precompiled form being downloaded: its key, where it goes, what arrived.
type PrecompiledDownload =
    tokio::task::JoinHandle<(String, PathBuf, Result<Option<Received>, FetchError>)>;

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
