//! Import Invoices into Sage 50 UK (docs/sage50.md "Import Invoices").
//!
//! An invoice shares its account, address, line and footer rules with a sales order, so each
//! `Invoice` is read as the order it resembles and goes through the order import's account
//! resolution and request building; the ledger then posts it as an invoice or credit note.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use zynk_xml::{Company, Invoice as XmlInvoice, SalesOrder as XmlOrder, ZynkError};

use super::accounts::link_account;
use super::import_orders::{
    ANONYMOUS, OrderRun, build_request, resolve_account, staged_document_truth,
};
use super::mapping::{item_type_of, non_blank};
use super::settings::SalesOrderImportSettings;
use super::{
    CarriesErrors, ImportCounts, ImportReport, Imported, ProcedureError, RecordFailure, error_date,
    finish_journal, recover_truth, run_records,
};
use crate::account_refs::{AccountReferenceGenerator, AccountReferenceSettings};
use crate::backend::ImportBackend;
use crate::customers::MatchField;
use crate::invoices::{
    Invoice, InvoiceOutcome, InvoicePaymentKind, InvoicePaymentRequest, InvoiceRequest,
    InvoiceType, parse_manual_invoice_number,
};
use crate::orders::VatSettings;
use crate::truth::{TruthRecord, TruthStore, record_types};

const OPERATION: &str = "Invoice Import";

impl CarriesErrors for XmlInvoice {
    fn errors_mut(&mut self) -> &mut Vec<ZynkError> {
        &mut self.errors
    }
}

/// Import Invoices' settings (docs/sage50.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InvoiceImportSettings {
    pub account_references: AccountReferenceSettings,
    pub create_multiple_delivery_addresses: bool,
    pub match_fields: Vec<MatchField>,
    /// Used when an invoice has no AccountReference (e.g. `WEBSALES`); empty for none.
    pub default_account_reference: String,
    pub default_bank_account: String,
    pub prevent_duplicates: bool,
    pub use_manual_invoice_number: bool,
    pub auto_create_customer: bool,
    pub auto_create_products: bool,
    pub convert_to_account_currency: bool,
    pub default_product_code: String,
    pub prices_include_tax: bool,
    pub read_sales_ledger_data: bool,
    pub vat_settings: VatSettings,
    /// Names the workflow whose truth records the import keeps (its data location): the key an
    /// invoice is posted under, so a run killed before its truth row finds it in the ledger.
    pub key_scope: String,
}

impl Default for InvoiceImportSettings {
    fn default() -> Self {
        InvoiceImportSettings {
            account_references: AccountReferenceSettings::default(),
            create_multiple_delivery_addresses: false,
            match_fields: Vec::new(),
            default_account_reference: String::new(),
            default_bank_account: "1200".into(),
            prevent_duplicates: true,
            use_manual_invoice_number: false,
            auto_create_customer: false,
            auto_create_products: true,
            convert_to_account_currency: false,
            default_product_code: "S1".into(),
            prices_include_tax: false,
            read_sales_ledger_data: false,
            vat_settings: VatSettings::default(),
            key_scope: String::new(),
        }
    }
}

impl InvoiceImportSettings {
    /// The order import's settings these correspond to (account and pricing rules).
    fn order_settings(&self) -> SalesOrderImportSettings {
        SalesOrderImportSettings {
            account_references: self.account_references.clone(),
            create_multiple_delivery_addresses: self.create_multiple_delivery_addresses,
            match_fields: self.match_fields.clone(),
            auto_allocate_stock: false,
            default_bank_account: self.default_bank_account.clone(),
            prevent_duplicates: self.prevent_duplicates,
            use_manual_sales_order_number: false,
            use_manual_document_number: false,
            auto_create_customer: self.auto_create_customer,
            auto_create_products: self.auto_create_products,
            convert_to_account_currency: self.convert_to_account_currency,
            default_product_code: self.default_product_code.clone(),
            prices_include_tax: self.prices_include_tax,
            read_sales_ledger_data: self.read_sales_ledger_data,
            vat_settings: self.vat_settings,
        }
    }

    fn key(&self, id: &str) -> String {
        format!("{}/{id}", self.key_scope)
    }
}

