//! A Sage task as a job: everything one run of a Sage component needs, and everything it
//! produced, as serialisable values. The `wharf` CLI runs jobs in-process ([`JobRunner`]); an
//! on-premises runner beside Sage 50 can receive the same [`SageJob`], run it the same way and
//! send back the [`SageJobResult`] — the engine then applies the output files, truth updates and
//! state as if the task had run locally.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use wharf_engine::limits::Limits;
use wharf_engine::record::{Counts, LogLine};
use wharf_engine::runtime::{CallResult, TaskCall, TaskKind, truth_kind_declared};
use wharf_engine::settings::check_value;
use wharf_engine::storage::{self, StorageError, TruthRecord};
use wharf_engine::suspend::{RemoteCall, RemoteResult};
use wharf_engine::{ComponentSource, ResultCode, Runtime};

use crate::capability::{SageCapability, SageGrant};

/// The contents of one file of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum JobFile {
    /// UTF-8 text, inline.
    Text(String),
    /// Any bytes, inline, base64-encoded.
    Base64(String),
    /// A file on the machine that runs the job (large inputs need not travel inline). Only
    /// runners that allow local paths accept it: a job from elsewhere must not read the
    /// runner's files.
    Path(PathBuf),
}

impl JobFile {
    /// Inline contents: text when they are UTF-8, base64 otherwise.
    pub fn inline(bytes: Vec<u8>) -> JobFile {
        match String::from_utf8(bytes) {
            Ok(text) => JobFile::Text(text),
            Err(e) => JobFile::Base64(BASE64.encode(e.into_bytes())),
        }
    }

    pub fn bytes(&self) -> Result<Vec<u8>, JobError> {
        match self {
            JobFile::Text(text) => Ok(text.clone().into_bytes()),
            JobFile::Base64(data) => BASE64
                .decode(data)
                .map_err(|e| JobError::File(format!("base64 contents: {e}"))),
            JobFile::Path(path) => {
                std::fs::read(path).map_err(|e| JobError::File(format!("{}: {e}", path.display())))
            }
        }
    }
}

/// One run of a Sage task, away from the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SageJob {
    /// The task (component) name, e.g. `sage50-import-sales-orders`.
    pub component: String,
    /// The SHA-256 of the component the sender resolved; the runner refuses a different one.
    #[serde(default)]
    pub component_sha256: Option<String>,
    /// For messages: the task as the workflow names it.
    #[serde(default)]
    pub label: String,
    /// Settings as written in the workflow, templates already rendered; defaults are filled in
    /// by the runner. File settings are relative to the job's working directory.
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    /// Files placed in the working directory before the task runs, by relative path.
    #[serde(default)]
    pub input_files: BTreeMap<String, JobFile>,
    /// The task's state (its cursors) before the run.
    #[serde(default)]
    pub state: BTreeMap<String, String>,
    /// The workflow's truth records the task may consult (duplicate prevention, ID links,
    /// export hashes): those of the kinds in `truth_kinds`.
    #[serde(default)]
    pub truth: Vec<TruthRecord>,
    /// The truth kinds the component declares (its `truth-kinds`); the runner refuses a lookup
    /// of any other kind, whose records were not sent. Absent in jobs from older senders, which
    /// sent every record.
    #[serde(default)]
    pub truth_kinds: Option<Vec<String>>,
    /// Names the workflow's truth store in the ledger's truth journal, so rows of a job killed
    /// half-way are recovered by the next job of the same workflow.
    pub truth_scope: String,
    /// The sending run's lineage and task (see `SageCapability::session`), so a job resent for
    /// a resumed run reports what its first sending already imported instead of rejecting it.
    #[serde(default)]
    pub lineage: Option<String>,
    /// The sending run's id: what that run itself imported is a duplicate, not a replay.
    #[serde(default)]
    pub run_id: Option<String>,
    /// Wall-clock limit for the task; the runner's default when absent.
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
}

/// A change the job made to the workflow's truth records, in the order it made them (the
/// engine's type: a cloud run applies them as a remote task's result).
pub use wharf_engine::suspend::TruthUpdate;

