//! The `archive` host capability: the workflow's archive store (`wit/archive.wit`), for task
//! components that list `archive` in their capabilities and whose workflow task says
//! `grants: [archive]`. Where the archives live is the storage backend's business (a folder
//! beside the working directory, or the workflow's `archive/` prefix in S3): the capability
//! hands files to [`Storage::archive_store`] and friends. A task without the grant reaches the
//! denied state, whose every call answers [`NOT_PERMITTED`].

mod bindings;

use std::path::PathBuf;
use std::sync::Arc;

use bindings::{ArchiveImports, archive};
use wasmtime::component::{HasData, Linker};
use wharf_engine::runtime::capability::extension;
use wharf_engine::runtime::{Capability, Extension, GrantContext, TaskState, guest_to_host};
use wharf_engine::storage::Storage;

/// What every call of a task without the grant answers.
pub const NOT_PERMITTED: &str = "not permitted: this task was not granted the `archive` capability (grant it with `grants: [archive]`; its component must declare `archive`)";

/// The journal `archive-workflow-data` writes before handing a zip to `archive.store`: it says
/// which files the zip holds, so a run that dies after the store removes them again instead of
/// archiving them twice (docs/archive.md).
pub const ARCHIVE_JOURNAL: &str = ".wharf-archive-journal";

/// The `archive` capability. It takes no argument and no configuration: the store is the run's.
#[derive(Debug, Default, Clone, Copy)]
pub struct ArchiveCapability;

impl Capability for ArchiveCapability {
    fn name(&self) -> &str {
        "archive"
    }

    fn add_to_linker(&self, linker: &mut Linker<TaskState>) -> wasmtime::Result<()> {
        ArchiveImports::add_to_linker::<TaskState, ArchiveView>(linker, |state| {
            state.extension::<ArchiveGrant>()
        })
    }

    fn grant(&self, ctx: &GrantContext<'_>) -> Result<Extension, String> {
        self.check_grant(ctx.argument)?;
        Ok(extension(ArchiveGrant::Granted {
            storage: ctx.storage.clone(),
            workdir: ctx.workdir.to_owned(),
        }))
    }
}

/// Per-call state: `Denied` (the default, for tasks without a grant) or the run's store.
#[derive(Default)]
pub enum ArchiveGrant {
    #[default]
    Denied,
    Granted {
        storage: Arc<dyn Storage>,
        /// The task's working directory on the host, to find the files it hands over.
        workdir: PathBuf,
    },
}

/// The `HasData` of the archive interface: the task's grant.
struct ArchiveView;

impl HasData for ArchiveView {
    type Data<'a> = &'a mut ArchiveGrant;
}

impl ArchiveGrant {
    fn granted(&self) -> Result<(&Arc<dyn Storage>, &PathBuf), String> {
        match self {
            ArchiveGrant::Granted { storage, workdir } => Ok((storage, workdir)),
            ArchiveGrant::Denied => Err(NOT_PERMITTED.into()),
        }
    }

    fn store(&self, path: &str, name: &str) -> Result<(), String> {
        let (storage, workdir) = self.granted()?;
        let host_path = guest_to_host(workdir, path)?;
        // A symlink could point anywhere; only a plain file the task wrote may be archived.
        match std::fs::symlink_metadata(&host_path) {
            Ok(m) if m.is_file() => {}
            Ok(_) => return Err(format!("`{path}` is not a regular file")),
            Err(e) => return Err(format!("`{path}`: {e}")),
        }
        // The task's journal of what the zip holds must outlive the run before the store takes
        // the zip: a store that stages the working directory keeps it now, not at the commit
        // (docs/archive.md). A plain file only, as above: a link could lead anywhere.
        if std::fs::symlink_metadata(workdir.join(ARCHIVE_JOURNAL)).is_ok_and(|m| m.is_file()) {
            storage
                .keep_work_file(workdir, ARCHIVE_JOURNAL)
                .map_err(|e| format!("cannot keep the archive journal: {e}"))?;
        }
        storage
            .archive_store(&host_path, name)
            .map_err(|e| e.to_string())
    }

