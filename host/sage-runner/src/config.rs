//! The runner's configuration file (YAML). Credentials are never in it: they come from the
//! standard AWS chain (environment, shared profile — which may assume the runner's role —,
//! container or instance credentials).
//!
//! ```yaml
//! bucket: wharf-acme-123456789012-eu-west-2
//! customer: acme
//! jobs_queue_url: https://sqs.eu-west-2.amazonaws.com/123456789012/wharf-acme-jobs
//! results_queue_url: https://sqs.eu-west-2.amazonaws.com/123456789012/wharf-acme-results
//! region: eu-west-2                 # default eu-west-2
//! # endpoint_url: http://127.0.0.1:5000   # any S3/SQS-compatible server (path-style S3)
//! ledger: C:/Wharf/sage-ledger.sqlite     # relative paths are taken from this file's folder
//! components: components            # folder of <task>.wasm
//! state_dir: state                  # the runner's own bookkeeping
//! heartbeat_seconds: 30             # ChangeMessageVisibility while a job runs
//! visibility_timeout_seconds: 120   # how long a received job stays hidden from other runners
//! wait_seconds: 20                  # SQS long poll (0–20)
//! concurrent_jobs: 1                # jobs of different workflows run side by side (1–16)
//! ```
//!
//! `ledger` is the embedded Sage 50 ledger. The runner never creates it: create the company
//! once with `wharf sage create-company --sage-ledger <file>`; until the file is there the
//! runner warns at start and every job fails, naming the setting and the path. To import into
//! a real Sage 50 instead, leave `ledger` out and choose the Sage Data Objects agent in a
//! `sage` section (its settings are kebab-case, like workflows; docs/sage50.md, "The runner on
//! Windows"):
//!
//! ```yaml
//! sage:
//!   backend: sdo                      # embedded (the `ledger` file) or sdo
//!   agent: C:/Program Files/Wharf/wharf-sage-agent.exe   # the build matching SDO's bitness
//!   data-path: C:/ProgramData/Sage/Accounts/2026/Company.000/ACCDATA
//!   user: wharf                       # a dedicated Sage user
//!   password: { env: WHARF_SAGE_PASSWORD }   # or { file: … } or { aws-secret: …, key: … }
//!   sdo-version: 32                   # SDOEngine.32; default: the newest registered
//!   bitness: 32                       # 32 or 64: the agent program must be built for it
//!   key-field: ANALYSIS_3             # the order field carrying Wharf's posting key
//!   call-timeout-seconds: 120         # a call taking longer stops the agent
//!   journal: state/sage-journal.sqlite   # the import journal (default: in state_dir)
//!   agent-engine: sdo                 # fake: the agent's fake Sage (a trial without Sage)
//! ```
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use sage_agent::bitness::Bitness;
use sage_agent::bitness::check_program;
use serde::Deserialize;
use wharf_sftp::SecretSource;

/// The settings of a runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The file it was read from.
    pub file: PathBuf,
    pub bucket: String,
    pub customer: String,
    pub jobs_queue_url: String,
    pub results_queue_url: String,
    pub region: String,
    pub endpoint_url: Option<String>,
    /// The Sage 50 company the jobs import into.
    pub sage: SageConfig,
    pub components: PathBuf,
    pub state_dir: PathBuf,
    pub heartbeat_seconds: u64,
    pub visibility_timeout_seconds: u64,
    pub wait_seconds: u64,
    /// How many jobs (of different workflows) run at once.
    pub concurrent_jobs: usize,
}

/// Which Sage 50 the runner writes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SageConfig {
    /// The embedded ledger file (setting `ledger`).
    Embedded { ledger: PathBuf },
    /// A real Sage 50 through `wharf-sage-agent` (the `sage` section).
    Sdo(SdoConfig),
}

impl SageConfig {
    /// For the log: which company, never a secret.
    pub fn describe(&self) -> String {
        match self {
            SageConfig::Embedded { ledger } => format!("embedded ledger {}", ledger.display()),
            SageConfig::Sdo(sdo) => format!(
                "Sage Data Objects ({} agent {}), company {} as {}",
                sdo.agent_engine.as_str(),
                sdo.agent.display(),
                sdo.data_path,
                sdo.user
            ),
        }
    }
}

