//! The Sage 50 a runner writes to, at the level of records: [`SageBackend`].
//!
//! Two implementations: the embedded [`Ledger`] (this crate) and the Sage Data Objects agent
//! (`wharf-sage-agent`, which drives a real Sage 50 company on Windows). What Wharf decides —
//! which account an order belongs to (matching), which reference a new account gets
//! ([`next_account_reference`]), whether an order is a duplicate (truth, replay marks) — stays
//! above the trait and is the same for every backend. What Sage itself computes — VAT, line and
//! order totals, order numbers, allocation — comes back from the backend.
//!
//! [`crate::contract`] is one set of tests every backend must pass (docs/sage50.md).

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::account_refs::{AccountReferenceGenerator, NameParts};
use crate::addresses::{Address, DeliveryAddressChange};
use crate::customers::{Customer, MatchField, NewCustomer, normalise_account_ref};
use crate::error::{LedgerError, Rejection};
use crate::invoices::{Invoice, InvoiceOutcome, InvoiceRequest};
use crate::journal::ImportJournal;
use crate::ledger::Ledger;
use crate::orders::{
    AllocationResult, OrderImportOptions, OrderOutcome, SalesOrder, SalesOrderRequest,
};
use crate::products::{Product, StockRecordFilter};
use crate::transactions::{PostedGroup, TransactionRequest};

/// Why a backend operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// Sage refused the record; nothing was written. The message is for the bookkeeper.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// Sage is busy (a record locked by another user, exclusive access, file busy) and stayed
    /// busy through the backend's retries: the operation may succeed later.
    #[error("Sage is busy: {0}")]
    Busy(String),
    /// Sage cannot be used at all: not installed or registered, wrong version, bad data path or
    /// login, the agent gone. The message names the cause.
    #[error("{0}")]
    Unavailable(String),
    /// The embedded ledger's database failed.
    #[error(transparent)]
    Ledger(LedgerError),
}

impl From<LedgerError> for BackendError {
    fn from(error: LedgerError) -> Self {
        match error {
            LedgerError::Rejected(rejection) => BackendError::Rejected(rejection),
            other => BackendError::Ledger(other),
        }
    }
}

pub type BackendResult<T> = Result<T, BackendError>;

/// What a backend is: found out at every start (a Sage upgrade changes it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// `embedded` or `sdo`.
    pub backend: String,
    /// The Sage (or ledger schema) version, e.g. `32.0`.
    pub version: String,
    /// The edition, e.g. `Accounts Professional`; sales orders need Professional.
    pub edition: String,
    /// Whether third-party integration is registered (always true for the embedded ledger).
    pub registered: bool,
    /// Whether the edition takes sales orders (SOP).
    pub sales_orders: bool,
}

/// The company a backend writes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyInfo {
    pub name: String,
    pub country_code: String,
    pub base_currency: String,
    pub vat_number: String,
}

/// A Sage 50 company, record by record.
pub trait SageBackend {
    /// Version, edition and registration.
    fn probe(&mut self) -> BackendResult<Probe>;

    fn company(&mut self) -> BackendResult<CompanyInfo>;

    /// The company's local time now: fail-file dates, and the stock export's cursor when it
    /// scanned nothing.
    fn now(&mut self) -> BackendResult<NaiveDateTime>;

    /// The account `account_ref` (case-insensitive).
    fn find_customer(&mut self, account_ref: &str) -> BackendResult<Option<Customer>>;

    /// The first account (by reference) on which every criterion holds (trimmed,
    /// case-insensitive); `currency` is compared when given.
    fn find_customer_matching(
        &mut self,
        criteria: &[(MatchField, String)],
        currency: Option<&str>,
    ) -> BackendResult<Option<Customer>>;

    /// A new account's template: the company's customer defaults.
    fn customer_template(&mut self, account_ref: &str) -> BackendResult<Customer>;

    /// Creates an account; an existing reference is refused ([`Rejection::AccountExists`]).
    fn create_customer(&mut self, new: &NewCustomer) -> BackendResult<Customer>;

    /// Changes an existing account (not its currency, which Sage fixes at creation), and its
    /// delivery addresses as `delivery` says.
    fn update_customer(
        &mut self,
        customer: &Customer,
        delivery: Option<&DeliveryAddressChange>,
    ) -> BackendResult<Customer>;

    fn find_product(&mut self, stock_code: &str) -> BackendResult<Option<Product>>;

    /// A new stock record's template: the company's product defaults.
    fn product_template(&mut self, stock_code: &str) -> BackendResult<Product>;

    /// Creates a stock record; an existing code is refused ([`Rejection::ProductExists`]).
    fn create_product(&mut self, product: &Product) -> BackendResult<Product>;

    /// Posts a sales order; Sage numbers it and computes VAT and totals. `key` (the source
    /// order's Id) is stored with the order, so that a run that crashed after posting finds it
    /// again with [`SageBackend::find_order_by_key`]; a key already used is refused
    /// ([`Rejection::DuplicateOrderKey`]).
    fn post_sales_order(
        &mut self,
        key: Option<&str>,
        request: &SalesOrderRequest,
        options: &OrderImportOptions,
    ) -> BackendResult<OrderOutcome>;

