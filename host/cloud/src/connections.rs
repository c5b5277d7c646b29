//! The named connections of every capability that grants them (`sftp`, `http`, `ftp`,
//! `email`), taken from one connections file's text: the `wharf` command reads its file once,
//! the Lambda parses the customer's `connections.yaml` as fetched, and both make the same
//! capabilities from it.

use std::path::Path;
use std::sync::Arc;

use wharf_engine::runtime::Capability;
use wharf_sftp::ConnectionsError;

/// Every section of a connections file, each checked, relative paths resolved.
#[derive(Debug, Clone, Default)]
pub struct ConnectionSet {
    pub sftp: wharf_sftp::Connections,
    pub http: wharf_http::HttpConnections,
    pub ftp: wharf_ftp::FtpConnections,
    pub email: wharf_email::EmailConnections,
}

impl ConnectionSet {
    /// All sections of `text`; relative paths are taken from `base`. An empty text has none.
    pub fn parse(text: &str, base: &Path) -> Result<ConnectionSet, String> {
        Ok(ConnectionSet {
            sftp: wharf_sftp::Connections::parse(text, base)?,
            http: wharf_http::HttpConnections::parse(text, base)?,
            ftp: wharf_ftp::FtpConnections::parse(text, base)?,
            email: wharf_email::EmailConnections::parse(text, base)?,
        })
    }

    /// The connections file at `path`, read once; a missing file has no connections.
    pub fn load(path: &Path) -> Result<ConnectionSet, ConnectionsError> {
        wharf_sftp::load_connections_file(path, ConnectionSet::parse)
    }

    /// The `sftp`, `http`, `ftp` and `email` capabilities over these connections. The SFTP
    /// capability starts its runtime at its first grant, the HTTP one drives requests on the
    /// waiting caller's thread: making them starts no thread.
    pub fn capabilities(self) -> std::io::Result<Vec<Arc<dyn Capability>>> {
        Ok(vec![
            Arc::new(wharf_sftp::SftpCapability::new(self.sftp)?),
            Arc::new(wharf_http::HttpCapability::new(self.http)?),
            Arc::new(wharf_ftp::FtpCapability::new(self.ftp)),
            Arc::new(wharf_email::EmailCapability::new(self.email)),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_comes_from_one_text() {
        let text = "\
sftp:
  shop:
    server: sftp.example.com
    username: wharf
    password: { env: WHARF_TEST_NEVER_SET }
    known-hosts: keys/known_hosts
http:
  api:
    base-url: https://api.example.com/
ftp:
  old:
    server: ftp.example.com
    username: wharf
email:
  office:
    server: smtp.example.com
    from: wharf@example.com
";
        let set = ConnectionSet::parse(text, Path::new("/etc/wharf")).unwrap();
        assert_eq!(set.sftp.sftp_names().collect::<Vec<_>>(), ["shop"]);
        assert_eq!(set.http.names().collect::<Vec<_>>(), ["api"]);
        assert_eq!(set.ftp.names().collect::<Vec<_>>(), ["old"]);
        assert_eq!(set.email.names().collect::<Vec<_>>(), ["office"]);
        let caps = set.capabilities().unwrap();
        let names: Vec<&str> = caps.iter().map(|c| c.name()).collect();
        assert_eq!(names, ["sftp", "http", "ftp", "email"]);
    }

    #[test]
    fn a_wrong_section_names_itself_and_a_missing_file_has_none() {
        let unpinned = "sftp:\n  shop:\n    server: sftp.example.com\n    username: x\n";
        let err = ConnectionSet::parse(unpinned, Path::new(".")).unwrap_err();
        assert!(err.contains("sftp connection `shop`"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let set = ConnectionSet::load(&dir.path().join("connections.yaml")).unwrap();
        assert_eq!(set.sftp.sftp_names().count(), 0);
        assert_eq!(set.http.names().count(), 0);
        let bad = dir.path().join("bad.yaml");
        std::fs::write(&bad, "email:\n  office:\n    from: nobody\n").unwrap();
        let err = ConnectionSet::load(&bad).unwrap_err().to_string();
        assert!(err.contains("bad.yaml"), "{err}");
    }
}
