//! Field encodings used by [`zynk_record!`](crate::record): one module per kind, each with a
//! `read` and a `write` function so the macro can dispatch on the kind's name.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

/// A single-valued field type (text, number, boolean, date, enumeration).
pub trait Scalar: Sized {
    /// Strings are left out when absent; value types are written `xsi:nil="true"` (XmlSerializer).
    const OMIT_WHEN_ABSENT: bool;
    /// Read an empty element as absent instead of failing (dates only, see [`value`]).
    const EMPTY_IS_ABSENT: bool = false;
    fn parse_text(text: &str) -> Result<Self, String>;
    fn format_text(&self) -> Cow<'_, str>;
}

/// The docs' rule: an empty numeric (or boolean, date…) element is an error, not a zero.
pub fn empty_value_problem(expected: &str) -> String {
    format!(
        "is empty, but {expected} is required there (leave the element out or write xsi:nil=\"true\")"
    )
}

impl Scalar for String {
    const OMIT_WHEN_ABSENT: bool = true;

    fn parse_text(text: &str) -> Result<Self, String> {
        Ok(text.to_owned())
    }

    fn format_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl Scalar for f64 {
    const OMIT_WHEN_ABSENT: bool = false;

    fn parse_text(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(empty_value_problem("a number"));
        }
        // Invariant culture only: digits, one point, optional sign and exponent. Rust would also
        // accept "inf" and "NaN", which no ledger amount can be.
        let plausible = trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
        match trimmed.parse::<f64>() {
            Ok(value) if plausible && value.is_finite() => Ok(value),
            _ if trimmed.contains(',') => Err(format!(
                "holds '{trimmed}', which is not a number (use a point for decimals and no thousands separators)"
            )),
            _ => Err(format!("holds '{trimmed}', which is not a number")),
        }
    }

    fn format_text(&self) -> Cow<'_, str> {
        // Rust's shortest round-trip form never uses an exponent, like .NET's "R" for these ranges.
        Cow::Owned(self.to_string())
    }
}

impl Scalar for i32 {
    const OMIT_WHEN_ABSENT: bool = false;

    fn parse_text(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(empty_value_problem("a whole number"));
        }
        trimmed
            .parse::<i32>()
            .map_err(|_| format!("holds '{trimmed}', which is not a whole number"))
    }

    fn format_text(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_string())
    }
}

impl Scalar for bool {
    const OMIT_WHEN_ABSENT: bool = false;

    fn parse_text(text: &str) -> Result<Self, String> {
        match text.trim() {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            "" => Err(empty_value_problem("true or false")),
            other => Err(format!(
                "holds '{other}', which is not true or false (nor 1 or 0)"
            )),
        }
    }

    fn format_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(if *self { "true" } else { "false" })
    }
}

/// An `xs:dateTime` kept exactly as written (fraction digits and offset survive the round trip).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct XmlDateTime {
    text: String,
    local: NaiveDateTime,
    offset: Option<FixedOffset>,
}

impl XmlDateTime {
    /// A date-time without offset, written like the Zynk samples (`2014-01-01T00:00:00`).
    pub fn from_naive(value: NaiveDateTime) -> Self {
        let text = if value.and_utc().timestamp_subsec_nanos() == 0 {
            value.format("%Y-%m-%dT%H:%M:%S").to_string()
        } else {
            value.format("%Y-%m-%dT%H:%M:%S%.f").to_string()
        };
        XmlDateTime {
            text,
            local: value,
            offset: None,
        }
    }

    /// A date-time with offset, as fail-file `Error/Date` values are written.
    pub fn from_offset(value: DateTime<FixedOffset>) -> Self {
        // .NET writes seven fraction digits (100 ns ticks); chrono has no 7-digit specifier.
        let ticks = value.timestamp_subsec_nanos() / 100;
        let text = format!(
            "{}.{ticks:07}{}",
            value.format("%Y-%m-%dT%H:%M:%S"),
            value.format("%:z")
        );
        XmlDateTime {
            text,
            local: value.naive_local(),
            offset: Some(*value.offset()),
        }
    }

