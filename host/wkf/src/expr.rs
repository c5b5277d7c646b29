//! Zynk setting values to Wharf templates: Razor expressions (`@Context.Current["Name"]`,
//! `@(DateTime.Now.ToString("yyyy-MM-dd"))` …), variable references and .NET date formats.
//! What has no exact equivalent is kept as literal text and flagged, never guessed.

use crate::model::ZValue;
use regex::Regex;
use std::sync::LazyLock;

/// A translated value: the template text, and why it needs a person's look if it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translated {
    pub text: String,
    pub flag: Option<String>,
}

impl Translated {
    fn exact(text: String) -> Self {
        Translated { text, flag: None }
    }
}

/// How a workflow variable is named in a template: by name when it is an identifier, else
/// through `vars` (`Url.Download` → `vars["Url.Download"]`).
pub fn variable_ref(key: &str) -> String {
    if is_identifier(key) {
        format!("{{{{ {key} }}}}")
    } else {
        format!("{{{{ vars[{}] }}}}", quoted(key))
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        // Names the template language or the engine's scope already use.
        && !matches!(
            s,
            "current" | "vars" | "globals" | "system" | "outputs" | "outer" | "true" | "false"
                | "none" | "and" | "or" | "not" | "in" | "is" | "if" | "else" | "loop"
        )
}

/// A string literal for a template expression.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Literal text as a template that renders to exactly that text.
pub fn literal(text: &str) -> String {
    if ["{{", "{%", "{#"].iter().any(|m| text.contains(m)) {
        format!("{{{{ {} }}}}", quoted(text))
    } else {
        text.to_string()
    }
}

/// A Zynk Object as a Wharf setting value.
pub fn translate(value: &ZValue) -> Translated {
    let mut out = match value.kind.as_str() {
        "VariableValue" => Translated::exact(variable_ref(&value.text)),
        "PreviousValue" => Translated {
            text: String::new(),
            flag: Some(
                "takes the previous task's output, which Wharf passes as outputs.<task id>.<name>: set it by hand"
                    .into(),
            ),
        },
        "ListValue" => {
            let items: Vec<Translated> = value.items.iter().map(translate).collect();
            Translated {
                text: items
                    .iter()
                    .map(|t| t.text.as_str())
                    .collect::<Vec<_>>()
                    .join(";"),
                flag: Some(format!(
                    "a list of {} values, written separated by `;`",
                    items.len()
                )),
            }
        }
        _ if value.razor => razor(&value.text),
        _ if LOOKS_LIKE_RAZOR.is_match(&value.text) => {
            let t = razor(&value.text);
            let why = "Use Razor Engine is off, so Zynk used this text as it stands; translated as the expression it plainly means";
            Translated {
                flag: Some(match t.flag {
                    Some(more) => format!("{why}; {more}"),
                    None => why.to_string(),
                }),
                text: t.text,
            }
        }
        _ => Translated::exact(literal(&value.text)),
    };
    if value.read_contents && out.flag.is_none() {
        out.flag = Some(
            "Read Contents of File: Wharf passes the path, not the file's text; the task must read it"
                .into(),
        );
    }
    out
}

static CONTEXT_ITEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^Context\.(Current|Workflow|Variables|Application|Template)\["([^"\\]*)"\]$"#)
        .expect("a valid pattern")
});
/// A Razor expression Zynk's samples use, also where Use Razor Engine was left off.
static LOOKS_LIKE_RAZOR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"@\(?(Context|DateTime)\.").expect("a valid pattern"));
static NOW_FORMAT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^DateTime\.(Now|UtcNow)\.ToString\("([^"\\]*)"\)$"#).expect("a valid pattern")
});

/// A Razor template as a Wharf template.
pub fn razor(text: &str) -> Translated {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut literal_run = String::new();
    let mut untranslated: Vec<String> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '@' {
            literal_run.push(chars[i]);
            i += 1;
            continue;
        }
        if chars.get(i + 1) == Some(&'@') {
            literal_run.push('@');
            i += 2;
            continue;
        }
        let (expression, end) = match chars.get(i + 1) {
            Some('(') => match matching_any(&chars, i + 1) {
                Some(close) => (chars[i + 2..close].iter().collect::<String>(), close + 1),
                None => (chars[i + 1..].iter().collect(), chars.len()),
            },
            Some(c) if c.is_alphabetic() || *c == '_' => {
                let end = implicit_end(&chars, i + 1);
                (chars[i + 1..end].iter().collect(), end)
            }
            // An `@` not starting an expression (an e-mail address) stays as it is.
            _ => {
                literal_run.push('@');
                i += 1;
                continue;
            }
        };
        match expression_template(expression.trim()) {
            Some(template) => {
                out.push_str(&literal(&literal_run));
                literal_run.clear();
                out.push_str(&template);
            }
            None => {
                let original: String = chars[i..end].iter().collect();
                literal_run.push_str(&original);
                untranslated.push(original);
            }
        }
        i = end;
    }
    out.push_str(&literal(&literal_run));
    Translated {
        text: out,
        flag: (!untranslated.is_empty()).then(|| {
            format!(
                "Razor {} no Wharf equivalent; kept as literal text",
                match untranslated.as_slice() {
                    [one] => format!("`{one}` has"),
                    many => format!("`{}` have", many.join("`, `")),
                }
            )
        }),
    }
}

