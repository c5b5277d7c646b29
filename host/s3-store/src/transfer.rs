//! Object transfers: small JSON objects, streamed file uploads (multipart when large) and
//! downloads, listings and deletes; the archive and run-record operations built on them.

use crate::Inner;
use crate::error::Cause;
use crate::sdk::{Received, SHA256_META, receive_verified};
use aws_sdk_s3::primitives::{ByteStream, DateTime as S3DateTime, Length};
use aws_sdk_s3::types::{
    ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier,
};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use wharf_engine::RunRecord;
use wharf_engine::storage::parse_run_record_name;
use wharf_engine::storage::{ArchiveEntry, StorageError};

/// Files larger than this are uploaded in parts.
pub const MULTIPART_THRESHOLD: u64 = 16 * 1024 * 1024;
pub const PART_SIZE: u64 = 8 * 1024 * 1024;
/// Parts of one file in flight at once (each streams from disk: memory stays small).
const PART_CONCURRENCY: usize = 4;
/// Whole files or small objects in flight at once.
pub const FILE_CONCURRENCY: usize = 8;
/// The SDK retries a request until its response starts; a body cut off later is retried here.
const BODY_ATTEMPTS: u32 = 4;

/// The precondition of a write.
#[derive(Debug, Clone)]
pub enum Cond {
    None,
    /// `If-None-Match: *`: only if the key does not exist.
    IfNoneMatch,
    /// `If-Match: <etag>`: only if the object is still that version.
    IfMatch(String),
}

/// How a conditional write or delete went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Put {
    Written {
        etag: String,
    },
    /// The precondition failed: someone else wrote first (412 or 409).
    Lost,
    /// `If-Match` on a key that no longer exists.
    Missing,
}

pub struct Small {
    pub bytes: Vec<u8>,
    pub etag: String,
    pub last_modified: DateTime<Utc>,
}

pub struct Listed {
    pub key: String,
    pub size: u64,
    pub etag: String,
    pub last_modified: DateTime<Utc>,
}

pub struct Head {
    pub size: u64,
    pub etag: String,
    pub sha256: Option<String>,
}

pub struct Downloaded {
    pub etag: String,
    pub size: u64,
    pub sha256: String,
}

pub fn to_chrono(t: &S3DateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos()).unwrap_or_default()
}

fn io_err(what: String) -> impl FnOnce(std::io::Error) -> StorageError {
    move |e| StorageError::io(what, e)
}

async fn body_backoff(attempt: u32) {
    tokio::time::sleep(Duration::from_millis(100u64 << attempt.min(6))).await;
}

/// SHA-256 and length of a file, read in a blocking thread with a fixed-size buffer.
pub async fn sha256_file(path: &Path) -> Result<(u64, String), StorageError> {
    let p = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut f = std::fs::File::open(&p).map_err(io_err(format!("reading {}", p.display())))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut len = 0u64;
        loop {
            let n = f
                .read(&mut buf)
                .map_err(io_err(format!("reading {}", p.display())))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            len += n as u64;
        }
        Ok((len, hex::encode(hasher.finalize())))
    })
    .await
    .map_err(|e| StorageError::Other(format!("hashing {}: {e}", path.display())))?
}

/// Runs `f` over `items` with at most `limit` in flight; results in input order. The first
/// failure aborts the rest.
pub async fn parallel<T, R, F, Fut>(
    limit: usize,
    items: Vec<T>,
    f: F,
) -> Result<Vec<R>, StorageError>
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<R, StorageError>> + Send + 'static,
    R: Send + 'static,
{
    let total = items.len();
    let mut results: Vec<Option<R>> = (0..total).map(|_| None).collect();
    let mut set = JoinSet::new();
    let mut pending = items.into_iter().enumerate();
    loop {
        while set.len() < limit.max(1) {
            let Some((i, item)) = pending.next() else {
                break;
            };
            let fut = f(item);
            set.spawn(async move { (i, fut.await) });
        }
        let Some(joined) = set.join_next().await else {
            break;
        };
        let (i, r) =
            joined.map_err(|e| StorageError::Other(format!("an S3 transfer task failed: {e}")))?;
        results[i] = Some(r?);
    }
    Ok(results.into_iter().flatten().collect())
}

