//! If File Exists (docs/zynk-reference.md §2.6): a condition that is true when a file exists and, if a
//! minimum length is set, is at least that many bytes long. It never creates the file.
//!
//! The host compares the answer with the workflow's `equal-to`; this component only answers.

use std::{fs, io, path::Path};

use wharf_guest::{TaskError, TaskSettings, TypedCondition};

/// `minimum-length` value that means "any size".
pub const ANY_LENGTH: i64 = -1;

/// The settings of `if-file-exists`.
#[derive(Debug, Clone, TaskSettings)]
pub struct IfFileExistsSettings {
    /// The file to test.
    pub input_file: std::path::PathBuf,
    /// Smallest size in bytes for which the test is true; -1 ignores the size.
    #[setting(default = -1, range = -1..)]
    pub minimum_length: i64,
}

/// The component; exported to the host on WebAssembly.
pub struct IfFileExists;

impl TypedCondition for IfFileExists {
    const NAME: &'static str = "if-file-exists";
    const DOC: &'static str =
        "True when the input file exists and is at least minimum-length bytes long.";
    type Settings = IfFileExistsSettings;

    fn evaluate(settings: IfFileExistsSettings) -> Result<bool, TaskError> {
        let IfFileExistsSettings {
            input_file: input,
            minimum_length: minimum,
        } = settings;
        let answer = file_meets(&input, minimum).map_err(|e| {
            TaskError::fail(format!(
                "setting `input-file`: cannot inspect `{}`: {e}",
                input.display()
            ))
        })?;
        wharf_guest::log::debug(format!(
            "`{}` exists with at least {minimum} bytes: {answer}",
            input.display()
        ));
        Ok(answer)
    }
}

wharf_guest::export_condition!(IfFileExists);

/// `exists(path) && (minimum == -1 || len(path) >= minimum)`. A folder is not a file, so it
/// does not exist for this test (as .NET's `File.Exists`). Only unexpected I/O errors fail.
pub fn file_meets(path: &Path, minimum: i64) -> io::Result<bool> {
    let metadata = match fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    if !metadata.is_file() {
        return Ok(false);
    }
    Ok(minimum == ANY_LENGTH || i128::from(metadata.len()) >= i128::from(minimum))
}

#[cfg(test)]
mod tests;
