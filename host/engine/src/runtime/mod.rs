//! The sandboxed wasmtime host: compiles components once (cached on disk, keyed by content hash
//! and engine configuration), pre-links them with `InstancePre` on a pooling allocator, and runs
//! each task call in a fresh store bounded in time (epoch interruption), memory and bytes
//! written, seeing nothing but its working directory and the capabilities it was granted.

mod bindings;
pub mod capability;
mod digest_memo;
mod host_impl;
mod info;
mod sandbox;

pub use capability::{Capability, Extension, GrantContext};
pub use host_impl::guest_to_host;
pub use info::{SettingKind, SettingSpec, TaskInfo, TaskKind, truth_kind_declared};
pub use sandbox::{TaskState, WriteBudget};

use crate::limits::{Limits, human_size};
use crate::record::{Counts, LogLine, ResultCode};
use crate::storage::{Mappings, TruthStore};
use bindings::{condition, imports, plain, repeater, types};
pub use sandbox::Rendering;
use sandbox::{CallResults, CapturedOutput, LimitHit, TaskLimiter};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap,
};
use wasmtime_wasi::WasiCtxBuilder;

pub use crate::interrupt::Interrupt;

/// Bytes of a finished instance's written linear memory reset in place for the next instance
/// (see `engine_config`): a small task writes a few hundred KiB (its stack's top, its data,
/// its heap), and each memory slot keeps at most this much resident while unused.
const MEMORY_KEPT_RESIDENT: usize = 1 << 20;
/// The same for tables (a component's function tables are a few KiB).
const TABLE_KEPT_RESIDENT: usize = 64 << 10;
/// Granularity of the epoch clock that enforces task deadlines.
const EPOCH_TICK: Duration = Duration::from_millis(5);
/// How often (in ticks) a running task checks for an [`Interrupt`] before its deadline.
const INTERRUPT_CHECK_TICKS: u64 = 20;
/// stdout/stderr kept per task call (the rest is counted and dropped).
const CAPTURE_BYTES: usize = 16 * 1024;
/// A store is reused for at most this many calls …
const STORE_REUSE_CALLS: usize = 16;
/// … and only while the memory its finished instances hold stays small.
const STORE_REUSE_MEMORY: u64 = 32 << 20;

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("cannot read component {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a usable Wharf component: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("setting up the wasm engine: {0}")]
    Engine(String),
    /// [`Runtime::precompile`] could not compile or serialise the bytes it was given.
    #[error("compiling the component failed: {0}")]
    Compile(String),
}

#[derive(Debug, Clone, Default)]
pub struct RuntimeConfig {
    /// Where compiled components are cached; `None` disables the disk cache.
    pub cache_dir: Option<PathBuf>,
}

impl RuntimeConfig {
    /// `$WHARF_CACHE_DIR`, else `$XDG_CACHE_HOME/wharf`, else `~/.cache/wharf`.
    pub fn default_cache_dir() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("WHARF_CACHE_DIR") {
            return Some(PathBuf::from(dir));
        }
        if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
            return Some(PathBuf::from(dir).join("wharf"));
        }
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("wharf"))
    }
}

enum Pre {
    Plain(plain::PlainTaskPre<TaskState>),
    Repeater(repeater::RepeaterTaskPre<TaskState>),
    Condition(condition::ConditionTaskPre<TaskState>),
}

/// A compiled, linked component ready to instantiate.
pub struct LoadedComponent {
    pub path: PathBuf,
    pub info: TaskInfo,
    pub sha256: String,
    pre: Pre,
}

/// Everything one call into a component gets.
pub struct TaskCall<'a> {
    /// Names the task in messages (`split products (split-xml)`).
    pub label: &'a str,
    /// Preopened as `/`; `None` gives the component no filesystem at all.
    pub workdir: Option<&'a Path>,
    pub settings: Vec<(String, String)>,
    pub limits: Limits,
    pub state: BTreeMap<String, String>,
    pub truth: Option<Arc<dyn TruthStore>>,
    pub mappings: Arc<Mappings>,
    /// States of the capabilities granted to this task.
    pub extensions: Vec<Extension>,
}

/// The outcome of a plain task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlainResult {
    pub code: ResultCode,
    pub message: String,
    pub outputs: Vec<(String, String)>,
    pub counts: Counts,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallResult {
    Plain(PlainResult),
    Items(Vec<Vec<(String, String)>>),
    Condition(bool),
}

/// Why a call did not produce a result: the component said so, or the sandbox stopped it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: ResultCode,
    pub message: String,
}

