//! Async clients (the S3 SDK, SSH sessions) called from the engine's synchronous code: storage
//! operations and host functions of task components run on ordinary threads and block until
//! the async work is done.

use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::runtime::{Handle, Runtime, RuntimeFlavor};
use tokio::sync::Notify;

/// A tokio runtime (owned, or borrowed through a handle) that synchronous callers wait on.
pub struct AsyncBridge {
    handle: Handle,
    /// Kept to be shut down with the bridge (and, on the caller's thread, to run futures).
    owned: Option<OwnedRuntime>,
    /// Whether futures run on the calling thread ([`AsyncBridge::on_caller`]).
    on_caller: bool,
    /// What drives an on-caller runtime while work [`AsyncBridge::start`]ed on it is under way
    /// and nobody waits in [`AsyncBridge::run`].
    driver: Arc<Driver>,
}

/// Work started on an on-caller bridge and not yet done, and whether a thread drives it.
#[derive(Default)]
struct Driver {
    state: Mutex<DriverState>,
    /// Told when the last started work is done.
    idle: Notify,
}

#[derive(Default)]
struct DriverState {
    outstanding: usize,
    driving: bool,
}

/// Work [`AsyncBridge::start`] began; [`AsyncBridge::finish`] waits for its result. Dropped
/// unfinished, the work is cancelled.
pub struct Started<T> {
    task: Option<tokio::task::JoinHandle<T>>,
}

impl<T> Drop for Started<T> {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Shuts an owned runtime down without waiting, so dropping the bridge never panics, even
/// when the last reference goes away on an async thread (or on the thread that drove started
/// work, which holds the runtime too while it runs).
struct OwnedRuntime(Option<Arc<Runtime>>);

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take().and_then(Arc::into_inner) {
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
        Ok(Self::owning(rt, false))
    }

    fn owning(rt: Runtime, on_caller: bool) -> Self {
        AsyncBridge {
            handle: rt.handle().clone(),
            owned: Some(OwnedRuntime(Some(Arc::new(rt)))),
            on_caller,
            driver: Arc::default(),
        }
    }

    /// A bridge whose futures run on the thread that waits for them (a current-thread runtime
    /// driven by [`AsyncBridge::run`]): a request and the connection task that sends it run
    /// where the task called, with no hand-off to a worker thread and back (two thread
    /// wake-ups per call, most of the time of a small HTTP request on a busy machine). Tasks it
    /// spawns (a client's connections) progress only while some caller waits in `run`.
    pub fn on_caller(name: &str) -> std::io::Result<Self> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .thread_name(name)
            .enable_all()
            .build()?;
        Ok(Self::owning(rt, true))
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
            owned: None,
            on_caller: false,
            driver: Arc::default(),
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
        if let Some(rt) = self.caller_runtime() {
            return run_here(rt, fut);
        }
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

impl AsyncBridge {
    /// The runtime the callers drive, for an on-caller bridge.
    fn caller_runtime(&self) -> Option<&Arc<Runtime>> {
        self.owned
            .as_ref()
            .and_then(|o| o.0.as_ref())
            .filter(|_| self.on_caller)
    }

    /// Starts `fut` on the runtime and returns at once; [`AsyncBridge::finish`] waits for it.
    /// On a multi-thread runtime its workers run it. An on-caller runtime progresses only while
    /// a thread drives it, so while started work is under way one thread of the bridge's own
    /// drives it (callers waiting in [`AsyncBridge::run`] meanwhile wait on that thread); the
    /// thread ends when the last started work is done.
    pub fn start<T: Send + 'static>(
        &self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Started<T> {
        let Some(rt) = self.caller_runtime() else {
            return Started {
                task: Some(self.handle.spawn(fut)),
            };
        };
        let driver = self.driver.clone();
        // Counted before it is spawned, and uncounted when its future is dropped: done,
        // cancelled, or never run because the runtime shut down.
        let drive = {
            let mut state = driver.lock();
            state.outstanding += 1;
            !std::mem::replace(&mut state.driving, true)
        };
        let counted = Counted(driver.clone());
        let task = rt.spawn(async move {
            let _counted = counted;
            fut.await
        });
        if drive {
            let rt = rt.clone();
            let spawned = std::thread::Builder::new()
                .name("wharf-bridge-driver".into())
                .spawn(move || driver.drive(&rt));
            if spawned.is_err() {
                // No thread to spare: the work progresses when the caller waits for it.
                self.driver.lock().driving = false;
            }
        }
        Started { task: Some(task) }
    }

    /// Waits for work [`AsyncBridge::start`] began; `None` if it was cancelled (it panicked,
    /// or the runtime shut down).
    pub fn finish<T: Send + 'static>(&self, mut started: Started<T>) -> Option<T> {
        let task = started.task.take()?;
        self.run(async move { task.await.ok() }).flatten()
    }
}

/// One piece of started work, counted in its bridge's [`Driver`] while it exists.
struct Counted(Arc<Driver>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.finished_one();
    }
}

impl Driver {
    fn lock(&self) -> std::sync::MutexGuard<'_, DriverState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Called as started work ends (also when it is cancelled: see [`Counted`]).
    fn finished_one(&self) {
        let mut state = self.lock();
        state.outstanding = state.outstanding.saturating_sub(1);
        if state.outstanding == 0 {
            self.idle.notify_one();
        }
    }

    /// Drives `rt` until no started work is under way.
    fn drive(&self, rt: &Runtime) {
        loop {
            // A notification left from an earlier idle moment only makes this look again.
            rt.block_on(self.idle.notified());
            let mut state = self.lock();
            if state.outstanding == 0 {
                state.driving = false;
                return;
            }
        }
    }
}

