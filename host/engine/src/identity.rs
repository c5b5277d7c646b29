//! A workflow's identity and the fingerprints that let a failed run be resumed by what its tasks
//! are rather than where they sit (docs/resume.md).
//!
//! - The identity names the workflow's data: its folder (`<data>/<identity>/`), truth records,
//!   lock and history, and its keys in the cloud. It is the workflow's `id:`, else its `name`
//!   slugged — never its file name, so `acme/orders.yaml` and `bright/orders.yaml` keep apart.
//! - A [`ResumePoint`] records where a failed run stopped by task id, with a fingerprint of that
//!   task's structure and of the containers around it, and the fingerprints of the tasks before
//!   it. The next run resumes there only while those still match; a task inserted before it
//!   runs, a task changed before it runs again, and a changed resume point starts the run afresh.

use crate::workflow::{Node, NodeKind, TaskNode, Workflow, slug};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Longest identity: it is a folder name and a cloud key segment.
pub const MAX_ID_LEN: usize = 128;

/// The one rule for names that become a segment of a storage key — a workflow's `id:`, and in
/// the cloud a customer, a workflow, a task and a Sage job id (docs/ARCHITECTURE.md, "Keys").
pub const KEY_NAME_RULE: &str =
    "use 1 to 128 ASCII letters, digits, `-`, `_` or `.`, not starting with `.`";

/// Whether `name` follows [`KEY_NAME_RULE`]. Such a name never holds `/`, is never `.` or `..`,
/// and needs no encoding in a key, a URL or an IAM policy, so it cannot step out of its prefix.
pub fn is_key_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_ID_LEN
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// `Ok` if `name` follows [`KEY_NAME_RULE`], else a message naming `what` it is.
pub fn check_key_name(what: &str, name: &str) -> Result<(), String> {
    if is_key_name(name) {
        Ok(())
    } else {
        Err(format!(
            "{what} `{name}` cannot be used in storage keys: {KEY_NAME_RULE}"
        ))
    }
}

/// The workflow's identity: `explicit` (its `id:`) if given, else its name slugged
/// (`Web orders` → `web-orders`). The error says what to change.
pub fn workflow_id(explicit: Option<&str>, name: &str) -> Result<String, String> {
    if let Some(id) = explicit {
        return if is_key_name(id) {
            Ok(id.to_string())
        } else {
            Err(format!(
                "workflow `id: {id}` cannot name the workflow's data folder: {KEY_NAME_RULE}"
            ))
        };
    }
    let mut id = slug(name);
    if id.len() > MAX_ID_LEN {
        let mut end = MAX_ID_LEN;
        while !id.is_char_boundary(end) {
            end -= 1;
        }
        id.truncate(end);
        id = id.trim_end_matches('-').to_string();
    }
    if id.is_empty() {
        return Err(format!(
            "the workflow's name `{name}` has no letters or digits to name its data folder with; give the workflow an `id:` ({KEY_NAME_RULE})"
        ));
    }
    Ok(id)
}

/// Where a failed (or interrupted) run stopped, by task id and structure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumePoint {
    /// Id of the task the next run starts at.
    pub task: String,
    /// Fingerprint of that task's structure (its kind, id and the tasks inside it) and of the
    /// containers on the way to it.
    pub fingerprint: String,
    /// The tasks before it — earlier siblings of it and of each container around it — by id,
    /// each with the fingerprint of its structure. They ran in the failed run.
    pub done: BTreeMap<String, String>,
}

/// How a run resumes a [`ResumePoint`] in the workflow as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumePlan {
    /// Path of the resume point in the workflow as it is now.
    pub target: String,
    /// Ids of tasks before it that ran in the failed run and have not changed: skipped.
    pub skip: HashSet<String>,
}

/// The digest of every node's structure (its kind, id and, branch by branch, the digests of the
/// nodes inside it), by path: computed once per workflow, bottom up.
#[derive(Debug, Clone, Default)]
pub struct Structure(HashMap<String, String>);

impl Structure {
    /// The digests of `workflow`'s nodes: O(nodes), so a run makes resume points cheaply.
    pub fn of(workflow: &Workflow) -> Structure {
        fn go(nodes: &[Node], out: &mut HashMap<String, String>) {
            for node in nodes {
                let lists: Vec<Value> = branches(node)
                    .into_iter()
                    .map(|(branch, children)| {
                        go(children, out);
                        let inside: Vec<&String> = children.iter().map(|c| &out[&c.path]).collect();
                        json!([branch, inside])
                    })
                    .collect();
                out.insert(
                    node.path.clone(),
                    digest(&json!([node.kind_name(), node.id, lists])),
                );
            }
        }
        let mut out = HashMap::new();
        go(&workflow.tasks, &mut out);
        Structure(out)
    }