pub struct TaskOutcome {
    pub result: Result<CallResult, Failure>,
    pub logs: Vec<LogLine>,
    pub logs_dropped: u64,
    /// The task's state after the call, if it changed (to be committed only on success).
    pub state: Option<BTreeMap<String, String>>,
    pub bytes_written: u64,
    pub elapsed: Duration,
    /// The guest did not return: it trapped, hit a limit or was interrupted, so files it was
    /// writing may be left half-written.
    pub stopped: bool,
}

pub struct Runtime {
    engine: Engine,
    linker: Linker<TaskState>,
    cache_dir: Option<PathBuf>,
    loaded: Mutex<HashMap<PathBuf, Arc<LoadedComponent>>>,
    ticker_stop: Arc<AtomicBool>,
    capabilities: Vec<Arc<dyn Capability>>,
    /// A store kept between calls in the same working directory (see `store_for`).
    idle_store: Mutex<Option<(PathBuf, Store<TaskState>)>>,
    /// Stops the running task (and, read by the engine, the run) when raised.
    interrupt: Interrupt,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

/// Native stack guest code may use (wasmtime's default is 512 KiB). Recursive guests need far
/// more: an XSLT template recursing 3000 levels deep takes about 4.5 MiB. Calls run on a stack
/// with this much room plus `HOST_STACK_MARGIN` (see `invoke_with`).
pub const GUEST_STACK: usize = 16 << 20;
/// Stack left for host functions the guest calls and for wasmtime itself.
const HOST_STACK_MARGIN: usize = 1 << 20;

/// Runs `f` on a new thread whose stack has room for guest calls, so the calls it makes never
/// need to switch stacks. Programs that call the runtime much (the CLI, benchmarks) run their
/// work through this once.
pub fn on_guest_thread<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("wharf".into())
            .stack_size(GUEST_STACK + 4 * HOST_STACK_MARGIN)
            .spawn_scoped(scope, f)
            .expect("starting a thread")
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

fn engine_config(pooling: bool) -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.max_wasm_stack(GUEST_STACK);
    // Only checked against max_wasm_stack: calls are synchronous, no fiber stacks are made.
    config.async_stack_size(GUEST_STACK + HOST_STACK_MARGIN);
    if pooling {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(64)
            .total_core_instances(512)
            .total_memories(128)
            .total_tables(512)
            // Calls are synchronous, so no fiber stacks are ever taken from the pool; its
            // default of 1,000 stacks, each with a guard page set up at start, cost a cold
            // `wharf run` several milliseconds.
            .total_stacks(1)
            .max_memory_size(4 << 30)
            // A memory or table the next instance of the same component gets is reset to its
            // initial contents when its instance goes: by default every page the guest wrote
            // is dropped (`madvise`) and faulted in again by the next instance, most of what a
            // small task costs beyond its own work. With the kernel's PAGEMAP_SCAN (Linux ≥ 6.7;
            // elsewhere the setting is ignored) only the pages written are found, and up to
            // these many bytes of them are copied back from the image and stay mapped; the
            // rest is dropped as before. The next instance sees exactly the initial contents
            // either way (docs/components.md, "Limits").
            .pagemap_scan(Enabled::Auto)
            .linear_memory_keep_resident(MEMORY_KEPT_RESIDENT)
            .table_keep_resident(TABLE_KEPT_RESIDENT);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    config
}

/// Feeds `Hash` output into SHA-256 so the engine's compatibility hash becomes stable bytes.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    fn finish(&self) -> u64 {
        0
    }
}

impl Runtime {
    pub fn new(config: RuntimeConfig) -> Result<Self, RuntimeError> {
        Self::with_capabilities(config, Vec::new())
    }

    /// A runtime whose tasks may be granted these capabilities (`archive`, `sage`, `sftp`, …).
    pub fn with_capabilities(
        config: RuntimeConfig,
        capabilities: Vec<Arc<dyn Capability>>,
    ) -> Result<Self, RuntimeError> {
        // The pooling allocator reserves address space up front; where a host forbids that,
        // fall back to on-demand allocation rather than refusing to run.
        let engine = match Engine::new(&engine_config(true)) {
            Ok(e) => e,
            Err(pool_err) => {
                tracing::warn!(
                    "pooling allocator unavailable ({pool_err}); using on-demand allocation"
                );
                Engine::new(&engine_config(false))
                    .map_err(|e| RuntimeError::Engine(e.to_string()))?
            }
        };
        let mut linker: Linker<TaskState> = Linker::new(&engine);
        sandbox::add_wasi(&mut linker).map_err(|e| RuntimeError::Engine(e.to_string()))?;
        imports::HostImports::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)
            .map_err(|e| RuntimeError::Engine(e.to_string()))?;
        bindings::template_imports::TemplateImports::add_to_linker::<_, HasSelf<_>>(
            &mut linker,
            |s| s,
        )
        .map_err(|e| RuntimeError::Engine(e.to_string()))?;
        for cap in &capabilities {
            cap.add_to_linker(&mut linker).map_err(|e| {
                RuntimeError::Engine(format!("adding capability `{}`: {e}", cap.name()))
            })?;
        }

