//! Reaches for FTP without asking: it declares no capability, so no workflow can grant it one,
//! and every call must answer `not-permitted`. Succeeds ("escaped") if any call gets through.

use sftp_tasks::{FailureKind, HostFtp, Remote};
use wharf_guest::{Task, TaskInfo, TaskResult};

/// The component; exported to the host on WebAssembly.
pub struct FtpSnoop;

impl Task for FtpSnoop {
    fn describe() -> TaskInfo {
        TaskInfo::new("ftp-snoop", "Calls the ftp interface without a grant.")
    }

    fn run(_: Vec<(String, String)>) -> TaskResult {
        let mut remote = HostFtp;
        let attempts = [
            remote.server().map(|_| ()),
            remote.list_directory("/download", false).map(|_| ()),
            remote
                .download("/download/a.xml", "/stolen.xml")
                .map(|_| ()),
            remote
                .upload("/stolen.xml", "/upload/a.xml", true)
                .map(|_| ()),
            remote.remove("/download/a.xml"),
        ];
        let mut refusals = Vec::new();
        for attempt in attempts {
            match attempt {
                Ok(()) => return TaskResult::success("escaped: an ftp call went through"),
                Err(f) if f.kind == FailureKind::NotPermitted => refusals.push(f.message),
                Err(f) => {
                    return TaskResult::success(format!(
                        "escaped: reached the server ({})",
                        f.message
                    ));
                }
            }
        }
        TaskResult::fail(format!("{} calls refused: {}", refusals.len(), refusals[0]))
    }
}

wharf_guest::export_task!(FtpSnoop);
