use std::path::Path;

use wharf_guest::ResultCode;
use wharf_guest::sage::fake::FakeSage;

use super::*;

/// Runs the task on raw settings, as the host passes them.
fn run_pairs(pairs: Vec<(String, String)>, sage: &mut impl SageBackend) -> TaskResult {
    match <ImportInvoicesSettings as wharf_guest::TaskSettings>::parse(&wharf_guest::Settings::new(
        pairs,
    )) {
        Ok(settings) => run(&settings, sage),
        Err(e) => e.into(),
    }
}

fn files(dir: &Path) -> Vec<(String, String)> {
    [
        ("input-file", "invoices.xml"),
        ("success-file", "success.xml"),
        ("fail-file", "fail.xml"),
    ]
    .into_iter()
    .map(|(name, file)| (name.to_owned(), dir.join(file).display().to_string()))
    .collect()
}

#[test]
fn settings_reach_sage_as_given_and_defaulted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("invoices.xml"), "<Company/>").unwrap();
    let mut settings = files(dir.path());
    settings.push(("default-account-reference".into(), " WEBSALES ".into()));
    settings.push(("use-manual-invoice-number".into(), "true".into()));
    settings.push(("vat-eu-enabled".into(), "true".into()));
    let mut sage = FakeSage::default();
    let result = run_pairs(settings, &mut sage);
    assert_eq!(result.code, ResultCode::SuccessNoData, "{}", result.message);
    let sent = &sage.invoice_imports[0].1;
    assert_eq!(sent.default_account_reference, "WEBSALES");
    assert!(sent.use_manual_invoice_number && sent.prevent_duplicates);
    assert_eq!(sent.default_bank_account, "1200");
    assert!(sent.vat_settings.eu.enabled && !sent.vat_settings.base.enabled);
    assert_eq!(sent.vat_settings.eu_vat_reg.sales, 4);
}

#[test]
fn a_missing_input_is_not_found_and_bad_settings_name_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let mut sage = FakeSage::default();
    assert_eq!(
        run_pairs(files(dir.path()), &mut sage).code,
        ResultCode::NotFound
    );
    let mut settings = files(dir.path());
    settings.push(("vat-row-sales".into(), "100".into()));
    let result = run_pairs(settings, &mut sage);
    assert_eq!(result.code, ResultCode::Fail);
    assert!(
        result.message.contains("vat-row-sales"),
        "{}",
        result.message
    );
    assert!(sage.invoice_imports.is_empty());
}

#[test]
fn describe_asks_for_sage_and_invoice_truth() {
    let info = wharf_guest::testing::describe::<ImportInvoices>();
    assert_eq!(info.name, "sage50-import-invoices");
    assert_eq!(info.capabilities, ["sage"]);
    assert!(
        info.settings
            .iter()
            .any(|s| s.name == "use-manual-invoice-number")
    );
}
