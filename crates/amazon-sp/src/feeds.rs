//! `JSON_LISTINGS_FEED` documents and their submission through the Feeds API 2021-06-30.
//!
//! The inventory and price feeds are built from the `AmazonEnvelope` the built-in mappings
//! `zynk-products-to-amazon-inventory` / `-prices` write (Inventory messages: SKU, Quantity;
//! Price messages: SKU, StandardPrice with its currency): one `PATCH` message per SKU that
//! replaces `fulfillment_availability` or `purchasable_offer`. A feed is checked before it is
//! uploaded: against Amazon's listings feed JSON Schema when the task is given it, and always
//! against the rules the builder keeps (header, 1 to 25,000 messages, ids, SKUs).
//!
//! Submission: `createFeedDocument` → upload to the pre-signed URL with the declared
//! Content-Type (a new document if the URL expired first) → `createFeed`. A record of the feed
//! (its id, type and SKUs) goes to the pending folder, where `amazon-feed-results` finds it.
//! So that a run killed between `createFeed` and that record does not submit the same change
//! again, a marker is written before `createFeed` and the next run adopts the feed it finds
//! created since (`getFeeds`) instead of submitting again.

use std::path::{Path, PathBuf};

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{Api, ApiError, Header, Request, RequestBody, Web, iso, now, query_value, write_file};

pub const LISTINGS_FEED: &str = "JSON_LISTINGS_FEED";
pub const JSON_CONTENT_TYPE: &str = "application/json; charset=UTF-8";
const CREATE_DOCUMENT: &str = "/feeds/2021-06-30/documents";
const FEEDS: &str = "/feeds/2021-06-30/feeds";
/// Amazon's limit on messages in one listings feed.
pub const MAX_MESSAGES: usize = 25_000;
/// A pre-signed upload URL lasts five minutes; one older than this is not used.
const UPLOAD_URL_LIFETIME_S: i64 = 240;

/// One SKU's update read from the mapped envelope.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    Quantity {
        sku: String,
        quantity: u64,
    },
    Price {
        sku: String,
        price: String,
        currency: String,
    },
}

impl Update {
    pub fn sku(&self) -> &str {
        match self {
            Update::Quantity { sku, .. } | Update::Price { sku, .. } => sku,
        }
    }
}

/// The mapped envelope: the seller (`MerchantIdentifier`) and its updates.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub seller_id: String,
    pub updates: Vec<Update>,
}

/// Reads an `AmazonEnvelope` of Inventory or Price messages.
pub fn read_envelope(xml: &str) -> Result<Envelope, String> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut path: Vec<String> = Vec::new();
    let mut seller_id = String::new();
    let mut updates = Vec::new();
    let (mut sku, mut quantity, mut price, mut currency) =
        (String::new(), None::<String>, None::<String>, String::new());
    // The text of the innermost element, gathered from text and entity references.
    let mut text = String::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("not XML at byte {}: {e}", reader.buffer_position()))?;
        match event {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_owned();
                if name == "StandardPrice" {
                    for attribute in e.attributes().flatten() {
                        if attribute.key.local_name().as_ref() == "currency" {
                            currency = attribute
                                .normalized_value(XmlVersion::Implicit1_0)
                                .map_err(|e| format!("a currency attribute: {e}"))?
                                .trim()
                                .to_owned();
                        }
                    }
                }
                if name == "Message" {
                    sku.clear();
                    quantity = None;
                    price = None;
                    currency.clear();
                }
                path.push(name);
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(t) => text.push_str(&t.into_inner()),
            Event::GeneralRef(r) => {
                let name = r.as_ref().to_owned();
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| format!("unknown entity `&{name};`"))?
                        .to_owned(),
                };
                text.push_str(&resolved);
            }
            Event::End(_) => {
                let value = text.trim().to_owned();
                match path.last().map(String::as_str) {
                    Some("MerchantIdentifier") => seller_id = value,
                    Some("SKU") => sku = value,
                    Some("Quantity") => quantity = Some(value),
                    Some("StandardPrice") => price = Some(value),
                    _ => {}
                }
                text.clear();
                if path.last().map(String::as_str) == Some("Message") {
                    if sku.is_empty() {
                        return Err(format!("message {} has no SKU", updates.len() + 1));
                    }
                    match (&quantity, &price) {
                        (Some(q), _) => {
                            let quantity = q.parse::<u64>().map_err(|_| {
                                format!(
                                    "SKU `{sku}`: Quantity `{q}` is not a whole number of 0 or more"
                                )
                            })?;
                            updates.push(Update::Quantity {
                                sku: sku.clone(),
                                quantity,
                            });
                        }
                        (None, Some(p)) => {
                            let valid = p.parse::<f64>().is_ok_and(|v| v > 0.0 && v.is_finite());
                            if !valid {
                                return Err(format!(
                                    "SKU `{sku}`: StandardPrice `{p}` is not a price above 0"
                                ));
                            }
                            if currency.is_empty() {
                                return Err(format!(
                                    "SKU `{sku}`: StandardPrice has no currency attribute"
                                ));
                            }
                            updates.push(Update::Price {
                                sku: sku.clone(),
                                price: p.clone(),
                                currency: currency.clone(),
                            });
                        }
                        (None, None) => {
                            return Err(format!(
                                "SKU `{sku}`: the message has neither Quantity nor StandardPrice"
                            ));
                        }
                    }
                }
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if seller_id.is_empty() {
        return Err("the envelope has no Header/MerchantIdentifier (the seller id)".into());
    }
    Ok(Envelope { seller_id, updates })
}

