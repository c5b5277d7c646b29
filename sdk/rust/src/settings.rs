//! The settings the host passes to `run`, `items` and `evaluate`: declared once as a struct
//! deriving [`TaskSettings`], read by name with [`Settings`] where a task needs to.

use std::path::PathBuf;

use crate::{Failure, ResultCode, SettingKind, SettingSpec, TaskResult};

/// A setting that is missing or does not hold what the task needs.
///
/// Displays as ``setting `record-limit`: expected a whole number, got `abc` ``, so the run
/// report says which setting is wrong and why. Converts into a [`Failure`] or a
/// [`TaskResult`] with code `fail`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("setting `{name}`: {problem}")]
pub struct SettingError {
    /// The setting's name as written in workflows (`record-limit`).
    pub name: String,
    /// What is wrong with it.
    pub problem: String,
}

impl SettingError {
    /// A problem with the setting `name`; use it for checks the getters can't do
    /// (`must be at least 1, got 0`).
    pub fn new(name: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            problem: problem.into(),
        }
    }
}

impl From<SettingError> for Failure {
    fn from(error: SettingError) -> Self {
        Failure::new(ResultCode::Fail, error.to_string())
    }
}

impl From<SettingError> for TaskResult {
    fn from(error: SettingError) -> Self {
        TaskResult::fail(error.to_string())
    }
}

/// The settings of one call, name → value, with typed getters.
///
/// The host has already rendered templates, filled in declared defaults and checked the
/// values against the task's [`SettingSpec`]s; the getters still parse defensively, because a
/// component must never act on a value it does not understand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    values: Vec<(String, String)>,
}

impl Settings {
    /// Wraps the list the host passed in.
    pub fn new(values: Vec<(String, String)>) -> Self {
        Self { values }
    }

    /// Settings from name/value pairs (tests, and hosts that build them in code).
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> Self {
        Self::new(
            pairs
                .iter()
                .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
                .collect(),
        )
    }

    /// Adds the `default-value` of every spec whose setting is absent, so a component behaves
    /// the same under a host that leaves defaults to it.
    pub fn with_defaults(mut self, specs: &[SettingSpec]) -> Self {
        for spec in specs {
            if let Some(default) = &spec.default_value
                && self.get(&spec.name).is_none()
            {
                self.values.push((spec.name.clone(), default.clone()));
            }
        }
        self
    }

    /// The raw value, if the setting was given. The first occurrence wins.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// A required text value, as given (it may be empty).
    pub fn text(&self, name: &str) -> Result<&str, SettingError> {
        self.get(name)
            .ok_or_else(|| SettingError::new(name, "required but not given"))
    }

    /// An optional text value; absent and empty are both `None`.
    pub fn optional_text(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|value| !value.is_empty())
    }

    /// A `file` or `folder` value: an absolute path inside the working directory, which the
    /// component sees as `/`.
    pub fn path(&self, name: &str) -> Result<PathBuf, SettingError> {
        let value = self.text(name)?;
        if value.is_empty() {
            return Err(SettingError::new(name, "required but empty"));
        }
        if !value.starts_with('/') {
            return Err(SettingError::new(
                name,
                format!("expected an absolute path inside the working directory, got `{value}`"),
            ));
        }
        Ok(PathBuf::from(value))
    }

    /// A whole number (surrounding spaces are ignored).
    pub fn integer(&self, name: &str) -> Result<i64, SettingError> {
        let value = self.text(name)?;
        value
            .trim()
            .parse()
            .map_err(|_| SettingError::new(name, format!("expected a whole number, got `{value}`")))
    }

    /// `true` or `false`, in any letter case (workflow files written on Windows say `True`).
    pub fn boolean(&self, name: &str) -> Result<bool, SettingError> {
        let value = self.text(name)?;
        match value.trim() {
            v if v.eq_ignore_ascii_case("true") => Ok(true),
            v if v.eq_ignore_ascii_case("false") => Ok(false),
            _ => Err(SettingError::new(
                name,
                format!("expected `true` or `false`, got `{value}`"),
            )),
        }
    }

    /// One of `allowed`, returned as spelled in `allowed`. An exact match is preferred; letter
    /// case is otherwise ignored, as Zynk's enum parsing does.
    pub fn choice<'a>(&self, name: &str, allowed: &[&'a str]) -> Result<&'a str, SettingError> {
        let value = self.text(name)?;
        let wanted = value.trim();
        allowed
            .iter()
            .find(|option| **option == wanted)
            .or_else(|| allowed.iter().find(|o| o.eq_ignore_ascii_case(wanted)))
            .copied()
            .ok_or_else(|| {
                let options = allowed
                    .iter()
                    .map(|o| format!("`{o}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                SettingError::new(name, format!("expected one of {options}, got `{value}`"))
            })
    }
}

