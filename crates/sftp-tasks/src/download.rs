//! Download a remote file (`sftp-download`, `ftp-download`; docs/zynk-reference.md §2.3,
//! docs/ftp.md): copies one remote file into the working directory, replacing a local file of
//! that name. The host writes it under a temporary name and renames it into place, so no later
//! task sees a partial file.

use std::path::PathBuf;

use crate::{Remote, RemoteFileSettings, failed};
use wharf_guest::{TaskResult, TaskSettings};

/// The settings of `sftp-download` and `ftp-download`.
#[derive(Debug, Clone, TaskSettings)]
pub struct Settings {
    /// `directory` and `filename`.
    #[setting(flatten)]
    pub file: RemoteFileSettings,
    /// Where the file lands in the working directory (replaced if it exists).
    pub output_file: PathBuf,
    /// Only check that the remote file is there (`not-found` otherwise); nothing is
    /// downloaded (Zynk's Check Exists Only).
    #[setting(default = false)]
    pub check_exists_only: bool,
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
    let (source, output) = (settings.file.path(), &settings.output_file);
    if settings.check_exists_only {
        return match remote.stat(&source) {
            Ok(Some(entry)) if !entry.is_directory => {
                TaskResult::success(format!("`{source}` exists ({} bytes)", entry.size))
                    .with_output("bytes", entry.size.to_string())
            }
            Ok(_) => TaskResult::not_found(format!("`{source}` does not exist")),
            Err(f) => failed(f),
        };
    }
    // As Zynk's file settings, a missing local folder is made.
    if let Some(folder) = output.parent()
        && let Err(e) = std::fs::create_dir_all(folder)
    {
        return TaskResult::fail(format!(
            "setting `output-file`: cannot make the folder `{}`: {e}",
            folder.display()
        ));
    }
    let local = output.to_string_lossy();
    match remote.download(&source, &local) {
        Ok(bytes) => TaskResult::success(format!(
            "downloaded `{source}` to `{local}` ({bytes} bytes)"
        ))
        .with_counts(1, 1, 0)
        .with_output("bytes", bytes.to_string()),
        Err(f) => failed(f),
    }
}

#[cfg(test)]
mod tests;
