//! docs/zynk-reference.md §2.8 Import Customers and the docs/zynk-reference.md §5.2 resolution order.

mod common;

use common::{add_customer, customer_errors, customers, ledger, sample, tick};
use sage_ledger::procedures::{CustomerImportSettings, import_customers};
use sage_ledger::{
    AccountReferenceConvention, AccountReferenceSettings, MatchField, MemoryTruthStore, TruthStore,
    record_types,
};
use zynk_xml::Parsed;

fn generating() -> CustomerImportSettings {
    CustomerImportSettings {
        account_references: AccountReferenceSettings {
            auto_generate: true,
            convention: AccountReferenceConvention::CompanyOtherwiseFullname,
            alphabetic_length: 3,
            numeric_length: 3,
            mask: String::new(),
            regular_expression: String::new(),
        },
        ..CustomerImportSettings::default()
    }
}

fn customer_xml(id: &str, reference: &str, company: &str, extra: &str) -> String {
    let reference = if reference.is_empty() {
        String::new()
    } else {
        format!("<AccountReference>{reference}</AccountReference>")
    };
    format!(
        "<Customer><Id>{id}</Id>{reference}<CompanyName>{company}</CompanyName>\
         <CustomerInvoiceAddress><Forename>Pat</Forename><Surname>Lee</Surname><Address1>1 High St</Address1>\
         <Town>Leeds</Town><Postcode>LS1 1AA</Postcode><Country>GB</Country><Email>pat@example.com</Email>\
         <Mobile>07700 900000</Mobile></CustomerInvoiceAddress>{extra}</Customer>"
    )
}

#[test]
fn a_given_reference_creates_the_account_and_the_success_file_carries_it() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let input = sample("Customer with Sales Order and Card Payment [DOWNLOAD].xml");
    let report = import_customers(
        &mut ledger,
        &mut truth,
        &input,
        &CustomerImportSettings::default(),
    )
    .unwrap();
    assert_eq!(
        (
            report.counts.imported,
            report.counts.failed,
            report.counts.customers_created
        ),
        (1, 0, 1)
    );
    let customer = ledger
        .find_customer_by_ref("INTE001")
        .unwrap()
        .expect("created");
    assert_eq!(customer.name, "Internetware");
    assert_eq!(customer.contact_name, "Mr Test Person");
    assert_eq!(customer.street1, "i6 Building");
    assert_eq!(customer.postcode, "NE1 4XF");
    assert!(customer.terms_agreed);
    assert_eq!(customer.currency, "GBP");
    let delivery = ledger.delivery_addresses("INTE001").unwrap();
    assert_eq!(delivery.len(), 1);
    assert_eq!(delivery[0].telephone, "0845 123 2920");
    let record = report.success.customer_records().next().unwrap();
    assert_eq!(record.account_reference.as_deref(), Some("INTE001"));
    assert_eq!(record.unique_id.as_deref(), Some("INTE001"));
    let link = truth
        .find_by_external_id(record_types::CUSTOMER, "123")
        .unwrap()
        .unwrap();
    assert_eq!(link.internal_id, "INTE001");
    assert!(report.fail_xml().len() < 600, "empty fail file is small");
}

#[test]
fn an_existing_reference_updates_the_account() {
    let (mut ledger, clock) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Old Name");
    tick(&clock);
    let input = customers(&[customer_xml(
        "9",
        "abc001",
        "New Name Ltd",
        "<CreditLimit>2500</CreditLimit>",
    )]);
    let report = import_customers(
        &mut ledger,
        &mut truth,
        &input,
        &CustomerImportSettings::default(),
    )
    .unwrap();
    assert_eq!(
        (
            report.counts.customers_updated,
            report.counts.customers_created
        ),
        (1, 0)
    );
    let customer = ledger.find_customer_by_ref("ABC001").unwrap().unwrap();
    assert_eq!(customer.name, "New Name Ltd");
    assert_eq!(customer.credit_limit, 2500.0);
    assert_eq!(customer.email, "pat@example.com");
    assert_eq!(customer.telephone2, "07700 900000", "Mobile is Telephone 2");
    assert!(customer.modified > customer.created);
    assert_eq!(ledger.customers().unwrap().len(), 1);
}

