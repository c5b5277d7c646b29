//! The host side of `wit/http.wit`: grants, the per-call view of a task, and the calls.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use wasmtime::component::{HasData, Linker};
use wharf_engine::blocking::{AsyncBridge, Started};
use wharf_engine::runtime::capability::extension;
use wharf_engine::runtime::{
    Capability, Extension, GrantContext, TaskState, WriteBudget, guest_to_host,
};
use wharf_sftp::{ClientPool, granted_connection, symbolic_link_on, unknown_connection};

use crate::bindings::{HttpImports, http};
use crate::client::{
    Answer, CallLimits, FailureKind, HttpClient, HttpFailure, OVER_BUDGET, Outgoing, RequestBody,
    SMALL_BODY_BYTES,
};
use crate::connections::HttpConnections;

/// A task's started requests the host sends at a time (`start` in `wit/http.wit`).
pub const STARTED_IN_FLIGHT: usize = 8;
/// A task's requests started and not yet finished, at most.
pub const STARTED_AT_MOST: usize = 64;

/// What every call of a task without a grant answers.
pub const NOT_PERMITTED: &str = "not permitted: this task was not granted an HTTP connection (grant one with `grants: [\"http:NAME\"]`, NAME a connection in the connections file; its component must declare `http`)";

/// The `http` capability over a set of named connections.
pub struct HttpCapability {
    connections: Arc<HttpConnections>,
    /// One client (one connection pool) per connection name, shared by every task.
    clients: ClientPool<HttpClient>,
    bridge: Arc<AsyncBridge>,
}

impl HttpCapability {
    /// The capability with its own small runtime for the requests.
    pub fn new(connections: HttpConnections) -> std::io::Result<Self> {
        Ok(Self::with_bridge(
            connections,
            Arc::new(AsyncBridge::on_caller("wharf-http")?),
        ))
    }

    pub fn with_bridge(connections: HttpConnections, bridge: Arc<AsyncBridge>) -> Self {
        HttpCapability {
            connections: Arc::new(connections),
            clients: ClientPool::default(),
            bridge,
        }
    }

    /// The client of connection `name`, made on first use.
    pub fn client(&self, name: &str) -> Result<Arc<HttpClient>, String> {
        self.clients.get_or_make(name, || {
            let connection = self
                .connections
                .get(name)
                .ok_or_else(|| self.unknown(name))?;
            HttpClient::new(name, connection.clone())
        })
    }

    fn unknown(&self, name: &str) -> String {
        unknown_connection("HTTP", name, self.connections.names())
    }
}

impl Capability for HttpCapability {
    fn name(&self) -> &str {
        "http"
    }

    fn add_to_linker(&self, linker: &mut Linker<TaskState>) -> wasmtime::Result<()> {
        HttpImports::add_to_linker::<TaskState, HttpView>(linker, |state| {
            let budget = state.budget.clone();
            HttpCall {
                grant: state.extension::<HttpGrant>(),
                budget,
            }
        })
    }

    fn check_grant(&self, argument: Option<&str>) -> Result<(), String> {
        let name = granted_connection("http", argument)?;
        self.connections
            .get(name)
            .map(|_| ())
            .ok_or_else(|| self.unknown(name))
    }

    fn grant(&self, ctx: &GrantContext<'_>) -> Result<Extension, String> {
        self.check_grant(ctx.argument)?;
        let client = self.client(ctx.argument.unwrap_or_default())?;
        Ok(extension(HttpGrant::Granted(Box::new(Session {
            client,
            bridge: self.bridge.clone(),
            workdir: ctx.workdir.to_owned(),
            requests: Arc::new(AtomicU64::new(0)),
            deadline: Instant::now() + ctx.timeout,
            started: HashMap::new(),
            next_started: 0,
            in_flight: Arc::new(tokio::sync::Semaphore::new(STARTED_IN_FLIGHT)),
        }))))
    }
}

/// Per-call state: `Denied` (the default, for tasks without a grant) or a session.
#[derive(Default)]
pub enum HttpGrant {
    #[default]
    Denied,
    Granted(Box<Session>),
}

