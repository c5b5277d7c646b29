//! File Repeater (docs/zynk-reference.md §2.18): lists the files of a folder up front; the host runs the
//! repeater's children once per file with the file's "current" variables.
//!
//! In "only modified files" mode the task keeps a cursor in its state (`modified-since`): it
//! yields the files changed after the cursor, then moves the cursor to the time the run
//! STARTED, read before listing. A file written while the listing runs is therefore seen
//! again next time rather than skipped, and the host commits the cursor only if the whole
//! loop succeeds.

mod listing;

pub use listing::{CURRENT_VARIABLES, FileItem, ListError, Listing, list_files, split_extension};

use std::time::SystemTime;

use chrono::{DateTime, SecondsFormat, Utc};
use wharf_guest::{CurrentItem, SettingError, TaskError, TaskSettings, TypedRepeater, log, state};

/// State key of the "modified since" cursor (RFC 3339, UTC).
pub const CURSOR_KEY: &str = "modified-since";

/// The settings of `file-repeater`.
#[derive(Debug, Clone, TaskSettings)]
pub struct FileRepeaterSettings {
    /// The folder to scan.
    #[setting(kind = folder)]
    pub input_directory: std::path::PathBuf,
    /// File name wildcard: `*` any run of characters, `?` one; letter case is ignored.
    #[setting(default = "*")]
    pub search_pattern: String,
    /// Include sub-folders. Symbolic links are followed while they stay inside the working
    /// directory (each file once); others are skipped with a warning.
    #[setting(default = false)]
    pub recursive: bool,
    /// Only files created or modified since the last successful run.
    #[setting(default = false)]
    pub only_modified_files: bool,
}

/// The component; exported to the host on WebAssembly.
pub struct FileRepeater;

impl TypedRepeater for FileRepeater {
    const NAME: &'static str = "file-repeater";
    const DOC: &'static str =
        "Runs its children once per file in a folder, in ordinal order of the full path.";
    const CURRENT_VARIABLES: &'static [&'static str] = CURRENT_VARIABLES;
    type Settings = FileRepeaterSettings;

    fn items(settings: FileRepeaterSettings) -> Result<Vec<CurrentItem>, TaskError> {
        items(&settings, SystemTime::now())
    }
}

wharf_guest::export_repeater!(FileRepeater);

/// The repeater's work, with the run's start time given so tests can pin it.
pub fn items(
    settings: &FileRepeaterSettings,
    started: SystemTime,
) -> Result<Vec<CurrentItem>, TaskError> {
    let directory = &settings.input_directory;
    // An empty pattern, as a blank Zynk setting, matches everything.
    let pattern = match settings.search_pattern.as_str() {
        "" => "*",
        pattern => pattern,
    };
    let (recursive, only_modified) = (settings.recursive, settings.only_modified_files);
    let listing = Listing::new(pattern, recursive)
        .map_err(|problem| SettingError::new("search-pattern", problem))?;

    let since = if only_modified { read_cursor() } else { None };
    let files = list_files(directory, &listing, since).map_err(|e| match e {
        ListError::Missing(_) => TaskError::not_found(format!("setting `input-directory`: {e}")),
        _ => TaskError::fail(format!("setting `input-directory`: {e}")),
    })?;
    if only_modified {
        state::set(CURSOR_KEY, &format_cursor(started));
    }
    log::info(format!(
        "{} file(s) in `{}` match `{pattern}`{}",
        files.len(),
        directory.display(),
        match since {
            Some(since) => format!(" and changed after {}", format_cursor(since)),
            None => String::new(),
        }
    ));
    Ok(files.iter().map(FileItem::current_variables).collect())
}

/// The stored cursor; an unreadable one is reported and ignored, so every file is offered
/// again rather than some being skipped.
fn read_cursor() -> Option<SystemTime> {
    let value = state::get(CURSOR_KEY)?;
    match DateTime::parse_from_rfc3339(&value) {
        Ok(time) => Some(time.with_timezone(&Utc).into()),
        Err(e) => {
            log::warn(format!(
                "ignoring unreadable `{CURSOR_KEY}` cursor `{value}`: {e}; listing every file"
            ));
            None
        }
    }
}

/// RFC 3339 in UTC with nanoseconds, so no precision is lost between runs.
pub fn format_cursor(time: SystemTime) -> String {
    DateTime::<Utc>::from(time).to_rfc3339_opts(SecondsFormat::Nanos, true)
}

#[cfg(test)]
mod tests;
