//! SIGTERM / SIGINT: the first asks the runner to stop once the current job is done (a runner
//! waiting for a job stops at once); a second one ends the process immediately (the job's
//! message then comes back to the queue after its visibility timeout, and runs again safely).
//!
//! The handler only counts (an atomic store is all a signal handler may safely do); the runner
//! polls the count. tokio's own `signal` feature is not used: it would change tokio's features,
//! and rebuild every crate on tokio, for every build of the workspace that includes this one.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

static SIGNALS: AtomicUsize = AtomicUsize::new(0);

#[cfg(unix)]
extern "C" fn on_signal(_signal: libc::c_int) {
    if SIGNALS.fetch_add(1, Ordering::SeqCst) >= 1 {
        // SAFETY: `_exit` is async-signal-safe.
        unsafe { libc::_exit(130) }
    }
}

/// Installs the handlers (on Unix; elsewhere Ctrl-C ends the process, which is safe too).
pub fn install() {
    #[cfg(unix)]
    // SAFETY: the handler only touches an atomic and calls `_exit`, both async-signal-safe.
    unsafe {
        let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::signal(libc::SIGTERM, handler);
        libc::signal(libc::SIGINT, handler);
    }
}

/// Asks the runner to stop once the current job is done, as a first SIGTERM does (the Windows
/// service's stop control).
pub fn request() {
    SIGNALS.fetch_add(1, Ordering::SeqCst);
}

/// Whether a stop was asked for.
pub fn requested() -> bool {
    SIGNALS.load(Ordering::SeqCst) > 0
}

/// Resolves once a stop is asked for.
pub async fn wait() {
    while !requested() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
