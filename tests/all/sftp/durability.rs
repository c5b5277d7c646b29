//! Downloaded files and the disk (docs/resume.md, "Downloaded files and the disk"): a download
//! is flushed in the background, and every download is on the disk before the server copy can
//! go. Through the `wharf` binary against a real OpenSSH server: the order of the flushes and
//! the deletes as the system calls show it, a run ended right after the barrier, and runs
//! killed (SIGKILL) at points around the barrier and resumed.

use crate::sshd::Sshd;
use crate::support::{TestEnv, kill_when, wharf_command};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

/// Each order file is downloaded, then deleted on the server (Zynk's delete after download).
const FETCH_AND_DELETE: &str = r#"name: Fetch and delete
id: fetch-and-delete
resume-on-failure: true
tasks:
  - task: sftp-repeater
    id: orders
    grants: ["sftp:shop"]
    settings:
      directory: /download
      search-pattern: "*.xml"
    tasks:
      - task: sftp-download
        id: download
        grants: ["sftp:shop"]
        settings:
          directory: /download
          filename: "{{ current.Name }}"
          output-file: "{{ current.Name }}"
      - task: sftp-delete
        id: delete
        grants: ["sftp:shop"]
        settings:
          directory: /download
          filename: "{{ current.Name }}"
"#;

struct Fetch {
    env: TestEnv,
    server: Sshd,
    files: BTreeMap<String, String>,
}

impl Fetch {
    fn new(count: usize) -> Fetch {
        let fetch = Fetch {
            env: TestEnv::new(),
            server: Sshd::start(),
            files: (1..=count)
                .map(|n| {
                    (
                        format!("order-{n:04}.xml"),
                        format!("<Order><Id>WEB-{n:04}</Id>{}</Order>\n", "x".repeat(n * 7)),
                    )
                })
                .collect(),
        };
        std::fs::write(
            fetch.env.dir.path().join("connections.yaml"),
            format!(
                "sftp:\n{}",
                fetch
                    .server
                    .password_connection("shop", fetch.env.dir.path(), fetch.server.port)
            ),
        )
        .unwrap();
        for (name, text) in &fetch.files {
            fetch.server.put(&format!("/download/{name}"), text);
        }
        fetch.env.workflow(FETCH_AND_DELETE);
        fetch
    }

    fn wharf(&self) -> Command {
        let mut c = wharf_command(&self.env.data());
        c.env(
            "WHARF_CONNECTIONS",
            self.env.dir.path().join("connections.yaml"),
        )
        .arg("run")
        .arg(self.env.dir.path().join("workflow.yaml"));
        c
    }

    fn workdir(&self) -> PathBuf {
        self.env.data().join("fetch-and-delete/work")
    }

    fn local(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.workdir().join(name)).ok()
    }

    fn on_server(&self) -> Vec<String> {
        self.server.names("/download")
    }

    /// Runs until a run ends well (at most five runs).
    fn run_to_the_end(&self) {
        for _ in 0..5 {
            let out = self.wharf().output().unwrap();
            if out.status.success() {
                return;
            }
        }
        panic!("five runs after a kill did not finish the work");
    }

    /// Every order file was fetched whole, and none is left on the server or half-written here.
    fn check_final(&self) {
        for (name, text) in &self.files {
            assert_eq!(self.local(name).as_deref(), Some(text.as_str()), "{name}");
        }
        assert_eq!(self.on_server(), Vec::<String>::new(), "all deleted");
        let partial: Vec<_> = std::fs::read_dir(self.workdir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".wharf-partial"))
            .collect();
        assert!(partial.is_empty(), "partial files left: {partial:?}");
    }
}

