//! One SFTP connection (russh + russh-sftp): connect with host-key pinning, authenticate,
//! and the file operations the tasks need, each retried with backoff on a fresh connection
//! when the transport fails. The live connection is kept and reused by later calls.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::{self, HashAlg, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh_sftp::client::SftpSession;
use russh_sftp::client::error::Error as SftpProtocolError;
use russh_sftp::protocol::{OpenFlags, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::connections::SftpConnection;

/// What kind of failure an operation ended in (mirrors the WIT `failure-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    NotFound,
    NotAuthorised,
    AlreadyExists,
    Connection,
    NotPermitted,
    Failed,
}

/// A failed operation: its kind and a message naming the connection, the operation and the
/// path. Messages never hold a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SftpFailure {
    pub kind: FailureKind,
    pub message: String,
}

impl SftpFailure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        SftpFailure {
            kind,
            message: message.into(),
        }
    }
}

/// A remote file or folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteEntry {
    pub name: String,
    pub path: String,
    pub directory: String,
    pub is_directory: bool,
    pub size: u64,
    pub modified: Option<u64>,
}

/// Charged with every chunk a download writes locally (the task's write budget).
pub type Charge = Arc<dyn Fn(u64) -> Result<(), String> + Send + Sync>;

/// Why one attempt failed: worth another attempt on a fresh connection, or final.
enum Attempt {
    Transient(String),
    Final(SftpFailure),
}

impl From<SftpFailure> for Attempt {
    fn from(f: SftpFailure) -> Self {
        Attempt::Final(f)
    }
}

/// Sorts an SFTP protocol error: a status from the server is an answer (final); a timeout or a
/// broken channel is the transport failing (transient).
fn protocol(context: &str, e: SftpProtocolError) -> Attempt {
    match e {
        SftpProtocolError::Status(status) => {
            let kind = match status.status_code {
                StatusCode::NoSuchFile => FailureKind::NotFound,
                StatusCode::PermissionDenied => FailureKind::NotAuthorised,
                _ => FailureKind::Failed,
            };
            let detail = if status.error_message.is_empty() {
                status.status_code.to_string()
            } else {
                status.error_message
            };
            Attempt::Final(SftpFailure::new(kind, format!("{context}: {detail}")))
        }
        SftpProtocolError::Limited(m) => Attempt::Final(SftpFailure::new(
            FailureKind::Failed,
            format!("{context}: {m}"),
        )),
        other => Attempt::Transient(format!("{context}: {other}")),
    }
}

fn local_io(context: &str, e: std::io::Error) -> Attempt {
    Attempt::Final(SftpFailure::new(
        FailureKind::Failed,
        format!("{context}: {e}"),
    ))
}

/// Checks the server's key against the connection's pins; records why a key was refused.
struct HostKeyCheck {
    server: String,
    port: u16,
    known_hosts: Option<PathBuf>,
    fingerprint: Option<String>,
    refusal: Arc<Mutex<Option<String>>>,
}

impl HostKeyCheck {
    fn verdict(&self, key: &PublicKeyOrCertificate) -> Result<(), String> {
        let PublicKeyOrCertificate::PublicKey { key, .. } = key else {
            return Err("the server offered a host certificate; pin its plain host key".into());
        };
        let seen = key.fingerprint(HashAlg::Sha256).to_string();
        if let Some(pinned) = &self.fingerprint {
            if *pinned == seen {
                return Ok(());
            }
            if self.known_hosts.is_none() {
                return Err(format!(
                    "the server's host key {seen} is not the pinned `host-key` {pinned}"
                ));
            }
        }
        if let Some(file) = &self.known_hosts {
            return match keys::check_known_hosts_path(&self.server, self.port, key, file) {
                Ok(true) => Ok(()),
                Ok(false) => Err(format!(
                    "the server's host key {seen} is unknown: it is not in {}",
                    file.display()
                )),
                Err(keys::Error::KeyChanged { line }) => Err(format!(
                    "the server's host key {seen} does not match the key for this server on line {line} of {} (has the server changed, or is someone in between?)",
                    file.display()
                )),
                Err(e) => Err(format!("cannot check {}: {e}", file.display())),
            };
        }
        Err(format!("the server's host key {seen} is not pinned"))
    }
}

