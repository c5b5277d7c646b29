//! The audit trail of posted transactions (docs/sage50.md "Audit trail"): each transaction with
//! its splits, the nominal ledger postings it makes (double entry: every transaction's debits
//! equal its credits), account balances, and allocations of receipts and credits to invoices.
//!
//! Order receipts (`payments`) write the same `audit_transactions` table; the columns added
//! here default so that their rows read back too.

use chrono::NaiveDateTime;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::error::{LedgerResult, Rejection};
use crate::ledger::Ledger;
use crate::sql::{fit, round_money, text_enum};
use crate::{customers, limits, suppliers};

/// Sage's control accounts the postings use (its default chart of accounts).
pub const DEBTORS_CONTROL: &str = "1100";
pub const CREDITORS_CONTROL: &str = "2100";
pub const SALES_TAX_CONTROL: &str = "2200";
pub const PURCHASE_TAX_CONTROL: &str = "2201";

text_enum! {
    /// Sage's audit-trail transaction types.
    #[allow(clippy::upper_case_acronyms)]
    pub enum TranType {
        /// Sales invoice.
        SI,
        /// Sales credit note.
        SC,
        /// Sales receipt (allocated).
        SR,
        /// Sales receipt on account.
        SA,
        /// Sales payment (a refund to a customer).
        SP,
        /// Purchase invoice.
        PI,
        /// Purchase credit note.
        PC,
        /// Purchase payment (allocated).
        PP,
        /// Purchase payment on account.
        PA,
        /// Purchase receipt (a refund from a supplier).
        PR,
        /// Bank receipt.
        BR,
        /// Bank payment.
        BP,
        /// Journal debit.
        JD,
        /// Journal credit.
        JC,
    }
}

/// Whose balance a transaction type moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerSide {
    Customer,
    Supplier,
    /// Bank and nominal transactions: no account balance.
    Nominal,
}

impl TranType {
    pub fn side(self) -> LedgerSide {
        use TranType::*;
        match self {
            SI | SC | SR | SA | SP => LedgerSide::Customer,
            PI | PC | PP | PA | PR => LedgerSide::Supplier,
            BR | BP | JD | JC => LedgerSide::Nominal,
        }
    }

    /// Invoices, credits and payments on account stay outstanding until allocated.
    pub fn is_allocatable(self) -> bool {
        use TranType::*;
        matches!(self, SI | SC | SR | SA | PI | PC | PP | PA)
    }

    /// The invoice type a credit or payment of this type is allocated against.
    pub fn allocates_against(self) -> Option<TranType> {
        use TranType::*;
        match self {
            SC | SR | SA => Some(SI),
            PC | PP | PA => Some(PI),
            _ => None,
        }
    }

    /// Whether the type is paid through a bank account (receipts, payments).
    pub fn uses_bank(self) -> bool {
        use TranType::*;
        matches!(self, SR | SA | SP | PP | PA | PR | BR | BP)
    }

    /// The account the gross amount posts to, and whether it is debited. `None` for journals,
    /// whose single split is the whole posting.
    fn gross_posting(self, bank: &str) -> Option<(String, bool)> {
        use TranType::*;
        Some(match self {
            SI => (DEBTORS_CONTROL.into(), true),
            SC => (DEBTORS_CONTROL.into(), false),
            PI => (CREDITORS_CONTROL.into(), false),
            PC => (CREDITORS_CONTROL.into(), true),
            SR | SA | PR | BR => (bank.into(), true),
            SP | PP | PA | BP => (bank.into(), false),
            JD | JC => return None,
        })
    }

    /// The VAT control account of the type's tax.
    fn tax_control(self) -> &'static str {
        use TranType::*;
        match self {
            PI | PC | PP | PA | PR | BP => PURCHASE_TAX_CONTROL,
            _ => SALES_TAX_CONTROL,
        }
    }

    /// How the gross moves the account's balance: +1 raises what the customer owes (or what is
    /// owed to the supplier), -1 lowers it.
    fn balance_sign(self) -> f64 {
        use TranType::*;
        match self {
            SI | SP | PI | PR => 1.0,
            _ => -1.0,
        }
    }
}

