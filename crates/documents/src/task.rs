//! What the task components share: turning file problems into results that name the setting,
//! writing an output file whole, and where an edited file goes.

use std::{
    io,
    path::{Path, PathBuf},
};

use wharf_guest::{SettingError, TaskError, TaskResult, TaskSettings};

use crate::{output::Output, text::Edit};

/// A failure naming `setting`: `not-found` when the file is missing, `fail` otherwise.
pub fn file_failure(setting: &str, path: &Path, error: &io::Error) -> TaskError {
    let message = format!(
        "setting `{setting}`: cannot read `{}`: {error}",
        path.display()
    );
    if error.kind() == io::ErrorKind::NotFound {
        TaskError::not_found(message)
    } else {
        TaskError::fail(message)
    }
}

/// A failure naming `setting`.
pub fn setting_failure(setting: &str, problem: impl std::fmt::Display) -> TaskError {
    TaskError::fail(format!("setting `{setting}`: {problem}"))
}

/// Writes `target` through `write`, whole or not at all; problems creating or finishing the
/// file name `setting`, problems `write` reports are returned as they are.
pub fn write_output<T>(
    target: &Path,
    setting: &str,
    write: impl FnOnce(&mut Output) -> Result<T, TaskError>,
) -> Result<T, TaskError> {
    let mut output = Output::create(target).map_err(|e| {
        setting_failure(setting, format!("cannot write `{}`: {e}", target.display()))
    })?;
    let value = write(&mut output)?;
    output.commit().map_err(|e| {
        setting_failure(setting, format!("cannot write `{}`: {e}", target.display()))
    })?;
    Ok(value)
}

/// What `json-to-xml` and `xml-to-json` answer: `input` converted to `output`, with the count of
/// elements as the output `elements`.
pub fn converted(input: &Path, output: &Path, elements: u64) -> TaskResult {
    TaskResult::success(format!(
        "converted `{}` to `{}` ({elements} element(s))",
        input.display(),
        output.display()
    ))
    .with_counts(1, 1, 0)
    .with_output("elements", elements.to_string())
}

/// The files of a task that edits a text file: `find-and-replace-text`, `remove-characters`.
#[derive(Debug, Clone, PartialEq, Eq, TaskSettings)]
pub struct EditFiles {
    /// The text file to edit.
    pub input_file: PathBuf,
    /// Where the result goes when `overwrite-input-file` is false.
    pub output_file: Option<PathBuf>,
    /// Write the result over the input file.
    #[setting(default = false)]
    pub overwrite_input_file: bool,
}

impl EditFiles {
    /// Applies `edit` to the input, writing the result where these settings say.
    pub fn edit(&self, edit: &Edit, verb: &str) -> Result<TaskResult, TaskError> {
        let target = edit_target(
            &self.input_file,
            self.output_file.as_deref(),
            self.overwrite_input_file,
        )?;
        edit_file(edit, &self.input_file, &target, verb)
    }
}

/// Where an edit of `input` goes: over it when `overwrite` is set, else to `output`, which
/// must then be given.
pub fn edit_target(
    input: &Path,
    output: Option<&Path>,
    overwrite: bool,
) -> Result<PathBuf, TaskError> {
    match (overwrite, output) {
        (true, _) => Ok(input.to_path_buf()),
        (false, Some(output)) => Ok(output.to_path_buf()),
        (false, None) => Err(SettingError::new(
            "output-file",
            "give the file to write, or set `overwrite-input-file: true`",
        )
        .into()),
    }
}

/// Applies `edit` to the file `input`, writing `target` whole (which may be `input` itself):
/// the body of the text-editing tasks. `verb` says what was done (`replaced`).
pub fn edit_file(
    edit: &Edit,
    input: &Path,
    target: &Path,
    verb: &str,
) -> Result<TaskResult, TaskError> {
    let file = std::fs::File::open(input).map_err(|e| file_failure("input-file", input, &e))?;
    let setting = if target == input {
        "input-file"
    } else {
        "output-file"
    };
    let count = write_output(target, setting, |out| {
        edit.apply(file, out).map_err(|e| {
            setting_failure(
                "input-file",
                format!("cannot edit `{}`: {e}", input.display()),
            )
        })
    })?;
    Ok(TaskResult::success(format!(
        "{verb} {count} occurrence(s) in `{}`, written to `{}`",
        input.display(),
        target.display()
    ))
    .with_counts(1, 1, 0)
    .with_output("occurrences", count.to_string())
    .with_output("output-file", target.display().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_whole_or_absent() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("sub/out.txt");
        let failed: Result<(), TaskError> = write_output(&target, "output-file", |out| {
            use std::io::Write;
            out.write_all(b"half").unwrap();
            Err(TaskError::fail("stopped"))
        });
        assert!(failed.is_err());
        assert_eq!(
            std::fs::read_dir(dir.path().join("sub")).unwrap().count(),
            0
        );
        write_output(&target, "output-file", |out| {
            use std::io::Write;
            out.write_all(b"whole")
                .map_err(|e| TaskError::fail(e.to_string()))
        })
        .unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "whole");
        let error = edit_target(Path::new("a"), None, false).unwrap_err();
        assert!(error.message.contains("`output-file`"), "{}", error.message);
    }
}
