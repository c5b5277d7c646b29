//! The `Company` document: reading a whole file record by record, and writing it in the Zynk shape.

use std::borrow::Cow;
use std::fmt;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use serde::{Deserialize, Serialize};

use crate::codec;
use crate::contact::ZynkError;
use crate::customer::Customer;
use crate::invoice::Invoice;
use crate::product::Product;
use crate::record::{FieldError, Record};
use crate::sales_order::SalesOrder;
use crate::transaction::Transaction;
use crate::tree::{self, Attribute, Element, SyntaxError, XmlWriter};

/// The collections a Zynk `Company` is serialised with, in the order the product writes them.
/// An empty success file lists them all as `<X />` (≈ 450 bytes, see the docs/zynk-reference.md §2.6 600-byte check).
pub const STANDARD_COLLECTIONS: [&str; 15] = [
    "Products",
    "Styles",
    "Inventories",
    "Customers",
    "Suppliers",
    "SalesOrders",
    "PurchaseOrders",
    "Invoices",
    "ProductGroups",
    "Transactions",
    "TaxRates",
    "Currencies",
    "PriceLists",
    "StockTransactions",
    "PaymentAllocations",
];

const XSI_NAMESPACE: &str = "http://www.w3.org/2001/XMLSchema-instance";
const XSD_NAMESPACE: &str = "http://www.w3.org/2001/XMLSchema";

/// One entry of a record collection: either a typed record or one that could not be read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Parsed<T> {
    Record(T),
    Malformed(MalformedRecord),
}

impl<T> Parsed<T> {
    pub fn as_record(&self) -> Option<&T> {
        match self {
            Parsed::Record(record) => Some(record),
            Parsed::Malformed(_) => None,
        }
    }
}

/// A record whose content does not fit the model (bad number, invalid character, wrong element).
/// The element is kept so that the fail file can carry the data it came with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MalformedRecord {
    /// Record kind (`SalesOrder`), for messages.
    pub kind: String,
    /// 1-based position in its collection.
    pub index: usize,
    /// Name of the identifying element (`Id`, `Sku`) and its text when it could be read.
    pub key_name: String,
    pub key: Option<String>,
    /// The record as read; characters XML forbids are replaced by U+FFFD.
    pub element: Element,
    pub problems: Vec<FieldError>,
    /// Errors to write as the record's first child in a fail file.
    pub errors: Vec<ZynkError>,
}

impl MalformedRecord {
    pub fn error(&self) -> RecordError {
        RecordError {
            kind: self.kind.clone(),
            index: self.index,
            key_name: self.key_name.clone(),
            key: self.key.clone(),
            problems: self.problems.clone(),
        }
    }
}

/// Why a record could not be read, naming the record and every offending field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordError {
    pub kind: String,
    pub index: usize,
    pub key_name: String,
    pub key: Option<String>,
    pub problems: Vec<FieldError>,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.index)?;
        if let Some(key) = &self.key {
            write!(f, " ({} '{}')", self.key_name, key)?;
        }
        f.write_str(" cannot be read: ")?;
        for (position, problem) in self.problems.iter().enumerate() {
            if position > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        f.write_str(".")
    }
}

impl std::error::Error for RecordError {}

/// Why a whole file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error(
        "the file is not UTF-8 text (invalid byte at offset {offset}) and declares no other encoding; save it as UTF-8, or declare its encoding (<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>), and import it again"
    )]
    NotUtf8 { offset: usize },
    /// A declared encoding that is unknown, or bytes that are not valid in it.
    #[error("{0}")]
    Encoding(String),
    #[error("the file has no root element; a Zynk XML file starts with <Company>")]
    NoRoot,
    #[error("the root element is <{found}>, but a Zynk XML file starts with <Company>")]
    NotZynk { found: String },
    #[error("the file is not well-formed XML at line {line}, column {column}{context}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        /// Where the reader was, e.g. ` (in SalesOrder 3)`.
        context: String,
        message: String,
    },
    #[error(transparent)]
    Record(#[from] RecordError),
}

/// A Zynk XML document (docs/zynk-reference.md §3). Only the collections the Sage tasks use are typed; the others are
/// kept as element trees so that nothing is lost when a document is written back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Company {
    /// Attributes of `<Company>` other than the xsi/xsd declarations, which are always written.
    pub attributes: Vec<Attribute>,
    /// `None` when the file has no `<Customers>` element.
    pub customers: Option<Vec<Parsed<Customer>>>,
    pub sales_orders: Option<Vec<Parsed<SalesOrder>>>,
    pub products: Option<Vec<Parsed<Product>>>,
    pub invoices: Option<Vec<Parsed<Invoice>>>,
    pub transactions: Option<Vec<Parsed<Transaction>>>,
    /// Every other collection (`PurchaseOrders`, `StockTransactions`…) that has content, in document order.
    pub other_collections: Vec<Element>,
}

