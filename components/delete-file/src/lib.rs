//! Delete File (catalogue §2.19): deletes one file in the working directory.
//! A missing file is `not-found` (harmless where Break On Failure is off).

use std::{fs, io, path::Path};

use wharf_guest::{SettingSpec, Settings, Task, TaskInfo, TaskResult};

/// The component; exported to the host on WebAssembly.
pub struct DeleteFile;

impl Task for DeleteFile {
    fn describe() -> TaskInfo {
        TaskInfo::new("delete-file", "Deletes a file.").setting(
            SettingSpec::file("input-file", "The file to delete.")
                .required()
                .non_empty(),
        )
    }

    fn run(settings: Vec<(String, String)>) -> TaskResult {
        let settings = Settings::new(settings).with_defaults(&Self::describe().settings);
        let input = match settings.path("input-file") {
            Ok(input) => input,
            Err(e) => return e.into(),
        };
        delete(&input)
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
