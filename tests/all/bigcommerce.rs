//! Seed integration 3 end to end (`examples/bigcommerce-to-sage.yaml` through the `wharf`
//! binary) against the stateful fake BigCommerce store (`wharf_fake_shops::bigcommerce`), with
//! Stoplight Prism between connector and store checking every request and answer against
//! BigCommerce's own specifications (with the repository's overlays where they are wrong): 300
//! orders, 5 malformed → each good order in the ledger once, exactly those moved to `Completed`,
//! the store's stock equal to the ledger's free stock; a second run imports nothing; the cursor
//! moves only when the download succeeds; a 429 storm while orders change under the download;
//! SIGKILL at ten points and run again → the same end state.

use crate::sage::imported_order_numbers;
use crate::shop_harness::{Contract, ContractedShop, SeedRun, killed_behind_contracts, shared};
use crate::support::{fixture, repo_root};
use sage_ledger::Ledger;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};
use wharf_fake_shops::bigcommerce::{BigCommerce, Config};

pub(crate) const ORDERS: usize = 300;
pub(crate) const MALFORMED: usize = 5;
/// The API account's token; never in a report, record or log.
pub(crate) const TOKEN: &str = "bc-token-7f3a-never-shown";
/// The store's API root, as in `https://api.bigcommerce.com/stores/<hash>/`.
const STORE: &str = "/stores/wharf-test";
/// Completed and Awaiting Fulfillment in every store's status list.
const COMPLETED: i64 = 10;
/// The status the Zynk sample downloads.
const SHIPPED: i64 = 2;
/// Seed 3's Zynk sample workflow, for `wharf import-wkf`.
const SAMPLE: &str = "workflows/BigCommerce to Sage50.wkf";

pub(crate) type Harness = ContractedShop<BigCommerce>;

/// The fake store's server and a contract proxy per specification (v2 orders; v3 inventory,
/// products and variants are separate specifications), started once for the test binary, one
/// test at a time.
pub(crate) fn harness() -> MutexGuard<'static, Harness> {
    static HARNESS: OnceLock<Mutex<Harness>> = OnceLock::new();
    shared(&HARNESS, || {
        let specs = repo_root().join("../shared/fixtures/api-specs/bigcommerce");
        let overlays = repo_root().join("host/fake-shops/overlays");
        let contracts = [
            (
                "/v2/",
                "/v2",
                "orders.v2.oas2.yml",
                "bigcommerce-orders-v2.yaml",
            ),
            (
                "/v3/inventory/",
                "/v3",
                "inventory.v3.yml",
                "bigcommerce-inventory-v3.yaml",
            ),
            (
                "/v3/catalog/products",
                "/v3",
                "products_catalog.v3.yml",
                "bigcommerce-products-v3.yaml",
            ),
            (
                "/v3/catalog/variants",
                "/v3",
                "product-variants_catalog.v3.yml",
                "bigcommerce-variants-v3.yaml",
            ),
        ]
        .into_iter()
        .map(|(prefix, base, spec, overlay)| Contract {
            prefix: format!("{STORE}{prefix}"),
            spec: specs.join(spec),
            overlays: vec![overlays.join(overlay)],
            base_path: format!("{STORE}{base}"),
        })
        .collect();
        ContractedShop::start(
            json!({"status": 503, "title": "Service Unavailable"}),
            contracts,
        )
    })
}

/// The store's API root through the proxies.
pub(crate) fn base_url(harness: &Harness) -> String {
    format!("{}{STORE}/", harness.url())
}

/// A store and a Sage company holding its products, for one test.
pub(crate) struct Seed {
    base: SeedRun,
    pub(crate) store: Arc<BigCommerce>,
    violations_before: usize,
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
    pub(crate) fn new(harness: &Harness, config: Config) -> Seed {
        Seed::for_workflow(
            harness,
            config,
            &repo_root().join("examples/bigcommerce-to-sage.yaml"),
        )
    }

