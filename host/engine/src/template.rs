//! Setting templates (minijinja): `{{ current.Name }}`, workflow and global variables, system
//! variables (catalogue §1.6), outputs of earlier tasks and `now("%Y-%m-%d")`.
//!
//! Names at the top level resolve workflow → global → system (catalogue §6 (1)); the same values
//! are also reachable explicitly as `vars.X`, `globals.X` and `system.X`. `current` is the item of
//! the innermost repeater (inner repeaters shadow outer ones); `outer` lists the outer items,
//! nearest first. `outputs.<task id>.<name>` reads what an earlier task returned.

use chrono::{Datelike, Local};
use minijinja::{Environment, UndefinedBehavior, Value};
use std::collections::BTreeMap;

pub type VarMap = BTreeMap<String, String>;

pub struct Templates {
    env: Environment<'static>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

/// True when the text contains template syntax; plain values skip the renderer entirely.
pub fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

/// The system variables at this moment, with the UK formats Zynk users know.
pub fn system_variables() -> VarMap {
    let now = Local::now();
    let mut m = VarMap::new();
    m.insert("Guid".into(), uuid::Uuid::new_v4().to_string());
    m.insert("CurrentDate".into(), now.format("%d/%m/%Y").to_string());
    m.insert("CurrentDateTime".into(), now.format("%d/%m/%Y %H:%M:%S").to_string());
    m.insert("CurrentDay".into(), now.day().to_string());
    m.insert("CurrentMonth".into(), now.format("%B").to_string());
    m.insert("CurrentYear".into(), now.year().to_string());
    m.insert("CurrentDayName".into(), now.format("%A").to_string());
    m.insert("CurrentLongDate".into(), now.format("%A, %-d %B, %Y").to_string());
    m
}

/// Everything a template may read at one point of a run.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub workflow: VarMap,
    pub globals: VarMap,
    /// Repeater items, outermost first.
    pub current: Vec<VarMap>,
    pub outputs: BTreeMap<String, VarMap>,
}

impl Scope {
    pub fn context(&self) -> Value {
        let system = system_variables();
        let mut top: BTreeMap<String, Value> = BTreeMap::new();
        for map in [&system, &self.globals, &self.workflow] {
            for (k, v) in map {
                top.insert(k.clone(), Value::from(v.clone()));
            }
        }
        top.insert("system".into(), Value::from_serialize(&system));
        top.insert("globals".into(), Value::from_serialize(&self.globals));
        top.insert("vars".into(), Value::from_serialize(&self.workflow));
        top.insert("outputs".into(), Value::from_serialize(&self.outputs));
        if let Some(cur) = self.current.last() {
            top.insert("current".into(), Value::from_serialize(cur));
        }
        let outer: Vec<&VarMap> = self.current.iter().rev().skip(1).collect();
        top.insert("outer".into(), Value::from_serialize(&outer));
        Value::from(top)
    }
}

impl Templates {
    pub fn new() -> Self {
        let mut env = Environment::new();
        // A misspelt variable must be an error naming it, not an empty path.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.add_function("now", |format: Option<String>| -> Result<String, minijinja::Error> {
            let format = format.unwrap_or_else(|| "%Y-%m-%dT%H:%M:%S".into());
            let mut out = String::new();
            use std::fmt::Write;
            write!(out, "{}", Local::now().format(&format)).map_err(|_| {
                minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, format!("bad date format `{format}`"))
            })?;
            Ok(out)
        });
        env.add_function("utcnow", |format: Option<String>| -> Result<String, minijinja::Error> {
            let format = format.unwrap_or_else(|| "%Y-%m-%dT%H:%M:%SZ".into());
            let mut out = String::new();
            use std::fmt::Write;
            write!(out, "{}", chrono::Utc::now().format(&format)).map_err(|_| {
                minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, format!("bad date format `{format}`"))
            })?;
            Ok(out)
        });
        Templates { env }
    }

    /// Renders `text` in `scope`; plain text is returned as it is.
    pub fn render(&self, text: &str, scope: &Scope) -> Result<String, String> {
        if !is_template(text) {
            return Ok(text.to_string());
        }
        self.env.render_str(text, scope.context()).map_err(describe_error)
    }

    /// Checks the syntax without rendering (for `wharf validate`).
    pub fn check(&self, text: &str) -> Result<(), String> {
        if !is_template(text) {
            return Ok(());
        }
        self.env.template_from_str(text).map(|_| ()).map_err(describe_error)
    }
}

fn describe_error(e: minijinja::Error) -> String {
    let mut msg = match e.kind() {
        minijinja::ErrorKind::UndefinedError => "uses an undefined variable".to_string(),
        _ => e.kind().to_string(),
    };
    if let Some(detail) = e.detail() {
        msg.push_str(": ");
        msg.push_str(detail);
    }
    if let Some(src) = e.template_source()
        && let Some(range) = e.range()
        && let Some(snippet) = src.get(range)
    {
        msg.push_str(&format!(" (at `{snippet}`)"));
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        let mut s = Scope::default();
        s.workflow.insert("Folder".into(), "chunks".into());
        s.globals.insert("Folder".into(), "global-loses".into());
        s.globals.insert("Command Line 1".into(), "x".into());
        s.current.push(VarMap::from([("Name".into(), "outer.xml".into())]));
        s.current.push(VarMap::from([("Name".into(), "a.xml".into()), ("NameWithoutExtension".into(), "a".into())]));
        s.outputs.insert("split".into(), VarMap::from([("files".into(), "3".into())]));
        s
    }

    #[test]
    fn renders_current_vars_outputs_and_precedence() {
        let t = Templates::new();
        let s = scope();
        assert_eq!(t.render("{{ Folder }}/{{ current.Name }}", &s).unwrap(), "chunks/a.xml");
        assert_eq!(t.render("{{ outer[0].Name }}", &s).unwrap(), "outer.xml");
        assert_eq!(t.render("{{ current.NameWithoutExtension }}_success.xml", &s).unwrap(), "a_success.xml");
        assert_eq!(t.render("{{ outputs.split.files }}", &s).unwrap(), "3");
        assert_eq!(t.render("{{ globals.Folder }}", &s).unwrap(), "global-loses");
        assert_eq!(t.render("plain text", &s).unwrap(), "plain text");
    }

    #[test]
    fn system_variables_and_now() {
        let t = Templates::new();
        let s = Scope::default();
        let year = t.render("{{ CurrentYear }}", &s).unwrap();
        assert_eq!(year.len(), 4);
        let date = t.render("{{ CurrentDate }}", &s).unwrap();
        assert_eq!(date.len(), 10);
        assert_eq!(&date[2..3], "/");
        assert_eq!(t.render("{{ Guid }}", &s).unwrap().len(), 36);
        let stamp = t.render("products_{{ now('%Y-%m-%d_%H-%M-%S') }}.xml", &s).unwrap();
        assert_eq!(stamp.len(), "products_2024-01-01_00-00-00.xml".len());
    }

    #[test]
    fn undefined_and_syntax_errors_are_named() {
        let t = Templates::new();
        let err = t.render("{{ current.Nmae }}", &scope()).unwrap_err();
        assert!(err.contains("undefined"), "{err}");
        assert!(err.contains("current.Nmae"), "{err}");
        assert!(t.check("{{ oops").is_err());
        assert!(t.render("{{ current.Name }}", &Scope::default()).is_err());
    }
}