/// The Sage Data Objects agent and the company it logs in to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdoConfig {
    pub agent: PathBuf,
    pub agent_engine: AgentEngine,
    pub data_path: String,
    pub user: String,
    /// Read when the agent logs in; never logged.
    pub password: SecretSource,
    /// `SDOEngine.<sdo-version>`; `None`: the newest registered.
    pub program_id: Option<String>,
    pub bitness: Option<Bitness>,
    pub key_field: String,
    pub call_timeout: std::time::Duration,
    /// The import journal kept beside Sage (`sage_ledger::JournaledBackend`).
    pub journal: PathBuf,
}

/// What the agent drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AgentEngine {
    /// The Sage Data Objects registered on the machine.
    Sdo,
    /// The agent's fake Sage 50: a company file in the data path (trials, tests).
    Fake,
}

impl AgentEngine {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentEngine::Sdo => "sdo",
            AgentEngine::Fake => "fake",
        }
    }
}

pub const DEFAULT_CALL_TIMEOUT_SECONDS: u64 = 120;
pub const DEFAULT_KEY_FIELD: &str = "ANALYSIS_3";

/// The `sage` section as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct SageSection {
    backend: BackendKind,
    #[serde(default)]
    agent: Option<PathBuf>,
    #[serde(default)]
    agent_engine: Option<AgentEngine>,
    #[serde(default)]
    data_path: Option<String>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    password: Option<SecretSource>,
    #[serde(default)]
    sdo_version: Option<u32>,
    #[serde(default)]
    bitness: Option<u32>,
    #[serde(default)]
    key_field: Option<String>,
    #[serde(default)]
    call_timeout_seconds: Option<u64>,
    #[serde(default)]
    journal: Option<PathBuf>,
}

#[derive(Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum BackendKind {
    Embedded,
    Sdo,
}

const SAGE_SETTINGS: [&str; 11] = [
    "backend",
    "agent",
    "agent-engine",
    "data-path",
    "user",
    "password",
    "sdo-version",
    "bitness",
    "key-field",
    "call-timeout-seconds",
    "journal",
];

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    bucket: String,
    customer: String,
    jobs_queue_url: String,
    results_queue_url: String,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    endpoint_url: Option<String>,
    #[serde(default)]
    ledger: Option<PathBuf>,
    #[serde(default)]
    sage: Option<SageSection>,
    components: PathBuf,
    state_dir: PathBuf,
    #[serde(default)]
    heartbeat_seconds: Option<u64>,
    #[serde(default)]
    visibility_timeout_seconds: Option<u64>,
    #[serde(default)]
    wait_seconds: Option<u64>,
    #[serde(default)]
    concurrent_jobs: Option<usize>,
}

const REQUIRED: [&str; 6] = [
    "bucket",
    "customer",
    "jobs_queue_url",
    "results_queue_url",
    "components",
    "state_dir",
];

const SETTINGS: [&str; 14] = [
    "bucket",
    "customer",
    "jobs_queue_url",
    "results_queue_url",
    "region",
    "endpoint_url",
    "ledger",
    "sage",
    "components",
    "state_dir",
    "heartbeat_seconds",
    "visibility_timeout_seconds",
    "wait_seconds",
    "concurrent_jobs",
];

pub const DEFAULT_REGION: &str = "eu-west-2";
pub const DEFAULT_HEARTBEAT_SECONDS: u64 = 30;
pub const DEFAULT_VISIBILITY_TIMEOUT_SECONDS: u64 = 120;
pub const DEFAULT_WAIT_SECONDS: u64 = 20;
/// One job at a time unless asked: on the embedded ledger, imports of different workflows take
/// turns on the ledger's writer lock anyway (each waiting within its own time limit).
pub const DEFAULT_CONCURRENT_JOBS: usize = 1;
const MAX_CONCURRENT_JOBS: usize = 16;
/// SQS limits.
const MAX_VISIBILITY_TIMEOUT_SECONDS: u64 = 43_200;
const MAX_WAIT_SECONDS: u64 = 20;

