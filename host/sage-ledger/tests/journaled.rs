//! The import procedures on a backend Wharf shares no transaction with (`JournaledBackend`):
//! "Sage" is a ledger with its own journal off, behind a connection that dies right after Sage
//! took an order, an invoice or a transaction (the agent killed before it answered). The
//! pending write names the record's posting key; the next import finds the record by it, so
//! every record is in Sage once and a resumed run reports the interrupted run's records as
//! imported.

mod common;

use chrono::NaiveDateTime;
use common::{add_product, ledger, order, order_errors, orders};
use sage_ledger::procedures::{
    ImportReport, InvoiceImportSettings, SalesOrderImportSettings, TransactionImportSettings,
    import_invoices, import_sales_orders, import_transactions,
};
use sage_ledger::{
    AccountReferenceGenerator, AllocationResult, BackendError, BackendResult, CompanyInfo,
    Customer, DeliveryAddressChange, ImportJournal, Invoice, InvoiceOutcome, InvoiceRequest,
    JournalScope, JournaledBackend, Ledger, MatchField, MemoryTruthStore, NameParts, NewCustomer,
    OrderImportOptions, OrderOutcome, PostedGroup, Probe, Product, SageBackend, SalesOrder,
    SalesOrderRequest, StockRecordFilter, TransactionRequest, TruthStore, record_types,
};

/// A Sage behind a connection that dies after the `die_at`-th order post has reached Sage, and
/// answers nothing until restarted.
struct Unreliable {
    sage: Ledger,
    posts: usize,
    die_at: Option<usize>,
    down: bool,
}

impl Unreliable {
    fn up(&self) -> BackendResult<()> {
        if self.down {
            return Err(BackendError::Unavailable("the Sage agent is gone".into()));
        }
        Ok(())
    }

    /// Counts a post that reached Sage; the connection dies after the `die_at`-th.
    fn posted<T>(&mut self, outcome: T) -> BackendResult<T> {
        self.posts += 1;
        if self.die_at == Some(self.posts) {
            self.down = true;
            return Err(BackendError::Unavailable(
                "the Sage agent ended without answering".into(),
            ));
        }
        Ok(outcome)
    }
}

