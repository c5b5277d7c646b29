//! One connection's client: requests within its policy, credentials added by the host, bodies
//! streamed from and to files, retries of transient trouble with backoff and jitter.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use url::Url;
use wharf_engine::storage::start_writeback;
use wharf_sftp::temp_beside;

use crate::connections::{Auth, HttpConnection};
use crate::lwa::LwaFlow;
use crate::magento::MagentoAdminToken;
use crate::policy::{Policy, PolicyResolver, Refused};
use crate::throttle::Throttle;
use crate::tokens::{TokenCache, TokenError, TokenFlow};

/// The first bytes of a body kept for the task (messages, small answers).
pub const BODY_START_BYTES: usize = 64 * 1024;
/// Input files up to this size are read whole on the task's thread before the request: one
/// read instead of a file streamed through the runtime's blocking pool (several thread hops
/// per request, most of the time of a small POST).
pub const SMALL_BODY_BYTES: u64 = 256 * 1024;
/// How much of a response body is gathered before it is written to its file.
const WRITE_BUFFER_BYTES: usize = 1 << 20;
/// A response file's written bytes are sent on to the disk (without waiting) every this many
/// bytes, so that the sync that makes a finished download durable waits for the last few MiB
/// instead of the whole body.
const WRITEBACK_BYTES: u64 = 8 << 20;
/// Body chunks waiting for the writer at most (hyper's chunks are at most ~400 KiB, so the
/// queue holds a few MiB, keeping a download's memory flat).
const WRITE_QUEUE_CHUNKS: usize = 16;
/// Redirects followed at most, when a connection allows same-origin redirects.
const MAX_REDIRECTS: usize = 5;
/// First retry waits about this long, doubling per retry (with jitter) up to [`MAX_BACKOFF`].
const BASE_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Why a request got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    NotPermitted,
    Connection,
    Timeout,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct HttpFailure {
    pub kind: FailureKind,
    pub message: String,
}

impl HttpFailure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        HttpFailure {
            kind,
            message: message.into(),
        }
    }
}

/// What a request sends.
#[derive(Debug, Clone)]
pub enum RequestBody {
    None,
    Text(String),
    /// A file on the host (already checked to be inside the working directory), streamed.
    File(PathBuf),
    /// A small file's bytes, read whole before the request (see [`SMALL_BODY_BYTES`]).
    Bytes(Vec<u8>),
    Form(Vec<(String, String)>),
}

/// A task's request, its local paths already mapped into the working directory.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: RequestBody,
    pub output: Option<PathBuf>,
    pub timeout: Option<Duration>,
    pub retries: Option<u32>,
}

/// The answer to a request (any status).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body_length: u64,
    pub body_start: Vec<u8>,
    pub url: String,
}

/// Charged with every chunk a response writes locally (the task's write budget).
pub type Charge = Arc<dyn Fn(u64) -> Result<(), String> + Send + Sync>;

/// What one task call may spend: requests, written bytes and time.
#[derive(Clone)]
pub struct CallLimits {
    pub charge: Charge,
    /// Requests (attempts) made so far by the task call.
    pub requests: Arc<AtomicU64>,
    /// The task's own time limit: no attempt or wait runs past it.
    pub deadline: Instant,
}

/// The client of one named connection, shared by every task of a runtime.
pub struct HttpClient {
    name: String,
    connection: HttpConnection,
    policy: Arc<Policy>,
    client: reqwest::Client,
    /// The token of a connection whose auth is a token flow (Magento admin login, LWA),
    /// minted, cached and renewed by the host ([`crate::tokens`]).
    tokens: Option<TokenCache>,
    /// Paces operations the server throttled (`x-amzn-RateLimit-Limit`).
    throttle: Throttle,
}

