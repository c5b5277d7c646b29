//! Move File: moves a file inside the working directory without ever losing it: a rename,
//! or, where the rename is refused, a synced copy after which the input is deleted.
//! The move is [`wharf_guest::fs::run_transfer_task`] over [`TransferSettings`], shared with
//! `copy-file`; Zynk's Move File also puts a timestamp before the output's name on request
//! (docs/file-tasks.md).

use wharf_documents::timestamp::TimestampSettings;
use wharf_guest::{
    TaskError, TaskResult, TaskSettings, TypedTask,
    fs::{Transfer, TransferSettings, run_transfer_task},
};

/// The settings of `move-file`: the transfer's, and the timestamp Zynk's task offers.
#[derive(Debug, Clone, TaskSettings)]
pub struct MoveFileSettings {
    #[setting(flatten)]
    pub transfer: TransferSettings,
    #[setting(flatten)]
    pub timestamp: TimestampSettings,
}

/// The component; exported to the host on WebAssembly.
pub struct MoveFile;

impl TypedTask for MoveFile {
    const NAME: &'static str = "move-file";
    const DOC: &'static str = "Moves a file, creating the output's folders if needed.";
    type Settings = MoveFileSettings;

    fn run(settings: MoveFileSettings) -> Result<TaskResult, TaskError> {
        let mut transfer = settings.transfer;
        transfer.output_file = settings.timestamp.name(&transfer.output_file)?;
        Ok(run_transfer_task(transfer, Transfer::Move))
    }
}

wharf_guest::export_task!(MoveFile);

#[cfg(test)]
mod tests;
