//! Building a message and sending it over SMTP (lettre, rustls on ring), with retries of
//! transient failures. Secrets are read per send and never appear in errors.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{SmtpTransport, Transport};

use crate::connections::{Security, SmtpConnection};

/// A message to send. Addresses are `address` or `Name <address>`; each list may also hold
/// several addresses separated by `,` or `;` in one entry (as Zynk's settings do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// The sender; none means the connection's `from`.
    pub from: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub reply_to: Vec<String>,
    pub subject: String,
    /// The plain-text body.
    pub text: Option<String>,
    /// The HTML body; with `text` too, the message carries both as alternatives.
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
}

/// A file attached to a message.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file name the recipient sees.
    pub name: String,
    /// A MIME type; none means one guessed from the name's extension.
    pub content_type: Option<String>,
    pub content: Vec<u8>,
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("name", &self.name)
            .field("content_type", &self.content_type)
            .field("bytes", &self.content.len())
            .finish()
    }
}

/// What a sent message was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// Envelope recipients (to, cc and bcc).
    pub recipients: usize,
    /// The `Message-ID` header it was sent with.
    pub message_id: String,
    /// Its size as sent.
    pub bytes: u64,
}

/// Why a message was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The message itself is wrong: an address, no recipient, too large.
    Invalid,
    /// An attachment file does not exist.
    NotFound,
    /// The server refused the login, or a secret could not be read.
    NotAuthorised,
    /// The server refused the message or a recipient (a 5xx answer).
    Rejected,
    /// The server could not be reached, TLS failed, or transient failures outlasted the retries.
    Connection,
    /// The task was not granted a connection (the `email` capability).
    NotPermitted,
    /// Anything else.
    Failed,
}

/// A message not sent: its kind and what happened, naming the server, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EmailError {
    pub kind: FailureKind,
    pub message: String,
}

impl EmailError {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        EmailError {
            kind,
            message: message.into(),
        }
    }
}

/// Splits an address list (`a@x.com, B <b@x.com>; c@x.com`) into mailboxes; separators inside
/// quotes or angle brackets do not split. The error names the address that is not one.
pub fn parse_addresses(list: &str) -> Result<Vec<Mailbox>, String> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut angle) = (0, false, false);
    for (i, c) in list.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' | ';' if !quoted && !angle => {
                parts.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&list[start..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<Mailbox>()
                .map_err(|_| format!("`{p}` is not an e-mail address"))
        })
        .collect()
}

fn mailboxes(field: &str, lists: &[String]) -> Result<Vec<Mailbox>, EmailError> {
    let mut all = Vec::new();
    for list in lists {
        all.extend(
            parse_addresses(list)
                .map_err(|e| EmailError::new(FailureKind::Invalid, format!("{field}: {e}")))?,
        );
    }
    Ok(all)
}

/// A MIME type for a file name, from its extension; `application/octet-stream` otherwise.
fn guess_content_type(name: &str) -> &'static str {
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match extension.as_deref() {
        Some("txt" | "log") => "text/plain",
        Some("csv") => "text/csv",
        Some("xml" | "xsl" | "xslt") => "application/xml",
        Some("json") => "application/json",
        Some("html" | "htm") => "text/html",
        Some("pdf") => "application/pdf",
        Some("zip") => "application/zip",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("xls") => "application/vnd.ms-excel",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        _ => "application/octet-stream",
    }
}

