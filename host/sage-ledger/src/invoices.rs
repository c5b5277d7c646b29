//! Sales invoices and credit notes (`INVOICE`, `INVOICE_ITEM`), and posting them to the audit
//! trail (docs/sage50.md "Import Invoices").
//!
//! An invoice is priced by the same rules as a sales order (account, currency, line and footer
//! defaults, VAT by destination), then posted: invoices as `SI`, credit notes as `SC`, one
//! split per line with an amount, stock lines moving stock out (or back in for a credit), the
//! account's balance moved by the gross. Proformas and quotations are kept, not posted. A
//! payment taken with an invoice is a receipt on account (`SA`), allocated to the invoice when
//! its type is `SalesReceipt`. Everything of one invoice is one SQLite transaction.

use chrono::NaiveDateTime;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::audit::{self, Posting, Split, TranType};
use crate::error::{LedgerError, LedgerResult, Rejection};
use crate::ledger::Ledger;
use crate::orders::{
    LineKind, OrderImportOptions, SalesOrder, SalesOrderRequest, price_document,
    remember_delivery_address,
};
use crate::products::{MovementType, StockMovement};
use crate::sql::{round_money, text_enum};
use crate::{limits, products, reference};

/// Largest number that fits Sage's seven-character invoice number.
pub const MAX_INVOICE_NUMBER: u32 = 9_999_999;

/// The `document_keys` kind of invoices.
const KEY_KIND: &str = "invoice";

text_enum! {
    /// Sage invoice type.
    #[derive(Default)]
    pub enum InvoiceType {
        #[default]
        ProductInvoice,
        ProductCredit,
        ServiceInvoice,
        ServiceCredit,
        ProductProforma,
        ServiceProforma,
        ProductQuotation,
    }
}

impl InvoiceType {
    pub fn is_credit(self) -> bool {
        matches!(
            self,
            InvoiceType::ProductCredit | InvoiceType::ServiceCredit
        )
    }

    pub fn is_service(self) -> bool {
        matches!(
            self,
            InvoiceType::ServiceInvoice | InvoiceType::ServiceCredit | InvoiceType::ServiceProforma
        )
    }

    /// Whether it goes to the audit trail (proformas and quotations do not).
    pub fn posts(self) -> bool {
        !matches!(
            self,
            InvoiceType::ProductProforma
                | InvoiceType::ServiceProforma
                | InvoiceType::ProductQuotation
        )
    }
}

text_enum! {
    /// How a payment taken with an invoice is recorded.
    pub enum InvoicePaymentKind {
        /// A receipt allocated to the invoice.
        SalesReceipt,
        /// A receipt left on the account, unallocated.
        SalesReceiptOnAccount,
    }
}

/// A payment taken with an invoice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoicePaymentRequest {
    pub kind: InvoicePaymentKind,
    pub amount: f64,
    /// Absent: the import's default bank account.
    pub bank_account: Option<String>,
    pub reference: String,
}

/// An invoice to post. `document` carries what an invoice shares with a sales order (account,
/// addresses, lines, carriage, footer); its `order_type`, `order_number` and `payment` are not
/// used.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InvoiceRequest {
    pub document: SalesOrderRequest,
    pub invoice_type: InvoiceType,
    /// Manual invoice number; `None` takes the next number.
    pub invoice_number: Option<u32>,
    pub due_date: Option<NaiveDateTime>,
    /// Sage "Order No".
    pub order_number: String,
    pub payment: Option<InvoicePaymentRequest>,
}

/// The payment recorded with an invoice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoicePayment {
    pub kind: InvoicePaymentKind,
    pub amount: f64,
    pub bank_account: String,
    pub reference: String,
    /// The `SA` transaction.
    pub tran_number: u32,
}

/// A stored invoice. Amounts are in the account's currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invoice {
    pub invoice_number: u32,
    pub invoice_type: InvoiceType,
    /// The priced document (its `order_number` is the invoice number).
    pub document: SalesOrder,
    pub due_date: Option<NaiveDateTime>,
    pub order_number: String,
    /// The `SI` or `SC` transaction; `None` for proformas and quotations.
    pub tran_number: Option<u32>,
    pub payment: Option<InvoicePayment>,
    /// Allocated so far (read from the audit trail).
    pub amount_paid: f64,
    pub created: NaiveDateTime,
    pub modified: NaiveDateTime,
}

