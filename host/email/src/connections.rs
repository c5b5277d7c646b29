//! Named SMTP connections, in the same connections file as SFTP's and HTTP's (section `email:`):
//!
//! ```yaml
//! email:
//!   office:
//!     server: smtp.example.co.uk
//!     security: starttls            # or tls (implicit TLS, port 465) or none (port 25)
//!     # port: 587                   # by default 587, 465 or 25 as `security` says
//!     username: wharf@example.co.uk
//!     password: { env: SMTP_PASSWORD }   # or { file: … } or { aws-secret: …, key: … }
//!     from: "Wharf <wharf@example.co.uk>"   # the sender when a message names none
//!     # extra-ca-file: ca.pem  timeout-seconds: 30  retries: 2  max-message-mib: 25
//! ```
//!
//! Secrets are never written in the file itself, are read when a message is sent, and never
//! appear in logs, run records or messages. Relative paths are relative to the file's folder.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use wharf_sftp::{NamedConnection, NamedConnections, SecretSource};

/// How the connection to the server is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS; a server that does not offer it is refused.
    #[default]
    Starttls,
    /// TLS from the first byte (SMTPS).
    Tls,
    /// No encryption (a relay on the local network); credentials are refused with it.
    None,
}

impl Security {
    fn default_port(self) -> u16 {
        match self {
            Security::Starttls => 587,
            Security::Tls => 465,
            Security::None => 25,
        }
    }
}

/// One SMTP connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SmtpConnection {
    /// Host name or address of the SMTP server.
    pub server: String,
    /// By default 587 (`starttls`), 465 (`tls`) or 25 (`none`).
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub security: Security,
    /// Login user; without it no authentication is attempted.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<SecretSource>,
    /// The sender of messages that name none (`Name <address>` or an address).
    #[serde(default)]
    pub from: Option<String>,
    /// A PEM file of CA certificates trusted besides the system's.
    #[serde(default)]
    pub extra_ca_file: Option<PathBuf>,
    /// Each attempt's limit for any one exchange with the server (seconds).
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    /// How often a transient failure (no connection, a 4xx answer) is retried with backoff.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// The largest message (with its attachments, encoded) sent, in MiB.
    #[serde(default = "default_max_message_mib")]
    pub max_message_mib: u64,
}

fn default_timeout() -> u64 {
    30
}
fn default_retries() -> u32 {
    2
}
fn default_max_message_mib() -> u64 {
    25
}

/// The most a connection may allow per message; mail servers refuse far less.
const MAX_MESSAGE_MIB: u64 = 100;

impl SmtpConnection {
    /// A connection to `server` with the defaults (STARTTLS, no login).
    pub fn new(server: impl Into<String>) -> Self {
        SmtpConnection {
            server: server.into(),
            port: None,
            security: Security::default(),
            username: None,
            password: None,
            from: None,
            extra_ca_file: None,
            timeout_seconds: default_timeout(),
            retries: default_retries(),
            max_message_mib: default_max_message_mib(),
        }
    }

    pub fn port(&self) -> u16 {
        self.port.unwrap_or(self.security.default_port())
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_seconds.max(1))
    }

    pub fn max_message_bytes(&self) -> u64 {
        self.max_message_mib.saturating_mul(1 << 20)
    }
}

impl NamedConnection for SmtpConnection {
    const SECTION: &'static str = "email";

    /// Checks what the file says; the error never quotes a secret.
    fn check(&self) -> Result<(), String> {
        let server = self.server.trim();
        if server.is_empty() {
            return Err("`server` is empty".into());
        }
        if server.contains('@') {
            return Err("`server` holds a user or password (`USER:PASSWORD@HOST`): give only the host name in `server`, the user in `username` and the password as `password: { env: NAME }`".into());
        }
        if server.contains("://") || server.contains('/') || server.contains(':') {
            return Err(format!(
                "`server` `{server}` is a URL or holds a port: give only the host name or address, the port in `port`"
            ));
        }
        match (&self.username, &self.password) {
            (Some(user), _) if user.trim().is_empty() => {
                return Err("`username` is empty".into());
            }
            (None, Some(_)) => return Err("`password` is given without `username`".into()),
            (Some(_), None) => return Err("`username` is given without `password`".into()),
            _ => {}
        }
        if self.username.is_some() && self.security == Security::None {
            return Err("a login over an unencrypted connection would send the password in clear: set `security: starttls` or `tls`".into());
        }
        if self.max_message_mib == 0 || self.max_message_mib > MAX_MESSAGE_MIB {
            return Err(format!(
                "`max-message-mib` must be 1 to {MAX_MESSAGE_MIB}, got {}",
                self.max_message_mib
            ));
        }
        if let Some(from) = &self.from {
            crate::send::parse_addresses(from)
                .ok()
                .filter(|a| a.len() == 1)
                .ok_or_else(|| format!("`from` `{from}` is not one e-mail address"))?;
        }
        Ok(())
    }

