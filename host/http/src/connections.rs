//! Named HTTP connections, in the same connections file as SFTP's (section `http:`):
//!
//! ```yaml
//! http:
//!   shop:
//!     base-url: https://shop.example.co.uk/zynk/    # the origin tasks may reach, and where
//!                                                  # relative URLs start
//!     auth: { basic: { username: zynk, password: { env: SHOP_HTTP_PASSWORD } } }
//!     # auth: { bearer: { env: SHOP_TOKEN } }
//!     # auth: { header: { name: X-Api-Key, value: { file: /run/secrets/shop-key } } }
//!     # extra-ca-file: shop-ca.pem      proxy: http://proxy.local:3128
//!     # allow-addresses: [10.0.0.5]     # addresses beyond public ones the name may resolve to
//!     # same-origin-redirects: true     # otherwise a redirect is answered, not followed
//!     # connect-timeout-seconds: 15  timeout-seconds: 60  retries: 3  max-requests: 10000
//!   amazon:
//!     base-url: https://sellingpartnerapi-eu.amazon.com/
//!     auth: { lwa: { client-id: { env: LWA_ID }, client-secret: { env: LWA_SECRET },
//!                    refresh-token: { file: /run/secrets/amazon } } }
//!     # Feed documents go to pre-signed S3 URLs: reachable, never sent the access token.
//!     extra-origins: [https://tortuga-prod-eu.s3-eu-west-1.amazonaws.com]
//! ```
//!
//! Secrets come only from `{ env: }` / `{ file: }` (as for SFTP), are read when a request is
//! made, and never appear in logs, run records or messages. Relative paths are relative to the
//! connections file's folder.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;
use wharf_sftp::{ConnectionsError, SecretSource, load_connections_file, parse_connections_yaml};

use crate::lwa::{ACCESS_TOKEN_HEADER, LwaSettings};
use crate::magento::MagentoAdminSettings;

const SECRET_IN_URL: &str = "`base-url` holds credentials (`USER:PASSWORD@HOST`): give them in `auth`, secrets as `{ env: NAME }` or `{ file: PATH }`";

/// How requests of a connection authenticate. The host adds the credential; tasks never see it.
///
/// Token flows (a Magento admin token minted from a user and password and renewed on 401,
/// Amazon's LWA refresh-token exchange cached until expiry) join as further variants: each
/// turns its secrets into a header value ([`crate::HttpClient`] asks [`Auth::header`] per
/// attempt), with its own cache and renewal.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Auth {
    #[default]
    None,
    /// `Authorization: Basic …`.
    Basic {
        username: String,
        password: SecretSource,
    },
    /// `Authorization: Bearer …`.
    Bearer(SecretSource),
    /// A named header holding the secret, e.g. `X-Api-Key`.
    Header { name: String, value: SecretSource },
    /// Login with Amazon: a refresh token exchanged for an access token, cached until it
    /// expires, sent as `x-amz-access-token` ([`crate::lwa`]).
    Lwa(LwaSettings),
    /// A Magento 2 admin token minted from a user and password, sent as
    /// `Authorization: Bearer …` and minted again when Magento answers 401 ([`crate::magento`]).
    MagentoAdmin(MagentoAdminSettings),
}

impl Auth {
    /// The header name the credential goes in (tasks may not set it themselves).
    pub fn header_name(&self) -> Option<&str> {
        match self {
            Auth::None => None,
            Auth::Basic { .. } | Auth::Bearer(_) => Some("authorization"),
            Auth::Header { name, .. } => Some(name),
            Auth::Lwa(_) => Some(ACCESS_TOKEN_HEADER),
            Auth::MagentoAdmin(_) => Some("authorization"),
        }
    }

    fn resolve(&mut self, base: &Path) {
        let secrets = match self {
            Auth::None => return,
            Auth::Basic { password, .. } => vec![password],
            Auth::Bearer(token) => vec![token],
            Auth::Header { value, .. } => vec![value],
            Auth::Lwa(lwa) => lwa.secrets_mut().into(),
            Auth::MagentoAdmin(magento) => vec![&mut magento.password],
        };
        for secret in secrets {
            if let SecretSource::File(path) = secret {
                *path = base.join(&*path);
            }
        }
    }
}

