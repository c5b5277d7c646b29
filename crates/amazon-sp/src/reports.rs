//! Feed processing results: for each pending feed record, `getFeed`; when it is `DONE` (or
//! `FATAL` with a report), `getFeedDocument` and the report from its pre-signed URL (gzip when
//! the document says so), read as Amazon's listings feed processing report; every SKU of the
//! feed goes to the success or the fail list. A feed still `IN_QUEUE` / `IN_PROGRESS` stays
//! pending, until it is older than the task's limit: then its SKUs fail with that reason, so no
//! feed is silently dropped.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use quick_xml::escape::escape;
use serde_json::Value;

use crate::feeds::FeedRecord;
use crate::{Api, ApiError, Request, RequestBody, Web, query_value, write_file};

const FEEDS: &str = "/feeds/2021-06-30/feeds";
const DOCUMENTS: &str = "/feeds/2021-06-30/documents";
/// Where a report is downloaded to before it is read (a Wharf temporary name).
const REPORT_FILE: &str = "/.wharf-amazon-report";
/// The largest report read (a 25,000-message feed's report is a few MB).
const MAX_REPORT_BYTES: u64 = 256 << 20;

/// One SKU's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkuResult {
    pub feed_id: String,
    pub feed_type: String,
    pub message_id: u64,
    pub sku: String,
    pub accepted: bool,
    /// The issues Amazon reported (errors first), or why the feed failed.
    pub message: String,
}

/// What became of one pending feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Waiting(String),
    Finished(Vec<SkuResult>),
}

/// Checks one pending feed.
pub fn check<W: Web>(
    api: &mut Api<'_, W>,
    record: &FeedRecord,
    now: DateTime<Utc>,
    max_age: chrono::Duration,
) -> Result<Outcome, ApiError> {
    let feed = api.get(
        "getFeed",
        &format!("{FEEDS}/{}", query_value(&record.feed_id)),
    )?;
    let status = feed
        .get("processingStatus")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let report = feed
        .get("resultFeedDocumentId")
        .and_then(Value::as_str)
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    let everyone = |accepted: bool, message: &str| {
        Outcome::Finished(
            record
                .messages
                .iter()
                .map(|(id, sku)| SkuResult {
                    feed_id: record.feed_id.clone(),
                    feed_type: record.feed_type.clone(),
                    message_id: *id,
                    sku: sku.clone(),
                    accepted,
                    message: message.to_owned(),
                })
                .collect(),
        )
    };
    match (status.as_str(), report) {
        ("DONE", Some(document)) | ("FATAL", Some(document)) => {
            let report = fetch_report(api, &document)?;
            Ok(Outcome::Finished(per_sku(
                record,
                &report,
                status == "FATAL",
            )))
        }
        ("DONE", None) => Ok(everyone(true, "processed; Amazon gave no report")),
        ("FATAL", None) => Ok(everyone(
            false,
            "the feed ended FATAL (Amazon rejected it whole)",
        )),
        ("CANCELLED", _) => Ok(everyone(false, "the feed was cancelled")),
        ("IN_QUEUE" | "IN_PROGRESS", _) => {
            let submitted = DateTime::parse_from_rfc3339(&record.submitted)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(now);
            if now - submitted > max_age {
                return Ok(everyone(
                    false,
                    &format!(
                        "still {status} {} hours after it was submitted ({}): given up (`max-age-hours`)",
                        (now - submitted).num_hours(),
                        record.submitted
                    ),
                ));
            }
            Ok(Outcome::Waiting(status))
        }
        (other, _) => Err(ApiError::Unreadable {
            operation: "getFeed".into(),
            cause: format!("processingStatus `{other}`"),
        }),
    }
}

/// `getFeedDocument`, the download from its URL and, if it is compressed, the gunzip.
fn fetch_report<W: Web>(api: &mut Api<'_, W>, document: &str) -> Result<Value, ApiError> {
    let unreadable = |cause: String| ApiError::Unreadable {
        operation: "the processing report".into(),
        cause,
    };
    let info = api.get(
        "getFeedDocument",
        &format!("{DOCUMENTS}/{}", query_value(document)),
    )?;
    let url = info
        .get("url")
        .and_then(Value::as_str)
        .ok_or_else(|| unreadable("getFeedDocument gave no `url`".into()))?
        .to_owned();
    let gzip = info.get("compressionAlgorithm").and_then(Value::as_str) == Some("GZIP");
    let response = api.send(
        "the processing report download",
        Request {
            method: "GET".into(),
            url,
            headers: Vec::new(),
            body: RequestBody::None,
            output_file: Some(REPORT_FILE.into()),
            timeout_seconds: None,
            retries: None,
        },
    )?;
    let bytes = std::fs::read(REPORT_FILE);
    let _ = std::fs::remove_file(REPORT_FILE);
    if !(200..300).contains(&response.status) {
        return Err(ApiError::Status {
            operation: "the processing report download".into(),
            status: response.status,
            detail: String::from_utf8_lossy(&response.body_start)
                .chars()
                .take(200)
                .collect(),
        });
    }
    let bytes = bytes.map_err(|e| unreadable(format!("cannot read it: {e}")))?;
    let text = if gzip {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .take(MAX_REPORT_BYTES)
            .read_to_end(&mut out)
            .map_err(|e| unreadable(format!("not gzip: {e}")))?;
        out
    } else {
        bytes
    };
    serde_json::from_slice(&text).map_err(|e| unreadable(format!("not JSON: {e}")))
}

