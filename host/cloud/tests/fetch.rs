//! The Lambda's side: the deployed workflow, components downloaded once and kept across
//! fetchers (warm starts), precompiled forms put into the runtime's cache.

use crate::support::{
    CONNECTIONS, ORDERS, Project, block_on, bucket, component, engine, fetcher, manifest_key,
    runtime, signed_fetcher, signed_target, target,
};
use std::os::unix::fs::MetadataExt;
use wharf_cloud::{FetchError, deploy, tasks_of};
use wharf_engine::Workflow;

/// Deploys [`ORDERS`] into a fresh bucket.
fn deployed(prefix: &str) -> (crate::support::Bucket, Project) {
    deployed_to(prefix, target)
}

/// Deploys [`ORDERS`] into a fresh bucket with a signed manifest.
fn deployed_signed(prefix: &str) -> crate::support::Bucket {
    deployed_to(prefix, signed_target).0
}

fn deployed_to(
    prefix: &str,
    target: fn(&str) -> wharf_cloud::Deployment,
) -> (crate::support::Bucket, Project) {
    let b = bucket(prefix);
    let p = Project::new();
    let wf = p.write("orders.yaml", ORDERS);
    let conns = p.write("connections.yaml", CONNECTIONS);
    deploy(
        &engine(Some(&conns)),
        &wf,
        Some(&conns),
        None,
        &target(&b.name),
    )
    .unwrap();
    (b, p)
}

#[test]
fn the_workflow_is_fetched_afresh_and_keeps_its_store_name() {
    let (b, p) = deployed("fetch-wf");
    let local = tempfile::tempdir().unwrap();
    let f = fetcher(&b.name, &local.path().join("components"));
    let path = f.fetch_workflow("orders", local.path()).unwrap();
    assert_eq!(path, local.path().join("orders.yaml"));
    let wf = Workflow::load(&path).unwrap();
    assert_eq!(wf.store_name(), "orders");
    assert_eq!(tasks_of(&wf), ["sftp-download", "copy-file"]);

    // A redeploy takes effect on the next fetch.
    let changed = ORDERS.replace("c.xml", "d.xml");
    let wf_file = p.write("orders.yaml", &changed);
    let conns = p.path().join("connections.yaml");
    deploy(
        &engine(Some(&conns)),
        &wf_file,
        None,
        None,
        &target(&b.name),
    )
    .unwrap();
    f.fetch_workflow("orders", local.path()).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), changed);

    let e = f.fetch_workflow("nothing", local.path()).unwrap_err();
    assert!(matches!(e, FetchError::MissingWorkflow { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "workflow `nothing` is not deployed: no s3://{}/acme/nothing/workflow.yaml",
            b.name
        )
    );

    // The connections file as text; a missing object is None.
    let layout = f.layout().clone();
    assert_eq!(
        f.fetch_text(&layout.connections()).unwrap().as_deref(),
        Some(CONNECTIONS)
    );
    assert_eq!(f.fetch_text(&layout.mappings()).unwrap(), None);
}

#[test]
fn components_download_once_and_are_reused_across_fetchers() {
    let (b, _p) = deployed("fetch-once");
    let local = tempfile::tempdir().unwrap();
    let folder = local.path().join("components");
    let rt = runtime(None);
    let tasks = vec!["sftp-download".to_string(), "copy-file".to_string()];

    let paths = fetcher(&b.name, &folder).fetch(&rt, &tasks).unwrap();
    assert_eq!(
        paths,
        [
            folder.join("sftp-download.wasm"),
            folder.join("copy-file.wasm")
        ]
    );
    for (path, task) in paths.iter().zip(&tasks) {
        assert_eq!(
            std::fs::read(path).unwrap(),
            std::fs::read(component(task)).unwrap()
        );
    }
    // Downloads are renamed into place, so an unchanged inode means no second download.
    let inode = |p: &std::path::Path| std::fs::metadata(p).unwrap().ino();
    let before: Vec<u64> = paths.iter().map(|p| inode(p)).collect();
    let again = fetcher(&b.name, &folder).fetch(&rt, &tasks).unwrap();
    assert_eq!(again, paths);
    let after: Vec<u64> = paths.iter().map(|p| inode(p)).collect();
    assert_eq!(
        before, after,
        "a current local copy is not downloaded again"
    );

    // A local copy that differs from the deployed component is replaced.
    std::fs::write(&paths[1], b"stale").unwrap();
    fetcher(&b.name, &folder).fetch(&rt, &tasks).unwrap();
    assert_eq!(
        std::fs::read(&paths[1]).unwrap(),
        std::fs::read(component("copy-file")).unwrap()
    );
    assert_eq!(inode(&paths[0]), before[0]);
    // Nothing but the components in the folder (no temporary files left).
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["copy-file.wasm", "sftp-download.wasm"]);
}

