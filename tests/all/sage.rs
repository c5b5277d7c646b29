//! The Sage 50 tasks through the full engine, with the `sage` capability over a ledger file:
//! the real Zynk samples, a run killed mid-import and resumed, encodings, Sage jobs and the
//! `wharf sage` commands. Malformed and refused orders, duplicates on a second run, the `sage`
//! grant and stock export cursors are cases in tests/workflows.

use crate::support::{
    TestEnv, component_dirs, engine_with, fixture, repo_root, task, wait_while_running,
    wharf_command,
};
use sage_ledger::Ledger;
use sage_ledger::benchmark::{OrderFileShape, generate_order_file, seed_catalogue};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use wharf_engine::storage::{SqliteTruth, TruthStore};
use wharf_engine::{ComponentSource, Engine, ResultCode, Runtime, RuntimeConfig};
use wharf_sage::{JobFile, JobRunner, SageCapability, SageJob};

/// Creates an empty Sage company at `path`, as `wharf sage create-company` does: the `sage`
/// capability only opens one that is there.
pub(crate) fn create_company(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    Ledger::open(path).expect("creating the Sage company");
}

/// An engine whose tasks may be granted `sage` over the ledger at `ledger`.
fn sage_engine(ledger: &Path) -> Engine {
    engine_with(vec![Arc::new(SageCapability::new(ledger))])
}

struct SageEnv {
    env: TestEnv,
    ledger: PathBuf,
    engine: Engine,
}

impl SageEnv {
    fn new() -> Self {
        let env = TestEnv::new();
        let ledger = env.dir.path().join("company/ledger.sqlite");
        create_company(&ledger);
        let engine = sage_engine(&ledger);
        SageEnv {
            env,
            ledger,
            engine,
        }
    }

    fn run(&self, yaml: &str) -> wharf_engine::RunRecord {
        self.env.try_run_with(&self.engine, yaml).expect("run")
    }

    fn ledger(&self) -> Ledger {
        Ledger::open(&self.ledger).expect("ledger")
    }

