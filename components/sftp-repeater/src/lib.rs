//! SFTP Repeater (docs/zynk-reference.md §2.2, "SFTP Repeater"). Its settings and logic are `sftp_tasks::repeater`, shared
//! with `ftp-repeater`: the host's `sftp` capability lists the folder over the granted connection.

/// The component; exported to the host on WebAssembly.
pub struct SftpRepeater;

sftp_tasks::export_remote_repeater!(
    SftpRepeater,
    "sftp-repeater",
    "Runs its children once per file in a remote SFTP folder, in ordinal order of the full path.",
    sftp
);
