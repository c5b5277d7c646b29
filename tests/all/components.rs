//! Components through the full engine path where a workflow case (tests/workflows) cannot
//! reach: split-xml on the real product export, the archive's zip contents and a store that
//! cannot take it, and symbolic links under file-repeater. The other behaviour of split-xml,
//! the archive, file-repeater and copy-file is in cases in tests/workflows.

use crate::support::{TestEnv, fixture, task, wharf_command};
use std::io::Read;
use wharf_engine::ResultCode;

fn split_yaml(limit: &str) -> String {
    format!(
        "name: Split\ntasks:\n  - task: split-xml\n    id: split\n    settings:\n      input-file: products.xml\n      xpath-query: /Company/Products/Product\n      record-limit: {limit}\n      output-folder: Stock Export\n"
    )
}

#[test]
fn split_xml_on_the_real_product_export() {
    let env = TestEnv::new();
    let real = std::fs::read(fixture(
        "zynk-xml/Stationary & Computer Mart - Product Export.xml",
    ))
    .unwrap();
    env.write("products.xml", &real);
    let run = env.run(&split_yaml("10"));
    let t = task(&run, "split");
    assert_eq!(t.result, ResultCode::SuccessData, "{}", t.message);
    let expected = String::from_utf8_lossy(&real).matches("<Product>").count() as u64;
    assert_eq!(t.counts.records_out, expected);
}

const ARCHIVE: &str = "name: Archive\ntasks:\n  - task: archive-workflow-data\n    id: archive\n    grants: [archive]\n    settings: { housekeeping-type: NumberOfArchives, housekeeping-number: 2 }\n";

#[test]
fn archive_zips_root_files_then_removes_them() {
    let env = TestEnv::new();
    env.write("orders.xml", "<Orders/>");
    env.write("orders_success.xml", "<Company/>");
    env.write("Stock Export/chunk_1.xml", "<keep/>");
    let run = env.run(ARCHIVE);
    let t = task(&run, "archive");
    assert_eq!(t.result, ResultCode::SuccessData, "{}", t.message);
    let name = run.archive_path.clone().expect("archive path recorded");
    assert!(name.ends_with("_archive.zip"));
    let zip_path = env.data().join("workflow/archive").join(&name);
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let mut names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["orders.xml", "orders_success.xml"]);
    let mut content = String::new();
    zip.by_name("orders.xml")
        .unwrap()
        .read_to_string(&mut content)
        .unwrap();
    assert_eq!(content, "<Orders/>");
    // Root files gone, sub-folders untouched.
    assert!(!env.workdir().join("orders.xml").exists());
    assert!(env.workdir().join("Stock Export/chunk_1.xml").exists());
}

#[test]
fn archive_keeps_every_file_when_the_zip_cannot_be_stored() {
    let env = TestEnv::new();
    env.write("orders.xml", "<Orders/>");
    // The archive store cannot take the zip: its folder is a file.
    let archive_dir = env.data().join("workflow/archive");
    std::fs::create_dir_all(&archive_dir).unwrap();
    std::fs::write(archive_dir.join("Blocked"), "not a folder").unwrap();
    let yaml = ARCHIVE
        .replace("settings: {", "settings: { archive-folder: Blocked,")
        .replace(
            "name: Archive\n",
            "name: Archive\nresume-on-failure: false\n",
        );
    let run = env.run(&yaml);
    let t = task(&run, "archive");
    assert_eq!(t.result, ResultCode::Fail, "{}", t.message);
    assert_eq!(
        std::fs::read_to_string(env.workdir().join("orders.xml")).unwrap(),
        "<Orders/>"
    );
    // The journal stays, for the next run to ask the store whether it took the zip after all.
    let leftovers: Vec<_> = std::fs::read_dir(env.workdir())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|name| name != ".wharf-archive-journal")
        .collect();
    assert_eq!(leftovers.len(), 1, "partial zip left behind: {leftovers:?}");
}

/// Regression (issue 11): a recursive file-repeater failed outright on any symbolic link.
#[test]
fn file_repeater_follows_links_inside_the_working_directory_and_skips_others() {
    use std::os::unix::fs::symlink;
    let env = TestEnv::new();
    let workflow = env.workflow(
        "name: Links\ntasks:\n  - task: file-repeater\n    id: each\n    settings: { input-directory: in, recursive: true }\n    tasks:\n      - task: copy-file\n        id: copy\n        settings: { input-file: \"{{ current.FullName }}\", output-file: \"seen/{{ current.Name }}\" }\n",
    );
    let work = env.binary_data(&workflow).join("work");
    for (file, text) in [
        ("in/real.xml", "<a/>"),
        ("in/sub/deep.xml", "<b/>"),
        ("shared/c.xml", "<c/>"),
    ] {
        std::fs::create_dir_all(work.join(file).parent().unwrap()).unwrap();
        std::fs::write(work.join(file), text).unwrap();
    }
    symlink("../real.xml", work.join("in/sub/link.xml")).unwrap();
    symlink("../shared", work.join("in/shared")).unwrap();
    symlink("../..", work.join("in/up")).unwrap();
    symlink("/etc/hostname", work.join("in/host.xml")).unwrap();

    let out = wharf_command(&env.data())
        .arg("run")
        .arg(&workflow)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut seen: Vec<String> = std::fs::read_dir(work.join("seen"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    seen.sort();
    assert_eq!(seen, ["c.xml", "deep.xml", "real.xml"], "{report}");
    assert!(
        report.contains("skipping the link `/in/up`: it links outside the working directory"),
        "{report}"
    );
    assert!(
        report.contains("skipping the link `/in/host.xml`"),
        "{report}"
    );
}
