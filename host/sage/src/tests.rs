//! The capability's host side, called directly (as the linker would) with a real ledger file and
//! a real workflow truth store; the full engine path is in the workspace's `tests/all/sage.rs`.

use std::path::Path;
use std::sync::Arc;

use sage_ledger::Ledger;
use wharf_engine::runtime::Capability;
use wharf_engine::storage::{self, SqliteTruth, TruthStore};
use wharf_engine::{Runtime, RuntimeConfig};

use crate::sage::{self, Host};
use crate::{NOT_PERMITTED, SageCapability, SageGrant};

fn truth_store(dir: &Path, name: &str) -> Arc<dyn TruthStore> {
    Arc::new(SqliteTruth::open(&dir.join(format!("{name}.sqlite"))).unwrap())
}

fn references(auto_generate: bool) -> sage::AccountReferenceSettings {
    sage::AccountReferenceSettings {
        auto_generate,
        convention: sage::AccountReferenceConvention::CompanyOtherwiseFullname,
        alphabetic_length: 3,
        numeric_length: 3,
        mask: String::new(),
        regular_expression: String::new(),
    }
}

fn order_settings() -> sage::SalesOrderImportSettings {
    let rule = |code| sage::VatRule {
        enabled: false,
        sales: code,
        carriage: code,
    };
    sage::SalesOrderImportSettings {
        account_references: references(true),
        create_multiple_delivery_addresses: false,
        match_fields: Vec::new(),
        auto_allocate_stock: true,
        default_bank_account: "1200".into(),
        prevent_duplicates: true,
        use_manual_sales_order_number: false,
        auto_create_customer: true,
        auto_create_products: true,
        convert_to_account_currency: false,
        default_product_code: "S1".into(),
        prices_include_tax: false,
        read_sales_ledger_data: false,
        vat_settings: sage::VatSettings {
            base: rule(1),
            eu: rule(1),
            eu_vat_reg: rule(4),
            row: rule(0),
        },
    }
}

fn orders_document() -> Vec<u8> {
    let order = |id: &str, sku: &str| {
        format!(
            "<SalesOrder><Id>{id}</Id><CustomerId>C1</CustomerId><SalesOrderAddress><Company>Harbour Traders</Company></SalesOrderAddress>\
             <SalesOrderItems><Item><Sku>{sku}</Sku><QtyOrdered>2</QtyOrdered><UnitPrice>5</UnitPrice></Item></SalesOrderItems></SalesOrder>"
        )
    };
    format!(
        "<?xml version=\"1.0\"?><Company><SalesOrders>{}{}{}</SalesOrders></Company>",
        order("WEB-1", "PEN"),
        order("WEB-2", "INK"),
        // A quantity Sage refuses: this one goes to the fail document, the others import.
        "<SalesOrder><Id>WEB-3</Id><CustomerId>C1</CustomerId><SalesOrderItems><Item><Sku>PEN</Sku><QtyOrdered>0</QtyOrdered></Item></SalesOrderItems></SalesOrder>"
    )
    .into_bytes()
}

struct Fixture {
    dir: tempfile::TempDir,
    capability: SageCapability,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let capability = SageCapability::new(dir.path().join("company/ledger.sqlite"));
        let fixture = Fixture { dir, capability };
        // The company is created on purpose: a task never creates one.
        fixture.ledger();
        fixture
    }

    fn grant(&self, workflow: &str) -> SageGrant {
        self.capability
            .session(truth_store(self.dir.path(), workflow), workflow, None, None)
    }

    fn ledger(&self) -> Ledger {
        std::fs::create_dir_all(self.capability.ledger_path().parent().unwrap()).unwrap();
        Ledger::open(self.capability.ledger_path()).unwrap()
    }
}

#[test]
fn an_ungranted_task_is_not_permitted_anything() {
    let mut denied = SageGrant::default();
    let results = [
        denied
            .import_sales_orders(orders_document(), order_settings())
            .map(|_| ()),
        denied
            .import_customers(
                Vec::new(),
                sage::CustomerImportSettings {
                    account_references: references(false),
                    create_multiple_delivery_addresses: false,
                    match_fields: Vec::new(),
                },
            )
            .map(|_| ()),
        denied
            .export_stock_records(sage::StockExportSettings {
                since: None,
                export_type: sage::ExportType::All,
                export_published: false,
            })
            .map(|_| ()),
        denied.commit_stock_export(1),
        denied.company().map(|_| ()),
        denied.find_customer("ABC001".into()).map(|_| ()),
        denied.find_product("PEN".into()).map(|_| ()),
        denied.next_sales_order_number().map(|_| ()),
    ];
    for result in results {
        let message = result.unwrap_err();
        assert_eq!(message, NOT_PERMITTED);
        assert!(message.starts_with("not permitted") && message.contains("grants: [sage]"));
    }
}