/// The message as lettre builds it, checked: a sender, at least one recipient, a body.
fn build(connection: &SmtpConnection, message: &Message) -> Result<lettre::Message, EmailError> {
    let invalid = |m: String| EmailError::new(FailureKind::Invalid, m);
    let from = match message.from.as_deref().map(str::trim) {
        Some(from) if !from.is_empty() => from.to_owned(),
        _ => connection
            .from
            .clone()
            .ok_or_else(|| invalid("no sender: give `from` (the connection names none)".into()))?,
    };
    let mut senders = mailboxes("from", &[from])?;
    if senders.len() != 1 {
        return Err(invalid("from: give exactly one sender address".into()));
    }
    let mut builder = lettre::Message::builder()
        .from(senders.remove(0))
        .subject(message.subject.as_str())
        .message_id(None);
    let to = mailboxes("to", &message.to)?;
    let cc = mailboxes("cc", &message.cc)?;
    let bcc = mailboxes("bcc", &message.bcc)?;
    if to.is_empty() && cc.is_empty() && bcc.is_empty() {
        return Err(invalid("to: no recipient".into()));
    }
    for m in to {
        builder = builder.to(m);
    }
    for m in cc {
        builder = builder.cc(m);
    }
    for m in bcc {
        builder = builder.bcc(m);
    }
    for m in mailboxes("reply-to", &message.reply_to)? {
        builder = builder.reply_to(m);
    }
    let body = match (&message.text, &message.html) {
        (Some(text), Some(html)) => Body::Multi(MultiPart::alternative_plain_html(
            text.clone(),
            html.clone(),
        )),
        (Some(text), None) => Body::Single(SinglePart::plain(text.clone())),
        (None, Some(html)) => Body::Single(SinglePart::html(html.clone())),
        (None, None) => return Err(invalid("no body: give a text or an HTML body".into())),
    };
    let built = if message.attachments.is_empty() {
        match body {
            Body::Single(part) => builder.singlepart(part),
            Body::Multi(part) => builder.multipart(part),
        }
    } else {
        let mut mixed = match body {
            Body::Single(part) => MultiPart::mixed().singlepart(part),
            Body::Multi(part) => MultiPart::mixed().multipart(part),
        };
        for a in &message.attachments {
            let name = a.name.as_str();
            let kind = a
                .content_type
                .as_deref()
                .unwrap_or_else(|| guess_content_type(name));
            let content_type = ContentType::parse(kind).map_err(|_| {
                invalid(format!(
                    "attachment `{name}`: `{kind}` is not a MIME content type"
                ))
            })?;
            mixed = mixed.singlepart(
                lettre::message::Attachment::new(name.to_owned())
                    .body(a.content.clone(), content_type),
            );
        }
        builder.multipart(mixed)
    };
    built.map_err(|e| invalid(format!("the message cannot be built: {e}")))
}

enum Body {
    Single(SinglePart),
    Multi(MultiPart),
}

fn transport(connection: &SmtpConnection, context: &str) -> Result<SmtpTransport, EmailError> {
    let server = connection.server.trim();
    let tls = if connection.security == Security::None {
        Tls::None
    } else {
        let mut parameters = TlsParameters::builder(server.to_owned());
        if let Some(file) = &connection.extra_ca_file {
            let pem = std::fs::read(file).map_err(|e| {
                EmailError::new(
                    FailureKind::Failed,
                    format!(
                        "{context}: cannot read `extra-ca-file` {}: {e}",
                        file.display()
                    ),
                )
            })?;
            let certificate = Certificate::from_pem(&pem).map_err(|e| {
                EmailError::new(
                    FailureKind::Failed,
                    format!("{context}: `extra-ca-file` {}: {e}", file.display()),
                )
            })?;
            parameters = parameters.add_root_certificate(certificate);
        }
        let parameters = parameters.build_rustls().map_err(|e| {
            EmailError::new(FailureKind::Failed, format!("{context}: TLS set-up: {e}"))
        })?;
        match connection.security {
            Security::Tls => Tls::Wrapper(parameters),
            _ => Tls::Required(parameters),
        }
    };
    let mut builder = SmtpTransport::builder_dangerous(server)
        .port(connection.port())
        .tls(tls)
        .timeout(Some(connection.timeout()));
    if let (Some(user), Some(password)) = (&connection.username, &connection.password) {
        let secret = password.read().map_err(|e| {
            EmailError::new(
                FailureKind::NotAuthorised,
                format!("{context}: password: {e}"),
            )
        })?;
        builder = builder.credentials(Credentials::new(user.clone(), secret.expose().to_owned()));
    }
    Ok(builder.build())
}

