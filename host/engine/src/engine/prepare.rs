//! Preparation: loads every component a workflow names (or takes its description from where it
//! is known without loading it, [`LazyComponents`]) and checks each task against its
//! component's description before anything runs; works out each task's resume unit.

use super::Engine;
use crate::identity::Structure;
use crate::runtime::capability::parse_grant;
use crate::runtime::{LoadedComponent, Runtime, TaskInfo, TaskKind};
use crate::settings;
use crate::workflow::{Node, NodeKind, TaskNode, Workflow, WorkflowError, WorkflowErrors};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Components whose description is known without loading them (the cloud function's signed
/// manifest carries each one's `describe` answer), loaded only when a task first calls one: a
/// run that reaches three of a workflow's eight components fetches and loads three.
pub trait LazyComponents: Send + Sync {
    /// What component `name` says about itself and its SHA-256 (hex), when known without
    /// loading it; `None`: preparation loads it as usual.
    fn describe(&self, name: &str) -> Option<Described>;
    /// Loads component `name` into `runtime` now (a task is about to call it). The component
    /// must describe itself as [`LazyComponents::describe`] said; an error names the component
    /// and what was wrong (e.g. the object that failed its check), and fails the task.
    fn load(&self, runtime: &Runtime, name: &str) -> Result<Arc<LoadedComponent>, String>;
}

/// A component known by its description, before (or without) loading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    pub info: TaskInfo,
    /// The component's SHA-256 (hex), as [`LoadedComponent::sha256`].
    pub sha256: String,
}

/// A workflow whose components are loaded (or described, to be loaded when first called) and
/// whose settings were checked.
pub struct Prepared {
    pub workflow: Workflow,
    pub(super) components: HashMap<String, Arc<LoadedComponent>>,
    /// Components known by their description, loaded by `lazy` when a task first calls one.
    described: HashMap<String, Described>,
    lazy: Option<Arc<dyn LazyComponents>>,
    /// What loading each described component came to (a failure is not retried in the run).
    lazily_loaded: Mutex<HashMap<String, Result<Arc<LoadedComponent>, String>>>,
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
    /// The task's component, when preparation loaded it (not one only described, see
    /// [`Prepared::described`]).
    pub fn component(&self, node: &Node) -> Option<&Arc<LoadedComponent>> {
        match &node.kind {
            NodeKind::Task(task) => self.components.get(&task.component),
            _ => None,
        }
    }

    /// What the task's component says about itself and its SHA-256, loaded or not.
    pub fn described(&self, node: &Node) -> Option<(&TaskInfo, &str)> {
        let NodeKind::Task(task) = &node.kind else {
            return None;
        };
        match self.components.get(&task.component) {
            Some(c) => Some((&c.info, &c.sha256)),
            None => self
                .described
                .get(&task.component)
                .map(|d| (&d.info, d.sha256.as_str())),
        }
    }

    /// The task's component, loaded into `runtime` now if preparation only described it.
    pub(super) fn loaded(
        &self,
        runtime: &Runtime,
        node: &Node,
    ) -> Result<Arc<LoadedComponent>, String> {
        let NodeKind::Task(task) = &node.kind else {
            return Err("not a task".into());
        };
        if let Some(c) = self.components.get(&task.component) {
            return Ok(c.clone());
        }
        let (Some(lazy), true) = (&self.lazy, self.described.contains_key(&task.component)) else {
            return Err("component not loaded".into());
        };
        let mut loaded = self.lazily_loaded.lock().unwrap_or_else(|p| p.into_inner());
        loaded
            .entry(task.component.clone())
            .or_insert_with(|| lazy.load(runtime, &task.component))
            .clone()
    }
}

impl Engine {
    /// Loads every component the workflow names and checks every task against its component's
    /// description: kind, children, grants and each setting. All problems are reported at once.
    pub fn prepare(&self, workflow: Workflow) -> Result<Prepared, WorkflowErrors> {
        self.prepare_with(workflow, None)
    }

    /// [`Engine::prepare`], taking the description of each component `lazy` knows from it
    /// instead of loading the component: such a component is loaded when a task first calls
    /// it (a task that runs elsewhere, [`crate::suspend::RemoteTasks`], never loads it here).
    pub fn prepare_lazily(
        &self,
        workflow: Workflow,
        lazy: Arc<dyn LazyComponents>,
    ) -> Result<Prepared, WorkflowErrors> {
        self.prepare_with(workflow, Some(lazy))
    }

    fn prepare_with(
        &self,
        workflow: Workflow,
        lazy: Option<Arc<dyn LazyComponents>>,
    ) -> Result<Prepared, WorkflowErrors> {
        let wf_dir = workflow
            .file
            .parent()
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let mut components: HashMap<String, Arc<LoadedComponent>> = HashMap::new();
        let mut described: HashMap<String, Described> = HashMap::new();
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
            let known = components
                .get(component)
                .map(|c| c.info.clone())
                .or_else(|| described.get(component).map(|d| d.info.clone()))
                .or_else(|| {
                let d = lazy.as_ref()?.describe(component)?;
                let info = d.info.clone();
                described.insert(component.clone(), d);
                Some(info)
            });
            let info = match known {
                Some(info) => info,
                None => match self
                    .components
                    .resolve_where(component, &wf_dir, |p| {
                        self.runtime.is_loaded(p) || p.is_file()
                    })
                    .and_then(|p| self.runtime.load(&p).map_err(|e| e.to_string()))
                {
                    Ok(c) => {
                        components.insert(component.clone(), c.clone());
                        c.info.clone()
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
            let info = &info;
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
                        .map(|c| c.info.kind)
                        .or_else(|| described.get(component).map(|d| d.info.kind))
                        .is_some_and(|kind| kind != TaskKind::Plain),
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
            described,
            lazy,
            lazily_loaded: Mutex::default(),
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
