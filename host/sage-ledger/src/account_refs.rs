//! Account reference auto-generation (docs/zynk-reference.md §5.3).
//!
//! The docs give the inputs (convention, alphabetic and numeric lengths, mask, regular
//! expression) but not the algorithm; this follows the recommendation in docs/zynk-reference.md (docs/zynk-reference.md §6.24):
//!
//! 1. source text chosen by the convention → every match of the regular expression removed →
//!    ASCII letters and digits kept → upper case;
//! 2. its first `alphabetic_length` characters, padded with `X` when the name is shorter;
//! 3. n = 1, 2, …: alpha + n zero-padded to `numeric_length`, merged into the mask; the first
//!    candidate no account uses wins (numbering is per alphabetic prefix);
//! 4. a candidate longer than 8 characters, or running out of numbers, fails the record.
//!
//! Mask: `?` positions take the generated characters in order, anything else is literal
//! (`???-???` → `INT-001`); a mask without `?` is a prefix (`Z-` → `Z-INT001`). The docs describe
//! both readings; a mask with `?` must have exactly one per generated character, otherwise the
//! settings are refused (a mask that drops digits would make every candidate collide).

use std::collections::HashSet;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::customers::{self, normalise_account_ref};
use crate::error::{LedgerResult, Rejection};
use crate::ledger::Ledger;

/// Which name the alphabetic part comes from (`.wkf` `AccountReferenceConvention`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccountReferenceConvention {
    /// Docs spell it "FullName", samples serialise "Fullname".
    #[default]
    #[serde(alias = "CompanyOtherwiseFullName")]
    CompanyOtherwiseFullname,
    CompanyOtherwiseForenameSurname,
    CompanyOtherwiseSurnameForename,
    ForenameSurname,
    SurnameForename,
}

/// The Auto Generate References block of the import tasks.
///
/// When a `.wkf` carries both the legacy flat settings and the nested block (1.6.19 files,
/// docs/zynk-reference.md §6.24), the loader should pass the nested block: it is what the current product edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountReferenceSettings {
    pub auto_generate: bool,
    pub convention: AccountReferenceConvention,
    pub alphabetic_length: u32,
    pub numeric_length: u32,
    pub mask: String,
    pub regular_expression: String,
}

impl Default for AccountReferenceSettings {
    /// The nested block's defaults: off, company otherwise full name, 4 letters, 4 digits.
    fn default() -> Self {
        AccountReferenceSettings {
            auto_generate: false,
            convention: AccountReferenceConvention::CompanyOtherwiseFullname,
            alphabetic_length: 4,
            numeric_length: 4,
            mask: String::new(),
            regular_expression: String::new(),
        }
    }
}

/// The name parts a reference can be built from.
#[derive(Debug, Clone, Copy, Default)]
pub struct NameParts<'a> {
    pub company: &'a str,
    pub forename: &'a str,
    pub surname: &'a str,
    /// Title + forename + middle name + surname + suffix.
    pub full_name: &'a str,
}

impl AccountReferenceConvention {
    pub fn source_text(self, names: &NameParts<'_>) -> String {
        let company = names.company.trim();
        let join = |first: &str, second: &str| format!("{} {}", first.trim(), second.trim());
        let person = match self {
            AccountReferenceConvention::CompanyOtherwiseFullname => {
                names.full_name.trim().to_owned()
            }
            AccountReferenceConvention::CompanyOtherwiseForenameSurname
            | AccountReferenceConvention::ForenameSurname => join(names.forename, names.surname),
            AccountReferenceConvention::CompanyOtherwiseSurnameForename
            | AccountReferenceConvention::SurnameForename => join(names.surname, names.forename),
        };
        let company_first = !matches!(
            self,
            AccountReferenceConvention::ForenameSurname
                | AccountReferenceConvention::SurnameForename
        );
        if company_first && !company.is_empty() {
            company.to_owned()
        } else {
            person.trim().to_owned()
        }
    }
}

