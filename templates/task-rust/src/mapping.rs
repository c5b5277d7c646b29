//! Zynk XML sales orders → a carrier's consignment CSV. Plain Rust with no Wharf calls, so the
//! unit tests below exercise it natively.

use serde::Deserialize;

/// The carrier's columns, in order.
pub const COLUMNS: [&str; 15] = [
    "order_ref",
    "order_date",
    "recipient",
    "company",
    "address_1",
    "address_2",
    "town",
    "county",
    "postcode",
    "country",
    "phone",
    "email",
    "service",
    "items",
    "goods_value",
];

/// The input is not a Zynk XML document the mapping can read.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("not well-formed XML: {0}")]
    Xml(String),
    #[error("the root element is <{0}>, not a Zynk <Company>")]
    NotZynk(String),
}

/// What the mapping made of one document.
#[derive(Debug, Default, PartialEq)]
pub struct Consignments {
    pub orders: u64,
    /// One row per consignment, in [`COLUMNS`] order.
    pub rows: Vec<[String; 15]>,
    /// One line per order left out, saying which and why.
    pub skipped: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Company {
    #[serde(default)]
    sales_orders: SalesOrders,
}

#[derive(Deserialize, Default)]
struct SalesOrders {
    #[serde(rename = "SalesOrder", default)]
    orders: Vec<SalesOrder>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct SalesOrder {
    id: String,
    sales_order_number: String,
    sales_order_date: String,
    sales_order_address: Option<Address>,
    sales_order_delivery_address: Option<Address>,
    sales_order_items: Items,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Address {
    forename: String,
    surname: String,
    company: String,
    address1: String,
    address2: String,
    town: String,
    county: String,
    postcode: String,
    country: String,
    telephone: String,
    email: String,
}

#[derive(Deserialize, Default)]
struct Items {
    #[serde(rename = "Item", default)]
    items: Vec<Item>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Item {
    qty_ordered: String,
    unit_price: String,
}

/// The name of the document's root element.
fn root_name(xml: &str) -> Result<String, MappingError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)) => {
                return Ok(e.name().as_ref().to_owned());
            }
            Ok(quick_xml::events::Event::Eof) => {
                return Err(MappingError::Xml("no root element".into()));
            }
            Ok(_) => {}
            Err(e) => return Err(MappingError::Xml(e.to_string())),
        }
    }
}

fn number(value: &str, what: &str, order_ref: &str) -> Result<f64, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(0.0);
    }
    value
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .ok_or_else(|| format!("order {order_ref}: {what} `{value}` is not a number"))
}

