//! `wharf schedule`: runs workflows at the starts their `schedule:` gives, until stopped
//! (docs/schedule.md). Each start is a `wharf run` process of its own, as a person would
//! start it, so a run's lock, report, history and failure notice are the same.

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use wharf_engine::Workflow;
use wharf_schedule::{Clock, Entry, Event, Outcome, Report, ScaledClock, Scheduler, State};

/// Lines of a run's standard error kept for the scheduler's own output.
const ERROR_LINES: usize = 5;

#[derive(clap::Args)]
pub struct ScheduleArgs {
    /// Workflow files, or folders whose `*.yaml` workflows with a `schedule:` are run.
    #[arg(required = true, value_name = "WORKFLOW|FOLDER")]
    paths: Vec<PathBuf>,
    /// Print each workflow's next N starts and exit.
    #[arg(long, value_name = "N", conflicts_with = "terraform")]
    next: Option<usize>,
    /// Print the schedules as the Terraform module's `workflows` (JSON, by workflow id) and
    /// exit: the cloud's EventBridge schedules come from the same `schedule:`.
    #[arg(long)]
    terraform: bool,
    /// With --terraform: write the JSON to this file instead of standard output.
    #[arg(short, long, requires = "terraform")]
    output: Option<PathBuf>,
    /// Tests: the scheduler's clock starts at this moment (RFC 3339) …
    #[arg(long, hide = true, requires = "clock_speed")]
    clock_start: Option<DateTime<Utc>>,
    /// … and runs this many times faster than real time.
    #[arg(long, hide = true)]
    clock_speed: Option<f64>,
    /// Tests: stop once the scheduler's clock passes this moment (RFC 3339).
    #[arg(long, hide = true)]
    until: Option<DateTime<Utc>>,
}

pub fn run(args: &ScheduleArgs, cli: &crate::Cli) -> Result<ExitCode> {
    if args.terraform {
        write_terraform(&args.paths, args.output.as_deref())?;
        return Ok(ExitCode::SUCCESS);
    }
    let entries = entries(&args.paths)?;
    if let Some(n) = args.next {
        let mut text = String::new();
        for e in &entries {
            text.push_str(&format!("{} ({}):\n", e.name, e.file.display()));
            let mut t = Utc::now();
            for _ in 0..n {
                let Some(next) = e.schedule.next_after(t) else {
                    text.push_str("  no more starts\n");
                    break;
                };
                text.push_str(&format!("  {}\n", local(next)));
                t = next;
            }
        }
        crate::out::print(text)?;
        return Ok(ExitCode::SUCCESS);
    }
    let clock: Box<dyn Clock> = match (args.clock_start, args.clock_speed) {
        (Some(start), Some(speed)) => Box::new(ScaledClock::new(start, speed)),
        (None, Some(speed)) => Box::new(ScaledClock::new(Utc::now(), speed)),
        _ => Box::new(wharf_schedule::SystemClock),
    };
    let folder = |id: &str| cli.data.join(id);
    let now = clock.now();
    let scheduler = Scheduler::new(
        entries
            .into_iter()
            .map(|e| {
                let last = State::load(&folder(&e.id)).last;
                (e, last)
            })
            .collect(),
        now,
    );
    let mut banner = format!(
        "wharf schedule: {} workflow(s), data folder {}\n",
        scheduler.len(),
        cli.data.display()
    );
    for i in 0..scheduler.len() {
        let e = scheduler.entry(i);
        let next = e.schedule.next_after(now).map_or("none".into(), local);
        banner.push_str(&format!(
            "  {} ({}): next start {next}\n",
            e.name,
            e.file.display()
        ));
    }
    crate::out::print(banner)?;

    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, stop.clone()).context("catching SIGINT/SIGTERM")?;
    }
    let runner = crate::serve::runner(cli)?;
    let launch = |workflow: usize, entry: &Entry, done: std::sync::mpsc::Sender<_>| {
        let mut command = std::process::Command::new(&runner[0]);
        command
            .args(&runner[1..])
            .arg("run")
            .arg(&entry.file)
            .args(["--started-by", "schedule"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let outcome = match command.spawn() {
            Err(e) => {
                let _ = done.send((workflow, Outcome::NotStarted(e.to_string())));
                return;
            }
            Ok(child) => child,
        };
        std::thread::spawn(move || {
            let mut child = outcome;
            let mut tail = Vec::new();
            if let Some(stderr) = child.stderr.take() {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    tail.push(line);
                    if tail.len() > ERROR_LINES {
                        tail.remove(0);
                    }
                }
            }
            let outcome = match child.wait() {
                Ok(status) => Outcome::Exited {
                    code: status.code(),
                    error: tail.join("\n"),
                },
                Err(e) => Outcome::NotStarted(e.to_string()),
            };
            let _ = done.send((workflow, outcome));
        });
    };
    let mut save = |entry: &Entry, state: &State| {
        // Beside the workflow's data: a restart knows what it missed, `wharf serve` shows the
        // next start.
        if let Err(e) = state.save(&folder(&entry.id)) {
            tracing::warn!("{e}");
        }
    };
    let mut report = |scheduler: &Scheduler, report: Report<'_>| {
        let at = clock.now().format("%Y-%m-%dT%H:%M:%SZ");
        let line = match &report {
            Report::Event(event) => describe(scheduler, event),
            Report::Finished { workflow, outcome } => {
                format!("{}: {}", scheduler.entry(*workflow).name, ended(outcome))
            }
        };
        let _ = crate::out::println(format_args!("{at} {line}"));
    };
    wharf_schedule::drive(
        scheduler,
        clock.as_ref(),
        &stop,
        args.until,
        &launch,
        &mut save,
        &mut report,
    );
    Ok(ExitCode::SUCCESS)
}

