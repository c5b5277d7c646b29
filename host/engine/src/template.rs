//! Setting templates (minijinja): `{{ current.Name }}`, workflow and global variables, system
//! variables (catalogue §1.6), outputs of earlier tasks and `now("%Y-%m-%d")`.
//!
//! Names at the top level resolve workflow → global → system (catalogue §6 (1)); the same values
//! are also reachable explicitly as `vars.X`, `globals.X` and `system.X`. `current` is the item of
//! the innermost repeater (inner repeaters shadow outer ones); `outer` lists the outer items,
//! nearest first. `outputs.<task id>.<name>` reads what an earlier task returned.

use chrono::{Datelike, Local};
use minijinja::value::{Enumerator, Object};
use minijinja::{Environment, UndefinedBehavior, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

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

/// Everything a template may read at one point of a run. Maps are shared (`Arc`) so building a
/// render context costs a few reference counts, not a copy of every variable.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub workflow: Arc<VarMap>,
    pub globals: Arc<VarMap>,
    /// Repeater items, outermost first.
    pub current: Vec<Arc<VarMap>>,
    pub outputs: Arc<BTreeMap<String, VarMap>>,
}

impl Scope {
    /// Records what a task returned, for `outputs.<task id>.<name>`.
    pub fn set_outputs(&mut self, task_id: &str, outputs: VarMap) {
        Arc::make_mut(&mut self.outputs).insert(task_id.to_string(), outputs);
    }

    pub fn context(&self) -> Value {
        Value::from_object(RenderContext(self.clone()))
    }
}

/// The top level of a template's context, resolved on access: system variables (including a
/// fresh `Guid`) are computed only when a template names them.
#[derive(Debug)]
struct RenderContext(Scope);

/// A string map seen from a template (`current.Name`, `vars.X`).
#[derive(Debug)]
struct MapObject(Arc<VarMap>);

impl Object for MapObject {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.0.get(key.as_str()?).map(|v| Value::from(v.as_str()))
    }
    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.0.keys().map(|k| Value::from(k.as_str())).collect())
    }
}

fn system_variable(name: &str) -> Option<String> {
    let now = Local::now();
    Some(match name {
        "Guid" => uuid::Uuid::new_v4().to_string(),
        "CurrentDate" => now.format("%d/%m/%Y").to_string(),
        "CurrentDateTime" => now.format("%d/%m/%Y %H:%M:%S").to_string(),
        "CurrentDay" => now.day().to_string(),
        "CurrentMonth" => now.format("%B").to_string(),
        "CurrentYear" => now.year().to_string(),
        "CurrentDayName" => now.format("%A").to_string(),
        "CurrentLongDate" => now.format("%A, %-d %B, %Y").to_string(),
        _ => return None,
    })
}

/// The names of the system variables (catalogue §1.6).
pub const SYSTEM_VARIABLES: [&str; 8] = [
    "Guid",
    "CurrentDate",
    "CurrentDateTime",
    "CurrentDay",
    "CurrentMonth",
    "CurrentYear",
    "CurrentDayName",
    "CurrentLongDate",
];

/// The system variables at this moment, with the UK formats Zynk users know.
pub fn system_variables() -> VarMap {
    SYSTEM_VARIABLES
        .iter()
        .filter_map(|n| system_variable(n).map(|v| (n.to_string(), v)))
        .collect()
}

impl Object for RenderContext {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let scope = &self.0;
        let key = key.as_str()?;
        let map = |m: &Arc<VarMap>| Value::from_object(MapObject(m.clone()));
        match key {
            "current" => scope.current.last().map(map),
            "outer" => Some(Value::from(
                scope
                    .current
                    .iter()
                    .rev()
                    .skip(1)
                    .map(map)
                    .collect::<Vec<_>>(),
            )),
            "vars" => Some(map(&scope.workflow)),
            "globals" => Some(map(&scope.globals)),
            "system" => Some(Value::from_serialize(system_variables())),
            "outputs" => Some(Value::from_serialize(&*scope.outputs)),
            _ => scope
                .workflow
                .get(key)
                .or_else(|| scope.globals.get(key))
                .map(|v| Value::from(v.as_str()))
                .or_else(|| system_variable(key).map(Value::from)),
        }
    }
}

