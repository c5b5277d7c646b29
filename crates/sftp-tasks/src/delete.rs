//! Delete a remote file (`sftp-delete`, `ftp-delete`; "Deleting Files with SFTP/FTP",
//! docs/ftp.md): removes one remote file.

use crate::{Remote, RemoteFileSettings, failed};
use wharf_guest::{TaskResult, TaskSettings};

/// The settings of `sftp-delete` and `ftp-delete`.
#[derive(Debug, Clone, TaskSettings)]
pub struct Settings {
    /// `directory` and `filename`.
    #[setting(flatten)]
    pub file: RemoteFileSettings,
    /// A file that is already gone counts as deleted (success-no-data) instead of not-found.
    #[setting(default = false)]
    pub ignore_missing: bool,
}

/// The task as the component runs it.
pub fn task(
    settings: Settings,
    remote: &mut impl Remote,
) -> Result<TaskResult, wharf_guest::TaskError> {
    Ok(run(&settings, remote))
}

/// The task against a remote.
pub fn run(settings: &Settings, remote: &mut impl Remote) -> TaskResult {
    let (path, ignore_missing) = (settings.file.path(), settings.ignore_missing);
    match remote.remove(&path) {
        Ok(()) => TaskResult::success(format!("deleted `{path}`")).with_counts(1, 1, 0),
        Err(f) if ignore_missing && f.kind == crate::FailureKind::NotFound => {
            TaskResult::success_no_data(format!("`{path}` was already gone"))
        }
        Err(f) => failed(f),
    }
}

#[cfg(test)]
mod tests;