impl SageBackend for Unreliable {
    fn probe(&mut self) -> BackendResult<Probe> {
        self.up()?;
        self.sage.probe()
    }
    fn company(&mut self) -> BackendResult<CompanyInfo> {
        self.up()?;
        SageBackend::company(&mut self.sage)
    }
    fn now(&mut self) -> BackendResult<NaiveDateTime> {
        self.up()?;
        SageBackend::now(&mut self.sage)
    }
    fn find_customer(&mut self, account_ref: &str) -> BackendResult<Option<Customer>> {
        self.up()?;
        self.sage.find_customer(account_ref)
    }
    fn find_customer_matching(
        &mut self,
        criteria: &[(MatchField, String)],
        currency: Option<&str>,
    ) -> BackendResult<Option<Customer>> {
        self.up()?;
        SageBackend::find_customer_matching(&mut self.sage, criteria, currency)
    }
    fn customer_template(&mut self, account_ref: &str) -> BackendResult<Customer> {
        self.up()?;
        SageBackend::customer_template(&mut self.sage, account_ref)
    }
    fn create_customer(&mut self, new: &NewCustomer) -> BackendResult<Customer> {
        self.up()?;
        SageBackend::create_customer(&mut self.sage, new)
    }
    fn update_customer(
        &mut self,
        customer: &Customer,
        delivery: Option<&DeliveryAddressChange>,
    ) -> BackendResult<Customer> {
        self.up()?;
        SageBackend::update_customer(&mut self.sage, customer, delivery)
    }
    fn find_product(&mut self, stock_code: &str) -> BackendResult<Option<Product>> {
        self.up()?;
        SageBackend::find_product(&mut self.sage, stock_code)
    }
    fn product_template(&mut self, stock_code: &str) -> BackendResult<Product> {
        self.up()?;
        SageBackend::product_template(&mut self.sage, stock_code)
    }
    fn create_product(&mut self, product: &Product) -> BackendResult<Product> {
        self.up()?;
        SageBackend::create_product(&mut self.sage, product)
    }
    fn post_sales_order(
        &mut self,
        key: Option<&str>,
        request: &SalesOrderRequest,
        options: &OrderImportOptions,
    ) -> BackendResult<OrderOutcome> {
        self.up()?;
        let outcome = self.sage.post_sales_order(key, request, options)?;
        self.posted(outcome)
    }
    fn post_invoice(
        &mut self,
        key: Option<&str>,
        request: &InvoiceRequest,
        options: &OrderImportOptions,
    ) -> BackendResult<InvoiceOutcome> {
        self.up()?;
        let outcome = SageBackend::post_invoice(&mut self.sage, key, request, options)?;
        self.posted(outcome)
    }
    fn find_invoice_by_key(&mut self, key: &str) -> BackendResult<Option<Invoice>> {
        self.up()?;
        SageBackend::find_invoice_by_key(&mut self.sage, key)
    }
    fn find_invoice(&mut self, invoice_number: u32) -> BackendResult<Option<Invoice>> {
        self.up()?;
        SageBackend::find_invoice(&mut self.sage, invoice_number)
    }
    fn post_transaction(&mut self, request: &TransactionRequest) -> BackendResult<PostedGroup> {
        self.up()?;
        let posted = SageBackend::post_transaction(&mut self.sage, request)?;
        self.posted(posted)
    }
    fn find_transaction_by_key(&mut self, key: &str) -> BackendResult<Option<u32>> {
        self.up()?;
        SageBackend::find_transaction_by_key(&mut self.sage, key)
    }
    fn find_sales_order(&mut self, order_number: u32) -> BackendResult<Option<SalesOrder>> {
        self.up()?;
        SageBackend::find_sales_order(&mut self.sage, order_number)
    }
    fn find_order_by_key(&mut self, key: &str) -> BackendResult<Option<SalesOrder>> {
        self.up()?;
        SageBackend::find_order_by_key(&mut self.sage, key)
    }
    fn allocate_order(&mut self, order_number: u32) -> BackendResult<AllocationResult> {
        self.up()?;
        SageBackend::allocate_order(&mut self.sage, order_number)
    }
    fn stock_since(
        &mut self,
        since: NaiveDateTime,
        filter: StockRecordFilter,
    ) -> BackendResult<Vec<Product>> {
        self.up()?;
        self.sage.stock_since(since, filter)
    }
    fn next_account_reference(
        &mut self,
        names: &NameParts<'_>,
        generator: &AccountReferenceGenerator,
    ) -> BackendResult<String> {
        self.up()?;
        SageBackend::next_account_reference(&mut self.sage, names, generator)
    }
}

fn five_orders() -> zynk_xml::Company {
    let elements: Vec<String> = (1..=5)
        .map(|n| order(&format!("WEB-{n}"), "WEB001", &[("SKU1", 1.0, 10.0)]))
        .collect();
    orders(&elements)
}

/// A Sage with the web account and its product, journaled in `folder`, dying at the third post.
fn sage(folder: &tempfile::TempDir) -> JournaledBackend<Unreliable> {
    let (mut sage, _) = ledger();
    common::add_customer(&mut sage, "WEB001", "Web Sales");
    add_product(&mut sage, "SKU1", 10.0, 100.0);
    let unreliable = Unreliable {
        sage,
        posts: 0,
        die_at: Some(3),
        down: false,
    };
    JournaledBackend::open(folder.path().join("journal.sqlite"), unreliable).unwrap()
}

fn scope(lineage: &str, run: &str) -> JournalScope {
    JournalScope {
        truth_scope: Some("workflow-a".into()),
        replay_key: Some(format!("{lineage}/document-x")),
        run_id: Some(run.into()),
    }
}

fn orders_in_sage(journaled: &mut JournaledBackend<Unreliable>) -> u64 {
    journaled.backend().sage.sales_order_count().unwrap()
}

