use std::fs;

use wharf_guest::{ResultCode, testing};

use super::*;

fn run_with(pairs: &[(&str, &str)]) -> TaskResult {
    testing::run::<CsvToXml, _, _>(pairs)
}

#[test]
fn describes_every_setting() {
    let info = testing::describe::<CsvToXml>();
    let names: Vec<&str> = info.settings.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "input-file",
            "output-file",
            "separator",
            "delimiter",
            "encoding",
            "include-headers",
            "column-name-prefix",
            "export-as-elements",
            "root",
            "row"
        ]
    );
}

#[test]
fn converts_with_every_setting() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    fs::write(&input, b"x|'a|b'|\xA3\n").unwrap();
    let output = dir.path().join("out/accounts.xml");
    let result = run_with(&[
        ("input-file", input.to_str().unwrap()),
        ("output-file", output.to_str().unwrap()),
        ("separator", "124"),
        ("delimiter", "'"),
        ("encoding", "windows-1252"),
        ("include-headers", "false"),
        ("column-name-prefix", "Col"),
        ("export-as-elements", "false"),
        ("root", "Accounts"),
        ("row", "Account"),
    ]);
    assert_eq!(result.code, ResultCode::SuccessData, "{}", result.message);
    assert_eq!(result.counts.records_out, 1);
    let xml = fs::read_to_string(&output).unwrap();
    assert!(
        xml.contains("<Account Col1=\"x\" Col2=\"a|b\" Col3=\"£\"/>"),
        "{xml}"
    );
}

#[test]
fn bad_settings_and_inputs_name_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    fs::write(&input, "A,B\n1,2\n").unwrap();
    let output = dir.path().join("out.xml");
    let (i, o) = (input.to_str().unwrap(), output.to_str().unwrap());
    for (setting, value, named) in [
        ("separator", "ab", "`separator`"),
        ("delimiter", ",", "`delimiter`"),
        ("encoding", "klingon", "`encoding`"),
        ("root", "1 root", "`root`"),
        ("row", "", "`row`"),
        ("column-name-prefix", "9", "`column-name-prefix`"),
    ] {
        let result = run_with(&[("input-file", i), ("output-file", o), (setting, value)]);
        assert_eq!(result.code, ResultCode::Fail, "{setting}");
        assert!(
            result.message.contains(named),
            "{setting}: {}",
            result.message
        );
    }
    let missing = dir.path().join("none.csv");
    let result = run_with(&[
        ("input-file", missing.to_str().unwrap()),
        ("output-file", o),
    ]);
    assert_eq!(result.code, ResultCode::NotFound, "{}", result.message);
    assert!(result.message.contains("`input-file`"));

    fs::write(&input, "A,A\n1,2\n").unwrap();
    let result = run_with(&[("input-file", i), ("output-file", o)]);
    assert_eq!(result.code, ResultCode::Fail);
    assert!(
        result.message.contains("appears twice"),
        "{}",
        result.message
    );
    assert!(!output.exists(), "a failed conversion leaves no output");
}

#[test]
fn an_empty_file_is_success_without_data() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    fs::write(&input, "A,B\n").unwrap();
    let output = dir.path().join("out.xml");
    let result = run_with(&[
        ("input-file", input.to_str().unwrap()),
        ("output-file", output.to_str().unwrap()),
    ]);
    assert_eq!(result.code, ResultCode::SuccessNoData, "{}", result.message);
}
