//! The failed-run metric (docs/notify.md "Cloud"): one data point of `Wharf/FailedRuns` per run
//! that ends failed, as a CloudWatch embedded-metric-format line on the function's standard
//! output — Lambda's log, from which CloudWatch makes the metric without an API call. The
//! Terraform module's alarm watches the customer's sum.

use wharf_engine::RunRecord;

/// The metric's namespace and name, as the alarm in infra/ names them.
pub const NAMESPACE: &str = "Wharf";
pub const FAILED_RUNS: &str = "FailedRuns";

/// The log line for `record` if it ended failed: dimensions `Customer` and
/// `Customer`+`Workflow`, with the run's id and result as properties.
pub fn failed_run_line(customer: &str, workflow: &str, record: &RunRecord) -> Option<String> {
    if !record.failed() {
        return None;
    }
    let at = record.ended.unwrap_or(record.started).timestamp_millis();
    let line = serde_json::json!({
        "_aws": {
            "Timestamp": at,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Customer"], ["Customer", "Workflow"]],
                "Metrics": [{ "Name": FAILED_RUNS, "Unit": "Count" }],
            }],
        },
        "Customer": customer,
        "Workflow": workflow,
        FAILED_RUNS: 1,
        "RunId": record.id,
        "Result": record.result.key(),
    });
    Some(line.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use wharf_engine::ResultCode;

    fn record(result: ResultCode, ended: bool) -> RunRecord {
        serde_json::from_value(serde_json::json!({
            "id": "r1", "workflow": "Orders", "started": Utc::now(),
            "ended": if ended { Some(Utc::now()) } else { None },
            "result": result, "message": "", "tasks": [],
        }))
        .unwrap()
    }

    #[test]
    fn a_failed_run_is_one_data_point() {
        let line = failed_run_line("acme", "orders", &record(ResultCode::Resume, true)).unwrap();
        let json: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(json["FailedRuns"], 1);
        assert_eq!(json["Customer"], "acme");
        assert_eq!(json["Workflow"], "orders");
        assert_eq!(json["Result"], "resume");
        assert_eq!(json["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Wharf");
        assert!(json["_aws"]["Timestamp"].is_i64());
        assert!(!line.contains('\n'));
        for (result, ended) in [
            (ResultCode::Success, true),
            (ResultCode::SuccessNoData, true),
            (ResultCode::Interrupted, true),
            (ResultCode::Fail, false),
        ] {
            assert_eq!(
                failed_run_line("acme", "orders", &record(result, ended)),
                None
            );
        }
    }
}
