//! Memory that does not grow with the input: the heap a split holds at its peak is the same
//! for ten times the records (the crate's promise of constant memory whatever the input size).
//!
//! The test binary's allocator counts the bytes each thread holds and the most it held, so a
//! test measures its own split while others run on other threads.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fs;

use super::*;

struct Counting;

thread_local! {
    /// Bytes allocated and not freed by this thread (frees of another thread's blocks can take
    /// it below zero: only differences are used), and the most since the last [`reset_peak`].
    static HELD: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn count(change: isize) {
    // `try_with`: the allocator also runs while a thread's locals are being torn down.
    let _ = HELD.try_with(|held| {
        let now = held.get() + change;
        held.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn reset_peak() -> isize {
    let held = HELD.with(Cell::get);
    PEAK.with(|peak| peak.set(held));
    held
}

// SAFETY: every call is passed on to the system allocator unchanged; only sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// The most heap the split of `records` records (each with content, so each end tag goes
/// through the parser) into one chunk held above what the thread held before it.
fn peak_heap_of_split(records: usize) -> isize {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("products.xml");
    let mut xml = String::from("<?xml version=\"1.0\"?>\n<Company><Products>\n");
    for i in 0..records {
        xml.push_str(&format!(
            "<ProductWithALongName><Id>{i}</Id></ProductWithALongName>\n"
        ));
    }
    xml.push_str("</Products></Company>\n");
    fs::write(&input, xml).unwrap();
    let out = dir.path().join("out");
    let before = reset_peak();
    let summary = split(
        &input,
        "/Company/Products/ProductWithALongName",
        records,
        &out,
        NameFormat::Number,
    )
    .unwrap();
    let peak = PEAK.with(Cell::get) - before;
    assert_eq!(summary.records_written, records as u64);
    assert_eq!(summary.files.len(), 1);
    peak
}

#[test]
fn held_memory_does_not_grow_with_the_records() {
    let few = peak_heap_of_split(5_000);
    let many = peak_heap_of_split(50_000);
    // Each record's end tag kept (22 bytes) would add ~1 MiB for the 45,000 more records.
    assert!(
        many <= few + 64 * 1024,
        "peak heap {many} bytes for 50,000 records vs {few} for 5,000"
    );
}
