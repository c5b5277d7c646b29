//! Section `lambda`: the Lambda function's cold start, as a fresh sandbox meets it. Seed
//! workflow 1 (`examples/sftp-to-sage.yaml`) is deployed with `wharf deploy --signing-key` to a
//! bucket on moto (with KMS), its SFTP server a local OpenSSH; the function (`bootstrap`, the
//! bench build in `target/release` if there is one, else `target/debug`; `WHARF_BENCH_BOOTSTRAP`
//! names another) starts in an empty local folder against a Lambda runtime API served here, with
//! the schedule's event already queued. Measured, best of `WHARF_BENCH_REPEAT` (3) fresh
//! sandboxes, each with a bucket of its own:
//!
//! - from starting the process to its first `/invocation/next` (process start, settings, AWS
//!   clients): the part every Rust Lambda pays, the baseline column;
//! - from there to the run's first task, as the function's own `invocation to first task` log line
//!   says (with its steps: workflow, connections, runtime, components, load, store, checkpoint,
//!   run start, and — when components are loaded at a task's first call — first component);
//! - from starting the process to the invocation's answer (the run suspended at the Sage task),
//!   printed beside it.
//!
//! Needs moto (`make peers`) and the binaries (`cargo build --workspace --bins`).

use super::{Report, root, sshd};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use wharf_test_peers::lambda_api::{LambdaApi, Outcome};

const REGION: &str = "eu-west-1";
const CUSTOMER: &str = "acme";
const SECRET: &str = "wharf-bench-secret";

fn bootstrap() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("WHARF_BENCH_BOOTSTRAP") {
        return Some(PathBuf::from(p));
    }
    ["target/release/bootstrap", "target/debug/bootstrap"]
        .iter()
        .map(|p| root().join(p))
        .find(|p| p.is_file())
}

/// The function's `components: …` line in `log` (how its components came: precompiled from
/// the cache or fetched, or as `.wasm`, or left to their first call), and its `component
/// `…`: …` lines (each loaded at its first call), if it wrote them.
fn components_line(log: &Path) -> Option<String> {
    let text = std::fs::read_to_string(log).ok()?;
    let line = text.lines().find(|l| l.contains("components: manifest "))?;
    let mut out = line.split("components: ").nth(1)?.to_string();
    for called in text.lines().filter(|l| l.contains("phases: component `")) {
        if let Some(rest) = called.split("phases: ").nth(1) {
            out.push_str("; ");
            out.push_str(rest);
        }
    }
    Some(out)
}

/// The milliseconds and steps of the function's `invocation to first task` line in `log`.
fn first_task_line(log: &Path) -> Option<(f64, String)> {
    let text = std::fs::read_to_string(log).ok()?;
    let line = text
        .lines()
        .find(|l| l.contains("invocation to first task: "))?;
    let rest = line.split("invocation to first task: ").nth(1)?;
    let ms = rest.split(" ms").next()?.trim().parse().ok()?;
    Some((ms, rest.to_string()))
}

