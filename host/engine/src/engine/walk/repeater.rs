//! A repeater step: runs the repeater's children once for each item its component listed.

use super::Runner;
use crate::checkpoint::Step;
use crate::record::{ResultCode, TaskRecord};
use crate::workflow::{Node, TaskNode};
use std::collections::BTreeMap;
use std::sync::Arc;

impl Runner<'_> {
    /// Runs a repeater's children for its items from `start` on.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn run_items(
        &mut self,
        node: &Node,
        task: &TaskNode,
        may_resume: bool,
        rec: &mut TaskRecord,
        items: Vec<Vec<(String, String)>>,
        start: usize,
        failed_before: u64,
        state: Option<BTreeMap<String, String>>,
    ) -> (ResultCode, String) {
        let children = task.children.as_deref().unwrap_or_default();
        let mut failed_items = failed_before;
        let mut visited = start;
        for i in start..items.len() {
            if self.halted() {
                break;
            }
            visited = i + 1;
            self.iteration.push(i + 1);
            self.scope
                .current
                .push(Arc::new(items[i].iter().cloned().collect()));
            let failed = self.run_list(children, may_resume, None);
            self.scope.current.pop();
            self.iteration.pop();
            if self.suspended.is_some() {
                let total = items.len();
                self.push_frame(
                    &node.path,
                    Step::Repeater {
                        items,
                        index: i,
                        failed_items,
                        state,
                    },
                );
                return (
                    ResultCode::Unknown,
                    format!("suspended at item {} of {total}", i + 1),
                );
            }
            failed_items += u64::from(failed);
        }
        rec.counts.records_failed = failed_items;
        rec.counts.records_out = items.len() as u64 - failed_items;
        if self.stop.is_some() {
            return (
                ResultCode::Fail,
                format!(
                    "stopped by a failing task at item {visited} of {}",
                    items.len()
                ),
            );
        }
        if let Err(e) = self.commit_state(node, state) {
            return (ResultCode::Fail, e);
        }
        if items.is_empty() {
            (ResultCode::SuccessNoData, "no items".into())
        } else {
            (
                ResultCode::SuccessData,
                format!("{} item(s), {failed_items} with a failed task", items.len()),
            )
        }
    }
}
