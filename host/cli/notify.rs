//! Failure notices (docs/notify.md): when a run ends failed, the workflow's `on-failure:` block
//! has the host send its summary and a link to the run's page in `wharf serve`, by e-mail
//! through a named SMTP connection and as a JSON POST through a named HTTP connection (the
//! `http` capability's client: the connection's origin only, its credentials added here).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use wharf_engine::notice::OnFailure;
use wharf_engine::{RunRecord, Workflow};

/// Failed tasks a notice lists; the rest are counted.
const LISTED_FAILURES: usize = 20;

/// How long a webhook may take, retries included.
const WEBHOOK_DEADLINE: Duration = Duration::from_secs(60);

/// Where `wharf serve` is reached when neither the workflow nor `WHARF_SERVE_URL` says.
pub const DEFAULT_SERVE_URL: &str = "http://127.0.0.1:8420";

/// Sends the workflow's failure notices for `record`, if it failed; returns what could not be
/// sent, one line each (the run's own result stays as it is).
pub fn on_failure(wf: &Workflow, record: &RunRecord, connections_file: &Path) -> Vec<String> {
    let Some(block) = &wf.on_failure else {
        return Vec::new();
    };
    if !record.failed() {
        return Vec::new();
    }
    let link = run_link(block, wf, record);
    let mut problems = Vec::new();
    if let Some(email) = &block.email
        && let Err(e) = send_email(email, wf, record, &link, connections_file)
    {
        problems.push(format!(
            "on-failure e-mail (connection `{}`) not sent: {e}",
            email.connection
        ));
    }
    if let Some(hook) = &block.webhook
        && let Err(e) = send_webhook(hook, wf, record, &link, connections_file)
    {
        problems.push(format!(
            "on-failure webhook (connection `{}`) not sent: {e}",
            hook.connection
        ));
    }
    problems
}

/// The run's page in `wharf serve`: `<base>/w/<identity>/runs/<run id>`.
fn run_link(block: &OnFailure, wf: &Workflow, record: &RunRecord) -> String {
    let base = block
        .link
        .clone()
        .or_else(|| {
            std::env::var("WHARF_SERVE_URL")
                .ok()
                .filter(|u| !u.trim().is_empty())
        })
        .unwrap_or_else(|| DEFAULT_SERVE_URL.to_string());
    format!(
        "{}/w/{}/runs/{}",
        base.trim_end_matches('/'),
        wf.id,
        record.id
    )
}

/// The tasks that did not succeed, first [`LISTED_FAILURES`] of them.
fn failed_tasks(record: &RunRecord) -> (Vec<&wharf_engine::TaskRecord>, usize) {
    let failed: Vec<_> = record
        .tasks
        .iter()
        .filter(|t| !t.result.is_success())
        .collect();
    let more = failed.len().saturating_sub(LISTED_FAILURES);
    (failed.into_iter().take(LISTED_FAILURES).collect(), more)
}

/// The plain-text summary both notices carry.
pub fn summary(wf: &Workflow, record: &RunRecord, link: &str) -> String {
    let counts = record.total_counts();
    let mut text = format!(
        "Workflow {} ({}) failed: {}\n{}\n\nRun {}\nStarted {}{}\nEnded {}\nRecords in {}, out {}, failed {}\n",
        wf.name,
        wf.id,
        record.result,
        record.message,
        record.id,
        record.started.format("%Y-%m-%d %H:%M:%S UTC"),
        record
            .started_by
            .as_deref()
            .map(|by| format!(" by {by}"))
            .unwrap_or_default(),
        record
            .ended
            .map(|e| e.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_default(),
        counts.records_in,
        counts.records_out,
        counts.records_failed,
    );
    let (failed, more) = failed_tasks(record);
    if !failed.is_empty() {
        text.push_str("\nTasks that did not succeed:\n");
        for t in failed {
            text.push_str(&format!(
                "  {} {}: {} — {}\n",
                t.path, t.name, t.result, t.message
            ));
        }
        if more > 0 {
            text.push_str(&format!("  … and {more} more\n"));
        }
    }
    if let Some(at) = &record.resume_at {
        text.push_str(&format!("\nThe next run resumes at task {at}.\n"));
    }
    text.push_str(&format!("\nThe run's page: {link}\n"));
    text
}

/// Why a notice's connection cannot be used: the connections file has none of that name.
fn missing(section: &str, name: &str, connections_file: &Path) -> String {
    format!(
        "no `{section}:` connection named `{name}` in {}",
        connections_file.display()
    )
}

fn send_email(
    notice: &wharf_engine::notice::EmailNotice,
    wf: &Workflow,
    record: &RunRecord,
    link: &str,
    connections_file: &Path,
) -> Result<(), String> {
    let connections =
        wharf_email::EmailConnections::load(connections_file).map_err(|e| e.to_string())?;
    let connection = connections
        .get(&notice.connection)
        .ok_or_else(|| missing("email", &notice.connection, connections_file))?;
    let message = wharf_email::Message {
        to: notice.to.clone(),
        subject: notice
            .subject
            .clone()
            .unwrap_or_else(|| format!("{}: {}", wf.name, record.result)),
        text: Some(summary(wf, record, link)),
        ..Default::default()
    };
    wharf_email::send(connection, &message)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn send_webhook(
    notice: &wharf_engine::notice::WebhookNotice,
    wf: &Workflow,
    record: &RunRecord,
    link: &str,
    connections_file: &Path,
) -> Result<(), String> {
    let connections =
        wharf_http::HttpConnections::load(connections_file).map_err(|e| e.to_string())?;
    let connection = connections
        .get(&notice.connection)
        .ok_or_else(|| missing("http", &notice.connection, connections_file))?;
    let client = wharf_http::HttpClient::new(&notice.connection, connection.clone())?;
    let counts = record.total_counts();
    let (failed, more) = failed_tasks(record);
    let body = serde_json::json!({
        "workflow": wf.name,
        "workflow_id": wf.id,
        "run": record.id,
        "result": record.result.key(),
        "message": record.message,
        "started": record.started,
        "ended": record.ended,
        "started_by": record.started_by,
        "records": { "in": counts.records_in, "out": counts.records_out, "failed": counts.records_failed },
        "failed_tasks": failed.iter().map(|t| serde_json::json!({
            "path": t.path, "id": t.id, "name": t.name, "result": t.result.key(), "message": t.message,
        })).collect::<Vec<_>>(),
        "more_failed_tasks": more,
        "resume_at": record.resume_at,
        "summary": summary(wf, record, link),
        "link": link,
    });
    let request = wharf_http::Outgoing {
        method: "POST".into(),
        url: notice.path.clone(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: wharf_http::RequestBody::Text(body.to_string()),
        output: None,
        timeout: None,
        retries: None,
    };
    let limits = wharf_http::CallLimits {
        charge: Arc::new(|_| Ok(())),
        requests: Arc::new(AtomicU64::new(0)),
        deadline: Instant::now() + WEBHOOK_DEADLINE,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the webhook's runtime: {e}"))?;
    let answer = runtime
        .block_on(client.send(request, &limits))
        .map_err(|e| e.to_string())?;
    if (200..300).contains(&answer.status) {
        Ok(())
    } else {
        Err(format!("POST {} answered {}", answer.url, answer.status))
    }
}
