//! FTP Delete (docs/ftp.md, Zynk's "Deleting Files with FTP"). Its settings and logic are `sftp_tasks::delete`, shared with
//! `sftp-delete`: the host's `ftp` capability does the transfer work over the granted connection.

/// The component; exported to the host on WebAssembly.
pub struct FtpDelete;

sftp_tasks::export_remote_task!(
    FtpDelete,
    delete,
    "ftp-delete",
    "Deletes a file on an FTP server.",
    ftp
);