/// What a job produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SageJobResult {
    pub code: ResultCode,
    pub message: String,
    pub counts: Counts,
    /// Named values for later tasks (`{{ outputs.<id>.<name> }}`).
    pub outputs: Vec<(String, String)>,
    /// Files the task created or changed, by path relative to the working directory.
    pub output_files: BTreeMap<String, JobFile>,
    /// Truth writes, already applied to the ledger side; the engine applies them to the
    /// workflow's truth store.
    pub truth_updates: Vec<TruthUpdate>,
    /// The task's new state, to commit: present only when the task succeeded and changed it.
    pub state: Option<BTreeMap<String, String>>,
    pub logs: Vec<LogLine>,
}

impl SageJob {
    /// The job for a Sage task a run handed over (`wharf_engine::suspend`): `truth` is the
    /// workflow's truth records, `truth_scope` names its store (its location) as the local
    /// capability would, and the lineage is the one a local call would get, so a job resent
    /// for a resumed run recognises its own earlier imports.
    /// The job for `call`, carrying those of the workflow's `truth` records whose kind the
    /// component declared.
    pub fn for_call(call: &RemoteCall, truth: Vec<TruthRecord>, truth_scope: String) -> SageJob {
        let truth = truth
            .into_iter()
            .filter(|r| truth_kind_declared(&call.truth_kinds, &r.kind))
            .collect();
        SageJob {
            component: call.component.clone(),
            component_sha256: Some(call.component_sha256.clone()),
            label: call.label.clone(),
            settings: call.settings.iter().cloned().collect(),
            input_files: call
                .input_files
                .iter()
                .map(|(name, bytes)| (name.clone(), JobFile::inline(bytes.clone())))
                .collect(),
            state: call.state.clone(),
            truth,
            truth_kinds: Some(call.truth_kinds.clone()),
            truth_scope,
            lineage: Some(format!("{}/{}", call.lineage, call.task_id)),
            run_id: Some(call.run_id.clone()),
            timeout_seconds: Some(call.timeout.as_secs().max(1)),
        }
    }
}

impl SageJobResult {
    /// The result as the engine applies a remote task's. Output files must travel inline: a
    /// path names a file on the runner's machine.
    pub fn into_remote(self) -> Result<RemoteResult, JobError> {
        let mut output_files = BTreeMap::new();
        for (name, file) in self.output_files {
            if matches!(file, JobFile::Path(_)) {
                return Err(JobError::File(format!(
                    "`{name}` of the result is a path on the runner's machine"
                )));
            }
            output_files.insert(name, file.bytes()?);
        }
        Ok(RemoteResult {
            code: self.code,
            message: self.message,
            counts: self.counts,
            outputs: self.outputs,
            output_files,
            truth_updates: self.truth_updates,
            state: self.state,
            logs: self.logs,
        })
    }

    /// Applies the truth updates to a workflow's truth store, in order.
    pub fn apply_truth(&self, truth: &dyn storage::TruthStore) -> Result<(), StorageError> {
        wharf_engine::suspend::apply_truth(&self.truth_updates, truth)
    }
}

/// Why a job could not run (a task that ran and failed is a [`SageJobResult`] with code `fail`).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("component `{component}`: {message}")]
    Component { component: String, message: String },
    #[error("`{0}` is not a Sage task: its component does not ask for the `sage` capability")]
    NotSage(String),
    #[error(
        "component `{component}` is not the one the job was made for (sha256 {found}, expected {expected})"
    )]
    Mismatch {
        component: String,
        found: String,
        expected: String,
    },
    #[error("setting `{name}`: {message}")]
    Setting { name: String, message: String },
    #[error("input file `{0}` is not a path inside the working directory")]
    BadPath(String),
    #[error("input file `{0}` refers to a file on this machine, which this runner does not accept")]
    LocalPathRefused(String),
    #[error("`{0}` is not a task name (a job names its task, not a component file)")]
    NotATaskName(String),
    #[error("job file {0}")]
    File(String),
    #[error("the job's working directory: {0}")]
    Workdir(#[source] std::io::Error),
}

