//! Cloud mode at scale: 5 customers with 10 workflows each, every schedule fired at the same
//! instant (EventBridge groups fire together), two function sandboxes per customer. Every run
//! ends once, in success, with its own files; then one workflow's history grows to thousands
//! of run records and a run of it costs the same S3 requests as a run of a workflow with none
//! (counted through a proxy that carries one request per connection).

use super::*;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use wharf_test_peers::proxy::Proxy;

const CUSTOMERS: usize = 5;
const WORKFLOWS: usize = 10;
/// Run records added to one workflow's history: a 5-minute schedule's week.
const HISTORY: usize = 2_000;

/// A small workflow that touches the S3 working directory: unless `paused.txt` is there, files
/// dropped in `drop/` move to `done/`.
const SCALE_WORKFLOW: &str = r#"tasks:
  - task: if-file-exists
    id: not-paused
    equal-to: false
    settings: { input-file: paused.txt }
    tasks:
      - task: file-repeater
        id: each-drop
        settings: { input-directory: drop }
        tasks:
          - task: move-file
            id: file-it
            settings: { input-file: "{{ current.FullName }}", output-file: "done/{{ current.Name }}" }
"#;

/// One customer's function: its bucket and queues, its runtime API and its sandboxes.
struct Customer {
    name: String,
    bucket: String,
    jobs_queue: String,
    results_queue: String,
    api: LambdaApi,
    sandboxes: Vec<Child>,
}

