//! Shared code of the Sage 50 task components (`sage50-import-customers`,
//! `sage50-import-sales-orders`, `sage50-export-stock-records`): the [`SageBackend`] seam over
//! the host's `sage` interface, the settings the tasks share, and the import pattern of docs/zynk-reference.md §2.0 —
//! read the input, hand it to Sage, always write both the success and the fail file.
//!
//! The ledger work happens in the host (or, later, beside Sage 50 on the customer's PC); a
//! component only moves files and settings. Its logic runs against [`SageBackend`], so native
//! unit tests use a stand-in for the host.

mod files;
mod import;
mod records;
mod settings;

pub use files::{EMPTY_DOCUMENT, Flush, write_document};
pub use import::{ImportFiles, Records, run_import};
pub use records::{CURSOR_KEY, ExportTypeChoice, VatByDestination, export_settings, finish_export};
pub use settings::{AccountSettings, Convention, MatchFields};

/// The host's `sage` interface (wharf-guest's `sage` feature), the seam tasks run against and
/// the host's side of it.
pub use wharf_guest::sage::{self, HostSage, SageBackend};

/// The capabilities every Sage task declares.
pub const CAPABILITIES: &[&str] = &["sage"];

/// The kinds of truth record the Sage tasks look up and record, named as the host's ledger
/// names them (Zynk's `Zynk.Connect.Objects.X`, docs/zynk-reference.md §5.4). A Sage task
/// declares the ones it uses: on the on-premises runner it is sent only those.
pub mod truth_kinds {
    pub const SALES_ORDER: &str = "Zynk.Connect.Objects.SalesOrder";
    pub const CUSTOMER: &str = "Zynk.Connect.Objects.Customer";
    pub const PRODUCT: &str = "Zynk.Connect.Objects.Product";
    pub const INVOICE: &str = "Zynk.Connect.Objects.Invoice";
    pub const TRANSACTION: &str = "Zynk.Connect.Objects.Transaction";
}

/// Exports a Sage task component: `$component` is a `TypedTask` named `$name` over the
/// settings `$settings`, whose crate defines `run(&$settings, &mut impl SageBackend)`; the
/// component runs it against the host's `sage`. `truth_kinds` lists the kinds of truth record
/// it looks up or records ([`truth_kinds`]).
#[macro_export]
macro_rules! export_sage_task {
    ($component:ident, $settings:ty, $name:literal, $doc:literal, truth_kinds = [$($kind:expr),* $(,)?] $(,)?) => {
        impl wharf_guest::TypedTask for $component {
            const NAME: &'static str = $name;
            const DOC: &'static str = $doc;
            const CAPABILITIES: &'static [&'static str] = $crate::CAPABILITIES;
            const TRUTH_KINDS: &'static [&'static str] = &[$($kind),*];
            type Settings = $settings;

            fn run(settings: $settings) -> Result<wharf_guest::TaskResult, wharf_guest::TaskError> {
                Ok(run(&settings, &mut $crate::HostSage))
            }
        }

        wharf_guest::export_task!($component);
    };
}
