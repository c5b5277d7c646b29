//! Login with Amazon (LWA), the Selling Partner API's authorisation: the connection's refresh
//! token, client id and client secret are exchanged at the token endpoint for an access token,
//! which is cached until shortly before it expires (Amazon's last 3,600 s) and sent as
//! `x-amz-access-token`. The task never sees any of it; nothing of it is logged.
//!
//! The exchange is the OAuth 2.0 refresh-token grant (RFC 6749 §6): a form POST of
//! `grant_type=refresh_token`, `refresh_token`, `client_id` and `client_secret`, answered with
//! JSON `{ "access_token", "token_type", "expires_in" }`. How the connection names it:
//! docs/amazon.md.

use std::time::Duration;

use serde::Deserialize;
use url::Url;
use wharf_sftp::SecretSource;

use crate::tokens::{Minted, TokenError, TokenFlow, read_answer};

/// Amazon's token endpoint (every region uses the same one).
pub const DEFAULT_TOKEN_URL: &str = "https://api.amazon.com/auth/o2/token";
/// The header the Selling Partner API reads the access token from.
pub const ACCESS_TOKEN_HEADER: &str = "x-amz-access-token";

/// The connection's LWA settings (`auth: { lwa: { … } }`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct LwaSettings {
    /// Where tokens are exchanged; Amazon's by default (tests point it at a fake).
    #[serde(default = "default_token_url", deserialize_with = "token_url")]
    pub token_url: Url,
    pub client_id: SecretSource,
    pub client_secret: SecretSource,
    pub refresh_token: SecretSource,
}

fn default_token_url() -> Url {
    Url::parse(DEFAULT_TOKEN_URL).expect("Amazon's token URL parses")
}

fn token_url<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Url, D::Error> {
    let text = String::deserialize(d)?;
    let url = Url::parse(&text)
        .map_err(|e| serde::de::Error::custom(format!("`token-url` is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(serde::de::Error::custom(
            "`token-url` must be an http:// or https:// URL with a host",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(serde::de::Error::custom(
            "`token-url` holds credentials; give them as `client-id` / `client-secret`",
        ));
    }
    Ok(url)
}

impl LwaSettings {
    pub(crate) fn secrets_mut(&mut self) -> [&mut SecretSource; 3] {
        [
            &mut self.client_id,
            &mut self.client_secret,
            &mut self.refresh_token,
        ]
    }
}

/// The LWA flow of one connection ([`TokenFlow`]; cached and renewed by the token cache).
pub struct LwaFlow {
    settings: LwaSettings,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct LwaRefusal {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

impl LwaFlow {
    pub fn new(settings: LwaSettings) -> Self {
        LwaFlow { settings }
    }
}

#[async_trait::async_trait]
impl TokenFlow for LwaFlow {
    fn describe(&self) -> &'static str {
        "the LWA access token"
    }

    fn header_name(&self) -> &'static str {
        ACCESS_TOKEN_HEADER
    }

    /// The Selling Partner API answers 403 to an access token it no longer accepts.
    fn refused(&self, status: u16) -> bool {
        matches!(status, 401 | 403)
    }

    async fn mint(&self, client: &reqwest::Client, _base: &Url) -> Result<Minted, TokenError> {
        let read = |what: &str, source: &SecretSource| {
            source
                .read()
                .map_err(|e| TokenError::Refused(format!("the LWA `{what}`: {e}")))
        };
        let client_id = read("client-id", &self.settings.client_id)?;
        let client_secret = read("client-secret", &self.settings.client_secret)?;
        let refresh_token = read("refresh-token", &self.settings.refresh_token)?;
        let url = &self.settings.token_url;
        let response = client
            .post(url.clone())
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose()),
                ("client_id", client_id.expose()),
                ("client_secret", client_secret.expose()),
            ])
            .send()
            .await
            .map_err(|e| {
                TokenError::Unreachable(format!("the LWA token exchange at {url} failed: {e}"))
            })?;
        let (status, body) = read_answer(response, "the LWA token exchange", url).await?;
        if status == 429 || status >= 500 {
            return Err(TokenError::Unreachable(format!(
                "the LWA token endpoint {url} answered status {status}"
            )));
        }
        if !(200..300).contains(&status) {
            let why = serde_json::from_slice::<LwaRefusal>(&body)
                .map(|e| match e.error_description {
                    Some(d) => format!("{}: {d}", e.error),
                    None => e.error,
                })
                .unwrap_or_else(|_| "no error named".into());
            return Err(TokenError::Refused(format!(
                "the LWA token endpoint {url} refused the connection's refresh token (status {status}, {why}); check `client-id`, `client-secret` and `refresh-token`"
            )));
        }
        let answer: TokenAnswer = serde_json::from_slice(&body).map_err(|e| {
            TokenError::Refused(format!(
                "the LWA token endpoint {url} answered something that is not a token: {e}"
            ))
        })?;
        Ok(Minted {
            token: answer.access_token,
            lifetime: Some(Duration::from_secs(answer.expires_in.unwrap_or(3600))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_default_to_amazons_endpoint_and_refuse_credentials_in_the_url() {
        let s: LwaSettings = serde_saphyr::from_str(
            "client-id: { env: A }\nclient-secret: { env: B }\nrefresh-token: { file: t }\n",
        )
        .unwrap();
        assert_eq!(s.token_url.as_str(), DEFAULT_TOKEN_URL);
        // Through the connections file's reader, whose errors never quote the text.
        let parse = |lwa: &str| {
            let text = format!(
                "http:\n  amazon:\n    base-url: https://sp.example/\n    auth:\n      lwa: {{ {lwa} }}\n"
            );
            crate::HttpConnections::parse(&text, std::path::Path::new("."))
        };
        let e = parse("token-url: \"https://u:hunter2@api.example/\", client-id: { env: A }, client-secret: { env: B }, refresh-token: { env: C }").unwrap_err();
        assert!(e.contains("token-url") && !e.contains("hunter2"), "{e}");
        let e = parse("client-id: { env: A }, client-secret: hunter2, refresh-token: { env: C }")
            .unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
        assert!(
            parse("client-id: { env: A }, client-secret: { env: B }, refresh-token: { env: C }")
                .is_ok()
        );
    }
}
