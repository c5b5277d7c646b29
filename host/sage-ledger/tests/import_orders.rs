//! docs/zynk-reference.md §2.7 Import Sales Orders: account resolution (docs/zynk-reference.md §5.2), duplicates (docs/zynk-reference.md §5.4), numbering (docs/zynk-reference.md §5.5),
//! line and footer defaults (docs/zynk-reference.md §5.6), payments (docs/zynk-reference.md §5.8), currency and VAT (docs/zynk-reference.md §5.9), atomicity (docs/zynk-reference.md §6.29).

mod common;

use common::{add_customer, add_product, ledger, order, order_errors, orders};
use sage_ledger::procedures::{
    CustomerImportSettings, SalesOrderImportSettings, import_customers, import_sales_orders,
};
use sage_ledger::{
    AccountReferenceConvention, AccountReferenceSettings, Currency, Ledger, LineKind, MatchField,
    MemoryTruthStore, OrderLine, TruthRecord, TruthStore, TruthStoreError, record_types,
};
use zynk_xml::Company;

fn settings() -> SalesOrderImportSettings {
    SalesOrderImportSettings::default()
}

fn generating() -> AccountReferenceSettings {
    AccountReferenceSettings {
        auto_generate: true,
        convention: AccountReferenceConvention::CompanyOtherwiseFullname,
        alphabetic_length: 3,
        numeric_length: 3,
        mask: String::new(),
        regular_expression: String::new(),
    }
}

fn import(
    ledger: &mut Ledger,
    truth: &mut MemoryTruthStore,
    input: &Company,
    settings: &SalesOrderImportSettings,
) -> sage_ledger::procedures::ImportReport {
    import_sales_orders(ledger, truth, input, settings).expect("import runs")
}

fn only_line(ledger: &Ledger, number: u32) -> OrderLine {
    ledger
        .find_sales_order(number)
        .unwrap()
        .unwrap()
        .lines
        .remove(0)
}

fn with_address(id: &str, extra: &str, company: &str, lines: &[(&str, f64, f64)]) -> String {
    order(id, "", lines).replace(
        "<SalesOrderItems>",
        &format!(
            "{extra}<SalesOrderAddress><Forename>Sam</Forename><Surname>Jones</Surname><Company>{company}</Company>\
             <Address1>2 Mill Lane</Address1><Town>York</Town><Postcode>YO1 7HH</Postcode><Country>GB</Country>\
             <Email>sam@example.com</Email></SalesOrderAddress><SalesOrderItems>"
        ),
    )
}

// ---- docs/zynk-reference.md §5.2 account resolution -------------------------------------------------------------

#[test]
fn a_missing_account_fails_when_auto_create_is_off() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let report = import(
        &mut ledger,
        &mut truth,
        &orders(&[order("1", "ABC001", &[("P1", 1.0, 5.0)])]),
        &settings(),
    );
    assert_eq!(
        order_errors(&report.fail),
        ["Customer account 'ABC001' does not exist and auto-create customers is off"]
    );
    assert_eq!(ledger.sales_order_count().unwrap(), 0);
    assert!(
        truth.records().is_empty(),
        "no truth row for a failed order"
    );
}

#[test]
fn a_missing_account_is_created_under_its_reference_when_auto_create_is_on() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let input = orders(&[with_address(
        "1",
        "<AccountReference>NEW001</AccountReference>",
        "",
        &[("P1", 1.0, 5.0)],
    )]);
    let settings = SalesOrderImportSettings {
        auto_create_customer: true,
        ..settings()
    };
    let report = import(&mut ledger, &mut truth, &input, &settings);
    assert_eq!(report.counts.customers_created, 1);
    let customer = ledger.find_customer_by_ref("NEW001").unwrap().unwrap();
    assert_eq!(
        customer.name, "Sam Jones",
        "order Company empty: the full name"
    );
    assert_eq!(customer.town, "York");
}

#[test]
fn auto_create_never_overwrites_an_existing_account() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "OLD001", "Original Name");
    let input = orders(&[with_address(
        "1",
        "<AccountReference>OLD001</AccountReference>",
        "Other Name",
        &[("P1", 1.0, 5.0)],
    )]);
    let settings = SalesOrderImportSettings {
        auto_create_customer: true,
        ..settings()
    };
    let report = import(&mut ledger, &mut truth, &input, &settings);
    assert_eq!(
        (report.counts.imported, report.counts.customers_created),
        (1, 0)
    );
    assert_eq!(
        ledger.find_customer_by_ref("OLD001").unwrap().unwrap().name,
        "Original Name"
    );
}

#[test]
fn customer_id_resolves_through_truth_like_tutorial_five() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let customers = common::customers(&[
        "<Customer><Id>C-9</Id><CompanyName>Harbour Supplies</CompanyName></Customer>".to_owned(),
    ]);
    let customer_settings = CustomerImportSettings {
        account_references: generating(),
        ..CustomerImportSettings::default()
    };
    import_customers(&mut ledger, &mut truth, &customers, &customer_settings).unwrap();
    let input = orders(&[order("O-1", "", &[("P1", 1.0, 5.0)])
        .replace("<Id>O-1</Id>", "<Id>O-1</Id><CustomerId>C-9</CustomerId>")]);
    let report = import(&mut ledger, &mut truth, &input, &settings());
    assert_eq!(
        report.counts.imported,
        1,
        "{:?}",
        order_errors(&report.fail)
    );
    assert_eq!(
        report
            .success
            .sales_order_records()
            .next()
            .unwrap()
            .account_reference
            .as_deref(),
        Some("HAR001")
    );
}