    fn sample(&self, name: &str, as_name: &str) {
        let bytes = std::fs::read(fixture("zynk-xml").join(name)).expect("sample");
        self.env.write(as_name, bytes);
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.env.workdir().join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn truth(&self) -> SqliteTruth {
        SqliteTruth::open(&self.env.data().join("workflow/truth.sqlite")).expect("truth")
    }
}

const TUTORIAL: &str = "name: Tutorial 5
tasks:
  - task: sage50-import-customers
    id: customers
    grants: [sage]
    settings:
      input-file: download.xml
      success-file: customers_success.xml
      fail-file: customers_fail.xml
  - task: sage50-import-sales-orders
    id: orders
    grants: [sage]
    settings:
      input-file: download.xml
      success-file: orders_success.xml
      fail-file: orders_fail.xml
      auto-allocate-stock: true
  - task: sage50-export-stock-records
    id: stock
    grants: [sage]
    settings:
      output-file: stock_export.xml
";

#[test]
fn the_download_sample_imports_customer_order_and_exports_stock() {
    let s = SageEnv::new();
    s.sample(
        "Customer with Sales Order and Card Payment [DOWNLOAD].xml",
        "download.xml",
    );
    let record = s.run(TUTORIAL);
    assert!(record.result.is_success(), "{}", record.message);
    let customers = task(&record, "customers");
    assert_eq!(
        customers.result,
        ResultCode::SuccessData,
        "{}",
        customers.message
    );
    assert_eq!(
        (customers.counts.records_in, customers.counts.records_out),
        (1, 1)
    );
    let orders = task(&record, "orders");
    assert_eq!(orders.result, ResultCode::SuccessData, "{}", orders.message);
    assert_eq!(
        (
            orders.counts.records_in,
            orders.counts.records_out,
            orders.counts.records_failed
        ),
        (1, 1, 0)
    );

    let ledger = s.ledger();
    let order = ledger.find_sales_order(1).unwrap().expect("order 1");
    assert_eq!(order.account_ref, "INTE001");
    assert_eq!(order.total_gross, 245.09);
    assert_eq!(
        ledger
            .find_customer_by_ref("INTE001")
            .unwrap()
            .unwrap()
            .name,
        "Internetware"
    );

    let success = s.read("orders_success.xml");
    assert!(success.len() > 600, "If File Exists sees an order");
    assert!(
        success.contains("<SalesOrderNumber>1</SalesOrderNumber>")
            && success.contains("<Id>456</Id>")
    );
    assert!(s.read("orders_fail.xml").len() < 600, "empty fail file");
    assert!(
        s.read("customers_success.xml")
            .contains("<AccountReference>INTE001</AccountReference>")
    );

    // The auto-created product goes out with the stock export; the cursor is kept in state.
    let stock = task(&record, "stock");
    assert_eq!(stock.result, ResultCode::SuccessData, "{}", stock.message);
    assert!(s.read("stock_export.xml").contains("<Sku>TEST01</Sku>"));
    assert!(s.env.state()["stock"].contains_key("date-time-modified"));

    // Truth links the web ids to the Sage keys, in the workflow's store.
    let truth = s.truth();
    let row = truth
        .find_by_external("Zynk.Connect.Objects.SalesOrder", "456")
        .unwrap()
        .unwrap();
    assert_eq!(row.internal_id, "0000000001");
    let link = truth
        .find_by_external("Zynk.Connect.Objects.Customer", "123")
        .unwrap()
        .unwrap();
    assert_eq!(link.internal_id, "INTE001");
}

#[test]
fn the_customer_export_sample_imports_except_its_malformed_record() {
    let s = SageEnv::new();
    s.sample(
        "Stationary & Computer Mart - Customer Export.xml",
        "customers.xml",
    );
    let record = s.run(
        "name: Customers
tasks:
  - task: sage50-import-customers
    id: customers
    grants: [sage]
    settings:
      input-file: customers.xml
      success-file: ok.xml
      fail-file: failed.xml
",
    );
    let t = task(&record, "customers");
    assert_eq!(t.result, ResultCode::SuccessData, "{}", t.message);
    assert_eq!(t.counts.records_in, 30);
    assert!(t.counts.records_failed >= 1, "{:?}", t.counts);
    assert_eq!(t.counts.records_out + t.counts.records_failed, 30);
    assert_eq!(
        s.ledger().customers().unwrap().len() as u64,
        t.counts.records_out
    );
    let failed = s.read("failed.xml");
    assert!(
        failed.contains("<Errors>") && failed.contains("<Description>"),
        "{failed}"
    );
    assert!(failed.contains("<Name>Customer Import</Name>"));
}

fn order(id: &str, account: &str, quantity: &str) -> String {
    format!(
        "<SalesOrder><Id>{id}</Id><AccountReference>{account}</AccountReference><CustomerOrderNumber>PO-{id}</CustomerOrderNumber>\
         <SalesOrderItems><Item><Sku>PEN</Sku><Name>Blue pen</Name><QtyOrdered>{quantity}</QtyOrdered><UnitPrice>1.50</UnitPrice></Item></SalesOrderItems></SalesOrder>"
    )
}

const ORDERS_ONLY: &str = "name: Orders
tasks:
  - task: sage50-import-sales-orders
    id: orders
    grants: [sage]
    settings:
      input-file: orders.xml
      success-file: success.xml
      fail-file: fail.xml
";

fn with_account(s: &SageEnv) {
    let mut ledger = s.ledger();
    let mut customer = ledger.customer_template("WEB001").unwrap();
    customer.name = "Web Sales".into();
    ledger
        .create_customer(&sage_ledger::NewCustomer {
            customer,
            delivery_addresses: vec![],
        })
        .unwrap();
}

/// `wharf` with the test's data, ledger and components.
fn wharf(data: &Path, ledger: &Path) -> Command {
    let mut c = wharf_command(data);
    c.env("WHARF_SAGE_LEDGER", ledger);
    c
}

pub(crate) fn imported_order_numbers(ledger: &Ledger) -> Vec<String> {
    ledger
        .all_sales_order_numbers()
        .unwrap()
        .into_iter()
        .map(|n| {
            ledger
                .find_sales_order(n)
                .unwrap()
                .unwrap()
                .customer_order_number
        })
        .collect()
}

#[test]
fn a_run_killed_mid_import_and_run_again_leaves_every_order_once() {
    let env = TestEnv::new();
    let ledger_path = env.dir.path().join("ledger.sqlite");
    let shape = OrderFileShape {
        orders: 3000,
        customers: 300,
        products: 50,
    };
    seed_catalogue(&mut Ledger::open(&ledger_path).unwrap(), shape.products).unwrap();
    env.write("orders.xml", generate_order_file(shape));
    let workflow = env.workflow(
        "name: Web orders
id: workflow
resume-on-failure: true
tasks:
  - task: sage50-import-sales-orders
    id: orders
    grants: [sage]
    settings:
      input-file: orders.xml
      success-file: success.xml
      fail-file: fail.xml
      auto-create-customers: true
      auto-generate-account-reference: true
      alphabetic-length: 3
      numeric-length: 5
      auto-allocate-stock: true
",
    );

    let mut child = wharf(&env.data(), &ledger_path)
        .arg("run")
        .arg(&workflow)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once orders are going in, after a further random moment.
    let ledger = Ledger::open(&ledger_path).unwrap();
    wait_while_running(&mut child, "the first order going in", || {
        ledger.sales_order_count().unwrap() > 0
    });
    let jitter = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos(),
    ) % 2000;
    std::thread::sleep(Duration::from_millis(jitter));
    child.kill().unwrap();
    child.wait().unwrap();
    let at_kill = ledger.sales_order_count().unwrap() as usize;
    assert!(at_kill > 0);