/// What an invoice import did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceOutcome {
    pub invoice_number: u32,
    pub account_ref: String,
    pub customer_created: bool,
    pub products_created: Vec<String>,
    pub delivery_address_added: bool,
    pub invoice: Invoice,
}

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS invoices (
    invoice_number INTEGER PRIMARY KEY, account_ref TEXT NOT NULL COLLATE NOCASE,
    data TEXT NOT NULL, created TEXT NOT NULL, modified TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS invoices_modified ON invoices (modified);
";

fn next_number(conn: &Connection) -> LedgerResult<u32> {
    let highest: Option<u32> = conn
        .prepare_cached("SELECT max(invoice_number) FROM invoices")?
        .query_row([], |row| row.get(0))?;
    let next = highest.map_or(1, |n| n + 1);
    if next > MAX_INVOICE_NUMBER {
        return Err(Rejection::InvalidInvoiceNumber(next.to_string()).into());
    }
    Ok(next)
}

fn exists(conn: &Connection, number: u32) -> LedgerResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM invoices WHERE invoice_number = ?1")?
        .exists([number])?)
}

/// Reads a manual invoice number from the data (`InvoiceNumber`).
pub fn parse_manual_invoice_number(text: &str) -> Result<u32, Rejection> {
    let trimmed = text.trim();
    match trimmed.parse::<u32>() {
        Ok(number) if (1..=MAX_INVOICE_NUMBER).contains(&number) && trimmed.len() <= 7 => {
            Ok(number)
        }
        _ => Err(Rejection::InvalidInvoiceNumber(trimmed.to_owned())),
    }
}

fn store(conn: &Connection, invoice: &Invoice) -> LedgerResult<()> {
    let data = serde_json::to_string(invoice)
        .map_err(|e| LedgerError::Corrupt(format!("invoice {}: {e}", invoice.invoice_number)))?;
    conn.prepare_cached(
        "INSERT INTO invoices (invoice_number, account_ref, data, created, modified) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        invoice.invoice_number,
        invoice.document.account_ref,
        data,
        invoice.created,
        invoice.modified
    ])?;
    Ok(())
}

fn read(conn: &Connection, data: &str, modified: NaiveDateTime) -> LedgerResult<Invoice> {
    let mut invoice: Invoice =
        serde_json::from_str(data).map_err(|e| LedgerError::Corrupt(format!("an invoice: {e}")))?;
    invoice.modified = modified;
    invoice.amount_paid = match invoice.tran_number {
        Some(tran) => audit::load(conn, tran)?
            .map_or(0.0, |posted| round_money(posted.gross - posted.outstanding)),
        None => 0.0,
    };
    Ok(invoice)
}

