//! Reading a workflow's history — in a data folder, or in a customer's bucket for cloud runs —
//! through the same `Storage` reads `wharf history` makes: its runs, a run's fail files and
//! archive.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use wharf_engine::Workflow;
use wharf_engine::record::{ResultCode, RunRecord};
use wharf_engine::storage::{LocalStore, Storage};
use wharf_engine::workflow::NodeKind;
use wharf_s3_store::{S3Store, WORKFLOW_FILE};

/// Fail files bigger than this are shown cut short.
const FAIL_FILE_SHOWN: usize = 64 * 1024;

/// One workflow of the data folder, as the first page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct WorkflowRow {
    /// The folder's name: the workflow's identity.
    pub id: String,
    pub name: String,
    /// The workflow file that owns the folder, if it says.
    pub file: Option<String>,
    pub runs: usize,
    /// Runs that ended other than successfully.
    pub failures: usize,
    pub last: Option<RunRow>,
    /// The next start `wharf schedule` has for it (its `schedule.json`), local time.
    pub next_start: Option<String>,
}

/// One run, as a table row.
#[derive(Debug, Clone, Serialize)]
pub struct RunRow {
    pub id: String,
    /// `Success`, `Fail`, `Resume` … or `Running`.
    pub status: String,
    pub ok: bool,
    pub running: bool,
    pub started: String,
    pub duration: String,
    pub records_in: u64,
    pub records_out: u64,
    pub records_failed: u64,
    pub resumed_from: Option<String>,
    pub message: String,
    /// `cli:<user>`, `schedule`, `serve`, `cloud:…`; empty for records that do not say.
    pub started_by: String,
}

impl RunRow {
    pub fn of(r: &RunRecord) -> Self {
        let counts = r.total_counts();
        RunRow {
            id: r.id.clone(),
            status: match r.ended {
                None => "Running".into(),
                Some(_) => r.result.to_string(),
            },
            ok: r.result.is_success(),
            running: r.ended.is_none(),
            started: r.started.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            duration: duration(r.started, r.ended.unwrap_or_else(Utc::now)),
            records_in: counts.records_in,
            records_out: counts.records_out,
            records_failed: counts.records_failed,
            resumed_from: r.resumed_from.clone(),
            message: r.message.clone(),
            started_by: r.started_by.clone().unwrap_or_default(),
        }
    }
}

fn duration(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let ms = (to - from).num_milliseconds().max(0);
    if ms < 1_000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{}m {:02}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// Whether `name` can be a workflow folder's name: one plain path component.
pub fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\'])
        && Path::new(name).components().count() == 1
}

/// Where a workflow's records are kept.
enum Kept {
    /// Its folder in a data folder: working directory, archive folder, run records.
    Local(LocalStore),
    /// Its prefix in a customer's bucket (`<customer>/<workflow>/`), with the workflow file
    /// `wharf deploy` put there, read when the folder was opened.
    Bucket {
        store: Arc<S3Store>,
        deployed: Option<Box<Workflow>>,
    },
}

/// A workflow's history, in a data folder or a bucket: its store, its owner record's name and
/// file. Its methods block (files, or S3 requests): call them from blocking threads.
pub struct Folder {
    pub id: String,
    pub name: String,
    /// The workflow file that owns a data folder's workflow, if it says (a bucket's has none:
    /// runs there start from the deployed copy).
    pub file: Option<PathBuf>,
    kept: Kept,
}

/// Why a workflow's records could not be read.
pub type ReadError = String;

