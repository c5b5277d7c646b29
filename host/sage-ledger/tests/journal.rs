//! The truth journal: a run that dies between an order's commit and its truth row (simulated by
//! a truth store that stops accepting writes) leaves every order in the ledger exactly once
//! after the next run.

mod common;

use common::{add_product, customers, ledger, order, order_errors, orders};
use sage_ledger::procedures::{
    CustomerImportSettings, SalesOrderImportSettings, import_customers, import_sales_orders,
    recover_truth,
};
use sage_ledger::{MemoryTruthStore, TruthRecord, TruthStore, TruthStoreError, record_types};

/// A truth store whose writes fail after `allowed` of them, like a process killed mid-run.
struct Dying {
    inner: MemoryTruthStore,
    allowed: usize,
}

impl TruthStore for Dying {
    fn find_by_external_id(
        &self,
        record_type: &str,
        external_id: &str,
    ) -> Result<Option<TruthRecord>, TruthStoreError> {
        self.inner.find_by_external_id(record_type, external_id)
    }

    fn find_by_internal_id(
        &self,
        record_type: &str,
        internal_id: &str,
    ) -> Result<Option<TruthRecord>, TruthStoreError> {
        self.inner.find_by_internal_id(record_type, internal_id)
    }

    fn upsert(&mut self, record: &TruthRecord) -> Result<(), TruthStoreError> {
        if self.allowed == 0 {
            return Err(TruthStoreError("the process was killed".into()));
        }
        self.allowed -= 1;
        self.inner.upsert(record)
    }
}

fn five_orders() -> zynk_xml::Company {
    let elements: Vec<String> = (1..=5)
        .map(|n| order(&format!("WEB-{n}"), "WEB001", &[("SKU1", 1.0, 10.0)]))
        .collect();
    orders(&elements)
}

fn web_account(ledger: &mut sage_ledger::Ledger) {
    common::add_customer(ledger, "WEB001", "Web Sales");
    add_product(ledger, "SKU1", 10.0, 100.0);
}

#[test]
fn orders_committed_without_their_truth_rows_are_not_imported_again() {
    let (mut ledger, _) = ledger();
    web_account(&mut ledger);
    ledger.set_truth_journal(Some("workflow-a".into()));
    let mut dying = Dying {
        inner: MemoryTruthStore::new(),
        allowed: 2,
    };
    let settings = SalesOrderImportSettings::default();
    let first = import_sales_orders(&mut ledger, &mut dying, five_orders(), &settings).unwrap();
    // Order 3 reached the ledger but not the truth store; the run stopped after it.
    assert!(first.aborted.is_some());
    assert_eq!(first.counts.imported, 3);
    assert_eq!(ledger.sales_order_count().unwrap(), 3);
    let mut truth = dying.inner;
    assert!(
        truth
            .find_by_external_id(record_types::SALES_ORDER, "WEB-3")
            .unwrap()
            .is_none()
    );

    let second = import_sales_orders(&mut ledger, &mut truth, five_orders(), &settings).unwrap();
    assert!(second.aborted.is_none());
    assert_eq!((second.counts.imported, second.counts.failed), (2, 3));
    assert!(order_errors(&second.fail)[2].contains("already been imported as sales order 3"));
    assert_eq!(
        ledger.sales_order_count().unwrap(),
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
        ledger.truth_journal().unwrap().is_empty(),
        "a completed run clears the journal"
    );
}

