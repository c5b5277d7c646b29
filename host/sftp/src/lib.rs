//! The `sftp` host capability: task components reach a remote SFTP server through a named
//! connection their workflow grants (`grants: ["sftp:shop"]`). Connections are defined outside
//! workflows ([`Connections`], a YAML file with secrets from the environment or secrets files);
//! a component sees only the connection its grant names, never its credentials.
//!
//! One live SSH session per connection serves every task of the runtime (the tasks of a run),
//! and is replaced transparently when it breaks.

mod bindings;
mod capability;
mod client;
mod connections;

pub use capability::{
    NOT_PERMITTED, SftpCapability, SftpGrant, downloads_durable, symbolic_link_on,
};
pub use client::{
    Charge, FailureKind, RemoteEntry, SftpClient, SftpFailure, join as join_remote, partial_name,
    split as split_remote, temp_beside,
};
pub use connections::{
    ClientPool, Connections, ConnectionsError, NamedConnection, NamedConnections, SECTIONS, Secret,
    SecretSource, SecretStore, SftpConnection, granted_connection, install_secret_store,
    load_connections_file, parse_connections_yaml, unknown_connection,
};
