//! Zynk task classes to Wharf tasks: which component, which settings, which connection.
//! docs/wkf-import.md lists the mappings and what is left out.

use crate::expr::{self, Translated};
use crate::model::{COMMON_SETTINGS, Variable, ZValue, ZynkTask, ZynkWorkflow};
use crate::report::{FileReport, Flagged, NotCarried, Placeholder, SecretNote};
use crate::schedule;
use crate::xml::El;
use crate::yaml::{
    AuthYaml, ConnectionsYaml, EmailConnectionYaml, EnvRef, FtpConnectionYaml, HistoryYaml,
    HttpConnectionYaml, NodeYaml, SftpConnectionYaml, WorkflowYaml,
};
use regex::Regex;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

mod documents;
mod shops;
use documents::Missing;
pub use shops::AMAZON_MERCHANT_VARIABLE;

/// `scheme://user:password@` in a value: the password must not be written.
static URL_CREDENTIALS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s:]*:[^/@\s]*@").expect("a valid pattern")
});

/// The longest setting value a placeholder keeps.
pub const MAX_PLACEHOLDER_VALUE: usize = 64 * 1024;

/// Text written instead of a secret in a placeholder's settings.
pub const SECRET_REMOVED: &str = "(secret not imported: see the import report)";

/// Written for an SFTP server or user the `.wkf` does not name (`.invalid` never resolves).
pub const UNKNOWN_SERVER: &str = "sftp.example.invalid";
pub const UNKNOWN_USER: &str = "change-me";
/// The known_hosts file SFTP connections point to, beside the connections file.
pub const KNOWN_HOSTS: &str = "known_hosts";

/// `text` with the user and password of any URL in it removed.
fn without_credentials(text: &str) -> String {
    URL_CREDENTIALS.replace_all(text, "$1").into_owned()
}

/// Setting names that hold secrets (compared in lower case).
fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "password",
        "passphrase",
        "secret",
        "token",
        "connectionstring",
        "apikey",
        "accesskey",
    ]
    .iter()
    .any(|s| n.contains(s))
}

/// Auto Mapper built-in mappings: (input format, input type, output format, output type).
const BUILTIN_MAPPINGS: [(&str, &str, &str, &str, &str); 9] = [
    (
        "Magento",
        "Orders",
        "Zynk XML",
        "Sales Orders",
        "magento-orders-to-zynk",
    ),
    (
        "Zynk XML",
        "Sales Orders",
        "Magento",
        "Orders",
        "zynk-orders-to-magento",
    ),
    (
        "Zynk XML",
        "Products",
        "Magento",
        "Inventory",
        "zynk-products-to-magento-inventory",
    ),
    (
        "BigCommerce",
        "Orders",
        "Zynk XML",
        "Sales Orders",
        "bigcommerce-orders-to-zynk",
    ),
    (
        "Zynk XML",
        "Sales Orders",
        "BigCommerce",
        "Order Status Updates",
        "zynk-orders-to-bigcommerce-status",
    ),
    (
        "Zynk XML",
        "Products",
        "BigCommerce",
        "Inventory",
        "zynk-products-to-bigcommerce-inventory",
    ),
    (
        "Amazon",
        "Orders",
        "Zynk XML",
        "Sales Orders",
        "amazon-orders-to-zynk",
    ),
    (
        "Zynk XML",
        "Products",
        "Amazon",
        "Inventory",
        "zynk-products-to-amazon-inventory",
    ),
    (
        "Zynk XML",
        "Products",
        "Amazon",
        "Prices",
        "zynk-products-to-amazon-prices",
    ),
];

/// A file written beside the workflow (an inline stylesheet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideFile {
    pub name: String,
    pub contents: String,
}

/// Converts workflows; connections are shared by every workflow of one import.
#[derive(Debug, Default)]
pub struct Converter {
    pub connections: ConnectionsYaml,
    /// The zone imported schedules are in (`--time-zone`); none: the running machine's.
    pub time_zone: Option<String>,
}

/// State while converting one workflow.
struct Run<'a> {
    connections: &'a mut ConnectionsYaml,
    report: FileReport,
    variables: &'a [Variable],
    ids: HashSet<String>,
    /// The last suffix given per id base (`same-2`, `same-3` …).
    suffixes: HashMap<String, usize>,
    side_files: Vec<SideFile>,
    stem: String,
    /// The Amazon seller id, once a task or mapping needs it (empty: the file names none).
    amazon_merchant: Option<String>,
}

/// One task's settings, remembering which were read so the rest can be reported.
struct Src<'a> {
    el: &'a El,
    used: HashSet<String>,
}

impl<'a> Src<'a> {
    fn get(&mut self, name: &str) -> Option<&'a El> {
        let el = self.el.child(name)?;
        self.used.insert(name.to_string());
        Some(el)
    }

    /// A Zynk Object setting; `None` when absent or not shaped as one.
    fn zo(&mut self, name: &str) -> Option<ZValue> {
        self.get(name).and_then(ZValue::from_el)
    }

    /// A plain scalar (`<Port>22</Port>`), or a Zynk Object's static text.
    fn plain(&mut self, name: &str) -> Option<String> {
        let el = self.get(name)?;
        if el.is_nil() {
            return None;
        }
        let text = match ZValue::from_el(el) {
            Some(v) => v.text,
            None => el.text.trim().to_string(),
        };
        (!text.is_empty()).then_some(text)
    }

    /// Marks settings as handled when they carry nothing (empty, nil, default).
    fn ignore(&mut self, names: &[&str]) {
        for n in names {
            self.used.insert(n.to_string());
        }
    }
}

/// Whether an element carries a value worth reporting.
fn has_value(el: &El) -> bool {
    if el.is_nil() {
        return false;
    }
    if let Some(v) = ZValue::from_el(el) {
        return !v.is_empty();
    }
    !el.text.trim().is_empty() || el.children.iter().any(has_value)
}

/// A short, single-line rendering of a setting for the report.
fn preview(el: &El) -> String {
    let text = match ZValue::from_el(el) {
        Some(v) if v.items.is_empty() => v.text,
        Some(v) => v
            .items
            .iter()
            .map(|i| i.text.clone())
            .collect::<Vec<_>>()
            .join(";"),
        None if el.children.is_empty() => el.text.trim().to_string(),
        None => flatten(el, "")
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", "),
    };
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 120 {
        format!("{}…", one_line.chars().take(120).collect::<String>())
    } else {
        one_line
    }
}

/// Leaf values of a structured setting, keyed by their dotted path below `prefix`.
fn flatten(el: &El, prefix: &str) -> Vec<(String, String)> {
    let key = |name: &str| {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        }
    };
    let mut out = Vec::new();
    for c in &el.children {
        if c.is_nil() {
            continue;
        }
        if let Some(v) = ZValue::from_el(c) {
            let text = if v.items.is_empty() {
                v.text
            } else {
                v.items
                    .iter()
                    .map(|i| i.text.clone())
                    .collect::<Vec<_>>()
                    .join(";")
            };
            out.push((key(&c.name), text));
        } else if c.children.is_empty() {
            out.push((key(&c.name), c.text.trim().to_string()));
        } else {
            // Repeated children (a list) get their position in the key.
            let repeated = el.children.iter().filter(|x| x.name == c.name).count() > 1;
            let position = el
                .children
                .iter()
                .filter(|x| x.name == c.name)
                .position(|x| std::ptr::eq(x, c));
            let name = match (repeated, position, c.attr("Key")) {
                (_, _, Some(k)) => format!("{}[{k}]", c.name),
                (true, Some(p), None) => format!("{}[{p}]", c.name),
                _ => c.name.clone(),
            };
            out.extend(flatten(c, &key(&name)));
        }
    }
    out
}

/// An absolute (Windows or Unix) path, or one climbing out with `..`.
fn leaves_working_directory(path: &str) -> bool {
    let p = path.trim();
    let bytes = p.as_bytes();
    p.starts_with('/')
        || p.starts_with('\\')
        || (bytes.len() > 1 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':')
        || p.split(['/', '\\']).any(|part| part == "..")
}

/// `path` moved inside the working directory: its drive or root and the `..` steps that climb
/// out of it dropped (`../copy.txt` → `copy.txt`, `C:\Zynk\in\a.xml` → `Zynk/in/a.xml`).
fn within_working_directory(path: &str) -> String {
    let p = path.trim();
    let bytes = p.as_bytes();
    let p = if bytes.len() > 1 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        &p[2..]
    } else {
        p
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// `WHARF_SHOP_PASSWORD` from a connection and a field.
fn env_name(connection: &str, field: &str) -> String {
    let mut s = String::from("WHARF_");
    for c in format!("{connection}_{field}").chars() {
        s.push(if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        });
    }
    s
}

/// Adds `wanted(name)` to `map` under `base` (or `base-2` … when `base` holds a different
/// entry) unless the same entry is there already; returns its name.
fn unique_entry<T: PartialEq>(
    map: &mut BTreeMap<String, T>,
    base: &str,
    wanted: impl Fn(&str) -> T,
) -> String {
    let mut name = base.to_string();
    let mut n = 2;
    loop {
        let entry = wanted(&name);
        match map.get(&name) {
            Some(e) if *e == entry => return name,
            None => {
                map.insert(name.clone(), entry);
                return name;
            }
            Some(_) => {
                name = format!("{base}-{n}");
                n += 1;
            }
        }
    }
}

fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { "task".into() } else { out }
}

impl Converter {
    /// Converts one workflow read from `file_name` (for the id and the report).
    pub fn convert(
        &mut self,
        wf: &ZynkWorkflow,
        file_name: &str,
        tasks_read: usize,
    ) -> (WorkflowYaml, FileReport, Vec<SideFile>) {
        let stem = file_name
            .strip_suffix(".wkf")
            .unwrap_or(file_name)
            .to_string();
        let mut run = Run {
            connections: &mut self.connections,
            report: FileReport {
                file: file_name.to_string(),
                workflow: wf.name.clone(),
                tasks: tasks_read,
                ..FileReport::default()
            },
            variables: &wf.variables,
            ids: HashSet::new(),
            suffixes: HashMap::new(),
            side_files: Vec::new(),
            stem: slug(&stem),
            amazon_merchant: None,
        };
        let mut variables = BTreeMap::new();
        for v in &wf.variables {
            if v.encrypted || is_secret_name(&v.key) {
                run.report.secrets.push(SecretNote {
                    found: format!("variable `{}`", v.key),
                    instead: format!(
                        "left out of the workflow; give it to the task that needs it through a connection (environment variable {} suggested)",
                        env_name(&run.stem, &v.key)
                    ),
                });
                continue;
            }
            let t = expr::translate(&v.value);
            run.flag(&format!("variable {}", v.key), "value", &v.value.text, &t);
            let text = run.scrub(&format!("variable `{}`", v.key), t.text);
            variables.insert(v.key.clone(), text);
        }
        let schedule = wf
            .schedule
            .as_ref()
            .and_then(|s| match schedule::convert(s) {
                Ok(yaml) => Some(schedule::ScheduleYaml {
                    time_zone: self.time_zone.clone(),
                    ..yaml
                }),
                Err(why) => {
                    run.report.flagged.push(Flagged {
                        task: "(workflow)".into(),
                        setting: "Schedule".into(),
                        original: s.original(),
                        why: format!("{why}; not imported: give the workflow a `schedule:`"),
                    });
                    None
                }
            });
        if schedule.is_some() {
            run.report.scheduled = true;
        }
        let tasks = run.nodes(&wf.tasks);
        if let Some(merchant) = run.amazon_merchant.clone()
            && !variables.contains_key(AMAZON_MERCHANT_VARIABLE)
        {
            if merchant.is_empty() {
                run.note_once(format!(
                    "workflow variable `{AMAZON_MERCHANT_VARIABLE}`: the .wkf names no Amazon Merchant ID; set it to the seller id (the feed mappings write it into each feed)"
                ));
            }
            variables.insert(AMAZON_MERCHANT_VARIABLE.to_string(), merchant);
        }
        let history = wf.history.as_ref().and_then(|(kind, number)| {
            let keep = match kind.as_str() {
                "NumberOfDays" => "days",
                "NumberOfJobs" => "runs",
                _ => return None,
            };
            Some(HistoryYaml {
                keep,
                number: *number,
            })
        });
        let yaml = WorkflowYaml {
            name: if wf.name.is_empty() {
                stem.clone()
            } else {
                wf.name.clone()
            },
            id: run.stem.clone(),
            description: [
                wf.description.trim(),
                &format!("Imported from {file_name}."),
            ]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" "),
            schedule,
            resume_on_failure: wf.should_resume.unwrap_or(true),
            use_mutex: wf.use_mutex,
            history,
            variables,
            tasks,
        };
        // The report quotes original values: never a URL's password.
        for f in &mut run.report.flagged {
            f.original = without_credentials(&f.original);
        }
        for n in &mut run.report.not_carried {
            n.value = without_credentials(&n.value);
        }
        (yaml, run.report, run.side_files)
    }
}

