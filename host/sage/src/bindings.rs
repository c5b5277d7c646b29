//! Host bindings of `wit/sage.wit` (world `sage-imports`).

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "sage-imports",
});

pub use wharf::task::sage;
