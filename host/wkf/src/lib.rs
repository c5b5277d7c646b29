//! Imports Zynk Workflow `.wkf` files: each becomes a Wharf workflow YAML file, the connections
//! they use go into one connections file (secrets as environment-variable references), and a
//! report says what was converted, what became a disabled placeholder and what to check.
//! docs/wkf-import.md describes the mapping.

pub mod convert;
pub mod expr;
pub mod model;
pub mod report;
pub mod schedule;
pub mod xml;
pub mod yaml;

use convert::{Converter, SideFile};
use report::{BatchReport, FileReport};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The connections file an import writes.
pub const CONNECTIONS_FILE: &str = "connections.yaml";

/// The largest `.wkf` read; Zynk's own files are well under a megabyte.
pub const MAX_WKF_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum WkfError {
    #[error("XML error at {path} (byte {position}): {message}")]
    Xml {
        path: String,
        position: u64,
        message: String,
    },
    #[error("{path}: {message}")]
    Format { path: String, message: String },
    #[error("{file}: {message}")]
    File { file: PathBuf, message: String },
    #[error("writing {file}: {source}")]
    Write {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("serialising {what}: {message}")]
    Serialise { what: String, message: String },
}

/// One converted workflow, not yet written.
#[derive(Debug, Clone)]
pub struct Imported {
    /// `<id>.yaml`.
    pub yaml_file: String,
    pub yaml: String,
    pub report: FileReport,
    pub side_files: Vec<SideFile>,
}

/// Converts the text of a `.wkf` file called `file_name`. Connections go into `converter`.
pub fn import_text(
    converter: &mut Converter,
    text: &str,
    file_name: &str,
) -> Result<Imported, WkfError> {
    let root = xml::parse(text)?;
    let wf = model::read_workflow(&root)?;
    let tasks_read = model::count_tasks(&wf.tasks);
    if tasks_read == 0 {
        return Err(WkfError::Format {
            path: "Workflow/Tasks".into(),
            message: "the workflow has no tasks".into(),
        });
    }
    let (yaml, mut report, side_files) = converter.convert(&wf, file_name, tasks_read);
    let yaml_file = format!("{}.yaml", yaml.id);
    report.output = yaml_file.clone();
    let body = serde_saphyr::to_string(&yaml).map_err(|e| WkfError::Serialise {
        what: yaml_file.clone(),
        message: e.to_string(),
    })?;
    let mut header = format!(
        "# Imported from {file_name} by `wharf import-wkf`: {} of {} tasks converted.\n",
        report.converted, report.tasks
    );
    if !report.placeholders.is_empty() {
        header.push_str(
            "# Disabled placeholders (their task is the Zynk class, which Wharf does not have;\n\
             # `wharf validate` names them until they are replaced or removed):\n",
        );
        for p in &report.placeholders {
            header.push_str(&format!("#   {} — {}\n", p.id, p.class));
        }
    }
    Ok(Imported {
        yaml_file,
        yaml: header + &body,
        report,
        side_files,
    })
}