fn event_workflow(event: &Event) -> usize {
    match event {
        Event::Start { workflow, .. }
        | Event::Refused { workflow, .. }
        | Event::Skipped { workflow, .. } => *workflow,
    }
}

fn describe(scheduler: &Scheduler, event: &Event) -> String {
    let name = &scheduler.entry(event_workflow(event)).name;
    match event {
        Event::Start { due, missed: 0, .. } => format!("{name}: starting (due {})", local(*due)),
        Event::Start { missed, .. } => {
            format!("{name}: starting once for {missed} missed start(s) (missed: run-once)")
        }
        Event::Refused {
            due, running_since, ..
        } => format!(
            "{name}: start due {} refused: the run started {} is still going",
            local(*due),
            local(*running_since)
        ),
        Event::Skipped { count, first, .. } => format!(
            "{name}: {count}{} missed start(s) from {} not made up (missed: skip)",
            if *count >= wharf_schedule::MISSED_COUNT_CAP {
                " or more"
            } else {
                ""
            },
            local(*first)
        ),
    }
}

/// How a run ended, by its exit code (README "Exit code").
fn ended(outcome: &Outcome) -> String {
    let last_line = |error: &str| error.lines().last().unwrap_or("").to_string();
    match outcome {
        Outcome::NotStarted(e) => format!("the run could not be started: {e}"),
        Outcome::Exited { code: Some(0), .. } => "run ended: success".into(),
        Outcome::Exited { code: Some(1), .. } => {
            "run ended: failed (see `wharf history` for the report)".into()
        }
        Outcome::Exited {
            code: Some(3),
            error,
        } => format!(
            "run refused: another run holds the workflow ({})",
            last_line(error)
        ),
        Outcome::Exited {
            code: Some(130 | 143),
            ..
        } => "run interrupted".into(),
        Outcome::Exited { code, error } => format!(
            "run could not start (exit {}): {}",
            code.map_or("by a signal".into(), |c| c.to_string()),
            last_line(error)
        ),
    }
}

fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono::Local)
        .format("%Y-%m-%d %H:%M:%S %:z")
        .to_string()
}

/// The scheduled workflows among `paths`: files as given (each must have a `schedule:`),
/// folders' `*.yaml` / `*.yml` files that have one. Two files with one identity are refused.
fn entries(paths: &[PathBuf]) -> Result<Vec<Entry>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("reading the folder {}", path.display()))?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                .collect();
            found.sort();
            files.extend(found.into_iter().map(|f| (f, false)));
        } else {
            crate::import_wkf::refuse_wkf(path)?;
            files.push((path.clone(), true));
        }
    }
    let mut entries: Vec<Entry> = Vec::new();
    for (file, named) in files {
        let wf = match Workflow::load(&file) {
            Ok(wf) => wf,
            // A folder may hold other YAML (connections, mappings): only named files must load.
            Err(_) if !named => continue,
            Err(e) => return Err(e.into()),
        };
        let Some(schedule) = wf.schedule.clone() else {
            if named {
                bail!(
                    "{} has no `schedule:` (docs/schedule.md says how to give one)",
                    file.display()
                );
            }
            continue;
        };
        if let Some(other) = entries.iter().find(|e| e.id == wf.id) {
            bail!(
                "{} and {} are both the workflow `{}`: give one of them another `id:`",
                other.file.display(),
                file.display(),
                wf.id
            );
        }
        entries.push(Entry {
            file: std::path::absolute(&file).unwrap_or(file),
            id: wf.id,
            name: wf.name,
            schedule,
        });
    }
    if entries.is_empty() {
        bail!("no workflow with a `schedule:` in {}", show(paths));
    }
    Ok(entries)
}

fn show(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `--terraform` (also `wharf import-wkf`'s schedules): the scheduled workflows among `paths`
/// as the Terraform module's `workflows`, written to `output` or printed.
pub(crate) fn write_terraform(paths: &[PathBuf], output: Option<&Path>) -> Result<()> {
    terraform(&entries(paths)?, output)
}

/// `{ "<id>": { schedule_expression, timezone, enabled, start_date?, end_date? } }`.
fn terraform(entries: &[Entry], output: Option<&Path>) -> Result<()> {
    let mut workflows = BTreeMap::new();
    for e in entries {
        let cloud = e
            .schedule
            .cloud()
            .map_err(|why| anyhow::anyhow!("{} ({}): {why}", e.name, e.file.display()))?;
        workflows.insert(e.id.clone(), cloud);
    }
    let json = serde_json::to_string_pretty(&workflows)? + "\n";
    match output {
        Some(file) => {
            std::fs::write(file, json).with_context(|| format!("writing {}", file.display()))?
        }
        None => crate::out::print(json)?,
    }
    Ok(())
}
