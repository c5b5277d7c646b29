//! An in-memory SFTP server for native unit tests: folders, files, and a failure to answer the
//! next call with. Local files are real (the test's temporary folder).

use std::collections::{BTreeMap, BTreeSet};

use super::{FailureKind, Remote, RemoteEntry, SftpFailure, split_remote};

/// The server: its folders and files by absolute remote path.
#[derive(Debug, Default)]
pub struct FakeRemote {
    /// Remote folders (`/` included by [`FakeRemote::with_folders`]).
    pub folders: BTreeSet<String>,
    /// Remote files and their contents.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Answered (once) instead of the next call.
    pub fail_next: Option<SftpFailure>,
}

fn missing(path: &str) -> SftpFailure {
    SftpFailure {
        kind: FailureKind::NotFound,
        message: format!("`{path}`: No such file"),
    }
}

impl FakeRemote {
    /// A server with `folders` (and `/`).
    pub fn with_folders(folders: &[&str]) -> Self {
        let mut remote = FakeRemote::default();
        remote.folders.insert("/".into());
        for f in folders {
            remote.folders.insert((*f).into());
        }
        remote
    }

    /// Places a remote file.
    pub fn put(&mut self, path: &str, contents: &[u8]) {
        self.files.insert(path.into(), contents.to_vec());
    }

    fn check(&mut self) -> Result<(), SftpFailure> {
        match self.fail_next.take() {
            Some(f) => Err(f),
            None => Ok(()),
        }
    }

    fn entry(&self, path: &str) -> Option<RemoteEntry> {
        let (directory, name) = split_remote(path);
        let (is_directory, size) = if self.folders.contains(path) {
            (true, 0)
        } else {
            (false, self.files.get(path)?.len() as u64)
        };
        Some(RemoteEntry {
            name: name.into(),
            path: path.into(),
            directory: directory.into(),
            is_directory,
            size,
            modified: Some(1_368_203_241),
        })
    }
}

impl Remote for FakeRemote {
    fn server(&mut self) -> Result<String, SftpFailure> {
        self.check()?;
        Ok("sftp.example.test".into())
    }

    fn list_directory(
        &mut self,
        directory: &str,
        recursive: bool,
    ) -> Result<Vec<RemoteEntry>, SftpFailure> {
        self.check()?;
        if !self.folders.contains(directory) {
            return Err(missing(directory));
        }
        let paths = self.folders.iter().chain(self.files.keys());
        let mut found: Vec<RemoteEntry> = paths
            .filter(|p| {
                let (parent, _) = split_remote(p);
                *p != directory
                    && (parent == directory
                        || (recursive && p.starts_with(&format!("{directory}/"))))
            })
            .filter_map(|p| self.entry(p))
            .collect();
        found.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(found)
    }

    fn stat(&mut self, path: &str) -> Result<Option<RemoteEntry>, SftpFailure> {
        self.check()?;
        Ok(self.entry(path))
    }

    fn download(&mut self, remote_path: &str, local_file: &str) -> Result<u64, SftpFailure> {
        self.check()?;
        let data = self
            .files
            .get(remote_path)
            .ok_or_else(|| missing(remote_path))?;
        std::fs::write(local_file, data).map_err(|e| SftpFailure {
            kind: FailureKind::Failed,
            message: format!("{local_file}: {e}"),
        })?;
        Ok(data.len() as u64)
    }

    fn upload(
        &mut self,
        local_file: &str,
        remote_path: &str,
        overwrite: bool,
    ) -> Result<u64, SftpFailure> {
        self.check()?;
        let data = std::fs::read(local_file).map_err(|_| missing(local_file))?;
        if !self.folders.contains(split_remote(remote_path).0) {
            return Err(missing(split_remote(remote_path).0));
        }
        if !overwrite && self.files.contains_key(remote_path) {
            return Err(SftpFailure {
                kind: FailureKind::AlreadyExists,
                message: format!("`{remote_path}` exists"),
            });
        }
        let n = data.len() as u64;
        self.files.insert(remote_path.into(), data);
        Ok(n)
    }

    fn rename(&mut self, source: &str, target: &str, overwrite: bool) -> Result<(), SftpFailure> {
        self.check()?;
        if !self.files.contains_key(source) {
            return Err(missing(source));
        }
        if !self.folders.contains(split_remote(target).0) {
            return Err(missing(split_remote(target).0));
        }
        if !overwrite && self.files.contains_key(target) {
            return Err(SftpFailure {
                kind: FailureKind::AlreadyExists,
                message: format!("`{target}` exists"),
            });
        }
        let data = self.files.remove(source).expect("checked above");
        self.files.insert(target.into(), data);
        Ok(())
    }

    fn remove(&mut self, path: &str) -> Result<(), SftpFailure> {
        self.check()?;
        self.files
            .remove(path)
            .map(|_| ())
            .ok_or_else(|| missing(path))
    }
}
