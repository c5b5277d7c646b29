//! `wharf test`: run workflow cases (docs/workflow-tests.md) and report where reality differs.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use wharf_workflow_test::{Config, Summary, discover, run_case};

#[derive(clap::Args)]
pub struct TestArgs {
    /// Case folders (holding a case.yaml), or folders whose sub-folders are cases.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Keep each case's scratch data folder and print where it is.
    #[arg(long)]
    keep: bool,
}

/// Runs the cases one after another, printing each outcome as it comes. Exit code: 0 when all
/// pass, 1 when one differs, 2 when one is malformed.
pub fn run(args: &TestArgs, components: Vec<PathBuf>) -> Result<ExitCode> {
    let config = Config {
        wharf: std::env::current_exe().context("finding the wharf binary")?,
        components,
        keep: args.keep,
    };
    let started = std::time::Instant::now();
    let cases = discover(&args.dirs)?;
    let mut reports = Vec::with_capacity(cases.len());
    for case in &cases {
        let report = run_case(case, &config);
        crate::out::println(format_args!("{report}"))?;
        reports.push(report);
    }
    let summary = Summary::of(&reports);
    crate::out::println(format_args!(
        "{summary} ({:.1} s)",
        started.elapsed().as_secs_f64()
    ))?;
    Ok(ExitCode::from(summary.exit_code()))
}
