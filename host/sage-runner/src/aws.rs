//! The S3 and SQS clients, on the SDK configuration Wharf's S3 users share
//! ([`wharf_s3_store::sdk_config`]: rustls on ring, standard retries); region and endpoint from
//! the configuration, credentials from the standard AWS chain (never from the configuration
//! file).

use std::time::Duration;

use aws_sdk_s3::config::timeout::TimeoutConfig;

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
    clients_from(
        &wharf_s3_store::sdk_config(Some(region)).await,
        endpoint_url,
        wait_seconds,
    )
}

/// [`clients`] on an SDK configuration the caller loaded (and shares with its other clients:
/// one credential chain, one connection pool).
pub fn clients_from(
    sdk: &wharf_s3_store::SdkConfig,
    endpoint_url: Option<&str>,
    wait_seconds: u64,
) -> Clients {
    let timeouts = |attempt: Duration| {
        TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(10))
            .operation_attempt_timeout(attempt)
            .build()
    };
    // result.json can be large; a long poll lasts up to `wait_seconds`.
    let mut s3 =
        aws_sdk_s3::config::Builder::from(sdk).timeout_config(timeouts(Duration::from_secs(600)));
    let mut sqs = aws_sdk_sqs::config::Builder::from(sdk)
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
