//! Addresses in Sage's five-line form: customer delivery addresses (`SALES_DEL_ADDR`) and the
//! invoice/delivery addresses of orders.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::customers::Customer;
use crate::error::LedgerResult;
use crate::sql::fit;

/// A delivery address, or an order's invoice/delivery address: Sage's five address lines.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Address {
    pub name: String,
    pub contact_name: String,
    pub line1: String,
    pub line2: String,
    pub line3: String,
    pub line4: String,
    pub line5: String,
    pub country_code: String,
    pub telephone: String,
    pub fax: String,
    pub email: String,
}

impl Address {
    pub fn is_blank(&self) -> bool {
        [
            &self.name,
            &self.contact_name,
            &self.line1,
            &self.line2,
            &self.line3,
            &self.line4,
            &self.line5,
        ]
        .iter()
        .all(|part| part.trim().is_empty())
    }

    /// Same place: name and address lines equal, ignoring case and surrounding spaces.
    pub fn same_place_as(&self, other: &Address) -> bool {
        let key = |a: &Address| {
            [
                &a.name,
                &a.line1,
                &a.line2,
                &a.line3,
                &a.line4,
                &a.line5,
                &a.country_code,
            ]
            .iter()
            .map(|part| part.trim().to_lowercase())
            .collect::<Vec<_>>()
        };
        key(self) == key(other)
    }

    pub(crate) fn fit_to_columns(&mut self) {
        for (field, max) in [
            (&mut self.name, 60),
            (&mut self.contact_name, 30),
            (&mut self.line1, 60),
            (&mut self.line2, 60),
            (&mut self.line3, 60),
            (&mut self.line4, 60),
            (&mut self.line5, 60),
            (&mut self.telephone, 30),
            (&mut self.fax, 30),
            (&mut self.email, 255),
        ] {
            fit(field, max);
        }
        self.country_code = self.country_code.trim().to_ascii_uppercase();
        fit(&mut self.country_code, 2);
    }

    /// The account's own address as an order address.
    pub fn of_customer(customer: &Customer) -> Address {
        Address {
            name: customer.name.clone(),
            contact_name: customer.contact_name.clone(),
            line1: customer.street1.clone(),
            line2: customer.street2.clone(),
            line3: customer.town.clone(),
            line4: customer.county.clone(),
            line5: customer.postcode.clone(),
            country_code: customer.country_code.clone(),
            telephone: customer.telephone.clone(),
            fax: customer.fax.clone(),
            email: customer.email.clone(),
        }
    }
}

/// What an update does with a delivery address from the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DeliveryAddressChange {
    /// Create Multiple Delivery Addresses on: add it unless the account already has it.
    AddIfNew(Address),
    /// Otherwise: it replaces the default (first) delivery address.
    ReplaceDefault(Address),
}

pub(crate) fn delivery_addresses(
    conn: &Connection,
    account_ref: &str,
) -> LedgerResult<Vec<Address>> {
    let mut statement = conn.prepare_cached(
        "SELECT name, contact_name, address_1, address_2, address_3, address_4, address_5, \
         country_code, telephone, fax, email FROM delivery_addresses WHERE account_ref = ?1 ORDER BY position",
    )?;
    let rows = statement.query_map([account_ref], |row| {
        Ok(Address {
            name: row.get(0)?,
            contact_name: row.get(1)?,
            line1: row.get(2)?,
            line2: row.get(3)?,
            line3: row.get(4)?,
            line4: row.get(5)?,
            line5: row.get(6)?,
            country_code: row.get(7)?,
            telephone: row.get(8)?,
            fax: row.get(9)?,
            email: row.get(10)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn add_delivery_address(
    conn: &Connection,
    account_ref: &str,
    address: &Address,
) -> LedgerResult<()> {
    let mut address = address.clone();
    address.fit_to_columns();
    conn.prepare_cached(
        "INSERT INTO delivery_addresses (account_ref, position, name, contact_name, address_1, address_2, \
         address_3, address_4, address_5, country_code, telephone, fax, email) \
         VALUES (?1, (SELECT coalesce(max(position), 0) + 1 FROM delivery_addresses WHERE account_ref = ?1), \
         ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        account_ref,
        address.name,
        address.contact_name,
        address.line1,
        address.line2,
        address.line3,
        address.line4,
        address.line5,
        address.country_code,
        address.telephone,
        address.fax,
        address.email
    ])?;
    Ok(())
}

/// Applies a delivery-address change; true when the stored addresses changed.
pub(crate) fn apply_delivery_change(
    conn: &Connection,
    account_ref: &str,
    change: &DeliveryAddressChange,
) -> LedgerResult<bool> {
    let existing = delivery_addresses(conn, account_ref)?;
    match change {
        DeliveryAddressChange::AddIfNew(address) => {
            if address.is_blank() || existing.iter().any(|known| known.same_place_as(address)) {
                return Ok(false);
            }
            add_delivery_address(conn, account_ref, address)?;
            Ok(true)
        }
        DeliveryAddressChange::ReplaceDefault(address) => {
            if address.is_blank() || existing.first() == Some(address) {
                return Ok(false);
            }
            conn.prepare_cached(
                "DELETE FROM delivery_addresses WHERE account_ref = ?1 AND position = \
                 (SELECT min(position) FROM delivery_addresses WHERE account_ref = ?1)",
            )?
            .execute([account_ref])?;
            let mut replacement = address.clone();
            replacement.fit_to_columns();
            conn.prepare_cached(
                "INSERT INTO delivery_addresses (account_ref, position, name, contact_name, address_1, \
                 address_2, address_3, address_4, address_5, country_code, telephone, fax, email) \
                 VALUES (?1, (SELECT coalesce(min(position), 1) - 1 FROM delivery_addresses WHERE account_ref = ?1), \
                 ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                account_ref,
                replacement.name,
                replacement.contact_name,
                replacement.line1,
                replacement.line2,
                replacement.line3,
                replacement.line4,
                replacement.line5,
                replacement.country_code,
                replacement.telephone,
                replacement.fax,
                replacement.email
            ])?;
            Ok(true)
        }
    }
}
