//! The `ftp` host capability: task components reach a remote FTP or FTPS server through a
//! named connection their workflow grants (`grants: ["ftp:drop"]`). Connections are defined
//! outside workflows (the `ftp:` section of the connections file); a component sees only the
//! connection its grant names, never its credentials. Behaviour: docs/ftp.md.
//!
//! The operations, their failures and the temporary-name rule are SFTP's (`wharf_sftp`), so
//! the FTP and SFTP task components share one implementation. One live control connection per
//! connection serves every task of the runtime, and is replaced when it breaks.

mod bindings;
mod capability;
mod client;
mod connections;

pub use capability::{FtpCapability, FtpGrant, NOT_PERMITTED};
pub use client::FtpClient;
pub use connections::{FtpConnection, FtpConnections};