/// One split of a transaction: where its net goes and with which tax.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Split {
    pub nominal_code: String,
    pub department: i32,
    pub tax_code: i32,
    pub details: String,
    pub net: f64,
    pub tax: f64,
}

/// A posted audit-trail transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostedTransaction {
    pub tran_number: u32,
    pub kind: TranType,
    /// Customer or supplier account; for bank and journal transactions the bank or nominal code.
    pub account_ref: String,
    /// The bank of receipts and payments (empty otherwise).
    pub bank_code: String,
    pub date: NaiveDateTime,
    pub reference: String,
    pub second_reference: String,
    pub details: String,
    pub net: f64,
    pub tax: f64,
    pub gross: f64,
    /// What is not allocated yet (invoices, credits, payments on account).
    pub outstanding: f64,
    pub invoice_number: Option<u32>,
    pub splits: Vec<Split>,
}

/// A nominal account's postings summed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NominalBalance {
    pub nominal_code: String,
    pub debit: f64,
    pub credit: f64,
}

impl NominalBalance {
    /// Debits minus credits.
    pub fn balance(&self) -> f64 {
        round_money(self.debit - self.credit)
    }
}

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit_splits (
    tran_number INTEGER NOT NULL, split_number INTEGER NOT NULL, nominal_code TEXT NOT NULL,
    department INTEGER NOT NULL, tax_code INTEGER NOT NULL, details TEXT NOT NULL,
    net REAL NOT NULL, tax REAL NOT NULL, PRIMARY KEY (tran_number, split_number));
CREATE TABLE IF NOT EXISTS nominal_postings (
    id INTEGER PRIMARY KEY, tran_number INTEGER NOT NULL, nominal_code TEXT NOT NULL,
    debit REAL NOT NULL, credit REAL NOT NULL);
CREATE INDEX IF NOT EXISTS nominal_postings_code ON nominal_postings (nominal_code);
CREATE TABLE IF NOT EXISTS allocations (
    id INTEGER PRIMARY KEY, payment_tran INTEGER NOT NULL, invoice_tran INTEGER NOT NULL,
    amount REAL NOT NULL, date TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS document_keys (
    kind TEXT NOT NULL, key TEXT NOT NULL, number INTEGER NOT NULL, PRIMARY KEY (kind, key));
";

/// Columns this module added to `audit_transactions` (older ledger files lack them).
const ADDED_COLUMNS: [(&str, &str); 5] = [
    ("tax_code", "INTEGER NOT NULL DEFAULT 9"),
    ("outstanding", "REAL NOT NULL DEFAULT 0"),
    ("second_reference", "TEXT NOT NULL DEFAULT ''"),
    ("invoice_number", "INTEGER"),
    ("bank_code", "TEXT NOT NULL DEFAULT ''"),
];

/// Creates the audit tables and adds the columns an older ledger file lacks.
pub(crate) fn initialise(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(SCHEMA)?;
    for (name, declaration) in ADDED_COLUMNS {
        let present: bool = conn
            .prepare("SELECT 1 FROM pragma_table_info('audit_transactions') WHERE name = ?1")?
            .exists([name])?;
        if !present {
            conn.execute(
                &format!("ALTER TABLE audit_transactions ADD COLUMN {name} {declaration}"),
                [],
            )?;
        }
    }
    Ok(())
}

/// A transaction to post.
pub(crate) struct Posting<'a> {
    pub kind: TranType,
    pub account_ref: &'a str,
    pub bank_code: &'a str,
    pub date: NaiveDateTime,
    pub reference: &'a str,
    pub second_reference: &'a str,
    pub details: &'a str,
    pub splits: &'a [Split],
    pub invoice_number: Option<u32>,
}

