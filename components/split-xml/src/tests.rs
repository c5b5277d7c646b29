use std::{
    fs,
    path::{Path, PathBuf},
};

use quick_xml::{Reader, events::Event};
use wharf_guest::ResultCode;

use super::*;

const PRODUCT_EXPORT: &str = "../../../shared/fixtures/zynk-samples/zynk-xml/Stationary & Computer Mart - Product Export.xml";

fn split_text(xml: &str, query: &str, limit: usize) -> (tempfile::TempDir, SplitSummary) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("orders.xml");
    fs::write(&input, xml).unwrap();
    let summary = split(
        &input,
        query,
        limit,
        &dir.path().join("out"),
        NameFormat::Number,
    )
    .unwrap();
    (dir, summary)
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap()
}

fn names(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

/// Parses the whole document and returns the element paths of every element, checking that
/// it is well-formed on the way.
fn element_paths(xml: &str) -> Vec<String> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut paths = Vec::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => {
                stack.push(e.name().into_inner().to_owned());
                paths.push(format!("/{}", stack.join("/")));
            }
            Event::Empty(e) => {
                paths.push(
                    format!("/{}/{}", stack.join("/"), e.name().into_inner()).replace("//", "/"),
                );
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(stack.is_empty(), "unclosed elements in {xml}");
    paths
}

fn count(xml: &str, path: &str) -> usize {
    element_paths(xml).iter().filter(|p| *p == path).count()
}

fn products(n: usize) -> String {
    let mut xml =
        String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Company>\n  <Products>\n");
    for i in 1..=n {
        xml.push_str(&format!("    <Product><Sku>{i}</Sku></Product>\n"));
    }
    xml.push_str("  </Products>\n</Company>\n");
    xml
}

#[test]
fn the_product_export_fixture_splits_into_product_only_chunks() {
    let source = read(Path::new(PRODUCT_EXPORT));
    let total = count(&source, "/Company/Products/Product");
    assert_eq!(total, 105);

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("Stock Export");
    let summary = split(
        Path::new(PRODUCT_EXPORT),
        "/Company/Products/Product",
        50,
        &out,
        NameFormat::Number,
    )
    .unwrap();
    assert_eq!(summary.records_matched, 105);
    assert_eq!(summary.records_written, 105);
    let base = "Stationary & Computer Mart - Product Export";
    assert_eq!(
        names(&summary.files),
        [
            format!("{base}_1.xml"),
            format!("{base}_2.xml"),
            format!("{base}_3.xml")
        ]
    );

    let mut skus = Vec::new();
    for (file, expected) in summary.files.iter().zip([50, 50, 5]) {
        let chunk = read(file);
        assert!(chunk.starts_with("<?xml version=\"1.0\"?>\n<Company xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">\n  <Products>\n    <Product>"));
        assert!(chunk.ends_with("</Product>\n  </Products>\n</Company>"));
        assert_eq!(count(&chunk, "/Company/Products/Product"), expected);
        // Siblings of Products (Customers, TaxRates …) are gone.
        assert_eq!(count(&chunk, "/Company/Products"), 1);
        assert!(
            element_paths(&chunk)
                .iter()
                .all(|p| p == "/Company" || p.starts_with("/Company/Products"))
        );
        assert!(!chunk.contains("<TaxRates"));
        // Records are copied byte for byte.
        for record in chunk.split("<Product>").skip(1) {
            let record = format!("<Product>{}", &record[..record.find("</Product>").unwrap()]);
            assert!(source.contains(&record));
            skus.push(
                record[record.find("<Sku>").unwrap()..record.find("</Sku>").unwrap()].to_owned(),
            );
        }
    }
    let source_skus: Vec<_> = source
        .split("<Product>")
        .skip(1)
        .map(|r| r[r.find("<Sku>").unwrap()..r.find("</Sku>").unwrap()].to_owned())
        .collect();
    assert_eq!(skus, source_skus);
    // The input is untouched and no temporary file is left.
    assert_eq!(read(Path::new(PRODUCT_EXPORT)), source);
    assert_eq!(fs::read_dir(&out).unwrap().count(), 3);
}

#[test]
fn chunks_keep_the_skeleton_and_the_input_layout() {
    let xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Company a=\"1\">\n  <Customers>\n    <Customer/>\n  </Customers>\n  <Products>\n    <Product><Sku>1</Sku></Product>\n    <Product><Sku>2</Sku></Product>\n    <Product><Sku>3</Sku></Product>\n  </Products>\n</Company>\n";
    let (_dir, summary) = split_text(xml, "/Company/Products/Product", 2);
    assert_eq!(names(&summary.files), ["orders_1.xml", "orders_2.xml"]);
    assert_eq!(
        read(&summary.files[0]),
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Company a=\"1\">\n  <Products>\n    <Product><Sku>1</Sku></Product>\n    <Product><Sku>2</Sku></Product>\n  </Products>\n</Company>"
    );
    assert_eq!(
        read(&summary.files[1]),
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Company a=\"1\">\n  <Products>\n    <Product><Sku>3</Sku></Product>\n  </Products>\n</Company>"
    );
}

#[test]
fn a_limit_of_one_gives_a_file_per_record() {
    let (_dir, summary) = split_text(&products(3), "Company/Products/Product", 1);
    assert_eq!(
        names(&summary.files),
        ["orders_1.xml", "orders_2.xml", "orders_3.xml"]
    );
    for (i, file) in summary.files.iter().enumerate() {
        let chunk = read(file);
        assert_eq!(count(&chunk, "/Company/Products/Product"), 1);
        assert!(chunk.contains(&format!("<Sku>{}</Sku>", i + 1)));
    }
}

#[test]
fn a_limit_of_two_leaves_the_remainder_in_the_last_file() {
    let (_dir, summary) = split_text(&products(5), "/Company/Products/Product", 2);
    let counts: Vec<_> = summary
        .files
        .iter()
        .map(|f| count(&read(f), "/Company/Products/Product"))
        .collect();
    assert_eq!(counts, [2, 2, 1]);
    assert_eq!((summary.records_matched, summary.records_written), (5, 5));
}

#[test]
fn an_exact_multiple_leaves_no_empty_file() {
    let (dir, summary) = split_text(&products(6), "/Company/Products/Product", 3);
    assert_eq!(summary.files.len(), 2);
    assert_eq!(fs::read_dir(dir.path().join("out")).unwrap().count(), 2);
    assert_eq!(
        count(&read(&summary.files[1]), "/Company/Products/Product"),
        3
    );
}

#[test]
fn namespace_declarations_and_prefixes_are_kept() {
    let xml = r#"<?xml version="1.0"?>
<c:Company xmlns:c="urn:company" xmlns="urn:default" xmlns:x="urn:x">
  <c:Orders x:batch="7">
    <c:Order x:id="1"><Line xmlns="urn:line">a</Line></c:Order>
    <c:Order x:id="2"/>
  </c:Orders>
</c:Company>"#;
    let (_dir, summary) = split_text(xml, "/c:Company/c:Orders/c:Order", 10);
    assert_eq!(summary.records_matched, 2);
    let chunk = read(&summary.files[0]);
    assert!(
        chunk.contains(r#"<c:Company xmlns:c="urn:company" xmlns="urn:default" xmlns:x="urn:x">"#)
    );
    assert!(chunk.contains(r#"<c:Orders x:batch="7">"#));
    assert!(chunk.contains(r#"<c:Order x:id="1"><Line xmlns="urn:line">a</Line></c:Order>"#));
    assert!(chunk.contains(r#"<c:Order x:id="2"/>"#));
    assert!(chunk.ends_with("</c:Orders>\n</c:Company>"));
}

#[test]
fn ancestor_attributes_are_copied_as_written() {
    let xml = "<Company id='1' name=\"A &amp; B\"><Products kind=\"stock\"  x='y'><Product/></Products></Company>";
    let (_dir, summary) = split_text(xml, "/Company/Products/Product", 5);
    assert_eq!(
        read(&summary.files[0]),
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Company id='1' name=\"A &amp; B\"><Products kind=\"stock\"  x='y'><Product/></Products></Company>"
    );
}

#[test]
fn record_content_is_preserved_exactly() {
    let record = "<Product id=\"1\">\n      <Name>A &amp; B &#169; &lt;x&gt; &custom;</Name>\n      <Raw><![CDATA[<not> & markup]]></Raw>\n      <!-- a comment -->\n      <?process me?>\n      <Empty/>\n      mixed text\n    </Product>";
    let xml = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE Company [<!ENTITY custom \"c\">]>\n<Company>\n  <!-- dropped -->\n  <Products>\n    {record}\n  </Products>\n</Company>"
    );
    let (_dir, summary) = split_text(&xml, "/Company/Products/Product", 10);
    let chunk = read(&summary.files[0]);
    assert!(chunk.contains(record), "{chunk}");
    assert!(chunk.starts_with(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE Company [<!ENTITY custom \"c\">]>\n<Company>"
    ));
    assert!(!chunk.contains("dropped"));
}

#[test]
fn self_closing_records_count() {
    let xml = "<Company><Products><Product sku=\"1\"/><Product sku=\"2\" /><Product/></Products></Company>";
    let (_dir, summary) = split_text(xml, "/Company/Products/Product", 2);
    assert_eq!(summary.records_matched, 3);
    assert_eq!(summary.files.len(), 2);
    assert!(read(&summary.files[0]).contains("<Product sku=\"1\"/><Product sku=\"2\" />"));
    assert!(read(&summary.files[1]).contains("<Product/>"));
}

#[test]
fn elements_off_the_path_are_ignored_even_with_the_record_name() {
    let xml = "<Company>\
        <Product>top-level, not a record</Product>\
        <Archive><Products><Product>archived</Product></Products></Archive>\
        <Products>\
          <Product><Sku>1</Sku><Parts><Product>nested part</Product></Parts></Product>\
          <Bundle><Product>in a bundle</Product></Bundle>\
          <Product><Product>nested directly</Product></Product>\
        </Products>\
        <Products><Product><Sku>2</Sku></Product></Products>\
      </Company>";
    let (_dir, summary) = split_text(xml, "/Company/Products/Product", 100);
    assert_eq!(summary.records_matched, 3);
    let chunk = read(&summary.files[0]);
    assert!(
        !chunk.contains("top-level")
            && !chunk.contains("archived")
            && !chunk.contains("in a bundle")
    );
    // Nested elements of the same name stay inside their record.
    assert!(
        chunk.contains(
            "<Product><Sku>1</Sku><Parts><Product>nested part</Product></Parts></Product>"
        )
    );
    assert!(chunk.contains("<Product><Product>nested directly</Product></Product>"));
    // Records under two separate parents keep both parents.
    assert_eq!(count(&chunk, "/Company/Products"), 2);
    assert_eq!(count(&chunk, "/Company/Products/Product"), 3);
}

#[test]
fn a_query_for_the_root_copies_the_whole_element() {
    let xml = "<?xml version=\"1.0\"?>\n<Company a=\"1\"><X/><Y>t</Y></Company>";
    let (_dir, summary) = split_text(xml, "/Company", 10);
    assert_eq!(summary.records_matched, 1);
    assert_eq!(
        read(&summary.files[0]),
        "<?xml version=\"1.0\"?>\n<Company a=\"1\"><X/><Y>t</Y></Company>"
    );
}

#[test]
fn no_match_writes_no_file() {
    let (dir, summary) = split_text(&products(3), "/Company/Customers/Customer", 10);
    assert_eq!(summary, SplitSummary::default());
    let out = dir.path().join("out");
    assert!(out.is_dir(), "the output folder is still created");
    assert_eq!(fs::read_dir(out).unwrap().count(), 0);
}

#[test]
fn a_missing_declaration_gets_the_default_one_and_a_bom_is_dropped() {
    let (_dir, summary) = split_text("\u{feff}<a><b/></a>", "/a/b", 10);
    assert_eq!(
        read(&summary.files[0]),
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><a><b/></a>"
    );
}

/// Splits `bytes` (in whatever encoding) two records a chunk and returns the chunks' bytes.
fn split_bytes(bytes: &[u8]) -> Result<Vec<Vec<u8>>, SplitError> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("orders.xml");
    fs::write(&input, bytes).unwrap();
    let summary = split(
        &input,
        "/Company/Orders/Order",
        2,
        &dir.path().join("out"),
        NameFormat::Number,
    )?;
    Ok(summary.files.iter().map(|f| fs::read(f).unwrap()).collect())
}

const ACCENTED: &str = "<Company name=\"Crème Brûlée Ltd\">\n  <Orders>\n    <Order><Name>Zoë Ørsted</Name></Order>\n    <Order><Name>José</Name></Order>\n    <Order><Name>Ævar €5</Name></Order>\n  </Orders>\n</Company>\n";

/// What every chunk of [`ACCENTED`] must be, whatever the input's encoding: UTF-8, saying so.
fn accented_chunks(declaration: &str) -> Vec<String> {
    vec![
        format!(
            "{declaration}\n<Company name=\"Crème Brûlée Ltd\">\n  <Orders>\n    <Order><Name>Zoë Ørsted</Name></Order>\n    <Order><Name>José</Name></Order>\n  </Orders>\n</Company>"
        ),
        format!(
            "{declaration}\n<Company name=\"Crème Brûlée Ltd\">\n  <Orders>\n    <Order><Name>Ævar €5</Name></Order>\n  </Orders>\n</Company>"
        ),
    ]
}

fn utf8_chunks(chunks: Vec<Vec<u8>>) -> Vec<String> {
    chunks
        .into_iter()
        .map(|c| String::from_utf8(c).expect("chunks are UTF-8"))
        .collect()
}

#[test]
fn latin1_and_windows_1252_input_split_into_utf8_chunks_that_say_so() {
    // No euro sign in Latin-1: its byte 0x80 is the control character U+0080.
    let latin1_text = ACCENTED.replace('€', "\u{80}");
    let latin1: Vec<u8> = format!(
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\" standalone=\"yes\"?>\n{latin1_text}"
    )
    .chars()
    .map(|c| u8::try_from(u32::from(c)).unwrap())
    .collect();
    let expected: Vec<String> =
        accented_chunks("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>")
            .into_iter()
            .map(|c| c.replace('€', "\u{80}"))
            .collect();
    assert_eq!(utf8_chunks(split_bytes(&latin1).unwrap()), expected);

    let text = format!("<?xml version='1.0' encoding='windows-1252'?>\n{ACCENTED}");
    let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    assert_eq!(
        utf8_chunks(split_bytes(&cp1252).unwrap()),
        accented_chunks("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
    );
}

#[test]
fn utf16_input_with_or_without_a_bom_splits_into_utf8_chunks() {
    let text = format!("<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n{ACCENTED}");
    let little: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let big: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let expected = accented_chunks("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    assert_eq!(utf8_chunks(split_bytes(&little).unwrap()), expected);
    assert_eq!(utf8_chunks(split_bytes(&big).unwrap()), expected);
}

#[test]
fn utf8_declarations_are_kept_as_written_and_bad_encodings_are_refused() {
    let text = format!("<?xml version='1.0' encoding='utf-8'?>\n{ACCENTED}");
    assert_eq!(
        utf8_chunks(split_bytes(text.as_bytes()).unwrap()),
        accented_chunks("<?xml version='1.0' encoding='utf-8'?>")
    );

    let error = split_bytes(b"<?xml version='1.0' encoding='EBCDIC-US'?><Company/>").unwrap_err();
    assert_eq!(error.setting(), "input-file");
    assert!(
        error.to_string().contains("`EBCDIC-US` is not supported"),
        "{error}"
    );

    // Bytes that are not what the declaration says are an error, not mojibake.
    let error = split_bytes(b"<?xml version='1.0' encoding='Shift_JIS'?><Company><Orders><Order>\x82</Order></Orders></Company>").unwrap_err();
    assert_eq!(error.setting(), "input-file");
}

#[test]
fn existing_chunks_are_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("orders.xml");
    fs::write(&input, products(1)).unwrap();
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("orders_1.xml"), "stale").unwrap();
    split(
        &input,
        "/Company/Products/Product",
        10,
        &out,
        NameFormat::Number,
    )
    .unwrap();
    assert!(read(&out.join("orders_1.xml")).contains("<Sku>1</Sku>"));
}

#[test]
fn timestamp_names_are_unique_and_ordered() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("orders.xml");
    fs::write(&input, products(5)).unwrap();
    let out = dir.path().join("out");
    let summary = split(
        &input,
        "/Company/Products/Product",
        1,
        &out,
        NameFormat::Timestamp,
    )
    .unwrap();
    let names = names(&summary.files);
    assert_eq!(names.len(), 5);
    for name in &names {
        let stamp = name
            .strip_prefix("orders_")
            .unwrap()
            .strip_suffix(".xml")
            .unwrap();
        assert_eq!(stamp.len(), 21, "{name}");
        assert!(stamp.bytes().all(|b| b.is_ascii_digit()), "{name}");
    }
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, names);
    // A second run does not overwrite the first one's files.
    let again = split(
        &input,
        "/Company/Products/Product",
        1,
        &out,
        NameFormat::Timestamp,
    )
    .unwrap();
    assert_eq!(again.files.len(), 5);
    assert_eq!(fs::read_dir(&out).unwrap().count(), 10);
}

#[test]
fn stamps_have_the_dotnet_layout() {
    // 2019-12-05 15:59:31.5403023 UTC, the docs' example.
    let seconds: i128 = 1_575_561_571;
    assert_eq!(
        split::stamp_for_tests(seconds * 10_000_000 + 5_403_023),
        "201912051559315403023"
    );
}

#[test]
fn malformed_input_fails_and_leaves_no_files() {
    let mut xml = products(5);
    xml.push_str("<trailing>");
    let xml = xml.replace("<Sku>4</Sku>", "<Sku>4</Skew>");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("orders.xml");
    fs::write(&input, xml).unwrap();
    let out = dir.path().join("out");
    let error = split(
        &input,
        "/Company/Products/Product",
        1,
        &out,
        NameFormat::Number,
    )
    .unwrap_err();
    assert!(matches!(error, SplitError::Xml { .. }), "{error}");
    assert_eq!(error.setting(), "input-file");
    assert_eq!(
        fs::read_dir(&out).unwrap().count(),
        0,
        "no chunk and no partial file left"
    );
}

#[test]
fn truncated_input_fails() {
    let xml = "<Company><Products><Product><Sku>1</Sku></Product><Product>";
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("orders.xml");
    fs::write(&input, xml).unwrap();
    let error = split(
        &input,
        "/Company/Products/Product",
        1,
        &dir.path().join("out"),
        NameFormat::Number,
    )
    .unwrap_err();
    assert!(matches!(error, SplitError::Xml { .. }), "{error}");
    assert_eq!(fs::read_dir(dir.path().join("out")).unwrap().count(), 0);
}

#[test]
fn unsupported_queries_name_the_supported_forms() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("orders.xml");
    fs::write(&input, products(1)).unwrap();
    let error = split(&input, "//Product", 1, dir.path(), NameFormat::Number).unwrap_err();
    assert_eq!(error.setting(), "xpath-query");
    let message = error.to_string();
    assert!(
        message.starts_with("unsupported XPath `//Product`"),
        "{message}"
    );
    assert!(message.contains("/Company/Products/Product"), "{message}");
}

#[test]
fn a_missing_input_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let error = split(
        &dir.path().join("none.xml"),
        "/a/b",
        1,
        dir.path(),
        NameFormat::Number,
    )
    .unwrap_err();
    assert!(matches!(error, SplitError::InputMissing(_)));
}

#[test]
fn many_records_stream_through() {
    let (_dir, summary) = split_text(&products(20_000), "/Company/Products/Product", 200);
    assert_eq!(summary.files.len(), 100);
    assert_eq!(summary.records_written, 20_000);
    assert!(read(&summary.files[99]).contains("<Sku>20000</Sku>"));
}

fn run_with(pairs: &[(&str, &str)]) -> wharf_guest::TaskResult {
    wharf_guest::testing::run::<SplitXml, _, _>(pairs)
}

#[test]
fn the_task_reports_codes_counts_and_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("orders.xml");
    fs::write(&input, products(5)).unwrap();
    let input = input.to_str().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();

    let result = run_with(&[
        ("input-file", input),
        ("xpath-query", "/Company/Products/Product"),
        ("record-limit", "2"),
        ("output-folder", out),
    ]);
    assert_eq!(result.code, ResultCode::SuccessData, "{}", result.message);
    assert_eq!(result.outputs, [("files".to_owned(), "3".to_owned())]);
    assert_eq!(
        (result.counts.records_in, result.counts.records_out),
        (5, 5)
    );

    let result = run_with(&[
        ("input-file", input),
        ("xpath-query", "/Company/Nothing"),
        ("output-folder", out),
    ]);
    assert_eq!(result.code, ResultCode::SuccessNoData, "{}", result.message);

    let result = run_with(&[
        ("input-file", "/definitely/not/here.xml"),
        ("xpath-query", "/a"),
        ("output-folder", out),
    ]);
    assert_eq!(result.code, ResultCode::NotFound);
    assert!(result.message.starts_with("setting `input-file`:"));
}

#[test]
fn the_task_fails_on_bad_settings_naming_them() {
    let cases = [
        (
            ("record-limit", "abc"),
            "setting `record-limit`: expected a whole number, got `abc`",
        ),
        (
            ("record-limit", "0"),
            "setting `record-limit`: must be at least 1, got 0",
        ),
        (
            ("output-files-format", "Date"),
            "setting `output-files-format`: expected one of `Number`, `Timestamp`, got `Date`",
        ),
    ];
    for ((name, value), message) in cases {
        let result = run_with(&[
            ("input-file", "/in.xml"),
            ("xpath-query", "/a"),
            ("output-folder", "/out"),
            (name, value),
        ]);
        assert_eq!(result.code, ResultCode::Fail);
        assert_eq!(result.message, message);
    }
    let result = run_with(&[
        ("input-file", "/in.xml"),
        ("xpath-query", "/a[1]"),
        ("output-folder", "/out"),
    ]);
    assert_eq!(result.code, ResultCode::Fail);
    assert!(
        result
            .message
            .starts_with("setting `xpath-query`: unsupported XPath `/a[1]`")
    );
}