    fn entries(&self) -> Result<Vec<archive::ArchiveEntry>, String> {
        let (storage, _) = self.granted()?;
        let entries = storage.archive_list().map_err(|e| e.to_string())?;
        Ok(entries
            .into_iter()
            .map(|e| archive::ArchiveEntry {
                name: e.name,
                size: e.size,
                created: e
                    .created
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            })
            .collect())
    }

    fn remove(&self, name: &str) -> Result<(), String> {
        let (storage, _) = self.granted()?;
        storage.archive_remove(name).map_err(|e| e.to_string())
    }
}

impl archive::Host for ArchiveGrant {
    fn store(&mut self, path: String, name: String) -> wasmtime::Result<Result<(), String>> {
        Ok(ArchiveGrant::store(self, &path, &name))
    }

    fn entries(&mut self) -> wasmtime::Result<Result<Vec<archive::ArchiveEntry>, String>> {
        Ok(ArchiveGrant::entries(self))
    }

    fn remove(&mut self, name: String) -> wasmtime::Result<Result<(), String>> {
        Ok(ArchiveGrant::remove(self, &name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use wharf_engine::storage::LocalStore;

    fn granted(data: &Path) -> (ArchiveGrant, PathBuf) {
        let store = LocalStore::new(data, "wf", None).unwrap();
        let workdir = store.stage_workdir().unwrap().path;
        let grant = ArchiveGrant::Granted {
            storage: Arc::new(store),
            workdir: workdir.clone(),
        };
        (grant, workdir)
    }

    #[test]
    fn every_call_without_the_grant_is_not_permitted() {
        let mut grant = ArchiveGrant::Denied;
        let refusals = [
            archive::Host::store(&mut grant, "/a.zip".into(), "a.zip".into())
                .unwrap()
                .unwrap_err(),
            archive::Host::entries(&mut grant).unwrap().unwrap_err(),
            archive::Host::remove(&mut grant, "a.zip".into())
                .unwrap()
                .unwrap_err(),
        ];
        for refusal in refusals {
            assert_eq!(refusal, NOT_PERMITTED);
        }
    }

    #[test]
    fn the_grant_takes_no_argument() {
        assert!(ArchiveCapability.check_grant(None).is_ok());
        let e = ArchiveCapability.check_grant(Some("x")).unwrap_err();
        assert!(e.contains("`archive` takes no argument"), "{e}");
    }

    #[test]
    fn a_granted_task_stores_lists_and_removes_archives() {
        let data = tempfile::tempdir().unwrap();
        let (grant, workdir) = granted(data.path());
        std::fs::write(workdir.join("a.zip"), b"zip").unwrap();
        grant.store("/a.zip", "2024/a_archive.zip").unwrap();
        assert!(!workdir.join("a.zip").exists(), "moved into the archive");
        let entries = grant.entries().unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].name, "2024/a_archive.zip");
        assert_eq!(entries[0].size, 3);
        grant.remove("2024/a_archive.zip").unwrap();
        assert!(grant.entries().unwrap().is_empty());
    }

    #[test]
    fn only_plain_files_inside_the_working_directory_are_archived() {
        let data = tempfile::tempdir().unwrap();
        let (grant, workdir) = granted(data.path());
        let e = grant.store("/../secret", "x.zip").unwrap_err();
        assert!(e.contains("not a file inside the working directory"), "{e}");
        std::os::unix::fs::symlink("/etc/passwd", workdir.join("link.zip")).unwrap();
        let e = grant.store("/link.zip", "x.zip").unwrap_err();
        assert!(e.contains("not a regular file"), "{e}");
        assert!(grant.entries().unwrap().is_empty());
    }
}
