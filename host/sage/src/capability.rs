//! The `sage` capability: the host side of `wit/sage.wit`, over a Sage 50 company reached
//! through a [`SageConnector`]: the embedded ledger ([`EmbeddedLedger`], the default), or any
//! other `sage_ledger::ImportBackend` (the runner's Sage Data Objects agent, docs/sage50.md).

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};

use sage_ledger::procedures::{self, ProcedureError};
use sage_ledger::{ImportBackend, JournalScope, Ledger, WriterLock};
use wasmtime::component::{HasSelf, Linker};
use wharf_engine::runtime::capability::extension;
use wharf_engine::runtime::{Capability, Extension, GrantContext, TaskState};
use wharf_engine::storage;
use zynk_xml::Company;

use crate::bindings::{SageImports, sage};
use crate::convert;
use crate::truth::EngineTruth;

/// What every call of a task without the grant answers.
pub const NOT_PERMITTED: &str = "not permitted: this task was not granted the `sage` capability (grant it with `grants: [sage]`; its component must declare it)";

/// Opens the Sage 50 company the capability works on, once per operation.
pub trait SageConnector: Send + Sync + std::fmt::Debug {
    /// The backend for one operation (an import, a look-up).
    fn open(&self) -> Result<Box<dyn ImportBackend>, String>;

    /// The file this company is known by here: the embedded ledger, or the import journal kept
    /// beside a real Sage. Imports take turns on its writer lock (`<file>.lock`).
    fn path(&self) -> &Path;

    /// The embedded ledger, when that is what this connector opens.
    fn embedded_ledger(&self) -> Option<&Path> {
        None
    }

    /// Whether the company is there to be opened; checked before an operation takes the
    /// company's writer lock. The embedded ledger must exist: it is never created for a task.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
}

/// The embedded ledger file at a path. It is opened, never created: a company is created on
/// purpose (`wharf sage create-company`), so that a mistyped path fails the task instead of
/// importing into a new, empty company.
#[derive(Debug, Clone)]
pub struct EmbeddedLedger {
    path: PathBuf,
    /// Where the path was given (`--sage-ledger`, a runner's `ledger` setting), for errors.
    setting: String,
}

impl EmbeddedLedger {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        EmbeddedLedger {
            path: path.into(),
            setting: "the Sage ledger setting".into(),
        }
    }

    /// Names where the path was given, as errors show it (e.g. "--sage-ledger").
    pub fn given_by(mut self, setting: impl Into<String>) -> Self {
        self.setting = setting.into();
        self
    }
}

impl SageConnector for EmbeddedLedger {
    fn open(&self) -> Result<Box<dyn ImportBackend>, String> {
        self.check()?;
        Ok(Box::new(open_ledger(&self.path)?))
    }

    fn check(&self) -> Result<(), String> {
        if self.path.is_file() {
            return Ok(());
        }
        Err(format!(
            "there is no Sage ledger at {} ({}); a task never creates one: create the company with `wharf sage create-company`, or correct the setting",
            self.path.display(),
            self.setting
        ))
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn embedded_ledger(&self) -> Option<&Path> {
        Some(&self.path)
    }
}

/// Opens the embedded ledger file at `path`, which must exist ([`SageConnector::check`]).
fn open_ledger(path: &Path) -> Result<Ledger, String> {
    Ledger::open_existing(path)
        .map_err(|e| format!("cannot open the Sage ledger {}: {e}", path.display()))
}

/// The embedded ledger's handle, kept between the operations of one run: opening it (SQLite
/// open, schema check, seeding check) once per run instead of once per import — a file
/// repeater importing a thousand files calls the capability a thousand times.
///
/// One handle per capability (one ledger path), named by the run that opened it: a call of
/// another run (a resumed run, the next scheduled run, a concurrent one) opens its own, and
/// the handle it leaves replaces the kept one. A real Sage is never kept: its agent logs in
/// and out per operation (docs/sage50.md).
#[derive(Default)]
pub(crate) struct KeptLedger(Mutex<Option<(String, Box<Ledger>)>>);

impl std::fmt::Debug for KeptLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeptLedger")
    }
}

impl KeptLedger {
    /// The kept handle of `run`, or a new one.
    fn take(&self, path: &Path, run: &str) -> Result<Box<Ledger>, String> {
        let kept = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        match kept {
            Some((owner, ledger)) if owner == run => Ok(ledger),
            _ => open_ledger(path).map(Box::new),
        }
    }

