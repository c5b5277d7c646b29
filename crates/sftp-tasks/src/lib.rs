//! The remote file tasks, shared by the SFTP and FTP task components (`sftp-repeater`,
//! `sftp-download`, `sftp-upload`, `sftp-rename`, `sftp-delete`, `sftp-list` and their `ftp-`
//! twins): each task's settings and logic in a module of its own ([`download`], [`upload`],
//! [`rename`], [`delete`], [`list`], [`repeater`]), written once against the [`Remote`] seam;
//! the settings they share, remote path rules, and the mapping of failures to result codes.
//!
//! The transfer work happens in the host, over the connection the workflow granted (the `sftp`
//! or `ftp` capability, which answer the same operations with the same failures); a component
//! only decides what to transfer. A component is one macro call: [`export_remote_task!`] or
//! [`export_remote_repeater!`] with the protocol. Native unit tests use an in-memory server
//! (feature `fake`).

pub mod delete;
pub mod download;
pub mod list;
pub mod rename;
pub mod repeater;
pub mod upload;

/// The in-memory server of native unit tests (feature `fake`).
#[cfg(feature = "fake")]
pub use wharf_guest::sftp::fake;

use chrono::{DateTime, SecondsFormat, Utc};
use wharf_guest::wildcard::Wildcard;
use wharf_guest::{Failure, ResultCode, SettingError, TaskResult, TaskSettings};

pub use wharf_guest::ftp::HostFtp;
pub use wharf_guest::sftp::{
    FailureKind, HostRemote, Remote, RemoteEntry, SftpFailure, split_remote,
};

/// Exports a remote file task component: `$component` is a `TypedTask` named `$name`, running
/// module `$task` of this crate (its `Settings` and `task`) against the host's `sftp` or `ftp`
/// (the last argument), which it declares as its capability.
#[macro_export]
macro_rules! export_remote_task {
    ($component:ident, $task:ident, $name:literal, $doc:literal, sftp) => {
        $crate::export_remote_task!(@export $component, $task, $name, $doc, "sftp", $crate::HostRemote);
    };
    ($component:ident, $task:ident, $name:literal, $doc:literal, ftp) => {
        $crate::export_remote_task!(@export $component, $task, $name, $doc, "ftp", $crate::HostFtp);
    };
    (@export $component:ident, $task:ident, $name:literal, $doc:literal, $capability:literal, $remote:expr) => {
        impl wharf_guest::TypedTask for $component {
            const NAME: &'static str = $name;
            const DOC: &'static str = $doc;
            const CAPABILITIES: &'static [&'static str] = &[$capability];
            type Settings = $crate::$task::Settings;

            fn run(
                settings: $crate::$task::Settings,
            ) -> Result<wharf_guest::TaskResult, wharf_guest::TaskError> {
                $crate::$task::task(settings, &mut $remote)
            }
        }

        wharf_guest::export_task!($component);
    };
}

/// Exports a remote folder repeater component (module [`repeater`]) named `$name` over the
/// host's `sftp` or `ftp` (the last argument).
#[macro_export]
macro_rules! export_remote_repeater {
    ($component:ident, $name:literal, $doc:literal, sftp) => {
        $crate::export_remote_repeater!(@export $component, $name, $doc, "sftp", $crate::HostRemote);
    };
    ($component:ident, $name:literal, $doc:literal, ftp) => {
        $crate::export_remote_repeater!(@export $component, $name, $doc, "ftp", $crate::HostFtp);
    };
    (@export $component:ident, $name:literal, $doc:literal, $capability:literal, $remote:expr) => {
        impl wharf_guest::TypedRepeater for $component {
            const NAME: &'static str = $name;
            const DOC: &'static str = $doc;
            const CAPABILITIES: &'static [&'static str] = &[$capability];
            const CURRENT_VARIABLES: &'static [&'static str] = $crate::repeater::CURRENT_VARIABLES;
            type Settings = $crate::ListingSettings;

            fn items(
                settings: $crate::ListingSettings,
            ) -> Result<Vec<wharf_guest::CurrentItem>, wharf_guest::TaskError> {
                $crate::repeater::items(&settings, &mut $remote)
            }
        }

        wharf_guest::export_repeater!($component);
    };
}

/// The result code a failure ends the task with (docs/zynk-reference.md §2.0: missing → `not-found`,
/// refused credentials → `not-authorised`, the rest `fail`).
pub fn code(failure: &SftpFailure) -> ResultCode {
    match failure.kind {
        FailureKind::NotFound => ResultCode::NotFound,
        FailureKind::NotAuthorised => ResultCode::NotAuthorised,
        _ => ResultCode::Fail,
    }
}