/// Posts a transaction: its header, splits, nominal postings and the account's new balance.
/// Codes are checked by the caller; amounts here are checked against Sage's limits.
pub(crate) fn post(
    conn: &Connection,
    stamp: NaiveDateTime,
    posting: &Posting<'_>,
) -> LedgerResult<u32> {
    let net = round_money(posting.splits.iter().map(|s| s.net).sum());
    let tax = round_money(posting.splits.iter().map(|s| s.tax).sum());
    let gross = round_money(net + tax);
    for (field, amount) in [
        ("net amount", net),
        ("VAT amount", tax),
        ("gross amount", gross),
    ] {
        limits::money(field, amount, true)?;
    }
    let outstanding = if posting.kind.is_allocatable() {
        gross
    } else {
        0.0
    };
    let header_nominal = posting
        .splits
        .first()
        .map(|split| split.nominal_code.clone())
        .unwrap_or_default();
    let header_tax_code = posting.splits.first().map_or(9, |split| split.tax_code);
    let text = |value: &str, max: usize| {
        let mut value = value.to_owned();
        fit(&mut value, max);
        value
    };
    conn.prepare_cached(
        "INSERT INTO audit_transactions (type, account_ref, nominal_code, date, reference, details, net, tax, gross, \
         order_number, tax_code, outstanding, second_reference, invoice_number, bank_code) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        posting.kind,
        posting.account_ref,
        header_nominal,
        posting.date,
        text(posting.reference, 30),
        text(posting.details, 60),
        net,
        tax,
        gross,
        header_tax_code,
        outstanding,
        text(posting.second_reference, 30),
        posting.invoice_number,
        posting.bank_code,
    ])?;
    let tran_number = u32::try_from(conn.last_insert_rowid()).map_err(|_| {
        crate::error::LedgerError::Corrupt("transaction number out of range".into())
    })?;
    let mut insert_split = conn.prepare_cached(
        "INSERT INTO audit_splits (tran_number, split_number, nominal_code, department, tax_code, details, net, tax) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for (index, split) in posting.splits.iter().enumerate() {
        insert_split.execute(params![
            tran_number,
            index + 1,
            split.nominal_code,
            split.department,
            split.tax_code,
            text(&split.details, 60),
            round_money(split.net),
            round_money(split.tax)
        ])?;
    }
    write_postings(conn, tran_number, posting)?;
    let delta = round_money(gross * posting.kind.balance_sign());
    match posting.kind.side() {
        LedgerSide::Customer => {
            let customer = customers::find(conn, posting.account_ref)?
                .ok_or_else(|| Rejection::AccountNotFound(posting.account_ref.to_owned()))?;
            customers::set_balance(
                conn,
                &customer.account_ref,
                round_money(customer.balance + delta),
                stamp,
            )?;
        }
        LedgerSide::Supplier => {
            suppliers::add_to_balance(conn, posting.account_ref, delta, stamp)?;
        }
        LedgerSide::Nominal => {}
    }
    Ok(tran_number)
}

/// The double entry of a posting: the gross to its control or bank account, each split's net
/// to its nominal and its tax to the VAT control account, on the other side.
fn write_postings(conn: &Connection, tran_number: u32, posting: &Posting<'_>) -> LedgerResult<()> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO nominal_postings (tran_number, nominal_code, debit, credit) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut post = |code: &str, amount: f64, debit: bool| -> LedgerResult<()> {
        let amount = round_money(amount);
        if amount.abs() < 0.005 {
            return Ok(());
        }
        // A negative amount is the same posting on the other side.
        let (debit, amount) = if amount < 0.0 {
            (!debit, -amount)
        } else {
            (debit, amount)
        };
        let (dr, cr) = if debit { (amount, 0.0) } else { (0.0, amount) };
        insert.execute(params![tran_number, code, dr, cr])?;
        Ok(())
    };
    match posting.kind.gross_posting(posting.bank_code) {
        Some((account, gross_debit)) => {
            let gross: f64 = posting.splits.iter().map(|s| s.net + s.tax).sum();
            post(&account, gross, gross_debit)?;
            for split in posting.splits {
                post(&split.nominal_code, split.net, !gross_debit)?;
                post(posting.kind.tax_control(), split.tax, !gross_debit)?;
            }
        }
        None => {
            let debit = posting.kind == TranType::JD;
            for split in posting.splits {
                post(&split.nominal_code, split.net, debit)?;
            }
        }
    }
    Ok(())
}

