//! Preparation: loads every component a workflow names and checks each task against its
//! component's description before anything runs; works out each task's resume unit.

use super::Engine;
use crate::identity::Structure;
use crate::runtime::capability::parse_grant;
use crate::runtime::{LoadedComponent, TaskKind};
use crate::settings;
use crate::workflow::{Node, NodeKind, TaskNode, Workflow, WorkflowError, WorkflowErrors};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// A workflow whose components are loaded and whose settings were checked.
pub struct Prepared {
    pub workflow: Workflow,
    pub(super) components: HashMap<String, Arc<LoadedComponent>>,
    /// For each task path: the task a run that fails there resumes from (the outermost
    /// repeater, condition or switch around it, else the task itself).
    pub(super) resume_units: HashMap<String, String>,
    /// The digests resume points are made of (see [`crate::identity`]).
    pub(super) structure: Structure,
    /// What is not wrong but worth saying: disabled tasks that name no known component (the
    /// placeholders an import leaves for task classes Wharf does not implement).
    pub warnings: Vec<WorkflowError>,
}

impl Prepared {
    pub fn component(&self, node: &Node) -> Option<&Arc<LoadedComponent>> {
        match &node.kind {
            NodeKind::Task(task) => self.components.get(&task.component),
            _ => None,
        }
    }
}

impl Engine {
    /// Loads every component the workflow names and checks every task against its component's
    /// description: kind, children, grants and each setting. All problems are reported at once.
    pub fn prepare(&self, workflow: Workflow) -> Result<Prepared, WorkflowErrors> {
        let wf_dir = workflow
            .file
            .parent()
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let mut components: HashMap<String, Arc<LoadedComponent>> = HashMap::new();
        let err = |line: u64, node: &Node, message: String| WorkflowError {
            file: workflow.file.clone(),
            line,
            message: format!("task `{}`: {message}", node.name),
        };
        workflow.walk(|node| {
            let NodeKind::Task(TaskNode {
                component,
                settings: given,
                equal_to,
                grants,
                children,
                else_children,
            }) = &node.kind
            else {
                return;
            };
            let loaded = match components.get(component) {
                Some(c) => c.clone(),
                None => match self
                    .components
                    .resolve_where(component, &wf_dir, |p| {
                        self.runtime.is_loaded(p) || p.is_file()
                    })
                    .and_then(|p| self.runtime.load(&p).map_err(|e| e.to_string()))
                {
                    Ok(c) => {
                        components.insert(component.clone(), c.clone());
                        c
                    }
                    // A disabled task never runs, so a component it names need not exist: it is
                    // a placeholder (e.g. for a Zynk task class an import could not convert).
                    Err(_) if workflow.ancestry(&node.path).iter().any(|n| !n.enabled) => {
                        warnings.push(err(
                            node.line,
                            node,
                            format!(
                                "a disabled placeholder: no component `{component}`; replace it with a Wharf task before enabling it"
                            ),
                        ));
                        return;
                    }
                    Err(e) => {
                        errors.push(err(node.line, node, e));
                        return;
                    }
                },
            };
            let info = &loaded.info;
            match info.kind {
                TaskKind::Plain if children.is_some() || else_children.is_some() => {
                    errors.push(err(node.line, node, format!("`{component}` is a plain task: it takes no `tasks:` or `else:`")))
                }
                TaskKind::Repeater if else_children.is_some() => {
                    errors.push(err(node.line, node, format!("`{component}` is a repeater: it takes no `else:`")))
                }
                TaskKind::Repeater if children.is_none() => errors.push(err(
                    node.line,
                    node,
                    format!("`{component}` is a repeater: give it `tasks:` to run for each item"),
                )),
                TaskKind::Condition if children.is_none() && else_children.is_none() => errors.push(err(
                    node.line,
                    node,
                    format!("`{component}` is a condition: give it `tasks:` (and optionally `else:`)"),
                )),
                _ => {}
            }
            if equal_to.is_some() && info.kind != TaskKind::Condition {
                errors.push(err(node.line, node, "only a condition takes `equal-to:`".into()));
            }
            for g in grants {
                let (name, argument) = parse_grant(g);
                if !info.capabilities.iter().any(|c| capability_name(c) == name) {
                    errors.push(err(
                        node.line,
                        node,
                        format!("grants `{g}`, which `{component}` does not ask for (it asks for: {})", list_or_none(&info.capabilities)),
                    ));
                } else {
                    match self.runtime.capability(name) {
                        None => errors.push(err(
                            node.line,
                            node,
                            format!(
                                "grants `{name}`, which this host does not provide (it provides: {})",
                                self.runtime.capability_names().join(", ")
                            ),
                        )),
                        Some(cap) => {
                            if let Err(e) = cap.check_grant(argument) {
                                errors.push(err(node.line, node, format!("grant `{g}`: {e}")));
                            }
                        }
                    }
                }
            }
            // A capability named with a trailing `?` is optional: the task works without it
            // (its calls then answer not-permitted), e.g. `notify`'s e-mail or webhook.
            for cap in info.capabilities.iter().filter(|c| !c.ends_with('?')) {
                if !grants.iter().any(|g| parse_grant(g).0 == cap) {
                    errors.push(err(
                        node.line,
                        node,
                        format!("`{component}` needs the `{cap}` capability; grant it with `grants: [{cap}]`"),
                    ));
                }
            }
            for (line, problem) in settings::check_static(info, given, &self.templates) {
                errors.push(err(if line == 0 { node.line } else { line }, node, problem));
            }
        });
        if !errors.is_empty() {
            return Err(WorkflowErrors(errors));
        }
        let mut resume_units = HashMap::new();
        workflow.walk(|node| {
            let unit = workflow
                .ancestry(&node.path)
                .into_iter()
                .find(|n| match &n.kind {
                    NodeKind::Switch { .. } => true,
                    NodeKind::Task(TaskNode { component, .. }) => components
                        .get(component)
                        .is_some_and(|c| c.info.kind != TaskKind::Plain),
                    NodeKind::Container { .. } => false,
                })
                .map(|n| n.path.clone())
                .unwrap_or_else(|| node.path.clone());
            resume_units.insert(node.path.clone(), unit);
        });
        Ok(Prepared {
            structure: Structure::of(&workflow),
            workflow,
            components,
            resume_units,
            warnings,
        })
    }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".into()
    } else {
        items.join(", ")
    }
}

/// A component's capability without the `?` that marks it optional (docs/components.md).
pub fn capability_name(capability: &str) -> &str {
    capability.strip_suffix('?').unwrap_or(capability)
}