        let ticker_stop = Arc::new(AtomicBool::new(false));
        {
            // Advance the epoch by elapsed wall time, not by wake-ups, so deadlines hold under load.
            let engine = engine.clone();
            let stop = ticker_stop.clone();
            std::thread::Builder::new()
                .name("wharf-epoch".into())
                .spawn(move || {
                    let start = Instant::now();
                    let mut ticks: u128 = 0;
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(EPOCH_TICK);
                        let due = start.elapsed().as_nanos() / EPOCH_TICK.as_nanos();
                        while ticks < due {
                            engine.increment_epoch();
                            ticks += 1;
                        }
                    }
                })
                .map_err(|e| RuntimeError::Engine(format!("starting the epoch thread: {e}")))?;
        }
        Ok(Runtime {
            engine,
            linker,
            cache_dir: config.cache_dir,
            loaded: Mutex::default(),
            ticker_stop,
            capabilities,
            idle_store: Mutex::new(None),
            interrupt: Interrupt::default(),
        })
    }

    /// Raising it stops the running task at its next check and tells the engine to stop.
    pub fn interrupt(&self) -> &Interrupt {
        &self.interrupt
    }

    /// The capability registered under `name`, if any.
    pub fn capability(&self, name: &str) -> Option<&Arc<dyn Capability>> {
        self.capabilities.iter().find(|c| c.name() == name)
    }

    /// Names a workflow may grant: every registered capability.
    pub fn capability_names(&self) -> Vec<String> {
        self.capabilities
            .iter()
            .map(|c| c.name().to_string())
            .collect()
    }

    /// Where compiled components are cached (`None`: no disk cache).
    pub fn cache_dir(&self) -> Option<&Path> {
        self.cache_dir.as_deref()
    }

    /// The file name this runtime's disk cache gives the compiled form of `wasm`: it changes
    /// with the component's content and with the engine's configuration (wasmtime version,
    /// target, settings), so a file of that name is loadable by this engine.
    pub fn precompiled_name(&self, wasm: &[u8]) -> String {
        self.precompiled_name_of_digest(&Sha256::digest(wasm))
    }

    /// [`Runtime::precompiled_name`] from the component's SHA-256, for a caller that has it.
    pub fn precompiled_name_of_digest(&self, wasm_sha256: &[u8]) -> String {
        format!("{}.cwasm", self.cache_key(wasm_sha256))
    }

    /// Compiles `wasm` with this engine and serialises it: the bytes a cache file
    /// (`<cache_dir>/<precompiled_name>`) holds.
    pub fn precompile(&self, wasm: &[u8]) -> Result<Vec<u8>, RuntimeError> {
        Component::new(&self.engine, wasm)
            .and_then(|c| c.serialize())
            .map_err(|e| RuntimeError::Compile(format!("{e:#}")))
    }

    /// The compile cache's file for the component with this SHA-256, when there is a cache.
    fn cache_file(&self, wasm_sha256: &[u8]) -> Option<PathBuf> {
        self.cache_dir
            .as_ref()
            .map(|d| d.join(self.precompiled_name_of_digest(wasm_sha256)))
    }

    /// A compiled form read back from `file` in the compile cache.
    fn deserialize_cached(&self, file: &Path) -> wasmtime::Result<Component> {
        // SAFETY: the cache directory is the user's own (never shared with other users) and the
        // file name includes the engine's compatibility hash; wasmtime refuses a file compiled
        // by another engine configuration.
        unsafe { Component::deserialize_file(&self.engine, file) }
    }

    fn cache_key(&self, wasm_sha256: &[u8]) -> String {
        let mut h = Sha256Hasher(Sha256::new());
        h.write(wasm_sha256);
        self.engine.precompile_compatibility_hash().hash(&mut h);
        hex::encode(h.0.finalize())
    }

    /// Compiles (or loads from the cache) the component at `path`, whose SHA-256 is `sha256`.
    fn compile(&self, path: &Path, wasm: &[u8], sha256: &[u8]) -> Result<Component, RuntimeError> {
        let invalid = |message: String| RuntimeError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let cached = self.cache_file(sha256);
        if let Some(file) = &cached
            && file.exists()
        {
            // A file that fails to load is recompiled below.
            match self.deserialize_cached(file) {
                Ok(c) => return Ok(c),
                Err(e) => tracing::warn!("ignoring unusable cached {}: {e}", file.display()),
            }
        }
        let component =
            Component::new(&self.engine, wasm).map_err(|e| invalid(format!("{e:#}")))?;
        if let Some(file) = &cached {
            let written = component
                .serialize()
                .map_err(|e| e.to_string())
                .and_then(|bytes| {
                    if let Some(dir) = file.parent() {
                        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
                    }
                    crate::storage::write_file_atomic(file, &bytes).map_err(|e| e.to_string())
                });
            if let Err(e) = written {
                tracing::warn!("could not cache {}: {e}", path.display());
            }
        }
        Ok(component)
    }

    /// Loads a component (once per runtime) and asks it to describe itself.
    pub fn load(&self, path: &Path) -> Result<Arc<LoadedComponent>, RuntimeError> {
        if let Some(c) = self.loaded_as(path) {
            return Ok(c);
        }
        // Known unchanged since it was last hashed, and compiled: neither read nor hashed again.
        let stat = digest_memo::Stat::of(path);
        let memo = self.cache_dir.as_deref().zip(stat.as_ref());
        if let Some((dir, stat)) = memo
            && let Some(sha256) = digest_memo::recall(dir, path, stat)
            && let Some(file) = self.cache_file(&sha256)
            // A file that does not load is compiled again below.
            && let Ok(component) = self.deserialize_cached(&file)
        {
            return self.link(path, component, &sha256);
        }
        let wasm = std::fs::read(path).map_err(|source| RuntimeError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        // Hashed once: the cache file's name and the record's digest both come from it.
        let sha256 = Sha256::digest(&wasm);
        let component = self.compile(path, &wasm, &sha256)?;
        if let Some((dir, stat)) = memo {
            digest_memo::remember(dir, path, stat, &sha256);
        }
        self.link(path, component, &sha256)
    }

    /// Loads the compiled form of the component whose SHA-256 is `wasm_sha256` from the disk
    /// cache (`<cache_dir>/<precompiled_name_of_digest>`) without reading any `.wasm`, and keeps
    /// it as the component at `path` ([`Runtime::load`] of `path` and [`Runtime::is_loaded`]
    /// then find it). The caller vouches that the cache file is that component's compiled form
    /// (the Lambda checked it against the signed manifest that pins the component's SHA-256);
    /// a missing or unusable file is an error, never compiled from anything.
    pub fn load_precompiled(
        &self,
        path: &Path,
        wasm_sha256: &[u8],
    ) -> Result<Arc<LoadedComponent>, RuntimeError> {
        if let Some(c) = self.loaded_as(path) {
            return Ok(c);
        }
        let invalid = |message: String| RuntimeError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let Some(file) = self.cache_file(wasm_sha256) else {
            return Err(invalid(
                "no compile cache to load its precompiled form from".into(),
            ));
        };
        // The caller vouched for the file's content.
        let component = self
            .deserialize_cached(&file)
            .map_err(|e| invalid(format!("its precompiled form {}: {e:#}", file.display())))?;
        self.link(path, component, wasm_sha256)
    }

    /// Whether a component is loaded as `path` (by [`Runtime::load`] or
    /// [`Runtime::load_precompiled`]).
    pub fn is_loaded(&self, path: &Path) -> bool {
        self.loaded_as(path).is_some()
    }

    fn loaded_as(&self, path: &Path) -> Option<Arc<LoadedComponent>> {
        self.loaded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(path)
            .cloned()
    }

    /// Links a compiled component, asks it to describe itself and keeps it as `path`.
    fn link(
        &self,
        path: &Path,
        component: Component,
        sha256: &[u8],
    ) -> Result<Arc<LoadedComponent>, RuntimeError> {
        let invalid = |message: String| RuntimeError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let exports: Vec<String> = component
            .component_type()
            .exports(&self.engine)
            .map(|(name, _)| name.to_string())
            .collect();
        let exports_iface = |iface: &str| {
            exports
                .iter()
                .any(|e| e.starts_with(&format!("wharf:task/{iface}@")))
        };
        let instance_pre = self.linker.instantiate_pre(&component).map_err(|e| {
            invalid(format!(
                "it imports something Wharf does not provide: {e:#}"
            ))
        })?;
        let link = |e: wasmtime::Error| invalid(format!("{e:#}"));
        let (kind, pre) = if exports_iface("task") {
            (
                TaskKind::Plain,
                Pre::Plain(plain::PlainTaskPre::new(instance_pre).map_err(link)?),
            )
        } else if exports_iface("repeater") {
            (
                TaskKind::Repeater,
                Pre::Repeater(repeater::RepeaterTaskPre::new(instance_pre).map_err(link)?),
            )
        } else if exports_iface("condition") {
            (
                TaskKind::Condition,
                Pre::Condition(condition::ConditionTaskPre::new(instance_pre).map_err(link)?),
            )
        } else {
            return Err(invalid(format!(
                "it exports none of wharf:task/task, wharf:task/repeater, wharf:task/condition (exports: {})",
                exports.join(", ")
            )));
        };
        let mut loaded = LoadedComponent {
            path: path.to_path_buf(),
            info: TaskInfo {
                name: String::new(),
                doc: String::new(),
                kind,
                settings: vec![],
                current_variables: vec![],
                capabilities: vec![],
                truth_kinds: vec![],
            },
            sha256: hex::encode(sha256),
            pre,
        };
        loaded.info = self
            .describe(&loaded)
            .map_err(|f| invalid(format!("describe failed: {}", f.message)))?;
        let loaded = Arc::new(loaded);
        self.loaded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(path.to_path_buf(), loaded.clone());
        Ok(loaded)
    }

    /// A store for one call: the cached one if it serves the same working directory and still
    /// has room, else a new one. Reusing a store saves creating the WASI context and tearing the
    /// pooled instance down per task; each call still gets a fresh instance (own memory, own
    /// handle table), and a store is dropped after any failure.
    fn store_for(
        &self,
        call: &mut TaskCall<'_>,
        hit: &LimitHit,
    ) -> Result<Store<TaskState>, Failure> {
        let reused = call.workdir.and_then(|dir| {
            let mut slot = self.idle_store.lock().unwrap_or_else(|p| p.into_inner());
            match slot.take() {
                Some((d, store)) if d == dir => Some(store),
                other => {
                    *slot = other;
                    None
                }
            }
        });
        let mut store = match reused {
            Some(store) => store,
            None => self.new_store(call.workdir)?,
        };
        let st = store.data_mut();
        st.stdout.clear();
        st.stderr.clear();
        st.limiter.memory_cap = call.limits.memory;
        st.limiter.hit = hit.clone();
        st.budget = WriteBudget::new(call.limits.write, hit.clone());
        st.label.clear();
        st.label.push_str(call.label);
        st.logs.clear();
        st.log_bytes = 0;
        st.logs_dropped = 0;
        st.state = std::mem::take(&mut call.state);
        st.state_changed = false;
        st.truth = call.truth.clone();
        st.mappings = call.mappings.clone();
        st.extensions.clear();
        st.instances += 1;
        let ticks = (call.limits.timeout.as_nanos() / EPOCH_TICK.as_nanos()).max(1) as u64;
        // The deadline is reached in steps so that an interrupt is seen within a step.
        let mut left = ticks;
        let step = left.min(INTERRUPT_CHECK_TICKS);
        left -= step;
        store.set_epoch_deadline(step);
        let interrupt = self.interrupt.clone();
        let hit = hit.clone();
        store.epoch_deadline_callback(move |_| {
            if let Some(why) = interrupt.raised() {
                hit.set(format!("interrupted ({why})"));
                return Err(Trap::Interrupt.into());
            }
            if left == 0 {
                return Err(Trap::Interrupt.into());
            }
            let step = left.min(INTERRUPT_CHECK_TICKS);
            left -= step;
            Ok(wasmtime::UpdateDeadline::Continue(step))
        });
        Ok(store)
    }

    /// Keeps a healthy store for the next call in the same working directory.
    fn return_store(&self, workdir: Option<&Path>, mut store: Store<TaskState>) {
        let Some(dir) = workdir else { return };
        let st = store.data_mut();
        // Handles a finished instance never closed stay in the table until the store drops.
        let leftover_handles = st.table.iter_mut().count();
        if st.instances >= STORE_REUSE_CALLS
            || st.limiter.store_memory >= STORE_REUSE_MEMORY
            || leftover_handles > 64
        {
            return;
        }
        *self.idle_store.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((dir.to_path_buf(), store));
    }

    fn new_store(&self, workdir: Option<&Path>) -> Result<Store<TaskState>, Failure> {
        let stdout = CapturedOutput::new(CAPTURE_BYTES);
        let stderr = CapturedOutput::new(CAPTURE_BYTES);
        let mut wasi = WasiCtxBuilder::new();
        wasi.stdout(stdout.clone()).stderr(stderr.clone());
        // Guests run synchronously on their own thread: a file operation may block it. Left
        // to the default, every open, read, write and stat of a task hops to tokio's blocking
        // pool and back (two thread wake-ups each), most of the cost of small tasks and of
        // reading a large file in small pieces. The time limit holds as before: the epoch
        // interrupts the guest between operations, and the guest waited for each one anyway.
        wasi.allow_blocking_current_thread(true);
        if let Some(dir) = workdir {
            wasi.preopened_dir(dir, "/", wasmtime_wasi::filesystem::FsPerms::ReadWrite)
                .map_err(|e| Failure {
                    code: ResultCode::Fail,
                    message: format!("cannot open the working directory {}: {e}", dir.display()),
                })?;
        }
        let hit = LimitHit::default();
        let state = TaskState {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            limiter: TaskLimiter {
                memory_cap: 0,
                hit: hit.clone(),
                store_memory: 0,
            },
            budget: WriteBudget::new(0, hit),
            label: String::new(),
            logs: Vec::new(),
            log_bytes: 0,
            logs_dropped: 0,
            state: BTreeMap::new(),
            state_changed: false,
            truth: None,
            mappings: Arc::default(),
            extensions: Vec::new(),
            rendering: None,
            stdout,
            stderr,
            instances: 0,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        Ok(store)
    }

    fn describe(&self, component: &LoadedComponent) -> Result<TaskInfo, Failure> {
        let call = TaskCall {
            label: "describe",
            workdir: None,
            settings: vec![],
            limits: Limits {
                timeout: Duration::from_secs(10),
                ..Limits::default()
            },
            state: BTreeMap::new(),
            truth: None,
            mappings: Arc::default(),
            extensions: Vec::new(),
        };
        let kind = component.info.kind;
        let outcome = self.invoke(component, call, |store, pre| match pre {
            Pre::Plain(p) => p
                .instantiate(&mut *store)?
                .wharf_task_task()
                .call_describe(&mut *store),
            Pre::Repeater(p) => p
                .instantiate(&mut *store)?
                .wharf_task_repeater()
                .call_describe(&mut *store),
            Pre::Condition(p) => p
                .instantiate(&mut *store)?
                .wharf_task_condition()
                .call_describe(&mut *store),
        });
        outcome.map(|(info, _)| TaskInfo::from_wit(kind, info))
    }

    /// Runs one call of the task: `run` for a plain task, `items` for a repeater, `evaluate`
    /// for a condition. Never panics and never returns early on a guest fault: every trap,
    /// limit or error becomes a [`Failure`] that names the cause.
    pub fn call(&self, component: &LoadedComponent, call: TaskCall<'_>) -> TaskOutcome {
        self.call_rendering(component, call, None)
    }

    /// [`Runtime::call`], with what the task's `template` interface renders in (the walk
    /// passes the task's scope; without it the interface answers that nothing can be
    /// rendered here).
    pub fn call_rendering(
        &self,
        component: &LoadedComponent,
        mut call: TaskCall<'_>,
        rendering: Option<Rendering>,
    ) -> TaskOutcome {
        let started = Instant::now();
        let settings = std::mem::take(&mut call.settings);
        let extensions = std::mem::take(&mut call.extensions);
        let result = self.invoke_with(component, call, extensions, rendering, |store, pre| {
            Ok(match pre {
                Pre::Plain(p) => {
                    let r = p
                        .instantiate(&mut *store)?
                        .wharf_task_task()
                        .call_run(&mut *store, &settings)?;
                    Ok(CallResult::Plain(PlainResult {
                        code: code_from_wit(r.code),
                        message: r.message,
                        outputs: r.outputs,
                        counts: Counts {
                            records_in: r.counts.records_in,
                            records_out: r.counts.records_out,
                            records_failed: r.counts.records_failed,
                        },
                    }))
                }
                Pre::Repeater(p) => p
                    .instantiate(&mut *store)?
                    .wharf_task_repeater()
                    .call_items(&mut *store, &settings)?
                    .map(CallResult::Items)
                    .map_err(failure_from_wit),
                Pre::Condition(p) => p
                    .instantiate(&mut *store)?
                    .wharf_task_condition()
                    .call_evaluate(&mut *store, &settings)?
                    .map(CallResult::Condition)
                    .map_err(failure_from_wit),
            })
        });
        let mut outcome = match result {
            Ok((r, st)) => TaskOutcome {
                result: r,
                logs: st.logs,
                logs_dropped: st.logs_dropped,
                state: st.state_changed.then_some(st.state),
                bytes_written: st.bytes_written,
                elapsed: Duration::ZERO,
                stopped: false,
            },
            Err(failure) => TaskOutcome {
                result: Err(failure),
                logs: vec![],
                logs_dropped: 0,
                state: None,
                bytes_written: 0,
                elapsed: Duration::ZERO,
                stopped: true,
            },
        };
        outcome.elapsed = started.elapsed();
        bound_guest_text(&mut outcome.result);
        outcome
    }

    fn invoke<R>(
        &self,
        component: &LoadedComponent,
        call: TaskCall<'_>,
        body: impl FnOnce(&mut Store<TaskState>, &Pre) -> wasmtime::Result<R>,
    ) -> Result<(R, CallResults), Failure> {
        self.invoke_with(component, call, Vec::new(), None, body)
    }

    fn invoke_with<R>(
        &self,
        component: &LoadedComponent,
        mut call: TaskCall<'_>,
        extensions: Vec<Extension>,
        rendering: Option<Rendering>,
        body: impl FnOnce(&mut Store<TaskState>, &Pre) -> wasmtime::Result<R>,
    ) -> Result<(R, CallResults), Failure> {
        let hit = LimitHit::default();
        let timeout = call.limits.timeout;
        let mut store = self.store_for(&mut call, &hit)?;
        store.data_mut().extensions = extensions;
        store.data_mut().rendering = rendering;
        // wasmtime trusts the calling thread to have `max_wasm_stack` to spare; a test thread
        // has 2 MiB. Switch to a fresh stack when this one is too small: free on a thread from
        // `on_guest_thread`, a fresh mapping per call otherwise.
        let outcome = stacker::maybe_grow(
            GUEST_STACK + HOST_STACK_MARGIN,
            GUEST_STACK + 2 * HOST_STACK_MARGIN,
            || body(&mut store, &component.pre),
        );
        match outcome {
            Ok(r) => {
                let results = store.data_mut().take_results();
                let st = store.data_mut();
                st.truth = None;
                st.extensions.clear();
                st.rendering = None;
                self.return_store(call.workdir, store);
                Ok((r, results))
            }
            Err(err) => Err(Failure {
                code: ResultCode::Fail,
                message: explain_fault(&err, &hit, timeout, &store.data().stderr),
            }),
        }
    }
}

/// Turns a trap or host error into a sentence naming the limit or the cause.
fn explain_fault(
    err: &wasmtime::Error,
    hit: &LimitHit,
    timeout: Duration,
    stderr: &CapturedOutput,
) -> String {
    let guest_said = stderr.text();
    let tail = if guest_said.is_empty() {
        String::new()
    } else {
        format!(
            " — component output: {}",
            guest_said
                .lines()
                .rev()
                .take(5)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join(" | ")
        )
    };
    if let Some(limit) = hit.get() {
        return format!("stopped by the sandbox: {limit}{tail}");
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => format!(
            "stopped by the sandbox: time limit of {} reached",
            human_duration(timeout)
        ),
        Some(Trap::UnreachableCodeReached) => {
            format!("the component crashed (panic or abort){tail}")
        }
        Some(Trap::MemoryOutOfBounds) => {
            format!("the component crashed (out-of-bounds memory access or stack overflow){tail}")
        }
        Some(trap) => format!("the component crashed ({trap}){tail}"),
        None => format!("the component failed: {err:#}{tail}"),
    }
}

fn human_duration(d: Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{} ms", d.as_millis())
    } else {
        format!("{} s", d.as_secs_f64())
    }
}

