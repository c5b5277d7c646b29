//! Truth records as small JSON objects: `truth/ext/<kind>/<external id>.json` holds the record,
//! `truth/int/<kind>/<internal id>.json` lists the external ids recorded for an internal id.
//!
//! The record object is the truth; the index is a hint kept consistent on upsert and remove
//! (updated with conditional writes, so concurrent writers do not lose each other's entries) and
//! checked against the records on every lookup. A crash between the two writes therefore leaves
//! at worst a stale index entry, which lookups ignore.
//!
//! A batch ([`TruthStore::upsert_all`]: a Sage import's rows, a remote task's truth updates)
//! ends as upserting its records in order would, in the same three steps over the whole batch,
//! each in parallel: index entries added (one conditional write per index object, however many
//! of the batch's records it gains), records written, old index entries removed.

use crate::Inner;
use crate::keys::encode_id;
use crate::transfer::{Cond, Put};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;
use wharf_engine::storage::{StorageError, TruthRecord, TruthStore};

/// Rounds of read-modify-conditional-write on one index object before giving up.
const INDEX_ROUNDS: u32 = 10;

/// Record reads in flight when listing every record (small objects: latency-bound).
const TRUTH_CONCURRENCY: usize = 32;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    kind: String,
    internal_id: String,
    external_id: String,
    hash: Option<String>,
    /// Kept across updates: `find_by_internal` prefers the oldest record, as the SQLite store does.
    created: DateTime<Utc>,
    modified: DateTime<Utc>,
}

