//! Export Customers and Export Invoices from Sage 50 UK (docs/sage50.md): the records created
//! or changed since the last run, as Zynk XML, in the way Export Stock Records works — a
//! cursor the caller stores once the file is delivered, and content hashes that leave out
//! records touched but not changed (for the Modified and New selections; All exports
//! everything and refreshes the hashes).

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zynk_xml::{Company, Contact, Item, Parsed, Record, XmlDateTime, XmlWriter};

use super::ProcedureError;
use super::export_hashes::{Candidate, select_changed};
use super::settings::never;
use crate::addresses::Address;
use crate::backend::SageBackend;
use crate::customers::Customer;
use crate::invoices::Invoice;
use crate::orders::{CarriageLine, OrderLine};
use crate::products::StockSelection;
use crate::sql::round_money;
use crate::truth::{TruthRecord, TruthStore, record_types};

use super::mapping::item_type_of;

/// Which records an export selects, from where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RecordExportSettings {
    /// The cursor: records created or changed after it.
    pub since: NaiveDateTime,
    pub selection: StockSelection,
    /// Invoices: amounts in the company's base currency instead of the account's.
    pub use_base_currency: bool,
}

impl Default for RecordExportSettings {
    fn default() -> Self {
        RecordExportSettings {
            since: never(),
            selection: StockSelection::Modified,
            use_base_currency: false,
        }
    }
}

/// What an export produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordExport {
    /// The Zynk document, written even when empty.
    pub document: Company,
    /// Records the selection found.
    pub scanned: usize,
    pub exported: usize,
    /// Selected but unchanged since their last export.
    pub suppressed: usize,
    /// The cursor to store once the output has been delivered.
    pub next_cursor: NaiveDateTime,
    /// Hash rows to store once the output has been delivered.
    pub hash_updates: Vec<TruthRecord>,
}

impl RecordExport {
    pub fn xml(&self) -> String {
        self.document.to_xml()
    }
}

fn hash_of<R: Record>(record: &R) -> String {
    let mut writer = XmlWriter::new();
    record.write(R::ELEMENT, &mut writer);
    hex::encode(Sha256::digest(writer.finish().as_bytes()))
}

/// Keeps the selected records whose content changed since their last export (all of them for
/// the All selection), noting the hashes to store (`export_hashes`).
fn select<R: Record>(
    truth: &dyn TruthStore,
    record_type: &str,
    settings: &RecordExportSettings,
    records: Vec<(String, NaiveDateTime, R)>,
    run_start: NaiveDateTime,
) -> Result<(Vec<Parsed<R>>, RecordExport), ProcedureError> {
    let candidates = records
        .into_iter()
        .map(|(key, modified, record)| Candidate {
            key,
            modified,
            hash: hash_of(&record),
            record: Parsed::Record(record),
        })
        .collect();
    let selected = select_changed(
        truth,
        record_type,
        settings.selection,
        settings.since,
        run_start,
        candidates,
    )?;
    let exported = selected.kept.len();
    Ok((
        selected.kept,
        RecordExport {
            document: Company::new(),
            scanned: selected.scanned,
            exported,
            suppressed: selected.suppressed,
            next_cursor: selected.next_cursor,
            hash_updates: selected.hash_updates,
        },
    ))
}

fn since(settings: &RecordExportSettings) -> (NaiveDateTime, bool) {
    match settings.selection {
        StockSelection::All => (never(), false),
        StockSelection::New => (settings.since, true),
        StockSelection::Modified => (settings.since, false),
    }
}

/// Selects and serialises customer accounts. Reads only: nothing is stored.
pub fn export_customers<B: SageBackend + ?Sized>(
    backend: &mut B,
    truth: &dyn TruthStore,
    settings: &RecordExportSettings,
) -> Result<RecordExport, ProcedureError> {
    let run_start = backend.now()?;
    let (from, new_only) = since(settings);
    let mut records = Vec::new();
    for customer in backend.customers_since(from, new_only)? {
        let delivery = backend
            .delivery_addresses(&customer.account_ref)?
            .into_iter()
            .next();
        let xml = customer_to_xml(&customer, delivery.as_ref());
        records.push((customer.account_ref.clone(), customer.modified, xml));
    }
    let (customers, export) = select(truth, record_types::CUSTOMER, settings, records, run_start)?;
    Ok(RecordExport {
        document: Company::with_customers(customers),
        ..export
    })
}

