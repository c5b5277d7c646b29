//! Download a file over SFTP (catalogue §2.3, "Exporting Files with SFTP"): copies one remote
//! file into the working directory, replacing a local file of that name. The host writes it
//! under a temporary name and renames it into place, so no later task sees a partial file.

use sftp_tasks::{CAPABILITY, Remote, directory_spec, failed, filename_spec, remote_path};
use wharf_guest::{SettingSpec, Settings, TaskInfo, TaskResult};

/// The component; exported to the host on WebAssembly.
pub struct SftpDownload;

fn info() -> TaskInfo {
    TaskInfo::new(
        "sftp-download",
        "Downloads a file from an SFTP server into the working directory.",
    )
    .capability(CAPABILITY)
    .setting(directory_spec(
        "The remote folder the file is in, e.g. `/download`.",
    ))
    .setting(filename_spec())
    .setting(
        SettingSpec::file(
            "output-file",
            "Where the file lands in the working directory (replaced if it exists).",
        )
        .required()
        .non_empty(),
    )
}

/// The task against a remote.
pub fn run(settings: &Settings, remote: &mut impl Remote) -> TaskResult {
    let parsed = (|| {
        let source = remote_path(settings.text("directory")?, settings.text("filename")?);
        Ok::<_, wharf_guest::SettingError>((source, settings.path("output-file")?))
    })();
    let (source, output) = match parsed {
        Ok(p) => p,
        Err(e) => return e.into(),
    };
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

sftp_tasks::export_sftp_task!(SftpDownload);

#[cfg(test)]
mod tests;
