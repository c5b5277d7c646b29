//! The Windows build of the agent (`wharf-sage-agent.exe serve --engine sdo`) under Wine,
//! making real COM calls (ProgID lookup, `CoCreateInstance`, `IDispatch`) into the fake SDO
//! server `wharf_sage_fake_sdo.dll` registered as `SDOEngine.32`: the checks of `support`, and
//! the field self-test. `host/sage-agent/wine/setup.sh` (`make windows`) builds and registers
//! everything first; docs/sage50.md says what this proves and what it cannot.

#[macro_use]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use sage_agent::bitness::{Bitness, check_program};
use support::Harness;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn windows_binary(name: &str) -> PathBuf {
    let path = workspace()
        .join("target/x86_64-pc-windows-gnu/debug")
        .join(name);
    assert!(
        path.is_file(),
        "{} is missing: run `make windows` (host/sage-agent/wine/setup.sh) first",
        path.display()
    );
    path
}

/// `env WINEPREFIX=… wine64 wharf-sage-agent.exe`.
fn wine(args: &[&str]) -> Vec<String> {
    let prefix = workspace().join("target/wine-prefix");
    assert!(
        prefix.join("system.reg").is_file(),
        "the Wine prefix {} is missing: run `make windows` first",
        prefix.display()
    );
    let mut command = vec![
        "env".to_owned(),
        format!("WINEPREFIX={}", prefix.display()),
        "WINEDEBUG=-all".into(),
        // The shim beside the agent, not Wine's built-in (docs/sage50.md).
        "WINEDLLOVERRIDES=bcryptprimitives=n".into(),
        "/usr/lib/wine/wine64".into(),
        windows_binary("wharf-sage-agent.exe").display().to_string(),
    ];
    command.extend(args.iter().map(|s| (*s).to_owned()));
    command
}

fn command(extra: &[&str]) -> Vec<String> {
    let mut args = vec!["serve", "--engine", "sdo", "--retry-delay-ms", "10"];
    args.extend_from_slice(extra);
    wine(&args)
}

/// `/tmp/x` as Wine's drive Z: sees it.
fn data_path(folder: &Path) -> String {
    format!("Z:{}", folder.display().to_string().replace('/', "\\"))
}

const HARNESS: Harness = Harness { command, data_path };

agent_checks!(HARNESS);

#[test]
fn the_selftest_posts_and_finds_an_order_through_com() {
    let company = support::Company::new();
    let transcript = company.folder.path().join("selftest.jsonl");
    let mut args = wine(&[
        "selftest",
        "--engine",
        "sdo",
        "--program-id",
        sage_agent::fake::PROGRAM_ID,
        "--user",
        "wharf",
        "--password-env",
        "WHARF_TEST_SAGE_PASSWORD",
    ]);
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

/// The i686 build for 32-bit Sage Data Objects (`make windows` builds it). This Wine is 64-bit
/// only, so the build is checked by its program header — what the runner's `sage.bitness`
/// setting checks before starting an agent.
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
    check_program(&windows_binary("wharf-sage-agent.exe"), Bitness::Bits64)
        .expect("the x86_64 agent is 64-bit");
}
