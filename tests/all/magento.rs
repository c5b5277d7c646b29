//! Seed integration 2 end to end (`examples/magento-to-sage.yaml` through the `wharf` binary)
//! against the stateful fake Magento 2 shop (`wharf_fake_shops::magento`), with Stoplight Prism
//! between connector and shop checking every request and answer against Magento's own admin
//! REST schema (with the repository's overlay where the shop answers otherwise): 300 orders, 5
//! malformed, some from customers Sage already has → each good order in the ledger once (those
//! customers' on their accounts), exactly those moved to `complete`, the shop's stock equal to
//! the ledger's free stock; a second run imports nothing; the cursor moves only when the
//! download succeeds; a 429 storm, orders changing and the admin token expiring under a run;
//! SIGKILL at ten points and run again → the same end state.

use crate::sage::imported_order_numbers;
use crate::shop_harness::{Contract, ContractedShop, SeedRun, killed_behind_contracts, shared};
use crate::support::{fixture, repo_root};
use sage_ledger::Ledger;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};
use wharf_fake_shops::magento::{Config, Magento, existing_account};

const ORDERS: usize = 300;
const MALFORMED: usize = 5;
/// Customers Sage already has an account for (by e-mail address).
const EXISTING: usize = 10;
/// The admin password; never in a report, record or log.
const PASSWORD: &str = "magento-pw-3c9e-never-shown";

type Harness = ContractedShop<Magento>;

/// The fake shop's server and the contract proxy in front of it (Magento's admin schema with
/// the repository's overlay), started once for the test binary, one test at a time.
fn harness() -> MutexGuard<'static, Harness> {
    static HARNESS: OnceLock<Mutex<Harness>> = OnceLock::new();
    shared(&HARNESS, || {
        ContractedShop::start(
            json!({"message": "Service Unavailable"}),
            vec![Contract {
                prefix: "/".into(),
                spec: repo_root()
                    .join("../shared/fixtures/api-specs/magento2/admin-schema-2.4.9.yaml"),
                overlays: vec![
                    repo_root().join("host/fake-shops/overlays/magento2-admin-2.4.9.yaml"),
                ],
                base_path: "/rest/default".into(),
            }],
        )
    })
}

/// Seed 2's Zynk sample workflow, for `wharf import-wkf`.
const SAMPLE: &str = "workflows/Magento to Sage 50 Workflow.wkf";

/// A shop and a Sage company holding its products and some of its customers, for one test.
struct Seed {
    base: SeedRun,
    shop: Arc<Magento>,
    violations_before: usize,
    /// The one account every order goes to (the Zynk sample's mapping parameter); none: each
    /// order to its customer's account, found by e-mail address (the hand-written example).
    web_account: Option<&'static str>,
    /// `wharf import-wkf --json`'s report, for an imported `.wkf`.
    import: Option<serde_json::Value>,
}

impl std::ops::Deref for Seed {
    type Target = SeedRun;
    fn deref(&self) -> &SeedRun {
        &self.base
    }
}

impl Seed {
    fn new(harness: &Harness, config: Config) -> Seed {
        Seed::for_workflow(
            harness,
            config,
            &repo_root().join("examples/magento-to-sage.yaml"),
        )
    }

    /// The seed with `workflow`: a workflow file, or a Zynk `.wkf` imported with `wharf
    /// import-wkf` whose connection is then filled in as its import report says (the shop's
    /// address, the admin user, the password in the environment variable it names).
    fn for_workflow(harness: &Harness, config: Config, workflow: &Path) -> Seed {
        let (base, import) = if workflow.extension().is_some_and(|e| e == "wkf") {
            let (base, report) = SeedRun::imported(workflow);
            let base = base.with_env("WHARF_MAGENTO_PASSWORD", PASSWORD);
            base.edit_connections(&[
                (
                    "https://magento.example.invalid/",
                    &format!("{}/", harness.url()),
                ),
                ("username: change-me", "username: wharf"),
            ]);
            (base, Some(report))
        } else {
            let base = SeedRun::new(workflow.to_owned()).with_env("MAGENTO_PASSWORD", PASSWORD);
            write_connections(&base.connections(), &format!("{}/", harness.url()));
            (base, None)
        };
        let base = base.with_secrets(&[PASSWORD, "Bearer "]);
        let shop = Magento::new(Config {
            admin_user: "wharf".into(),
            admin_password: PASSWORD.into(),
            ..config
        });
        harness.serve(Some(shop.clone()));
        let company = base.dir().join("sage-company.xml");
        std::fs::write(&company, shop.zynk_company(EXISTING)).unwrap();
        base.load_sage(&[&company]);
        Seed {
            base,
            shop,
            violations_before: harness.mark(),
            // The sample maps every order to its web sales account.
            web_account: import.as_ref().map(|_| "WEBSALES"),
            import,
        }
    }

