//! Runs killed (SIGKILL) at any moment and run again lose nothing and do nothing twice: the
//! archive step killed between storing its zip and removing the originals, and a whole local
//! workflow (split → file repeater → Sage import → move to processed → archive) killed at
//! points spread over its run.

use crate::sage::imported_order_numbers;
use crate::support::{
    TestEnv, count_files, kill_after, kill_delays, kill_when, warm_run_duration, wharf_command,
};
use sage_ledger::Ledger;
use sage_ledger::benchmark::{OrderFileShape, generate_order_file, seed_catalogue};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every entry of every zip in `archive` (sub-folders included): entry name → contents, one
/// element per copy.
fn archived_entries(archive: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut folders = vec![archive.to_owned()];
    while let Some(folder) = folders.pop() {
        let Ok(listing) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in listing {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "zip") {
                continue;
            }
            let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
            for i in 0..zip.len() {
                let mut file = zip.by_index(i).unwrap();
                let mut text = String::new();
                file.read_to_string(&mut text).unwrap();
                out.push((file.name().unwrap().into_owned(), text));
            }
        }
    }
    out
}

/// The regular files directly in `dir`: name → contents (Wharf's own hidden files left out).
fn top_level_files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().unwrap().is_file() && !name.starts_with(".wharf") {
            out.push((name, std::fs::read_to_string(entry.path()).unwrap()));
        }
    }
    out
}

/// Runs `command` until it succeeds (at most three times), returning its report.
fn run_to_success(mut command: impl FnMut() -> Command) -> String {
    let mut reports = Vec::new();
    for _ in 0..3 {
        let out = command().output().unwrap();
        let report = format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if out.status.success() {
            return report;
        }
        reports.push(report);
    }
    panic!("no run succeeded:\n{}", reports.join("\n----\n"));
}

const ARCHIVE_ONLY: &str = "name: Archive only
resume-on-failure: true
tasks:
  - task: archive-workflow-data
    id: archive
    grants: [archive]
";

/// Regression (issue 11, defect 8): a run killed after the store took the zip but before the
/// originals were all removed made the next run archive the remaining originals again.
#[test]
fn an_archive_killed_between_storing_and_removing_does_not_archive_twice() {
    // Enough files that removing them takes a while after the zip appears.
    const FILES: usize = 3000;
    let mut landed = 0;
    for _attempt in 0..4 {
        let env = TestEnv::new();
        let workflow = env.workflow(ARCHIVE_ONLY);
        let dir = env.binary_data(&workflow);
        let work = dir.join("work");
        let archive = dir.join("archive");
        std::fs::create_dir_all(&work).unwrap();
        for n in 0..FILES {
            std::fs::write(
                work.join(format!("order-{n:05}.xml")),
                format!("<Order>{n}</Order>"),
            )
            .unwrap();
        }
        // The local store takes a zip by renaming it into the archive folder: kill the run the
        // moment it appears there.
        kill_when(
            wharf_command(&env.data()).arg("run").arg(&workflow),
            "a zip in the archive",
            || archived_zip_count(&archive) > 0,
        );
        let left = top_level_files(&work).len();
        // The zip was stored; originals left means the kill fell before removing them all.
        if left > 0 {
            landed += 1;
        }

        run_to_success(|| {
            let mut c = wharf_command(&env.data());
            c.arg("run").arg(&workflow);
            c
        });
        let mut copies: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, text) in archived_entries(&archive)
            .into_iter()
            .chain(top_level_files(&work))
        {
            copies.entry(name).or_default().push(text);
        }
        assert_eq!(copies.len(), FILES, "every file kept");
        for (name, texts) in &copies {
            assert_eq!(
                texts.len(),
                1,
                "`{name}` archived {} times ({left} of {FILES} originals were left at the kill)",
                texts.len()
            );
        }
        assert!(top_level_files(&work).is_empty(), "all archived");
        assert_eq!(archived_zip_count(&archive), 1, "no second zip");
        if landed > 0 {
            return;
        }
    }
    panic!("no kill fell between the zip being stored and the originals being removed");
}

fn archived_zip_count(archive: &Path) -> usize {
    std::fs::read_dir(archive)
        .map(|listing| {
            listing
                .filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "zip"))
                })
                .count()
        })
        .unwrap_or(0)
}

const ORDERS: usize = 24;
/// The workflow splits the orders four to a chunk.
const CHUNKS: usize = ORDERS.div_ceil(4);

const WHOLE_WORKFLOW: &str = r#"name: Local orders to Sage
resume-on-failure: true
use-mutex: true
tasks:
  # A run killed after archiving has nothing left to split: the run after it goes on.
  - task: if-file-exists
    id: orders-waiting
    settings: { input-file: orders.xml }
    tasks:
      - task: split-xml
        id: split
        settings:
          input-file: orders.xml
          xpath-query: /Company/SalesOrders/SalesOrder
          record-limit: 4
          output-folder: chunks
  - task: file-repeater
    id: each-chunk
    settings: { input-directory: chunks, search-pattern: "*.xml" }
    tasks:
      - task: sage50-import-sales-orders
        id: import
        grants: [sage]
        settings:
          input-file: "{{ current.FullName }}"
          success-file: "{{ current.NameWithoutExtension }}_success.xml"
          fail-file: "{{ current.NameWithoutExtension }}_fail.xml"
          prevent-duplicates: true
          auto-create-customers: true
          auto-generate-account-reference: true
          alphabetic-length: 3
          numeric-length: 5
          auto-allocate-stock: true
      - task: move-file
        id: processed
        settings:
          input-file: "{{ current.FullName }}"
          output-file: "processed/{{ current.Name }}"
  - task: archive-workflow-data
    id: archive
    grants: [archive]
