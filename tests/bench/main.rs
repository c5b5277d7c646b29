//! `make bench`: Wharf's performance figures, each beside its baseline measured in the same run.
//!
//! 1. Per-task overhead: a no-op component called through the sandbox (`Runtime::call`) and the
//!    marginal cost of one more task in a running workflow, against a bare wasmtime loop (pooling
//!    allocator, fresh store + WASI context with one preopen, instantiate, call).
//! 2. Cold start of `wharf run` on a one-task workflow with a warm component cache, against
//!    spawning `/bin/true`.
//! 3. The sandbox's cost on real work: split-xml as a component vs the same code built natively
//!    (CPU and wall time, best of `WHARF_BENCH_REPEAT` interleaved runs of each).
//! 4. split-xml throughput and peak RSS on a generated products file (1 GiB by default;
//!    `WHARF_BENCH_MB` changes it).
//! 5. Sage 50 sales orders imported per second through the engine (10,000 generated orders;
//!    `WHARF_BENCH_ORDERS` changes it), against the ledger's import procedure alone doing the
//!    same durable work (truth journal, SQLite truth store, both documents written).
//! 6. The auto-mapper component (XSLT) against xsltproc on 1 MiB and 50 MiB order files:
//!    throughput and peak RSS of both.
//! 7. Seed workflow 1 (`examples/sftp-to-sage.yaml`) on 1,000 small order files on a local
//!    OpenSSH server (`WHARF_BENCH_SFTP_FILES` changes it): files per second through the whole
//!    workflow, against copying the same files with OpenSSH's own `sftp` client.
//!
//! 8. The `http-task` component through the `http` capability against a local web server: a
//!    100 MB download (`WHARF_BENCH_HTTP_MB`) with its peak RSS, and 1,000 small POSTs from a
//!    file repeater (`WHARF_BENCH_HTTP_POSTS`), each beside `curl` doing the same.
//!
//! 9. The BigCommerce and Magento 2 connectors against their fake shops: orders per second
//!    downloaded beside `curl` fetching the same pages, and seed workflows 3 and 2 on 10,000
//!    orders with their peak RSS beside a quarter of that (`tests/bench/shops.rs`).
//!
//! 10. How cost grows with the work (`tests/bench/scale.rs`): split-xml on 64 MiB, 256 MiB and
//!     1 GiB, the Sage import on 1,000, 10,000 and 100,000 orders, the SFTP seed workflow on 100
//!     and 1,000 files — time and peak RSS of each whole `wharf run`.
//!
//! 11. The SFTP seed flow taken apart (`tests/bench/sftp_parts.rs`): the SFTP tasks alone and
//!     the whole workflow, with the connection's read-ahead off and on, beside `sftp get`.
//!
//! 12. The Lambda function's cold start to its first task, with its steps
//!     (`tests/bench/lambda.rs`; needs moto and the `bootstrap` binary).
//!
//! `WHARF_BENCH_ONLY` (comma-separated: overhead, cold-start, split, sage, xslt, sftp, http,
//! bigcommerce, magento, split-scale, sage-scale, sftp-scale, sftp-parts, lambda) limits the run
//! to those sections.

mod lambda;
mod scale;
mod sftp_parts;
mod shops;

#[path = "../all/sshd.rs"]
#[allow(dead_code)]
mod sshd;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wharf_engine::runtime::TaskCall;
use wharf_engine::storage::{LocalStore, Storage};
use wharf_engine::{
    ComponentSource, Engine, NoProgress, RunOptions, Runtime, RuntimeConfig, Workflow,
};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

struct Report(Vec<(String, String, String)>);

impl Report {
    fn add(&mut self, what: &str, wharf: String, baseline: String) {
        println!("{what:<58} {wharf:>16}   baseline {baseline}");
        self.0.push((what.into(), wharf, baseline));
    }
}

fn main() {
    // As `wharf` does: a stack on which guest calls need no stack switch.
    wharf_engine::runtime::on_guest_thread(benchmarks);
}

/// One part of the report: component folders, compile cache, the report to add to.
type Section = fn(&[PathBuf], &Path, &mut Report);

fn benchmarks() {
    let dirs = vec![
        root().join("target/components"),
        root().join("target/test-guests"),
    ];
    for d in &dirs {
        assert!(
            d.is_dir(),
            "{} missing: run `make components guests`",
            d.display()
        );
    }
    let cache = root().join("target/bench-cache");
    let mut report = Report(vec![]);
    println!(
        "Wharf benchmarks ({} cores)\n",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );

    // `WHARF_BENCH_ONLY=split,xslt` runs only the named sections.
    let only = std::env::var("WHARF_BENCH_ONLY").ok();
    let sections: [(&str, Section); 14] = [
        ("overhead", per_task_overhead),
        ("cold-start", cold_start),
        ("split", split_xml),
        ("sage", sage_order_import),
        ("xslt", xslt_vs_xsltproc),
        ("sftp", sftp_to_sage),
        ("http", http_task),
        ("bigcommerce", shops::bigcommerce),
        ("magento", shops::magento),
        ("split-scale", scale::split_scale),
        ("sage-scale", scale::sage_scale),
        ("sftp-scale", scale::sftp_scale),
        ("sftp-parts", sftp_parts::sftp_parts),
        ("lambda", lambda::lambda_cold_start),
    ];
    for (name, section) in sections {
        if only
            .as_deref()
            .is_none_or(|o| o.split(',').any(|n| n.trim() == name))
        {
            section(&dirs, &cache, &mut report);
        }
    }

    let mut text = String::from("what\twharf\tbaseline\n");
    for (w, a, b) in &report.0 {
        text.push_str(&format!("{w}\t{a}\t{b}\n"));
    }
    let out = root().join("target/bench-results.tsv");
    std::fs::write(&out, text).expect("write results");
    println!("\nresults written to {}", out.display());
}

