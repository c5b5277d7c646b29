//! Archive Workflow Data (docs/zynk-reference.md §2.10): zips every file directly in the working
//! directory into the workflow's archive store, removes the originals once the store holds
//! the zip, then applies housekeeping to older archives.
//!
//! Nothing is deleted before the host's `archive.store` has returned successfully: if storing
//! fails, the partial zip is removed and every original stays where it was. A journal of what
//! the zip holds, written before storing, lets the next run finish a run killed between storing
//! and removing instead of archiving the same files again (see [`journal`]).

mod housekeeping;
pub mod journal;
mod zip_files;

pub use housekeeping::{Housekeeping, archive_prefix, housekeep};
pub use journal::{Finished, JOURNAL_NAME, Journal, finish_interrupted};
pub use zip_files::{
    PARTIAL_PREFIX, PARTIAL_SUFFIX, files_to_archive, remove_stale_partials, write_zip,
};

use std::{fs, path::Path, time::SystemTime};

use chrono::{DateTime, Utc};
use wharf_guest::{
    SettingChoice, SettingError, TaskError, TaskResult, TaskSettings, TypedTask,
    archive::ArchiveEntry, log,
};

/// The settings of `archive-workflow-data`.
#[derive(Debug, Clone, PartialEq, Eq, TaskSettings)]
pub struct ArchiveSettings {
    /// Folder in the archive store for the zips; empty for its root.
    #[setting(default = "")]
    pub archive_folder: String,
    /// Which older archives to remove: none, beyond the newest N, or older than N days.
    #[setting(default = "NotEnabled")]
    pub housekeeping_type: HousekeepingType,
    /// N for the housekeeping type.
    #[setting(default = 30, range = 0..=u32::MAX)]
    pub housekeeping_number: u32,
}

/// The `housekeeping-type` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, SettingChoice)]
pub enum HousekeepingType {
    /// Keep every archive.
    NotEnabled,
    /// Keep the newest N.
    NumberOfArchives,
    /// Keep those younger than N days.
    NumberOfDays,
}

/// The component; exported to the host on WebAssembly.
pub struct ArchiveWorkflowData;

impl TypedTask for ArchiveWorkflowData {
    const NAME: &'static str = "archive-workflow-data";
    const DOC: &'static str =
        "Zips the files in the working directory into the archive store and removes them.";
    const CAPABILITIES: &'static [&'static str] = &["archive"];
    type Settings = ArchiveSettings;

    fn run(settings: ArchiveSettings) -> Result<TaskResult, TaskError> {
        let options = Options::from_settings(&settings)?;
        Ok(run(
            Path::new("/"),
            &options,
            &mut HostArchive,
            SystemTime::now().into(),
        ))
    }
}

wharf_guest::export_task!(ArchiveWorkflowData);

/// The workflow's archive store, as the task uses it; the host's `archive` interface in a
/// component, a fake in tests.
pub trait ArchiveStore {
    /// Moves the finished file at `path` into the store under `name`.
    fn store(&mut self, path: &str, name: &str) -> Result<(), String>;
    /// Every archive in the store.
    fn entries(&mut self) -> Result<Vec<ArchiveEntry>, String>;
    /// Removes the archive `name`.
    fn remove(&mut self, name: &str) -> Result<(), String>;
}

/// The host's `archive` interface (granted through the `archive` capability).
struct HostArchive;

impl ArchiveStore for HostArchive {
    fn store(&mut self, path: &str, name: &str) -> Result<(), String> {
        wharf_guest::archive::store(path, name)
    }

    fn entries(&mut self) -> Result<Vec<ArchiveEntry>, String> {
        wharf_guest::archive::entries()
    }

    fn remove(&mut self, name: &str) -> Result<(), String> {
        wharf_guest::archive::remove(name)
    }
}

/// The task's settings, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Normalised archive folder: `""` (the store's root) or `a/b`, no leading or trailing `/`.
    pub folder: String,
    /// What to remove after storing.
    pub housekeeping: Housekeeping,
}

impl Options {
    /// Checks the settings: the folder stays inside the store, and keeping the newest N
    /// archives keeps at least one.
    pub fn from_settings(settings: &ArchiveSettings) -> Result<Self, SettingError> {
        let folder = normalise_folder(&settings.archive_folder)
            .map_err(|problem| SettingError::new("archive-folder", problem))?;
        let number = settings.housekeeping_number;
        let housekeeping = match settings.housekeeping_type {
            HousekeepingType::NotEnabled => Housekeeping::NotEnabled,
            HousekeepingType::NumberOfArchives if number == 0 => {
                return Err(SettingError::new(
                    "housekeeping-number",
                    format!("must be at least 1 for NumberOfArchives, got {number}"),
                ));
            }
            HousekeepingType::NumberOfArchives => Housekeeping::NumberOfArchives(number),
            HousekeepingType::NumberOfDays => Housekeeping::NumberOfDays(number),
        };
        Ok(Self {
            folder,
            housekeeping,
        })
    }
}

