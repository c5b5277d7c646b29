//! Running a component natively, as the host would, for unit tests (not on WebAssembly).
//!
//! The host's other interfaces have native stand-ins already: [`crate::state`] is an
//! in-memory map per thread and [`crate::log`] lines are kept here ([`take_logs`]) as well as
//! printed to stderr. Paths in settings are the test's own absolute paths (a temporary
//! folder), where inside the host they are paths under the working directory, `/`.

use crate::{Condition, CurrentItem, Failure, Repeater, Task, TaskInfo, TaskResult};

fn pairs<K: AsRef<str>, V: AsRef<str>>(settings: &[(K, V)]) -> Vec<(String, String)> {
    settings
        .iter()
        .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
        .collect()
}

/// Runs a task on name/value settings, as `wharf run` passes them (defaults are the task's).
pub fn run<T: Task, K: AsRef<str>, V: AsRef<str>>(settings: &[(K, V)]) -> TaskResult {
    T::run(pairs(settings))
}

/// Lists a repeater's items for name/value settings.
pub fn items<T: Repeater, K: AsRef<str>, V: AsRef<str>>(
    settings: &[(K, V)],
) -> Result<Vec<CurrentItem>, Failure> {
    T::items(pairs(settings))
}

/// Evaluates a condition for name/value settings.
pub fn evaluate<T: Condition, K: AsRef<str>, V: AsRef<str>>(
    settings: &[(K, V)],
) -> Result<bool, Failure> {
    T::evaluate(pairs(settings))
}

/// What a task says about itself (`wharf tasks`).
pub fn describe<T: Task>() -> TaskInfo {
    T::describe()
}

/// What a repeater says about itself.
pub fn describe_repeater<T: Repeater>() -> TaskInfo {
    T::describe()
}

/// What a condition says about itself.
pub fn describe_condition<T: Condition>() -> TaskInfo {
    T::describe()
}

/// The log lines this thread wrote since the last call, as `LEVEL message`
/// (`WARNING skipped …`), oldest first.
pub fn take_logs() -> Vec<String> {
    crate::log::take_native()
}