/// The first run: orders 1 and 2 go in, order 3 reaches Sage but its answer is lost.
fn interrupted_run(
    journaled: &mut JournaledBackend<Unreliable>,
    truth: &mut MemoryTruthStore,
) -> SalesOrderImportSettings {
    let settings = SalesOrderImportSettings::default();
    journaled.set_journal(scope("lineage-1", "run-1"));
    let first = import_sales_orders(journaled, truth, five_orders(), &settings).unwrap();
    assert!(
        first.aborted.is_some(),
        "the run stopped when the agent died"
    );
    assert_eq!((first.counts.imported, first.counts.failed), (2, 3));
    assert_eq!(orders_in_sage(journaled), 3, "Sage took order 3");
    assert!(
        truth
            .find_by_external_id(record_types::SALES_ORDER, "WEB-3")
            .unwrap()
            .is_none(),
        "nothing told the truth store about order 3"
    );
    journaled.backend().down = false;
    settings
}

#[test]
fn a_resumed_run_reports_the_order_a_killed_agent_posted_and_posts_the_rest() {
    let folder = tempfile::tempdir().unwrap();
    let mut journaled = sage(&folder);
    let mut truth = MemoryTruthStore::new();
    let settings = interrupted_run(&mut journaled, &mut truth);

    journaled.set_journal(scope("lineage-1", "run-2"));
    let second = import_sales_orders(&mut journaled, &mut truth, five_orders(), &settings).unwrap();
    assert!(second.aborted.is_none(), "{:?}", second.aborted);
    assert_eq!(
        (second.counts.imported, second.counts.failed),
        (5, 0),
        "{:?}",
        order_errors(&second.fail)
    );
    let numbers: Vec<String> = second
        .success
        .sales_orders
        .iter()
        .flatten()
        .filter_map(|order| order.as_record().and_then(|o| o.sales_order_number.clone()))
        .collect();
    assert_eq!(numbers, ["1", "2", "3", "4", "5"]);
    assert_eq!(
        orders_in_sage(&mut journaled),
        5,
        "every order exactly once"
    );
    assert_eq!(
        truth
            .find_by_external_id(record_types::SALES_ORDER, "WEB-3")
            .unwrap()
            .unwrap()
            .internal_id,
        "0000000003"
    );
    assert!(
        journaled.truth_journal().unwrap().is_empty(),
        "a completed run clears the journal"
    );
}

#[test]
fn a_new_run_rejects_the_order_a_killed_agent_posted_as_a_duplicate() {
    let folder = tempfile::tempdir().unwrap();
    let mut journaled = sage(&folder);
    let mut truth = MemoryTruthStore::new();
    let settings = interrupted_run(&mut journaled, &mut truth);

    // Not a resumed run: another lineage. Order 3's truth row comes from the journal.
    journaled.set_journal(scope("lineage-2", "run-9"));
    let second = import_sales_orders(&mut journaled, &mut truth, five_orders(), &settings).unwrap();
    assert_eq!((second.counts.imported, second.counts.failed), (2, 3));
    assert!(order_errors(&second.fail)[2].contains("already been imported as sales order 3"));
    assert_eq!(
        orders_in_sage(&mut journaled),
        5,
        "every order exactly once"
    );
}

#[test]
fn the_journal_outlives_the_process() {
    let folder = tempfile::tempdir().unwrap();
    let mut truth = MemoryTruthStore::new();
    let mut journaled = sage(&folder);
    let settings = interrupted_run(&mut journaled, &mut truth);
    // The process ends here with order 3 pending; Sage (this ledger) goes on.
    let sage = std::mem::replace(
        &mut journaled.backend().sage,
        Ledger::open_in_memory().unwrap(),
    );
    drop(journaled);
    let mut reopened = JournaledBackend::open(
        folder.path().join("journal.sqlite"),
        Unreliable {
            sage,
            posts: 0,
            die_at: None,
            down: false,
        },
    )
    .unwrap();
    reopened.set_journal(scope("lineage-1", "run-2"));
    let second = import_sales_orders(&mut reopened, &mut truth, five_orders(), &settings).unwrap();
    assert_eq!((second.counts.imported, second.counts.failed), (5, 0));
    assert_eq!(orders_in_sage(&mut reopened), 5, "every order exactly once");
}

fn five_invoices() -> zynk_xml::Company {
    let elements: String = (1..=5)
        .map(|n| {
            format!(
                "<Invoice><Id>INV-{n}</Id><AccountReference>WEB001</AccountReference><InvoiceItems>\
                 <Item><Sku>SKU1</Sku><QtyOrdered>1</QtyOrdered><UnitPrice>10</UnitPrice><TaxCode>1</TaxCode></Item>\
                 </InvoiceItems></Invoice>"
            )
        })
        .collect();
    zynk_xml::Company::parse(&format!(
        "<Company><Invoices>{elements}</Invoices></Company>"
    ))
    .unwrap()
}

