//! Data safety of the Sage import through the `wharf` binary (issue 11, docs/sage50-rules.md):
//! an order Id twice in a file or in two files of one run, amounts beyond Sage's limits, and two
//! workflows importing into one ledger at the same time.

use crate::sage::imported_order_numbers;
use crate::support::{TestEnv, wharf_command};
use sage_ledger::{Ledger, NewCustomer, WriterLock};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

/// A working directory and ledger of their own, outside the data folder's layout.
struct Setup {
    env: TestEnv,
    ledger: PathBuf,
}

impl Setup {
    fn new() -> Self {
        let env = TestEnv::new();
        let ledger = env.dir.path().join("company/ledger.sqlite");
        std::fs::create_dir_all(ledger.parent().unwrap()).unwrap();
        let mut book = Ledger::open(&ledger).unwrap();
        let mut customer = book.customer_template("WEB001").unwrap();
        customer.name = "Web Sales".into();
        book.create_customer(&NewCustomer {
            customer,
            delivery_addresses: vec![],
        })
        .unwrap();
        Setup { env, ledger }
    }

    fn work(&self, name: &str) -> PathBuf {
        let work = self.env.dir.path().join(name);
        std::fs::create_dir_all(&work).unwrap();
        work
    }

    /// `wharf` on this ledger, with the data folder `data`.
    fn wharf(&self, data: &str) -> Command {
        let mut command = wharf_command(&self.env.dir.path().join(data));
        command.env("WHARF_SAGE_LEDGER", &self.ledger);
        command
    }

    /// Writes a workflow importing `input` in `work`, returns its path.
    fn workflow(&self, name: &str, work: &Path, tasks: &str) -> PathBuf {
        let path = self.env.dir.path().join(format!("{name}.yaml"));
        std::fs::write(
            &path,
            format!(
                "name: {name}\nworking-directory: {}\ntasks:\n{tasks}",
                work.display()
            ),
        )
        .unwrap();
        path
    }

    fn ledger(&self) -> Ledger {
        Ledger::open(&self.ledger).unwrap()
    }
}

const IMPORT: &str = "  - task: sage50-import-sales-orders
    id: orders
    grants: [sage]
    settings: { input-file: orders.xml, success-file: success.xml, fail-file: fail.xml }
";

fn order(id: &str, marker: &str, quantity: &str, price: &str) -> String {
    format!(
        "<SalesOrder><Id>{id}</Id><AccountReference>WEB001</AccountReference><CustomerOrderNumber>{marker}</CustomerOrderNumber>\
         <SalesOrderItems><Item><Sku>PEN</Sku><Name>Blue pen</Name><QtyOrdered>{quantity}</QtyOrdered><UnitPrice>{price}</UnitPrice></Item></SalesOrderItems></SalesOrder>"
    )
}

fn document(orders: &[String]) -> String {
    format!(
        "<?xml version=\"1.0\"?><Company><SalesOrders>{}</SalesOrders></Company>",
        orders.concat()
    )
}

