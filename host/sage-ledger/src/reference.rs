//! Reference data every posting is validated against: tax codes, currencies, nominal accounts,
//! departments and the country list (docs/zynk-reference.md §5.6 "invalid tax/nominal/department fails the record",
//! docs/zynk-reference.md §5.9 currencies and VAT destinations).

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::error::{LedgerResult, Rejection};
use crate::ledger::Ledger;

/// A VAT code `T<code>` and its rate in percent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaxCode {
    pub code: i32,
    pub rate: f64,
    pub description: String,
}

/// A currency set up in Sage. `exchange_rate` is units of this currency per one unit of the base
/// currency (Sage's convention: 1 GBP = 1.17 EUR).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Currency {
    /// Sage's currency number (1 = base currency).
    pub number: i32,
    /// ISO 4217 code.
    pub code: String,
    pub name: String,
    pub symbol: String,
    pub exchange_rate: f64,
}

/// A nominal ledger account; bank accounts can receive payments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NominalAccount {
    pub code: String,
    pub name: String,
    pub is_bank: bool,
}

/// Sage numbers departments 0 to 999; all of them exist.
pub const DEPARTMENTS: std::ops::RangeInclusive<i32> = 0..=999;

/// Sage 50 UK's default VAT codes.
pub(crate) const DEFAULT_TAX_CODES: &[(i32, f64, &str)] = &[
    (0, 0.0, "Zero rated transactions"),
    (1, 20.0, "Standard rate"),
    (2, 0.0, "Exempt transactions"),
    (
        4,
        0.0,
        "Sales of goods to VAT registered customers in the EC",
    ),
    (5, 5.0, "Lower rate"),
    (
        7,
        0.0,
        "Zero rated purchases of goods from suppliers in the EC",
    ),
    (
        8,
        20.0,
        "Standard rated purchases of goods from suppliers in the EC",
    ),
    (9, 0.0, "Transactions not involving VAT"),
];

pub(crate) const DEFAULT_CURRENCIES: &[(i32, &str, &str, &str, f64)] = &[
    (1, "GBP", "Pound Sterling", "£", 1.0),
    (2, "USD", "US Dollar", "$", 1.27),
    (3, "EUR", "Euro", "€", 1.17),
];

/// The part of Sage's default chart of accounts the sales flows touch.
pub(crate) const DEFAULT_NOMINAL_ACCOUNTS: &[(&str, &str, bool)] = &[
    ("1100", "Debtors Control Account", false),
    ("1200", "Bank Current Account", true),
    ("1210", "Bank Deposit Account", true),
    ("1220", "Building Society Account", true),
    ("1230", "Petty Cash", true),
    ("1240", "Company Credit Card", true),
    ("1250", "Credit Card Receipts", true),
    ("2100", "Creditors Control Account", false),
    ("2200", "Sales Tax Control Account", false),
    ("2201", "Purchase Tax Control Account", false),
    ("4000", "Sales Type A", false),
    ("4001", "Sales Type B", false),
    ("4002", "Sales Type C", false),
    ("4009", "Discounts Allowed", false),
    ("4100", "Sales Type D", false),
    ("4101", "Sales Type E", false),
    ("4200", "Sales of Assets", false),
    ("4400", "Credit Charges (Late Payments)", false),
    ("4900", "Miscellaneous Income", false),
    ("4905", "Distribution and Carriage", false),
    ("5000", "Materials Purchased", false),
    ("5001", "Materials Imported", false),
    ("5002", "Miscellaneous Purchases", false),
    ("5100", "Carriage", false),
    ("5200", "Opening Stock", false),
    ("9998", "Suspense Account", false),
    ("9999", "Mispostings Account", false),
];

/// ISO 3166-1 alpha-2 codes as in Sage's country list, plus XI (Northern Ireland).
const COUNTRY_CODES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM \
    BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO \
    DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK \
    HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI \
    LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF \
    NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE \
    SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG \
    UM US UY UZ VA VC VE VG VI VN VU WF WS XI YE YT ZA ZM ZW";

/// EU member states (the "EC" of Sage's VAT settings).
const EU_COUNTRY_CODES: &str =
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK";

/// Whether a country code is in Sage's country list (VAT destination rules need it, docs/zynk-reference.md §5.9).
pub fn is_known_country(code: &str) -> bool {
    let code = code.trim().to_ascii_uppercase();
    code.len() == 2 && COUNTRY_CODES.split_whitespace().any(|known| known == code)
}

pub fn is_eu_country(code: &str) -> bool {
    let code = code.trim().to_ascii_uppercase();
    EU_COUNTRY_CODES
        .split_whitespace()
        .any(|member| member == code)
}

pub(crate) fn tax_code(conn: &Connection, code: i32) -> LedgerResult<Option<TaxCode>> {
    let found = conn
        .prepare_cached("SELECT code, rate, description FROM tax_codes WHERE code = ?1")?
        .query_row([code], |row| {
            Ok(TaxCode {
                code: row.get(0)?,
                rate: row.get(1)?,
                description: row.get(2)?,
            })
        })
        .optional()?;
    Ok(found)
}

pub(crate) fn require_tax_code(conn: &Connection, code: i32) -> LedgerResult<TaxCode> {
    tax_code(conn, code)?.ok_or_else(|| Rejection::UnknownTaxCode(code).into())
}

