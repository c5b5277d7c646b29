//! Import Invoices, Import Transactions, Export Invoices and Export Customers through the full
//! engine (examples/sage-invoices.yaml end to end, run twice and after a later payment) and as
//! a Sage job, the way the on-premises runner runs them in cloud mode (docs/sage50.md).

use std::path::PathBuf;
use std::sync::Arc;

use crate::sage::JobHost;
use crate::support::{TestEnv, engine_with, fixture, repo_root, task};
use sage_ledger::Ledger;
use wharf_engine::storage::{SqliteTruth, TruthStore};
use wharf_engine::{Engine, ResultCode};
use wharf_sage::{JobFile, SageCapability, SageJob};

struct Env {
    env: TestEnv,
    ledger: PathBuf,
    engine: Engine,
}

impl Env {
    fn new() -> Env {
        let env = TestEnv::new();
        let ledger = env.dir.path().join("company/ledger.sqlite");
        crate::sage::create_company(&ledger);
        let engine = engine_with(vec![Arc::new(SageCapability::new(&ledger))]);
        Env {
            env,
            ledger,
            engine,
        }
    }

    fn run_example(&self) -> wharf_engine::RunRecord {
        let yaml =
            std::fs::read_to_string(repo_root().join("examples/sage-invoices.yaml")).unwrap();
        self.env.try_run_with(&self.engine, &yaml).expect("run")
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.env.workdir().join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    }
}

/// A payment from the customer the shop knows as 123, for invoice `reference`.
fn payment(id: &str, reference: &str, amount: &str) -> String {
    format!(
        "<Transaction><Id>{id}</Id><CustomerId>123</CustomerId><TransactionType>SalesReceipt</TransactionType>\
         <BankReference>1200</BankReference><Reference>{reference}</Reference><NetAmount>{amount}</NetAmount>\
         <TaxCode>9</TaxCode></Transaction>"
    )
}

fn payments(elements: &[String]) -> String {
    format!(
        "<Company><Transactions>{}</Transactions></Company>",
        elements.concat()
    )
}

#[test]
fn the_invoice_example_posts_invoices_and_payments_and_exports_what_changed() {
    let s = Env::new();
    s.env.write(
        "invoices.xml",
        std::fs::read(fixture("zynk-xml/Customer with Invoice.xml")).unwrap(),
    );
    s.env
        .write("payments.xml", payments(&[payment("P1", "1", "100")]));

    let record = s.run_example();
    assert!(record.result.is_success(), "{}", record.message);
    assert_eq!(
        task(&record, "import-invoices").result,
        ResultCode::SuccessData
    );
    assert!(
        s.read("invoices_success.xml")
            .contains("<InvoiceNumber>1</InvoiceNumber>")
    );
    assert!(
        s.read("payments_success.xml")
            .contains("<TransactionNumber>")
    );
    let ledger = Ledger::open(&s.ledger).unwrap();
    let invoice = ledger.find_invoice(1).unwrap().expect("invoice 1");
    assert_eq!(invoice.amount_paid, 100.0);
    let account = invoice.document.account_ref.clone();
    assert_eq!(
        ledger
            .find_customer_by_ref(&account)
            .unwrap()
            .unwrap()
            .balance,
        invoice.document.total_gross - 100.0
    );
    let exported = s.read("Invoice Export/invoices.xml");
    assert!(
        exported.contains("<AmountPaid>100</AmountPaid>"),
        "{exported}"
    );
    assert!(exported.contains(&format!("<AccountReference>{account}</AccountReference>")));
    assert!(
        s.read("Customer Export/customers.xml")
            .contains(&format!("<UniqueId>{account}</UniqueId>"))
    );

    // The same files again: every record a duplicate, nothing changed to export.
    let again = s.run_example();
    assert!(again.result.is_success(), "{}", again.message);
    assert!(
        s.read("invoices_fail.xml")
            .contains("already been imported as invoice 1")
    );
    assert!(
        s.read("payments_fail.xml")
            .contains("already been imported")
    );
    assert_eq!(
        task(&again, "export-invoices").result,
        ResultCode::SuccessNoData
    );
    assert!(!s.read("Invoice Export/invoices.xml").contains("<Invoice>"));

    // A later payment changes the invoice (and the account): both are exported again.
    s.env
        .write("payments.xml", payments(&[payment("P2", "1", "50")]));
    let later = s.run_example();
    assert!(later.result.is_success(), "{}", later.message);
    let exported = s.read("Invoice Export/invoices.xml");
    assert!(
        exported.contains("<AmountPaid>150</AmountPaid>"),
        "{exported}"
    );
    assert!(s.read("Customer Export/customers.xml").contains(&account));
    let truth = SqliteTruth::open(&s.env.data().join("workflow/truth.sqlite")).unwrap();
    assert!(
        truth
            .find_by_external("Zynk.Connect.Objects.Invoice", "1")
            .unwrap()
            .is_some()
    );
}