impl From<Vec<(String, String)>> for Settings {
    fn from(values: Vec<(String, String)>) -> Self {
        Self::new(values)
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Settings {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self::new(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

/// A task's settings as a struct: `describe` lists its [`specs`](TaskSettings::specs), `run`
/// starts with [`parse`](TaskSettings::parse). Derive it with `#[derive(TaskSettings)]`:
///
/// ```
/// use std::path::PathBuf;
/// use wharf_guest::{SettingChoice, TaskSettings};
///
/// #[derive(Debug, Clone, Copy, PartialEq, Eq, SettingChoice)]
/// enum NameFormat {
///     Number,
///     Timestamp,
/// }
///
/// #[derive(Debug, TaskSettings)]
/// struct SplitSettings {
///     /// The XML file to split.
///     input_file: PathBuf,
///     /// Most records per output file.
///     #[setting(default = 200, range = 1..)]
///     record_limit: usize,
///     /// Where the files go.
///     #[setting(kind = folder)]
///     output_folder: PathBuf,
///     /// How the output files are named.
///     #[setting(rename = "output-files-format", default = "Number")]
///     format: NameFormat,
///     /// Stylesheet parameters; empty for none.
///     parameters: Option<String>,
/// }
///
/// let specs = SplitSettings::specs();
/// assert_eq!(specs[1].name, "record-limit");
/// assert_eq!(specs[1].minimum, Some(1));
/// let parsed = SplitSettings::from_pairs(&[
///     ("input-file", "/in.xml"),
///     ("output-folder", "/out"),
///     ("output-files-format", "timestamp"),
/// ])
/// .unwrap();
/// assert_eq!((parsed.record_limit, parsed.format), (200, NameFormat::Timestamp));
/// let error = SplitSettings::from_pairs(&[("input-file", "/in.xml"), ("output-folder", "/o"),
///     ("record-limit", "0")]).unwrap_err();
/// assert_eq!(error.to_string(), "setting `record-limit`: must be at least 1, got 0");
/// ```
///
/// Each field is one setting, named as the field in kebab-case (`record_limit` →
/// `record-limit`); its doc comment is the setting's documentation (required); its type says
/// the kind and how the value is read ([`SettingValue`]): `String` text, `PathBuf` a file,
/// `bool`, the integer types, an enum deriving [`SettingChoice`], `Vec<T>` a comma-separated
/// list, `Option<T>` a setting that may be left out or empty. A setting without a default whose
/// type is not an `Option` is required. Field attributes, `#[setting(...)]`:
///
/// * `rename = "name"` — the setting's name when it is not the field's;
/// * `default = 200` (a string, whole number or bool) — used when the workflow leaves it out;
/// * `range = 1..=8`, `1..`, `..=8` — the integers accepted (checked by the host before the
///   run, and here again);
/// * `kind = folder` (`text`, `file`, `folder`, `integer`, `boolean`, `choice`, `date_time`) —
///   another kind than the type's;
/// * `non_empty` — a given value may not be empty or blank (always so for a required
///   file or folder);
/// * `flatten` — the field is itself a struct deriving `TaskSettings`, whose settings follow
///   here (settings several tasks share);
/// * `doc = EXPR` — the documentation as a `&'static str` expression instead of the doc
///   comment (a shared group whose wording depends on a type parameter);
/// * `skip` — not a setting: the field starts as its type's `Default` (a `PhantomData`).
pub trait TaskSettings: Sized {
    /// The settings' specs, in the order of the fields.
    fn specs() -> Vec<SettingSpec>;

    /// Reads every setting, filling in declared defaults. The error names the setting and
    /// the cause; the host's record of the task names the task.
    fn parse(settings: &Settings) -> Result<Self, SettingError>;

    /// [`parse`](TaskSettings::parse) of name/value pairs (unit tests).
    fn from_pairs<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> Result<Self, SettingError> {
        Self::parse(&Settings::from_pairs(pairs))
    }
}

/// The settings of a task that has none.
impl TaskSettings for () {
    fn specs() -> Vec<SettingSpec> {
        Vec::new()
    }

    fn parse(_: &Settings) -> Result<Self, SettingError> {
        Ok(())
    }
}

/// A type a setting's text is read into: its kind, its accepted values and its parser.
/// Implement it for a type of your own to use it as a field of a [`TaskSettings`] struct.
pub trait SettingValue: Sized {
    /// The kind `describe` declares.
    const KIND: SettingKind;

    /// Whether the setting may be left out (and empty means left out): `Option`'s.
    const OPTIONAL: bool = false;

    /// For a choice: the accepted values, as spelled in workflows.
    fn allowed_values() -> Vec<String> {
        Vec::new()
    }

    /// Reads a given value; the error is the cause only (`expected a whole number, got
    /// `x``), the caller adds the setting's name.
    fn parse_value(value: &str) -> Result<Self, String>;

    /// The value of a setting left out (or empty) when [`OPTIONAL`](SettingValue::OPTIONAL).
    fn absent() -> Option<Self> {
        None
    }
}

/// An enum whose unit variants are a `choice` setting's values; derive it with
/// `#[derive(SettingChoice)]` (the enum must also be `Clone + Copy`). A variant is spelled as
/// its name unless it says `#[choice(rename = "UTF8")]`. Reading accepts the exact spelling,
/// and otherwise ignores letter case, as Zynk does.
pub trait SettingChoice: Copy + 'static {
    /// The values' spellings, in variant order.
    const SPELLINGS: &'static [&'static str];

    /// The variant at `index` of [`SPELLINGS`](SettingChoice::SPELLINGS).
    fn from_index(index: usize) -> Option<Self>;
}

/// Reads a choice (used by `#[derive(SettingChoice)]`).
#[doc(hidden)]
pub fn parse_choice<T: SettingChoice>(value: &str) -> Result<T, String> {
    let wanted = value.trim();
    let spellings = T::SPELLINGS;
    spellings
        .iter()
        .position(|spelling| *spelling == wanted)
        .or_else(|| {
            spellings
                .iter()
                .position(|s| s.eq_ignore_ascii_case(wanted))
        })
        .and_then(T::from_index)
        .ok_or_else(|| {
            let options = spellings
                .iter()
                .map(|o| format!("`{o}`"))
                .collect::<Vec<_>>()
                .join(", ");
            format!("expected one of {options}, got `{value}`")
        })
}

impl SettingValue for String {
    const KIND: SettingKind = SettingKind::Text;

    fn parse_value(value: &str) -> Result<Self, String> {
        Ok(value.to_owned())
    }
}

impl SettingValue for PathBuf {
    const KIND: SettingKind = SettingKind::File;

    fn parse_value(value: &str) -> Result<Self, String> {
        if value.is_empty() {
            return Err("required but empty".to_owned());
        }
        if !value.starts_with('/') {
            return Err(format!(
                "expected an absolute path inside the working directory, got `{value}`"
            ));
        }
        Ok(PathBuf::from(value))
    }
}

impl SettingValue for bool {
    const KIND: SettingKind = SettingKind::Boolean;

    fn parse_value(value: &str) -> Result<Self, String> {
        match value.trim() {
            v if v.eq_ignore_ascii_case("true") => Ok(true),
            v if v.eq_ignore_ascii_case("false") => Ok(false),
            _ => Err(format!("expected `true` or `false`, got `{value}`")),
        }
    }
}

macro_rules! integer_setting {
    ($($ty:ty),*) => {$(
        impl SettingValue for $ty {
            const KIND: SettingKind = SettingKind::Integer;

            fn parse_value(value: &str) -> Result<Self, String> {
                let number: i128 = value
                    .trim()
                    .parse()
                    .map_err(|_| format!("expected a whole number, got `{value}`"))?;
                <$ty>::try_from(number).map_err(|_| {
                    range_problem(Some(<$ty>::MIN as i128), Some(<$ty>::MAX as i128), number)
                })
            }
        }
    )*};
}

integer_setting!(i8, i16, i32, i64, u8, u16, u32, u64, usize);

fn range_problem(minimum: Option<i128>, maximum: Option<i128>, value: i128) -> String {
    match (minimum, maximum) {
        (Some(minimum), Some(maximum)) => format!("must be {minimum} to {maximum}, got {value}"),
        (Some(minimum), None) => format!("must be at least {minimum}, got {value}"),
        (None, Some(maximum)) => format!("must be at most {maximum}, got {value}"),
        (None, None) => format!("is out of range: {value}"),
    }
}

impl<T: SettingValue> SettingValue for Option<T> {
    const KIND: SettingKind = T::KIND;
    const OPTIONAL: bool = true;

    fn allowed_values() -> Vec<String> {
        T::allowed_values()
    }

    fn parse_value(value: &str) -> Result<Self, String> {
        if value.is_empty() {
            return Ok(None);
        }
        T::parse_value(value).map(Some)
    }

    fn absent() -> Option<Self> {
        Some(None)
    }
}

/// A list, written comma- or semicolon-separated (`CompanyName, Postcode`); blank items are
/// skipped, each item is read as a `T` after trimming. Declared as text.
impl<T: SettingValue> SettingValue for Vec<T> {
    const KIND: SettingKind = SettingKind::Text;
    const OPTIONAL: bool = true;

    fn parse_value(value: &str) -> Result<Self, String> {
        value
            .split([',', ';'])
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| T::parse_value(item).map_err(|problem| format!("`{item}`: {problem}")))
            .collect()
    }

    fn absent() -> Option<Self> {
        Some(Vec::new())
    }
}

/// One field of a `#[derive(TaskSettings)]` struct: what its attributes declared.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub doc: &'static str,
    pub default: Option<&'static str>,
    pub minimum: Option<i64>,
    pub maximum: Option<i64>,
    pub non_empty: bool,
    pub kind: Option<SettingKind>,
}

