//! The walk through the task tree: sibling lists, checkpoints and the steps every node shares.
//! Each kind of step has its own file: `task` (a component call), `repeater`, `condition` (and
//! switches), `container`, and `remote` (a task handed over to run elsewhere).

mod condition;
mod container;
mod remote;
mod repeater;
mod task;

use super::{Engine, Prepared, Progress, crash_point_for_tests};
use crate::checkpoint::{Checkpoint, Frame, RunStart, Step, Waiting};
use crate::identity::{ResumePlan, ResumePoint};
use crate::limits::Limits;
use crate::record::{ResultCode, TaskRecord};
use crate::storage::{Mappings, Storage, TaskStates, TruthStore, host_name};
use crate::suspend::{RemoteCall, RemoteTasks, Wake};
use crate::template::Scope;
use crate::workflow::{Node, NodeKind};
use chrono::Utc;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

/// Why the run stopped.
pub(super) struct Stop {
    pub(super) path: String,
    pub(super) resumable: bool,
    pub(super) message: String,
    /// By an [`crate::interrupt::Interrupt`], not by a failing task.
    pub(super) interrupted: bool,
}

/// A suspension being unwound: each level of the walk adds its frame on the way out.
pub(super) struct Halt {
    pub(super) token: String,
    pub(super) waiting: Waiting,
    /// Innermost first while unwinding.
    pub(super) frames: Vec<Frame>,
    pub(super) call: Option<RemoteCall>,
}

pub(super) struct Runner<'a> {
    pub(super) engine: &'a Engine,
    pub(super) prepared: &'a Prepared,
    pub(super) storage: Arc<dyn Storage>,
    pub(super) workdir: PathBuf,
    pub(super) states: TaskStates,
    pub(super) truth: Arc<dyn TruthStore>,
    pub(super) mappings: Arc<Mappings>,
    pub(super) scope: Scope,
    pub(super) tasks: Vec<TaskRecord>,
    /// While set, the run is on its way to where the failed run stopped: tasks before it that
    /// ran then and have not changed are skipped.
    pub(super) resume: Option<ResumePlan>,
    /// A resumed suspension's position still to descend into, outermost first.
    pub(super) resume_frames: VecDeque<Frame>,
    /// What woke a resumed run (the remote result is consumed by its task).
    pub(super) wake: Option<Wake>,
    pub(super) iteration: Vec<usize>,
    pub(super) progress: &'a dyn Progress,
    pub(super) stop: Option<Stop>,
    pub(super) suspended: Option<Halt>,
    pub(super) checkpoint: Option<String>,
    pub(super) run_id: String,
    /// See `RunRecord::lineage`.
    pub(super) lineage: String,
    /// What the run's first record says, kept in every checkpoint (see `Checkpoint::run`).
    pub(super) run_start: RunStart,
    pub(super) base_limits: Limits,
    pub(super) remote: Option<Arc<dyn RemoteTasks>>,
    pub(super) deadline: Option<std::time::Instant>,
    pub(super) hard_end: Option<std::time::Instant>,
    /// Tasks run (or remote results applied) in this call: a deadline pause needs progress.
    pub(super) executed: usize,
    /// Task state committed in memory but not yet stored: it is stored once the checkpoint has
    /// moved past the tasks that changed it (see `save_states`).
    pub(super) unsaved_state: bool,
}