#[test]
fn orders_import_once_per_workflow_and_duplicates_fail_on_the_second_run() {
    let fixture = Fixture::new();
    let mut grant = fixture.grant("shop");
    let first = grant
        .import_sales_orders(orders_document(), order_settings())
        .unwrap();
    assert_eq!(
        (
            first.counts.records_read,
            first.counts.imported,
            first.counts.failed
        ),
        (3, 2, 1)
    );
    assert_eq!(first.counts.customers_created, 1);
    assert!(first.aborted.is_none());
    assert!(first.fail_document.contains("<Id>WEB-3</Id>"));
    assert!(
        first.fail_document.contains("quantity"),
        "{}",
        first.fail_document
    );
    assert!(
        first
            .success_document
            .contains("<SalesOrderNumber>1</SalesOrderNumber>")
    );

    // The next run of the same workflow (a new task call, same truth store).
    let mut again = fixture.grant("shop");
    let second = again
        .import_sales_orders(orders_document(), order_settings())
        .unwrap();
    assert_eq!((second.counts.imported, second.counts.failed), (0, 3));
    assert!(
        second
            .fail_document
            .contains("already been imported as sales order 1")
    );
    assert!(
        second.success_document.len() < 600,
        "an empty success file stays small"
    );
    assert_eq!(fixture.ledger().sales_order_count().unwrap(), 2);

    // Truth is per workflow: another workflow's run is not a duplicate of this one's.
    let mut other = fixture.grant("another-shop");
    let third = other
        .import_sales_orders(orders_document(), order_settings())
        .unwrap();
    assert_eq!(third.counts.imported, 2);
}

/// `ids` as sales orders, each for one of seven customers (by its CustomerId).
fn many_orders(ids: impl Iterator<Item = usize>) -> Vec<u8> {
    let orders: String = ids
        .map(|n| {
            let customer = n % 7;
            format!(
                "<SalesOrder><Id>WEB-{n}</Id><CustomerId>C{customer}</CustomerId><SalesOrderAddress><Company>Trader {customer}</Company></SalesOrderAddress>\
                 <SalesOrderItems><Item><Sku>PEN</Sku><QtyOrdered>1</QtyOrdered><UnitPrice>5</UnitPrice></Item></SalesOrderItems></SalesOrder>"
            )
        })
        .collect();
    format!("<?xml version=\"1.0\"?><Company><SalesOrders>{orders}</SalesOrders></Company>")
        .into_bytes()
}

#[test]
fn a_large_import_refuses_earlier_ids_and_copies_and_finds_customers_by_their_links() {
    // Hundreds of orders for a few customers: earlier runs' rows, this run's rows and the
    // customers' links are all found through the truth store.
    let fixture = Fixture::new();
    let first = fixture
        .grant("shop")
        .import_sales_orders(many_orders(0..600), order_settings())
        .unwrap();
    assert_eq!(
        (first.counts.imported, first.counts.customers_created),
        (600, 7)
    );

    // Ids 0..600 again (the earlier run's), 600..1200 new, and a second copy of Id 650.
    let second = fixture
        .grant("shop")
        .import_sales_orders(many_orders((0..1200).chain([650])), order_settings())
        .unwrap();
    assert_eq!(
        (
            second.counts.imported,
            second.counts.failed,
            second.counts.customers_created
        ),
        (600, 601, 0),
        "the earlier run's orders and the copy are refused, the customers are found by their links"
    );
    assert!(
        second
            .fail_document
            .contains("Order 'WEB-599' has already been imported as sales order 600")
    );
    assert!(
        second
            .fail_document
            .contains("Order 'WEB-650' is a duplicate: an earlier order in this file")
    );
    assert_eq!(fixture.ledger().sales_order_count().unwrap(), 1200);
}

#[test]
fn a_missing_ledger_fails_the_task_and_is_never_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mistyped/ledger.sqlite");
    let capability = SageCapability::with_connector(Arc::new(
        crate::EmbeddedLedger::new(&path).given_by("--sage-ledger"),
    ));
    let session = |run: Option<&str>| {
        capability
            .session(
                truth_store(dir.path(), "shop"),
                "shop",
                Some("lineage/orders".into()),
                run.map(str::to_owned),
            )
            .for_task("Import (sage50-import-sales-orders)")
    };
    let errors = [
        session(Some("run-1"))
            .import_sales_orders(orders_document(), order_settings())
            .map(|_| ()),
        session(None)
            .import_sales_orders(orders_document(), order_settings())
            .map(|_| ()),
        session(Some("run-1")).next_sales_order_number().map(|_| ()),
        session(None).company().map(|_| ()),
    ];
    for error in errors {
        let error = error.unwrap_err();
        for part in [
            "task Import (sage50-import-sales-orders)",
            "--sage-ledger",
            &path.display().to_string(),
            "wharf sage create-company",
        ] {
            assert!(error.contains(part), "`{part}` in: {error}");
        }
    }
    assert!(
        !path.parent().unwrap().exists(),
        "neither the ledger nor its folder (nor a lock file) was created"
    );
}

