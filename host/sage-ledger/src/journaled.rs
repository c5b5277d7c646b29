//! [`JournaledBackend`]: the import journal (truth journal and replay marks, see `journal`)
//! beside a backend Wharf shares no transaction with — a real Sage 50 through the SDO agent.
//!
//! The embedded ledger writes a record's journal rows in the record's own transaction. Sage
//! cannot, so each journaled write goes in three steps: its staged rows are written to a local
//! SQLite journal as a *pending write* first (an order with the *posting key* it is posted
//! under, an account with its reference); then the record goes to Sage; then the rows are
//! completed with what Sage answered (the order, invoice or transaction number) and the pending
//! write removed, in one local transaction. A process killed between the steps leaves the
//! pending write; the next import resolves it from Sage before anything else — an order, an
//! invoice or a transaction by its posting key ([`SageBackend::find_order_by_key`],
//! [`SageBackend::find_invoice_by_key`], [`SageBackend::find_transaction_by_key`]), an account
//! by whether it exists — so a row is in the truth store, in the journal, or resolvable from
//! Sage from the moment its record exists (docs/sage50.md, "The order's key").

use std::path::Path;

use chrono::NaiveDateTime;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::account_refs::{AccountReferenceGenerator, NameParts};
use crate::addresses::{Address, DeliveryAddressChange};
use crate::backend::{BackendError, BackendResult, CompanyInfo, Probe, SageBackend};
use crate::customers::{Customer, MatchField, NewCustomer};
use crate::error::LedgerError;
use crate::invoices::{Invoice, InvoiceOutcome, InvoiceRequest};
use crate::journal::{ImportJournal, Journal, JournalEntry, JournalScope, Resolved, StagedTruth};
use crate::orders::{
    AllocationResult, OrderImportOptions, OrderOutcome, SalesOrder, SalesOrderRequest,
};
use crate::products::{Product, StockRecordFilter};
use crate::transactions::{PostedGroup, TransactionRequest};

const PENDING_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS pending_writes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, truth_scope TEXT, replay_key TEXT, run_id TEXT,
    staged TEXT NOT NULL, order_key TEXT, account_ref TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS journal_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
";

/// What a pending write writes (`pending_writes.kind`; journals before it had only orders,
/// with a key, and accounts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    Customer,
    Order,
    Invoice,
    Transaction,
}

impl Write {
    fn name(self) -> &'static str {
        match self {
            Write::Customer => "customer",
            Write::Order => "order",
            Write::Invoice => "invoice",
            Write::Transaction => "transaction",
        }
    }

    fn stored(name: Option<&str>, has_key: bool) -> Write {
        match name {
            Some("invoice") => Write::Invoice,
            Some("transaction") => Write::Transaction,
            Some("customer") => Write::Customer,
            Some(_) => Write::Order,
            None if has_key => Write::Order,
            None => Write::Customer,
        }
    }
}

/// A backend with the import journal kept in a local SQLite file.
pub struct JournaledBackend<B> {
    backend: B,
    conn: Connection,
    journal: Journal,
    /// Names this journal file in posting keys, so two journals never make the same key.
    journal_id: String,
}

/// One pending write, as stored.
struct Pending {
    id: i64,
    scope: JournalScope,
    staged: Vec<StagedTruth>,
    kind: Write,
    /// The posting key of an order, invoice or transaction.
    order_key: Option<String>,
    account_ref: String,
}

fn local(error: rusqlite::Error) -> BackendError {
    BackendError::Ledger(LedgerError::from(error))
}

impl<B: SageBackend> JournaledBackend<B> {
    /// Opens (creating if needed) the journal file at `path` beside `backend`.
    pub fn open(path: impl AsRef<Path>, backend: B) -> BackendResult<Self> {
        let path = path.as_ref();
        let conn = Connection::open(path).map_err(local)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(local)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(local)?;
        Self::initialise(conn, backend, &path.display().to_string())
    }

    /// A journal in memory (tests: it does not outlive the handle).
    pub fn in_memory(backend: B) -> BackendResult<Self> {
        Self::initialise(Connection::open_in_memory().map_err(local)?, backend, "")
    }

