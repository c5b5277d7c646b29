//! The feed submission tasks: `amazon-submit-inventory-feed` and `amazon-submit-price-feed`
//! build a `JSON_LISTINGS_FEED` from the mapped envelope; `amazon-submit-feed` sends a document
//! as it is, of any feed type. All check a listings feed before upload, submit it and keep its
//! record in the pending folder for `amazon-feed-results` (docs/amazon.md).

use std::path::{Path, PathBuf};

use serde_json::Value;
use wharf_guest::{TaskError, TaskResult, TaskSettings, log};

use crate::feeds::{
    self, FeedFolder, JSON_CONTENT_TYPE, LISTINGS_FEED, ListingOptions, Submission, Submitted,
};
use crate::settings::channels;
use crate::{Api, Web, write_file};

/// Where a feed goes and how it is checked: the settings every submission task has.
#[derive(Debug, Clone, TaskSettings)]
pub struct FeedTarget {
    /// The marketplaces the feed applies to: names (UK, DE …) or ids, comma-separated.
    #[setting(default = "UK", non_empty)]
    pub marketplaces: String,
    /// A newer version of Amazon's listings feed JSON Schema to check listings feeds against before upload, instead of the one the task carries (listings-feed-schema-v2.json).
    pub schema_file: Option<PathBuf>,
    /// Where submitted feeds are recorded for amazon-feed-results.
    #[setting(kind = folder, default = "Amazon Feeds")]
    pub pending_folder: PathBuf,
}

/// How listings feed messages are written.
#[derive(Debug, Clone, TaskSettings)]
pub struct ListingSettings {
    /// The listings' Amazon product type.
    #[setting(default = "PRODUCT", non_empty)]
    pub product_type: String,
    /// The locale of Amazon's messages in the processing report.
    #[setting(default = "en_GB", non_empty)]
    pub issue_locale: String,
}

/// `amazon-submit-inventory-feed`.
#[derive(Debug, Clone, TaskSettings)]
pub struct InventoryFeedSettings {
    /// The mapped AmazonEnvelope of Inventory messages (zynk-products-to-amazon-inventory); its MerchantIdentifier is the seller id.
    pub input_file: PathBuf,
    #[setting(flatten)]
    pub target: FeedTarget,
    #[setting(flatten)]
    pub listing: ListingSettings,
    /// DEFAULT for the merchant's own stock, or an Amazon fulfilment network code.
    #[setting(default = "DEFAULT", non_empty)]
    pub fulfillment_channel_code: String,
    /// Where the built feed document is kept.
    #[setting(default = "amazon_inventory_feed.json")]
    pub output_file: PathBuf,
}

/// `amazon-submit-price-feed`.
#[derive(Debug, Clone, TaskSettings)]
pub struct PriceFeedSettings {
    /// The mapped AmazonEnvelope of Price messages (zynk-products-to-amazon-prices); its MerchantIdentifier is the seller id.
    pub input_file: PathBuf,
    #[setting(flatten)]
    pub target: FeedTarget,
    #[setting(flatten)]
    pub listing: ListingSettings,
    /// Where the built feed document is kept.
    #[setting(default = "amazon_price_feed.json")]
    pub output_file: PathBuf,
}

/// `amazon-submit-feed`.
#[derive(Debug, Clone, TaskSettings)]
pub struct FeedSettings {
    /// The feed document to send, as it is.
    pub input_file: PathBuf,
    #[setting(flatten)]
    pub target: FeedTarget,
    /// The feed type, e.g. JSON_LISTINGS_FEED.
    #[setting(default = "JSON_LISTINGS_FEED", non_empty)]
    pub feed_type: String,
    /// The document's Content-Type, as declared to Amazon and sent with the upload.
    #[setting(default = "application/json; charset=UTF-8", non_empty)]
    pub content_type: String,
}

fn read_text(setting: &str, path: &Path) -> Result<String, TaskError> {
    std::fs::read_to_string(path).map_err(|e| {
        TaskError::fail(format!(
            "setting `{setting}`: cannot read `{}`: {e}",
            path.display()
        ))
    })
}

fn listing_feed(
    input: &Path,
    target: &FeedTarget,
    listing: &ListingSettings,
    fulfillment_channel_code: &str,
    output: &Path,
    wanted: &str,
) -> Result<Option<(Value, Vec<String>)>, TaskError> {
    let marketplace_ids: Vec<String> = channels(&target.marketplaces)?
        .into_iter()
        .map(|m| m.id)
        .collect();
    let envelope = feeds::read_envelope(&read_text("input-file", input)?)
        .map_err(|e| TaskError::fail(format!("setting `input-file`: {e}")))?;
    if let Some(wrong) = envelope.updates.iter().find(|u| {
        let price = matches!(u, feeds::Update::Price { .. });
        (wanted == "Inventory") == price
    }) {
        return Err(TaskError::fail(format!(
            "setting `input-file`: SKU `{}` is not an {wanted} message; this task sends {wanted} messages only",
            wrong.sku()
        )));
    }
    if envelope.updates.is_empty() {
        return Ok(None);
    }
    let feed = feeds::listings_feed(
        &envelope,
        &ListingOptions {
            product_type: listing.product_type.trim().to_owned(),
            marketplace_id: marketplace_ids[0].clone(),
            fulfillment_channel_code: fulfillment_channel_code.trim().to_owned(),
            issue_locale: listing.issue_locale.trim().to_owned(),
        },
    );
    let bytes = serde_json::to_vec(&feed)
        .map_err(|e| TaskError::fail(format!("setting `output-file`: {e}")))?;
    write_file(output, &bytes).map_err(|e| {
        TaskError::fail(format!(
            "setting `output-file`: cannot write `{}`: {e}",
            output.display()
        ))
    })?;
    Ok(Some((feed, marketplace_ids)))
}

