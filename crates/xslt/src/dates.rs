//! Date parsing, arithmetic and .NET-style formatting for the Zynk
//! `urn:DateFunctions` extension (invariant culture).

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DateTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// Fraction of a second in 100 ns ticks (0..10_000_000).
    pub ticks: u32,
    /// Offset from UTC in minutes, if the input carried one.
    pub offset: Option<i32>,
}

pub(crate) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
pub(crate) const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

pub(crate) fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 => {
            if is_leap(y) {
                29
            } else {
                28
            }
        }
        _ => 0,
    }
}

/// Days since 1970-01-01 (proleptic Gregorian).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl DateTime {
    /// The UTC date and time `seconds` after the Unix epoch.
    pub fn from_unix(seconds: i64, nanos: u32) -> DateTime {
        let days = seconds.div_euclid(86_400);
        let secs = seconds.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        DateTime {
            year,
            month,
            day,
            hour: secs / 3600,
            minute: secs / 60 % 60,
            second: secs % 60,
            ticks: nanos.min(999_999_999) / 100,
            offset: None,
        }
    }

    fn valid(&self) -> bool {
        (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60
    }

    pub fn weekday(&self) -> usize {
        let d = days_from_civil(self.year, self.month, self.day);
        (((d % 7) + 11) % 7) as usize // 1970-01-01 was a Thursday
    }

    pub fn add_days(&self, n: f64) -> DateTime {
        let whole = n.trunc() as i64;
        let frac_ticks = ((n - n.trunc()) * 864_000_000_000.0).round() as i64;
        let mut t = self.total_ticks() + whole * 864_000_000_000 + frac_ticks;
        let mut days = t.div_euclid(864_000_000_000);
        t = t.rem_euclid(864_000_000_000);
        let (y, m, d) = civil_from_days(days);
        days = 0;
        let _ = days;
        let secs = t / 10_000_000;
        DateTime {
            year: y,
            month: m,
            day: d,
            hour: (secs / 3600) as u32,
            minute: ((secs / 60) % 60) as u32,
            second: (secs % 60) as u32,
            ticks: (t % 10_000_000) as u32,
            offset: self.offset,
        }
    }

    fn total_ticks(&self) -> i64 {
        let d = days_from_civil(self.year, self.month, self.day);
        d * 864_000_000_000
            + (self.hour as i64 * 3600 + self.minute as i64 * 60 + self.second as i64) * 10_000_000
            + self.ticks as i64
    }

    /// .NET AddMonths: clamps the day to the target month's length.
    pub fn add_months(&self, n: i64) -> DateTime {
        let total = self.year * 12 + (self.month as i64 - 1) + n;
        let y = total.div_euclid(12);
        let m = (total.rem_euclid(12) + 1) as u32;
        let d = self.day.min(days_in_month(y, m));
        DateTime {
            year: y,
            month: m,
            day: d,
            ..*self
        }
    }
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn month_from_name(s: &str) -> Option<u32> {
    let l = s.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| m.to_ascii_lowercase().starts_with(&l) && l.len() >= 3)
        .map(|i| i as u32 + 1)
}

fn parse_time(s: &str, dt: &mut DateTime) -> Option<()> {
    let s = s.trim();
    if s.is_empty() {
        return Some(());
    }
    // Timezone suffix
    let mut body = s;
    if let Some(b) = body.strip_suffix('Z') {
        dt.offset = Some(0);
        body = b;
    } else if let Some(i) = body.rfind(['+', '-'])
        && i > 0
    {
        let tz = &body[i..];
        let sign = if tz.starts_with('-') { -1 } else { 1 };
        let t = tz[1..].replace(':', "");
        if t.len() == 4 {
            let h = num(&t[..2])? as i32;
            let m = num(&t[2..])? as i32;
            dt.offset = Some(sign * (h * 60 + m));
            body = &body[..i];
        }
    }
    let body = body.trim();
    let (body, pm) = {
        let up = body.to_ascii_uppercase();
        if up.ends_with("PM") {
            (body[..body.len() - 2].trim(), Some(true))
        } else if up.ends_with("AM") {
            (body[..body.len() - 2].trim(), Some(false))
        } else {
            (body, None)
        }
    };
    let parts: Vec<&str> = body.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return None;
    }
    dt.hour = num(parts[0])?;
    dt.minute = num(parts[1])?;
    if let Some(sec) = parts.get(2) {
        let (w, f) = match sec.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (*sec, None),
        };
        dt.second = num(w)?;
        if let Some(f) = f {
            let mut digits: String = f.chars().take(7).collect();
            num(&digits)?;
            while digits.len() < 7 {
                digits.push('0');
            }
            dt.ticks = num(&digits)?;
        }
    }
    if let Some(p) = pm {
        if dt.hour == 12 {
            dt.hour = 0;
        }
        if p {
            dt.hour += 12;
        }
    }
    Some(())
}

