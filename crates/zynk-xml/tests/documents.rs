//! Reader and writer rules on hand-made documents: malformed records, syntax errors, file shape.

use zynk_xml::{Company, Contact, Item, ParseError, Parsed, SalesOrder, XmlDateTime, ZynkError};

fn order_xml(id: &str, quantity: &str) -> String {
    format!(
        "<SalesOrder><Id>{id}</Id><AccountReference>ABC001</AccountReference>\
         <SalesOrderItems><Item><Sku>A1</Sku><QtyOrdered>1</QtyOrdered></Item>\
         <Item><Sku>B2</Sku><QtyOrdered>{quantity}</QtyOrdered></Item></SalesOrderItems></SalesOrder>"
    )
}

fn document(orders: &[String]) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Company><SalesOrders>{}</SalesOrders></Company>",
        orders.concat()
    )
}

#[test]
fn a_malformed_record_names_its_index_id_and_field_and_the_rest_still_read() {
    let input = document(&[
        order_xml("1", "2"),
        order_xml("2", "two"),
        order_xml("3", ""),
    ]);
    let company = Company::parse(&input).expect("document reads");
    let orders = company.sales_orders.as_ref().expect("orders");
    assert_eq!(orders.len(), 3);
    assert!(matches!(orders[0], Parsed::Record(_)));
    let Parsed::Malformed(second) = &orders[1] else {
        panic!("second order is malformed")
    };
    assert_eq!(
        second.error().to_string(),
        "SalesOrder 2 (Id '2') cannot be read: SalesOrderItems/Item[2]/QtyOrdered holds 'two', which is not a number."
    );
    let Parsed::Malformed(third) = &orders[2] else {
        panic!("third order is malformed")
    };
    assert!(
        third
            .error()
            .to_string()
            .contains("Item[2]/QtyOrdered is empty")
    );
    assert_eq!(company.sales_order_records().count(), 1);
    assert!(matches!(Company::parse_strict(&input), Err(ParseError::Record(e)) if e.index == 2));
}

#[test]
fn a_wrong_element_in_a_collection_is_malformed_not_fatal() {
    let input = "<Company><Customers><Supplier><Id>9</Id></Supplier><Customer><Id>1</Id></Customer></Customers></Company>";
    let company = Company::parse(input).expect("reads");
    let customers = company.customers.as_ref().expect("customers");
    let Parsed::Malformed(first) = &customers[0] else {
        panic!("malformed")
    };
    assert!(
        first
            .error()
            .to_string()
            .contains("is a <Supplier> element, but <Customers> may only hold <Customer> elements")
    );
    assert_eq!(company.customer_records().count(), 1);
}

#[test]
fn invalid_enumerations_and_entities_are_reported_per_field() {
    let input = "<Company><SalesOrders><SalesOrder><Id>7</Id><PaymentType>Cheque</PaymentType>\
                 <Notes1>caf&eacute;</Notes1></SalesOrder></SalesOrders></Company>";
    let company = Company::parse(input).expect("reads");
    let Some(Parsed::Malformed(order)) = company.sales_orders.as_ref().and_then(|o| o.first())
    else {
        panic!("malformed")
    };
    let message = order.error().to_string();
    // Content problems (the entity) are found while reading, before the typed mapping.
    assert!(
        message.contains("Notes1 uses the entity '&eacute;'"),
        "{message}"
    );
    let input = "<Company><SalesOrders><SalesOrder><Id>7</Id><PaymentType>Cheque</PaymentType>\
                 </SalesOrder></SalesOrders></Company>";
    let company = Company::parse(input).expect("reads");
    let Some(Parsed::Malformed(order)) = company.sales_orders.as_ref().and_then(|o| o.first())
    else {
        panic!("malformed")
    };
    assert!(order.error().to_string().contains(
        "PaymentType holds 'Cheque', which is not one of SalesReceipt, PaymentAlreadyReceived"
    ));
}

