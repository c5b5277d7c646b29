//! Reading a data folder: its workflows, their runs, a run's fail files and archive.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::path::{Path, PathBuf};
use wharf_engine::Workflow;
use wharf_engine::record::{ResultCode, RunRecord};
use wharf_engine::storage::{LocalStore, Storage};
use wharf_engine::workflow::NodeKind;

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

/// A workflow folder of `data`: its store, its owner record's name and file.
pub struct Folder {
    pub id: String,
    pub name: String,
    pub file: Option<PathBuf>,
    pub store: LocalStore,
}

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
            store: LocalStore::new(data, id, None).ok()?,
        })
    }

    /// Readable runs, oldest first.
    pub fn runs(&self) -> Vec<RunRecord> {
        self.store
            .history()
            .map(|all| all.into_iter().flatten().collect())
            .unwrap_or_default()
    }

    pub fn run(&self, id: &str) -> Option<RunRecord> {
        self.runs().into_iter().find(|r| r.id == id)
    }

    /// The workflow file, loaded (its tasks' fail-file settings, its working directory).
    pub fn workflow(&self) -> Option<Workflow> {
        Workflow::load(self.file.as_deref()?)
            .ok()
            .filter(|wf| wf.id == self.id)
    }

    /// The task the run in progress is at, by its checkpoint.
    pub fn checkpoint_task(&self, run_id: &str) -> Option<String> {
        self.store
            .load_checkpoint()
            .ok()
            .flatten()
            .filter(|cp| cp.run_id == run_id)
            .map(|cp| cp.path)
    }

    /// The archive `run` wrote, if it is still in the workflow's archive folder.
    pub fn archive_of(&self, run: &RunRecord) -> Option<PathBuf> {
        let named = PathBuf::from(run.archive_path.as_deref()?);
        let dir = self.store.archive_dir().canonicalize().ok()?;
        let file = if named.is_absolute() {
            named
        } else {
            dir.join(named.file_name()?)
        };
        let file = file.canonicalize().ok()?;
        (file.starts_with(&dir) && file.is_file()).then_some(file)
    }
}

/// Every workflow folder of `data`, by name.
pub fn list_workflows(data: &Path) -> Vec<WorkflowRow> {
    let Ok(entries) = std::fs::read_dir(data) else {
        return Vec::new();
    };
    let mut rows: Vec<WorkflowRow> = entries
        .flatten()
        .filter_map(|entry| Folder::open(data, entry.file_name().to_str()?))
        .map(|folder| {
            let runs = folder.runs();
            WorkflowRow {
                failures: runs
                    .iter()
                    .filter(|r| r.ended.is_some() && !r.result.is_success())
                    .count(),
                runs: runs.len(),
                last: runs.last().map(RunRow::of),
                next_start: next_start(&data.join(&folder.id)),
                file: folder.file.as_ref().map(|f| f.display().to_string()),
                id: folder.id,
                name: folder.name,
            }
        })
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    rows
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
pub fn task_rows(run: &RunRecord, workflow: Option<&Workflow>, workdir: &Path) -> Vec<TaskRow> {
    run.tasks
        .iter()
        .map(|t| {
            let fail_file = (t.counts.records_failed > 0)
                .then(|| fail_file_setting(workflow?, &t.path))
                .flatten()
                .map(|name| read_fail_file(workdir, &name));
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

/// The fail file `name` (relative to the working directory; never outside it).
fn read_fail_file(workdir: &Path, name: &str) -> FailFile {
    let text = if name.contains("{{") {
        "(its name is a template; see the working directory)".to_owned()
    } else {
        let inside = workdir.canonicalize().ok().and_then(|dir| {
            let file = dir.join(name).canonicalize().ok()?;
            file.starts_with(&dir).then_some(file)
        });
        match inside.map(std::fs::read) {
            Some(Ok(bytes)) => {
                let shown = &bytes[..bytes.len().min(FAIL_FILE_SHOWN)];
                let mut text = String::from_utf8_lossy(shown).into_owned();
                if bytes.len() > FAIL_FILE_SHOWN {
                    text.push_str(&format!("\n… ({} bytes in all)", bytes.len()));
                }
                text
            }
            Some(Err(e)) => format!("(cannot be read: {e})"),
            None => "(no longer in the working directory)".to_owned(),
        }
    };
    FailFile {
        name: name.to_owned(),
        text,
    }
}

/// The working directory of a workflow folder.
pub fn workdir_of(folder: &Folder, workflow: Option<&Workflow>) -> PathBuf {
    workflow
        .and_then(|wf| wf.working_directory.clone())
        .unwrap_or_else(|| folder.store.workdir().to_path_buf())
}