#[test]
fn a_run_keeps_its_ledger_handle_and_another_run_opens_its_own() {
    let fixture = Fixture::new();
    let truth = truth_store(fixture.dir.path(), "shop");
    let run = |id: &str| {
        fixture.capability.session(
            truth.clone(),
            "shop",
            Some("lineage/orders".into()),
            Some(id.into()),
        )
    };
    let first = run("run-1")
        .import_sales_orders(orders_document(), order_settings())
        .unwrap();
    assert_eq!(first.counts.imported, 2);
    assert_eq!(fixture.capability.kept.owner().as_deref(), Some("run-1"));

    // The same run again on the kept handle: its journal starts clean, so the same records
    // met again in this run are duplicates, not replays of an interrupted run's.
    let again = run("run-1")
        .import_sales_orders(orders_document(), order_settings())
        .unwrap();
    assert_eq!((again.counts.imported, again.counts.failed), (0, 3));
    assert!(again.fail_document.contains("already been imported"));
    assert_eq!(fixture.capability.kept.owner().as_deref(), Some("run-1"));

    // Another run opens its own handle, which is then the one kept.
    let mut next = run("run-2");
    assert_eq!(next.next_sales_order_number().unwrap(), 3);
    assert_eq!(fixture.capability.kept.owner().as_deref(), Some("run-2"));
    assert_eq!(fixture.ledger().sales_order_count().unwrap(), 2);

    // A call outside any run (no run id) keeps nothing.
    let mut loose = fixture.grant("shop");
    assert_eq!(loose.next_sales_order_number().unwrap(), 3);
    assert_eq!(fixture.capability.kept.owner().as_deref(), Some("run-2"));
}

#[test]
fn truth_rows_land_in_the_workflow_store() {
    let fixture = Fixture::new();
    let truth = truth_store(fixture.dir.path(), "shop");
    let mut grant = fixture
        .capability
        .session(truth.clone(), "shop", None, None);
    grant
        .import_sales_orders(orders_document(), order_settings())
        .unwrap();
    let row = truth
        .find_by_external(sage_ledger::record_types::SALES_ORDER, "WEB-2")
        .unwrap()
        .unwrap();
    assert_eq!(row.internal_id, "0000000002");
    let link = truth
        .find_by_external(sage_ledger::record_types::CUSTOMER, "C1")
        .unwrap()
        .unwrap();
    assert_eq!(link.internal_id, "HAR001");
    let customer = grant.find_customer("har001".into()).unwrap().unwrap();
    assert_eq!(customer.name, "Harbour Traders");
    assert_eq!(grant.next_sales_order_number().unwrap(), 3);
    let pen = grant.find_product("PEN".into()).unwrap().unwrap();
    assert_eq!(
        (pen.qty_in_stock, pen.qty_allocated, pen.free_stock),
        (0.0, 0.0, 0.0)
    );
    assert_eq!(grant.company().unwrap().base_currency, "GBP");
}

#[test]
fn a_document_that_is_not_zynk_xml_gives_empty_documents_and_the_reason_in_the_fail_file() {
    let fixture = Fixture::new();
    let mut grant = fixture.grant("shop");
    let outcome = grant
        .import_sales_orders(b"<Company><SalesOrders>".to_vec(), order_settings())
        .unwrap();
    let reason = outcome.aborted.unwrap();
    assert!(
        reason.starts_with("the input is not a Zynk XML document"),
        "{reason}"
    );
    assert!(outcome.success_document.len() < 600);
    assert!(outcome.fail_document.contains("<SalesOrders />"));
    assert!(
        outcome
            .fail_document
            .contains("<!-- the input is not a Zynk XML document"),
        "the fail file says why: {}",
        outcome.fail_document
    );
    assert!(zynk_xml::Company::parse_bytes(outcome.fail_document.as_bytes()).is_ok());
    assert_eq!(outcome.counts.records_read, 0);
}

