//! Containment: hostile components built in the test suite try to escape or exhaust the host.
//! Each must end as Fail with a message naming the task and the limit, the host must carry on,
//! and the next task must run normally.

use crate::support::{TestEnv, task};
use wharf_engine::ResultCode;

/// A workflow running `hostile` in `mode` (not breaking the run), then a no-op.
fn hostile_then_noop(mode: &str, limits: &str) -> String {
    format!(
        "name: Hostile {mode}\nresume-on-failure: false\ntasks:\n  - task: hostile\n    id: attacker\n    name: hostile {mode}\n    break-on-failure: false\n    limits: {limits}\n    settings: {{ mode: {mode} }}\n  - task: noop\n    id: after\n"
    )
}

fn assert_contained(mode: &str, limits: &str, expect: &[&str]) -> String {
    let env = TestEnv::new();
    let run = env.run(&hostile_then_noop(mode, limits));
    let attacker = task(&run, "attacker");
    assert_eq!(
        attacker.result,
        ResultCode::Fail,
        "{mode}: {}",
        attacker.message
    );
    for e in expect {
        assert!(
            attacker.message.contains(e),
            "{mode}: expected `{e}` in `{}`",
            attacker.message
        );
    }
    let after = task(&run, "after");
    assert_eq!(
        after.result,
        ResultCode::Success,
        "the task after `{mode}` must run normally"
    );
    assert_eq!(run.result, ResultCode::Success);
    attacker.message.clone()
}

#[test]
fn reading_outside_the_working_directory_is_refused() {
    let msg = assert_contained("read-outside", "{}", &[]);
    assert!(!msg.contains("escaped"), "{msg}");
}

#[test]
fn writing_outside_the_working_directory_is_refused() {
    let env = TestEnv::new();
    let run = env.run(&hostile_then_noop("write-outside", "{}"));
    let attacker = task(&run, "attacker");
    assert_eq!(attacker.result, ResultCode::Fail, "{}", attacker.message);
    assert!(
        !attacker.message.contains("escaped"),
        "{}",
        attacker.message
    );
    // Nothing appeared next to the working directory or anywhere above it.
    let data = env.data();
    assert!(!data.join("workflow/escape.txt").exists());
    assert!(!data.join("escape.txt").exists());
    assert!(!env.dir.path().join("escape.txt").exists());
}

#[test]
fn an_endless_loop_is_stopped_at_the_deadline() {
    let started = std::time::Instant::now();
    assert_contained(
        "spin",
        "{ timeout: 300ms }",
        &["sandbox", "time limit of 300 ms"],
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "the deadline was not enforced promptly"
    );
}

#[test]
fn allocating_4_gib_hits_the_memory_cap() {
    assert_contained(
        "alloc-4g",
        "{ memory: 64MiB }",
        &["sandbox", "memory limit of 64 MiB"],
    );
}

#[test]
fn writing_10_gib_hits_the_write_cap() {
    let env = TestEnv::new();
    let run = env.run(&hostile_then_noop("write-10g", "{ write: 8MiB }"));
    let attacker = task(&run, "attacker");
    assert_eq!(attacker.result, ResultCode::Fail);
    assert!(
        attacker.message.contains("write limit of 8 MiB"),
        "{}",
        attacker.message
    );
    let big = env.workdir().join("big.bin");
    let written = std::fs::metadata(&big).map(|m| m.len()).unwrap_or(0);
    assert!(
        written <= 8 * 1024 * 1024,
        "wrote {written} bytes past the cap"
    );
    assert_eq!(task(&run, "after").result, ResultCode::Success);
}

#[test]
fn a_trap_fails_only_that_task() {
    assert_contained("trap", "{}", &["crashed", "hostile panic"]);
}

#[test]
fn flooding_stdout_is_bounded() {
    // 1 GiB printed: kept to a small capture, the rest dropped; the host's memory is not spent.
    let env = TestEnv::new();
    let run = env.run(&hostile_then_noop("stdout-flood", "{ timeout: 60s }"));
    let attacker = task(&run, "attacker");
    assert!(attacker.message.len() < 64 * 1024);
    assert_eq!(task(&run, "after").result, ResultCode::Success);
}

