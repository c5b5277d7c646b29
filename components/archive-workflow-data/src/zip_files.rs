//! Choosing the files and writing the zip, streaming each file through the compressor.

use std::{
    fs::{self, File},
    io::{self, BufReader, BufWriter},
    path::{Path, PathBuf},
};

use chrono::{DateTime, Datelike, Timelike, Utc};
use zip::{CompressionMethod, ZipWriter, write::SimpleFileOptions};

use crate::journal::{Hashing, JOURNAL_PARTIAL_NAME, JournalFile};

/// Removes zips (and journals) left half-written in `root` by an archive run that died before
/// storing them: they were never stored, and the files they hold are still in place, so
/// nothing is lost.
pub fn remove_stale_partials(root: &Path) -> io::Result<usize> {
    let mut removed = 0;
    for entry in fs::read_dir(root)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if (name.starts_with(PARTIAL_PREFIX) && name.ends_with(PARTIAL_SUFFIX))
            || name == JOURNAL_PARTIAL_NAME
        {
            fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// A zip being written is `/.wharf-archive-<stamp>.zip.partial` until the store takes it.
pub const PARTIAL_PREFIX: &str = ".wharf-archive-";
/// See [`PARTIAL_PREFIX`].
pub const PARTIAL_SUFFIX: &str = ".zip.partial";

/// The regular files directly in `root`, in ordinal name order. Sub-folders (the archive
/// folder, split outputs …), links and Wharf's own temporary files are left alone.
pub fn files_to_archive(root: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(root)? {
        let entry = entry?;
        let name = entry.file_name();
        if wharf_guest::fs::is_temporary(&name.to_string_lossy()) {
            continue;
        }
        if entry.file_type()?.is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// Writes `files` into a new zip at `path` (entries named by file name, deflated, with their
/// modified times) and syncs it to disk. Returns each file's size and hash as zipped, hashed
/// in the same pass.
pub fn write_zip(path: &Path, files: &[PathBuf]) -> zip::result::ZipResult<Vec<JournalFile>> {
    let out = File::create(path)?;
    let mut zip = ZipWriter::new(BufWriter::with_capacity(256 * 1024, out));
    let mut zipped = Vec::with_capacity(files.len());
    for file in files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let source = File::open(file)?;
        let metadata = source.metadata()?;
        let mut options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .unix_permissions(0o644)
            .large_file(metadata.len() >= u64::from(u32::MAX));
        if let Some(time) = metadata.modified().ok().and_then(zip_time) {
            options = options.last_modified_time(time);
        }
        zip.start_file(name.as_str(), options)?;
        let mut reader = Hashing::new(BufReader::with_capacity(256 * 1024, source));
        io::copy(&mut reader, &mut zip)?;
        let (size, sha256) = reader.finish();
        zipped.push(JournalFile { name, size, sha256 });
    }
    let out = zip.finish()?;
    let out = out.into_inner().map_err(|e| e.into_error())?;
    out.sync_all()?;
    Ok(zipped)
}

/// A file time as a zip (DOS) time in UTC; `None` outside 1980–2107.
fn zip_time(time: std::time::SystemTime) -> Option<zip::DateTime> {
    let time = DateTime::<Utc>::from(time);
    zip::DateTime::from_date_and_time(
        u16::try_from(time.year()).ok()?,
        time.month() as u8,
        time.day() as u8,
        time.hour() as u8,
        time.minute() as u8,
        time.second() as u8,
    )
    .ok()
}
