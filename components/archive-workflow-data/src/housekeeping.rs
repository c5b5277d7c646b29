//! Removing older archives from the store (docs/zynk-reference.md §1.10).

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use wharf_guest::{archive::ArchiveEntry, log};

use crate::ArchiveStore;

/// Which older archives to remove after storing a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Housekeeping {
    /// Keep everything.
    NotEnabled,
    /// Keep the newest N archives (by name, which starts with the sortable time stamp).
    NumberOfArchives(u32),
    /// Remove archives stored more than N days ago.
    NumberOfDays(u32),
}

/// `""` for the store's root, else `folder/`.
pub fn archive_prefix(folder: &str) -> String {
    if folder.is_empty() {
        String::new()
    } else {
        format!("{folder}/")
    }
}

/// Applies `policy` to this task's archives (`<folder>/…_archive.zip`, not in sub-folders)
/// and returns how many were removed. `current`, the archive stored by this run, is never
/// removed; an archive whose `created` can't be read is kept and reported.
pub fn housekeep(
    store: &mut impl ArchiveStore,
    folder: &str,
    policy: Housekeeping,
    current: &str,
    now: DateTime<Utc>,
) -> Result<usize, String> {
    if policy == Housekeeping::NotEnabled {
        return Ok(0);
    }
    let prefix = archive_prefix(folder);
    let mut ours: Vec<ArchiveEntry> = store
        .entries()?
        .into_iter()
        .filter(|entry| {
            entry
                .name
                .strip_prefix(&prefix)
                .is_some_and(|rest| !rest.contains('/') && rest.ends_with("_archive.zip"))
        })
        .collect();
    // Newest first.
    ours.sort_by(|a, b| b.name.cmp(&a.name));

    let doomed: Vec<&ArchiveEntry> = match policy {
        Housekeeping::NotEnabled => Vec::new(),
        Housekeeping::NumberOfArchives(keep) => ours.iter().skip(keep as usize).collect(),
        Housekeeping::NumberOfDays(days) => {
            let cutoff = now - TimeDelta::days(i64::from(days));
            ours.iter()
                .filter(|entry| match parse_created(&entry.created) {
                    Some(created) => created < cutoff,
                    None => {
                        log::warn(format!(
                            "keeping archive `{}`: unreadable creation time `{}`",
                            entry.name, entry.created
                        ));
                        false
                    }
                })
                .collect()
        }
    };
    let mut removed = 0;
    for entry in doomed {
        if entry.name == current {
            continue;
        }
        store
            .remove(&entry.name)
            .map_err(|e| format!("cannot remove `{}`: {e}", entry.name))?;
        log::info(format!("housekeeping removed archive `{}`", entry.name));
        removed += 1;
    }
    Ok(removed)
}

/// ISO 8601 with an offset, or without one (taken as UTC).
fn parse_created(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
}
