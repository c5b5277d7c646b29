//! Posting audit-trail transactions directly (docs/sage50.md "Import Transactions"): customer
//! and supplier invoices, credits, receipts and payments; bank receipts and payments; journals
//! and bank transfers. Each request is one SQLite transaction: all its postings, or none.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::audit::{self, LedgerSide, Posting, Split, TranType};
use crate::error::{LedgerResult, Rejection};
use crate::ledger::Ledger;
use crate::sql::round_money;
use crate::{customers, limits, reference, suppliers};

/// The `document_keys` kind of transactions.
const KEY_KIND: &str = "transaction";

/// One split of a customer, supplier or bank transaction.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TransactionLine {
    /// Where the net goes; receipts and payments post to the control account instead.
    pub nominal_code: Option<String>,
    /// Absent: department 0.
    pub department: Option<i32>,
    /// Absent: T9 for receipts and payments, else the account's (or T1).
    pub tax_code: Option<i32>,
    pub details: String,
    pub net: f64,
    /// Absent: the net at the tax code's rate.
    pub tax: Option<f64>,
    /// The record's key (a workflow's scope and its `Id`): refused when already posted.
    pub key: Option<String>,
}

/// One line of a journal.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JournalLine {
    pub nominal_code: String,
    /// Debit (JD) or credit (JC).
    pub debit: bool,
    pub department: Option<i32>,
    pub tax_code: Option<i32>,
    pub details: String,
    pub amount: f64,
    pub key: Option<String>,
}

/// What to post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TransactionRequest {
    /// SI, SC, SR, SA, SP, PI, PC, PP, PA, PR against a customer or supplier account. Invoices
    /// and credits take any number of lines (splits of one transaction); receipts and payments
    /// one line and a bank. SR is posted as SA and PP as PA, then allocated when asked.
    Account {
        kind: TranType,
        account_ref: String,
        bank: Option<String>,
        date: Option<NaiveDateTime>,
        reference: String,
        second_reference: String,
        lines: Vec<TransactionLine>,
        auto_allocate: bool,
    },
    /// BR or BP against a bank account.
    Bank {
        kind: TranType,
        bank: String,
        date: Option<NaiveDateTime>,
        reference: String,
        second_reference: String,
        lines: Vec<TransactionLine>,
    },
    /// Journal debits and credits that must balance; a variance goes to `variance_nominal`
    /// when it is given, else the journal is refused.
    Journal {
        date: Option<NaiveDateTime>,
        reference: String,
        second_reference: String,
        lines: Vec<JournalLine>,
        variance_nominal: Option<String>,
    },
    /// Money moved between two bank accounts: a JC on the one, a JD on the other.
    Transfer {
        from_bank: String,
        to_bank: String,
        date: Option<NaiveDateTime>,
        reference: String,
        details: String,
        department: Option<i32>,
        payment_amount: f64,
        /// Absent: the payment amount.
        receipt_amount: Option<f64>,
        variance_nominal: Option<String>,
        key: Option<String>,
    },
}

/// What a request posted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostedGroup {
    /// The transaction number of each line of the request, in order (the lines of one invoice
    /// share theirs; a transfer has one line).
    pub tran_numbers: Vec<u32>,
    /// Allocations made: (payment or credit, invoice, amount).
    pub allocations: Vec<(u32, u32, f64)>,
}

fn bank_account(
    conn: &rusqlite::Connection,
    code: Option<&str>,
    what: &str,
) -> LedgerResult<String> {
    let code = code
        .map(str::trim)
        .filter(|code| !code.is_empty())
        .ok_or_else(|| Rejection::ValueMissing(what.to_owned()))?;
    let bank = reference::require_nominal(conn, code)?;
    if !bank.is_bank {
        return Err(Rejection::NotABankAccount(bank.code).into());
    }
    Ok(bank.code)
}

fn nominal(conn: &rusqlite::Connection, code: Option<&str>) -> LedgerResult<String> {
    let code = code
        .map(str::trim)
        .filter(|code| !code.is_empty())
        .ok_or_else(|| Rejection::ValueMissing("nominal code".to_owned()))?;
    Ok(reference::require_nominal(conn, code)?.code)
}

fn amount(field: &str, value: f64) -> Result<f64, Rejection> {
    let value = limits::money(field, value, true)?;
    if value < 0.0 {
        return Err(Rejection::NegativeAmount {
            what: field.to_owned(),
            amount: value,
        });
    }
    Ok(round_money(value))
}