/// What a deployer holding the key does: vouches for `bytes` at `key` in the manifest.
fn vouch_for(b: &crate::support::Bucket, key: &str, bytes: &[u8]) {
    let sha256 = wharf_test_peers::sha256_hex(bytes);
    resign(b, |manifest| {
        manifest.objects.insert(key.to_string(), sha256);
    });
}

/// The stored manifest changed by `edit` and signed again with the deployers' key.
fn resign(b: &crate::support::Bucket, edit: impl FnOnce(&mut wharf_cloud::Manifest)) {
    let signer = manifest_key();
    let manifest_key = "acme/components/manifest.json";
    let stored = b.get(manifest_key).expect("a signed manifest");
    let signed = block_on(async {
        let mut manifest = signer.verify(&stored, "acme").await.unwrap();
        edit(&mut manifest);
        signer.sign(&manifest).await.unwrap()
    });
    b.put(manifest_key, signed);
}

#[test]
fn a_fetched_precompiled_component_lands_in_the_cache_and_is_loaded() {
    let b = deployed_signed("fetch-pre");
    let local = tempfile::tempdir().unwrap();
    let folder = local.path().join("components");
    let cache = local.path().join("cache");
    let rt = runtime(Some(&cache));
    let copy = std::fs::read(component("copy-file")).unwrap();
    let name = rt.precompiled_name(&copy);
    let key = format!("acme/components/precompiled/{name}");
    let deployed_bytes = b.get(&key).expect("deploy uploaded the precompiled form");

    let paths = signed_fetcher(&b.name, &folder)
        .fetch(&rt, &["copy-file".to_string()])
        .unwrap();
    assert_eq!(std::fs::read(cache.join(&name)).unwrap(), deployed_bytes);
    // Served by its precompiled form alone: loaded here, its .wasm neither fetched nor read.
    assert!(rt.is_loaded(&paths[0]));
    assert!(!paths[0].exists(), "the .wasm was not downloaded");
    assert_eq!(rt.load(&paths[0]).unwrap().info.name, "copy-file");

    // Another component's .wasm under copy-file's name changes nothing while the checked
    // precompiled form serves: what runs is the component the manifest pins.
    b.put(
        "acme/components/copy-file.wasm",
        std::fs::read(component("move-file")).unwrap(),
    );
    let warm = runtime(Some(&cache));
    let again = signed_fetcher(&b.name, &local.path().join("warm"))
        .fetch(&warm, &["copy-file".to_string()])
        .unwrap();
    assert_eq!(warm.load(&again[0]).unwrap().info.name, "copy-file");
    assert_eq!(
        warm.load(&again[0]).unwrap().sha256,
        wharf_test_peers::sha256_hex(&copy)
    );
    b.put("acme/components/copy-file.wasm", copy.clone());

    // Without a signing key nothing vouches for precompiled code: none is fetched.
    let unsigned_cache = local.path().join("unsigned");
    let rt_unsigned = runtime(Some(&unsigned_cache));
    fetcher(&b.name, &folder)
        .fetch(&rt_unsigned, &["copy-file".to_string()])
        .unwrap();
    assert!(!unsigned_cache.join(&name).exists());

    // move-file's compiled form under copy-file's name: refused while the manifest does not
    // vouch for it, and nothing is left in the cache.
    let moved = rt
        .precompile(&std::fs::read(component("move-file")).unwrap())
        .unwrap();
    b.put(&key, moved.clone());
    let cache2 = local.path().join("cache2");
    let rt2 = runtime(Some(&cache2));
    let e = signed_fetcher(&b.name, &folder)
        .fetch(&rt2, &["copy-file".to_string()])
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("does not match the signed component manifest"),
        "{e}"
    );
    assert!(!cache2.join(&name).exists());

    // Once a deployer vouches for it, the runtime loads what was fetched rather than
    // compiling: a fresh runtime's copy-file describes move-file.
    vouch_for(&b, &key, &moved);
    let paths = signed_fetcher(&b.name, &folder)
        .fetch(&rt2, &["copy-file".to_string()])
        .unwrap();
    assert_eq!(rt2.load(&paths[0]).unwrap().info.name, "move-file");

    // Nothing deployed precompiled: nothing fetched; the runtime compiles and caches itself.
    b.delete(&key);
    let cache3 = local.path().join("cache3");
    let rt3 = runtime(Some(&cache3));
    signed_fetcher(&b.name, &folder)
        .fetch(&rt3, &["copy-file".to_string()])
        .unwrap();
    assert!(!cache3.join(&name).exists());
    assert_eq!(rt3.load(&paths[0]).unwrap().info.name, "copy-file");
    assert!(cache3.join(&name).exists());
}

