//! The keys of the customer's bucket and the names allowed in them.

use wharf_cloud::Layout;
use wharf_cloud::layout::{check_workflow_name, is_valid_name};

#[test]
fn keys_of_a_customer() {
    let l = Layout::new("acme-garden").unwrap();
    assert_eq!(l.customer_prefix(), "acme-garden/");
    assert_eq!(
        l.workflow("sftp-to-sage").unwrap(),
        "acme-garden/sftp-to-sage/workflow.yaml"
    );
    assert_eq!(
        l.workflow_prefix("sftp-to-sage").unwrap(),
        "acme-garden/sftp-to-sage/"
    );
    assert_eq!(
        l.component("split-xml").unwrap(),
        "acme-garden/components/split-xml.wasm"
    );
    let name = format!("{}.cwasm", "ab".repeat(32));
    assert_eq!(
        l.precompiled(&name).unwrap(),
        format!("acme-garden/components/precompiled/{name}")
    );
    assert_eq!(l.connections(), "acme-garden/connections.yaml");
    assert_eq!(l.mappings(), "acme-garden/mappings.yaml");
}

/// Names that can be key segments, and names that cannot.
fn good_names() -> Vec<String> {
    ["acme", "Acme_2", "v1.2-beta", &"x".repeat(128)]
        .map(String::from)
        .to_vec()
}

fn bad_names() -> Vec<String> {
    let names = [
        "", ".", "..", ".hidden", "a/b", "a b", "naïve", "a\nb", "a\\b", "%2e",
    ];
    let mut names = names.map(String::from).to_vec();
    names.push("x".repeat(129));
    names
}

#[test]
fn names_that_cannot_be_key_segments_are_refused() {
    for bad in bad_names() {
        assert!(!is_valid_name(&bad), "{bad:?}");
        let e = Layout::new(&bad).unwrap_err().to_string();
        assert!(e.starts_with("customer `"), "{e}");
    }
    for good in good_names() {
        assert!(is_valid_name(&good), "{good:?}");
    }
    let l = Layout::new("acme").unwrap();
    let e = l.component("../evil").unwrap_err().to_string();
    assert!(e.contains("task `../evil`"), "{e}");
    let e = l.workflow("my workflow").unwrap_err().to_string();
    assert!(e.contains("workflow `my workflow`"), "{e}");
}

#[test]
fn workflow_names_of_the_customers_own_prefixes_are_reserved() {
    for reserved in ["components", "jobs", "workflows"] {
        let e = check_workflow_name(reserved).unwrap_err().to_string();
        assert!(e.contains("reserved"), "{e}");
        assert!(Layout::new("acme").unwrap().workflow(reserved).is_err());
    }
    // A task may still be called so: it lives under components/.
    assert!(Layout::new("acme").unwrap().component("jobs").is_ok());
}

/// The cloud's layout, the S3 store and the Sage runner name customers by one rule
/// (`wharf_engine::identity::is_key_name`), and a workflow's `id:` follows it too: what one
/// accepts, the others accept.
#[test]
fn the_layout_the_s3_store_and_the_sage_runner_agree_on_names() {
    let dir = tempfile::tempdir().unwrap();
    let runner_file = dir.path().join("runner.yaml");
    std::fs::create_dir(dir.path().join("components")).unwrap();
    for name in good_names().iter().chain(&bad_names()) {
        let name = name.as_str();
        let layout = wharf_cloud::Layout::new(name).is_ok();
        let store_config = wharf_s3_store::S3StoreConfig {
            endpoint_url: Some("http://127.0.0.1:9".into()),
            region: Some("eu-west-2".into()),
            ..wharf_s3_store::S3StoreConfig::new("wharf-test", name, "orders")
        };
        let store = wharf_s3_store::S3Store::new(store_config).is_ok();
        // Only the customer may be refused: the rest of the file is valid.
        let runner = match wharf_sage_runner::config::Config::parse(
            &runner_file,
            &format!(
                "bucket: wharf-acme\ncustomer: {}\njobs_queue_url: https://sqs.eu-west-2.amazonaws.com/1/jobs\nresults_queue_url: https://sqs.eu-west-2.amazonaws.com/1/results\nledger: ledger.sqlite\ncomponents: components\nstate_dir: state\n",
                serde_json::to_string(name).unwrap()
            ),
        ) {
            Ok(_) => true,
            Err(e) if e.setting.as_deref() == Some("customer") => false,
            Err(e) => panic!("the runner's file is wrong beyond its customer: {e}"),
        };
        let workflow_id = wharf_engine::identity::workflow_id(Some(name), "W").is_ok();
        let workflow_in_store = wharf_s3_store::S3Store::new(wharf_s3_store::S3StoreConfig {
            endpoint_url: Some("http://127.0.0.1:9".into()),
            region: Some("eu-west-2".into()),
            ..wharf_s3_store::S3StoreConfig::new("wharf-test", "acme", name)
        })
        .is_ok();
        let expected = wharf_engine::identity::is_key_name(name);
        assert_eq!(
            [layout, store, runner, workflow_id, workflow_in_store],
            [expected; 5],
            "{name:?}: layout, S3 store customer, runner customer, workflow id, S3 store workflow"
        );
    }
}
