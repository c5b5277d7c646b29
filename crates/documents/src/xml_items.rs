//! The XML repeater's items (docs/documents.md): one item per node an XPath 1.0 query selects,
//! evaluated by Wharf's XSLT engine (`wharf-xslt`), with the node's values as the item's
//! `current` variables:
//!
//! - each attribute of the node, by its name;
//! - each child element, by its name, with its text (the first when a name repeats);
//! - each deeper element by its path below the node (`CustomerInvoiceAddress/Forename`), so
//!   values Zynk reaches through `Context.Object.SelectSingleNode(...)` are plain variables;
//! - a selected attribute or text node gives `Value`.

use quick_xml::{Reader, XmlVersion, events::Event};
use wharf_xslt::{Context, NoResolver, Stylesheet};

/// One item: variable name → value, in document order.
pub type Item = Vec<(String, String)>;

/// Why the items could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum ItemsError {
    /// The query is not an XPath 1.0 expression.
    #[error("`{query}` is not an XPath expression: {cause}")]
    Query {
        /// The query.
        query: String,
        /// The engine's explanation.
        cause: String,
    },
    /// The input is not XML, or the query fails on it (it selects no nodes, say).
    #[error("{0}")]
    Input(String),
}

/// Lists the nodes `query` selects in the XML document `input` (in the encoding it declares).
/// A relative query (`Company/Customers/Customer`) is taken from the document's root.
pub fn items(input: &[u8], query: &str) -> Result<Vec<Item>, ItemsError> {
    let stylesheet = selector(query)?;
    let output = stylesheet
        .transform(input, &[], &mut Context::default())
        .map_err(|e| ItemsError::Input(e.to_string()))?;
    read_items(&output.bytes).map_err(ItemsError::Input)
}

/// A stylesheet that copies every selected node into an `<item>`.
fn selector(query: &str) -> Result<Stylesheet, ItemsError> {
    let escaped = query
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;");
    let text = format!(
        r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="xml" encoding="UTF-8" omit-xml-declaration="yes"/>
<xsl:template match="/"><items><xsl:for-each select="{escaped}"><item><xsl:choose>
<xsl:when test="self::* or count(. | ../@*) = count(../@*)"><xsl:copy-of select="."/></xsl:when>
<xsl:otherwise><value><xsl:value-of select="."/></value></xsl:otherwise>
</xsl:choose></item></xsl:for-each></items></xsl:template>
</xsl:stylesheet>"#
    );
    Stylesheet::compile(&text, "xml-repeater", &NoResolver).map_err(|e| ItemsError::Query {
        query: query.to_string(),
        cause: e.to_string(),
    })
}

/// Reads the selector's output back into items.
fn read_items(xml: &[u8]) -> Result<Vec<Item>, String> {
    let mut reader = Reader::from_reader(xml);
    let mut items = Vec::new();
    let mut current: Option<Item> = None;
    // Element names below the item's node, the node itself first.
    let mut path: Vec<String> = Vec::new();
    // Text gathered for each open element (an element's text is all text inside it).
    let mut texts: Vec<String> = Vec::new();
    let mut buffer = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buffer)
            .map_err(|e| format!("cannot read the selected nodes: {e}"))?;
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(start) | Event::Empty(start)
                if current.is_none() && start.name().as_ref() == "item" =>
            {
                let mut item = Item::new();
                // A selected attribute arrives as an attribute of `<item>`.
                for attribute in start.attributes().flatten() {
                    let value = attribute
                        .normalized_value(XmlVersion::Implicit1_0)
                        .map_err(|e| e.to_string())?;
                    item.push(("Value".into(), value.into_owned()));
                }
                if empty {
                    items.push(item);
                } else {
                    current = Some(item);
                }
            }
            Event::End(end) if path.is_empty() && end.name().as_ref() == "item" => {
                items.extend(current.take());
            }
            Event::Start(start) | Event::Empty(start) if current.is_some() => {
                let name = start.name().as_ref().to_string();
                let item = current.as_mut().expect("inside an item");
                if path.is_empty() {
                    for attribute in start.attributes().flatten() {
                        let key = attribute.key.as_ref().to_string();
                        if key == "xmlns" || key.starts_with("xmlns:") {
                            continue;
                        }
                        let value = attribute
                            .normalized_value(XmlVersion::Implicit1_0)
                            .map_err(|e| e.to_string())?;
                        set(item, key, value.into_owned());
                    }
                }
                path.push(name);
                texts.push(String::new());
                if empty {
                    close(item, &mut path, &mut texts);
                }
            }
            Event::End(_) if current.is_some() => {
                let item = current.as_mut().expect("inside an item");
                close(item, &mut path, &mut texts);
            }
            Event::Text(text) if current.is_some() => {
                add_text(&mut texts, &text.xml10_content());
            }
            Event::GeneralRef(reference) if current.is_some() => {
                let name = reference.into_inner();
                let resolved = crate::names::resolve_entity(&name)
                    .ok_or_else(|| format!("unknown entity `&{name};`"))?;
                add_text(&mut texts, resolved.encode_utf8(&mut [0; 4]));
            }
            Event::CData(data) if current.is_some() => {
                add_text(&mut texts, &data.into_inner());
            }
            Event::Eof => break,
            _ => {}
        }
        buffer.clear();
    }
    Ok(items)
}