fn per_task_overhead(dirs: &[PathBuf], cache: &Path, report: &mut Report) {
    const N: usize = 3000;
    let runtime = Runtime::new(RuntimeConfig {
        cache_dir: Some(cache.to_path_buf()),
    })
    .unwrap();
    let noop_path = dirs[1].join("noop.wasm");
    let noop = runtime.load(&noop_path).unwrap();
    let work = tempfile::tempdir().unwrap();
    let mappings = Arc::new(BTreeMap::new());
    let mut times = Vec::with_capacity(N);
    for _ in 0..N {
        let t = Instant::now();
        let outcome = runtime.call(
            &noop,
            TaskCall {
                label: "noop",
                workdir: Some(work.path()),
                settings: vec![],
                limits: Default::default(),
                state: BTreeMap::new(),
                truth: None,
                mappings: mappings.clone(),
                extensions: vec![],
            },
        );
        times.push(t.elapsed());
        assert!(outcome.result.is_ok());
    }
    let sandbox = median(times);
    let bare = bare_wasmtime_loop(&noop_path, work.path(), N);
    report.add(
        "no-op task through the sandbox (median)",
        micros(sandbox),
        format!("{} bare wasmtime loop", micros(bare)),
    );

    // Marginal cost of one more task inside a running workflow (templates, settings, records):
    // a 1,000-item repeater with one child and with two, taking turns; each round's difference
    // over the items is one sample (the median counts), in wall time and in the CPU time of
    // this thread, which runs the whole walk (the machine is shared: CPU time is the steadier).
    let engine = Engine::new(
        runtime,
        ComponentSource {
            dirs: dirs.to_vec(),
        },
    );
    let items: u32 = 1000;
    let workflow = |children: usize| {
        let dir = tempfile::tempdir().unwrap();
        let mut yaml = String::from(
            "name: Bench\nresume-on-failure: false\ntasks:\n  - task: file-repeater\n    settings: { input-directory: in }\n    tasks:\n",
        );
        for i in 0..children {
            yaml.push_str(&format!("      - task: noop\n        id: n{i}\n        settings: {{ note: \"{{{{ current.Name }}}}\" }}\n"));
        }
        let wf_path = dir.path().join("bench.yaml");
        std::fs::write(&wf_path, yaml).unwrap();
        let data = dir.path().join("data");
        let store: Arc<dyn Storage> = Arc::new(LocalStore::new(&data, "bench", None).unwrap());
        let input = data.join("bench/work/in");
        std::fs::create_dir_all(&input).unwrap();
        for i in 0..items {
            std::fs::write(input.join(format!("{i:04}.xml")), "<x/>").unwrap();
        }
        let prepared = engine.prepare(Workflow::load(&wf_path).unwrap()).unwrap();
        (dir, prepared, store)
    };
    let run = |(_, prepared, store): &(tempfile::TempDir, _, Arc<dyn Storage>)| {
        let cpu = thread_cpu();
        let t = Instant::now();
        let r = engine
            .run(prepared, store.clone(), &RunOptions::default(), &NoProgress)
            .unwrap();
        assert!(r.result.is_success(), "{}", r.message);
        (t.elapsed(), thread_cpu() - cpu)
    };
    let (one, two) = (workflow(1), workflow(2));
    run(&one);
    run(&two);
    let (mut wall, mut cpu, mut whole) = (vec![], vec![], vec![]);
    for _ in 0..9 {
        let (w1, c1) = run(&one);
        let (w2, c2) = run(&two);
        wall.push(w2.saturating_sub(w1) / items);
        cpu.push(c2.saturating_sub(c1) / items);
        whole.push(c1 / items);
    }
    report.add(
        "one more task in a running workflow (marginal, median of 9 rounds)",
        format!("{} wall, {} CPU", micros(median(wall)), micros(median(cpu))),
        format!(
            "{} bare wasmtime loop; a whole item with one task {} CPU",
            micros(bare),
            micros(median(whole))
        ),
    );
}

/// CPU time this thread has run (`/proc/thread-self/schedstat`, nanoseconds).
fn thread_cpu() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let ns = text
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Duration::from_nanos(ns)
}

/// What wasmtime alone costs per call: the same no-op component, pooling allocator, a fresh store
/// and WASI context with one preopen, instantiate through `InstancePre`, call `run`.
fn bare_wasmtime_loop(wasm: &Path, dir: &Path, n: usize) -> Duration {
    use wasmtime::component::{Component, Linker, ResourceTable, Val};
    use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};
    use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
    struct S {
        wasi: WasiCtx,
        table: ResourceTable,
    }
    impl WasiView for S {
        fn ctx(&mut self) -> WasiCtxView<'_> {
            WasiCtxView {
                ctx: &mut self.wasi,
                table: &mut self.table,
            }
        }
    }
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(
        PoolingAllocationConfig::default(),
    ));
    let engine = Engine::new(&config).unwrap();
    let component = Component::from_file(&engine, wasm).unwrap();
    let mut linker: Linker<S> = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    let pre = linker.instantiate_pre(&component).unwrap();
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let mut b = WasiCtxBuilder::new();
        b.preopened_dir(dir, "/", wasmtime_wasi::filesystem::FsPerms::ReadWrite)
            .unwrap();
        let mut store = Store::new(
            &engine,
            S {
                wasi: b.build(),
                table: ResourceTable::new(),
            },
        );
        let instance = pre.instantiate(&mut store).unwrap();
        let iface = instance
            .get_export_index(&mut store, None, "wharf:task/task@0.1.0")
            .unwrap();
        let run = instance
            .get_export_index(&mut store, Some(&iface), "run")
            .unwrap();
        let func = instance.get_func(&mut store, run).unwrap();
        let mut results = [Val::Bool(false)];
        func.call(&mut store, &[Val::List(vec![])], &mut results)
            .unwrap();
        drop(store);
        times.push(t.elapsed());
    }
    median(times)
}