/// Each message of the feed with its issues: accepted unless it has an ERROR (or the whole feed
/// was FATAL).
pub fn per_sku(record: &FeedRecord, report: &Value, fatal: bool) -> Vec<SkuResult> {
    let mut issues: BTreeMap<u64, Vec<(bool, String)>> = BTreeMap::new();
    let mut general: Vec<String> = Vec::new();
    for issue in report
        .get("issues")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let error = issue.get("severity").and_then(Value::as_str) == Some("ERROR");
        let code = issue
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let text = issue
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let line = if code.is_empty() {
            text.to_owned()
        } else {
            format!("{code}: {text}")
        };
        match issue.get("messageId").and_then(Value::as_u64) {
            Some(id) => issues.entry(id).or_default().push((error, line)),
            None if error => general.push(line),
            None => {}
        }
    }
    record
        .messages
        .iter()
        .map(|(id, sku)| {
            let mut found = issues.remove(id).unwrap_or_default();
            found.sort_by_key(|(error, _)| !*error);
            let failed = fatal || found.iter().any(|(error, _)| *error);
            let mut lines: Vec<String> = found.into_iter().map(|(_, line)| line).collect();
            if fatal {
                lines.extend(general.iter().cloned());
                if lines.is_empty() {
                    lines.push("the feed ended FATAL".into());
                }
            }
            SkuResult {
                feed_id: record.feed_id.clone(),
                feed_type: record.feed_type.clone(),
                message_id: *id,
                sku: sku.clone(),
                accepted: !failed,
                message: lines.join("; "),
            }
        })
        .collect()
}

/// Writes results as `<FeedResults><FeedResult>…` XML.
pub fn write_results(path: &Path, results: &[&SkuResult]) -> std::io::Result<()> {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<FeedResults>\n");
    for r in results {
        xml.push_str(&format!(
            "  <FeedResult><FeedId>{}</FeedId><FeedType>{}</FeedType><MessageId>{}</MessageId><Sku>{}</Sku><Result>{}</Result>",
            escape(&r.feed_id),
            escape(&r.feed_type),
            r.message_id,
            escape(&r.sku),
            if r.accepted { "Success" } else { "Fail" },
        ));
        if !r.message.is_empty() {
            xml.push_str(&format!("<Message>{}</Message>", escape(&r.message)));
        }
        xml.push_str("</FeedResult>\n");
    }
    xml.push_str("</FeedResults>\n");
    write_file(path, xml.as_bytes())
}

/// The pending feed records of a folder, oldest first (by feed id, which Amazon issues in
/// ascending order), skipping the markers and the `last-` copies.
pub fn pending(folder: &Path) -> std::io::Result<Vec<(PathBuf, FeedRecord)>> {
    let mut found = Vec::new();
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".json")
            || name.starts_with("last-")
            || name.starts_with("submitting-")
            || wharf_guest::fs::is_temporary(&name)
            || !entry.file_type()?.is_file()
        {
            continue;
        }
        let text = std::fs::read(entry.path())?;
        match serde_json::from_slice::<FeedRecord>(&text) {
            Ok(record) => found.push((entry.path(), record)),
            Err(e) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} is not a feed record: {e}", entry.path().display()),
                ));
            }
        }
    }
    found.sort_by(|a, b| {
        a.1.submitted
            .cmp(&b.1.submitted)
            .then(a.1.feed_id.cmp(&b.1.feed_id))
    });
    Ok(found)
}

/// Moves a finished feed's record to `done/` beside it.
pub fn finish(record_path: &Path) -> std::io::Result<()> {
    let Some(folder) = record_path.parent() else {
        return Ok(());
    };
    let done = folder.join("done");
    std::fs::create_dir_all(&done)?;
    let name = record_path.file_name().unwrap_or_default();
    std::fs::rename(record_path, done.join(name))
}
