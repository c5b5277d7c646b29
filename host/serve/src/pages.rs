//! The handlers: pages, the archive download, starting a run, a run's progress events.

use crate::runs::{Folder, ReadError, RunRow, task_rows};
use crate::source::{Source, Sources};
use crate::{ServeConfig, ServeError};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};
use std::convert::Infallible;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// The cookie that carries the token after the start-up address was opened.
const TOKEN_COOKIE: &str = "wharf-token";
/// How long a started run has to write its first record before the button reports it.
const START_WAIT: Duration = Duration::from_secs(20);
/// How often a running run's progress is looked at: in a data folder, and in a bucket (each
/// look is S3 requests).
const PROGRESS_EVERY: Duration = Duration::from_millis(300);
const CLOUD_PROGRESS_EVERY: Duration = Duration::from_secs(2);

pub struct App {
    config: ServeConfig,
    sources: Sources,
    templates: minijinja::Environment<'static>,
}

/// Why a page cannot be shown.
enum Failure {
    NotFound(String),
    /// The records could not be read (a file, an S3 request).
    Read(ReadError),
}

impl From<ReadError> for Failure {
    fn from(e: ReadError) -> Self {
        Failure::Read(e)
    }
}

/// Runs `read` (files or S3 requests, which block) on a blocking thread.
async fn blocking<T: Send + 'static>(
    read: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(read)
        .await
        .unwrap_or_else(|e| Err(Failure::Read(format!("reading the records: {e}"))))
}

impl App {
    pub fn new(config: ServeConfig) -> Result<Self, ServeError> {
        let mut templates = minijinja::Environment::new();
        for (name, source) in [
            ("layout.html", include_str!("templates/layout.html")),
            ("workflows.html", include_str!("templates/workflows.html")),
            ("workflow.html", include_str!("templates/workflow.html")),
            ("run.html", include_str!("templates/run.html")),
            ("error.html", include_str!("templates/error.html")),
        ] {
            templates
                .add_template(name, source)
                .map_err(|e| ServeError::Template(format!("{e:#}")))?;
        }
        Ok(App {
            sources: Sources::new(config.source.clone()),
            config,
            templates,
        })
    }

    /// The page `name` rendered with `context`, inside the layout (title, a link back to
    /// the workflow's page when `workflow` is given).
    fn render(
        &self,
        name: &str,
        title: &str,
        workflow: Option<(&str, &str)>,
        context: minijinja::Value,
    ) -> Response {
        let page = self
            .templates
            .get_template(name)
            .and_then(|t| t.render(context))
            .and_then(|body| {
                self.templates
                    .get_template("layout.html")?
                    .render(minijinja::context! {
                        title,
                        nav => workflow.map(|(id, name)| minijinja::context! {
                            href => format!("/w/{id}"),
                            text => name,
                        }),
                        body => minijinja::Value::from_safe_string(body),
                    })
            });
        match page {
            Ok(html) => Html(html).into_response(),
            Err(e) => {
                tracing::error!("rendering {name}: {e:#}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the page could not be rendered",
                )
                    .into_response()
            }
        }
    }

    fn error(&self, status: StatusCode, message: impl Into<String>) -> Response {
        let message = message.into();
        let mut page = self.render(
            "error.html",
            &format!("Error {}", status.as_u16()),
            None,
            minijinja::context! { status => status.as_u16(), message },
        );
        *page.status_mut() = status;
        page
    }

    /// Workflow `id`, or why not.
    fn folder(&self, id: &str) -> Result<Folder, Failure> {
        self.sources.open(id)?.ok_or_else(|| {
            Failure::NotFound(match &self.sources.source {
                Source::Data(_) => format!("no workflow `{id}` in this data folder"),
                Source::Bucket(_) => format!("no workflow `{id}` in this bucket"),
            })
        })
    }

    fn failed(&self, failure: Failure) -> Response {
        match failure {
            Failure::NotFound(message) => self.error(StatusCode::NOT_FOUND, message),
            Failure::Read(message) => self.error(StatusCode::BAD_GATEWAY, message),
        }
    }

    /// Whether the request carries the token (cookie or bearer header).
    fn authorised(&self, headers: &HeaderMap) -> bool {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == TOKEN_COOKIE)
            .map(|(_, value)| value);
        [bearer, cookie]
            .into_iter()
            .flatten()
            .any(|given| same_secret(given, &self.config.token))
    }
}