fn add_text(texts: &mut [String], text: &str) {
    for open in texts.iter_mut() {
        open.push_str(text);
    }
}

/// Ends the innermost open element: below the item's node it becomes a variable named by its
/// path; the node itself gives `Value` when it has no children (a selected text node).
fn close(item: &mut Item, path: &mut Vec<String>, texts: &mut Vec<String>) {
    let text = texts.pop().unwrap_or_default();
    if path.len() > 1 {
        set(item, path[1..].join("/"), text);
    } else if path.first().is_some_and(|n| n == "value") && item.is_empty() {
        set(item, "Value".into(), text);
    }
    path.pop();
}

/// The first value of a name wins, as `SelectSingleNode` finds the first.
fn set(item: &mut Item, name: String, value: String) {
    if !item.iter().any(|(n, _)| *n == name) {
        item.push((name, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPANY: &str = r#"<?xml version="1.0"?>
<Company>
  <Customers>
    <Customer Id="7">
      <AccountReference>A1D001</AccountReference>
      <CompanyName>A1 Design &amp; Print</CompanyName>
      <Balance>0</Balance>
      <CustomerInvoiceAddress>
        <Forename>Jim</Forename>
        <Address2 />
      </CustomerInvoiceAddress>
    </Customer>
    <Customer>
      <AccountReference>BBS001</AccountReference>
      <Balance>4309.77</Balance>
    </Customer>
  </Customers>
</Company>"#;

    fn get<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
        item.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn the_documented_customers() {
        let items = items(COMPANY.as_bytes(), "Company/Customers/Customer").unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(get(&items[0], "Id"), Some("7"));
        assert_eq!(get(&items[0], "AccountReference"), Some("A1D001"));
        assert_eq!(get(&items[0], "CompanyName"), Some("A1 Design & Print"));
        assert_eq!(
            get(&items[0], "CustomerInvoiceAddress/Forename"),
            Some("Jim")
        );
        assert_eq!(get(&items[0], "CustomerInvoiceAddress/Address2"), Some(""));
        assert_eq!(get(&items[1], "Balance"), Some("4309.77"));
        assert_eq!(get(&items[1], "CompanyName"), None);
    }

    #[test]
    fn full_xpath_predicates_attributes_and_text() {
        let items_over = |q: &str| items(COMPANY.as_bytes(), q).unwrap();
        assert_eq!(items_over("//Customer[Balance > 0]").len(), 1);
        assert_eq!(
            items_over("/Company/Customers/Customer[1]/@Id")[0],
            vec![("Value".into(), "7".into())]
        );
        assert_eq!(
            items_over("//AccountReference/text()"),
            vec![
                vec![("Value".to_string(), "A1D001".to_string())],
                vec![("Value".to_string(), "BBS001".to_string())]
            ]
        );
        assert!(items_over("/Company/Nothing").is_empty());
    }

    #[test]
    fn bad_queries_and_inputs_are_named() {
        let error = items(COMPANY.as_bytes(), "Company/[").unwrap_err();
        assert!(matches!(error, ItemsError::Query { .. }), "{error}");
        let error = items(COMPANY.as_bytes(), "\"><xsl:message terminate=\"yes\"/>").unwrap_err();
        assert!(matches!(error, ItemsError::Query { .. }), "{error}");
        let error = items(COMPANY.as_bytes(), "count(//Customer)").unwrap_err();
        assert!(matches!(error, ItemsError::Input(_)), "{error}");
        let error = items(b"<a><b></a>", "a").unwrap_err();
        assert!(matches!(error, ItemsError::Input(_)), "{error}");
    }
}
