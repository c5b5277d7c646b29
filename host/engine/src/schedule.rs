//! A workflow's `schedule:`: when `wharf schedule` (and, in the cloud, its EventBridge
//! schedule) starts it. Zynk's schedule kinds — an interval within a daily window, times of the
//! day, once — with days of the week, a date range, a time zone and what happens to starts that
//! were missed (docs/schedule.md).

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc,
    Weekday,
};
use serde::Deserialize;

/// The longest interval `every:` takes: a day.
const MAX_EVERY_MINUTES: u32 = 24 * 60;

/// `schedule:` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ScheduleFile {
    every: Option<String>,
    at: Option<OneOrMany>,
    once: Option<String>,
    #[serde(default)]
    days: Vec<String>,
    start_time: Option<String>,
    end_time: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    time_zone: Option<String>,
    #[serde(default)]
    missed: Missed,
    #[serde(default = "yes")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// What a schedule does about starts that passed while nothing was there to run them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Missed {
    /// Not made up: the next start is the next chance (Windows Task Scheduler's default).
    #[default]
    Skip,
    /// One run as soon as possible, however many starts were missed (Task Scheduler's "run
    /// as soon as possible after a scheduled start is missed").
    RunOnce,
}

/// When the workflow runs, on each day the schedule is active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    /// Every `minutes`, from `from` (each active day starts again there) until before `until`.
    Every {
        minutes: u32,
        from: NaiveTime,
        until: Option<NaiveTime>,
    },
    /// At these times of the day, in order.
    At(Vec<NaiveTime>),
    /// Once, at this local date and time.
    Once(NaiveDateTime),
}

/// The zone a schedule's times are in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Zone {
    /// The machine's own zone (as Zynk ran in Windows' local time).
    Local,
    /// An IANA zone, from the copy of the time zone database built into `wharf` (jiff's), so a
    /// schedule means the same on every machine and in the Lambda. `name` is as written, which
    /// the database knows exactly (case and all).
    Named {
        name: String,
        tz: jiff::tz::TimeZone,
    },
}

/// A workflow's schedule, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub when: When,
    /// The days of the week it runs on; empty means every day.
    pub days: Vec<Weekday>,
    /// No start before this day.
    pub start_date: Option<NaiveDate>,
    /// No start after this day.
    pub end_date: Option<NaiveDate>,
    pub zone: Zone,
    pub missed: Missed,
    pub enabled: bool,
}

