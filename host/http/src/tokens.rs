//! Token flows: connection auths that exchange the connection's secrets for a token (a Magento
//! admin token minted from a user and password, Amazon's LWA access token from a refresh
//! token), cache it, renew it before it expires and when the server refuses it. The token goes
//! into a header the host adds; the task never sees it, and nothing of it is logged.
//!
//! A flow says how to mint and where the token goes ([`TokenFlow`]); [`TokenCache`] does the
//! rest, the same for every flow.

use std::time::{Duration, Instant};

use tokio::sync::Mutex;
use url::Url;

/// A token is renewed this long before it expires, so no request carries one that expires in
/// flight.
const RENEW_BEFORE: Duration = Duration::from_secs(60);
/// Longest token endpoint answer read (tokens are a few hundred bytes).
const MAX_TOKEN_ANSWER: usize = 64 * 1024;

/// A freshly minted token.
pub struct Minted {
    pub token: String,
    /// How long it lasts; `None`: until the server refuses it.
    pub lifetime: Option<Duration>,
}

/// Why no token could be had. Messages name the endpoint and the cause, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The endpoint refused the connection's secrets: another attempt would not help.
    #[error("{0}")]
    Refused(String),
    /// The endpoint could not be reached or failed: worth another attempt.
    #[error("{0}")]
    Unreachable(String),
}

/// How one kind of connection gets its token.
#[async_trait::async_trait]
pub trait TokenFlow: Send + Sync {
    /// For messages: "the Magento admin token".
    fn describe(&self) -> &'static str;
    /// The header the token goes in.
    fn header_name(&self) -> &'static str;
    /// The header's value for a token.
    fn header_value(&self, token: &str) -> String {
        token.to_owned()
    }
    /// Whether an answer with this status means the token was refused (it is renewed once and
    /// the request sent again).
    fn refused(&self, status: u16) -> bool {
        status == 401
    }
    /// Exchanges the connection's secrets (read now, so a rotated secret takes effect) for a
    /// fresh token. `base` is the connection's base URL.
    async fn mint(&self, client: &reqwest::Client, base: &Url) -> Result<Minted, TokenError>;
}

struct Cached {
    token: String,
    renew_at: Option<Instant>,
}

/// One connection's token: minted on first use, cached, renewed before it expires or once
/// refused. Concurrent tasks wait for one minting.
pub struct TokenCache {
    flow: Box<dyn TokenFlow>,
    /// The client that reaches the token endpoint (the connection's TLS, proxy and time limits).
    client: reqwest::Client,
    cached: Mutex<Option<Cached>>,
}

impl TokenCache {
    pub fn new(flow: Box<dyn TokenFlow>, client: reqwest::Client) -> Self {
        TokenCache {
            flow,
            client,
            cached: Mutex::new(None),
        }
    }

    pub fn flow(&self) -> &dyn TokenFlow {
        &*self.flow
    }

    /// The current token, minted if there is none or it is about to expire.
    pub async fn token(&self, base: &Url) -> Result<String, TokenError> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref()
            && c.renew_at.is_none_or(|at| Instant::now() < at)
        {
            return Ok(c.token.clone());
        }
        let started = Instant::now();
        let minted = self.flow.mint(&self.client, base).await?;
        if minted.token.is_empty() {
            return Err(TokenError::Refused(format!(
                "{}: the endpoint answered an empty token",
                self.flow.describe()
            )));
        }
        tracing::debug!(
            token = self.flow.describe(),
            lifetime_s = minted.lifetime.map(|l| l.as_secs()),
            "token minted"
        );
        let token = minted.token.clone();
        *cached = Some(Cached {
            token: minted.token,
            renew_at: minted
                .lifetime
                .map(|l| started + l.saturating_sub(RENEW_BEFORE)),
        });
        Ok(token)
    }

    /// Drops the token a request was refused with (`header_value` as sent), unless another
    /// task already renewed it.
    pub async fn forget(&self, header_value: &str) {
        let mut cached = self.cached.lock().await;
        if cached
            .as_ref()
            .is_some_and(|c| self.flow.header_value(&c.token) == header_value)
        {
            *cached = None;
        }
    }
}

/// A token endpoint's answer: status and body, at most [`MAX_TOKEN_ANSWER`] bytes of it.
pub(crate) async fn read_answer(
    mut response: reqwest::Response,
    what: &str,
    url: &Url,
) -> Result<(u16, Vec<u8>), TokenError> {
    let status = response.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| TokenError::Unreachable(format!("{what} at {url} failed: {e}")))?
    {
        if body.len() + chunk.len() > MAX_TOKEN_ANSWER {
            return Err(TokenError::Refused(format!(
                "{what} at {url} answered more than {MAX_TOKEN_ANSWER} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    struct Counting {
        minted: AtomicU32,
        lifetime: Option<Duration>,
    }

    #[async_trait::async_trait]
    impl TokenFlow for Counting {
        fn describe(&self) -> &'static str {
            "the test token"
        }
        fn header_name(&self) -> &'static str {
            "authorization"
        }
        fn header_value(&self, token: &str) -> String {
            format!("Bearer {token}")
        }
        async fn mint(&self, _: &reqwest::Client, _: &Url) -> Result<Minted, TokenError> {
            let n = self.minted.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(Minted {
                token: format!("t{n}"),
                lifetime: self.lifetime,
            })
        }
    }

    fn cache(lifetime: Option<Duration>) -> TokenCache {
        TokenCache::new(
            Box::new(Counting {
                minted: AtomicU32::new(0),
                lifetime,
            }),
            reqwest::Client::new(),
        )
    }

    #[tokio::test]
    async fn a_token_is_cached_renewed_when_refused_and_before_it_expires() {
        let base = Url::parse("http://127.0.0.1/").unwrap();
        let tokens = cache(None);
        assert_eq!(tokens.token(&base).await.unwrap(), "t1");
        assert_eq!(tokens.token(&base).await.unwrap(), "t1");
        // A refusal of an older token (another task renewed it since) changes nothing.
        tokens.forget("Bearer t0").await;
        assert_eq!(tokens.token(&base).await.unwrap(), "t1");
        tokens.forget("Bearer t1").await;
        assert_eq!(tokens.token(&base).await.unwrap(), "t2");
        // A token lasting less than the renewal margin is minted again on each use.
        let short = cache(Some(Duration::from_secs(30)));
        assert_eq!(short.token(&base).await.unwrap(), "t1");
        assert_eq!(short.token(&base).await.unwrap(), "t2");
        let long = cache(Some(Duration::from_secs(3600)));
        assert_eq!(long.token(&base).await.unwrap(), "t1");
        assert_eq!(long.token(&base).await.unwrap(), "t1");
    }
}