/// Allocates `payment_tran` to the oldest outstanding transaction of the type it settles on the
/// same account with the same reference. Returns the invoice transaction and the amount
/// allocated, or `None` when nothing matched.
pub(crate) fn allocate_by_reference(
    conn: &Connection,
    stamp: NaiveDateTime,
    payment_tran: u32,
) -> LedgerResult<Option<(u32, f64)>> {
    let Some(payment) = load(conn, payment_tran)? else {
        return Ok(None);
    };
    let Some(target) = payment.kind.allocates_against() else {
        return Ok(None);
    };
    if payment.reference.trim().is_empty() {
        return Ok(None);
    }
    let invoice: Option<u32> = conn
        .prepare_cached(
            "SELECT tran_number FROM audit_transactions WHERE type = ?1 AND account_ref = ?2 \
             AND trim(reference) = trim(?3) AND outstanding > 0.004 AND tran_number <> ?4 \
             ORDER BY tran_number LIMIT 1",
        )?
        .query_row(
            params![target, payment.account_ref, payment.reference, payment_tran],
            |row| row.get(0),
        )
        .optional()?;
    match invoice {
        Some(invoice) => allocate(conn, stamp, payment_tran, invoice).map(Some),
        None => Ok(None),
    }
}

/// Allocates as much of `payment_tran` as both transactions have outstanding to `invoice_tran`.
pub(crate) fn allocate(
    conn: &Connection,
    stamp: NaiveDateTime,
    payment_tran: u32,
    invoice_tran: u32,
) -> LedgerResult<(u32, f64)> {
    let outstanding = |tran: u32| -> LedgerResult<f64> {
        Ok(conn
            .prepare_cached("SELECT outstanding FROM audit_transactions WHERE tran_number = ?1")?
            .query_row([tran], |row| row.get(0))?)
    };
    let amount = round_money(outstanding(payment_tran)?.min(outstanding(invoice_tran)?));
    if amount <= 0.0 {
        return Ok((invoice_tran, 0.0));
    }
    let mut reduce = conn.prepare_cached(
        "UPDATE audit_transactions SET outstanding = round(outstanding - ?2, 2) WHERE tran_number = ?1",
    )?;
    reduce.execute(params![payment_tran, amount])?;
    reduce.execute(params![invoice_tran, amount])?;
    conn.prepare_cached(
        "INSERT INTO allocations (payment_tran, invoice_tran, amount, date) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![payment_tran, invoice_tran, amount, stamp])?;
    // An allocation changes what an exported invoice says it has been paid.
    conn.prepare_cached(
        "UPDATE invoices SET modified = ?2 WHERE invoice_number = \
         (SELECT invoice_number FROM audit_transactions WHERE tran_number = ?1)",
    )?
    .execute(params![invoice_tran, stamp])?;
    Ok((invoice_tran, amount))
}

/// The number a key of `kind` was posted under (see [`set_key`]).
pub(crate) fn keyed(conn: &Connection, kind: &str, key: &str) -> LedgerResult<Option<u32>> {
    Ok(conn
        .prepare_cached("SELECT number FROM document_keys WHERE kind = ?1 AND key = ?2")?
        .query_row(params![kind, key], |row| row.get(0))
        .optional()?)
}

/// Records, in the posting's transaction, the key (a workflow's scope and the record's `Id`) a
/// document or transaction was posted under: a run killed before its truth row was written
/// finds it there.
pub(crate) fn set_key(conn: &Connection, kind: &str, key: &str, number: u32) -> LedgerResult<()> {
    conn.prepare_cached("INSERT INTO document_keys (kind, key, number) VALUES (?1, ?2, ?3)")?
        .execute(params![kind, key, number])?;
    Ok(())
}

const HEADER_COLUMNS: &str = "tran_number, type, account_ref, bank_code, date, reference, second_reference, \
    details, net, tax, gross, outstanding, invoice_number";

fn header(row: &rusqlite::Row<'_>) -> rusqlite::Result<PostedTransaction> {
    Ok(PostedTransaction {
        tran_number: row.get(0)?,
        kind: row.get(1)?,
        account_ref: row.get(2)?,
        bank_code: row.get(3)?,
        date: row.get(4)?,
        reference: row.get(5)?,
        second_reference: row.get(6)?,
        details: row.get(7)?,
        net: row.get(8)?,
        tax: row.get(9)?,
        gross: row.get(10)?,
        outstanding: row.get(11)?,
        invoice_number: row.get(12)?,
        splits: Vec::new(),
    })
}

fn splits(conn: &Connection, tran_number: u32) -> LedgerResult<Vec<Split>> {
    let mut statement = conn.prepare_cached(
        "SELECT nominal_code, department, tax_code, details, net, tax FROM audit_splits \
         WHERE tran_number = ?1 ORDER BY split_number",
    )?;
    let rows = statement.query_map([tran_number], |row| {
        Ok(Split {
            nominal_code: row.get(0)?,
            department: row.get(1)?,
            tax_code: row.get(2)?,
            details: row.get(3)?,
            net: row.get(4)?,
            tax: row.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn load(conn: &Connection, tran_number: u32) -> LedgerResult<Option<PostedTransaction>> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT {HEADER_COLUMNS} FROM audit_transactions WHERE tran_number = ?1"
        ))?
        .query_row([tran_number], header)
        .optional()?;
    match found {
        Some(mut transaction) => {
            transaction.splits = splits(conn, tran_number)?;
            Ok(Some(transaction))
        }
        None => Ok(None),
    }
}

/// Audit trail reads.
impl Ledger {
    /// One transaction with its splits.
    pub fn audit_transaction(&self, tran_number: u32) -> LedgerResult<Option<PostedTransaction>> {
        load(&self.conn, tran_number)
    }

    /// Every transaction of the audit trail, oldest first, with its splits.
    pub fn audit_trail(&self) -> LedgerResult<Vec<PostedTransaction>> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {HEADER_COLUMNS} FROM audit_transactions ORDER BY tran_number"
        ))?;
        let headers = statement
            .query_map([], header)?
            .collect::<Result<Vec<_>, _>>()?;
        headers
            .into_iter()
            .map(|mut transaction| {
                transaction.splits = splits(&self.conn, transaction.tran_number)?;
                Ok(transaction)
            })
            .collect()
    }

    /// The nominal ledger: every account's postings summed, by code.
    pub fn nominal_balances(&self) -> LedgerResult<Vec<NominalBalance>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT nominal_code, round(sum(debit), 2), round(sum(credit), 2) FROM nominal_postings \
             GROUP BY nominal_code ORDER BY nominal_code",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(NominalBalance {
                nominal_code: row.get(0)?,
                debit: row.get(1)?,
                credit: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A nominal account's balance (debits minus credits); 0 without postings.
    pub fn nominal_balance(&self, code: &str) -> LedgerResult<f64> {
        Ok(self
            .nominal_balances()?
            .into_iter()
            .find(|balance| balance.nominal_code.eq_ignore_ascii_case(code.trim()))
            .map_or(0.0, |balance| balance.balance()))
    }
}
