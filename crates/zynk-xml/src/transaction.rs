//! `Transactions/Transaction`: audit-trail transactions of every kind (docs/sage50.md "Import
//! Transactions"). One object model serves all types; which fields count depends on the type.

use crate::codec::XmlDateTime;
use crate::contact::ZynkError;
use crate::record::{zynk_enum, zynk_record};

zynk_enum! {
    /// The transaction types Import Transactions posts (Sage's two-letter code in brackets):
    /// customer (SI, SC, SR, SA, SP), supplier (PI, PC, PP, PA, PR), bank (BR, BP), bank
    /// transfers and journals (JD, JC).
    pub enum TransactionType {
        SalesInvoice,
        SalesCredit,
        SalesReceipt,
        SalesReceiptOnAccount,
        SalesPayment,
        PurchaseInvoice,
        PurchaseCredit,
        PurchasePayment,
        PurchasePaymentOnAccount,
        PurchaseReceipt,
        BankReceipt,
        BankPayment,
        BankTransfer,
        JournalDebit,
        JournalCredit,
    }
}

zynk_record! {
    /// One transaction, or one split of a grouped invoice, credit or journal.
    pub struct Transaction = "Transaction", key "Id" | "Reference" {
        errors "Errors" errors: Vec<ZynkError> ["Error"],
        /// External key: the prevent-duplicates key.
        value "Id" id: Option<String>,
        /// External customer key, resolved to an account through truth.
        value "CustomerId" customer_id: Option<String>,
        value "TransactionType" transaction_type: Option<TransactionType>,
        /// The customer or supplier account; the bank for bank receipts and payments; the
        /// nominal code for journals.
        value "AccountReference" account_reference: Option<String>,
        value "TransactionDate" transaction_date: Option<XmlDateTime>,
        value "PostedDate" posted_date: Option<XmlDateTime>,
        value "DueDate" due_date: Option<XmlDateTime>,
        /// The bank of receipts and payments.
        value "BankReference" bank_reference: Option<String>,
        value "FromBankAccount" from_bank_account: Option<String>,
        value "ToBankAccount" to_bank_account: Option<String>,
        value "NominalCode" nominal_code: Option<String>,
        value "Department" department: Option<i32>,
        value "Fund" fund: Option<String>,
        value "ProjectRef" project_ref: Option<String>,
        value "ProjectItem" project_item: Option<String>,
        /// Sage "Ref"; also what auto-allocation matches.
        value "Reference" reference: Option<String>,
        value "SecondReference" second_reference: Option<String>,
        /// Sage "Ex.Ref".
        value "PaymentReference" payment_reference: Option<String>,
        value "Details" details: Option<String>,
        value "NetAmount" net_amount: Option<f64>,
        value "TaxRate" tax_rate: Option<f64>,
        value "TaxCode" tax_code: Option<i32>,
        value "TaxAmount" tax_amount: Option<f64>,
        /// Bank transfers: the amount leaving the from-bank.
        value "PaymentAmount" payment_amount: Option<f64>,
        /// Bank transfers: the amount arriving in the to-bank.
        value "ReceiptAmount" receipt_amount: Option<f64>,
        value "ExchangeRate" exchange_rate: Option<f64>,
        /// Written back on success: the Sage transaction number.
        value "TransactionNumber" transaction_number: Option<String>,
    }
}
