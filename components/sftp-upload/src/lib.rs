//! Upload a file over SFTP (catalogue §2.5, "Importing Files with SFTP"): copies one file of
//! the working directory to a remote folder. The host writes it under a temporary remote name
//! and renames it into place, so the server never shows a partial file. Timestamps in the
//! remote name come from templates in `output-file`, as in Zynk.

use sftp_tasks::{CAPABILITY, Remote, directory_spec, failed, remote_path};
use wharf_guest::{SettingError, SettingSpec, Settings, TaskInfo, TaskResult};

/// The component; exported to the host on WebAssembly.
pub struct SftpUpload;

fn info() -> TaskInfo {
    TaskInfo::new(
        "sftp-upload",
        "Uploads a file of the working directory to an SFTP server.",
    )
    .capability(CAPABILITY)
    .setting(directory_spec(
        "The remote folder to upload into, e.g. `/upload`.",
    ))
    .setting(
        SettingSpec::file("input-file", "The local file to upload.")
            .required()
            .non_empty(),
    )
    .setting(SettingSpec::text(
        "output-file",
        "The remote file name (or an absolute remote path); empty keeps the local name.",
    ))
    .setting(
        SettingSpec::boolean(
            "overwrite-file",
            "Replace a remote file of that name; when false an existing file fails the task.",
        )
        .with_default("false"),
    )
}

/// The task against a remote.
pub fn run(settings: &Settings, remote: &mut impl Remote) -> TaskResult {
    let parsed = (|| {
        let input = settings.path("input-file")?;
        let name = match settings.optional_text("output-file").map(str::trim) {
            Some(name) if !name.is_empty() => name.to_owned(),
            _ => input
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .ok_or_else(|| SettingError::new("input-file", "names no file"))?,
        };
        let target = remote_path(settings.text("directory")?, &name);
        Ok::<_, SettingError>((input, target, settings.boolean("overwrite-file")?))
    })();
    let (input, target, overwrite) = match parsed {
        Ok(p) => p,
        Err(e) => return e.into(),
    };
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

sftp_tasks::export_sftp_task!(SftpUpload);

#[cfg(test)]
mod tests;