#[test]
fn flooding_the_log_is_bounded() {
    let env = TestEnv::new();
    let run = env.run(&hostile_then_noop("log-flood", "{ timeout: 60s }"));
    let attacker = task(&run, "attacker");
    assert!(
        attacker.logs.len() <= 501,
        "{} log lines kept",
        attacker.logs.len()
    );
    assert!(
        attacker
            .logs
            .last()
            .unwrap()
            .message
            .contains("dropped (log limit)")
    );
}

#[test]
fn an_ungranted_capability_is_not_permitted() {
    let msg = assert_contained("use-archive", "{}", &["not permitted"]);
    assert!(msg.contains("archive"), "{msg}");
}

#[test]
fn a_task_that_breaks_the_run_stops_later_tasks() {
    let env = TestEnv::new();
    let yaml = "name: Break\nresume-on-failure: false\ntasks:\n  - task: hostile\n    id: attacker\n    limits: { memory: 32MiB }\n    settings: { mode: alloc-4g }\n  - task: noop\n    id: after\n";
    let run = env.run(yaml);
    assert_eq!(run.result, ResultCode::Fail);
    assert!(
        run.message.contains("task `attacker`") || run.message.contains("hostile"),
        "{}",
        run.message
    );
    assert!(
        run.message.contains("memory limit of 32 MiB"),
        "{}",
        run.message
    );
    assert!(run.tasks.iter().all(|t| t.id != "after"));
}

#[test]
fn a_call_never_sees_the_memory_an_earlier_call_left() {
    // Forty calls of the same component in one working directory: they share stores (reused
    // for several calls) and pooled memory slots (reset in place when little was written, the
    // pages dropped beyond that). Each call looks through all its memory for the marker the
    // one before left in its data, statics, heap (1.5 MiB) and stack.
    let env = TestEnv::new();
    let mut yaml = String::from("name: Leftovers\nresume-on-failure: false\ntasks:\n");
    for i in 0..40 {
        yaml.push_str(&format!(
            "  - task: hostile\n    id: look{i}\n    settings: {{ mode: leftovers }}\n"
        ));
    }
    let run = env.run(&yaml);
    for i in 0..40 {
        let look = task(&run, &format!("look{i}"));
        assert_eq!(
            look.result,
            ResultCode::Success,
            "call {i}: {}",
            look.message
        );
        assert!(look.message.starts_with("clean: "), "{}", look.message);
    }
    assert_eq!(run.result, ResultCode::Success);
}

/// A component's digest is remembered in the compile cache once its file has settled, so later
/// loads neither read nor hash it (runtime/digest_memo.rs); a file changed in any way is read and
/// hashed again: what runs, and the digest the run record names, are always the file's own.
#[test]
fn a_changed_component_is_hashed_again_not_served_by_its_remembered_digest() {
    use wharf_engine::{Runtime, RuntimeConfig};
    let dir = tempfile::tempdir().unwrap();
    let (cache, wasm) = (dir.path().join("cache"), dir.path().join("task.wasm"));
    let guests = std::path::PathBuf::from(wharf_test_artifacts::TEST_GUESTS);
    let load = |cache: Option<&std::path::Path>| {
        let runtime = Runtime::with_capabilities(
            RuntimeConfig {
                cache_dir: cache.map(|c| c.to_path_buf()),
            },
            vec![std::sync::Arc::new(wharf_archive::ArchiveCapability)],
        )
        .unwrap();
        let c = runtime.load(&wasm).unwrap();
        (c.sha256.clone(), c.info.name.clone())
    };
    std::fs::copy(guests.join("noop.wasm"), &wasm).unwrap();
    // Remembered only once the file has been left alone for two seconds.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let noop = load(None);
    assert_eq!(load(Some(&cache)), noop);
    let memos = std::fs::read_dir(cache.join("digests")).unwrap().count();
    assert_eq!(memos, 1, "the digest was not remembered");
    assert_eq!(load(Some(&cache)), noop);

    std::fs::copy(guests.join("hostile.wasm"), &wasm).unwrap();
    let hostile = load(None);
    assert_ne!(hostile.0, noop.0);
    assert_eq!(load(Some(&cache)), hostile);
}
