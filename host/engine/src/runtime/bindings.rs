//! Host-side bindings of the WIT contract in `wit/`. The host interfaces are generated once
//! (`imports`) and shared by the three task worlds.

pub mod imports {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "host-imports",
        imports: { default: trappable },
    });
}

/// The `template` interface (wit/template.wit): every task may import it, outside the task
/// worlds like the capabilities, so components that do not render templates are unchanged.
pub mod template_imports {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "template-imports",
        imports: { default: trappable },
    });
}

/// Bindings for one task world, reusing the shared host interfaces.
macro_rules! task_world {
    ($module:ident, $world:literal) => {
        pub mod $module {
            wasmtime::component::bindgen!({
                path: "../../wit",
                world: $world,
                with: {
                    "wharf:task/types": super::imports::wharf::task::types,
                    "wharf:task/log": super::imports::wharf::task::log,
                    "wharf:task/state": super::imports::wharf::task::state,
                    "wharf:task/truth": super::imports::wharf::task::truth,
                    "wharf:task/mappings": super::imports::wharf::task::mappings,
                },
            });
        }
    };
}

task_world!(plain, "plain-task");
task_world!(repeater, "repeater-task");
task_world!(condition, "condition-task");

pub use imports::wharf::task::types;
