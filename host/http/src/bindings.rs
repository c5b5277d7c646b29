//! Host bindings of `wit/http.wit` (world `http-imports`). Trappable, so a response that
//! overruns the task's write budget ends the task like any other write would.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "http-imports",
    imports: { default: trappable },
});

pub use wharf::task::http;
