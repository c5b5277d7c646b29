//! The truth journal: truth rows written in the same SQLite transaction as the ledger change
//! they describe, so that a process killed between the two stores loses nothing.
//!
//! The truth store (per workflow) and the ledger (per company) are separate databases, so an
//! import cannot post an order and record its truth row atomically. Without help, a kill after
//! the order's commit and before its truth row would let the next run import the order again.
//! With a journal scope set ([`Ledger::set_truth_journal`]), the procedures stage the truth rows
//! of each record before its ledger write; the write journals them with its own commit. The
//! procedures replay a scope's journal into the truth store at the start of every run and clear
//! it once the run has written the rows itself. A row is therefore in the truth store, or in
//! the journal waiting to be replayed, from the moment its ledger change exists.
//!
//! Replay marks close the other gap: a run killed after an order went in, but before the
//! workflow saw the outcome, is resumed by a run that imports the same document again. With a
//! replay key set ([`Ledger::set_replay_key`]: the resumed run's lineage and the document), each
//! write also records which records it posted under that key. A record found in the truth
//! store is then a duplicate to reject — unless its mark carries the same key, in which case it
//! is the resumed run seeing its own earlier import, and is reported as imported again.
//!
//! A mark also names the run that wrote or last replayed it ([`Ledger::set_replay_run`]). Only
//! a mark of *another* run of the lineage is a replay, and a run claims each mark it replays:
//! the same record met again in the same run (a second copy in the file, or a second file with
//! the same bytes) is a duplicate, not a replay. The key also holds the record's position in
//! the document ([`Ledger::set_replay_record`]), so a replay is that very record again — not
//! another copy of its Id — and a record without an Id can be recognised too (its mark is
//! `replay_only`: it has no truth row).

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::backend::BackendResult;
use crate::error::LedgerResult;
use crate::ledger::Ledger;
use crate::truth::TruthRecord;

/// What a staged row's internal id will be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum JournalKey {
    /// Known before the write (an account reference chosen by the import).
    Text(String),
    /// The number the next write assigns its record (a sales order's or an invoice's number),
    /// as a 10-digit truth id (`0000000156`).
    NewOrderNumber,
    /// The transaction number the next transaction write gives its line `n` (0-based: a
    /// group's records in order), as a 10-digit truth id.
    LineNumber(usize),
    /// The account the next write creates, changes or posts an order to.
    Account,
}

/// A truth row to journal with the next customer or order write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagedTruth {
    pub record_type: String,
    pub external_id: String,
    pub internal_id: JournalKey,
    /// Only a replay mark, no truth row: a record without an Id has nothing for the truth
    /// store, but a resumed run must still recognise it (by its position in the document).
    pub replay_only: bool,
}

/// A journaled row and its position in the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    pub sequence: i64,
    pub record: TruthRecord,
}

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS truth_journal (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT, scope TEXT NOT NULL, record_type TEXT NOT NULL,
    internal_id TEXT NOT NULL, external_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS truth_journal_scope ON truth_journal (scope, sequence);
CREATE TABLE IF NOT EXISTS replay_marks (
    replay_key TEXT NOT NULL, record_type TEXT NOT NULL, external_id TEXT NOT NULL,
    internal_id TEXT NOT NULL, run_id TEXT, PRIMARY KEY (replay_key, record_type, external_id));
";

/// Adds what later versions added to the journal tables of an older ledger file.
pub(crate) fn upgrade(conn: &Connection) -> rusqlite::Result<()> {
    let has_run: bool = conn
        .prepare("SELECT 1 FROM pragma_table_info('replay_marks') WHERE name = 'run_id'")?
        .exists([])?;
    if !has_run {
        conn.execute("ALTER TABLE replay_marks ADD COLUMN run_id TEXT", [])?;
    }
    Ok(())
}

/// Which journal an import writes: set by the caller before each import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalScope {
    /// Names the truth store the journaled rows belong to (e.g. the workflow's data folder);
    /// `None`: no truth journal.
    pub truth_scope: Option<String>,
    /// The resumed run's lineage and the document (see the module docs); `None`: no marks.
    pub replay_key: Option<String>,
    /// The run writing now: marks it wrote or claimed are not replays for it.
    pub run_id: Option<String>,
}

