//! Link settings of the `wharf` binary.
//!
//! On Linux with glibc the binary is linked with packed relative relocations (`-z
//! pack-relative-relocs`, DT_RELR): the position-independent executable carries ~130,000
//! relative relocations, which take 3 MB as classic RELA entries that the dynamic loader reads
//! at every start, and a few KB packed — a visible part of a one-task `wharf run`'s cold start
//! (tests/bench/README.md). The loader must know DT_RELR (glibc ≥ 2.36); the linker (binutils ≥
//! 2.38, lld ≥ 15) records that need as a symbol version, so an older system refuses the
//! binary at once instead of misloading it.
//!
//! Only this binary: `bootstrap` (the Lambda, built for Amazon Linux 2023's glibc 2.34) and
//! the other tools keep the default. `WHARF_PACKED_RELOCS=0` turns it off (a linker that does
//! not know the option).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=WHARF_PACKED_RELOCS");
    let target = |name: &str| std::env::var(name).unwrap_or_default();
    let wanted = std::env::var("WHARF_PACKED_RELOCS").map_or(true, |v| v != "0");
    if wanted && target("CARGO_CFG_TARGET_OS") == "linux" && target("CARGO_CFG_TARGET_ENV") == "gnu"
    {
        println!("cargo:rustc-link-arg-bin=wharf=-Wl,-z,pack-relative-relocs");
    }
}