/// The job the cloud run hands to the on-premises runner: the runner runs the component
/// against its ledger and sends back the files and the truth rows.
#[test]
fn an_invoice_import_runs_as_a_sage_job_with_its_declared_truth() {
    let env = TestEnv::new();
    let ledger_path = env.dir.path().join("ledger.sqlite");
    crate::sage::create_company(&ledger_path);
    let host = JobHost::new(&ledger_path);
    let runner = host.runner();
    let invoice = "<Company><Invoices><Invoice><Id>INV-9</Id><AccountReference>WEB001</AccountReference>\
        <InvoiceAddress><Company>Web Customer</Company></InvoiceAddress><InvoiceItems><Item><Sku>WIDGET</Sku>\
        <QtyOrdered>2</QtyOrdered><UnitPrice>10</UnitPrice><TaxCode>1</TaxCode><NominalCode>4000</NominalCode></Item>\
        </InvoiceItems></Invoice></Invoices></Company>";
    let job = SageJob {
        component: "sage50-import-invoices".into(),
        component_sha256: None,
        label: "import invoices".into(),
        settings: [
            ("input-file", "in/invoices.xml"),
            ("success-file", "out/success.xml"),
            ("fail-file", "out/fail.xml"),
            ("auto-create-customers", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        input_files: [(
            "in/invoices.xml".to_string(),
            JobFile::inline(invoice.as_bytes().to_vec()),
        )]
        .into(),
        state: Default::default(),
        truth: vec![],
        truth_kinds: Some(vec![
            "Zynk.Connect.Objects.Invoice".into(),
            "Zynk.Connect.Objects.Customer".into(),
        ]),
        truth_scope: "web-invoices".into(),
        lineage: None,
        run_id: None,
        timeout_seconds: Some(60),
    };
    let job: SageJob = serde_json::from_str(&serde_json::to_string(&job).unwrap()).unwrap();
    let result = runner.run(&job).unwrap();
    assert_eq!(result.code, ResultCode::SuccessData, "{}", result.message);
    let JobFile::Text(success) = &result.output_files["out/success.xml"] else {
        panic!("text")
    };
    assert!(
        success.contains("<InvoiceNumber>1</InvoiceNumber>"),
        "{success}"
    );
    let truth = SqliteTruth::open(&env.dir.path().join("truth.sqlite")).unwrap();
    result.apply_truth(&truth).unwrap();
    let row = truth
        .find_by_external("Zynk.Connect.Objects.Invoice", "INV-9")
        .unwrap()
        .unwrap();
    assert_eq!(row.internal_id, "0000000001");
    // Sent again with the truth it now has, the invoice is a duplicate and is not posted twice.
    let second = runner
        .run(&SageJob {
            truth: vec![row],
            ..job
        })
        .unwrap();
    assert_eq!(
        (second.counts.records_out, second.counts.records_failed),
        (0, 1)
    );
    let ledger = Ledger::open(&ledger_path).unwrap();
    assert_eq!(ledger.audit_trail().unwrap().len(), 1);
}
