//! The body of [`Ledger::import_sales_order`](crate::Ledger::import_sales_order), run inside its transaction.

use chrono::NaiveDateTime;
use rusqlite::Connection;

use super::pricing::{self, PricingContext};
use super::{
    AllocationStatus, OrderImportOptions, OrderLine, OrderOutcome, OrderPayment, SalesOrder,
    SalesOrderRequest, allocation, store,
};
use crate::addresses::{self, Address, DeliveryAddressChange};
use crate::clock::Stamper;
use crate::customers::{self, Customer, normalise_account_ref};
use crate::error::{LedgerResult, Rejection};
use crate::limits;
use crate::numbering::{self, MAX_ORDER_NUMBER};
use crate::payments::{self, Receipt};
use crate::sql::{fit, round_money};
use crate::{company, reference};

fn given(address: &Option<Address>) -> Option<&Address> {
    address.as_ref().filter(|address| !address.is_blank())
}

/// The order's invoice address; with Read Sales Ledger Data, gaps are filled from the account.
fn invoice_address(request: &SalesOrderRequest, customer: &Customer, read_ledger: bool) -> Address {
    let from_account = Address::of_customer(customer);
    let Some(given) = given(&request.invoice_address) else {
        return if read_ledger {
            from_account
        } else {
            Address {
                name: customer.name.clone(),
                ..Address::default()
            }
        };
    };
    let mut address = given.clone();
    if read_ledger {
        for (field, fallback) in [
            (&mut address.name, &from_account.name),
            (&mut address.contact_name, &from_account.contact_name),
            (&mut address.line1, &from_account.line1),
            (&mut address.line2, &from_account.line2),
            (&mut address.line3, &from_account.line3),
            (&mut address.line4, &from_account.line4),
            (&mut address.line5, &from_account.line5),
            (&mut address.country_code, &from_account.country_code),
            (&mut address.telephone, &from_account.telephone),
            (&mut address.fax, &from_account.fax),
            (&mut address.email, &from_account.email),
        ] {
            if field.trim().is_empty() {
                field.clone_from(fallback);
            }
        }
    }
    address
}

/// A document priced the way Sage prices an order, not stored yet: the account (created if the
/// request asked for it), the products created for its lines, and the document with its number.
/// Sales invoices are priced by the same rules (docs/sage50.md).
pub(crate) struct PricedDocument {
    pub customer: Customer,
    pub customer_created: bool,
    pub products_created: Vec<String>,
    pub order: SalesOrder,
    /// Document currency → account currency (1 when they are the same).
    pub conversion: f64,
}

pub(super) fn import(
    conn: &Connection,
    stamper: &Stamper,
    request: &SalesOrderRequest,
    options: &OrderImportOptions,
) -> LedgerResult<OrderOutcome> {
    let stamp = stamper.next();
    let PricedDocument {
        customer,
        customer_created,
        products_created,
        order,
        conversion,
    } = price_document(conn, stamp, request, options, |conn| {
        // Number (docs/zynk-reference.md §5.5).
        let order_number = match request.order_number {
            Some(number) if number == 0 || number > MAX_ORDER_NUMBER => {
                return Err(Rejection::InvalidOrderNumber(number.to_string()).into());
            }
            Some(number) if store::exists(conn, number)? => {
                return Err(Rejection::OrderNumberUsed(number).into());
            }
            Some(number) => number,
            None => numbering::next_order_number(conn)?,
        };
        numbering::record_use(conn, order_number)?;
        Ok(order_number)
    })?;
    let mut order = order;
    let order_number = order.order_number;
    store::insert(conn, &order)?;

    if options.auto_allocate_stock {
        allocation::allocate(conn, stamp, &mut order)?;
    }

    let delivery_address_added =
        remember_delivery_address(conn, stamp, request, options, &customer.account_ref)?;

    // Payment (docs/zynk-reference.md §5.8): an SA receipt on account when an amount above zero was taken.
    if let Some(payment) = &request.payment {
        let amount = limits::money(
            "payment amount",
            round_money(payment.amount * conversion),
            true,
        )?;
        if amount > 0.0 {
            let bank_account = match payment.bank_account.as_deref().map(str::trim) {
                Some(bank) if !bank.is_empty() => bank.to_owned(),
                _ => options.default_bank_account.trim().to_owned(),
            };
            let transaction_number = payments::post_receipt(
                conn,
                stamp,
                &Receipt {
                    account_ref: &customer.account_ref,
                    bank_account: &bank_account,
                    amount,
                    date: order.order_date,
                    reference: &payment.reference,
                    details: format!("Payment for sales order {order_number}"),
                    order_number: Some(order_number),
                },
            )?;
            order.payment = Some(OrderPayment {
                kind: payment.kind,
                amount,
                bank_account,
                reference: payment.reference.clone(),
                transaction_number,
            });
            store::save_header(conn, &order)?;
        }
    }

    Ok(OrderOutcome {
        order_number,
        account_ref: customer.account_ref.clone(),
        customer_created,
        products_created,
        delivery_address_added,
        order,
    })
}

