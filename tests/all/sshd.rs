//! A real OpenSSH server (`internal-sftp`, chrooted) on 127.0.0.1 for the SFTP tests, started
//! and stopped per test, and a TCP proxy between client and server that can cut connections
//! mid-transfer. Running sshd as root in a container needs care, handled here: the
//! privilege-separation directory must exist, sshd is started by its absolute path (it
//! re-executes itself), the test account gets a real password (`chpasswd`), a chroot must be
//! root-owned all the way (so not under `/tmp`), and `MaxStartups` is raised for parallel
//! connections.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The account the tests log in as (created once, chrooted by the server's config).
pub const USER: &str = "wharf-sftp";
/// Its password (set with chpasswd when the account is made).
pub const PASSWORD: &str = "wharf-test-password";
/// The passphrase of the client key.
pub const KEY_PASSPHRASE: &str = "wharf key passphrase";

/// Where servers' chroot folders go: root-owned and not group/world-writable at every level,
/// as sshd requires (so not under /tmp).
const BASE: &str = "/srv/wharf-sftp-tests";

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
            Path::new("/usr/sbin/sshd").exists(),
            "OpenSSH's sshd is missing: install the Debian package openssh-server (.ci/run does)"
        );
        let exists = Command::new("id")
            .arg(USER)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !exists {
            run(Command::new("useradd")
                .args(["--no-create-home", "--shell", "/usr/sbin/nologin"])
                .arg(USER));
        }
        let mut chpasswd = Command::new("chpasswd")
            .stdin(Stdio::piped())
            .spawn()
            .expect("chpasswd");
        writeln!(chpasswd.stdin.take().unwrap(), "{USER}:{PASSWORD}").unwrap();
        assert!(chpasswd.wait().unwrap().success(), "chpasswd failed");
        std::fs::create_dir_all("/run/sshd").unwrap();
        std::fs::create_dir_all(BASE).unwrap();
        std::fs::set_permissions(BASE, std::fs::Permissions::from_mode(0o755)).unwrap();
    });
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn keygen(path: &Path, passphrase: &str) {
    run(Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            passphrase,
            "-C",
            "wharf-test",
            "-f",
        ])
        .arg(path));
}

fn uid_gid(user: &str) -> (u32, u32) {
    let id = |flag| {
        let out = Command::new("id").arg(flag).arg(user).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    };
    (id("-u"), id("-g"))
}

/// One running sshd. Files the client sees at `/download/a.xml` are at
/// `root().join("download/a.xml")` on this machine.
pub struct Sshd {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
    /// The host key's SHA256 fingerprint, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
}

impl Sshd {
    /// A server with the folders `/download`, `/download/processed` and `/upload`.
    pub fn start() -> Sshd {
        ensure_user();
        let dir = PathBuf::from(BASE).join(uuid::Uuid::new_v4().simple().to_string());
        let root = dir.join("root");
        std::fs::create_dir_all(&root).unwrap();
        for d in [&dir, &root] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let (uid, gid) = uid_gid(USER);
        for folder in ["download", "download/processed", "upload"] {
            let path = root.join(folder);
            std::fs::create_dir_all(&path).unwrap();
            std::os::unix::fs::chown(&path, Some(uid), Some(gid)).unwrap();
        }
        keygen(&dir.join("host_key"), "");
        keygen(&dir.join("client_key"), KEY_PASSPHRASE);
        keygen(&dir.join("plain_client_key"), "");
        let mut authorized = std::fs::read_to_string(dir.join("client_key.pub")).unwrap();
        authorized.push_str(&std::fs::read_to_string(dir.join("plain_client_key.pub")).unwrap());
        std::fs::write(dir.join("authorized_keys"), authorized).unwrap();
        let out = Command::new("ssh-keygen")
            .args(["-l", "-E", "sha256", "-f"])
            .arg(dir.join("host_key.pub"))
            .output()
            .unwrap();
        let fingerprint = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .nth(1)
            .expect("fingerprint")
            .to_owned();
        let mut sshd = Sshd {
            port: free_port(),
            dir,
            child: None,
            fingerprint,
        };
        sshd.write_known_hosts(sshd.port);
        sshd.launch();
        sshd
    }

    fn config(&self) -> String {
        format!(
            "Port {port}
ListenAddress 127.0.0.1
HostKey {dir}/host_key
PidFile {dir}/sshd.pid
UsePAM no
PasswordAuthentication yes
PubkeyAuthentication yes
KbdInteractiveAuthentication no
AuthorizedKeysFile {dir}/authorized_keys
StrictModes no
MaxStartups 100:30:200
LogLevel ERROR
Subsystem sftp internal-sftp
Match User {USER}
  ChrootDirectory {root}
  ForceCommand internal-sftp
  AllowTcpForwarding no
",
            port = self.port,
            dir = self.dir.display(),
            root = self.root().display(),
        )
    }

