//! Export Stock Records from Sage 50 UK (docs/zynk-reference.md §2.9, §5.10, §5.11).
//!
//! Choices on docs/zynk-reference.md §6.30: the selection uses `>` against the cursor; legacy `ExportAll=true` overrides
//! the export type; the publish filter is ANDed with the date filter (an un-published product is
//! not re-exported); inactive products are exported with `IsActive=false`. The next cursor is the
//! newest modified stamp among the records scanned, or the run's start when none was — never the
//! end of the run, so changes made during the export are picked up next time. Content hashes
//! (without `DateModified`, which a touched-but-unchanged record would alter) suppress unchanged
//! records for the Modified and New selections; `All` exports everything and refreshes the hashes.
//! Cursor and hashes are returned, not stored: the caller stores them once the file is delivered.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zynk_xml::{Company, Parsed, Record, XmlWriter};

use super::ProcedureError;
use super::mapping::product_to_xml;
use super::settings::StockExportSettings;
use crate::backend::SageBackend;
use crate::products::{StockRecordFilter, StockSelection};
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
    let next_cursor = records
        .iter()
        .map(|product| product.modified)
        .max()
        .unwrap_or(run_start);

    let mut products = Vec::new();
    let mut hash_updates = Vec::new();
    let mut suppressed = 0;
    for product in &records {
        let xml = product_to_xml(product);
        let hash = content_hash(&xml);
        let previous = truth.find_by_internal_id(record_types::PRODUCT, &product.stock_code)?;
        let unchanged =
            previous.as_ref().and_then(|row| row.hash.as_deref()) == Some(hash.as_str());
        if unchanged && selection != StockSelection::All {
            suppressed += 1;
            continue;
        }
        if !unchanged {
            hash_updates.push(TruthRecord {
                record_type: record_types::PRODUCT.to_owned(),
                internal_id: product.stock_code.clone(),
                external_id: None,
                hash: Some(hash),
            });
        }
        products.push(Parsed::Record(xml));
    }
    Ok(StockExport {
        scanned: records.len(),
        exported: products.len(),
        suppressed,
        document: Company::with_products(products),
        next_cursor,
        hash_updates,
    })
}
