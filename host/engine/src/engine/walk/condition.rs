//! A condition step (the branch its component's answer selects) and a switch step (the branch
//! named after the previous sibling's result).

use super::{Runner, summarise};
use crate::checkpoint::Step;
use crate::record::ResultCode;
use crate::workflow::{Node, TaskNode, switch_branch};
use std::collections::BTreeMap;

impl Runner<'_> {
    /// Runs the branch a condition's answer selects.
    pub(super) fn run_branch(
        &mut self,
        node: &Node,
        task: &TaskNode,
        may_resume: bool,
        answer: bool,
        state: Option<BTreeMap<String, String>>,
    ) -> (ResultCode, String) {
        let wanted = task.equal_to.unwrap_or(true);
        let branch = if answer == wanted {
            task.children.as_ref()
        } else {
            task.else_children.as_ref()
        };
        let failed = branch.is_some_and(|b| self.run_list(b, may_resume, None));
        let taken = if answer == wanted { "tasks" } else { "else" };
        if self.suspended.is_some() {
            self.push_frame(&node.path, Step::Condition { answer, state });
            return (
                ResultCode::Unknown,
                format!("condition was {answer}; suspended in its {taken} branch"),
            );
        }
        if !failed && let Err(e) = self.commit_state(node, state) {
            return (ResultCode::Fail, e);
        }
        let (code, summary) = summarise(failed);
        (
            code,
            format!("condition was {answer}; ran its {taken} branch: {summary}"),
        )
    }

    /// Runs the branch named after the previous sibling's result, if there is one.
    pub(super) fn run_switch(
        &mut self,
        branches: &BTreeMap<String, Vec<Node>>,
        may_resume: bool,
        previous: Option<ResultCode>,
    ) -> (ResultCode, String) {
        match switch_branch(branches, previous) {
            Some(branch) => {
                let failed = self.run_list(branch, may_resume, previous);
                summarise(failed)
            }
            None => (
                ResultCode::Success,
                "no branch for the previous result".into(),
            ),
        }
    }
}
