//! Builds the components workspace and the test guests for wasm32-wasip2 (release, the guests'
//! own profile) into `target/wasm`, exactly as the Makefile's `components` and `guests` targets
//! do, and copies each workspace member's `.wasm` to `target/components/<folder>.wasm` and
//! `target/test-guests/<folder>.wasm`. The members come from `cargo metadata` of each guest
//! workspace, so a task added to `components/Cargo.toml` is built without changing this file.

use std::path::{Path, PathBuf};
use std::process::Command;

const WASM_TARGET: &str = "wasm32-wasip2";

/// Guest workspaces: the manifest (relative to the repository) and where their `.wasm` go.
const WORKSPACES: [(&str, &str); 2] = [
    ("components/Cargo.toml", "target/components"),
    ("tests/guests/Cargo.toml", "target/test-guests"),
];

/// What the guests are built from: a change under any of these builds them again.
const SOURCES: [&str; 5] = ["components", "tests/guests", "sdk", "crates", "wit"];

fn main() {
    let manifest_dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let repo = manifest_dir
        .ancestors()
        .nth(2)
        .expect("tests/artifacts is two folders below the repository")
        .to_path_buf();
    // Not the outputs: `make components` copies them afresh each time, and a rerun makes every
    // test binary that depends on this crate link again.
    for path in SOURCES.map(|p| repo.join(p)) {
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    require_target();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let wasm_dir = repo.join("target/wasm");
    let mut outputs = Vec::new();
    for (manifest, out) in WORKSPACES {
        let manifest = repo.join(manifest);
        let out = repo.join(out);
        let built = build(&cargo, &manifest, &wasm_dir);
        let release = wasm_dir.join(WASM_TARGET).join("release");
        std::fs::create_dir_all(&out).unwrap_or_else(|e| panic!("creating {}: {e}", out.display()));
        let members = members(&cargo, &manifest);
        match built {
            Ok(()) => {
                for (folder, file) in &members {
                    copy_if_changed(&release.join(file), &out.join(format!("{folder}.wasm")));
                }
            }
            // Guest code being edited need not stop the host's tests while every guest has an
            // earlier build; `make test` builds the guests first and stops on the error itself.
            Err(failure) => {
                let missing: Vec<&str> = members
                    .iter()
                    .filter(|(folder, _)| !out.join(format!("{folder}.wasm")).is_file())
                    .map(|(folder, _)| folder.as_str())
                    .collect();
                if !missing.is_empty() {
                    panic!(
                        "{failure}; no earlier build of {} either",
                        missing.join(", ")
                    );
                }
                println!(
                    "cargo:warning={failure}: the tests load the guests built earlier in {}",
                    out.display()
                );
            }
        }
        outputs.push(out);
    }
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(
        out_dir.join("artifacts.rs"),
        format!(
            "/// The task components, `<task>.wasm`.\npub const COMPONENTS: &str = {:?};\n/// The test guests (`noop`, `hostile`, …), `<guest>.wasm`.\npub const TEST_GUESTS: &str = {:?};\n",
            outputs[0].display().to_string(),
            outputs[1].display().to_string()
        ),
    )
    .expect("writing artifacts.rs");
}

/// Stops with what to do when the wasm target is not installed (`make setup` installs it).
fn require_target() {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let libdir = Command::new(&rustc)
        .args(["--print", "target-libdir", "--target", WASM_TARGET])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if !libdir.is_some_and(|dir| dir.is_dir()) {
        panic!(
            "the Rust target {WASM_TARGET} is not installed; the tests need it to build the components: run `rustup target add {WASM_TARGET}` (or `make setup`)"
        );
    }
}

/// A `cargo` for a guest workspace: none of the settings cargo gives this build script for the
/// host build (its flags and wrapper) may leak into the guests' build.
fn guest_cargo(cargo: &std::ffi::OsStr, subcommand: &str, manifest: &Path) -> Command {
    let mut command = Command::new(cargo);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_FEATURE_") || name.starts_with("CARGO_CFG_") {
            command.env_remove(&*name);
        }
    }
    for name in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "RUSTC",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        command.env_remove(name);
    }
    command.arg(subcommand).arg("--manifest-path").arg(manifest);
    command
}

/// Builds the guest workspace at `manifest`; the error says what failed (cargo has printed why).
fn build(cargo: &std::ffi::OsStr, manifest: &Path, wasm_dir: &Path) -> Result<(), String> {
    let mut command = guest_cargo(cargo, "build", manifest);
    command
        .args(["--release", "--target", WASM_TARGET, "--target-dir"])
        .arg(wasm_dir);
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("starting cargo for {}: {e}", manifest.display()));
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "building the guests of {} for {WASM_TARGET} failed ({status}; `make components guests` shows why)",
            manifest.display()
        ))
    }
}

/// The workspace's members that build a component: (member folder name, `.wasm` file name).
fn members(cargo: &std::ffi::OsStr, manifest: &Path) -> Vec<(String, String)> {
    let output = guest_cargo(cargo, "metadata", manifest)
        .args(["--no-deps", "--format-version", "1", "--offline"])
        .output()
        .unwrap_or_else(|e| panic!("starting cargo metadata for {}: {e}", manifest.display()));
    if !output.status.success() {
        panic!(
            "cargo metadata for {} failed: {}",
            manifest.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let mut found = Vec::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let Some(folder) = package["manifest_path"]
            .as_str()
            .and_then(|p| Path::new(p).parent()?.file_name()?.to_str())
        else {
            continue;
        };
        for target in package["targets"].as_array().into_iter().flatten() {
            let cdylib = target["crate_types"]
                .as_array()
                .is_some_and(|types| types.iter().any(|t| t == "cdylib"));
            if let (true, Some(name)) = (cdylib, target["name"].as_str()) {
                found.push((
                    folder.to_owned(),
                    format!("{}.wasm", name.replace('-', "_")),
                ));
            }
        }
    }
    found
}

/// Copies `from` to `to` unless `to` already holds the same bytes (its time then stays).
fn copy_if_changed(from: &Path, to: &Path) {
    let bytes =
        std::fs::read(from).unwrap_or_else(|e| panic!("{} was not built: {e}", from.display()));
    if std::fs::read(to).is_ok_and(|old| old == bytes) {
        return;
    }
    std::fs::write(to, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", to.display()));
}