/// How the listings feed's messages are written.
#[derive(Debug, Clone)]
pub struct ListingOptions {
    /// Amazon product type of the listings (`PRODUCT` suits offers on existing listings).
    pub product_type: String,
    /// The marketplace a price applies to.
    pub marketplace_id: String,
    /// `DEFAULT` is the merchant's own stock (MFN).
    pub fulfillment_channel_code: String,
    pub issue_locale: String,
}

/// The listings feed document of `envelope`'s updates.
pub fn listings_feed(envelope: &Envelope, options: &ListingOptions) -> Value {
    let messages: Vec<Value> = envelope
        .updates
        .iter()
        .enumerate()
        .map(|(i, update)| {
            let (path, value) = match update {
                Update::Quantity { quantity, .. } => (
                    "/attributes/fulfillment_availability",
                    json!([{
                        "fulfillment_channel_code": options.fulfillment_channel_code,
                        "quantity": quantity,
                    }]),
                ),
                Update::Price {
                    price, currency, ..
                } => {
                    // A JSON number, as Amazon's schema for `value_with_tax` wants.
                    let amount: Value = serde_json::from_str(price.trim())
                        .unwrap_or_else(|_| json!(price.parse::<f64>().unwrap_or_default()));
                    (
                        "/attributes/purchasable_offer",
                        json!([{
                            "marketplace_id": options.marketplace_id,
                            "currency": currency,
                            "our_price": [{ "schedule": [{ "value_with_tax": amount }] }],
                        }]),
                    )
                }
            };
            json!({
                "messageId": i + 1,
                "sku": update.sku(),
                "operationType": "PATCH",
                "productType": options.product_type,
                "patches": [{ "op": "replace", "path": path, "value": value }],
            })
        })
        .collect();
    json!({
        "header": {
            "sellerId": envelope.seller_id,
            "version": "2.0",
            "issueLocale": options.issue_locale,
        },
        "messages": messages,
    })
}

/// The rules every listings feed keeps (also without Amazon's schema at hand): each problem
/// names the message.
pub fn check_listings_feed(feed: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let header = feed.get("header");
    if header
        .and_then(|h| h.get("sellerId"))
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        problems.push("header.sellerId is missing".to_owned());
    }
    if header
        .and_then(|h| h.get("version"))
        .and_then(Value::as_str)
        != Some("2.0")
    {
        problems.push("header.version is not \"2.0\"".to_owned());
    }
    let Some(messages) = feed.get("messages").and_then(Value::as_array) else {
        problems.push("there is no `messages` list".to_owned());
        return problems;
    };
    if messages.is_empty() || messages.len() > MAX_MESSAGES {
        problems.push(format!(
            "{} messages; a feed holds 1 to {MAX_MESSAGES}",
            messages.len()
        ));
    }
    let mut ids = std::collections::BTreeSet::new();
    for (i, m) in messages.iter().enumerate() {
        let id = m.get("messageId").and_then(Value::as_u64);
        match id {
            Some(id @ 1..=2_147_483_647) if ids.insert(id) => {}
            _ => problems.push(format!(
                "message {}: messageId must be unique, 1 to 2147483647",
                i + 1
            )),
        }
        if m.get("sku")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            problems.push(format!("message {}: no sku", i + 1));
        }
        let op = m.get("operationType").and_then(Value::as_str);
        if !matches!(op, Some("UPDATE" | "PARTIAL_UPDATE" | "PATCH" | "DELETE")) {
            problems.push(format!("message {}: operationType {op:?}", i + 1));
        }
    }
    problems
}