fn wharf_cmd(dirs: &[PathBuf], cache: &Path, data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wharf"));
    c.env(
        "WHARF_COMPONENTS",
        dirs.iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(":"),
    )
    .env("WHARF_CACHE_DIR", cache)
    .env("WHARF_DATA", data);
    c
}

fn cold_start(dirs: &[PathBuf], cache: &Path, report: &mut Report) {
    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join("one.yaml");
    std::fs::write(&wf, "name: One\ntasks:\n  - task: noop\n").unwrap();
    let data = dir.path().join("data");
    let run_once = || {
        let t = Instant::now();
        let out = wharf_cmd(dirs, cache, &data)
            .arg("run")
            .arg("--json")
            .arg(&wf)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        t.elapsed()
    };
    run_once(); // warm the component cache
    // CPU time (user + system) too: the wall time waits for the disk's flushes of the final
    // run record and for a core on a busy machine. Summed over the 30 runs and given per run.
    let cpu_before = children_cpu();
    let wharf = median((0..30).map(|_| run_once()).collect());
    let wharf_cpu = (children_cpu() - cpu_before) / 30;
    let cpu_before = children_cpu();
    let truth = median(
        (0..30)
            .map(|_| {
                let t = Instant::now();
                Command::new("/bin/true").status().unwrap();
                t.elapsed()
            })
            .collect(),
    );
    let truth_cpu = (children_cpu() - cpu_before) / 30;
    report.add(
        "cold start: `wharf run` of a one-task workflow",
        millis(wharf),
        format!("{} /bin/true", millis(truth)),
    );
    report.add(
        "cold start: CPU (user + system) per `wharf run`, mean of 30",
        millis(wharf_cpu),
        format!("{} /bin/true", millis(truth_cpu)),
    );
    let (found, listed) = symbol_order_found();
    report.add(
        "cold start: functions of host/cli/symbol-order.txt linked",
        format!("{found} of {listed}"),
        "fewer: `make symbol-order`".into(),
    );
}

/// How many of the functions `host/cli/symbol-order.txt` lists for the linker to place side by
/// side (host/cli/build.rs) the benchmarked `wharf` defines: names the code no longer has are
/// skipped silently at link time, so this row is where a stale list shows.
fn symbol_order_found() -> (usize, usize) {
    let list =
        std::fs::read_to_string(root().join("host/cli/symbol-order.txt")).unwrap_or_default();
    let nm = Command::new("nm")
        .arg("--defined-only")
        .arg(env!("CARGO_BIN_EXE_wharf"))
        .output()
        .expect("running nm on the wharf binary");
    let defined = String::from_utf8_lossy(&nm.stdout);
    let defined: std::collections::HashSet<&str> = defined
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    let listed: Vec<&str> = list.lines().filter(|l| !l.is_empty()).collect();
    let found = listed.iter().filter(|n| defined.contains(*n)).count();
    (found, listed.len())
}

/// Runs a child to completion and returns its wall time and peak RSS in bytes. The peak is the
/// child's own `VmHWM`, polled while it runs: `getrusage` would report this (large) parent's
/// RSS, which Linux carries into the child's maximum across fork and exec.
fn measure(cmd: Command) -> (Duration, u64, std::process::ExitStatus) {
    let (elapsed, rss, status, _) = measure_cpu(cmd);
    (elapsed, rss, status)
}

/// CPU time (user + system) of this process's waited-for children so far.
fn children_cpu() -> Duration {
    rusage_cpu(libc::RUSAGE_CHILDREN)
}

