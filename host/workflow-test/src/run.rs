//! Running one case: set up its scratch data folder, run the workflow through the `wharf`
//! binary once per `runs` entry, and compare what each run left with what the case expects.

use crate::case::{Case, Expect, Run, TextCheck};
use crate::check::{self, Differences};
use crate::{CASE_FILE, CaseError, Config, Outcome};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Output};
use wharf_engine::storage::{LocalStore, Storage};
use wharf_engine::{RunRecord, Workflow};

/// Environment variables that would point a run elsewhere than the scratch folder.
const OWN_SETTINGS: [&str; 5] = [
    "WHARF_DATA",
    "WHARF_COMPONENTS",
    "WHARF_CONNECTIONS",
    "WHARF_SAGE_LEDGER",
    "WHARF_LOG",
];

pub struct CaseRun {
    pub description: Option<String>,
    pub outcome: Outcome,
    pub scratch: Option<PathBuf>,
}

pub fn run(dir: &Path, config: &Config) -> Result<CaseRun, CaseError> {
    let case_file = dir.join(CASE_FILE);
    let text = std::fs::read_to_string(&case_file)
        .map_err(|e| CaseError::io(format!("reading {}", case_file.display()), e))?;
    let case: Case = serde_saphyr::from_str(&text)
        .map_err(|e| CaseError::malformed(&case_file, e.to_string()))?;
    validate(&case, dir, &case_file)?;

    let scratch = tempfile::Builder::new()
        .prefix("wharf-test-")
        .tempdir()
        .map_err(|e| CaseError::io("creating a scratch folder", e))?;
    let mut session = Session {
        dir,
        config,
        case: &case,
        root: scratch.path().to_path_buf(),
        differences: Differences::default(),
    };
    session.play()?;
    let scratch = if config.keep {
        Some(scratch.keep())
    } else {
        None
    };
    let differences = session.differences.into_vec();
    Ok(CaseRun {
        description: case.description.clone(),
        outcome: if differences.is_empty() {
            Outcome::Passed
        } else {
            Outcome::Failed(differences)
        },
        scratch,
    })
}

/// Checks what can be checked before running: the files the case names exist, and its
/// patterns and paths are well-formed.
fn validate(case: &Case, dir: &Path, case_file: &Path) -> Result<(), CaseError> {
    // Every path a case names stays inside its folder (or the working directory): a case is
    // data, and reads or writes nothing else.
    let must_stay_inside = |field: &str, path: &Path| {
        let inside = path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        if inside {
            Ok(())
        } else {
            Err(CaseError::malformed(
                case_file,
                format!(
                    "{field}: `{}` leaves the folder it is relative to (an absolute path or `..`)",
                    path.display()
                ),
            ))
        }
    };
    let must_exist = |field: &str, path: &Path| {
        must_stay_inside(field, path)?;
        if dir.join(path).is_file() {
            Ok(())
        } else {
            Err(CaseError::malformed(
                case_file,
                format!(
                    "{field}: the file {} is not in the case folder",
                    path.display()
                ),
            ))
        }
    };
    must_exist("workflow", &case.workflow)?;
    must_stay_inside("work", &case.work)?;
    if let Some(connections) = &case.connections {
        must_exist("connections", connections)?;
    }
    if let Some(ledger) = &case.ledger {
        for (i, file) in ledger.load.iter().enumerate() {
            must_exist(&format!("ledger.load[{i}]"), file)?;
        }
    }
    if case.runs.is_empty() {
        return Err(CaseError::malformed(
            case_file,
            "runs: empty: a case needs at least one run",
        ));
    }
    for (i, run) in case.runs.iter().enumerate() {
        let at = format!("runs[{i}]");
        if let Some(workflow) = &run.workflow {
            must_exist(&format!("{at}.workflow"), workflow)?;
        }
        let expect = &run.expect;
        let work_paths = (run.before.write.keys().map(|p| ("before.write", p)))
            .chain(run.before.remove.iter().map(|p| ("before.remove", p)))
            .chain(expect.files.keys().map(|p| ("expect.files", p)))
            .chain(expect.entries.keys().map(|p| ("expect.entries", p)));
        for (field, path) in work_paths {
            must_stay_inside(&format!("{at}.{field}"), Path::new(path))?;
        }
        for (field, text_check) in text_checks(expect) {
            let field = format!("{at}.expect.{field}");
            if let Some(same_as) = &text_check.checks.same_as {
                must_exist(&format!("{field}.same-as"), same_as)?;
            }
            check::validate(&text_check.checks).map_err(|message| {
                CaseError::malformed(case_file, format!("{field}: {message}"))
            })?;
        }
    }
    Ok(())
}