impl Field {
    fn kind<T: SettingValue>(&self) -> SettingKind {
        self.kind.unwrap_or(T::KIND)
    }

    fn required<T: SettingValue>(&self) -> bool {
        self.default.is_none() && !T::OPTIONAL
    }

    fn non_empty<T: SettingValue>(&self) -> bool {
        self.non_empty
            || (self.required::<T>()
                && matches!(self.kind::<T>(), SettingKind::File | SettingKind::Folder))
    }

    /// The field's spec, for `describe`.
    pub fn spec<T: SettingValue>(&self) -> SettingSpec {
        SettingSpec {
            name: self.name.to_owned(),
            doc: self.doc.to_owned(),
            kind: self.kind::<T>(),
            required: self.required::<T>(),
            default_value: self.default.map(str::to_owned),
            allowed_values: T::allowed_values(),
            minimum: self.minimum,
            maximum: self.maximum,
            non_empty: self.non_empty::<T>(),
        }
    }

    /// The field's value: given, else the default, else absent (an error unless optional).
    pub fn read<T: SettingValue>(&self, settings: &Settings) -> Result<T, SettingError> {
        let problem = |problem: String| SettingError::new(self.name, problem);
        let Some(text) = settings.get(self.name).or(self.default) else {
            return T::absent().ok_or_else(|| problem("required but not given".to_owned()));
        };
        if self.non_empty::<T>() && text.trim().is_empty() {
            return Err(problem("must not be empty".to_owned()));
        }
        // The declared range is checked before the type's own, so `-5` for a `usize` at
        // least 1 says "at least 1", as the host's check does.
        if let Ok(number) = text.trim().parse::<i128>() {
            let minimum = self.minimum.map(i128::from);
            let maximum = self.maximum.map(i128::from);
            if minimum.is_some_and(|m| number < m) || maximum.is_some_and(|m| number > m) {
                return Err(problem(range_problem(minimum, maximum, number)));
            }
        }
        T::parse_value(text).map_err(problem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        pairs.iter().copied().collect()
    }

    #[test]
    fn text_is_returned_as_given_and_missing_is_an_error() {
        let s = settings(&[("name", " a b "), ("empty", "")]);
        assert_eq!(s.text("name"), Ok(" a b "));
        assert_eq!(s.text("empty"), Ok(""));
        let error = s.text("other").unwrap_err();
        assert_eq!(error.to_string(), "setting `other`: required but not given");
    }

    #[test]
    fn optional_text_treats_empty_as_absent() {
        let s = settings(&[("a", "x"), ("b", "")]);
        assert_eq!(s.optional_text("a"), Some("x"));
        assert_eq!(s.optional_text("b"), None);
        assert_eq!(s.optional_text("c"), None);
    }

    #[test]
    fn first_occurrence_wins() {
        let s = settings(&[("a", "1"), ("a", "2")]);
        assert_eq!(s.get("a"), Some("1"));
    }

    #[test]
    fn integer_parses_and_names_the_setting_on_error() {
        let s = settings(&[
            ("n", " -1 "),
            ("limit", "abc"),
            ("big", "99999999999999999999"),
        ]);
        assert_eq!(s.integer("n"), Ok(-1));
        assert_eq!(
            s.integer("limit").unwrap_err().to_string(),
            "setting `limit`: expected a whole number, got `abc`"
        );
        assert!(s.integer("big").is_err());
        assert!(s.integer("missing").is_err());
    }

    #[test]
    fn boolean_accepts_any_case_only() {
        let s = settings(&[("a", "true"), ("b", "False"), ("c", "yes"), ("d", "TRUE ")]);
        assert_eq!(s.boolean("a"), Ok(true));
        assert_eq!(s.boolean("b"), Ok(false));
        assert_eq!(s.boolean("d"), Ok(true));
        assert_eq!(
            s.boolean("c").unwrap_err().to_string(),
            "setting `c`: expected `true` or `false`, got `yes`"
        );
    }

    #[test]
    fn choice_returns_the_canonical_spelling() {
        let allowed = ["Number", "Timestamp"];
        let s = settings(&[("a", "Number"), ("b", "timestamp"), ("c", "Date")]);
        assert_eq!(s.choice("a", &allowed), Ok("Number"));
        assert_eq!(s.choice("b", &allowed), Ok("Timestamp"));
        assert_eq!(
            s.choice("c", &allowed).unwrap_err().to_string(),
            "setting `c`: expected one of `Number`, `Timestamp`, got `Date`"
        );
    }

    #[test]
    fn path_must_be_absolute_and_non_empty() {
        let s = settings(&[("f", "/orders/a.xml"), ("r", "orders/a.xml"), ("e", "")]);
        assert_eq!(s.path("f"), Ok(PathBuf::from("/orders/a.xml")));
        assert_eq!(
            s.path("r").unwrap_err().to_string(),
            "setting `r`: expected an absolute path inside the working directory, got `orders/a.xml`"
        );
        assert_eq!(
            s.path("e").unwrap_err().to_string(),
            "setting `e`: required but empty"
        );
    }

    #[test]
    fn defaults_fill_only_missing_settings() {
        let specs = [
            SettingSpec::integer("limit", "").with_default("200"),
            SettingSpec::text("name", "").with_default("x"),
            SettingSpec::file("input", "").required(),
        ];
        let s = settings(&[("name", "given")]).with_defaults(&specs);
        assert_eq!(s.integer("limit"), Ok(200));
        assert_eq!(s.text("name"), Ok("given"));
        assert!(s.text("input").is_err());
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq, crate::SettingChoice)]
    enum Encoding {
        #[choice(rename = "UTF8")]
        Utf8,
        Unicode,
    }

