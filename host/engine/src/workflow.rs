//! Workflow files (YAML): properties, variables and a tree of tasks, containers, repeaters,
//! conditions with an else branch, and switches on the previous result code.
//!
//! ```yaml
//! name: Quickstart
//! resume-on-failure: true
//! use-mutex: true
//! variables: { ChunkFolder: chunks }
//! tasks:
//!   - task: split-xml
//!     id: split
//!     settings: { input-file: products.xml, xpath-query: /Company/Products/Product, output-folder: "{{ ChunkFolder }}" }
//!   - task: file-repeater
//!     settings: { input-directory: "{{ ChunkFolder }}" }
//!     tasks:
//!       - task: if-file-exists
//!         settings: { input-file: "{{ current.FullName }}", minimum-length: 600 }
//!         tasks: [ ... ]
//!         else: [ ... ]
//! ```

use crate::limits::{
    LimitOverrides, MAX_SETTING_BYTES, MAX_WORKFLOW_BYTES, human_size, read_text_at_most,
};
use crate::record::ResultCode;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

/// A problem in a workflow file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowError {
    pub file: PathBuf,
    /// 1-based; 0 when the place is not known.
    pub line: u64,
    pub message: String,
}

impl fmt::Display for WorkflowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
        } else {
            write!(f, "{}: {}", self.file.display(), self.message)
        }
    }
}

impl std::error::Error for WorkflowError {}

/// A list of problems, reported together so a person can fix them in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowErrors(pub Vec<WorkflowError>);

impl fmt::Display for WorkflowErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for WorkflowErrors {}

/// How long run history is kept (docs/zynk-reference.md §1.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct History {
    pub keep: HistoryKeep,
    pub number: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HistoryKeep {
    /// Drop runs older than `number` days.
    Days,
    /// Keep the newest `number` runs.
    Runs,
}

impl Default for History {
    fn default() -> Self {
        History {
            keep: HistoryKeep::Days,
            number: 90,
        }
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct WorkflowFile {
    name: String,
    id: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default = "yes")]
    resume_on_failure: bool,
    #[serde(default)]
    use_mutex: bool,
    #[serde(default)]
    history: History,
    #[serde(default)]
    variables: BTreeMap<String, Spanned<serde_json::Value>>,
    #[serde(default)]
    limits: LimitOverrides,
    working_directory: Option<String>,
    schedule: Option<crate::schedule::ScheduleFile>,
    on_failure: Option<crate::notice::OnFailure>,
    tasks: Vec<NodeFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct NodeFile {
    task: Option<Spanned<String>>,
    container: Option<Spanned<String>>,
    switch: Option<Spanned<BTreeMap<String, Vec<NodeFile>>>>,
    id: Option<String>,
    name: Option<String>,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default = "yes")]
    break_on_failure: bool,
    #[serde(default = "yes")]
    can_resume: bool,
    equal_to: Option<bool>,
    #[serde(default)]
    settings: BTreeMap<String, Spanned<serde_json::Value>>,
    #[serde(default)]
    limits: LimitOverrides,
    #[serde(default)]
    grants: Vec<String>,
    tasks: Option<Vec<NodeFile>>,
    #[serde(rename = "else")]
    else_tasks: Option<Vec<NodeFile>>,
}

/// A setting as written in the workflow: the raw text (a template) and its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingValue {
    pub text: String,
    pub line: u64,
}

/// Keys of a switch: a result code's kebab-case name, or `default`.
pub const SWITCH_KEYS: [&str; 8] = [
    "success",
    "success-data",
    "success-no-data",
    "fail",
    "not-found",
    "not-authorised",
    "cancelled",
    "default",
];

/// A node that runs a component: a plain task, a repeater or a condition. Which one is the
/// component's to say (its `describe()`), so it is known once the component is loaded.
#[derive(Debug, Clone)]
pub struct TaskNode {
    pub component: String,
    pub settings: BTreeMap<String, SettingValue>,
    /// For conditions: run the children when the answer equals this.
    pub equal_to: Option<bool>,
    /// Capabilities the workflow grants this task (e.g. `archive`).
    pub grants: Vec<String>,
    pub children: Option<Vec<Node>>,
    pub else_children: Option<Vec<Node>>,
}