#[test]
fn an_id_linked_by_truth_updates_the_same_account_on_reimport() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let first = customers(&[customer_xml("WEB-7", "", "Brightside Ltd", "")]);
    let report = import_customers(&mut ledger, &mut truth, &first, &generating()).unwrap();
    assert_eq!(
        report
            .success
            .customer_records()
            .next()
            .unwrap()
            .account_reference
            .as_deref(),
        Some("BRI001")
    );
    let second = customers(&[customer_xml("WEB-7", "", "Brightside Trading Ltd", "")]);
    let report = import_customers(&mut ledger, &mut truth, &second, &generating()).unwrap();
    assert_eq!(
        (
            report.counts.customers_created,
            report.counts.customers_updated
        ),
        (0, 1)
    );
    assert_eq!(ledger.customers().unwrap().len(), 1);
    assert_eq!(
        ledger.find_customer_by_ref("BRI001").unwrap().unwrap().name,
        "Brightside Trading Ltd"
    );
}

#[test]
fn records_without_id_always_get_a_new_account() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let input = customers(&[
        customer_xml("", "", "Acme", ""),
        customer_xml("", "", "Acme", ""),
    ]);
    let report = import_customers(&mut ledger, &mut truth, &input, &generating()).unwrap();
    let references: Vec<_> = report
        .success
        .customer_records()
        .map(|c| c.account_reference.clone().unwrap())
        .collect();
    assert_eq!(references, ["ACM001", "ACM002"]);
}

#[test]
fn match_accounts_on_updates_the_account_whose_fields_all_match() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let mut existing = ledger.customer_template("LEE001").unwrap();
    existing.name = "Someone".into();
    existing.email = "PAT@example.com".into();
    existing.postcode = "LS1 1AA".into();
    ledger
        .create_customer(&sage_ledger::NewCustomer {
            customer: existing,
            delivery_addresses: Vec::new(),
        })
        .unwrap();
    let settings = CustomerImportSettings {
        match_fields: vec![MatchField::Email, MatchField::Postcode],
        ..generating()
    };
    let input = customers(&[customer_xml("N1", "", "Lee Ventures", "")]);
    let report = import_customers(&mut ledger, &mut truth, &input, &settings).unwrap();
    assert_eq!(report.counts.customers_updated, 1);
    assert_eq!(
        report
            .success
            .customer_records()
            .next()
            .unwrap()
            .account_reference
            .as_deref(),
        Some("LEE001")
    );
    // A different postcode no longer matches: a new account is generated instead.
    let other =
        customers(&[customer_xml("N2", "", "Lee Ventures", "").replace("LS1 1AA", "LS2 2BB")]);
    let report = import_customers(&mut ledger, &mut truth, &other, &settings).unwrap();
    assert_eq!(report.counts.customers_created, 1);
    assert_eq!(
        report
            .success
            .customer_records()
            .next()
            .unwrap()
            .account_reference
            .as_deref(),
        Some("LEE002")
    );
}

#[test]
fn no_way_to_an_account_fails_with_a_reason() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let input = customers(&[customer_xml("55", "", "Nameless Ltd", "")]);
    let report = import_customers(
        &mut ledger,
        &mut truth,
        &input,
        &CustomerImportSettings::default(),
    )
    .unwrap();
    assert_eq!(report.counts.failed, 1);
    assert_eq!(
        customer_errors(&report.fail),
        [
            "The customer has no AccountReference, no earlier import linked its Id '55' to an account, and auto-generate account references is off; give it an AccountReference or turn auto-generation on"
        ]
    );
    assert!(report.success_xml().len() < 600);
}