/// Amazon's JSON Schema of `JSON_LISTINGS_FEED` documents (listings-feed-schema-v2.json from its
/// selling-partner-api-models, Apache-2.0, `schemas/` beside this crate), built in: every
/// listings feed is checked against it before upload (docs/amazon.md "Listings feed schema").
pub fn listings_feed_schema() -> Result<Value, String> {
    serde_json::from_str(include_str!("../schemas/listings-feed-schema-v2.json"))
        .map_err(|e| format!("is not JSON: {e}"))
}

/// Checks `feed` against a JSON Schema (Amazon's listings feed schema); each problem names
/// where in the feed it is.
pub fn check_against_schema(feed: &Value, schema: &Value) -> Result<Vec<String>, String> {
    let validator =
        jsonschema::draft7::new(schema).map_err(|e| format!("the schema cannot be used: {e}"))?;
    Ok(validator
        .iter_errors(feed)
        .take(20)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect())
}

/// What `amazon-feed-results` needs of a submitted feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedRecord {
    pub feed_id: String,
    pub feed_type: String,
    /// When it was submitted (ISO 8601, UTC).
    pub submitted: String,
    /// The content's digest, so the same change is not submitted twice.
    pub digest: String,
    /// (messageId, sku) of each message, to name SKUs in the results.
    pub messages: Vec<(u64, String)>,
}

/// Written before `createFeed`: what is being submitted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Submitting {
    feed_type: String,
    started: String,
    digest: String,
    messages: Vec<(u64, String)>,
}

