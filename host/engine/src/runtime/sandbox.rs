//! What a task runs inside: its store data, the memory limiter, the write budget on files and the
//! captured stdout/stderr. Each bound is enforced while the guest runs, not checked afterwards.

use crate::limits::human_size;
use crate::record::LogLine;
use crate::storage::{Mappings, TruthStore, start_writeback};
use bytes::Bytes;
use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use wasmtime::component::{Linker, Resource, ResourceTable};
use wasmtime::{ResourceLimiter, StoreContextMut};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::filesystem::Descriptor;
use wasmtime_wasi::filesystem::WasiFilesystemView;
use wasmtime_wasi::p2::bindings::sync::filesystem::types as wasi_fs;
use wasmtime_wasi::p2::{DynOutputStream, OutputStream, Pollable, StreamError};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// The first bound a task hit, recorded before the guest is trapped so the report can name it.
#[derive(Debug, Clone, Default)]
pub struct LimitHit(Arc<Mutex<Option<String>>>);

impl LimitHit {
    pub fn set(&self, message: String) {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        slot.get_or_insert(message);
    }
    pub fn get(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Bytes a task may still write to files.
#[derive(Debug)]
pub struct WriteBudget {
    limit: u64,
    written: AtomicU64,
    hit: LimitHit,
}

impl WriteBudget {
    pub fn new(limit: u64, hit: LimitHit) -> Arc<Self> {
        Arc::new(WriteBudget {
            limit,
            written: AtomicU64::new(0),
            hit,
        })
    }

    /// Accounts for `n` more bytes; over the limit the write is refused and the task trapped.
    pub fn charge(&self, n: u64) -> wasmtime::Result<()> {
        let total = self.written.fetch_add(n, Ordering::Relaxed) + n;
        if total > self.limit {
            let msg = format!("write limit of {} reached", human_size(self.limit));
            self.hit.set(msg.clone());
            return Err(wasmtime::format_err!(msg));
        }
        Ok(())
    }

    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }
}

/// Caps each linear memory of the task and remembers that the cap was hit.
pub struct TaskLimiter {
    pub memory_cap: u64,
    pub hit: LimitHit,
    /// Linear memory granted in this store so far, across every instance it has held.
    pub store_memory: u64,
}

impl ResourceLimiter for TaskLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.store_memory += desired.saturating_sub(current) as u64;
        if desired as u64 > self.memory_cap {
            let msg = format!(
                "memory limit of {} reached (asked for {})",
                human_size(self.memory_cap),
                human_size(desired as u64)
            );
            self.hit.set(msg.clone());
            return Err(wasmtime::format_err!(msg));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Tables hold function references; a million entries is far beyond any real component.
        Ok(desired <= 1_000_000)
    }
}

/// A file output stream that charges every byte to the task's [`WriteBudget`] (files opened
/// for appending; see [`TaskFileStream`] for the others).
struct BudgetedStream {
    inner: DynOutputStream,
    budget: Arc<WriteBudget>,
}

#[async_trait::async_trait]
impl OutputStream for BudgetedStream {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.budget
            .charge(bytes.len() as u64)
            .map_err(StreamError::Trap)?;
        self.inner.write(bytes)
    }
    fn flush(&mut self) -> Result<(), StreamError> {
        self.inner.flush()
    }
    fn check_write(&mut self) -> Result<usize, StreamError> {
        self.inner.check_write()
    }
    /// wasmtime-wasi's file stream writes these in place; the trait's default would hand them
    /// to the blocking pool through `write`.
    async fn blocking_write_and_flush(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.budget
            .charge(bytes.len() as u64)
            .map_err(StreamError::Trap)?;
        self.inner.blocking_write_and_flush(bytes).await
    }
    async fn cancel(&mut self) {
        self.inner.cancel().await
    }
}

/// Bytes a task may hand a file stream in one `write` (wasmtime-wasi allows 64 KiB): a guest's
/// usual 256 KiB write buffer goes out in one call.
const FILE_WRITE_PERMIT: usize = 1024 * 1024;

/// A file's output stream (`write-via-stream`) written on the task's own thread, every byte
/// charged to the task's [`WriteBudget`].
///
/// wasmtime-wasi's own file stream hands every `write` to tokio's blocking pool whatever
/// `allow_blocking_current_thread` says (only its `blocking-write-and-flush`, 4 KiB at most a
/// call, runs in place), and wasi-libc writes a file with `check-write`, `write` and
/// `blocking-flush`: a hand-off to another thread and back per 64 KiB written (5,000 for
/// split-xml's 256 MiB, most of the wall time the task spent outside the guest). Here `write`
/// writes before it returns, as the task's other file operations do (see
/// `WasiCtxBuilder::allow_blocking_current_thread` in `Runtime::new_store`).
///
/// Every [`WRITEBACK_BYTES`] written are sent on to the disk without waiting
/// ([`start_writeback`]): a task's outputs are synced before they are renamed into place (the
/// SDK's partial files, the shop connectors' documents), and that sync then waits for the last
/// MiB instead of the whole file (the 5.8 MB of a 2,000-order Magento download: its sync took
/// 4.5 ms → 1.1 ms, median of 15, written as the guest writes it; tests/bench/README.md).
struct TaskFileStream {
    file: Arc<std::fs::File>,
    position: u64,
    /// Where the bytes not yet sent on to the disk begin.
    unsent_from: u64,
    budget: Arc<WriteBudget>,
    /// A write failed: the stream is closed, as wasmtime-wasi's is.
    closed: bool,
}

