//! Move File: moves a file inside the working directory without ever losing it: a rename,
//! or, where the rename is refused, a synced copy after which the input is deleted.
//! The task is [`wharf_guest::fs::run_transfer_task`] over [`TransferSettings`], shared with
//! `copy-file`.

use wharf_guest::{
    TaskError, TaskResult, TypedTask,
    fs::{Transfer, TransferSettings, run_transfer_task},
};

/// The component; exported to the host on WebAssembly.
pub struct MoveFile;

impl TypedTask for MoveFile {
    const NAME: &'static str = "move-file";
    const DOC: &'static str = "Moves a file, creating the output's folders if needed.";
    type Settings = TransferSettings;

    fn run(settings: TransferSettings) -> Result<TaskResult, TaskError> {
        Ok(run_transfer_task(settings, Transfer::Move))
    }
}

wharf_guest::export_task!(MoveFile);

#[cfg(test)]
mod tests;
