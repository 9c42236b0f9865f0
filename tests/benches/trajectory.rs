//! Trajectory pipeline benchmark on the real traces: per trace, in one run, the figures
//! the trajectory issue asks for. Run with `make bench`.
//!
//! - through the whole engine to the real server: body bytes per received fix at the
//!   engine's 5-minute upload cadence, all-in bytes with HTTP (measured by a byte-counting
//!   proxy), requests per hour;
//! - the same data as one request per fix (OsmAnd-style query, measured on this trace) and
//!   as a JSON batch of Transistorsoft-style records (measured);
//! - point reduction and maximum deviation after decoding;
//! - durable ingest (filter + group commit, fixes/s) next to raw batched rusqlite inserts
//!   on the same machine, commits per driving minute;
//! - resident memory before and after a simulated 10-hour shift.

use std::time::Instant;

use waybill_core::Fix;
use waybill_core::track::DEFAULT_EPSILON_M;
use waybill_core::track::filter::{FilterConfig, FixFilter};
use waybill_e2e::{LossyProxy, ServerProcess, allow_trajectory, carrying_driver, traces};
use waybill_protocol::trajectory;

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

/// What one trace costs through the whole engine: a driver carrying an order records the
/// trace (10 fixes a call), the app syncs every minute of trace time (the engine decides
/// which syncs upload: every 5 minutes of fixes, continuing batches), and signs off at the
/// end. Bytes are counted on the wire by a proxy: a sync's idle part (the change feed) is
/// measured alone and subtracted from the syncs that upload while the order is in transit,
/// which gives the HTTP cost of an upload beyond its body; the last upload shares its sync
/// with the sign-off action, so it is counted as body plus that measured cost.
struct Run {
    body: u64,
    /// HTTP bytes (request and reply, headers included) of in-transit uploads beyond their
    /// bodies, and how many such uploads.
    overhead: (u64, u32),
    batches: u32,
    points: Vec<trajectory::Point>,
}