/// The workflow's truth records as the job knows them, recording what the task changes.
#[derive(Default)]
struct JobTruth {
    state: Mutex<JobTruthState>,
    /// The kinds the job was sent records of; `None` when it was sent all of them.
    declared: Option<Vec<String>>,
}

#[derive(Default)]
struct JobTruthState {
    /// By kind and external id, the engine store's key.
    rows: BTreeMap<(String, String), TruthRecord>,
    updates: Vec<TruthUpdate>,
}

impl JobTruth {
    fn new(records: &[TruthRecord], declared: Option<Vec<String>>) -> Self {
        let rows = records
            .iter()
            .map(|r| ((r.kind.clone(), r.external_id.clone()), r.clone()))
            .collect();
        JobTruth {
            state: Mutex::new(JobTruthState {
                rows,
                updates: Vec::new(),
            }),
            declared,
        }
    }

    /// Refuses a kind the component did not declare: its records stayed in the cloud, so
    /// "not found" would be a lie (an order imported again).
    fn check(&self, kind: &str) -> Result<(), StorageError> {
        match &self.declared {
            Some(declared) if !truth_kind_declared(declared, kind) => {
                Err(StorageError::Other(format!(
                    "truth records of kind `{kind}` were not sent with this Sage job: the component declares only [{}] in its truth-kinds",
                    declared.join(", ")
                )))
            }
            _ => Ok(()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, JobTruthState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn updates(&self) -> Vec<TruthUpdate> {
        self.lock().updates.clone()
    }
}

impl storage::TruthStore for JobTruth {
    fn find_by_external(
        &self,
        kind: &str,
        external_id: &str,
    ) -> Result<Option<TruthRecord>, StorageError> {
        self.check(kind)?;
        Ok(self
            .lock()
            .rows
            .get(&(kind.to_owned(), external_id.to_owned()))
            .cloned())
    }

    fn find_by_internal(
        &self,
        kind: &str,
        internal_id: &str,
    ) -> Result<Option<TruthRecord>, StorageError> {
        self.check(kind)?;
        Ok(self
            .lock()
            .rows
            .values()
            .find(|r| r.kind == kind && r.internal_id == internal_id)
            .cloned())
    }

    fn upsert(&self, record: &TruthRecord) -> Result<(), StorageError> {
        self.check(&record.kind)?;
        let mut state = self.lock();
        state.rows.insert(
            (record.kind.clone(), record.external_id.clone()),
            record.clone(),
        );
        state.updates.push(TruthUpdate::Upsert(record.clone()));
        Ok(())
    }

    fn all(&self) -> Result<Vec<TruthRecord>, StorageError> {
        Ok(self.lock().rows.values().cloned().collect())
    }

    fn remove(&self, kind: &str, external_id: &str) -> Result<(), StorageError> {
        self.check(kind)?;
        let mut state = self.lock();
        state
            .rows
            .remove(&(kind.to_owned(), external_id.to_owned()));
        state.updates.push(TruthUpdate::Remove {
            kind: kind.to_owned(),
            external_id: external_id.to_owned(),
        });
        Ok(())
    }
}

/// Runs Sage jobs in this process, against the capability's ledger.
pub struct JobRunner<'a> {
    pub runtime: &'a Runtime,
    pub components: &'a ComponentSource,
    pub sage: &'a SageCapability,
    /// Limits for jobs that do not set a timeout.
    pub limits: Limits,
    /// Accept [`JobFile::Path`] inputs (true for a person's own jobs on their machine).
    pub allow_local_paths: bool,
}

fn relative_path(name: &str) -> Result<PathBuf, JobError> {
    let path = Path::new(name);
    if name.is_empty() || !path.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(JobError::BadPath(name.to_owned()));
    }
    Ok(path.to_path_buf())
}

/// Every regular file under `root`, by relative path with `/` separators.
fn files_under(root: &Path) -> Result<Vec<(String, PathBuf)>, std::io::Error> {
    let mut found = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                folders.push(entry.path());
            } else if kind.is_file() {
                let relative = entry
                    .path()
                    .strip_prefix(root)
                    .map(|p| {
                        p.components()
                            .map(|c| c.as_os_str().to_string_lossy())
                            .collect::<Vec<_>>()
                            .join("/")
                    })
                    .unwrap_or_default();
                found.push((relative, entry.path()));
            }
        }
    }
    found.sort();
    Ok(found)
}