/// What is wrong with a configuration file: always the file, and the setting when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub setting: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.setting {
            Some(setting) => write!(
                f,
                "{}: setting `{setting}`: {}",
                self.file.display(),
                self.message
            ),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads and checks `path`; relative paths in it are taken from its folder.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_owned(),
            setting: None,
            message: format!("cannot read the configuration file: {e}"),
        })?;
        Config::parse(path, &text)
    }

    /// Parses and checks the text of the file `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let error = |setting: &str, message: String| ConfigError {
            file: path.to_owned(),
            setting: Some(setting.to_owned()),
            message,
        };
        let file: ConfigFile = match serde_saphyr::from_str(text) {
            Ok(file) => file,
            Err(e) => return Err(diagnose(path, text, &e)),
        };
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let absolute = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
        let nonempty = |name: &str, text: String| -> Result<String, ConfigError> {
            let text = text.trim().to_owned();
            if text.is_empty() {
                Err(error(name, "must not be empty".into()))
            } else {
                Ok(text)
            }
        };
        let url = |name: &str, text: String| -> Result<String, ConfigError> {
            let text = nonempty(name, text)?;
            if text.starts_with("https://") || text.starts_with("http://") {
                Ok(text)
            } else {
                Err(error(
                    name,
                    "must be a URL starting with https:// (or http://)".into(),
                ))
            }
        };

        let bucket = nonempty("bucket", file.bucket)?;
        if bucket.contains('/') || bucket.chars().any(char::is_whitespace) {
            return Err(error(
                "bucket",
                "must be a bucket name (no `/` or spaces)".into(),
            ));
        }
        let customer = nonempty("customer", file.customer)?;
        if !wharf_engine::identity::is_key_name(&customer) {
            return Err(error(
                "customer",
                format!(
                    "must be the customer prefix: {}",
                    wharf_engine::identity::KEY_NAME_RULE
                ),
            ));
        }
        let jobs_queue_url = url("jobs_queue_url", file.jobs_queue_url)?;
        let results_queue_url = url("results_queue_url", file.results_queue_url)?;
        if jobs_queue_url == results_queue_url {
            return Err(error(
                "results_queue_url",
                "must not be the jobs queue".into(),
            ));
        }
        let region = match file.region {
            Some(region) => nonempty("region", region)?,
            None => DEFAULT_REGION.to_owned(),
        };
        let endpoint_url = file
            .endpoint_url
            .map(|text| url("endpoint_url", text))
            .transpose()?;

        for (name, value) in [
            ("components", &file.components),
            ("state_dir", &file.state_dir),
        ] {
            if value.as_os_str().is_empty() {
                return Err(error(name, "must not be empty".into()));
            }
        }
        let state_dir = absolute(file.state_dir.clone());
        let sage = match file.sage {
            Some(section) if section.backend == BackendKind::Sdo => {
                if file.ledger.is_some() {
                    return Err(error(
                        "ledger",
                        "names the embedded ledger, but `sage.backend` is sdo: leave `ledger` out"
                            .into(),
                    ));
                }
                SageConfig::Sdo(sdo_config(section, &state_dir, &absolute, &error)?)
            }
            section => {
                if let Some(section) = section {
                    embedded_only(&section, &error)?;
                }
                let Some(ledger) = file.ledger.filter(|l| !l.as_os_str().is_empty()) else {
                    return Err(error(
                        "ledger",
                        "missing: name the embedded ledger file, or choose `sage: { backend: sdo, … }`".into(),
                    ));
                };
                let ledger = absolute(ledger);
                if ledger.is_dir() {
                    return Err(error(
                        "ledger",
                        format!(
                            "{} is a folder; the setting names the ledger file",
                            ledger.display()
                        ),
                    ));
                }
                SageConfig::Embedded { ledger }
            }
        };
        let components = absolute(file.components);
        if !components.is_dir() {
            return Err(error(
                "components",
                format!("{} is not a folder of components", components.display()),
            ));
        }
        if state_dir.is_file() {
            return Err(error(
                "state_dir",
                format!("{} is a file, not a folder", state_dir.display()),
            ));
        }

        let heartbeat_seconds = file.heartbeat_seconds.unwrap_or(DEFAULT_HEARTBEAT_SECONDS);
        let visibility_timeout_seconds = file
            .visibility_timeout_seconds
            .unwrap_or(DEFAULT_VISIBILITY_TIMEOUT_SECONDS);
        let wait_seconds = file.wait_seconds.unwrap_or(DEFAULT_WAIT_SECONDS);
        if !(1..=MAX_VISIBILITY_TIMEOUT_SECONDS).contains(&visibility_timeout_seconds) {
            return Err(error(
                "visibility_timeout_seconds",
                format!("must be between 1 and {MAX_VISIBILITY_TIMEOUT_SECONDS}"),
            ));
        }
        if heartbeat_seconds == 0 || heartbeat_seconds >= visibility_timeout_seconds {
            return Err(error(
                "heartbeat_seconds",
                format!(
                    "must be at least 1 and less than visibility_timeout_seconds ({visibility_timeout_seconds}), or a job would reappear on the queue between heartbeats"
                ),
            ));
        }
        let concurrent_jobs = file.concurrent_jobs.unwrap_or(DEFAULT_CONCURRENT_JOBS);
        if !(1..=MAX_CONCURRENT_JOBS).contains(&concurrent_jobs) {
            return Err(error(
                "concurrent_jobs",
                format!("must be between 1 and {MAX_CONCURRENT_JOBS}"),
            ));
        }
        if wait_seconds > MAX_WAIT_SECONDS {
            return Err(error(
                "wait_seconds",
                format!("must be between 0 and {MAX_WAIT_SECONDS} (the SQS long-poll limit)"),
            ));
        }

        Ok(Config {
            file: path.to_owned(),
            bucket,
            customer,
            jobs_queue_url,
            results_queue_url,
            region,
            endpoint_url,
            sage,
            components,
            state_dir,
            heartbeat_seconds,
            visibility_timeout_seconds,
            wait_seconds,
            concurrent_jobs,
        })
    }
}

