//! Sections `bigcommerce` and `magento`: a shop connector against its fake shop
//! (`wharf_fake_shops`, served on 127.0.0.1 in this process, no contract proxy).
//!
//! 1. Orders per second downloaded through the whole connector (the download task in a
//!    `wharf run`: order pages and, for BigCommerce, each order's products, shipping addresses
//!    and coupons, written as XML), against one `curl` process fetching the same pages
//!    (keep-alive). `WHARF_BENCH_SHOP_ORDERS` orders (default 2,000).
//! 2. The shop's seed workflow (`examples/bigcommerce-to-sage.yaml`, seed 3;
//!    `examples/magento-to-sage.yaml`, seed 2) end to end on 10,000 orders
//!    (`WHARF_BENCH_SHOP_FLOW_ORDERS`), and on a quarter of them (after a small unmeasured run
//!    that fills the compiled-component cache): orders per second and peak RSS of `wharf run`,
//!    to show memory stays flat as orders grow.

use super::{Report, measure, measure_cpu, root, wharf_cmd};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use wharf_fake_shops::bigcommerce::{self, BigCommerce};
use wharf_fake_shops::magento::{self, Magento};
use wharf_fake_shops::server::Running;

const SECRET: &str = "bench-secret";

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A fake shop serving `orders` orders, and what the benchmarks need of it.
struct Started {
    running: Running,
    /// Its products (and customers) as a Sage company, Zynk XML.
    company: String,
    /// The connection `name` for the connections file (indented entries under it).
    connection: String,
    /// Requests it answered so far.
    requests: Box<dyn Fn() -> u64>,
}

/// A shop the benchmarks run against.
struct ShopBench {
    /// The section name and the report's label.
    name: &'static str,
    /// The seed workflow file and its label.
    example: &'static str,
    seed: &'static str,
    /// The connection's name in the workflows.
    connection: &'static str,
    start: fn(usize) -> Started,
    /// The one-task download workflow's task.
    download: &'static str,
    /// The pages the download fetches, relative to the shop's URL, and the headers `curl`
    /// sends (after fetching any token it needs from `base`).
    curl: fn(&str, usize) -> CurlPlan,
}

/// The URLs `curl` fetches and the headers it sends.
type CurlPlan = (Vec<String>, Vec<String>);

const BIGCOMMERCE: ShopBench = ShopBench {
    name: "bigcommerce",
    example: "examples/bigcommerce-to-sage.yaml",
    seed: "seed workflow 3",
    connection: "bigcommerce",
    start: |orders| {
        let store = BigCommerce::new(bigcommerce::Config {
            orders,
            customers: 500,
            products: 400,
            malformed: 0,
            large_orders: 0,
            token: SECRET.into(),
            quota: u32::MAX,
            inventory_delay: Duration::from_millis(10),
            ..bigcommerce::Config::default()
        });
        let running = Running::start(store.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
        Started {
            connection: format!(
                "    base-url: {}/stores/bench/\n    auth: {{ header: {{ name: X-Auth-Token, value: {{ env: SHOP_SECRET }} }} }}\n",
                running.url()
            ),
            company: store.zynk_company("WEBSALES"),
            requests: Box::new(move || store.stats().requests),
            running,
        }
    },
    download: "bigcommerce-download-orders\n    grants: [\"http:bigcommerce\"]\n    settings: { export-type: All, page-size: 50, output-file: orders.xml }",
    curl: |_, orders| {
        let mut urls = Vec::new();
        for page in 1..=orders.div_ceil(50) + 1 {
            urls.push(format!(
                "/stores/bench/v2/orders?sort=id:asc&limit=50&page={page}"
            ));
        }
        for id in 1..=orders {
            for sub in ["products", "shipping_addresses", "coupons"] {
                urls.push(format!(
                    "/stores/bench/v2/orders/{id}/{sub}?limit=50&page=1"
                ));
            }
        }
        let headers = vec![
            format!("X-Auth-Token: {SECRET}"),
            "Accept: application/json".into(),
        ];
        (urls, headers)
    },
};

const MAGENTO: ShopBench = ShopBench {
    name: "magento",
    example: "examples/magento-to-sage.yaml",
    seed: "seed workflow 2",
    connection: "magento",
    start: |orders| {
        let shop = Magento::new(magento::Config {
            orders,
            customers: 500,
            products: 400,
            malformed: 0,
            admin_user: "bench".into(),
            admin_password: SECRET.into(),
            ..magento::Config::default()
        });
        let running = Running::start(shop.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
        Started {
            connection: format!(
                "    base-url: {}/\n    auth: {{ magento-admin: {{ username: bench, password: {{ env: SHOP_SECRET }} }} }}\n",
                running.url()
            ),
            company: shop.zynk_company(10),
            requests: Box::new(move || shop.stats().requests),
            running,
        }
    },
    download: "magento2-download-orders\n    grants: [\"http:magento\"]\n    settings: { export-type: All, page-size: 50, output-file: orders.xml }",
    curl: |base, orders| {
        let token = Command::new("curl")
            .args([
                "-s",
                "-X",
                "POST",
                "-H",
                "Content-Type: application/json",
                "-d",
            ])
            .arg(format!(
                "{{\"username\":\"bench\",\"password\":\"{SECRET}\"}}"
            ))
            .arg(format!("{base}/rest/default/V1/integration/admin/token"))
            .output()
            .ok()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .trim()
                    .trim_matches('"')
                    .to_owned()
            })
            .unwrap_or_default();
        // The pages the connector asks for: by key (orders after the last id seen, sorted by
        // id, page 1), the fake's ids counting from 1.
        let urls = (0..orders.div_ceil(50))
            .map(|page| {
                format!(
                    "/rest/default/V1/orders?searchCriteria%5BfilterGroups%5D%5B0%5D%5Bfilters%5D%5B0%5D%5Bfield%5D=entity_id&searchCriteria%5BfilterGroups%5D%5B0%5D%5Bfilters%5D%5B0%5D%5Bvalue%5D={}&searchCriteria%5BfilterGroups%5D%5B0%5D%5Bfilters%5D%5B0%5D%5BconditionType%5D=gt&searchCriteria%5BsortOrders%5D%5B0%5D%5Bfield%5D=entity_id&searchCriteria%5BsortOrders%5D%5B0%5D%5Bdirection%5D=ASC&searchCriteria%5BpageSize%5D=50&searchCriteria%5BcurrentPage%5D=1",
                    page * 50
                )
            })
            .collect();
        (urls, vec![format!("Authorization: Bearer {token}")])
    },
};

