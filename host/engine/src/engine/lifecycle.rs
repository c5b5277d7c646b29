//! The run lifecycle: starting a run (or refusing it), resuming a suspended one, the run lock,
//! recovering after a run whose process died, ending the run record and keeping its history.

use super::walk::Runner;
use super::{
    Engine, EngineError, Prepared, Progress, RunOptions, RunOutcome, Suspended,
    crash_point_for_tests,
};
use crate::checkpoint::{Checkpoint, Frame, Position, RunStart, Suspension, Waiting};
use crate::identity::{ResumePlan, ResumePoint};
use crate::limits::Limits;
use crate::notice::RunSummary;
use crate::record::{ResultCode, RunRecord};
use crate::storage::{Storage, StorageError, host_name, lock_info, process_alive};
use crate::suspend::Wake;
use crate::template::{Scope, VarMap};
use crate::workflow::{HistoryKeep, Workflow};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Where a call of `drive` starts.
struct Begin {
    record: RunRecord,
    lineage: String,
    resume: Option<ResumePlan>,
    /// A run of this workflow died before: clean up what its task may have left half-written.
    after_crash: bool,
    frames: Vec<Frame>,
    outputs: BTreeMap<String, VarMap>,
    wake: Option<Wake>,
}

impl Engine {
    /// Runs a prepared workflow against its store and returns the run record (also stored). A
    /// run with [`RunOptions::remote`] or [`RunOptions::deadline`] may suspend instead of
    /// ending: use [`Engine::start`] for those. Any run suspends at a task that ends
    /// `waiting`: its record is returned open (`ended` unset) and the next call resumes it.
    pub fn run(
        &self,
        prepared: &Prepared,
        storage: Arc<dyn Storage>,
        options: &RunOptions,
        progress: &dyn Progress,
    ) -> Result<RunRecord, EngineError> {
        Ok(self.start(prepared, storage, options, progress)?.record)
    }

    /// Starts a new run: it ends, or suspends at a remote task, at the deadline or at a task
    /// that waits. A run suspended at a waiting task is resumed instead (docs/resume.md).
    pub fn start(
        &self,
        prepared: &Prepared,
        storage: Arc<dyn Storage>,
        options: &RunOptions,
        progress: &dyn Progress,
    ) -> Result<RunOutcome, EngineError> {
        let wf = &prepared.workflow;
        // A run suspended at a waiting task is carried on by the workflow's next run.
        if let Some(Checkpoint {
            suspended: Some(suspension),
            ..
        }) = storage.load_checkpoint()?
            && !suspension.waiting.woken_by_message()
        {
            let wake = Wake::Continue {
                token: suspension.token,
            };
            return self.resume(prepared, storage, options, progress, wake);
        }
        let run_id = uuid::Uuid::new_v4().simple().to_string();
        let (lock, mut notices) = self.lock(wf, &storage, &run_id, options)?;
        // A suspended run owns the workflow until it is resumed: a new run would clobber the
        // position it resumes from.
        let held = storage.load_checkpoint()?;
        if let Some(Checkpoint {
            run_id: holder,
            suspended: Some(suspension),
            ..
        }) = &held
        {
            return Err(EngineError::Suspended {
                workflow: wf.name.clone(),
                run_id: holder.clone(),
                since: suspension.since,
                what: suspension.describe(),
            });
        }
        if let Some(only) = &options.recover_only
            && held.as_ref().is_none_or(|c| c.run_id != only.run_id)
        {
            return Err(EngineError::NotWaiting {
                token: only.token.clone(),
                state: format!(
                    "run {} left no checkpoint to recover (it ended, or another invocation carried it on)",
                    only.run_id
                ),
            });
        }
        let after_crash = self.recover_crashed_run(prepared, storage.as_ref())?;
        let failed = storage
            .last_ended_run()?
            .filter(|r| r.result.resumes() && r.resume_at.is_some() && wf.resume_on_failure);
        let mut resume = None;
        let mut lineage = run_id.clone();
        if let Some(failed) = failed {
            let starts_afresh = |why: String| {
                format!(
                    "run {} stopped at task {}, but {why}; this run starts from the first task",
                    failed.id,
                    failed.resume_at.as_deref().unwrap_or("?")
                )
            };
            match &failed.resume {
                _ if options.fresh => {
                    notices.push(starts_afresh("`--fresh` asks not to resume it".into()))
                }
                None => notices.push(starts_afresh(
                    "its record (from an earlier Wharf) does not say which task that is by id"
                        .into(),
                )),
                Some(point) => match point.resolve(wf) {
                    Ok(plan) => {
                        lineage = failed.lineage.clone().unwrap_or(failed.id.clone());
                        resume = Some(plan);
                    }
                    Err(why) => notices.push(starts_afresh(why)),
                },
            }
        }
        for notice in &notices {
            tracing::warn!("{notice}");
        }
        let start = RunStart {
            started: Utc::now(),
            lineage: lineage.clone(),
            started_by: options.started_by.clone(),
            resumed_from: resume.as_ref().map(|p| p.target.clone()),
        };
        let record = first_record(wf, &run_id, &start, notices);
        storage.put_run_started(&record)?;
        let begin = Begin {
            record,
            lineage,
            resume,
            after_crash,
            frames: Vec::new(),
            outputs: BTreeMap::new(),
            wake: None,
        };
        self.drive(prepared, storage, options, progress, begin, lock)
    }

