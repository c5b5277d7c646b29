//! The moto S3/SQS server the tests of `wharf-s3-store`, `wharf-cloud`, `wharf-sage-runner` and
//! the cloud end-to-end tests run against, installed into `target/peers/moto-venv` by
//! `host/s3-store/peers/install-moto.sh` (`make peers`; `WHARF_PEERS` names another folder),
//! and what their harnesses share around it.

pub mod contract;
pub mod ftp;
pub mod lambda_api;
pub mod proxy;
pub mod smtp;

pub use contract::{ContractProxy, Options as ContractOptions, Violation};

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use aws_sdk_sqs::types::QueueAttributeName;

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub struct Moto {
    watched: Watched,
    pub port: u16,
}

impl Moto {
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// A peer started under a watchdog script that stops it when this process's end of the
/// script's stdin pipe closes: when the value is dropped, or when the test process exits or is
/// killed (no peer outlives its test).
pub(crate) struct Watched {
    child: Mutex<Child>,
    stdin: Mutex<Option<ChildStdin>>,
}

impl Watched {
    /// Spawns `command` (the watchdog script) with a piped stdin.
    pub(crate) fn spawn(mut command: Command) -> Watched {
        let mut child = command
            .stdin(Stdio::piped())
            .spawn()
            .expect("starting a test peer's watchdog (bash)");
        let stdin = child.stdin.take();
        Watched {
            child: Mutex::new(child),
            stdin: Mutex::new(stdin),
        }
    }

    /// Watches a child spawned with a piped stdin that stops when the stdin closes.
    pub(crate) fn from_child(mut child: Child) -> Watched {
        let stdin = child.stdin.take();
        Watched {
            child: Mutex::new(child),
            stdin: Mutex::new(stdin),
        }
    }

