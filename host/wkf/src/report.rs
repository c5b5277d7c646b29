//! What an import did, per file and over a batch: tasks converted and left as placeholders (by
//! Zynk class), values to check, settings not carried over and secrets turned into references.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ClassCount {
    pub converted: usize,
    pub placeholders: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Placeholder {
    /// The task's id in the written workflow.
    pub id: String,
    pub name: String,
    pub class: String,
}

/// A value translated with a doubt, or kept untranslated.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Flagged {
    pub task: String,
    pub setting: String,
    pub original: String,
    pub why: String,
}

/// A Zynk setting with a value that the Wharf task has no place for.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NotCarried {
    pub task: String,
    pub setting: String,
    /// The value, or `(secret)`.
    pub value: String,
}

/// A secret found in the file and what replaced it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SecretNote {
    /// `task X: setting Password`, `variable FtpPassword`.
    pub found: String,
    /// What replaced it, e.g. `environment variable WHARF_SHOP_PASSWORD`.
    pub instead: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct FileReport {
    pub file: String,
    pub workflow: String,
    pub output: String,
    /// Task elements read (containers and nested tasks included).
    pub tasks: usize,
    pub converted: usize,
    pub placeholders: Vec<Placeholder>,
    pub flagged: Vec<Flagged>,
    pub not_carried: Vec<NotCarried>,
    pub secrets: Vec<SecretNote>,
    /// What the user must supply for the connections written.
    pub connection_notes: Vec<String>,
    /// The workflow got a `schedule:` from the Zynk schedule.
    pub scheduled: bool,
    pub by_class: BTreeMap<String, ClassCount>,
}

/// An item of one file's report, named with its file in the batch's lists.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InFile<T> {
    pub file: String,
    #[serde(flatten)]
    pub item: T,
}

fn in_files<T: Clone>(
    files: &[FileReport],
    items: impl Fn(&FileReport) -> &Vec<T>,
) -> Vec<InFile<T>> {
    files
        .iter()
        .flat_map(|f| {
            items(f).iter().map(|item| InFile {
                file: f.file.clone(),
                item: item.clone(),
            })
        })
        .collect()
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct BatchReport {
    pub files: Vec<FileReport>,
    pub tasks: usize,
    pub converted: usize,
    /// Every placeholder of every file, with its Zynk class.
    pub placeholders: Vec<InFile<Placeholder>>,
    /// Every value to check, with its original text.
    pub flagged: Vec<InFile<Flagged>>,
    /// converted / tasks, in percent (one decimal).
    pub coverage_percent: f64,
    pub connections_file: Option<String>,
    /// Converted and placeholder counts per Zynk class over every file.
    pub by_class: BTreeMap<String, ClassCount>,
}

impl BatchReport {
    pub fn new(files: Vec<FileReport>, connections_file: Option<String>) -> Self {
        let tasks = files.iter().map(|f| f.tasks).sum();
        let converted = files.iter().map(|f| f.converted).sum();
        let mut by_class: BTreeMap<String, ClassCount> = BTreeMap::new();
        for (class, count) in files.iter().flat_map(|f| &f.by_class) {
            let total = by_class.entry(class.clone()).or_default();
            total.converted += count.converted;
            total.placeholders += count.placeholders;
        }
        BatchReport {
            by_class,
            tasks,
            converted,
            placeholders: in_files(&files, |f| &f.placeholders),
            flagged: in_files(&files, |f| &f.flagged),
            coverage_percent: percent(converted, tasks),
            files,
            connections_file,
        }
    }

    /// The report for people.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for f in &self.files {
            let _ = writeln!(
                out,
                "{} → {}: {} of {} tasks converted ({:.1}%), {} placeholders, {} values to check",
                f.file,
                f.output,
                f.converted,
                f.tasks,
                percent(f.converted, f.tasks),
                f.placeholders.len(),
                f.flagged.len()
            );
            let mapped = by_kind(&f.by_class, |c| c.converted);
            if !mapped.is_empty() {
                let _ = writeln!(out, "  converted: {mapped}");
            }
            let unmapped = by_kind(&f.by_class, |c| c.placeholders);
            if !unmapped.is_empty() {
                let _ = writeln!(out, "  not converted: {unmapped}");
            }
            for p in &f.placeholders {
                let _ = writeln!(
                    out,
                    "  placeholder (disabled, no Wharf task for {}): `{}` (id {})",
                    p.class, p.name, p.id
                );
            }
            for x in &f.flagged {
                let _ = writeln!(
                    out,
                    "  check: task `{}` setting {}: {} — original: {}",
                    x.task, x.setting, x.why, x.original
                );
            }
            for n in &f.not_carried {
                let _ = writeln!(
                    out,
                    "  not carried over: task `{}` setting {} = {}",
                    n.task, n.setting, n.value
                );
            }
            for s in &f.secrets {
                let _ = writeln!(out, "  secret not written: {} — {}", s.found, s.instead);
            }
            for c in &f.connection_notes {
                let _ = writeln!(out, "  connection: {c}");
            }
        }
        let _ = writeln!(
            out,
            "overall: {} of {} tasks converted ({:.1}%) in {} files, {} placeholders, {} values to check",
            self.converted,
            self.tasks,
            self.coverage_percent,
            self.files.len(),
            self.placeholders.len(),
            self.flagged.len()
        );
        let unmapped = by_kind(&self.by_class, |c| c.placeholders);
        if !unmapped.is_empty() {
            let _ = writeln!(out, "not converted, by class: {unmapped}");
        }
        if let Some(c) = &self.connections_file {
            let _ = writeln!(
                out,
                "connections: {c} (secrets are environment variables; see the notes above)"
            );
        }
        out
    }
}

/// `Class ×n, …` for the classes `count` is not zero for.
fn by_kind(classes: &BTreeMap<String, ClassCount>, count: impl Fn(&ClassCount) -> usize) -> String {
    classes
        .iter()
        .filter(|(_, c)| count(c) > 0)
        .map(|(class, c)| format!("{class} ×{}", count(c)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        return 100.0;
    }
    (part as f64 * 1000.0 / whole as f64).round() / 10.0
}
