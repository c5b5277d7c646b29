//! Failure notices (docs/notify.md): when a run ends failed, the workflow's `on-failure:` block
//! has the host send its summary and a link to the run's page in `wharf serve`, by e-mail
//! through a named SMTP connection and as a JSON POST through a named HTTP connection (the
//! `http` capability's client: the connection's origin only, its credentials added here).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use wharf_engine::notice::RunSummary;
use wharf_engine::{RunRecord, Workflow};

/// How long a webhook may take, retries included.
const WEBHOOK_DEADLINE: Duration = Duration::from_secs(60);

/// Sends the workflow's failure notices for `record`, if it failed; returns what could not be
/// sent, one line each (the run's own result stays as it is).
pub fn on_failure(wf: &Workflow, record: &RunRecord, connections_file: &Path) -> Vec<String> {
    let Some(block) = &wf.on_failure else {
        return Vec::new();
    };
    if !record.failed() {
        return Vec::new();
    }
    let summary = RunSummary::of(wf, record);
    let mut problems = Vec::new();
    if let Some(email) = &block.email
        && let Err(e) = send_email(email, &summary, connections_file)
    {
        problems.push(format!(
            "on-failure e-mail (connection `{}`) not sent: {e}",
            email.connection
        ));
    }
    if let Some(hook) = &block.webhook
        && let Err(e) = send_webhook(hook, &summary, connections_file)
    {
        problems.push(format!(
            "on-failure webhook (connection `{}`) not sent: {e}",
            hook.connection
        ));
    }
    problems
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
    summary: &RunSummary,
    connections_file: &Path,
) -> Result<(), String> {
    let connections =
        wharf_email::EmailConnections::load(connections_file).map_err(|e| e.to_string())?;
    let connection = connections
        .get(&notice.connection)
        .ok_or_else(|| missing("email", &notice.connection, connections_file))?;
    let message = wharf_email::Message {
        to: notice.to.clone(),
        subject: notice.subject.clone().unwrap_or_else(|| summary.headline()),
        text: Some(summary.text()),
        ..Default::default()
    };
    wharf_email::send(connection, &message)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn send_webhook(
    notice: &wharf_engine::notice::WebhookNotice,
    summary: &RunSummary,
    connections_file: &Path,
) -> Result<(), String> {
    let connections =
        wharf_http::HttpConnections::load(connections_file).map_err(|e| e.to_string())?;
    let connection = connections
        .get(&notice.connection)
        .ok_or_else(|| missing("http", &notice.connection, connections_file))?;
    let client = wharf_http::HttpClient::new(&notice.connection, connection.clone())?;
    let body = summary.json();
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
