//! Settings the Sage tasks share: account reference generation (docs/zynk-reference.md §5.3) and Match Accounts On
//! (docs/zynk-reference.md §5.2), a group both imports flatten into their own settings.

use wharf_guest::{SettingChoice, SettingKind, SettingValue, TaskSettings};

use crate::sage::{AccountReferenceConvention, AccountReferenceSettings, MatchField};

/// The settings of both imports that say how accounts are found and made: the Auto Generate
/// References block (docs/zynk-reference.md §5.3, the current product's defaults), delivery addresses and Match
/// Accounts On (docs/zynk-reference.md §5.2).
#[derive(Debug, Clone, PartialEq, Eq, TaskSettings)]
pub struct AccountSettings {
    /// Generate an account reference for a new account the data gives none for.
    #[setting(default = false)]
    pub auto_generate_account_reference: bool,
    /// Which name a generated reference starts from.
    #[setting(default = "CompanyOtherwiseFullname")]
    pub account_reference_convention: Convention,
    /// Letters of a generated reference taken from the name (0-8).
    #[setting(default = 4, range = 0..=8)]
    pub alphabetic_length: u32,
    /// Digits of a generated reference's number (1-8).
    #[setting(default = 4, range = 1..=8)]
    pub numeric_length: u32,
    /// `?` takes a generated character, anything else is literal; without `?` a prefix.
    #[setting(default = "")]
    pub mask: String,
    /// Matches are removed from the name before letters are taken (e.g. `\s*`).
    #[setting(default = "")]
    pub regular_expression: String,
    /// Add a new delivery address to the account's list instead of replacing its default.
    #[setting(default = false)]
    pub create_multiple_delivery_addresses: bool,
    /// Comma-separated fields an existing account must all match (CompanyName, Telephone,
    /// Telephone2, Mobile, Fax, Email, Email2, Email3, Website, Postcode, TradeContact, Custom1-3).
    #[setting(default = "")]
    pub match_accounts_on: MatchFields,
}

impl AccountSettings {
    /// The reference generation settings as the `sage` interface takes them.
    pub fn account_references(&self) -> AccountReferenceSettings {
        AccountReferenceSettings {
            auto_generate: self.auto_generate_account_reference,
            convention: self.account_reference_convention.into(),
            alphabetic_length: self.alphabetic_length,
            numeric_length: self.numeric_length,
            mask: self.mask.clone(),
            regular_expression: self.regular_expression.clone(),
        }
    }
}

/// The `account-reference-convention` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, SettingChoice)]
pub enum Convention {
    CompanyOtherwiseFullname,
    CompanyOtherwiseForenameSurname,
    CompanyOtherwiseSurnameForename,
    ForenameSurname,
    SurnameForename,
}

impl From<Convention> for AccountReferenceConvention {
    fn from(convention: Convention) -> Self {
        match convention {
            Convention::CompanyOtherwiseFullname => Self::CompanyOtherwiseFullname,
            Convention::CompanyOtherwiseForenameSurname => Self::CompanyOtherwiseForenameSurname,
            Convention::CompanyOtherwiseSurnameForename => Self::CompanyOtherwiseSurnameForename,
            Convention::ForenameSurname => Self::ForenameSurname,
            Convention::SurnameForename => Self::SurnameForename,
        }
    }
}

const MATCH_FIELDS: [(&str, MatchField); 14] = [
    ("CompanyName", MatchField::CompanyName),
    ("Telephone", MatchField::Telephone),
    ("Telephone2", MatchField::Telephone2),
    ("Mobile", MatchField::Mobile),
    ("Fax", MatchField::Fax),
    ("Email", MatchField::Email),
    ("Email2", MatchField::Email2),
    ("Email3", MatchField::Email3),
    ("Website", MatchField::Website),
    ("Postcode", MatchField::Postcode),
    ("TradeContact", MatchField::TradeContact),
    ("Custom1", MatchField::Custom1),
    ("Custom2", MatchField::Custom2),
    ("Custom3", MatchField::Custom3),
];

