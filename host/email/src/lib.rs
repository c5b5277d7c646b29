//! E-mail for Wharf: sending over SMTP through a named connection (lettre on rustls), and the
//! `email` host capability that lets a task component send through the connection its
//! workflow grants (`grants: ["email:office"]`). Connections are defined outside workflows
//! (the `email:` section of the connections file, beside `sftp:` and `http:`); a component
//! never sees their credentials. Behaviour: docs/email.md.
//!
//! Other host code (run notifications) sends with [`send`]:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let connections = wharf_email::EmailConnections::load("connections.yaml".as_ref())?;
//! let office = connections.get("office").ok_or("no connection `office`")?;
//! let message = wharf_email::Message {
//!     to: vec!["ops@example.co.uk".into()],
//!     subject: "Web orders failed".into(),
//!     text: Some("The run failed at task 3.".into()),
//!     ..Default::default()
//! };
//! let sent = wharf_email::send(office, &message)?;
//! println!("sent to {} recipient(s)", sent.recipients);
//! # Ok(()) }
//! ```

mod bindings;
mod capability;
mod connections;
mod send;

pub use capability::{EmailCapability, EmailGrant, NOT_PERMITTED};
pub use connections::{EmailConnections, Security, SmtpConnection};
pub use send::{Attachment, EmailError, FailureKind, Message, Sent, parse_addresses, send};