impl HttpClient {
    pub fn new(name: &str, connection: HttpConnection) -> Result<Self, String> {
        let policy = Arc::new(Policy::new(&connection));
        let redirect_policy = policy.clone();
        let follow = connection.same_origin_redirects;
        let client = transport(
            name,
            &connection,
            speaks_tls(&connection.base_url, &connection),
        )?
        .dns_resolver(Arc::new(PolicyResolver(policy.clone())))
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            if !follow {
                // Zynk's rule: a redirect is the answer, not followed.
                return attempt.stop();
            }
            if let Err(refused) = redirect_policy.same_origin(attempt.url()) {
                let refused = Refused(format!("a redirect to {refused}"));
                return attempt.error(refused);
            }
            if attempt.previous().len() > MAX_REDIRECTS {
                return attempt.error(Refused(format!("more than {MAX_REDIRECTS} redirects")));
            }
            attempt.follow()
        }))
        .build()
        .map_err(|e| format!("http connection `{name}`: {}", chain(&e)))?;
        let flow: Option<Box<dyn TokenFlow>> = match &connection.auth {
            Auth::Lwa(settings) => Some(Box::new(LwaFlow::new(settings.clone()))),
            Auth::MagentoAdmin(settings) => {
                Some(Box::new(MagentoAdminToken::new(settings.clone())))
            }
            Auth::None | Auth::Basic { .. } | Auth::Bearer(_) | Auth::Header { .. } => None,
        };
        let tokens = match flow {
            // The token endpoint is the connection's own setting, outside the tasks' policy;
            // a redirect from it is an answer, not followed.
            Some(flow) => {
                let endpoint = match &connection.auth {
                    Auth::Lwa(settings) => &settings.token_url,
                    // The admin token is minted on the connection's own origin.
                    _ => &connection.base_url,
                };
                let exchange = transport(name, &connection, speaks_tls(endpoint, &connection))?
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|e| format!("http connection `{name}`: {}", chain(&e)))?;
                Some(TokenCache::new(flow, exchange))
            }
            None => None,
        };
        Ok(HttpClient {
            name: name.to_owned(),
            connection,
            policy,
            client,
            tokens,
            throttle: Throttle::default(),
        })
    }

    pub fn base_url(&self) -> &Url {
        self.policy.base()
    }

    /// The connection's name in the connections file.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sends `request`, retrying transient trouble, and returns the final answer.
    pub async fn send(
        &self,
        request: Outgoing,
        limits: &CallLimits,
    ) -> Result<Answer, HttpFailure> {
        let url = self.policy.resolve(&request.url).map_err(|r| {
            self.failure(
                FailureKind::NotPermitted,
                &request.method,
                &request.url,
                r.0,
            )
        })?;
        let method = Method::from_bytes(request.method.trim().to_ascii_uppercase().as_bytes())
            .map_err(|_| {
                self.failure(
                    FailureKind::Failed,
                    &request.method,
                    url.as_str(),
                    "not an HTTP method",
                )
            })?;
        let context = |cause: String| format!("{method} {url} (http `{}`): {cause}", self.name);
        let headers = self
            .task_headers(&request.headers)
            .map_err(|(kind, cause)| HttpFailure::new(kind, context(cause)))?;
        let retries = request
            .retries
            .map_or(self.connection.retries, |r| r.min(self.connection.retries));
        let timeout = request.timeout.map_or(self.connection.timeout(), |t| {
            t.min(self.connection.timeout())
        });
        let operation = Throttle::operation(&method, &url);
        let mut attempt = 0u32;
        let mut throttled = 0u32;
        let mut renewed = false;
        loop {
            let remaining = limits.deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(HttpFailure::new(
                    FailureKind::Timeout,
                    context("the task's time limit ran out".into()),
                ));
            }
            self.throttle.wait_turn(&operation, remaining).await;
            let remaining = limits.deadline.saturating_duration_since(Instant::now());
            let used = limits.requests.fetch_add(1, Ordering::Relaxed);
            if used >= self.connection.max_requests {
                return Err(HttpFailure::new(
                    FailureKind::NotPermitted,
                    context(format!(
                        "the task's request budget of {} requests (`max-requests`) is spent",
                        self.connection.max_requests
                    )),
                ));
            }
            let credential = match self.credential(&url).await {
                Ok(credential) => credential,
                // The token endpoint could not be reached or was busy (a 429 at login): as for
                // the request itself, wait and try again while retries last.
                Err(Trouble::Transient(cause) | Trouble::TimedOut(cause)) if attempt < retries => {
                    let wait = backoff(attempt);
                    if wait >= limits.deadline.saturating_duration_since(Instant::now()) {
                        return Err(HttpFailure::new(FailureKind::Connection, context(cause)));
                    }
                    tracing::info!(
                        connection = %self.name, %method, %url, attempt = attempt + 1,
                        wait_ms = wait.as_millis() as u64, "retrying: {cause}"
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                    continue;
                }
                Err(trouble) => return Err(trouble.into_failure(&context)),
            };
            let outcome = self
                .attempt(
                    &method,
                    &url,
                    &with_credential(&headers, &credential),
                    &request,
                    timeout.min(remaining),
                    limits,
                )
                .await;
            // A token the server refuses (expired, revoked) is minted again once; a second
            // refusal is the answer.
            if let (Ok(Attempted::Answered(answer)), Some(tokens), Some((_, value))) =
                (&outcome, &self.tokens, &credential)
                && tokens.flow().refused(answer.status)
                && !renewed
            {
                tokens.forget(value.to_str().unwrap_or_default()).await;
                renewed = true;
                tracing::info!(
                    connection = %self.name, %method, %url, status = answer.status,
                    "{} was refused; minting it again", tokens.flow().describe()
                );
                continue;
            }
            // Throttling is not failure: a 429 is retried while the task has time, at the pace
            // the server names, without spending the connection's retries.
            if let Ok(Attempted::Retryable(response)) = &outcome
                && response.status() == StatusCode::TOO_MANY_REQUESTS
            {
                let asked = wait_asked(response.headers());
                self.throttle
                    .throttled(&operation, rate_limit(response.headers()));
                let wait = asked.unwrap_or_else(|| backoff(throttled));
                let remaining = limits.deadline.saturating_duration_since(Instant::now());
                if wait < remaining {
                    tracing::info!(
                        connection = %self.name, %method, %url, throttled = throttled + 1,
                        wait_ms = wait.as_millis() as u64, "throttled (429); waiting"
                    );
                    drop(outcome);
                    tokio::time::sleep(wait).await;
                    throttled += 1;
                    continue;
                }
            }
            let retry_after = match &outcome {
                Ok(Attempted::Retryable(response)) => Some(wait_asked(response.headers())),
                Err(Trouble::Transient(_) | Trouble::TimedOut(_)) => Some(None),
                _ => None,
            };
            let can_retry = attempt < retries;
            if let (Some(asked), true) = (retry_after, can_retry) {
                let wait = asked.unwrap_or_else(|| backoff(attempt));
                let remaining = limits.deadline.saturating_duration_since(Instant::now());
                if wait < remaining {
                    let why = match &outcome {
                        Ok(Attempted::Retryable(r)) => format!("status {}", r.status()),
                        Err(Trouble::Transient(cause) | Trouble::TimedOut(cause)) => cause.clone(),
                        _ => String::new(),
                    };
                    tracing::info!(
                        connection = %self.name, %method, %url, attempt = attempt + 1,
                        wait_ms = wait.as_millis() as u64, "retrying: {why}"
                    );
                    drop(outcome);
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                    continue;
                }
            }
            return match outcome {
                Ok(Attempted::Answered(answer)) => Ok(answer),
                Ok(Attempted::Retryable(response)) => self
                    .receive(response, &request, limits)
                    .await
                    .map_err(|t| t.into_failure(&context)),
                Err(trouble) => {
                    let mut failure = trouble.into_failure(&context);
                    if attempt > 0 {
                        failure
                            .message
                            .push_str(&format!(" (after {attempt} retries)"));
                    }
                    Err(failure)
                }
            };
        }
    }

    /// One attempt: the answer, a 429/503 worth retrying (body unread), or trouble.
    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        headers: &HeaderMap,
        request: &Outgoing,
        timeout: Duration,
        limits: &CallLimits,
    ) -> Result<Attempted, Trouble> {
        let mut builder = self
            .client
            .request(method.clone(), url.clone())
            .headers(headers.clone())
            .timeout(timeout);
        builder = match &request.body {
            RequestBody::None => builder,
            RequestBody::Text(text) => builder.body(text.clone()),
            RequestBody::Bytes(bytes) => builder.body(bytes.clone()),
            RequestBody::Form(values) => builder.form(values),
            RequestBody::File(path) => {
                let file = tokio::fs::File::open(path).await.map_err(|e| {
                    Trouble::Final(
                        FailureKind::Failed,
                        format!("cannot read the input file: {e}"),
                    )
                })?;
                let length = file.metadata().await.map(|m| m.len()).map_err(|e| {
                    Trouble::Final(
                        FailureKind::Failed,
                        format!("cannot read the input file: {e}"),
                    )
                })?;
                builder
                    .header(reqwest::header::CONTENT_LENGTH, length)
                    .body(reqwest::Body::from(file))
            }
        };
        let response = builder.send().await.map_err(trouble)?;
        let status = response.status();
        if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE {
            return Ok(Attempted::Retryable(response));
        }
        self.receive(response, request, limits)
            .await
            .map(Attempted::Answered)
    }

    /// Reads the body: into the output file (through a temporary name), else its start only.
    async fn receive(
        &self,
        mut response: reqwest::Response,
        request: &Outgoing,
        limits: &CallLimits,
    ) -> Result<Answer, Trouble> {
        let status = response.status().as_u16();
        let url = response.url().to_string();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body_start = Vec::new();
        let mut body_length = 0u64;
        let Some(output) = &request.output else {
            while body_start.len() < BODY_START_BYTES {
                match response.chunk().await.map_err(trouble)? {
                    Some(chunk) => {
                        let keep = chunk.len().min(BODY_START_BYTES - body_start.len());
                        body_start.extend_from_slice(&chunk[..keep]);
                        body_length += keep as u64;
                    }
                    None => break,
                }
            }
            return Ok(Answer {
                status,
                headers,
                body_length,
                body_start,
                url,
            });
        };
        let temp = temp_beside(output);
        let durable = !is_temporary(output);
        // The file is written on a blocking thread while the body goes on arriving: receiving
        // and writing overlap, and the runtime's thread never waits on the disk.
        let (pieces, received) = tokio::sync::mpsc::channel(WRITE_QUEUE_CHUNKS);
        let writer = tokio::task::spawn_blocking({
            let (temp, output) = (temp.clone(), output.clone());
            move || write_body(&temp, &output, durable, received)
        });
        let arrived: Result<(), Trouble> = async {
            while let Some(chunk) = response.chunk().await.map_err(trouble)? {
                (limits.charge)(chunk.len() as u64).map_err(Trouble::OverBudget)?;
                let keep = chunk.len().min(BODY_START_BYTES - body_start.len());
                body_start.extend_from_slice(&chunk[..keep]);
                body_length += chunk.len() as u64;
                if pieces.send(Piece::Chunk(chunk)).await.is_err() {
                    // The writer stopped: its error says why.
                    return Ok(());
                }
            }
            let _ = pieces.send(Piece::End).await;
            Ok(())
        }
        .await;
        // Without `End` the writer abandons the file and removes it.
        drop(pieces);
        let written = writer
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())));
        arrived?;
        written.map_err(|e| {
            Trouble::Final(
                FailureKind::Failed,
                format!("cannot write the output file: {e}"),
            )
        })?;
        Ok(Answer {
            status,
            headers,
            body_length,
            body_start,
            url,
        })
    }

    /// The task's headers; credentials and the host are the connection's own.
    fn task_headers(&self, given: &[(String, String)]) -> Result<HeaderMap, (FailureKind, String)> {
        let mut headers = HeaderMap::new();
        for (name, value) in given {
            let header = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
                (
                    FailureKind::Failed,
                    format!("header `{name}` is not a header name"),
                )
            })?;
            let reserved = matches!(
                header.as_str(),
                "authorization" | "proxy-authorization" | "host"
            ) || self
                .connection
                .auth
                .header_name()
                .is_some_and(|n| n.eq_ignore_ascii_case(header.as_str()));
            if reserved {
                return Err((
                    FailureKind::NotPermitted,
                    format!("header `{name}` is the connection's to set, not the task's"),
                ));
            }
            let value = HeaderValue::from_str(value).map_err(|_| {
                (
                    FailureKind::Failed,
                    format!(
                        "header `{name}` has a value that cannot be sent (control characters?)"
                    ),
                )
            })?;
            headers.append(header, value);
        }
        Ok(headers)
    }

    /// The credential header for a request to `url` (none off the connection's own origin),
    /// its secret read now (so a rotated secret takes effect).
    async fn credential(&self, url: &Url) -> Result<Option<(HeaderName, HeaderValue)>, Trouble> {
        if !self.policy.credentialed(url) {
            return Ok(None);
        }
        let secret_failure = |e: String| {
            Trouble::Final(
                FailureKind::Failed,
                format!("the connection's credential: {e}"),
            )
        };
        let (name, value) = match &self.connection.auth {
            Auth::None => return Ok(None),
            Auth::Basic { username, password } => {
                let password = password.read().map_err(secret_failure)?;
                use base64::Engine;
                let pair = format!("{username}:{}", password.expose());
                (
                    reqwest::header::AUTHORIZATION,
                    format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(pair)
                    ),
                )
            }
            Auth::Bearer(token) => {
                let token = token.read().map_err(secret_failure)?;
                (
                    reqwest::header::AUTHORIZATION,
                    format!("Bearer {}", token.expose()),
                )
            }
            Auth::Header { name, value } => {
                let value = value.read().map_err(secret_failure)?;
                let name = HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| secret_failure(format!("`{name}` is not a header name")))?;
                (name, value.expose().to_owned())
            }
            Auth::Lwa(_) | Auth::MagentoAdmin(_) => {
                let Some(tokens) = &self.tokens else {
                    return Err(secret_failure("the token cache is missing".into()));
                };
                let token = tokens
                    .token(self.policy.base())
                    .await
                    .map_err(|e| match e {
                        // The token endpoint may be down: worth another attempt.
                        TokenError::Unreachable(cause) => {
                            Trouble::Transient(format!("the connection's credential: {cause}"))
                        }
                        TokenError::Refused(cause) => secret_failure(cause),
                    })?;
                let flow = tokens.flow();
                (
                    HeaderName::from_static(flow.header_name()),
                    flow.header_value(&token),
                )
            }
        };
        // Never echo the value: it is the secret.
        let mut value = HeaderValue::from_str(&value).map_err(|_| {
            secret_failure("the secret holds characters a header cannot carry".into())
        })?;
        value.set_sensitive(true);
        Ok(Some((name, value)))
    }

    pub(crate) fn failure(
        &self,
        kind: FailureKind,
        method: &str,
        url: &str,
        cause: impl std::fmt::Display,
    ) -> HttpFailure {
        HttpFailure::new(
            kind,
            format!("{method} {url} (http `{}`): {cause}", self.name),
        )
    }
}

