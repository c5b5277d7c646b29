//! Copying and moving files so that no failure, at any point, loses the data.
//!
//! A copy is written to a hidden temporary file next to the output, synced, and only then
//! renamed over the output, so the output is either the old file or the complete new one. A
//! move is a rename; if the rename is refused it becomes such a copy followed by deleting the
//! input, so the input disappears only once the output is durable.

use crate::{TaskResult, TaskSettings};

use std::{
    fs::{self, File},
    io::{self, Read, Write},
    path::{Path, PathBuf},
};

/// What [`transfer`] does with the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    /// Leave the input in place.
    Copy,
    /// Remove the input once the output is durable.
    Move,
}

/// Which file an error concerns, so a task can name the setting that holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The file being copied or moved.
    Input,
    /// Where it goes (including its folder and temporary file).
    Output,
}

/// Why a [`transfer`] did not happen. Nothing has been lost in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// The input does not exist (result code `not-found`).
    #[error("input file `{}` does not exist", .0.display())]
    InputMissing(PathBuf),
    /// The input is a folder or something else that isn't a regular file.
    #[error("input `{}` is not a file", .0.display())]
    InputNotAFile(PathBuf),
    /// The output exists and the caller asked not to overwrite it.
    #[error("output file `{}` already exists and overwrite is false", .0.display())]
    OutputExists(PathBuf),
    /// The output names a folder.
    #[error("output `{}` is a folder", .0.display())]
    OutputIsFolder(PathBuf),
    /// The file system refused an operation.
    #[error("cannot {action} `{}`: {source}", path.display())]
    Io {
        /// Which file it concerns.
        side: Side,
        /// What was being done (`read`, `create the folder of`, `write` …).
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

impl TransferError {
    /// Which file the error concerns.
    pub fn side(&self) -> Side {
        match self {
            Self::InputMissing(_) | Self::InputNotAFile(_) => Side::Input,
            Self::OutputExists(_) | Self::OutputIsFolder(_) => Side::Output,
            Self::Io { side, .. } => *side,
        }
    }

    /// The task result for this error, naming the setting that holds the file it concerns:
    /// a missing input is `not-found`, anything else `fail`.
    pub fn into_result(self, input_setting: &str, output_setting: &str) -> TaskResult {
        let setting = match self.side() {
            Side::Input => input_setting,
            Side::Output => output_setting,
        };
        let message = format!("setting `{setting}`: {self}");
        match self {
            Self::InputMissing(_) => TaskResult::not_found(message),
            _ => TaskResult::fail(message),
        }
    }

    fn io(side: Side, action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> Self {
        let path = path.to_owned();
        move |source| Self::Io {
            side,
            action,
            path,
            source,
        }
    }
}

/// Copies or moves the file `input` to `output` and returns its size in bytes.
///
/// Missing folders above `output` are created. An existing `output` is replaced only when
/// `overwrite` is true. The copy keeps the input's modified time (as Windows' file copy does)
/// where the file system allows. Transferring a file onto itself does nothing.
pub fn transfer(
    input: &Path,
    output: &Path,
    overwrite: bool,
    how: Transfer,
) -> Result<u64, TransferError> {
    let metadata = match fs::metadata(input) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(TransferError::InputMissing(input.to_owned()));
        }
        Err(e) => return Err(TransferError::io(Side::Input, "read", input)(e)),
    };
    if !metadata.is_file() {
        return Err(TransferError::InputNotAFile(input.to_owned()));
    }

    match fs::metadata(output) {
        Ok(existing) if existing.is_dir() => {
            return Err(TransferError::OutputIsFolder(output.to_owned()));
        }
        Ok(_) if !overwrite => return Err(TransferError::OutputExists(output.to_owned())),
        Ok(_) if same_file(input, output) => return Ok(metadata.len()),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(TransferError::io(Side::Output, "inspect", output)(e)),
    }

    if let Some(parent) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(TransferError::io(
            Side::Output,
            "create the folder",
            parent,
        ))?;
    }

    match how {
        Transfer::Copy => copy_durably(input, output, &metadata),
        Transfer::Move => match fs::rename(input, output) {
            Ok(()) => {
                sync_parent(output);
                Ok(metadata.len())
            }
            // A rename can be refused (another device or mount); fall back to a durable copy
            // and delete the input only after it.
            Err(_) => {
                let bytes = copy_durably(input, output, &metadata)?;
                fs::remove_file(input).map_err(TransferError::io(Side::Input, "remove", input))?;
                Ok(bytes)
            }
        },
    }
}

/// The settings of a copy or a move: what `copy-file` and `move-file` take.
#[derive(Debug, Clone, PartialEq, Eq, TaskSettings)]
pub struct TransferSettings {
    /// The file to copy or move.
    pub input_file: PathBuf,
    /// Where the file goes.
    pub output_file: PathBuf,
    /// Replace the output file if it exists.
    #[setting(default = true)]
    pub overwrite: bool,
}

