//! `wharf import-wkf`: Zynk `.wkf` workflows to Wharf YAML, a connections file and a report
//! (docs/wkf-import.md).

use anyhow::{Result, bail};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct ImportArgs {
    /// The `.wkf` files to import.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Where the YAML files, `connections.yaml` and inline stylesheets go.
    #[arg(short, long, default_value = ".")]
    pub output: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Replace files an earlier import wrote (including a filled-in connections file).
    #[arg(long)]
    pub force: bool,
    /// The IANA time zone Zynk ran the schedules in (e.g. Europe/London): written as their
    /// `time-zone:`, and the cloud form of the schedules goes into `schedules.json`.
    #[arg(long, value_name = "ZONE")]
    pub time_zone: Option<String>,
}

/// The cloud form of the imported schedules (the Terraform module's `workflows`).
pub const SCHEDULES_FILE: &str = "schedules.json";

pub fn run(args: &ImportArgs) -> Result<ExitCode> {
    let report = wharf_wkf::import_files(
        &args.files,
        &args.output,
        args.force,
        args.time_zone.as_deref(),
    )?;
    let scheduled: Vec<PathBuf> = report
        .files
        .iter()
        .filter(|f| f.scheduled)
        .map(|f| args.output.join(&f.output))
        .collect();
    // Without a zone the cloud form cannot be written (EventBridge needs one); the text report
    // says how to get it.
    let schedules = if scheduled.is_empty() || args.time_zone.is_none() {
        None
    } else {
        let file = args.output.join(SCHEDULES_FILE);
        crate::schedule::write_terraform(&scheduled, Some(&file))?;
        Some(file)
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.text());
        match &schedules {
            Some(file) => println!(
                "schedules: {} (the Terraform module's `workflows`, docs/schedule.md)",
                file.display()
            ),
            None if !scheduled.is_empty() => println!(
                "schedules: written as `schedule:` in local time; for the cloud form import again with --time-zone ZONE, or add `time-zone:` and run `wharf schedule --terraform`"
            ),
            None => {}
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Refuses a Zynk workflow given where a Wharf workflow is expected, saying how to convert it.
pub fn refuse_wkf(workflow: &Path) -> Result<()> {
    if workflow
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("wkf"))
    {
        let shown = workflow.display().to_string();
        // Quoted for the shell when it has spaces, as Zynk's file names often do.
        let argument = if shown.contains(char::is_whitespace) {
            format!("'{}'", shown.replace('\'', "'\\''"))
        } else {
            shown.clone()
        };
        bail!(
            "{shown} is a Zynk workflow: import it first with `wharf import-wkf {argument} -o DIR`, then use DIR/<id>.yaml"
        );
    }
    Ok(())
}
