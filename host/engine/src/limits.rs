//! Per-task resource limits: wall-clock deadline, linear-memory cap, bytes written.

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::time::Duration;

/// The bounds a task runs under. Every field has a default so a workflow need not say anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Wall-clock time a single call into the component may take.
    pub timeout: Duration,
    /// Largest linear memory a component instance may grow to, in bytes.
    pub memory: u64,
    /// Bytes the task may write to files in its working directory, in total.
    pub write: u64,
}

pub const KIB: u64 = 1024;
pub const MIB: u64 = 1024 * KIB;
pub const GIB: u64 = 1024 * MIB;
pub const TIB: u64 = 1024 * GIB;

/// Longest timeout a workflow may set: a week. Longer is a typo, and a far larger number would
/// overflow the deadline arithmetic.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 3600);
/// Largest memory limit: a wasm32 component cannot address more than 4 GiB.
pub const MAX_MEMORY: u64 = 4 * GIB;
/// Largest write limit.
pub const MAX_WRITE: u64 = TIB;
/// Longest workflow file `wharf` reads (docs/limits.md).
pub const MAX_WORKFLOW_BYTES: u64 = 4 * MIB;
/// Longest value of one setting or variable, as written and as rendered.
pub const MAX_SETTING_BYTES: usize = MIB as usize;
/// Longest message a task may return for the run report; the rest is cut with a note.
pub const MAX_MESSAGE_BYTES: usize = 4 * KIB as usize;
/// Longest value of one task output (outputs feed later settings).
pub const MAX_OUTPUT_BYTES: usize = 64 * KIB as usize;
/// Most bytes of outputs (names and values) one task may return; the rest are dropped.
pub const MAX_OUTPUTS_BYTES: usize = 256 * KIB as usize;

/// Reads a UTF-8 text file of at most `max` bytes. A larger file is refused after reading one
/// byte past `max`, never read whole (`ErrorKind::FileTooLarge`); other text is `InvalidData`.
pub fn read_text_at_most(path: &std::path::Path, max: u64) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(max.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(Error::new(
            ErrorKind::FileTooLarge,
            format!("the file is larger than the maximum of {}", human_size(max)),
        ));
    }
    String::from_utf8(bytes)
        .map_err(|e| Error::new(ErrorKind::InvalidData, format!("not UTF-8 text: {e}")))
}

/// Cuts `text` to at most `max` bytes on a character boundary, marking the cut so a reader
/// knows the text is incomplete.
pub fn truncate_marked(text: &mut String, max: usize) {
    const MARK: &str = " […]";
    if text.len() <= max {
        return;
    }
    let mut cut = max.saturating_sub(MARK.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    text.push_str(MARK);
}

/// A short, single-line excerpt of a value for an error message: bad input may be megabytes
/// long, and the message ends up in run records.
pub fn excerpt(value: &str) -> String {
    const MAX: usize = 80;
    let mut out: String = value.chars().take(MAX + 1).collect();
    out = out.replace(['\n', '\r'], " ");
    if out.chars().count() > MAX {
        out = out.chars().take(MAX).collect();
        out.push('…');
    }
    out
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(300),
            memory: 512 * MIB,
            write: 4 * GIB,
        }
    }
}

/// Limits as written in a workflow: any field may be left out and is then inherited.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LimitOverrides {
    #[serde(default, deserialize_with = "de_duration")]
    pub timeout: Option<Duration>,
    #[serde(default, deserialize_with = "de_memory")]
    pub memory: Option<u64>,
    #[serde(default, deserialize_with = "de_write")]
    pub write: Option<u64>,
}

impl Limits {
    /// These limits with the given overrides applied on top.
    pub fn with(self, o: &LimitOverrides) -> Limits {
        Limits {
            timeout: o.timeout.unwrap_or(self.timeout),
            memory: o.memory.unwrap_or(self.memory),
            write: o.write.unwrap_or(self.write),
        }
    }
}

/// Parses `250ms`, `30s`, `5m`, `1h`; a bare number means seconds. At most [`MAX_TIMEOUT`].
pub fn parse_duration(input: &str) -> Result<Duration, String> {
    let shown = excerpt(input);
    let text = shown.as_str();
    let t = input.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (try `30s`, `500ms`, `5m`)"))?;
    let secs = match unit.trim() {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        other => {
            return Err(format!(
                "unknown duration unit `{}` in `{text}` (use ms, s, m or h)",
                excerpt(other)
            ));
        }
    };
    if !(secs.is_finite() && secs > 0.0) {
        return Err(format!("duration `{text}` must be greater than zero"));
    }
    if secs > MAX_TIMEOUT.as_secs_f64() {
        return Err(format!(
            "duration `{text}` is longer than the maximum of 7 days ({}h)",
            MAX_TIMEOUT.as_secs() / 3600
        ));
    }
    Duration::try_from_secs_f64(secs).map_err(|_| format!("`{text}` is not a duration"))
}

