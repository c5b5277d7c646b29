//! The host side of `wit/sftp.wit`: grants, the per-call view of a task, and the calls.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use wasmtime::component::{HasData, Linker};
use wharf_engine::blocking::AsyncBridge;
use wharf_engine::runtime::capability::extension;
use wharf_engine::runtime::{
    Capability, Extension, GrantContext, TaskState, WriteBudget, guest_to_host,
};

use crate::bindings::{SftpImports, sftp};
use crate::client::{FailureKind, RemoteEntry, SftpClient, SftpFailure};
use crate::connections::{ClientPool, Connections, granted_connection, unknown_connection};

/// What every call of a task without a grant answers.
pub const NOT_PERMITTED: &str = "not permitted: this task was not granted an SFTP connection (grant one with `grants: [\"sftp:NAME\"]`, NAME a connection in the connections file; its component must declare `sftp`)";

/// The `sftp` capability over a set of named connections.
pub struct SftpCapability {
    connections: Arc<Connections>,
    /// One client (one live session) per connection name, shared by every task.
    clients: ClientPool<SftpClient>,
    /// Started at the first grant: a run none of whose tasks is granted the capability starts
    /// no runtime (threads; a cold start's share, tests/bench/README.md).
    bridge: OnceLock<Arc<AsyncBridge>>,
}

impl SftpCapability {
    /// The capability with its own small runtime for the SSH sessions, started at the first grant
    /// (a failure to start it is that grant's error: this never fails).
    pub fn new(connections: Connections) -> std::io::Result<Self> {
        Ok(Self::with(connections, OnceLock::new()))
    }

    /// The capability on a runtime the caller shares.
    pub fn with_bridge(connections: Connections, bridge: Arc<AsyncBridge>) -> Self {
        Self::with(connections, OnceLock::from(bridge))
    }

    fn with(connections: Connections, bridge: OnceLock<Arc<AsyncBridge>>) -> Self {
        SftpCapability {
            connections: Arc::new(connections),
            clients: ClientPool::default(),
            bridge,
        }
    }

    /// The client of connection `name`, made on first use.
    pub fn client(&self, name: &str) -> Result<Arc<SftpClient>, String> {
        self.clients.get_or_make(name, || {
            let connection = self
                .connections
                .sftp(name)
                .ok_or_else(|| self.unknown(name))?;
            Ok(SftpClient::new(name, connection.clone()))
        })
    }

    fn unknown(&self, name: &str) -> String {
        unknown_connection("SFTP", name, self.connections.sftp_names())
    }

    /// The runtime of the SSH sessions, started on the first call.
    fn bridge(&self) -> Result<Arc<AsyncBridge>, String> {
        if let Some(bridge) = self.bridge.get() {
            return Ok(bridge.clone());
        }
        // Two first grants at once may both start one; the other is shut down unused.
        let started = AsyncBridge::new("wharf-sftp", 1)
            .map_err(|e| format!("starting the SFTP connection runtime (a thread): {e}"))?;
        Ok(self.bridge.get_or_init(|| Arc::new(started)).clone())
    }
}

impl Capability for SftpCapability {
    fn name(&self) -> &str {
        "sftp"
    }

    fn add_to_linker(&self, linker: &mut Linker<TaskState>) -> wasmtime::Result<()> {
        SftpImports::add_to_linker::<TaskState, SftpView>(linker, |state| {
            let budget = state.budget.clone();
            SftpCall {
                grant: state.extension::<SftpGrant>(),
                budget,
            }
        })
    }

    fn check_grant(&self, argument: Option<&str>) -> Result<(), String> {
        let name = granted_connection("sftp", argument)?;
        self.connections
            .sftp(name)
            .map(|_| ())
            .ok_or_else(|| self.unknown(name))
    }

    fn grant(&self, ctx: &GrantContext<'_>) -> Result<Extension, String> {
        self.check_grant(ctx.argument)?;
        let client = self.client(ctx.argument.unwrap_or_default())?;
        Ok(extension(SftpGrant::Granted(Box::new(Session {
            client,
            bridge: self.bridge()?,
            workdir: ctx.workdir.to_owned(),
        }))))
    }
}

/// Per-call state: `Denied` (the default, for tasks without a grant) or a session.
#[derive(Default)]
pub enum SftpGrant {
    #[default]
    Denied,
    Granted(Box<Session>),
}

/// A granted task call: its connection and working directory.
pub struct Session {
    client: Arc<SftpClient>,
    bridge: Arc<AsyncBridge>,
    workdir: PathBuf,
}

