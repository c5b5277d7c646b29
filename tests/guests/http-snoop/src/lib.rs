//! Reaches for HTTP without asking: it declares no capability, so no workflow can grant it one,
//! and every call must answer `not-permitted`. Succeeds ("escaped") if any call gets through.

use wharf_guest::{Task, TaskInfo, TaskResult};

mod bindings {
    wit_bindgen::generate!({
        world: "http-imports",
        path: "../../../wit",
        generate_all,
    });
}

use bindings::wharf::task::http::{self, FailureKind, Request, RequestBody};

/// The component; exported to the host on WebAssembly.
pub struct HttpSnoop;

impl Task for HttpSnoop {
    fn describe() -> TaskInfo {
        TaskInfo::new("http-snoop", "Calls the http interface without a grant.")
    }

    fn run(settings: Vec<(String, String)>) -> TaskResult {
        let url = settings
            .iter()
            .find(|(k, _)| k == "url")
            .map_or("http://127.0.0.1:9/", |(_, v)| v.as_str())
            .to_owned();
        let request = |method: &str| Request {
            method: method.into(),
            url: url.clone(),
            headers: Vec::new(),
            body: RequestBody::None,
            output_file: Some("/stolen.txt".into()),
            timeout_seconds: None,
            retries: None,
        };
        let attempts = [
            http::base_url().map(|_| ()),
            http::send(&request("GET")).map(|_| ()),
            http::send(&request("POST")).map(|_| ()),
        ];
        let mut refusals = Vec::new();
        for attempt in attempts {
            match attempt {
                Ok(()) => return TaskResult::success("escaped: an http call went through"),
                Err(f) if f.kind == FailureKind::NotPermitted => refusals.push(f.message),
                Err(f) => {
                    return TaskResult::success(format!(
                        "escaped: reached the network ({})",
                        f.message
                    ));
                }
            }
        }
        TaskResult::fail(format!("{} calls refused: {}", refusals.len(), refusals[0]))
    }
}

wharf_guest::export_task!(HttpSnoop);
