//! The component templates (`templates/`, `wharf new component`): each language's project is
//! generated into a temporary folder, unit-tested natively, built with its own toolchain (the
//! pinned ones `make peers` installs into target/peers) and run in a workflow on a Zynk XML
//! orders fixture; hostile Python and JavaScript components are refused the file system outside
//! their working directory and the network, like any other component (tests/all/sandbox.rs).
//!
//! componentize-py and componentize-js builds are not byte-for-byte reproducible, so a build is
//! kept in target/template-builds/<label>/ beside the exact project it came from and reused while
//! the generated project is unchanged: reruns then hand wharf the same bytes and hit its cache of
//! compiled components instead of compiling 13–19 MB again.

use crate::support::{TestEnv, fixture, repo_root, task, wharf_command};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use wharf_engine::{ResultCode, Runtime, RuntimeConfig};

const ORDERS: &str = "zynk-xml/Customer with Sales Order and Card Payment [DOWNLOAD].xml";

/// The CSV every language's template writes for [`ORDERS`] with `service: express`.
const EXPECTED_CSV: &str = "order_ref,order_date,recipient,company,address_1,address_2,town,county,postcode,country,phone,email,service,items,goods_value\r\n\
789,2011-01-01,Test Person,Internetware,i6 Building,6-8 Charlotte Square,Newcastle Upon Tyne,County,NE1 4XF,GB,0845 123 2920,support@internetware.co.uk,express,1,200.00\r\n";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Lang {
    Rust,
    Python,
    Js,
}

impl Lang {
    fn flag(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Python => "python",
            Lang::Js => "js",
        }
    }

    fn template_dir(self) -> PathBuf {
        repo_root().join(match self {
            Lang::Rust => "templates/task-rust",
            Lang::Python => "templates/task-python",
            Lang::Js => "templates/task-js",
        })
    }

    /// The file holding the component's entry points.
    fn entry_file(self) -> &'static str {
        match self {
            Lang::Rust => "src/lib.rs",
            Lang::Python => "app.py",
            Lang::Js => "src/component.js",
        }
    }

    /// The hostile variant of the entry file (Rust's hostile guest is tests/guests/hostile).
    fn hostile_source(self) -> &'static str {
        match self {
            Lang::Python => include_str!("../guests/hostile-python/app.py"),
            Lang::Js => include_str!("../guests/hostile-js/component.js"),
            Lang::Rust => unreachable!("the Rust hostile guest is built by `make guests`"),
        }
    }
}

fn peers() -> PathBuf {
    repo_root().join("target/peers")
}

fn toolchain_missing(what: &Path) -> String {
    format!(
        "{} is missing: install the template toolchains with `make peers` (make test does)",
        what.display()
    )
}

/// Runs `command` to success, panicking with its output otherwise.
fn succeed(command: &mut Command, what: &str) -> String {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{text}",
        out.status
    );
    text
}

/// `wharf new component NAME --lang LANG --kind KIND -o DIR`.
fn wharf_new(name: &str, lang: Lang, kind: &str, dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_wharf"))
        .args([
            "new",
            "component",
            name,
            "--lang",
            lang.flag(),
            "--kind",
            kind,
            "-o",
        ])
        .arg(dir)
        .output()
        .unwrap()
}

