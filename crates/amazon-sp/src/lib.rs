//! Shared code of the Amazon Selling Partner API tasks (docs/amazon.md): a small JSON client
//! over the host's `http` capability (the host adds the Login with Amazon access token and paces
//! throttled operations; the task never sees a credential) that keeps Amazon's documented usage
//! plans from its first request ([`pace`]), the Orders API 2026-01-01 order
//! download, `JSON_LISTINGS_FEED` documents built from the Amazon feed mappings, and the Feeds
//! API 2021-06-30 submission and processing reports.

pub mod feeds;
pub mod marketplaces;
pub mod orders;
pub mod pace;
pub mod reports;
pub mod settings;
pub mod submit;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use serde_json::Value;
use wharf_guest::{ResultCode, TaskError};

pub use wharf_guest::http::{FailureKind, Header, HttpFailure, Request, RequestBody, Response};

/// The capability the Amazon components declare.
pub const CAPABILITY: &str = "http";
/// Where an answer is written before it is read (a Wharf temporary name, removed after).
const ANSWER_FILE: &str = "/.wharf-amazon-answer.json";
/// The longest answer read into memory (a page of 100 orders with items is well under this).
const MAX_ANSWER_BYTES: u64 = 64 << 20;

/// The host's `http` interface, or a stand-in in native tests.
pub trait Web {
    fn send(&mut self, request: Request) -> Result<Response, HttpFailure>;
}

/// The host's `http` interface (callable only inside the host).
pub struct HostWeb;

impl Web for HostWeb {
    fn send(&mut self, request: Request) -> Result<Response, HttpFailure> {
        wharf_guest::http::send(&request)
    }
}

/// Why an API call did not give what the task needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// No answer: the host's failure (network, policy, credential, time limit).
    NoAnswer { kind: FailureKind, message: String },
    /// The API answered with an error status.
    Status {
        operation: String,
        status: u16,
        /// Amazon's error list, as `code: message` lines (or the body's first line).
        detail: String,
    },
    /// The answer could not be read as the API documents it.
    Unreadable { operation: String, cause: String },
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::NoAnswer { message, .. } => f.write_str(message),
            ApiError::Status {
                operation,
                status,
                detail,
            } => write!(f, "{operation} answered {status}: {detail}"),
            ApiError::Unreadable { operation, cause } => {
                write!(f, "{operation} answered something unreadable: {cause}")
            }
        }
    }
}

impl ApiError {
    /// The task's failure: 401/403 not-authorised, 404 not-found, anything else fail.
    pub fn into_failure(self) -> TaskError {
        let code = match &self {
            ApiError::Status {
                status: 401 | 403, ..
            } => ResultCode::NotAuthorised,
            ApiError::Status { status: 404, .. } => ResultCode::NotFound,
            _ => ResultCode::Fail,
        };
        TaskError::new(code, self.to_string())
    }
}

/// One JSON call's answer: its status and body.
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

/// A Selling Partner API client over the host's `http` capability.
pub struct Api<'a, W: Web> {
    web: &'a mut W,
    answer_file: PathBuf,
    pacer: pace::Pacer,
}

impl<'a, W: Web> Api<'a, W> {
    pub fn new(web: &'a mut W) -> Self {
        Api::with_answer_file(web, PathBuf::from(ANSWER_FILE))
    }

    /// A client whose answers pass through `answer_file` (native tests use a temporary one).
    pub fn with_answer_file(web: &'a mut W, answer_file: PathBuf) -> Self {
        Api {
            web,
            answer_file,
            pacer: pace::Pacer::default(),
        }
    }

    /// `GET url` (relative to the connection), its JSON answer; an error status is an error.
    pub fn get(&mut self, operation: &str, url: &str) -> Result<Value, ApiError> {
        let answer = self.call(operation, "GET", url, None)?;
        Ok(answer.body)
    }

    /// `POST url` with a JSON body, its JSON answer; an error status is an error.
    pub fn post(&mut self, operation: &str, url: &str, body: &Value) -> Result<Value, ApiError> {
        let answer = self.call(operation, "POST", url, Some(body))?;
        Ok(answer.body)
    }