/// A granted task call: its connection, working directory, requests made and time limit, and
/// the requests it started and has not finished (cancelled when the call ends and the session
/// is dropped).
pub struct Session {
    client: Arc<HttpClient>,
    bridge: Arc<AsyncBridge>,
    workdir: PathBuf,
    requests: Arc<AtomicU64>,
    deadline: Instant,
    started: HashMap<u32, Started<Result<Answer, HttpFailure>>>,
    next_started: u32,
    /// Started requests being sent, at most [`STARTED_IN_FLIGHT`].
    in_flight: Arc<tokio::sync::Semaphore>,
}

impl Session {
    /// A guest path as a host path inside the working directory, through no symbolic link.
    fn local(&self, guest: &str, what: &str) -> Result<PathBuf, HttpFailure> {
        let path = guest_to_host(&self.workdir, guest)
            .map_err(|e| HttpFailure::new(FailureKind::NotPermitted, format!("{what}: {e}")))?;
        if let Some(link) = symbolic_link_on(&self.workdir, &path) {
            return Err(HttpFailure::new(
                FailureKind::NotPermitted,
                format!(
                    "{what}: `{}` is a symbolic link; HTTP bodies use plain files of the working directory",
                    link.display()
                ),
            ));
        }
        Ok(path)
    }

    fn outgoing(&self, request: http::Request) -> Result<Outgoing, HttpFailure> {
        let body = match request.body {
            http::RequestBody::None => RequestBody::None,
            http::RequestBody::Text(text) => RequestBody::Text(text),
            http::RequestBody::Form(values) => RequestBody::Form(values),
            http::RequestBody::File(file) => {
                let path = self.local(&file, "the request's input file")?;
                small_file(&path).map_err(|e| {
                    self.client.failure(
                        FailureKind::Failed,
                        &request.method,
                        &request.url,
                        format!("cannot read the input file: {e}"),
                    )
                })?
            }
        };
        let output = request
            .output_file
            .map(|f| self.local(&f, "the response's output file"))
            .transpose()?;
        Ok(Outgoing {
            method: request.method,
            url: request.url,
            headers: request
                .headers
                .into_iter()
                .map(|h| (h.name, h.value))
                .collect(),
            body,
            output,
            timeout: request
                .timeout_seconds
                .map(|s| Duration::from_secs(u64::from(s.max(1)))),
            retries: request.retries,
        })
    }
}

/// The body of input file `path`: its bytes when it is small, else the file to stream.
fn small_file(path: &std::path::Path) -> std::io::Result<RequestBody> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let length = file.metadata()?.len();
    if length > SMALL_BODY_BYTES {
        return Ok(RequestBody::File(path.to_owned()));
    }
    // Room for one byte more than the file holds: the whole body comes in one read and the
    // next one sees the end (from an empty buffer `read_to_end` first reads a small probe,
    // three reads for a 60-byte file).
    let mut bytes = Vec::with_capacity(length as usize + 1);
    // Bounded: a file that grew since is streamed instead of read past the bound.
    file.take(SMALL_BODY_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > SMALL_BODY_BYTES {
        return Ok(RequestBody::File(path.to_owned()));
    }
    Ok(RequestBody::Bytes(bytes))
}

/// The `HasData` of the http interface: a task's grant plus its write budget.
pub struct HttpView;

impl HasData for HttpView {
    type Data<'a> = HttpCall<'a>;
}

pub struct HttpCall<'a> {
    grant: &'a mut HttpGrant,
    budget: Arc<WriteBudget>,
}

impl HttpCall<'_> {
    fn session(&mut self) -> Result<&mut Session, HttpFailure> {
        match &mut *self.grant {
            HttpGrant::Granted(session) => Ok(session),
            HttpGrant::Denied => Err(HttpFailure::new(FailureKind::NotPermitted, NOT_PERMITTED)),
        }
    }

    /// The request as the client sends it and what it may spend: the session's requests and
    /// time, the task's write budget.
    fn prepare(&mut self, request: http::Request) -> Result<Prepared, HttpFailure> {
        let budget = self.budget.clone();
        let session = self.session()?;
        let outgoing = session.outgoing(request)?;
        let limits = CallLimits {
            charge: Arc::new(move |n| budget.charge(n).map_err(|e| e.to_string())),
            requests: session.requests.clone(),
            deadline: session.deadline,
        };
        Ok((session.client.clone(), outgoing, limits))
    }
}

