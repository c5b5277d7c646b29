//! The checks every agent build passes, driven through the runner's `SdoBackend`: the backend
//! contract, Sage's faults, a hung call, crash reconciliation by the order's key, logging out,
//! record and replay. `tests/agent.rs` runs them on the agent built for this machine against the
//! in-process fake; `tests/wine.rs` on the Windows build under Wine, through COM, against the
//! fake SDO server.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use sage_agent::backend::{AgentProcess, Recording, Replay, SdoBackend, SdoSettings, Transport};
use sage_agent::fake::FakeCompany;
use sage_agent::protocol::{ConnectSettings, Op, PROTOCOL_VERSION, Request};
use sage_ledger::{
    BackendError, NewCustomer, OrderImportOptions, OrderLineRequest, Rejection, SageBackend,
    SalesOrderRequest,
};

const USER: &str = "wharf";
const PASSWORD: &str = "s3cret-sage";

/// How to start an agent and name a data path for it.
pub struct Harness {
    /// The agent's command line for `serve`, with `extra` arguments.
    pub command: fn(extra: &[&str]) -> Vec<String>,
    /// A folder as the agent sees it.
    pub data_path: fn(&Path) -> String,
}

/// A fresh fake company in its own folder (kept while the backend lives).
pub struct Company {
    pub folder: tempfile::TempDir,
}

impl Company {
    pub fn new() -> Company {
        let folder = tempfile::tempdir().expect("temporary folder");
        FakeCompany::create(&folder.path().join("ACCDATA"), USER, PASSWORD).expect("fake company");
        Company { folder }
    }

    pub fn data_path(&self) -> PathBuf {
        self.folder.path().join("ACCDATA")
    }

    pub fn load(&self) -> FakeCompany {
        FakeCompany::load(&self.data_path()).expect("company file")
    }

    pub fn change(&self, change: impl FnOnce(&mut FakeCompany)) {
        let mut company = self.load();
        change(&mut company);
        company.save(&self.data_path()).expect("company saved");
    }

    pub fn settings(&self, harness: &Harness, password: &str) -> SdoSettings {
        SdoSettings {
            connect: ConnectSettings {
                data_path: (harness.data_path)(&self.data_path()),
                user: USER.into(),
                password: password.into(),
                program_id: Some(sage_agent::fake::PROGRAM_ID.into()),
            },
            key_field: sage_agent::backend::DEFAULT_KEY_FIELD.into(),
            call_timeout: Duration::from_secs(20),
        }
    }
}

pub fn backend(harness: &Harness, company: &Company) -> SdoBackend<AgentProcess> {
    SdoBackend::new(
        AgentProcess::new((harness.command)(&[])),
        company.settings(harness, PASSWORD),
    )
}

fn add_customer(sage: &mut dyn SageBackend, reference: &str) {
    let mut customer = sage.customer_template(reference).expect("template");
    customer.name = format!("{reference} Ltd");
    sage.create_customer(&NewCustomer {
        customer,
        delivery_addresses: Vec::new(),
    })
    .expect("customer created");
}

fn add_product(sage: &mut dyn SageBackend, code: &str, stock: f64) {
    let mut product = sage.product_template(code).expect("template");
    product.sales_price = 4.0;
    product.qty_in_stock = stock;
    sage.create_product(&product).expect("product created");
}

fn order(account: &str, code: &str) -> SalesOrderRequest {
    SalesOrderRequest {
        account_ref: account.into(),
        lines: vec![OrderLineRequest {
            stock_code: Some(code.into()),
            quantity: Some(1.0),
            unit_price: Some(4.0),
            tax_code: Some(1),
            ..OrderLineRequest::default()
        }],
        ..SalesOrderRequest::default()
    }
}

fn options() -> OrderImportOptions {
    OrderImportOptions {
        auto_create_products: false,
        ..OrderImportOptions::default()
    }
}

pub fn busy_and_exclusive_connects_are_retried(harness: &Harness) {
    let company = Company::new();
    company.change(|c| {
        c.faults.busy_connects = 2;
        c.faults.exclusive_connects = 1;
    });
    let mut sage = backend(harness, &company);
    let probe = sage.probe().expect("connected after three busy answers");
    assert_eq!(probe.version, sage_agent::fake::VERSION);
    let after = company.load();
    assert_eq!(
        (after.faults.busy_connects, after.faults.exclusive_connects),
        (0, 0)
    );
    assert_eq!(after.logins, 1, "one login, after the retries");
}

pub fn exclusive_access_outlasting_the_retries_is_busy(harness: &Harness) {
    let company = Company::new();
    company.change(|c| c.faults.exclusive_connects = 50);
    let mut sage = SdoBackend::new(
        AgentProcess::new((harness.command)(&["--retries", "3"])),
        company.settings(harness, PASSWORD),
    );
    match sage.probe() {
        Err(BackendError::Busy(message)) => {
            assert!(message.contains("exclusive access"), "{message}");
            assert!(message.contains("Sage error 5"), "{message}");
        }
        other => panic!("expected busy, got {other:?}"),
    }
    assert_eq!(company.load().faults.exclusive_connects, 47, "three tries");
}