    #[derive(Debug, PartialEq, Eq, crate::TaskSettings)]
    struct Shared {
        /// Shared flag.
        #[setting(default = true)]
        shared_flag: bool,
    }

    /// Every kind of field the derive knows.
    #[derive(Debug, PartialEq, Eq, crate::TaskSettings)]
    struct Everything {
        /// Input.
        input_file: PathBuf,
        /// Folder.
        #[setting(kind = folder)]
        out: PathBuf,
        /// Query.
        #[setting(non_empty)]
        query: String,
        /// Limit.
        #[setting(default = 5, range = 1..=10)]
        limit: u8,
        /// Offset.
        #[setting(default = -1, range = -1..)]
        offset: i64,
        /// Encoding.
        #[setting(rename = "Encoding-Type", default = "UTF8")]
        encoding: Encoding,
        /// Note.
        note: Option<String>,
        /// Since.
        #[setting(kind = date_time)]
        since: Option<String>,
        /// Names.
        names: Vec<String>,
        #[setting(flatten)]
        shared: Shared,
    }

    fn everything(pairs: &[(&str, &str)]) -> Result<Everything, SettingError> {
        // The first occurrence of a name wins: the case's own values go first.
        let mut all = pairs.to_vec();
        all.extend([("input-file", "/in.xml"), ("out", "/o"), ("query", "/a/b")]);
        Everything::from_pairs(&all)
    }

