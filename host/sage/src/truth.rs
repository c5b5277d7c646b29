//! The workflow's truth store (the engine's) as the ledger procedures' [`TruthStore`].
//!
//! The two models differ in one place: the ledger keeps export hash rows keyed by internal id
//! alone (`external_id: None`), while every engine row has an external id (its key, with the
//! kind). Hash rows are therefore stored under their own kind, `<type>#hash`, with the internal
//! id as their key, so they can never replace an Id link of the same record.

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
#[derive(Clone)]
pub struct EngineTruth {
    inner: Arc<dyn storage::TruthStore>,
}

impl EngineTruth {
    pub fn new(inner: Arc<dyn storage::TruthStore>) -> Self {
        EngineTruth { inner }
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
        self.inner.upsert(&to_engine(record)).map_err(failed)
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
}
