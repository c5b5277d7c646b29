//! Finding a workflow's data folder from what a person types: the workflow's file, or the
//! workflow's name (or identity) once it has run from this data folder.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Result, bail};
use wharf_engine::Workflow;
use wharf_engine::identity::workflow_id;
use wharf_engine::storage::LocalStore;

/// The store of `workflow` (a file, a name or an identity) under `data`, and the workflow
/// when a file was given.
pub fn store_of(data: &Path, workflow: &str) -> Result<(Arc<LocalStore>, Option<Workflow>)> {
    let path = Path::new(workflow);
    if path.is_file() {
        crate::import_wkf::refuse_wkf(path)?;
        let wf = Workflow::load(path)?;
        return Ok((crate::open_store(data, &wf)?, Some(wf)));
    }
    let Some(id) = identity_in(data, workflow) else {
        bail!(
            "`{workflow}` is neither a workflow file nor the name of a workflow that has run with the data folder {}",
            data.display()
        );
    };
    // The folder's owner record names the workflow's file: the report reads its settings.
    let workflow = std::fs::read(data.join(&id).join("workflow.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|owner| owner["file"].as_str().map(PathBuf::from))
        .and_then(|file| Workflow::load(&file).ok())
        .filter(|wf| wf.id == id);
    Ok((Arc::new(LocalStore::new(data, &id, None)?), workflow))
}

/// The folder under `data` of the workflow named `name`: its identity as given, the identity
/// its name gives, or the folder whose owner record (`workflow.json`) names it.
fn identity_in(data: &Path, name: &str) -> Option<String> {
    let has_runs = |id: &str| data.join(id).join("runs").is_dir();
    if workflow_id(Some(name), name).is_ok_and(|id| has_runs(&id)) {
        return Some(name.to_owned());
    }
    if let Ok(id) = workflow_id(None, name)
        && has_runs(&id)
    {
        return Some(id);
    }
    std::fs::read_dir(data)
        .ok()?
        .flatten()
        .filter(|entry| entry.path().join("runs").is_dir())
        .find(|entry| {
            std::fs::read(entry.path().join("workflow.json"))
                .ok()
                .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
                .is_some_and(|owner| owner["name"] == name)
        })
        .and_then(|entry| entry.file_name().into_string().ok())
}
