//! Named SFTP connections, defined outside the workflows in a connections file:
//!
//! ```yaml
//! sftp:
//!   shop:
//!     server: sftp.example.co.uk
//!     port: 22
//!     username: zynk
//!     password: { env: SHOP_SFTP_PASSWORD }     # or { file: /run/secrets/shop }
//!     # private-key-file: keys/shop_ed25519     # instead of, or besides, a password
//!     # passphrase: { env: SHOP_KEY_PASSPHRASE }
//!     known-hosts: known_hosts                  # and/or host-key: "SHA256:…"
//! ```
//!
//! Secrets are never written in the file itself: they come from an environment variable or a
//! secrets file, are read when a connection opens, and never appear in logs, run records or
//! error messages. Relative paths are relative to the connections file's folder.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use wharf_engine::limits::{MIB, read_text_at_most};

/// Longest connections file read; a real one is a few KiB.
const MAX_CONNECTIONS_BYTES: u64 = MIB;

/// Why the connections file or a connection's secrets cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionsError {
    #[error("cannot read the connections file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("connections file {}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

/// Where a secret comes from: `{ env: NAME }`, `{ file: PATH }` or
/// `{ aws-secret: NAME-OR-ARN [, key: FIELD] }`.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// An environment variable of the process running the workflow.
    Env(String),
    /// A file holding only the secret (a trailing newline is dropped).
    File(PathBuf),
    /// A secret in AWS Secrets Manager (name or ARN), read through the process's
    /// [`SecretStore`]; with `key`, the secret is a JSON object and the value is that field's.
    AwsSecret { id: String, key: Option<String> },
}

/// Reads secrets kept outside the machine (AWS Secrets Manager). The binaries install one at
/// start-up ([`install_secret_store`]); a library or test that installs none gets a clear error
/// for an `aws-secret` source.
pub trait SecretStore: Send + Sync {
    /// The secret's text. The error names the secret and the cause, never a value.
    fn fetch(&self, id: &str) -> Result<String, String>;
}

static SECRET_STORE: std::sync::OnceLock<Box<dyn SecretStore>> = std::sync::OnceLock::new();

/// Installs the process's store for `aws-secret` sources; the first install wins (false after).
pub fn install_secret_store(store: Box<dyn SecretStore>) -> bool {
    SECRET_STORE.set(store).is_ok()
}

const SERVER_FORM: &str = "give only the host name or address in `server`, the user in `username`, the port in `port` and the password as `password: { env: NAME }`";

const SECRET_FORMS: &str = "a secret is given as `{ env: NAME }`, `{ file: PATH }` or `{ aws-secret: NAME, key: FIELD }` (`key` optional), never written in the connections file itself";

impl<'de> Deserialize<'de> for SecretSource {
    // By hand, so that an error never echoes what was written where a secret belongs.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Map(BTreeMap<String, String>),
            Other(serde::de::IgnoredAny),
        }
        let Raw::Map(mut map) = Raw::deserialize(d)? else {
            return Err(D::Error::custom(SECRET_FORMS));
        };
        let key = map.remove("key");
        let mut entries = map.into_iter();
        let source = match (entries.next(), entries.next(), key) {
            (Some((kind, value)), None, None) if kind == "env" => SecretSource::Env(value),
            (Some((kind, value)), None, None) if kind == "file" => SecretSource::File(value.into()),
            (Some((kind, id)), None, key) if kind == "aws-secret" && !id.trim().is_empty() => {
                SecretSource::AwsSecret { id, key }
            }
            _ => return Err(D::Error::custom(SECRET_FORMS)),
        };
        Ok(source)
    }
}

impl fmt::Debug for SecretSource {
    // Names where the secret is, never the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Env(name) => write!(f, "env:{name}"),
            SecretSource::File(path) => write!(f, "file:{}", path.display()),
            SecretSource::AwsSecret { id, key: None } => write!(f, "aws-secret:{id}"),
            SecretSource::AwsSecret { id, key: Some(key) } => {
                write!(f, "aws-secret:{id}#{key}")
            }
        }
    }
}

