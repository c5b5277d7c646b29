//! What `wharf` prints: the live progress display and the readable run report.

use indicatif::{ProgressBar, ProgressStyle};
use std::fmt::Write;
use std::time::Duration;
use wharf_engine::runtime::{SettingKind, TaskInfo};
use wharf_engine::storage::UnreadableRun;
use wharf_engine::workflow::Node;
use wharf_engine::{Progress, RunRecord, TaskRecord};

/// A spinner naming the running task, with the repeater item it is on. Drawn only on a terminal.
pub struct LiveProgress {
    bar: ProgressBar,
}

impl LiveProgress {
    pub fn new(quiet: bool) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new_spinner()
        };
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        LiveProgress { bar }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for LiveProgress {
    fn task_started(&self, node: &Node, iteration: &[usize]) {
        let item = iteration
            .iter()
            .map(|i| format!("#{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        self.bar
            .set_message(format!("{} {} {item}", node.path, node.name));
    }

    fn items_listed(&self, node: &Node, count: usize) {
        self.bar
            .println(format!("  {} listed {count} item(s)", node.name));
    }

    fn task_finished(&self, task: &TaskRecord) {
        if !task.result.is_success() {
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

/// The run report: one line per task execution, then the totals.
pub fn run_report(r: &RunRecord, location: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Run {} of \"{}\" — {}",
        &r.id[..12.min(r.id.len())],
        r.workflow,
        r.result
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
    for t in &r.tasks {
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
        "{:<14} {:<20} {:<9} {:<14} {:>6}  message",
        "run", "started (UTC)", "duration", "result", "tasks"
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
        let _ = writeln!(
            out,
            "{:<14} {:<20} {:<9} {:<14} {:>6}  {}",
            &r.id[..12.min(r.id.len())],
            r.started.format("%Y-%m-%d %H:%M:%S"),
            dur,
            r.result.to_string(),
            r.tasks.len(),
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
