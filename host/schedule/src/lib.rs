//! `wharf schedule`: starts each workflow at the starts its `schedule:` gives
//! (docs/schedule.md). The [`Scheduler`] is the decision part — what is due, what is refused
//! because the workflow's last run is still going, which starts were missed — and takes the
//! time as an argument, so it is tested without waiting; [`drive`] runs it against a
//! [`Clock`] and a launcher that starts the runs.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use wharf_engine::schedule::{Missed, Schedule};

/// Counting missed starts stops here (a minutely schedule a month behind would count 43,200).
pub const MISSED_COUNT_CAP: usize = 1000;

/// How late a start may be taken and still count as on time (the process was busy or the
/// machine slow); later than this it was missed.
pub const DEFAULT_GRACE_SECONDS: i64 = 60;

/// A scheduled workflow.
#[derive(Debug, Clone)]
pub struct Entry {
    pub file: PathBuf,
    /// Its identity: names its data folder.
    pub id: String,
    pub name: String,
    pub schedule: Schedule,
}

/// What the scheduler decided at a moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Start a run now. `missed` starts before `due` were missed and this run makes up for
    /// them (`missed: run-once`); 0 for a start on time.
    Start {
        workflow: usize,
        due: DateTime<Utc>,
        missed: usize,
    },
    /// A start came while the workflow's last run was still going: no second run (Zynk's
    /// mutex, and Task Scheduler's "do not start a new instance").
    Refused {
        workflow: usize,
        due: DateTime<Utc>,
        running_since: DateTime<Utc>,
    },
    /// Starts that passed unrun (the service was stopped, the machine asleep) and are not made
    /// up (`missed: skip`): `count` of them (at most [`MISSED_COUNT_CAP`]), the first at `first`.
    Skipped {
        workflow: usize,
        count: usize,
        first: DateTime<Utc>,
    },
}

struct Slot {
    entry: Entry,
    /// Every start up to this moment has been dealt with.
    last: DateTime<Utc>,
    running: Option<DateTime<Utc>>,
}

/// The decisions, without a clock.
pub struct Scheduler {
    slots: Vec<Slot>,
    grace: Duration,
}

impl Scheduler {
    /// Workflows with the moment each was last dealt with (from [`State`]; none for a
    /// workflow never scheduled before, whose earlier starts are not missed ones).
    pub fn new(entries: Vec<(Entry, Option<DateTime<Utc>>)>, now: DateTime<Utc>) -> Scheduler {
        Scheduler {
            slots: entries
                .into_iter()
                .map(|(entry, last)| Slot {
                    entry,
                    // A saved moment in the future (the clock was put back) counts as now.
                    last: last.map_or(now, |l| l.min(now)),
                    running: None,
                })
                .collect(),
            grace: Duration::seconds(DEFAULT_GRACE_SECONDS),
        }
    }

    /// How late a start may be and still be on time.
    pub fn with_grace(mut self, grace: Duration) -> Scheduler {
        self.grace = grace;
        self
    }

