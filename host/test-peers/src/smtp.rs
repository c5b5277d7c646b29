//! A real SMTP server on 127.0.0.1 for the e-mail tests: aiosmtpd (`host/email/peers/
//! smtp_server.py`), installed into `target/peers/aiosmtpd-venv` by
//! `host/email/peers/install-aiosmtpd.sh` (`make peers`). It stores each message it accepts
//! with its envelope, so a test reads what was delivered. Also the certificates the TLS peers
//! (SMTP, FTPS) serve.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Watched, free_port, peers_dir, repo_root};

/// How the test server protects its sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain SMTP.
    Plain,
    /// STARTTLS required before anything else.
    Starttls,
    /// TLS from the first byte.
    ImplicitTls,
}

/// A running SMTP test server.
pub struct SmtpServer {
    _watched: Watched,
    pub port: u16,
    /// Where accepted messages land (`N.eml` and `N.json`).
    pub maildir: PathBuf,
    /// The CA of the certificate it serves (TLS modes): the client's `extra-ca-file`.
    pub certificate: Option<PathBuf>,
    _dir: tempfile::TempDir,
}

/// One message the server accepted.
#[derive(Debug, Clone)]
pub struct Delivered {
    /// The message as received (headers and body).
    pub data: String,
    /// The envelope sender.
    pub from: String,
    /// The envelope recipients.
    pub to: Vec<String>,
    /// Whether the session was encrypted.
    pub tls: bool,
    /// The user that logged in, if any.
    pub login: Option<String>,
}

impl SmtpServer {
    /// Starts a server; with `login`, (user, password) must log in first.
    pub fn start(security: SmtpSecurity, login: Option<(&str, &str)>) -> SmtpServer {
        let python = peers_dir().join("aiosmtpd-venv/bin/python");
        assert!(
            python.is_file(),
            "{} is missing: install aiosmtpd first with `bash host/email/peers/install-aiosmtpd.sh` (`make peers`)",
            python.display()
        );
        let dir = tempfile::tempdir().expect("a temporary folder");
        let maildir = dir.path().join("mail");
        std::fs::create_dir_all(&maildir).expect("maildir");
        let port = free_port();
        let mut args: Vec<String> = vec![
            repo_root()
                .join("host/email/peers/smtp_server.py")
                .to_string_lossy()
                .into_owned(),
            "--port".into(),
            port.to_string(),
            "--maildir".into(),
            maildir.to_string_lossy().into_owned(),
        ];
        let certificate = match security {
            SmtpSecurity::Plain => None,
            SmtpSecurity::Starttls | SmtpSecurity::ImplicitTls => {
                let (ca, cert, key) = test_certificate(dir.path());
                args.extend([
                    "--cert".into(),
                    cert.to_string_lossy().into_owned(),
                    "--key".into(),
                    key.to_string_lossy().into_owned(),
                ]);
                if security == SmtpSecurity::ImplicitTls {
                    args.push("--implicit-tls".into());
                }
                Some(ca)
            }
        };
        let mut command = Command::new("bash");
        let log = dir.path().join("server.log");
        // The watchdog: the server reads its stdin until this process's end closes.
        command
            .arg("-c")
            .arg(r#"exec "$PYTHON" "$@" 2>"$LOG""#)
            .arg("smtp-server")
            .args(&args)
            .env("PYTHON", &python)
            .env("LOG", &log)
            .stdout(Stdio::piped());
        if let Some((user, password)) = login {
            command
                .args(["--user", user])
                .env("WHARF_SMTP_PASSWORD", password);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .spawn()
            .expect("starting the SMTP test server");
        let stdout = child.stdout.take().expect("stdout");
        let watched = Watched::from_child(child);
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        assert!(
            line.starts_with("ready"),
            "the SMTP test server did not start on port {port}: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        SmtpServer {
            _watched: watched,
            port,
            maildir,
            certificate,
            _dir: dir,
        }
    }

    /// The messages accepted so far, in order.
    pub fn delivered(&self) -> Vec<Delivered> {
        let mut found = Vec::new();
        for n in 1.. {
            let base = self.maildir.join(n.to_string());
            let (Ok(data), Ok(envelope)) = (
                std::fs::read_to_string(base.with_extension("eml")),
                std::fs::read_to_string(base.with_extension("json")),
            ) else {
                break;
            };
            let envelope: serde_json::Value =
                serde_json::from_str(&envelope).expect("the envelope's JSON");
            found.push(Delivered {
                data,
                from: envelope["from"].as_str().unwrap_or_default().to_owned(),
                to: envelope["to"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                tls: envelope["tls"].as_bool().unwrap_or(false),
                login: envelope["login"].as_str().map(str::to_owned),
            });
        }
        found
    }

    /// Waits (up to 10 s) until `count` messages were accepted, and returns them.
    pub fn wait_for(&self, count: usize) -> Vec<Delivered> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found = self.delivered();
            if found.len() >= count || Instant::now() > deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A certificate for `127.0.0.1` and `localhost` signed by a test CA of its own (RSA, PEM),
/// made with the `openssl` command in `dir`: (CA certificate for clients to trust, server
/// certificate, server private key). TLS clients refuse a self-signed CA as a server's own.
pub fn test_certificate(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let (ca, ca_key) = (dir.join("ca.crt"), dir.join("ca.key"));
    let (cert, key, request) = (
        dir.join("server.crt"),
        dir.join("server.key"),
        dir.join("server.csr"),
    );
    let extensions = dir.join("server.ext");
    std::fs::write(
        &extensions,
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .expect("writing the certificate extensions");
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .output()
            .expect("running openssl (install the Debian package openssl)");
        assert!(
            out.status.success(),
            "openssl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let text = |p: &Path| p.to_string_lossy().into_owned();
    let subject_ca = "/CN=Wharf test CA";
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        subject_ca,
        "-keyout",
        &text(&ca_key),
        "-out",
        &text(&ca),
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        &text(&key),
        "-out",
        &text(&request),
    ]);
    openssl(&[
        "x509",
        "-req",
        "-CAcreateserial",
        "-days",
        "2",
        "-in",
        &text(&request),
        "-CA",
        &text(&ca),
        "-CAkey",
        &text(&ca_key),
        "-extfile",
        &text(&extensions),
        "-out",
        &text(&cert),
    ]);
    (ca, cert, key)
}