impl Folder {
    /// The folder `id` of `data`, if it is one that has held runs.
    pub fn open(data: &Path, id: &str) -> Option<Folder> {
        if !plain_name(id) || !data.join(id).join("runs").is_dir() {
            return None;
        }
        let owner = std::fs::read(data.join(id).join("workflow.json"))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok());
        let field = |key: &str| {
            owner
                .as_ref()
                .and_then(|o| o[key].as_str())
                .map(str::to_owned)
        };
        Some(Folder {
            id: id.to_owned(),
            name: field("name").unwrap_or_else(|| id.to_owned()),
            file: field("file").map(PathBuf::from),
            kept: Kept::Local(LocalStore::new(data, id, None).ok()?),
        })
    }

    /// Workflow `id` in its bucket `store`, named as its deployed file names it.
    pub fn in_bucket(id: &str, store: Arc<S3Store>) -> Result<Folder, ReadError> {
        let deployed = match store.read_object(WORKFLOW_FILE) {
            Ok(Some(bytes)) => {
                let file = PathBuf::from(format!("{}{WORKFLOW_FILE}", store.location()));
                Workflow::parse(&file, &String::from_utf8_lossy(&bytes))
                    .ok()
                    .filter(|wf| wf.id == id)
                    .map(Box::new)
            }
            Ok(None) => None,
            Err(e) => return Err(e.to_string()),
        };
        Ok(Folder {
            id: id.to_owned(),
            name: deployed
                .as_ref()
                .map_or_else(|| id.to_owned(), |wf| wf.name.clone()),
            file: None,
            kept: Kept::Bucket { store, deployed },
        })
    }

    fn store(&self) -> &dyn Storage {
        match &self.kept {
            Kept::Local(store) => store,
            Kept::Bucket { store, .. } => store.as_ref(),
        }
    }

    /// Whether the runs are a bucket's (cloud runs).
    pub fn in_cloud(&self) -> bool {
        matches!(self.kept, Kept::Bucket { .. })
    }

    /// Where the records are, for messages: a folder, or `s3://bucket/customer/workflow/`.
    pub fn location(&self) -> String {
        self.store().location()
    }

    /// Readable runs, oldest first (the same reading as `wharf history`).
    pub fn runs(&self) -> Result<Vec<RunRecord>, ReadError> {
        self.store()
            .list_runs()
            .map_err(|e| format!("reading the runs in {}: {e}", self.location()))
    }

    /// One run by id.
    pub fn run(&self, id: &str) -> Result<Option<RunRecord>, ReadError> {
        self.store()
            .get_run(id)
            .map_err(|e| format!("reading run {id} in {}: {e}", self.location()))
    }

    /// The workflow file, loaded (its tasks' fail-file settings, its working directory).
    pub fn workflow(&self) -> Option<Workflow> {
        match &self.kept {
            Kept::Local(_) => Workflow::load(self.file.as_deref()?)
                .ok()
                .filter(|wf| wf.id == self.id),
            Kept::Bucket { deployed, .. } => deployed.as_deref().cloned(),
        }
    }

    /// The task the run in progress is at, by its checkpoint.
    pub fn checkpoint_task(&self, run_id: &str) -> Option<String> {
        self.store()
            .load_checkpoint()
            .ok()
            .flatten()
            .filter(|cp| cp.run_id == run_id)
            .map(|cp| cp.path)
    }

    /// The name of the archive `run` wrote, if it is still in the workflow's archive.
    pub fn archive_of(&self, run: &RunRecord) -> Option<String> {
        let written = Path::new(run.archive_path.as_deref()?);
        self.store()
            .archive_list()
            .ok()?
            .into_iter()
            .map(|entry| entry.name)
            .find(|name| written == Path::new(name) || written.ends_with(name))
    }

    /// The archive `name` (one [`Folder::archive_of`] gave): its bytes.
    pub fn read_archive(&self, name: &str) -> Result<Option<Vec<u8>>, ReadError> {
        let read = match &self.kept {
            Kept::Local(store) => match std::fs::read(store.archive_dir().join(name)) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.to_string()),
            },
            Kept::Bucket { store, .. } => store
                .read_object(&format!("archive/{name}"))
                .map_err(|e| e.to_string()),
        };
        read.map_err(|e| format!("reading the archive {name}: {e}"))
    }

    /// The file `name` of the working directory (relative to it; never outside it).
    fn read_work_file(
        &self,
        workflow: Option<&Workflow>,
        name: &str,
    ) -> Result<Option<Vec<u8>>, ReadError> {
        match &self.kept {
            Kept::Local(store) => {
                let workdir = workflow
                    .and_then(|wf| wf.working_directory.clone())
                    .unwrap_or_else(|| store.workdir().to_path_buf());
                let inside = workdir.canonicalize().ok().and_then(|dir| {
                    let file = dir.join(name).canonicalize().ok()?;
                    file.starts_with(&dir).then_some(file)
                });
                match inside.map(std::fs::read) {
                    Some(Ok(bytes)) => Ok(Some(bytes)),
                    Some(Err(e)) => Err(e.to_string()),
                    None => Ok(None),
                }
            }
            Kept::Bucket { store, .. } => {
                let name = name.trim_start_matches("./");
                store
                    .read_object(&format!("work/{name}"))
                    .map_err(|e| e.to_string())
            }
        }
    }
}

/// The list's row of workflow `folder`.
fn workflow_row(folder: Folder, next_start: Option<String>) -> Result<WorkflowRow, ReadError> {
    let runs = folder.runs()?;
    Ok(WorkflowRow {
        failures: runs
            .iter()
            .filter(|r| r.ended.is_some() && !r.result.is_success())
            .count(),
        runs: runs.len(),
        last: runs.last().map(RunRow::of),
        next_start,
        file: folder.file.as_ref().map(|f| f.display().to_string()),
        id: folder.id,
        name: folder.name,
    })
}

