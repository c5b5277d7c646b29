//! The `.wkf` model: workflow properties, variables, tasks and Zynk Object values
//! (docs/wkf-import.md describes the format as far as the importer relies on it).

use crate::WkfError;
use crate::schedule::ZynkSchedule;
use crate::xml::El;

/// A workflow as the file describes it.
#[derive(Debug, Clone)]
pub struct ZynkWorkflow {
    pub name: String,
    pub id: String,
    pub description: String,
    pub should_resume: Option<bool>,
    pub use_mutex: bool,
    /// `LogHouseKeeping`: type and number.
    pub history: Option<(String, u32)>,
    pub variables: Vec<Variable>,
    pub tasks: Vec<ZynkTask>,
    /// `Schedule` when its occurrence is not `Never`.
    pub schedule: Option<ZynkSchedule>,
}

#[derive(Debug, Clone)]
pub struct Variable {
    pub key: String,
    /// The user asked for encryption, or the stored value is ciphertext.
    pub encrypted: bool,
    pub value: ZValue,
}

/// One `<Task>` element.
#[derive(Debug, Clone)]
pub struct ZynkTask {
    /// The .NET class before the first comma of the `type` attribute.
    pub class: String,
    pub name: String,
    pub enabled: bool,
    pub break_on_failure: bool,
    pub can_resume: bool,
    /// Where it is, for messages: `Tasks/2/Tasks/0`.
    pub path: String,
    /// The class element holding the settings.
    pub settings: El,
    /// The `<Tasks>` inside the class element, if any.
    pub children: Option<Vec<ZynkTask>>,
}

/// Settings every task carries (catalogue of common settings in docs/wkf-import.md); they map to
/// Wharf's own task properties, not to component settings.
pub const COMMON_SETTINGS: [&str; 10] = [
    "LastResult",
    "Name",
    "Enabled",
    "BreakOnFailure",
    "CanResume",
    "LastRan",
    "Id",
    "DebugLoggingEnabled",
    "Tasks",
    "ConnectionPointer",
];

/// A Zynk Object: a typed value with its Razor option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZValue {
    /// `StaticValue`, `FileValue`, `UriValue`, `VariableValue`, `ListValue`, `PreviousValue`.
    pub kind: String,
    pub razor: bool,
    pub read_contents: bool,
    /// The string (a variable's key for `VariableValue`); empty for lists.
    pub text: String,
    pub items: Vec<ZValue>,
}

