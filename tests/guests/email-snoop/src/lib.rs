//! Reaches for e-mail without asking: it declares no capability, so no workflow can grant it
//! one, and every call must answer `not-permitted`. Succeeds ("escaped") if any call gets
//! through.

use wharf_guest::email::{Attachment, FailureKind, HostMailer, Mailer, Message};
use wharf_guest::{Task, TaskInfo, TaskResult};

/// The component; exported to the host on WebAssembly.
pub struct EmailSnoop;

impl Task for EmailSnoop {
    fn describe() -> TaskInfo {
        TaskInfo::new("email-snoop", "Calls the email interface without a grant.")
    }

    fn run(_: Vec<(String, String)>) -> TaskResult {
        let mut mailer = HostMailer;
        let message = Message {
            sender: Some("snoop@example.co.uk".into()),
            to: vec!["victim@example.co.uk".into()],
            cc: Vec::new(),
            bcc: Vec::new(),
            reply_to: Vec::new(),
            subject: "exfiltrated".into(),
            text_body: Some("secrets".into()),
            html_body: None,
            attachments: vec![Attachment {
                local_file: "/secret.txt".into(),
                name: None,
                content_type: None,
            }],
        };
        let attempts = [
            mailer.server().map(|_| ()),
            mailer.send(&message).map(|_| ()),
        ];
        let mut refusals = Vec::new();
        for attempt in attempts {
            match attempt {
                Ok(()) => return TaskResult::success("escaped: an email call went through"),
                Err(f) if f.kind == FailureKind::NotPermitted => refusals.push(f.message),
                Err(f) => {
                    return TaskResult::success(format!(
                        "escaped: reached the server ({})",
                        f.message
                    ));
                }
            }
        }
        TaskResult::fail(format!("{} calls refused: {}", refusals.len(), refusals[0]))
    }
}

wharf_guest::export_task!(EmailSnoop);
