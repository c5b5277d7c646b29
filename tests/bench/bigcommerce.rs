//! Section `bigcommerce`: the BigCommerce connector against the fake store
//! (`wharf_fake_shops::bigcommerce`, served on 127.0.0.1 in this process, no contract proxy).
//!
//! 1. Orders per second downloaded through the whole connector (`bigcommerce-download-orders` in
//!    a `wharf run`: order pages and each order's products, shipping addresses and coupons,
//!    written as XML), against one `curl` process fetching the same pages (keep-alive).
//!    `WHARF_BENCH_BC_ORDERS` orders (default 2,000).
//! 2. Seed workflow 3 (`examples/bigcommerce-to-sage.yaml`) end to end on 10,000 orders
//!    (`WHARF_BENCH_BC_FLOW_ORDERS`), and on a quarter of them: orders per second and peak RSS of
//!    `wharf run`, to show memory stays flat as orders grow.

use super::{Report, measure, root, wharf_cmd};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;
use wharf_fake_shops::bigcommerce::{BigCommerce, Config};
use wharf_fake_shops::server::Running;

const TOKEN: &str = "bench-token";

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A store of `orders` orders served on 127.0.0.1, without a quota.
fn store(orders: usize) -> (Arc<BigCommerce>, Running) {
    let store = BigCommerce::new(Config {
        orders,
        customers: 500,
        products: 400,
        malformed: 0,
        large_orders: 0,
        token: TOKEN.into(),
        quota: u32::MAX,
        inventory_delay: Duration::from_millis(10),
        ..Config::default()
    });
    let running = Running::start(store.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    (store, running)
}

fn connections(dir: &Path, base: &str) -> PathBuf {
    let path = dir.join("connections.yaml");
    std::fs::write(
        &path,
        format!(
            "http:\n  bigcommerce:\n    base-url: {base}/stores/bench/\n    auth: {{ header: {{ name: X-Auth-Token, value: {{ env: BIGCOMMERCE_TOKEN }} }} }}\n    max-requests: 1000000\n"
        ),
    )
    .unwrap();
    path
}

pub fn bigcommerce(dirs: &[PathBuf], cache: &Path, report: &mut Report) {
    download(dirs, cache, report);
    whole_flow(dirs, cache, report);
}

fn download(dirs: &[PathBuf], cache: &Path, report: &mut Report) {
    let orders = env_number("WHARF_BENCH_BC_ORDERS", 2000);
    let (store, running) = store(orders);
    let dir = tempfile::tempdir_in(root().join("target")).unwrap();
    let connections = connections(dir.path(), &running.url());
    let wf = dir.path().join("download.yaml");
    std::fs::write(
        &wf,
        "name: BigCommerce download\nid: bc-download\nlimits: { timeout: 30m, write: 50GiB }\ntasks:\n  - task: bigcommerce-download-orders\n    grants: [\"http:bigcommerce\"]\n    settings: { export-type: All, page-size: 50, output-file: orders.xml }\n",
    )
    .unwrap();
    let mut cmd = wharf_cmd(dirs, cache, &dir.path().join("data"));
    cmd.env("WHARF_CONNECTIONS", &connections)
        .env("BIGCOMMERCE_TOKEN", TOKEN)
        .args(["run", "--fresh"])
        .arg(&wf);
    let requests_before = store.stats().requests;
    let (elapsed, rss, status) = measure(cmd);
    assert!(status.success(), "the download workflow failed");
    let requests = store.stats().requests - requests_before;

    // The same pages with curl: one process, one connection kept alive.
    let base = format!("{}/stores/bench/v2", running.url());
    let mut config = String::new();
    let mut url = |path: String| {
        config.push_str(&format!("url = \"{base}{path}\"\noutput = \"/dev/null\"\n"));
    };
    for page in 1..=orders.div_ceil(50) + 1 {
        url(format!("/orders?sort=id:asc&limit=50&page={page}"));
    }
    for id in 1..=orders {
        for sub in ["products", "shipping_addresses", "coupons"] {
            url(format!("/orders/{id}/{sub}?limit=50&page=1"));
        }
    }
    let curl_config = dir.path().join("curl.config");
    std::fs::write(&curl_config, config).unwrap();
    let mut curl = Command::new("curl");
    curl.args(["-s", "-H", &format!("X-Auth-Token: {TOKEN}")])
        .args(["-H", "Accept: application/json", "-K"])
        .arg(&curl_config);
    let (curl_elapsed, _, curl_status) = measure(curl);
    let per_second = |d: Duration| orders as f64 / d.as_secs_f64();
    let baseline = if curl_status.success() {
        format!(
            "{:.0} orders/s curl ({:.2}×)",
            per_second(curl_elapsed),
            curl_elapsed.as_secs_f64() / elapsed.as_secs_f64()
        )
    } else {
        "curl unavailable".into()
    };
    report.add(
        &format!("bigcommerce: download {orders} orders ({requests} requests)"),
        format!(
            "{:.0} orders/s, {} MiB peak RSS",
            per_second(elapsed),
            rss >> 20
        ),
        baseline,
    );
}

fn whole_flow(dirs: &[PathBuf], cache: &Path, report: &mut Report) {
    let full = env_number("WHARF_BENCH_BC_FLOW_ORDERS", 10_000);
    let mut results = Vec::new();
    for orders in [full / 4, full] {
        let (store, running) = store(orders);
        let dir = tempfile::tempdir_in(root().join("target")).unwrap();
        let data = dir.path().join("data");
        let ledger = dir.path().join("ledger.sqlite");
        let company = dir.path().join("company.xml");
        std::fs::write(&company, store.zynk_company("WEBSALES")).unwrap();
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
        let example =
            std::fs::read_to_string(root().join("examples/bigcommerce-to-sage.yaml")).unwrap();
        let wf = dir.path().join("bigcommerce-to-sage.yaml");
        std::fs::write(
            &wf,
            example.replace("  timeout: 10m\n", "  timeout: 60m\n  write: 50GiB\n"),
        )
        .unwrap();
        let mut cmd = wharf_cmd(dirs, cache, &data);
        cmd.env("WHARF_CONNECTIONS", connections(dir.path(), &running.url()))
            .env("BIGCOMMERCE_TOKEN", TOKEN)
            .env("WHARF_SAGE_LEDGER", &ledger)
            .args(["run", "--fresh"])
            .arg(&wf);
        let (elapsed, rss, status) = measure(cmd);
        assert!(
            status.success(),
            "seed workflow 3 failed on {orders} orders"
        );
        results.push((orders, elapsed, rss));
    }
    let (small, small_time, small_rss) = results[0];
    let (large, large_time, large_rss) = results[1];
    report.add(
        &format!("bigcommerce: seed workflow 3 on {large} orders"),
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
