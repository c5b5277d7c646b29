//! The host interfaces every component may import: log, state, truth, mappings, template.
//! Each checks what the task was granted; an ungranted capability answers "not permitted".

use super::bindings::imports::wharf::task::{log, mappings, state, truth, types};
use super::sandbox::{MAX_LOG_BYTES, MAX_LOG_LINES, TaskState};
use crate::record::LogLine;
use crate::storage::TruthRecord;
use chrono::Utc;
use std::path::{Component, Path, PathBuf};

impl types::Host for TaskState {}

impl log::Host for TaskState {
    fn log(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        let level = match level {
            log::Level::Debug => "debug",
            log::Level::Info => "info",
            log::Level::Warning => "warning",
            log::Level::Error => "error",
        };
        let mut message = message;
        // Longer messages are cut, with a mark.
        crate::limits::truncate_marked(&mut message, crate::limits::MAX_MESSAGE_BYTES);
        if self.logs.len() >= MAX_LOG_LINES || self.log_bytes + message.len() > MAX_LOG_BYTES {
            self.logs_dropped += 1;
            return Ok(());
        }
        // Streamed as it happens, with its own time: `wharf -v` shows a task's info, warning
        // and error lines while it runs, `-vv` its debug lines too (what the record keeps).
        if level == "debug" {
            tracing::debug!(target: "wharf::task", task = %self.label, level, "{message}");
        } else {
            tracing::info!(target: "wharf::task", task = %self.label, level, "{message}");
        }
        self.log_bytes += message.len();
        self.logs.push(LogLine {
            at: Utc::now(),
            level: level.to_string(),
            message,
        });
        Ok(())
    }
}

impl state::Host for TaskState {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.state.get(&key).cloned())
    }
    fn set(&mut self, key: String, value: String) -> wasmtime::Result<()> {
        self.state.insert(key, value);
        self.state_changed = true;
        Ok(())
    }
    fn remove(&mut self, key: String) -> wasmtime::Result<()> {
        self.state_changed |= self.state.remove(&key).is_some();
        Ok(())
    }
}

impl super::bindings::template_imports::wharf::task::template::Host for TaskState {
    fn render(
        &mut self,
        text: String,
        template_variables: Vec<(String, String)>,
    ) -> wasmtime::Result<Result<String, String>> {
        let Some(rendering) = &self.rendering else {
            return Ok(Err(
                "templates cannot be rendered here (no run is in progress)".into(),
            ));
        };
        let allowed = rendering
            .deadline
            .saturating_duration_since(std::time::Instant::now());
        Ok(rendering.templates.render_for_task(
            &text,
            &rendering.scope,
            template_variables.into_iter().collect(),
            allowed,
        ))
    }
}

fn to_wit(r: TruthRecord) -> truth::TruthRecord {
    truth::TruthRecord {
        kind: r.kind,
        internal_id: r.internal_id,
        external_id: r.external_id,
        hash: r.hash,
    }
}

impl TaskState {
    fn truth_store(&self) -> wasmtime::Result<&dyn crate::storage::TruthStore> {
        self.truth
            .as_deref()
            .ok_or_else(|| wasmtime::format_err!("the truth store is not available to this task"))
    }
}

impl truth::Host for TaskState {
    fn find_by_external(
        &mut self,
        kind: String,
        external_id: String,
    ) -> wasmtime::Result<Option<truth::TruthRecord>> {
        let found = self.truth_store()?.find_by_external(&kind, &external_id)?;
        Ok(found.map(to_wit))
    }
    fn find_by_internal(
        &mut self,
        kind: String,
        internal_id: String,
    ) -> wasmtime::Result<Option<truth::TruthRecord>> {
        let found = self.truth_store()?.find_by_internal(&kind, &internal_id)?;
        Ok(found.map(to_wit))
    }
    fn upsert(&mut self, entry: truth::TruthRecord) -> wasmtime::Result<Result<(), String>> {
        let record = TruthRecord {
            kind: entry.kind,
            internal_id: entry.internal_id,
            external_id: entry.external_id,
            hash: entry.hash,
        };
        Ok(self
            .truth_store()?
            .upsert(&record)
            .map_err(|e| e.to_string()))
    }
    fn remove(
        &mut self,
        kind: String,
        external_id: String,
    ) -> wasmtime::Result<Result<(), String>> {
        Ok(self
            .truth_store()?
            .remove(&kind, &external_id)
            .map_err(|e| e.to_string()))
    }
}

impl mappings::Host for TaskState {
    fn map_to(&mut self, mapping: String, value: String) -> wasmtime::Result<Option<String>> {
        Ok(self.mappings.get(&mapping).and_then(|pairs| {
            pairs
                .iter()
                .find(|(f, _)| *f == value)
                .map(|(_, t)| t.clone())
        }))
    }
    fn map_from(&mut self, mapping: String, value: String) -> wasmtime::Result<Option<String>> {
        Ok(self.mappings.get(&mapping).and_then(|pairs| {
            pairs
                .iter()
                .find(|(_, t)| *t == value)
                .map(|(f, _)| f.clone())
        }))
    }
}

/// Maps a guest path (the working directory is `/`) to the host, refusing anything that leaves it.
pub fn guest_to_host(workdir: &Path, guest: &str) -> Result<PathBuf, String> {
    let rel = Path::new(guest.trim_start_matches('/'));
    if rel.as_os_str().is_empty() || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(format!(
            "path `{guest}` is not a file inside the working directory"
        ));
    }
    Ok(workdir.join(rel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_paths_stay_inside() {
        let wd = Path::new("/data/wf/work");
        assert_eq!(guest_to_host(wd, "/a/b.zip").unwrap(), wd.join("a/b.zip"));
        assert_eq!(guest_to_host(wd, "b.zip").unwrap(), wd.join("b.zip"));
        for bad in ["/", "", "/../x", "a/../../x", "./x"] {
            assert!(guest_to_host(wd, bad).is_err(), "{bad}");
        }
    }
}
