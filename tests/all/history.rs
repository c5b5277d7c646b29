//! `wharf history --bucket B --customer C WORKFLOW`: a deployed workflow's cloud runs, read
//! from the bucket's run index (moto on 127.0.0.1), as the table, one run's report and JSON,
//! with who started each.

use crate::support::{TestEnv, s3_store, wharf_command};
use chrono::{Duration, Utc};
use wharf_engine::storage::Storage;
use wharf_engine::{ResultCode, RunRecord};
use wharf_sage_runner::aws;

const REGION: &str = "eu-west-1";
const CUSTOMER: &str = "acme";

fn record(id: &str, minutes_ago: i64, result: ResultCode, message: &str) -> RunRecord {
    let started = Utc::now() - Duration::minutes(minutes_ago);
    serde_json::from_value(serde_json::json!({
        "id": id, "workflow": "Orders", "started": started,
        "ended": started + Duration::seconds(30), "result": result, "message": message,
        "started_by": "cloud:schedule", "tasks": [],
    }))
    .unwrap()
}

#[test]
fn cloud_runs_are_read_from_the_bucket() {
    let moto = crate::cloud::moto();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let clients = rt.block_on(aws::clients(REGION, Some(&moto.endpoint()), 0));
    let bucket = format!("history-{}", uuid::Uuid::new_v4().simple());
    rt.block_on(wharf_test_peers::create_bucket(
        &clients.s3,
        &bucket,
        REGION,
    ));
    let store = s3_store(&moto.endpoint(), REGION, &bucket, CUSTOMER, "orders");
    store
        .put_run(&record("a1", 60, ResultCode::Success, "3 orders imported"))
        .unwrap();
    store
        .put_run(&record(
            "b2",
            30,
            ResultCode::Fail,
            "the shop did not answer",
        ))
        .unwrap();

    let env = TestEnv::new();
    let history = |more: &[&str]| {
        let out = wharf_command(&env.data())
            .args([
                "history",
                "orders",
                "--bucket",
                &bucket,
                "--customer",
                CUSTOMER,
            ])
            .args([
                "--endpoint-url",
                &moto.endpoint(),
                "--path-style",
                "--region",
                REGION,
            ])
            .args(more)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, json, err) = history(&["--json"]);
    // The last run failed: exit 1, as for local runs.
    assert_eq!(code, Some(1), "{err}");
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let runs = json["runs"].as_array().unwrap();
    assert_eq!(
        runs.iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["a1", "b2"]
    );
    assert!(runs.iter().all(|r| r["started_by"] == "cloud:schedule"));
    let (_, table, _) = history(&[]);
    assert!(table.contains("the shop did not answer"), "{table}");
    let (code, report, err) = history(&["--run", "b2"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(report.contains("the shop did not answer"), "{report}");
    assert!(
        report.contains(&format!("s3://{bucket}")) || report.contains(&bucket),
        "{report}"
    );
    // A workflow with no runs there is an empty history, not an error about local files.
    let (code, _, err) = history(&["--run", "zz"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no run `zz`"), "{err}");
}
