//! Host bindings of `wit/sftp.wit` (world `sftp-imports`). Trappable, so a download that
//! overruns the task's write budget ends the task like any other write would.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "sftp-imports",
    imports: { default: trappable },
});

pub use wharf::task::sftp;
