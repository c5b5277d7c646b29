//! The case format: what `case.yaml` may say. These structs are the format's only definition;
//! docs/workflow-tests.md describes each field.

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// A case's `case.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Case {
    /// What the case shows, printed when it fails.
    #[serde(default)]
    pub description: Option<String>,
    /// The workflow file, relative to the case folder.
    #[serde(default = "default_workflow")]
    pub workflow: PathBuf,
    /// A folder of the case whose files are placed in the working directory before the first
    /// run.
    #[serde(default = "default_work")]
    pub work: PathBuf,
    /// The connections file (relative to the case folder) the runs get; by default the case's
    /// `connections.yaml` when there is one.
    #[serde(default)]
    pub connections: Option<PathBuf>,
    /// Environment variables the runs get (secrets the connections file names, say).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// When present, an embedded Sage 50 ledger is created before the first run.
    #[serde(default)]
    pub ledger: Option<LedgerSetup>,
    /// The runs, in order, each with what it must leave behind.
    pub runs: Vec<Run>,
}

fn default_workflow() -> PathBuf {
    PathBuf::from("workflow.yaml")
}

fn default_work() -> PathBuf {
    PathBuf::from("work")
}

/// The ledger a case starts with.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LedgerSetup {
    /// Company name (`wharf sage create-company --name`).
    #[serde(default)]
    pub company: Option<String>,
    /// ISO country code of the company.
    #[serde(default)]
    pub country: Option<String>,
    /// ISO code of the base currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// Zynk XML files (relative to the case folder) whose `Products` and `Customers` are loaded
    /// into the ledger, in order (`wharf sage load`).
    #[serde(default)]
    pub load: Vec<PathBuf>,
    /// Generate account references for loaded customers that have none.
    #[serde(default)]
    pub generate_account_refs: bool,
}

/// One run of the workflow.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Run {
    /// Run this workflow file (relative to the case folder) instead of the case's; it takes the
    /// case workflow's place, so it keeps the same data folder.
    #[serde(default)]
    pub workflow: Option<PathBuf>,
    /// `--var KEY=VALUE` arguments.
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    /// `--fresh`: start from the first task even if the last run can resume.
    #[serde(default)]
    pub fresh: bool,
    /// Changes to the working directory before this run.
    #[serde(default)]
    pub before: Before,
    /// What this run must leave behind.
    #[serde(default)]
    pub expect: Expect,
}

/// Changes to the working directory before a run.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Before {
    /// Files to write: working-directory path → content.
    #[serde(default)]
    pub write: BTreeMap<String, String>,
    /// Files or folders to remove.
    #[serde(default)]
    pub remove: Vec<String>,
}

/// What a run must leave behind. Anything not mentioned is not checked.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Expect {
    /// The run's result code (`success`, `resume`, `fail`, …).
    #[serde(default)]
    pub result: Option<ResultKey>,
    /// The run's message.
    #[serde(default)]
    pub message: Option<TextCheck>,
    /// What the run noticed about its start and end (a failed run it did not resume and why,
    /// a stale lock taken over), one notice a line.
    #[serde(default)]
    pub notices: Option<TextCheck>,
    /// `wharf run` refused the workflow before running it (exit code 2): its error text.
    #[serde(default)]
    pub error: Option<TextCheck>,
    /// The path the next run resumes at (`none` when it starts from the top).
    #[serde(default)]
    pub resume_at: Option<String>,
    /// The path this run resumed from (`none` when it started from the top).
    #[serde(default)]
    pub resumed_from: Option<String>,
    /// Task id → what its executions in this run did.
    #[serde(default)]
    pub tasks: BTreeMap<String, TaskExpect>,
    /// Working-directory path → what the file holds (`exists: false`: it must not be there).
    #[serde(default)]
    pub files: BTreeMap<String, TextCheck>,
    /// Working-directory folder → how many entries it holds (0 when it does not exist).
    #[serde(default)]
    pub entries: BTreeMap<String, usize>,
    /// How many files the workflow's archive holds.
    #[serde(default)]
    pub archive_files: Option<usize>,
    /// How many run records the workflow's history holds after this run.
    #[serde(default)]
    pub runs_kept: Option<usize>,
    /// Task id → key → value of the task's saved state (its cursor).
    #[serde(default)]
    pub state: BTreeMap<String, BTreeMap<String, TextCheck>>,
    /// The workflow's truth records.
    #[serde(default)]
    pub truth: Option<Rows>,
    /// The embedded Sage ledger's rows.
    #[serde(default)]
    pub ledger: Option<LedgerExpect>,
}

