//! The S3 client and the few requests deploying and fetching need, with failures reduced to a
//! message that names the cause (S3 error code and message, HTTP status, or the transport
//! error chain) and never holds credentials: the SDK's errors carry none, and request headers
//! (where the signature lives) are never printed.

use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// User metadata (`x-amz-meta-wharf-sha256`) holding an object's SHA-256, as `wharf-s3-store`
/// tags its objects: tells whether a deployed object or a local copy is already current.
pub const SHA256_META: &str = "wharf-sha256";

/// Body reads cut off mid-way are retried this often (the SDK retries until a response starts).
const BODY_ATTEMPTS: u32 = 3;

/// Why the S3 client could not be set up.
#[derive(Debug, Clone, thiserror::Error)]
#[error("AWS configuration: {0}")]
pub struct ClientError(pub String);

/// An S3 client as Wharf's other S3 users build it: rustls on ring, standard retries (5
/// attempts), a 10 s connect timeout; region and endpoint from the arguments, else the
/// environment (`AWS_REGION`, `AWS_ENDPOINT_URL`); credentials from the default chain.
pub async fn client(
    endpoint_url: Option<&str>,
    force_path_style: bool,
    region: Option<&str>,
) -> Result<Client, ClientError> {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .retry_config(RetryConfig::standard().with_max_attempts(5))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(10))
                .build(),
        );
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_string()));
    }
    let sdk = loader.load().await;
    if sdk.region().is_none() {
        return Err(ClientError(
            "no AWS region: give one (--region) or set AWS_REGION".into(),
        ));
    }
    let mut s3 = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(force_path_style);
    if let Some(url) = endpoint_url {
        s3 = s3.endpoint_url(url);
    }
    Ok(Client::from_conf(s3.build()))
}

/// A request that failed after the SDK's retries.
#[derive(Debug, Clone)]
pub(crate) struct Failed {
    pub op: &'static str,
    pub key: String,
    pub cause: String,
}

fn cause_of<E>(err: &SdkError<E>) -> (Option<u16>, Option<String>, String)
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
    (status, code, text)
}

fn is_not_found(status: Option<u16>, code: Option<&str>) -> bool {
    status == Some(404) || matches!(code, Some("NoSuchKey" | "NotFound"))
}

/// `Ok(None)` for a missing object, else the failure.
pub(crate) fn not_found_or<T, E>(
    err: SdkError<E>,
    op: &'static str,
    key: &str,
) -> Result<Option<T>, Failed>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let (status, code, cause) = cause_of(&err);
    if is_not_found(status, code.as_deref()) {
        Ok(None)
    } else {
        Err(Failed {
            op,
            key: key.to_string(),
            cause,
        })
    }
}

/// What HeadObject tells about an object.
pub(crate) struct Head {
    pub size: u64,
    pub sha256: Option<String>,
}

pub(crate) async fn head(client: &Client, bucket: &str, key: &str) -> Result<Option<Head>, Failed> {
    match client.head_object().bucket(bucket).key(key).send().await {
        Ok(h) => Ok(Some(Head {
            size: h.content_length().unwrap_or(0).max(0) as u64,
            sha256: h.metadata().and_then(|m| m.get(SHA256_META)).cloned(),
        })),
        Err(e) => {
            let (status, code, cause) = cause_of(&e);
            if is_not_found(status, code.as_deref()) {
                Ok(None)
            } else {
                Err(Failed {
                    op: "HeadObject",
                    key: key.to_string(),
                    cause,
                })
            }
        }
    }
}

/// Writes `bytes` to `key`, tagged with their SHA-256.
pub(crate) async fn put(
    client: &Client,
    bucket: &str,
    key: &str,
    bytes: Vec<u8>,
    sha256: &str,
    content_type: &str,
) -> Result<(), Failed> {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_length(bytes.len() as i64)
        .content_type(content_type)
        .metadata(SHA256_META, sha256)
        .body(ByteStream::from(bytes))
        .send()
        .await
        .map(drop)
        .map_err(|e| Failed {
            op: "PutObject",
            key: key.to_string(),
            cause: cause_of(&e).2,
        })
}

/// Downloads `key` into `dest` through a temporary file beside it, renamed into place only when
/// complete (so a reader never sees half a file, and concurrent fetchers each write their own).
/// Verifies the length and, when the object carries one, its SHA-256 metadata. Gives the size,
/// or `None` if the object does not exist.
pub(crate) async fn download(
    client: &Client,
    bucket: &str,
    key: &str,
    dest: &Path,
) -> Result<Option<u64>, Failed> {
    let failed = |cause: String| Failed {
        op: "GetObject",
        key: key.to_string(),
        cause,
    };
    let dir = dest.parent().unwrap_or(Path::new("."));
    let mut last = String::new();
    for attempt in 1..=BODY_ATTEMPTS {
        let resp = match client.get_object().bucket(bucket).key(key).send().await {
            Ok(r) => r,
            Err(e) => {
                let (status, code, cause) = cause_of(&e);
                if is_not_found(status, code.as_deref()) {
                    return Ok(None);
                }
                return Err(failed(cause));
            }
        };
        let expected_len = resp.content_length().map(|l| l.max(0) as u64);
        let expected_sha = resp.metadata().and_then(|m| m.get(SHA256_META)).cloned();
        let mut tmp = tempfile::Builder::new()
            .prefix(".fetch-")
            .tempfile_in(dir)
            .map_err(|e| failed(format!("creating a file in {}: {e}", dir.display())))?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut body = resp.body;
        let streamed = loop {
            match body.try_next().await {
                Ok(Some(chunk)) => {
                    hasher.update(&chunk);
                    size += chunk.len() as u64;
                    tmp.write_all(&chunk)
                        .map_err(|e| failed(format!("writing {}: {e}", dest.display())))?;
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(e.to_string()),
            }
        };
        let sha256 = hex::encode(hasher.finalize());
        let problem = match streamed {
            Err(e) => Some(e),
            Ok(()) if expected_len.is_some_and(|l| l != size) => Some(format!(
                "got {size} bytes, expected {}",
                expected_len.unwrap_or(0)
            )),
            Ok(()) if expected_sha.as_ref().is_some_and(|s| *s != sha256) => {
                Some("the content does not match its SHA-256 metadata".to_string())
            }
            Ok(()) => None,
        };
        match problem {
            None => {
                tmp.as_file()
                    .sync_all()
                    .map_err(|e| failed(format!("writing {}: {e}", dest.display())))?;
                tmp.persist(dest)
                    .map_err(|e| failed(format!("writing {}: {}", dest.display(), e.error)))?;
                return Ok(Some(size));
            }
            Some(p) => {
                tracing::debug!("downloading s3://{bucket}/{key} failed (attempt {attempt}): {p}");
                last = p;
                tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
            }
        }
    }
    Err(failed(format!(
        "the download failed {BODY_ATTEMPTS} times: {last}"
    )))
}

/// Hex SHA-256 of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Hex SHA-256 of a file's content; `None` if it does not exist or cannot be read.
pub(crate) fn sha256_file(path: &Path) -> Option<String> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut f, &mut hasher).ok()?;
    Some(hex::encode(hasher.finalize()))
}