/// CPU time (user + system) of this process (`RUSAGE_SELF`, all threads) or of its children
/// waited for (`RUSAGE_CHILDREN`), to the microsecond: `/proc`'s stat counts 10 ms ticks, a
/// step of 4 % on a quarter-second run.
fn rusage_cpu(who: libc::c_int) -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given (zeroed, so it is initialised either way).
    let usage = unsafe {
        libc::getrusage(who, usage.as_mut_ptr());
        usage.assume_init()
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// As [`measure`], with the CPU time (user + system) the command used: on a machine shared
/// with other work, wall time swings with the load while CPU time shows the work done.
fn measure_cpu(mut cmd: Command) -> (Duration, u64, std::process::ExitStatus, Duration) {
    let cpu_before = children_cpu();
    let t = Instant::now();
    let mut child = cmd.stdout(std::process::Stdio::null()).spawn().unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(line) = text.lines().find(|l| l.starts_with("VmHWM:"))
            && let Some(kib) = line
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
        {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let elapsed = t.elapsed();
    (
        elapsed,
        peak_kib * 1024,
        status,
        children_cpu().saturating_sub(cpu_before),
    )
}

/// split-xml as a component (a whole `wharf run`) against the same code built natively, on a
/// generated products file (`WHARF_BENCH_MB`, 1 GiB by default), 200 records a chunk. Both take
/// turns `WHARF_BENCH_REPEAT` times after an unmeasured warm-up run of each (the compiled
/// component and the input in the page cache); which goes first alternates by round. Each
/// side's best wall time and best CPU time (user + system) count: on a shared machine wall
/// time waits for a core and a disk, CPU time is the work done. The warm-up runs' chunk files
/// must be the same on both sides.
///
/// The files are on tmpfs (`/dev/shm`) where there is one (`WHARF_BENCH_SPLIT_DIR` names
/// another folder): each run replaces the previous run's 1,000-odd chunk files, and on an ext4
/// file system without a journal (this project's build machines) every file created within
/// minutes of a deletion first steps over each recently deleted inode of its group
/// (`recently_deleted` in the kernel's inode allocator): up to half of a run's CPU time, growing
/// with every earlier run, and paid by whichever side runs after the other's files were
/// removed. The disk's own cost shows in the `split-scale` rows.
fn split_xml(dirs: &[PathBuf], cache: &Path, report: &mut Report) {
    let mb: u64 = std::env::var("WHARF_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let repeat = repeats();
    let place = std::env::var_os("WHARF_BENCH_SPLIT_DIR")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from("/dev/shm")).filter(|shm| shm.is_dir()))
        .unwrap_or_else(|| root().join("target"));
    let dir = tempfile::tempdir_in(&place).unwrap();
    let data = dir.path().join("data");
    let input = scale::generate_products(dirs, cache, &data, mb);
    let size = std::fs::metadata(&input).unwrap().len();
    let size_mb = size as f64 / (1 << 20) as f64;

    let native_bin = root().join("target/wasm/release/examples/split_native");
    assert!(
        native_bin.exists(),
        "{} missing: `make bench` builds it",
        native_bin.display()
    );
    let native_out = dir.path().join("native-out");
    let component_out = data.join("split/work/out");
    let wf = dir.path().join("split.yaml");
    std::fs::write(&wf, scale::SPLIT_WORKFLOW).unwrap();
    let native = || {
        let _ = std::fs::remove_dir_all(&native_out);
        let mut cmd = Command::new(&native_bin);
        cmd.arg(&input)
            .arg("/Company/Products/Product")
            .arg("200")
            .arg(&native_out);
        let (wall, rss, st, cpu) = measure_cpu(cmd);
        assert!(st.success(), "split_native failed");
        Side { wall, cpu, rss }
    };
    let component = || {
        let _ = std::fs::remove_dir_all(&component_out);
        let mut cmd = wharf_cmd(dirs, cache, &data);
        cmd.arg("run").arg(&wf);
        let (wall, rss, st, cpu) = measure_cpu(cmd);
        assert!(st.success(), "split-xml's `wharf run` failed");
        Side { wall, cpu, rss }
    };
    // Unmeasured: the component's compile cache, the input in the page cache; and the outputs
    // compared once.
    native();
    component();
    same_files(&native_out, &component_out);

    let (mut natives, mut components) = (Vec::new(), Vec::new());
    for round in 0..repeat {
        if round % 2 == 0 {
            natives.push(native());
            components.push(component());
        } else {
            components.push(component());
            natives.push(native());
        }
    }
    let (n, c) = (Side::best(&natives), Side::best(&components));
    let secs = |d: Duration| format!("{:.3} s", d.as_secs_f64());
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!("split-xml works in {}", place.display());
    report.add(
        &format!("split-xml on {size_mb:.0} MiB: component vs native, CPU (best of {repeat})"),
        format!("{:.2}×", ratio(c.cpu, n.cpu)),
        format!("{} vs {} native CPU (user + sys)", secs(c.cpu), secs(n.cpu)),
    );
    report.add(
        &format!("split-xml on {size_mb:.0} MiB: component vs native, wall (best of {repeat})"),
        format!("{:.2}×", ratio(c.wall, n.wall)),
        format!("{} vs {} native", secs(c.wall), secs(n.wall)),
    );
    let tput = |d: Duration| format!("{:.0} MB/s", size_mb / d.as_secs_f64());
    let median_wall = |sides: &[Side]| median(sides.iter().map(|s| s.wall).collect());
    report.add(
        &format!("split-xml throughput on {size_mb:.0} MiB (whole `wharf run`, best of {repeat})"),
        tput(c.wall),
        format!(
            "{} native; medians {} / {}",
            tput(n.wall),
            tput(median_wall(&components)),
            tput(median_wall(&natives))
        ),
    );
    report.add(
        "split-xml peak RSS (whole `wharf run` process)",
        format!("{:.1} MiB", c.rss as f64 / (1 << 20) as f64),
        format!("{:.1} MiB native", n.rss as f64 / (1 << 20) as f64),
    );
}

/// One measured run of a program.
struct Side {
    wall: Duration,
    cpu: Duration,
    rss: u64,
}

impl Side {
    /// The best wall time and the best CPU time of the runs (maybe of different runs), and
    /// the highest peak RSS.
    fn best(runs: &[Side]) -> Side {
        Side {
            wall: runs.iter().map(|s| s.wall).min().unwrap_or_default(),
            cpu: runs.iter().map(|s| s.cpu).min().unwrap_or_default(),
            rss: runs.iter().map(|s| s.rss).max().unwrap_or_default(),
        }
    }
}

/// The two folders hold the same file names with the same bytes.
fn same_files(a: &Path, b: &Path) {
    let names = |dir: &Path| {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        names
    };
    let (in_a, in_b) = (names(a), names(b));
    assert_eq!(
        in_a,
        in_b,
        "{} and {} hold different files",
        a.display(),
        b.display()
    );
    for name in in_a {
        assert!(
            std::fs::read(a.join(&name)).unwrap() == std::fs::read(b.join(&name)).unwrap(),
            "{} differs between {} and {}",
            name.to_string_lossy(),
            a.display(),
            b.display()
        );
    }
}

/// The Sage import of `orders.xml` with the ledger benchmark's settings (tutorial 2).
const SAGE_ORDERS_WORKFLOW: &str = "name: Orders\nlimits: { timeout: 30m }\ntasks:\n  - task: sage50-import-sales-orders\n    id: orders\n    grants: [sage]\n    settings: { input-file: orders.xml, success-file: success.xml, fail-file: fail.xml, auto-create-customers: true, auto-generate-account-reference: true, alphabetic-length: 3, numeric-length: 5, auto-allocate-stock: true }\n";

/// Sales orders imported per second from a generated file (10,000 orders by default;
/// `WHARF_BENCH_ORDERS` changes it) through the whole engine path — workflow, component, `sage`
/// capability, file-backed ledger, truth store, success and fail files — against the ledger's
/// import procedure called directly on the same file doing the same durable work: the truth
/// journal and replay marks in each order's transaction (as the capability sets them), the truth
/// rows written behind into a SQLite truth store of the same kind as the workflow's, and both
/// documents written to files unsynced (tests/bench/README.md, "Sage import, session 10").
/// The two take turns `WHARF_BENCH_REPEAT` times, each on a fresh ledger; the best wall time and
/// the least CPU (user + sys of this process) of each side count.
fn sage_order_import(dirs: &[PathBuf], cache: &Path, report: &mut Report) {
    use sage_ledger::benchmark::{OrderFileShape, generate_order_file};
    let orders: usize = std::env::var("WHARF_BENCH_ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let shape = OrderFileShape {
        orders,
        ..OrderFileShape::default()
    };
    let xml = generate_order_file(shape);
    let (mut direct, mut engine) = (Vec::new(), Vec::new());
    for _ in 0..repeats() {
        direct.push(sage_direct_import(shape, &xml));
        engine.push(sage_engine_import(dirs, cache, shape, &xml));
    }
    let best = |runs: &[(Duration, Duration)]| {
        (
            runs.iter().map(|r| r.0).min().unwrap(),
            runs.iter().map(|r| r.1).min().unwrap(),
        )
    };
    let ((direct_wall, direct_cpu), (engine_wall, engine_cpu)) = (best(&direct), best(&engine));
    let rate = |d: Duration| orders as f64 / d.as_secs_f64();
    report.add(
        &format!(
            "Sage order import through the engine ({orders} orders, best of {})",
            direct.len()
        ),
        format!("{:.0} orders/s", rate(engine_wall)),
        format!(
            "{:.0} orders/s ledger procedure alone, journaled, same durable work ({:.2}×; CPU {} vs {}, {:.2}×)",
            rate(direct_wall),
            direct_wall.as_secs_f64() / engine_wall.as_secs_f64(),
            millis(engine_cpu),
            millis(direct_cpu),
            direct_cpu.as_secs_f64() / engine_cpu.as_secs_f64().max(1e-9),
        ),
    );
}

/// The ledger's import procedure alone on `xml`, a fresh ledger, with what an import through the
/// engine writes durably (see [`sage_order_import`]): wall time and this process's CPU.
fn sage_direct_import(
    shape: sage_ledger::benchmark::OrderFileShape,
    xml: &str,
) -> (Duration, Duration) {
    use sage_ledger::ImportJournal;
    use sage_ledger::benchmark::{benchmark_settings, run_order_import, seed_catalogue};
    let dir = tempfile::tempdir_in(root().join("target")).unwrap();
    let mut ledger = sage_ledger::Ledger::open(dir.path().join("direct.sqlite")).unwrap();
    seed_catalogue(&mut ledger, shape.products).unwrap();
    let store = LocalStore::new(&dir.path().join("data"), "orders", None).unwrap();
    // The scope the capability gives an import (SageCapability::grant, Session::backend); the
    // replay key's last part stands for the document's SHA-256 in hex (same length).
    ledger.set_journal(sage_ledger::JournalScope {
        truth_scope: Some(store.location()),
        replay_key: Some(format!("run-1/orders/{}", "5a".repeat(32))),
        run_id: Some("run-1".into()),
    });
    let mut truth = wharf_sage::truth::EngineTruth::write_behind(store.truth().unwrap());
    let documents = dir.path().join("documents");
    std::fs::create_dir_all(&documents).unwrap();
    let (t, cpu) = (Instant::now(), process_cpu());
    let direct = run_order_import(
        &mut ledger,
        xml,
        &benchmark_settings(),
        &mut truth,
        Some(&documents),
    )
    .unwrap();
    let (elapsed, cpu) = (t.elapsed(), process_cpu() - cpu);
    assert_eq!(direct.counts.imported, shape.orders);
    (elapsed, cpu)
}

/// One in-process engine run of [`SAGE_ORDERS_WORKFLOW`] on `xml`, a fresh ledger and data
/// folder: wall time and this process's CPU (preparing the workflow excluded).
fn sage_engine_import(
    dirs: &[PathBuf],
    cache: &Path,
    shape: sage_ledger::benchmark::OrderFileShape,
    xml: &str,
) -> (Duration, Duration) {
    let dir = tempfile::tempdir_in(root().join("target")).unwrap();
    let engine_ledger = dir.path().join("engine.sqlite");
    sage_ledger::benchmark::seed_catalogue(
        &mut sage_ledger::Ledger::open(&engine_ledger).unwrap(),
        shape.products,
    )
    .unwrap();
    let runtime = Runtime::with_capabilities(
        RuntimeConfig {
            cache_dir: Some(cache.to_path_buf()),
        },
        vec![Arc::new(wharf_sage::SageCapability::new(&engine_ledger))],
    )
    .unwrap();
    let engine = Engine::new(
        runtime,
        ComponentSource {
            dirs: dirs.to_vec(),
        },
    );
    let data = dir.path().join("data");
    let store: Arc<dyn Storage> = Arc::new(LocalStore::new(&data, "orders", None).unwrap());
    std::fs::create_dir_all(data.join("orders/work")).unwrap();
    std::fs::write(data.join("orders/work/orders.xml"), xml).unwrap();
    let wf = dir.path().join("orders.yaml");
    std::fs::write(&wf, SAGE_ORDERS_WORKFLOW).unwrap();
    let prepared = engine.prepare(Workflow::load(&wf).unwrap()).unwrap();
    let (t, cpu) = (Instant::now(), process_cpu());
    let record = engine
        .run(&prepared, store, &RunOptions::default(), &NoProgress)
        .unwrap();
    let (elapsed, cpu) = (t.elapsed(), process_cpu() - cpu);
    assert!(record.result.is_success(), "{}", record.message);
    let imported = record
        .tasks
        .iter()
        .map(|t| t.counts.records_out)
        .sum::<u64>();
    assert_eq!(imported as usize, shape.orders);
    (elapsed, cpu)
}

/// CPU time (user + system) this process has used, all threads.
fn process_cpu() -> Duration {
    rusage_cpu(libc::RUSAGE_SELF)
}

/// The auto-mapper component inside the sandbox (a whole `wharf run`) against xsltproc, both
/// running the built-in `magento-orders-to-zynk` stylesheet on the same Magento order file:
/// 1 MiB and 50 MiB (`WHARF_BENCH_XSLT_MB` changes the larger), made by repeating the sample
/// order with fresh ids. Both outputs must be identical. Both take turns `WHARF_BENCH_REPEAT`
/// times after a warm-up run each; the best wall and CPU time of each side count, and the
/// ratios are xsltproc's time over the component's (above 1: the component is faster).
fn xslt_vs_xsltproc(dirs: &[PathBuf], cache: &Path, report: &mut Report) {
    use std::io::Write;
    if !Command::new("xsltproc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        println!(
            "xsltproc is not installed: skipping the XSLT comparison (apt-get install xsltproc)"
        );
        return;
    }
    let repeat = repeats();
    let large: u64 = std::env::var("WHARF_BENCH_XSLT_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let stylesheet = root().join("components/auto-mapper/mappings/magento-orders-to-zynk.xsl");
    let sample = std::fs::read_to_string(
        root().join("../shared/fixtures/zynk-samples/shop-data/magento_order.xml"),
    )
    .unwrap();
    let start = sample.find("<OrderInfo>").unwrap();
    let end = sample.rfind("</OrderInfo>").unwrap() + "</OrderInfo>".len();
    let (head, order, tail) = (&sample[..start], &sample[start..end], &sample[end..]);
    let workflow = "name: Xslt\nlimits: { timeout: 30m, memory: 4GiB, write: 64GiB }\ntasks:\n  - task: auto-mapper\n    settings: { input-file: orders.xml, mapping: magento-orders-to-zynk, output-file: zynk.xml }\n";
    for mb in [1, large] {
        let dir = tempfile::tempdir_in(root().join("target")).unwrap();
        let data = dir.path().join("data");
        let work = data.join("xslt/work");
        std::fs::create_dir_all(&work).unwrap();
        let input = work.join("orders.xml");
        let mut w = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
        w.write_all(head.as_bytes()).unwrap();
        let (mut written, mut n) = (head.len() as u64, 0u64);
        while written < mb << 20 {
            let o = order
                .replace(
                    "<increment_id>100000002</increment_id>",
                    &format!("<increment_id>{}</increment_id>", 100_000_000 + n),
                )
                .replace(
                    "<order_id>2</order_id>",
                    &format!("<order_id>{n}</order_id>"),
                );
            w.write_all(o.as_bytes()).unwrap();
            written += o.len() as u64;
            n += 1;
        }
        w.write_all(tail.as_bytes()).unwrap();
        w.flush().unwrap();
        drop(w);
        let size = std::fs::metadata(&input).unwrap().len();
        let size_mb = size as f64 / (1 << 20) as f64;

        let xsltproc_out = dir.path().join("xsltproc.xml");
        let xsltproc = || {
            let mut cmd = Command::new("xsltproc");
            cmd.arg("-o")
                .arg(&xsltproc_out)
                .arg(&stylesheet)
                .arg(&input);
            cmd
        };
        let wf = dir.path().join("xslt.yaml");
        std::fs::write(&wf, workflow).unwrap();
        let wharf = || {
            let mut cmd = wharf_cmd(dirs, cache, &data);
            cmd.arg("run").arg(&wf);
            cmd
        };
        // A sample is the mean of `runs` runs in a row: the 1 MiB runs take tens of
        // milliseconds, a few of the machine's scheduling slices.
        let runs: u32 = if mb == 1 { 10 } else { 1 };
        let measured = |make: &dyn Fn() -> Command, what: &str| {
            let (mut wall, mut cpu, mut rss) = (Duration::ZERO, Duration::ZERO, 0);
            for _ in 0..runs {
                let (w, r, status, c) = measure_cpu(make());
                assert!(status.success(), "{what} failed on {}", input.display());
                (wall, cpu, rss) = (wall + w, cpu + c, rss.max(r));
            }
            Side {
                wall: wall / runs,
                cpu: cpu / runs,
                rss,
            }
        };
        // Unmeasured: the compiled component, the files in the page cache; both outputs must
        // be the same.
        measured(&wharf, "wharf run");
        measured(&xsltproc, "xsltproc");
        assert!(
            std::fs::read(work.join("zynk.xml")).unwrap() == std::fs::read(&xsltproc_out).unwrap(),
            "the component and xsltproc disagree on {}",
            input.display()
        );
        let (mut wharfs, mut xsltprocs) = (Vec::new(), Vec::new());
        for round in 0..repeat {
            if round % 2 == 0 {
                wharfs.push(measured(&wharf, "wharf run"));
                xsltprocs.push(measured(&xsltproc, "xsltproc"));
            } else {
                xsltprocs.push(measured(&xsltproc, "xsltproc"));
                wharfs.push(measured(&wharf, "wharf run"));
            }
        }
        let (w, x) = (Side::best(&wharfs), Side::best(&xsltprocs));

        let tput = |d: Duration| format!("{:.1} MB/s", size_mb / d.as_secs_f64());
        let rss = |b: u64| {
            format!(
                "{:.0} MiB ({:.1}× input)",
                b as f64 / (1 << 20) as f64,
                b as f64 / size as f64
            )
        };
        let each = if runs > 1 {
            format!(", each the mean of {runs} runs")
        } else {
            String::new()
        };
        report.add(
            &format!(
                "auto-mapper on {size_mb:.0} MiB of Magento orders ({n} orders; best of {repeat}{each})"
            ),
            tput(w.wall),
            format!(
                "{} xsltproc ({} vs {} wall, {:.2}×; CPU {} vs {}, {:.2}×)",
                tput(x.wall),
                millis(w.wall),
                millis(x.wall),
                x.wall.as_secs_f64() / w.wall.as_secs_f64(),
                millis(w.cpu),
                millis(x.cpu),
                x.cpu.as_secs_f64() / w.cpu.as_secs_f64()
            ),
        );
        report.add(
            &format!("auto-mapper peak RSS on {size_mb:.0} MiB (whole `wharf run`)"),
            rss(w.rss),
            format!("{} xsltproc", rss(x.rss)),
        );
    }
}

/// Seed workflow 1 end to end through `wharf run` on N order files, against OpenSSH's `sftp`
/// client fetching the same files in one batch session (transfer alone, no import).
fn sftp_to_sage(dirs: &[PathBuf], cache: &Path, report: &mut Report) {
    let files: usize = std::env::var("WHARF_BENCH_SFTP_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let (elapsed, rss, baseline) = sftp_flow(dirs, cache, files);
    report.add(
        &format!("SFTP → Sage seed workflow ({files} order files)"),
        format!(
            "{:.0} files/s ({:.1} s, {} MiB RSS)",
            files as f64 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64(),
            rss >> 20
        ),
        baseline,
    );
}

/// Seed workflow 1 on `files` order files on a fresh local OpenSSH server: the whole `wharf
/// run`'s time and peak RSS, and OpenSSH's `sftp get` of the same files as text.
fn sftp_flow(dirs: &[PathBuf], cache: &Path, files: usize) -> (Duration, u64, String) {
    let server = sshd::Sshd::start();
    let template =
        std::fs::read_to_string(root().join(
            "../shared/fixtures/zynk-samples/zynk-xml/Sales Order with Minimal Information.xml",
        ))
        .unwrap();
    for n in 0..files {
        server.put(
            &format!("/download/order-{n:05}.xml"),
            template.replace("<Id>12345</Id>", &format!("<Id>BENCH-{n:05}</Id>")),
        );
    }
    let dir = tempfile::tempdir_in(root().join("target")).unwrap();
    let connections = dir.path().join("connections.yaml");
    std::fs::write(
        &connections,
        format!(
            "sftp:\n{}",
            server.password_connection("shop", dir.path(), server.port)
        ),
    )
    .unwrap();

    // Baseline: OpenSSH's client fetching every file (key login, one session).
    let baseline = {
        let local = dir.path().join("fetched");
        std::fs::create_dir_all(&local).unwrap();
        let t = Instant::now();
        let out = Command::new("sftp")
            .args(["-q", "-b", "-", "-P", &server.port.to_string()])
            .args([
                "-o",
                &format!("UserKnownHostsFile={}", server.known_hosts().display()),
            ])
            .args(["-o", "BatchMode=yes", "-i"])
            .arg(server.plain_client_key())
            .arg(format!("{}@127.0.0.1", sshd::USER))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                let batch = format!("lcd {}\nget /download/*.xml\n", local.display());
                child.stdin.take().unwrap().write_all(batch.as_bytes())?;
                child.wait_with_output()
            });
        let elapsed = t.elapsed();
        match out {
            Ok(o) if o.status.success() => format!(
                "{:.0} files/s openssh sftp get (transfer only)",
                files as f64 / elapsed.as_secs_f64()
            ),
            Ok(o) => format!(
                "sftp client failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ),
            Err(e) => format!("sftp client unavailable: {e}"),
        }
    };

    let data = dir.path().join("data");
    // `wharf run` refuses a ledger that does not exist yet.
    let ledger = dir.path().join("ledger.sqlite");
    sage_ledger::Ledger::open(&ledger).unwrap();
    let mut cmd = wharf_cmd(dirs, cache, &data);
    cmd.env("WHARF_CONNECTIONS", &connections)
        .env("WHARF_SAGE_LEDGER", &ledger)
        .arg("run")
        .arg(root().join("examples/sftp-to-sage.yaml"));
    sftp_parts::settle();
    let (elapsed, rss, status) = measure(cmd);
    assert!(status.success(), "the seed workflow failed");
    assert_eq!(server.names("/download/processed").len(), files);
    (elapsed, rss, baseline)
}

/// A keep-alive web server on 127.0.0.1 for the HTTP figures: `GET /big` answers `size` bytes,
/// any POST answers `OK` after reading its body. One thread per connection.
fn bench_web_server(size: u64) -> u16 {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || -> std::io::Result<()> {
                stream.set_nodelay(true)?;
                let mut reader = BufReader::new(stream.try_clone()?);
                let mut out = stream;
                let chunk = vec![b'x'; 1 << 20];
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    let mut length = 0usize;
                    loop {
                        let mut header = String::new();
                        reader.read_line(&mut header)?;
                        if header.trim().is_empty() {
                            break;
                        }
                        if let Some((name, value)) = header.split_once(':')
                            && name.eq_ignore_ascii_case("content-length")
                        {
                            length = value.trim().parse().unwrap_or(0);
                        }
                    }
                    std::io::copy(&mut (&mut reader).take(length as u64), &mut std::io::sink())?;
                    if line.starts_with("GET /big") {
                        write!(out, "HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n")?;
                        let mut left = size;
                        while left > 0 {
                            let n = left.min(chunk.len() as u64) as usize;
                            out.write_all(&chunk[..n])?;
                            left -= n as u64;
                        }
                    } else {
                        out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nOK\n")?;
                    }
                }
            });
        }
    });
    port
}