pub fn lambda_cold_start(dirs: &[PathBuf], cache: &Path, report: &mut Report) {
    let what = "Lambda cold start to first task (seed workflow 1)";
    let Some(program) = bootstrap() else {
        report.add(
            what,
            "skipped".into(),
            "no bootstrap: cargo build --workspace --bins".into(),
        );
        return;
    };
    let runs = std::env::var("WHARF_BENCH_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3usize)
        .max(1);
    let moto = wharf_test_peers::moto_with_aws_env(SECRET, None);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let clients = rt.block_on(wharf_sage_runner::aws::clients(
        REGION,
        Some(&moto.endpoint()),
        0,
    ));
    let signing_key = rt.block_on(async {
        let kms = wharf_cloud::ManifestKey::client(Some(REGION), Some(&moto.endpoint())).await;
        wharf_test_peers::create_signing_key(&kms).await
    });
    let server = sshd::Sshd::start();
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

    let mut best: Option<(Duration, f64, String, Option<String>, Duration)> = None;
    for run in 0..runs {
        let bucket = format!("bench-{}", uuid::Uuid::new_v4().simple());
        let (jobs, results) = rt.block_on(wharf_test_peers::create_pipeline(
            &clients.s3,
            &clients.sqs,
            &bucket,
            REGION,
            &[],
        ));
        let deployed = Command::new(env!("CARGO_BIN_EXE_wharf"))
            .env(
                "WHARF_COMPONENTS",
                dirs.iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(":"),
            )
            .env("WHARF_CACHE_DIR", cache)
            .env("WHARF_DATA", dir.path().join("data"))
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_REGION", REGION)
            .args(["deploy", "--bucket", &bucket, "--customer", CUSTOMER])
            .args(["--endpoint-url", &moto.endpoint(), "--path-style"])
            .args(["--signing-key", &signing_key])
            .arg("--connections-file")
            .arg(&connections)
            .arg(root().join("examples/sftp-to-sage.yaml"))
            .output()
            .unwrap();
        assert!(
            deployed.status.success(),
            "wharf deploy: {}",
            String::from_utf8_lossy(&deployed.stderr)
        );

        let api = LambdaApi::start("wharf-bench");
        let id = api.invoke(
            json!({ "workflow": "sftp-to-sage" }),
            Duration::from_secs(900),
        );
        let sandbox = dir.path().join(format!("sandbox-{run}"));
        let log = dir.path().join(format!("lambda-{run}.log"));
        let log_file = std::fs::File::create(&log).unwrap();
        let started = Instant::now();
        let mut child = Command::new(&program)
            .env_clear()
            .envs(api.env())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("WHARF_BUCKET", &bucket)
            .env("WHARF_CUSTOMER", CUSTOMER)
            .env("WHARF_JOBS_QUEUE_URL", &jobs)
            .env("WHARF_RESULTS_QUEUE_URL", &results)
            .env("WHARF_LOCAL_DIR", &sandbox)
            .env("WHARF_DEADLINE_MARGIN_SECONDS", "30")
            .env("WHARF_SIGNING_KEY", &signing_key)
            .env("AWS_ENDPOINT_URL", moto.endpoint())
            .env("AWS_REGION", REGION)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("starting bootstrap");
        let handed_out = api.wait_handed_out(&id, Duration::from_secs(60));
        let init = started.elapsed();
        let outcome = api.wait(&id, Duration::from_secs(120));
        let answered = started.elapsed();
        let _ = child.kill();
        let _ = child.wait();
        assert!(handed_out, "the function never asked for its invocation");
        match outcome {
            Some(Outcome::Response(v)) if v["status"] == "suspended" => {}
            other => panic!(
                "the invocation did not suspend at the Sage task: {other:?}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            ),
        }
        let (ms, steps) = first_task_line(&log).expect("the function's first-task line");
        let total = init.as_secs_f64() * 1e3 + ms;
        if best
            .as_ref()
            .is_none_or(|(i, m, _, _, _)| i.as_secs_f64() * 1e3 + m > total)
        {
            best = Some((init, ms, steps, components_line(&log), answered));
        }
    }
    let (init, ms, steps, components, answered) = best.expect("a run");
    let init_ms = init.as_secs_f64() * 1e3;
    report.add(
        what,
        format!("{:.0} ms", init_ms + ms),
        format!(
            "{init_ms:.0} ms to the runtime API (process, settings, AWS clients; {})",
            program.strip_prefix(root()).unwrap_or(&program).display()
        ),
    );
    println!("    invocation to first task: {steps}");
    println!(
        "    from spawn to the invocation's answer (the run suspended at the Sage task): {:.0} ms",
        answered.as_secs_f64() * 1e3
    );
    if let Some(components) = components {
        println!("    components: {components}");
    }
}
