//! Configuration errors from the binary: they name the file and the setting, exit code 2.

use crate::support::*;

#[test]
fn a_configuration_error_names_the_file_and_the_setting() {
    let p = Pipeline::new("config");
    let good = p.config("state", Timing::default());
    let text = std::fs::read_to_string(&good).unwrap();
    let cases = [
        (
            "unknown.yaml",
            format!("{text}access_key: {SECRET}\n"),
            "`access_key`",
        ),
        (
            "missing.yaml",
            text.lines()
                .filter(|l| !l.starts_with("bucket:"))
                .collect::<Vec<_>>()
                .join("\n"),
            "`bucket`",
        ),
        (
            "heartbeat.yaml",
            text.replace("heartbeat_seconds: 1", "heartbeat_seconds: 3"),
            "`heartbeat_seconds`",
        ),
        (
            "wait.yaml",
            text.replace("wait_seconds: 5", "wait_seconds: often"),
            "`wait_seconds`",
        ),
    ];
    for (name, text, setting) in cases {
        let path = p.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = p.runner(&path).arg("--once").output().unwrap();
        let log = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {log}");
        assert!(
            log.contains(&path.display().to_string()),
            "{name} names the file: {log}"
        );
        assert!(log.contains(setting), "{name} names {setting}: {log}");
        assert!(!log.contains(SECRET), "{log}");
    }
    let missing = p.dir.path().join("nowhere.yaml");
    let out = p.runner(&missing).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nowhere.yaml"), "{}", stderr(&out));
}

#[test]
fn one_runner_per_state_folder() {
    let p = Pipeline::new("lock");
    let config = p.config(
        "state",
        Timing {
            wait_seconds: 5,
            ..Timing::default()
        },
    );
    let mut first = p
        .runner(&config)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let first_log = Captured::of(&mut first);
    // The first holds the state folder once its state file exists.
    wait_for(
        std::time::Duration::from_secs(60),
        "the first runner",
        || p.dir.path().join("state/runner.sqlite").exists(),
    );
    let out = p.run_once(&config);
    let log = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(
        log.contains("another runner is using the state folder"),
        "{log}"
    );
    terminate(&first);
    assert!(first.wait().unwrap().success(), "{}", first_log.text());
}