#[test]
fn account_reference_wins_over_customer_id() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "AAA001", "First");
    add_customer(&mut ledger, "BBB001", "Second");
    truth
        .upsert(&TruthRecord {
            record_type: record_types::CUSTOMER.into(),
            internal_id: "BBB001".into(),
            external_id: Some("C1".into()),
            hash: None,
        })
        .unwrap();
    let input = orders(&[order("1", "AAA001", &[("P1", 1.0, 5.0)])
        .replace("<Id>1</Id>", "<Id>1</Id><CustomerId>C1</CustomerId>")]);
    let report = import(&mut ledger, &mut truth, &input, &settings());
    assert_eq!(
        report
            .success
            .sales_order_records()
            .next()
            .unwrap()
            .account_reference
            .as_deref(),
        Some("AAA001")
    );
    // The link now points at the account the order went to.
    assert_eq!(
        truth
            .find_by_external_id(record_types::CUSTOMER, "C1")
            .unwrap()
            .unwrap()
            .internal_id,
        "AAA001"
    );
}

#[test]
fn match_accounts_on_finds_the_account() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let mut customer = ledger.customer_template("JON001").unwrap();
    customer.name = "Jones Ltd".into();
    customer.email = "sam@example.com".into();
    ledger
        .create_customer(&sage_ledger::NewCustomer {
            customer,
            delivery_addresses: Vec::new(),
        })
        .unwrap();
    let settings = SalesOrderImportSettings {
        match_fields: vec![MatchField::Email],
        ..settings()
    };
    let report = import(
        &mut ledger,
        &mut truth,
        &orders(&[with_address("1", "", "", &[("P1", 1.0, 5.0)])]),
        &settings,
    );
    assert_eq!(
        report
            .success
            .sales_order_records()
            .next()
            .unwrap()
            .account_reference
            .as_deref(),
        Some("JON001")
    );
}

#[test]
fn auto_create_generates_a_reference_and_links_the_customer_id() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let settings = SalesOrderImportSettings {
        auto_create_customer: true,
        account_references: generating(),
        ..settings()
    };
    let first = with_address(
        "1",
        "<CustomerId>W5</CustomerId>",
        "Kestrel Farms",
        &[("P1", 1.0, 5.0)],
    );
    let second = with_address(
        "2",
        "<CustomerId>W5</CustomerId>",
        "Kestrel Farms",
        &[("P1", 1.0, 5.0)],
    );
    let report = import(
        &mut ledger,
        &mut truth,
        &orders(&[first, second]),
        &settings,
    );
    assert_eq!(
        report.counts.customers_created, 1,
        "the second order finds the account through truth"
    );
    let references: Vec<_> = report
        .success
        .sales_order_records()
        .map(|o| o.account_reference.clone().unwrap())
        .collect();
    assert_eq!(references, ["KES001", "KES001"]);
    assert_eq!(
        truth
            .find_by_external_id(record_types::CUSTOMER, "W5")
            .unwrap()
            .unwrap()
            .internal_id,
        "KES001"
    );
}

#[test]
fn auto_create_without_generation_and_without_reference_fails() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let settings = SalesOrderImportSettings {
        auto_create_customer: true,
        ..settings()
    };
    let report = import(
        &mut ledger,
        &mut truth,
        &orders(&[with_address("1", "", "Kestrel", &[("P1", 1.0, 5.0)])]),
        &settings,
    );
    assert_eq!(
        order_errors(&report.fail),
        [
            "The order has no AccountReference and it has no CustomerId; auto-create customers is on but auto-generate account references is off, so no account reference could be determined"
        ]
    );
    assert!(ledger.customers().unwrap().is_empty());
}

// ---- docs/zynk-reference.md §5.4 prevent duplicates --------------------------------------------------------------

#[test]
fn a_duplicate_order_is_rejected_on_the_second_run() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    let input = orders(&[order("WEB-1", "ABC001", &[("P1", 1.0, 5.0)])]);
    let first = import(&mut ledger, &mut truth, &input, &settings());
    assert_eq!(first.counts.imported, 1);
    let row = truth
        .find_by_external_id(record_types::SALES_ORDER, "WEB-1")
        .unwrap()
        .unwrap();
    assert_eq!(row.internal_id, "0000000001");
    let second = import(&mut ledger, &mut truth, &input, &settings());
    assert_eq!((second.counts.imported, second.counts.failed), (0, 1));
    assert_eq!(
        order_errors(&second.fail),
        [
            "Order 'WEB-1' has already been imported as sales order 1, so it was not imported again; delete its truth record to import it again"
        ]
    );
    assert_eq!(ledger.sales_order_count().unwrap(), 1);
    // Deleting the truth row re-enables the import.
    assert!(truth.delete_by_external_id(record_types::SALES_ORDER, "WEB-1"));
    assert_eq!(
        import(&mut ledger, &mut truth, &input, &settings())
            .counts
            .imported,
        1
    );
}

