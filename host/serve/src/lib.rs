//! `wharf serve`: the workflows of a data folder — or a customer's cloud runs in a bucket — and
//! their runs as web pages, with buttons that resume a failed run or run a workflow again, and
//! a running run's progress as server-sent events (docs/serve.md).
//!
//! Pages only read (run records, checkpoints, archives, fail files); a run is started as its
//! own `wharf run` process, so the server never holds a workflow's lock itself. Cloud runs are
//! started by the function, not here: their pages give the command that does.
//! Requests that change state carry the token printed at start-up: as the cookie that opening
//! the printed address sets, or as `Authorization: Bearer <token>`.

mod pages;
mod runs;
mod source;

use axum::Router;
use axum::routing::{get, post};
use std::ffi::OsString;
use std::sync::Arc;

pub use runs::{RunRow, WorkflowRow, list_workflows};
pub use source::{CloudCommands, Source};
pub use wharf_s3_store::S3StoreConfig;

/// What the server needs to know.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Where the workflows shown are: a data folder, or a customer's bucket.
    pub source: Source,
    /// The token that requests changing state must carry.
    pub token: String,
    /// The `wharf` command (program and global options) that `run <workflow>` is appended to
    /// when a button starts a run.
    pub runner: Vec<OsString>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("listening on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("serving: {0}")]
    Serve(std::io::Error),
    #[error("the serve token must be at least 16 characters (it guards starting runs)")]
    WeakToken,
    #[error("a page template: {0}")]
    Template(String),
}

/// A fresh random token (128 bits, hex).
pub fn new_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The pages and actions over `config.source`. A bucket's pages need a multi-thread tokio
/// runtime (its S3 stores run on it).
pub fn router(config: ServeConfig) -> Result<Router, ServeError> {
    if config.token.chars().count() < 16 {
        return Err(ServeError::WeakToken);
    }
    let state = Arc::new(pages::App::new(config)?);
    Ok(Router::new()
        .route("/", get(pages::workflows))
        .route("/w/{workflow}", get(pages::workflow))
        .route("/w/{workflow}/start", post(pages::start))
        .route("/w/{workflow}/runs/{run}", get(pages::run))
        .route("/w/{workflow}/runs/{run}/archive", get(pages::archive))
        .route("/w/{workflow}/runs/{run}/events", get(pages::events))
        .with_state(state))
}

/// Serves `config` on `listener` until the process ends.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: ServeConfig,
) -> Result<(), ServeError> {
    let app = router(config)?;
    axum::serve(listener, app).await.map_err(ServeError::Serve)
}

/// Binds `addr` (e.g. `127.0.0.1:8420`).
pub async fn bind(addr: &str) -> Result<tokio::net::TcpListener, ServeError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Listen {
            addr: addr.to_owned(),
            source,
        })
}
