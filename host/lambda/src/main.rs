//! `bootstrap`: the Wharf Lambda function (custom runtime, `provided.al2023`).
//!
//! One function per customer. Its events: a schedule's input (`{"workflow": NAME}`) starts a
//! run; an SQS batch from the results queue resumes runs with their Sage jobs' results or
//! carries paused runs on. What each does is in `wharf_cloud::handler`; this file speaks the
//! Lambda runtime protocol (lambda_runtime) and reports failed SQS messages back
//! (ReportBatchItemFailures) so only they are delivered again.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};
use wharf_cloud::handler::{Cloud, CloudConfig, Event, Phases};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // CloudWatch takes stdout; no colours there.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_ansi(false)
        .without_time()
        .with_writer(std::io::stdout)
        .init();
    let mut phases = Phases::start("function start");
    let config = CloudConfig::from_env()?;
    phases.mark("settings");
    let cloud = Arc::new(Cloud::new(config)?);
    phases.mark("AWS clients");
    phases.log();
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let cloud = cloud.clone();
        async move { invocation(cloud, event).await }
    }))
    .await
}

/// The moment the invocation is killed, from the runtime's deadline (epoch milliseconds).
fn deadline(epoch_ms: u64) -> Instant {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    Instant::now() + Duration::from_millis(epoch_ms.saturating_sub(now_ms))
}

async fn invocation(cloud: Arc<Cloud>, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let parsed = Event::parse(&event.payload)?;
    let until = deadline(event.context.deadline);
    // The engine is synchronous and guest code wants a deep stack: run it on a thread of its
    // own, off the runtime's workers.
    let is_schedule = matches!(parsed, Event::Schedule { .. });
    let outcomes = tokio::task::spawn_blocking(move || {
        wharf_engine::runtime::on_guest_thread(|| cloud.handle(&parsed, until))
    })
    .await?;
    if is_schedule {
        let (_, outcome) = outcomes.into_iter().next().ok_or("no outcome")?;
        return Ok(serde_json::to_value(outcome?)?);
    }
    let mut failures = Vec::new();
    let mut reports = Vec::new();
    for (id, outcome) in outcomes {
        let id = id.unwrap_or_default();
        match outcome {
            Ok(report) => reports.push(serde_json::to_value(report)?),
            Err(e) => {
                tracing::error!(message_id = %id, "{e}");
                reports.push(json!({ "message_id": id, "error": e.to_string() }));
                failures.push(json!({ "itemIdentifier": id }));
            }
        }
    }
    Ok(json!({ "batchItemFailures": failures, "reports": reports }))
}