/// Up to three decimals, without trailing zeros: `1`, `2.5`.
fn plain(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Reads the sales orders of a Zynk XML document (`<Company><SalesOrders><SalesOrder>`).
pub fn consignments(xml: &str, service: &str) -> Result<Consignments, MappingError> {
    let root = root_name(xml)?;
    if root != "Company" {
        return Err(MappingError::NotZynk(root));
    }
    let company: Company =
        quick_xml::de::from_str(xml).map_err(|e| MappingError::Xml(e.to_string()))?;
    let mut found = Consignments::default();
    for order in company.sales_orders.orders {
        found.orders += 1;
        let order_ref = match order.sales_order_number.trim() {
            "" => order.id.trim().to_string(),
            number => number.to_string(),
        };
        let has_postcode =
            |a: &Option<Address>| a.as_ref().is_some_and(|a| !a.postcode.trim().is_empty());
        let address = if has_postcode(&order.sales_order_delivery_address) {
            order.sales_order_delivery_address
        } else if has_postcode(&order.sales_order_address) {
            order.sales_order_address
        } else {
            let shown = if order_ref.is_empty() {
                "?"
            } else {
                &order_ref
            };
            found
                .skipped
                .push(format!("order {shown}: no delivery postcode"));
            continue;
        };
        let address = address.unwrap_or_default();
        let mut items = 0.0;
        let mut goods = 0.0;
        let totals = order.sales_order_items.items.iter().try_for_each(|item| {
            let qty = number(&item.qty_ordered, "QtyOrdered", &order_ref)?;
            items += qty;
            goods += qty * number(&item.unit_price, "UnitPrice", &order_ref)?;
            Ok::<(), String>(())
        });
        if let Err(why) = totals {
            found.skipped.push(why);
            continue;
        }
        let recipient = [address.forename.trim(), address.surname.trim()]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let t = |s: &str| s.trim().to_string();
        let date = order.sales_order_date.trim();
        found.rows.push([
            order_ref,
            date.get(..10).unwrap_or(date).to_string(),
            if recipient.is_empty() {
                t(&address.company)
            } else {
                recipient
            },
            t(&address.company),
            t(&address.address1),
            t(&address.address2),
            t(&address.town),
            t(&address.county),
            t(&address.postcode),
            t(&address.country),
            t(&address.telephone),
            t(&address.email),
            service.to_string(),
            plain(items),
            format!("{goods:.2}"),
        ]);
    }
    Ok(found)
}

/// RFC 4180 CSV with a header line: CRLF line ends, fields quoted only when needed.
pub fn to_csv(rows: &[[String; 15]]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(COLUMNS)?;
    for row in rows {
        writer.write_record(row)?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const ORDERS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Company>
  <SalesOrders>
    <SalesOrder>
      <Id>456</Id>
      <SalesOrderNumber>789</SalesOrderNumber>
      <SalesOrderDate>2011-01-01T11:11:11</SalesOrderDate>
      <SalesOrderDeliveryAddress>
        <Forename>Ann</Forename><Surname>Smith</Surname><Company>Smith, Jones &amp; Co</Company>
        <Address1>1 High St</Address1><Town>Leeds</Town><Postcode>LS1 1AA</Postcode>
        <Country>GB</Country>
      </SalesOrderDeliveryAddress>
      <SalesOrderItems>
        <Item><Sku>A</Sku><QtyOrdered>2</QtyOrdered><UnitPrice>9.99</UnitPrice></Item>
        <Item><Sku>B</Sku><QtyOrdered>0.5</QtyOrdered><UnitPrice>4</UnitPrice></Item>
      </SalesOrderItems>
    </SalesOrder>
    <SalesOrder>
      <Id>457</Id>
      <SalesOrderAddress><Company>No Postcode Ltd</Company></SalesOrderAddress>
    </SalesOrder>
  </SalesOrders>
</Company>"#;

    fn column<'a>(row: &'a [String; 15], name: &str) -> &'a str {
        &row[COLUMNS.iter().position(|c| *c == name).unwrap()]
    }

    #[test]
    fn an_order_becomes_one_row() {
        let found = consignments(ORDERS, "express").unwrap();
        assert_eq!(found.orders, 2);
        assert_eq!(found.rows.len(), 1);
        let row = &found.rows[0];
        assert_eq!(column(row, "order_ref"), "789");
        assert_eq!(column(row, "order_date"), "2011-01-01");
        assert_eq!(column(row, "recipient"), "Ann Smith");
        assert_eq!(column(row, "postcode"), "LS1 1AA");
        assert_eq!(column(row, "service"), "express");
        assert_eq!(column(row, "items"), "2.5");
        assert_eq!(column(row, "goods_value"), "21.98");
    }

    #[test]
    fn an_order_without_a_postcode_is_left_out_and_said_why() {
        let found = consignments(ORDERS, "standard").unwrap();
        assert_eq!(found.skipped, ["order 457: no delivery postcode"]);
    }

    #[test]
    fn the_csv_quotes_a_comma() {
        let csv = to_csv(&consignments(ORDERS, "standard").unwrap().rows).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        assert!(csv.starts_with(&(COLUMNS.join(",") + "\r\n")));
        assert!(csv.contains("\"Smith, Jones & Co\""));
    }

    #[test]
    fn not_xml_is_refused() {
        assert!(matches!(
            consignments("<Company>", "standard"),
            Err(MappingError::Xml(_))
        ));
    }

    #[test]
    fn another_document_is_refused() {
        let err = consignments("<Orders/>", "standard").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the root element is <Orders>, not a Zynk <Company>"
        );
    }
}
