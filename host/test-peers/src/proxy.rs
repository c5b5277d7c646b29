//! A small fault-injecting HTTP/1.1 proxy between an S3 client and moto (shared by the S3 store's
//! and the cloud tests).
//!
//! It adds `Connection: close` to every request it forwards, so each connection carries exactly
//! one request: a plan of faults indexed by connection is then a plan per request attempt. Faults:
//! reset the connection before forwarding (RST), answer an S3-style 5xx error without forwarding,
//! or forward the request and cut the response off after some bytes (the request took effect but
//! the client never learns it — the case retries of conditional writes must survive).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Pass,
    Reset,
    /// 503 SlowDown or 500 InternalError, as S3 sends them.
    Status(u16),
    /// Forward, then relay only the first N bytes of the response and close.
    Cut(usize),
}

#[derive(Debug, Default)]
pub struct Counts {
    pub connections: AtomicUsize,
    pub resets: AtomicUsize,
    pub statuses: AtomicUsize,
    pub cuts: AtomicUsize,
}

enum Plan {
    Once(Vec<Fault>),
    Cycle(Vec<Fault>),
}

impl Plan {
    fn fault(&self, connection: usize) -> Fault {
        match self {
            Plan::Once(plan) => plan.get(connection).copied(),
            Plan::Cycle(plan) if !plan.is_empty() => Some(plan[connection % plan.len()]),
            Plan::Cycle(_) => None,
        }
        .unwrap_or(Fault::Pass)
    }
}

pub struct Proxy {
    pub endpoint: String,
    pub counts: Arc<Counts>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Proxy {
    /// Listens on a free port of 127.0.0.1; connection `i` gets `plan[i]` (then `Pass`).
    pub fn start(upstream_port: u16, plan: Vec<Fault>) -> Proxy {
        Self::with_plan(upstream_port, Plan::Once(plan))
    }

    /// Like [`Proxy::start`], with `plan` repeated for ever (connection `i` gets
    /// `plan[i % len]`): faults all through a long run.
    pub fn cycling(upstream_port: u16, plan: Vec<Fault>) -> Proxy {
        Self::with_plan(upstream_port, Plan::Cycle(plan))
    }

    fn with_plan(upstream_port: u16, plan: Plan) -> Proxy {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("proxy port");
        std_listener.set_nonblocking(true).unwrap();
        let port = std_listener.local_addr().unwrap().port();
        let upstream: SocketAddr = ([127, 0, 0, 1], upstream_port).into();
        let counts = Arc::new(Counts::default());
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        let thread_counts = counts.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).unwrap();
                let plan = Arc::new(plan);
                let accept = async {
                    loop {
                        let Ok((client, _)) = listener.accept().await else {
                            continue;
                        };
                        let n = thread_counts.connections.fetch_add(1, Ordering::SeqCst);
                        let fault = plan.fault(n);
                        let counts = thread_counts.clone();
                        tokio::spawn(async move {
                            let _ = handle(client, upstream, fault, &counts).await;
                        });
                    }
                };
                tokio::select! {
                    _ = accept => {}
                    _ = stop_rx => {}
                }
            });
        });
        Proxy {
            endpoint: format!("http://127.0.0.1:{port}"),
            counts,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    pub fn injected(&self) -> usize {
        self.counts.resets.load(Ordering::SeqCst)
            + self.counts.statuses.load(Ordering::SeqCst)
            + self.counts.cuts.load(Ordering::SeqCst)
    }
}

pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// What `stream` sent up to the end of its head (`\r\n\r\n`), and where the head ends (any
/// body bytes read with it follow); `None` when it closed first.
pub(crate) async fn read_head(stream: &mut TcpStream) -> std::io::Result<Option<(Vec<u8>, usize)>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            return Ok(Some((buf, i + 4)));
        }
    }
}

/// The request head with any `Connection` header replaced by `Connection: close`.
pub(crate) fn one_shot(head: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(head);
    let mut out = String::new();
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    out.into_bytes()
}

async fn handle(
    mut client: TcpStream,
    upstream: SocketAddr,
    fault: Fault,
    counts: &Counts,
) -> std::io::Result<()> {
    let Some((buf, head_end)) = read_head(&mut client).await? else {
        return Ok(());
    };
    let mut chunk = [0u8; 16 * 1024];
    match fault {
        Fault::Reset => {
            counts.resets.fetch_add(1, Ordering::SeqCst);
            client.set_zero_linger()?;
            drop(client);
            return Ok(());
        }
        Fault::Status(status) => {
            counts.statuses.fetch_add(1, Ordering::SeqCst);
            let (reason, code) = if status == 503 {
                ("Service Unavailable", "SlowDown")
            } else {
                ("Internal Server Error", "InternalError")
            };
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>injected fault</Message><RequestId>fault</RequestId></Error>"
            );
            let response = format!(
                "HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            client.write_all(response.as_bytes()).await?;
            client.shutdown().await?;
            // Let the client finish sending its body, so it reads the answer rather than a reset.
            let _ = tokio::time::timeout(Duration::from_secs(5), async {
                while client.read(&mut chunk).await.unwrap_or(0) > 0 {}
            })
            .await;
            return Ok(());
        }
        Fault::Pass | Fault::Cut(_) => {}
    }
    let mut up = TcpStream::connect(upstream).await?;
    up.write_all(&one_shot(&buf[..head_end])).await?;
    up.write_all(&buf[head_end..]).await?;
    let (mut client_read, mut client_write) = client.into_split();
    let (mut up_read, mut up_write) = up.into_split();
    let request = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_read, &mut up_write).await;
        let _ = up_write.shutdown().await;
    });
    let limit = match fault {
        Fault::Cut(n) => Some(n),
        _ => None,
    };
    let mut relayed = 0usize;
    loop {
        let n = up_read.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        let take = limit.map_or(n, |l| n.min(l - relayed));
        client_write.write_all(&chunk[..take]).await?;
        relayed += take;
        if limit.is_some_and(|l| relayed >= l) {
            counts.cuts.fetch_add(1, Ordering::SeqCst);
            break;
        }
    }
    request.abort();
    let _ = client_write.shutdown().await;
    Ok(())
}
