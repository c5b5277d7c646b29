//! The Sage 50 company the runner's `sage` capability writes to: the embedded ledger, or a real
//! Sage 50 through `wharf-sage-agent` ([`SdoConnector`]) with Wharf's import journal beside it
//! (`sage_ledger::JournaledBackend`, docs/sage50.md).

use std::path::Path;
use std::sync::Arc;

use sage_agent::backend::{AgentProcess, SdoBackend, SdoSettings};
use sage_agent::protocol::ConnectSettings;
use sage_ledger::{BackendError, ImportBackend, JournaledBackend};
use wharf_sage::{EmbeddedLedger, SageConnector, create_parent};

use crate::config::{SageConfig, SdoConfig};

/// Opens the company of `config`, read from the runner's configuration `file`.
pub fn connector(config: &SageConfig, file: &Path) -> Arc<dyn SageConnector> {
    match config {
        SageConfig::Embedded { ledger } => Arc::new(
            EmbeddedLedger::new(ledger).given_by(format!("setting `ledger` of {}", file.display())),
        ),
        SageConfig::Sdo(sdo) => Arc::new(SdoConnector {
            config: sdo.clone(),
        }),
    }
}

/// A real Sage 50 through a `wharf-sage-agent` process started per operation (it logs out and
/// ends when the operation is done).
#[derive(Debug)]
pub struct SdoConnector {
    config: SdoConfig,
}

impl SdoConnector {
    /// The agent's command line.
    fn command(&self) -> Vec<String> {
        vec![
            self.config.agent.display().to_string(),
            "serve".into(),
            "--engine".into(),
            self.config.agent_engine.as_str().into(),
        ]
    }

    fn backend(&self) -> Result<SdoBackend<AgentProcess>, String> {
        let password = self
            .config
            .password
            .read()
            .map_err(|e| format!("the Sage password (setting `sage.password`): {e}"))?;
        Ok(SdoBackend::new(
            AgentProcess::new(self.command()),
            SdoSettings {
                connect: ConnectSettings {
                    data_path: self.config.data_path.clone(),
                    user: self.config.user.clone(),
                    password: password.expose().to_owned(),
                    program_id: self.config.program_id.clone(),
                },
                key_field: self.config.key_field.clone(),
                call_timeout: self.config.call_timeout,
            },
        ))
    }
}

impl SageConnector for SdoConnector {
    fn open(&self) -> Result<Box<dyn ImportBackend>, String> {
        let backend = self.backend()?;
        create_parent(&self.config.journal)?;
        let journaled = JournaledBackend::open(&self.config.journal, backend).map_err(|e| {
            format!(
                "cannot open the Sage import journal {}: {e}",
                self.config.journal.display()
            )
        })?;
        Ok(Box::new(journaled))
    }

    fn path(&self) -> &Path {
        &self.config.journal
    }
}

/// What the runner found out about Sage at start: a Sage upgrade changes the version, a wrong
/// login or an unregistered SDO stops the runner at once rather than at the first job.
pub fn probe(connector: &dyn SageConnector) -> Result<sage_ledger::Probe, BackendError> {
    let mut backend = connector.open().map_err(BackendError::Unavailable)?;
    backend.probe()
}
