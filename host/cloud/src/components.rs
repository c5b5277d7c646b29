//! In the Lambda: the deployed workflow, its components and their precompiled forms, fetched
//! from the customer's bucket into local folders that outlive one invocation (a warm
//! function keeps its `/tmp`), so a component is downloaded again only when it was redeployed.
//!
//! # Trust
//! A precompiled component is native code, loaded without verification
//! (`Component::deserialize`): whoever can write `<customer>/components/precompiled/` can run
//! code outside the sandbox. Only the deployer (and the Lambda's role) may write there.

use crate::deploy::Deployment;
use crate::layout::{Layout, LayoutError, check_name, check_workflow_name};
use crate::s3::{self, ClientError};
use aws_sdk_s3::Client;
use std::collections::BTreeSet;
use std::future::Future;
use std::path::{Path, PathBuf};
use tokio::runtime::Handle;
use wharf_engine::blocking::AsyncBridge;
use wharf_engine::workflow::NodeKind;
use wharf_engine::{Runtime, Workflow};
use wharf_s3_store::{Cause, RequestError};

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
}

/// The component names a workflow uses, once each, in document order. Components given as a
/// path (with `/` or ending in `.wasm`) are left out: only named ones are deployed.
pub fn tasks_of(workflow: &Workflow) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    workflow.walk(|node| {
        if let NodeKind::Task { component, .. } = &node.kind
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
        })
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
        // The components, concurrently.
        let mut pending = Vec::new();
        for task in tasks.iter().collect::<BTreeSet<_>>() {
            let key = self.layout.component(task)?;
            let dest = self.folder.join(format!("{task}.wasm"));
            let (client, bucket) = (self.client.clone(), self.bucket.clone());
            let task = task.clone();
            pending.push(self.bridge.handle().spawn(async move {
                let got = fetch_component(&client, &bucket, &key, &dest).await;
                (task, key, got)
            }));
        }
        let results = self.block(async move {
            let mut out = Vec::new();
            for p in pending {
                out.push(p.await);
            }
            out
        })?;
        for joined in results {
            let (task, key, got) = joined.map_err(|_| FetchError::Cancelled)?;
            match got? {
                Some(Some(size)) => {
                    tracing::debug!("component `{task}`: downloaded {key} ({size} bytes)")
                }
                Some(None) => tracing::debug!("component `{task}`: the local copy is current"),
                None => {
                    return Err(FetchError::MissingComponent {
                        task,
                        bucket: self.bucket.clone(),
                        key,
                    });
                }
            }
        }
        let paths: Vec<PathBuf> = tasks
            .iter()
            .map(|t| self.folder.join(format!("{t}.wasm")))
            .collect();

        // Their precompiled forms, where the cache lacks them.
        let Some(cache) = runtime.cache_dir() else {
            return Ok(paths);
        };
        let mut wanted = Vec::new();
        for path in paths.iter().collect::<BTreeSet<_>>() {
            let wasm = std::fs::read(path).map_err(|source| FetchError::Io {
                what: "reading",
                path: path.clone(),
                source,
            })?;
            let name = runtime.precompiled_name(&wasm);
            let dest = cache.join(&name);
            if !dest.exists() {
                wanted.push((self.layout.precompiled(&name)?, dest));
            }
        }
        if wanted.is_empty() {
            return Ok(paths);
        }
        Self::create_dir(cache)?;
        let (client, bucket) = (self.client.clone(), self.bucket.clone());
        let results = self.block(async move {
            let mut tasks = Vec::new();
            for (key, dest) in wanted {
                let (client, bucket) = (client.clone(), bucket.clone());
                tasks.push(tokio::spawn(async move {
                    s3::download(&client, &bucket, &key, &dest)
                        .await
                        .map(|got| {
                            if let Some(size) = got {
                                tracing::debug!(
                                    "precompiled {key} ({size} bytes) fetched into {}",
                                    dest.display()
                                );
                            }
                        })
                }));
            }
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await);
            }
            out
        })?;
        for r in results {
            r.map_err(|_| FetchError::Cancelled)??;
        }
        Ok(paths)
    }

    /// Downloads `<customer>/<workflow>/workflow.yaml` to `<local_dir>/<workflow>.yaml` (its
    /// identity, `Workflow::store_name`, is the `<workflow>` it was deployed under), always
    /// afresh: a redeploy takes effect on the next invocation.
    pub fn fetch_workflow(&self, workflow: &str, local_dir: &Path) -> Result<PathBuf, FetchError> {
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
        match self.block(async move { s3::download(&client, &bucket, &k, &d).await })?? {
            Some(_) => Ok(dest),
            None => Err(FetchError::MissingWorkflow {
                workflow: workflow.to_string(),
                bucket: self.bucket.clone(),
                key,
            }),
        }
    }

    /// A small text object (e.g. [`Layout::connections`]); `None` if it does not exist.
    pub fn fetch_text(&self, key: &str) -> Result<Option<String>, FetchError> {
        let (client, bucket, k) = (self.client.clone(), self.bucket.clone(), key.to_string());
        let got = self.block(async move {
            match client.get_object().bucket(&bucket).key(&k).send().await {
                Ok(o) => match o.body.collect().await {
                    Ok(b) => Ok(Some(b.into_bytes().to_vec())),
                    Err(e) => Err(Cause::text(e.to_string()).request("GetObject", &bucket, &k)),
                },
                Err(e) => s3::not_found_or(e, "GetObject", &bucket, &k),
            }
        })??;
        got.map(|bytes| {
            String::from_utf8(bytes).map_err(|_| FetchError::NotText {
                bucket: self.bucket.clone(),
                key: key.to_string(),
            })
        })
        .transpose()
    }
}

/// Makes `dest` hold the object at `key`: `Some(Some(bytes))` downloaded, `Some(None)` the
/// local copy already had the object's SHA-256, `None` no such object.
async fn fetch_component(
    client: &Client,
    bucket: &str,
    key: &str,
    dest: &Path,
) -> Result<Option<Option<u64>>, RequestError> {
    let Some(head) = s3::head(client, bucket, key).await? else {
        return Ok(None);
    };
    if let Some(sha) = &head.sha256
        && dest.is_file()
    {
        let d = dest.to_path_buf();
        let local = tokio::task::spawn_blocking(move || s3::sha256_file(&d))
            .await
            .ok()
            .flatten();
        if local.as_ref() == Some(sha) {
            return Ok(Some(None));
        }
    }
    // A delete between HEAD and GET reads as missing, as it should.
    Ok(s3::download(client, bucket, key, dest).await?.map(Some))
}