    pub fn entry(&self, workflow: usize) -> &Entry {
        &self.slots[workflow].entry
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The moment every start of `workflow` up to which has been dealt with, and its next
    /// start: what [`State`] keeps.
    pub fn state(&self, workflow: usize) -> State {
        let slot = &self.slots[workflow];
        State {
            last: Some(slot.last),
            next: slot.entry.schedule.next_after(slot.last),
        }
    }

    /// The run started for `workflow` has ended.
    pub fn finished(&mut self, workflow: usize) {
        self.slots[workflow].running = None;
    }

    /// The earliest next start of any workflow.
    pub fn next_wake(&self) -> Option<DateTime<Utc>> {
        self.slots
            .iter()
            .filter_map(|s| s.entry.schedule.next_after(s.last))
            .min()
    }

    /// Deals with every start up to `now`. A `Start` marks the workflow running until
    /// [`Scheduler::finished`].
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<Event> {
        let mut events = Vec::new();
        for (workflow, slot) in self.slots.iter_mut().enumerate() {
            let schedule = &slot.entry.schedule;
            let Some(first) = schedule.next_after(slot.last).filter(|t| *t <= now) else {
                continue;
            };
            // Every start in (last, now]: the newest is on time if it is recent enough.
            let mut count = 1;
            let mut newest = first;
            while count < MISSED_COUNT_CAP {
                match schedule.next_after(newest) {
                    Some(t) if t <= now => {
                        count += 1;
                        newest = t;
                    }
                    _ => break,
                }
            }
            slot.last = now;
            let on_time = count < MISSED_COUNT_CAP && now - newest <= self.grace;
            let missed = count - usize::from(on_time);
            let start = on_time || schedule.missed == Missed::RunOnce;
            if missed > 0 && schedule.missed == Missed::Skip {
                events.push(Event::Skipped {
                    workflow,
                    count: missed,
                    first,
                });
            }
            if !start {
                continue;
            }
            let due = if on_time { newest } else { now };
            match slot.running {
                Some(running_since) => events.push(Event::Refused {
                    workflow,
                    due,
                    running_since,
                }),
                None => {
                    slot.running = Some(now);
                    events.push(Event::Start {
                        workflow,
                        due,
                        missed: if on_time && schedule.missed == Missed::Skip {
                            0
                        } else {
                            missed
                        },
                    });
                }
            }
        }
        events
    }
}

/// What `wharf schedule` keeps per workflow (`<data>/<identity>/schedule.json`): up to when
/// its starts were dealt with — so a restarted scheduler knows which it missed — and its next
/// start, which `wharf serve` shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub last: Option<DateTime<Utc>>,
    pub next: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("writing the schedule state {file}: {source}")]
    Write {
        file: PathBuf,
        source: std::io::Error,
    },
}

/// The file [`State`] is kept in, in a workflow's data folder.
pub const STATE_FILE: &str = "schedule.json";

impl State {
    /// The state in `folder`; a missing or unreadable file is no state (the workflow starts
    /// afresh: nothing counts as missed).
    pub fn load(folder: &Path) -> State {
        std::fs::read(folder.join(STATE_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Writes the state whole (a temporary file renamed over the old one).
    pub fn save(&self, folder: &Path) -> Result<(), StateError> {
        let file = folder.join(STATE_FILE);
        let partial = folder.join(".schedule.json.partial");
        let io = |source| StateError::Write {
            file: file.clone(),
            source,
        };
        std::fs::create_dir_all(folder).map_err(io)?;
        let json = serde_json::to_vec_pretty(self).unwrap_or_default();
        std::fs::write(&partial, json).map_err(io)?;
        std::fs::rename(&partial, &file).map_err(io)
    }
}

/// Where the time comes from.
pub trait Clock {
    fn now(&self) -> DateTime<Utc>;
    /// How long to wait in real time until the clock shows `at` (zero if it has passed).
    fn wait_for(&self, at: DateTime<Utc>) -> std::time::Duration;
}

/// The machine's clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn wait_for(&self, at: DateTime<Utc>) -> std::time::Duration {
        (at - Utc::now()).to_std().unwrap_or_default()
    }
}

/// A clock that starts at a given moment and runs `speed` times faster than real time: the
/// tests see hours of schedule in seconds.
pub struct ScaledClock {
    origin: DateTime<Utc>,
    started: std::time::Instant,
    speed: f64,
}

impl ScaledClock {
    pub fn new(origin: DateTime<Utc>, speed: f64) -> ScaledClock {
        ScaledClock {
            origin,
            started: std::time::Instant::now(),
            speed: speed.max(f64::MIN_POSITIVE),
        }
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        let real = self.started.elapsed().as_secs_f64() * self.speed;
        self.origin + Duration::microseconds((real * 1e6) as i64)
    }

    fn wait_for(&self, at: DateTime<Utc>) -> std::time::Duration {
        let ahead = (at - self.now()).to_std().unwrap_or_default();
        ahead.div_f64(self.speed)
    }
}

/// Starts a run of a workflow: given its index and entry, and where to send `(index, outcome)`
/// when the run ends.
pub type Launch<'a> = dyn Fn(usize, &Entry, mpsc::Sender<(usize, Outcome)>) + 'a;

/// How a started run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The run's exit code (README "Exit code") and the last lines it wrote to standard error.
    Exited { code: Option<i32>, error: String },
    /// The run could not be started at all.
    NotStarted(String),
}

/// What [`drive`] tells its caller as it goes.
#[derive(Debug)]
pub enum Report<'a> {
    Event(&'a Event),
    Finished { workflow: usize, outcome: Outcome },
}