fn output_text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The system calls show it: each downloaded file's flush (of the file and of its folder) has
/// returned before the task deleting its server copy says it goes ahead. `strace -f -y` names
/// the file each `fsync` flushes; the log line is written to stderr just before the delete is
/// sent.
#[test]
fn every_download_is_flushed_before_its_server_copy_is_deleted() {
    let fetch = Fetch::new(5);
    let trace = fetch.env.dir.path().join("strace.txt");
    let wharf = fetch.wharf();
    let mut command = Command::new("strace");
    command
        .args(["-f", "-y", "-s", "400", "-e", "trace=fsync,write", "-o"])
        .arg(&trace)
        .arg(wharf.get_program())
        .args(wharf.get_args())
        .envs(wharf.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .env("WHARF_LOG", "wharf_sftp=debug");
    let out = command
        .output()
        .expect("strace (apt-get install strace) runs");
    assert!(out.status.success(), "{}", output_text(&out));
    fetch.check_final();

    // Per thread, the fsync under way (strace splits a call another thread interrupts).
    let mut under_way: BTreeMap<String, String> = BTreeMap::new();
    let mut flushed: Vec<String> = Vec::new();
    let mut deleted_after: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let text = std::fs::read_to_string(&trace).unwrap();
    for line in text.lines() {
        let pid = line
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned();
        if let Some(at) = line.find("fsync(") {
            let target = line[at..]
                .split_once('<')
                .and_then(|(_, rest)| rest.split_once('>'))
                .map(|(path, _)| path.to_owned())
                .unwrap_or_default();
            if line.contains("<unfinished") {
                under_way.insert(pid, target);
            } else if line.ends_with("= 0") {
                flushed.push(target);
            }
        } else if line.contains("<... fsync resumed>") {
            let target = under_way.remove(&pid).unwrap_or_default();
            if line.ends_with("= 0") {
                flushed.push(target);
            }
        } else if line.contains("write(2") && line.contains("deleting `/download/") {
            let name = line
                .split("deleting `/download/")
                .nth(1)
                .and_then(|rest| rest.split('`').next())
                .unwrap()
                .to_owned();
            deleted_after.insert(name, flushed.clone());
        }
    }
    let work = fetch.workdir().canonicalize().unwrap();
    for name in fetch.files.keys() {
        let before = deleted_after
            .get(name)
            .unwrap_or_else(|| panic!("no delete of {name} logged:\n{text}"));
        let file = work.join(name).display().to_string();
        assert!(
            before.contains(&file),
            "{name} was not flushed before its delete; flushed by then: {before:?}"
        );
        assert!(
            before.contains(&work.display().to_string()),
            "its folder was not flushed before the delete: {before:?}"
        );
    }
}

/// A run that ends right after the barrier (before the delete it guards) leaves the file on
/// the server and whole here; the next run finishes the work.
#[test]
fn a_run_ended_right_after_the_barrier_keeps_the_server_copy() {
    let fetch = Fetch::new(3);
    let out = fetch
        .wharf()
        .env("WHARF_ENGINE_TEST_CRASH", "after-download-barrier")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(86), "{}", output_text(&out));
    let first = fetch.files.keys().next().unwrap();
    assert!(
        fetch.on_server().contains(first),
        "the server copy stays until after the barrier: {:?}",
        fetch.on_server()
    );
    assert_eq!(fetch.local(first), fetch.files.get(first).cloned());
    fetch.run_to_the_end();
    fetch.check_final();
}

/// Runs killed (SIGKILL) at points around the barrier — as the first download lands (its
/// flush under way, before any barrier), and as the server has 1, 5, 10 and 15 files fewer (a
/// delete just done, the next file's download, flush or barrier under way) — and resumed lose
/// no file and leave no partial one.
/// When a kill point is reached, seen from the server and the working directory.
type KillPoint = (&'static str, fn(&Fetch) -> bool);

#[test]
fn runs_killed_around_the_barrier_and_resumed_lose_no_file() {
    const FILES: usize = 20;
    let points: [KillPoint; 5] = [
        ("the first download landed", |f: &Fetch| {
            f.local("order-0001.xml").is_some()
        }),
        ("one server copy deleted", |f: &Fetch| {
            f.on_server().len() < FILES
        }),
        ("five deleted", |f: &Fetch| f.on_server().len() <= FILES - 5),
        ("ten deleted", |f: &Fetch| f.on_server().len() <= FILES - 10),
        ("fifteen deleted", |f: &Fetch| {
            f.on_server().len() <= FILES - 15
        }),
    ];
    let mut left_on_server = Vec::new();
    for (what, ready) in points {
        let fetch = Fetch::new(FILES);
        kill_when(&mut fetch.wharf(), what, || ready(&fetch));
        // What a kill left: every file is on the server still, or here whole.
        for (name, text) in &fetch.files {
            if !fetch.on_server().contains(name) {
                assert_eq!(
                    fetch.local(name).as_deref(),
                    Some(text.as_str()),
                    "{name}, killed when {what}"
                );
            }
        }
        left_on_server.push(fetch.on_server().len());
        fetch.run_to_the_end();
        fetch.check_final();
    }
    assert!(
        left_on_server.iter().any(|&n| n > 0 && n < FILES),
        "some kills fell in the middle of the work: files left on the server {left_on_server:?}"
    );
}
