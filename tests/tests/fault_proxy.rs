//! A driver's work through toxiproxy (a real TCP fault proxy) in front of the real server:
//! latency, a thin uplink, replies truncated after the server committed, connections reset
//! mid-request, requests cut into tiny segments, and a half-open connection that swallows
//! everything. The same client instance works through all of it without a restart, and at
//! the end every effect is on the server exactly once: each action, each trajectory point,
//! each proof (byte-identical, linked once). (5xx bursts, which toxiproxy cannot make,
//! are `order_sync.rs`'s `LossyProxy::fail_next_connections`.)

use chrono::Utc;
use serde_json::json;
use waybill_core::proof::{Capture, ProofKind, ProofSource};
use waybill_core::protocol::ActionKind;
use waybill_core::{Error, Fix, OrderList, Waybill};
use waybill_e2e::images::noise_png;
use waybill_e2e::toxiproxy::Toxiproxy;
use waybill_e2e::{
    SHANGHAI, ServerProbe, ServerProcess, allow_trajectory, assert_whole_trajectory,
    photographing_driver, proofs_linked, server_upload_hashes, session_token, traces,
};

/// One fault: the toxics it adds, as (name, type, stream, attributes).
struct Fault {
    what: &'static str,
    toxics: Vec<(&'static str, &'static str, &'static str, serde_json::Value)>,
}

fn faults() -> Vec<Fault> {
    vec![
        Fault {
            what: "latency 400 ± 200 ms both ways",
            toxics: vec![
                (
                    "lat-down",
                    "latency",
                    "downstream",
                    json!({"latency": 400, "jitter": 200}),
                ),
                (
                    "lat-up",
                    "latency",
                    "upstream",
                    json!({"latency": 200, "jitter": 100}),
                ),
            ],
        },
        Fault {
            what: "uplink 256 KB/s",
            toxics: vec![("thin", "bandwidth", "upstream", json!({"rate": 256}))],
        },
        Fault {
            what: "replies cut after 200 bytes (the server committed)",
            toxics: vec![("cut", "limit_data", "downstream", json!({"bytes": 200}))],
        },
        Fault {
            what: "connections reset 30 ms into a request",
            toxics: vec![("reset", "reset_peer", "upstream", json!({"timeout": 30}))],
        },
        Fault {
            what: "requests sliced into ~64-byte segments",
            toxics: vec![(
                "slice",
                "slicer",
                "upstream",
                json!({"average_size": 64, "size_variation": 32, "delay": 50}),
            )],
        },
        Fault {
            what: "half-open: nothing comes back, the connection never closes",
            toxics: vec![("void", "timeout", "downstream", json!({"timeout": 0}))],
        },
    ]
}

fn captured() -> Capture {
    Capture {
        at: Utc::now(),
        elapsed_ms: None,
    }
}

/// Syncs until everything queued is through (the faults are gone by then); returns how
/// many attempts it took.
async fn sync_until_clean(client: &Waybill) -> u32 {
    for attempt in 1..=5 {
        if let Ok(report) = client.sync().await
            && report.remaining == 0
            && report.completed
        {
            return attempt;
        }
    }
    panic!("the client did not recover within 5 syncs once the fault was gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_effect_lands_once_through_real_network_faults() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let tox = Toxiproxy::start(server.addr).await;
    let data = dir.path().join("d");
    let (client, carried) = photographing_driver(&data, &tox.base_url()).await;
    allow_trajectory(&client);
    client.sync().await.unwrap();
    let shipper = ServerProbe::connect(&server.base_url).await;
    for n in 0..faults().len() as u32 {
        shipper.create_errand(SHANGHAI, 100 + n).await;
    }
    let offers: Vec<String> = client
        .refresh_open_orders(SHANGHAI, 60_000)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .filter(|id| *id != carried)
        .take(faults().len())
        .collect();
    assert_eq!(offers.len(), faults().len(), "enough seeded offers");

    let trace: Vec<Fix> = traces::load("x0001-001.json");
    let per_fault = trace.len().div_ceil(faults().len());
    let mut proofs = Vec::new();
    let mut tally = Vec::new();
    for (i, fault) in faults().into_iter().enumerate() {
        for (name, kind, stream, attributes) in &fault.toxics {
            tox.add(name, kind, stream, attributes.clone()).await;
        }
        // Work done while the fault is on: fixes, an action, every other time a photo.
        for chunk in trace[i * per_fault..((i + 1) * per_fault).min(trace.len())].chunks(10) {
            client.record_fixes(&carried, chunk).unwrap();
        }
        client.accept_order(&offers[i]).unwrap();
        if i % 2 == 1 {
            let photo = noise_png(1536 * 1024, i as u64);
            let proof = client
                .take_proof(
                    &carried,
                    ProofKind::Damage,
                    ActionKind::ReportException,
                    &ProofSource::Bytes(photo),
                    captured(),
                )
                .unwrap();
            proofs.push(proof.sha256);
        }
        let during = client.sync().await;
        assert!(
            matches!(during, Ok(_) | Err(Error::Offline { .. })),
            "{}: a network fault is Offline, typed: {during:?}",
            fault.what
        );
        for (name, ..) in &fault.toxics {
            tox.remove(name).await;
        }
        let attempts = sync_until_clean(&client).await;
        tally.push(format!(
            "{}: sync under fault {}, clean after {attempts} more",
            fault.what,
            if during.is_ok() { "ok" } else { "failed" }
        ));
    }
    client.deliver(&carried).unwrap();
    sync_until_clean(&client).await;

    // Exactly once, everywhere.
    let probe = ServerProbe::with_token(&server.base_url, &session_token(&data));
    for order in offers.iter().chain([&carried]) {
        let kinds = probe.event_kinds(order).await;
        assert_eq!(
            kinds.iter().filter(|k| *k == "accepted").count(),
            1,
            "{order}: {kinds:?}"
        );
    }
    let carried_kinds = probe.event_kinds(&carried).await;
    for kind in ["picked_up", "delivered"] {
        assert_eq!(
            carried_kinds.iter().filter(|k| *k == kind).count(),
            1,
            "{kind}: {carried_kinds:?}"
        );
    }
    assert_eq!(client.pending_actions().unwrap(), 0);
    assert!(
        client
            .orders(OrderList::Mine)
            .unwrap()
            .iter()
            .all(|o| o.sync_state == waybill_core::SyncState::Synced)
    );
    assert_eq!(
        proofs_linked(&server.base_url, &data, &carried).await,
        proofs.len()
    );
    let held_files = server_upload_hashes(&db);
    for sha in &proofs {
        assert!(held_files.contains(sha), "proof {sha} byte-identical");
    }
    let held = assert_whole_trajectory(&server.base_url, &data, &client, &carried).await;
    assert!(held.distance_m > 5_000.0, "{}", held.distance_m);
    println!("{}", tally.join("\n"));
}
