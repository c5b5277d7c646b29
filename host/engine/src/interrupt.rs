//! A request to stop, raised from outside the run (the `wharf` command on SIGINT or SIGTERM):
//! the running task traps at its next epoch check and the engine starts no further task, so
//! the run still records how it ended, releases its lock and cleans up after the task.

use std::sync::{Arc, OnceLock};

/// Cheap to clone; every clone sees the same request.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<OnceLock<String>>);

impl Interrupt {
    /// Asks the run to stop; `why` names the cause (e.g. `SIGTERM`). The first cause stays.
    pub fn raise(&self, why: &str) {
        let _ = self.0.set(why.to_string());
    }

    /// The cause, once raised.
    pub fn raised(&self) -> Option<&str> {
        self.0.get().map(String::as_str)
    }
}