    fn of_node(&self, node: &Node) -> &str {
        self.0.get(&node.path).map_or("", String::as_str)
    }
}

impl ResumePoint {
    /// The resume point for the node at `path`; `None` if there is no such node. `structure`
    /// is [`Structure::of`] the same workflow.
    pub fn at(workflow: &Workflow, structure: &Structure, path: &str) -> Option<ResumePoint> {
        let node = workflow.node(path)?;
        let ancestry = workflow.ancestry(path);
        let mut done = BTreeMap::new();
        let mut list: &[Node] = &workflow.tasks;
        for step in &ancestry {
            for sibling in list.iter().take_while(|n| n.path != step.path) {
                done.insert(sibling.id.clone(), structure.of_node(sibling).to_string());
            }
            let Some(next) = step
                .child_lists()
                .into_iter()
                .find(|l| l.iter().any(|n| path_within(path, &n.path)))
            else {
                break;
            };
            list = next;
        }
        Some(ResumePoint {
            task: node.id.clone(),
            fingerprint: fingerprint(workflow, structure, node),
            done,
        })
    }

    /// Where a run of `workflow` resumes this point, or why it cannot (it then starts afresh).
    pub fn resolve(&self, workflow: &Workflow) -> Result<ResumePlan, String> {
        let structure = Structure::of(workflow);
        let mut by_id: HashMap<&str, &Node> = HashMap::new();
        workflow.walk(|n| {
            by_id.insert(n.id.as_str(), n);
        });
        let Some(node) = by_id.get(self.task.as_str()) else {
            return Err(format!(
                "task `{}`, where it stopped, is no longer in the workflow",
                self.task
            ));
        };
        if fingerprint(workflow, &structure, node) != self.fingerprint {
            return Err(format!(
                "task `{}`, where it stopped, changed since (the tasks in it or the containers around it differ)",
                self.task
            ));
        }
        let skip = self
            .done
            .iter()
            .filter(|(id, print)| {
                by_id
                    .get(id.as_str())
                    .is_some_and(|n| structure.of_node(n) == print.as_str())
            })
            .map(|(id, _)| id.clone())
            .collect();
        Ok(ResumePlan {
            target: node.path.clone(),
            skip,
        })
    }
}