#[test]
fn the_second_record_with_the_same_id_in_one_file_is_rejected() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    let input = orders(&[
        order("7", "ABC001", &[("P1", 1.0, 5.0)]),
        order("7", "ABC001", &[("P1", 2.0, 5.0)]),
    ]);
    let report = import(&mut ledger, &mut truth, &input, &settings());
    assert_eq!((report.counts.imported, report.counts.failed), (1, 1));
    assert_eq!(ledger.sales_order_count().unwrap(), 1);
}

#[test]
fn same_input_imported_twice_leaves_every_order_once() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    let input = orders(
        &(1..=5)
            .map(|n| order(&format!("N{n}"), "ABC001", &[("P1", 1.0, 5.0)]))
            .collect::<Vec<_>>(),
    );
    let first = import(&mut ledger, &mut truth, &input, &settings());
    let second = import(&mut ledger, &mut truth, &input, &settings());
    assert_eq!(
        (
            first.counts.imported,
            second.counts.imported,
            second.counts.failed
        ),
        (5, 0, 5)
    );
    assert_eq!(
        ledger.sales_order_numbers("ABC001").unwrap(),
        [1, 2, 3, 4, 5]
    );
    assert!(
        second.success_xml().len() < 600,
        "nothing new: the If File Exists check stays false"
    );
    assert!(first.success_xml().len() > 600);
}

#[test]
fn without_prevent_duplicates_or_without_id_orders_import_again() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    let off = SalesOrderImportSettings {
        prevent_duplicates: false,
        ..settings()
    };
    let input = orders(&[order("1", "ABC001", &[("P1", 1.0, 5.0)])]);
    import(&mut ledger, &mut truth, &input, &off);
    import(&mut ledger, &mut truth, &input, &off);
    let no_id = orders(&[order("", "ABC001", &[("P1", 1.0, 5.0)]).replace("<Id></Id>", "")]);
    import(&mut ledger, &mut truth, &no_id, &settings());
    import(&mut ledger, &mut truth, &no_id, &settings());
    assert_eq!(ledger.sales_order_count().unwrap(), 4);
}

// ---- docs/zynk-reference.md §5.5 order numbers -------------------------------------------------------------------

#[test]
fn order_numbers_are_sequential_and_the_xml_number_is_ignored() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    ledger.set_next_sales_order_number(90130).unwrap();
    let web = order("1", "ABC001", &[("P1", 1.0, 5.0)])
        .replace("<Id>1</Id>", "<Id>1</Id><SalesOrderNumber>100000000123</SalesOrderNumber><CustomerOrderNumber>100000000123</CustomerOrderNumber>");
    let report = import(
        &mut ledger,
        &mut truth,
        &orders(&[web, order("2", "ABC001", &[("P1", 1.0, 5.0)])]),
        &settings(),
    );
    let numbers: Vec<_> = report
        .success
        .sales_order_records()
        .map(|o| o.sales_order_number.clone().unwrap())
        .collect();
    assert_eq!(numbers, ["90130", "90131"]);
    let first = report.success.sales_order_records().next().unwrap();
    assert_eq!(first.unique_id.as_deref(), Some("90130"));
    assert_eq!(
        first.customer_order_number.as_deref(),
        Some("100000000123"),
        "kept for the mappers"
    );
    assert_eq!(first.id.as_deref(), Some("1"));
}

#[test]
fn manual_order_numbers_are_used_once_and_must_be_seven_digits() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    let manual = SalesOrderImportSettings {
        use_manual_sales_order_number: true,
        ..settings()
    };
    let numbered = |id: &str, number: &str| {
        order(id, "ABC001", &[("P1", 1.0, 5.0)]).replace(
            &format!("<Id>{id}</Id>"),
            &format!("<Id>{id}</Id><SalesOrderNumber>{number}</SalesOrderNumber>"),
        )
    };
    let input = orders(&[
        numbered("1", "500"),
        numbered("2", "500"),
        numbered("3", "12345678"),
        numbered("4", "A12"),
        order("5", "ABC001", &[("P1", 1.0, 5.0)]),
    ]);
    let report = import(&mut ledger, &mut truth, &input, &manual);
    assert_eq!(
        order_errors(&report.fail),
        [
            "Sales order number 500 is already used in Sage",
            "Sales order number '12345678' cannot be used: Sage order numbers are 1 to 7 digits",
            "Sales order number 'A12' cannot be used: Sage order numbers are 1 to 7 digits",
            "Use manual sales order number is on but the order has no SalesOrderNumber",
        ]
    );
    let automatic = import(
        &mut ledger,
        &mut truth,
        &orders(&[order("6", "ABC001", &[("P1", 1.0, 5.0)])]),
        &settings(),
    );
    assert_eq!(
        automatic
            .success
            .sales_order_records()
            .next()
            .unwrap()
            .sales_order_number
            .as_deref(),
        Some("501"),
        "automatic numbering continues after the highest manual number"
    );
}

// ---- docs/zynk-reference.md §6.29 atomicity ----------------------------------------------------------------------