    fn keep(&self, run: &str, ledger: Box<Ledger>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some((run.to_owned(), ledger));
    }

    /// The run whose handle is kept.
    #[cfg(test)]
    pub(crate) fn owner(&self) -> Option<String> {
        let kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        kept.as_ref().map(|(run, _)| run.clone())
    }
}

/// The company for one operation: the embedded ledger (the run's kept handle, which goes back
/// to be kept when the operation is done), or another backend opened for the operation.
enum Backend<'a> {
    Ledger {
        ledger: Option<Box<Ledger>>,
        /// Where the handle goes back to, and the run it is kept for.
        kept: Option<(&'a KeptLedger, &'a str)>,
    },
    Opened(Box<dyn ImportBackend>),
}

impl Backend<'_> {
    fn ledger(&self) -> Option<&Ledger> {
        match self {
            Backend::Ledger { ledger, .. } => ledger.as_deref(),
            Backend::Opened(_) => None,
        }
    }
}

impl Deref for Backend<'_> {
    type Target = dyn ImportBackend;

    fn deref(&self) -> &Self::Target {
        match self {
            Backend::Ledger { ledger, .. } => &**ledger.as_ref().expect("held until dropped"),
            Backend::Opened(backend) => &**backend,
        }
    }
}

impl DerefMut for Backend<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            Backend::Ledger { ledger, .. } => &mut **ledger.as_mut().expect("held until dropped"),
            Backend::Opened(backend) => &mut **backend,
        }
    }
}

impl Drop for Backend<'_> {
    fn drop(&mut self) {
        // A handle an operation panicked with is not trusted again.
        if let Backend::Ledger {
            ledger,
            kept: Some((kept, run)),
        } = self
            && let Some(ledger) = ledger.take()
            && !std::thread::panicking()
        {
            kept.keep(run, ledger);
        }
    }
}

/// Creates the folder `path` is in.
pub fn create_parent(path: &Path) -> Result<(), String> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| {
            format!(
                "cannot create the folder of the Sage company file {}: {e}",
                path.display()
            )
        })?;
    }
    Ok(())
}

/// The `sage` capability over one Sage 50 company.
#[derive(Debug, Clone)]
pub struct SageCapability {
    connector: Arc<dyn SageConnector>,
    pub(crate) kept: Arc<KeptLedger>,
    /// How long an import waits for another import into the same company to finish.
    lock_wait: Duration,
}

impl SageCapability {
    /// Over the embedded ledger file at `ledger_path`, which must exist ([`EmbeddedLedger`]).
    pub fn new(ledger_path: impl Into<PathBuf>) -> Self {
        SageCapability::with_connector(Arc::new(EmbeddedLedger::new(ledger_path)))
    }

    /// Over the company `connector` opens.
    pub fn with_connector(connector: Arc<dyn SageConnector>) -> Self {
        SageCapability {
            connector,
            kept: Arc::default(),
            lock_wait: sage_ledger::DEFAULT_WRITER_WAIT,
        }
    }

    /// Sets how long an import waits for the ledger's writer lock (docs/sage50-rules.md).
    pub fn with_lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// The file the company is known by here (see [`SageConnector::path`]).
    pub fn ledger_path(&self) -> &Path {
        self.connector.path()
    }

    /// The state a granted call gets: the ledger, the truth store it records in, and the scope
    /// that names that truth store in the ledger's truth journal (see `sage_ledger` journal).
    ///
    /// `lineage` names the run (its chain of resumed runs, see `RunRecord::lineage`): an import
    /// a resumed run repeats recognises what the interrupted run of its chain already posted
    /// from the same document, instead of rejecting those records as duplicates. `run_id` names
    /// the run itself, so that what this run imported is never mistaken for such a replay.
    pub fn session(
        &self,
        truth: Arc<dyn storage::TruthStore>,
        scope: impl Into<String>,
        lineage: Option<String>,
        run_id: Option<String>,
    ) -> SageGrant {
        SageGrant::Granted(Box::new(Session {
            connector: self.connector.clone(),
            kept: self.kept.clone(),
            lock_wait: self.lock_wait,
            truth,
            scope: scope.into(),
            lineage,
            run_id,
            task: None,
            exports: HashMap::new(),
            next_export: 1,
        }))
    }
}

impl Capability for SageCapability {
    fn name(&self) -> &str {
        "sage"
    }

