//! Copy File: copies a file inside the working directory. The copy is written under a
//! temporary name, synced and renamed into place, so a reader never sees half a file.
//! The work is [`wharf_guest::fs::run_transfer_task`], shared with `move-file`.

use wharf_guest::{
    SettingSpec, Settings, Task, TaskInfo, TaskResult,
    fs::{Transfer, run_transfer_task},
};

/// The component; exported to the host on WebAssembly.
pub struct CopyFile;

impl Task for CopyFile {
    fn describe() -> TaskInfo {
        TaskInfo::new(
            "copy-file",
            "Copies a file, creating the output's folders if needed.",
        )
        .setting(
            SettingSpec::file("input-file", "The file to copy.")
                .required()
                .non_empty(),
        )
        .setting(
            SettingSpec::file("output-file", "Where to put the copy.")
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
        run_transfer_task(&settings, Transfer::Copy)
    }
}

wharf_guest::export_task!(CopyFile);

#[cfg(test)]
mod tests;
