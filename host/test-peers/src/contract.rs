//! A contract-validating proxy for the shop connectors' tests: Stoplight Prism (pinned in
//! `host/test-peers/prism/package-lock.json`, installed into `target/peers/prism` by `make
//! peers`) in proxy mode with `--errors`, loaded with a vendor's own API specification, between
//! the connector and a fake shop. Prism answers 422 to a request that breaks the specification
//! and 500 to a response that does, and lists what broke in its `sl-violations` header.
//!
//! In front of Prism sits a small relay of ours that reads that header from every answer and
//! keeps the violations: [`ContractProxy::assert_clean`] (also run when the proxy is dropped, if
//! the test is not already failing) fails the test on any of them, naming the request.
//!
//! Where a specification is wrong, an overlay (YAML, deep-merged onto the specification: maps
//! merge, anything else replaces, `null` removes the key) corrects it; overlays live in the
//! repository beside the fake that needs them, each saying why.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::proxy::{find, one_shot, read_head};
use crate::{Watched, free_port, peers_dir};

/// One request or response that broke the specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// `GET /rest/default/V1/orders?...`
    pub request: String,
    /// The status Prism answered with (422: the request broke the contract, 500: the response).
    pub status: u16,
    /// Prism's `sl-violations` header (a JSON list), or why there was none.
    pub detail: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} → {}: {}", self.request, self.status, self.detail)
    }
}

/// How to load a specification.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// YAML files deep-merged onto the specification, in order.
    pub overlays: Vec<PathBuf>,
    /// The API's base path as the connector sends it (`/rest/default` for Magento); requests
    /// outside it are answered 404 by Prism, and recorded as violations.
    pub base_path: String,
}

pub struct ContractProxy {
    url: String,
    violations: Arc<Mutex<Vec<Violation>>>,
    requests: Arc<std::sync::atomic::AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    relay: Option<std::thread::JoinHandle<()>>,
    _prism: Watched,
    _spec_dir: Option<tempfile::TempDir>,
}

impl ContractProxy {
    /// Starts Prism on `spec` proxying to `upstream` (`http://127.0.0.1:PORT`), and the relay in
    /// front of it; gives when Prism answers. Panics (a test harness) when Prism is not installed
    /// or does not start, with its output.
    pub fn start(spec: &Path, upstream: &str) -> ContractProxy {
        Self::start_with(spec, &Options::default(), upstream)
    }

