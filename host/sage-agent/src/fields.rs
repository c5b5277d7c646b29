//! Wharf's records as Sage Data Objects field maps, and back. The runner does this (not the
//! agent), so it is the same on every machine and tested on Linux.
//!
//! Only the fields below travel; a record read back carries the company defaults
//! ([`CompanySettings::default`]) for the rest.

use chrono::NaiveDateTime;
use sage_ledger::{
    Address, AllocationStatus, CompanySettings, Customer, Invoice, InvoiceRequest, InvoiceType,
    ItemKind, LineKind, OrderLine, OrderType, Product, SalesOrder, SalesOrderRequest, TranType,
};

use crate::protocol::{Fields, OrderRecord, Value};

/// Sage 50 UK's default currency list: number 1 is the base currency (pound sterling).
const CURRENCIES: [&str; 3] = ["GBP", "USD", "EUR"];

pub fn currency_number(code: &str) -> Option<i64> {
    CURRENCIES
        .iter()
        .position(|c| c.eq_ignore_ascii_case(code.trim()))
        .map(|i| i as i64 + 1)
}

pub fn currency_code(number: i64) -> String {
    usize::try_from(number - 1)
        .ok()
        .and_then(|i| CURRENCIES.get(i))
        .map_or_else(|| format!("#{number}"), |c| (*c).to_owned())
}

fn text(value: &str) -> Value {
    Value::Text(value.to_owned())
}

fn get_text(fields: &Fields, name: &str) -> String {
    fields.get(name).map(Value::text).unwrap_or_default()
}

fn get_f64(fields: &Fields, name: &str) -> f64 {
    fields.get(name).map(Value::float).unwrap_or(0.0)
}

fn get_i32(fields: &Fields, name: &str) -> i32 {
    fields
        .get(name)
        .map(Value::int)
        .and_then(|v| i32::try_from(v).ok())
        .unwrap_or(0)
}

/// A field Sage filled (an empty VARIANT counts as absent).
fn filled<'a>(fields: &'a Fields, name: &str) -> Option<&'a Value> {
    fields.get(name).filter(|value| **value != Value::Null)
}

fn get_date(fields: &Fields, name: &str) -> Option<NaiveDateTime> {
    fields.get(name).and_then(Value::date)
}

/// Customer ↔ `SalesRecord`: (field, getter, setter) for the text fields.
type TextField = (
    &'static str,
    fn(&Customer) -> &String,
    fn(&mut Customer) -> &mut String,
);

const CUSTOMER_TEXT: &[TextField] = &[
    ("NAME", |c| &c.name, |c| &mut c.name),
    ("ADDRESS_1", |c| &c.street1, |c| &mut c.street1),
    ("ADDRESS_2", |c| &c.street2, |c| &mut c.street2),
    ("ADDRESS_3", |c| &c.town, |c| &mut c.town),
    ("ADDRESS_4", |c| &c.county, |c| &mut c.county),
    ("ADDRESS_5", |c| &c.postcode, |c| &mut c.postcode),
    ("COUNTRY_CODE", |c| &c.country_code, |c| &mut c.country_code),
    ("CONTACT_NAME", |c| &c.contact_name, |c| &mut c.contact_name),
    (
        "TRADE_CONTACT",
        |c| &c.trade_contact,
        |c| &mut c.trade_contact,
    ),
    ("TELEPHONE", |c| &c.telephone, |c| &mut c.telephone),
    ("TELEPHONE_2", |c| &c.telephone2, |c| &mut c.telephone2),
    ("FAX", |c| &c.fax, |c| &mut c.fax),
    ("E_MAIL", |c| &c.email, |c| &mut c.email),
    ("E_MAIL2", |c| &c.email2, |c| &mut c.email2),
    ("E_MAIL3", |c| &c.email3, |c| &mut c.email3),
    ("WEB_ADDRESS", |c| &c.website, |c| &mut c.website),
    ("VAT_REG_NUMBER", |c| &c.vat_number, |c| &mut c.vat_number),
    ("ANALYSIS_1", |c| &c.analysis1, |c| &mut c.analysis1),
    ("ANALYSIS_2", |c| &c.analysis2, |c| &mut c.analysis2),
    ("ANALYSIS_3", |c| &c.analysis3, |c| &mut c.analysis3),
    (
        "DEF_NOM_CODE",
        |c| &c.default_nominal_code,
        |c| &mut c.default_nominal_code,
    ),
    ("TERMS", |c| &c.terms, |c| &mut c.terms),
];