pub fn connect_errors_name_their_cause(harness: &Harness) {
    let company = Company::new();
    let mut wrong_password = SdoBackend::new(
        AgentProcess::new((harness.command)(&[])),
        company.settings(harness, "guess"),
    );
    match wrong_password.probe() {
        Err(BackendError::Unavailable(message)) => {
            assert!(message.contains("invalid logon"), "{message}");
            assert!(message.contains(USER), "names the user: {message}");
            assert!(!message.contains("guess"), "never the password: {message}");
        }
        other => panic!("expected unavailable, got {other:?}"),
    }
    let mut settings = company.settings(harness, PASSWORD);
    settings.connect.data_path = (harness.data_path)(&company.folder.path().join("NOWHERE"));
    let mut no_company = SdoBackend::new(AgentProcess::new((harness.command)(&[])), settings);
    match no_company.probe() {
        Err(BackendError::Unavailable(message)) => {
            assert!(message.contains("NOWHERE"), "{message}")
        }
        other => panic!("expected unavailable, got {other:?}"),
    }
    let mut settings = company.settings(harness, PASSWORD);
    settings.connect.program_id = Some("SDOEngine.31".into());
    let mut other_release = SdoBackend::new(AgentProcess::new((harness.command)(&[])), settings);
    match other_release.probe() {
        Err(BackendError::Unavailable(message)) => {
            assert!(message.contains("SDOEngine.31"), "{message}");
            assert!(message.contains("bitness"), "{message}");
        }
        other => panic!("expected unavailable, got {other:?}"),
    }
    assert!(company.load().logged_in.is_empty());
}

pub fn a_company_of_another_version_is_refused(harness: &Harness) {
    let company = Company::new();
    company.change(|c| c.data_version = "31.0".into());
    match backend(harness, &company).probe() {
        Err(BackendError::Unavailable(message)) => {
            assert!(message.contains("another Sage version"), "{message}");
            assert!(message.contains("SDOEngine.32 (version 32.0)"), "{message}");
            assert!(message.contains("31.0"), "{message}");
        }
        other => panic!("expected unavailable, got {other:?}"),
    }
}

pub fn an_unregistered_sdo_is_refused(harness: &Harness) {
    let company = Company::new();
    let mut command = vec![
        "env".to_owned(),
        format!("{}=1", sage_agent::fake::UNREGISTERED_ENV),
    ];
    command.extend((harness.command)(&[]));
    let mut sage = SdoBackend::new(
        AgentProcess::new(command),
        company.settings(harness, PASSWORD),
    );
    match sage.probe() {
        Err(BackendError::Unavailable(message)) => {
            assert!(
                message.contains("Enable Third Party Integration"),
                "{message}"
            )
        }
        other => panic!("expected unavailable, got {other:?}"),
    }
}

pub fn locked_records_are_retried_then_reported_busy(harness: &Harness) {
    let company = Company::new();
    let mut sage = backend(harness, &company);
    add_customer(&mut sage, "LOCK01");
    add_customer(&mut sage, "LOCK02");
    company.change(|c| {
        c.faults.locked.insert("LOCK01".into(), 2);
        c.faults.locked.insert("LOCK02".into(), u32::MAX);
    });
    let mut customer = sage.find_customer("LOCK01").unwrap().unwrap();
    customer.telephone = "01632 960000".into();
    let saved = sage
        .update_customer(&customer, None)
        .expect("saved once the lock went");
    assert_eq!(saved.telephone, "01632 960000");
    let mut held = sage.find_customer("LOCK02").unwrap().unwrap();
    held.telephone = "01632 960001".into();
    match sage.update_customer(&held, None) {
        Err(BackendError::Busy(message)) => {
            assert!(message.contains("in use by another user"), "{message}")
        }
        other => panic!("expected busy, got {other:?}"),
    }
    assert_eq!(
        sage.find_customer("LOCK02").unwrap().unwrap().telephone,
        "",
        "nothing written while locked"
    );
}

