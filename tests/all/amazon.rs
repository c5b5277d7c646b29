//! Seed integration 4 end to end (`examples/amazon-to-sage.yaml` through the `wharf` binary)
//! against the stateful fake Selling Partner API (`wharf_fake_shops::amazon`) behind Stoplight
//! Prism loaded with Amazon's own Orders 2026-01-01 and Feeds 2021-06-30 models: any request or
//! response that breaks them fails the test. 300 orders over three marketplaces, 5 bad ones and
//! a 429 storm → every good order in the ledger once; the stock and price feeds accepted (a few
//! SKUs refused on purpose) and their reports turned into success and fail files by a later run;
//! a second run imports and submits nothing; a run killed at any of ten points and run again
//! ends the same, no feed submitted twice for the same change. The LWA secrets never appear in
//! any output.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Arc;

use sage_ledger::Ledger;
use wharf_fake_shops::amazon::{Amazon, Config, Rate};
use wharf_fake_shops::server::Running;
use wharf_test_peers::{ContractOptions, ContractProxy};

use crate::support::{
    TestEnv, kill_after, kill_delays, repo_root, warm_run_duration, wharf_command,
};

const ORDERS: usize = 300;
const BAD: usize = 5;
const PRODUCTS: usize = 60;
const REFRESH_TOKEN: &str = "Atzr|refresh-9f3c-never-shown";
const CLIENT_SECRET: &str = "amzn-secret-41d7-never-shown";
const SELLER: &str = "A1WHARFSELLER";

fn specs() -> PathBuf {
    repo_root().join("../shared/fixtures/api-specs/amazon-sp-api")
}

/// Amazon's documented rates, sped up so a test's several runs do not wait minutes for a
/// bucket that refills once every three minutes; bursts as documented.
fn test_rates() -> BTreeMap<String, Rate> {
    Config::documented_rates()
        .into_iter()
        .map(|(op, rate)| {
            (
                op,
                Rate {
                    per_second: rate.per_second * 200.0,
                    burst: rate.burst,
                },
            )
        })
        .collect()
}

pub(crate) struct Seller {
    env: TestEnv,
    ledger: PathBuf,
    pub(crate) amazon: Arc<Amazon>,
    proxy: ContractProxy,
    _server: Running,
    refused: Vec<String>,
}

