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
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sage_ledger::Ledger;
use wharf_fake_shops::amazon::{Amazon, Config, Rate};
use wharf_wkf::convert::AMAZON_MERCHANT_VARIABLE;

use crate::shop_harness::{Contract, ContractedShop, SeedRun, killed_at_ten_points};
use crate::support::{fixture, repo_root};

const ORDERS: usize = 300;
const BAD: usize = 5;
const PRODUCTS: usize = 60;
const REFRESH_TOKEN: &str = "Atzr|refresh-9f3c-never-shown";
const CLIENT_SECRET: &str = "amzn-secret-41d7-never-shown";
const SELLER: &str = "A1WHARFSELLER";
/// Seed 4's Zynk sample workflow, for `wharf import-wkf`.
const SAMPLE: &str = "workflows/Amazon to Sage 50 Template Workflow.wkf";

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
    base: SeedRun,
    pub(crate) amazon: Arc<Amazon>,
    /// The fake behind Prism loaded with Amazon's Orders and Feeds models.
    api: ContractedShop<Amazon>,
    refused: Vec<String>,
    /// `wharf import-wkf --json`'s report, for an imported `.wkf` (the Zynk sample downloads
    /// only shipped orders and collects no feed reports).
    import: Option<serde_json::Value>,
}

impl std::ops::Deref for Seller {
    type Target = SeedRun;
    fn deref(&self) -> &SeedRun {
        &self.base
    }
}

impl Seller {
    pub(crate) fn new() -> Seller {
        Seller::for_workflow(&repo_root().join("examples/amazon-to-sage.yaml"))
    }

