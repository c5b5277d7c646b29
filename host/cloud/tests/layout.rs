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

#[test]
fn names_that_cannot_be_key_segments_are_refused() {
    for bad in [
        "",
        ".",
        "..",
        ".hidden",
        "a/b",
        "a b",
        "naïve",
        "a\nb",
        &"x".repeat(129),
    ] {
        assert!(!is_valid_name(bad), "{bad:?}");
        let e = Layout::new(bad).unwrap_err().to_string();
        assert!(e.starts_with("customer `"), "{e}");
    }
    for good in ["acme", "Acme_2", "v1.2-beta", &"x".repeat(128)] {
        assert!(is_valid_name(good), "{good:?}");
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