/// Reads a `.wkf` file, at most [`MAX_WKF_BYTES`], in the encoding it declares (Zynk writes
/// UTF-8; an editor may have saved it as UTF-16).
pub fn read_wkf(path: &Path) -> Result<String, WkfError> {
    let err = |message: String| WkfError::File {
        file: path.to_path_buf(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| err(format!("cannot open: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_WKF_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| err(format!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_WKF_BYTES {
        return Err(err(format!(
            "larger than the {} MiB a workflow file may be",
            MAX_WKF_BYTES / 1024 / 1024
        )));
    }
    let text = xml_encoding::decode(&bytes).map_err(|e| err(e.to_string()))?;
    Ok(text.strip_prefix('\u{FEFF}').unwrap_or(&text).to_string())
}

/// Imports `files` into `out_dir`: a YAML file each, stylesheets they carried inline, and
/// `connections.yaml` with every connection they use; schedules' times are in `time_zone`. Nothing is written unless every file
/// converts, and, unless `overwrite`, none of the files exists yet (a connections file the user
/// has filled in is not lost to a second import).
pub fn import_files(
    files: &[PathBuf],
    out_dir: &Path,
    overwrite: bool,
    time_zone: Option<&str>,
) -> Result<BatchReport, WkfError> {
    let mut converter = Converter {
        time_zone: time_zone.map(str::to_string),
        ..Converter::default()
    };
    let mut imported = Vec::new();
    for path in files {
        let text = read_wkf(path)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let one = import_text(&mut converter, &text, &name).map_err(|e| WkfError::File {
            file: path.clone(),
            message: e.to_string(),
        })?;
        if let Some(other) = imported
            .iter()
            .find(|i: &&Imported| i.yaml_file == one.yaml_file)
        {
            return Err(WkfError::File {
                file: path.clone(),
                message: format!(
                    "would be written to {} as {} is",
                    one.yaml_file, other.report.file
                ),
            });
        }
        imported.push(one);
    }
    let mut outputs: Vec<String> = imported
        .iter()
        .flat_map(|i| {
            std::iter::once(i.yaml_file.clone()).chain(i.side_files.iter().map(|s| s.name.clone()))
        })
        .collect();
    if !converter.connections.is_empty() {
        outputs.push(CONNECTIONS_FILE.into());
    }

    let existing: Vec<&String> = outputs
        .iter()
        .filter(|name| out_dir.join(name).exists())
        .collect();
    if !overwrite && !existing.is_empty() {
        return Err(WkfError::File {
            file: out_dir.to_path_buf(),
            message: format!(
                "already holds {}: import into another folder, or pass --force to replace them",
                existing
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    std::fs::create_dir_all(out_dir).map_err(|source| WkfError::Write {
        file: out_dir.to_path_buf(),
        source,
    })?;
    let write = |name: &str, text: &str| {
        let file = out_dir.join(name);
        std::fs::write(&file, text).map_err(|source| WkfError::Write { file, source })
    };
    for i in &imported {
        write(&i.yaml_file, &i.yaml)?;
        for s in &i.side_files {
            write(&s.name, &s.contents)?;
        }
    }
    let connections_file = if converter.connections.is_empty() {
        None
    } else {
        let text =
            serde_saphyr::to_string(&converter.connections).map_err(|e| WkfError::Serialise {
                what: "connections.yaml".into(),
                message: e.to_string(),
            })?;
        write(
            CONNECTIONS_FILE,
            &format!(
                "# Connections of workflows imported by `wharf import-wkf`. Secrets are read from\n\
                 # the environment variables named here; add known-hosts or host-key to SFTP servers.\n{text}"
            ),
        )?;
        Some(out_dir.join(CONNECTIONS_FILE).display().to_string())
    };
    Ok(BatchReport::new(
        imported.into_iter().map(|i| i.report).collect(),
        connections_file,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_and_bom_files_read() {
        let dir = std::env::temp_dir().join(format!("wkf-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text =
            "<?xml version=\"1.0\" encoding=\"utf-16\"?><Workflow><Name>Größe</Name></Workflow>";
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        std::fs::write(dir.join("a.wkf"), utf16).unwrap();
        assert_eq!(read_wkf(&dir.join("a.wkf")).unwrap(), text);
        std::fs::write(
            dir.join("b.wkf"),
            [b"\xEF\xBB\xBF".as_slice(), b"<Workflow/>"].concat(),
        )
        .unwrap();
        assert_eq!(read_wkf(&dir.join("b.wkf")).unwrap(), "<Workflow/>");
        std::fs::write(dir.join("c.wkf"), b"<Workflow>\xFF</Workflow>").unwrap();
        assert!(
            read_wkf(&dir.join("c.wkf"))
                .unwrap_err()
                .to_string()
                .contains("UTF-8")
        );
        let root = xml::parse(&read_wkf(&dir.join("a.wkf")).unwrap()).unwrap();
        assert_eq!(root.child_text("Name"), Some("Größe"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
