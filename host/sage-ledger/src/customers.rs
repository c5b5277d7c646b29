//! Customer accounts (`SALES_LEDGER`) and their delivery addresses (`SALES_DEL_ADDR`).

use chrono::{NaiveDate, NaiveDateTime};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::addresses::{self, Address, DeliveryAddressChange};
use crate::company::CompanySettings;
use crate::error::{LedgerResult, Rejection};
use crate::ledger::Ledger;
use crate::reference;
use crate::sql::{fit, sql_table, text_enum};

text_enum! {
    /// Customer discount scheme.
    pub enum DiscountScheme { NoDiscount, InvoiceValue, DiscountTable }
}

text_enum! {
    /// How payment days are counted.
    pub enum PaymentDueFrom {
        DaysAfterInvoiceDate,
        DaysFromFirstDayOfFollowingMonth,
        DaysBeforeLastDayOfFollowingMonth,
        DayOfMonth,
        DaysFromOneMonthAfterInvoiceDate,
    }
}

sql_table! {
    /// A customer account. `balance`, `created` and `modified` are maintained by the ledger;
    /// values passed in for them are ignored.
    pub struct Customer in "customers" {
        /// Account reference (≤ 8 characters, upper case).
        key account_ref,
        name: String,
        street1: String,
        street2: String,
        town: String,
        county: String,
        postcode: String,
        country_code: String,
        contact_name: String,
        trade_contact: String,
        telephone: String,
        /// "Telephone 2", filled from a contact's Mobile.
        telephone2: String,
        fax: String,
        email: String,
        email2: String,
        email3: String,
        website: String,
        vat_number: String,
        analysis1: String,
        analysis2: String,
        analysis3: String,
        department: i32,
        default_nominal_code: String,
        /// "Use this nominal code for sales" (order lines then take it before the product's).
        use_default_nominal_code: bool,
        default_tax_code: i32,
        /// "Use this tax code for sales".
        use_default_tax_code: bool,
        /// ISO currency code; fixed once the account exists.
        currency: String,
        credit_limit: f64,
        discount_rate: f64,
        discount_scheme: DiscountScheme,
        discount_table: String,
        price_list_ref: String,
        settlement_days: i32,
        settlement_discount: f64,
        payment_days: f64,
        payment_due_from: PaymentDueFrom,
        terms: String,
        terms_agreed: bool,
        account_status: i32,
        on_hold: bool,
        inactive: bool,
        duns_number: String,
        send_electronic_invoice: bool,
        send_electronic_letter: bool,
        restrict_mailing: bool,
        account_opened: NaiveDate,
        memo: String,
        bank_name: String,
        bank_account_name: String,
        bank_sort_code: String,
        bank_account_number: String,
        bank_bacs_ref: String,
        bank_iban: String,
        bank_bic_swift: String,
        /// Outstanding balance (receipts on account lower it).
        balance: f64,
        created: NaiveDateTime,
        modified: NaiveDateTime,
    }
}

impl Customer {
    /// A new account carrying the company's customer defaults.
    pub fn with_defaults(
        account_ref: &str,
        company: &CompanySettings,
        today: NaiveDate,
    ) -> Customer {
        let defaults = &company.customer_defaults;
        let epoch = today.and_hms_opt(0, 0, 0).unwrap_or_default();
        Customer {
            account_ref: account_ref.to_owned(),
            name: String::new(),
            street1: String::new(),
            street2: String::new(),
            town: String::new(),
            county: String::new(),
            postcode: String::new(),
            country_code: company.country_code.clone(),
            contact_name: String::new(),
            trade_contact: String::new(),
            telephone: String::new(),
            telephone2: String::new(),
            fax: String::new(),
            email: String::new(),
            email2: String::new(),
            email3: String::new(),
            website: String::new(),
            vat_number: String::new(),
            analysis1: String::new(),
            analysis2: String::new(),
            analysis3: String::new(),
            department: defaults.department,
            default_nominal_code: defaults.nominal_code.clone(),
            use_default_nominal_code: false,
            default_tax_code: defaults.tax_code,
            use_default_tax_code: false,
            currency: defaults.currency.clone(),
            credit_limit: defaults.credit_limit,
            discount_rate: 0.0,
            discount_scheme: DiscountScheme::NoDiscount,
            discount_table: String::new(),
            price_list_ref: String::new(),
            settlement_days: defaults.settlement_days,
            settlement_discount: defaults.settlement_discount,
            payment_days: defaults.payment_days,
            payment_due_from: PaymentDueFrom::DaysAfterInvoiceDate,
            terms: defaults.terms.clone(),
            terms_agreed: false,
            account_status: 0,
            on_hold: false,
            inactive: false,
            duns_number: String::new(),
            send_electronic_invoice: false,
            send_electronic_letter: false,
            restrict_mailing: false,
            account_opened: today,
            memo: String::new(),
            bank_name: String::new(),
            bank_account_name: String::new(),
            bank_sort_code: String::new(),
            bank_account_number: String::new(),
            bank_bacs_ref: String::new(),
            bank_iban: String::new(),
            bank_bic_swift: String::new(),
            balance: 0.0,
            created: epoch,
            modified: epoch,
        }
    }

