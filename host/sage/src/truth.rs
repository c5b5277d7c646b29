//! The workflow's truth store (the engine's) as the ledger procedures' [`TruthStore`].
//!
//! The two models differ in one place: the ledger keeps export hash rows keyed by internal id
//! alone (`external_id: None`), while every engine row has an external id (its key, with the
//! kind). Hash rows are therefore stored under their own kind, `<type>#hash`, with the internal
//! id as their key, so they can never replace an Id link of the same record.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use sage_ledger::{TruthRecord, TruthStore, TruthStoreError};
use wharf_engine::storage::{self, StorageError};

/// Suffix of the kind that holds export hash rows.
pub const HASH_KIND_SUFFIX: &str = "#hash";

/// The kind export hash rows of `record_type` are stored under.
pub fn hash_kind(record_type: &str) -> String {
    format!("{record_type}{HASH_KIND_SUFFIX}")
}

/// Adapts the engine's truth store to the ledger's trait.
///
/// [`EngineTruth::write_behind`] holds upserts back and writes them together (one SQLite
/// transaction instead of a commit per row, issue #18) when the import calls
/// [`TruthStore::flush`], or every [`WRITE_BEHIND_ROWS`]. Only for imports that journal
/// their truth rows with each record (customers, sales orders): until flushed, a row is in
/// the ledger's truth journal, which the next run replays.
pub struct EngineTruth {
    inner: Arc<dyn storage::TruthStore>,
    /// `None`: every upsert is written at once.
    held: Option<RefCell<Held>>,
}

/// Rows written at most this many at a time by a write-behind [`EngineTruth`].
pub const WRITE_BEHIND_ROWS: usize = 4096;

/// Upserts not written yet, in order, and the latest of each kind and external id.
#[derive(Default)]
struct Held {
    rows: Vec<storage::TruthRecord>,
    latest: HashMap<(String, String), usize>,
}

impl EngineTruth {
    pub fn new(inner: Arc<dyn storage::TruthStore>) -> Self {
        EngineTruth { inner, held: None }
    }

    /// Holds upserts back until [`TruthStore::flush`] (see the type's docs).
    pub fn write_behind(inner: Arc<dyn storage::TruthStore>) -> Self {
        EngineTruth {
            inner,
            held: Some(RefCell::default()),
        }
    }

    /// Writes the held rows.
    fn write_held(&self) -> Result<(), TruthStoreError> {
        let Some(held) = &self.held else {
            return Ok(());
        };
        let mut held = held.borrow_mut();
        if held.rows.is_empty() {
            return Ok(());
        }
        self.inner.upsert_all(&held.rows).map_err(failed)?;
        *held = Held::default();
        Ok(())
    }
}

fn failed(error: StorageError) -> TruthStoreError {
    TruthStoreError(error.to_string())
}

fn from_engine(row: storage::TruthRecord) -> TruthRecord {
    match row.kind.strip_suffix(HASH_KIND_SUFFIX) {
        Some(record_type) => TruthRecord {
            record_type: record_type.to_owned(),
            internal_id: row.internal_id,
            external_id: None,
            hash: row.hash,
        },
        None => TruthRecord {
            record_type: row.kind,
            internal_id: row.internal_id,
            external_id: Some(row.external_id),
            hash: row.hash,
        },
    }
}

/// The engine row for a ledger row.
pub fn to_engine(record: &TruthRecord) -> storage::TruthRecord {
    match &record.external_id {
        Some(external_id) => storage::TruthRecord {
            kind: record.record_type.clone(),
            internal_id: record.internal_id.clone(),
            external_id: external_id.clone(),
            hash: record.hash.clone(),
        },
        None => storage::TruthRecord {
            kind: hash_kind(&record.record_type),
            internal_id: record.internal_id.clone(),
            external_id: record.internal_id.clone(),
            hash: record.hash.clone(),
        },
    }
}

impl TruthStore for EngineTruth {
    fn find_by_external_id(
        &self,
        record_type: &str,
        external_id: &str,
    ) -> Result<Option<TruthRecord>, TruthStoreError> {
        if let Some(held) = &self.held {
            let held = held.borrow();
            if let Some(&row) = held
                .latest
                .get(&(record_type.to_owned(), external_id.to_owned()))
            {
                return Ok(Some(from_engine(held.rows[row].clone())));
            }
        }
        Ok(self
            .inner
            .find_by_external(record_type, external_id)
            .map_err(failed)?
            .map(from_engine))
    }

