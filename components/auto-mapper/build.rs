//! Links the component with an 8 MiB stack (wasm32's default is 1 MiB): stylesheets recurse a
//! template per list item, and 3000 levels need about 4 MiB. Keep in step with
//! `wharf_xslt_task::COMPONENT_STACK`.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-cdylib=-zstack-size=8388608");
    }
}
