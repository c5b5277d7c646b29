//! `wharf test`: workflow cases. A case is a folder holding a workflow, the files to place in
//! its working directory, an optional Sage ledger to start from, and what each run must leave
//! behind (`case.yaml`, described field by field in docs/workflow-tests.md). Each case runs in
//! a scratch data folder through the `wharf` binary itself, so a case tests what a person
//! running `wharf run` gets; where reality differs from the case, the report says how.

pub mod case;
mod check;
mod run;
mod xml;

pub use run::copy_tree;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The file that makes a folder a case.
pub const CASE_FILE: &str = "case.yaml";

/// How to run cases.
#[derive(Debug, Clone)]
pub struct Config {
    /// The `wharf` binary the runs use.
    pub wharf: PathBuf,
    /// Folders holding the task components (`--components`).
    pub components: Vec<PathBuf>,
    /// Keep each case's scratch folder (its path is in the report) instead of removing it.
    pub keep: bool,
}

/// Why a case could not be run as written.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// The case says something that cannot be meant: a field that does not exist, a value of
    /// the wrong kind, a file it names that is not there.
    #[error("{}: {message}", file.display())]
    Malformed { file: PathBuf, message: String },
    /// The scratch folder could not be set up or read.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// The workflow's store in the scratch folder could not be read.
    #[error("{what}: {source}")]
    Storage {
        what: String,
        #[source]
        source: wharf_engine::storage::StorageError,
    },
}

impl CaseError {
    pub(crate) fn malformed(file: &Path, message: impl Into<String>) -> CaseError {
        CaseError::Malformed {
            file: file.to_path_buf(),
            message: message.into(),
        }
    }

    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> CaseError {
        CaseError::Io {
            what: what.into(),
            source,
        }
    }

    pub(crate) fn storage(
        what: impl Into<String>,
        source: wharf_engine::storage::StorageError,
    ) -> CaseError {
        CaseError::Storage {
            what: what.into(),
            source,
        }
    }
}

/// One way reality differed from the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Where: `run 2: task `copy``, `run 1: file `out/a.csv``.
    pub place: String,
    /// How, possibly over several lines (a diff of a file's content).
    pub detail: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines = self.detail.lines();
        write!(f, "{}: {}", self.place, lines.next().unwrap_or_default())?;
        for line in lines {
            write!(f, "\n    {line}")?;
        }
        Ok(())
    }
}

/// How a case went.
#[derive(Debug)]
pub enum Outcome {
    Passed,
    Failed(Vec<Difference>),
    Malformed(CaseError),
}

/// A case's outcome, for the report.
#[derive(Debug)]
pub struct CaseReport {
    pub dir: PathBuf,
    pub description: Option<String>,
    pub outcome: Outcome,
    pub elapsed: Duration,
    /// The scratch folder, when kept.
    pub scratch: Option<PathBuf>,
}

impl fmt::Display for CaseReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = match &self.outcome {
            Outcome::Passed => "PASS ",
            Outcome::Failed(_) => "FAIL ",
            Outcome::Malformed(_) => "ERROR",
        };
        write!(
            f,
            "{status} {} ({:.2} s)",
            self.dir.display(),
            self.elapsed.as_secs_f64()
        )?;
        match &self.outcome {
            Outcome::Passed => {}
            Outcome::Failed(differences) => {
                if let Some(description) = &self.description {
                    write!(f, "\n  {}", description.trim())?;
                }
                for difference in differences {
                    write!(f, "\n  {}", difference.to_string().replace('\n', "\n  "))?;
                }
            }
            Outcome::Malformed(error) => write!(
                f,
                "\n  malformed case: {}",
                error.to_string().replace('\n', "\n  ")
            )?,
        }
        if let Some(scratch) = &self.scratch {
            write!(f, "\n  scratch folder: {}", scratch.display())?;
        }
        Ok(())
    }
}

/// The counts of a set of reports.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub malformed: usize,
}

impl Summary {
    pub fn of(reports: &[CaseReport]) -> Summary {
        let mut summary = Summary::default();
        for report in reports {
            match report.outcome {
                Outcome::Passed => summary.passed += 1,
                Outcome::Failed(_) => summary.failed += 1,
                Outcome::Malformed(_) => summary.malformed += 1,
            }
        }
        summary
    }

    /// `wharf test`'s exit code: 2 when a case is malformed, else 1 when one failed, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.malformed > 0 {
            2
        } else if self.failed > 0 {
            1
        } else {
            0
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.passed + self.failed + self.malformed;
        write!(
            f,
            "{total} case{}: {} passed, {} failed",
            if total == 1 { "" } else { "s" },
            self.passed,
            self.failed
        )?;
        if self.malformed > 0 {
            write!(f, ", {} malformed", self.malformed)?;
        }
        Ok(())
    }
}

/// The case folders in `dirs`: each one that holds a `case.yaml`, else its sub-folders that do,
/// in name order. A folder with neither, or a sub-folder holding a workflow but no `case.yaml`,
/// is an error: a case that silently did not run would pass unnoticed.
pub fn discover(dirs: &[PathBuf]) -> Result<Vec<PathBuf>, CaseError> {
    let mut cases = Vec::new();
    for dir in dirs {
        if dir.join(CASE_FILE).is_file() {
            cases.push(dir.clone());
            continue;
        }
        let entries = std::fs::read_dir(dir)
            .map_err(|e| CaseError::io(format!("reading the folder {}", dir.display()), e))?;
        let mut found: Vec<PathBuf> = Vec::new();
        for entry in entries {
            let entry =
                entry.map_err(|e| CaseError::io(format!("reading {}", dir.display()), e))?;
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            if path.join(CASE_FILE).is_file() {
                found.push(path);
            } else if path.join("workflow.yaml").is_file() {
                return Err(CaseError::malformed(
                    &path.join(CASE_FILE),
                    "missing: the folder holds a workflow.yaml but no case.yaml saying what it must do",
                ));
            }
        }
        if found.is_empty() {
            return Err(CaseError::malformed(
                dir,
                "no cases: neither it nor a sub-folder holds a case.yaml",
            ));
        }
        found.sort();
        cases.extend(found);
    }
    Ok(cases)
}

/// Runs the case in `dir`.
pub fn run_case(dir: &Path, config: &Config) -> CaseReport {
    let started = Instant::now();
    let (description, outcome, scratch) = match run::run(dir, config) {
        Ok(run) => (run.description, run.outcome, run.scratch),
        Err(error) => (None, Outcome::Malformed(error), None),
    };
    CaseReport {
        dir: dir.to_path_buf(),
        description,
        outcome,
        elapsed: started.elapsed(),
        scratch,
    }
}
