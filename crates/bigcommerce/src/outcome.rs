//! What an update task did with its records: those applied, those left alone because the truth
//! records say they were already applied, and those that failed with the reason; written to the
//! success and fail files in the input's own element names.

use std::path::{Path, PathBuf};

use wharf_guest::{ResultCode, TaskResult};

use crate::xml::{Document, Record};

#[derive(Debug, Default)]
pub struct Outcome {
    pub applied: Vec<Record>,
    pub skipped: u64,
    pub failed: Vec<(Record, String)>,
}

/// Where and how an update task writes its success and fail files.
pub struct Files {
    pub root: &'static str,
    pub record: &'static str,
    pub success: Option<PathBuf>,
    pub fail: Option<PathBuf>,
}

impl Outcome {
    /// The task's result: `summary(applied, skipped, failed)` then the first failure, named by
    /// the record's `key` field. Success when the files are written, even with failed records
    /// (they are in the fail file; the run report says so).
    pub fn result(
        self,
        files: &Files,
        key: &str,
        summary: impl FnOnce(usize, u64, usize) -> String,
    ) -> TaskResult {
        if let Err(e) = self.write(files) {
            return TaskResult::fail(e);
        }
        let total = self.applied.len() as u64 + self.skipped + self.failed.len() as u64;
        let mut message = summary(self.applied.len(), self.skipped, self.failed.len());
        if let Some((record, why)) = self.failed.first() {
            message.push_str(&format!(
                "; {key} {}: {why}",
                record.get(key).unwrap_or("(none)")
            ));
        }
        let code = if total == 0 {
            ResultCode::SuccessNoData
        } else {
            ResultCode::Success
        };
        TaskResult::new(code, message).with_counts(
            total,
            self.applied.len() as u64,
            self.failed.len() as u64,
        )
    }

    fn write(&self, files: &Files) -> Result<(), String> {
        let write = |path: &Path, records: &mut dyn Iterator<Item = (&Record, Option<&str>)>| {
            let io = |e: std::io::Error| format!("cannot write `{}`: {e}", path.display());
            let mut document = Document::create(path, files.root).map_err(io)?;
            for (record, error) in records {
                let extra: Vec<(&str, &str)> = error.map(|e| ("error", e)).into_iter().collect();
                document.record(files.record, record, &extra).map_err(io)?;
            }
            document.finish().map_err(io)
        };
        if let Some(path) = &files.success {
            write(path, &mut self.applied.iter().map(|r| (r, None)))
                .map_err(|e| format!("setting `success-file`: {e}"))?;
        }
        if let Some(path) = &files.fail {
            write(
                path,
                &mut self.failed.iter().map(|(r, e)| (r, Some(e.as_str()))),
            )
            .map_err(|e| format!("setting `fail-file`: {e}"))?;
        }
        Ok(())
    }
}
