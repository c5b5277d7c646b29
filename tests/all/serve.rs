//! `wharf serve` (issue 17 §1): the pages over HTTP (the token guarding runs, the loopback
//! default, no secret or token in a page) and, in headless Chromium over WebDriver, clicking
//! through a failed run, resuming it and watching it finish; `wharf serve --bucket` showing a
//! customer's cloud runs from S3 (moto), read only.

use crate::support::{TestEnv, repo_root, wharf_command};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A workflow that fails at its second task until `needed.txt` is in its working directory,
/// then resumes there and archives its working directory.
const NIGHTLY: &str = "name: Nightly orders
resume-on-failure: true
tasks:
  - task: copy-file
    name: Copy the orders
    settings: { input-file: orders.xml, output-file: copies/orders.xml }
  - task: delete-file
    name: Remove the marker
    settings: { input-file: needed.txt }
  - task: archive-workflow-data
    name: Archive the run
    grants: [archive]
";

/// A connection's secret (in a secrets file the connections file names): no page may show it.
const SECRET: &str = "hunter2-wharf-serve-secret";

/// A data folder with one failed run of [`NIGHTLY`]; its workflow file and working directory.
fn failed_nightly(env: &TestEnv) -> (PathBuf, PathBuf) {
    let wf = env.workflow(NIGHTLY);
    let work = env.binary_data(&wf).join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("orders.xml"), "<orders/>").unwrap();
    let secret_file = env.dir.path().join("shop.token");
    std::fs::write(&secret_file, SECRET).unwrap();
    std::fs::write(
        env.data().join("connections.yaml"),
        format!(
            "http:\n  shop:\n    base-url: http://127.0.0.1:9/\n    auth: {{ bearer: {{ file: {} }} }}\n",
            secret_file.display()
        ),
    )
    .unwrap();
    let out = wharf_command(&env.data())
        .arg("run")
        .arg(&wf)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (wf, work)
}

/// A running `wharf serve`, stopped when dropped.
struct Server {
    child: Child,
    /// `http://127.0.0.1:port`
    base: String,
    token: String,
}

