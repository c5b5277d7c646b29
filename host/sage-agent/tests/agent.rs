//! The agent built for this machine (`serve --engine fake`: the fake Sage in process) through
//! the runner's `SdoBackend`: the checks of `support`.

#[macro_use]
mod support;

use support::Harness;

fn command(extra: &[&str]) -> Vec<String> {
    let mut command = vec![
        env!("CARGO_BIN_EXE_wharf-sage-agent").to_owned(),
        "serve".into(),
        "--engine".into(),
        "fake".into(),
        "--retry-delay-ms".into(),
        "10".into(),
    ];
    command.extend(extra.iter().map(|s| (*s).to_owned()));
    command
}

fn data_path(folder: &std::path::Path) -> String {
    folder.display().to_string()
}

const HARNESS: Harness = Harness { command, data_path };

agent_checks!(HARNESS);