/// Five receipts of 12.00 from the web account, each its own transaction (`keyed`: with Ids).
fn five_receipts(keyed: bool) -> zynk_xml::Company {
    let elements: String = (1..=5)
        .map(|n| {
            let id = if keyed {
                format!("<Id>TR-{n}</Id>")
            } else {
                String::new()
            };
            format!(
                "<Transaction>{id}<TransactionType>SalesReceiptOnAccount</TransactionType>\
                 <AccountReference>WEB001</AccountReference><BankReference>1200</BankReference>\
                 <Reference>R{n}</Reference><NetAmount>12</NetAmount></Transaction>"
            )
        })
        .collect();
    zynk_xml::Company::parse(&format!(
        "<Company><Transactions>{elements}</Transactions></Company>"
    ))
    .unwrap()
}

fn numbers_of<T>(
    records: &Option<Vec<zynk_xml::Parsed<T>>>,
    number: fn(&T) -> Option<String>,
) -> Vec<String> {
    records
        .iter()
        .flatten()
        .filter_map(|record| record.as_record().and_then(number))
        .collect()
}

/// Runs `import` twice on a Sage that dies at the third post: interrupted, then resumed (the
/// same lineage). The resumed run must report all five, the interrupted run's third with the
/// number Sage gave it.
fn interrupted_then_resumed(
    import: impl Fn(&mut JournaledBackend<Unreliable>, &mut MemoryTruthStore) -> ImportReport,
) -> (JournaledBackend<Unreliable>, ImportReport) {
    let folder = tempfile::tempdir().unwrap();
    let mut journaled = sage(&folder);
    let mut truth = MemoryTruthStore::new();
    journaled.set_journal(scope("lineage-1", "run-1"));
    let first = import(&mut journaled, &mut truth);
    assert!(
        first.aborted.is_some(),
        "the run stopped when the agent died"
    );
    assert_eq!((first.counts.imported, first.counts.failed), (2, 3));
    journaled.backend().down = false;
    journaled.set_journal(scope("lineage-1", "run-2"));
    let second = import(&mut journaled, &mut truth);
    assert!(second.aborted.is_none(), "{:?}", second.aborted);
    assert_eq!((second.counts.imported, second.counts.failed), (5, 0));
    assert!(journaled.truth_journal().unwrap().is_empty());
    (journaled, second)
}

#[test]
fn a_resumed_run_reports_the_invoice_a_killed_agent_posted_not_a_duplicate() {
    let settings = InvoiceImportSettings {
        key_scope: "workflow-a".into(),
        ..InvoiceImportSettings::default()
    };
    let (mut journaled, second) = interrupted_then_resumed(|sage, truth| {
        import_invoices(sage, truth, five_invoices(), &settings).unwrap()
    });
    let numbers = numbers_of(&second.success.invoices, |i| i.invoice_number.clone());
    assert_eq!(numbers, ["1", "2", "3", "4", "5"]);
    let sage = &journaled.backend().sage;
    assert_eq!(
        sage.invoices_since(chrono::NaiveDateTime::MIN, true)
            .unwrap()
            .len(),
        5,
        "every invoice exactly once"
    );
}

#[test]
fn a_resumed_run_reports_the_transactions_a_killed_agent_posted_with_or_without_ids() {
    for keyed in [true, false] {
        let settings = TransactionImportSettings {
            key_scope: "workflow-a".into(),
            ..TransactionImportSettings::default()
        };
        let (mut journaled, second) = interrupted_then_resumed(|sage, truth| {
            import_transactions(sage, truth, &five_receipts(keyed), &settings).unwrap()
        });
        let numbers = numbers_of(&second.success.transactions, |t| {
            t.transaction_number.clone()
        });
        assert_eq!(numbers.len(), 5, "{numbers:?}");
        let balance = journaled
            .backend()
            .sage
            .find_customer_by_ref("WEB001")
            .unwrap()
            .unwrap()
            .balance;
        assert_eq!(
            balance, -60.0,
            "five receipts of 12.00, each once (Ids: {keyed})"
        );
    }
}
