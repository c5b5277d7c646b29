//! If File Exists (catalogue §2.6): a condition that is true when a file exists and, if a
//! minimum length is set, is at least that many bytes long. It never creates the file.
//!
//! The host compares the answer with the workflow's `equal-to`; this component only answers.

use std::{fs, io, path::Path};

use wharf_guest::{Condition, Failure, SettingError, SettingSpec, Settings, TaskInfo};

/// `minimum-length` value that means "any size".
pub const ANY_LENGTH: i64 = -1;

/// The component; exported to the host on WebAssembly.
pub struct IfFileExists;

impl Condition for IfFileExists {
    fn describe() -> TaskInfo {
        TaskInfo::new(
            "if-file-exists",
            "True when the input file exists and is at least minimum-length bytes long.",
        )
        .setting(
            SettingSpec::file("input-file", "The file to test.")
                .required()
                .non_empty(),
        )
        .setting(
            SettingSpec::integer(
                "minimum-length",
                "Smallest size in bytes for which the test is true; -1 ignores the size.",
            )
            .with_default(ANY_LENGTH.to_string())
            .at_least(ANY_LENGTH),
        )
    }

    fn evaluate(settings: Vec<(String, String)>) -> Result<bool, Failure> {
        let settings = Settings::new(settings).with_defaults(&Self::describe().settings);
        let input = settings.path("input-file")?;
        let minimum = settings.integer("minimum-length")?;
        if minimum < ANY_LENGTH {
            return Err(SettingError::new(
                "minimum-length",
                format!("must be -1 (any size) or a number of bytes, got {minimum}"),
            )
            .into());
        }
        let answer = file_meets(&input, minimum).map_err(|e| {
            Failure::fail(format!(
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
