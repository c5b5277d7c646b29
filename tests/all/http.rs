//! The `http` capability and the `http-task` component through the full engine, against a
//! small hostile web server on 127.0.0.1: requests and credentials that work, and everything a
//! task or a server may try to get past the policy — another host, an address literal, the
//! metadata address, a redirect elsewhere, a name resolving to loopback, a huge answer, a
//! slowloris, a server that keeps saying 503, an ungranted guest — refused or bounded with a
//! clear message, and no secret in any record or message.

use crate::support::{TestEnv, engine_with, task};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use wharf_engine::{Engine, ResultCode, RunRecord};
use wharf_http::{HttpCapability, HttpConnections};

/// The password the shop connection sends; never in a record or message.
const PASSWORD: &str = "pw-7f3a9c-never-shown";
/// `Basic base64("zynk:" + PASSWORD)`.
const EXPECTED_AUTHORIZATION: &str = "Basic enluazpwdy03ZjNhOWMtbmV2ZXItc2hvd24=";

/// A web server that misbehaves on request, one thread per connection, `Connection: close`.
struct Server {
    port: u16,
    /// Requests it has received, by path.
    hits: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(std::sync::Mutex::new(Vec::new()));
        let busy = Arc::new(AtomicUsize::new(0));
        let (log, busy_count) = (hits.clone(), busy.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, busy) = (log.clone(), busy_count.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, port, &log, &busy);
                });
            }
        });
        Server { port, hits }
    }

    fn hits(&self, path: &str) -> usize {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|p| p.as_str() == path)
            .count()
    }
}

fn serve(
    stream: TcpStream,
    port: u16,
    log: &std::sync::Mutex<Vec<String>>,
    busy: &AtomicUsize,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let (mut length, mut authorization) = (0usize, String::new());
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').unwrap_or((header, ""));
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().unwrap_or(0),
            "authorization" => authorization = value.trim().to_owned(),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    log.lock().unwrap().push(path.clone());
    let mut out = stream;
    let reply = |out: &mut TcpStream, status: &str, headers: &str, body: &[u8]| {
        write!(
            out,
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n",
            body.len()
        )?;
        out.write_all(body)
    };
    match path.as_str() {
        "/shop/download.php" => {
            if authorization == EXPECTED_AUTHORIZATION {
                reply(
                    &mut out,
                    "200 OK",
                    "Content-Type: text/xml\r\n",
                    b"<Company><Customers/></Company>",
                )
            } else {
                reply(
                    &mut out,
                    "401 Unauthorized",
                    "",
                    b"Wrong credentials\nfor zynk",
                )
            }
        }
        "/shop/notify.php" => {
            let answer = format!(
                "received {} bytes: {}",
                body.len(),
                String::from_utf8_lossy(&body)
            );
            reply(&mut out, "200 OK", "", answer.as_bytes())
        }
        "/shop/missing.php" => reply(&mut out, "404 Not Found", "", b"No such script\nat all"),
        "/shop/broken.php" => reply(
            &mut out,
            "500 Internal Server Error",
            "",
            b"\nDatabase is down\ntrace",
        ),
        "/shop/redirect-same" => {
            reply(&mut out, "302 Found", "Location: /shop/notify.php\r\n", b"")
        }
        "/shop/redirect-other" => reply(
            &mut out,
            "302 Found",
            &format!("Location: http://127.0.0.2:{port}/shop/notify.php\r\n"),
            b"",
        ),
        "/shop/busy.php" => {
            // 503 twice, then an answer.
            if busy.fetch_add(1, Ordering::SeqCst) < 2 {
                reply(
                    &mut out,
                    "503 Service Unavailable",
                    "Retry-After: 1\r\n",
                    b"busy",
                )
            } else {
                reply(&mut out, "200 OK", "", b"done")
            }
        }
        "/shop/always-busy.php" => reply(
            &mut out,
            "503 Service Unavailable",
            "Retry-After: 0\r\n",
            b"busy",
        ),
        "/shop/huge.php" => {
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                64 << 20
            )?;
            let chunk = vec![b'x'; 64 * 1024];
            for _ in 0..1024 {
                out.write_all(&chunk)?;
            }
            Ok(())
        }
        "/shop/slowloris.php" => {
            write!(out, "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")?;
            for _ in 0..1_000_000 {
                out.write_all(b"x")?;
                out.flush()?;
                std::thread::sleep(Duration::from_millis(200));
            }
            Ok(())
        }
        _ => reply(&mut out, "404 Not Found", "", b"unknown"),
    }
}

struct HttpEnv {
    env: TestEnv,
    server: Server,
}

impl HttpEnv {
    fn new() -> Self {
        let env = TestEnv::new();
        std::fs::write(env.dir.path().join("shop.password"), PASSWORD).unwrap();
        HttpEnv {
            env,
            server: Server::start(),
        }
    }

