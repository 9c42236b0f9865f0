//! Proof upload throughput on loopback: the core's tus upload (through sync, to the real
//! server, 1 MiB and 4 MiB chunks with per-chunk checksums, offsets committed to SQLite)
//! against one plain HTTP PUT of the same bytes with reqwest to a sink that writes them
//! to a file and syncs it; and the bytes a torn upload sends again. Run with `make bench`.

use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use waybill_core::protocol::ActionKind;
use waybill_core::{Capture, Network, ProofKind, ProofSource};
use waybill_e2e::images::noise_png;
use waybill_e2e::{LossyProxy, ServerProcess, photographing_driver};

const SIZE: usize = 20 * 1024 * 1024;

/// A sink that reads one HTTP request with a Content-Length body into a file, syncs it and
/// answers 200: the least a server storing an upload does.
async fn sink() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 256 * 1024];
                let mut head = Vec::new();
                let body_start = loop {
                    let n = s.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    head.extend(&buf[..n]);
                    if let Some(i) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let text = String::from_utf8_lossy(&head[..body_start]).to_lowercase();
                let length: usize = text
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                // Stored like the upload is: written to a file and synced.
                let mut file = match tempfile::tempfile() {
                    Ok(f) => f,
                    Err(e) => panic!("sink file: {e}"),
                };
                let _ = std::io::Write::write_all(&mut file, &head[body_start..]);
                let mut read = head.len() - body_start;
                while read < length {
                    let n = s.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    let _ = std::io::Write::write_all(&mut file, &buf[..n]);
                    read += n;
                }
                let _ = file.sync_all();
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    format!("http://{addr}/sink")
}

fn mib_s(bytes: usize, secs: f64) -> f64 {
    bytes as f64 / 1_048_576.0 / secs
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let proxy = LossyProxy::start(server.addr).await;
    let data = dir.path().join("d");
    let (client, order_id) = photographing_driver(&data, &proxy.base_url()).await;
    let take = |seed: u64| {
        client
            .take_proof(
                &order_id,
                ProofKind::Damage,
                ActionKind::ReportException,
                &ProofSource::Bytes(noise_png(SIZE, seed)),
                Capture {
                    at: chrono::Utc::now(),
                    elapsed_ms: None,
                },
            )
            .unwrap()
    };

    println!("\n== proof upload, {} MiB on loopback ==", SIZE >> 20);
    let body = noise_png(SIZE, 99);
    let url = sink().await;
    let http = reqwest::Client::new();
    let mut put = f64::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        http.put(&url).body(body.clone()).send().await.unwrap();
        put = put.min(started.elapsed().as_secs_f64());
    }
    println!(
        "plain single PUT (reqwest, file sink) {:>7.1} MiB/s",
        mib_s(body.len(), put)
    );
    for (name, network, seed) in [
        ("tus via sync, 1 MiB chunks (metered)", Network::Metered, 1),
        ("tus via sync, 4 MiB chunks (Wi-Fi)", Network::Unmetered, 2),
    ] {
        let proof = take(seed);
        let started = Instant::now();
        let outcome = client
            .sync_in_background(std::time::Duration::from_secs(120), network)
            .await
            .unwrap();
        let secs = started.elapsed().as_secs_f64();
        assert_eq!(outcome.report.proofs_uploaded, 1);
        println!(
            "{name:<38}{:>7.1} MiB/s   {:.2}× the plain PUT's time",
            mib_s(proof.bytes as usize, secs),
            secs / put
        );
    }
    // Torn in the middle, then resumed.
    let proof = take(3);
    let (up0, _) = proxy.bytes();
    proxy.cut_upstream_after(proof.bytes / 2);
    let torn = client.sync().await;
    assert!(torn.is_err(), "the cut tore the upload: {torn:?}");
    let report = client.sync().await.unwrap();
    let (up1, _) = proxy.bytes();
    assert_eq!(report.proofs_uploaded, 1);
    println!(
        "torn at half and resumed: {} B on the wire for a {} B proof, {} B beyond it (re-sent chunk + headers)",
        up1 - up0,
        proof.bytes,
        (up1 - up0).saturating_sub(proof.bytes)
    );
}

fn main() {
    tokio::runtime::Runtime::new().unwrap().block_on(run());
}
