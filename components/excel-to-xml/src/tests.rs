use std::{fs, path::Path};

use wharf_guest::{ResultCode, testing};

use super::*;

/// The committed `.xls` (BIFF8) and `.xlsx` workbooks of the workflow case, by relative path.
fn case_file(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/workflows/excel-to-xml-workbooks/work")
        .join(name)
}

fn run_with(pairs: &[(&str, &str)]) -> TaskResult {
    testing::run::<ExcelToXml, _, _>(pairs)
}

#[test]
fn describes_every_setting() {
    let info = testing::describe::<ExcelToXml>();
    let names: Vec<&str> = info.settings.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "input-file",
            "output-file",
            "worksheet-name",
            "include-headers",
            "column-name-prefix",
            "export-as-elements",
            "root",
            "row"
        ]
    );
}

#[test]
fn reads_xls_and_xlsx_workbooks() {
    let dir = tempfile::tempdir().unwrap();
    for workbook in ["orders.xls", "orders.xlsx"] {
        let output = dir.path().join(format!("{workbook}.xml"));
        let result = run_with(&[
            ("input-file", case_file(workbook).to_str().unwrap()),
            ("output-file", output.to_str().unwrap()),
            ("worksheet-name", "Orders"),
            ("root", "Orders"),
            ("row", "Order"),
        ]);
        assert_eq!(
            result.code,
            ResultCode::SuccessData,
            "{workbook}: {}",
            result.message
        );
        assert_eq!(result.counts.records_out, 2, "{workbook}");
        let xml = fs::read_to_string(&output).unwrap();
        assert!(
            xml.contains("<Order>\n    <OrderNumber>1001</OrderNumber>"),
            "{workbook}: {xml}"
        );
        assert!(
            xml.contains("<Unit_x0020_Price>4.5</Unit_x0020_Price>"),
            "{workbook}: {xml}"
        );
    }
}

#[test]
fn headings_off_attributes_and_mistakes() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out.xml");
    let o = output.to_str().unwrap();
    let xls = case_file("orders.xls");
    let result = run_with(&[
        ("input-file", xls.to_str().unwrap()),
        ("output-file", o),
        ("worksheet-name", "orders"),
        ("include-headers", "false"),
        ("export-as-elements", "false"),
        ("column-name-prefix", "C"),
    ]);
    assert_eq!(result.code, ResultCode::SuccessData, "{}", result.message);
    let xml = fs::read_to_string(&output).unwrap();
    assert!(xml.contains("C1=\"OrderNumber\""), "{xml}");

    let result = run_with(&[
        ("input-file", xls.to_str().unwrap()),
        ("output-file", o),
        ("worksheet-name", "Nope"),
    ]);
    assert_eq!(result.code, ResultCode::Fail);
    assert!(
        result.message.contains("`worksheet-name`") && result.message.contains("`Orders`"),
        "{}",
        result.message
    );

    let missing = dir.path().join("none.xlsx");
    let result = run_with(&[
        ("input-file", missing.to_str().unwrap()),
        ("output-file", o),
    ]);
    assert_eq!(result.code, ResultCode::NotFound, "{}", result.message);

    let text = dir.path().join("text.xlsx");
    fs::write(&text, "not a workbook").unwrap();
    let result = run_with(&[("input-file", text.to_str().unwrap()), ("output-file", o)]);
    assert_eq!(result.code, ResultCode::Fail);
    assert!(
        result.message.contains("`input-file`"),
        "{}",
        result.message
    );
}