/// What makes an import safe to repeat on a backend: the truth journal and the replay marks
/// (the module docs). The embedded [`Ledger`] writes both in the record's own transaction;
/// [`JournaledBackend`](crate::JournaledBackend) keeps them beside any other backend.
pub trait ImportJournal {
    /// Sets the truth scope, replay key and run for the imports that follow.
    fn set_journal(&mut self, scope: JournalScope);

    /// Stages truth rows for the next customer or sales order write (replacing any staged).
    fn stage_truth(&mut self, rows: Vec<StagedTruth>);

    /// Names the position in the document of the record written next.
    fn set_replay_record(&mut self, position: Option<usize>);

    /// The internal id an interrupted run of this lineage gave the record (see
    /// [`Ledger::replayed`]).
    fn replayed(&mut self, record_type: &str, external_id: &str) -> BackendResult<Option<String>>;

    /// Takes the mark of a record the current run has just replayed.
    fn claim_replayed(&mut self, record_type: &str, external_id: &str) -> BackendResult<()>;

    /// The journaled rows of the current scope, oldest first, to replay into the truth store.
    fn truth_journal(&mut self) -> BackendResult<Vec<JournalEntry>>;

    /// Forgets the rows replayed or journaled so far: call once the truth store holds them.
    fn clear_truth_journal(&mut self) -> BackendResult<()>;
}

/// The journal state of one ledger handle.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    scope: Option<String>,
    replay_key: Option<String>,
    /// The run writing now: marks it wrote or claimed are not replays for it.
    replay_run: Option<String>,
    /// The position in the document of the record being written, part of its mark's key.
    replay_record: Option<usize>,
    staged: Vec<StagedTruth>,
    /// Sequences this handle journaled or replayed and has not cleared yet.
    pending: Vec<i64>,
}

/// The values the write that consumes the staged rows resolves their keys with.
pub(crate) struct Resolved<'a> {
    /// The order's or invoice's number.
    pub order_number: Option<u32>,
    pub account_ref: Option<&'a str>,
    /// A transaction write's number of each line.
    pub line_numbers: &'a [u32],
}

impl Journal {
    /// A journal writing under `scope`, its record position unset.
    pub(crate) fn with_scope(scope: JournalScope) -> Journal {
        let mut journal = Journal::default();
        journal.set_scope(scope);
        journal
    }

    pub(crate) fn set_scope(&mut self, scope: JournalScope) {
        self.scope = scope.truth_scope;
        self.replay_key = scope.replay_key;
        self.replay_run = scope.run_id;
        self.staged.clear();
        self.pending.clear();
    }

    /// The scope as it stands for the record written next: its replay key includes the
    /// record's position (so a copy can write that record's marks later, position unset).
    pub(crate) fn record_scope(&self) -> JournalScope {
        JournalScope {
            truth_scope: self.scope.clone(),
            replay_key: self.record_key(),
            run_id: self.replay_run.clone(),
        }
    }

    /// Whether a write journals anything (a truth scope or a replay key is set).
    pub(crate) fn is_on(&self) -> bool {
        self.scope.is_some() || self.replay_key.is_some()
    }

    pub(crate) fn set_record(&mut self, position: Option<usize>) {
        self.replay_record = position;
    }

    pub(crate) fn stage(&mut self, rows: Vec<StagedTruth>) {
        self.staged = rows;
    }

    /// The replay key of the record being written: the document's key and its position.
    fn record_key(&self) -> Option<String> {
        let key = self.replay_key.as_ref()?;
        Some(match self.replay_record {
            Some(position) => format!("{key}#{position}"),
            None => key.clone(),
        })
    }

    /// Takes the staged rows: a write consumes them whether it commits or is rejected.
    pub(crate) fn take_staged(&mut self) -> Vec<StagedTruth> {
        std::mem::take(&mut self.staged)
    }

