//! The Wharf component: a repeater (world `repeater-task`) around [`mapping`]. The host runs
//! the workflow's child tasks once per consignment of the document, with the consignment's
//! fields as `{{ current.OrderRef }}`, `{{ current.Postcode }}` …

pub mod mapping;

use std::path::PathBuf;

use wharf_guest::{CurrentItem, TaskError, TaskSettings, TypedRepeater};

/// The current variables each item carries, and the CSV column each comes from.
const CURRENT: [(&str, &str); 5] = [
    ("OrderRef", "order_ref"),
    ("Recipient", "recipient"),
    ("Postcode", "postcode"),
    ("Country", "country"),
    ("GoodsValue", "goods_value"),
];

/// The settings of `carrier-csv`.
#[derive(Debug, Clone, TaskSettings)]
pub struct CarrierCsvSettings {
    /// The Zynk XML document with the sales orders.
    pub input_file: PathBuf,
}

/// The component; exported to the host on WebAssembly.
pub struct CarrierCsv;

impl TypedRepeater for CarrierCsv {
    const NAME: &'static str = "carrier-csv";
    const DOC: &'static str =
        "Runs its tasks once per consignment of a Zynk XML sales orders document.";
    const CURRENT_VARIABLES: &'static [&'static str] =
        &["OrderRef", "Recipient", "Postcode", "Country", "GoodsValue"];
    type Settings = CarrierCsvSettings;

    fn items(settings: CarrierCsvSettings) -> Result<Vec<CurrentItem>, TaskError> {
        let input = settings.input_file.display();
        let document = std::fs::read(&settings.input_file).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                TaskError::not_found(format!("setting `input-file`: {input}: no such file"))
            }
            _ => TaskError::fail(format!("setting `input-file`: {input}: {e}")),
        })?;
        let found = mapping::consignments(&String::from_utf8_lossy(&document), "")
            .map_err(|e| TaskError::fail(format!("setting `input-file`: {input}: {e}")))?;
        for line in &found.skipped {
            wharf_guest::log::warn(format!("left out {line}"));
        }
        let column = |name: &str| mapping::COLUMNS.iter().position(|c| *c == name);
        Ok(found
            .rows
            .iter()
            .map(|row| {
                CURRENT
                    .iter()
                    .filter_map(|(variable, name)| {
                        column(name).map(|i| (variable.to_string(), row[i].clone()))
                    })
                    .collect()
            })
            .collect())
    }
}

wharf_guest::export_repeater!(CarrierCsv);
