//! `Invoices/Invoice`: sales invoices and credit notes (docs/sage50.md "Import Invoices").

use crate::codec::XmlDateTime;
use crate::contact::{Contact, CustomField, ZynkError};
use crate::record::{zynk_enum, zynk_record};
use crate::sales_order::Item;

zynk_enum! {
    /// Sage invoice type: product or service, invoice or credit note; proformas and quotations
    /// are kept but not posted.
    pub enum InvoiceType {
        ProductInvoice,
        ProductCredit,
        ServiceInvoice,
        ServiceCredit,
        ProductProforma,
        ServiceProforma,
        ProductQuotation,
    }
}

zynk_enum! {
    /// How a payment taken with an invoice is recorded: allocated to it (`SalesReceipt`) or
    /// left on the account (`SalesReceiptOnAccount`).
    pub enum InvoicePaymentType { SalesReceipt, SalesReceiptOnAccount }
}

zynk_record! {
    /// A sales invoice or credit note (docs/sage50.md). `[X]` fields are written by exports and
    /// success files; imports ignore them.
    pub struct Invoice = "Invoice", key "Id" | "InvoiceNumber" {
        errors "Errors" errors: Vec<ZynkError> ["Error"],
        /// External key: the prevent-duplicates key, kept in the success file.
        value "Id" id: Option<String>,
        /// `[X]` Sage invoice number.
        value "UniqueId" unique_id: Option<String>,
        /// External customer key, resolved to an account through truth.
        value "CustomerId" customer_id: Option<String>,
        /// Used only with Use Manual Invoice Number; the Sage number on success.
        value "InvoiceNumber" invoice_number: Option<String>,
        value "CustomerOrderNumber" customer_order_number: Option<String>,
        value "AccountReference" account_reference: Option<String>,
        /// Sage "Order No" (text).
        value "OrderNumber" order_number: Option<String>,
        value "ForeignRate" foreign_rate: Option<f64>,
        value "Currency" currency: Option<String>,
        value "Notes1" notes1: Option<String>,
        value "Notes2" notes2: Option<String>,
        value "Notes3" notes3: Option<String>,
        value "CurrencyUsed" currency_used: Option<bool>,
        value "InvoiceDate" invoice_date: Option<XmlDateTime>,
        value "DueDate" due_date: Option<XmlDateTime>,
        value "DespatchDate" despatch_date: Option<XmlDateTime>,
        nested "InvoiceAddress" address: Option<Contact>,
        nested "InvoiceDeliveryAddress" delivery_address: Option<Contact>,
        list "InvoiceItems" items: Vec<Item> ["Item"],
        /// `[X]`
        value "ItemsNet" items_net: Option<f64>,
        /// `[X]`
        value "ItemsTax" items_tax: Option<f64>,
        /// `[X]`
        value "ItemsTotal" items_total: Option<f64>,
        nested "Carriage" carriage: Option<Item>,
        list "CustomFields" custom_fields: Vec<CustomField> ["CustomField"],
        value "InvoiceType" invoice_type: Option<InvoiceType>,
        value "TakenBy" taken_by: Option<String>,
        value "ConsignmentNo" consignment_no: Option<String>,
        value "Courier" courier: Option<i32>,
        value "SettlementDays" settlement_days: Option<i32>,
        value "NetValueDiscount" net_value_discount: Option<f64>,
        value "NetValueDiscountPercent" net_value_discount_percent: Option<f64>,
        value "NetValueDiscountDescription" net_value_discount_description: Option<String>,
        value "NetValueDiscountComment1" net_value_discount_comment1: Option<String>,
        value "NetValueDiscountComment2" net_value_discount_comment2: Option<String>,
        /// `[X]` (type undocumented; kept as text).
        value "DiscountType" discount_type: Option<String>,
        value "SettlementDiscount" settlement_discount: Option<f64>,
        value "GlobalNominalCode" global_nominal_code: Option<String>,
        value "GlobalTaxCode" global_tax_code: Option<i32>,
        value "GlobalDetails" global_details: Option<String>,
        value "GlobalDepartment" global_department: Option<i32>,
        value "PaymentRef" payment_ref: Option<String>,
        value "PaymentAmount" payment_amount: Option<f64>,
        value "PaymentType" payment_type: Option<InvoicePaymentType>,
        value "BankAccount" bank_account: Option<String>,
        /// `[X]`
        value "PostedDate" posted_date: Option<XmlDateTime>,
        /// `[X]` whether the invoice is on the audit trail.
        value "PostedFlag" posted_flag: Option<bool>,
        /// `[X]`
        value "PrintedFlag" printed_flag: Option<bool>,
        /// `[X]`
        value "PaidFlag" paid_flag: Option<bool>,
        /// `[X]` allocated payments so far.
        value "AmountPaid" amount_paid: Option<f64>,
        value "TaxNumber" tax_number: Option<String>,
        /// Written back on success: the audit-trail transaction the invoice posted as.
        value "TransactionNumber" transaction_number: Option<String>,
        raw "AnalysisCodes" analysis_codes: Option<crate::tree::Element>,
    }
}
