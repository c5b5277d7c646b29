//! docs/zynk-reference.md §5.3 Account reference auto-generation, rule by rule.

mod common;

use common::{add_customer, ledger};
use sage_ledger::{
    AccountReferenceConvention, AccountReferenceGenerator, AccountReferenceSettings,
    AccountReferenceSettingsError, LedgerError, NameParts, Rejection,
};

fn settings(alpha: u32, numeric: u32, mask: &str, regex: &str) -> AccountReferenceSettings {
    AccountReferenceSettings {
        auto_generate: true,
        convention: AccountReferenceConvention::CompanyOtherwiseFullname,
        alphabetic_length: alpha,
        numeric_length: numeric,
        mask: mask.into(),
        regular_expression: regex.into(),
    }
}

fn generator(alpha: u32, numeric: u32, mask: &str, regex: &str) -> AccountReferenceGenerator {
    AccountReferenceGenerator::new(&settings(alpha, numeric, mask, regex)).expect("valid settings")
}

fn company(name: &str) -> NameParts<'_> {
    NameParts {
        company: name,
        ..NameParts::default()
    }
}

#[test]
fn internetware_becomes_int001() {
    let (ledger, _) = ledger();
    let reference = ledger
        .next_account_reference(&company("Internetware"), &generator(3, 3, "", ""))
        .unwrap();
    assert_eq!(reference, "INT001");
}

#[test]
fn collisions_take_the_first_free_number() {
    let (mut ledger, _) = ledger();
    let generator = generator(3, 3, "", "");
    add_customer(&mut ledger, "INT001", "Internetware");
    add_customer(&mut ledger, "INT003", "Interiors");
    let names = company("International Foods");
    assert_eq!(
        ledger.next_account_reference(&names, &generator).unwrap(),
        "INT002"
    );
    add_customer(&mut ledger, "INT002", "International Foods");
    assert_eq!(
        ledger.next_account_reference(&names, &generator).unwrap(),
        "INT004"
    );
}

#[test]
fn numbering_is_per_alphabetic_prefix() {
    let (mut ledger, _) = ledger();
    add_customer(&mut ledger, "INT001", "Internetware");
    let reference = ledger
        .next_account_reference(&company("Acme Ltd"), &generator(3, 3, "", ""))
        .unwrap();
    assert_eq!(reference, "ACM001");
}

#[test]
fn mask_placeholders_take_generated_characters_in_order() {
    let (mut ledger, _) = ledger();
    let dashed = generator(3, 3, "???-???", "");
    assert_eq!(
        ledger
            .next_account_reference(&company("Internetware"), &dashed)
            .unwrap(),
        "INT-001"
    );
    add_customer(&mut ledger, "INT-001", "Internetware");
    assert_eq!(
        ledger
            .next_account_reference(&company("Internetware"), &dashed)
            .unwrap(),
        "INT-002"
    );
    let leading_a = generator(3, 3, "A??????", "");
    assert_eq!(
        ledger
            .next_account_reference(&company("Internetware"), &leading_a)
            .unwrap(),
        "AINT001"
    );
}

#[test]
fn mask_without_placeholders_is_a_prefix() {
    let (ledger, _) = ledger();
    let prefixed = generator(3, 3, "Z-", "");
    assert_eq!(
        ledger
            .next_account_reference(&company("Internetware"), &prefixed)
            .unwrap(),
        "Z-INT001"
    );
}

#[test]
fn regular_expression_matches_are_removed() {
    let (ledger, _) = ledger();
    let plain = generator(4, 3, "", "");
    assert_eq!(
        ledger
            .next_account_reference(&company("The Shop"), &plain)
            .unwrap(),
        "THES001"
    );
    let without_article = generator(4, 3, "", r"^(?i)the\s*");
    assert_eq!(
        ledger
            .next_account_reference(&company("The Shop"), &without_article)
            .unwrap(),
        "SHOP001"
    );
    let without_spaces = generator(4, 3, "", r"\s*");
    assert_eq!(
        ledger
            .next_account_reference(&company("A B C D"), &without_spaces)
            .unwrap(),
        "ABCD001"
    );
}

