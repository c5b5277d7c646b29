//! Supplier accounts (`PURCHASE_LEDGER`), as much as purchase transactions need: the account
//! and its balance (docs/sage50.md "Import Transactions").

use chrono::NaiveDateTime;
use rusqlite::{Connection, OptionalExtension};

use crate::customers::normalise_account_ref;
use crate::error::{LedgerResult, Rejection};
use crate::ledger::Ledger;
use crate::sql::{fit, round_money, sql_table};

sql_table! {
    /// A supplier account.
    pub struct Supplier in "suppliers" {
        /// Account reference (≤ 8 characters, upper case).
        key account_ref,
        name: String,
        /// ISO currency code.
        currency: String,
        /// What is owed to the supplier (purchase invoices raise it, payments lower it).
        balance: f64,
        created: NaiveDateTime,
        modified: NaiveDateTime,
    }
}

pub(crate) fn find(conn: &Connection, account_ref: &str) -> LedgerResult<Option<Supplier>> {
    Ok(conn
        .prepare_cached(&format!(
            "{} WHERE account_ref = ?1",
            Supplier::select_sql()
        ))?
        .query_row([account_ref.trim()], Supplier::from_row)
        .optional()?)
}

pub(crate) fn add_to_balance(
    conn: &Connection,
    account_ref: &str,
    delta: f64,
    stamp: NaiveDateTime,
) -> LedgerResult<()> {
    let mut supplier = find(conn, account_ref)?
        .ok_or_else(|| Rejection::SupplierNotFound(account_ref.trim().to_owned()))?;
    supplier.balance = round_money(supplier.balance + delta);
    crate::limits::money("account balance", supplier.balance, true)?;
    supplier.modified = stamp;
    conn.prepare_cached(Supplier::update_sql())?
        .execute(supplier.sql_params().as_slice())?;
    Ok(())
}

/// Supplier operations.
impl Ledger {
    /// Creates a supplier account in the company's base currency; an existing reference is
    /// refused.
    pub fn create_supplier(&mut self, account_ref: &str, name: &str) -> LedgerResult<Supplier> {
        let account_ref = normalise_account_ref(account_ref)?;
        let tx = self.conn.transaction()?;
        if find(&tx, &account_ref)?.is_some() {
            return Err(Rejection::SupplierExists(account_ref).into());
        }
        let stamp = self.stamper.next();
        let mut name = name.trim().to_owned();
        fit(&mut name, 60);
        let supplier = Supplier {
            account_ref,
            name,
            currency: crate::company::load(&tx)?.base_currency,
            balance: 0.0,
            created: stamp,
            modified: stamp,
        };
        tx.prepare_cached(Supplier::insert_sql())?
            .execute(supplier.sql_params().as_slice())?;
        tx.commit()?;
        Ok(supplier)
    }

    pub fn find_supplier(&self, account_ref: &str) -> LedgerResult<Option<Supplier>> {
        find(&self.conn, account_ref)
    }
}