#[test]
fn an_order_with_one_bad_line_is_rejected_whole_with_everything_it_created() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let settings = SalesOrderImportSettings {
        auto_create_customer: true,
        account_references: generating(),
        ..settings()
    };
    let bad = with_address("1", "", "Granite Works", &[("NEWSKU", 1.0, 5.0), ("OTHER", 1.0, 5.0)])
        .replace("<UnitPrice>5</UnitPrice></Item><Item><Sku>OTHER</Sku><QtyOrdered>1</QtyOrdered><UnitPrice>5</UnitPrice>",
                 "<UnitPrice>5</UnitPrice></Item><Item><Sku>OTHER</Sku><QtyOrdered>1</QtyOrdered><UnitPrice>5</UnitPrice><TaxCode>42</TaxCode>");
    let report = import(&mut ledger, &mut truth, &orders(&[bad]), &settings);
    assert_eq!(
        order_errors(&report.fail),
        ["Line 2: Tax code T42 does not exist in Sage"]
    );
    assert_eq!(ledger.sales_order_count().unwrap(), 0);
    assert!(
        ledger.customers().unwrap().is_empty(),
        "the auto-created customer is rolled back"
    );
    assert!(
        ledger.products().unwrap().is_empty(),
        "the auto-created product is rolled back"
    );
    assert!(truth.records().is_empty());
    // The next order takes the number the failed one would have had.
    let good = with_address("2", "", "Granite Works", &[("NEWSKU", 1.0, 5.0)]);
    let report = import(&mut ledger, &mut truth, &orders(&[good]), &settings);
    assert_eq!(
        report
            .success
            .sales_order_records()
            .next()
            .unwrap()
            .sales_order_number
            .as_deref(),
        Some("1")
    );
}

#[test]
fn unknown_products_fail_when_auto_create_products_is_off() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    let settings = SalesOrderImportSettings {
        auto_create_products: false,
        ..settings()
    };
    let report = import(
        &mut ledger,
        &mut truth,
        &orders(&[order("1", "ABC001", &[("NOPE", 1.0, 5.0)])]),
        &settings,
    );
    assert_eq!(
        order_errors(&report.fail),
        ["Line 1: Product 'NOPE' does not exist in Sage"]
    );
}

#[test]
fn orders_without_lines_and_lines_without_quantity_fail() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    let no_lines = order("1", "ABC001", &[]);
    let no_quantity =
        order("2", "ABC001", &[("P1", 1.0, 5.0)]).replace("<QtyOrdered>1</QtyOrdered>", "");
    let zero = order("3", "ABC001", &[("P1", 0.0, 5.0)]);
    let report = import(
        &mut ledger,
        &mut truth,
        &orders(&[no_lines, no_quantity, zero]),
        &settings(),
    );
    assert_eq!(
        order_errors(&report.fail),
        [
            "The order has no lines, and Sage does not accept an empty sales order",
            "Line 1: The quantity ordered is missing",
            "Line 1: The quantity 0 is not valid: a sales order line needs a quantity above zero",
        ]
    );
}

// ---- docs/zynk-reference.md §5.6 line and footer defaults --------------------------------------------------------

#[test]
fn lines_take_name_price_tax_and_nominal_from_the_product() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    let mut product = ledger.product_template("BOOK").unwrap();
    product.description = "A4 Ledger Book".into();
    product.sales_price = 7.99;
    product.tax_code = 0;
    product.nominal_code = "4001".into();
    ledger.create_product(&product).unwrap();
    let line = "<SalesOrder><Id>1</Id><AccountReference>ABC001</AccountReference><SalesOrderItems>\
                <Item><Sku> BOOK </Sku><QtyOrdered>2</QtyOrdered></Item></SalesOrderItems></SalesOrder>";
    import(
        &mut ledger,
        &mut truth,
        &orders(&[line.to_owned()]),
        &settings(),
    );
    let line = only_line(&ledger, 1);
    assert_eq!(
        line.stock_code, "BOOK",
        "spaces around the Sku are tolerated"
    );
    assert_eq!(line.description, "A4 Ledger Book");
    assert_eq!(
        (line.unit_price, line.net, line.tax, line.tax_code),
        (7.99, 15.98, 0.0, 0)
    );
    assert_eq!(line.nominal_code, "4001");
}

#[test]
fn the_line_tax_code_beats_the_customer_default_which_beats_the_product() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let mut customer = ledger.customer_template("EXP001").unwrap();
    customer.name = "Exporter".into();
    customer.default_tax_code = 0;
    customer.use_default_tax_code = true;
    customer.default_nominal_code = "4100".into();
    customer.use_default_nominal_code = true;
    ledger
        .create_customer(&sage_ledger::NewCustomer {
            customer,
            delivery_addresses: Vec::new(),
        })
        .unwrap();
    add_product(&mut ledger, "P1", 10.0, 0.0);
    let explicit = order("1", "EXP001", &[("P1", 1.0, 10.0)]).replace(
        "<UnitPrice>10</UnitPrice>",
        "<UnitPrice>10</UnitPrice><TaxCode>5</TaxCode><NominalCode>4002</NominalCode>",
    );
    let defaulted = order("2", "EXP001", &[("P1", 1.0, 10.0)]);
    import(
        &mut ledger,
        &mut truth,
        &orders(&[explicit, defaulted]),
        &settings(),
    );
    let first = only_line(&ledger, 1);
    assert_eq!(
        (first.tax_code, first.tax, first.nominal_code.as_str()),
        (5, 0.5, "4002")
    );
    let second = only_line(&ledger, 2);
    assert_eq!(
        (second.tax_code, second.tax, second.nominal_code.as_str()),
        (0, 0.0, "4100")
    );
}