    /// The record's export hash row when it has one (what the export compares against), else
    /// the Id link that names this internal id.
    fn find_by_internal_id(
        &self,
        record_type: &str,
        internal_id: &str,
    ) -> Result<Option<TruthRecord>, TruthStoreError> {
        // Which row names an internal id first is the store's to say: write the held ones.
        self.write_held()?;
        if let Some(row) = self
            .inner
            .find_by_external(&hash_kind(record_type), internal_id)
            .map_err(failed)?
        {
            return Ok(Some(from_engine(row)));
        }
        Ok(self
            .inner
            .find_by_internal(record_type, internal_id)
            .map_err(failed)?
            .map(from_engine))
    }

    fn upsert(&mut self, record: &TruthRecord) -> Result<(), TruthStoreError> {
        let row = to_engine(record);
        let Some(held) = &mut self.held else {
            return self.inner.upsert(&row).map_err(failed);
        };
        let held = held.get_mut();
        held.latest
            .insert((row.kind.clone(), row.external_id.clone()), held.rows.len());
        held.rows.push(row);
        if held.rows.len() >= WRITE_BEHIND_ROWS {
            self.write_held()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), TruthStoreError> {
        self.write_held()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sage_ledger::record_types;
    use wharf_engine::storage::SqliteTruth;

    #[test]
    fn id_links_and_hash_rows_live_side_by_side() {
        let dir = tempfile::tempdir().unwrap();
        let engine: Arc<dyn storage::TruthStore> =
            Arc::new(SqliteTruth::open(&dir.path().join("truth.sqlite")).unwrap());
        let mut truth = EngineTruth::new(engine.clone());
        let link = TruthRecord {
            record_type: record_types::PRODUCT.into(),
            internal_id: "TR002".into(),
            external_id: Some("shop-17".into()),
            hash: None,
        };
        truth.upsert(&link).unwrap();
        assert_eq!(
            truth
                .find_by_internal_id(record_types::PRODUCT, "TR002")
                .unwrap(),
            Some(link.clone()),
            "without a hash row the link answers"
        );
        let hash = TruthRecord {
            record_type: record_types::PRODUCT.into(),
            internal_id: "TR002".into(),
            external_id: None,
            hash: Some("abc".into()),
        };
        truth.upsert(&hash).unwrap();
        truth
            .upsert(&TruthRecord {
                hash: Some("def".into()),
                ..hash.clone()
            })
            .unwrap();
        let found = truth
            .find_by_internal_id(record_types::PRODUCT, "TR002")
            .unwrap()
            .unwrap();
        assert_eq!(
            (found.external_id, found.hash.as_deref()),
            (None, Some("def"))
        );
        assert_eq!(
            truth
                .find_by_external_id(record_types::PRODUCT, "shop-17")
                .unwrap(),
            Some(link),
            "the hash row did not replace the link"
        );
        assert_eq!(
            engine
                .find_by_external("Zynk.Connect.Objects.Product#hash", "TR002")
                .unwrap()
                .unwrap()
                .hash
                .as_deref(),
            Some("def")
        );
    }

    #[test]
    fn written_behind_rows_are_seen_at_once_and_stored_on_flush() {
        let dir = tempfile::tempdir().unwrap();
        let engine: Arc<dyn storage::TruthStore> =
            Arc::new(SqliteTruth::open(&dir.path().join("truth.sqlite")).unwrap());
        let mut truth = EngineTruth::write_behind(engine.clone());
        let link = |record_type: &str, internal: &str, external: &str| TruthRecord {
            record_type: record_type.into(),
            internal_id: internal.into(),
            external_id: Some(external.into()),
            hash: None,
        };
        let order = |internal: &str| link(record_types::SALES_ORDER, internal, "WEB-1");
        truth.upsert(&order("0000000001")).unwrap();
        truth.upsert(&order("0000000002")).unwrap();
        assert_eq!(
            truth
                .find_by_external_id(record_types::SALES_ORDER, "WEB-1")
                .unwrap(),
            Some(order("0000000002")),
            "the latest held row answers"
        );
        assert_eq!(
            engine
                .find_by_external(record_types::SALES_ORDER, "WEB-1")
                .unwrap(),
            None,
            "held back until flushed"
        );
        truth.flush().unwrap();
        assert_eq!(
            engine
                .find_by_external(record_types::SALES_ORDER, "WEB-1")
                .unwrap()
                .map(|row| row.internal_id),
            Some("0000000002".into())
        );

        // A look-up by internal id writes what is held first.
        let customer = link(record_types::CUSTOMER, "HAR001", "C1");
        truth.upsert(&customer).unwrap();
        let found = truth.find_by_internal_id(record_types::CUSTOMER, "HAR001");
        assert_eq!(found.unwrap(), Some(customer));
        assert_eq!(engine.all().unwrap().len(), 2);
    }
}
