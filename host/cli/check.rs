//! `wharf validate`'s static look at setting templates: names a run could never resolve, and
//! values that do something surprising in file names. The engine's own checks (syntax, bounds,
//! settings against their components) run first; these need no run's data.

use std::collections::BTreeSet;

use minijinja::Environment;
use wharf_engine::engine::Prepared;
use wharf_engine::runtime::{SettingKind, TaskKind};
use wharf_engine::template::SYSTEM_VARIABLES;
use wharf_engine::workflow::{Node, NodeKind, WorkflowError};

/// What the static check found: errors make `validate` fail, warnings are only shown.
#[derive(Debug, Default)]
pub struct Findings {
    pub errors: Vec<WorkflowError>,
    pub warnings: Vec<WorkflowError>,
}

/// Names every template may read besides variables: the engine's collections and functions
/// (docs: README "Templates").
const COLLECTIONS: [&str; 6] = ["vars", "globals", "system", "outputs", "outer", "run"];
const FUNCTIONS: [&str; 2] = ["now", "utcnow"];
/// System variables whose values hold `/` (dd/mm/yyyy).
const SLASHED_DATES: [&str; 2] = ["CurrentDate", "CurrentDateTime"];

/// Checks every setting template of `prepared`. `globals` are the names given with `--var`.
pub fn templates(prepared: &Prepared, globals: &BTreeSet<String>) -> Findings {
    let env = Environment::new();
    let mut known: BTreeSet<String> = prepared.workflow.variables.keys().cloned().collect();
    known.extend(globals.iter().cloned());
    known.extend(SYSTEM_VARIABLES.iter().map(|s| s.to_string()));
    known.extend(COLLECTIONS.iter().map(|s| s.to_string()));
    known.extend(FUNCTIONS.iter().map(|s| s.to_string()));
    known.extend(env.globals().map(|(name, _)| name.to_string()));
    let mut task_ids = BTreeSet::new();
    prepared.workflow.walk(|node| {
        task_ids.insert(node.id.clone());
    });
    let mut checker = Checker {
        prepared,
        env,
        known,
        task_ids,
        findings: Findings::default(),
    };
    checker.nodes(&prepared.workflow.tasks, 0);
    checker.findings
}

struct Checker<'a> {
    prepared: &'a Prepared,
    env: Environment<'static>,
    known: BTreeSet<String>,
    task_ids: BTreeSet<String>,
    findings: Findings,
}

impl Checker<'_> {
    /// `repeaters`: how many repeaters are around `nodes` (`current` needs one).
    fn nodes(&mut self, nodes: &[Node], repeaters: usize) {
        for node in nodes {
            // A disabled task and what it holds never run (an import's placeholders among
            // them): nothing there is rendered.
            if !node.enabled {
                continue;
            }
            let is_repeater = self
                .prepared
                .component(node)
                .is_some_and(|c| c.info.kind == TaskKind::Repeater);
            if let NodeKind::Task(task) = &node.kind {
                for (name, value) in &task.settings {
                    self.setting(node, name, &value.text, value.line, repeaters);
                }
            }
            let inner = repeaters + usize::from(is_repeater);
            for list in node.child_lists() {
                self.nodes(list, inner);
            }
        }
    }

    fn setting(&mut self, node: &Node, setting: &str, text: &str, line: u64, repeaters: usize) {
        if !wharf_engine::template::is_template(text) {
            return;
        }
        // A syntax error is the engine's to report (prepare).
        let Ok(template) = self.env.template_from_str(text) else {
            return;
        };
        let mut names: Vec<String> = template.undeclared_variables(true).into_iter().collect();
        names.sort();
        let file = &self.prepared.workflow.file;
        let at = |message: String| WorkflowError {
            file: file.clone(),
            line,
            message: format!("task `{}`: setting `{setting}`: {message}", node.name),
        };
        for path in &names {
            let mut parts = path.split('.');
            let top = parts.next().unwrap_or_default();
            if top == "current" {
                if repeaters == 0 {
                    self.findings.errors.push(at(format!(
                        "`{path}` reads `current`, the item of a repeater, but this task is not inside one"
                    )));
                }
            } else if top == "outputs" {
                if let Some(task) = parts.next().filter(|t| !self.task_ids.contains(*t)) {
                    self.findings.errors.push(at(format!(
                        "`{path}`: no task has the id `{task}` (outputs.<task id>.<name>)"
                    )));
                }
            } else if !self.known.contains(top) {
                self.findings.errors.push(at(format!(
                    "unknown variable `{top}`: not a workflow variable (`variables:`) or a system variable; if it is a global, give it with --var {top}=VALUE"
                )));
            }
        }
        let file_setting = self
            .prepared
            .component(node)
            .and_then(|c| c.info.setting(setting))
            .is_some_and(|spec| matches!(spec.kind, SettingKind::File | SettingKind::Folder));
        if file_setting {
            for date in SLASHED_DATES {
                let named = names
                    .iter()
                    .any(|n| n == date || *n == format!("system.{date}"));
                if named && !self.prepared.workflow.variables.contains_key(date) {
                    self.findings.warnings.push(at(format!(
                        "`{date}` renders with `/` (dd/mm/yyyy), which makes folders in a path; use `now(\"%Y-%m-%d\")` for a date in a file name"
                    )));
                }
            }
        }
    }
}