    /// Carries on a suspended run: with the result of the remote task it waits for, or after a
    /// time-budget pause. The wake must name the suspension's token; anything else (a late or
    /// repeated message) is refused with [`EngineError::NotWaiting`] and changes nothing.
    pub fn resume(
        &self,
        prepared: &Prepared,
        storage: Arc<dyn Storage>,
        options: &RunOptions,
        progress: &dyn Progress,
        wake: Wake,
    ) -> Result<RunOutcome, EngineError> {
        let wf = &prepared.workflow;
        let not_waiting = |state: String| EngineError::NotWaiting {
            token: wake.token().to_string(),
            state,
        };
        // Checked before taking the lock, so a duplicate message costs no lock; and again once
        // it is held, because another invocation may have resumed the run in between.
        let waiting_for_this = |checkpoint: Option<Checkpoint>| -> Result<_, EngineError> {
            let (run_id, suspension) = match checkpoint {
                Some(Checkpoint {
                    run_id,
                    suspended: Some(s),
                    ..
                }) if s.token == wake.token() => (run_id, s),
                Some(Checkpoint {
                    run_id,
                    suspended: Some(s),
                    ..
                }) => {
                    return Err(not_waiting(format!(
                        "run {run_id} is {} instead",
                        s.describe()
                    )));
                }
                Some(cp) => {
                    return Err(not_waiting(format!(
                        "run {} is not suspended (it is at task {})",
                        cp.run_id, cp.path
                    )));
                }
                None => return Err(not_waiting("no run is suspended".into())),
            };
            let kind_fits = matches!(
                (&wake, &suspension.waiting),
                (Wake::Result { .. }, Waiting::Remote { .. })
                    | (
                        Wake::Continue { .. },
                        Waiting::Deadline { .. } | Waiting::Later { .. }
                    )
            );
            if !kind_fits {
                return Err(not_waiting(format!(
                    "run {run_id} is {}",
                    suspension.describe()
                )));
            }
            Ok((run_id, suspension))
        };
        let (run_id, _) = waiting_for_this(storage.load_checkpoint()?)?;
        let (lock, notices) = self.lock(wf, &storage, &run_id, options)?;
        let (run_id, suspension) = waiting_for_this(storage.load_checkpoint()?)?;
        let Some(mut record) = storage.get_run(&run_id)? else {
            return Err(EngineError::Storage(StorageError::Corrupt {
                what: format!("the record of suspended run {run_id}"),
                message: "it is missing".into(),
            }));
        };
        // The workflow may have been redeployed while the run waited: it resumes only where
        // every node of its position still exists.
        if let Some(gone) = suspension
            .position
            .frames
            .iter()
            .find(|f| wf.node(&f.path).is_none())
        {
            record.ended = Some(Utc::now());
            record.result = ResultCode::Fail;
            record.message = format!(
                "the workflow changed while the run was suspended: task {} no longer exists, so the run cannot resume",
                gone.path
            );
            storage.put_run(&record)?;
            storage.clear_checkpoint()?;
            return Ok(RunOutcome {
                record,
                suspended: None,
            });
        }
        record.message = "running".into();
        record.notices.extend(notices);
        let begin = Begin {
            lineage: suspension.lineage.clone(),
            resume: None,
            after_crash: false,
            frames: suspension.position.frames,
            outputs: suspension.position.outputs,
            wake: Some(wake),
            record,
        };
        self.drive(prepared, storage, options, progress, begin, lock)
    }

