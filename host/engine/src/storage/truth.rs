//! Truth records in SQLite (docs/zynk-reference.md §1.8), one database per workflow.

use super::{StorageError, TruthRecord, TruthStore};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

pub struct SqliteTruth {
    conn: Mutex<Connection>,
}

impl SqliteTruth {
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        let conn = Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL;
             PRAGMA synchronous=NORMAL;
             PRAGMA busy_timeout=5000;
             CREATE TABLE IF NOT EXISTS truth (
                kind TEXT NOT NULL,
                internal_id TEXT NOT NULL,
                external_id TEXT NOT NULL,
                hash TEXT,
                created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
                modified TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
                PRIMARY KEY (kind, external_id)
             );
             CREATE INDEX IF NOT EXISTS truth_internal ON truth(kind, internal_id);",
        )?;
        Ok(SqliteTruth {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent; keep going.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn find(&self, sql: &str, kind: &str, id: &str) -> Result<Option<TruthRecord>, StorageError> {
        Ok(self
            .conn()
            .prepare_cached(sql)?
            .query_row(params![kind, id], truth_row)
            .optional()?)
    }
}

/// A row of `SELECT kind, internal_id, external_id, hash`.
fn truth_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TruthRecord> {
    Ok(TruthRecord {
        kind: r.get(0)?,
        internal_id: r.get(1)?,
        external_id: r.get(2)?,
        hash: r.get(3)?,
    })
}

fn upsert(conn: &Connection, r: &TruthRecord) -> Result<(), StorageError> {
    conn.prepare_cached(
        "INSERT INTO truth(kind, internal_id, external_id, hash) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(kind, external_id) DO UPDATE SET internal_id=excluded.internal_id,
            hash=excluded.hash, modified=strftime('%Y-%m-%dT%H:%M:%fZ','now')",
    )?
    .execute(params![r.kind, r.internal_id, r.external_id, r.hash])?;
    Ok(())
}

impl TruthStore for SqliteTruth {
    fn find_by_external(
        &self,
        kind: &str,
        external_id: &str,
    ) -> Result<Option<TruthRecord>, StorageError> {
        self.find(
            "SELECT kind, internal_id, external_id, hash FROM truth WHERE kind=?1 AND external_id=?2",
            kind,
            external_id,
        )
    }

    fn find_by_internal(
        &self,
        kind: &str,
        internal_id: &str,
    ) -> Result<Option<TruthRecord>, StorageError> {
        self.find(
            "SELECT kind, internal_id, external_id, hash FROM truth WHERE kind=?1 AND internal_id=?2 ORDER BY created LIMIT 1",
            kind,
            internal_id,
        )
    }

    fn upsert(&self, r: &TruthRecord) -> Result<(), StorageError> {
        upsert(&self.conn(), r)
    }

    /// One transaction for all: a commit per row costs more than the row (issue #18).
    fn upsert_all(&self, records: &[TruthRecord]) -> Result<(), StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for r in records {
            upsert(&tx, r)?;
        }
        tx.commit()?;
        Ok(())
    }

    fn remove(&self, kind: &str, external_id: &str) -> Result<(), StorageError> {
        self.conn().execute(
            "DELETE FROM truth WHERE kind=?1 AND external_id=?2",
            params![kind, external_id],
        )?;
        Ok(())
    }

    fn all(&self) -> Result<Vec<TruthRecord>, StorageError> {
        let conn = self.conn();
        let mut query = conn.prepare(
            "SELECT kind, internal_id, external_id, hash FROM truth ORDER BY kind, external_id",
        )?;
        let rows = query.query_map([], truth_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// A workflow's truth store, opened on its first use: most runs look no record up, and opening
/// SQLite (the file, its WAL and shared memory, the schema check) is a good part of a cold start
/// (tests/bench/README.md). An error opening it is the error of that first use.
pub struct LazySqliteTruth {
    path: PathBuf,
    opened: OnceLock<SqliteTruth>,
}

impl LazySqliteTruth {
    pub fn new(path: PathBuf) -> Self {
        LazySqliteTruth {
            path,
            opened: OnceLock::new(),
        }
    }

    fn store(&self) -> Result<&SqliteTruth, StorageError> {
        if let Some(opened) = self.opened.get() {
            return Ok(opened);
        }
        // Two first uses at once may both open it; one connection is kept.
        let opened = SqliteTruth::open(&self.path)?;
        Ok(self.opened.get_or_init(|| opened))
    }
}

impl TruthStore for LazySqliteTruth {
    fn find_by_external(
        &self,
        kind: &str,
        external_id: &str,
    ) -> Result<Option<TruthRecord>, StorageError> {
        self.store()?.find_by_external(kind, external_id)
    }

    fn find_by_internal(
        &self,
        kind: &str,
        internal_id: &str,
    ) -> Result<Option<TruthRecord>, StorageError> {
        self.store()?.find_by_internal(kind, internal_id)
    }

    fn upsert(&self, record: &TruthRecord) -> Result<(), StorageError> {
        self.store()?.upsert(record)
    }

    fn upsert_all(&self, records: &[TruthRecord]) -> Result<(), StorageError> {
        self.store()?.upsert_all(records)
    }

    fn remove(&self, kind: &str, external_id: &str) -> Result<(), StorageError> {
        self.store()?.remove(kind, external_id)
    }

    fn all(&self) -> Result<Vec<TruthRecord>, StorageError> {
        self.store()?.all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upsert_find_remove() {
        let dir = tempfile::tempdir().unwrap();
        let t = SqliteTruth::open(&dir.path().join("t.sqlite")).unwrap();
        let rec = TruthRecord {
            kind: "SalesOrder".into(),
            internal_id: "0000000156".into(),
            external_id: "WEB-1".into(),
            hash: None,
        };
        t.upsert(&rec).unwrap();
        assert_eq!(
            t.find_by_external("SalesOrder", "WEB-1").unwrap(),
            Some(rec.clone())
        );
        assert_eq!(
            t.find_by_internal("SalesOrder", "0000000156").unwrap(),
            Some(rec.clone())
        );
        assert_eq!(t.find_by_external("Customer", "WEB-1").unwrap(), None);
        t.upsert(&TruthRecord {
            hash: Some("h".into()),
            ..rec.clone()
        })
        .unwrap();
        assert_eq!(
            t.find_by_external("SalesOrder", "WEB-1")
                .unwrap()
                .unwrap()
                .hash
                .as_deref(),
            Some("h")
        );
        t.remove("SalesOrder", "WEB-1").unwrap();
        assert_eq!(t.find_by_external("SalesOrder", "WEB-1").unwrap(), None);
    }

    #[test]
    fn upsert_all_writes_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let t = SqliteTruth::open(&dir.path().join("t.sqlite")).unwrap();
        let row = |external: &str, internal: &str| TruthRecord {
            kind: "SalesOrder".into(),
            internal_id: internal.into(),
            external_id: external.into(),
            hash: None,
        };
        t.upsert_all(&[row("WEB-1", "1"), row("WEB-2", "2"), row("WEB-1", "3")])
            .unwrap();
        assert_eq!(
            t.find_by_external("SalesOrder", "WEB-1").unwrap(),
            Some(row("WEB-1", "3")),
            "a later row replaces an earlier one"
        );
        assert_eq!(t.all().unwrap(), vec![row("WEB-1", "3"), row("WEB-2", "2")]);
    }

    #[test]
    fn the_lazy_store_opens_on_first_use_and_forwards_every_call() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite");
        let t = LazySqliteTruth::new(path.clone());
        assert!(!path.exists(), "nothing is opened before a first use");
        let row = |external: &str, internal: &str| TruthRecord {
            kind: "Customer".into(),
            internal_id: internal.into(),
            external_id: external.into(),
            hash: Some("h".into()),
        };
        assert_eq!(t.find_by_external("Customer", "C1").unwrap(), None);
        assert!(path.exists(), "the first look-up opened it");
        t.upsert(&row("C1", "A1")).unwrap();
        t.upsert_all(&[row("C2", "A2"), row("C3", "A3")]).unwrap();
        t.remove("Customer", "C3").unwrap();
        assert_eq!(
            t.find_by_internal("Customer", "A2").unwrap(),
            Some(row("C2", "A2"))
        );
        assert_eq!(t.all().unwrap(), vec![row("C1", "A1"), row("C2", "A2")]);
        // The same file as the eager store sees.
        let eager = SqliteTruth::open(&path).unwrap();
        assert_eq!(eager.all().unwrap(), t.all().unwrap());
    }

    #[test]
    fn a_lazy_store_that_cannot_open_fails_its_first_use() {
        let dir = tempfile::tempdir().unwrap();
        let t = LazySqliteTruth::new(dir.path().join("missing-folder/t.sqlite"));
        assert!(matches!(
            t.find_by_external("Customer", "C1"),
            Err(StorageError::Truth(_))
        ));
    }
}