/// Why one attempt failed: worth another attempt, or final.
fn sort(
    context: &str,
    user: Option<&str>,
    e: &lettre::transport::smtp::Error,
) -> (bool, EmailError) {
    let code = e.status().map(|c| c.to_string());
    // lettre's messages carry the server's answer or the I/O cause, never the credentials.
    let why = format!("{context}: {e}");
    match code.as_deref() {
        Some("530" | "534" | "535" | "538") => {
            let detail = match user {
                Some(user) => format!("the server refused the login of `{user}`"),
                None => "the server wants a login or TLS first".to_owned(),
            };
            (
                false,
                EmailError::new(FailureKind::NotAuthorised, format!("{why} ({detail})")),
            )
        }
        _ if e.is_permanent() => (false, EmailError::new(FailureKind::Rejected, why)),
        _ if e.is_tls() => (false, EmailError::new(FailureKind::Connection, why)),
        _ if e.is_client() => (false, EmailError::new(FailureKind::Failed, why)),
        _ => (true, EmailError::new(FailureKind::Connection, why)),
    }
}

/// Pause before retry `attempt` (0-based); tests shorten it.
fn backoff(attempt: u32) -> Duration {
    let base = if cfg!(test) { 10 } else { 500 };
    Duration::from_millis(base) * 2u32.pow(attempt.min(4))
}

