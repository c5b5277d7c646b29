//! Seed integration 3 end to end (`examples/bigcommerce-to-sage.yaml` through the `wharf`
//! binary) against the stateful fake BigCommerce store (`wharf_fake_shops::bigcommerce`), with
//! Stoplight Prism between connector and store checking every request and answer against
//! BigCommerce's own specifications (with the repository's overlays where they are wrong): 300
//! orders, 5 malformed → each good order in the ledger once, exactly those moved to `Completed`,
//! the store's stock equal to the ledger's free stock; a second run imports nothing; the cursor
//! moves only when the download succeeds; a 429 storm while orders change under the download;
//! SIGKILL at ten points and run again → the same end state.

use crate::sage::imported_order_numbers;
use crate::support::{
    TestEnv, kill_after, kill_delays, repo_root, warm_run_duration, wharf_command,
};
use sage_ledger::Ledger;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};
use wharf_fake_shops::bigcommerce::{BigCommerce, Config};
use wharf_fake_shops::server::{Request, Response, Running, Shop};
use wharf_test_peers::{ContractOptions, ContractProxy, Violation};

pub(crate) const ORDERS: usize = 300;
pub(crate) const MALFORMED: usize = 5;
/// The API account's token; never in a report, record or log.
pub(crate) const TOKEN: &str = "bc-token-7f3a-never-shown";
/// The store's API root, as in `https://api.bigcommerce.com/stores/<hash>/`.
const STORE: &str = "/stores/wharf-test";
/// Completed and Awaiting Fulfillment in every store's status list.
const COMPLETED: i64 = 10;
const AWAITING_FULFILLMENT: i64 = 11;

/// The store the shared server answers for: a test swaps in its own fake; none is an outage
/// (503 from the gateway).
struct Switch(Mutex<Option<Arc<BigCommerce>>>);

impl Shop for Switch {
    fn handle(&self, request: Request) -> Response {
        let current = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        match current {
            Some(store) => store.handle(request),
            None => Response::json(503, &json!({"status": 503, "title": "Service Unavailable"})),
        }
    }
}

/// Routes the store's API root to one contract proxy per specification (v2 orders; v3
/// inventory, products and variants are separate specifications, so separate Prisms): a
/// request's path picks its proxy and goes on unchanged. Each proxy answers one request per
/// connection (`Connection: close`), so a connection is routed once.
struct Router {
    url: String,
}

impl Router {
    fn start(routes: Vec<(String, String)>) -> Router {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let routes = Arc::new(routes);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let routes = routes.clone();
                std::thread::spawn(move || {
                    let _ = route(client, &routes);
                });
            }
        });
        Router { url }
    }
}

fn route(mut client: TcpStream, routes: &[(String, String)]) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut chunk = [0u8; 8192];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = client.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&chunk[..n]);
    }
    let line = String::from_utf8_lossy(&head)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let path = line.split_whitespace().nth(1).unwrap_or_default();
    let Some((_, target)) = routes
        .iter()
        .filter(|(prefix, _)| path.starts_with(prefix.as_str()))
        .max_by_key(|(prefix, _)| prefix.len())
    else {
        client.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return Ok(());
    };
    let mut upstream = TcpStream::connect(target.trim_start_matches("http://"))?;
    upstream.write_all(&head)?;
    let mut up_read = upstream.try_clone()?;
    let mut client_write = client.try_clone()?;
    let answer = std::thread::spawn(move || {
        let _ = std::io::copy(&mut up_read, &mut client_write);
        let _ = client_write.shutdown(std::net::Shutdown::Both);
    });
    let _ = std::io::copy(&mut client, &mut upstream);
    let _ = answer.join();
    Ok(())
}

/// The fake store's server, the four contract proxies and the router in front of them, started
/// once for the test binary (Prism takes seconds to load a specification).
pub(crate) struct Harness {
    switch: Arc<Switch>,
    _server: Running,
    proxies: Vec<ContractProxy>,
    router: Router,
}

