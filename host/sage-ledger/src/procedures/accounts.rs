//! Account resolution steps shared by the customer and order imports (§5.2).

use crate::customers::MatchField;
use crate::ledger::Ledger;
use crate::truth::{TruthStore, record_types};

use super::RecordFailure;

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
pub(crate) fn linked_account(
    ledger: &Ledger,
    truth: &dyn TruthStore,
    external_id: &str,
) -> Result<Option<String>, RecordFailure> {
    let Some(row) = truth.find_by_external_id(record_types::CUSTOMER, external_id)? else {
        return Ok(None);
    };
    Ok(ledger
        .find_customer_by_ref(&row.internal_id)?
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
