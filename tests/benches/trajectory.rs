//! Trajectory pipeline benchmark on the real traces: per trace, in one run, the figures
//! the trajectory issue asks for. Run with `make bench`.
//!
//! - body bytes per received fix at a 5-minute upload cadence, all-in bytes with HTTP
//!   (measured through a byte-counting proxy against the real server), requests per hour;
//! - the same data as one request per fix (OsmAnd-style query, measured on this trace) and
//!   as a JSON batch of Transistorsoft-style records (measured);
//! - point reduction and maximum deviation after decoding;
//! - durable ingest (filter + group commit, fixes/s) next to raw batched rusqlite inserts
//!   on the same machine, commits per driving minute;
//! - resident memory before and after a simulated 10-hour shift.

use std::time::Instant;

use waybill_core::Fix;
use waybill_core::track::filter::{FilterConfig, FixFilter};
use waybill_core::track::{DEFAULT_EPSILON_M, encode_batch};
use waybill_e2e::{LossyProxy, ServerProcess, allow_trajectory, carrying_driver, traces};
use waybill_protocol::trajectory;

const CADENCE_MS: i64 = 5 * 60 * 1000;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn filtered(raw: &[Fix]) -> Vec<Fix> {
    let mut filter = FixFilter::new(FilterConfig::default());
    raw.iter().flat_map(|f| filter.push(*f)).collect()
}

/// Splits kept fixes into 5-minute upload windows.
fn windows(kept: &[Fix]) -> Vec<Vec<Fix>> {
    let mut out: Vec<Vec<Fix>> = vec![];
    for f in kept {
        let start = out
            .last()
            .and_then(|w| w.first())
            .map(|w| w.at.timestamp_millis());
        match start {
            Some(s) if f.at.timestamp_millis() - s < CADENCE_MS => out.last_mut().unwrap().push(*f),
            _ => out.push(vec![*f]),
        }
    }
    out
}

fn osmand_query_bytes(f: &Fix) -> usize {
    // Traccar Client (OsmAnd protocol): one request per fix.
    format!(
        "POST /?id=358240051111110&timestamp={}&lat={:.6}&lon={:.6}&speed=12.3&bearing=181.2&altitude=520.1&accuracy=5.0&batt=81.0 HTTP/1.1\r\nHost: gps.example.com:5055\r\nContent-Length: 0\r\nUser-Agent: Traccar Client\r\n\r\n",
        f.at.timestamp(),
        f.lat,
        f.lon
    )
    .len()
}

fn json_record_bytes(f: &Fix) -> usize {
    // A Transistorsoft-style location record (one element of a JSON batch).
    serde_json::json!({
        "uuid": "9f1c5e2a-4b7d-4c1e-9a3f-2b8d6e0c1a7f",
        "timestamp": f.at.to_rfc3339(),
        "coords": {"latitude": f.lat, "longitude": f.lon, "accuracy": 5.0, "speed": 12.3,
                   "heading": 181.2, "altitude": 520.1},
        "activity": {"type": "in_vehicle", "confidence": 100},
        "battery": {"level": 0.81, "is_charging": false},
        "is_moving": true, "odometer": 12345.6,
    })
    .to_string()
    .len()
        + 1
}

fn pipeline_figures() {
    println!("\n== wire, per trace (5-minute batches, {DEFAULT_EPSILON_M} m bound) ==");
    println!(
        "{:<28} {:>6} {:>6} {:>6} {:>7} {:>8} {:>9} {:>9} {:>10} {:>8}",
        "trace",
        "fixes",
        "kept",
        "sent",
        "reduct",
        "B/fix",
        "max dev",
        "req/h",
        "OsmAnd B",
        "JSON B"
    );
    for name in traces::ALL {
        let raw = traces::load(name);
        let kept = filtered(&raw);
        let (mut bytes, mut sent, mut worst) = (0usize, 0usize, 0f64);
        let batches = windows(&kept);
        for w in &batches {
            let (body, points) = encode_batch(w, &[], DEFAULT_EPSILON_M);
            let decoded = trajectory::decode(&body).expect("decodes");
            worst = worst.max(traces::decoded_deviation(w, &decoded));
            bytes += body.len();
            sent += points;
        }
        let hours = (raw.last().unwrap().at - raw.first().unwrap().at)
            .num_seconds()
            .max(1) as f64
            / 3600.0;
        let osmand: usize = raw.iter().map(osmand_query_bytes).sum();
        let json: usize = raw.iter().map(json_record_bytes).sum();
        println!(
            "{:<28} {:>6} {:>6} {:>6} {:>6.1}% {:>8.3} {:>7.2} m {:>9.1} {:>10.0} {:>8.0}",
            name,
            raw.len(),
            kept.len(),
            sent,
            100.0 * (1.0 - sent as f64 / raw.len() as f64),
            bytes as f64 / raw.len() as f64,
            worst,
            batches.len() as f64 / hours,
            osmand as f64 / raw.len() as f64,
            json as f64 / raw.len() as f64,
        );
    }
}

