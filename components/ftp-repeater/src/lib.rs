//! FTP Repeater (docs/ftp.md, Zynk's "FTP Repeater"). Its settings and logic are `sftp_tasks::repeater`, shared
//! with `sftp-repeater`: the host's `ftp` capability lists the folder over the granted connection.

/// The component; exported to the host on WebAssembly.
pub struct FtpRepeater;

sftp_tasks::export_remote_repeater!(
    FtpRepeater,
    "ftp-repeater",
    "Runs its children once per file in a remote FTP folder, in ordinal order of the full path.",
    ftp
);
