//! Sales orders (`SALES_ORDER`, `SOP_ITEM`): the import operation and reading orders back.
//!
//! [`Ledger::import_sales_order`] is the SDK-style "post this order" call. It runs in one
//! SQLite transaction: the customer it may create, the products it may create, the order, its
//! stock allocation and its receipt are all written, or none is (docs/zynk-reference.md §6.29: an order with one bad
//! line is rejected whole, and whatever it would have auto-created is rolled back with it).

mod allocation;
mod import;
mod pricing;
mod store;
mod vat;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::addresses::Address;
use crate::customers::NewCustomer;
use crate::error::LedgerResult;
use crate::ledger::Ledger;
use crate::sql::text_enum;

pub use allocation::AllocationResult;
pub(crate) use import::{price_document, remember_delivery_address};
pub use vat::{VatRule, VatSettings};

text_enum! {
    /// Sage document type (`SalesOrderType`): invoice-type order, order, quote, proforma.
    #[derive(Default)]
    pub enum OrderType { #[default] ProductInvoice, SopInvoice, SopQuote, SopProforma }
}

text_enum! {
    /// What an order line is: a stock item by its product type, or a special line.
    pub enum LineKind {
        /// A product whose type is Stock: can be allocated.
        Stock,
        /// A non-stock product, or the special code S1.
        NonStock,
        /// A service product, or the special codes S2/S3.
        Service,
        /// Special code M: text only, no amounts.
        Message,
    }
}

text_enum! {
    /// Allocation state of an order.
    pub enum AllocationStatus { Unallocated, PartAllocated, FullyAllocated }
}

text_enum! {
    /// How the order's payment was recorded (docs/zynk-reference.md §5.8).
    pub enum PaymentKind { SalesReceipt, PaymentAlreadyReceived }
}

/// An order to post. Optional values fall back to Sage's defaults (docs/zynk-reference.md §5.6).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SalesOrderRequest {
    /// The account; it must exist unless `new_customer` is given for it.
    pub account_ref: String,
    /// Created in the same transaction when `account_ref` does not exist yet; ignored when it
    /// does (an existing account is never overwritten by an order, docs/zynk-reference.md §5.2).
    pub new_customer: Option<NewCustomer>,
    /// Manual order number; `None` takes the next number.
    pub order_number: Option<u32>,
    pub order_type: OrderType,
    /// Defaults to today.
    pub order_date: Option<NaiveDateTime>,
    pub customer_order_number: String,
    pub taken_by: String,
    pub notes1: String,
    pub notes2: String,
    pub notes3: String,
    pub custom1: String,
    pub custom2: String,
    pub custom3: String,
    pub despatch_date: Option<NaiveDateTime>,
    pub promised_delivery_date: Option<NaiveDateTime>,
    pub requested_delivery_date: Option<NaiveDateTime>,
    pub invoice_address: Option<Address>,
    /// Absent: the account's default delivery address, else its own address.
    pub delivery_address: Option<Address>,
    /// ISO code; absent means the account's currency.
    pub currency: Option<String>,
    /// Units of the order currency per base unit; absent means Sage's rate.
    pub foreign_rate: Option<f64>,
    /// Unit prices include VAT (the order's `VatInclusive`).
    pub vat_inclusive: bool,
    pub lines: Vec<OrderLineRequest>,
    pub carriage: Option<CarriageRequest>,
    pub consignment_no: String,
    pub courier: Option<i32>,
    pub settlement_days: Option<i32>,
    pub settlement_discount: Option<f64>,
    pub global_nominal_code: Option<String>,
    pub global_tax_code: Option<i32>,
    pub global_details: String,
    /// Absent: the customer's department.
    pub global_department: Option<i32>,
    pub net_value_discount: Option<f64>,
    pub net_value_discount_percent: Option<f64>,
    pub net_value_discount_description: String,
    pub net_value_discount_comment1: String,
    pub net_value_discount_comment2: String,
    pub payment: Option<PaymentRequest>,
}

/// One order line as given by the data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderLineRequest {
    /// Product code, or S1/S2/S3/M; absent means the default product code.
    pub stock_code: Option<String>,
    /// Absent: the product's description.
    pub description: Option<String>,
    pub comment1: String,
    pub comment2: String,
    pub unit_of_sale: Option<String>,
    pub quantity: Option<f64>,
    /// Absent: the product's sale price.
    pub unit_price: Option<f64>,
    /// Discount per unit; wins over the percentage when both are given.
    pub discount_amount: Option<f64>,
    pub discount_percent: Option<f64>,
    pub nominal_code: Option<String>,
    pub tax_code: Option<i32>,
    pub department: Option<i32>,
    pub line_information: String,
}