/// The `SalesRecord` fields Wharf writes for `customer`; a currency Sage's default list does
/// not hold is named in the error.
pub fn customer_fields(customer: &Customer) -> Result<Fields, String> {
    let mut fields = Fields::new();
    fields.insert("ACCOUNT_REF".into(), text(&customer.account_ref));
    for (name, get, _) in CUSTOMER_TEXT {
        fields.insert((*name).into(), text(get(customer)));
    }
    fields.insert("DEPT_NUMBER".into(), Value::Int(customer.department.into()));
    fields.insert(
        "DEF_TAX_CODE".into(),
        Value::Int(customer.default_tax_code.into()),
    );
    fields.insert("CREDIT_LIMIT".into(), Value::Float(customer.credit_limit));
    fields.insert(
        "ACCOUNT_STATUS".into(),
        Value::Int(customer.account_status.into()),
    );
    let currency = currency_number(&customer.currency).ok_or_else(|| {
        format!(
            "currency '{}' is not one of Sage's default currencies ({})",
            customer.currency,
            CURRENCIES.join(", ")
        )
    })?;
    fields.insert("CURRENCY".into(), Value::Int(currency));
    Ok(fields)
}

pub fn customer_from(fields: &Fields) -> Customer {
    let today = chrono::Local::now().date_naive();
    let mut customer = Customer::with_defaults(
        &get_text(fields, "ACCOUNT_REF"),
        &CompanySettings::default(),
        today,
    );
    for (name, _, set) in CUSTOMER_TEXT {
        *set(&mut customer) = get_text(fields, name);
    }
    customer.department = get_i32(fields, "DEPT_NUMBER");
    customer.default_tax_code = get_i32(fields, "DEF_TAX_CODE");
    customer.credit_limit = get_f64(fields, "CREDIT_LIMIT");
    customer.account_status = get_i32(fields, "ACCOUNT_STATUS");
    customer.balance = get_f64(fields, "BALANCE");
    customer.currency = currency_code(filled(fields, "CURRENCY").map_or(1, Value::int));
    if let Some(created) = get_date(fields, "RECORD_CREATE_DATE") {
        customer.created = created;
        customer.account_opened = created.date();
    }
    customer.modified = get_date(fields, "RECORD_MODIFY_DATE").unwrap_or(customer.created);
    customer
}

pub fn product_fields(product: &Product) -> Fields {
    let mut fields = Fields::new();
    fields.insert("STOCK_CODE".into(), text(&product.stock_code));
    fields.insert("DESCRIPTION".into(), text(&product.description));
    fields.insert("SALES_PRICE".into(), Value::Float(product.sales_price));
    fields.insert("QTY_IN_STOCK".into(), Value::Float(product.qty_in_stock));
    fields.insert("TAX_CODE".into(), Value::Int(product.tax_code.into()));
    fields.insert("NOMINAL_CODE".into(), text(&product.nominal_code));
    fields.insert("UNIT_OF_SALE".into(), text(&product.unit_of_sale));
    fields.insert("BARCODE".into(), text(&product.barcode));
    fields.insert("WEB_PUBLISH".into(), Value::Bool(product.publish));
    fields.insert("UNIT_WEIGHT".into(), Value::Float(product.unit_weight));
    fields.insert("DEPT_NUMBER".into(), Value::Int(product.department.into()));
    fields.insert("STOCK_CAT".into(), Value::Int(product.category.into()));
    fields.insert("LOCATION".into(), text(&product.location));
    fields.insert("REORDER_LEVEL".into(), Value::Float(product.reorder_level));
    fields.insert("REORDER_QTY".into(), Value::Float(product.reorder_qty));
    fields.insert(
        "ITEM_TYPE".into(),
        Value::Int(match product.item_kind {
            ItemKind::Stock => 1,
            ItemKind::NonStock => 2,
            ItemKind::Service => 3,
        }),
    );
    fields
}

