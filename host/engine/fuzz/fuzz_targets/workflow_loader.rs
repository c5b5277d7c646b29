//! The workflow loader and the checks that need no components: parsing must never panic, and
//! every setting of a workflow that loads goes through the template check (syntax and a
//! bounded trial render) and the limit parsers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::OnceLock;
use wharf_engine::Workflow;
use wharf_engine::limits::{parse_duration, parse_size};
use wharf_engine::template::Templates;
use wharf_engine::workflow::NodeKind;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_duration(text);
    let _ = parse_size(text);
    let Ok(workflow) = Workflow::parse(Path::new("fuzz.yaml"), text) else {
        return;
    };
    static TEMPLATES: OnceLock<Templates> = OnceLock::new();
    let templates = TEMPLATES.get_or_init(Templates::new);
    for value in workflow.variables.values() {
        let _ = templates.check(value);
    }
    workflow.walk(|node| {
        if let NodeKind::Task(task) = &node.kind {
            for value in task.settings.values() {
                let _ = templates.check(&value.text);
            }
        }
    });
});
