//! An embedded Sage 50 UK ledger on SQLite, and the Zynk Sage 50 tasks built on it.
//!
//! * [`Ledger`] is the emulated company: customers, stock records, sales orders, tax codes,
//!   currencies, nominal accounts, receipts. Its methods are *ledger operations* with plain
//!   serde structs in and out (they sit behind the `sage` WIT interface), each one SQLite
//!   transaction, and they reproduce the Sage behaviours of docs/zynk-reference.md §5.
//! * [`procedures`] are the task behaviours (docs/zynk-reference.md §2.7 Import Sales Orders, docs/zynk-reference.md §2.8 Import Customers,
//!   docs/zynk-reference.md §2.9 Export Stock Records): Zynk XML documents and task settings in, success/fail
//!   documents and counts out, duplicate prevention and ID mapping through a caller-supplied
//!   [`TruthStore`].
//! * [`SageBackend`] is the same company at the level of records, for any Sage 50 a runner
//!   writes to (this ledger, or a real Sage through the SDO agent); [`contract`] is the one set
//!   of tests every backend passes.
//! * The truth journal ([`Ledger::set_truth_journal`]) writes each record's truth rows in the
//!   same transaction as the record itself, so a process killed between the ledger commit and
//!   the truth store loses no duplicate protection: the next import replays them first.

mod account_refs;
mod addresses;
mod audit;
mod backend;
mod clock;
mod company;
mod customers;
mod error;
mod invoices;
mod journal;
mod journaled;
mod ledger;
pub mod limits;
mod listing;
mod numbering;
mod orders;
mod payments;
mod products;
mod reference;
mod sql;
mod suppliers;
mod transactions;
mod truth;
mod writer_lock;

pub use account_refs::{
    AccountReferenceConvention, AccountReferenceGenerator, AccountReferenceSettings,
    AccountReferenceSettingsError, NameParts,
};
pub use addresses::{Address, DeliveryAddressChange};
pub use audit::{
    CREDITORS_CONTROL, DEBTORS_CONTROL, LedgerSide, NominalBalance, PURCHASE_TAX_CONTROL,
    PostedTransaction, SALES_TAX_CONTROL, Split, TranType,
};
pub use backend::{
    BackendError, BackendResult, CompanyInfo, ImportBackend, Probe, SageBackend,
    next_account_reference,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use company::{CompanySettings, CustomerDefaults, OrderDefaults, ProductDefaults};
pub use customers::{
    Customer, DiscountScheme, MatchField, NewCustomer, PaymentDueFrom, normalise_account_ref,
};
pub use error::{LedgerError, LedgerResult, Rejection};
pub use invoices::{
    Invoice, InvoiceOutcome, InvoicePayment, InvoicePaymentKind, InvoicePaymentRequest,
    InvoiceRequest, InvoiceType, MAX_INVOICE_NUMBER, parse_manual_invoice_number,
};
pub use journal::{ImportJournal, JournalEntry, JournalKey, JournalScope, StagedTruth};
pub use journaled::JournaledBackend;
pub use ledger::Ledger;
pub use listing::Listing;
pub use numbering::{MAX_ORDER_NUMBER, parse_manual_order_number};
pub use orders::{
    AllocationResult, AllocationStatus, CarriageLine, CarriageRequest, LineKind,
    OrderImportOptions, OrderLine, OrderLineRequest, OrderOutcome, OrderPayment, OrderType,
    PaymentKind, PaymentRequest, SalesOrder, SalesOrderRequest, VatRule, VatSettings,
};
pub use payments::AuditTransaction;
pub use products::{
    ItemKind, MovementType, Product, SPECIAL_LINE_CODES, StockMovement, StockRecordFilter,
    StockSelection, normalise_stock_code,
};
pub use reference::{
    Currency, DEPARTMENTS, NominalAccount, TaxCode, is_eu_country, is_known_country,
};
pub use sql::round_money;
pub use suppliers::Supplier;
pub use transactions::{
    JournalLine, JournalVariance, PostedGroup, TransactionLine, TransactionRequest,
    VARIANCE_DETAILS, journal_variance,
};
pub use truth::{MemoryTruthStore, TruthRecord, TruthStore, TruthStoreError, record_types};
pub use writer_lock::{DEFAULT_WRITER_WAIT, WriterLock, WriterLockError};

pub mod benchmark;
pub mod contract;
pub mod procedures;