/// What the receiving side hands the writer of a response's file.
enum Piece {
    Chunk(bytes::Bytes),
    /// The whole body arrived: make the file durable and rename it into place.
    End,
}

/// Whether `path` names a Wharf temporary (`.<name>.wharf-partial`, the guest SDK's and the
/// host transfers' convention): a file the task reads back or renames into place itself.
fn is_temporary(path: &std::path::Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.') && n.ends_with(".wharf-partial"))
}

/// Writes the pieces of a body to `temp` and, once it has them all, renames it to `output`,
/// synced first when `durable`; abandoned (the sender gone before `End`) or failed, `temp` is
/// removed. A response written to a temporary name (the shop connectors' answers, read back
/// and removed at once) is not synced: it is nobody's finished file, and whoever renames a
/// temporary into place makes it durable then (as the guest SDK does). Syncing each answer
/// cost a disk flush per request.
fn write_body(
    temp: &std::path::Path,
    output: &std::path::Path,
    durable: bool,
    mut pieces: tokio::sync::mpsc::Receiver<Piece>,
) -> std::io::Result<()> {
    use std::io::Write;
    let written = (|| {
        // The output's folder is made as other tasks' outputs are (the path was checked to
        // stay inside the working directory through no symbolic link).
        if let Some(folder) = temp.parent() {
            std::fs::create_dir_all(folder)?;
        }
        // Buffered: the body arrives in small chunks.
        let mut sink =
            std::io::BufWriter::with_capacity(WRITE_BUFFER_BYTES, std::fs::File::create(temp)?);
        let mut unsent = 0u64;
        while let Some(piece) = pieces.blocking_recv() {
            match piece {
                Piece::Chunk(chunk) => {
                    sink.write_all(&chunk)?;
                    unsent += chunk.len() as u64;
                    if durable && unsent >= WRITEBACK_BYTES {
                        // The whole file, as Linux's writeback skips pages already written.
                        start_writeback(sink.get_ref(), 0, 0);
                        unsent = 0;
                    }
                }
                Piece::End => {
                    let file = sink.into_inner().map_err(|e| e.into_error())?;
                    if durable {
                        file.sync_all()?;
                    }
                    drop(file);
                    return std::fs::rename(temp, output).map(|()| true);
                }
            }
        }
        Ok(false)
    })();
    if !matches!(written, Ok(true)) {
        let _ = std::fs::remove_file(temp);
    }
    written.map(drop)
}

