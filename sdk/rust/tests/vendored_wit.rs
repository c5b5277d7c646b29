//! The WIT vendored in this crate (`wit/`) is the repository's top-level `wit/`, byte for
//! byte: the top level is the source of truth, `make sdk-wit` refreshes the copy.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    entries
        .map(|entry| entry.expect("readable folder entry"))
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
        .map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let bytes = fs::read(entry.path()).expect("readable file");
            (name, bytes)
        })
        .collect()
}

#[test]
fn vendored_wit_equals_the_repository_wit() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = files(&crate_dir.join("../../wit"));
    let vendored = files(&crate_dir.join("wit"));
    assert!(
        source.contains_key("types.wit"),
        "no wit/types.wit at the repository root"
    );
    let differing: BTreeSet<&String> = source
        .keys()
        .chain(vendored.keys())
        .filter(|name| source.get(*name) != vendored.get(*name))
        .collect();
    assert!(
        differing.is_empty(),
        "sdk/rust/wit differs from wit/ in {differing:?}: run `make sdk-wit`"
    );
}
