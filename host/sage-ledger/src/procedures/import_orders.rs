//! Import Sales Orders into Sage 50 UK (docs/zynk-reference.md §2.7).

use std::borrow::Cow;
use std::collections::HashMap;

use zynk_xml::{Company, Item, SalesOrder as XmlOrder};

use super::accounts::{link_account, linked_account, match_criteria, match_value};
use super::mapping::{OwnedNames, address_from_contact, apply_contact, item_type_of, non_blank};
use super::settings::SalesOrderImportSettings;
use super::{
    ImportCounts, ImportReport, Imported, ProcedureError, RecordFailure, error_date,
    finish_journal, recover_truth, run_records,
};
use crate::account_refs::AccountReferenceGenerator;
use crate::backend::ImportBackend;
use crate::customers::{NewCustomer, normalise_account_ref};
use crate::journal::{JournalKey, StagedTruth};
use crate::numbering::parse_manual_order_number;
use crate::orders::{
    CarriageRequest, OrderImportOptions, OrderLineRequest, OrderOutcome, OrderType, PaymentKind,
    PaymentRequest, SalesOrderRequest,
};
use crate::truth::{TruthRecord, TruthStore, record_types};

const OPERATION: &str = "Sales Order Import";

/// Everything fixed for the run, and the Ids this document has imported so far.
pub(super) struct OrderRun<'a> {
    pub(super) settings: &'a SalesOrderImportSettings,
    pub(super) options: OrderImportOptions,
    pub(super) generator: Option<AccountReferenceGenerator>,
    /// Id → the order number its first copy in this document was imported (or replayed) as.
    pub(super) imported_here: HashMap<String, u32>,
    /// What the records are called in messages: `order`, or `invoice` for the invoice import.
    pub(super) noun: &'static str,
}

/// The account an order posts to, and whether it must be created with it.
pub(super) enum OrderAccount {
    Existing(String),
    Create(String),
}

/// Imports `input`'s `SalesOrders` collection (other collections are ignored).
///
/// Per order: a record a resumed run's interrupted predecessor posted from the same position of
/// the same document is reported as imported then (with or without an Id, whatever Prevent
/// Duplicates says). Prevent Duplicates looks its `Id` up in truth (an Id already recorded — by an
/// earlier run or earlier in this file — is rejected, docs/zynk-reference.md §5.4, §6.14; a second copy of an Id in
/// the same file is rejected as such, even when the first copy was a replay); the account is resolved
/// (docs/zynk-reference.md §5.2); the ledger posts the order atomically with its defaults, allocation and receipt
/// (docs/zynk-reference.md §5.5–§5.9); then truth records Id → order number (10-digit, as Zynk's samples) and
/// CustomerId → account reference. Records without an Id are never checked for duplicates.
///
/// With a truth journal on ([`crate::ImportJournal::set_journal`]), the journal is replayed into
/// `truth` first and each order's truth rows are journaled with the order, so a run killed
/// between an order's commit and its truth row cannot import that order twice. The backend
/// posts, numbers and prices the order; everything else here is Wharf's, the same on every
/// backend (docs/sage50.md).
///
/// `input` may be lent (`&company`: its records are copied once) or handed over
/// (`company`: its records are worked on where they are, held once for the whole run).
pub fn import_sales_orders<'a, B: ImportBackend + ?Sized>(
    backend: &mut B,
    truth: &mut dyn TruthStore,
    input: impl Into<Cow<'a, Company>>,
    settings: &SalesOrderImportSettings,
) -> Result<ImportReport, ProcedureError> {
    let generator = AccountReferenceGenerator::when_enabled(&settings.account_references)?;
    let mut run = OrderRun {
        settings,
        options: settings.ledger_options(),
        generator,
        imported_here: HashMap::new(),
        noun: "order",
    };
    recover_truth(backend, truth)?;
    let entries = match input.into() {
        Cow::Borrowed(input) => input.sales_orders.clone(),
        Cow::Owned(input) => input.sales_orders,
    }
    .unwrap_or_default();
    let date = error_date(backend)?;
    let mut counts = ImportCounts {
        read: entries.len(),
        ..ImportCounts::default()
    };
    let mut result = run_records(entries, OPERATION, &date, |index, order| {
        // Marks name the record by its position too, so a replay is this record again and
        // not another copy of its Id in the document.
        backend.set_replay_record(Some(index));
        import_one(backend, truth, &mut run, order, &mut counts)
    });
    backend.set_replay_record(None);
    counts.imported = result.success.len();
    counts.failed = result.fail.len();
    let mut warnings = Vec::new();
    finish_journal(backend, truth, &mut result.aborted, &mut warnings);
    Ok(ImportReport {
        success: Company::with_sales_orders(result.success),
        fail: Company::with_sales_orders(result.fail),
        counts,
        warnings,
        aborted: result.aborted,
    })
}

