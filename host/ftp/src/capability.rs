//! The host side of `wit/ftp.wit`: grants, the per-call view of a task, and the calls. The
//! calls block the task's thread (the FTP client is synchronous), bounded by the connection's
//! timeouts and retries.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use wasmtime::component::{HasData, Linker};
use wharf_engine::runtime::capability::extension;
use wharf_engine::runtime::{
    Capability, Extension, GrantContext, TaskState, WriteBudget, guest_to_host,
};
use wharf_sftp::{
    Charge, ClientPool, FailureKind, RemoteEntry, SftpFailure, downloads_durable,
    granted_connection, symbolic_link_on, unknown_connection,
};

use crate::bindings::{FtpImports, ftp};
use crate::client::FtpClient;
use crate::connections::FtpConnections;

/// What every call of a task without a grant answers.
pub const NOT_PERMITTED: &str = "not permitted: this task was not granted an FTP connection (grant one with `grants: [\"ftp:NAME\"]`, NAME a connection in the connections file's `ftp:` section; its component must declare `ftp`)";

/// The `ftp` capability over a set of named connections.
pub struct FtpCapability {
    connections: Arc<FtpConnections>,
    /// One client (one live control connection) per connection name, shared by every task.
    clients: ClientPool<FtpClient>,
}

impl FtpCapability {
    pub fn new(connections: FtpConnections) -> Self {
        FtpCapability {
            connections: Arc::new(connections),
            clients: ClientPool::default(),
        }
    }

    /// The client of connection `name`, made on first use.
    pub fn client(&self, name: &str) -> Result<Arc<FtpClient>, String> {
        self.clients.get_or_make(name, || {
            let connection = self
                .connections
                .get(name)
                .ok_or_else(|| self.unknown(name))?;
            Ok(FtpClient::new(name, connection.clone()))
        })
    }

    fn unknown(&self, name: &str) -> String {
        unknown_connection("FTP", name, self.connections.names())
    }
}

impl Capability for FtpCapability {
    fn name(&self) -> &str {
        "ftp"
    }

    fn add_to_linker(&self, linker: &mut Linker<TaskState>) -> wasmtime::Result<()> {
        FtpImports::add_to_linker::<TaskState, FtpView>(linker, |state| {
            let budget = state.budget.clone();
            FtpCall {
                grant: state.extension::<FtpGrant>(),
                budget,
            }
        })
    }

    fn check_grant(&self, argument: Option<&str>) -> Result<(), String> {
        let name = granted_connection("ftp", argument)?;
        self.connections
            .get(name)
            .map(|_| ())
            .ok_or_else(|| self.unknown(name))
    }

    fn grant(&self, ctx: &GrantContext<'_>) -> Result<Extension, String> {
        let name = granted_connection("ftp", ctx.argument)?;
        let client = self.client(name)?;
        Ok(extension(FtpGrant::Granted(Box::new(Session {
            client,
            workdir: ctx.workdir.to_owned(),
        }))))
    }
}

/// Per-call state: `Denied` (the default, for tasks without a grant) or a session.
#[derive(Default)]
pub enum FtpGrant {
    #[default]
    Denied,
    Granted(Box<Session>),
}

/// A granted task call: its connection and working directory.
pub struct Session {
    client: Arc<FtpClient>,
    workdir: PathBuf,
}

impl Session {
    fn local(&self, guest: &str) -> Result<PathBuf, SftpFailure> {
        let path = guest_to_host(&self.workdir, guest)
            .map_err(|e| SftpFailure::new(FailureKind::NotPermitted, e))?;
        refuse_links(&self.workdir, &path)?;
        Ok(path)
    }
}

/// The host writes and reads local files for the task: a symbolic link inside the working
/// directory must not lead it elsewhere.
fn refuse_links(workdir: &Path, path: &Path) -> Result<(), SftpFailure> {
    match symbolic_link_on(workdir, path) {
        Some(link) => Err(SftpFailure::new(
            FailureKind::NotPermitted,
            format!(
                "`{}` is a symbolic link; FTP transfers use plain files of the working directory",
                link.display()
            ),
        )),
        None => Ok(()),
    }
}

/// The `HasData` of the ftp interface: a task's grant plus its write budget.
pub struct FtpView;

impl HasData for FtpView {
    type Data<'a> = FtpCall<'a>;
}

pub struct FtpCall<'a> {
    grant: &'a mut FtpGrant,
    budget: Arc<WriteBudget>,
}

impl FtpCall<'_> {
    fn session(&self) -> Result<&Session, SftpFailure> {
        match &*self.grant {
            FtpGrant::Granted(session) => Ok(session),
            FtpGrant::Denied => Err(SftpFailure::new(FailureKind::NotPermitted, NOT_PERMITTED)),
        }
    }
}

type Answer<T> = wasmtime::Result<Result<T, ftp::FtpFailure>>;

fn answer<T>(result: Result<T, SftpFailure>) -> Answer<T> {
    Ok(result.map_err(|f| ftp::FtpFailure {
        kind: match f.kind {
            FailureKind::NotFound => ftp::FailureKind::NotFound,
            FailureKind::NotAuthorised => ftp::FailureKind::NotAuthorised,
            FailureKind::AlreadyExists => ftp::FailureKind::AlreadyExists,
            FailureKind::Connection => ftp::FailureKind::Connection,
            FailureKind::NotPermitted => ftp::FailureKind::NotPermitted,
            FailureKind::Failed => ftp::FailureKind::Failed,
        },
        message: f.message,
    }))
}

