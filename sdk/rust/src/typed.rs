//! Tasks written as a settings struct and one function: [`TypedTask`], [`TypedRepeater`],
//! [`TypedCondition`]. Each is also the raw WIT export ([`crate::Task`], [`crate::Repeater`],
//! [`crate::Condition`]), so `export_task!` and friends take them as they are.

use crate::{CurrentItem, Failure, Settings, TaskInfo, TaskResult, TaskSettings};

/// Why a task, repeater or condition did not succeed: a result code (`fail`, `not-found` …)
/// and a message that names the setting or file at fault. A [`crate::SettingError`] converts
/// into one, so `?` works on settings checks; build others with [`Failure::fail`] and
/// [`Failure::not_found`].
pub type TaskError = Failure;

/// A plain task: its name, its documentation, its settings struct and what it does.
pub trait TypedTask {
    /// The task's name in workflows, kebab-case (`copy-file`).
    const NAME: &'static str;
    /// What the task does, one sentence for `wharf tasks`.
    const DOC: &'static str;
    /// The host capabilities the task needs beyond its working directory (`sftp`, `sage`,
    /// `http`, `archive`).
    const CAPABILITIES: &'static [&'static str] = &[];
    /// The kinds of truth record the task looks up or records (see [`TaskInfo::truth_kinds`]).
    const TRUTH_KINDS: &'static [&'static str] = &[];
    /// The settings, declared with `#[derive(TaskSettings)]`.
    type Settings: TaskSettings;

    /// Runs the task on settings that parsed.
    fn run(settings: Self::Settings) -> Result<TaskResult, TaskError>;
}

/// A repeater: the host runs its children once per item [`items`](TypedRepeater::items)
/// returns, with the item's values as the `current` variables.
pub trait TypedRepeater {
    /// The repeater's name in workflows, kebab-case (`file-repeater`).
    const NAME: &'static str;
    /// What the repeater does, one sentence for `wharf tasks`.
    const DOC: &'static str;
    /// The host capabilities the repeater needs beyond its working directory.
    const CAPABILITIES: &'static [&'static str] = &[];
    /// The names of the `current` variables every item sets.
    const CURRENT_VARIABLES: &'static [&'static str];
    /// The settings, declared with `#[derive(TaskSettings)]`.
    type Settings: TaskSettings;

    /// Lists every item up front.
    fn items(settings: Self::Settings) -> Result<Vec<CurrentItem>, TaskError>;
}

/// A condition: the host runs the children when the answer equals the task's `equal-to`.
pub trait TypedCondition {
    /// The condition's name in workflows, kebab-case (`if-file-exists`).
    const NAME: &'static str;
    /// What the condition tests, one sentence for `wharf tasks`.
    const DOC: &'static str;
    /// The host capabilities the condition needs beyond its working directory.
    const CAPABILITIES: &'static [&'static str] = &[];
    /// The settings, declared with `#[derive(TaskSettings)]`.
    type Settings: TaskSettings;

    /// Answers the question.
    fn evaluate(settings: Self::Settings) -> Result<bool, TaskError>;
}

fn info<S: TaskSettings>(name: &str, doc: &str, capabilities: &[&str]) -> TaskInfo {
    let mut info = TaskInfo::new(name, doc);
    info.settings = S::specs();
    info.capabilities = capabilities.iter().map(|c| (*c).to_owned()).collect();
    info
}

fn parse<S: TaskSettings>(values: Vec<(String, String)>) -> Result<S, Failure> {
    S::parse(&Settings::new(values)).map_err(Failure::from)
}

impl<T: TypedTask> crate::Task for T {
    fn describe() -> TaskInfo {
        info::<T::Settings>(T::NAME, T::DOC, T::CAPABILITIES).truth_kinds(T::TRUTH_KINDS)
    }

    fn run(settings: Vec<(String, String)>) -> TaskResult {
        parse(settings)
            .and_then(T::run)
            .unwrap_or_else(TaskResult::from)
    }
}

impl<T: TypedRepeater> crate::Repeater for T {
    fn describe() -> TaskInfo {
        info::<T::Settings>(T::NAME, T::DOC, T::CAPABILITIES)
            .current_variables(T::CURRENT_VARIABLES)
    }

    fn items(settings: Vec<(String, String)>) -> Result<Vec<CurrentItem>, Failure> {
        parse(settings).and_then(T::items)
    }
}

impl<T: TypedCondition> crate::Condition for T {
    fn describe() -> TaskInfo {
        info::<T::Settings>(T::NAME, T::DOC, T::CAPABILITIES)
    }

    fn evaluate(settings: Vec<(String, String)>) -> Result<bool, Failure> {
        parse(settings).and_then(T::evaluate)
    }
}
