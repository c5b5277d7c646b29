//! Host-side bindings of the WIT contract in `wit/`. The host interfaces are generated once
//! (`imports`) and shared by the three task worlds.

pub mod imports {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "host-imports",
        imports: { default: trappable },
    });
}

pub mod plain {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "plain-task",
        with: {
            "wharf:task/types": super::imports::wharf::task::types,
            "wharf:task/log": super::imports::wharf::task::log,
            "wharf:task/state": super::imports::wharf::task::state,
            "wharf:task/truth": super::imports::wharf::task::truth,
            "wharf:task/mappings": super::imports::wharf::task::mappings,
            "wharf:task/archive": super::imports::wharf::task::archive,
        },
    });
}

pub mod repeater {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "repeater-task",
        with: {
            "wharf:task/types": super::imports::wharf::task::types,
            "wharf:task/log": super::imports::wharf::task::log,
            "wharf:task/state": super::imports::wharf::task::state,
            "wharf:task/truth": super::imports::wharf::task::truth,
            "wharf:task/mappings": super::imports::wharf::task::mappings,
            "wharf:task/archive": super::imports::wharf::task::archive,
        },
    });
}

pub mod condition {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "condition-task",
        with: {
            "wharf:task/types": super::imports::wharf::task::types,
            "wharf:task/log": super::imports::wharf::task::log,
            "wharf:task/state": super::imports::wharf::task::state,
            "wharf:task/truth": super::imports::wharf::task::truth,
            "wharf:task/mappings": super::imports::wharf::task::mappings,
            "wharf:task/archive": super::imports::wharf::task::archive,
        },
    });
}

pub use imports::wharf::task::types;
