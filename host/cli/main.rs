//! `wharf`: run, validate and inspect Wharf workflows on this machine.

mod check;
mod cloud;
mod deploy;
mod generate;
mod import_wkf;
mod new_component;
mod notify;
mod out;
mod report;
mod sage;
mod schedule;
mod serve;
mod stores;
mod test_cases;
mod truth;
mod xslt;

use anyhow::{Context, Result, bail};
use clap::{CommandFactory, Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use wharf_engine::engine::EngineError;
use wharf_engine::interrupt::Interrupt;
use wharf_engine::storage::{LocalStore, Storage, StorageError};
use wharf_engine::{
    ComponentSource, Engine, ResultCode, RunOptions, Runtime, RuntimeConfig, Workflow,
};

/// Exit code of a run that was refused because another run holds the workflow (its lock, or a
/// suspended run): nothing is wrong with the workflow, try again later.
const EXIT_REFUSED: u8 = 3;

#[derive(Parser)]
#[command(
    name = "wharf",
    version,
    about = "Run sandboxed integration workflows (web shop ⇄ Sage) on this machine",
    // Every command takes these; under their own heading a command's own options stand out.
    next_help_heading = "Global options"
)]
struct Cli {
    /// Folder(s) holding the task components (*.wasm). Default: the `components` folder next to
    /// the wharf binary's folder (target/components in a checkout).
    #[arg(
        long = "components",
        env = "WHARF_COMPONENTS",
        value_delimiter = ':',
        global = true
    )]
    components: Vec<PathBuf>,
    /// Where workflows keep their working directory, archive, history and state.
    #[arg(long, env = "WHARF_DATA", default_value = "wharf-data", global = true)]
    data: PathBuf,
    /// The embedded Sage 50 ledger the `sage` capability works on.
    /// Default: `sage-ledger.sqlite` in the data folder.
    #[arg(long = "sage-ledger", env = "WHARF_SAGE_LEDGER", global = true)]
    sage_ledger: Option<PathBuf>,
    /// Seconds an import waits for another import into the same Sage ledger to finish.
    #[arg(
        long = "sage-lock-wait",
        env = "WHARF_SAGE_LOCK_WAIT",
        default_value_t = 300,
        global = true
    )]
    sage_lock_wait: u64,
    /// Named connections (SFTP servers …) that workflows grant to tasks, e.g.
    /// `grants: ["sftp:shop"]`. Default: `connections.yaml` in the data folder.
    #[arg(long, env = "WHARF_CONNECTIONS", global = true)]
    connections: Option<PathBuf>,
    /// Log more (repeat for more detail).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a workflow and print its report. Exits non-zero if the run failed.
    Run {
        /// The workflow file (YAML).
        workflow: PathBuf,
        /// A variable, KEY=VALUE (repeatable): a global, and the value of the workflow's own
        /// variable KEY when it has one (the command line wins).
        #[arg(long = "var", value_name = "KEY=VALUE")]
        vars: Vec<String>,
        /// Print the run record as JSON instead of the report.
        #[arg(long)]
        json: bool,
        /// Start from the first task even if the last run failed where it could resume.
        #[arg(long)]
        fresh: bool,
        /// Report only the tasks that failed, sent records to a fail file or warned.
        #[arg(long)]
        failures: bool,
        /// Who or what starts the run, for its record (`wharf schedule` and `wharf serve`
        /// say so); default `cli:<user>`.
        #[arg(long, hide = true)]
        started_by: Option<String>,
    },
    /// Check a workflow against its components, and its templates against the names a run
    /// can resolve, without running anything.
    Validate {
        /// The workflow file (YAML).
        workflow: PathBuf,
        /// A global the run will be given, KEY=VALUE (repeatable): its name counts as known.
        #[arg(long = "var", value_name = "KEY=VALUE")]
        vars: Vec<String>,
        /// Print the result as JSON (`ok`, `tasks`, `errors`, `warnings`); exits 1 when not ok.
        #[arg(long)]
        json: bool,
    },
    /// List the available tasks and their settings.
    Tasks {
        /// Show only this task.
        name: Option<String>,
        /// Print the tasks' descriptions (kind, settings, capabilities) as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write realistic sample data (a Zynk product export) for demos and benchmarks.
    Generate {
        /// The file to write.
        #[arg(long)]
        output: PathBuf,
        /// Number of products.
        #[arg(long, conflicts_with = "size")]
        count: Option<u64>,
        /// Keep adding products until the file is this big (e.g. 1GiB).
        #[arg(long)]
        size: Option<String>,
        /// Seed of the random data: the same seed and count give the same file.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Transform INPUT with an XSLT 1.0 STYLESHEET in the sandbox (the `xslt-transform` task)
    /// and print the result. MapTo/MapFrom use <data>/mappings.yaml.
    Xslt {
        /// The XSLT 1.0 stylesheet (or a built-in mapping's name).
        stylesheet: PathBuf,
        /// The XML document to transform.
        input: PathBuf,
        /// A top-level xsl:param, NAME=VALUE (repeatable).
        #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Write the result here instead of to stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Set up and inspect the embedded Sage 50 ledger.
    Sage {
        #[command(subcommand)]
        command: sage::SageCommand,
    },
    /// Check a workflow here, then upload it, its components (plain and precompiled) and the
    /// customer's connections and mappings files into the customer's bucket for the Wharf
    /// Lambda. Objects already current are skipped; nothing is uploaded if the workflow or a
    /// file is wrong.
    Deploy(deploy::DeployArgs),
    /// Look at a deployed workflow's run in the bucket, and unstick it: end a suspended run
    /// that will not be answered, or have the function send its message again.
    Cloud {
        #[command(subcommand)]
        command: cloud::CloudCommand,
    },
    /// Convert Zynk `.wkf` workflows into Wharf workflows, a connections file and a report.
    ImportWkf(import_wkf::ImportArgs),
    /// Show past runs of a workflow, or one run in full.
    History {
        /// The workflow file, or its name when it has run with this data folder (with
        /// --bucket: the deployed workflow's name there).
        workflow: String,
        /// Show this run (an id or a unique prefix) with all its tasks.
        #[arg(long)]
        run: Option<String>,
        /// How many recent runs to list.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Print the run records as JSON instead of the table or report.
        #[arg(long)]
        json: bool,
        /// With --run: report only the tasks that failed, sent records to a fail file or warned.
        #[arg(long, requires = "run")]
        failures: bool,
        #[command(flatten)]
        from_bucket: cloud::CloudRunsArgs,
    },
    /// See and remove a workflow's truth records (which record became which Sage record).
    Truth {
        #[command(subcommand)]
        command: truth::TruthCommand,
    },
    /// Run workflow cases (folders with a case.yaml: a workflow, its input files and what it
    /// must produce) in scratch data folders and show where reality differs
    /// (docs/workflow-tests.md). Exits 1 when a case differs, 2 when one is malformed.
    Test(test_cases::TestArgs),
    /// Start a component of your own from a template (Rust, Python or JavaScript).
    New {
        #[command(subcommand)]
        command: new_component::NewCommand,
    },
    /// Print a shell completion script: `wharf completions bash > /etc/bash_completion.d/wharf`.
    Completions { shell: clap_complete::Shell },
    /// Print the manual page (roff): `wharf manual | man -l -`.
    Manual,
    /// Show the data folder's workflows and runs in the browser, with buttons to resume a
    /// failed run or run again (docs/serve.md).
    Serve(serve::ServeArgs),
    /// Run workflows at the times their `schedule:` gives, until stopped: a service (a systemd
    /// unit is in docs/schedule.md). `--next N` shows the coming starts, `--terraform` the
    /// cloud's schedules.
    Schedule(schedule::ScheduleArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    // Connections may name AWS Secrets Manager secrets; region and endpoint from the environment.
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    wharf_cloud::AwsSecrets::new(
        env("AWS_REGION")
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .as_deref(),
        env("AWS_ENDPOINT_URL").as_deref(),
    )
    .install();
    // Guest code may recurse deeply: give it a stack big enough that task calls never switch.
    match wharf_engine::runtime::on_guest_thread(move || run(cli)) {
        Ok(code) => code,
        // The reader of our output has gone (`wharf tasks | head`): it took what it wanted.
        Err(e) if out::reader_gone(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            let refused = matches!(
                e.downcast_ref::<EngineError>(),
                Some(
                    EngineError::Storage(StorageError::Locked { .. })
                        | EngineError::Suspended { .. }
                )
            );
            ExitCode::from(if refused { EXIT_REFUSED } else { 2 })
        }
    }
}

/// From here on, the first SIGINT or SIGTERM raises `interrupt` — the running task stops, the
/// run records that it was interrupted, releases its lock and cleans up — and a second one
/// ends the process at once.
fn stop_on_signals(interrupt: Interrupt) -> Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .context("catching SIGINT/SIGTERM")?;
    std::thread::Builder::new()
        .name("wharf-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                if interrupt.raised().is_some() {
                    std::process::exit(128 + signal);
                }
                let name = if signal == SIGINT {
                    "SIGINT"
                } else {
                    "SIGTERM"
                };
                eprintln!("wharf: {name}: stopping (send it again to stop at once)");
                interrupt.raise(name);
            }
        })
        .context("starting the signal thread")?;
    Ok(())
}