/// One HTTP connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct HttpConnection {
    /// `http://` or `https://`, host, optional port and path; no credentials.
    #[serde(deserialize_with = "url")]
    pub base_url: Url,
    #[serde(default)]
    pub auth: Auth,
    /// A PEM file of CA certificates trusted besides the system's.
    #[serde(default)]
    pub extra_ca_file: Option<PathBuf>,
    /// A proxy every request of this connection goes through.
    #[serde(default, deserialize_with = "optional_url")]
    pub proxy: Option<Url>,
    /// Addresses the host name may resolve to although they are loopback, link-local or
    /// otherwise special (an address literal in `base-url` is allowed by being named there).
    #[serde(default)]
    pub allow_addresses: Vec<IpAddr>,
    /// Origins besides `base-url`'s that tasks may reach (e.g. Amazon's pre-signed feed
    /// document URLs); requests to them never carry the connection's credential.
    #[serde(default, deserialize_with = "origins")]
    pub extra_origins: Vec<Url>,
    /// Follow redirects that stay on the origin (at most 5); others are never followed.
    #[serde(default)]
    pub same_origin_redirects: bool,
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_seconds: u64,
    /// Each attempt's limit, from connecting to the last byte of the body.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    /// Retries of network errors, timeouts, 429 and 503.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Requests (attempts) one task call may make.
    #[serde(default = "default_max_requests")]
    pub max_requests: u64,
}

// By hand: the parser's error never echoes the text, which may hold a password.
fn url<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Url, D::Error> {
    let text = String::deserialize(d)?;
    Url::parse(&text).map_err(|e| serde::de::Error::custom(format!("not a URL: {e}")))
}

fn origins<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Url>, D::Error> {
    let texts = Vec::<String>::deserialize(d)?;
    texts
        .iter()
        .map(|text| {
            let url = Url::parse(text)
                .map_err(|e| serde::de::Error::custom(format!("`extra-origins`: not a URL: {e}")))?;
            let bare = url.path() == "/" && url.query().is_none() && url.fragment().is_none();
            if !matches!(url.scheme(), "http" | "https")
                || url.host().is_none()
                || !url.username().is_empty()
                || url.password().is_some()
                || !bare
            {
                return Err(serde::de::Error::custom(
                    "`extra-origins` holds origins only: `https://host[:port]`, no path, query or credentials",
                ));
            }
            Ok(url)
        })
        .collect()
}

fn optional_url<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Url>, D::Error> {
    url(d).map(Some)
}

fn default_connect_timeout() -> u64 {
    15
}
fn default_timeout() -> u64 {
    60
}
fn default_retries() -> u32 {
    3
}
fn default_max_requests() -> u64 {
    10_000
}