/// Prices `request` (docs/zynk-reference.md §5.6, §5.9) inside the caller's transaction; `number`
/// gives the document its number once the account and addresses are known.
pub(crate) fn price_document(
    conn: &Connection,
    stamp: NaiveDateTime,
    request: &SalesOrderRequest,
    options: &OrderImportOptions,
    number: impl FnOnce(&Connection) -> LedgerResult<u32>,
) -> LedgerResult<PricedDocument> {
    let company = company::load(conn)?;
    if request.lines.is_empty() {
        return Err(Rejection::OrderWithoutLines.into());
    }
    check_request(request)?;

    // The account: existing, or created with the order (never overwritten, docs/zynk-reference.md §5.2).
    let account_ref = normalise_account_ref(&request.account_ref)?;
    let (customer, customer_created) = match customers::find(conn, &account_ref)? {
        Some(customer) => (customer, false),
        None => match &request.new_customer {
            Some(new) => {
                let mut new = new.clone();
                new.customer.account_ref.clone_from(&account_ref);
                (customers::insert(conn, stamp, &new)?, true)
            }
            None => return Err(Rejection::AccountNotFound(account_ref).into()),
        },
    };

    // Currency (docs/zynk-reference.md §5.9): the order is posted in the account's currency.
    let account_currency = reference::require_currency(conn, &customer.currency)?;
    let base_currency = reference::require_currency(conn, &company.base_currency)?;
    let order_currency = match request.currency.as_deref().map(str::trim) {
        Some(code) if !code.is_empty() => reference::require_currency(conn, code)?,
        _ => account_currency.clone(),
    };
    let given_rate = request.foreign_rate.filter(|rate| *rate > 0.0);
    let (conversion, foreign_rate) = if order_currency
        .code
        .eq_ignore_ascii_case(&account_currency.code)
    {
        (1.0, given_rate.unwrap_or(account_currency.exchange_rate))
    } else if options.convert_to_account_currency {
        let order_rate = given_rate.unwrap_or(order_currency.exchange_rate);
        (
            account_currency.exchange_rate / order_rate,
            account_currency.exchange_rate,
        )
    } else {
        return Err(Rejection::CurrencyMismatch {
            account: customer.account_ref.clone(),
            order_currency: order_currency.code,
            account_currency: account_currency.code,
        }
        .into());
    };

    // Addresses: delivery falls back to the account's delivery address, then its own address.
    let delivery_address = match given(&request.delivery_address) {
        Some(address) => address.clone(),
        None => addresses::delivery_addresses(conn, &customer.account_ref)?
            .into_iter()
            .next()
            .unwrap_or_else(|| Address::of_customer(&customer)),
    };
    let invoice_address = invoice_address(request, &customer, options.read_sales_ledger_data);
    let destination_country = [
        &delivery_address.country_code,
        &invoice_address.country_code,
        &customer.country_code,
    ]
    .into_iter()
    .map(|code| code.trim())
    .find(|code| !code.is_empty())
    .unwrap_or_default()
    .to_owned();

    let order_number = number(conn)?;

    // Lines and carriage (docs/zynk-reference.md §5.6).
    let context = PricingContext {
        company: &company,
        customer: &customer,
        options,
        vat_inclusive: options.prices_include_tax || request.vat_inclusive,
        conversion,
        base_to_account: account_currency.exchange_rate / base_currency.exchange_rate,
        destination_country,
    };
    let mut products_created = Vec::new();
    let lines = request
        .lines
        .iter()
        .enumerate()
        .map(|(index, line)| {
            pricing::price_line(
                conn,
                stamp,
                &context,
                index + 1,
                line,
                &mut products_created,
            )
        })
        .collect::<LedgerResult<Vec<OrderLine>>>()?;
    let carriage = request
        .carriage
        .as_ref()
        .map(|carriage| pricing::price_carriage(conn, &context, carriage))
        .transpose()?;

    // Footer.
    let global_nominal_code = match request.global_nominal_code.as_deref().map(str::trim) {
        Some(code) if !code.is_empty() => reference::require_nominal(conn, code)?.code,
        _ => String::new(),
    };
    if let Some(code) = request.global_tax_code {
        reference::require_tax_code(conn, code)?;
    }
    let global_department =
        reference::require_department(request.global_department.unwrap_or(customer.department))?;

    // Totals; the net value discount takes its share of tax with it.
    let items_net = round_money(lines.iter().map(|line| line.net).sum());
    let items_tax = round_money(lines.iter().map(|line| line.tax).sum());
    let net_value_discount = match (
        request.net_value_discount,
        request.net_value_discount_percent,
    ) {
        (Some(amount), _) => round_money(amount * conversion),
        (None, Some(percent)) => round_money(items_net * percent / 100.0),
        (None, None) => 0.0,
    };
    if net_value_discount < 0.0 {
        return Err(Rejection::NegativeAmount {
            what: "net value discount".into(),
            amount: net_value_discount,
        }
        .into());
    }
    if net_value_discount > items_net + 1e-9 {
        return Err(Rejection::DiscountExceedsGoods {
            discount: net_value_discount,
            goods: items_net,
        }
        .into());
    }
    let net_value_discount_tax = if items_net.abs() > f64::EPSILON {
        round_money(items_tax * net_value_discount / items_net)
    } else {
        0.0
    };
    let (carriage_net, carriage_tax) = carriage.as_ref().map_or((0.0, 0.0), |c| (c.net, c.tax));
    let total_net = round_money(items_net - net_value_discount + carriage_net);
    let total_tax = round_money(items_tax - net_value_discount_tax + carriage_tax);

    let text = |value: &str, max: usize| {
        let mut value = value.to_owned();
        fit(&mut value, max);
        value
    };
    let mut invoice_address = invoice_address;
    invoice_address.fit_to_columns();
    let mut delivery_address = delivery_address;
    delivery_address.fit_to_columns();
    let order = SalesOrder {
        order_number,
        account_ref: customer.account_ref.clone(),
        order_type: request.order_type,
        order_date: request
            .order_date
            .unwrap_or_else(|| stamp.date().and_hms_opt(0, 0, 0).unwrap_or(stamp)),
        customer_order_number: text(&request.customer_order_number, 60),
        taken_by: text(&request.taken_by, 60),
        notes1: text(&request.notes1, 60),
        notes2: text(&request.notes2, 60),
        notes3: text(&request.notes3, 60),
        custom1: text(&request.custom1, 60),
        custom2: text(&request.custom2, 60),
        custom3: text(&request.custom3, 60),
        despatch_date: request.despatch_date,
        promised_delivery_date: request.promised_delivery_date,
        requested_delivery_date: request.requested_delivery_date,
        invoice_address,
        delivery_address,
        currency: account_currency.code.clone(),
        foreign_rate,
        vat_inclusive: context.vat_inclusive,
        lines,
        carriage,
        consignment_no: text(&request.consignment_no, 30),
        courier: request.courier,
        settlement_days: request.settlement_days.unwrap_or(customer.settlement_days),
        settlement_discount: request
            .settlement_discount
            .unwrap_or(customer.settlement_discount),
        global_nominal_code,
        global_tax_code: request.global_tax_code,
        global_details: text(&request.global_details, 60),
        global_department,
        net_value_discount,
        net_value_discount_tax,
        net_value_discount_description: text(&request.net_value_discount_description, 60),
        net_value_discount_comment1: text(&request.net_value_discount_comment1, 60),
        net_value_discount_comment2: text(&request.net_value_discount_comment2, 60),
        items_net,
        items_tax,
        total_net,
        total_tax,
        total_gross: round_money(total_net + total_tax),
        payment: None,
        allocation_status: AllocationStatus::Unallocated,
        created: stamp,
        modified: stamp,
    };
    check_amounts(&order)?;
    Ok(PricedDocument {
        customer,
        customer_created,
        products_created,
        order,
        conversion,
    })
}

