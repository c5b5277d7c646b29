//! Listing the files of a folder the way Zynk's File Repeater (a .NET `FileInfo` list) does.

use std::{
    collections::{HashSet, VecDeque},
    ffi::OsString,
    fs, io,
    path::{Component, Path, PathBuf},
    time::SystemTime,
};

use chrono::{DateTime, SecondsFormat, Utc};
use wharf_guest::wildcard::Wildcard;
pub use wharf_guest::wildcard::split_extension;
use wharf_guest::{CurrentItem, log};

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
    /// The working directory: symbolic links are followed only while they stay inside it.
    root: PathBuf,
}

impl Listing {
    /// See [`Wildcard::new`] for the pattern's rules. Links are followed within `/`, the
    /// working directory as a component sees it.
    pub fn new(pattern: &str, recursive: bool) -> Result<Self, String> {
        Ok(Self {
            pattern: Wildcard::new(pattern)?,
            recursive,
            root: PathBuf::from("/"),
        })
    }

    /// The same listing, following links only within `root` (an absolute path).
    pub fn within(self, root: &Path) -> Self {
        Self {
            root: root.to_owned(),
            ..self
        }
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
/// it, in ordinal order of their full path. Wharf's own temporary files are skipped.
///
/// Symbolic links are followed when they lead to a file or folder inside the working
/// directory (the link's target is resolved step by step, links within it too); each file
/// and folder is listed once, under the first path that reached it, so a link to a folder
/// listed anyway, or to one of its own ancestors, adds nothing and cannot loop. Links that
/// lead outside, are absolute (the sandbox cannot tell where a host path lands), dangle, or
/// chain too deep are skipped with a warning.
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
    let start = match resolve(&listing.root, directory) {
        Resolved::Inside(real) => real,
        _ => directory.to_owned(),
    };
    let mut found = Found {
        files: Vec::new(),
        listed: HashSet::new(),
        since,
    };
    // Real paths of the folders walked: each once.
    let mut walked = HashSet::new();
    // (path as listed, real path) of the folders still to walk: first the real tree, then
    // what links lead to, so a file reachable both ways is listed under its own path.
    let mut folders = vec![(directory.to_owned(), start)];
    let mut linked_folders = VecDeque::new();
    let mut linked_files = Vec::new();
    while let Some((folder, real_folder)) = folders.pop().or_else(|| linked_folders.pop_front()) {
        if !walked.insert(real_folder.clone()) {
            continue;
        }
        let io = |source| ListError::Io {
            path: folder.clone(),
            source,
        };
        let mut entries = fs::read_dir(&folder)
            .map_err(io)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(io)?;
        entries.sort_by_key(|entry| entry.file_name());
        for entry in entries {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let real = real_folder.join(&name);
            // The sandbox may not tell the type of a link (one to an absolute path, say):
            // whatever is neither a plain folder nor a plain file is resolved as a link.
            let kind = entry.file_type().ok();
            let is_dir = kind.is_some_and(|kind| kind.is_dir());
            if !is_dir && !kind.is_some_and(|kind| kind.is_file()) {
                let Some(target) = follow(&listing.root, &path, &real) else {
                    continue;
                };
                if fs::metadata(&target).is_ok_and(|m| m.is_dir()) {
                    if listing.recursive {
                        linked_folders.push_back((path, target));
                    }
                } else {
                    linked_files.push((path, name, target));
                }
            } else if is_dir {
                if listing.recursive {
                    folders.push((path, real));
                }
            } else {
                found.consider(listing, path, &name, real)?;
            }
        }
    }
    for (path, name, real) in linked_files {
        found.consider(listing, path, &name, real)?;
    }
    let mut files = found.files;
    files.sort_by(|a, b| a.path.as_os_str().cmp(b.path.as_os_str()));
    Ok(files)
}

/// The files listed so far.
struct Found {
    files: Vec<FileItem>,
    /// Real paths of the files listed: each once. Hashed (a path hashes as it compares, by
    /// components): a tree set compared the paths component by component about ten times per
    /// file of a 1,000-file folder, about half of the component's own time listing it.
    listed: HashSet<PathBuf>,
    since: Option<SystemTime>,
}

impl Found {
    /// Lists the file `path` (really at `real`) if its name matches and it is new to the list.
    fn consider(
        &mut self,
        listing: &Listing,
        path: PathBuf,
        name: &str,
        real: PathBuf,
    ) -> Result<(), ListError> {
        if wharf_guest::fs::is_temporary(name) || !listing.matches(name) {
            return Ok(());
        }
        let metadata = match fs::metadata(&real) {
            Ok(m) if m.is_file() => m,
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(source) => return Err(ListError::Io { path, source }),
        };
        if !self.listed.insert(real) {
            return Ok(());
        }
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
        if self.since.is_none_or(|since| item.changed() > since) {
            self.files.push(item);
        }
        Ok(())
    }
}

/// Where the link `path` (really at `real`) leads, if it stays inside `root`; warns and
/// returns `None` otherwise.
fn follow(root: &Path, path: &Path, real: &Path) -> Option<PathBuf> {
    let why = match resolve(root, real) {
        Resolved::Inside(target) => return Some(target),
        Resolved::Outside => "it links outside the working directory".to_owned(),
        Resolved::Absolute(target) => format!(
            "it links to the absolute path `{}`; only relative links inside the working directory are followed",
            target.display()
        ),
        Resolved::Broken(problem) => problem,
    };
    log::warn(format!("skipping the link `{}`: {why}", path.display()));
    None
}

/// Where a path leads once every symbolic link on it is followed.
#[derive(Debug, PartialEq, Eq)]
enum Resolved {
    /// The real path, inside the root, with no links left on it.
    Inside(PathBuf),
    /// A link (or `..`) leads above the root.
    Outside,
    /// A link names an absolute path.
    Absolute(PathBuf),
    /// A step is missing or unreadable, or links chain too deep (a loop).
    Broken(String),
}

/// Links followed while resolving one path before giving up (Linux stops at 40).
const MAX_LINK_HOPS: usize = 40;

/// Resolves `path` (absolute, inside `root`) step by step within `root`, like `realpath`
/// (which WASI does not offer).
fn resolve(root: &Path, path: &Path) -> Resolved {
    let Ok(relative) = path.strip_prefix(root) else {
        return Resolved::Outside;
    };
    let mut pending: VecDeque<OsString> = VecDeque::new();
    if !push_steps(&mut pending, relative, false) {
        return Resolved::Outside;
    }
    let mut real = root.to_owned();
    let mut depth = 0usize;
    let mut hops = 0;
    while let Some(step) = pending.pop_front() {
        if step == ".." {
            if depth == 0 {
                return Resolved::Outside;
            }
            real.pop();
            depth -= 1;
            continue;
        }
        let candidate = real.join(&step);
        // Asked first: the sandbox refuses even to stat a link to an absolute path.
        let Ok(target) = fs::read_link(&candidate) else {
            match fs::symlink_metadata(&candidate) {
                Err(e) => return Resolved::Broken(format!("`{}`: {e}", candidate.display())),
                // The sandbox will not read a link to an absolute path.
                Ok(metadata) if metadata.file_type().is_symlink() => {
                    return Resolved::Broken(format!(
                        "`{}` cannot be read in the sandbox (a link to an absolute path?); only relative links inside the working directory are followed",
                        candidate.display()
                    ));
                }
                Ok(_) => {}
            }
            real = candidate;
            depth += 1;
            continue;
        };
        hops += 1;
        if hops > MAX_LINK_HOPS {
            return Resolved::Broken(format!("more than {MAX_LINK_HOPS} links in a chain"));
        }
        if target.has_root() {
            return Resolved::Absolute(target);
        }
        if !push_steps(&mut pending, &target, true) {
            return Resolved::Outside;
        }
    }
    Resolved::Inside(real)
}

/// Queues the steps of a relative path, at the front (a link's target, resolved next) or the
/// back; `false` if it has a root or prefix.
fn push_steps(pending: &mut VecDeque<OsString>, path: &Path, front: bool) -> bool {
    let mut steps = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(step) => steps.push(step.to_owned()),
            Component::ParentDir => steps.push(OsString::from("..")),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    if front {
        for step in steps.into_iter().rev() {
            pending.push_front(step);
        }
    } else {
        pending.extend(steps);
    }
    true
}