impl Server {
    fn start(env: &TestEnv, args: &[&str]) -> Server {
        let mut child = wharf_command(&env.data())
            .arg("serve")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let token = lines.next().unwrap().unwrap();
        let url = first.strip_prefix("wharf serve: ").expect(&first);
        let (base, _) = url.split_once("/?token=").expect(url);
        Server {
            child,
            base: base.to_owned(),
            token: token.strip_prefix("token: ").expect(&token).to_owned(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The folder name (workflow identity) of the only workflow in `data`.
fn only_workflow(data: &Path) -> String {
    let ids: Vec<String> = std::fs::read_dir(data)
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("runs").is_dir())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    ids[0].clone()
}

/// The newest run record of workflow `id`, once it has ended.
fn wait_for_end(data: &Path, id: &str, run: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        for entry in std::fs::read_dir(data.join(id).join("runs"))
            .unwrap()
            .flatten()
        {
            let record: serde_json::Value =
                serde_json::from_slice(&std::fs::read(entry.path()).unwrap()).unwrap_or_default();
            if record["id"] == run && !record["ended"].is_null() {
                return record;
            }
        }
        assert!(Instant::now() < deadline, "run {run} did not end");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn starting_a_run_needs_the_token_and_no_page_shows_a_secret() {
    let env = TestEnv::new();
    let (_wf, work) = failed_nightly(&env);
    let id = only_workflow(&env.data());
    let server = Server::start(&env, &["--listen", "127.0.0.1:0"]);
    assert!(
        server.base.starts_with("http://127.0.0.1:"),
        "{}",
        server.base
    );
    let client = http();
    let rt = runtime();
    rt.block_on(async {
        let get = |path: String| {
            let client = client.clone();
            let url = format!("{}{path}", server.base);
            async move {
                let response = client.get(&url).send().await.unwrap();
                (response.status().as_u16(), response.text().await.unwrap())
            }
        };
        let (status, home) = get("/".into()).await;
        assert_eq!(status, 200, "{home}");
        assert!(home.contains("Nightly orders"), "{home}");
        assert!(home.contains("Resume"), "the last result: {home}");
        let (status, runs) = get(format!("/w/{id}")).await;
        assert_eq!(status, 200, "{runs}");
        let failed_run = runs
            .split(&format!("/w/{id}/runs/"))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect(&runs)
            .to_owned();
        let (status, run_page) = get(format!("/w/{id}/runs/{failed_run}")).await;
        assert_eq!(status, 200);
        assert!(run_page.contains("Remove the marker"), "{run_page}");
        assert!(run_page.contains("NotFound"), "{run_page}");
        let (status, missing) = get(format!("/w/{id}/runs/no-such-run")).await;
        assert_eq!(status, 404, "{missing}");
        let (status, _) = get("/w/..%2F..%2Fetc/".into()).await;
        assert_eq!(status, 404);
        for page in [&home, &runs, &run_page] {
            assert!(!page.contains(SECRET), "a page shows the password: {page}");
            assert!(
                !page.contains(&server.token),
                "a page shows the token: {page}"
            );
        }

        // Without the token, or with another, nothing starts.
        let start = format!("{}/w/{id}/start", server.base);
        let refused = client
            .post(&start)
            .form(&[("mode", "resume")])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status().as_u16(), 401);
        let wrong = client
            .post(&start)
            .bearer_auth("0123456789abcdef0123456789abcdef")
            .form(&[("mode", "resume")])
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status().as_u16(), 401);
        let (status, _) = get("/?token=not-the-token".into()).await;
        assert_eq!(status, 401);
        assert_eq!(
            std::fs::read_dir(env.data().join(&id).join("runs"))
                .unwrap()
                .count(),
            1,
            "a refused request started a run"
        );

        // The start-up address sets the cookie that the buttons then carry.
        let login = get(format!("/?token={}", server.token));
        let (status, _) = login.await;
        assert_eq!(status, 303);

        // With the token: the run resumes at the failed task and the answer is its page.
        std::fs::write(work.join("needed.txt"), "now it exists").unwrap();
        let resumed = client
            .post(&start)
            .bearer_auth(&server.token)
            .form(&[("mode", "resume")])
            .send()
            .await
            .unwrap();
        assert_eq!(resumed.status().as_u16(), 303);
        let location = resumed.headers()["location"].to_str().unwrap().to_owned();
        let new_run = location.rsplit('/').next().unwrap().to_owned();
        assert_ne!(new_run, failed_run);
        let record = wait_for_end(&env.data(), &id, &new_run);
        assert_eq!(record["result"], "Success", "{record}");
        assert_eq!(record["resumed_from"], "1", "{record}");

        // Its progress stream ends at once with its result; its archive downloads.
        let (status, events) = get(format!("{location}/events")).await;
        assert_eq!(status, 200);
        assert!(events.contains("event: end\ndata: Success"), "{events}");
        let archive = client
            .get(format!("{}{location}/archive", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(archive.status().as_u16(), 200);
        assert!(archive.bytes().await.unwrap().starts_with(b"PK"));
        let (status, _) = get(format!("/w/{id}/runs/{failed_run}/archive")).await;
        assert_eq!(status, 404, "the failed run archived nothing");
    });
}

#[test]
fn serve_listens_on_the_loopback_by_default_and_wants_a_long_token() {
    let env = TestEnv::new();
    // The default address: this machine only. (Another process may hold the default port:
    // then the error names the address it tried.)
    let mut child = wharf_command(&env.data())
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let first = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .next()
        .and_then(Result::ok);
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let said = first.unwrap_or_else(|| String::from_utf8_lossy(&out.stderr).into_owned());
    assert!(said.contains("127.0.0.1:8420"), "{said}");

    let out = wharf_command(&env.data())
        .args(["serve", "--listen", "127.0.0.1:0", "--token", "short"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("at least 16 characters"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// chromedriver on a free port of 127.0.0.1, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian's chromium-driver, installed by .ci/run)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Chromium session through `driver`, with its profile in `profile`.
async fn chromium(driver: &Driver, profile: &Path) -> fantoccini::Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    fantoccini::ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session")
}

async fn screenshot(browser: &fantoccini::Client, name: &str) {
    let dir = repo_root().join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = browser.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
    std::fs::write(dir.join(format!("serve-{name}.png")), png).unwrap();
}

#[test]
fn in_a_browser_a_failed_run_is_resumed_and_seen_to_finish() {
    use fantoccini::Locator;
    let env = TestEnv::new();
    let (_wf, work) = failed_nightly(&env);
    let server = Server::start(&env, &["--listen", "127.0.0.1:0"]);
    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let rt = runtime();
    rt.block_on(async {
        let browser = chromium(&driver, profile.path()).await;

        // The address `wharf serve` printed: the token becomes a cookie and leaves the URL.
        browser
            .goto(&format!("{}/?token={}", server.base, server.token))
            .await
            .unwrap();
        assert_eq!(browser.current_url().await.unwrap().path(), "/");
        let listed = browser.find(Locator::Css("#workflows")).await.unwrap();
        let text = listed.text().await.unwrap();
        assert!(
            text.contains("Nightly orders") && text.contains("Resume"),
            "{text}"
        );
        screenshot(&browser, "workflows").await;

        browser
            .find(Locator::LinkText("Nightly orders"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let runs = browser.find(Locator::Css("#runs")).await.unwrap();
        assert!(runs.text().await.unwrap().contains("Resume"));
        screenshot(&browser, "workflow").await;

        browser
            .find(Locator::Css("#runs tr:nth-child(2) a"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let status = browser.find(Locator::Css("#status")).await.unwrap();
        assert_eq!(status.text().await.unwrap(), "Resume");
        let tasks = browser.find(Locator::Css("#tasks")).await.unwrap();
        let tasks_text = tasks.text().await.unwrap();
        assert!(
            tasks_text.contains("Remove the marker") && tasks_text.contains("NotFound"),
            "{tasks_text}"
        );
        screenshot(&browser, "run-failed").await;

        // Fix the cause, resume, and watch the new run's page until it says Success.
        std::fs::write(work.join("needed.txt"), "now it exists").unwrap();
        browser
            .find(Locator::Css("button#resume"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        browser
            .wait()
            .at_most(Duration::from_secs(60))
            .for_element(Locator::Css("#status.ok"))
            .await
            .expect("the resumed run's page shows it succeeded");
        let status = browser.find(Locator::Css("#status")).await.unwrap();
        assert_eq!(status.text().await.unwrap(), "Success");
        let page = browser.source().await.unwrap();
        assert!(page.contains("Resumed at task 1"), "{page}");
        assert!(!page.contains(SECRET) && !page.contains(&server.token));
        browser.find(Locator::Css("a#archive")).await.unwrap();
        screenshot(&browser, "run-resumed").await;

        browser.close().await.unwrap();
    });
}

/// A customer's bucket in moto with workflow `orders` deployed and two cloud runs of it (a
/// success that archived, a failure with a fail file and log lines), beside the customer's own
/// prefixes and a connections file with a secret in it; the bucket's name.
fn cloud_orders(moto: &wharf_test_peers::Moto) -> String {
    use aws_sdk_s3::primitives::ByteStream;
    use wharf_engine::storage::Storage;
    let rt = runtime();
    let clients = rt.block_on(wharf_sage_runner::aws::clients(
        CLOUD_REGION,
        Some(&moto.endpoint()),
        0,
    ));
    let bucket = format!("serve-{}", uuid::Uuid::new_v4().simple());
    rt.block_on(wharf_test_peers::create_bucket(
        &clients.s3,
        &bucket,
        CLOUD_REGION,
    ));
    let put = |key: &str, body: &[u8]| {
        rt.block_on(
            clients
                .s3
                .put_object()
                .bucket(&bucket)
                .key(key)
                .body(ByteStream::from(body.to_vec()))
                .send(),
        )
        .unwrap();
    };
    put(
        "acme/orders/workflow.yaml",
        b"id: orders\nname: Web orders\ntasks:\n  - task: copy-file\n    name: Fetch the orders\n    settings: { input-file: in.xml, output-file: orders.xml }\n  - task: sage50-import-sales-orders\n    name: Import into Sage\n    settings: { input-file: orders.xml, fail-file: orders_fail.xml }\n",
    );
    put(
        "acme/orders/work/orders_fail.xml",
        b"<Orders><Order><Id>WEB-7</Id><Reason>customer ACME01 is on hold</Reason></Order></Orders>",
    );
    put(
        "acme/orders/archive/orders-a1.zip",
        b"PK\x03\x04 the archive",
    );
    put("acme/components/copy-file.wasm", b"\0asm");
    put("acme/jobs/j1/job.json", b"{}");
    put(
        "acme/connections.yaml",
        format!(
            "http:\n  shop: {{ base-url: 'https://x', auth: {{ bearer: '{CLOUD_SECRET}' }} }}\n"
        )
        .as_bytes(),
    );
    let store = crate::support::s3_store(&moto.endpoint(), CLOUD_REGION, &bucket, "acme", "orders");
    let started = chrono::Utc::now() - chrono::Duration::minutes(60);
    let task = |path: &str, name: &str, kind: &str, result: &str, message: &str, failed: u64| {
        serde_json::json!({
            "path": path, "id": "", "name": name, "kind": kind, "started": started,
            "ended": started + chrono::Duration::seconds(2), "result": result, "message": message,
            "counts": { "records_in": 3, "records_out": 3 - failed, "records_failed": failed },
            "logs": [{ "at": started, "level": "info", "message": format!("{name}: log line") }],
        })
    };
    for record in [
        serde_json::json!({
            "id": "a1", "workflow": "Web orders", "started": started,
            "ended": started + chrono::Duration::seconds(30), "result": "Success",
            "message": "3 orders imported", "started_by": "cloud:schedule",
            "archive_path": "orders-a1.zip",
            "tasks": [task("0", "Fetch the orders", "copy-file", "Success", "copied", 0)],
        }),
        serde_json::json!({
            "id": "b2", "workflow": "Web orders", "started": started + chrono::Duration::minutes(30),
            "ended": started + chrono::Duration::minutes(31), "result": "Resume",
            "message": "task 1 failed", "started_by": "cloud:schedule", "resume_at": "1",
            "tasks": [
                task("0", "Fetch the orders", "copy-file", "Success", "copied", 0),
                task("1", "Import into Sage", "sage50-import-sales-orders", "Fail", "1 order refused", 1),
            ],
        }),
    ] {
        store
            .put_run(&serde_json::from_value(record).unwrap())
            .unwrap();
    }
    bucket
}

const CLOUD_REGION: &str = "eu-west-1";
/// A secret in the customer's connections file, which `wharf serve` never reads.
const CLOUD_SECRET: &str = "hunter2-cloud-connection-secret";

fn serve_bucket(env: &TestEnv, moto: &wharf_test_peers::Moto, bucket: &str) -> Server {
    Server::start(
        env,
        &[
            "--listen",
            "127.0.0.1:0",
            "--bucket",
            bucket,
            "--customer",
            "acme",
            "--endpoint-url",
            &moto.endpoint(),
            "--path-style",
            "--region",
            CLOUD_REGION,
        ],
    )
}

#[test]
fn cloud_runs_are_served_from_the_bucket_read_only() {
    let moto = crate::cloud::moto();
    let bucket = cloud_orders(moto);
    let env = TestEnv::new();
    let server = serve_bucket(&env, moto, &bucket);
    let aws_secret = std::env::var("AWS_SECRET_ACCESS_KEY").unwrap();
    let client = http();
    runtime().block_on(async {
        let get = |path: &str| {
            let client = client.clone();
            let url = format!("{}{path}", server.base);
            async move {
                let response = client.get(&url).send().await.unwrap();
                (response.status().as_u16(), response.bytes().await.unwrap())
            }
        };
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        let (status, home) = get("/").await;
        let home = text(&home[..]);
        assert_eq!(status, 200, "{home}");
        // (minijinja writes `/` as `&#x2f;` in text.)
        assert!(
            home.contains("Cloud runs in s3:") && home.contains(&bucket),
            "{home}"
        );
        assert!(
            home.contains("Web orders") && home.contains("Resume"),
            "{home}"
        );
        // The customer's own prefixes are not workflows.
        assert!(
            !home.contains("/w/components") && !home.contains("/w/jobs"),
            "{home}"
        );
        let (status, runs) = get("/w/orders").await;
        let runs = text(&runs[..]);
        assert_eq!(status, 200, "{runs}");
        assert!(
            runs.contains("/w/orders/runs/a1") && runs.contains("/w/orders/runs/b2"),
            "{runs}"
        );
        assert!(runs.contains("cloud:schedule"), "{runs}");
        assert!(
            runs.contains("aws lambda invoke --function-name wharf-acme")
                && runs.contains("&quot;workflow&quot;:&quot;orders&quot;"),
            "the command that starts a cloud run: {runs}"
        );
        let (status, failed) = get("/w/orders/runs/b2").await;
        let failed = text(&failed[..]);
        assert_eq!(status, 200, "{failed}");
        for shown in [
            "Import into Sage",
            "1 order refused",
            "Import into Sage: log line",
            "The next run resumes at task 1",
            "orders_fail.xml",
            "customer ACME01 is on hold",
            "wharf cloud status --bucket",
        ] {
            assert!(failed.contains(shown), "`{shown}` missing: {failed}");
        }
        let (status, succeeded) = get("/w/orders/runs/a1").await;
        let succeeded = text(&succeeded[..]);
        assert_eq!(status, 200);
        assert!(
            succeeded.contains("/w/orders/runs/a1/archive"),
            "{succeeded}"
        );
        let (status, archive) = get("/w/orders/runs/a1/archive").await;
        assert_eq!(status, 200);
        assert_eq!(&archive[..], b"PK\x03\x04 the archive");
        let (status, _) = get("/w/orders/runs/b2/archive").await;
        assert_eq!(status, 404, "the failed run archived nothing");
        for missing in ["/w/components", "/w/jobs", "/w/nope", "/w/orders/runs/zz"] {
            assert_eq!(get(missing).await.0, 404, "{missing}");
        }
        for page in [&home, &runs, &failed, &succeeded] {
            assert!(
                !page.contains(CLOUD_SECRET),
                "a page shows a connection's secret"
            );
            assert!(
                !page.contains(&aws_secret),
                "a page shows the AWS secret key"
            );
            assert!(!page.contains(&server.token), "a page shows the token");
        }

        // Runs are not started from here: even with the token the answer is the command.
        let started = client
            .post(format!("{}/w/orders/start", server.base))
            .bearer_auth(&server.token)
            .form(&[("mode", "resume")])
            .send()
            .await
            .unwrap();
        assert_eq!(started.status().as_u16(), 409);
        let said = started.text().await.unwrap();
        assert!(said.contains("aws lambda invoke"), "{said}");
        let unauthorised = client
            .post(format!("{}/w/orders/start", server.base))
            .form(&[("mode", "resume")])
            .send()
            .await
            .unwrap();
        assert_eq!(unauthorised.status().as_u16(), 401);
    });
}

#[test]
fn in_a_browser_cloud_runs_are_read_from_the_bucket() {
    use fantoccini::Locator;
    let moto = crate::cloud::moto();
    let bucket = cloud_orders(moto);
    let env = TestEnv::new();
    let server = serve_bucket(&env, moto, &bucket);
    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let browser = chromium(&driver, profile.path()).await;
        browser
            .goto(&format!("{}/?token={}", server.base, server.token))
            .await
            .unwrap();
        let listed = browser.find(Locator::Css("#workflows")).await.unwrap();
        let text = listed.text().await.unwrap();
        assert!(
            text.contains("Web orders") && text.contains("Resume"),
            "{text}"
        );
        screenshot(&browser, "cloud-workflows").await;
        browser
            .find(Locator::LinkText("Web orders"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let start = browser
            .find(Locator::Css("button#cloud-start"))
            .await
            .unwrap();
        assert!(
            !start.is_enabled().await.unwrap(),
            "cloud runs start in the function"
        );
        assert!(
            browser.find(Locator::Css("button#resume")).await.is_err(),
            "no local run button for a cloud workflow"
        );
        browser
            .find(Locator::Css("#runs tr:nth-child(2) a"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let status = browser.find(Locator::Css("#status")).await.unwrap();
        assert_eq!(status.text().await.unwrap(), "Resume");
        let invoke = browser.find(Locator::Css("#cloud-invoke")).await.unwrap();
        assert!(
            invoke
                .text()
                .await
                .unwrap()
                .contains("--function-name wharf-acme")
        );
        screenshot(&browser, "cloud-run-failed").await;
        let page = browser.source().await.unwrap();
        assert!(!page.contains(CLOUD_SECRET) && !page.contains(&server.token));
        browser.close().await.unwrap();
    });
}