impl Inner {
    /// A small object read whole (JSON records, the lock, mappings); `None` when it is missing.
    pub async fn get_small(&self, key: &str) -> Result<Option<Small>, StorageError> {
        let mut last = String::new();
        for attempt in 1..=BODY_ATTEMPTS {
            let resp = match self
                .client
                .get_object()
                .bucket(&self.bucket)
                .key(key)
                .send()
                .await
            {
                Ok(r) => r,
                Err(e) => {
                    let cause = Cause::of(&e);
                    if cause.not_found() {
                        return Ok(None);
                    }
                    return Err(cause.into_error("GetObject", &self.bucket, key));
                }
            };
            let etag = resp.e_tag().unwrap_or_default().to_string();
            let last_modified = resp.last_modified().map(to_chrono).unwrap_or_else(Utc::now);
            match resp.body.collect().await {
                Ok(data) => {
                    return Ok(Some(Small {
                        bytes: data.into_bytes().to_vec(),
                        etag,
                        last_modified,
                    }));
                }
                Err(e) => {
                    tracing::debug!("reading {} failed (attempt {attempt}): {e}", self.url(key));
                    last = e.to_string();
                    body_backoff(attempt).await;
                }
            }
        }
        Err(Cause::text(format!(
            "reading the body failed {BODY_ATTEMPTS} times: {last}"
        ))
        .into_error("GetObject", &self.bucket, key))
    }