/// The longest [`drive`] waits before looking at the stop flag again.
const STOP_POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// Runs the scheduler until `stop` is raised or the clock passes `until`: starts runs with
/// `launch(workflow, entry, done)`, which must send `(workflow, outcome)` on `done` when the run
/// ends; `save(entry, state)` after each start dealt with; every event and finished run to
/// `report`. On stopping, it waits for the runs it started to end.
pub fn drive(
    mut scheduler: Scheduler,
    clock: &dyn Clock,
    stop: &AtomicBool,
    until: Option<DateTime<Utc>>,
    launch: &Launch<'_>,
    save: &mut dyn FnMut(&Entry, &State),
    report: &mut dyn FnMut(&Scheduler, Report<'_>),
) {
    let (done_tx, done_rx) = mpsc::channel::<(usize, Outcome)>();
    let mut running = 0usize;
    loop {
        let now = clock.now();
        if stop.load(Ordering::SeqCst) || until.is_some_and(|u| now >= u) {
            break;
        }
        for event in scheduler.tick(now) {
            report(&scheduler, Report::Event(&event));
            let workflow = match event {
                Event::Start { workflow, .. } => {
                    running += 1;
                    launch(workflow, scheduler.entry(workflow), done_tx.clone());
                    workflow
                }
                Event::Refused { workflow, .. } | Event::Skipped { workflow, .. } => workflow,
            };
            save(scheduler.entry(workflow), &scheduler.state(workflow));
        }
        let wake = [scheduler.next_wake(), until].into_iter().flatten().min();
        let wait = wake.map_or(STOP_POLL, |at| clock.wait_for(at).min(STOP_POLL));
        let mut ended: Vec<_> = done_rx.recv_timeout(wait).into_iter().collect();
        ended.extend(done_rx.try_iter());
        for (workflow, outcome) in ended {
            scheduler.finished(workflow);
            running = running.saturating_sub(1);
            report(&scheduler, Report::Finished { workflow, outcome });
        }
    }
    while running > 0 {
        let Ok((workflow, outcome)) = done_rx.recv() else {
            break;
        };
        scheduler.finished(workflow);
        running -= 1;
        report(&scheduler, Report::Finished { workflow, outcome });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn entry(yaml_schedule: &str) -> Entry {
        let text = format!(
            "name: Orders\nschedule:\n{}\ntasks:\n  - task: noop\n",
            yaml_schedule
                .lines()
                .map(|l| format!("  {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        let wf = wharf_engine::Workflow::parse(Path::new("orders.yaml"), &text).expect("workflow");
        Entry {
            file: wf.file.clone(),
            id: wf.id.clone(),
            name: wf.name.clone(),
            schedule: wf.schedule.expect("schedule"),
        }
    }

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, h, m, s).unwrap()
    }

    #[test]
    fn starts_on_time_and_refuses_an_overlap() {
        let mut s = Scheduler::new(
            vec![(entry("every: 15m\ntime-zone: UTC"), None)],
            at(7, 59, 0),
        );
        assert_eq!(s.next_wake(), Some(at(8, 0, 0)));
        assert!(s.tick(at(7, 59, 59)).is_empty());
        assert_eq!(
            s.tick(at(8, 0, 1)),
            [Event::Start {
                workflow: 0,
                due: at(8, 0, 0),
                missed: 0
            }]
        );
        assert!(s.tick(at(8, 14, 0)).is_empty());
        // Still running at the next start: refused, not queued.
        assert_eq!(
            s.tick(at(8, 15, 0)),
            [Event::Refused {
                workflow: 0,
                due: at(8, 15, 0),
                running_since: at(8, 0, 1)
            }]
        );
        s.finished(0);
        assert!(s.tick(at(8, 20, 0)).is_empty());
        assert_eq!(
            s.tick(at(8, 30, 2)),
            [Event::Start {
                workflow: 0,
                due: at(8, 30, 0),
                missed: 0
            }]
        );
        assert_eq!(
            s.state(0),
            State {
                last: Some(at(8, 30, 2)),
                next: Some(at(8, 45, 0))
            }
        );
    }

    #[test]
    fn missed_starts_are_skipped_or_run_once() {
        // Stopped at 07:00 and started again at 08:07: 07:15 … 08:00 were missed.
        let skip = entry("every: 15m\ntime-zone: UTC");
        let once = entry("every: 15m\ntime-zone: UTC\nmissed: run-once");
        let mut s = Scheduler::new(
            vec![(skip, Some(at(7, 0, 0))), (once, Some(at(7, 0, 0)))],
            at(8, 7, 0),
        );
        assert_eq!(
            s.tick(at(8, 7, 0)),
            [
                Event::Skipped {
                    workflow: 0,
                    count: 4,
                    first: at(7, 15, 0)
                },
                Event::Start {
                    workflow: 1,
                    due: at(8, 7, 0),
                    missed: 4
                },
            ]
        );
        // Both go on at the next start as usual.
        s.finished(1);
        assert_eq!(
            s.tick(at(8, 15, 0)),
            [
                Event::Start {
                    workflow: 0,
                    due: at(8, 15, 0),
                    missed: 0
                },
                Event::Start {
                    workflow: 1,
                    due: at(8, 15, 0),
                    missed: 0
                },
            ]
        );
    }

    #[test]
    fn a_late_wake_up_counts_the_starts_it_slept_through() {
        // The machine slept from 08:01 to 08:45:30: 08:15 and 08:30 passed; 08:45 is on time.
        let mut s = Scheduler::new(
            vec![(entry("every: 15m\ntime-zone: UTC"), None)],
            at(8, 1, 0),
        );
        assert_eq!(
            s.tick(at(8, 45, 30)),
            [
                Event::Skipped {
                    workflow: 0,
                    count: 2,
                    first: at(8, 15, 0)
                },
                Event::Start {
                    workflow: 0,
                    due: at(8, 45, 0),
                    missed: 0
                },
            ]
        );
        // Far behind a minutely schedule, the count stops at the cap.
        let mut s = Scheduler::new(
            vec![(
                entry("every: 1m\ntime-zone: UTC"),
                Some(at(0, 0, 0) - Duration::days(3)),
            )],
            at(8, 0, 0),
        );
        assert_eq!(
            s.tick(at(8, 0, 0)),
            [Event::Skipped {
                workflow: 0,
                count: MISSED_COUNT_CAP,
                first: at(0, 1, 0) - Duration::days(3)
            }]
        );
    }

    #[test]
    fn a_new_workflow_misses_nothing_and_state_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(State::load(dir.path()), State::default());
        let mut s = Scheduler::new(
            vec![(entry("at: \"06:30\"\ntime-zone: UTC"), None)],
            at(8, 0, 0),
        );
        assert!(s.tick(at(8, 0, 0)).is_empty());
        s.state(0).save(dir.path()).unwrap();
        let saved = State::load(dir.path());
        assert_eq!(saved.last, Some(at(8, 0, 0)));
        assert_eq!(saved.next, Some(at(6, 30, 0) + Duration::days(1)));
    }

    #[test]
    fn drive_starts_runs_on_a_fast_clock_and_waits_for_them() {
        // 1 real second is 15 scheduled minutes: 08:00, 08:15 and 08:30 in about 2.5 s.
        let clock = ScaledClock::new(at(7, 59, 50), 900.0);
        let scheduler = Scheduler::new(
            vec![(entry("every: 15m\ntime-zone: UTC"), None)],
            clock.now(),
        );
        let stop = AtomicBool::new(false);
        let launch = |workflow: usize, _: &Entry, done: mpsc::Sender<(usize, Outcome)>| {
            let _ = done.send((
                workflow,
                Outcome::Exited {
                    code: Some(0),
                    error: String::new(),
                },
            ));
        };
        let mut saved = Vec::new();
        let mut seen = Vec::new();
        drive(
            scheduler,
            &clock,
            &stop,
            Some(at(8, 35, 0)),
            &launch,
            &mut |_: &Entry, state: &State| saved.push(state.clone()),
            &mut |_, report| {
                seen.push(match report {
                    Report::Event(Event::Start { due, .. }) => {
                        format!("start {}", due.format("%H:%M"))
                    }
                    Report::Event(other) => format!("{other:?}"),
                    Report::Finished { .. } => "finished".into(),
                })
            },
        );
        assert_eq!(
            seen,
            [
                "start 08:00",
                "finished",
                "start 08:15",
                "finished",
                "start 08:30",
                "finished"
            ]
        );
        assert_eq!(saved.last().and_then(|s| s.next), Some(at(8, 45, 0)));
    }
}
