//! Import Customers into Sage 50 UK (docs/zynk-reference.md §2.8): create new accounts, update existing ones.

use std::borrow::Cow;

use zynk_xml::{Company, Customer as XmlCustomer};

use super::accounts::{link_account, linked_account, match_criteria, match_value};
use super::mapping::{
    OwnedNames, address_from_contact, apply_contact, apply_customer_fields, non_blank,
};
use super::settings::CustomerImportSettings;
use super::{
    ImportCounts, ImportReport, Imported, ProcedureError, RecordFailure, error_date,
    finish_journal, record_label, recover_truth, run_records,
};
use crate::account_refs::AccountReferenceGenerator;
use crate::addresses::DeliveryAddressChange;
use crate::backend::ImportBackend;
use crate::customers::{NewCustomer, normalise_account_ref};
use crate::error::Rejection;
use crate::journal::{JournalKey, StagedTruth};
use crate::truth::TruthStore;

const OPERATION: &str = "Customer Import";

/// Everything fixed for the run.
struct CustomerRun<'a> {
    settings: &'a CustomerImportSettings,
    generator: Option<AccountReferenceGenerator>,
}

/// What the run has done so far.
#[derive(Default)]
struct Tally {
    counts: ImportCounts,
    warnings: Vec<String>,
}

/// Which account a customer record goes to.
enum Target {
    Existing(Box<crate::customers::Customer>),
    New(String),
}

/// Imports `input`'s `Customers` collection (other collections are ignored).
///
/// Resolution per record (docs/zynk-reference.md §5.2): its `AccountReference` (update, or create with that reference);
/// else the account truth links to its `Id`; else the first account matching every Match
/// Accounts On field; else a generated reference (docs/zynk-reference.md §5.3) when auto-generation is on; else the
/// record fails. There is no Prevent Duplicates here: re-importing an `Id` updates its account.
/// `CreateOnly=true` leaves an existing account untouched (docs/zynk-reference.md §3.3 [I]).
///
/// `input` may be lent (`&company`: its records are copied once) or handed over
/// (`company`: its records are worked on where they are, held once for the whole run).
pub fn import_customers<'a, B: ImportBackend + ?Sized>(
    backend: &mut B,
    truth: &mut dyn TruthStore,
    input: impl Into<Cow<'a, Company>>,
    settings: &CustomerImportSettings,
) -> Result<ImportReport, ProcedureError> {
    let generator = AccountReferenceGenerator::when_enabled(&settings.account_references)?;
    let run = CustomerRun {
        settings,
        generator,
    };
    recover_truth(backend, truth)?;
    let entries = match input.into() {
        Cow::Borrowed(input) => input.customers.clone(),
        Cow::Owned(input) => input.customers,
    }
    .unwrap_or_default();
    let read = entries.len();
    let date = error_date(backend)?;
    let mut tally = Tally::default();
    let mut result = run_records(entries, OPERATION, &date, |index, record| {
        import_one(backend, truth, &run, index, record, &mut tally)
    });
    let counts = ImportCounts {
        read,
        imported: result.success.len(),
        failed: result.fail.len(),
        ..tally.counts
    };
    finish_journal(backend, truth, &mut result.aborted, &mut tally.warnings);
    Ok(ImportReport {
        success: Company::with_customers(result.success),
        fail: Company::with_customers(result.fail),
        counts,
        warnings: tally.warnings,
        aborted: result.aborted,
    })
}