    pub async fn put_bytes(
        &self,
        key: &str,
        bytes: Vec<u8>,
        cond: Cond,
    ) -> Result<Put, StorageError> {
        let mut req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(bytes));
        req = match &cond {
            Cond::None => req,
            Cond::IfNoneMatch => req.if_none_match("*"),
            Cond::IfMatch(etag) => req.if_match(etag),
        };
        match req.send().await {
            Ok(out) => Ok(Put::Written {
                etag: out.e_tag().unwrap_or_default().to_string(),
            }),
            Err(e) => {
                let cause = Cause::of(&e);
                match cond {
                    Cond::None => {}
                    _ if cause.lost_condition() => return Ok(Put::Lost),
                    Cond::IfMatch(_) if cause.not_found() => return Ok(Put::Missing),
                    _ => {}
                }
                Err(cause.into_error("PutObject", &self.bucket, key))
            }
        }
    }

    /// Deletes one object; with `if_match`, only that version of it. Deleting a missing object
    /// without a condition succeeds (S3 semantics).
    pub async fn delete(&self, key: &str, if_match: Option<String>) -> Result<Put, StorageError> {
        let conditional = if_match.is_some();
        match self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .set_if_match(if_match)
            .send()
            .await
        {
            Ok(_) => Ok(Put::Written {
                etag: String::new(),
            }),
            Err(e) => {
                let cause = Cause::of(&e);
                if conditional && cause.lost_condition() {
                    Ok(Put::Lost)
                } else if cause.not_found() {
                    Ok(Put::Missing)
                } else {
                    Err(cause.into_error("DeleteObject", &self.bucket, key))
                }
            }
        }
    }

    /// Deletes many objects, 1000 per request; any per-key failure is an error naming the key.
    pub async fn delete_many(&self, keys: Vec<String>) -> Result<(), StorageError> {
        for chunk in keys.chunks(1000) {
            let objects = chunk
                .iter()
                .map(|k| ObjectIdentifier::builder().key(k).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| {
                    StorageError::Other(format!("building a DeleteObjects request: {e}"))
                })?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| {
                    StorageError::Other(format!("building a DeleteObjects request: {e}"))
                })?;
            let first = chunk.first().map(String::as_str).unwrap_or_default();
            let out = self
                .client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| Cause::of(&e).into_error("DeleteObjects", &self.bucket, first))?;
            if let Some(err) = out.errors().first() {
                let key = err.key().unwrap_or(first);
                let cause = format!(
                    "{}: {} ({} of {} keys failed)",
                    err.code().unwrap_or("error"),
                    err.message().unwrap_or("no message"),
                    out.errors().len(),
                    chunk.len()
                );
                return Err(Cause::text(cause).into_error("DeleteObjects", &self.bucket, key));
            }
        }
        Ok(())
    }

    /// The first key under `prefix` (one request of one key), `None` when there is none.
    pub async fn first_key(&self, prefix: &str) -> Result<Option<String>, StorageError> {
        let page = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .max_keys(1)
            .send()
            .await
            .map_err(|e| Cause::of(&e).into_error("ListObjectsV2", &self.bucket, prefix))?;
        Ok(page
            .contents()
            .iter()
            .find_map(|o| o.key())
            .map(str::to_string))
    }

    /// Every object under `prefix`, in key order.
    pub async fn list(&self, prefix: &str) -> Result<Vec<Listed>, StorageError> {
        self.list_while(prefix, None, |_| true).await
    }

    /// The objects under `prefix` whose keys sort after `start_after` (all with `None`), in key
    /// order, up to and including the first that `more` answers false for: the listing stops
    /// there, so the pages read are only those that hold what was wanted.
    pub async fn list_while(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        mut more: impl FnMut(&Listed) -> bool,
    ) -> Result<Vec<Listed>, StorageError> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .set_start_after(start_after.map(str::to_owned))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| Cause::of(&e).into_error("ListObjectsV2", &self.bucket, prefix))?;
            for o in page.contents() {
                let Some(key) = o.key() else { continue };
                let listed = Listed {
                    key: key.to_string(),
                    size: o.size().unwrap_or(0).max(0) as u64,
                    etag: o.e_tag().unwrap_or_default().to_string(),
                    last_modified: o.last_modified().map(to_chrono).unwrap_or_else(Utc::now),
                };
                let go_on = more(&listed);
                out.push(listed);
                if !go_on {
                    return Ok(out);
                }
            }
        }
        Ok(out)
    }

    pub async fn head(&self, key: &str) -> Result<Option<Head>, StorageError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(h) => Ok(Some(Head {
                size: h.content_length().unwrap_or(0).max(0) as u64,
                etag: h.e_tag().unwrap_or_default().to_string(),
                sha256: h.metadata().and_then(|m| m.get(SHA256_META)).cloned(),
            })),
            Err(e) => {
                let cause = Cause::of(&e);
                if cause.not_found() {
                    Ok(None)
                } else {
                    Err(cause.into_error("HeadObject", &self.bucket, key))
                }
            }
        }
    }

    /// Downloads `key` into `dest`, hashing as it streams; verifies length and, when the object
    /// carries one, its SHA-256. A body cut off mid-way is fetched again.
    pub async fn download(&self, key: &str, dest: &Path) -> Result<Downloaded, StorageError> {
        let mut last = String::new();
        for attempt in 1..=BODY_ATTEMPTS {
            let resp = self
                .client
                .get_object()
                .bucket(&self.bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| Cause::of(&e).into_error("GetObject", &self.bucket, key))?;
            let etag = resp.e_tag().unwrap_or_default().to_string();
            let mut file = tokio::fs::File::create(dest).await.map_err(io_err(format!(
                "creating {} for {}",
                dest.display(),
                self.url(key)
            )))?;
            let received = receive_verified(resp, &mut file)
                .await
                .map_err(io_err(format!("writing {}", dest.display())))?;
            match received {
                Ok(Received { size, sha256 }) => return Ok(Downloaded { etag, size, sha256 }),
                Err(p) => {
                    tracing::debug!(
                        "downloading {} failed (attempt {attempt}): {p}",
                        self.url(key)
                    );
                    last = p;
                    body_backoff(attempt).await;
                }
            }
        }
        Err(
            Cause::text(format!("download failed {BODY_ATTEMPTS} times: {last}")).into_error(
                "GetObject",
                &self.bucket,
                key,
            ),
        )
    }

    /// Uploads a file streamed from disk (multipart above [`MULTIPART_THRESHOLD`]), tagged with
    /// its SHA-256. With `if_none_match` it only creates: [`Put::Lost`] if the key exists —
    /// unless the object there is this very content, which is what a retried request whose first
    /// attempt landed finds.
    pub async fn upload_file(
        self: &Arc<Self>,
        key: &str,
        path: &Path,
        size: u64,
        sha256: &str,
        if_none_match: bool,
    ) -> Result<Put, StorageError> {
        let put = if size > MULTIPART_THRESHOLD {
            self.upload_multipart(key, path, size, sha256, if_none_match)
                .await?
        } else {
            let body = ByteStream::read_from()
                .path(path)
                .build()
                .await
                .map_err(|e| StorageError::Other(format!("reading {}: {e}", path.display())))?;
            let mut req = self
                .client
                .put_object()
                .bucket(&self.bucket)
                .key(key)
                .content_length(size as i64)
                .metadata(SHA256_META, sha256)
                .body(body);
            if if_none_match {
                req = req.if_none_match("*");
            }
            match req.send().await {
                Ok(out) => Put::Written {
                    etag: out.e_tag().unwrap_or_default().to_string(),
                },
                Err(e) => {
                    let cause = Cause::of(&e);
                    if if_none_match && cause.lost_condition() {
                        Put::Lost
                    } else {
                        return Err(cause.into_error("PutObject", &self.bucket, key));
                    }
                }
            }
        };
        if put == Put::Lost
            && let Some(h) = self.head(key).await?
            && h.size == size
            && h.sha256.as_deref() == Some(sha256)
        {
            return Ok(Put::Written { etag: h.etag });
        }
        Ok(put)
    }

    async fn upload_multipart(
        self: &Arc<Self>,
        key: &str,
        path: &Path,
        size: u64,
        sha256: &str,
        if_none_match: bool,
    ) -> Result<Put, StorageError> {
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .metadata(SHA256_META, sha256)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .send()
            .await
            .map_err(|e| Cause::of(&e).into_error("CreateMultipartUpload", &self.bucket, key))?;
        let Some(upload_id) = created.upload_id().map(str::to_string) else {
            return Err(
                Cause::text("no upload id in the response".into()).into_error(
                    "CreateMultipartUpload",
                    &self.bucket,
                    key,
                ),
            );
        };
        let parts: Vec<(i32, u64, u64)> = (0..size.div_ceil(PART_SIZE))
            .map(|i| {
                (
                    i as i32 + 1,
                    i * PART_SIZE,
                    PART_SIZE.min(size - i * PART_SIZE),
                )
            })
            .collect();
        let uploaded = parallel(PART_CONCURRENCY, parts, |(number, offset, len)| {
            let (this, key, path, upload_id) = (
                self.clone(),
                key.to_string(),
                path.to_path_buf(),
                upload_id.clone(),
            );
            async move {
                this.upload_part(&key, &path, &upload_id, number, offset, len)
                    .await
            }
        })
        .await;
        let parts = match uploaded {
            Ok(parts) => parts,
            Err(e) => {
                self.abort_upload(key, &upload_id).await;
                return Err(e);
            }
        };
        let mut req = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(&upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            );
        if if_none_match {
            req = req.if_none_match("*");
        }
        match req.send().await {
            Ok(out) => Ok(Put::Written {
                etag: out.e_tag().unwrap_or_default().to_string(),
            }),
            Err(e) => {
                let cause = Cause::of(&e);
                if if_none_match && cause.lost_condition() {
                    self.abort_upload(key, &upload_id).await;
                    return Ok(Put::Lost);
                }
                // A retried Complete whose first attempt landed finds the upload gone; the
                // object's hash says whether it is ours.
                if cause.no_such_upload()
                    && let Some(h) = self.head(key).await?
                    && h.size == size
                    && h.sha256.as_deref() == Some(sha256)
                {
                    return Ok(Put::Written { etag: h.etag });
                }
                self.abort_upload(key, &upload_id).await;
                Err(cause.into_error("CompleteMultipartUpload", &self.bucket, key))
            }
        }
    }

    async fn upload_part(
        &self,
        key: &str,
        path: &Path,
        upload_id: &str,
        number: i32,
        offset: u64,
        len: u64,
    ) -> Result<CompletedPart, StorageError> {
        let body = ByteStream::read_from()
            .path(path)
            .offset(offset)
            .length(Length::Exact(len))
            .build()
            .await
            .map_err(|e| StorageError::Other(format!("reading {}: {e}", path.display())))?;
        let out = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .content_length(len as i64)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(body)
            .send()
            .await
            .map_err(|e| Cause::of(&e).into_error("UploadPart", &self.bucket, key))?;
        Ok(CompletedPart::builder()
            .part_number(number)
            .set_e_tag(out.e_tag().map(str::to_string))
            .set_checksum_crc32(out.checksum_crc32().map(str::to_string))
            .build())
    }

    /// Best effort: an upload left behind only costs storage until a lifecycle rule removes it.
    async fn abort_upload(&self, key: &str, upload_id: &str) {
        if let Err(e) = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
        {
            tracing::warn!(
                "could not abort the multipart upload of {}: {}",
                self.url(key),
                Cause::of(&e).text
            );
        }
    }
}

