//! A local AWS Lambda runtime API (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>)
//! for tests that run the Wharf Lambda binary as a separate process: the binary's
//! `lambda_runtime` polls `/invocation/next` and posts responses and errors exactly as on AWS,
//! while the test queues events and reads the outcomes through a synchronous API.
//!
//! Behaviour kept from Lambda: `/next` long-polls; the deadline header is epoch milliseconds
//! (hand-out time + the function timeout); answering an unknown request id is a 400
//! `InvalidRequestID`, answering twice a 403 `InvalidStateTransition`; a response over 6 MB is
//! refused with 413 and the invocation fails with `Function.ResponseSizeTooLarge`. A runtime that
//! disconnects while idle in `/next` (its process was killed) is dropped and never receives an
//! event.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

/// A request id, as in `Lambda-Runtime-Aws-Request-Id`.
pub type InvocationId = String;

/// How an invocation ended, as the runtime reported it.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The body posted to `/response`: its JSON, or the raw text as a JSON string when it is
    /// not JSON.
    Response(Value),
    /// The body posted to `/error` (JSON `{errorType, errorMessage}`, or the raw text as a JSON
    /// string) and its `Lambda-Runtime-Function-Error-Type` header (`Unhandled` when absent).
    Error { error_type: String, body: Value },
}

/// The largest response a synchronous invocation may return (Lambda's limit, in bytes).
pub const MAX_RESPONSE_BYTES: usize = 6_291_556;

/// How long `invoke_and_wait` gives a runtime to fetch an invocation: Lambda allows 10 s of
/// init, and a debug build on a busy machine needs more.
const HAND_OUT_GRACE: Duration = Duration::from_secs(30);

/// How long `invoke_and_wait` waits past the function timeout for the answer to arrive.
const ANSWER_SLACK: Duration = Duration::from_secs(5);

const ACCOUNT: &str = "123456789012";
const REGION: &str = "eu-west-1";