    fn lock(
        &self,
        wf: &Workflow,
        storage: &Arc<dyn Storage>,
        run_id: &str,
        options: &RunOptions,
    ) -> Result<(Option<LockGuard>, Vec<String>), EngineError> {
        if !wf.use_mutex {
            return Ok((None, Vec::new()));
        }
        let lease = options.lock_lease.unwrap_or(chrono::Duration::hours(12));
        let took_over = storage.acquire_lock(&lock_info(run_id, lease))?;
        Ok((
            Some(LockGuard {
                storage: storage.clone(),
                run_id: run_id.to_string(),
            }),
            took_over.into_iter().collect(),
        ))
    }

    /// Walks the workflow from where `begin` says, then ends or suspends the run.
    fn drive(
        &self,
        prepared: &Prepared,
        storage: Arc<dyn Storage>,
        options: &RunOptions,
        progress: &dyn Progress,
        begin: Begin,
        _lock: Option<LockGuard>,
    ) -> Result<RunOutcome, EngineError> {
        let wf = &prepared.workflow;
        let mut record = begin.record;
        let run_id = record.id.clone();
        let staged = storage.stage_workdir()?;
        if begin.after_crash {
            for left in remove_partial_files(&staged.path) {
                record.notices.push(format!(
                    "removed `{left}`, a file the run that died was still writing"
                ));
            }
        }
        let mut runner = Runner {
            engine: self,
            prepared,
            storage: storage.clone(),
            workdir: staged.path.clone(),
            states: storage.load_state()?,
            truth: storage.truth()?,
            mappings: Arc::new(storage.mappings()?),
            scope: Scope {
                workflow: Arc::new(wf.variables.clone()),
                globals: Arc::new(options.globals.clone()),
                outputs: Arc::new(begin.outputs),
                // What the run did before this start (a resumed run's tasks) is in it already.
                run: Some(Arc::new(std::sync::Mutex::new(RunSummary::of(wf, &record)))),
                ..Scope::default()
            },
            run_start: RunStart {
                started: record.started,
                lineage: begin.lineage.clone(),
                started_by: record.started_by.clone(),
                resumed_from: record.resumed_from.clone(),
            },
            tasks: std::mem::take(&mut record.tasks),
            resume: begin.resume,
            resume_frames: begin.frames.into(),
            wake: begin.wake,
            iteration: Vec::new(),
            progress,
            stop: None,
            suspended: None,
            checkpoint: None,
            run_id: run_id.clone(),
            lineage: begin.lineage.clone(),
            base_limits: Limits::default().with(&wf.limits),
            remote: options.remote.clone(),
            deadline: options.deadline,
            hard_end: options.hard_end,
            executed: 0,
            unsaved_state: false,
        };
        runner.run_list(&wf.tasks, wf.resume_on_failure, None);
        let mut unsaved_states = runner.unsaved_state.then(|| runner.states.clone());
        let stop = runner.stop.take();
        let suspended = runner.suspended.take();
        let scope_outputs = (*runner.scope.outputs).clone();
        record.tasks = std::mem::take(&mut runner.tasks);
        drop(runner);

        // The files fetched are on the disk before the record says their tasks are done or
        // the checkpoint resumes past them (docs/resume.md, "Downloaded files and the disk"),
        // and before the store commits the working directory: a store that uploads it and
        // removes the local folder (S3) would otherwise leave a flush still under way without
        // the folder it flushes.
        let flushed = crate::durability::barrier_ending_run();
        storage.commit_workdir(&staged)?;
        if let Some(mut halt) = suspended {
            halt.frames.reverse();
            let suspension = Suspension {
                token: halt.token,
                since: Utc::now(),
                waiting: halt.waiting,
                lineage: begin.lineage,
                run_started: record.started,
                position: Position {
                    frames: halt.frames,
                    outputs: scope_outputs,
                },
                sent: false,
                sent_at: None,
            };
            record.message = suspension.describe();
            // The files fetched so far are on the disk before the suspension resumes past them.
            flushed.map_err(|message| StorageError::Corrupt {
                what: "suspending the run".into(),
                message,
            })?;
            storage.put_run(&record)?;
            storage.save_checkpoint(&Checkpoint {
                run_id: run_id.clone(),
                path: suspension.task_path().to_string(),
                resume: None,
                pid: std::process::id(),
                host: host_name(),
                suspended: Some(suspension.clone()),
                // The suspended run's record is stored durably just above.
                run: None,
            })?;
            // After the checkpoint that resumes past the tasks that changed it (see
            // `Runner::save_states`).
            if let Some(states) = &unsaved_states {
                storage.save_state(states)?;
                crash_point_for_tests("after-state-saved");
            }
            return Ok(RunOutcome {
                record,
                suspended: Some(Suspended {
                    suspension,
                    call: halt.call,
                }),
            });
        }
        record.ended = Some(Utc::now());
        record.archive_path = record.tasks.iter().rev().find_map(|t| {
            t.outputs
                .iter()
                .find(|(k, _)| k == "archive-path")
                .map(|(_, v)| v.clone())
        });
        match stop {
            Some(stop) => {
                let unit = prepared
                    .resume_units
                    .get(&stop.path)
                    .cloned()
                    .unwrap_or(stop.path.clone());
                record.result = match (stop.interrupted, stop.resumable) {
                    (true, _) => ResultCode::Interrupted,
                    (false, true) => ResultCode::Resume,
                    (false, false) => ResultCode::Fail,
                };
                if stop.resumable {
                    record.resume = ResumePoint::at(wf, &prepared.structure, &unit);
                    record.resume_at = Some(unit.clone());
                    record.message =
                        format!("{}; the next run resumes at task {unit}", stop.message);
                } else {
                    record.message = stop.message;
                }
            }
            None => {
                record.result = ResultCode::Success;
                let failed = record
                    .tasks
                    .iter()
                    .filter(|t| !t.result.is_success())
                    .count();
                record.message = if failed == 0 {
                    "all tasks succeeded".into()
                } else {
                    format!(
                        "finished; {failed} task execution(s) did not succeed but do not break the workflow"
                    )
                };
            }
        }
        // A long repeater's executions beyond the first few hundred per task are summed in one
        // line each: the stored record stays small.
        record.summarise();
        // The files fetched are on the disk before the record (and the state after it) says
        // their tasks are done (docs/resume.md, "Downloaded files and the disk"). If they cannot
        // be, the run fails without a resume point: the next run starts from the first task
        // and fetches them again, and no task state is saved.
        if let Err(e) = flushed {
            record.result = ResultCode::Fail;
            record.resume = None;
            record.resume_at = None;
            record.message = format!(
                "{}; then {e}; the next run starts from the first task",
                record.message
            );
            unsaved_states = None;
        }
        storage.put_run(&record)?;
        // Only now that the record says where the next run starts (see `Runner::save_states`).
        if let Some(states) = &unsaved_states {
            storage.save_state(states)?;
            crash_point_for_tests("after-state-saved");
        }
        storage.clear_checkpoint()?;
        housekeep_history(wf, storage.as_ref(), &record.id)?;
        Ok(RunOutcome {
            record,
            suspended: None,
        })
    }