/// Imports `input`'s `Invoices` collection (other collections are ignored).
///
/// Per invoice: with Prevent Duplicates, an `Id` already in truth, earlier in this file, or
/// already posted under this workflow's key (its truth row lost to a kill; the row is written
/// now) is rejected, naming the invoice it became. The account is resolved as for orders
/// (AccountReference, else the Default Account Reference, else CustomerId via truth, Match
/// Accounts On, auto-create); the ledger prices and posts the invoice in one transaction; truth
/// records Id → invoice number and CustomerId → account. As for sales orders, the truth rows
/// are journaled with the invoice (a truth journal on), and an invoice a resumed run's
/// interrupted predecessor posted from the same record is reported as imported then.
///
/// `input` may be lent (`&company`: its records are copied once) or handed over
/// (`company`: its records are worked on where they are, held once for the whole run).
pub fn import_invoices<'a, B: ImportBackend + ?Sized>(
    backend: &mut B,
    truth: &mut dyn TruthStore,
    input: impl Into<Cow<'a, Company>>,
    settings: &InvoiceImportSettings,
) -> Result<ImportReport, ProcedureError> {
    let order_settings = settings.order_settings();
    let mut run = OrderRun {
        settings: &order_settings,
        options: order_settings.ledger_options(),
        generator: AccountReferenceGenerator::when_enabled(&settings.account_references)?,
        imported_here: HashMap::new(),
        noun: "invoice",
    };
    recover_truth(backend, truth)?;
    let entries = match input.into() {
        Cow::Borrowed(input) => input.invoices.clone(),
        Cow::Owned(input) => input.invoices,
    }
    .unwrap_or_default();
    let date = error_date(backend)?;
    let mut counts = ImportCounts {
        read: entries.len(),
        ..ImportCounts::default()
    };
    let mut result = run_records(entries, OPERATION, &date, |index, invoice| {
        backend.set_replay_record(Some(index));
        import_one(backend, truth, &mut run, settings, invoice, &mut counts)
    });
    backend.set_replay_record(None);
    counts.imported = result.success.len();
    counts.failed = result.fail.len();
    let mut warnings = Vec::new();
    finish_journal(backend, truth, &mut result.aborted, &mut warnings);
    Ok(ImportReport {
        success: Company::with_invoices(result.success),
        fail: Company::with_invoices(result.fail),
        counts,
        warnings,
        aborted: result.aborted,
    })
}

fn import_one<B: ImportBackend + ?Sized>(
    backend: &mut B,
    truth: &mut dyn TruthStore,
    run: &mut OrderRun<'_>,
    settings: &InvoiceImportSettings,
    invoice: &XmlInvoice,
    counts: &mut ImportCounts,
) -> Result<Imported<XmlInvoice>, RecordFailure> {
    let id = non_blank(&invoice.id).filter(|_| settings.prevent_duplicates);
    if let Some(replayed) = replayed_invoice(backend, &*truth, non_blank(&invoice.id))? {
        // The resumed run's own earlier import of this very record: report it as then, once.
        backend.claim_replayed(
            record_types::INVOICE,
            non_blank(&invoice.id).unwrap_or(ANONYMOUS),
        )?;
        if let Some(id) = id {
            run.imported_here
                .insert(id.to_owned(), replayed.invoice_number);
        }
        let outcome = InvoiceOutcome {
            invoice_number: replayed.invoice_number,
            account_ref: replayed.document.account_ref.clone(),
            customer_created: false,
            products_created: Vec::new(),
            delivery_address_added: false,
            invoice: replayed,
        };
        return Ok(Imported::new(success_record(invoice, &outcome)));
    }
    if let Some(id) = id {
        if let Some(number) = run.imported_here.get(id) {
            return Err(RecordFailure::Rejected(format!(
                "Invoice '{id}' is a duplicate: an earlier invoice in this file with the same Id was imported as invoice {number}, so this one was not imported"
            )));
        }
        if let Some(row) = truth.find_by_external_id(record_types::INVOICE, id)? {
            return Err(RecordFailure::Rejected(format!(
                "Invoice '{id}' has already been imported as invoice {}, so it was not imported again; delete its truth record to import it again",
                shown_number(&row.internal_id)
            )));
        }
        if let Some(posted) = backend.find_invoice_by_key(&settings.key(id))? {
            // Posted by a run that stopped before writing its truth row: write it now.
            record_truth(
                truth,
                invoice,
                posted.invoice_number,
                &posted.document.account_ref,
            )?;
            return Err(RecordFailure::Rejected(format!(
                "Invoice '{id}' has already been imported as invoice {}, so it was not imported again; delete its truth record to import it again",
                posted.invoice_number
            )));
        }
    }

    let mut as_order = order_of(invoice);
    if non_blank(&as_order.account_reference).is_none()
        && !settings.default_account_reference.trim().is_empty()
    {
        as_order.account_reference = Some(settings.default_account_reference.trim().to_owned());
    }
    let account = resolve_account(backend, truth, run, &as_order)?;
    let document = build_request(backend, run, &as_order, &account)?;
    let invoice_type = invoice_type(invoice.invoice_type);
    let invoice_number = match (
        settings.use_manual_invoice_number,
        non_blank(&invoice.invoice_number),
    ) {
        (true, Some(text)) => Some(parse_manual_invoice_number(text)?),
        (true, None) => {
            return Err(RecordFailure::Rejected(
                "Use manual invoice number is on but the invoice has no InvoiceNumber".to_owned(),
            ));
        }
        // The XML number is ignored: Sage numbers the invoice.
        (false, _) => None,
    };
    let request = InvoiceRequest {
        document,
        invoice_type,
        invoice_number,
        due_date: invoice.due_date.as_ref().map(|d| d.naive_local()),
        order_number: invoice.order_number.clone().unwrap_or_default(),
        payment: payment_request(invoice),
    };
    let key = id.map(|id| settings.key(id));
    backend.stage_truth(staged_document_truth(
        record_types::INVOICE,
        &invoice.id,
        &invoice.customer_id,
    ));
    let outcome = backend.post_invoice(key.as_deref(), &request, &run.options)?;
    counts.customers_created += usize::from(outcome.customer_created);
    counts.products_created += outcome.products_created.len();
    if let Some(id) = id {
        run.imported_here
            .insert(id.to_owned(), outcome.invoice_number);
    }
    let mut result = Imported::new(success_record(invoice, &outcome));
    if let Err(error) = record_truth(truth, invoice, outcome.invoice_number, &outcome.account_ref) {
        result.stop_after = Some(error.to_string());
    }
    Ok(result)
}