/// Checks the `sage` section of the SDO backend.
fn sdo_config(
    section: SageSection,
    state_dir: &Path,
    absolute: &dyn Fn(PathBuf) -> PathBuf,
    error: &dyn Fn(&str, String) -> ConfigError,
) -> Result<SdoConfig, ConfigError> {
    let required = |name: &str, value: Option<String>| -> Result<String, ConfigError> {
        value
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty())
            .ok_or_else(|| {
                error(
                    &format!("sage.{name}"),
                    "missing (the sdo backend needs it)".into(),
                )
            })
    };
    let agent = section
        .agent
        .filter(|path| !path.as_os_str().is_empty())
        .map(absolute)
        .ok_or_else(|| {
            error(
                "sage.agent",
                "missing: the path of wharf-sage-agent (its build matching SDO's bitness)".into(),
            )
        })?;
    if !agent.is_file() {
        return Err(error(
            "sage.agent",
            format!(
                "{} is not a file (the wharf-sage-agent program)",
                agent.display()
            ),
        ));
    }
    let data_path = required("data-path", section.data_path)?;
    let user = required("user", section.user)?;
    let password = section.password.ok_or_else(|| {
        error(
            "sage.password",
            "missing: give the Sage user's password as { env: NAME }, { file: PATH } or { aws-secret: NAME, key: FIELD }".into(),
        )
    })?;
    let program_id = match section.sdo_version {
        None => None,
        Some(version @ 1..=99) => Some(format!("SDOEngine.{version}")),
        Some(_) => {
            return Err(error(
                "sage.sdo-version",
                "must be Sage's major version, e.g. 32 for SDOEngine.32".into(),
            ));
        }
    };
    let bitness = match section.bitness {
        None => None,
        Some(32) => Some(Bitness::Bits32),
        Some(64) => Some(Bitness::Bits64),
        Some(_) => return Err(error("sage.bitness", "must be 32 or 64".into())),
    };
    if let Some(bitness) = bitness {
        check_program(&agent, bitness).map_err(|message| error("sage.bitness", message))?;
    }
    let key_field = match section.key_field {
        None => DEFAULT_KEY_FIELD.to_owned(),
        Some(field) => {
            let field = field.trim().to_ascii_uppercase();
            if field.is_empty() || !field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(error(
                    "sage.key-field",
                    "must be the name of a sales order header field, e.g. ANALYSIS_3".into(),
                ));
            }
            field
        }
    };
    let call_timeout_seconds = section
        .call_timeout_seconds
        .unwrap_or(DEFAULT_CALL_TIMEOUT_SECONDS);
    if call_timeout_seconds == 0 {
        return Err(error(
            "sage.call-timeout-seconds",
            "must be at least 1".into(),
        ));
    }
    let journal = section
        .journal
        .filter(|path| !path.as_os_str().is_empty())
        .map_or_else(|| state_dir.join("sage-journal.sqlite"), absolute);
    if journal.is_dir() {
        return Err(error(
            "sage.journal",
            format!(
                "{} is a folder; the setting names the journal file",
                journal.display()
            ),
        ));
    }
    Ok(SdoConfig {
        agent,
        agent_engine: section.agent_engine.unwrap_or(AgentEngine::Sdo),
        data_path,
        user,
        password,
        program_id,
        bitness,
        key_field,
        call_timeout: std::time::Duration::from_secs(call_timeout_seconds),
        journal,
    })
}

