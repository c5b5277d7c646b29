//! The Wharf component: a plain task (world `plain-task`) around [`mapping`]. Its settings are
//! declared once, in [`CarrierCsvSettings`]: the host's `describe()` and the parse `run`
//! receives both come from the struct.

pub mod mapping;

use std::path::PathBuf;

use wharf_guest::{SettingChoice, TaskError, TaskResult, TaskSettings, TypedTask};

/// The carrier service every consignment is booked on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, SettingChoice)]
pub enum Service {
    #[choice(rename = "standard")]
    Standard,
    #[choice(rename = "express")]
    Express,
    #[choice(rename = "next-day")]
    NextDay,
}

/// The settings of `carrier-csv`.
#[derive(Debug, Clone, TaskSettings)]
pub struct CarrierCsvSettings {
    /// The Zynk XML document with the sales orders.
    pub input_file: PathBuf,
    /// The CSV to write.
    #[setting(default = "carrier.csv")]
    pub output_file: PathBuf,
    /// The carrier service every consignment is booked on.
    #[setting(default = "standard")]
    pub service: Service,
}

/// The component; exported to the host on WebAssembly.
pub struct CarrierCsv;

impl TypedTask for CarrierCsv {
    const NAME: &'static str = "carrier-csv";
    const DOC: &'static str =
        "Writes a carrier's consignment CSV from the sales orders of a Zynk XML document.";
    type Settings = CarrierCsvSettings;

    fn run(settings: CarrierCsvSettings) -> Result<TaskResult, TaskError> {
        let input = settings.input_file.display();
        let document = std::fs::read(&settings.input_file).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                TaskError::not_found(format!("setting `input-file`: {input}: no such file"))
            }
            _ => TaskError::fail(format!("setting `input-file`: {input}: {e}")),
        })?;
        let document = String::from_utf8_lossy(&document);
        let found = mapping::consignments(&document, settings.service.as_str())
            .map_err(|e| TaskError::fail(format!("setting `input-file`: {input}: {e}")))?;
        for line in &found.skipped {
            wharf_guest::log::warn(format!("left out {line}"));
        }
        let (rows, skipped) = (found.rows.len() as u64, found.skipped.len() as u64);
        if rows == 0 {
            return Ok(TaskResult::success_no_data(format!(
                "no consignments in {input} ({} orders)",
                found.orders
            ))
            .with_counts(found.orders, 0, skipped));
        }
        let output = settings.output_file.display();
        let csv = mapping::to_csv(&found.rows)
            .map_err(|e| TaskError::fail(format!("setting `output-file`: {output}: {e}")))?;
        std::fs::write(&settings.output_file, csv)
            .map_err(|e| TaskError::fail(format!("setting `output-file`: {output}: {e}")))?;
        Ok(
            TaskResult::success_data(format!("{rows} consignments written to {output}"))
                .with_counts(found.orders, rows, skipped)
                .with_output("output-file", output.to_string())
                .with_output("consignments", rows.to_string()),
        )
    }
}

wharf_guest::export_task!(CarrierCsv);

/// The component as the host calls it, natively, with the SDK's stand-ins for the host.
#[cfg(test)]
mod tests {
    use super::*;
    use wharf_guest::{ResultCode, testing};

    const ORDERS: &str = r#"<Company><SalesOrders>
      <SalesOrder><SalesOrderNumber>1</SalesOrderNumber>
        <SalesOrderDeliveryAddress><Postcode>LS1 1AA</Postcode></SalesOrderDeliveryAddress>
      </SalesOrder>
      <SalesOrder><SalesOrderNumber>2</SalesOrderNumber></SalesOrder>
    </SalesOrders></Company>"#;

    #[test]
    fn describe_lists_the_settings_with_their_defaults() {
        let info = testing::describe::<CarrierCsv>();
        assert_eq!(info.name, "carrier-csv");
        let names: Vec<_> = info.settings.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["input-file", "output-file", "service"]);
        assert_eq!(
            info.settings[2].allowed_values,
            ["standard", "express", "next-day"]
        );
    }

    #[test]
    fn run_writes_the_csv_counts_and_logs_what_it_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("orders.xml");
        let output = dir.path().join("carrier.csv");
        std::fs::write(&input, ORDERS).unwrap();
        let result = testing::run::<CarrierCsv, _, _>(&[
            ("input-file", input.to_str().unwrap()),
            ("output-file", output.to_str().unwrap()),
            ("service", "next-day"),
        ]);
        assert_eq!(result.code, ResultCode::SuccessData, "{}", result.message);
        let counts = &result.counts;
        assert_eq!(
            (counts.records_in, counts.records_out, counts.records_failed),
            (2, 1, 1)
        );
        let csv = std::fs::read_to_string(&output).unwrap();
        assert!(
            csv.lines()
                .nth(1)
                .unwrap()
                .contains(",LS1 1AA,,,,next-day,0,0.00"),
            "{csv}"
        );
        assert_eq!(
            testing::take_logs(),
            ["WARNING left out order 2: no delivery postcode"]
        );
    }

    #[test]
    fn a_missing_input_is_not_found_and_names_the_setting() {
        // Natively, paths are the test's own; the host would pass `/carrier.csv` for the default.
        let result = testing::run::<CarrierCsv, _, _>(&[
            ("input-file", "/no/such/orders.xml"),
            ("output-file", "/no/such/carrier.csv"),
        ]);
        assert_eq!(result.code, ResultCode::NotFound, "{}", result.message);
        assert!(
            result.message.starts_with("setting `input-file`"),
            "{}",
            result.message
        );
    }
}
