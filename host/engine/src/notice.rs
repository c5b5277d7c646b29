//! A workflow's `on-failure:` block: who hears about a failed run, by e-mail through a named
//! SMTP connection and by a webhook POST through a named HTTP connection (docs/notify.md).
//! The host sends them once the run has ended. [`RunSummary`] is what every notice says about a
//! run, the `notify` task's too.

use crate::Workflow;
use crate::record::{Counts, ResultCode, RunRecord, TaskRecord};
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// `on-failure:` as written and checked.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OnFailure {
    pub email: Option<EmailNotice>,
    pub webhook: Option<WebhookNotice>,
    /// Where `wharf serve` is reached, for the link to the run's page (default: the
    /// `WHARF_SERVE_URL` environment variable, else serve's own default address).
    pub link: Option<String>,
}

/// A failure e-mail: the SMTP connection (`email:` in the connections file) and recipients.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EmailNotice {
    pub connection: String,
    #[serde(deserialize_with = "one_or_many")]
    pub to: Vec<String>,
    /// The subject; default "<workflow>: <result>".
    pub subject: Option<String>,
}

/// A failure webhook: a JSON POST to a path under an HTTP connection's `base-url`, which also
/// supplies its credentials.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct WebhookNotice {
    pub connection: String,
    #[serde(default)]
    pub path: String,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

impl OnFailure {
    /// Problems a run could only find when it fails, each naming its field.
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.email.is_none() && self.webhook.is_none() {
            out.push("on-failure: give `email:`, `webhook:` or both".into());
        }
        if let Some(email) = &self.email {
            if email.to.iter().all(|a| a.trim().is_empty()) {
                out.push("on-failure.email.to: give at least one address".into());
            }
            if email.connection.trim().is_empty() {
                out.push("on-failure.email.connection: name an `email:` connection".into());
            }
        }
        if let Some(hook) = &self.webhook
            && hook.connection.trim().is_empty()
        {
            out.push("on-failure.webhook.connection: name an `http:` connection".into());
        }
        if let Some(link) = &self.link
            && !(link.starts_with("http://") || link.starts_with("https://"))
        {
            out.push(format!(
                "on-failure.link: `{link}` is not an http:// or https:// address"
            ));
        }
        out
    }
}

/// Failed tasks a notice lists; the rest are counted.
pub const LISTED_FAILURES: usize = 20;

/// Where `wharf serve` is reached when neither the workflow nor `WHARF_SERVE_URL` says.
pub const DEFAULT_SERVE_URL: &str = "http://127.0.0.1:8420";

/// A task that did not succeed, as a notice lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FailedTask {
    pub path: String,
    pub id: String,
    pub name: String,
    /// The result's key (`fail`), as the webhook's JSON has it.
    pub result: &'static str,
    pub message: String,
    /// The result as reports show it (`Fail`).
    #[serde(skip)]
    pub code: ResultCode,
}

/// What a notice says about a run — the `on-failure:` e-mail and webhook once it has ended,
/// the `notify` task (`{{ run.summary }}`, `{{ run.json }}`) while it goes on. Built from the
/// run's record, or task by task as the run goes ([`RunSummary::add`]), so a notice costs
/// the same however many tasks ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    pub workflow: String,
    pub workflow_id: String,
    pub run: String,
    /// `None` while the run goes on.
    pub result: Option<ResultCode>,
    pub message: String,
    pub started: DateTime<Utc>,
    pub ended: Option<DateTime<Utc>>,
    pub started_by: Option<String>,
    pub counts: Counts,
    /// The first [`LISTED_FAILURES`] tasks that did not succeed.
    pub failed_tasks: Vec<FailedTask>,
    pub more_failed_tasks: usize,
    pub resume_at: Option<String>,
    /// The run's page in `wharf serve`: `<base>/w/<workflow id>/runs/<run id>`.
    pub link: String,
}

impl RunSummary {
    /// The summary of `record` (ended or not), of workflow `wf`.
    pub fn of(wf: &Workflow, record: &RunRecord) -> Self {
        let mut summary = RunSummary::begin(wf, record);
        for task in &record.tasks {
            summary.add(task);
        }
        summary
    }

    /// The summary of `record` without its tasks: [`RunSummary::add`] adds them.
    pub fn begin(wf: &Workflow, record: &RunRecord) -> Self {
        let base = wf
            .on_failure
            .as_ref()
            .and_then(|block| block.link.clone())
            .or_else(|| {
                std::env::var("WHARF_SERVE_URL")
                    .ok()
                    .filter(|u| !u.trim().is_empty())
            })
            .unwrap_or_else(|| DEFAULT_SERVE_URL.to_string());
        RunSummary {
            workflow: wf.name.clone(),
            workflow_id: wf.id.clone(),
            run: record.id.clone(),
            result: record.ended.map(|_| record.result),
            message: record.message.clone(),
            started: record.started,
            ended: record.ended,
            started_by: record.started_by.clone(),
            counts: Counts::default(),
            failed_tasks: Vec::new(),
            more_failed_tasks: 0,
            resume_at: record.resume_at.clone(),
            link: format!(
                "{}/w/{}/runs/{}",
                base.trim_end_matches('/'),
                wf.id,
                record.id
            ),
        }
    }

    /// One more task execution of the run.
    pub fn add(&mut self, task: &TaskRecord) {
        self.counts.add(task.counts);
        if task.result.is_success() {
            return;
        }
        if self.failed_tasks.len() < LISTED_FAILURES {
            self.failed_tasks.push(FailedTask {
                path: task.path.clone(),
                id: task.id.clone(),
                name: task.name.clone(),
                result: task.result.key(),
                message: task.message.clone(),
                code: task.result,
            });
        } else {
            self.more_failed_tasks += 1;
        }
    }