#[test]
fn a_component_the_signed_manifest_does_not_vouch_for_is_refused_and_removed() {
    let b = deployed_signed("fetch-tamper");
    let local = tempfile::tempdir().unwrap();
    let folder = local.path().join("components");
    let rt = runtime(None);
    signed_fetcher(&b.name, &folder)
        .fetch(&rt, &["copy-file".to_string()])
        .unwrap();

    // Another component under copy-file's name, its metadata set to match.
    let other = std::fs::read(component("move-file")).unwrap();
    b.put("acme/components/copy-file.wasm", other);
    let e = signed_fetcher(&b.name, &folder)
        .fetch(&rt, &["copy-file".to_string()])
        .unwrap_err();
    assert!(matches!(e, FetchError::Manifest(_)), "{e:?}");
    assert!(
        e.to_string().contains("acme/components/copy-file.wasm"),
        "{e}"
    );
    assert!(
        !folder.join("copy-file.wasm").exists(),
        "the refused file is gone"
    );

    // No manifest at all: refused, naming what to do.
    b.delete("acme/components/manifest.json");
    let e = signed_fetcher(&b.name, &folder)
        .fetch(&rt, &["copy-file".to_string()])
        .unwrap_err();
    assert!(e.to_string().contains("--signing-key"), "{e}");
}

#[test]
fn a_missing_component_names_the_task_and_the_key() {
    let (b, _p) = deployed("fetch-missing");
    let local = tempfile::tempdir().unwrap();
    let e = fetcher(&b.name, local.path())
        .fetch(
            &runtime(None),
            &["copy-file".to_string(), "split-xml".to_string()],
        )
        .unwrap_err();
    assert!(matches!(e, FetchError::MissingComponent { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "task `split-xml`: no component s3://{}/acme/components/split-xml.wasm (deploy the workflow with `wharf deploy`)",
            b.name
        )
    );
    let e = fetcher(&b.name, local.path())
        .fetch(&runtime(None), &["../x".to_string()])
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("task `../x` cannot be used"), "{e}");
}

/// A key remembers the manifest object it verified (a warm function does not ask KMS again
/// for the same bytes), and bytes that differ in any way are checked afresh: a payload changed
/// after signing is refused though its original verified a moment before.
#[test]
fn a_verified_manifest_is_remembered_only_for_the_same_bytes() {
    let b = deployed_signed("manifest-cache");
    let key = manifest_key();
    let stored = b
        .get("acme/components/manifest.json")
        .expect("a signed manifest");
    let first = block_on(key.verify(&stored, "acme")).unwrap();
    let again = block_on(key.clone().verify(&stored, "acme")).unwrap();
    assert_eq!(first, again);
    // The same bytes are still checked against the customer they must be for.
    let e = block_on(key.verify(&stored, "other")).unwrap_err();
    assert!(e.to_string().contains("customer `acme`"), "{e}");
    // One object listed that the deployer never signed.
    let text = String::from_utf8(stored.clone()).unwrap();
    let tampered = text.replacen(
        "\\\"objects\\\": {",
        "\\\"objects\\\": {\\n    \\\"acme/components/x.wasm\\\": \\\"00\\\",",
        1,
    );
    assert_ne!(tampered, text, "the payload holds the objects map");
    let e = block_on(key.verify(tampered.as_bytes(), "acme")).unwrap_err();
    assert!(e.to_string().contains("signature does not verify"), "{e}");
    // And the genuine object still verifies afterwards.
    assert_eq!(block_on(key.verify(&stored, "acme")).unwrap(), first);
}

