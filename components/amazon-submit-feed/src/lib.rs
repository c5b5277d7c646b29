//! `amazon-submit-feed`: see `amazon_sp::submit` (the three feed submission tasks share it) and
//! docs/amazon.md.

use amazon_sp::HostWeb;
use amazon_sp::submit::{Kind, info, run};
use wharf_guest::{Settings, Task, TaskInfo, TaskResult};

pub struct SubmitFeed;

impl Task for SubmitFeed {
    fn describe() -> TaskInfo {
        info(Kind::Any)
    }

    fn run(settings: Vec<(String, String)>) -> TaskResult {
        let settings = Settings::new(settings).with_defaults(&info(Kind::Any).settings);
        run(Kind::Any, &settings, &mut HostWeb)
    }
}

wharf_guest::export_task!(SubmitFeed);
