//! SFTP List (docs/zynk-reference.md "Listing Files with SFTP"). Its settings and logic are `sftp_tasks::list`, shared with
//! `ftp-list`: the host's `sftp` capability does the transfer work over the granted connection.

/// The component; exported to the host on WebAssembly.
pub struct SftpList;

sftp_tasks::export_remote_task!(
    SftpList,
    list,
    "sftp-list",
    "Lists the files of a remote SFTP folder into the task's outputs and, optionally, an XML file.",
    sftp
);