/// A failed operation as the task's result.
pub fn failed(failure: SftpFailure) -> TaskResult {
    TaskResult::new(code(&failure), failure.message)
}

/// A failed operation as a repeater's failure.
pub fn failure(failure: SftpFailure) -> Failure {
    Failure::new(code(&failure), failure.message)
}

/// The remote path of `name` in `directory`: `name` itself when it is absolute.
pub fn remote_path(directory: &str, name: &str) -> String {
    if name.starts_with('/') || directory.is_empty() {
        name.to_owned()
    } else if directory.ends_with('/') {
        format!("{directory}{name}")
    } else {
        format!("{directory}/{name}")
    }
}

/// Temporary names the host uses while transferring (`.<name>.wharf-partial`, as the guest
/// SDK's own); never offered to tasks.
pub use wharf_guest::fs::is_temporary;

/// The remote file a task works on: `directory` and `filename` (docs/zynk-reference.md §2.3–§2.5).
#[derive(Debug, Clone, PartialEq, Eq, TaskSettings)]
pub struct RemoteFileSettings {
    /// The remote folder the file is in, e.g. `/download`.
    pub directory: String,
    /// The remote file's name in `directory` (or an absolute remote path).
    #[setting(non_empty)]
    pub filename: String,
}

impl RemoteFileSettings {
    /// The file's remote path.
    pub fn path(&self) -> String {
        remote_path(&self.directory, &self.filename)
    }
}

/// The settings of the tasks that list a remote folder (repeater and list).
#[derive(Debug, Clone, PartialEq, Eq, TaskSettings)]
pub struct ListingSettings {
    /// The remote folder to list, e.g. `/download`.
    pub directory: String,
    /// File name wildcard: `*` any run of characters, `?` one; letter case is ignored.
    #[setting(default = "*")]
    pub search_pattern: String,
    /// Include sub-folders (children should then use FullName or Directory).
    #[setting(default = false)]
    pub list_recursively: bool,
}

/// What a listing found: the server's name and the matching files, in path order.
pub struct Listing {
    pub server: String,
    pub directory: String,
    pub pattern: String,
    pub files: Vec<RemoteEntry>,
}

/// Lists the files (not folders, not Wharf's temporary uploads) that the listing settings
/// select.
pub fn list_files(
    settings: &ListingSettings,
    remote: &mut impl Remote,
) -> Result<Listing, Failure> {
    let directory = settings.directory.as_str();
    // An empty pattern, as a blank Zynk setting, matches everything.
    let pattern = match settings.search_pattern.as_str() {
        "" => "*",
        pattern => pattern,
    };
    let wildcard =
        Wildcard::new(pattern).map_err(|problem| SettingError::new("search-pattern", problem))?;
    let recursive = settings.list_recursively;
    let server = remote.server().map_err(failure)?;
    let files = remote
        .list_directory(directory, recursive)
        .map_err(failure)?
        .into_iter()
        .filter(|e| !e.is_directory && !is_temporary(&e.name) && wildcard.matches(&e.name))
        .collect();
    Ok(Listing {
        server,
        directory: directory.to_owned(),
        pattern: pattern.to_owned(),
        files,
    })
}

/// A remote modification time (seconds since the epoch) as RFC 3339 UTC, like the file
/// repeater's times; empty when the server did not say.
pub fn modified_time(entry: &RemoteEntry) -> String {
    entry
        .modified
        .and_then(|s| i64::try_from(s).ok())
        .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_paths() {
        assert_eq!(remote_path("/download", "a.xml"), "/download/a.xml");
        assert_eq!(remote_path("/download/", "a.xml"), "/download/a.xml");
        assert_eq!(
            remote_path("/download", "/elsewhere/a.xml"),
            "/elsewhere/a.xml"
        );
        assert_eq!(remote_path("", "a.xml"), "a.xml");
        assert_eq!(split_remote("/download/a.xml"), ("/download", "a.xml"));
        assert_eq!(split_remote("/a.xml"), ("/", "a.xml"));
        assert_eq!(split_remote("a.xml"), (".", "a.xml"));
        assert!(is_temporary(".a.xml.wharf-partial"));
        assert!(!is_temporary("a.xml"));
    }

    #[test]
    fn failures_map_to_result_codes() {
        let f = |kind| SftpFailure {
            kind,
            message: "m".into(),
        };
        assert_eq!(code(&f(FailureKind::NotFound)), ResultCode::NotFound);
        assert_eq!(
            code(&f(FailureKind::NotAuthorised)),
            ResultCode::NotAuthorised
        );
        assert_eq!(code(&f(FailureKind::Connection)), ResultCode::Fail);
        assert_eq!(code(&f(FailureKind::NotPermitted)), ResultCode::Fail);
    }
}