pub fn a_hung_post_is_stopped_and_the_order_reconciled_by_its_key(harness: &Harness) {
    let company = Company::new();
    let mut settings = company.settings(harness, PASSWORD);
    settings.call_timeout = Duration::from_secs(5);
    let mut sage = SdoBackend::new(AgentProcess::new((harness.command)(&[])), settings);
    add_customer(&mut sage, "HANG01");
    add_product(&mut sage, "H1", 5.0);
    company.change(|c| {
        c.faults.hang_ms.insert("SOPPost.Update".into(), 60_000);
    });
    let started = std::time::Instant::now();
    match sage.post_sales_order(Some("web-5001"), &order("HANG01", "H1"), &options()) {
        Err(BackendError::Unavailable(message)) => {
            assert!(
                message.contains("did not answer post-order within 5 s"),
                "{message}"
            )
        }
        other => panic!("expected the hung call to be stopped, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "stopped, not waited for"
    );
    // The run is retried: Sage had posted the order before the call hung.
    let found = sage
        .find_order_by_key("web-5001")
        .expect("a new agent answers")
        .expect("the order posted before the hang is found by its key");
    assert_eq!(found.account_ref, "HANG01");
    match sage.post_sales_order(Some("web-5001"), &order("HANG01", "H1"), &options()) {
        Err(BackendError::Rejected(Rejection::DuplicateOrderKey { order_number, .. })) => {
            assert_eq!(order_number, found.order_number)
        }
        other => panic!("expected the duplicate key to be refused, got {other:?}"),
    }
    assert_eq!(company.load().orders.len(), 1, "posted once");
}

pub fn the_agent_always_logs_out(harness: &Harness) {
    let company = Company::new();
    {
        let mut sage = backend(harness, &company);
        add_customer(&mut sage, "OUT01");
        assert_eq!(company.load().logged_in, [USER]);
    }
    let after = company.load();
    assert!(
        after.logged_in.is_empty(),
        "logged out: {:?}",
        after.logged_in
    );
    assert_eq!(after.logins, 1);
}

pub fn another_protocol_version_is_refused(harness: &Harness) {
    let mut agent = AgentProcess::new((harness.command)(&[]));
    let response = agent
        .exchange(
            &Request {
                id: 7,
                op: Op::Hello {
                    protocol: PROTOCOL_VERSION + 1,
                },
            },
            Duration::from_secs(20),
        )
        .expect("an answer");
    let error = response.result.expect_err("refused");
    assert!(error.message.contains("protocol"), "{}", error.message);
}

/// The same operations, against the agent or a transcript.
fn session(sage: &mut dyn SageBackend) -> (u32, f64) {
    add_customer(sage, "REC01");
    add_product(sage, "R1", 3.0);
    let posted = sage
        .post_sales_order(Some("web-77"), &order("REC01", "R1"), &options())
        .expect("order");
    let found = sage.find_order_by_key("web-77").unwrap().unwrap();
    (posted.order_number, found.total_gross)
}

pub fn a_recorded_session_replays_without_sage(harness: &Harness) {
    let company = Company::new();
    let transcript = company.folder.path().join("transcript.jsonl");
    let recorded = {
        let recording = Recording::new(AgentProcess::new((harness.command)(&[])), &transcript)
            .expect("transcript");
        let mut sage = SdoBackend::new(recording, company.settings(harness, PASSWORD));
        session(&mut sage)
    };
    assert_eq!(recorded, (1, 4.8));
    let text = std::fs::read_to_string(&transcript).expect("transcript");
    assert!(
        !text.contains(PASSWORD),
        "the password is not in the transcript"
    );
    assert!(text.contains("\"disconnect\""), "the logout is recorded");

    // No agent and no company: the transcript answers.
    std::fs::remove_dir_all(company.data_path()).expect("company removed");
    let mut replayed = SdoBackend::new(replay(&transcript), company.settings(harness, PASSWORD));
    assert_eq!(session(&mut replayed), recorded);
    drop(replayed);

    let mut diverging = SdoBackend::new(replay(&transcript), company.settings(harness, PASSWORD));
    add_customer(&mut diverging, "REC01");
    match diverging.create_product(&sage_ledger::Product::with_defaults(
        "OTHER",
        &Default::default(),
    )) {
        Err(BackendError::Unavailable(message)) => {
            assert!(message.contains("left the transcript"), "{message}")
        }
        other => panic!("expected the divergence to be named, got {other:?}"),
    }
}

fn replay(path: &Path) -> Replay {
    Replay::open(path).expect("transcript reads")
}

/// One `#[test]` per check, on `$harness`.
#[macro_export]
macro_rules! agent_checks {
    ($harness:expr) => {
        $crate::agent_checks!(@tests $harness;
            busy_and_exclusive_connects_are_retried, exclusive_access_outlasting_the_retries_is_busy,
            connect_errors_name_their_cause, a_company_of_another_version_is_refused,
            an_unregistered_sdo_is_refused, locked_records_are_retried_then_reported_busy,
            a_hung_post_is_stopped_and_the_order_reconciled_by_its_key, the_agent_always_logs_out,
            another_protocol_version_is_refused, a_recorded_session_replays_without_sage);

        /// The backend contract, each check on a new company through a new agent.
        mod contract {
            use super::support::{Company, backend};
            use sage_agent::backend::{AgentProcess, SdoBackend};

            struct Fixture {
                backend: SdoBackend<AgentProcess>,
                _company: Company,
            }

            impl std::ops::Deref for Fixture {
                type Target = SdoBackend<AgentProcess>;
                fn deref(&self) -> &Self::Target {
                    &self.backend
                }
            }

            impl std::ops::DerefMut for Fixture {
                fn deref_mut(&mut self) -> &mut Self::Target {
                    &mut self.backend
                }
            }

            fn fixture() -> Fixture {
                let company = Company::new();
                Fixture {
                    backend: backend(&super::HARNESS, &company),
                    _company: company,
                }
            }

            sage_ledger::sage_backend_contract!(fixture());
        }
    };
    (@tests $harness:expr; $($check:ident),*) => {
        $(
            #[test]
            fn $check() {
                support::$check(&$harness);
            }
        )*
    };
}