#[test]
fn currency_is_set_on_creation_only_and_must_exist() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let input = customers(&[
        customer_xml("1", "EUR001", "Euro Co", "<Currency>EUR</Currency>"),
        customer_xml("2", "XXX001", "Odd Co", "<Currency>XYZ</Currency>"),
    ]);
    let report = import_customers(
        &mut ledger,
        &mut truth,
        &input,
        &CustomerImportSettings::default(),
    )
    .unwrap();
    assert_eq!(
        ledger
            .find_customer_by_ref("EUR001")
            .unwrap()
            .unwrap()
            .currency,
        "EUR"
    );
    assert_eq!(
        customer_errors(&report.fail),
        ["Currency 'XYZ' is not set up in Sage"]
    );
    let change = customers(&[customer_xml(
        "1",
        "EUR001",
        "Euro Co",
        "<Currency>USD</Currency>",
    )]);
    let report = import_customers(
        &mut ledger,
        &mut truth,
        &change,
        &CustomerImportSettings::default(),
    )
    .unwrap();
    assert_eq!(report.counts.imported, 1);
    assert_eq!(
        ledger
            .find_customer_by_ref("EUR001")
            .unwrap()
            .unwrap()
            .currency,
        "EUR"
    );
    assert_eq!(report.warnings.len(), 1);
    assert!(
        report.warnings[0].contains("the currency USD was ignored"),
        "{}",
        report.warnings[0]
    );
}

#[test]
fn invalid_tax_nominal_and_discount_table_fail_the_record() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let input = customers(&[
        customer_xml("1", "T001", "Tax Co", "<TaxCode>42</TaxCode>"),
        customer_xml("2", "N001", "Nominal Co", "<NominalCode>9876</NominalCode>"),
        customer_xml(
            "3",
            "D001",
            "Disc Co",
            "<DiscountType>DiscountTable</DiscountType><DiscountTable>Q</DiscountTable>",
        ),
        customer_xml("4", "TOOLONG01", "Long Co", ""),
    ]);
    let report = import_customers(
        &mut ledger,
        &mut truth,
        &input,
        &CustomerImportSettings::default(),
    )
    .unwrap();
    assert_eq!(
        customer_errors(&report.fail),
        [
            "Tax code T42 does not exist in Sage",
            "Nominal code '9876' does not exist in Sage",
            "Discount table 'Q' does not exist: use a letter from A to E",
            "Account reference 'TOOLONG01' cannot be used: Sage account references are at most 8 characters",
        ]
    );
    assert!(ledger.customers().unwrap().is_empty());
}

#[test]
fn a_new_account_needs_a_name() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let input = customers(&[
        "<Customer><Id>1</Id><AccountReference>NON001</AccountReference></Customer>".to_owned(),
    ]);
    let report = import_customers(
        &mut ledger,
        &mut truth,
        &input,
        &CustomerImportSettings::default(),
    )
    .unwrap();
    assert_eq!(
        customer_errors(&report.fail),
        ["The account needs a name (CompanyName, or a contact name to use instead)"]
    );
}

#[test]
fn create_only_leaves_an_existing_account_untouched() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "KEEP01", "Keep Me");
    let input = customers(&[customer_xml(
        "1",
        "KEEP01",
        "Changed",
        "<CreateOnly>true</CreateOnly>",
    )]);
    let report = import_customers(
        &mut ledger,
        &mut truth,
        &input,
        &CustomerImportSettings::default(),
    )
    .unwrap();
    assert_eq!(report.counts.imported, 1);
    assert_eq!(report.counts.customers_updated, 0);
    assert_eq!(
        ledger.find_customer_by_ref("KEEP01").unwrap().unwrap().name,
        "Keep Me"
    );
}

