//! What a component says about itself (`describe`), as plain host types.

use super::bindings::types as wit;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaskKind {
    /// Runs once and returns a result.
    Plain,
    /// Lists items; the host runs its children once per item.
    Repeater,
    /// Answers true or false; the host runs its children or its else branch.
    Condition,
}

impl fmt::Display for TaskKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaskKind::Plain => "task",
            TaskKind::Repeater => "repeater",
            TaskKind::Condition => "condition",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SettingKind {
    Text,
    File,
    Folder,
    Integer,
    Boolean,
    Choice,
    DateTime,
}

impl fmt::Display for SettingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SettingKind::Text => "text",
            SettingKind::File => "file",
            SettingKind::Folder => "folder",
            SettingKind::Integer => "integer",
            SettingKind::Boolean => "boolean",
            SettingKind::Choice => "choice",
            SettingKind::DateTime => "date-time",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingSpec {
    pub name: String,
    pub doc: String,
    pub kind: SettingKind,
    pub required: bool,
    pub default_value: Option<String>,
    pub allowed_values: Vec<String>,
    /// For integers: the smallest and largest accepted value.
    #[serde(default)]
    pub minimum: Option<i64>,
    #[serde(default)]
    pub maximum: Option<i64>,
    /// When given, the value must not be empty or only spaces.
    #[serde(default)]
    pub non_empty: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskInfo {
    pub name: String,
    pub doc: String,
    pub kind: TaskKind,
    pub settings: Vec<SettingSpec>,
    pub current_variables: Vec<String>,
    pub capabilities: Vec<String>,
    /// The kinds of truth record the task looks up or records (a kind covers its `<kind>#…`
    /// sub-kinds): all a remote run of it is sent.
    #[serde(default)]
    pub truth_kinds: Vec<String>,
}

impl TaskInfo {
    pub fn setting(&self, name: &str) -> Option<&SettingSpec> {
        self.settings.iter().find(|s| s.name == name)
    }

    pub(crate) fn from_wit(kind: TaskKind, i: wit::TaskInfo) -> TaskInfo {
        TaskInfo {
            name: i.name,
            doc: i.doc,
            kind,
            settings: i
                .settings
                .into_iter()
                .map(|s| SettingSpec {
                    name: s.name,
                    doc: s.doc,
                    kind: match s.kind {
                        wit::SettingKind::Text => SettingKind::Text,
                        wit::SettingKind::File => SettingKind::File,
                        wit::SettingKind::Folder => SettingKind::Folder,
                        wit::SettingKind::Integer => SettingKind::Integer,
                        wit::SettingKind::Boolean => SettingKind::Boolean,
                        wit::SettingKind::Choice => SettingKind::Choice,
                        wit::SettingKind::DateTime => SettingKind::DateTime,
                    },
                    required: s.required,
                    default_value: s.default_value,
                    allowed_values: s.allowed_values,
                    minimum: s.minimum,
                    maximum: s.maximum,
                    non_empty: s.non_empty,
                })
                .collect(),
            current_variables: i.current_variables,
            capabilities: i.capabilities,
            truth_kinds: i.truth_kinds,
        }
    }
}

/// Whether `kind` is one of `declared` or a `<declared>#…` sub-kind of one.
pub fn truth_kind_declared(declared: &[String], kind: &str) -> bool {
    declared.iter().any(|d| {
        kind.strip_prefix(d.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('#'))
    })
}
