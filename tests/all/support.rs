//! `TestEnv`: a temporary data root, the built components, an engine, and helpers to write and
//! run workflows.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use wharf_archive::ArchiveCapability;
use wharf_engine::storage::{LocalStore, Storage};
use wharf_engine::{
    ComponentSource, Engine, NoProgress, RunOptions, RunRecord, Runtime, RuntimeConfig, Workflow,
};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The components and test guests, built by `wharf-test-artifacts` before the tests compile.
pub fn component_dirs() -> Vec<PathBuf> {
    vec![
        PathBuf::from(wharf_test_artifacts::COMPONENTS),
        PathBuf::from(wharf_test_artifacts::TEST_GUESTS),
    ]
}

/// One engine per test binary: components compile once and are shared by all tests.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let cache = repo_root().join("target/test-component-cache");
        let runtime = Runtime::with_capabilities(
            RuntimeConfig {
                cache_dir: Some(cache),
            },
            vec![Arc::new(ArchiveCapability)],
        )
        .expect("runtime");
        Engine::new(
            runtime,
            ComponentSource {
                dirs: component_dirs(),
            },
        )
    })
}

/// An engine whose runtime has the given host capabilities besides `archive` (sharing the test
/// component cache).
pub fn engine_with(capabilities: Vec<Arc<dyn wharf_engine::runtime::Capability>>) -> Engine {
    let runtime = Runtime::with_capabilities(
        RuntimeConfig {
            cache_dir: Some(repo_root().join("target/test-component-cache")),
        },
        std::iter::once(Arc::new(ArchiveCapability) as Arc<dyn wharf_engine::runtime::Capability>)
            .chain(capabilities)
            .collect(),
    )
    .expect("runtime");
    Engine::new(
        runtime,
        ComponentSource {
            dirs: component_dirs(),
        },
    )
}

/// The `wharf` binary with the test's data folder and the built components.
pub fn wharf_command(data: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_wharf"));
    let dirs: Vec<String> = component_dirs()
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    c.env("WHARF_COMPONENTS", dirs.join(":"))
        .env("WHARF_DATA", data)
        .env(
            "WHARF_CACHE_DIR",
            repo_root().join("target/test-component-cache"),
        );
    c
}

pub struct TestEnv {
    pub dir: tempfile::TempDir,
}

impl TestEnv {
    pub fn new() -> Self {
        TestEnv {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Writes `workflow.yaml` (store name `workflow`).
    pub fn workflow(&self, yaml: &str) -> PathBuf {
        let p = self.dir.path().join("workflow.yaml");
        std::fs::write(&p, yaml).unwrap();
        p
    }

    /// The store of `workflow.yaml` under the name `workflow`, whatever the workflow's
    /// identity (the `wharf` binary names the folder after the identity instead).
    pub fn store(&self, wf: &Workflow) -> Arc<dyn Storage> {
        Arc::new(
            LocalStore::new(&self.data(), "workflow", wf.working_directory.as_deref()).unwrap(),
        )
    }

    /// The data folder the `wharf` binary keeps the workflow at `path` in (named by its
    /// identity).
    pub fn binary_data(&self, path: &Path) -> PathBuf {
        self.data()
            .join(Workflow::load(path).expect("workflow").store_name())
    }

    /// The default working directory of `workflow.yaml`.
    pub fn workdir(&self) -> PathBuf {
        let p = self.data().join("workflow").join("work");
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.workdir().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
        p
    }

    /// Parses, prepares and runs `yaml` once.
    pub fn run(&self, yaml: &str) -> RunRecord {
        self.try_run(yaml).expect("run")
    }

    pub fn try_run(&self, yaml: &str) -> Result<RunRecord, wharf_engine::engine::EngineError> {
        self.try_run_with(engine(), yaml)
    }

    /// Like [`TestEnv::try_run`] on another engine (one with host capabilities, say).
    pub fn try_run_with(
        &self,
        engine: &Engine,
        yaml: &str,
    ) -> Result<RunRecord, wharf_engine::engine::EngineError> {
        let path = self.workflow(yaml);
        let wf = Workflow::load(&path)?;
        let prepared = engine.prepare(wf)?;
        let store = self.store(&prepared.workflow);
        engine.run(&prepared, store, &RunOptions::default(), &NoProgress)
    }

    pub fn state(&self) -> BTreeMap<String, BTreeMap<String, String>> {
        let p = self.data().join("workflow/state.json");
        std::fs::read(&p)
            .map(|b| serde_json::from_slice(&b).unwrap())
            .unwrap_or_default()
    }
}

/// Task records of a run with the given task id, in order.
pub fn tasks<'a>(r: &'a RunRecord, id: &str) -> Vec<&'a wharf_engine::TaskRecord> {
    r.tasks.iter().filter(|t| t.id == id).collect()
}