/// The whole of a copy or move task: [`transfer`], then the result naming the file and its
/// size, or the setting whose file is at fault. `copy-file` and `move-file` are this.
pub fn run_transfer_task(settings: TransferSettings, how: Transfer) -> TaskResult {
    let TransferSettings {
        input_file: input,
        output_file: output,
        overwrite,
    } = settings;
    match transfer(&input, &output, overwrite, how) {
        Ok(bytes) => {
            let verb = match how {
                Transfer::Copy => "copied",
                Transfer::Move => "moved",
            };
            TaskResult::success(format!(
                "{verb} `{}` to `{}` ({bytes} bytes)",
                input.display(),
                output.display()
            ))
            .with_counts(1, 1, 0)
        }
        Err(e) => e.into_result("input-file", "output-file"),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Streams `input` into a temporary sibling of `output`, syncs it and renames it into place.
fn copy_durably(
    input: &Path,
    output: &Path,
    metadata: &fs::Metadata,
) -> Result<u64, TransferError> {
    let partial = partial_path(output);
    let result = (|| {
        let mut source =
            File::open(input).map_err(TransferError::io(Side::Input, "read", input))?;
        let mut target =
            File::create(&partial).map_err(TransferError::io(Side::Output, "create", &partial))?;
        let bytes = stream(&mut source, &mut target, input, &partial)?;
        target
            .sync_all()
            .map_err(TransferError::io(Side::Output, "sync", &partial))?;
        if let Ok(modified) = metadata.modified() {
            // Best effort: some file systems do not keep times; the data matters, not this.
            let _ = target.set_modified(modified);
        }
        drop(target);
        fs::rename(&partial, output).map_err(TransferError::io(Side::Output, "replace", output))?;
        sync_parent(output);
        Ok(bytes)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&partial);
    }
    result
}

/// Copies in large blocks: on WebAssembly each read and write is a call into the host.
fn stream(
    source: &mut File,
    target: &mut File,
    input: &Path,
    partial: &Path,
) -> Result<u64, TransferError> {
    let mut buffer = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let read = match source.read(&mut buffer) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(TransferError::io(Side::Input, "read", input)(e)),
        };
        target
            .write_all(&buffer[..read])
            .map_err(TransferError::io(Side::Output, "write", partial))?;
        total += read as u64;
    }
}

/// The temporary name a file is written under before it is renamed to `output`:
/// `.<name>.wharf-partial` in the same folder — hidden, and on the same file system, so the
/// final rename is atomic. Tasks that list folders skip such names ([`is_temporary`]).
pub fn partial_path(output: &Path) -> PathBuf {
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    output.with_file_name(format!(".{name}.wharf-partial"))
}

/// Whether a file name is a Wharf temporary (a [`partial_path`] or a host/task file starting
/// with `.wharf`), which tasks that list folders must not pick up.
pub fn is_temporary(name: &str) -> bool {
    name.starts_with(".wharf") || name.ends_with(".wharf-partial")
}

