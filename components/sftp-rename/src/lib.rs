//! Rename or move a file over SFTP (catalogue §2.4). `output-file` is the new name in the same
//! folder, or an absolute remote path, which makes this a move (the tutorial moves processed
//! orders with `/download/processed/{{ current.Name }}`). With `prepend-timestamp` the last path
//! segment becomes `<timestamp>_<name>` (.NET custom format, UTC), never the whole path. The
//! target folder must exist (not-found otherwise, as §2.4 recommends); an existing target is
//! replaced unless `overwrite` is off.

use std::time::{SystemTime, UNIX_EPOCH};

use sftp_tasks::{
    CAPABILITY, HostRemote, Remote, directory_spec, failed, filename_spec, remote_path,
    split_remote,
};
use wharf_guest::{SettingError, SettingSpec, Settings, Task, TaskInfo, TaskResult};
use wharf_xslt::{DateTime, format_dotnet_date};

/// The component; exported to the host on WebAssembly.
pub struct SftpRename;

fn info() -> TaskInfo {
    TaskInfo::new(
        "sftp-rename",
        "Renames or moves a file on an SFTP server, optionally with a timestamp in front of its name.",
    )
    .capability(CAPABILITY)
    .setting(directory_spec("The remote folder the file is in, e.g. `/download`."))
    .setting(filename_spec())
    .setting(
        SettingSpec::text(
            "output-file",
            "The new name, or an absolute remote path to move the file to.",
        )
        .required(),
    )
    .setting(
        SettingSpec::boolean(
            "prepend-timestamp",
            "Put `<timestamp>_` in front of the new file name.",
        )
        .with_default("false"),
    )
    .setting(
        SettingSpec::text(
            "timestamp-format",
            ".NET custom date format of the timestamp (UTC).",
        )
        .with_default("yyyy-MM-dd_HH-mm-ss"),
    )
    .setting(
        SettingSpec::boolean("overwrite", "Replace a file already at the target.")
            .with_default("true"),
    )
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
    let parsed = (|| {
        let directory = settings.text("directory")?;
        let source = remote_path(directory, settings.text("filename")?);
        let stamp = if settings.boolean("prepend-timestamp")? {
            let format = settings.text("timestamp-format")?;
            let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
            let stamp = format_dotnet_date(
                &DateTime::from_unix(since.as_secs() as i64, since.subsec_nanos()),
                format,
            );
            if stamp.contains('/') {
                return Err(SettingError::new(
                    "timestamp-format",
                    format!("`{format}` gives `{stamp}`, which holds a path separator"),
                ));
            }
            Some(stamp)
        } else {
            None
        };
        let target = target(directory, settings.text("output-file")?, stamp.as_deref());
        Ok::<_, SettingError>((source, target, settings.boolean("overwrite")?))
    })();
    let (source, target, overwrite) = match parsed {
        Ok(p) => p,
        Err(e) => return e.into(),
    };
    match remote.rename(&source, &target, overwrite) {
        Ok(()) => TaskResult::success(format!("moved `{source}` to `{target}`"))
            .with_counts(1, 1, 0)
            .with_output("target", target),
        Err(f) => failed(f),
    }
}

impl Task for SftpRename {
    fn describe() -> TaskInfo {
        info()
    }

    fn run(settings: Vec<(String, String)>) -> TaskResult {
        run(
            &Settings::new(settings).with_defaults(&info().settings),
            &mut HostRemote,
            SystemTime::now(),
        )
    }
}

wharf_guest::export_task!(SftpRename);

#[cfg(test)]
mod tests;