/// Match Accounts On, as written (`CompanyName, Postcode`): a comma- or semicolon-separated
/// list whose names ignore spaces and letter case, as the UI names (`Company Name`) have them.
/// Each field once, in the order written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchFields(pub Vec<MatchField>);

impl SettingValue for MatchFields {
    const KIND: SettingKind = SettingKind::Text;
    const OPTIONAL: bool = true;

    fn parse_value(value: &str) -> Result<Self, String> {
        let mut fields = Vec::new();
        for part in value.split([',', ';']) {
            let wanted: String = part.chars().filter(|c| !c.is_whitespace()).collect();
            if wanted.is_empty() {
                continue;
            }
            let Some((_, field)) = MATCH_FIELDS
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(&wanted))
            else {
                let known: Vec<&str> = MATCH_FIELDS.iter().map(|(name, _)| *name).collect();
                return Err(format!(
                    "`{}` is not a field to match on (use {})",
                    part.trim(),
                    known.join(", ")
                ));
            };
            if !fields.contains(field) {
                fields.push(*field);
            }
        }
        Ok(Self(fields))
    }

    fn absent() -> Option<Self> {
        Some(Self::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> AccountSettings {
        AccountSettings::from_pairs(pairs).unwrap()
    }

    #[test]
    fn account_reference_defaults_are_the_current_products() {
        let parsed = settings(&[]).account_references();
        assert!(!parsed.auto_generate);
        assert_eq!(
            parsed.convention,
            AccountReferenceConvention::CompanyOtherwiseFullname
        );
        assert_eq!((parsed.alphabetic_length, parsed.numeric_length), (4, 4));
        assert!(parsed.mask.is_empty() && parsed.regular_expression.is_empty());
    }

    #[test]
    fn account_reference_settings_are_read_and_checked() {
        let parsed = settings(&[
            ("auto-generate-account-reference", "true"),
            ("account-reference-convention", "surnameforename"),
            ("alphabetic-length", "3"),
            ("numeric-length", "3"),
            ("mask", "Z-"),
            ("regular-expression", "\\s*"),
        ])
        .account_references();
        assert!(parsed.auto_generate);
        assert_eq!(
            parsed.convention,
            AccountReferenceConvention::SurnameForename
        );
        assert_eq!(
            (parsed.mask.as_str(), parsed.regular_expression.as_str()),
            ("Z-", "\\s*")
        );
        let error = AccountSettings::from_pairs(&[("numeric-length", "0")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "setting `numeric-length`: must be 1 to 8, got 0"
        );
    }

    #[test]
    fn match_fields_accept_the_ui_names() {
        let fields = settings(&[("match-accounts-on", "Company Name, postcode;Email")])
            .match_accounts_on
            .0;
        assert_eq!(
            fields,
            [
                MatchField::CompanyName,
                MatchField::Postcode,
                MatchField::Email
            ]
        );
        assert!(settings(&[]).match_accounts_on.0.is_empty());
        let error = AccountSettings::from_pairs(&[("match-accounts-on", "Shoe size")]).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("setting `match-accounts-on`: `Shoe size` is not a field"),
            "{error}"
        );
    }

    #[test]
    fn specs_keep_the_order_and_defaults() {
        let specs = AccountSettings::specs();
        let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "auto-generate-account-reference",
                "account-reference-convention",
                "alphabetic-length",
                "numeric-length",
                "mask",
                "regular-expression",
                "create-multiple-delivery-addresses",
                "match-accounts-on"
            ]
        );
        assert_eq!(specs[1].allowed_values.len(), 5);
        assert_eq!((specs[2].minimum, specs[2].maximum), (Some(0), Some(8)));
        assert!(specs.iter().all(|s| !s.required));
    }
}
