//! Wharf in the cloud: what a deployed workflow looks like in the customer's bucket, `wharf
//! deploy` to put it there, and the Lambda's side that fetches it.
//!
//! ```text
//! s3://<bucket>/<customer>/<workflow>/workflow.yaml              the deployed workflow file (wharf deploy)
//! s3://<bucket>/<customer>/components/<task>.wasm                its components (wharf deploy)
//! s3://<bucket>/<customer>/components/precompiled/<name>.cwasm   compiled for one engine configuration (wharf deploy)
//! s3://<bucket>/<customer>/components/manifest.json              every component's SHA-256 and description, signed with KMS (wharf deploy --signing-key)
//! s3://<bucket>/<customer>/connections.yaml                      named connections, secrets only as references (wharf deploy)
//! s3://<bucket>/<customer>/mappings.yaml                         value mappings shared by the workflows (wharf deploy)
//! s3://<bucket>/<customer>/<workflow>/work/… archive/… runs/ state.json checkpoint.json run.lock truth/…
//!                                                                 the workflow's data (wharf-s3-store)
//! s3://<bucket>/<customer>/jobs/<job-id>/…                       Sage jobs (wharf_sage::queue)
//! ```
//!
//! `<workflow>` is the workflow's identity, its `id:` or slugged name (`Workflow::store_name`,
//! docs/resume.md); names
//! are checked by [`layout::is_valid_name`]. Objects Wharf writes carry their SHA-256 as user
//! metadata (`x-amz-meta-wharf-sha256`), which is how deploys and fetches skip what is current.
//!
//! The API is synchronous, like the engine: S3 requests run on a tokio runtime behind
//! `wharf_engine::blocking::AsyncBridge` and the calling thread waits for them.

pub mod components;
pub mod connections;
pub mod deploy;
pub mod handler;
pub mod layout;
pub mod manifest;
pub mod metrics;
mod s3;
pub mod secrets;
pub mod suspended;

pub use components::{ComponentFetcher, FetchError, tasks_of};
pub use connections::ConnectionSet;
pub use deploy::{
    DeployError, DeployReport, DeployedObject, Deployment, ObjectKind, ObjectStatus, deploy,
};
pub use layout::{Layout, LayoutError, is_valid_name};
pub use manifest::{Description, Manifest, ManifestError, ManifestKey};
pub use s3::{ClientError, client as s3_client};
pub use secrets::AwsSecrets;
pub use wharf_s3_store::{S3Store, S3StoreConfig, SHA256_META};