fn load(conn: &Connection, number: u32) -> LedgerResult<Option<Invoice>> {
    let row: Option<(String, NaiveDateTime)> = conn
        .prepare_cached("SELECT data, modified FROM invoices WHERE invoice_number = ?1")?
        .query_row([number], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    row.map(|(data, modified)| read(conn, &data, modified))
        .transpose()
}

/// The invoice's splits: one per line with an amount, the carriage, the net value discount.
fn invoice_splits(document: &SalesOrder) -> Vec<Split> {
    let mut splits: Vec<Split> = document
        .lines
        .iter()
        .filter(|line| line.kind != LineKind::Message)
        .map(|line| Split {
            nominal_code: line.nominal_code.clone(),
            department: line.department,
            tax_code: line.tax_code,
            details: line.description.clone(),
            net: line.net,
            tax: line.tax,
        })
        .collect();
    if document.net_value_discount > 0.0 {
        let first = splits.first().cloned();
        splits.push(Split {
            nominal_code: if document.global_nominal_code.is_empty() {
                first
                    .as_ref()
                    .map(|s| s.nominal_code.clone())
                    .unwrap_or_default()
            } else {
                document.global_nominal_code.clone()
            },
            department: document.global_department,
            tax_code: first.map_or(1, |s| s.tax_code),
            details: if document.net_value_discount_description.is_empty() {
                "Net value discount".into()
            } else {
                document.net_value_discount_description.clone()
            },
            net: -document.net_value_discount,
            tax: -document.net_value_discount_tax,
        });
    }
    if let Some(carriage) = &document.carriage
        && (carriage.net != 0.0 || carriage.tax != 0.0)
    {
        splits.push(Split {
            nominal_code: carriage.nominal_code.clone(),
            department: carriage.department,
            tax_code: carriage.tax_code,
            details: if carriage.description.is_empty() {
                "Carriage".into()
            } else {
                carriage.description.clone()
            },
            net: carriage.net,
            tax: carriage.tax,
        });
    }
    splits
}

/// Invoice operations.
impl Ledger {
    /// Posts an invoice or credit note (see the module docs). `key` (the workflow's scope and
    /// the source record's Id) is stored with it; a key already used is refused with
    /// [`Rejection::DuplicateInvoiceKey`], so a run killed before its truth row was written
    /// cannot post the invoice twice. Rule violations leave the ledger unchanged.
    pub fn import_invoice(
        &mut self,
        request: &InvoiceRequest,
        options: &OrderImportOptions,
        key: Option<&str>,
    ) -> LedgerResult<InvoiceOutcome> {
        let staged = self.journal.take_staged();
        if request.document.lines.is_empty() {
            return Err(Rejection::InvoiceWithoutLines.into());
        }
        if request.invoice_type.is_credit()
            && request.payment.as_ref().is_some_and(|p| p.amount > 0.0)
        {
            return Err(Rejection::PaymentWithCreditNote.into());
        }
        let tx = self.conn.transaction()?;
        if let Some(key) = key
            && let Some(invoice_number) = audit::keyed(&tx, KEY_KIND, key)?
        {
            return Err(Rejection::DuplicateInvoiceKey {
                key: key.to_owned(),
                invoice_number,
            }
            .into());
        }
        let stamp = self.stamper.next();
        let priced = price_document(&tx, stamp, &request.document, options, |conn| match request
            .invoice_number
        {
            Some(number) if number == 0 || number > MAX_INVOICE_NUMBER => {
                Err(Rejection::InvalidInvoiceNumber(number.to_string()).into())
            }
            Some(number) if exists(conn, number)? => {
                Err(Rejection::InvoiceNumberUsed(number).into())
            }
            Some(number) => Ok(number),
            None => next_number(conn),
        })?;
        let document = priced.order;
        let invoice_number = document.order_number;
        let account_ref = priced.customer.account_ref.clone();
        let delivery_address_added =
            remember_delivery_address(&tx, stamp, &request.document, options, &account_ref)?;

        let mut tran_number = None;
        let mut payment = None;
        if request.invoice_type.posts() {
            let kind = if request.invoice_type.is_credit() {
                TranType::SC
            } else {
                TranType::SI
            };
            let splits = invoice_splits(&document);
            let reference = invoice_number.to_string();
            let details = match document.lines.first() {
                Some(line) if document.lines.len() == 1 => line.description.clone(),
                _ => format!(
                    "{} {invoice_number}",
                    if kind == TranType::SC {
                        "Credit note"
                    } else {
                        "Invoice"
                    }
                ),
            };
            let posted = audit::post(
                &tx,
                stamp,
                &Posting {
                    kind,
                    account_ref: &account_ref,
                    bank_code: "",
                    date: document.order_date,
                    reference: &reference,
                    second_reference: &request.order_number,
                    details: &details,
                    splits: &splits,
                    invoice_number: Some(invoice_number),
                },
            )?;
            tran_number = Some(posted);
            // Posting a product invoice moves its stock lines out (a credit note, back in).
            for line in document
                .lines
                .iter()
                .filter(|line| line.kind == LineKind::Stock)
            {
                products::record_movement(
                    &tx,
                    stamp,
                    &StockMovement {
                        stock_code: line.stock_code.clone(),
                        movement: if kind == TranType::SC {
                            MovementType::GoodsIn
                        } else {
                            MovementType::GoodsOut
                        },
                        quantity: line.quantity,
                        reference: reference.clone(),
                        details: format!("{kind} {invoice_number}"),
                    },
                )
                .map_err(|error| match error {
                    LedgerError::Rejected(rejection) => {
                        LedgerError::Rejected(rejection.on_line(line.line_number as usize))
                    }
                    other => other,
                })?;
            }
            if let Some(request_payment) = &request.payment {
                let amount = limits::money(
                    "payment amount",
                    round_money(request_payment.amount * priced.conversion),
                    true,
                )?;
                if amount > 0.0 {
                    let bank_account = match request_payment.bank_account.as_deref().map(str::trim)
                    {
                        Some(bank) if !bank.is_empty() => bank.to_owned(),
                        _ => options.default_bank_account.trim().to_owned(),
                    };
                    let bank = reference::require_nominal(&tx, &bank_account)?;
                    if !bank.is_bank {
                        return Err(Rejection::NotABankAccount(bank.code).into());
                    }
                    let receipt_tran = audit::post(
                        &tx,
                        stamp,
                        &Posting {
                            kind: TranType::SA,
                            account_ref: &account_ref,
                            bank_code: &bank.code,
                            date: document.order_date,
                            reference: &request_payment.reference,
                            second_reference: &reference,
                            details: &format!("Payment for invoice {invoice_number}"),
                            splits: &[Split {
                                nominal_code: audit::DEBTORS_CONTROL.into(),
                                department: document.global_department,
                                tax_code: 9,
                                details: String::new(),
                                net: amount,
                                tax: 0.0,
                            }],
                            invoice_number: None,
                        },
                    )?;
                    if request_payment.kind == InvoicePaymentKind::SalesReceipt {
                        audit::allocate(&tx, stamp, receipt_tran, posted)?;
                    }
                    payment = Some(InvoicePayment {
                        kind: request_payment.kind,
                        amount,
                        bank_account: bank.code,
                        reference: request_payment.reference.clone(),
                        tran_number: receipt_tran,
                    });
                }
            }
        }
        let amount_paid = match tran_number {
            Some(tran) => audit::load(&tx, tran)?
                .map_or(0.0, |posted| round_money(posted.gross - posted.outstanding)),
            None => 0.0,
        };
        let invoice = Invoice {
            invoice_number,
            invoice_type: request.invoice_type,
            due_date: request.due_date,
            order_number: request.order_number.clone(),
            tran_number,
            payment,
            amount_paid,
            created: stamp,
            modified: stamp,
            document,
        };
        store(&tx, &invoice)?;
        if let Some(key) = key {
            audit::set_key(&tx, KEY_KIND, key, invoice_number)?;
        }
        let resolved = crate::journal::Resolved {
            order_number: Some(invoice_number),
            account_ref: Some(&account_ref),
            line_numbers: &[],
        };
        self.journal.write(&tx, staged, &resolved)?;
        tx.commit()?;
        Ok(InvoiceOutcome {
            invoice_number,
            account_ref,
            customer_created: priced.customer_created,
            products_created: priced.products_created,
            delivery_address_added,
            invoice,
        })
    }

    pub fn find_invoice(&self, invoice_number: u32) -> LedgerResult<Option<Invoice>> {
        load(&self.conn, invoice_number)
    }

    /// The invoice posted under `key` (see [`Ledger::import_invoice`]).
    pub fn find_invoice_by_key(&self, key: &str) -> LedgerResult<Option<Invoice>> {
        match audit::keyed(&self.conn, KEY_KIND, key)? {
            Some(number) => load(&self.conn, number),
            None => Ok(None),
        }
    }

    /// Invoices created (`new_only`) or created or changed after `since`, by number.
    pub fn invoices_since(
        &self,
        since: NaiveDateTime,
        new_only: bool,
    ) -> LedgerResult<Vec<Invoice>> {
        let column = if new_only { "created" } else { "modified" };
        let mut statement = self.conn.prepare(&format!(
            "SELECT data, modified FROM invoices WHERE {column} > ?1 ORDER BY invoice_number"
        ))?;
        let rows = statement
            .query_map([since], |row| Ok((row.get::<_, String>(0)?, row.get(1)?)))?
            .collect::<Result<Vec<(String, NaiveDateTime)>, _>>()?;
        rows.iter()
            .map(|(data, modified)| read(&self.conn, data, *modified))
            .collect()
    }
}
