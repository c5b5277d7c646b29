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
}

pub fn run(args: &ImportArgs) -> Result<ExitCode> {
    let report = wharf_wkf::import_files(&args.files, &args.output, args.force)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.text());
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
