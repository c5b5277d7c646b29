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

/// The wire format.
mod protocol {
    use sage_agent::protocol::*;

    fn connect(password: &str) -> Op {
        Op::Connect(ConnectSettings {
            data_path: "C:\\ACCDATA".into(),
            user: "wharf".into(),
            password: password.into(),
            program_id: None,
        })
    }

    #[test]
    fn passwords_stay_out_of_debug_and_transcripts() {
        let op = connect("hunter2");
        assert!(!format!("{op:?}").contains("hunter2"));
        let redacted = serde_json::to_string(&op.redacted()).unwrap();
        assert!(!redacted.contains("hunter2"), "{redacted}");
        assert!(redacted.contains(REDACTED));
        // An empty password stays visibly empty (a replay must still match it).
        assert_eq!(connect("").redacted(), connect(""));
    }

    #[test]
    fn requests_round_trip_as_one_json_line() {
        let request = Request {
            id: 3,
            op: Op::PostOrder {
                header: Fields::from([("ACCOUNT_REF".into(), Value::Text("A1".into()))]),
                items: vec![Fields::from([("QTY_ORDER".into(), Value::Float(2.5))])],
                key_field: "ANALYSIS_3".into(),
                key: Some("web-1".into()),
            },
        };
        let line = serde_json::to_string(&request).unwrap();
        assert!(!line.contains('\n'));
        assert_eq!(serde_json::from_str::<Request>(&line).unwrap(), request);
    }
}
