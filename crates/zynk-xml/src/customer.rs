//! `Customers/Customer` (docs/zynk-reference.md §3.3).

use crate::codec::XmlDateTime;
use crate::contact::{Contact, CustomField, ZynkError};
use crate::record::{zynk_enum, zynk_record};

zynk_enum! {
    /// Customer discount scheme.
    pub enum DiscountType { NoDiscount, InvoiceValue, DiscountTable }
}

zynk_enum! {
    /// How payment days are counted (docs/zynk-reference.md §3.3 `PaymentDueFrom`).
    pub enum PaymentDueFrom {
        DaysAfterInvoiceDate,
        DaysFromFirstDayOfFollowingMonth,
        DaysBeforeLastDayOfFollowingMonth,
        DayOfMonth,
        DaysFromOneMonthAfterInvoiceDate,
    }
}

zynk_record! {
    /// `DepartmentInfo`.
    pub struct DepartmentInfo = "DepartmentInfo", key "Reference" {
        value "Reference" reference: Option<i32>,
        value "Name" name: Option<String>,
    }
}

zynk_record! {
    /// `Banks/Bank`.
    pub struct Bank = "Bank", key "AccountNumber" {
        value "BankName" bank_name: Option<String>,
        value "Address1" address1: Option<String>,
        value "Address2" address2: Option<String>,
        value "Town" town: Option<String>,
        value "County" county: Option<String>,
        value "Postcode" postcode: Option<String>,
        value "AccountName" account_name: Option<String>,
        value "SortCode" sort_code: Option<String>,
        value "AccountNumber" account_number: Option<String>,
        value "BACSRef" bacs_ref: Option<String>,
        value "IBAN" iban: Option<String>,
        value "BICSwift" bic_swift: Option<String>,
        value "RollNumber" roll_number: Option<String>,
        value "AdditionalRef1" additional_ref1: Option<String>,
        value "AdditionalRef2" additional_ref2: Option<String>,
        value "AdditionalRef3" additional_ref3: Option<String>,
        value "OnlineReceipts" online_receipts: Option<bool>,
    }
}

zynk_record! {
    /// A customer account record (docs/zynk-reference.md §3.3). `[X]` fields are export/output only; imports ignore them.
    pub struct Customer = "Customer", key "Id" | "AccountReference" {
        errors "Errors" errors: Vec<ZynkError> ["Error"],
        /// External key, used for truth look-ups.
        value "Id" id: Option<String>,
        /// `[X]` Sage key in exports and success files (= AccountReference).
        value "UniqueId" unique_id: Option<String>,
        value "AccountReference" account_reference: Option<String>,
        value "CompanyName" company_name: Option<String>,
        /// `[X]`
        value "Balance" balance: Option<f64>,
        value "VatNumber" vat_number: Option<String>,
        value "SendElectronicInvoice" send_electronic_invoice: Option<bool>,
        value "SendElectronicLetter" send_electronic_letter: Option<bool>,
        nested "CustomerInvoiceAddress" invoice_address: Option<Contact>,
        nested "CustomerDeliveryAddress" delivery_address: Option<Contact>,
        value "Analysis1" analysis1: Option<String>,
        value "Analysis2" analysis2: Option<String>,
        value "Analysis3" analysis3: Option<String>,
        value "NominalCode" nominal_code: Option<String>,
        value "Department" department: Option<i32>,
        nested "DepartmentInfo" department_info: Option<DepartmentInfo>,
        /// "Use this nominal code for sales".
        value "OverrideNominalCode" override_nominal_code: Option<bool>,
        value "TaxCode" tax_code: Option<i32>,
        /// "Use this tax code for sales".
        value "OverrideTaxCode" override_tax_code: Option<bool>,
        /// ISO 4217; create-only.
        value "Currency" currency: Option<String>,
        value "FixedDiscount" fixed_discount: Option<f64>,
        value "PriceListReference" price_list_reference: Option<String>,
        value "DiscountType" discount_type: Option<DiscountType>,
        value "DiscountTable" discount_table: Option<String>,
        value "CreditLimit" credit_limit: Option<f64>,
        value "SettlementDays" settlement_days: Option<i32>,
        value "SettlementDiscount" settlement_discount: Option<f64>,
        value "PaymentDays" payment_days: Option<f64>,
        value "PaymentDueFrom" payment_due_from: Option<PaymentDueFrom>,
        value "Terms" terms: Option<String>,
        value "AccountStatus" account_status: Option<i32>,
        value "DUNSNumber" duns_number: Option<String>,
        value "TermsAgreed" terms_agreed: Option<bool>,
        value "AccountOnHold" account_on_hold: Option<bool>,
        /// Create-only; defaults to today.
        value "AccountOpened" account_opened: Option<XmlDateTime>,
        value "LastCreditReview" last_credit_review: Option<XmlDateTime>,
        value "NextCreditReview" next_credit_review: Option<XmlDateTime>,
        /// `[X]` (sic: the product spells it this way).
        value "ApplicationaDate" application_date: Option<XmlDateTime>,
        value "DateReceived" date_received: Option<XmlDateTime>,
        value "LastInvoiceDate" last_invoice_date: Option<XmlDateTime>,
        value "LastPaymentDate" last_payment_date: Option<XmlDateTime>,
        value "TurnoverMTD" turnover_mtd: Option<f64>,
        value "TurnoverYTD" turnover_ytd: Option<f64>,
        value "PriorYear" prior_year: Option<f64>,
        list "Banks" banks: Vec<Bank> ["Bank"],
        raw "Attachments" attachments: Option<crate::tree::Element>,
        value "Memo" memo: Option<String>,
        value "RestrictMailing" restrict_mailing: Option<bool>,
        /// Undocumented; read as "do not update an existing account" (docs/zynk-reference.md §3.3 [I]).
        value "CreateOnly" create_only: Option<bool>,
        /// Maps to the Sage inactive flag (inverted).
        value "IsActive" is_active: Option<bool>,
        raw "Contacts" contacts: Option<crate::tree::Element>,
        list "CustomFields" custom_fields: Vec<CustomField> ["CustomField"],
        raw "AnalysisCodes" analysis_codes: Option<crate::tree::Element>,
    }
}