/// Selects and serialises invoices and credit notes. Reads only: nothing is stored.
pub fn export_invoices<B: SageBackend + ?Sized>(
    backend: &mut B,
    truth: &dyn TruthStore,
    settings: &RecordExportSettings,
) -> Result<RecordExport, ProcedureError> {
    let run_start = backend.now()?;
    let (from, new_only) = since(settings);
    let base_currency = backend.company()?.base_currency;
    let records = backend
        .invoices_since(from, new_only)?
        .into_iter()
        .map(|invoice| {
            let xml = invoice_to_xml(&invoice, settings.use_base_currency, &base_currency);
            (
                format!("{:010}", invoice.invoice_number),
                invoice.modified,
                xml,
            )
        })
        .collect();
    let (invoices, export) = select(truth, record_types::INVOICE, settings, records, run_start)?;
    Ok(RecordExport {
        document: Company::with_invoices(invoices),
        ..export
    })
}

fn text(value: &str) -> Option<String> {
    Some(value.to_owned())
}

fn date(value: NaiveDateTime) -> Option<XmlDateTime> {
    Some(XmlDateTime::from_naive(value))
}

/// Sage's five address lines as a Contact (line 3 is Address3/Town, 4 County, 5 Postcode).
fn contact_of(address: &Address) -> Contact {
    Contact {
        company: text(&address.name),
        surname: text(&address.contact_name),
        address1: text(&address.line1),
        address2: text(&address.line2),
        town: text(&address.line3),
        county: text(&address.line4),
        postcode: text(&address.line5),
        country: text(&address.country_code),
        telephone: text(&address.telephone),
        fax: text(&address.fax),
        email: text(&address.email),
        ..Contact::default()
    }
}

/// A customer account as Export Customers writes it.
pub fn customer_to_xml(customer: &Customer, delivery: Option<&Address>) -> zynk_xml::Customer {
    let invoice_address = Contact {
        company: text(&customer.name),
        surname: text(&customer.contact_name),
        address1: text(&customer.street1),
        address2: text(&customer.street2),
        town: text(&customer.town),
        county: text(&customer.county),
        postcode: text(&customer.postcode),
        country: text(&customer.country_code),
        telephone: text(&customer.telephone),
        mobile: text(&customer.telephone2),
        fax: text(&customer.fax),
        email: text(&customer.email),
        website: text(&customer.website),
        trade_contact: text(&customer.trade_contact),
        ..Contact::default()
    };
    zynk_xml::Customer {
        unique_id: text(&customer.account_ref),
        account_reference: text(&customer.account_ref),
        company_name: text(&customer.name),
        balance: Some(customer.balance),
        vat_number: text(&customer.vat_number),
        send_electronic_invoice: Some(customer.send_electronic_invoice),
        send_electronic_letter: Some(customer.send_electronic_letter),
        invoice_address: Some(invoice_address),
        delivery_address: delivery.map(contact_of),
        analysis1: text(&customer.analysis1),
        analysis2: text(&customer.analysis2),
        analysis3: text(&customer.analysis3),
        nominal_code: text(&customer.default_nominal_code),
        department: Some(customer.department),
        override_nominal_code: Some(customer.use_default_nominal_code),
        tax_code: Some(customer.default_tax_code),
        override_tax_code: Some(customer.use_default_tax_code),
        currency: text(&customer.currency),
        fixed_discount: Some(customer.discount_rate),
        price_list_reference: text(&customer.price_list_ref),
        discount_table: text(&customer.discount_table),
        credit_limit: Some(customer.credit_limit),
        settlement_days: Some(customer.settlement_days),
        settlement_discount: Some(customer.settlement_discount),
        payment_days: Some(customer.payment_days),
        terms: text(&customer.terms),
        account_status: Some(customer.account_status),
        duns_number: text(&customer.duns_number),
        terms_agreed: Some(customer.terms_agreed),
        account_on_hold: Some(customer.on_hold),
        account_opened: customer.account_opened.and_hms_opt(0, 0, 0).and_then(date),
        memo: text(&customer.memo),
        restrict_mailing: Some(customer.restrict_mailing),
        is_active: Some(!customer.inactive),
        ..zynk_xml::Customer::default()
    }
}

fn line_item(line: &OrderLine, scale: impl Fn(f64) -> f64) -> Item {
    Item {
        sku: text(&line.stock_code),
        name: text(&line.description),
        description: text(&line.comment1),
        comments: text(&line.comment2),
        unit_of_sale: text(&line.unit_of_sale),
        qty_ordered: Some(line.quantity),
        unit_price: Some(scale(line.unit_price)),
        unit_discount_amount: Some(scale(line.discount_amount)),
        unit_discount_percentage: Some(line.discount_percent),
        reference: text(&line.line_information),
        tax_rate: Some(line.tax_rate),
        total_net: Some(scale(line.net)),
        total_tax: Some(scale(line.tax)),
        tax_code: Some(line.tax_code),
        nominal_code: text(&line.nominal_code),
        department: Some(line.department),
        item_type: item_type_of(line.kind),
        ..Item::default()
    }
}

