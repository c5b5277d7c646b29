//! Writing a task's output file so that it appears whole or not at all.

use std::{
    fs::{self, File},
    io::{self, BufWriter, Write},
    path::{Path, PathBuf},
};

use wharf_guest::fs::partial_path;

/// An output file being written: bytes go to `.<name>.wharf-partial` beside it, and
/// [`Output::commit`] syncs and renames it into place. Dropped without a commit, the partial
/// file is removed.
pub struct Output {
    target: PathBuf,
    partial: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl Output {
    /// Starts writing `target`, creating its folder if missing.
    pub fn create(target: &Path) -> io::Result<Self> {
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent)?;
        }
        if target.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                format!("`{}` is a folder", target.display()),
            ));
        }
        let partial = partial_path(target);
        let file = File::create(&partial)?;
        Ok(Self {
            target: target.to_path_buf(),
            partial,
            writer: Some(BufWriter::with_capacity(256 * 1024, file)),
        })
    }

    /// The file this will become.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes, syncs and renames the partial file over the target.
    pub fn commit(mut self) -> io::Result<()> {
        let writer = self.writer.take().expect("an output is committed once");
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        fs::rename(&self.partial, &self.target)
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.writer.as_mut() {
            Some(writer) => writer.write(buf),
            None => Err(io::Error::other("output already committed")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.writer.as_mut() {
            Some(writer) => writer.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = fs::remove_file(&self.partial);
        }
    }
}

impl std::io::Seek for Output {
    fn seek(&mut self, position: std::io::SeekFrom) -> io::Result<u64> {
        match self.writer.as_mut() {
            Some(writer) => writer.seek(position),
            None => Err(io::Error::other("output already committed")),
        }
    }
}
