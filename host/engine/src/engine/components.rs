//! Component lookup: which `.wasm` file a task's `task:` names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where components are found: `split-xml` → `<dir>/split-xml.wasm` in the first directory that
/// has it; a name with a `/` or ending in `.wasm` is a path relative to the workflow file.
#[derive(Debug, Clone)]
pub struct ComponentSource {
    pub dirs: Vec<PathBuf>,
}

impl ComponentSource {
    pub fn resolve(&self, name: &str, workflow_dir: &Path) -> Result<PathBuf, String> {
        self.resolve_where(name, workflow_dir, Path::is_file)
    }

    /// [`ComponentSource::resolve`] where a named component's path counts as present when
    /// `present` says so (e.g. also when the runtime already loaded it from its compiled form).
    pub fn resolve_where(
        &self,
        name: &str,
        workflow_dir: &Path,
        present: impl Fn(&Path) -> bool,
    ) -> Result<PathBuf, String> {
        if name.contains('/') || name.ends_with(".wasm") {
            let p = workflow_dir.join(name);
            return if p.is_file() {
                Ok(p)
            } else {
                Err(format!("component file {} does not exist", p.display()))
            };
        }
        for dir in &self.dirs {
            let p = dir.join(format!("{name}.wasm"));
            if present(&p) {
                return Ok(p);
            }
        }
        let known: Vec<String> = self.available().into_iter().map(|(n, _)| n).collect();
        Err(if known.is_empty() {
            format!(
                "unknown task `{name}`: no components found in {} (build them with `make components`)",
                self.dirs
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            format!("unknown task `{name}` (available: {})", known.join(", "))
        })
    }

    /// Every component in the search directories, by name (first directory wins).
    pub fn available(&self) -> Vec<(String, PathBuf)> {
        let mut out: BTreeMap<String, PathBuf> = BTreeMap::new();
        for dir in &self.dirs {
            let Ok(rd) = std::fs::read_dir(dir) else {
                continue;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "wasm")
                    && let Some(stem) = p.file_stem()
                {
                    out.entry(stem.to_string_lossy().into_owned()).or_insert(p);
                }
            }
        }
        out.into_iter().collect()
    }
}
