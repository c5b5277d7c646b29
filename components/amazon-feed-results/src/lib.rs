//! Amazon Feed Results: for every feed the submission tasks recorded in the pending folder,
//! asks Amazon how it went; a finished feed's processing report becomes per-SKU lines in the
//! success and fail files and its record moves to `done/`. A feed still queued or in progress
//! stays pending for a later run, until it is older than `max-age-hours`: then its SKUs go to
//! the fail file with that reason (docs/amazon.md).

use amazon_sp::reports::{self, Outcome, SkuResult};
use amazon_sp::{Api, CAPABILITY, HostWeb, Web, now};
use chrono::{DateTime, Duration, Utc};
use wharf_guest::{SettingSpec, Settings, Task, TaskInfo, TaskResult, log};

const TASK: &str = "amazon-feed-results";

pub struct FeedResults;

fn info() -> TaskInfo {
    TaskInfo::new(
        TASK,
        "Collects the processing reports of submitted Amazon feeds into per-SKU success and fail files.",
    )
    .capability(CAPABILITY)
    .setting(
        SettingSpec::folder("pending-folder", "Where the submission tasks record their feeds.")
            .with_default("Amazon Feeds")
            .non_empty(),
    )
    .setting(
        SettingSpec::file("success-file", "SKUs Amazon accepted (replaced when a feed finished).")
            .with_default("amazon_feed_success.xml")
            .non_empty(),
    )
    .setting(
        SettingSpec::file("fail-file", "SKUs Amazon rejected, with its reasons.")
            .with_default("amazon_feed_fail.xml")
            .non_empty(),
    )
    .setting(
        SettingSpec::integer(
            "max-age-hours",
            "A feed not finished this long after its submission is reported as failed.",
        )
        .with_default("24")
        .at_least(1)
        .at_most(24 * 30),
    )
}

impl Task for FeedResults {
    fn describe() -> TaskInfo {
        info()
    }

    fn run(settings: Vec<(String, String)>) -> TaskResult {
        let settings = Settings::new(settings).with_defaults(&info().settings);
        run(&settings, &mut HostWeb, now())
    }
}

wharf_guest::export_task!(FeedResults);

/// The task, with the clock and the network given.
pub fn run(settings: &Settings, web: &mut impl Web, now: DateTime<Utc>) -> TaskResult {
    let setting = |name: &str| {
        settings
            .path(name)
            .map_err(|e| TaskResult::fail(format!("{TASK}: {e}")))
    };
    let (folder, success_file, fail_file) = match (
        setting("pending-folder"),
        setting("success-file"),
        setting("fail-file"),
    ) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return e,
    };
    let max_age = match settings.integer("max-age-hours") {
        Ok(hours) => Duration::hours(hours),
        Err(e) => return TaskResult::fail(format!("{TASK}: {e}")),
    };
    let pending = match reports::pending(&folder) {
        Ok(pending) => pending,
        Err(e) => {
            return TaskResult::fail(format!(
                "{TASK}: setting `pending-folder`: cannot read `{}`: {e}",
                folder.display()
            ));
        }
    };
    if pending.is_empty() {
        return TaskResult::success_no_data(format!("{TASK}: no feed is waiting for its report"));
    }
    let mut api = Api::new(web);
    let mut results: Vec<SkuResult> = Vec::new();
    let mut finished = Vec::new();
    let mut waiting = Vec::new();
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
            Ok(Outcome::Waiting(status)) => waiting.push(format!("{} {status}", record.feed_id)),
            Err(e) => return e.into_result(TASK),
        }
    }
    let waiting_note = if waiting.is_empty() {
        String::new()
    } else {
        format!("; still waiting: {}", waiting.join(", "))
    };
    if finished.is_empty() {
        return TaskResult::success_no_data(format!("{TASK}: no report yet{waiting_note}"));
    }
    let accepted: Vec<&SkuResult> = results.iter().filter(|r| r.accepted).collect();
    let rejected: Vec<&SkuResult> = results.iter().filter(|r| !r.accepted).collect();
    for (path, list, setting) in [
        (&success_file, &accepted, "success-file"),
        (&fail_file, &rejected, "fail-file"),
    ] {
        if let Err(e) = reports::write_results(path, list) {
            return TaskResult::fail(format!(
                "{TASK}: setting `{setting}`: cannot write `{}`: {e}",
                path.display()
            ));
        }
    }
    // Only once both files are written: a run stopped before this collects the feed again.
    for path in &finished {
        if let Err(e) = reports::finish(path) {
            return TaskResult::fail(format!(
                "{TASK}: cannot move `{}` to done: {e}",
                path.display()
            ));
        }
    }
    let total = results.len() as u64;
    TaskResult::success_data(format!(
        "{TASK}: {} feeds finished, {} SKUs accepted, {} rejected (see `{}`){waiting_note}",
        finished.len(),
        accepted.len(),
        rejected.len(),
        fail_file.display()
    ))
    .with_counts(total, accepted.len() as u64, rejected.len() as u64)
    .with_output("waiting", waiting.len().to_string())
}
