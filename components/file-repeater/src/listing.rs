//! Listing the files of a folder the way Zynk's File Repeater (a .NET `FileInfo` list) does.

use std::{
    fs, io,
    path::{Path, PathBuf},
    time::SystemTime,
};

use chrono::{DateTime, SecondsFormat, Utc};
use wharf_guest::CurrentItem;
use wharf_guest::wildcard::Wildcard;
pub use wharf_guest::wildcard::split_extension;

/// The "current" variables of each item, named as .NET's `FileInfo` properties.
pub const CURRENT_VARIABLES: &[&str] = &[
    "CreationTime",
    "Directory",
    "DirectoryName",
    "Extension",
    "FullName",
    "LastAccessTime",
    "LastWriteTime",
    "Length",
    "Name",
    "NameWithoutExtension",
];

/// Why a folder could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// The folder does not exist (result code `not-found`).
    #[error("folder `{}` does not exist", .0.display())]
    Missing(PathBuf),
    /// The path names something other than a folder.
    #[error("`{}` is not a folder", .0.display())]
    NotAFolder(PathBuf),
    /// Reading the folder or a file's details failed.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// What was being read.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

/// What to list: a file-name wildcard and whether to descend into sub-folders.
#[derive(Debug, Clone)]
pub struct Listing {
    pattern: Wildcard,
    recursive: bool,
}

impl Listing {
    /// See [`Wildcard::new`] for the pattern's rules.
    pub fn new(pattern: &str, recursive: bool) -> Result<Self, String> {
        Ok(Self {
            pattern: Wildcard::new(pattern)?,
            recursive,
        })
    }

    fn matches(&self, name: &str) -> bool {
        self.pattern.matches(name)
    }
}

/// One listed file and the details its current variables are made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileItem {
    /// Absolute path, as the component sees it.
    pub path: PathBuf,
    /// Size in bytes.
    pub length: u64,
    /// Creation time as the file system reports it (under WASI that is the status-change
    /// time, which a rename or copy into the folder also moves), else the modified time.
    pub created: SystemTime,
    /// Last write time.
    pub modified: SystemTime,
    /// Last access time, or the modified time where not kept.
    pub accessed: SystemTime,
}

impl FileItem {
    /// The newer of creation and modification: a file copied into the folder keeps its old
    /// modified time but is new there, and must not be skipped.
    pub fn changed(&self) -> SystemTime {
        self.created.max(self.modified)
    }

    /// The item's current variables, in [`CURRENT_VARIABLES`] order. Times are RFC 3339 UTC.
    pub fn current_variables(&self) -> CurrentItem {
        let full_name = self.path.to_string_lossy().into_owned();
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let directory = self
            .path
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (stem, extension) = split_extension(&name);
        let values = [
            format_time(self.created),
            directory.clone(),
            directory,
            extension.to_owned(),
            full_name,
            format_time(self.accessed),
            format_time(self.modified),
            self.length.to_string(),
            name.clone(),
            stem.to_owned(),
        ];
        CURRENT_VARIABLES
            .iter()
            .map(|n| (*n).to_owned())
            .zip(values)
            .collect()
    }
}

fn format_time(time: SystemTime) -> String {
    DateTime::<Utc>::from(time).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Lists the files under `directory` that match `listing` and, with `since`, changed after
/// it, in ordinal order of their full path. Wharf's own temporary files are skipped; so are
/// symbolic links to folders (no loops).
pub fn list_files(
    directory: &Path,
    listing: &Listing,
    since: Option<SystemTime>,
) -> Result<Vec<FileItem>, ListError> {
    match fs::metadata(directory) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(ListError::NotAFolder(directory.to_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(ListError::Missing(directory.to_owned()));
        }
        Err(source) => {
            return Err(ListError::Io {
                path: directory.to_owned(),
                source,
            });
        }
    }
    let mut files = Vec::new();
    let mut folders = vec![directory.to_owned()];
    while let Some(folder) = folders.pop() {
        let io = |source| ListError::Io {
            path: folder.clone(),
            source,
        };
        for entry in fs::read_dir(&folder).map_err(io)? {
            let entry = entry.map_err(io)?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|source| ListError::Io {
                path: path.clone(),
                source,
            })?;
            if kind.is_dir() {
                if listing.recursive {
                    folders.push(path);
                }
                continue;
            }
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if wharf_guest::fs::is_temporary(&name) || !listing.matches(&name) {
                continue;
            }
            // Follows a symbolic link to a file; a dangling link is skipped.
            let metadata = match fs::metadata(&path) {
                Ok(m) if m.is_file() => m,
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(source) => return Err(ListError::Io { path, source }),
            };
            let modified = metadata.modified().map_err(|source| ListError::Io {
                path: path.clone(),
                source,
            })?;
            let item = FileItem {
                length: metadata.len(),
                created: metadata.created().unwrap_or(modified),
                accessed: metadata.accessed().unwrap_or(modified),
                modified,
                path,
            };
            if since.is_none_or(|since| item.changed() > since) {
                files.push(item);
            }
        }
    }
    files.sort_by(|a, b| a.path.as_os_str().cmp(b.path.as_os_str()));
    Ok(files)
}
