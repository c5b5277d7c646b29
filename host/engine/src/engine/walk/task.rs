//! A task step: renders a task's settings, grants its capabilities and calls its component;
//! then, by what the component is, records a plain result or goes on to the repeater's items or
//! the condition's branch.

use super::{Halt, Runner};
use crate::checkpoint::{Step, Waiting};
use crate::engine::lifecycle::remove_partial_files;
use crate::record::{Counts, LogLine, ResultCode, TaskRecord};
use crate::runtime::capability::parse_grant;
use crate::runtime::{CallResult, Failure, GrantContext, LoadedComponent, TaskCall, TaskOutcome};
use crate::settings;
use crate::suspend::Wake;
use crate::template::VarMap;
use crate::workflow::{Node, TaskNode};
use chrono::Utc;
use std::collections::BTreeMap;

impl Runner<'_> {
    fn call(
        &mut self,
        node: &Node,
        task: &TaskNode,
        component: &LoadedComponent,
        call_settings: Vec<(String, String)>,
        rendering: std::time::Duration,
    ) -> TaskOutcome {
        let label = format!("{} ({})", node.name, component.info.name);
        // The component gets what rendering left of the time limit. The deadline is kept in 5 ms
        // ticks, so a render shorter than two ticks changes nothing and the limit is reported as
        // written.
        let mut limits = self.base_limits.with(&node.limits);
        if rendering >= std::time::Duration::from_millis(10) {
            limits.timeout = limits.timeout.saturating_sub(rendering);
        }
        // Only the first task of a call gets here with a limit past the hard end (later ones
        // suspend before it): it may use what is left, and is stopped before the process is.
        if let Some(end) = self.hard_end {
            let left = end.saturating_duration_since(std::time::Instant::now());
            if limits.timeout > left {
                tracing::info!(
                    "task {label}: time limit cut to {left:.1?}, what is left of this process's time"
                );
                limits.timeout = left;
            }
        }
        let mut extensions = Vec::new();
        for g in &task.grants {
            let (name, argument) = parse_grant(g);
            let Some(cap) = self.engine.runtime.capability(name) else {
                continue;
            };
            let ctx = GrantContext {
                argument,
                task_id: &node.id,
                run_lineage: &self.lineage,
                run_id: &self.run_id,
                timeout: limits.timeout,
                task_label: &label,
                workdir: &self.workdir,
                storage: &self.storage,
                truth: &self.truth,
            };
            match cap.grant(&ctx) {
                Ok(ext) => extensions.push(ext),
                Err(message) => {
                    return TaskOutcome {
                        result: Err(Failure {
                            code: ResultCode::NotAuthorised,
                            message: format!("capability `{g}`: {message}"),
                        }),
                        logs: vec![],
                        logs_dropped: 0,
                        state: None,
                        bytes_written: 0,
                        elapsed: std::time::Duration::ZERO,
                        stopped: false,
                    };
                }
            }
        }
        let rendering = crate::runtime::Rendering {
            templates: self.engine.templates.clone(),
            scope: self.scope.clone(),
            deadline: std::time::Instant::now() + limits.timeout,
        };
        self.engine.runtime.call_rendering(
            component,
            TaskCall {
                label: &label,
                workdir: Some(&self.workdir),
                settings: call_settings,
                limits,
                state: self.states.get(&node.id).cloned().unwrap_or_default(),
                truth: Some(self.truth.clone()),
                mappings: self.mappings.clone(),
                extensions,
            },
            Some(rendering),
        )
    }

    pub(super) fn commit_state(
        &mut self,
        node: &Node,
        state: Option<BTreeMap<String, String>>,
    ) -> Result<(), String> {
        if let Some(state) = state {
            // The files first: a cursor never gets ahead of what it fetched.
            crate::durability::barrier()
                .map_err(|e| format!("could not save the working directory: {e}"))?;
            self.storage
                .sync_workdir(&self.workdir)
                .map_err(|e| format!("could not save the working directory: {e}"))?;
            self.states.insert(node.id.clone(), state);
            self.unsaved_state = true;
        }
        Ok(())
    }

    pub(super) fn run_task(
        &mut self,
        node: &Node,
        task: &TaskNode,
        may_resume: bool,
        rec: &mut TaskRecord,
        step: Option<Step>,
    ) -> (ResultCode, String) {
        let prepared = self.prepared;
        let Some((info, sha256)) = prepared.described(node) else {
            return (ResultCode::Fail, "component not loaded".into());
        };
        match step {
            Some(Step::Repeater {
                items,
                index,
                failed_items,
                state,
            }) => {
                return self.run_items(
                    node,
                    task,
                    may_resume,
                    rec,
                    items,
                    index,
                    failed_items,
                    state,
                );
            }
            Some(Step::Condition { answer, state }) => {
                return self.run_branch(node, task, may_resume, answer, state);
            }
            Some(Step::Remote) => {
                return match self.wake.take() {
                    Some(Wake::Result { result, .. }) => self.apply_remote(node, rec, result),
                    _ => (
                        ResultCode::Fail,
                        "resumed without the result of its remote run".into(),
                    ),
                };
            }
            Some(Step::Next | Step::Group) | None => {}
        }
        // Rendering the settings counts against the task's time limit (docs/limits.md).
        let rendering = std::time::Instant::now();
        let timeout = self.base_limits.with(&node.limits).timeout;
        let call_settings = match settings::prepare(
            info,
            &task.settings,
            &self.engine.templates,
            &self.scope,
            timeout,
        ) {
            Ok(s) => s,
            Err(e) => return (ResultCode::Fail, e),
        };
        if let Some(remote) = self.remote.clone()
            && remote.is_remote(node, info)
        {
            return self.hand_over(node, info, sha256, call_settings, remote.as_ref());
        }
        // A component known only by its description is loaded now, at its first call; one that
        // cannot be (missing, or failing its check) fails the task, naming what was wrong.
        let component = match prepared.loaded(&self.engine.runtime, node) {
            Ok(c) => c,
            Err(e) => return (ResultCode::Fail, e),
        };
        self.executed += 1;
        let mut outcome = self.call(node, task, &component, call_settings, rendering.elapsed());
        rec.logs = std::mem::take(&mut outcome.logs);
        if outcome.stopped {
            // Stopped mid-write (time limit, trap, interrupt): nothing finishes its temporaries.
            for left in remove_partial_files(&self.workdir) {
                rec.logs.push(LogLine {
                    at: Utc::now(),
                    level: "warning".into(),
                    message: format!("removed `{left}`, left half-written by the stopped task"),
                });
            }
            if let Some(why) = self.engine.runtime.interrupt().raised() {
                return (ResultCode::Interrupted, format!("interrupted ({why})"));
            }
        }
        if outcome.logs_dropped > 0 {
            rec.logs.push(LogLine {
                at: Utc::now(),
                level: "warning".into(),
                message: format!(
                    "{} further log lines were dropped (log limit)",
                    outcome.logs_dropped
                ),
            });
        }
        let state = outcome.state;
        match outcome.result {
            // Only a plain task waits; a repeater or condition that cannot list or answer failed.
            Err(Failure {
                code: ResultCode::Waiting,
                message,
            }) => (ResultCode::Fail, message),
            Err(Failure { code, message }) => (code, message),
            Ok(CallResult::Plain(r)) if r.code == ResultCode::Waiting => {
                self.wait_later(node, &component, rec, r.message, r.counts, state)
            }
            Ok(CallResult::Plain(r)) => {
                self.finish_plain(node, rec, r.code, r.message, r.counts, r.outputs, state)
            }
            Ok(CallResult::Condition(answer)) => {
                self.run_branch(node, task, may_resume, answer, state)
            }
            Ok(CallResult::Items(items)) => {
                self.progress.items_listed(node, items.len());
                rec.counts.records_in = items.len() as u64;
                self.run_items(node, task, may_resume, rec, items, 0, 0, state)
            }
        }
    }

    /// A plain task that ended `waiting`: its files and state are kept as on success, and the
    /// run suspends at it, to run it again in the workflow's next run (the frame's step is
    /// `Next`, so the resumed run calls it afresh in the same task record).
    fn wait_later(
        &mut self,
        node: &Node,
        component: &LoadedComponent,
        rec: &mut TaskRecord,
        reason: String,
        counts: Counts,
        state: Option<BTreeMap<String, String>>,
    ) -> (ResultCode, String) {
        if let Err(e) = self.commit_state(node, state) {
            return (ResultCode::Fail, e);
        }
        rec.counts = counts;
        self.suspended = Some(Halt {
            token: uuid::Uuid::new_v4().simple().to_string(),
            waiting: Waiting::Later {
                task_path: node.path.clone(),
                task_label: format!("{} ({})", node.name, component.info.name),
                reason: reason.clone(),
            },
            frames: Vec::new(),
            call: None,
        });
        self.push_frame(&node.path, Step::Next);
        (ResultCode::Unknown, format!("waiting: {reason}"))
    }

    /// Records a plain task's result: counts, outputs for later templates, state on success.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn finish_plain(
        &mut self,
        node: &Node,
        rec: &mut TaskRecord,
        code: ResultCode,
        message: String,
        counts: Counts,
        outputs: Vec<(String, String)>,
        state: Option<BTreeMap<String, String>>,
    ) -> (ResultCode, String) {
        rec.counts = counts;
        rec.outputs = outputs.clone();
        let mut outputs: VarMap = outputs.into_iter().collect();
        outputs.insert("result".into(), code.key().into());
        self.scope.set_outputs(&node.id, outputs);
        if code.is_success()
            && let Err(e) = self.commit_state(node, state)
        {
            return (ResultCode::Fail, e);
        }
        (code, message)
    }
}