    /// An engine with connection `shop` to the server at `base` (plus `extra` settings).
    fn engine(&self, base: &str, extra: &str) -> Engine {
        let yaml = format!(
            "http:\n  shop:\n    base-url: {base}\n    auth: {{ basic: {{ username: zynk, password: {{ file: shop.password }} }} }}\n    retries: 3\n{extra}"
        );
        let connections = HttpConnections::parse(&yaml, self.env.dir.path()).expect("connections");
        engine_with(vec![Arc::new(HttpCapability::new(connections).unwrap())])
    }

    fn shop(&self) -> Engine {
        self.engine(&format!("http://127.0.0.1:{}/shop/", self.server.port), "")
    }

    /// Runs one `http-task` with `settings` (YAML flow mapping entries) and `more` task lines.
    fn run_task(&self, engine: &Engine, settings: &str, more: &str) -> RunRecord {
        let yaml = format!(
            "name: Http\ntasks:\n  - task: http-task\n    id: call\n    grants: [\"http:shop\"]\n{more}    settings: {{ {settings} }}\n"
        );
        let record = self.env.try_run_with(engine, &yaml).expect("run");
        let everything = serde_json::to_string(&record).unwrap();
        assert!(
            !everything.contains(PASSWORD) && !everything.contains(EXPECTED_AUTHORIZATION),
            "a secret in the run record: {everything}"
        );
        record
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.env.workdir().join(name)).unwrap_or_default()
    }

    /// Files left in the working directory (temporary names included).
    fn local_names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.env.workdir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

#[test]
fn get_and_post_with_credentials_the_host_adds() {
    let t = HttpEnv::new();
    let engine = t.shop();
    let record = t.run_task(
        &engine,
        "url: download.php, output-file: in/download.xml",
        "",
    );
    let call = task(&record, "call");
    assert_eq!(call.result, ResultCode::Success, "{}", call.message);
    assert_eq!(t.read("in/download.xml"), "<Company><Customers/></Company>");
    assert!(call.message.contains("answered 200"), "{}", call.message);

    t.env.write("success.xml", "<Success><Id>1</Id></Success>");
    let record = t.run_task(
        &engine,
        "url: notify.php, method: POST, input: success.xml, output-file: notify.txt",
        "",
    );
    let call = task(&record, "call");
    assert_eq!(call.result, ResultCode::Success, "{}", call.message);
    assert_eq!(
        t.read("notify.txt"),
        "received 29 bytes: <Success><Id>1</Id></Success>"
    );

    // Form values, and an absolute URL within the origin.
    let record = t.run_task(
        &engine,
        &format!(
            "url: \"http://127.0.0.1:{}/shop/notify.php\", method: POST, form-values: \"a=1\\nb=x y\", output-file: form.txt",
            t.server.port
        ),
        "",
    );
    assert_eq!(task(&record, "call").result, ResultCode::Success);
    assert_eq!(t.read("form.txt"), "received 9 bytes: a=1&b=x+y");
}

#[test]
fn statuses_become_result_codes_with_the_body_written() {
    let t = HttpEnv::new();
    let wrong = t.env.dir.path().join("shop.password");
    std::fs::write(&wrong, "not-the-password").unwrap();
    let engine = t.shop();
    for (url, code, status, line) in [
        (
            "download.php",
            ResultCode::NotAuthorised,
            "answered 401",
            ": Wrong credentials",
        ),
        (
            "missing.php",
            ResultCode::NotFound,
            "answered 404",
            ": No such script",
        ),
        (
            "broken.php",
            ResultCode::Fail,
            "answered 500",
            ": Database is down",
        ),
    ] {
        let record = t.run_task(&engine, &format!("url: {url}, output-file: answer.txt"), "");
        let call = task(&record, "call");
        assert_eq!(call.result, code, "{}", call.message);
        assert!(
            call.message.contains(status) && call.message.ends_with(line),
            "{}",
            call.message
        );
        assert!(!t.read("answer.txt").is_empty(), "the body is written");
        assert!(!call.message.contains("not-the-password"));
    }
}

#[test]
fn other_hosts_address_literals_and_the_metadata_address_are_refused() {
    let t = HttpEnv::new();
    let engine = t.shop();
    let port = t.server.port;
    for url in [
        format!("http://127.0.0.2:{port}/shop/download.php"),
        format!("http://localhost:{port}/shop/download.php"),
        "http://169.254.169.254/latest/meta-data/iam/".to_owned(),
        "http://example.com/".to_owned(),
        format!("https://127.0.0.1:{port}/shop/download.php"),
        format!("http://127.0.0.1:{}/shop/download.php", port + 1),
    ] {
        let record = t.run_task(
            &engine,
            &format!("url: \"{url}\", output-file: stolen.txt"),
            "",
        );
        let call = task(&record, "call");
        assert_eq!(call.result, ResultCode::Fail, "{url}: {}", call.message);
        assert!(
            call.message
                .contains("is outside the connection's origin http://127.0.0.1:"),
            "{url}: {}",
            call.message
        );
    }
    assert!(t.local_names().is_empty(), "{:?}", t.local_names());
    assert_eq!(t.server.hits.lock().unwrap().len(), 0, "nothing was sent");
}

