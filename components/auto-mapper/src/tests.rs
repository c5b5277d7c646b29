use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use quick_xml::{Reader, events::Event};
use wharf_guest::{ResultCode, Settings};
use wharf_xslt::{Context, MappingTable, NoResolver, Stylesheet};
use wharf_xslt_task::{Env, HostMappings, MAX_TEMPLATE_DEPTH};

use super::*;

/// Runs the task on raw settings, as the host passes them.
fn run_settings(settings: &Settings, env: &Env) -> wharf_guest::TaskResult {
    match <AutoMapperSettings as wharf_guest::TaskSettings>::parse(settings) {
        Ok(parsed) => run(&parsed, env),
        Err(e) => e.into(),
    }
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/zynk-samples")
        .join(rel)
}

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

/// Runs the task on `input` (copied into a fresh working directory as `in.xml`) and returns
/// the result and the output text.
fn map_file(
    mapping: &str,
    input: &Path,
    parameters: &str,
) -> (wharf_guest::TaskResult, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(input, dir.path().join("in.xml")).unwrap();
    let settings = Settings::new(vec![
        (
            "input-file".into(),
            dir.path().join("in.xml").display().to_string(),
        ),
        ("mapping".into(), mapping.into()),
        ("parameters".into(), parameters.into()),
        (
            "output-file".into(),
            dir.path().join("out.xml").display().to_string(),
        ),
    ]);
    let env = Env {
        root: dir.path().to_path_buf(),
        mappings: &HostMappings,
        stack_limit: 1 << 20,
        max_depth: MAX_TEMPLATE_DEPTH,
    };
    let result = run_settings(&settings, &env);
    let out = fs::read_to_string(dir.path().join("out.xml")).unwrap_or_default();
    (result, out, dir)
}

fn map_ok(mapping: &str, input: &Path, parameters: &str) -> String {
    let (r, out, _dir) = map_file(mapping, input, parameters);
    assert_eq!(r.code, ResultCode::Success, "{mapping}: {}", r.message);
    out
}

