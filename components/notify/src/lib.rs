//! Notify (docs/notify.md, "The notify task"): tells someone how the run is going, from inside
//! the workflow — the run's summary so far and the link to its page in `wharf serve`, the same
//! summary the `on-failure:` notices carry — by e-mail through the SMTP connection the workflow
//! grants (`grants: ["email:office"]`) and as a JSON POST through the HTTP connection it grants
//! (`grants: ["http:alerts"]`). Zynk's "Send Integration Report" is the e-mail half.
//!
//! Both capabilities are optional (`email?`, `http?`): a workflow grants the one it uses. The
//! summary comes from the host's `run` template variable (`run.summary`, `run.json`,
//! `run.headline`), which the engine keeps up to date as tasks end; the task never sees a
//! connection's credentials.

use wharf_guest::email::{EmailFailure, FailureKind, HostMailer, Mailer, Message};
use wharf_guest::http::{Header, HostWeb, HttpFailure, Request, RequestBody, Web};
use wharf_guest::{ResultCode, SettingError, TaskError, TaskResult, TaskSettings, TypedTask};

/// The settings of `notify`.
#[derive(Debug, Clone, TaskSettings)]
pub struct NotifySettings {
    /// E-mail recipients (`a@example.co.uk` or `Name <a@example.co.uk>`, `,`- or `;`-separated),
    /// through the granted `email:` connection.
    pub to: Option<String>,
    /// The e-mail's subject; default "<workflow>: running, <n> tasks failed" (the run's
    /// headline).
    pub subject: Option<String>,
    /// A line put before the summary (in the webhook's JSON: `note`).
    pub message: Option<String>,
    /// Where the JSON is POSTed, under the granted `http:` connection's base URL (`hooks/wharf`).
    pub webhook_path: Option<String>,
}

/// The component; exported to the host on WebAssembly.
pub struct Notify;

impl TypedTask for Notify {
    const NAME: &'static str = "notify";
    const DOC: &'static str = "Sends the run's summary so far and the link to its page by e-mail and/or as a webhook POST (Zynk Send Integration Report).";
    const CAPABILITIES: &'static [&'static str] = &["email?", "http?"];
    type Settings = NotifySettings;

    fn run(settings: NotifySettings) -> Result<TaskResult, TaskError> {
        let run = RunSoFar::from_host()?;
        run_with(&settings, &run, &mut HostMailer, &mut HostWeb)
    }
}

wharf_guest::export_task!(Notify);

/// The run so far, as the host's `run` template variable gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSoFar {
    /// `Web orders: running, 1 task failed`.
    pub headline: String,
    /// The plain-text summary, ending with the run page's link.
    pub summary: String,
    /// The webhook body, as `on-failure:` sends it (docs/notify.md).
    pub json: String,
}

impl RunSoFar {
    /// Reads `run.headline`, `run.summary` and `run.json` through the host's renderer.
    pub fn from_host() -> Result<Self, TaskError> {
        let read = |name: &str| {
            wharf_guest::template::render(&format!("{{{{ run.{name} }}}}"), &[]).map_err(|e| {
                TaskError::fail(format!("reading the run's summary (`run.{name}`): {e}"))
            })
        };
        Ok(RunSoFar {
            headline: read("headline")?,
            summary: read("summary")?,
            json: read("json")?,
        })
    }
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The task, on the given mailer and web (the host's, or stand-ins in tests).
pub fn run_with(
    settings: &NotifySettings,
    run: &RunSoFar,
    mailer: &mut impl Mailer,
    web: &mut impl Web,
) -> Result<TaskResult, TaskError> {
    let (to, hook) = (given(&settings.to), given(&settings.webhook_path));
    if to.is_none() && hook.is_none() {
        return Err(SettingError::new(
            "to",
            "give `to` (an e-mail), `webhook-path` (a webhook POST) or both",
        )
        .into());
    }
    let note = given(&settings.message);
    let mut sent = Vec::new();
    if let Some(to) = to {
        let text = match note {
            Some(note) => format!("{note}\n\n{}", run.summary),
            None => run.summary.clone(),
        };
        let message = Message {
            sender: None,
            to: vec![to.to_owned()],
            cc: Vec::new(),
            bcc: Vec::new(),
            reply_to: Vec::new(),
            subject: given(&settings.subject).unwrap_or(&run.headline).to_owned(),
            text_body: Some(text),
            html_body: None,
            attachments: Vec::new(),
        };
        match mailer.send(&message) {
            Ok(done) => sent.push(format!("e-mailed {} recipient(s)", done.recipients)),
            Err(failure) => return Ok(email_failed(failure)),
        }
    }
    if let Some(path) = hook {
        let body = webhook_body(&run.json, note)?;
        let request = Request {
            method: "POST".into(),
            url: path.to_owned(),
            headers: vec![Header {
                name: "content-type".into(),
                value: "application/json".into(),
            }],
            body: RequestBody::Text(body),
            output_file: None,
            timeout_seconds: None,
            retries: None,
        };
        match web.send(request) {
            Ok(answer) if (200..300).contains(&answer.status) => {
                sent.push(format!("POSTed to {} ({})", answer.url, answer.status));
            }
            Ok(answer) => {
                let code = match answer.status {
                    401 | 403 => ResultCode::NotAuthorised,
                    404 => ResultCode::NotFound,
                    _ => ResultCode::Fail,
                };
                return Ok(TaskResult::new(
                    code,
                    format!(
                        "setting `webhook-path`: POST {} answered {}{}",
                        answer.url,
                        answer.status,
                        if sent.is_empty() {
                            String::new()
                        } else {
                            format!(" (the e-mail went: {})", sent.join(", "))
                        }
                    ),
                ));
            }
            Err(failure) => return Ok(webhook_failed(failure, &sent)),
        }
    }
    Ok(
        TaskResult::success(format!("notified: {}", sent.join("; "))).with_counts(
            0,
            sent.len() as u64,
            0,
        ),
    )
}

/// The run's JSON with the task's `message` as `note`.
fn webhook_body(json: &str, note: Option<&str>) -> Result<String, TaskError> {
    let Some(note) = note else {
        return Ok(json.to_owned());
    };
    // The JSON is an object the host wrote; the note goes in as its last member.
    let Some(open) = json.trim_end().strip_suffix('}') else {
        return Err(TaskError::fail(
            "the run's summary (`run.json`) is not a JSON object",
        ));
    };
    let open = open.trim_end();
    let comma = if open.ends_with('{') { "" } else { "," };
    Ok(format!("{open}{comma}\"note\":{}}}", json_string(note)))
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The host's message says what failed; not permitted, it says which grant is missing.
fn email_failed(failure: EmailFailure) -> TaskResult {
    let code = match failure.kind {
        FailureKind::NotFound => ResultCode::NotFound,
        FailureKind::NotAuthorised => ResultCode::NotAuthorised,
        _ => ResultCode::Fail,
    };
    TaskResult::new(code, format!("setting `to`: {}", failure.message))
}

fn webhook_failed(failure: HttpFailure, sent: &[String]) -> TaskResult {
    let also = if sent.is_empty() {
        String::new()
    } else {
        format!(" (the e-mail went: {})", sent.join(", "))
    };
    TaskResult::new(
        ResultCode::Fail,
        format!("setting `webhook-path`: {}{also}", failure.message),
    )
}

#[cfg(test)]
mod tests;
