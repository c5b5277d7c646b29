use std::path::Path;

use sage50::sage::{
    ImportCounts, ImportOutcome, MatchField, SalesOrderImportSettings, StockExport,
    StockExportSettings,
};
use wharf_guest::ResultCode;

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

#[derive(Default)]
struct FakeSage {
    asked: Vec<CustomerImportSettings>,
}

impl SageBackend for FakeSage {
    fn import_customers(
        &mut self,
        _: &[u8],
        settings: &CustomerImportSettings,
    ) -> Result<ImportOutcome, String> {
        self.asked.push(settings.clone());
        Ok(ImportOutcome {
            success_document: sage50::EMPTY_DOCUMENT.into(),
            fail_document: sage50::EMPTY_DOCUMENT.into(),
            counts: ImportCounts {
                records_read: 0,
                imported: 0,
                failed: 0,
                customers_created: 0,
                customers_updated: 0,
                products_created: 0,
            },
            warnings: vec![],
            aborted: None,
        })
    }

    fn import_sales_orders(
        &mut self,
        _: &[u8],
        _: &SalesOrderImportSettings,
    ) -> Result<ImportOutcome, String> {
        Err("orders are not this task's business".into())
    }

    fn export_stock_records(&mut self, _: &StockExportSettings) -> Result<StockExport, String> {
        Err("not this task's business".into())
    }

    fn commit_stock_export(&mut self, _: u64) -> Result<(), String> {
        Err("not this task's business".into())
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
        sage.asked[0].match_fields,
        [MatchField::Postcode, MatchField::CompanyName]
    );
    assert!(sage.asked[0].create_multiple_delivery_addresses);
    assert!(dir.path().join("success.xml").exists() && dir.path().join("fail.xml").exists());
}

#[test]
fn a_missing_input_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let mut sage = FakeSage::default();
    let result = run_pairs(files(dir.path()), &mut sage);
    assert_eq!(result.code, ResultCode::NotFound);
    assert!(sage.asked.is_empty());
}

#[test]
fn describe_asks_for_sage() {
    let info = wharf_guest::testing::describe::<ImportCustomers>();
    assert_eq!(info.name, "sage50-import-customers");
    assert_eq!(info.capabilities, ["sage"]);
    assert!(info.settings.iter().any(|s| s.name == "numeric-length"));
}
