//! JSON to XML (docs/documents.md): Json.NET's rules (arrays repeat their property's element,
//! `@name` is an attribute, `#text` the text), streamed: the XML is written as the JSON is read.

use std::{fs::File, path::PathBuf};

use wharf_documents::{
    json::{ConvertError, json_to_xml},
    task::{converted, file_failure, setting_failure, write_output},
};
use wharf_guest::{TaskError, TaskResult, TaskSettings, TypedTask};

/// The settings of `json-to-xml`.
#[derive(Debug, Clone, TaskSettings)]
pub struct JsonToXmlSettings {
    /// The JSON file to convert.
    pub input_file: PathBuf,
    /// The XML file to write (replaced if it exists).
    #[setting(default = "json_to_xml.xml")]
    pub output_file: PathBuf,
    /// An element wrapping everything; needed unless the JSON is an object with one property.
    pub root_element_name: Option<String>,
}

/// The component; exported to the host on WebAssembly.
pub struct JsonToXml;

impl TypedTask for JsonToXml {
    const NAME: &'static str = "json-to-xml";
    const DOC: &'static str =
        "Converts a JSON file to XML (arrays repeat elements, @name is an attribute).";
    type Settings = JsonToXmlSettings;

    fn run(settings: JsonToXmlSettings) -> Result<TaskResult, TaskError> {
        run(&settings)
    }
}

wharf_guest::export_task!(JsonToXml);

/// The task: settings in, result out.
pub fn run(settings: &JsonToXmlSettings) -> Result<TaskResult, TaskError> {
    let input = &settings.input_file;
    let file = File::open(input).map_err(|e| file_failure("input-file", input, &e))?;
    let elements = write_output(&settings.output_file, "output-file", |out| {
        json_to_xml(file, settings.root_element_name.as_deref(), out).map_err(|e| match e {
            ConvertError::NeedsRoot(_) => {
                setting_failure("input-file", format!("`{}`: {e}", input.display()))
            }
            ConvertError::Json(m) if m.starts_with("setting `") => TaskError::fail(m),
            ConvertError::Io(e) => setting_failure("output-file", e),
            other => setting_failure("input-file", format!("`{}`: {other}", input.display())),
        })
    })?;
    Ok(converted(input, &settings.output_file, elements))
}

#[cfg(test)]
mod tests {
    use std::fs;

    use wharf_guest::{ResultCode, testing};

    use super::*;

    fn run_with(pairs: &[(&str, &str)]) -> TaskResult {
        testing::run::<JsonToXml, _, _>(pairs)
    }

    #[test]
    fn settings_root_and_errors() {
        let names: Vec<String> = testing::describe::<JsonToXml>()
            .settings
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["input-file", "output-file", "root-element-name"]);
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.json");
        let output = dir.path().join("out.xml");
        let (i, o) = (input.to_str().unwrap(), output.to_str().unwrap());
        fs::write(&input, r#"{"Customer": [{"Name": "A"}, {"Name": "B"}]}"#).unwrap();
        let result = run_with(&[
            ("input-file", i),
            ("output-file", o),
            ("root-element-name", "Customers"),
        ]);
        assert_eq!(result.code, ResultCode::Success, "{}", result.message);
        let xml = fs::read_to_string(&output).unwrap();
        assert!(
            xml.contains("<Customers>\n  <Customer>\n    <Name>A</Name>"),
            "{xml}"
        );

        fs::write(&input, r#"{"a": 1, "b": 2}"#).unwrap();
        let result = run_with(&[("input-file", i), ("output-file", o)]);
        assert_eq!(result.code, ResultCode::Fail);
        assert!(
            result.message.contains("`root-element-name`"),
            "{}",
            result.message
        );

        let result = run_with(&[
            ("input-file", i),
            ("output-file", o),
            ("root-element-name", "a b"),
        ]);
        assert!(
            result.message.starts_with("setting `root-element-name`"),
            "{}",
            result.message
        );

        fs::write(&input, "{not json").unwrap();
        let result = run_with(&[
            ("input-file", i),
            ("output-file", o),
            ("root-element-name", "R"),
        ]);
        assert_eq!(result.code, ResultCode::Fail);
        assert!(
            result.message.contains("`input-file`") && result.message.contains("line 1"),
            "{}",
            result.message
        );

        let result = run_with(&[
            ("input-file", dir.path().join("none.json").to_str().unwrap()),
            ("output-file", o),
        ]);
        assert_eq!(result.code, ResultCode::NotFound);
    }
}