impl client::Handler for HostKeyCheck {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        match self.verdict(key) {
            Ok(()) => Ok(true),
            Err(why) => {
                *self.refusal.lock().expect("refusal lock") = Some(why);
                Ok(false)
            }
        }
    }
}

struct Live {
    _ssh: Handle<HostKeyCheck>,
    sftp: Arc<SftpSession>,
}

/// Files up to this size are read ahead; a larger one is downloaded when asked for.
const READ_AHEAD_MAX: u64 = 4 << 20;

/// A named connection and, once used, its live session.
pub struct SftpClient {
    name: String,
    connection: SftpConnection,
    live: tokio::sync::Mutex<Option<Live>>,
    /// The files of the last folder listing, in path order: the order a repeater's downloads
    /// ask for them, so the file after the one downloaded is worth reading ahead.
    listed: Mutex<Vec<RemoteEntry>>,
    /// The file being read ahead, if any.
    ahead: Mutex<Option<Ahead>>,
    /// Test hook: backoff base, shortened by tests.
    backoff: Duration,
}

/// A file read while the tasks after the previous download run (the import of the previous
/// file, say), so that its own download costs one look at the file instead of opening and
/// reading it: the next file's transfer overlaps the current file's work, and nothing on the
/// server changes earlier than it would have (reading has no effect there).
struct Ahead {
    path: String,
    read: tokio::task::JoinHandle<Option<ReadAhead>>,
}

/// What reading ahead found: the bytes, and the file's size and time as they were after the
/// read. Its download uses them only if the file still has that size and time.
struct ReadAhead {
    bytes: Vec<u8>,
    size: u64,
    modified: Option<u64>,
}

impl ReadAhead {
    /// Reads `path`, listed with `listed` bytes (at most [`READ_AHEAD_MAX`]), whole; `None` on
    /// any failure or if its size is no longer that (its download then does the work itself
    /// and reports what is wrong). Reading exactly the listed size spares the reads past the
    /// end that find the end of the file (the SFTP client sends 16 of them at once).
    async fn read(sftp: Arc<SftpSession>, path: String, listed: u64) -> Option<ReadAhead> {
        let mut file = sftp.open(path).await.ok()?;
        let mut bytes = Vec::new();
        (&mut file)
            .take(listed)
            .read_to_end(&mut bytes)
            .await
            .ok()?;
        let meta = file.metadata().await.ok()?;
        let size = meta.size?;
        (bytes.len() as u64 == size && size == listed).then(|| ReadAhead {
            bytes,
            size,
            modified: meta.mtime.map(u64::from),
        })
    }
}

impl SftpClient {
    pub fn new(name: impl Into<String>, connection: SftpConnection) -> Self {
        SftpClient {
            name: name.into(),
            connection,
            live: tokio::sync::Mutex::new(None),
            listed: Mutex::new(Vec::new()),
            ahead: Mutex::new(None),
            backoff: Duration::from_millis(250),
        }
    }

    /// Shortens the pause between retries (tests).
    pub fn with_backoff(mut self, base: Duration) -> Self {
        self.backoff = base;
        self
    }

    pub fn server(&self) -> &str {
        &self.connection.server
    }

    /// `what` said of this connection, for messages.
    pub fn context(&self, what: &str) -> String {
        format!(
            "sftp `{}` ({}:{}): {what}",
            self.name, self.connection.server, self.connection.port
        )
    }