    /// Journals `staged` inside the caller's transaction (nothing without a scope).
    pub(crate) fn write(
        &mut self,
        conn: &Connection,
        staged: Vec<StagedTruth>,
        resolved: &Resolved<'_>,
    ) -> LedgerResult<()> {
        if self.scope.is_none() && self.replay_key.is_none() {
            return Ok(());
        }
        let mut insert = conn.prepare_cached(
            "INSERT INTO truth_journal (scope, record_type, internal_id, external_id) VALUES (?1, ?2, ?3, ?4)",
        )?;
        let mut mark = conn.prepare_cached(
            "INSERT OR REPLACE INTO replay_marks (replay_key, record_type, external_id, internal_id, run_id) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let replay_key = self.record_key();
        for row in staged {
            let internal_id = match row.internal_id {
                JournalKey::Text(text) => text,
                JournalKey::NewOrderNumber => match resolved.order_number {
                    Some(number) => format!("{number:010}"),
                    None => continue,
                },
                JournalKey::LineNumber(line) => match resolved.line_numbers.get(line) {
                    Some(number) => format!("{number:010}"),
                    None => continue,
                },
                JournalKey::Account => match resolved.account_ref {
                    Some(account) => account.to_owned(),
                    None => continue,
                },
            };
            if let Some(key) = &replay_key {
                mark.execute(params![
                    key,
                    row.record_type,
                    row.external_id,
                    internal_id,
                    self.replay_run
                ])?;
            }
            if let Some(scope) = self.scope.as_ref().filter(|_| !row.replay_only) {
                insert.execute(params![
                    scope,
                    row.record_type,
                    internal_id,
                    row.external_id
                ])?;
                self.pending.push(conn.last_insert_rowid());
            }
        }
        Ok(())
    }
}

impl Journal {
    /// See [`Ledger::replayed`].
    pub(crate) fn replayed(
        &self,
        conn: &Connection,
        record_type: &str,
        external_id: &str,
    ) -> LedgerResult<Option<String>> {
        let Some(key) = self.record_key() else {
            return Ok(None);
        };
        let mut statement = conn.prepare_cached(
            "SELECT internal_id, run_id FROM replay_marks WHERE replay_key = ?1 AND record_type = ?2 AND external_id = ?3",
        )?;
        let mut rows = statement.query(params![key, record_type, external_id])?;
        let Some(row) = rows.next()? else {
            return Ok(None);
        };
        let written_by: Option<String> = row.get(1)?;
        let current = self.replay_run.as_deref();
        if current.is_some() && written_by.as_deref() == current {
            return Ok(None);
        }
        Ok(Some(row.get(0)?))
    }

    /// See [`Ledger::claim_replayed`].
    pub(crate) fn claim_replayed(
        &self,
        conn: &Connection,
        record_type: &str,
        external_id: &str,
    ) -> LedgerResult<()> {
        let (Some(key), Some(run)) = (self.record_key(), &self.replay_run) else {
            return Ok(());
        };
        conn.prepare_cached(
            "UPDATE replay_marks SET run_id = ?4 WHERE replay_key = ?1 AND record_type = ?2 AND external_id = ?3",
        )?
        .execute(params![key, record_type, external_id, run])?;
        Ok(())
    }

    /// See [`Ledger::truth_journal`].
    pub(crate) fn entries(&mut self, conn: &Connection) -> LedgerResult<Vec<JournalEntry>> {
        let Some(scope) = self.scope.clone() else {
            return Ok(Vec::new());
        };
        let mut statement = conn.prepare_cached(
            "SELECT sequence, record_type, internal_id, external_id FROM truth_journal WHERE scope = ?1 ORDER BY sequence",
        )?;
        let rows = statement.query_map([scope], |row| {
            Ok(JournalEntry {
                sequence: row.get(0)?,
                record: TruthRecord {
                    record_type: row.get(1)?,
                    internal_id: row.get(2)?,
                    external_id: Some(row.get(3)?),
                    hash: None,
                },
            })
        })?;
        let entries: Vec<JournalEntry> = rows.collect::<Result<_, _>>()?;
        self.pending
            .extend(entries.iter().map(|entry| entry.sequence));
        Ok(entries)
    }

