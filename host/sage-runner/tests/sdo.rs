//! The runner configured for a real Sage 50 (`sage: { backend: sdo, … }`): jobs through moto,
//! imported by `wharf-sage-agent` (its fake Sage, `agent-engine: fake`) with the import journal
//! beside it — and with the Windows agent under Wine making COM calls into the fake SDO server.
//! A job sent again for a resumed run reports the order it posted, and posts nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use sage_agent::backend::{AgentProcess, SdoBackend, SdoSettings};
use sage_agent::fake::FakeCompany;
use sage_agent::protocol::ConnectSettings;
use sage_ledger::SageBackend;
use wharf_engine::ResultCode;
use wharf_sage::JobFile;

use crate::support::*;

const SAGE_PASSWORD: &str = "sage-pw-do-not-log";

/// The agent this workspace builds (beside the test binary's folder).
fn agent() -> PathBuf {
    let path = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join(format!("wharf-sage-agent{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is missing: build it with `cargo build --workspace --bin wharf-sage-agent`",
        path.display()
    );
    path
}

/// A fake Sage company with the product the sample order sells.
fn company(p: &Pipeline) -> PathBuf {
    let data_path = p.dir.path().join("ACCDATA");
    FakeCompany::create(&data_path, "wharf", SAGE_PASSWORD).unwrap();
    let mut sage = SdoBackend::new(
        AgentProcess::new(vec![
            agent().display().to_string(),
            "serve".into(),
            "--engine".into(),
            "fake".into(),
        ]),
        SdoSettings {
            connect: ConnectSettings {
                data_path: data_path.display().to_string(),
                user: "wharf".into(),
                password: SAGE_PASSWORD.into(),
                program_id: None,
            },
            key_field: "ANALYSIS_3".into(),
            call_timeout: Duration::from_secs(20),
        },
    );
    let mut product = sage.product_template("TEST01").unwrap();
    product.sales_price = 200.0;
    product.qty_in_stock = 10.0;
    sage.create_product(&product).unwrap();
    data_path
}

/// The pipeline's runner configuration with the SDO backend instead of the ledger: the agent
/// built for this machine with its fake engine.
fn sdo_config(p: &Pipeline, data_path: &Path) -> PathBuf {
    let settings = format!(
        "  agent: {}\n  agent-engine: fake\n  data-path: {}\n",
        agent().display(),
        data_path.display()
    );
    config_with(p, &settings)
}

/// The pipeline's runner configuration with `sage: { backend: sdo, <agent settings>, … }`.
fn config_with(p: &Pipeline, agent_settings: &str) -> PathBuf {
    let embedded = p.config("state", Timing::default());
    let password_file = p.dir.path().join("sage-password");
    std::fs::write(&password_file, format!("{SAGE_PASSWORD}\n")).unwrap();
    let text = std::fs::read_to_string(&embedded)
        .unwrap()
        .replace("ledger: sage/ledger.sqlite\n", "")
        + &format!(
            "sage:\n  backend: sdo\n{agent_settings}  user: wharf\n  password: {{ file: {} }}\n  call-timeout-seconds: 30\n",
            password_file.display()
        );
    let path = p.dir.path().join("sdo.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

fn success_file(p: &Pipeline, job_id: &str) -> String {
    let result = p.result_json(job_id).expect("result.json");
    assert_eq!(result.code, ResultCode::SuccessData, "{}", result.message);
    let Some(JobFile::Text(success)) = result.output_files.get("orders_success.xml") else {
        panic!("a success file: {:?}", result.output_files.keys())
    };
    success.clone()
}

#[test]
fn a_job_imports_into_sage_through_the_agent_and_a_resent_one_posts_nothing() {
    let p = Pipeline::new("sdo");
    let data_path = company(&p);
    let config = sdo_config(&p, &data_path);
    job_and_resent_job(&p, &data_path, || p.run_once(&config));
}

/// The same through the Windows agent under Wine (`make windows`), making COM calls into the
/// fake SDO server registered as `SDOEngine.32`: the runner (this machine's build) and moto as
/// above, the agent as on the Sage machine.
#[test]
fn a_job_imports_through_the_windows_agent_under_wine() {
    let p = Pipeline::new("sdo-wine");
    let data_path = company(&p);
    let (windows, prefix) = windows_builds(&["wharf-sage-agent.exe"]);
    let wrapper = p.dir.path().join("wine-agent.sh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec env WINEPREFIX={} WINEDEBUG=-all WINEDLLOVERRIDES=bcryptprimitives=n /usr/lib/wine/wine64 {} \"$@\"\n",
            prefix.display(),
            windows.join("wharf-sage-agent.exe").display()
        ),
    )
    .unwrap();
    let mut permissions = std::fs::metadata(&wrapper).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&wrapper, permissions).unwrap();
    let settings = format!(
        "  agent: {}\n  agent-engine: sdo\n  sdo-version: 32\n  data-path: '{}'\n",
        wrapper.display(),
        wine_path(&data_path)
    );
    let config = config_with(&p, &settings);
    job_and_resent_job(&p, &data_path, || p.run_once(&config));
}

/// The x86_64 Windows build folder and the Wine prefix (`make windows`), with `files` built in
/// the folder.
fn windows_builds(files: &[&str]) -> (PathBuf, PathBuf) {
    let root = repo_root();
    let windows = root.join("target/x86_64-pc-windows-gnu/debug");
    let prefix = root.join("target/wine-prefix");
    for file in files.iter().map(|file| windows.join(file)) {
        assert!(
            file.is_file(),
            "{} is missing: run `make windows` first",
            file.display()
        );
    }
    assert!(
        prefix.join("system.reg").is_file(),
        "the Wine prefix {} is missing: run `make windows` first",
        prefix.display()
    );
    (windows, prefix)
}

/// `/tmp/x` as Wine's drive Z: sees it.
fn wine_path(path: &Path) -> String {
    format!("Z:{}", path.display().to_string().replace('/', "\\"))
}

/// The Windows runner (`wharf-sage-runner.exe`, wasmtime and all, built by `make windows`)
/// under wine64, with the Windows agent it starts itself making COM calls into the fake SDO
/// server: the whole on-premises side as on the Sage machine, against moto. Its configuration
/// names Windows paths (drive Z: is this machine's root).
#[test]
fn a_job_runs_on_the_windows_runner_under_wine() {
    let p = Pipeline::new("sdo-wine-runner");
    let data_path = company(&p);
    let (windows, prefix) = windows_builds(&["wharf-sage-runner.exe", "wharf-sage-agent.exe"]);
    let runner = windows.join("wharf-sage-runner.exe");
    let settings = format!(
        "  agent: '{}'\n  agent-engine: sdo\n  sdo-version: 32\n  bitness: 64\n  data-path: '{}'\n",
        wine_path(&windows.join("wharf-sage-agent.exe")),
        wine_path(&data_path)
    );
    let linux_config = config_with(&p, &settings);
    // Every Linux path the configuration names, as Windows sees it.
    let text = std::fs::read_to_string(&linux_config).unwrap();
    let text = text
        .lines()
        .map(|line| {
            if let Some((head, rest)) = line.split_once("{ file: /") {
                // A flow mapping: the Windows path quoted (a plain `Z:/…` ends it early).
                let (path, tail) = rest.split_once(" }").unwrap_or((rest, ""));
                let path = wine_path(&Path::new("/").join(path));
                format!("{head}{{ file: '{path}' }}{tail}")
            } else if let Some((name, path)) = line.split_once(": /") {
                format!("{name}: '{}'", wine_path(&Path::new("/").join(path)))
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let config = p.dir.path().join("windows.yaml");
    std::fs::write(&config, text + "\n").unwrap();
    let run = || -> Output {
        let mut command = Command::new("/usr/lib/wine/wine64");
        command
            .arg(&runner)
            .arg("--config")
            .arg(wine_path(&config))
            .arg("--once");
        let linux = p.runner(&config);
        for (name, value) in linux.get_envs() {
            match value {
                Some(value) if name == "WHARF_CACHE_DIR" => {
                    command.env(name, wine_path(Path::new(value)))
                }
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        command
            .env("WINEPREFIX", &prefix)
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "bcryptprimitives=n")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("wine64 runs the Windows runner")
    };
    job_and_resent_job(&p, &data_path, run);
}

/// A job through the runner (`run` runs it once), then the same job resent for a resumed run.
fn job_and_resent_job(p: &Pipeline, data_path: &Path, run: impl Fn() -> Output) {
    let job = order_job(sample("Sales Order with Minimal Information.xml"));

    p.submit("job-1", &job);
    let out = run();
    let log = stderr(&out);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("Sage 50 found"),
        "the start probes Sage:\n{log}"
    );
    assert!(
        !log.contains(SAGE_PASSWORD),
        "no password in the log:\n{log}"
    );
    let success = success_file(p, "job-1");
    assert!(
        success.contains("<SalesOrderNumber>1</SalesOrderNumber>"),
        "{success}"
    );
    let sage = FakeCompany::load(data_path).unwrap();
    assert_eq!(sage.orders.len(), 1, "the order is in Sage");
    assert!(
        sage.customers.contains_key("INTE001"),
        "its account was created: {:?}",
        sage.customers.keys()
    );
    assert!(
        sage.logged_in.is_empty(),
        "the agent logged out: {:?}",
        sage.logged_in
    );

    // The cloud sends the job again for a resumed run (same lineage, another job id), with the
    // workflow's truth as the first job left it.
    let mut resent = job.clone();
    resent.truth = p
        .result_json("job-1")
        .unwrap()
        .truth_updates
        .into_iter()
        .filter_map(|update| match update {
            wharf_sage::TruthUpdate::Upsert(record) => Some(record),
            wharf_sage::TruthUpdate::Remove { .. } => None,
        })
        .collect();
    assert!(!resent.truth.is_empty(), "the first job recorded truth");
    p.submit("job-2", &resent);
    let out = run();
    assert!(out.status.success(), "{}", stderr(&out));
    let again = success_file(p, "job-2");
    assert!(
        again.contains("<SalesOrderNumber>1</SalesOrderNumber>"),
        "reported as the order it became: {again}"
    );
    assert_eq!(
        FakeCompany::load(data_path).unwrap().orders.len(),
        1,
        "posted once"
    );
}