fn carriage_item(carriage: &CarriageLine, scale: impl Fn(f64) -> f64) -> Item {
    Item {
        name: text(&carriage.description),
        qty_ordered: Some(carriage.quantity),
        unit_price: Some(scale(carriage.unit_price)),
        tax_rate: Some(carriage.tax_rate),
        total_net: Some(scale(carriage.net)),
        total_tax: Some(scale(carriage.tax)),
        tax_code: Some(carriage.tax_code),
        nominal_code: text(&carriage.nominal_code),
        department: Some(carriage.department),
        ..Item::default()
    }
}

/// An invoice as Export Invoices writes it; with `use_base_currency`, amounts converted from
/// the account's currency at the invoice's exchange rate.
pub fn invoice_to_xml(
    invoice: &Invoice,
    use_base_currency: bool,
    base_currency: &str,
) -> zynk_xml::Invoice {
    let document = &invoice.document;
    let rate = if use_base_currency && document.foreign_rate > 0.0 {
        document.foreign_rate
    } else {
        1.0
    };
    let scale = |amount: f64| round_money(amount / rate);
    let gross = scale(document.total_gross);
    let paid = scale(invoice.amount_paid);
    let number = invoice.invoice_number.to_string();
    let payment = invoice.payment.as_ref();
    zynk_xml::Invoice {
        unique_id: Some(number.clone()),
        invoice_number: Some(number),
        customer_order_number: text(&document.customer_order_number),
        account_reference: text(&document.account_ref),
        order_number: text(&invoice.order_number),
        foreign_rate: Some(document.foreign_rate),
        currency: Some(if use_base_currency {
            base_currency.to_owned()
        } else {
            document.currency.clone()
        }),
        notes1: text(&document.notes1),
        notes2: text(&document.notes2),
        notes3: text(&document.notes3),
        invoice_date: date(document.order_date),
        due_date: invoice.due_date.and_then(date),
        address: Some(contact_of(&document.invoice_address)),
        delivery_address: Some(contact_of(&document.delivery_address)),
        items: document
            .lines
            .iter()
            .map(|line| line_item(line, scale))
            .collect(),
        items_net: Some(scale(document.items_net)),
        items_tax: Some(scale(document.items_tax)),
        items_total: Some(scale(document.items_net + document.items_tax)),
        carriage: document
            .carriage
            .as_ref()
            .map(|carriage| carriage_item(carriage, scale)),
        invoice_type: Some(match invoice.invoice_type {
            crate::invoices::InvoiceType::ProductInvoice => zynk_xml::InvoiceType::ProductInvoice,
            crate::invoices::InvoiceType::ProductCredit => zynk_xml::InvoiceType::ProductCredit,
            crate::invoices::InvoiceType::ServiceInvoice => zynk_xml::InvoiceType::ServiceInvoice,
            crate::invoices::InvoiceType::ServiceCredit => zynk_xml::InvoiceType::ServiceCredit,
            crate::invoices::InvoiceType::ProductProforma => zynk_xml::InvoiceType::ProductProforma,
            crate::invoices::InvoiceType::ServiceProforma => zynk_xml::InvoiceType::ServiceProforma,
            crate::invoices::InvoiceType::ProductQuotation => {
                zynk_xml::InvoiceType::ProductQuotation
            }
        }),
        taken_by: text(&document.taken_by),
        consignment_no: text(&document.consignment_no),
        courier: document.courier,
        settlement_days: Some(document.settlement_days),
        net_value_discount: Some(scale(document.net_value_discount)),
        net_value_discount_description: text(&document.net_value_discount_description),
        net_value_discount_comment1: text(&document.net_value_discount_comment1),
        net_value_discount_comment2: text(&document.net_value_discount_comment2),
        settlement_discount: Some(document.settlement_discount),
        global_nominal_code: text(&document.global_nominal_code),
        global_tax_code: document.global_tax_code,
        global_details: text(&document.global_details),
        global_department: Some(document.global_department),
        payment_ref: payment.map(|p| p.reference.clone()),
        payment_amount: payment.map(|p| scale(p.amount)),
        bank_account: payment.map(|p| p.bank_account.clone()),
        payment_type: payment.map(|p| match p.kind {
            crate::invoices::InvoicePaymentKind::SalesReceipt => {
                zynk_xml::InvoicePaymentType::SalesReceipt
            }
            crate::invoices::InvoicePaymentKind::SalesReceiptOnAccount => {
                zynk_xml::InvoicePaymentType::SalesReceiptOnAccount
            }
        }),
        posted_flag: Some(invoice.tran_number.is_some()),
        posted_date: invoice.tran_number.and(date(invoice.created)),
        printed_flag: Some(false),
        paid_flag: Some(invoice.tran_number.is_some() && paid + 0.005 >= gross),
        amount_paid: Some(paid),
        transaction_number: invoice.tran_number.map(|tran| tran.to_string()),
        ..zynk_xml::Invoice::default()
    }
}
