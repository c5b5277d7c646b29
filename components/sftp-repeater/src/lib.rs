//! SFTP Repeater (docs/zynk-reference.md §2.2): lists a remote folder once, up front; the host runs the
//! repeater's children once per file with the file's "current" variables. Only files are
//! yielded (not folders), in ordinal order of their full path; Wharf's own temporary upload
//! names are skipped.

use sftp_tasks::{CAPABILITY, HostRemote, ListingSettings, Remote, list_files, modified_time};
use wharf_guest::wildcard::split_extension;
use wharf_guest::{CurrentItem, TaskError, TypedRepeater, log};

/// The component; exported to the host on WebAssembly.
pub struct SftpRepeater;

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

impl TypedRepeater for SftpRepeater {
    const NAME: &'static str = "sftp-repeater";
    const DOC: &'static str = "Runs its children once per file in a remote SFTP folder, in ordinal order of the full path.";
    const CAPABILITIES: &'static [&'static str] = &[CAPABILITY];
    const CURRENT_VARIABLES: &'static [&'static str] = CURRENT_VARIABLES;
    type Settings = ListingSettings;

    fn items(settings: ListingSettings) -> Result<Vec<CurrentItem>, TaskError> {
        items(&settings, &mut HostRemote)
    }
}

wharf_guest::export_repeater!(SftpRepeater);

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
