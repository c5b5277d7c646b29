//! XML to JSON (docs/documents.md): Json.NET's rules (repeated elements become arrays,
//! attributes `@name`, text beside them `#text`, an empty element `null`). The document is read
//! whole, as grouping repeated elements needs it.

use std::path::PathBuf;

use wharf_documents::{
    json::{ConvertError, JsonOptions, xml_to_json},
    task::{converted, file_failure, setting_failure, write_output},
};
use wharf_guest::{TaskError, TaskResult, TaskSettings, TypedTask};

/// The settings of `xml-to-json`.
#[derive(Debug, Clone, TaskSettings)]
pub struct XmlToJsonSettings {
    /// The XML file to convert, in the encoding it declares.
    pub input_file: PathBuf,
    /// The JSON file to write (replaced if it exists).
    #[setting(default = "xml_to_json.json")]
    pub output_file: PathBuf,
    /// Leave out the document element (and the XML declaration): the JSON is its content.
    #[setting(default = false)]
    pub omit_root_object: bool,
    /// Indent the JSON (true) or write it on one line.
    #[setting(default = true)]
    pub indent: bool,
}

/// The component; exported to the host on WebAssembly.
pub struct XmlToJson;

impl TypedTask for XmlToJson {
    const NAME: &'static str = "xml-to-json";
    const DOC: &'static str =
        "Converts an XML file to JSON (repeated elements become arrays, attributes @name).";
    type Settings = XmlToJsonSettings;

    fn run(settings: XmlToJsonSettings) -> Result<TaskResult, TaskError> {
        run(&settings)
    }
}

wharf_guest::export_task!(XmlToJson);

/// The task: settings in, result out.
pub fn run(settings: &XmlToJsonSettings) -> Result<TaskResult, TaskError> {
    let input = &settings.input_file;
    let bytes = std::fs::read(input).map_err(|e| file_failure("input-file", input, &e))?;
    let options = JsonOptions {
        omit_root_object: settings.omit_root_object,
        indent: settings.indent,
    };
    let elements = write_output(&settings.output_file, "output-file", |out| {
        xml_to_json(&bytes, options, out).map_err(|e| match e {
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
        testing::run::<XmlToJson, _, _>(pairs)
    }

    #[test]
    fn settings_options_and_errors() {
        let names: Vec<String> = testing::describe::<XmlToJson>()
            .settings
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(
            names,
            ["input-file", "output-file", "omit-root-object", "indent"]
        );
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.xml");
        let output = dir.path().join("out.json");
        let (i, o) = (input.to_str().unwrap(), output.to_str().unwrap());
        fs::write(&input, "<R><A>1</A><A>2</A></R>").unwrap();
        let result = run_with(&[("input-file", i), ("output-file", o), ("indent", "false")]);
        assert_eq!(result.code, ResultCode::Success, "{}", result.message);
        assert_eq!(
            fs::read_to_string(&output).unwrap(),
            "{\"R\":{\"A\":[\"1\",\"2\"]}}\n"
        );
        let result = run_with(&[
            ("input-file", i),
            ("output-file", o),
            ("omit-root-object", "true"),
        ]);
        assert_eq!(result.code, ResultCode::Success);
        assert_eq!(
            fs::read_to_string(&output).unwrap(),
            "{\n  \"A\": [\n    \"1\",\n    \"2\"\n  ]\n}\n"
        );

        fs::write(&input, "<R><A></R>").unwrap();
        let result = run_with(&[("input-file", i), ("output-file", o)]);
        assert_eq!(result.code, ResultCode::Fail);
        assert!(
            result.message.contains("`input-file`"),
            "{}",
            result.message
        );
        let result = run_with(&[
            ("input-file", dir.path().join("none.xml").to_str().unwrap()),
            ("output-file", o),
        ]);
        assert_eq!(result.code, ResultCode::NotFound);
    }
}