    /// The seed with `workflow`: a workflow file, or a Zynk `.wkf` imported with `wharf
    /// import-wkf` whose connection is then filled in as its import report says (the store's
    /// API root, the access token in the environment variable it names).
    pub(crate) fn for_workflow(harness: &Harness, config: Config, workflow: &Path) -> Seed {
        let (base, import) = if workflow.extension().is_some_and(|e| e == "wkf") {
            let (base, report) = SeedRun::imported(workflow);
            base.edit_connections(&[(
                "https://api.bigcommerce.com/stores/STORE-HASH/",
                &base_url(harness),
            )]);
            (
                base.with_env("WHARF_BIGCOMMERCE_TOKEN", TOKEN),
                Some(report),
            )
        } else {
            let base = SeedRun::new(workflow.to_owned());
            write_connections(base.dir(), &base_url(harness));
            (base, None)
        };
        let base = base.with_secrets(&[TOKEN]);
        let store = BigCommerce::new(Config {
            token: TOKEN.into(),
            ..config
        });
        harness.serve(Some(store.clone()));
        let company = base.dir().join("sage-company.xml");
        std::fs::write(&company, store.zynk_company("WEBSALES")).unwrap();
        base.load_sage(&[&company]);
        Seed {
            base,
            store,
            violations_before: harness.mark(),
            import,
        }
    }

    /// The download's saved cursor, if any.
    fn cursor(&self) -> Option<String> {
        self.state("download", "created-cursor")
    }

    /// Violations of the specifications since this seed started.
    pub(crate) fn assert_contract_kept(&self, harness: &Harness) {
        harness.assert_kept_since(self.violations_before, "the API specification");
    }

    /// The end state every way of running must reach.
    pub(crate) fn check_final(&self) {
        self.check_orders();
        let differing = self.stock_differences();
        assert!(
            differing.is_empty(),
            "the store's stock levels are the ledger's free stock; {} differ: {:?}",
            differing.len(),
            &differing[..differing.len().min(5)]
        );
    }

    /// Each good order in the ledger once; exactly those moved on in the store.
    pub(crate) fn check_orders(&self) {
        let malformed: BTreeSet<u64> = self.store.malformed().into_iter().collect();
        let statuses = self.store.order_statuses();
        let good: BTreeSet<String> = statuses
            .keys()
            .filter(|id| !malformed.contains(id))
            .map(u64::to_string)
            .collect();
        let numbers = imported_order_numbers(&Ledger::open(&self.ledger).unwrap());
        let imported: BTreeSet<String> = numbers.iter().cloned().collect();
        assert_eq!(
            numbers.len(),
            imported.len(),
            "no order twice in the ledger"
        );
        assert_eq!(imported, good, "each good order in the ledger");
        for (id, status) in statuses {
            let expected = if malformed.contains(&id) {
                self.store.config().initial_status
            } else {
                COMPLETED
            };
            assert_eq!(status, expected, "order {id}'s status");
        }
    }

    /// SKUs whose stock level in the store is not the ledger's free stock (once the store has
    /// applied the adjustments it accepted).
    pub(crate) fn stock_differences(&self) -> Vec<String> {
        let started = Instant::now();
        while self.store.pending_adjustments() > 0 {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "adjustments never applied"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let free: BTreeMap<String, f64> = Ledger::open(&self.ledger)
            .unwrap()
            .products()
            .unwrap()
            .into_iter()
            .map(|p| (p.stock_code.clone(), p.free_stock()))
            .collect();
        let levels = self.store.stock_levels();
        assert_eq!(
            levels.len(),
            free.len(),
            "every orderable SKU is a stock record"
        );
        levels
            .iter()
            .filter(|(sku, level)| free.get(*sku) != Some(&(**level as f64)))
            .map(|(sku, level)| format!("{sku}: store {level}, Sage {:?}", free.get(sku)))
            .collect()
    }
}

/// `connections.yaml` in `dir`: the store's API root and its token, from a secrets file (which
/// the cloud tests' function reads as well).
pub(crate) fn write_connections(dir: &Path, base_url: &str) {
    let token = dir.join("bigcommerce.token");
    std::fs::write(&token, format!("{TOKEN}\n")).unwrap();
    std::fs::write(
        dir.join("connections.yaml"),
        format!(
            "http:\n  bigcommerce:\n    base-url: {base_url}\n    auth: {{ header: {{ name: X-Auth-Token, value: {{ file: {} }} }} }}\n    connect-timeout-seconds: 2\n    retries: 8\n",
            token.display()
        ),
    )
    .unwrap();
}

impl crate::cloud::CloudSeed for Seed {
    fn env(&self) -> &crate::support::TestEnv {
        &self.env
    }
    fn ledger(&self) -> &Path {
        &self.ledger
    }
    fn workflow(&self) -> PathBuf {
        repo_root().join("examples/bigcommerce-to-sage.yaml")
    }
    fn workflow_id(&self) -> &'static str {
        "bigcommerce-to-sage"
    }
    fn check_final_with(&self, _truth: &dyn wharf_engine::storage::TruthStore) {
        self.check_final();
    }
    fn secrets(&self) -> Vec<&'static str> {
        vec![TOKEN]
    }
}

