//! Staging the working directory: download `work/…` into a temporary folder for the run, and
//! commit what the run left there back — uploads first, deletes last.

use crate::Inner;
use crate::keys::safe_relative;
use crate::transfer::{Cond, FILE_CONCURRENCY, Listed, Put, parallel, sha256_file};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use wharf_engine::storage::StorageError;

/// What a staged folder was filled from: relative path → the object it came from.
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    pub files: BTreeMap<String, Entry>,
    /// Empty folders, kept in S3 as zero-byte `<path>/` marker objects (S3 has no folders, and a
    /// task may rely on a folder existing, e.g. a file repeater's input directory); → ETag.
    pub dirs: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub etag: String,
    pub size: u64,
    pub sha256: String,
}

/// What the run left in the staged folder.
struct Local {
    files: BTreeMap<String, (PathBuf, u64)>,
    empty_dirs: BTreeSet<String>,
}

/// Downloads `work/…` into a new temporary folder; `listed` is its listing when the caller has
/// one (read ahead), else it is listed here.
pub async fn stage(
    inner: Arc<Inner>,
    listed: Option<Vec<Listed>>,
) -> Result<(PathBuf, Manifest), StorageError> {
    let dir = tempfile::Builder::new()
        .prefix("wharf-s3-work-")
        .tempdir()
        .map_err(|e| StorageError::io("creating a staging folder for the working directory", e))?
        .keep();
    match fill(&inner, &dir, listed).await {
        Ok(manifest) => {
            tracing::debug!(
                "staged {} ({} files) into {}",
                inner.url(&inner.key("work/")),
                manifest.files.len(),
                dir.display()
            );
            Ok((dir, manifest))
        }
        Err(e) => {
            let _ = tokio::fs::remove_dir_all(&dir).await;
            Err(e)
        }
    }
}

async fn fill(
    inner: &Arc<Inner>,
    dir: &Path,
    listed: Option<Vec<Listed>>,
) -> Result<Manifest, StorageError> {
    let prefix = inner.key("work/");
    let mut manifest = Manifest::default();
    let mut downloads = Vec::new();
    let listed = match listed {
        Some(listed) => listed,
        None => inner.list(&prefix).await?,
    };
    for object in listed {
        let rel = &object.key[prefix.len()..];
        if rel.is_empty() {
            continue;
        }
        let (rel, is_dir) = match rel.strip_suffix('/') {
            Some(d) => (d, true),
            None => (rel, false),
        };
        let Some(rel) = safe_relative(rel) else {
            // Such a key cannot be a file in a folder; it is left alone (and never deleted).
            tracing::warn!(
                "skipping {}: not a usable path in the working directory",
                inner.url(&object.key)
            );
            continue;
        };
        let local = dir.join(rel);
        if is_dir {
            tokio::fs::create_dir_all(&local).await.map_err(|e| {
                StorageError::io(
                    format!("staging {} as {}", inner.url(&object.key), local.display()),
                    e,
                )
            })?;
            manifest.dirs.insert(rel.to_string(), object.etag);
        } else {
            downloads.push((rel.to_string(), object.key, local));
        }
    }
    let entries = parallel(FILE_CONCURRENCY, downloads, |(rel, key, local)| {
        let inner = inner.clone();
        async move {
            if let Some(parent) = local.parent() {
                tokio::fs::create_dir_all(parent).await.map_err(|e| {
                    StorageError::io(
                        format!("staging {} as {}", inner.url(&key), local.display()),
                        e,
                    )
                })?;
            }
            let d = inner.download(&key, &local).await?;
            Ok((
                rel,
                Entry {
                    etag: d.etag,
                    size: d.size,
                    sha256: d.sha256,
                },
            ))
        }
    })
    .await?;
    manifest.files.extend(entries);
    Ok(manifest)
}

/// Uploads the file `rel` of the staged folder `dir` now; returns its manifest entry, so the
/// commit treats it as staged (unchanged it stays, removed it goes).
pub async fn keep(inner: Arc<Inner>, dir: PathBuf, rel: String) -> Result<Entry, StorageError> {
    let rel = safe_relative(&rel)
        .ok_or_else(|| StorageError::Other(format!("`{rel}` is not a working directory file")))?
        .to_owned();
    let path = dir.join(&rel);
    let (size, sha256) = sha256_file(&path).await?;
    let key = inner.key(&format!("work/{rel}"));
    match inner.upload_file(&key, &path, size, &sha256, false).await? {
        Put::Written { etag } => Ok(Entry { etag, size, sha256 }),
        other => Err(StorageError::Other(format!(
            "uploading {}: unexpected {other:?}",
            inner.url(&key)
        ))),
    }
}

/// Commits the staged folder (see [`sync`]) and removes it: the run is over.
pub async fn commit(
    inner: Arc<Inner>,
    dir: PathBuf,
    manifest: Manifest,
) -> Result<(), StorageError> {
    sync(inner, dir.clone(), manifest).await?;
    if let Err(e) = tokio::fs::remove_dir_all(&dir).await {
        tracing::warn!("could not remove the staging folder {}: {e}", dir.display());
    }
    Ok(())
}