/// The first characters of a run id, as pages show it.
fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// Compares without stopping at the first difference (the time taken says nothing of the token).
fn same_secret(given: &str, token: &str) -> bool {
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The start-up address carries `?token=…`: it becomes a cookie (HttpOnly, SameSite=Strict, so
/// other sites' pages cannot post with it) and leaves the address bar.
fn token_login(app: &App, query: &HashMap<String, String>, path: &str) -> Option<Response> {
    let given = query.get("token")?;
    if !same_secret(given, &app.config.token) {
        return Some(app.error(StatusCode::UNAUTHORIZED, "that token is not this server's"));
    }
    let cookie = format!("{TOKEN_COOKIE}={given}; HttpOnly; SameSite=Strict; Path=/");
    Some(([(header::SET_COOKIE, cookie)], Redirect::to(path)).into_response())
}

pub async fn workflows(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(login) = token_login(&app, &query, "/") {
        return login;
    }
    let listed = {
        let app = app.clone();
        blocking(move || Ok(app.sources.workflows()?)).await
    };
    let workflows = match listed {
        Ok(rows) => rows,
        Err(failure) => return app.failed(failure),
    };
    app.render(
        "workflows.html",
        "Workflows",
        None,
        minijinja::context! {
            workflows,
            source => app.sources.describe(),
            cloud => matches!(app.sources.source, Source::Bucket(_)),
            authorised => app.authorised(&headers),
        },
    )
}

pub async fn workflow(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let read = {
        let app = app.clone();
        blocking(move || {
            let folder = app.folder(&id)?;
            let runs = folder.runs()?;
            Ok((folder, runs))
        })
        .await
    };
    let (folder, runs) = match read {
        Ok(read) => read,
        Err(failure) => return app.failed(failure),
    };
    let last_resumes = runs.last().is_some_and(|r| r.result.resumes());
    let rows: Vec<RunRow> = runs.iter().rev().map(RunRow::of).collect();
    app.render(
        "workflow.html",
        &folder.name,
        Some((&folder.id, &folder.name)),
        minijinja::context! {
            id => folder.id.clone(),
            name => folder.name.clone(),
            file => folder.file.as_ref().map(|f| f.display().to_string()),
            location => folder.location(),
            runs => rows,
            last_resumes,
            cloud => app.sources.cloud_commands(&folder.id),
            authorised => app.authorised(&headers),
        },
    )
}

pub async fn run(
    State(app): State<Arc<App>>,
    Path((id, run_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let read = {
        let app = app.clone();
        blocking(move || {
            let folder = app.folder(&id)?;
            let runs = folder.runs()?;
            let Some(at) = runs.iter().position(|r| r.id == run_id) else {
                return Err(Failure::NotFound(format!(
                    "no run `{run_id}` of {}",
                    folder.name
                )));
            };
            let is_last = at + 1 == runs.len();
            let run = runs.into_iter().nth(at).expect("found above");
            let workflow = folder.workflow();
            let tasks = task_rows(&run, workflow.as_ref(), &folder);
            let archive = folder.archive_of(&run);
            let at_task = folder.checkpoint_task(&run.id);
            Ok((folder, run, is_last, tasks, archive, at_task))
        })
        .await
    };
    let (folder, run, is_last, tasks, archive, at_task) = match read {
        Ok(read) => read,
        Err(failure) => return app.failed(failure),
    };
    let title = format!("Run {} of {}", short(&run.id), folder.name);
    app.render(
        "run.html",
        &title,
        Some((&folder.id, &folder.name)),
        minijinja::context! {
            id => folder.id.clone(),
            name => folder.name.clone(),
            file => folder.file.as_ref().map(|f| f.display().to_string()),
            run => RunRow::of(&run),
            resume_at => run.resume_at,
            notices => run.notices,
            tasks,
            archive,
            can_resume => is_last && run.result.resumes(),
            cloud => app.sources.cloud_commands(&folder.id),
            authorised => app.authorised(&headers),
            at_task,
        },
    )
}

pub async fn archive(
    State(app): State<Arc<App>>,
    Path((id, run_id)): Path<(String, String)>,
) -> Response {
    let read = {
        let app = app.clone();
        blocking(move || {
            let folder = app.folder(&id)?;
            let gone =
                || Failure::NotFound("this run's archive is not in the workflow's archive".into());
            let run = folder.run(&run_id)?.ok_or_else(gone)?;
            let name = folder.archive_of(&run).ok_or_else(gone)?;
            let bytes = folder.read_archive(&name)?.ok_or_else(gone)?;
            Ok((name, bytes))
        })
        .await
    };
    match read {
        Ok((name, bytes)) => {
            let name = name
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .replace(['"', '\\'], "_");
            (
                [
                    (header::CONTENT_TYPE, "application/zip".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                ],
                bytes,
            )
                .into_response()
        }
        Err(failure) => app.failed(failure),
    }
}

#[derive(Deserialize)]
pub struct StartForm {
    /// `resume` (where the last run stopped) or `fresh` (from the first task).
    mode: String,
}

/// Starts `wharf run` on the workflow's file and, once the run has written its record, shows
/// its page. A bucket's workflows are refused with the command that starts a cloud run.
pub async fn start(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<StartForm>,
) -> Response {
    if !app.authorised(&headers) {
        return app.error(
            StatusCode::UNAUTHORIZED,
            "starting a run needs the token `wharf serve` printed: open the address it printed",
        );
    }
    let fresh = match form.mode.as_str() {
        "resume" => false,
        "fresh" => true,
        other => {
            return app.error(
                StatusCode::BAD_REQUEST,
                format!("unknown mode `{other}`: resume or fresh"),
            );
        }
    };
    // Cloud runs start in the function (a schedule's invocation), not in this process.
    if let Some(commands) = app.sources.cloud_commands(&id) {
        return app.error(
            StatusCode::CONFLICT,
            format!(
                "cloud runs are started by the workflow's function, not by wharf serve: `{}` starts one now (a failed run resumes where it stopped)",
                commands.invoke
            ),
        );
    }
    let read = {
        let app = app.clone();
        blocking(move || {
            let folder = app.folder(&id)?;
            let runs = folder.runs()?;
            Ok((folder, runs))
        })
        .await
    };
    let (folder, runs) = match read {
        Ok(read) => read,
        Err(failure) => return app.failed(failure),
    };
    let id = folder.id.clone();
    let Some(file) = folder.file.clone().filter(|f| f.is_file()) else {
        return app.error(
            StatusCode::CONFLICT,
            format!(
                "the workflow file of {} is not known or no longer there: run it with `wharf run <file>`",
                folder.name
            ),
        );
    };
    let before: BTreeSet<String> = runs.into_iter().map(|r| r.id).collect();
    let Some((program, globals)) = app.config.runner.split_first() else {
        return app.error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "no wharf command configured",
        );
    };
    let mut command = Command::new(program);
    command
        .args(globals)
        .arg("run")
        .arg(&file)
        .args(["--started-by", "serve"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if fresh {
        command.arg("--fresh");
    }
    let child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            return app.error(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("starting wharf run: {e}"),
            );
        }
    };
    tracing::info!(workflow = %folder.name, fresh, "started a run");
    // The run goes on by itself; a thread collects its exit so no zombie is left.
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(child.wait_with_output());
    });
    let waited = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + START_WAIT;
        loop {
            let new_run = || {
                folder
                    .runs()
                    .unwrap_or_default()
                    .into_iter()
                    .find(|r| !before.contains(&r.id))
            };
            if let Some(new) = new_run() {
                return Ok(new.id);
            }
            if let Ok(ended) = done_rx.try_recv() {
                // Its record may have landed just before it ended.
                if let Some(new) = new_run() {
                    return Ok(new.id);
                }
                return Err(match ended {
                    Ok(out) => {
                        let said = String::from_utf8_lossy(&out.stderr).trim().to_owned();
                        format!("the run did not start ({}): {said}", out.status)
                    }
                    Err(e) => format!("the run did not start: {e}"),
                });
            }
            if std::time::Instant::now() > deadline {
                return Err("the run has not written its record yet; look again shortly".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    })
    .await;
    match waited {
        Ok(Ok(run_id)) => Redirect::to(&format!("/w/{id}/runs/{run_id}")).into_response(),
        Ok(Err(why)) => app.error(StatusCode::CONFLICT, why),
        Err(e) => app.error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// A run's progress as server-sent events: `progress` (status, the task it is at, elapsed)
/// whenever it changes, then `end` once the run has ended.
pub async fn events(
    State(app): State<Arc<App>>,
    Path((id, run_id)): Path<(String, String)>,
) -> Response {
    let folder = {
        let app = app.clone();
        blocking(move || app.folder(&id)).await
    };
    let folder = match folder {
        Ok(folder) => Arc::new(folder),
        Err(failure) => return app.failed(failure),
    };
    let every = if folder.in_cloud() {
        CLOUD_PROGRESS_EVERY
    } else {
        PROGRESS_EVERY
    };
    let stream = futures_util::stream::unfold((None::<String>, false), move |(last, ended)| {
        let folder = folder.clone();
        let run_id = run_id.clone();
        async move {
            if ended {
                return None;
            }
            // The first look is at once; later ones every PROGRESS_EVERY.
            let mut first = last.is_none();
            loop {
                if !first {
                    tokio::time::sleep(every).await;
                }
                first = false;
                let (folder, run_id) = (folder.clone(), run_id.clone());
                let seen = tokio::task::spawn_blocking(move || {
                    let run = folder.run(&run_id).ok().flatten()?;
                    let at = folder.checkpoint_task(&run_id);
                    Some((run, at))
                })
                .await
                .ok()
                .flatten();
                let Some((run, at)) = seen else {
                    let gone = Event::default().event("end").data("gone");
                    return Some((Ok::<_, Infallible>(gone), (last, true)));
                };
                let row = RunRow::of(&run);
                if run.ended.is_some() {
                    let end = Event::default().event("end").data(row.status);
                    return Some((Ok(end), (last, true)));
                }
                let data = serde_json::json!({
                    "status": row.status,
                    "task": at,
                    "tasks_done": run.tasks.len(),
                    "duration": row.duration,
                })
                .to_string();
                if last.as_deref() != Some(data.as_str()) {
                    let event = Event::default().event("progress").data(data.clone());
                    return Some((Ok(event), (Some(data), false)));
                }
            }
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}