impl HttpConnection {
    /// A connection to `base_url` with the defaults (for callers that build connections in code).
    pub fn new(base_url: Url) -> Self {
        HttpConnection {
            base_url,
            auth: Auth::None,
            extra_ca_file: None,
            proxy: None,
            allow_addresses: Vec::new(),
            extra_origins: Vec::new(),
            same_origin_redirects: false,
            connect_timeout_seconds: default_connect_timeout(),
            timeout_seconds: default_timeout(),
            retries: default_retries(),
            max_requests: default_max_requests(),
        }
    }

    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_seconds.max(1))
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_seconds.max(1))
    }

    fn check(&self) -> Result<(), String> {
        let url = &self.base_url;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(SECRET_IN_URL.into());
        }
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "`base-url` must be http:// or https://, not `{}:`",
                url.scheme()
            ));
        }
        if url.host().is_none() {
            return Err("`base-url` names no host".into());
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err("`base-url` must not hold a query or fragment (tasks add them)".into());
        }
        if let Some(proxy) = &self.proxy
            && (!proxy.username().is_empty() || proxy.password().is_some())
        {
            return Err(
                "`proxy` holds credentials; a proxy with a password is not supported yet".into(),
            );
        }
        if let Auth::Header { name, .. } = &self.auth
            && reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err()
        {
            return Err(format!("`auth.header.name` `{name}` is not a header name"));
        }
        if let Auth::MagentoAdmin(magento) = &self.auth {
            magento.token_url(&self.base_url)?;
        }
        if self.max_requests == 0 {
            return Err("`max-requests` must be at least 1".into());
        }
        Ok(())
    }

    fn resolve(&mut self, base: &Path) {
        if let Some(path) = &mut self.extra_ca_file {
            *path = base.join(&*path);
        }
        self.auth.resolve(base);
        // Relative URLs join onto the base's folder: `…/zynk` would lose `zynk`.
        if !self.base_url.path().ends_with('/') {
            let path = format!("{}/", self.base_url.path());
            self.base_url.set_path(&path);
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectionsFile {
    /// SFTP's section, read by `wharf_sftp::Connections`.
    #[serde(default)]
    #[allow(dead_code)]
    sftp: serde::de::IgnoredAny,
    #[serde(default)]
    http: BTreeMap<String, HttpConnection>,
    /// The `email` and `ftp` sections, read by `wharf_email` and `wharf_ftp`.
    #[serde(default)]
    #[allow(dead_code)]
    email: serde::de::IgnoredAny,
    #[serde(default)]
    #[allow(dead_code)]
    ftp: serde::de::IgnoredAny,
}

/// The HTTP connections a runtime may grant, by name.
#[derive(Debug, Clone, Default)]
pub struct HttpConnections {
    http: BTreeMap<String, HttpConnection>,
}

impl HttpConnections {
    /// Reads the connections file; a missing file means no connections.
    pub fn load(path: &Path) -> Result<HttpConnections, ConnectionsError> {
        load_connections_file(path, HttpConnections::parse)
    }

    /// Parses connections; relative paths are taken from `base`.
    pub fn parse(text: &str, base: &Path) -> Result<HttpConnections, String> {
        // A URL that fails to parse may hold a password: the parser's errors never quote it.
        let file: ConnectionsFile = parse_connections_yaml(text)?;
        let mut http = file.http;
        for (name, connection) in &mut http {
            connection
                .check()
                .map_err(|e| format!("http connection `{name}`: {e}"))?;
            connection.resolve(base);
        }
        Ok(HttpConnections { http })
    }

    /// Adds or replaces a connection (for callers that build connections in code).
    pub fn insert(&mut self, name: impl Into<String>, mut connection: HttpConnection) {
        connection.resolve(Path::new("."));
        self.http.insert(name.into(), connection);
    }

    pub fn get(&self, name: &str) -> Option<&HttpConnection> {
        self.http.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.http.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOP: &str = "
sftp:
  files:
    server: 127.0.0.1
    username: zynk
    password: { env: X }
    host-key: SHA256:x
http:
  shop:
    base-url: https://shop.example.co.uk/zynk
    auth: { basic: { username: zynk, password: { file: secrets/shop } } }
    allow-addresses: [10.0.0.5]
    retries: 1
  api:
    base-url: http://127.0.0.1:8080/
    auth: { header: { name: X-Api-Key, value: { env: WHARF_TEST_NEVER_SET } } }
";

    #[test]
    fn parses_connections_beside_sftp_and_resolves_paths() {
        let c = HttpConnections::parse(SHOP, Path::new("/etc/wharf")).unwrap();
        let shop = c.get("shop").unwrap();
        assert_eq!(shop.base_url.as_str(), "https://shop.example.co.uk/zynk/");
        assert_eq!(shop.retries, 1);
        assert_eq!(shop.timeout_seconds, 60);
        assert_eq!(
            shop.allow_addresses,
            ["10.0.0.5".parse::<IpAddr>().unwrap()]
        );
        match &shop.auth {
            Auth::Basic { username, password } => {
                assert_eq!(username, "zynk");
                assert_eq!(
                    password,
                    &SecretSource::File("/etc/wharf/secrets/shop".into())
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(c.get("api").unwrap().auth.header_name(), Some("X-Api-Key"));
        assert_eq!(c.names().collect::<Vec<_>>(), ["api", "shop"]);
        // And SFTP's reader accepts the same file.
        let sftp = wharf_sftp::Connections::parse(SHOP, Path::new("/etc/wharf")).unwrap();
        assert!(sftp.sftp("files").is_some());
    }

    #[test]
    fn credentials_are_refused_without_being_echoed() {
        for text in [
            "http:\n  shop:\n    base-url: https://u:hunter2@shop.example/\n",
            "http:\n  shop:\n    base-url: https://shop.example/\n    auth: { bearer: hunter2 }\n",
            "http:\n  shop:\n    base-url: https://shop.example/\n    auth: { basic: { username: u, password: hunter2 } }\n",
        ] {
            let e = HttpConnections::parse(text, Path::new(".")).unwrap_err();
            assert!(!e.contains("hunter2"), "the secret is not echoed: {e}");
            assert!(e.contains("env") || e.contains("shop"), "{e}");
        }
    }

    #[test]
    fn bad_connections_are_refused_with_the_reason() {
        for (text, says) in [
            (
                "http:\n  shop:\n    base-url: ftp://shop.example/\n",
                "http:// or https://",
            ),
            (
                "http:\n  shop:\n    base-url: https://shop.example/?a=1\n",
                "query",
            ),
            (
                "http:\n  shop:\n    base-url: https://shop.example/\n    max-requests: 0\n",
                "max-requests",
            ),
            (
                "http:\n  shop:\n    base-url: https://shop.example/\n    auth: { header: { name: \"a b\", value: { env: X } } }\n",
                "not a header name",
            ),
            (
                "http:\n  shop:\n    base-url: https://shop.example/\n    retires: 3\n",
                "retires",
            ),
        ] {
            let e = HttpConnections::parse(text, Path::new(".")).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }

    #[test]
    fn an_lwa_connection_reads_its_secrets_and_extra_origins() {
        let text = "
http:
  amazon:
    base-url: https://sellingpartnerapi-eu.amazon.com
    auth:
      lwa:
        token-url: http://127.0.0.1:9/auth/o2/token
        client-id: { env: LWA_ID }
        client-secret: { env: LWA_SECRET }
        refresh-token: { file: secrets/amazon }
    extra-origins: [https://tortuga-prod-eu.s3-eu-west-1.amazonaws.com]
";
        let c = HttpConnections::parse(text, Path::new("/etc/wharf")).unwrap();
        let amazon = c.get("amazon").unwrap();
        assert_eq!(amazon.auth.header_name(), Some("x-amz-access-token"));
        let Auth::Lwa(lwa) = &amazon.auth else {
            panic!("{:?}", amazon.auth)
        };
        assert_eq!(lwa.token_url.as_str(), "http://127.0.0.1:9/auth/o2/token");
        assert_eq!(
            lwa.refresh_token,
            SecretSource::File("/etc/wharf/secrets/amazon".into())
        );
        assert_eq!(amazon.extra_origins.len(), 1);
        for origins in [
            "[https://a.example/path]",
            "[ftp://a.example]",
            "[https://u:p@a.example]",
        ] {
            let text = format!(
                "http:\n  a:\n    base-url: https://b.example/\n    extra-origins: {origins}\n"
            );
            let e = HttpConnections::parse(&text, Path::new(".")).unwrap_err();
            assert!(
                e.contains("extra-origins") && !e.contains("u:p"),
                "{origins}: {e}"
            );
        }
    }

    #[test]
    fn a_missing_file_means_no_connections() {
        let c = HttpConnections::load(Path::new("/nonexistent/connections.yaml")).unwrap();
        assert_eq!(c.names().count(), 0);
    }
}
