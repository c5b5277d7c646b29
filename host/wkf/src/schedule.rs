//! Zynk's workflow schedule (a mirror of a Windows Task Scheduler job: an occurrence, dates,
//! times and a repeat interval in minutes) as the workflow's `schedule:` (docs/schedule.md;
//! the mapping is in docs/wkf-import.md). What has no exact equivalent is reported with the
//! reason, never guessed.

use crate::xml::El;
use serde::Serialize;

/// .NET's "unset" date-time in a Zynk schedule.
const UNSET: &str = "0001-01-01";

/// The `<Schedule>` element's fields the conversion reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZynkSchedule {
    /// `Occurence` (sic).
    pub occurrence: String,
    pub once_date: String,
    pub once_time: String,
    pub start_date: String,
    pub end_date: String,
    pub start_time: String,
    pub end_time: String,
    /// The repeat interval; 0 = none.
    pub minutes: u32,
}

impl ZynkSchedule {
    /// Reads `<Schedule>`; `None` when it is absent or `Never`.
    pub fn read(el: &El) -> Option<ZynkSchedule> {
        let text = |name: &str| el.child_text(name).unwrap_or_default().to_string();
        let occurrence = text("Occurence");
        if occurrence.is_empty() || occurrence.eq_ignore_ascii_case("never") {
            return None;
        }
        Some(ZynkSchedule {
            occurrence,
            once_date: text("OnceDate"),
            once_time: text("OnceTime"),
            start_date: text("StartDate"),
            end_date: text("EndDate"),
            start_time: text("StartTime"),
            end_time: text("EndTime"),
            minutes: text("Minutes").parse().unwrap_or(0),
        })
    }

    /// A one-line description for the report, with the original values.
    pub fn original(&self) -> String {
        format!(
            "Occurence={} StartDate={} EndDate={} StartTime={} EndTime={} OnceDate={} OnceTime={} Minutes={}",
            self.occurrence,
            self.start_date,
            self.end_date,
            self.start_time,
            self.end_time,
            self.once_date,
            self.once_time,
            self.minutes
        )
    }
}

/// The workflow file's `schedule:` (docs/schedule.md).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ScheduleYaml {
    /// An interval: `15m`, `2h`, `1h30m`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub every: Option<String>,
    /// Times of the day.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub at: Vec<String>,
    /// One start, a local date and time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub once: Option<String>,
    /// With `every`: the daily window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    /// The IANA zone the times are in, when the import was told it (Zynk used the Windows
    /// machine's local time, which the `.wkf` does not name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// The date part of a .NET date-time; `None` when unset or malformed.
fn date_of(text: &str) -> Option<String> {
    let (date, _) = text.trim().split_once('T')?;
    let b = date.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    (shaped && date != UNSET).then(|| date.to_string())
}

/// `HH:MM` of a time-of-day field (its date part is meaningless: 0001-01-01 or the day it was
/// entered); `None` when the whole value is unset or malformed.
fn time_of_day(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() || t.starts_with("0001-01-01T00:00:00") {
        return None;
    }
    let (_, time) = t.split_once('T')?;
    let mut hm = time.split(':');
    let hour: u32 = hm.next()?.parse().ok().filter(|h| *h < 24)?;
    let minute: u32 = hm.next()?.parse().ok().filter(|m| *m < 60)?;
    Some(format!("{hour:02}:{minute:02}"))
}

/// `90` minutes as `1h30m`.
fn interval(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m}m"),
    }
}