pub fn product_from(fields: &Fields) -> Product {
    let mut product =
        Product::with_defaults(&get_text(fields, "STOCK_CODE"), &CompanySettings::default());
    product.description = get_text(fields, "DESCRIPTION");
    product.sales_price = get_f64(fields, "SALES_PRICE");
    product.qty_in_stock = get_f64(fields, "QTY_IN_STOCK");
    product.qty_allocated = get_f64(fields, "QTY_ALLOCATED");
    product.qty_on_order = get_f64(fields, "QTY_ON_ORDER");
    product.tax_code = get_i32(fields, "TAX_CODE");
    product.nominal_code = get_text(fields, "NOMINAL_CODE");
    product.unit_of_sale = get_text(fields, "UNIT_OF_SALE");
    product.barcode = get_text(fields, "BARCODE");
    product.publish = fields.get("WEB_PUBLISH").is_some_and(Value::bool);
    product.unit_weight = get_f64(fields, "UNIT_WEIGHT");
    product.department = get_i32(fields, "DEPT_NUMBER");
    product.category = get_i32(fields, "STOCK_CAT");
    product.location = get_text(fields, "LOCATION");
    product.reorder_level = get_f64(fields, "REORDER_LEVEL");
    product.reorder_qty = get_f64(fields, "REORDER_QTY");
    product.item_kind = match get_i32(fields, "ITEM_TYPE") {
        2 => ItemKind::NonStock,
        3 => ItemKind::Service,
        _ => ItemKind::Stock,
    };
    product.created = get_date(fields, "RECORD_CREATE_DATE").unwrap_or_default();
    // Sage leaves RECORD_MODIFY_DATE empty on records never changed: the creation counts then.
    product.modified = get_date(fields, "RECORD_MODIFY_DATE").unwrap_or(product.created);
    product
}

fn order_type_number(order_type: OrderType) -> i64 {
    match order_type {
        OrderType::ProductInvoice | OrderType::SopInvoice => 1,
        OrderType::SopQuote => 2,
        OrderType::SopProforma => 3,
    }
}

/// The `SOPPost` header and items for `request` (amounts are Sage's to compute).
pub fn order_fields(request: &SalesOrderRequest, account_ref: &str) -> (Fields, Vec<Fields>) {
    let mut header = Fields::new();
    header.insert("ACCOUNT_REF".into(), text(account_ref));
    header.insert(
        "ORDER_TYPE".into(),
        Value::Int(order_type_number(request.order_type)),
    );
    if let Some(date) = request.order_date {
        header.insert("ORDER_DATE".into(), Value::Date(date));
    }
    for (name, value) in [
        ("CUST_ORDER_NUMBER", &request.customer_order_number),
        ("TAKEN_BY", &request.taken_by),
        ("NOTES_1", &request.notes1),
        ("NOTES_2", &request.notes2),
        ("NOTES_3", &request.notes3),
        ("ANALYSIS_1", &request.custom1),
        ("ANALYSIS_2", &request.custom2),
        ("ANALYSIS_3", &request.custom3),
    ] {
        if !value.is_empty() {
            header.insert(name.into(), text(value));
        }
    }
    if let Some(address) = &request.delivery_address {
        for (name, value) in [
            ("DEL_NAME", &address.name),
            ("DEL_ADDRESS_1", &address.line1),
            ("DEL_ADDRESS_2", &address.line2),
            ("DEL_ADDRESS_3", &address.line3),
            ("DEL_ADDRESS_4", &address.line4),
            ("DEL_ADDRESS_5", &address.line5),
        ] {
            header.insert(name.into(), text(value));
        }
    }
    let items = request
        .lines
        .iter()
        .map(|line| {
            let mut item = Fields::new();
            if let Some(code) = &line.stock_code {
                item.insert("STOCK_CODE".into(), text(code));
            }
            if let Some(description) = &line.description {
                item.insert("DESCRIPTION".into(), text(description));
            }
            item.insert("COMMENT_1".into(), text(&line.comment1));
            item.insert("COMMENT_2".into(), text(&line.comment2));
            if let Some(unit) = &line.unit_of_sale {
                item.insert("UNIT_OF_SALE".into(), text(unit));
            }
            if let Some(quantity) = line.quantity {
                item.insert("QTY_ORDER".into(), Value::Float(quantity));
            }
            if let Some(price) = line.unit_price {
                item.insert("UNIT_PRICE".into(), Value::Float(price));
            }
            if let Some(discount) = line.discount_amount {
                item.insert("DISCOUNT_AMOUNT".into(), Value::Float(discount));
            }
            if let Some(percent) = line.discount_percent {
                item.insert("DISCOUNT_RATE".into(), Value::Float(percent));
            }
            if let Some(code) = &line.nominal_code {
                item.insert("NOMINAL_CODE".into(), text(code));
            }
            if let Some(tax) = line.tax_code {
                item.insert("TAX_CODE".into(), Value::Int(tax.into()));
            }
            if let Some(department) = line.department {
                item.insert("DEPT_NUMBER".into(), Value::Int(department.into()));
            }
            item
        })
        .collect();
    (header, items)
}

