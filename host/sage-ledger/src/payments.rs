//! Receipts taken with orders (docs/zynk-reference.md §5.8): a sales receipt on account (`SA`) into a bank nominal.

use chrono::NaiveDateTime;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::customers;
use crate::error::{LedgerResult, Rejection};
use crate::ledger::Ledger;
use crate::reference;
use crate::sql::{fit, round_money};

/// An audit-trail transaction (`AUDIT_HEADER`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditTransaction {
    pub tran_number: u32,
    /// Sage type code, e.g. `SA`.
    pub kind: String,
    pub account_ref: String,
    pub nominal_code: String,
    pub date: NaiveDateTime,
    pub reference: String,
    pub details: String,
    pub net: f64,
    pub tax: f64,
    pub gross: f64,
    pub order_number: Option<u32>,
}

/// A receipt to post.
pub(crate) struct Receipt<'a> {
    pub account_ref: &'a str,
    pub bank_account: &'a str,
    pub amount: f64,
    pub date: NaiveDateTime,
    pub reference: &'a str,
    pub details: String,
    pub order_number: Option<u32>,
}

/// Posts an SA receipt: the bank must be a bank nominal; the account balance goes down.
pub(crate) fn post_receipt(
    conn: &Connection,
    stamp: NaiveDateTime,
    receipt: &Receipt<'_>,
) -> LedgerResult<u32> {
    let bank = reference::require_nominal(conn, receipt.bank_account)?;
    if !bank.is_bank {
        return Err(Rejection::NotABankAccount(bank.code).into());
    }
    let amount = round_money(receipt.amount);
    let mut reference = receipt.reference.to_owned();
    fit(&mut reference, 30);
    let mut details = receipt.details.clone();
    fit(&mut details, 60);
    conn.prepare_cached(
        "INSERT INTO audit_transactions (type, account_ref, nominal_code, date, reference, details, net, tax, gross, order_number) \
         VALUES ('SA', ?1, ?2, ?3, ?4, ?5, ?6, 0, ?6, ?7)",
    )?
    .execute(params![
        receipt.account_ref,
        bank.code,
        receipt.date,
        reference,
        details,
        amount,
        receipt.order_number
    ])?;
    let tran_number = conn.last_insert_rowid() as u32;
    let customer = customers::find(conn, receipt.account_ref)?
        .ok_or_else(|| Rejection::AccountNotFound(receipt.account_ref.to_owned()))?;
    customers::set_balance(
        conn,
        &customer.account_ref,
        round_money(customer.balance - amount),
        stamp,
    )?;
    Ok(tran_number)
}

/// Audit trail operations.
impl Ledger {
    /// An account's audit-trail transactions, oldest first.
    pub fn audit_transactions(&self, account_ref: &str) -> LedgerResult<Vec<AuditTransaction>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT tran_number, type, account_ref, nominal_code, date, reference, details, net, tax, gross, order_number \
             FROM audit_transactions WHERE account_ref = ?1 ORDER BY tran_number",
        )?;
        let rows = statement.query_map([account_ref.trim()], |row| {
            Ok(AuditTransaction {
                tran_number: row.get(0)?,
                kind: row.get(1)?,
                account_ref: row.get(2)?,
                nominal_code: row.get(3)?,
                date: row.get(4)?,
                reference: row.get(5)?,
                details: row.get(6)?,
                net: row.get(7)?,
                tax: row.get(8)?,
                gross: row.get(9)?,
                order_number: row.get(10)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
