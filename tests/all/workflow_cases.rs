//! `wharf test` on the project's workflow cases (tests/workflows, docs/workflow-tests.md), and
//! that a case whose expectation is wrong fails with a diff, and a malformed one is refused.

use crate::support::{TestEnv, repo_root, wharf_command};
use std::path::Path;
use std::process::Output;

fn wharf_test(env: &TestEnv, dirs: &[&Path]) -> Output {
    wharf_command(&env.data())
        .arg("test")
        .args(dirs)
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Copies the project case `name` into the test's folder, to be changed there.
fn copy_case(env: &TestEnv, name: &str) -> std::path::PathBuf {
    let to = env.dir.path().join(name);
    wharf_workflow_test::copy_tree(&repo_root().join("tests/workflows").join(name), &to).unwrap();
    to
}

fn edit(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "{} has no `{from}`", file.display());
    std::fs::write(file, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn the_project_cases_pass() {
    let env = TestEnv::new();
    let output = wharf_test(&env, &[&repo_root().join("tests/workflows")]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(0), "{report}");
    let cases = std::fs::read_dir(repo_root().join("tests/workflows"))
        .unwrap()
        .count();
    assert!(cases >= 20, "only {cases} cases");
    assert!(
        report.contains(&format!("{cases} cases: {cases} passed, 0 failed")),
        "{report}"
    );
}

#[test]
fn a_wrong_expectation_fails_with_a_diff_and_exit_code_1() {
    let env = TestEnv::new();
    let magento = copy_case(&env, "auto-mapper-product-feeds");
    edit(
        &magento.join("expected/magento.xml"),
        "<qty>4</qty>",
        "<qty>5</qty>",
    );
    let switch = copy_case(&env, "switch");
    edit(
        &switch.join("case.yaml"),
        "maybe-delete: { result: success }",
        "maybe-delete: { result: fail }",
    );
    let passing = copy_case(&env, "disabled");
    let output = wharf_test(&env, &[&magento, &passing, &switch]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(report.contains("3 cases: 1 passed, 2 failed"), "{report}");
    assert!(
        report.contains("run 1: file `out/magento.xml`: content differs:"),
        "{report}"
    );
    assert!(
        report.contains("--- expected")
            && report.contains("+++ actual")
            && report.contains("-    <qty>5</qty>")
            && report.contains("+    <qty>4</qty>"),
        "{report}"
    );
    assert!(
        report.contains("run 2: task `maybe-delete`: expected fail, found success"),
        "{report}"
    );
    assert!(report.contains("PASS  "), "{report}");
}

#[test]
fn wrong_rows_xml_values_and_state_are_each_reported() {
    let env = TestEnv::new();
    let sage = copy_case(&env, "sage-stock-export-cursor");
    let case = sage.join("case.yaml");
    edit(
        &case,
        "qty_allocated: 3, qty_in_stock: 10",
        "qty_allocated: 2",
    );
    edit(
        &case,
        "Product/QtyAllocated: \"3\"",
        "Product/QtyAllocated: \"2\"",
    );
    edit(
        &case,
        "date-time-modified: { exists: true }",
        "date-time-modified: { exists: false }",
    );
    let output = wharf_test(&env, &[&sage]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(
        report.contains(
            r#"run 2: ledger stock: no row matches {"qty_allocated":2,"stock_code":"PEN"}"#
        ) && report.contains(r#"{"qty_allocated":3.0,"stock_code":"PEN"}"#),
        "{report}"
    );
    assert!(
        report.contains(r#"`Product/QtyAllocated`: expected ["2"], found ["3"]"#),
        "{report}"
    );
    assert!(
        report.contains("run 1: state of `stock`, `date-time-modified`: expected it not to exist"),
        "{report}"
    );
}

#[test]
fn a_malformed_case_exits_2_naming_the_file_and_field() {
    let env = TestEnv::new();
    let case = copy_case(&env, "templating");
    edit(
        &case.join("case.yaml"),
        "result: success\n",
        "reslt: success\n",
    );
    let output = wharf_test(&env, &[&case]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(2), "{report}");
    assert!(
        report.contains(&format!("{}: ", case.join("case.yaml").display()))
            && report.contains("unknown field `reslt`"),
        "{report}"
    );

    let case = copy_case(&env, "split-xml-record-limit");
    edit(
        &case.join("case.yaml"),
        "same-as: expected/products.xml",
        "same-as: expected/nothing.xml",
    );
    let output = wharf_test(&env, &[&case]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(2), "{report}");
    assert!(
        report.contains(
            "runs[0].expect.files.products.xml.same-as: the file expected/nothing.xml is not in the case folder"
        ),
        "{report}"
    );
}

#[test]
fn a_case_cannot_reach_outside_its_folders() {
    let env = TestEnv::new();
    let case = copy_case(&env, "switch");
    edit(
        &case.join("case.yaml"),
        "write: { target.txt: x }",
        "write: { ../target.txt: x }",
    );
    let output = wharf_test(&env, &[&case]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(2), "{report}");
    assert!(
        report
            .contains("runs[1].before.write: `../target.txt` leaves the folder it is relative to"),
        "{report}"
    );
    assert!(!env.dir.path().join("target.txt").exists());
}

#[test]
fn a_folder_without_cases_is_an_error() {
    let env = TestEnv::new();
    let empty = env.dir.path().join("empty");
    std::fs::create_dir_all(empty.join("not-a-case")).unwrap();
    std::fs::write(
        empty.join("not-a-case/workflow.yaml"),
        "name: X\ntasks: []\n",
    )
    .unwrap();
    let output = wharf_test(&env, &[&empty]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(2), "{report}");
    assert!(report.contains("not-a-case/case.yaml: missing"), "{report}");
}