/// The request's value of the header field that carries the key, when the request fills it.
pub fn key_field_clash(request: &SalesOrderRequest, key_field: &str) -> Option<String> {
    let (header, _) = order_fields(request, &request.account_ref);
    header
        .get(key_field)
        .map(Value::text)
        .filter(|value| !value.is_empty())
}

fn line_kind(code: &str) -> LineKind {
    match code.to_ascii_uppercase().as_str() {
        "S1" => LineKind::NonStock,
        "S2" | "S3" => LineKind::Service,
        "M" => LineKind::Message,
        _ => LineKind::Stock,
    }
}

pub fn order_from(record: &OrderRecord) -> SalesOrder {
    document_from(record, "ORDER_NUMBER", "ORDER_DATE")
}

/// A sales order or invoice read back; `number_field` and `date_field` name its number and date.
fn document_from(record: &OrderRecord, number_field: &str, date_field: &str) -> SalesOrder {
    let header = &record.header;
    let lines: Vec<OrderLine> = record
        .items
        .iter()
        .enumerate()
        .map(|(index, item)| OrderLine {
            line_number: index as u32 + 1,
            stock_code: get_text(item, "STOCK_CODE"),
            kind: line_kind(&get_text(item, "STOCK_CODE")),
            description: get_text(item, "DESCRIPTION"),
            comment1: get_text(item, "COMMENT_1"),
            comment2: get_text(item, "COMMENT_2"),
            unit_of_sale: get_text(item, "UNIT_OF_SALE"),
            quantity: get_f64(item, "QTY_ORDER"),
            unit_price: get_f64(item, "UNIT_PRICE"),
            discount_amount: get_f64(item, "DISCOUNT_AMOUNT"),
            discount_percent: get_f64(item, "DISCOUNT_RATE"),
            net: get_f64(item, "NET_AMOUNT"),
            tax: get_f64(item, "TAX_AMOUNT"),
            tax_code: get_i32(item, "TAX_CODE"),
            tax_rate: get_f64(item, "TAX_RATE"),
            nominal_code: get_text(item, "NOMINAL_CODE"),
            department: get_i32(item, "DEPT_NUMBER"),
            line_information: String::new(),
            qty_allocated: get_f64(item, "QTY_ALLOCATED"),
            qty_despatched: get_f64(item, "QTY_DESPATCH"),
        })
        .collect();
    let allocatable: Vec<&OrderLine> = lines.iter().filter(|l| l.kind == LineKind::Stock).collect();
    let allocation_status =
        if allocatable.iter().all(|l| l.qty_allocated >= l.quantity) && !allocatable.is_empty() {
            AllocationStatus::FullyAllocated
        } else if allocatable.iter().any(|l| l.qty_allocated > 0.0) {
            AllocationStatus::PartAllocated
        } else {
            AllocationStatus::Unallocated
        };
    let created = get_date(header, "RECORD_CREATE_DATE").unwrap_or_default();
    let address = |prefix: &str, name: &str| sage_ledger::Address {
        name: get_text(header, name),
        line1: get_text(header, &format!("{prefix}1")),
        line2: get_text(header, &format!("{prefix}2")),
        line3: get_text(header, &format!("{prefix}3")),
        line4: get_text(header, &format!("{prefix}4")),
        line5: get_text(header, &format!("{prefix}5")),
        ..sage_ledger::Address::default()
    };
    let items_net = lines.iter().map(|l| l.net).sum::<f64>();
    let items_tax = lines.iter().map(|l| l.tax).sum::<f64>();
    SalesOrder {
        order_number: u32::try_from(filled(header, number_field).map_or(0, Value::int))
            .unwrap_or(0),
        account_ref: get_text(header, "ACCOUNT_REF"),
        order_type: match get_i32(header, "ORDER_TYPE") {
            2 => OrderType::SopQuote,
            3 => OrderType::SopProforma,
            _ => OrderType::SopInvoice,
        },
        order_date: get_date(header, date_field).unwrap_or(created),
        customer_order_number: get_text(header, "CUST_ORDER_NUMBER"),
        taken_by: get_text(header, "TAKEN_BY"),
        notes1: get_text(header, "NOTES_1"),
        notes2: get_text(header, "NOTES_2"),
        notes3: get_text(header, "NOTES_3"),
        custom1: get_text(header, "ANALYSIS_1"),
        custom2: get_text(header, "ANALYSIS_2"),
        custom3: get_text(header, "ANALYSIS_3"),
        despatch_date: None,
        promised_delivery_date: None,
        requested_delivery_date: None,
        invoice_address: address("ADDRESS_", "NAME"),
        delivery_address: address("DEL_ADDRESS_", "DEL_NAME"),
        currency: currency_code(filled(header, "CURRENCY").map_or(1, Value::int)),
        foreign_rate: filled(header, "FOREIGN_RATE").map_or(1.0, Value::float),
        vat_inclusive: false,
        lines,
        carriage: None,
        consignment_no: String::new(),
        courier: None,
        settlement_days: 0,
        settlement_discount: 0.0,
        global_nominal_code: String::new(),
        global_tax_code: None,
        global_details: String::new(),
        global_department: 0,
        net_value_discount: 0.0,
        net_value_discount_tax: 0.0,
        net_value_discount_description: String::new(),
        net_value_discount_comment1: String::new(),
        net_value_discount_comment2: String::new(),
        items_net,
        items_tax,
        total_net: get_f64(header, "NET_AMOUNT"),
        total_tax: get_f64(header, "TAX_AMOUNT"),
        total_gross: get_f64(header, "GROSS_AMOUNT"),
        payment: None,
        allocation_status,
        created,
        modified: get_date(header, "RECORD_MODIFY_DATE").unwrap_or(created),
    }
}