impl ZValue {
    /// An element shaped as a Zynk Object (it has a `Type` and a `Value`).
    pub fn from_el(el: &El) -> Option<ZValue> {
        let kind = el.child_text("Type")?.to_string();
        let value = el.child("Value")?;
        let flag = |name: &str| el.child_text(name).is_some_and(|t| t == "True");
        let items = value
            .child("ArrayOfZynkObject")
            .map(|list| {
                list.children
                    .iter()
                    .filter_map(ZValue::from_el)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        Some(ZValue {
            kind,
            razor: flag("UseRazorEngine"),
            read_contents: flag("ReadContentsOfFile"),
            text: value.child_text("string").unwrap_or_default().to_string(),
            items,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty() && self.items.is_empty() && self.kind != "PreviousValue"
    }
}

fn bool_of(el: &El, name: &str, default: bool) -> bool {
    match el.child_text(name) {
        Some(t) if t.eq_ignore_ascii_case("true") => true,
        Some(t) if t.eq_ignore_ascii_case("false") => false,
        _ => default,
    }
}

/// Reads the workflow from the root element.
pub fn read_workflow(root: &El) -> Result<ZynkWorkflow, WkfError> {
    if root.name != "Workflow" {
        return Err(WkfError::Format {
            path: root.name.clone(),
            message: format!(
                "the root element is <{}>, not <Workflow>: not a Zynk workflow",
                root.name
            ),
        });
    }
    let variables = root
        .child("Variables")
        .map(|vs| {
            vs.children
                .iter()
                .filter(|v| v.name == "Variable")
                .filter_map(|v| {
                    let key = v.attr("Key")?.to_string();
                    let value = v.child("ZynkObject").and_then(ZValue::from_el)?;
                    let encrypted = [v.attr("Encrypt"), v.attr("Encrypted")]
                        .iter()
                        .any(|a| a.is_some_and(|a| a.eq_ignore_ascii_case("true")));
                    Some(Variable {
                        key,
                        encrypted,
                        value,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let history = root.child("LogHouseKeeping").and_then(|h| {
        Some((
            h.child_text("Type")?.to_string(),
            h.child_text("Number")?.parse().ok()?,
        ))
    });
    let schedule = root.child("Schedule").and_then(ZynkSchedule::read);
    Ok(ZynkWorkflow {
        name: root.child_text("Name").unwrap_or_default().to_string(),
        id: root.child_text("Id").unwrap_or_default().to_string(),
        description: root
            .child_text("Description")
            .unwrap_or_default()
            .to_string(),
        should_resume: root
            .child("ShouldResume")
            .map(|_| bool_of(root, "ShouldResume", true)),
        use_mutex: bool_of(root, "UseMutex", false),
        history,
        variables,
        tasks: read_tasks(root.child("Tasks"), "Tasks")?,
        schedule,
    })
}

fn read_tasks(list: Option<&El>, at: &str) -> Result<Vec<ZynkTask>, WkfError> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    list.children
        .iter()
        .filter(|c| c.name == "Task")
        .enumerate()
        .map(|(i, task)| read_task(task, &format!("{at}/{i}")))
        .collect()
}

fn read_task(task: &El, path: &str) -> Result<ZynkTask, WkfError> {
    let class = task
        .attr("type")
        .and_then(|t| t.split(',').next())
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| WkfError::Format {
            path: path.to_string(),
            message: "a <Task> without a `type` attribute naming its class".into(),
        })?
        .to_string();
    let settings = task
        .children
        .first()
        .cloned()
        .ok_or_else(|| WkfError::Format {
            path: path.to_string(),
            message: format!("the task of class {class} has no settings element"),
        })?;
    let children = match settings.child("Tasks") {
        Some(list) => Some(read_tasks(Some(list), &format!("{path}/Tasks"))?),
        None => None,
    };
    Ok(ZynkTask {
        name: settings
            .child_text("Name")
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| class.rsplit('.').next().unwrap_or(&class))
            .to_string(),
        enabled: bool_of(&settings, "Enabled", true),
        break_on_failure: bool_of(&settings, "BreakOnFailure", true),
        can_resume: bool_of(&settings, "CanResume", true),
        path: path.to_string(),
        class,
        settings,
        children,
    })
}

/// Counts task elements, nested ones included.
pub fn count_tasks(tasks: &[ZynkTask]) -> usize {
    tasks
        .iter()
        .map(|t| 1 + t.children.as_deref().map(count_tasks).unwrap_or(0))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse;

    #[test]
    fn older_files_get_defaults_and_values_decode() {
        let root = parse(
            r#"<Workflow><Tasks><Task type="Zynk.Filesystem.DeleteFile, Zynk.Filesystem, Version=1.5">
            <DeleteFile><Name>Delete</Name><Enabled>false</Enabled>
            <InputFile><Type>FileValue</Type><UseRazorEngine>True</UseRazorEngine><ReadContentsOfFile>False</ReadContentsOfFile>
            <Value type="System.String"><string>a.xml</string></Value></InputFile></DeleteFile></Task></Tasks>
            <Variables><Variable Key="Pw" Encrypt="True" Encrypted="True"><ZynkObject><Type>StaticValue</Type>
            <Value type="System.String"><string>xyz</string></Value></ZynkObject></Variable></Variables>
            <Name>W</Name></Workflow>"#,
        )
        .unwrap();
        let wf = read_workflow(&root).unwrap();
        let t = &wf.tasks[0];
        assert_eq!(t.class, "Zynk.Filesystem.DeleteFile");
        assert!(!t.enabled && t.break_on_failure && t.can_resume);
        let v = ZValue::from_el(t.settings.child("InputFile").unwrap()).unwrap();
        assert_eq!(
            (v.kind.as_str(), v.razor, v.text.as_str()),
            ("FileValue", true, "a.xml")
        );
        assert!(wf.variables[0].encrypted);
        assert_eq!(wf.should_resume, None);
    }

    #[test]
    fn a_task_without_a_class_is_an_error_with_its_path() {
        let root = parse("<Workflow><Tasks><Task><X/></Task><Task/></Tasks></Workflow>").unwrap();
        let e = read_workflow(&root).unwrap_err().to_string();
        assert!(e.contains("Tasks/0"), "{e}");
        let root = parse("<Orders/>").unwrap();
        assert!(
            read_workflow(&root)
                .unwrap_err()
                .to_string()
                .contains("not a Zynk workflow")
        );
    }
}