    fn resolve(&mut self, base: &Path) {
        if let Some(path) = &mut self.extra_ca_file {
            *path = base.join(&*path);
        }
        if let Some(SecretSource::File(path)) = &mut self.password {
            *path = base.join(&*path);
        }
    }
}

/// The SMTP connections of a connections file (section `email:`), by name.
pub type EmailConnections = NamedConnections<SmtpConnection>;

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<EmailConnections, String> {
        EmailConnections::parse(yaml, Path::new("/etc/wharf"))
    }

    #[test]
    fn parses_a_connection_with_defaults_and_resolves_paths() {
        let c = parse("email:\n  office:\n    server: smtp.example.co.uk\n    username: u\n    password: { file: secrets/smtp }\n    extra-ca-file: ca.pem\n    from: 'Wharf <w@example.co.uk>'\nsftp: {}\nhttp: {}\n").unwrap();
        let office = c.get("office").unwrap();
        assert_eq!(office.security, Security::Starttls);
        assert_eq!(office.port(), 587);
        assert_eq!(office.retries, 2);
        assert_eq!(office.max_message_bytes(), 25 << 20);
        assert_eq!(
            office.extra_ca_file.as_deref(),
            Some(Path::new("/etc/wharf/ca.pem"))
        );
        assert_eq!(
            office.password,
            Some(SecretSource::File("/etc/wharf/secrets/smtp".into()))
        );
        assert_eq!(c.names().collect::<Vec<_>>(), ["office"]);
    }

    #[test]
    fn ports_follow_the_security_unless_given() {
        let c = parse("email:\n  a: { server: h, security: tls }\n  b: { server: h, security: none }\n  c: { server: h, security: tls, port: 2465 }\n").unwrap();
        assert_eq!(c.get("a").unwrap().port(), 465);
        assert_eq!(c.get("b").unwrap().port(), 25);
        assert_eq!(c.get("c").unwrap().port(), 2465);
    }

    #[test]
    fn bad_connections_are_refused_naming_the_setting_and_never_a_secret() {
        for (yaml, expected) in [
            ("{ server: '' }", "`server` is empty"),
            (
                "{ server: 'u:hunter2@smtp.example' }",
                "holds a user or password",
            ),
            ("{ server: 'smtp://smtp.example' }", "is a URL"),
            ("{ server: h, username: u }", "without `password`"),
            ("{ server: h, password: { env: X } }", "without `username`"),
            (
                "{ server: h, security: none, username: u, password: { env: X } }",
                "unencrypted",
            ),
            ("{ server: h, max-message-mib: 0 }", "`max-message-mib`"),
            ("{ server: h, from: 'not an address' }", "`from`"),
            (
                "{ server: h, security: ssl }",
                "`ssl`, expected one of starttls, tls, none",
            ),
            ("{ server: h, pasword: { env: X } }", "pasword"),
            (
                "{ server: h, username: u, password: hunter2 }",
                "{ env: NAME }",
            ),
        ] {
            let e = parse(&format!("email:\n  office: {yaml}\n")).unwrap_err();
            assert!(e.contains(expected), "{yaml}: {e}");
            assert!(!e.contains("hunter2"), "{yaml}: the secret is echoed: {e}");
        }
    }

    #[test]
    fn an_unknown_section_is_refused_naming_the_known_ones() {
        let e = parse("smtp:\n  office: { server: h }\n").unwrap_err();
        assert!(e.contains("`smtp`") && e.contains("email"), "{e}");
    }

    #[test]
    fn a_missing_file_means_no_connections() {
        let c = EmailConnections::load(Path::new("/nonexistent/connections.yaml")).unwrap();
        assert_eq!(c.names().count(), 0);
    }
}
