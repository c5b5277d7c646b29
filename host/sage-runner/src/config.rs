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
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

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
    pub ledger: PathBuf,
    pub components: PathBuf,
    pub state_dir: PathBuf,
    pub heartbeat_seconds: u64,
    pub visibility_timeout_seconds: u64,
    pub wait_seconds: u64,
}

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
    ledger: PathBuf,
    components: PathBuf,
    state_dir: PathBuf,
    #[serde(default)]
    heartbeat_seconds: Option<u64>,
    #[serde(default)]
    visibility_timeout_seconds: Option<u64>,
    #[serde(default)]
    wait_seconds: Option<u64>,
}

const REQUIRED: [&str; 7] = [
    "bucket",
    "customer",
    "jobs_queue_url",
    "results_queue_url",
    "ledger",
    "components",
    "state_dir",
];

const SETTINGS: [&str; 12] = [
    "bucket",
    "customer",
    "jobs_queue_url",
    "results_queue_url",
    "region",
    "endpoint_url",
    "ledger",
    "components",
    "state_dir",
    "heartbeat_seconds",
    "visibility_timeout_seconds",
    "wait_seconds",
];

pub const DEFAULT_REGION: &str = "eu-west-2";
pub const DEFAULT_HEARTBEAT_SECONDS: u64 = 30;
pub const DEFAULT_VISIBILITY_TIMEOUT_SECONDS: u64 = 120;
pub const DEFAULT_WAIT_SECONDS: u64 = 20;
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
            ("ledger", &file.ledger),
            ("components", &file.components),
            ("state_dir", &file.state_dir),
        ] {
            if value.as_os_str().is_empty() {
                return Err(error(name, "must not be empty".into()));
            }
        }
        let ledger = absolute(file.ledger);
        if ledger.is_dir() {
            return Err(error(
                "ledger",
                format!(
                    "{} is a folder; the setting names the ledger file",
                    ledger.display()
                ),
            ));
        }
        let components = absolute(file.components);
        if !components.is_dir() {
            return Err(error(
                "components",
                format!("{} is not a folder of components", components.display()),
            ));
        }
        let state_dir = absolute(file.state_dir);
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
            ledger,
            components,
            state_dir,
            heartbeat_seconds,
            visibility_timeout_seconds,
            wait_seconds,
        })
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
    for (name, value) in &map {
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
        assert_eq!(config.ledger, dir.dir.path().join("sage/ledger.sqlite"));
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
}