    async fn connect(&self) -> Result<Live, Attempt> {
        let c = &self.connection;
        let refusal = Arc::new(Mutex::new(None));
        let check = HostKeyCheck {
            server: c.server.clone(),
            port: c.port,
            known_hosts: c.known_hosts.clone(),
            fingerprint: c.host_key.clone(),
            refusal: refusal.clone(),
        };
        let config = Arc::new(client::Config {
            inactivity_timeout: None,
            keepalive_interval: Some(Duration::from_secs(15)),
            keepalive_max: 3,
            ..client::Config::default()
        });
        let connecting = client::connect(config, (c.server.as_str(), c.port), check);
        let mut ssh = match tokio::time::timeout(c.connect_timeout(), connecting).await {
            Err(_) => {
                return Err(Attempt::Transient(self.context(&format!(
                    "no answer within {} s",
                    c.connect_timeout().as_secs()
                ))));
            }
            Ok(Err(e)) => {
                if let Some(why) = refusal.lock().expect("refusal lock").take() {
                    return Err(Attempt::Final(SftpFailure::new(
                        FailureKind::Connection,
                        self.context(&format!("host key refused: {why}")),
                    )));
                }
                return Err(Attempt::Transient(
                    self.context(&format!("cannot connect: {e}")),
                ));
            }
            Ok(Ok(ssh)) => ssh,
        };
        self.authenticate(&mut ssh).await?;
        let channel = ssh
            .channel_open_session()
            .await
            .map_err(|e| Attempt::Transient(self.context(&format!("opening a session: {e}"))))?;
        channel
            .request_subsystem(true, "sftp")
            .await
            .map_err(|e| Attempt::Transient(self.context(&format!("starting sftp: {e}"))))?;
        let sftp_config = russh_sftp::client::Config {
            request_timeout_secs: c.timeout().as_secs(),
            ..Default::default()
        };
        let sftp = SftpSession::new_with_config(channel.into_stream(), sftp_config)
            .await
            .map_err(|e| protocol(&self.context("starting sftp"), e))?;
        tracing::debug!(connection = %self.name, "sftp connected");
        Ok(Live {
            _ssh: ssh,
            sftp: Arc::new(sftp),
        })
    }

    async fn authenticate(&self, ssh: &mut Handle<HostKeyCheck>) -> Result<(), Attempt> {
        let c = &self.connection;
        let refused = |how: &str| {
            Attempt::Final(SftpFailure::new(
                FailureKind::NotAuthorised,
                self.context(&format!(
                    "the server refused {how} for user `{}`",
                    c.username
                )),
            ))
        };
        let secret = |what: &str, source: &crate::connections::SecretSource| {
            source.read().map_err(|e| {
                Attempt::Final(SftpFailure::new(
                    FailureKind::NotAuthorised,
                    self.context(&format!("{what}: {e}")),
                ))
            })
        };
        let transport =
            |e: russh::Error| Attempt::Transient(self.context(&format!("authenticating: {e}")));
        let mut tried = Vec::new();
        let key_source = match (&c.private_key_file, &c.private_key) {
            (Some(file), _) => Some(KeySource::File(file)),
            (None, Some(secret)) => Some(KeySource::Secret(secret)),
            (None, None) => None,
        };
        if let Some(source) = key_source {
            let passphrase = match &c.passphrase {
                Some(source) => Some(secret("passphrase", source)?),
                None => None,
            };
            let passphrase = passphrase.as_ref().map(|p| p.expose());
            let unusable = |what: String| {
                Attempt::Final(SftpFailure::new(
                    FailureKind::NotAuthorised,
                    self.context(&what),
                ))
            };
            let key = match source {
                KeySource::File(key_file) => {
                    keys::load_secret_key(key_file, passphrase).map_err(|e| {
                        unusable(format!(
                            "cannot load the private key {}: {e}",
                            key_file.display()
                        ))
                    })?
                }
                // The parse error names no part of the key.
                KeySource::Secret(source) => {
                    let text = secret("private-key", source)?;
                    keys::decode_secret_key(text.expose(), passphrase).map_err(|e| {
                        unusable(format!(
                            "`private-key` ({source:?}) is not a usable private key: {e}"
                        ))
                    })?
                }
            };
            let hash = ssh
                .best_supported_rsa_hash()
                .await
                .map_err(transport)?
                .flatten();
            let result = ssh
                .authenticate_publickey(
                    &c.username,
                    PrivateKeyWithHashAlg::new(Arc::new(key), hash),
                )
                .await
                .map_err(transport)?;
            if result.success() {
                return Ok(());
            }
            tried.push("the private key");
        }
        if let Some(source) = &c.password {
            let password = secret("password", source)?;
            let result = ssh
                .authenticate_password(&c.username, password.expose())
                .await
                .map_err(transport)?;
            if result.success() {
                return Ok(());
            }
            tried.push("the password");
        }
        Err(refused(&tried.join(" and ")))
    }

    /// The live session, connecting first if needed. The lock is held only while looking and
    /// connecting: operations of several tasks (and a read-ahead) share one session at once,
    /// each its own SFTP request ids.
    async fn session(&self) -> Result<Arc<SftpSession>, Attempt> {
        let mut live = self.live.lock().await;
        if let Some(l) = live.as_ref() {
            return Ok(l.sftp.clone());
        }
        let l = self.connect().await?;
        let s = l.sftp.clone();
        *live = Some(l);
        Ok(s)
    }