impl Seller {
    pub(crate) fn new() -> Seller {
        let env = TestEnv::new();
        let ledger = env.dir.path().join("sage/ledger.sqlite");
        std::fs::create_dir_all(ledger.parent().unwrap()).unwrap();
        let products = env.dir.path().join("products.xml");
        let customers = env.dir.path().join("customers.xml");
        std::fs::write(
            &customers,
            "<?xml version=\"1.0\"?><Company><Customers><Customer><AccountReference>AMAZON</AccountReference><CompanyName>Amazon sales</CompanyName></Customer></Customers></Company>",
        )
        .unwrap();
        for args in [
            vec![
                "generate".to_owned(),
                "--count".to_owned(),
                PRODUCTS.to_string(),
                "--output".to_owned(),
                products.display().to_string(),
            ],
            vec!["sage".to_owned(), "create-company".to_owned()],
            vec![
                "sage".to_owned(),
                "load".to_owned(),
                products.display().to_string(),
            ],
            vec![
                "sage".to_owned(),
                "load".to_owned(),
                customers.display().to_string(),
            ],
        ] {
            let out = wharf_command(&env.data())
                .env("WHARF_SAGE_LEDGER", &ledger)
                .args(&args)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // The seller's Amazon listings are its Sage products.
        let listings: Vec<(String, String, f64)> = Ledger::open(&ledger)
            .unwrap()
            .products()
            .unwrap()
            .into_iter()
            .map(|p| (p.stock_code.clone(), p.description.clone(), 10.0))
            .collect();
        assert_eq!(listings.len(), PRODUCTS);
        let refused: Vec<String> = listings.iter().step_by(20).map(|l| l.0.clone()).collect();
        let schema: serde_json::Value = serde_json::from_slice(
            &std::fs::read(specs().join("listings-feed-schema-v2.json")).unwrap(),
        )
        .unwrap();
        let amazon = Amazon::new(Config {
            orders: ORDERS,
            malformed: BAD,
            listings,
            refused_skus: refused.clone(),
            listings_schema: Some(schema),
            processing_polls: 2,
            refresh_token: REFRESH_TOKEN.into(),
            client_secret: CLIENT_SECRET.into(),
            rates: test_rates(),
            ..Config::default()
        });
        let server = Running::start(amazon.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
        amazon.set_public_url(&server.url());
        let proxy = ContractProxy::start_with(
            &specs().join("orders_2026-01-01.json"),
            &ContractOptions {
                // One proxy for both APIs: the Feeds model merged onto the Orders model.
                overlays: vec![specs().join("feeds_2021-06-30.json")],
                base_path: String::new(),
            },
            &server.url(),
        );
        // The LWA secrets in files (as on a server; the cloud function reads the same files).
        let secrets = env.dir.path().join("secrets");
        std::fs::create_dir_all(&secrets).unwrap();
        for (name, value) in [
            ("lwa-client-id", amazon.config().client_id.as_str()),
            ("lwa-client-secret", CLIENT_SECRET),
            ("lwa-refresh-token", REFRESH_TOKEN),
        ] {
            std::fs::write(secrets.join(name), format!("{value}\n")).unwrap();
        }
        std::fs::write(
            env.dir.path().join("connections.yaml"),
            format!(
                "http:\n  amazon:\n    base-url: {}/\n    auth:\n      lwa:\n        token-url: {}/auth/o2/token\n        client-id: {{ file: {s}/lwa-client-id }}\n        client-secret: {{ file: {s}/lwa-client-secret }}\n        refresh-token: {{ file: {s}/lwa-refresh-token }}\n    extra-origins: [{}]\n    connect-timeout-seconds: 5\n    retries: 2\n",
                proxy.url(),
                server.url(),
                server.url(),
                s = secrets.display(),
            ),
        )
        .unwrap();
        // Amazon's schema, where the workflow's submit tasks read it.
        let work = env.data().join("amazon-to-sage/work");
        std::fs::create_dir_all(work.join("schemas")).unwrap();
        std::fs::copy(
            specs().join("listings-feed-schema-v2.json"),
            work.join("schemas/listings-feed-schema-v2.json"),
        )
        .unwrap();
        Seller {
            env,
            ledger,
            amazon,
            proxy,
            _server: server,
            refused,
        }
    }

    fn work(&self) -> PathBuf {
        self.env.data().join("amazon-to-sage/work")
    }

    fn wharf(&self) -> Command {
        let mut c = wharf_command(&self.env.data());
        c.env("WHARF_SAGE_LEDGER", &self.ledger)
            .env(
                "WHARF_CONNECTIONS",
                self.env.dir.path().join("connections.yaml"),
            )
            .args(["run", "--var", &format!("MerchantID={SELLER}")])
            .args([
                "--var",
                "ListingsSchema=schemas/listings-feed-schema-v2.json",
            ])
            // Pages of 40: every marketplace's search follows two pagination tokens.
            .args(["--var", "PageSize=40"])
            .arg(repo_root().join("examples/amazon-to-sage.yaml"));
        c
    }

    fn run(&self) -> String {
        let out: Output = self.wharf().env("WHARF_LOG", "debug").output().unwrap();
        let report = String::from_utf8_lossy(&out.stdout).into_owned();
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{report}\n{log}");
        for secret in [REFRESH_TOKEN, CLIENT_SECRET, "Atza|fake-"] {
            assert!(
                !report.contains(secret) && !log.contains(secret),
                "a secret or token in the output"
            );
        }
        report
    }

    fn order_count(&self) -> usize {
        Ledger::open(&self.ledger)
            .unwrap()
            .sales_order_count()
            .unwrap() as usize
    }

    /// Free stock per SKU in the ledger, as the inventory mapping computes it.
    fn free_stock(&self) -> BTreeMap<String, u64> {
        Ledger::open(&self.ledger)
            .unwrap()
            .products()
            .unwrap()
            .into_iter()
            .map(|p| {
                let free = (p.qty_in_stock - p.qty_allocated).floor();
                (
                    p.stock_code.clone(),
                    if free > 0.0 { free as u64 } else { 0 },
                )
            })
            .collect()
    }

    /// Every good order once; nothing leaked, mangled or broke Amazon's models.
    fn check_orders(&self) {
        assert_eq!(self.order_count(), ORDERS - BAD, "every good order once");
        let stats = self.amazon.stats();
        assert_eq!(
            stats.leaked_tokens, 0,
            "a document URL got the access token"
        );
        assert_eq!(stats.bad_pagination_tokens, 0, "{stats:?}");
        assert_eq!(stats.bad_windows, 0, "{stats:?}");
        assert!(
            self.proxy.requests() > 0,
            "the API calls went through the proxy"
        );
        self.proxy.assert_clean();
    }

    /// [`Seller::check_orders`], and: Amazon's listings hold Sage's free stock but for the
    /// refused SKUs; no feed content submitted twice.
    pub(crate) fn check_final(&self) {
        self.check_listings(true);
    }

    /// `all_sent` false: a SKU may never have reached Amazon (never a wrong level). A run
    /// killed inside the stock export, after the ledger noted what it exported but before the
    /// task ended, exports again without the records whose content is as last exported (the
    /// engine's known window, as in the website seed's kill test).
    fn check_listings(&self, all_sent: bool) {
        self.check_orders();
        let listings = self.amazon.listings();
        for (sku, free) in self.free_stock() {
            let listed = listings[&sku].quantity;
            if self.refused.contains(&sku) {
                assert_eq!(listed, None, "{sku} was refused");
            } else if all_sent || listed.is_some() {
                assert_eq!(listed, Some(free), "{sku}: Amazon has Sage's free stock");
            }
        }
        let mut contents = BTreeSet::new();
        for (feed_type, content) in self.amazon.feed_contents() {
            assert!(
                contents.insert((feed_type.clone(), content)),
                "a {feed_type} submitted twice with the same content"
            );
        }
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.work().join(name)).unwrap_or_default()
    }
}

impl crate::cloud::CloudSeed for Seller {
    fn env(&self) -> &TestEnv {
        &self.env
    }
    fn ledger(&self) -> &std::path::Path {
        &self.ledger
    }
    fn workflow(&self) -> PathBuf {
        repo_root().join("examples/amazon-to-sage.yaml")
    }
    fn workflow_id(&self) -> &'static str {
        "amazon-to-sage"
    }
    /// The orders and the contract: the feeds' reports come with the next scheduled run.
    fn check_final_with(&self, _truth: &dyn wharf_engine::storage::TruthStore) {
        self.check_orders();
    }
    fn secrets(&self) -> Vec<&'static str> {
        vec![REFRESH_TOKEN, CLIENT_SECRET]
    }
}