fn http_task(dirs: &[PathBuf], cache: &Path, report: &mut Report) {
    let env_number = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let mb = env_number("WHARF_BENCH_HTTP_MB", 100);
    let posts = env_number("WHARF_BENCH_HTTP_POSTS", 1000);
    let repeat = repeats();
    let port = bench_web_server(mb << 20);
    let dir = tempfile::tempdir_in(root().join("target")).unwrap();
    let connections = dir.path().join("connections.yaml");
    std::fs::write(
        &connections,
        format!("http:\n  local:\n    base-url: http://127.0.0.1:{port}/\n"),
    )
    .unwrap();
    let data = dir.path().join("data");
    let run = |workflow: &str| {
        let wf = dir.path().join("http.yaml");
        std::fs::write(&wf, workflow).unwrap();
        let mut cmd = wharf_cmd(dirs, cache, &data);
        cmd.env("WHARF_CONNECTIONS", &connections)
            .arg("run")
            .arg("--fresh")
            .arg(&wf);
        let (elapsed, rss, status, cpu) = measure_cpu(cmd);
        assert!(status.success(), "the HTTP workflow failed");
        (elapsed, rss, cpu)
    };
    let curl = |args: &[String]| {
        let mut cmd = Command::new("curl");
        cmd.arg("-s").args(args);
        let (elapsed, rss, status, cpu) = measure_cpu(cmd);
        status.success().then_some((elapsed, rss, cpu))
    };
    let ms = |d: Duration| d.as_millis();

    // One large download: the body streams to a file, memory stays flat. Wharf and curl take
    // turns, `repeat` times each, and the best time of each counts (the machine is shared).
    let big = dir.path().join("curl-big.bin");
    let mb_per_s = |d: Duration| mb as f64 / d.as_secs_f64();
    let download = "name: Big\nid: http-bench\ntasks:\n  - task: http-task\n    grants: [\"http:local\"]\n    settings: { url: big, output-file: big.bin, timeout: 600000 }\n";
    // Unmeasured: fills the compiled-component cache, so no measured peak is the compiler's.
    run(download);
    let mut wharf_best = (Duration::MAX, Duration::ZERO);
    let mut wharf_rss = 0;
    let mut curl_best: Option<(Duration, u64, Duration)> = None;
    for _ in 0..repeat {
        let (elapsed, rss, cpu) = run(download);
        wharf_best = wharf_best.min((elapsed, cpu));
        wharf_rss = wharf_rss.max(rss);
        if let Some((d, r, c)) = curl(&[
            "-o".into(),
            big.display().to_string(),
            format!("http://127.0.0.1:{port}/big"),
        ]) {
            curl_best = Some(curl_best.map_or((d, r, c), |(b, br, bc)| {
                let (d, c) = (b, bc).min((d, c));
                (d, br.max(r), c)
            }));
        }
    }
    let baseline = curl_best.map_or("curl unavailable".into(), |(d, r, c)| {
        format!(
            "{:.0} MB/s, {} MiB peak RSS, {} ms CPU curl ({:.2}×)",
            mb_per_s(d),
            r >> 20,
            ms(c),
            d.as_secs_f64() / wharf_best.0.as_secs_f64()
        )
    });
    report.add(
        &format!("http-task: a {mb} MB download (whole `wharf run`, best of {repeat})"),
        format!(
            "{:.0} MB/s, {} MiB peak RSS, {} ms CPU",
            mb_per_s(wharf_best.0),
            wharf_rss >> 20,
            ms(wharf_best.1)
        ),
        baseline,
    );

    // Many small POSTs: one task per file in a repeater.
    let work = data.join("http-bench/work/posts");
    std::fs::create_dir_all(&work).unwrap();
    let mut curl_args = Vec::new();
    for n in 0..posts {
        let file = work.join(format!("stock-{n:05}.xml"));
        std::fs::write(
            &file,
            format!("<Product><Sku>S{n}</Sku><QtyInStock>{n}</QtyInStock></Product>"),
        )
        .unwrap();
        if n > 0 {
            curl_args.push("--next".to_owned());
        }
        curl_args.extend([
            "-o".to_owned(),
            "/dev/null".to_owned(),
            "--data-binary".to_owned(),
            format!("@{}", file.display()),
            format!("http://127.0.0.1:{port}/upload"),
        ]);
    }
    let per_second = |d: Duration| posts as f64 / d.as_secs_f64();
    let mut wharf_best = (Duration::MAX, Duration::ZERO);
    let mut curl_best: Option<(Duration, Duration)> = None;
    for _ in 0..repeat {
        let (elapsed, _, cpu) = run(
            "name: Posts\nid: http-bench\ntasks:\n  - task: file-repeater\n    settings: { input-directory: posts }\n    tasks:\n      - task: http-task\n        grants: [\"http:local\"]\n        settings: { url: upload, method: POST, input: \"{{ current.FullName }}\" }\n",
        );
        wharf_best = wharf_best.min((elapsed, cpu));
        if let Some((d, _, c)) = curl(&curl_args) {
            curl_best = Some(curl_best.map_or((d, c), |b| b.min((d, c))));
        }
    }
    let baseline = curl_best.map_or("curl unavailable".into(), |(d, c)| {
        format!(
            "{:.0} requests/s curl, one process, {} ms CPU ({:.2}×)",
            per_second(d),
            ms(c),
            d.as_secs_f64() / wharf_best.0.as_secs_f64()
        )
    });
    report.add(
        &format!("http-task: {posts} small POSTs from a file repeater (best of {repeat})"),
        format!(
            "{:.0} requests/s, {} ms CPU",
            per_second(wharf_best.0),
            ms(wharf_best.1)
        ),
        baseline,
    );
}

/// How many times the sections that compare with another program run both in turn
/// (`WHARF_BENCH_REPEAT`, default 3): the best time of each counts, as the machine is shared.
fn repeats() -> usize {
    std::env::var("WHARF_BENCH_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or(3)
}