/// A line as a split: codes checked, tax computed when not given.
fn split(
    conn: &rusqlite::Connection,
    line: &TransactionLine,
    nominal_code: String,
    default_tax_code: i32,
) -> LedgerResult<Split> {
    let tax_code = line.tax_code.unwrap_or(default_tax_code);
    let rate = reference::require_tax_code(conn, tax_code)?.rate;
    let net = amount("net amount", line.net)?;
    let tax = match line.tax {
        Some(tax) => amount("tax amount", tax)?,
        None => round_money(net * rate / 100.0),
    };
    Ok(Split {
        nominal_code,
        department: reference::require_department(line.department.unwrap_or(0))?,
        tax_code,
        details: line.details.clone(),
        net,
        tax,
    })
}

fn check_keys<'a>(
    conn: &rusqlite::Connection,
    keys: impl Iterator<Item = &'a Option<String>>,
) -> LedgerResult<()> {
    for key in keys.flatten() {
        if let Some(number) = audit::keyed(conn, KEY_KIND, key)? {
            return Err(Rejection::TransactionNotAccepted(format!(
                "A transaction with key '{key}' is already in Sage as transaction {number}"
            ))
            .into());
        }
    }
    Ok(())
}

/// Transaction posting.
impl Ledger {
    /// Posts `request` (see [`TransactionRequest`]); rule violations leave the ledger unchanged.
    pub fn post_transaction(&mut self, request: &TransactionRequest) -> LedgerResult<PostedGroup> {
        let staged = self.journal.take_staged();
        let tx = self.conn.transaction()?;
        let stamp = self.stamper.next();
        let today = stamp.date().and_hms_opt(0, 0, 0).unwrap_or(stamp);
        let mut allocations = Vec::new();
        let mut keyed: Vec<(Option<String>, u32)> = Vec::new();
        let tran_numbers = match request {
            TransactionRequest::Account {
                kind,
                account_ref,
                bank,
                date,
                reference,
                second_reference,
                lines,
                auto_allocate,
            } => {
                check_keys(&tx, lines.iter().map(|line| &line.key))?;
                let kind = match kind {
                    TranType::SR => TranType::SA,
                    TranType::PP => TranType::PA,
                    other => *other,
                };
                let (account_ref, default_tax_code, control) = match kind.side() {
                    LedgerSide::Customer => {
                        let customer = customers::find(&tx, account_ref)?.ok_or_else(|| {
                            Rejection::AccountNotFound(account_ref.trim().to_owned())
                        })?;
                        (
                            customer.account_ref,
                            customer.default_tax_code,
                            audit::DEBTORS_CONTROL,
                        )
                    }
                    LedgerSide::Supplier => {
                        let supplier = suppliers::find(&tx, account_ref)?.ok_or_else(|| {
                            Rejection::SupplierNotFound(account_ref.trim().to_owned())
                        })?;
                        (supplier.account_ref, 1, audit::CREDITORS_CONTROL)
                    }
                    LedgerSide::Nominal => {
                        return Err(Rejection::TransactionNotAccepted(format!(
                            "{kind} is not a customer or supplier transaction"
                        ))
                        .into());
                    }
                };
                if lines.is_empty() {
                    return Err(Rejection::ValueMissing("net amount".into()).into());
                }
                let date = date.unwrap_or(today);
                let mut numbers = Vec::new();
                if kind.uses_bank() {
                    let bank = bank_account(&tx, bank.as_deref(), "bank account (BankReference)")?;
                    // One posting per line: each receipt or payment is its own transaction.
                    for line in lines {
                        let split = split(&tx, line, control.to_owned(), 9)?;
                        let number = audit::post(
                            &tx,
                            stamp,
                            &Posting {
                                kind,
                                account_ref: &account_ref,
                                bank_code: &bank,
                                date,
                                reference,
                                second_reference,
                                details: &line.details,
                                splits: std::slice::from_ref(&split),
                                invoice_number: None,
                            },
                        )?;
                        if *auto_allocate
                            && let Some((invoice, allocated)) =
                                audit::allocate_by_reference(&tx, stamp, number)?
                        {
                            allocations.push((number, invoice, allocated));
                        }
                        keyed.push((line.key.clone(), number));
                        numbers.push(number);
                    }
                } else {
                    let splits = lines
                        .iter()
                        .map(|line| {
                            let code = nominal(&tx, line.nominal_code.as_deref())?;
                            split(&tx, line, code, default_tax_code)
                        })
                        .collect::<LedgerResult<Vec<Split>>>()?;
                    let details = lines
                        .first()
                        .map(|line| line.details.as_str())
                        .unwrap_or("");
                    let number = audit::post(
                        &tx,
                        stamp,
                        &Posting {
                            kind,
                            account_ref: &account_ref,
                            bank_code: "",
                            date,
                            reference,
                            second_reference,
                            details,
                            splits: &splits,
                            invoice_number: None,
                        },
                    )?;
                    if *auto_allocate
                        && let Some((invoice, allocated)) =
                            audit::allocate_by_reference(&tx, stamp, number)?
                    {
                        allocations.push((number, invoice, allocated));
                    }
                    for line in lines {
                        keyed.push((line.key.clone(), number));
                        numbers.push(number);
                    }
                }
                numbers
            }
            TransactionRequest::Bank {
                kind,
                bank,
                date,
                reference,
                second_reference,
                lines,
            } => {
                check_keys(&tx, lines.iter().map(|line| &line.key))?;
                if !matches!(kind, TranType::BR | TranType::BP) {
                    return Err(Rejection::TransactionNotAccepted(format!(
                        "{kind} is not a bank receipt or payment"
                    ))
                    .into());
                }
                let bank = bank_account(&tx, Some(bank), "bank account (AccountReference)")?;
                let date = date.unwrap_or(today);
                let mut numbers = Vec::new();
                for line in lines {
                    let code = nominal(&tx, line.nominal_code.as_deref())?;
                    let split = split(&tx, line, code, 1)?;
                    let number = audit::post(
                        &tx,
                        stamp,
                        &Posting {
                            kind: *kind,
                            account_ref: &bank,
                            bank_code: &bank,
                            date,
                            reference,
                            second_reference,
                            details: &line.details,
                            splits: std::slice::from_ref(&split),
                            invoice_number: None,
                        },
                    )?;
                    keyed.push((line.key.clone(), number));
                    numbers.push(number);
                }
                numbers
            }
            TransactionRequest::Journal {
                date,
                reference,
                second_reference,
                lines,
                variance_nominal,
            } => {
                check_keys(&tx, lines.iter().map(|line| &line.key))?;
                if !lines.iter().any(|line| line.debit) || !lines.iter().any(|line| !line.debit) {
                    return Err(Rejection::TransactionNotAccepted(
                        "A journal needs at least one JournalDebit and one JournalCredit".into(),
                    )
                    .into());
                }
                let date = date.unwrap_or(today);
                let mut postings = Vec::new();
                for line in lines {
                    let code = nominal(&tx, Some(&line.nominal_code))?;
                    let tax_code = line.tax_code.unwrap_or(9);
                    reference::require_tax_code(&tx, tax_code)?;
                    postings.push((
                        line.debit,
                        Split {
                            nominal_code: code,
                            department: reference::require_department(
                                line.department.unwrap_or(0),
                            )?,
                            tax_code,
                            details: line.details.clone(),
                            net: amount("net amount", line.amount)?,
                            tax: 0.0,
                        },
                        line.key.clone(),
                    ));
                }
                let debits = round_money(postings.iter().filter(|p| p.0).map(|p| p.1.net).sum());
                let credits = round_money(postings.iter().filter(|p| !p.0).map(|p| p.1.net).sum());
                balance_variance(
                    &tx,
                    &mut postings,
                    debits,
                    credits,
                    variance_nominal.as_deref(),
                )?;
                let mut numbers = Vec::new();
                for (index, (debit, split, key)) in postings.iter().enumerate() {
                    let number = post_journal_line(
                        &tx,
                        stamp,
                        *debit,
                        split,
                        date,
                        reference,
                        second_reference,
                    )?;
                    // The balancing line, if any, answers to no input line.
                    if index < lines.len() {
                        keyed.push((key.clone(), number));
                        numbers.push(number);
                    }
                }
                numbers
            }
            TransactionRequest::Transfer {
                from_bank,
                to_bank,
                date,
                reference,
                details,
                department,
                payment_amount,
                receipt_amount,
                variance_nominal,
                key,
            } => {
                check_keys(&tx, std::iter::once(key))?;
                let from = bank_account(
                    &tx,
                    Some(from_bank),
                    "bank account to transfer from (FromBankAccount)",
                )?;
                let to = bank_account(
                    &tx,
                    Some(to_bank),
                    "bank account to transfer to (ToBankAccount)",
                )?;
                if from.eq_ignore_ascii_case(&to) {
                    return Err(Rejection::TransactionNotAccepted(format!(
                        "A bank transfer needs two different bank accounts, but both are {from}"
                    ))
                    .into());
                }
                let paid = amount("payment amount", *payment_amount)?;
                if paid <= 0.0 {
                    return Err(
                        Rejection::ValueMissing("payment amount (above zero)".into()).into(),
                    );
                }
                let received = amount("receipt amount", receipt_amount.unwrap_or(paid))?;
                let department = reference::require_department(department.unwrap_or(0))?;
                let line = |code: &str, net: f64| Split {
                    nominal_code: code.to_owned(),
                    department,
                    tax_code: 9,
                    details: details.clone(),
                    net,
                    tax: 0.0,
                };
                let mut postings = vec![
                    (false, line(&from, paid), key.clone()),
                    (true, line(&to, received), None),
                ];
                balance_variance(
                    &tx,
                    &mut postings,
                    received,
                    paid,
                    variance_nominal.as_deref(),
                )?;
                let date = date.unwrap_or(today);
                let mut first = None;
                for (debit, split, _) in &postings {
                    let number = post_journal_line(&tx, stamp, *debit, split, date, reference, "")?;
                    first.get_or_insert(number);
                }
                let number = first.unwrap_or_default();
                keyed.push((key.clone(), number));
                vec![number]
            }
        };
        for (key, number) in keyed {
            if let Some(key) = key {
                audit::set_key(&tx, KEY_KIND, &key, number)?;
            }
        }
        let resolved = crate::journal::Resolved {
            order_number: None,
            account_ref: None,
            line_numbers: &tran_numbers,
        };
        self.journal.write(&tx, staged, &resolved)?;
        tx.commit()?;
        Ok(PostedGroup {
            tran_numbers,
            allocations,
        })
    }