/// The order number part of a truth internal id (`0000000156` → 156).
fn display_order_number(internal_id: &str) -> String {
    internal_id
        .trim_start_matches('0')
        .parse::<u32>()
        .map_or_else(|_| internal_id.to_owned(), |number| number.to_string())
}

fn import_one<B: ImportBackend + ?Sized>(
    backend: &mut B,
    truth: &mut dyn TruthStore,
    run: &mut OrderRun<'_>,
    order: &XmlOrder,
    counts: &mut ImportCounts,
) -> Result<Imported<XmlOrder>, RecordFailure> {
    let id = non_blank(&order.id);
    let imported = import_new(backend, truth, run, order, counts)?;
    if let (true, Some(id)) = (run.settings.prevent_duplicates, id) {
        run.imported_here
            .insert(id.to_owned(), imported.order_number);
    }
    Ok(imported.result)
}

/// What [`import_new`] did with one order.
struct Posted {
    result: Imported<XmlOrder>,
    order_number: u32,
}

fn import_new<B: ImportBackend + ?Sized>(
    backend: &mut B,
    truth: &mut dyn TruthStore,
    run: &OrderRun<'_>,
    order: &XmlOrder,
    counts: &mut ImportCounts,
) -> Result<Posted, RecordFailure> {
    let id = non_blank(&order.id);
    if let Some(replayed) = replayed_order(backend, &*truth, id)? {
        // The resumed run's own earlier import of this very record: report it as then, once
        // (the claim makes a later copy in this run a duplicate).
        backend.claim_replayed(record_types::SALES_ORDER, id.unwrap_or(ANONYMOUS))?;
        return Ok(Posted {
            order_number: replayed.order_number,
            result: Imported::new(success_record(
                order,
                &replayed,
                run.settings.auto_allocate_stock,
            )),
        });
    }
    if let (true, Some(id)) = (run.settings.prevent_duplicates, id)
        && let Some(number) = run.imported_here.get(id)
    {
        return Err(RecordFailure::Rejected(format!(
            "Order '{id}' is a duplicate: an earlier order in this file with the same Id was imported as sales order {number}, so this one was not imported"
        )));
    }
    if let (true, Some(id)) = (run.settings.prevent_duplicates, id)
        && let Some(row) = truth.find_by_external_id(record_types::SALES_ORDER, id)?
    {
        return Err(RecordFailure::Rejected(format!(
            "Order '{id}' has already been imported as sales order {}, so it was not imported again; delete its truth record to import it again",
            display_order_number(&row.internal_id)
        )));
    }

    let account = resolve_account(backend, truth, run, order)?;
    let request = build_request(backend, run, order, &account)?;
    backend.stage_truth(staged_truth(order));
    let outcome = backend.post_sales_order(None, &request, &run.options)?;
    counts.customers_created += usize::from(outcome.customer_created);
    counts.products_created += outcome.products_created.len();

    let mut result = Imported::new(success_record(
        order,
        &outcome,
        run.settings.auto_allocate_stock,
    ));
    let truth_written = record_truth(truth, order, &outcome);
    if let Err(error) = truth_written {
        result.stop_after = Some(error.to_string());
    }
    Ok(Posted {
        result,
        order_number: outcome.order_number,
    })
}

/// The replay mark's external id for an order or invoice without an Id (its position names it).
pub(super) const ANONYMOUS: &str = "";

