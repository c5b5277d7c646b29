//! Zynk XML ↔ ledger structs.

use zynk_xml::{Contact, ItemType, XmlDateTime};

use crate::account_refs::NameParts;
use crate::addresses::Address;
use crate::customers::{Customer, DiscountScheme, PaymentDueFrom};
use crate::orders::LineKind;
use crate::products::{ItemKind, Product};

pub(crate) fn non_blank(value: &Option<String>) -> Option<&str> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
}

/// Sage's five address lines from a Contact: Address3 and Town share line 3, County is line 4,
/// Postcode line 5 (docs/zynk-reference.md §3.4).
pub(crate) fn address_from_contact(contact: &Contact) -> Address {
    let line3 = [&contact.address3, &contact.town]
        .into_iter()
        .filter_map(non_blank)
        .collect::<Vec<_>>()
        .join(", ");
    let text = |value: &Option<String>| value.as_deref().unwrap_or_default().trim().to_owned();
    Address {
        name: contact.company_or_full_name(),
        contact_name: contact.full_name(),
        line1: text(&contact.address1),
        line2: text(&contact.address2),
        line3,
        line4: text(&contact.county),
        line5: text(&contact.postcode),
        country_code: text(&contact.country),
        telephone: text(&contact.telephone),
        fax: text(&contact.fax),
        email: text(&contact.email),
    }
}

/// Name parts for reference generation and account names.
pub(crate) struct OwnedNames {
    pub company: String,
    pub forename: String,
    pub surname: String,
    pub full_name: String,
}

impl OwnedNames {
    pub(crate) fn new(company: Option<&str>, contact: Option<&Contact>) -> Self {
        let part = |value: Option<&String>| value.map(|v| v.trim().to_owned()).unwrap_or_default();
        let contact_company = contact.and_then(|c| non_blank(&c.company));
        OwnedNames {
            company: company
                .or(contact_company)
                .unwrap_or_default()
                .trim()
                .to_owned(),
            forename: part(contact.and_then(|c| c.forename.as_ref())),
            surname: part(contact.and_then(|c| c.surname.as_ref())),
            full_name: contact.map(Contact::full_name).unwrap_or_default(),
        }
    }

    pub(crate) fn parts(&self) -> NameParts<'_> {
        NameParts {
            company: &self.company,
            forename: &self.forename,
            surname: &self.surname,
            full_name: &self.full_name,
        }
    }

    /// The account name: company, else the full name (docs/zynk-reference.md §3.3).
    pub(crate) fn account_name(&self) -> String {
        if self.company.is_empty() {
            self.full_name.clone()
        } else {
            self.company.clone()
        }
    }
}

fn set_text(target: &mut String, value: &Option<String>) {
    if let Some(value) = value {
        *target = value.trim().to_owned();
    }
}

/// Copies an invoice Contact onto the account's own address and contact fields. Only elements
/// present in the data change anything; an empty element clears the field.
pub(crate) fn apply_contact(customer: &mut Customer, contact: &Contact) {
    set_text(&mut customer.street1, &contact.address1);
    set_text(&mut customer.street2, &contact.address2);
    set_text(&mut customer.town, &contact.town);
    set_text(&mut customer.county, &contact.county);
    set_text(&mut customer.postcode, &contact.postcode);
    set_text(&mut customer.country_code, &contact.country);
    set_text(&mut customer.telephone, &contact.telephone);
    set_text(&mut customer.telephone2, &contact.mobile);
    set_text(&mut customer.fax, &contact.fax);
    set_text(&mut customer.email, &contact.email);
    set_text(&mut customer.website, &contact.website);
    set_text(&mut customer.trade_contact, &contact.trade_contact);
    let full_name = contact.full_name();
    if !full_name.is_empty() {
        customer.contact_name = full_name;
    }
}

