//! Writing the output documents.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use wharf_guest::fs::partial_path;

/// An empty Zynk document, as the host's writer produces it: what both import files hold when
/// nothing went that way, and what they are reset to when the task cannot import at all (a
/// stale success file from an earlier run must never look like this run's). About 600 bytes
/// less than the SFTP tutorial's "has data" threshold (docs/zynk-reference.md §2.6).
pub const EMPTY_DOCUMENT: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n",
    "<Company xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">\n",
    "  <Products />\n",
    "  <Styles />\n",
    "  <Inventories />\n",
    "  <Customers />\n",
    "  <Suppliers />\n",
    "  <SalesOrders />\n",
    "  <PurchaseOrders />\n",
    "  <Invoices />\n",
    "  <ProductGroups />\n",
    "  <Transactions />\n",
    "  <TaxRates />\n",
    "  <Currencies />\n",
    "  <PriceLists />\n",
    "  <StockTransactions />\n",
    "  <PaymentAllocations />\n",
    "</Company>\n",
);

/// Whether [`write_document`] waits for the disk before it renames the document into place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flush {
    /// Synced first: an export's document, which a later task uploads or sends on as the
    /// record of what the export committed.
    Synced,
    /// Not waited for: an import's success and fail documents. They say what the ledger did,
    /// and the ledger's own commits are what an order depends on; after a crash the import of
    /// a file still to be processed is repeated and writes them again (docs/sage50-rules.md,
    /// "What reaches the disk, and when").
    Unsynced,
}

/// Writes `text` to `path` whole or not at all: to a hidden partial file first (synced when
/// `flush` says so), then renamed over `path`, so a later task never reads half a document.
/// Missing folders are made.
pub fn write_document(path: &Path, text: &str, flush: Flush) -> io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let partial = partial_path(path);
    let written = (|| {
        let mut file = fs::File::create(&partial)?;
        file.write_all(text.as_bytes())?;
        if flush == Flush::Synced {
            file.sync_all()?;
        }
        // Closed before the rename: on Windows the host opens a task's files without delete
        // sharing, so an open file cannot be renamed (docs/sage50.md, the Windows runner).
        drop(file);
        fs::rename(&partial, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&partial);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_document_is_what_the_host_writes() {
        assert_eq!(EMPTY_DOCUMENT, zynk_xml::Company::new().to_xml());
        assert!(EMPTY_DOCUMENT.len() < 600);
    }

    #[test]
    fn documents_replace_older_ones_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out/success.xml");
        for flush in [Flush::Synced, Flush::Unsynced] {
            write_document(&path, "first", flush).unwrap();
            write_document(&path, EMPTY_DOCUMENT, flush).unwrap();
            assert_eq!(fs::read_to_string(&path).unwrap(), EMPTY_DOCUMENT);
            assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
        }
    }
}
