//! FTP Rename (docs/ftp.md, Zynk's "Renaming Files with FTP"). Its settings and logic are `sftp_tasks::rename`, shared with
//! `sftp-rename`: the host's `ftp` capability does the transfer work over the granted connection.

/// The component; exported to the host on WebAssembly.
pub struct FtpRename;

sftp_tasks::export_remote_task!(
    FtpRename,
    rename,
    "ftp-rename",
    "Renames or moves a file on an FTP server, optionally with a timestamp in front of its name.",
    ftp
);