    let out = wharf(&env.data(), &ledger_path)
        .arg("run")
        .arg(&workflow)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let numbers = imported_order_numbers(&ledger);
    let unique: BTreeSet<&String> = numbers.iter().collect();
    assert_eq!(
        numbers.len(),
        shape.orders,
        "killed after {at_kill} orders: every order once"
    );
    assert_eq!(unique.len(), shape.orders, "no order twice");
    if at_kill < shape.orders {
        // The run after the kill resumes it (same lineage): the orders the killed run posted
        // are reported as imported, not rejected as duplicates, so the success file is whole.
        let fail = std::fs::read_to_string(env.workdir().join("fail.xml")).unwrap();
        assert_eq!(fail.matches("has already been imported").count(), 0);
        let success = std::fs::read_to_string(env.workdir().join("success.xml")).unwrap();
        assert_eq!(success.matches("<SalesOrder>").count(), shape.orders);
    }
}

/// What the on-premises runner runs Sage jobs with, over the ledger at a path: the runtime with
/// the `sage` capability, the built components, and the capability.
pub(crate) struct JobHost {
    runtime: Runtime,
    components: ComponentSource,
    sage: SageCapability,
}

impl JobHost {
    pub(crate) fn new(ledger: &Path) -> JobHost {
        let sage = SageCapability::new(ledger);
        let runtime = Runtime::with_capabilities(
            RuntimeConfig {
                cache_dir: Some(repo_root().join("target/test-component-cache")),
            },
            vec![Arc::new(sage.clone())],
        )
        .unwrap();
        let components = ComponentSource {
            dirs: component_dirs(),
        };
        JobHost {
            runtime,
            components,
            sage,
        }
    }

    /// Its job runner, refusing paths on this machine as the runner does.
    pub(crate) fn runner(&self) -> JobRunner<'_> {
        JobRunner {
            runtime: &self.runtime,
            components: &self.components,
            sage: &self.sage,
            limits: Default::default(),
            allow_local_paths: false,
        }
    }
}