    /// The download's saved cursor, if any.
    fn cursor(&self) -> Option<String> {
        self.state("download", "modified-cursor")
    }

    /// Violations of the schema since this seed started.
    fn assert_contract_kept(&self, harness: &Harness) {
        harness.assert_kept_since(self.violations_before, "Magento's schema");
    }

    /// The end state every way of running must reach.
    fn check_final(&self) {
        self.check_orders();
        let differing = self.stock_differences();
        assert!(
            differing.is_empty(),
            "the shop's stock levels are the ledger's free stock; {} differ: {:?}",
            differing.len(),
            &differing[..differing.len().min(5)]
        );
    }

    /// Each good order in the ledger once (an existing customer's on their account); exactly
    /// those moved to `complete` in the shop.
    fn check_orders(&self) {
        let malformed: BTreeSet<String> = self.shop.malformed().into_iter().collect();
        let statuses = self.shop.order_statuses();
        let good: BTreeSet<String> = statuses
            .keys()
            .filter(|id| !malformed.contains(*id))
            .cloned()
            .collect();
        let ledger = Ledger::open(&self.ledger).unwrap();
        let numbers = imported_order_numbers(&ledger);
        let imported: BTreeSet<String> = numbers.iter().cloned().collect();
        assert_eq!(
            numbers.len(),
            imported.len(),
            "no order twice in the ledger"
        );
        assert_eq!(imported, good, "each good order in the ledger");
        for (id, status) in &statuses {
            let expected = if malformed.contains(id) {
                "pending"
            } else {
                "complete"
            };
            assert_eq!(status, expected, "order {id}'s status");
        }
        if let Some(web) = self.web_account {
            for number in ledger.all_sales_order_numbers().unwrap() {
                let order = ledger.find_sales_order(number).unwrap().unwrap();
                assert_eq!(order.account_ref, web, "order {number}'s account");
            }
            return;
        }
        // Orders of customers Sage knew went to their accounts.
        let existing: BTreeMap<String, String> = self
            .shop
            .customers()
            .into_iter()
            .take(EXISTING)
            .map(|c| (c.email, existing_account(c.id)))
            .collect();
        let mut on_existing = 0;
        for number in ledger.all_sales_order_numbers().unwrap() {
            let order = ledger.find_sales_order(number).unwrap().unwrap();
            let email = self.shop.order(&order.customer_order_number).unwrap()["customer_email"]
                .as_str()
                .unwrap()
                .to_owned();
            if let Some(account) = existing.get(&email) {
                assert_eq!(&order.account_ref, account, "order {number}'s account");
                on_existing += 1;
            } else {
                assert!(
                    !order.account_ref.starts_with("MAGC"),
                    "{}",
                    order.account_ref
                );
            }
        }
        assert!(on_existing > 0, "some orders are existing customers'");
    }

    /// SKUs whose source item quantity is not the ledger's free stock.
    fn stock_differences(&self) -> Vec<String> {
        let free: BTreeMap<String, f64> = Ledger::open(&self.ledger)
            .unwrap()
            .products()
            .unwrap()
            .into_iter()
            .map(|p| (p.stock_code.clone(), p.free_stock()))
            .collect();
        let products = self.shop.products();
        assert_eq!(products.len(), free.len(), "every SKU is a stock record");
        products
            .iter()
            .filter(|p| {
                free.get(&p.sku) != Some(&p.source_quantity)
                    || p.source_status != i64::from(p.source_quantity > 0.0)
            })
            .map(|p| {
                format!(
                    "{}: shop {} ({}), Sage {:?}",
                    p.sku,
                    p.source_quantity,
                    p.source_status,
                    free.get(&p.sku)
                )
            })
            .collect()
    }
}

fn write_connections(path: &Path, base_url: &str) {
    std::fs::write(
        path,
        format!(
            "http:\n  magento:\n    base-url: {base_url}\n    auth: {{ magento-admin: {{ username: wharf, password: {{ env: MAGENTO_PASSWORD }} }} }}\n    connect-timeout-seconds: 2\n    retries: 3\n"
        ),
    )
    .unwrap();
}

fn config() -> Config {
    Config {
        orders: ORDERS,
        malformed: MALFORMED,
        ..Config::default()
    }
}

