//! Settings the Sage tasks share: the files of an import, account reference generation (§5.3)
//! and Match Accounts On (§5.2).

use wharf_guest::{SettingError, SettingSpec, Settings};

use crate::sage::{AccountReferenceConvention, AccountReferenceSettings, MatchField};

/// Names of an import's file settings: input, success and fail file.
pub const IMPORT_FILE_SETTINGS: [&str; 3] = ["input-file", "success-file", "fail-file"];

/// The file settings of an import of `records` (`sales orders`, `customers`).
pub fn import_file_specs(records: &str, collection: &str) -> Vec<SettingSpec> {
    vec![
        SettingSpec::file(
            "input-file",
            format!("Zynk XML with the {records} to import (Company/{collection})."),
        )
        .required()
        .non_empty(),
        SettingSpec::file(
            "success-file",
            format!("Written with the {records} Sage accepted, keys filled in; always written."),
        )
        .required()
        .non_empty(),
        SettingSpec::file(
            "fail-file",
            format!(
                "Written with the {records} Sage refused, each with its Errors; always written."
            ),
        )
        .required()
        .non_empty(),
    ]
}

const CONVENTIONS: [(&str, AccountReferenceConvention); 5] = [
    (
        "CompanyOtherwiseFullname",
        AccountReferenceConvention::CompanyOtherwiseFullname,
    ),
    (
        "CompanyOtherwiseForenameSurname",
        AccountReferenceConvention::CompanyOtherwiseForenameSurname,
    ),
    (
        "CompanyOtherwiseSurnameForename",
        AccountReferenceConvention::CompanyOtherwiseSurnameForename,
    ),
    (
        "ForenameSurname",
        AccountReferenceConvention::ForenameSurname,
    ),
    (
        "SurnameForename",
        AccountReferenceConvention::SurnameForename,
    ),
];

/// The Auto Generate References block (§5.3), with the current product's defaults.
pub fn account_reference_specs() -> Vec<SettingSpec> {
    let names: Vec<&str> = CONVENTIONS.iter().map(|(name, _)| *name).collect();
    vec![
        SettingSpec::boolean(
            "auto-generate-account-reference",
            "Generate an account reference for a new account the data gives none for.",
        )
        .with_default("false"),
        SettingSpec::choice(
            "account-reference-convention",
            "Which name a generated reference starts from.",
            &names,
        )
        .with_default("CompanyOtherwiseFullname"),
        SettingSpec::integer(
            "alphabetic-length",
            "Letters of a generated reference taken from the name (0-8).",
        )
        .with_default("4")
        .at_least(0)
        .at_most(8),
        SettingSpec::integer(
            "numeric-length",
            "Digits of a generated reference's number (1-8).",
        )
        .with_default("4")
        .at_least(1)
        .at_most(8),
        SettingSpec::text(
            "mask",
            "`?` takes a generated character, anything else is literal; without `?` a prefix.",
        )
        .with_default(""),
        SettingSpec::text(
            "regular-expression",
            "Matches are removed from the name before letters are taken (e.g. `\\s*`).",
        )
        .with_default(""),
        SettingSpec::boolean(
            "create-multiple-delivery-addresses",
            "Add a new delivery address to the account's list instead of replacing its default.",
        )
        .with_default("false"),
    ]
}

fn length(
    settings: &Settings,
    name: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<u32, SettingError> {
    let value = settings.integer(name)?;
    if !range.contains(&value) {
        return Err(SettingError::new(
            name,
            format!("must be {} to {}, got {value}", range.start(), range.end()),
        ));
    }
    Ok(value as u32)
}

pub fn account_reference_settings(
    settings: &Settings,
) -> Result<AccountReferenceSettings, SettingError> {
    let names: Vec<&str> = CONVENTIONS.iter().map(|(name, _)| *name).collect();
    let chosen = settings.choice("account-reference-convention", &names)?;
    let convention = CONVENTIONS
        .iter()
        .find(|(name, _)| *name == chosen)
        .map(|(_, convention)| *convention)
        .unwrap_or(AccountReferenceConvention::CompanyOtherwiseFullname);
    Ok(AccountReferenceSettings {
        auto_generate: settings.boolean("auto-generate-account-reference")?,
        convention,
        alphabetic_length: length(settings, "alphabetic-length", 0..=8)?,
        numeric_length: length(settings, "numeric-length", 1..=8)?,
        mask: settings.get("mask").unwrap_or_default().to_owned(),
        regular_expression: settings
            .get("regular-expression")
            .unwrap_or_default()
            .to_owned(),
    })
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

pub fn match_fields_spec() -> SettingSpec {
    SettingSpec::text(
        "match-accounts-on",
        "Comma-separated fields an existing account must all match (CompanyName, Telephone, \
         Telephone2, Mobile, Fax, Email, Email2, Email3, Website, Postcode, TradeContact, Custom1-3).",
    )
    .with_default("")
}

/// Match Accounts On, as written (`CompanyName, Postcode`); spaces inside a name and letter
/// case are ignored, as the UI names (`Company Name`) have them.
pub fn match_fields(settings: &Settings) -> Result<Vec<MatchField>, SettingError> {
    let mut fields = Vec::new();
    for part in settings
        .get("match-accounts-on")
        .unwrap_or_default()
        .split([',', ';'])
    {
        let wanted: String = part.chars().filter(|c| !c.is_whitespace()).collect();
        if wanted.is_empty() {
            continue;
        }
        let Some((_, field)) = MATCH_FIELDS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(&wanted))
        else {
            let known: Vec<&str> = MATCH_FIELDS.iter().map(|(name, _)| *name).collect();
            return Err(SettingError::new(
                "match-accounts-on",
                format!(
                    "`{}` is not a field to match on (use {})",
                    part.trim(),
                    known.join(", ")
                ),
            ));
        };
        if !fields.contains(field) {
            fields.push(*field);
        }
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        let mut specs = account_reference_specs();
        specs.push(match_fields_spec());
        pairs
            .iter()
            .copied()
            .collect::<Settings>()
            .with_defaults(&specs)
    }

    #[test]
    fn account_reference_defaults_are_the_current_products() {
        let parsed = account_reference_settings(&settings(&[])).unwrap();
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
        let parsed = account_reference_settings(&settings(&[
            ("auto-generate-account-reference", "true"),
            ("account-reference-convention", "surnameforename"),
            ("alphabetic-length", "3"),
            ("numeric-length", "3"),
            ("mask", "Z-"),
            ("regular-expression", "\\s*"),
        ]))
        .unwrap();
        assert!(parsed.auto_generate);
        assert_eq!(
            parsed.convention,
            AccountReferenceConvention::SurnameForename
        );
        assert_eq!(
            (parsed.mask.as_str(), parsed.regular_expression.as_str()),
            ("Z-", "\\s*")
        );
        let error = account_reference_settings(&settings(&[("numeric-length", "0")])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "setting `numeric-length`: must be 1 to 8, got 0"
        );
    }

    #[test]
    fn match_fields_accept_the_ui_names() {
        let fields = match_fields(&settings(&[(
            "match-accounts-on",
            "Company Name, postcode;Email",
        )]))
        .unwrap();
        assert_eq!(
            fields,
            [
                MatchField::CompanyName,
                MatchField::Postcode,
                MatchField::Email
            ]
        );
        assert!(match_fields(&settings(&[])).unwrap().is_empty());
        let error = match_fields(&settings(&[("match-accounts-on", "Shoe size")])).unwrap_err();
        assert!(
            error.to_string().contains("`Shoe size` is not a field"),
            "{error}"
        );
    }
}