/// The order an interrupted run of this lineage posted from this record (the replay key names
/// the document and the record's position): for an order with an Id, when it is the one the
/// truth store names; one without an Id has only the mark to go by.
fn replayed_order<B: ImportBackend + ?Sized>(
    backend: &mut B,
    truth: &dyn TruthStore,
    id: Option<&str>,
) -> Result<Option<OrderOutcome>, RecordFailure> {
    let Some(internal) = backend.replayed(record_types::SALES_ORDER, id.unwrap_or(ANONYMOUS))?
    else {
        return Ok(None);
    };
    if let Some(id) = id {
        let named = truth.find_by_external_id(record_types::SALES_ORDER, id)?;
        if named.is_none_or(|row| row.internal_id != internal) {
            return Ok(None);
        }
    }
    let Some(order) = internal
        .parse::<u32>()
        .ok()
        .and_then(|number| backend.find_sales_order(number).transpose())
        .transpose()?
    else {
        return Ok(None);
    };
    Ok(Some(OrderOutcome {
        order_number: order.order_number,
        account_ref: order.account_ref.clone(),
        customer_created: false,
        products_created: Vec::new(),
        delivery_address_added: false,
        order,
    }))
}

/// The rows [`record_truth`] writes after the order, journaled with the order itself.
fn staged_truth(order: &XmlOrder) -> Vec<StagedTruth> {
    staged_document_truth(record_types::SALES_ORDER, &order.id, &order.customer_id)
}

/// The truth rows of a sales order or invoice (`record_type`), journaled with its write: its
/// Id to the number the write assigns (a replay mark only, without an Id) and its CustomerId
/// to the account.
pub(super) fn staged_document_truth(
    record_type: &str,
    id: &Option<String>,
    customer_id: &Option<String>,
) -> Vec<StagedTruth> {
    let id = non_blank(id);
    let mut rows = vec![StagedTruth {
        record_type: record_type.to_owned(),
        external_id: id.unwrap_or(ANONYMOUS).to_owned(),
        internal_id: JournalKey::NewOrderNumber,
        replay_only: id.is_none(),
    }];
    if let Some(customer_id) = non_blank(customer_id) {
        rows.push(StagedTruth {
            record_type: record_types::CUSTOMER.to_owned(),
            external_id: customer_id.to_owned(),
            internal_id: JournalKey::Account,
            replay_only: false,
        });
    }
    rows
}

fn record_truth(
    truth: &mut dyn TruthStore,
    order: &XmlOrder,
    outcome: &OrderOutcome,
) -> Result<(), crate::truth::TruthStoreError> {
    if let Some(id) = non_blank(&order.id) {
        truth.upsert(&TruthRecord {
            record_type: record_types::SALES_ORDER.to_owned(),
            internal_id: format!("{:010}", outcome.order_number),
            external_id: Some(id.to_owned()),
            hash: None,
        })?;
    }
    if let Some(customer_id) = non_blank(&order.customer_id) {
        link_account(truth, customer_id, &outcome.account_ref)?;
    }
    Ok(())
}

/// The customer's names: the order address, else the delivery address.
fn order_names(order: &XmlOrder) -> OwnedNames {
    let contact = order
        .address
        .as_ref()
        .filter(|contact| !contact.is_blank())
        .or(order.delivery_address.as_ref());
    OwnedNames::new(None, contact)
}