    /// Drops `broken` as the live session (unless a newer one replaced it already).
    async fn forget(&self, broken: Option<&Arc<SftpSession>>) {
        let mut live = self.live.lock().await;
        let same = match (live.as_ref(), broken) {
            (Some(l), Some(b)) => Arc::ptr_eq(&l.sftp, b),
            (_, None) => true,
            (None, _) => false,
        };
        if same {
            *live = None;
        }
    }

    /// Runs `op` on the live session, connecting first if needed; a transient failure drops
    /// the session and tries again on a new one, up to the connection's `retries`.
    async fn with_session<T, F, Fut>(&self, op: F) -> Result<T, SftpFailure>
    where
        F: Fn(Arc<SftpSession>) -> Fut,
        Fut: Future<Output = Result<T, Attempt>>,
    {
        let mut attempt = 0u32;
        loop {
            let (used, result) = match self.session().await {
                Ok(s) => (Some(s.clone()), op(s).await),
                Err(e) => (None, Err(e)),
            };
            match result {
                Ok(value) => return Ok(value),
                Err(Attempt::Final(failure)) => return Err(failure),
                Err(Attempt::Transient(why)) => {
                    self.forget(used.as_ref()).await;
                    if attempt >= self.connection.retries {
                        return Err(SftpFailure::new(
                            FailureKind::Connection,
                            format!("{why} (gave up after {} attempt(s))", attempt + 1),
                        ));
                    }
                    let pause = self.backoff * 2u32.pow(attempt.min(4));
                    tracing::warn!(connection = %self.name, "{why}; retrying in {pause:?}");
                    tokio::time::sleep(pause).await;
                    attempt += 1;
                }
            }
        }
    }

    pub async fn list(
        &self,
        directory: &str,
        recursive: bool,
    ) -> Result<Vec<RemoteEntry>, SftpFailure> {
        let context = self.context(&format!("listing `{directory}`"));
        let listing = self
            .with_session(|sftp| {
                let context = context.clone();
                async move {
                    let mut found = Vec::new();
                    let mut folders = vec![directory.trim_end_matches('/').to_owned()];
                    if folders[0].is_empty() {
                        folders[0] = "/".into();
                    }
                    while let Some(folder) = folders.pop() {
                        let entries = sftp
                            .read_dir(folder.clone())
                            .await
                            .map_err(|e| protocol(&context, e))?;
                        for e in entries {
                            let name = e.file_name();
                            if name == "." || name == ".." {
                                continue;
                            }
                            let meta = e.metadata();
                            let entry = RemoteEntry {
                                path: join(&folder, &name),
                                name,
                                directory: folder.clone(),
                                is_directory: meta.is_dir(),
                                size: meta.size.unwrap_or(0),
                                modified: meta.mtime.map(u64::from),
                            };
                            if recursive && entry.is_directory {
                                folders.push(entry.path.clone());
                            }
                            found.push(entry);
                        }
                    }
                    found.sort_by(|a, b| a.path.cmp(&b.path));
                    Ok(found)
                }
            })
            .await;
        if let Ok(found) = &listing {
            self.remember(found);
        }
        listing
    }

    /// Keeps a listing's files as the order downloads are expected in; forgets what was read
    /// ahead from an earlier one.
    fn remember(&self, found: &[RemoteEntry]) {
        if !self.connection.read_ahead {
            return;
        }
        let files = found
            .iter()
            .filter(|e| !e.is_directory && !is_partial_name(&e.name))
            .cloned()
            .collect();
        *self.listed.lock().expect("listing lock") = files;
        if let Some(old) = self.ahead.lock().expect("read-ahead lock").take() {
            old.read.abort();
        }
    }

    /// After `path` was downloaded: starts reading the file that follows it in the last
    /// listing, if it is small enough.
    fn read_next(&self, path: &str, sftp: &Arc<SftpSession>) {
        if !self.connection.read_ahead {
            return;
        }
        let (next, size) = {
            let listed = self.listed.lock().expect("listing lock");
            let Ok(at) = listed.binary_search_by(|e| e.path.as_str().cmp(path)) else {
                return;
            };
            match listed.get(at + 1) {
                Some(e) if e.size <= READ_AHEAD_MAX => (e.path.clone(), e.size),
                _ => return,
            }
        };
        let read = tokio::spawn(ReadAhead::read(sftp.clone(), next.clone(), size));
        let previous = self
            .ahead
            .lock()
            .expect("read-ahead lock")
            .replace(Ahead { path: next, read });
        if let Some(old) = previous {
            old.read.abort();
        }
    }