impl Default for Company {
    fn default() -> Self {
        Company::new()
    }
}

/// A document lent (`&company`) to what reads its records, which then copies what it keeps…
impl<'a> From<&'a Company> for Cow<'a, Company> {
    fn from(company: &'a Company) -> Self {
        Cow::Borrowed(company)
    }
}

/// …or handed over (`company`), so its records can be worked on where they are.
impl From<Company> for Cow<'_, Company> {
    fn from(company: Company) -> Self {
        Cow::Owned(company)
    }
}

impl Company {
    /// An empty document.
    pub fn new() -> Self {
        Company {
            attributes: Vec::new(),
            customers: None,
            sales_orders: None,
            products: None,
            invoices: None,
            transactions: None,
            other_collections: Vec::new(),
        }
    }

    pub fn with_customers(customers: Vec<Parsed<Customer>>) -> Self {
        Company {
            customers: Some(customers),
            ..Company::new()
        }
    }

    pub fn with_sales_orders(sales_orders: Vec<Parsed<SalesOrder>>) -> Self {
        Company {
            sales_orders: Some(sales_orders),
            ..Company::new()
        }
    }

    pub fn with_products(products: Vec<Parsed<Product>>) -> Self {
        Company {
            products: Some(products),
            ..Company::new()
        }
    }

    pub fn with_invoices(invoices: Vec<Parsed<Invoice>>) -> Self {
        Company {
            invoices: Some(invoices),
            ..Company::new()
        }
    }

    pub fn with_transactions(transactions: Vec<Parsed<Transaction>>) -> Self {
        Company {
            transactions: Some(transactions),
            ..Company::new()
        }
    }

    /// Reads a document held as bytes, in the encoding its byte order mark or declaration
    /// names (UTF-8 without either), as every Wharf task reads XML.
    pub fn parse_bytes(input: &[u8]) -> Result<Company, ParseError> {
        let text = xml_encoding::decode(input).map_err(|error| match error {
            xml_encoding::EncodingError::NotUtf8 { offset } => ParseError::NotUtf8 { offset },
            other => ParseError::Encoding(other.to_string()),
        })?;
        Company::parse(&text)
    }

    /// Reads a document. Records that do not fit the model become [`Parsed::Malformed`]; only
    /// problems that make the rest of the file unreadable (broken tags) are an `Err`.
    pub fn parse(input: &str) -> Result<Company, ParseError> {
        let input = input.strip_prefix('\u{feff}').unwrap_or(input);
        let mut reader = Reader::from_str(input);
        let syntax = |error: SyntaxError, context: &str| {
            let (line, column) = line_and_column(input, error.position);
            ParseError::Syntax {
                line,
                column,
                context: context.to_owned(),
                message: error.message,
            }
        };

        let (root, root_is_empty) = loop {
            match tree::next_event(&mut reader).map_err(|e| syntax(e, ""))? {
                Event::Start(tag) => break (tag, false),
                Event::Empty(tag) => break (tag, true),
                Event::Eof => return Err(ParseError::NoRoot),
                _ => {}
            }
        };
        let mut ignored = Vec::new();
        let root_element = tree::open_element(&root, &[], &mut ignored);
        if root_element.name != "Company" {
            return Err(ParseError::NotZynk {
                found: root_element.name,
            });
        }
        let mut company = Company::new();
        company.attributes = root_element
            .attributes
            .into_iter()
            .filter(|attribute| attribute.name != "xmlns:xsi" && attribute.name != "xmlns:xsd")
            .collect();
        if root_is_empty {
            return Ok(company);
        }

        loop {
            let event = tree::next_event(&mut reader).map_err(|e| syntax(e, " (in Company)"))?;
            let (tag, is_empty) = match event {
                Event::Start(tag) => (tag, false),
                Event::Empty(tag) => (tag, true),
                Event::End(_) => break,
                Event::Eof => {
                    return Err(syntax(
                        SyntaxError {
                            position: input.len() as u64,
                            message: "the file ends before </Company>".into(),
                        },
                        "",
                    ));
                }
                _ => continue,
            };
            let name = tag.name().as_ref().to_owned();
            match name.as_str() {
                "Customers" => {
                    company.customers = Some(read_collection(&mut reader, &tag, is_empty, &syntax)?)
                }
                "SalesOrders" => {
                    company.sales_orders =
                        Some(read_collection(&mut reader, &tag, is_empty, &syntax)?)
                }
                "Products" => {
                    company.products = Some(read_collection(&mut reader, &tag, is_empty, &syntax)?)
                }
                "Invoices" => {
                    company.invoices = Some(read_collection(&mut reader, &tag, is_empty, &syntax)?)
                }
                "Transactions" => {
                    company.transactions =
                        Some(read_collection(&mut reader, &tag, is_empty, &syntax)?)
                }
                _ => {
                    let context = format!(" (in {name})");
                    let (element, _issues) = tree::read_element(&mut reader, &tag, is_empty)
                        .map_err(|e| syntax(e, &context))?;
                    // An empty standard collection carries nothing: the writer emits it anyway.
                    let is_bare = element.children.is_empty() && element.attributes.is_empty();
                    if !(is_bare && STANDARD_COLLECTIONS.contains(&name.as_str())) {
                        company.other_collections.push(element);
                    }
                }
            }
        }
        loop {
            match tree::next_event(&mut reader).map_err(|e| syntax(e, " (after </Company>)"))? {
                Event::Eof => return Ok(company),
                Event::Start(_) | Event::Empty(_) => {
                    return Err(syntax(
                        SyntaxError {
                            position: reader.buffer_position(),
                            message: "there is a second root element after </Company>".into(),
                        },
                        "",
                    ));
                }
                _ => {}
            }
        }
    }

