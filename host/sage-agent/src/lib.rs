//! `wharf-sage-agent`: the process that does the Sage Data Objects (SDO) calls on the Sage 50
//! machine, and the runner's side of it.
//!
//! - [`protocol`]: the versioned JSON-lines protocol on the agent's stdin and stdout.
//! - [`sdo`]: the SDO call shapes (connect, version probe, retries, records, `SOPPost`,
//!   allocation, the order's key) over any late-bound [`sdo::Automation`].
//! - `com` (Windows only): that automation through COM `IDispatch`.
//! - [`fake`]: a fake Sage 50 behind the same object model, for tests and demonstrations.
//! - [`fields`]: Wharf's records as SDO field maps (the runner's business, not the agent's).
//! - [`bitness`]: which bitness a Windows build of the agent is (it must match SDO's).
//! - [`backend`]: [`backend::SdoBackend`], the runner's `SageBackend` over an agent (a child
//!   process it can kill when a call hangs, in process, or a recorded transcript).
//!
//! docs/sage50.md covers set-up on the Sage machine and what was verified only against the fake.

pub mod backend;
pub mod bitness;
#[cfg(windows)]
pub mod com;
pub mod fake;
pub mod fields;
pub mod protocol;
pub mod sdo;
