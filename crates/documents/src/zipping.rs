//! Zip Files (docs/file-tasks.md): files, folders and wildcards into one zip archive, streamed
//! file by file, optionally AES-256 encrypted.

use std::{
    collections::BTreeSet,
    fs::File,
    io::{self, Seek, Write},
    path::{Path, PathBuf},
};

use wharf_guest::wildcard::Wildcard;
use zip::{CompressionMethod, ZipWriter, write::SimpleFileOptions};

use crate::listing::{ListError, list_files};

/// One entry of the `files` setting and what it adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file, stored under its file name.
    File(PathBuf),
    /// A folder's files and sub-folders, stored under their paths below it.
    Folder(PathBuf),
    /// The files of a folder whose names match a wildcard (`out/*.xml`), under their names.
    Pattern(PathBuf, String),
}

/// Why a zip could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ZipError {
    /// A file or folder named is not there (result `not-found`).
    #[error("`{0}` does not exist")]
    Missing(String),
    /// Two files would have the same name inside the zip.
    #[error("two files would both be `{0}` inside the zip")]
    Duplicate(String),
    /// There is nothing to zip.
    #[error("no files to zip")]
    Empty,
    /// A wildcard is malformed.
    #[error("{0}")]
    Pattern(String),
    /// Reading a file or writing the zip failed.
    #[error("{0}")]
    Io(String),
}

impl From<ListError> for ZipError {
    fn from(e: ListError) -> Self {
        match e {
            ListError::Missing(path) => Self::Missing(path),
            other => Self::Io(other.to_string()),
        }
    }
}

/// Reads one entry of `files`: a path with `*` or `?` in its last part is a wildcard.
pub fn source(path: PathBuf) -> Source {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.contains(['*', '?']) {
        let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Source::Pattern(folder, name)
    } else if path.is_dir() {
        Source::Folder(path)
    } else {
        Source::File(path)
    }
}

/// Each file to add with its name inside the zip, checked for duplicates.
pub fn entries(sources: &[Source]) -> Result<Vec<(PathBuf, String)>, ZipError> {
    let mut entries = Vec::new();
    for source in sources {
        match source {
            Source::File(path) => {
                if !path.is_file() {
                    return Err(ZipError::Missing(path.display().to_string()));
                }
                entries.push((path.clone(), file_name(path)));
            }
            Source::Folder(folder) => {
                let everything = Wildcard::new("*").map_err(ZipError::Pattern)?;
                for path in list_files(folder, &everything, true)? {
                    let inside = path
                        .strip_prefix(folder)
                        .unwrap_or(&path)
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/");
                    entries.push((path, inside));
                }
            }
            Source::Pattern(folder, pattern) => {
                let wildcard = Wildcard::new(pattern).map_err(ZipError::Pattern)?;
                for path in list_files(folder, &wildcard, false)? {
                    let name = file_name(&path);
                    entries.push((path, name));
                }
            }
        }
    }
    let mut seen = BTreeSet::new();
    for (_, name) in &entries {
        if !seen.insert(name.clone()) {
            return Err(ZipError::Duplicate(name.clone()));
        }
    }
    if entries.is_empty() {
        return Err(ZipError::Empty);
    }
    Ok(entries)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Writes the zip of `entries` to `out` at `level` (0 stores, 1–9 deflate), encrypted with
/// AES-256 when `password` is given; returns the bytes of file data added.
pub fn write_zip<W: Write + Seek>(
    entries: &[(PathBuf, String)],
    level: u8,
    password: Option<&str>,
    out: W,
) -> Result<u64, ZipError> {
    let mut zip = ZipWriter::new(out);
    let mut options = if level == 0 {
        SimpleFileOptions::default().compression_method(CompressionMethod::Stored)
    } else {
        SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(i64::from(level)))
    }
    .large_file(true);
    if let Some(password) = password {
        options = options.with_aes_encryption(zip::AesMode::Aes256, password);
    }
    let mut total = 0;
    for (path, name) in entries {
        let mut file = File::open(path)
            .map_err(|e| ZipError::Io(format!("cannot read `{}`: {e}", path.display())))?;
        zip.start_file(name.as_str(), options)
            .map_err(|e| ZipError::Io(format!("cannot add `{name}`: {e}")))?;
        total += io::copy(&mut file, &mut zip)
            .map_err(|e| ZipError::Io(format!("cannot add `{}`: {e}", path.display())))?;
    }
    zip.finish()
        .map_err(|e| ZipError::Io(format!("cannot finish the zip: {e}")))?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{fs, io::Read};

    #[test]
    fn files_folders_and_wildcards() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("out/deep")).unwrap();
        fs::write(root.join("move.txt"), "move").unwrap();
        fs::write(root.join("out/a.xml"), "a").unwrap();
        fs::write(root.join("out/b.csv"), "b").unwrap();
        fs::write(root.join("out/deep/c.xml"), "c").unwrap();
        let sources = [
            source(root.join("move.txt")),
            source(root.join("out/*.xml")),
            source(root.join("out/deep")),
        ];
        let entries = entries(&sources).unwrap();
        let names: Vec<&str> = entries.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, ["move.txt", "a.xml", "c.xml"]);
        let mut out = io::Cursor::new(Vec::new());
        write_zip(&entries, 9, None, &mut out).unwrap();
        let mut archive = zip::ZipArchive::new(io::Cursor::new(out.into_inner())).unwrap();
        let mut text = String::new();
        archive
            .by_name("a.xml")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "a");

        // A folder keeps its sub-folders in the names.
        let entries_of_out = super::entries(&[source(root.join("out"))]).unwrap();
        assert!(entries_of_out.iter().any(|(_, n)| n == "deep/c.xml"));
    }

    #[test]
    fn passwords_levels_and_mistakes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("a.txt"), "secret text").unwrap();
        let entries = entries(&[source(root.join("a.txt"))]).unwrap();
        let mut out = io::Cursor::new(Vec::new());
        write_zip(&entries, 0, Some("pw"), &mut out).unwrap();
        let mut archive = zip::ZipArchive::new(io::Cursor::new(out.into_inner())).unwrap();
        assert!(
            archive.by_name("a.txt").is_err(),
            "encrypted entries need the password"
        );
        let mut text = String::new();
        archive
            .by_name_decrypt("a.txt", b"pw")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "secret text");

        fs::create_dir(root.join("x")).unwrap();
        fs::write(root.join("x/a.txt"), "").unwrap();
        assert!(matches!(
            super::entries(&[source(root.join("a.txt")), source(root.join("x/*.txt"))]),
            Err(ZipError::Duplicate(_))
        ));
        assert!(matches!(
            super::entries(&[source(root.join("none.txt"))]),
            Err(ZipError::Missing(_))
        ));
        assert!(matches!(
            super::entries(&[source(root.join("x/*.csv"))]),
            Err(ZipError::Empty)
        ));
    }
}