/// Converts the schedule; `Err` says why it has no exact equivalent.
pub fn convert(s: &ZynkSchedule) -> Result<ScheduleYaml, String> {
    let start_time = time_of_day(&s.start_time);
    let end_time = time_of_day(&s.end_time);
    let mut yaml = ScheduleYaml {
        start_date: date_of(&s.start_date),
        end_date: date_of(&s.end_date),
        ..ScheduleYaml::default()
    };
    let kind = s.occurrence.to_ascii_lowercase();
    if kind == "once" {
        let date = date_of(&s.once_date).ok_or("a one-off schedule without a date")?;
        let time = time_of_day(&s.once_time).unwrap_or_else(|| "00:00".into());
        yaml.once = Some(format!("{date}T{time}"));
        yaml.start_date = None;
        yaml.end_date = None;
        return Ok(yaml);
    }
    // Task Scheduler's "repeat every N minutes" (Zynk's `Minutes`), within the day's window.
    if s.minutes > 0 && (kind.contains("minute") || kind == "daily") {
        if s.minutes > 24 * 60 {
            return Err(format!(
                "repeats every {} minutes, longer than a day",
                s.minutes
            ));
        }
        yaml.every = Some(interval(s.minutes));
        yaml.start_time = start_time;
        yaml.end_time = end_time;
        return Ok(yaml);
    }
    match kind.as_str() {
        "daily" => {
            yaml.at = vec![start_time.ok_or("a daily schedule without its time")?];
            Ok(yaml)
        }
        "hourly" => {
            yaml.every = Some("1h".into());
            yaml.start_time = start_time;
            Ok(yaml)
        }
        k if k.contains("minute") => {
            Err("a repeating schedule without its interval (Minutes is 0)".into())
        }
        _ => Err(format!(
            "a `{}` schedule: the .wkf does not hold its days, so it cannot be converted exactly",
            s.occurrence
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(occurrence: &str, start: &str, end: &str, minutes: u32) -> ZynkSchedule {
        ZynkSchedule {
            occurrence: occurrence.into(),
            start_date: "2026-01-05T00:00:00".into(),
            end_date: "0001-01-01T00:00:00".into(),
            start_time: start.into(),
            end_time: end.into(),
            minutes,
            ..ZynkSchedule::default()
        }
    }

    #[test]
    fn repeats_dailies_and_one_offs_convert() {
        let every = convert(&schedule(
            "EveryXMinutes",
            "2026-01-05T07:00:00",
            "2026-01-05T19:30:00",
            15,
        ))
        .unwrap();
        assert_eq!(
            every,
            ScheduleYaml {
                every: Some("15m".into()),
                start_time: Some("07:00".into()),
                end_time: Some("19:30".into()),
                start_date: Some("2026-01-05".into()),
                ..ScheduleYaml::default()
            }
        );
        let all_day = convert(&schedule(
            "Minutes",
            "0001-01-01T00:00:00",
            "0001-01-01T00:00:00",
            90,
        ))
        .unwrap();
        assert_eq!(
            (all_day.every.as_deref(), all_day.start_time),
            (Some("1h30m"), None)
        );
        let daily = convert(&schedule("Daily", "2020-03-01T06:30:00", "", 0)).unwrap();
        assert_eq!(daily.at, ["06:30"]);
        let once = convert(&ZynkSchedule {
            occurrence: "Once".into(),
            once_date: "2026-05-01T00:00:00".into(),
            once_time: "0001-01-01T09:15:00".into(),
            start_date: "2026-01-01T00:00:00".into(),
            ..ZynkSchedule::default()
        })
        .unwrap();
        assert_eq!(
            once,
            ScheduleYaml {
                once: Some("2026-05-01T09:15".into()),
                ..ScheduleYaml::default()
            }
        );
    }

    #[test]
    fn what_has_no_exact_equivalent_is_refused_with_the_reason() {
        for (s, why) in [
            (schedule("Minutes", "", "", 0), "Minutes is 0"),
            (schedule("Minutes", "", "", 2000), "longer than a day"),
            (schedule("Weekly", "2026-01-01T08:00:00", "", 0), "Weekly"),
            (schedule("Monthly", "2026-01-01T08:00:00", "", 0), "days"),
            (schedule("Daily", "", "", 0), "without its time"),
            (
                ZynkSchedule {
                    occurrence: "Once".into(),
                    ..ZynkSchedule::default()
                },
                "without a date",
            ),
        ] {
            let e = convert(&s).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
    }

    #[test]
    fn never_and_absent_schedules_are_none() {
        let el = crate::xml::parse(
            "<Schedule><Occurence>Never</Occurence><Minutes>0</Minutes></Schedule>",
        )
        .unwrap();
        assert_eq!(ZynkSchedule::read(&el), None);
        let el = crate::xml::parse(
            "<Schedule><Occurence>Daily</Occurence><StartTime>2020-01-01T05:00:00</StartTime><Minutes>x</Minutes></Schedule>",
        )
        .unwrap();
        let s = ZynkSchedule::read(&el).unwrap();
        assert_eq!((s.minutes, s.occurrence.as_str()), (0, "Daily"));
        assert_eq!(convert(&s).unwrap().at, ["05:00"]);
    }
}
