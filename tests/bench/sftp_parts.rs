//! Section `sftp-parts`: where the time of the SFTP → Sage seed flow goes, and what the `sftp`
//! capability's read-ahead buys. On one local OpenSSH server with N small order files
//! (`WHARF_BENCH_SFTP_FILES`, 1,000), each figure the best of `WHARF_BENCH_REPEAT` (3) rounds,
//! all in the same process so the ratios hold on a busy machine:
//!
//! - OpenSSH's own `sftp` client fetching every file in one batch session (`get`): the baseline;
//! - the SFTP part of seed workflow 1 alone (repeater → download → rename to `processed/`), with
//!   the connection's `read-ahead` off and on;
//! - the whole seed workflow (`examples/sftp-to-sage.yaml`, the Sage import included), with
//!   `read-ahead` off and on.
//!
//! Between runs the files are put back in `/download` and `processed/` is emptied; each Wharf run
//! has a fresh data folder and ledger, so every run imports every order.
//! The runs' folders are under `target/` unless `WHARF_BENCH_SFTP_DIR` names another place
//! (tmpfs, to take the disk's share out of both sides).
//!
//! Every row starts from the same state of the disk: a round takes each row once (and `sftp
//! get` once, first), forwards in one round and backwards in the next, so no row always runs
//! after the others' files were created and deleted; the runs' folders are kept until the
//! section ends (deleting thousands of files just before the next run made that run pay for
//! them), and the disk is flushed (`sync`) before each run. On a file system without a journal
//! (ext4 as this project's VM has it) a new file skips every file deleted in the last minute or
//! more, so the row that came last paid for all the rows before it (tests/bench/README.md,
//! "SFTP flow, session 11").

use super::{Report, measure_cpu, root, sshd, wharf_cmd};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The SFTP tasks of seed workflow 1 without the Sage import and its condition.
const SFTP_ONLY: &str = "name: SFTP only\nid: sftp-only\nlimits: { timeout: 10m }\ntasks:\n  - task: sftp-repeater\n    grants: [\"sftp:shop\"]\n    settings: { directory: /download, search-pattern: \"*.xml\", list-recursively: false }\n    tasks:\n      - task: sftp-download\n        grants: [\"sftp:shop\"]\n        settings: { directory: /download, filename: \"{{ current.Name }}\", output-file: \"{{ current.Name }}\" }\n      - task: sftp-rename\n        grants: [\"sftp:shop\"]\n        settings: { directory: /download, filename: \"{{ current.Name }}\", output-file: \"/download/processed/{{ current.Name }}\", prepend-timestamp: true, timestamp-format: yyyy-MM-dd_HH-mm-ss }\n";

