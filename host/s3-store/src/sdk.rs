//! How Wharf's S3 users (this store, `wharf deploy` and the Lambda's fetcher, the Sage runner)
//! set up the AWS SDK, and the verified download of one object's body they share.

use aws_config::SdkConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// User metadata (`x-amz-meta-wharf-sha256`) holding an object's SHA-256: lets downloads be
/// verified, tells whether a deployed object or a local copy is already current, and tells our
/// own retried conditional write apart from another writer's object (ETags of multipart or
/// KMS-encrypted objects are not content hashes).
pub const SHA256_META: &str = "wharf-sha256";

/// The shared SDK configuration: rustls on ring, standard retries (5 attempts), a 10 s connect
/// timeout; the region from the argument, else the default chain (`AWS_REGION`, the profile);
/// credentials from the default chain.
pub async fn sdk_config(region: Option<&str>) -> SdkConfig {
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
    loader.load().await
}

/// Neither the arguments nor the environment name an AWS region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no AWS region")]
pub struct NoRegion;

/// An S3 client on [`sdk_config`]; `endpoint_url` if given, else the SDK's own resolution
/// (which honours `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_S3`). Callers word [`NoRegion`] for
/// their users (which setting to give).
pub async fn client(
    endpoint_url: Option<&str>,
    force_path_style: bool,
    region: Option<&str>,
) -> Result<Client, NoRegion> {
    client_from(&sdk_config(region).await, endpoint_url, force_path_style)
}

/// [`client`] on an SDK configuration the caller loaded (and shares with its other clients:
/// one credential chain, one connection pool); nothing is loaded again.
pub fn client_from(
    sdk: &SdkConfig,
    endpoint_url: Option<&str>,
    force_path_style: bool,
) -> Result<Client, NoRegion> {
    if sdk.region().is_none() {
        return Err(NoRegion);
    }
    let mut s3 = aws_sdk_s3::config::Builder::from(sdk).force_path_style(force_path_style);
    if let Some(url) = endpoint_url {
        s3 = s3.endpoint_url(url);
    }
    Ok(Client::from_conf(s3.build()))
}

/// What a verified body held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub size: u64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
}

/// Streams one GetObject response's body into `out` (flushed at the end), hashing it as it goes,
/// and checks it against the response's Content-Length and, when the object carries one, its
/// [`SHA256_META`]. `Ok(Err(problem))` when the body was cut off or does not match (worth
/// another GetObject); `Err` when writing to `out` failed.
pub async fn receive_verified<W: AsyncWrite + Unpin>(
    resp: GetObjectOutput,
    out: &mut W,
) -> std::io::Result<Result<Received, String>> {
    let expected_len = resp.content_length().map(|l| l.max(0) as u64);
    let expected_sha = resp.metadata().and_then(|m| m.get(SHA256_META)).cloned();
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut body = resp.body;
    let streamed = loop {
        match body.try_next().await {
            Ok(Some(chunk)) => {
                hasher.update(&chunk);
                size += chunk.len() as u64;
                out.write_all(&chunk).await?;
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(e.to_string()),
        }
    };
    out.flush().await?;
    let sha256 = hex::encode(hasher.finalize());
    Ok(match streamed {
        Err(e) => Err(e),
        Ok(()) if expected_len.is_some_and(|l| l != size) => Err(format!(
            "got {size} bytes, expected {}",
            expected_len.unwrap_or(0)
        )),
        Ok(()) if expected_sha.as_ref().is_some_and(|s| *s != sha256) => {
            Err("content does not match its SHA-256 metadata".to_string())
        }
        Ok(()) => Ok(Received { size, sha256 }),
    })
}
