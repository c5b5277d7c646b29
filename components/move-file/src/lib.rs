//! Move File: moves a file inside the working directory without ever losing it: a rename,
//! or, where the rename is refused, a synced copy after which the input is deleted.
//! The work is [`wharf_guest::fs::run_transfer_task`], shared with `copy-file`.

use wharf_guest::{
    SettingSpec, Settings, Task, TaskInfo, TaskResult,
    fs::{Transfer, run_transfer_task},
};

/// The component; exported to the host on WebAssembly.
pub struct MoveFile;

impl Task for MoveFile {
    fn describe() -> TaskInfo {
        TaskInfo::new(
            "move-file",
            "Moves a file, creating the output's folders if needed.",
        )
        .setting(
            SettingSpec::file("input-file", "The file to move.")
                .required()
                .non_empty(),
        )
        .setting(
            SettingSpec::file("output-file", "Where to move it.")
                .required()
                .non_empty(),
        )
        .setting(
            SettingSpec::boolean("overwrite", "Replace the output file if it exists.")
                .with_default("true"),
        )
    }

    fn run(settings: Vec<(String, String)>) -> TaskResult {
        let settings = Settings::new(settings).with_defaults(&Self::describe().settings);
        run_transfer_task(&settings, Transfer::Move)
    }
}

wharf_guest::export_task!(MoveFile);

#[cfg(test)]
mod tests;