/// The task's headers and the connection's credential (a header tasks may not set themselves).
fn with_credential(
    headers: &HeaderMap,
    credential: &Option<(HeaderName, HeaderValue)>,
) -> HeaderMap {
    let mut headers = headers.clone();
    if let Some((name, value)) = credential {
        headers.insert(name.clone(), value.clone());
    }
    headers
}

/// A client builder with the connection's TLS roots, proxy and time limits.
/// Whether a client reaching `target` through `connection` may speak TLS: an `https` URL, an
/// `https` proxy, or an extra CA file (given for TLS). A client that never will is built
/// without the system's root certificates: loading them reads and parses every file of the
/// system's certificate folder, a few milliseconds of every run that uses a plain `http`
/// connection (twice with a token flow).
fn speaks_tls(target: &Url, connection: &HttpConnection) -> bool {
    let https = |url: &Url| url.scheme().eq_ignore_ascii_case("https");
    https(target)
        || connection.proxy.as_ref().is_some_and(https)
        || connection.extra_ca_file.is_some()
}

fn transport(
    name: &str,
    connection: &HttpConnection,
    tls: bool,
) -> Result<reqwest::ClientBuilder, String> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_native_certs(tls)
        .connect_timeout(connection.connect_timeout())
        .timeout(connection.timeout())
        .no_proxy();
    if let Some(proxy) = &connection.proxy {
        let proxy = reqwest::Proxy::all(proxy.as_str())
            .map_err(|e| format!("http connection `{name}`: `proxy`: {e}"))?;
        builder = builder.proxy(proxy);
    }
    if let Some(path) = &connection.extra_ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            format!(
                "http connection `{name}`: cannot read `extra-ca-file` {}: {e}",
                path.display()
            )
        })?;
        for cert in reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            format!(
                "http connection `{name}`: `extra-ca-file` {}: {e}",
                path.display()
            )
        })? {
            builder = builder.add_root_certificate(cert);
        }
    }
    Ok(builder)
}

