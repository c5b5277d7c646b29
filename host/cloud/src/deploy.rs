//! `wharf deploy`: checks a workflow with the local engine, then puts it, its components (plain
//! and precompiled), and optionally the customer's connections and mappings files into the
//! customer's bucket (layout in [`crate::layout`]).
//!
//! Nothing is uploaded unless the workflow prepares cleanly and every file to upload is valid.
//! Objects already holding the same content (by their `wharf-sha256` metadata) are left alone,
//! so a redeploy uploads only what changed. The workflow file goes last: a Lambda that sees the
//! new workflow also finds every component it names.

use crate::layout::{Layout, LayoutError, check_workflow_name};
use crate::manifest::{Description, Manifest, ManifestError, ManifestKey};
use crate::s3::{self, ClientError};
use aws_sdk_s3::Client;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wharf_engine::Engine;
use wharf_engine::blocking::AsyncBridge;
use wharf_engine::runtime::RuntimeError;
use wharf_engine::storage::Mappings;
use wharf_engine::workflow::{NodeKind, TaskNode, WorkflowErrors};
use wharf_engine::{Runtime, Workflow};

/// Where to deploy: a customer's prefix in a bucket, and how to reach S3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    pub bucket: String,
    /// The first key segment (see [`crate::layout::is_valid_name`]).
    pub customer: String,
    /// An S3-compatible endpoint; without it the SDK's resolution applies (`AWS_ENDPOINT_URL`).
    pub endpoint_url: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`), which most S3-compatible servers need.
    pub force_path_style: bool,
    /// Without it the default chain applies (`AWS_REGION`, the profile).
    pub region: Option<String>,
    /// The KMS key (id, alias or ARN; asymmetric, ECC_NIST_P256) that signs the component
    /// manifest ([`crate::manifest`]). The Lambda refuses components it does not vouch for.
    pub signing_key: Option<String>,
}

impl Deployment {
    pub fn new(bucket: impl Into<String>, customer: impl Into<String>) -> Self {
        Deployment {
            bucket: bucket.into(),
            customer: customer.into(),
            endpoint_url: None,
            force_path_style: false,
            region: None,
            signing_key: None,
        }
    }

    /// The S3 client for this deployment (see [`crate::s3_client`]).
    pub async fn client(&self) -> Result<Client, ClientError> {
        s3::client(
            self.endpoint_url.as_deref(),
            self.force_path_style,
            self.region.as_deref(),
        )
        .await
    }
}

/// What a deployed object is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectKind {
    Workflow,
    Component {
        task: String,
    },
    Precompiled {
        task: String,
    },
    /// The signed component manifest.
    Manifest,
    Connections,
    Mappings,
}

impl std::fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ObjectKind::Workflow => f.write_str("workflow"),
            ObjectKind::Component { task } => write!(f, "component {task}"),
            ObjectKind::Precompiled { task } => write!(f, "precompiled {task}"),
            ObjectKind::Manifest => write!(f, "signed manifest"),
            ObjectKind::Connections => f.write_str("connections"),
            ObjectKind::Mappings => f.write_str("mappings"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectStatus {
    Uploaded,
    /// The object already held this content.
    Unchanged,
}

/// One object of a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployedObject {
    pub key: String,
    pub kind: ObjectKind,
    pub status: ObjectStatus,
    pub bytes: u64,
    /// SHA-256 of the object's content (hex).
    pub sha256: String,
}

/// What [`deploy`] did, in upload order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployReport {
    pub bucket: String,
    pub customer: String,
    /// The workflow's identity (`Workflow::store_name`): its `id:` or slugged name.
    pub workflow: String,
    pub objects: Vec<DeployedObject>,
}

impl DeployReport {
    /// The objects that were written.
    pub fn uploaded(&self) -> impl Iterator<Item = &DeployedObject> {
        self.objects
            .iter()
            .filter(|o| o.status == ObjectStatus::Uploaded)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The workflow does not load or prepare; each problem names the file and line.
    #[error("{0}")]
    Workflow(#[from] WorkflowErrors),
    #[error("{0}")]
    Name(#[from] LayoutError),
    #[error(
        "{}:{line}: task `{component}`: only components named by task can be deployed (a component path is not found in the cloud); put it in a components folder and name the task",
        file.display()
    )]
    ComponentPath {
        file: PathBuf,
        line: u64,
        component: String,
    },
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Refused by `wharf_sftp::Connections` (e.g. a secret written inline); the message never
    /// holds the secret.
    #[error("{0}")]
    Connections(#[from] wharf_sftp::ConnectionsError),
    #[error("mappings file {}: {message}", path.display())]
    Mappings { path: PathBuf, message: String },
    #[error("precompiling component `{task}` ({}): {source}", path.display())]
    Precompile {
        task: String,
        path: PathBuf,
        source: RuntimeError,
    },
    #[error("the bucket name is empty")]
    NoBucket,
    #[error("signing the component manifest: {0}")]
    Manifest(#[from] crate::manifest::ManifestError),
    #[error("{0}")]
    Client(#[from] ClientError),
    #[error(transparent)]
    Request(#[from] wharf_s3_store::RequestError),
    #[error("starting the deployment's runtime: {0}")]
    Runtime(std::io::Error),
    #[error("the deployment was cancelled (its task panicked or the runtime shut down)")]
    Cancelled,
}

/// The bytes of one object to deploy; precompiled ones are made only if the object is missing.
enum Source {
    Bytes(Vec<u8>),
    /// Compile the component at `path` (its bytes in `wasm`) for the deploying runtime.
    Precompile {
        path: PathBuf,
        wasm: Vec<u8>,
    },
}

struct Planned {
    key: String,
    kind: ObjectKind,
    source: Source,
    content_type: &'static str,
}

/// Checks `workflow_file` with `engine` (so a broken workflow is never uploaded; errors name
/// the file and line), then uploads into `target`'s customer prefix: each component the
/// workflow uses and its precompiled form, `connections` (refused if it holds an inline
/// secret) and `mappings` if given, and the workflow file last. Objects whose `wharf-sha256`
/// metadata matches are left as they are.
///
/// `engine` should check grants against the same connections as are uploaded (its `sftp`
/// capability built from `connections`), so a grant that passes here also resolves in the
/// Lambda. Precompiled components are made by `engine`'s runtime; the Lambda uses them only
/// if its engine has the same configuration (same name, see `Runtime::precompiled_name`),
/// otherwise it compiles and caches on its own.
pub fn deploy(
    engine: &Engine,
    workflow_file: &Path,
    connections: Option<&Path>,
    mappings: Option<&Path>,
    target: &Deployment,
) -> Result<DeployReport, DeployError> {
    if target.bucket.is_empty() {
        return Err(DeployError::NoBucket);
    }
    let layout = Layout::new(&target.customer)?;
    // Checked and uploaded from the same bytes.
    let workflow_text = Workflow::read_text(workflow_file)?;
    let workflow = Workflow::parse(workflow_file, &workflow_text)?;
    let prepared = engine.prepare(workflow)?;
    let store_name = prepared.workflow.store_name();
    check_workflow_name(&store_name)?;

    // Components, once each, in document order.
    let mut plan = Vec::new();
    let mut precompiled = Vec::new();
    let mut seen = BTreeMap::new();
    let mut path_component = None;
    prepared.workflow.walk(|node| {
        let NodeKind::Task(TaskNode { component, .. }) = &node.kind else {
            return;
        };
        if component.contains('/') || component.ends_with(".wasm") {
            path_component.get_or_insert((node.line, component.clone()));
            return;
        }
        if seen.insert(component.clone(), ()).is_some() {
            return;
        }
        if let Some(loaded) = prepared.component(node) {
            plan.push((component.clone(), loaded.path.clone(), loaded.info.clone()));
        }
    });
    if let Some((line, component)) = path_component {
        return Err(DeployError::ComponentPath {
            file: workflow_file.to_path_buf(),
            line,
            component,
        });
    }
    let mut objects = Vec::new();
    // What each component said about itself, for the manifest (bound there to its SHA-256).
    let mut descriptions = BTreeMap::new();
    for (task, path, info) in plan {
        let key = layout.component(&task)?;
        descriptions.insert(key.clone(), info);
        let wasm = read(&path)?;
        precompiled.push(Planned {
            key: layout.precompiled(&engine.runtime.precompiled_name(&wasm))?,
            kind: ObjectKind::Precompiled { task: task.clone() },
            source: Source::Precompile {
                path: path.clone(),
                wasm: wasm.clone(),
            },
            content_type: "application/octet-stream",
        });
        objects.push(Planned {
            key,
            kind: ObjectKind::Component { task },
            source: Source::Bytes(wasm),
            content_type: "application/wasm",
        });
    }
    objects.append(&mut precompiled);

    if let Some(path) = connections {
        let text = read_text(path)?;
        // The same check the engine applies when it loads the file; its messages never echo a
        // value written where a secret belongs.
        wharf_sftp::Connections::parse(&text, path.parent().unwrap_or(Path::new("."))).map_err(
            |message| wharf_sftp::ConnectionsError::Invalid {
                path: path.to_path_buf(),
                message,
            },
        )?;
        objects.push(Planned {
            key: layout.connections(),
            kind: ObjectKind::Connections,
            source: Source::Bytes(text.into_bytes()),
            content_type: "application/yaml",
        });
    }
    if let Some(path) = mappings {
        let text = read_text(path)?;
        serde_saphyr::from_str::<Mappings>(&text).map_err(|e| DeployError::Mappings {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        objects.push(Planned {
            key: layout.mappings(),
            kind: ObjectKind::Mappings,
            source: Source::Bytes(text.into_bytes()),
            content_type: "application/yaml",
        });
    }
    objects.push(Planned {
        key: layout.workflow(&store_name)?,
        kind: ObjectKind::Workflow,
        source: Source::Bytes(workflow_text.into_bytes()),
        content_type: "application/yaml",
    });

    let bridge = AsyncBridge::new("wharf-deploy", 1).map_err(DeployError::Runtime)?;
    let t = target.clone();
    let client = bridge
        .run(async move { t.client().await })
        .ok_or(DeployError::Cancelled)??;
    let mut report = DeployReport {
        bucket: target.bucket.clone(),
        customer: target.customer.clone(),
        workflow: store_name,
        objects: Vec::new(),
    };
    let log = |done: &DeployedObject| {
        tracing::info!(
            "{} s3://{}/{} ({} bytes)",
            match done.status {
                ObjectStatus::Uploaded => "uploaded",
                ObjectStatus::Unchanged => "unchanged",
            },
            target.bucket,
            done.key,
            done.bytes
        )
    };
    let mut objects = objects.into_iter().peekable();
    // The components first, then the manifest that vouches for them, then what uses them.
    while let Some(planned) = objects.next_if(|p| {
        matches!(
            p.kind,
            ObjectKind::Component { .. } | ObjectKind::Precompiled { .. }
        )
    }) {
        let done = upload(&bridge, &client, &target.bucket, &engine.runtime, planned)?;
        log(&done);
        report.objects.push(done);
    }
    if let Some(key_id) = &target.signing_key {
        let done = sign_manifest(
            &bridge,
            &client,
            target,
            &layout,
            key_id,
            &report.objects,
            descriptions,
        )?;
        log(&done);
        report.objects.push(done);
    }
    for planned in objects {
        let done = upload(&bridge, &client, &target.bucket, &engine.runtime, planned)?;
        log(&done);
        report.objects.push(done);
    }
    Ok(report)
}

/// Adds the deployed components and their descriptions (`descriptions`: component key → what
/// it said about itself) to the customer's manifest (keeping the entries of other workflows'
/// components when the stored manifest verifies) and stores it signed.
fn sign_manifest(
    bridge: &AsyncBridge,
    client: &Client,
    target: &Deployment,
    layout: &Layout,
    key_id: &str,
    deployed: &[DeployedObject],
    mut descriptions: BTreeMap<String, wharf_engine::runtime::TaskInfo>,
) -> Result<DeployedObject, DeployError> {
    let (c, bucket, key) = (client.clone(), target.bucket.clone(), layout.manifest());
    let (region, endpoint) = (target.region.clone(), target.endpoint_url.clone());
    let customer = target.customer.clone();
    let signer_key = key_id.to_string();
    let entries: Vec<(String, String)> = deployed
        .iter()
        .map(|o| (o.key.clone(), o.sha256.clone()))
        .collect();
    let described: Vec<(String, Description)> = deployed
        .iter()
        .filter_map(|o| {
            let info = descriptions.remove(&o.key)?;
            let sha256 = o.sha256.clone();
            Some((o.key.clone(), Description { sha256, info }))
        })
        .collect();
    let signed = block(bridge, async move {
        let key_ref = ManifestKey::new(
            ManifestKey::client(region.as_deref(), endpoint.as_deref()).await,
            signer_key,
        );
        let mut manifest = match s3::get_bytes(&c, &bucket, &key).await? {
            None => Manifest::new(&customer),
            Some(stored) => match key_ref.verify(&stored, &customer).await {
                Ok(manifest) => manifest,
                Err(e @ (ManifestError::Kms { .. } | ManifestError::WrongCustomer { .. })) => {
                    return Err(DeployError::Manifest(e));
                }
                Err(e) => {
                    tracing::warn!(
                        "the stored manifest is not kept ({e}): it now vouches only for this deployment's components; redeploy the customer's other workflows"
                    );
                    Manifest::new(&customer)
                }
            },
        };
        manifest.objects.extend(entries);
        manifest.descriptions.extend(described);
        let object = key_ref.sign(&manifest).await?;
        let sha256 = s3::sha256(&object);
        let bytes = object.len() as u64;
        s3::put(&c, &bucket, &key, object, &sha256, "application/json").await?;
        Ok(DeployedObject {
            key,
            kind: ObjectKind::Manifest,
            status: ObjectStatus::Uploaded,
            bytes,
            sha256,
        })
    })??;
    Ok(signed)
}

fn read(path: &Path) -> Result<Vec<u8>, DeployError> {
    std::fs::read(path).map_err(|source| DeployError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// A UTF-8 text file (what the engine and the Lambda read these files as).
fn read_text(path: &Path) -> Result<String, DeployError> {
    std::fs::read_to_string(path).map_err(|source| DeployError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Runs `fut` on the bridge and waits for it.
fn block<T: Send + 'static>(
    bridge: &AsyncBridge,
    fut: impl std::future::Future<Output = T> + Send + 'static,
) -> Result<T, DeployError> {
    bridge.run(fut).ok_or(DeployError::Cancelled)
}

/// Puts one object unless it already holds this content.
fn upload(
    bridge: &AsyncBridge,
    client: &Client,
    bucket: &str,
    runtime: &Runtime,
    planned: Planned,
) -> Result<DeployedObject, DeployError> {
    let done = |planned: Planned, status, bytes, sha256| DeployedObject {
        key: planned.key,
        kind: planned.kind,
        status,
        bytes,
        sha256,
    };
    let head = {
        let (c, b, k) = (client.clone(), bucket.to_string(), planned.key.clone());
        block(bridge, async move { s3::head(&c, &b, &k).await })??
    };
    let bytes = match &planned.source {
        Source::Bytes(bytes) => bytes.clone(),
        // Always this deployer's own compilation (from its cache, so cheap): its hash is what
        // the signed manifest vouches for, and a precompiled object someone else put under the
        // same key is replaced by it.
        Source::Precompile { path, wasm } => {
            precompiled_bytes(runtime, wasm).map_err(|source| DeployError::Precompile {
                task: match &planned.kind {
                    ObjectKind::Precompiled { task } => task.clone(),
                    other => other.to_string(),
                },
                path: path.clone(),
                source,
            })?
        }
    };
    let sha256 = s3::sha256(&bytes);
    let size = bytes.len() as u64;
    if let Some(h) = &head
        && h.sha256.as_deref() == Some(sha256.as_str())
        && h.size == size
    {
        return Ok(done(planned, ObjectStatus::Unchanged, size, sha256));
    }
    let (c, b, k) = (client.clone(), bucket.to_string(), planned.key.clone());
    let content_type = planned.content_type;
    let sha = sha256.clone();
    block(bridge, async move {
        s3::put(&c, &b, &k, bytes, &sha, content_type).await
    })??;
    Ok(done(planned, ObjectStatus::Uploaded, size, sha256))
}

/// The runtime's own cache file when it has one (`prepare` just wrote or loaded it), else a
/// fresh compilation.
fn precompiled_bytes(runtime: &Runtime, wasm: &[u8]) -> Result<Vec<u8>, RuntimeError> {
    if let Some(dir) = runtime.cache_dir()
        && let Ok(bytes) = std::fs::read(dir.join(runtime.precompiled_name(wasm)))
    {
        return Ok(bytes);
    }
    runtime.precompile(wasm)
}