impl ScheduleFile {
    /// The checked schedule, or every problem found, each naming its field.
    pub(crate) fn check(self) -> Result<Schedule, Vec<String>> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, e: String| errors.push(format!("schedule.{field}: {e}"));
        let kinds = [self.every.is_some(), self.at.is_some(), self.once.is_some()];
        let start_time = self.start_time.as_deref().and_then(|t| {
            time_of_day(t)
                .map_err(|e| fail("start-time", e))
                .ok()
                .flatten()
        });
        let end_time = self.end_time.as_deref().and_then(|t| {
            time_of_day(t)
                .map_err(|e| fail("end-time", e))
                .ok()
                .flatten()
        });
        let windowed = self.start_time.is_some() || self.end_time.is_some();
        let when = match kinds.iter().filter(|k| **k).count() {
            0 => {
                fail(
                    "",
                    "say when: `every: 15m`, `at: \"06:30\"` or `once: 2026-12-24T09:00`".into(),
                );
                None
            }
            1 => {
                if let Some(every) = &self.every {
                    match interval_minutes(every) {
                        Ok(minutes) => Some(When::Every {
                            minutes,
                            from: start_time.unwrap_or(NaiveTime::MIN),
                            until: end_time,
                        }),
                        Err(e) => {
                            fail("every", e);
                            None
                        }
                    }
                } else if let Some(at) = self.at {
                    if windowed {
                        fail(
                            "start-time",
                            "a window (start-time, end-time) goes with `every:`; with `at:` give the times".into(),
                        );
                    }
                    let list = match at {
                        OneOrMany::One(t) => vec![t],
                        OneOrMany::Many(list) => list,
                    };
                    if list.is_empty() {
                        fail("at", "give at least one time of the day".into());
                    }
                    let mut times = Vec::new();
                    for t in &list {
                        match time_of_day(t) {
                            Ok(Some(t)) => times.push(t),
                            Ok(None) => {
                                fail("at", "24:00 is not a time to start at; use 00:00".into())
                            }
                            Err(e) => fail("at", e),
                        }
                    }
                    times.sort();
                    times.dedup();
                    Some(When::At(times))
                } else {
                    let once = self.once.as_deref().unwrap_or_default();
                    if windowed
                        || !self.days.is_empty()
                        || self.start_date.is_some()
                        || self.end_date.is_some()
                    {
                        fail(
                            "once",
                            "a single start takes no days, window or date range".into(),
                        );
                    }
                    match NaiveDateTime::parse_from_str(once, "%Y-%m-%dT%H:%M")
                        .or_else(|_| NaiveDateTime::parse_from_str(once, "%Y-%m-%dT%H:%M:%S"))
                    {
                        Ok(t) => Some(When::Once(t)),
                        Err(_) => {
                            fail(
                                "once",
                                format!(
                                    "`{once}` is not a local date and time like 2026-12-24T09:00"
                                ),
                            );
                            None
                        }
                    }
                }
            }
            _ => {
                fail("", "give only one of `every`, `at` and `once`".into());
                None
            }
        };
        if let (Some(from), Some(until)) = (start_time, end_time)
            && from >= until
        {
            fail(
                "end-time",
                format!("{until} is not after start-time {from} (the window is within one day)"),
            );
        }
        let mut days = Vec::new();
        for d in &self.days {
            match weekday(d) {
                Some(w) if !days.contains(&w) => days.push(w),
                Some(_) => {}
                None => fail(
                    "days",
                    format!("`{d}` is not a day (mon, tue, wed, thu, fri, sat, sun)"),
                ),
            }
        }
        days.sort_by_key(|d| d.num_days_from_monday());
        let date = |field: &str, text: &Option<String>, fail: &mut dyn FnMut(&str, String)| {
            text.as_deref().and_then(|t| {
                NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .map_err(|_| fail(field, format!("`{t}` is not a date like 2026-01-31")))
                    .ok()
            })
        };
        let start_date = date("start-date", &self.start_date, &mut fail);
        let end_date = date("end-date", &self.end_date, &mut fail);
        if let (Some(s), Some(e)) = (start_date, end_date)
            && e < s
        {
            fail("end-date", format!("{e} is before start-date {s}"));
        }
        let zone = match self.time_zone.as_deref() {
            None => Zone::Local,
            Some(name) => match jiff::tz::TimeZone::get(name) {
                // The database looks names up without regard to case; a zone is taken only as
                // the database spells it.
                Ok(tz) if tz.iana_name() == Some(name) => Zone::Named {
                    name: name.to_string(),
                    tz,
                },
                _ => {
                    fail(
                        "time-zone",
                        format!("`{name}` is not a time zone name like Europe/London or UTC"),
                    );
                    Zone::Local
                }
            },
        };
        match when {
            Some(when) if errors.is_empty() => Ok(Schedule {
                when,
                days,
                start_date,
                end_date,
                zone,
                missed: self.missed,
                enabled: self.enabled,
            }),
            _ => Err(errors),
        }
    }
}

