//! Comparing what a run left with what the case expects, each difference said in words (and a
//! unified diff where a text differs).

use crate::Difference;
use crate::case::{Expect, ResultKey, Rows, TextCheck, TextChecks};
use crate::xml::ElementPath;
use std::path::Path;
use wharf_engine::{RunRecord, TaskRecord};

/// At most this many actual rows are shown when an expected row matches none.
const ROWS_SHOWN: usize = 5;

#[derive(Default)]
pub struct Differences(Vec<Difference>);

impl Differences {
    pub fn add(&mut self, place: impl Into<String>, detail: impl Into<String>) {
        self.0.push(Difference {
            place: place.into(),
            detail: detail.into(),
        });
    }

    pub fn into_vec(self) -> Vec<Difference> {
        self.0
    }
}

/// Compares a count of `what` (entries, files, …).
pub fn count(d: &mut Differences, place: &str, what: &str, expected: usize, found: usize) {
    if found != expected {
        d.add(place, format!("expected {expected} {what}, found {found}"));
    }
}

/// Checks that a text check's patterns and element paths are well-formed.
pub fn validate(checks: &TextChecks) -> Result<(), String> {
    if let Some(pattern) = &checks.matches {
        regex::Regex::new(pattern).map_err(|e| format!("matches: {e}"))?;
    }
    for path in checks.xml.keys().chain(checks.xml_count.keys()) {
        ElementPath::parse(path).map_err(|e| format!("xml: {e}"))?;
    }
    Ok(())
}

/// Compares `actual` (`None`: it does not exist) with `expected`.
pub fn text(
    d: &mut Differences,
    place: &str,
    actual: Option<&[u8]>,
    expected: &TextCheck,
    case_dir: &Path,
) {
    let checks = &expected.checks;
    let Some(actual) = actual else {
        if checks.exists != Some(false) {
            d.add(place, "expected it to exist; it does not");
        }
        return;
    };
    if checks.exists == Some(false) {
        d.add(place, "expected it not to exist; it does");
        return;
    }
    let text = String::from_utf8_lossy(actual);
    if let Some(exact) = &expected.exact {
        same(d, place, exact, &text);
    }
    if let Some(file) = &checks.same_as {
        match std::fs::read(case_dir.join(file)) {
            Ok(bytes) => same(d, place, &String::from_utf8_lossy(&bytes), &text),
            Err(e) => d.add(place, format!("reading {}: {e}", file.display())),
        }
    }
    for piece in &checks.contains {
        if !text.contains(piece.as_str()) {
            d.add(place, format!("does not contain `{piece}`{}", shown(&text)));
        }
    }
    for piece in &checks.not_contains {
        if text.contains(piece.as_str()) {
            d.add(place, format!("contains `{piece}`{}", shown(&text)));
        }
    }
    if let Some(pattern) = &checks.matches
        && let Ok(regex) = regex::Regex::new(pattern)
        && !regex.is_match(&text)
    {
        d.add(place, format!("does not match /{pattern}/{}", shown(&text)));
    }
    if let Some(lines) = checks.lines {
        let found = text.lines().count();
        if found != lines {
            d.add(place, format!("expected {lines} lines, found {found}"));
        }
    }
    for (path, values) in &checks.xml {
        if let Some(found) = select(d, place, path, actual)
            && found != values.0
        {
            d.add(
                place,
                format!("`{path}`: expected {:?}, found {found:?}", values.0),
            );
        }
    }
    for (path, count) in &checks.xml_count {
        if let Some(found) = select(d, place, path, actual)
            && found.len() != *count
        {
            d.add(
                place,
                format!("`{path}`: expected {count} elements, found {}", found.len()),
            );
        }
    }
}

fn select(d: &mut Differences, place: &str, path: &str, xml: &[u8]) -> Option<Vec<String>> {
    let selected = ElementPath::parse(path).and_then(|p| p.select(xml));
    match selected {
        Ok(found) => Some(found),
        Err(e) => {
            d.add(place, format!("`{path}`: {e}"));
            None
        }
    }
}

/// A short text in full, after a colon; a long one is left to a diff or a file.
fn shown(text: &str) -> String {
    if text.len() <= 200 && !text.contains('\n') {
        format!(": `{text}`")
    } else {
        String::new()
    }
}

