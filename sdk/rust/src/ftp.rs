//! The host's `ftp` interface (feature `ftp`): the FTP or FTPS connection the workflow granted
//! (`grants: ["ftp:drop"]`). A component using it lists `ftp` in its capabilities.
//!
//! The operations are those of `sftp` (see `wit/ftp.wit`), so FTP tasks are written against the
//! same [`crate::sftp::Remote`] as the SFTP tasks: [`HostFtp`] is the host's FTP behind it, and
//! [`crate::sftp::fake::FakeRemote`] stands in for both in native tests.

#[allow(missing_docs)]
mod bindings {
    wit_bindgen::generate!({ world: "ftp-imports", path: "wit", generate_all });
}

use bindings::wharf::task::ftp;

use crate::sftp::{FailureKind, Remote, RemoteEntry, SftpFailure};

/// The host's `ftp` interface as a [`Remote`] (callable only inside the host; natively it traps).
pub struct HostFtp;

fn failure(f: ftp::FtpFailure) -> SftpFailure {
    SftpFailure {
        kind: match f.kind {
            ftp::FailureKind::NotFound => FailureKind::NotFound,
            ftp::FailureKind::NotAuthorised => FailureKind::NotAuthorised,
            ftp::FailureKind::AlreadyExists => FailureKind::AlreadyExists,
            ftp::FailureKind::Connection => FailureKind::Connection,
            ftp::FailureKind::NotPermitted => FailureKind::NotPermitted,
            ftp::FailureKind::Failed => FailureKind::Failed,
        },
        message: f.message,
    }
}

fn entry(e: ftp::RemoteEntry) -> RemoteEntry {
    RemoteEntry {
        name: e.name,
        path: e.path,
        directory: e.directory,
        is_directory: e.is_directory,
        size: e.size,
        modified: e.modified,
    }
}

impl Remote for HostFtp {
    fn server(&mut self) -> Result<String, SftpFailure> {
        ftp::server().map_err(failure)
    }

    fn list_directory(
        &mut self,
        directory: &str,
        recursive: bool,
    ) -> Result<Vec<RemoteEntry>, SftpFailure> {
        ftp::list_directory(directory, recursive)
            .map(|entries| entries.into_iter().map(entry).collect())
            .map_err(failure)
    }

    fn stat(&mut self, path: &str) -> Result<Option<RemoteEntry>, SftpFailure> {
        ftp::stat(path).map(|e| e.map(entry)).map_err(failure)
    }

    fn download(&mut self, remote_path: &str, local_file: &str) -> Result<u64, SftpFailure> {
        ftp::download(remote_path, local_file).map_err(failure)
    }

    fn upload(
        &mut self,
        local_file: &str,
        remote_path: &str,
        overwrite: bool,
    ) -> Result<u64, SftpFailure> {
        ftp::upload(local_file, remote_path, overwrite).map_err(failure)
    }

    fn rename(&mut self, source: &str, target: &str, overwrite: bool) -> Result<(), SftpFailure> {
        ftp::rename(source, target, overwrite).map_err(failure)
    }

    fn remove(&mut self, path: &str) -> Result<(), SftpFailure> {
        ftp::remove(path).map_err(failure)
    }
}
