//! Parts shared by several records: the `Contact` address block (docs/zynk-reference.md §3.2), custom fields, notes and
//! the `Errors/Error` entries of fail files (docs/zynk-reference.md §3.7).

use crate::codec::XmlDateTime;
use crate::record::zynk_record;

zynk_record! {
    /// One `Errors/Error` entry of a fail-file record (docs/zynk-reference.md §3.7).
    pub struct ZynkError = "Error", key "Name" {
        /// When the error happened (`dateTime` with offset).
        value "Date" date: Option<XmlDateTime>,
        /// The operation, e.g. `Sales Order Import`.
        value "Name" name: Option<String>,
        /// The message for the person fixing the data.
        value "Description" description: Option<String>,
    }
}

impl ZynkError {
    pub fn new(date: XmlDateTime, operation: &str, description: impl Into<String>) -> Self {
        ZynkError {
            date: Some(date),
            name: Some(operation.to_owned()),
            description: Some(description.into()),
            unknown: Vec::new(),
        }
    }
}

zynk_record! {
    /// `CustomFields/CustomField`.
    pub struct CustomField = "CustomField", key "Name" {
        value "Name" name: Option<String>,
        value "Value" value: Option<String>,
    }
}

zynk_record! {
    /// `Notes/Note` (XSD 1.1 `ArrayOfNote`).
    pub struct Note = "Note", key "Text" {
        value "Text" text: Option<String>,
    }
}

zynk_record! {
    /// The address block used for invoice, delivery and order addresses (docs/zynk-reference.md §3.2).
    ///
    /// Written in the order the Zynk exports use (Postcode before County), which differs
    /// slightly from the docs' table.
    pub struct Contact = "Contact", key "Company" {
        value "Title" title: Option<String>,
        value "Forename" forename: Option<String>,
        value "Middlename" middlename: Option<String>,
        value "Surname" surname: Option<String>,
        value "Suffix" suffix: Option<String>,
        value "Company" company: Option<String>,
        value "Address1" address1: Option<String>,
        value "Address2" address2: Option<String>,
        value "Address3" address3: Option<String>,
        value "Town" town: Option<String>,
        value "Postcode" postcode: Option<String>,
        value "County" county: Option<String>,
        /// ISO 3166 alpha-2.
        value "Country" country: Option<String>,
        value "Telephone" telephone: Option<String>,
        value "Fax" fax: Option<String>,
        value "Mobile" mobile: Option<String>,
        value "Email" email: Option<String>,
        value "Website" website: Option<String>,
        value "Status" status: Option<String>,
        value "Spouse" spouse: Option<String>,
        value "ReferredBy" referred_by: Option<String>,
        value "LastResults" last_results: Option<String>,
        value "Birthdate" birthdate: Option<XmlDateTime>,
        list "Notes" notes: Vec<Note> ["Note"],
        value "TaxCode" tax_code: Option<i32>,
        list "CustomFields" custom_fields: Vec<CustomField> ["CustomField"],
        value "TradeContact" trade_contact: Option<String>,
        value "Description" description: Option<String>,
    }
}

impl Contact {
    /// Title + Forename + Middlename + Surname + Suffix, space-separated (docs/zynk-reference.md §3.2 "full name").
    pub fn full_name(&self) -> String {
        [
            &self.title,
            &self.forename,
            &self.middlename,
            &self.surname,
            &self.suffix,
        ]
        .into_iter()
        .filter_map(|part| part.as_deref().map(str::trim))
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
    }

    /// The company, or the full name when the company is empty (docs/zynk-reference.md §3.2, §5.6).
    pub fn company_or_full_name(&self) -> String {
        match self.company.as_deref().map(str::trim) {
            Some(company) if !company.is_empty() => company.to_owned(),
            _ => self.full_name(),
        }
    }

    /// True when no name or address text is present (an empty `<SalesOrderAddress />`).
    pub fn is_blank(&self) -> bool {
        [
            &self.title,
            &self.forename,
            &self.middlename,
            &self.surname,
            &self.suffix,
            &self.company,
            &self.address1,
            &self.address2,
            &self.address3,
            &self.town,
            &self.postcode,
            &self.county,
            &self.country,
            &self.telephone,
            &self.fax,
            &self.mobile,
            &self.email,
            &self.website,
        ]
        .into_iter()
        .all(|part| part.as_deref().is_none_or(|text| text.trim().is_empty()))
    }
}