/// Every text check of an expectation, with the field it is in.
fn text_checks(expect: &Expect) -> Vec<(String, &TextCheck)> {
    let mut all: Vec<(String, &TextCheck)> = Vec::new();
    all.extend(expect.message.iter().map(|c| ("message".to_owned(), c)));
    all.extend(expect.error.iter().map(|c| ("error".to_owned(), c)));
    all.extend(expect.notices.iter().map(|c| ("notices".to_owned(), c)));
    for (path, c) in &expect.files {
        all.push((format!("files.{path}"), c));
    }
    for (id, task) in &expect.tasks {
        all.extend(
            task.message
                .iter()
                .map(|c| (format!("tasks.{id}.message"), c)),
        );
        for (name, c) in &task.outputs {
            all.push((format!("tasks.{id}.outputs.{name}"), c));
        }
    }
    for (id, keys) in &expect.state {
        for (key, c) in keys {
            all.push((format!("state.{id}.{key}"), c));
        }
    }
    all
}

struct Session<'a> {
    dir: &'a Path,
    config: &'a Config,
    case: &'a Case,
    /// The scratch folder: `workflow.yaml` (the workflow each run runs) and `data/`.
    root: PathBuf,
    differences: Differences,
}

impl Session<'_> {
    fn data(&self) -> PathBuf {
        self.root.join("data")
    }

    fn workflow_path(&self) -> PathBuf {
        self.root.join("workflow.yaml")
    }

    fn play(&mut self) -> Result<(), CaseError> {
        if let Some(setup) = &self.case.ledger {
            let mut create = vec!["sage".to_owned(), "create-company".to_owned()];
            for (flag, value) in [
                ("--name", &setup.company),
                ("--country", &setup.country),
                ("--currency", &setup.currency),
            ] {
                if let Some(value) = value {
                    create.extend([flag.to_owned(), value.clone()]);
                }
            }
            let mut steps = vec![create];
            for file in &setup.load {
                let mut load = vec![
                    "sage".to_owned(),
                    "load".to_owned(),
                    self.dir.join(file).display().to_string(),
                ];
                if setup.generate_account_refs {
                    load.push("--generate-account-refs".to_owned());
                }
                steps.push(load);
            }
            for args in steps {
                let output = self.wharf(&args)?;
                if !output.status.success() {
                    self.differences.add(
                        "ledger set-up",
                        format!(
                            "`wharf {}` failed: {}",
                            args.join(" "),
                            String::from_utf8_lossy(&output.stderr).trim()
                        ),
                    );
                    return Ok(());
                }
            }
        }
        let work = self.dir.join(&self.case.work);
        let mut placed = false;
        for (i, run) in self.case.runs.iter().enumerate() {
            let label = format!("run {}", i + 1);
            let workflow = run.workflow.as_ref().unwrap_or(&self.case.workflow);
            let source = self.dir.join(workflow);
            std::fs::copy(&source, self.workflow_path())
                .map_err(|e| CaseError::io(format!("copying {}", source.display()), e))?;
            let store = self.store();
            if let Some(store) = &store {
                if !placed && work.is_dir() {
                    copy_tree(&work, store.workdir())?;
                }
                placed = true;
                prepare(store.workdir(), run)?;
            }
            self.run_once(&label, run, store.as_ref())?;
        }
        Ok(())
    }

    /// The store `wharf run` keeps the workflow in; none while the workflow does not load (a
    /// case may expect that refusal).
    fn store(&self) -> Option<LocalStore> {
        let workflow = Workflow::load(&self.workflow_path()).ok()?;
        LocalStore::for_workflow(&self.data(), &workflow).ok()
    }

    fn run_once(
        &mut self,
        label: &str,
        run: &Run,
        store: Option<&LocalStore>,
    ) -> Result<(), CaseError> {
        let mut args = vec![
            "run".to_owned(),
            self.workflow_path().display().to_string(),
            "--json".to_owned(),
        ];
        if run.fresh {
            args.push("--fresh".to_owned());
        }
        for (key, value) in &run.vars {
            args.extend(["--var".to_owned(), format!("{key}={value}")]);
        }
        let output = self.wharf(&args)?;
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        let expect = &run.expect;
        let d = &mut self.differences;
        let record = match (output.status.code(), &expect.error) {
            (Some(0 | 1), None) => match serde_json::from_slice::<RunRecord>(&output.stdout) {
                Ok(record) => record,
                Err(e) => {
                    d.add(
                        label,
                        format!("wharf run printed no run record ({e}): {stderr}"),
                    );
                    return Ok(());
                }
            },
            (Some(2 | 3), Some(error)) => {
                check::text(
                    d,
                    &format!("{label}: error"),
                    Some(stderr.as_bytes()),
                    error,
                    self.dir,
                );
                return Ok(());
            }
            (Some(2 | 3), None) => {
                d.add(label, format!("wharf run refused the workflow: {stderr}"));
                return Ok(());
            }
            (code, Some(_)) => {
                d.add(
                    format!("{label}: error"),
                    format!(
                        "expected wharf run to refuse the workflow; it ran (exit code {})",
                        code.map_or("none".to_owned(), |c| c.to_string())
                    ),
                );
                return Ok(());
            }
            (code, None) => {
                d.add(label, format!("wharf run ended with {code:?}: {stderr}"));
                return Ok(());
            }
        };
        check::record(d, label, &record, expect, self.dir);
        let Some(store) = store else {
            return Ok(());
        };
        for (path, expected) in &expect.files {
            let content = std::fs::read(store.workdir().join(path)).ok();
            check::text(
                d,
                &format!("{label}: file `{path}`"),
                content.as_deref(),
                expected,
                self.dir,
            );
        }
        for (folder, expected) in &expect.entries {
            let found = std::fs::read_dir(store.workdir().join(folder))
                .map(|entries| entries.count())
                .unwrap_or(0);
            let place = format!("{label}: folder `{folder}`");
            check::count(d, &place, "entries", *expected, found);
        }
        if let Some(expected) = expect.archive_files {
            let found = store
                .archive_list()
                .map_err(|e| CaseError::storage("listing the archive", e))?
                .len();
            check::count(d, &format!("{label}: archive"), "files", expected, found);
        }
        if let Some(expected) = expect.runs_kept {
            let found = store
                .list_runs()
                .map_err(|e| CaseError::storage("reading the run history", e))?
                .len();
            check::count(
                d,
                &format!("{label}: history"),
                "runs kept",
                expected,
                found,
            );
        }
        if !expect.state.is_empty() {
            let states = store
                .load_state()
                .map_err(|e| CaseError::storage("reading the task state", e))?;
            for (task, keys) in &expect.state {
                for (key, expected) in keys {
                    let value = states.get(task).and_then(|s| s.get(key));
                    check::text(
                        d,
                        &format!("{label}: state of `{task}`, `{key}`"),
                        value.map(String::as_bytes),
                        expected,
                        self.dir,
                    );
                }
            }
        }
        if let Some(expected) = &expect.truth {
            let records = store
                .truth()
                .and_then(|truth| truth.all())
                .map_err(|e| CaseError::storage("reading the truth records", e))?;
            let rows = records
                .iter()
                .map(|r| serde_json::to_value(r).unwrap_or_default())
                .collect();
            check::rows(d, &format!("{label}: truth records"), expected, rows);
        }
        if let Some(ledger) = &expect.ledger {
            for (what, expected) in [
                ("customers", &ledger.customers),
                ("orders", &ledger.orders),
                ("stock", &ledger.stock),
            ] {
                let Some(expected) = expected else { continue };
                let place = format!("{label}: ledger {what}");
                let args = ["sage", what, "--json", "--limit", "1000000"].map(str::to_owned);
                let output = self.wharf(&args)?;
                let listing = serde_json::from_slice::<serde_json::Value>(&output.stdout);
                let d = &mut self.differences;
                match listing {
                    Ok(listing) if output.status.success() => {
                        let rows = listing["rows"].as_array().cloned().unwrap_or_default();
                        check::rows(d, &place, expected, rows);
                    }
                    _ => d.add(
                        place,
                        format!(
                            "`wharf sage {what}` failed: {}",
                            String::from_utf8_lossy(&output.stderr).trim()
                        ),
                    ),
                }
            }
        }
        Ok(())
    }

    /// Runs `wharf` with the scratch data folder, the case's connections and environment.
    fn wharf(&self, args: &[String]) -> Result<Output, CaseError> {
        let mut command = Command::new(&self.config.wharf);
        for name in OWN_SETTINGS {
            command.env_remove(name);
        }
        command.arg("--data").arg(self.data());
        if !self.config.components.is_empty() {
            let dirs: Vec<String> = self
                .config
                .components
                .iter()
                .map(|d| d.display().to_string())
                .collect();
            command.arg("--components").arg(dirs.join(":"));
        }
        let connections = self.case.connections.clone().or_else(|| {
            let default = PathBuf::from("connections.yaml");
            self.dir.join(&default).is_file().then_some(default)
        });
        if let Some(connections) = connections {
            command.arg("--connections").arg(self.dir.join(connections));
        }
        command.envs(&self.case.env).args(args);
        command
            .output()
            .map_err(|e| CaseError::io(format!("starting {}", self.config.wharf.display()), e))
    }
}

