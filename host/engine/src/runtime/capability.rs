//! Host capabilities beyond the working directory, provided by other crates (Sage ledger, SFTP
//! connections, …). A capability adds its WIT interface to the linker once; a task gets the
//! capability's per-call state only when its workflow grants it (`grants: [sage]`, or with an
//! argument, `grants: ["sftp:shop"]`). An ungranted task reaches the capability's default
//! (denied) state, whose calls answer "not permitted".

use super::sandbox::TaskState;
use crate::storage::{Storage, TruthStore};
use std::any::{Any, TypeId};
use std::path::Path;
use std::sync::Arc;
use wasmtime::component::Linker;

/// What a capability may use when granting itself to one task call.
pub struct GrantContext<'a> {
    /// The part of the grant after `name:`, e.g. the connection name of `sftp:shop`.
    pub argument: Option<&'a str>,
    pub task_id: &'a str,
    /// The run's lineage: the first run of its chain of resumed runs (see `RunRecord::lineage`).
    pub run_lineage: &'a str,
    /// The run itself (a resumed run has its own id and its chain's lineage).
    pub run_id: &'a str,
    /// The task's time limit: a capability that may wait (for a lock, say) waits no longer.
    pub timeout: std::time::Duration,
    pub task_label: &'a str,
    pub workdir: &'a Path,
    pub storage: &'a Arc<dyn Storage>,
    pub truth: &'a Arc<dyn TruthStore>,
}

/// Per-call state of a granted capability, stored in the task's store.
pub type Extension = (TypeId, Box<dyn Any + Send>);

pub trait Capability: Send + Sync + 'static {
    /// The name used in `grants:` and in a component's `capabilities` list.
    fn name(&self) -> &str;
    /// Adds the capability's host interface(s); called once per runtime.
    fn add_to_linker(&self, linker: &mut Linker<TaskState>) -> wasmtime::Result<()>;
    /// Checks a grant as written in a workflow (for `wharf validate`).
    fn check_grant(&self, argument: Option<&str>) -> Result<(), String> {
        match argument {
            None => Ok(()),
            Some(a) => Err(format!("`{}` takes no argument (got `{a}`)", self.name())),
        }
    }
    /// The state a granted task's calls see.
    fn grant(&self, ctx: &GrantContext<'_>) -> Result<Extension, String>;
}

/// Wraps a value as an [`Extension`].
pub fn extension<T: Any + Send>(value: T) -> Extension {
    (TypeId::of::<T>(), Box::new(value))
}

impl TaskState {
    /// The state of capability type `T` for this call: what its grant produced, or `T::default()`
    /// (the denied state) when the task was not granted it.
    pub fn extension<T: Any + Send + Default>(&mut self) -> &mut T {
        let id = TypeId::of::<T>();
        let index = match self.extensions.iter().position(|(t, _)| *t == id) {
            Some(i) => i,
            None => {
                self.extensions.push(extension(T::default()));
                self.extensions.len() - 1
            }
        };
        self.extensions[index]
            .1
            .downcast_mut::<T>()
            .expect("extension stored under its own type id")
    }
}

/// Splits `name:argument`.
pub fn parse_grant(grant: &str) -> (&str, Option<&str>) {
    match grant.split_once(':') {
        Some((n, a)) => (n, Some(a)),
        None => (grant, None),
    }
}