fn same(d: &mut Differences, place: &str, expected: &str, actual: &str) {
    if expected == actual {
        return;
    }
    if !expected.contains('\n') && !actual.contains('\n') {
        d.add(place, format!("expected `{expected}`, found `{actual}`"));
        return;
    }
    let diff = similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(2)
        .header("expected", "actual")
        .to_string();
    d.add(place, format!("content differs:\n{}", diff.trim_end()));
}

/// Compares a run record with the run-level and per-task expectations.
pub fn record(d: &mut Differences, label: &str, record: &RunRecord, expect: &Expect, dir: &Path) {
    if let Some(ResultKey(result)) = &expect.result
        && record.result != *result
    {
        d.add(
            format!("{label}: result"),
            format!(
                "expected {}, found {}: {}",
                result.key(),
                record.result.key(),
                record.message
            ),
        );
    }
    if let Some(message) = &expect.message {
        text(
            d,
            &format!("{label}: message"),
            Some(record.message.as_bytes()),
            message,
            dir,
        );
    }
    if let Some(notices) = &expect.notices {
        let text_of = record.notices.join("\n");
        text(
            d,
            &format!("{label}: notices"),
            Some(text_of.as_bytes()),
            notices,
            dir,
        );
    }
    for (field, expected, actual) in [
        ("resume-at", &expect.resume_at, &record.resume_at),
        ("resumed-from", &expect.resumed_from, &record.resumed_from),
    ] {
        let Some(expected) = expected else { continue };
        let actual = actual.as_deref().unwrap_or("none");
        if expected != actual {
            d.add(
                format!("{label}: {field}"),
                format!("expected {expected}, found {actual}"),
            );
        }
    }
    for (id, expected) in &expect.tasks {
        let place = format!("{label}: task `{id}`");
        let runs: Vec<&TaskRecord> = record.tasks.iter().filter(|t| t.id == *id).collect();
        if let Some(executions) = expected.executions
            && runs.len() != executions
        {
            d.add(
                &place,
                format!(
                    "expected {executions} executions, found {}{}",
                    runs.len(),
                    ran(record)
                ),
            );
            continue;
        }
        let needs_a_run =
            expected.result.is_some() || expected.message.is_some() || !expected.outputs.is_empty();
        if runs.is_empty() && needs_a_run {
            d.add(&place, format!("it did not run{}", ran(record)));
            continue;
        }
        if let Some(ResultKey(result)) = &expected.result {
            for run in runs.iter().filter(|t| t.result != *result) {
                d.add(
                    &place,
                    format!(
                        "expected {}, found {}{}: {}",
                        result.key(),
                        run.result.key(),
                        iteration(run),
                        run.message
                    ),
                );
            }
        }
        if let Some(results) = &expected.results {
            let found: Vec<&str> = runs.iter().map(|t| t.result.key()).collect();
            let wanted: Vec<&str> = results.iter().map(|r| r.0.key()).collect();
            if found != wanted {
                d.add(
                    &place,
                    format!("expected results {wanted:?}, found {found:?}"),
                );
            }
        }
        let mut counts = wharf_engine::record::Counts::default();
        for run in &runs {
            counts.add(run.counts);
        }
        for (name, expected, actual) in [
            ("records-in", expected.records_in, counts.records_in),
            ("records-out", expected.records_out, counts.records_out),
            (
                "records-failed",
                expected.records_failed,
                counts.records_failed,
            ),
        ] {
            if let Some(expected) = expected
                && expected != actual
            {
                d.add(
                    &place,
                    format!("{name}: expected {expected}, found {actual}"),
                );
            }
        }
        if let Some(message) = &expected.message {
            for run in &runs {
                let at = format!("{place}{}: message", iteration(run));
                text(d, &at, Some(run.message.as_bytes()), message, dir);
            }
        }
        if let Some(last) = runs.last() {
            for (name, expected) in &expected.outputs {
                let value = last.outputs.iter().find(|(n, _)| n == name).map(|(_, v)| v);
                let at = format!("{place}: output `{name}`");
                text(d, &at, value.map(String::as_bytes), expected, dir);
            }
        }
        if let Some(iterations) = &expected.iterations {
            let found: Vec<&Vec<usize>> = runs.iter().map(|t| &t.iteration).collect();
            if found.iter().copied().ne(iterations.iter()) {
                d.add(
                    &place,
                    format!("iterations: expected {iterations:?}, found {found:?}"),
                );
            }
        }
    }
}

