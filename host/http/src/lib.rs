//! The `http` host capability: task components reach a web server through a named connection
//! their workflow grants (`grants: ["http:shop"]`). Connections are defined outside workflows
//! (the `http:` section of the connections file, beside `sftp:`); a component reaches only its
//! connection's origin, at addresses the policy allows, and never sees its credentials.
//!
//! Why a small `wharf:task/http` interface rather than `wasi:http/outgoing-handler`:
//! `wit/README.md`.

mod bindings;
mod capability;
mod client;
mod connections;
mod lwa;
mod magento;
mod policy;
mod throttle;
mod tokens;

pub use capability::{HttpCapability, HttpGrant, NOT_PERMITTED};
pub use client::{
    Answer, BODY_START_BYTES, CallLimits, Charge, FailureKind, HttpClient, HttpFailure, Outgoing,
    RequestBody,
};
pub use connections::{Auth, HttpConnection, HttpConnections};
pub use lwa::{ACCESS_TOKEN_HEADER, DEFAULT_TOKEN_URL, LwaFlow, LwaSettings};
pub use magento::{DEFAULT_TOKEN_PATH, MagentoAdminSettings, MagentoAdminToken};
pub use policy::{Policy, Refused, special};
pub use tokens::{Minted, TokenCache, TokenError, TokenFlow};
