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

#[cfg(test)]
mod tests {
    use crate::customers::NewCustomer;
    use crate::ledger::Ledger;
    use crate::orders::{OrderImportOptions, OrderLineRequest, SalesOrderRequest};

    fn account(ledger: &mut Ledger, reference: &str) {
        let mut customer = ledger.customer_template(reference).unwrap();
        customer.name = format!("{reference} Ltd");
        ledger
            .create_customer(&NewCustomer {
                customer,
                delivery_addresses: Vec::new(),
            })
            .unwrap();
    }

    #[test]
    fn one_unreadable_row_is_named_and_the_others_are_listed() {
        let mut ledger = Ledger::open_in_memory().unwrap();
        account(&mut ledger, "GOOD01");
        account(&mut ledger, "BAD001");
        let request = SalesOrderRequest {
            account_ref: "GOOD01".into(),
            lines: vec![OrderLineRequest {
                stock_code: Some("S1".into()),
                quantity: Some(2.0),
                unit_price: Some(3.5),
                ..OrderLineRequest::default()
            }],
            ..SalesOrderRequest::default()
        };
        ledger
            .import_sales_order(&request, &OrderImportOptions::default())
            .unwrap();
        // What an older version could leave behind: an infinite total stored as JSON null, a
        // column holding text.
        ledger
            .conn
            .execute_batch(
                "INSERT INTO sales_orders (order_number, account_ref, data, created, modified) \
                 VALUES (99, 'BAD001', '{\"total_net\": null}', '2024-01-01T00:00:00', '2024-01-01T00:00:00');
                 UPDATE customers SET credit_limit = 'lots' WHERE account_ref = 'BAD001';",
            )
            .unwrap();
        assert!(ledger.customers().is_err(), "the strict reader fails");

        let orders = ledger.list_sales_orders(None, 10).unwrap();
        assert_eq!((orders.rows.len(), orders.total), (1, 2));
        assert!(orders.unreadable[0].starts_with("sales order 99 cannot be read"));
        let customers = ledger.list_customers().unwrap();
        assert_eq!(customers.rows[0].account_ref, "GOOD01");
        assert_eq!(customers.unreadable.len(), 1);
        assert!(customers.unreadable[0].contains("BAD001"), "{customers:?}");
        assert!(ledger.list_products().unwrap().unreadable.is_empty());
    }
}
