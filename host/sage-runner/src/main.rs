//! `wharf-sage-runner --config FILE [--once]`, and `service install|uninstall|run` on Windows:
//! see the crate documentation.

#[cfg(windows)]
mod service;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use wharf_sage_runner::{Config, Runner, shutdown};

/// The on-premises Sage runner: takes Sage jobs from the customer's jobs queue, runs them
/// against the local Sage ledger and sends the results back. Credentials come from the standard
/// AWS chain (environment, profile), never from the configuration file. Logs go to stderr
/// (`RUST_LOG` sets the level; default info).
#[derive(Parser)]
#[command(
    name = "wharf-sage-runner",
    version,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    /// The configuration file (YAML).
    #[arg(long, value_name = "FILE", required = true)]
    config: Option<PathBuf>,
    /// Handle a single job (waiting up to one long poll for it), then exit. Without it the
    /// runner runs until SIGTERM or SIGINT, finishing the current job first.
    #[arg(long)]
    once: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// The runner as a Windows service (docs/sage50.md).
    #[command(subcommand)]
    Service(ServiceCommand),
}

/// The default service name.
const SERVICE_NAME: &str = "WharfSageRunner";

#[derive(Subcommand)]
enum ServiceCommand {
    /// Register the service (automatic start, LocalSystem) to run with this configuration.
    Install {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        #[arg(long, default_value = SERVICE_NAME)]
        name: String,
    },
    /// Stop the service (after its current job) and remove it.
    Uninstall {
        #[arg(long, default_value = SERVICE_NAME)]
        name: String,
    },
    /// What the service control manager starts (not for a console).
    Run {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        #[arg(long, default_value = SERVICE_NAME)]
        name: String,
    },
}

/// Logs to `writer` (`RUST_LOG` sets the level; default info); `file`: no terminal colours.
fn init_logging<W>(writer: W, file: bool)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(writer)
        .with_target(false);
    if file {
        builder.with_ansi(false).init();
    } else {
        builder.init();
    }
}

#[cfg(windows)]
fn service(command: ServiceCommand) -> ExitCode {
    let outcome = match command {
        ServiceCommand::Install { config, name } => {
            init_logging(std::io::stderr, false);
            service::install(&name, &config)
        }
        ServiceCommand::Uninstall { name } => {
            init_logging(std::io::stderr, false);
            service::uninstall(&name)
        }
        // Logs go to the state folder once the configuration is read.
        ServiceCommand::Run { config, name } => service::run(&name, &config),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wharf-sage-runner: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(windows))]
fn service(_command: ServiceCommand) -> ExitCode {
    eprintln!(
        "wharf-sage-runner: `service` is for Windows; elsewhere run `wharf-sage-runner --config FILE` under the system's service manager (systemd)"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Service(command)) = cli.command {
        return service(command);
    }
    let Some(config_path) = cli.config else {
        eprintln!("wharf-sage-runner: --config FILE is required");
        return ExitCode::from(2);
    };
    init_logging(std::io::stderr, false);
    let config = match Config::load(&config_path) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("wharf-sage-runner: {e}");
            return ExitCode::from(2);
        }
    };
    shutdown::install();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("sage-runner")
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("wharf-sage-runner: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async move {
        let runner = Runner::start(config).await?;
        runner.run(cli.once).await
    });
    // Jobs run on their own threads; nothing is left to wait for.
    runtime.shutdown_background();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}
