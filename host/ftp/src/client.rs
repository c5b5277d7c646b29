//! One FTP connection (suppaftp, blocking; explicit TLS on rustls): connect, secure, log in,
//! and the file operations the tasks need, each retried with backoff on a fresh connection
//! when the transport fails or the server answers a transient (4xx) reply. The live control
//! connection is kept and reused by later calls.
//!
//! The operations mean what the SFTP capability's mean (`wharf_sftp`): the same failures, the
//! same temporary names (`.NAME.wharf-partial`) for all-or-nothing transfers, the same rules
//! for an existing target.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use suppaftp::list::{File, ListParser};
use suppaftp::types::FileType;
use suppaftp::{FtpError, Mode, RustlsConnector, RustlsFtpStream, Status};
use wharf_sftp::{Charge, FailureKind, RemoteEntry, SftpFailure, temp_beside};

use crate::connections::FtpConnection;

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

fn final_failure(kind: FailureKind, message: String) -> Attempt {
    Attempt::Final(SftpFailure::new(kind, message))
}

/// Replies that say "not now" (RFC 959's 4xx): the operation may work on a later attempt.
fn transient_reply(status: Status) -> bool {
    (400..500).contains(&status.code())
}

/// Sorts an FTP error: a broken connection or a 4xx reply is transient; other replies are the
/// server's answer. A 550 reply is `not-found` where `missing_is_not_found` (the operation's
/// subject is known to be a file that should be there), else `failed`.
fn sort(context: &str, e: FtpError, missing_is_not_found: bool) -> Attempt {
    match e {
        FtpError::UnexpectedResponse(response) => {
            let status = response.status;
            let text = String::from_utf8_lossy(&response.body).trim().to_owned();
            let why = format!("{context}: {text}");
            if transient_reply(status) {
                Attempt::Transient(why)
            } else if status == Status::NotLoggedIn {
                final_failure(FailureKind::NotAuthorised, why)
            } else if status == Status::FileUnavailable && missing_is_not_found {
                final_failure(FailureKind::NotFound, why)
            } else {
                final_failure(FailureKind::Failed, why)
            }
        }
        // A certificate refused or a handshake that failed will fail the same way again.
        FtpError::SecureError(why) => final_failure(
            FailureKind::Connection,
            format!("{context}: TLS failed: {why}"),
        ),
        other => Attempt::Transient(format!("{context}: {other}")),
    }
}

fn local_io(context: &str, path: &Path, e: std::io::Error) -> Attempt {
    final_failure(
        FailureKind::Failed,
        format!("{context}: {}: {e}", path.display()),
    )
}

/// A named connection and, once used, its live control connection.
pub struct FtpClient {
    name: String,
    connection: FtpConnection,
    live: Mutex<Option<RustlsFtpStream>>,
    /// Backoff base between retries (tests shorten it).
    backoff: Duration,
}

impl FtpClient {
    pub fn new(name: impl Into<String>, connection: FtpConnection) -> Self {
        FtpClient {
            name: name.into(),
            connection,
            live: Mutex::new(None),
            backoff: Duration::from_millis(250),
        }
    }

    /// Shortens the pause between retries (tests).
    pub fn with_backoff(mut self, base: Duration) -> Self {
        self.backoff = base;
        self
    }

    pub fn server(&self) -> &str {
        self.connection.host()
    }

    pub(crate) fn context(&self, what: &str) -> String {
        format!(
            "ftp `{}` ({}:{}): {what}",
            self.name,
            self.connection.host(),
            self.connection.port
        )
    }

