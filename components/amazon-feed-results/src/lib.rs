//! Amazon Feed Results: for every feed the submission tasks recorded in the pending folder,
//! asks Amazon how it went; a finished feed's processing report becomes per-SKU lines in the
//! success and fail files and its record moves to `done/`. While a feed younger than
//! `wait-minutes` is still queued or in progress the task ends `waiting`: the run suspends and
//! the workflow's next run collects every report at once. An older unfinished feed stays pending
//! for a later run, until it is older than `max-age-hours`: then its SKUs go to the fail file
//! with that reason (docs/amazon.md).

use std::path::PathBuf;

use amazon_sp::reports::{self, Outcome, SkuResult};
use amazon_sp::{Api, HostWeb, Web, now};
use chrono::{DateTime, Duration, Utc};
use wharf_guest::{TaskError, TaskResult, TaskSettings, TypedTask, log};

#[derive(Debug, Clone, TaskSettings)]
pub struct FeedResultsSettings {
    /// Where the submission tasks record their feeds.
    #[setting(kind = folder, default = "Amazon Feeds")]
    pub pending_folder: PathBuf,
    /// SKUs Amazon accepted (replaced when a feed finished).
    #[setting(default = "amazon_feed_success.xml")]
    pub success_file: PathBuf,
    /// SKUs Amazon rejected, with its reasons (replaced when a feed finished).
    #[setting(default = "amazon_feed_fail.xml")]
    pub fail_file: PathBuf,
    /// A feed not finished this long after its submission is reported as failed.
    #[setting(default = 24, range = 1..=720)]
    pub max_age_hours: i64,
    /// While a feed submitted less than this long ago is still processing, the task ends
    /// `waiting`: the run suspends here and the workflow's next run (the next schedule in the
    /// cloud) collects the reports. 0: never wait (unfinished feeds stay for a later run).
    #[setting(default = 60, range = 0..=1440)]
    pub wait_minutes: i64,
}

pub struct FeedResults;

impl TypedTask for FeedResults {
    const NAME: &'static str = "amazon-feed-results";
    const DOC: &'static str = "Collects the processing reports of submitted Amazon feeds into per-SKU success and fail files.";
    const CAPABILITIES: &'static [&'static str] = &[amazon_sp::CAPABILITY];
    type Settings = FeedResultsSettings;

    fn run(settings: FeedResultsSettings) -> Result<TaskResult, TaskError> {
        run(&settings, &mut HostWeb, now())
    }
}

wharf_guest::export_task!(FeedResults);

/// The task, with the clock and the network given.
pub fn run(
    settings: &FeedResultsSettings,
    web: &mut impl Web,
    now: DateTime<Utc>,
) -> Result<TaskResult, TaskError> {
    let (folder, success_file, fail_file) = (
        &settings.pending_folder,
        &settings.success_file,
        &settings.fail_file,
    );
    let max_age = Duration::hours(settings.max_age_hours);
    let wait = Duration::minutes(settings.wait_minutes);
    let pending = reports::pending(folder).map_err(|e| {
        TaskError::fail(format!(
            "setting `pending-folder`: cannot read `{}`: {e}",
            folder.display()
        ))
    })?;
    if pending.is_empty() {
        return Ok(TaskResult::success_no_data(
            "no feed is waiting for its report",
        ));
    }
    let mut api = Api::new(web);
    let mut results: Vec<SkuResult> = Vec::new();
    let mut finished = Vec::new();
    let mut waiting = Vec::new();
    // Feeds young enough to wait for.
    let mut worth_waiting = 0usize;
    for (path, record) in &pending {
        match reports::check(&mut api, record, now, max_age) {
            Ok(Outcome::Finished(found)) => {
                log::info(format!(
                    "feed {}: {} SKUs accepted, {} rejected",
                    record.feed_id,
                    found.iter().filter(|r| r.accepted).count(),
                    found.iter().filter(|r| !r.accepted).count()
                ));
                results.extend(found);
                finished.push(path.clone());
            }
            Ok(Outcome::Waiting(status)) => {
                let submitted = DateTime::parse_from_rfc3339(&record.submitted)
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or(now);
                if now - submitted < wait {
                    worth_waiting += 1;
                }
                waiting.push(format!("{} {status}", record.feed_id));
            }
            Err(e) => return Err(e.into_failure()),
        }
    }
    // Every report at once when the wait is over, so the success and fail files cover every
    // feed of the run (the finished ones are asked again then).
    if worth_waiting > 0 {
        return Ok(TaskResult::waiting(format!(
            "Amazon is still processing {}; {} finished",
            waiting.join(", "),
            finished.len()
        )));
    }
    let waiting_note = if waiting.is_empty() {
        String::new()
    } else {
        format!("; still waiting: {}", waiting.join(", "))
    };
    if finished.is_empty() {
        return Ok(TaskResult::success_no_data(format!(
            "no report yet{waiting_note}"
        )));
    }
    let accepted: Vec<&SkuResult> = results.iter().filter(|r| r.accepted).collect();
    let rejected: Vec<&SkuResult> = results.iter().filter(|r| !r.accepted).collect();
    for (path, list, setting) in [
        (&success_file, &accepted, "success-file"),
        (&fail_file, &rejected, "fail-file"),
    ] {
        reports::write_results(path, list).map_err(|e| {
            TaskError::fail(format!(
                "setting `{setting}`: cannot write `{}`: {e}",
                path.display()
            ))
        })?;
    }
    // Only once both files are written: a run stopped before this collects the feed again.
    for path in &finished {
        reports::finish(path).map_err(|e| {
            TaskError::fail(format!("cannot move `{}` to done: {e}", path.display()))
        })?;
    }
    let total = results.len() as u64;
    Ok(TaskResult::success_data(format!(
        "{} feeds finished, {} SKUs accepted, {} rejected (see `{}`){waiting_note}",
        finished.len(),
        accepted.len(),
        rejected.len(),
        fail_file.display()
    ))
    .with_counts(total, accepted.len() as u64, rejected.len() as u64)
    .with_output("waiting", waiting.len().to_string()))
}