/// Copies the account-level fields of a Zynk customer. Returns warnings for values ignored.
pub(crate) fn apply_customer_fields(
    customer: &mut Customer,
    xml: &zynk_xml::Customer,
    is_new: bool,
) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Some(name) = non_blank(&xml.company_name) {
        customer.name = name.to_owned();
    }
    set_text(&mut customer.vat_number, &xml.vat_number);
    set_text(&mut customer.analysis1, &xml.analysis1);
    set_text(&mut customer.analysis2, &xml.analysis2);
    set_text(&mut customer.analysis3, &xml.analysis3);
    if let Some(department) = xml
        .department
        .or(xml.department_info.as_ref().and_then(|info| info.reference))
    {
        customer.department = department;
    }
    set_text(&mut customer.default_nominal_code, &xml.nominal_code);
    if let Some(flag) = xml.override_nominal_code {
        customer.use_default_nominal_code = flag;
    }
    if let Some(code) = xml.tax_code {
        customer.default_tax_code = code;
    }
    if let Some(flag) = xml.override_tax_code {
        customer.use_default_tax_code = flag;
    }
    if let Some(currency) = non_blank(&xml.currency) {
        if is_new {
            customer.currency = currency.to_ascii_uppercase();
        } else if !currency.eq_ignore_ascii_case(&customer.currency) {
            warnings.push(format!(
                "the currency {currency} was ignored: Sage fixes an account's currency when it is created, and '{}' trades in {}",
                customer.account_ref, customer.currency
            ));
        }
    }
    if let Some(rate) = xml.fixed_discount {
        customer.discount_rate = rate;
    }
    if let Some(kind) = xml.discount_type {
        customer.discount_scheme = match kind {
            zynk_xml::DiscountType::NoDiscount => DiscountScheme::NoDiscount,
            zynk_xml::DiscountType::InvoiceValue => DiscountScheme::InvoiceValue,
            zynk_xml::DiscountType::DiscountTable => DiscountScheme::DiscountTable,
        };
    }
    set_text(&mut customer.discount_table, &xml.discount_table);
    set_text(&mut customer.price_list_ref, &xml.price_list_reference);
    if let Some(limit) = xml.credit_limit {
        customer.credit_limit = limit;
    }
    if let Some(days) = xml.settlement_days {
        customer.settlement_days = days;
    }
    if let Some(discount) = xml.settlement_discount {
        customer.settlement_discount = discount;
    }
    if let Some(days) = xml.payment_days {
        customer.payment_days = days;
    }
    if let Some(due) = xml.payment_due_from {
        customer.payment_due_from = match due {
            zynk_xml::PaymentDueFrom::DaysAfterInvoiceDate => PaymentDueFrom::DaysAfterInvoiceDate,
            zynk_xml::PaymentDueFrom::DaysFromFirstDayOfFollowingMonth => {
                PaymentDueFrom::DaysFromFirstDayOfFollowingMonth
            }
            zynk_xml::PaymentDueFrom::DaysBeforeLastDayOfFollowingMonth => {
                PaymentDueFrom::DaysBeforeLastDayOfFollowingMonth
            }
            zynk_xml::PaymentDueFrom::DayOfMonth => PaymentDueFrom::DayOfMonth,
            zynk_xml::PaymentDueFrom::DaysFromOneMonthAfterInvoiceDate => {
                PaymentDueFrom::DaysFromOneMonthAfterInvoiceDate
            }
        };
    }
    set_text(&mut customer.terms, &xml.terms);
    if let Some(status) = xml.account_status {
        customer.account_status = status;
    }
    set_text(&mut customer.duns_number, &xml.duns_number);
    if let Some(agreed) = xml.terms_agreed {
        customer.terms_agreed = agreed;
    }
    if let Some(on_hold) = xml.account_on_hold {
        customer.on_hold = on_hold;
    }
    if let (true, Some(opened)) = (is_new, &xml.account_opened) {
        customer.account_opened = opened.naive_local().date();
    }
    set_text(&mut customer.memo, &xml.memo);
    if let Some(restrict) = xml.restrict_mailing {
        customer.restrict_mailing = restrict;
    }
    if let Some(flag) = xml.send_electronic_invoice {
        customer.send_electronic_invoice = flag;
    }
    if let Some(flag) = xml.send_electronic_letter {
        customer.send_electronic_letter = flag;
    }
    if let Some(active) = xml.is_active {
        customer.inactive = !active;
    }
    if let Some(bank) = xml.banks.first() {
        set_text(&mut customer.bank_name, &bank.bank_name);
        set_text(&mut customer.bank_account_name, &bank.account_name);
        set_text(&mut customer.bank_sort_code, &bank.sort_code);
        set_text(&mut customer.bank_account_number, &bank.account_number);
        set_text(&mut customer.bank_bacs_ref, &bank.bacs_ref);
        set_text(&mut customer.bank_iban, &bank.iban);
        set_text(&mut customer.bank_bic_swift, &bank.bic_swift);
    }
    warnings
}

