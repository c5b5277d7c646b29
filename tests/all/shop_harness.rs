//! What the shop seed tests share (Magento, BigCommerce, Amazon, the website scripts): a fake
//! shop served once per test binary behind Stoplight Prism contract proxies ([`ContractedShop`]),
//! a seed's Sage ledger and its `wharf run` of the seed workflow with the secrets checked out of
//! every output ([`SeedRun`]), and the kill-at-ten-points test ([`killed_at_ten_points`]).

use crate::support::{TestEnv, kill_after, kill_delays, warm_run_duration, wharf_command};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;
use wharf_fake_shops::server::{Request, Response, Running, Shop};
use wharf_test_peers::{ContractOptions, ContractProxy, Violation};

/// The shop the shared server answers for: a test swaps in its own fake; none is an outage
/// (503 with the vendor's error body).
struct Switch<S> {
    current: Mutex<Option<Arc<S>>>,
    outage: Value,
}

impl<S: Shop> Shop for Switch<S> {
    fn handle(&self, request: Request) -> Response {
        let current = self
            .current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match current {
            Some(shop) => shop.handle(request),
            None => Response::json(503, &self.outage),
        }
    }
}

/// One vendor specification the requests under `prefix` are checked against.
pub struct Contract {
    /// The start of the request paths it covers (the longest matching prefix wins).
    pub prefix: String,
    pub spec: PathBuf,
    /// Corrections merged onto the spec (see `wharf_test_peers::ContractOptions`).
    pub overlays: Vec<PathBuf>,
    /// The API base as the connector sends it, which the spec's paths leave out.
    pub base_path: String,
}

/// A fake shop's server, a contract proxy per specification and a router in front of them.
pub struct ContractedShop<S> {
    switch: Arc<Switch<S>>,
    server: Running,
    proxies: Vec<ContractProxy>,
    router: Router,
}

impl<S: Shop + Send + Sync + 'static> ContractedShop<S> {
    /// Starts the server (answering `outage` until a shop is served) and one Prism per
    /// contract (seconds each: start a harness once per test binary, see [`shared`]).
    pub fn start(outage: Value, contracts: Vec<Contract>) -> Self {
        let switch = Arc::new(Switch {
            current: Mutex::new(None),
            outage,
        });
        let server = Running::start(switch.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
        let mut proxies = Vec::new();
        let mut routes = Vec::new();
        for contract in contracts {
            let proxy = ContractProxy::start_with(
                &contract.spec,
                &ContractOptions {
                    overlays: contract.overlays,
                    base_path: contract.base_path,
                },
                &server.url(),
            );
            routes.push((contract.prefix, proxy.url().to_owned()));
            proxies.push(proxy);
        }
        ContractedShop {
            switch,
            server,
            proxies,
            router: Router::start(routes),
        }
    }

    /// Where the connector goes: the router, `http://127.0.0.1:P` (no trailing slash).
    pub fn url(&self) -> &str {
        &self.router.url
    }

    /// The fake itself, past the proxies.
    pub fn direct_url(&self) -> String {
        self.server.url()
    }

    /// Serves `shop` from now on; `None` is an outage.
    pub fn serve(&self, shop: Option<Arc<S>>) {
        *self
            .switch
            .current
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = shop;
    }

    pub fn violations(&self) -> Vec<Violation> {
        self.proxies
            .iter()
            .flat_map(ContractProxy::violations)
            .collect()
    }

    /// Requests the proxies relayed.
    pub fn requests(&self) -> usize {
        self.proxies.iter().map(ContractProxy::requests).sum()
    }

    /// Forgets the requests a killed client cut off (Prism never answers them; no breach).
    pub fn forget_unanswered(&self) {
        for proxy in &self.proxies {
            proxy.forget_unanswered();
        }
    }

    /// Where the violations stand now, for [`ContractedShop::assert_kept_since`].
    pub fn mark(&self) -> usize {
        self.violations().len()
    }

    /// Fails listing every violation of `what` since `mark`.
    pub fn assert_kept_since(&self, mark: usize, what: &str) {
        let new: Vec<String> = self.violations()[mark..]
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(new.is_empty(), "broke {what}:\n{}", new.join("\n"));
    }
}

/// The harness in `cell`, started by `start` the first time, one test at a time (the tests of
/// a shop share its server and proxies).
pub fn shared<S: Shop + Send + Sync + 'static>(
    cell: &'static OnceLock<Mutex<ContractedShop<S>>>,
    start: impl FnOnce() -> ContractedShop<S>,
) -> MutexGuard<'static, ContractedShop<S>> {
    cell.get_or_init(|| Mutex::new(start()))
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// Routes each request to the proxy of the longest matching path prefix, unchanged. Each
/// proxy answers one request per connection (`Connection: close`), so a connection is routed
/// once.
struct Router {
    url: String,
}