    /// A checkpoint left by a run whose process died: close that run's record as failed (with
    /// its resume point) so the next run can resume from it.
    /// Answers whether there was such a run.
    fn recover_crashed_run(
        &self,
        prepared: &Prepared,
        storage: &dyn Storage,
    ) -> Result<bool, EngineError> {
        let Some(cp) = storage.load_checkpoint()? else {
            return Ok(false);
        };
        if cp.suspended.is_some() {
            // Not crashed: waiting to be resumed.
            return Ok(false);
        }
        let wf = &prepared.workflow;
        let abandoned = wf.use_mutex
            || cp.pid == std::process::id()
            || (cp.host == host_name() && !process_alive(cp.pid));
        if !abandoned {
            return Ok(false);
        }
        let crashed = match storage.get_run(&cp.run_id)? {
            Some(record) => record.ended.is_none().then_some(record),
            // Its first record did not reach the disk (the machine stopped): made again from
            // what the checkpoint says of it.
            None => cp
                .run
                .as_ref()
                .map(|start| {
                    first_record(wf, &cp.run_id, start, vec![
                        "this record was made again from the run's checkpoint: the first one was lost (the machine stopped before it was written to disk)".into(),
                    ])
                }),
        };
        if let Some(mut crashed) = crashed {
            // The workflow may have been edited since the run died: where it stopped is known
            // by task id (the path is for checkpoints of earlier Wharfs).
            let point = cp
                .resume
                .clone()
                .or_else(|| ResumePoint::at(wf, &prepared.structure, &cp.path));
            let mut now_at = None;
            if let Some(p) = &point {
                wf.walk(|n| {
                    if n.id == p.task {
                        now_at = Some(n.path.clone());
                    }
                });
            }
            let resumable = wf.resume_on_failure
                && match (&point, &now_at) {
                    (Some(_), Some(path)) => {
                        wf.ancestry(path).iter().all(|n| n.can_resume)
                            && prepared.resume_units.contains_key(path)
                    }
                    // Gone since: the next run says so and starts from the first task.
                    (Some(_), None) => true,
                    (None, _) => false,
                };
            crashed.ended = Some(Utc::now());
            let message = format!(
                "the run stopped unexpectedly (the process ended) during task {}",
                cp.path
            );
            if resumable {
                crashed.result = ResultCode::Resume;
                crashed.resume = point;
                crashed.resume_at = Some(cp.path.clone());
                crashed.message = format!("{message}; the next run resumes there");
            } else {
                crashed.result = ResultCode::Fail;
                crashed.message = message;
            }
            storage.put_run(&crashed)?;
        }
        storage.clear_checkpoint()?;
        Ok(true)
    }
}

