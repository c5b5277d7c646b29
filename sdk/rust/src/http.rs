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

/// The `http` interface as a task uses it: the host's, or a stand-in in native tests.
pub trait Web {
    /// Sends a request and waits for the whole answer (see `send` in `wit/http.wit`).
    fn send(&mut self, request: Request) -> Result<Response, HttpFailure>;
}

/// The host's `http` interface (callable only inside the host; natively it traps).
pub struct HostWeb;

impl Web for HostWeb {
    fn send(&mut self, request: Request) -> Result<Response, HttpFailure> {
        send(&request)
    }
}
