//! FTP List (docs/ftp.md, Zynk's "Listing Files with FTP"). Its settings and logic are `sftp_tasks::list`, shared with
//! `sftp-list`: the host's `ftp` capability does the transfer work over the granted connection.

/// The component; exported to the host on WebAssembly.
pub struct FtpList;

sftp_tasks::export_remote_task!(
    FtpList,
    list,
    "ftp-list",
    "Lists the files of a remote FTP folder into the task's outputs and, optionally, an XML file.",
    ftp
);
