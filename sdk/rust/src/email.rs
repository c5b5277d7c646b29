//! The host's `email` interface (feature `email`): the SMTP connection the workflow granted
//! (`grants: ["email:office"]`). A component using it lists `email` in its capabilities.
//!
//! Write the task against [`Mailer`]: [`HostMailer`] in the component, [`fake::FakeMailer`] in
//! native unit tests.

#[allow(missing_docs)]
mod bindings {
    wit_bindgen::generate!({ world: "email-imports", path: "wit", generate_all });
}

pub use bindings::wharf::task::email::*;

/// The `email` interface as a task uses it: the host's, or a stand-in in native tests.
pub trait Mailer {
    /// The server the connection reaches, for messages.
    fn server(&mut self) -> Result<String, EmailFailure>;
    /// Sends one message (see `send` in `wit/email.wit`).
    fn send(&mut self, message: &Message) -> Result<Sent, EmailFailure>;
}

/// The host's `email` interface (callable only inside the host; natively it traps).
pub struct HostMailer;

impl Mailer for HostMailer {
    fn server(&mut self) -> Result<String, EmailFailure> {
        server()
    }

    fn send(&mut self, message: &Message) -> Result<Sent, EmailFailure> {
        send(message)
    }
}

/// A stand-in for native unit tests: keeps what was sent, or answers a failure.
#[cfg(not(target_arch = "wasm32"))]
pub mod fake {
    use super::{EmailFailure, Mailer, Message, Sent};

    /// Records each message; answers `failure` (once) instead when set.
    #[derive(Debug, Default)]
    pub struct FakeMailer {
        /// The messages sent, in order.
        pub sent: Vec<Message>,
        /// Answered (once) instead of the next send.
        pub failure: Option<EmailFailure>,
    }

    impl Mailer for FakeMailer {
        fn server(&mut self) -> Result<String, EmailFailure> {
            Ok("smtp.example.test:587".into())
        }

        fn send(&mut self, message: &Message) -> Result<Sent, EmailFailure> {
            if let Some(failure) = self.failure.take() {
                return Err(failure);
            }
            self.sent.push(message.clone());
            let recipients = message.to.len() + message.cc.len() + message.bcc.len();
            Ok(Sent {
                recipients: recipients as u32,
                message_id: format!("<{}@fake>", self.sent.len()),
                bytes: message.subject.len() as u64,
            })
        }
    }
}