/// A secret value; its `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl SecretSource {
    /// Reads the secret. The error names where it was looked for, never a value.
    pub fn read(&self) -> Result<Secret, String> {
        match self {
            SecretSource::Env(name) => std::env::var(name)
                .map(Secret)
                .map_err(|_| format!("environment variable `{name}` is not set")),
            SecretSource::File(path) => std::fs::read_to_string(path)
                .map(|s| Secret(s.trim_end_matches(['\r', '\n']).to_owned()))
                .map_err(|e| format!("cannot read the secrets file {}: {e}", path.display())),
            SecretSource::AwsSecret { id, key } => {
                let store = SECRET_STORE.get().ok_or_else(|| {
                    format!("AWS secret `{id}`: this program reads no AWS Secrets Manager secrets")
                })?;
                let text = store.fetch(id)?;
                match key {
                    None => Ok(Secret(text)),
                    Some(key) => field_of(&text, key)
                        .map(Secret)
                        .map_err(|why| format!("AWS secret `{id}`, key `{key}`: {why}")),
                }
            }
        }
    }

    fn resolve(&mut self, base: &Path) {
        if let SecretSource::File(path) = self {
            *path = base.join(&*path);
        }
    }
}

/// The string field `key` of a secret holding a JSON object (Secrets Manager's key/value form).
/// The error never quotes the secret.
fn field_of(text: &str, key: &str) -> Result<String, String> {
    let object: BTreeMap<String, serde_json::Value> = serde_json::from_str(text)
        .map_err(|_| "the secret is not a JSON object of key/value pairs".to_string())?;
    match object.get(key) {
        Some(serde_json::Value::String(value)) => Ok(value.clone()),
        Some(_) => Err("the value is not a string".into()),
        None => Err("no such key in the secret".into()),
    }
}

/// One SFTP connection (docs/zynk-reference.md §2.1).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SftpConnection {
    /// Host name or address.
    pub server: String,
    #[serde(default = "default_port")]
    pub port: u16,
    pub username: String,
    /// For password authentication.
    #[serde(default)]
    pub password: Option<SecretSource>,
    /// For public-key authentication (OpenSSH, PKCS#8 or PuTTY key files).
    #[serde(default)]
    pub private_key_file: Option<PathBuf>,
    /// The private key's text itself, from a secret (e.g. `{ aws-secret: shop-sftp-key }` in
    /// cloud mode, where no key file can be supplied); instead of `private-key-file`.
    #[serde(default)]
    pub private_key: Option<SecretSource>,
    /// Unlocks an encrypted private key.
    #[serde(default)]
    pub passphrase: Option<SecretSource>,
    /// An OpenSSH known_hosts file holding the server's key.
    #[serde(default)]
    pub known_hosts: Option<PathBuf>,
    /// The server key's fingerprint as `ssh-keygen -l` prints it, e.g. `SHA256:…`.
    #[serde(default)]
    pub host_key: Option<String>,
    /// How long to wait for the server to answer a connect (seconds).
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_seconds: u64,
    /// How long to wait for any one reply once connected (seconds).
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    /// How often a transient failure is retried (with backoff) before the task fails.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// While the tasks after a download run, read the next file of the folder listing (up to
    /// 4 MiB) so its download needs only a look at the file (docs/zynk-reference.md §2.3).
    #[serde(default = "default_read_ahead")]
    pub read_ahead: bool,
}

