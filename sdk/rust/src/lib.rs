//! SDK for writing Wharf task components.
//!
//! A Wharf task is a WebAssembly component (`wasm32-wasip2`) that exports one of three WIT
//! worlds of `wharf:task@0.1.0`: a plain task (`describe` + `run`), a repeater (`describe` +
//! `items`) or a condition (`describe` + `evaluate`). This crate generates the bindings for all
//! three once, so every component shares one set of types, and adds the small helpers every
//! component needs:
//!
//! * [`Settings`] — typed getters over the settings the host prepared, whose errors name the
//!   setting ([`SettingError`]);
//! * builders on the WIT records: [`SettingSpec::file`], [`TaskInfo::new`],
//!   [`TaskResult::success`], [`Failure::not_found`] …;
//! * [`log`] and [`state`] wrappers that also work in native unit tests;
//! * [`fs::transfer`] — copy or move a file without ever losing it; [`fs::partial_path`] and
//!   [`fs::is_temporary`] for the write-then-rename convention every task follows.
//!
//! # A plain task
//!
//! ```no_run
//! use wharf_guest::{Settings, SettingSpec, Task, TaskInfo, TaskResult};
//!
//! struct Hello;
//!
//! impl Task for Hello {
//!     fn describe() -> TaskInfo {
//!         TaskInfo::new("hello", "Says hello.")
//!             .setting(SettingSpec::text("who", "Whom to greet.").with_default("world"))
//!     }
//!
//!     fn run(settings: Vec<(String, String)>) -> TaskResult {
//!         let settings = Settings::new(settings).with_defaults(&Self::describe().settings);
//!         match settings.text("who") {
//!             Ok(who) => TaskResult::success(format!("hello, {who}")),
//!             Err(e) => e.into(),
//!         }
//!     }
//! }
//!
//! wharf_guest::export_task!(Hello);
//! ```
//!
//! Repeaters implement [`Repeater`] and use [`export_repeater!`]; conditions implement
//! [`Condition`] and use [`export_condition!`]. Build with
//! `cargo build --release --target wasm32-wasip2` from a `cdylib` crate: the output `.wasm` is a
//! component. On other targets the export macros expand to nothing, so the same crate builds
//! natively for unit tests and benchmarks; keep the logic in plain functions and test it there.
//!
//! Host imports that have no wrapper here (`truth`, `mappings`, `archive`) are in [`host`].
//! They can only be called inside the host; natively they panic.

// The export macros expand to `wharf_guest::bindings::…` paths; this makes those paths valid
// inside this crate too.
extern crate self as wharf_guest;

pub mod fs;
pub mod log;
mod result;
mod settings;
mod spec;
pub mod state;
pub mod wildcard;

pub use settings::{SettingError, Settings};

/// The generated bindings, one module per exported world. The imports and the `types`
/// interface are generated once, in [`bindings::task`]; the other worlds reuse them through
/// wit-bindgen's `with` option, so a `TaskInfo` is the same type for every kind of task.
pub mod bindings {
    /// The `plain-task` world: all imports, the `types` interface and the `task` export.
    pub mod task {
        wit_bindgen::generate!({
            world: "plain-task",
            path: "../../wit",
            pub_export_macro: true,
            export_macro_name: "export_task",
            default_bindings_module: "wharf_guest::bindings::task",
            generate_all,
        });
    }

    /// The `repeater-task` world: only the `repeater` export is generated here.
    pub mod repeater {
        wit_bindgen::generate!({
            world: "repeater-task",
            path: "../../wit",
            pub_export_macro: true,
            export_macro_name: "export_repeater",
            default_bindings_module: "wharf_guest::bindings::repeater",
            with: {
                "wharf:task/types@0.1.0": crate::bindings::task::wharf::task::types,
                "wharf:task/log@0.1.0": crate::bindings::task::wharf::task::log,
                "wharf:task/state@0.1.0": crate::bindings::task::wharf::task::state,
                "wharf:task/truth@0.1.0": crate::bindings::task::wharf::task::truth,
                "wharf:task/mappings@0.1.0": crate::bindings::task::wharf::task::mappings,
                "wharf:task/archive@0.1.0": crate::bindings::task::wharf::task::archive,
            },
        });
    }

    /// The `condition-task` world: only the `condition` export is generated here.
    pub mod condition {
        wit_bindgen::generate!({
            world: "condition-task",
            path: "../../wit",
            pub_export_macro: true,
            export_macro_name: "export_condition",
            default_bindings_module: "wharf_guest::bindings::condition",
            with: {
                "wharf:task/types@0.1.0": crate::bindings::task::wharf::task::types,
                "wharf:task/log@0.1.0": crate::bindings::task::wharf::task::log,
                "wharf:task/state@0.1.0": crate::bindings::task::wharf::task::state,
                "wharf:task/truth@0.1.0": crate::bindings::task::wharf::task::truth,
                "wharf:task/mappings@0.1.0": crate::bindings::task::wharf::task::mappings,
                "wharf:task/archive@0.1.0": crate::bindings::task::wharf::task::archive,
            },
        });
    }
}

/// The WIT `types` interface: records and enums shared by every task kind.
pub mod types {
    pub use crate::bindings::task::wharf::task::types::*;
}

pub use types::{
    Counts, CurrentItem, Failure, ResultCode, SettingKind, SettingSpec, TaskInfo, TaskResult,
};

/// Host interfaces without a wrapper in this crate. Callable only inside the host.
pub mod host {
    pub use crate::bindings::task::wharf::task::{archive, mappings, truth};
}

/// Implemented by a plain task; export it with [`export_task!`].
pub use bindings::task::exports::wharf::task::task::Guest as Task;

/// Implemented by a repeater; export it with [`export_repeater!`].
pub use bindings::repeater::exports::wharf::task::repeater::Guest as Repeater;

/// Implemented by a condition; export it with [`export_condition!`].
pub use bindings::condition::exports::wharf::task::condition::Guest as Condition;

/// Exports a type implementing [`Task`] as the component's `task` interface.
///
/// The export exists only when compiling for WebAssembly; on other targets the macro expands
/// to nothing, so a component crate also builds and links natively for unit tests and
/// benchmarks.
#[macro_export]
macro_rules! export_task {
    ($ty:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::task::export_task!($ty with_types_in $crate::bindings::task);
    };
}

/// Exports a type implementing [`Repeater`] as the component's `repeater` interface
/// (WebAssembly only, like [`export_task!`]).
#[macro_export]
macro_rules! export_repeater {
    ($ty:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::repeater::export_repeater!($ty with_types_in $crate::bindings::repeater);
    };
}

/// Exports a type implementing [`Condition`] as the component's `condition` interface
/// (WebAssembly only, like [`export_task!`]).
#[macro_export]
macro_rules! export_condition {
    ($ty:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::condition::export_condition!(
            $ty with_types_in $crate::bindings::condition
        );
    };
}
