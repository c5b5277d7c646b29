use std::fs;

use wharf_guest::ResultCode;

use super::*;

fn run(pairs: &[(&str, &str)]) -> TaskResult {
    wharf_guest::testing::run::<MoveFile, _, _>(pairs)
}

#[test]
fn creates_the_output_folder_and_defaults_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("orders.xml");
    let output = dir.path().join("done/2024/orders.xml");
    fs::write(&input, b"<Company/>").unwrap();
    fs::create_dir_all(output.parent().unwrap()).unwrap();
    fs::write(&output, b"old").unwrap();
    let result = run(&[
        ("input-file", input.to_str().unwrap()),
        ("output-file", output.to_str().unwrap()),
    ]);
    assert_eq!(result.code, ResultCode::Success, "{}", result.message);
    assert_eq!(fs::read(&output).unwrap(), b"<Company/>");
    assert!(!input.exists());
    assert_eq!(result.counts.records_out, 1);
}

#[test]
fn missing_input_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let result = run(&[
        ("input-file", dir.path().join("none.xml").to_str().unwrap()),
        ("output-file", dir.path().join("out.xml").to_str().unwrap()),
    ]);
    assert_eq!(result.code, ResultCode::NotFound);
    assert!(
        result.message.starts_with("setting `input-file`"),
        "{}",
        result.message
    );
}

#[test]
fn existing_output_without_overwrite_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("a.xml");
    let output = dir.path().join("b.xml");
    fs::write(&input, b"new").unwrap();
    fs::write(&output, b"old").unwrap();
    let result = run(&[
        ("input-file", input.to_str().unwrap()),
        ("output-file", output.to_str().unwrap()),
        ("overwrite", "false"),
    ]);
    assert_eq!(result.code, ResultCode::Fail);
    assert!(
        result.message.contains(output.to_str().unwrap()),
        "{}",
        result.message
    );
    assert_eq!(fs::read(&output).unwrap(), b"old");
    assert_eq!(fs::read(&input).unwrap(), b"new");
}

#[test]
fn describe_declares_the_settings() {
    let info = wharf_guest::testing::describe::<MoveFile>();
    assert_eq!(info.name, "move-file");
    let names: Vec<_> = info.settings.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "input-file",
            "output-file",
            "overwrite",
            "prepend-timestamp",
            "timestamp-format"
        ]
    );
    assert_eq!(info.settings[2].default_value.as_deref(), Some("true"));
}

#[test]
fn prepend_timestamp_names_the_output_by_the_time() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("move.txt");
    fs::write(&input, b"x").unwrap();
    let output = dir.path().join("Move/move.txt");
    let result = run(&[
        ("input-file", input.to_str().unwrap()),
        ("output-file", output.to_str().unwrap()),
        ("prepend-timestamp", "true"),
        ("timestamp-format", "yyyy"),
    ]);
    assert_eq!(result.code, ResultCode::Success, "{}", result.message);
    let moved: Vec<String> = fs::read_dir(dir.path().join("Move"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(moved.len(), 1);
    assert!(
        moved[0].ends_with("_move.txt") && moved[0].len() == "2026_move.txt".len(),
        "{moved:?}"
    );

    fs::write(&input, b"x").unwrap();
    let result = run(&[
        ("input-file", input.to_str().unwrap()),
        ("output-file", output.to_str().unwrap()),
        ("prepend-timestamp", "true"),
        ("timestamp-format", "HH:mm"),
    ]);
    assert_eq!(result.code, ResultCode::Fail);
    assert!(
        result.message.contains("`timestamp-format`"),
        "{}",
        result.message
    );
    assert!(input.exists(), "nothing moved");
}