/// docs/zynk-reference.md §5.2 for orders: AccountReference → CustomerId via truth → Match Accounts On → auto-create.
pub(super) fn resolve_account<B: ImportBackend + ?Sized>(
    backend: &mut B,
    truth: &dyn TruthStore,
    run: &OrderRun<'_>,
    order: &XmlOrder,
) -> Result<OrderAccount, RecordFailure> {
    let settings = run.settings;
    if let Some(reference) = non_blank(&order.account_reference) {
        let reference = normalise_account_ref(reference)?;
        return match backend.find_customer(&reference)? {
            Some(customer) => Ok(OrderAccount::Existing(customer.account_ref)),
            None if settings.auto_create_customer => Ok(OrderAccount::Create(reference)),
            None => Err(RecordFailure::Rejected(format!(
                "Customer account '{reference}' does not exist and auto-create customers is off"
            ))),
        };
    }
    let customer_id = non_blank(&order.customer_id);
    if let Some(customer_id) = customer_id
        && let Some(linked) = linked_account(backend, truth, customer_id)?
    {
        return Ok(OrderAccount::Existing(linked));
    }
    let names = order_names(order);
    if let Some(criteria) = match_criteria(&settings.match_fields, |field| {
        match_value(
            &names,
            order.address.as_ref(),
            [&order.custom1, &order.custom2, &order.custom3],
            field,
        )
    }) && let Some(customer) =
        backend.find_customer_matching(&criteria, non_blank(&order.currency))?
    {
        return Ok(OrderAccount::Existing(customer.account_ref));
    }
    let unlinked = match customer_id {
        Some(customer_id) => {
            format!("no earlier import linked its CustomerId '{customer_id}' to an account")
        }
        None => "it has no CustomerId".to_owned(),
    };
    let unmatched = if settings.match_fields.is_empty() {
        ""
    } else {
        ", no account matches its Match Accounts On fields"
    };
    match (&run.generator, settings.auto_create_customer) {
        (Some(generator), true) => Ok(OrderAccount::Create(
            backend.next_account_reference(&names.parts(), generator)?,
        )),
        // docs/zynk-reference.md §5.2 step 4: without a reference to create the account under, the order must fail.
        (None, true) => Err(RecordFailure::Rejected(format!(
            "The {} has no AccountReference and {unlinked}{unmatched}; auto-create customers is on but auto-generate account references is off, so no account reference could be determined",
            run.noun
        ))),
        (_, false) => Err(RecordFailure::Rejected(format!(
            "The {} has no AccountReference, {unlinked}{unmatched}, and auto-create customers is off",
            run.noun
        ))),
    }
}

pub(super) fn build_request<B: ImportBackend + ?Sized>(
    backend: &mut B,
    run: &OrderRun<'_>,
    order: &XmlOrder,
    account: &OrderAccount,
) -> Result<SalesOrderRequest, RecordFailure> {
    let (account_ref, new_customer) = match account {
        OrderAccount::Existing(reference) => (reference.clone(), None),
        OrderAccount::Create(reference) => (
            reference.clone(),
            Some(new_customer(backend, order, reference)?),
        ),
    };
    let order_number = if run.settings.use_manual_sales_order_number {
        match non_blank(&order.sales_order_number) {
            Some(text) => Some(parse_manual_order_number(text)?),
            None => {
                return Err(RecordFailure::Rejected(
                    "Use manual sales order number is on but the order has no SalesOrderNumber"
                        .to_owned(),
                ));
            }
        }
    } else {
        // docs/zynk-reference.md §5.5: the XML number is ignored (mappers fill it with long web order numbers).
        None
    };
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let date = |value: &Option<zynk_xml::XmlDateTime>| value.as_ref().map(|d| d.naive_local());
    Ok(SalesOrderRequest {
        account_ref,
        new_customer,
        order_number,
        order_type: match order.sales_order_type {
            None | Some(zynk_xml::SalesOrderType::ProductInvoice) => OrderType::ProductInvoice,
            Some(zynk_xml::SalesOrderType::SopInvoice) => OrderType::SopInvoice,
            Some(zynk_xml::SalesOrderType::SopQuote) => OrderType::SopQuote,
            Some(zynk_xml::SalesOrderType::SopProforma) => OrderType::SopProforma,
        },
        order_date: date(&order.sales_order_date),
        customer_order_number: text(&order.customer_order_number),
        taken_by: text(&order.taken_by),
        notes1: text(&order.notes1),
        notes2: text(&order.notes2),
        notes3: text(&order.notes3),
        custom1: text(&order.custom1),
        custom2: text(&order.custom2),
        custom3: text(&order.custom3),
        despatch_date: date(&order.despatch_date),
        promised_delivery_date: date(&order.promised_delivery_date),
        requested_delivery_date: date(&order.requested_delivery_date),
        invoice_address: order.address.as_ref().map(address_from_contact),
        delivery_address: order.delivery_address.as_ref().map(address_from_contact),
        currency: non_blank(&order.currency).map(str::to_owned),
        foreign_rate: order.foreign_rate,
        vat_inclusive: order.vat_inclusive.unwrap_or(false),
        lines: order.items.iter().map(line_request).collect(),
        carriage: order.carriage.as_ref().map(carriage_request),
        consignment_no: text(&order.consignment_no),
        courier: order.courier,
        settlement_days: order.settlement_days,
        settlement_discount: order.settlement_discount,
        global_nominal_code: non_blank(&order.global_nominal_code).map(str::to_owned),
        global_tax_code: order.global_tax_code,
        global_details: text(&order.global_details),
        global_department: order.global_department,
        net_value_discount: order.net_value_discount,
        net_value_discount_percent: order.net_value_discount_percent,
        net_value_discount_description: text(&order.net_value_discount_description),
        net_value_discount_comment1: text(&order.net_value_discount_comment1),
        net_value_discount_comment2: text(&order.net_value_discount_comment2),
        // docs/zynk-reference.md §5.8/§6.27: either payment type records an SA receipt; amount 0 records nothing.
        payment: order.payment_type.map(|kind| PaymentRequest {
            kind: match kind {
                zynk_xml::PaymentType::SalesReceipt => PaymentKind::SalesReceipt,
                zynk_xml::PaymentType::PaymentAlreadyReceived => {
                    PaymentKind::PaymentAlreadyReceived
                }
            },
            amount: order.payment_amount.unwrap_or(0.0),
            bank_account: non_blank(&order.bank_account).map(str::to_owned),
            reference: text(&order.payment_ref),
        }),
    })
}