    /// Wall-clock date and time as written (offset not applied).
    pub fn naive_local(&self) -> NaiveDateTime {
        self.local
    }

    pub fn offset(&self) -> Option<FixedOffset> {
        self.offset
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for XmlDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for XmlDateTime {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(empty_value_problem("a date and time"));
        }
        let with_z = trimmed.strip_suffix('Z').map(|t| format!("{t}+00:00"));
        let offset_form = with_z.as_deref().unwrap_or(trimmed);
        if let Ok(value) = DateTime::parse_from_rfc3339(offset_form) {
            return Ok(XmlDateTime {
                text: trimmed.to_owned(),
                local: value.naive_local(),
                offset: Some(*value.offset()),
            });
        }
        if let Ok(local) = NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%dT%H:%M:%S%.f") {
            return Ok(XmlDateTime {
                text: trimmed.to_owned(),
                local,
                offset: None,
            });
        }
        // Some feeds send a bare date; xs:dateTime does not allow it but the meaning is clear.
        if let Ok(date) = NaiveDate::parse_from_str(trimmed, "%Y-%m-%d") {
            return Ok(XmlDateTime {
                text: trimmed.to_owned(),
                local: date.and_hms_opt(0, 0, 0).expect("midnight exists"),
                offset: None,
            });
        }
        Err(format!(
            "holds '{trimmed}', which is not a date and time (expected e.g. 2014-01-01T00:00:00)"
        ))
    }
}

impl TryFrom<String> for XmlDateTime {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        text.parse()
    }
}

impl From<XmlDateTime> for String {
    fn from(value: XmlDateTime) -> String {
        value.text
    }
}

impl Scalar for XmlDateTime {
    const OMIT_WHEN_ABSENT: bool = false;
    const EMPTY_IS_ABSENT: bool = true;

    fn parse_text(text: &str) -> Result<Self, String> {
        text.parse()
    }

    fn format_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.text)
    }
}

/// `Option<T>` of a [`Scalar`]: `xsi:nil` or absence is `None`.
///
/// An empty element is an error for numbers, booleans and enumerations (the docs' rule, docs/zynk-reference.md §3.1),
/// but absence for dates: the product's own exports write `<Birthdate />` and `<DateModified />`,
/// and the rule is stated for numeric elements only.
pub mod value {
    use super::Scalar;
    use crate::record::FieldError;
    use crate::tree::{Element, XmlWriter};

    pub fn read<T: Scalar>(element: &Element, _child: &str) -> Result<Option<T>, Vec<FieldError>> {
        if element.is_nil() {
            return Ok(None);
        }
        if element.has_child_elements() {
            return Err(vec![FieldError::new(
                "",
                "contains child elements where a single value is expected",
            )]);
        }
        let text = element.text();
        if T::EMPTY_IS_ABSENT && text.trim().is_empty() {
            return Ok(None);
        }
        T::parse_text(&text)
            .map(Some)
            .map_err(|problem| vec![FieldError::new("", problem)])
    }

    pub fn write<T: Scalar>(value: &Option<T>, name: &str, _child: &str, writer: &mut XmlWriter) {
        match value {
            Some(value) => writer.text_element(name, &value.format_text()),
            None if T::OMIT_WHEN_ABSENT => {}
            None => writer.nil(name),
        }
    }
}

/// `Option<R>` of a nested [`Record`](crate::record::Record) such as a `Contact`; left out when absent.
pub mod nested {
    use crate::record::{FieldError, Record};
    use crate::tree::{Element, XmlWriter};

    pub fn read<R: Record>(element: &Element, _child: &str) -> Result<Option<R>, Vec<FieldError>> {
        if element.is_nil() {
            return Ok(None);
        }
        R::from_element(element).map(Some)
    }

    pub fn write<R: Record>(value: &Option<R>, name: &str, _child: &str, writer: &mut XmlWriter) {
        if let Some(record) = value {
            record.write(name, writer);
        }
    }
}

/// A wrapper element holding `child` records (`SalesOrderItems/Item`); always written, `<X />` when empty.
pub mod list {
    use crate::record::{FieldError, Record};
    use crate::tree::{Element, XmlWriter};

