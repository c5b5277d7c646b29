//! SFTP Delete (docs/zynk-reference.md "Deleting Files with SFTP"). Its settings and logic are `sftp_tasks::delete`, shared with
//! `ftp-delete`: the host's `sftp` capability does the transfer work over the granted connection.

/// The component; exported to the host on WebAssembly.
pub struct SftpDelete;

sftp_tasks::export_remote_task!(
    SftpDelete,
    delete,
    "sftp-delete",
    "Deletes a file on an SFTP server.",
    sftp
);
