//! The document and file task examples (docs/documents.md, docs/file-tasks.md) run end to end
//! through the `wharf` binary on their sample files.

use crate::support::{TestEnv, repo_root, wharf_command};
use std::path::Path;
use std::process::Command;

fn ok(command: &mut Command) -> String {
    let out = command.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    text
}

/// The example's sample files copied into its working directory.
fn with_samples(env: &TestEnv, id: &str, samples: &str) -> std::path::PathBuf {
    let work = env.data().join(id).join("work");
    wharf_workflow_test::copy_tree(&repo_root().join("examples").join(samples), &work).unwrap();
    work
}

fn names(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn csv_files_become_sage_customers() {
    let env = TestEnv::new();
    ok(wharf_command(&env.data()).args(["sage", "create-company"]));
    let work = with_samples(&env, "csv-to-sage", "documents");
    let report = ok(wharf_command(&env.data())
        .arg("run")
        .arg(repo_root().join("examples/csv-to-sage.yaml")));
    assert!(
        report.contains("Imported NETS001 (Nets \"R\" Us, Hull)"),
        "{report}"
    );
    let customers = ok(wharf_command(&env.data()).args(["sage", "customers", "--json"]));
    for account in ["HARB001", "NETS001", "ROPE001"] {
        assert!(customers.contains(account), "{account}: {customers}");
    }
    assert!(customers.contains("1 Quay St; Unit 2"), "{customers}");
    assert_eq!(names(&work.join("CSV In")), Vec::<String>::new());
    assert_eq!(
        names(&work.join("CSV Done")),
        ["customers-monday.csv", "customers-tuesday.csv"]
    );
}

#[test]
fn price_files_are_tidied_listed_and_zipped() {
    let env = TestEnv::new();
    let work = with_samples(&env, "file-tasks", "file-tasks");
    let report = ok(wharf_command(&env.data())
        .arg("run")
        .arg(repo_root().join("examples/file-tasks.yaml")));
    assert!(
        report.contains("3 price file(s) zipped into /Zips/"),
        "{report}"
    );
    let prices = std::fs::read_to_string(work.join("Prices/prices.csv")).unwrap();
    assert_eq!(
        prices,
        "Code,Price\r\n\"PEN\",\tGBP 1.20\r\n\"PAD\",\tGBP 3.50\r\n"
    );
    let clean = std::fs::read_to_string(work.join("Prices/prices-clean.csv")).unwrap();
    assert_eq!(clean, "Code,Price\r\nPEN,GBP 1.20\r\nPAD,GBP 3.50\r\n");
    let zips = names(&work.join("Zips"));
    assert_eq!(zips.len(), 1);
    assert!(zips[0].ends_with("_prices.zip"), "{zips:?}");
    let zip = zip::ZipArchive::new(std::fs::File::open(work.join("Zips").join(&zips[0])).unwrap())
        .unwrap();
    let mut inside: Vec<String> = zip
        .file_names()
        .map(|name| name.unwrap().into_owned())
        .collect();
    inside.sort();
    assert_eq!(inside, ["prices-clean.csv", "prices.csv", "stock.csv"]);
}
