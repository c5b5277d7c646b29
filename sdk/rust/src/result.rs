//! Constructors for task outcomes.

use crate::{Counts, Failure, ResultCode, TaskResult};

impl ResultCode {
    /// `success`, `success-data` and `success-no-data` count as successful (docs/zynk-reference.md §1.5).
    pub fn is_success(self) -> bool {
        matches!(
            self,
            ResultCode::Success | ResultCode::SuccessData | ResultCode::SuccessNoData
        )
    }
}

impl Counts {
    /// Records read, written and failed.
    pub fn new(records_in: u64, records_out: u64, records_failed: u64) -> Self {
        Self {
            records_in,
            records_out,
            records_failed,
        }
    }
}

impl TaskResult {
    /// A result with `code` and `message`, no outputs and zero counts.
    pub fn new(code: ResultCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            outputs: Vec::new(),
            counts: Counts::new(0, 0, 0),
        }
    }

    /// Completed.
    pub fn success(message: impl Into<String>) -> Self {
        Self::new(ResultCode::Success, message)
    }

    /// Completed and produced data.
    pub fn success_data(message: impl Into<String>) -> Self {
        Self::new(ResultCode::SuccessData, message)
    }

    /// Completed with nothing to process or produce.
    pub fn success_no_data(message: impl Into<String>) -> Self {
        Self::new(ResultCode::SuccessNoData, message)
    }

    /// Failed; `message` says what went wrong and, where it applies, which setting.
    pub fn fail(message: impl Into<String>) -> Self {
        Self::new(ResultCode::Fail, message)
    }

    /// The input (file, record, remote object) is missing.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ResultCode::NotFound, message)
    }

    /// Not finished: waiting for something outside Wharf (`message` says what). The task's
    /// state is kept and the run suspends here; the workflow's next run runs the task again.
    pub fn waiting(message: impl Into<String>) -> Self {
        Self::new(ResultCode::Waiting, message)
    }

    /// Adds a named output, available to later tasks as `{{ outputs.<task id>.<name> }}`.
    pub fn with_output(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.outputs.push((name.into(), value.into()));
        self
    }

    /// Sets the records read, written and failed.
    pub fn with_counts(mut self, records_in: u64, records_out: u64, records_failed: u64) -> Self {
        self.counts = Counts::new(records_in, records_out, records_failed);
        self
    }

    /// Whether the code counts as successful.
    pub fn is_success(&self) -> bool {
        self.code.is_success()
    }
}

impl Failure {
    /// A failure with `code` and `message`.
    pub fn new(code: ResultCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// Failed; `message` says what went wrong.
    pub fn fail(message: impl Into<String>) -> Self {
        Self::new(ResultCode::Fail, message)
    }

    /// The input is missing.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ResultCode::NotFound, message)
    }
}

/// Lets a plain task write its logic as `Result<TaskResult, Failure>` and use `?`.
impl From<Failure> for TaskResult {
    fn from(failure: Failure) -> Self {
        Self::new(failure.code, failure.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_set_codes() {
        assert_eq!(TaskResult::success("").code, ResultCode::Success);
        assert_eq!(TaskResult::success_data("").code, ResultCode::SuccessData);
        assert_eq!(
            TaskResult::success_no_data("").code,
            ResultCode::SuccessNoData
        );
        assert_eq!(TaskResult::fail("").code, ResultCode::Fail);
        assert_eq!(TaskResult::not_found("").code, ResultCode::NotFound);
        assert!(TaskResult::success_no_data("").is_success());
        assert!(!TaskResult::not_found("").is_success());
    }

    #[test]
    fn outputs_and_counts_are_kept() {
        let result = TaskResult::success_data("2 files")
            .with_output("files", "2")
            .with_counts(5, 4, 1);
        assert_eq!(result.message, "2 files");
        assert_eq!(result.outputs, [("files".to_owned(), "2".to_owned())]);
        assert_eq!(
            (
                result.counts.records_in,
                result.counts.records_out,
                result.counts.records_failed
            ),
            (5, 4, 1)
        );
    }

    #[test]
    fn failure_becomes_a_result_with_its_code() {
        let result = TaskResult::from(Failure::not_found("input file `/a` does not exist"));
        assert_eq!(result.code, ResultCode::NotFound);
        assert_eq!(result.message, "input file `/a` does not exist");
    }
}
