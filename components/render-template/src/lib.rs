//! Render Template (docs/file-tasks.md): Zynk's Razor Template task with Wharf's template
//! language. The host renders the template file with the variables of the task's place in the
//! run, within the same bounds as a setting template (wit/template.wit); the task writes the
//! result to the output file.

use std::path::PathBuf;

use wharf_documents::{
    task::{file_failure, setting_failure, write_output},
    timestamp::TimestampSettings,
};
use wharf_guest::{SettingError, TaskError, TaskResult, TaskSettings, TypedTask, template};

/// The settings of `render-template`.
#[derive(Debug, Clone, TaskSettings)]
pub struct RenderTemplateSettings {
    /// The template: text with `{{ … }}` and `{% … %}` as in settings (UTF-8).
    pub template_file: PathBuf,
    /// The file to write (replaced if it exists).
    pub output_file: PathBuf,
    /// `Name=value` pairs separated by `;` or line breaks, available as `{{ template.Name }}`.
    pub template_variables: Option<String>,
    #[setting(flatten)]
    pub timestamp: TimestampSettings,
}

/// The component; exported to the host on WebAssembly.
pub struct RenderTemplate;

impl TypedTask for RenderTemplate {
    const NAME: &'static str = "render-template";
    const DOC: &'static str = "Renders a file from a template and the run's variables.";
    type Settings = RenderTemplateSettings;

    fn run(settings: RenderTemplateSettings) -> Result<TaskResult, TaskError> {
        run(&settings)
    }
}

wharf_guest::export_task!(RenderTemplate);

/// Reads `Name=value;Name=value` (or one pair a line); a name may not be empty or repeat.
pub fn parse_variables(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for item in text
        .split([';', '\n'])
        .map(str::trim)
        .filter(|i| !i.is_empty())
    {
        let (name, value) = item
            .split_once('=')
            .ok_or_else(|| format!("`{item}` is not `Name=value`"))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(format!("`{item}` has no name before `=`"));
        }
        if pairs.iter().any(|(n, _)| n == name) {
            return Err(format!("`{name}` is given twice"));
        }
        pairs.push((name.to_string(), value.trim().to_string()));
    }
    Ok(pairs)
}

/// The task: settings in, result out.
pub fn run(settings: &RenderTemplateSettings) -> Result<TaskResult, TaskError> {
    let variables = parse_variables(settings.template_variables.as_deref().unwrap_or_default())
        .map_err(|e| SettingError::new("template-variables", e))?;
    let source = &settings.template_file;
    let bytes = std::fs::read(source).map_err(|e| file_failure("template-file", source, &e))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        setting_failure(
            "template-file",
            format!("`{}` is not UTF-8 text: {e}", source.display()),
        )
    })?;
    let rendered = template::render(&text, &variables)
        .map_err(|e| setting_failure("template-file", format!("`{}` {e}", source.display())))?;
    let output = settings.timestamp.name(&settings.output_file)?;
    write_output(&output, "output-file", |out| {
        use std::io::Write;
        out.write_all(rendered.as_bytes())
            .map_err(|e| setting_failure("output-file", e))
    })?;
    Ok(TaskResult::success(format!(
        "rendered `{}` into `{}` ({} bytes)",
        source.display(),
        output.display(),
        rendered.len()
    ))
    .with_counts(1, 1, 0)
    .with_output("output-file", output.display().to_string()))
}

#[cfg(test)]
mod tests {
    use std::fs;

    use wharf_guest::{ResultCode, testing};

    use super::*;

    /// Stands in for the host: `{{ template.X }}` only, undefined names refused.
    fn host_stand_in() {
        template::set_native_renderer(Box::new(|text, vars| {
            let mut out = text.to_string();
            for (name, value) in vars {
                out = out.replace(&format!("{{{{ template.{name} }}}}"), value);
            }
            if out.contains("{{") {
                return Err("uses an undefined variable".into());
            }
            Ok(out)
        }));
    }

    fn run_with(pairs: &[(&str, &str)]) -> TaskResult {
        testing::run::<RenderTemplate, _, _>(pairs)
    }

    #[test]
    fn every_setting() {
        let names: Vec<String> = testing::describe::<RenderTemplate>()
            .settings
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(
            names,
            [
                "template-file",
                "output-file",
                "template-variables",
                "prepend-timestamp",
                "timestamp-format"
            ]
        );
        host_stand_in();
        let dir = tempfile::tempdir().unwrap();
        let template_file = dir.path().join("mail.html");
        fs::write(
            &template_file,
            "<p>Hi {{ template.Forename }}, {{ template.Email }}</p>",
        )
        .unwrap();
        let output = dir.path().join("out/mail.html");
        let result = run_with(&[
            ("template-file", template_file.to_str().unwrap()),
            ("output-file", output.to_str().unwrap()),
            ("template-variables", "Forename=Jim; Email = jim@a1.example"),
            ("prepend-timestamp", "true"),
            ("timestamp-format", "yyyy"),
        ]);
        assert_eq!(result.code, ResultCode::Success, "{}", result.message);
        let written: Vec<_> = fs::read_dir(dir.path().join("out"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(written.len(), 1);
        assert_eq!(
            fs::read_to_string(&written[0]).unwrap(),
            "<p>Hi Jim, jim@a1.example</p>"
        );
    }

    #[test]
    fn mistakes_name_the_setting() {
        host_stand_in();
        let dir = tempfile::tempdir().unwrap();
        let template_file = dir.path().join("t.txt");
        fs::write(&template_file, "{{ template.Nope }}").unwrap();
        let output = dir.path().join("o.txt");
        let (t, o) = (template_file.to_str().unwrap(), output.to_str().unwrap());
        let result = run_with(&[("template-file", t), ("output-file", o)]);
        assert_eq!(result.code, ResultCode::Fail);
        assert!(
            result.message.starts_with("setting `template-file`")
                && result.message.contains("undefined"),
            "{}",
            result.message
        );
        assert!(!output.exists());
        let result = run_with(&[
            ("template-file", t),
            ("output-file", o),
            ("template-variables", "NoEquals"),
        ]);
        assert!(
            result.message.contains("`template-variables`"),
            "{}",
            result.message
        );
        let result = run_with(&[
            ("template-file", t),
            ("output-file", o),
            ("template-variables", "A=1;A=2"),
        ]);
        assert!(result.message.contains("twice"), "{}", result.message);
        let missing = dir.path().join("none.txt");
        let result = run_with(&[
            ("template-file", missing.to_str().unwrap()),
            ("output-file", o),
        ]);
        assert_eq!(result.code, ResultCode::NotFound);
        fs::write(&template_file, b"\xff").unwrap();
        let result = run_with(&[("template-file", t), ("output-file", o)]);
        assert!(result.message.contains("not UTF-8"), "{}", result.message);
    }
}
