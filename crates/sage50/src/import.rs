//! The import pattern (docs/zynk-reference.md §2.0, §3.7): read the input, hand it to Sage, write both
//! files, map the outcome to a result code.

use std::io::ErrorKind;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use wharf_guest::{TaskResult, TaskSettings, log};

use crate::files::{EMPTY_DOCUMENT, Flush, write_document};
use crate::sage::ImportOutcome;

/// Warnings logged one per line; the rest are summarised (the run record keeps the log small).
const WARNINGS_LOGGED: usize = 50;

/// What an import imports: the words its settings and messages use.
pub trait Records {
    /// Plural, lower case: `sales orders`.
    const RECORDS: &'static str;
    /// The `input-file` setting's documentation.
    const INPUT_DOC: &'static str;
    /// The `success-file` setting's documentation.
    const SUCCESS_DOC: &'static str;
    /// The `fail-file` setting's documentation.
    const FAIL_DOC: &'static str;
}

/// The files of an import of `R`: the settings `input-file`, `success-file` and `fail-file`.
#[derive(Debug, Clone, PartialEq, Eq, TaskSettings)]
pub struct ImportFiles<R: Records> {
    #[setting(doc = R::INPUT_DOC)]
    pub input_file: PathBuf,
    #[setting(doc = R::SUCCESS_DOC)]
    pub success_file: PathBuf,
    #[setting(doc = R::FAIL_DOC)]
    pub fail_file: PathBuf,
    #[setting(skip)]
    pub records: PhantomData<R>,
}

impl<R: Records> ImportFiles<R> {
    /// Writes both documents; the message names the setting whose file could not be written.
    fn write(&self, success: &str, fail: &str) -> Result<(), String> {
        let write = |setting: &str, path: &Path, text: &str| {
            write_document(path, text, Flush::Unsynced).map_err(|e| {
                format!(
                    "setting `{setting}`: cannot write `{}`: {e}",
                    path.display()
                )
            })
        };
        write("success-file", &self.success_file, success)?;
        write("fail-file", &self.fail_file, fail)
    }
}

