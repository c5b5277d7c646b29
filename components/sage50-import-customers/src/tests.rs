use std::path::Path;

use sage50::sage::MatchField;
use wharf_guest::ResultCode;
use wharf_guest::sage::fake::FakeSage;

use super::*;

/// Runs the task on raw settings, as the host passes them.
fn run_pairs(pairs: Vec<(String, String)>, sage: &mut impl SageBackend) -> TaskResult {
    match <ImportCustomersSettings as wharf_guest::TaskSettings>::parse(
        &wharf_guest::Settings::new(pairs),
    ) {
        Ok(settings) => run(&settings, sage),
        Err(e) => e.into(),
    }
}

fn files(dir: &Path) -> Vec<(String, String)> {
    [
        ("input-file", "customers.xml"),
        ("success-file", "success.xml"),
        ("fail-file", "fail.xml"),
    ]
    .into_iter()
    .map(|(name, file)| (name.to_owned(), dir.join(file).display().to_string()))
    .collect()
}

#[test]
fn an_empty_collection_is_success_no_data_with_both_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("customers.xml"), "<Company/>").unwrap();
    let mut settings = files(dir.path());
    settings.push(("match-accounts-on".into(), "Postcode, Company Name".into()));
    settings.push(("create-multiple-delivery-addresses".into(), "true".into()));
    let mut sage = FakeSage::default();
    let result = run_pairs(settings, &mut sage);
    assert_eq!(result.code, ResultCode::SuccessNoData, "{}", result.message);
    assert_eq!(
        sage.customer_imports[0].1.match_fields,
        [MatchField::Postcode, MatchField::CompanyName]
    );
    assert!(
        sage.customer_imports[0]
            .1
            .create_multiple_delivery_addresses
    );
    assert!(dir.path().join("success.xml").exists() && dir.path().join("fail.xml").exists());
}

#[test]
fn a_missing_input_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let mut sage = FakeSage::default();
    let result = run_pairs(files(dir.path()), &mut sage);
    assert_eq!(result.code, ResultCode::NotFound);
    assert!(sage.customer_imports.is_empty());
}

#[test]
fn describe_asks_for_sage() {
    let info = wharf_guest::testing::describe::<ImportCustomers>();
    assert_eq!(info.name, "sage50-import-customers");
    assert_eq!(info.capabilities, ["sage"]);
    assert!(info.settings.iter().any(|s| s.name == "numeric-length"));
}