fn code_from_wit(c: types::ResultCode) -> ResultCode {
    match c {
        types::ResultCode::Success => ResultCode::Success,
        types::ResultCode::SuccessData => ResultCode::SuccessData,
        types::ResultCode::SuccessNoData => ResultCode::SuccessNoData,
        types::ResultCode::Fail => ResultCode::Fail,
        types::ResultCode::NotFound => ResultCode::NotFound,
        types::ResultCode::NotAuthorised => ResultCode::NotAuthorised,
        types::ResultCode::Cancelled => ResultCode::Cancelled,
        types::ResultCode::Waiting => ResultCode::Waiting,
    }
}

/// Caps what a guest returns for the run report and later templates, so a component cannot
/// make a run record as large as its memory (docs/limits.md).
fn bound_guest_text(result: &mut Result<CallResult, Failure>) {
    use crate::limits::{
        MAX_MESSAGE_BYTES, MAX_OUTPUT_BYTES, MAX_OUTPUTS_BYTES, excerpt, human_size,
        truncate_marked,
    };
    match result {
        Ok(CallResult::Plain(r)) => {
            truncate_marked(&mut r.message, MAX_MESSAGE_BYTES);
            let mut total = 0;
            let mut kept = 0;
            for (name, value) in &mut r.outputs {
                truncate_marked(name, MAX_MESSAGE_BYTES);
                truncate_marked(value, MAX_OUTPUT_BYTES);
                total += name.len() + value.len();
                if total > MAX_OUTPUTS_BYTES {
                    break;
                }
                kept += 1;
            }
            if kept < r.outputs.len() {
                r.message.push_str(&format!(
                    " (only its first {kept} of {} outputs were kept: outputs may hold {} in all)",
                    r.outputs.len(),
                    human_size(MAX_OUTPUTS_BYTES as u64)
                ));
                r.outputs.truncate(kept);
            }
        }
        Ok(CallResult::Items(items)) => {
            // Item values become `current.X` in settings; cutting one would point a child task
            // at a different file, so an oversized item fails the call instead.
            let oversized = items.iter().enumerate().find_map(|(i, item)| {
                item.iter()
                    .find(|(name, value)| name.len() + value.len() > MAX_OUTPUT_BYTES)
                    .map(|(name, value)| (i, excerpt(name), value.len()))
            });
            if let Some((i, name, len)) = oversized {
                *result = Err(Failure {
                    code: ResultCode::Fail,
                    message: format!(
                        "item {} has a value `{name}` of {}, more than the {} an item value may hold",
                        i + 1,
                        human_size(len as u64),
                        human_size(MAX_OUTPUT_BYTES as u64)
                    ),
                });
            }
        }
        Ok(CallResult::Condition(_)) => {}
        Err(f) => truncate_marked(&mut f.message, MAX_MESSAGE_BYTES),
    }
}