/// Sage Data Objects' transaction type numbers (`TYPE` of `TransactionPost.Header`,
/// `HeaderData` and `SplitData`). Verified only against the fake (docs/sage50.md).
const TRANSACTION_TYPES: [(TranType, i64); 14] = [
    (TranType::SI, 1),
    (TranType::SC, 2),
    (TranType::SR, 3),
    (TranType::SA, 4),
    (TranType::PI, 6),
    (TranType::PC, 7),
    (TranType::PP, 8),
    (TranType::PA, 9),
    (TranType::BP, 11),
    (TranType::BR, 12),
    (TranType::JD, 15),
    (TranType::JC, 16),
    (TranType::SP, 19),
    (TranType::PR, 20),
];

pub fn tran_type_code(kind: TranType) -> i64 {
    TRANSACTION_TYPES
        .iter()
        .find(|(known, _)| *known == kind)
        .map_or(0, |(_, code)| *code)
}

pub fn tran_type_of(code: i64) -> Option<TranType> {
    TRANSACTION_TYPES
        .iter()
        .find(|(_, known)| *known == code)
        .map(|(kind, _)| *kind)
}

/// Sage's `INVOICE_TYPE_CODE` of an invoice type (verified only against the fake).
fn invoice_type_code(kind: InvoiceType) -> i64 {
    match kind {
        InvoiceType::ProductInvoice => 0,
        InvoiceType::ServiceInvoice => 2,
        InvoiceType::ProductCredit => 3,
        InvoiceType::ServiceCredit => 4,
        InvoiceType::ProductProforma => 5,
        InvoiceType::ProductQuotation => 6,
        InvoiceType::ServiceProforma => 7,
    }
}

fn invoice_type_of(code: i64) -> InvoiceType {
    match code {
        2 => InvoiceType::ServiceInvoice,
        3 => InvoiceType::ProductCredit,
        4 => InvoiceType::ServiceCredit,
        5 => InvoiceType::ProductProforma,
        6 => InvoiceType::ProductQuotation,
        7 => InvoiceType::ServiceProforma,
        _ => InvoiceType::ProductInvoice,
    }
}

/// The `InvoicePost` header and items for `request`: the order's fields, with the invoice's
/// type, date and "Order No" (amounts are Sage's to compute).
pub fn invoice_fields(request: &InvoiceRequest, account_ref: &str) -> (Fields, Vec<Fields>) {
    let (mut header, items) = order_fields(&request.document, account_ref);
    header.remove("ORDER_TYPE");
    if let Some(date) = header.remove("ORDER_DATE") {
        header.insert("INVOICE_DATE".into(), date);
    }
    header.insert(
        "INVOICE_TYPE_CODE".into(),
        Value::Int(invoice_type_code(request.invoice_type)),
    );
    if !request.order_number.is_empty() {
        header.insert("ORDER_NUMBER".into(), text(&request.order_number));
    }
    (header, items)
}