/// A Lambda runtime API on `127.0.0.1` and a free port, served from a thread of its own; the
/// server stops when the value is dropped.
pub struct LambdaApi {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct Shared {
    function_name: String,
    state: Mutex<State>,
    /// Signalled on every state change, for the synchronous waits.
    changed: Condvar,
    /// Woken when an invocation is queued, for the `/next` long-polls.
    queued: tokio::sync::Notify,
}

#[derive(Default)]
struct State {
    invocations: HashMap<InvocationId, Invocation>,
    queue: VecDeque<InvocationId>,
    init_errors: Vec<Value>,
    waiting: usize,
}

struct Invocation {
    event: Value,
    timeout: Duration,
    stage: Stage,
    handed_out: Option<Instant>,
    finished: Option<Instant>,
    outcome: Option<Outcome>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stage {
    Queued,
    HandedOut,
    Finished,
    /// Handed out, never answered, and queued again under a new id.
    Retried,
}

impl LambdaApi {
    /// Starts the server for a function called `function_name`.
    pub fn start(function_name: &str) -> LambdaApi {
        let listener =
            TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1 for the Lambda API");
        let addr = listener.local_addr().expect("the Lambda API's address");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let shared = Arc::new(Shared {
            function_name: function_name.to_string(),
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            queued: tokio::sync::Notify::new(),
        });
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let server = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("lambda-api-{}", addr.port()))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a tokio runtime for the Lambda API");
                runtime.block_on(serve(listener, server, stopped));
                // Dropping the runtime drops every connection still open.
            })
            .expect("starting the Lambda API thread");
        LambdaApi {
            shared,
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `127.0.0.1:PORT`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// The environment Lambda gives a function: `AWS_LAMBDA_RUNTIME_API`,
    /// `AWS_LAMBDA_FUNCTION_NAME`, `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (512),
    /// `AWS_LAMBDA_FUNCTION_VERSION` (`$LATEST`), `AWS_LAMBDA_LOG_STREAM_NAME`,
    /// `AWS_LAMBDA_LOG_GROUP_NAME`.
    pub fn env(&self) -> Vec<(String, String)> {
        let name = &self.shared.function_name;
        [
            ("AWS_LAMBDA_RUNTIME_API", self.address()),
            ("AWS_LAMBDA_FUNCTION_NAME", name.clone()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512".to_string()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
            (
                "AWS_LAMBDA_LOG_STREAM_NAME",
                format!("2026/01/01/[$LATEST]{}", uuid::Uuid::new_v4().simple()),
            ),
            ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Queues an event; `timeout` is the function timeout (deadline = hand-out time + timeout).
    pub fn invoke(&self, event: Value, timeout: Duration) -> InvocationId {
        let id = new_request_id();
        let mut state = self.shared.lock();
        state.invocations.insert(
            id.clone(),
            Invocation {
                event,
                timeout,
                stage: Stage::Queued,
                handed_out: None,
                finished: None,
                outcome: None,
            },
        );
        state.queue.push_back(id.clone());
        drop(state);
        self.shared.queued.notify_waiters();
        self.shared.changed.notify_all();
        id
    }

    /// Waits until the invocation has a response or error (None on timeout).
    pub fn wait(&self, id: &str, timeout: Duration) -> Option<Outcome> {
        self.wait_for(timeout, |state| {
            state.invocations.get(id).and_then(|i| i.outcome.clone())
        })
    }

    /// Waits until a runtime has fetched the invocation with `/next` (true) or timeout (false).
    pub fn wait_handed_out(&self, id: &str, timeout: Duration) -> bool {
        self.wait_for(timeout, |state| {
            state
                .invocations
                .get(id)
                .and_then(|i| i.handed_out)
                .map(|_| ())
        })
        .is_some()
    }

    /// Queues `event` and waits for its outcome: up to 30 s for a runtime to fetch it, then the
    /// function timeout and 5 s more for the answer. Panics, saying which wait ran out, on timeout.
    pub fn invoke_and_wait(&self, event: Value, timeout: Duration) -> Outcome {
        let id = self.invoke(event, timeout);
        if !self.wait_handed_out(&id, HAND_OUT_GRACE) {
            panic!(
                "no runtime fetched invocation {id} from the Lambda API at {} within {HAND_OUT_GRACE:?} \
                 (is the function running with LambdaApi::env()?); init errors: {:?}",
                self.address(),
                self.init_errors()
            );
        }
        match self.wait(&id, timeout + ANSWER_SLACK) {
            Some(outcome) => outcome,
            None => panic!(
                "invocation {id} was handed out but the runtime posted no response or error \
                 within its timeout {timeout:?} (+{ANSWER_SLACK:?})"
            ),
        }
    }

    /// Time between hand-out and response/error, when known.
    pub fn duration(&self, id: &str) -> Option<Duration> {
        let state = self.shared.lock();
        let invocation = state.invocations.get(id)?;
        Some(invocation.finished?.duration_since(invocation.handed_out?))
    }

    /// Puts an invocation that was handed out but never answered (its process was killed) back
    /// at the front of the queue, as Lambda's retry would, with a new request id; returns it.
    /// Panics if the invocation is unknown or not in that state (a mistake in the test).
    pub fn retry(&self, id: &str) -> InvocationId {
        let new_id = new_request_id();
        let mut state = self.shared.lock();
        let old = state
            .invocations
            .get_mut(id)
            .unwrap_or_else(|| panic!("retry: no invocation {id}"));
        assert_eq!(
            old.stage,
            Stage::HandedOut,
            "retry: invocation {id} must be handed out and unanswered"
        );
        old.stage = Stage::Retried;
        let again = Invocation {
            event: old.event.clone(),
            timeout: old.timeout,
            stage: Stage::Queued,
            handed_out: None,
            finished: None,
            outcome: None,
        };
        state.invocations.insert(new_id.clone(), again);
        state.queue.push_front(new_id.clone());
        drop(state);
        self.shared.queued.notify_waiters();
        self.shared.changed.notify_all();
        new_id
    }

    /// The bodies posted to `/runtime/init/error`, oldest first.
    pub fn init_errors(&self) -> Vec<Value> {
        self.shared.lock().init_errors.clone()
    }

    /// How many `/next` requests are waiting right now (a runtime idle between invocations).
    pub fn waiting_runtimes(&self) -> usize {
        self.shared.lock().waiting
    }

    /// Waits until `ready` returns something, or `timeout` passes.
    fn wait_for<T>(
        &self,
        timeout: Duration,
        mut ready: impl FnMut(&State) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        loop {
            if let Some(found) = ready(&state) {
                return Some(found);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            state = self
                .shared
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

impl Drop for LambdaApi {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Shared {
    /// The state, also after a panic elsewhere (a failed test must not hide behind poisoning).
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn arn(&self) -> String {
        format!(
            "arn:aws:lambda:{REGION}:{ACCOUNT}:function:{}",
            self.function_name
        )
    }
}

/// A request id in Lambda's form (a UUID).
fn new_request_id() -> InvocationId {
    uuid::Uuid::new_v4().to_string()
}

/// An X-Ray trace header in Lambda's form.
fn new_trace_id() -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    let parent = uuid::Uuid::new_v4().simple().to_string();
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    format!(
        "Root=1-{seconds:08x}-{};Parent={};Sampled=0",
        &random[..24],
        &parent[..16]
    )
}

fn epoch_millis(at: SystemTime) -> u128 {
    at.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
}

/// Accepts connections until `stopped` fires.
async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let listener =
        tokio::net::TcpListener::from_std(listener).expect("registering the Lambda API listener");
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| handle(shared.clone(), req));
                    // Errors are the client's (a runtime killed mid-request): nothing to do.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}

type Reply = Response<Full<Bytes>>;

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Reply, Infallible> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let Some(route) = path.strip_prefix("/2018-06-01/runtime/") else {
        return Ok(not_found(&path));
    };
    let parts: Vec<&str> = route.split('/').collect();
    Ok(match (&method, parts.as_slice()) {
        (&Method::GET, ["invocation", "next"]) => next(&shared).await,
        (&Method::POST, ["invocation", id, "response"]) => {
            let id = id.to_string();
            match read_body(req).await {
                Ok(body) => respond(&shared, &id, body),
                Err(reply) => reply,
            }
        }
        (&Method::POST, ["invocation", id, "error"]) => {
            let id = id.to_string();
            let error_type = header(&req, "lambda-runtime-function-error-type");
            match read_body(req).await {
                Ok(body) => fail(&shared, &id, error_type, body),
                Err(reply) => reply,
            }
        }
        (&Method::POST, ["init", "error"]) => match read_body(req).await {
            Ok(body) => {
                shared.lock().init_errors.push(json_or_text(&body));
                shared.changed.notify_all();
                accepted()
            }
            Err(reply) => reply,
        },
        (
            _,
            ["invocation", "next"] | ["invocation", _, "response" | "error"] | ["init", "error"],
        ) => reply(
            StatusCode::METHOD_NOT_ALLOWED,
            error_json(
                "MethodNotAllowed",
                &format!("{method} is not allowed on {path}"),
            ),
        ),
        _ => not_found(&path),
    })
}

/// Counts a `/next` request as a waiting runtime for as long as it waits, also when hyper drops
/// it because the runtime disconnected.
struct Waiting<'a>(&'a Shared);

impl<'a> Waiting<'a> {
    fn new(shared: &'a Shared) -> Self {
        shared.lock().waiting += 1;
        shared.changed.notify_all();
        Waiting(shared)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.lock().waiting -= 1;
        self.0.changed.notify_all();
    }
}

/// `GET /invocation/next`: waits for an invocation and hands it out.
async fn next(shared: &Shared) -> Reply {
    let _waiting = Waiting::new(shared);
    loop {
        // Created before looking at the queue, so an `invoke` in between still wakes it.
        let queued = shared.queued.notified();
        if let Some(reply) = hand_out(shared) {
            return reply;
        }
        queued.await;
    }
}

fn hand_out(shared: &Shared) -> Option<Reply> {
    let mut state = shared.lock();
    let id = state.queue.pop_front()?;
    let invocation = state
        .invocations
        .get_mut(&id)
        .expect("a queued invocation is recorded");
    let now = SystemTime::now();
    invocation.stage = Stage::HandedOut;
    invocation.handed_out = Some(Instant::now());
    let deadline = epoch_millis(now) + invocation.timeout.as_millis();
    let body = serde_json::to_vec(&invocation.event).expect("a JSON value serialises");
    drop(state);
    shared.changed.notify_all();
    Some(
        Response::builder()
            .status(StatusCode::OK)
            .header("Content-Type", "application/json")
            .header("Lambda-Runtime-Aws-Request-Id", &id)
            .header("Lambda-Runtime-Deadline-Ms", deadline.to_string())
            .header("Lambda-Runtime-Invoked-Function-Arn", shared.arn())
            .header("Lambda-Runtime-Trace-Id", new_trace_id())
            .body(Full::new(Bytes::from(body)))
            .expect("a valid response"),
    )
}

/// `POST /invocation/{id}/response`.
fn respond(shared: &Shared, id: &str, body: Bytes) -> Reply {
    if body.len() > MAX_RESPONSE_BYTES {
        let message = format!(
            "Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."
        );
        let outcome = Outcome::Error {
            error_type: "Function.ResponseSizeTooLarge".to_string(),
            body: json!({ "errorType": "Function.ResponseSizeTooLarge", "errorMessage": message }),
        };
        return match finish(shared, id, outcome) {
            Ok(()) => reply(
                StatusCode::PAYLOAD_TOO_LARGE,
                error_json(
                    "RequestEntityTooLarge",
                    &format!("Exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."),
                ),
            ),
            Err(refusal) => refusal.reply(id),
        };
    }
    match finish(shared, id, Outcome::Response(json_or_text(&body))) {
        Ok(()) => accepted(),
        Err(refusal) => refusal.reply(id),
    }
}

/// `POST /invocation/{id}/error`.
fn fail(shared: &Shared, id: &str, error_type: Option<String>, body: Bytes) -> Reply {
    let outcome = Outcome::Error {
        error_type: error_type.unwrap_or_else(|| "Unhandled".to_string()),
        body: json_or_text(&body),
    };
    match finish(shared, id, outcome) {
        Ok(()) => accepted(),
        Err(refusal) => refusal.reply(id),
    }
}

/// Why an answer for an invocation was refused.
enum Refusal {
    /// Never handed out, given up for a retry, or never seen: not an id the runtime may answer.
    InvalidRequestId,
    /// Answered already.
    Answered,
}

impl Refusal {
    fn reply(&self, id: &str) -> Reply {
        match self {
            Refusal::InvalidRequestId => reply(
                StatusCode::BAD_REQUEST,
                error_json("InvalidRequestID", "Invalid request ID"),
            ),
            Refusal::Answered => reply(
                StatusCode::FORBIDDEN,
                error_json(
                    "InvalidStateTransition",
                    &format!("Invocation {id} has already been answered"),
                ),
            ),
        }
    }
}

/// Records the outcome of a handed-out invocation.
fn finish(shared: &Shared, id: &str, outcome: Outcome) -> Result<(), Refusal> {
    let mut state = shared.lock();
    let invocation = state
        .invocations
        .get_mut(id)
        .ok_or(Refusal::InvalidRequestId)?;
    match invocation.stage {
        Stage::HandedOut => {}
        Stage::Finished => return Err(Refusal::Answered),
        Stage::Queued | Stage::Retried => return Err(Refusal::InvalidRequestId),
    }
    invocation.stage = Stage::Finished;
    invocation.finished = Some(Instant::now());
    invocation.outcome = Some(outcome);
    drop(state);
    shared.changed.notify_all();
    Ok(())
}

async fn read_body(req: Request<Incoming>) -> Result<Bytes, Reply> {
    match req.into_body().collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) => Err(reply(
            StatusCode::BAD_REQUEST,
            error_json("InvalidRequest", &format!("reading the request body: {e}")),
        )),
    }
}

fn header(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The body as JSON, or as a JSON string of its text when it is not JSON.
fn json_or_text(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

fn error_json(error_type: &str, message: &str) -> Value {
    json!({ "errorType": error_type, "errorMessage": message })
}

fn accepted() -> Reply {
    reply(StatusCode::ACCEPTED, json!({ "status": "OK" }))
}

fn not_found(path: &str) -> Reply {
    reply(
        StatusCode::NOT_FOUND,
        error_json("NotFound", &format!("No route for {path}")),
    )
}

fn reply(status: StatusCode, body: Value) -> Reply {
    Response::builder()
        .status(status)
        .header("Content-Type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a valid response")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{Shutdown, TcpStream};
    use std::thread;

    const SHORT: Duration = Duration::from_secs(2);

    /// A parsed HTTP response: status, headers (names lower-cased) and body.
    struct Http {
        status: u16,
        headers: HashMap<String, String>,
        body: String,
    }

    impl Http {
        fn header(&self, name: &str) -> &str {
            self.headers
                .get(name)
                .unwrap_or_else(|| panic!("no header {name} in {:?}", self.headers))
        }

        fn json(&self) -> Value {
            serde_json::from_str(&self.body).expect("a JSON body")
        }
    }

    /// Sends one HTTP/1.1 request on a fresh connection and reads the whole answer.
    fn request(
        api: &LambdaApi,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Http {
        let mut stream = TcpStream::connect(api.address()).expect("connecting to the Lambda API");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            api.address(),
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("reading the answer");
        parse(&raw)
    }

    fn parse(raw: &[u8]) -> Http {
        let text = String::from_utf8(raw.to_vec()).expect("a UTF-8 answer");
        let (head, body) = text.split_once("\r\n\r\n").expect("a complete answer");
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .map(|l| {
                let (k, v) = l.split_once(':').unwrap();
                (k.trim().to_ascii_lowercase(), v.trim().to_string())
            })
            .collect();
        Http {
            status,
            headers,
            body: body.to_string(),
        }
    }

    fn next(api: &LambdaApi) -> Http {
        request(api, "GET", "/2018-06-01/runtime/invocation/next", &[], b"")
    }

    fn post(api: &LambdaApi, path: &str, headers: &[(&str, &str)], body: &str) -> Http {
        request(api, "POST", path, headers, body.as_bytes())
    }

    fn wait_waiting(api: &LambdaApi, count: usize) {
        let deadline = Instant::now() + SHORT;
        while api.waiting_runtimes() != count {
            assert!(
                Instant::now() < deadline,
                "waiting runtimes never became {count}"
            );
            thread::sleep(Duration::from_millis(2));
        }
    }

    #[test]
    fn next_waits_for_an_invocation_and_hands_it_out_with_lambda_headers() {
        let api = LambdaApi::start("wharf");
        thread::scope(|s| {
            let runtime = s.spawn(|| next(&api));
            wait_waiting(&api, 1);
            assert!(!runtime.is_finished(), "/next answered with nothing queued");

            let before = epoch_millis(SystemTime::now());
            let id = api.invoke(json!({"run": "orders"}), Duration::from_secs(3));
            let got = runtime.join().unwrap();
            let after = epoch_millis(SystemTime::now());

            assert_eq!(got.status, 200);
            assert_eq!(got.json(), json!({"run": "orders"}));
            assert_eq!(got.header("lambda-runtime-aws-request-id"), id);
            let deadline: u128 = got.header("lambda-runtime-deadline-ms").parse().unwrap();
            assert!(
                (before + 3000..=after + 3000).contains(&deadline),
                "deadline {deadline} not within [{before}, {after}] + 3000"
            );
            assert_eq!(
                got.header("lambda-runtime-invoked-function-arn"),
                "arn:aws:lambda:eu-west-1:123456789012:function:wharf"
            );
            assert!(got.header("lambda-runtime-trace-id").starts_with("Root=1-"));
            assert!(api.wait_handed_out(&id, SHORT));
            assert_eq!(api.waiting_runtimes(), 0);
        });
    }

    #[test]
    fn responses_and_errors_are_recorded_once() {
        let api = LambdaApi::start("wharf");
        let ok = api.invoke(json!(1), SHORT);
        let bad = api.invoke(json!(2), SHORT);
        let text = api.invoke(json!(3), SHORT);
        assert_eq!(api.wait(&ok, Duration::from_millis(10)), None);
        assert_eq!(api.duration(&ok), None);

        let id = next(&api)
            .header("lambda-runtime-aws-request-id")
            .to_string();
        assert_eq!(id, ok);
        let path = format!("/2018-06-01/runtime/invocation/{id}/response");
        let answer = post(&api, &path, &[], r#"{"status":"done"}"#);
        assert_eq!(answer.status, 202);
        assert_eq!(
            api.wait(&ok, SHORT),
            Some(Outcome::Response(json!({"status": "done"})))
        );
        assert!(api.duration(&ok).is_some());
        let again = post(&api, &path, &[], "{}");
        assert_eq!(again.status, 403);
        assert_eq!(again.json()["errorType"], "InvalidStateTransition");

        let id = next(&api)
            .header("lambda-runtime-aws-request-id")
            .to_string();
        assert_eq!(id, bad);
        let error = r#"{"errorType":"TaskFailed","errorMessage":"boom"}"#;
        let answer = post(
            &api,
            &format!("/2018-06-01/runtime/invocation/{id}/error"),
            &[("Lambda-Runtime-Function-Error-Type", "unhandled")],
            error,
        );
        assert_eq!(answer.status, 202);
        assert_eq!(
            api.wait(&bad, SHORT),
            Some(Outcome::Error {
                error_type: "unhandled".to_string(),
                body: json!({"errorType": "TaskFailed", "errorMessage": "boom"}),
            })
        );

        let id = next(&api)
            .header("lambda-runtime-aws-request-id")
            .to_string();
        post(
            &api,
            &format!("/2018-06-01/runtime/invocation/{id}/response"),
            &[],
            "plain",
        );
        assert_eq!(
            api.wait(&text, SHORT),
            Some(Outcome::Response(json!("plain")))
        );
    }

    #[test]
    fn unknown_request_ids_and_paths_are_refused() {
        let api = LambdaApi::start("wharf");
        let queued = api.invoke(json!({}), SHORT);
        for id in ["no-such-id", queued.as_str()] {
            let answer = post(
                &api,
                &format!("/2018-06-01/runtime/invocation/{id}/response"),
                &[],
                "{}",
            );
            assert_eq!(answer.status, 400);
            assert_eq!(
                answer.json(),
                json!({"errorType": "InvalidRequestID", "errorMessage": "Invalid request ID"})
            );
        }
        assert_eq!(
            post(&api, "/2018-06-01/runtime/whatever", &[], "").status,
            404
        );
        assert_eq!(request(&api, "GET", "/", &[], b"").status, 404);
        assert_eq!(
            post(&api, "/2018-06-01/runtime/invocation/next", &[], "").status,
            405
        );
        assert_eq!(api.wait(&queued, Duration::from_millis(10)), None);
    }

    #[test]
    fn init_errors_are_recorded() {
        let api = LambdaApi::start("wharf");
        let answer = post(
            &api,
            "/2018-06-01/runtime/init/error",
            &[("Lambda-Runtime-Function-Error-Type", "Runtime.InitError")],
            r#"{"errorType":"Config","errorMessage":"no bucket"}"#,
        );
        assert_eq!(answer.status, 202);
        assert_eq!(
            api.init_errors(),
            vec![json!({"errorType": "Config", "errorMessage": "no bucket"})]
        );
    }

    #[test]
    fn retry_queues_the_event_first_under_a_new_id() {
        let api = LambdaApi::start("wharf");
        let first = api.invoke(json!("a"), SHORT);
        let second = api.invoke(json!("b"), SHORT);
        assert_eq!(next(&api).header("lambda-runtime-aws-request-id"), first);

        let retried = api.retry(&first);
        assert_ne!(retried, first);
        let got = next(&api);
        assert_eq!(got.header("lambda-runtime-aws-request-id"), retried);
        assert_eq!(got.json(), json!("a"));
        assert_eq!(next(&api).header("lambda-runtime-aws-request-id"), second);

        // The killed runtime's id is no longer one to answer.
        let late = post(
            &api,
            &format!("/2018-06-01/runtime/invocation/{first}/response"),
            &[],
            "{}",
        );
        assert_eq!(late.status, 400);
        post(
            &api,
            &format!("/2018-06-01/runtime/invocation/{retried}/response"),
            &[],
            "1",
        );
        assert_eq!(api.wait(&retried, SHORT), Some(Outcome::Response(json!(1))));
    }

    #[test]
    fn a_second_next_waits_for_the_next_event() {
        let api = LambdaApi::start("wharf");
        let first = api.invoke(json!(1), SHORT);
        assert_eq!(next(&api).header("lambda-runtime-aws-request-id"), first);
        thread::scope(|s| {
            let runtime = s.spawn(|| next(&api));
            wait_waiting(&api, 1);
            assert!(
                !runtime.is_finished(),
                "a second /next answered with nothing queued"
            );
            let second = api.invoke(json!(2), SHORT);
            let got = runtime.join().unwrap();
            assert_eq!(got.header("lambda-runtime-aws-request-id"), second);
            assert_eq!(got.json(), json!(2));
        });
    }

    #[test]
    fn a_runtime_that_disconnects_while_waiting_gets_no_event() {
        let api = LambdaApi::start("wharf");
        let stream = TcpStream::connect(api.address()).unwrap();
        (&stream)
            .write_all(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        wait_waiting(&api, 1);
        stream.shutdown(Shutdown::Both).unwrap();
        drop(stream);
        wait_waiting(&api, 0);

        let id = api.invoke(json!("kept"), SHORT);
        assert!(!api.wait_handed_out(&id, Duration::from_millis(20)));
        assert_eq!(next(&api).header("lambda-runtime-aws-request-id"), id);
    }

    #[test]
    fn an_oversized_response_fails_the_invocation() {
        let api = LambdaApi::start("wharf");
        let id = api.invoke(json!({}), SHORT);
        next(&api);
        let big = format!("\"{}\"", "x".repeat(MAX_RESPONSE_BYTES));
        let answer = post(
            &api,
            &format!("/2018-06-01/runtime/invocation/{id}/response"),
            &[],
            &big,
        );
        assert_eq!(answer.status, 413);
        match api.wait(&id, SHORT) {
            Some(Outcome::Error { error_type, .. }) => {
                assert_eq!(error_type, "Function.ResponseSizeTooLarge")
            }
            other => panic!("expected a size error, got {other:?}"),
        }
    }

    #[test]
    fn invoke_and_wait_returns_the_outcome_and_env_names_the_api() {
        let api = LambdaApi::start("wharf-fn");
        let env: HashMap<String, String> = api.env().into_iter().collect();
        assert_eq!(env["AWS_LAMBDA_RUNTIME_API"], api.address());
        assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "wharf-fn");
        assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "512");
        assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
        assert_eq!(env["AWS_LAMBDA_LOG_GROUP_NAME"], "/aws/lambda/wharf-fn");
        assert!(env.contains_key("AWS_LAMBDA_LOG_STREAM_NAME"));

        thread::scope(|s| {
            s.spawn(|| {
                let got = next(&api);
                let id = got.header("lambda-runtime-aws-request-id");
                post(
                    &api,
                    &format!("/2018-06-01/runtime/invocation/{id}/response"),
                    &[],
                    &got.body,
                );
            });
            let outcome = api.invoke_and_wait(json!({"echo": true}), SHORT);
            assert_eq!(outcome, Outcome::Response(json!({"echo": true})));
        });
    }
}