/// Whether `path` is `within` or inside it (`1.2.0` is within `1.2`, `1.20` is not).
fn path_within(path: &str, within: &str) -> bool {
    path == within
        || path
            .strip_prefix(within)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// The fingerprint of `node`: its structure and the kind, id and branch of every node on the
/// way to it. Settings, names and limits are not structure: fixing a setting keeps the point.
fn fingerprint(workflow: &Workflow, structure: &Structure, node: &Node) -> String {
    let ancestry = workflow.ancestry(&node.path);
    let way: Vec<Value> = ancestry
        .windows(2)
        .map(|pair| {
            let (outer, inner) = (pair[0], pair[1]);
            json!([outer.kind_name(), outer.id, branch_of(outer, inner)])
        })
        .collect();
    digest(&json!([way, structure.of_node(node)]))
}

/// Which of `outer`'s child lists holds `inner`: `tasks`, `else` or a switch branch's key.
fn branch_of(outer: &Node, inner: &Node) -> String {
    inner
        .path
        .strip_prefix(&format!("{}.", outer.path))
        .and_then(|rest| rest.rsplit_once('.'))
        .map_or_else(|| "tasks".to_string(), |(branch, _)| branch.to_string())
}

/// A node's child lists with their branch names: `tasks`, `else`, or a switch branch's key.
fn branches(node: &Node) -> Vec<(&str, &Vec<Node>)> {
    match &node.kind {
        NodeKind::Task(TaskNode {
            children,
            else_children,
            ..
        }) => children
            .iter()
            .map(|c| ("tasks", c))
            .chain(else_children.iter().map(|c| ("else", c)))
            .collect(),
        NodeKind::Container { children } => vec![("tasks", children)],
        NodeKind::Switch { branches } => branches.iter().map(|(k, v)| (k.as_str(), v)).collect(),
    }
}

fn digest(value: &Value) -> String {
    hex::encode(&Sha256::digest(value.to_string().as_bytes())[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_cannot_leave_their_prefix() {
        for good in [
            "j-1",
            "0190a7c2-5b1e-7c3d-9e4f-aa",
            "run_7.2",
            "A",
            &"x".repeat(128),
        ] {
            assert!(is_key_name(good), "{good}");
            assert!(check_key_name("customer", good).is_ok());
        }
        let long = "x".repeat(129);
        for bad in [
            "",
            ".",
            "..",
            ".hidden",
            "a/b",
            "../x",
            "a b",
            "é",
            "a\\b",
            "a\nb",
            long.as_str(),
        ] {
            assert!(!is_key_name(bad), "{bad}");
            let e = check_key_name("customer", bad).unwrap_err();
            assert!(e.starts_with(&format!("customer `{bad}`")), "{e}");
            assert!(e.ends_with(KEY_NAME_RULE), "{e}");
        }
    }
    use std::path::Path;

    fn parse(text: &str) -> Workflow {
        Workflow::parse(Path::new("wf.yaml"), text).unwrap()
    }

    fn at(wf: &Workflow, path: &str) -> ResumePoint {
        ResumePoint::at(wf, &Structure::of(wf), path).unwrap()
    }

    const BEFORE: &str = "name: T\ntasks:\n  - task: a\n    id: a\n  - container: Box\n    id: box\n    tasks:\n      - task: b\n        id: b\n      - task: c\n        id: c\n        settings: { x: 1 }\n";

    #[test]
    fn identity_is_the_id_or_the_name_slugged() {
        assert_eq!(
            workflow_id(None, "Web orders — Acme").unwrap(),
            "web-orders-acme"
        );
        assert_eq!(
            workflow_id(Some("acme.orders_1"), "x").unwrap(),
            "acme.orders_1"
        );
        for bad in ["", ".hidden", "a/b", "../x", "ümlaut"] {
            let e = workflow_id(Some(bad), "x").unwrap_err();
            assert!(e.contains("cannot name the workflow's data folder"), "{e}");
        }
        assert!(
            workflow_id(None, "—!")
                .unwrap_err()
                .contains("give the workflow an `id:`")
        );
        assert!(workflow_id(None, &"x".repeat(400)).unwrap().len() <= MAX_ID_LEN);
    }

    #[test]
    fn an_unchanged_workflow_resumes_where_it_stopped() {
        let wf = parse(BEFORE);
        let point = ResumePoint::at(&wf, &Structure::of(&wf), "1.1").unwrap();
        assert_eq!(point.task, "c");
        assert_eq!(point.done.keys().collect::<Vec<_>>(), ["a", "b"]);
        let plan = point.resolve(&wf).unwrap();
        assert_eq!(plan.target, "1.1");
        assert_eq!(plan.skip.len(), 2);
    }

    #[test]
    fn a_changed_setting_keeps_the_point_and_an_inserted_task_runs() {
        let point = at(&parse(BEFORE), "1.1");
        let changed = BEFORE.replace("{ x: 1 }", "{ x: 2 }").replace(
            "tasks:\n  - task: a",
            "tasks:\n  - task: new\n    id: new\n  - task: a",
        );
        let plan = point.resolve(&parse(&changed)).unwrap();
        assert_eq!(plan.target, "2.1", "found by id at its new place");
        assert!(plan.skip.contains("a") && plan.skip.contains("b"));
        assert!(!plan.skip.contains("new"));
    }

    #[test]
    fn a_moved_or_restructured_point_does_not_resume() {
        let point = at(&parse(BEFORE), "1.1");
        let moved = "name: T\ntasks:\n  - task: a\n    id: a\n  - task: c\n    id: c\n";
        let e = point.resolve(&parse(moved)).unwrap_err();
        assert!(
            e.contains("task `c`, where it stopped, changed since"),
            "{e}"
        );
        let gone = "name: T\ntasks:\n  - task: a\n    id: a\n";
        let e = point.resolve(&parse(gone)).unwrap_err();
        assert!(e.contains("no longer in the workflow"), "{e}");
    }

    #[test]
    fn a_task_before_the_point_that_changed_runs_again() {
        let point = at(&parse(BEFORE), "1.1");
        let changed = BEFORE.replace("  - task: a\n    id: a\n", "  - task: z\n    id: a\n");
        let plan = point.resolve(&parse(&changed)).unwrap();
        assert!(!plan.skip.contains("a"), "its component changed");
        assert!(plan.skip.contains("b"));
    }
}
