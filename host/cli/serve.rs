//! `wharf serve`: the data folder's run history — or a customer's cloud runs in its bucket —
//! in the browser (docs/serve.md).

use anyhow::{Context, Result};
use std::ffi::OsString;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on. The default takes connections from this machine only; anything
    /// else exposes the pages (and, with the token, the run buttons) to the network.
    #[arg(long, default_value = "127.0.0.1:8420")]
    listen: String,
    /// The token that starting or resuming a run needs (16 characters or more).
    /// Default: a new random one, printed at start-up.
    #[arg(long, env = "WHARF_SERVE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Show a customer's cloud runs from its bucket instead of the data folder (read only:
    /// cloud runs start in the function; the pages give the command).
    #[command(flatten)]
    cloud: crate::cloud::CloudRunsArgs,
}

/// Serves until the process is stopped.
pub fn run(args: &ServeArgs, cli: &crate::Cli) -> Result<ExitCode> {
    let token = args.token.clone().unwrap_or_else(wharf_serve::new_token);
    let source = match args.cloud.at() {
        Some(at) => {
            // The customer's name is checked here, not at the first page.
            wharf_engine::identity::check_key_name("customer", &at.customer)
                .map_err(anyhow::Error::msg)?;
            // Without credentials every page would fail the same way: say so once, now.
            crate::deploy::require_credentials(at.region.as_deref())?;
            wharf_serve::Source::Bucket(at.store_config("-"))
        }
        None => wharf_serve::Source::Data(cli.data.clone()),
    };
    let config = wharf_serve::ServeConfig {
        source,
        token: token.clone(),
        runner: runner(cli)?,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the server's runtime")?;
    rt.block_on(async {
        let listener = wharf_serve::bind(&args.listen).await?;
        let addr = listener.local_addr().context("reading the bound address")?;
        // The address with the token is what a person opens; scripts read the line `token:`.
        crate::out::print(format!(
            "wharf serve: http://{addr}/?token={token}\ntoken: {token}\n"
        ))?;
        wharf_serve::serve(listener, config).await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// This `wharf` with this command's global options: the buttons' runs use the same data
/// folder, components, ledger and connections as the pages show.
pub(crate) fn runner(cli: &crate::Cli) -> Result<Vec<OsString>> {
    let exe = std::env::current_exe().context("finding the wharf binary")?;
    let mut runner: Vec<OsString> = vec![exe.into(), "--data".into(), cli.data.clone().into()];
    let components = std::env::join_paths(crate::component_dirs(&cli.components))
        .context("joining the component folders")?;
    runner.extend(["--components".into(), components]);
    if let Some(ledger) = &cli.sage_ledger {
        runner.extend(["--sage-ledger".into(), ledger.into()]);
    }
    if let Some(connections) = &cli.connections {
        runner.extend(["--connections".into(), connections.into()]);
    }
    runner.extend([
        "--sage-lock-wait".into(),
        cli.sage_lock_wait.to_string().into(),
    ]);
    Ok(runner)
}