/// Settings that cannot generate any valid reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountReferenceSettingsError {
    #[error("the account reference regular expression '{pattern}' is not valid: {reason}")]
    InvalidRegularExpression { pattern: String, reason: String },
    #[error("the account reference numeric length must be 1 to 8 digits, not {0}")]
    InvalidNumericLength(u32),
    #[error("the account reference alphabetic length must be 0 to 8 characters, not {0}")]
    InvalidAlphabeticLength(u32),
    #[error(
        "the account reference mask '{mask}' has {placeholders} '?' placeholders but {generated} characters are generated (alphabetic length + numeric length)"
    )]
    MaskMismatch {
        mask: String,
        placeholders: usize,
        generated: usize,
    },
    #[error(
        "generated account references would be {length} characters long (mask '{mask}', {generated} generated characters), but Sage allows at most 8"
    )]
    TooLong {
        mask: String,
        generated: usize,
        length: usize,
    },
}

/// One position of a generated reference.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Literal(char),
    Letter(usize),
    Digit(usize),
}

/// Validated settings, ready to generate references.
#[derive(Debug, Clone)]
pub struct AccountReferenceGenerator {
    settings: AccountReferenceSettings,
    removal: Option<Regex>,
    slots: Vec<Slot>,
}

impl AccountReferenceGenerator {
    /// The generator the settings ask for: none when Auto Generate References is off.
    pub fn when_enabled(
        settings: &AccountReferenceSettings,
    ) -> Result<Option<Self>, AccountReferenceSettingsError> {
        settings
            .auto_generate
            .then(|| Self::new(settings))
            .transpose()
    }

    pub fn new(settings: &AccountReferenceSettings) -> Result<Self, AccountReferenceSettingsError> {
        let alphabetic = settings.alphabetic_length as usize;
        let numeric = settings.numeric_length as usize;
        if !(1..=8).contains(&numeric) {
            return Err(AccountReferenceSettingsError::InvalidNumericLength(
                settings.numeric_length,
            ));
        }
        if alphabetic > 8 {
            return Err(AccountReferenceSettingsError::InvalidAlphabeticLength(
                settings.alphabetic_length,
            ));
        }
        let removal = match settings.regular_expression.trim() {
            "" => None,
            pattern => Some(Regex::new(pattern).map_err(|error| {
                AccountReferenceSettingsError::InvalidRegularExpression {
                    pattern: pattern.to_owned(),
                    reason: error.to_string(),
                }
            })?),
        };
        let generated: Vec<Slot> = (0..alphabetic)
            .map(Slot::Letter)
            .chain((0..numeric).map(Slot::Digit))
            .collect();
        let mask = settings.mask.trim();
        let placeholders = mask.chars().filter(|&c| c == '?').count();
        let slots: Vec<Slot> = if placeholders == 0 {
            mask.chars()
                .map(Slot::Literal)
                .chain(generated.iter().copied())
                .collect()
        } else if placeholders == generated.len() {
            let mut fill = generated.iter().copied();
            mask.chars()
                .map(|c| match c {
                    '?' => fill.next().unwrap_or(Slot::Literal('?')),
                    literal => Slot::Literal(literal),
                })
                .collect()
        } else {
            return Err(AccountReferenceSettingsError::MaskMismatch {
                mask: mask.to_owned(),
                placeholders,
                generated: generated.len(),
            });
        };
        if slots.len() > 8 {
            return Err(AccountReferenceSettingsError::TooLong {
                mask: mask.to_owned(),
                generated: generated.len(),
                length: slots.len(),
            });
        }
        Ok(AccountReferenceGenerator {
            settings: settings.clone(),
            removal,
            slots,
        })
    }

    pub fn settings(&self) -> &AccountReferenceSettings {
        &self.settings
    }

    /// Steps 1–2: the alphabetic part for a name.
    pub fn alphabetic_part(&self, names: &NameParts<'_>) -> String {
        let source = self.settings.convention.source_text(names);
        let cleaned = match &self.removal {
            Some(removal) => removal.replace_all(&source, "").into_owned(),
            None => source,
        };
        let mut alpha: String = cleaned
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .take(self.settings.alphabetic_length as usize)
            .collect();
        while alpha.len() < self.settings.alphabetic_length as usize {
            alpha.push('X');
        }
        alpha
    }