/// A `sage` section choosing the embedded ledger may hold nothing of the agent's.
fn embedded_only(
    section: &SageSection,
    error: &dyn Fn(&str, String) -> ConfigError,
) -> Result<(), ConfigError> {
    let agent_settings = [
        ("agent", section.agent.is_some()),
        ("agent-engine", section.agent_engine.is_some()),
        ("data-path", section.data_path.is_some()),
        ("user", section.user.is_some()),
        ("password", section.password.is_some()),
        ("sdo-version", section.sdo_version.is_some()),
        ("bitness", section.bitness.is_some()),
        ("key-field", section.key_field.is_some()),
        (
            "call-timeout-seconds",
            section.call_timeout_seconds.is_some(),
        ),
        ("journal", section.journal.is_some()),
    ];
    match agent_settings.iter().find(|(_, given)| *given) {
        Some((name, _)) => Err(error(
            &format!("sage.{name}"),
            "is a setting of the sdo backend, but `sage.backend` is embedded".into(),
        )),
        None => Ok(()),
    }
}

/// The error for a file that does not parse as [`ConfigFile`], naming the setting at fault
/// where one can be found: an unknown one, a missing one, or one whose value has the wrong type.
/// No snippet of the file appears (it is not secret, but a value may be).
fn diagnose(path: &Path, text: &str, parse_error: &serde_saphyr::Error) -> ConfigError {
    let error = |setting: Option<&str>, message: String| ConfigError {
        file: path.to_owned(),
        setting: setting.map(str::to_owned),
        message,
    };
    let plain = || {
        error(
            None,
            format!(
                "not a valid configuration: {}",
                parse_error.without_snippet().to_string().trim()
            ),
        )
    };
    let map: BTreeMap<String, serde_json::Value> = if text.trim().is_empty() {
        BTreeMap::new()
    } else {
        match serde_saphyr::from_str(text) {
            Ok(map) => map,
            Err(_) => return plain(),
        }
    };
    if let Some(unknown) = map.keys().find(|k| !SETTINGS.contains(&k.as_str())) {
        return error(
            Some(unknown),
            format!("unknown setting (the settings are {})", SETTINGS.join(", ")),
        );
    }
    for name in REQUIRED {
        if map.get(name).is_none_or(serde_json::Value::is_null) {
            return error(Some(name), "missing (it is required)".into());
        }
    }
    if let Some(section) = map.get("sage") {
        let serde_json::Value::Object(section) = section else {
            return error(
                Some("sage"),
                "must be a map of settings (`backend: sdo`, …)".into(),
            );
        };
        if let Some(unknown) = section
            .keys()
            .find(|k| !SAGE_SETTINGS.contains(&k.as_str()))
        {
            return error(
                Some(format!("sage.{unknown}").as_str()),
                format!(
                    "unknown setting (the settings are {})",
                    SAGE_SETTINGS.join(", ")
                ),
            );
        }
        if section
            .get("backend")
            .is_none_or(serde_json::Value::is_null)
        {
            return error(Some("sage.backend"), "missing: embedded or sdo".into());
        }
    }
    for (name, value) in map.iter().filter(|(name, _)| name.as_str() != "sage") {
        let wanted = if name.ends_with("_seconds") {
            "a whole number of seconds"
        } else {
            "text"
        };
        let fits = match value {
            serde_json::Value::Null => true,
            // YAML reads `bucket: 123` as a number; as text it is still fine.
            serde_json::Value::String(_) | serde_json::Value::Bool(_) => wanted == "text",
            serde_json::Value::Number(n) => wanted == "text" || n.is_u64(),
            _ => false,
        };
        if !fits {
            return error(Some(name), format!("must be {wanted}"));
        }
    }
    plain()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dir {
        dir: tempfile::TempDir,
    }

    impl Dir {
        fn new() -> Dir {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir(dir.path().join("components")).unwrap();
            Dir { dir }
        }

        fn file(&self) -> PathBuf {
            self.dir.path().join("runner.yaml")
        }

        fn parse(&self, text: &str) -> Result<Config, ConfigError> {
            Config::parse(&self.file(), text)
        }
    }

    const MINIMAL: &str = "
bucket: wharf-acme
customer: acme
jobs_queue_url: https://sqs.eu-west-2.amazonaws.com/1/wharf-acme-jobs
results_queue_url: https://sqs.eu-west-2.amazonaws.com/1/wharf-acme-results
ledger: sage/ledger.sqlite
components: components
state_dir: state
";

    fn with(line: &str) -> String {
        format!("{MINIMAL}{line}\n")
    }

    fn without(setting: &str) -> String {
        MINIMAL
            .lines()
            .filter(|l| !l.starts_with(&format!("{setting}:")))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn a_minimal_file_gets_the_defaults_and_paths_from_its_folder() {
        let dir = Dir::new();
        let config = dir.parse(MINIMAL).unwrap();
        assert_eq!(config.region, "eu-west-2");
        assert_eq!(config.endpoint_url, None);
        assert_eq!(
            (
                config.heartbeat_seconds,
                config.visibility_timeout_seconds,
                config.wait_seconds
            ),
            (30, 120, 20)
        );
        assert_eq!(
            config.sage,
            SageConfig::Embedded {
                ledger: dir.dir.path().join("sage/ledger.sqlite")
            }
        );
        assert_eq!(config.components, dir.dir.path().join("components"));
        assert_eq!(config.state_dir, dir.dir.path().join("state"));
        assert_eq!(config.file, dir.file());
    }

    #[test]
    fn every_setting_can_be_given() {
        let dir = Dir::new();
        let text = format!(
            "{MINIMAL}region: eu-west-1\nendpoint_url: http://127.0.0.1:5000\nheartbeat_seconds: 1\nvisibility_timeout_seconds: 2\nwait_seconds: 0\n"
        );
        let config = dir.parse(&text).unwrap();
        assert_eq!(config.region, "eu-west-1");
        assert_eq!(
            config.endpoint_url.as_deref(),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(
            (
                config.heartbeat_seconds,
                config.visibility_timeout_seconds,
                config.wait_seconds
            ),
            (1, 2, 0)
        );
    }

    /// The error names the file and the setting, and says what is wrong.
    fn assert_error(result: Result<Config, ConfigError>, dir: &Dir, setting: &str, says: &str) {
        let error = result.expect_err("an error");
        assert_eq!(error.file, dir.file());
        assert_eq!(error.setting.as_deref(), Some(setting), "{error}");
        let text = error.to_string();
        assert!(
            text.starts_with(&dir.file().display().to_string()),
            "names the file: {text}"
        );
        assert!(
            text.contains(&format!("`{setting}`")),
            "names the setting: {text}"
        );
        assert!(text.contains(says), "says `{says}`: {text}");
    }

    #[test]
    fn errors_name_the_file_and_the_setting() {
        let dir = Dir::new();
        assert_error(
            dir.parse(&with("secret_access_key: abc")),
            &dir,
            "secret_access_key",
            "unknown setting",
        );
        assert_error(dir.parse(&without("bucket")), &dir, "bucket", "missing");
        assert_error(
            dir.parse(&without("state_dir")),
            &dir,
            "state_dir",
            "missing",
        );
        assert_error(
            dir.parse(&with("heartbeat_seconds: soon")),
            &dir,
            "heartbeat_seconds",
            "whole number of seconds",
        );
        assert_error(
            dir.parse(&with("wait_seconds: -1")),
            &dir,
            "wait_seconds",
            "whole number of seconds",
        );
        assert_error(
            dir.parse(&with("wait_seconds: 21")),
            &dir,
            "wait_seconds",
            "between 0 and 20",
        );
        assert_error(
            dir.parse(&with("heartbeat_seconds: 120")),
            &dir,
            "heartbeat_seconds",
            "less than visibility_timeout_seconds (120)",
        );
        assert_error(
            dir.parse(&with("visibility_timeout_seconds: 0")),
            &dir,
            "visibility_timeout_seconds",
            "between 1 and 43200",
        );
        assert_error(
            dir.parse(&with("endpoint_url: 127.0.0.1:5000")),
            &dir,
            "endpoint_url",
            "URL",
        );
        assert_error(
            dir.parse(&MINIMAL.replace("customer: acme", "customer: ../other")),
            &dir,
            "customer",
            "customer prefix",
        );
        assert_error(
            dir.parse(&MINIMAL.replace("bucket: wharf-acme", "bucket: [a, b]")),
            &dir,
            "bucket",
            "must be text",
        );
        assert_error(
            dir.parse(&MINIMAL.replace("components: components", "components: nowhere")),
            &dir,
            "components",
            "not a folder of components",
        );
        assert_error(
            dir.parse(&MINIMAL.replace("ledger: sage/ledger.sqlite", "ledger: components")),
            &dir,
            "ledger",
            "is a folder",
        );
        assert_error(
            dir.parse(&MINIMAL.replace("wharf-acme-results", "wharf-acme-jobs")),
            &dir,
            "results_queue_url",
            "must not be the jobs queue",
        );
    }

    #[test]
    fn a_file_that_is_not_a_map_names_the_file() {
        let dir = Dir::new();
        for text in ["- a\n- b\n", "bucket: [unclosed\n", "just words"] {
            let error = dir.parse(text).expect_err(text);
            assert_eq!(error.setting, None);
            assert!(
                error
                    .to_string()
                    .starts_with(&dir.file().display().to_string()),
                "{error}"
            );
        }
        let missing = Config::load(&dir.dir.path().join("nope.yaml")).unwrap_err();
        assert!(
            missing.to_string().contains("nope.yaml")
                && missing.to_string().contains("cannot read"),
            "{missing}"
        );
    }

    /// The minimal file with the SDO backend instead of `ledger` (`agent` exists: a file).
    fn sdo(dir: &Dir, extra: &str) -> String {
        std::fs::write(dir.dir.path().join("agent.exe"), b"not a real program").unwrap();
        format!(
            "{}\nsage:\n  backend: sdo\n  agent: agent.exe\n  data-path: C:/Sage/ACCDATA\n  user: wharf\n  password: {{ env: WHARF_SAGE_PASSWORD }}\n{extra}",
            without("ledger")
        )
    }

    #[test]
    fn the_sdo_backend_gets_its_defaults() {
        let dir = Dir::new();
        let config = dir.parse(&sdo(&dir, "")).unwrap();
        let SageConfig::Sdo(sdo) = config.sage else {
            panic!("the sdo backend was chosen");
        };
        assert_eq!(sdo.agent, dir.dir.path().join("agent.exe"));
        assert_eq!(sdo.agent_engine, AgentEngine::Sdo);
        assert_eq!(
            (sdo.data_path.as_str(), sdo.user.as_str()),
            ("C:/Sage/ACCDATA", "wharf")
        );
        assert_eq!(
            sdo.password,
            SecretSource::Env("WHARF_SAGE_PASSWORD".into())
        );
        assert_eq!((sdo.program_id, sdo.bitness), (None, None));
        assert_eq!(sdo.key_field, "ANALYSIS_3");
        assert_eq!(sdo.call_timeout, std::time::Duration::from_secs(120));
        assert_eq!(
            sdo.journal,
            dir.dir.path().join("state/sage-journal.sqlite")
        );
    }

    #[test]
    fn every_sdo_setting_can_be_given() {
        let dir = Dir::new();
        let text = sdo(
            &dir,
            "  sdo-version: 32\n  key-field: analysis_2\n  call-timeout-seconds: 5\n  journal: sage/journal.sqlite\n  agent-engine: fake\n",
        );
        let SageConfig::Sdo(sdo) = dir.parse(&text).unwrap().sage else {
            panic!("the sdo backend was chosen");
        };
        assert_eq!(sdo.program_id.as_deref(), Some("SDOEngine.32"));
        assert_eq!(sdo.key_field, "ANALYSIS_2");
        assert_eq!(sdo.call_timeout, std::time::Duration::from_secs(5));
        assert_eq!(sdo.journal, dir.dir.path().join("sage/journal.sqlite"));
        assert_eq!(sdo.agent_engine, AgentEngine::Fake);
    }

    #[test]
    fn sdo_errors_name_the_setting() {
        let dir = Dir::new();
        let both = format!("{MINIMAL}sage:\n  backend: sdo\n");
        assert_error(dir.parse(&both), &dir, "ledger", "leave `ledger` out");
        assert_error(
            dir.parse(&without("ledger")),
            &dir,
            "ledger",
            "backend: sdo",
        );
        let no_user = sdo(&dir, "").replace("  user: wharf\n", "");
        assert_error(dir.parse(&no_user), &dir, "sage.user", "missing");
        let no_password = sdo(&dir, "").replace("  password: { env: WHARF_SAGE_PASSWORD }\n", "");
        assert_error(
            dir.parse(&no_password),
            &dir,
            "sage.password",
            "{ env: NAME }",
        );
        let no_agent = sdo(&dir, "").replace("agent.exe", "missing.exe");
        assert_error(dir.parse(&no_agent), &dir, "sage.agent", "not a file");
        assert_error(
            dir.parse(&sdo(&dir, "  bitness: 16\n")),
            &dir,
            "sage.bitness",
            "32 or 64",
        );
        assert_error(
            dir.parse(&sdo(&dir, "  bitness: 32\n")),
            &dir,
            "sage.bitness",
            "not a Windows program",
        );
        assert_error(
            dir.parse(&sdo(&dir, "  sdo-version: 320\n")),
            &dir,
            "sage.sdo-version",
            "SDOEngine.32",
        );
        assert_error(
            dir.parse(&sdo(&dir, "  key-field: ANALYSIS 3\n")),
            &dir,
            "sage.key-field",
            "header field",
        );
        assert_error(
            dir.parse(&sdo(&dir, "  call-timeout-seconds: 0\n")),
            &dir,
            "sage.call-timeout-seconds",
            "at least 1",
        );
        assert_error(
            dir.parse(&sdo(&dir, "  data_path: x\n")),
            &dir,
            "sage.data_path",
            "unknown setting",
        );
        assert_error(
            dir.parse(&format!(
                "{MINIMAL}sage:\n  backend: embedded\n  user: wharf\n"
            )),
            &dir,
            "sage.user",
            "setting of the sdo backend",
        );
        assert_error(
            dir.parse(&format!("{MINIMAL}sage:\n  user: wharf\n")),
            &dir,
            "sage.backend",
            "missing",
        );
        let secret = sdo(&dir, "").replace("{ env: WHARF_SAGE_PASSWORD }", "hunter2");
        let message = dir.parse(&secret).unwrap_err().to_string();
        assert!(!message.contains("hunter2"), "{message}");
    }
}
