//! The shared code of Wharf's document tasks (CSV, Excel and JSON to XML, XML to JSON, the XML
//! repeater; docs/documents.md) and small file tasks (find and replace, remove characters, list
//! files, zip files; docs/file-tasks.md). Each task component is a thin settings struct over a
//! function here, so the behaviour is unit-tested natively.
//!
//! Every output is written to a hidden partial file beside it and renamed into place once
//! complete ([`output::Output`]): a failed task never leaves half a file under the real name.

pub mod csv;
pub mod excel;
pub mod json;
pub mod listing;
pub mod names;
pub mod output;
pub mod table;
pub mod task;
pub mod text;
pub mod timestamp;
pub mod xml_items;
pub mod zipping;

use std::path::{Path, PathBuf};

/// A path a task was given, inside the working directory: relative paths are taken from
/// `root` (the working directory, `/` inside a component).
pub fn resolve(root: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        root.join(path)
    }
}
