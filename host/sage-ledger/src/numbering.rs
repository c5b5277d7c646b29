//! Sales order numbers (docs/zynk-reference.md §5.5): automatic numbers continue from the highest number used (max + 1,
//! or the configured next number if higher); manual numbers must be 1–7 digits and unused
//! (docs/zynk-reference.md §6.26: numeric, because Sage's `ORDER_NUMBER` is an integer).

use rusqlite::{Connection, OptionalExtension};

use crate::error::{LedgerResult, Rejection};

const NEXT_KEY: &str = "next_sales_order_number";

/// Largest number that fits Sage's seven-character order number.
pub const MAX_ORDER_NUMBER: u32 = 9_999_999;

fn configured_next(conn: &Connection) -> LedgerResult<u32> {
    let stored: Option<String> = conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([NEXT_KEY], |row| row.get(0))
        .optional()?;
    Ok(stored.and_then(|value| value.parse().ok()).unwrap_or(1))
}

pub(crate) fn next_order_number(conn: &Connection) -> LedgerResult<u32> {
    let highest: Option<u32> = conn
        .prepare_cached("SELECT max(order_number) FROM sales_orders")?
        .query_row([], |row| row.get(0))?;
    let next = configured_next(conn)?.max(highest.map_or(1, |n| n + 1));
    if next > MAX_ORDER_NUMBER {
        return Err(Rejection::InvalidOrderNumber(next.to_string()).into());
    }
    Ok(next)
}

/// Records that `used` was taken, so automatic numbering continues after it.
pub(crate) fn record_use(conn: &Connection, used: u32) -> LedgerResult<()> {
    if used >= configured_next(conn)? {
        set_next(conn, used + 1)?;
    }
    Ok(())
}

pub(crate) fn set_next(conn: &Connection, next: u32) -> LedgerResult<()> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute([NEXT_KEY, next.to_string().as_str()])?;
    Ok(())
}

/// Parses a manual order number from the data (`SalesOrderNumber`).
pub fn parse_manual_order_number(text: &str) -> Result<u32, Rejection> {
    let trimmed = text.trim();
    let valid =
        !trimmed.is_empty() && trimmed.len() <= 7 && trimmed.chars().all(|c| c.is_ascii_digit());
    match trimmed.parse::<u32>() {
        Ok(number) if valid && number > 0 => Ok(number),
        _ => Err(Rejection::InvalidOrderNumber(trimmed.to_owned())),
    }
}
