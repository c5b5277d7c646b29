//! Links the `wharf` binary with the functions a one-task run executes side by side
//! (`host/cli/symbol-order.txt`, written by `make symbol-order`): scattered over the 43 MB of
//! `.text` they cost every cold start ~170 first-touch page faults (tests/bench/README.md,
//! "Cold start, session 12"). Only where rustc links with its own lld (x86_64 Linux, no linker
//! chosen by the build's configuration); elsewhere the binary is linked as before.

use std::env;
use std::path::Path;

fn main() {
    let list = Path::new(&env::var("CARGO_MANIFEST_DIR").expect("set by cargo"))
        .join("host/cli/symbol-order.txt");
    println!("cargo:rerun-if-changed={}", list.display());
    println!("cargo:rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    let target = env::var("TARGET").unwrap_or_default();
    // Cargo names a linker the configuration chose (cargo-zigbuild, a `linker =` entry) here.
    let linker_chosen = env::var_os("RUSTC_LINKER").is_some();
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let flags_choose_linker = ["linker", "fuse-ld", "link-self-contained"]
        .iter()
        .any(|f| flags.contains(f));
    if target != "x86_64-unknown-linux-gnu"
        || linker_chosen
        || flags_choose_linker
        || !list.exists()
    {
        return;
    }
    // Names lld does not find (code changed since the list was made, other profiles) are
    // skipped without a warning: the list then only helps less.
    println!(
        "cargo:rustc-link-arg-bin=wharf=-Wl,--symbol-ordering-file={}",
        list.display()
    );
    println!("cargo:rustc-link-arg-bin=wharf=-Wl,--no-warn-symbol-ordering");
}