/// The account an order creates: names and address from the order, the order's currency.
fn new_customer<B: ImportBackend + ?Sized>(
    backend: &mut B,
    order: &XmlOrder,
    reference: &str,
) -> Result<NewCustomer, RecordFailure> {
    let names = order_names(order);
    let mut customer = backend.customer_template(reference)?;
    if let Some(contact) = order.address.as_ref().filter(|c| !c.is_blank()) {
        apply_contact(&mut customer, contact);
    }
    customer.name = names.account_name();
    if let Some(currency) = non_blank(&order.currency) {
        customer.currency = currency.to_ascii_uppercase();
    }
    let delivery_addresses = order
        .delivery_address
        .as_ref()
        .map(address_from_contact)
        .filter(|address| !address.is_blank())
        .into_iter()
        .collect();
    Ok(NewCustomer {
        customer,
        delivery_addresses,
    })
}

fn line_request(item: &Item) -> OrderLineRequest {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    OrderLineRequest {
        stock_code: item.sku.clone(),
        description: item.name.clone(),
        comment1: text(&item.description),
        comment2: text(&item.comments),
        unit_of_sale: item.unit_of_sale.clone(),
        quantity: item.qty_ordered,
        unit_price: item.unit_price,
        discount_amount: item.unit_discount_amount,
        discount_percent: item.unit_discount_percentage,
        nominal_code: item.nominal_code.clone(),
        tax_code: item.tax_code,
        department: item.department,
        line_information: text(&item.reference),
    }
}

fn carriage_request(item: &Item) -> CarriageRequest {
    CarriageRequest {
        quantity: item.qty_ordered,
        unit_price: item.unit_price,
        nominal_code: item.nominal_code.clone(),
        tax_code: item.tax_code,
        department: item.department,
        description: non_blank(&item.name)
            .or(non_blank(&item.description))
            .unwrap_or_default()
            .to_owned(),
    }
}

/// The input record with what Sage assigned: number, account, allocations, line amounts.
fn success_record(order: &XmlOrder, outcome: &OrderOutcome, allocation_on: bool) -> XmlOrder {
    let mut record = order.clone();
    let number = outcome.order_number.to_string();
    record.sales_order_number = Some(number.clone());
    record.unique_id = Some(number);
    record.account_reference = Some(outcome.account_ref.clone());
    for (item, line) in record.items.iter_mut().zip(&outcome.order.lines) {
        item.tax_rate = Some(line.tax_rate);
        item.total_net = Some(line.net);
        item.total_tax = Some(line.tax);
        item.item_type = item_type_of(line.kind);
        if allocation_on {
            item.qty_allocated = Some(line.qty_allocated);
        }
    }
    if let (Some(item), Some(carriage)) = (record.carriage.as_mut(), &outcome.order.carriage) {
        item.tax_rate = Some(carriage.tax_rate);
        item.total_net = Some(carriage.net);
        item.total_tax = Some(carriage.tax);
    }
    record
}
