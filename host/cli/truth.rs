//! `wharf truth …`: the truth records a workflow keeps (which shop record became which Sage
//! record), to look at them and to remove one so that its record is imported again on purpose.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use wharf_engine::storage::{Storage, TruthRecord};

use crate::out;

#[derive(Subcommand)]
pub enum TruthCommand {
    /// List the workflow's truth records: kind, external id (the other system's), internal id
    /// (Sage's).
    List {
        /// The workflow file, or its name when it has run from this data folder.
        workflow: String,
        /// Only records of this kind (e.g. `SalesOrder`).
        #[arg(long)]
        kind: Option<String>,
        /// Print the records as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show the truth records of one external id (of any kind unless `--kind` is given).
    Show {
        /// The workflow file, or its name when it has run from this data folder.
        workflow: String,
        /// The id the record has in the other system (the shop's order number …).
        external_id: String,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Remove a truth record, so that the next run imports that record again instead of
    /// recognising it as already imported.
    Delete {
        /// The workflow file, or its name when it has run from this data folder.
        workflow: String,
        /// The record's kind (as `wharf truth list` shows it).
        kind: String,
        /// The id the record has in the other system.
        external_id: String,
    },
}

pub fn run(command: &TruthCommand, data: &std::path::Path) -> Result<ExitCode> {
    match command {
        TruthCommand::List {
            workflow,
            kind,
            json,
        } => {
            let records = records(data, workflow)?
                .into_iter()
                .filter(|r| kind.as_ref().is_none_or(|k| *k == r.kind))
                .collect::<Vec<_>>();
            show(&records, *json)?;
        }
        TruthCommand::Show {
            workflow,
            external_id,
            kind,
            json,
        } => {
            let records = records(data, workflow)?
                .into_iter()
                .filter(|r| {
                    r.external_id == *external_id && kind.as_ref().is_none_or(|k| *k == r.kind)
                })
                .collect::<Vec<_>>();
            if records.is_empty() {
                bail!("no truth record with the external id `{external_id}` in {workflow}");
            }
            show(&records, *json)?;
        }
        TruthCommand::Delete {
            workflow,
            kind,
            external_id,
        } => {
            let (store, _) = crate::stores::store_of(data, workflow)?;
            let truth = store.truth()?;
            let Some(record) = truth.find_by_external(kind, external_id)? else {
                bail!(
                    "no `{kind}` truth record with the external id `{external_id}` in {workflow}"
                );
            };
            truth
                .remove(kind, external_id)
                .with_context(|| format!("removing `{kind}` `{external_id}`"))?;
            out::println(format_args!(
                "removed {kind} {external_id} (internal id {}): the next run imports it again",
                record.internal_id
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn records(data: &std::path::Path, workflow: &str) -> Result<Vec<TruthRecord>> {
    let mut records = crate::stores::store_of(data, workflow)?.0.truth()?.all()?;
    records.sort_by(|a, b| (&a.kind, &a.external_id).cmp(&(&b.kind, &b.external_id)));
    Ok(records)
}

fn show(records: &[TruthRecord], json: bool) -> Result<()> {
    if json {
        return out::json(&records);
    }
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            vec![
                r.kind.clone(),
                r.external_id.clone(),
                r.internal_id.clone(),
                r.hash.clone().unwrap_or_default(),
            ]
        })
        .collect();
    out::print(crate::sage::table(
        &["Kind", "External id", "Internal id", "Hash"],
        &[false; 4],
        &rows,
    ))?;
    out::println(format_args!("({} truth records)", records.len()))
}
