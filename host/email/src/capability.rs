//! The host side of `wit/email.wit`: grants, the per-call view of a task, and the call.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmtime::component::{HasData, Linker};
use wharf_engine::runtime::capability::extension;
use wharf_engine::runtime::{Capability, Extension, GrantContext, TaskState, guest_to_host};
use wharf_sftp::{granted_connection, symbolic_link_on, unknown_connection};

use crate::bindings::{EmailImports, email};
use crate::connections::{EmailConnections, SmtpConnection};
use crate::send::{Attachment, EmailError, FailureKind, Message, send};

/// What every call of a task without a grant answers.
pub const NOT_PERMITTED: &str = "not permitted: this task was not granted an e-mail connection (grant one with `grants: [\"email:NAME\"]`, NAME a connection in the connections file's `email:` section; its component must declare `email`)";

/// The `email` capability over a set of named SMTP connections.
pub struct EmailCapability {
    connections: Arc<EmailConnections>,
}

impl EmailCapability {
    pub fn new(connections: EmailConnections) -> Self {
        EmailCapability {
            connections: Arc::new(connections),
        }
    }

    fn unknown(&self, name: &str) -> String {
        unknown_connection("e-mail", name, self.connections.names())
    }
}

impl Capability for EmailCapability {
    fn name(&self) -> &str {
        "email"
    }

    fn add_to_linker(&self, linker: &mut Linker<TaskState>) -> wasmtime::Result<()> {
        EmailImports::add_to_linker::<TaskState, EmailView>(linker, |state| EmailCall {
            grant: state.extension::<EmailGrant>(),
        })
    }

    fn check_grant(&self, argument: Option<&str>) -> Result<(), String> {
        let name = granted_connection("email", argument)?;
        self.connections
            .get(name)
            .map(|_| ())
            .ok_or_else(|| self.unknown(name))
    }

    fn grant(&self, ctx: &GrantContext<'_>) -> Result<Extension, String> {
        let name = granted_connection("email", ctx.argument)?;
        let connection = self
            .connections
            .get(name)
            .ok_or_else(|| self.unknown(name))?
            .clone();
        Ok(extension(EmailGrant::Granted(Box::new(Session {
            connection,
            workdir: ctx.workdir.to_owned(),
        }))))
    }
}

/// Per-call state: `Denied` (the default, for tasks without a grant) or a session.
#[derive(Default)]
pub enum EmailGrant {
    #[default]
    Denied,
    Granted(Box<Session>),
}

/// A granted task call: its connection and working directory.
pub struct Session {
    connection: SmtpConnection,
    workdir: PathBuf,
}

impl Session {
    /// Reads the attachments from the working directory, bounded by the connection's message
    /// size (checked on the files' sizes before any is read).
    fn attachments(&self, wanted: &[email::Attachment]) -> Result<Vec<Attachment>, EmailError> {
        let limit = self.connection.max_message_bytes();
        let mut total = 0u64;
        let mut paths = Vec::with_capacity(wanted.len());
        for a in wanted {
            let path = self.local(&a.local_file)?;
            let meta = std::fs::metadata(&path).map_err(|e| read_error(&a.local_file, &e))?;
            if !meta.is_file() {
                return Err(EmailError::new(
                    FailureKind::Invalid,
                    format!("attachment `{}` is not a file", a.local_file),
                ));
            }
            total = total.saturating_add(meta.len());
            if total > limit {
                return Err(EmailError::new(
                    FailureKind::Invalid,
                    format!(
                        "attachment `{}`: the attachments come to more than the connection's `max-message-mib` of {} MiB",
                        a.local_file, self.connection.max_message_mib
                    ),
                ));
            }
            paths.push(path);
        }
        wanted
            .iter()
            .zip(paths)
            .map(|(a, path)| {
                let content = std::fs::read(&path).map_err(|e| read_error(&a.local_file, &e))?;
                let name = match a.name.as_deref().map(str::trim) {
                    Some(name) if !name.is_empty() => name.to_owned(),
                    _ => path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                };
                Ok(Attachment {
                    name,
                    content_type: a.content_type.clone(),
                    content,
                })
            })
            .collect()
    }

    fn local(&self, guest: &str) -> Result<PathBuf, EmailError> {
        let path = guest_to_host(&self.workdir, guest)
            .map_err(|e| EmailError::new(FailureKind::Invalid, format!("attachment: {e}")))?;
        refuse_links(&self.workdir, &path)?;
        Ok(path)
    }
}

fn read_error(file: &str, e: &std::io::Error) -> EmailError {
    let kind = if e.kind() == std::io::ErrorKind::NotFound {
        FailureKind::NotFound
    } else {
        FailureKind::Failed
    };
    EmailError::new(kind, format!("attachment `{file}`: {e}"))
}

/// The host reads attachments for the task: a symbolic link inside the working directory must
/// not lead it elsewhere.
fn refuse_links(workdir: &Path, path: &Path) -> Result<(), EmailError> {
    match symbolic_link_on(workdir, path) {
        Some(link) => Err(EmailError::new(
            FailureKind::Invalid,
            format!(
                "attachment: `{}` is a symbolic link; attachments are plain files of the working directory",
                link.display()
            ),
        )),
        None => Ok(()),
    }
}

