//! Reading whole tables for people (`wharf sage customers | orders | stock`): row by row, so one
//! row this version cannot read (written by an older version, or damaged) is named and skipped
//! instead of hiding every other row.

use rusqlite::Row;

use crate::customers::Customer;
use crate::error::LedgerResult;
use crate::ledger::Ledger;
use crate::orders::SalesOrder;
use crate::products::Product;

/// The rows that could be read, and one sentence per row that could not.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing<T> {
    pub rows: Vec<T>,
    pub unreadable: Vec<String>,
    /// Rows in the selection, readable or not (a limited listing reads only the first ones).
    pub total: usize,
}

impl<T> Listing<T> {
    fn new(total: usize) -> Self {
        Listing {
            rows: Vec::new(),
            unreadable: Vec::new(),
            total,
        }
    }
}

/// Reads every row of `sql` (whose first column is the row's key) with `read`.
fn read_rows<T>(
    ledger: &Ledger,
    sql: &str,
    what: &str,
    read: fn(&Row<'_>) -> rusqlite::Result<T>,
) -> LedgerResult<Listing<T>> {
    let mut statement = ledger.conn.prepare(sql)?;
    let mut rows = statement.query([])?;
    let mut listing = Listing::new(0);
    while let Some(row) = rows.next()? {
        listing.total += 1;
        match read(row) {
            Ok(value) => listing.rows.push(value),
            Err(error) => {
                let key = row
                    .get::<_, String>(0)
                    .unwrap_or_else(|_| "(no readable key)".to_owned());
                listing
                    .unreadable
                    .push(format!("{what} {key} cannot be read: {error}"));
            }
        }
    }
    Ok(listing)
}

impl Ledger {
    /// Every customer account by reference, skipping (and naming) unreadable ones.
    pub fn list_customers(&self) -> LedgerResult<Listing<Customer>> {
        let sql = format!("{} ORDER BY account_ref", Customer::select_sql());
        read_rows(self, &sql, "customer account", Customer::from_row)
    }

    /// Every stock record by code, skipping (and naming) unreadable ones.
    pub fn list_products(&self) -> LedgerResult<Listing<Product>> {
        let sql = format!("{} ORDER BY stock_code", Product::select_sql());
        read_rows(self, &sql, "stock record", Product::from_row)
    }

    /// The newest `limit` sales orders (of one account, when given), newest first, skipping
    /// (and naming) unreadable ones.
    pub fn list_sales_orders(
        &self,
        account: Option<&str>,
        limit: usize,
    ) -> LedgerResult<Listing<SalesOrder>> {
        let mut numbers = match account {
            Some(account) => self.sales_order_numbers(&account.trim().to_ascii_uppercase())?,
            None => self.all_sales_order_numbers()?,
        };
        numbers.reverse();
        let mut listing = Listing::new(numbers.len());
        for number in numbers.into_iter().take(limit) {
            match self.find_sales_order(number) {
                Ok(Some(order)) => listing.rows.push(order),
                Ok(None) => {}
                Err(error) => listing
                    .unreadable
                    .push(format!("sales order {number} cannot be read: {error}")),
            }
        }
        Ok(listing)
    }
}