impl Stored {
    fn record(self) -> TruthRecord {
        TruthRecord {
            kind: self.kind,
            internal_id: self.internal_id,
            external_id: self.external_id,
            hash: self.hash,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Index {
    kind: String,
    internal_id: String,
    external_ids: Vec<String>,
}

/// The truth records of one workflow in S3; shares the store's client and runtime.
pub struct S3Truth {
    inner: Arc<Inner>,
}

impl S3Truth {
    pub(crate) fn new(inner: Arc<Inner>) -> Self {
        S3Truth { inner }
    }
}

fn ext_key(inner: &Inner, kind: &str, external_id: &str) -> String {
    inner.key(&format!(
        "truth/ext/{}/{}.json",
        encode_id(kind),
        encode_id(external_id)
    ))
}

fn int_key(inner: &Inner, kind: &str, internal_id: &str) -> String {
    inner.key(&format!(
        "truth/int/{}/{}.json",
        encode_id(kind),
        encode_id(internal_id)
    ))
}

fn corrupt(inner: &Inner, key: &str, e: serde_json::Error) -> StorageError {
    StorageError::Corrupt {
        what: inner.url(key),
        message: e.to_string(),
    }
}

async fn load(
    inner: &Inner,
    kind: &str,
    external_id: &str,
) -> Result<Option<Stored>, StorageError> {
    let key = ext_key(inner, kind, external_id);
    let Some(obj) = inner.get_small(&key).await? else {
        return Ok(None);
    };
    let stored: Stored = serde_json::from_slice(&obj.bytes).map_err(|e| corrupt(inner, &key, e))?;
    // Over-long ids share a hashed key form; the object must really be this record.
    Ok((stored.kind == kind && stored.external_id == external_id).then_some(stored))
}

/// Applies `change` to the external ids of an index object, retrying when another writer changed
/// it in between. `change` returns false when there is nothing to write.
async fn update_index(
    inner: &Inner,
    kind: &str,
    internal_id: &str,
    change: impl Fn(&mut Vec<String>) -> bool,
) -> Result<(), StorageError> {
    let key = int_key(inner, kind, internal_id);
    for round in 0..INDEX_ROUNDS {
        let current = inner.get_small(&key).await?;
        let (mut index, cond) = match current {
            None => (
                Index {
                    kind: kind.to_string(),
                    internal_id: internal_id.to_string(),
                    external_ids: Vec::new(),
                },
                Cond::IfNoneMatch,
            ),
            Some(obj) => (
                serde_json::from_slice::<Index>(&obj.bytes).map_err(|e| corrupt(inner, &key, e))?,
                Cond::IfMatch(obj.etag),
            ),
        };
        if !change(&mut index.external_ids) {
            return Ok(());
        }
        let outcome = match (&cond, index.external_ids.is_empty()) {
            (Cond::IfMatch(etag), true) => inner.delete(&key, Some(etag.clone())).await?,
            _ => {
                let bytes =
                    serde_json::to_vec(&index).map_err(|e| StorageError::Other(e.to_string()))?;
                inner.put_bytes(&key, bytes, cond).await?
            }
        };
        if let Put::Written { .. } = outcome {
            return Ok(());
        }
        // Another writer got there first: back off a little (spread by the clock's nanoseconds,
        // so racing writers do not retry in lockstep) and redo the change on its version.
        let spread = u64::from(Utc::now().timestamp_subsec_nanos() % 20);
        tokio::time::sleep(Duration::from_millis(5 + spread + 10 * u64::from(round))).await;
    }
    Err(StorageError::Other(format!(
        "truth index {} kept changing; gave up after {INDEX_ROUNDS} attempts",
        inner.url(&key)
    )))
}

/// Upserts a batch of records, ending as upserting them one by one in order would: the last
/// record of an external id is the one stored, its age the first one's (or its stored
/// record's). Index first, record second, old index entry last: every intermediate state only
/// has extra index entries, which lookups check against the record.
async fn upsert_all(inner: Arc<Inner>, records: Vec<TruthRecord>) -> Result<(), StorageError> {
    // Per (kind, external id): its first position in the batch, and its last record.
    let mut batch: HashMap<(String, String), (usize, usize)> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        batch
            .entry((r.kind.clone(), r.external_id.clone()))
            .and_modify(|(_, last)| *last = i)
            .or_insert((i, i));
    }
    let mut finals: Vec<(usize, TruthRecord)> = batch
        .into_values()
        .map(|(first, last)| (first, records[last].clone()))
        .collect();
    finals.sort_by_key(|(first, _)| *first);

    let olds = crate::transfer::parallel(TRUTH_CONCURRENCY, finals.clone(), |(_, r)| {
        let inner = inner.clone();
        async move { load(&inner, &r.kind, &r.external_id).await }
    })
    .await?;

    // Index first, grouped by index object, in batch order.
    let mut gained: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (_, r) in &finals {
        gained
            .entry((r.kind.clone(), r.internal_id.clone()))
            .or_default()
            .push(r.external_id.clone());
    }
    change_indexes(&inner, gained, true).await?;

    // Records second. Each new record is a nanosecond younger than the one before it in the
    // batch, so the oldest of an internal id is still the first upserted.
    let now = Utc::now();
    let writes: Vec<_> = finals
        .iter()
        .zip(&olds)
        .map(|((first, r), old)| Stored {
            created: old
                .as_ref()
                .map(|o| o.created)
                .unwrap_or(now + chrono::Duration::nanoseconds(*first as i64)),
            modified: now,
            kind: r.kind.clone(),
            internal_id: r.internal_id.clone(),
            external_id: r.external_id.clone(),
            hash: r.hash.clone(),
        })
        .collect();
    crate::transfer::parallel(TRUTH_CONCURRENCY, writes, |stored| {
        let inner = inner.clone();
        async move {
            let key = ext_key(&inner, &stored.kind, &stored.external_id);
            let bytes =
                serde_json::to_vec(&stored).map_err(|e| StorageError::Other(e.to_string()))?;
            inner.put_bytes(&key, bytes, Cond::None).await.map(|_| ())
        }
    })
    .await?;

    // Old index entries last.
    let mut lost: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for ((_, r), old) in finals.iter().zip(olds) {
        if let Some(old) = old
            && old.internal_id != r.internal_id
        {
            lost.entry((r.kind.clone(), old.internal_id))
                .or_default()
                .push(r.external_id.clone());
        }
    }
    change_indexes(&inner, lost, false).await
}

/// Adds (or removes) the external ids of each index object, the objects in parallel.
async fn change_indexes(
    inner: &Arc<Inner>,
    changes: BTreeMap<(String, String), Vec<String>>,
    add: bool,
) -> Result<(), StorageError> {
    crate::transfer::parallel(
        TRUTH_CONCURRENCY,
        changes.into_iter().collect(),
        |((kind, internal), ext)| {
            let inner = inner.clone();
            async move {
                update_index(&inner, &kind, &internal, |ids| {
                    let before = ids.clone();
                    if add {
                        ids.extend(ext.iter().filter(|e| !before.contains(e)).cloned());
                    } else {
                        ids.retain(|id| !ext.contains(id));
                    }
                    *ids != before
                })
                .await
            }
        },
    )
    .await?;
    Ok(())
}

fn remove_id(ids: &mut Vec<String>, id: &str) -> bool {
    let before = ids.len();
    ids.retain(|x| x != id);
    ids.len() != before
}

async fn remove(inner: Arc<Inner>, kind: String, external_id: String) -> Result<(), StorageError> {
    let Some(old) = load(&inner, &kind, &external_id).await? else {
        return Ok(());
    };
    inner
        .delete(&ext_key(&inner, &kind, &external_id), None)
        .await?;
    update_index(&inner, &kind, &old.internal_id, |ids| {
        remove_id(ids, &external_id)
    })
    .await
}

async fn find_by_internal(
    inner: Arc<Inner>,
    kind: String,
    internal_id: String,
) -> Result<Option<TruthRecord>, StorageError> {
    let key = int_key(&inner, &kind, &internal_id);
    let Some(obj) = inner.get_small(&key).await? else {
        return Ok(None);
    };
    let index: Index = serde_json::from_slice(&obj.bytes).map_err(|e| corrupt(&inner, &key, e))?;
    let mut best: Option<Stored> = None;
    for ext in &index.external_ids {
        let Some(stored) = load(&inner, &kind, ext).await? else {
            continue;
        };
        if stored.internal_id == internal_id
            && best.as_ref().is_none_or(|b| stored.created < b.created)
        {
            best = Some(stored);
        }
    }
    Ok(best.map(Stored::record))
}

impl TruthStore for S3Truth {
    fn find_by_external(
        &self,
        kind: &str,
        external_id: &str,
    ) -> Result<Option<TruthRecord>, StorageError> {
        let (kind, external_id) = (kind.to_string(), external_id.to_string());
        self.inner.exec.run({
            let inner = self.inner.clone();
            async move { Ok(load(&inner, &kind, &external_id).await?.map(Stored::record)) }
        })
    }

    fn find_by_internal(
        &self,
        kind: &str,
        internal_id: &str,
    ) -> Result<Option<TruthRecord>, StorageError> {
        self.inner.exec.run(find_by_internal(
            self.inner.clone(),
            kind.to_string(),
            internal_id.to_string(),
        ))
    }

    fn upsert(&self, record: &TruthRecord) -> Result<(), StorageError> {
        self.inner
            .exec
            .run(upsert_all(self.inner.clone(), vec![record.clone()]))
    }

    fn upsert_all(&self, records: &[TruthRecord]) -> Result<(), StorageError> {
        self.inner
            .exec
            .run(upsert_all(self.inner.clone(), records.to_vec()))
    }

    fn remove(&self, kind: &str, external_id: &str) -> Result<(), StorageError> {
        self.inner.exec.run(remove(
            self.inner.clone(),
            kind.to_string(),
            external_id.to_string(),
        ))
    }

    fn all(&self) -> Result<Vec<TruthRecord>, StorageError> {
        self.inner.exec.run(all(self.inner.clone()))
    }
}

/// Every record: one listing of `truth/ext/`, then the objects in parallel.
async fn all(inner: Arc<Inner>) -> Result<Vec<TruthRecord>, StorageError> {
    let keys: Vec<String> = inner
        .list(&inner.key("truth/ext/"))
        .await?
        .into_iter()
        .map(|o| o.key)
        .filter(|k| k.ends_with(".json"))
        .collect();
    let records = crate::transfer::parallel(TRUTH_CONCURRENCY, keys, |key| {
        let inner = inner.clone();
        async move {
            // Removed between the listing and the read: skipped.
            let Some(obj) = inner.get_small(&key).await? else {
                return Ok(None);
            };
            let stored: Stored =
                serde_json::from_slice(&obj.bytes).map_err(|e| corrupt(&inner, &key, e))?;
            Ok(Some(stored.record()))
        }
    })
    .await?;
    Ok(records.into_iter().flatten().collect())
}
