//! Keys of a customer's deployed workflows in the bucket, beside what `wharf-s3-store` keeps
//! there (see the crate documentation for the whole layout).
//!
//! Customer, workflow and task names become key segments, so they follow the one rule for key
//! names, `wharf_engine::identity::is_key_name` (ASCII letters, digits, `-`, `_`, `.`; not
//! starting with `.`; 1–128 bytes), which `wharf-s3-store` and the Sage jobs apply too. Such a
//! name never holds `/`, never is `.` or `..`, and needs no encoding in a URL or an IAM policy.

/// The precompiled components' folder under `components/`.
pub const PRECOMPILED_DIR: &str = "precompiled";

pub use wharf_s3_store::{RESERVED_WORKFLOW_NAMES, WORKFLOW_FILE};

use wharf_engine::identity::{KEY_NAME_RULE, is_key_name};

/// A name that cannot be a key segment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} `{name}` cannot be used in the bucket's keys: {reason}")]
pub struct LayoutError {
    /// What was named: `customer`, `workflow`, `task`, `precompiled component`.
    pub what: &'static str,
    pub name: String,
    pub reason: &'static str,
}

/// Whether `name` may be a customer, workflow or task name in the bucket: the one key-name rule.
pub fn is_valid_name(name: &str) -> bool {
    is_key_name(name)
}

/// `Ok` if [`is_valid_name`] accepts `name`, else an error naming `what` it is.
pub fn check_name(what: &'static str, name: &str) -> Result<(), LayoutError> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(LayoutError {
            what,
            name: name.to_string(),
            reason: KEY_NAME_RULE,
        })
    }
}

/// [`check_name`], and not one of [`RESERVED_WORKFLOW_NAMES`].
pub fn check_workflow_name(workflow: &str) -> Result<(), LayoutError> {
    check_name("workflow", workflow)?;
    if RESERVED_WORKFLOW_NAMES.contains(&workflow) {
        return Err(LayoutError {
            what: "workflow",
            name: workflow.to_string(),
            reason: "the name is reserved for the customer's own prefixes (components, jobs, workflows); give the workflow another `id:`",
        });
    }
    Ok(())
}

/// One customer's keys. Construct with [`Layout::new`], which checks the customer name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    customer: String,
}

impl Layout {
    pub fn new(customer: &str) -> Result<Self, LayoutError> {
        check_name("customer", customer)?;
        Ok(Layout {
            customer: customer.to_string(),
        })
    }

    pub fn customer(&self) -> &str {
        &self.customer
    }

    /// `<customer>/`: everything of this customer.
    pub fn customer_prefix(&self) -> String {
        format!("{}/", self.customer)
    }

    /// `<customer>/<workflow>/`: the workflow's data (as `wharf-s3-store` keeps it) and its
    /// deployed file. `workflow` is the workflow's identity, its `id:` or slugged name
    /// (`Workflow::store_name`).
    pub fn workflow_prefix(&self, workflow: &str) -> Result<String, LayoutError> {
        check_workflow_name(workflow)?;
        Ok(format!("{}/{workflow}/", self.customer))
    }

    /// `<customer>/<workflow>/workflow.yaml`: the deployed workflow file.
    pub fn workflow(&self, workflow: &str) -> Result<String, LayoutError> {
        Ok(format!(
            "{}{WORKFLOW_FILE}",
            self.workflow_prefix(workflow)?
        ))
    }

    /// `<customer>/components/`: the customer's components.
    pub fn components_prefix(&self) -> String {
        format!("{}/components/", self.customer)
    }

    /// `<customer>/components/<task>.wasm`: a component, by the task name workflows use.
    pub fn component(&self, task: &str) -> Result<String, LayoutError> {
        check_name("task", task)?;
        Ok(format!("{}{task}.wasm", self.components_prefix()))
    }

    /// `<customer>/components/manifest.json`: the signed manifest of the components (see
    /// [`crate::manifest`]).
    pub fn manifest(&self) -> String {
        format!("{}manifest.json", self.components_prefix())
    }

    /// `<customer>/components/precompiled/<name>`: a component compiled for one engine
    /// configuration; `name` is `Runtime::precompiled_name`, which pins both the component's
    /// content and the engine, so a runtime only ever finds files it can load.
    pub fn precompiled(&self, name: &str) -> Result<String, LayoutError> {
        check_name("precompiled component", name)?;
        Ok(format!(
            "{}{PRECOMPILED_DIR}/{name}",
            self.components_prefix()
        ))
    }

    /// `<customer>/connections.yaml`: named connections. Secrets in it are references
    /// (`{ env: NAME }`, `{ file: PATH }`), never values.
    pub fn connections(&self) -> String {
        format!("{}/connections.yaml", self.customer)
    }

    /// `<customer>/mappings.yaml`: value mappings shared by the customer's workflows (read by
    /// `wharf-s3-store`).
    pub fn mappings(&self) -> String {
        format!("{}/mappings.yaml", self.customer)
    }
}
