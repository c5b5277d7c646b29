//! The first components through the full engine path: split-xml, archive-workflow-data,
//! file-repeater, if-file-exists, copy/move/delete.

use crate::support::{TestEnv, fixture, task, wharf_command};
use std::io::Read;
use wharf_engine::ResultCode;

fn products(n: usize) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?>\n<Company xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" Version=\"1\">\n  <Products>\n",
    );
    for i in 1..=n {
        s.push_str(&format!(
            "    <Product><Sku>SKU{i}</Sku><Name>Item &amp; {i}</Name></Product>\n"
        ));
    }
    s.push_str(
        "  </Products>\n  <Customers><Customer><Id>C1</Id></Customer></Customers>\n</Company>\n",
    );
    s
}

fn split_yaml(limit: &str) -> String {
    format!(
        "name: Split\ntasks:\n  - task: split-xml\n    id: split\n    settings:\n      input-file: products.xml\n      xpath-query: /Company/Products/Product\n      record-limit: {limit}\n      output-folder: Stock Export\n"
    )
}

fn skus(xml: &str) -> Vec<String> {
    xml.split("<Sku>")
        .skip(1)
        .map(|s| s.split("</Sku>").next().unwrap().to_string())
        .collect()
}

#[test]
fn split_xml_names_chunks_and_respects_the_record_limit() {
    let env = TestEnv::new();
    env.write("products.xml", products(450));
    let run = env.run(&split_yaml("200"));
    let t = task(&run, "split");
    assert_eq!(t.result, ResultCode::SuccessData, "{}", t.message);
    assert_eq!((t.counts.records_in, t.counts.records_out), (450, 450));
    let out = env.workdir().join("Stock Export");
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["products_1.xml", "products_2.xml", "products_3.xml"]
    );
    let chunk = |n: usize| std::fs::read_to_string(out.join(format!("products_{n}.xml"))).unwrap();
    assert_eq!(skus(&chunk(1)).len(), 200);
    assert_eq!(skus(&chunk(3)).len(), 50);
    let all: Vec<String> = (1..=3).flat_map(|n| skus(&chunk(n))).collect();
    assert_eq!(
        all,
        (1..=450).map(|i| format!("SKU{i}")).collect::<Vec<_>>(),
        "records lost, duplicated or reordered"
    );
    // The skeleton keeps the root with its attributes and namespaces, drops other collections.
    let first = chunk(1);
    assert!(first.contains("xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""));
    assert!(first.contains("Version=\"1\""));
    assert!(first.contains("Item &amp; 1<"));
    assert!(!first.contains("<Customer>"));
    // The input is left untouched.
    assert_eq!(
        std::fs::read_to_string(env.workdir().join("products.xml")).unwrap(),
        products(450)
    );
}

#[test]
fn split_xml_with_no_matches_writes_nothing() {
    let env = TestEnv::new();
    env.write("products.xml", "<Company><Products/></Company>");
    let run = env.run(&split_yaml("5"));
    assert_eq!(task(&run, "split").result, ResultCode::SuccessNoData);
    assert_eq!(
        crate::support::count_files(&env.workdir().join("Stock Export")),
        0
    );
}

#[test]
fn split_xml_rejects_a_bad_limit_before_running() {
    let env = TestEnv::new();
    let err = env
        .try_run(&split_yaml("lots"))
        .expect_err("validation error");
    let text = err.to_string();
    assert!(text.contains("workflow.yaml:8:"), "{text}");
    assert!(
        text.contains("setting `record-limit`: expected a whole number, got `lots`"),
        "{text}"
    );
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

#[test]
fn split_xml_reports_malformed_input_clearly() {
    let env = TestEnv::new();
    env.write(
        "products.xml",
        "<Company><Products><Product><Sku>1</Product></Products></Company>",
    );
    let run = env
        .run(&split_yaml("5").replace("name: Split\n", "name: Split\nresume-on-failure: false\n"));
    let t = task(&run, "split");
    assert_eq!(t.result, ResultCode::Fail);
    assert!(
        t.message.to_lowercase().contains("products.xml"),
        "{}",
        t.message
    );
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

#[test]
fn archive_housekeeping_keeps_the_newest() {
    let env = TestEnv::new();
    for i in 0..4 {
        env.write(&format!("file{i}.txt"), "x");
        let run = env.run(ARCHIVE);
        assert!(run.result.is_success(), "{}", run.message);
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let zips = crate::support::count_files(&env.data().join("workflow/archive"));
    assert_eq!(zips, 2);
}

#[test]
fn archive_with_nothing_to_do_writes_no_zip() {
    let env = TestEnv::new();
    let run = env.run(ARCHIVE);
    assert_eq!(task(&run, "archive").result, ResultCode::SuccessNoData);
    assert_eq!(
        crate::support::count_files(&env.data().join("workflow/archive")),
        0
    );
}

#[test]
fn archive_must_be_granted_in_the_workflow() {
    let env = TestEnv::new();
    let err = env
        .try_run(&ARCHIVE.replace("    grants: [archive]\n", ""))
        .expect_err("validation error");
    assert!(
        err.to_string()
            .contains("grant it with `grants: [archive]`"),
        "{err}"
    );
}

#[test]
fn file_repeater_yields_the_documented_current_variables() {
    let env = TestEnv::new();
    env.write("in/report.final.xml", "12345");
    let run = env.run(
        "name: Vars\ntasks:\n  - task: file-repeater\n    settings: { input-directory: in }\n    tasks:\n      - task: copy-file\n        settings: { input-file: \"{{ current.FullName }}\", output-file: \"{{ current.NameWithoutExtension }}|{{ current.Extension }}|{{ current.Length }}|{{ current.DirectoryName }}.txt\" }\n",
    );
    assert_eq!(run.result, ResultCode::Success, "{}", run.message);
    assert!(
        env.workdir().join("report.final|.xml|5|/in.txt").exists(),
        "{:?}",
        std::fs::read_dir(env.workdir())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect::<Vec<_>>()
    );
}

#[test]
fn copy_refuses_to_overwrite_when_told_not_to() {
    let env = TestEnv::new();
    env.write("a.txt", "new");
    env.write("b.txt", "old");
    let run = env.run("name: C\nresume-on-failure: false\ntasks:\n  - task: copy-file\n    id: copy\n    settings: { input-file: a.txt, output-file: b.txt, overwrite: false }\n");
    assert_eq!(task(&run, "copy").result, ResultCode::Fail);
    assert_eq!(
        std::fs::read_to_string(env.workdir().join("b.txt")).unwrap(),
        "old"
    );
}

/// Regression (issue 11): split-xml refused ISO-8859-1 and UTF-16 input the XSLT task reads.
#[test]
fn split_xml_reads_latin1_and_utf16_and_writes_utf8_chunks() {
    let env = TestEnv::new();
    let workflow = env.workflow(
        "name: Encodings\ntasks:\n  - task: split-xml\n    id: latin\n    settings: { input-file: latin.xml, xpath-query: /Company/Products/Product, output-folder: out }\n  - task: split-xml\n    id: wide\n    settings: { input-file: wide.xml, xpath-query: /Company/Products/Product, output-folder: out }\n",
    );
    let work = env.binary_data(&workflow).join("work");
    std::fs::create_dir_all(&work).unwrap();
    let text = |encoding: &str| {
        format!(
            "<?xml version=\"1.0\" encoding=\"{encoding}\"?>\n<Company>\n  <Products>\n    <Product><Name>Crème brûlée</Name></Product>\n  </Products>\n</Company>\n"
        )
    };
    let latin: Vec<u8> = text("ISO-8859-1")
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    std::fs::write(work.join("latin.xml"), latin).unwrap();
    let wide: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text("UTF-16").encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    std::fs::write(work.join("wide.xml"), wide).unwrap();

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
    for chunk in ["latin_1.xml", "wide_1.xml"] {
        let bytes = std::fs::read(work.join("out").join(chunk)).unwrap();
        let chunk = String::from_utf8(bytes).expect("a UTF-8 chunk");
        assert!(
            chunk.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
            "{chunk}"
        );
        assert!(chunk.contains("<Name>Crème brûlée</Name>"), "{chunk}");
    }
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
