//! Typed access to the settings the host passes to `run`, `items` and `evaluate`.

use std::path::PathBuf;

use crate::{Failure, ResultCode, SettingSpec, TaskResult};

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