fn text(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn succeeded(command: &mut Command) -> String {
    let output = command.output().unwrap();
    let text = text(&output);
    assert!(output.status.success(), "{text}");
    text
}

#[test]
fn an_order_id_twice_in_one_file_imports_once_and_the_copy_fails_as_a_duplicate() {
    let s = Setup::new();
    let work = s.work("work");
    std::fs::write(
        work.join("orders.xml"),
        document(&[
            order("A1", "first", "1", "2.00"),
            order("A1", "copy", "5", "3.00"),
            order("B2", "other", "2", "1.50"),
        ]),
    )
    .unwrap();
    let workflow = s.workflow("Orders", &work, IMPORT);
    let report = succeeded(s.wharf("data").arg("run").arg(&workflow));
    assert!(
        report.contains("3 sales orders read: 2 imported, 1 failed"),
        "{report}"
    );
    assert_eq!(imported_order_numbers(&s.ledger()), ["first", "other"]);

    let success = std::fs::read_to_string(work.join("success.xml")).unwrap();
    assert_eq!(success.matches("<Id>A1</Id>").count(), 1, "{success}");
    assert!(!success.contains("copy"), "{success}");
    let fail = std::fs::read_to_string(work.join("fail.xml")).unwrap();
    assert!(
        fail.contains("<CustomerOrderNumber>copy</CustomerOrderNumber>")
            && fail.contains("is a duplicate")
            && fail.contains("imported as sales order 1"),
        "{fail}"
    );
}

#[test]
fn an_order_id_in_two_identical_files_of_one_run_imports_once() {
    let s = Setup::new();
    let work = s.work("work");
    let orders = document(&[
        order("C1", "c1", "1", "2.00"),
        order("C2", "c2", "1", "2.00"),
    ]);
    std::fs::create_dir_all(work.join("in")).unwrap();
    std::fs::write(work.join("in/monday.xml"), &orders).unwrap();
    std::fs::write(work.join("in/tuesday.xml"), &orders).unwrap();
    let workflow = s.workflow(
        "Orders by file",
        &work,
        "  - task: file-repeater
    id: each
    settings: { input-directory: in }
    tasks:
      - task: sage50-import-sales-orders
        id: orders
        grants: [sage]
        settings:
          input-file: \"{{ current.FullName }}\"
          success-file: \"out/{{ current.Name }}.success.xml\"
          fail-file: \"out/{{ current.Name }}.fail.xml\"
",
    );
    let report = succeeded(s.wharf("data").arg("run").arg(&workflow));
    assert_eq!(
        imported_order_numbers(&s.ledger()),
        ["c1", "c2"],
        "{report}"
    );
    let fails: String = ["monday", "tuesday"]
        .iter()
        .map(|day| std::fs::read_to_string(work.join(format!("out/{day}.xml.fail.xml"))).unwrap())
        .collect();
    assert_eq!(
        fails.matches("has already been imported").count(),
        2,
        "the second file's orders are duplicates, not replays: {fails}"
    );
}

#[test]
fn amounts_beyond_sage_limits_go_to_the_fail_file_and_the_ledger_stays_readable() {
    let s = Setup::new();
    let work = s.work("work");
    std::fs::write(
        work.join("orders.xml"),
        document(&[
            order("D1", "huge-quantity", "1e200", "1.00"),
            order("D2", "huge-price", "2", "1e308"),
            order("D3", "overflowing-total", "999999999", "99999999999"),
            order("D4", "negative-price", "1", "-5"),
            order("D5", "not-a-number", "NaN", "1.00"),
            order("D6", "fine", "3", "1.25"),
        ]),
    )
    .unwrap();
    let workflow = s.workflow("Orders", &work, IMPORT);
    let report = succeeded(s.wharf("data").arg("run").arg(&workflow));
    assert!(
        report.contains("6 sales orders read: 1 imported, 5 failed"),
        "{report}"
    );
    assert_eq!(imported_order_numbers(&s.ledger()), ["fine"]);
    let fail = std::fs::read_to_string(work.join("fail.xml")).unwrap();
    for reason in [
        "Line 1: The quantity of 1e200 is outside what Sage 50 accepts",
        "Line 1: The unit price of 1e308 is outside what Sage 50 accepts",
        "Line 1: The line net amount of",
        "Line 1: The unit price must not be negative",
        "'NaN', which is not a number",
    ] {
        assert!(fail.contains(reason), "{reason} in {fail}");
    }

    let orders = succeeded(s.wharf("data").args(["sage", "orders"]));
    assert!(
        orders.contains("fine") || orders.contains("3.75"),
        "{orders}"
    );
    assert!(orders.contains("(1 orders)"), "{orders}");
    succeeded(s.wharf("data").args(["sage", "stock"]));
    succeeded(s.wharf("data").args(["sage", "customers"]));
}

#[test]
fn customer_amounts_beyond_sage_limits_are_refused_naming_the_field() {
    let s = Setup::new();
    let work = s.work("work");
    std::fs::write(
        work.join("customers.xml"),
        "<Company><Customers>\
         <Customer><Id>K1</Id><AccountReference>BIG001</AccountReference><CompanyName>Big</CompanyName><CreditLimit>1e300</CreditLimit></Customer>\
         <Customer><Id>K2</Id><AccountReference>NEG001</AccountReference><CompanyName>Neg</CompanyName><CreditLimit>-10</CreditLimit></Customer>\
         <Customer><Id>K3</Id><AccountReference>PCT001</AccountReference><CompanyName>Pct</CompanyName><SettlementDiscount>250</SettlementDiscount></Customer>\
         <Customer><Id>K4</Id><AccountReference>OKAY01</AccountReference><CompanyName>Okay</CompanyName><CreditLimit>5000</CreditLimit></Customer>\
         </Customers></Company>",
    )
    .unwrap();
    let workflow = s.workflow(
        "Customers",
        &work,
        "  - task: sage50-import-customers
    id: customers
    grants: [sage]
    settings: { input-file: customers.xml, success-file: success.xml, fail-file: fail.xml }
",
    );
    let report = succeeded(s.wharf("data").arg("run").arg(&workflow));
    assert!(
        report.contains("4 customers read: 1 imported, 3 failed"),
        "{report}"
    );
    let fail = std::fs::read_to_string(work.join("fail.xml")).unwrap();
    for reason in [
        "The credit limit of 1e300 is outside what Sage 50 accepts",
        "The credit limit must not be negative",
        "The settlement discount of 250 is not a percentage",
    ] {
        assert!(fail.contains(reason), "{reason} in {fail}");
    }
    let customers = succeeded(s.wharf("data").args(["sage", "customers"]));
    assert!(customers.contains("OKAY01"), "{customers}");
}

#[test]
fn two_workflows_importing_into_one_ledger_at_once_both_finish_with_every_order_once() {
    let s = Setup::new();
    let orders = 1500;
    let mut runs = Vec::new();
    for name in ["east", "west"] {
        let work = s.work(name);
        let file: Vec<String> = (0..orders)
            .map(|n| order(&format!("{name}-{n}"), &format!("{name}-{n}"), "1", "2.50"))
            .collect();
        std::fs::write(work.join("orders.xml"), document(&file)).unwrap();
        let workflow = s.workflow(name, &work, IMPORT);
        runs.push(
            s.wharf(&format!("data-{name}"))
                .arg("run")
                .arg(&workflow)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap(),
        );
    }
    for run in runs {
        let output = run.wait_with_output().unwrap();
        let report = text(&output);
        assert!(output.status.success(), "{report}");
        assert!(
            report.contains(&format!(
                "{orders} sales orders read: {orders} imported, 0 failed"
            )),
            "{report}"
        );
    }
    let markers = imported_order_numbers(&s.ledger());
    let unique: BTreeSet<&String> = markers.iter().collect();
    assert_eq!(markers.len(), 2 * orders);
    assert_eq!(unique.len(), 2 * orders, "no order twice");
}

#[test]
fn an_import_that_waits_too_long_for_the_ledger_fails_naming_it() {
    let s = Setup::new();
    let work = s.work("work");
    std::fs::write(
        work.join("orders.xml"),
        document(&[order("E1", "e1", "1", "1.00")]),
    )
    .unwrap();
    let workflow = s.workflow("Orders", &work, IMPORT);
    let held = WriterLock::acquire(&s.ledger, Duration::ZERO).unwrap();
    let output = s
        .wharf("data")
        .args(["--sage-lock-wait", "1", "run"])
        .arg(&workflow)
        .output()
        .unwrap();
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "the run failed: {report}");
    assert!(
        report.contains("is busy") && report.contains("ledger.sqlite"),
        "{report}"
    );
    assert_eq!(s.ledger().sales_order_count().unwrap(), 0);
    drop(held);
    let report = succeeded(s.wharf("data").arg("run").arg(&workflow));
    assert!(report.contains("1 imported"), "{report}");
}