/// Makes a rename durable where the platform allows syncing a folder; best effort.
fn sync_parent(path: &Path) {
    if let Some(parent) = path.parent()
        && let Ok(folder) = File::open(parent)
    {
        let _ = folder.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> tempfile::TempDir {
        tempfile::tempdir().expect("temp dir")
    }

    #[test]
    fn copy_creates_parents_and_keeps_the_input() {
        let d = dir();
        let input = d.path().join("a.txt");
        fs::write(&input, b"hello").unwrap();
        let output = d.path().join("x/y/b.txt");
        assert_eq!(transfer(&input, &output, true, Transfer::Copy).unwrap(), 5);
        assert_eq!(fs::read(&output).unwrap(), b"hello");
        assert!(input.exists());
        assert!(!d.path().join("x/y/.b.txt.wharf-partial").exists());
    }

    #[test]
    fn copy_keeps_the_modified_time() {
        let d = dir();
        let input = d.path().join("a.txt");
        fs::write(&input, b"x").unwrap();
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        File::options()
            .write(true)
            .open(&input)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let output = d.path().join("b.txt");
        transfer(&input, &output, true, Transfer::Copy).unwrap();
        assert_eq!(fs::metadata(&output).unwrap().modified().unwrap(), old);
    }

    #[test]
    fn move_removes_the_input() {
        let d = dir();
        let input = d.path().join("a.txt");
        fs::write(&input, b"data").unwrap();
        let output = d.path().join("sub/a.txt");
        assert_eq!(transfer(&input, &output, false, Transfer::Move).unwrap(), 4);
        assert!(!input.exists());
        assert_eq!(fs::read(&output).unwrap(), b"data");
    }

    #[test]
    fn missing_input_is_reported_as_such() {
        let d = dir();
        let error = transfer(
            &d.path().join("no"),
            &d.path().join("b"),
            true,
            Transfer::Move,
        )
        .unwrap_err();
        assert!(matches!(error, TransferError::InputMissing(_)), "{error}");
        assert_eq!(error.side(), Side::Input);
        assert!(error.to_string().contains("does not exist"));
    }

    #[test]
    fn existing_output_is_kept_without_overwrite() {
        for how in [Transfer::Copy, Transfer::Move] {
            let d = dir();
            let input = d.path().join("a");
            let output = d.path().join("b");
            fs::write(&input, b"new").unwrap();
            fs::write(&output, b"old").unwrap();
            let error = transfer(&input, &output, false, how).unwrap_err();
            assert!(matches!(error, TransferError::OutputExists(_)));
            assert_eq!(error.side(), Side::Output);
            assert!(error.to_string().contains(&output.display().to_string()));
            assert_eq!(fs::read(&output).unwrap(), b"old");
            assert_eq!(fs::read(&input).unwrap(), b"new");
        }
    }

    #[test]
    fn errors_become_results_naming_the_setting() {
        let result =
            TransferError::InputMissing("/a.xml".into()).into_result("input-file", "output-file");
        assert_eq!(result.code, crate::ResultCode::NotFound);
        assert_eq!(
            result.message,
            "setting `input-file`: input file `/a.xml` does not exist"
        );
        let result =
            TransferError::OutputExists("/b.xml".into()).into_result("input-file", "output-file");
        assert_eq!(result.code, crate::ResultCode::Fail);
        assert_eq!(
            result.message,
            "setting `output-file`: output file `/b.xml` already exists and overwrite is false"
        );
    }

    #[test]
    fn the_transfer_task_reads_its_settings() {
        let d = dir();
        let input = d.path().join("a.xml");
        let output = d.path().join("out/a.xml");
        fs::write(&input, b"<a/>").unwrap();
        let settings = TransferSettings::from_pairs(&[
            ("input-file", input.to_str().unwrap()),
            ("output-file", output.to_str().unwrap()),
            ("overwrite", "false"),
        ])
        .unwrap();
        let result = run_transfer_task(settings.clone(), Transfer::Move);
        assert_eq!(
            result.code,
            crate::ResultCode::Success,
            "{}",
            result.message
        );
        assert!(result.message.starts_with("moved "));
        assert!(output.exists() && !input.exists());

        let result = run_transfer_task(settings.clone(), Transfer::Move);
        assert_eq!(
            result.code,
            crate::ResultCode::NotFound,
            "{}",
            result.message
        );

        let bad = TransferSettings::from_pairs(&[
            ("input-file", "/a"),
            ("output-file", "/b"),
            ("overwrite", "maybe"),
        ])
        .unwrap_err();
        assert_eq!(
            bad.to_string(),
            "setting `overwrite`: expected `true` or `false`, got `maybe`"
        );
        let specs = TransferSettings::specs();
        let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["input-file", "output-file", "overwrite"]);
        assert!(specs[0].required && specs[0].non_empty);
        assert_eq!(specs[2].default_value.as_deref(), Some("true"));
    }

    #[test]
    fn existing_output_is_replaced_with_overwrite() {
        for how in [Transfer::Copy, Transfer::Move] {
            let d = dir();
            let input = d.path().join("a");
            let output = d.path().join("b");
            fs::write(&input, b"new").unwrap();
            fs::write(&output, b"older and longer").unwrap();
            transfer(&input, &output, true, how).unwrap();
            assert_eq!(fs::read(&output).unwrap(), b"new");
            assert_eq!(input.exists(), how == Transfer::Copy);
        }
    }

    #[test]
    fn onto_itself_changes_nothing() {
        for how in [Transfer::Copy, Transfer::Move] {
            let d = dir();
            let input = d.path().join("a");
            fs::write(&input, b"keep me").unwrap();
            transfer(&input, &input, true, how).unwrap();
            assert_eq!(fs::read(&input).unwrap(), b"keep me");
        }
    }

    #[test]
    fn folders_are_refused() {
        let d = dir();
        let file = d.path().join("a");
        fs::write(&file, b"x").unwrap();
        let error = transfer(d.path(), &d.path().join("b"), true, Transfer::Copy).unwrap_err();
        assert!(matches!(error, TransferError::InputNotAFile(_)));
        let error = transfer(&file, d.path(), true, Transfer::Copy).unwrap_err();
        assert!(matches!(error, TransferError::OutputIsFolder(_)));
    }

    #[test]
    fn temporary_names_are_recognised() {
        let partial = partial_path(Path::new("/out/a.xml"));
        assert_eq!(partial, Path::new("/out/.a.xml.wharf-partial"));
        assert!(is_temporary(".a.xml.wharf-partial"));
        assert!(is_temporary(".wharf-archive-1.zip.partial"));
        assert!(!is_temporary("a.xml"));
        assert!(!is_temporary(".hidden"));
    }

    #[test]
    fn large_files_stream_intact() {
        let d = dir();
        let input = d.path().join("big");
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        fs::write(&input, &data).unwrap();
        let output = d.path().join("copy");
        assert_eq!(
            transfer(&input, &output, true, Transfer::Copy).unwrap(),
            data.len() as u64
        );
        assert_eq!(fs::read(&output).unwrap(), data);
    }
}
