//! `wharf cloud status|cancel|resend`: look at a deployed workflow's run in the bucket and
//! unstick it — end a suspended run that will never be answered, or have the function send its
//! message again (docs/cloud.md, "Failure modes").

use anyhow::{Context, Result};
use std::process::ExitCode;
use std::time::Duration;
use wharf_cloud::suspended::{self, ShortLock};
use wharf_cloud::{S3Store, S3StoreConfig};
use wharf_engine::storage::Storage;

#[derive(clap::Subcommand)]
pub enum CloudCommand {
    /// Show the workflow's checkpoint (a suspended run: what it waits for, since when, whether
    /// its message was sent) and its last runs.
    Status {
        #[command(flatten)]
        target: Target,
        /// How many recent runs to list.
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// End the workflow's suspended run as failed (cancelled) and free the workflow for the
    /// next schedule. A run in progress is not touched.
    Cancel {
        #[command(flatten)]
        target: Target,
    },
    /// Have the function send the suspended run's message again (the Sage job, or the continue
    /// message) on its next invocation, the next schedule at the latest.
    Resend {
        #[command(flatten)]
        target: Target,
    },
}

#[derive(clap::Args)]
pub struct Target {
    /// The deployed workflow's name (its key segment: `<customer>/<WORKFLOW>/…`).
    pub workflow: String,
    #[command(flatten)]
    pub at: BucketArgs,
}

/// Where a customer's workflows are (`wharf deploy` and `wharf cloud`).
#[derive(clap::Args)]
pub struct BucketArgs {
    /// The customer's bucket.
    #[arg(long)]
    pub bucket: String,
    /// The customer: the first segment of every key (letters, digits, `-`, `_`, `.`).
    #[arg(long)]
    pub customer: String,
    /// An S3-compatible endpoint (default: AWS, or AWS_ENDPOINT_URL).
    #[arg(long = "endpoint-url", value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Path-style addressing (endpoint/bucket/key), which most S3-compatible servers need.
    #[arg(long = "path-style")]
    pub path_style: bool,
    /// The bucket's region (default: AWS_REGION or the profile's).
    #[arg(long)]
    pub region: Option<String>,
}

/// `--bucket B --customer C …` on `history` and `serve`: read a customer's cloud runs instead
/// of the data folder.
#[derive(clap::Args)]
#[command(next_help_heading = "Cloud runs")]
pub struct CloudRunsArgs {
    /// Read the deployed workflows' cloud runs from this bucket instead of the data folder.
    #[arg(long, requires = "customer")]
    pub bucket: Option<String>,
    /// With --bucket: the customer (the first segment of every key).
    #[arg(long, requires = "bucket")]
    pub customer: Option<String>,
    /// With --bucket: an S3-compatible endpoint (default: AWS, or AWS_ENDPOINT_URL).
    #[arg(long = "endpoint-url", value_name = "URL", requires = "bucket")]
    pub endpoint_url: Option<String>,
    /// With --bucket: path-style addressing, which most S3-compatible servers need.
    #[arg(long = "path-style", requires = "bucket")]
    pub path_style: bool,
    /// With --bucket: the bucket's region (default: AWS_REGION or the profile's).
    #[arg(long, requires = "bucket")]
    pub region: Option<String>,
}

impl CloudRunsArgs {
    /// The bucket, when one was given.
    pub fn at(&self) -> Option<BucketArgs> {
        self.bucket.as_ref().map(|bucket| BucketArgs {
            bucket: bucket.clone(),
            customer: self.customer.clone().unwrap_or_default(),
            endpoint_url: self.endpoint_url.clone(),
            path_style: self.path_style,
            region: self.region.clone(),
        })
    }
}

impl BucketArgs {
    /// The S3 store configuration of deployed `workflow`.
    pub fn store_config(&self, workflow: &str) -> S3StoreConfig {
        let mut config = S3StoreConfig::new(&self.bucket, &self.customer, workflow);
        config.endpoint_url = self.endpoint_url.clone();
        config.force_path_style = self.path_style;
        config.region = self.region.clone();
        config
    }
}

impl Target {
    fn store(&self) -> Result<S3Store> {
        store_at(&self.at, &self.workflow)
    }
}

/// The S3 store of deployed `workflow` (also `wharf history --bucket`).
pub fn store_at(at: &BucketArgs, workflow: &str) -> Result<S3Store> {
    S3Store::new(at.store_config(workflow)).with_context(|| {
        format!(
            "workflow `{workflow}` of customer `{}` in bucket `{}`",
            at.customer, at.bucket
        )
    })
}

/// How long `cancel` and `resend` wait for the function's own short changes (sending a
/// message) to end.
const PATIENCE: Duration = Duration::from_secs(30);

/// The workflow's lock for a change, or why not (a run in progress holds it).
fn lock<'a>(store: &'a S3Store, kind: &str) -> Result<Result<ShortLock<'a>, String>> {
    let mut refused = String::new();
    let lock = suspended::short_lock(store, kind, PATIENCE, suspended::is_short_holder, |other| {
        refused = format!(
            "run {other} holds the workflow (it is running): nothing changed; try again when it ends"
        )
    })?;
    Ok(lock.ok_or(refused))
}

