//! Truth records (docs/zynk-reference.md §1.8) the update tasks keep to prevent reprocessing: what was last
//! sent to the shop for an order or a SKU. The host writes them at once (they record something
//! that already happened in the shop).

/// The host's `truth` interface, or a stand-in in native tests.
pub trait Truth {
    /// The internal id and hash recorded for `external_id` of `kind`.
    fn find(&mut self, kind: &str, external_id: &str) -> Option<(String, Option<String>)>;
    fn upsert(
        &mut self,
        kind: &str,
        internal_id: &str,
        external_id: &str,
        hash: Option<&str>,
    ) -> Result<(), String>;
}

/// The host's truth store (callable only inside the host).
pub struct HostTruth;

impl Truth for HostTruth {
    fn find(&mut self, kind: &str, external_id: &str) -> Option<(String, Option<String>)> {
        wharf_guest::host::truth::find_by_external(kind, external_id)
            .map(|record| (record.internal_id, record.hash))
    }

    fn upsert(
        &mut self,
        kind: &str,
        internal_id: &str,
        external_id: &str,
        hash: Option<&str>,
    ) -> Result<(), String> {
        wharf_guest::host::truth::upsert(&wharf_guest::host::truth::TruthRecord {
            kind: kind.to_owned(),
            internal_id: internal_id.to_owned(),
            external_id: external_id.to_owned(),
            hash: hash.map(str::to_owned),
        })
    }
}

/// Truth records in memory (tests).
#[derive(Debug, Default)]
pub struct MemoryTruth {
    pub records: std::collections::BTreeMap<(String, String), (String, Option<String>)>,
}

impl Truth for MemoryTruth {
    fn find(&mut self, kind: &str, external_id: &str) -> Option<(String, Option<String>)> {
        self.records
            .get(&(kind.to_owned(), external_id.to_owned()))
            .cloned()
    }

    fn upsert(
        &mut self,
        kind: &str,
        internal_id: &str,
        external_id: &str,
        hash: Option<&str>,
    ) -> Result<(), String> {
        self.records.insert(
            (kind.to_owned(), external_id.to_owned()),
            (internal_id.to_owned(), hash.map(str::to_owned)),
        );
        Ok(())
    }
}