    /// See [`Ledger::clear_truth_journal`].
    pub(crate) fn clear(&mut self, conn: &mut Connection) -> LedgerResult<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        let tx = conn.transaction()?;
        {
            let mut delete = tx.prepare_cached("DELETE FROM truth_journal WHERE sequence = ?1")?;
            for sequence in &pending {
                delete.execute([sequence])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

impl Ledger {
    /// Turns journaling on under `scope` (one per truth store, e.g. the workflow's data folder)
    /// or off with `None`. Off is the default: plain ledger use does not need it.
    pub fn set_truth_journal(&mut self, scope: Option<String>) {
        self.journal.scope = scope;
        self.journal.staged.clear();
        self.journal.pending.clear();
    }

    /// Marks every later write with `key` (or stops marking with `None`); see the module docs.
    pub fn set_replay_key(&mut self, key: Option<String>) {
        self.journal.replay_key = key;
    }

    /// Names the position in the document of the record written next (`None`: no position).
    /// A mark then names that record, not only its Id: a replay is the same record again.
    pub fn set_replay_record(&mut self, position: Option<usize>) {
        self.journal.replay_record = position;
    }

    /// Names the run that writes from now on (`None`: unknown, every mark is another run's).
    pub fn set_replay_run(&mut self, run: Option<String>) {
        self.journal.replay_run = run;
    }

    /// The internal id a write under the current replay key gave the record `external_id` of
    /// `record_type`, if one did in another run than the current one and no write or claim of
    /// the current run has taken the mark since.
    pub fn replayed(&self, record_type: &str, external_id: &str) -> LedgerResult<Option<String>> {
        self.journal.replayed(&self.conn, record_type, external_id)
    }

    /// Takes the mark of a record the current run has just replayed, so that meeting the record
    /// again in this run is a duplicate (see the module docs).
    pub fn claim_replayed(&mut self, record_type: &str, external_id: &str) -> LedgerResult<()> {
        self.journal
            .claim_replayed(&self.conn, record_type, external_id)
    }

    /// The scope journaling is on for.
    pub fn truth_journal_scope(&self) -> Option<&str> {
        self.journal.scope.as_deref()
    }

    /// Stages truth rows for the next customer or sales order write (replacing any staged).
    pub fn stage_truth(&mut self, rows: Vec<StagedTruth>) {
        self.journal.stage(rows);
    }

    /// The journaled rows of the current scope, oldest first. Rows replayed through here count
    /// as this handle's until [`Ledger::clear_truth_journal`].
    pub fn truth_journal(&mut self) -> LedgerResult<Vec<JournalEntry>> {
        self.journal.entries(&self.conn)
    }

    /// Forgets the rows this handle journaled or replayed: call once the truth store holds them.
    pub fn clear_truth_journal(&mut self) -> LedgerResult<()> {
        self.journal.clear(&mut self.conn)
    }
}

/// The embedded ledger journals in each record's own transaction.
impl ImportJournal for Ledger {
    fn set_journal(&mut self, scope: JournalScope) {
        self.journal.set_scope(scope);
    }

    fn stage_truth(&mut self, rows: Vec<StagedTruth>) {
        Ledger::stage_truth(self, rows);
    }

    fn set_replay_record(&mut self, position: Option<usize>) {
        Ledger::set_replay_record(self, position);
    }

    fn replayed(&mut self, record_type: &str, external_id: &str) -> BackendResult<Option<String>> {
        Ok(Ledger::replayed(self, record_type, external_id)?)
    }

    fn claim_replayed(&mut self, record_type: &str, external_id: &str) -> BackendResult<()> {
        Ok(Ledger::claim_replayed(self, record_type, external_id)?)
    }

    fn truth_journal(&mut self) -> BackendResult<Vec<JournalEntry>> {
        Ok(Ledger::truth_journal(self)?)
    }

    fn clear_truth_journal(&mut self) -> BackendResult<()> {
        Ok(Ledger::clear_truth_journal(self)?)
    }
}
