//! Which runner runs a job, when SQS hands the same job message to two runners at once.
//!
//! A standard queue delivers at least once, so two runners (or one runner and its own restart,
//! or a runner and a second copy of the message) can hold the same job at the same moment. Each
//! runner's own state only knows its own jobs; what they share is the bucket. A runner first
//! claims the job with a conditional write of `<customer>/jobs/<job id>/claim.json`
//! (`If-None-Match: *`: exactly one writer wins), keeps the claim alive with its heartbeat
//! (`If-Match`), and only then runs it. Another runner that meets a live claim leaves its copy
//! of the message to come back later; once the job's `result.json` exists, it deletes its copy,
//! since the winner sends the answer. A claim whose lease ran out (its runner stopped) is taken
//! over with `If-Match` on the stale claim, and the job runs again as after any interrupted run
//! (the ledger's replay marks keep it from importing anything twice). See docs/cloud.md.

use std::time::Duration;

use aws_sdk_s3::Client;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use wharf_s3_store::Cause;

/// The claim object's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimBody {
    /// The runner holding the job (unique per runner process).
    pub owner: String,
    /// Until when the claim holds unless renewed.
    pub lease_until: DateTime<Utc>,
}

/// The outcome of trying to claim a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimed {
    /// This runner holds the job (`etag` renews it).
    Held { etag: String },
    /// Another runner holds it and its lease is alive.
    Elsewhere { owner: String, until: DateTime<Utc> },
}

/// The key of a job's claim.
pub fn claim_key(customer: &str, job_id: &str) -> String {
    format!(
        "{}claim.json",
        wharf_sage::queue::job_prefix(customer, job_id)
    )
}

/// A job's claim in the bucket, for one runner (`owner`).
pub struct JobClaim<'a> {
    pub s3: &'a Client,
    pub bucket: &'a str,
    pub key: String,
    pub owner: &'a str,
    pub lease: Duration,
}

impl JobClaim<'_> {
    fn body(&self) -> Vec<u8> {
        let lease = chrono::Duration::from_std(self.lease).unwrap_or(chrono::Duration::MAX);
        serde_json::to_vec(&ClaimBody {
            owner: self.owner.to_owned(),
            lease_until: Utc::now() + lease,
        })
        .unwrap_or_default()
    }

    /// Writes the claim: new (`if_match` None) or replacing the version `if_match`. `Ok(None)`
    /// when another write got there first.
    async fn write(&self, if_match: Option<&str>) -> Result<Option<String>, String> {
        let mut put = self
            .s3
            .put_object()
            .bucket(self.bucket)
            .key(&self.key)
            .content_type("application/json")
            .body(self.body().into());
        put = match if_match {
            None => put.if_none_match("*"),
            Some(etag) => put.if_match(etag),
        };
        match put.send().await {
            Ok(out) => Ok(Some(out.e_tag.unwrap_or_default())),
            // 412: the precondition failed; 409: a concurrent conditional write (real S3);
            // 404: If-Match on a claim deleted meanwhile.
            Err(e) => match Cause::of(&e) {
                cause if matches!(cause.status, Some(412 | 409 | 404)) => Ok(None),
                cause => Err(format!(
                    "writing s3://{}/{}: {}",
                    self.bucket, self.key, cause.text
                )),
            },
        }
    }

    /// Claims the job, or says who holds it. A claim of this owner's, or one whose lease ran
    /// out, is taken over.
    pub async fn claim(&self) -> Result<Claimed, String> {
        for _ in 0..5 {
            if let Some(etag) = self.write(None).await? {
                return Ok(Claimed::Held { etag });
            }
            let got = self
                .s3
                .get_object()
                .bucket(self.bucket)
                .key(&self.key)
                .send()
                .await;
            let object = match got {
                Ok(object) => object,
                // Deleted between the two requests: try to create it again.
                Err(e) => match Cause::of(&e) {
                    cause if cause.not_found() => continue,
                    cause => {
                        return Err(format!(
                            "reading s3://{}/{}: {}",
                            self.bucket, self.key, cause.text
                        ));
                    }
                },
            };
            let etag = object.e_tag.clone().unwrap_or_default();
            let bytes = object
                .body
                .collect()
                .await
                .map_err(|e| format!("reading s3://{}/{}: {e}", self.bucket, self.key))?
                .into_bytes();
            // An unreadable claim is treated as expired: it protects nothing.
            let current: Option<ClaimBody> = serde_json::from_slice(&bytes).ok();
            if let Some(c) = &current
                && c.owner != self.owner
                && c.lease_until > Utc::now()
            {
                return Ok(Claimed::Elsewhere {
                    owner: c.owner.clone(),
                    until: c.lease_until,
                });
            }
            if let Some(etag) = self.write(Some(&etag)).await? {
                return Ok(Claimed::Held { etag });
            }
        }
        Err(format!(
            "s3://{}/{}: the claim kept changing under five attempts",
            self.bucket, self.key
        ))
    }

    /// Extends a held claim; `Ok(None)` if it was lost (another runner took it over).
    pub async fn renew(&self, etag: &str) -> Result<Option<String>, String> {
        self.write(Some(etag)).await
    }
}

/// Whether the job's `result.json` exists (another runner answered it).
pub async fn answered(
    s3: &Client,
    bucket: &str,
    customer: &str,
    job_id: &str,
) -> Result<bool, String> {
    let key = wharf_sage::queue::result_key(customer, job_id);
    match s3.head_object().bucket(bucket).key(&key).send().await {
        Ok(_) => Ok(true),
        Err(e) => match Cause::of(&e) {
            cause if cause.not_found() => Ok(false),
            cause => Err(format!("looking for s3://{bucket}/{key}: {}", cause.text)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_claim_is_beside_the_job() {
        assert_eq!(claim_key("acme", "j-1"), "acme/jobs/j-1/claim.json");
    }
}