#[test]
fn a_name_resolving_to_loopback_is_refused_unless_the_connection_names_it() {
    let t = HttpEnv::new();
    let base = format!("http://localhost:{}/shop/", t.server.port);
    let record = t.run_task(
        &t.engine(&base, ""),
        "url: download.php, output-file: d.xml",
        "",
    );
    let call = task(&record, "call");
    assert_eq!(call.result, ResultCode::Fail, "{}", call.message);
    assert!(
        call.message.contains("`localhost` resolves to")
            && call.message.contains("a loopback address; refused"),
        "{}",
        call.message
    );
    assert_eq!(t.server.hits("/shop/download.php"), 0);
    let allowed = t.engine(&base, "    allow-addresses: [127.0.0.1, \"::1\"]\n");
    let record = t.run_task(&allowed, "url: download.php, output-file: d.xml", "");
    let call = task(&record, "call");
    assert_eq!(call.result, ResultCode::Success, "{}", call.message);
}

#[test]
fn redirects_are_answers_unless_same_origin_ones_are_allowed() {
    let t = HttpEnv::new();
    let record = t.run_task(&t.shop(), "url: redirect-same, output-file: r.txt", "");
    let call = task(&record, "call");
    assert_eq!(call.result, ResultCode::Fail, "{}", call.message);
    assert!(
        call.message.contains("302") && call.message.contains("not followed"),
        "{}",
        call.message
    );
    let following = t.engine(
        &format!("http://127.0.0.1:{}/shop/", t.server.port),
        "    same-origin-redirects: true\n",
    );
    let record = t.run_task(&following, "url: redirect-same, output-file: r.txt", "");
    let call = task(&record, "call");
    assert_eq!(call.result, ResultCode::Success, "{}", call.message);
    assert!(t.read("r.txt").starts_with("received 0 bytes"));
    let record = t.run_task(&following, "url: redirect-other, output-file: r2.txt", "");
    let call = task(&record, "call");
    assert_eq!(call.result, ResultCode::Fail, "{}", call.message);
    assert!(
        call.message
            .contains("refused: a redirect to http://127.0.0.2:")
            && call.message.contains("is outside the connection's origin"),
        "{}",
        call.message
    );
    assert!(!t.env.workdir().join("r2.txt").exists());
}