enum Attempted {
    Answered(Answer),
    /// 429 or 503, body not read yet.
    Retryable(reqwest::Response),
}

enum Trouble {
    /// Worth another attempt: the network failed.
    Transient(String),
    /// Worth another attempt: no answer in time.
    TimedOut(String),
    /// Not worth another attempt.
    Final(FailureKind, String),
    /// The write budget is spent: the task ends.
    OverBudget(String),
}

impl Trouble {
    fn into_failure(self, context: &impl Fn(String) -> String) -> HttpFailure {
        match self {
            Trouble::Transient(cause) => HttpFailure::new(FailureKind::Connection, context(cause)),
            Trouble::TimedOut(cause) => HttpFailure::new(FailureKind::Timeout, context(cause)),
            Trouble::Final(kind, cause) => HttpFailure::new(kind, context(cause)),
            Trouble::OverBudget(limit) => HttpFailure {
                kind: FailureKind::Failed,
                message: format!("{OVER_BUDGET}{limit}"),
            },
        }
    }
}

/// Marks a failure that is the write budget, for the capability to end the task.
pub const OVER_BUDGET: &str = "over budget: ";

/// Classifies a client error: a policy refusal and a TLS refusal (an unknown or expired
/// certificate, a wrong name) are final, as another attempt meets the same certificate;
/// network trouble is transient.
fn trouble(e: reqwest::Error) -> Trouble {
    let mut source: Option<&dyn std::error::Error> = Some(&e);
    while let Some(s) = source {
        if let Some(refused) = s.downcast_ref::<Refused>() {
            return Trouble::Final(FailureKind::NotPermitted, format!("refused: {refused}"));
        }
        if tls_refusal(s).is_some() {
            return Trouble::Final(FailureKind::Connection, chain(&e));
        }
        source = s.source();
    }
    if e.is_timeout() {
        return Trouble::TimedOut(format!("no complete answer in time ({})", chain(&e)));
    }
    if e.is_builder() || e.is_redirect() {
        return Trouble::Final(FailureKind::Failed, chain(&e));
    }
    Trouble::Transient(chain(&e))
}