    /// Like [`Company::parse`], but the first malformed record fails the whole document.
    pub fn parse_strict(input: &str) -> Result<Company, ParseError> {
        let company = Company::parse(input)?;
        let first_malformed = company
            .customers
            .iter()
            .flatten()
            .find_map(malformed_error)
            .or_else(|| {
                company
                    .sales_orders
                    .iter()
                    .flatten()
                    .find_map(malformed_error)
            })
            .or_else(|| company.products.iter().flatten().find_map(malformed_error))
            .or_else(|| company.invoices.iter().flatten().find_map(malformed_error))
            .or_else(|| {
                company
                    .transactions
                    .iter()
                    .flatten()
                    .find_map(malformed_error)
            });
        match first_malformed {
            Some(error) => Err(ParseError::Record(error)),
            None => Ok(company),
        }
    }

    /// Typed customers, skipping malformed ones.
    pub fn customer_records(&self) -> impl Iterator<Item = &Customer> {
        self.customers
            .iter()
            .flatten()
            .filter_map(Parsed::as_record)
    }

    pub fn sales_order_records(&self) -> impl Iterator<Item = &SalesOrder> {
        self.sales_orders
            .iter()
            .flatten()
            .filter_map(Parsed::as_record)
    }

    pub fn product_records(&self) -> impl Iterator<Item = &Product> {
        self.products.iter().flatten().filter_map(Parsed::as_record)
    }

    pub fn invoice_records(&self) -> impl Iterator<Item = &Invoice> {
        self.invoices.iter().flatten().filter_map(Parsed::as_record)
    }

    pub fn transaction_records(&self) -> impl Iterator<Item = &Transaction> {
        self.transactions
            .iter()
            .flatten()
            .filter_map(Parsed::as_record)
    }

    /// Serialises in the Zynk shape: UTF-8 declaration, xsi/xsd declarations on `<Company>`, the
    /// fifteen standard collections in product order (`<X />` when empty), then other collections.
    pub fn to_xml(&self) -> String {
        let mut writer = XmlWriter::new();
        writer.declaration();
        let mut attributes = vec![
            Attribute {
                name: "xmlns:xsi".into(),
                value: XSI_NAMESPACE.into(),
            },
            Attribute {
                name: "xmlns:xsd".into(),
                value: XSD_NAMESPACE.into(),
            },
        ];
        attributes.extend(self.attributes.iter().cloned());
        writer.start("Company", &attributes);
        for name in STANDARD_COLLECTIONS {
            match name {
                "Customers" if self.customers.is_some() => {
                    write_collection(self.customers.as_deref(), name, &mut writer)
                }
                "SalesOrders" if self.sales_orders.is_some() => {
                    write_collection(self.sales_orders.as_deref(), name, &mut writer)
                }
                "Products" if self.products.is_some() => {
                    write_collection(self.products.as_deref(), name, &mut writer)
                }
                "Invoices" if self.invoices.is_some() => {
                    write_collection(self.invoices.as_deref(), name, &mut writer)
                }
                "Transactions" if self.transactions.is_some() => {
                    write_collection(self.transactions.as_deref(), name, &mut writer)
                }
                _ => match self.other_collections.iter().find(|e| e.name == name) {
                    Some(element) => writer.element(element),
                    None => writer.empty(name),
                },
            }
        }
        for element in &self.other_collections {
            if !STANDARD_COLLECTIONS.contains(&element.name.as_str()) {
                writer.element(element);
            }
        }
        writer.end("Company");
        writer.finish()
    }
}

