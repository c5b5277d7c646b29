//! Named FTP connections, in the same connections file as SFTP's (section `ftp:`):
//!
//! ```yaml
//! ftp:
//!   drop:
//!     server: ftp.example.co.uk        # host name or address only
//!     # port: 21
//!     username: zynk
//!     password: { env: DROP_FTP_PASSWORD }   # or { file: … } or { aws-secret: …, key: … }
//!     tls: true                        # explicit FTPS (AUTH TLS), the default; false: plain FTP
//!     # passive: true  binary: true  extra-ca-file: ca.pem
//!     # connect-timeout-seconds: 15  timeout-seconds: 30  retries: 3
//! ```
//!
//! Secrets are never written in the file itself, are read when a connection opens, and never
//! appear in logs, run records or messages. Relative paths are relative to the file's folder.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use wharf_sftp::{NamedConnection, NamedConnections, SecretSource};

/// One FTP connection (Zynk's FTP connection: server, user, password, Use SSL, Use Passive,
/// Use Binary; docs/ftp.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct FtpConnection {
    /// Host name or address (Zynk's `ftp://host` is accepted and reduced to the host).
    pub server: String,
    #[serde(default = "default_port")]
    pub port: u16,
    pub username: String,
    /// None logs in without one (an anonymous server's empty password).
    #[serde(default)]
    pub password: Option<SecretSource>,
    /// Explicit FTPS: `AUTH TLS` before the login, data connections protected too.
    #[serde(default = "yes")]
    pub tls: bool,
    /// Passive mode (the client opens data connections); false: active mode.
    #[serde(default = "yes")]
    pub passive: bool,
    /// Binary (image) transfers; false: ASCII mode, which may change line endings.
    #[serde(default = "yes")]
    pub binary: bool,
    /// A PEM file of CA certificates trusted besides the system's (FTPS).
    #[serde(default)]
    pub extra_ca_file: Option<PathBuf>,
    /// How long to wait for the server to answer a connect (seconds).
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_seconds: u64,
    /// How long to wait for any one reply or data block once connected (seconds).
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    /// How often a transient failure is retried (with backoff) before the task fails.
    #[serde(default = "default_retries")]
    pub retries: u32,
}

fn default_port() -> u16 {
    21
}
fn yes() -> bool {
    true
}
fn default_connect_timeout() -> u64 {
    15
}
fn default_timeout() -> u64 {
    30
}
fn default_retries() -> u32 {
    3
}

impl FtpConnection {
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_seconds.max(1))
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_seconds.max(1))
    }

    /// The host to connect to (the server without Zynk's `ftp://`).
    pub fn host(&self) -> &str {
        let server = self.server.trim();
        server
            .strip_prefix("ftp://")
            .unwrap_or(server)
            .trim_end_matches('/')
    }
}

impl NamedConnection for FtpConnection {
    const SECTION: &'static str = "ftp";

    fn check(&self) -> Result<(), String> {
        let host = self.host();
        if host.is_empty() {
            return Err("`server` is empty".into());
        }
        if host.contains('@') {
            return Err("`server` holds a user or password (`USER:PASSWORD@HOST`): give only the host name in `server`, the user in `username` and the password as `password: { env: NAME }`".into());
        }
        if host.contains("://") || host.contains('/') || host.contains(':') {
            return Err(format!(
                "`server` `{}` is a URL or holds a path or port: give only the host name or address (`ftp://HOST` is accepted), the port in `port`",
                self.server.trim()
            ));
        }
        if self.username.trim().is_empty() {
            return Err("`username` is empty".into());
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

/// The FTP connections a runtime may grant (section `ftp:`), by name.
pub type FtpConnections = NamedConnections<FtpConnection>;

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<FtpConnections, String> {
        FtpConnections::parse(yaml, Path::new("/etc/wharf"))
    }

    #[test]
    fn parses_a_connection_with_defaults_and_resolves_paths() {
        let c = parse("ftp:\n  drop:\n    server: ftp://ftp.example.co.uk/\n    username: zynk\n    password: { file: secrets/ftp }\n    extra-ca-file: ca.pem\nsftp: {}\nhttp: {}\nemail: {}\n").unwrap();
        let drop = c.get("drop").unwrap();
        assert_eq!(drop.host(), "ftp.example.co.uk");
        assert_eq!(drop.port, 21);
        assert!(drop.tls && drop.passive && drop.binary);
        assert_eq!(drop.retries, 3);
        assert_eq!(
            drop.extra_ca_file.as_deref(),
            Some(Path::new("/etc/wharf/ca.pem"))
        );
        assert_eq!(
            drop.password,
            Some(SecretSource::File("/etc/wharf/secrets/ftp".into()))
        );
        assert_eq!(c.names().collect::<Vec<_>>(), ["drop"]);
    }

    #[test]
    fn bad_connections_are_refused_naming_the_setting_and_never_a_secret() {
        for (yaml, expected) in [
            ("{ server: '', username: u }", "`server` is empty"),
            (
                "{ server: 'ftp://u:hunter2@ftp.example', username: u }",
                "holds a user or password",
            ),
            ("{ server: 'sftp://h', username: u }", "is a URL"),
            ("{ server: 'h:2121', username: u }", "holds a path or port"),
            ("{ server: h, username: ' ' }", "`username` is empty"),
            ("{ server: h }", "username"),
            ("{ server: h, username: u, pasive: true }", "pasive"),
            (
                "{ server: h, username: u, password: hunter2 }",
                "{ env: NAME }",
            ),
        ] {
            let e = parse(&format!("ftp:\n  drop: {yaml}\n")).unwrap_err();
            assert!(e.contains(expected), "{yaml}: {e}");
            assert!(!e.contains("hunter2"), "{yaml}: the secret is echoed: {e}");
        }
    }

    #[test]
    fn a_missing_file_means_no_connections() {
        let c = FtpConnections::load(Path::new("/nonexistent/connections.yaml")).unwrap();
        assert_eq!(c.names().count(), 0);
    }
}