impl Harness {
    fn start() -> Harness {
        let switch = Arc::new(Switch(Mutex::new(None)));
        let server = Running::start(switch.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
        let specs = repo_root().join("../shared/fixtures/api-specs/bigcommerce");
        let overlays = repo_root().join("host/fake-shops/overlays");
        let mut proxies = Vec::new();
        let mut routes = Vec::new();
        for (prefix, base, spec, overlay) in [
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
        ] {
            let proxy = ContractProxy::start_with(
                &specs.join(spec),
                &ContractOptions {
                    overlays: vec![overlays.join(overlay)],
                    base_path: format!("{STORE}{base}"),
                },
                &server.url(),
            );
            routes.push((format!("{STORE}{prefix}"), proxy.url().to_owned()));
            proxies.push(proxy);
        }
        let router = Router::start(routes);
        Harness {
            switch,
            _server: server,
            proxies,
            router,
        }
    }

    /// The store's API root through the proxies.
    pub(crate) fn base_url(&self) -> String {
        format!("{}{STORE}/", self.router.url)
    }

    pub(crate) fn serve(&self, store: Option<Arc<BigCommerce>>) {
        *self.switch.0.lock().unwrap_or_else(|p| p.into_inner()) = store;
    }

    pub(crate) fn violations(&self) -> Vec<Violation> {
        self.proxies
            .iter()
            .flat_map(ContractProxy::violations)
            .collect()
    }

    pub(crate) fn requests(&self) -> usize {
        self.proxies.iter().map(ContractProxy::requests).sum()
    }
}

/// The harness, one test at a time (they share the server and the proxies).
pub(crate) fn harness() -> MutexGuard<'static, Harness> {
    static HARNESS: OnceLock<Mutex<Harness>> = OnceLock::new();
    HARNESS
        .get_or_init(|| Mutex::new(Harness::start()))
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// A store and a Sage company holding its products, for one test.
pub(crate) struct Seed {
    pub(crate) env: TestEnv,
    pub(crate) ledger: PathBuf,
    pub(crate) store: Arc<BigCommerce>,
    violations_before: usize,
}

impl Seed {
    pub(crate) fn new(harness: &Harness, config: Config) -> Seed {
        let env = TestEnv::new();
        let store = BigCommerce::new(Config {
            token: TOKEN.into(),
            ..config
        });
        harness.serve(Some(store.clone()));
        let ledger = env.dir.path().join("sage/ledger.sqlite");
        std::fs::create_dir_all(ledger.parent().unwrap()).unwrap();
        let company = env.dir.path().join("sage-company.xml");
        std::fs::write(&company, store.zynk_company("WEBSALES")).unwrap();
        for args in [
            vec!["sage".to_owned(), "create-company".to_owned()],
            vec![
                "sage".to_owned(),
                "load".to_owned(),
                company.display().to_string(),
            ],
        ] {
            let out = wharf_command(&env.data())
                .env("WHARF_SAGE_LEDGER", &ledger)
                .args(&args)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        write_connections(env.dir.path(), &harness.base_url());
        Seed {
            env,
            ledger,
            store,
            violations_before: harness.violations().len(),
        }
    }

    pub(crate) fn wharf(&self) -> Command {
        let mut c = wharf_command(&self.env.data());
        c.env("WHARF_SAGE_LEDGER", &self.ledger)
            .env(
                "WHARF_CONNECTIONS",
                self.env.dir.path().join("connections.yaml"),
            )
            .arg("run")
            .arg(repo_root().join("examples/bigcommerce-to-sage.yaml"));
        c
    }

    pub(crate) fn run(&self) -> Output {
        let out = self.wharf().output().unwrap();
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{report}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!report.contains(TOKEN));
        out
    }

    /// The download's saved cursor, if any.
    fn cursor(&self) -> Option<String> {
        let path = self.env.data().join("bigcommerce-to-sage/state.json");
        let state: serde_json::Value = std::fs::read(path)
            .map(|b| serde_json::from_slice(&b).unwrap())
            .unwrap_or_default();
        state["download"]["created-cursor"]
            .as_str()
            .map(str::to_owned)
    }

    /// Violations of the specifications since this seed started.
    pub(crate) fn assert_contract_kept(&self, harness: &Harness) {
        let new: Vec<String> = harness.violations()[self.violations_before..]
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            new.is_empty(),
            "broke the API specification:\n{}",
            new.join("\n")
        );
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
                AWAITING_FULFILLMENT
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
    fn env(&self) -> &TestEnv {
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
    let out = seed.wharf().env("WHARF_LOG", "trace").output().unwrap();
    assert!(out.status.success());
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("0 orders written"), "{report}");
    assert!(
        !report.contains("imported,") || report.contains("0 imported"),
        "{report}"
    );
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(!log.contains(TOKEN) && !report.contains(TOKEN));
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
    let (reference, whole) = warm_run_duration(
        || Seed::new(&harness, config()),
        |s| {
            s.run();
        },
    );
    reference.check_final();
    reference.assert_contract_kept(&harness);
    drop(reference);

    let mut seen = Vec::new();
    for delay in kill_delays(whole, 10) {
        let seed = Seed::new(&harness, config());
        kill_after(&mut seed.wharf(), delay);
        seen.push(imported_order_numbers(&Ledger::open(&seed.ledger).unwrap()).len());
        seed.run();
        seed.check_final();
        seed.assert_contract_kept(&harness);
    }
    assert!(
        seen.iter().any(|&n| n < ORDERS - MALFORMED),
        "some kill came before the import finished: {seen:?} (whole run {whole:?})"
    );
    assert!(
        seen.iter().any(|&n| n > 0),
        "some kill came after: {seen:?}"
    );
}