    /// Sage's column lengths (docs/zynk-reference.md §3.3); longer descriptive text is cut, as Sage does.
    fn fit_to_columns(&mut self) {
        for (field, max) in [
            (&mut self.name, 60),
            (&mut self.street1, 60),
            (&mut self.street2, 60),
            (&mut self.town, 60),
            (&mut self.county, 60),
            (&mut self.postcode, 60),
            (&mut self.contact_name, 30),
            (&mut self.trade_contact, 30),
            (&mut self.telephone, 30),
            (&mut self.telephone2, 30),
            (&mut self.fax, 30),
            (&mut self.email, 255),
            (&mut self.email2, 255),
            (&mut self.email3, 255),
            (&mut self.website, 255),
            (&mut self.vat_number, 30),
            (&mut self.analysis1, 30),
            (&mut self.analysis2, 30),
            (&mut self.analysis3, 30),
            (&mut self.price_list_ref, 8),
            (&mut self.terms, 30),
            (&mut self.duns_number, 9),
            (&mut self.bank_name, 60),
            (&mut self.bank_account_name, 60),
            (&mut self.bank_sort_code, 10),
            (&mut self.bank_account_number, 60),
            (&mut self.bank_bacs_ref, 60),
            (&mut self.bank_iban, 60),
            (&mut self.bank_bic_swift, 60),
        ] {
            fit(field, max);
        }
        self.country_code = self.country_code.trim().to_ascii_uppercase();
        fit(&mut self.country_code, 2);
        self.discount_table = self.discount_table.trim().to_ascii_uppercase();
    }
}

/// A new account and its delivery addresses (the first is the default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewCustomer {
    pub customer: Customer,
    pub delivery_addresses: Vec<Address>,
}

/// Fields "Match Accounts On" can compare (docs/zynk-reference.md §2.7; "Custom 1–3" are Sage's analysis fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MatchField {
    CompanyName,
    Telephone,
    Telephone2,
    Mobile,
    Fax,
    Email,
    Email2,
    Email3,
    Website,
    Postcode,
    TradeContact,
    Custom1,
    Custom2,
    Custom3,
}

impl MatchField {
    /// The customers column compared (Mobile is stored as Telephone 2).
    fn column(self) -> &'static str {
        match self {
            MatchField::CompanyName => "name",
            MatchField::Telephone => "telephone",
            MatchField::Telephone2 | MatchField::Mobile => "telephone2",
            MatchField::Fax => "fax",
            MatchField::Email => "email",
            MatchField::Email2 => "email2",
            MatchField::Email3 => "email3",
            MatchField::Website => "website",
            MatchField::Postcode => "postcode",
            MatchField::TradeContact => "trade_contact",
            MatchField::Custom1 => "analysis1",
            MatchField::Custom2 => "analysis2",
            MatchField::Custom3 => "analysis3",
        }
    }
}

/// Normalises and checks an account reference: trimmed, upper case, 1–8 of `A–Z 0–9 - _ . /`.
/// Over-long keys are rejected, not cut (docs/zynk-reference.md §6.39): cutting could merge two customers.
pub fn normalise_account_ref(reference: &str) -> Result<String, Rejection> {
    let normalised = reference.trim().to_ascii_uppercase();
    let invalid = |reason: &str| Rejection::InvalidAccountReference {
        reference: reference.trim().to_owned(),
        reason: reason.to_owned(),
    };
    if normalised.is_empty() {
        return Err(invalid("it is empty"));
    }
    if normalised.chars().count() > 8 {
        return Err(invalid("Sage account references are at most 8 characters"));
    }
    if !normalised
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    {
        return Err(invalid("only letters, digits and - _ . / are allowed"));
    }
    Ok(normalised)
}

pub(crate) fn find(conn: &Connection, account_ref: &str) -> LedgerResult<Option<Customer>> {
    let sql = format!("{} WHERE account_ref = ?1", Customer::select_sql());
    let found = conn
        .prepare_cached(&sql)?
        .query_row([account_ref.trim()], Customer::from_row)
        .optional()?;
    Ok(found)
}

