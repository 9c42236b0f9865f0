//! What a request costs through the built-in transport (reqwest over rustls, the CLI's and
//! tests'), with the same procedure as the Kotlin `TransportCostBench` over OkHttp (the
//! phones'): an idle sync's wall time and requests, and a recorded drive synced every
//! minute of trace time — requests per driving hour and trajectory body bytes per fix.
//! The core builds the same requests either way (ADR 0014); this shows what the carrier
//! adds. Run with `make bench`.

use std::sync::Arc;
use std::time::Instant;

use waybill_core::net::Transport;
use waybill_core::{KeyFile, Waybill};
use waybill_e2e::counting::CountingTransport;
use waybill_e2e::{ServerProcess, allow_trajectory, driver_config, sign_in, traces};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let data = dir.path().join("d");
    let transport = Arc::new(CountingTransport::new());
    // As the Kotlin bench's app: no control key, so no notices or control documents are
    // pulled (the two benches make the same requests).
    let config = waybill_core::Config {
        control_key: None,
        ..driver_config(&data, &server.base_url)
    };
    let client = Waybill::open_with_transport(
        config,
        &KeyFile::in_dir(&data),
        Arc::clone(&transport) as Arc<dyn Transport>,
    )
    .unwrap();
    client.accept_policy("first_run_dialog").unwrap();
    sign_in(&client).await;
    let order = client
        .refresh_open_orders(waybill_e2e::SHANGHAI, 60_000)
        .await
        .unwrap()[0]
        .id
        .clone();
    client.accept_order(&order).unwrap();
    client.pick_up(&order).unwrap();
    allow_trajectory(&client);
    client.sync().await.unwrap();
    for _ in 0..100 {
        client.sync().await.unwrap(); // warm-up, as the Kotlin bench's
    }

    let mut idle = Vec::new();
    let before = transport.total();
    for _ in 0..100 {
        let t0 = Instant::now();
        client.sync().await.unwrap();
        idle.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    let idle_requests = (transport.total() - before) as f64 / 100.0;
    idle.sort_by(f64::total_cmp);

    let trace = traces::load("x0001-001.json");
    let hours = (trace.last().unwrap().at - trace[0].at).num_seconds() as f64 / 3600.0;
    let before = transport.total();
    let (mut body, mut last) = (0u64, trace[0].at);
    for chunk in trace.chunks(10) {
        client.record_fixes(&order, chunk).unwrap();
        let t = chunk.last().unwrap().at;
        if t - last >= chrono::Duration::minutes(1) {
            last = t;
            body += client.sync().await.unwrap().trajectory_bytes;
        }
    }
    client.flush_fixes().unwrap();
    body += client.sync().await.unwrap().trajectory_bytes;
    let drive_requests = transport.total() - before;

    println!(
        "\n== the built-in transport (reqwest + rustls), same procedure as Kotlin's TransportCostBench =="
    );
    println!(
        "idle sync: p50 {:.2} ms, p90 {:.2} ms, {:.1} requests each",
        percentile(&idle, 0.5),
        percentile(&idle, 0.9),
        idle_requests
    );
    println!(
        "drive x0001-001 ({} fixes, {:.2} h, a sync per trace minute): {} requests = {:.0} per driving hour; {} body bytes = {:.2} B per fix",
        trace.len(),
        hours,
        drive_requests,
        drive_requests as f64 / hours,
        body,
        body as f64 / trace.len() as f64
    );
}
