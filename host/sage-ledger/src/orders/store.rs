//! Order persistence: header and lines as JSON documents, keyed and indexed columns beside them.

use rusqlite::{Connection, OptionalExtension, params};

use super::{OrderLine, SalesOrder};
use crate::error::{LedgerError, LedgerResult};

fn to_json<T: serde::Serialize>(value: &T) -> LedgerResult<String> {
    serde_json::to_string(value)
        .map_err(|error| LedgerError::Corrupt(format!("sales order: {error}")))
}

fn from_json<T: serde::de::DeserializeOwned>(json: &str) -> LedgerResult<T> {
    serde_json::from_str(json)
        .map_err(|error| LedgerError::Corrupt(format!("sales order: {error}")))
}

/// The header document: the order without its lines (they live in `order_lines`).
fn header_json(order: &SalesOrder) -> LedgerResult<String> {
    let header = SalesOrder {
        lines: Vec::new(),
        ..order.clone()
    };
    to_json(&header)
}

pub(crate) fn exists(conn: &Connection, order_number: u32) -> LedgerResult<bool> {
    let found: Option<i64> = conn
        .prepare_cached("SELECT 1 FROM sales_orders WHERE order_number = ?1")?
        .query_row([order_number], |row| row.get(0))
        .optional()?;
    Ok(found.is_some())
}

/// The order carrying idempotency key `key`.
pub(crate) fn order_with_key(conn: &Connection, key: &str) -> LedgerResult<Option<u32>> {
    Ok(conn
        .prepare_cached("SELECT order_number FROM order_keys WHERE key = ?1")?
        .query_row([key], |row| row.get(0))
        .optional()?)
}

pub(crate) fn set_key(conn: &Connection, key: &str, order_number: u32) -> LedgerResult<()> {
    conn.prepare_cached("INSERT INTO order_keys (key, order_number) VALUES (?1, ?2)")?
        .execute(params![key, order_number])?;
    Ok(())
}

pub(crate) fn insert(conn: &Connection, order: &SalesOrder) -> LedgerResult<()> {
    conn.prepare_cached(
        "INSERT INTO sales_orders (order_number, account_ref, data, created, modified) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        order.order_number,
        order.account_ref,
        header_json(order)?,
        order.created,
        order.modified
    ])?;
    for line in &order.lines {
        conn.prepare_cached(
            "INSERT INTO order_lines (order_number, line_number, stock_code, kind, qty_ordered, \
             qty_allocated, qty_despatched, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            order.order_number,
            line.line_number,
            line.stock_code,
            line.kind,
            line.quantity,
            line.qty_allocated,
            line.qty_despatched,
            to_json(line)?
        ])?;
    }
    Ok(())
}

pub(crate) fn save_header(conn: &Connection, order: &SalesOrder) -> LedgerResult<()> {
    conn.prepare_cached(
        "UPDATE sales_orders SET data = ?2, modified = ?3 WHERE order_number = ?1",
    )?
    .execute(params![
        order.order_number,
        header_json(order)?,
        order.modified
    ])?;
    Ok(())
}

pub(crate) fn save_line(
    conn: &Connection,
    order_number: u32,
    line: &OrderLine,
) -> LedgerResult<()> {
    conn.prepare_cached(
        "UPDATE order_lines SET qty_allocated = ?3, qty_despatched = ?4, data = ?5 \
         WHERE order_number = ?1 AND line_number = ?2",
    )?
    .execute(params![
        order_number,
        line.line_number,
        line.qty_allocated,
        line.qty_despatched,
        to_json(line)?
    ])?;
    Ok(())
}

pub(crate) fn load(conn: &Connection, order_number: u32) -> LedgerResult<Option<SalesOrder>> {
    let header: Option<String> = conn
        .prepare_cached("SELECT data FROM sales_orders WHERE order_number = ?1")?
        .query_row([order_number], |row| row.get(0))
        .optional()?;
    let Some(header) = header else {
        return Ok(None);
    };
    let mut order: SalesOrder = from_json(&header)?;
    let mut statement = conn.prepare_cached(
        "SELECT data FROM order_lines WHERE order_number = ?1 ORDER BY line_number",
    )?;
    let lines = statement.query_map([order_number], |row| row.get::<_, String>(0))?;
    for line in lines {
        order.lines.push(from_json(&line?)?);
    }
    Ok(Some(order))
}

pub(crate) fn numbers_for_account(conn: &Connection, account_ref: &str) -> LedgerResult<Vec<u32>> {
    let mut statement = conn.prepare_cached(
        "SELECT order_number FROM sales_orders WHERE account_ref = ?1 ORDER BY order_number",
    )?;
    let rows = statement.query_map([account_ref.trim()], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn all_numbers(conn: &Connection) -> LedgerResult<Vec<u32>> {
    let mut statement =
        conn.prepare_cached("SELECT order_number FROM sales_orders ORDER BY order_number")?;
    let rows = statement.query_map([], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn count(conn: &Connection) -> LedgerResult<u64> {
    Ok(conn.query_row("SELECT count(*) FROM sales_orders", [], |row| row.get(0))?)
}
