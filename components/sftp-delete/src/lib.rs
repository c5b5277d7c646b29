//! Delete a file over SFTP ("Deleting Files with SFTP"): removes one remote file.

use sftp_tasks::{Remote, RemoteFileSettings, failed};
use wharf_guest::{TaskResult, TaskSettings};

/// The settings of `sftp-delete`.
#[derive(Debug, Clone, TaskSettings)]
pub struct SftpDeleteSettings {
    /// `directory` and `filename`.
    #[setting(flatten)]
    pub file: RemoteFileSettings,
    /// A file that is already gone counts as deleted (success-no-data) instead of not-found.
    #[setting(default = false)]
    pub ignore_missing: bool,
}

/// The component; exported to the host on WebAssembly.
pub struct SftpDelete;

sftp_tasks::export_sftp_task!(
    SftpDelete,
    SftpDeleteSettings,
    "sftp-delete",
    "Deletes a file on an SFTP server."
);

/// The task against a remote.
pub fn run(settings: &SftpDeleteSettings, remote: &mut impl Remote) -> TaskResult {
    let (path, ignore_missing) = (settings.file.path(), settings.ignore_missing);
    match remote.remove(&path) {
        Ok(()) => TaskResult::success(format!("deleted `{path}`")).with_counts(1, 1, 0),
        Err(f) if ignore_missing && f.kind == sftp_tasks::FailureKind::NotFound => {
            TaskResult::success_no_data(format!("`{path}` was already gone"))
        }
        Err(f) => failed(f),
    }
}

#[cfg(test)]
mod tests;