pub(crate) fn config() -> Config {
    Config {
        orders: ORDERS,
        malformed: MALFORMED,
        ..Config::default()
    }
}

#[test]
fn three_hundred_orders_five_malformed_go_in_once_and_the_store_hears_back() {
    let harness = harness();
    let seed = Seed::new(&harness, config());
    let requests = harness.requests();
    let out = seed.run();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("300 orders written"), "{report}");
    assert!(report.contains("295 imported, 5 failed"), "{report}");
    assert!(report.contains("295 moved to `Completed`"), "{report}");
    seed.check_final();
    assert!(
        harness.requests() > requests + 900,
        "the connector went through the proxies"
    );
    let stats = seed.store.stats();
    assert!(
        stats.empty_pages > 0,
        "the store answered empty pages with 204"
    );
    let cursor = seed.cursor().expect("a cursor after a successful download");

    // Nothing new: nothing downloaded, imported or moved; the cursor stays. Logged at the
    // finest level, the token shows nowhere.
    let out = seed.finished(seed.wharf().env("WHARF_LOG", "trace").output().unwrap());
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("0 orders written"), "{report}");
    assert!(
        !report.contains("imported,") || report.contains("0 imported"),
        "{report}"
    );
    assert_eq!(seed.cursor(), Some(cursor));
    assert_eq!(seed.store.stats().status_updates, stats.status_updates);
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
    // The outage's answers are the gateway's, not the store's: the only violations.
    let outage = harness.violations().split_off(seed.violations_before);
    assert!(
        outage
            .iter()
            .all(|v| v.status == 503 || v.detail.contains("503")),
        "{outage:?}"
    );
    let seed = Seed {
        violations_before: harness.violations().len(),
        ..seed
    };
    harness.serve(Some(seed.store.clone()));
    seed.run();
    seed.check_final();
    let cursor = seed.cursor().expect("moved once the download succeeded");
    assert!(
        cursor.ends_with(" 40"),
        "the newest order written: {cursor}"
    );
    seed.assert_contract_kept(&harness);
}

#[test]
fn a_429_storm_while_orders_change_under_the_download_finishes_without_a_duplicate() {
    let harness = harness();
    let seed = Seed::new(&harness, config());
    seed.store.set_churn(true);
    seed.store.rate_limit_storm(80);
    seed.run();
    assert!(seed.store.stats().rate_limited >= 40);
    seed.store.set_churn(false);
    // Orders that arrived after the last page came are the next run's.
    seed.run();
    seed.check_final();
    assert!(
        seed.store.order_statuses().len() > ORDERS,
        "orders arrived while paging"
    );
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

/// Seed 3's Zynk sample (`BigCommerce to Sage50.wkf`: every `Shipped` order to the WEBSALES
/// account with its stock allocated, moved to `Completed`; changed stock records to the store)
/// imported with `wharf import-wkf`, its connection filled in as the report says, run against
/// the same store and proxies as the hand-written example, the store's new orders `Shipped`:
/// each good order in the ledger once, exactly those completed, the store's stock the ledger's
/// free stock; a second run downloads only the refused orders again and imports nothing.
#[test]
fn imported_zynk_sample_ends_as_the_hand_written_example() {
    let harness = harness();
    let seed = Seed::for_workflow(
        &harness,
        Config {
            initial_status: SHIPPED,
            ..config()
        },
        &fixture(SAMPLE),
    );
    let import = seed.import.as_ref().unwrap();
    assert_eq!(
        (&import["tasks"], &import["converted"]),
        (&json!(11), &json!(11))
    );
    let notes = import["files"][0]["connection_notes"].to_string();
    assert!(notes.contains("WHARF_BIGCOMMERCE_TOKEN"), "{notes}");
    let out = seed.run();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("300 orders written"), "{report}");
    assert!(report.contains("295 imported, 5 failed"), "{report}");
    assert!(report.contains("295 moved to `Completed`"), "{report}");
    seed.check_final();
    let out = seed.run();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("5 orders written"), "{report}");
    seed.check_final();
    seed.assert_contract_kept(&harness);
}