    /// Whether the watchdog (and so the peer) is gone.
    pub(crate) fn exited(&self) -> bool {
        self.child
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .try_wait()
            .ok()
            .flatten()
            .is_some()
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        // Closing stdin makes the watchdog stop the peer; then reap the watchdog.
        self.stdin.lock().unwrap_or_else(|p| p.into_inner()).take();
        let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

pub(crate) fn peers_dir() -> PathBuf {
    std::env::var_os("WHARF_PEERS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/peers"))
}

/// Whether moto answers HTTP on the port.
fn answers(port: u16) -> bool {
    let Ok(mut s) =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(500))
    else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let req =
        format!("GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}

/// Starts moto through `host/s3-store/peers/moto_server_atomic.py` (moto's server with its
/// conditional writes serialised, as S3 decides them) on a free port, under a watchdog that
/// stops it when this process's end of its stdin pipe closes: when the value is dropped, or
/// when the test process exits or is killed.
pub fn start() -> Moto {
    let server = peers_dir().join("moto-venv/bin/moto_server");
    let python = peers_dir().join("moto-venv/bin/python");
    let wrapper = repo_root().join("host/s3-store/peers/moto_server_atomic.py");
    assert!(
        server.is_file() && python.is_file(),
        "{} is missing: install moto first with `bash host/s3-store/peers/install-moto.sh` \
         (set WHARF_PEERS to use another peers folder)",
        server.display()
    );
    let port = free_port();
    let log = repo_root().join(format!("target/peers/moto-{port}.log"));
    let _ = std::fs::create_dir_all(log.parent().unwrap());
    let script = r#"
        "$PYTHON" "$WRAPPER" -H 127.0.0.1 -p "$PORT" </dev/null >"$LOG" 2>&1 &
        moto=$!
        read -r _ || true
        kill "$moto" 2>/dev/null
        wait "$moto" 2>/dev/null
        rm -f "$LOG"
        exit 0
    "#;
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(script)
        .env("PYTHON", &python)
        .env("WRAPPER", &wrapper)
        .env("PORT", port.to_string())
        .env("LOG", &log)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let moto = Moto {
        watched: Watched::spawn(command),
        port,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !answers(port) {
        if moto.watched.exited() || Instant::now() > deadline {
            let output = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("moto_server did not start on port {port}; its output:\n{output}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    moto
}

/// This test binary's moto server, started by the first call, which also sets the AWS
/// environment the SDK reads in this process: credentials `test` / `secret` (moto accepts any; a
/// distinctive secret lets tests check it never shows), no instance-metadata lookups, no
/// profile. With `default_region`, also `AWS_REGION` and `AWS_ENDPOINT_URL` (this moto), so
/// clients built without settings reach moto. Later calls return the same server and change
/// nothing: a test binary passes the same arguments everywhere.
pub fn moto_with_aws_env(secret: &str, default_region: Option<&str>) -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| {
        let moto = start();
        // SAFETY: set once, inside this initialiser, which every test passes through before it
        // touches the SDK; no other thread reads the environment while it runs.
        unsafe {
            std::env::set_var("AWS_ACCESS_KEY_ID", "test");
            std::env::set_var("AWS_SECRET_ACCESS_KEY", secret);
            if let Some(region) = default_region {
                std::env::set_var("AWS_REGION", region);
                std::env::set_var("AWS_ENDPOINT_URL", moto.endpoint());
            }
            // No instance-metadata lookups from a test machine.
            std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
            std::env::remove_var("AWS_PROFILE");
        }
        moto
    })
}

/// A name of this test binary's own (process id and a counter after `prefix`).
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The SHA-256 of `bytes` in hex, as Wharf tags the objects it writes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Creates an asymmetric KMS signing key (ECC_NIST_P256, SIGN_VERIFY: what signs Wharf's
/// component manifest) and gives its id; panics on failure.
pub async fn create_signing_key(kms: &aws_sdk_kms::Client) -> String {
    use aws_sdk_kms::types::{KeySpec, KeyUsageType};
    kms.create_key()
        .key_usage(KeyUsageType::SignVerify)
        .key_spec(KeySpec::EccNistP256)
        .description("wharf test: component manifest signing")
        .send()
        .await
        .expect("create a KMS signing key")
        .key_metadata()
        .expect("key metadata")
        .key_id()
        .to_string()
}

/// Creates `bucket` with a LocationConstraint for `region`, as outside us-east-1 on AWS; panics
/// on failure.
pub async fn create_bucket(s3: &aws_sdk_s3::Client, bucket: &str, region: &str) {
    s3.create_bucket()
        .bucket(bucket)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        )
        .send()
        .await
        .expect("create bucket");
}

/// Creates a customer's pipeline: `bucket` ([`create_bucket`]) and its queues `<bucket>-jobs`
/// and `<bucket>-results`, each with `queue_attributes`. Gives the jobs and the results queue's
/// URLs; panics on failure.
pub async fn create_pipeline(
    s3: &aws_sdk_s3::Client,
    sqs: &aws_sdk_sqs::Client,
    bucket: &str,
    region: &str,
    queue_attributes: &[(QueueAttributeName, &str)],
) -> (String, String) {
    create_bucket(s3, bucket, region).await;
    let mut urls = Vec::new();
    for kind in ["jobs", "results"] {
        let mut create = sqs.create_queue().queue_name(format!("{bucket}-{kind}"));
        for (name, value) in queue_attributes {
            create = create.attributes(name.clone(), *value);
        }
        let out = create.send().await.expect("create queue");
        urls.push(out.queue_url.expect("queue url"));
    }
    (urls.remove(0), urls.remove(0))
}

/// `program` (a Sage runner) with only the environment it needs against moto: `PATH`, `HOME`,
/// the credentials [`moto_with_aws_env`] sets (`test` / `secret`), no instance-metadata
/// lookups, the tests' shared compiled-component cache (`WHARF_CACHE_DIR`) and `RUST_LOG=info`;
/// stdin from /dev/null.
pub fn runner_command(program: &Path, home: &Path, secret: &str) -> Command {
    let mut c = Command::new(program);
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env(
            "WHARF_CACHE_DIR",
            repo_root().join("target/test-component-cache"),
        )
        .env("RUST_LOG", "info")
        .stdin(Stdio::null());
    c
}