async fn through_the_engine(raw: &[Fix]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let proxy = LossyProxy::start(server.addr).await;
    let data = dir.path().join("d");
    let (client, order_id) = carrying_driver(&data, &proxy.base_url()).await;
    allow_trajectory(&client);
    client.sync().await.unwrap(); // receipts out of the way
    let (u0, d0) = proxy.bytes();
    client.sync().await.unwrap();
    let (u1, d1) = proxy.bytes();
    let idle = (u1 - u0) + (d1 - d0);
    let mut run = Run {
        body: 0,
        overhead: (0, 0),
        batches: 0,
        points: vec![],
    };
    let mut last_sync = raw[0].at;
    let sync = async |run: &mut Run, in_transit: bool| {
        let (ua, da) = proxy.bytes();
        let report = client.sync().await.unwrap();
        let (ub, db) = proxy.bytes();
        if in_transit && report.trajectory_batches > 0 {
            let wire = ((ub - ua) + (db - da)).saturating_sub(idle);
            run.overhead.0 += wire.saturating_sub(report.trajectory_bytes);
            run.overhead.1 += report.trajectory_batches;
        }
        run.body += report.trajectory_bytes;
        run.batches += report.trajectory_batches;
    };
    for chunk in raw.chunks(10) {
        client.record_fixes(&order_id, chunk).unwrap();
        let t = chunk.last().unwrap().at;
        if t - last_sync >= chrono::Duration::minutes(1) {
            last_sync = t;
            sync(&mut run, true).await;
        }
    }
    client.deliver(&order_id).unwrap();
    sync(&mut run, false).await;
    run.points = waybill_e2e::held_trajectory(&server.base_url, &data, &order_id)
        .await
        .1;
    run
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

async fn pipeline_figures() {
    println!(
        "\n== wire, per trace, through the engine to the real server (5-minute cadence, {DEFAULT_EPSILON_M} m bound) =="
    );
    println!(
        "{:<28} {:>6} {:>6} {:>6} {:>7} {:>8} {:>9} {:>9} {:>9} {:>9} {:>8}",
        "trace",
        "fixes",
        "kept",
        "sent",
        "reduct",
        "body B/f",
        "all-in B/f",
        "max dev",
        "req/h",
        "OsmAnd B",
        "JSON B"
    );
    // The HTTP cost of one upload beyond its body, measured on the first (longest) trace.
    let mut per_upload: Option<f64> = None;
    for name in traces::ALL {
        let raw = traces::load(name);
        let kept = filtered(&raw);
        let run = through_the_engine(&raw).await;
        let per = *per_upload
            .get_or_insert_with(|| run.overhead.0 as f64 / f64::from(run.overhead.1.max(1)));
        let all_in = run.body as f64 + per * f64::from(run.batches);
        let worst = traces::decoded_deviation(&kept, &run.points);
        let hours = (raw.last().unwrap().at - raw.first().unwrap().at)
            .num_seconds()
            .max(1) as f64
            / 3600.0;
        let osmand: usize = raw.iter().map(osmand_query_bytes).sum();
        let json: usize = raw.iter().map(json_record_bytes).sum();
        let n = raw.len() as f64;
        println!(
            "{:<28} {:>6} {:>6} {:>6} {:>6.1}% {:>8.3} {:>10.2} {:>7.2} m {:>9.1} {:>9.0} {:>8.0}",
            name,
            raw.len(),
            kept.len(),
            run.points.len(),
            100.0 * (1.0 - run.points.len() as f64 / n),
            run.body as f64 / n,
            all_in / n,
            worst,
            f64::from(run.batches) / hours,
            osmand as f64 / n,
            json as f64 / n,
        );
    }
    println!(
        "(all-in = body + {:.0} B of HTTP per upload, request and reply with headers, measured on the first trace's in-transit uploads)",
        per_upload.unwrap_or_default()
    );
}

/// A 10-hour shift at 1 Hz: the Munich drive repeated, shifted in time and place.
fn shift() -> Vec<Fix> {
    let base = traces::load("x0001-001.json");
    let span = base.last().unwrap().at - base.first().unwrap().at + chrono::Duration::seconds(1);
    (0..30)
        .flat_map(|k| {
            base.iter().map(move |f| Fix {
                at: f.at + span * k,
                lat: f.lat + 0.01 * f64::from(k),
                ..*f
            })
        })
        .collect()
}

/// Requests per hour over a long drive, where the sign-off upload no longer weighs.
async fn long_drive_figures() {
    let shift = shift();
    let run = through_the_engine(&shift).await;
    let hours = (shift.last().unwrap().at - shift[0].at).num_seconds() as f64 / 3600.0;
    println!(
        "\n== a {hours:.1}-hour shift at 1 Hz through the engine ==\n{} fixes, {} uploads = {:.1} requests/hour, body {:.3} B/fix",
        shift.len(),
        run.batches,
        f64::from(run.batches) / hours,
        run.body as f64 / shift.len() as f64
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
    let shift = shift();
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

/// What sealing a fix at rest costs in CPU (docs/at-rest.md): a fix is three sealed
/// values (latitude, longitude, accuracy), each 9 bytes of plaintext.
fn sealing_figures() {
    println!("\n== sealing at rest: AES-256-GCM per value (ring) ==");
    let key = waybill_core::db::DataKey::from_bytes(&[7u8; 32]).unwrap();
    let n = 300_000;
    let plain = [2u8, 0x40, 0x48, 0x11, 0x11, 0x22, 0x33, 0x44, 0x55];
    let started = std::time::Instant::now();
    let sealed: Vec<Vec<u8>> = (0..n).map(|_| key.seal(&plain).unwrap()).collect();
    let seal_ns = started.elapsed().as_nanos() as f64 / f64::from(n);
    let started = std::time::Instant::now();
    for s in &sealed {
        assert_eq!(key.open(s).unwrap(), plain);
    }
    let open_ns = started.elapsed().as_nanos() as f64 / f64::from(n);
    println!(
        "seal {seal_ns:.0} ns, open {open_ns:.0} ns per value; a fix (3 values) costs {:.1} µs to seal and {} B on disk instead of 24",
        3.0 * seal_ns / 1000.0,
        3 * sealed[0].len()
    );
}

fn main() {
    sealing_figures();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(pipeline_figures());
    rt.block_on(long_drive_figures());
    ingest_figures();
    println!(
        "\nreference: one request per fix at 1 Hz = 3,600 requests/hour; the core uploads 12/hour"
    );
}