fn default_port() -> u16 {
    22
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
fn default_read_ahead() -> bool {
    true
}

impl SftpConnection {
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_seconds.max(1))
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_seconds.max(1))
    }

    fn check(&self) -> Result<(), String> {
        if self.server.trim().is_empty() {
            return Err("`server` is empty".into());
        }
        // `server` is shown in logs, run records and listings: a URL with credentials in it
        // (`sftp://user:password@host`) would put the password there. Refuse it without
        // echoing any of it.
        if let Some((userinfo, _host)) = self.server.rsplit_once('@') {
            let holds_password = userinfo.contains(':');
            return Err(if holds_password {
                format!(
                    "`server` holds a password (`USER:PASSWORD@HOST`): {SERVER_FORM}; {SECRET_FORMS}"
                )
            } else {
                format!("`server` holds a user name (`USER@HOST`): {SERVER_FORM}")
            });
        }
        if self.server.contains("://") || self.server.contains('/') {
            return Err(format!(
                "`server` `{}` is a URL or path: {SERVER_FORM}",
                self.server
            ));
        }
        if self.username.trim().is_empty() {
            return Err("`username` is empty".into());
        }
        if self.private_key_file.is_some() && self.private_key.is_some() {
            return Err("give `private-key-file` or `private-key`, not both".into());
        }
        if self.password.is_none() && self.private_key_file.is_none() && self.private_key.is_none()
        {
            return Err(
                "give `password` or `private-key-file` / `private-key` (or a password and a key)"
                    .into(),
            );
        }
        if self.known_hosts.is_none() && self.host_key.is_none() {
            return Err("the server's key must be pinned: give `known-hosts` (a known_hosts file) or `host-key` (its SHA256 fingerprint, as `ssh-keygen -l -f KEY.pub` prints it)".into());
        }
        if let Some(fp) = &self.host_key
            && !fp.starts_with("SHA256:")
        {
            return Err(format!(
                "`host-key` must be a SHA256 fingerprint (`SHA256:…`), got `{fp}`"
            ));
        }
        Ok(())
    }

    fn resolve(&mut self, base: &Path) {
        for path in [&mut self.private_key_file, &mut self.known_hosts]
            .into_iter()
            .flatten()
        {
            *path = base.join(&*path);
        }
        for secret in [
            &mut self.password,
            &mut self.passphrase,
            &mut self.private_key,
        ]
        .into_iter()
        .flatten()
        {
            secret.resolve(base);
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectionsFile {
    #[serde(default)]
    sftp: BTreeMap<String, SftpConnection>,
    /// HTTP connections, read by `wharf_http`.
    #[serde(default)]
    #[allow(dead_code)]
    http: serde::de::IgnoredAny,
    /// SMTP connections, read by `wharf_email`.
    #[serde(default)]
    #[allow(dead_code)]
    email: serde::de::IgnoredAny,
    /// FTP connections, read by `wharf_ftp`.
    #[serde(default)]
    #[allow(dead_code)]
    ftp: serde::de::IgnoredAny,
}

/// Reads the connections file at `path` (bounded) and hands its text and folder (for relative
/// paths) to `parse`; a missing file reads as empty. Each capability parses its own section.
pub fn load_connections_file<T>(
    path: &Path,
    parse: impl FnOnce(&str, &Path) -> Result<T, String>,
) -> Result<T, ConnectionsError> {
    let text = match read_text_at_most(path, MAX_CONNECTIONS_BYTES) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(ConnectionsError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let base = path.parent().unwrap_or(Path::new("."));
    parse(&text, base).map_err(|message| ConnectionsError::Invalid {
        path: path.to_owned(),
        message,
    })
}

/// The connections file's YAML as `T` (its default for an empty file). No snippet of the
/// source in errors: it may sit next to a secret's line.
pub fn parse_connections_yaml<T: serde::de::DeserializeOwned + Default>(
    text: &str,
) -> Result<T, String> {
    if text.trim().is_empty() {
        return Ok(T::default());
    }
    serde_saphyr::from_str(text).map_err(|e| e.without_snippet().to_string())
}

/// The connection a grant such as `sftp:NAME` names; `capability` words the refusal of a grant
/// that names none. Shared by the capabilities that grant named connections.
pub fn granted_connection<'a>(
    capability: &str,
    argument: Option<&'a str>,
) -> Result<&'a str, String> {
    argument
        .ok_or_else(|| format!("`{capability}` needs the connection to grant: `{capability}:NAME`"))
}

/// One client per connection name, made on first use and then shared by every task granted
/// that connection (its live session or connection pool). Shared by the capabilities that
/// grant named connections.
pub struct ClientPool<C>(std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<C>>>);

impl<C> Default for ClientPool<C> {
    fn default() -> Self {
        ClientPool(std::sync::Mutex::new(std::collections::HashMap::new()))
    }
}

impl<C> ClientPool<C> {
    /// The client of connection `name`; `make` builds it the first time.
    pub fn get_or_make(
        &self,
        name: &str,
        make: impl FnOnce() -> Result<C, String>,
    ) -> Result<std::sync::Arc<C>, String> {
        let mut clients = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(client) = clients.get(name) {
            return Ok(client.clone());
        }
        let client = std::sync::Arc::new(make()?);
        clients.insert(name.to_owned(), client.clone());
        Ok(client)
    }
}

/// Why a grant naming `name` is refused: no `kind` connection (e.g. "SFTP") of that name among
/// `known`.
pub fn unknown_connection<'a>(
    kind: &str,
    name: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> String {
    let known: Vec<&str> = known.into_iter().collect();
    format!(
        "no {kind} connection `{name}` in the connections file (it defines: {})",
        if known.is_empty() {
            "none".to_owned()
        } else {
            known.join(", ")
        }
    )
}

/// The sections of a connections file, one per capability that grants named connections.
pub const SECTIONS: &[&str] = &["sftp", "http", "ftp", "email"];

/// A kind of connection that lives in one section of the connections file (FTP's, SMTP's).
pub trait NamedConnection: serde::de::DeserializeOwned + Clone {
    /// Its section, one of [`SECTIONS`].
    const SECTION: &'static str;
    /// Checks what the file says; the error names the setting, never a secret.
    fn check(&self) -> Result<(), String>;
    /// Makes the connection's relative paths relative to `base`, the file's folder.
    fn resolve(&mut self, base: &Path);
}

/// Section `C::SECTION` of a connections file; the other known sections are skipped, an
/// unknown one is refused.
struct Section<C>(BTreeMap<String, C>);

impl<C> Default for Section<C> {
    fn default() -> Self {
        Section(BTreeMap::new())
    }
}

impl<'de, C: NamedConnection> Deserialize<'de> for Section<C> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Sections<C>(std::marker::PhantomData<C>);
        impl<'de, C: NamedConnection> serde::de::Visitor<'de> for Sections<C> {
            type Value = Section<C>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "a map of sections ({})", SECTIONS.join(", "))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Section<C>, A::Error> {
                let mut found = BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    if key == C::SECTION {
                        found = map.next_value()?;
                    } else if SECTIONS.contains(&key.as_str()) {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    } else {
                        return Err(serde::de::Error::unknown_field(&key, SECTIONS));
                    }
                }
                Ok(Section(found))
            }
        }
        d.deserialize_map(Sections(std::marker::PhantomData))
    }
}