"#;

/// A fresh data folder, ledger and order file for [`WHOLE_WORKFLOW`].
struct Orders {
    env: TestEnv,
    workflow: PathBuf,
    dir: PathBuf,
    ledger: PathBuf,
}

impl Orders {
    fn new() -> Orders {
        let env = TestEnv::new();
        let workflow = env.workflow(WHOLE_WORKFLOW);
        let dir = env.binary_data(&workflow);
        let ledger = env.dir.path().join("ledger.sqlite");
        let shape = OrderFileShape {
            orders: ORDERS,
            customers: 5,
            products: 8,
        };
        seed_catalogue(&mut Ledger::open(&ledger).unwrap(), shape.products).unwrap();
        std::fs::create_dir_all(dir.join("work")).unwrap();
        std::fs::write(dir.join("work/orders.xml"), generate_order_file(shape)).unwrap();
        Orders {
            env,
            workflow,
            dir,
            ledger,
        }
    }

    fn wharf(&self) -> Command {
        let mut c = wharf_command(&self.env.data());
        c.env("WHARF_SAGE_LEDGER", &self.ledger)
            .arg("run")
            .arg(&self.workflow);
        c
    }

    fn imported(&self) -> usize {
        Ledger::open(&self.ledger)
            .unwrap()
            .sales_order_count()
            .unwrap() as usize
    }

    /// The union of the working directory, the archive and the ledger holds every order
    /// exactly once.
    fn check_every_order_once(&self, context: &str) {
        // The ledger: each order (by its customer order number) once.
        let mut numbers = imported_order_numbers(&Ledger::open(&self.ledger).unwrap());
        numbers.sort();
        let mut expected: Vec<String> = (1..=ORDERS).map(|n| format!("1000{n}")).collect();
        expected.sort();
        assert_eq!(
            numbers, expected,
            "{context}: the ledger holds each order once"
        );

        let work = self.dir.join("work");
        let files: Vec<(String, String)> = archived_entries(&self.dir.join("archive"))
            .into_iter()
            .chain(top_level_files(&work))
            .collect();
        // The order file, once (archived, or still waiting in the working directory).
        let inputs = files
            .iter()
            .filter(|(name, _)| name == "orders.xml")
            .count();
        assert_eq!(inputs, 1, "{context}: orders.xml kept once");
        // Each order reported once, as imported, and none as failed.
        let ids = |suffix: &str| -> BTreeMap<String, usize> {
            let mut ids = BTreeMap::new();
            for (_, text) in files.iter().filter(|(name, _)| name.ends_with(suffix)) {
                for id in text.split("<Id>").skip(1) {
                    let id = id.split("</Id>").next().unwrap().to_owned();
                    *ids.entry(id).or_default() += 1;
                }
            }
            ids
        };
        let succeeded = ids("_success.xml");
        assert_eq!(succeeded.len(), ORDERS, "{context}: {succeeded:?}");
        assert!(
            succeeded.values().all(|n| *n == 1),
            "{context}: an order in two success files: {succeeded:?}"
        );
        assert!(ids("_fail.xml").is_empty(), "{context}: no order failed");
        // Each chunk processed once; none left behind.
        assert_eq!(
            count_files(&work.join("chunks")),
            0,
            "{context}: every chunk moved on"
        );
        assert_eq!(
            count_files(&work.join("processed")),
            CHUNKS,
            "{context}: each chunk processed once"
        );
        // Nothing a killed task was still writing is left lying about, nor an archive journal.
        let leftovers: Vec<String> = [work.clone(), work.join("chunks"), work.join("processed")]
            .iter()
            .filter_map(|folder| std::fs::read_dir(folder).ok())
            .flatten()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with("partial") || name.starts_with(".wharf-archive"))
            .collect();
        assert!(leftovers.is_empty(), "{context}: left behind {leftovers:?}");
    }
}

/// Whether a run of [`WHOLE_WORKFLOW`] has got as far as some stage.
type Reached = fn(&Orders) -> bool;

#[test]
fn a_whole_workflow_killed_anywhere_and_run_again_holds_every_order_once() {
    const POINTS: u32 = 12;
    // An uninterrupted run, to spread the kill points over its duration.
    let (reference, whole) = warm_run_duration(Orders::new, |o| {
        run_to_success(|| o.wharf());
    });
    reference.check_every_order_once("uninterrupted");

    for (point, delay) in kill_delays(whole, POINTS).into_iter().enumerate() {
        let orders = Orders::new();
        kill_after(&mut orders.wharf(), delay);
        let imported = orders.imported();
        run_to_success(|| orders.wharf());
        orders.check_every_order_once(&format!(
            "kill {point} after {delay:?} of {whole:?}, {imported} order(s) in the ledger then"
        ));
    }

    // And at stages seen as they happen, which timed kills may miss on a busy machine.
    let stages: [(&str, Reached); 5] = [
        ("the first chunk being written", |o| {
            count_files(&o.dir.join("work/chunks")) > 0
        }),
        ("the first order in the ledger", |o| o.imported() > 0),
        ("half the chunks processed", |o| {
            count_files(&o.dir.join("work/processed")) >= CHUNKS / 2
        }),
        ("the last chunk processed", |o| {
            count_files(&o.dir.join("work/processed")) == CHUNKS
        }),
        ("the zip stored in the archive", |o| {
            archived_zip_count(&o.dir.join("archive")) > 0
        }),
    ];
    for (stage, reached) in stages {
        let orders = Orders::new();
        kill_when(&mut orders.wharf(), stage, || reached(&orders));
        run_to_success(|| orders.wharf());
        orders.check_every_order_once(&format!("kill at {stage}"));
    }
}