#[test]
fn settings_that_cannot_work_are_an_error() {
    let fixture = Fixture::new();
    let mut grant = fixture.grant("shop");
    let mut settings = order_settings();
    settings.account_references.mask = "??-??".into();
    let error = grant
        .import_sales_orders(orders_document(), settings)
        .unwrap_err();
    assert!(error.contains("mask"), "{error}");
    let error = grant
        .export_stock_records(sage::StockExportSettings {
            since: Some("last tuesday".into()),
            export_type: sage::ExportType::Modified,
            export_published: false,
        })
        .unwrap_err();
    assert!(error.contains("last tuesday"), "{error}");
}

#[test]
fn export_hashes_count_only_once_committed_with_their_cursor() {
    let fixture = Fixture::new();
    {
        let mut ledger = fixture.ledger();
        sage_ledger::benchmark::seed_catalogue(&mut ledger, 3).unwrap();
    }
    let all = || sage::StockExportSettings {
        since: None,
        export_type: sage::ExportType::Modified,
        export_published: false,
    };
    let mut grant = fixture.grant("shop");
    let first = grant.export_stock_records(all()).unwrap();
    assert_eq!((first.scanned, first.exported), (3, 3));
    assert!(first.document.contains("<Sku>SKU00001</Sku>"));

    // Not committed (the output was never delivered): the same records go again.
    let mut next_run = fixture.grant("shop");
    let second = next_run.export_stock_records(all()).unwrap();
    assert_eq!(second.exported, 3);
    next_run.commit_stock_export(second.export_id).unwrap();
    assert!(
        next_run.commit_stock_export(second.export_id).is_err(),
        "committed once"
    );

    // Committed, but the task's cursor was never stored (it was stopped before it ended): the
    // hashes belong to an export that may have gone nowhere, so the records go again.
    let mut third_run = fixture.grant("shop");
    let third = third_run.export_stock_records(all()).unwrap();
    assert_eq!((third.exported, third.suppressed), (3, 0));

    // From the cursor on, nothing is even selected.
    let since = third_run
        .export_stock_records(sage::StockExportSettings {
            since: Some(first.next_cursor.clone()),
            ..all()
        })
        .unwrap();
    assert_eq!(since.scanned, 0);
    assert!(since.document.len() < 600);
}

#[test]
fn the_capability_links_into_a_runtime() {
    let capability = SageCapability::new("unused.sqlite");
    assert_eq!(capability.name(), "sage");
    assert!(capability.check_grant(None).is_ok());
    assert!(capability.check_grant(Some("company")).is_err());
    let runtime = Runtime::with_capabilities(
        RuntimeConfig { cache_dir: None },
        vec![Arc::new(capability)],
    )
    .unwrap();
    assert!(runtime.capability_names().contains(&"sage".to_string()));
}

#[test]
fn jobs_and_results_round_trip_as_json() {
    use crate::{JobFile, SageJob, SageJobResult, TruthUpdate};
    let job = SageJob {
        component: "sage50-import-sales-orders".into(),
        component_sha256: None,
        label: "import orders".into(),
        settings: [("input-file".to_string(), "orders.xml".to_string())].into(),
        input_files: [
            ("orders.xml".to_string(), JobFile::inline(orders_document())),
            ("raw.bin".to_string(), JobFile::inline(vec![0xff, 0x00])),
        ]
        .into(),
        state: Default::default(),
        truth: vec![storage::TruthRecord {
            kind: "Zynk.Connect.Objects.SalesOrder".into(),
            internal_id: "0000000001".into(),
            external_id: "WEB-1".into(),
            hash: None,
        }],
        truth_kinds: None,
        truth_scope: "wf".into(),
        lineage: Some("run-1/orders".into()),
        run_id: None,
        timeout_seconds: Some(60),
    };
    let json = serde_json::to_string(&job).unwrap();
    assert!(json.contains("\"input-files\""), "{json}");
    let back: SageJob = serde_json::from_str(&json).unwrap();
    assert_eq!(back, job);
    assert!(matches!(back.input_files["raw.bin"], JobFile::Base64(_)));
    assert_eq!(
        back.input_files["raw.bin"].bytes().unwrap(),
        vec![0xff, 0x00]
    );

    let result = SageJobResult {
        code: wharf_engine::ResultCode::SuccessData,
        message: "imported 1".into(),
        counts: Default::default(),
        outputs: vec![],
        output_files: Default::default(),
        truth_updates: vec![TruthUpdate::Remove {
            kind: "k".into(),
            external_id: "e".into(),
        }],
        state: None,
        logs: vec![],
    };
    let back: SageJobResult =
        serde_json::from_str(&serde_json::to_string(&result).unwrap()).unwrap();
    assert_eq!(back, result);
}