type Prepared = (Arc<HttpClient>, Outgoing, CallLimits);

fn cancelled() -> HttpFailure {
    HttpFailure::new(
        FailureKind::Connection,
        "the HTTP request was cancelled (the runtime shut down)",
    )
}

type Reply<T> = wasmtime::Result<Result<T, http::HttpFailure>>;

fn reply<T>(result: Result<T, HttpFailure>) -> Reply<T> {
    match result {
        // The write budget is the sandbox's limit, not an HTTP failure: end the task.
        Err(f) if f.message.starts_with(OVER_BUDGET) => {
            Err(wasmtime::format_err!("{}", &f.message[OVER_BUDGET.len()..]))
        }
        result => Ok(result.map_err(|f| http::HttpFailure {
            kind: match f.kind {
                FailureKind::NotPermitted => http::FailureKind::NotPermitted,
                FailureKind::Connection => http::FailureKind::Connection,
                FailureKind::Timeout => http::FailureKind::Timeout,
                FailureKind::Failed => http::FailureKind::Failed,
            },
            message: f.message,
        })),
    }
}

fn response(a: Answer) -> http::Response {
    http::Response {
        status: a.status,
        headers: a
            .headers
            .into_iter()
            .map(|(name, value)| http::Header { name, value })
            .collect(),
        body_length: a.body_length,
        body_start: a.body_start,
        url: a.url,
    }
}

