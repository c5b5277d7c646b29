//! Zip Files (docs/file-tasks.md): files, folders, wildcards and the list a `list-files` task
//! wrote into one zip archive, optionally AES-256 encrypted and with a timestamp in its name.

use std::path::{Path, PathBuf};

use wharf_documents::{
    listing::read_list,
    resolve,
    task::{file_failure, setting_failure, write_output},
    timestamp::TimestampSettings,
    zipping::{ZipError, entries, source, write_zip},
};
use wharf_guest::{SettingError, TaskError, TaskResult, TaskSettings, TypedTask};

/// The settings of `zip-files`.
#[derive(Debug, Clone, TaskSettings)]
pub struct ZipFilesSettings {
    /// What to zip, `,`- or `;`-separated: files (stored by name), folders (their contents,
    /// with sub-folders) and wildcards (`out/*.xml`), relative to the working directory.
    pub files: Vec<String>,
    /// An XML file list written by `list-files`; its files are zipped too.
    pub file_list: Option<PathBuf>,
    /// The zip file to create (replaced if it exists).
    pub output_file: PathBuf,
    /// 0 stores the files; 1 (fastest) to 9 (smallest) compress them.
    #[setting(default = 9, range = 0..=9)]
    pub compression_level: u8,
    /// Encrypts every file with AES-256 under this password; left out: no encryption.
    pub password: Option<String>,
    #[setting(flatten)]
    pub timestamp: TimestampSettings,
}

/// The component; exported to the host on WebAssembly.
pub struct ZipFiles;

impl TypedTask for ZipFiles {
    const NAME: &'static str = "zip-files";
    const DOC: &'static str = "Zips files, folders and wildcard matches into one zip file.";
    type Settings = ZipFilesSettings;

    fn run(settings: ZipFilesSettings) -> Result<TaskResult, TaskError> {
        run(&settings, Path::new("/"))
    }
}

wharf_guest::export_task!(ZipFiles);

/// The task, with relative paths taken from `root` (the working directory).
pub fn run(settings: &ZipFilesSettings, root: &Path) -> Result<TaskResult, TaskError> {
    let mut sources: Vec<_> = settings
        .files
        .iter()
        .map(|f| source(resolve(root, Path::new(f))))
        .collect();
    if let Some(list) = &settings.file_list {
        let text =
            std::fs::read_to_string(list).map_err(|e| file_failure("file-list", list, &e))?;
        let listed = read_list(&text).map_err(|e| setting_failure("file-list", e))?;
        sources.extend(listed.into_iter().map(|f| source(resolve(root, &f))));
    }
    if sources.is_empty() {
        return Err(SettingError::new("files", "give the files to zip (or `file-list`)").into());
    }
    let entries = entries(&sources).map_err(|e| match e {
        ZipError::Missing(_) => TaskError::not_found(format!("setting `files`: {e}")),
        other => setting_failure("files", other),
    })?;
    let output = settings.timestamp.name(&settings.output_file)?;
    if entries.iter().any(|(path, _)| *path == output) {
        return Err(setting_failure(
            "output-file",
            "the zip would contain itself",
        ));
    }
    let bytes = write_output(&output, "output-file", |out| {
        write_zip(
            &entries,
            settings.compression_level,
            settings.password.as_deref(),
            out,
        )
        .map_err(|e| setting_failure("files", e))
    })?;
    let count = entries.len() as u64;
    Ok(TaskResult::success(format!(
        "zipped {count} file(s) ({bytes} bytes) into `{}`",
        output.display()
    ))
    .with_counts(count, count, 0)
    .with_output("files", count.to_string())
    .with_output("output-file", output.display().to_string()))
}

#[cfg(test)]
mod tests {
    use std::{fs, io::Read};

    use wharf_guest::{ResultCode, TaskSettings as _};

    use super::*;

    /// Settings with `output-file` and `file-list` made absolute under `root`, as the host
    /// hands file settings over.
    fn settings(root: &Path, pairs: &[(&str, &str)]) -> ZipFilesSettings {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| {
                let value = match *k {
                    "output-file" | "file-list" => root.join(v).display().to_string(),
                    _ => v.to_string(),
                };
                (k.to_string(), value)
            })
            .collect();
        ZipFilesSettings::from_pairs(&pairs).unwrap()
    }

    #[test]
    fn every_setting() {
        let names: Vec<String> = wharf_guest::testing::describe::<ZipFiles>()
            .settings
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(
            names,
            [
                "files",
                "file-list",
                "output-file",
                "compression-level",
                "password",
                "prepend-timestamp",
                "timestamp-format"
            ]
        );
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("move.txt"), "move").unwrap();
        fs::write(root.join("list.txt"), "list").unwrap();
        fs::create_dir(root.join("out")).unwrap();
        fs::write(root.join("out/a.xml"), "a").unwrap();
        fs::write(
            root.join("files.xml"),
            format!(
                "<ArrayOfString><string>{}</string></ArrayOfString>",
                root.join("out/a.xml").display()
            ),
        )
        .unwrap();
        let result = run(
            &settings(
                root,
                &[
                    ("files", "move.txt; list.txt"),
                    ("file-list", "files.xml"),
                    ("output-file", "zips/zip.zip"),
                    ("compression-level", "0"),
                    ("password", "pw"),
                    ("prepend-timestamp", "true"),
                    ("timestamp-format", "yyyy"),
                ],
            ),
            root,
        )
        .unwrap();
        assert_eq!(result.code, ResultCode::Success, "{}", result.message);
        assert_eq!(result.counts.records_out, 3);
        let made: Vec<_> = fs::read_dir(root.join("zips"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(made.len(), 1);
        assert!(
            made[0].ends_with("_zip.zip") && made[0].len() == "2026_zip.zip".len(),
            "{made:?}"
        );
        let mut archive =
            zip::ZipArchive::new(fs::File::open(root.join("zips").join(&made[0])).unwrap())
                .unwrap();
        let mut text = String::new();
        archive
            .by_name_decrypt("list.txt", b"pw")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "list");
    }

    #[test]
    fn mistakes_name_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("a.txt"), "a").unwrap();
        let error = run(&settings(root, &[("output-file", "z.zip")]), root).unwrap_err();
        assert!(error.message.contains("`files`"), "{}", error.message);
        let error = run(
            &settings(root, &[("files", "none.txt"), ("output-file", "z.zip")]),
            root,
        )
        .unwrap_err();
        assert_eq!(error.code, ResultCode::NotFound);
        let error = run(
            &settings(
                root,
                &[
                    ("files", "a.txt"),
                    ("output-file", "z.zip"),
                    ("prepend-timestamp", "true"),
                    ("timestamp-format", "HH:mm"),
                ],
            ),
            root,
        )
        .unwrap_err();
        assert!(
            error.message.contains("`timestamp-format`"),
            "{}",
            error.message
        );
        let error = run(
            &settings(root, &[("files", "*.txt"), ("output-file", "a.txt")]),
            root,
        )
        .unwrap_err();
        assert!(error.message.contains("`output-file`"), "{}", error.message);
        assert!(
            ZipFilesSettings::from_pairs(&[
                ("files", "a"),
                ("output-file", "/z"),
                ("compression-level", "10")
            ])
            .is_err()
        );
    }
}
