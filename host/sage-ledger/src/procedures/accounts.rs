//! Account resolution steps shared by the customer and order imports (docs/zynk-reference.md §5.2).

use zynk_xml::Contact;

use crate::backend::SageBackend;
use crate::customers::MatchField;
use crate::truth::{TruthStore, record_types};

use super::RecordFailure;
use super::mapping::OwnedNames;

/// The value of a Match Accounts On field for a record: its account name, a field of its
/// contact, or one of its three custom fields.
pub(crate) fn match_value(
    names: &OwnedNames,
    contact: Option<&Contact>,
    custom: [&Option<String>; 3],
    field: MatchField,
) -> Option<String> {
    let from_contact =
        |pick: fn(&Contact) -> &Option<String>| contact.and_then(|c| pick(c).clone());
    match field {
        MatchField::CompanyName => Some(names.account_name()),
        MatchField::Telephone => from_contact(|c| &c.telephone),
        MatchField::Telephone2 | MatchField::Mobile => from_contact(|c| &c.mobile),
        MatchField::Fax => from_contact(|c| &c.fax),
        MatchField::Email => from_contact(|c| &c.email),
        MatchField::Website => from_contact(|c| &c.website),
        MatchField::Postcode => from_contact(|c| &c.postcode),
        MatchField::TradeContact => from_contact(|c| &c.trade_contact),
        MatchField::Custom1 => custom[0].clone(),
        MatchField::Custom2 => custom[1].clone(),
        MatchField::Custom3 => custom[2].clone(),
        MatchField::Email2 | MatchField::Email3 => None,
    }
}

/// The Match Accounts On criteria for a record, or `None` when matching cannot apply: no
/// field selected, or a selected field has no value in the record (an empty value would match
/// every account with that field empty).
pub(crate) fn match_criteria(
    fields: &[MatchField],
    value_of: impl Fn(MatchField) -> Option<String>,
) -> Option<Vec<(MatchField, String)>> {
    if fields.is_empty() {
        return None;
    }
    fields
        .iter()
        .map(|&field| {
            let value = value_of(field)?.trim().to_owned();
            (!value.is_empty()).then_some((field, value))
        })
        .collect()
}

/// The account an earlier import linked to this external customer id, if it still exists.
pub(crate) fn linked_account<B: SageBackend + ?Sized>(
    backend: &mut B,
    truth: &dyn TruthStore,
    external_id: &str,
) -> Result<Option<String>, RecordFailure> {
    let Some(row) = truth.find_by_external_id(record_types::CUSTOMER, external_id)? else {
        return Ok(None);
    };
    Ok(backend
        .find_customer(&row.internal_id)?
        .map(|customer| customer.account_ref))
}

/// Records (or refreshes) the external id → account reference link.
pub(crate) fn link_account(
    truth: &mut dyn TruthStore,
    external_id: &str,
    account_ref: &str,
) -> Result<(), crate::truth::TruthStoreError> {
    let current = truth.find_by_external_id(record_types::CUSTOMER, external_id)?;
    if current
        .as_ref()
        .is_some_and(|row| row.internal_id == account_ref)
    {
        return Ok(());
    }
    truth.upsert(&crate::truth::TruthRecord {
        record_type: record_types::CUSTOMER.to_owned(),
        internal_id: account_ref.to_owned(),
        external_id: Some(external_id.to_owned()),
        hash: current.and_then(|row| row.hash),
    })
}
