//! XML Repeater (docs/documents.md): one item per node an XPath 1.0 query selects in an XML
//! file, with the node's attributes, child elements and deeper elements (by path) as the
//! item's `current` variables. The query runs on Wharf's XSLT engine.

use std::path::PathBuf;

use wharf_documents::{
    task::{file_failure, setting_failure},
    xml_items::{ItemsError, items},
};
use wharf_guest::{CurrentItem, TaskError, TaskSettings, TypedRepeater, log};

/// The settings of `xml-repeater`.
#[derive(Debug, Clone, TaskSettings)]
pub struct XmlRepeaterSettings {
    /// The XML file to read, in the encoding it declares.
    pub input_file: PathBuf,
    /// An XPath 1.0 query selecting the nodes to repeat over (`Company/Customers/Customer`).
    #[setting(non_empty)]
    pub xpath_query: String,
}

/// The component; exported to the host on WebAssembly.
pub struct XmlRepeater;

impl TypedRepeater for XmlRepeater {
    const NAME: &'static str = "xml-repeater";
    const DOC: &'static str = "Runs its children once per node an XPath selects, with the node's values as current variables.";
    // Named by the document: each attribute, child element and `Child/Grandchild` path.
    const CURRENT_VARIABLES: &'static [&'static str] = &[];
    type Settings = XmlRepeaterSettings;

    fn items(settings: XmlRepeaterSettings) -> Result<Vec<CurrentItem>, TaskError> {
        list(&settings)
    }
}

wharf_guest::export_repeater!(XmlRepeater);

/// The repeater's work.
pub fn list(settings: &XmlRepeaterSettings) -> Result<Vec<CurrentItem>, TaskError> {
    let input = &settings.input_file;
    let bytes = std::fs::read(input).map_err(|e| file_failure("input-file", input, &e))?;
    let found = items(&bytes, &settings.xpath_query).map_err(|e| match e {
        ItemsError::Query { .. } => setting_failure("xpath-query", &e),
        ItemsError::Input(cause) => setting_failure(
            "input-file",
            format!(
                "cannot select `{}` in `{}`: {cause}",
                settings.xpath_query,
                input.display()
            ),
        ),
    })?;
    log::info(format!(
        "{} node(s) of `{}` match `{}`",
        found.len(),
        input.display(),
        settings.xpath_query
    ));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use wharf_guest::{ResultCode, testing};

    use super::*;

    #[test]
    fn items_and_mistakes() {
        let info = testing::describe_repeater::<XmlRepeater>();
        let names: Vec<String> = info.settings.into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["input-file", "xpath-query"]);
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.xml");
        let i = input.to_str().unwrap();
        fs::write(&input, "<Company><Customers><Customer><Ref>A</Ref></Customer><Customer><Ref>B</Ref></Customer></Customers></Company>").unwrap();
        let found = testing::items::<XmlRepeater, _, _>(&[
            ("input-file", i),
            ("xpath-query", "Company/Customers/Customer"),
        ])
        .unwrap();
        assert_eq!(
            found,
            vec![
                vec![("Ref".to_string(), "A".to_string())],
                vec![("Ref".to_string(), "B".to_string())]
            ]
        );

        let failure =
            testing::items::<XmlRepeater, _, _>(&[("input-file", i), ("xpath-query", "Company/[")])
                .unwrap_err();
        assert!(
            failure.message.starts_with("setting `xpath-query`"),
            "{}",
            failure.message
        );
        let failure =
            testing::items::<XmlRepeater, _, _>(&[("input-file", i), ("xpath-query", "")])
                .unwrap_err();
        assert!(
            failure.message.contains("`xpath-query`"),
            "{}",
            failure.message
        );
        let missing = dir.path().join("none.xml");
        let failure = testing::items::<XmlRepeater, _, _>(&[
            ("input-file", missing.to_str().unwrap()),
            ("xpath-query", "a"),
        ])
        .unwrap_err();
        assert_eq!(failure.code, ResultCode::NotFound);
        fs::write(&input, "<a><b></a>").unwrap();
        let failure =
            testing::items::<XmlRepeater, _, _>(&[("input-file", i), ("xpath-query", "a")])
                .unwrap_err();
        assert!(
            failure.message.starts_with("setting `input-file`"),
            "{}",
            failure.message
        );
    }
}
