//! The truth store the caller supplies (docs/zynk-reference.md §1.8): duplicate prevention, ID mapping, export hashes.
//!
//! Scope is the caller's business: one store per workflow (truth `Profile`), as in Zynk.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Truth record types. docs/zynk-reference.md §6.14: the docs spell the type both `Zynk.Connect.Sage50.Objects.X` and
/// `Zynk.Connect.Objects.X`; the Connect XML object name is used, as the Export Truth Records
/// sample shows.
pub mod record_types {
    pub const SALES_ORDER: &str = "Zynk.Connect.Objects.SalesOrder";
    pub const CUSTOMER: &str = "Zynk.Connect.Objects.Customer";
    pub const PRODUCT: &str = "Zynk.Connect.Objects.Product";
    pub const INVOICE: &str = "Zynk.Connect.Objects.Invoice";
    pub const TRANSACTION: &str = "Zynk.Connect.Objects.Transaction";
}

/// One truth row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthRecord {
    pub record_type: String,
    /// Key in Sage (order number `0000000156`, account reference, product code).
    pub internal_id: String,
    /// Key from the external system (the record's `<Id>`); `None` for export-only rows.
    pub external_id: Option<String>,
    /// Content hash of the last export of this record.
    pub hash: Option<String>,
}

/// The store could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("the truth store failed: {0}")]
pub struct TruthStoreError(pub String);

/// Truth rows of one workflow.
pub trait TruthStore {
    fn find_by_external_id(
        &self,
        record_type: &str,
        external_id: &str,
    ) -> Result<Option<TruthRecord>, TruthStoreError>;

    fn find_by_internal_id(
        &self,
        record_type: &str,
        internal_id: &str,
    ) -> Result<Option<TruthRecord>, TruthStoreError>;

    /// Inserts or replaces. A record with an external id replaces the row with the same type and
    /// external id; one without replaces the row with the same type and internal id.
    fn upsert(&mut self, record: &TruthRecord) -> Result<(), TruthStoreError>;

    /// Writes the upserts a store holds back, if it defers them (lookups see them already).
    /// The imports that journal their truth rows call it before clearing the journal rows
    /// that cover them, so a deferred row is always in the store or in the journal.
    fn flush(&mut self) -> Result<(), TruthStoreError> {
        Ok(())
    }
}

/// An in-memory truth store (tests, dry runs; serialisable to persist between runs).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MemoryTruthStore {
    records: Vec<TruthRecord>,
    /// Lookup indexes; rebuilt on the first write after deserialisation, scans until then.
    #[serde(skip)]
    indexed: bool,
    #[serde(skip)]
    by_external: HashMap<(String, String), usize>,
    /// The latest row for each internal id.
    #[serde(skip)]
    by_internal: HashMap<(String, String), usize>,
}

impl MemoryTruthStore {
    pub fn new() -> Self {
        MemoryTruthStore::default()
    }

    pub fn records(&self) -> &[TruthRecord] {
        &self.records
    }

    /// Removes the row for an external id (Zynk's Delete Truth Record); true if one was removed.
    pub fn delete_by_external_id(&mut self, record_type: &str, external_id: &str) -> bool {
        let before = self.records.len();
        self.records.retain(|record| {
            !(record.record_type == record_type
                && record.external_id.as_deref() == Some(external_id))
        });
        let removed = self.records.len() != before;
        self.reindex();
        removed
    }

    fn reindex(&mut self) {
        self.by_external.clear();
        self.by_internal.clear();
        for index in 0..self.records.len() {
            self.index(index);
        }
        self.indexed = true;
    }

    fn index(&mut self, index: usize) {
        let record = &self.records[index];
        if let Some(external) = &record.external_id {
            self.by_external
                .insert((record.record_type.clone(), external.clone()), index);
        }
        self.by_internal.insert(
            (record.record_type.clone(), record.internal_id.clone()),
            index,
        );
    }

