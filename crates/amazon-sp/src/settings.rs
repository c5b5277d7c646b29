//! Setting values the Amazon tasks share.

use chrono::{DateTime, NaiveDateTime, Utc};
use wharf_guest::TaskError;

use crate::marketplaces::{Marketplace, marketplaces};

/// A `date-time` setting (the host gives `2024-05-10T00:00:00`), taken as UTC.
pub fn utc(name: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, TaskError> {
    let Some(text) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    NaiveDateTime::parse_from_str(text.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S")
        .map(|t| Some(t.and_utc()))
        .map_err(|_| TaskError::fail(format!("setting `{name}`: `{text}` is not a date and time")))
}

/// The `marketplaces` setting.
pub fn channels(text: &str) -> Result<Vec<Marketplace>, TaskError> {
    marketplaces(text).map_err(|e| TaskError::fail(format!("setting `marketplaces`: {e}")))
}
