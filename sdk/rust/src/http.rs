//! The host's `http` interface (feature `http`): the HTTP connection the workflow granted
//! (`grants: ["http:shop"]`). A component using it lists `http` in its capabilities.
//!
//! Write the task against [`Web`]: [`HostWeb`] in the component, [`fake::FakeWeb`] in native
//! unit tests.

#[allow(missing_docs)]
mod bindings {
    wit_bindgen::generate!({ world: "http-imports", path: "wit", generate_all });
}

pub use bindings::wharf::task::http::*;

#[cfg(not(target_arch = "wasm32"))]
pub mod fake;

/// A request [`Web::start`] began: its answer comes from [`Web::finish`].
#[derive(Debug)]
pub enum Pending {
    /// Under way in the host (the number its `finish` takes).
    Host(u32),
    /// Answered already (a web that sends at once, such as the native stand-ins).
    Answered(Result<Response, HttpFailure>),
}

/// The `http` interface as a task uses it: the host's, or a stand-in in native tests.
pub trait Web {
    /// Sends a request and waits for the whole answer (see `send` in `wit/http.wit`).
    fn send(&mut self, request: Request) -> Result<Response, HttpFailure>;

    /// Starts a request, to be [`Web::finish`]ed later, so the task can work while the answer
    /// comes (see `start` in `wit/http.wit`; give each its own `output-file`). By default the
    /// request is sent at once and `finish` gives its answer.
    fn start(&mut self, request: Request) -> Pending {
        Pending::Answered(self.send(request))
    }

    /// The answer to a request [`Web::start`] began, as `send` would have given it.
    fn finish(&mut self, pending: Pending) -> Result<Response, HttpFailure> {
        match pending {
            Pending::Answered(answer) => answer,
            Pending::Host(started) => finish(started),
        }
    }
}

/// The host's `http` interface (callable only inside the host; natively it traps).
pub struct HostWeb;

impl Web for HostWeb {
    fn send(&mut self, request: Request) -> Result<Response, HttpFailure> {
        send(&request)
    }

    fn start(&mut self, request: Request) -> Pending {
        match start(&request) {
            Ok(started) => Pending::Host(started),
            Err(failure) => Pending::Answered(Err(failure)),
        }
    }
}