    /// [`ContractProxy::start`] with overlays and a base path.
    pub fn start_with(spec: &Path, options: &Options, upstream: &str) -> ContractProxy {
        let overlays = &options.overlays;
        let base_path = options.base_path.trim_end_matches('/').to_owned();
        // Prism matches the specification's paths without its `basePath`: the relay takes the
        // base path off and Prism puts it back on the way upstream.
        let upstream = format!("{}{base_path}", upstream.trim_end_matches('/'));
        let prism = peers_dir().join("prism/node_modules/.bin/prism");
        assert!(
            prism.is_file(),
            "{} is missing: install it first with `make peers` (or `bash host/test-peers/prism/install.sh`)",
            prism.display()
        );
        let (spec_path, spec_dir) = if overlays.is_empty() {
            (spec.to_path_buf(), None)
        } else {
            let dir = merged_spec(spec, overlays);
            (dir.path().join("spec.json"), Some(dir))
        };
        let port = free_port();
        let log = peers_dir().join(format!("prism-{port}.log"));
        let script = r#"
            "$PRISM" proxy --host 127.0.0.1 --port "$PORT" --errors "$SPEC" "$UPSTREAM" </dev/null >"$LOG" 2>&1 &
            prism=$!
            read -r _ || true
            kill "$prism" 2>/dev/null
            wait "$prism" 2>/dev/null
            rm -f "$LOG"
            exit 0
        "#;
        let mut command = Command::new("bash");
        command
            .arg("-c")
            .arg(script)
            .env("PRISM", &prism)
            .env("PORT", port.to_string())
            .env("SPEC", &spec_path)
            .env("UPSTREAM", &upstream)
            .env("LOG", &log)
            .env("SCARF_ANALYTICS", "false")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let watched = Watched::spawn(command);
        // Prism reads and dereferences the whole specification first (seconds for a large one).
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if listening(port) {
                break;
            }
            if watched.exited() || Instant::now() > deadline {
                let output = std::fs::read_to_string(&log).unwrap_or_default();
                panic!(
                    "prism did not start on port {port} for {}; its output:\n{output}",
                    spec.display()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let violations = Arc::new(Mutex::new(Vec::new()));
        let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("relay port");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        let prism_addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let (kept, counted) = (violations.clone(), requests.clone());
        let base_path: Arc<str> = base_path.into();
        let relay = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("relay runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let accept = async {
                    loop {
                        let Ok((client, _)) = listener.accept().await else {
                            continue;
                        };
                        let (kept, counted) = (kept.clone(), counted.clone());
                        let base_path = base_path.clone();
                        tokio::spawn(async move {
                            let _ = relay(client, prism_addr, &base_path, &kept, &counted).await;
                        });
                    }
                };
                tokio::select! {
                    _ = accept => {}
                    _ = stop_rx => {}
                }
            });
        });
        ContractProxy {
            url,
            violations,
            requests,
            stop: Some(stop_tx),
            relay: Some(relay),
            _prism: watched,
            _spec_dir: spec_dir,
        }
    }

    /// Where the connector goes instead of the shop: `http://127.0.0.1:PORT` (add the API's base
    /// path, e.g. `/rest/default` for Magento: Prism ignores the specification's `basePath`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The violations so far.
    pub fn violations(&self) -> Vec<Violation> {
        self.violations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Requests relayed so far (a test can check the connector went through the proxy at all).
    pub fn requests(&self) -> usize {
        self.requests.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Forgets the requests Prism never answered (status 0): a test that kills the client in
    /// the middle of a request cuts it, which breaks no contract.
    pub fn forget_unanswered(&self) {
        self.violations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|v| v.status != 0);
    }

    /// Panics listing every violation, if there was any.
    pub fn assert_clean(&self) {
        let violations = self.violations();
        if !violations.is_empty() {
            let list: Vec<String> = violations.iter().map(|v| format!("  {v}")).collect();
            panic!(
                "{} request(s) or response(s) broke the API specification:\n{}",
                violations.len(),
                list.join("\n")
            );
        }
    }
}

impl Drop for ContractProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(relay) = self.relay.take() {
            let _ = relay.join();
        }
        if !std::thread::panicking() {
            self.assert_clean();
        }
    }
}

fn listening(port: u16) -> bool {
    let Ok(mut s) =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(300))
    else {
        return false;
    };
    // Any HTTP answer will do: Prism answers only once the specification is loaded.
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    let mut head = [0u8; 8];
    s.write_all(request.as_bytes()).is_ok() && s.read_exact(&mut head).is_ok()
}

/// The specification with the overlays merged, as `spec.json` in a folder that also links
/// every file beside the specification (which it may reference, as Magento's does its intro).
fn merged_spec(spec: &Path, overlays: &[PathBuf]) -> tempfile::TempDir {
    let read = |path: &Path| -> serde_json::Value {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
    };
    let mut merged = read(spec);
    for overlay in overlays {
        merge(&mut merged, read(overlay));
    }
    let dir = tempfile::tempdir().expect("a folder for the merged specification");
    if let Some(folder) = spec.parent() {
        for entry in std::fs::read_dir(folder).into_iter().flatten().flatten() {
            let _ = std::os::unix::fs::symlink(entry.path(), dir.path().join(entry.file_name()));
        }
    }
    std::fs::write(
        dir.path().join("spec.json"),
        serde_json::to_vec(&merged).expect("the merged specification as JSON"),
    )
    .expect("writing the merged specification");
    dir
}

/// Deep merge: maps merge key by key, `null` removes a key, anything else replaces.
fn merge(base: &mut serde_json::Value, overlay: serde_json::Value) {
    match (base, overlay) {
        (serde_json::Value::Object(base), serde_json::Value::Object(overlay)) => {
            for (key, value) in overlay {
                if value.is_null() {
                    base.remove(&key);
                } else if let Some(existing) = base.get_mut(&key) {
                    merge(existing, value);
                } else {
                    base.insert(key, value);
                }
            }
        }
        (base, overlay) => *base = overlay,
    }
}

