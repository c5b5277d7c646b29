//! SDK for writing Wharf task components in Rust.
//!
//! A Wharf task is a WebAssembly component (`wasm32-wasip2`) that exports one of three WIT
//! worlds of `wharf:task@0.1.0` (the WIT is vendored in this crate's `wit/` folder): a plain
//! task (`describe` + `run`), a repeater (`describe` + `items`) or a condition (`describe` +
//! `evaluate`). With this crate a task is a settings struct and one function:
//!
//! ```
//! use std::path::PathBuf;
//! use wharf_guest::{TaskError, TaskResult, TaskSettings, TypedTask};
//!
//! /// The settings, declared once: `describe` and the parsing both come from here.
//! #[derive(TaskSettings)]
//! pub struct HelloSettings {
//!     /// Whom to greet.
//!     #[setting(default = "world")]
//!     who: String,
//!     /// Where the greeting is written.
//!     output_file: PathBuf,
//! }
//!
//! pub struct Hello;
//!
//! impl TypedTask for Hello {
//!     const NAME: &'static str = "hello";
//!     const DOC: &'static str = "Writes a greeting to a file.";
//!     type Settings = HelloSettings;
//!
//!     fn run(settings: HelloSettings) -> Result<TaskResult, TaskError> {
//!         std::fs::write(&settings.output_file, format!("hello, {}", settings.who))
//!             .map_err(|e| TaskError::fail(format!("setting `output-file`: {e}")))?;
//!         Ok(TaskResult::success_data(format!("greeted {}", settings.who)))
//!     }
//! }
//!
//! wharf_guest::export_task!(Hello);
//! ```
//!
//! Repeaters implement [`TypedRepeater`] and use [`export_repeater!`]; conditions implement
//! [`TypedCondition`] and use [`export_condition!`]. Build with
//! `cargo build --release --target wasm32-wasip2` from a `cdylib` crate: the output `.wasm` is a
//! component. On other targets the export macros expand to nothing, so the same crate builds
//! natively for unit tests; there [`log`] writes to stderr, [`state`] is an in-memory map and
//! the settings come from [`TaskSettings::from_pairs`].
//!
//! What else is here:
//!
//! * [`TaskSettings`], [`SettingValue`], [`SettingChoice`] — settings declared once (derive
//!   macros of the same names); [`Settings`] reads them by name where a task must;
//! * builders on the WIT records: [`TaskInfo::new`], [`TaskResult::success`],
//!   [`Failure::not_found`] …;
//! * [`fs::transfer`] — copy or move a file without ever losing it; [`fs::partial_path`] and
//!   [`fs::is_temporary`] for the write-then-rename convention every task follows;
//! * [`wildcard`] — Zynk's file name patterns;
//! * the optional host interfaces, each behind a Cargo feature of the same name: [`archive`]
//!   (the workflow's archive store), [`sage`] (the embedded Sage 50 ledger), [`sftp`] and
//!   [`http`] (named connections the workflow grants). A component using one lists it in
//!   `CAPABILITIES`.
//!
//! Host imports that have no wrapper here (`truth`, `mappings`) are in [`host`].
//! They can only be called inside the host; natively they panic.

// The export macros expand to `wharf_guest::bindings::…` paths; this makes those paths valid
// inside this crate too.
#![warn(missing_docs)]

extern crate self as wharf_guest;

pub mod fs;
pub mod log;
mod result;
pub mod settings;
mod spec;
pub mod state;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
mod typed;
pub mod wildcard;

pub use settings::{SettingChoice, SettingError, SettingValue, Settings, TaskSettings};
pub use typed::{TaskError, TypedCondition, TypedRepeater, TypedTask};
/// Derives [`SettingChoice`] (and [`SettingValue`]) for an enum of unit variants.
pub use wharf_guest_derive::SettingChoice;
/// Derives [`TaskSettings`] for a struct: see the trait for the field attributes.
pub use wharf_guest_derive::TaskSettings;

/// The generated bindings, one module per exported world. The imports and the `types`
/// interface are generated once, in [`bindings::task`]; the other worlds reuse them through
/// wit-bindgen's `with` option, so a `TaskInfo` is the same type for every kind of task.
/// (Generated code: the WIT files in `wit/` document it.)
#[allow(missing_docs)]
pub mod bindings {
    /// The `plain-task` world: all imports, the `types` interface and the `task` export.
    pub mod task {
        wit_bindgen::generate!({
            world: "plain-task",
            path: "wit",
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
            path: "wit",
            pub_export_macro: true,
            export_macro_name: "export_repeater",
            default_bindings_module: "wharf_guest::bindings::repeater",
            with: {
                "wharf:task/types@0.1.0": crate::bindings::task::wharf::task::types,
                "wharf:task/log@0.1.0": crate::bindings::task::wharf::task::log,
                "wharf:task/state@0.1.0": crate::bindings::task::wharf::task::state,
                "wharf:task/truth@0.1.0": crate::bindings::task::wharf::task::truth,
                "wharf:task/mappings@0.1.0": crate::bindings::task::wharf::task::mappings,
            },
        });
    }

    /// The `condition-task` world: only the `condition` export is generated here.
    pub mod condition {
        wit_bindgen::generate!({
            world: "condition-task",
            path: "wit",
            pub_export_macro: true,
            export_macro_name: "export_condition",
            default_bindings_module: "wharf_guest::bindings::condition",
            with: {
                "wharf:task/types@0.1.0": crate::bindings::task::wharf::task::types,
                "wharf:task/log@0.1.0": crate::bindings::task::wharf::task::log,
                "wharf:task/state@0.1.0": crate::bindings::task::wharf::task::state,
                "wharf:task/truth@0.1.0": crate::bindings::task::wharf::task::truth,
                "wharf:task/mappings@0.1.0": crate::bindings::task::wharf::task::mappings,
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

#[cfg(feature = "sage")]
pub mod sage;

#[cfg(feature = "sftp")]
pub mod sftp;

#[cfg(feature = "http")]
pub mod http;

#[cfg(feature = "email")]
pub mod email;

#[cfg(feature = "ftp")]
pub mod ftp;

/// The host's `archive` interface (feature `archive`): the workflow's archive store. A
/// component using it lists `archive` in its capabilities; the workflow grants it with
/// `grants: [archive]`.
#[cfg(feature = "archive")]
pub mod archive {
    #[allow(missing_docs)]
    mod bindings {
        wit_bindgen::generate!({ world: "archive-imports", path: "wit", generate_all });
    }
    pub use bindings::wharf::task::archive::*;
}

#[cfg(feature = "template")]
pub mod template;

/// Host interfaces without a wrapper in this crate. Callable only inside the host.
pub mod host {
    pub use crate::bindings::task::wharf::task::{mappings, truth};
}

/// The raw `task` export (settings as name/value pairs); export it with [`export_task!`].
/// Every [`TypedTask`] is one: implement that instead unless the task reads its settings by
/// hand.
pub use bindings::task::exports::wharf::task::task::Guest as Task;

/// The raw `repeater` export; export it with [`export_repeater!`]. Every [`TypedRepeater`]
/// is one.
pub use bindings::repeater::exports::wharf::task::repeater::Guest as Repeater;

/// The raw `condition` export; export it with [`export_condition!`]. Every
/// [`TypedCondition`] is one.
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