/// Parses the date formats seen in shop exports: XSD date/dateTime, `yyyy-MM-dd HH:mm:ss`,
/// `dd/MM/yyyy [HH:mm[:ss]]` (UK), `yyyy/MM/dd` and RFC 1123 (`Fri, 09 Aug 2013 13:18:20 +0000`).
pub fn parse(s: &str) -> Option<DateTime> {
    let s = s.trim();
    let mut dt = DateTime {
        year: 1,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        ticks: 0,
        offset: None,
    };
    // RFC 1123 / "09 Aug 2013 ..."
    let rfc = s.split_once(", ").map(|(_, r)| r).unwrap_or(s);
    let toks: Vec<&str> = rfc.split_whitespace().collect();
    if toks.len() >= 3 && num(toks[0]).is_some() && month_from_name(toks[1]).is_some() {
        dt.day = num(toks[0])?;
        dt.month = month_from_name(toks[1])?;
        dt.year = num(toks[2])? as i64;
        if toks.len() >= 4 {
            let rest = toks[3..]
                .join(" ")
                .replace("GMT", "+0000")
                .replace("UTC", "+0000");
            parse_time(&rest, &mut dt)?;
        }
        return dt.valid().then_some(dt);
    }
    let (date, time) = match s.find(['T', ' ']) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    let (date, date_tz) = if time.is_empty() && date.len() > 10 && date.as_bytes()[4] == b'-' {
        (&date[..10], &date[10..])
    } else {
        (date, "")
    };
    if date.contains('-') {
        let p: Vec<&str> = date.split('-').collect();
        if p.len() != 3 {
            return None;
        }
        dt.year = num(p[0])? as i64;
        dt.month = num(p[1])?;
        dt.day = num(p[2])?;
    } else if date.contains('/') {
        let p: Vec<&str> = date.split('/').collect();
        if p.len() != 3 {
            return None;
        }
        if p[0].len() == 4 {
            dt.year = num(p[0])? as i64;
            dt.month = num(p[1])?;
            dt.day = num(p[2])?;
        } else {
            dt.day = num(p[0])?;
            dt.month = num(p[1])?;
            dt.year = num(p[2])? as i64;
            if p[2].len() == 2 {
                dt.year += 2000;
            }
        }
    } else {
        return None;
    }
    if !date_tz.is_empty() {
        parse_time(&format!("00:00{date_tz}"), &mut dt)?;
    }
    parse_time(time, &mut dt)?;
    dt.valid().then_some(dt)
}

fn pad(out: &mut String, v: i64, width: usize) {
    let s = v.abs().to_string();
    if v < 0 {
        out.push('-');
    }
    for _ in s.len()..width {
        out.push('0');
    }
    out.push_str(&s);
}

