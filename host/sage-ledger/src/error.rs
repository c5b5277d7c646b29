//! Ledger errors: business-rule rejections (shown to the bookkeeper) versus infrastructure failures.

use serde::{Deserialize, Serialize};

/// Result of a ledger operation.
pub type LedgerResult<T> = Result<T, LedgerError>;

/// Why a ledger operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// A Sage rule refused the data; nothing was written. The message is for the bookkeeper.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The database itself failed (disk, corruption, locking): not a problem with the data.
    #[error("the Sage ledger database failed: {0}")]
    Database(#[from] rusqlite::Error),
    /// Stored data that this version cannot interpret.
    #[error("the Sage ledger holds data it cannot read: {0}")]
    Corrupt(String),
}

impl LedgerError {
    /// The rejection, when the data (not the infrastructure) is at fault.
    pub fn as_rejection(&self) -> Option<&Rejection> {
        match self {
            LedgerError::Rejected(rejection) => Some(rejection),
            _ => None,
        }
    }
}

/// A Sage rule that refused an operation, worded so a bookkeeper can act on it.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
pub enum Rejection {
    #[error("Customer account '{0}' does not exist in Sage")]
    AccountNotFound(String),
    #[error("Customer account '{0}' already exists in Sage")]
    AccountExists(String),
    #[error("Account reference '{reference}' cannot be used: {reason}")]
    InvalidAccountReference { reference: String, reason: String },
    #[error("The account needs a name (CompanyName, or a contact name to use instead)")]
    AccountNameMissing,
    #[error("Product '{0}' does not exist in Sage")]
    ProductNotFound(String),
    #[error("Product '{0}' already exists in Sage")]
    ProductExists(String),
    #[error("Product code '{code}' cannot be used: {reason}")]
    InvalidProductCode { code: String, reason: String },
    #[error("Tax code T{0} does not exist in Sage")]
    UnknownTaxCode(i32),
    #[error("Nominal code '{0}' does not exist in Sage")]
    UnknownNominalCode(String),
    #[error(
        "Nominal code '{0}' is not a bank account in Sage, so the payment cannot be recorded against it"
    )]
    NotABankAccount(String),
    #[error("Department {0} does not exist in Sage (departments are numbered 0 to 999)")]
    UnknownDepartment(i32),
    #[error("Currency '{0}' is not set up in Sage")]
    UnknownCurrency(String),
    #[error("Discount table '{0}' does not exist: use a letter from A to E")]
    InvalidDiscountTable(String),
    #[error("Sales order number {0} is already used in Sage")]
    OrderNumberUsed(u32),
    #[error("Sales order number '{0}' cannot be used: Sage order numbers are 1 to 7 digits")]
    InvalidOrderNumber(String),
    #[error("Sales order {0} does not exist in Sage")]
    OrderNotFound(u32),
    #[error("An order with key '{key}' is already in Sage as sales order {order_number}")]
    DuplicateOrderKey { key: String, order_number: u32 },
    #[error("The order has no lines, and Sage does not accept an empty sales order")]
    OrderWithoutLines,
    #[error(
        "The order is in {order_currency} but account '{account}' trades in {account_currency}, and convert to account currency is off"
    )]
    CurrencyMismatch {
        account: String,
        order_currency: String,
        account_currency: String,
    },
    #[error("Line {line}: {problem}")]
    Line {
        line: usize,
        problem: Box<Rejection>,
    },
    #[error("Carriage: {0}")]
    Carriage(Box<Rejection>),
    #[error("The line has no product code (Sku) and no default product code is set")]
    ProductCodeMissing,
    #[error("The quantity ordered is missing")]
    QuantityMissing,
    #[error("The quantity {0} is not valid: a sales order line needs a quantity above zero")]
    QuantityNotPositive(f64),
    #[error("The {what} must not be negative (it is {})", crate::limits::shown(*.amount))]
    NegativeAmount { what: String, amount: f64 },
    #[error(
        "The {field} of {} is outside what Sage 50 accepts: amounts run from -99,999,999,999.99 to 99,999,999,999.99",
        crate::limits::shown(*.amount)
    )]
    AmountOutOfRange { field: String, amount: f64 },
    #[error(
        "The {field} of {} is outside what Sage 50 accepts: quantities run up to 999,999,999",
        crate::limits::shown(*.quantity)
    )]
    QuantityOutOfRange { field: String, quantity: f64 },
    #[error(
        "The {field} of {} has more decimal places than Sage 50 keeps for a quantity (6)",
        crate::limits::shown(*.quantity)
    )]
    QuantityTooPrecise { field: String, quantity: f64 },
    #[error(
        "The {field} of {} is not a percentage Sage 50 accepts: it must be from 0 to 100",
        crate::limits::shown(*.percent)
    )]
    PercentOutOfRange { field: String, percent: f64 },
    #[error(
        "The payment days of {} are outside what Sage 50 accepts: 0 to 999",
        crate::limits::shown(*.0)
    )]
    PaymentDaysOutOfRange(f64),
    #[error("The net value discount of {discount:.2} is larger than the goods total of {goods:.2}")]
    DiscountExceedsGoods { discount: f64, goods: f64 },
    #[error("The stock quantity {0} is not valid for a stock movement: it must be above zero")]
    InvalidMovementQuantity(f64),
    #[error("Supplier account '{0}' does not exist in Sage")]
    SupplierNotFound(String),
    #[error("Supplier account '{0}' already exists in Sage")]
    SupplierExists(String),
    #[error("Invoice number {0} is already used in Sage")]
    InvoiceNumberUsed(u32),
    #[error("Invoice number '{0}' cannot be used: Sage invoice numbers are 1 to 7 digits")]
    InvalidInvoiceNumber(String),
    #[error("The invoice has no lines, and Sage does not accept an empty invoice")]
    InvoiceWithoutLines,
    #[error("An invoice with Id '{key}' is already in Sage as invoice {invoice_number}")]
    DuplicateInvoiceKey { key: String, invoice_number: u32 },
    #[error(
        "A payment cannot be taken with a credit note; refund the customer with a SalesPayment transaction instead"
    )]
    PaymentWithCreditNote,
    #[error("The {0} is missing")]
    ValueMissing(String),
    #[error(
        "The journal does not balance: debits {debits:.2}, credits {credits:.2}, and no journal variance nominal code is set"
    )]
    JournalUnbalanced { debits: f64, credits: f64 },
    #[error("{0}")]
    TransactionNotAccepted(String),
    /// Sage 50 itself (through Sage Data Objects) refused the record, in its own words.
    #[error("Sage refused the {record}: {message}")]
    SageRefused { record: String, message: String },
}

impl Rejection {
    /// Wraps a rejection with the (1-based) order line it came from.
    pub fn on_line(self, line: usize) -> Rejection {
        Rejection::Line {
            line,
            problem: Box::new(self),
        }
    }
}
