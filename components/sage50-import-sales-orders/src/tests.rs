use std::path::Path;

use sage50::sage::{AccountReferenceConvention, ImportCounts, ImportOutcome, MatchField};
use wharf_guest::ResultCode;
use wharf_guest::sage::fake::FakeSage;

use super::*;

/// Sage answering with one imported order.
fn fake_sage() -> FakeSage {
    FakeSage {
        import_outcome: Some(ImportOutcome {
            success_document: "<Company><SalesOrders><SalesOrder/></SalesOrders></Company>".into(),
            fail_document: sage50::EMPTY_DOCUMENT.into(),
            counts: ImportCounts {
                records_read: 1,
                imported: 1,
                failed: 0,
                customers_created: 0,
                customers_updated: 0,
                products_created: 1,
            },
            warnings: vec![],
            aborted: None,
        }),
        ..FakeSage::default()
    }
}

/// Runs the task on raw settings, as the host passes them.
fn run_pairs(pairs: Vec<(String, String)>, sage: &mut impl SageBackend) -> TaskResult {
    match <ImportSalesOrdersSettings as wharf_guest::TaskSettings>::parse(
        &wharf_guest::Settings::new(pairs),
    ) {
        Ok(settings) => run(&settings, sage),
        Err(e) => e.into(),
    }
}

fn files(dir: &Path) -> Vec<(String, String)> {
    [
        ("input-file", "orders.xml"),
        ("success-file", "success.xml"),
        ("fail-file", "fail.xml"),
    ]
    .into_iter()
    .map(|(name, file)| (name.to_owned(), dir.join(file).display().to_string()))
    .collect()
}

#[test]
fn the_catalogue_defaults_reach_sage() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("orders.xml"), "<Company/>").unwrap();
    let mut sage = fake_sage();
    let result = run_pairs(files(dir.path()), &mut sage);
    assert_eq!(result.code, ResultCode::SuccessData, "{}", result.message);
    let (document, settings) = &sage.order_imports[0];
    assert_eq!(document, b"<Company/>");
    assert!(settings.prevent_duplicates && settings.auto_create_products);
    assert!(!settings.auto_create_customer && !settings.auto_allocate_stock);
    assert_eq!(settings.default_bank_account, "1200");
    assert_eq!(settings.default_product_code, "S1");
    assert!(!settings.account_references.auto_generate);
    let vat = settings.vat_settings;
    assert_eq!(
        (
            vat.base.sales,
            vat.eu.carriage,
            vat.eu_vat_reg.sales,
            vat.row.carriage
        ),
        (1, 1, 4, 0)
    );
    assert!(!vat.base.enabled);
    assert!(
        std::fs::read_to_string(dir.path().join("success.xml"))
            .unwrap()
            .contains("<SalesOrder/>")
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("fail.xml")).unwrap(),
        sage50::EMPTY_DOCUMENT
    );
}

#[test]
fn settings_as_a_tutorial_writes_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("orders.xml"), "<Company/>").unwrap();
    let mut settings = files(dir.path());
    for (name, value) in [
        ("auto-create-customers", "true"),
        ("auto-generate-account-reference", "True"),
        (
            "account-reference-convention",
            "CompanyOtherwiseForenameSurname",
        ),
        ("alphabetic-length", "3"),
        ("numeric-length", "3"),
        ("auto-allocate-stock", "true"),
        ("match-accounts-on", "Email"),
        ("vat-eu-enabled", "true"),
        ("vat-eu-sales", "4"),
    ] {
        settings.push((name.into(), value.into()));
    }
    let mut sage = fake_sage();
    assert!(run_pairs(settings, &mut sage).is_success());
    let asked = &sage.order_imports[0].1;
    assert!(asked.auto_create_customer && asked.auto_allocate_stock);
    let refs = &asked.account_references;
    assert!(refs.auto_generate);
    assert_eq!(
        refs.convention,
        AccountReferenceConvention::CompanyOtherwiseForenameSurname
    );
    assert_eq!((refs.alphabetic_length, refs.numeric_length), (3, 3));
    assert_eq!(asked.match_fields, [MatchField::Email]);
    assert!(asked.vat_settings.eu.enabled);
    assert_eq!(asked.vat_settings.eu.sales, 4);
}

#[test]
fn a_bad_setting_fails_without_asking_sage() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = files(dir.path());
    settings.push(("vat-row-sales".into(), "100".into()));
    let mut sage = fake_sage();
    let result = run_pairs(settings, &mut sage);
    assert_eq!(result.code, ResultCode::Fail);
    assert_eq!(
        result.message,
        "setting `vat-row-sales`: must be 0 to 99, got 100"
    );
    assert!(sage.order_imports.is_empty());
}

#[test]
fn describe_asks_for_sage_and_names_every_setting() {
    let info = wharf_guest::testing::describe::<ImportSalesOrders>();
    assert_eq!(info.capabilities, ["sage"]);
    let names: Vec<&str> = info.settings.iter().map(|s| s.name.as_str()).collect();
    for name in [
        "input-file",
        "success-file",
        "fail-file",
        "prevent-duplicates",
        "auto-allocate-stock",
        "auto-create-customers",
        "auto-create-products",
        "auto-generate-account-reference",
        "mask",
        "regular-expression",
        "vat-eu-vat-reg-carriage",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "setting names are unique");
}
