//! Auto Mapper (catalogue §2.12): transforms a file with a built-in XSLT 1.0 mapping between a
//! web shop's format and Zynk XML, or with a stylesheet file from the working directory (a
//! customised mapping). Parameters become top-level `xsl:param`s; `MapTo`/`MapFrom` use the
//! workflow's mappings.
//!
//! The built-in mappings are real `.xsl` files under `mappings/`, compiled into the component.

mod builtins;

pub use builtins::{BUILTINS, Builtin, builtin};

use wharf_guest::{SettingError, SettingSpec, Settings, Task, TaskInfo, TaskResult};
use wharf_xslt_task::{Env, Job, Source, parse_parameters, workdir_path};

/// The component; exported to the host on WebAssembly.
pub struct AutoMapper;

impl Task for AutoMapper {
    fn describe() -> TaskInfo {
        let names: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
        TaskInfo::new(
            "auto-mapper",
            "Transforms a file with a built-in mapping (web shop formats <-> Zynk XML) or a customised XSLT 1.0 stylesheet.",
        )
        .setting(SettingSpec::file("input-file", "The XML file to transform.").required().non_empty())
        .setting(
            SettingSpec::text(
                "mapping",
                format!(
                    "A built-in mapping ({}) or the path of a stylesheet file in the working directory.",
                    names.join(", ")
                ),
            )
            .required(),
        )
        .setting(SettingSpec::text(
            "parameters",
            "Stylesheet parameters, name=value;name=value (e.g. AccountReference=WEBSALES;TaxCode=1).",
        ))
        .setting(SettingSpec::file("output-file", "Where the result goes; replaced if it exists.").required().non_empty())
    }

    fn run(settings: Vec<(String, String)>) -> TaskResult {
        run(
            &Settings::new(settings).with_defaults(&Self::describe().settings),
            &Env::component(),
        )
    }
}

wharf_guest::export_task!(AutoMapper);

/// The task: settings in, result out.
pub fn run(settings: &Settings, env: &Env) -> TaskResult {
    let parsed = (|| {
        let input = settings.path("input-file")?;
        let output = settings.path("output-file")?;
        let mapping = settings.text("mapping")?.trim();
        if mapping.is_empty() {
            return Err(SettingError::new("mapping", "required but empty"));
        }
        let params = parse_parameters(
            "parameters",
            settings.optional_text("parameters").unwrap_or(""),
        )?;
        let source = match builtin(mapping) {
            Some(b) => Source::Builtin {
                name: b.name,
                text: b.stylesheet,
            },
            None => {
                let path = workdir_path(&env.root, "mapping", mapping)?;
                if !path.is_file() {
                    let names: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
                    return Err(SettingError::new(
                        "mapping",
                        format!(
                            "`{mapping}` is neither a built-in mapping ({}) nor a stylesheet file in the working directory",
                            names.join(", ")
                        ),
                    ));
                }
                Source::File(path)
            }
        };
        Ok::<_, SettingError>(Job {
            input,
            output,
            stylesheet: source,
            stylesheet_setting: "mapping",
            params,
        })
    })();
    match parsed {
        Ok(job) => wharf_xslt_task::run(&job, env),
        Err(e) => e.into(),
    }
}

#[cfg(test)]
mod tests;
