//! Line and carriage defaults and amounts (docs/zynk-reference.md §5.6, §5.9).

use chrono::NaiveDateTime;
use rusqlite::Connection;

use super::vat::Charge;
use super::{
    CarriageLine, CarriageRequest, LineKind, OrderImportOptions, OrderLine, OrderLineRequest,
};
use crate::company::CompanySettings;
use crate::customers::Customer;
use crate::error::{LedgerError, LedgerResult, Rejection};
use crate::products::{self, ItemKind, Product};
use crate::reference;
use crate::sql::round_money;

/// Everything line pricing depends on that is the same for the whole order.
pub(super) struct PricingContext<'a> {
    pub company: &'a CompanySettings,
    pub customer: &'a Customer,
    pub options: &'a OrderImportOptions,
    /// Unit prices are VAT-inclusive (task setting or the order's own flag).
    pub vat_inclusive: bool,
    /// Order-currency amount × this = account-currency amount.
    pub conversion: f64,
    /// Base-currency amount (product prices) × this = account-currency amount.
    pub base_to_account: f64,
    /// Delivery country, for the VAT Settings rules.
    pub destination_country: String,
}

impl PricingContext<'_> {
    fn destination_tax_code(&self, charge: Charge) -> Option<i32> {
        self.options.vat_settings.code_for(
            &self.destination_country,
            &self.company.country_code,
            !self.customer.vat_number.trim().is_empty(),
            charge,
        )
    }
}

/// Net unit price, net discount per unit, line net and tax.
struct Amounts {
    unit_net: f64,
    discount_net: f64,
    net: f64,
    tax: f64,
}

/// Works out line amounts. VAT-inclusive prices are netted down after multiplying out, so the
/// line's gross is exactly quantity × gross price and net + tax add up to it.
fn amounts(
    quantity: f64,
    unit_price: f64,
    discount: f64,
    rate: f64,
    vat_inclusive: bool,
) -> Amounts {
    let factor = 1.0 + rate / 100.0;
    if vat_inclusive {
        let gross = round_money(quantity * (unit_price - discount));
        let net = round_money(gross / factor);
        Amounts {
            unit_net: unit_price / factor,
            discount_net: discount / factor,
            net,
            tax: round_money(gross - net),
        }
    } else {
        let net = round_money(quantity * (unit_price - discount));
        Amounts {
            unit_net: unit_price,
            discount_net: discount,
            net,
            tax: round_money(net * rate / 100.0),
        }
    }
}

/// Attaches the line number to a rule violation.
fn on_line<T>(line_number: usize, result: LedgerResult<T>) -> LedgerResult<T> {
    result.map_err(|error| match error {
        LedgerError::Rejected(rejection) => LedgerError::Rejected(rejection.on_line(line_number)),
        other => other,
    })
}

fn special_kind(code: &str) -> Option<LineKind> {
    match code.to_ascii_uppercase().as_str() {
        "S1" => Some(LineKind::NonStock),
        "S2" | "S3" => Some(LineKind::Service),
        "M" => Some(LineKind::Message),
        _ => None,
    }
}

fn non_blank(value: &Option<String>) -> Option<&str> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
}

/// Prices one line, creating its product when allowed. `products_created` collects new codes.
pub(super) fn price_line(
    conn: &Connection,
    stamp: NaiveDateTime,
    context: &PricingContext<'_>,
    line_number: usize,
    request: &OrderLineRequest,
    products_created: &mut Vec<String>,
) -> LedgerResult<OrderLine> {
    on_line(
        line_number,
        price_line_inner(conn, stamp, context, line_number, request, products_created),
    )
}

