//! The host's `template` interface (feature `template`, wit/template.wit): renders text with
//! the variables of the task's place in the run — workflow, global and system variables,
//! `current`, `outputs` — exactly as the host renders setting templates and within the same
//! bounds. Every task may use it; no grant is needed.
//!
//! Outside WebAssembly there is no host: [`render`] answers with the renderer a test set with
//! [`set_native_renderer`] (per thread), or an error saying there is none.

/// Renders `text`; `template_variables` are available to it as `template.<name>`. The error
/// says what failed (an undefined name, a bound reached).
pub fn render(text: &str, template_variables: &[(String, String)]) -> Result<String, String> {
    imp::render(text, template_variables)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    #[allow(missing_docs)]
    mod bindings {
        wit_bindgen::generate!({ world: "template-imports", path: "wit", generate_all });
    }

    pub fn render(text: &str, template_variables: &[(String, String)]) -> Result<String, String> {
        bindings::wharf::task::template::render(text, template_variables)
    }
}

/// A stand-in for the host's renderer in native tests.
#[cfg(not(target_arch = "wasm32"))]
pub type NativeRenderer = Box<dyn Fn(&str, &[(String, String)]) -> Result<String, String>>;

/// Sets what [`render`] answers on this thread outside WebAssembly.
#[cfg(not(target_arch = "wasm32"))]
pub fn set_native_renderer(renderer: NativeRenderer) {
    imp::RENDERER.with_borrow_mut(|r| *r = Some(renderer));
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use std::cell::RefCell;

    thread_local! {
        pub static RENDERER: RefCell<Option<super::NativeRenderer>> = const { RefCell::new(None) };
    }

    pub fn render(text: &str, template_variables: &[(String, String)]) -> Result<String, String> {
        RENDERER.with_borrow(|renderer| match renderer {
            Some(render) => render(text, template_variables),
            None => Err("templates are rendered by the Wharf host; none outside it".into()),
        })
    }
}
