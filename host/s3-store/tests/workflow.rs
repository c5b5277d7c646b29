//! A whole workflow run by the Wharf engine with its data in S3: examples/quickstart.yaml on a
//! generated product export.

use crate::support::{CUSTOMER, bucket, repo_root, store};
use std::fmt::Write as _;
use std::io::Read;
use std::sync::Arc;
use wharf_engine::storage::Storage;
use wharf_engine::{
    ComponentSource, Engine, NoProgress, ResultCode, RunOptions, Runtime, RuntimeConfig, Workflow,
};

fn engine() -> Engine {
    let components = repo_root().join("target/components");
    assert!(
        components.join("split-xml.wasm").is_file(),
        "{} is missing: build the components first with `make components guests`",
        components.display()
    );
    let cache = repo_root().join("target/s3-store-component-cache");
    let runtime = Runtime::with_capabilities(
        RuntimeConfig {
            cache_dir: Some(cache),
        },
        vec![Arc::new(wharf_archive::ArchiveCapability)],
    )
    .expect("runtime");
    Engine::new(
        runtime,
        ComponentSource {
            dirs: vec![components],
        },
    )
}

/// A Sage-style product export (`Company/Products/Product`), as `wharf generate` writes it.
fn product_export(count: usize) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Company xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n  <Products>\n",
    );
    for n in 1..=count {
        write!(
            xml,
            "    <Product>\n      <Sku>SKU{n:07}</Sku>\n      <Name>Gel Ink Pen, Black (Box of {n})</Name>\n      <Description>Supplied by Stationary &amp; Computer Mart</Description>\n      <SalePrice>{}.{:02}</SalePrice>\n      <QtyInStock>{}</QtyInStock>\n      <Publish>true</Publish>\n    </Product>\n",
            n % 500 + 1,
            n % 100,
            n * 7 % 300
        )
        .unwrap();
    }
    xml.push_str("  </Products>\n  <Customers />\n</Company>\n");
    xml
}

#[test]
fn quickstart_runs_against_s3() {
    let b = bucket("quickstart");
    let engine = engine();
    let workflow =
        Workflow::load(&repo_root().join("examples/quickstart.yaml")).expect("quickstart.yaml");
    let prepared = engine.prepare(workflow).expect("prepare");
    let name = prepared.workflow.store_name();
    assert_eq!(name, "quickstart");
    let export = product_export(450);
    let work = format!("{CUSTOMER}/{name}/work/");
    b.put(&format!("{work}product_export.xml"), export.clone());

    let store: Arc<dyn Storage> = Arc::new(store(&b.name, &name));
    let record = engine
        .run(
            &prepared,
            store.clone(),
            &RunOptions::default(),
            &NoProgress,
        )
        .expect("run");
    assert_eq!(
        record.result,
        ResultCode::Success,
        "{}: {:#?}",
        record.message,
        record.tasks
    );

    // The export was archived as a zip in S3 …
    let archives = store.archive_list().unwrap();
    assert_eq!(archives.len(), 1, "{archives:?}");
    assert!(archives[0].name.ends_with(".zip"), "{}", archives[0].name);
    let zip_bytes = b
        .get(&format!("{CUSTOMER}/{name}/archive/{}", archives[0].name))
        .unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).expect("a zip");
    let names: Vec<String> = zip
        .file_names()
        .map(|n| n.expect("entry name").into_owned())
        .collect();
    assert_eq!(names, ["product_export.xml"]);
    let mut archived = String::new();
    zip.by_name("product_export.xml")
        .unwrap()
        .read_to_string(&mut archived)
        .unwrap();
    assert_eq!(archived, export);

    // … and the working directory holds the three staged chunks and the emptied chunk folder.
    let keys = b.keys(&work);
    assert_eq!(keys.len(), 4, "{keys:?}");
    assert_eq!(keys[0], "Stock Export/");
    let mut products = 0;
    for key in &keys[1..] {
        let file = key
            .strip_prefix("upload/")
            .unwrap_or_else(|| panic!("{key}"));
        assert!(
            file.len() > 11 && file.as_bytes()[10] == b'_' && file.ends_with(".xml"),
            "{key}"
        );
        let chunk = String::from_utf8(b.get(&format!("{work}{key}")).unwrap()).unwrap();
        products += chunk.matches("<Product>").count();
    }
    assert_eq!(products, 450);

    // The run is recorded, and the lock and checkpoint are gone.
    let runs = store.list_runs().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(
        (runs[0].id.as_str(), runs[0].result),
        (record.id.as_str(), ResultCode::Success)
    );
    assert_eq!(runs[0].archive_path, record.archive_path);
    assert!(b.get(&format!("{CUSTOMER}/{name}/run.lock")).is_none());
    assert!(
        b.get(&format!("{CUSTOMER}/{name}/checkpoint.json"))
            .is_none()
    );
}
