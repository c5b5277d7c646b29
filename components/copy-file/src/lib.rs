//! Copy File: copies a file inside the working directory. The copy is written under a
//! temporary name, synced and renamed into place, so a reader never sees half a file.
//! The task is [`wharf_guest::fs::run_transfer_task`] over [`TransferSettings`], shared with
//! `move-file`.

use wharf_guest::{
    TaskError, TaskResult, TypedTask,
    fs::{Transfer, TransferSettings, run_transfer_task},
};

/// The component; exported to the host on WebAssembly.
pub struct CopyFile;

impl TypedTask for CopyFile {
    const NAME: &'static str = "copy-file";
    const DOC: &'static str = "Copies a file, creating the output's folders if needed.";
    type Settings = TransferSettings;

    fn run(settings: TransferSettings) -> Result<TaskResult, TaskError> {
        Ok(run_transfer_task(settings, Transfer::Copy))
    }
}

wharf_guest::export_task!(CopyFile);

#[cfg(test)]
mod tests;
