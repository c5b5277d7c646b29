//! `wharf deploy`: checks a workflow here, then puts it, its components and the customer's
//! connections and mappings files into the customer's bucket for the Wharf Lambda.

use anyhow::{Context, Result, bail};
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use wharf_cloud::{DeployError, DeployReport, Deployment, ObjectStatus};
use wharf_engine::Engine;

#[derive(clap::Args)]
pub struct DeployArgs {
    /// The workflow file; it is deployed as `<customer>/<file stem>/workflow.yaml`.
    pub workflow: PathBuf,
    #[command(flatten)]
    pub at: crate::cloud::BucketArgs,
    /// The connections file to upload as `<customer>/connections.yaml`; the workflow's grants
    /// are checked against it. Default: the file given with the global `--connections`
    /// (WHARF_CONNECTIONS). With neither, no connections file is uploaded (one already in the
    /// bucket stays) and grants are checked against `<data>/connections.yaml`. Refused if it
    /// holds a secret itself rather than `{ env: NAME }` or `{ file: PATH }`.
    #[arg(long = "connections-file", value_name = "FILE")]
    pub connections_file: Option<PathBuf>,
    /// A mappings file to upload as `<customer>/mappings.yaml` (shared by the customer's
    /// workflows).
    #[arg(long = "mappings-file", value_name = "FILE")]
    pub mappings_file: Option<PathBuf>,
    /// The KMS key (id, alias or ARN) that signs the component manifest; the function
    /// (WHARF_SIGNING_KEY, the Terraform output `signing_key_arn`) refuses components it does
    /// not vouch for.
    #[arg(
        long = "signing-key",
        value_name = "KMS_KEY",
        env = "WHARF_SIGNING_KEY"
    )]
    pub signing_key: Option<String>,
}

impl DeployArgs {
    /// The connections file to upload, if any (see `--connections-file`).
    pub fn upload_connections(&self, global: Option<&Path>) -> Option<PathBuf> {
        self.connections_file
            .clone()
            .or_else(|| global.map(Path::to_path_buf))
    }
}

/// Deploys and prints what went where.
pub fn run(engine: &Engine, args: &DeployArgs, connections: Option<&Path>) -> Result<ExitCode> {
    let target = Deployment {
        bucket: args.at.bucket.clone(),
        customer: args.at.customer.clone(),
        endpoint_url: args.at.endpoint_url.clone(),
        force_path_style: args.at.path_style,
        region: args.at.region.clone(),
        signing_key: args.signing_key.clone(),
    };
    let report = match wharf_cloud::deploy(
        engine,
        &args.workflow,
        connections,
        args.mappings_file.as_deref(),
        &target,
    ) {
        Ok(report) => report,
        // A request failed: without credentials the SDK's message is its whole provider chain.
        Err(e @ (DeployError::Request(_) | DeployError::Manifest(_))) => {
            require_credentials(args.at.region.as_deref())?;
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    print!("{}", table(&report));
    Ok(ExitCode::SUCCESS)
}

/// Says in one line that there are no AWS credentials, if so.
pub fn require_credentials(region: Option<&str>) -> Result<()> {
    use aws_sdk_s3::config::ProvideCredentials;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the AWS SDK runtime")?;
    runtime.block_on(async {
        let sdk = wharf_s3_store::sdk_config(region).await;
        let Some(provider) = sdk.credentials_provider() else {
            bail!("no AWS credentials: the SDK has no credential provider");
        };
        match provider.provide_credentials().await {
            Ok(_) => Ok(()),
            Err(e) => bail!(
                "no AWS credentials ({e}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with a role that provides them"
            ),
        }
    })
}

/// The report as a table: one line per object, then the totals.
pub fn table(report: &DeployReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "deployed {} to s3://{}/{}/",
        report.workflow, report.bucket, report.customer
    );
    let what: Vec<String> = report.objects.iter().map(|o| o.kind.to_string()).collect();
    let width = what.iter().map(String::len).max().unwrap_or(0).max(4);
    let _ = writeln!(
        out,
        "{:<9} {:>10}  {:<width$}  key",
        "status", "bytes", "what"
    );
    for (o, what) in report.objects.iter().zip(&what) {
        let status = match o.status {
            ObjectStatus::Uploaded => "uploaded",
            ObjectStatus::Unchanged => "unchanged",
        };
        let _ = writeln!(
            out,
            "{status:<9} {:>10}  {what:<width$}  {}",
            o.bytes, o.key
        );
    }
    let uploaded: Vec<_> = report.uploaded().collect();
    let _ = writeln!(
        out,
        "{} uploaded ({} bytes), {} unchanged",
        uploaded.len(),
        uploaded.iter().map(|o| o.bytes).sum::<u64>(),
        report.objects.len() - uploaded.len()
    );
    out
}