/// The exit code of a command stopped by `interrupt`: 128 + the signal's number, as a shell
/// reports a process the signal ended.
fn interrupted_exit(why: &str) -> ExitCode {
    ExitCode::from(match why {
        "SIGINT" => 130,
        _ => 143,
    })
}

fn init_tracing(verbose: u8) {
    // The AWS SDK warns with its whole provider chain for each credential source it tries;
    // Wharf says what was missing itself (`deploy`, `cloud`), so only its errors show.
    let default = match verbose {
        0 => "warn,aws_config=error",
        1 => "info,aws_config=error",
        _ => "debug",
    };
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("WHARF_LOG").unwrap_or_else(|_| default.into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

fn component_dirs(given: &[PathBuf]) -> Vec<PathBuf> {
    if !given.is_empty() {
        return given.to_vec();
    }
    // Beside a built binary: target/debug/wharf → target/components.
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.parent()
                .and_then(Path::parent)
                .map(|p| p.join("components"))
        })
        .into_iter()
        .collect()
}

fn engine(cli: &Cli) -> Result<Engine> {
    engine_with_connections(cli, &connections_file(cli))
}

/// `--connections`, else `<data>/connections.yaml`.
fn connections_file(cli: &Cli) -> PathBuf {
    cli.connections
        .clone()
        .unwrap_or_else(|| cli.data.join("connections.yaml"))
}

