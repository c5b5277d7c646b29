//! Per-task persistent state: the "since last run" cursors (the host's `state` interface).
//!
//! Writes are staged by the host and committed only if the task (for a repeater: the whole
//! loop) ends successfully, so a task may set its cursor before it knows the outcome.
//!
//! Outside WebAssembly the state is an in-memory map private to the current thread, so native
//! unit tests can exercise cursor logic.

/// The value stored under `key`, if any.
pub fn get(key: &str) -> Option<String> {
    imp::get(key)
}

/// Stores `value` under `key`.
pub fn set(key: &str, value: &str) {
    imp::set(key, value);
}

/// Forgets `key`.
pub fn remove(key: &str) {
    imp::remove(key);
}

#[cfg(target_arch = "wasm32")]
mod imp {
    pub use crate::bindings::task::wharf::task::state::{get, remove, set};
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use std::{cell::RefCell, collections::BTreeMap};

    thread_local! {
        static STATE: RefCell<BTreeMap<String, String>> = const { RefCell::new(BTreeMap::new()) };
    }

    pub fn get(key: &str) -> Option<String> {
        STATE.with_borrow(|state| state.get(key).cloned())
    }

    pub fn set(key: &str, value: &str) {
        STATE.with_borrow_mut(|state| state.insert(key.to_owned(), value.to_owned()));
    }

    pub fn remove(key: &str) {
        STATE.with_borrow_mut(|state| state.remove(key));
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #[test]
    fn native_state_round_trips() {
        assert_eq!(super::get("cursor"), None);
        super::set("cursor", "2024-05-10T00:00:00Z");
        assert_eq!(
            super::get("cursor").as_deref(),
            Some("2024-05-10T00:00:00Z")
        );
        super::remove("cursor");
        assert_eq!(super::get("cursor"), None);
    }
}