#[test]
fn broken_markup_is_a_positioned_file_error() {
    let input =
        "<Company>\n<SalesOrders>\n<SalesOrder><Id>1</Id></SalesOrdr>\n</SalesOrders></Company>";
    match Company::parse(input) {
        Err(ParseError::Syntax { line, context, .. }) => {
            assert_eq!(line, 3);
            assert_eq!(context, " (in SalesOrder 1)");
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
    assert!(
        matches!(Company::parse("<Orders/>"), Err(ParseError::NotZynk { found }) if found == "Orders")
    );
    assert!(matches!(Company::parse("   "), Err(ParseError::NoRoot)));
    assert!(matches!(
        Company::parse_bytes(b"<Company>\xa3</Company>"),
        Err(ParseError::NotUtf8 { offset: 9 })
    ));
}

#[test]
fn order_of_elements_does_not_matter_and_unknown_ones_survive() {
    let input = "<Company xmlns:zynk=\"http://www.zynk.com\"><SalesOrders><SalesOrder>\
                 <Mystery a=\"1\"><Deep>x</Deep></Mystery><TakenBy>Web</TakenBy><Id>5</Id>\
                 </SalesOrder></SalesOrders></Company>";
    let company = Company::parse(input).expect("reads");
    let order = company.sales_order_records().next().expect("order");
    assert_eq!(order.id.as_deref(), Some("5"));
    assert_eq!(order.taken_by.as_deref(), Some("Web"));
    assert_eq!(order.unknown.len(), 1);
    let written = company.to_xml();
    assert!(written.contains("xmlns:zynk=\"http://www.zynk.com\""));
    assert!(
        written.contains("<Mystery a=\"1\">\n        <Deep>x</Deep>\n      </Mystery>"),
        "{written}"
    );
    // Writers emit the documented order: Id before TakenBy.
    assert!(written.find("<Id>5</Id>").unwrap() < written.find("<TakenBy>").unwrap());
}

#[test]
fn empty_success_file_stays_well_under_600_bytes_and_one_order_goes_over() {
    let empty = Company::with_sales_orders(Vec::new()).to_xml();
    assert!(
        empty.len() < 500,
        "empty success file is {} bytes",
        empty.len()
    );
    assert!(empty.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Company xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">\n  <Products />\n"));
    assert!(empty.contains("  <SalesOrders />\n"));

    // The smallest order a mapper could produce: an Id and one line.
    let order = SalesOrder {
        id: Some("1".into()),
        items: vec![Item {
            sku: Some("A".into()),
            qty_ordered: Some(1.0),
            ..Item::default()
        }],
        ..SalesOrder::default()
    };
    let one = Company::with_sales_orders(vec![Parsed::Record(order)]).to_xml();
    assert!(
        one.len() > 600,
        "one-order success file is only {} bytes",
        one.len()
    );
}

#[test]
fn fail_records_carry_errors_as_their_first_child() {
    let error = ZynkError::new(
        "2013-06-06T09:16:14.5673107+01:00"
            .parse::<XmlDateTime>()
            .unwrap(),
        "Sales Order Import",
        "Customer account 'ABC001' does not exist and auto-create customers is off",
    );
    let order = SalesOrder {
        errors: vec![error.clone()],
        id: Some("9".into()),
        ..SalesOrder::default()
    };
    let input = document(&[order_xml("10", "x")]);
    let mut malformed = match Company::parse(&input)
        .unwrap()
        .sales_orders
        .unwrap()
        .remove(0)
    {
        Parsed::Malformed(m) => m,
        Parsed::Record(_) => panic!("malformed expected"),
    };
    malformed.errors.push(error);
    let fail =
        Company::with_sales_orders(vec![Parsed::Record(order), Parsed::Malformed(malformed)])
            .to_xml();
    let expected_errors = "    <SalesOrder>\n      <Errors>\n        <Error>\n          <Date>2013-06-06T09:16:14.5673107+01:00</Date>\n          <Name>Sales Order Import</Name>\n          <Description>Customer account 'ABC001' does not exist and auto-create customers is off</Description>\n        </Error>\n      </Errors>\n";
    assert_eq!(fail.matches(expected_errors).count(), 2, "{fail}");
    assert!(fail.contains("<Errors>\n        <Error>\n          <Date>2013-06-06T09:16:14.5673107+01:00</Date>\n          <Name>Sales Order Import</Name>\n          <Description>Customer account 'ABC001' does not exist and auto-create customers is off</Description>\n        </Error>\n      </Errors>\n      <Id>10</Id>"));
    // Read back, the typed record exposes its errors.
    let reread = Company::parse(&fail).unwrap();
    let first = reread.sales_order_records().next().unwrap();
    assert_eq!(first.errors.len(), 1);
    assert_eq!(first.errors[0].name.as_deref(), Some("Sales Order Import"));
}

#[test]
fn absent_values_are_written_like_xml_serializer() {
    let order = SalesOrder {
        id: Some("1".into()),
        customer_order_number: Some(String::new()),
        address: Some(Contact {
            company: Some("A & B <Ltd>".into()),
            ..Contact::default()
        }),
        ..SalesOrder::default()
    };
    let xml = Company::with_sales_orders(vec![Parsed::Record(order.clone())]).to_xml();
    assert!(
        xml.contains("<CustomerOrderNumber />"),
        "empty string → empty element"
    );
    assert!(!xml.contains("<CustomerId"), "absent string → left out");
    assert!(
        xml.contains("<ForeignRate xsi:nil=\"true\" />"),
        "absent number → nil"
    );
    assert!(
        xml.contains("<SalesOrderItems />"),
        "empty collection → empty element"
    );
    assert!(xml.contains("<Company>A &amp; B &lt;Ltd&gt;</Company>"));
    let reread = Company::parse(&xml).unwrap();
    assert_eq!(reread.sales_order_records().next(), Some(&order));
}