pub fn bigcommerce(dirs: &[PathBuf], cache: &Path, report: &mut Report) {
    download(&BIGCOMMERCE, dirs, cache, report);
    whole_flow(&BIGCOMMERCE, dirs, cache, report);
}

pub fn magento(dirs: &[PathBuf], cache: &Path, report: &mut Report) {
    download(&MAGENTO, dirs, cache, report);
    whole_flow(&MAGENTO, dirs, cache, report);
}

fn connections(shop: &ShopBench, dir: &Path, started: &Started) -> PathBuf {
    let path = dir.join("connections.yaml");
    std::fs::write(
        &path,
        format!(
            "http:\n  {}:\n{}    max-requests: 1000000\n",
            shop.connection, started.connection
        ),
    )
    .unwrap();
    path
}

fn download(shop: &ShopBench, dirs: &[PathBuf], cache: &Path, report: &mut Report) {
    let orders = env_number("WHARF_BENCH_SHOP_ORDERS", 2000);
    let started = (shop.start)(orders);
    let dir = tempfile::tempdir_in(root().join("target")).unwrap();
    let wf = dir.path().join("download.yaml");
    std::fs::write(
        &wf,
        format!(
            "name: Download\nid: download\nlimits: {{ timeout: 30m, write: 50GiB }}\ntasks:\n  - task: {}\n",
            shop.download
        ),
    )
    .unwrap();
    let connections_file = connections(shop, dir.path(), &started);
    let data = dir.path().join("data");
    let wharf_run = || {
        clear_earlier_output(&data);
        let mut cmd = wharf_cmd(dirs, cache, &data);
        cmd.env("WHARF_CONNECTIONS", &connections_file)
            .env("SHOP_SECRET", SECRET)
            .args(["run", "--fresh"])
            .arg(&wf);
        let requests_before = (started.requests)();
        let (elapsed, rss, status, cpu) = measure_cpu(cmd);
        assert!(
            status.success(),
            "the {} download workflow failed",
            shop.name
        );
        (elapsed, rss, (started.requests)() - requests_before, cpu)
    };

    // The same pages with curl: one process, one connection kept alive.
    let base = started.running.url();
    let (urls, headers) = (shop.curl)(&base, orders);
    let mut config = String::new();
    for url in urls {
        config.push_str(&format!("url = \"{base}{url}\"\noutput = \"/dev/null\"\n"));
    }
    let curl_config = dir.path().join("curl.config");
    std::fs::write(&curl_config, config).unwrap();
    let curl_run = || {
        let mut curl = Command::new("curl");
        curl.arg("-s");
        for header in &headers {
            curl.args(["-H", header]);
        }
        curl.arg("-K").arg(&curl_config);
        let (elapsed, _, status, cpu) = measure_cpu(curl);
        status.success().then_some((elapsed, cpu))
    };

    // Both take turns; the best time of each counts (the machine is shared). A first,
    // unmeasured run fills the compiled-component cache, so no measured peak is the compiler's.
    wharf_run();
    let repeat = super::repeats();
    // (wall, CPU) of the fastest run of each; the fake shop's own work is in this process.
    let (mut best, mut rss, mut requests) = ((Duration::MAX, Duration::ZERO), 0, 0);
    let mut curl_best: Option<(Duration, Duration)> = None;
    for _ in 0..repeat {
        let (e, r, n, c) = wharf_run();
        best = best.min((e, c));
        rss = rss.max(r);
        requests = n;
        if let Some(d) = curl_run() {
            curl_best = Some(curl_best.map_or(d, |b| b.min(d)));
        }
    }
    let (elapsed, cpu) = best;
    let per_second = |d: Duration| orders as f64 / d.as_secs_f64();
    let baseline = match curl_best {
        Some((curl_elapsed, curl_cpu)) => format!(
            "{:.0} orders/s curl, {} ms CPU ({:.2}×)",
            per_second(curl_elapsed),
            curl_cpu.as_millis(),
            curl_elapsed.as_secs_f64() / elapsed.as_secs_f64()
        ),
        None => "curl unavailable".into(),
    };
    report.add(
        &format!(
            "{}: download {orders} orders ({requests} requests, best of {repeat})",
            shop.name
        ),
        format!(
            "{:.0} orders/s, {} MiB peak RSS, {} ms CPU",
            per_second(elapsed),
            rss >> 20,
            cpu.as_millis()
        ),
        baseline,
    );
}

