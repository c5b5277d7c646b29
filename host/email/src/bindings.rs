//! Host bindings of `wit/email.wit` (world `email-imports`).

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "email-imports",
    imports: { default: trappable },
});

pub use wharf::task::email;
