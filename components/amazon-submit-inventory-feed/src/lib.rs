//! `amazon-submit-inventory-feed`: the feed submission tasks share `amazon_sp::submit` (docs/amazon.md).

use amazon_sp::HostWeb;
use amazon_sp::submit::{InventoryFeedSettings, run_inventory};
use wharf_guest::{TaskError, TaskResult, TypedTask};

pub struct SubmitFeed;

impl TypedTask for SubmitFeed {
    const NAME: &'static str = "amazon-submit-inventory-feed";
    const DOC: &'static str = "Sends stock levels to Amazon: the mapped inventory envelope as a JSON_LISTINGS_FEED of fulfillment_availability patches.";
    const CAPABILITIES: &'static [&'static str] = &[amazon_sp::CAPABILITY];
    type Settings = InventoryFeedSettings;

    fn run(settings: InventoryFeedSettings) -> Result<TaskResult, TaskError> {
        run_inventory(&settings, &mut HostWeb)
    }
}

wharf_guest::export_task!(SubmitFeed);
