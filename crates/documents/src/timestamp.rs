//! "Prepend timestamp" as Zynk's file tasks have it: the output's file name gets the time in a
//! .NET date format and `_` in front (`20010214120000_orders.xml`).

use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDateTime, Timelike};
use wharf_guest::{SettingError, TaskError, TaskSettings};

/// Zynk's default timestamp format.
pub const DEFAULT_FORMAT: &str = "yyyyMMddHHmmssffff";

/// Zynk's "Prepend Timestamp" and "Timestamp Format" settings, shared by the tasks that name an
/// output (`move-file`, `zip-files`, `render-template`).
#[derive(Debug, Clone, PartialEq, Eq, TaskSettings)]
pub struct TimestampSettings {
    /// Put the time before the output's file name (`20010214120000_orders.xml`).
    #[setting(default = false)]
    pub prepend_timestamp: bool,
    /// The timestamp's .NET date format.
    #[setting(default = "yyyyMMddHHmmssffff")]
    pub timestamp_format: String,
}

impl TimestampSettings {
    /// `output` as these settings name it now: with the timestamp when one is asked for.
    pub fn name(&self, output: &Path) -> Result<PathBuf, TaskError> {
        if !self.prepend_timestamp {
            return Ok(output.to_path_buf());
        }
        prepend(output, &self.timestamp_format, now())
            .map_err(|e| SettingError::new("timestamp-format", e).into())
    }
}

/// `path` with `<time in format>_` before its file name.
pub fn prepend(path: &Path, format: &str, now: NaiveDateTime) -> Result<PathBuf, String> {
    let stamp = format_time(format, now);
    if stamp.is_empty() {
        return Err("the format gives an empty timestamp".into());
    }
    if let Some(bad) = stamp.chars().find(|c| matches!(c, '/' | '\\' | ':' | '\0')) {
        return Err(format!(
            "the format gives `{stamp}`, and `{bad}` cannot be part of a file name"
        ));
    }
    let name = path
        .file_name()
        .ok_or_else(|| format!("`{}` has no file name", path.display()))?;
    Ok(path.with_file_name(format!("{stamp}_{}", name.to_string_lossy())))
}

/// The time in a .NET custom date format (`yyyy`, `MM`, `dd`, `HH`, `mm`, `ss`, `fff` …).
pub fn format_time(format: &str, now: NaiveDateTime) -> String {
    let time = wharf_xslt::DateTime {
        year: i64::from(now.year()),
        month: now.month(),
        day: now.day(),
        hour: now.hour(),
        minute: now.minute(),
        second: now.second(),
        ticks: now.nanosecond().min(999_999_999) / 100,
        offset: None,
    };
    wharf_xslt::format_dotnet_date(&time, format)
}

/// The local time now (UTC inside a component, whose clock has no time zone).
pub fn now() -> NaiveDateTime {
    chrono::Local::now().naive_local()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moment() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2001, 2, 14)
            .unwrap()
            .and_hms_micro_opt(12, 0, 0, 123_400)
            .unwrap()
    }

    #[test]
    fn the_documented_formats() {
        assert_eq!(format_time(DEFAULT_FORMAT, moment()), "200102141200001234");
        assert_eq!(
            format_time("dd-MM-yy_HH-mm-ss-ffff", moment()),
            "14-02-01_12-00-00-1234"
        );
        assert_eq!(
            prepend(Path::new("/out/orders.xml"), "yyyyMMddHHmmss", moment()).unwrap(),
            Path::new("/out/20010214120000_orders.xml")
        );
        assert!(
            prepend(Path::new("a.xml"), "yyyy/MM", moment())
                .unwrap_err()
                .contains("`/`")
        );
    }
}