fn entry(e: RemoteEntry) -> ftp::RemoteEntry {
    ftp::RemoteEntry {
        name: e.name,
        path: e.path,
        directory: e.directory,
        is_directory: e.is_directory,
        size: e.size,
        modified: e.modified,
    }
}

impl ftp::Host for FtpCall<'_> {
    fn server(&mut self) -> Answer<String> {
        answer(self.session().map(|s| s.client.server().to_owned()))
    }

    fn list_directory(
        &mut self,
        directory: String,
        recursive: bool,
    ) -> Answer<Vec<ftp::RemoteEntry>> {
        answer(self.session().and_then(|s| {
            s.client
                .list(&directory, recursive)
                .map(|entries| entries.into_iter().map(entry).collect())
        }))
    }

    fn stat(&mut self, path: String) -> Answer<Option<ftp::RemoteEntry>> {
        answer(
            self.session()
                .and_then(|s| s.client.stat(&path).map(|e| e.map(entry))),
        )
    }

    fn download(&mut self, remote_path: String, local_file: String) -> Answer<u64> {
        let (client, local) = match self
            .session()
            .and_then(|s| Ok((s.client.clone(), s.local(&local_file)?)))
        {
            Ok(found) => found,
            Err(f) => return answer(Err(f)),
        };
        let budget = self.budget.clone();
        let over_budget = Arc::new(Mutex::new(None));
        let over = over_budget.clone();
        let charge: Charge = Arc::new(move |n| {
            budget.charge(n).map_err(|e| {
                let message = e.to_string();
                *over.lock().unwrap_or_else(|p| p.into_inner()) = Some(message.clone());
                message
            })
        });
        let result = client.download(&remote_path, &local, charge);
        if let Some(limit) = over_budget.lock().unwrap_or_else(|p| p.into_inner()).take() {
            // The write budget is the sandbox's limit, not an FTP failure: end the task.
            return Err(wasmtime::format_err!(limit));
        }
        answer(result)
    }

    // Operations that can remove or rename data on the server first wait for every file
    // downloaded so far (by SFTP too) to be on the disk (docs/resume.md, "Downloaded files and
    // the disk").
    fn upload(&mut self, local_file: String, remote_path: String, overwrite: bool) -> Answer<u64> {
        answer(self.session().and_then(|s| {
            let local = s.local(&local_file)?;
            downloads_durable(&s.client.context(&format!("uploading to `{remote_path}`")))?;
            s.client.upload(&local, &remote_path, overwrite)
        }))
    }

    fn rename(&mut self, source: String, target: String, overwrite: bool) -> Answer<()> {
        answer(self.session().and_then(|s| {
            downloads_durable(
                &s.client
                    .context(&format!("renaming `{source}` to `{target}`")),
            )?;
            s.client.rename(&source, &target, overwrite)
        }))
    }

    fn remove(&mut self, path: String) -> Answer<()> {
        answer(self.session().and_then(|s| {
            downloads_durable(&s.client.context(&format!("deleting `{path}`")))?;
            s.client.remove(&path)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capability() -> FtpCapability {
        FtpCapability::new(
            FtpConnections::parse(
                "ftp:\n  drop: { server: 127.0.0.1, port: 1, username: u, tls: false, retries: 0, connect-timeout-seconds: 1 }\n",
                Path::new("."),
            )
            .unwrap(),
        )
    }

    #[test]
    fn a_grant_must_name_a_known_connection() {
        let cap = capability();
        assert!(cap.check_grant(Some("drop")).is_ok());
        let e = cap.check_grant(None).unwrap_err();
        assert!(e.contains("ftp:NAME"), "{e}");
        let e = cap.check_grant(Some("warehouse")).unwrap_err();
        assert!(e.contains("`warehouse`") && e.contains("drop"), "{e}");
    }

    #[test]
    fn an_ungranted_call_is_not_permitted() {
        let mut grant = FtpGrant::Denied;
        let mut call = FtpCall {
            grant: &mut grant,
            budget: WriteBudget::new(1 << 20, Default::default()),
        };
        use ftp::Host;
        let failure = call.list_directory("/".into(), false).unwrap().unwrap_err();
        assert_eq!(failure.kind, ftp::FailureKind::NotPermitted);
        assert_eq!(failure.message, NOT_PERMITTED);
    }

    #[test]
    fn local_files_stay_inside_the_working_directory() {
        let dir = tempfile::tempdir().unwrap();
        let session = Session {
            client: capability().client("drop").unwrap(),
            workdir: dir.path().to_owned(),
        };
        assert_eq!(
            session.local("/in/orders.xml").unwrap(),
            dir.path().join("in/orders.xml")
        );
        assert_eq!(
            session.local("../etc/passwd").unwrap_err().kind,
            FailureKind::NotPermitted
        );
        std::os::unix::fs::symlink("/etc", dir.path().join("link")).unwrap();
        let e = session.local("link/passwd").unwrap_err();
        assert!(e.message.contains("symbolic link"), "{}", e.message);
    }
}