/// The order's carriage charge.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CarriageRequest {
    /// Absent: 1.
    pub quantity: Option<f64>,
    pub unit_price: Option<f64>,
    pub nominal_code: Option<String>,
    pub tax_code: Option<i32>,
    pub department: Option<i32>,
    pub description: String,
}

/// A payment taken with the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentRequest {
    pub kind: PaymentKind,
    pub amount: f64,
    /// Absent: the import's default bank account.
    pub bank_account: Option<String>,
    pub reference: String,
}

/// How the import applies Sage's rules (the task settings of docs/zynk-reference.md §2.7 that reach the ledger).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderImportOptions {
    pub auto_create_products: bool,
    pub auto_allocate_stock: bool,
    pub convert_to_account_currency: bool,
    /// Treat unit prices as VAT-inclusive (in addition to the order's own `vat_inclusive`).
    pub prices_include_tax: bool,
    /// Used for lines without a product code.
    pub default_product_code: String,
    pub default_bank_account: String,
    pub create_multiple_delivery_addresses: bool,
    pub read_sales_ledger_data: bool,
    pub vat_settings: VatSettings,
}

impl Default for OrderImportOptions {
    fn default() -> Self {
        OrderImportOptions {
            auto_create_products: true,
            auto_allocate_stock: false,
            convert_to_account_currency: false,
            prices_include_tax: false,
            default_product_code: "S1".into(),
            default_bank_account: "1200".into(),
            create_multiple_delivery_addresses: false,
            read_sales_ledger_data: false,
            vat_settings: VatSettings::default(),
        }
    }
}

/// A posted sales order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SalesOrder {
    pub order_number: u32,
    pub account_ref: String,
    pub order_type: OrderType,
    pub order_date: NaiveDateTime,
    pub customer_order_number: String,
    pub taken_by: String,
    pub notes1: String,
    pub notes2: String,
    pub notes3: String,
    pub custom1: String,
    pub custom2: String,
    pub custom3: String,
    pub despatch_date: Option<NaiveDateTime>,
    pub promised_delivery_date: Option<NaiveDateTime>,
    pub requested_delivery_date: Option<NaiveDateTime>,
    pub invoice_address: Address,
    pub delivery_address: Address,
    /// Always the account's currency (a different order currency is converted or refused).
    pub currency: String,
    pub foreign_rate: f64,
    pub vat_inclusive: bool,
    pub lines: Vec<OrderLine>,
    pub carriage: Option<CarriageLine>,
    pub consignment_no: String,
    pub courier: Option<i32>,
    pub settlement_days: i32,
    pub settlement_discount: f64,
    pub global_nominal_code: String,
    pub global_tax_code: Option<i32>,
    pub global_details: String,
    pub global_department: i32,
    pub net_value_discount: f64,
    pub net_value_discount_tax: f64,
    pub net_value_discount_description: String,
    pub net_value_discount_comment1: String,
    pub net_value_discount_comment2: String,
    /// Goods net before the net value discount.
    pub items_net: f64,
    pub items_tax: f64,
    pub total_net: f64,
    pub total_tax: f64,
    pub total_gross: f64,
    pub payment: Option<OrderPayment>,
    pub allocation_status: AllocationStatus,
    pub created: NaiveDateTime,
    pub modified: NaiveDateTime,
}

/// A posted order line; amounts are in the order currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    pub line_number: u32,
    pub stock_code: String,
    pub kind: LineKind,
    pub description: String,
    pub comment1: String,
    pub comment2: String,
    pub unit_of_sale: String,
    pub quantity: f64,
    /// Net unit price.
    pub unit_price: f64,
    /// Net discount per unit.
    pub discount_amount: f64,
    pub discount_percent: f64,
    pub net: f64,
    pub tax: f64,
    pub tax_code: i32,
    pub tax_rate: f64,
    pub nominal_code: String,
    pub department: i32,
    pub line_information: String,
    pub qty_allocated: f64,
    pub qty_despatched: f64,
}

