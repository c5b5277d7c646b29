//! The feed submission tasks: `amazon-submit-inventory-feed` and `amazon-submit-price-feed`
//! build a `JSON_LISTINGS_FEED` from the mapped envelope; `amazon-submit-feed` sends a document
//! as it is, of any feed type. All check a listings feed before upload, submit it and keep its
//! record in the pending folder for `amazon-feed-results`.

use std::path::{Path, PathBuf};

use serde_json::Value;
use wharf_guest::{SettingError, SettingSpec, Settings, TaskInfo, TaskResult, log};

use crate::feeds::{
    self, FeedFolder, JSON_CONTENT_TYPE, LISTINGS_FEED, ListingOptions, Submission, Submitted,
};
use crate::settings::channels;
use crate::{Api, CAPABILITY, Web, write_file};

/// Which submission task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Inventory,
    Price,
    /// A document as given, of the feed type given.
    Any,
}

impl Kind {
    pub fn task(self) -> &'static str {
        match self {
            Kind::Inventory => "amazon-submit-inventory-feed",
            Kind::Price => "amazon-submit-price-feed",
            Kind::Any => "amazon-submit-feed",
        }
    }
}

/// The task's description.
pub fn info(kind: Kind) -> TaskInfo {
    let doc = match kind {
        Kind::Inventory => {
            "Sends stock levels to Amazon: the mapped inventory envelope (zynk-products-to-amazon-inventory) as a JSON_LISTINGS_FEED of fulfillment_availability patches."
        }
        Kind::Price => {
            "Sends prices to Amazon: the mapped price envelope (zynk-products-to-amazon-prices) as a JSON_LISTINGS_FEED of purchasable_offer patches."
        }
        Kind::Any => {
            "Submits a feed document to Amazon as it is (a JSON_LISTINGS_FEED is checked first) and records its feed id."
        }
    };
    let input_doc = match kind {
        Kind::Any => "The feed document to send.",
        _ => "The mapped AmazonEnvelope (its MerchantIdentifier is the seller id).",
    };
    let mut info = TaskInfo::new(kind.task(), doc)
        .capability(CAPABILITY)
        .setting(SettingSpec::file("input-file", input_doc).required().non_empty())
        .setting(
            SettingSpec::text(
                "marketplaces",
                "The marketplaces the feed applies to: names (UK, DE …) or ids, comma-separated.",
            )
            .with_default("UK")
            .non_empty(),
        )
        .setting(SettingSpec::file(
            "schema-file",
            "Amazon's listings feed JSON Schema (listings-feed-schema-v2.json); a listings feed is checked against it before upload.",
        ))
        .setting(
            SettingSpec::folder(
                "pending-folder",
                "Where submitted feeds are recorded for amazon-feed-results.",
            )
            .with_default("Amazon Feeds")
            .non_empty(),
        );
    info = match kind {
        Kind::Any => info
            .setting(
                SettingSpec::text("feed-type", "The feed type, e.g. JSON_LISTINGS_FEED.")
                    .with_default(LISTINGS_FEED)
                    .non_empty(),
            )
            .setting(
                SettingSpec::text("content-type", "The document's Content-Type.")
                    .with_default(JSON_CONTENT_TYPE)
                    .non_empty(),
            ),
        Kind::Inventory | Kind::Price => info
            .setting(
                SettingSpec::text("product-type", "The listings' Amazon product type.")
                    .with_default("PRODUCT")
                    .non_empty(),
            )
            .setting(
                SettingSpec::text(
                    "issue-locale",
                    "The locale of Amazon's messages in the report.",
                )
                .with_default("en_GB")
                .non_empty(),
            )
            .setting(
                SettingSpec::file("output-file", "Where the built feed document is kept.")
                    .with_default(match kind {
                        Kind::Inventory => "amazon_inventory_feed.json",
                        _ => "amazon_price_feed.json",
                    })
                    .non_empty(),
            ),
    };
    if kind == Kind::Inventory {
        info = info.setting(
            SettingSpec::text(
                "fulfillment-channel-code",
                "DEFAULT for the merchant's own stock, or an Amazon fulfilment network code.",
            )
            .with_default("DEFAULT")
            .non_empty(),
        );
    }
    info
}

/// The task, with the network given.
pub fn run(kind: Kind, settings: &Settings, web: &mut impl Web) -> TaskResult {
    let task = kind.task();
    match prepare(kind, settings) {
        Ok(Outcome::Nothing(why)) => TaskResult::success_no_data(format!("{task}: {why}")),
        Ok(Outcome::Feed(prepared)) => send(task, prepared, web),
        Err(e) => TaskResult::fail(format!("{task}: {e}")),
    }
}

struct Prepared {
    feed_type: String,
    content_type: String,
    marketplace_ids: Vec<String>,
    document: PathBuf,
    messages: Vec<(u64, String)>,
    folder: PathBuf,
}

enum Outcome {
    Nothing(String),
    Feed(Prepared),
}

fn read_text(settings: &Settings, name: &str) -> Result<(PathBuf, String), SettingError> {
    let path = settings.path(name)?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| SettingError::new(name, format!("cannot read `{}`: {e}", path.display())))?;
    Ok((path, text))
}

