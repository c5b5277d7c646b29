//! Download a file over SFTP (docs/zynk-reference.md §2.3, "Exporting Files with SFTP"): copies one remote
//! file into the working directory, replacing a local file of that name. The host writes it
//! under a temporary name and renames it into place, so no later task sees a partial file.

use std::path::PathBuf;

use sftp_tasks::{Remote, RemoteFileSettings, failed};
use wharf_guest::{TaskResult, TaskSettings};

/// The settings of `sftp-download`.
#[derive(Debug, Clone, TaskSettings)]
pub struct SftpDownloadSettings {
    /// `directory` and `filename`.
    #[setting(flatten)]
    pub file: RemoteFileSettings,
    /// Where the file lands in the working directory (replaced if it exists).
    pub output_file: PathBuf,
}

/// The component; exported to the host on WebAssembly.
pub struct SftpDownload;

sftp_tasks::export_sftp_task!(
    SftpDownload,
    SftpDownloadSettings,
    "sftp-download",
    "Downloads a file from an SFTP server into the working directory."
);

/// The task against a remote.
pub fn run(settings: &SftpDownloadSettings, remote: &mut impl Remote) -> TaskResult {
    let (source, output) = (settings.file.path(), &settings.output_file);
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