impl JobRunner<'_> {
    pub fn run(&self, job: &SageJob) -> Result<SageJobResult, JobError> {
        let component_error = |message: String| JobError::Component {
            component: job.component.clone(),
            message,
        };
        if job.component.contains(['/', '\\']) || job.component.ends_with(".wasm") {
            return Err(JobError::NotATaskName(job.component.clone()));
        }
        let here = std::env::current_dir().unwrap_or_default();
        let path = self
            .components
            .resolve(&job.component, &here)
            .map_err(component_error)?;
        let component = self
            .runtime
            .load(&path)
            .map_err(|e| component_error(e.to_string()))?;
        if let Some(expected) = &job.component_sha256
            && !expected.eq_ignore_ascii_case(&component.sha256)
        {
            return Err(JobError::Mismatch {
                component: job.component.clone(),
                found: component.sha256.clone(),
                expected: expected.clone(),
            });
        }
        let info = &component.info;
        if info.kind != TaskKind::Plain || !info.capabilities.iter().any(|c| c == "sage") {
            return Err(JobError::NotSage(job.component.clone()));
        }

        let mut settings = Vec::with_capacity(info.settings.len());
        for name in job.settings.keys() {
            if info.setting(name).is_none() {
                return Err(JobError::Setting {
                    name: name.clone(),
                    message: format!("`{}` has no such setting", info.name),
                });
            }
        }
        for spec in &info.settings {
            let raw = match job.settings.get(&spec.name).or(spec.default_value.as_ref()) {
                Some(value) => value,
                None if spec.required => {
                    return Err(JobError::Setting {
                        name: spec.name.clone(),
                        message: "required but not given".into(),
                    });
                }
                None => continue,
            };
            let value = check_value(spec, raw).map_err(|message| JobError::Setting {
                name: spec.name.clone(),
                message,
            })?;
            settings.push((spec.name.clone(), value));
        }

        let workdir = tempfile::Builder::new()
            .prefix("wharf-sage-job-")
            .tempdir()
            .map_err(JobError::Workdir)?;
        let mut inputs = BTreeMap::new();
        for (name, file) in &job.input_files {
            if matches!(file, JobFile::Path(_)) && !self.allow_local_paths {
                return Err(JobError::LocalPathRefused(name.clone()));
            }
            let target = workdir.path().join(relative_path(name)?);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(JobError::Workdir)?;
            }
            let bytes = file.bytes()?;
            std::fs::write(&target, &bytes).map_err(JobError::Workdir)?;
            inputs.insert(name.replace('\\', "/"), bytes);
        }

        let truth = Arc::new(JobTruth::new(&job.truth, job.truth_kinds.clone()));
        let label = if job.label.is_empty() {
            job.component.clone()
        } else {
            job.label.clone()
        };
        let mut limits = self.limits;
        if let Some(seconds) = job.timeout_seconds {
            limits.timeout = Duration::from_secs(seconds.max(1));
        }
        let grant: SageGrant = self
            .sage
            .session(
                truth.clone(),
                job.truth_scope.clone(),
                job.lineage.clone(),
                job.run_id.clone(),
            )
            .for_task(&label)
            .waiting_at_most(limits.timeout);
        let outcome = self.runtime.call(
            &component,
            TaskCall {
                label: &label,
                workdir: Some(workdir.path()),
                settings,
                limits,
                state: job.state.clone(),
                truth: Some(truth.clone()),
                mappings: Arc::default(),
                extensions: vec![wharf_engine::runtime::capability::extension(grant)],
            },
        );

        let (code, message, counts, outputs) = match outcome.result {
            Ok(CallResult::Plain(result)) => {
                (result.code, result.message, result.counts, result.outputs)
            }
            Ok(_) => return Err(JobError::NotSage(job.component.clone())),
            Err(failure) => (failure.code, failure.message, Counts::default(), Vec::new()),
        };
        let mut output_files = BTreeMap::new();
        for (name, path) in files_under(workdir.path()).map_err(JobError::Workdir)? {
            let bytes = std::fs::read(&path).map_err(JobError::Workdir)?;
            // An input the task left as it was does not travel back.
            if inputs.get(&name) != Some(&bytes) {
                output_files.insert(name, JobFile::inline(bytes));
            }
        }
        Ok(SageJobResult {
            state: outcome.state.filter(|_| code.is_success()),
            code,
            message,
            counts,
            outputs,
            output_files,
            truth_updates: truth.updates(),
            logs: outcome.logs,
        })
    }
}

