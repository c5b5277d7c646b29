//! `deploy`: what lands in the bucket, what a redeploy skips, and what is refused before
//! anything is uploaded.

use crate::support::{
    CONNECTIONS, CUSTOMER, MAPPINGS, ORDERS, Project, SECRET, bucket, component, engine, target,
};
use wharf_cloud::{DeployError, ObjectKind, ObjectStatus, deploy};

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn uploads_the_workflow_its_components_precompiled_and_the_customer_files() {
    let b = bucket("deploy");
    let p = Project::new();
    let wf = p.write("orders.yaml", ORDERS);
    let conns = p.write("connections.yaml", CONNECTIONS);
    let maps = p.write("mappings.yaml", MAPPINGS);
    let engine = engine(Some(&conns));
    let report = deploy(&engine, &wf, Some(&conns), Some(&maps), &target(&b.name)).unwrap();
    assert_eq!(report.workflow, "orders");
    assert_eq!(report.customer, CUSTOMER);

    let copy = std::fs::read(component("copy-file")).unwrap();
    let download = std::fs::read(component("sftp-download")).unwrap();
    let rt = &engine.runtime;
    let pre = |wasm: &[u8]| format!("acme/components/precompiled/{}", rt.precompiled_name(wasm));
    let mut expected = vec![
        "acme/components/sftp-download.wasm".to_string(),
        "acme/components/copy-file.wasm".to_string(),
        pre(&download),
        pre(&copy),
        "acme/connections.yaml".to_string(),
        "acme/mappings.yaml".to_string(),
        "acme/orders/workflow.yaml".to_string(),
    ];
    // In upload order, the workflow last; each uploaded once.
    let reported: Vec<String> = report.objects.iter().map(|o| o.key.clone()).collect();
    assert_eq!(reported, expected);
    assert!(
        report
            .objects
            .iter()
            .all(|o| o.status == ObjectStatus::Uploaded)
    );
    assert_eq!(
        report.objects[0].kind,
        ObjectKind::Component {
            task: "sftp-download".into()
        }
    );
    expected.sort();
    assert_eq!(b.keys(), expected);

    // Contents and their SHA-256 tags.
    assert_eq!(
        b.get("acme/orders/workflow.yaml").unwrap(),
        ORDERS.as_bytes()
    );
    assert_eq!(b.get("acme/components/copy-file.wasm").unwrap(), copy);
    assert_eq!(
        b.sha256_meta("acme/components/copy-file.wasm"),
        Some(sha256(&copy))
    );
    assert_eq!(
        b.get("acme/connections.yaml").unwrap(),
        CONNECTIONS.as_bytes()
    );
    assert_eq!(b.get("acme/mappings.yaml").unwrap(), MAPPINGS.as_bytes());
    let compiled = b.get(&pre(&copy)).unwrap();
    assert_eq!(b.sha256_meta(&pre(&copy)), Some(sha256(&compiled)));
    let obj = report.objects.iter().find(|o| o.key == pre(&copy)).unwrap();
    assert_eq!(obj.bytes, compiled.len() as u64);
    assert!(compiled.len() > copy.len() / 2, "a compiled component");
}

#[test]
fn a_second_deploy_uploads_only_what_changed() {
    let b = bucket("redeploy");
    let p = Project::new();
    let wf = p.write("orders.yaml", ORDERS);
    let conns = p.write("connections.yaml", CONNECTIONS);
    let engine = engine(Some(&conns));
    let first = deploy(&engine, &wf, Some(&conns), None, &target(&b.name)).unwrap();
    assert_eq!(first.uploaded().count(), 6);

    let again = deploy(&engine, &wf, Some(&conns), None, &target(&b.name)).unwrap();
    assert_eq!(again.objects.len(), 6);
    assert!(
        again
            .objects
            .iter()
            .all(|o| o.status == ObjectStatus::Unchanged),
        "{:#?}",
        again.objects
    );
    for (a, b) in first.objects.iter().zip(&again.objects) {
        assert_eq!((&a.key, a.bytes), (&b.key, b.bytes));
    }

    // A changed workflow: only the workflow file goes up.
    let changed = ORDERS.replace("c.xml", "d.xml");
    p.write("orders.yaml", &changed);
    let third = deploy(&engine, &wf, Some(&conns), None, &target(&b.name)).unwrap();
    let uploaded: Vec<&str> = third.uploaded().map(|o| o.key.as_str()).collect();
    assert_eq!(uploaded, ["acme/orders/workflow.yaml"]);
    assert_eq!(
        b.get("acme/orders/workflow.yaml").unwrap(),
        changed.as_bytes()
    );
}