fn number(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The order files on a server: `files` of them, each with its own order id.
struct Orders {
    server: sshd::Sshd,
    files: usize,
    template: String,
}

impl Orders {
    fn new(files: usize) -> Orders {
        let template = std::fs::read_to_string(root().join(
            "../shared/fixtures/zynk-samples/zynk-xml/Sales Order with Minimal Information.xml",
        ))
        .unwrap();
        let orders = Orders {
            server: sshd::Sshd::start(),
            files,
            template,
        };
        orders.reset();
        orders
    }

    /// Every file back in `/download`, `processed/` empty.
    fn reset(&self) {
        for name in self.server.names("/download/processed") {
            std::fs::remove_file(self.server.path(&format!("/download/processed/{name}"))).unwrap();
        }
        for n in 0..self.files {
            self.server.put(
                &format!("/download/order-{n:05}.xml"),
                self.template
                    .replace("<Id>12345</Id>", &format!("<Id>BENCH-{n:05}</Id>")),
            );
        }
    }

    fn all_processed(&self) -> bool {
        self.server.names("/download/processed").len() == self.files
            && self.server.names("/download").is_empty()
    }

    /// OpenSSH's `sftp` fetching every file in one session; why not, if it cannot run.
    fn sftp_get(&self, into: &Path) -> Result<Duration, String> {
        let _ = std::fs::remove_dir_all(into);
        std::fs::create_dir_all(into).unwrap();
        let t = Instant::now();
        let out = Command::new("sftp")
            .args(["-q", "-b", "-", "-P", &self.server.port.to_string()])
            .args([
                "-o",
                &format!("UserKnownHostsFile={}", self.server.known_hosts().display()),
            ])
            .args(["-o", "BatchMode=yes", "-i"])
            .arg(self.server.plain_client_key())
            .arg(format!("{}@127.0.0.1", sshd::USER))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                let batch = format!("lcd {}\nget /download/*.xml\n", into.display());
                child.stdin.take().unwrap().write_all(batch.as_bytes())?;
                child.wait_with_output()
            })
            .map_err(|e| format!("sftp client unavailable: {e}"))?;
        let elapsed = t.elapsed();
        if !out.status.success() {
            return Err(format!(
                "sftp client failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        assert_eq!(std::fs::read_dir(into).unwrap().count(), self.files);
        Ok(elapsed)
    }
}

/// Flushes every file system's dirty data and waits for it, so a run does not pay for the
/// writes of the one before; then rests `WHARF_BENCH_SFTP_SETTLE` seconds (0 by default): on
/// ext4 without a journal, files deleted more than 60 s before a flushed disk are no longer
/// skipped, so 61 makes each run start as if nothing had been deleted (the seed workflow's
/// archive step deletes its files, so whichever run follows it pays otherwise).
pub fn settle() {
    let _ = Command::new("sync").status();
    std::thread::sleep(Duration::from_secs(
        number("WHARF_BENCH_SFTP_SETTLE", 0) as u64
    ));
}

pub fn sftp_parts(dirs: &[PathBuf], cache: &Path, report: &mut Report) {
    let files = number("WHARF_BENCH_SFTP_FILES", 1000);
    let runs = number("WHARF_BENCH_REPEAT", 3).max(1);
    let orders = Orders::new(files);
    // `WHARF_BENCH_SFTP_DIR` puts the runs' folders elsewhere (tmpfs, say, to see the disk's
    // share).
    let place = std::env::var_os("WHARF_BENCH_SFTP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let dir = tempfile::tempdir_in(place).unwrap();
    let entry = orders
        .server
        .password_connection("shop", dir.path(), orders.server.port);
    let connections = |read_ahead: bool| {
        let file = dir.path().join(format!("connections-{read_ahead}.yaml"));
        std::fs::write(
            &file,
            format!("sftp:\n{entry}    read-ahead: {read_ahead}\n"),
        )
        .unwrap();
        file
    };
    let sftp_only = dir.path().join("sftp-only.yaml");
    std::fs::write(&sftp_only, SFTP_ONLY).unwrap();
    let seed = root().join("examples/sftp-to-sage.yaml");

    let rate = |d: Duration| files as f64 / d.as_secs_f64();
    let wharf = |workflow: &Path, read_ahead: bool, kept: &mut Vec<tempfile::TempDir>| {
        let connections = connections(read_ahead);
        orders.reset();
        let run_dir = tempfile::tempdir_in(dir.path()).unwrap();
        let (data, ledger) = (
            run_dir.path().join("data"),
            run_dir.path().join("ledger.sqlite"),
        );
        let created = wharf_cmd(dirs, cache, &data)
            .env("WHARF_SAGE_LEDGER", &ledger)
            .args(["sage", "create-company"])
            .output()
            .unwrap();
        assert!(created.status.success(), "wharf sage create-company");
        let mut cmd = wharf_cmd(dirs, cache, &data);
        cmd.env("WHARF_CONNECTIONS", &connections)
            .env("WHARF_SAGE_LEDGER", &ledger)
            .stderr(Stdio::null())
            .arg("run")
            .arg(workflow);
        settle();
        let (elapsed, rss, status, cpu) = measure_cpu(cmd);
        assert!(status.success(), "{} failed", workflow.display());
        assert!(orders.all_processed(), "not every file was processed");
        kept.push(run_dir);
        (elapsed, rss, cpu)
    };
    let (part, whole) = (
        "SFTP part alone (list, download, rename)",
        "SFTP → Sage seed workflow",
    );
    let rows = [
        (part, &sftp_only, false),
        (part, &sftp_only, true),
        (whole, &seed, false),
        (whole, &seed, true),
    ];
    let mut best: Vec<Option<(Duration, u64, Duration)>> = vec![None; rows.len()];
    let mut baselines = Vec::new();
    let mut kept = Vec::new();
    for round in 0..runs {
        orders.reset();
        settle();
        baselines.push(orders.sftp_get(&dir.path().join("fetched")));
        let order: Vec<usize> = if round % 2 == 0 {
            (0..rows.len()).collect()
        } else {
            (0..rows.len()).rev().collect()
        };
        for i in order {
            let (_, workflow, read_ahead) = rows[i];
            let run = wharf(workflow, read_ahead, &mut kept);
            if best[i].is_none_or(|b| run.0 < b.0) {
                best[i] = Some(run);
            }
        }
    }
    drop(kept);
    let baseline = baselines
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map(|v| v.into_iter().min().expect("a run"));
    for ((what, _, read_ahead), best) in rows.iter().zip(best) {
        let (elapsed, rss, cpu) = best.expect("at least one round");
        report.add(
            &format!(
                "{what}, {files} files, read-ahead {}",
                if *read_ahead { "on" } else { "off" }
            ),
            format!(
                "{:.0} files/s ({:.2} s, {:.2} s CPU, {} MiB RSS)",
                rate(elapsed),
                elapsed.as_secs_f64(),
                cpu.as_secs_f64(),
                rss >> 20
            ),
            match &baseline {
                Ok(b) => format!(
                    "{:.0} files/s openssh sftp get ({:.2}×)",
                    rate(*b),
                    b.as_secs_f64() / elapsed.as_secs_f64()
                ),
                Err(e) => e.clone(),
            },
        );
    }
}
