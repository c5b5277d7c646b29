//! FTP Upload (docs/ftp.md, Zynk's "Importing Files with FTP"). Its settings and logic are `sftp_tasks::upload`, shared with
//! `sftp-upload`: the host's `ftp` capability does the transfer work over the granted connection.

/// The component; exported to the host on WebAssembly.
pub struct FtpUpload;

sftp_tasks::export_remote_task!(
    FtpUpload,
    upload,
    "ftp-upload",
    "Uploads a file of the working directory to an FTP server.",
    ftp
);