/// Every element of a well-formed document as (path, text), e.g.
/// `("/Company/SalesOrders/SalesOrder/Id", "2")`; panics if it is not well-formed.
fn elements(xml: &str) -> Vec<(String, String)> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<String> = Vec::new();
    let mut out: Vec<(String, String)> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut roots = 0;
    loop {
        match reader.read_event().expect("well-formed output") {
            Event::Start(e) => {
                if stack.is_empty() {
                    roots += 1;
                }
                stack.push(e.name().into_inner().to_string());
                open.push(out.len());
                out.push((format!("/{}", stack.join("/")), String::new()));
            }
            Event::Empty(e) => {
                if stack.is_empty() {
                    roots += 1;
                }
                let name = e.name().into_inner().to_string();
                out.push((
                    format!("/{}/{name}", stack.join("/")).replace("//", "/"),
                    String::new(),
                ));
            }
            Event::Text(t) => {
                if let Some(&i) = open.last() {
                    out[i].1.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(&i) = open.last() {
                    let name = r.into_inner();
                    let c = match name.as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => other
                            .strip_prefix("#x")
                            .and_then(|h| u32::from_str_radix(h, 16).ok())
                            .or_else(|| other.strip_prefix('#').and_then(|d| d.parse().ok()))
                            .and_then(char::from_u32)
                            .unwrap_or_else(|| panic!("unexpected entity {other}")),
                    };
                    out[i].1.push(c);
                }
            }
            Event::End(_) => {
                stack.pop();
                open.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(roots, 1, "one document element");
    out
}

/// The texts of every element at `path`.
fn values(doc: &[(String, String)], path: &str) -> Vec<String> {
    doc.iter()
        .filter(|(p, _)| p == path)
        .map(|(_, v)| v.clone())
        .collect()
}

fn value(doc: &[(String, String)], path: &str) -> String {
    let v = values(doc, path);
    assert_eq!(v.len(), 1, "expected one {path}, got {v:?}");
    v[0].clone()
}

const ORDER: &str = "/Company/SalesOrders/SalesOrder";

/// Checks what every Zynk sales order file must hold (docs/zynk-reference.md §3.4): a Company root, at
/// least one order, each with an account or customer, addresses and lines with Sku and
/// quantity, and no empty numeric elements.
fn assert_zynk_sales_orders(doc: &[(String, String)]) -> usize {
    assert_eq!(doc[0].0, "/Company");
    let orders = values(doc, ORDER).len();
    assert!(orders > 0, "no SalesOrder in {doc:#?}");
    assert_eq!(values(doc, &format!("{ORDER}/Id")).len(), orders);
    assert_eq!(
        values(doc, &format!("{ORDER}/SalesOrderDate")).len(),
        orders
    );
    for date in values(doc, &format!("{ORDER}/SalesOrderDate")) {
        let b = date.as_bytes();
        assert!(
            date.len() == 19 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':',
            "not an XSD dateTime: {date}"
        );
    }
    assert!(!values(doc, &format!("{ORDER}/SalesOrderItems/Item/Sku")).is_empty());
    assert_eq!(
        values(doc, &format!("{ORDER}/SalesOrderItems/Item/Sku")).len(),
        values(doc, &format!("{ORDER}/SalesOrderItems/Item/QtyOrdered")).len()
    );
    for numeric in [
        "SalesOrderItems/Item/QtyOrdered",
        "SalesOrderItems/Item/UnitPrice",
        "SalesOrderItems/Item/UnitDiscountAmount",
        "SalesOrderItems/Item/TaxCode",
        "Carriage/QtyOrdered",
        "Carriage/UnitPrice",
        "Carriage/TaxCode",
        "PaymentAmount",
    ] {
        for v in values(doc, &format!("{ORDER}/{numeric}")) {
            assert!(v.parse::<f64>().is_ok(), "{numeric} is not a number: {v:?}");
        }
    }
    for (path, text) in doc {
        assert!(
            !text.trim().is_empty() || !path.ends_with("Id"),
            "empty key {path}"
        );
    }
    orders
}

#[test]
fn every_builtin_compiles_and_is_found_by_name() {
    assert_eq!(BUILTINS.len(), 9);
    for b in BUILTINS {
        Stylesheet::compile(b.stylesheet, &format!("{}.xsl", b.name), &NoResolver)
            .unwrap_or_else(|e| panic!("{}: {e}", b.name));
        assert_eq!(builtin(b.name).unwrap().name, b.name);
        assert_eq!(builtin(&b.name.to_uppercase()).unwrap().name, b.name);
    }
    assert_eq!(
        builtin("Magento/Orders -> Zynk XML/Sales Orders")
            .unwrap()
            .name,
        "magento-orders-to-zynk"
    );
    assert_eq!(
        builtin("zynk xml/products->amazon/prices").unwrap().name,
        "zynk-products-to-amazon-prices"
    );
    assert!(builtin("magento").is_none());
}

#[test]
fn magento_orders_become_zynk_sales_orders() {
    let out = map_ok(
        "magento-orders-to-zynk",
        &fixture("shop-data/magento_order.xml"),
        "AccountReference=WEB01;BankAccount=1210;TaxCode=1",
    );
    let doc = elements(&out);
    assert_eq!(assert_zynk_sales_orders(&doc), 1);
    let v = |p: &str| value(&doc, &format!("{ORDER}/{p}"));
    assert_eq!(v("Id"), "2");
    assert_eq!(v("CustomerId"), "1181");
    assert_eq!(v("AccountReference"), "WEB01");
    assert_eq!(v("SalesOrderNumber"), "100000002");
    assert_eq!(v("CustomerOrderNumber"), "100000002");
    assert_eq!(v("SalesOrderDate"), "2013-04-29T13:11:04");
    assert_eq!(v("TakenBy"), "Magento");
    assert_eq!(v("SalesOrderAddress/Forename"), "Joe");
    assert_eq!(v("SalesOrderAddress/Surname"), "Harrison");
    assert_eq!(v("SalesOrderAddress/Address1"), "6-8 Charlotte Square");
    assert_eq!(v("SalesOrderAddress/Town"), "Newcastle upon-Tyne");
    assert_eq!(v("SalesOrderAddress/Postcode"), "NE1 4XF");
    assert_eq!(v("SalesOrderAddress/Country"), "GB");
    assert_eq!(
        v("SalesOrderAddress/Email"),
        "joe.harrison@internetware.co.uk"
    );
    assert_eq!(v("SalesOrderDeliveryAddress/Telephone"), "0845 123 2920");
    assert_eq!(v("SalesOrderItems/Item/Sku"), "76460");
    assert_eq!(
        v("SalesOrderItems/Item/Name"),
        "Lung Beef Natural Glandular x 100 Capsules"
    );
    assert_eq!(v("SalesOrderItems/Item/QtyOrdered"), "4");
    assert_eq!(v("SalesOrderItems/Item/UnitPrice"), "14.12");
    assert_eq!(v("SalesOrderItems/Item/TaxCode"), "1");
    assert_eq!(v("Carriage/Sku"), "flatrate_flatrate");
    assert_eq!(v("Carriage/QtyOrdered"), "1");
    assert_eq!(v("Carriage/UnitPrice"), "20");
    assert_eq!(v("PaymentRef"), "checkmo");
    assert_eq!(v("PaymentAmount"), "87.76");
    assert_eq!(v("BankAccount"), "1210");
    // Defaults are the tutorial's values.
    let doc = elements(&map_ok(
        "magento-orders-to-zynk",
        &fixture("shop-data/magento_order.xml"),
        "",
    ));
    assert_eq!(
        value(&doc, &format!("{ORDER}/AccountReference")),
        "WEBSALES"
    );
    assert_eq!(value(&doc, &format!("{ORDER}/BankAccount")), "1200");
}

#[test]
fn magento_streets_guests_and_configurable_products() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("orders.xml");
    fs::write(
        &input,
        "<ArrayOfOrderInfo><OrderInfo><increment_id>100000009</increment_id><order_id>9</order_id>\
         <created_at>2024-02-01 08:00:00</created_at><customer_id></customer_id><customer_email>a@b.c</customer_email>\
         <billing_address><firstname>Ann</firstname><street>Unit 4\nRiverside Park\n\nMill Lane</street><region>Tyne &amp; Wear</region></billing_address>\
         <items>\
           <OrderProduct><item_id>1</item_id><sku>SHIRT-M</sku><name>Shirt</name><product_type>configurable</product_type><qty_ordered>2.0000</qty_ordered><price>10.0000</price><discount_amount>3.0000</discount_amount></OrderProduct>\
           <OrderProduct><item_id>2</item_id><parent_item_id>1</parent_item_id><sku>SHIRT-M</sku><name>Shirt M</name><product_type>simple</product_type><qty_ordered>2.0000</qty_ordered><price>0.0000</price></OrderProduct>\
         </items>\
         <shipping_amount>0</shipping_amount><payment><method>paypal</method><amount_ordered>17.0000</amount_ordered></payment>\
         </OrderInfo></ArrayOfOrderInfo>",
    )
    .unwrap();
    let doc = elements(&map_ok("magento-orders-to-zynk", &input, ""));
    assert_zynk_sales_orders(&doc);
    let v = |p: &str| values(&doc, &format!("{ORDER}/{p}"));
    assert!(
        v("CustomerId").is_empty(),
        "guest orders have no customer id"
    );
    assert_eq!(v("SalesOrderAddress/Address1"), ["Unit 4"]);
    assert_eq!(
        v("SalesOrderAddress/Address2"),
        ["Riverside Park, Mill Lane"]
    );
    assert_eq!(v("SalesOrderAddress/County"), ["Tyne & Wear"]);
    assert_eq!(
        v("SalesOrderItems/Item/Id"),
        ["1"],
        "the configurable child is not a line"
    );
    assert_eq!(v("SalesOrderItems/Item/UnitDiscountAmount"), ["1.5"]);
    assert!(v("SalesOrderDeliveryAddress").is_empty());
}

#[test]
fn bigcommerce_orders_become_zynk_sales_orders() {
    let out = map_ok(
        "bigcommerce-orders-to-zynk",
        &fixture("shop-data/big_commerce_orders.xml"),
        "WebSales=true;AccountReference=BCSALES;BankAccount=1200",
    );
    let doc = elements(&out);
    assert_eq!(assert_zynk_sales_orders(&doc), 1);
    let v = |p: &str| value(&doc, &format!("{ORDER}/{p}"));
    assert_eq!(v("Id"), "105");
    assert_eq!(v("CustomerId"), "1");
    assert_eq!(v("AccountReference"), "BCSALES");
    assert_eq!(v("SalesOrderNumber"), "105");
    assert_eq!(v("CustomerOrderNumber"), "105");
    assert_eq!(v("SalesOrderDate"), "2013-08-09T13:18:20");
    assert_eq!(v("Currency"), "GBP");
    assert_eq!(v("CurrencyUsed"), "false");
    assert_eq!(v("Notes1"), "This is a test order comment.");
    assert_eq!(v("Notes2"), "This is a test staff note comment.");
    assert_eq!(v("TakenBy"), "BigCommerce");
    assert_eq!(v("SalesOrderAddress/Company"), "Zynk Software Limited");
    assert_eq!(v("SalesOrderAddress/Address2"), "i6");
    assert_eq!(v("SalesOrderAddress/County"), "Tyne and Wear");
    assert_eq!(v("SalesOrderAddress/Country"), "GB");
    assert_eq!(v("SalesOrderAddress/Email"), "joe.harrison@zynk.com");
    assert_eq!(v("SalesOrderDeliveryAddress/Postcode"), "NE1 4XF");
    assert_eq!(v("SalesOrderItems/Item/Id"), "7");
    assert_eq!(v("SalesOrderItems/Item/Sku"), "IPHONE4");
    assert_eq!(v("SalesOrderItems/Item/QtyOrdered"), "1");
    assert_eq!(v("SalesOrderItems/Item/UnitPrice"), "499");
    assert_eq!(v("SalesOrderItems/Item/UnitDiscountAmount"), "10");
    assert_eq!(v("SalesOrderItems/Item/TaxCode"), "1");
    assert_eq!(v("Carriage/UnitPrice"), "0");
    assert_eq!(v("Carriage/TaxCode"), "0");
    assert_eq!(v("PaymentAmount"), "586.8");
    assert_eq!(v("BankAccount"), "1200");
    // Not all sales to one account: a registered customer is matched by CustomerId only.
    let doc = elements(&map_ok(
        "bigcommerce-orders-to-zynk",
        &fixture("shop-data/big_commerce_orders.xml"),
        "WebSales=false",
    ));
    assert!(values(&doc, &format!("{ORDER}/AccountReference")).is_empty());
}

/// The Amazon order shape Zynk's download writes (docs/zynk-reference.md §2.15) (fields as attributes,
/// money as @CurrencyCode/@Amount, UK dates): the mapping reads it as well as the MWS shape.
const AMAZON_ATTRIBUTE_ORDERS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Orders>
  <Order AmazonOrderId="203-5550123-7654321" PurchaseDate="03/06/2014 17:05:09" OrderStatus="Unshipped"
         FulfillmentChannel="MFN" ShipServiceLevel="Std UK Dom_2" BuyerEmail="buyer@marketplace.amazon.co.uk">
    <ShippingAddress Name="Tom Baker" AddressLine1="1 Station Road" City="York" StateOrRegion="North Yorkshire"
                     PostalCode="YO1 7AA" CountryCode="GB"/>
    <OrderTotal CurrencyCode="EUR" Amount="26.00"/>
    <OrderItems>
      <OrderItem SellerSKU="CALC001" Title="Desk Calculator" QuantityOrdered="2">
        <ItemPrice CurrencyCode="EUR" Amount="24.00"/>
        <ShippingPrice CurrencyCode="EUR" Amount="2.00"/>
      </OrderItem>
    </OrderItems>
  </Order>
</Orders>
"#;

#[test]
fn amazon_orders_become_zynk_sales_orders() {
    let params = "AccountReference=AMAZONSALES;TaxCode=1;TaxRate=20;NominalCode=4000;CarriageCode=CARRIAGE;\
                  CarriageAsItemLine=false;TakenBy=Amazon_Zynk;VATInclusiveItem=true;VATInclusiveCarriage=true;\
                  VATInclusiveOrder=true;AddPaymentDetails=true;BankAccount=1200;PaymentMethod=PayPal;ShippingSku=";
    let doc = elements(&map_ok(
        "amazon-orders-to-zynk",
        &testdata("amazon_orders.xml"),
        params,
    ));
    assert_eq!(assert_zynk_sales_orders(&doc), 2);
    let v = |p: &str| values(&doc, &format!("{ORDER}/{p}"));
    assert_eq!(v("Id"), ["202-8374651-2948323", "026-1187734-5520317"]);
    assert_eq!(v("CustomerId"), v("Id"));
    assert_eq!(v("SalesOrderNumber"), v("Id"));
    assert_eq!(v("CustomerOrderNumber"), v("Id"));
    assert_eq!(v("AccountReference"), ["AMAZONSALES", "AMAZONSALES"]);
    assert_eq!(
        v("SalesOrderDate"),
        ["2014-05-15T10:23:45", "2014-05-17T19:48:02"]
    );
    assert_eq!(v("Currency"), ["GBP", "GBP"]);
    assert_eq!(v("VatInclusive"), ["true", "true"]);
    assert_eq!(v("TakenBy"), ["Amazon_Zynk", "Amazon_Zynk"]);
    assert_eq!(
        v("SalesOrderAddress/Forename"),
        ["Sarah Thompson", "Priya Desai"]
    );
    assert_eq!(
        v("SalesOrderAddress/Company"),
        ["Sarah Thompson", "Priya Desai"]
    );
    assert_eq!(v("SalesOrderDeliveryAddress/Address2"), ["Flat 2"]);
    assert_eq!(
        v("SalesOrderDeliveryAddress/County"),
        ["Tyne and Wear", "West Yorkshire"]
    );
    assert_eq!(
        v("SalesOrderAddress/Email")[0],
        "7qf9x2m4kd1s8bz@marketplace.amazon.co.uk"
    );
    assert_eq!(
        v("SalesOrderItems/Item/Sku"),
        ["BOARD001", "PEN002", "PRN003"]
    );
    assert_eq!(v("SalesOrderItems/Item/QtyOrdered"), ["2", "1", "1"]);
    assert_eq!(
        v("SalesOrderItems/Item/UnitPrice"),
        ["18", "5.98", "124.99"],
        "line price / quantity"
    );
    assert_eq!(v("SalesOrderItems/Item/UnitDiscountAmount"), ["1"]);
    assert_eq!(
        v("SalesOrderItems/Item/NominalCode"),
        ["4000", "4000", "4000"]
    );
    assert_eq!(v("Carriage/Sku"), ["CARRIAGE", "CARRIAGE"]);
    assert_eq!(v("Carriage/Name"), ["Std UK Dom_1", "Expedited"]);
    assert_eq!(v("Carriage/UnitPrice"), ["2.99", "5"]);
    assert_eq!(v("PaymentRef"), ["PayPal", "PayPal"]);
    assert_eq!(v("PaymentAmount"), ["43.97", "129.99"]);

    // Net order: VAT-inclusive Amazon prices are converted; carriage as an order line.
    let doc = elements(&map_ok(
        "amazon-orders-to-zynk",
        &testdata("amazon_orders.xml"),
        "VATInclusiveOrder=false;CarriageAsItemLine=true;ShippingSku=POSTAGE;AddPaymentDetails=false;OrderNumberPrefix=AMZ-",
    ));
    let v = |p: &str| values(&doc, &format!("{ORDER}/{p}"));
    assert_eq!(v("VatInclusive"), ["false", "false"]);
    assert_eq!(
        v("CustomerOrderNumber"),
        ["AMZ-202-8374651-2948323", "AMZ-026-1187734-5520317"]
    );
    assert_eq!(
        v("SalesOrderItems/Item/Sku"),
        ["BOARD001", "PEN002", "POSTAGE", "PRN003", "POSTAGE"]
    );
    assert_eq!(
        v("SalesOrderItems/Item/UnitPrice"),
        ["15", "4.9833", "2.4917", "104.1583", "4.1667"]
    );
    assert!(
        v("Carriage").is_empty() && v("PaymentAmount").is_empty() && v("BankAccount").is_empty()
    );

    // The attribute form with UK dates.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("amazon.xml");
    fs::write(&input, AMAZON_ATTRIBUTE_ORDERS).unwrap();
    let doc = elements(&map_ok("amazon-orders-to-zynk", &input, ""));
    assert_eq!(assert_zynk_sales_orders(&doc), 1);
    let v = |p: &str| value(&doc, &format!("{ORDER}/{p}"));
    assert_eq!(v("Id"), "203-5550123-7654321");
    assert_eq!(v("SalesOrderDate"), "2014-06-03T17:05:09");
    assert_eq!(v("Currency"), "EUR");
    assert_eq!(v("CurrencyUsed"), "true");
    assert_eq!(v("SalesOrderAddress/County"), "North Yorkshire");
    assert_eq!(v("SalesOrderItems/Item/UnitPrice"), "12");
    assert_eq!(v("Carriage/UnitPrice"), "2");
    assert_eq!(v("PaymentAmount"), "26");
}

#[test]
fn zynk_success_files_become_shop_order_updates() {
    // Round trip: Magento order -> Zynk -> (Sage import keeps CustomerOrderNumber) -> update.
    let dir = tempfile::tempdir().unwrap();
    let zynk = dir.path().join("zynk.xml");
    fs::write(
        &zynk,
        map_ok(
            "magento-orders-to-zynk",
            &fixture("shop-data/magento_order.xml"),
            "",
        ),
    )
    .unwrap();
    let doc = elements(&map_ok("zynk-orders-to-magento", &zynk, ""));
    assert_eq!(
        values(&doc, "/ArrayOfOrderInfo/OrderInfo/increment_id"),
        ["100000002"]
    );

    let doc = elements(&map_ok(
        "zynk-orders-to-magento",
        &fixture("zynk-xml/ACT - Import Customer and Opportunity with Custom Fields.xml"),
        "",
    ));
    assert_eq!(
        values(&doc, "/ArrayOfOrderInfo/OrderInfo/increment_id"),
        ["007"]
    );
    // A success file without web order numbers gives no updates (and a message in the log).
    let doc = elements(&map_ok(
        "zynk-orders-to-magento",
        &fixture("zynk-xml/Customer with Sales Order and Card Payment [NOTIFY] .xml"),
        "",
    ));
    assert!(values(&doc, "/ArrayOfOrderInfo/OrderInfo").is_empty());

    let doc = elements(&map_ok(
        "zynk-orders-to-bigcommerce-status",
        &fixture("zynk-xml/Customer with Sales Order and Card Payment [NOTIFY] .xml"),
        "",
    ));
    assert_eq!(values(&doc, "/orders/order/id"), ["456"]);
    let doc = elements(&map_ok(
        "zynk-orders-to-bigcommerce-status",
        &fixture("shop-data/sales_orders.xml"),
        "",
    ));
    assert_eq!(values(&doc, "/orders/order/id"), ["123"]);
}

/// What the stock mappings read from one product of a Zynk file.
#[derive(Debug, Default)]
struct Product {
    sku: String,
    in_stock: f64,
    allocated: f64,
    reorder: Option<f64>,
    price: Option<f64>,
}

impl Product {
    /// Free stock, QtyInStock - QtyAllocated (docs/zynk-reference.md §3.5).
    fn free(&self) -> f64 {
        self.in_stock - self.allocated
    }
}

fn products(path: &Path) -> Vec<Product> {
    let doc = elements(&fs::read_to_string(path).unwrap());
    let mut out: Vec<Product> = Vec::new();
    for (p, v) in &doc {
        let num = || v.trim().parse::<f64>().ok();
        if p == "/Company/Products/Product" {
            out.push(Product::default());
            continue;
        }
        let Some(product) = out.last_mut() else {
            continue;
        };
        match p.as_str() {
            "/Company/Products/Product/Sku" => product.sku = v.trim().to_string(),
            "/Company/Products/Product/QtyInStock" => product.in_stock = num().unwrap_or(0.0),
            "/Company/Products/Product/QtyAllocated" => product.allocated = num().unwrap_or(0.0),
            "/Company/Products/Product/ReorderLvl" => product.reorder = num(),
            "/Company/Products/Product/SalePrice" => product.price = num(),
            _ => {}
        }
    }
    out
}

const PRODUCT_FILES: &[&str] = &[
    "shop-data/sage_products.xml",
    "zynk-xml/Stationary & Computer Mart - Product Export.xml",
    "zynk-xml/Product Import or Export Sample.xml",
];

#[test]
fn zynk_products_become_magento_and_bigcommerce_inventory() {
    for file in PRODUCT_FILES {
        let expected = products(&fixture(file));
        assert!(!expected.is_empty(), "{file}");

        let doc = elements(&map_ok(
            "zynk-products-to-magento-inventory",
            &fixture(file),
            "",
        ));
        let stocked: Vec<_> = expected.iter().filter(|p| p.free() > -1.0).collect();
        assert!(
            stocked.len() < expected.len() || !file.contains("sage_products"),
            "the sample has negative stock"
        );
        assert_eq!(
            values(&doc, "/ArrayOfInventory/Inventory/sku"),
            stocked.iter().map(|p| p.sku.clone()).collect::<Vec<_>>(),
            "{file}"
        );
        let qty: Vec<f64> = values(&doc, "/ArrayOfInventory/Inventory/qty")
            .iter()
            .map(|q| q.parse().unwrap())
            .collect();
        assert_eq!(
            qty,
            stocked.iter().map(|p| p.free()).collect::<Vec<_>>(),
            "{file}"
        );
        let in_stock = values(&doc, "/ArrayOfInventory/Inventory/is_in_stock");
        assert_eq!(
            in_stock,
            stocked
                .iter()
                .map(|p| if p.free() > 0.0 { "1" } else { "0" })
                .collect::<Vec<_>>(),
            "{file}"
        );

        let doc = elements(&map_ok(
            "zynk-products-to-bigcommerce-inventory",
            &fixture(file),
            "",
        ));
        assert_eq!(
            values(&doc, "/ArrayOfInventory/Inventory/sku"),
            expected.iter().map(|p| p.sku.clone()).collect::<Vec<_>>()
        );
        let levels: Vec<f64> = values(&doc, "/ArrayOfInventory/Inventory/inventory_level")
            .iter()
            .map(|q| q.parse().unwrap())
            .collect();
        assert_eq!(
            levels,
            expected
                .iter()
                .map(|p| if p.free() < 1.0 { 0.0 } else { p.free() })
                .collect::<Vec<_>>()
        );
        assert_eq!(
            values(&doc, "/ArrayOfInventory/Inventory/inventory_warning_level").len(),
            expected.iter().filter(|p| p.reorder.is_some()).count()
        );
    }
}

#[test]
fn zynk_products_become_amazon_feeds() {
    for file in PRODUCT_FILES {
        let expected = products(&fixture(file));
        let doc = elements(&map_ok(
            "zynk-products-to-amazon-inventory",
            &fixture(file),
            "MerchantID=A2EUQ1WTGCTBG2",
        ));
        assert_eq!(
            value(&doc, "/AmazonEnvelope/Header/MerchantIdentifier"),
            "A2EUQ1WTGCTBG2"
        );
        assert_eq!(value(&doc, "/AmazonEnvelope/MessageType"), "Inventory");
        assert_eq!(
            values(&doc, "/AmazonEnvelope/Message/Inventory/SKU"),
            expected.iter().map(|p| p.sku.clone()).collect::<Vec<_>>()
        );
        let ids = values(&doc, "/AmazonEnvelope/Message/MessageID");
        assert_eq!(
            ids,
            (1..=expected.len())
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
        );
        let qty: Vec<String> = values(&doc, "/AmazonEnvelope/Message/Inventory/Quantity");
        assert_eq!(
            qty,
            expected
                .iter()
                .map(|p| (p.free().max(0.0).floor() as i64).to_string())
                .collect::<Vec<_>>()
        );

        let doc = elements(&map_ok(
            "zynk-products-to-amazon-prices",
            &fixture(file),
            "MerchantID=A2EUQ1WTGCTBG2;Currency=EUR",
        ));
        assert_eq!(value(&doc, "/AmazonEnvelope/MessageType"), "Price");
        let priced: Vec<_> = expected
            .iter()
            .filter(|p| p.price.is_some_and(|v| v > 0.0))
            .collect();
        assert_eq!(
            values(&doc, "/AmazonEnvelope/Message/Price/SKU"),
            priced.iter().map(|p| p.sku.clone()).collect::<Vec<_>>()
        );
        assert_eq!(
            values(&doc, "/AmazonEnvelope/Message/Price/StandardPrice"),
            priced
                .iter()
                .map(|p| format!("{:.2}", p.price.unwrap()))
                .collect::<Vec<_>>()
        );
    }
    let out = map_ok(
        "zynk-products-to-amazon-prices",
        &fixture(PRODUCT_FILES[2]),
        "MerchantID=M1",
    );
    assert!(
        out.contains("<StandardPrice currency=\"GBP\">5.70</StandardPrice>"),
        "{out}"
    );
    // Without a merchant id the feed would be refused by Amazon: fail and say why.
    let (r, _, _dir) = map_file(
        "zynk-products-to-amazon-inventory",
        &fixture(PRODUCT_FILES[0]),
        "",
    );
    assert_eq!(r.code, ResultCode::Fail);
    assert!(
        r.message.contains("parameter MerchantID is empty"),
        "{}",
        r.message
    );
}

#[test]
fn a_stylesheet_file_in_the_working_directory_is_a_custom_mapping() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("maps")).unwrap();
    fs::write(
        dir.path().join("maps/custom.xslt"),
        r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:m="urn:MappingFunctions">
  <xsl:output method="text"/>
  <xsl:param name="Prefix"/>
  <xsl:template match="/"><xsl:value-of select="concat($Prefix, m:MapTo('Carrier', //shipping_method))"/></xsl:template>
</xsl:stylesheet>"#,
    )
    .unwrap();
    fs::copy(
        fixture("shop-data/magento_order.xml"),
        dir.path().join("in.xml"),
    )
    .unwrap();
    let mut maps = MappingTable::default();
    maps.insert("Carrier", "flatrate_flatrate", "ROYALMAIL");
    let env = Env {
        root: dir.path().to_path_buf(),
        mappings: &maps,
        stack_limit: 1 << 20,
        max_depth: MAX_TEMPLATE_DEPTH,
    };
    let settings = |mapping: &str| {
        Settings::new(vec![
            (
                "input-file".into(),
                dir.path().join("in.xml").display().to_string(),
            ),
            ("mapping".into(), mapping.into()),
            ("parameters".into(), "Prefix=via:".into()),
            (
                "output-file".into(),
                dir.path().join("out.txt").display().to_string(),
            ),
        ])
    };
    let r = run_settings(&settings("maps/custom.xslt"), &env);
    assert_eq!(r.code, ResultCode::Success, "{}", r.message);
    assert_eq!(
        fs::read_to_string(dir.path().join("out.txt")).unwrap(),
        "via:ROYALMAIL"
    );

    let r = run_settings(&settings("maps/missing.xslt"), &env);
    assert_eq!(r.code, ResultCode::Fail);
    assert!(
        r.message.starts_with("setting `mapping`: `maps/missing.xslt` is neither a built-in mapping (magento-orders-to-zynk, "),
        "{}",
        r.message
    );
    let r = run_settings(&settings("../outside.xsl"), &env);
    assert!(
        r.message.contains("outside the working directory"),
        "{}",
        r.message
    );
}