#[test]
fn punctuation_is_dropped_and_short_names_are_padded() {
    let (ledger, _) = ledger();
    let generator = generator(4, 3, "", "");
    assert_eq!(
        ledger
            .next_account_reference(&company("O'Neil & Co."), &generator)
            .unwrap(),
        "ONEI001"
    );
    assert_eq!(
        ledger
            .next_account_reference(&company("Al"), &generator)
            .unwrap(),
        "ALXX001"
    );
    assert_eq!(
        ledger
            .next_account_reference(&company("Café Ürün"), &generator)
            .unwrap(),
        "CAFR001"
    );
}

#[test]
fn conventions_choose_the_name() {
    let (ledger, _) = ledger();
    let names = NameParts {
        company: "",
        forename: "Jane",
        surname: "Smith",
        full_name: "Mrs Jane Smith",
    };
    let with = |convention| {
        let mut s = settings(3, 3, "", "");
        s.convention = convention;
        ledger
            .next_account_reference(&names, &AccountReferenceGenerator::new(&s).unwrap())
            .unwrap()
    };
    assert_eq!(
        with(AccountReferenceConvention::CompanyOtherwiseFullname),
        "MRS001"
    );
    assert_eq!(
        with(AccountReferenceConvention::CompanyOtherwiseForenameSurname),
        "JAN001"
    );
    assert_eq!(
        with(AccountReferenceConvention::CompanyOtherwiseSurnameForename),
        "SMI001"
    );
    assert_eq!(with(AccountReferenceConvention::SurnameForename), "SMI001");
    let with_company = NameParts {
        company: "Widgets Ltd",
        ..names
    };
    let mut surname_first = settings(3, 3, "", "");
    surname_first.convention = AccountReferenceConvention::SurnameForename;
    let generator = AccountReferenceGenerator::new(&surname_first).unwrap();
    assert_eq!(
        ledger
            .next_account_reference(&with_company, &generator)
            .unwrap(),
        "SMI001",
        "ForenameSurname/SurnameForename ignore the company"
    );
    let mut company_first = settings(3, 3, "", "");
    company_first.convention = AccountReferenceConvention::CompanyOtherwiseSurnameForename;
    let generator = AccountReferenceGenerator::new(&company_first).unwrap();
    assert_eq!(
        ledger
            .next_account_reference(&with_company, &generator)
            .unwrap(),
        "WID001"
    );
}

#[test]
fn references_longer_than_eight_characters_are_refused_up_front() {
    assert!(matches!(
        AccountReferenceGenerator::new(&settings(5, 4, "", "")),
        Err(AccountReferenceSettingsError::TooLong { length: 9, .. })
    ));
    assert!(matches!(
        AccountReferenceGenerator::new(&settings(3, 3, "ABC-", "")),
        Err(AccountReferenceSettingsError::TooLong { length: 10, .. })
    ));
}

#[test]
fn bad_masks_and_expressions_are_refused_up_front() {
    let error = AccountReferenceGenerator::new(&settings(3, 3, "??-??", "")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the account reference mask '??-??' has 4 '?' placeholders but 6 characters are generated (alphabetic length + numeric length)"
    );
    assert!(matches!(
        AccountReferenceGenerator::new(&settings(3, 3, "", "(unclosed")),
        Err(AccountReferenceSettingsError::InvalidRegularExpression { .. })
    ));
    assert!(matches!(
        AccountReferenceGenerator::new(&settings(3, 0, "", "")),
        Err(AccountReferenceSettingsError::InvalidNumericLength(0))
    ));
}

#[test]
fn running_out_of_numbers_fails_the_record() {
    let (mut ledger, _) = ledger();
    let generator = generator(3, 1, "", "");
    for n in 1..=9 {
        add_customer(&mut ledger, &format!("INT{n}"), "Internetware");
    }
    match ledger.next_account_reference(&company("Internetware"), &generator) {
        Err(LedgerError::Rejected(Rejection::InvalidAccountReference { reason, .. })) => {
            assert!(
                reason.contains("every 1-digit number after 'INT' is already used"),
                "{reason}"
            );
        }
        other => panic!("expected exhaustion, got {other:?}"),
    }
}