#[test]
fn three_hundred_orders_over_three_marketplaces_and_feeds_back_through_a_429_storm() {
    let seller = Seller::new();
    seller.amazon.rate_limit_storm(12);
    let report = seller.run();
    assert!(
        report.contains(&format!("{} imported, {BAD} failed", ORDERS - BAD)),
        "{report}\n{:?}",
        seller
            .read("Results/salesorder_fail.xml")
            .split("<Description>")
            .skip(1)
            .filter_map(|d| d.split('<').next())
            .collect::<BTreeSet<_>>()
    );
    let stats = seller.amazon.stats();
    assert!(stats.throttled >= 12, "{stats:?}");
    assert!(
        stats.order_pages >= 6,
        "three marketplaces, 100 orders each, pages of 100"
    );
    assert_eq!(stats.feeds_created, 2, "{stats:?}");
    // Feeds take two polls: this run saw them queued.
    assert!(report.contains("no report yet"), "{report}");
    let fail = seller.read("Results/salesorder_fail.xml");
    for bad in seller.amazon.malformed() {
        assert!(fail.contains(&bad), "{bad} in the fail file");
    }

    // A later run collects the reports; it imports and submits nothing new.
    let report = seller.run();
    assert!(
        report.contains("2 feeds finished") && report.contains("rejected"),
        "{report}"
    );
    assert_eq!(seller.amazon.stats().feeds_created, 2);
    assert!(
        seller.amazon.stats().token_exchanges <= 2,
        "one token per run"
    );
    let (success, fail) = (
        seller.read("Results/amazon_feed_success.xml"),
        seller.read("Results/amazon_feed_fail.xml"),
    );
    for sku in &seller.refused {
        assert!(fail.contains(&format!("<Sku>{sku}</Sku>")), "{sku} failed");
        assert!(!success.contains(&format!("<Sku>{sku}</Sku>")), "{sku}");
    }
    assert_eq!(
        success.matches("<FeedResult>").count(),
        2 * (PRODUCTS - seller.refused.len()),
        "every other SKU accepted in both feeds"
    );
    seller.check_final();
    let prices = seller.amazon.listings();
    assert!(
        prices.values().filter(|l| !l.prices.is_empty()).count() >= PRODUCTS - seller.refused.len()
    );

    let report = seller.run();
    assert!(
        report.contains("no new orders") || report.contains("0 imported"),
        "{report}"
    );
    assert_eq!(seller.amazon.stats().feeds_created, 2, "nothing changed");
    seller.check_final();
}

#[test]
fn a_run_killed_at_any_of_ten_points_and_run_again_ends_in_the_same_state() {
    let (reference, whole) = warm_run_duration(Seller::new, |s| {
        s.run();
    });
    reference.run();
    reference.check_final();
    drop(reference);

    let mut seen = Vec::new();
    for delay in kill_delays(whole, 10) {
        let seller = Seller::new();
        kill_after(seller.wharf().env("WHARF_LOG", "off"), delay);
        // The request the kill cut is never answered; the relay notes that a moment later.
        std::thread::sleep(std::time::Duration::from_millis(500));
        seller.proxy.forget_unanswered();
        seen.push(seller.order_count());
        seller.run();
        seller.run();
        seller.check_listings(false);
    }
    assert!(
        seen.iter().any(|&n| n < ORDERS - BAD),
        "some kill came before the import finished: {seen:?} (whole run {whole:?})"
    );
}
