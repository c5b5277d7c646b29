//! Async clients (the S3 SDK, SSH sessions) called from the engine's synchronous code: storage
//! operations and host functions of task components run on ordinary threads and block until
//! the async work is done.

use std::future::Future;
use tokio::runtime::{Handle, Runtime, RuntimeFlavor};

/// A tokio runtime (owned, or borrowed through a handle) that synchronous callers wait on.
pub struct AsyncBridge {
    handle: Handle,
    /// Kept only to be shut down with the bridge.
    _owned: Option<OwnedRuntime>,
}

/// Shuts an owned runtime down without waiting, so dropping the bridge never panics, even
/// when the last reference goes away on an async thread.
struct OwnedRuntime(Option<Runtime>);

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

impl AsyncBridge {
    /// A bridge with its own multi-thread runtime of `workers` threads named `name`.
    pub fn new(name: &str, workers: usize) -> std::io::Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name(name)
            .enable_all()
            .build()?;
        Ok(AsyncBridge {
            handle: rt.handle().clone(),
            _owned: Some(OwnedRuntime(Some(rt))),
        })
    }

    /// A bridge onto a runtime the caller owns, which must be a multi-thread runtime.
    pub fn with_handle(handle: Handle) -> Result<Self, String> {
        if handle.runtime_flavor() != RuntimeFlavor::MultiThread {
            return Err(
                "a multi-thread tokio runtime is needed (callers block their thread)".into(),
            );
        }
        Ok(AsyncBridge {
            handle,
            _owned: None,
        })
    }

    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Runs `fut` on the runtime and waits for it on this thread; `None` if it was cancelled
    /// (it panicked, or the runtime shut down). Spawning (rather than `block_on`) keeps a caller
    /// on an async thread from panicking; on a multi-thread worker the wait goes through
    /// `block_in_place`, which hands the worker's queued tasks (possibly this very operation,
    /// spawned into its local slot) to another thread instead of deadlocking.
    pub fn run<T: Send + 'static>(
        &self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let _ = tx.send(fut.await);
        });
        let wait = move || rx.recv().ok();
        match Handle::try_current() {
            Ok(current) if current.runtime_flavor() == RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(wait)
            }
            _ => wait(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_from_a_plain_thread_and_from_a_runtime_worker() {
        let bridge = std::sync::Arc::new(AsyncBridge::new("bridge-test", 1).unwrap());
        assert_eq!(bridge.run(async { 7 }), Some(7));
        let outer = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        let inner = bridge.clone();
        let got = outer.block_on(async move {
            tokio::spawn(async move { inner.run(async { 8 }) })
                .await
                .unwrap()
        });
        assert_eq!(got, Some(8));
    }

    #[test]
    fn a_panicking_operation_is_reported_as_cancelled() {
        let bridge = AsyncBridge::new("bridge-test", 1).unwrap();
        assert_eq!(bridge.run(async { panic!("boom") as u8 }), None);
    }
}
