//! The archive journal, which makes archiving idempotent.
//!
//! Before the zip is handed to the store, the task writes (atomically) the zip's archive name
//! and every file it holds, with size and SHA-256. The journal goes once the originals are
//! removed. A run killed in between leaves it behind: the next run looks the zip up in the
//! store and, if it is there, removes the originals the zip holds (those still byte for byte
//! what was zipped) instead of archiving them a second time. If the zip never reached the
//! store the journal is dropped and the files, all still in place, are archived as usual.

use std::{
    fs::{self, File},
    io::{self, BufReader, Read, Write},
    path::Path,
};

use sha2::{Digest, Sha256};
use wharf_guest::log;

use crate::ArchiveStore;

/// The journal's name in the working directory (a Wharf temporary: never archived or listed).
pub const JOURNAL_NAME: &str = ".wharf-archive-journal";
/// The journal while it is being written; renamed to [`JOURNAL_NAME`] once complete.
pub const JOURNAL_PARTIAL_NAME: &str = ".wharf-archive-journal.partial";

const HEADER: &str = "wharf-archive-journal 1";

/// One file as it went into the zip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalFile {
    /// File name, directly in the working directory.
    pub name: String,
    pub size: u64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
}

/// What a zip handed to the store holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    /// The zip's name in the archive store.
    pub archive: String,
    pub files: Vec<JournalFile>,
}

/// The outcome of finishing an interrupted run's journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// The zip the interrupted run stored.
    pub archive: String,
    /// Originals removed now, because the stored zip already holds them.
    pub removed: u64,
}

impl Journal {
    /// Writes the journal to `root` durably: a partial file, synced, then renamed into place.
    pub fn write(&self, root: &Path) -> io::Result<()> {
        let partial = root.join(JOURNAL_PARTIAL_NAME);
        let mut text = format!("{HEADER}\narchive {}\n", escape(&self.archive));
        for file in &self.files {
            text.push_str(&format!(
                "file {} {} {}\n",
                file.size,
                file.sha256,
                escape(&file.name)
            ));
        }
        let mut out = File::create(&partial)?;
        out.write_all(text.as_bytes())?;
        out.sync_all()?;
        drop(out);
        fs::rename(&partial, root.join(JOURNAL_NAME))?;
        sync_folder(root);
        Ok(())
    }

    /// The journal left in `root`, if any.
    pub fn read(root: &Path) -> io::Result<Option<Journal>> {
        let text = match fs::read_to_string(root.join(JOURNAL_NAME)) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        parse(&text)
            .map(Some)
            .map_err(|problem| io::Error::new(io::ErrorKind::InvalidData, problem))
    }

    /// Removes the journal from `root`; a missing one is fine.
    pub fn remove(root: &Path) -> io::Result<()> {
        match fs::remove_file(root.join(JOURNAL_NAME)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => {
                sync_folder(root);
                Ok(())
            }
        }
    }
}

fn parse(text: &str) -> Result<Journal, String> {
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Err(format!("it does not start with `{HEADER}`"));
    }
    let archive = lines
        .next()
        .and_then(|line| line.strip_prefix("archive "))
        .map(unescape)
        .ok_or("its second line does not name the archive")?;
    let mut files = Vec::new();
    for line in lines {
        let mut fields = line
            .strip_prefix("file ")
            .ok_or_else(|| format!("unexpected line `{line}`"))?
            .splitn(3, ' ');
        let (Some(size), Some(sha256), Some(name)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(format!("incomplete line `{line}`"));
        };
        files.push(JournalFile {
            name: unescape(name),
            size: size
                .parse()
                .map_err(|_| format!("bad size in line `{line}`"))?,
            sha256: sha256.to_owned(),
        });
    }
    Ok(Journal { archive, files })
}

/// File names may hold line breaks; the journal is one entry per line.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// A reader that hashes and counts what passes through it, so a file is hashed in the same
/// pass that zips it.
pub struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    size: u64,
}

impl<R: Read> Hashing<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            size: 0,
        }
    }

    /// Size and lower-case hex SHA-256 of everything read.
    pub fn finish(self) -> (u64, String) {
        let digest = self.hasher.finalize();
        let hex = digest.iter().map(|b| format!("{b:02x}")).collect();
        (self.size, hex)
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

/// Size and SHA-256 of the file at `path`.
fn fingerprint(path: &Path) -> io::Result<(u64, String)> {
    let mut reader = Hashing::new(BufReader::with_capacity(256 * 1024, File::open(path)?));
    io::copy(&mut reader, &mut io::sink())?;
    Ok(reader.finish())
}

/// Finishes the journal an interrupted run left in `root`, if any (see the module docs).
/// Fails, removing nothing, when the store cannot be asked whether it holds the zip.
pub fn finish_interrupted(
    root: &Path,
    store: &mut impl ArchiveStore,
) -> Result<Option<Finished>, String> {
    let journal = match Journal::read(root) {
        Ok(Some(journal)) => journal,
        Ok(None) => return Ok(None),
        Err(e) => {
            // Only a hand-edited journal gets here (it is written atomically). Archiving the
            // files again may store some twice, but loses none.
            log::warn(format!(
                "ignoring the unreadable archive journal `{JOURNAL_NAME}`: {e}"
            ));
            Journal::remove(root).map_err(|e| format!("cannot remove `{JOURNAL_NAME}`: {e}"))?;
            return Ok(None);
        }
    };
    let stored = store
        .entries()
        .map_err(|e| {
            format!(
                "cannot ask the archive store whether it holds `{}`, stored by an interrupted run: {e}; no file was removed",
                journal.archive
            )
        })?
        .iter()
        .any(|entry| entry.name == journal.archive);
    let mut removed = 0;
    if stored {
        for file in &journal.files {
            let path = root.join(&file.name);
            match fingerprint(&path) {
                Ok((size, sha256)) if size == file.size && sha256 == file.sha256 => {
                    fs::remove_file(&path)
                        .map_err(|e| format!("cannot remove `{}`: {e}", path.display()))?;
                    removed += 1;
                }
                Ok(_) => log::warn(format!(
                    "`{}` changed since it went into `{}`; it is archived again",
                    file.name, journal.archive
                )),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("cannot read `{}`: {e}", path.display())),
            }
        }
        log::info(format!(
            "finished archive `{}` of an interrupted run: removed {removed} original(s) it holds",
            journal.archive
        ));
    } else {
        log::info(format!(
            "archive `{}` of an interrupted run never reached the store; its files are archived now",
            journal.archive
        ));
    }
    Journal::remove(root).map_err(|e| format!("cannot remove `{JOURNAL_NAME}`: {e}"))?;
    Ok(stored.then_some(Finished {
        archive: journal.archive,
        removed,
    }))
}

/// Makes a rename or removal durable where the platform can sync a folder; best effort.
fn sync_folder(root: &Path) {
    if let Ok(folder) = File::open(root) {
        let _ = folder.sync_all();
    }
}