fn prepare(kind: Kind, settings: &Settings) -> Result<Outcome, SettingError> {
    let channels = channels(settings)?;
    let marketplace_ids: Vec<String> = channels.iter().map(|m| m.id.clone()).collect();
    let folder = settings.path("pending-folder")?;
    let (feed_type, content_type, document, feed) = match kind {
        Kind::Any => {
            let document = settings.path("input-file")?;
            let feed_type = settings.text("feed-type")?.trim().to_owned();
            let content_type = settings.text("content-type")?.trim().to_owned();
            let feed = if feed_type == LISTINGS_FEED {
                let (_, text) = read_text(settings, "input-file")?;
                Some(serde_json::from_str::<Value>(&text).map_err(|e| {
                    SettingError::new("input-file", format!("the listings feed is not JSON: {e}"))
                })?)
            } else {
                std::fs::metadata(&document).map_err(|e| {
                    SettingError::new(
                        "input-file",
                        format!("cannot read `{}`: {e}", document.display()),
                    )
                })?;
                None
            };
            (feed_type, content_type, document, feed)
        }
        Kind::Inventory | Kind::Price => {
            let (_, text) = read_text(settings, "input-file")?;
            let envelope =
                feeds::read_envelope(&text).map_err(|e| SettingError::new("input-file", e))?;
            let wrong = envelope.updates.iter().find(|u| {
                matches!(
                    (kind, u),
                    (Kind::Inventory, feeds::Update::Price { .. })
                        | (Kind::Price, feeds::Update::Quantity { .. })
                )
            });
            if let Some(wrong) = wrong {
                return Err(SettingError::new(
                    "input-file",
                    format!(
                        "SKU `{}` is a {} message; this task sends {}",
                        wrong.sku(),
                        if kind == Kind::Inventory {
                            "Price"
                        } else {
                            "Inventory"
                        },
                        if kind == Kind::Inventory {
                            "stock levels"
                        } else {
                            "prices"
                        }
                    ),
                ));
            }
            if envelope.updates.is_empty() {
                return Ok(Outcome::Nothing("the envelope has no messages".into()));
            }
            let options = ListingOptions {
                product_type: settings.text("product-type")?.trim().to_owned(),
                marketplace_id: marketplace_ids[0].clone(),
                fulfillment_channel_code: settings
                    .optional_text("fulfillment-channel-code")
                    .unwrap_or("DEFAULT")
                    .trim()
                    .to_owned(),
                issue_locale: settings.text("issue-locale")?.trim().to_owned(),
            };
            let feed = feeds::listings_feed(&envelope, &options);
            let document = settings.path("output-file")?;
            let bytes = serde_json::to_vec(&feed)
                .map_err(|e| SettingError::new("output-file", e.to_string()))?;
            write_file(&document, &bytes).map_err(|e| {
                SettingError::new(
                    "output-file",
                    format!("cannot write `{}`: {e}", document.display()),
                )
            })?;
            (
                LISTINGS_FEED.to_owned(),
                JSON_CONTENT_TYPE.to_owned(),
                document,
                Some(feed),
            )
        }
    };
    let messages = match &feed {
        Some(feed) => {
            check(settings, feed)?;
            feeds::feed_messages(feed)
        }
        None => Vec::new(),
    };
    Ok(Outcome::Feed(Prepared {
        feed_type,
        content_type,
        marketplace_ids,
        document,
        messages,
        folder,
    }))
}

/// The listings feed's checks: the builder's rules, and Amazon's schema when given.
fn check(settings: &Settings, feed: &Value) -> Result<(), SettingError> {
    let mut problems = feeds::check_listings_feed(feed);
    if settings.optional_text("schema-file").is_some() {
        let (path, text) = read_text(settings, "schema-file")?;
        let schema: Value = serde_json::from_str(&text).map_err(|e| {
            SettingError::new(
                "schema-file",
                format!("`{}` is not JSON: {e}", path.display()),
            )
        })?;
        problems.extend(
            feeds::check_against_schema(feed, &schema)
                .map_err(|e| SettingError::new("schema-file", e))?,
        );
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(SettingError::new(
        "input-file",
        format!(
            "the listings feed breaks Amazon's rules, nothing sent: {}",
            problems.join("; ")
        ),
    ))
}

fn send(task: &str, prepared: Prepared, web: &mut impl Web) -> TaskResult {
    let mut api = Api::new(web);
    let submission = Submission {
        feed_type: &prepared.feed_type,
        marketplace_ids: &prepared.marketplace_ids,
        content_type: &prepared.content_type,
        document: Path::new(&prepared.document),
        messages: prepared.messages,
    };
    let folder = FeedFolder {
        folder: prepared.folder,
    };
    let count = submission.messages.len() as u64;
    match feeds::submit(&mut api, &folder, &submission) {
        Ok(Submitted::New(record)) => {
            log::info(format!(
                "{} feed {} submitted: {count} messages",
                record.feed_type, record.feed_id
            ));
            TaskResult::success_data(format!(
                "{task}: feed {} submitted ({count} messages); amazon-feed-results collects its report",
                record.feed_id
            ))
            .with_counts(count, count, 0)
            .with_output("feed-id", record.feed_id)
        }
        Ok(Submitted::Adopted(record)) => TaskResult::success_data(format!(
            "{task}: feed {} was submitted by an interrupted run; recorded, not sent again",
            record.feed_id
        ))
        .with_counts(count, count, 0)
        .with_output("feed-id", record.feed_id),
        Ok(Submitted::Unchanged(record)) => TaskResult::success_no_data(format!(
            "{task}: the same content as feed {} (submitted {}); not sent again",
            record.feed_id, record.submitted
        ))
        .with_output("feed-id", record.feed_id),
        Err(e) => e.into_result(task),
    }
}