pub fn task<'a>(r: &'a RunRecord, id: &str) -> &'a wharf_engine::TaskRecord {
    let found = tasks(r, id);
    assert_eq!(
        found.len(),
        1,
        "expected one execution of `{id}` in {:#?}",
        r.tasks.iter().map(|t| &t.id).collect::<Vec<_>>()
    );
    found[0]
}

/// Fails naming the first of `parts` that `text` does not contain, and showing `text`.
pub fn assert_contains_all(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "`{part}` missing from:\n{text}");
    }
}

pub fn fixture(rel: &str) -> PathBuf {
    repo_root()
        .join("../shared/fixtures/zynk-samples")
        .join(rel)
}

pub fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|r| r.count()).unwrap_or(0)
}

/// Spawns `command` with its output discarded.
fn spawn_quietly(command: &mut std::process::Command) -> std::process::Child {
    use std::process::Stdio;
    command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Spawns `command` with its output discarded, kills it (SIGKILL) after `delay` and reaps it.
/// Returns whether it had already finished by then.
pub fn kill_after(command: &mut std::process::Command, delay: std::time::Duration) -> bool {
    let mut child = spawn_quietly(command);
    std::thread::sleep(delay);
    let finished = child.try_wait().unwrap().is_some();
    let _ = child.kill();
    child.wait().unwrap();
    finished
}

/// Spawns `command` with its output discarded and kills it (SIGKILL) the moment `ready()`
/// holds (see [`wait_while_running`]).
pub fn kill_when(command: &mut std::process::Command, what: &str, ready: impl FnMut() -> bool) {
    let mut child = spawn_quietly(command);
    wait_while_running(&mut child, what, ready);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// How long one uninterrupted run takes, measured on a second fresh instance from `make`
/// after a first one has filled the compiled-component cache: on a fresh clone the first run
/// compiles every component and takes many times longer, and kill points spread over it would
/// all land after the work they are meant to cut. Returns the measured instance.
pub fn warm_run_duration<T>(make: impl Fn() -> T, run: impl Fn(&T)) -> (T, std::time::Duration) {
    run(&make());
    let measured = make();
    let started = std::time::Instant::now();
    run(&measured);
    let whole = started.elapsed();
    (measured, whole)
}

/// `points` kill delays spread over a run that takes `whole`: the middle of each of `points`
/// equal slices.
pub fn kill_delays(whole: std::time::Duration, points: u32) -> Vec<std::time::Duration> {
    (0..points)
        .map(|point| whole * (2 * point + 1) / (2 * points))
        .collect()
}

/// Waits until `ready()` holds, polling often, while `child` keeps running; panics if it ends
/// first or two minutes pass (`what` says what was awaited).
pub fn wait_while_running(
    child: &mut std::process::Child,
    what: &str,
    mut ready: impl FnMut() -> bool,
) {
    let started = std::time::Instant::now();
    while !ready() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "{what}: never happened"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "{what}: the run ended first"
        );
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
}

/// The S3 store of `customer`'s `workflow` in `bucket`, through `endpoint` (moto, or a proxy
/// before it), as the cloud tests read it.
pub fn s3_store(
    endpoint: &str,
    region: &str,
    bucket: &str,
    customer: &str,
    workflow: &str,
) -> wharf_s3_store::S3Store {
    let mut config = wharf_s3_store::S3StoreConfig::new(bucket, customer, workflow);
    config.endpoint_url = Some(endpoint.to_owned());
    config.force_path_style = true;
    config.region = Some(region.into());
    wharf_s3_store::S3Store::new(config).unwrap()
}