fn price_line_inner(
    conn: &Connection,
    stamp: NaiveDateTime,
    context: &PricingContext<'_>,
    line_number: usize,
    request: &OrderLineRequest,
    products_created: &mut Vec<String>,
) -> LedgerResult<OrderLine> {
    let company = context.company;
    let customer = context.customer;
    let code = match non_blank(&request.stock_code) {
        Some(code) => code.to_owned(),
        None => match context.options.default_product_code.trim() {
            "" => return Err(Rejection::ProductCodeMissing.into()),
            default => default.to_owned(),
        },
    };

    // The product (existing, or a template to create once the price is known).
    let special = special_kind(&code);
    let (product, is_new) = match special {
        Some(_) => (None, false),
        None => match products::find(conn, &code)? {
            Some(product) => (Some(product), false),
            None if context.options.auto_create_products => {
                let code = products::normalise_stock_code(&code)?;
                let mut template = Product::with_defaults(&code, company);
                template.description = non_blank(&request.description).unwrap_or(&code).to_owned();
                (Some(template), true)
            }
            None => {
                return Err(Rejection::ProductNotFound(code).into());
            }
        },
    };
    let kind = match (special, &product) {
        (Some(kind), _) => kind,
        (None, Some(product)) => match product.item_kind {
            ItemKind::Stock => LineKind::Stock,
            ItemKind::NonStock => LineKind::NonStock,
            ItemKind::Service => LineKind::Service,
        },
        (None, None) => LineKind::NonStock,
    };

    let quantity = match (kind, request.quantity) {
        (LineKind::Message, _) => 0.0,
        (_, None) => return Err(Rejection::QuantityMissing.into()),
        (_, Some(quantity)) if quantity <= 0.0 => {
            return Err(Rejection::QuantityNotPositive(quantity).into());
        }
        (_, Some(quantity)) => quantity,
    };

    let tax_code = context
        .destination_tax_code(Charge::Goods)
        .or(request.tax_code)
        .or(customer
            .use_default_tax_code
            .then_some(customer.default_tax_code))
        .or(product.as_ref().map(|p| p.tax_code))
        .unwrap_or(company.product_defaults.tax_code);
    let customer_nominal = customer.default_nominal_code.trim();
    let nominal_code = non_blank(&request.nominal_code)
        .or(
            (customer.use_default_nominal_code && !customer_nominal.is_empty())
                .then_some(customer_nominal),
        )
        .or(product
            .as_ref()
            .map(|p| p.nominal_code.trim())
            .filter(|code| !code.is_empty()))
        .unwrap_or(&company.product_defaults.nominal_code)
        .to_owned();
    let department = request
        .department
        .or(product.as_ref().map(|p| p.department))
        .unwrap_or(0);

    let (tax_rate, nominal_code) = if kind == LineKind::Message {
        (0.0, nominal_code)
    } else {
        let rate = reference::require_tax_code(conn, tax_code)?.rate;
        reference::require_nominal(conn, &nominal_code)?;
        (rate, nominal_code)
    };
    reference::require_department(department)?;

    // Prices: from the data (in order currency, converted) or the product (base currency).
    let unit_price = match (kind, request.unit_price) {
        (LineKind::Message, _) => 0.0,
        (_, Some(price)) => price * context.conversion,
        (_, None) if is_new => 0.0,
        (_, None) => product
            .as_ref()
            .map_or(0.0, |p| p.sales_price * context.base_to_account),
    };
    let discount = match (request.discount_amount, request.discount_percent) {
        (Some(amount), _) => amount * context.conversion,
        (None, Some(percent)) => unit_price * percent / 100.0,
        (None, None) => 0.0,
    };
    if discount < 0.0 {
        return Err(Rejection::NegativeAmount {
            what: "unit discount".into(),
            amount: discount,
        }
        .into());
    }
    let computed = amounts(
        quantity,
        unit_price,
        discount,
        tax_rate,
        context.vat_inclusive,
    );

    let description = non_blank(&request.description)
        .map(str::to_owned)
        .or_else(|| product.as_ref().map(|p| p.description.clone()))
        .unwrap_or_default();
    let unit_of_sale = non_blank(&request.unit_of_sale)
        .map(str::to_owned)
        .or_else(|| product.as_ref().map(|p| p.unit_of_sale.clone()))
        .unwrap_or_default();

    let stock_code = match (is_new, product) {
        (true, Some(mut template)) => {
            // docs/zynk-reference.md §5.6 [I]: a created product takes the line's name and (net, base-currency) price.
            template.sales_price = computed.unit_net / context.base_to_account;
            let created = products::insert(conn, stamp, &template)?;
            products_created.push(created.stock_code.clone());
            created.stock_code
        }
        (_, Some(product)) => product.stock_code,
        (_, None) => code.to_ascii_uppercase(),
    };

    let mut line = OrderLine {
        line_number: line_number as u32,
        stock_code,
        kind,
        description,
        comment1: request.comment1.clone(),
        comment2: request.comment2.clone(),
        unit_of_sale,
        quantity,
        unit_price: computed.unit_net,
        discount_amount: computed.discount_net,
        discount_percent: request.discount_percent.unwrap_or(0.0),
        net: computed.net,
        tax: computed.tax,
        tax_code,
        tax_rate,
        nominal_code,
        department,
        line_information: request.line_information.clone(),
        qty_allocated: 0.0,
        qty_despatched: 0.0,
    };
    fit_line(&mut line);
    Ok(line)
}

