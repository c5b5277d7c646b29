//! The few S3 requests deploying and fetching need, on `wharf-s3-store`'s client and its
//! reduction of SDK failures to a message that names the cause (S3 error code and message, HTTP
//! status, or the transport error chain) and never holds credentials: the SDK's errors carry
//! none, and request headers (where the signature lives) are never printed.

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::Duration;
use wharf_s3_store::{Cause, NoRegion, Received, RequestError, SHA256_META, receive_verified};

/// Body reads cut off mid-way are retried this often (the SDK retries until a response starts).
const BODY_ATTEMPTS: u32 = 3;

/// Why the S3 client could not be set up.
#[derive(Debug, Clone, thiserror::Error)]
#[error("AWS configuration: {0}")]
pub struct ClientError(pub String);

/// An S3 client as Wharf's other S3 users build it ([`wharf_s3_store::client`]): rustls on
/// ring, standard retries (5 attempts), a 10 s connect timeout; region and endpoint from the
/// arguments, else the environment (`AWS_REGION`, `AWS_ENDPOINT_URL`); credentials from the
/// default chain.
pub async fn client(
    endpoint_url: Option<&str>,
    force_path_style: bool,
    region: Option<&str>,
) -> Result<Client, ClientError> {
    wharf_s3_store::client(endpoint_url, force_path_style, region)
        .await
        .map_err(|NoRegion| {
            ClientError("no AWS region: give one (--region) or set AWS_REGION".into())
        })
}

/// `Ok(None)` for a missing object, else the failed request.
pub(crate) fn not_found_or<T, E>(
    err: SdkError<E>,
    op: &'static str,
    bucket: &str,
    key: &str,
) -> Result<Option<T>, RequestError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let cause = Cause::of(&err);
    if cause.not_found() {
        Ok(None)
    } else {
        Err(cause.request(op, bucket, key))
    }
}

/// What HeadObject tells about an object.
pub(crate) struct Head {
    pub size: u64,
    pub sha256: Option<String>,
}

pub(crate) async fn head(
    client: &Client,
    bucket: &str,
    key: &str,
) -> Result<Option<Head>, RequestError> {
    match client.head_object().bucket(bucket).key(key).send().await {
        Ok(h) => Ok(Some(Head {
            size: h.content_length().unwrap_or(0).max(0) as u64,
            sha256: h.metadata().and_then(|m| m.get(SHA256_META)).cloned(),
        })),
        Err(e) => not_found_or(e, "HeadObject", bucket, key),
    }
}

/// A small object's bytes; `None` if it does not exist.
pub(crate) async fn get_bytes(
    client: &Client,
    bucket: &str,
    key: &str,
) -> Result<Option<Vec<u8>>, RequestError> {
    match client.get_object().bucket(bucket).key(key).send().await {
        Ok(o) => match o.body.collect().await {
            Ok(b) => Ok(Some(b.into_bytes().to_vec())),
            Err(e) => Err(Cause::text(e.to_string()).request("GetObject", bucket, key)),
        },
        Err(e) => not_found_or(e, "GetObject", bucket, key),
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
) -> Result<(), RequestError> {
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
        .map_err(|e| Cause::of(&e).request("PutObject", bucket, key))
}

/// Downloads `key` into `dest` through a temporary file beside it, renamed into place only when
/// complete (so a reader never sees half a file, and concurrent fetchers each write their own).
/// Verifies the length and, when the object carries one, its SHA-256 metadata. Gives the size
/// and SHA-256 of what was written, or `None` if the object does not exist.
pub(crate) async fn download(
    client: &Client,
    bucket: &str,
    key: &str,
    dest: &Path,
) -> Result<Option<Received>, RequestError> {
    let failed = |cause: String| Cause::text(cause).request("GetObject", bucket, key);
    let write_failed = |e: std::io::Error| failed(format!("writing {}: {e}", dest.display()));
    let dir = dest.parent().unwrap_or(Path::new("."));
    let mut last = String::new();
    for attempt in 1..=BODY_ATTEMPTS {
        let resp = match client.get_object().bucket(bucket).key(key).send().await {
            Ok(r) => r,
            Err(e) => return not_found_or(e, "GetObject", bucket, key),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".fetch-")
            .tempfile_in(dir)
            .map_err(|e| failed(format!("creating a file in {}: {e}", dir.display())))?;
        let mut out = tokio::fs::File::from_std(tmp.as_file().try_clone().map_err(write_failed)?);
        match receive_verified(resp, &mut out)
            .await
            .map_err(write_failed)?
        {
            Ok(received) => {
                drop(out);
                tmp.as_file().sync_all().map_err(write_failed)?;
                tmp.persist(dest).map_err(|e| write_failed(e.error))?;
                return Ok(Some(received));
            }
            Err(p) => {
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
