//! The `sage` host capability: Sage 50 UK ledger operations for Wharf task components.
//!
//! Register [`SageCapability`] with the runtime (`Runtime::with_capabilities`) and a workflow
//! can grant it to the Sage tasks (`grants: [sage]`). Its WIT interface (`wit/sage.wit`) is
//! coarse — import a document, export stock records — so the same components can later reach a
//! real Sage 50 through the on-premises runner. Here the backend is the embedded ledger of
//! `sage_ledger`, in one SQLite file; duplicate prevention and ID links use the workflow's
//! truth store ([`truth::EngineTruth`]), with the ledger's truth journal covering a process
//! killed between a ledger commit and its truth row.
//!
//! [`job`] makes one run of a Sage task a serialisable job (component, settings, input files,
//! truth in; output files, truth updates, result out); [`queue`] is how jobs travel to the
//! on-premises runner and their results come back (S3 layout, SQS message bodies).

mod bindings;
mod capability;
mod convert;
pub mod job;
pub mod queue;
pub mod truth;

pub use bindings::sage;
pub use capability::{
    EmbeddedLedger, NOT_PERMITTED, SageCapability, SageConnector, SageGrant, Session, create_parent,
};
pub use convert::{cursor_text, parse_cursor};
pub use job::{JobError, JobFile, JobRunner, SageJob, SageJobResult, TruthUpdate};
pub use queue::{JobMessage, JobOutcome, ResultMessage};

#[cfg(test)]
mod tests;