    fn initialise(mut conn: Connection, backend: B, seed: &str) -> BackendResult<Self> {
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        conn.execute_batch(crate::journal::SCHEMA).map_err(local)?;
        crate::journal::upgrade(&conn).map_err(local)?;
        conn.execute_batch(PENDING_SCHEMA).map_err(local)?;
        let has_kind: bool = conn
            .prepare("SELECT 1 FROM pragma_table_info('pending_writes') WHERE name = 'kind'")
            .and_then(|mut statement| statement.exists([]))
            .map_err(local)?;
        if !has_kind {
            conn.execute("ALTER TABLE pending_writes ADD COLUMN kind TEXT", [])
                .map_err(local)?;
        }
        let tx = conn.transaction().map_err(local)?;
        let stored: Option<String> = tx
            .query_row(
                "SELECT value FROM journal_meta WHERE key = 'journal_id'",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(local)?;
        let journal_id = match stored {
            Some(id) => id,
            None => {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|elapsed| elapsed.as_nanos())
                    .unwrap_or_default();
                let digest = Sha256::digest(format!("{seed}/{}/{nanos}", std::process::id()));
                let id = hex::encode(&digest[..4]);
                tx.execute(
                    "INSERT INTO journal_meta (key, value) VALUES ('journal_id', ?1)",
                    [&id],
                )
                .map_err(local)?;
                id
            }
        };
        tx.commit().map_err(local)?;
        Ok(JournaledBackend {
            backend,
            conn,
            journal: Journal::default(),
            journal_id,
        })
    }

    /// The backend itself.
    pub fn backend(&mut self) -> &mut B {
        &mut self.backend
    }

    /// Writes the staged rows as a pending write before the record goes to Sage; `None` when
    /// there is nothing to journal. An order, invoice or transaction without a key of its own
    /// is given a posting key.
    fn begin(
        &mut self,
        account_ref: &str,
        kind: Write,
        key: Option<&str>,
    ) -> BackendResult<Option<Pending>> {
        let staged = self.journal.take_staged();
        if !self.journal.is_on() || staged.is_empty() {
            return Ok(None);
        }
        let scope = self.journal.record_scope();
        let text = serde_json::to_string(&staged)
            .map_err(|e| BackendError::Unavailable(format!("cannot journal the record: {e}")))?;
        let tx = self.conn.transaction().map_err(local)?;
        tx.execute(
            "INSERT INTO pending_writes (truth_scope, replay_key, run_id, staged, account_ref) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![scope.truth_scope, scope.replay_key, scope.run_id, text, account_ref],
        )
        .map_err(local)?;
        let id = tx.last_insert_rowid();
        let order_key = (kind != Write::Customer)
            .then(|| key.map_or_else(|| format!("wharf-{}-{id}", self.journal_id), str::to_owned));
        tx.execute(
            "UPDATE pending_writes SET order_key = ?2, kind = ?3 WHERE id = ?1",
            params![id, order_key, kind.name()],
        )
        .map_err(local)?;
        tx.commit().map_err(local)?;
        Ok(Some(Pending {
            id,
            scope,
            staged,
            kind,
            order_key,
            account_ref: account_ref.to_owned(),
        }))
    }

    /// Journals a pending write's rows with what Sage made of the record, and removes it.
    /// `own`: the write this handle has just made (its rows are cleared with the run's);
    /// otherwise one a killed process left, written under its own scope.
    fn complete(
        &mut self,
        pending: Pending,
        resolved: &Resolved<'_>,
        own: bool,
    ) -> BackendResult<()> {
        let tx = self.conn.transaction().map_err(local)?;
        if own {
            self.journal
                .write(&tx, pending.staged, resolved)
                .map_err(BackendError::from)?;
        } else {
            Journal::with_scope(pending.scope)
                .write(&tx, pending.staged, resolved)
                .map_err(BackendError::from)?;
        }
        tx.execute("DELETE FROM pending_writes WHERE id = ?1", [pending.id])
            .map_err(local)?;
        tx.commit().map_err(local)
    }

    fn forget(&mut self, pending: &Pending) -> BackendResult<()> {
        self.conn
            .execute("DELETE FROM pending_writes WHERE id = ?1", [pending.id])
            .map_err(local)?;
        Ok(())
    }