/// What the executions of one task did in a run.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TaskExpect {
    /// How many times it ran (0: it did not run).
    #[serde(default)]
    pub executions: Option<usize>,
    /// The result of every execution.
    #[serde(default)]
    pub result: Option<ResultKey>,
    /// The result of each execution, in order.
    #[serde(default)]
    pub results: Option<Vec<ResultKey>>,
    /// Sums over the executions.
    #[serde(default)]
    pub records_in: Option<u64>,
    #[serde(default)]
    pub records_out: Option<u64>,
    #[serde(default)]
    pub records_failed: Option<u64>,
    /// The message of every execution.
    #[serde(default)]
    pub message: Option<TextCheck>,
    /// Output name → value, of the last execution.
    #[serde(default)]
    pub outputs: BTreeMap<String, TextCheck>,
    /// The repeater item numbers of each execution, in order (`[[1], [2]]`).
    #[serde(default)]
    pub iterations: Option<Vec<Vec<usize>>>,
}

/// Rows of the embedded Sage ledger, as `wharf sage … --json` shows them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LedgerExpect {
    #[serde(default)]
    pub customers: Option<Rows>,
    #[serde(default)]
    pub orders: Option<Rows>,
    #[serde(default)]
    pub stock: Option<Rows>,
}

/// Expected rows: how many there are, and rows that must be among them. Each expected row
/// names some fields; it matches a distinct actual row whose fields have those values.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Rows {
    #[serde(default)]
    pub count: Option<usize>,
    #[serde(default)]
    pub include: Vec<serde_json::Map<String, serde_json::Value>>,
}

/// A result code by its workflow-file name (`success`, `not-found`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultKey(pub wharf_engine::ResultCode);

impl<'de> Deserialize<'de> for ResultKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let key = String::deserialize(deserializer)?;
        wharf_engine::ResultCode::from_key(&key)
            .map(ResultKey)
            .ok_or_else(|| {
                de::Error::custom(format!(
                    "unknown result `{key}`, expected one of {}",
                    wharf_engine::ResultCode::ALL
                        .iter()
                        .map(|c| c.key())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
    }
}

/// What a text (a file, a message, a value) must be: a string is its exact content; a map
/// lists checks that must all hold.
#[derive(Debug, Default, Clone)]
pub struct TextCheck {
    pub exact: Option<String>,
    pub checks: TextChecks,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TextChecks {
    /// Whether it exists (a file, a state key, an output); `false` checks nothing else.
    #[serde(default)]
    pub exists: Option<bool>,
    /// Exactly the content of this file of the case folder.
    #[serde(default)]
    pub same_as: Option<PathBuf>,
    /// Pieces it must contain.
    #[serde(default, deserialize_with = "one_or_many")]
    pub contains: Vec<String>,
    /// Pieces it must not contain.
    #[serde(default, deserialize_with = "one_or_many")]
    pub not_contains: Vec<String>,
    /// A regular expression it must match somewhere.
    #[serde(default)]
    pub matches: Option<String>,
    /// How many lines it has.
    #[serde(default)]
    pub lines: Option<usize>,
    /// XML element path → the texts of the elements (or attribute, `…/@name`) it selects, in
    /// document order (docs/workflow-tests.md says how paths are written).
    #[serde(default)]
    pub xml: BTreeMap<String, OneOrMany>,
    /// XML element path → how many elements it selects.
    #[serde(default)]
    pub xml_count: BTreeMap<String, usize>,
}

/// A string or a list of strings.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OneOrMany(pub Vec<String>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![v.to_owned()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<OneOrMany, A::Error> {
                Vec::<String>::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(OneOrMany)
            }
        }
        deserializer.deserialize_any(V)
    }
}

fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    OneOrMany::deserialize(deserializer).map(|m| m.0)
}

impl<'de> Deserialize<'de> for TextCheck {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TextCheck;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("the exact text, or a map of checks (exists, same-as, contains, …)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TextCheck, E> {
                Ok(TextCheck {
                    exact: Some(v.to_owned()),
                    checks: TextChecks::default(),
                })
            }
            // Unquoted YAML numbers and booleans are texts too (`count: 2` in a state value).
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<TextCheck, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TextCheck, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<TextCheck, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TextCheck, A::Error> {
                let checks = TextChecks::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(TextCheck {
                    exact: None,
                    checks,
                })
            }
        }
        deserializer.deserialize_any(V)
    }
}