/// A run's first record ("running"), as `start` says it: written when the run starts, and made
/// again from the checkpoint for a crashed run whose first record was lost.
fn first_record(wf: &Workflow, run_id: &str, start: &RunStart, notices: Vec<String>) -> RunRecord {
    RunRecord {
        id: run_id.to_string(),
        workflow: wf.name.clone(),
        started: start.started,
        ended: None,
        result: ResultCode::Unknown,
        message: "running".into(),
        resumed_from: start.resumed_from.clone(),
        resume_at: None,
        resume: None,
        lineage: Some(start.lineage.clone()),
        archive_path: None,
        started_by: start.started_by.clone(),
        notices,
        tasks: Vec::new(),
    }
}

/// How the files still being written are named (`.<name>.wharf-partial`): the guest SDK and
/// the host transfers write there and rename into place when complete.
const PARTIAL_SUFFIX: &str = ".wharf-partial";

/// Removes every partial file under `workdir` (symlinks are not followed); answers their paths
/// relative to it.
pub(super) fn remove_partial_files(workdir: &Path) -> Vec<String> {
    let mut removed = Vec::new();
    let mut pending = vec![workdir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file()
                && entry
                    .file_name()
                    .to_string_lossy()
                    .ends_with(PARTIAL_SUFFIX)
            {
                match std::fs::remove_file(&path) {
                    Ok(()) => removed.push(
                        path.strip_prefix(workdir)
                            .unwrap_or(&path)
                            .display()
                            .to_string(),
                    ),
                    Err(e) => tracing::warn!("could not remove {}: {e}", path.display()),
                }
            }
        }
    }
    removed
}

fn housekeep_history(
    wf: &Workflow,
    storage: &dyn Storage,
    current: &str,
) -> Result<(), StorageError> {
    let doomed: Vec<(String, DateTime<Utc>)> = match wf.history.keep {
        HistoryKeep::Runs => {
            let runs = storage.run_index()?;
            let keep = wf.history.number.max(1) as usize;
            let expired = runs.len().saturating_sub(keep);
            runs.into_iter().take(expired).collect()
        }
        HistoryKeep::Days => {
            let cutoff = Utc::now() - chrono::Duration::days(i64::from(wf.history.number));
            storage.run_index_before(cutoff)?
        }
    };
    for (id, _) in doomed.iter().filter(|(id, _)| id != current) {
        storage.remove_run(id)?;
    }
    Ok(())
}

struct LockGuard {
    storage: Arc<dyn Storage>,
    run_id: String,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if let Err(e) = self.storage.release_lock(&self.run_id) {
            tracing::warn!("could not release the run lock: {e}");
        }
    }
}