    /// Finds out from Sage what became of a pending write: completes it if its record exists,
    /// forgets it if not.
    fn resolve(&mut self, pending: Pending, own: bool) -> BackendResult<()> {
        let key = pending.order_key.clone().unwrap_or_default();
        let found = match pending.kind {
            Write::Order => self
                .backend
                .find_order_by_key(&key)?
                .map(|order| (Some(order.order_number), order.account_ref, Vec::new())),
            Write::Invoice => self.backend.find_invoice_by_key(&key)?.map(|invoice| {
                (
                    Some(invoice.invoice_number),
                    invoice.document.account_ref,
                    Vec::new(),
                )
            }),
            // A group's lines after the first are not keyed: only the first is known then.
            Write::Transaction => self
                .backend
                .find_transaction_by_key(&key)?
                .map(|number| (None, pending.account_ref.clone(), vec![number])),
            Write::Customer => self
                .backend
                .find_customer(&pending.account_ref)?
                .map(|customer| (None, customer.account_ref, Vec::new())),
        };
        match found {
            Some((number, account, lines)) => self.complete(
                pending,
                &Resolved {
                    order_number: number,
                    account_ref: Some(&account),
                    line_numbers: &lines,
                },
                own,
            ),
            None => self.forget(&pending),
        }
    }

    /// Resolves every pending write a killed process left (see the module docs).
    fn resolve_all(&mut self) -> BackendResult<usize> {
        let pending = {
            let mut statement = self
                .conn
                .prepare(
                    "SELECT id, truth_scope, replay_key, run_id, staged, order_key, account_ref, kind FROM pending_writes ORDER BY id",
                )
                .map_err(local)?;
            let rows = statement
                .query_map([], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        JournalScope {
                            truth_scope: row.get(1)?,
                            replay_key: row.get(2)?,
                            run_id: row.get(3)?,
                        },
                        row.get::<_, String>(4)?,
                        row.get::<_, Option<String>>(5)?,
                        row.get::<_, String>(6)?,
                        row.get::<_, Option<String>>(7)?,
                    ))
                })
                .map_err(local)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(local)?
        };
        let count = pending.len();
        for (id, scope, staged, order_key, account_ref, kind) in pending {
            let staged: Vec<StagedTruth> = serde_json::from_str(&staged).map_err(|e| {
                BackendError::Unavailable(format!(
                    "the import journal's pending write {id} cannot be read ({e})"
                ))
            })?;
            self.resolve(
                Pending {
                    id,
                    scope,
                    staged,
                    kind: Write::stored(kind.as_deref(), order_key.is_some()),
                    order_key,
                    account_ref,
                },
                false,
            )?;
        }
        Ok(count)
    }

    /// Runs a customer write under a pending write: a refusal means Sage wrote nothing; any
    /// other failure leaves the pending write for the next import to resolve.
    fn customer_write(
        &mut self,
        account_ref: &str,
        write: impl FnOnce(&mut B) -> BackendResult<Customer>,
    ) -> BackendResult<Customer> {
        let pending = self.begin(account_ref, Write::Customer, None)?;
        let result = write(&mut self.backend);
        match (pending, &result) {
            (None, _) => {}
            (Some(pending), Ok(customer)) => {
                let account = customer.account_ref.clone();
                self.complete(
                    pending,
                    &Resolved {
                        order_number: None,
                        account_ref: Some(&account),
                        line_numbers: &[],
                    },
                    true,
                )?;
            }
            (Some(pending), Err(BackendError::Rejected(_))) => self.forget(&pending)?,
            (Some(_), Err(_)) => {}
        }
        result
    }
}

impl<B: SageBackend> JournaledBackend<B> {
    /// Posts an order, invoice or transaction under a posting key (the caller's, else one of
    /// this journal's), so a run killed after Sage took it finds it again. Whatever the post
    /// answers, the pending write is resolved from Sage at once when it can be (Sage may hold
    /// the record even when a later step failed); when Sage cannot be asked it waits for the
    /// next import. `answered` reads the number, account and line numbers from the outcome.
    fn keyed_write<T>(
        &mut self,
        kind: Write,
        account_ref: &str,
        key: Option<&str>,
        post: impl FnOnce(&mut B, Option<&str>) -> BackendResult<T>,
        answered: impl FnOnce(&T) -> (Option<u32>, String, Vec<u32>),
    ) -> BackendResult<T> {
        let Some(pending) = self.begin(account_ref, kind, key)? else {
            return post(&mut self.backend, key);
        };
        let result = post(&mut self.backend, pending.order_key.as_deref());
        match &result {
            Ok(outcome) => {
                let (number, account, lines) = answered(outcome);
                self.complete(
                    pending,
                    &Resolved {
                        order_number: number,
                        account_ref: Some(&account),
                        line_numbers: &lines,
                    },
                    true,
                )?;
            }
            Err(error) => {
                let what = kind.name();
                if let Err(lookup) = self.resolve(pending, true) {
                    tracing::warn!(
                        "the {what}'s post failed ({error}) and Sage could not be asked whether it took the {what} ({lookup}); the next import resolves it"
                    );
                }
            }
        }
        result
    }
}