/// The invoice an interrupted run of this lineage posted from this record (the replay key
/// names the document and the record's position): for an invoice with an Id, when it is the
/// one the truth store names; one without an Id has only the mark to go by.
fn replayed_invoice<B: ImportBackend + ?Sized>(
    backend: &mut B,
    truth: &dyn TruthStore,
    id: Option<&str>,
) -> Result<Option<Invoice>, RecordFailure> {
    let Some(internal) = backend.replayed(record_types::INVOICE, id.unwrap_or(ANONYMOUS))? else {
        return Ok(None);
    };
    if let Some(id) = id {
        let named = truth.find_by_external_id(record_types::INVOICE, id)?;
        if named.is_none_or(|row| row.internal_id != internal) {
            return Ok(None);
        }
    }
    match internal.parse::<u32>() {
        Ok(number) => Ok(backend.find_invoice(number)?),
        Err(_) => Ok(None),
    }
}

/// `0000000012` → `12`.
fn shown_number(internal_id: &str) -> String {
    internal_id
        .trim_start_matches('0')
        .parse::<u32>()
        .map_or_else(|_| internal_id.to_owned(), |number| number.to_string())
}

fn record_truth(
    truth: &mut dyn TruthStore,
    invoice: &XmlInvoice,
    invoice_number: u32,
    account_ref: &str,
) -> Result<(), crate::truth::TruthStoreError> {
    if let Some(id) = non_blank(&invoice.id) {
        truth.upsert(&TruthRecord {
            record_type: record_types::INVOICE.to_owned(),
            internal_id: format!("{invoice_number:010}"),
            external_id: Some(id.to_owned()),
            hash: None,
        })?;
    }
    if let Some(customer_id) = non_blank(&invoice.customer_id) {
        link_account(truth, customer_id, account_ref)?;
    }
    Ok(())
}

fn invoice_type(value: Option<zynk_xml::InvoiceType>) -> InvoiceType {
    use zynk_xml::InvoiceType as X;
    match value {
        None | Some(X::ProductInvoice) => InvoiceType::ProductInvoice,
        Some(X::ProductCredit) => InvoiceType::ProductCredit,
        Some(X::ServiceInvoice) => InvoiceType::ServiceInvoice,
        Some(X::ServiceCredit) => InvoiceType::ServiceCredit,
        Some(X::ProductProforma) => InvoiceType::ProductProforma,
        Some(X::ServiceProforma) => InvoiceType::ServiceProforma,
        Some(X::ProductQuotation) => InvoiceType::ProductQuotation,
    }
}