    pub fn read<R: Record>(element: &Element, child: &str) -> Result<Vec<R>, Vec<FieldError>> {
        let items = || element.child_elements().filter(|item| item.name == child);
        // Exactly the room the records need: a record's lists live as long as the record.
        let mut records = Vec::with_capacity(items().count());
        let mut problems = Vec::new();
        let items = items();
        for (index, item) in items.enumerate() {
            match R::from_element(item) {
                Ok(record) => records.push(record),
                Err(errors) => {
                    let segment = format!("{child}[{}]", index + 1);
                    problems.extend(errors.into_iter().map(|e| e.under(&segment)));
                }
            }
        }
        if problems.is_empty() {
            Ok(records)
        } else {
            Err(problems)
        }
    }

    pub fn write<R: Record>(records: &[R], name: &str, child: &str, writer: &mut XmlWriter) {
        if records.is_empty() {
            writer.empty(name);
            return;
        }
        writer.start(name, &[]);
        for record in records {
            record.write(child, writer);
        }
        writer.end(name);
    }
}

/// Like [`list`], but written only when non-empty: the `Errors` collection of fail-file records.
pub mod errors {
    use crate::record::{FieldError, Record};
    use crate::tree::{Element, XmlWriter};

    pub fn read<R: Record>(element: &Element, child: &str) -> Result<Vec<R>, Vec<FieldError>> {
        super::list::read(element, child)
    }

    pub fn write<R: Record>(records: &[R], name: &str, child: &str, writer: &mut XmlWriter) {
        if !records.is_empty() {
            super::list::write(records, name, child, writer);
        }
    }
}

/// A collection this model does not type (`Contacts`, `AnalysisCodes`…), kept verbatim; `<X />` when absent.
pub mod raw {
    use crate::record::FieldError;
    use crate::tree::{Element, XmlWriter};

    pub fn read(element: &Element, _child: &str) -> Result<Option<Element>, Vec<FieldError>> {
        // `<X />` is how absence is written, so it reads back as absence.
        let is_bare = element.attributes.is_empty() && element.text().trim().is_empty();
        if is_bare && !element.has_child_elements() {
            return Ok(None);
        }
        Ok(Some(element.clone()))
    }

    pub fn write(value: &Option<Element>, name: &str, _child: &str, writer: &mut XmlWriter) {
        match value {
            Some(element) => writer.element(element),
            None => writer.empty(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_use_the_invariant_culture() {
        assert_eq!(f64::parse_text(" 4.24 "), Ok(4.24));
        assert_eq!(f64::parse_text("-0"), Ok(-0.0));
        assert!(f64::parse_text("1,5").unwrap_err().contains("point"));
        assert!(f64::parse_text("NaN").is_err());
        assert!(f64::parse_text("").unwrap_err().contains("is empty"));
        assert_eq!(200.0_f64.format_text(), "200");
        assert_eq!(234.88_f64.format_text(), "234.88");
    }

    #[test]
    fn booleans_accept_xs_boolean_forms() {
        assert_eq!(bool::parse_text("1"), Ok(true));
        assert_eq!(bool::parse_text("false"), Ok(false));
        assert!(bool::parse_text("yes").is_err());
    }

    #[test]
    fn offset_date_times_are_written_like_dotnet() {
        let moment = DateTime::parse_from_rfc3339("2013-06-06T09:16:14.5673107+01:00").unwrap();
        assert_eq!(
            XmlDateTime::from_offset(moment).as_str(),
            "2013-06-06T09:16:14.5673107+01:00"
        );
    }

    #[test]
    fn date_times_keep_their_text() {
        let with_offset: XmlDateTime = "2013-06-06T09:16:14.5673107+01:00".parse().unwrap();
        assert_eq!(with_offset.as_str(), "2013-06-06T09:16:14.5673107+01:00");
        assert!(with_offset.offset().is_some());
        let plain: XmlDateTime = "2011-01-01T11:11:11".parse().unwrap();
        assert_eq!(plain.naive_local().to_string(), "2011-01-01 11:11:11");
        assert!("01/02/2011".parse::<XmlDateTime>().is_err());
    }
}