#[test]
fn three_hundred_orders_five_malformed_go_in_once_and_the_shop_hears_back() {
    let harness = harness();
    let seed = Seed::new(&harness, config());
    let requests = harness.requests();
    let out = seed.run();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("300 orders written"), "{report}");
    assert!(report.contains("295 imported, 5 failed"), "{report}");
    assert!(report.contains("295 orders updated"), "{report}");
    seed.check_final();
    assert!(
        harness.requests() > requests + 300,
        "the connector went through the proxy"
    );
    let stats = seed.shop.stats();
    assert_eq!(stats.logins, 1, "one admin token for the whole run");
    let cursor = seed.cursor().expect("a cursor after a successful download");

    // Nothing new: nothing downloaded, imported or moved; the cursor stays. Logged at the
    // finest level, neither the password nor a token shows.
    let out = seed.finished(seed.wharf().env("WHARF_LOG", "trace").output().unwrap());
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("0 orders written"), "{report}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("reqwest"),
        "the HTTP client logs at this level"
    );
    assert_eq!(seed.cursor(), Some(cursor));
    assert_eq!(seed.shop.stats().comments, stats.comments);
    seed.check_final();
    seed.assert_contract_kept(&harness);
}

#[test]
fn the_cursor_moves_only_when_the_download_succeeds() {
    let harness = harness();
    let seed = Seed::new(
        &harness,
        Config {
            orders: 40,
            malformed: 1,
            ..config()
        },
    );
    harness.serve(None);
    let out = seed.wharf().output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(report.contains("503"), "{report}");
    assert_eq!(seed.cursor(), None);
    assert!(imported_order_numbers(&Ledger::open(&seed.ledger).unwrap()).is_empty());
    harness.serve(Some(seed.shop.clone()));
    seed.run();
    seed.check_final();
    let cursor = seed.cursor().expect("moved once the download succeeded");
    // The newest order as downloaded (moving it to `complete` changed it since).
    let newest = seed.shop.order("000000040").unwrap()["created_at"]
        .as_str()
        .unwrap()
        .replace(' ', "T");
    assert!(
        cursor.starts_with(&newest),
        "{cursor} is the newest order's {newest}"
    );
    seed.assert_contract_kept(&harness);
}

#[test]
fn a_429_storm_orders_changing_and_the_token_expiring_mid_run_end_without_a_duplicate() {
    let harness = harness();
    let seed = Seed::new(&harness, config());
    seed.shop.set_churn(true);
    seed.shop.rate_limit_storm(120);
    let mut run = seed.wharf().stdout(Stdio::piped()).spawn().unwrap();
    // The token ends while the run is going: once the orders are in Sage, before the shop is
    // told.
    let orders = seed.work().join("zynk_orders.xml");
    let started = Instant::now();
    while !orders.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no orders mapped"
        );
        if run.try_wait().unwrap().is_some() {
            let out = run.wait_with_output().unwrap();
            panic!(
                "the run ended first:\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    seed.shop.expire_tokens();
    let out = run.wait_with_output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    let stats = seed.shop.stats();
    assert!(stats.rate_limited >= 60, "{stats:?}");
    assert!(stats.unauthorised >= 1 && stats.logins >= 2, "{stats:?}");
    seed.shop.set_churn(false);
    // Orders that changed after they were downloaded come again: refused as duplicates.
    seed.run();
    seed.check_final();
    seed.assert_contract_kept(&harness);
}

#[test]
fn a_run_killed_at_any_of_ten_points_and_run_again_ends_in_the_same_state() {
    let harness = harness();
    killed_behind_contracts(
        &harness,
        || Seed::new(&harness, config()),
        |seed| imported_order_numbers(&Ledger::open(&seed.ledger).unwrap()).len(),
        |seed| {
            seed.check_final();
            seed.assert_contract_kept(&harness);
        },
        ORDERS - MALFORMED,
    );
}

/// Seed 2's Zynk sample (`Magento to Sage 50 Workflow.wkf`: pending orders created since
/// 2012-05-10, all to the WEBSALES account, moved to `complete`; changed stock records to the
/// shop) imported with `wharf import-wkf`, its connection filled in as the report says, run
/// against the same shop and proxy as the hand-written example: each good order in the ledger
/// once, exactly those completed, the shop's stock the ledger's; a second run imports nothing.
#[test]
fn imported_zynk_sample_ends_as_the_hand_written_example() {
    let harness = harness();
    let seed = Seed::for_workflow(&harness, config(), &fixture(SAMPLE));
    let import = seed.import.as_ref().unwrap();
    assert_eq!(
        (&import["tasks"], &import["converted"]),
        (&json!(11), &json!(11))
    );
    let notes = import["files"][0]["connection_notes"].to_string();
    assert!(notes.contains("WHARF_MAGENTO_PASSWORD"), "{notes}");
    let out = seed.run();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("295 imported, 5 failed"), "{report}");
    seed.check_final();
    let out = seed.run();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("0 orders written"), "{report}");
    seed.check_final();
    seed.assert_contract_kept(&harness);
}