/// Runs an import: `import` gets the input file's bytes and returns what Sage made of them.
///
/// Result codes (docs/zynk-reference.md §2.0): input missing → `not-found`; no records → `success-no-data`; at least
/// one record processed → `success-data`, even when some failed (they are in the fail file); the
/// import could not run, or stopped part-way → `fail`. Both files are written in every case
/// once the settings are valid — emptied when nothing was imported — so a later If File Exists
/// never sees a previous run's success file.
pub fn run_import<R: Records>(
    files: &ImportFiles<R>,
    import: impl FnOnce(&[u8]) -> Result<ImportOutcome, String>,
) -> TaskResult {
    let records = R::RECORDS;
    let empty = |result: TaskResult| match files.write(EMPTY_DOCUMENT, EMPTY_DOCUMENT) {
        Ok(()) => result,
        Err(message) => TaskResult::fail(format!("{}; also {message}", result.message)),
    };
    let input = match std::fs::read(&files.input_file) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return empty(TaskResult::not_found(format!(
                "setting `input-file`: file `{}` does not exist",
                files.input_file.display()
            )));
        }
        Err(e) => {
            return empty(TaskResult::fail(format!(
                "setting `input-file`: cannot read `{}`: {e}",
                files.input_file.display()
            )));
        }
    };
    let outcome = match import(&input) {
        Ok(outcome) => outcome,
        Err(message) => return empty(TaskResult::fail(format!("Sage: {message}"))),
    };
    if let Err(message) = files.write(&outcome.success_document, &outcome.fail_document) {
        return TaskResult::fail(message);
    }
    for warning in outcome.warnings.iter().take(WARNINGS_LOGGED) {
        log::warn(warning);
    }
    if outcome.warnings.len() > WARNINGS_LOGGED {
        log::warn(format!(
            "{} more warnings not shown",
            outcome.warnings.len() - WARNINGS_LOGGED
        ));
    }
    let counts = &outcome.counts;
    let summary = format!(
        "{} {} read: {} imported, {} failed",
        counts.records_read, records, counts.imported, counts.failed
    );
    if counts.failed > 0 {
        log::info(format!(
            "{} {} went to the fail file `{}` with the reasons",
            counts.failed,
            records,
            files.fail_file.display()
        ));
    }
    let result = match &outcome.aborted {
        Some(reason) => TaskResult::fail(format!("the import stopped: {reason} ({summary})")),
        None if counts.records_read == 0 => TaskResult::success_no_data(format!(
            "no {} in `{}`",
            records,
            files.input_file.display()
        )),
        None => TaskResult::success_data(summary),
    };
    result
        .with_counts(counts.records_read, counts.imported, counts.failed)
        .with_output("imported", counts.imported.to_string())
        .with_output("failed", counts.failed.to_string())
        .with_output("customers-created", counts.customers_created.to_string())
        .with_output("products-created", counts.products_created.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sage::ImportCounts;
    use wharf_guest::ResultCode;

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Orders;

    impl Records for Orders {
        const RECORDS: &'static str = "sales orders";
        const INPUT_DOC: &'static str = "In.";
        const SUCCESS_DOC: &'static str = "Success.";
        const FAIL_DOC: &'static str = "Fail.";
    }

    struct Workdir {
        dir: tempfile::TempDir,
    }

    impl Workdir {
        fn new() -> Self {
            Workdir {
                dir: tempfile::tempdir().unwrap(),
            }
        }

        fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }

        fn files(&self) -> [PathBuf; 3] {
            [
                self.path("in.xml"),
                self.path("ok/success.xml"),
                self.path("fail.xml"),
            ]
        }

        fn read(&self, name: &str) -> String {
            std::fs::read_to_string(self.path(name)).unwrap()
        }
    }

    fn files([input_file, success_file, fail_file]: [PathBuf; 3]) -> ImportFiles<Orders> {
        ImportFiles {
            input_file,
            success_file,
            fail_file,
            records: PhantomData,
        }
    }

    fn outcome(read: u64, imported: u64, failed: u64, aborted: Option<&str>) -> ImportOutcome {
        ImportOutcome {
            success_document: format!("<success {imported}/>"),
            fail_document: format!("<fail {failed}/>"),
            counts: ImportCounts {
                records_read: read,
                imported,
                failed,
                customers_created: 1,
                customers_updated: 0,
                products_created: 0,
            },
            warnings: vec!["currency ignored".into()],
            aborted: aborted.map(str::to_owned),
        }
    }

    #[test]
    fn a_missing_input_is_not_found_and_empties_both_files() {
        let wd = Workdir::new();
        std::fs::create_dir_all(wd.path("ok")).unwrap();
        std::fs::write(wd.path("ok/success.xml"), "an earlier run's orders").unwrap();
        let result = run_import(&files(wd.files()), |_| unreachable!("no input to import"));
        assert_eq!(result.code, ResultCode::NotFound);
        assert!(
            result.message.starts_with("setting `input-file`"),
            "{}",
            result.message
        );
        assert_eq!(wd.read("ok/success.xml"), EMPTY_DOCUMENT);
        assert_eq!(wd.read("fail.xml"), EMPTY_DOCUMENT);
    }

    #[test]
    fn records_processed_is_success_data_even_with_failures() {
        let wd = Workdir::new();
        std::fs::write(wd.path("in.xml"), "<Company/>").unwrap();
        let result = run_import(&files(wd.files()), |bytes| {
            assert_eq!(bytes, b"<Company/>");
            Ok(outcome(3, 2, 1, None))
        });
        assert_eq!(result.code, ResultCode::SuccessData, "{}", result.message);
        assert_eq!(result.message, "3 sales orders read: 2 imported, 1 failed");
        assert_eq!(
            (
                result.counts.records_in,
                result.counts.records_out,
                result.counts.records_failed
            ),
            (3, 2, 1)
        );
        assert!(result.outputs.contains(&("imported".into(), "2".into())));
        assert_eq!(wd.read("ok/success.xml"), "<success 2/>");
        assert_eq!(wd.read("fail.xml"), "<fail 1/>");
    }

    #[test]
    fn no_records_is_success_no_data_with_both_files() {
        let wd = Workdir::new();
        std::fs::write(wd.path("in.xml"), "<Company/>").unwrap();
        let result = run_import(&files(wd.files()), |_| Ok(outcome(0, 0, 0, None)));
        assert_eq!(result.code, ResultCode::SuccessNoData);
        assert!(wd.path("ok/success.xml").exists() && wd.path("fail.xml").exists());
    }

    #[test]
    fn a_stopped_import_fails_but_keeps_what_it_imported() {
        let wd = Workdir::new();
        std::fs::write(wd.path("in.xml"), "<Company/>").unwrap();
        let result = run_import(&files(wd.files()), |_| {
            Ok(outcome(5, 2, 3, Some("the truth store failed")))
        });
        assert_eq!(result.code, ResultCode::Fail);
        assert!(
            result.message.contains("the truth store failed"),
            "{}",
            result.message
        );
        assert_eq!(wd.read("ok/success.xml"), "<success 2/>");
    }

    #[test]
    fn sage_refusing_the_call_fails_with_its_reason() {
        let wd = Workdir::new();
        std::fs::write(wd.path("in.xml"), "<Company/>").unwrap();
        let result = run_import(&files(wd.files()), |_| {
            Err("not permitted: grant `sage`".into())
        });
        assert_eq!(result.code, ResultCode::Fail);
        assert_eq!(result.message, "Sage: not permitted: grant `sage`");
        assert_eq!(wd.read("fail.xml"), EMPTY_DOCUMENT);
    }
}

#[cfg(test)]
mod spec_tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Customers;

    impl Records for Customers {
        const RECORDS: &'static str = "customers";
        const INPUT_DOC: &'static str = "Customers in.";
        const SUCCESS_DOC: &'static str = "Customers accepted.";
        const FAIL_DOC: &'static str = "Customers refused.";
    }

    #[test]
    fn the_files_are_documented_by_their_records() {
        let specs = ImportFiles::<Customers>::specs();
        let described: Vec<(&str, &str, bool)> = specs
            .iter()
            .map(|s| (s.name.as_str(), s.doc.as_str(), s.required && s.non_empty))
            .collect();
        assert_eq!(
            described,
            [
                ("input-file", "Customers in.", true),
                ("success-file", "Customers accepted.", true),
                ("fail-file", "Customers refused.", true)
            ]
        );
        let error = ImportFiles::<Customers>::from_pairs(&[("input-file", "in.xml")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "setting `input-file`: expected an absolute path inside the working directory, got `in.xml`"
        );
    }
}
