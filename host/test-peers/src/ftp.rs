//! A real FTP server on 127.0.0.1 for the FTP tests: Debian's vsftpd (installed by `.ci/run`),
//! started per test with its own configuration on a free port, plain FTP or explicit FTPS
//! (`AUTH TLS`, data connections protected too), passive mode, the test account chrooted to a
//! temporary folder. Running vsftpd as root in a container needs: `background=NO` (it stays
//! the watched child), `seccomp_sandbox=NO` (containers refuse its filters), the
//! `secure_chroot_dir` present, a real local account with a password and a login shell (PAM's
//! pam_shells), and `allow_writeable_chroot` for a test-owned root folder.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::{Watched, free_port, smtp::test_certificate};

/// The account the tests log in as (created once per machine).
pub const USER: &str = "wharf-ftp";
/// Its password (set with chpasswd).
pub const PASSWORD: &str = "wharf-ftp-test-pa55";

const VSFTPD: &str = "/usr/sbin/vsftpd";
/// The account's home folder (empty; each server chroots it to its own root).
const HOME: &str = "/srv/wharf-ftp-home";

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Creates the test account once per machine (idempotent across test runs).
fn ensure_user() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        assert!(
            Path::new(VSFTPD).exists(),
            "vsftpd is missing: install the Debian package vsftpd (.ci/run does)"
        );
        let exists = Command::new("id")
            .arg(USER)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !exists {
            // A shell listed in /etc/shells: vsftpd's PAM configuration checks it.
            run(Command::new("useradd")
                .args(["--no-create-home", "--shell", "/bin/sh", "--home-dir", HOME])
                .arg(USER));
        }
        // vsftpd changes into the home folder before `local_root`.
        run(Command::new("usermod").args(["--home", HOME]).arg(USER));
        std::fs::create_dir_all(HOME).unwrap();
        let mut chpasswd = Command::new("chpasswd")
            .stdin(Stdio::piped())
            .spawn()
            .expect("chpasswd");
        writeln!(chpasswd.stdin.take().unwrap(), "{USER}:{PASSWORD}").unwrap();
        assert!(chpasswd.wait().unwrap().success(), "chpasswd failed");
        std::fs::create_dir_all("/var/run/vsftpd/empty").unwrap();
    });
}

/// A running vsftpd.
pub struct FtpServer {
    _watched: Watched,
    pub port: u16,
    /// The account's root folder as the test sees it (`/` for the client).
    pub root: PathBuf,
    /// The CA of the certificate it serves (FTPS): the client's `extra-ca-file`.
    pub certificate: Option<PathBuf>,
    _dir: tempfile::TempDir,
}

impl FtpServer {
    /// Starts a server; with `tls`, logins and data connections must use TLS.
    pub fn start(tls: bool) -> FtpServer {
        ensure_user();
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir(&root).unwrap();
        // Writable by the account, which vsftpd switches to after the login.
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o777)).unwrap();
        let port = free_port();
        let passive = free_port();
        let mut config = format!(
            "listen=YES\nlisten_ipv6=NO\nlisten_address=127.0.0.1\nlisten_port={port}\nbackground=NO\n\
             seccomp_sandbox=NO\nanonymous_enable=NO\nlocal_enable=YES\nwrite_enable=YES\n\
             local_umask=000\nchroot_local_user=YES\nallow_writeable_chroot=YES\nlocal_root={}\n\
             pasv_enable=YES\npasv_address=127.0.0.1\npasv_min_port={passive}\npasv_max_port={}\n\
             secure_chroot_dir=/var/run/vsftpd/empty\npam_service_name=vsftpd\n\
             xferlog_enable=NO\nuse_localtime=NO\nmax_clients=50\nmax_per_ip=50\n",
            root.display(),
            passive + 20
        );
        let certificate = if tls {
            let (ca, cert, key) = test_certificate(dir.path());
            config.push_str(&format!(
                "ssl_enable=YES\nrsa_cert_file={}\nrsa_private_key_file={}\n\
                 force_local_logins_ssl=YES\nforce_local_data_ssl=YES\nrequire_ssl_reuse=NO\n",
                cert.display(),
                key.display()
            ));
            Some(ca)
        } else {
            None
        };
        let conf = dir.path().join("vsftpd.conf");
        std::fs::write(&conf, config).unwrap();
        let log = dir.path().join("vsftpd.log");
        let script = r#"
            "$VSFTPD" "$CONF" </dev/null >"$LOG" 2>&1 &
            server=$!
            read -r _ || true
            kill "$server" 2>/dev/null
            wait "$server" 2>/dev/null
            exit 0
        "#;
        let mut command = Command::new("bash");
        command
            .arg("-c")
            .arg(script)
            .env("VSFTPD", VSFTPD)
            .env("CONF", &conf)
            .env("LOG", &log)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let watched = Watched::spawn(command);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !greets(port) {
            if watched.exited() || Instant::now() > deadline {
                panic!(
                    "vsftpd did not start on port {port}: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        FtpServer {
            _watched: watched,
            port,
            root,
            certificate,
            _dir: dir,
        }
    }

    /// Creates folder `path` (relative to the root) writable by the account.
    pub fn folder(&self, path: &str) -> PathBuf {
        let mut at = self.root.clone();
        for part in path.trim_matches('/').split('/').filter(|p| !p.is_empty()) {
            at.push(part);
            if !at.is_dir() {
                std::fs::create_dir(&at).unwrap();
                std::fs::set_permissions(&at, std::fs::Permissions::from_mode(0o777)).unwrap();
            }
        }
        at
    }

    /// Writes a file (relative to the root), its folder made if needed.
    pub fn put(&self, path: &str, contents: &[u8]) -> PathBuf {
        let (folder, _) = path
            .trim_start_matches('/')
            .rsplit_once('/')
            .unwrap_or(("", ""));
        self.folder(folder);
        let file = self.root.join(path.trim_start_matches('/'));
        std::fs::write(&file, contents).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        file
    }

    /// The names in folder `path` (relative to the root), sorted.
    pub fn names(&self, path: &str) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(self.root.join(path.trim_start_matches('/')))
                .map(|d| {
                    d.filter_map(|e| e.ok())
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
        names.sort();
        names
    }
}

/// Whether an FTP server greets (`220`) on the port.
fn greets(port: u16) -> bool {
    let Ok(stream) =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(300))
    else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).is_ok() && line.starts_with("220")
}
