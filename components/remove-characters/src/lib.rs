//! Remove Characters (docs/file-tasks.md): removes characters, a text or the matches of a
//! regular expression from a file, streaming it, into another file or over the input.

use wharf_documents::{
    task::EditFiles,
    text::{Edit, RemoveMode},
};
use wharf_guest::{SettingChoice, SettingError, TaskError, TaskResult, TaskSettings, TypedTask};

/// How `remove` is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, SettingChoice)]
pub enum Mode {
    /// Each character of `remove` is removed wherever it occurs.
    #[choice(rename = "characters")]
    Characters,
    /// The whole of `remove` is removed wherever it occurs.
    #[choice(rename = "text")]
    Text,
    /// `remove` is a regular expression, applied line by line.
    #[choice(rename = "regex")]
    Regex,
}

/// The settings of `remove-characters`.
#[derive(Debug, Clone, TaskSettings)]
pub struct RemoveCharactersSettings {
    #[setting(flatten)]
    pub files: EditFiles,
    /// What to remove: characters, a text or a regular expression, as `remove-mode` says.
    pub remove: String,
    /// `characters` (each character of `remove`), `text` (all of it) or `regex`.
    #[setting(default = "characters")]
    pub remove_mode: Mode,
}

/// The component; exported to the host on WebAssembly.
pub struct RemoveCharacters;

impl TypedTask for RemoveCharacters {
    const NAME: &'static str = "remove-characters";
    const DOC: &'static str =
        "Removes characters, a text or regular-expression matches from a file.";
    type Settings = RemoveCharactersSettings;

    fn run(settings: RemoveCharactersSettings) -> Result<TaskResult, TaskError> {
        let mode = match settings.remove_mode {
            Mode::Characters => RemoveMode::Characters,
            Mode::Text => RemoveMode::Text,
            Mode::Regex => RemoveMode::Regex,
        };
        let edit =
            Edit::remove(&settings.remove, mode).map_err(|e| SettingError::new("remove", e))?;
        settings.files.edit(&edit, "removed")
    }
}

wharf_guest::export_task!(RemoveCharacters);

#[cfg(test)]
mod tests {
    use std::fs;

    use wharf_guest::{ResultCode, testing};

    use super::*;

    fn run_with(pairs: &[(&str, &str)]) -> TaskResult {
        testing::run::<RemoveCharacters, _, _>(pairs)
    }

    #[test]
    fn every_setting_and_mode() {
        let info = testing::describe::<RemoveCharacters>();
        let names: Vec<&str> = info.settings.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "input-file",
                "output-file",
                "overwrite-input-file",
                "remove",
                "remove-mode"
            ]
        );
        assert_eq!(
            info.settings[4].allowed_values,
            ["characters", "text", "regex"]
        );
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("removechars.txt");
        let output = dir.path().join("out.txt");
        let (i, o) = (input.to_str().unwrap(), output.to_str().unwrap());
        for (remove, mode, expected) in [
            ("aeiou", "characters", "Rmv vwls, kp 123\n"),
            ("vowels", "text", "Remove , keep 123\n"),
            ("[0-9]", "regex", "Remove vowels, keep \n"),
        ] {
            fs::write(&input, "Remove vowels, keep 123\n").unwrap();
            let result = run_with(&[
                ("input-file", i),
                ("output-file", o),
                ("remove", remove),
                ("remove-mode", mode),
            ]);
            assert_eq!(
                result.code,
                ResultCode::Success,
                "{mode}: {}",
                result.message
            );
            assert_eq!(fs::read_to_string(&output).unwrap(), expected, "{mode}");
        }
        let result = run_with(&[
            ("input-file", i),
            ("overwrite-input-file", "true"),
            ("remove", " "),
        ]);
        assert_eq!(result.code, ResultCode::Success);
        assert_eq!(
            fs::read_to_string(&input).unwrap(),
            "Removevowels,keep123\n"
        );
    }

    #[test]
    fn mistakes_name_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.txt");
        fs::write(&input, "text").unwrap();
        let i = input.to_str().unwrap();
        for (pairs, named) in [
            (vec![("input-file", i), ("remove", "t")], "`output-file`"),
            (
                vec![
                    ("input-file", i),
                    ("overwrite-input-file", "true"),
                    ("remove", "("),
                    ("remove-mode", "regex"),
                ],
                "`remove`",
            ),
            (
                vec![
                    ("input-file", i),
                    ("overwrite-input-file", "true"),
                    ("remove", "t"),
                    ("remove-mode", "words"),
                ],
                "`remove-mode`",
            ),
        ] {
            let result = run_with(&pairs);
            assert_eq!(result.code, ResultCode::Fail);
            assert!(result.message.contains(named), "{}", result.message);
        }
    }
}
