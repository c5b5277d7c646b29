//! Log lines for the run report (the host's `log` interface).
//!
//! Outside WebAssembly — in native unit tests of component logic — lines go to stderr and are
//! kept for [`crate::testing::take_logs`], so the same code runs in both places.

use crate::bindings::task::wharf::task::log::Level;

/// Detail for debugging a workflow.
pub fn debug(message: impl AsRef<str>) {
    write(Level::Debug, message.as_ref());
}

/// Progress worth keeping in the run record.
pub fn info(message: impl AsRef<str>) {
    write(Level::Info, message.as_ref());
}

/// Something unexpected that did not stop the task.
pub fn warn(message: impl AsRef<str>) {
    write(Level::Warning, message.as_ref());
}

/// Something that made the task fail.
pub fn error(message: impl AsRef<str>) {
    write(Level::Error, message.as_ref());
}

#[cfg(target_arch = "wasm32")]
fn write(level: Level, message: &str) {
    crate::bindings::task::wharf::task::log::log(level, message);
}

#[cfg(not(target_arch = "wasm32"))]
thread_local! {
    static NATIVE_LINES: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

#[cfg(not(target_arch = "wasm32"))]
fn write(level: Level, message: &str) {
    eprintln!("[{level:?}] {message}");
    let level = match level {
        Level::Debug => "DEBUG",
        Level::Info => "INFO",
        Level::Warning => "WARNING",
        Level::Error => "ERROR",
    };
    NATIVE_LINES.with_borrow_mut(|lines| lines.push(format!("{level} {message}")));
}

/// The lines written natively since the last call ([`crate::testing::take_logs`]).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn take_native() -> Vec<String> {
    NATIVE_LINES.with_borrow_mut(std::mem::take)
}
