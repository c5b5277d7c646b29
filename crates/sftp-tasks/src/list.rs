//! List remote files (`sftp-list`, `ftp-list`; "Listing Files with SFTP/FTP", docs/ftp.md): the files of a remote folder that match a
//! wildcard, as task outputs (`count`, and `files`, one full remote path per line, for later
//! tasks' templates) and, when `output-file` is set, as an XML document:
//!
//! ```xml
//! <Files Server="sftp.example.co.uk" Directory="/download">
//!   <File><Name>a.xml</Name><FullName>/download/a.xml</FullName><Directory>/download</Directory>
//!         <Length>120</Length><LastWriteTime>2013-05-10T16:27:21Z</LastWriteTime></File>
//! </Files>
//! ```

use std::io::Write;

use crate::{Listing, ListingSettings, Remote, list_files, modified_time};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use wharf_guest::{TaskResult, TaskSettings};

/// The settings of `sftp-list` and `ftp-list`.
#[derive(Debug, Clone, TaskSettings)]
pub struct Settings {
    /// `directory`, `search-pattern`, `list-recursively`.
    #[setting(flatten)]
    pub listing: ListingSettings,
    /// Where to write the list as XML (Files/File); empty for outputs only.
    pub output_file: Option<std::path::PathBuf>,
}

/// The listing as an XML document.
pub fn document(listing: &Listing) -> std::io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    let mut root = BytesStart::new("Files");
    root.push_attribute(("Server", listing.server.as_str()));
    root.push_attribute(("Directory", listing.directory.as_str()));
    w.write_event(Event::Start(root))?;
    for file in &listing.files {
        w.write_event(Event::Start(BytesStart::new("File")))?;
        let size = file.size.to_string();
        let modified = modified_time(file);
        for (name, value) in [
            ("Name", file.name.as_str()),
            ("FullName", file.path.as_str()),
            ("Directory", file.directory.as_str()),
            ("Length", size.as_str()),
            ("LastWriteTime", modified.as_str()),
        ] {
            w.write_event(Event::Start(BytesStart::new(name)))?;
            w.write_event(Event::Text(BytesText::new(value)))?;
            w.write_event(Event::End(BytesEnd::new(name)))?;
        }
        w.write_event(Event::End(BytesEnd::new("File")))?;
    }
    w.write_event(Event::End(BytesEnd::new("Files")))?;
    let mut out = w.into_inner();
    out.write_all(b"\n")?;
    Ok(out)
}

/// The task as the component runs it.
pub fn task(
    settings: Settings,
    remote: &mut impl Remote,
) -> Result<TaskResult, wharf_guest::TaskError> {
    Ok(run(&settings, remote))
}

/// The task against a remote.
pub fn run(settings: &Settings, remote: &mut impl Remote) -> TaskResult {
    let listing = match list_files(&settings.listing, remote) {
        Ok(l) => l,
        Err(f) => return TaskResult::new(f.code, f.message),
    };
    let output = &settings.output_file;
    if let Some(path) = &output {
        let written = document(&listing).and_then(|doc| std::fs::write(path, doc));
        if let Err(e) = written {
            return TaskResult::fail(format!(
                "setting `output-file`: cannot write `{}`: {e}",
                path.display()
            ));
        }
    }
    let count = listing.files.len();
    let message = format!(
        "{count} file(s) in `{}` on {} match `{}`",
        listing.directory, listing.server, listing.pattern
    );
    let files: Vec<&str> = listing.files.iter().map(|f| f.path.as_str()).collect();
    let result = if count == 0 {
        TaskResult::success_no_data(message)
    } else {
        TaskResult::success_data(message)
    };
    result
        .with_counts(count as u64, count as u64, 0)
        .with_output("count", count.to_string())
        .with_output("files", files.join("\n"))
}

#[cfg(test)]
mod tests;