#[cfg(test)]
mod truth_kinds {
    use super::*;
    use sage_ledger::record_types::{CUSTOMER, PRODUCT, SALES_ORDER};

    fn record(kind: &str, external_id: &str) -> TruthRecord {
        TruthRecord {
            kind: kind.into(),
            internal_id: format!("internal-{external_id}"),
            external_id: external_id.into(),
            hash: None,
        }
    }

    fn call(truth_kinds: &[&str]) -> RemoteCall {
        RemoteCall {
            token: "t".into(),
            workflow: "orders".into(),
            run_id: "run-1".into(),
            lineage: "run-1".into(),
            task_path: "0".into(),
            task_id: "import".into(),
            label: "Import (sage50-import-sales-orders)".into(),
            component: "sage50-import-sales-orders".into(),
            component_sha256: "00".into(),
            settings: vec![],
            state: BTreeMap::new(),
            input_files: BTreeMap::new(),
            timeout: Duration::from_secs(60),
            truth_kinds: truth_kinds.iter().map(|k| (*k).to_owned()).collect(),
        }
    }

    fn history() -> Vec<TruthRecord> {
        vec![
            record(SALES_ORDER, "WEB-1"),
            record(CUSTOMER, "C1"),
            record(&format!("{PRODUCT}#hash"), "P1"),
            // A kind that merely starts with a declared one is another kind.
            record(&format!("{SALES_ORDER}Line"), "L1"),
        ]
    }

    fn kinds(job: &SageJob) -> Vec<&str> {
        job.truth.iter().map(|r| r.kind.as_str()).collect()
    }

    #[test]
    fn a_job_carries_the_declared_kinds_and_their_sub_kinds_only() {
        let job = SageJob::for_call(&call(&[SALES_ORDER]), history(), "s".into());
        assert_eq!(kinds(&job), [SALES_ORDER]);
        let job = SageJob::for_call(&call(&[PRODUCT]), history(), "s".into());
        assert_eq!(kinds(&job), [format!("{PRODUCT}#hash")]);
        let job = SageJob::for_call(&call(&[]), history(), "s".into());
        assert!(job.truth.is_empty());
        assert_eq!(job.truth_kinds, Some(vec![]));
    }

    #[test]
    fn on_the_runner_an_undeclared_kind_fails_rather_than_finding_nothing() {
        let job = SageJob::for_call(&call(&[SALES_ORDER]), history(), "s".into());
        let store = JobTruth::new(&job.truth, job.truth_kinds.clone());
        use storage::TruthStore;
        assert!(
            store
                .find_by_external(SALES_ORDER, "WEB-1")
                .unwrap()
                .is_some()
        );
        for refused in [
            store.find_by_external(CUSTOMER, "C1").map(|_| ()),
            store.find_by_internal(CUSTOMER, "internal-C1").map(|_| ()),
            store.upsert(&record(CUSTOMER, "C2")),
            store.remove(CUSTOMER, "C1"),
        ] {
            let message = refused.unwrap_err().to_string();
            assert!(
                message.contains(CUSTOMER) && message.contains("truth-kinds"),
                "{message}"
            );
        }
        assert!(store.updates().is_empty(), "nothing refused was recorded");
        // A job from an older sender carried every record and declares nothing: all answer.
        let old = JobTruth::new(&history(), None);
        assert!(old.find_by_external(CUSTOMER, "C1").unwrap().is_some());
    }
}
