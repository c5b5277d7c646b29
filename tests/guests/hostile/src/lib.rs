//! A task that misbehaves on purpose, one way per `mode`, so the host's tests can check that
//! the sandbox holds and the limits apply. Each mode does exactly what its name says and
//! reports what it managed, so a test can tell "refused" from "not attempted".

use std::{
    fs::File,
    hint::black_box,
    io::{self, Write},
};

use wharf_guest::{SettingSpec, Settings, Task, TaskInfo, TaskResult};

/// The component; exported to the host on WebAssembly.
pub struct Hostile;

/// Every mode, in the order `describe` lists them.
pub const MODES: &[&str] = &[
    "read-outside",
    "write-outside",
    "spin",
    "alloc-4g",
    "write-10g",
    "trap",
    "stdout-flood",
    "log-flood",
    "use-archive",
    "huge-result",
];

const MIB: usize = 1024 * 1024;

impl Task for Hostile {
    fn describe() -> TaskInfo {
        TaskInfo::new(
            "hostile",
            "Misbehaves on purpose, to test the sandbox and its limits.",
        )
        .setting(SettingSpec::choice("mode", "What to attempt.", MODES).required())
    }

    fn run(settings: Vec<(String, String)>) -> TaskResult {
        let mode = match Settings::new(settings).choice("mode", MODES) {
            Ok(mode) => mode,
            Err(e) => return e.into(),
        };
        match mode {
            "read-outside" => read_outside(),
            "write-outside" => write_outside(),
            "spin" => spin(),
            "alloc-4g" => alloc_4g(),
            "write-10g" => write_10g(),
            "trap" => panic!("hostile panic"),
            "stdout-flood" => stdout_flood(),
            "log-flood" => log_flood(),
            "use-archive" => use_archive(),
            "huge-result" => huge_result(),
            other => TaskResult::fail(format!("unknown mode `{other}`")),
        }
    }
}

wharf_guest::export_task!(Hostile);

/// Success ("escaped: <path>") if any read outside the working directory works.
fn read_outside() -> TaskResult {
    let mut errors = Vec::new();
    for path in ["/../etc/passwd", "../../etc/passwd", "/etc/passwd"] {
        match std::fs::read(path) {
            Ok(_) => return TaskResult::success(format!("escaped: {path}")),
            Err(e) => errors.push(format!("{path}: {e}")),
        }
    }
    TaskResult::fail(errors.join("; "))
}

/// Success ("escaped: <path>") if any write outside the working directory works.
fn write_outside() -> TaskResult {
    let mut errors = Vec::new();
    for path in ["../escape.txt", "/../escape.txt"] {
        match std::fs::write(path, b"escaped") {
            Ok(()) => return TaskResult::success(format!("escaped: {path}")),
            Err(e) => errors.push(format!("{path}: {e}")),
        }
    }
    TaskResult::fail(errors.join("; "))
}

/// Loops forever without a single host call; only an interrupt ends it.
fn spin() -> TaskResult {
    let mut counter = 0u64;
    loop {
        counter = black_box(counter.wrapping_add(1));
    }
}

/// Allocates and touches 4 GiB in 64 MiB steps; fails with how far it got if memory runs out
/// without a trap.
fn alloc_4g() -> TaskResult {
    const STEP: usize = 64 * MIB;
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    for step in 0..64 {
        let mut block = Vec::new();
        if let Err(e) = block.try_reserve_exact(STEP) {
            return TaskResult::fail(format!("allocation failed after {} MiB: {e}", step * 64));
        }
        block.resize(STEP, 1);
        black_box(&block);
        blocks.push(block);
    }
    TaskResult::success(format!("allocated {} MiB", blocks.len() * 64))
}

/// Writes 10 GiB of zeros to `/big.bin` in 1 MiB chunks.
fn write_10g() -> TaskResult {
    let buffer = vec![0u8; MIB];
    let result = (|| {
        let mut file = File::create("/big.bin")?;
        for written in 0..10 * 1024 {
            file.write_all(&buffer)
                .map_err(|e| io::Error::new(e.kind(), format!("after {written} MiB: {e}")))?;
        }
        file.flush()
    })();
    match result {
        Ok(()) => TaskResult::success("wrote 10 GiB to /big.bin"),
        Err(e) => TaskResult::fail(format!("write failed {e}")),
    }
}

/// Prints 1 GiB to stdout.
fn stdout_flood() -> TaskResult {
    let line = vec![b'x'; MIB];
    let mut stdout = io::stdout().lock();
    for written in 0..1024 {
        if let Err(e) = stdout.write_all(&line) {
            return TaskResult::fail(format!("stdout refused after {written} MiB: {e}"));
        }
    }
    TaskResult::success("printed 1 GiB")
}

/// Calls the host log 10 million times with 1 KiB messages.
fn log_flood() -> TaskResult {
    let message = "x".repeat(1024);
    for _ in 0..10_000_000 {
        wharf_guest::log::info(&message);
    }
    TaskResult::success("logged 10 million lines")
}

/// Returns a 50 MiB message and 300 outputs of 100 KiB each: the host must cap what reaches
/// the run record.
fn huge_result() -> TaskResult {
    let big = "m".repeat(50 * MIB);
    let mut result = TaskResult::fail(big);
    let value = "o".repeat(100 * 1024);
    result.outputs = (0..300)
        .map(|i| (format!("out{i}"), value.clone()))
        .collect();
    result
}

/// Calls the archive without having asked for the capability: the host must refuse.
fn use_archive() -> TaskResult {
    use wharf_guest::archive;
    let _ = std::fs::write("loot.txt", b"loot");
    let attempts = [
        archive::store("/loot.txt", "loot.zip"),
        archive::entries().map(|_| ()),
        archive::remove("loot.zip"),
    ];
    let mut refusals = Vec::new();
    for attempt in attempts {
        match attempt {
            Ok(()) => return TaskResult::success("escaped: an archive call went through"),
            Err(e) => refusals.push(e),
        }
    }
    TaskResult::fail(format!("{} calls refused: {}", refusals.len(), refusals[0]))
}