    /// The reference for `alpha` and number `n`.
    pub fn candidate(&self, alpha: &str, number: u64) -> String {
        let digits = format!(
            "{number:0width$}",
            width = self.settings.numeric_length as usize
        );
        let letters: Vec<char> = alpha.chars().collect();
        let digits: Vec<char> = digits.chars().collect();
        self.slots
            .iter()
            .map(|slot| match *slot {
                Slot::Literal(c) => c,
                Slot::Letter(i) => letters.get(i).copied().unwrap_or('X'),
                Slot::Digit(i) => digits.get(i).copied().unwrap_or('0'),
            })
            .collect()
    }

    /// SQL LIKE pattern matching every candidate for `alpha` (digits as `_`).
    fn like_pattern(&self, alpha: &str) -> String {
        let letters: Vec<char> = alpha.chars().collect();
        let mut pattern = String::new();
        for slot in &self.slots {
            let c = match *slot {
                Slot::Digit(_) => {
                    pattern.push('_');
                    continue;
                }
                Slot::Literal(c) => c,
                Slot::Letter(i) => letters.get(i).copied().unwrap_or('X'),
            };
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c.to_ascii_uppercase());
        }
        pattern
    }

    /// The number a reference carries, if it has this generator's shape for `alpha`.
    fn number_of(&self, alpha: &str, reference: &str) -> Option<u64> {
        let chars: Vec<char> = reference.chars().collect();
        if chars.len() != self.slots.len() {
            return None;
        }
        let expected = self.candidate(alpha, 0);
        let mut digits = String::new();
        for ((slot, actual), wanted) in self.slots.iter().zip(&chars).zip(expected.chars()) {
            match slot {
                Slot::Digit(_) if actual.is_ascii_digit() => digits.push(*actual),
                Slot::Digit(_) => return None,
                _ if !actual.eq_ignore_ascii_case(&wanted) => return None,
                _ => {}
            }
        }
        digits.parse().ok()
    }

    pub(crate) fn largest_number(&self) -> u64 {
        10u64.pow(self.settings.numeric_length) - 1
    }
}

/// Step 3–4: the first free reference for `names`.
pub(crate) fn next_free(
    conn: &rusqlite::Connection,
    generator: &AccountReferenceGenerator,
    names: &NameParts<'_>,
) -> LedgerResult<String> {
    let alpha = generator.alphabetic_part(names);
    let used: HashSet<u64> = customers::references_like(conn, &generator.like_pattern(&alpha))?
        .iter()
        .filter_map(|reference| generator.number_of(&alpha, reference))
        .collect();
    let number = (1..=generator.largest_number())
        .find(|n| !used.contains(n))
        .ok_or_else(|| Rejection::InvalidAccountReference {
            reference: generator.candidate(&alpha, generator.largest_number()),
            reason: format!(
                "every {}-digit number after '{alpha}' is already used; increase the numeric length",
                generator.settings.numeric_length
            ),
        })?;
    Ok(normalise_account_ref(&generator.candidate(&alpha, number))?)
}

/// Account reference generation.
impl Ledger {
    /// The first unused reference for `names` under `settings` (docs/zynk-reference.md §5.3). Nothing is reserved:
    /// create the account before asking for the next one.
    pub fn next_account_reference(
        &self,
        names: &NameParts<'_>,
        generator: &AccountReferenceGenerator,
    ) -> LedgerResult<String> {
        next_free(&self.conn, generator, names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generator(alpha: u32, numeric: u32, mask: &str, regex: &str) -> AccountReferenceGenerator {
        AccountReferenceGenerator::new(&AccountReferenceSettings {
            auto_generate: true,
            convention: AccountReferenceConvention::CompanyOtherwiseFullname,
            alphabetic_length: alpha,
            numeric_length: numeric,
            mask: mask.into(),
            regular_expression: regex.into(),
        })
        .expect("valid settings")
    }

    #[test]
    fn shapes_follow_the_mask_rules() {
        let plain = generator(3, 3, "", "");
        assert_eq!(plain.candidate("INT", 1), "INT001");
        let placeholder = generator(3, 3, "???-???", "");
        assert_eq!(placeholder.candidate("INT", 1), "INT-001");
        let prefix = generator(3, 3, "Z-", "");
        assert_eq!(prefix.candidate("INT", 12), "Z-INT012");
        assert_eq!(prefix.number_of("INT", "Z-INT012"), Some(12));
        assert_eq!(prefix.number_of("INT", "Z-INTX12"), None);
        assert_eq!(prefix.like_pattern("INT"), "Z-INT___");
    }
}