/// A job importing the Zynk sample order, as the engine would hand it to the runner (60 s).
fn sample_orders_job() -> SageJob {
    let sample = std::fs::read(fixture(
        "zynk-xml/Customer with Sales Order and Card Payment [DOWNLOAD].xml",
    ))
    .unwrap();
    SageJob {
        component: "sage50-import-sales-orders".into(),
        component_sha256: None,
        label: "import orders".into(),
        settings: [
            ("input-file", "in/orders.xml"),
            ("success-file", "out/success.xml"),
            ("fail-file", "out/fail.xml"),
            ("auto-create-customers", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        input_files: [("in/orders.xml".to_string(), JobFile::inline(sample))].into(),
        state: Default::default(),
        truth: vec![],
        truth_kinds: None,
        truth_scope: "web-orders".into(),
        lineage: None,
        run_id: None,
        timeout_seconds: Some(60),
    }
}

#[test]
fn a_sage_job_waits_for_the_ledger_no_longer_than_its_time_limit() {
    let env = TestEnv::new();
    let ledger_path = env.dir.path().join("ledger.sqlite");
    create_company(&ledger_path);
    // The runner's capability waits minutes for another import by default; the job may run
    // for 2 s.
    let host = JobHost::new(&ledger_path);
    let job = SageJob {
        timeout_seconds: Some(2),
        ..sample_orders_job()
    };
    let _held = sage_ledger::WriterLock::acquire(&ledger_path, Duration::ZERO).unwrap();
    let started = std::time::Instant::now();
    let result = host.runner().run(&job).unwrap();
    assert!(!result.code.is_success(), "{}", result.message);
    assert!(result.message.contains("is busy"), "{}", result.message);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "waited {:?}",
        started.elapsed()
    );
}

#[test]
fn a_sage_job_runs_away_from_the_engine_and_its_truth_comes_back() {
    let env = TestEnv::new();
    let ledger_path = env.dir.path().join("ledger.sqlite");
    create_company(&ledger_path);
    let host = JobHost::new(&ledger_path);
    let runner = host.runner();
    let job = sample_orders_job();
    // Through JSON, as it would travel.
    let job: SageJob = serde_json::from_str(&serde_json::to_string(&job).unwrap()).unwrap();
    let result = runner.run(&job).unwrap();
    assert_eq!(result.code, ResultCode::SuccessData, "{}", result.message);
    assert_eq!(result.counts.records_out, 1);
    assert_eq!(
        result.output_files.keys().collect::<Vec<_>>(),
        ["out/fail.xml", "out/success.xml"],
        "outputs only; the unchanged input does not travel back"
    );
    let JobFile::Text(success) = &result.output_files["out/success.xml"] else {
        panic!("text")
    };
    assert!(success.contains("<SalesOrderNumber>1</SalesOrderNumber>"));

    // The engine applies the truth updates to the workflow's store; the next job carries them.
    let truth = SqliteTruth::open(&env.dir.path().join("truth.sqlite")).unwrap();
    result.apply_truth(&truth).unwrap();
    let row = truth
        .find_by_external("Zynk.Connect.Objects.SalesOrder", "456")
        .unwrap()
        .unwrap();
    assert_eq!(row.internal_id, "0000000001");
    let again = SageJob {
        truth: vec![row],
        ..job
    };
    let second = runner.run(&again).unwrap();
    assert_eq!(
        (second.counts.records_out, second.counts.records_failed),
        (0, 1)
    );
    assert_eq!(
        Ledger::open(&ledger_path)
            .unwrap()
            .sales_order_count()
            .unwrap(),
        1
    );

    let mut not_sage = again.clone();
    not_sage.component = "delete-file".into();
    assert!(
        runner
            .run(&not_sage)
            .unwrap_err()
            .to_string()
            .contains("not a Sage task")
    );
    // A job from elsewhere may not name component files or read the runner's files.
    let mut file = again.clone();
    file.component = "../../tmp/evil.wasm".into();
    assert!(matches!(
        runner.run(&file),
        Err(wharf_sage::JobError::NotATaskName(_))
    ));
    let mut local = again.clone();
    local
        .input_files
        .insert("passwd".into(), JobFile::Path("/etc/passwd".into()));
    assert!(matches!(
        runner.run(&local),
        Err(wharf_sage::JobError::LocalPathRefused(_))
    ));
}

#[test]
fn wharf_sage_commands_set_up_a_company_and_show_what_an_import_did() {
    let env = TestEnv::new();
    let data = env.data();
    let ledger = env.dir.path().join("sage/company.sqlite");
    let run = |args: &[&str]| {
        let out = wharf(&data, &ledger).args(args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "wharf {args:?}: {text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    };
    let text = run(&[
        "sage",
        "create-company",
        "--name",
        "Stationery & Computer Mart",
    ]);
    assert!(text.contains("Stationery & Computer Mart"), "{text}");
    let products = fixture("zynk-xml/Stationary & Computer Mart - Product Export.xml");
    let text = run(&["sage", "load", products.to_str().unwrap()]);
    assert!(
        text.contains("products: ") && text.contains(" created"),
        "{text}"
    );
    let download = fixture("zynk-xml/Customer with Sales Order and Card Payment [DOWNLOAD].xml");
    let text = run(&["sage", "load", download.to_str().unwrap()]);
    assert!(text.contains("customers: 1 created"), "{text}");

    // The example workflow, on the download sample.
    let example = repo_root().join("examples/sage-import.yaml");
    let work = data.join("sage-import/work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::copy(&download, work.join("download.xml")).unwrap();
    let report = run(&["run", example.to_str().unwrap()]);
    assert!(report.contains("SuccessData"), "{report}");

    let text = run(&["sage", "customers"]);
    assert!(
        text.contains("INTE001") && text.contains("Internetware"),
        "{text}"
    );
    let text = run(&["sage", "orders"]);
    assert!(
        text.contains("INTE001") && text.contains("245.09"),
        "{text}"
    );
    let text = run(&["sage", "stock", "--limit", "500"]);
    assert!(
        text.contains("TEST01") && text.contains("In stock"),
        "{text}"
    );

    let out = wharf(&data, &ledger)
        .args(["sage", "create-company"])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a company with data is not overwritten by accident"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--replace"));
}

/// A declared encoding is read here as by split-xml and the XSLT task: Latin-1 and UTF-16
/// order files import like UTF-8 ones, their text intact.
#[test]
fn orders_in_latin1_and_utf16_import_like_utf8_ones() {
    let s = SageEnv::new();
    with_account(&s);
    let document = |id: &str, encoding: &str| {
        format!(
            "<?xml version=\"1.0\" encoding=\"{encoding}\"?><Company><SalesOrders>{}</SalesOrders></Company>",
            order(id, "WEB001", "1").replace("Blue pen", "Stylo bleu à bille, 2½ mm")
        )
    };
    let latin1: Vec<u8> = document("L1", "ISO-8859-1")
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in document("U1", "UTF-16").encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    for (id, bytes) in [("L1", latin1), ("U1", utf16)] {
        s.env.write("orders.xml", bytes);
        let record = s.run(ORDERS_ONLY);
        let t = task(&record, "orders");
        assert_eq!(t.result, ResultCode::SuccessData, "{id}: {}", t.message);
        assert_eq!(t.counts.records_failed, 0, "{id}: {}", t.message);
        let success = s.read("success.xml");
        assert!(success.contains(&format!("<Id>{id}</Id>")), "{success}");
        assert!(success.contains("Stylo bleu à bille, 2½ mm"), "{success}");
    }
    assert_eq!(s.ledger().sales_order_count().unwrap(), 2);
}

/// A run that dies just after a task's cursor moved resumes past that task: a stock export
/// whose cursor (and the ledger's record of what was exported) moved is not run again to come
/// back empty over the file its first attempt wrote, and every stock level still goes out.
#[test]
fn a_run_dying_once_an_export_cursor_moved_still_delivers_the_export() {
    let env = TestEnv::new();
    let ledger_path = env.dir.path().join("ledger.sqlite");
    seed_catalogue(&mut Ledger::open(&ledger_path).unwrap(), 20).unwrap();
    let workflow = env.workflow(
        "name: Stock out
id: workflow
resume-on-failure: true
tasks:
  - task: sage50-export-stock-records
    id: export
    grants: [sage]
    settings: { output-file: stock.xml }
  - task: copy-file
    id: deliver
    settings: { input-file: stock.xml, output-file: delivered/stock.xml }
",
    );
    let first = wharf(&env.data(), &ledger_path)
        .arg("run")
        .arg(&workflow)
        .env(wharf_engine::engine::TEST_CRASH_ENV, "after-state-saved")
        .output()
        .unwrap();
    assert_eq!(
        first.status.code(),
        Some(86),
        "the run died where asked: {}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = wharf(&env.data(), &ledger_path)
        .arg("run")
        .arg(&workflow)
        .output()
        .unwrap();
    assert!(
        second.status.success(),
        "{}{}",
        String::from_utf8_lossy(&second.stdout),
        String::from_utf8_lossy(&second.stderr)
    );
    let delivered = std::fs::read_to_string(env.workdir().join("delivered/stock.xml")).unwrap();
    assert_eq!(
        delivered.matches("<Product>").count(),
        20,
        "every stock record delivered: {delivered}"
    );
}