async fn all_in_figures() {
    println!(
        "\n== all-in HTTP bytes, Munich trace uploaded in 5-minute batches to the real server =="
    );
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let proxy = LossyProxy::start(server.addr).await;
    let (client, order_id) = carrying_driver(&dir.path().join("d"), &proxy.base_url()).await;
    client.sync().await.unwrap();
    allow_trajectory(&client);
    client.sync().await.unwrap(); // receipts out of the way
    // A sync with nothing to upload: its bytes are the baseline (the change-feed pull).
    let (u0, d0) = proxy.bytes();
    client.sync().await.unwrap();
    let (u1, d1) = proxy.bytes();
    let idle = (u1 - u0) + (d1 - d0);
    let raw = traces::load("x0001-001.json");
    let (mut total, mut syncs, mut body) = (0u64, 0u64, 0u64);
    let mut window_start = raw[0].at.timestamp_millis();
    for chunk in raw.chunks(10) {
        client.record_fixes(&order_id, chunk).unwrap();
        let t = chunk.last().unwrap().at.timestamp_millis();
        if t - window_start >= CADENCE_MS
            || std::ptr::eq(chunk.as_ptr_range().end, raw.as_ptr_range().end)
        {
            window_start = t;
            let (ua, da) = proxy.bytes();
            let report = client.sync().await.unwrap();
            let (ub, db) = proxy.bytes();
            total += (ub - ua) + (db - da) - idle;
            body += report.trajectory_bytes;
            syncs += 1;
        }
    }
    println!(
        "{} fixes, {syncs} uploads: {body} body bytes = {:.3} B/fix; all-in (request and reply, headers included, idle sync of {idle} B subtracted) {total} B = {:.2} B/fix",
        raw.len(),
        body as f64 / raw.len() as f64,
        total as f64 / raw.len() as f64
    );
}

fn ingest_figures() {
    println!("\n== durable ingest: a simulated 10-hour shift at 1 Hz through the core ==");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let (client, order_id) =
        rt.block_on(async { carrying_driver(&dir.path().join("d"), &server.base_url).await });
    allow_trajectory(&client);
    // The Munich drive repeated, shifted in time and place, one fix per call as a shell
    // delivers them.
    let base = traces::load("x0001-001.json");
    let span = base.last().unwrap().at - base.first().unwrap().at + chrono::Duration::seconds(1);
    let shift: Vec<Fix> = (0..30)
        .flat_map(|k| {
            base.iter().map(move |f| Fix {
                at: f.at + span * k,
                lat: f.lat + 0.01 * f64::from(k),
                ..*f
            })
        })
        .collect();
    let rss_before = rss_kib();
    let started = Instant::now();
    for f in &shift {
        client
            .record_fixes(&order_id, std::slice::from_ref(f))
            .unwrap();
    }
    client.flush_fixes().unwrap();
    let ingest = started.elapsed().as_secs_f64();
    let rss_after = rss_kib();
    let minutes = shift.len() as f64 / 60.0;
    println!(
        "{} fixes ({:.1} h at 1 Hz) in {:.2} s = {:.0} fixes/s durable; commits per driving minute ≤ {:.1} (every 64 fixes or 10 s); RSS {} KiB → {} KiB",
        shift.len(),
        minutes / 60.0,
        ingest,
        shift.len() as f64 / ingest,
        (shift.len() as f64 / 64.0).max(minutes * 6.0) / minutes,
        rss_before,
        rss_after
    );

    // The raw rate on the same machine: batched inserts of 64 rows, WAL, synchronous=FULL.
    let raw_dir = tempfile::tempdir().unwrap();
    let mut conn = rusqlite::Connection::open(raw_dir.path().join("raw.sqlite3")).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch(
        "CREATE TABLE fixes (seq INTEGER PRIMARY KEY, order_id TEXT, purpose TEXT, at TEXT,
             lat REAL, lon REAL, accuracy_m REAL, collected_at TEXT, sent_at TEXT)",
    )
    .unwrap();
    let started = Instant::now();
    for chunk in shift.chunks(64) {
        let tx = conn.transaction().unwrap();
        {
            let mut stmt = tx
                .prepare_cached("INSERT INTO fixes (order_id, purpose, at, lat, lon, accuracy_m, collected_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
                .unwrap();
            for f in chunk {
                stmt.execute(rusqlite::params![
                    "o",
                    "p",
                    f.at.to_rfc3339(),
                    f.lat,
                    f.lon,
                    f.accuracy_m,
                    f.at.to_rfc3339()
                ])
                .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    let raw_s = started.elapsed().as_secs_f64();
    println!(
        "raw rusqlite, 64-row transactions, same rows: {:.0} rows/s; the core reaches {:.0} % of it (the filter drops standing-still fixes, so it writes fewer rows)",
        shift.len() as f64 / raw_s,
        100.0 * (shift.len() as f64 / ingest) / (shift.len() as f64 / raw_s)
    );
}

fn main() {
    pipeline_figures();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(all_in_figures());
    ingest_figures();
    println!(
        "\nreference: one request per fix at 1 Hz = 3,600 requests/hour; the core uploads 12/hour"
    );
}
