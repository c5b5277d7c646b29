//! The S3 and SQS clients: rustls on ring, standard retries, region and endpoint from the
//! configuration, credentials from the standard AWS chain (never from the configuration file).

use std::time::Duration;

use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

/// The clients a runner (or a test) talks to the bucket and the queues with.
#[derive(Clone, Debug)]
pub struct Clients {
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
}

/// Clients for `region`; with `endpoint_url`, both services are reached there (an
/// S3/SQS-compatible server; S3 with path-style addressing). `wait_seconds` is the long poll,
/// which an SQS request attempt must be allowed to outlast.
pub async fn clients(region: &str, endpoint_url: Option<&str>, wait_seconds: u64) -> Clients {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .region(Region::new(region.to_owned()))
        .retry_config(RetryConfig::standard().with_max_attempts(5))
        .load()
        .await;
    let timeouts = |attempt: Duration| {
        TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(10))
            .operation_attempt_timeout(attempt)
            .build()
    };
    // result.json can be large; a long poll lasts up to `wait_seconds`.
    let mut s3 =
        aws_sdk_s3::config::Builder::from(&sdk).timeout_config(timeouts(Duration::from_secs(600)));
    let mut sqs = aws_sdk_sqs::config::Builder::from(&sdk)
        .timeout_config(timeouts(Duration::from_secs(wait_seconds + 30)));
    if let Some(url) = endpoint_url {
        s3 = s3.endpoint_url(url).force_path_style(true);
        sqs = sqs.endpoint_url(url);
    }
    Clients {
        s3: aws_sdk_s3::Client::from_conf(s3.build()),
        sqs: aws_sdk_sqs::Client::from_conf(sqs.build()),
    }
}
