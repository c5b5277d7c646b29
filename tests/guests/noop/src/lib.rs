//! A task that does nothing and succeeds: what remains of a run is the host's per-task
//! overhead (instantiation, settings, result), which benchmarks measure with it.

use wharf_guest::{SettingSpec, Task, TaskInfo, TaskResult};

/// The component; exported to the host on WebAssembly.
pub struct Noop;

impl Task for Noop {
    fn describe() -> TaskInfo {
        TaskInfo::new(
            "noop",
            "Does nothing and succeeds (for measuring per-task overhead).",
        )
        .setting(SettingSpec::text("note", "Free text; ignored."))
    }

    fn run(_settings: Vec<(String, String)>) -> TaskResult {
        TaskResult::success("")
    }
}

wharf_guest::export_task!(Noop);