/// Applies a run's `before` to the working directory.
fn prepare(workdir: &Path, run: &Run) -> Result<(), CaseError> {
    for (path, content) in &run.before.write {
        let file = workdir.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| CaseError::io(format!("creating {}", parent.display()), e))?;
        }
        std::fs::write(&file, content)
            .map_err(|e| CaseError::io(format!("writing {}", file.display()), e))?;
    }
    for path in &run.before.remove {
        let target = workdir.join(path);
        let removed = if target.is_dir() {
            std::fs::remove_dir_all(&target)
        } else {
            std::fs::remove_file(&target)
        };
        match removed {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(CaseError::io(format!("removing {}", target.display()), e));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Copies the files under `from` into `to`, keeping their relative paths.
pub fn copy_tree(from: &Path, to: &Path) -> Result<(), CaseError> {
    let entries = std::fs::read_dir(from)
        .map_err(|e| CaseError::io(format!("reading {}", from.display()), e))?;
    std::fs::create_dir_all(to)
        .map_err(|e| CaseError::io(format!("creating {}", to.display()), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| CaseError::io(format!("reading {}", from.display()), e))?;
        let source = entry.path();
        let target = to.join(entry.file_name());
        if source.is_dir() {
            copy_tree(&source, &target)?;
        } else {
            std::fs::copy(&source, &target)
                .map_err(|e| CaseError::io(format!("copying {}", source.display()), e))?;
        }
    }
    Ok(())
}
