//! Delete a file over SFTP ("Deleting Files with SFTP"): removes one remote file.

use sftp_tasks::{CAPABILITY, Remote, directory_spec, failed, filename_spec, remote_path};
use wharf_guest::{SettingSpec, Settings, TaskInfo, TaskResult};

/// The component; exported to the host on WebAssembly.
pub struct SftpDelete;

fn info() -> TaskInfo {
    TaskInfo::new("sftp-delete", "Deletes a file on an SFTP server.")
        .capability(CAPABILITY)
        .setting(directory_spec("The remote folder the file is in."))
        .setting(filename_spec())
        .setting(
            SettingSpec::boolean(
                "ignore-missing",
                "A file that is already gone counts as deleted (success-no-data) instead of not-found.",
            )
            .with_default("false"),
        )
}

/// The task against a remote.
pub fn run(settings: &Settings, remote: &mut impl Remote) -> TaskResult {
    let parsed = (|| {
        let path = remote_path(settings.text("directory")?, settings.text("filename")?);
        Ok::<_, wharf_guest::SettingError>((path, settings.boolean("ignore-missing")?))
    })();
    let (path, ignore_missing) = match parsed {
        Ok(p) => p,
        Err(e) => return e.into(),
    };
    match remote.remove(&path) {
        Ok(()) => TaskResult::success(format!("deleted `{path}`")).with_counts(1, 1, 0),
        Err(f) if ignore_missing && f.kind == sftp_tasks::FailureKind::NotFound => {
            TaskResult::success_no_data(format!("`{path}` was already gone"))
        }
        Err(f) => failed(f),
    }
}

sftp_tasks::export_sftp_task!(SftpDelete);

#[cfg(test)]
mod tests;