#[derive(Debug, Clone)]
pub enum NodeKind {
    /// Runs a component.
    Task(TaskNode),
    /// Groups tasks; no settings.
    Container { children: Vec<Node> },
    /// Runs the branch named after the previous sibling's result code.
    Switch {
        branches: BTreeMap<String, Vec<Node>>,
    },
}

/// One node of the task tree, checked for shape.
#[derive(Debug, Clone)]
pub struct Node {
    /// Position in the tree: `2`, `2.0`, `2.0.e1` (else branch), `3.fail.0` (switch branch).
    pub path: String,
    /// Stable identity for state and outputs.
    pub id: String,
    pub name: String,
    pub line: u64,
    pub enabled: bool,
    pub break_on_failure: bool,
    pub can_resume: bool,
    pub limits: LimitOverrides,
    pub kind: NodeKind,
}

impl Node {
    /// Every direct child list (children, else branch, switch branches).
    pub fn child_lists(&self) -> Vec<&Vec<Node>> {
        match &self.kind {
            NodeKind::Task(TaskNode {
                children,
                else_children,
                ..
            }) => children.iter().chain(else_children.iter()).collect(),
            NodeKind::Container { children } => vec![children],
            NodeKind::Switch { branches } => branches.values().collect(),
        }
    }

    /// What the node is, for reports: the component name, `container` or `switch`.
    pub fn kind_name(&self) -> &str {
        match &self.kind {
            NodeKind::Task(task) => &task.component,
            NodeKind::Container { .. } => "container",
            NodeKind::Switch { .. } => "switch",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Workflow {
    pub file: PathBuf,
    /// The workflow's identity: its `id:`, else its name slugged (see [`crate::identity`]).
    pub id: String,
    pub name: String,
    pub description: String,
    pub resume_on_failure: bool,
    pub use_mutex: bool,
    pub history: History,
    pub variables: BTreeMap<String, String>,
    pub limits: LimitOverrides,
    /// Absolute, or relative to the workflow file.
    pub working_directory: Option<PathBuf>,
    /// When `wharf schedule` starts it (docs/schedule.md).
    pub schedule: Option<crate::schedule::Schedule>,
    /// Who hears about a failed run (docs/notify.md).
    pub on_failure: Option<crate::notice::OnFailure>,
    pub tasks: Vec<Node>,
}

impl Workflow {
    /// The name the workflow's data is kept under (its folder, its cloud keys): its identity,
    /// not its file name, so two `orders.yaml` in different folders keep apart.
    pub fn store_name(&self) -> String {
        self.id.clone()
    }

    /// Reads and parses a workflow file of at most [`MAX_WORKFLOW_BYTES`].
    pub fn load(path: &Path) -> Result<Workflow, WorkflowErrors> {
        Workflow::parse(path, &Workflow::read_text(path)?)
    }

    /// Reads a workflow file's text, at most [`MAX_WORKFLOW_BYTES`]: a larger file is refused
    /// after reading one byte past the limit, never read whole.
    pub fn read_text(path: &Path) -> Result<String, WorkflowErrors> {
        read_text_at_most(path, MAX_WORKFLOW_BYTES).map_err(|e| {
            WorkflowErrors(vec![WorkflowError {
                file: path.to_path_buf(),
                line: 0,
                message: format!("cannot read the workflow: {e}"),
            }])
        })
    }

    pub fn parse(path: &Path, text: &str) -> Result<Workflow, WorkflowErrors> {
        if text.len() as u64 > MAX_WORKFLOW_BYTES {
            return Err(WorkflowErrors(vec![WorkflowError {
                file: path.to_path_buf(),
                line: 0,
                message: format!(
                    "the workflow is larger than the maximum of {}",
                    human_size(MAX_WORKFLOW_BYTES)
                ),
            }]));
        }
        let file: WorkflowFile = serde_saphyr::from_str(text).map_err(|e| {
            WorkflowErrors(vec![WorkflowError {
                file: path.to_path_buf(),
                line: 0,
                message: e.to_string(),
            }])
        })?;
        let mut b = Builder {
            file: path.to_path_buf(),
            errors: Vec::new(),
            ids: HashMap::new(),
        };
        let mut variables = BTreeMap::new();
        for (k, v) in file.variables {
            if let Some(text) = b.scalar(&format!("variable `{k}`"), &v) {
                variables.insert(k, text);
            }
        }
        if file.tasks.is_empty() {
            b.error(0, "the workflow has no tasks".into());
        }
        let tasks = b.nodes(file.tasks, "");
        let id = crate::identity::workflow_id(file.id.as_deref(), &file.name).unwrap_or_else(|e| {
            b.error(0, e);
            String::new()
        });
        let schedule = file.schedule.and_then(|s| {
            s.check()
                .map_err(|problems| problems.into_iter().for_each(|p| b.error(0, p)))
                .ok()
        });
        if let Some(on_failure) = &file.on_failure {
            on_failure
                .problems()
                .into_iter()
                .for_each(|p| b.error(0, p));
        }
        if !b.errors.is_empty() {
            return Err(WorkflowErrors(b.errors));
        }
        let working_directory = file.working_directory.map(|d| {
            let d = PathBuf::from(d);
            if d.is_absolute() {
                d
            } else {
                path.parent().unwrap_or(Path::new(".")).join(d)
            }
        });
        Ok(Workflow {
            file: path.to_path_buf(),
            id,
            name: file.name,
            description: file.description,
            resume_on_failure: file.resume_on_failure,
            use_mutex: file.use_mutex,
            history: file.history,
            variables,
            limits: file.limits,
            working_directory,
            schedule,
            on_failure: file.on_failure,
            tasks,
        })
    }

    /// Visits every node, depth first, in document order.
    pub fn walk<'a>(&'a self, mut f: impl FnMut(&'a Node)) {
        fn go<'a>(nodes: &'a [Node], f: &mut impl FnMut(&'a Node)) {
            for n in nodes {
                f(n);
                for list in n.child_lists() {
                    go(list, f);
                }
            }
        }
        go(&self.tasks, &mut f);
    }

    /// Finds a node by its path.
    pub fn node(&self, path: &str) -> Option<&Node> {
        let mut found = None;
        self.walk(|n| {
            if n.path == path {
                found = Some(n);
            }
        });
        found
    }

    /// The nodes from the top down to the one at `path` (inclusive).
    pub fn ancestry(&self, path: &str) -> Vec<&Node> {
        fn go<'a>(nodes: &'a [Node], path: &str, trail: &mut Vec<&'a Node>) -> bool {
            for n in nodes {
                trail.push(n);
                if n.path == path || n.child_lists().into_iter().any(|l| go(l, path, trail)) {
                    return true;
                }
                trail.pop();
            }
            false
        }
        let mut trail = Vec::new();
        go(&self.tasks, path, &mut trail);
        trail
    }
}

struct Builder {
    file: PathBuf,
    errors: Vec<WorkflowError>,
    ids: HashMap<String, u64>,
}

impl Builder {
    fn error(&mut self, line: u64, message: String) {
        self.errors.push(WorkflowError {
            file: self.file.clone(),
            line,
            message,
        });
    }

    /// Setting and variable values are scalars of at most [`MAX_SETTING_BYTES`]; numbers and
    /// booleans are kept as their text.
    fn scalar(&mut self, what: &str, v: &Spanned<serde_json::Value>) -> Option<String> {
        let line = v.referenced.line();
        match &v.value {
            serde_json::Value::String(s) if s.len() > MAX_SETTING_BYTES => {
                self.error(
                    line,
                    format!(
                        "{what}: the value is {} long, more than the maximum of {}",
                        human_size(s.len() as u64),
                        human_size(MAX_SETTING_BYTES as u64)
                    ),
                );
                None
            }
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            serde_json::Value::Null => Some(String::new()),
            _ => {
                self.error(line, format!("{what}: expected a single value (text, number or true/false), not a list or map"));
                None
            }
        }
    }

    fn nodes(&mut self, files: Vec<NodeFile>, parent: &str) -> Vec<Node> {
        files
            .into_iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let path = if parent.is_empty() {
                    i.to_string()
                } else {
                    format!("{parent}.{i}")
                };
                self.node(f, path)
            })
            .collect()
    }