impl Templates {
    pub fn new() -> Self {
        let mut env = Environment::new();
        // A misspelt variable must be an error naming it, not an empty path.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.add_function(
            "now",
            |format: Option<String>| -> Result<String, minijinja::Error> {
                let format = format.unwrap_or_else(|| "%Y-%m-%dT%H:%M:%S".into());
                let mut out = String::new();
                use std::fmt::Write;
                write!(out, "{}", Local::now().format(&format)).map_err(|_| {
                    minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("bad date format `{format}`"),
                    )
                })?;
                Ok(out)
            },
        );
        env.add_function(
            "utcnow",
            |format: Option<String>| -> Result<String, minijinja::Error> {
                let format = format.unwrap_or_else(|| "%Y-%m-%dT%H:%M:%SZ".into());
                let mut out = String::new();
                use std::fmt::Write;
                write!(out, "{}", chrono::Utc::now().format(&format)).map_err(|_| {
                    minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("bad date format `{format}`"),
                    )
                })?;
                Ok(out)
            },
        );
        Templates { env }
    }

    /// Renders `text` in `scope`; plain text is returned as it is.
    pub fn render(&self, text: &str, scope: &Scope) -> Result<String, String> {
        if !is_template(text) {
            return Ok(text.to_string());
        }
        self.env
            .render_str(text, scope.context())
            .map_err(describe_error)
    }

    /// Checks the syntax without rendering (for `wharf validate`).
    pub fn check(&self, text: &str) -> Result<(), String> {
        if !is_template(text) {
            return Ok(());
        }
        self.env
            .template_from_str(text)
            .map(|_| ())
            .map_err(describe_error)
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
        let mut s = Scope {
            workflow: Arc::new(VarMap::from([("Folder".into(), "chunks".into())])),
            globals: Arc::new(VarMap::from([
                ("Folder".into(), "global-loses".into()),
                ("Command Line 1".into(), "x".into()),
            ])),
            ..Scope::default()
        };
        s.current.push(Arc::new(VarMap::from([(
            "Name".into(),
            "outer.xml".into(),
        )])));
        s.current.push(Arc::new(VarMap::from([
            ("Name".into(), "a.xml".into()),
            ("NameWithoutExtension".into(), "a".into()),
        ])));
        s.set_outputs("split", VarMap::from([("files".into(), "3".into())]));
        s
    }

    #[test]
    fn renders_current_vars_outputs_and_precedence() {
        let t = Templates::new();
        let s = scope();
        assert_eq!(
            t.render("{{ Folder }}/{{ current.Name }}", &s).unwrap(),
            "chunks/a.xml"
        );
        assert_eq!(t.render("{{ outer[0].Name }}", &s).unwrap(), "outer.xml");
        assert_eq!(
            t.render("{{ current.NameWithoutExtension }}_success.xml", &s)
                .unwrap(),
            "a_success.xml"
        );
        assert_eq!(t.render("{{ outputs.split.files }}", &s).unwrap(), "3");
        assert_eq!(
            t.render("{{ globals.Folder }}", &s).unwrap(),
            "global-loses"
        );
        assert_eq!(t.render("plain text", &s).unwrap(), "plain text");
        assert_eq!(
            t.render("{% for k in current %}{{ k }};{% endfor %}", &s)
                .unwrap(),
            "Name;NameWithoutExtension;"
        );
        assert_eq!(
            t.render(
                "{% if system.CurrentYear == CurrentYear %}same{% endif %}",
                &s
            )
            .unwrap(),
            "same"
        );
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
        assert_ne!(
            t.render("{{ Guid }}", &s).unwrap(),
            t.render("{{ Guid }}", &s).unwrap()
        );
        let stamp = t
            .render("products_{{ now('%Y-%m-%d_%H-%M-%S') }}.xml", &s)
            .unwrap();
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
