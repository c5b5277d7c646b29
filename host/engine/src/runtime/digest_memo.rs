//! What a component file's SHA-256 was when it last had this identity on disk, so a load whose
//! compiled form is cached neither reads nor hashes the `.wasm` (1.3 MB for the XSLT tasks:
//! about a millisecond of every cold start that runs one).
//!
//! The memo lives in the compile cache (`<cache_dir>/digests/<SHA-256 of the path>`): one line
//! with the file's device, inode, size, modification and change times (nanoseconds) and its
//! SHA-256. A file whose identity differs in any of them is read and hashed as before. The
//! change time is set by the kernel on every write, rename or `utimes` and cannot be set back,
//! so a changed file never matches. One race is left by coarse clocks: a file rewritten with
//! the same size within one clock tick of being hashed would look unchanged, so a file is only
//! remembered once it has not been modified for [`SETTLED`] (as git treats "racily clean"
//! entries). Trust is that of the compiled forms beside it: whoever can write the cache can
//! already replace compiled code.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How long a file must have been left alone before its digest is remembered.
const SETTLED: Duration = Duration::from_secs(2);

/// A file's identity on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Stat {
    fields: [i64; 7],
}

impl Stat {
    #[cfg(unix)]
    pub(super) fn of(path: &Path) -> Option<Stat> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        Some(Stat {
            fields: [
                m.dev() as i64,
                m.ino() as i64,
                m.size() as i64,
                m.mtime(),
                m.mtime_nsec(),
                m.ctime(),
                m.ctime_nsec(),
            ],
        })
    }

    /// Elsewhere every load reads and hashes the file.
    #[cfg(not(unix))]
    pub(super) fn of(_path: &Path) -> Option<Stat> {
        None
    }

    fn line(&self) -> String {
        self.fields
            .iter()
            .map(|f| f.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Neither modified nor changed within [`SETTLED`] of now.
    fn settled(&self) -> bool {
        let [.., mtime, mtime_ns, ctime, ctime_ns] = self.fields;
        let Ok(now) = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH) else {
            return false;
        };
        let now_ns = now.as_nanos() as i128;
        let at = |s: i64, ns: i64| s as i128 * 1_000_000_000 + ns as i128;
        let settled_ns = SETTLED.as_nanos() as i128;
        now_ns - at(mtime, mtime_ns) >= settled_ns && now_ns - at(ctime, ctime_ns) >= settled_ns
    }
}

fn memo_file(cache_dir: &Path, component: &Path) -> PathBuf {
    use sha2::{Digest, Sha256};
    let name = Sha256::digest(component.as_os_str().as_encoded_bytes());
    cache_dir.join("digests").join(hex::encode(name))
}

/// The SHA-256 remembered for `component` if it still has identity `stat`.
pub(super) fn recall(cache_dir: &Path, component: &Path, stat: &Stat) -> Option<[u8; 32]> {
    let text = std::fs::read_to_string(memo_file(cache_dir, component)).ok()?;
    let (identity, digest) = text.trim_end().rsplit_once(' ')?;
    if identity != stat.line() {
        return None;
    }
    let mut sha256 = [0u8; 32];
    hex::decode_to_slice(digest, &mut sha256).ok()?;
    Some(sha256)
}

/// Remembers `sha256` for `component` as it was when `stat` was taken (before it was read), if
/// it had settled by then. Best effort: a memo not written only means the next load hashes.
pub(super) fn remember(cache_dir: &Path, component: &Path, stat: &Stat, sha256: &[u8]) {
    if !stat.settled() {
        return;
    }
    let file = memo_file(cache_dir, component);
    let line = format!("{} {}\n", stat.line(), hex::encode(sha256));
    let written = file
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .map_err(|e| e.to_string())
        .and_then(|()| {
            // Not flushed: a memo lost with the machine only costs the next load a hash.
            crate::storage::replace_file(&file, line.as_bytes(), false).map_err(|e| e.to_string())
        });
    if let Err(e) = written {
        tracing::debug!(
            "could not remember the digest of {}: {e}",
            component.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aged(path: &Path) {
        let old = SystemTime::now() - Duration::from_secs(60);
        std::fs::File::options()
            .write(true)
            .open(path)
            .and_then(|f| f.set_modified(old))
            .unwrap();
    }

    #[test]
    fn a_file_is_remembered_only_until_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let (cache, wasm) = (dir.path().join("cache"), dir.path().join("a.wasm"));
        std::fs::write(&wasm, b"one").unwrap();
        aged(&wasm);
        let stat = Stat::of(&wasm).unwrap();
        // Its change time is now (set_modified changes it): not settled, not remembered.
        remember(&cache, &wasm, &stat, &[1; 32]);
        assert_eq!(recall(&cache, &wasm, &stat), None);
        // Settled: remembered under the identity it had.
        let settled = Stat {
            fields: [
                stat.fields[0],
                stat.fields[1],
                stat.fields[2],
                stat.fields[3],
                stat.fields[4],
                stat.fields[5] - 60,
                0,
            ],
        };
        remember(&cache, &wasm, &settled, &[1; 32]);
        assert_eq!(recall(&cache, &wasm, &settled), Some([1; 32]));
        // The same file with any other identity (here: as it is, and rewritten) is not.
        assert_eq!(recall(&cache, &wasm, &stat), None);
        std::fs::write(&wasm, b"two").unwrap();
        assert_eq!(recall(&cache, &wasm, &Stat::of(&wasm).unwrap()), None);
        // Another file has its own memo.
        assert_eq!(recall(&cache, &dir.path().join("b.wasm"), &settled), None);
    }

    #[test]
    fn a_file_changed_within_the_settling_time_is_not_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let wasm = dir.path().join("a.wasm");
        std::fs::write(&wasm, b"one").unwrap();
        let stat = Stat::of(&wasm).unwrap();
        assert!(!stat.settled());
        remember(dir.path(), &wasm, &stat, &[2; 32]);
        assert_eq!(recall(dir.path(), &wasm, &stat), None);
    }
}
