//! List Files (docs/file-tasks.md): the files of a folder, optionally with its sub-folders, whose
//! names match a wildcard, in ordinal order of the full path; written as the XML Zynk writes
//! (`<ArrayOfString><string>/in/a.xml</string>…`), which `zip-files` reads back.

use std::{
    fs, io,
    io::Write,
    path::{Path, PathBuf},
};

use quick_xml::{
    Reader, Writer,
    events::{BytesDecl, BytesEnd, BytesStart, Event},
};
use wharf_guest::{fs::is_temporary, wildcard::Wildcard};

/// Why a folder could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// The folder does not exist (result `not-found`).
    #[error("folder `{0}` does not exist")]
    Missing(String),
    /// Reading a folder failed.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The folder.
        path: String,
        /// Why.
        #[source]
        source: io::Error,
    },
}

/// The files under `folder` whose names match `pattern`, sorted by full path. Wharf's own
/// partial files are never listed; symbolic links are not followed.
pub fn list_files(
    folder: &Path,
    pattern: &Wildcard,
    recursive: bool,
) -> Result<Vec<PathBuf>, ListError> {
    if !folder.is_dir() {
        return Err(ListError::Missing(folder.display().to_string()));
    }
    let mut found = Vec::new();
    let mut folders = vec![folder.to_path_buf()];
    while let Some(current) = folders.pop() {
        let io_error = |source| ListError::Io {
            path: current.display().to_string(),
            source,
        };
        for entry in fs::read_dir(&current).map_err(io_error)? {
            let entry = entry.map_err(io_error)?;
            let kind = entry.file_type().map_err(io_error)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if kind.is_dir() {
                if recursive {
                    folders.push(entry.path());
                }
            } else if kind.is_file() && !is_temporary(&name) && pattern.matches(&name) {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Writes `files` as `<ArrayOfString>` XML.
pub fn write_list(files: &[PathBuf], out: impl Write) -> io::Result<()> {
    let mut writer = Writer::new_with_indent(out, b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    writer.write_event(Event::Start(BytesStart::new("ArrayOfString")))?;
    for file in files {
        writer
            .create_element("string")
            .write_text_content(crate::table::text(&file.to_string_lossy()))?;
    }
    writer.write_event(Event::End(BytesEnd::new("ArrayOfString")))?;
    writer.into_inner().write_all(b"\n")
}

/// Reads a list [`write_list`] wrote (any `<string>` elements, in order).
pub fn read_list(xml: &str) -> Result<Vec<PathBuf>, String> {
    let mut reader = Reader::from_str(xml);
    let mut files = Vec::new();
    let mut inside = false;
    let mut text = String::new();
    loop {
        match reader
            .read_event()
            .map_err(|e| format!("not a file list: {e}"))?
        {
            Event::Start(start) if start.name().as_ref() == "string" => {
                inside = true;
                text.clear();
            }
            Event::Text(t) if inside => {
                text.push_str(&t.xml10_content());
            }
            Event::GeneralRef(r) if inside => {
                let name = r.into_inner();
                let resolved = crate::names::resolve_entity(&name)
                    .ok_or_else(|| format!("unknown entity `&{name};`"))?;
                text.push(resolved);
            }
            Event::End(end) if end.name().as_ref() == "string" => {
                inside = false;
                let path = text.trim();
                if !path.is_empty() {
                    files.push(PathBuf::from(path));
                }
            }
            Event::Eof => return Ok(files),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_match_recurse_sort_and_skip_partials() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("sub")).unwrap();
        for name in [
            "b.xml",
            "a.XML",
            "c.txt",
            "sub/d.xml",
            ".x.xml.wharf-partial",
        ] {
            fs::write(root.join(name), "x").unwrap();
        }
        let xml = Wildcard::new("*.xml").unwrap();
        let flat = list_files(root, &xml, false).unwrap();
        assert_eq!(flat, vec![root.join("a.XML"), root.join("b.xml")]);
        let deep = list_files(root, &xml, true).unwrap();
        assert_eq!(deep.len(), 3);
        assert!(matches!(
            list_files(&root.join("none"), &xml, false),
            Err(ListError::Missing(_))
        ));

        let mut out = Vec::new();
        write_list(&deep, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ArrayOfString>\n  <string>"
        ));
        assert_eq!(read_list(&text).unwrap(), deep);
    }
}