    fn find_sales_order(&mut self, order_number: u32) -> BackendResult<Option<SalesOrder>>;

    /// The order posted with `key`.
    fn find_order_by_key(&mut self, key: &str) -> BackendResult<Option<SalesOrder>>;

    /// Allocates free stock to the order's unallocated quantities.
    fn allocate_order(&mut self, order_number: u32) -> BackendResult<AllocationResult>;

    /// Stock records selected relative to `since`, in code order.
    fn stock_since(
        &mut self,
        since: NaiveDateTime,
        filter: StockRecordFilter,
    ) -> BackendResult<Vec<Product>>;

    /// Posts an invoice or credit note to the audit trail (docs/sage50.md); `key` (the
    /// workflow's scope and the record's Id) is stored with it, and a key already used is
    /// refused.
    fn post_invoice(
        &mut self,
        key: Option<&str>,
        request: &InvoiceRequest,
        options: &OrderImportOptions,
    ) -> BackendResult<InvoiceOutcome> {
        let _ = (key, request, options);
        Err(not_supported_yet("posting invoices"))
    }

    /// The invoice posted under `key`.
    fn find_invoice_by_key(&mut self, key: &str) -> BackendResult<Option<Invoice>> {
        let _ = key;
        Err(not_supported_yet("reading invoices"))
    }

    /// The invoice or credit note numbered `invoice_number`.
    fn find_invoice(&mut self, invoice_number: u32) -> BackendResult<Option<Invoice>> {
        let _ = invoice_number;
        Err(not_supported_yet("reading invoices"))
    }

    /// Posts audit-trail transactions (docs/sage50.md), whole or not at all.
    fn post_transaction(&mut self, request: &TransactionRequest) -> BackendResult<PostedGroup> {
        let _ = request;
        Err(not_supported_yet("posting audit-trail transactions"))
    }

    /// The first transaction posted under `key`.
    fn find_transaction_by_key(&mut self, key: &str) -> BackendResult<Option<u32>> {
        let _ = key;
        Err(not_supported_yet("reading audit-trail transactions"))
    }

    /// Accounts created (`new_only`) or created or changed after `since`, by reference.
    fn customers_since(
        &mut self,
        since: NaiveDateTime,
        new_only: bool,
    ) -> BackendResult<Vec<Customer>> {
        let _ = (since, new_only);
        Err(not_supported_yet("exporting customers"))
    }

    /// An account's delivery addresses, in order.
    fn delivery_addresses(&mut self, account_ref: &str) -> BackendResult<Vec<Address>> {
        let _ = account_ref;
        Err(not_supported_yet("reading delivery addresses"))
    }

    /// Invoices created (`new_only`) or created or changed after `since`, by number.
    fn invoices_since(
        &mut self,
        since: NaiveDateTime,
        new_only: bool,
    ) -> BackendResult<Vec<Invoice>> {
        let _ = (since, new_only);
        Err(not_supported_yet("exporting invoices"))
    }

    /// The first unused reference for `names` (docs/zynk-reference.md §5.3). The rule is Wharf's ([`next_account_reference`]);
    /// a backend with an index may answer it faster, with the same result.
    fn next_account_reference(
        &mut self,
        names: &NameParts<'_>,
        generator: &AccountReferenceGenerator,
    ) -> BackendResult<String> {
        next_account_reference(self, names, generator)
    }
}

/// A backend the Zynk import procedures run on: its records, and the journal that makes an
/// import safe to repeat ([`ImportJournal`]).
pub trait ImportBackend: SageBackend + ImportJournal {}

impl<B: SageBackend + ImportJournal + ?Sized> ImportBackend for B {}

/// What a backend that does not implement an operation answers: the import stops with this
/// reason (docs/sage50.md).
fn not_supported_yet(operation: &str) -> BackendError {
    BackendError::Unavailable(format!(
        "{operation} is not supported by this Sage backend (docs/sage50.md)"
    ))
}

/// Wharf's account reference rule on any backend: the generator's candidates for `names`, in
/// order, until one is not an account yet.
pub fn next_account_reference<B: SageBackend + ?Sized>(
    backend: &mut B,
    names: &NameParts<'_>,
    generator: &AccountReferenceGenerator,
) -> BackendResult<String> {
    let alpha = generator.alphabetic_part(names);
    for number in 1..=generator.largest_number() {
        let candidate = normalise_account_ref(&generator.candidate(&alpha, number))?;
        if backend.find_customer(&candidate)?.is_none() {
            return Ok(candidate);
        }
    }
    Err(Rejection::InvalidAccountReference {
        reference: generator.candidate(&alpha, generator.largest_number()),
        reason: format!(
            "every {}-digit number after '{alpha}' is already used; increase the numeric length",
            generator.settings().numeric_length
        ),
    }
    .into())
}