#[test]
fn missing_sku_uses_the_default_product_code_as_a_special_line() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    let line = "<SalesOrder><Id>1</Id><AccountReference>ABC001</AccountReference><SalesOrderItems>\
                <Item><Name>Gift wrap</Name><QtyOrdered>1</QtyOrdered><UnitPrice>2.5</UnitPrice></Item>\
                <Item><Sku>M</Sku><Name>Leave at the back door</Name></Item></SalesOrderItems></SalesOrder>";
    import(
        &mut ledger,
        &mut truth,
        &orders(&[line.to_owned()]),
        &settings(),
    );
    let order = ledger.find_sales_order(1).unwrap().unwrap();
    assert_eq!(
        (order.lines[0].stock_code.as_str(), order.lines[0].kind),
        ("S1", LineKind::NonStock)
    );
    assert_eq!((order.lines[0].net, order.lines[0].tax), (2.5, 0.5));
    assert_eq!(
        (order.lines[1].kind, order.lines[1].net),
        (LineKind::Message, 0.0)
    );
    assert!(
        ledger.products().unwrap().is_empty(),
        "special lines need no stock record"
    );
    let none = SalesOrderImportSettings {
        default_product_code: String::new(),
        ..settings()
    };
    let report = import(
        &mut ledger,
        &mut truth,
        &orders(&[line.replace("<Id>1</Id>", "<Id>2</Id>")]),
        &none,
    );
    assert_eq!(
        order_errors(&report.fail),
        ["Line 1: The line has no product code (Sku) and no default product code is set"]
    );
}

#[test]
fn auto_created_products_take_the_line_name_and_price() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    let line = order("1", "ABC001", &[("WEB-RED-L", 2.0, 12.5)]).replace(
        "<Sku>WEB-RED-L</Sku>",
        "<Sku>WEB-RED-L</Sku><Name>Red shirt L</Name>",
    );
    let report = import(&mut ledger, &mut truth, &orders(&[line]), &settings());
    assert_eq!(report.counts.products_created, 1);
    let product = ledger.find_product("WEB-RED-L").unwrap().unwrap();
    assert_eq!(
        (product.description.as_str(), product.sales_price),
        ("Red shirt L", 12.5)
    );
    assert_eq!(product.qty_in_stock, 0.0);
    let too_long = order("2", "ABC001", &[(&"X".repeat(31), 1.0, 1.0)]);
    let report = import(&mut ledger, &mut truth, &orders(&[too_long]), &settings());
    assert!(order_errors(&report.fail)[0].contains("Sage product codes are at most 30 characters"));
}

#[test]
fn carriage_defaults_to_quantity_one_t1_and_the_carriage_nominal() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    let with_carriage = order("1", "ABC001", &[("P1", 1.0, 10.0)]).replace(
        "</SalesOrderItems>",
        "</SalesOrderItems><Carriage><UnitPrice>4.24</UnitPrice></Carriage>",
    );
    let report = import(
        &mut ledger,
        &mut truth,
        &orders(&[with_carriage]),
        &settings(),
    );
    let order = ledger.find_sales_order(1).unwrap().unwrap();
    let carriage = order.carriage.unwrap();
    assert_eq!(
        (
            carriage.quantity,
            carriage.net,
            carriage.tax,
            carriage.tax_code
        ),
        (1.0, 4.24, 0.85, 1)
    );
    assert_eq!(carriage.nominal_code, "4905");
    assert_eq!(
        (order.total_net, order.total_tax, order.total_gross),
        (14.24, 2.85, 17.09)
    );
    let record = report.success.sales_order_records().next().unwrap();
    assert_eq!(record.carriage.as_ref().unwrap().total_net, Some(4.24));
}

#[test]
fn invalid_nominal_department_and_global_codes_fail_the_order() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    let base = || order("X", "ABC001", &[("P1", 1.0, 10.0)]);
    let input = orders(&[
        base().replace("<Id>X</Id>", "<Id>1</Id>").replace(
            "<UnitPrice>10</UnitPrice>",
            "<UnitPrice>10</UnitPrice><NominalCode>0000</NominalCode>",
        ),
        base().replace("<Id>X</Id>", "<Id>2</Id>").replace(
            "<UnitPrice>10</UnitPrice>",
            "<UnitPrice>10</UnitPrice><Department>1000</Department>",
        ),
        base().replace(
            "<Id>X</Id>",
            "<Id>3</Id><GlobalNominalCode>7777</GlobalNominalCode>",
        ),
        base().replace(
            "<Id>X</Id>",
            "<Id>4</Id><Carriage><UnitPrice>3</UnitPrice><TaxCode>99</TaxCode></Carriage>",
        ),
    ]);
    let report = import(&mut ledger, &mut truth, &input, &settings());
    assert_eq!(
        order_errors(&report.fail),
        [
            "Line 1: Nominal code '0000' does not exist in Sage",
            "Line 1: Department 1000 does not exist in Sage (departments are numbered 0 to 999)",
            "Nominal code '7777' does not exist in Sage",
            "Carriage: Tax code T99 does not exist in Sage",
        ]
    );
}