pub(crate) fn item_type_of(kind: LineKind) -> Option<ItemType> {
    match kind {
        LineKind::Stock => Some(ItemType::Stock),
        LineKind::NonStock => Some(ItemType::NonStock),
        LineKind::Service => Some(ItemType::Service),
        LineKind::Message => None,
    }
}

fn text(value: &str) -> Option<String> {
    Some(value.to_owned())
}

/// A stock record as Export Stock Records writes it: every property, nils included (docs/zynk-reference.md §3.1).
pub(crate) fn product_to_xml(product: &Product) -> zynk_xml::Product {
    let image = text(&product.web_image_file);
    zynk_xml::Product {
        sku: text(&product.stock_code),
        unique_id: text(&product.stock_code),
        barcode: text(&product.barcode),
        name: text(&product.description),
        description: text(&product.web_description),
        long_description: text(&product.web_details),
        image_url: image.clone(),
        thumbnail_url: image.clone(),
        custom1: text(&product.web_category1),
        custom2: text(&product.web_category2),
        custom3: text(&product.web_category3),
        sale_price: Some(product.sales_price),
        unit_weight: Some(product.unit_weight),
        qty_in_stock: Some(product.qty_in_stock),
        qty_on_order: Some(product.qty_on_order),
        reorder_qty: Some(product.reorder_qty),
        reorder_level: Some(product.reorder_level),
        tax_code: Some(product.tax_code),
        group_code: Some(product.category),
        department: Some(product.department),
        unit_of_sale: text(&product.unit_of_sale),
        nominal_code: text(&product.nominal_code),
        publish: Some(product.publish),
        product_level: Some(0),
        special_offer: Some(product.special_offer),
        qty_allocated: Some(product.qty_allocated),
        image_name: image,
        last_cost_price: Some(product.last_cost_price),
        last_cost_price_discounted: Some(product.last_cost_price_discounted),
        qty_last_order: Some(product.qty_last_order),
        average_cost_price: Some(product.average_cost_price),
        standard_cost_price: Some(product.standard_cost_price),
        rrp_price: product.rrp_price,
        item_type: Some(match product.item_kind {
            ItemKind::Stock => ItemType::Stock,
            ItemKind::NonStock => ItemType::NonStock,
            ItemKind::Service => ItemType::Service,
        }),
        date_modified: Some(XmlDateTime::from_naive(product.modified)),
        inactive_date: product.inactive_date.map(XmlDateTime::from_naive),
        is_active: Some(!product.inactive),
        supplier_account_ref: text(&product.supplier_account_ref),
        commodity_code: text(&product.commodity_code),
        intrastat_commodity_code: text(&product.intrastat_commodity_code),
        purchase_nominal_code: text(&product.purchase_nominal_code),
        memo: text(&product.memo),
        supplier_part_no: text(&product.supplier_part_no),
        location: text(&product.location),
        allow_sales_order: Some(product.allow_sales_order),
        use_description_on_docs: Some(product.use_description_on_docs),
        ..zynk_xml::Product::default()
    }
}
