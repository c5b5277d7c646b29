//! Seed integration 1 end to end (`examples/sftp-to-sage.yaml` through the `wharf` binary):
//! order files on a real OpenSSH server → Sage ledger → /download/processed; stock → /upload;
//! a second run imports nothing new; runs killed at ten points and resumed end the same way.

use crate::sshd::Sshd;
use crate::support::{TestEnv, fixture, kill_after, kill_delays, repo_root, wharf_command};
use sage_ledger::Ledger;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use wharf_engine::storage::{SqliteTruth, TruthStore};

const BAD: [&str; 3] = [
    "order-bad-quantity.xml",
    "order-bad-date.xml",
    "order-truncated.xml",
];

/// The fixture order with its Id (and so its file) numbered.
pub(crate) fn order_file(n: usize) -> String {
    let template =
        std::fs::read_to_string(fixture("zynk-xml/Sales Order with Minimal Information.xml"))
            .unwrap();
    template.replace("<Id>12345</Id>", &format!("<Id>WEB-{n:04}</Id>"))
}

pub(crate) struct Seed {
    pub(crate) env: TestEnv,
    pub(crate) server: Sshd,
    pub(crate) ledger: PathBuf,
    pub(crate) good: usize,
}

impl Seed {
    /// `good` order files and the three bad ones in /download.
    pub(crate) fn new(good: usize) -> Seed {
        let seed = Seed {
            env: TestEnv::new(),
            server: Sshd::start(),
            ledger: PathBuf::new(),
            good,
        };
        let ledger = seed.env.dir.path().join("sage/ledger.sqlite");
        std::fs::create_dir_all(ledger.parent().unwrap()).unwrap();
        let connections = seed.env.dir.path().join("connections.yaml");
        std::fs::write(
            &connections,
            format!(
                "sftp:\n{}",
                seed.server
                    .password_connection("shop", seed.env.dir.path(), seed.server.port)
            ),
        )
        .unwrap();
        for n in 1..=good {
            seed.server
                .put(&format!("/download/order-{n:04}.xml"), order_file(n));
        }
        let sample = order_file(9000);
        seed.server.put(
            "/download/order-bad-quantity.xml",
            sample.replace("<QtyOrdered>1</QtyOrdered>", "<QtyOrdered>two</QtyOrdered>"),
        );
        seed.server.put(
            "/download/order-bad-date.xml",
            order_file(9001).replace("2011-01-01T11:11:11", "the first of January"),
        );
        seed.server
            .put("/download/order-truncated.xml", &sample[..sample.len() / 2]);
        let seed = Seed { ledger, ..seed };
        // A company with the fixtures' stock records, as `make demo-sftp` sets it up.
        let products = fixture("zynk-xml/Stationary & Computer Mart - Product Export.xml");
        for args in [
            vec!["sage".into(), "create-company".into()],
            vec!["sage".into(), "load".into(), products.display().to_string()],
        ] {
            let out = wharf_command(&seed.env.data())
                .env("WHARF_SAGE_LEDGER", &seed.ledger)
                .args(&args)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        seed
    }

    fn wharf(&self) -> Command {
        let mut c = wharf_command(&self.env.data());
        c.env("WHARF_SAGE_LEDGER", &self.ledger)
            .env(
                "WHARF_CONNECTIONS",
                self.env.dir.path().join("connections.yaml"),
            )
            .arg("run")
            .arg(repo_root().join("examples/sftp-to-sage.yaml"));
        c
    }

    fn run(&self) -> Output {
        let out = self.wharf().output().unwrap();
        assert!(
            out.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    pub(crate) fn order_count(&self) -> usize {
        Ledger::open(&self.ledger)
            .unwrap()
            .sales_order_count()
            .unwrap() as usize
    }

    /// The end state every way of running must reach.
    fn check_final(&self) {
        let truth = SqliteTruth::open(&self.env.data().join("sftp-to-sage/truth.sqlite")).unwrap();
        self.check_final_with(&truth);
    }

    /// The end state, with the workflow's truth records in `truth`.
    pub(crate) fn check_final_with(&self, truth: &dyn TruthStore) {
        let good = self.good;
        assert_eq!(
            self.order_count(),
            good,
            "every good order in the ledger once"
        );
        let mut internal = BTreeSet::new();
        for n in 1..=good {
            let row = truth
                .find_by_external(
                    sage_ledger::record_types::SALES_ORDER,
                    &format!("WEB-{n:04}"),
                )
                .unwrap()
                .unwrap_or_else(|| panic!("WEB-{n:04} has no truth record"));
            internal.insert(row.internal_id);
        }
        assert_eq!(internal.len(), good, "each order its own Sage order");

        let mut download = self.server.names("/download");
        download.sort();
        let mut bad: Vec<String> = BAD.iter().map(|s| s.to_string()).collect();
        bad.sort();
        assert_eq!(download, bad, "only the bad files stay in /download");
        let processed = self.server.names("/download/processed");
        assert_eq!(processed.len(), good, "{processed:?}");
        let moved: BTreeSet<String> = processed.iter().map(|n| n[20..].to_owned()).collect();
        assert_eq!(moved.len(), good, "each file moved once: {processed:?}");
        let products = std::fs::read_to_string(self.server.path("/upload/products.xml")).unwrap();
        assert!(products.contains("<Products"), "{products}");
        assert_eq!(
            self.server.names("/upload"),
            ["products.xml"],
            "no partial upload left"
        );
    }

    /// The contents of `name` in the newest archive.
    fn archived(&self, name: &str) -> String {
        let folder = self.env.data().join("sftp-to-sage/archive");
        let mut zips: Vec<PathBuf> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        zips.sort();
        let file = std::fs::File::open(zips.last().expect("an archive")).unwrap();
        let mut zip = zip::ZipArchive::new(file).unwrap();
        let mut entry = zip
            .by_name(name)
            .unwrap_or_else(|e| panic!("{name} in the archive: {e}"));
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        text
    }
}

#[test]
fn two_hundred_order_files_three_bad_go_in_once_and_a_second_run_adds_nothing() {
    let seed = Seed::new(197);
    let out = seed.run();
    let report = String::from_utf8_lossy(&out.stdout);
    // The first run exports every stock record (no cursor yet) and uploads them.
    let stock = std::fs::read_to_string(seed.server.path("/upload/products.xml")).unwrap();
    assert!(stock.matches("<Product>").count() > 100, "{report}");
    seed.check_final();
    // The bad files' fail files say why (the run archived them).
    assert!(
        seed.archived("order-bad-quantity_fail.xml")
            .contains("QtyOrdered"),
        "{report}"
    );
    let date = seed.archived("order-bad-date_fail.xml");
    assert!(
        date.contains("SalesOrderDate") || date.contains("date"),
        "{date}"
    );
    assert!(
        seed.archived("order-truncated_fail.xml")
            .contains("not a Zynk XML document"),
        "{report}"
    );
    assert!(
        seed.archived("order-0001_success.xml")
            .contains("<SalesOrderNumber>")
    );

    // Nothing new: the bad files fail again, nothing is imported or moved.
    seed.run();
    seed.check_final();
}

/// Runs the seed workflow, kills it after `delay`, then runs it again until a run completes.
fn killed_and_resumed(seed: &Seed, delay: Duration) -> usize {
    let finished_before_kill = kill_after(&mut seed.wharf(), delay);
    let at_kill = seed.order_count();
    assert!(!finished_before_kill || at_kill == seed.good);
    seed.run();
    at_kill
}

#[test]
fn a_run_killed_at_any_of_ten_points_and_resumed_ends_in_the_same_state() {
    const GOOD: usize = 30;
    // How long an uninterrupted run takes here, to spread the kill points over it.
    let reference = Seed::new(GOOD);
    let started = Instant::now();
    reference.run();
    let whole = started.elapsed();
    reference.check_final();

    let mut seen = Vec::new();
    for delay in kill_delays(whole, 10) {
        let seed = Seed::new(GOOD);
        let at_kill = killed_and_resumed(&seed, delay);
        seen.push(at_kill);
        seed.check_final();
    }
    // The kill points fell at different stages of the import.
    assert!(
        seen.iter().collect::<BTreeSet<_>>().len() >= 3,
        "orders in the ledger at the kill points: {seen:?} (whole run {whole:?})"
    );
}