/// The template for one Razor expression, if there is an exact one.
fn expression_template(expression: &str) -> Option<String> {
    if let Some(c) = CONTEXT_ITEM.captures(expression) {
        let key = &c[2];
        return Some(match &c[1] {
            "Current" if is_identifier(key) => format!("{{{{ current.{key} }}}}"),
            "Current" => format!("{{{{ current[{}] }}}}", quoted(key)),
            "Workflow" | "Variables" => variable_ref(key),
            "Application" => format!("{{{{ globals[{}] }}}}", quoted(key)),
            // Template variables belong to the Razor Template task, which Wharf lacks.
            _ => return None,
        });
    }
    if let Some(c) = NOW_FORMAT.captures(expression) {
        let format = strftime(&c[2])?;
        let function = if &c[1] == "Now" { "now" } else { "utcnow" };
        return Some(format!("{{{{ {function}({}) }}}}", quoted(&format)));
    }
    None
}

/// Where an implicit Razor expression (`@Context.Current["Name"]`) ends: identifiers joined by
/// dots, each optionally followed by bracketed or parenthesised arguments. A dot not followed by
/// an identifier ends it (`@Context.Current["Name"].xml` is the name then `.xml`).
fn implicit_end(chars: &[char], start: usize) -> usize {
    let mut i = start;
    loop {
        while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
            i += 1;
        }
        while i < chars.len() && (chars[i] == '[' || chars[i] == '(') {
            match matching_any(chars, i) {
                Some(close) => i = close + 1,
                None => return chars.len(),
            }
        }
        if chars.get(i) == Some(&'.')
            && chars
                .get(i + 1)
                .is_some_and(|c| c.is_alphabetic() || *c == '_')
        {
            i += 1;
        } else {
            return i;
        }
    }
}

