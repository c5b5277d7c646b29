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
    "leftovers",
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
            "leftovers" => leftovers(),
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

/// Written by every `leftovers` call, so the next call would see it if it got this call's memory.
static mut LEFT_IN_DATA: [u8; 16] = *b"initial contents";
static mut LEFT_IN_BSS: [u8; 16] = [0; 16];

/// `LEFTOVER-MARKER!` with every byte flipped: the marker itself never sits in the component's
/// data, so only a call that wrote it can have left it in memory.
const MARKER_FLIPPED: [u8; 16] = [
    !b'L', !b'E', !b'F', !b'T', !b'O', !b'V', !b'E', !b'R', !b'-', !b'M', !b'A', !b'R', !b'K',
    !b'E', !b'R', !b'!',
];

/// Heap the `leftovers` mode fills with the marker: more than the host resets in place, so
/// both ways of resetting memory (in place, and dropping the pages) are looked through.
const LEFTOVER_HEAP: usize = 3 * MIB / 2;

/// Looks through the whole linear memory for what an earlier call left (the marker, or the
/// statics changed), then leaves the marker in its data, its zeroed statics, its heap and its
/// stack. Success (`clean: …`) when nothing was found, else Fail naming where.
fn leftovers() -> TaskResult {
    let data = unsafe { std::ptr::read_volatile(&raw const LEFT_IN_DATA) };
    let bss = unsafe { std::ptr::read_volatile(&raw const LEFT_IN_BSS) };
    if &data != b"initial contents" || bss != [0; 16] {
        return TaskResult::fail("saw statics an earlier call changed");
    }
    // Reserved first (the memory grows) and looked through before it is written.
    let mut heap: Vec<u8> = Vec::with_capacity(LEFTOVER_HEAP);
    let size = memory_size();
    if let Some(at) = find_marker(size) {
        return TaskResult::fail(format!(
            "saw the marker an earlier call left, at address {at}"
        ));
    }
    let marker: Vec<u8> = MARKER_FLIPPED.iter().map(|b| !b).collect();
    while heap.len() + marker.len() <= LEFTOVER_HEAP {
        heap.extend_from_slice(&marker);
    }
    std::mem::forget(black_box(heap));
    let mut stack = [0u8; 16];
    stack.copy_from_slice(&marker);
    black_box(&stack);
    unsafe {
        std::ptr::write_volatile(&raw mut LEFT_IN_DATA, stack);
        std::ptr::write_volatile(&raw mut LEFT_IN_BSS, stack);
    }
    // The search must see what this call left, or it proves nothing.
    if find_marker(memory_size()).is_none() {
        return TaskResult::fail("the search does not see the marker this call left");
    }
    TaskResult::success(format!("clean: {size} bytes of memory looked through"))
}

/// The first address of linear memory (below `size`) holding the marker.
fn find_marker(size: usize) -> Option<usize> {
    let mut matched = 0;
    // Compared byte by byte against the flipped marker, so no copy of the marker is in memory.
    for address in 1..size {
        let byte = unsafe { std::ptr::read_volatile(address as *const u8) };
        if byte == !black_box(MARKER_FLIPPED)[matched] {
            matched += 1;
            if matched == MARKER_FLIPPED.len() {
                return Some(address + 1 - matched);
            }
        } else {
            matched = usize::from(byte == !black_box(MARKER_FLIPPED)[0]);
        }
    }
    None
}

/// Bytes of linear memory the instance has.
fn memory_size() -> usize {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::memory_size(0) * 65536
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}
