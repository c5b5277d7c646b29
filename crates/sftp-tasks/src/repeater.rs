//! The remote folder repeater (`sftp-repeater`, `ftp-repeater`; docs/zynk-reference.md §2.2,
//! docs/ftp.md): lists a remote folder once, up front; the host runs the
//! repeater's children once per file with the file's "current" variables. Only files are
//! yielded (not folders), in ordinal order of their full path; Wharf's own temporary upload
//! names are skipped.

use crate::{ListingSettings, Remote, list_files, modified_time};
use wharf_guest::wildcard::split_extension;
use wharf_guest::{CurrentItem, TaskError, log};

/// The "current" variables of each item (docs/zynk-reference.md §2.2, plus size and time).
pub const CURRENT_VARIABLES: &[&str] = &[
    "Name",
    "Extension",
    "NameWithoutExtension",
    "FullName",
    "Directory",
    "Server",
    "Length",
    "LastWriteTime",
];

/// The repeater's work against a remote.
pub fn items(
    settings: &ListingSettings,
    remote: &mut impl Remote,
) -> Result<Vec<CurrentItem>, TaskError> {
    let listing = list_files(settings, remote)?;
    log::info(format!(
        "{} file(s) in `{}` on {} match `{}`",
        listing.files.len(),
        listing.directory,
        listing.server,
        listing.pattern
    ));
    Ok(listing
        .files
        .iter()
        .map(|e| {
            let (stem, extension) = split_extension(&e.name);
            let values = [
                e.name.clone(),
                extension.to_owned(),
                stem.to_owned(),
                e.path.clone(),
                e.directory.clone(),
                listing.server.clone(),
                e.size.to_string(),
                modified_time(e),
            ];
            CURRENT_VARIABLES
                .iter()
                .map(|n| (*n).to_owned())
                .zip(values)
                .collect()
        })
        .collect())
}

#[cfg(test)]
mod tests;