fn payment_request(invoice: &XmlInvoice) -> Option<InvoicePaymentRequest> {
    let amount = invoice.payment_amount?;
    Some(InvoicePaymentRequest {
        kind: match invoice.payment_type {
            Some(zynk_xml::InvoicePaymentType::SalesReceiptOnAccount) => {
                InvoicePaymentKind::SalesReceiptOnAccount
            }
            // The samples give an amount without a type: a receipt allocated to the invoice.
            Some(zynk_xml::InvoicePaymentType::SalesReceipt) | None => {
                InvoicePaymentKind::SalesReceipt
            }
        },
        amount,
        bank_account: non_blank(&invoice.bank_account).map(str::to_owned),
        reference: invoice.payment_ref.clone().unwrap_or_default(),
    })
}

/// The sales order an invoice reads as: the same account, addresses, lines and footer. Service
/// lines without a product code are service special lines (S3), their Details or Text the
/// line's comment.
fn order_of(invoice: &XmlInvoice) -> XmlOrder {
    let service = invoice
        .invoice_type
        .is_some_and(|kind| invoice_type(Some(kind)).is_service());
    let items = invoice
        .items
        .iter()
        .map(|item| {
            let mut item = item.clone();
            if service && non_blank(&item.sku).is_none() {
                item.sku = Some("S3".into());
                if non_blank(&item.description).is_none() {
                    item.description = item.details.clone().or_else(|| item.text.clone());
                }
            }
            item
        })
        .collect();
    XmlOrder {
        id: invoice.id.clone(),
        customer_id: invoice.customer_id.clone(),
        account_reference: invoice.account_reference.clone(),
        customer_order_number: invoice.customer_order_number.clone(),
        sales_order_date: invoice.invoice_date.clone(),
        currency: invoice.currency.clone(),
        foreign_rate: invoice.foreign_rate,
        taken_by: invoice.taken_by.clone(),
        notes1: invoice.notes1.clone(),
        notes2: invoice.notes2.clone(),
        notes3: invoice.notes3.clone(),
        despatch_date: invoice.despatch_date.clone(),
        address: invoice.address.clone(),
        delivery_address: invoice.delivery_address.clone(),
        items,
        carriage: invoice.carriage.clone(),
        consignment_no: invoice.consignment_no.clone(),
        courier: invoice.courier,
        settlement_days: invoice.settlement_days,
        settlement_discount: invoice.settlement_discount,
        global_nominal_code: invoice.global_nominal_code.clone(),
        global_tax_code: invoice.global_tax_code,
        global_details: invoice.global_details.clone(),
        global_department: invoice.global_department,
        net_value_discount_description: invoice.net_value_discount_description.clone(),
        net_value_discount_comment1: invoice.net_value_discount_comment1.clone(),
        net_value_discount_comment2: invoice.net_value_discount_comment2.clone(),
        net_value_discount_percent: invoice.net_value_discount_percent,
        net_value_discount: invoice.net_value_discount,
        custom_fields: invoice.custom_fields.clone(),
        ..XmlOrder::default()
    }
}

/// The input record with what Sage assigned: number, account, transaction, line amounts.
fn success_record(invoice: &XmlInvoice, outcome: &InvoiceOutcome) -> XmlInvoice {
    let mut record = invoice.clone();
    let posted = &outcome.invoice;
    let number = outcome.invoice_number.to_string();
    record.invoice_number = Some(number.clone());
    record.unique_id = Some(number);
    record.account_reference = Some(outcome.account_ref.clone());
    record.transaction_number = posted.tran_number.map(|tran| tran.to_string());
    record.posted_flag = Some(posted.tran_number.is_some());
    record.amount_paid = Some(posted.amount_paid);
    record.items_net = Some(posted.document.items_net);
    record.items_tax = Some(posted.document.items_tax);
    record.items_total = Some(crate::sql::round_money(
        posted.document.items_net + posted.document.items_tax,
    ));
    for (item, line) in record.items.iter_mut().zip(&posted.document.lines) {
        item.tax_rate = Some(line.tax_rate);
        item.total_net = Some(line.net);
        item.total_tax = Some(line.tax);
        item.item_type = item_type_of(line.kind);
    }
    if let (Some(item), Some(carriage)) = (record.carriage.as_mut(), &posted.document.carriage) {
        item.tax_rate = Some(carriage.tax_rate);
        item.total_net = Some(carriage.net);
        item.total_tax = Some(carriage.tax);
    }
    record
}