impl Runner<'_> {
    /// Whether `node` runs a component here whose time limit reaches past the hard end.
    fn outlives_hard_end(&self, node: &Node) -> bool {
        let Some(end) = self.hard_end else {
            return false;
        };
        let Some((info, _)) = self.prepared.described(node) else {
            return false;
        };
        if self
            .remote
            .as_ref()
            .is_some_and(|r| r.is_remote(node, info))
        {
            return false;
        }
        let limit = self.base_limits.with(&node.limits).timeout;
        std::time::Instant::now() + limit > end
    }

    fn halted(&self) -> bool {
        self.stop.is_some() || self.suspended.is_some()
    }

    /// Adds the frame of the node being unwound, innermost first.
    fn push_frame(&mut self, path: &str, step: Step) {
        if let Some(halt) = &mut self.suspended {
            halt.frames.push(Frame {
                path: path.to_string(),
                record: None,
                previous: None,
                any_failed: false,
                step,
            });
        }
    }

    /// The frame pushed last (the node being unwound at this level).
    fn top_frame(&mut self) -> Option<&mut Frame> {
        self.suspended.as_mut().and_then(|h| h.frames.last_mut())
    }

    /// Runs a list of sibling nodes; returns whether any of them did not succeed.
    pub(super) fn run_list(
        &mut self,
        nodes: &[Node],
        may_resume: bool,
        before: Option<ResultCode>,
    ) -> bool {
        let mut previous = before;
        let mut any_failed = false;
        for node in nodes {
            if self.halted() {
                break;
            }
            let frame = match self.resume_frames.front() {
                Some(f) if f.path == node.path => {
                    let f = self.resume_frames.pop_front().expect("front exists");
                    previous = f.previous;
                    any_failed = f.any_failed;
                    Some(f)
                }
                // Before the suspended run's position: it finished.
                Some(_) => continue,
                None => None,
            };
            if frame.is_some() && !node.enabled {
                // Disabled since the run suspended: carry on after it.
                self.resume_frames.clear();
                continue;
            }
            if frame.is_none() {
                if let Some(plan) = &self.resume {
                    if node.path == plan.target {
                        self.resume = None;
                    } else if !plan.target.starts_with(&format!("{}.", node.path)) {
                        if plan.skip.contains(&node.id) {
                            // Before the resume point: it ran in the failed run, unchanged since.
                            continue;
                        }
                        // Before the resume point, but new or changed since: it runs.
                    } else if !node.enabled {
                        // The resume point sits in a part that is now disabled: carry on after it.
                        self.resume = None;
                        continue;
                    }
                }
                if !node.enabled {
                    continue;
                }
                if self.executed > 0
                    && (self
                        .deadline
                        .is_some_and(|d| std::time::Instant::now() >= d)
                        || self.outlives_hard_end(node))
                {
                    self.suspended = Some(Halt {
                        token: uuid::Uuid::new_v4().simple().to_string(),
                        waiting: Waiting::Deadline {
                            task_path: node.path.clone(),
                        },
                        frames: Vec::new(),
                        call: None,
                    });
                    self.push_frame(&node.path, Step::Next);
                    if let Some(f) = self.top_frame() {
                        f.previous = previous;
                        f.any_failed = any_failed;
                    }
                    break;
                }
            }
            if let Some(why) = self.engine.runtime.interrupt().raised() {
                self.stop = Some(Stop {
                    path: node.path.clone(),
                    resumable: may_resume && node.can_resume,
                    message: format!(
                        "interrupted ({why}) before task `{}` ({})",
                        node.name,
                        node.kind_name()
                    ),
                    interrupted: true,
                });
                break;
            }
            let code = self.run_node(node, may_resume && node.can_resume, previous, frame);
            if self.suspended.is_some() {
                if let Some(f) = self.top_frame() {
                    f.previous = previous;
                    f.any_failed = any_failed;
                }
                break;
            }
            any_failed |= !code.is_success();
            previous = Some(code);
        }
        any_failed
    }

    fn checkpoint(&mut self, node: &Node) {
        let unit = self
            .prepared
            .resume_units
            .get(&node.path)
            .unwrap_or(&node.path);
        // Every task of a repeater's items is in the repeater's unit: most calls end here.
        if self.checkpoint.as_deref() == Some(unit.as_str()) {
            return;
        }
        let unit = unit.clone();
        // The files fetched so far are on the disk before a checkpoint resumes past their tasks
        // (docs/resume.md, "Downloaded files and the disk"); if they cannot be, the checkpoint
        // stays where it was and a resumed run fetches them again.
        if let Err(e) = crate::durability::barrier() {
            tracing::warn!("the checkpoint was not moved: {e}");
            return;
        }
        let cp = Checkpoint {
            run_id: self.run_id.clone(),
            path: unit.clone(),
            resume: ResumePoint::at(&self.prepared.workflow, &self.prepared.structure, &unit),
            pid: std::process::id(),
            host: host_name(),
            suspended: None,
            run: Some(self.run_start.clone()),
        };
        if let Err(e) = self.storage.save_checkpoint(&cp) {
            tracing::warn!("could not save the checkpoint: {e}");
            return;
        }
        self.checkpoint = Some(unit);
        self.save_states();
    }

    /// Stores the task state committed so far. Called once the checkpoint has moved to another
    /// resume unit (and at the end of the run, once its record is stored): a run that dies
    /// later resumes past the tasks whose cursors moved. Stored earlier, a run dying between a
    /// task's cursor moving and the checkpoint moving would run that task again with the moved
    /// cursor and lose what the first attempt fetched (a stock export would come back empty).
    /// Stored this late, such a run repeats work at worst: the cursor moves once the work it
    /// covers is behind the checkpoint.
    fn save_states(&mut self) {
        if !self.unsaved_state {
            return;
        }
        match self.storage.save_state(&self.states) {
            Ok(()) => {
                self.unsaved_state = false;
                crash_point_for_tests("after-state-saved");
            }
            // Kept for the next checkpoint or the end of the run.
            Err(e) => tracing::warn!("could not save the tasks' state: {e}"),
        }
    }

    /// Runs one node; `frame` is its part of a resumed suspension's position.
    fn run_node(
        &mut self,
        node: &Node,
        may_resume: bool,
        previous: Option<ResultCode>,
        frame: Option<Frame>,
    ) -> ResultCode {
        self.checkpoint(node);
        let resumed_record = frame
            .as_ref()
            .and_then(|f| f.record)
            .filter(|&i| i < self.tasks.len() && self.tasks[i].path == node.path);
        let (index, mut rec) = match resumed_record {
            Some(i) => (i, self.tasks[i].clone()),
            None => {
                self.progress.task_started(node, &self.iteration);
                let started = Utc::now();
                let rec = TaskRecord {
                    path: node.path.clone(),
                    id: node.id.clone(),
                    name: node.name.clone(),
                    kind: node.kind_name().to_string(),
                    iteration: self.iteration.clone(),
                    ..TaskRecord::placeholder(started)
                };
                // The record's place, taken now so it comes before its children's; it is
                // filled in below, on every way out of this function.
                self.tasks.push(TaskRecord::placeholder(started));
                (self.tasks.len() - 1, rec)
            }
        };
        let step = frame.map(|f| f.step);
        let (code, message) = match &node.kind {
            NodeKind::Container { children } => self.run_container(children, may_resume),
            NodeKind::Switch { branches } => self.run_switch(branches, may_resume, previous),
            NodeKind::Task(task) => self.run_task(node, task, may_resume, &mut rec, step),
        };
        if self.suspended.is_some() {
            if !matches!(node.kind, NodeKind::Task { .. }) {
                self.push_frame(&node.path, Step::Group);
            }
            if let Some(f) = self.top_frame() {
                f.record = Some(index);
            }
            rec.message = message;
            self.tasks[index] = rec;
            return ResultCode::Unknown;
        }
        let interrupted = code == ResultCode::Interrupted
            || (!code.is_success() && self.stop.as_ref().is_some_and(|s| s.interrupted));
        let code = if interrupted {
            ResultCode::Interrupted
        } else {
            code
        };
        rec.ended = Utc::now();
        rec.result = code;
        rec.message = message.clone();
        if !code.is_success() && (node.break_on_failure || interrupted) && self.stop.is_none() {
            self.stop = Some(Stop {
                path: node.path.clone(),
                resumable: may_resume,
                message: if interrupted {
                    format!("task `{}` ({}): {message}", node.name, node.kind_name())
                } else {
                    format!(
                        "task `{}` ({}) failed: {message}",
                        node.name,
                        node.kind_name()
                    )
                },
                interrupted,
            });
        }
        if let Some(run) = &self.scope.run {
            run.lock().unwrap_or_else(|p| p.into_inner()).add(&rec);
        }
        self.progress.task_finished(&rec);
        self.tasks[index] = rec;
        code
    }
}

fn summarise(failed: bool) -> (ResultCode, String) {
    if failed {
        (ResultCode::Fail, "a task inside did not succeed".into())
    } else {
        (ResultCode::Success, "all tasks inside succeeded".into())
    }
}
