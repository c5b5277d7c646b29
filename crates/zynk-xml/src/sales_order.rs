//! `SalesOrders/SalesOrder` with its lines and carriage (docs/zynk-reference.md §3.4).

use crate::codec::XmlDateTime;
use crate::contact::{Contact, CustomField, ZynkError};
use crate::record::{zynk_enum, zynk_record};
use crate::tree::Element;

zynk_enum! {
    /// Sage document type of an imported order.
    pub enum SalesOrderType { ProductInvoice, SopInvoice, SopQuote, SopProforma }
}

zynk_enum! {
    /// How an order's payment is recorded (docs/zynk-reference.md §5.8).
    pub enum PaymentType { SalesReceipt, PaymentAlreadyReceived }
}

zynk_enum! {
    /// Stock item type; `INVALID` is the XSD's "not set" value.
    #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
    pub enum ItemType { INVALID, Stock, NonStock, Service }
}

zynk_record! {
    /// An order line (`SalesOrderItems/Item`) or the order's `Carriage`.
    pub struct Item = "Item", key "Sku" {
        value "Id" id: Option<String>,
        /// Product code; also the special codes S1/S2/S3 and M (message line).
        value "Sku" sku: Option<String>,
        value "Name" name: Option<String>,
        /// Sage "Comment 1".
        value "Description" description: Option<String>,
        /// Sage "Comment 2".
        value "Comments" comments: Option<String>,
        value "UnitOfSale" unit_of_sale: Option<String>,
        value "QtyOrdered" qty_ordered: Option<f64>,
        value "UnitPrice" unit_price: Option<f64>,
        value "UnitDiscountAmount" unit_discount_amount: Option<f64>,
        value "UnitDiscountPercentage" unit_discount_percentage: Option<f64>,
        value "NominalCode" nominal_code: Option<String>,
        value "TaxCode" tax_code: Option<i32>,
        value "Department" department: Option<i32>,
        /// Sage "Line Information".
        value "Reference" reference: Option<String>,
        /// Service invoice lines: the line's details (docs/sage50.md).
        value "Details" details: Option<String>,
        /// Service invoice lines: longer text of the line.
        value "Text" text: Option<String>,
        /// `[X]`
        value "TaxRate" tax_rate: Option<f64>,
        /// `[X]`
        value "TotalNet" total_net: Option<f64>,
        /// `[X]`
        value "TotalTax" total_tax: Option<f64>,
        /// `[X]`
        value "Type" item_type: Option<ItemType>,
        /// `[X]` written to the success file when Auto Allocate Stock is on.
        value "QtyAllocated" qty_allocated: Option<f64>,
        value "QtyDespatched" qty_despatched: Option<f64>,
        value "QtyReceived" qty_received: Option<f64>,
        value "QtyInvoiced" qty_invoiced: Option<f64>,
        value "Status" status: Option<String>,
        list "CustomFields" custom_fields: Vec<CustomField> ["CustomField"],
        raw "AnalysisCodes" analysis_codes: Option<Element>,
        raw "Batches" batches: Option<Element>,
    }
}

zynk_record! {
    /// A sales order (docs/zynk-reference.md §3.4).
    pub struct SalesOrder = "SalesOrder", key "Id" | "CustomerOrderNumber" {
        errors "Errors" errors: Vec<ZynkError> ["Error"],
        /// External key: the prevent-duplicates key, kept in the success file.
        value "Id" id: Option<String>,
        /// External customer key, resolved to an account through truth.
        value "CustomerId" customer_id: Option<String>,
        value "AccountReference" account_reference: Option<String>,
        /// Used only with Use Manual Sales Order Number; overwritten by the Sage number on success.
        value "SalesOrderNumber" sales_order_number: Option<String>,
        /// `[X]` Sage order number.
        value "UniqueId" unique_id: Option<String>,
        value "CustomerOrderNumber" customer_order_number: Option<String>,
        value "SalesOrderDate" sales_order_date: Option<XmlDateTime>,
        value "SalesOrderType" sales_order_type: Option<SalesOrderType>,
        value "Currency" currency: Option<String>,
        value "ForeignRate" foreign_rate: Option<f64>,
        value "CurrencyUsed" currency_used: Option<bool>,
        value "VatInclusive" vat_inclusive: Option<bool>,
        value "TakenBy" taken_by: Option<String>,
        value "Notes1" notes1: Option<String>,
        value "Notes2" notes2: Option<String>,
        value "Notes3" notes3: Option<String>,
        /// Sage "Due".
        value "DespatchDate" despatch_date: Option<XmlDateTime>,
        value "PromisedDeliveryDate" promised_delivery_date: Option<XmlDateTime>,
        value "RequestedDeliveryDate" requested_delivery_date: Option<XmlDateTime>,
        value "Custom1" custom1: Option<String>,
        value "Custom2" custom2: Option<String>,
        value "Custom3" custom3: Option<String>,
        nested "SalesOrderAddress" address: Option<Contact>,
        nested "SalesOrderDeliveryAddress" delivery_address: Option<Contact>,
        list "SalesOrderItems" items: Vec<Item> ["Item"],
        nested "Carriage" carriage: Option<Item>,
        value "ConsignmentNo" consignment_no: Option<String>,
        value "Courier" courier: Option<i32>,
        value "SettlementDays" settlement_days: Option<i32>,
        value "SettlementDiscount" settlement_discount: Option<f64>,
        value "GlobalNominalCode" global_nominal_code: Option<String>,
        value "GlobalTaxCode" global_tax_code: Option<i32>,
        value "GlobalDetails" global_details: Option<String>,
        value "GlobalDepartment" global_department: Option<i32>,
        value "NetValueDiscountDescription" net_value_discount_description: Option<String>,
        value "NetValueDiscountComment1" net_value_discount_comment1: Option<String>,
        value "NetValueDiscountComment2" net_value_discount_comment2: Option<String>,
        value "NetValueDiscountPercent" net_value_discount_percent: Option<f64>,
        value "NetValueDiscount" net_value_discount: Option<f64>,
        value "PaymentRef" payment_ref: Option<String>,
        value "BankAccount" bank_account: Option<String>,
        value "PaymentAmount" payment_amount: Option<f64>,
        value "PaymentType" payment_type: Option<PaymentType>,
        /// `[X]` (type undocumented; kept as text).
        value "DiscountType" discount_type: Option<String>,
        value "TaxNumber" tax_number: Option<String>,
        value "DespatchStatus" despatch_status: Option<String>,
        value "Status" status: Option<String>,
        list "CustomFields" custom_fields: Vec<CustomField> ["CustomField"],
        raw "AnalysisCodes" analysis_codes: Option<Element>,
    }
}