/// The engine with every capability: `archive`, `sage`, and `sftp`, `http`, `ftp` and `email`
/// knowing the connections in `connections_file`.
fn engine_with_connections(cli: &Cli, connections_file: &Path) -> Result<Engine> {
    let sage =
        sage_capability(cli).with_lock_wait(std::time::Duration::from_secs(cli.sage_lock_wait));
    // One read of the file for every capability that grants its connections.
    let mut capabilities: Vec<Arc<dyn wharf_engine::runtime::Capability>> =
        vec![Arc::new(wharf_archive::ArchiveCapability), Arc::new(sage)];
    capabilities.extend(
        wharf_cloud::ConnectionSet::load(connections_file)?
            .capabilities()
            .context("starting the connections' runtime")?,
    );
    let runtime = Runtime::with_capabilities(
        RuntimeConfig {
            cache_dir: RuntimeConfig::default_cache_dir(),
        },
        capabilities,
    )?;
    Ok(Engine::new(
        runtime,
        ComponentSource {
            dirs: component_dirs(&cli.components),
        },
    ))
}

/// The `sage` capability over the embedded ledger `--sage-ledger` names.
fn sage_capability(cli: &Cli) -> wharf_sage::SageCapability {
    wharf_sage::SageCapability::with_connector(Arc::new(
        wharf_sage::EmbeddedLedger::new(sage_ledger(cli))
            .given_by("--sage-ledger, WHARF_SAGE_LEDGER; default sage-ledger.sqlite in --data"),
    ))
}

fn sage_ledger(cli: &Cli) -> PathBuf {
    cli.sage_ledger
        .clone()
        .unwrap_or_else(|| cli.data.join("sage-ledger.sqlite"))
}

/// The globals of `--var KEY=VALUE` arguments: each KEY, and `Command Line N` for the N-th
/// argument as Zynk exposes command-line arguments (docs/zynk-reference.md §1.6).
fn command_line_globals(vars: &[String]) -> Result<wharf_engine::template::VarMap> {
    let mut globals = wharf_engine::template::VarMap::new();
    for (i, v) in vars.iter().enumerate() {
        let Some((k, val)) = v.split_once('=') else {
            bail!("--var `{v}`: expected KEY=VALUE");
        };
        globals.insert(k.to_string(), val.to_string());
        globals.insert(format!("Command Line {}", i + 1), v.clone());
    }
    Ok(globals)
}

/// Refuses to run a workflow that imports into Sage when the ledger is not there: opening it
/// would create an empty company, import into it, and leave the real ledger's next run refusing
/// the same orders as already imported.
fn refuse_missing_ledger(wf: &Workflow, ledger: &Path) -> Result<()> {
    if ledger.exists() {
        return Ok(());
    }
    let mut granted = None;
    wf.walk(|node| {
        if let wharf_engine::workflow::NodeKind::Task(task) = &node.kind
            && granted.is_none()
            && task.grants.iter().any(|g| g == "sage")
        {
            granted = Some(node.name.clone());
        }
    });
    match granted {
        Some(task) => bail!(
            "task `{task}` uses the Sage ledger, and there is no Sage ledger at {} (create one with `wharf sage create-company`, or give the right --sage-ledger)",
            ledger.display()
        ),
        None => Ok(()),
    }
}