    fn add_to_linker(&self, linker: &mut Linker<TaskState>) -> wasmtime::Result<()> {
        SageImports::add_to_linker::<TaskState, HasSelf<SageGrant>>(linker, |state| {
            state.extension::<SageGrant>()
        })
    }

    fn grant(&self, ctx: &GrantContext<'_>) -> Result<Extension, String> {
        // The workflow's data location names its truth store for the journal.
        let grant = self.session(
            ctx.truth.clone(),
            ctx.storage.location(),
            Some(format!("{}/{}", ctx.run_lineage, ctx.task_id)),
            Some(ctx.run_id.to_owned()),
        );
        Ok(extension(
            grant.for_task(ctx.task_label).waiting_at_most(ctx.timeout),
        ))
    }
}

/// Per-call state: `Denied` (the default, for tasks without the grant) or a session.
#[derive(Default)]
pub enum SageGrant {
    #[default]
    Denied,
    Granted(Box<Session>),
}

/// A granted task call.
pub struct Session {
    connector: Arc<dyn SageConnector>,
    kept: Arc<KeptLedger>,
    lock_wait: Duration,
    truth: Arc<dyn storage::TruthStore>,
    scope: String,
    lineage: Option<String>,
    run_id: Option<String>,
    /// The task this call is for, as errors name it.
    task: Option<String>,
    /// Hash rows of this call's exports, waiting for `commit-stock-export`.
    exports: HashMap<u64, Vec<sage_ledger::TruthRecord>>,
    next_export: u64,
}

impl Session {
    /// The company for one operation, journaling truth rows under this call's scope (with the
    /// replay key of `document` when the operation imports one): the run's kept ledger when
    /// the connector opens the embedded one, else a backend opened for the operation.
    fn backend(&self, document: Option<&[u8]>) -> Result<Backend<'_>, String> {
        self.check_company()?;
        let mut backend = match (self.connector.embedded_ledger(), &self.run_id) {
            (Some(path), Some(run)) => Backend::Ledger {
                ledger: Some(self.kept.take(path, run)?),
                kept: Some((&self.kept, run)),
            },
            (Some(path), None) => Backend::Ledger {
                ledger: Some(Box::new(open_ledger(path)?)),
                kept: None,
            },
            (None, _) => Backend::Opened(self.connector.open()?),
        };
        // A kept handle starts each operation as a new one would: no record position.
        backend.set_replay_record(None);
        backend.set_journal(JournalScope {
            truth_scope: Some(self.scope.clone()),
            replay_key: document.and_then(|document| {
                self.lineage
                    .as_ref()
                    .map(|lineage| format!("{lineage}/{}", hex::encode(Sha256::digest(document))))
            }),
            run_id: self.run_id.clone(),
        });
        Ok(backend)
    }

    /// One import of `document`: an unreadable document gives empty documents and the reason;
    /// otherwise `procedure` runs on the company, with the replay key of this document set, and
    /// on the workflow's truth — written behind ([`EngineTruth::write_behind`]) when
    /// `journaled`: the procedure journals each record's truth rows with the record and
    /// flushes them before it clears the journal (customers, sales orders).
    ///
    /// The document's bytes are let go once they are parsed and hashed, and the procedure
    /// owns the parsed records: an import holds its records once, not its input beside them.
    fn import(
        &self,
        document: Vec<u8>,
        journaled: bool,
        procedure: impl FnOnce(
            &mut dyn ImportBackend,
            &mut EngineTruth,
            Company,
        ) -> Result<procedures::ImportReport, ProcedureError>,
    ) -> Result<sage::ImportOutcome, String> {
        let input = match Company::parse_bytes(&document) {
            Ok(input) => input,
            Err(error) => return Ok(unreadable(error)),
        };
        // Held until the import returns: imports into one company take turns.
        let _writer = self.writer_lock()?;
        let mut backend = self.backend(Some(&document))?;
        drop(document);
        let mut truth = if journaled {
            EngineTruth::write_behind(self.truth.clone())
        } else {
            self.truth()
        };
        let report = procedure(&mut *backend, &mut truth, input);
        // What a procedure that stopped early held back (its journal keeps it too).
        let flushed = sage_ledger::TruthStore::flush(&mut truth);
        let report = report.map_err(procedure_error)?;
        flushed.map_err(|e| e.to_string())?;
        Ok(convert::outcome(report))
    }

    /// Export Customers or Export Invoices; the hash rows wait for `commit-export`.
    fn export_records(
        &mut self,
        settings: sage::RecordExportSettings,
        export: impl FnOnce(
            &mut dyn ImportBackend,
            &dyn sage_ledger::TruthStore,
            &procedures::RecordExportSettings,
        ) -> Result<procedures::RecordExport, ProcedureError>,
    ) -> Result<sage::RecordExport, String> {
        let settings = convert::record_export_settings(settings)?;
        let export = {
            let mut backend = self.backend(None)?;
            export(&mut *backend, &self.truth(), &settings).map_err(procedure_error)?
        };
        let export_id = self.remember_export(export.hash_updates.clone());
        Ok(sage::RecordExport {
            document: export.xml(),
            scanned: export.scanned as u64,
            exported: export.exported as u64,
            suppressed: export.suppressed as u64,
            next_cursor: convert::cursor_text(export.next_cursor),
            export_id,
        })
    }

    /// Keeps an export's hash rows until the task commits them; returns the export's id.
    fn remember_export(&mut self, rows: Vec<sage_ledger::TruthRecord>) -> u64 {
        let export_id = self.next_export;
        self.next_export += 1;
        self.exports.insert(export_id, rows);
        export_id
    }

    /// Stores the hash rows of an export of this call.
    fn commit_export(&mut self, export_id: u64) -> Result<(), String> {
        let Some(rows) = self.exports.remove(&export_id) else {
            return Err(format!(
                "there is no uncommitted export {export_id} in this task call"
            ));
        };
        let rows: Vec<_> = rows.iter().map(crate::truth::to_engine).collect();
        self.truth.upsert_all(&rows).map_err(|e| e.to_string())
    }

    /// The company is there to be opened; else why not, naming the task.
    fn check_company(&self) -> Result<(), String> {
        self.connector.check().map_err(|e| match &self.task {
            Some(task) => format!("task {task}: {e}"),
            None => e,
        })
    }

    fn writer_lock(&self) -> Result<WriterLock, String> {
        // Before the lock file and its folder are made beside a company that is not there.
        self.check_company()?;
        let path = self.connector.path();
        create_parent(path)?;
        WriterLock::acquire(path, self.lock_wait).map_err(|e| e.to_string())
    }

    fn truth(&self) -> EngineTruth {
        EngineTruth::new(self.truth.clone())
    }
}