impl Router {
    fn start(routes: Vec<(String, String)>) -> Router {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let routes = Arc::new(routes);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let routes = routes.clone();
                std::thread::spawn(move || {
                    let _ = route(client, &routes);
                });
            }
        });
        Router { url }
    }
}

fn route(mut client: TcpStream, routes: &[(String, String)]) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut chunk = [0u8; 8192];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = client.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&chunk[..n]);
    }
    let line = String::from_utf8_lossy(&head)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let path = line.split_whitespace().nth(1).unwrap_or_default();
    let Some((_, target)) = routes
        .iter()
        .filter(|(prefix, _)| path.starts_with(prefix.as_str()))
        .max_by_key(|(prefix, _)| prefix.len())
    else {
        client.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return Ok(());
    };
    let mut upstream = TcpStream::connect(target.trim_start_matches("http://"))?;
    upstream.write_all(&head)?;
    let mut up_read = upstream.try_clone()?;
    let mut client_write = client.try_clone()?;
    let answer = std::thread::spawn(move || {
        let _ = std::io::copy(&mut up_read, &mut client_write);
        let _ = client_write.shutdown(std::net::Shutdown::Both);
    });
    let _ = std::io::copy(&mut client, &mut upstream);
    let _ = answer.join();
    Ok(())
}

/// One seed's side of a test: a temporary data folder, its Sage ledger, the connections file
/// beside them and `wharf run` of the seed workflow.
pub struct SeedRun {
    pub env: TestEnv,
    pub ledger: PathBuf,
    workflow: PathBuf,
    vars: Vec<(String, String)>,
    args: Vec<String>,
    secrets: Vec<String>,
}

impl SeedRun {
    /// For the workflow file `workflow`; the ledger is not created yet ([`SeedRun::load_sage`]).
    pub fn new(workflow: PathBuf) -> SeedRun {
        SeedRun::in_env(TestEnv::new(), workflow)
    }

    /// For the Zynk workflow `wkf` imported with `wharf import-wkf --json` into the seed's folder
    /// (the workflow and `connections.yaml` beside the ledger); gives the import's JSON report.
    /// The connections are as imported: fill them in with [`SeedRun::edit_connections`].
    pub fn imported(wkf: &Path) -> (SeedRun, Value) {
        let env = TestEnv::new();
        let out = wharf_command(&env.data())
            .args(["import-wkf", "--json", "-o"])
            .arg(env.dir.path())
            .arg(wkf)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "import-wkf {}: {}",
            wkf.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let output = report["files"][0]["output"].as_str().unwrap().to_owned();
        let workflow = env.dir.path().join(output);
        (SeedRun::in_env(env, workflow), report)
    }

    fn in_env(env: TestEnv, workflow: PathBuf) -> SeedRun {
        let ledger = env.dir.path().join("sage/ledger.sqlite");
        std::fs::create_dir_all(ledger.parent().unwrap()).unwrap();
        SeedRun {
            env,
            ledger,
            workflow,
            vars: Vec::new(),
            args: Vec::new(),
            secrets: Vec::new(),
        }
    }

    /// An environment variable of every run.
    pub fn with_env(mut self, name: &str, value: &str) -> Self {
        self.vars.push((name.into(), value.into()));
        self
    }

    /// Arguments of every run, before the workflow file (`--var …`).
    pub fn with_args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// Text that must show in no report or log of a run.
    pub fn with_secrets(mut self, secrets: &[&str]) -> Self {
        self.secrets.extend(secrets.iter().map(|s| s.to_string()));
        self
    }

    /// The folder beside the data folder (connections, secrets, Sage files).
    pub fn dir(&self) -> &Path {
        self.env.dir.path()
    }

    pub fn connections(&self) -> PathBuf {
        self.dir().join("connections.yaml")
    }

    /// Edits values in the connections file as a user fills in an imported one: each `(from,
    /// to)` replaces text that must be there.
    pub fn edit_connections(&self, edits: &[(&str, &str)]) {
        edit_text(&self.connections(), edits);
    }

    /// Edits values in the workflow file as a user acts on the import report's "check" notes.
    pub fn edit_workflow(&self, edits: &[(&str, &str)]) {
        edit_text(&self.workflow, edits);
    }

    /// Edits the connections file as data (written back as JSON, which YAML reads).
    pub fn edit_connections_data(&self, edit: impl FnOnce(&mut Value)) {
        let text = std::fs::read_to_string(self.connections()).unwrap();
        let mut data: Value = serde_saphyr::from_str(&text).unwrap();
        edit(&mut data);
        std::fs::write(
            self.connections(),
            serde_json::to_vec_pretty(&data).unwrap(),
        )
        .unwrap();
    }