/// Uploads the finished archive (only if no archive of that name exists), checks the stored
/// object, then removes the local file.
pub async fn archive_store(
    inner: Arc<Inner>,
    file: PathBuf,
    name: String,
) -> Result<(), StorageError> {
    let key = inner.key(&format!("archive/{name}"));
    let (size, sha256) = sha256_file(&file).await?;
    let etag = match inner.upload_file(&key, &file, size, &sha256, true).await? {
        Put::Written { etag } => etag,
        Put::Lost | Put::Missing => {
            return Err(StorageError::Other(format!(
                "archive `{name}` already exists ({})",
                inner.url(&key)
            )));
        }
    };
    let stored = inner.head(&key).await?;
    let verified = stored.as_ref().is_some_and(|h| {
        h.size == size && h.sha256.as_deref() == Some(sha256.as_str()) && h.etag == etag
    });
    if !verified {
        return Err(StorageError::Other(format!(
            "archive {} did not verify after upload (expected {size} bytes, found {}); the local file {} was kept",
            inner.url(&key),
            stored
                .map(|h| format!("{} bytes, ETag {}", h.size, h.etag))
                .unwrap_or_else(|| "no object".into()),
            file.display()
        )));
    }
    tokio::fs::remove_file(&file).await.map_err(io_err(format!(
        "removing {} after archiving it",
        file.display()
    )))?;
    tracing::debug!("archived {} ({size} bytes)", inner.url(&key));
    Ok(())
}