/// The connections of one kind a runtime may grant, by name.
#[derive(Debug, Clone)]
pub struct NamedConnections<C> {
    connections: BTreeMap<String, C>,
}

impl<C> Default for NamedConnections<C> {
    fn default() -> Self {
        NamedConnections {
            connections: BTreeMap::new(),
        }
    }
}

impl<C: NamedConnection> NamedConnections<C> {
    /// Reads a connections file; a missing file means no connections.
    pub fn load(path: &Path) -> Result<Self, ConnectionsError> {
        load_connections_file(path, Self::parse)
    }

    /// Parses connections, each checked; relative paths are taken from `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Self, String> {
        let Section(mut connections) = parse_connections_yaml::<Section<C>>(text)?;
        for (name, connection) in &mut connections {
            connection
                .check()
                .map_err(|e| format!("{} connection `{name}`: {e}", C::SECTION))?;
            connection.resolve(base);
        }
        Ok(NamedConnections { connections })
    }

    /// Adds or replaces a connection (for callers that build connections in code).
    pub fn insert(&mut self, name: impl Into<String>, connection: C) {
        self.connections.insert(name.into(), connection);
    }

    pub fn get(&self, name: &str) -> Option<&C> {
        self.connections.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.connections.keys().map(String::as_str)
    }
}