/// The `HasData` of the email interface: a task's grant.
pub struct EmailView;

impl HasData for EmailView {
    type Data<'a> = EmailCall<'a>;
}

pub struct EmailCall<'a> {
    grant: &'a mut EmailGrant,
}

impl EmailCall<'_> {
    fn session(&self) -> Result<&Session, EmailError> {
        match &*self.grant {
            EmailGrant::Granted(session) => Ok(session),
            EmailGrant::Denied => Err(EmailError::new(FailureKind::NotPermitted, NOT_PERMITTED)),
        }
    }
}

type Answer<T> = wasmtime::Result<Result<T, email::EmailFailure>>;

fn answer<T>(result: Result<T, EmailError>) -> Answer<T> {
    Ok(result.map_err(|f| email::EmailFailure {
        kind: match f.kind {
            FailureKind::Invalid => email::FailureKind::Invalid,
            FailureKind::NotFound => email::FailureKind::NotFound,
            FailureKind::NotAuthorised => email::FailureKind::NotAuthorised,
            FailureKind::Rejected => email::FailureKind::Rejected,
            FailureKind::Connection => email::FailureKind::Connection,
            FailureKind::NotPermitted => email::FailureKind::NotPermitted,
            FailureKind::Failed => email::FailureKind::Failed,
        },
        message: f.message,
    }))
}

impl email::Host for EmailCall<'_> {
    fn server(&mut self) -> Answer<String> {
        answer(
            self.session()
                .map(|s| format!("{}:{}", s.connection.server.trim(), s.connection.port())),
        )
    }

    fn send(&mut self, message: email::Message) -> Answer<email::Sent> {
        answer(self.session().and_then(|s| {
            let attachments = s.attachments(&message.attachments)?;
            let sent = send(
                &s.connection,
                &Message {
                    from: message.sender,
                    to: message.to,
                    cc: message.cc,
                    bcc: message.bcc,
                    reply_to: message.reply_to,
                    subject: message.subject,
                    text: message.text_body,
                    html: message.html_body,
                    attachments,
                },
            )?;
            Ok(email::Sent {
                recipients: u32::try_from(sent.recipients).unwrap_or(u32::MAX),
                message_id: sent.message_id,
                bytes: sent.bytes,
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capability() -> EmailCapability {
        EmailCapability::new(
            EmailConnections::parse(
                "email:\n  office:\n    server: 127.0.0.1\n    port: 1\n    security: none\n    retries: 0\n    max-message-mib: 1\n",
                Path::new("."),
            )
            .unwrap(),
        )
    }

    fn attachment(file: &str) -> email::Attachment {
        email::Attachment {
            local_file: file.into(),
            name: None,
            content_type: None,
        }
    }

    #[test]
    fn a_grant_must_name_a_known_connection() {
        let cap = capability();
        assert!(cap.check_grant(Some("office")).is_ok());
        let e = cap.check_grant(None).unwrap_err();
        assert!(e.contains("email:NAME"), "{e}");
        let e = cap.check_grant(Some("warehouse")).unwrap_err();
        assert!(e.contains("`warehouse`") && e.contains("office"), "{e}");
    }

    #[test]
    fn an_ungranted_call_is_not_permitted() {
        let mut grant = EmailGrant::Denied;
        let mut call = EmailCall { grant: &mut grant };
        use email::Host;
        let failure = call.server().unwrap().unwrap_err();
        assert_eq!(failure.kind, email::FailureKind::NotPermitted);
        assert_eq!(failure.message, NOT_PERMITTED);
    }

    #[test]
    fn attachments_are_plain_files_inside_the_working_directory_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let session = Session {
            connection: capability().connections.get("office").unwrap().clone(),
            workdir: dir.path().to_owned(),
        };
        std::fs::write(dir.path().join("a.csv"), "a,b\n").unwrap();
        let got = session
            .attachments(&[email::Attachment {
                name: Some("orders.csv".into()),
                ..attachment("/a.csv")
            }])
            .unwrap();
        assert_eq!(got[0].name, "orders.csv");
        assert_eq!(got[0].content, b"a,b\n");
        assert_eq!(
            session.attachments(&[attachment("a.csv")]).unwrap()[0].name,
            "a.csv"
        );
        let e = session
            .attachments(&[attachment("missing.csv")])
            .unwrap_err();
        assert_eq!(e.kind, FailureKind::NotFound);
        assert!(e.message.contains("`missing.csv`"), "{}", e.message);
        let e = session
            .attachments(&[attachment("../etc/passwd")])
            .unwrap_err();
        assert_eq!(e.kind, FailureKind::Invalid);
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("link")).unwrap();
        let e = session.attachments(&[attachment("link")]).unwrap_err();
        assert!(e.message.contains("symbolic link"), "{}", e.message);
        std::fs::File::create(dir.path().join("big.bin"))
            .unwrap()
            .set_len(2 << 20)
            .unwrap();
        let e = session.attachments(&[attachment("big.bin")]).unwrap_err();
        assert!(
            e.message.contains("`max-message-mib` of 1 MiB"),
            "{}",
            e.message
        );
        std::fs::create_dir(dir.path().join("folder")).unwrap();
        let e = session.attachments(&[attachment("folder")]).unwrap_err();
        assert!(e.message.contains("is not a file"), "{}", e.message);
    }
}