/// What the audit trail says about an invoice: its transaction and how much is paid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InvoicePosting {
    pub tran_number: u32,
    pub amount_paid: f64,
    pub modified: Option<NaiveDateTime>,
}

pub fn invoice_from(record: &OrderRecord, posting: Option<InvoicePosting>) -> Invoice {
    let document = document_from(record, "INVOICE_NUMBER", "INVOICE_DATE");
    let header = &record.header;
    let modified = posting
        .and_then(|p| p.modified)
        .map_or(document.modified, |at| at.max(document.modified));
    Invoice {
        invoice_number: document.order_number,
        invoice_type: invoice_type_of(get_i32(header, "INVOICE_TYPE_CODE").into()),
        due_date: None,
        order_number: get_text(header, "ORDER_NUMBER"),
        tran_number: posting.map(|p| p.tran_number),
        payment: None,
        amount_paid: posting.map_or(0.0, |p| p.amount_paid),
        created: document.created,
        modified,
        document,
    }
}

/// The audit trail posting of an invoice (`SI`) or credit note (`SC`): one split per line
/// with an amount, its reference the invoice number. Lines without a nominal code post to
/// `default_nominal` (Sage's product sales nominal).
pub fn invoice_posting(invoice: &Invoice, default_nominal: &str) -> (Fields, Vec<Fields>) {
    let kind = if invoice.invoice_type.is_credit() {
        TranType::SC
    } else {
        TranType::SI
    };
    let document = &invoice.document;
    let mut header = Fields::new();
    header.insert("TYPE".into(), Value::Int(tran_type_code(kind)));
    header.insert("ACCOUNT_REF".into(), text(&document.account_ref));
    header.insert("DATE".into(), Value::Date(document.order_date));
    header.insert(
        "INV_REF".into(),
        Value::Text(invoice.invoice_number.to_string()),
    );
    header.insert("DETAILS".into(), text(&document.customer_order_number));
    let splits = document
        .lines
        .iter()
        .filter(|line| line.net != 0.0 || line.tax != 0.0)
        .map(|line| {
            let mut split = Fields::new();
            let nominal = if line.nominal_code.is_empty() {
                default_nominal
            } else {
                &line.nominal_code
            };
            split.insert("NOMINAL_CODE".into(), text(nominal));
            split.insert("DETAILS".into(), text(&line.description));
            split.insert("DEPT_NUMBER".into(), Value::Int(line.department.into()));
            split.insert("TAX_CODE".into(), Value::Int(line.tax_code.into()));
            split.insert("NET_AMOUNT".into(), Value::Float(line.net));
            split.insert("TAX_AMOUNT".into(), Value::Float(line.tax));
            split
        })
        .collect();
    (header, splits)
}

/// A delivery address read from `SalesDeliveryRecord`.
pub fn delivery_address_from(fields: &Fields) -> Address {
    Address {
        name: get_text(fields, "NAME"),
        line1: get_text(fields, "ADDRESS_1"),
        line2: get_text(fields, "ADDRESS_2"),
        line3: get_text(fields, "ADDRESS_3"),
        line4: get_text(fields, "ADDRESS_4"),
        line5: get_text(fields, "ADDRESS_5"),
        contact_name: get_text(fields, "CONTACT_NAME"),
        country_code: get_text(fields, "COUNTRY_CODE"),
        telephone: get_text(fields, "TELEPHONE"),
        email: get_text(fields, "E_MAIL"),
        ..Address::default()
    }
}

/// A split's (or header's) number field.
pub fn number_of(fields: &Fields, name: &str) -> u32 {
    u32::try_from(fields.get(name).map_or(0, Value::int)).unwrap_or(0)
}

pub fn amount_of(fields: &Fields, name: &str) -> f64 {
    get_f64(fields, name)
}

pub fn text_of(fields: &Fields, name: &str) -> String {
    get_text(fields, name)
}

pub fn date_of(fields: &Fields, name: &str) -> Option<NaiveDateTime> {
    get_date(fields, name)
}