/// The posted carriage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CarriageLine {
    pub description: String,
    pub quantity: f64,
    pub unit_price: f64,
    pub net: f64,
    pub tax: f64,
    pub tax_code: i32,
    pub tax_rate: f64,
    pub nominal_code: String,
    pub department: i32,
}

/// The payment recorded with an order: a sales receipt on account (`SA`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderPayment {
    pub kind: PaymentKind,
    pub amount: f64,
    pub bank_account: String,
    pub reference: String,
    pub transaction_number: u32,
}

/// What an order import did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderOutcome {
    pub order_number: u32,
    pub account_ref: String,
    pub customer_created: bool,
    pub products_created: Vec<String>,
    pub delivery_address_added: bool,
    pub order: SalesOrder,
}

/// Sales order operations.
impl Ledger {
    /// Posts an order (see the module docs for atomicity). Rule violations come back as
    /// [`LedgerError::Rejected`](crate::LedgerError::Rejected) and leave the ledger unchanged.
    pub fn import_sales_order(
        &mut self,
        request: &SalesOrderRequest,
        options: &OrderImportOptions,
    ) -> LedgerResult<OrderOutcome> {
        self.import_sales_order_keyed(request, options, None)
    }

    /// [`Ledger::import_sales_order`], recording `key` (the source order's Id) with the order
    /// in the same transaction, so [`Ledger::find_order_by_key`] finds it after a crash. A key
    /// another order carries is refused.
    pub fn import_sales_order_keyed(
        &mut self,
        request: &SalesOrderRequest,
        options: &OrderImportOptions,
        key: Option<&str>,
    ) -> LedgerResult<OrderOutcome> {
        let staged = self.journal.take_staged();
        let tx = self.conn.transaction()?;
        if let Some(key) = key
            && let Some(order_number) = store::order_with_key(&tx, key)?
        {
            return Err(crate::error::Rejection::DuplicateOrderKey {
                key: key.to_owned(),
                order_number,
            }
            .into());
        }
        let outcome = import::import(&tx, &self.stamper, request, options)?;
        if let Some(key) = key {
            store::set_key(&tx, key, outcome.order_number)?;
        }
        let resolved = crate::journal::Resolved {
            order_number: Some(outcome.order_number),
            account_ref: Some(&outcome.account_ref),
            line_numbers: &[],
        };
        self.journal.write(&tx, staged, &resolved)?;
        tx.commit()?;
        Ok(outcome)
    }

    pub fn find_sales_order(&self, order_number: u32) -> LedgerResult<Option<SalesOrder>> {
        store::load(&self.conn, order_number)
    }

    /// The order posted with idempotency key `key` (see [`Ledger::import_sales_order_keyed`]).
    pub fn find_order_by_key(&self, key: &str) -> LedgerResult<Option<SalesOrder>> {
        match store::order_with_key(&self.conn, key)? {
            Some(order_number) => store::load(&self.conn, order_number),
            None => Ok(None),
        }
    }

    /// Order numbers of an account's orders, oldest first.
    pub fn sales_order_numbers(&self, account_ref: &str) -> LedgerResult<Vec<u32>> {
        store::numbers_for_account(&self.conn, account_ref)
    }

    /// Every order number, lowest first.
    pub fn all_sales_order_numbers(&self) -> LedgerResult<Vec<u32>> {
        store::all_numbers(&self.conn)
    }

    pub fn sales_order_count(&self) -> LedgerResult<u64> {
        store::count(&self.conn)
    }

    /// Allocates free stock to the unallocated quantities of an existing order (docs/zynk-reference.md §5.7).
    pub fn allocate_order(&mut self, order_number: u32) -> LedgerResult<AllocationResult> {
        let tx = self.conn.transaction()?;
        let stamp = self.stamper.next();
        let mut order = store::load(&tx, order_number)?
            .ok_or(crate::error::Rejection::OrderNotFound(order_number))?;
        let result = allocation::allocate(&tx, stamp, &mut order)?;
        tx.commit()?;
        Ok(result)
    }

    /// The next automatic order number (not reserved).
    pub fn next_sales_order_number(&self) -> LedgerResult<u32> {
        crate::numbering::next_order_number(&self.conn)
    }

    /// Sets where automatic numbering continues (Sage: invoice and order defaults).
    pub fn set_next_sales_order_number(&mut self, next: u32) -> LedgerResult<()> {
        crate::numbering::set_next(&self.conn, next)
    }
}