#[test]
fn delivery_addresses_are_added_or_replaced_by_the_setting() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let delivery = |town: &str| {
        format!(
            "<CustomerDeliveryAddress><Company>Depot</Company><Address1>1 Yard</Address1><Town>{town}</Town></CustomerDeliveryAddress>"
        )
    };
    let first = customers(&[customer_xml("1", "DEL001", "Deliveries", &delivery("York"))]);
    import_customers(
        &mut ledger,
        &mut truth,
        &first,
        &CustomerImportSettings::default(),
    )
    .unwrap();
    let replace = customers(&[customer_xml("1", "DEL001", "Deliveries", &delivery("Hull"))]);
    import_customers(
        &mut ledger,
        &mut truth,
        &replace,
        &CustomerImportSettings::default(),
    )
    .unwrap();
    let addresses = ledger.delivery_addresses("DEL001").unwrap();
    assert_eq!(addresses.len(), 1);
    assert_eq!(addresses[0].line3, "Hull");
    let multiple = CustomerImportSettings {
        create_multiple_delivery_addresses: true,
        ..CustomerImportSettings::default()
    };
    let add = customers(&[customer_xml(
        "1",
        "DEL001",
        "Deliveries",
        &delivery("Ripon"),
    )]);
    import_customers(&mut ledger, &mut truth, &add, &multiple).unwrap();
    import_customers(&mut ledger, &mut truth, &add, &multiple).unwrap();
    let towns: Vec<_> = ledger
        .delivery_addresses("DEL001")
        .unwrap()
        .into_iter()
        .map(|a| a.line3)
        .collect();
    assert_eq!(
        towns,
        ["Hull", "Ripon"],
        "a known address is not added twice"
    );
}

#[test]
fn customer_export_sample_imports_all_but_the_malformed_record() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let input = sample("Stationary & Computer Mart - Customer Export.xml");
    let report = import_customers(
        &mut ledger,
        &mut truth,
        &input,
        &CustomerImportSettings::default(),
    )
    .unwrap();
    assert_eq!(
        (
            report.counts.read,
            report.counts.imported,
            report.counts.failed
        ),
        (30, 29, 1)
    );
    assert_eq!(ledger.customers().unwrap().len(), 29);
    let errors = customer_errors(&report.fail);
    assert!(
        errors[0]
            .starts_with("Customer 28 (AccountReference 'SWA001') cannot be read: Memo contains"),
        "{}",
        errors[0]
    );
    let Some(Parsed::Malformed(failed)) = report.fail.customers.as_ref().and_then(|c| c.first())
    else {
        panic!("malformed record in the fail file")
    };
    assert_eq!(failed.errors[0].name.as_deref(), Some("Customer Import"));
    assert!(report.fail_xml().contains("<Errors>\n        <Error>"));
    let a1 = ledger.find_customer_by_ref("A1D001").unwrap().unwrap();
    assert_eq!(a1.credit_limit, 1000.0);
    assert_eq!(a1.price_list_ref, "TRADEA");
    assert_eq!(a1.settlement_discount, 2.5);
}

#[test]
fn customer_samples_with_and_without_references_import() {
    for name in [
        "Customer with Invoice.xml",
        "Customer with Invoice and Payment.xml",
        "Customer with Receipt Transactions.xml",
        "Credit note with Sales Payment.xml",
        "PriceLists for Customers and Products Sample.xml",
        "ACT - Import Customer and Opportunity with Custom Fields.xml",
    ] {
        let (mut ledger, _) = ledger();
        let mut truth = MemoryTruthStore::new();
        let input = sample(name);
        let report = import_customers(&mut ledger, &mut truth, &input, &generating()).unwrap();
        assert_eq!(
            report.counts.failed,
            0,
            "{name}: {:?}",
            customer_errors(&report.fail)
        );
        assert_eq!(report.counts.imported, report.counts.read, "{name}");
        for record in report.success.customer_records() {
            assert!(record.account_reference.is_some(), "{name}");
        }
    }
}
