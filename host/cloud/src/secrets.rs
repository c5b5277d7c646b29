//! Connections' `{ aws-secret: NAME-OR-ARN [, key: FIELD] }` secrets, read from AWS Secrets
//! Manager (docs/cloud.md, "Secrets").
//!
//! Secrets are read when a connection opens, on the engine's (synchronous) thread, so the store
//! runs its requests on an async bridge of its own. A value is kept in memory for a few
//! minutes: a warm Lambda sandbox opens connections on every invocation, and each
//! `GetSecretValue` is billed; a rotated secret is picked up once its cached copy expires.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::Client;
use tokio::sync::OnceCell;
use wharf_engine::blocking::AsyncBridge;
use wharf_sftp::SecretStore;

/// How long a fetched secret is used before it is fetched again.
pub const CACHE_FOR: Duration = Duration::from_secs(300);

/// AWS Secrets Manager as the process's [`SecretStore`]. The runtime and client are made at
/// the first fetch, so a program that never reads an `aws-secret` pays nothing for it.
pub struct AwsSecrets {
    bridge: std::sync::OnceLock<AsyncBridge>,
    region: Option<String>,
    endpoint_url: Option<String>,
    client: std::sync::Arc<OnceCell<Client>>,
    cache: Mutex<HashMap<String, (Instant, String)>>,
}

impl AwsSecrets {
    /// `region` and `endpoint_url` as for the other AWS clients (else the environment's).
    pub fn new(region: Option<&str>, endpoint_url: Option<&str>) -> Self {
        AwsSecrets {
            bridge: Default::default(),
            region: region.map(str::to_owned),
            endpoint_url: endpoint_url.map(str::to_owned),
            client: Default::default(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Installs this as the process's store; false if one was there already.
    pub fn install(self) -> bool {
        wharf_sftp::install_secret_store(Box::new(self))
    }

    fn bridge(&self) -> Result<&AsyncBridge, String> {
        if let Some(bridge) = self.bridge.get() {
            return Ok(bridge);
        }
        let bridge = AsyncBridge::new("wharf-secrets", 1)
            .map_err(|e| format!("starting the AWS client's runtime: {e}"))?;
        Ok(self.bridge.get_or_init(|| bridge))
    }

    fn cached(&self, id: &str) -> Option<String> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(id)
            .filter(|(at, _)| at.elapsed() < CACHE_FOR)
            .map(|(_, value)| value.clone())
    }
}

impl SecretStore for AwsSecrets {
    fn fetch(&self, id: &str) -> Result<String, String> {
        if let Some(value) = self.cached(id) {
            return Ok(value);
        }
        let cell = self.client.clone();
        let region = self.region.clone();
        let endpoint = self.endpoint_url.clone();
        let secret_id = id.to_owned();
        let fetched = self
            .bridge()
            .map_err(|e| format!("AWS secret `{id}`: {e}"))?
            .run(async move {
                let client = cell
                    .get_or_init(|| async {
                        let sdk = wharf_s3_store::sdk_config(region.as_deref()).await;
                        let mut config = aws_sdk_secretsmanager::config::Builder::from(&sdk);
                        if let Some(url) = endpoint {
                            config = config.endpoint_url(url);
                        }
                        Client::from_conf(config.build())
                    })
                    .await;
                client.get_secret_value().secret_id(&secret_id).send().await
            })
            .ok_or_else(|| format!("AWS secret `{id}`: the request was cancelled"))?;
        let output = fetched
            .map_err(|e| format!("AWS secret `{id}`: {}", wharf_s3_store::Cause::of(&e).text))?;
        let value = match (output.secret_string, output.secret_binary) {
            (Some(text), _) => text,
            (None, Some(blob)) => String::from_utf8(blob.into_inner())
                .map_err(|_| format!("AWS secret `{id}`: the binary secret is not UTF-8 text"))?,
            (None, None) => return Err(format!("AWS secret `{id}`: the secret has no value")),
        };
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.insert(id.to_owned(), (Instant::now(), value.clone()));
        Ok(value)
    }
}