#[test]
fn a_broken_workflow_uploads_nothing_and_names_file_and_line() {
    let b = bucket("broken");
    let p = Project::new();
    let wf = p.write(
        "orders.yaml",
        "name: Broken\ntasks:\n  - task: copy-file\n    settings: { input-file: a, output-file: b }\n  - task: no-such-task\n",
    );
    let e = deploy(&engine(None), &wf, None, None, &target(&b.name)).unwrap_err();
    assert!(matches!(e, DeployError::Workflow(_)), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains(&format!(
            "{}:5: task `no-such-task`: unknown task `no-such-task`",
            wf.display()
        )),
        "{msg}"
    );
    assert_eq!(b.keys(), Vec::<String>::new());
}

#[test]
fn a_grant_of_a_connection_the_engine_does_not_know_is_refused() {
    let b = bucket("grant");
    let p = Project::new();
    let wf = p.write("orders.yaml", ORDERS);
    let e = deploy(&engine(None), &wf, None, None, &target(&b.name))
        .unwrap_err()
        .to_string();
    assert!(e.contains("orders.yaml:3: task `sftp-download`"), "{e}");
    assert!(e.contains("shop"), "{e}");
    assert_eq!(b.keys(), Vec::<String>::new());
}

#[test]
fn a_connections_file_with_an_inline_secret_is_refused_without_echoing_it() {
    let b = bucket("secret");
    let p = Project::new();
    let wf = p.write("orders.yaml", ORDERS);
    let good = p.write("good.yaml", CONNECTIONS);
    let bad = p.write(
        "connections.yaml",
        &CONNECTIONS.replace("{ env: SHOP_SFTP_PASSWORD }", "Tr0ub4dor-n3ver-log"),
    );
    let e = deploy(
        &engine(Some(&good)),
        &wf,
        Some(&bad),
        None,
        &target(&b.name),
    )
    .unwrap_err();
    assert!(matches!(e, DeployError::Connections(_)), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains(&bad.display().to_string()), "{msg}");
    assert!(msg.contains("{ env: NAME }"), "{msg}");
    assert!(
        !msg.contains("Tr0ub4dor"),
        "the secret is not echoed: {msg}"
    );
    assert!(!format!("{e:?}").contains("Tr0ub4dor"), "{e:?}");
    assert_eq!(b.keys(), Vec::<String>::new());
}

#[test]
fn a_bad_mappings_file_is_refused_before_anything_is_uploaded() {
    let b = bucket("mappings");
    let p = Project::new();
    let wf = p.write("orders.yaml", ORDERS);
    let conns = p.write("connections.yaml", CONNECTIONS);
    let maps = p.write("mappings.yaml", "Carriers: not a list\n");
    let e = deploy(
        &engine(Some(&conns)),
        &wf,
        None,
        Some(&maps),
        &target(&b.name),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with(&format!("mappings file {}:", maps.display())),
        "{e}"
    );
    assert_eq!(b.keys(), Vec::<String>::new());
}

#[test]
fn a_component_given_by_path_is_refused() {
    let b = bucket("path");
    let p = Project::new();
    std::fs::copy(component("copy-file"), p.path().join("my-copy.wasm")).unwrap();
    let wf = p.write(
        "local.yaml",
        "name: Local\ntasks:\n  - task: ./my-copy.wasm\n    settings: { input-file: a, output-file: b }\n",
    );
    let e = deploy(&engine(None), &wf, None, None, &target(&b.name))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(&format!("{}:3: task `./my-copy.wasm`", wf.display())),
        "{e}"
    );
    assert_eq!(b.keys(), Vec::<String>::new());
}

#[test]
fn a_request_failure_names_bucket_and_key_and_no_credentials() {
    crate::support::moto();
    let p = Project::new();
    let wf = p.write("orders.yaml", ORDERS);
    let conns = p.write("connections.yaml", CONNECTIONS);
    let missing = crate::support::unique("no-such-bucket");
    let e = deploy(&engine(Some(&conns)), &wf, None, None, &target(&missing))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(&format!(
            "S3 PutObject s3://{missing}/acme/components/sftp-download.wasm failed: NoSuchBucket"
        )),
        "{e}"
    );
    assert!(!e.contains(SECRET), "{e}");
}

#[test]
fn names_that_cannot_be_keys_are_refused() {
    let b = bucket("names");
    let p = Project::new();
    // The workflow's identity (its `id:`, else its slugged name) names its keys.
    let wf = p.write(
        "orders.yaml",
        &ORDERS.replace("name: Orders\n", "name: Orders\nid: my orders\n"),
    );
    let conns = p.write("connections.yaml", CONNECTIONS);
    let e = deploy(&engine(Some(&conns)), &wf, None, None, &target(&b.name))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("workflow `id: my orders` cannot name the workflow's data folder"),
        "{e}"
    );
    let wf = p.write("my orders.yaml", ORDERS);
    let mut t = target(&b.name);
    t.customer = "../other".into();
    let e = deploy(&engine(Some(&conns)), &wf, None, None, &t)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("customer `../other` cannot be used"), "{e}");
    assert_eq!(b.keys(), Vec::<String>::new());
}