/// Removes the `orders.xml` an earlier measured run left in the data folder and flushes the
/// disk, outside the timing. In a workflow the next tasks map, import and archive that file
/// before the download runs again; here the runs follow each other, and replacing a 5.8 MB
/// file on a file system mounted `discard` frees its blocks with a synchronous trim inside the
/// rename (~8 ms on the bench VM, tests/bench/README.md, "Magento download, session 11"),
/// which curl, writing to /dev/null, never pays.
fn clear_earlier_output(data: &Path) {
    fn remove_in(folder: &Path) {
        let Ok(entries) = std::fs::read_dir(folder) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                remove_in(&path);
            } else if entry.file_name() == "orders.xml" {
                std::fs::remove_file(&path).unwrap();
            }
        }
    }
    remove_in(data);
    let _ = Command::new("sync").status();
}

fn whole_flow(shop: &ShopBench, dirs: &[PathBuf], cache: &Path, report: &mut Report) {
    let full = env_number("WHARF_BENCH_SHOP_FLOW_ORDERS", 10_000);
    let mut results = Vec::new();
    // A first small run compiles the workflow's components into the cache, so that neither
    // measured run's peak is the compiler's.
    for orders in [50, full / 4, full] {
        let started = (shop.start)(orders);
        let dir = tempfile::tempdir_in(root().join("target")).unwrap();
        let data = dir.path().join("data");
        let ledger = dir.path().join("ledger.sqlite");
        let company = dir.path().join("company.xml");
        std::fs::write(&company, &started.company).unwrap();
        for args in [
            vec!["sage".to_owned(), "create-company".to_owned()],
            vec![
                "sage".to_owned(),
                "load".to_owned(),
                company.display().to_string(),
            ],
        ] {
            let out = wharf_cmd(dirs, cache, &data)
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
        // The example with room for 10,000 orders a run.
        let example = std::fs::read_to_string(root().join(shop.example)).unwrap();
        let wf = dir.path().join("seed.yaml");
        std::fs::write(
            &wf,
            example.replace("  timeout: 10m\n", "  timeout: 60m\n  write: 50GiB\n"),
        )
        .unwrap();
        let mut cmd = wharf_cmd(dirs, cache, &data);
        cmd.env("WHARF_CONNECTIONS", connections(shop, dir.path(), &started))
            .env("SHOP_SECRET", SECRET)
            .env("WHARF_SAGE_LEDGER", &ledger)
            .args(["run", "--fresh"])
            .arg(&wf);
        let (elapsed, rss, status) = measure(cmd);
        assert!(status.success(), "{} failed on {orders} orders", shop.seed);
        results.push((orders, elapsed, rss));
    }
    let (small, small_time, small_rss) = results[1];
    let (large, large_time, large_rss) = results[2];
    report.add(
        &format!("{}: {} on {large} orders", shop.name, shop.seed),
        format!(
            "{:.0} orders/s, {} MiB peak RSS",
            large as f64 / large_time.as_secs_f64(),
            large_rss >> 20
        ),
        format!(
            "{small} orders: {:.0} orders/s, {} MiB peak RSS",
            small as f64 / small_time.as_secs_f64(),
            small_rss >> 20
        ),
    );
}