/// The embedded ledger as a backend.
impl SageBackend for Ledger {
    fn probe(&mut self) -> BackendResult<Probe> {
        Ok(Probe {
            backend: "embedded".into(),
            version: format!("ledger schema {}", crate::ledger::SCHEMA_VERSION),
            edition: "Accounts Professional (embedded)".into(),
            registered: true,
            sales_orders: true,
        })
    }

    fn company(&mut self) -> BackendResult<CompanyInfo> {
        let company = Ledger::company(self)?;
        Ok(CompanyInfo {
            name: company.name,
            country_code: company.country_code,
            base_currency: company.base_currency,
            vat_number: company.vat_number,
        })
    }

    fn now(&mut self) -> BackendResult<NaiveDateTime> {
        Ok(Ledger::now(self))
    }

    fn find_customer(&mut self, account_ref: &str) -> BackendResult<Option<Customer>> {
        Ok(self.find_customer_by_ref(account_ref)?)
    }

    fn find_customer_matching(
        &mut self,
        criteria: &[(MatchField, String)],
        currency: Option<&str>,
    ) -> BackendResult<Option<Customer>> {
        Ok(Ledger::find_customer_matching(self, criteria, currency)?)
    }

    fn customer_template(&mut self, account_ref: &str) -> BackendResult<Customer> {
        Ok(Ledger::customer_template(self, account_ref)?)
    }

    fn create_customer(&mut self, new: &NewCustomer) -> BackendResult<Customer> {
        Ok(Ledger::create_customer(self, new)?)
    }

    fn update_customer(
        &mut self,
        customer: &Customer,
        delivery: Option<&DeliveryAddressChange>,
    ) -> BackendResult<Customer> {
        Ok(Ledger::update_customer(self, customer, delivery)?)
    }

    fn find_product(&mut self, stock_code: &str) -> BackendResult<Option<Product>> {
        Ok(Ledger::find_product(self, stock_code)?)
    }

    fn product_template(&mut self, stock_code: &str) -> BackendResult<Product> {
        Ok(Ledger::product_template(self, stock_code)?)
    }

    fn create_product(&mut self, product: &Product) -> BackendResult<Product> {
        Ok(Ledger::create_product(self, product)?)
    }

    fn post_sales_order(
        &mut self,
        key: Option<&str>,
        request: &SalesOrderRequest,
        options: &OrderImportOptions,
    ) -> BackendResult<OrderOutcome> {
        Ok(self.import_sales_order_keyed(request, options, key)?)
    }

    fn find_sales_order(&mut self, order_number: u32) -> BackendResult<Option<SalesOrder>> {
        Ok(Ledger::find_sales_order(self, order_number)?)
    }

    fn find_order_by_key(&mut self, key: &str) -> BackendResult<Option<SalesOrder>> {
        Ok(Ledger::find_order_by_key(self, key)?)
    }

    fn allocate_order(&mut self, order_number: u32) -> BackendResult<AllocationResult> {
        Ok(Ledger::allocate_order(self, order_number)?)
    }

    fn stock_since(
        &mut self,
        since: NaiveDateTime,
        filter: StockRecordFilter,
    ) -> BackendResult<Vec<Product>> {
        Ok(self.stock_records(since, filter)?)
    }

    fn post_invoice(
        &mut self,
        key: Option<&str>,
        request: &InvoiceRequest,
        options: &OrderImportOptions,
    ) -> BackendResult<InvoiceOutcome> {
        Ok(self.import_invoice(request, options, key)?)
    }

    fn find_invoice_by_key(&mut self, key: &str) -> BackendResult<Option<Invoice>> {
        Ok(Ledger::find_invoice_by_key(self, key)?)
    }

    fn find_invoice(&mut self, invoice_number: u32) -> BackendResult<Option<Invoice>> {
        Ok(Ledger::find_invoice(self, invoice_number)?)
    }

    fn post_transaction(&mut self, request: &TransactionRequest) -> BackendResult<PostedGroup> {
        Ok(Ledger::post_transaction(self, request)?)
    }

    fn find_transaction_by_key(&mut self, key: &str) -> BackendResult<Option<u32>> {
        Ok(Ledger::find_transaction_by_key(self, key)?)
    }

    fn customers_since(
        &mut self,
        since: NaiveDateTime,
        new_only: bool,
    ) -> BackendResult<Vec<Customer>> {
        Ok(Ledger::customers_since(self, since, new_only)?)
    }

    fn delivery_addresses(&mut self, account_ref: &str) -> BackendResult<Vec<Address>> {
        Ok(Ledger::delivery_addresses(self, account_ref)?)
    }

    fn invoices_since(
        &mut self,
        since: NaiveDateTime,
        new_only: bool,
    ) -> BackendResult<Vec<Invoice>> {
        Ok(Ledger::invoices_since(self, since, new_only)?)
    }

    fn next_account_reference(
        &mut self,
        names: &NameParts<'_>,
        generator: &AccountReferenceGenerator,
    ) -> BackendResult<String> {
        Ok(Ledger::next_account_reference(self, names, generator)?)
    }
}