/// Makes what the run left in the staged folder the working directory in S3, and answers what
/// the folder now stands for, so the run can carry on in it and sync again. Uploads new and
/// changed files and markers for new empty folders; only once all of that is written are the
/// objects of files the run removed deleted.
pub async fn sync(
    inner: Arc<Inner>,
    dir: PathBuf,
    manifest: Manifest,
) -> Result<Manifest, StorageError> {
    let scan_dir = dir.clone();
    let local = tokio::task::spawn_blocking(move || scan(&scan_dir))
        .await
        .map_err(|e| StorageError::Other(format!("scanning {}: {e}", dir.display())))??;

    let manifest = Arc::new(manifest);
    let files: Vec<(String, PathBuf, u64)> = local
        .files
        .iter()
        .map(|(r, (p, s))| (r.clone(), p.clone(), *s))
        .collect();
    let uploaded = parallel(FILE_CONCURRENCY, files, |(rel, path, size)| {
        let (inner, manifest) = (inner.clone(), manifest.clone());
        async move {
            let (hashed_size, sha256) = sha256_file(&path).await?;
            if let Some(e) = manifest
                .files
                .get(&rel)
                .filter(|e| e.size == hashed_size && e.sha256 == sha256)
            {
                return Ok((rel, e.clone(), false));
            }
            if hashed_size != size {
                tracing::debug!("{} changed size while committing", path.display());
            }
            let key = inner.key(&format!("work/{rel}"));
            match inner
                .upload_file(&key, &path, hashed_size, &sha256, false)
                .await?
            {
                Put::Written { etag } => Ok((
                    rel,
                    Entry {
                        etag,
                        size: hashed_size,
                        sha256,
                    },
                    true,
                )),
                other => Err(StorageError::Other(format!(
                    "uploading {}: unexpected {other:?}",
                    inner.url(&key)
                ))),
            }
        }
    })
    .await?;
    let new_dirs: Vec<String> = local
        .empty_dirs
        .iter()
        .filter(|d| !manifest.dirs.contains_key(*d))
        .cloned()
        .collect();
    let markers = parallel(FILE_CONCURRENCY, new_dirs, |rel| {
        let inner = inner.clone();
        async move {
            let key = inner.key(&format!("work/{rel}/"));
            match inner.put_bytes(&key, Vec::new(), Cond::None).await? {
                Put::Written { etag } => Ok((rel, etag)),
                _ => Ok((rel, String::new())),
            }
        }
    })
    .await?;

    // Everything the run left is in S3 now; only what it removed may go — and only the version
    // it staged: an object someone rewrote meanwhile is not ours to delete.
    let mut doomed: Vec<(String, String)> = manifest
        .files
        .iter()
        .filter(|(rel, _)| !local.files.contains_key(*rel))
        .map(|(rel, e)| (inner.key(&format!("work/{rel}")), e.etag.clone()))
        .collect();
    doomed.extend(
        manifest
            .dirs
            .iter()
            .filter(|(rel, _)| !local.empty_dirs.contains(*rel))
            .map(|(rel, etag)| (inner.key(&format!("work/{rel}/")), etag.clone())),
    );
    let deleted = parallel(FILE_CONCURRENCY, doomed, |(key, etag)| {
        let inner = inner.clone();
        async move {
            let condition = (!etag.is_empty()).then_some(etag);
            match inner.delete(&key, condition).await? {
                Put::Written { .. } | Put::Missing => Ok(true),
                Put::Lost => {
                    tracing::warn!(
                        "not deleting {}: it changed in S3 after the run staged it",
                        inner.url(&key)
                    );
                    Ok(false)
                }
            }
        }
    })
    .await?
    .into_iter()
    .filter(|d| *d)
    .count();

    let changed = uploaded.iter().filter(|u| u.2).count();
    tracing::info!(
        "committed {}: {changed} uploaded, {} unchanged, {deleted} deleted",
        inner.url(&inner.key("work/")),
        uploaded.len() - changed
    );
    // Now the folder stands for exactly what was scanned: a file or folder removed since the
    // staging is gone from S3 too (or was someone else's, and is not ours any more).
    let mut dirs: BTreeMap<String, String> = manifest
        .dirs
        .iter()
        .filter(|(rel, _)| local.empty_dirs.contains(*rel))
        .map(|(rel, etag)| (rel.clone(), etag.clone()))
        .collect();
    dirs.extend(markers);
    Ok(Manifest {
        files: uploaded
            .into_iter()
            .map(|(rel, entry, _)| (rel, entry))
            .collect(),
        dirs,
    })
}

/// Regular files and empty folders under `dir`, by slash-separated relative path. Symlinks and
/// special files are not part of a working directory (components cannot create them) and are
/// skipped.
fn scan(dir: &Path) -> Result<Local, StorageError> {
    let mut local = Local {
        files: BTreeMap::new(),
        empty_dirs: BTreeSet::new(),
    };
    let mut pending = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, rel)) = pending.pop() {
        let listing = |e| StorageError::io(format!("listing {}", path.display()), e);
        let mut empty = true;
        for entry in std::fs::read_dir(&path).map_err(listing)? {
            let entry = entry.map_err(listing)?;
            empty = false;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                return Err(StorageError::Other(format!(
                    "{} has a name that is not UTF-8 and cannot become an S3 key",
                    entry.path().display()
                )));
            };
            let child_rel = if rel.is_empty() {
                name.to_string()
            } else {
                format!("{rel}/{name}")
            };
            let kind = entry.file_type().map_err(listing)?;
            if kind.is_dir() {
                pending.push((entry.path(), child_rel));
            } else if kind.is_file() {
                let size = entry.metadata().map_err(listing)?.len();
                local.files.insert(child_rel, (entry.path(), size));
            } else {
                tracing::warn!(
                    "not committing {}: not a regular file",
                    entry.path().display()
                );
            }
        }
        if empty && !rel.is_empty() {
            local.empty_dirs.insert(rel);
        }
    }
    Ok(local)
}