    /// The seller with `workflow`: a workflow file, or a Zynk `.wkf` imported with `wharf
    /// import-wkf` and then set up as its import report says (the seller id in the workflow
    /// variable it names, the connection's Login with Amazon credentials in the environment
    /// variables it names). An imported sample's seller sells on the marketplace the sample
    /// names (UK) only.
    pub(crate) fn for_workflow(workflow: &Path) -> Seller {
        let (base, import) = if workflow.extension().is_some_and(|e| e == "wkf") {
            let (base, report) = SeedRun::imported(workflow);
            let var = format!("{AMAZON_MERCHANT_VARIABLE}={SELLER}");
            (base.with_args(&["--var", &var]), Some(report))
        } else {
            let base = SeedRun::new(workflow.to_owned())
                .with_args(&["--var", &format!("MerchantID={SELLER}")])
                // Pages of 40: every marketplace's search follows two pagination tokens.
                .with_args(&["--var", "PageSize=40"]);
            (base, None)
        };
        let base = base.with_env("WHARF_LOG", "debug").with_secrets(&[
            REFRESH_TOKEN,
            CLIENT_SECRET,
            "Atza|fake-",
        ]);
        let products = base.dir().join("products.xml");
        let customers = base.dir().join("customers.xml");
        std::fs::write(
            &customers,
            "<?xml version=\"1.0\"?><Company><Customers><Customer><AccountReference>AMAZON</AccountReference><CompanyName>Amazon sales</CompanyName></Customer></Customers></Company>",
        )
        .unwrap();
        base.tool(&[
            "generate",
            "--count",
            &PRODUCTS.to_string(),
            "--output",
            &products.display().to_string(),
        ]);
        base.load_sage(&[&products, &customers]);
        // The seller's Amazon listings are its Sage products.
        let listings: Vec<(String, String, f64)> = Ledger::open(&base.ledger)
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
        let mut marketplaces = Config::default().marketplaces;
        if import.is_some() {
            marketplaces.truncate(1);
            assert_eq!(marketplaces[0].name, "Amazon.co.uk");
        }
        let amazon = Amazon::new(Config {
            marketplaces,
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
        let api = ContractedShop::start(
            serde_json::json!({"errors": [{"code": "ServiceUnavailable", "message": "down"}]}),
            vec![Contract {
                prefix: "/".into(),
                spec: specs().join("orders_2026-01-01.json"),
                // One proxy for both APIs: the Feeds model merged onto the Orders model.
                overlays: vec![specs().join("feeds_2021-06-30.json")],
                base_path: String::new(),
            }],
        );
        api.serve(Some(amazon.clone()));
        amazon.set_public_url(&api.direct_url());
        // The LWA secrets in files (as on a server; the cloud function reads the same files).
        let secrets = base.dir().join("secrets");
        std::fs::create_dir_all(&secrets).unwrap();
        for (name, value) in [
            ("lwa-client-id", amazon.config().client_id.as_str()),
            ("lwa-client-secret", CLIENT_SECRET),
            ("lwa-refresh-token", REFRESH_TOKEN),
        ] {
            std::fs::write(secrets.join(name), format!("{value}\n")).unwrap();
        }
        if import.is_some() {
            let client_id = amazon.config().client_id.clone();
            let base = base
                .with_env("WHARF_AMAZON_CLIENT_ID", &client_id)
                .with_env("WHARF_AMAZON_CLIENT_SECRET", CLIENT_SECRET)
                .with_env("WHARF_AMAZON_REFRESH_TOKEN", REFRESH_TOKEN);
            // The fake's addresses for Amazon's: the API, its token endpoint (a real seller
            // keeps Amazon's default) and where its feed documents are.
            base.edit_connections(&[
                (
                    "https://sellingpartnerapi-eu.amazon.com/",
                    &format!("{}/", api.url()),
                ),
                (
                    "https://tortuga-prod-eu.s3-eu-west-1.amazonaws.com",
                    &api.direct_url(),
                ),
            ]);
            base.edit_connections_data(|c| {
                c["http"]["amazon"]["auth"]["lwa"]["token-url"] =
                    format!("{}/auth/o2/token", api.direct_url()).into();
            });
            // The report flags the sample's AMAZONSALES (11 characters; Sage 50 keeps 8): the
            // user names an account of the company instead, here one the import creates.
            base.edit_workflow(&[("AccountReference=AMAZONSALES", "AccountReference=AMAZON")]);
            return Seller {
                base,
                amazon,
                api,
                refused,
                import,
            };
        }
        std::fs::write(
            base.connections(),
            format!(
                "http:\n  amazon:\n    base-url: {}/\n    auth:\n      lwa:\n        token-url: {}/auth/o2/token\n        client-id: {{ file: {s}/lwa-client-id }}\n        client-secret: {{ file: {s}/lwa-client-secret }}\n        refresh-token: {{ file: {s}/lwa-refresh-token }}\n    extra-origins: [{}]\n    connect-timeout-seconds: 5\n    retries: 2\n",
                api.url(),
                api.direct_url(),
                api.direct_url(),
                s = secrets.display(),
            ),
        )
        .unwrap();
        Seller {
            base,
            amazon,
            api,
            refused,
            import,
        }
    }

    /// The good orders the workflow downloads: all, or the shipped ones for the Zynk sample.
    fn good_orders(&self) -> usize {
        if self.import.is_none() {
            return ORDERS - BAD;
        }
        let malformed = self.amazon.malformed();
        self.amazon
            .orders()
            .iter()
            .filter(|o| o["fulfillment"]["fulfillmentStatus"] == "SHIPPED")
            .filter(|o| !malformed.iter().any(|m| o["orderId"] == m.as_str()))
            .count()
    }

    fn run(&self) -> String {
        String::from_utf8_lossy(&self.base.run().stdout).into_owned()
    }

    /// The id of the run the workflow's checkpoint names, if any (a suspended run's).
    fn checkpoint_run(&self) -> Option<String> {
        let checkpoint: serde_json::Value =
            serde_json::from_slice(&std::fs::read(self.data().join("checkpoint.json")).ok()?)
                .ok()?;
        checkpoint["run_id"].as_str().map(str::to_owned)
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
        assert_eq!(
            self.order_count(),
            self.good_orders(),
            "every good order once"
        );
        let stats = self.amazon.stats();
        assert_eq!(
            stats.leaked_tokens, 0,
            "a document URL got the access token"
        );
        assert_eq!(stats.bad_pagination_tokens, 0, "{stats:?}");
        assert_eq!(stats.bad_windows, 0, "{stats:?}");
        assert!(
            self.api.requests() > 0,
            "the API calls went through the proxy"
        );
        self.api.assert_kept_since(0, "Amazon's models");
    }

    /// [`Seller::check_orders`], and: Amazon's listings hold Sage's free stock but for the
    /// refused SKUs; no feed content submitted twice.
    pub(crate) fn check_final(&self) {
        self.check_orders();
        let listings = self.amazon.listings();
        for (sku, free) in self.free_stock() {
            let listed = listings[&sku].quantity;
            if self.refused.contains(&sku) {
                assert_eq!(listed, None, "{sku} was refused");
            } else {
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
    fn env(&self) -> &crate::support::TestEnv {
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
    // Feeds take two polls: this run saw them queued, and suspended waiting for them.
    assert!(
        report.starts_with("Run ")
            && report.contains("Suspended: task")
            && report.contains("Amazon is still processing"),
        "{report}"
    );
    assert!(
        !seller
            .read("Results/amazon_feed_success.xml")
            .contains("<FeedResult>"),
        "no report collected yet"
    );
    let fail = seller.read("Results/salesorder_fail.xml");
    for bad in seller.amazon.malformed() {
        assert!(fail.contains(&bad), "{bad} in the fail file");
    }
    // While it waits, the run holds the workflow: the next run carries it on.
    let suspended = seller
        .checkpoint_run()
        .expect("a suspended run's checkpoint");

    // The next run resumes it at the waiting task: it collects the reports and archives,
    // without downloading, importing or submitting again.
    let report = seller.run();
    assert!(
        report.contains("2 feeds finished") && report.contains("rejected"),
        "{report}"
    );
    assert!(report.contains(&suspended[..12]), "the same run: {report}");
    assert_eq!(seller.checkpoint_run(), None, "the run ended");
    assert_eq!(seller.amazon.stats().feeds_created, 2);
    assert_eq!(
        seller.amazon.stats().order_pages,
        stats.order_pages,
        "no download while the run resumed"
    );
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
    killed_at_ten_points(
        Seller::new,
        |seller| {
            seller.run();
        },
        |seller| {
            let mut wharf = seller.wharf();
            wharf.env("WHARF_LOG", "off");
            wharf
        },
        Seller::order_count,
        |seller| {
            // The request the kill cut is never answered; that breaks no contract.
            seller.api.forget_unanswered();
            seller.run();
            seller.run();
            seller.check_final();
        },
        ORDERS - BAD,
    );
}

/// Seed 4's Zynk sample (`Amazon to Sage 50 Template Workflow.wkf`: the UK marketplace's
/// shipped orders to Sage; changed stock records to Amazon as an inventory and a price feed)
/// imported with `wharf import-wkf`, set up as the report says, run against the same fake
/// behind Amazon's models as the hand-written example: every good shipped order in the ledger
/// once; both feeds created, the inventory feed holding every SKU's free stock. The sample
/// collects no processing reports (Zynk kept the submission response), so the listings are
/// checked by what was sent; a second run imports and submits nothing.
#[test]
fn imported_zynk_sample_ends_as_the_hand_written_example() {
    let seller = Seller::for_workflow(&fixture(SAMPLE));
    let import = seller.import.as_ref().unwrap();
    assert_eq!(
        (&import["tasks"], &import["converted"]),
        (&serde_json::json!(13), &serde_json::json!(13))
    );
    let notes = import["files"][0]["connection_notes"].to_string();
    assert!(notes.contains("WHARF_AMAZON_REFRESH_TOKEN"), "{notes}");
    let good = seller.good_orders();
    assert!(good > 50, "{good} shipped orders");
    let report = seller.run();
    assert!(report.contains(&format!("{good} imported")), "{report}");
    seller.check_orders();
    assert_eq!(seller.amazon.stats().feeds_created, 2, "{report}");
    let free = seller.free_stock();
    let mut sent = BTreeMap::new();
    for (feed_type, content) in seller.amazon.feed_contents() {
        let feed: serde_json::Value = serde_json::from_slice(&content).unwrap();
        for m in feed["messages"].as_array().unwrap() {
            for patch in m["patches"].as_array().into_iter().flatten() {
                if patch["path"] == "/attributes/fulfillment_availability" {
                    let quantity = patch["value"][0]["quantity"].as_u64();
                    sent.insert(m["sku"].as_str().unwrap().to_owned(), quantity);
                }
            }
        }
        assert_eq!(feed_type, "JSON_LISTINGS_FEED");
    }
    let expected: BTreeMap<String, Option<u64>> =
        free.into_iter().map(|(sku, n)| (sku, Some(n))).collect();
    assert_eq!(sent, expected, "the inventory feed holds Sage's free stock");

    let report = seller.run();
    assert!(
        report.contains("no new orders") || report.contains("0 imported"),
        "{report}"
    );
    assert_eq!(seller.amazon.stats().feeds_created, 2, "nothing changed");
    seller.check_orders();
}
