//! The Windows builds of the agent (`wharf-sage-agent.exe serve --engine sdo`, 64- and 32-bit)
//! under Wine, making real COM calls (ProgID lookup, `CoCreateInstance`, `IDispatch`) into the
//! fake SDO server `wharf_sage_fake_sdo.dll` of the same bitness registered as `SDOEngine.32`:
//! the checks of `support` on each, and the field self-test. `host/sage-agent/wine/setup.sh` (`make windows`) builds and registers
//! everything first; docs/sage50.md says what this proves and what it cannot.

#[macro_use]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use sage_agent::bitness::{Bitness, check_program};
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A Windows build: its target and the Wine loader that runs it.
#[derive(Clone, Copy)]
pub struct Build {
    target: &'static str,
    loader: &'static str,
}

/// 64-bit, for SDO from v30.1 (Debian's wine64).
pub const X86_64: Build = Build {
    target: "x86_64-pc-windows-gnu",
    loader: "/usr/lib/wine/wine64",
};

/// 32-bit, for SDO up to v29 (Debian's wine32: the i386 architecture).
pub const I686: Build = Build {
    target: "i686-pc-windows-gnu",
    loader: "/usr/lib/wine/wine",
};

fn windows_binary(build: Build, name: &str) -> PathBuf {
    let path = workspace()
        .join("target")
        .join(build.target)
        .join("debug")
        .join(name);
    assert!(
        path.is_file(),
        "{} is missing: run `make windows` (host/sage-agent/wine/setup.sh) first",
        path.display()
    );
    path
}

/// `env WINEPREFIX=… wine64 wharf-sage-agent.exe` (`wine` for the 32-bit build).
fn wine(build: Build, args: &[&str]) -> Vec<String> {
    let prefix = workspace().join("target/wine-prefix");
    assert!(
        prefix.join("system.reg").is_file(),
        "the Wine prefix {} is missing: run `make windows` first",
        prefix.display()
    );
    assert!(
        Path::new(build.loader).is_file(),
        "{} is missing: install Wine for {} (.ci/run installs wine64 and wine32)",
        build.loader,
        build.target
    );
    let mut command = vec![
        "env".to_owned(),
        format!("WINEPREFIX={}", prefix.display()),
        "WINEDEBUG=-all".into(),
        // The shim beside the agent, not Wine's built-in (docs/sage50.md).
        "WINEDLLOVERRIDES=bcryptprimitives=n".into(),
        build.loader.into(),
        windows_binary(build, "wharf-sage-agent.exe")
            .display()
            .to_string(),
    ];
    command.extend(args.iter().map(|s| (*s).to_owned()));
    command
}

fn command(build: Build, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["serve", "--engine", "sdo", "--retry-delay-ms", "10"];
    args.extend_from_slice(extra);
    wine(build, &args)
}

/// `/tmp/x` as Wine's drive Z: sees it.
fn data_path(folder: &Path) -> String {
    format!("Z:{}", folder.display().to_string().replace('/', "\\"))
}

/// The checks on the 64-bit agent against the 64-bit fake server.
mod x86_64 {
    use super::support::{self, Harness};

    fn command(extra: &[&str]) -> Vec<String> {
        super::command(super::X86_64, extra)
    }

    const HARNESS: Harness = Harness {
        command,
        data_path: super::data_path,
    };

    agent_checks!(HARNESS);
}

/// The same checks on the 32-bit agent against the 32-bit fake server (WoW64: the prefix's
/// 32-bit registry names the i686 DLL), as on a machine with 32-bit Sage Data Objects.
mod i686 {
    use super::support::{self, Harness};

    fn command(extra: &[&str]) -> Vec<String> {
        super::command(super::I686, extra)
    }

    const HARNESS: Harness = Harness {
        command,
        data_path: super::data_path,
    };

    agent_checks!(HARNESS);
}

#[test]
fn the_selftest_posts_and_finds_an_order_through_com() {
    let company = support::Company::new();
    let transcript = company.folder.path().join("selftest.jsonl");
    let mut args = wine(
        X86_64,
        &[
            "selftest",
            "--engine",
            "sdo",
            "--program-id",
            sage_agent::fake::PROGRAM_ID,
            "--user",
            "wharf",
            "--password-env",
            "WHARF_TEST_SAGE_PASSWORD",
        ],
    );
    let data = data_path(&company.data_path());
    let transcript_arg = data_path(&transcript);
    args.extend([
        "--data-path".into(),
        data,
        "--transcript".into(),
        transcript_arg,
    ]);
    let output = Command::new(&args[0])
        .args(&args[1..])
        .env("WHARF_TEST_SAGE_PASSWORD", "s3cret-sage")
        .output()
        .expect("wine runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "selftest failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("SDOEngine.32 version 32.0"), "{stdout}");
    assert!(
        stdout.contains("Customer: created and read back WHARF001"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Order: posted sales order 1 (net 2.00, VAT 0.40, gross 2.40)"),
        "{stdout}"
    );
    assert!(stdout.contains("found again by its key"), "{stdout}");
    let recorded = std::fs::read_to_string(&transcript).expect("transcript written");
    assert!(recorded.contains("\"post_order\""), "{recorded}");
    assert!(
        !recorded.contains("s3cret-sage"),
        "no password in the transcript"
    );
    let after = company.load();
    assert_eq!(after.orders.len(), 1);
    assert!(after.logged_in.is_empty(), "logged out");
}

/// The i686 build for 32-bit Sage Data Objects (`make windows` builds it), checked by its
/// program header too — what the runner's `sage.bitness` setting checks before starting an
/// agent.
#[test]
fn the_i686_agent_is_built_for_32_bit_sdo() {
    let i686 = workspace().join("target/i686-pc-windows-gnu/debug/wharf-sage-agent.exe");
    assert!(
        i686.is_file(),
        "{} is missing: run `make windows` (it needs gcc-mingw-w64-i686-win32)",
        i686.display()
    );
    check_program(&i686, Bitness::Bits32).expect("a 32-bit program");
    let mismatch = check_program(&i686, Bitness::Bits64).expect_err("not a 64-bit one");
    assert!(mismatch.contains("32-bit (i686)"), "{mismatch}");
    check_program(
        &windows_binary(X86_64, "wharf-sage-agent.exe"),
        Bitness::Bits64,
    )
    .expect("the x86_64 agent is 64-bit");
}
