//! The host's `sftp` interface (feature `sftp`): the SFTP connection the workflow granted
//! (`grants: ["sftp:shop"]`). A component using it lists `sftp` in its capabilities.
//!
//! Write the task against [`Remote`]: [`HostRemote`] in the component, [`fake::FakeRemote`]
//! (an in-memory server) in native unit tests.

#[allow(missing_docs)]
mod bindings {
    wit_bindgen::generate!({ world: "sftp-imports", path: "wit", generate_all });
}

pub use bindings::wharf::task::sftp::*;

#[cfg(not(target_arch = "wasm32"))]
pub mod fake;

/// The `sftp` operations a task uses: the host's, or a stand-in in native tests. Each is the
/// WIT function of the same name (see `wit/sftp.wit`).
pub trait Remote {
    /// The server's name, for messages and the `Server` variable.
    fn server(&mut self) -> Result<String, SftpFailure>;
    /// The entries of a remote folder (with `recursive`, of its sub-folders too).
    fn list_directory(
        &mut self,
        directory: &str,
        recursive: bool,
    ) -> Result<Vec<RemoteEntry>, SftpFailure>;
    /// The entry at `path`, if there is one.
    fn stat(&mut self, path: &str) -> Result<Option<RemoteEntry>, SftpFailure>;
    /// Copies a remote file into the working directory; returns its size.
    fn download(&mut self, remote_path: &str, local_file: &str) -> Result<u64, SftpFailure>;
    /// Copies a working-directory file to the server; returns its size.
    fn upload(
        &mut self,
        local_file: &str,
        remote_path: &str,
        overwrite: bool,
    ) -> Result<u64, SftpFailure>;
    /// Renames or moves a remote file.
    fn rename(&mut self, source: &str, target: &str, overwrite: bool) -> Result<(), SftpFailure>;
    /// Deletes a remote file.
    fn remove(&mut self, path: &str) -> Result<(), SftpFailure>;
}

/// The host's `sftp` interface (callable only inside the host; natively it traps).
pub struct HostRemote;

impl Remote for HostRemote {
    fn server(&mut self) -> Result<String, SftpFailure> {
        server()
    }

    fn list_directory(
        &mut self,
        directory: &str,
        recursive: bool,
    ) -> Result<Vec<RemoteEntry>, SftpFailure> {
        list_directory(directory, recursive)
    }

    fn stat(&mut self, path: &str) -> Result<Option<RemoteEntry>, SftpFailure> {
        stat(path)
    }

    fn download(&mut self, remote_path: &str, local_file: &str) -> Result<u64, SftpFailure> {
        download(remote_path, local_file)
    }

    fn upload(
        &mut self,
        local_file: &str,
        remote_path: &str,
        overwrite: bool,
    ) -> Result<u64, SftpFailure> {
        upload(local_file, remote_path, overwrite)
    }

    fn rename(&mut self, source: &str, target: &str, overwrite: bool) -> Result<(), SftpFailure> {
        rename(source, target, overwrite)
    }

    fn remove(&mut self, path: &str) -> Result<(), SftpFailure> {
        remove(path)
    }
}

/// The last segment of a remote path and the folder before it (`.` for a bare name).
pub fn split_remote(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(0) => ("/", &path[1..]),
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (".", path),
    }
}