fn fit_line(line: &mut OrderLine) {
    for (field, max) in [
        (&mut line.description, 60),
        (&mut line.comment1, 60),
        (&mut line.comment2, 60),
        (&mut line.unit_of_sale, 8),
        (&mut line.line_information, 60),
    ] {
        crate::sql::fit(field, max);
    }
}

/// Prices the carriage: tax from VAT Settings, else the order, else the company default (T1).
pub(super) fn price_carriage(
    conn: &Connection,
    context: &PricingContext<'_>,
    request: &CarriageRequest,
) -> LedgerResult<CarriageLine> {
    price_carriage_inner(conn, context, request).map_err(|error| match error {
        LedgerError::Rejected(rejection) => {
            LedgerError::Rejected(Rejection::Carriage(Box::new(rejection)))
        }
        other => other,
    })
}

fn price_carriage_inner(
    conn: &Connection,
    context: &PricingContext<'_>,
    request: &CarriageRequest,
) -> LedgerResult<CarriageLine> {
    let defaults = &context.company.order_defaults;
    let quantity = request.quantity.unwrap_or(1.0);
    if quantity < 0.0 {
        return Err(Rejection::NegativeAmount {
            what: "carriage quantity".into(),
            amount: quantity,
        }
        .into());
    }
    let tax_code = context
        .destination_tax_code(Charge::Carriage)
        .or(request.tax_code)
        .unwrap_or(defaults.carriage_tax_code);
    let nominal_code = non_blank(&request.nominal_code)
        .unwrap_or(&defaults.carriage_nominal_code)
        .to_owned();
    let department = request.department.unwrap_or(0);
    let tax_rate = reference::require_tax_code(conn, tax_code)?.rate;
    reference::require_nominal(conn, &nominal_code)?;
    reference::require_department(department)?;
    let unit_price = request.unit_price.unwrap_or(0.0) * context.conversion;
    let computed = amounts(quantity, unit_price, 0.0, tax_rate, context.vat_inclusive);
    let mut description = request.description.clone();
    crate::sql::fit(&mut description, 60);
    Ok(CarriageLine {
        description,
        quantity,
        unit_price: computed.unit_net,
        net: computed.net,
        tax: computed.tax,
        tax_code,
        tax_rate,
        nominal_code,
        department,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inclusive_prices_keep_the_gross() {
        let a = amounts(3.0, 9.99, 0.0, 20.0, true);
        assert_eq!(round_money(a.net + a.tax), 29.97);
        assert_eq!(a.net, 24.98);
        let b = amounts(2.0, 10.0, 1.0, 20.0, false);
        assert_eq!((b.net, b.tax), (18.0, 3.6));
    }
}
