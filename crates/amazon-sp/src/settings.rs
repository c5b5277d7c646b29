//! Setting values the Amazon tasks share.

use chrono::{DateTime, NaiveDateTime, Utc};
use wharf_guest::{SettingError, Settings};

use crate::marketplaces::{Marketplace, marketplaces};

/// A `date-time` setting (the host gives `2024-05-10T00:00:00`), taken as UTC.
pub fn utc(settings: &Settings, name: &str) -> Result<Option<DateTime<Utc>>, SettingError> {
    let Some(text) = settings.optional_text(name) else {
        return Ok(None);
    };
    let trimmed = text.trim().trim_end_matches('Z');
    NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%dT%H:%M:%S")
        .map(|t| Some(t.and_utc()))
        .map_err(|_| SettingError::new(name, format!("`{text}` is not a date and time")))
}

/// The `marketplaces` setting.
pub fn channels(settings: &Settings) -> Result<Vec<Marketplace>, SettingError> {
    let text = settings.text("marketplaces")?;
    marketplaces(text).map_err(|e| SettingError::new("marketplaces", e))
}
