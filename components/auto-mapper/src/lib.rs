//! Auto Mapper (docs/zynk-reference.md §2.12): transforms a file with a built-in XSLT 1.0 mapping between a
//! web shop's format and Zynk XML, or with a stylesheet file from the working directory (a
//! customised mapping). Parameters become top-level `xsl:param`s; `MapTo`/`MapFrom` use the
//! workflow's mappings.
//!
//! The built-in mappings are real `.xsl` files under `mappings/`, compiled into the component.

mod builtins;

pub use builtins::{BUILTINS, Builtin, builtin};

use std::path::PathBuf;

use wharf_guest::{SettingError, TaskError, TaskResult, TaskSettings, TypedTask};
use wharf_xslt_task::{Env, Job, Parameters, Source, workdir_path};

/// The settings of `auto-mapper`.
#[derive(Debug, Clone, TaskSettings)]
pub struct AutoMapperSettings {
    /// The XML file to transform.
    pub input_file: PathBuf,
    /// A built-in mapping (magento-orders-to-zynk, zynk-orders-to-magento,
    /// zynk-products-to-magento-inventory, bigcommerce-orders-to-zynk,
    /// zynk-orders-to-bigcommerce-status, zynk-products-to-bigcommerce-inventory,
    /// amazon-orders-to-zynk, zynk-products-to-amazon-inventory, zynk-products-to-amazon-prices)
    /// or the path of a stylesheet file in the working directory.
    pub mapping: String,
    /// Stylesheet parameters, name=value;name=value (e.g. AccountReference=WEBSALES;TaxCode=1).
    pub parameters: Parameters,
    /// Where the result goes; replaced if it exists.
    pub output_file: PathBuf,
}

/// The component; exported to the host on WebAssembly.
pub struct AutoMapper;

impl TypedTask for AutoMapper {
    const NAME: &'static str = "auto-mapper";
    const DOC: &'static str = "Transforms a file with a built-in mapping (web shop formats <-> Zynk XML) or a customised XSLT 1.0 stylesheet.";
    type Settings = AutoMapperSettings;

    fn run(settings: AutoMapperSettings) -> Result<TaskResult, TaskError> {
        Ok(run(&settings, &Env::component()))
    }
}

wharf_guest::export_task!(AutoMapper);

/// The task: settings in, result out.
pub fn run(settings: &AutoMapperSettings, env: &Env) -> TaskResult {
    let mapping = settings.mapping.trim();
    let source = (|| {
        if mapping.is_empty() {
            return Err(SettingError::new("mapping", "required but empty"));
        }
        Ok(match builtin(mapping) {
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
        })
    })();
    match source {
        Ok(stylesheet) => wharf_xslt_task::run(
            &Job {
                input: settings.input_file.clone(),
                output: settings.output_file.clone(),
                stylesheet,
                stylesheet_setting: "mapping",
                params: settings.parameters.0.clone(),
            },
            env,
        ),
        Err(e) => e.into(),
    }
}

#[cfg(test)]
mod tests;