    /// What was read ahead of `path`, if its file still has the size and time it had then.
    async fn read_ahead_of(
        &self,
        path: &str,
        sftp: &SftpSession,
        context: &str,
    ) -> Option<Vec<u8>> {
        let ahead = {
            let mut slot = self.ahead.lock().expect("read-ahead lock");
            if slot.as_ref().is_none_or(|a| a.path != path) {
                return None;
            }
            slot.take()?
        };
        let read = ahead.read.await.ok()??;
        let now = stat(sftp, path, context).await.ok()??;
        (!now.is_directory && now.size == read.size && now.modified == read.modified)
            .then_some(read.bytes)
    }

    pub async fn stat(&self, path: &str) -> Result<Option<RemoteEntry>, SftpFailure> {
        let context = self.context(&format!("looking at `{path}`"));
        self.with_session(|sftp| {
            let context = context.clone();
            async move { stat(&sftp, path, &context).await }
        })
        .await
    }

    /// Downloads `remote` to `local` through a temporary file beside it.
    pub async fn download(
        &self,
        remote: &str,
        local: &Path,
        charge: Charge,
    ) -> Result<u64, SftpFailure> {
        let context = self.context(&format!("downloading `{remote}`"));
        let temp = temp_beside(local);
        let result = self
            .with_session(|sftp| {
                let (context, temp, charge) = (context.clone(), temp.clone(), charge.clone());
                async move {
                    let written = match self.read_ahead_of(remote, &sftp, &context).await {
                        Some(bytes) => {
                            let total = bytes.len() as u64;
                            charge(total).map_err(|e| {
                                Attempt::Final(SftpFailure::new(FailureKind::Failed, e))
                            })?;
                            let file = write_whole(&temp, bytes).await.map_err(|e| {
                                local_io(&format!("{context}: {}", temp.display()), e)
                            })?;
                            (file, total)
                        }
                        None => stream_to(&sftp, remote, &temp, &charge, &context).await?,
                    };
                    self.read_next(remote, &sftp);
                    Ok(written)
                }
            })
            .await;
        match result {
            Ok((file, total)) => match tokio::fs::rename(&temp, local).await {
                Ok(()) => {
                    // On the disk before anything that could stop it being fetched again
                    // (docs/resume.md, "Downloaded files and the disk").
                    wharf_engine::durability::defer(file, local);
                    Ok(total)
                }
                Err(e) => {
                    let _ = tokio::fs::remove_file(&temp).await;
                    Err(SftpFailure::new(
                        FailureKind::Failed,
                        format!("{context}: cannot move it into place: {e}"),
                    ))
                }
            },
            Err(failure) => {
                let _ = tokio::fs::remove_file(&temp).await;
                Err(failure)
            }
        }
    }

    /// Uploads `local` to `remote` through a temporary remote name, renamed into place.
    pub async fn upload(
        &self,
        local: &Path,
        remote: &str,
        overwrite: bool,
    ) -> Result<u64, SftpFailure> {
        let context = self.context(&format!("uploading to `{remote}`"));
        let (folder, name) = split(remote);
        let temp = join(folder, &partial_name(name));
        // Checked up front so a missing file is `not-found`; read in chunks per attempt, so a
        // large file is streamed, not held in memory.
        tokio::fs::metadata(local).await.map_err(|e| {
            SftpFailure::new(
                if e.kind() == std::io::ErrorKind::NotFound {
                    FailureKind::NotFound
                } else {
                    FailureKind::Failed
                },
                format!("{context}: cannot read {}: {e}", local.display()),
            )
        })?;
        self.with_session(|sftp| {
            let (context, temp) = (context.clone(), temp.clone());
            async move {
                if !overwrite && stat(&sftp, remote, &context).await?.is_some() {
                    return Err(Attempt::Final(SftpFailure::new(
                        FailureKind::AlreadyExists,
                        format!("{context}: the file exists and overwrite is off"),
                    )));
                }
                let reading = |e| local_io(&format!("{context}: {}", local.display()), e);
                let mut source = tokio::fs::File::open(local).await.map_err(reading)?;
                let mut sink = sftp
                    .open_with_flags(
                        temp.clone(),
                        OpenFlags::CREATE | OpenFlags::TRUNCATE | OpenFlags::WRITE,
                    )
                    .await
                    .map_err(|e| protocol(&context, e))?;
                let mut buffer = vec![0u8; 64 * 1024];
                let mut total = 0u64;
                loop {
                    let n = source.read(&mut buffer).await.map_err(reading)?;
                    if n == 0 {
                        break;
                    }
                    sink.write_all(&buffer[..n])
                        .await
                        .map_err(|e| Attempt::Transient(format!("{context}: {e}")))?;
                    total += n as u64;
                }
                sink.shutdown()
                    .await
                    .map_err(|e| Attempt::Transient(format!("{context}: {e}")))?;
                replace(&sftp, &temp, remote, overwrite, &context).await?;
                Ok(total)
            }
        })
        .await
    }