/// An import whose input could not be read at all: empty documents, and the reason.
fn unreadable(error: zynk_xml::ParseError) -> sage::ImportOutcome {
    let reason = format!("the input is not a Zynk XML document: {error}");
    let empty = Company::new().to_xml();
    // No record to hang an `Errors` block on: the fail file says why in a comment instead.
    let comment = format!("<!-- {} -->\n", reason.replace("--", "- -"));
    let fail = match empty.find("?>") {
        Some(end) => format!(
            "{}\n{comment}{}",
            &empty[..end + 2],
            empty[end + 2..].trim_start()
        ),
        None => format!("{comment}{empty}"),
    };
    sage::ImportOutcome {
        success_document: empty,
        fail_document: fail,
        counts: sage::ImportCounts {
            records_read: 0,
            imported: 0,
            failed: 0,
            customers_created: 0,
            customers_updated: 0,
            products_created: 0,
        },
        warnings: Vec::new(),
        aborted: Some(reason),
    }
}

fn procedure_error(error: ProcedureError) -> String {
    error.to_string()
}

impl SageGrant {
    /// Names the task the calls are for, as their errors say it.
    pub fn for_task(mut self, label: &str) -> Self {
        if let SageGrant::Granted(session) = &mut self {
            session.task = Some(label.to_owned());
        }
        self
    }

    /// Caps the wait for the ledger's writer lock at the task's time limit: waiting past it
    /// would end the task as it resumes, after the import it waited for.
    pub fn waiting_at_most(mut self, limit: Duration) -> Self {
        if let SageGrant::Granted(session) = &mut self {
            session.lock_wait = session.lock_wait.min(limit);
        }
        self
    }

    fn session(&mut self) -> Result<&mut Session, String> {
        match self {
            SageGrant::Granted(session) => Ok(session),
            SageGrant::Denied => Err(NOT_PERMITTED.to_owned()),
        }
    }
}