/// The built-ins use XSLT 1.0 only, so libxslt must give the same output: a check that they
/// do not lean on anything particular to our processor.
#[test]
fn builtins_give_what_xsltproc_gives() {
    let available = Command::new("xsltproc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        available,
        "xsltproc is not installed: this test needs it. Install it with \
         `apt-get update && apt-get install -y --no-install-recommends xsltproc`"
    );
    type Case<'a> = (&'a str, PathBuf, &'a [(&'a str, &'a str)]);
    let cases: &[Case] = &[
        (
            "magento-orders-to-zynk",
            fixture("shop-data/magento_order.xml"),
            &[("TaxCode", "2")],
        ),
        (
            "bigcommerce-orders-to-zynk",
            fixture("shop-data/big_commerce_orders.xml"),
            &[],
        ),
        (
            "amazon-orders-to-zynk",
            testdata("amazon_orders.xml"),
            &[("VATInclusiveOrder", "false")],
        ),
        (
            "zynk-orders-to-magento",
            fixture("zynk-xml/ACT - Import Customer and Opportunity with Custom Fields.xml"),
            &[],
        ),
        (
            "zynk-orders-to-bigcommerce-status",
            fixture("shop-data/sales_orders.xml"),
            &[],
        ),
        (
            "zynk-products-to-magento-inventory",
            fixture(PRODUCT_FILES[0]),
            &[],
        ),
        (
            "zynk-products-to-bigcommerce-inventory",
            fixture(PRODUCT_FILES[1]),
            &[],
        ),
        (
            "zynk-products-to-amazon-inventory",
            fixture(PRODUCT_FILES[0]),
            &[("MerchantID", "M1")],
        ),
        (
            "zynk-products-to-amazon-prices",
            fixture(PRODUCT_FILES[1]),
            &[("MerchantID", "M1")],
        ),
    ];
    assert_eq!(cases.len(), BUILTINS.len());
    let dir = tempfile::tempdir().unwrap();
    for (name, input, params) in cases {
        let b = builtin(name).unwrap();
        let xsl = dir.path().join(format!("{name}.xsl"));
        fs::write(&xsl, b.stylesheet).unwrap();
        let mut cmd = Command::new("xsltproc");
        for (k, v) in *params {
            cmd.arg("--stringparam").arg(k).arg(v);
        }
        let expected = cmd.arg(&xsl).arg(input).output().unwrap();
        assert!(
            expected.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&expected.stderr)
        );
        let ss = Stylesheet::compile(b.stylesheet, &format!("{name}.xsl"), &NoResolver).unwrap();
        let got = ss
            .transform(fs::read(input).unwrap(), params, &mut Context::default())
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&got.bytes),
            String::from_utf8_lossy(&expected.stdout),
            "{name}"
        );
    }
}

#[test]
fn the_mapping_setting_lists_every_builtin() {
    let info = wharf_guest::testing::describe::<AutoMapper>();
    let mapping = info.settings.iter().find(|s| s.name == "mapping").unwrap();
    let names: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
    assert!(
        mapping
            .doc
            .starts_with(&format!("A built-in mapping ({}) or", names.join(", "))),
        "{}",
        mapping.doc
    );
    assert!(mapping.required && !mapping.non_empty);
}
