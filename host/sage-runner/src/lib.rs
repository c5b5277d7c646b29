//! `wharf-sage-runner`: the on-premises Sage runner. It sits beside the customer's Sage 50 (the
//! embedded ledger, or a real Sage 50 through the SDO agent), makes outbound connections only,
//! and takes the Sage jobs a cloud run sends it through the customer's SQS jobs queue and S3
//! bucket (the contract is [`wharf_sage::queue`]): it runs each job's Sage component against
//! that company and sends the result back on the results queue, so that the cloud run resumes.
//!
//! - [`config`]: the configuration file.
//! - [`runner`]: the loop — long poll, download, run with a heartbeat, record, upload, send,
//!   delete — and what it does with redelivered jobs and after a crash.
//! - [`sage`]: the Sage 50 company the jobs import into — the embedded ledger, or a real Sage
//!   through `wharf-sage-agent`.
//! - [`claim`]: which of several runners holding the same job message runs it.
//! - [`state`]: the runner's own bookkeeping of jobs it finished and how far their
//!   acknowledgement got.
//!
//! Test-only: the environment variable [`runner::TEST_CRASH_ENV`] makes the runner exit at a
//! chosen point of delivering an answer (see there).

pub mod aws;
pub mod claim;
pub mod config;
pub mod runner;
pub mod sage;
pub mod shutdown;
pub mod state;

pub use config::{Config, ConfigError};
pub use runner::{Runner, RunnerError};