    fn launch(&mut self) {
        let config = self.dir.join("sshd_config");
        std::fs::write(&config, self.config()).unwrap();
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, so a kill takes the per-connection processes too.
            .process_group(0)
            .spawn()
            .expect("starting sshd");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "sshd did not start listening");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Kills the server and every connection it serves, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pgid = child.id() as i32;
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pgid}")])
                .status();
            let _ = child.wait();
        }
    }

    /// Freezes the server and its connections (`SIGSTOP`): a client connects but never hears
    /// back, like a server that hangs. [`Sshd::thaw`] lets it carry on.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        if let Some(child) = &self.child {
            let status = Command::new("kill")
                .args([signal, "--", &format!("-{}", child.id())])
                .status()
                .unwrap();
            assert!(status.success(), "kill {signal} the server");
        }
    }

    /// Starts the server again on the same port.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }

    /// The chroot: what the client sees as `/`.
    pub fn root(&self) -> PathBuf {
        self.dir.join("root")
    }

    /// The local path of remote path `remote`.
    pub fn path(&self, remote: &str) -> PathBuf {
        self.root().join(remote.trim_start_matches('/'))
    }

    /// Writes a remote file as the test user would have uploaded it.
    pub fn put(&self, remote: &str, contents: impl AsRef<[u8]>) {
        let path = self.path(remote);
        std::fs::write(&path, contents).unwrap();
        let (uid, gid) = uid_gid(USER);
        std::os::unix::fs::chown(&path, Some(uid), Some(gid)).unwrap();
    }

    /// File names in a remote folder, sorted.
    pub fn names(&self, remote: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path(remote))
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().unwrap().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// A known_hosts file naming this server's key for `127.0.0.1:port`.
    pub fn known_hosts(&self) -> PathBuf {
        self.dir.join("known_hosts")
    }

    fn write_known_hosts(&self, port: u16) {
        let key = std::fs::read_to_string(self.dir.join("host_key.pub")).unwrap();
        let mut parts = key.split_whitespace();
        let (kind, body) = (parts.next().unwrap(), parts.next().unwrap());
        std::fs::write(
            self.known_hosts(),
            format!("[127.0.0.1]:{port} {kind} {body}\n"),
        )
        .unwrap();
    }

    /// Also trusts the key when reached through a proxy on `port`.
    pub fn trust_port(&self, port: u16) {
        let mut text = std::fs::read_to_string(self.known_hosts()).unwrap();
        let line = text.lines().next().unwrap().to_owned();
        text.push_str(&line.replacen(&format!("]:{}", self.port), &format!("]:{port}"), 1));
        text.push('\n');
        std::fs::write(self.known_hosts(), text).unwrap();
    }

    /// The client key, protected by [`KEY_PASSPHRASE`].
    pub fn client_key(&self) -> PathBuf {
        self.dir.join("client_key")
    }

    /// A client key without a passphrase (for OpenSSH's own client in batch mode; the bench).
    #[allow(dead_code)]
    pub fn plain_client_key(&self) -> PathBuf {
        self.dir.join("plain_client_key")
    }

    /// A connections file entry `name` for this server with password authentication (the
    /// password in a secrets file), pinned through the known_hosts file.
    pub fn password_connection(&self, name: &str, secrets: &Path, port: u16) -> String {
        let pw = secrets.join(format!("{name}.password"));
        std::fs::write(&pw, format!("{PASSWORD}\n")).unwrap();
        format!(
            "  {name}:\n    server: 127.0.0.1\n    port: {port}\n    username: {USER}\n    password: {{ file: {} }}\n    known-hosts: {}\n    retries: 2\n    connect-timeout-seconds: 5\n    timeout-seconds: 5\n",
            pw.display(),
            self.known_hosts().display()
        )
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A TCP proxy to a server that forwards connections until told to cut them: after `cut_after`
/// bytes from the server, a connection is dropped both ways (as a crashed server or a broken
/// network would), for the first `cuts` connections.
pub struct CuttingProxy {
    pub port: u16,
    stop: Arc<AtomicBool>,
    pub connections: Arc<AtomicUsize>,
}

impl CuttingProxy {
    pub fn start(target: u16, cut_after: usize, cuts: usize) -> CuttingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicUsize::new(0));
        let (stop2, count) = (stop.clone(), connections.clone());
        std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let n = count.fetch_add(1, Ordering::Relaxed);
                        let limit = (n < cuts).then_some(cut_after);
                        if let Ok(server) = TcpStream::connect(("127.0.0.1", target)) {
                            relay(client, server, limit);
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        CuttingProxy {
            port,
            stop,
            connections,
        }
    }
}

impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn relay(client: TcpStream, server: TcpStream, cut_after: Option<usize>) {
    let both = Arc::new(Mutex::new((
        client.try_clone().unwrap(),
        server.try_clone().unwrap(),
    )));
    let cut = move || {
        let pair = both.lock().unwrap();
        let _ = pair.0.shutdown(Shutdown::Both);
        let _ = pair.1.shutdown(Shutdown::Both);
    };
    let cut2 = cut.clone();
    let (mut c_read, mut s_write) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut c_read, &mut s_write);
        cut2();
    });
    let (mut s_read, mut c_write) = (server, client);
    std::thread::spawn(move || {
        let mut sent = 0usize;
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = match s_read.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let n = match cut_after {
                Some(limit) if sent + n >= limit => {
                    let _ = c_write.write_all(&buf[..limit.saturating_sub(sent)]);
                    break;
                }
                _ => n,
            };
            if c_write.write_all(&buf[..n]).is_err() {
                break;
            }
            sent += n;
        }
        cut();
    });
}
