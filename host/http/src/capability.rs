//! The host side of `wit/http.wit`: grants, the per-call view of a task, and the calls.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use wasmtime::component::{HasData, Linker};
use wharf_engine::blocking::AsyncBridge;
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

/// A granted task call: its connection, working directory, requests made and time limit.
pub struct Session {
    client: Arc<HttpClient>,
    bridge: Arc<AsyncBridge>,
    workdir: PathBuf,
    requests: Arc<AtomicU64>,
    deadline: Instant,
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
    if file.metadata()?.len() > SMALL_BODY_BYTES {
        return Ok(RequestBody::File(path.to_owned()));
    }
    let mut bytes = Vec::new();
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
    fn session(&self) -> Result<&Session, HttpFailure> {
        match &*self.grant {
            HttpGrant::Granted(session) => Ok(session),
            HttpGrant::Denied => Err(HttpFailure::new(FailureKind::NotPermitted, NOT_PERMITTED)),
        }
    }
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
        let budget = self.budget.clone();
        reply(self.session().and_then(|session| {
            let outgoing = session.outgoing(request)?;
            let limits = CallLimits {
                charge: Arc::new(move |n| budget.charge(n).map_err(|e| e.to_string())),
                requests: session.requests.clone(),
                deadline: session.deadline,
            };
            let client = session.client.clone();
            session
                .bridge
                .run(async move { client.send(outgoing, &limits).await })
                .unwrap_or_else(|| {
                    Err(HttpFailure::new(
                        FailureKind::Connection,
                        "the HTTP request was cancelled (the runtime shut down)",
                    ))
                })
                .map(response)
        }))
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
        let mut call = HttpCall {
            grant: &mut grant,
            budget: WriteBudget::new(1 << 20, Default::default()),
        };
        use http::Host;
        let failure = call.base_url().unwrap().unwrap_err();
        assert_eq!(failure.kind, http::FailureKind::NotPermitted);
        assert_eq!(failure.message, NOT_PERMITTED);
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
}
