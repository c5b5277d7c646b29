//! Sections `split-scale`, `sage-scale` and `sftp-scale`: how the cost of a whole `wharf run`
//! grows with the work — time and the process's peak RSS at each size, and the time per unit
//! of work relative to the smallest size (1.00× at every size is linear time; a peak that
//! stays put is flat memory).
//!
//! - split-xml on generated products files of 64, 256 and 1,024 MiB
//!   (`WHARF_BENCH_SCALE_SPLIT_MB=64,256,1024`);
//! - Sage sales-order import of 1,000, 10,000 and 100,000 generated orders in one file
//!   (`WHARF_BENCH_SCALE_ORDERS=1000,10000,100000`);
//! - seed workflow 1 (SFTP → Sage) on 100 and 1,000 order files
//!   (`WHARF_BENCH_SCALE_SFTP_FILES=100,1000`).

use super::{Report, measure, root, wharf_cmd};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The sizes named by `var` (comma-separated), else `default`.
fn sizes(var: &str, default: &[u64]) -> Vec<u64> {
    std::env::var(var)
        .ok()
        .map(|v| {
            v.split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect::<Vec<u64>>()
        })
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_vec())
}

/// One row per size: `unit`s per second, wall time, peak RSS, and the time per unit against
/// the first size's.
fn rows(report: &mut Report, what: &str, unit: &str, measured: &[(u64, Duration, u64)]) {
    let Some(&(first_size, first_time, _)) = measured.first() else {
        return;
    };
    let first_per_unit = first_time.as_secs_f64() / first_size as f64;
    for &(size, time, rss) in measured {
        let per_unit = time.as_secs_f64() / size as f64;
        report.add(
            &format!("{what}: {size} {unit}"),
            format!("{:.2} s, {} MiB peak RSS", time.as_secs_f64(), rss >> 20),
            format!(
                "{:.0} {unit}/s; time per {} {:.2}× the {first_size}'s",
                size as f64 / time.as_secs_f64(),
                unit.trim_end_matches('s'),
                per_unit / first_per_unit
            ),
        );
    }
}

/// The split-xml workflow of the `split` section: products.xml into files of 200 products.
pub const SPLIT_WORKFLOW: &str = "name: Split\nlimits: { timeout: 30m, write: 64GiB }\ntasks:\n  - task: split-xml\n    settings: { input-file: products.xml, xpath-query: /Company/Products/Product, record-limit: 200, output-folder: out }\n";

/// Generates `mb` MiB of products as `<data>/split/work/products.xml` (`wharf generate`).
pub fn generate_products(dirs: &[PathBuf], cache: &Path, data: &Path, mb: u64) -> PathBuf {
    let work = data.join("split/work");
    std::fs::create_dir_all(&work).unwrap();
    let input = work.join("products.xml");
    let generated = wharf_cmd(dirs, cache, data)
        .args(["generate", "--size", &format!("{mb}MiB"), "--output"])
        .arg(&input)
        .output()
        .unwrap();
    assert!(generated.status.success());
    input
}

pub fn split_scale(dirs: &[PathBuf], cache: &Path, report: &mut Report) {
    let mut measured = Vec::new();
    // Every size's files stay until the last run: on an ext4 file system without a journal,
    // files created within minutes of a deletion pay for stepping over the deleted inodes (see
    // the `split` section), which would put the previous size's clean-up into the next's time.
    let mut kept = Vec::new();
    for mb in sizes("WHARF_BENCH_SCALE_SPLIT_MB", &[64, 256, 1024]) {
        let dir = tempfile::tempdir_in(root().join("target")).unwrap();
        let data = dir.path().join("data");
        generate_products(dirs, cache, &data, mb);
        let wf = dir.path().join("split.yaml");
        std::fs::write(&wf, SPLIT_WORKFLOW).unwrap();
        let mut run = wharf_cmd(dirs, cache, &data);
        run.arg("run").arg(&wf);
        let (time, rss, status) = measure(run);
        assert!(status.success(), "split-xml on {mb} MiB failed");
        measured.push((mb, time, rss));
        kept.push(dir);
    }
    drop(kept);
    rows(
        report,
        "scale: split-xml (whole `wharf run`)",
        "MiB",
        &measured,
    );
}

pub fn sage_scale(dirs: &[PathBuf], cache: &Path, report: &mut Report) {
    use sage_ledger::benchmark::{OrderFileShape, generate_order_file, seed_catalogue};
    let mut measured = Vec::new();
    for orders in sizes("WHARF_BENCH_SCALE_ORDERS", &[1_000, 10_000, 100_000]) {
        let shape = OrderFileShape {
            orders: orders as usize,
            ..OrderFileShape::default()
        };
        let dir = tempfile::tempdir_in(root().join("target")).unwrap();
        let ledger = dir.path().join("ledger.sqlite");
        seed_catalogue(
            &mut sage_ledger::Ledger::open(&ledger).unwrap(),
            shape.products,
        )
        .unwrap();
        let data = dir.path().join("data");
        let work = data.join("orders/work");
        std::fs::create_dir_all(&work).unwrap();
        std::fs::write(work.join("orders.xml"), generate_order_file(shape)).unwrap();
        let wf = dir.path().join("orders.yaml");
        std::fs::write(&wf, super::SAGE_ORDERS_WORKFLOW).unwrap();
        let mut run = wharf_cmd(dirs, cache, &data);
        run.env("WHARF_SAGE_LEDGER", &ledger).arg("run").arg(&wf);
        let (time, rss, status) = measure(run);
        assert!(status.success(), "the import of {orders} orders failed");
        let imported = std::fs::read_to_string(work.join("success.xml"))
            .unwrap()
            .matches("<SalesOrder>")
            .count();
        assert_eq!(imported as u64, orders, "every order is imported");
        measured.push((orders, time, rss));
    }
    rows(
        report,
        "scale: Sage order import (whole `wharf run`)",
        "orders",
        &measured,
    );
}

pub fn sftp_scale(dirs: &[PathBuf], cache: &Path, report: &mut Report) {
    let mut measured = Vec::new();
    let mut baselines = Vec::new();
    for files in sizes("WHARF_BENCH_SCALE_SFTP_FILES", &[100, 1000]) {
        let (time, rss, baseline) = super::sftp_flow(dirs, cache, files as usize);
        measured.push((files, time, rss));
        baselines.push((files, time, baseline));
    }
    rows(
        report,
        "scale: SFTP → Sage seed workflow (whole `wharf run`)",
        "files",
        &measured,
    );
    // OpenSSH's `sftp get` of the same files on the same server, just before each run.
    for (files, time, baseline) in baselines {
        report.add(
            &format!("scale: SFTP → Sage seed workflow: {files} files, the baseline"),
            format!("{:.0} files/s", files as f64 / time.as_secs_f64()),
            baseline,
        );
    }
}
