//! Builders for the records a component's `describe` returns.

use crate::{SettingKind, SettingSpec, TaskInfo};

impl SettingSpec {
    /// An optional setting of `kind` with no default; refine it with [`required`],
    /// [`with_default`] and, for choices, [`SettingSpec::choice`].
    ///
    /// [`required`]: SettingSpec::required
    /// [`with_default`]: SettingSpec::with_default
    pub fn new(name: impl Into<String>, kind: SettingKind, doc: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            doc: doc.into(),
            kind,
            required: false,
            default_value: None,
            allowed_values: Vec::new(),
            minimum: None,
            maximum: None,
            non_empty: false,
        }
    }

    /// Free text.
    pub fn text(name: impl Into<String>, doc: impl Into<String>) -> Self {
        Self::new(name, SettingKind::Text, doc)
    }

    /// A file inside the working directory (arrives as an absolute guest path).
    pub fn file(name: impl Into<String>, doc: impl Into<String>) -> Self {
        Self::new(name, SettingKind::File, doc)
    }

    /// A folder inside the working directory (arrives as an absolute guest path).
    pub fn folder(name: impl Into<String>, doc: impl Into<String>) -> Self {
        Self::new(name, SettingKind::Folder, doc)
    }

    /// A whole number.
    pub fn integer(name: impl Into<String>, doc: impl Into<String>) -> Self {
        Self::new(name, SettingKind::Integer, doc)
    }

    /// `true` or `false`.
    pub fn boolean(name: impl Into<String>, doc: impl Into<String>) -> Self {
        Self::new(name, SettingKind::Boolean, doc)
    }

    /// An ISO 8601 date-time.
    pub fn date_time(name: impl Into<String>, doc: impl Into<String>) -> Self {
        Self::new(name, SettingKind::DateTime, doc)
    }

    /// One of `allowed`.
    pub fn choice(name: impl Into<String>, doc: impl Into<String>, allowed: &[&str]) -> Self {
        Self {
            allowed_values: allowed.iter().map(|v| (*v).to_owned()).collect(),
            ..Self::new(name, SettingKind::Choice, doc)
        }
    }

    /// The workflow must give this setting.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// The value the host uses when the workflow does not give the setting.
    pub fn with_default(mut self, value: impl Into<String>) -> Self {
        self.default_value = Some(value.into());
        self
    }

    /// For an integer: the host refuses values below `minimum`.
    pub fn at_least(mut self, minimum: i64) -> Self {
        self.minimum = Some(minimum);
        self
    }

    /// For an integer: the host refuses values above `maximum`.
    pub fn at_most(mut self, maximum: i64) -> Self {
        self.maximum = Some(maximum);
        self
    }

    /// When given, the value must not be empty or only spaces.
    pub fn non_empty(mut self) -> Self {
        self.non_empty = true;
        self
    }
}

impl TaskInfo {
    /// A task called `name` (kebab-case) with no settings yet.
    pub fn new(name: impl Into<String>, doc: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            doc: doc.into(),
            settings: Vec::new(),
            current_variables: Vec::new(),
            capabilities: Vec::new(),
            truth_kinds: Vec::new(),
        }
    }

    /// Adds a setting.
    pub fn setting(mut self, spec: SettingSpec) -> Self {
        self.settings.push(spec);
        self
    }

    /// Names the "current" variables a repeater yields per item.
    pub fn current_variables(mut self, names: &[&str]) -> Self {
        self.current_variables = names.iter().map(|n| (*n).to_owned()).collect();
        self
    }

    /// Declares the kinds of truth record the task looks up or records (e.g.
    /// `Zynk.Connect.Objects.SalesOrder`; a kind covers its `<kind>#…` sub-kinds too). A task that
    /// runs away from the workflow's store — a Sage task on the on-premises runner — is sent only
    /// these, and looking up any other kind fails there.
    pub fn truth_kinds(mut self, kinds: &[&str]) -> Self {
        self.truth_kinds = kinds.iter().map(|k| (*k).to_owned()).collect();
        self
    }

    /// Asks for a capability beyond the working directory (e.g. `archive`).
    pub fn capability(mut self, name: impl Into<String>) -> Self {
        self.capabilities.push(name.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_fill_every_field() {
        let info = TaskInfo::new("split-xml", "Splits.")
            .setting(
                SettingSpec::file("input-file", "In.")
                    .required()
                    .non_empty(),
            )
            .setting(
                SettingSpec::integer("limit", "Up to.")
                    .at_least(1)
                    .at_most(10),
            )
            .setting(
                SettingSpec::choice("format", "Names.", &["Number", "Timestamp"])
                    .with_default("Number"),
            )
            .current_variables(&["Name"])
            .capability("archive");
        assert_eq!(info.name, "split-xml");
        assert_eq!(info.settings.len(), 3);
        let input = &info.settings[0];
        assert_eq!(input.kind, SettingKind::File);
        assert!(input.required && input.non_empty);
        assert_eq!(input.default_value, None);
        let limit = &info.settings[1];
        assert_eq!((limit.minimum, limit.maximum), (Some(1), Some(10)));
        assert!(!limit.non_empty);
        let format = &info.settings[2];
        assert_eq!(format.kind, SettingKind::Choice);
        assert!(!format.required);
        assert_eq!(format.default_value.as_deref(), Some("Number"));
        assert_eq!(format.allowed_values, ["Number", "Timestamp"]);
        assert_eq!(info.current_variables, ["Name"]);
        assert_eq!(info.capabilities, ["archive"]);
    }
}
