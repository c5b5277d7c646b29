//! The handlers: pages, the archive download, starting a run, a run's progress events.

use crate::runs::{Folder, RunRow, list_workflows, task_rows, workdir_of};
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
/// How often a running run's progress is looked at.
const PROGRESS_EVERY: Duration = Duration::from_millis(300);

pub struct App {
    config: ServeConfig,
    templates: minijinja::Environment<'static>,
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
        Ok(App { config, templates })
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

    fn folder(&self, id: &str) -> Result<Folder, Box<Response>> {
        Folder::open(&self.config.data, id).ok_or_else(|| {
            Box::new(self.error(
                StatusCode::NOT_FOUND,
                format!("no workflow `{id}` in this data folder"),
            ))
        })
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
    let workflows = list_workflows(&app.config.data);
    app.render(
        "workflows.html",
        "Workflows",
        None,
        minijinja::context! {
            workflows,
            data => app.config.data.display().to_string(),
            authorised => app.authorised(&headers),
        },
    )
}

pub async fn workflow(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let folder = match app.folder(&id) {
        Ok(f) => f,
        Err(page) => return *page,
    };
    let runs = folder.runs();
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
            runs => rows,
            last_resumes,
            authorised => app.authorised(&headers),
        },
    )
}

pub async fn run(
    State(app): State<Arc<App>>,
    Path((id, run_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let folder = match app.folder(&id) {
        Ok(f) => f,
        Err(page) => return *page,
    };
    let runs = folder.runs();
    let Some(run) = runs.iter().find(|r| r.id == run_id) else {
        return app.error(
            StatusCode::NOT_FOUND,
            format!("no run `{run_id}` of {}", folder.name),
        );
    };
    let is_last = runs.last().is_some_and(|r| r.id == run.id);
    let workflow = folder.workflow();
    let tasks = task_rows(
        run,
        workflow.as_ref(),
        &workdir_of(&folder, workflow.as_ref()),
    );
    let title = format!("Run {} of {}", short(&run.id), folder.name);
    app.render(
        "run.html",
        &title,
        Some((&folder.id, &folder.name)),
        minijinja::context! {
            id => folder.id.clone(),
            name => folder.name.clone(),
            file => folder.file.as_ref().map(|f| f.display().to_string()),
            run => RunRow::of(run),
            resume_at => run.resume_at,
            notices => run.notices,
            tasks,
            archive => folder.archive_of(run).and_then(|f| Some(f.file_name()?.to_string_lossy().into_owned())),
            can_resume => is_last && run.result.resumes(),
            authorised => app.authorised(&headers),
            at_task => folder.checkpoint_task(&run.id),
        },
    )
}

pub async fn archive(
    State(app): State<Arc<App>>,
    Path((id, run_id)): Path<(String, String)>,
) -> Response {
    let folder = match app.folder(&id) {
        Ok(f) => f,
        Err(page) => return *page,
    };
    let Some(file) = folder.run(&run_id).and_then(|r| folder.archive_of(&r)) else {
        return app.error(
            StatusCode::NOT_FOUND,
            "this run's archive is not in the archive folder",
        );
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().replace(['"', '\\'], "_"))
                .unwrap_or_default();
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
        Err(e) => app.error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("reading the archive: {e}"),
        ),
    }
}

#[derive(Deserialize)]
pub struct StartForm {
    /// `resume` (where the last run stopped) or `fresh` (from the first task).
    mode: String,
}

/// Starts `wharf run` on the workflow's file and, once the run has written its record, shows
/// its page.
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
    let folder = match app.folder(&id) {
        Ok(f) => f,
        Err(page) => return *page,
    };
    let Some(file) = folder.file.clone().filter(|f| f.is_file()) else {
        return app.error(
            StatusCode::CONFLICT,
            format!(
                "the workflow file of {} is not known or no longer there: run it with `wharf run <file>`",
                folder.name
            ),
        );
    };
    let before: BTreeSet<String> = folder.runs().into_iter().map(|r| r.id).collect();
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
            if let Some(new) = folder.runs().into_iter().find(|r| !before.contains(&r.id)) {
                return Ok(new.id);
            }
            if let Ok(ended) = done_rx.try_recv() {
                // Its record may have landed just before it ended.
                if let Some(new) = folder.runs().into_iter().find(|r| !before.contains(&r.id)) {
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
    let folder = match app.folder(&id) {
        Ok(f) => f,
        Err(page) => return *page,
    };
    let folder = Arc::new(folder);
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
                    tokio::time::sleep(PROGRESS_EVERY).await;
                }
                first = false;
                let (folder, run_id) = (folder.clone(), run_id.clone());
                let seen = tokio::task::spawn_blocking(move || {
                    let run = folder.run(&run_id)?;
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