/// Relays one request (the connection is closed after it) and records any violation Prism
/// reports in its answer.
async fn relay(
    mut client: tokio::net::TcpStream,
    prism: SocketAddr,
    base_path: &str,
    violations: &Mutex<Vec<Violation>>,
    requests: &std::sync::atomic::AtomicUsize,
) -> std::io::Result<()> {
    let Some((buf, head_end)) = read_head(&mut client).await? else {
        return Ok(());
    };
    let mut chunk = [0u8; 16 * 1024];
    requests.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let request_line = String::from_utf8_lossy(&buf[..head_end])
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches(" HTTP/1.1")
        .to_owned();
    let head = match strip_base_path(&buf[..head_end], base_path) {
        Some(head) => head,
        None => {
            violations
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(Violation {
                    request: request_line,
                    status: 404,
                    detail: format!("outside the API's base path {base_path}"),
                });
            let answer = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            client.write_all(answer.as_bytes()).await?;
            return client.shutdown().await;
        }
    };
    let mut up = tokio::net::TcpStream::connect(prism).await?;
    up.write_all(&one_shot(&head)).await?;
    up.write_all(&buf[head_end..]).await?;
    let (mut client_read, mut client_write) = client.into_split();
    let (mut up_read, mut up_write) = up.into_split();
    let sending = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_read, &mut up_write).await;
        let _ = up_write.shutdown().await;
    });
    let mut answer = Vec::new();
    let answer_head_end = loop {
        let n = up_read.read(&mut chunk).await?;
        if n == 0 {
            break answer.len();
        }
        answer.extend_from_slice(&chunk[..n]);
        if let Some(i) = find(&answer, b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&answer[..answer_head_end]).into_owned();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let header = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("sl-violations")
            .then(|| value.trim().to_owned())
    });
    if header.is_some() || status == 0 {
        violations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Violation {
                request: request_line,
                status,
                detail: header.unwrap_or_else(|| "no answer from prism".into()),
            });
    }
    client_write.write_all(&answer).await?;
    tokio::io::copy(&mut up_read, &mut client_write).await?;
    sending.abort();
    let _ = client_write.shutdown().await;
    Ok(())
}

/// The request head with `base_path` taken off its target; `None` when the target is outside.
fn strip_base_path(head: &[u8], base_path: &str) -> Option<Vec<u8>> {
    if base_path.is_empty() {
        return Some(head.to_vec());
    }
    let line_end = find(head, b"\r\n")?;
    let line = std::str::from_utf8(&head[..line_end]).ok()?;
    let mut parts = line.splitn(3, ' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    let rest = target.strip_prefix(base_path)?;
    if !(rest.is_empty() || rest.starts_with('/') || rest.starts_with('?')) {
        return None;
    }
    let rest = if rest.starts_with('/') {
        rest.to_owned()
    } else {
        format!("/{rest}")
    };
    let mut out = format!("{method} {rest} {version}").into_bytes();
    out.extend_from_slice(&head[line_end..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_base_path_comes_off_the_request_target() {
        let head = b"GET /rest/default/V1/orders?a=1 HTTP/1.1\r\nHost: x\r\n\r\n";
        let out = strip_base_path(head, "/rest/default").unwrap();
        assert!(out.starts_with(b"GET /V1/orders?a=1 HTTP/1.1\r\nHost: x"));
        assert_eq!(strip_base_path(head, "/rest/all"), None);
        assert_eq!(strip_base_path(head, "/rest/def"), None);
        assert_eq!(strip_base_path(head, "").unwrap(), head.to_vec());
    }

    #[test]
    fn overlays_merge_maps_replace_values_and_remove_nulls() {
        let mut base = json!({"a": {"b": 1, "c": [1, 2], "d": "x"}, "e": 2});
        merge(
            &mut base,
            json!({"a": {"b": 5, "c": [3], "d": null, "f": true}}),
        );
        assert_eq!(base, json!({"a": {"b": 5, "c": [3], "f": true}, "e": 2}));
    }
}