/// The (messageId, sku) pairs of a listings feed.
pub fn feed_messages(feed: &Value) -> Vec<(u64, String)> {
    feed.get("messages")
        .and_then(Value::as_array)
        .map(|messages| {
            messages
                .iter()
                .filter_map(|m| {
                    Some((
                        m.get("messageId")?.as_u64()?,
                        m.get("sku")?.as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Where a feed type's records live in the pending folder.
pub struct FeedFolder {
    pub folder: PathBuf,
}

impl FeedFolder {
    fn marker(&self, feed_type: &str) -> PathBuf {
        self.folder.join(format!("submitting-{feed_type}.json"))
    }

    fn last(&self, feed_type: &str) -> PathBuf {
        self.folder.join(format!("last-{feed_type}.json"))
    }

    pub fn record_path(&self, feed_id: &str) -> PathBuf {
        self.folder.join(format!("{feed_id}.json"))
    }

    /// The last feed of `feed_type` submitted from here.
    pub fn last_submitted(&self, feed_type: &str) -> Option<FeedRecord> {
        read_json(&self.last(feed_type))
    }

    fn keep(&self, record: &FeedRecord) -> Result<(), String> {
        let text = serde_json::to_vec_pretty(record).map_err(|e| e.to_string())?;
        write_file(&self.record_path(&record.feed_id), &text)
            .and_then(|()| write_file(&self.last(&record.feed_type), &text))
            .map_err(|e| format!("cannot write the feed record: {e}"))
    }
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Option<T> {
    let text = std::fs::read(path).ok()?;
    serde_json::from_slice(&text).ok()
}

/// What a submission did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    New(FeedRecord),
    /// The same content as the last feed: nothing sent.
    Unchanged(FeedRecord),
    /// A feed an interrupted run created was found and recorded; this content was its.
    Adopted(FeedRecord),
}

/// A feed to submit.
pub struct Submission<'a> {
    pub feed_type: &'a str,
    pub marketplace_ids: &'a [String],
    pub content_type: &'a str,
    /// The document, a file of the working directory.
    pub document: &'a Path,
    pub messages: Vec<(u64, String)>,
}

/// The content digest of a document (SHA-256, hex).
pub fn digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(bytes);
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// Submits a feed unless the same content was the last one submitted.
pub fn submit<W: Web>(
    api: &mut Api<'_, W>,
    folder: &FeedFolder,
    submission: &Submission<'_>,
) -> Result<Submitted, ApiError> {
    let local = |cause: String| ApiError::Unreadable {
        operation: "the feed document".into(),
        cause,
    };
    let bytes = std::fs::read(submission.document).map_err(|e| {
        local(format!(
            "cannot read {}: {e}",
            submission.document.display()
        ))
    })?;
    let content_digest = digest(&bytes);
    crate::ensure_folder(&folder.folder, "pending-folder").map_err(local)?;

    // A run that died after createFeed left its marker: find the feed it created.
    let marker_path = folder.marker(submission.feed_type);
    if let Some(marker) = read_json::<Submitting>(&marker_path)
        && let Some(record) = adopt(api, folder, &marker)?
    {
        let _ = std::fs::remove_file(&marker_path);
        if record.digest == content_digest {
            return Ok(Submitted::Adopted(record));
        }
    }
    let _ = std::fs::remove_file(&marker_path);
    if let Some(last) = folder.last_submitted(submission.feed_type)
        && last.digest == content_digest
    {
        return Ok(Submitted::Unchanged(last));
    }

    let document_id = upload(api, submission)?;
    let marker = Submitting {
        feed_type: submission.feed_type.into(),
        started: iso(now() - chrono::Duration::seconds(5)),
        digest: content_digest.clone(),
        messages: submission.messages.clone(),
    };
    write_file(
        &marker_path,
        &serde_json::to_vec(&marker).map_err(|e| local(e.to_string()))?,
    )
    .map_err(|e| local(format!("cannot write {}: {e}", marker_path.display())))?;
    let created = api.post(
        "createFeed",
        FEEDS,
        &json!({
            "feedType": submission.feed_type,
            "marketplaceIds": submission.marketplace_ids,
            "inputFeedDocumentId": document_id,
        }),
    )?;
    let feed_id = created
        .get("feedId")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ApiError::Unreadable {
            operation: "createFeed".into(),
            cause: "no `feedId`".into(),
        })?
        .to_owned();
    let record = FeedRecord {
        feed_id,
        feed_type: submission.feed_type.into(),
        submitted: iso(now()),
        digest: content_digest,
        messages: submission.messages.clone(),
    };
    folder.keep(&record).map_err(local)?;
    let _ = std::fs::remove_file(&marker_path);
    Ok(Submitted::New(record))
}

/// `createFeedDocument` and the upload to its pre-signed URL; a new document when the URL
/// expired before the upload (once).
fn upload<W: Web>(api: &mut Api<'_, W>, submission: &Submission<'_>) -> Result<String, ApiError> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let asked = now();
        let document = api.post(
            "createFeedDocument",
            CREATE_DOCUMENT,
            &json!({ "contentType": submission.content_type }),
        )?;
        let field = |name: &str| {
            document
                .get(name)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| ApiError::Unreadable {
                    operation: "createFeedDocument".into(),
                    cause: format!("no `{name}`"),
                })
        };
        let (document_id, url) = (field("feedDocumentId")?, field("url")?);
        if (now() - asked).num_seconds() > UPLOAD_URL_LIFETIME_S {
            continue;
        }
        let response = api.send(
            "the feed document upload",
            Request {
                method: "PUT".into(),
                url,
                headers: vec![Header {
                    name: "Content-Type".into(),
                    value: submission.content_type.into(),
                }],
                body: RequestBody::File(submission.document.to_string_lossy().into_owned()),
                output_file: None,
                timeout_seconds: None,
                retries: None,
            },
        )?;
        match response.status {
            200..=299 => return Ok(document_id),
            // S3 answers 403 to an expired pre-signed URL: ask for a new one, once.
            403 if attempts < 2 => continue,
            status => {
                return Err(ApiError::Status {
                    operation: "the feed document upload".into(),
                    status,
                    detail: String::from_utf8_lossy(&response.body_start)
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .chars()
                        .take(200)
                        .collect(),
                });
            }
        }
    }
}

/// The feed an interrupted submission created, if `getFeeds` lists one of its type created
/// since the marker that no record names yet.
fn adopt<W: Web>(
    api: &mut Api<'_, W>,
    folder: &FeedFolder,
    marker: &Submitting,
) -> Result<Option<FeedRecord>, ApiError> {
    let url = format!(
        "{FEEDS}?feedTypes={}&createdSince={}&pageSize=100",
        query_value(&marker.feed_type),
        query_value(&marker.started)
    );
    let listed = api.get("getFeeds", &url)?;
    let feeds = listed
        .get("feeds")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for feed in feeds {
        let Some(feed_id) = feed.get("feedId").and_then(Value::as_str) else {
            continue;
        };
        let known = folder.record_path(feed_id).exists()
            || folder
                .folder
                .join("done")
                .join(format!("{feed_id}.json"))
                .exists();
        if known {
            continue;
        }
        let record = FeedRecord {
            feed_id: feed_id.to_owned(),
            feed_type: marker.feed_type.clone(),
            submitted: feed
                .get("createdTime")
                .and_then(Value::as_str)
                .unwrap_or(&marker.started)
                .to_owned(),
            digest: marker.digest.clone(),
            messages: marker.messages.clone(),
        };
        folder.keep(&record).map_err(|cause| ApiError::Unreadable {
            operation: "the feed record".into(),
            cause,
        })?;
        return Ok(Some(record));
    }
    Ok(None)
}