fn malformed_error<T>(entry: &Parsed<T>) -> Option<RecordError> {
    match entry {
        Parsed::Malformed(malformed) => Some(malformed.error()),
        Parsed::Record(_) => None,
    }
}

fn line_and_column(input: &str, position: u64) -> (usize, usize) {
    let end = usize::try_from(position)
        .unwrap_or(usize::MAX)
        .min(input.len());
    let end = (0..=end)
        .rev()
        .find(|&i| input.is_char_boundary(i))
        .unwrap_or(0);
    let before = &input[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn read_collection<T: Record>(
    reader: &mut Reader<&[u8]>,
    wrapper: &BytesStart<'_>,
    is_empty: bool,
    syntax: &impl Fn(SyntaxError, &str) -> ParseError,
) -> Result<Vec<Parsed<T>>, ParseError> {
    let mut records = Vec::new();
    if is_empty {
        return Ok(records);
    }
    let wrapper_name = wrapper.name().as_ref().to_owned();
    loop {
        let index = records.len() + 1;
        let context = format!(" (in {} {index})", T::ELEMENT);
        let event = tree::next_event(reader).map_err(|e| syntax(e, &context))?;
        let (tag, is_empty) = match event {
            Event::Start(tag) => (tag, false),
            Event::Empty(tag) => (tag, true),
            Event::End(_) => {
                // The doubling growth leaves up to half the records' room unused for as long
                // as the document is held (a whole import): give it back.
                records.shrink_to_fit();
                return Ok(records);
            }
            Event::Eof => {
                return Err(syntax(
                    SyntaxError {
                        position: reader.buffer_position(),
                        message: format!("the file ends before </{wrapper_name}>"),
                    },
                    "",
                ));
            }
            _ => continue,
        };
        let (element, issues) =
            tree::read_element(reader, &tag, is_empty).map_err(|e| syntax(e, &context))?;
        records.push(map_record::<T>(element, issues, index, &wrapper_name));
    }
}

fn map_record<T: Record>(
    element: Element,
    issues: Vec<tree::ContentIssue>,
    index: usize,
    wrapper_name: &str,
) -> Parsed<T> {
    let problems = if element.name != T::ELEMENT {
        vec![FieldError::new(
            "",
            format!(
                "is a <{}> element, but <{wrapper_name}> may only hold <{}> elements",
                element.name,
                T::ELEMENT
            ),
        )]
    } else if !issues.is_empty() {
        issues
            .iter()
            .map(|issue| {
                FieldError::new(
                    tree::describe_path(&element, &issue.child_path),
                    issue.problem.clone(),
                )
            })
            .collect()
    } else {
        match T::from_element(&element) {
            Ok(record) => return Parsed::Record(record),
            Err(problems) => problems,
        }
    };
    let identified_by = T::KEYS.iter().find_map(|name| {
        let text = element.child(name)?.text().trim().to_owned();
        (!text.is_empty()).then_some((*name, text))
    });
    let (key_name, key) = match identified_by {
        Some((name, text)) => (name, Some(text)),
        None => (T::KEYS[0], None),
    };
    Parsed::Malformed(MalformedRecord {
        kind: T::ELEMENT.to_owned(),
        index,
        key_name: key_name.to_owned(),
        key,
        element,
        problems,
        errors: Vec::new(),
    })
}

fn write_collection<T: Record>(records: Option<&[Parsed<T>]>, name: &str, writer: &mut XmlWriter) {
    let records = records.unwrap_or_default();
    if records.is_empty() {
        writer.empty(name);
        return;
    }
    writer.start(name, &[]);
    for entry in records {
        match entry {
            Parsed::Record(record) => record.write(T::ELEMENT, writer),
            Parsed::Malformed(malformed) => write_malformed(malformed, writer),
        }
    }
    writer.end(name);
}

/// Writes a malformed record as read, with its new `Errors` (if any) as the first child.
fn write_malformed(malformed: &MalformedRecord, writer: &mut XmlWriter) {
    let element = &malformed.element;
    writer.start(&element.name, &element.attributes);
    let replaces_errors = !malformed.errors.is_empty();
    codec::errors::write(&malformed.errors, "Errors", "Error", writer);
    for child in element.child_elements() {
        if !(replaces_errors && child.name == "Errors") {
            writer.element(child);
        }
    }
    writer.end(&element.name);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(line_and_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_and_column("", 0), (1, 1));
    }
}