/// Adds the request's delivery address to the account when Create Multiple Delivery Addresses
/// is on and the account does not have it yet; true when it was added.
pub(crate) fn remember_delivery_address(
    conn: &Connection,
    stamp: NaiveDateTime,
    request: &SalesOrderRequest,
    options: &OrderImportOptions,
    account_ref: &str,
) -> LedgerResult<bool> {
    Ok(match given(&request.delivery_address) {
        Some(address) if options.create_multiple_delivery_addresses => {
            let change = DeliveryAddressChange::AddIfNew(address.clone());
            let added = addresses::apply_delivery_change(conn, account_ref, &change)?;
            if added {
                customers::touch(conn, account_ref, stamp)?;
            }
            added
        }
        _ => false,
    })
}

/// The numbers the data gives, against Sage's limits (docs/sage50-rules.md), before any is used.
fn check_request(request: &SalesOrderRequest) -> Result<(), Rejection> {
    for (index, line) in request.lines.iter().enumerate() {
        check_line(line).map_err(|rejection| rejection.on_line(index + 1))?;
    }
    if let Some(carriage) = &request.carriage {
        let checked = carriage
            .quantity
            .map(|quantity| limits::quantity("quantity", quantity))
            .transpose()
            .and_then(|_| limits::optional_money("unit price", carriage.unit_price, false));
        checked.map_err(|rejection| Rejection::Carriage(Box::new(rejection)))?;
    }
    limits::optional_money("net value discount", request.net_value_discount, false)?;
    limits::optional_percent(
        "net value discount percentage",
        request.net_value_discount_percent,
    )?;
    limits::optional_percent("settlement discount", request.settlement_discount)?;
    limits::optional_money("exchange rate", request.foreign_rate, true)?;
    if let Some(payment) = &request.payment {
        limits::money("payment amount", payment.amount, true)?;
    }
    Ok(())
}