/// `\Archive\2024\` → `Archive/2024`; `.`/`..` and empty steps are refused so the name stays
/// inside the store.
pub fn normalise_folder(folder: &str) -> Result<String, String> {
    let unified = folder.trim().replace('\\', "/");
    let trimmed = unified.trim_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    if trimmed
        .split('/')
        .any(|step| step.is_empty() || step == "." || step == "..")
    {
        return Err(format!(
            "expected a relative folder like `Archive` or `Archive/Orders`, got `{folder}`"
        ));
    }
    Ok(trimmed.to_owned())
}

/// Archives the files directly in `root` (the working directory, `/` in a component).
pub fn run(
    root: &Path,
    options: &Options,
    store: &mut impl ArchiveStore,
    now: DateTime<Utc>,
) -> TaskResult {
    match remove_stale_partials(root) {
        Ok(0) => {}
        Ok(n) => log::info(format!(
            "removed {n} zip(s) left unfinished by an earlier run"
        )),
        Err(e) => log::warn(format!("cannot clear unfinished zips: {e}")),
    }
    let finished = match finish_interrupted(root, store) {
        Ok(finished) => finished,
        Err(e) => return TaskResult::fail(e),
    };
    let files = match files_to_archive(root) {
        Ok(files) => files,
        Err(e) => return TaskResult::fail(format!("cannot list the working directory: {e}")),
    };

    let mut result = if files.is_empty() {
        match &finished {
            Some(done) => TaskResult::success_data(finished_message(done))
                .with_output("archive-path", done.archive.clone())
                .with_counts(done.removed, done.removed, 0),
            None => TaskResult::success_no_data("no files to archive in the working directory")
                .with_output("archive-path", ""),
        }
    } else {
        let stamp = now.format("%Y%m%d%H%M%S%3f").to_string();
        let partial = root.join(format!("{PARTIAL_PREFIX}{stamp}{PARTIAL_SUFFIX}"));
        let name = format!("{}{stamp}_archive.zip", archive_prefix(&options.folder));
        let zipped = match write_zip(&partial, &files) {
            Ok(zipped) => zipped,
            Err(e) => {
                let _ = fs::remove_file(&partial);
                return TaskResult::fail(format!(
                    "cannot write the archive: {e}; no file was removed"
                ));
            }
        };
        let journal = Journal {
            archive: name.clone(),
            files: zipped,
        };
        if let Err(e) = journal.write(root) {
            let _ = fs::remove_file(&partial);
            return TaskResult::fail(format!(
                "cannot write the archive journal `{JOURNAL_NAME}`: {e}; no file was removed"
            ));
        }
        if let Err(e) = store.store(&partial.to_string_lossy(), &name) {
            // The host may or may not have taken the file; never leave a partial zip behind.
            // The journal stays: the next run asks the store whether it holds the zip after
            // all, and archives the files again only if it does not.
            let _ = fs::remove_file(&partial);
            return TaskResult::fail(format!(
                "the archive store refused `{name}`: {e}; all {} file(s) were kept",
                files.len()
            ));
        }
        let mut kept = 0u64;
        for file in &files {
            if let Err(e) = fs::remove_file(file) {
                kept += 1;
                log::warn(format!(
                    "archived but could not remove `{}`: {e}",
                    file.display()
                ));
            }
        }
        if let Err(e) = Journal::remove(root) {
            // Harmless: the next run finds the zip stored and removes only files identical
            // to what it holds.
            log::warn(format!(
                "cannot remove the archive journal `{JOURNAL_NAME}`: {e}"
            ));
        }
        let archived = files.len() as u64;
        let mut message = format!("archived {archived} file(s) to `{name}`");
        if kept > 0 {
            message.push_str(&format!("; {kept} of them could not be removed"));
        }
        if let Some(done) = &finished {
            message = format!("{}; {message}", finished_message(done));
        }
        TaskResult::success_data(message)
            .with_output("archive-path", name)
            .with_counts(archived, archived, kept)
    };

    let current = result
        .outputs
        .iter()
        .find(|(key, _)| key == "archive-path")
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    match housekeep(store, &options.folder, options.housekeeping, &current, now) {
        Ok(0) => {}
        Ok(removed) => {
            result.message.push_str(&format!(
                "; housekeeping removed {removed} older archive(s)"
            ));
        }
        Err(e) => {
            result.code = wharf_guest::ResultCode::Fail;
            result
                .message
                .push_str(&format!("; housekeeping failed: {e}"));
        }
    }
    result
}

fn finished_message(done: &Finished) -> String {
    format!(
        "finished `{}`, stored by an interrupted run: removed the {} original(s) it holds",
        done.archive, done.removed
    )
}

#[cfg(test)]
mod tests;