/// Formats with a .NET standard or custom format string (invariant culture).
pub fn format(dt: &DateTime, fmt: &str) -> String {
    let std = match fmt {
        "d" => Some("MM/dd/yyyy"),
        "D" => Some("dddd, dd MMMM yyyy"),
        "f" => Some("dddd, dd MMMM yyyy HH:mm"),
        "F" => Some("dddd, dd MMMM yyyy HH:mm:ss"),
        "g" => Some("MM/dd/yyyy HH:mm"),
        "G" => Some("MM/dd/yyyy HH:mm:ss"),
        "M" | "m" => Some("MMMM dd"),
        "o" | "O" => Some("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK"),
        "R" | "r" => Some("ddd, dd MMM yyyy HH':'mm':'ss 'GMT'"),
        "s" => Some("yyyy'-'MM'-'dd'T'HH':'mm':'ss"),
        "t" => Some("HH:mm"),
        "T" => Some("HH:mm:ss"),
        "u" => Some("yyyy'-'MM'-'dd HH':'mm':'ss'Z'"),
        "Y" | "y" => Some("yyyy MMMM"),
        _ => None,
    };
    let fmt = std.unwrap_or(fmt);
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mut run = 1;
        while i + run < chars.len() && chars[i + run] == c {
            run += 1;
        }
        match c {
            'y' => {
                match run {
                    1 => pad(&mut out, dt.year % 100, 1),
                    2 => pad(&mut out, dt.year % 100, 2),
                    n => pad(&mut out, dt.year, n),
                }
                i += run;
            }
            'M' => {
                match run {
                    1 => pad(&mut out, dt.month as i64, 1),
                    2 => pad(&mut out, dt.month as i64, 2),
                    3 => out.push_str(&MONTHS[(dt.month - 1) as usize][..3]),
                    _ => out.push_str(MONTHS[(dt.month - 1) as usize]),
                }
                i += run;
            }
            'd' => {
                match run {
                    1 => pad(&mut out, dt.day as i64, 1),
                    2 => pad(&mut out, dt.day as i64, 2),
                    3 => out.push_str(&DAYS[dt.weekday()][..3]),
                    _ => out.push_str(DAYS[dt.weekday()]),
                }
                i += run;
            }
            'H' => {
                pad(&mut out, dt.hour as i64, run.min(2));
                i += run;
            }
            'h' => {
                let h = if dt.hour.is_multiple_of(12) {
                    12
                } else {
                    dt.hour % 12
                };
                pad(&mut out, h as i64, run.min(2));
                i += run;
            }
            'm' => {
                pad(&mut out, dt.minute as i64, run.min(2));
                i += run;
            }
            's' => {
                pad(&mut out, dt.second as i64, run.min(2));
                i += run;
            }
            'f' | 'F' => {
                let n = run.min(7);
                let digits = format!("{:07}", dt.ticks);
                let mut d = digits[..n].to_string();
                if c == 'F' {
                    d = d.trim_end_matches('0').to_string();
                    if d.is_empty() && out.ends_with('.') {
                        out.pop();
                    }
                }
                out.push_str(&d);
                i += run;
            }
            't' => {
                let s = if dt.hour < 12 { "AM" } else { "PM" };
                out.push_str(if run == 1 { &s[..1] } else { s });
                i += run;
            }
            'z' => {
                let off = dt.offset.unwrap_or(0);
                let sign = if off < 0 { '-' } else { '+' };
                let (h, m) = (off.abs() / 60, off.abs() % 60);
                out.push(sign);
                match run {
                    1 => out.push_str(&h.to_string()),
                    2 => out.push_str(&format!("{h:02}")),
                    _ => out.push_str(&format!("{h:02}:{m:02}")),
                }
                i += run;
            }
            'K' => {
                if let Some(off) = dt.offset {
                    if off == 0 {
                        out.push('Z');
                    } else {
                        let sign = if off < 0 { '-' } else { '+' };
                        out.push_str(&format!(
                            "{sign}{:02}:{:02}",
                            off.abs() / 60,
                            off.abs() % 60
                        ));
                    }
                }
                i += 1;
            }
            '\'' | '"' => {
                let mut j = i + 1;
                while j < chars.len() && chars[j] != c {
                    out.push(chars[j]);
                    j += 1;
                }
                i = j + 1;
            }
            '\\' => {
                if let Some(&n) = chars.get(i + 1) {
                    out.push(n);
                }
                i += 2;
            }
            '%' => {
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    out
}

/// XSD dateTime form used when no format is given.
pub fn xsd(dt: &DateTime) -> String {
    format(dt, "yyyy-MM-ddTHH:mm:ss")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn from_unix_is_utc() {
        let d = DateTime::from_unix(1_368_203_241, 500_000_000);
        assert_eq!(
            format(&d, "yyyy-MM-dd_HH-mm-ss.fff"),
            "2013-05-10_16-27-21.500"
        );
        assert_eq!(xsd(&DateTime::from_unix(-1, 0)), "1969-12-31T23:59:59");
    }

    #[test]
    fn parse_and_format() {
        let d = parse("2013-04-29 13:11:04").unwrap();
        assert_eq!(xsd(&d), "2013-04-29T13:11:04");
        assert_eq!(format(&d, "dd/MM/yyyy"), "29/04/2013");
        assert_eq!(
            format(&d, "dddd d MMMM yy h:mm tt"),
            "Monday 29 April 13 1:11 PM"
        );
        let r = parse("Fri, 09 Aug 2013 13:18:20 +0000").unwrap();
        assert_eq!(xsd(&r), "2013-08-09T13:18:20");
        let uk = parse("31/12/2012 23:59:59").unwrap();
        assert_eq!(xsd(&uk.add_days(1.0)), "2013-01-01T23:59:59");
        assert_eq!(
            xsd(&parse("2012-01-31").unwrap().add_months(1)),
            "2012-02-29T00:00:00"
        );
        assert!(parse("not a date").is_none());
        assert_eq!(
            xsd(&parse("2011-01-01T11:11:11.5Z").unwrap()),
            "2011-01-01T11:11:11"
        );
    }
}