impl sage::Host for SageGrant {
    fn import_customers(
        &mut self,
        document: Vec<u8>,
        settings: sage::CustomerImportSettings,
    ) -> Result<sage::ImportOutcome, String> {
        let settings = convert::customer_settings(settings);
        self.session()?
            .import(document, true, |ledger, truth, input| {
                procedures::import_customers(ledger, truth, input, &settings)
            })
    }

    fn import_sales_orders(
        &mut self,
        document: Vec<u8>,
        settings: sage::SalesOrderImportSettings,
    ) -> Result<sage::ImportOutcome, String> {
        let settings = convert::order_settings(settings);
        self.session()?
            .import(document, true, |ledger, truth, input| {
                procedures::import_sales_orders(ledger, truth, input, &settings)
            })
    }

    fn export_stock_records(
        &mut self,
        settings: sage::StockExportSettings,
    ) -> Result<sage::StockExport, String> {
        let session = self.session()?;
        let settings = convert::export_settings(settings)?;
        let export = {
            let mut backend = session.backend(None)?;
            procedures::export_stock_records(&mut *backend, &session.truth(), &settings)
                .map_err(procedure_error)?
        };
        let export_id = session.remember_export(export.hash_updates.clone());
        Ok(sage::StockExport {
            document: export.xml(),
            scanned: export.scanned as u64,
            exported: export.exported as u64,
            suppressed: export.suppressed as u64,
            next_cursor: convert::cursor_text(export.next_cursor),
            export_id,
        })
    }

    fn commit_stock_export(&mut self, export_id: u64) -> Result<(), String> {
        self.session()?.commit_export(export_id)
    }

    fn import_invoices(
        &mut self,
        document: Vec<u8>,
        settings: sage::InvoiceImportSettings,
    ) -> Result<sage::ImportOutcome, String> {
        let session = self.session()?;
        let settings = convert::invoice_settings(settings, &session.scope);
        session.import(document, false, |backend, truth, input| {
            procedures::import_invoices(backend, truth, input, &settings)
        })
    }

    fn import_transactions(
        &mut self,
        document: Vec<u8>,
        settings: sage::TransactionImportSettings,
    ) -> Result<sage::ImportOutcome, String> {
        let session = self.session()?;
        let settings = convert::transaction_settings(settings, &session.scope);
        session.import(document, false, |backend, truth, input| {
            procedures::import_transactions(backend, truth, &input, &settings)
        })
    }

    fn export_customers(
        &mut self,
        settings: sage::RecordExportSettings,
    ) -> Result<sage::RecordExport, String> {
        self.session()?
            .export_records(settings, |backend, truth, settings| {
                procedures::export_customers(backend, truth, settings)
            })
    }

    fn export_invoices(
        &mut self,
        settings: sage::RecordExportSettings,
    ) -> Result<sage::RecordExport, String> {
        self.session()?
            .export_records(settings, |backend, truth, settings| {
                procedures::export_invoices(backend, truth, settings)
            })
    }

    fn commit_export(&mut self, export_id: u64) -> Result<(), String> {
        self.session()?.commit_export(export_id)
    }

    fn company(&mut self) -> Result<sage::CompanyInfo, String> {
        let mut backend = self.session()?.backend(None)?;
        let company = backend.company().map_err(|e| e.to_string())?;
        Ok(sage::CompanyInfo {
            name: company.name,
            country_code: company.country_code,
            base_currency: company.base_currency,
        })
    }

    fn find_customer(
        &mut self,
        account_reference: String,
    ) -> Result<Option<sage::CustomerSummary>, String> {
        let mut backend = self.session()?.backend(None)?;
        let reference = account_reference.trim().to_ascii_uppercase();
        Ok(backend
            .find_customer(&reference)
            .map_err(|e| e.to_string())?
            .map(convert::customer_summary))
    }

    fn find_product(&mut self, stock_code: String) -> Result<Option<sage::ProductSummary>, String> {
        let mut backend = self.session()?.backend(None)?;
        Ok(backend
            .find_product(&stock_code)
            .map_err(|e| e.to_string())?
            .map(convert::product_summary))
    }

    /// Only the embedded ledger knows it in advance: Sage numbers an order as it posts it.
    fn next_sales_order_number(&mut self) -> Result<u32, String> {
        let session = self.session()?;
        let backend = session.backend(None)?;
        let Some(ledger) = backend.ledger() else {
            return Err("Sage 50 numbers a sales order as it posts it: the next number is known in advance only with the embedded ledger".to_owned());
        };
        ledger.next_sales_order_number().map_err(|e| e.to_string())
    }
}
