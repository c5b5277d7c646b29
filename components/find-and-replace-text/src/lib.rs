//! Find and Replace Text (docs/file-tasks.md): replaces every occurrence of a text in a file,
//! streaming it, into another file or over the input.

use wharf_documents::{task::EditFiles, text::Edit};
use wharf_guest::{SettingError, TaskError, TaskResult, TaskSettings, TypedTask};

/// The settings of `find-and-replace-text`.
#[derive(Debug, Clone, TaskSettings)]
pub struct FindAndReplaceSettings {
    #[setting(flatten)]
    pub files: EditFiles,
    /// The text to find (exact, letter case counts).
    pub find: String,
    /// What to put in its place (empty removes it).
    #[setting(default = "")]
    pub replace: String,
}

/// The component; exported to the host on WebAssembly.
pub struct FindAndReplaceText;

impl TypedTask for FindAndReplaceText {
    const NAME: &'static str = "find-and-replace-text";
    const DOC: &'static str = "Replaces every occurrence of a text in a file.";
    type Settings = FindAndReplaceSettings;

    fn run(settings: FindAndReplaceSettings) -> Result<TaskResult, TaskError> {
        let edit = Edit::replace_text(&settings.find, &settings.replace)
            .map_err(|e| SettingError::new("find", e))?;
        settings.files.edit(&edit, "replaced")
    }
}

wharf_guest::export_task!(FindAndReplaceText);

#[cfg(test)]
mod tests {
    use std::fs;

    use wharf_guest::{ResultCode, testing};

    use super::*;

    fn run_with(pairs: &[(&str, &str)]) -> TaskResult {
        testing::run::<FindAndReplaceText, _, _>(pairs)
    }

    #[test]
    fn every_setting() {
        let names: Vec<String> = testing::describe::<FindAndReplaceText>()
            .settings
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(
            names,
            [
                "input-file",
                "output-file",
                "overwrite-input-file",
                "find",
                "replace"
            ]
        );
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("fandr.txt");
        let output = dir.path().join("out/result.txt");
        let (i, o) = (input.to_str().unwrap(), output.to_str().unwrap());
        fs::write(&input, "x marks the x").unwrap();
        let result = run_with(&[
            ("input-file", i),
            ("output-file", o),
            ("find", "x"),
            ("replace", "y"),
        ]);
        assert_eq!(result.code, ResultCode::Success, "{}", result.message);
        assert_eq!(fs::read_to_string(&output).unwrap(), "y marks the y");
        assert_eq!(fs::read_to_string(&input).unwrap(), "x marks the x");
        let result = run_with(&[
            ("input-file", i),
            ("overwrite-input-file", "true"),
            ("find", "x "),
        ]);
        assert_eq!(result.code, ResultCode::Success, "{}", result.message);
        assert_eq!(fs::read_to_string(&input).unwrap(), "marks the x");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no partial file is left"
        );
    }

    #[test]
    fn mistakes_name_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.txt");
        fs::write(&input, "text").unwrap();
        let i = input.to_str().unwrap();
        let result = run_with(&[("input-file", i), ("find", "t")]);
        assert!(
            result.message.contains("`output-file`"),
            "{}",
            result.message
        );
        let result = run_with(&[
            ("input-file", i),
            ("overwrite-input-file", "true"),
            ("find", ""),
        ]);
        assert!(result.message.contains("`find`"), "{}", result.message);
        let missing = dir.path().join("none.txt");
        let result = run_with(&[
            ("input-file", missing.to_str().unwrap()),
            ("overwrite-input-file", "true"),
            ("find", "t"),
        ]);
        assert_eq!(result.code, ResultCode::NotFound);
    }
}