    /// `<workflow>: <result>` (`Web orders: Resume`), or while the run goes on how it goes
    /// (`Web orders: running, 2 tasks failed`): the e-mails' default subject.
    pub fn headline(&self) -> String {
        match self.result {
            Some(result) => format!("{}: {result}", self.workflow),
            None => format!("{}: running, {}", self.workflow, self.failures_so_far()),
        }
    }

    fn failures_so_far(&self) -> String {
        match self.failed_tasks.len() + self.more_failed_tasks {
            0 => "no task failed".to_string(),
            1 => "1 task failed".to_string(),
            n => format!("{n} tasks failed"),
        }
    }

    /// The plain-text summary every notice carries.
    pub fn text(&self) -> String {
        let time = |t: &DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
        let by = self
            .started_by
            .as_deref()
            .map(|by| format!(" by {by}"))
            .unwrap_or_default();
        let mut text = match self.result {
            Some(result) => format!(
                "Workflow {} ({}) {}: {result}\n{}\n\nRun {}\nStarted {}{by}\nEnded {}\n",
                self.workflow,
                self.workflow_id,
                if result.is_success() {
                    "succeeded"
                } else {
                    "failed"
                },
                self.message,
                self.run,
                time(&self.started),
                self.ended.as_ref().map(time).unwrap_or_default(),
            ),
            None => format!(
                "Workflow {} ({}) is running: {} so far\n\nRun {}\nStarted {}{by}\n",
                self.workflow,
                self.workflow_id,
                self.failures_so_far(),
                self.run,
                time(&self.started),
            ),
        };
        text.push_str(&format!(
            "Records in {}, out {}, failed {}\n",
            self.counts.records_in, self.counts.records_out, self.counts.records_failed,
        ));
        if !self.failed_tasks.is_empty() {
            text.push_str("\nTasks that did not succeed:\n");
            for t in &self.failed_tasks {
                text.push_str(&format!(
                    "  {} {}: {} — {}\n",
                    t.path, t.name, t.code, t.message
                ));
            }
            if self.more_failed_tasks > 0 {
                text.push_str(&format!("  … and {} more\n", self.more_failed_tasks));
            }
        }
        if let Some(at) = &self.resume_at {
            text.push_str(&format!("\nThe next run resumes at task {at}.\n"));
        }
        text.push_str(&format!("\nThe run's page: {}\n", self.link));
        text
    }

    /// The webhook's JSON body (docs/notify.md); `result` is `running` while the run goes on.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "workflow": self.workflow,
            "workflow_id": self.workflow_id,
            "run": self.run,
            "result": self.result.map_or("running", ResultCode::key),
            "message": self.message,
            "started": self.started,
            "ended": self.ended,
            "started_by": self.started_by,
            "records": {
                "in": self.counts.records_in,
                "out": self.counts.records_out,
                "failed": self.counts.records_failed,
            },
            "failed_tasks": self.failed_tasks,
            "more_failed_tasks": self.more_failed_tasks,
            "resume_at": self.resume_at,
            "summary": self.text(),
            "link": self.link,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(path: &str, result: ResultCode, failed: u64) -> TaskRecord {
        serde_json::from_value(serde_json::json!({
            "path": path, "id": format!("t{path}"), "name": format!("Task {path}"), "kind": "noop",
            "started": "2026-12-05T08:00:00Z", "ended": "2026-12-05T08:00:01Z",
            "result": result, "message": "m",
            "counts": { "records_in": 2, "records_out": 2 - failed, "records_failed": failed },
        }))
        .unwrap()
    }

    #[test]
    fn a_running_run_is_summarised_so_far_and_an_ended_one_as_it_ended() {
        let wf = Workflow::parse(
            std::path::Path::new("w.yaml"),
            "name: Web orders\non-failure:\n  webhook: { connection: a }\n  link: https://wharf.example/\ntasks:\n  - task: noop\n",
        )
        .unwrap();
        let mut record: RunRecord = serde_json::from_value(serde_json::json!({
            "id": "r1", "workflow": "Web orders", "started": "2026-12-05T08:00:00Z",
            "ended": null, "result": "Unknown", "message": "", "tasks": [],
        }))
        .unwrap();
        let mut summary = RunSummary::begin(&wf, &record);
        summary.add(&task("1", ResultCode::Success, 0));
        summary.add(&task("2", ResultCode::Fail, 1));
        assert_eq!(summary.headline(), "Web orders: running, 1 task failed");
        assert!(summary.text().contains("is running: 1 task failed so far"));
        assert_eq!(summary.json()["result"], "running");
        assert_eq!(summary.json()["records"]["failed"], 1);
        assert_eq!(summary.link, "https://wharf.example/w/web-orders/runs/r1");

        record.tasks = vec![
            task("1", ResultCode::Success, 0),
            task("2", ResultCode::Fail, 1),
        ];
        record.ended = Some(record.started);
        record.result = ResultCode::Fail;
        let ended = RunSummary::of(&wf, &record);
        assert_eq!(ended.headline(), "Web orders: Fail");
        assert_eq!(ended.failed_tasks, summary.failed_tasks);
        assert!(
            ended
                .text()
                .starts_with("Workflow Web orders (web-orders) failed: Fail")
        );
        assert_eq!(ended.json()["result"], "fail");
    }
}