/// The TLS error behind `e`, if it is one. TLS streams report it as an `io::Error` wrapping
/// the `rustls::Error` (sometimes inside another `io::Error`), and `io::Error::source()` skips
/// the wrapped error itself: look inside.
fn tls_refusal<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current = e;
    loop {
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        current = current.downcast_ref::<std::io::Error>()?.get_ref()?;
    }
}

/// An error and its causes, without the URL (messages say it once, up front).
fn chain(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let top = match e.url() {
        Some(url) => e.to_string().replace(&format!(" for url ({url})"), ""),
        None => e.to_string(),
    };
    parts.push(top);
    while let Some(s) = source {
        let text = s.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// How long the server asked to wait: `Retry-After` (seconds or an HTTP date), or a shop's
/// rate-limit headers (`X-Rate-Limit-Time-Reset-Ms`; `x-amzn-RateLimit-Limit` requests per
/// second, waited out as one interval).
fn wait_asked(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(after) = text("retry-after") {
        if let Ok(seconds) = after.parse::<u64>() {
            return Some(Duration::from_secs(seconds));
        }
        if let Ok(at) = chrono::DateTime::parse_from_rfc2822(after) {
            let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
            return Some(wait.to_std().unwrap_or_default());
        }
    }
    if let Some(ms) = text("x-rate-limit-time-reset-ms").and_then(|v| v.parse::<u64>().ok()) {
        return Some(Duration::from_millis(ms));
    }
    if let Some(rate) = text("x-amzn-ratelimit-limit").and_then(|v| v.parse::<f64>().ok())
        && rate > 0.0
    {
        return Some(Duration::from_secs_f64(
            (1.0 / rate).min(MAX_BACKOFF.as_secs_f64()),
        ));
    }
    None
}

/// The rate `x-amzn-RateLimit-Limit` names (requests per second).
fn rate_limit(headers: &HeaderMap) -> Option<f64> {
    headers
        .get("x-amzn-ratelimit-limit")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|rate| *rate > 0.0 && rate.is_finite())
}

/// Exponential backoff with jitter (half to all of the step), so retrying tasks spread out.
fn backoff(attempt: u32) -> Duration {
    let step = BASE_BACKOFF
        .saturating_mul(1u32 << attempt.min(16))
        .min(MAX_BACKOFF);
    step.mul_f64(0.5 + fastrand::f64() / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_client_that_may_speak_tls_loads_the_system_roots() {
        let url = |u: &str| Url::parse(u).unwrap();
        let plain = HttpConnection::new(url("http://shop.example/"));
        assert!(!speaks_tls(&plain.base_url, &plain));
        assert!(speaks_tls(
            &url("https://api.amazon.com/auth/o2/token"),
            &plain
        ));
        let mut proxied = plain.clone();
        proxied.proxy = Some(url("https://proxy.example:3128/"));
        assert!(speaks_tls(&proxied.base_url, &proxied));
        let mut extra = plain.clone();
        extra.extra_ca_file = Some("ca.pem".into());
        assert!(speaks_tls(&extra.base_url, &extra));
        let secure = HttpConnection::new(url("HTTPS://shop.example/"));
        assert!(speaks_tls(&secure.base_url, &secure));
        // Built either way.
        assert!(HttpClient::new("plain", plain).is_ok());
        assert!(HttpClient::new("secure", secure).is_ok());
    }

    #[test]
    fn credentials_and_the_host_are_the_connections_headers() {
        let mut connection = HttpConnection::new(Url::parse("https://shop.example/").unwrap());
        connection.auth = Auth::Header {
            name: "X-Api-Key".into(),
            value: wharf_sftp::SecretSource::Env("WHARF_TEST_NEVER_SET".into()),
        };
        let client = HttpClient::new("shop", connection).unwrap();
        let header = |name: &str| client.task_headers(&[(name.to_owned(), "v".to_owned())]);
        for name in ["Authorization", "proxy-authorization", "Host", "x-api-key"] {
            let (kind, message) = header(name).unwrap_err();
            assert_eq!(kind, FailureKind::NotPermitted, "{name}");
            assert!(message.contains("the connection's to set"), "{message}");
        }
        assert_eq!(header("a b").unwrap_err().0, FailureKind::Failed);
        assert_eq!(header("Cookie").unwrap().len(), 1);
        // A secret that cannot be read fails the request, naming where it was looked for.
        let url = Url::parse("https://shop.example/x").unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        match runtime.block_on(client.credential(&url)) {
            Err(Trouble::Final(FailureKind::Failed, message)) => {
                assert!(message.contains("WHARF_TEST_NEVER_SET"), "{message}")
            }
            _ => panic!("an unset secret must fail the request"),
        }
    }

    #[test]
    fn bodies_are_renamed_into_place_and_only_finished_files_are_synced() {
        use std::path::Path;
        assert!(is_temporary(Path::new("/w/.answer.json.wharf-partial")));
        assert!(!is_temporary(Path::new("/w/orders.xml")));
        assert!(!is_temporary(Path::new("/w/answer.wharf-partial")));
        let dir = tempfile::tempdir().unwrap();
        for (name, durable) in [("big.bin", true), (".answer.json.wharf-partial", false)] {
            let output = dir.path().join("in").join(name);
            let temp = temp_beside(&output);
            let (tx, rx) = tokio::sync::mpsc::channel(WRITE_QUEUE_CHUNKS);
            let writer = std::thread::spawn({
                let (temp, output) = (temp.clone(), output.clone());
                move || write_body(&temp, &output, durable, rx)
            });
            // More than one writeback step, in uneven chunks.
            let chunk = bytes::Bytes::from(vec![7u8; 3 << 20]);
            for _ in 0..4 {
                tx.blocking_send(Piece::Chunk(chunk.clone())).unwrap();
            }
            tx.blocking_send(Piece::End).unwrap();
            drop(tx);
            writer.join().unwrap().unwrap();
            assert_eq!(std::fs::metadata(&output).unwrap().len(), 12 << 20);
            assert!(!temp.exists());
        }
        // Abandoned before the end: nothing is left.
        let output = dir.path().join("cut.bin");
        let (tx, rx) = tokio::sync::mpsc::channel(WRITE_QUEUE_CHUNKS);
        tx.blocking_send(Piece::Chunk(bytes::Bytes::from_static(b"part")))
            .unwrap();
        drop(tx);
        write_body(&temp_beside(&output), &output, true, rx).unwrap();
        assert!(!output.exists() && !temp_beside(&output).exists());
    }

    #[test]
    fn waits_follow_what_the_server_asks() {
        let mut h = HeaderMap::new();
        assert_eq!(wait_asked(&h), None);
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(wait_asked(&h), Some(Duration::from_secs(2)));
        h.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(
            wait_asked(&h),
            Some(Duration::ZERO),
            "a date in the past: now"
        );
        h.remove("retry-after");
        h.insert(
            "x-rate-limit-time-reset-ms",
            HeaderValue::from_static("1500"),
        );
        assert_eq!(wait_asked(&h), Some(Duration::from_millis(1500)));
        let mut h = HeaderMap::new();
        h.insert("x-amzn-ratelimit-limit", HeaderValue::from_static("0.5"));
        assert_eq!(wait_asked(&h), Some(Duration::from_secs(2)));
    }

    #[test]
    fn backoff_grows_with_jitter_and_a_cap() {
        for attempt in 0..20 {
            let step = BASE_BACKOFF
                .saturating_mul(1 << attempt.min(16))
                .min(MAX_BACKOFF);
            let wait = backoff(attempt);
            assert!(wait >= step / 2 && wait <= step, "{attempt}: {wait:?}");
        }
    }
}
