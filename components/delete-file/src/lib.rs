//! Delete File (docs/zynk-reference.md §2.19): deletes one file in the working directory.
//! A missing file is `not-found` (harmless where Break On Failure is off).

use std::{fs, io, path::Path};

use wharf_guest::{TaskError, TaskResult, TaskSettings, TypedTask};

/// The settings of `delete-file`.
#[derive(Debug, Clone, TaskSettings)]
pub struct DeleteFileSettings {
    /// The file to delete.
    pub input_file: std::path::PathBuf,
}

/// The component; exported to the host on WebAssembly.
pub struct DeleteFile;

impl TypedTask for DeleteFile {
    const NAME: &'static str = "delete-file";
    const DOC: &'static str = "Deletes a file.";
    type Settings = DeleteFileSettings;

    fn run(settings: DeleteFileSettings) -> Result<TaskResult, TaskError> {
        Ok(delete(&settings.input_file))
    }
}

wharf_guest::export_task!(DeleteFile);

/// Deletes the file `input` and says how it went.
pub fn delete(input: &Path) -> TaskResult {
    let shown = input.display();
    match fs::metadata(input) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return TaskResult::not_found(format!(
                "setting `input-file`: file `{shown}` does not exist"
            ));
        }
        Err(e) => {
            return TaskResult::fail(format!(
                "setting `input-file`: cannot inspect `{shown}`: {e}"
            ));
        }
        Ok(metadata) if !metadata.is_file() => {
            return TaskResult::fail(format!("setting `input-file`: `{shown}` is not a file"));
        }
        Ok(_) => {}
    }
    match fs::remove_file(input) {
        Ok(()) => TaskResult::success(format!("deleted `{shown}`")).with_counts(1, 1, 0),
        // Gone between the check and the delete: someone else removed it.
        Err(e) if e.kind() == io::ErrorKind::NotFound => TaskResult::not_found(format!(
            "setting `input-file`: file `{shown}` does not exist"
        )),
        Err(e) => TaskResult::fail(format!(
            "setting `input-file`: cannot delete `{shown}`: {e}"
        )),
    }
}

#[cfg(test)]
mod tests;