    fn call(
        &mut self,
        operation: &str,
        method: &str,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Answer, ApiError> {
        let mut headers = vec![Header {
            name: "Accept".into(),
            value: "application/json".into(),
        }];
        let body = match body {
            Some(body) => {
                headers.push(Header {
                    name: "Content-Type".into(),
                    value: "application/json".into(),
                });
                RequestBody::Text(body.to_string())
            }
            None => RequestBody::None,
        };
        let waited = self.pacer.take(operation);
        if !waited.is_zero() {
            wharf_guest::log::info(format!(
                "{operation}: waited {:.1} s for Amazon's documented rate",
                waited.as_secs_f64()
            ));
        }
        let response = self
            .web
            .send(Request {
                method: method.into(),
                url: url.into(),
                headers,
                body,
                output_file: Some(self.answer_file.to_string_lossy().into_owned()),
                timeout_seconds: None,
                retries: None,
            })
            .map_err(|f| ApiError::NoAnswer {
                kind: f.kind,
                message: format!("{operation}: {}", f.message),
            })?;
        let text = read_answer(&self.answer_file, &response);
        let _ = std::fs::remove_file(&self.answer_file);
        let text = text.map_err(|cause| ApiError::Unreadable {
            operation: operation.into(),
            cause,
        })?;
        if !(200..300).contains(&response.status) {
            return Err(ApiError::Status {
                operation: operation.into(),
                status: response.status,
                detail: error_detail(&text),
            });
        }
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).map_err(|e| ApiError::Unreadable {
                operation: operation.into(),
                cause: format!("not JSON: {e}"),
            })?
        };
        Ok(Answer {
            status: response.status,
            body,
        })
    }

    /// Sends a request as given (a pre-signed document URL, a file body), without JSON.
    pub fn send(&mut self, operation: &str, request: Request) -> Result<Response, ApiError> {
        self.web.send(request).map_err(|f| ApiError::NoAnswer {
            kind: f.kind,
            message: format!("{operation}: {}", f.message),
        })
    }
}

fn read_answer(path: &Path, response: &Response) -> Result<String, String> {
    if response.body_length > MAX_ANSWER_BYTES {
        return Err(format!(
            "{} bytes, more than the {MAX_ANSWER_BYTES} read",
            response.body_length
        ));
    }
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| "not UTF-8 text".into()),
        // A body-less answer (HEAD, 204) writes no file on some paths.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok(String::from_utf8_lossy(&response.body_start).into_owned())
        }
        Err(e) => Err(format!("cannot read the answer: {e}")),
    }
}

/// Amazon's `{ "errors": [ { code, message, details } ] }` as `code: message` lines, or the
/// first line of any other body.
fn error_detail(text: &str) -> String {
    if let Ok(Value::Object(body)) = serde_json::from_str::<Value>(text)
        && let Some(Value::Array(errors)) = body.get("errors")
    {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| {
                let field = |name: &str| e.get(name).and_then(Value::as_str).unwrap_or_default();
                format!("{}: {}", field("code"), field("message"))
            })
            .collect();
        if !lines.is_empty() {
            return lines.join("; ");
        }
    }
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut first: String = first.chars().take(200).collect();
    if first.is_empty() {
        first = "(empty body)".into();
    }
    first
}

/// Percent-encodes one query value exactly once: everything but RFC 3986's unreserved
/// characters, so `+`, `/` and `=` in a pagination token arrive as sent.
pub fn query_value(value: &str) -> String {
    const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(value, UNRESERVED).to_string()
}

/// A folder of the working directory, made if missing.
pub fn ensure_folder(path: &Path, setting: &str) -> Result<PathBuf, String> {
    std::fs::create_dir_all(path)
        .map_err(|e| format!("setting `{setting}`: cannot make `{}`: {e}", path.display()))?;
    Ok(path.to_owned())
}

/// Writes `bytes` to `path` all or nothing (a temporary name, then a rename).
pub fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let partial = wharf_guest::fs::partial_path(path);
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, path)
}

/// Now, as the component's clock tells it (UTC).
pub fn now() -> chrono::DateTime<chrono::Utc> {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    chrono::DateTime::from_timestamp(since.as_secs() as i64, since.subsec_nanos())
        .unwrap_or_default()
}

/// A time as the API writes it: ISO 8601 in UTC, to the second.
pub fn iso(time: chrono::DateTime<chrono::Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