    /// Runs `wharf ARGS` on the seed's ledger (a Sage or `generate` command); it must succeed.
    pub fn tool(&self, args: &[&str]) {
        let out = wharf_command(&self.env.data())
            .env("WHARF_SAGE_LEDGER", &self.ledger)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "wharf {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Creates the Sage company and loads `files` (Zynk XML) into it.
    pub fn load_sage(&self, files: &[impl AsRef<Path>]) {
        self.tool(&["sage", "create-company"]);
        for file in files {
            self.tool(&["sage", "load", &file.as_ref().display().to_string()]);
        }
    }

    /// `wharf run` of the seed workflow (not started).
    pub fn wharf(&self) -> Command {
        let mut c = wharf_command(&self.env.data());
        c.env("WHARF_SAGE_LEDGER", &self.ledger)
            .env("WHARF_CONNECTIONS", self.connections())
            .envs(self.vars.iter().map(|(k, v)| (k, v)))
            .arg("run")
            .args(&self.args)
            .arg(&self.workflow);
        c
    }

    /// Runs the seed workflow; it must succeed, with no secret in its report or log.
    pub fn run(&self) -> Output {
        self.finished(self.wharf().output().unwrap())
    }

    /// Checks a finished run's output as [`SeedRun::run`] does.
    pub fn finished(&self, out: Output) -> Output {
        let report = String::from_utf8_lossy(&out.stdout);
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{report}\n{log}");
        for secret in &self.secrets {
            assert!(
                !report.contains(secret.as_str()) && !log.contains(secret.as_str()),
                "a secret in the output"
            );
        }
        out
    }

    /// The workflow's data folder (named by its identity).
    pub fn data(&self) -> PathBuf {
        self.env.binary_data(&self.workflow)
    }

    /// The workflow's working directory.
    pub fn work(&self) -> PathBuf {
        self.data().join("work")
    }

    /// The state `key` of task `task`, if saved.
    pub fn state(&self, task: &str, key: &str) -> Option<String> {
        let state: Value = std::fs::read(self.data().join("state.json"))
            .map(|b| serde_json::from_slice(&b).unwrap())
            .unwrap_or_default();
        state[task][key].as_str().map(str::to_owned)
    }
}

/// Ten instances from `make`, each with its run (`wharf`) killed (SIGKILL) at one of ten points
/// spread over a warm uninterrupted `run`, then `recover`ed (run again and checked). A first
/// instance, run whole, is `recover`ed too. Gives `imported(instance)` seen after each kill;
/// fails unless some kill came before `good` records were imported.
pub fn killed_at_ten_points<T>(
    make: impl Fn() -> T,
    run: impl Fn(&T),
    wharf: impl Fn(&T) -> Command,
    imported: impl Fn(&T) -> usize,
    recover: impl Fn(&T),
    good: usize,
) -> Vec<usize> {
    let (reference, whole) = warm_run_duration(&make, &run);
    recover(&reference);
    drop(reference);

    let mut seen = Vec::new();
    for delay in kill_delays(whole, 10) {
        let instance = make();
        kill_after(&mut wharf(&instance), delay);
        // A request the kill cut off is dropped by a contract proxy a moment later.
        std::thread::sleep(Duration::from_millis(500));
        seen.push(imported(&instance));
        recover(&instance);
    }
    assert!(
        seen.iter().any(|&n| n < good),
        "some kill came before the import finished: {seen:?} (whole run {whole:?})"
    );
    seen
}

/// [`killed_at_ten_points`] for a seed whose shop sits behind `harness`'s contract proxies:
/// after each kill the requests it cut off are forgotten (Prism never answers them; no breach),
/// the seed runs again and `check` checks its end state; some kill must also come after an
/// import.
pub fn killed_behind_contracts<
    S: Shop + Send + Sync + 'static,
    T: std::ops::Deref<Target = SeedRun>,
>(
    harness: &ContractedShop<S>,
    make: impl Fn() -> T,
    imported: impl Fn(&T) -> usize,
    check: impl Fn(&T),
    good: usize,
) {
    let seen = killed_at_ten_points(
        make,
        |seed| {
            seed.run();
        },
        |seed| seed.wharf(),
        imported,
        |seed| {
            harness.forget_unanswered();
            seed.run();
            check(seed);
        },
        good,
    );
    assert!(
        seen.iter().any(|&n| n > 0),
        "some kill came after: {seen:?}"
    );
}

/// Replaces, in file `path`, each `from` (which must be there) with its `to`.
fn edit_text(path: &Path, edits: &[(&str, &str)]) {
    let mut text = std::fs::read_to_string(path).unwrap();
    for (from, to) in edits {
        assert!(
            text.contains(from),
            "{from} not in {}:\n{text}",
            path.display()
        );
        text = text.replace(from, to);
    }
    std::fs::write(path, text).unwrap();
}
