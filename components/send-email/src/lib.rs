//! Send Email (docs/email.md): one message through the SMTP connection the workflow grants
//! (`grants: ["email:office"]`). The body is the `body` setting (a template like every
//! setting) or a `body-file` of the working directory rendered as a template with the run's
//! variables; `html-body` says it is HTML, and `text-body` adds a plain-text alternative.
//! Attachments are files, folders, wildcards or a `list-files` list, read by the host from the
//! working directory and bounded by the connection's message size. The task never sees the
//! connection's credentials.

use std::path::{Path, PathBuf};

use wharf_documents::{
    listing::read_list,
    resolve,
    task::{file_failure, setting_failure},
    zipping::{ZipError, entries, source},
};
use wharf_guest::email::{Attachment, EmailFailure, FailureKind, HostMailer, Mailer, Message};
use wharf_guest::{ResultCode, SettingError, TaskError, TaskResult, TaskSettings, TypedTask};

/// The largest body file read (the host bounds rendered text the same way).
const MAX_BODY_BYTES: u64 = 1 << 20;

/// The settings of `send-email`.
#[derive(Debug, Clone, TaskSettings)]
pub struct SendEmailSettings {
    /// Recipients: addresses (`a@example.co.uk` or `Name <a@example.co.uk>`), `,`- or `;`-separated.
    #[setting(non_empty)]
    pub to: String,
    /// Carbon-copy recipients, as `to`.
    pub cc: Option<String>,
    /// Blind carbon-copy recipients, as `to` (never shown to the others).
    pub bcc: Option<String>,
    /// The sender; left out, the connection's `from`.
    pub from: Option<String>,
    /// Where replies go, as `to`.
    pub reply_to: Option<String>,
    /// The subject line.
    #[setting(non_empty)]
    pub subject: String,
    /// The body text (or give `body-file`).
    pub body: Option<String>,
    /// A file whose text is the body, rendered as a template with the run's variables
    /// (`{{ current.Name }}`, workflow variables, `outputs.…`).
    pub body_file: Option<PathBuf>,
    /// The body is HTML.
    #[setting(default = false)]
    pub html_body: bool,
    /// A plain-text alternative sent beside an HTML body.
    pub text_body: Option<String>,
    /// Attachments, `,`- or `;`-separated: files (attached under their names), folders (their
    /// files) and wildcards (`out/*.csv`), relative to the working directory.
    pub attachments: Vec<String>,
    /// An XML file list written by `list-files`; its files are attached too.
    pub attachment_list: Option<PathBuf>,
}

/// The component; exported to the host on WebAssembly.
pub struct SendEmail;

impl TypedTask for SendEmail {
    const NAME: &'static str = "send-email";
    const DOC: &'static str = "Sends an e-mail through a granted SMTP connection, with attachments from the working directory.";
    const CAPABILITIES: &'static [&'static str] = &["email"];
    type Settings = SendEmailSettings;

    fn run(settings: SendEmailSettings) -> Result<TaskResult, TaskError> {
        run(&settings, Path::new("/"), &mut HostMailer)
    }
}

wharf_guest::export_task!(SendEmail);

/// The body as the settings give it, rendered when it comes from a file.
fn body(settings: &SendEmailSettings) -> Result<String, TaskError> {
    match (&settings.body, &settings.body_file) {
        (Some(_), Some(_)) => {
            Err(SettingError::new("body-file", "give `body` or `body-file`, not both").into())
        }
        (Some(body), None) => Ok(body.clone()),
        (None, Some(file)) => {
            let size = std::fs::metadata(file)
                .map_err(|e| file_failure("body-file", file, &e))?
                .len();
            if size > MAX_BODY_BYTES {
                return Err(setting_failure(
                    "body-file",
                    format!("`{}` is {size} bytes, more than 1 MiB", file.display()),
                ));
            }
            let text =
                std::fs::read_to_string(file).map_err(|e| file_failure("body-file", file, &e))?;
            wharf_guest::template::render(&text, &[])
                .map_err(|e| setting_failure("body-file", format!("`{}`: {e}", file.display())))
        }
        (None, None) => Err(SettingError::new("body", "give `body` or `body-file`").into()),
    }
}