/// Every workflow folder of `data`, by name.
pub fn list_workflows(data: &Path) -> Vec<WorkflowRow> {
    let Ok(entries) = std::fs::read_dir(data) else {
        return Vec::new();
    };
    let mut rows: Vec<WorkflowRow> = entries
        .flatten()
        .filter_map(|entry| Folder::open(data, entry.file_name().to_str()?))
        .filter_map(|folder| {
            let next = next_start(&data.join(&folder.id));
            workflow_row(folder, next).ok()
        })
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    rows
}

/// Rows of the workflows of a bucket, by name.
pub fn bucket_rows(folders: Vec<Folder>) -> Result<Vec<WorkflowRow>, ReadError> {
    let mut rows = folders
        .into_iter()
        .map(|folder| workflow_row(folder, None))
        .collect::<Result<Vec<_>, _>>()?;
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(rows)
}

/// The next start in the state `wharf schedule` keeps in a workflow's folder (`schedule.json`,
/// docs/schedule.md), in this machine's time.
fn next_start(folder: &Path) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct State {
        next: Option<DateTime<Utc>>,
    }
    let bytes = std::fs::read(folder.join("schedule.json")).ok()?;
    let state: State = serde_json::from_slice(&bytes).ok()?;
    Some(
        state
            .next?
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M %:z")
            .to_string(),
    )
}

/// One task execution, as the run page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct TaskRow {
    pub path: String,
    pub depth: usize,
    pub name: String,
    pub kind: String,
    pub iteration: String,
    pub result: String,
    pub ok: bool,
    pub message: String,
    pub duration: String,
    pub records_in: u64,
    pub records_out: u64,
    pub records_failed: u64,
    pub logs: Vec<LogRow>,
    /// The fail file the task's failed records went to, and what it holds now.
    pub fail_file: Option<FailFile>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LogRow {
    pub at: String,
    pub level: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FailFile {
    pub name: String,
    /// The file's text (cut short when long), or why it cannot be shown.
    pub text: String,
}

/// The run's task executions in order, with their fail files where records failed.
pub fn task_rows(run: &RunRecord, workflow: Option<&Workflow>, folder: &Folder) -> Vec<TaskRow> {
    run.tasks
        .iter()
        .map(|t| {
            let fail_file = (t.counts.records_failed > 0)
                .then(|| fail_file_setting(workflow?, &t.path))
                .flatten()
                .map(|name| read_fail_file(folder, workflow, &name));
            TaskRow {
                path: t.path.clone(),
                depth: t.path.matches('.').count(),
                name: t.name.clone(),
                kind: t.kind.clone(),
                iteration: t
                    .iteration
                    .iter()
                    .map(|i| format!("#{i}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                result: t.result.to_string(),
                ok: t.result.is_success() || t.result == ResultCode::Unknown,
                message: t.message.clone(),
                duration: duration(t.started, t.ended),
                records_in: t.counts.records_in,
                records_out: t.counts.records_out,
                records_failed: t.counts.records_failed,
                logs: t
                    .logs
                    .iter()
                    .map(|l| LogRow {
                        at: l.at.format("%H:%M:%S%.3f").to_string(),
                        level: l.level.clone(),
                        message: l.message.clone(),
                    })
                    .collect(),
                fail_file,
            }
        })
        .collect()
}

fn fail_file_setting(workflow: &Workflow, path: &str) -> Option<String> {
    match &workflow.node(path)?.kind {
        NodeKind::Task(task) => task.settings.get("fail-file").map(|v| v.text.clone()),
        _ => None,
    }
}

/// The fail file `name` of the workflow's working directory, as the run page shows it.
fn read_fail_file(folder: &Folder, workflow: Option<&Workflow>, name: &str) -> FailFile {
    let text = if name.contains("{{") {
        "(its name is a template; see the working directory)".to_owned()
    } else {
        match folder.read_work_file(workflow, name) {
            Ok(Some(bytes)) => {
                let shown = &bytes[..bytes.len().min(FAIL_FILE_SHOWN)];
                let mut text = String::from_utf8_lossy(shown).into_owned();
                if bytes.len() > FAIL_FILE_SHOWN {
                    text.push_str(&format!("\n… ({} bytes in all)", bytes.len()));
                }
                text
            }
            Ok(None) => "(no longer in the working directory)".to_owned(),
            Err(e) => format!("(cannot be read: {e})"),
        }
    };
    FailFile {
        name: name.to_owned(),
        text,
    }
}
