//! Child process for the mixed crash trials: a driver's app doing everything at once —
//! 1 Hz fixes (sped up) on the order it carries, accepting offers, taking photo proofs,
//! syncing against the real server — and saying on stdout what it has made durable:
//! `fixes N` (fixes kept so far, flushed), `action ORDER` (an acceptance, queued
//! durably), `proof SHA` (a proof recorded). The parent SIGKILLs it at a random instant.
//! Usage: `crash_child DATA_DIR SERVER_URL CARRIED_ORDER FIRST_SECOND SEED`.

use std::io::Write;

use chrono::{Duration, Utc};
use waybill_core::protocol::ActionKind;
use waybill_core::{Capture, Fix, OrderList, ProofKind, ProofSource};

/// Iterations before the child says `done`.
const STEPS: u64 = 10;
/// Fixes per iteration (one location callback's batch).
const FIXES: u64 = 10;

/// Synthetic 1 Hz fixes along a road north of Shanghai at ~40 km/h, second `k` of a drive
/// that started 20 hours ago: unlimited, always in the past, always moving forward.
pub fn fix(k: u64) -> Fix {
    let start = Utc::now() - Duration::hours(20);
    Fix {
        at: start + Duration::seconds(k as i64),
        lat: 31.0 + k as f64 * 1.0e-4,
        lon: 121.4 + (k as f64 / 40.0).sin() * 1.0e-3,
        accuracy_m: Some(5.0),
        elapsed_ms: None,
        mock: false,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, data_dir, server_url, carried, first, seed] = args.as_slice() else {
        eprintln!("usage: crash_child DATA_DIR SERVER_URL CARRIED_ORDER FIRST_SECOND SEED");
        std::process::exit(2);
    };
    let first: u64 = first.parse().expect("first second");
    let seed: u64 = seed.parse().expect("seed");
    let client = waybill_core::Waybill::open_with_key_file(waybill_e2e::driver_config(
        std::path::Path::new(data_dir),
        server_url,
    ))
    .expect("open");
    let mut out = std::io::stdout().lock();
    let mut kept = 0u64;
    for step in 0..STEPS {
        let from = first + step * FIXES;
        let fixes: Vec<Fix> = (from..from + FIXES).map(fix).collect();
        kept += u64::from(client.record_fixes(carried, &fixes).expect("record fixes"));
        client.flush_fixes().expect("flush");
        writeln!(out, "fixes {kept}").expect("stdout");
        if step % 3 == 0 {
            let offer = client
                .orders(OrderList::Open)
                .expect("open orders")
                .into_iter()
                .find(|o| !o.assigned_to_me);
            if let Some(offer) = offer {
                client.accept_order(&offer.id).expect("accept");
                writeln!(out, "action {}", offer.id).expect("stdout");
            }
        }
        if step % 5 == 2 {
            let photo = waybill_e2e::images::noise_png(256 * 1024, seed * 100 + step);
            let proof = client
                .take_proof(
                    carried,
                    ProofKind::Damage,
                    ActionKind::ReportException,
                    &ProofSource::Bytes(photo),
                    Capture {
                        at: Utc::now(),
                        elapsed_ms: None,
                    },
                )
                .expect("take proof");
            writeln!(out, "proof {}", proof.sha256).expect("stdout");
        }
        out.flush().expect("flush stdout");
        let _ = client.sync().await;
    }
    writeln!(out, "done").expect("stdout");
}