/// The first instant a zone's clocks show `local` at: `None` if they skip it (a clock change
/// forward) or it is outside the database's years (±9999); of two (a clock change back), the
/// earlier.
fn earliest_in(tz: &jiff::tz::TimeZone, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    let small = |n: u32| i8::try_from(n).ok();
    let civil = jiff::civil::DateTime::new(
        i16::try_from(local.year()).ok()?,
        small(local.month())?,
        small(local.day())?,
        small(local.hour())?,
        small(local.minute())?,
        small(local.second())?,
        // chrono writes a leap second as a second's nanoseconds past 10^9.
        i32::try_from(local.nanosecond().min(999_999_999)).ok()?,
    )
    .ok()?;
    let at =
        |offset: jiff::tz::Offset| local.and_utc() - Duration::seconds(offset.seconds().into());
    match tz.to_ambiguous_timestamp(civil).offset() {
        jiff::tz::AmbiguousOffset::Unambiguous { offset } => Some(at(offset)),
        jiff::tz::AmbiguousOffset::Fold { before, after } => Some(at(before).min(at(after))),
        jiff::tz::AmbiguousOffset::Gap { .. } => None,
    }
}

/// `HH:MM` (or `HH:MM:SS`); `24:00` is the end of the day (`None`).
fn time_of_day(text: &str) -> Result<Option<NaiveTime>, String> {
    if text == "24:00" {
        return Ok(None);
    }
    NaiveTime::parse_from_str(text, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"))
        .map(Some)
        .map_err(|_| format!("`{text}` is not a time of the day like 06:30"))
}

/// `15m`, `2h` (or `1h30m`): whole minutes from 1 minute to a day.
fn interval_minutes(text: &str) -> Result<u32, String> {
    let wrong =
        || format!("`{text}` is not an interval like 15m or 2h (whole minutes, from 1m to 24h)");
    let mut minutes: u64 = 0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(wrong());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(wrong)?;
        let number: u64 = rest[..digits].parse().map_err(|_| wrong())?;
        let unit = match rest[digits..].chars().next() {
            Some('m') => 1,
            Some('h') => 60,
            _ => return Err(wrong()),
        };
        minutes = minutes
            .checked_add(number.checked_mul(unit).ok_or_else(wrong)?)
            .ok_or_else(wrong)?;
        rest = &rest[digits + 1..];
    }
    match u32::try_from(minutes) {
        Ok(m) if (1..=MAX_EVERY_MINUTES).contains(&m) => Ok(m),
        _ => Err(wrong()),
    }
}

fn weekday(text: &str) -> Option<Weekday> {
    let lower = text.to_ascii_lowercase();
    let short = lower.get(..3)?;
    let day = match short {
        "mon" => Weekday::Mon,
        "tue" => Weekday::Tue,
        "wed" => Weekday::Wed,
        "thu" => Weekday::Thu,
        "fri" => Weekday::Fri,
        "sat" => Weekday::Sat,
        "sun" => Weekday::Sun,
        _ => return None,
    };
    let full = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ][day.num_days_from_monday() as usize];
    (lower.len() == 3 || lower == full).then_some(day)
}