#[test]
fn vat_inclusive_prices_are_netted_down() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    let inclusive = SalesOrderImportSettings {
        prices_include_tax: true,
        ..settings()
    };
    import(
        &mut ledger,
        &mut truth,
        &orders(&[order("1", "ABC001", &[("P1", 3.0, 9.99)])]),
        &inclusive,
    );
    let line = only_line(&ledger, 1);
    assert_eq!((line.net, line.tax), (24.98, 4.99));
    let flagged = order("2", "ABC001", &[("P1", 1.0, 12.0)])
        .replace("<Id>2</Id>", "<Id>2</Id><VatInclusive>true</VatInclusive>");
    import(&mut ledger, &mut truth, &orders(&[flagged]), &settings());
    assert_eq!(
        (only_line(&ledger, 2).net, only_line(&ledger, 2).tax),
        (10.0, 2.0)
    );
}

#[test]
fn discounts_and_net_value_discount_reduce_the_totals() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    let discounted = order("1", "ABC001", &[("P1", 2.0, 50.0)])
        .replace(
            "<UnitPrice>50</UnitPrice>",
            "<UnitPrice>50</UnitPrice><UnitDiscountPercentage>10</UnitDiscountPercentage>",
        )
        .replace(
            "</SalesOrderItems>",
            "</SalesOrderItems><NetValueDiscount>10</NetValueDiscount>",
        );
    import(&mut ledger, &mut truth, &orders(&[discounted]), &settings());
    let order = ledger.find_sales_order(1).unwrap().unwrap();
    assert_eq!((order.items_net, order.items_tax), (90.0, 18.0));
    assert_eq!(
        (order.net_value_discount, order.net_value_discount_tax),
        (10.0, 2.0)
    );
    assert_eq!(
        (order.total_net, order.total_tax, order.total_gross),
        (80.0, 16.0, 96.0)
    );
    let too_much = order_xml_with_nvd("2", 500.0);
    let report = import(&mut ledger, &mut truth, &orders(&[too_much]), &settings());
    assert_eq!(
        order_errors(&report.fail),
        ["The net value discount of 500.00 is larger than the goods total of 10.00"]
    );
}

fn order_xml_with_nvd(id: &str, discount: f64) -> String {
    order(id, "ABC001", &[("P1", 1.0, 10.0)]).replace(
        "</SalesOrderItems>",
        &format!("</SalesOrderItems><NetValueDiscount>{discount}</NetValueDiscount>"),
    )
}

// ---- docs/zynk-reference.md §5.8 payments ------------------------------------------------------------------------

#[test]
fn a_payment_is_a_sales_receipt_on_account_into_the_bank() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    let paid = |id: &str, extra: &str| {
        order(id, "ABC001", &[("P1", 1.0, 200.0)])
            .replace("</SalesOrderItems>", &format!("</SalesOrderItems>{extra}"))
    };
    let input = orders(&[
        paid(
            "1",
            "<PaymentRef>VISA</PaymentRef><PaymentAmount>240.004</PaymentAmount><PaymentType>PaymentAlreadyReceived</PaymentType>",
        ),
        paid(
            "2",
            "<PaymentAmount>10</PaymentAmount><BankAccount>1210</BankAccount><PaymentType>SalesReceipt</PaymentType>",
        ),
        paid(
            "3",
            "<PaymentAmount>0</PaymentAmount><PaymentType>SalesReceipt</PaymentType>",
        ),
        paid("4", "<PaymentAmount>50</PaymentAmount>"),
        paid(
            "5",
            "<PaymentAmount>10</PaymentAmount><BankAccount>4000</BankAccount><PaymentType>SalesReceipt</PaymentType>",
        ),
    ]);
    let report = import(&mut ledger, &mut truth, &input, &settings());
    assert_eq!(
        order_errors(&report.fail),
        [
            "Nominal code '4000' is not a bank account in Sage, so the payment cannot be recorded against it"
        ]
    );
    let receipts = ledger.audit_transactions("ABC001").unwrap();
    assert_eq!(
        receipts.len(),
        2,
        "no receipt for amount 0 or without a payment type"
    );
    assert_eq!(
        (
            receipts[0].kind.as_str(),
            receipts[0].gross,
            receipts[0].nominal_code.as_str()
        ),
        ("SA", 240.0, "1200")
    );
    assert_eq!(receipts[0].reference, "VISA");
    assert_eq!(receipts[0].order_number, Some(1));
    assert_eq!(receipts[1].nominal_code, "1210");
    assert_eq!(
        ledger
            .find_customer_by_ref("ABC001")
            .unwrap()
            .unwrap()
            .balance,
        -250.0
    );
    let payment = ledger
        .find_sales_order(1)
        .unwrap()
        .unwrap()
        .payment
        .unwrap();
    assert_eq!(payment.transaction_number, receipts[0].tran_number);
    assert_eq!(
        ledger.sales_order_count().unwrap(),
        4,
        "the order with a bad bank was not posted"
    );
}

