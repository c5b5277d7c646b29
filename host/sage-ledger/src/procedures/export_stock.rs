//! Export Stock Records from Sage 50 UK (docs/zynk-reference.md §2.9, §5.10, §5.11).
//!
//! Choices on docs/zynk-reference.md §6.30: the selection uses `>` against the cursor; legacy `ExportAll=true` overrides
//! the export type; the publish filter is ANDed with the date filter (an un-published product is
//! not re-exported); inactive products are exported with `IsActive=false`. The next cursor is the
//! newest modified stamp among the records scanned, or the run's start when none was — never the
//! end of the run, so changes made during the export are picked up next time. Content hashes
//! (without `DateModified`, which a touched-but-unchanged record would alter) suppress unchanged
//! records for the Modified and New selections; `All` exports everything and refreshes the hashes
//! (the rule, and why hashes carry their export's cursor: `export_hashes`). Cursor and hashes
//! are returned, not stored: the caller stores them once the file is delivered.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zynk_xml::{Company, Parsed, Record, XmlWriter};

use super::ProcedureError;
use super::export_hashes::{Candidate, select_changed};
use super::mapping::product_to_xml;
use super::settings::StockExportSettings;
use crate::backend::SageBackend;
use crate::products::StockRecordFilter;
use crate::truth::{TruthRecord, TruthStore, TruthStoreError, record_types};

/// What an export run produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockExport {
    /// `Company/Products/Product`, written even when empty.
    pub document: Company,
    /// Records the date and publish filters selected.
    pub scanned: usize,
    pub exported: usize,
    /// Selected but unchanged since their last export.
    pub suppressed: usize,
    /// The cursor to store once the output has been delivered.
    pub next_cursor: NaiveDateTime,
    /// Hash rows to store once the output has been delivered.
    pub hash_updates: Vec<TruthRecord>,
}

impl StockExport {
    pub fn xml(&self) -> String {
        self.document.to_xml()
    }

    /// Stores the exported records' hashes; call after the output was delivered.
    pub fn record_hashes(&self, truth: &mut dyn TruthStore) -> Result<(), TruthStoreError> {
        for update in &self.hash_updates {
            truth.upsert(update)?;
        }
        Ok(())
    }
}

/// SHA-256 of a product's serialisation without `DateModified`.
pub fn content_hash(product: &zynk_xml::Product) -> String {
    let mut comparable = product.clone();
    comparable.date_modified = None;
    let mut writer = XmlWriter::new();
    comparable.write(zynk_xml::Product::ELEMENT, &mut writer);
    hex::encode(Sha256::digest(writer.finish().as_bytes()))
}

/// Selects, serialises and de-duplicates stock records. Reads only: nothing is stored.
pub fn export_stock_records<B: SageBackend + ?Sized>(
    backend: &mut B,
    truth: &dyn TruthStore,
    settings: &StockExportSettings,
) -> Result<StockExport, ProcedureError> {
    let run_start = backend.now()?;
    let selection = settings.selection();
    let records = backend.stock_since(
        settings.date_time_modified,
        StockRecordFilter {
            selection,
            published_only: settings.export_published,
        },
    )?;
    let candidates = records
        .iter()
        .map(|product| {
            let xml = product_to_xml(product);
            Candidate {
                key: product.stock_code.clone(),
                modified: product.modified,
                hash: content_hash(&xml),
                record: Parsed::Record(xml),
            }
        })
        .collect();
    let selected = select_changed(
        truth,
        record_types::PRODUCT,
        selection,
        settings.date_time_modified,
        run_start,
        candidates,
    )?;
    Ok(StockExport {
        scanned: selected.scanned,
        exported: selected.kept.len(),
        suppressed: selected.suppressed,
        document: Company::with_products(selected.kept),
        next_cursor: selected.next_cursor,
        hash_updates: selected.hash_updates,
    })
}
