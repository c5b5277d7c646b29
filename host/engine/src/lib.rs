//! Wharf's engine: the WIT task contract's host side, the sandboxed wasmtime runtime, the
//! workflow model and its executor, and the storage seam.

pub mod blocking;
pub mod checkpoint;
pub mod durability;
pub mod engine;
pub mod identity;
pub mod interrupt;
pub mod limits;
pub mod notice;
pub mod record;
pub mod runtime;
pub mod schedule;
pub mod settings;
pub mod storage;
pub mod suspend;
pub mod template;
pub mod workflow;

pub use engine::{
    ComponentSource, Described, Engine, EngineError, LazyComponents, NoProgress, Prepared,
    Progress, Recovery, RunOptions, RunOutcome, Suspended,
};
pub use record::{ResultCode, RunRecord, TaskRecord};
pub use runtime::{Runtime, RuntimeConfig};
pub use workflow::Workflow;