// ---- docs/zynk-reference.md §5.9 currency and VAT ----------------------------------------------------------------

#[test]
fn a_different_order_currency_fails_unless_converted() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    let euro = |id: &str| {
        order(id, "ABC001", &[("P1", 1.0, 117.0)]).replace(
            &format!("<Id>{id}</Id>"),
            &format!("<Id>{id}</Id><Currency>EUR</Currency>"),
        )
    };
    let report = import(&mut ledger, &mut truth, &orders(&[euro("1")]), &settings());
    assert_eq!(
        order_errors(&report.fail),
        [
            "The order is in EUR but account 'ABC001' trades in GBP, and convert to account currency is off"
        ]
    );
    let convert = SalesOrderImportSettings {
        convert_to_account_currency: true,
        ..settings()
    };
    import(&mut ledger, &mut truth, &orders(&[euro("2")]), &convert);
    let posted = ledger.find_sales_order(1).unwrap().unwrap();
    assert_eq!(posted.currency, "GBP");
    assert_eq!(posted.lines[0].net, 100.0, "117 EUR at 1.17 per GBP");
    let unknown = order("3", "ABC001", &[("P1", 1.0, 1.0)])
        .replace("<Id>3</Id>", "<Id>3</Id><Currency>ZZZ</Currency>");
    let report = import(&mut ledger, &mut truth, &orders(&[unknown]), &convert);
    assert_eq!(
        order_errors(&report.fail),
        ["Currency 'ZZZ' is not set up in Sage"]
    );
}

#[test]
fn a_foreign_account_is_invoiced_in_its_currency_and_product_prices_are_converted() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    ledger
        .set_currency(&Currency {
            number: 3,
            code: "EUR".into(),
            name: "Euro".into(),
            symbol: "€".into(),
            exchange_rate: 1.2,
        })
        .unwrap();
    let mut customer = ledger.customer_template("EUR001").unwrap();
    customer.name = "Euro Buyer".into();
    customer.currency = "EUR".into();
    ledger
        .create_customer(&sage_ledger::NewCustomer {
            customer,
            delivery_addresses: Vec::new(),
        })
        .unwrap();
    add_product(&mut ledger, "P1", 10.0, 0.0);
    let line = "<SalesOrder><Id>1</Id><AccountReference>EUR001</AccountReference><SalesOrderItems>\
                <Item><Sku>P1</Sku><QtyOrdered>1</QtyOrdered></Item></SalesOrderItems></SalesOrder>";
    import(
        &mut ledger,
        &mut truth,
        &orders(&[line.to_owned()]),
        &settings(),
    );
    let order = ledger.find_sales_order(1).unwrap().unwrap();
    assert_eq!((order.currency.as_str(), order.foreign_rate), ("EUR", 1.2));
    assert_eq!(order.lines[0].unit_price, 12.0);
}

#[test]
fn vat_settings_choose_the_tax_code_by_destination() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let mut customer = ledger.customer_template("FRA001").unwrap();
    customer.name = "Paris SARL".into();
    customer.vat_number = "FR12345678901".into();
    customer.country_code = "FR".into();
    ledger
        .create_customer(&sage_ledger::NewCustomer {
            customer,
            delivery_addresses: Vec::new(),
        })
        .unwrap();
    let mut vat = SalesOrderImportSettings::default();
    vat.vat_settings.eu.enabled = true;
    vat.vat_settings.eu_vat_reg.enabled = true;
    let french = order("1", "FRA001", &[("P1", 1.0, 100.0)])
        .replace("</SalesOrderItems>", "</SalesOrderItems><Carriage><UnitPrice>10</UnitPrice></Carriage>")
        .replace("<SalesOrderItems>", "<SalesOrderDeliveryAddress><Company>Paris SARL</Company><Country>FR</Country></SalesOrderDeliveryAddress><SalesOrderItems>");
    import(&mut ledger, &mut truth, &orders(&[french]), &vat);
    let order = ledger.find_sales_order(1).unwrap().unwrap();
    assert_eq!(
        (order.lines[0].tax_code, order.lines[0].tax),
        (4, 0.0),
        "EU customer with a VAT number"
    );
    assert_eq!(order.carriage.unwrap().tax_code, 4);
    // Disabled rules leave the normal chain in charge.
    let plain = order_xml_for("2", "FRA001");
    import(&mut ledger, &mut truth, &orders(&[plain]), &settings());
    assert_eq!(only_line(&ledger, 2).tax_code, 1);
}

fn order_xml_for(id: &str, account: &str) -> String {
    order(id, account, &[("P1", 1.0, 100.0)])
}

// ---- addresses ----------------------------------------------------------------------------

