//! What `wharf` prints: the live progress display and the readable run report.

use indicatif::{ProgressBar, ProgressStyle};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use wharf_engine::runtime::{SettingKind, TaskInfo};
use wharf_engine::storage::UnreadableRun;
use wharf_engine::workflow::{Node, NodeKind};
use wharf_engine::{Progress, ResultCode, RunRecord, TaskRecord, Workflow};

/// Progress while a run goes. On a terminal: a spinner naming the running task, the repeater
/// item it is on (N of M, with an estimate of the time left), the records written so far and
/// the elapsed time. Piped (cron, systemd): one plain line per task execution as it ends.
pub struct LiveProgress {
    bar: ProgressBar,
    /// One line per finished task on standard error instead of the spinner.
    plain: bool,
    started: Instant,
    records_out: AtomicU64,
    /// Per repeater (its path): how many items it listed, and when.
    listed: Mutex<HashMap<String, (usize, Instant)>>,
    /// The local time of day a plain line starts with, kept for the second it names: a
    /// repeater's tasks end many times a second, and each formatting took longer than the
    /// walk's own work for the task.
    clock: Mutex<(i64, String)>,
}

impl LiveProgress {
    /// `quiet`: show nothing (the run's output is JSON).
    pub fn new(quiet: bool) -> Self {
        let plain = !quiet && !std::io::stderr().is_terminal();
        let bar = if quiet || plain {
            ProgressBar::hidden()
        } else {
            ProgressBar::new_spinner()
        };
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        LiveProgress {
            bar,
            plain,
            started: Instant::now(),
            records_out: AtomicU64::new(0),
            listed: Mutex::new(HashMap::new()),
            clock: Mutex::new((i64::MIN, String::new())),
        }
    }

    /// `HH:MM:SS`, local time, now.
    fn time_of_day(&self) -> String {
        let now = chrono::Utc::now();
        let mut clock = self.clock.lock().unwrap_or_else(|p| p.into_inner());
        if clock.0 != now.timestamp() {
            let local = now.with_timezone(&chrono::Local);
            *clock = (now.timestamp(), local.format("%H:%M:%S").to_string());
        }
        clock.1.clone()
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// "item N of M, about T left" for the innermost repeater around `node`.
    fn item(&self, node: &Node, iteration: &[usize]) -> String {
        let (Some(&item), Some((repeater, _))) = (iteration.last(), node.path.rsplit_once('.'))
        else {
            return String::new();
        };
        let listed = self.listed.lock().map(|l| l.get(repeater).copied());
        let Ok(Some((count, since))) = listed else {
            return format!(" item {item}");
        };
        let done = item.saturating_sub(1) as u32;
        if done == 0 {
            return format!(" item {item} of {count}");
        }
        let left = since.elapsed() / done * (count.saturating_sub(done as usize) as u32);
        format!(" item {item} of {count}, about {} left", seconds(left))
    }
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

impl Progress for LiveProgress {
    fn task_started(&self, node: &Node, iteration: &[usize]) {
        // Nothing shows the message piped or quiet: not worth formatting per task.
        if self.plain || self.bar.is_hidden() {
            return;
        }
        let records = self.records_out.load(Ordering::Relaxed);
        self.bar.set_message(format!(
            "{} {}{} · {records} records out",
            node.path,
            node.name,
            self.item(node, iteration)
        ));
    }

    fn items_listed(&self, node: &Node, count: usize) {
        if let Ok(mut listed) = self.listed.lock() {
            listed.insert(node.path.clone(), (count, Instant::now()));
        }
        if !self.plain {
            self.bar
                .println(format!("  {} listed {count} item(s)", node.name));
        }
    }

    fn task_finished(&self, task: &TaskRecord) {
        self.records_out
            .fetch_add(task.counts.records_out, Ordering::Relaxed);
        if self.plain {
            let item = task
                .iteration
                .last()
                .map(|i| format!(" #{i}"))
                .unwrap_or_default();
            // One write per line: `eprintln!` writes each piece of the format on its own to the
            // unbuffered standard error (some 25 system calls per finished task).
            let line = format!(
                "{} {:>7} {} {}{}: {} (in {}, out {}, failed {}) {}\n",
                self.time_of_day(),
                seconds(self.started.elapsed()),
                task.path,
                task.name,
                item,
                task.result,
                task.counts.records_in,
                task.counts.records_out,
                task.counts.records_failed,
                task.message
            );
            let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), line.as_bytes());
        } else if !task.result.is_success() {
            self.bar
                .println(format!("  ✗ {} {}: {}", task.path, task.name, task.message));
        }
    }
}

fn duration(t: &TaskRecord) -> String {
    let ms = (t.ended - t.started).num_milliseconds();
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

/// Executions of one task shown in full before the rest are summarised (a repeater's children
/// run once per item: a 200,000-record run split in chunks of 100 would print 2,000 lines).
const EXECUTIONS_SHOWN: usize = 3;
/// Unsuccessful executions of one task shown besides those; the rest are counted.
const FAILURES_SHOWN: usize = 20;

/// What the report shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct View {
    /// Only executions that failed, or that sent records to a fail file or logged a warning.
    pub failures_only: bool,
}

