//! FTP Download (docs/ftp.md, Zynk's "Exporting Files with FTP"). Its settings and logic are `sftp_tasks::download`, shared with
//! `sftp-download`: the host's `ftp` capability does the transfer work over the granted connection.

/// The component; exported to the host on WebAssembly.
pub struct FtpDownload;

sftp_tasks::export_remote_task!(
    FtpDownload,
    download,
    "ftp-download",
    "Downloads a file from an FTP server into the working directory.",
    ftp
);