fn import_one<B: ImportBackend + ?Sized>(
    backend: &mut B,
    truth: &mut dyn TruthStore,
    run: &CustomerRun<'_>,
    index: usize,
    record: &XmlCustomer,
    tally: &mut Tally,
) -> Result<Imported<XmlCustomer>, RecordFailure> {
    let settings = run.settings;
    let id = non_blank(&record.id);
    let names = OwnedNames::new(
        non_blank(&record.company_name),
        record.invoice_address.as_ref(),
    );

    let target = if let Some(reference) = non_blank(&record.account_reference) {
        let reference = normalise_account_ref(reference)?;
        match backend.find_customer(&reference)? {
            Some(existing) => Target::Existing(Box::new(existing)),
            None => Target::New(reference),
        }
    } else if let Some(linked) = match id {
        Some(id) => linked_account(backend, truth, id)?,
        None => None,
    } {
        Target::Existing(Box::new(
            backend
                .find_customer(&linked)?
                .ok_or(Rejection::AccountNotFound(linked))?,
        ))
    } else if let Some(existing) = match match_criteria(&settings.match_fields, |field| {
        match_value(
            &names,
            record.invoice_address.as_ref(),
            [&record.analysis1, &record.analysis2, &record.analysis3],
            field,
        )
    }) {
        Some(criteria) => backend.find_customer_matching(&criteria, non_blank(&record.currency))?,
        None => None,
    } {
        Target::Existing(Box::new(existing))
    } else if let Some(generator) = &run.generator {
        Target::New(backend.next_account_reference(&names.parts(), generator)?)
    } else {
        return Err(RecordFailure::Rejected(no_account_message(
            id,
            !settings.match_fields.is_empty(),
        )));
    };

    let label = record_label(
        "Customer",
        index,
        id.or(non_blank(&record.account_reference)),
    );
    // The Id → account link is journaled with the account write (see `journal`).
    let staged = || match id {
        Some(id) => vec![StagedTruth {
            record_type: crate::truth::record_types::CUSTOMER.to_owned(),
            external_id: id.to_owned(),
            internal_id: JournalKey::Account,
            replay_only: false,
        }],
        None => Vec::new(),
    };
    let delivery = record
        .delivery_address
        .as_ref()
        .map(address_from_contact)
        .filter(|address| !address.is_blank());
    let account_ref = match target {
        Target::Existing(existing) if record.create_only == Some(true) => existing.account_ref,
        Target::Existing(existing) => {
            let mut customer = *existing;
            if let Some(contact) = &record.invoice_address {
                apply_contact(&mut customer, contact);
            }
            tally.warnings.extend(
                apply_customer_fields(&mut customer, record, false)
                    .into_iter()
                    .map(|warning| format!("{label}: {warning}")),
            );
            let change = delivery.map(|address| {
                if settings.create_multiple_delivery_addresses {
                    DeliveryAddressChange::AddIfNew(address)
                } else {
                    DeliveryAddressChange::ReplaceDefault(address)
                }
            });
            backend.stage_truth(staged());
            let updated = backend.update_customer(&customer, change.as_ref())?;
            tally.counts.customers_updated += 1;
            updated.account_ref
        }
        Target::New(reference) => {
            let mut customer = backend.customer_template(&reference)?;
            if let Some(contact) = &record.invoice_address {
                apply_contact(&mut customer, contact);
            }
            apply_customer_fields(&mut customer, record, true);
            if customer.name.trim().is_empty() {
                customer.name = names.account_name();
            }
            backend.stage_truth(staged());
            let created = backend.create_customer(&NewCustomer {
                customer,
                delivery_addresses: delivery.into_iter().collect(),
            })?;
            tally.counts.customers_created += 1;
            created.account_ref
        }
    };

    let mut imported = record.clone();
    imported.account_reference = Some(account_ref.clone());
    imported.unique_id = Some(account_ref.clone());
    let mut result = Imported::new(imported);
    if let Some(id) = id
        && let Err(error) = link_account(truth, id, &account_ref)
    {
        result.stop_after = Some(error.to_string());
    }
    Ok(result)
}

fn no_account_message(id: Option<&str>, matching_configured: bool) -> String {
    let link = match id {
        Some(id) => format!("no earlier import linked its Id '{id}' to an account"),
        None => "it has no Id to look up".to_owned(),
    };
    let matching = if matching_configured {
        ", no account matches its Match Accounts On fields"
    } else {
        ""
    };
    format!(
        "The customer has no AccountReference, {link}{matching}, and auto-generate account references is off; give it an AccountReference or turn auto-generation on"
    )
}