    /// The first transaction posted under `key` (see [`TransactionLine::key`]).
    pub fn find_transaction_by_key(&self, key: &str) -> LedgerResult<Option<u32>> {
        audit::keyed(&self.conn, KEY_KIND, key)
    }
}

/// Adds the line that balances a journal to `variance_nominal`, or refuses an unbalanced one.
fn balance_variance(
    conn: &rusqlite::Connection,
    postings: &mut Vec<(bool, Split, Option<String>)>,
    debits: f64,
    credits: f64,
    variance_nominal: Option<&str>,
) -> LedgerResult<()> {
    let Some(variance) = journal_variance(debits, credits, variance_nominal)? else {
        return Ok(());
    };
    let code = reference::require_nominal(conn, &variance.nominal_code)?.code;
    postings.push((
        variance.debit,
        Split {
            nominal_code: code,
            department: 0,
            tax_code: 9,
            details: VARIANCE_DETAILS.into(),
            net: variance.amount,
            tax: 0.0,
        },
        None,
    ));
    Ok(())
}

/// The details of the line that balances a journal.
pub const VARIANCE_DETAILS: &str = "Journal variance";

/// The line that balances a journal.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalVariance {
    pub nominal_code: String,
    pub debit: bool,
    pub amount: f64,
}

/// Wharf's journal rule on every backend: a journal whose debits and credits differ is
/// balanced on `variance_nominal` when one is set, else refused.
pub fn journal_variance(
    debits: f64,
    credits: f64,
    variance_nominal: Option<&str>,
) -> Result<Option<JournalVariance>, Rejection> {
    let variance = round_money(debits - credits);
    if variance.abs() < 0.005 {
        return Ok(None);
    }
    let Some(code) = variance_nominal
        .map(str::trim)
        .filter(|code| !code.is_empty())
    else {
        return Err(Rejection::JournalUnbalanced { debits, credits });
    };
    Ok(Some(JournalVariance {
        nominal_code: code.to_owned(),
        debit: variance < 0.0,
        amount: variance.abs(),
    }))
}

fn post_journal_line(
    conn: &rusqlite::Connection,
    stamp: NaiveDateTime,
    debit: bool,
    split: &Split,
    date: NaiveDateTime,
    reference: &str,
    second_reference: &str,
) -> LedgerResult<u32> {
    audit::post(
        conn,
        stamp,
        &Posting {
            kind: if debit { TranType::JD } else { TranType::JC },
            account_ref: &split.nominal_code,
            bank_code: "",
            date,
            reference,
            second_reference,
            details: &split.details,
            splits: std::slice::from_ref(split),
            invoice_number: None,
        },
    )
}