impl Run<'_> {
    fn nodes(&mut self, tasks: &[ZynkTask]) -> Vec<NodeYaml> {
        tasks.iter().map(|t| self.node(t)).collect()
    }

    fn unique_id(&mut self, name: &str) -> String {
        let base = slug(name);
        if self.ids.insert(base.clone()) {
            return base;
        }
        // The next suffix per name, so ten thousand tasks of one name stay linear.
        let n = self.suffixes.entry(base.clone()).or_insert(1);
        loop {
            *n += 1;
            let id = format!("{base}-{n}");
            if self.ids.insert(id.clone()) {
                return id;
            }
        }
    }

    /// `text` without the credentials of any URL in it (reported as a secret).
    fn scrub(&mut self, found: &str, text: String) -> String {
        if !URL_CREDENTIALS.is_match(&text) {
            return text;
        }
        self.report.secrets.push(SecretNote {
            found: format!("{found}: a URL with a user and password"),
            instead:
                "the credentials were removed from the URL; give them in the connection's `auth`"
                    .into(),
        });
        without_credentials(&text)
    }

    fn flag(&mut self, task: &str, setting: &str, original: &str, t: &Translated) {
        if let Some(why) = &t.flag {
            self.report.flagged.push(Flagged {
                task: task.to_string(),
                setting: setting.to_string(),
                original: original.to_string(),
                why: why.clone(),
            });
        }
    }

    /// Translates a Zynk Object setting into `out[wharf]`, flagging doubts; empty values are
    /// left out so the component's default applies.
    fn zo(
        &mut self,
        src: &mut Src,
        task: &ZynkTask,
        zynk: &str,
        wharf: &str,
        out: &mut BTreeMap<String, String>,
    ) {
        let Some(v) = src.zo(zynk) else {
            if let Some(text) = src.plain(zynk) {
                out.insert(wharf.into(), expr::literal(&text));
            }
            return;
        };
        if v.is_empty() {
            return;
        }
        let mut t = expr::translate(&v);
        self.flag(&task.name, zynk, &v.text, &t);
        if matches!(v.kind.as_str(), "FileValue" | "UriValue") && leaves_working_directory(&v.text)
        {
            t.text = within_working_directory(&t.text);
            self.report.flagged.push(Flagged {
                task: task.name.clone(),
                setting: zynk.to_string(),
                original: v.text.clone(),
                why: format!(
                    "a path outside the working directory, which Wharf confines each task to: imported as `{}` inside it; put the file there",
                    t.text
                ),
            });
        }
        let text = self.scrub(&format!("task `{}`: setting {zynk}", task.name), t.text);
        out.insert(wharf.into(), text);
    }

    fn plain(
        &mut self,
        src: &mut Src,
        zynk: &str,
        wharf: &str,
        out: &mut BTreeMap<String, String>,
    ) {
        if let Some(text) = src.plain(zynk) {
            out.insert(wharf.into(), text);
        }
    }

    /// A Zynk Object's value as plain text at import time (a variable's static value), for
    /// connection details; `None` when it depends on the run.
    fn static_text(&self, v: &ZValue) -> Option<String> {
        match v.kind.as_str() {
            "VariableValue" => {
                let var = self.variables.iter().find(|x| x.key == v.text)?;
                if var.encrypted {
                    return None;
                }
                self.static_text(&var.value)
            }
            "StaticValue" | "FileValue" | "UriValue" if !v.razor || !v.text.contains('@') => {
                Some(v.text.clone())
            }
            _ => None,
        }
    }

    fn node(&mut self, t: &ZynkTask) -> NodeYaml {
        let id = self.unique_id(&t.name);
        let mut node = NodeYaml {
            id,
            name: Some(t.name.clone()),
            enabled: t.enabled,
            break_on_failure: t.break_on_failure,
            can_resume: t.can_resume,
            ..NodeYaml::default()
        };
        let mut src = Src {
            el: &t.settings,
            used: HashSet::new(),
        };
        let mut settings = BTreeMap::new();
        let converted = self.map_class(t, &mut src, &mut node, &mut settings);
        let count = self.report.by_class.entry(t.class.clone()).or_default();
        if converted {
            count.converted += 1;
            self.report.converted += 1;
            node.settings = settings;
            self.report_leftovers(t, &src);
        } else {
            count.placeholders += 1;
            self.placeholder(t, &mut node);
        }
        node.tasks = match &t.children {
            Some(children) => Some(self.nodes(children)),
            // Wharf wants a repeater's or condition's `tasks:` even when Zynk's list was absent.
            None if matches!(
                node.task.as_deref(),
                Some(
                    "file-repeater"
                        | "sftp-repeater"
                        | "ftp-repeater"
                        | "if-file-exists"
                        | "xml-repeater"
                )
            ) =>
            {
                Some(Vec::new())
            }
            None => None,
        };
        node
    }

    /// Settings of a converted task that were not read and carry a value.
    fn report_leftovers(&mut self, t: &ZynkTask, src: &Src) {
        for c in &t.settings.children {
            if COMMON_SETTINGS.contains(&c.name.as_str())
                || src.used.contains(&c.name)
                || !has_value(c)
            {
                continue;
            }
            let secret = is_secret_name(&c.name);
            if secret {
                self.report.secrets.push(SecretNote {
                    found: format!("task `{}`: setting {}", t.name, c.name),
                    instead: "nothing: the Wharf task takes no such secret, it was dropped".into(),
                });
            }
            self.report.not_carried.push(NotCarried {
                task: t.name.clone(),
                setting: c.name.clone(),
                value: if secret {
                    "(secret)".into()
                } else {
                    preview(c)
                },
            });
        }
    }

    /// A task Wharf cannot run: disabled, named after its Zynk class (so `wharf validate`
    /// reports it as an unknown task), with every original setting but secrets.
    fn placeholder(&mut self, t: &ZynkTask, node: &mut NodeYaml) {
        node.task = Some(t.class.clone());
        node.container = None;
        node.enabled = false;
        node.grants.clear();
        node.equal_to = None;
        let mut settings = BTreeMap::new();
        for c in &t.settings.children {
            if COMMON_SETTINGS.contains(&c.name.as_str()) && c.name != "ConnectionPointer" {
                continue;
            }
            for (key, value) in flatten(
                &El {
                    children: vec![c.clone()],
                    ..El::default()
                },
                "",
            ) {
                if value.is_empty() {
                    continue;
                }
                let secret = is_secret_name(&key)
                    || (c.name.eq_ignore_ascii_case("Parameters") && key.contains("Password"));
                if secret {
                    self.report.secrets.push(SecretNote {
                        found: format!("task `{}`: setting {key}", t.name),
                        instead: "left out of the placeholder; a connection will hold it once Wharf has this task".into(),
                    });
                    settings.insert(key, SECRET_REMOVED.to_string());
                } else {
                    let value = self.scrub(&format!("task `{}`: setting {key}", t.name), value);
                    if value.len() > MAX_PLACEHOLDER_VALUE {
                        // Workflow files take settings up to 1 MiB; a placeholder's is only a
                        // record of what the Zynk task had.
                        self.report.not_carried.push(NotCarried {
                            task: t.name.clone(),
                            setting: key.clone(),
                            value: format!(
                                "({} bytes: too long to keep in a placeholder)",
                                value.len()
                            ),
                        });
                        settings.insert(
                            key,
                            format!("(not kept: {} bytes, see the .wkf)", value.len()),
                        );
                    } else {
                        settings.insert(key, value);
                    }
                }
            }
        }
        node.settings = settings;
        self.report.placeholders.push(Placeholder {
            id: node.id.clone(),
            name: t.name.clone(),
            class: t.class.clone(),
        });
    }

    /// Fills `node` and `out` for a class Wharf implements; false when it does not.
    fn map_class(
        &mut self,
        t: &ZynkTask,
        src: &mut Src,
        node: &mut NodeYaml,
        out: &mut BTreeMap<String, String>,
    ) -> bool {
        let task = |node: &mut NodeYaml, name: &str| node.task = Some(name.to_string());
        match t.class.as_str() {
            "Zynk.Tasks.ContainerTask" => {
                node.container = Some(t.name.clone());
                node.name = None;
            }
            "Zynk.Filesystem.ArchiveWorkflowData" => {
                task(node, "archive-workflow-data");
                node.grants.push("archive".into());
                if let Some(v) = src.zo("ArchiveDirectory").filter(|v| !v.is_empty()) {
                    // Zynk archives into a local folder; Wharf into the archive store.
                    let rooted =
                        v.text.contains(':') || v.text.starts_with('\\') || v.text.starts_with('/');
                    if rooted {
                        self.report.not_carried.push(NotCarried {
                            task: t.name.clone(),
                            setting: "ArchiveDirectory".into(),
                            value: format!(
                                "{} (an absolute folder: Wharf archives into its archive store)",
                                v.text
                            ),
                        });
                    } else {
                        let tr = expr::translate(&v);
                        self.flag(&t.name, "ArchiveDirectory", &v.text, &tr);
                        out.insert("archive-folder".into(), tr.text);
                    }
                }
                if let Some(h) = src.get("HouseKeepingSettings") {
                    let enabled = h.child_text("Enabled").is_none_or(|e| e == "true");
                    let kind = h.child_text("Type").unwrap_or("NotEnabled");
                    let kind = if enabled { kind } else { "NotEnabled" };
                    out.insert("housekeeping-type".into(), kind.to_string());
                    if let Some(n) = h.child_text("Number").filter(|n| !n.is_empty()) {
                        out.insert("housekeeping-number".into(), n.to_string());
                    }
                }
            }
            "Zynk.Tasks.AutoMapperTask" => {
                let Some(mapping) = t.settings.child("Mapping") else {
                    return false;
                };
                let key = |n: &str| mapping.child_text(n).unwrap_or_default();
                let found = BUILTIN_MAPPINGS.iter().find(|(a, b, c, d, _)| {
                    key("InputFormat") == *a
                        && key("InputType") == *b
                        && key("OutputFormat") == *c
                        && key("OutputType") == *d
                });
                let Some((.., builtin)) = found else {
                    return false;
                };
                src.get("Mapping");
                task(node, "auto-mapper");
                out.insert("mapping".into(), builtin.to_string());
                self.zo(src, t, "InputFile", "input-file", out);
                self.zo(src, t, "OutputFile", "output-file", out);
                let params = mapping
                    .child("Parameters")
                    .map(|p| p.children.as_slice())
                    .unwrap_or_default();
                let mut parameters = self.parameters(t, params);
                // The Amazon feed mappings write the seller id into each feed; Zynk's feed
                // tasks held it (`MerchantId`), Wharf's mapping takes it as a parameter.
                if builtin.starts_with("zynk-products-to-amazon")
                    && !parameters
                        .as_deref()
                        .is_some_and(|p| p.split(';').any(|kv| kv.starts_with("MerchantID=")))
                {
                    self.amazon_merchant.get_or_insert_with(String::new);
                    let merchant = format!("MerchantID={{{{ {AMAZON_MERCHANT_VARIABLE} }}}}");
                    parameters = Some(match parameters {
                        Some(p) => format!("{merchant};{p}"),
                        None => merchant,
                    });
                }
                if let Some(p) = parameters {
                    out.insert("parameters".into(), p);
                }
            }
            "Zynk.Connect.Sage50.ImportSalesOrders"
            | "Zynk.Connect.Sage50.ImportCustomers"
            | "Zynk.Connect.Sage50.ImportInvoices" => {
                let orders = t.class.ends_with("ImportSalesOrders");
                let invoices = t.class.ends_with("ImportInvoices");
                task(
                    node,
                    if orders {
                        "sage50-import-sales-orders"
                    } else if invoices {
                        "sage50-import-invoices"
                    } else {
                        "sage50-import-customers"
                    },
                );
                node.grants.push("sage".into());
                self.zo(src, t, "InputFile", "input-file", out);
                self.zo(src, t, "SuccessFile", "success-file", out);
                self.zo(src, t, "FailFile", "fail-file", out);
                self.account_references(src, out);
                self.plain(
                    src,
                    "CreateMultipleDeliveryAddresses",
                    "create-multiple-delivery-addresses",
                    out,
                );
                if let Some(m) = src.get("MatchFields") {
                    let fields: Vec<&str> = m
                        .children
                        .iter()
                        .map(|f| f.text.trim())
                        .filter(|f| !f.is_empty())
                        .collect();
                    if !fields.is_empty() {
                        out.insert("match-accounts-on".into(), fields.join(","));
                    }
                }
                if orders || invoices {
                    // What orders and invoices share: defaults, duplicates, accounts, products.
                    for (z, w) in [
                        ("DefaultBankAccount", "default-bank-account"),
                        ("PreventDuplicates", "prevent-duplicates"),
                        ("AutoCreateCustomer", "auto-create-customers"),
                        ("AutoCreateCustomers", "auto-create-customers"),
                        ("AutoCreateProducts", "auto-create-products"),
                        ("ConvertToAccountCurrency", "convert-to-account-currency"),
                        ("DefaultProductCode", "default-product-code"),
                        ("PricesIncludeTax", "prices-include-tax"),
                        ("ReadSalesLedgerData", "read-sales-ledger-data"),
                    ] {
                        self.plain(src, z, w, out);
                    }
                    self.vat_settings(src, out);
                }
                if orders {
                    self.plain(src, "AutoAllocateStock", "auto-allocate-stock", out);
                    self.plain(
                        src,
                        "UseManualSalesOrderNumber",
                        "use-manual-sales-order-number",
                        out,
                    );
                    // Sage numbers orders itself unless told otherwise; false is the default.
                    if t.settings
                        .child_text("UseManualDocumentNumber")
                        .is_some_and(|v| v == "false")
                    {
                        src.ignore(&["UseManualDocumentNumber"]);
                    }
                }
                if invoices {
                    self.plain(
                        src,
                        "DefaultAccountReference",
                        "default-account-reference",
                        out,
                    );
                    self.plain(
                        src,
                        "UseManualInvoiceNumber",
                        "use-manual-invoice-number",
                        out,
                    );
                }
            }
            "Zynk.Connect.Sage50.ImportTransactions" => {
                task(node, "sage50-import-transactions");
                node.grants.push("sage".into());
                self.zo(src, t, "InputFile", "input-file", out);
                self.zo(src, t, "SuccessFile", "success-file", out);
                self.zo(src, t, "FailFile", "fail-file", out);
                self.plain(
                    src,
                    "AutoAllocateTransactions",
                    "auto-allocate-transactions",
                    out,
                );
                self.plain(src, "PreventDuplicates", "prevent-duplicates", out);
                self.zo(
                    src,
                    t,
                    "JournalVarianceNominalCode",
                    "journal-variance-nominal-code",
                    out,
                );
            }
            "Zynk.Connect.Sage50.ExportInvoices" | "Zynk.Connect.Sage50.ExportCustomers" => {
                let invoices = t.class.ends_with("ExportInvoices");
                task(
                    node,
                    if invoices {
                        "sage50-export-invoices"
                    } else {
                        "sage50-export-customers"
                    },
                );
                node.grants.push("sage".into());
                self.zo(src, t, "OutputFile", "output-file", out);
                self.export_settings(t, src, out);
                // Export All (older files) is the `All` export type.
                if src.plain("ExportAll").is_some_and(|v| v == "true") {
                    out.insert("export-type".into(), "All".into());
                }
                if invoices {
                    self.plain(src, "UseBaseCurrency", "use-base-currency", out);
                }
            }
            "Zynk.Internet.Email.SendEmail" => {
                task(node, "send-email");
                let connection = self.email_connection(t, src);
                node.grants.push(format!("email:{connection}"));
                for (z, w) in [
                    ("From", "from"),
                    ("To", "to"),
                    ("Cc", "cc"),
                    ("Bcc", "bcc"),
                    ("ReplyTo", "reply-to"),
                    ("Subject", "subject"),
                    ("Body", "body"),
                ] {
                    self.zo(src, t, z, w, out);
                }
                self.plain(src, "HTMLBody", "html-body", out);
                if let Some(v) = src.zo("Attachments").filter(|v| !v.is_empty()) {
                    let items: Vec<String> = if v.items.is_empty() {
                        vec![v.text.clone()]
                    } else {
                        v.items.iter().map(|i| i.text.clone()).collect()
                    };
                    out.insert("attachments".into(), items.join(";"));
                }
                if !self.require(t, node, out, &["to", "subject"], Missing::Placeholder) {
                    return false;
                }
            }
            "Zynk.Connect.Sage50.ExportStockRecords" => {
                task(node, "sage50-export-stock-records");
                node.grants.push("sage".into());
                self.zo(src, t, "OutputFile", "output-file", out);
                self.plain(src, "ExportAll", "export-all", out);
                self.plain(src, "ExportPublished", "export-published", out);
                self.export_settings(t, src, out);
                if t.settings
                    .child_text("ExportAttachments")
                    .is_some_and(|v| v == "false")
                {
                    src.ignore(&["ExportAttachments"]);
                }
            }
            "Zynk.Documents.XML.XsltTransform" => {
                task(node, "xslt-transform");
                self.zo(src, t, "InputFile", "input-file", out);
                self.zo(src, t, "OutputFile", "output-file", out);
                if let Some(v) = src.zo("XsltFile") {
                    if v.text.trim_start().starts_with('<') {
                        // An inline stylesheet: written beside the workflow, to be copied
                        // into the working directory.
                        let name = format!("{}-{}.xslt", self.stem, node.id);
                        self.side_files.push(SideFile {
                            name: name.clone(),
                            contents: v.text.clone(),
                        });
                        self.report.flagged.push(Flagged {
                            task: t.name.clone(),
                            setting: "XsltFile".into(),
                            original: "(an inline stylesheet)".into(),
                            why: format!("written to {name} beside the workflow: copy it into the working directory"),
                        });
                        out.insert("xslt-file".into(), name);
                    } else if !v.is_empty() {
                        let tr = expr::translate(&v);
                        self.flag(&t.name, "XsltFile", &v.text, &tr);
                        out.insert("xslt-file".into(), tr.text);
                    }
                }
                let params = t
                    .settings
                    .child("Parameters")
                    .map(|p| p.children.as_slice())
                    .unwrap_or_default();
                src.get("Parameters");
                if let Some(p) = self.parameters(t, params) {
                    out.insert("parameters".into(), p);
                }
            }
            "Zynk.Internet.Http.HttpTask" => {
                task(node, "http-task");
                self.http(t, src, node, out);
            }
            "Zynk.Internet.Email.EmailExists" => {
                // Zynk's If Email Exists validates an address (docs/email.md). Wharf checks its
                // form only: an SMTP check asked for stays unconverted, so the report shows it.
                task(node, "if-email-exists");
                node.equal_to = Some(src.plain("Equal").is_none_or(|e| e == "true"));
                self.zo(src, t, "Email", "email", out);
                self.plain(src, "StrongValidation", "strong-validation", out);
                if t.settings
                    .child_text("CheckSMTPServer")
                    .is_none_or(|v| v != "true")
                {
                    src.ignore(&["CheckSMTPServer", "LoginEmail"]);
                }
            }
            "Zynk.Filesystem.FileExists" => {
                task(node, "if-file-exists");
                node.equal_to = Some(src.plain("Equal").is_none_or(|e| e == "true"));
                self.zo(src, t, "InputFile", "input-file", out);
                self.plain(src, "MinimumLength", "minimum-length", out);
            }
            "Zynk.Filesystem.CopyFile" | "Zynk.Filesystem.MoveFile" => {
                let copy = t.class.ends_with("CopyFile");
                task(node, if copy { "copy-file" } else { "move-file" });
                self.zo(src, t, "InputFile", "input-file", out);
                self.zo(src, t, "OutputFile", "output-file", out);
                self.plain(src, "OverwriteFile", "overwrite", out);
                let prepend = t
                    .settings
                    .child_text("PrependTimestamp")
                    .is_some_and(|v| v == "true");
                if !copy && prepend {
                    self.plain(src, "PrependTimestamp", "prepend-timestamp", out);
                    self.plain(src, "TimestampFormat", "timestamp-format", out);
                } else if !prepend {
                    // Off: the format means nothing (Copy File's is reported when on).
                    src.ignore(&["PrependTimestamp", "TimestampFormat"]);
                }
            }
            "Zynk.Filesystem.DeleteFile" => {
                task(node, "delete-file");
                self.zo(src, t, "InputFile", "input-file", out);
            }
            "Zynk.Filesystem.FileRepeater" => {
                task(node, "file-repeater");
                self.zo(src, t, "InputDirectory", "input-directory", out);
                self.zo(src, t, "SearchPattern", "search-pattern", out);
                self.plain(src, "Recursive", "recursive", out);
                self.plain(src, "OnlyModifiedFiles", "only-modified-files", out);
            }
            "Zynk.Documents.XML.XMLSplitTask" => {
                task(node, "split-xml");
                self.zo(src, t, "InputFile", "input-file", out);
                self.zo(src, t, "XPathQuery", "xpath-query", out);
                self.plain(src, "RecordLimit", "record-limit", out);
                self.zo(src, t, "OutputFolder", "output-folder", out);
                self.plain(src, "OutputFilesFormat", "output-files-format", out);
            }
            "Zynk.Internet.Sftp.SftpRepeater"
            | "Zynk.Internet.Sftp.SftpDownload"
            | "Zynk.Internet.Sftp.SftpRename"
            | "Zynk.Internet.Sftp.SftpUpload"
            | "Zynk.Internet.Ftp.FtpRepeater"
            | "Zynk.Internet.Ftp.FtpDownload"
            | "Zynk.Internet.Ftp.FtpRename"
            | "Zynk.Internet.Ftp.FtpUpload" => {
                // The FTP tasks are the SFTP tasks over another protocol (docs/ftp.md).
                let short = t.class.rsplit('.').next().unwrap_or_default();
                let (protocol, operation) = match short.strip_prefix("Sftp") {
                    Some(op) => ("sftp", op),
                    None => ("ftp", short.strip_prefix("Ftp").unwrap_or(short)),
                };
                let connection = if protocol == "sftp" {
                    self.sftp_connection(t, src)
                } else {
                    self.ftp_connection(t, src)
                };
                node.grants.push(format!("{protocol}:{connection}"));
                self.zo(src, t, "Directory", "directory", out);
                match operation {
                    "Repeater" => {
                        task(node, &format!("{protocol}-repeater"));
                        self.zo(src, t, "SearchPattern", "search-pattern", out);
                        self.plain(src, "ListRecursively", "list-recursively", out);
                    }
                    "Download" => {
                        task(node, &format!("{protocol}-download"));
                        self.zo(src, t, "Filename", "filename", out);
                        self.zo(src, t, "OutputFile", "output-file", out);
                        self.plain(src, "CheckExistsOnly", "check-exists-only", out);
                    }
                    "Rename" => {
                        task(node, &format!("{protocol}-rename"));
                        self.zo(src, t, "Filename", "filename", out);
                        self.zo(src, t, "OutputFile", "output-file", out);
                        self.plain(src, "PrependTimestamp", "prepend-timestamp", out);
                        self.plain(src, "TimestampFormat", "timestamp-format", out);
                        self.plain(src, "OverwriteFile", "overwrite", out);
                    }
                    _ => {
                        task(node, &format!("{protocol}-upload"));
                        self.zo(src, t, "InputFile", "input-file", out);
                        self.zo(src, t, "OutputFile", "output-file", out);
                        self.plain(src, "OverwriteFile", "overwrite-file", out);
                        // Wharf always uploads under a temporary name and renames it; Zynk's
                        // option to do so is only reported when it named something else.
                        if t.settings
                            .child("TemporaryUploadSetting")
                            .and_then(|s| s.child_text("Option"))
                            .is_none_or(|o| o == "NotEnabled" || o == "TemporaryFile")
                        {
                            src.ignore(&["TemporaryUploadSetting"]);
                        }
                    }
                }
            }
            _ => {
                return self.map_shop(t, src, node, out) || self.map_documents(t, src, node, out);
            }
        }
        true
    }

    /// Sage 50 imports' tax codes by destination (`VatSettings`).
    fn vat_settings(&mut self, src: &mut Src, out: &mut BTreeMap<String, String>) {
        let Some(vat) = src.get("VatSettings") else {
            return;
        };
        for (zone, prefix) in [
            ("Base", "vat-base"),
            ("Eu", "vat-eu"),
            ("EuVatReg", "vat-eu-vat-reg"),
            ("Row", "vat-row"),
        ] {
            let Some(z) = vat.child(zone) else { continue };
            for (field, suffix) in [
                ("Enabled", "enabled"),
                ("Sales", "sales"),
                ("Carriage", "carriage"),
            ] {
                if let Some(v) = z.child_text(field).filter(|v| !v.is_empty()) {
                    out.insert(format!("{prefix}-{suffix}"), v.to_string());
                }
            }
        }
    }

    /// Sage 50 exports' `ExportSettings` (type and the first run's start) and an empty
    /// `QuerySettings` (one with filters is reported as not carried over).
    fn export_settings(&mut self, t: &ZynkTask, src: &mut Src, out: &mut BTreeMap<String, String>) {
        if let Some(s) = src.get("ExportSettings") {
            if let Some(kind) = s.child_text("ExportType").filter(|k| !k.is_empty()) {
                out.insert("export-type".into(), kind.to_string());
            }
            // 1753-01-01 is .NET's "never": export everything on the first run.
            if let Some(d) = s
                .child_text("DateTimeModified")
                .filter(|d| !d.is_empty() && !d.starts_with("1753-01-01"))
            {
                out.insert("date-time-modified".into(), d.to_string());
            }
        }
        if let Some(q) = t.settings.child("QuerySettings")
            && !q.children.iter().any(has_value)
        {
            src.ignore(&["QuerySettings"]);
        }
    }

    /// Account reference generation: the nested block (1.6.19+) wins over the flat legacy fields.
    fn account_references(&mut self, src: &mut Src, out: &mut BTreeMap<String, String>) {
        let fields = [
            (
                "AutoGenerateAccountReference",
                "auto-generate-account-reference",
            ),
            ("AccountReferenceConvention", "account-reference-convention"),
            ("AlphabeticLength", "alphabetic-length"),
            ("NumericLength", "numeric-length"),
            ("Mask", "mask"),
            ("RegularExpression", "regular-expression"),
        ];
        let nested = src.get("AutoGenerateAccountReferences");
        for (z, w) in fields {
            let flat = src.plain(z);
            let value = match nested {
                Some(n) => n.child(z).and_then(|e| {
                    ZValue::from_el(e)
                        .map(|v| v.text)
                        .or(Some(e.text.trim().to_string()))
                }),
                None => flat,
            };
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                out.insert(w.to_string(), v);
            }
        }
    }

    /// Stylesheet or mapping parameters (`Variable` / `VariableWithDescription` elements) as
    /// `name=value;name=value`; empty values are left out (Zynk's "leave empty to not set").
    fn parameters(&mut self, t: &ZynkTask, params: &[El]) -> Option<String> {
        let mut pairs = Vec::new();
        for p in params {
            let (Some(key), Some(v)) = (
                p.attr("Key"),
                p.child("ZynkObject").and_then(ZValue::from_el),
            ) else {
                continue;
            };
            if v.is_empty() {
                continue;
            }
            if is_secret_name(key) {
                self.report.secrets.push(SecretNote {
                    found: format!("task `{}`: parameter {key}", t.name),
                    instead: "dropped: stylesheet parameters cannot hold secrets".into(),
                });
                continue;
            }
            let tr = expr::translate(&v);
            self.flag(&t.name, &format!("parameter {key}"), &v.text, &tr);
            if tr.text.contains(';') || tr.text.contains('=') {
                self.report.flagged.push(Flagged {
                    task: t.name.clone(),
                    setting: format!("parameter {key}"),
                    original: v.text.clone(),
                    why: "holds `;` or `=`, which the name=value;… list cannot carry: set it in the stylesheet".into(),
                });
                continue;
            }
            if key.eq_ignore_ascii_case("AccountReference") && tr.text.chars().count() > 8 {
                self.report.flagged.push(Flagged {
                    task: t.name.clone(),
                    setting: format!("parameter {key}"),
                    original: v.text.clone(),
                    why: "longer than a Sage 50 account reference (8 characters): every order \
                          mapped to it would fail to import; set the reference of an account in \
                          the company (docs/sage50-rules.md)"
                        .into(),
                });
            }
            pairs.push(format!("{key}={}", tr.text));
        }
        (!pairs.is_empty()).then(|| pairs.join(";"))
    }

    /// The SFTP connection a task uses, added to the connections file: inline details (Zynk
    /// up to 1.6) or a Connection Manager entry (2.x) the user describes.
    fn sftp_connection(&mut self, t: &ZynkTask, src: &mut Src) -> String {
        let text = |src: &mut Src, name: &str| {
            let v = src.zo(name).or_else(|| {
                src.plain(name).map(|text| ZValue {
                    kind: "StaticValue".into(),
                    razor: false,
                    read_contents: false,
                    text,
                    items: vec![],
                })
            })?;
            (!v.is_empty()).then_some(v)
        };
        let server = text(src, "Server");
        let username = text(src, "Username");
        let password = text(src, "Password");
        let key_file = text(src, "PrivateKeyFile");
        let passphrase = text(src, "Passphrase");
        let port = src.plain("Port").and_then(|p| p.parse().ok()).unwrap_or(22);
        src.ignore(&["AuthType"]);
        let resolve = |run: &Self, v: &Option<ZValue>| {
            v.as_ref()
                .and_then(|v| run.static_text(v))
                .unwrap_or_default()
        };
        let server_text = resolve(self, &server);
        let username_text = resolve(self, &username);
        // The connections file refuses empty fields; a reserved name that never resolves
        // keeps it loadable until the user fills it in (the report says so).
        let mut connection = SftpConnectionYaml {
            server: if server_text.is_empty() {
                UNKNOWN_SERVER.into()
            } else {
                server_text.clone()
            },
            port,
            username: if username_text.is_empty() {
                UNKNOWN_USER.into()
            } else {
                username_text.clone()
            },
            password: None,
            private_key_file: key_file
                .as_ref()
                .and_then(|v| self.static_text(v))
                .filter(|k| !k.is_empty()),
            passphrase: None,
            known_hosts: KNOWN_HOSTS.into(),
        };
        // The same server and user share one connection.
        let existing = self.connections.sftp.iter().find(|(_, c)| {
            c.server == connection.server && c.username == connection.username && c.port == port
        });
        let name = match existing {
            Some((name, _)) => name.clone(),
            None => {
                let base = if server_text.is_empty() {
                    "sftp".to_string()
                } else {
                    slug(&server_text)
                };
                let mut name = base.clone();
                let mut n = 2;
                while self.connections.sftp.contains_key(&name) {
                    name = format!("{base}-{n}");
                    n += 1;
                }
                name
            }
        };
        for (value, field) in [(&password, "password"), (&passphrase, "passphrase")] {
            let reference = EnvRef {
                env: env_name(&name, field),
            };
            // Zynk leaves the field empty when the key needs no passphrase or the password is
            // typed at run time; the connection asks for it when the file had one.
            if value.is_some() {
                self.report.secrets.push(SecretNote {
                    found: format!("task `{}`: setting {}", t.name, if field == "password" { "Password" } else { "Passphrase" }),
                    instead: format!("environment variable {} (sftp connection `{name}` in the connections file)", reference.env),
                });
            }
            let wanted =
                value.is_some() || (field == "password" && connection.private_key_file.is_none());
            if wanted {
                if field == "password" {
                    connection.password = Some(reference);
                } else {
                    connection.passphrase = Some(reference);
                }
            }
        }
        if src.get("ConnectionPointer").is_some() && server.is_none() {
            self.note_once(format!("sftp `{name}`: the workflow names a Zynk Connection Manager entry; copy its server, user and key into the connections file"));
        }
        if server_text.is_empty() {
            self.note_once(format!("sftp `{name}`: the .wkf names no server: replace `{UNKNOWN_SERVER}` and `{UNKNOWN_USER}` with the real ones"));
        }
        if server
            .as_ref()
            .is_some_and(|v| self.static_text(v).is_none())
        {
            self.note_once(format!(
                "sftp `{name}`: the server is computed at run time in Zynk; give the fixed address"
            ));
        }
        self.note_once(format!("sftp `{name}`: put the server's key in `{KNOWN_HOSTS}` beside the connections file (`ssh-keyscan HOST`), or give `host-key:`; an unknown key is refused"));
        for (secret, what) in [
            (&connection.password, "password"),
            (&connection.passphrase, "key passphrase"),
        ] {
            if let Some(r) = secret {
                self.note_once(format!(
                    "sftp `{name}`: set the environment variable {} to the {what}",
                    r.env
                ));
            }
        }
        match self.connections.sftp.get(&name) {
            Some(c) if c.password.is_some() || connection.password.is_none() => {}
            _ => {
                self.connections.sftp.insert(name.clone(), connection);
            }
        }
        name
    }

    /// Adds the HTTP connection `wanted(name)` (see [`unique_entry`]); returns its name.
    fn http_connection(
        &mut self,
        base: &str,
        wanted: impl Fn(&str) -> HttpConnectionYaml,
    ) -> String {
        unique_entry(&mut self.connections.http, base, wanted)
    }

    /// An FTP task's server settings (inline in every Zynk version that had FTP: `Server`,
    /// `Port`, `Username`, `Password`, `UseSSL`, `UsePassive`, `UseBinary`, `Retries`) as an
    /// `ftp:` connection; the password becomes an environment variable.
    fn ftp_connection(&mut self, t: &ZynkTask, src: &mut Src) -> String {
        let value = |run: &Self, src: &mut Src, name: &str| {
            src.zo(name)
                .and_then(|v| run.static_text(&v))
                .or_else(|| src.plain(name))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        // Zynk accepted `ftp://host`; the connection takes the host.
        let server = value(self, src, "Server")
            .map(|s| {
                s.trim_start_matches("ftp://")
                    .trim_start_matches("ftps://")
                    .trim_end_matches('/')
                    .to_string()
            })
            .filter(|s| !s.is_empty());
        let username = value(self, src, "Username");
        let had_password = src.zo("Password").is_some_and(|v| !v.is_empty());
        let port = src.plain("Port").and_then(|p| p.parse().ok());
        let flag = |src: &mut Src, name: &str, default: bool| {
            src.plain(name).map_or(default, |v| v == "true")
        };
        let tls = flag(src, "UseSSL", false);
        let passive = flag(src, "UsePassive", true);
        let binary = flag(src, "UseBinary", true);
        let retries = src.plain("Retries").and_then(|r| r.parse().ok());
        src.ignore(&["ConnectionGroupName"]);
        let base = server.as_deref().map(slug).unwrap_or_else(|| "ftp".into());
        let name = unique_entry(&mut self.connections.ftp, &base, |name| FtpConnectionYaml {
            server: server
                .clone()
                .unwrap_or_else(|| "ftp.example.invalid".into()),
            port,
            username: username.clone().unwrap_or_else(|| UNKNOWN_USER.into()),
            password: EnvRef {
                env: env_name(name, "password"),
            },
            tls,
            passive,
            binary,
            retries,
        });
        let password_env = env_name(&name, "password");
        if had_password {
            self.report.secrets.push(SecretNote {
                found: format!("task `{}`: setting Password", t.name),
                instead: format!("environment variable {password_env} (ftp connection `{name}`)"),
            });
        }
        self.note_once(format!(
            "ftp `{name}`: set the environment variable {password_env} to the password"
        ));
        if server.is_none() {
            self.note_once(format!("ftp `{name}`: the .wkf names no server (or computes it at run time): replace `ftp.example.invalid` and `{UNKNOWN_USER}`"));
        }
        if !tls {
            self.note_once(format!("ftp `{name}`: plain FTP as in the .wkf (`tls: false`) sends the password in clear; set `tls: true` if the server has FTPS"));
        }
        name
    }

    /// Send Email's server settings (`SmtpServer`, `Port`, `EnableSSL`, `SmtpUsername`,
    /// `SmtpPassword`, `Timeout`) as an `email:` connection named after the server.
    fn email_connection(&mut self, t: &ZynkTask, src: &mut Src) -> String {
        let server = src
            .zo("SmtpServer")
            .and_then(|v| self.static_text(&v))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        let port: Option<u16> = src.plain("Port").and_then(|p| p.parse().ok());
        let ssl = src.plain("EnableSSL").is_some_and(|v| v == "true");
        let username = src
            .zo("SmtpUsername")
            .and_then(|v| self.static_text(&v))
            .filter(|u| !u.trim().is_empty());
        let had_password = src.zo("SmtpPassword").is_some_and(|v| !v.is_empty());
        // Zynk's timeout is in milliseconds.
        let timeout = src
            .plain("Timeout")
            .and_then(|ms| ms.parse::<u64>().ok())
            .filter(|ms| *ms > 0)
            .map(|ms| ms.div_ceil(1000));
        // .NET's EnableSSL is STARTTLS, except on the implicit-TLS port.
        let security = match (ssl, port) {
            (true, Some(465)) => "tls",
            (true, _) => "starttls",
            // Wharf never sends a password in clear: a login without SSL becomes STARTTLS.
            (false, _) if username.is_some() => "starttls",
            (false, _) => "none",
        };
        let base = server.as_deref().map(slug).unwrap_or_else(|| "smtp".into());
        let name = unique_entry(&mut self.connections.email, &base, |name| {
            EmailConnectionYaml {
                server: server
                    .clone()
                    .unwrap_or_else(|| "smtp.example.invalid".into()),
                port,
                security: security.into(),
                username: username.clone(),
                password: username.as_ref().map(|_| EnvRef {
                    env: env_name(name, "password"),
                }),
                timeout_seconds: timeout,
            }
        });
        if had_password {
            self.report.secrets.push(SecretNote {
                found: format!("task `{}`: setting SmtpPassword", t.name),
                instead: format!(
                    "environment variable {} (email connection `{name}`)",
                    env_name(&name, "password")
                ),
            });
        }
        if !ssl && username.is_some() {
            self.note_once(format!("email `{name}`: Zynk sent the login without SSL; Wharf never sends a password in clear, so the connection uses STARTTLS"));
        }
        if server.is_none() {
            self.note_once(format!(
                "email `{name}`: the .wkf names no SMTP server: replace `smtp.example.invalid`"
            ));
        }
        name
    }

    fn note_once(&mut self, note: String) {
        if !self.report.connection_notes.contains(&note) {
            self.report.connection_notes.push(note);
        }
    }

    /// HTTP Task: the URL's origin becomes a connection (with basic authentication when the
    /// task had a user), its path the task's `url`.
    fn http(
        &mut self,
        t: &ZynkTask,
        src: &mut Src,
        node: &mut NodeYaml,
        out: &mut BTreeMap<String, String>,
    ) {
        let url_value = src.zo("Url");
        let absolute = url_value
            .as_ref()
            .and_then(|v| self.static_text(v))
            .and_then(|u| url::Url::parse(u.trim()).ok());
        let (base, relative) = match &absolute {
            Some(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
                let origin = u.origin().ascii_serialization();
                let mut path = u.path().trim_start_matches('/').to_string();
                if let Some(q) = u.query() {
                    path.push('?');
                    path.push_str(q);
                }
                (
                    format!("{origin}/"),
                    if path.is_empty() {
                        "/".to_string()
                    } else {
                        path
                    },
                )
            }
            _ => {
                let original = url_value
                    .as_ref()
                    .map(|v| v.text.clone())
                    .unwrap_or_default();
                let tr = url_value
                    .as_ref()
                    .map(expr::translate)
                    .unwrap_or(Translated {
                        text: String::new(),
                        flag: None,
                    });
                self.report.flagged.push(Flagged {
                    task: t.name.clone(),
                    setting: "Url".into(),
                    original,
                    why: "not a fixed http(s) URL: set the connection's base-url and make `url` relative to it".into(),
                });
                ("https://example.invalid/".to_string(), tr.text)
            }
        };
        out.insert("url".into(), expr::literal(&relative));
        let username = src.plain("Username");
        let password = src.zo("Password").filter(|v| !v.is_empty());
        let host = absolute
            .as_ref()
            .and_then(|u| u.host_str().map(slug))
            .unwrap_or_else(|| "web".into());
        let name = self.http_connection(&host, |name| HttpConnectionYaml {
            base_url: base.clone(),
            auth: username.clone().map(|u| AuthYaml::Basic {
                username: u,
                password: EnvRef {
                    env: env_name(name, "password"),
                },
            }),
            extra_origins: Vec::new(),
        });
        if password.is_some() || username.is_some() {
            self.report.secrets.push(SecretNote {
                found: format!("task `{}`: setting Password", t.name),
                instead: format!(
                    "environment variable {} (http connection `{name}`)",
                    env_name(&name, "password")
                ),
            });
        }
        node.grants.push(format!("http:{name}"));
        if let (Some(v), Some(_)) = (&url_value, &absolute)
            && v.kind == "VariableValue"
        {
            // The variable's value was split at import; editing it later changes nothing.
            self.note_once(format!(
                "http `{name}`: task `{}` took its URL from the variable `{}`: its origin is the connection's base-url, its path the task's url; change them there",
                t.name, v.text
            ));
        }
        self.plain(src, "Method", "method", out);
        for (z, w) in [
            ("Input", "input"),
            ("ContentsField", "contents-field"),
            ("OutputFile", "output-file"),
            ("UserAgent", "user-agent"),
        ] {
            self.zo(src, t, z, w, out);
        }
        self.plain(src, "Timeout", "timeout", out);
        self.plain(src, "EncodingType", "encoding-type", out);
        self.plain(src, "Retries", "retries", out);
        for (z, w) in [
            ("HeaderValues", "header-values"),
            ("FormValues", "form-values"),
        ] {
            let Some(list) = src.get(z) else { continue };
            let lines: Vec<String> = list
                .children
                .iter()
                .filter_map(|kv| {
                    let key = kv
                        .attr("Key")
                        .map(str::to_string)
                        .or_else(|| kv.child_text("Key").map(str::to_string))?;
                    let value = kv
                        .child("ZynkObject")
                        .and_then(ZValue::from_el)
                        .map(|v| v.text)
                        .or_else(|| kv.child_text("Value").map(str::to_string))
                        .unwrap_or_default();
                    Some(if z == "HeaderValues" {
                        format!("{key}: {value}")
                    } else {
                        format!("{key}={value}")
                    })
                })
                .collect();
            if !lines.is_empty() {
                out.insert(w.into(), lines.join("\n"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::convert::Converter;
    use crate::{Imported, import_text};

    fn zo(name: &str, kind: &str, razor: bool, text: &str) -> String {
        let razor = if razor { "True" } else { "False" };
        format!(
            "<{name}><Type>{kind}</Type><UseRazorEngine>{razor}</UseRazorEngine><ReadContentsOfFile>False</ReadContentsOfFile>\
             <Value type=\"System.String\"><string>{text}</string></Value></{name}>"
        )
    }

    fn task(class: &str, name: &str, body: &str) -> String {
        let short = class.rsplit('.').next().unwrap();
        format!(
            "<Task type=\"{class}, Assembly, Version=1.0\"><{short}><Name>{name}</Name><Enabled>true</Enabled>\
             <BreakOnFailure>true</BreakOnFailure>{body}</{short}></Task>"
        )
    }

    fn import(tasks: &str, variables: &str) -> (Imported, Converter) {
        let text = format!(
            "<?xml version=\"1.0\"?><Workflow><Tasks>{tasks}</Tasks><Variables>{variables}</Variables>\
             <Name>Test</Name><UseMutex>true</UseMutex><ShouldResume>false</ShouldResume>\
             <LogHouseKeeping><Type>NumberOfJobs</Type><Number>20</Number></LogHouseKeeping></Workflow>"
        );
        let mut converter = Converter::default();
        let imported = import_text(&mut converter, &text, "Test Flow.wkf").unwrap();
        (imported, converter)
    }

    #[test]
    fn paths_outside_the_working_directory_are_brought_inside() {
        for (from, to) in [
            ("../copy.txt", "copy.txt"),
            ("../", "."),
            ("a/../../b.xml", "b.xml"),
            ("C:\\Zynk\\in\\a.xml", "Zynk/in/a.xml"),
            (
                "/var/drop/{{ current.Name }}",
                "var/drop/{{ current.Name }}",
            ),
        ] {
            assert_eq!(super::within_working_directory(from), to, "{from}");
        }
    }

    #[test]
    fn sftp_credentials_become_a_connection_with_an_environment_reference() {
        let body = [
            zo("Server", "StaticValue", false, "sftp.shop.example"),
            zo("Directory", "StaticValue", false, "/download"),
            "<Port>2222</Port>".into(),
            zo("Username", "StaticValue", false, "zynk"),
            zo("Password", "StaticValue", false, "hunter2-secret"),
            "<AuthType>Password</AuthType>".into(),
            zo(
                "Filename",
                "StaticValue",
                true,
                "@Context.Current[\"Name\"]",
            ),
            zo(
                "OutputFile",
                "FileValue",
                true,
                "in/@(Context.Current[\"Name\"])",
            ),
        ]
        .concat();
        let (imported, converter) =
            import(&task("Zynk.Internet.Sftp.SftpDownload", "Get", &body), "");
        let connections = serde_saphyr::to_string(&converter.connections).unwrap();
        assert!(!imported.yaml.contains("hunter2") && !connections.contains("hunter2"));
        assert!(
            imported.yaml.contains("sftp:sftp-shop-example"),
            "{}",
            imported.yaml
        );
        assert!(imported.yaml.contains("filename: \"{{ current.Name }}\""));
        assert!(imported.yaml.contains("output-file: in/{{ current.Name }}"));
        let c = &converter.connections.sftp["sftp-shop-example"];
        assert_eq!(
            (c.server.as_str(), c.port, c.username.as_str()),
            ("sftp.shop.example", 2222, "zynk")
        );
        assert_eq!(
            c.password.as_ref().unwrap().env,
            "WHARF_SFTP_SHOP_EXAMPLE_PASSWORD"
        );
        assert!(
            imported
                .report
                .secrets
                .iter()
                .any(|s| s.instead.contains("WHARF_SFTP_SHOP_EXAMPLE_PASSWORD"))
        );
        assert_eq!(imported.report.converted, 1);
        // Workflow properties.
        assert!(imported.yaml.contains("resume-on-failure: false"));
        assert!(imported.yaml.contains("use-mutex: true"));
        assert!(imported.yaml.contains("keep: runs"));
        assert!(imported.yaml.contains("id: test-flow"));
    }

    #[test]
    fn unknown_classes_become_disabled_placeholders_keeping_settings_but_secrets() {
        let body = [
            zo(
                "ConnectionString",
                "StaticValue",
                false,
                "Server=db;Password=s3cret-value",
            ),
            zo("Query", "StaticValue", false, "SELECT 1"),
            "<QueryTimeout xsi:nil=\"true\" />".into(),
            "<Options><Mode>Fast</Mode></Options>".into(),
        ]
        .concat();
        let child = task(
            "Zynk.Filesystem.DeleteFile",
            "Delete",
            &zo("InputFile", "FileValue", false, "a.xml"),
        );
        let body = format!("{body}<Tasks>{child}</Tasks>");
        let (imported, _) = import(&task("Zynk.Database.MsSql.SqlRepeater", "Rows", &body), "");
        let y = &imported.yaml;
        assert!(!y.contains("s3cret"), "{y}");
        assert!(y.contains("task: Zynk.Database.MsSql.SqlRepeater"));
        assert!(y.contains("enabled: false"));
        assert!(y.contains("Query: SELECT 1"));
        assert!(y.contains("Options.Mode: Fast"));
        assert!(
            y.contains("ConnectionString: \"(secret not imported"),
            "{y}"
        );
        assert!(
            y.contains("task: delete-file"),
            "children are still converted: {y}"
        );
        let r = &imported.report;
        assert_eq!((r.tasks, r.converted, r.placeholders.len()), (2, 1, 1));
        assert_eq!(r.placeholders[0].class, "Zynk.Database.MsSql.SqlRepeater");
        assert!(
            r.secrets
                .iter()
                .any(|s| s.found.contains("ConnectionString"))
        );
        assert!(y.starts_with("# Imported from Test Flow.wkf"));
        assert!(y.contains("#   rows — Zynk.Database.MsSql.SqlRepeater"));
    }

    #[test]
    fn settings_without_a_place_are_reported_and_paths_outside_flagged() {
        let body = [
            zo("InputFile", "FileValue", false, "..\\in\\a.xml"),
            zo("OutputFile", "FileValue", false, "b.xml"),
            "<PrependTimestamp>true</PrependTimestamp><TimestampFormat>yyyyMMdd</TimestampFormat><OverwriteFile>false</OverwriteFile>".into(),
        ]
        .concat();
        // Copy File has no timestamp in Wharf (Move File has): reported, not dropped silently.
        let (imported, _) = import(&task("Zynk.Filesystem.CopyFile", "Copy", &body), "");
        let r = &imported.report;
        let dropped: Vec<&str> = r.not_carried.iter().map(|n| n.setting.as_str()).collect();
        assert_eq!(dropped, ["PrependTimestamp", "TimestampFormat"]);
        let (moved, _) = import(&task("Zynk.Filesystem.MoveFile", "Move", &body), "");
        assert!(
            moved.report.not_carried.is_empty(),
            "{:?}",
            moved.report.not_carried
        );
        assert!(
            moved.yaml.contains("prepend-timestamp: \"true\"")
                && moved.yaml.contains("timestamp-format: yyyyMMdd"),
            "{}",
            moved.yaml
        );
        assert!(
            r.flagged
                .iter()
                .any(|f| f.setting == "InputFile" && f.why.contains("outside"))
        );
        assert!(
            imported.yaml.contains("overwrite: \"false\""),
            "{}",
            imported.yaml
        );
    }

    #[test]
    fn auto_mapper_builtins_map_with_parameters_and_others_stay_placeholders() {
        let mapping = |from: &str| {
            format!(
                "<Mapping><InputFormat>{from}</InputFormat><InputType>Orders</InputType><OutputFormat>Zynk XML</OutputFormat>\
                 <OutputType>Sales Orders</OutputType><Parameters>\
                 <VariableWithDescription Key=\"AccountReference\" Description=\"\"><ZynkObject><Type>StaticValue</Type>\
                 <Value type=\"System.String\"><string>WEBSALES</string></Value></ZynkObject></VariableWithDescription>\
                 <VariableWithDescription Key=\"TaxCode\" Description=\"\"><ZynkObject><Type>StaticValue</Type>\
                 <Value type=\"System.String\"><string /></Value></ZynkObject></VariableWithDescription>\
                 </Parameters></Mapping>{}{}",
                zo("InputFile", "FileValue", false, "orders.xml"),
                zo("OutputFile", "FileValue", false, "zynk.xml")
            )
        };
        let tasks = task(
            "Zynk.Tasks.AutoMapperTask",
            "Magento map",
            &mapping("Magento"),
        ) + &task("Zynk.Tasks.AutoMapperTask", "eBay map", &mapping("eBay"));
        let (imported, _) = import(&tasks, "");
        let y = &imported.yaml;
        assert!(y.contains("mapping: magento-orders-to-zynk"), "{y}");
        assert!(y.contains("parameters: AccountReference=WEBSALES\n"), "{y}");
        assert_eq!(imported.report.placeholders.len(), 1);
        assert_eq!(imported.report.placeholders[0].name, "eBay map");
    }

    #[test]
    fn sage_import_prefers_the_nested_account_reference_block() {
        let body = [
            zo("InputFile", "FileValue", false, "o.xml"),
            "<AutoGenerateAccountReference>false</AutoGenerateAccountReference><AlphabeticLength>0</AlphabeticLength>".into(),
            "<AutoGenerateAccountReferences><AutoGenerateAccountReference>true</AutoGenerateAccountReference>\
             <AlphabeticLength>3</AlphabeticLength><Mask /></AutoGenerateAccountReferences>".into(),
            "<VatSettings><Eu><Enabled>true</Enabled><Sales>2</Sales><Carriage>3</Carriage></Eu></VatSettings>".into(),
            "<AutoCreateCustomer>true</AutoCreateCustomer><UseManualDocumentNumber>false</UseManualDocumentNumber>".into(),
        ]
        .concat();
        let (imported, _) = import(
            &task("Zynk.Connect.Sage50.ImportSalesOrders", "Import", &body),
            "",
        );
        let y = &imported.yaml;
        assert!(
            y.contains("auto-generate-account-reference: \"true\""),
            "{y}"
        );
        assert!(y.contains("alphabetic-length: \"3\""), "{y}");
        assert!(
            y.contains("vat-eu-enabled: \"true\"") && y.contains("vat-eu-carriage: \"3\""),
            "{y}"
        );
        assert!(y.contains("auto-create-customers: \"true\""));
        assert!(y.contains("- sage"));
        assert!(
            imported.report.not_carried.is_empty(),
            "{:?}",
            imported.report.not_carried
        );
    }

    #[test]
    fn http_urls_split_into_a_connection_and_a_relative_url() {
        let vars = "<Variable Key=\"Url.Download\" Encrypt=\"False\" Encrypted=\"False\"><ZynkObject><Type>StaticValue</Type>\
             <Value type=\"System.String\"><string>https://shop.example/zynk/download.php?key=1</string></Value></ZynkObject></Variable>";
        let body = [
            zo("Url", "VariableValue", false, "Url.Download"),
            zo("Username", "StaticValue", false, "api"),
            zo("Password", "StaticValue", false, "pa55-secret"),
            zo("OutputFile", "FileValue", false, "orders.xml"),
            "<Method>POST</Method><Retries>2</Retries>".into(),
        ]
        .concat();
        let (imported, converter) = import(
            &task("Zynk.Internet.Http.HttpTask", "Download", &body),
            vars,
        );
        let y = &imported.yaml;
        assert!(y.contains("url: zynk/download.php?key=1"), "{y}");
        assert!(y.contains("http:shop-example"), "{y}");
        assert!(
            y.contains("Url.Download: https://shop.example/zynk/download.php?key=1"),
            "{y}"
        );
        let c = &converter.connections.http["shop-example"];
        assert_eq!(c.base_url, "https://shop.example/");
        let connections = serde_saphyr::to_string(&converter.connections).unwrap();
        assert!(
            connections.contains("WHARF_SHOP_EXAMPLE_PASSWORD"),
            "{connections}"
        );
        assert!(!connections.contains("pa55") && !y.contains("pa55"));
    }

    #[test]
    fn credentials_in_urls_are_removed_everywhere() {
        let vars = "<Variable Key=\"Feed\" Encrypt=\"False\" Encrypted=\"False\"><ZynkObject><Type>StaticValue</Type>\
             <Value type=\"System.String\"><string>https://bob:pw-in-url@feed.example/x</string></Value></ZynkObject></Variable>";
        let body = [
            zo("InputFile", "FileValue", false, "a.xml"),
            zo(
                "Endpoint",
                "StaticValue",
                false,
                "ftp://eve:other-pw@files.example/in",
            ),
            zo("Source", "StaticValue", false, "sftp://carol:third-pw@h/x"),
        ]
        .concat();
        let tasks = task("Zynk.Filesystem.DeleteFile", "Delete", &body)
            + &task(
                "Zynk.Unknown.Task",
                "Other",
                &zo("Source", "StaticValue", false, "sftp://carol:third-pw@h/x"),
            );
        let (imported, _) = import(&tasks, vars);
        let report = serde_json::to_string(&imported.report).unwrap();
        for secret in ["pw-in-url", "other-pw", "third-pw"] {
            assert!(!imported.yaml.contains(secret), "{}", imported.yaml);
            assert!(!report.contains(secret), "{report}");
        }
        assert!(
            imported.yaml.contains("Feed: https://feed.example/x"),
            "{}",
            imported.yaml
        );
        assert_eq!(
            imported.report.secrets.len(),
            2,
            "{:?}",
            imported.report.secrets
        );
        assert!(
            imported
                .report
                .not_carried
                .iter()
                .any(|n| n.value == "ftp://files.example/in")
        );
    }

    #[test]
    fn a_placeholder_keeps_no_huge_value() {
        let big = "x".repeat(super::MAX_PLACEHOLDER_VALUE + 1);
        let (imported, _) = import(
            &task(
                "Zynk.Tasks.RazorTemplateTask",
                "Render",
                &zo("Template", "StaticValue", false, &big),
            ),
            "",
        );
        assert!(!imported.yaml.contains(&big));
        assert!(
            imported.yaml.contains("Template: \"(not kept: 65537 bytes"),
            "{}",
            imported.yaml
        );
        assert_eq!(imported.report.not_carried[0].setting, "Template");
    }

    #[test]
    fn structure_flags_and_conditions_carry_over_with_unique_ids() {
        let rename = task(
            "Zynk.Filesystem.DeleteFile",
            "Same",
            &zo("InputFile", "FileValue", false, "x"),
        );
        let exists = task(
            "Zynk.Filesystem.FileExists",
            "Same",
            &format!(
                "<Equal>false</Equal><Tasks>{rename}</Tasks>{}<MinimumLength>10</MinimumLength>",
                zo("InputFile", "FileValue", false, "x")
            ),
        );
        let container = format!(
            "<Task type=\"Zynk.Tasks.ContainerTask, Zynk.Tasks\"><ContainerTask><Name>Group</Name><Enabled>false</Enabled>\
             <BreakOnFailure>false</BreakOnFailure><CanResume>false</CanResume><Tasks>{exists}</Tasks></ContainerTask></Task>"
        );
        let (imported, _) = import(&container, "");
        let y = &imported.yaml;
        assert!(y.contains("- container: Group"), "{y}");
        assert!(
            y.contains("enabled: false")
                && y.contains("break-on-failure: false")
                && y.contains("can-resume: false"),
            "{y}"
        );
        assert!(y.contains("equal-to: false"));
        assert!(
            y.contains("id: same\n") && y.contains("id: same-2\n"),
            "{y}"
        );
        assert_eq!(imported.report.converted, 3);
    }

    #[test]
    fn repeaters_and_conditions_without_sub_tasks_get_an_empty_list() {
        let tasks = task(
            "Zynk.Filesystem.FileRepeater",
            "Each",
            &zo("InputDirectory", "UriValue", false, "in"),
        ) + &task(
            "Zynk.Filesystem.FileExists",
            "If",
            &zo("InputFile", "FileValue", false, "a"),
        ) + &task(
            "Zynk.Filesystem.DeleteFile",
            "Delete",
            &zo("InputFile", "FileValue", false, "a"),
        );
        let (imported, _) = import(&tasks, "");
        assert_eq!(
            imported.yaml.matches("tasks: []").count(),
            2,
            "{}",
            imported.yaml
        );
    }

    #[test]
    fn archive_and_xslt_settings_translate() {
        let archive = |dir: &str, housekeeping: &str| {
            task(
                "Zynk.Filesystem.ArchiveWorkflowData",
                "Archive",
                &format!(
                    "{}<HouseKeepingSettings>{housekeeping}</HouseKeepingSettings>",
                    zo("ArchiveDirectory", "FileValue", false, dir)
                ),
            )
        };
        let stylesheet = "&lt;xsl:stylesheet version=\"1.0\"/&gt;";
        let params = "<Parameters><Variable Key=\"FailFile\" Encrypt=\"False\" Encrypted=\"False\"><ZynkObject>\
             <Type>FileValue</Type><Value type=\"System.String\"><string>fail.xml</string></Value></ZynkObject></Variable>\
             <Variable Key=\"Pair\"><ZynkObject><Type>StaticValue</Type><Value type=\"System.String\"><string>a=b</string></Value></ZynkObject></Variable></Parameters>";
        let tasks = archive(
            "Archive",
            "<Enabled>true</Enabled><Type>NumberOfDays</Type><Number>7</Number>",
        ) + &archive(
            "C:\\Zynk\\Archive",
            "<Enabled>false</Enabled><Type>NumberOfDays</Type><Number>7</Number>",
        ) + &task(
            "Zynk.Documents.XML.XsltTransform",
            "Transform",
            &format!(
                "{}{}{}{params}",
                zo("InputFile", "FileValue", false, "in.xml"),
                zo("XsltFile", "StaticValue", false, stylesheet),
                zo("OutputFile", "FileValue", false, "out.xml"),
            ),
        );
        let (imported, _) = import(&tasks, "");
        let y = &imported.yaml;
        assert!(y.contains("archive-folder: Archive"), "{y}");
        assert!(
            y.contains("housekeeping-type: NumberOfDays")
                && y.contains("housekeeping-number: \"7\""),
            "{y}"
        );
        assert!(
            y.contains("housekeeping-type: NotEnabled"),
            "Enabled=false wins: {y}"
        );
        let r = &imported.report;
        assert!(
            r.not_carried
                .iter()
                .any(|n| n.setting == "ArchiveDirectory" && n.value.contains("absolute"))
        );
        assert!(y.contains("xslt-file: test-flow-transform.xslt"), "{y}");
        assert_eq!(
            imported.side_files[0].contents,
            "<xsl:stylesheet version=\"1.0\"/>"
        );
        assert!(y.contains("parameters: FailFile=fail.xml\n"), "{y}");
        assert!(
            r.flagged.iter().any(|f| f.setting == "parameter Pair"),
            "{:?}",
            r.flagged
        );
        assert!(r.flagged.iter().any(|f| f.setting == "XsltFile"));
    }

    #[test]
    fn magento_v1_tasks_become_magento_2_tasks_with_a_rest_connection() {
        let download = [
            zo("OutputFile", "FileValue", false, "magento_orders.xml"),
            "<FilterType>gt</FilterType>".into(),
            zo("FilterProperty", "StaticValue", false, "created_at"),
            zo("FilterValue", "StaticValue", false, "2012-05-10T00:00:00"),
            "<DownloadAll>false</DownloadAll>".into(),
            zo("DownloadStage", "StaticValue", false, "pending, processing"),
            zo(
                "Url",
                "StaticValue",
                false,
                "https://shop.example/index.php/api/xmlrpc/",
            ),
            zo("Username", "StaticValue", false, "zynk"),
            zo("ApiKey", "StaticValue", false, "v1-api-key-secret"),
        ]
        .concat();
        let update = [
            zo("InputFile", "FileValue", false, "magento_orders_update.xml"),
            zo("NotifyStage", "StaticValue", false, "complete"),
            "<NotifyCustomer>false</NotifyCustomer>".into(),
        ]
        .concat();
        let tasks = task(
            "Zynk.Ecommerce.Magento.DownloadOrders",
            "Download",
            &download,
        ) + &task("Zynk.Ecommerce.Magento.UpdateOrders", "Update", &update)
            + &task(
                "Zynk.Ecommerce.Magento.UploadInventory",
                "Stock",
                &zo("InputFile", "FileValue", false, "magento_inventory.xml"),
            );
        let (imported, converter) = import(&tasks, "");
        let y = &imported.yaml;
        assert!(y.contains("task: magento2-download-orders"), "{y}");
        assert!(y.contains("export-type: Modified"), "{y}");
        assert!(y.contains("status: pending,processing"), "{y}");
        assert!(
            y.contains("filter-groups: created_at GreaterThan 2012-05-10 00:00:00"),
            "{y}"
        );
        assert!(y.contains("task: magento2-update-order-status") && y.contains("status: complete"));
        assert!(y.contains("notify-customer: \"false\""), "{y}");
        assert!(y.contains("task: magento2-update-inventory"), "{y}");
        assert_eq!(y.matches("- http:magento\n").count(), 3, "{y}");
        let connections = serde_saphyr::to_string(&converter.connections).unwrap();
        assert!(
            connections.contains("base-url: https://shop.example/")
                && connections.contains("magento-admin")
                && connections.contains("env: WHARF_MAGENTO_PASSWORD"),
            "{connections}"
        );
        assert!(!connections.contains("v1-api-key") && !y.contains("v1-api-key"));
        let r = &imported.report;
        assert_eq!((r.converted, r.placeholders.len()), (3, 0));
        assert!(
            r.connection_notes.iter().any(|n| n.contains("XML-RPC")),
            "{:?}",
            r.connection_notes
        );
        assert!(r.not_carried.is_empty(), "{:?}", r.not_carried);
    }

    #[test]
    fn bigcommerce_and_amazon_tasks_map_and_the_seller_id_becomes_a_variable() {
        let tasks = task(
            "Zynk.Ecommerce.BigCommerce.DownloadOrders",
            "Orders",
            &format!(
                "{}<DownloadAll>true</DownloadAll><DownloadStatus>Shipped</DownloadStatus>",
                zo("OutputFile", "FileValue", false, "bc.xml")
            ),
        ) + &task(
            "Zynk.Ecommerce.BigCommerce.UpdateOrderStatus",
            "Status",
            &format!(
                "{}<NotifyStage>Completed</NotifyStage>",
                zo("InputFile", "FileValue", false, "up.xml")
            ),
        ) + &task(
            "Zynk.Ecommerce.Amazon.DownloadOrders",
            "Amazon orders",
            &[
                zo("MerchantId", "StaticValue", false, ""),
                zo("MarketPlaceId", "StaticValue", false, ""),
                "<Country>UK</Country><APICallDelay>1000</APICallDelay>".into(),
                zo("OutputFile", "FileValue", false, "amazon_orders.xml"),
                "<OrderStatus>Shipped</OrderStatus><DownloadFrom>2013-05-10T16:27:21.0337853+01:00</DownloadFrom>".into(),
            ]
            .concat(),
        ) + &task(
            "Zynk.Tasks.AutoMapperTask",
            "Map stock",
            &format!(
                "<Mapping><InputFormat>Zynk XML</InputFormat><InputType>Products</InputType><OutputFormat>Amazon</OutputFormat>\
                 <OutputType>Inventory</OutputType></Mapping>{}{}",
                zo("InputFile", "FileValue", false, "stock.xml"),
                zo("OutputFile", "FileValue", false, "amazon_inventory.xml")
            ),
        ) + &task(
            "Zynk.Ecommerce.Amazon.SubmitInventoryFeed",
            "Feed",
            &[
                zo("MerchantId", "StaticValue", false, "A1SELLER"),
                "<Country>UK</Country><FeedType>_POST_PRODUCT_DATA_</FeedType>".into(),
                zo("InputFile", "FileValue", false, "amazon_inventory.xml"),
                zo("OutputFile", "FileValue", false, "response.html"),
            ]
            .concat(),
        );
        let (imported, converter) = import(&tasks, "");
        let y = &imported.yaml;
        assert!(
            y.contains("task: bigcommerce-download-orders") && y.contains("export-type: All"),
            "{y}"
        );
        assert!(
            y.contains("order-status: Shipped") && y.contains("notify-stage: Completed"),
            "{y}"
        );
        assert!(
            y.contains("task: amazon-download-orders") && y.contains("marketplaces: UK"),
            "{y}"
        );
        assert!(y.contains("order-statuses: Shipped"), "{y}");
        assert!(
            y.contains("export-date-floor: \"2013-05-10T16:27:21.0337853+01:00\""),
            "{y}"
        );
        assert!(
            y.contains("parameters: MerchantID={{ AmazonMerchantId }}"),
            "{y}"
        );
        assert!(y.contains("AmazonMerchantId: A1SELLER"), "{y}");
        assert!(y.contains("task: amazon-submit-inventory-feed"), "{y}");
        let c = &converter.connections.http;
        assert_eq!(
            c["amazon"].base_url,
            "https://sellingpartnerapi-eu.amazon.com/"
        );
        assert_eq!(c["amazon"].extra_origins.len(), 1);
        let text = serde_saphyr::to_string(&converter.connections).unwrap();
        assert!(
            text.contains("lwa:") && text.contains("client-id:") && text.contains("X-Auth-Token"),
            "{text}"
        );
        let r = &imported.report;
        assert_eq!((r.converted, r.placeholders.len()), (5, 0));
        // The API call delay is the connection's business now; the response file is flagged.
        assert!(
            r.not_carried.iter().all(|n| n.setting != "FeedType"),
            "{:?}",
            r.not_carried
        );
        assert!(
            r.flagged
                .iter()
                .any(|f| f.setting == "OutputFile" && f.why.contains("amazon-feed-results"))
        );
        assert!(r.connection_notes.iter().any(|n| n.contains("STORE-HASH")));
    }

    #[test]
    fn schedules_go_into_the_workflow_or_are_reported() {
        let text = format!(
            "<?xml version=\"1.0\"?><Workflow><Tasks>{}</Tasks><Schedule><Occurence>EveryXMinutes</Occurence>\
             <StartDate>2026-01-05T00:00:00</StartDate><EndDate>0001-01-01T00:00:00</EndDate>\
             <StartTime>2026-01-05T07:00:00</StartTime><EndTime>2026-01-05T19:00:00</EndTime><Minutes>30</Minutes></Schedule>\
             <Name>S</Name></Workflow>",
            task(
                "Zynk.Filesystem.DeleteFile",
                "Delete",
                &zo("InputFile", "FileValue", false, "a")
            )
        );
        let imported = import_text(&mut Converter::default(), &text, "Sched.wkf").unwrap();
        let written: serde_json::Value = serde_saphyr::from_str(&imported.yaml).unwrap();
        assert_eq!(
            written["schedule"],
            serde_json::json!({"every": "30m", "start-time": "07:00", "end-time": "19:00", "start-date": "2026-01-05"}),
            "{}",
            imported.yaml
        );
        assert!(imported.report.scheduled);
        let weekly = text.replace("EveryXMinutes", "Weekly");
        let imported = import_text(&mut Converter::default(), &weekly, "W.wkf").unwrap();
        assert!(!imported.yaml.contains("schedule:"));
        assert!(!imported.report.scheduled);
        assert!(
            imported
                .report
                .flagged
                .iter()
                .any(|f| f.setting == "Schedule"
                    && f.original.contains("Occurence=Weekly")
                    && f.why.contains("days"))
        );
    }

    #[test]
    fn ledger_email_and_document_tasks_map_to_their_components() {
        let tasks = task(
            "Zynk.Connect.Sage50.ImportInvoices",
            "Invoices",
            &[
                zo("InputFile", "FileValue", false, "inv.xml"),
                "<UseManualInvoiceNumber>false</UseManualInvoiceNumber><AutoCreateCustomer>true</AutoCreateCustomer>".into(),
                "<VatSettings><Base><Enabled>true</Enabled><Sales>1</Sales><Carriage>1</Carriage></Base></VatSettings>".into(),
            ]
            .concat(),
        ) + &task(
            "Zynk.Connect.Sage50.ExportInvoices",
            "Export",
            &format!(
                "{}<ExportAll>false</ExportAll><ExportSettings><DateTimeModified>2015-01-30T17:13:01</DateTimeModified>\
                 <ExportType>All</ExportType></ExportSettings><UseBaseCurrency>true</UseBaseCurrency>",
                zo("OutputFile", "FileValue", false, "invoices.xml")
            ),
        ) + &task(
            "Zynk.Internet.Email.SendEmail",
            "Mail",
            &[
                zo("To", "StaticValue", false, "ops@example.co.uk"),
                zo("Subject", "StaticValue", false, "Invoices"),
                zo("SmtpServer", "StaticValue", false, "mail.example.co.uk"),
                zo("SmtpUsername", "StaticValue", false, "wharf"),
                zo("SmtpPassword", "StaticValue", false, "smtp-secret-pw"),
                "<Port>587</Port><EnableSSL>true</EnableSSL>".into(),
                zo("Timeout", "StaticValue", false, "6000"),
            ]
            .concat(),
        ) + &task(
            "Zynk.Internet.Email.SendEmail",
            "Empty mail",
            &zo("SmtpServer", "StaticValue", false, "127.0.0.1"),
        ) + &task(
            "Zynk.Filesystem.RemoveCharactersFromFile",
            "Remove",
            &format!(
                "{}<OverwriteInputFile>true</OverwriteInputFile><Match><Type>ListValue</Type><Value type=\"List\"><ArrayOfZynkObject>\
                 <ZynkObject><Type>StaticValue</Type><Value type=\"S\"><string>ab</string></Value></ZynkObject>\
                 <ZynkObject><Type>StaticValue</Type><Value type=\"S\"><string>c.d</string></Value></ZynkObject>\
                 </ArrayOfZynkObject></Value></Match>",
                zo("InputFile", "FileValue", false, "a.txt")
            ),
        ) + &task(
            "Zynk.UserInterface.LogInfoMessage",
            "Log",
            "<Input><Type>PreviousValue</Type><UseRazorEngine>False</UseRazorEngine><ReadContentsOfFile>False</ReadContentsOfFile>\
             <Value type=\"S\"><string /></Value></Input>",
        );
        let (imported, converter) = import(&tasks, "");
        let y = &imported.yaml;
        assert!(
            y.contains("task: sage50-import-invoices") && y.contains("vat-base-enabled: \"true\""),
            "{y}"
        );
        assert!(
            y.contains("use-manual-invoice-number: \"false\"")
                && y.contains("auto-create-customers: \"true\""),
            "{y}"
        );
        assert!(
            y.contains("task: sage50-export-invoices") && y.contains("export-type: All"),
            "{y}"
        );
        assert!(
            y.contains("date-time-modified: \"2015-01-30T17:13:01\"")
                && y.contains("use-base-currency: \"true\""),
            "{y}"
        );
        assert!(
            y.contains("task: send-email") && y.contains("email:mail-example-co-uk"),
            "{y}"
        );
        assert!(
            y.contains("task: Zynk.Internet.Email.SendEmail"),
            "no recipient: a placeholder: {y}"
        );
        assert!(
            y.contains("remove-mode: regex") && y.contains("remove: ab|c\\.d"),
            "{y}"
        );
        assert!(y.contains("task: log-info-message"), "{y}");
        let c = &converter.connections.email["mail-example-co-uk"];
        assert_eq!(
            (c.security.as_str(), c.port, c.timeout_seconds),
            ("starttls", Some(587), Some(6))
        );
        let text = serde_saphyr::to_string(&converter.connections).unwrap();
        assert!(!text.contains("smtp-secret") && !y.contains("smtp-secret"));
        assert!(text.contains("WHARF_MAIL_EXAMPLE_CO_UK_PASSWORD"), "{text}");
        let r = &imported.report;
        assert_eq!((r.converted, r.placeholders.len()), (5, 1));
        assert!(
            r.flagged
                .iter()
                .any(|f| f.task == "Log" && f.why.contains("imported disabled"))
        );
        assert!(
            r.flagged
                .iter()
                .any(|f| f.task == "Empty mail" && f.why.contains("placeholder"))
        );
    }

    #[test]
    fn ftp_tasks_are_the_sftp_tasks_over_an_ftp_connection() {
        let vars = "<Variable Key=\"FtpServer\" Encrypt=\"False\" Encrypted=\"False\"><ZynkObject><Type>StaticValue</Type>\
             <Value type=\"System.String\"><string>ftp://files.example.co.uk</string></Value></ZynkObject></Variable>";
        let connection = [
            zo("Server", "VariableValue", false, "FtpServer"),
            zo("Username", "StaticValue", false, "zynk"),
            zo("Password", "StaticValue", false, "ftp-secret-pw"),
            zo("Directory", "StaticValue", false, "/download"),
            "<UsePassive>true</UsePassive><UseSSL>false</UseSSL><UseBinary>true</UseBinary>".into(),
        ]
        .concat();
        let download = task(
            "Zynk.Internet.Ftp.FtpDownload",
            "Get",
            &format!(
                "{connection}{}{}<CheckExistsOnly>false</CheckExistsOnly>",
                zo(
                    "Filename",
                    "StaticValue",
                    true,
                    "@Context.Current[\"Name\"]"
                ),
                zo(
                    "OutputFile",
                    "FileValue",
                    true,
                    "@Context.Current[\"Name\"]"
                )
            ),
        );
        let tasks = task(
            "Zynk.Internet.Ftp.FtpRepeater",
            "Each",
            &format!("{connection}<SearchPattern>*.xml</SearchPattern><Tasks>{download}</Tasks>"),
        ) + &task(
            "Zynk.Internet.Ftp.FtpUpload",
            "Put",
            &format!(
                "{connection}{}<Retries>2</Retries><TemporaryUploadSetting><Option>NotEnabled</Option></TemporaryUploadSetting>",
                zo("InputFile", "FileValue", false, "products.xml")
            ),
        );
        let (imported, converter) = import(&tasks, vars);
        let y = &imported.yaml;
        for name in ["ftp-repeater", "ftp-download", "ftp-upload"] {
            assert!(y.contains(&format!("task: {name}\n")), "{y}");
        }
        assert_eq!(y.matches("- ftp:files-example-co-uk\n").count(), 2, "{y}");
        assert!(y.contains("check-exists-only: \"false\""), "{y}");
        let ftp = &converter.connections.ftp;
        assert_eq!(
            ftp.len(),
            2,
            "the upload's retries make a second connection: {ftp:?}"
        );
        let c = &ftp["files-example-co-uk"];
        assert_eq!(
            (c.server.as_str(), c.tls, c.passive),
            ("files.example.co.uk", false, true)
        );
        let text = serde_saphyr::to_string(&converter.connections).unwrap();
        assert!(!text.contains("ftp-secret") && !y.contains("ftp-secret"));
        let r = &imported.report;
        assert_eq!((r.converted, r.placeholders.len()), (3, 0));
        assert!(r.not_carried.is_empty(), "{:?}", r.not_carried);
        assert!(r.connection_notes.iter().any(|n| n.contains("in clear")));
    }

    #[test]
    fn hostile_input_is_an_error_never_a_panic() {
        let mut converter = Converter::default();
        for text in [
            "",
            "<Workflow>",
            "<Workflow><Tasks/></Workflow>",
            "<Workflow><Tasks><Task type=\"X\"/></Tasks></Workflow>",
            "<Workflow><Tasks><Task type=\"\"><A/></Task></Tasks></Workflow>",
            "not xml at all <<<",
            "<Workflow><Tasks><Task type=\"Zynk.Tasks.ContainerTask\"><ContainerTask><Tasks>",
        ] {
            assert!(
                import_text(&mut converter, text, "x.wkf").is_err(),
                "{text}"
            );
        }
        // Deeply nested containers: refused with a message, not a stack overflow.
        let deep = "<Task type=\"Zynk.Tasks.ContainerTask\"><ContainerTask><Tasks>".repeat(10_000);
        let e =
            import_text(&mut converter, &format!("<Workflow><Tasks>{deep}"), "x.wkf").unwrap_err();
        assert!(e.to_string().contains("nest more than"), "{e}");
        // Wrong types and unknown elements: defaults apply, nothing is lost silently.
        let odd = task(
            "Zynk.Filesystem.FileExists",
            "Odd",
            "<Equal>maybe</Equal><MinimumLength><Type>Nope</Type></MinimumLength><Future>1</Future><Tasks/>",
        );
        let (imported, _) = import(&odd, "");
        assert!(
            imported
                .report
                .not_carried
                .iter()
                .any(|n| n.setting == "Future")
        );
    }
}
