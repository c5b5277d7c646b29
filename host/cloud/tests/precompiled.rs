//! `Runtime::precompile` and `precompiled_name`: the bytes and the name of a disk-cache file,
//! which `load` picks up.

use crate::support::{component, runtime};

#[test]
fn the_name_is_the_one_the_disk_cache_writes() {
    let cache = tempfile::tempdir().unwrap();
    let rt = runtime(Some(cache.path()));
    let wasm = std::fs::read(component("copy-file")).unwrap();
    let name = rt.precompiled_name(&wasm);
    assert!(name.ends_with(".cwasm") && name.len() == 64 + 6, "{name}");
    assert_eq!(rt.cache_dir(), Some(cache.path()));
    rt.load(&component("copy-file")).unwrap();
    // Beside the compiled forms the cache keeps `digests/`, the memo of each file's SHA-256.
    let files: Vec<String> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".cwasm"))
        .collect();
    assert_eq!(files, [name]);
    // The name follows the content.
    let other = std::fs::read(component("move-file")).unwrap();
    assert_ne!(rt.precompiled_name(&other), rt.precompiled_name(&wasm));
}

/// A precompiled file under a component's name is what `load` uses: write `copy-file`'s
/// compiled form under `move-file`'s name, and loading move-file.wasm describes copy-file
/// (a load that compiled the file itself would describe move-file).
#[test]
fn load_uses_a_precompiled_file_placed_in_the_cache() {
    let cache = tempfile::tempdir().unwrap();
    let rt = runtime(Some(cache.path()));
    let copy = std::fs::read(component("copy-file")).unwrap();
    let moved = std::fs::read(component("move-file")).unwrap();
    let bytes = rt.precompile(&copy).unwrap();
    std::fs::write(cache.path().join(rt.precompiled_name(&moved)), &bytes).unwrap();
    let loaded = rt.load(&component("move-file")).unwrap();
    assert_eq!(loaded.info.name, "copy-file");

    // Without the planted file the same load describes move-file.
    let fresh = tempfile::tempdir().unwrap();
    let rt = runtime(Some(fresh.path()));
    assert_eq!(
        rt.load(&component("move-file")).unwrap().info.name,
        "move-file"
    );
}

#[test]
fn precompiling_something_that_is_not_a_component_fails() {
    let rt = runtime(None);
    assert_eq!(rt.cache_dir(), None);
    let e = rt.precompile(b"not wasm").unwrap_err().to_string();
    assert!(e.starts_with("compiling the component failed:"), "{e}");
}