/// `amazon-submit-inventory-feed`, with the network given.
pub fn run_inventory(
    s: &InventoryFeedSettings,
    web: &mut impl Web,
) -> Result<TaskResult, TaskError> {
    let Some((feed, ids)) = listing_feed(
        &s.input_file,
        &s.target,
        &s.listing,
        &s.fulfillment_channel_code,
        &s.output_file,
        "Inventory",
    )?
    else {
        return Ok(TaskResult::success_no_data("the envelope has no messages"));
    };
    submit_listings(&s.target, ids, &s.output_file, &feed, web)
}

/// `amazon-submit-price-feed`, with the network given.
pub fn run_price(s: &PriceFeedSettings, web: &mut impl Web) -> Result<TaskResult, TaskError> {
    let Some((feed, ids)) = listing_feed(
        &s.input_file,
        &s.target,
        &s.listing,
        "DEFAULT",
        &s.output_file,
        "Price",
    )?
    else {
        return Ok(TaskResult::success_no_data("the envelope has no messages"));
    };
    submit_listings(&s.target, ids, &s.output_file, &feed, web)
}

/// `amazon-submit-feed`, with the network given.
pub fn run_any(s: &FeedSettings, web: &mut impl Web) -> Result<TaskResult, TaskError> {
    let ids: Vec<String> = channels(&s.target.marketplaces)?
        .into_iter()
        .map(|m| m.id)
        .collect();
    let feed_type = s.feed_type.trim();
    let messages = if feed_type == LISTINGS_FEED {
        let feed: Value =
            serde_json::from_str(&read_text("input-file", &s.input_file)?).map_err(|e| {
                TaskError::fail(format!(
                    "setting `input-file`: the listings feed is not JSON: {e}"
                ))
            })?;
        check(&s.target, &feed)?;
        feeds::feed_messages(&feed)
    } else {
        std::fs::metadata(&s.input_file).map_err(|e| {
            TaskError::fail(format!(
                "setting `input-file`: cannot read `{}`: {e}",
                s.input_file.display()
            ))
        })?;
        Vec::new()
    };
    send(
        &s.target,
        Submission {
            feed_type,
            marketplace_ids: &ids,
            content_type: s.content_type.trim(),
            document: &s.input_file,
            messages,
        },
        web,
    )
}

fn submit_listings(
    target: &FeedTarget,
    ids: Vec<String>,
    document: &Path,
    feed: &Value,
    web: &mut impl Web,
) -> Result<TaskResult, TaskError> {
    check(target, feed)?;
    send(
        target,
        Submission {
            feed_type: LISTINGS_FEED,
            marketplace_ids: &ids,
            content_type: JSON_CONTENT_TYPE,
            document,
            messages: feeds::feed_messages(feed),
        },
        web,
    )
}

/// The listings feed's checks: the builder's rules, and Amazon's listings feed schema (the one
/// the task carries, or `schema-file`'s).
fn check(target: &FeedTarget, feed: &Value) -> Result<(), TaskError> {
    let mut problems = feeds::check_listings_feed(feed);
    let (schema, setting) = match &target.schema_file {
        Some(path) => {
            let schema = serde_json::from_str(&read_text("schema-file", path)?).map_err(|e| {
                TaskError::fail(format!(
                    "setting `schema-file`: `{}` is not JSON: {e}",
                    path.display()
                ))
            })?;
            (schema, "setting `schema-file`")
        }
        None => {
            let setting = "the listings feed schema the task carries";
            let schema = feeds::listings_feed_schema()
                .map_err(|e| TaskError::fail(format!("{setting} {e}")))?;
            (schema, setting)
        }
    };
    problems.extend(
        feeds::check_against_schema(feed, &schema)
            .map_err(|e| TaskError::fail(format!("{setting}: {e}")))?,
    );
    if problems.is_empty() {
        return Ok(());
    }
    Err(TaskError::fail(format!(
        "the listings feed breaks Amazon's rules, nothing sent: {}",
        problems.join("; ")
    )))
}

fn send(
    target: &FeedTarget,
    submission: Submission<'_>,
    web: &mut impl Web,
) -> Result<TaskResult, TaskError> {
    let mut api = Api::new(web);
    let folder = FeedFolder {
        folder: target.pending_folder.clone(),
    };
    let count = submission.messages.len() as u64;
    let submitted = feeds::submit(&mut api, &folder, &submission).map_err(|e| e.into_failure())?;
    Ok(match submitted {
        Submitted::New(record) => {
            log::info(format!(
                "{} feed {} submitted: {count} messages",
                record.feed_type, record.feed_id
            ));
            TaskResult::success_data(format!(
                "feed {} submitted ({count} messages); amazon-feed-results collects its report",
                record.feed_id
            ))
            .with_counts(count, count, 0)
            .with_output("feed-id", record.feed_id)
        }
        Submitted::Adopted(record) => TaskResult::success_data(format!(
            "feed {} was submitted by an interrupted run; recorded, not sent again",
            record.feed_id
        ))
        .with_counts(count, count, 0)
        .with_output("feed-id", record.feed_id),
        Submitted::Unchanged(record) => TaskResult::success_no_data(format!(
            "the same content as feed {} (submitted {}); not sent again",
            record.feed_id, record.submitted
        ))
        .with_output("feed-id", record.feed_id),
    })
}