#[test]
fn a_huge_answer_ends_the_task_at_the_write_limit_and_leaves_nothing() {
    let t = HttpEnv::new();
    let started = Instant::now();
    let record = t.run_task(
        &t.shop(),
        "url: huge.php, output-file: huge.bin",
        "    limits: { write: 1MiB }\n",
    );
    let call = task(&record, "call");
    assert_eq!(call.result, ResultCode::Fail, "{}", call.message);
    assert!(
        call.message.contains("write limit of 1 MiB"),
        "{}",
        call.message
    );
    assert!(
        t.local_names().is_empty(),
        "no partial file: {:?}",
        t.local_names()
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn a_slowloris_server_is_cut_off_at_the_timeout() {
    let t = HttpEnv::new();
    let started = Instant::now();
    let record = t.run_task(
        &t.shop(),
        "url: slowloris.php, output-file: slow.txt, timeout: 1500, retries: 0",
        "",
    );
    let elapsed = started.elapsed();
    let call = task(&record, "call");
    assert_eq!(call.result, ResultCode::Fail, "{}", call.message);
    assert!(
        call.message.contains("no complete answer in time"),
        "{}",
        call.message
    );
    // The whole-request limit is whole seconds: 1.5 s rounds up to 2 s.
    assert!(elapsed >= Duration::from_secs(2), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    assert!(t.local_names().is_empty(), "{:?}", t.local_names());
    // The task's own time limit bounds it too, whatever the connection allows.
    let started = Instant::now();
    let record = t.run_task(
        &t.shop(),
        "url: slowloris.php, output-file: slow.txt",
        "    limits: { timeout: 2s }\n",
    );
    assert_eq!(task(&record, "call").result, ResultCode::Fail);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn busy_answers_are_retried_after_the_wait_asked_and_the_request_budget_holds() {
    let t = HttpEnv::new();
    let started = Instant::now();
    let record = t.run_task(
        &t.shop(),
        "url: busy.php, output-file: busy.txt, retries: 3",
        "",
    );
    let call = task(&record, "call");
    assert_eq!(call.result, ResultCode::Success, "{}", call.message);
    assert_eq!(t.read("busy.txt"), "done");
    assert_eq!(t.server.hits("/shop/busy.php"), 3);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "Retry-After: 1, twice"
    );
    // Other error statuses are never retried.
    t.run_task(&t.shop(), "url: broken.php, retries: 3", "");
    assert_eq!(t.server.hits("/shop/broken.php"), 1);
    // Out of retries: the last answer stands.
    let record = t.run_task(&t.shop(), "url: always-busy.php, retries: 2", "");
    let call = task(&record, "call");
    assert_eq!(call.result, ResultCode::Fail, "{}", call.message);
    assert!(call.message.contains("503"), "{}", call.message);
    assert_eq!(t.server.hits("/shop/always-busy.php"), 3);
    // A connection's request budget bounds a task's attempts, retries included.
    let budgeted = t.engine(
        &format!("http://127.0.0.1:{}/shop/", t.server.port),
        "    max-requests: 2\n",
    );
    let record = t.run_task(&budgeted, "url: always-busy.php, retries: 5", "");
    let call = task(&record, "call");
    assert_eq!(call.result, ResultCode::Fail, "{}", call.message);
    assert!(
        call.message.contains("request budget of 2 requests"),
        "{}",
        call.message
    );
    assert_eq!(t.server.hits("/shop/always-busy.php"), 5);
}

#[test]
fn an_ungranted_task_is_not_permitted() {
    let t = HttpEnv::new();
    let engine = t.shop();
    let error = t
        .env
        .try_run_with(
            &engine,
            "name: No grant\ntasks:\n  - task: http-task\n    settings: { url: download.php }\n",
        )
        .unwrap_err()
        .to_string();
    assert!(error.contains("grants: [http]"), "{error}");
    let record = t
        .env
        .try_run_with(
            &engine,
            "name: Snoop\ntasks:\n  - task: http-snoop\n    id: snoop\n",
        )
        .expect("run");
    let snoop = task(&record, "snoop");
    assert_eq!(snoop.result, ResultCode::Fail, "{}", snoop.message);
    assert!(
        snoop.message.starts_with("3 calls refused: not permitted"),
        "{}",
        snoop.message
    );
    assert!(!t.env.workdir().join("stolen.txt").exists());
    assert_eq!(t.server.hits.lock().unwrap().len(), 0);
}

/// `openssl s_server` answering HTTPS on 127.0.0.1 with a self-signed certificate for that
/// address; stopped when dropped.
struct TlsServer {
    child: std::process::Child,
    port: u16,
    cert: std::path::PathBuf,
}

impl TlsServer {
    fn start(dir: &std::path::Path) -> TlsServer {
        let (cert, key) = (dir.join("shop-cert.pem"), dir.join("shop-key.pem"));
        let made = std::process::Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
            ])
            .args(["-nodes", "-subj", "/CN=shop.test", "-days", "2"])
            .args(["-addext", "subjectAltName=IP:127.0.0.1"])
            .args(["-addext", "basicConstraints=critical,CA:FALSE"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .expect("openssl");
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept", &port.to_string()])
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "s_server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        TlsServer { child, port, cert }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn https_trusts_the_extra_ca_file_and_refuses_an_unknown_certificate_without_retrying() {
    let t = HttpEnv::new();
    let server = TlsServer::start(t.env.dir.path());
    let engine = |extra: String| {
        let yaml = format!(
            "http:\n  shop:\n    base-url: https://127.0.0.1:{}/\n    retries: 3\n{extra}",
            server.port
        );
        let connections = HttpConnections::parse(&yaml, t.env.dir.path()).expect("connections");
        engine_with(vec![Arc::new(HttpCapability::new(connections).unwrap())])
    };
    let trusted = engine(format!("    extra-ca-file: {}\n", server.cert.display()));
    let record = t.run_task(&trusted, "url: \"/\", output-file: page.html", "");
    let call = task(&record, "call");
    assert_eq!(call.result, ResultCode::Success, "{}", call.message);
    assert!(
        t.read("page.html").contains("<HTML>"),
        "{}",
        t.read("page.html")
    );

    let record = t.run_task(
        &engine(String::new()),
        "url: \"/\", output-file: other.html",
        "",
    );
    let call = task(&record, "call");
    assert_eq!(call.result, ResultCode::Fail, "{}", call.message);
    assert!(call.message.contains("certificate"), "{}", call.message);
    // Another attempt meets the same certificate: the refusal is final, not retried (a retried
    // failure says "after N retries").
    assert!(!call.message.contains("retries"), "{}", call.message);
    assert!(!t.env.workdir().join("other.html").exists());
}
