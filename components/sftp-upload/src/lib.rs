//! SFTP Upload (docs/zynk-reference.md §2.5, "Importing Files with SFTP"). Its settings and logic are `sftp_tasks::upload`, shared with
//! `ftp-upload`: the host's `sftp` capability does the transfer work over the granted connection.

/// The component; exported to the host on WebAssembly.
pub struct SftpUpload;

sftp_tasks::export_remote_task!(
    SftpUpload,
    upload,
    "sftp-upload",
    "Uploads a file of the working directory to an SFTP server.",
    sftp
);