fn generate(name: &str, lang: Lang, kind: &str, dir: &Path) {
    let out = wharf_new(name, lang, kind, dir);
    assert!(
        out.status.success(),
        "wharf new: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every file under `dir` (following links, as `wharf new` writes their targets), by path
/// relative to it, leaving out what a build or toolchain leaves behind.
fn project_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, files: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let built = ["node_modules", ".venv", "dist", "__pycache__", "target"];
            if built.contains(&name.as_str()) || name.ends_with(".wasm") {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, files);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .to_string();
                files.push((relative, std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    files.sort();
    files
}

/// Builds the project in `dir` with its language's toolchain, or reuses the build of an
/// identical project kept under `label` (see the module comment). Returns the component's path
/// and the build's duration (`None`: reused).
fn build(lang: Lang, dir: &Path, name: &str, label: &str) -> (PathBuf, Option<Duration>) {
    if lang == Lang::Rust {
        return build_rust(dir, name);
    }
    let kept = repo_root().join("target/template-builds").join(label);
    let wasm = kept.join(format!("{name}.wasm"));
    let sources = project_files(dir)
        .into_iter()
        .flat_map(|(path, content)| [path.into_bytes(), content].concat())
        .collect::<Vec<u8>>();
    if wasm.is_file() && std::fs::read(kept.join("sources")).ok().as_ref() == Some(&sources) {
        return (wasm, None);
    }
    let started = Instant::now();
    match lang {
        Lang::Python => {
            let componentize_py = peers().join("componentize-py-venv/bin/componentize-py");
            assert!(
                componentize_py.is_file(),
                "{}",
                toolchain_missing(&componentize_py)
            );
            succeed(
                Command::new("make")
                    .arg("-C")
                    .arg(dir)
                    .arg(format!("COMPONENTIZE_PY={}", componentize_py.display())),
                &format!("make in {}", dir.display()),
            );
        }
        Lang::Rust => unreachable!("built by build_rust"),
        Lang::Js => {
            link_node_modules(dir);
            succeed(
                Command::new("npm")
                    .args(["run", "build", "--silent"])
                    .current_dir(dir),
                &format!("npm run build in {}", dir.display()),
            );
        }
    }
    let took = started.elapsed();
    std::fs::create_dir_all(&kept).unwrap();
    std::fs::copy(dir.join(format!("{name}.wasm")), &wasm).unwrap();
    std::fs::write(kept.join("sources"), sources).unwrap();
    (wasm, Some(took))
}

/// `cargo` on the generated Rust project, in the wasm target dir the components share
/// (target/wasm): its dependencies are mostly built already.
fn cargo(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO"));
    command
        .args(args)
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(repo_root().join("target/wasm"));
    command
}

/// Builds a Rust project every time: cargo rebuilds only what changed (the SDK is in this
/// repository) and its output is reproducible, so an unchanged project hits wharf's cache.
fn build_rust(dir: &Path, name: &str) -> (PathBuf, Option<Duration>) {
    let started = Instant::now();
    succeed(
        &mut cargo(dir, &["build", "--release", "--target", "wasm32-wasip2"]),
        &format!("cargo build in {}", dir.display()),
    );
    let built = repo_root()
        .join("target/wasm/wasm32-wasip2/release")
        .join(format!("{}.wasm", name.replace('-', "_")));
    (built, Some(started.elapsed()))
}

/// Links a generated JavaScript project's node_modules to the pinned toolchain in target/peers
/// (installed from the template's own package-lock.json), instead of an `npm ci` per project.
fn link_node_modules(dir: &Path) {
    let modules = peers().join("componentize-js/node_modules");
    assert!(modules.is_dir(), "{}", toolchain_missing(&modules));
    if !dir.join("node_modules").exists() {
        std::os::unix::fs::symlink(&modules, dir.join("node_modules")).unwrap();
    }
}

/// Runs the project's own unit tests, natively.
fn unit_test(lang: Lang, dir: &Path) {
    match lang {
        Lang::Rust => succeed(&mut cargo(dir, &["test"]), "cargo test"),
        Lang::Python => succeed(
            Command::new("python3")
                .args(["-m", "unittest", "-q"])
                .current_dir(dir),
            "python3 -m unittest",
        ),
        Lang::Js => {
            link_node_modules(dir);
            succeed(
                Command::new("node").arg("--test").current_dir(dir),
                "node --test",
            )
        }
    };
}

/// The compiled-component cache file wharf uses for `wasm` in the tests' cache.
fn cached_compilation(wasm: &Path) -> PathBuf {
    let cache = repo_root().join("target/test-component-cache");
    let runtime = Runtime::new(RuntimeConfig {
        cache_dir: Some(cache.clone()),
    })
    .unwrap();
    cache.join(runtime.precompiled_name(&std::fs::read(wasm).unwrap()))
}

fn carrier_workflow(wasm: &Path) -> String {
    format!(
        "name: Orders to carrier\nresume-on-failure: false\ntasks:\n  - task: {}\n    id: carrier\n    settings: {{ input-file: orders.xml, output-file: out/carrier.csv, service: express }}\n",
        wasm.display()
    )
}

/// Generates, unit-tests and builds `lang`'s task template, runs it on the Zynk orders fixture
/// and checks the CSV, the counts and the outputs; then runs it again with the `wharf` binary,
/// which must load the compiled component from the cache.
fn template_maps_orders_to_a_carrier_csv(lang: Lang) {
    let env = TestEnv::new();
    let project = env.dir.path().join("orders-to-carrier");
    generate("orders-to-carrier", lang, "task", &project);
    unit_test(lang, &project);
    let (wasm, built) = build(
        lang,
        &project,
        "orders-to-carrier",
        &format!("{}-task", lang.flag()),
    );
    let cached = cached_compilation(&wasm);
    let compiled_before = cached.exists();

    std::fs::copy(fixture(ORDERS), env.workdir().join("orders.xml")).unwrap();
    std::fs::create_dir_all(env.workdir().join("out")).unwrap();
    let started = Instant::now();
    let run = env.run(&carrier_workflow(&wasm));
    let first_run = started.elapsed();
    let carrier = task(&run, "carrier");
    assert_eq!(
        carrier.result,
        ResultCode::SuccessData,
        "{}",
        carrier.message
    );
    assert_eq!(
        (
            carrier.counts.records_in,
            carrier.counts.records_out,
            carrier.counts.records_failed
        ),
        (1, 1, 0)
    );
    assert!(
        carrier
            .outputs
            .contains(&("consignments".to_string(), "1".to_string())),
        "{:?}",
        carrier.outputs
    );
    let csv = std::fs::read_to_string(env.workdir().join("out/carrier.csv")).unwrap();
    assert_eq!(csv, EXPECTED_CSV);

    // The binary, in a process of its own, finds the compiled component in the cache: the file
    // the first run wrote is not written again.
    assert!(cached.is_file(), "{} was not cached", wasm.display());
    let written = std::fs::metadata(&cached).unwrap().modified().unwrap();
    let workflow = env.dir.path().join("workflow.yaml");
    let binary_work = env.binary_data(&workflow).join("work");
    std::fs::create_dir_all(binary_work.join("out")).unwrap();
    std::fs::copy(fixture(ORDERS), binary_work.join("orders.xml")).unwrap();
    let started = Instant::now();
    succeed(
        wharf_command(&env.data()).arg("run").arg(&workflow),
        "wharf run",
    );
    let cached_run = started.elapsed();
    assert_eq!(
        std::fs::metadata(&cached).unwrap().modified().unwrap(),
        written,
        "the second run compiled {} again instead of loading it from the cache",
        wasm.display()
    );
    // The project's own `wharf test` case, with the component on the component path.
    let components = env.dir.path().join("components");
    std::fs::create_dir_all(&components).unwrap();
    std::fs::copy(&wasm, components.join("orders-to-carrier.wasm")).unwrap();
    let report = succeed(
        Command::new(env!("CARGO_BIN_EXE_wharf"))
            .env(
                "WHARF_CACHE_DIR",
                repo_root().join("target/test-component-cache"),
            )
            .arg("--components")
            .arg(&components)
            .arg("test")
            .arg(project.join("workflow-tests")),
        "wharf test on the project's workflow-tests",
    );
    assert!(report.contains("1 passed"), "{report}");
    eprintln!(
        "{lang:?} template: build {}, component {:.1} MB, first run {:.2} s ({}), run with the binary {:.2} s",
        built.map_or("reused".to_string(), |d| format!(
            "{:.1} s",
            d.as_secs_f64()
        )),
        std::fs::metadata(&wasm).unwrap().len() as f64 / 1e6,
        first_run.as_secs_f64(),
        if compiled_before {
            "compiled form from the cache"
        } else {
            "compiled"
        },
        cached_run.as_secs_f64()
    );
}

#[test]
fn rust_template_maps_zynk_orders_to_a_carrier_csv() {
    template_maps_orders_to_a_carrier_csv(Lang::Rust);
}

#[test]
fn python_template_maps_zynk_orders_to_a_carrier_csv() {
    template_maps_orders_to_a_carrier_csv(Lang::Python);
}

#[test]
fn js_template_maps_zynk_orders_to_a_carrier_csv() {
    template_maps_orders_to_a_carrier_csv(Lang::Js);
}

/// Builds `lang`'s hostile component (the template with its entry file replaced) and runs it
/// trying to read outside its working directory and to connect to a listening socket: both
/// fail, nothing reaches the socket, and the next task runs normally.
fn hostile_component_is_refused(lang: Lang) {
    let env = TestEnv::new();
    let project = env.dir.path().join("hostile");
    generate("hostile", lang, "task", &project);
    std::fs::write(project.join(lang.entry_file()), lang.hostile_source()).unwrap();
    let (wasm, _) = build(
        lang,
        &project,
        "hostile",
        &format!("{}-hostile", lang.flag()),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let yaml = format!(
        "name: Hostile\nresume-on-failure: false\ntasks:\n  - task: {wasm}\n    id: read\n    break-on-failure: false\n    settings: {{ mode: read-outside }}\n  - task: {wasm}\n    id: connect\n    break-on-failure: false\n    settings: {{ mode: connect, port: {port} }}\n  - task: noop\n    id: after\n",
        wasm = wasm.display()
    );
    let run = env.run(&yaml);
    for attempt in ["read", "connect"] {
        let record = task(&run, attempt);
        assert_eq!(
            record.result,
            ResultCode::Fail,
            "{lang:?} {attempt}: {}",
            record.message
        );
        // The component saw its attempt fail, or (JavaScript's fetch, whose WASI HTTP the build
        // leaves out) was stopped by a trap; either way nothing got out.
        assert!(
            (record.message.starts_with("refused:") || record.message.contains("crashed"))
                && !record.message.contains("escaped"),
            "{lang:?} {attempt}: {}",
            record.message
        );
    }
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "{lang:?}: a connection reached the listener"
    );
    assert_eq!(task(&run, "after").result, ResultCode::Success);
}

#[test]
fn a_hostile_python_component_is_refused_files_outside_and_the_network() {
    hostile_component_is_refused(Lang::Python);
}

#[test]
fn a_hostile_js_component_is_refused_files_outside_and_the_network() {
    hostile_component_is_refused(Lang::Js);
}

/// `wharf new` with the templates' own name writes exactly the template (the build set-up, the
/// sources and the contract the binary carries), so what the repository tests is what users get.
#[test]
fn wharf_new_writes_the_templates() {
    let sdk = repo_root().join("sdk/rust").canonicalize().unwrap();
    for lang in [Lang::Rust, Lang::Python, Lang::Js] {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("p");
        generate("carrier-csv", lang, "task", &project);
        // A Rust project names the SDK by its absolute path, the template by a relative one.
        let manifest = project.join("Cargo.toml");
        if let Ok(text) = std::fs::read_to_string(&manifest) {
            let sdk = format!("path = \"{}\"", sdk.display());
            assert!(text.contains(&sdk), "{text}");
            std::fs::write(&manifest, text.replace(&sdk, "path = \"../../sdk/rust\"")).unwrap();
        }
        let template: Vec<_> = project_files(&lang.template_dir())
            .into_iter()
            // The contract's README links into this repository's docs; projects carry the .wit.
            .filter(|(path, _)| !path.ends_with("README.md") || !path.contains("wit"))
            .collect();
        let generated = project_files(&project);
        let names =
            |files: &[(String, Vec<u8>)]| files.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
        assert_eq!(names(&generated), names(&template), "{lang:?}");
        for ((path, want), (_, got)) in template.iter().zip(&generated) {
            assert!(want == got, "{lang:?}: {path} differs from the template");
        }
    }
}

#[test]
fn wharf_new_names_the_component_and_its_kind() {
    let dir = tempfile::tempdir().unwrap();
    let python = dir.path().join("py");
    generate("orders-to-dpd", Lang::Python, "repeater", &python);
    let app = std::fs::read_to_string(python.join("app.py")).unwrap();
    assert!(app.contains("NAME = \"orders-to-dpd\"") && app.contains("class Repeater"));
    let makefile = std::fs::read_to_string(python.join("Makefile")).unwrap();
    assert!(makefile.contains("-w repeater-task") && makefile.contains("orders-to-dpd.wasm"));

    let rust = dir.path().join("rs");
    generate("orders-to-dpd", Lang::Rust, "repeater", &rust);
    let lib = std::fs::read_to_string(rust.join("src/lib.rs")).unwrap();
    assert!(lib.contains("pub struct OrdersToDpd;"), "{lib}");
    assert!(
        lib.contains("const NAME: &'static str = \"orders-to-dpd\";"),
        "{lib}"
    );
    assert!(
        lib.contains("wharf_guest::export_repeater!(OrdersToDpd);"),
        "{lib}"
    );
    let manifest = std::fs::read_to_string(rust.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("name = \"orders-to-dpd\""), "{manifest}");

    let js = dir.path().join("js");
    generate("orders-to-dpd", Lang::Js, "condition", &js);
    let world = std::fs::read_to_string(js.join("wit/world.wit")).unwrap();
    assert!(
        world.contains("include wharf:task/condition-task@0.1.0"),
        "{world}"
    );
    assert!(world.contains("package local:orders-to-dpd;"), "{world}");
    let component = std::fs::read_to_string(js.join("src/component.js")).unwrap();
    assert!(component.contains("export const condition"));
    let package: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(js.join("package.json")).unwrap()).unwrap();
    assert_eq!(package["name"], "orders-to-dpd");
    assert!(
        package["scripts"]["build"]
            .as_str()
            .unwrap()
            .contains("-o orders-to-dpd.wasm")
    );
}

/// `--kind repeater` and `--kind condition` in each language build and do their job in a
/// workflow: the repeater runs its children once per consignment with the consignment as
/// `current`, the condition takes the `else` branch when there are too few consignments.
fn kinds_run_in_a_workflow(lang: Lang) {
    let env = TestEnv::new();
    let mut built = Vec::new();
    for kind in ["repeater", "condition"] {
        let name = format!("orders-{kind}");
        let project = env.dir.path().join(&name);
        generate(&name, lang, kind, &project);
        let label = format!("{}-{kind}", lang.flag());
        built.push(build(lang, &project, &name, &label).0);
    }
    std::fs::copy(fixture(ORDERS), env.workdir().join("orders.xml")).unwrap();
    env.write("789.txt", "the order the fixture holds");
    let yaml = format!(
        "name: Kinds\nresume-on-failure: false\ntasks:\n  - task: {repeater}\n    id: each-order\n    settings: {{ input-file: orders.xml }}\n    tasks:\n      - task: if-file-exists\n        id: order-file\n        settings: {{ input-file: \"{{{{ current.OrderRef }}}}.txt\" }}\n        tasks: [ {{ task: noop, id: found }} ]\n  - task: {condition}\n    id: enough-orders\n    settings: {{ input-file: orders.xml, minimum-consignments: 2 }}\n    tasks: [ {{ task: noop, id: then }} ]\n    else: [ {{ task: noop, id: otherwise }} ]\n",
        repeater = built[0].display(),
        condition = built[1].display()
    );
    let run = env.run(&yaml);
    assert_eq!(run.result, ResultCode::Success, "{lang:?}: {}", run.message);
    assert_eq!(crate::support::tasks(&run, "found").len(), 1, "{lang:?}");
    assert!(crate::support::tasks(&run, "then").is_empty(), "{lang:?}");
    assert_eq!(task(&run, "otherwise").result, ResultCode::Success);
}

#[test]
fn rust_repeater_and_condition_run_in_a_workflow() {
    kinds_run_in_a_workflow(Lang::Rust);
}

#[test]
fn python_repeater_and_condition_run_in_a_workflow() {
    kinds_run_in_a_workflow(Lang::Python);
}

#[test]
fn js_repeater_and_condition_run_in_a_workflow() {
    kinds_run_in_a_workflow(Lang::Js);
}

#[test]
fn wharf_new_refuses_a_bad_name_and_a_folder_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let out = wharf_new("Orders_2", Lang::Python, "task", &dir.path().join("a"));
    assert!(!out.status.success());
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(message.contains("component name `Orders_2`"), "{message}");
    assert!(!dir.path().join("a").exists());

    std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
    let out = wharf_new("orders", Lang::Js, "task", dir.path());
    assert!(!out.status.success());
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(message.contains("is not empty"), "{message}");
    assert_eq!(project_files(dir.path()).len(), 1);
}
