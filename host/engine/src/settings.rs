//! Turning a task's settings as written (templates) into the values a component receives:
//! defaults filled in, templates rendered, values checked by kind, paths resolved inside the
//! working directory.

use crate::limits::excerpt;
use crate::runtime::{SettingKind, SettingSpec, TaskInfo};
use crate::template::{Scope, Templates, is_template};
use crate::workflow::SettingValue;
use std::collections::BTreeMap;
use std::path::{Component, Path};
use std::time::{Duration, Instant};

/// Checks one value against its spec (kind, range, non-empty) and returns it in the form
/// components receive. Messages quote at most an excerpt of the value: it may be long.
pub fn check_value(spec: &SettingSpec, value: &str) -> Result<String, String> {
    let v = value.trim();
    // Only a message needs the excerpt: a setting that passes (every task, every item) skips it.
    let shown = || excerpt(value);
    if spec.non_empty && v.is_empty() {
        return Err("must not be empty".into());
    }
    match spec.kind {
        SettingKind::Text => Ok(value.to_string()),
        SettingKind::Integer => {
            let n = v
                .parse::<i64>()
                .map_err(|_| format!("expected a whole number, got `{}`", shown()))?;
            if let Some(min) = spec.minimum
                && n < min
            {
                return Err(format!("must be at least {min}, got {n}"));
            }
            if let Some(max) = spec.maximum
                && n > max
            {
                return Err(format!("must be at most {max}, got {n}"));
            }
            Ok(n.to_string())
        }
        SettingKind::Boolean => match v.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok("true".into()),
            "false" | "no" | "0" => Ok("false".into()),
            _ => Err(format!("expected true or false, got `{}`", shown())),
        },
        SettingKind::Choice => spec
            .allowed_values
            .iter()
            .find(|a| a.eq_ignore_ascii_case(v))
            .cloned()
            .ok_or_else(|| {
                format!(
                    "`{}` is not one of {}",
                    shown(),
                    spec.allowed_values.join(", ")
                )
            }),
        SettingKind::DateTime => chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S")
            .or_else(|_| chrono::DateTime::parse_from_rfc3339(v).map(|d| d.naive_utc()))
            .or_else(|_| {
                chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
            })
            .map(|d| d.format("%Y-%m-%dT%H:%M:%S").to_string())
            .map_err(|_| {
                format!(
                    "expected a date-time like 2024-05-10T00:00:00, got `{}`",
                    shown()
                )
            }),
        SettingKind::File | SettingKind::Folder => guest_path(v),
    }
}

/// A relative or rooted path, as the component sees it: absolute, inside the working directory
/// (which the component sees as `/`). `..` may not climb out.
pub fn guest_path(value: &str) -> Result<String, String> {
    let normalised = value.replace('\\', "/");
    let mut parts: Vec<&str> = Vec::new();
    for c in Path::new(&normalised).components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str().unwrap_or_default()),
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return Err(format!(
                        "path `{}` leads outside the working directory",
                        excerpt(value)
                    ));
                }
            }
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    Ok(format!("/{}", parts.join("/")))
}

/// Checks the settings as written against the component's description, before anything runs.
/// Returns one message per problem, each naming the setting.
pub fn check_static(
    info: &TaskInfo,
    given: &BTreeMap<String, SettingValue>,
    templates: &Templates,
) -> Vec<(u64, String)> {
    let mut problems = Vec::new();
    for (name, value) in given {
        let Some(spec) = info.setting(name) else {
            let known: Vec<&str> = info.settings.iter().map(|s| s.name.as_str()).collect();
            let hint = closest(name, &known)
                .map(|k| format!("; did you mean `{k}`?"))
                .unwrap_or_default();
            problems.push((
                value.line,
                format!(
                    "`{}` has no setting `{name}`{hint} (settings: {})",
                    info.name,
                    known.join(", ")
                ),
            ));
            continue;
        };
        if is_template(&value.text) {
            if let Err(e) = templates.check(&value.text) {
                problems.push((value.line, format!("setting `{name}`: template {e}")));
            }
        } else if let Err(e) = check_value(spec, &value.text) {
            problems.push((value.line, format!("setting `{name}`: {e}")));
        }
    }
    for spec in &info.settings {
        if spec.required && spec.default_value.is_none() && !given.contains_key(&spec.name) {
            problems.push((
                0,
                format!("setting `{}` is required ({})", spec.name, spec.doc),
            ));
        }
    }
    problems
}