impl Session {
    /// Runs one client operation on the SSH runtime and waits for it.
    fn run<T: Send + 'static, Fut>(
        &self,
        op: impl FnOnce(Arc<SftpClient>) -> Fut,
    ) -> Result<T, SftpFailure>
    where
        Fut: Future<Output = Result<T, SftpFailure>> + Send + 'static,
    {
        self.bridge.run(op(self.client.clone())).unwrap_or_else(|| {
            Err(SftpFailure::new(
                FailureKind::Connection,
                "the SFTP operation was cancelled (the runtime shut down)",
            ))
        })
    }

    fn downloads_durable(&self, what: &str) -> Result<(), SftpFailure> {
        downloads_durable(&self.client.context(what))
    }

    fn local(&self, guest: &str) -> Result<PathBuf, SftpFailure> {
        let path = guest_to_host(&self.workdir, guest)
            .map_err(|e| SftpFailure::new(FailureKind::NotPermitted, e))?;
        refuse_links(&self.workdir, &path)?;
        Ok(path)
    }
}

/// Before an operation that removes or renames data on a server (`what`, naming the
/// connection): every file downloaded so far is on the local disk, so none can be lost once
/// its remote copy can go (docs/resume.md, "Downloaded files and the disk"). If one cannot be,
/// the operation is not done.
pub fn downloads_durable(what: &str) -> Result<(), SftpFailure> {
    let flushed = wharf_engine::durability::barrier()
        .map_err(|e| SftpFailure::new(FailureKind::Failed, format!("{what}: not done: {e}")))?;
    tracing::debug!("{what}: {flushed} download(s) flushed to the disk first");
    Ok(())
}

/// The host writes and reads local files for the task: a symbolic link inside the working
/// directory must not lead it elsewhere.
fn refuse_links(workdir: &Path, path: &Path) -> Result<(), SftpFailure> {
    match symbolic_link_on(workdir, path) {
        Some(link) => Err(SftpFailure::new(
            FailureKind::NotPermitted,
            format!(
                "`{}` is a symbolic link; SFTP transfers use plain files of the working directory",
                link.display()
            ),
        )),
        None => Ok(()),
    }
}

/// The first symbolic link on the way from `workdir` to `path` (relative to `workdir`), if any.
pub fn symbolic_link_on(workdir: &Path, path: &Path) -> Option<PathBuf> {
    let mut at = workdir.to_path_buf();
    for part in path.strip_prefix(workdir).unwrap_or(path).components() {
        at.push(part);
        if std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
            return Some(at.strip_prefix(workdir).unwrap_or(&at).to_path_buf());
        }
    }
    None
}

/// The `HasData` of the sftp interface: a task's grant plus its write budget.
pub struct SftpView;

impl HasData for SftpView {
    type Data<'a> = SftpCall<'a>;
}

pub struct SftpCall<'a> {
    grant: &'a mut SftpGrant,
    budget: Arc<WriteBudget>,
}

impl SftpCall<'_> {
    fn session(&self) -> Result<&Session, SftpFailure> {
        match &*self.grant {
            SftpGrant::Granted(session) => Ok(session),
            SftpGrant::Denied => Err(SftpFailure::new(FailureKind::NotPermitted, NOT_PERMITTED)),
        }
    }
}

type Answer<T> = wasmtime::Result<Result<T, sftp::SftpFailure>>;

fn answer<T>(result: Result<T, SftpFailure>) -> Answer<T> {
    Ok(result.map_err(|f| sftp::SftpFailure {
        kind: match f.kind {
            FailureKind::NotFound => sftp::FailureKind::NotFound,
            FailureKind::NotAuthorised => sftp::FailureKind::NotAuthorised,
            FailureKind::AlreadyExists => sftp::FailureKind::AlreadyExists,
            FailureKind::Connection => sftp::FailureKind::Connection,
            FailureKind::NotPermitted => sftp::FailureKind::NotPermitted,
            FailureKind::Failed => sftp::FailureKind::Failed,
        },
        message: f.message,
    }))
}

fn entry(e: RemoteEntry) -> sftp::RemoteEntry {
    sftp::RemoteEntry {
        name: e.name,
        path: e.path,
        directory: e.directory,
        is_directory: e.is_directory,
        size: e.size,
        modified: e.modified,
    }
}