#[test]
fn read_sales_ledger_data_fills_the_order_address_from_the_account() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    let mut customer = ledger.customer_template("ADR001").unwrap();
    customer.name = "Address Holder".into();
    customer.street1 = "9 Quay".into();
    customer.postcode = "HU1 1AA".into();
    ledger
        .create_customer(&sage_ledger::NewCustomer {
            customer,
            delivery_addresses: Vec::new(),
        })
        .unwrap();
    let read = SalesOrderImportSettings {
        read_sales_ledger_data: true,
        ..settings()
    };
    import(
        &mut ledger,
        &mut truth,
        &orders(&[order("1", "ADR001", &[("P1", 1.0, 1.0)])]),
        &read,
    );
    let order = ledger.find_sales_order(1).unwrap().unwrap();
    assert_eq!(
        (
            order.invoice_address.name.as_str(),
            order.invoice_address.line1.as_str()
        ),
        ("Address Holder", "9 Quay")
    );
    assert_eq!(
        order.delivery_address.line5, "HU1 1AA",
        "no delivery address: the account's address"
    );
}

#[test]
fn create_multiple_delivery_addresses_adds_new_order_addresses_to_the_account() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    let multiple = SalesOrderImportSettings {
        create_multiple_delivery_addresses: true,
        ..settings()
    };
    let to = |id: &str, town: &str| {
        order(id, "ABC001", &[("P1", 1.0, 1.0)]).replace(
            "<SalesOrderItems>",
            &format!("<SalesOrderDeliveryAddress><Company>Abc</Company><Address1>1 Road</Address1><Town>{town}</Town></SalesOrderDeliveryAddress><SalesOrderItems>"),
        )
    };
    import(
        &mut ledger,
        &mut truth,
        &orders(&[to("1", "Leeds"), to("2", "Leeds"), to("3", "Bath")]),
        &multiple,
    );
    let towns: Vec<_> = ledger
        .delivery_addresses("ABC001")
        .unwrap()
        .into_iter()
        .map(|a| a.line3)
        .collect();
    assert_eq!(towns, ["Leeds", "Bath"]);
    import(
        &mut ledger,
        &mut truth,
        &orders(&[to("4", "Wells")]),
        &settings(),
    );
    assert_eq!(
        ledger.delivery_addresses("ABC001").unwrap().len(),
        2,
        "setting off: the account keeps its list"
    );
}

// ---- record-level robustness ---------------------------------------------------------------

#[test]
fn malformed_records_go_to_the_fail_file_while_the_rest_import() {
    let (mut ledger, _) = ledger();
    let mut truth = MemoryTruthStore::new();
    add_customer(&mut ledger, "ABC001", "Abc");
    let input = orders(&[
        order("1", "ABC001", &[("P1", 1.0, 5.0)]),
        order("2", "ABC001", &[("P1", 1.0, 5.0)])
            .replace("<QtyOrdered>1</QtyOrdered>", "<QtyOrdered>one</QtyOrdered>"),
        order("3", "ABC001", &[("P1", 1.0, 5.0)]),
    ]);
    let report = import(&mut ledger, &mut truth, &input, &settings());
    assert_eq!(
        (
            report.counts.read,
            report.counts.imported,
            report.counts.failed
        ),
        (3, 2, 1)
    );
    assert_eq!(
        order_errors(&report.fail),
        [
            "SalesOrder 2 (Id '2') cannot be read: SalesOrderItems/Item[1]/QtyOrdered holds 'one', which is not a number."
        ]
    );
    let fail = report.fail_xml();
    assert!(fail.contains("<Name>Sales Order Import</Name>"));
    assert!(
        fail.contains("<QtyOrdered>one</QtyOrdered>"),
        "the record keeps its data"
    );
}

/// A truth store whose writes fail after `allowed` successful ones.
struct FailingTruth {
    inner: MemoryTruthStore,
    allowed: usize,
}

impl TruthStore for FailingTruth {
    fn find_by_external_id(
        &self,
        t: &str,
        e: &str,
    ) -> Result<Option<TruthRecord>, TruthStoreError> {
        self.inner.find_by_external_id(t, e)
    }

    fn find_by_internal_id(
        &self,
        t: &str,
        i: &str,
    ) -> Result<Option<TruthRecord>, TruthStoreError> {
        self.inner.find_by_internal_id(t, i)
    }

    fn upsert(&mut self, record: &TruthRecord) -> Result<(), TruthStoreError> {
        if self.allowed == 0 {
            return Err(TruthStoreError("disk full".into()));
        }
        self.allowed -= 1;
        self.inner.upsert(record)
    }
}

#[test]
fn a_truth_store_failure_stops_the_run_without_losing_the_imported_order() {
    let (mut ledger, _) = ledger();
    add_customer(&mut ledger, "ABC001", "Abc");
    let mut truth = FailingTruth {
        inner: MemoryTruthStore::new(),
        allowed: 1,
    };
    let input = orders(
        &(1..=4)
            .map(|n| order(&n.to_string(), "ABC001", &[("P1", 1.0, 5.0)]))
            .collect::<Vec<_>>(),
    );
    let report = import_sales_orders(&mut ledger, &mut truth, &input, &settings()).unwrap();
    assert_eq!(
        report.aborted.as_deref(),
        Some("the truth store failed: disk full")
    );
    assert_eq!(
        (report.counts.imported, report.counts.failed),
        (2, 2),
        "order 2 is in Sage, so it is a success"
    );
    assert_eq!(ledger.sales_order_count().unwrap(), 2);
    assert!(order_errors(&report.fail)[0].starts_with(
        "Not imported because the import stopped: the truth store failed: disk full."
    ));
}
