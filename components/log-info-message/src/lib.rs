//! Log Info Message (docs/file-tasks.md): writes a message, usually a template over the
//! workflow's variables or an earlier task's outputs, into the run's log and its report line.

use wharf_guest::{TaskError, TaskResult, TaskSettings, TypedTask, log};

/// The settings of `log-info-message`.
#[derive(Debug, Clone, TaskSettings)]
pub struct LogInfoMessageSettings {
    /// The message (templates such as `{{ current.Name }}` are rendered first).
    pub input: String,
}

/// The component; exported to the host on WebAssembly.
pub struct LogInfoMessage;

impl TypedTask for LogInfoMessage {
    const NAME: &'static str = "log-info-message";
    const DOC: &'static str = "Writes a message into the run's log and report.";
    type Settings = LogInfoMessageSettings;

    fn run(settings: LogInfoMessageSettings) -> Result<TaskResult, TaskError> {
        Ok(run(&settings))
    }
}

wharf_guest::export_task!(LogInfoMessage);

/// The task: the message goes to the log (every line of it) and is the result's message, so
/// the run report shows it beside the task.
pub fn run(settings: &LogInfoMessageSettings) -> TaskResult {
    let message = settings.input.trim_end();
    log::info(message);
    TaskResult::success(message).with_output("message", message)
}

#[cfg(test)]
mod tests {
    use wharf_guest::{ResultCode, testing};

    use super::*;

    #[test]
    fn logs_and_reports_the_message() {
        let info = testing::describe::<LogInfoMessage>();
        assert_eq!(info.settings.len(), 1);
        assert_eq!(info.settings[0].name, "input");
        testing::take_logs();
        let result = testing::run::<LogInfoMessage, _, _>(&[("input", "3 orders imported\n")]);
        assert_eq!(result.code, ResultCode::Success);
        assert_eq!(result.message, "3 orders imported");
        assert!(
            testing::take_logs()
                .iter()
                .any(|l| l.contains("3 orders imported"))
        );
        let result = testing::run::<LogInfoMessage, _, _>(&[("input", "")]);
        assert_eq!(result.code, ResultCode::Success);
        let result = testing::run::<LogInfoMessage, &str, &str>(&[]);
        assert_eq!(result.code, ResultCode::Fail);
        assert!(result.message.contains("`input`"), "{}", result.message);
    }
}
