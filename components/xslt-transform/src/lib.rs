//! XSLT Transform (catalogue §4.8 `Zynk.Documents.XML.XsltTransform`): transforms an XML file
//! with a stylesheet file from the working directory. Parameters become top-level
//! `xsl:param`s; `MapTo`/`MapFrom` use the workflow's mappings. `wharf xslt` runs this
//! component to try a stylesheet from the command line.

use wharf_guest::{SettingError, SettingSpec, Settings, Task, TaskInfo, TaskResult};
use wharf_xslt_task::{Env, Job, Source, parse_parameters};

/// The component; exported to the host on WebAssembly.
pub struct XsltTransform;

impl Task for XsltTransform {
    fn describe() -> TaskInfo {
        TaskInfo::new(
            "xslt-transform",
            "Transforms an XML file with an XSLT 1.0 stylesheet from the working directory.",
        )
        .setting(
            SettingSpec::file("input-file", "The XML file to transform.")
                .required()
                .non_empty(),
        )
        .setting(
            SettingSpec::file("xslt-file", "The XSLT 1.0 stylesheet.")
                .required()
                .non_empty(),
        )
        .setting(SettingSpec::text(
            "parameters",
            "Stylesheet parameters, name=value;name=value.",
        ))
        .setting(
            SettingSpec::file(
                "output-file",
                "Where the result goes; replaced if it exists.",
            )
            .required()
            .non_empty(),
        )
    }

    fn run(settings: Vec<(String, String)>) -> TaskResult {
        run(
            &Settings::new(settings).with_defaults(&Self::describe().settings),
            &Env::component(),
        )
    }
}

wharf_guest::export_task!(XsltTransform);

/// The task: settings in, result out.
pub fn run(settings: &Settings, env: &Env) -> TaskResult {
    let parsed = (|| {
        Ok::<_, SettingError>(Job {
            input: settings.path("input-file")?,
            output: settings.path("output-file")?,
            stylesheet: Source::File(settings.path("xslt-file")?),
            stylesheet_setting: "xslt-file",
            params: parse_parameters(
                "parameters",
                settings.optional_text("parameters").unwrap_or(""),
            )?,
        })
    })();
    match parsed {
        Ok(job) => wharf_xslt_task::run(&job, env),
        Err(e) => e.into(),
    }
}

#[cfg(test)]
mod tests;
