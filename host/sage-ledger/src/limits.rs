//! The numeric limits of the ledger (docs/sage50-rules.md): what Sage 50 UK would accept, and
//! what the ledger can store exactly. Every amount and quantity that reaches a table is checked
//! against them, so no stored value is infinite, NaN, or too large to add up to the penny.

use crate::error::Rejection;

/// The largest money amount (price, discount, payment, line or order total, credit limit):
/// eleven digits before the point. Pence stay exact in an `f64` far beyond it (2^53 pence).
pub const MAX_MONEY: f64 = 99_999_999_999.99;

/// The largest quantity on an order line or stock record.
pub const MAX_QUANTITY: f64 = 999_999_999.0;

/// Decimal places a quantity may have (Sage 50's largest quantity precision setting).
pub const QUANTITY_DECIMAL_PLACES: i32 = 6;

/// Percentages (discounts, settlement discount) run from 0 to this.
pub const MAX_PERCENT: f64 = 100.0;

/// The most days a customer's payment terms may give.
pub const MAX_PAYMENT_DAYS: f64 = 999.0;

/// An amount as a message shows it: plain while short, in exponent form when huge.
pub fn shown(value: f64) -> String {
    if value.is_finite() && value.abs() < 1e15 {
        format!("{value}")
    } else {
        format!("{value:e}")
    }
}

/// `value` (the field `field`) is a money amount Sage takes: finite, within ±[`MAX_MONEY`],
/// and not negative unless `signed`.
pub(crate) fn money(field: &str, value: f64, signed: bool) -> Result<f64, Rejection> {
    if !value.is_finite() || value.abs() > MAX_MONEY {
        return Err(Rejection::AmountOutOfRange {
            field: field.to_owned(),
            amount: value,
        });
    }
    if !signed && value < 0.0 {
        return Err(Rejection::NegativeAmount {
            what: field.to_owned(),
            amount: value,
        });
    }
    Ok(value)
}

/// An optional money amount (absent is fine).
pub(crate) fn optional_money(
    field: &str,
    value: Option<f64>,
    signed: bool,
) -> Result<Option<f64>, Rejection> {
    value.map(|value| money(field, value, signed)).transpose()
}

/// A quantity: finite, from 0 to [`MAX_QUANTITY`], at most [`QUANTITY_DECIMAL_PLACES`] places.
/// Zero and negative quantities are left to the caller's own rule.
pub(crate) fn quantity(field: &str, value: f64) -> Result<f64, Rejection> {
    if !value.is_finite() || value.abs() > MAX_QUANTITY {
        return Err(Rejection::QuantityOutOfRange {
            field: field.to_owned(),
            quantity: value,
        });
    }
    let scaled = value * 10f64.powi(QUANTITY_DECIMAL_PLACES);
    // A few units in the last place: 0.1 is not exactly representable, but has one place.
    let tolerance = (scaled.abs() * 8.0 * f64::EPSILON).max(1e-6);
    if (scaled - scaled.round()).abs() > tolerance {
        return Err(Rejection::QuantityTooPrecise {
            field: field.to_owned(),
            quantity: value,
        });
    }
    Ok(value)
}

/// A stock figure (in stock, on order, reorder level, weight): finite, within ±[`MAX_QUANTITY`].
pub(crate) fn stock_quantity(field: &str, value: f64) -> Result<f64, Rejection> {
    if value.is_finite() && value.abs() <= MAX_QUANTITY {
        Ok(value)
    } else {
        Err(Rejection::QuantityOutOfRange {
            field: field.to_owned(),
            quantity: value,
        })
    }
}

/// A percentage from 0 to [`MAX_PERCENT`].
pub(crate) fn percent(field: &str, value: f64) -> Result<f64, Rejection> {
    if value.is_finite() && (0.0..=MAX_PERCENT).contains(&value) {
        Ok(value)
    } else {
        Err(Rejection::PercentOutOfRange {
            field: field.to_owned(),
            percent: value,
        })
    }
}

/// An optional percentage (absent is fine).
pub(crate) fn optional_percent(field: &str, value: Option<f64>) -> Result<Option<f64>, Rejection> {
    value.map(|value| percent(field, value)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_refuses_overflow_and_non_numbers_naming_the_field() {
        assert_eq!(money("UnitPrice", 12.5, false), Ok(12.5));
        assert_eq!(money("UnitPrice", MAX_MONEY, false), Ok(MAX_MONEY));
        for bad in [1e200, 1e308, f64::INFINITY, f64::NAN, -1e12] {
            let message = money("UnitPrice", bad, true).unwrap_err().to_string();
            assert!(message.contains("UnitPrice"), "{message}");
        }
        let message = money("unit price", -1.0, false).unwrap_err().to_string();
        assert!(message.contains("negative"), "{message}");
    }

    #[test]
    fn quantities_are_bounded_in_size_and_places() {
        assert_eq!(quantity("QtyOrdered", 0.1), Ok(0.1));
        assert_eq!(quantity("QtyOrdered", 2.123456), Ok(2.123456));
        assert_eq!(quantity("QtyOrdered", MAX_QUANTITY), Ok(MAX_QUANTITY));
        assert!(quantity("QtyOrdered", 1e200).is_err());
        assert!(quantity("QtyOrdered", f64::NAN).is_err());
        assert!(
            quantity("QtyOrdered", 1.0000001)
                .unwrap_err()
                .to_string()
                .contains("decimal places")
        );
    }

    #[test]
    fn percentages_run_from_zero_to_a_hundred() {
        assert_eq!(percent("p", 0.0), Ok(0.0));
        assert_eq!(percent("p", 100.0), Ok(100.0));
        assert!(percent("p", 100.5).is_err());
        assert!(percent("p", -1.0).is_err());
        assert!(percent("p", f64::NAN).is_err());
    }

    #[test]
    fn huge_amounts_are_shown_short() {
        assert_eq!(shown(12.5), "12.5");
        assert_eq!(shown(1e200), "1e200");
    }
}