    pub async fn rename(
        &self,
        source: &str,
        target: &str,
        overwrite: bool,
    ) -> Result<(), SftpFailure> {
        let context = self.context(&format!("renaming `{source}` to `{target}`"));
        self.with_session(|sftp| {
            let context = context.clone();
            async move {
                // Renaming a file onto itself changes nothing (as POSIX rename); the checks
                // below would otherwise delete it as an existing target.
                if source == target {
                    return match stat(&sftp, source, &context).await? {
                        Some(_) => Ok(()),
                        None => Err(Attempt::Final(SftpFailure::new(
                            FailureKind::NotFound,
                            format!("{context}: `{source}` does not exist"),
                        ))),
                    };
                }
                // One round trip when it works: with `overwrite` the rename is tried first (a
                // target that exists makes it fail, and the checks below say why); without,
                // only the target is looked at first. A failed rename changed nothing.
                if overwrite || stat(&sftp, target, &context).await?.is_none() {
                    match sftp.rename(source, target).await {
                        Ok(()) => return Ok(()),
                        Err(SftpProtocolError::Status(_)) => {}
                        Err(e) => return Err(protocol(&context, e)),
                    }
                }
                if stat(&sftp, source, &context).await?.is_none() {
                    return Err(Attempt::Final(SftpFailure::new(
                        FailureKind::NotFound,
                        format!("{context}: `{source}` does not exist"),
                    )));
                }
                let (folder, _) = split(target);
                if stat(&sftp, folder, &context).await?.is_none() {
                    return Err(Attempt::Final(SftpFailure::new(
                        FailureKind::NotFound,
                        format!("{context}: the target folder `{folder}` does not exist"),
                    )));
                }
                replace(&sftp, source, target, overwrite, &context).await
            }
        })
        .await
    }

    pub async fn remove(&self, path: &str) -> Result<(), SftpFailure> {
        let context = self.context(&format!("deleting `{path}`"));
        self.with_session(|sftp| {
            let context = context.clone();
            async move {
                sftp.remove_file(path)
                    .await
                    .map_err(|e| protocol(&context, e))
            }
        })
        .await
    }
}

/// Reads `remote` into the local file `temp`, charging each chunk; answers the file, written
/// (not yet flushed to the disk), and its length.
async fn stream_to(
    sftp: &SftpSession,
    remote: &str,
    temp: &Path,
    charge: &Charge,
    context: &str,
) -> Result<(std::fs::File, u64), Attempt> {
    let mut source = sftp.open(remote).await.map_err(|e| protocol(context, e))?;
    let mut sink = tokio::fs::File::create(temp)
        .await
        .map_err(|e| local_io(&format!("{context}: {}", temp.display()), e))?;
    let mut buffer = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = source
            .read(&mut buffer)
            .await
            .map_err(|e| Attempt::Transient(format!("{context}: {e}")))?;
        if n == 0 {
            break;
        }
        charge(n as u64).map_err(|e| Attempt::Final(SftpFailure::new(FailureKind::Failed, e)))?;
        sink.write_all(&buffer[..n])
            .await
            .map_err(|e| local_io(&format!("{context}: {}", temp.display()), e))?;
        total += n as u64;
    }
    sink.flush()
        .await
        .map_err(|e| local_io(&format!("{context}: {}", temp.display()), e))?;
    // Closed on drop without waiting for the answer: nothing was written through this
    // handle, so its close cannot fail in a way that matters.
    drop(source);
    Ok((sink.into_std().await, total))
}