#[test]
fn the_journal_belongs_to_its_scope() {
    let (mut ledger, _) = ledger();
    web_account(&mut ledger);
    ledger.set_truth_journal(Some("workflow-a".into()));
    let mut dying = Dying {
        inner: MemoryTruthStore::new(),
        allowed: 0,
    };
    let settings = SalesOrderImportSettings::default();
    import_sales_orders(&mut ledger, &mut dying, five_orders(), &settings).unwrap();
    assert_eq!(ledger.sales_order_count().unwrap(), 1);

    // Another workflow sharing the company sees none of workflow A's rows.
    ledger.set_truth_journal(Some("workflow-b".into()));
    let mut other = MemoryTruthStore::new();
    assert_eq!(recover_truth(&mut ledger, &mut other).unwrap(), 0);
    assert!(other.records().is_empty());

    ledger.set_truth_journal(Some("workflow-a".into()));
    let mut truth = dying.inner;
    assert_eq!(recover_truth(&mut ledger, &mut truth).unwrap(), 1);
    assert_eq!(truth.records().len(), 1);
}

#[test]
fn without_a_scope_nothing_is_journaled() {
    let (mut ledger, _) = ledger();
    web_account(&mut ledger);
    let mut truth = MemoryTruthStore::new();
    import_sales_orders(
        &mut ledger,
        &mut truth,
        five_orders(),
        &SalesOrderImportSettings::default(),
    )
    .unwrap();
    ledger.set_truth_journal(Some("workflow-a".into()));
    assert!(ledger.truth_journal().unwrap().is_empty());
}

#[test]
fn customer_links_are_journaled_with_the_account() {
    let (mut ledger, _) = ledger();
    ledger.set_truth_journal(Some("workflow-a".into()));
    let input = customers(&[
        "<Customer><Id>C1</Id><CompanyName>Harbour Traders</CompanyName></Customer>".to_owned(),
    ]);
    let mut settings = CustomerImportSettings::default();
    settings.account_references.auto_generate = true;
    let mut dying = Dying {
        inner: MemoryTruthStore::new(),
        allowed: 0,
    };
    let first = import_customers(&mut ledger, &mut dying, &input, &settings).unwrap();
    assert!(first.aborted.is_some());
    let mut truth = dying.inner;
    let second = import_customers(&mut ledger, &mut truth, &input, &settings).unwrap();
    assert_eq!(second.counts.customers_created, 0, "the link was recovered");
    assert_eq!(second.counts.customers_updated, 1);
    assert_eq!(ledger.customers().unwrap().len(), 1);
    assert_eq!(
        truth
            .find_by_external_id(record_types::CUSTOMER, "C1")
            .unwrap()
            .unwrap()
            .internal_id,
        "HARB0001"
    );
}

#[test]
fn a_resumed_run_sees_its_own_earlier_import_as_imported_not_as_a_duplicate() {
    let (mut ledger, _) = ledger();
    web_account(&mut ledger);
    ledger.set_truth_journal(Some("workflow-a".into()));
    let settings = SalesOrderImportSettings::default();
    let mut truth = MemoryTruthStore::new();

    // The interrupted run imported the document under its replay key.
    ledger.set_replay_key(Some("lineage-1/document-x".into()));
    let first = import_sales_orders(&mut ledger, &mut truth, five_orders(), &settings).unwrap();
    assert_eq!(first.counts.imported, 5);

    // Its resumption imports the same document under the same key: reported as then.
    let again = import_sales_orders(&mut ledger, &mut truth, five_orders(), &settings).unwrap();
    assert_eq!((again.counts.imported, again.counts.failed), (5, 0));
    assert_eq!(again.success, first.success, "the same success records");
    assert_eq!(
        ledger.sales_order_count().unwrap(),
        5,
        "nothing posted twice"
    );

    // Any other run (another lineage, or another document) sees duplicates, as Zynk does.
    ledger.set_replay_key(Some("lineage-2/document-x".into()));
    let other = import_sales_orders(&mut ledger, &mut truth, five_orders(), &settings).unwrap();
    assert_eq!((other.counts.imported, other.counts.failed), (0, 5));
    assert!(order_errors(&other.fail)[0].contains("already been imported"));
    ledger.set_replay_key(None);
    let plain = import_sales_orders(&mut ledger, &mut truth, five_orders(), &settings).unwrap();
    assert_eq!(plain.counts.failed, 5);
    assert_eq!(ledger.sales_order_count().unwrap(), 5);
}