/// The run's outcome in words: Failed and where the next run starts; a success that still left
/// records in a fail file says so, and where (`workflow` gives the tasks' fail-file settings).
pub fn verdict(r: &RunRecord, workflow: Option<&Workflow>) -> String {
    let code = r.result;
    // Suspended at a task that waits (docs/resume.md "Waiting tasks"): the message says why.
    if r.ended.is_none() && code == ResultCode::Unknown {
        return format!("Suspended: {}", r.message);
    }
    if code.is_success() {
        let failed = r.total_counts().records_failed;
        if failed == 0 {
            return code.to_string();
        }
        let mut places: Vec<String> = Vec::new();
        for t in r.tasks.iter().filter(|t| t.counts.records_failed > 0) {
            let place =
                fail_file(t, workflow).unwrap_or_else(|| format!("task {} `{}`", t.path, t.name));
            if !places.contains(&place) {
                places.push(place);
            }
        }
        let plural = if failed == 1 { "" } else { "s" };
        return format!(
            "Success with {failed} failed record{plural}: see {}",
            places.join(", ")
        );
    }
    let resume_at = r.resume_at.as_deref().map(|path| {
        let name = r
            .tasks
            .iter()
            .rev()
            .find(|t| t.path == path)
            .map_or("", |t| t.name.as_str());
        (path, name)
    });
    let label = if code == ResultCode::Interrupted {
        "Interrupted"
    } else {
        "Failed"
    };
    match resume_at {
        Some((path, name)) => format!(
            "{label} ({code}): the next run resumes at task {path} `{name}` (`run --fresh` starts over)"
        ),
        None => format!("{label} ({code}): the next run starts from the first task"),
    }
}

/// The fail file a task's execution wrote, as its workflow names it (`fail-file`).
fn fail_file(t: &TaskRecord, workflow: Option<&Workflow>) -> Option<String> {
    let node = workflow?.node(&t.path)?;
    match &node.kind {
        NodeKind::Task(task) => task.settings.get("fail-file").map(|v| v.text.clone()),
        _ => None,
    }
}

/// Whether an execution belongs in the failures-only view.
fn went_wrong(t: &TaskRecord) -> bool {
    !t.result.is_success()
        || t.counts.records_failed > 0
        || t.logs
            .iter()
            .any(|l| l.level == "warning" || l.level == "error")
}

/// The run report: the task executions (each task's first few and its failures in full, the
/// rest summarised), then the totals.
pub fn run_report(
    r: &RunRecord,
    location: &str,
    workflow: Option<&Workflow>,
    view: View,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Run {} of \"{}\" — {}",
        &r.id[..12.min(r.id.len())],
        r.workflow,
        verdict(r, workflow)
    );
    let _ = writeln!(
        out,
        "  started {}  data {}",
        r.started.format("%Y-%m-%d %H:%M:%S UTC"),
        location
    );
    if let Some(from) = &r.resumed_from {
        let _ = writeln!(
            out,
            "  resumed at task {from} (earlier tasks ran in the previous run; tasks new or changed since run again)"
        );
    }
    for notice in &r.notices {
        let _ = writeln!(out, "  warning: {notice}");
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  {:<10} {:<34} {:<14} {:>6} {:>6} {:>6} {:>9}  message",
        "task", "name", "result", "in", "out", "failed", "time"
    );
    // Per task (path): executions printed so far, failures among them, and what was left out.
    let mut printed: HashMap<&str, (usize, usize)> = HashMap::new();
    let mut left_out: BTreeMap<&str, Summary> = BTreeMap::new();
    for t in &r.tasks {
        if view.failures_only && !went_wrong(t) {
            continue;
        }
        let (shown, failures) = printed.entry(t.path.as_str()).or_default();
        let wrong = went_wrong(t);
        if *shown >= EXECUTIONS_SHOWN && !(wrong && *failures < FAILURES_SHOWN) {
            left_out.entry(t.path.as_str()).or_default().add(t);
            continue;
        }
        *shown += 1;
        *failures += usize::from(wrong && *shown > EXECUTIONS_SHOWN);
        let depth = t.path.matches('.').count();
        let iter = if t.iteration.is_empty() {
            String::new()
        } else {
            format!(
                " #{}",
                t.iteration
                    .iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(".")
            )
        };
        let name = format!("{}{}{}", "  ".repeat(depth), t.name, iter);
        let _ = writeln!(
            out,
            "  {:<10} {:<34} {:<14} {:>6} {:>6} {:>6} {:>9}  {}",
            t.path,
            truncate(&name, 34),
            t.result.to_string(),
            t.counts.records_in,
            t.counts.records_out,
            t.counts.records_failed,
            duration(t),
            t.message
        );
        for l in t
            .logs
            .iter()
            .filter(|l| l.level == "warning" || l.level == "error")
        {
            let _ = writeln!(out, "  {:<10} {:<34} {}: {}", "", "", l.level, l.message);
        }
    }
    for (path, summary) in &left_out {
        let _ = writeln!(
            out,
            "  {path:<10} … {} more execution(s) of `{}` not shown: {}; records in {}, out {}, failed {}; {:.1} s",
            summary.executions,
            summary.name,
            summary
                .results
                .iter()
                .map(|(code, n)| format!("{n} {code}"))
                .collect::<Vec<_>>()
                .join(", "),
            summary.records_in,
            summary.records_out,
            summary.records_failed,
            summary.milliseconds as f64 / 1000.0
        );
    }
    if view.failures_only && printed.is_empty() {
        let _ = writeln!(out, "  (no task failed or failed records)");
    }
    let total = r.total_counts();
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  {} task execution(s); records in {}, out {}, failed {}",
        r.tasks.len(),
        total.records_in,
        total.records_out,
        total.records_failed
    );
    if let Some(a) = &r.archive_path {
        let _ = writeln!(out, "  archive: {a}");
    }
    let _ = writeln!(out, "  {}: {}", r.result, r.message);
    out
}