    fn key(record_type: &str, id: &str) -> (String, String) {
        (record_type.to_owned(), id.to_owned())
    }
}

impl TruthStore for MemoryTruthStore {
    fn find_by_external_id(
        &self,
        record_type: &str,
        external_id: &str,
    ) -> Result<Option<TruthRecord>, TruthStoreError> {
        if !self.indexed {
            return Ok(self
                .records
                .iter()
                .find(|r| {
                    r.record_type == record_type && r.external_id.as_deref() == Some(external_id)
                })
                .cloned());
        }
        Ok(self
            .by_external
            .get(&Self::key(record_type, external_id))
            .map(|&index| self.records[index].clone()))
    }

    fn find_by_internal_id(
        &self,
        record_type: &str,
        internal_id: &str,
    ) -> Result<Option<TruthRecord>, TruthStoreError> {
        if !self.indexed {
            return Ok(self
                .records
                .iter()
                .rev()
                .find(|r| r.record_type == record_type && r.internal_id == internal_id)
                .cloned());
        }
        Ok(self
            .by_internal
            .get(&Self::key(record_type, internal_id))
            .map(|&index| self.records[index].clone()))
    }

    fn upsert(&mut self, record: &TruthRecord) -> Result<(), TruthStoreError> {
        if !self.indexed {
            self.reindex();
        }
        let existing = match &record.external_id {
            Some(external) => self
                .by_external
                .get(&Self::key(&record.record_type, external))
                .copied(),
            None => self
                .by_internal
                .get(&Self::key(&record.record_type, &record.internal_id))
                .copied()
                .filter(|&index| self.records[index].external_id.is_none()),
        };
        match existing {
            Some(index) => {
                self.records[index] = record.clone();
                // The internal id may have changed: rebuild rather than patch.
                self.reindex();
            }
            None => {
                self.records.push(record.clone());
                self.index(self.records.len() - 1);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(internal: &str, external: Option<&str>, hash: Option<&str>) -> TruthRecord {
        TruthRecord {
            record_type: record_types::CUSTOMER.into(),
            internal_id: internal.into(),
            external_id: external.map(Into::into),
            hash: hash.map(Into::into),
        }
    }

    #[test]
    fn upsert_replaces_by_external_id_or_by_internal_id() {
        let mut store = MemoryTruthStore::new();
        store.upsert(&row("ABC001", Some("1"), None)).unwrap();
        store.upsert(&row("ABC002", Some("1"), None)).unwrap();
        assert_eq!(store.records().len(), 1);
        let found = store
            .find_by_external_id(record_types::CUSTOMER, "1")
            .unwrap()
            .unwrap();
        assert_eq!(found.internal_id, "ABC002");
        store.upsert(&row("ABC002", None, Some("h1"))).unwrap();
        store.upsert(&row("ABC002", None, Some("h2"))).unwrap();
        assert_eq!(
            store.records().len(),
            2,
            "a hash row does not replace the Id link"
        );
        let latest = store
            .find_by_internal_id(record_types::CUSTOMER, "ABC002")
            .unwrap()
            .unwrap();
        assert_eq!(latest.hash.as_deref(), Some("h2"));
    }

    #[test]
    fn a_deserialised_store_answers_before_and_after_writes() {
        let mut store = MemoryTruthStore::new();
        store.upsert(&row("ABC001", Some("1"), None)).unwrap();
        let json = serde_json::to_string(&store).unwrap();
        let mut restored: MemoryTruthStore = serde_json::from_str(&json).unwrap();
        assert!(
            restored
                .find_by_external_id(record_types::CUSTOMER, "1")
                .unwrap()
                .is_some()
        );
        restored.upsert(&row("ABC009", Some("9"), None)).unwrap();
        assert!(
            restored
                .find_by_external_id(record_types::CUSTOMER, "1")
                .unwrap()
                .is_some()
        );
        assert!(
            restored
                .find_by_external_id(record_types::CUSTOMER, "9")
                .unwrap()
                .is_some()
        );
    }
}