/// The transaction's posting key: the key of its first line (a transfer's own), given to it
/// when it has none, so a crashed run finds the transaction again.
fn keyed_transaction(request: &TransactionRequest, key: &str) -> TransactionRequest {
    let mut request = request.clone();
    let slot = match &mut request {
        TransactionRequest::Account { lines, .. } | TransactionRequest::Bank { lines, .. } => {
            lines.first_mut().map(|line| &mut line.key)
        }
        TransactionRequest::Journal { lines, .. } => lines.first_mut().map(|line| &mut line.key),
        TransactionRequest::Transfer { key, .. } => Some(key),
    };
    if let Some(slot) = slot {
        slot.get_or_insert_with(|| key.to_owned());
    }
    request
}

/// The key a transaction request carries already (its first line's, a transfer's own).
fn transaction_key(request: &TransactionRequest) -> Option<&str> {
    match request {
        TransactionRequest::Account { lines, .. } | TransactionRequest::Bank { lines, .. } => {
            lines.first().and_then(|line| line.key.as_deref())
        }
        TransactionRequest::Journal { lines, .. } => {
            lines.first().and_then(|line| line.key.as_deref())
        }
        TransactionRequest::Transfer { key, .. } => key.as_deref(),
    }
}

/// The account a transaction posts to, for the pending write (journals and transfers: none).
fn transaction_account(request: &TransactionRequest) -> &str {
    match request {
        TransactionRequest::Account { account_ref, .. } => account_ref,
        TransactionRequest::Bank { bank, .. } => bank,
        TransactionRequest::Journal { .. } | TransactionRequest::Transfer { .. } => "",
    }
}

impl<B: SageBackend> ImportJournal for JournaledBackend<B> {
    fn set_journal(&mut self, scope: JournalScope) {
        self.journal.set_scope(scope);
    }

    fn stage_truth(&mut self, rows: Vec<StagedTruth>) {
        self.journal.stage(rows);
    }

    fn set_replay_record(&mut self, position: Option<usize>) {
        self.journal.set_record(position);
    }

    fn replayed(&mut self, record_type: &str, external_id: &str) -> BackendResult<Option<String>> {
        Ok(self
            .journal
            .replayed(&self.conn, record_type, external_id)?)
    }

    fn claim_replayed(&mut self, record_type: &str, external_id: &str) -> BackendResult<()> {
        Ok(self
            .journal
            .claim_replayed(&self.conn, record_type, external_id)?)
    }

    /// Resolves the pending writes a killed process left first, so their rows are listed too.
    fn truth_journal(&mut self) -> BackendResult<Vec<JournalEntry>> {
        let resolved = self.resolve_all()?;
        if resolved > 0 {
            tracing::info!(
                resolved,
                "resolved the import journal's pending writes from Sage"
            );
        }
        Ok(self.journal.entries(&self.conn)?)
    }

    fn clear_truth_journal(&mut self) -> BackendResult<()> {
        Ok(self.journal.clear(&mut self.conn)?)
    }
}

impl<B: SageBackend> SageBackend for JournaledBackend<B> {
    fn probe(&mut self) -> BackendResult<Probe> {
        self.backend.probe()
    }

    fn company(&mut self) -> BackendResult<CompanyInfo> {
        self.backend.company()
    }

    fn now(&mut self) -> BackendResult<NaiveDateTime> {
        self.backend.now()
    }

    fn find_customer(&mut self, account_ref: &str) -> BackendResult<Option<Customer>> {
        self.backend.find_customer(account_ref)
    }

    fn find_customer_matching(
        &mut self,
        criteria: &[(MatchField, String)],
        currency: Option<&str>,
    ) -> BackendResult<Option<Customer>> {
        self.backend.find_customer_matching(criteria, currency)
    }

    fn customer_template(&mut self, account_ref: &str) -> BackendResult<Customer> {
        self.backend.customer_template(account_ref)
    }

    fn create_customer(&mut self, new: &NewCustomer) -> BackendResult<Customer> {
        self.customer_write(&new.customer.account_ref, |backend| {
            backend.create_customer(new)
        })
    }

