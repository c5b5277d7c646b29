//! Errors of the S3 backend, and how SDK failures are classified and described.
//!
//! Messages name the bucket and key and the cause (S3 error code, message and HTTP status, or the
//! transport error chain). They never hold credentials: the SDK's error chain carries none, and
//! request headers (where the signature lives) are never printed.

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use wharf_engine::storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    /// The store's configuration is unusable (names, endpoint, runtime flavour).
    #[error("S3 store configuration: {0}")]
    Config(String),
    /// The store's own tokio runtime could not be started.
    #[error("starting the S3 store's runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// A request failed after the SDK's retries.
    #[error(transparent)]
    Request(#[from] RequestError),
}

/// An S3 request that failed (after the SDK's retries), naming the object and the cause.
#[derive(Debug, Clone, thiserror::Error)]
#[error("S3 {op} s3://{bucket}/{key} failed: {cause}")]
pub struct RequestError {
    pub op: &'static str,
    pub bucket: String,
    pub key: String,
    pub cause: String,
}

impl From<S3Error> for StorageError {
    fn from(e: S3Error) -> Self {
        StorageError::Other(e.to_string())
    }
}

/// What an SDK failure was, reduced to what its callers decide on: the HTTP status and S3 error
/// code if a response came, and a text naming the cause (code, message and status, or the
/// transport error chain) that never holds credentials.
#[derive(Debug, Clone)]
pub struct Cause {
    pub status: Option<u16>,
    pub code: Option<String>,
    pub text: String,
}

impl Cause {
    pub fn of<E>(err: &SdkError<E>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let status = err.raw_response().map(|r| r.status().as_u16());
        let code = err.code().map(str::to_string);
        let text = match err {
            SdkError::ServiceError(_) => {
                let mut t = match (err.code(), err.message()) {
                    (Some(c), Some(m)) => format!("{c}: {m}"),
                    (Some(c), None) => c.to_string(),
                    (None, Some(m)) => m.to_string(),
                    (None, None) => "service error".to_string(),
                };
                if let Some(s) = status {
                    t.push_str(&format!(" (HTTP {s})"));
                }
                t
            }
            other => DisplayErrorContext(other).to_string(),
        };
        Cause { status, code, text }
    }

    /// A failure detected by the caller itself (no SDK error behind it).
    pub fn text(text: String) -> Self {
        Cause {
            status: None,
            code: None,
            text,
        }
    }

    /// A conditional write or delete lost: 412, or 409 ConditionalRequestConflict (real S3 answers
    /// that when two conditional requests on one key overlap).
    pub(crate) fn lost_condition(&self) -> bool {
        matches!(self.status, Some(412) | Some(409))
            || matches!(
                self.code.as_deref(),
                Some("PreconditionFailed" | "ConditionalRequestConflict")
            )
    }

    /// No such object (404, NoSuchKey, NotFound).
    pub fn not_found(&self) -> bool {
        self.status == Some(404) || matches!(self.code.as_deref(), Some("NoSuchKey" | "NotFound"))
    }

    pub(crate) fn no_such_upload(&self) -> bool {
        self.code.as_deref() == Some("NoSuchUpload")
    }

    /// The failed request `op` on `s3://bucket/key`, with this as its cause.
    pub fn request(self, op: &'static str, bucket: &str, key: &str) -> RequestError {
        RequestError {
            op,
            bucket: bucket.to_string(),
            key: key.to_string(),
            cause: self.text,
        }
    }

    pub(crate) fn into_error(self, op: &'static str, bucket: &str, key: &str) -> StorageError {
        S3Error::from(self.request(op, bucket, key)).into()
    }
}