/// The connections a runtime may grant, by name.
#[derive(Debug, Clone, Default)]
pub struct Connections {
    sftp: BTreeMap<String, SftpConnection>,
}

impl Connections {
    /// Reads a connections file; a missing file means no connections.
    pub fn load(path: &Path) -> Result<Connections, ConnectionsError> {
        load_connections_file(path, Connections::parse)
    }

    /// Parses connections; relative paths are taken from `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Connections, String> {
        let file: ConnectionsFile = parse_connections_yaml(text)?;
        let mut sftp = file.sftp;
        for (name, connection) in &mut sftp {
            connection
                .check()
                .map_err(|e| format!("sftp connection `{name}`: {e}"))?;
            connection.resolve(base);
        }
        Ok(Connections { sftp })
    }

    /// Adds or replaces a connection (for callers that build connections in code).
    pub fn insert(&mut self, name: impl Into<String>, connection: SftpConnection) {
        self.sftp.insert(name.into(), connection);
    }

    pub fn sftp(&self, name: &str) -> Option<&SftpConnection> {
        self.sftp.get(name)
    }

    pub fn sftp_names(&self) -> impl Iterator<Item = &str> {
        self.sftp.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOP: &str = "
sftp:
  shop:
    server: 127.0.0.1
    port: 2222
    username: zynk
    password: { env: WHARF_TEST_NEVER_SET_PASSWORD }
    private-key-file: keys/shop
    passphrase: { file: secrets/passphrase }
    known-hosts: known_hosts
";

    #[test]
    fn parses_a_connection_and_resolves_its_paths() {
        let c = Connections::parse(SHOP, Path::new("/etc/wharf")).unwrap();
        let shop = c.sftp("shop").unwrap();
        assert_eq!(shop.port, 2222);
        assert_eq!(shop.retries, 3);
        assert_eq!(
            shop.private_key_file.as_deref(),
            Some(Path::new("/etc/wharf/keys/shop"))
        );
        assert_eq!(
            shop.known_hosts.as_deref(),
            Some(Path::new("/etc/wharf/known_hosts"))
        );
        assert_eq!(
            shop.passphrase,
            Some(SecretSource::File("/etc/wharf/secrets/passphrase".into()))
        );
        assert_eq!(c.sftp_names().collect::<Vec<_>>(), ["shop"]);
    }

    #[test]
    fn an_inline_password_is_refused() {
        let e = Connections::parse(
            "sftp:\n  shop:\n    server: a\n    username: b\n    password: hunter2\n    host-key: SHA256:x\n",
            Path::new("."),
        )
        .unwrap_err();
        assert!(e.contains("{ env: NAME }") && e.contains("line 5"), "{e}");
        assert!(!e.contains("hunter2"), "the secret is not echoed: {e}");
    }

    #[test]
    fn a_password_in_the_server_url_is_refused_without_echoing_it() {
        for server in [
            "sftp://u:hunter2@host",
            "u:hunter2@host",
            "sftp://u:hunter2@h:22/dir",
        ] {
            let e = Connections::parse(
                &format!("sftp:\n  shop:\n    server: \"{server}\"\n    username: b\n    password: {{ env: X }}\n    host-key: SHA256:x\n"),
                Path::new("."),
            )
            .unwrap_err();
            assert!(
                e.contains("`shop`") && e.contains("holds a password"),
                "{e}"
            );
            assert!(
                !e.contains("hunter2") && !e.contains("u:"),
                "the secret is not echoed: {e}"
            );
        }
        let e = Connections::parse(
            "sftp:\n  shop:\n    server: sftp://host\n    username: b\n    password: { env: X }\n    host-key: SHA256:x\n",
            Path::new("."),
        )
        .unwrap_err();
        assert!(e.contains("is a URL"), "{e}");
    }

    #[test]
    fn a_connection_without_a_pinned_host_key_is_refused() {
        let e = Connections::parse(
            "sftp:\n  shop:\n    server: a\n    username: b\n    password: { env: X }\n",
            Path::new("."),
        )
        .unwrap_err();
        assert!(e.contains("`shop`") && e.contains("known-hosts"), "{e}");
    }

    #[test]
    fn a_connection_without_credentials_is_refused() {
        let e = Connections::parse(
            "sftp:\n  shop:\n    server: a\n    username: b\n    host-key: SHA256:x\n",
            Path::new("."),
        )
        .unwrap_err();
        assert!(
            e.contains("password") && e.contains("private-key-file"),
            "{e}"
        );
    }

    #[test]
    fn unknown_settings_are_refused() {
        let e = Connections::parse(
            "sftp:\n  shop:\n    server: a\n    username: b\n    pasword: { env: X }\n",
            Path::new("."),
        )
        .unwrap_err();
        assert!(e.contains("pasword"), "{e}");
    }

    #[test]
    fn secrets_come_from_files_and_never_show_in_debug_output() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw"), "s3cret\n").unwrap();
        let secret = SecretSource::File("pw".into());
        let mut resolved = secret.clone();
        resolved.resolve(dir.path());
        let value = resolved.read().unwrap();
        assert_eq!(value.expose(), "s3cret");
        assert!(!format!("{value:?}").contains("s3cret"));
        let missing = SecretSource::Env("WHARF_TEST_NEVER_SET_PASSWORD".into())
            .read()
            .unwrap_err();
        assert!(
            missing.contains("WHARF_TEST_NEVER_SET_PASSWORD"),
            "{missing}"
        );
    }

    #[test]
    fn aws_secrets_parse_with_and_without_a_key_and_need_a_store() {
        let c = Connections::parse(
            "sftp:\n  shop:\n    server: a\n    username: b\n    host-key: SHA256:x\n    private-key: { aws-secret: acme/sftp, key: pem }\n    passphrase: { aws-secret: arn:aws:secretsmanager:eu-west-1:1:secret:p }\n",
            Path::new("."),
        )
        .unwrap();
        let shop = c.sftp("shop").unwrap();
        assert_eq!(
            format!("{:?}", shop.private_key.as_ref().unwrap()),
            "aws-secret:acme/sftp#pem"
        );
        // No store is installed in this test binary: a clear error, no panic.
        let e = shop.passphrase.as_ref().unwrap().read().unwrap_err();
        assert!(e.contains("reads no AWS Secrets Manager secrets"), "{e}");
        for bad in [
            "{ aws-secret: '' }",
            "{ env: X, key: y }",
            "{ aws-secret: a, file: b }",
        ] {
            let e = Connections::parse(
                &format!("sftp:\n  shop:\n    server: a\n    username: b\n    host-key: SHA256:x\n    password: {bad}\n"),
                Path::new("."),
            )
            .unwrap_err();
            assert!(e.contains("aws-secret"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_key_of_a_json_secret_is_read_and_errors_never_quote_the_secret() {
        assert_eq!(
            field_of(r#"{"password":"pw1","user":"u"}"#, "password").unwrap(),
            "pw1"
        );
        assert_eq!(
            field_of(r#"{"n":1}"#, "n").unwrap_err(),
            "the value is not a string"
        );
        assert_eq!(
            field_of(r#"{"a":"hunter2"}"#, "b").unwrap_err(),
            "no such key in the secret"
        );
        let e = field_of("hunter2", "b").unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn an_oversized_connections_file_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("connections.yaml");
        std::fs::File::create(&path)
            .unwrap()
            .set_len(1 << 30)
            .unwrap();
        let e = Connections::load(&path).unwrap_err().to_string();
        assert!(e.contains("larger than the maximum of 1 MiB"), "{e}");
    }

    #[test]
    fn a_missing_file_means_no_connections() {
        let c = Connections::load(Path::new("/nonexistent/connections.yaml")).unwrap();
        assert_eq!(c.sftp_names().count(), 0);
    }
}
