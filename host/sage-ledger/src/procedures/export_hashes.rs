//! The rule every export shares for leaving out records that did not change since they were
//! last exported (docs/sage50-rules.md, "Exports"). A record's content hash is stored once its
//! export's file was written, stamped with that export's next cursor. The stamp matters when a
//! task is stopped after its file was written and its hashes stored, but before its cursor was
//! (the cursor is the task's state, stored when the task ends): the next export starts from the
//! old cursor again, and a hash stamped later than that cursor belongs to a file that may never
//! have gone anywhere. Such a hash does not count, so the record goes out again rather than
//! being left out for good. Hashes stored before stamps existed count as before.

use chrono::NaiveDateTime;

use crate::products::StockSelection;
use crate::truth::{TruthRecord, TruthStore, TruthStoreError};

/// The stamp's format: the cursor's own (microseconds), so a stamp and the cursor stored from
/// the same export compare equal.
const STAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6f";

/// A record an export selected: its key (the truth row's internal id), its modified stamp, its
/// content hash and the record itself.
pub(crate) struct Candidate<T> {
    pub key: String,
    pub modified: NaiveDateTime,
    pub hash: String,
    pub record: T,
}

/// What goes in the file, and what to store once it was written.
pub(crate) struct Selected<T> {
    pub kept: Vec<T>,
    pub scanned: usize,
    pub suppressed: usize,
    pub next_cursor: NaiveDateTime,
    pub hash_updates: Vec<TruthRecord>,
}

/// Keeps the candidates whose content changed since an export whose cursor was stored (all of
/// them for the All selection). `cursor` is the one the export starts from — the task's stored
/// cursor, or the first run's starting point.
pub(crate) fn select_changed<T>(
    truth: &dyn TruthStore,
    record_type: &str,
    selection: StockSelection,
    cursor: NaiveDateTime,
    run_start: NaiveDateTime,
    candidates: Vec<Candidate<T>>,
) -> Result<Selected<T>, TruthStoreError> {
    let next_cursor = candidates
        .iter()
        .map(|c| c.modified)
        .max()
        .unwrap_or(run_start);
    let stamped = |hash: &str| format!("{hash}@{}", next_cursor.format(STAMP_FORMAT));
    let scanned = candidates.len();
    let mut kept = Vec::new();
    let mut hash_updates = Vec::new();
    let mut suppressed = 0;
    for candidate in candidates {
        let previous = truth.find_by_internal_id(record_type, &candidate.key)?;
        let counts = previous
            .as_ref()
            .and_then(|row| row.hash.as_deref())
            .is_some_and(|stored| delivered_hash(stored, cursor) == Some(candidate.hash.as_str()));
        if counts && selection != StockSelection::All {
            suppressed += 1;
            continue;
        }
        if !counts {
            hash_updates.push(TruthRecord {
                record_type: record_type.to_owned(),
                internal_id: candidate.key,
                external_id: None,
                hash: Some(stamped(&candidate.hash)),
            });
        }
        kept.push(candidate.record);
    }
    Ok(Selected {
        kept,
        scanned,
        suppressed,
        next_cursor,
        hash_updates,
    })
}

/// The content hash of a stored `hash@stamp` value when its export's cursor was stored (its
/// stamp is not later than `cursor`); an unstamped value (stored before stamps) always counts.
fn delivered_hash(stored: &str, cursor: NaiveDateTime) -> Option<&str> {
    match stored.split_once('@') {
        None => Some(stored),
        Some((hash, stamp)) => NaiveDateTime::parse_from_str(stamp, STAMP_FORMAT)
            .ok()
            .filter(|stamp| *stamp <= cursor)
            .map(|_| hash),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::truth::MemoryTruthStore;
    use chrono::NaiveDate;

    fn at(hour: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, 5)
            .and_then(|d| d.and_hms_micro_opt(hour, 0, 0, 123_456))
            .unwrap()
    }

    fn candidate(modified: NaiveDateTime) -> Vec<Candidate<&'static str>> {
        vec![Candidate {
            key: "A".into(),
            modified,
            hash: "h1".into(),
            record: "A",
        }]
    }

    fn export(truth: &MemoryTruthStore, cursor: NaiveDateTime) -> Selected<&'static str> {
        select_changed(
            truth,
            "Product",
            StockSelection::Modified,
            cursor,
            at(23),
            candidate(at(9)),
        )
        .unwrap()
    }

    #[test]
    fn a_hash_counts_once_the_cursor_of_its_export_was_stored() {
        let mut truth = MemoryTruthStore::new();
        let first = export(&truth, at(1));
        assert_eq!(first.kept, ["A"]);
        for row in &first.hash_updates {
            truth.upsert(row).unwrap();
        }
        // Stopped before the cursor was stored: the next export starts from the old one and
        // writes the record again, with its hash stamped afresh.
        let again = export(&truth, at(1));
        assert_eq!((again.kept.len(), again.suppressed), (1, 0));
        assert_eq!(again.hash_updates.len(), 1);
        // Once the cursor moved to the export's next cursor, the unchanged record is left out.
        let later = export(&truth, first.next_cursor);
        assert_eq!((later.kept.len(), later.suppressed), (0, 1));
    }

    #[test]
    fn unstamped_hashes_and_unreadable_stamps() {
        assert_eq!(delivered_hash("h1", at(1)), Some("h1"));
        assert_eq!(delivered_hash("h1@not a time", at(1)), None);
        let stamp = at(9).format(STAMP_FORMAT).to_string();
        assert_eq!(delivered_hash(&format!("h1@{stamp}"), at(9)), Some("h1"));
        assert_eq!(delivered_hash(&format!("h1@{stamp}"), at(8)), None);
    }
}