/// Index of the bracket closing the `(` or `[` at `open`, skipping string literals.
fn matching_any(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut i = open;
    while i < chars.len() {
        let c = chars[i];
        if in_string {
            if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if c == '(' || c == '[' {
            depth += 1;
        } else if c == ')' || c == ']' {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

/// A .NET custom date format as a strftime format, when every part has an exact equivalent.
pub fn strftime(format: &str) -> Option<String> {
    let chars: Vec<char> = format.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let run = chars[i..].iter().take_while(|x| **x == c).count();
        let piece = match (c, run) {
            ('y', 4) => "%Y",
            ('y', 2) => "%y",
            ('M', 4) => "%B",
            ('M', 3) => "%b",
            ('M', 2) => "%m",
            ('d', 4) => "%A",
            ('d', 3) => "%a",
            ('d', 2) => "%d",
            ('H', 2) => "%H",
            ('h', 2) => "%I",
            ('m', 2) => "%M",
            ('s', 2) => "%S",
            ('f', 3) => "%3f",
            ('f', 6) => "%6f",
            ('f', 7) => "%.7f",
            ('t', 2) => "%p",
            ('\'', _) | ('"', _) => {
                // A quoted literal runs to the matching quote.
                let close = chars[i + 1..].iter().position(|x| *x == c)? + i + 1;
                for l in &chars[i + 1..close] {
                    push_literal(&mut out, *l);
                }
                i = close + 1;
                continue;
            }
            ('\\', _) => {
                push_literal(&mut out, *chars.get(i + 1)?);
                i += 2;
                continue;
            }
            (c, _) if c.is_ascii_alphabetic() => return None,
            (c, _) => {
                for _ in 0..run {
                    push_literal(&mut out, c);
                }
                i += run;
                continue;
            }
        };
        if piece == "%.7f" {
            // chrono has no 7-digit fraction; .NET's ticks have no exact equivalent.
            return None;
        }
        out.push_str(piece);
        i += run;
    }
    Some(out)
}

fn push_literal(out: &mut String, c: char) {
    if c == '%' {
        out.push_str("%%");
    } else {
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn z(kind: &str, razor: bool, text: &str) -> ZValue {
        ZValue {
            kind: kind.into(),
            razor,
            read_contents: false,
            text: text.into(),
            items: vec![],
        }
    }

    #[test]
    fn context_items_become_template_variables() {
        assert_eq!(
            razor(r#"@Context.Current["Name"]"#).text,
            "{{ current.Name }}"
        );
        assert_eq!(
            razor(r#"/download/processed/@(Context.Current["Name"])"#).text,
            "/download/processed/{{ current.Name }}"
        );
        assert_eq!(
            razor(r#"@(Context.Current["NameWithoutExtension"])_success.xml"#).text,
            "{{ current.NameWithoutExtension }}_success.xml"
        );
        assert_eq!(
            razor(r#"@Context.Current["Name"]_done.xml"#).text,
            "{{ current.Name }}_done.xml"
        );
        // Razor reads `.xml` as a member of the value (hence Zynk's advice to write `@(…)`).
        assert!(razor(r#"@Context.Current["Name"].xml"#).flag.is_some());
        assert_eq!(
            razor(r#"@(Context.Workflow["Url.Download"])?x=1"#).text,
            r#"{{ vars["Url.Download"] }}?x=1"#
        );
        assert_eq!(
            razor(r#"@Context.Variables["Folder"]"#).text,
            "{{ Folder }}"
        );
        assert_eq!(
            razor(r#"@Context.Application["Command Line 1"]"#).text,
            r#"{{ globals["Command Line 1"] }}"#
        );
        assert_eq!(razor("sales@@example.com").text, "sales@example.com");
        assert_eq!(razor("a@ b").text, "a@ b");
    }

    #[test]
    fn dates_become_now_with_strftime_formats() {
        let t = razor(r#"products_@(DateTime.Now.ToString("yyyy-MM-dd_HH-mm-ss")).xml"#);
        assert_eq!(t.text, r#"products_{{ now("%Y-%m-%d_%H-%M-%S") }}.xml"#);
        assert_eq!(t.flag, None);
        assert_eq!(
            strftime("dd/MM/yyyy 'at' HH:mm"),
            Some("%d/%m/%Y at %H:%M".into())
        );
        assert_eq!(
            strftime("yyyyMMddHHmmssfff"),
            Some("%Y%m%d%H%M%S%3f".into())
        );
        assert_eq!(strftime("100%"), Some("100%%".into()));
        // One-letter specifiers and ticks have no exact equivalent.
        assert_eq!(strftime("d/M/yy"), None);
        assert_eq!(strftime("yyyyMMddHHmmssfffffff"), None);
    }

    #[test]
    fn anything_else_is_kept_literally_and_flagged() {
        let t = razor(r#"@(Context.Object.SelectSingleNode("Id").InnerText).xml"#);
        assert_eq!(
            t.text,
            r#"@(Context.Object.SelectSingleNode("Id").InnerText).xml"#
        );
        assert!(t.flag.unwrap().contains("SelectSingleNode"));
        let t = razor(r#"@DateTime.Now.ToString("d/M")"#);
        assert!(t.flag.is_some());
        // An unclosed parenthesis is kept, not a panic.
        assert!(razor("@(Context.Current[").flag.is_some());
        assert!(razor("@").flag.is_none());
    }

    #[test]
    fn values_by_kind() {
        assert_eq!(translate(&z("FileValue", false, "a.xml")).text, "a.xml");
        assert_eq!(
            translate(&z("StaticValue", false, "{{ not a template }}")).text,
            r#"{{ "{{ not a template }}" }}"#
        );
        assert_eq!(
            translate(&z("VariableValue", false, "Url.Download")).text,
            r#"{{ vars["Url.Download"] }}"#
        );
        assert_eq!(
            translate(&z("VariableValue", false, "Folder")).text,
            "{{ Folder }}"
        );
        assert!(translate(&z("PreviousValue", false, "")).flag.is_some());
        // Razor left off by mistake: translated, and flagged.
        let t = translate(&z("FileValue", false, r#"@(Context.Current["FullName"])"#));
        assert_eq!(t.text, "{{ current.FullName }}");
        assert!(t.flag.unwrap().contains("Use Razor Engine is off"));
        assert_eq!(
            translate(&z("StaticValue", false, "sales@example.com")).flag,
            None
        );
        let mut list = z("ListValue", false, "");
        list.items = vec![
            z("FileValue", false, "a.xml"),
            z("FileValue", false, "b.xml"),
        ];
        let t = translate(&list);
        assert_eq!(t.text, "a.xml;b.xml");
        assert!(t.flag.is_some());
    }
}
