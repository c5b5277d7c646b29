//! `wharf-sage-runner --config FILE [--once]`: see the crate documentation.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use wharf_sage_runner::{Config, Runner, shutdown};

/// The on-premises Sage runner: takes Sage jobs from the customer's jobs queue, runs them
/// against the local Sage ledger and sends the results back. Credentials come from the standard
/// AWS chain (environment, profile), never from the configuration file. Logs go to stderr
/// (`RUST_LOG` sets the level; default info).
#[derive(Parser)]
#[command(name = "wharf-sage-runner", version)]
struct Cli {
    /// The configuration file (YAML).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Handle a single job (waiting up to one long poll for it), then exit. Without it the
    /// runner runs until SIGTERM or SIGINT, finishing the current job first.
    #[arg(long)]
    once: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let config = match Config::load(&cli.config) {
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