/// Bytes a task writes to a file between two [`start_writeback`] calls.
const WRITEBACK_BYTES: u64 = 1 << 20;

impl TaskFileStream {
    fn write_all_at(&self, mut bytes: &[u8]) -> std::io::Result<()> {
        let mut position = self.position;
        while !bytes.is_empty() {
            #[cfg(unix)]
            let written = std::os::unix::fs::FileExt::write_at(&*self.file, bytes, position);
            #[cfg(windows)]
            let written = std::os::windows::fs::FileExt::seek_write(&*self.file, bytes, position);
            match written {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    bytes = &bytes[n..];
                    position += n as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl OutputStream for TaskFileStream {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        if self.closed {
            return Err(StreamError::Closed);
        }
        self.budget
            .charge(bytes.len() as u64)
            .map_err(StreamError::Trap)?;
        match self.write_all_at(&bytes) {
            Ok(()) => {
                self.position += bytes.len() as u64;
                let unsent = self.position.saturating_sub(self.unsent_from);
                if unsent >= WRITEBACK_BYTES {
                    start_writeback(&self.file, self.unsent_from, unsent);
                    self.unsent_from = self.position;
                }
                Ok(())
            }
            Err(e) => {
                self.closed = true;
                Err(StreamError::LastOperationFailed(e.into()))
            }
        }
    }
    fn flush(&mut self) -> Result<(), StreamError> {
        if self.closed {
            return Err(StreamError::Closed);
        }
        Ok(())
    }
    fn check_write(&mut self) -> Result<usize, StreamError> {
        if self.closed {
            return Err(StreamError::Closed);
        }
        Ok(FILE_WRITE_PERMIT)
    }
}

#[async_trait::async_trait]
impl Pollable for TaskFileStream {
    async fn ready(&mut self) {}
}

#[async_trait::async_trait]
impl Pollable for BudgetedStream {
    async fn ready(&mut self) {
        self.inner.ready().await
    }
}

/// stdout/stderr of a task: kept up to a cap for the report, the rest counted and dropped.
#[derive(Clone)]
pub struct CapturedOutput {
    buf: Arc<Mutex<Vec<u8>>>,
    dropped: Arc<AtomicU64>,
    cap: usize,
}

impl CapturedOutput {
    pub fn new(cap: usize) -> Self {
        CapturedOutput {
            buf: Arc::default(),
            dropped: Arc::default(),
            cap,
        }
    }

    /// Forgets what was captured (the store is being reused for another call).
    pub fn clear(&self) {
        self.buf.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.dropped.store(0, Ordering::Relaxed);
    }

    fn append(&self, bytes: &[u8]) {
        let mut buf = self.buf.lock().unwrap_or_else(|p| p.into_inner());
        let room = self.cap.saturating_sub(buf.len());
        let take = room.min(bytes.len());
        buf.extend_from_slice(&bytes[..take]);
        self.dropped
            .fetch_add((bytes.len() - take) as u64, Ordering::Relaxed);
    }

    /// The captured text, with a note when some was dropped.
    pub fn text(&self) -> String {
        let buf = self.buf.lock().unwrap_or_else(|p| p.into_inner());
        let mut s = String::from_utf8_lossy(&buf).trim_end().to_string();
        let dropped = self.dropped.load(Ordering::Relaxed);
        if dropped > 0 {
            s.push_str(&format!("\n[{} more dropped]", human_size(dropped)));
        }
        s
    }
}

#[async_trait::async_trait]
impl OutputStream for CapturedOutput {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.append(&bytes);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }
    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(64 * 1024)
    }
}

#[async_trait::async_trait]
impl Pollable for CapturedOutput {
    async fn ready(&mut self) {}
}

impl IsTerminal for CapturedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl tokio::io::AsyncWrite for CapturedOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.append(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl StdoutStream for CapturedOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

/// Log lines kept per task execution, and the bytes they may take.
pub const MAX_LOG_LINES: usize = 500;
pub const MAX_LOG_BYTES: usize = 256 * 1024;

/// Host-side data of one task execution.
pub struct TaskState {
    pub wasi: WasiCtx,
    pub table: ResourceTable,
    pub limiter: TaskLimiter,
    pub budget: Arc<WriteBudget>,
    pub label: String,
    pub logs: Vec<LogLine>,
    pub log_bytes: usize,
    pub logs_dropped: u64,
    /// The task's state as it will be committed if the task succeeds.
    pub state: BTreeMap<String, String>,
    pub state_changed: bool,
    pub truth: Option<Arc<dyn TruthStore>>,
    pub mappings: Arc<Mappings>,
    /// States of granted capabilities (see [`super::capability`]).
    pub extensions: Vec<super::capability::Extension>,
    /// What the `template` interface renders in during this call, if anything.
    pub rendering: Option<Rendering>,
    pub stdout: CapturedOutput,
    pub stderr: CapturedOutput,
    /// Instances created in this store (it is reused for a bounded number of calls).
    pub instances: usize,
}

/// A task's templates: the engine's renderer (its fuel, nesting and size bounds) and the
/// variables of the task's place in the run, until the task's deadline.
pub struct Rendering {
    pub templates: crate::template::Templates,
    pub scope: crate::template::Scope,
    pub deadline: std::time::Instant,
}

/// What one call leaves behind for the engine.
pub struct CallResults {
    pub logs: Vec<LogLine>,
    pub logs_dropped: u64,
    pub state: BTreeMap<String, String>,
    pub state_changed: bool,
    pub bytes_written: u64,
}

impl TaskState {
    /// Takes this call's results and clears everything a later call must not see.
    pub fn take_results(&mut self) -> CallResults {
        CallResults {
            logs: std::mem::take(&mut self.logs),
            logs_dropped: std::mem::take(&mut self.logs_dropped),
            state: std::mem::take(&mut self.state),
            state_changed: std::mem::take(&mut self.state_changed),
            bytes_written: self.budget.written(),
        }
    }
}

impl WasiView for TaskState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Replaces the file output stream `write-via-stream` just created (wasmtime-wasi checked the
/// descriptor and its permissions) by a [`TaskFileStream`] at the same offset.
fn task_file_stream(
    state: &mut TaskState,
    fd: &Resource<Descriptor>,
    offset: u64,
    created: Result<Resource<DynOutputStream>, wasmtime_wasi::p2::FsError>,
) -> wasmtime::Result<Result<Resource<DynOutputStream>, wasi_fs::ErrorCode>> {
    match created {
        Ok(stream) => {
            state.table.delete(stream)?;
            let Descriptor::File(file) = state.table.get(fd)? else {
                wasmtime::bail!("write-via-stream made a stream of a directory");
            };
            let stream: DynOutputStream = Box::new(TaskFileStream {
                file: file.file.clone(),
                position: offset,
                unsent_from: offset,
                budget: state.budget.clone(),
                closed: false,
            });
            Ok(Ok(state.table.push(stream)?))
        }
        Err(e) => Ok(Err(wasi_fs::Host::convert_error_code(
            &mut state.filesystem(),
            e,
        )?)),
    }
}

/// Wraps the file output stream a WASI call just created so its bytes are charged.
fn budget_stream(
    state: &mut TaskState,
    created: Result<Resource<DynOutputStream>, wasmtime_wasi::p2::FsError>,
) -> wasmtime::Result<Result<Resource<DynOutputStream>, wasi_fs::ErrorCode>> {
    match created {
        Ok(stream) => {
            let inner = state.table.delete(stream)?;
            let wrapped: DynOutputStream = Box::new(BudgetedStream {
                inner,
                budget: state.budget.clone(),
            });
            Ok(Ok(state.table.push(wrapped)?))
        }
        Err(e) => Ok(Err(wasi_fs::Host::convert_error_code(
            &mut state.filesystem(),
            e,
        )?)),
    }
}

/// WASI p2 (sync) with file writes routed through the task's write budget. Sockets are linked
/// but the default WASI context grants no network access.
pub fn add_wasi(linker: &mut Linker<TaskState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_sync(linker)?;
    linker.allow_shadowing(true);
    let mut fs = linker.instance("wasi:filesystem/types@0.2.12")?;
    fs.func_wrap(
        "[method]descriptor.write-via-stream",
        |mut store: StoreContextMut<'_, TaskState>, (fd, offset): (Resource<Descriptor>, u64)| {
            let state = store.data_mut();
            let borrowed = Resource::new_borrow(fd.rep());
            let created =
                wasi_fs::HostDescriptor::write_via_stream(&mut state.filesystem(), fd, offset);
            Ok((task_file_stream(state, &borrowed, offset, created)?,))
        },
    )?;
    fs.func_wrap(
        "[method]descriptor.append-via-stream",
        |mut store: StoreContextMut<'_, TaskState>, (fd,): (Resource<Descriptor>,)| {
            let state = store.data_mut();
            let created = wasi_fs::HostDescriptor::append_via_stream(&mut state.filesystem(), fd);
            Ok((budget_stream(state, created)?,))
        },
    )?;
    fs.func_wrap(
        "[method]descriptor.write",
        |mut store: StoreContextMut<'_, TaskState>,
         (fd, buf, offset): (Resource<Descriptor>, Vec<u8>, u64)| {
            let state = store.data_mut();
            state.budget.charge(buf.len() as u64)?;
            let mut view = state.filesystem();
            let written = match wasi_fs::HostDescriptor::write(&mut view, fd, buf, offset) {
                Ok(n) => Ok(n),
                Err(e) => Err(wasi_fs::Host::convert_error_code(&mut view, e)?),
            };
            Ok((written,))
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}