/// `cli:<user>`: a run started by hand, by whom the environment says.
fn cli_user() -> String {
    let user = ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|u| !u.trim().is_empty()));
    format!("cli:{}", user.as_deref().unwrap_or("unknown"))
}

fn open_store(data: &Path, wf: &Workflow) -> Result<Arc<LocalStore>> {
    let store = LocalStore::for_workflow(data, wf)
        .with_context(|| format!("opening the data folder {}", data.display()))?;
    Ok(Arc::new(store))
}

fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::Run {
            workflow,
            vars,
            json,
            fresh,
            failures,
            started_by,
        } => {
            import_wkf::refuse_wkf(workflow)?;
            let mut wf = Workflow::load(workflow)?;
            let options = RunOptions {
                fresh: *fresh,
                globals: command_line_globals(vars)?,
                started_by: Some(started_by.clone().unwrap_or_else(cli_user)),
                ..RunOptions::default()
            };
            // A name given on the command line is meant for this run: it wins over the
            // workflow's own value, which would otherwise shadow the global (README "Variables").
            for (name, value) in wf.variables.iter_mut() {
                if let Some(given) = options.globals.get(name) {
                    value.clone_from(given);
                }
            }
            let engine = engine(&cli)?;
            let prepared = engine.prepare(wf)?;
            refuse_missing_ledger(&prepared.workflow, &sage_ledger(&cli))?;
            let store = open_store(&cli.data, &prepared.workflow)?;
            let progress = report::LiveProgress::new(*json);
            stop_on_signals(engine.runtime.interrupt().clone())?;
            let record = engine.run(&prepared, store.clone(), &options, &progress)?;
            progress.finish();
            if *json {
                out::json(&record)?;
            } else {
                let view = report::View {
                    failures_only: *failures,
                };
                out::print(report::run_report(
                    &record,
                    &store.location(),
                    Some(&prepared.workflow),
                    view,
                ))?;
            }
            // Failure notices go once the report is out; one that cannot be sent is said, and the
            // run's result stays what it was.
            for problem in notify::on_failure(&prepared.workflow, &record, &connections_file(&cli))
            {
                eprintln!("warning: {problem}");
            }
            Ok(match engine.runtime.interrupt().raised() {
                Some(why) if record.result == ResultCode::Interrupted => interrupted_exit(why),
                // Suspended at a task that waits: the next run carries it on (docs/resume.md).
                _ if record.result.is_success() || record.ended.is_none() => ExitCode::SUCCESS,
                _ => ExitCode::from(1),
            })
        }
        Command::Validate {
            workflow,
            vars,
            json,
        } => {
            import_wkf::refuse_wkf(workflow)?;
            let wf = Workflow::load(workflow)?;
            let engine = engine(&cli)?;
            let prepared = engine.prepare(wf)?;
            let globals = command_line_globals(vars)?.into_keys().collect();
            let mut findings = check::templates(&prepared, &globals);
            findings
                .warnings
                .splice(0..0, prepared.warnings.iter().cloned());
            let mut count = 0;
            prepared.workflow.walk(|_| count += 1);
            if *json {
                let text = |list: &[wharf_engine::workflow::WorkflowError]| {
                    list.iter().map(|e| e.to_string()).collect::<Vec<_>>()
                };
                out::json(&serde_json::json!({
                    "workflow": workflow,
                    "ok": findings.errors.is_empty(),
                    "tasks": count,
                    "errors": text(&findings.errors),
                    "warnings": text(&findings.warnings),
                }))?;
                return Ok(if findings.errors.is_empty() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                });
            }
            for warning in &findings.warnings {
                eprintln!("warning: {warning}");
            }
            if !findings.errors.is_empty() {
                bail!(wharf_engine::workflow::WorkflowErrors(findings.errors));
            }
            out::println(format_args!("{}: ok ({count} tasks)", workflow.display()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Tasks { name, json } => {
            let engine = engine(&cli)?;
            let available = engine.components.available();
            if available.is_empty() {
                bail!(
                    "no components found in {} (build them with `make components`)",
                    engine
                        .components
                        .dirs
                        .iter()
                        .map(|d| d.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            let mut shown = Vec::new();
            for (task, path) in &available {
                if name.as_ref().is_some_and(|n| n != task) {
                    continue;
                }
                let loaded = engine.runtime.load(path)?;
                if !*json {
                    out::print(report::task_doc(&loaded.info))?;
                }
                shown.push(loaded);
            }
            if *json && !shown.is_empty() {
                let infos: Vec<_> = shown.iter().map(|loaded| &loaded.info).collect();
                out::json(&infos)?;
            }
            if shown.is_empty() {
                bail!(
                    "no task named `{}` (available: {})",
                    name.clone().unwrap_or_default(),
                    available
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate {
            output,
            count,
            size,
            seed,
        } => {
            let target = size
                .as_deref()
                .map(wharf_engine::limits::parse_size)
                .transpose()
                .map_err(anyhow::Error::msg)?;
            let count = if count.is_none() && target.is_none() {
                Some(1000)
            } else {
                *count
            };
            let n = generate::products(output, count, target, *seed)?;
            println!("wrote {n} products to {}", output.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Xslt {
            stylesheet,
            input,
            params,
            output,
        } => {
            let engine = engine(&cli)?;
            stop_on_signals(engine.runtime.interrupt().clone())?;
            let code = xslt::run(
                &engine,
                &xslt::Args {
                    stylesheet,
                    input,
                    params,
                    output: output.as_deref(),
                    mappings_file: cli.data.join("mappings.yaml"),
                },
            )?;
            Ok(engine
                .runtime
                .interrupt()
                .raised()
                .map_or(code, interrupted_exit))
        }
        Command::Deploy(args) => {
            // Grants are checked against the connections file that is uploaded.
            let upload = args.upload_connections(cli.connections.as_deref());
            let engine = engine_with_connections(
                &cli,
                &upload.clone().unwrap_or_else(|| connections_file(&cli)),
            )?;
            deploy::run(&engine, args, upload.as_deref())
        }
        Command::Sage { command } => {
            let lock_wait = std::time::Duration::from_secs(cli.sage_lock_wait);
            sage::run(command, &sage_ledger(&cli), lock_wait, || engine(&cli))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Cloud { command } => cloud::run(command),
        Command::ImportWkf(args) => import_wkf::run(args),
        Command::New { command } => new_component::run(command),
        Command::Truth { command } => truth::run(command, &cli.data),
        Command::Test(args) => test_cases::run(args, component_dirs(&cli.components)),
        Command::Completions { shell } => {
            let mut completions = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "wharf", &mut completions);
            out::print(String::from_utf8_lossy(&completions))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve(args) => serve::run(args, &cli),
        Command::Schedule(args) => schedule::run(args, &cli),
        Command::Manual => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .context("rendering the manual page")?;
            out::print(String::from_utf8_lossy(&page))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::History {
            workflow,
            run,
            limit,
            json,
            failures,
            from_bucket,
        } => {
            let at = from_bucket.at();
            let (runs, unreadable, location, wf) = match &at {
                Some(at) => {
                    let store = cloud::store_at(at, workflow)?;
                    let runs = store.list_runs().with_context(|| {
                        format!("reading the run history of `{workflow}` in the bucket")
                    })?;
                    (runs, Vec::new(), store.location(), None)
                }
                None => {
                    let (store, wf) = stores::store_of(&cli.data, workflow)?;
                    let (runs, unreadable): (Vec<_>, Vec<_>) =
                        store.history()?.into_iter().partition(Result::is_ok);
                    let runs: Vec<_> = runs.into_iter().flatten().collect();
                    let unreadable: Vec<_> =
                        unreadable.into_iter().filter_map(Result::err).collect();
                    (runs, unreadable, store.location(), wf)
                }
            };
            match run {
                Some(id) => {
                    let found: Vec<_> = runs
                        .iter()
                        .filter(|r| r.id.starts_with(id.as_str()))
                        .collect();
                    match found.as_slice() {
                        [one] if *json => out::json(one)?,
                        [one] => out::print(report::run_report(
                            one,
                            &location,
                            wf.as_ref(),
                            report::View {
                                failures_only: *failures,
                            },
                        ))?,
                        [] => bail!("no run `{id}` in the history of {workflow}"),
                        _ => bail!("`{id}` matches {} runs; give more of the id", found.len()),
                    }
                }
                None if *json => {
                    let recent = &runs[runs.len().saturating_sub(*limit)..];
                    out::json(&serde_json::json!({
                        "runs": recent,
                        "unreadable": unreadable
                            .iter()
                            .map(|u| format!("{}: {}", u.file.display(), u.problem))
                            .collect::<Vec<_>>(),
                    }))?
                }
                None => out::print(report::history_table(&runs, &unreadable, *limit))?,
            }
            let failed = runs
                .last()
                .is_some_and(|r| !r.result.is_success() && r.result != ResultCode::Unknown);
            Ok(if failed && run.is_none() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}
