//! SFTP Rename (docs/zynk-reference.md §2.4, "Renaming Files with SFTP"). Its settings and logic are `sftp_tasks::rename`, shared with
//! `ftp-rename`: the host's `sftp` capability does the transfer work over the granted connection.

/// The component; exported to the host on WebAssembly.
pub struct SftpRename;

sftp_tasks::export_remote_task!(
    SftpRename,
    rename,
    "sftp-rename",
    "Renames or moves a file on an SFTP server, optionally with a timestamp in front of its name.",
    sftp
);
