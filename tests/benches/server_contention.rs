//! One account's small request while another uploads a 25 MiB proof: the reference
//! server must not make everyone wait for one upload's file I/O (the database lock is
//! never held across it). Prints the small request's latency idle and under the upload,
//! and their ratio. Run with `make bench`.

use std::time::{Duration, Instant};

use serde_json::json;
use waybill_e2e::ServerProcess;

const PROOF: usize = 25 * 1024 * 1024;
const CHUNK: usize = 8 * 1024 * 1024;
const SAMPLES: usize = 300;

async fn register(http: &reqwest::Client, url: &str, name: &str) -> String {
    let v = waybill_e2e::sign_in_over_http(http, url, name, "driver").await;
    v["token"].as_str().unwrap().to_string()
}

async fn act(http: &reqwest::Client, url: &str, token: &str, order: &str, kind: &str) {
    http.post(format!("{url}/v1/actions"))
        .bearer_auth(token)
        .json(
            &json!({"actions": [{"key": format!("{kind}-{order}"), "order_id": order,
            "kind": kind, "at": "2026-12-01T08:00:00Z"}]}),
        )
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
}

/// Median and 95th percentile of `SAMPLES` change-feed requests, ms.
async fn latency(http: &reqwest::Client, url: &str, token: &str) -> (f64, f64) {
    let mut ms = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let start = Instant::now();
        http.get(format!("{url}/v1/changes?after=0"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        ms.push(start.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    (ms[SAMPLES / 2], ms[SAMPLES * 95 / 100])
}

/// A 25 MiB proof and its SHA-256, made before anything is measured (the bench's own
/// CPU work must not be what slows the measured requests).
fn proof(seed: u8) -> (Vec<u8>, String) {
    use sha2::Digest;
    let body: Vec<u8> = (0..PROOF)
        .map(|i| (i as u8).wrapping_mul(31) ^ seed)
        .collect();
    let sha = waybill_protocol::hex(&sha2::Sha256::digest(&body));
    (body, sha)
}

/// Uploads one proof of `order` over tus in 8 MiB chunks; returns the time taken.
async fn upload(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    order: &str,
    (body, sha): &(Vec<u8>, String),
) -> Duration {
    let start = Instant::now();
    let created = http
        .post(format!("{url}/v1/uploads"))
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", PROOF.to_string())
        .header(
            "Upload-Metadata",
            waybill_protocol::tus::encode_metadata(&[
                ("order", order),
                ("kind", "delivery"),
                ("sha256", sha),
            ]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_string();
    for (i, chunk) in body.chunks(CHUNK).enumerate() {
        let reply = http
            .patch(format!("{url}{location}"))
            .bearer_auth(token)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", (i * CHUNK).to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(chunk.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status().as_u16(), 204);
    }
    start.elapsed()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let url = server.base_url.clone();
    let http = reqwest::Client::new();
    let uploader = register(&http, &url, "uploader").await;
    let other = register(&http, &url, "other").await;
    act(&http, &url, &uploader, "ord-sh-0001", "accept").await;
    act(&http, &url, &uploader, "ord-sh-0001", "pick_up").await;
    act(&http, &url, &other, "ord-sh-0002", "accept").await;
    let _ = latency(&http, &url, &other).await; // warm up
    let (idle_p50, idle_p95) = latency(&http, &url, &other).await;

    // Uploads back to back, for as long as the other account measures.
    let proofs: Vec<(Vec<u8>, String)> = (0..16u8).map(proof).collect();
    let (up_http, up_url, up_token) = (http.clone(), url.clone(), uploader.clone());
    let measuring = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let going = std::sync::Arc::clone(&measuring);
    let uploads = tokio::spawn(async move {
        let mut taken = vec![];
        for p in &proofs {
            taken.push(upload(&up_http, &up_url, &up_token, "ord-sh-0001", p).await);
            if !going.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
        }
        taken
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (busy_p50, busy_p95) = latency(&http, &url, &other).await;
    measuring.store(false, std::sync::atomic::Ordering::SeqCst);
    let taken = uploads.await.unwrap();
    let mib_s = PROOF as f64 / (1 << 20) as f64 / taken[0].as_secs_f64();
    println!("server contention ({SAMPLES} change-feed requests of another account)");
    println!("  idle:             p50 {idle_p50:.2} ms, p95 {idle_p95:.2} ms");
    println!(
        "  during uploads:   p50 {busy_p50:.2} ms, p95 {busy_p95:.2} ms  ({} proofs of 25 MiB at {mib_s:.0} MiB/s, 8 MiB chunks)",
        taken.len()
    );
    println!(
        "  ratio:            p50 {:.2}x, p95 {:.2}x (target: p50 within 2x idle)",
        busy_p50 / idle_p50,
        busy_p95 / idle_p95
    );
}
