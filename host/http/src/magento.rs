//! The Magento 2 admin token: the connection's admin user and password are exchanged at
//! `POST <base-url>rest/default/V1/integration/admin/token` (JSON `{"username", "password"}`,
//! answered with the token as a JSON string) for a token sent as `Authorization: Bearer …`.
//! Magento ends admin tokens after a configured time (4 hours by default) and then answers 401:
//! the token is minted again and the request sent once more. Integration tokens are no longer
//! accepted as bearer tokens by default since Magento 2.4.4, hence the login.

use serde::Deserialize;
use url::Url;
use wharf_sftp::SecretSource;

use crate::tokens::{Minted, TokenError, TokenFlow, read_answer};

/// Where the admin token is minted, relative to the connection's base URL (the shop's root).
pub const DEFAULT_TOKEN_PATH: &str = "rest/default/V1/integration/admin/token";

/// The connection's admin login (`auth: { magento-admin: { … } }`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct MagentoAdminSettings {
    pub username: String,
    pub password: SecretSource,
    /// Relative to `base-url`; stays on its origin.
    #[serde(default = "default_token_path")]
    pub token_path: String,
}

fn default_token_path() -> String {
    DEFAULT_TOKEN_PATH.to_owned()
}

impl MagentoAdminSettings {
    /// The token URL, which must stay on the base URL's origin.
    pub fn token_url(&self, base: &Url) -> Result<Url, String> {
        let path = self.token_path.trim_start_matches('/');
        let url = base
            .join(path)
            .map_err(|e| format!("`token-path` `{}`: {e}", self.token_path))?;
        if url.origin() != base.origin() || self.token_path.contains("://") {
            return Err(format!(
                "`token-path` `{}` leaves the connection's origin: give a path relative to `base-url`",
                self.token_path
            ));
        }
        Ok(url)
    }
}

pub struct MagentoAdminToken {
    settings: MagentoAdminSettings,
}

impl MagentoAdminToken {
    pub fn new(settings: MagentoAdminSettings) -> Self {
        MagentoAdminToken { settings }
    }
}

#[async_trait::async_trait]
impl TokenFlow for MagentoAdminToken {
    fn describe(&self) -> &'static str {
        "the Magento admin token"
    }

    fn header_name(&self) -> &'static str {
        "authorization"
    }

    fn header_value(&self, token: &str) -> String {
        format!("Bearer {token}")
    }

    async fn mint(&self, client: &reqwest::Client, base: &Url) -> Result<Minted, TokenError> {
        let url = self.settings.token_url(base).map_err(TokenError::Refused)?;
        let password = self
            .settings
            .password
            .read()
            .map_err(|e| TokenError::Refused(format!("the Magento admin password: {e}")))?;
        let what = format!("the Magento admin login of `{}`", self.settings.username);
        let body = serde_json::json!({
            "username": self.settings.username,
            "password": password.expose(),
        });
        let response = client
            .post(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| TokenError::Unreachable(format!("{what} at {url} failed: {e}")))?;
        let (status, body) = read_answer(response, &what, &url).await?;
        if status == 429 || status >= 500 {
            return Err(TokenError::Unreachable(format!(
                "{what} at {url} answered status {status}"
            )));
        }
        if status != 200 {
            // Magento's error answer names the cause (`message`); it never holds the password.
            let message = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_owned))
                .unwrap_or_else(|| "no message".into());
            return Err(TokenError::Refused(format!(
                "{what} at {url} was refused (status {status}: {message}); check the connection's `username` and `password`"
            )));
        }
        let token: String = serde_json::from_slice(&body).map_err(|_| {
            TokenError::Refused(format!(
                "{what} at {url} answered something that is not a token (a JSON string)"
            ))
        })?;
        Ok(Minted {
            token,
            // Magento's lifetime is its own setting: renewed when refused.
            lifetime: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_url_stays_on_the_connections_origin() {
        let base = Url::parse("https://shop.example/").unwrap();
        let settings = |path: &str| MagentoAdminSettings {
            username: "wharf".into(),
            password: SecretSource::Env("X".into()),
            token_path: path.into(),
        };
        assert_eq!(
            settings(DEFAULT_TOKEN_PATH)
                .token_url(&base)
                .unwrap()
                .as_str(),
            "https://shop.example/rest/default/V1/integration/admin/token"
        );
        assert_eq!(
            settings("/rest/V1/integration/admin/token")
                .token_url(&base)
                .unwrap()
                .as_str(),
            "https://shop.example/rest/V1/integration/admin/token"
        );
        for bad in ["https://evil.example/token", "http://shop.example/token"] {
            let e = settings(bad).token_url(&base).unwrap_err();
            assert!(e.contains("leaves the connection's origin"), "{e}");
        }
    }
}