    fn node(&mut self, f: NodeFile, path: String) -> Option<Node> {
        let heads = [f.task.is_some(), f.container.is_some(), f.switch.is_some()];
        let line = f
            .task
            .as_ref()
            .map(|s| s.referenced.line())
            .or(f.container.as_ref().map(|s| s.referenced.line()))
            .or(f.switch.as_ref().map(|s| s.referenced.line()))
            .unwrap_or(0);
        if heads.iter().filter(|h| **h).count() != 1 {
            self.error(
                line,
                format!("task {path}: give exactly one of `task:`, `container:` or `switch:`"),
            );
            return None;
        }
        let default_name = f
            .task
            .as_ref()
            .map(|t| t.value.clone())
            .or(f.container.as_ref().map(|c| c.value.clone()))
            .unwrap_or_else(|| "switch".into());
        let name = f.name.clone().unwrap_or(default_name.clone());
        let id = f.id.clone().unwrap_or_else(|| match &f.name {
            Some(n) => slug(n),
            None => format!("{}-{}", slug(&default_name), path.replace('.', "-")),
        });
        if let Some(first) = self.ids.insert(id.clone(), line) {
            self.error(line, format!("task id `{id}` is used twice (first at line {first}); give one of them an `id:`"));
        }
        let kind = if let Some(component) = f.task {
            let mut settings = BTreeMap::new();
            for (k, v) in &f.settings {
                if let Some(text) = self.scalar(&format!("task `{name}`: setting `{k}`"), v) {
                    settings.insert(
                        k.clone(),
                        SettingValue {
                            text,
                            line: v.referenced.line(),
                        },
                    );
                }
            }
            NodeKind::Task(TaskNode {
                component: component.value,
                settings,
                equal_to: f.equal_to,
                grants: f.grants,
                children: f.tasks.map(|t| self.nodes(t, &path)),
                else_children: f.else_tasks.map(|t| self.nodes(t, &format!("{path}.else"))),
            })
        } else {
            let what = if f.container.is_some() {
                "a container"
            } else {
                "a switch"
            };
            if !f.settings.is_empty() {
                self.error(line, format!("task {path}: {what} takes no `settings:`"));
            }
            if f.else_tasks.is_some() || f.equal_to.is_some() {
                self.error(
                    line,
                    format!("task {path}: only a condition takes `else:` and `equal-to:`"),
                );
            }
            if !f.grants.is_empty() {
                self.error(line, format!("task {path}: {what} takes no `grants:`"));
            }
            if let Some(branches) = f.switch {
                if f.tasks.is_some() {
                    self.error(
                        line,
                        format!("task {path}: a switch has branches, not `tasks:`"),
                    );
                }
                let mut out = BTreeMap::new();
                for (key, nodes) in branches.value {
                    if !SWITCH_KEYS.contains(&key.as_str()) {
                        self.error(
                            line,
                            format!(
                                "task {path}: unknown switch branch `{key}` (use one of {})",
                                SWITCH_KEYS.join(", ")
                            ),
                        );
                        continue;
                    }
                    let built = self.nodes(nodes, &format!("{path}.{key}"));
                    out.insert(key, built);
                }
                NodeKind::Switch { branches: out }
            } else {
                NodeKind::Container {
                    children: f.tasks.map(|t| self.nodes(t, &path)).unwrap_or_default(),
                }
            }
        };
        Some(Node {
            path,
            id,
            name,
            line,
            enabled: f.enabled,
            break_on_failure: f.break_on_failure,
            can_resume: f.can_resume,
            limits: f.limits,
            kind,
        })
    }
}

