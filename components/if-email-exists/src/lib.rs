//! If Email Exists (docs/email.md): a condition that is true when `email` holds one
//! well-formed e-mail address (RFC 5322's address form, as `email_address` reads it); with
//! `strong-validation`, also a domain of at least two labels (`example.co.uk`, not `localhost`),
//! no address literal (`[10.0.0.1]`) and no display name. Zynk's sample sends an order
//! confirmation only to customers whose record holds an address.
//!
//! Zynk's optional check against the recipient's SMTP server (`CheckSMTPServer`) is not offered:
//! a task has no network but its granted connections, and mail servers no longer answer it.

use email_address::{EmailAddress, Options};
use wharf_guest::{TaskError, TaskSettings, TypedCondition};

/// The settings of `if-email-exists`.
#[derive(Debug, Clone, TaskSettings)]
pub struct IfEmailExistsSettings {
    /// The address to test (usually a template, e.g. `{{ current.Email }}`); empty is false.
    pub email: Option<String>,
    /// Also require a domain of two or more labels, no address literal and no display name.
    #[setting(default = false)]
    pub strong_validation: bool,
}

/// The component; exported to the host on WebAssembly.
pub struct IfEmailExists;

impl TypedCondition for IfEmailExists {
    const NAME: &'static str = "if-email-exists";
    const DOC: &'static str = "True when `email` holds one well-formed e-mail address.";
    type Settings = IfEmailExistsSettings;

    fn evaluate(settings: IfEmailExistsSettings) -> Result<bool, TaskError> {
        Ok(evaluate(&settings))
    }
}

wharf_guest::export_condition!(IfEmailExists);

/// The answer for the settings.
pub fn evaluate(settings: &IfEmailExistsSettings) -> bool {
    let Some(address) = settings.email.as_deref().map(str::trim) else {
        return false;
    };
    let options = if settings.strong_validation {
        Options {
            minimum_sub_domains: 2,
            allow_domain_literal: false,
            allow_display_text: false,
            ..Options::default()
        }
    } else {
        Options::default()
    };
    EmailAddress::parse_with_options(address, options).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(pairs: &[(&str, &str)]) -> bool {
        evaluate(&IfEmailExistsSettings::from_pairs(pairs).unwrap())
    }

    #[test]
    fn a_well_formed_address_is_true() {
        for address in [
            "ann@example.co.uk",
            "  ann.smith+orders@example.com ",
            "a@localhost",
        ] {
            assert!(answer(&[("email", address)]), "{address}");
        }
    }

    #[test]
    fn nothing_or_a_malformed_address_is_false() {
        assert!(!answer(&[]));
        for address in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@@example.com",
            "a b@example.com",
            "ann@example.com, bo@example.com",
        ] {
            assert!(!answer(&[("email", address)]), "{address}");
        }
    }

    #[test]
    fn strong_validation_wants_a_full_domain_and_a_bare_address() {
        let strong = |address| answer(&[("email", address), ("strong-validation", "true")]);
        assert!(strong("ann@example.co.uk"));
        assert!(!strong("a@localhost"));
        assert!(!strong("ann@[10.0.0.1]"));
        assert!(!strong("Ann <ann@example.co.uk>"));
        assert!(answer(&[("email", "a@localhost")]), "allowed without it");
    }

    #[test]
    fn describes_its_settings() {
        let info = wharf_guest::testing::describe_condition::<IfEmailExists>();
        let names: Vec<&str> = info.settings.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["email", "strong-validation"]);
        assert!(info.capabilities.is_empty());
    }

    #[test]
    fn a_bad_boolean_names_the_setting() {
        let e = IfEmailExistsSettings::from_pairs(&[("strong-validation", "maybe")]).unwrap_err();
        assert!(
            e.to_string().starts_with("setting `strong-validation`"),
            "{e}"
        );
    }
}