fn failure_from_wit(f: types::Failure) -> Failure {
    Failure {
        code: code_from_wit(f.code),
        message: f.message,
    }
}

impl std::fmt::Debug for LoadedComponent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedComponent")
            .field("path", &self.path)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// Human-readable size, re-exported for reports.
pub fn size_text(bytes: u64) -> String {
    human_size(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{MAX_MESSAGE_BYTES, MAX_OUTPUT_BYTES, MAX_OUTPUTS_BYTES};

    #[test]
    fn what_a_guest_returns_is_bounded() {
        let mut plain = Ok(CallResult::Plain(PlainResult {
            code: ResultCode::Success,
            message: "m".repeat(10 * MAX_MESSAGE_BYTES),
            outputs: (0..100)
                .map(|i| (format!("o{i}"), "v".repeat(2 * MAX_OUTPUT_BYTES)))
                .collect(),
            counts: Counts::default(),
        }));
        bound_guest_text(&mut plain);
        let Ok(CallResult::Plain(r)) = plain else {
            panic!("still a plain result")
        };
        let kept: usize = r.outputs.iter().map(|(n, v)| n.len() + v.len()).sum();
        assert!(kept <= MAX_OUTPUTS_BYTES, "{kept}");
        assert!(r.outputs.iter().all(|(_, v)| v.ends_with(" […]")));
        assert!(r.message.contains("[…]") && r.message.contains("of 100 outputs were kept"));
        assert!(r.message.len() < 2 * MAX_MESSAGE_BYTES);

        let mut items = Ok(CallResult::Items(vec![
            vec![("Name".into(), "a.xml".into())],
            vec![("Name".into(), "x".repeat(2 * MAX_OUTPUT_BYTES))],
        ]));
        bound_guest_text(&mut items);
        let Err(f) = items else {
            panic!("an oversized item fails the call")
        };
        assert!(
            f.message
                .starts_with("item 2 has a value `Name` of 128 KiB, more than the 64 KiB"),
            "{}",
            f.message
        );

        let mut fine = Ok(CallResult::Items(vec![vec![(
            "Name".into(),
            "a.xml".into(),
        )]]));
        bound_guest_text(&mut fine);
        assert!(matches!(fine, Ok(CallResult::Items(ref i)) if i.len() == 1));
    }
}
