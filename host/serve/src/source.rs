//! Where the pages' workflows come from: a data folder (`wharf --data`), or a customer's bucket
//! (`wharf serve --bucket B --customer C`), whose workflows are read through the S3 store the
//! cloud runs write and `wharf history --bucket` reads.
//!
//! Reads block (files, S3 requests): the handlers call them from blocking threads.

use crate::runs::{Folder, ReadError, WorkflowRow, bucket_rows, list_workflows};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::runtime::Handle;
use wharf_engine::identity::is_key_name;
use wharf_s3_store::{RESERVED_WORKFLOW_NAMES, S3Store, S3StoreConfig};

/// Where the run history is.
#[derive(Debug, Clone)]
pub enum Source {
    /// A data folder: each workflow's folder, its runs, working directory and archive.
    Data(PathBuf),
    /// A customer's deployed workflows in a bucket. The config's `workflow` is not used: each
    /// workflow found under `<customer>/` gets a store of its own.
    Bucket(S3StoreConfig),
}

/// The source, with the S3 stores of a bucket's workflows made once each (each holds a client).
pub(crate) struct Sources {
    pub source: Source,
    stores: Mutex<HashMap<String, Arc<S3Store>>>,
    client: OnceLock<aws_sdk_s3::Client>,
}

impl Sources {
    pub fn new(source: Source) -> Self {
        Sources {
            source,
            stores: Mutex::new(HashMap::new()),
            client: OnceLock::new(),
        }
    }

    /// What the first page says the workflows are in.
    pub fn describe(&self) -> String {
        match &self.source {
            Source::Data(data) => format!("Data folder {}", data.display()),
            Source::Bucket(config) => {
                format!("Cloud runs in s3://{}/{}/", config.bucket, config.customer)
            }
        }
    }

    /// Every workflow, by name.
    pub fn workflows(&self) -> Result<Vec<WorkflowRow>, ReadError> {
        match &self.source {
            Source::Data(data) => Ok(list_workflows(data)),
            Source::Bucket(config) => {
                let client = self.client(config)?;
                let names = Handle::current()
                    .block_on(wharf_s3_store::workflow_names(
                        &client,
                        &config.bucket,
                        &config.customer,
                    ))
                    .map_err(|e| {
                        format!(
                            "listing the workflows in s3://{}/{}/: {e}",
                            config.bucket, config.customer
                        )
                    })?;
                let mut folders = Vec::with_capacity(names.len());
                for name in names {
                    folders.extend(self.open(&name)?);
                }
                bucket_rows(folders)
            }
        }
    }

    /// Workflow `id`, if there is one of that name (with runs, or deployed).
    pub fn open(&self, id: &str) -> Result<Option<Folder>, ReadError> {
        match &self.source {
            Source::Data(data) => Ok(Folder::open(data, id)),
            Source::Bucket(config) => {
                if !is_key_name(id) || RESERVED_WORKFLOW_NAMES.contains(&id) {
                    return Ok(None);
                }
                let folder = Folder::in_bucket(id, self.store(config, id)?)?;
                let there = folder.workflow().is_some() || !folder.runs()?.is_empty();
                Ok(there.then_some(folder))
            }
        }
    }

    fn store(&self, config: &S3StoreConfig, id: &str) -> Result<Arc<S3Store>, ReadError> {
        let mut stores = self.stores.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(store) = stores.get(id) {
            return Ok(store.clone());
        }
        let mut config = config.clone();
        config.workflow = id.to_owned();
        // Each page lists the runs again: the ended ones are not read again.
        let store = S3Store::with_handle(config, Handle::current())
            .map(|store| Arc::new(store.keeping_ended_runs()))
            .map_err(|e| format!("workflow `{id}` in the bucket: {e}"))?;
        stores.insert(id.to_owned(), store.clone());
        Ok(store)
    }

    fn client(&self, config: &S3StoreConfig) -> Result<aws_sdk_s3::Client, ReadError> {
        if let Some(client) = self.client.get() {
            return Ok(client.clone());
        }
        let client = Handle::current()
            .block_on(wharf_s3_store::client(
                config.endpoint_url.as_deref(),
                config.force_path_style,
                config.region.as_deref(),
            ))
            .map_err(|_| "no AWS region: give one (--region) or set AWS_REGION".to_owned())?;
        Ok(self.client.get_or_init(|| client).clone())
    }

    /// For a bucket: the commands that do what the run buttons do locally (cloud runs start in
    /// the function, not in `wharf serve`).
    pub fn cloud_commands(&self, workflow: &str) -> Option<CloudCommands> {
        let Source::Bucket(config) = &self.source else {
            return None;
        };
        let mut target = format!("--bucket {} --customer {}", config.bucket, config.customer);
        if let Some(url) = &config.endpoint_url {
            target.push_str(&format!(" --endpoint-url {url}"));
        }
        if config.force_path_style {
            target.push_str(" --path-style");
        }
        if let Some(region) = &config.region {
            target.push_str(&format!(" --region {region}"));
        }
        Some(CloudCommands {
            // The input EventBridge Scheduler sends (the Terraform module names the function
            // `wharf-<customer>`): the function starts a run, or resumes the failed one.
            invoke: format!(
                "aws lambda invoke --function-name wharf-{} --invocation-type Event --cli-binary-format raw-in-base64-out --payload '{{\"workflow\":\"{workflow}\"}}' /dev/null",
                config.customer
            ),
            status: format!("wharf cloud status {target} {workflow}"),
            cancel: format!("wharf cloud cancel {target} {workflow}"),
            resend: format!("wharf cloud resend {target} {workflow}"),
        })
    }
}

/// What to run instead of a button, for a cloud workflow.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CloudCommands {
    pub invoke: String,
    pub status: String,
    pub cancel: String,
    pub resend: String,
}