/// `Split the products` → `split-the-products`.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// Which switch branch a result code selects: the exact code, then `success` for the other
/// successful codes, then `default`.
pub fn switch_branch(
    branches: &BTreeMap<String, Vec<Node>>,
    previous: Option<ResultCode>,
) -> Option<&Vec<Node>> {
    let exact = previous.and_then(|c| branches.get(c.key()));
    let success = previous
        .filter(|c| c.is_success())
        .and_then(|_| branches.get("success"));
    exact.or(success).or(branches.get("default"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Workflow, WorkflowErrors> {
        Workflow::parse(Path::new("wf.yaml"), text)
    }

    #[test]
    fn tree_paths_ids_and_lines() {
        let wf = parse(
            "name: T\ntasks:\n  - container: Download\n    tasks:\n      - task: noop\n        name: First step\n  - task: if-file-exists\n    settings: { input-file: a.xml, minimum-length: 600 }\n    tasks:\n      - task: noop\n    else:\n      - task: noop\n        id: other\n",
        )
        .unwrap();
        assert_eq!(wf.tasks.len(), 2);
        assert_eq!(wf.tasks[0].line, 3);
        let first = &wf.tasks[0].child_lists()[0][0];
        assert_eq!(first.path, "0.0");
        assert_eq!(first.id, "first-step");
        let NodeKind::Task(TaskNode {
            settings,
            else_children,
            ..
        }) = &wf.tasks[1].kind
        else {
            panic!()
        };
        assert_eq!(settings["minimum-length"].text, "600");
        assert_eq!(settings["minimum-length"].line, 8);
        assert_eq!(else_children.as_ref().unwrap()[0].path, "1.else.0");
        assert_eq!(wf.ancestry("1.else.0").len(), 2);
        assert!(wf.resume_on_failure);
        assert!(!wf.use_mutex);
    }

    #[test]
    fn shape_errors_name_the_line() {
        let err =
            parse("name: T\ntasks:\n  - task: a\n    container: b\n  - switch: { sucess: [] }\n")
                .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("wf.yaml:3: task 0: give exactly one of"),
            "{text}"
        );
        assert!(
            text.contains("wf.yaml:5: task 1: unknown switch branch `sucess`"),
            "{text}"
        );
    }

    #[test]
    fn duplicate_ids_and_unknown_fields_are_errors() {
        let err =
            parse("name: T\ntasks:\n  - task: a\n    id: x\n  - task: b\n    id: x\n").unwrap_err();
        assert!(
            err.to_string()
                .contains("task id `x` is used twice (first at line 3)"),
            "{err}"
        );
        let err = parse("name: T\ntasks:\n  - task: a\n    setings: {}\n").unwrap_err();
        assert!(err.to_string().contains("setings"), "{err}");
    }

    #[test]
    fn switch_picks_exact_then_success_then_default() {
        let wf = parse("name: T\ntasks:\n  - switch:\n      success: [ { task: a } ]\n      fail: [ { task: b } ]\n      default: [ { task: c } ]\n").unwrap();
        let NodeKind::Switch { branches } = &wf.tasks[0].kind else {
            panic!()
        };
        let pick = |c| switch_branch(branches, c).map(|l| l[0].kind_name().to_string());
        assert_eq!(pick(Some(ResultCode::SuccessData)).as_deref(), Some("a"));
        assert_eq!(pick(Some(ResultCode::Fail)).as_deref(), Some("b"));
        assert_eq!(pick(Some(ResultCode::NotFound)).as_deref(), Some("c"));
        assert_eq!(pick(None).as_deref(), Some("c"));
    }
}