    fn update_customer(
        &mut self,
        customer: &Customer,
        delivery: Option<&DeliveryAddressChange>,
    ) -> BackendResult<Customer> {
        self.customer_write(&customer.account_ref, |backend| {
            backend.update_customer(customer, delivery)
        })
    }

    fn find_product(&mut self, stock_code: &str) -> BackendResult<Option<Product>> {
        self.backend.find_product(stock_code)
    }

    fn product_template(&mut self, stock_code: &str) -> BackendResult<Product> {
        self.backend.product_template(stock_code)
    }

    fn create_product(&mut self, product: &Product) -> BackendResult<Product> {
        self.backend.create_product(product)
    }

    /// Posts under a posting key (the caller's, else one of this journal's), so a run killed
    /// after Sage took the order finds it again. Whatever the post answers, the pending write
    /// is resolved from Sage at once when it can be (Sage may hold the order even when a later
    /// step — allocation — failed); when Sage cannot be asked it waits for the next import.
    fn post_sales_order(
        &mut self,
        key: Option<&str>,
        request: &SalesOrderRequest,
        options: &OrderImportOptions,
    ) -> BackendResult<OrderOutcome> {
        self.keyed_write(
            Write::Order,
            &request.account_ref,
            key,
            |backend, key| backend.post_sales_order(key, request, options),
            |outcome| {
                (
                    Some(outcome.order_number),
                    outcome.account_ref.clone(),
                    Vec::new(),
                )
            },
        )
    }

    fn find_sales_order(&mut self, order_number: u32) -> BackendResult<Option<SalesOrder>> {
        self.backend.find_sales_order(order_number)
    }

    fn find_order_by_key(&mut self, key: &str) -> BackendResult<Option<SalesOrder>> {
        self.backend.find_order_by_key(key)
    }

    fn allocate_order(&mut self, order_number: u32) -> BackendResult<AllocationResult> {
        self.backend.allocate_order(order_number)
    }

    fn stock_since(
        &mut self,
        since: NaiveDateTime,
        filter: StockRecordFilter,
    ) -> BackendResult<Vec<Product>> {
        self.backend.stock_since(since, filter)
    }

    fn post_invoice(
        &mut self,
        key: Option<&str>,
        request: &InvoiceRequest,
        options: &OrderImportOptions,
    ) -> BackendResult<InvoiceOutcome> {
        self.keyed_write(
            Write::Invoice,
            &request.document.account_ref,
            key,
            |backend, key| backend.post_invoice(key, request, options),
            |outcome| {
                (
                    Some(outcome.invoice_number),
                    outcome.account_ref.clone(),
                    Vec::new(),
                )
            },
        )
    }

    fn find_invoice_by_key(&mut self, key: &str) -> BackendResult<Option<Invoice>> {
        self.backend.find_invoice_by_key(key)
    }

    fn find_invoice(&mut self, invoice_number: u32) -> BackendResult<Option<Invoice>> {
        self.backend.find_invoice(invoice_number)
    }

    fn post_transaction(&mut self, request: &TransactionRequest) -> BackendResult<PostedGroup> {
        let account = transaction_account(request).to_owned();
        self.keyed_write(
            Write::Transaction,
            &account,
            transaction_key(request),
            |backend, key| match key {
                Some(key) => backend.post_transaction(&keyed_transaction(request, key)),
                None => backend.post_transaction(request),
            },
            |posted| (None, account.clone(), posted.tran_numbers.clone()),
        )
    }

    fn find_transaction_by_key(&mut self, key: &str) -> BackendResult<Option<u32>> {
        self.backend.find_transaction_by_key(key)
    }

    fn customers_since(
        &mut self,
        since: NaiveDateTime,
        new_only: bool,
    ) -> BackendResult<Vec<Customer>> {
        self.backend.customers_since(since, new_only)
    }

    fn delivery_addresses(&mut self, account_ref: &str) -> BackendResult<Vec<Address>> {
        self.backend.delivery_addresses(account_ref)
    }

    fn invoices_since(
        &mut self,
        since: NaiveDateTime,
        new_only: bool,
    ) -> BackendResult<Vec<Invoice>> {
        self.backend.invoices_since(since, new_only)
    }

    fn next_account_reference(
        &mut self,
        names: &NameParts<'_>,
        generator: &AccountReferenceGenerator,
    ) -> BackendResult<String> {
        self.backend.next_account_reference(names, generator)
    }
}
