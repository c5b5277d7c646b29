use super::*;

fn to_xml(json: &str, root: Option<&str>) -> Result<String, ConvertError> {
    let mut out = Vec::new();
    json_to_xml(json.as_bytes(), root, &mut out)?;
    Ok(String::from_utf8(out).unwrap())
}

fn to_json(xml: &str, omit_root_object: bool) -> Value {
    let mut out = Vec::new();
    xml_to_json(
        xml.as_bytes(),
        JsonOptions {
            omit_root_object,
            indent: false,
        },
        &mut out,
    )
    .unwrap();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn the_documented_customers_example() {
    let json = r#"{"Customer": [
        {"firstName": "John", "age": 25, "address": {"city": "New York"},
         "phoneNumber": [{"type": "home"}, {"type": "fax"}]},
        {"firstName": "Joe", "age": 32, "address": {"state": "Tyne & Wear"}, "phoneNumber": []}
    ]}"#;
    let xml = to_xml(json, Some("Customers")).unwrap();
    assert_eq!(
        xml,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Customers>\n  <Customer>\n    \
         <firstName>John</firstName>\n    <age>25</age>\n    <address>\n      <city>New York</city>\n    \
         </address>\n    <phoneNumber>\n      <type>home</type>\n    </phoneNumber>\n    <phoneNumber>\n      \
         <type>fax</type>\n    </phoneNumber>\n  </Customer>\n  <Customer>\n    <firstName>Joe</firstName>\n    \
         <age>32</age>\n    <address>\n      <state>Tyne &amp; Wear</state>\n    </address>\n  </Customer>\n</Customers>\n"
    );
}

#[test]
fn attributes_text_cdata_null_and_dropped_properties() {
    let json = r##"{"Order": {"@id": "7", "?xml": 1, "$type": "x", "Note": {"@lang": "en", "#text": "Hi"},
                   "Empty": null, "Flag": true, "Code": {"#cdata-section": "<b>"}, "Price": 1.5}}"##;
    let xml = to_xml(json, None).unwrap();
    assert!(xml.contains("<Order id=\"7\">"), "{xml}");
    assert!(xml.contains("<Note lang=\"en\">Hi</Note>"), "{xml}");
    assert!(
        xml.contains("<Empty/>") && xml.contains("<Flag>true</Flag>"),
        "{xml}"
    );
    assert!(
        xml.contains("<![CDATA[<b>]]>") && xml.contains("<Price>1.5</Price>"),
        "{xml}"
    );
    assert!(
        !xml.contains("type") && !xml.contains("?xml version=\"1\""),
        "{xml}"
    );
}

#[test]
fn names_are_made_xml_names_and_nested_arrays_nest() {
    let xml = to_xml(r#"{"R": {"unit price": 2, "m": [[1, 2], 3]}}"#, None).unwrap();
    assert!(
        xml.contains("<unit_x0020_price>2</unit_x0020_price>"),
        "{xml}"
    );
    assert!(
        xml.contains("<m>\n    <m>1</m>\n    <m>2</m>\n  </m>\n  <m>3</m>"),
        "{xml}"
    );
}

#[test]
fn the_root_element_name_is_needed_unless_one_property() {
    for (json, why) in [
        (r#"{"a": 1, "b": 2}"#, "more than one property"),
        ("[1, 2]", "is an array"),
        ("{}", "is empty"),
        ("3", "single value"),
    ] {
        let error = to_xml(json, None).unwrap_err().to_string();
        assert!(
            error.contains(why) && error.contains("`root-element-name`"),
            "{error}"
        );
    }
    let xml = to_xml("[1, {\"a\": 2}]", Some("List")).unwrap();
    assert!(
        xml.contains("<List>\n  <Item>1</Item>\n  <Item>\n    <a>2</a>"),
        "{xml}"
    );
    let error = to_xml("{}", Some("bad name")).unwrap_err().to_string();
    assert!(error.contains("`root-element-name`"), "{error}");
}

#[test]
fn bad_json_and_late_attributes_are_refused() {
    let error = to_xml(r#"{"a": {"b": 1"#, None).unwrap_err().to_string();
    assert!(
        error.contains("not JSON") && error.contains("line 1"),
        "{error}"
    );
    let error = to_xml(r#"{"a": {"b": 1, "@c": 2}}"#, None)
        .unwrap_err()
        .to_string();
    assert!(error.contains("attribute `@c`"), "{error}");
    let error = to_xml(r#"{"a": "\u0001"}"#, None).unwrap_err().to_string();
    assert!(error.contains("U+0001"), "{error}");
    // Deeper than the JSON reader allows: an error, not a crash.
    let deep = format!("{}1{}", "{\"a\":".repeat(1000), "}".repeat(1000));
    assert!(to_xml(&deep, None).is_err());
}

#[test]
fn xml_to_json_groups_repeats_and_marks_attributes() {
    let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<Company><Customer id="1"><Name>A &amp; B</Name><Phone>1</Phone><Phone>2</Phone><Empty/>
<Note lang="en">Hi</Note></Customer></Company>"#;
    let json = to_json(xml, false);
    assert_eq!(json["?xml"]["@version"], "1.0");
    let customer = &json["Company"]["Customer"];
    assert_eq!(customer["@id"], "1");
    assert_eq!(customer["Name"], "A & B");
    assert_eq!(customer["Phone"], serde_json::json!(["1", "2"]));
    assert_eq!(customer["Empty"], Value::Null);
    assert_eq!(
        customer["Note"],
        serde_json::json!({"@lang": "en", "#text": "Hi"})
    );
    let omitted = to_json(xml, true);
    assert_eq!(omitted["Customer"]["Name"], "A & B");
    assert!(omitted.get("?xml").is_none());
}

#[test]
fn json_array_attribute_forces_an_array() {
    let xml = r#"<R xmlns:json="http://james.newtonking.com/projects/json"><Line json:Array="true"><Q>1</Q></Line></R>"#;
    let json = to_json(xml, false);
    assert_eq!(json["R"]["Line"], serde_json::json!([{"Q": "1"}]));
}

#[test]
fn round_trip_keeps_the_data() {
    let xml = "<Orders><Order No=\"1\"><Line>a</Line><Line>b</Line></Order></Orders>";
    let json = to_json(xml, false);
    let back = to_xml(&json.to_string(), None).unwrap();
    assert!(
        back.contains("<Order No=\"1\">\n    <Line>a</Line>\n    <Line>b</Line>"),
        "{back}"
    );
}

#[test]
fn malformed_xml_is_refused() {
    for bad in ["<a><b></a>", "<a>", "", "<a/><b/>"] {
        let mut out = Vec::new();
        let options = JsonOptions {
            omit_root_object: false,
            indent: true,
        };
        assert!(
            matches!(
                xml_to_json(bad.as_bytes(), options, &mut out),
                Err(ConvertError::Xml(_))
            ),
            "{bad}"
        );
    }
}