/// Writes `bytes` to `path` in one trip to the blocking pool; answers the file (not yet
/// flushed to the disk).
async fn write_whole(path: &Path, bytes: Vec<u8>) -> std::io::Result<std::fs::File> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut file = std::fs::File::create(&path)?;
        file.write_all(&bytes)?;
        Ok(file)
    })
    .await
    .map_err(std::io::Error::other)?
}

async fn stat(
    sftp: &SftpSession,
    path: &str,
    context: &str,
) -> Result<Option<RemoteEntry>, Attempt> {
    match sftp.metadata(path).await {
        Ok(meta) => {
            let (directory, name) = split(path);
            Ok(Some(RemoteEntry {
                name: name.to_owned(),
                path: path.to_owned(),
                directory: directory.to_owned(),
                is_directory: meta.is_dir(),
                size: meta.size.unwrap_or(0),
                modified: meta.mtime.map(u64::from),
            }))
        }
        Err(SftpProtocolError::Status(s)) if s.status_code == StatusCode::NoSuchFile => Ok(None),
        Err(e) => Err(protocol(context, e)),
    }
}

/// Renames `source` onto `target`. A plain SFTP rename refuses an existing target, which is
/// what `overwrite: false` wants; with overwrite the old target is deleted first.
async fn replace(
    sftp: &SftpSession,
    source: &str,
    target: &str,
    overwrite: bool,
    context: &str,
) -> Result<(), Attempt> {
    if let Some(existing) = stat(sftp, target, context).await? {
        if !overwrite {
            return Err(Attempt::Final(SftpFailure::new(
                FailureKind::AlreadyExists,
                format!("{context}: `{target}` exists and overwrite is off"),
            )));
        }
        if existing.is_directory {
            return Err(Attempt::Final(SftpFailure::new(
                FailureKind::Failed,
                format!("{context}: `{target}` is a folder"),
            )));
        }
        match sftp.remove_file(target).await {
            Ok(()) => {}
            Err(SftpProtocolError::Status(s)) if s.status_code == StatusCode::NoSuchFile => {}
            Err(e) => return Err(protocol(context, e)),
        }
    }
    sftp.rename(source, target)
        .await
        .map_err(|e| protocol(context, e))
}

/// `folder/name` with one separator.
pub fn join(folder: &str, name: &str) -> String {
    if folder.is_empty() {
        name.to_owned()
    } else if folder.ends_with('/') {
        format!("{folder}{name}")
    } else {
        format!("{folder}/{name}")
    }
}

/// Splits a remote path into its folder (`.` for a bare name) and last segment.
pub fn split(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(0) => ("/", &path[1..]),
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (".", path),
    }
}

/// Whether `name` is a [`partial_name`].
pub fn is_partial_name(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".wharf-partial")
}

/// The temporary name a transfer writes before renaming into place: hidden, in the same folder
/// (so the rename stays on one file system), and fixed, so a retried or resumed transfer
/// replaces what an interrupted one left. Tasks that list folders skip these names.
pub fn partial_name(name: &str) -> String {
    format!(".{name}.wharf-partial")
}

/// Where a transfer to `path` is written first ([`partial_name`] beside it).
pub fn temp_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(partial_name(&name))
}

/// Where a connection's private key comes from.
enum KeySource<'a> {
    File(&'a std::path::Path),
    Secret(&'a crate::connections::SecretSource),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_paths_split_and_join() {
        assert_eq!(split("/download/a.xml"), ("/download", "a.xml"));
        assert_eq!(split("/a.xml"), ("/", "a.xml"));
        assert_eq!(split("a.xml"), (".", "a.xml"));
        assert_eq!(join("/download", "a.xml"), "/download/a.xml");
        assert_eq!(join("/", "a.xml"), "/a.xml");
        assert_eq!(join("", "a.xml"), "a.xml");
    }

    #[test]
    fn temporary_files_sit_beside_their_target() {
        let t = temp_beside(Path::new("/work/orders.xml"));
        assert_eq!(t, Path::new("/work/.orders.xml.wharf-partial"));
    }
}