pub async fn archive_list(inner: Arc<Inner>) -> Result<Vec<ArchiveEntry>, StorageError> {
    let prefix = inner.key("archive/");
    let mut out: Vec<ArchiveEntry> = inner
        .list(&prefix)
        .await?
        .into_iter()
        .filter(|o| !o.key.ends_with('/'))
        .map(|o| ArchiveEntry {
            name: o.key[prefix.len()..].to_string(),
            size: o.size,
            created: o.last_modified,
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

pub async fn archive_remove(inner: Arc<Inner>, name: String) -> Result<(), StorageError> {
    let key = inner.key(&format!("archive/{name}"));
    // Like the local backend, removing an archive that is not there is an error.
    if inner.head(&key).await?.is_none() {
        return Err(StorageError::io(
            format!("removing archive {}", inner.url(&key)),
            std::io::Error::from(std::io::ErrorKind::NotFound),
        ));
    }
    inner.delete(&key, None).await.map(drop)
}

/// How far back the newest run records are looked for, widening until found: S3 lists keys
/// in ascending order only, so the newest records are reached by listing after a recent start
/// time. A workflow on a frequent schedule finds its newest runs in the first window whatever
/// its history; one that runs rarely has little history to list.
pub const RECENT_WINDOWS_DAYS: [Option<i64>; 4] = [Some(1), Some(8), Some(32), None];

/// The keys of run records started within the last `days` days (all with `None`), oldest
/// first.
pub async fn recent_run_keys(
    inner: &Inner,
    days: Option<i64>,
) -> Result<Vec<String>, StorageError> {
    let prefix = inner.key("runs/");
    let after = days.map(|days| {
        let since = Utc::now() - chrono::Duration::days(days);
        format!("{prefix}{}", wharf_engine::storage::run_record_time(&since))
    });
    let mut keys: Vec<String> = inner
        .list_while(&prefix, after.as_deref(), |_| true)
        .await?
        .into_iter()
        .map(|o| o.key)
        .filter(|k| k.ends_with(".json"))
        .collect();
    keys.sort();
    Ok(keys)
}

/// The newest run record that has ended, read one by one from the newest, window by window
/// ([`RECENT_WINDOWS_DAYS`]): a start lists one page and reads one or two records however long
/// the history. The first window is listed together with a one-key probe of the whole history,
/// so a workflow without runs (its first) learns so in one round trip, not one per window.
pub async fn last_ended_run(inner: Arc<Inner>) -> Result<Option<RunRecord>, StorageError> {
    let prefix = inner.key("runs/");
    let mut read = HashSet::new();
    for (i, days) in RECENT_WINDOWS_DAYS.into_iter().enumerate() {
        let keys = if i == 0 {
            let (keys, any) = tokio::join!(recent_run_keys(&inner, days), inner.first_key(&prefix));
            if any?.is_none() {
                return Ok(None);
            }
            keys?
        } else {
            recent_run_keys(&inner, days).await?
        };
        for key in keys.iter().rev() {
            if !read.insert(key.clone()) {
                continue;
            }
            match read_run(&inner, key).await {
                Ok(Some(run)) if run.ended.is_some() => return Ok(Some(run)),
                Ok(_) => {}
                Err(e) => warn_unreadable_run(&e),
            }
        }
    }
    Ok(None)
}

/// The key of run `run_id`'s record, looked for among the newest first (see
/// [`RECENT_WINDOWS_DAYS`]).
pub async fn recent_run_key(inner: &Inner, run_id: &str) -> Result<Option<String>, StorageError> {
    let suffix = format!("_{run_id}.json");
    for days in RECENT_WINDOWS_DAYS {
        let keys = recent_run_keys(inner, days).await?;
        if let Some(key) = keys.into_iter().find(|k| k.ends_with(&suffix)) {
            return Ok(Some(key));
        }
    }
    Ok(None)
}

/// The key of run `run_id`'s record, looked for from the oldest (housekeeping removes the
/// oldest runs: the listing stops at the first page that holds it).
pub async fn oldest_run_key(inner: &Inner, run_id: &str) -> Result<Option<String>, StorageError> {
    let suffix = format!("_{run_id}.json");
    let listed = inner
        .list_while(&inner.key("runs/"), None, |o| !o.key.ends_with(&suffix))
        .await?;
    Ok(listed
        .into_iter()
        .map(|o| o.key)
        .find(|k| k.ends_with(&suffix)))
}

/// The run records started before `cutoff`, oldest first: the listing stops at the first
/// record started at or after it.
pub async fn run_index_before(
    inner: &Inner,
    cutoff: DateTime<Utc>,
) -> Result<Vec<(String, DateTime<Utc>)>, StorageError> {
    let mut index = Vec::new();
    let listed = inner
        .list_while(&inner.key("runs/"), None, |o| {
            // A name not in the `<started>_<id>.json` form does not stop the listing.
            parse_run_record_name(&o.key).is_none_or(|(_, started)| started < cutoff)
        })
        .await?;
    for o in listed {
        match parse_run_record_name(&o.key) {
            Some((id, started)) if started < cutoff => index.push((id, started)),
            Some(_) => {}
            None if o.key.ends_with(".json") => match read_run(inner, &o.key).await {
                Ok(Some(run)) if run.started < cutoff => index.push((run.id, run.started)),
                Ok(_) => {}
                Err(e) => warn_unreadable_run(&e),
            },
            None => {}
        }
    }
    Ok(index)
}

/// The run record objects, oldest first (their names start with the run's start time).
async fn run_objects(inner: &Inner) -> Result<Vec<Listed>, StorageError> {
    let mut objects: Vec<Listed> = inner
        .list(&inner.key("runs/"))
        .await?
        .into_iter()
        .filter(|o| o.key.ends_with(".json"))
        .collect();
    objects.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(objects)
}

/// The run record keys, oldest first.
pub async fn run_keys(inner: &Inner) -> Result<Vec<String>, StorageError> {
    Ok(run_objects(inner)
        .await?
        .into_iter()
        .map(|o| o.key)
        .collect())
}

/// Ended run records read before, by key, with the ETag of what was read: an ended run's
/// record does not change, so while the listing shows the same ETag it is not read again.
pub type EndedRuns = std::sync::Mutex<HashMap<String, (String, RunRecord)>>;

/// Every readable run record, oldest first; with `ended`, those it holds at their listed ETag
/// are not read again, and the ended ones read are added to it.
pub async fn list_runs(
    inner: Arc<Inner>,
    ended: Option<Arc<EndedRuns>>,
) -> Result<Vec<RunRecord>, StorageError> {
    let objects = run_objects(&inner).await?;
    if let Some(ended) = &ended {
        // Removed records (housekeeping) are forgotten.
        let listed: HashSet<&str> = objects.iter().map(|o| o.key.as_str()).collect();
        lock(ended).retain(|key, _| listed.contains(key.as_str()));
    }
    let records = parallel(FILE_CONCURRENCY, objects, |object| {
        let inner = inner.clone();
        let ended = ended.clone();
        async move {
            if let Some(ended) = &ended
                && let Some((etag, run)) = lock(ended).get(&object.key)
                && *etag == object.etag
            {
                return Ok(Some(run.clone()));
            }
            // A record removed between the listing and the read (housekeeping) is skipped, and
            // so is one that cannot be read: one bad record must not stop every run.
            let read = read_run_tagged(&inner, &object.key)
                .await
                .unwrap_or_else(|e| {
                    warn_unreadable_run(&e);
                    None
                });
            Ok(read.map(|(run, etag)| {
                if let Some(ended) = &ended
                    && run.ended.is_some()
                {
                    lock(ended).insert(object.key, (etag, run.clone()));
                }
                run
            }))
        }
    })
    .await?;
    Ok(records.into_iter().flatten().collect())
}

fn lock(ended: &EndedRuns) -> std::sync::MutexGuard<'_, HashMap<String, (String, RunRecord)>> {
    ended.lock().unwrap_or_else(|p| p.into_inner())
}

/// A run record that cannot be read is skipped with a warning, as the local store does.
pub fn warn_unreadable_run(problem: &StorageError) {
    tracing::warn!("skipping an unreadable run record: {problem}");
}

/// The run record at `key`; `None` if there is none.
pub async fn read_run(inner: &Inner, key: &str) -> Result<Option<RunRecord>, StorageError> {
    Ok(read_run_tagged(inner, key).await?.map(|(run, _)| run))
}

/// The run record at `key` and the ETag of what was read; `None` if there is none.
async fn read_run_tagged(
    inner: &Inner,
    key: &str,
) -> Result<Option<(RunRecord, String)>, StorageError> {
    let Some(obj) = inner.get_small(key).await? else {
        return Ok(None);
    };
    serde_json::from_slice::<RunRecord>(&obj.bytes)
        .map(|run| Some((run, obj.etag)))
        .map_err(|e| StorageError::Corrupt {
            what: inner.url(key),
            message: e.to_string(),
        })
}