pub fn run(command: &CloudCommand) -> Result<ExitCode> {
    let (CloudCommand::Status { target, .. }
    | CloudCommand::Cancel { target }
    | CloudCommand::Resend { target }) = command;
    let done = run_command(command);
    if done.is_err() {
        // Without credentials the SDK's message is its whole provider chain: say so in one line.
        crate::deploy::require_credentials(target.at.region.as_deref())?;
    }
    done
}

fn run_command(command: &CloudCommand) -> Result<ExitCode> {
    match command {
        CloudCommand::Status { target, runs } => status(target, *runs),
        CloudCommand::Cancel { target } => {
            let store = target.store()?;
            let _lock = match lock(&store, suspended::CANCEL)? {
                Ok(lock) => lock,
                Err(why) => return refuse(&why),
            };
            let checkpoint = store.load_checkpoint()?;
            let Some((_, s)) = suspended::suspension_of(&checkpoint) else {
                return refuse(&format!(
                    "no run of `{}` is suspended: nothing to cancel",
                    target.workflow
                ));
            };
            let token = s.token.clone();
            match suspended::end_suspended(&store, &token, "cancelled with `wharf cloud cancel`")? {
                Some(record) => {
                    println!("run {} ended: {}", record.id, record.message);
                    withdraw_job(target, &token)?;
                    Ok(ExitCode::SUCCESS)
                }
                None => refuse("the suspended run was resumed meanwhile: nothing to cancel"),
            }
        }
        CloudCommand::Resend { target } => {
            let store = target.store()?;
            let _lock = match lock(&store, suspended::RESEND)? {
                Ok(lock) => lock,
                Err(why) => return refuse(&why),
            };
            let mut checkpoint = store.load_checkpoint()?;
            let Some(s) = checkpoint.as_mut().and_then(|c| c.suspended.as_mut()) else {
                return refuse(&format!(
                    "no run of `{}` is suspended: nothing to send",
                    target.workflow
                ));
            };
            s.sent = false;
            let what = s.describe();
            if let Some(cp) = &checkpoint {
                store.save_checkpoint(cp)?;
                println!(
                    "run {} is {what}: the function sends its message again on its next invocation",
                    cp.run_id
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Deletes the cancelled run's job objects: a runner that gets the job's message later refuses
/// it rather than importing for a run that is over.
fn withdraw_job(target: &Target, job_id: &str) -> Result<()> {
    let at = &target.at;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let s3 = wharf_cloud::s3_client(
            at.endpoint_url.as_deref(),
            at.path_style,
            at.region.as_deref(),
        )
        .await?;
        suspended::withdraw_job(&s3, &at.bucket, &at.customer, job_id)
            .await
            .map_err(anyhow::Error::msg)
    })
    .context("the run ended, but its Sage job could not be withdrawn")
}

fn refuse(why: &str) -> Result<ExitCode> {
    eprintln!("wharf cloud: {why}");
    Ok(ExitCode::FAILURE)
}

fn status(target: &Target, runs: usize) -> Result<ExitCode> {
    let store = target.store()?;
    println!("workflow {}", store.location());
    let checkpoint = store.load_checkpoint()?;
    match (&checkpoint, suspended::suspension_of(&checkpoint)) {
        (_, Some((run_id, s))) => {
            let (waited, since_sent) = suspended::ages(s);
            println!(
                "run {run_id} is suspended: {} (for {})",
                s.describe(),
                hours(waited)
            );
            if s.sent {
                println!("  its message was sent {} ago", hours(since_sent));
            } else {
                println!("  its message is not sent yet (the next invocation sends it)");
            }
        }
        (Some(cp), None) => println!(
            "run {} is in task {} (or its invocation died there; the next run recovers it)",
            cp.run_id, cp.path
        ),
        (None, None) => println!("no run in progress"),
    }
    let index = store.run_index()?;
    println!("last runs ({} in all):", index.len());
    for (id, _) in index.iter().rev().take(runs) {
        if let Some(run) = store.get_run(id)? {
            println!(
                "  {}  {}  {:<12} {}",
                run.started.format("%Y-%m-%d %H:%M:%S"),
                run.id,
                if run.ended.is_some() {
                    run.result.key()
                } else {
                    "open"
                },
                run.message
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn hours(d: Duration) -> String {
    let secs = d.as_secs();
    format!("{}h{:02}m{:02}s", secs / 3600, secs / 60 % 60, secs % 60)
}
