//! `amazon-submit-price-feed`: the feed submission tasks share `amazon_sp::submit` (docs/amazon.md).

use amazon_sp::HostWeb;
use amazon_sp::submit::{PriceFeedSettings, run_price};
use wharf_guest::{TaskError, TaskResult, TypedTask};

pub struct SubmitFeed;

impl TypedTask for SubmitFeed {
    const NAME: &'static str = "amazon-submit-price-feed";
    const DOC: &'static str = "Sends prices to Amazon: the mapped price envelope as a JSON_LISTINGS_FEED of purchasable_offer patches.";
    const CAPABILITIES: &'static [&'static str] = &[amazon_sp::CAPABILITY];
    type Settings = PriceFeedSettings;

    fn run(settings: PriceFeedSettings) -> Result<TaskResult, TaskError> {
        run_price(&settings, &mut HostWeb)
    }
}

wharf_guest::export_task!(SubmitFeed);
