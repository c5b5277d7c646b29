//! Upload a file (`sftp-upload`, `ftp-upload`; docs/zynk-reference.md §2.5, docs/ftp.md): copies
//! one file of the working directory to a remote folder. The host writes it under a temporary remote name
//! and renames it into place, so the server never shows a partial file. Timestamps in the
//! remote name come from templates in `output-file`, as in Zynk.

use std::path::PathBuf;

use crate::{Remote, failed, remote_path};
use wharf_guest::{SettingError, TaskResult, TaskSettings};

/// The settings of `sftp-upload` and `ftp-upload`.
#[derive(Debug, Clone, TaskSettings)]
pub struct Settings {
    /// The remote folder to upload into, e.g. `/upload`.
    pub directory: String,
    /// The local file to upload.
    pub input_file: PathBuf,
    /// The remote file name (or an absolute remote path); empty keeps the local name.
    pub output_file: Option<String>,
    /// Replace a remote file of that name; when false an existing file fails the task.
    #[setting(default = false)]
    pub overwrite_file: bool,
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
    let input = &settings.input_file;
    let name = match settings.output_file.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => name.to_owned(),
        _ => match input.file_name() {
            Some(name) => name.to_string_lossy().into_owned(),
            None => return SettingError::new("input-file", "names no file").into(),
        },
    };
    let (target, overwrite) = (
        remote_path(&settings.directory, &name),
        settings.overwrite_file,
    );
    if !input.is_file() {
        return TaskResult::not_found(format!(
            "setting `input-file`: `{}` does not exist",
            input.display()
        ));
    }
    let local = input.to_string_lossy();
    match remote.upload(&local, &target, overwrite) {
        Ok(bytes) => {
            TaskResult::success(format!("uploaded `{local}` to `{target}` ({bytes} bytes)"))
                .with_counts(1, 1, 0)
                .with_output("remote-path", target)
                .with_output("bytes", bytes.to_string())
        }
        Err(f) => failed(f),
    }
}

#[cfg(test)]
mod tests;