    fn tls_connector(&self) -> Result<RustlsConnector, Attempt> {
        let failed = |why: String| final_failure(FailureKind::Connection, self.context(&why));
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        if let Some(file) = &self.connection.extra_ca_file {
            use rustls::pki_types::CertificateDer;
            use rustls::pki_types::pem::PemObject;
            let certificates = CertificateDer::pem_file_iter(file)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| failed(format!("`extra-ca-file` {}: {e}", file.display())))?;
            for certificate in certificates {
                roots
                    .add(certificate)
                    .map_err(|e| failed(format!("`extra-ca-file` {}: {e}", file.display())))?;
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| failed(format!("TLS set-up: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(RustlsConnector::from(Arc::new(config)))
    }

    fn connect(&self) -> Result<RustlsFtpStream, Attempt> {
        let c = &self.connection;
        let context = self.context("connecting");
        let address: SocketAddr = (c.host(), c.port)
            .to_socket_addrs()
            .map_err(|e| Attempt::Transient(format!("{context}: {e}")))?
            .next()
            .ok_or_else(|| {
                final_failure(
                    FailureKind::Connection,
                    format!("{context}: the name resolves to no address"),
                )
            })?;
        let connect_timeout = c.connect_timeout();
        let timeout = c.timeout();
        let mut ftp = RustlsFtpStream::connect_timeout(address, connect_timeout)
            .map_err(|e| sort(&context, e, false))?;
        {
            let socket = ftp.get_ref();
            let _ = socket.set_read_timeout(Some(timeout));
            let _ = socket.set_write_timeout(Some(timeout));
        }
        if c.tls {
            ftp = ftp
                .into_secure(self.tls_connector()?, c.host())
                .map_err(|e| sort(&self.context("starting TLS (AUTH TLS)"), e, false))?;
        }
        let password = match &c.password {
            Some(source) => source
                .read()
                .map_err(|e| {
                    final_failure(
                        FailureKind::NotAuthorised,
                        self.context(&format!("password: {e}")),
                    )
                })?
                .expose()
                .to_owned(),
            None => String::new(),
        };
        ftp.login(c.username.as_str(), password.as_str())
            .map_err(|e| match sort(&self.context("logging in"), e, false) {
                Attempt::Final(f) => final_failure(
                    FailureKind::NotAuthorised,
                    format!("{} (the server refused user `{}`)", f.message, c.username),
                ),
                transient => transient,
            })?;
        ftp = if c.passive {
            ftp.passive_stream_builder(move |address| {
                let stream = TcpStream::connect_timeout(&address, connect_timeout)
                    .map_err(FtpError::ConnectionError)?;
                stream
                    .set_read_timeout(Some(timeout))
                    .and_then(|()| stream.set_write_timeout(Some(timeout)))
                    .map_err(FtpError::ConnectionError)?;
                Ok(stream)
            })
        } else {
            ftp.active_mode(timeout)
        };
        if c.passive && address.is_ipv6() {
            // PASV answers only IPv4 addresses.
            ftp.set_mode(Mode::ExtendedPassive);
        }
        let file_type = if c.binary {
            FileType::Binary
        } else {
            FileType::Ascii(suppaftp::types::FormatControl::Default)
        };
        ftp.transfer_type(file_type)
            .map_err(|e| sort(&self.context("setting the transfer type"), e, false))?;
        tracing::debug!(connection = %self.name, tls = c.tls, "ftp connected");
        Ok(ftp)
    }

    /// Runs `op` on the live connection, connecting first if needed; a transient failure drops
    /// the connection and tries again on a new one, up to the connection's `retries`.
    fn with_session<T>(
        &self,
        mut op: impl FnMut(&mut RustlsFtpStream) -> Result<T, Attempt>,
    ) -> Result<T, SftpFailure> {
        let mut attempt = 0u32;
        loop {
            let result = {
                let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
                if live.is_none() {
                    match self.connect() {
                        Ok(ftp) => *live = Some(ftp),
                        Err(e) => {
                            drop(live);
                            match self.settle(e, &mut attempt) {
                                Some(failure) => return Err(failure),
                                None => continue,
                            }
                        }
                    }
                }
                op(live.as_mut().expect("connected above"))
            };
            match result {
                Ok(value) => return Ok(value),
                Err(e) => {
                    if let Attempt::Transient(_) = e {
                        *self.live.lock().unwrap_or_else(|p| p.into_inner()) = None;
                    }
                    if let Some(failure) = self.settle(e, &mut attempt) {
                        return Err(failure);
                    }
                }
            }
        }
    }

    /// What a failed attempt leads to: the final failure, or None after pausing for a retry.
    fn settle(&self, e: Attempt, attempt: &mut u32) -> Option<SftpFailure> {
        match e {
            Attempt::Final(failure) => Some(failure),
            Attempt::Transient(why) => {
                if *attempt >= self.connection.retries {
                    return Some(SftpFailure::new(
                        FailureKind::Connection,
                        format!("{why} (gave up after {} attempt(s))", *attempt + 1),
                    ));
                }
                let pause = self.backoff * 2u32.pow((*attempt).min(4));
                tracing::warn!(connection = %self.name, "{why}; retrying in {pause:?}");
                std::thread::sleep(pause);
                *attempt += 1;
                None
            }
        }
    }

    pub fn list(&self, directory: &str, recursive: bool) -> Result<Vec<RemoteEntry>, SftpFailure> {
        let context = self.context(&format!("listing `{directory}`"));
        self.with_session(|ftp| {
            let mut found = Vec::new();
            let mut folders = vec![folder_of(directory)];
            while let Some(folder) = folders.pop() {
                for entry in list_folder(ftp, &folder, &context)? {
                    if recursive && entry.is_directory {
                        folders.push(entry.path.clone());
                    }
                    found.push(entry);
                }
            }
            found.sort_by(|a, b| a.path.cmp(&b.path));
            Ok(found)
        })
    }

    pub fn stat(&self, path: &str) -> Result<Option<RemoteEntry>, SftpFailure> {
        let context = self.context(&format!("looking at `{path}`"));
        self.with_session(|ftp| stat(ftp, path, &context))
    }

    /// Downloads `remote` to `local` through a temporary file beside it.
    pub fn download(&self, remote: &str, local: &Path, charge: Charge) -> Result<u64, SftpFailure> {
        let context = self.context(&format!("downloading `{remote}`"));
        let temp = temp_beside(local);
        let result = self.with_session(|ftp| {
            let mut source = ftp
                .retr_as_stream(remote)
                .map_err(|e| sort(&context, e, true))?;
            let mut sink =
                std::fs::File::create(&temp).map_err(|e| local_io(&context, &temp, e))?;
            let mut buffer = vec![0u8; 64 * 1024];
            let mut total = 0u64;
            loop {
                let n = source
                    .read(&mut buffer)
                    .map_err(|e| Attempt::Transient(format!("{context}: {e}")))?;
                if n == 0 {
                    break;
                }
                charge(n as u64).map_err(|e| final_failure(FailureKind::Failed, e))?;
                sink.write_all(&buffer[..n])
                    .map_err(|e| local_io(&context, &temp, e))?;
                total += n as u64;
            }
            sink.sync_all().map_err(|e| local_io(&context, &temp, e))?;
            source.finish().map_err(|e| sort(&context, e, false))?;
            Ok(total)
        });
        match result {
            Ok(total) => match std::fs::rename(&temp, local) {
                Ok(()) => Ok(total),
                Err(e) => {
                    let _ = std::fs::remove_file(&temp);
                    Err(SftpFailure::new(
                        FailureKind::Failed,
                        format!("{context}: cannot move it into place: {e}"),
                    ))
                }
            },
            Err(failure) => {
                let _ = std::fs::remove_file(&temp);
                Err(failure)
            }
        }
    }

    /// Uploads `local` to `remote` through a temporary remote name, renamed into place.
    pub fn upload(&self, local: &Path, remote: &str, overwrite: bool) -> Result<u64, SftpFailure> {
        let context = self.context(&format!("uploading to `{remote}`"));
        let (folder, name) = wharf_sftp::split_remote(remote);
        let temp = wharf_sftp::join_remote(folder, &wharf_sftp::partial_name(name));
        // Checked up front so a missing file is `not-found`; read per attempt, streamed.
        std::fs::metadata(local).map_err(|e| {
            SftpFailure::new(
                if e.kind() == std::io::ErrorKind::NotFound {
                    FailureKind::NotFound
                } else {
                    FailureKind::Failed
                },
                format!("{context}: cannot read {}: {e}", local.display()),
            )
        })?;
        self.with_session(|ftp| {
            if !overwrite && stat(ftp, remote, &context)?.is_some() {
                return Err(final_failure(
                    FailureKind::AlreadyExists,
                    format!("{context}: the file exists and overwrite is off"),
                ));
            }
            let mut source =
                std::fs::File::open(local).map_err(|e| local_io(&context, local, e))?;
            let mut sink = ftp
                .put_with_stream(&temp)
                .map_err(|e| sort(&context, e, false))?;
            let mut buffer = vec![0u8; 64 * 1024];
            let mut total = 0u64;
            loop {
                let n = source
                    .read(&mut buffer)
                    .map_err(|e| local_io(&context, local, e))?;
                if n == 0 {
                    break;
                }
                sink.write_all(&buffer[..n])
                    .map_err(|e| Attempt::Transient(format!("{context}: {e}")))?;
                total += n as u64;
            }
            sink.finish().map_err(|e| sort(&context, e, false))?;
            replace(ftp, &temp, remote, overwrite, &context)?;
            Ok(total)
        })
    }

    pub fn rename(&self, source: &str, target: &str, overwrite: bool) -> Result<(), SftpFailure> {
        let context = self.context(&format!("renaming `{source}` to `{target}`"));
        self.with_session(|ftp| {
            if stat(ftp, source, &context)?.is_none() {
                return Err(final_failure(
                    FailureKind::NotFound,
                    format!("{context}: `{source}` does not exist"),
                ));
            }
            let (folder, _) = wharf_sftp::split_remote(target);
            if stat(ftp, folder, &context)?.is_none() {
                return Err(final_failure(
                    FailureKind::NotFound,
                    format!("{context}: the target folder `{folder}` does not exist"),
                ));
            }
            replace(ftp, source, target, overwrite, &context)
        })
    }

    pub fn remove(&self, path: &str) -> Result<(), SftpFailure> {
        let context = self.context(&format!("deleting `{path}`"));
        self.with_session(|ftp| {
            if stat(ftp, path, &context)?.is_none() {
                return Err(final_failure(
                    FailureKind::NotFound,
                    format!("{context}: No such file"),
                ));
            }
            ftp.rm(path).map_err(|e| sort(&context, e, true))
        })
    }
}

/// `directory` as a folder to list: `/` for an empty one.
fn folder_of(directory: &str) -> String {
    match directory.trim_end_matches('/') {
        "" if directory.starts_with('/') || directory.is_empty() => "/".into(),
        folder => folder.to_owned(),
    }
}

/// The entries of one folder: `MLSD` where the server has it (exact times and types), else
/// `LIST` read as a Unix or DOS listing.
fn list_folder(
    ftp: &mut RustlsFtpStream,
    folder: &str,
    context: &str,
) -> Result<Vec<RemoteEntry>, Attempt> {
    let files: Vec<File> = match ftp.mlsd(Some(folder)) {
        Ok(lines) => lines
            .iter()
            .filter_map(|line| ListParser::parse_mlsd(line).ok())
            .collect(),
        Err(FtpError::UnexpectedResponse(r))
            if matches!(
                r.status,
                Status::BadCommand | Status::NotImplemented | Status::NotImplementedParameter
            ) =>
        {
            ftp.list(Some(folder))
                .map_err(|e| sort(context, e, true))?
                .iter()
                .filter_map(|line| {
                    ListParser::parse_posix(line)
                        .or_else(|_| ListParser::parse_dos(line))
                        .ok()
                })
                .collect()
        }
        Err(e) => return Err(sort(context, e, true)),
    };
    Ok(files
        .into_iter()
        .filter(|f| f.name() != "." && f.name() != "..")
        .map(|f| RemoteEntry {
            name: f.name().to_owned(),
            path: wharf_sftp::join_remote(folder, f.name()),
            directory: folder.to_owned(),
            is_directory: f.is_directory(),
            size: f.size() as u64,
            modified: seconds(f.modified()),
        })
        .collect())
}

fn seconds(time: SystemTime) -> Option<u64> {
    time.duration_since(UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs())
        .filter(|s| *s > 0)
}

/// The entry at `path` (found in its folder's listing), or none.
fn stat(
    ftp: &mut RustlsFtpStream,
    path: &str,
    context: &str,
) -> Result<Option<RemoteEntry>, Attempt> {
    if path.trim_end_matches('/').is_empty() {
        return Ok(Some(RemoteEntry {
            name: "/".into(),
            path: "/".into(),
            directory: "/".into(),
            is_directory: true,
            size: 0,
            modified: None,
        }));
    }
    let (folder, name) = wharf_sftp::split_remote(path.trim_end_matches('/'));
    let folder = if folder == "." { "" } else { folder };
    let listing = match list_folder(ftp, &folder_of(folder), context) {
        Ok(listing) => listing,
        // The parent folder is missing, so is the entry.
        Err(Attempt::Final(f)) if f.kind == FailureKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(listing.into_iter().find(|e| e.name == name).map(|mut e| {
        e.path = path.to_owned();
        e
    }))
}

/// Renames `source` onto `target`: an existing target is `already-exists` unless `overwrite`,
/// which deletes it first (servers differ on renaming onto a file).
fn replace(
    ftp: &mut RustlsFtpStream,
    source: &str,
    target: &str,
    overwrite: bool,
    context: &str,
) -> Result<(), Attempt> {
    if let Some(existing) = stat(ftp, target, context)? {
        if !overwrite {
            return Err(final_failure(
                FailureKind::AlreadyExists,
                format!("{context}: `{target}` exists and overwrite is off"),
            ));
        }
        if existing.is_directory {
            return Err(final_failure(
                FailureKind::Failed,
                format!("{context}: `{target}` is a folder"),
            ));
        }
        ftp.rm(target).map_err(|e| sort(context, e, false))?;
    }
    ftp.rename(source, target)
        .map_err(|e| sort(context, e, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_to_list() {
        assert_eq!(folder_of(""), "/");
        assert_eq!(folder_of("/"), "/");
        assert_eq!(folder_of("/download/"), "/download");
        assert_eq!(folder_of("download"), "download");
    }

    #[test]
    fn four_hundred_replies_are_transient_and_the_rest_final() {
        assert!(transient_reply(Status::NotAvailable));
        assert!(transient_reply(Status::CannotOpenDataConnection));
        assert!(!transient_reply(Status::FileUnavailable));
        let reply = |status| {
            FtpError::UnexpectedResponse(suppaftp::types::Response::new(
                status,
                b"550 No such file".to_vec(),
            ))
        };
        assert!(matches!(
            sort("c", reply(Status::FileUnavailable), true),
            Attempt::Final(f) if f.kind == FailureKind::NotFound
        ));
        assert!(matches!(
            sort("c", reply(Status::FileUnavailable), false),
            Attempt::Final(f) if f.kind == FailureKind::Failed
        ));
        assert!(matches!(
            sort("c", reply(Status::NotLoggedIn), false),
            Attempt::Final(f) if f.kind == FailureKind::NotAuthorised
        ));
        assert!(matches!(
            sort("c", reply(Status::TransferAborted), false),
            Attempt::Transient(_)
        ));
    }

    #[test]
    fn a_dead_server_is_a_connection_failure_naming_the_connection() {
        let connection = dead_connection();
        let client = FtpClient::new("drop", connection).with_backoff(Duration::from_millis(1));
        let e = client.list("/", false).unwrap_err();
        assert_eq!(e.kind, FailureKind::Connection);
        assert!(
            e.message.contains("ftp `drop` (127.0.0.1:1)") && e.message.contains("2 attempt(s)"),
            "{}",
            e.message
        );
    }

    fn dead_connection() -> FtpConnection {
        crate::FtpConnections::parse(
            "ftp:\n  drop: { server: 127.0.0.1, port: 1, username: u, tls: false, retries: 1, connect-timeout-seconds: 1 }\n",
            Path::new("."),
        )
        .unwrap()
        .get("drop")
        .unwrap()
        .clone()
    }
}