/// Runs `fut` on current-thread runtime `rt`, driven by this thread (`Runtime::block_on`: only
/// the runtime's own `block_on` drives its I/O and timers). Several threads may wait at once:
/// one drives the runtime, the others poll their own futures until it is theirs. Spawned, so a
/// panic is reported as cancelled, as on the worker runtime; spawned from inside `block_on`, so
/// the thread that drives the runtime queues it locally (spawned from outside, every call woke
/// the runtime's driver through its eventfd, one more write per request).
fn run_here<T: Send + 'static>(
    rt: &Runtime,
    fut: impl Future<Output = T> + Send + 'static,
) -> Option<T> {
    let wait = || rt.block_on(async move { tokio::spawn(fut).await.ok() });
    match Handle::try_current() {
        // A runtime worker blocks through `block_in_place`, as in `run`.
        Ok(current) if current.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(wait)
        }
        // Inside another current-thread runtime `block_on` may not nest: wait on a thread of
        // its own.
        Ok(_) => std::thread::scope(|s| s.spawn(wait).join().ok().flatten()),
        Err(_) => wait(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `bridge` answers to a call made from a task spawned on `outer`.
    fn run_from_a_task_of(
        outer: &tokio::runtime::Runtime,
        bridge: &std::sync::Arc<AsyncBridge>,
    ) -> Option<u8> {
        let inner = bridge.clone();
        outer.block_on(async move {
            tokio::spawn(async move { inner.run(async { 8 }) })
                .await
                .unwrap()
        })
    }

    #[test]
    fn waits_from_a_plain_thread_and_from_a_runtime_worker() {
        let bridge = std::sync::Arc::new(AsyncBridge::new("bridge-test", 1).unwrap());
        assert_eq!(bridge.run(async { 7 }), Some(7));
        let outer = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        assert_eq!(run_from_a_task_of(&outer, &bridge), Some(8));
    }

    #[test]
    fn a_panicking_operation_is_reported_as_cancelled() {
        let bridge = AsyncBridge::new("bridge-test", 1).unwrap();
        assert_eq!(bridge.run(async { panic!("boom") as u8 }), None);
        let bridge = AsyncBridge::on_caller("bridge-test").unwrap();
        assert_eq!(bridge.run(async { panic!("boom") as u8 }), None);
    }

    #[test]
    fn on_the_caller_futures_run_on_the_waiting_thread_from_anywhere() {
        let bridge = std::sync::Arc::new(AsyncBridge::on_caller("bridge-test").unwrap());
        let here = std::thread::current().id();
        assert_eq!(
            bridge.run(async move { std::thread::current().id() == here }),
            Some(true)
        );
        // Timers and tasks spawned by one call are driven by the waiting caller.
        let slept = bridge.run(async {
            let spawned = tokio::spawn(async { 5 });
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            spawned.await.unwrap()
        });
        assert_eq!(slept, Some(5));
        // From a multi-thread worker and from a current-thread runtime.
        for outer in [
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap(),
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        ] {
            assert_eq!(run_from_a_task_of(&outer, &bridge), Some(8));
        }
        // Several threads at once: one drives the runtime, the others wait their turn.
        let threads: Vec<_> = (0..4)
            .map(|n| {
                let b = bridge.clone();
                std::thread::spawn(move || {
                    b.run(async move {
                        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                        n
                    })
                })
            })
            .collect();
        let got: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(got, vec![Some(0), Some(1), Some(2), Some(3)]);
    }

    #[test]
    fn started_work_progresses_while_nobody_waits_and_is_cancelled_when_dropped() {
        use std::sync::mpsc;
        use std::time::Duration;
        for bridge in [
            AsyncBridge::on_caller("bridge-test").unwrap(),
            AsyncBridge::new("bridge-test", 1).unwrap(),
        ] {
            let (tx, rx) = mpsc::channel();
            let started: Vec<_> = (0..3u8)
                .map(|n| {
                    let tx = tx.clone();
                    bridge.start(async move {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                        tx.send(n).unwrap();
                        n * 2
                    })
                })
                .collect();
            // Nobody waits in `run` or `finish`: the work still gets done.
            let mut sent: Vec<u8> = (0..3)
                .map(|_| rx.recv_timeout(Duration::from_secs(30)).unwrap())
                .collect();
            sent.sort_unstable();
            assert_eq!(sent, vec![0, 1, 2]);
            let got: Vec<_> = started.into_iter().map(|s| bridge.finish(s)).collect();
            assert_eq!(got, vec![Some(0), Some(2), Some(4)]);
            // Dropped unfinished: cancelled (its future is dropped without completing).
            struct Flag(mpsc::Sender<&'static str>);
            impl Drop for Flag {
                fn drop(&mut self) {
                    let _ = self.0.send("dropped");
                }
            }
            let (tx, rx) = mpsc::channel();
            let flag = Flag(tx.clone());
            let pending = bridge.start(async move {
                let _flag = flag;
                std::future::pending::<()>().await;
            });
            drop(pending);
            assert_eq!(rx.recv_timeout(Duration::from_secs(30)), Ok("dropped"));
            // A panicking piece of work is reported as cancelled.
            assert_eq!(
                bridge.finish(bridge.start(async { panic!("boom") as u8 })),
                None
            );
            // Nothing under way: the driving thread has ended, and `run` works as before.
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            while bridge.driver.lock().driving {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the driver never ended"
                );
                std::thread::sleep(Duration::from_millis(5));
            }
            assert_eq!(bridge.driver.lock().outstanding, 0);
            assert_eq!(bridge.run(async { 9 }), Some(9));
        }
    }
}
