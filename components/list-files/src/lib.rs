//! List Files (docs/file-tasks.md): the files of a folder (and its sub-folders) whose names
//! match a wildcard, written as an XML list that `zip-files` and XSLT can read.

use std::path::PathBuf;

use wharf_documents::{
    listing::{ListError, list_files, write_list},
    task::{setting_failure, write_output},
};
use wharf_guest::{
    SettingError, TaskError, TaskResult, TaskSettings, TypedTask, wildcard::Wildcard,
};

/// The settings of `list-files`.
#[derive(Debug, Clone, TaskSettings)]
pub struct ListFilesSettings {
    /// The folder to list (`.`: the working directory).
    #[setting(kind = folder, default = ".")]
    pub folder: PathBuf,
    /// The XML list to write; left out, the files are only the task's `files` output.
    pub output_file: Option<PathBuf>,
    /// Include the files of sub-folders.
    #[setting(default = false)]
    pub recursive: bool,
    /// File name wildcard: `*` any run of characters, `?` one; letter case is ignored.
    #[setting(default = "*")]
    pub search_pattern: String,
}

/// The component; exported to the host on WebAssembly.
pub struct ListFiles;

impl TypedTask for ListFiles {
    const NAME: &'static str = "list-files";
    const DOC: &'static str = "Lists the files of a folder matching a wildcard, as an XML list.";
    type Settings = ListFilesSettings;

    fn run(settings: ListFilesSettings) -> Result<TaskResult, TaskError> {
        run(&settings)
    }
}

wharf_guest::export_task!(ListFiles);

/// The task: settings in, result out.
pub fn run(settings: &ListFilesSettings) -> Result<TaskResult, TaskError> {
    let pattern = match settings.search_pattern.trim() {
        "" => "*",
        pattern => pattern,
    };
    let wildcard = Wildcard::new(pattern).map_err(|e| SettingError::new("search-pattern", e))?;
    let files =
        list_files(&settings.folder, &wildcard, settings.recursive).map_err(|e| match e {
            ListError::Missing(_) => TaskError::not_found(format!("setting `folder`: {e}")),
            other => setting_failure("folder", other),
        })?;
    if let Some(output) = &settings.output_file {
        write_output(output, "output-file", |out| {
            write_list(&files, out).map_err(|e| setting_failure("output-file", e))
        })?;
    }
    let count = files.len() as u64;
    let message = format!(
        "{count} file(s) in `{}` match `{pattern}`{}",
        settings.folder.display(),
        match &settings.output_file {
            Some(output) => format!(", listed in `{}`", output.display()),
            None => String::new(),
        }
    );
    let joined = files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(";");
    let result = if count == 0 {
        TaskResult::success_no_data(message)
    } else {
        TaskResult::success_data(message)
    };
    Ok(result
        .with_counts(count, count, 0)
        .with_output("count", count.to_string())
        .with_output("files", joined))
}

#[cfg(test)]
mod tests {
    use std::fs;

    use wharf_documents::listing::read_list;
    use wharf_guest::{ResultCode, testing};

    use super::*;

    fn run_with(pairs: &[(&str, &str)]) -> TaskResult {
        testing::run::<ListFiles, _, _>(pairs)
    }

    #[test]
    fn every_setting() {
        let names: Vec<String> = testing::describe::<ListFiles>()
            .settings
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(
            names,
            ["folder", "output-file", "recursive", "search-pattern"]
        );
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir(root.join("sub")).unwrap();
        for name in ["a.txt", "b.txt1", "c.xml", "sub/d.txt"] {
            fs::write(root.join(name), "x").unwrap();
        }
        let list = root.join("list.xml");
        let result = run_with(&[
            ("folder", root.to_str().unwrap()),
            ("output-file", list.to_str().unwrap()),
            ("recursive", "true"),
            ("search-pattern", "*.txt*"),
        ]);
        assert_eq!(result.code, ResultCode::SuccessData, "{}", result.message);
        let listed = read_list(&fs::read_to_string(&list).unwrap()).unwrap();
        assert_eq!(
            listed,
            vec![
                root.join("a.txt"),
                root.join("b.txt1"),
                root.join("sub/d.txt")
            ]
        );
        let result = run_with(&[
            ("folder", root.to_str().unwrap()),
            ("search-pattern", "*.csv"),
        ]);
        assert_eq!(result.code, ResultCode::SuccessNoData);
        let result = run_with(&[("folder", root.join("none").to_str().unwrap())]);
        assert_eq!(result.code, ResultCode::NotFound);
        assert!(result.message.contains("`folder`"), "{}", result.message);
    }
}
