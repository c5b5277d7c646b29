//! The wasm guests the host's tests load, built by this crate's build script: the task
//! components of `components/` in [`COMPONENTS`] (`<task>.wasm`) and the test guests of
//! `tests/guests/` in [`TEST_GUESTS`]. They are built into `target/wasm` with the same command
//! `make components guests` uses, so whichever comes second finds nothing to do.

include!(concat!(env!("OUT_DIR"), "/artifacts.rs"));