impl Schedule {
    /// The first start strictly after `after`, if the schedule has one.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if !self.enabled {
            return None;
        }
        if let When::Once(at) = &self.when {
            return self.to_utc(*at).filter(|t| *t > after);
        }
        let mut day = self.local_date(after) - Duration::days(1);
        if let Some(start) = self.start_date {
            day = day.max(start);
        }
        // Every active day has a start (the window is not empty), so eight days always find
        // the next one when there is one.
        for _ in 0..9 {
            if self.end_date.is_some_and(|end| day > end) {
                return None;
            }
            if (self.days.is_empty() || self.days.contains(&day.weekday()))
                && let Some(t) = self
                    .starts_on()
                    .into_iter()
                    .filter_map(|local| self.to_utc(day.and_time(local)))
                    .find(|t| *t > after)
            {
                return Some(t);
            }
            day = day.succ_opt()?;
        }
        None
    }

    /// How many starts fall in `(after, upto]`, counting at most `cap`.
    pub fn starts_between(&self, after: DateTime<Utc>, upto: DateTime<Utc>, cap: usize) -> usize {
        let mut count = 0;
        let mut t = after;
        while count < cap {
            match self.next_after(t) {
                Some(next) if next <= upto => {
                    count += 1;
                    t = next;
                }
                _ => break,
            }
        }
        count
    }

    /// The local times of the starts on an active day, in order.
    fn starts_on(&self) -> Vec<NaiveTime> {
        match &self.when {
            When::At(times) => times.clone(),
            When::Every {
                minutes,
                from,
                until,
            } => {
                let mut out = Vec::new();
                let step = Duration::minutes(i64::from(*minutes));
                let mut t = *from;
                loop {
                    out.push(t);
                    let (next, wrapped) = t.overflowing_add_signed(step);
                    if wrapped != 0 || until.is_some_and(|u| next >= u) {
                        break;
                    }
                    t = next;
                }
                out
            }
            When::Once(at) => vec![at.time()],
        }
    }

    fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        match &self.zone {
            Zone::Local => t.with_timezone(&chrono::Local).date_naive(),
            Zone::Named { tz, .. } => {
                // An instant outside the database's years (±9999) is taken at offset zero.
                let offset = jiff::Timestamp::from_second(t.timestamp())
                    .map_or(0, |ts| tz.to_offset(ts).seconds());
                (t.naive_utc() + Duration::seconds(offset.into())).date()
            }
        }
    }

    /// A local time as an instant. A time that a clock change skips is taken an hour later (a
    /// 02:30 start runs at 03:30 on the night the clocks go forward); one that happens twice is
    /// taken the first time.
    fn to_utc(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        let earliest = |local: NaiveDateTime| match &self.zone {
            Zone::Local => chrono::Local
                .from_local_datetime(&local)
                .earliest()
                .map(|t| t.with_timezone(&Utc)),
            Zone::Named { tz, .. } => earliest_in(tz, local),
        };
        earliest(local).or_else(|| earliest(local + Duration::hours(1)))
    }

    /// The schedule as an EventBridge Scheduler schedule (docs/schedule.md, "Cloud"): the
    /// expression, its zone, and the date range as instants. A schedule cron cannot say
    /// exactly is refused with the reason.
    pub fn cloud(&self) -> Result<CloudSchedule, String> {
        let Zone::Named { name, .. } = &self.zone else {
            return Err("schedule.time-zone: a cloud schedule needs a time zone (the function has no local one), e.g. `time-zone: Europe/London`".into());
        };
        let days = if self.days.is_empty() {
            ("*".to_string(), "?".to_string())
        } else {
            let names: Vec<_> = self
                .days
                .iter()
                .map(|d| d.to_string().to_ascii_uppercase())
                .collect();
            ("?".to_string(), names.join(","))
        };
        let expression = match &self.when {
            When::Once(at) => format!("at({})", at.format("%Y-%m-%dT%H:%M:%S")),
            When::At(times) => {
                let minute = times[0].minute();
                if times
                    .iter()
                    .any(|t| t.minute() != minute || t.second() != 0)
                {
                    return Err("schedule.at: times at different minutes past the hour are more than one cron expression; give times with the same minutes (06:30, 18:30)".into());
                }
                let hours: Vec<_> = times.iter().map(|t| t.hour().to_string()).collect();
                format!(
                    "cron({minute} {} {} * {} *)",
                    hours.join(","),
                    days.0,
                    days.1
                )
            }
            When::Every {
                minutes,
                from,
                until,
            } => {
                let end = until.map_or(24 * 60, |u| u.hour() * 60 + u.minute());
                let start = from.hour() * 60 + from.minute();
                let inexact = || {
                    format!(
                        "schedule.every: every {minutes} minutes from {from} is not one cron expression; use an interval that divides an hour (or whole hours that divide a day) and a window of whole hours"
                    )
                };
                if from.second() != 0 || until.is_some_and(|u| u.second() != 0) {
                    return Err(inexact());
                }
                if *minutes < 60 && 60 % minutes == 0 && start % 60 < *minutes && end % 60 == 0 {
                    let last_hour = end / 60 - 1;
                    let hours = if from.hour() == 0 && last_hour == 23 {
                        "*".to_string()
                    } else if from.hour() == last_hour {
                        last_hour.to_string()
                    } else {
                        format!("{}-{last_hour}", from.hour())
                    };
                    format!(
                        "cron({}/{minutes} {hours} {} * {} *)",
                        start % 60,
                        days.0,
                        days.1
                    )
                } else if minutes % 60 == 0 && (24 * 60) % minutes == 0 && end == 24 * 60 {
                    let step = minutes / 60;
                    format!(
                        "cron({} {}/{step} {} * {} *)",
                        from.minute(),
                        from.hour(),
                        days.0,
                        days.1
                    )
                } else {
                    return Err(inexact());
                }
            }
        };
        let instant = |day: NaiveDate| {
            self.to_utc(day.and_time(NaiveTime::MIN))
                .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        };
        Ok(CloudSchedule {
            schedule_expression: expression,
            timezone: name.clone(),
            start_date: self.start_date.and_then(instant),
            end_date: self.end_date.and_then(|d| d.succ_opt()).and_then(instant),
            enabled: self.enabled,
        })
    }
}