/// Sends `message` through `connection`: a fresh SMTP session per attempt, transient failures
/// (no connection, a timeout, a 4xx answer) retried with backoff up to the connection's
/// `retries`. Blocks the calling thread for the duration.
pub fn send(connection: &SmtpConnection, message: &Message) -> Result<Sent, EmailError> {
    let context = format!("smtp {}:{}", connection.server.trim(), connection.port());
    let email = build(connection, message)?;
    let bytes = email.formatted().len() as u64;
    if bytes > connection.max_message_bytes() {
        return Err(EmailError::new(
            FailureKind::Invalid,
            format!(
                "{context}: the message is {bytes} bytes with its attachments, more than the connection's `max-message-mib` of {} MiB",
                connection.max_message_mib
            ),
        ));
    }
    let recipients = email.envelope().to().len();
    let message_id = email
        .headers()
        .get_raw("Message-ID")
        .unwrap_or_default()
        .to_owned();
    let transport = transport(connection, &context)?;
    let mut attempt = 0u32;
    loop {
        match transport.send(&email) {
            Ok(_) => {
                tracing::debug!(server = %context, recipients, bytes, "e-mail sent");
                return Ok(Sent {
                    recipients,
                    message_id,
                    bytes,
                });
            }
            Err(e) => {
                let (transient, failure) = sort(&context, connection.username.as_deref(), &e);
                if !transient {
                    return Err(failure);
                }
                if attempt >= connection.retries {
                    return Err(EmailError::new(
                        failure.kind,
                        format!(
                            "{} (gave up after {} attempt(s))",
                            failure.message,
                            attempt + 1
                        ),
                    ));
                }
                let pause = backoff(attempt);
                tracing::warn!("{}; retrying in {pause:?}", failure.message);
                std::thread::sleep(pause);
                attempt += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection() -> SmtpConnection {
        let mut c = SmtpConnection::new("127.0.0.1");
        c.from = Some("Wharf <wharf@example.co.uk>".into());
        c
    }

    fn message() -> Message {
        Message {
            to: vec!["a@example.co.uk, \"Smith, B\" <b@example.co.uk>; c@example.co.uk".into()],
            subject: "Orders".into(),
            text: Some("hello".into()),
            ..Default::default()
        }
    }

    #[test]
    fn address_lists_split_on_commas_and_semicolons_outside_quotes() {
        let all = parse_addresses("a@x.co, \"Smith, B\" <b@x.co>; c@x.co ,").unwrap();
        let emails: Vec<String> = all.iter().map(|m| m.email.to_string()).collect();
        assert_eq!(emails, ["a@x.co", "b@x.co", "c@x.co"]);
        assert_eq!(all[1].name.as_deref(), Some("Smith, B"));
        assert_eq!(
            parse_addresses("a@x.co, nobody").unwrap_err(),
            "`nobody` is not an e-mail address"
        );
        assert!(parse_addresses("  ").unwrap().is_empty());
    }

    #[test]
    fn builds_text_html_and_attachments() {
        let mut m = message();
        m.html = Some("<p>hello</p>".into());
        m.cc = vec!["d@example.co.uk".into()];
        m.bcc = vec!["e@example.co.uk".into()];
        m.attachments = vec![Attachment {
            name: "orders.csv".into(),
            content_type: None,
            content: b"a,b\n".to_vec(),
        }];
        let built = build(&connection(), &m).unwrap();
        assert_eq!(built.envelope().to().len(), 5);
        let text = String::from_utf8(built.formatted()).unwrap();
        for part in [
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "text/html",
            "filename=\"orders.csv\"",
            "text/csv",
            "From: Wharf <wharf@example.co.uk>",
            "Subject: Orders",
            "Message-ID: <",
        ] {
            assert!(text.contains(part), "{part} missing in:\n{text}");
        }
        assert!(!text.contains("e@example.co.uk"), "bcc is not a header");
    }

    #[test]
    fn a_message_without_sender_recipient_or_body_is_invalid() {
        let mut m = message();
        m.to.clear();
        assert_eq!(
            build(&connection(), &m).unwrap_err().message,
            "to: no recipient"
        );
        let mut m = message();
        m.text = None;
        assert!(
            build(&connection(), &m)
                .unwrap_err()
                .message
                .contains("no body")
        );
        let e = build(&SmtpConnection::new("h"), &message()).unwrap_err();
        assert_eq!(e.kind, FailureKind::Invalid);
        assert!(e.message.contains("no sender"), "{}", e.message);
        let mut m = message();
        m.from = Some("a@x.co, b@x.co".into());
        assert!(
            build(&connection(), &m)
                .unwrap_err()
                .message
                .contains("exactly one")
        );
        let mut m = message();
        m.attachments = vec![Attachment {
            name: "a".into(),
            content_type: Some("not a type".into()),
            content: vec![],
        }];
        assert!(
            build(&connection(), &m)
                .unwrap_err()
                .message
                .contains("`not a type`")
        );
    }

    #[test]
    fn a_message_over_the_connections_limit_is_refused_before_connecting() {
        let mut c = connection();
        c.port = Some(1);
        c.max_message_mib = 1;
        let mut m = message();
        m.attachments = vec![Attachment {
            name: "big.bin".into(),
            content_type: None,
            content: vec![7; 1 << 20],
        }];
        let e = send(&c, &m).unwrap_err();
        assert_eq!(e.kind, FailureKind::Invalid);
        assert!(e.message.contains("`max-message-mib`"), "{}", e.message);
    }

    #[test]
    fn an_unreachable_server_is_a_connection_failure_after_the_retries() {
        let mut c = connection();
        c.security = Security::None;
        c.port = Some(1);
        c.retries = 1;
        let e = send(&c, &message()).unwrap_err();
        assert_eq!(e.kind, FailureKind::Connection);
        assert!(
            e.message.starts_with("smtp 127.0.0.1:1: ") && e.message.contains("2 attempt(s)"),
            "{}",
            e.message
        );
    }

    #[test]
    fn an_unreadable_password_is_not_authorised_and_names_its_source_only() {
        let mut c = connection();
        c.username = Some("u".into());
        c.password = Some(wharf_sftp::SecretSource::Env("WHARF_TEST_NEVER_SET".into()));
        let e = send(&c, &message()).unwrap_err();
        assert_eq!(e.kind, FailureKind::NotAuthorised);
        assert!(e.message.contains("WHARF_TEST_NEVER_SET"), "{}", e.message);
    }

    #[test]
    fn content_types_are_guessed_from_the_extension() {
        assert_eq!(guess_content_type("a.CSV"), "text/csv");
        assert_eq!(guess_content_type("a.xml"), "application/xml");
        assert_eq!(guess_content_type("noext"), "application/octet-stream");
    }
}