impl Drop for Customer {
    fn drop(&mut self) {
        for child in &mut self.sandboxes {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn workflow_name(index: usize) -> String {
    format!("scale-{index:02}")
}

impl Customer {
    fn store(&self, workflow: &str, endpoint: &str) -> S3Store {
        crate::support::s3_store(endpoint, REGION, &self.bucket, &self.name, workflow)
    }

    /// Starts one more sandbox of the function, its S3 and SQS requests going to `endpoint`.
    fn start_sandbox(&mut self, dir: &Path, signing_key: &str, endpoint: &str) {
        let local = dir.join(format!("{}-sandbox-{}", self.name, self.sandboxes.len()));
        let log = std::fs::File::create(dir.join(format!(
            "{}-sandbox-{}.log",
            self.name,
            self.sandboxes.len()
        )))
        .unwrap();
        let child = Function {
            api: &self.api,
            bucket: &self.bucket,
            customer: &self.name,
            jobs_queue: &self.jobs_queue,
            results_queue: &self.results_queue,
            signing_key,
            endpoint,
        }
        .command(&local, 30.0)
        .env("RUST_LOG", "warn")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("starting bootstrap");
        self.sandboxes.push(child);
    }

    fn stop_sandboxes(&mut self) {
        for mut child in self.sandboxes.drain(..) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Fires the schedule of `workflow` and waits for the function's answer.
    fn schedule(&self, workflow: &str) -> Value {
        let id = self.api.invoke(json!({ "workflow": workflow }), TIMEOUT);
        self.answer(&id)
    }

    fn answer(&self, id: &str) -> Value {
        match self.api.wait(id, ANSWER_WAIT) {
            Some(Outcome::Response(value)) => value,
            other => panic!("customer {}: invocation {id}: {other:?}", self.name),
        }
    }
}

#[test]
fn fifty_workflows_of_five_customers_scheduled_together_each_run_once_at_a_constant_cost() {
    let moto = moto();
    let env = crate::support::TestEnv::new();
    let dir = env.dir.path().to_path_buf();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let clients = rt.block_on(aws::clients(REGION, Some(&moto.endpoint()), 0));
    let signing_key = rt.block_on(async {
        let kms = wharf_cloud::ManifestKey::client(Some(REGION), Some(&moto.endpoint())).await;
        wharf_test_peers::create_signing_key(&kms).await
    });
    let workflows_dir = dir.join("workflows");
    std::fs::create_dir_all(&workflows_dir).unwrap();
    let files: Vec<PathBuf> = (0..WORKFLOWS)
        .map(|w| {
            let file = workflows_dir.join(format!("{}.yaml", workflow_name(w)));
            let name = workflow_name(w);
            std::fs::write(&file, format!("name: {name}\nid: {name}\n{SCALE_WORKFLOW}")).unwrap();
            file
        })
        .collect();

    // Each customer: a bucket and queues, its workflows deployed, a file dropped for each.
    let mut customers: Vec<Customer> = (0..CUSTOMERS)
        .map(|c| {
            let name = format!("customer-{c}");
            let bucket = format!("scale-{c}-{}", uuid::Uuid::new_v4().simple());
            let (jobs_queue, results_queue) = rt.block_on(wharf_test_peers::create_pipeline(
                &clients.s3,
                &clients.sqs,
                &bucket,
                REGION,
                &[],
            ));
            for file in &files {
                let out = wharf_command(&env.data())
                    .env("AWS_ACCESS_KEY_ID", "test")
                    .env("AWS_SECRET_ACCESS_KEY", SECRET)
                    .env("AWS_REGION", REGION)
                    .args(["deploy", "--bucket", &bucket, "--customer", &name])
                    .args(["--endpoint-url", &moto.endpoint(), "--path-style"])
                    .args(["--signing-key", &signing_key])
                    .arg(file)
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "wharf deploy {}: {}{}",
                    file.display(),
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            rt.block_on(async {
                for w in 0..WORKFLOWS {
                    let key = format!("{name}/{}/work/drop/order-{c}-{w}.xml", workflow_name(w));
                    clients
                        .s3
                        .put_object()
                        .bucket(&bucket)
                        .key(key)
                        .body(format!("<Order>{c}-{w}</Order>").into_bytes().into())
                        .send()
                        .await
                        .unwrap();
                }
            });
            Customer {
                name: name.clone(),
                bucket,
                jobs_queue,
                results_queue,
                api: LambdaApi::start(&format!("wharf-{name}")),
                sandboxes: Vec::new(),
            }
        })
        .collect();
    for customer in &mut customers {
        for _ in 0..2 {
            customer.start_sandbox(&dir, &signing_key, &moto.endpoint());
        }
    }

    // Every schedule at the same instant: 50 invocations queued before any answer is read.
    let fired: Vec<(usize, String, String)> = customers
        .iter()
        .enumerate()
        .flat_map(|(c, customer)| {
            (0..WORKFLOWS).map(move |w| {
                let workflow = workflow_name(w);
                let id = customer
                    .api
                    .invoke(json!({ "workflow": workflow }), TIMEOUT);
                (c, workflow, id)
            })
        })
        .collect();
    assert_eq!(fired.len(), CUSTOMERS * WORKFLOWS);
    for (c, workflow, id) in &fired {
        let answer = customers[*c].answer(id);
        let reports = answer["reports"].as_array().cloned().unwrap_or_default();
        let report = reports.first().unwrap_or(&answer);
        assert!(
            ended(report),
            "customer-{c} {workflow}: the run did not end: {answer}"
        );
    }
    for (c, customer) in customers.iter().enumerate() {
        for w in 0..WORKFLOWS {
            let workflow = workflow_name(w);
            let store = customer.store(&workflow, &moto.endpoint());
            let runs = store.list_runs().unwrap();
            assert_eq!(runs.len(), 1, "customer-{c} {workflow}: one run: {runs:#?}");
            assert!(runs[0].result.is_success(), "{}", runs[0].message);
            assert!(store.load_checkpoint().unwrap().is_none());
            let moved = format!("{}/{workflow}/work/done/order-{c}-{w}.xml", customer.name);
            let left = format!("{}/{workflow}/work/drop/order-{c}-{w}.xml", customer.name);
            let keys = rt.block_on(async {
                clients
                    .s3
                    .list_objects_v2()
                    .bucket(&customer.bucket)
                    .prefix(format!("{}/{workflow}/work/", customer.name))
                    .send()
                    .await
                    .unwrap()
                    .contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned))
                    .collect::<Vec<_>>()
            });
            assert!(
                keys.contains(&moved) && !keys.contains(&left),
                "customer-{c} {workflow}: its file moved: {keys:?}"
            );
        }
    }

    // One workflow's history grows to thousands of records (a week at a 5-minute schedule),
    // copies of its real record; its neighbour keeps one.
    let customer = &mut customers[0];
    let (long, short) = (workflow_name(0), workflow_name(1));
    let direct = Arc::new(customer.store(&long, &moto.endpoint()));
    let template = direct.list_runs().unwrap().remove(0);
    let now = chrono::Utc::now();
    rt.block_on(async {
        let mut pending = tokio::task::JoinSet::new();
        for i in 0..HISTORY {
            let direct = direct.clone();
            let mut record = template.clone();
            record.id = format!("history-{i:05}");
            record.started = now - chrono::Duration::minutes(5 * (HISTORY - i) as i64 + 10);
            record.ended = Some(record.started + chrono::Duration::seconds(2));
            pending.spawn_blocking(move || direct.put_run(&record).unwrap());
            if pending.len() >= 32 {
                pending.join_next().await.unwrap().unwrap();
            }
        }
        while let Some(done) = pending.join_next().await {
            done.unwrap();
        }
    });
    assert_eq!(direct.list_runs().unwrap().len(), HISTORY + 1);

    // The same run of each, alone, through the counting proxy.
    customer.stop_sandboxes();
    let proxy = Proxy::start(moto.port, vec![]);
    customer.start_sandbox(&dir, &signing_key, &proxy.endpoint);
    let count = || proxy.counts.connections.load(Ordering::SeqCst);
    let cost = |workflow: &str| {
        let before = count();
        let answer = customer.schedule(workflow);
        let reports = answer["reports"].as_array().cloned().unwrap_or_default();
        assert!(
            ended(reports.first().unwrap_or(&answer)),
            "{workflow}: {answer}"
        );
        count() - before
    };
    // A first run warms the sandbox (its first S3 and KMS reads), as a warm Lambda would be.
    cost(&short);
    let without_history = cost(&short);
    let with_history = cost(&long);
    assert!(
        with_history <= without_history + 2,
        "a run with {HISTORY} records of history took {with_history} requests, one with none {without_history}"
    );
    assert_eq!(
        customer
            .store(&long, &moto.endpoint())
            .list_runs()
            .unwrap()
            .len(),
        HISTORY + 2,
        "the history kept (none expired) plus the new run"
    );
}