    #[test]
    fn the_derive_declares_each_kind() {
        let specs = Everything::specs();
        let summary: Vec<(&str, SettingKind, bool, bool, Option<&str>)> = specs
            .iter()
            .map(|s| {
                (
                    s.name.as_str(),
                    s.kind,
                    s.required,
                    s.non_empty,
                    s.default_value.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("input-file", SettingKind::File, true, true, None),
                ("out", SettingKind::Folder, true, true, None),
                ("query", SettingKind::Text, true, true, None),
                ("limit", SettingKind::Integer, false, false, Some("5")),
                ("offset", SettingKind::Integer, false, false, Some("-1")),
                (
                    "Encoding-Type",
                    SettingKind::Choice,
                    false,
                    false,
                    Some("UTF8")
                ),
                ("note", SettingKind::Text, false, false, None),
                ("since", SettingKind::DateTime, false, false, None),
                ("names", SettingKind::Text, false, false, None),
                (
                    "shared-flag",
                    SettingKind::Boolean,
                    false,
                    false,
                    Some("true")
                ),
            ]
        );
        assert_eq!((specs[3].minimum, specs[3].maximum), (Some(1), Some(10)));
        assert_eq!((specs[4].minimum, specs[4].maximum), (Some(-1), None));
        assert_eq!(specs[5].allowed_values, ["UTF8", "Unicode"]);
        assert_eq!(specs[0].doc, "Input.");
    }

    #[test]
    fn the_derive_parses_defaults_and_given_values() {
        let parsed = everything(&[]).unwrap();
        assert_eq!(
            parsed,
            Everything {
                input_file: PathBuf::from("/in.xml"),
                out: PathBuf::from("/o"),
                query: "/a/b".into(),
                limit: 5,
                offset: -1,
                encoding: Encoding::Utf8,
                note: None,
                since: None,
                names: Vec::new(),
                shared: Shared { shared_flag: true },
            }
        );
        let parsed = everything(&[
            ("limit", " 10 "),
            ("Encoding-Type", "unicode"),
            ("note", ""),
            ("since", "2024-05-10T00:00:00"),
            ("names", "a, b;;c"),
            ("shared-flag", "False"),
        ])
        .unwrap();
        assert_eq!(parsed.limit, 10);
        assert_eq!(parsed.encoding, Encoding::Unicode);
        assert_eq!(parsed.note, None);
        assert_eq!(parsed.since.as_deref(), Some("2024-05-10T00:00:00"));
        assert_eq!(parsed.names, ["a", "b", "c"]);
        assert!(!parsed.shared.shared_flag);
    }

    #[test]
    fn the_derive_names_the_setting_and_the_cause() {
        let cases = [
            (("limit", "0"), "setting `limit`: must be 1 to 10, got 0"),
            (
                ("limit", "300"),
                "setting `limit`: must be 1 to 10, got 300",
            ),
            (
                ("offset", "-2"),
                "setting `offset`: must be at least -1, got -2",
            ),
            (
                ("limit", "many"),
                "setting `limit`: expected a whole number, got `many`",
            ),
            (("query", "  "), "setting `query`: must not be empty"),
            (
                ("Encoding-Type", "latin1"),
                "setting `Encoding-Type`: expected one of `UTF8`, `Unicode`, got `latin1`",
            ),
            (
                ("out", "relative"),
                "setting `out`: expected an absolute path inside the working directory, got `relative`",
            ),
            (
                ("shared-flag", "yes"),
                "setting `shared-flag`: expected `true` or `false`, got `yes`",
            ),
        ];
        for ((name, value), expected) in cases {
            let error = everything(&[(name, value)]).unwrap_err();
            assert_eq!(error.to_string(), expected);
        }
        let error = Everything::from_pairs(&[("input-file", "/in.xml")]).unwrap_err();
        assert_eq!(error.to_string(), "setting `out`: required but not given");
    }

    #[test]
    fn a_value_outside_the_type_names_its_bounds() {
        #[derive(Debug, crate::TaskSettings)]
        struct Small {
            /// Small.
            small: u8,
        }
        assert_eq!(Small::from_pairs(&[("small", "255")]).unwrap().small, 255);
        let error = Small::from_pairs(&[("small", "256")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "setting `small`: must be 0 to 255, got 256"
        );
        let error = Small::from_pairs(&[("small", "99999999999999999999999999999999999999999")])
            .unwrap_err();
        assert!(
            error.to_string().contains("expected a whole number"),
            "{error}"
        );
    }

    #[test]
    fn errors_convert_to_failures() {
        let error = SettingError::new("record-limit", "must be at least 1, got 0");
        let failure = Failure::from(error.clone());
        assert_eq!(failure.code, ResultCode::Fail);
        assert_eq!(
            failure.message,
            "setting `record-limit`: must be at least 1, got 0"
        );
        let result = TaskResult::from(error);
        assert_eq!(result.code, ResultCode::Fail);
    }
}
