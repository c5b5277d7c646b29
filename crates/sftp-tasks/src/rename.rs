//! Rename or move a remote file (`sftp-rename`, `ftp-rename`; docs/zynk-reference.md §2.4,
//! docs/ftp.md). `output-file` is the new name in the same
//! folder, or an absolute remote path, which makes this a move (the tutorial moves processed
//! orders with `/download/processed/{{ current.Name }}`). With `prepend-timestamp` the last path
//! segment becomes `<timestamp>_<name>` (.NET custom format, UTC), never the whole path. The
//! target folder must exist (not-found otherwise, as docs/zynk-reference.md §2.4 recommends); an existing target is
//! replaced unless `overwrite` is off.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Remote, RemoteFileSettings, failed, remote_path, split_remote};
use wharf_guest::{SettingError, TaskError, TaskResult, TaskSettings};
use wharf_xslt::{DateTime, format_dotnet_date};

/// The settings of `sftp-rename` and `ftp-rename`.
#[derive(Debug, Clone, TaskSettings)]
pub struct Settings {
    /// `directory` and `filename`.
    #[setting(flatten)]
    pub file: RemoteFileSettings,
    /// The new name, or an absolute remote path to move the file to.
    pub output_file: String,
    /// Put `<timestamp>_` in front of the new file name.
    #[setting(default = false)]
    pub prepend_timestamp: bool,
    /// .NET custom date format of the timestamp (UTC).
    #[setting(default = "yyyy-MM-dd_HH-mm-ss")]
    pub timestamp_format: String,
    /// Replace a file already at the target.
    #[setting(default = true)]
    pub overwrite: bool,
}

/// The task as the component runs it, now.
pub fn task(settings: Settings, remote: &mut impl Remote) -> Result<TaskResult, TaskError> {
    Ok(run(&settings, remote, SystemTime::now()))
}

/// The target path: `output-file` resolved against `directory`, timestamped if asked.
pub fn target(directory: &str, output: &str, timestamp: Option<&str>) -> String {
    let path = remote_path(directory, output);
    match timestamp {
        None => path,
        Some(stamp) => {
            let (folder, name) = split_remote(&path);
            if path.contains('/') {
                remote_path(folder, &format!("{stamp}_{name}"))
            } else {
                format!("{stamp}_{name}")
            }
        }
    }
}

/// The task against a remote, at time `now`.
pub fn run(settings: &Settings, remote: &mut impl Remote, now: SystemTime) -> TaskResult {
    let directory = settings.file.directory.as_str();
    let source = settings.file.path();
    let stamp = if settings.prepend_timestamp {
        let format = settings.timestamp_format.as_str();
        let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
        let stamp = format_dotnet_date(
            &DateTime::from_unix(since.as_secs() as i64, since.subsec_nanos()),
            format,
        );
        if stamp.contains('/') {
            return SettingError::new(
                "timestamp-format",
                format!("`{format}` gives `{stamp}`, which holds a path separator"),
            )
            .into();
        }
        Some(stamp)
    } else {
        None
    };
    let target = target(directory, &settings.output_file, stamp.as_deref());
    let overwrite = settings.overwrite;
    match remote.rename(&source, &target, overwrite) {
        Ok(()) => TaskResult::success(format!("moved `{source}` to `{target}`"))
            .with_counts(1, 1, 0)
            .with_output("target", target),
        Err(f) => failed(f),
    }
}

#[cfg(test)]
mod tests;
