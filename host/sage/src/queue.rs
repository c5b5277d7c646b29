//! The contract between the cloud side that sends Sage jobs (the Wharf Lambda) and the
//! on-premises Sage runner (`wharf-sage-runner`) that runs them: the S3 layout of a job and the
//! bodies of the two SQS queues' messages.
//!
//! In the customer's bucket, a job lives under `<customer>/jobs/<job-id>/`:
//!
//! | key | written by | what |
//! |---|---|---|
//! | `<customer>/jobs/<job-id>/job.json` | sender | a [`SageJob`](crate::SageJob), its files inline |
//! | `<customer>/jobs/<job-id>/result.json` | runner | the [`SageJobResult`](crate::SageJobResult) |
//!
//! The jobs queue carries a [`JobMessage`] per job; the results queue a [`ResultMessage`] per
//! job the runner finished ([`JobOutcome::Done`]) or could not run at all
//! ([`JobOutcome::Refused`]). Messages are JSON, carry no secrets and no file contents (those
//! stay in the bucket), and are delivered at least once: a receiver must expect the same
//! message twice. Unknown fields are ignored, so either side can add fields later.

use serde::{Deserialize, Serialize};

/// The key prefix of every job of `customer`: `<customer>/jobs/`.
pub fn jobs_prefix(customer: &str) -> String {
    format!("{customer}/jobs/")
}

/// The key prefix of one job: `<customer>/jobs/<job-id>/`.
pub fn job_prefix(customer: &str, job_id: &str) -> String {
    format!("{customer}/jobs/{job_id}/")
}

/// The key of a job's `job.json`.
pub fn job_key(customer: &str, job_id: &str) -> String {
    format!("{}job.json", job_prefix(customer, job_id))
}

/// The key of a job's `result.json`.
pub fn result_key(customer: &str, job_id: &str) -> String {
    format!("{}result.json", job_prefix(customer, job_id))
}

/// A job on the jobs queue. The job itself is in the bucket at `job_key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobMessage {
    /// Unique per job; names its prefix `<customer>/jobs/<job-id>/`.
    pub job_id: String,
    pub customer: String,
    /// The workflow, run and task the job belongs to: the sender resumes that run with the
    /// result. The runner only passes them back.
    pub workflow: String,
    pub run_id: String,
    pub task_path: String,
    /// The S3 key of the job's `job.json` ([`job_key`]).
    pub job_key: String,
}

impl JobMessage {
    /// A message for job `job_id` of `customer`, with the key of the standard layout.
    pub fn new(
        customer: impl Into<String>,
        job_id: impl Into<String>,
        workflow: impl Into<String>,
        run_id: impl Into<String>,
        task_path: impl Into<String>,
    ) -> Self {
        let customer = customer.into();
        let job_id = job_id.into();
        JobMessage {
            job_key: job_key(&customer, &job_id),
            job_id,
            customer,
            workflow: workflow.into(),
            run_id: run_id.into(),
            task_path: task_path.into(),
        }
    }

    /// The answer to this job.
    pub fn result(&self, outcome: JobOutcome) -> ResultMessage {
        ResultMessage {
            job_id: self.job_id.clone(),
            customer: self.customer.clone(),
            workflow: self.workflow.clone(),
            run_id: self.run_id.clone(),
            task_path: self.task_path.clone(),
            outcome,
        }
    }
}

/// What became of a job, on the results queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultMessage {
    pub job_id: String,
    pub customer: String,
    pub workflow: String,
    pub run_id: String,
    pub task_path: String,
    pub outcome: JobOutcome,
}

/// `{"status":"done","result_key":"…"}` or `{"status":"refused","reason":"…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum JobOutcome {
    /// The job ran (its task may still have failed: see the result's code); its
    /// [`SageJobResult`](crate::SageJobResult) is at `result_key`.
    Done { result_key: String },
    /// The runner could not run the job at all (unknown component, a `job.json` that is not a
    /// Sage job, …). The reason never contains secrets or file contents.
    Refused { reason: String },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_follow_the_layout() {
        assert_eq!(jobs_prefix("acme"), "acme/jobs/");
        assert_eq!(job_key("acme", "j-1"), "acme/jobs/j-1/job.json");
        assert_eq!(result_key("acme", "j-1"), "acme/jobs/j-1/result.json");
        let message = JobMessage::new("acme", "j-1", "orders", "run-7", "import");
        assert_eq!(message.job_key, "acme/jobs/j-1/job.json");
    }

    #[test]
    fn a_job_message_round_trips_in_the_agreed_shape() {
        let message = JobMessage::new("acme", "j-1", "sftp-to-sage", "run-7", "orders/0/import");
        let value = serde_json::to_value(&message).unwrap();
        assert_eq!(
            value,
            json!({
                "job_id": "j-1", "customer": "acme", "workflow": "sftp-to-sage",
                "run_id": "run-7", "task_path": "orders/0/import",
                "job_key": "acme/jobs/j-1/job.json"
            })
        );
        let back: JobMessage = serde_json::from_value(value).unwrap();
        assert_eq!(back, message);
    }

    #[test]
    fn result_messages_round_trip_in_the_agreed_shape() {
        let job = JobMessage::new("acme", "j-1", "orders", "run-7", "import");
        let done = job.result(JobOutcome::Done {
            result_key: result_key("acme", "j-1"),
        });
        let value = serde_json::to_value(&done).unwrap();
        assert_eq!(
            value,
            json!({
                "job_id": "j-1", "customer": "acme", "workflow": "orders", "run_id": "run-7",
                "task_path": "import",
                "outcome": { "status": "done", "result_key": "acme/jobs/j-1/result.json" }
            })
        );
        assert_eq!(
            serde_json::from_value::<ResultMessage>(value).unwrap(),
            done
        );

        let refused = job.result(JobOutcome::Refused {
            reason: "unknown task `nope`".into(),
        });
        let text = serde_json::to_string(&refused).unwrap();
        assert!(
            text.contains(r#""outcome":{"status":"refused","reason":"unknown task `nope`"}"#),
            "{text}"
        );
        assert_eq!(
            serde_json::from_str::<ResultMessage>(&text).unwrap(),
            refused
        );
    }

    #[test]
    fn unknown_fields_are_ignored_and_unknown_statuses_are_not() {
        let message: JobMessage = serde_json::from_value(json!({
            "job_id": "j-1", "customer": "acme", "workflow": "w", "run_id": "r",
            "task_path": "t", "job_key": "acme/jobs/j-1/job.json", "added_later": 1
        }))
        .unwrap();
        assert_eq!(message.job_id, "j-1");
        let missing = serde_json::from_value::<JobMessage>(json!({ "job_id": "j-1" }));
        assert!(missing.is_err());
        let unknown = serde_json::from_value::<JobOutcome>(json!({ "status": "maybe" }));
        assert!(unknown.is_err());
    }
}