/// The files to attach, by their paths in the working directory and the names recipients see.
fn attachments(settings: &SendEmailSettings, root: &Path) -> Result<Vec<Attachment>, TaskError> {
    let mut sources: Vec<_> = settings
        .attachments
        .iter()
        .map(|f| source(resolve(root, Path::new(f))))
        .collect();
    if let Some(list) = &settings.attachment_list {
        let text =
            std::fs::read_to_string(list).map_err(|e| file_failure("attachment-list", list, &e))?;
        let listed = read_list(&text).map_err(|e| setting_failure("attachment-list", e))?;
        sources.extend(listed.into_iter().map(|f| source(resolve(root, &f))));
    }
    if sources.is_empty() {
        return Ok(Vec::new());
    }
    let found = entries(&sources).map_err(|e| match e {
        ZipError::Missing(_) => TaskError::not_found(format!("setting `attachments`: {e}")),
        // Two files of one name would reach the recipient as one.
        ZipError::Duplicate(name) => setting_failure(
            "attachments",
            format!("two attachments would both be named `{name}`"),
        ),
        other => setting_failure("attachments", other),
    })?;
    Ok(found
        .into_iter()
        .map(|(path, name)| Attachment {
            local_file: path.to_string_lossy().into_owned(),
            name: Some(name),
            content_type: None,
        })
        .collect())
}

fn list(value: &Option<String>) -> Vec<String> {
    value
        .iter()
        .filter(|v| !v.trim().is_empty())
        .cloned()
        .collect()
}

/// The settings whose values the host names at the start of an `invalid` message.
const ADDRESS_SETTINGS: &[&str] = &["from", "to", "cc", "bcc", "reply-to"];

/// A failure as the task's result: an invalid address names its setting.
fn failed(failure: EmailFailure) -> TaskResult {
    let code = match failure.kind {
        FailureKind::NotFound => ResultCode::NotFound,
        FailureKind::NotAuthorised => ResultCode::NotAuthorised,
        _ => ResultCode::Fail,
    };
    let message = match failure.message.split_once(": ") {
        Some((field, rest))
            if failure.kind == FailureKind::Invalid && ADDRESS_SETTINGS.contains(&field) =>
        {
            format!("setting `{field}`: {rest}")
        }
        _ => failure.message,
    };
    TaskResult::new(code, message)
}

/// The task, with relative paths taken from `root` (the working directory).
pub fn run(
    settings: &SendEmailSettings,
    root: &Path,
    mailer: &mut impl Mailer,
) -> Result<TaskResult, TaskError> {
    let body = body(settings)?;
    let (text_body, html_body) = match (settings.html_body, &settings.text_body) {
        (true, text) => (text.clone(), Some(body)),
        (false, Some(_)) => {
            return Err(SettingError::new(
                "text-body",
                "is the plain-text alternative of an HTML body: set `html-body: true`, or put the text in `body`",
            )
            .into());
        }
        (false, None) => (Some(body), None),
    };
    let attachments = attachments(settings, root)?;
    let count = attachments.len();
    let message = Message {
        sender: settings.from.clone().filter(|f| !f.trim().is_empty()),
        to: vec![settings.to.clone()],
        cc: list(&settings.cc),
        bcc: list(&settings.bcc),
        reply_to: list(&settings.reply_to),
        subject: settings.subject.clone(),
        text_body,
        html_body,
        attachments,
    };
    match mailer.send(&message) {
        Ok(sent) => Ok(TaskResult::success(format!(
            "sent `{}` to {} recipient(s) with {count} attachment(s) ({} bytes)",
            settings.subject, sent.recipients, sent.bytes
        ))
        .with_counts(1, 1, 0)
        .with_output("message-id", sent.message_id)
        .with_output("recipients", sent.recipients.to_string())),
        Err(failure) => Ok(failed(failure)),
    }
}

#[cfg(test)]
mod tests;
