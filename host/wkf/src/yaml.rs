//! The shapes written: a Wharf workflow file and a connections file (serialised with
//! serde-saphyr, read back by the engine and the capabilities).

use crate::schedule::ScheduleYaml;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct WorkflowYaml {
    pub name: String,
    pub id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleYaml>,
    pub resume_on_failure: bool,
    pub use_mutex: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<HistoryYaml>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, String>,
    pub tasks: Vec<NodeYaml>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryYaml {
    pub keep: &'static str,
    pub number: u32,
}

fn is_true(b: &bool) -> bool {
    *b
}

/// A task or a container.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct NodeYaml {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "is_true")]
    pub enabled: bool,
    #[serde(skip_serializing_if = "is_true")]
    pub break_on_failure: bool,
    #[serde(skip_serializing_if = "is_true")]
    pub can_resume: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equal_to: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub settings: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tasks: Option<Vec<NodeYaml>>,
}

/// A secret's source as the connections file takes it: an environment variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvRef {
    pub env: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct SftpConnectionYaml {
    pub server: String,
    pub port: u16,
    pub username: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<EnvRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_key_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passphrase: Option<EnvRef>,
    /// Zynk did not pin server keys; Wharf refuses an unknown one.
    pub known_hosts: String,
}

/// The http capability's `auth:` forms an import writes (host/http/src/connections.rs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthYaml {
    Basic {
        username: String,
        password: EnvRef,
    },
    /// A named header holding the secret (BigCommerce's `X-Auth-Token`).
    Header {
        name: String,
        value: EnvRef,
    },
    /// A Magento 2 admin token the host mints from a user and password.
    MagentoAdmin {
        username: String,
        password: EnvRef,
    },
    /// Login with Amazon (Selling Partner API).
    Lwa {
        #[serde(rename = "client-id")]
        client_id: EnvRef,
        #[serde(rename = "client-secret")]
        client_secret: EnvRef,
        #[serde(rename = "refresh-token")]
        refresh_token: EnvRef,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct HttpConnectionYaml {
    pub base_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthYaml>,
    /// Origins besides `base-url`'s tasks may reach (Amazon's feed documents).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_origins: Vec<String>,
}

/// An SMTP connection (host/email/src/connections.rs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct EmailConnectionYaml {
    pub server: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// `starttls`, `tls` or `none`.
    pub security: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<EnvRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
}

/// An FTP connection (docs/ftp.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct FtpConnectionYaml {
    pub server: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    pub username: String,
    pub password: EnvRef,
    pub tls: bool,
    pub passive: bool,
    pub binary: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ConnectionsYaml {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub sftp: BTreeMap<String, SftpConnectionYaml>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub http: BTreeMap<String, HttpConnectionYaml>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub ftp: BTreeMap<String, FtpConnectionYaml>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub email: BTreeMap<String, EmailConnectionYaml>,
}

impl ConnectionsYaml {
    pub fn is_empty(&self) -> bool {
        self.sftp.is_empty() && self.http.is_empty() && self.ftp.is_empty() && self.email.is_empty()
    }
}
