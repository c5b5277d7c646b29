//! Host bindings of `wit/ftp.wit` (world `ftp-imports`). Trappable, so a download that
//! overruns the task's write budget ends the task like any other write would.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "ftp-imports",
    imports: { default: trappable },
});

pub use wharf::task::ftp;