/// Executions of one task that the report counts instead of printing.
#[derive(Debug, Default)]
struct Summary {
    name: String,
    executions: usize,
    results: BTreeMap<String, usize>,
    records_in: u64,
    records_out: u64,
    records_failed: u64,
    milliseconds: i64,
}

impl Summary {
    fn add(&mut self, t: &TaskRecord) {
        self.name.clone_from(&t.name);
        self.executions += 1;
        *self.results.entry(t.result.to_string()).or_default() += 1;
        self.records_in += t.counts.records_in;
        self.records_out += t.counts.records_out;
        self.records_failed += t.counts.records_failed;
        self.milliseconds += (t.ended - t.started).num_milliseconds();
    }
}

/// The newest `limit` runs, then the run records that cannot be read.
pub fn history_table(runs: &[RunRecord], unreadable: &[UnreadableRun], limit: usize) -> String {
    let mut out = String::new();
    for u in unreadable {
        let _ = writeln!(
            out,
            "unreadable run record {}: {}",
            u.file.display(),
            u.problem
        );
    }
    if runs.is_empty() {
        out.push_str("no runs yet\n");
        return out;
    }
    let _ = writeln!(
        out,
        "{:<14} {:<20} {:<9} {:<14} {:>6} {:>7}  message",
        "run", "started (UTC)", "duration", "result", "tasks", "failed"
    );
    for r in runs.iter().rev().take(limit) {
        let dur = r
            .ended
            .map(|e| {
                format!(
                    "{:.1} s",
                    (e - r.started).num_milliseconds() as f64 / 1000.0
                )
            })
            .unwrap_or_else(|| "running".into());
        // Records that went to fail files: a run can succeed with some.
        let _ = writeln!(
            out,
            "{:<14} {:<20} {:<9} {:<14} {:>6} {:>7}  {}",
            &r.id[..12.min(r.id.len())],
            r.started.format("%Y-%m-%d %H:%M:%S"),
            dur,
            r.result.to_string(),
            r.tasks.len(),
            r.total_counts().records_failed,
            truncate(&r.message, 80)
        );
    }
    out
}

/// `wharf tasks`: a task's description and its settings.
pub fn task_doc(info: &TaskInfo) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} ({})", info.name, info.kind);
    let _ = writeln!(out, "  {}", info.doc);
    if !info.capabilities.is_empty() {
        let _ = writeln!(out, "  needs: {}", info.capabilities.join(", "));
    }
    for s in &info.settings {
        let mut line = format!("  {:<22} {:<9}", s.name, s.kind.to_string());
        line.push_str(if s.required {
            " required "
        } else {
            " optional "
        });
        if let Some(d) = &s.default_value {
            let _ = write!(line, " [default: {d}]");
        }
        if s.kind == SettingKind::Choice {
            let _ = write!(line, " ({})", s.allowed_values.join(" | "));
        }
        match (s.minimum, s.maximum) {
            (Some(min), Some(max)) => {
                let _ = write!(line, " [{min}..{max}]");
            }
            (Some(min), None) => {
                let _ = write!(line, " [>= {min}]");
            }
            (None, Some(max)) => {
                let _ = write!(line, " [<= {max}]");
            }
            (None, None) => {}
        }
        if s.non_empty {
            line.push_str(" [non-empty]");
        }
        let _ = writeln!(out, "{line}  {}", s.doc);
    }
    if !info.current_variables.is_empty() {
        let _ = writeln!(
            out,
            "  current variables: {}",
            info.current_variables.join(", ")
        );
    }
    let _ = writeln!(out);
    out
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}