/// Parses `512MiB`, `2GiB`, `64KiB`, `1TiB`, `100MB`, or a plain byte count.
pub fn parse_size(input: &str) -> Result<u64, String> {
    let shown = excerpt(input);
    let text = shown.as_str();
    let t = input.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a size (try `512MiB` or `2GiB`)"))?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => KIB,
        "m" | "mb" | "mib" => MIB,
        "g" | "gb" | "gib" => GIB,
        "t" | "tb" | "tib" => TIB,
        other => {
            return Err(format!(
                "unknown size unit `{}` in `{text}` (use KiB, MiB, GiB or TiB)",
                excerpt(other)
            ));
        }
    };
    let bytes = value * factor as f64;
    if !(bytes.is_finite() && bytes >= 1.0) {
        return Err(format!("size `{text}` must be at least one byte"));
    }
    // Above 2^64 the cast would saturate silently; the callers' maxima are far below that.
    if bytes >= u64::MAX as f64 {
        return Err(format!("size `{text}` is too large"));
    }
    Ok(bytes as u64)
}

/// A size within `1 ..= max`, for the limit named `what`.
fn parse_size_at_most(text: &str, what: &str, max: u64) -> Result<u64, String> {
    let bytes = parse_size(text)?;
    if bytes > max {
        return Err(format!(
            "{what} limit `{}` is more than the maximum of {}",
            excerpt(text),
            human_size(max)
        ));
    }
    Ok(bytes)
}

/// Formats a byte count the way people read it (`512 MiB`).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")];
    for (factor, unit) in UNITS {
        if bytes >= factor {
            let v = bytes as f64 / factor as f64;
            return if v.fract() == 0.0 {
                format!("{v:.0} {unit}")
            } else {
                format!("{v:.1} {unit}")
            };
        }
    }
    format!("{bytes} bytes")
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText {
    Number(u64),
    Float(f64),
    Text(String),
}

impl fmt::Display for NumberOrText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NumberOrText::Number(n) => write!(f, "{n}"),
            NumberOrText::Float(n) => write!(f, "{n}"),
            NumberOrText::Text(t) => f.write_str(t),
        }
    }
}

fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let v = NumberOrText::deserialize(d)?;
    parse_duration(&v.to_string())
        .map(Some)
        .map_err(serde::de::Error::custom)
}

fn de_memory<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let v = NumberOrText::deserialize(d)?;
    parse_size_at_most(&v.to_string(), "memory", MAX_MEMORY)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

fn de_write<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let v = NumberOrText::deserialize(d)?;
    parse_size_at_most(&v.to_string(), "write", MAX_WRITE)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("7").unwrap(), Duration::from_secs(7));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("3 weeks").unwrap_err().contains("unit"));
        assert_eq!(parse_duration("168h").unwrap(), MAX_TIMEOUT);
        for huge in [
            "99999999999999999999999h",
            "169h",
            "1e308",
            &"9".repeat(400),
        ] {
            let e = parse_duration(huge).unwrap_err();
            assert!(e.len() < 200, "short message: {e}");
        }
        assert!(
            parse_duration("99999999999999999999999h")
                .unwrap_err()
                .contains("maximum of 7 days")
        );
    }

    #[test]
    fn limits_have_maxima() {
        let parse = |t: &str| serde_saphyr::from_str::<LimitOverrides>(t);
        assert_eq!(parse("memory: 4GiB").unwrap().memory, Some(MAX_MEMORY));
        let e = parse("memory: 5GiB").unwrap_err().to_string();
        assert!(
            e.contains("memory limit `5GiB` is more than the maximum of 4 GiB"),
            "{e}"
        );
        let e = parse("write: 99999999999999999999999TiB")
            .unwrap_err()
            .to_string();
        assert!(e.contains("too large") || e.contains("maximum"), "{e}");
        let e = parse("timeout: 99999999999999999999999h")
            .unwrap_err()
            .to_string();
        assert!(e.contains("maximum of 7 days"), "{e}");
        assert!(parse("timeout: 1.5").is_ok());
    }

    proptest::proptest! {
        /// Any text gives a bounded duration or size, or a short error; never a panic.
        #[test]
        fn parsing_any_text_is_bounded(text in "\\PC{0,40}|[0-9.eE+-]{1,400}[a-zA-Z]{0,4}") {
            match parse_duration(&text) {
                Ok(d) => proptest::prop_assert!(d > Duration::ZERO && d <= MAX_TIMEOUT),
                Err(e) => proptest::prop_assert!(e.len() < 1000, "{e}"),
            }
            match parse_size(&text) {
                Ok(n) => proptest::prop_assert!(n >= 1),
                Err(e) => proptest::prop_assert!(e.len() < 1000, "{e}"),
            }
            let t = String::from("timeout: \"") + &text.replace(['"', '\\'], "") + "\"";
            let _ = serde_saphyr::from_str::<LimitOverrides>(&t);
        }
    }

    #[test]
    fn truncation_is_marked_and_keeps_characters_whole() {
        let mut s = "é".repeat(100);
        truncate_marked(&mut s, 51);
        assert!(s.len() <= 51 && s.ends_with(" […]"), "{s}");
        let mut short = "abc".to_string();
        truncate_marked(&mut short, 10);
        assert_eq!(short, "abc");
        assert_eq!(excerpt(&"x".repeat(1000)).chars().count(), 81);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512MiB").unwrap(), 512 * MIB);
        assert_eq!(parse_size("2GiB").unwrap(), 2 * GIB);
        assert_eq!(parse_size("100").unwrap(), 100);
        assert!(parse_size("lots").is_err());
        assert_eq!(human_size(512 * MIB), "512 MiB");
        assert_eq!(human_size(1536 * MIB), "1.5 GiB");
        assert_eq!(human_size(12), "12 bytes");
    }
}