impl sftp::Host for SftpCall<'_> {
    fn server(&mut self) -> Answer<String> {
        answer(self.session().map(|s| s.client.server().to_owned()))
    }

    fn list_directory(
        &mut self,
        directory: String,
        recursive: bool,
    ) -> Answer<Vec<sftp::RemoteEntry>> {
        answer(self.session().and_then(|s| {
            s.run(|c| async move { c.list(&directory, recursive).await })
                .map(|entries| entries.into_iter().map(entry).collect())
        }))
    }

    fn stat(&mut self, path: String) -> Answer<Option<sftp::RemoteEntry>> {
        answer(self.session().and_then(|s| {
            s.run(|c| async move { c.stat(&path).await })
                .map(|e| e.map(entry))
        }))
    }

    fn download(&mut self, remote_path: String, local_file: String) -> Answer<u64> {
        let session = match self.session() {
            Ok(s) => s,
            Err(f) => return answer(Err(f)),
        };
        let local = match session.local(&local_file) {
            Ok(p) => p,
            Err(f) => return answer(Err(f)),
        };
        let budget = self.budget.clone();
        let over_budget = Arc::new(Mutex::new(None));
        let over = over_budget.clone();
        let charge: crate::Charge = Arc::new(move |n| {
            budget.charge(n).map_err(|e| {
                let message = e.to_string();
                *over.lock().expect("budget lock") = Some(message.clone());
                message
            })
        });
        let result = session.run(|c| async move { c.download(&remote_path, &local, charge).await });
        if let Some(limit) = over_budget.lock().expect("budget lock").take() {
            // The write budget is the sandbox's limit, not an SFTP failure: end the task.
            return Err(wasmtime::format_err!(limit));
        }
        answer(result)
    }

    fn upload(&mut self, local_file: String, remote_path: String, overwrite: bool) -> Answer<u64> {
        answer(self.session().and_then(|s| {
            let local = s.local(&local_file)?;
            // An upload may replace a remote file (one a download fetched, say).
            s.downloads_durable(&format!("uploading to `{remote_path}`"))?;
            s.run(|c| async move { c.upload(&local, &remote_path, overwrite).await })
        }))
    }

    fn rename(&mut self, source: String, target: String, overwrite: bool) -> Answer<()> {
        answer(self.session().and_then(|s| {
            s.downloads_durable(&format!("renaming `{source}` to `{target}`"))?;
            s.run(|c| async move { c.rename(&source, &target, overwrite).await })
        }))
    }

    fn remove(&mut self, path: String) -> Answer<()> {
        answer(self.session().and_then(|s| {
            s.downloads_durable(&format!("deleting `{path}`"))?;
            s.run(|c| async move { c.remove(&path).await })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connections::Connections;

    fn capability() -> SftpCapability {
        let connections = Connections::parse(
            "sftp:\n  shop:\n    server: 127.0.0.1\n    port: 1\n    username: u\n    password: { env: WHARF_TEST_NEVER_SET }\n    host-key: SHA256:abc\n    retries: 0\n    connect-timeout-seconds: 1\n",
            Path::new("."),
        )
        .unwrap();
        SftpCapability::new(connections).unwrap()
    }

    #[test]
    fn a_grant_must_name_a_known_connection() {
        let cap = capability();
        assert!(cap.check_grant(Some("shop")).is_ok());
        let e = cap.check_grant(None).unwrap_err();
        assert!(e.contains("sftp:NAME"), "{e}");
        let e = cap.check_grant(Some("warehouse")).unwrap_err();
        assert!(e.contains("`warehouse`") && e.contains("shop"), "{e}");
        assert!(
            cap.bridge.get().is_none(),
            "no runtime is started before a task is granted the capability"
        );
    }

    #[test]
    fn an_ungranted_call_is_not_permitted() {
        let mut grant = SftpGrant::Denied;
        let mut call = SftpCall {
            grant: &mut grant,
            budget: WriteBudget::new(1 << 20, Default::default()),
        };
        use sftp::Host;
        let failure = call.list_directory("/".into(), false).unwrap().unwrap_err();
        assert_eq!(failure.kind, sftp::FailureKind::NotPermitted);
        assert_eq!(failure.message, NOT_PERMITTED);
    }

    #[test]
    fn local_files_stay_inside_the_working_directory() {
        let dir = tempfile::tempdir().unwrap();
        let session = Session {
            client: capability().client("shop").unwrap(),
            bridge: Arc::new(AsyncBridge::new("t", 1).unwrap()),
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
        assert_eq!(e.kind, FailureKind::NotPermitted);
        assert!(e.message.contains("symbolic link"), "{}", e.message);
    }

    #[test]
    fn a_dead_server_is_a_connection_failure_naming_the_connection() {
        let cap = capability();
        let client = cap.client("shop").unwrap();
        let bridge = AsyncBridge::new("t", 1).unwrap();
        let e = bridge
            .run(async move { client.list("/", false).await })
            .unwrap()
            .unwrap_err();
        assert_eq!(e.kind, FailureKind::Connection);
        assert!(
            e.message.contains("sftp `shop` (127.0.0.1:1)"),
            "{}",
            e.message
        );
    }
}