pub(crate) fn exists(conn: &Connection, account_ref: &str) -> LedgerResult<bool> {
    let found: Option<i64> = conn
        .prepare_cached("SELECT 1 FROM customers WHERE account_ref = ?1")?
        .query_row([account_ref.trim()], |row| row.get(0))
        .optional()?;
    Ok(found.is_some())
}

/// References matching a SQL LIKE pattern (`_` = any one character), for reference generation.
pub(crate) fn references_like(conn: &Connection, pattern: &str) -> LedgerResult<Vec<String>> {
    let mut statement = conn.prepare_cached(
        "SELECT account_ref FROM customers WHERE account_ref LIKE ?1 ESCAPE '\\'",
    )?;
    let rows = statement.query_map([pattern], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn validate(conn: &Connection, customer: &Customer) -> LedgerResult<()> {
    if customer.name.trim().is_empty() {
        return Err(Rejection::AccountNameMissing.into());
    }
    crate::limits::money("credit limit", customer.credit_limit, false)?;
    crate::limits::percent("discount rate", customer.discount_rate)?;
    crate::limits::percent("settlement discount", customer.settlement_discount)?;
    if !(0.0..=crate::limits::MAX_PAYMENT_DAYS).contains(&customer.payment_days) {
        return Err(Rejection::PaymentDaysOutOfRange(customer.payment_days).into());
    }
    reference::require_tax_code(conn, customer.default_tax_code)?;
    if !customer.default_nominal_code.trim().is_empty() {
        reference::require_nominal(conn, &customer.default_nominal_code)?;
    }
    reference::require_currency(conn, &customer.currency)?;
    reference::require_department(customer.department)?;
    let table = customer.discount_table.as_str();
    let table_needed = customer.discount_scheme == DiscountScheme::DiscountTable;
    if (table_needed || !table.is_empty()) && !matches!(table, "A" | "B" | "C" | "D" | "E") {
        return Err(Rejection::InvalidDiscountTable(table.to_owned()).into());
    }
    Ok(())
}

pub(crate) fn insert(
    conn: &Connection,
    stamp: NaiveDateTime,
    new: &NewCustomer,
) -> LedgerResult<Customer> {
    let mut customer = new.customer.clone();
    customer.account_ref = normalise_account_ref(&customer.account_ref)?;
    if exists(conn, &customer.account_ref)? {
        return Err(Rejection::AccountExists(customer.account_ref).into());
    }
    customer.fit_to_columns();
    customer.currency = reference::require_currency(conn, &customer.currency)?.code;
    validate(conn, &customer)?;
    customer.balance = 0.0;
    customer.created = stamp;
    customer.modified = stamp;
    conn.prepare_cached(Customer::insert_sql())?
        .execute(customer.sql_params().as_slice())?;
    for address in &new.delivery_addresses {
        if !address.is_blank() {
            addresses::add_delivery_address(conn, &customer.account_ref, address)?;
        }
    }
    Ok(customer)
}

/// Writes changed account details. Currency, balance and creation date are the ledger's own.
pub(crate) fn update(
    conn: &Connection,
    stamp: NaiveDateTime,
    changed: &Customer,
    delivery: Option<&DeliveryAddressChange>,
) -> LedgerResult<Customer> {
    let existing = find(conn, &changed.account_ref)?
        .ok_or_else(|| Rejection::AccountNotFound(changed.account_ref.trim().to_owned()))?;
    let mut customer = changed.clone();
    customer.account_ref = existing.account_ref.clone();
    customer.currency = existing.currency.clone();
    customer.balance = existing.balance;
    customer.created = existing.created;
    customer.modified = existing.modified;
    customer.fit_to_columns();
    validate(conn, &customer)?;
    let delivery_changed = match delivery {
        Some(change) => addresses::apply_delivery_change(conn, &customer.account_ref, change)?,
        None => false,
    };
    if customer != existing || delivery_changed {
        customer.modified = stamp;
        conn.prepare_cached(Customer::update_sql())?
            .execute(customer.sql_params().as_slice())?;
    }
    Ok(customer)
}

pub(crate) fn set_balance(
    conn: &Connection,
    account_ref: &str,
    balance: f64,
    stamp: NaiveDateTime,
) -> LedgerResult<()> {
    // Receipts add up: an account's balance must stay as readable as any single amount.
    crate::limits::money("account balance", balance, true)?;
    conn.prepare_cached("UPDATE customers SET balance = ?2, modified = ?3 WHERE account_ref = ?1")?
        .execute(params![account_ref, balance, stamp])?;
    Ok(())
}

pub(crate) fn find_matching(
    conn: &Connection,
    criteria: &[(MatchField, String)],
    currency: Option<&str>,
) -> LedgerResult<Option<Customer>> {
    if criteria.is_empty() {
        return Ok(None);
    }
    let mut conditions = Vec::new();
    let mut values: Vec<String> = Vec::new();
    for (field, value) in criteria {
        values.push(value.trim().to_owned());
        conditions.push(format!(
            "trim({}) = ?{} COLLATE NOCASE",
            field.column(),
            values.len()
        ));
    }
    // Currency takes part only when the data gives one (docs/zynk-reference.md §5.2, changelog).
    if let Some(currency) = currency.map(str::trim).filter(|c| !c.is_empty()) {
        values.push(currency.to_owned());
        conditions.push(format!("currency = ?{} COLLATE NOCASE", values.len()));
    }
    let sql = format!(
        "{} WHERE {} ORDER BY account_ref LIMIT 1",
        Customer::select_sql(),
        conditions.join(" AND ")
    );
    let found = conn
        .prepare_cached(&sql)?
        .query_row(
            rusqlite::params_from_iter(values.iter()),
            Customer::from_row,
        )
        .optional()?;
    Ok(found)
}

/// Customer operations.
impl Ledger {
    pub fn find_customer_by_ref(&self, account_ref: &str) -> LedgerResult<Option<Customer>> {
        find(&self.conn, account_ref)
    }

    /// The first account (by reference) whose `field` equals `value` (trimmed, case-insensitive).
    pub fn find_customer_by(
        &self,
        field: MatchField,
        value: &str,
    ) -> LedgerResult<Option<Customer>> {
        find_matching(&self.conn, &[(field, value.to_owned())], None)
    }

    /// The first account on which every criterion holds; `currency` is compared when given.
    pub fn find_customer_matching(
        &self,
        criteria: &[(MatchField, String)],
        currency: Option<&str>,
    ) -> LedgerResult<Option<Customer>> {
        find_matching(&self.conn, criteria, currency)
    }

    pub fn customers(&self) -> LedgerResult<Vec<Customer>> {
        let sql = format!("{} ORDER BY account_ref", Customer::select_sql());
        let mut statement = self.conn.prepare_cached(&sql)?;
        let rows = statement.query_map([], Customer::from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A new account template with the company's customer defaults (today's opening date).
    pub fn customer_template(&self, account_ref: &str) -> LedgerResult<Customer> {
        let company = crate::company::load(&self.conn)?;
        Ok(Customer::with_defaults(
            account_ref,
            &company,
            self.now().date(),
        ))
    }

    /// Creates an account with its delivery addresses, in one transaction.
    pub fn create_customer(&mut self, new: &NewCustomer) -> LedgerResult<Customer> {
        let staged = self.journal.take_staged();
        let tx = self.conn.transaction()?;
        let created = insert(&tx, self.stamper.next(), new)?;
        let resolved = crate::journal::Resolved {
            order_number: None,
            account_ref: Some(&created.account_ref),
            line_numbers: &[],
        };
        self.journal.write(&tx, staged, &resolved)?;
        tx.commit()?;
        Ok(created)
    }

    /// Changes an account (not its currency, which Sage fixes at creation).
    pub fn update_customer(
        &mut self,
        customer: &Customer,
        delivery: Option<&DeliveryAddressChange>,
    ) -> LedgerResult<Customer> {
        let staged = self.journal.take_staged();
        let tx = self.conn.transaction()?;
        let updated = update(&tx, self.stamper.next(), customer, delivery)?;
        let resolved = crate::journal::Resolved {
            order_number: None,
            account_ref: Some(&updated.account_ref),
            line_numbers: &[],
        };
        self.journal.write(&tx, staged, &resolved)?;
        tx.commit()?;
        Ok(updated)
    }

    /// Accounts created (`new_only`) or created or changed after `since`, by reference
    /// (Export Customers, docs/sage50.md).
    pub fn customers_since(
        &self,
        since: NaiveDateTime,
        new_only: bool,
    ) -> LedgerResult<Vec<Customer>> {
        let column = if new_only { "created" } else { "modified" };
        let mut statement = self.conn.prepare(&format!(
            "{} WHERE {column} > ?1 ORDER BY account_ref",
            Customer::select_sql()
        ))?;
        let rows = statement.query_map([since], Customer::from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn delivery_addresses(&self, account_ref: &str) -> LedgerResult<Vec<Address>> {
        addresses::delivery_addresses(&self.conn, account_ref)
    }
}

/// Marks an account as changed (its delivery addresses changed).
pub(crate) fn touch(
    conn: &Connection,
    account_ref: &str,
    stamp: NaiveDateTime,
) -> LedgerResult<()> {
    conn.prepare_cached("UPDATE customers SET modified = ?2 WHERE account_ref = ?1")?
        .execute(params![account_ref, stamp])?;
    Ok(())
}
