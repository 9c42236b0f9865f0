//! A simulated mobile link: a loopback TCP proxy between the app and the server that can
//! go offline, lose a reply after the server committed it, tear a request at a byte
//! offset, answer 500, slow down, and count the bytes on the wire. The demo drives a
//! driver's day through it; the end-to-end suites inject their faults with it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A loopback TCP proxy in front of the server that can drop replies: the request
/// reaches the server (which commits it) but the client never sees the answer, as when a
/// phone loses signal between sending and receiving.
#[derive(Debug, Clone)]
pub struct LossyProxy {
    /// Address clients connect to.
    pub addr: SocketAddr,
    replies_to_drop: Arc<AtomicU32>,
    connections: Arc<AtomicU32>,
    faults: Arc<Faults>,
}

/// Faults injected on new connections and on every reply, and bytes counted.
#[derive(Debug, Default)]
struct Faults {
    /// Bytes relayed client → server and server → client.
    bytes_up: std::sync::atomic::AtomicU64,
    bytes_down: std::sync::atomic::AtomicU64,
    /// New connections answered `500` without reaching the server.
    fail_connections: AtomicU32,
    /// Delay before each reply chunk, in milliseconds.
    delay_ms: AtomicU32,
    /// Client → server bytes still to relay before the connection is cut (0: no cut).
    cut_up_after: std::sync::atomic::AtomicU64,
    /// No signal: new connections are closed at once, open ones are cut.
    offline: AtomicBool,
}

impl LossyProxy {
    /// Starts a proxy to `upstream` on the current tokio runtime.
    pub async fn start(upstream: SocketAddr) -> LossyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let replies_to_drop = Arc::new(AtomicU32::new(0));
        let connections = Arc::new(AtomicU32::new(0));
        let faults = Arc::new(Faults::default());
        let budget = Arc::clone(&replies_to_drop);
        let counter = Arc::clone(&connections);
        let injected = Arc::clone(&faults);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(relay(
                    client,
                    upstream,
                    Arc::clone(&budget),
                    Arc::clone(&injected),
                ));
            }
        });
        LossyProxy {
            addr,
            replies_to_drop,
            connections,
            faults,
        }
    }

    /// The next `n` new connections get `500 Internal Server Error` at once; the server
    /// never sees their requests.
    pub fn fail_next_connections(&self, n: u32) {
        self.faults.fail_connections.store(n, Ordering::SeqCst);
    }

    /// Bytes relayed so far, (client → server, server → client): HTTP all-in, without
    /// TCP/IP headers.
    pub fn bytes(&self) -> (u64, u64) {
        (
            self.faults.bytes_up.load(Ordering::SeqCst),
            self.faults.bytes_down.load(Ordering::SeqCst),
        )
    }

    /// Every reply chunk is held back `ms` milliseconds (a slow mobile link).
    pub fn set_delay_ms(&self, ms: u32) {
        self.faults.delay_ms.store(ms, Ordering::SeqCst);
    }

    /// The connection carrying the next `n` client → server bytes is cut after them (a
    /// request torn at a byte offset, as when a phone leaves the dock's Wi-Fi mid-upload).
    pub fn cut_upstream_after(&self, n: u64) {
        self.faults.cut_up_after.store(n.max(1), Ordering::SeqCst);
    }

    /// No signal (`true`) or signal back (`false`): while offline every connection,
    /// new or open, is closed without a byte relayed, as in a tunnel.
    pub fn set_offline(&self, offline: bool) {
        self.faults.offline.store(offline, Ordering::SeqCst);
    }

    /// `http://addr`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next `n` replies are read from the server and thrown away, and the client's
    /// connection is cut.
    pub fn drop_next_replies(&self, n: u32) {
        self.replies_to_drop.store(n, Ordering::SeqCst);
    }

    /// TCP connections clients have opened through the proxy so far.
    pub fn connections(&self) -> u32 {
        self.connections.load(Ordering::SeqCst)
    }

    /// Replies still to be dropped.
    pub fn replies_left_to_drop(&self) -> u32 {
        self.replies_to_drop.load(Ordering::SeqCst)
    }
}

async fn relay(
    mut client: TcpStream,
    upstream: SocketAddr,
    budget: Arc<AtomicU32>,
    faults: Arc<Faults>,
) {
    if faults.offline.load(Ordering::SeqCst) {
        return; // dropped: the client sees the connection closed
    }
    let fail = faults
        .fail_connections
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| b.checked_sub(1))
        .is_ok();
    if fail {
        let mut buf = vec![0u8; 16 * 1024];
        let _ = client.read(&mut buf).await;
        let _ = client
            .write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .await;
        return;
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return; // upstream down: the client sees a reset, like a dead server
    };
    let (mut client_read, mut client_write) = client.split();
    let (mut server_read, mut server_write) = server.split();
    let upstream_leg = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = client_read.read(&mut buf).await?;
            if n == 0 || faults.offline.load(Ordering::SeqCst) {
                return Ok::<_, std::io::Error>(());
            }
            let cut = faults.cut_up_after.load(Ordering::SeqCst);
            if cut > 0 && n as u64 >= cut {
                faults.cut_up_after.store(0, Ordering::SeqCst);
                faults.bytes_up.fetch_add(cut, Ordering::SeqCst);
                server_write.write_all(&buf[..cut as usize]).await?;
                return Ok(()); // torn here
            }
            if cut > 0 {
                faults.cut_up_after.store(cut - n as u64, Ordering::SeqCst);
            }
            faults.bytes_up.fetch_add(n as u64, Ordering::SeqCst);
            server_write.write_all(&buf[..n]).await?;
        }
    };
    let downstream_leg = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = server_read.read(&mut buf).await?;
            if n == 0 || faults.offline.load(Ordering::SeqCst) {
                return Ok::<_, std::io::Error>(());
            }
            let drop_it = budget
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| b.checked_sub(1))
                .is_ok();
            if drop_it {
                return Ok(()); // cut: the reply dies here
            }
            let delay = faults.delay_ms.load(Ordering::SeqCst);
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(u64::from(delay))).await;
            }
            faults.bytes_down.fetch_add(n as u64, Ordering::SeqCst);
            client_write.write_all(&buf[..n]).await?;
        }
    };
    tokio::select! {
        _ = upstream_leg => {}
        _ = downstream_leg => {}
    }
}