impl http::Host for HttpCall<'_> {
    fn base_url(&mut self) -> Reply<String> {
        reply(self.session().map(|s| s.client.base_url().to_string()))
    }

    fn send(&mut self, request: http::Request) -> Reply<http::Response> {
        let sent = self
            .prepare(request)
            .and_then(|(client, outgoing, limits)| {
                let bridge = self.session()?.bridge.clone();
                bridge
                    .run(async move { client.send(outgoing, &limits).await })
                    .unwrap_or_else(|| Err(cancelled()))
            });
        reply(sent.map(response))
    }

    fn start(&mut self, request: http::Request) -> Reply<u32> {
        let started = self
            .prepare(request)
            .and_then(|(client, outgoing, limits)| {
                let session = self.session()?;
                if session.started.len() >= STARTED_AT_MOST {
                    return Err(client.failure(
                    FailureKind::Failed,
                    &outgoing.method,
                    &outgoing.url,
                    format!(
                        "{STARTED_AT_MOST} requests are started and not finished; finish one first"
                    ),
                ));
                }
                let in_flight = session.in_flight.clone();
                let pending = session.bridge.start(async move {
                    // Closed never: the session owns the semaphore.
                    let _turn = in_flight.acquire_owned().await;
                    client.send(outgoing, &limits).await
                });
                let id = session.next_started;
                session.next_started = id.wrapping_add(1);
                session.started.insert(id, pending);
                Ok(id)
            });
        reply(started)
    }

    fn finish(&mut self, started: u32) -> Reply<http::Response> {
        let finished = self.session().and_then(|session| {
            let pending = session.started.remove(&started).ok_or_else(|| {
                HttpFailure::new(
                    FailureKind::Failed,
                    format!(
                        "no started request {started} on http `{}` (each started request is finished once)",
                        session.client.name()
                    ),
                )
            })?;
            session
                .bridge
                .finish(pending)
                .unwrap_or_else(|| Err(cancelled()))
        });
        reply(finished.map(response))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn capability() -> HttpCapability {
        let connections = HttpConnections::parse(
            "http:\n  shop:\n    base-url: http://127.0.0.1:1/\n    retries: 0\n",
            Path::new("."),
        )
        .unwrap();
        HttpCapability::new(connections).unwrap()
    }

    #[test]
    fn a_grant_must_name_a_known_connection() {
        let cap = capability();
        assert!(cap.check_grant(Some("shop")).is_ok());
        let e = cap.check_grant(None).unwrap_err();
        assert!(e.contains("http:NAME"), "{e}");
        let e = cap.check_grant(Some("warehouse")).unwrap_err();
        assert!(e.contains("`warehouse`") && e.contains("shop"), "{e}");
    }

    #[test]
    fn an_ungranted_call_is_not_permitted() {
        let mut grant = HttpGrant::Denied;
        let mut call = call_of(&mut grant, 1 << 20);
        use http::Host;
        let failure = call.base_url().unwrap().unwrap_err();
        assert_eq!(failure.kind, http::FailureKind::NotPermitted);
        assert_eq!(failure.message, NOT_PERMITTED);
        // Starting and finishing requests too.
        let failure = call.start(get("orders", None)).unwrap().unwrap_err();
        assert_eq!(
            (failure.kind, failure.message.as_str()),
            (http::FailureKind::NotPermitted, NOT_PERMITTED)
        );
        let failure = call.finish(0).unwrap().unwrap_err();
        assert_eq!(failure.kind, http::FailureKind::NotPermitted);
    }

    #[test]
    fn local_files_stay_inside_the_working_directory() {
        let dir = tempfile::tempdir().unwrap();
        let session = Session {
            client: capability().client("shop").unwrap(),
            bridge: Arc::new(AsyncBridge::new("t", 1).unwrap()),
            workdir: dir.path().to_owned(),
            requests: Arc::new(AtomicU64::new(0)),
            deadline: Instant::now() + Duration::from_secs(5),
            started: HashMap::new(),
            next_started: 0,
            in_flight: Arc::new(tokio::sync::Semaphore::new(STARTED_IN_FLIGHT)),
        };
        assert_eq!(
            session.local("/in/orders.xml", "x").unwrap(),
            dir.path().join("in/orders.xml")
        );
        assert_eq!(
            session.local("../etc/passwd", "x").unwrap_err().kind,
            FailureKind::NotPermitted
        );
        std::os::unix::fs::symlink("/etc", dir.path().join("link")).unwrap();
        let e = session.local("link/passwd", "x").unwrap_err();
        assert!(e.message.contains("symbolic link"), "{}", e.message);
    }

    /// A server on 127.0.0.1 answering every request `200` with its path as the body.
    fn echo_server() -> String {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut stream = stream;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let path = line.split(' ').nth(1).unwrap_or("/").to_owned();
                        while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                            line.clear();
                        }
                        let reply = format!(
                            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{path}",
                            path.len()
                        );
                        if stream.write_all(reply.as_bytes()).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        url
    }

    fn granted(base: &str, max_requests: u32, workdir: &Path) -> HttpGrant {
        let connections = HttpConnections::parse(
            &format!("http:\n  shop:\n    base-url: {base}\n    retries: 0\n    max-requests: {max_requests}\n"),
            Path::new("."),
        )
        .unwrap();
        let cap = HttpCapability::new(connections).unwrap();
        HttpGrant::Granted(Box::new(Session {
            client: cap.client("shop").unwrap(),
            bridge: cap.bridge.clone(),
            workdir: workdir.to_owned(),
            requests: Arc::new(AtomicU64::new(0)),
            deadline: Instant::now() + Duration::from_secs(60),
            started: HashMap::new(),
            next_started: 0,
            in_flight: Arc::new(tokio::sync::Semaphore::new(STARTED_IN_FLIGHT)),
        }))
    }

    /// A task's calls with `grant` and a write budget of `budget` bytes.
    fn call_of(grant: &mut HttpGrant, budget: u64) -> HttpCall<'_> {
        HttpCall {
            grant,
            budget: WriteBudget::new(budget, Default::default()),
        }
    }

    fn get(url: &str, output: Option<&str>) -> http::Request {
        http::Request {
            method: "GET".into(),
            url: url.into(),
            headers: Vec::new(),
            body: http::RequestBody::None,
            output_file: output.map(str::to_owned),
            timeout_seconds: None,
            retries: None,
        }
    }

    #[test]
    fn started_requests_answer_in_files_under_the_same_policy_and_budgets() {
        use http::Host;
        let base = echo_server();
        let dir = tempfile::tempdir().unwrap();
        let mut grant = granted(&base, 4, dir.path());
        let mut call = call_of(&mut grant, 1 << 20);
        // Three pages at once, each into its own file, finished in any order.
        let ids: Vec<u32> = (1..=3)
            .map(|n| {
                let request = get(&format!("page/{n}"), Some(&format!("/out/{n}.txt")));
                call.start(request).unwrap().unwrap()
            })
            .collect();
        for (n, id) in ids.iter().enumerate().rev() {
            let answer = call.finish(*id).unwrap().unwrap();
            let body = format!("/page/{}", n + 1);
            assert_eq!(
                (answer.status, answer.body_start),
                (200, body.clone().into_bytes())
            );
            let written = std::fs::read_to_string(dir.path().join(format!("out/{}.txt", n + 1)));
            assert_eq!(written.unwrap(), body);
        }
        // Each number is finished once.
        let failure = call.finish(ids[0]).unwrap().unwrap_err();
        assert_eq!(failure.kind, http::FailureKind::Failed);
        assert!(
            failure.message.contains("finished once"),
            "{}",
            failure.message
        );
        // Another origin: refused when it is sent, as `send` refuses it.
        let id = call
            .start(get("http://example.com/x", None))
            .unwrap()
            .unwrap();
        let failure = call.finish(id).unwrap().unwrap_err();
        assert_eq!(failure.kind, http::FailureKind::NotPermitted);
        // A local file outside the working directory: refused at the start.
        let failure = call.start(get("x", Some("../x.txt"))).unwrap().unwrap_err();
        assert_eq!(failure.kind, http::FailureKind::NotPermitted);
        // The request budget (4) counts started requests too: the fourth is sent, the fifth not.
        let (fourth, fifth) = (
            call.start(get("page/4", None)).unwrap().unwrap(),
            call.start(get("page/5", None)).unwrap().unwrap(),
        );
        assert_eq!(call.finish(fourth).unwrap().unwrap().status, 200);
        let failure = call.finish(fifth).unwrap().unwrap_err();
        assert_eq!(failure.kind, http::FailureKind::NotPermitted);
        assert!(
            failure.message.contains("max-requests"),
            "{}",
            failure.message
        );
    }

    #[test]
    fn a_started_answer_past_the_write_budget_ends_the_task() {
        use http::Host;
        let base = echo_server();
        let dir = tempfile::tempdir().unwrap();
        let mut grant = granted(&base, 10, dir.path());
        let mut call = call_of(&mut grant, 4);
        let id = call
            .start(get("a-path-longer-than-four-bytes", Some("/out.txt")))
            .unwrap()
            .unwrap();
        let trap = call.finish(id).unwrap_err();
        assert!(trap.to_string().contains("write"), "{trap}");
        assert!(!dir.path().join("out.txt").exists());
    }

    #[test]
    fn a_task_may_have_only_so_many_requests_started_and_not_finished() {
        use http::Host;
        let dir = tempfile::tempdir().unwrap();
        // Nobody listens on port 1: the requests fail, but only when finished.
        let mut grant = granted("http://127.0.0.1:1/", 1000, dir.path());
        let mut call = call_of(&mut grant, 1 << 20);
        for _ in 0..STARTED_AT_MOST {
            call.start(get("x", None)).unwrap().unwrap();
        }
        let failure = call.start(get("x", None)).unwrap().unwrap_err();
        assert!(
            failure.message.contains("not finished"),
            "{}",
            failure.message
        );
        let failure = call.finish(0).unwrap().unwrap_err();
        assert_eq!(failure.kind, http::FailureKind::Connection);
        call.start(get("x", None)).unwrap().unwrap();
    }
}
