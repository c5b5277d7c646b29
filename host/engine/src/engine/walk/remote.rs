//! The remote step: a task that runs elsewhere (the cloud run's Sage tasks, run on the
//! customer's premises by the Sage runner) is handed over and the run suspends there; resumed
//! with the remote result, the result is applied as if the task had run here.

use super::{Halt, Runner};
use crate::checkpoint::{Step, Waiting};
use crate::record::{ResultCode, TaskRecord};
use crate::runtime::TaskInfo;
use crate::settings;
use crate::suspend::{RemoteCall, RemoteResult, RemoteTasks, apply_truth};
use crate::workflow::Node;
use std::collections::BTreeMap;

impl Runner<'_> {
    /// Hands a remote task's call over and suspends the run there.
    pub(super) fn hand_over(
        &mut self,
        node: &Node,
        info: &TaskInfo,
        sha256: &str,
        settings: Vec<(String, String)>,
        remote: &dyn RemoteTasks,
    ) -> (ResultCode, String) {
        let mut input_files = BTreeMap::new();
        for (name, value) in &settings {
            let is_file = info
                .setting(name)
                .is_some_and(|s| s.kind == crate::runtime::SettingKind::File);
            let relative = value.trim_start_matches('/');
            if !is_file || relative.is_empty() {
                continue;
            }
            let path = self.workdir.join(relative);
            if path.is_file() {
                match std::fs::read(&path) {
                    Ok(bytes) => {
                        input_files.insert(relative.to_string(), bytes);
                    }
                    Err(e) => {
                        return (
                            ResultCode::Fail,
                            format!("setting `{name}`: cannot read {relative}: {e}"),
                        );
                    }
                }
            }
        }
        let token = uuid::Uuid::new_v4().simple().to_string();
        let label = format!("{} ({})", node.name, info.name);
        let call = RemoteCall {
            token: token.clone(),
            workflow: self.prepared.workflow.store_name(),
            run_id: self.run_id.clone(),
            lineage: self.lineage.clone(),
            task_path: node.path.clone(),
            task_id: node.id.clone(),
            label: label.clone(),
            component: info.name.clone(),
            component_sha256: sha256.to_string(),
            settings,
            state: self.states.get(&node.id).cloned().unwrap_or_default(),
            input_files,
            timeout: self.base_limits.with(&node.limits).timeout,
            truth_kinds: info.truth_kinds.clone(),
        };
        if let Err(e) = remote.dispatch(&call) {
            return (
                ResultCode::Fail,
                format!("could not hand the task over to run remotely: {e}"),
            );
        }
        self.suspended = Some(Halt {
            token: token.clone(),
            waiting: Waiting::Remote {
                task_path: node.path.clone(),
                task_label: label,
                component: info.name.clone(),
            },
            frames: Vec::new(),
            call: Some(call),
        });
        self.push_frame(&node.path, Step::Remote);
        (
            ResultCode::Unknown,
            format!("waiting for its remote run (call {token})"),
        )
    }

    /// Applies a remote task's result as if the task had run here.
    pub(super) fn apply_remote(
        &mut self,
        node: &Node,
        rec: &mut TaskRecord,
        result: RemoteResult,
    ) -> (ResultCode, String) {
        self.executed += 1;
        for (name, bytes) in &result.output_files {
            let relative = match settings::guest_path(name) {
                Ok(p) if p != "/" => p.trim_start_matches('/').to_string(),
                _ => {
                    return (
                        ResultCode::Fail,
                        format!(
                            "its remote run returned a file `{name}` outside the working directory"
                        ),
                    );
                }
            };
            let target = self.workdir.join(&relative);
            let written = target
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|_| std::fs::write(&target, bytes));
            if let Err(e) = written {
                return (
                    ResultCode::Fail,
                    format!("cannot write {relative} returned by its remote run: {e}"),
                );
            }
        }
        if let Err(e) = apply_truth(&result.truth_updates, self.truth.as_ref()) {
            return (
                ResultCode::Fail,
                format!("cannot record the truth updates of its remote run: {e}"),
            );
        }
        rec.logs = result.logs;
        self.finish_plain(
            node,
            rec,
            result.code,
            result.message,
            result.counts,
            result.outputs,
            result.state,
        )
    }
}
