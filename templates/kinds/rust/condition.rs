//! The Wharf component: a condition (world `condition-task`) around [`mapping`]. True when the
//! document holds at least `minimum-consignments` consignments: the host then runs the task's
//! children, else its `else:` branch.

pub mod mapping;

use std::path::PathBuf;

use wharf_guest::{TaskError, TaskSettings, TypedCondition};

/// The settings of `carrier-csv`.
#[derive(Debug, Clone, TaskSettings)]
pub struct CarrierCsvSettings {
    /// The Zynk XML document with the sales orders.
    pub input_file: PathBuf,
    /// How many consignments make it true.
    #[setting(default = 1, range = 0..)]
    pub minimum_consignments: usize,
}

/// The component; exported to the host on WebAssembly.
pub struct CarrierCsv;

impl TypedCondition for CarrierCsv {
    const NAME: &'static str = "carrier-csv";
    const DOC: &'static str =
        "True when a Zynk XML document holds at least `minimum-consignments` consignments.";
    type Settings = CarrierCsvSettings;

    fn evaluate(settings: CarrierCsvSettings) -> Result<bool, TaskError> {
        let input = settings.input_file.display();
        let document = std::fs::read(&settings.input_file).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                TaskError::not_found(format!("setting `input-file`: {input}: no such file"))
            }
            _ => TaskError::fail(format!("setting `input-file`: {input}: {e}")),
        })?;
        let found = mapping::consignments(&String::from_utf8_lossy(&document), "")
            .map_err(|e| TaskError::fail(format!("setting `input-file`: {input}: {e}")))?;
        Ok(found.rows.len() >= settings.minimum_consignments)
    }
}

wharf_guest::export_condition!(CarrierCsv);