pub(crate) fn currency(conn: &Connection, code: &str) -> LedgerResult<Option<Currency>> {
    let found = conn
        .prepare_cached(
            "SELECT number, code, name, symbol, exchange_rate FROM currencies WHERE code = ?1",
        )?
        .query_row([code.trim()], currency_from_row)
        .optional()?;
    Ok(found)
}

pub(crate) fn require_currency(conn: &Connection, code: &str) -> LedgerResult<Currency> {
    currency(conn, code)?.ok_or_else(|| Rejection::UnknownCurrency(code.trim().to_owned()).into())
}

fn currency_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Currency> {
    Ok(Currency {
        number: row.get(0)?,
        code: row.get(1)?,
        name: row.get(2)?,
        symbol: row.get(3)?,
        exchange_rate: row.get(4)?,
    })
}

pub(crate) fn nominal_account(
    conn: &Connection,
    code: &str,
) -> LedgerResult<Option<NominalAccount>> {
    let found = conn
        .prepare_cached("SELECT code, name, is_bank FROM nominal_codes WHERE code = ?1")?
        .query_row([code.trim()], |row| {
            Ok(NominalAccount {
                code: row.get(0)?,
                name: row.get(1)?,
                is_bank: row.get(2)?,
            })
        })
        .optional()?;
    Ok(found)
}

pub(crate) fn require_nominal(conn: &Connection, code: &str) -> LedgerResult<NominalAccount> {
    nominal_account(conn, code)?
        .ok_or_else(|| Rejection::UnknownNominalCode(code.trim().to_owned()).into())
}

pub(crate) fn require_department(department: i32) -> Result<i32, Rejection> {
    if DEPARTMENTS.contains(&department) {
        Ok(department)
    } else {
        Err(Rejection::UnknownDepartment(department))
    }
}

pub(crate) fn seed(conn: &Connection) -> LedgerResult<()> {
    for (code, rate, description) in DEFAULT_TAX_CODES {
        conn.execute(
            "INSERT OR IGNORE INTO tax_codes (code, rate, description) VALUES (?1, ?2, ?3)",
            params![code, rate, description],
        )?;
    }
    for (number, code, name, symbol, rate) in DEFAULT_CURRENCIES {
        conn.execute(
            "INSERT OR IGNORE INTO currencies (number, code, name, symbol, exchange_rate) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![number, code, name, symbol, rate],
        )?;
    }
    for (code, name, is_bank) in DEFAULT_NOMINAL_ACCOUNTS {
        conn.execute(
            "INSERT OR IGNORE INTO nominal_codes (code, name, is_bank) VALUES (?1, ?2, ?3)",
            params![code, name, is_bank],
        )?;
    }
    Ok(())
}

/// Reference-data operations.
impl Ledger {
    pub fn tax_code(&self, code: i32) -> LedgerResult<Option<TaxCode>> {
        tax_code(&self.conn, code)
    }

    pub fn tax_codes(&self) -> LedgerResult<Vec<TaxCode>> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT code, rate, description FROM tax_codes ORDER BY code")?;
        let rows = statement.query_map([], |row| {
            Ok(TaxCode {
                code: row.get(0)?,
                rate: row.get(1)?,
                description: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Creates or changes a tax code (Sage: Settings › Configuration › Tax Codes).
    pub fn set_tax_code(&mut self, tax_code: &TaxCode) -> LedgerResult<()> {
        self.conn.execute(
            "INSERT INTO tax_codes (code, rate, description) VALUES (?1, ?2, ?3) \
             ON CONFLICT(code) DO UPDATE SET rate = excluded.rate, description = excluded.description",
            params![tax_code.code, tax_code.rate, tax_code.description],
        )?;
        Ok(())
    }

    pub fn currency(&self, code: &str) -> LedgerResult<Option<Currency>> {
        currency(&self.conn, code)
    }

    pub fn currencies(&self) -> LedgerResult<Vec<Currency>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT number, code, name, symbol, exchange_rate FROM currencies ORDER BY number",
        )?;
        let rows = statement.query_map([], currency_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Creates or changes a currency (matched by number).
    pub fn set_currency(&mut self, currency: &Currency) -> LedgerResult<()> {
        self.conn.execute(
            "INSERT INTO currencies (number, code, name, symbol, exchange_rate) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT(number) DO UPDATE SET code = excluded.code, name = excluded.name, \
             symbol = excluded.symbol, exchange_rate = excluded.exchange_rate",
            params![
                currency.number,
                currency.code.trim().to_ascii_uppercase(),
                currency.name,
                currency.symbol,
                currency.exchange_rate
            ],
        )?;
        Ok(())
    }

    pub fn nominal_account(&self, code: &str) -> LedgerResult<Option<NominalAccount>> {
        nominal_account(&self.conn, code)
    }

    /// Creates or changes a nominal account.
    pub fn set_nominal_account(&mut self, account: &NominalAccount) -> LedgerResult<()> {
        self.conn.execute(
            "INSERT INTO nominal_codes (code, name, is_bank) VALUES (?1, ?2, ?3) \
             ON CONFLICT(code) DO UPDATE SET name = excluded.name, is_bank = excluded.is_bank",
            params![account.code.trim(), account.name, account.is_bank],
        )?;
        Ok(())
    }
}
