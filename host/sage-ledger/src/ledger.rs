//! The ledger handle: opening the SQLite file, schema, seeding, time.

use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::clock::{Clock, Stamper, SystemClock};
use crate::customers::Customer;
use crate::error::LedgerResult;
use crate::journal::Journal;
use crate::products::Product;
use crate::{company, reference};

/// An emulated Sage 50 UK company held in one SQLite database.
///
/// Reads take `&self`; writes take `&mut self` and each runs in one SQLite transaction, so an
/// operation is applied whole or not at all.
pub struct Ledger {
    pub(crate) conn: Connection,
    pub(crate) stamper: Stamper,
    pub(crate) journal: Journal,
}

pub(crate) const SCHEMA_VERSION: &str = "1";

/// Prepared statements a ledger handle keeps: more than the ledger's distinct statements.
const STATEMENT_CACHE: usize = 256;

/// Tables whose SQL is not generated from a struct.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tax_codes (code INTEGER PRIMARY KEY, rate REAL NOT NULL, description TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS currencies (
    number INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE COLLATE NOCASE, name TEXT NOT NULL,
    symbol TEXT NOT NULL, exchange_rate REAL NOT NULL);
CREATE TABLE IF NOT EXISTS nominal_codes (code TEXT PRIMARY KEY, name TEXT NOT NULL, is_bank INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS delivery_addresses (
    id INTEGER PRIMARY KEY, account_ref TEXT NOT NULL COLLATE NOCASE, position INTEGER NOT NULL,
    name TEXT NOT NULL, contact_name TEXT NOT NULL, address_1 TEXT NOT NULL, address_2 TEXT NOT NULL,
    address_3 TEXT NOT NULL, address_4 TEXT NOT NULL, address_5 TEXT NOT NULL, country_code TEXT NOT NULL,
    telephone TEXT NOT NULL, fax TEXT NOT NULL, email TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS delivery_addresses_account ON delivery_addresses (account_ref, position);
CREATE TABLE IF NOT EXISTS stock_movements (
    tran_number INTEGER PRIMARY KEY, stock_code TEXT NOT NULL COLLATE NOCASE, type TEXT NOT NULL,
    date TEXT NOT NULL, quantity REAL NOT NULL, reference TEXT NOT NULL, details TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sales_orders (order_number INTEGER PRIMARY KEY, account_ref TEXT NOT NULL COLLATE NOCASE,
    data TEXT NOT NULL, created TEXT NOT NULL, modified TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sales_orders_account ON sales_orders (account_ref);
CREATE TABLE IF NOT EXISTS order_lines (
    order_number INTEGER NOT NULL, line_number INTEGER NOT NULL, stock_code TEXT NOT NULL COLLATE NOCASE,
    kind TEXT NOT NULL, qty_ordered REAL NOT NULL, qty_allocated REAL NOT NULL, qty_despatched REAL NOT NULL,
    data TEXT NOT NULL, PRIMARY KEY (order_number, line_number));
CREATE TABLE IF NOT EXISTS audit_transactions (
    tran_number INTEGER PRIMARY KEY, type TEXT NOT NULL, account_ref TEXT NOT NULL COLLATE NOCASE,
    nominal_code TEXT NOT NULL, date TEXT NOT NULL, reference TEXT NOT NULL, details TEXT NOT NULL,
    net REAL NOT NULL, tax REAL NOT NULL, gross REAL NOT NULL, order_number INTEGER);
CREATE TABLE IF NOT EXISTS order_keys (key TEXT PRIMARY KEY, order_number INTEGER NOT NULL);
";

impl Ledger {
    /// Opens (creating and seeding if needed) a ledger file, using the machine's local clock.
    /// Only what creates a company on purpose calls this (`wharf sage create-company`, test and
    /// demo set-ups); a task's import opens the company with [`Ledger::open_existing`].
    pub fn open(path: impl AsRef<Path>) -> LedgerResult<Ledger> {
        Ledger::open_file(path.as_ref(), OpenFlags::SQLITE_OPEN_CREATE)
    }

    /// Opens a ledger file that is there; a missing file is an error, never a new company (a
    /// mistyped path must not import into an empty one).
    pub fn open_existing(path: impl AsRef<Path>) -> LedgerResult<Ledger> {
        Ledger::open_file(path.as_ref(), OpenFlags::empty())
    }

    fn open_file(path: &Path, create: OpenFlags) -> LedgerResult<Ledger> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | create;
        let mut conn = Connection::open_with_flags(path, flags)?;
        // WAL + NORMAL: an order commit must not wait for a full fsync (thousands per run).
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Another process (a CLI query, a second workflow) may hold the write lock briefly.
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // A deferred transaction that reads first cannot wait for the write lock (SQLite answers
        // "database is locked" at once, busy timeout or not): every write takes it up front.
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        Ledger::initialise(conn)
    }

    /// A throw-away ledger in memory (tests, dry runs).
    pub fn open_in_memory() -> LedgerResult<Ledger> {
        Ledger::initialise(Connection::open_in_memory()?)
    }

    fn initialise(conn: Connection) -> LedgerResult<Ledger> {
        // Every statement of an import stays prepared: one sales order uses more distinct
        // statements (customer, products, order and lines, audit trail, stock, numbering,
        // journal) than rusqlite's default cache of 16 holds, so with the default each order
        // parsed and planned most of its SQL again (issue #18: ~7% of an import's CPU).
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.execute_batch(SCHEMA)?;
        conn.execute_batch(crate::journal::SCHEMA)?;
        crate::journal::upgrade(&conn)?;
        conn.execute(&Customer::create_table_sql(), [])?;
        conn.execute(&Product::create_table_sql(), [])?;
        conn.execute_batch(crate::invoices::SCHEMA)?;
        crate::audit::initialise(&conn)?;
        conn.execute(&crate::suppliers::Supplier::create_table_sql(), [])?;
        conn.execute_batch(
            "CREATE INDEX IF NOT EXISTS products_modified ON products (modified);
             CREATE INDEX IF NOT EXISTS products_created ON products (created);",
        )?;
        let version: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |row| row.get(0),
            )
            .optional()?;
        if version.is_none() {
            reference::seed(&conn)?;
            company::store(&conn, &company::CompanySettings::default())?;
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)",
                [SCHEMA_VERSION],
            )?;
        }
        let last_stamp = latest_stamp(&conn)?;
        Ok(Ledger {
            conn,
            stamper: Stamper::new(Box::new(SystemClock), last_stamp),
            journal: Journal::default(),
        })
    }

    /// Replaces the clock (tests use a [`ManualClock`](crate::ManualClock)).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Ledger {
        self.stamper.set_clock(Box::new(clock));
        self
    }

    /// The ledger's current local time: never earlier than the newest record timestamp.
    pub fn now(&self) -> NaiveDateTime {
        self.stamper.current()
    }
}

/// The newest record timestamp, so that stamps stay increasing across reopenings.
fn latest_stamp(conn: &Connection) -> LedgerResult<NaiveDateTime> {
    let newest: Option<NaiveDateTime> = conn.query_row(
        "SELECT max(stamp) FROM (SELECT max(modified) AS stamp FROM customers \
         UNION ALL SELECT max(modified) FROM products UNION ALL SELECT max(modified) FROM sales_orders)",
        [],
        |row| row.get(0),
    )?;
    Ok(newest.unwrap_or_else(|| {
        NaiveDate::from_ymd_opt(1753, 1, 1)
            .and_then(|date| date.and_hms_opt(0, 0, 0))
            .expect("a valid date")
    }))
}
