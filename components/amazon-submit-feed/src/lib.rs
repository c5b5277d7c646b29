//! `amazon-submit-feed`: the feed submission tasks share `amazon_sp::submit` (docs/amazon.md).

use amazon_sp::HostWeb;
use amazon_sp::submit::{FeedSettings, run_any};
use wharf_guest::{TaskError, TaskResult, TypedTask};

pub struct SubmitFeed;

impl TypedTask for SubmitFeed {
    const NAME: &'static str = "amazon-submit-feed";
    const DOC: &'static str = "Submits a feed document to Amazon as it is (a JSON_LISTINGS_FEED is checked first) and records its feed id.";
    const CAPABILITIES: &'static [&'static str] = &[amazon_sp::CAPABILITY];
    type Settings = FeedSettings;

    fn run(settings: FeedSettings) -> Result<TaskResult, TaskError> {
        run_any(&settings, &mut HostWeb)
    }
}

wharf_guest::export_task!(SubmitFeed);
