//! SFTP Download (docs/zynk-reference.md §2.3, "Exporting Files with SFTP"). Its settings and logic are `sftp_tasks::download`, shared with
//! `ftp-download`: the host's `sftp` capability does the transfer work over the granted connection.

/// The component; exported to the host on WebAssembly.
pub struct SftpDownload;

sftp_tasks::export_remote_task!(
    SftpDownload,
    download,
    "sftp-download",
    "Downloads a file from an SFTP server into the working directory.",
    sftp
);