#[test]
fn an_import_waits_for_the_ledger_no_longer_than_its_time_limit() {
    let s = Setup::new();
    let work = s.work("work");
    std::fs::write(
        work.join("orders.xml"),
        document(&[order("F1", "f1", "1", "1.00")]),
    )
    .unwrap();
    let workflow = s.workflow(
        "Orders",
        &work,
        &format!("{IMPORT}    limits: {{ timeout: 2s }}\n"),
    );
    let _held = WriterLock::acquire(&s.ledger, Duration::ZERO).unwrap();
    let started = std::time::Instant::now();
    let output = s
        .wharf("data")
        .args(["--sage-lock-wait", "600", "run"])
        .arg(&workflow)
        .output()
        .unwrap();
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(report.contains("is busy"), "{report}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "waited {:?}",
        started.elapsed()
    );
}

#[test]
fn a_resumed_import_reports_what_its_failed_run_posted_with_or_without_an_id() {
    let s = Setup::new();
    let work = s.work("work");
    let no_id = "<SalesOrder><AccountReference>WEB001</AccountReference><CustomerOrderNumber>no-id</CustomerOrderNumber>\
         <SalesOrderItems><Item><Sku>PEN</Sku><QtyOrdered>1</QtyOrdered><UnitPrice>1.00</UnitPrice></Item></SalesOrderItems></SalesOrder>";
    std::fs::write(
        work.join("orders.xml"),
        document(&[order("G1", "g1", "1", "1.00"), no_id.to_owned()]),
    )
    .unwrap();
    // The fail file cannot be written (a folder is in the way): the task fails after posting.
    std::fs::create_dir_all(work.join("fail.xml/blocked")).unwrap();
    let workflow = s.workflow("Orders", &work, IMPORT);
    let output = s.wharf("data").arg("run").arg(&workflow).output().unwrap();
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert_eq!(imported_order_numbers(&s.ledger()), ["g1", "no-id"]);

    std::fs::remove_dir_all(work.join("fail.xml")).unwrap();
    let report = succeeded(s.wharf("data").arg("run").arg(&workflow));
    assert!(
        report.contains("2 sales orders read: 2 imported, 0 failed"),
        "{report}"
    );
    assert_eq!(
        imported_order_numbers(&s.ledger()),
        ["g1", "no-id"],
        "nothing posted twice: {report}"
    );
    let success = std::fs::read_to_string(work.join("success.xml")).unwrap();
    assert!(
        success.contains("<SalesOrderNumber>1</SalesOrderNumber>")
            && success.contains("<SalesOrderNumber>2</SalesOrderNumber>"),
        "{success}"
    );
}
