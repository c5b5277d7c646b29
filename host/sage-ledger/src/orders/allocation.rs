//! Stock allocation (docs/zynk-reference.md §5.7): each stock line takes `min(outstanding, free stock)` in document
//! order, so two lines for one product share the free stock. Non-stock, service, special and
//! message lines are never allocated; quotes and proformas do not allocate (Sage allocates only
//! orders). Every allocation bumps the product's modified stamp, so the next stock export sees it.

use chrono::NaiveDateTime;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::{AllocationStatus, LineKind, OrderType, SalesOrder, store};
use crate::error::LedgerResult;
use crate::products;

/// What an allocation run did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AllocationResult {
    pub order_number: u32,
    /// Quantity allocated by this run, per line number.
    pub allocated: Vec<(u32, f64)>,
    pub status: AllocationStatus,
}

pub(crate) fn allocate(
    conn: &Connection,
    stamp: NaiveDateTime,
    order: &mut SalesOrder,
) -> LedgerResult<AllocationResult> {
    let mut allocated = Vec::new();
    if matches!(
        order.order_type,
        OrderType::ProductInvoice | OrderType::SopInvoice
    ) {
        for line in order
            .lines
            .iter_mut()
            .filter(|line| line.kind == LineKind::Stock)
        {
            let outstanding = line.quantity - line.qty_allocated - line.qty_despatched;
            if outstanding <= 0.0 {
                continue;
            }
            let Some(product) = products::find(conn, &line.stock_code)? else {
                continue;
            };
            let take = outstanding.min(product.free_stock());
            if take <= 0.0 {
                continue;
            }
            line.qty_allocated += take;
            products::set_allocated(
                conn,
                &product.stock_code,
                product.qty_allocated + take,
                stamp,
            )?;
            store::save_line(conn, order.order_number, line)?;
            allocated.push((line.line_number, take));
        }
    }
    let status = status_of(order);
    if status != order.allocation_status || !allocated.is_empty() {
        order.allocation_status = status;
        order.modified = stamp;
        store::save_header(conn, order)?;
    }
    Ok(AllocationResult {
        order_number: order.order_number,
        allocated,
        status,
    })
}

fn status_of(order: &SalesOrder) -> AllocationStatus {
    let stock_lines: Vec<_> = order
        .lines
        .iter()
        .filter(|l| l.kind == LineKind::Stock)
        .collect();
    let allocated: f64 = stock_lines.iter().map(|l| l.qty_allocated).sum();
    let wanted: f64 = stock_lines
        .iter()
        .map(|l| l.quantity - l.qty_despatched)
        .sum();
    if allocated <= 0.0 {
        AllocationStatus::Unallocated
    } else if allocated + 1e-9 >= wanted {
        AllocationStatus::FullyAllocated
    } else {
        AllocationStatus::PartAllocated
    }
}