/// One workflow's EventBridge Scheduler schedule, as the Terraform module takes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CloudSchedule {
    pub schedule_expression: String,
    pub timezone: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    pub enabled: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(yaml: &str) -> Result<Schedule, Vec<String>> {
        let file: ScheduleFile = serde_saphyr::from_str(yaml).expect("yaml");
        file.check()
    }

    fn london(s: &str) -> DateTime<Utc> {
        let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        chrono_tz::Europe::London
            .from_local_datetime(&local)
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn starts(s: &Schedule, from: &str, n: usize) -> Vec<String> {
        let mut t = london(from);
        let mut out = Vec::new();
        for _ in 0..n {
            let Some(next) = s.next_after(t) else { break };
            out.push(
                next.with_timezone(&chrono_tz::Europe::London)
                    .format("%a %Y-%m-%d %H:%M")
                    .to_string(),
            );
            t = next;
        }
        out
    }

    #[test]
    fn every_runs_within_the_window_on_the_given_days() {
        let s = schedule(
            "every: 45m\nstart-time: \"08:00\"\nend-time: \"10:00\"\ndays: [fri, mon]\ntime-zone: Europe/London\n",
        )
        .unwrap();
        // Friday 4 December 2026: 08:00, 08:45, 09:30; then Monday.
        assert_eq!(
            starts(&s, "2026-12-04 07:00", 5),
            [
                "Fri 2026-12-04 08:00",
                "Fri 2026-12-04 08:45",
                "Fri 2026-12-04 09:30",
                "Mon 2026-12-07 08:00",
                "Mon 2026-12-07 08:45"
            ]
        );
        // Exactly at a start, the next one is the one after.
        assert_eq!(starts(&s, "2026-12-04 08:45", 1), ["Fri 2026-12-04 09:30"]);
    }

    #[test]
    fn an_interval_starts_again_at_the_window_each_day() {
        let s = schedule("every: 7h\ntime-zone: UTC\n").unwrap();
        let from = Utc.with_ymd_and_hms(2026, 12, 4, 20, 0, 0).unwrap();
        assert_eq!(
            s.next_after(from),
            Some(Utc.with_ymd_and_hms(2026, 12, 4, 21, 0, 0).unwrap())
        );
        assert_eq!(
            s.next_after(Utc.with_ymd_and_hms(2026, 12, 4, 21, 0, 0).unwrap()),
            Some(Utc.with_ymd_and_hms(2026, 12, 5, 0, 0, 0).unwrap())
        );
    }

    #[test]
    fn times_of_day_dates_and_clock_changes() {
        let s = schedule(
            "at: [\"18:30\", \"01:30\"]\nstart-date: 2027-03-27\nend-date: 2027-03-29\ntime-zone: Europe/London\n",
        )
        .unwrap();
        assert_eq!(
            starts(&s, "2026-12-04 07:00", 9),
            [
                "Sat 2027-03-27 01:30",
                "Sat 2027-03-27 18:30",
                // 01:30 does not exist on the 28th (clocks go forward at 01:00): an hour later.
                "Sun 2027-03-28 02:30",
                "Sun 2027-03-28 18:30",
                "Mon 2027-03-29 01:30",
                "Mon 2027-03-29 18:30"
            ]
        );
        let once = schedule("once: 2026-12-24T09:00\ntime-zone: Europe/London\n").unwrap();
        assert_eq!(
            starts(&once, "2026-12-04 07:00", 3),
            ["Thu 2026-12-24 09:00"]
        );
        assert_eq!(starts(&once, "2026-12-24 09:00", 3), Vec::<String>::new());
        let off = schedule("every: 15m\nenabled: false\n").unwrap();
        assert_eq!(off.next_after(Utc::now()), None);
    }

    /// Local dates and the instants of local times, across two years of clock changes in zones
    /// with odd ones (a half-hour change on Lord Howe, Dublin's "negative" summer time, Chatham's
    /// +12:45, none in Kolkata), agree with chrono-tz's reading of the database.
    #[test]
    fn zones_agree_with_chrono_tz_across_clock_changes() {
        let names = [
            "Europe/London",
            "America/New_York",
            "Australia/Lord_Howe",
            "Europe/Dublin",
            "Pacific/Chatham",
            "Asia/Kolkata",
            "US/Pacific",
        ];
        for name in names {
            let s = schedule(&format!("every: 1h\ntime-zone: {name}\n")).unwrap();
            let oracle: chrono_tz::Tz = name.parse().unwrap();
            let mut local = NaiveDate::from_ymd_opt(2026, 1, 1)
                .unwrap()
                .and_time(NaiveTime::MIN);
            let end = NaiveDate::from_ymd_opt(2028, 1, 1).unwrap();
            while local.date() < end {
                let expected = oracle
                    .from_local_datetime(&local)
                    .earliest()
                    .or_else(|| {
                        oracle
                            .from_local_datetime(&(local + Duration::hours(1)))
                            .earliest()
                    })
                    .map(|t| t.with_timezone(&Utc));
                assert_eq!(s.to_utc(local), expected, "{name} {local}");
                let instant = local.and_utc();
                assert_eq!(
                    s.local_date(instant),
                    instant.with_timezone(&oracle).date_naive(),
                    "{name} {instant}"
                );
                local += Duration::minutes(15);
            }
        }
    }

    #[test]
    fn a_zone_is_taken_as_the_database_spells_it() {
        let cloud = |zone: &str| {
            schedule(&format!("every: 15m\ntime-zone: {zone}\n"))
                .map(|s| s.cloud().unwrap().timezone)
        };
        assert_eq!(cloud("Europe/London").unwrap(), "Europe/London");
        // A link keeps its own name.
        assert_eq!(cloud("US/Eastern").unwrap(), "US/Eastern");
        assert_eq!(cloud("UTC").unwrap(), "UTC");
        let wrong = cloud("europe/london").unwrap_err();
        assert!(
            wrong[0].starts_with("schedule.time-zone: `europe/london` is not a time zone name"),
            "{wrong:?}"
        );
    }

    #[test]
    fn missed_starts_are_counted() {
        let s = schedule("every: 15m\ntime-zone: UTC\nmissed: run-once\n").unwrap();
        let a = Utc.with_ymd_and_hms(2026, 12, 4, 7, 0, 0).unwrap();
        let b = Utc.with_ymd_and_hms(2026, 12, 4, 8, 7, 0).unwrap();
        assert_eq!(s.starts_between(a, b, 100), 4);
        assert_eq!(s.starts_between(a, b, 2), 2);
        assert_eq!(s.missed, Missed::RunOnce);
    }

    #[test]
    fn bad_schedules_name_the_field() {
        let cases = [
            ("every: 15\n", "schedule.every: `15` is not an interval"),
            ("every: 25h\n", "schedule.every: `25h` is not an interval"),
            ("every: 0m\n", "schedule.every"),
            ("at: \"25:00\"\n", "schedule.at: `25:00` is not a time"),
            ("every: 1h\nat: \"06:00\"\n", "give only one of"),
            ("days: [mon]\n", "say when"),
            (
                "every: 1h\ndays: [mon, funday]\n",
                "schedule.days: `funday`",
            ),
            (
                "every: 1h\nstart-time: \"18:00\"\nend-time: \"08:00\"\n",
                "schedule.end-time",
            ),
            (
                "at: \"06:00\"\nstart-time: \"08:00\"\n",
                "schedule.start-time",
            ),
            ("once: 2026-12-24\n", "schedule.once"),
            (
                "once: 2026-12-24T09:00\ndays: [mon]\n",
                "schedule.once: a single start",
            ),
            (
                "every: 1h\nstart-date: 2027-01-02\nend-date: 2027-01-01\n",
                "schedule.end-date",
            ),
            ("every: 1h\ntime-zone: Mars/Olympus\n", "schedule.time-zone"),
        ];
        for (yaml, expected) in cases {
            let errors = schedule(yaml).expect_err(yaml);
            assert!(
                errors.iter().any(|e| e.contains(expected)),
                "{yaml}: {errors:?}"
            );
        }
    }

    #[test]
    fn cloud_expressions() {
        let cloud = |yaml: &str| schedule(yaml).unwrap().cloud();
        assert_eq!(
            cloud("every: 30m\nstart-time: \"07:00\"\nend-time: \"20:00\"\ndays: [mon, tue, wed, thu, fri]\ntime-zone: Europe/London\n")
                .unwrap()
                .schedule_expression,
            "cron(0/30 7-19 ? * MON,TUE,WED,THU,FRI *)"
        );
        assert_eq!(
            cloud("every: 15m\ntime-zone: UTC\n")
                .unwrap()
                .schedule_expression,
            "cron(0/15 * * * ? *)"
        );
        assert_eq!(
            cloud("every: 2h\nstart-time: \"01:00\"\ntime-zone: UTC\n")
                .unwrap()
                .schedule_expression,
            "cron(0 1/2 * * ? *)"
        );
        let at = cloud("at: [\"06:30\", \"18:30\"]\ntime-zone: Europe/London\nstart-date: 2026-06-01\nend-date: 2026-06-30\n").unwrap();
        assert_eq!(at.schedule_expression, "cron(30 6,18 * * ? *)");
        // Midnight in London in June is 23:00 UTC the day before; the range ends after the 30th.
        assert_eq!(at.start_date.as_deref(), Some("2026-05-31T23:00:00Z"));
        assert_eq!(at.end_date.as_deref(), Some("2026-06-30T23:00:00Z"));
        assert_eq!(
            cloud("once: 2026-12-24T09:00\ntime-zone: UTC\n")
                .unwrap()
                .schedule_expression,
            "at(2026-12-24T09:00:00)"
        );
        assert!(
            cloud("every: 45m\ntime-zone: UTC\n")
                .unwrap_err()
                .contains("schedule.every")
        );
        assert!(
            cloud("at: [\"06:30\", \"18:00\"]\ntime-zone: UTC\n")
                .unwrap_err()
                .contains("schedule.at")
        );
        assert!(
            cloud("every: 15m\n")
                .unwrap_err()
                .contains("schedule.time-zone")
        );
    }
}