fn check_line(line: &super::OrderLineRequest) -> Result<(), Rejection> {
    if let Some(quantity) = line.quantity {
        limits::quantity("quantity", quantity)?;
    }
    limits::optional_money("unit price", line.unit_price, false)?;
    limits::optional_money("unit discount", line.discount_amount, false)?;
    limits::optional_percent("unit discount percentage", line.discount_percent)?;
    Ok(())
}

/// What the order would store: every amount finite and within Sage's limits. Amounts within
/// limits can still multiply (quantity × price) or convert (a tiny exchange rate) beyond them.
fn check_amounts(order: &SalesOrder) -> Result<(), Rejection> {
    for line in &order.lines {
        let on_line = |rejection: Rejection| rejection.on_line(line.line_number as usize);
        for (field, amount) in [
            ("unit price", line.unit_price),
            ("unit discount", line.discount_amount),
            ("line net amount", line.net),
            ("line VAT amount", line.tax),
        ] {
            limits::money(field, amount, true).map_err(on_line)?;
        }
    }
    if let Some(carriage) = &order.carriage {
        for (field, amount) in [
            ("unit price", carriage.unit_price),
            ("net amount", carriage.net),
            ("VAT amount", carriage.tax),
        ] {
            limits::money(field, amount, true)
                .map_err(|rejection| Rejection::Carriage(Box::new(rejection)))?;
        }
    }
    for (field, amount) in [
        ("net value discount", order.net_value_discount),
        ("order net total", order.total_net),
        ("order VAT total", order.total_tax),
        ("order gross total", order.total_gross),
    ] {
        limits::money(field, amount, true)?;
    }
    Ok(())
}
