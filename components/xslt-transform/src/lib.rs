//! XSLT Transform (docs/zynk-reference.md §4.8 `Zynk.Documents.XML.XsltTransform`): transforms an XML file
//! with a stylesheet file from the working directory. Parameters become top-level
//! `xsl:param`s; `MapTo`/`MapFrom` use the workflow's mappings. `wharf xslt` runs this
//! component to try a stylesheet from the command line.

use std::path::PathBuf;

use wharf_guest::{TaskError, TaskResult, TaskSettings, TypedTask};
use wharf_xslt_task::{Env, Job, Parameters, Source};

/// The settings of `xslt-transform`.
#[derive(Debug, Clone, TaskSettings)]
pub struct XsltTransformSettings {
    /// The XML file to transform.
    pub input_file: PathBuf,
    /// The XSLT 1.0 stylesheet.
    pub xslt_file: PathBuf,
    /// Stylesheet parameters, name=value;name=value.
    pub parameters: Parameters,
    /// Where the result goes; replaced if it exists.
    pub output_file: PathBuf,
}

/// The component; exported to the host on WebAssembly.
pub struct XsltTransform;

impl TypedTask for XsltTransform {
    const NAME: &'static str = "xslt-transform";
    const DOC: &'static str =
        "Transforms an XML file with an XSLT 1.0 stylesheet from the working directory.";
    type Settings = XsltTransformSettings;

    fn run(settings: XsltTransformSettings) -> Result<TaskResult, TaskError> {
        Ok(run(&settings, &Env::component()))
    }
}

wharf_guest::export_task!(XsltTransform);

/// The task: settings in, result out.
pub fn run(settings: &XsltTransformSettings, env: &Env) -> TaskResult {
    let job = Job {
        input: settings.input_file.clone(),
        output: settings.output_file.clone(),
        stylesheet: Source::File(settings.xslt_file.clone()),
        stylesheet_setting: "xslt-file",
        params: settings.parameters.0.clone(),
    };
    wharf_xslt_task::run(&job, env)
}

#[cfg(test)]
mod tests;