/// With a signed manifest that describes the components (what `wharf deploy` writes now), the
/// function fetches nothing for them up front: the engine gets each one's description from the
/// manifest and a component is fetched, checked and loaded when a task first calls it. What is
/// fetched then is checked as before (a tampered or missing object fails that load, naming the
/// task and the object), the loaded component must describe itself as the manifest says, and a
/// manifest without descriptions (an older deployer's) is served as before.
#[test]
fn described_components_are_fetched_and_loaded_when_first_called() {
    use std::sync::Arc;
    use wharf_engine::LazyComponents;
    let b = deployed_signed("fetch-lazy");
    let local = tempfile::tempdir().unwrap();
    let folder = local.path().join("components");
    let cache = local.path().join("cache");
    let rt = runtime(Some(&cache));
    let tasks = vec!["sftp-download".to_string(), "copy-file".to_string()];
    let copy = std::fs::read(component("copy-file")).unwrap();
    let name = rt.precompiled_name(&copy);
    let key = format!("acme/components/precompiled/{name}");

    // The deploy described each component, bound to the SHA-256 it vouches for.
    let manifest =
        block_on(manifest_key().verify(&b.get("acme/components/manifest.json").unwrap(), "acme"))
            .unwrap();
    for task in &tasks {
        let key = format!("acme/components/{task}.wasm");
        let d = manifest.description(&key).expect("described");
        assert_eq!(d.sha256, manifest.objects[&key]);
        assert_eq!(d.info.name, *task);
    }

    let f = Arc::new(signed_fetcher(&b.name, &folder));
    let (paths, lazy) = f.fetch_lazily(&rt, &tasks).unwrap();
    let lazy = lazy.expect("components left to their first call");
    assert!(paths.is_empty(), "{paths:?}");
    assert!(!cache.join(&name).exists(), "nothing fetched up front");
    let described = lazy.describe("copy-file").expect("copy-file described");
    assert_eq!(described.sha256, wharf_test_peers::sha256_hex(&copy));
    assert_eq!(described.info.name, "copy-file");

    // Its first call: the precompiled form fetched, checked, placed in the cache and loaded.
    let loaded = lazy.load(&rt, "copy-file").unwrap();
    assert_eq!(loaded.info, described.info);
    assert_eq!(loaded.sha256, described.sha256);
    assert_eq!(
        std::fs::read(cache.join(&name)).unwrap(),
        b.get(&key).unwrap()
    );
    assert!(
        !folder.join("copy-file.wasm").exists(),
        "its .wasm not fetched"
    );
    let download = rt.precompiled_name(&std::fs::read(component("sftp-download")).unwrap());
    assert!(
        !cache.join(download).exists(),
        "an uncalled component is not fetched"
    );

    // Native code under its precompiled name: that load fails, naming the task and the
    // object, and nothing is left in the cache.
    b.put(&key, b"\x7fELF not what was compiled".to_vec());
    let cold = local.path().join("cold");
    let rt2 = runtime(Some(&cold));
    let f2 = Arc::new(signed_fetcher(
        &b.name,
        &local.path().join("cold-components"),
    ));
    let (_, lazy2) = f2.fetch_lazily(&rt2, &tasks).unwrap();
    let lazy2 = lazy2.unwrap();
    lazy2.fetch_ahead(&rt2, "copy-file");
    let e = lazy2
        .load(&rt2, "copy-file")
        .map(|_| ())
        .expect_err("refused");
    assert!(e.starts_with("component `copy-file`: "), "{e}");
    assert!(
        e.contains("does not match the signed component manifest"),
        "{e}"
    );
    assert!(e.contains(&key), "{e}");
    assert!(!cold.join(&name).exists());
    assert!(!rt2.is_loaded(&local.path().join("cold-components/copy-file.wasm")));

    // Another component's compiled form vouched for under copy-file's name: it does not
    // describe itself as the manifest says, and is refused.
    let moved = rt
        .precompile(&std::fs::read(component("move-file")).unwrap())
        .unwrap();
    b.put(&key, moved.clone());
    vouch_for(&b, &key, &moved);
    // A cold sandbox's first call of copy-file: what it refuses.
    let refused_when_cold = |sandbox: &str| {
        let rt = runtime(Some(&local.path().join(sandbox).join("cache")));
        let (_, lazy) = Arc::new(signed_fetcher(&b.name, &local.path().join(sandbox)))
            .fetch_lazily(&rt, &tasks)
            .unwrap();
        let lazy = lazy.expect("described");
        lazy.load(&rt, "copy-file")
            .map(|_| ())
            .expect_err("refused")
    };
    let e = refused_when_cold("s3");
    assert!(
        e.contains("does not describe itself as the signed manifest says"),
        "{e}"
    );

    // Neither its precompiled form nor its .wasm in the bucket: the load names both the task
    // and the missing object.
    b.delete(&key);
    b.delete("acme/components/copy-file.wasm");
    let e = refused_when_cold("s4");
    assert!(
        e.contains("task `copy-file`: no component s3://") && e.contains("copy-file.wasm"),
        "{e}"
    );

    // A manifest without descriptions (as older deployers wrote it): fetched up front, as
    // before.
    b.put("acme/components/copy-file.wasm", copy.clone());
    resign(&b, |m| {
        m.objects.remove(&key);
        m.descriptions.clear();
    });
    let rt5 = runtime(Some(&local.path().join("cache5")));
    let (paths, lazy5) = Arc::new(signed_fetcher(&b.name, &local.path().join("c5")))
        .fetch_lazily(&rt5, &["copy-file".to_string()])
        .unwrap();
    assert!(lazy5.unwrap().describe("copy-file").is_none());
    assert_eq!(paths, [local.path().join("c5/copy-file.wasm")]);
    assert_eq!(rt5.load(&paths[0]).unwrap().info.name, "copy-file");
}
