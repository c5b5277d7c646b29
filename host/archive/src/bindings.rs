//! Host bindings of `wit/archive.wit` (world `archive-imports`).

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "archive-imports",
    imports: { default: trappable },
});

pub use wharf::task::archive;