/// The settings a component receives for one call. Rendering them counts against the task's
/// time limit: `allowed` is that limit, and the caller gives the component what is left.
pub fn prepare(
    info: &TaskInfo,
    given: &BTreeMap<String, SettingValue>,
    templates: &Templates,
    scope: &Scope,
    allowed: Duration,
) -> Result<Vec<(String, String)>, String> {
    let started = Instant::now();
    let mut out = Vec::with_capacity(info.settings.len());
    for spec in &info.settings {
        let raw = match given.get(&spec.name) {
            Some(v) => {
                let left = allowed.saturating_sub(started.elapsed());
                templates
                    .render_within(&v.text, scope, left)
                    .map_err(|e| format!("setting `{}`: template {e}", spec.name))?
            }
            None => match &spec.default_value {
                Some(d) => d.clone(),
                None if spec.required => {
                    return Err(format!("setting `{}` is required", spec.name));
                }
                None => continue,
            },
        };
        if raw.is_empty() && !spec.required && !spec.non_empty && spec.kind != SettingKind::Text {
            continue;
        }
        let value = check_value(spec, &raw).map_err(|e| format!("setting `{}`: {e}", spec.name))?;
        out.push((spec.name.clone(), value));
    }
    Ok(out)
}

/// The known name nearest to a misspelt one, if any is close.
fn closest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut cur = vec![i + 1];
            for (j, cb) in b.iter().enumerate() {
                cur.push(
                    (prev[j] + usize::from(ca != *cb))
                        .min(prev[j + 1] + 1)
                        .min(cur[j] + 1),
                );
            }
            prev = cur;
        }
        prev[b.len()]
    }
    known
        .iter()
        .map(|k| (distance(name, k), *k))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::TaskKind;

    fn spec(name: &str, kind: SettingKind, required: bool, default: Option<&str>) -> SettingSpec {
        SettingSpec {
            name: name.into(),
            doc: format!("the {name}"),
            kind,
            required,
            default_value: default.map(Into::into),
            allowed_values: if kind == SettingKind::Choice {
                vec!["Number".into(), "Timestamp".into()]
            } else {
                vec![]
            },
            minimum: None,
            maximum: None,
            non_empty: false,
        }
    }

    fn info() -> TaskInfo {
        TaskInfo {
            name: "split-xml".into(),
            doc: String::new(),
            kind: TaskKind::Plain,
            settings: vec![
                SettingSpec {
                    non_empty: true,
                    ..spec("input-file", SettingKind::File, true, None)
                },
                SettingSpec {
                    minimum: Some(1),
                    maximum: Some(1000),
                    ..spec("record-limit", SettingKind::Integer, true, Some("200"))
                },
                spec(
                    "output-files-format",
                    SettingKind::Choice,
                    false,
                    Some("Number"),
                ),
                spec("note", SettingKind::Text, false, None),
            ],
            current_variables: vec![],
            capabilities: vec![],
            truth_kinds: vec![],
        }
    }

    fn given(pairs: &[(&str, &str)]) -> BTreeMap<String, SettingValue> {
        pairs
            .iter()
            .enumerate()
            .map(|(i, (k, v))| {
                (
                    k.to_string(),
                    SettingValue {
                        text: v.to_string(),
                        line: i as u64 + 10,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn paths_stay_inside_the_working_directory() {
        assert_eq!(guest_path("orders.xml").unwrap(), "/orders.xml");
        assert_eq!(guest_path("/chunks/a.xml").unwrap(), "/chunks/a.xml");
        assert_eq!(guest_path("a/../b.xml").unwrap(), "/b.xml");
        assert_eq!(
            guest_path("Stock Export\\x.xml").unwrap(),
            "/Stock Export/x.xml"
        );
        assert!(
            guest_path("../etc/passwd")
                .unwrap_err()
                .contains("outside the working directory")
        );
        assert!(guest_path("/a/../../b").is_err());
    }

    #[test]
    fn static_check_names_setting_and_line() {
        let t = Templates::new();
        let problems = check_static(
            &info(),
            &given(&[("input-file", "a.xml"), ("record-limt", "5")]),
            &t,
        );
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, 11);
        assert!(
            problems[0].1.contains("did you mean `record-limit`"),
            "{}",
            problems[0].1
        );
        let problems = check_static(&info(), &given(&[("record-limit", "many")]), &t);
        assert!(
            problems
                .iter()
                .any(|p| p.1 == "setting `record-limit`: expected a whole number, got `many`")
        );
        assert!(
            problems
                .iter()
                .any(|p| p.1.starts_with("setting `input-file` is required"))
        );
    }

    #[test]
    fn prepare_fills_defaults_renders_and_normalises() {
        let t = Templates::new();
        let mut scope = Scope::default();
        scope.current.push(std::sync::Arc::new(
            [("Name".to_string(), "a.xml".to_string())].into(),
        ));
        let out = prepare(
            &info(),
            &given(&[
                ("input-file", "in/{{ current.Name }}"),
                ("output-files-format", "timestamp"),
            ]),
            &t,
            &scope,
            Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!(
            out,
            vec![
                ("input-file".to_string(), "/in/a.xml".to_string()),
                ("record-limit".to_string(), "200".to_string()),
                ("output-files-format".to_string(), "Timestamp".to_string()),
            ]
        );
        let five = Duration::from_secs(5);
        let err = prepare(
            &info(),
            &given(&[("input-file", "../../x")]),
            &t,
            &scope,
            five,
        )
        .unwrap_err();
        assert!(err.starts_with("setting `input-file`: path"), "{err}");
    }

    #[test]
    fn ranges_and_non_empty_are_enforced_statically_and_when_rendered() {
        let t = Templates::new();
        let problems = check_static(
            &info(),
            &given(&[("input-file", " "), ("record-limit", "-5")]),
            &t,
        );
        let messages: Vec<&str> = problems.iter().map(|p| p.1.as_str()).collect();
        assert!(
            messages.contains(&"setting `input-file`: must not be empty"),
            "{messages:?}"
        );
        assert!(
            messages.contains(&"setting `record-limit`: must be at least 1, got -5"),
            "{messages:?}"
        );
        assert!(
            check_static(
                &info(),
                &given(&[("input-file", "a"), ("record-limit", "1001")]),
                &t
            )[0]
            .1
            .contains("must be at most 1000, got 1001")
        );
        let mut scope = Scope::default();
        scope.current.push(std::sync::Arc::new(
            [
                ("Name".to_string(), String::new()),
                ("N".to_string(), "0".to_string()),
            ]
            .into(),
        ));
        let five = Duration::from_secs(5);
        let err = prepare(
            &info(),
            &given(&[("input-file", "{{ current.Name }}")]),
            &t,
            &scope,
            five,
        )
        .unwrap_err();
        assert_eq!(err, "setting `input-file`: must not be empty");
        let err = prepare(
            &info(),
            &given(&[("input-file", "a"), ("record-limit", "{{ current.N }}")]),
            &t,
            &scope,
            five,
        )
        .unwrap_err();
        assert_eq!(err, "setting `record-limit`: must be at least 1, got 0");
    }

    #[test]
    fn long_values_are_quoted_as_an_excerpt() {
        let t = Templates::new();
        let long = "y".repeat(100_000);
        let problems = check_static(
            &info(),
            &given(&[("input-file", "a"), ("record-limit", &long)]),
            &t,
        );
        assert!(problems[0].1.len() < 200, "{}", problems[0].1);
    }
}