/// ` (item 2)` for an execution inside a repeater.
fn iteration(run: &TaskRecord) -> String {
    if run.iteration.is_empty() {
        String::new()
    } else {
        let items: Vec<String> = run.iteration.iter().map(|i| i.to_string()).collect();
        format!(" (item {})", items.join("."))
    }
}

/// What did run, to find a misspelt task id by.
fn ran(record: &RunRecord) -> String {
    let mut ids: Vec<&str> = record.tasks.iter().map(|t| t.id.as_str()).collect();
    ids.dedup();
    format!(" (tasks that ran: {})", ids.join(", "))
}

/// Checks the row count and that each expected row matches a distinct actual row.
pub fn rows(d: &mut Differences, place: &str, expected: &Rows, actual: Vec<serde_json::Value>) {
    if let Some(count) = expected.count
        && actual.len() != count
    {
        d.add(
            place,
            format!("expected {count} rows, found {}", actual.len()),
        );
    }
    let mut unused: Vec<Option<serde_json::Value>> = actual.into_iter().map(Some).collect();
    for wanted in &expected.include {
        let wanted_value = serde_json::Value::Object(wanted.clone());
        let found = unused
            .iter_mut()
            .find(|row| row.as_ref().is_some_and(|row| matches(&wanted_value, row)));
        match found {
            Some(row) => *row = None,
            None => {
                // The candidates, cut to the fields asked for, so the near miss shows.
                let near: Vec<String> = unused
                    .iter()
                    .flatten()
                    .take(ROWS_SHOWN)
                    .map(|row| {
                        let cut: serde_json::Map<String, serde_json::Value> = wanted
                            .keys()
                            .map(|k| (k.clone(), row.get(k).cloned().unwrap_or_default()))
                            .collect();
                        serde_json::Value::Object(cut).to_string()
                    })
                    .collect();
                d.add(
                    place,
                    format!(
                        "no row matches {wanted_value}; rows left: {}",
                        if near.is_empty() {
                            "none".to_owned()
                        } else {
                            near.join(", ")
                        }
                    ),
                );
            }
        }
    }
}

/// Whether `actual` has every field of `expected` with the same value. Numbers compare by
/// value (YAML `5` matches JSON `5.0`), and a string matches a number it spells.
fn matches(expected: &serde_json::Value, actual: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|found| matches(v, found))),
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(e, a)| matches(e, a))
        }
        (Value::Number(e), Value::Number(a)) => e.as_f64() == a.as_f64(),
        (Value::String(e), Value::Number(a)) | (Value::Number(a), Value::String(e)) => {
            e.parse::<f64>().ok() == a.as_f64()
        }
        _ => expected == actual,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_match_by_the_fields_named_and_numbers_by_value() {
        assert!(matches(&json!({"a": 5}), &json!({"a": 5.0, "b": 1})));
        assert!(matches(&json!({"a": "5"}), &json!({"a": 5})));
        assert!(!matches(&json!({"a": 5}), &json!({"b": 5})));
        assert!(!matches(&json!({"a": [1]}), &json!({"a": [1, 2]})));
        let mut d = Differences::default();
        let expected = Rows {
            count: Some(2),
            include: vec![
                json!({"k": "x"}).as_object().unwrap().clone(),
                json!({"k": "x"}).as_object().unwrap().clone(),
            ],
        };
        rows(
            &mut d,
            "rows",
            &expected,
            vec![json!({"k": "x"}), json!({"k": "y"})],
        );
        // One row cannot match two expected rows.
        let found = d.into_vec();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].detail.contains(r#"{"k":"y"}"#), "{}", found[0]);
    }

    #[test]
    fn a_differing_text_shows_a_diff() {
        let mut d = Differences::default();
        let expected = TextCheck {
            exact: Some("a\nb\nc\n".into()),
            checks: TextChecks::default(),
        };
        text(
            &mut d,
            "file",
            Some(b"a\nB\nc\n"),
            &expected,
            Path::new("."),
        );
        let found = d.into_vec();
        assert_eq!(found.len(), 1);
        assert!(found[0].detail.contains("-b\n+B"), "{}", found[0].detail);
    }
}
